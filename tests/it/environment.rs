//! The operator's real environment: CI jobs without a terminal, pipes, `NO_COLOR`, networks
//! that fail or inspect TLS, config files, man pages and completions. Each test runs the real
//! binary, since every point here is at a process boundary.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, AGILIX_ACCOUNT, MOTO_ACCOUNT};
use crate::tool::*;

/// A listener that counts connections: AWS and Buzz both point here when nothing may be sent.
struct Silent {
    listener: TcpListener,
    url: String,
}

impl Silent {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Self { listener, url }
    }

    #[track_caller]
    fn assert_untouched(&self) {
        assert!(
            self.listener.accept().is_err(),
            "a request was sent, though nothing may be"
        );
    }
}

/// The values setup needs, pointing AWS and Buzz at `url`.
fn complete_setup(url: &str) -> Tool {
    Tool::new()
        .args([
            "setup",
            "--agilix-account",
            AGILIX_ACCOUNT,
            "--domain",
            "424242",
        ])
        .args(["--buzz-user", "sandbox/admin", "--buzz-url", url])
        .env("BUZZ_PASSWORD", "x")
        .env("AWS_ENDPOINT_URL", url)
}

/// A loopback port nobody listens on.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn usage_errors_exit_1_and_are_json_with_output_json() {
    let out = Tool::new().args(["setup", "--no-such-flag"]).run();
    out.assert_code(1);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
    let out = Tool::new()
        .args(["setup", "--output", "json", "--no-such-flag"])
        .run();
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["error"]["kind"], "usage", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--no-such-flag"));
    Tool::new().args(["setup", "--help"]).run().assert_success();
    Tool::new().arg("--version").run().assert_success();
    // A missing subcommand is a usage error too, not "changes pending".
    Tool::new().run().assert_code(1);
}

#[test]
fn setup_without_a_terminal_needs_yes_and_sends_nothing_without_it() {
    let silent = Silent::new();
    for ci in [None, Some("false"), Some("0")] {
        let mut tool = complete_setup(&silent.url);
        if let Some(v) = ci {
            tool = tool.env("CI", v);
        }
        let out = tool.run();
        out.assert_code(1);
        assert!(
            out.stderr.contains("--yes") && out.stderr.contains("--dry-run"),
            "{}",
            out.stderr
        );
    }
    let out = complete_setup(&silent.url).args(["--output", "json"]).run();
    out.assert_code(1);
    assert_eq!(out.json()["error"]["kind"], "refused");
    silent.assert_untouched();
}

#[test]
fn every_missing_value_is_named_in_one_error() {
    let silent = Silent::new();
    let out = Tool::new()
        .args(["setup", "--yes", "--buzz-url", &silent.url])
        .env("AWS_ENDPOINT_URL", &silent.url)
        .run();
    out.assert_code(1);
    for name in [
        "--agilix-account",
        "BUZZ_KINESIS_AGILIX_ACCOUNT",
        "--domain",
        "--buzz-user",
        "BUZZ_PASSWORD",
    ] {
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
    }
    assert!(
        out.stderr.contains("4 required values are missing"),
        "{}",
        out.stderr
    );
    silent.assert_untouched();
}

#[test]
fn an_unreachable_buzz_is_reported_quickly_with_its_url_and_cause() {
    let url = closed_port_url();
    let out = complete_setup(&url)
        .arg("--yes")
        .env("AWS_ENDPOINT_URL", harness::moto().url())
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&url) && out.stderr.contains("refused"),
        "{}",
        out.stderr
    );
    // One quick retry, not the 5-retry backoff of a 503 (33 s before).
    assert!(out.took < Duration::from_secs(6), "took {:?}", out.took);
}

