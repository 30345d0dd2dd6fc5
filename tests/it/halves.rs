//! Two halves, two people: the AWS person runs `--aws-only` with no Buzz login, the Buzz person
//! runs the command it hands over with no AWS credentials at all (no `AWS_*` variable, an
//! empty HOME), and an auditor checks the AWS side alone. The sandbox still reaches moto to
//! test the target (it plays Buzz's servers, which have their own AWS access); only the tool's
//! environment lacks AWS.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, AGILIX_ACCOUNT, DOMAIN_ID, REGION};
use crate::tool::*;

/// `buzz-kinesis ARGS` with neither AWS's environment nor a home to find `~/.aws` in.
fn without_aws(tool: Tool, home: &tempfile::TempDir) -> Tool {
    let mut tool = tool.env("HOME", &home.path().display().to_string());
    for (key, _) in harness::aws_env() {
        tool = tool.without_env(&key);
    }
    tool
}

/// `setup --aws-only` for `names`: no Buzz user, no password; Buzz's URL is the sandbox's,
/// so the test can see that nothing reached it.
fn aws_only_setup(sandbox: &Sandbox, names: &Names) -> Tool {
    Tool::new()
        .args(["setup", "--aws-only", "--yes", "--output", "json"])
        .args(["--agilix-account", AGILIX_ACCOUNT, "--domain", DOMAIN_ID])
        .args(["--stream", &names.stream, "--role", &names.role])
        .args(["--buzz-url", sandbox.url()])
}

/// The `--buzz-only` flags naming what the AWS half of `names` made.
fn buzz_half_args(sandbox: &Sandbox, names: &Names) -> Vec<String> {
    [
        "--buzz-only",
        "--role-arn",
        &harness::role_arn(&names.role),
        "--stream",
        &names.stream,
        "--region",
        REGION,
        "--domain",
        DOMAIN_ID,
        "--buzz-url",
        sandbox.url(),
        "--buzz-user",
        harness::ADMIN_USER,
    ]
    .map(String::from)
    .to_vec()
}

fn statuses(out: &Outcome) -> Vec<(String, String)> {
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn status_of<'a>(rows: &'a [(String, String)], id: &str) -> &'a str {
    rows.iter()
        .find(|(i, _)| i == id)
        .map(|(_, s)| s.as_str())
        .unwrap_or_else(|| panic!("no row {id}: {rows:?}"))
}

