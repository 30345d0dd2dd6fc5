//! Unattended runs: the tool signs in as a Buzz application identity (an RS256 JWT assertion
//! exchanged at the sandbox's `/api/oauth/token`), with no person and no password; the token
//! is renewed before it expires; every refusal quotes the endpoint; the key never shows.

use serde_json::Value;

use crate::harness::{self, Sandbox, SandboxOptions, TestIdentity};
use crate::tool::*;

/// `COMMAND --yes --output json` for `names` on `sandbox` as `identity`: no --buzz-user, no
/// password anywhere.
fn as_identity(command: &str, sandbox: &Sandbox, names: &Names, identity: &TestIdentity) -> Tool {
    let mut args = target_args_for(command, sandbox, names);
    let i = args.iter().position(|a| a == "--buzz-user").unwrap();
    args.drain(i..i + 2);
    Tool::new()
        .args([command, "--yes", "--output", "json"])
        .args(args)
        .args(identity.args())
}

fn log_codes(log: &[Value], cmd: &str) -> Vec<String> {
    log.iter()
        .filter(|e| e["cmd"] == cmd)
        .map(|e| e["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn setup_check_and_teardown_run_as_an_application_identity_alone() {
    let sandbox = Sandbox::start_default();
    let identity = sandbox.make_identity().await;
    let names = Names::new();
    // The administrator's login that made the identity is not the tool's.
    let before = sandbox.request_log().await.len();

    let setup = as_identity("setup", &sandbox, &names, &identity).run();
    setup.assert_success();
    let config = sandbox.domain_config(harness::DOMAIN_ID).await;
    assert_eq!(kinesis_targets(&config).len(), 1, "{config}");
    as_identity("check", &sandbox, &names, &identity)
        .run()
        .assert_success();
    as_identity("teardown", &sandbox, &names, &identity)
        .run()
        .assert_success();
    let config = sandbox.domain_config(harness::DOMAIN_ID).await;
    assert!(kinesis_targets(&config).is_empty(), "{config}");

    let log = sandbox.request_log().await.split_off(before);
    assert!(
        log_codes(&log, "login3").is_empty(),
        "no password login: {log:?}"
    );
    assert!(log_codes(&log, "oauth/token").iter().all(|c| c == "OK"));
    assert_eq!(
        log_codes(&log, "oauth/token").len(),
        3,
        "one token per run: {log:?}"
    );
    for entry in log
        .iter()
        .filter(|e| e["cmd"] == "setdatastreamconfiguration")
    {
        assert_eq!(entry["auth"], "bearer", "{entry}");
    }
}

#[tokio::test]
async fn a_long_setup_renews_its_token_before_it_expires() {
    // Tokens live 2 s; the new role is unassumable for 6 s, so setup's test of the target is
    // retried for longer than several tokens live.
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .oauth_expires_in(2)
            .iam_propagation_delay(6),
    );
    let identity = sandbox.make_identity().await;
    let names = Names::new();
    as_identity("setup", &sandbox, &names, &identity)
        .run()
        .assert_success();
    let state = sandbox.state().await;
    let issued = state["tokensIssued"].as_u64().unwrap();
    assert!(
        issued >= 3,
        "the token was renewed during the wait: {issued} issued"
    );
    let log = sandbox.request_log().await;
    let refused: Vec<&Value> = log
        .iter()
        .filter(|e| e["code"] == "NoAuthentication")
        .collect();
    assert!(
        refused.is_empty(),
        "no call went out with an expired token: {refused:?}"
    );
}

#[tokio::test]
async fn the_key_and_the_assertion_never_show_even_at_trace_level() {
    let sandbox = Sandbox::start_default();
    let identity = sandbox.make_identity().await;
    let names = Names::new();
    let out = as_identity("setup", &sandbox, &names, &identity)
        .args(["-vv"])
        .env("RUST_LOG", "trace")
        .run();
    out.assert_success();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.len() > 10_000,
        "trace logging was on ({} bytes)",
        all.len()
    );
    for line in identity.private_lines() {
        assert!(!all.contains(&line), "a line of the private key showed");
    }
    // The assertion: a JWT's header starts with base64url of `{"`.
    assert!(!all.contains("eyJ"), "an assertion showed");
    // The bearer tokens the sandbox issued to this run (they start with `~`), each searched for.
    let tokens: Vec<String> = sandbox.state().await["oauthTokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    assert!(!tokens.is_empty(), "the run was issued a token");
    for token in &tokens {
        assert!(token.len() > 20, "{token}");
        assert!(
            !all.contains(token.as_str()),
            "an issued access token showed"
        );
    }
    assert!(
        !all.contains("client_assertion="),
        "the token request's body showed"
    );
}

/// A check on a sandbox as `identity`, expected to fail at sign-in: the JSON error.
fn refused(sandbox: &Sandbox, identity: &TestIdentity, extra: &[&str]) -> Value {
    let names = Names::new();
    let out = as_identity("check", sandbox, &names, identity)
        .args(extra.iter().copied())
        .run();
    out.assert_code(1);
    out.json()["error"].clone()
}

#[tokio::test]
async fn a_wrong_key_an_unknown_key_id_and_a_revoked_or_expired_key_are_refused_in_the_endpoints_words(
) {
    let sandbox = Sandbox::start_default();
    let identity = sandbox.make_identity().await;

    // Another key than the one registered.
    let (other, _) = harness::key_pair();
    let (_dir, other_file) = harness::key_file(&other, 0o600);
    let e = refused(
        &sandbox,
        &identity,
        &["--buzz-key-file", other_file.to_str().unwrap()],
    );
    assert_eq!(e["code"], "invalid_client", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("signature does not verify"),
        "{e}"
    );
    let hint = e["hint"].as_str().unwrap();
    for named in [
        "iss = sub",
        "kid ci-key",
        "aud ",
        "--buzz-token-audience",
        "clock",
    ] {
        assert!(hint.contains(named), "the hint names {named:?}: {hint}");
    }

    let e = refused(&sandbox, &identity, &["--buzz-key-id", "not-registered"]);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no key \"not-registered\""),
        "{e}"
    );

    sandbox
        .set_key_state(&identity.client_id, &identity.kid, "revoked")
        .await;
    let e = refused(&sandbox, &identity, &[]);
    assert!(e["message"].as_str().unwrap().contains("revoked"), "{e}");
    sandbox
        .set_key_state(&identity.client_id, &identity.kid, "expired")
        .await;
    let e = refused(&sandbox, &identity, &[]);
    assert!(
        e["message"].as_str().unwrap().contains("has expired"),
        "{e}"
    );
}