#[test]
fn colour_only_on_a_terminal_or_when_asked_and_no_sdk_noise() {
    let url = closed_port_url();
    // A warning (the retried connection) and an error, both on stderr.
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut tool = complete_setup(&url)
            .arg("--yes")
            .args(extra.iter().copied())
            .env("AWS_ENDPOINT_URL", harness::moto().url());
        for (k, v) in env {
            tool = tool.env(k, v);
        }
        tool.run()
    };
    let piped = run(&[], &[]);
    piped.assert_code(1);
    assert!(piped.stderr.contains("warning: "), "{}", piped.stderr);
    assert!(!piped.stderr.contains('\x1b'), "{:?}", piped.stderr);
    assert!(!piped.stderr.contains("aws_config"), "{}", piped.stderr);
    assert!(
        !piped.stderr.contains("Error {"),
        "no Debug dump: {}",
        piped.stderr
    );
    assert!(run(&["--color", "always"], &[]).stderr.contains('\x1b'));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).stderr.contains('\x1b'));
    let forced_off = run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!forced_off.stderr.contains('\x1b'));
    let no_color = run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!no_color.stderr.contains('\x1b'));
    // JSON: the hint is a field of its own, not inside the message.
    let json = run(&["--output", "json"], &[]).json();
    let message = json["error"]["message"].as_str().unwrap();
    let hint = json["error"]["hint"].as_str().unwrap();
    assert!(
        !message.contains("hint") && hint.contains("--buzz-url"),
        "{json}"
    );
}

#[test]
fn tail_shows_control_characters_escaped_and_json_stays_json() {
    let stream = harness::unique("hostile");
    harness::create_stream(&stream);
    let hostile = "\x1b]0;pwned\x07\x1b[2J";
    let event = json!({
        "time": "2024-05-01T08:00:00.0000000Z", "guid": "g-1", "domainId": "424242",
        "type": "UserCreated", "data": {"firstname": hostile, "lastname": "Doe"},
    });
    harness::put_record(&stream, &event.to_string());
    harness::put_record(&stream, &format!("not json {hostile}"));
    let tail = |output: &str| {
        Tool::new()
            .args(["tail", "--stream", &stream, "--from", "trim-horizon"])
            .args(["--limit", "2", "--timeout", "60", "--output", output])
            .run()
    };
    let human = tail("human");
    human.assert_success();
    assert!(!human.stdout.contains('\x1b') && !human.stdout.contains('\x07'));
    assert!(
        human.stdout.contains("\\x1b]0;pwned\\x07\\x1b[2J"),
        "{}",
        human.stdout
    );
    assert_eq!(human.stdout.lines().count(), 2, "{}", human.stdout);
    let json_out = tail("json");
    json_out.assert_success();
    let lines: Vec<Value> = json_out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines[0]["data"]["firstname"], hostile);
    assert_eq!(lines[1]["raw"], format!("not json {hostile}"));
}

#[test]
fn the_config_file_is_typed_found_by_env_and_default_location_and_errors_name_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("buzz.toml");
    std::fs::write(&file, "adopt = \"yes\"\n").unwrap();
    let out = Tool::new()
        .args(["setup", "--yes", "--config", file.to_str().unwrap()])
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("adopt") && out.stderr.contains("buzz.toml"),
        "{}",
        out.stderr
    );
    // BUZZ_KINESIS_CONFIG, then $XDG_CONFIG_HOME/buzz-kinesis/config.toml.
    std::fs::write(&file, "agilix-account = \"12\"\n").unwrap();
    let out = Tool::new()
        .args(["setup", "--yes", "--domain", "1", "--buzz-user", "a/b"])
        .env("BUZZ_PASSWORD", "x")
        .env("BUZZ_KINESIS_CONFIG", file.to_str().unwrap())
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("invalid value '12' for --agilix-account"),
        "{}",
        out.stderr
    );
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("buzz-kinesis")).unwrap();
    std::fs::write(
        xdg.join("buzz-kinesis/config.toml"),
        "stream = \"has space\"\n",
    )
    .unwrap();
    let out = Tool::new()
        .args(["export", "--agilix-account", AGILIX_ACCOUNT])
        .env("XDG_CONFIG_HOME", xdg.to_str().unwrap())
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("--stream"), "{}", out.stderr);
}