#[tokio::test]
async fn the_aws_person_and_the_buzz_person_each_do_their_half() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    let home = tempfile::tempdir().unwrap();

    // The AWS person: no Buzz variable at all.
    let aws = aws_only_setup(&sandbox, &names).run();
    aws.assert_success();
    let report = aws.json();
    assert_eq!(report["stream"]["outcome"], "created", "{report}");
    assert_eq!(report["role"]["outcome"], "created");
    assert_eq!(report["buzz"]["outcome"], "skipped");
    assert_eq!(role_view(&names.role).0, 43_200);
    assert!(inline_policy(&names.role).is_some());
    assert!(
        sandbox.request_log().await.is_empty(),
        "Buzz received no request"
    );
    let half = &report["buzz_half"];
    let role_arn = harness::role_arn(&names.role);
    let command = half["command"].as_str().unwrap();
    for part in [
        "buzz-kinesis setup --buzz-only".to_owned(),
        format!("--role-arn {role_arn}"),
        format!("--stream {}", names.stream),
        format!("--region {REGION}"),
        format!("--domain {DOMAIN_ID}"),
    ] {
        assert!(command.contains(&part), "{part}: {command}");
    }
    let test = &half["test_request"]["request"];
    assert_eq!(test["cmd"], "setdatastreamconfiguration");
    assert_eq!(test["test"], json!(true));
    assert_eq!(test["kinesis"][0]["enabled"], json!(false));
    assert_eq!(test["kinesis"][0]["roleArn"], json!(role_arn));
    assert_eq!(
        half["request"]["request"]["kinesis"][0]["enabled"],
        json!(true)
    );
    assert!(half["note"].as_str().unwrap().contains("replaces"));

    // The Buzz person runs exactly the handed-over words, with no AWS credentials at all.
    let mut words: Vec<String> = half["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(words.remove(0), "buzz-kinesis");
    let buzz = without_aws(
        Tool::new()
            .args(words)
            .args([
                "--buzz-user",
                harness::ADMIN_USER,
                "--yes",
                "--output",
                "json",
            ])
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD),
        &home,
    )
    .run();
    buzz.assert_success();
    let report = buzz.json();
    assert_eq!(report["buzz"]["outcome"], "created", "{report}");
    assert_eq!(report["stream"]["outcome"], "skipped");
    assert_eq!(report["aws"], Value::Null);
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let targets = kinesis_targets(&config);
    assert_eq!(targets.len(), 1, "{config}");
    assert_eq!(targets[0]["enabled"], json!(true));
    assert_eq!(targets[0]["roleArn"], json!(role_arn));
    assert_eq!(
        config["https"],
        webhook_config()["https"],
        "the webhook is kept"
    );
    // Agilix's route: a test with the target disabled, then the save.
    let sets: Vec<Value> = sandbox
        .request_log()
        .await
        .into_iter()
        .filter(|r| r.to_string().contains("setdatastreamconfiguration"))
        .collect();
    assert!(sets.len() >= 2, "{sets:?}");

    // An auditor with AWS access and no Buzz login: healthy, the Buzz rows skipped.
    let audit = Tool::new()
        .args(["check", "--aws-only", "--yes", "--output", "json"])
        .args(["--agilix-account", AGILIX_ACCOUNT])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run();
    audit.assert_success();
    let rows = statuses(&audit);
    for id in [
        "stream.exists",
        "role.exists",
        "role.max_session",
        "role.policy",
    ] {
        assert_eq!(status_of(&rows, id), "pass", "{id}: {rows:?}");
    }
    assert_ne!(status_of(&rows, "role.trust"), "fail");
    assert_eq!(status_of(&rows, "buzz.target"), "skip");

    // The Buzz person checks with --probe, still without AWS: Buzz's test proves the path.
    let probe = without_aws(
        Tool::new()
            .args(["check", "--yes", "--output", "json", "--probe"])
            .args(buzz_half_args(&sandbox, &names))
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD),
        &home,
    )
    .run();
    probe.assert_success();
    let rows = statuses(&probe);
    assert_eq!(status_of(&rows, "buzz.target"), "pass", "{rows:?}");
    assert_eq!(status_of(&rows, "buzz.probe"), "pass");
    assert_eq!(status_of(&rows, "role.exists"), "skip");
    assert!(probe.stdout.contains("not read back"), "{}", probe.stdout);

    // Teardown, each half by its person: each names the other half's command.
    let buzz_down = without_aws(
        Tool::new()
            .args(["teardown", "--yes", "--output", "json"])
            .args(buzz_half_args(&sandbox, &names))
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD),
        &home,
    )
    .run();
    buzz_down.assert_success();
    let report = buzz_down.json();
    assert_eq!(report["buzz"]["outcome"], "removed", "{report}");
    assert_eq!(report["role"]["outcome"], "skipped");
    assert!(
        report["notes"]
            .to_string()
            .contains("buzz-kinesis teardown --aws-only"),
        "{report}"
    );
    assert!(kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).is_empty());
    assert_eq!(role_view(&names.role).0, 43_200, "the role stays");

    // The AWS half, in human output: the warning on stderr names the Buzz half's command.
    let aws_down = Tool::new()
        .args(["teardown", "--aws-only", "--yes"])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run();
    aws_down.assert_success();
    assert!(aws_down.stdout.contains("skipped"), "{}", aws_down.stdout);
    let warning = format!("warning: --aws-only deletes the role {role_arn}");
    assert!(aws_down.stderr.contains(&warning), "{}", aws_down.stderr);
    assert!(
        aws_down.stderr.contains(&format!(
            "buzz-kinesis teardown --buzz-only --role-arn {role_arn}"
        )),
        "{}",
        aws_down.stderr
    );
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
}