#[tokio::test]
async fn an_expired_assertion_is_refused_and_says_so() {
    // The endpoint's clock runs 400 s ahead: a five-minute assertion has expired on arrival.
    let sandbox = Sandbox::start(SandboxOptions::new().oauth_clock_skew(400));
    let identity = sandbox.make_identity().await;
    let e = refused(&sandbox, &identity, &[]);
    assert_eq!(e["code"], "invalid_client", "{e}");
    assert!(e["message"].as_str().unwrap().contains("expired"), "{e}");
    assert!(
        e["hint"].as_str().unwrap().contains("valid 300 s from iat"),
        "{e}"
    );
}

#[tokio::test]
async fn a_key_file_others_can_read_is_refused_before_any_request() {
    let sandbox = Sandbox::start_default();
    let identity = sandbox.make_identity().await;
    let (_dir, open_file) = harness::key_file(&identity.private_pem, 0o644);
    let e = refused(
        &sandbox,
        &identity,
        &["--buzz-key-file", open_file.to_str().unwrap()],
    );
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("mode 0644") && message.contains("chmod 600"),
        "{e}"
    );
    let log = sandbox.request_log().await;
    assert!(
        log_codes(&log, "oauth/token").is_empty(),
        "nothing was sent: {log:?}"
    );
}

#[tokio::test]
async fn each_error_shape_of_the_token_endpoint_is_quoted() {
    for (style, code) in [
        ("oauth", "invalid_client"),
        ("buzz", "InvalidCredentials"),
        ("text", "HTTP 401"),
    ] {
        let sandbox = Sandbox::start(SandboxOptions::new().oauth_error_style(style));
        let identity = sandbox.make_identity().await;
        let e = refused(&sandbox, &identity, &["--buzz-key-id", "unknown-kid"]);
        assert_eq!(e["code"], code, "{style}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("unknown-kid"),
            "{style}: the endpoint's own words: {e}"
        );
        if style == "buzz" {
            assert!(e["message"].is_string());
        }
    }
}