#[test]
fn man_pages_are_written_for_every_command_and_completions_know_the_values() {
    let dir = tempfile::tempdir().unwrap();
    Tool::new()
        .args(["man", "--out-dir", dir.path().to_str().unwrap()])
        .run()
        .assert_success();
    for page in [
        "",
        "-setup",
        "-check",
        "-tail",
        "-teardown",
        "-export",
        "-completions",
    ] {
        let path = dir.path().join(format!("buzz-kinesis{page}.1"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert!(text.contains(".TH"), "{path:?}");
        for section in [".SH ENVIRONMENT", ".SH FILES", ".SH \"EXIT STATUS\""] {
            assert!(text.contains(section), "{path:?} lacks {section}");
        }
    }
    let bash = Tool::new().args(["completions", "bash"]).run();
    bash.assert_success();
    for value in [
        "on-demand",
        "provisioned",
        "trim-horizon",
        "cloudformation",
        "terraform",
        "json",
    ] {
        assert!(bash.stdout.contains(value), "bash completion lacks {value}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let bin = env!("CARGO_BIN_EXE_buzz-kinesis");
    for args in ["man", "completions bash", "--help", "setup --help"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "'{bin}' {args} | head -c 10 >/dev/null; echo \"rc=${{PIPESTATUS:-0}}\""
            ))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("Broken pipe") && !stderr.contains("panicked"),
            "{args}: {stderr}"
        );
    }
}

#[test]
fn an_unknown_profile_is_named_with_the_files_looked_at() {
    let out = Tool::new()
        .args([
            "export",
            "--agilix-account",
            AGILIX_ACCOUNT,
            "--profile",
            "no-such-profile",
        ])
        .args(["--region", "us-east-1"])
        .without_env("AWS_ACCESS_KEY_ID")
        .without_env("AWS_SECRET_ACCESS_KEY")
        .run();
    // policy still prints placeholders, with the real cause in its warning.
    assert!(
        out.stderr.contains("'no-such-profile' could not be found"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// TLS through a throwaway CA

/// A CA and a certificate for 127.0.0.1 it signed, made with the openssl CLI.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("the openssl CLI");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=buzz-kinesis test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Pki {
        ca: p("ca.pem"),
        cert: p("server.pem"),
        key: p("server.key"),
        _dir: dir,
    }
}

/// A TLS front for a plain HTTP server on loopback (`backend` is `http://127.0.0.1:PORT`);
/// returns its `https://` URL. It runs on its own thread for the rest of the test binary.
fn tls_front(backend: &str, pki: &Pki) -> String {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pki.cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&pki.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let backend = backend.trim_start_matches("http://").to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA aborts the handshake: nothing to do.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
    });
    url
}

fn with_ca_bundle(tool: Tool, ca: &Path) -> Tool {
    tool.env("AWS_CA_BUNDLE", ca.to_str().unwrap())
}

