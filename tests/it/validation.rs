//! Bad input gets a clear error naming the flag, and nothing is sent: every value is checked
//! before the first request. AWS and Buzz both point at a listener that counts connections.

use std::net::TcpListener;

use crate::tool::Tool;

/// (flag, the arguments that carry the bad value).
const BAD: &[(&str, &[&str])] = &[
    ("--stream", &["--stream", ""]),
    ("--stream", &["--stream", "has space"]),
    ("--stream", &["--stream", "a/b"]),
    ("--role", &["--role", ""]),
    ("--role", &["--role", "has space"]),
    ("--role", &["--role", "r/with/slash"]),
    ("--agilix-account", &["--agilix-account", "12345"]),
    ("--agilix-account", &["--agilix-account", "12345678901a"]),
    ("--agilix-account", &["--agilix-account", "1234567890123"]),
    ("--external-id", &["--external-id", "x"]),
    ("--external-id", &["--external-id", "no spaces allowed"]),
    ("--region", &["--region", "useast1"]),
    ("--region", &["--region", "US-EAST-1"]),
    ("--retention-hours", &["--retention-hours", "23"]),
    ("--retention-hours", &["--retention-hours", "8761"]),
    ("--retention-hours", &["--retention-hours", "a day"]),
    (
        "--shards",
        &["--capacity-mode", "provisioned", "--shards", "0"],
    ),
    ("--shards", &["--shards", "4"]),
    ("--shards", &["--capacity-mode", "provisioned"]),
    ("--capacity-mode", &["--capacity-mode", "burst"]),
    ("--buzz-url", &["--buzz-url", "http://api.agilixbuzz.com"]),
    ("--buzz-url", &["--buzz-url", "ftp://example.org"]),
    ("--buzz-url", &["--buzz-url", "https://user:pw@example.org"]),
    (
        "--buzz-url",
        &["--buzz-url", "https://example.org/?token=x"],
    ),
    ("--domain", &["--domain", "abc"]),
    ("--domain", &["--domain", "//"]),
    ("--domain", &["--domain", "12a"]),
    ("--event", &["--event", "User1"]),
    ("--event", &["--event", "A:b..c"]),
    ("--event", &["--event", ""]),
    ("--tag", &["--tag", "novalue"]),
    ("--tag", &["--tag", "aws:owner=me"]),
    ("--tag", &["--tag", "managed-by=me"]),
    ("--kms-key", &["--kms-key", "alias/mine"]),
    ("--kms-key", &["--kms-key", "arn:aws:kms:us-east-1:1:key/x"]),
    ("--buzz-user", &["--buzz-user", "no-userspace"]),
    ("--title", &["--title", " "]),
    ("--propagation-timeout", &["--propagation-timeout", "0"]),
    ("--buzz-otp", &["--buzz-otp", "12"]),
];

#[test]
fn every_invalid_value_is_rejected_naming_its_flag_before_any_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let valid = [
        "setup",
        "--yes",
        "--agilix-account",
        "210987654321",
        "--domain",
        "424242",
        "--buzz-user",
        "sandbox/admin",
        "--stream",
        "s",
        "--role",
        "r",
    ];
    assert!(BAD.len() >= 30);
    for (flag, args) in BAD {
        // Later flags win in clap, so the bad value overrides the valid one.
        let out = Tool::new()
            .args(valid)
            .args(["--buzz-url", url.as_str()])
            .args(args.iter().copied())
            .env("BUZZ_PASSWORD", "x")
            .env("AWS_ENDPOINT_URL", &url)
            .run();
        assert_eq!(
            out.code,
            Some(1),
            "{args:?} should be refused: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(flag),
            "{args:?}: the message names {flag}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    assert!(
        listener.accept().is_err(),
        "a request was sent despite invalid input"
    );
}

#[test]
fn a_missing_required_value_names_its_flag_and_env_var_and_never_prompts() {
    let cases = [
        (
            "--agilix-account",
            "BUZZ_KINESIS_AGILIX_ACCOUNT",
            vec!["--domain", "1", "--buzz-user", "a/b"],
        ),
        (
            "--domain",
            "BUZZ_KINESIS_DOMAIN",
            vec!["--agilix-account", "210987654321", "--buzz-user", "a/b"],
        ),
        (
            "--buzz-user",
            "BUZZ_KINESIS_BUZZ_USER",
            vec!["--agilix-account", "210987654321", "--domain", "1"],
        ),
    ];
    for (flag, env, args) in cases {
        // No --yes: stdin is not a terminal, so there must be no prompt either.
        let out = Tool::new()
            .arg("setup")
            .args(args)
            .env("BUZZ_PASSWORD", "x")
            .run();
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(env),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_config_file_supplies_values_and_rejects_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("buzz.toml");
    std::fs::write(&file, "agilix-account = \"12\"\n").unwrap();
    let out = Tool::new()
        .args(["setup", "--yes", "--config", file.to_str().unwrap()])
        .run();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("--agilix-account"), "{}", out.stderr);
    std::fs::write(&file, "password = \"hunter2\"\n").unwrap();
    let out = Tool::new()
        .args(["setup", "--yes", "--config", file.to_str().unwrap()])
        .run();
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("unknown field `password`") && !out.stderr.contains("hunter2"),
        "{}",
        out.stderr
    );
}

/// Every flag's env var is BUZZ_KINESIS_<FLAG>; the older name is still read, the new one wins,
/// and a switch's env var takes `1`. All refused before any request.
#[test]
fn a_flag_s_env_var_is_read_by_its_new_name_and_its_older_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let setup = || {
        Tool::new()
            .args(["setup", "--yes", "--agilix-account", "210987654321"])
            .args(["--buzz-user", "a/b", "--buzz-url", url.as_str()])
            .env("BUZZ_PASSWORD", "x")
            .env("AWS_ENDPOINT_URL", &url)
    };
    let old = setup().env("BUZZ_DOMAIN_ID", "old name!").run();
    old.assert_code(1);
    assert!(old.stderr.contains("old name!"), "{}", old.stderr);
    let both = setup()
        .env("BUZZ_DOMAIN_ID", "old name!")
        .env("BUZZ_KINESIS_DOMAIN", "new name!")
        .run();
    both.assert_code(1);
    assert!(
        both.stderr.contains("new name!") && !both.stderr.contains("old name!"),
        "{}",
        both.stderr
    );
    let switch = setup()
        .args(["--buzz-only"])
        .env("BUZZ_KINESIS_AWS_ONLY", "1")
        .run();
    switch.assert_code(1);
    assert!(switch.stderr.contains("--aws-only"), "{}", switch.stderr);
    assert!(
        listener.accept().is_err(),
        "a request was sent despite invalid input"
    );
}

/// The account id as the AWS console shows it, with dashes, is Agilix's account.
#[test]
fn the_console_s_dashed_account_id_is_taken() {
    let out = Tool::new()
        .args(["export", "--agilix-account", "2109-8765-4321"])
        .args(["--format", "terraform"])
        .run();
    out.assert_success();
    assert!(out.stdout.contains("210987654321"), "{}", out.stdout);
    assert!(!out.stdout.contains("2109-8765-4321"), "{}", out.stdout);
}