#[tokio::test]
async fn an_endpoint_that_wants_another_audience_names_it_and_the_flag_sets_it() {
    // This Buzz wants the API's base URL as the audience, not the token endpoint's URL.
    let sandbox = Sandbox::start(SandboxOptions::new().oauth_audience("base-url"));
    let identity = sandbox.make_identity().await;
    let e = refused(&sandbox, &identity, &[]);
    assert!(e["message"].as_str().unwrap().contains("audience"), "{e}");
    let hint = e["hint"].as_str().unwrap();
    assert!(
        hint.contains(&format!("aud {}/api/oauth/token", sandbox.url())),
        "{hint}"
    );
    let names = Names::new();
    as_identity("setup", &sandbox, &names, &identity)
        .args(["--buzz-token-audience", sandbox.url()])
        .run()
        .assert_success();
}

#[test]
fn unattended_runs_default_to_the_background_host() {
    // No --buzz-url: check, and a setup with --yes, go to backgroundapi (no network here, so
    // the transport error names the host it tried).
    for command in ["check", "setup"] {
        let out = Tool::new()
            .args([command, "--yes", "--output", "json", "--agilix-account"])
            .arg(harness::AGILIX_ACCOUNT)
            .args([
                "--domain",
                harness::DOMAIN_ID,
                "--buzz-user",
                "district/admin",
            ])
            .args([
                "--buzz-only",
                "--role-arn",
                "arn:aws:iam::123456789012:role/R",
            ])
            .args(["--region", harness::REGION])
            .env("BUZZ_PASSWORD", "unused")
            .env("HTTPS_PROXY", "")
            .run();
        out.assert_code(1);
        let e = out.json()["error"].clone();
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("https://backgroundapi.agilixbuzz.com"),
            "{command}: {e}"
        );
    }
}