#[tokio::test]
async fn aws_ca_bundle_is_trusted_for_aws_and_buzz() {
    let pki = pki();
    let aws = tls_front(harness::moto().url(), &pki);
    let sandbox = Sandbox::start_default();
    let buzz = tls_front(sandbox.url(), &pki);
    let names = Names::new();

    // Without the CA, neither AWS nor Buzz is trusted, and the message says it is TLS.
    let policy = |tool: Tool| {
        tool.args([
            "export",
            "--agilix-account",
            AGILIX_ACCOUNT,
            "--output",
            "json",
        ])
        .args(["--stream", &names.stream])
        .env("AWS_ENDPOINT_URL", &aws)
        .run()
    };
    let untrusted = policy(Tool::new());
    assert!(
        !untrusted.stdout.contains(MOTO_ACCOUNT),
        "reached AWS without trusting the CA: {}",
        untrusted.stdout
    );
    let trusted = policy(with_ca_bundle(Tool::new(), &pki.ca));
    trusted.assert_success();
    assert!(
        trusted.stdout.contains(MOTO_ACCOUNT),
        "{}\n{}",
        trusted.stdout,
        trusted.stderr
    );

    let setup = |tool: Tool| {
        tool.args(["--buzz-url", &buzz])
            .env("AWS_ENDPOINT_URL", &aws)
            .run()
    };
    let untrusted = setup(Tool::setup(&sandbox, &names));
    untrusted.assert_code(1);
    assert!(
        untrusted.stderr.to_lowercase().contains("certificate"),
        "{}",
        untrusted.stderr
    );
    setup(with_ca_bundle(Tool::setup(&sandbox, &names), &pki.ca)).assert_success();
    let config = sandbox.domain_config(harness::DOMAIN_ID).await;
    assert_eq!(kinesis_targets(&config).len(), 1, "{config}");
    let _ = std::io::stderr().flush();
}

#[tokio::test]
async fn ssl_cert_file_is_trusted_for_aws_and_buzz() {
    // A school network's TLS-inspecting proxy, its CA given the OpenSSL way: SSL_CERT_FILE
    // replaces the system's roots, for the AWS SDK and for Buzz alike.
    let pki = pki();
    let aws = tls_front(harness::moto().url(), &pki);
    let sandbox = Sandbox::start_default();
    let buzz = tls_front(sandbox.url(), &pki);
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--buzz-url", &buzz])
        .env("AWS_ENDPOINT_URL", &aws)
        .env("SSL_CERT_FILE", pki.ca.to_str().unwrap())
        .run()
        .assert_success();
    let config = sandbox.domain_config(harness::DOMAIN_ID).await;
    assert_eq!(kinesis_targets(&config).len(), 1, "{config}");
}

#[test]
fn a_credential_process_profile_is_used_as_the_readme_shows_for_mfa() {
    // docs/install.md's way through for `mfa_serial` profiles: a profile whose credential_process
    // hands over keys (there `aws configure export-credentials`; here a script that records
    // that it ran), in a HOME of its own, with no key in the environment.
    let home = tempfile::tempdir().unwrap();
    let marker = home.path().join("ran");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"fromprocess\", \"SecretAccessKey\": \"fromprocess\"}}'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile district]\ncredential_process = {}\nregion = us-east-1\n",
            script.display()
        ),
    )
    .unwrap();
    let out = Tool::new()
        .args([
            "export",
            "--agilix-account",
            AGILIX_ACCOUNT,
            "--profile",
            "district",
        ])
        .env("HOME", &home.path().display().to_string())
        .without_env("AWS_CONFIG_FILE")
        .without_env("AWS_SHARED_CREDENTIALS_FILE")
        .without_env("AWS_PROFILE")
        .without_env("AWS_REGION")
        .without_env("AWS_DEFAULT_REGION")
        .without_env("AWS_ACCESS_KEY_ID")
        .without_env("AWS_SECRET_ACCESS_KEY")
        .run();
    out.assert_success();
    assert!(marker.exists(), "the credential_process ran");
    // The account comes from STS (moto), asked with the process's keys.
    assert!(out.stdout.contains(MOTO_ACCOUNT), "{}", out.stdout);
    assert!(!out.stderr.contains("could not"), "{}", out.stderr);
}