#[tokio::test]
async fn an_auditor_finds_a_drifted_role_without_a_buzz_login() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    aws_only_setup(&sandbox, &names).run().assert_success();
    harness::aws_cli(&[
        "iam",
        "update-role",
        "--role-name",
        &names.role,
        "--max-session-duration",
        "3600",
    ]);
    let audit = Tool::new()
        .args(["check", "--aws-only", "--yes", "--output", "json"])
        .args(["--agilix-account", AGILIX_ACCOUNT])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run();
    audit.assert_code(2);
    let rows = statuses(&audit);
    assert_eq!(status_of(&rows, "role.max_session"), "fail", "{rows:?}");
    assert_eq!(status_of(&rows, "buzz.target"), "skip");
    assert!(sandbox.request_log().await.is_empty(), "no Buzz request");
    // A person reads SKIP, not PASS.
    let human = Tool::new()
        .args(["check", "--aws-only", "--yes"])
        .args(["--agilix-account", AGILIX_ACCOUNT])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run();
    human.assert_code(2);
    assert!(
        human.stdout.contains("SKIP  buzz.target"),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn the_buzz_half_validates_before_any_request() {
    let sandbox = Sandbox::start_default();
    let home = tempfile::tempdir().unwrap();
    let names = Names::new();
    let base = || {
        without_aws(
            Tool::new()
                .args(["setup", "--buzz-only", "--yes", "--output", "json"])
                .args([
                    "--buzz-url",
                    sandbox.url(),
                    "--buzz-user",
                    harness::ADMIN_USER,
                ])
                .args(["--domain", DOMAIN_ID])
                .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD),
            &home,
        )
    };
    let bad_arn = base()
        .args(["--role-arn", "BuzzKinesisWriter", "--stream", &names.stream])
        .args(["--region", REGION])
        .run();
    bad_arn.assert_code(1);
    assert!(bad_arn.stdout.contains("--role-arn"), "{}", bad_arn.stdout);
    let bad_region = base()
        .args(["--role-arn", &harness::role_arn(&names.role)])
        .args(["--stream", &names.stream, "--region", "US East"])
        .run();
    bad_region.assert_code(1);
    assert!(
        bad_region.stdout.contains("--region"),
        "{}",
        bad_region.stdout
    );
    let bad_stream = base()
        .args(["--role-arn", &harness::role_arn(&names.role)])
        .args(["--stream", "not a stream", "--region", REGION])
        .run();
    bad_stream.assert_code(1);
    assert!(
        bad_stream.stdout.contains("--stream"),
        "{}",
        bad_stream.stdout
    );
    // Both missing values named in one error.
    let missing = base().run();
    missing.assert_code(1);
    let message = missing.json()["error"]["message"].to_string();
    assert!(
        message.contains("--role-arn") && message.contains("--region"),
        "{message}"
    );
    assert!(sandbox.request_log().await.is_empty(), "nothing was sent");
}

#[test]
fn one_half_at_a_time() {
    for command in ["setup", "check", "teardown"] {
        let out = Tool::new()
            .args([command, "--aws-only", "--buzz-only", "--output", "json"])
            .run();
        out.assert_code(1);
        assert_eq!(out.json()["error"]["kind"], "usage", "{command}");
    }
    let out = Tool::new()
        .args(["setup", "--role-arn", "arn:aws:iam::123456789012:role/x"])
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("--buzz-only"), "{}", out.stderr);
}

#[test]
fn policy_templates_hand_over_the_buzz_half_command() {
    for (format, output) in [
        ("cloudformation", "BuzzHalfCommand"),
        ("terraform", "buzz_half_command"),
    ] {
        let out = Tool::new()
            .args([
                "export",
                "--agilix-account",
                AGILIX_ACCOUNT,
                "--domain",
                DOMAIN_ID,
            ])
            .args(["--format", format])
            .run();
        out.assert_success();
        assert!(out.stdout.contains(output), "{format}: {}", out.stdout);
        assert!(
            out.stdout
                .contains("buzz-kinesis setup --buzz-only --role-arn"),
            "{format}: {}",
            out.stdout
        );
    }
}