#[tokio::test]
async fn buzz_identity_makes_a_working_identity_end_to_end() {
    let sandbox = Sandbox::start_default();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id.pem");
    let key_arg = key.to_str().unwrap();

    // Printed only: the key is written 0600, the requests name the domain and the key's PEM.
    let printed = Tool::new()
        .args([
            "buzz-identity",
            "--output",
            "json",
            "--domain",
            harness::DOMAIN_ID,
        ])
        .args(["--buzz-url", sandbox.url(), "--key-out", key_arg])
        .run();
    printed.assert_success();
    let view = printed.json();
    assert_eq!(view["key_created"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is its owner's only");
    }
    let body: Value =
        serde_json::from_str(view["create_request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["requests"]["user"][0]["type"], "applicationidentity");
    assert!(view["register_request"]["body"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        view["rights"],
        serde_json::json!([format!("ControlDomain on domain {}", harness::DOMAIN_ID)])
    );
    let private = std::fs::read_to_string(&key).unwrap();
    let secret_line = private.lines().nth(1).unwrap();
    assert!(!printed.stdout.contains(secret_line) && !printed.stderr.contains(secret_line));
    assert!(
        sandbox.state().await["identities"]
            .as_object()
            .unwrap()
            .is_empty(),
        "nothing sent"
    );

    // Sent, as the administrator: a key file this run did not make is not registered unasked.
    let send = || {
        Tool::new()
            .args([
                "buzz-identity",
                "--output",
                "json",
                "--domain",
                harness::DOMAIN_ID,
            ])
            .args([
                "--buzz-url",
                sandbox.url(),
                "--buzz-key-file",
                key_arg,
                "--send",
            ])
            .args(["--buzz-user", harness::ADMIN_USER])
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
    };
    let refused = send().run();
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("--reuse-key") && refused.stderr.contains("already there"),
        "{}",
        refused.stderr
    );
    assert!(
        sandbox.state().await["identities"]
            .as_object()
            .unwrap()
            .is_empty(),
        "nothing sent"
    );
    // Asked to (BUZZ_KINESIS_REUSE_KEY): the same key is reused, Buzz makes the identity, it
    // signs in.
    let sent = send().env("BUZZ_KINESIS_REUSE_KEY", "true").run();
    // Exit 2: made, but the administrator has yet to grant ControlDomain.
    sent.assert_code(2);
    let view = sent.json();
    assert_eq!(view["key_created"], false, "the key was reused");
    assert_eq!(view["signed_in"], true);
    assert_eq!(view["can_read_domain"], false);
    let client_id = view["client_id"].as_str().unwrap().to_owned();
    let kid = view["key_id"].as_str().unwrap().to_owned();
    assert!(view["flags"].as_str().unwrap().contains(&client_id));

    // The administrator grants the one right; the identity then runs setup and check alone.
    sandbox.grant_control_domain(&client_id, true).await;
    let names = Names::new();
    for command in ["setup", "check"] {
        let mut args = target_args_for(command, &sandbox, &names);
        let i = args.iter().position(|a| a == "--buzz-user").unwrap();
        args.drain(i..i + 2);
        Tool::new()
            .args([command, "--yes", "--output", "json"])
            .args(args)
            .args([
                "--buzz-client-id",
                &client_id,
                "--buzz-key-file",
                key_arg,
                "--buzz-key-id",
                &kid,
            ])
            .run()
            .assert_success();
    }
    let identity = &sandbox.state().await["identities"][&client_id];
    assert_eq!(identity["keys"][&kid], "active", "{identity}");
}

#[tokio::test]
async fn eight_reads_at_once_after_the_token_expired_renew_it_once() {
    use buzz_kinesis::buzz::{AppIdentity, BuzzClient, Credentials, Otp};
    use buzz_kinesis::names::{BuzzUrl, ClientId, DomainId, KeyId};
    // Tokens live 1 s: renewed 0.8 s after they were asked for.
    let sandbox = Sandbox::start(SandboxOptions::new().oauth_expires_in(1));
    let identity = sandbox.make_identity().await;
    let app = AppIdentity::load(
        ClientId::parse("--buzz-client-id", &identity.client_id).unwrap(),
        Some(KeyId::parse("--buzz-key-id", &identity.kid).unwrap()),
        None,
        identity.key_file.clone(),
    )
    .unwrap();
    let client = BuzzClient::new(
        BuzzUrl::parse("--buzz-url", sandbox.url()).unwrap(),
        Credentials::Identity(Box::new(app)),
        Otp::Unavailable,
        buzz_kinesis::calls::CallLog::new(),
    )
    .unwrap();
    client.login().await.unwrap();
    let issued = || async { sandbox.state().await["tokensIssued"].as_u64().unwrap() };
    let after_login = issued().await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // A fan-out's eight reads, all finding the token due at once.
    let domain = DomainId::parse("--domain", harness::DOMAIN_ID).unwrap();
    let reads: Vec<_> = (0..8).map(|_| client.get_config(&domain)).collect();
    let answers = buzz_kinesis::fanout::bounded(reads, buzz_kinesis::fanout::BUZZ_IN_FLIGHT).await;
    assert_eq!(answers.len(), 8);
    for answer in answers {
        answer.unwrap();
    }
    assert_eq!(
        issued().await - after_login,
        1,
        "one renewal for the eight reads"
    );
    let log = sandbox.request_log().await;
    assert!(
        log.iter().all(|e| e["code"] != "NoAuthentication"),
        "no read went out with the expired token: {log:?}"
    );
}

#[tokio::test]
async fn plain_http_to_this_machine_never_goes_through_a_proxy() {
    let sandbox = Sandbox::start_default();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id.pem");
    let mut tool = Tool::new()
        .args(["buzz-identity", "--output", "json", "--send"])
        .args(["--domain", harness::DOMAIN_ID, "--buzz-url", sandbox.url()])
        .args(["--key-out", key.to_str().unwrap()])
        .args(["--buzz-user", harness::ADMIN_USER])
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .without_env("NO_PROXY")
        .without_env("no_proxy");
    // A proxy that is not there: a request sent through it would find no connection.
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        tool = tool.env(var, "http://127.0.0.1:9");
    }
    let out = tool.run();
    // Exit 2: made and signed in (the administrator has yet to grant ControlDomain).
    out.assert_code(2);
    assert_eq!(out.json()["signed_in"], true, "{}", out.stderr);
}

#[test]
fn reuse_key_without_send_is_refused_as_doing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Tool::new()
        .args([
            "buzz-identity",
            "--domain",
            harness::DOMAIN_ID,
            "--reuse-key",
        ])
        .args(["--key-out", dir.path().join("k.pem").to_str().unwrap()])
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("--reuse-key") && out.stderr.contains("--send"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("k.pem").exists(), "nothing written");
}