/// No AWS login anywhere: a short answer with the two ways on, not the SDK's provider chain
/// (that is for -v), against moto's endpoint so that only the credentials are missing.
#[tokio::test]
async fn no_aws_login_is_a_short_answer_naming_both_ways_on() {
    let home = tempfile::tempdir().expect("a temp dir");
    let nowhere = home.path().join("none");
    let nowhere = nowhere.to_str().unwrap();
    let names = Names::new();
    let run = |verbose: bool| {
        let mut tool = Tool::new()
            .args(["setup", "--aws-only", "--dry-run"])
            .args(["--agilix-account", AGILIX_ACCOUNT])
            .args(["--stream", &names.stream, "--role", &names.role]);
        if verbose {
            tool = tool.arg("-v");
        }
        for k in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
        ] {
            tool = tool.without_env(k);
        }
        tool.env("HOME", home.path().to_str().unwrap())
            .env("AWS_CONFIG_FILE", nowhere)
            .env("AWS_SHARED_CREDENTIALS_FILE", nowhere)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .run()
    };
    let out = run(false);
    out.assert_code(1);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(lines.len() <= 6, "{} lines:\n{}", lines.len(), out.stderr);
    for needed in [
        "no AWS login was found",
        "aws configure sso",
        "--profile NAME",
        "setup --aws-only",
    ] {
        assert!(out.stderr.contains(needed), "{needed}: {}", out.stderr);
    }
    assert!(
        !out.stderr.contains("provider") && !out.stderr.contains("metadata"),
        "{}",
        out.stderr
    );
    // With -v, the chain's own words are there for whoever needs them.
    let verbose = run(true);
    assert!(
        verbose.stderr.contains("Ec2InstanceMetadata"),
        "{}",
        verbose.stderr
    );
}

/// A JSON error names the fix and, for values left out, each flag in a list.
#[tokio::test]
async fn a_json_error_carries_its_fix_and_the_missing_flags() {
    let out = Tool::new()
        .args(["setup", "--aws-only", "--dry-run", "--output", "json"])
        .run();
    out.assert_code(1);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "missing_value", "{error}");
    assert!(
        error["missing"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("--agilix-account"))),
        "{error}"
    );
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--agilix-account")),
        "{error}"
    );
}

/// tail reads the config file like every other command: its stream, region and profile.
#[tokio::test]
async fn tail_reads_the_stream_region_and_profile_from_the_config_file() {
    let stream = harness::unique("configured");
    harness::create_stream(&stream);
    harness::put_record(&stream, r#"{"type": "UserCreated", "domainId": "424242"}"#);
    let dir = tempfile::tempdir().expect("a temp dir");
    // The profile names the region nowhere else: the file's region must win to find the
    // stream (moto keeps streams per region).
    let aws_config = dir.path().join("aws-config");
    std::fs::write(&aws_config, "[profile district]\nregion = eu-west-3\n").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "stream = \"{stream}\"\nregion = \"{}\"\nprofile = \"district\"\n",
            harness::REGION
        ),
    )
    .unwrap();
    let out = Tool::new()
        .args(["tail", "--config", config.to_str().unwrap()])
        .args(["--from", "trim-horizon", "--limit", "1", "--timeout", "60"])
        .args(["--output", "json"])
        .without_env("AWS_PROFILE")
        .without_env("AWS_REGION")
        .without_env("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", aws_config.to_str().unwrap())
        .run();
    out.assert_success();
    assert!(out.stdout.contains("UserCreated"), "{}", out.stdout);
    // The profile was taken from the file: one the AWS config does not define is an error
    // that names it.
    std::fs::write(
        &config,
        format!(
            "stream = \"{stream}\"\nregion = \"{}\"\nprofile = \"nowhere\"\n",
            harness::REGION
        ),
    )
    .unwrap();
    let out = Tool::new()
        .args([
            "tail",
            "--config",
            config.to_str().unwrap(),
            "--limit",
            "1",
            "--timeout",
            "5",
        ])
        .without_env("AWS_PROFILE")
        .without_env("AWS_ACCESS_KEY_ID")
        .without_env("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", aws_config.to_str().unwrap())
        .env("AWS_SHARED_CREDENTIALS_FILE", aws_config.to_str().unwrap())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("'nowhere'"), "{}", out.stderr);
}
