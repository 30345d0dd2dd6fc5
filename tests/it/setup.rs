//! `buzz-kinesis setup` end to end: the real binary against moto and the Buzz sandbox, with
//! the AWS CLI and the sandbox's own state as observers.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, AGILIX_ACCOUNT, DOMAIN_ID};
use crate::tool::*;

#[tokio::test]
async fn fresh_setup_creates_stream_role_and_enabled_target_and_keeps_the_webhook() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();

    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["changed"], json!(true));
    assert_eq!(report["stream"]["outcome"], "created");
    assert_eq!(report["role"]["outcome"], "created");
    assert_eq!(report["buzz"]["outcome"], "created");

    // What the AWS CLI shows.
    let summary = harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ]);
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamStatus"],
        "ACTIVE"
    );
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"],
        "ON_DEMAND"
    );
    let (max_session, trust) = role_view(&names.role);
    assert_eq!(max_session, 43_200);
    assert_eq!(
        trusted(&trust),
        [format!("arn:aws:iam::{AGILIX_ACCOUNT}:root")]
    );
    let policy = inline_policy(&names.role).expect("the inline policy exists");
    assert_eq!(
        policy["Statement"][0]["Resource"],
        json!(harness::stream_arn(&names.stream))
    );
    assert_eq!(
        policy["Statement"][0]["Action"],
        json!([
            "kinesis:PutRecord",
            "kinesis:PutRecords",
            "kinesis:DescribeStreamSummary",
            "kinesis:ListShards"
        ])
    );

    // What Buzz saved: our target enabled, the webhook exactly as it was.
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let targets = kinesis_targets(&config);
    assert_eq!(targets.len(), 1, "{config}");
    assert_eq!(targets[0]["enabled"], json!(true));
    assert_eq!(targets[0]["targetKinesisStream"], json!(names.stream));
    assert_eq!(targets[0]["roleArn"], json!(harness::role_arn(&names.role)));
    assert_eq!(targets[0]["targetRegion"], json!(harness::REGION));
    assert_eq!(config["https"], webhook_config()["https"]);

    // What Buzz wrote into the stream: its probe, then the change notice.
    let types = event_types(&names.stream);
    assert!(
        types.contains(&"ValidateDataStreamConfiguration".to_owned()),
        "{types:?}"
    );
    assert_eq!(
        types.last().map(String::as_str),
        Some("DataStreamConfigurationChanged"),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_second_run_changes_nothing_and_makes_no_mutating_call() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let events_before = event_types(&names.stream);
    assert_eq!(
        events_before.last().map(String::as_str),
        Some("DataStreamConfigurationCreated"),
        "a domain with no configuration gets Created"
    );
    let log_before = sandbox.request_log().await.len();

    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["changed"], json!(false));
    for r in ["stream", "role", "buzz"] {
        assert_eq!(report[r]["outcome"], "unchanged", "{r}: {report}");
    }
    assert_eq!(report["api_calls"]["mutating"], json!(0), "{report}");
    let log = sandbox.request_log().await;
    assert!(
        buzz_sets(&log[log_before..]).is_empty(),
        "no set on a converged run: {:?}",
        &log[log_before..]
    );
    assert_eq!(
        harness::read_events(&names.stream).len(),
        events_before.len(),
        "Buzz was not asked to test again"
    );

    // The human report says so too.
    let human = Tool::setup(&sandbox, &names)
        .args(["--output", "human"])
        .run();
    human.assert_success();
    assert!(human.stdout.contains("Already set up"), "{}", human.stdout);
}

#[tokio::test]
async fn setup_waits_out_iam_propagation_by_polling_not_sleeping() {
    let delay = 8;
    let sandbox = Sandbox::start(SandboxOptions::new().iam_propagation_delay(delay));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).args(["-v"]).run();
    out.assert_success();
    // The sandbox refused Buzz's test until the role was `delay` seconds old, so setup must have
    // retried, and finished soon after the role became assumable. (The benchmark measures the
    // margin precisely; here a generous bound only catches a fixed long sleep.)
    let log = sandbox.request_log().await;
    let refused = buzz_sets(&log).iter().filter(|e| e["code"] != "OK").count();
    assert!(
        refused >= 3,
        "setup retried the test while IAM propagated: {log:?}"
    );
    assert!(
        out.took.as_secs_f64() >= delay as f64 - 1.0,
        "took {:?}",
        out.took
    );
    assert!(
        out.took.as_secs_f64() < delay as f64 + 4.0,
        "took {:?}: polling should end soon after the delay",
        out.took
    );
}

#[tokio::test]
async fn a_run_killed_after_any_mutating_call_is_finished_by_the_next_run() {
    // Count the mutating calls of a fresh setup, then kill a fresh setup right after each.
    let reference = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let out = Tool::setup(&reference, &Names::new()).run();
    out.assert_success();
    let mutations = out.json()["api_calls"]["mutating"].as_u64().unwrap();
    assert_eq!(
        mutations, 6,
        "CreateStream, AddTagsToStream, StartStreamEncryption, CreateRole, PutRolePolicy, Buzz's save"
    );
    for n in 1..=mutations {
        let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
        let names = Names::new();
        let killed = Tool::setup(&sandbox, &names)
            .env("BUZZ_KINESIS_TEST_ABORT_AFTER_MUTATIONS", &n.to_string())
            .run();
        assert_eq!(
            killed.code, None,
            "run {n} should have been killed: {}",
            killed.stderr
        );

        let out = Tool::setup(&sandbox, &names).run();
        out.assert_success();
        let config = sandbox.domain_config(DOMAIN_ID).await;
        let targets = kinesis_targets(&config);
        assert_eq!(targets.len(), 1, "after kill {n}: {config}");
        assert_eq!(targets[0]["enabled"], json!(true));
        assert_eq!(config["https"], webhook_config()["https"], "after kill {n}");
        let (max_session, trust) = role_view(&names.role);
        assert_eq!(max_session, 43_200);
        assert_eq!(
            trusted(&trust),
            [format!("arn:aws:iam::{AGILIX_ACCOUNT}:root")]
        );
        assert!(inline_policy(&names.role).is_some());
        // A stream the killed run got to tag as ours is encrypted by the next one. (Killed
        // between CreateStream and tagging, the stream is not known to be ours, and is left
        // as it is, with the plan's note.)
        let tags = harness::aws_cli(&[
            "kinesis",
            "list-tags-for-stream",
            "--stream-name",
            &names.stream,
        ])["Tags"]
            .clone();
        if tags
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "managed-by", "Value": "buzz-kinesis"}))
        {
            let s = harness::aws_cli(&[
                "kinesis",
                "describe-stream-summary",
                "--stream-name",
                &names.stream,
            ])["StreamDescriptionSummary"]
                .clone();
            assert_eq!(s["KeyId"], "alias/aws/kinesis", "after kill {n}: {s}");
        }

        // And a third run has nothing left to do.
        let third = Tool::setup(&sandbox, &names).run();
        third.assert_success();
        assert_eq!(
            third.json()["api_calls"]["mutating"],
            json!(0),
            "after kill {n}"
        );
    }
}

#[tokio::test]
async fn buzz_faults_are_survived() {
    // 429 and 503 with Retry-After, a 500 and a dropped connection.
    let sandbox = Sandbox::start(SandboxOptions::new().faults(4, &["429", "503", "500", "drop"]));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let log = sandbox.request_log().await;
    assert!(
        log.iter().filter(|e| e["faulted"] == json!(true)).count() >= 4,
        "{log:?}"
    );
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
}

#[tokio::test]
async fn an_expired_session_mid_run_is_renewed_by_logging_in_again() {
    // Faults start after the login: the next command meets NoAuthentication (token revoked).
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .faults(1, &["noauth"])
            .arg("--faults-after")
            .arg("1"),
    );
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let logins = sandbox
        .request_log()
        .await
        .iter()
        .filter(|e| e["cmd"] == "login3")
        .count();
    assert_eq!(logins, 2, "logged in again once");
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
}

#[tokio::test]
async fn a_bearer_token_works_and_its_expiry_is_reported_plainly() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let run = |names: &Names| {
        Tool::setup(&sandbox, names)
            .without_env("BUZZ_PASSWORD")
            .env("BUZZ_TOKEN", &token)
            .run()
    };
    run(&Names::new()).assert_success();
    // A bearer token cannot be renewed by the tool: the error names Buzz's code.
    sandbox.expire_tokens().await;
    let out = run(&Names::new());
    out.assert_code(1);
    assert!(out.stderr.contains("NoAuthentication"), "{}", out.stderr);
    assert!(
        out.stderr.contains("BUZZ_TOKEN is expired"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn mfa_codes_are_taken_from_the_flag_or_demanded_by_name() {
    let sandbox = Sandbox::start(SandboxOptions::new().mfa_code("246810"));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("--buzz-otp") && out.stderr.contains("BUZZ_OTP"),
        "{}",
        out.stderr
    );

    Tool::setup(&sandbox, &names)
        .env("BUZZ_OTP", "246810")
        .run()
        .assert_success();
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
}

#[tokio::test]
async fn a_user_without_control_domain_gets_access_denied_with_the_error_id() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args(["--buzz-user", harness::TEACHER_USER])
        .env("BUZZ_PASSWORD", harness::TEACHER_PASSWORD)
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("AccessDenied"), "{}", out.stderr);
    assert!(out.stderr.contains("errorId"), "{}", out.stderr);
    assert!(
        out.stderr.contains("ControlDomain"),
        "the hint names the missing right: {}",
        out.stderr
    );
    assert_eq!(out.json()["error"]["code"], "AccessDenied");
    // Nothing was created: the failure came in the read-only preflight.
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
}

#[tokio::test]
async fn a_wrong_agilix_account_is_reported_with_buzz_s_message_after_no_retries() {
    // The sandbox plays Agilix account 210987654321; trust another and Buzz's test fails.
    // The role is new, so setup retries while IAM might be propagating; keep that short.
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args([
            "--agilix-account",
            "111111111111",
            "--propagation-timeout",
            "2",
        ])
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("sts:AssumeRole"), "{}", out.stderr);
    assert!(
        out.stderr.contains("check the role's trust"),
        "{}",
        out.stderr
    );
    assert!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).is_empty(),
        "nothing saved"
    );
}

#[tokio::test]
async fn dry_run_on_an_empty_account_lists_creates_and_changes_nothing() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).arg("--dry-run").run();
    out.assert_code(2);
    let plan = out.json();
    let kinds: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "create_stream",
            "tag_stream",
            "start_encryption",
            "create_role",
            "put_policy",
            "register_buzz_target"
        ]
    );
    assert_eq!(plan["api_calls"]["mutating"], json!(0));
    for a in plan["actions"].as_array().unwrap() {
        for key in ["resource", "kind", "before", "after"] {
            assert!(a.get(key).is_some(), "{key} in {a}");
        }
    }
    let create_role = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "create_role")
        .unwrap();
    assert_eq!(create_role["after"]["max_session_duration"], json!(43_200));
    assert!(harness::try_aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream
    ])
    .is_err());
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, webhook_config());
    assert!(buzz_sets(&sandbox.request_log().await).is_empty());

    Tool::setup(&sandbox, &names).run().assert_success();
    Tool::setup(&sandbox, &names)
        .arg("--dry-run")
        .run()
        .assert_code(0);
}

#[tokio::test]
async fn drift_is_planned_then_repaired() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();

    // Someone lowers the session limit and points the policy at another stream.
    harness::aws_cli(&[
        "iam",
        "update-role",
        "--role-name",
        &names.role,
        "--max-session-duration",
        "3600",
    ]);
    harness::put_role_policy(
        &names.role,
        "buzz-kinesis-write",
        &harness::writer_policy("another-stream"),
    );
    // A shortened session is raised only when asked (`--max-session 12h`; without it setup
    // refuses: tests/it/no_widening.rs).
    let dry = Tool::setup(&sandbox, &names)
        .args([
            "--dry-run",
            "--output",
            "human",
            "-v",
            "--max-session",
            "12h",
        ])
        .run();
    dry.assert_code(2);
    assert!(
        dry.stdout
            .contains(&format!("= stream {}: unchanged", names.stream)),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("= buzz kinesis target"),
        "-v lists unchanged resources: {}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("MaxSessionDuration 3600 -> 43200"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("update inline policy buzz-kinesis-write"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("another-stream"),
        "the diff shows the wrong resource: {}",
        dry.stdout
    );

    Tool::setup(&sandbox, &names)
        .args(["--max-session", "12h"])
        .run()
        .assert_success();
    assert_eq!(role_view(&names.role).0, 43_200);
    assert_eq!(
        inline_policy(&names.role).unwrap()["Statement"][0]["Resource"],
        json!(harness::stream_arn(&names.stream))
    );
    Tool::setup(&sandbox, &names)
        .arg("--dry-run")
        .run()
        .assert_code(0);
}

#[tokio::test]
async fn retention_is_raised_but_never_lowered_without_permission() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--retention-hours", "72"])
        .run()
        .assert_success();
    let hours = || {
        harness::aws_cli(&[
            "kinesis",
            "describe-stream-summary",
            "--stream-name",
            &names.stream,
        ])["StreamDescriptionSummary"]["RetentionPeriodHours"]
            .as_i64()
    };
    assert_eq!(hours(), Some(72));
    let out = Tool::setup(&sandbox, &names)
        .args(["--retention-hours", "24"])
        .run();
    out.assert_success();
    assert_eq!(hours(), Some(72), "kept");
    assert!(out.json()["notes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("--allow-retention-decrease"));
    Tool::setup(&sandbox, &names)
        .args(["--retention-hours", "24", "--allow-retention-decrease"])
        .run()
        .assert_success();
    assert_eq!(hours(), Some(24));
}

#[tokio::test]
async fn a_role_buzz_kinesis_did_not_create_is_only_changed_with_adopt() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    harness::create_stream(&names.stream);
    harness::create_role(
        &names.role,
        &harness::trust_policy(AGILIX_ACCOUNT, None),
        3600,
    );
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_code(1);
    assert!(out.stderr.contains("--adopt"), "{}", out.stderr);
    assert_eq!(role_view(&names.role).0, 3600, "untouched");

    Tool::setup(&sandbox, &names)
        .arg("--adopt")
        .run()
        .assert_success();
    assert_eq!(role_view(&names.role).0, 43_200);
}

#[tokio::test]
async fn secrets_stay_out_of_check_teardown_and_the_process_list() {
    // A propagation delay keeps setup running long enough to look at it from outside.
    let sandbox = Sandbox::start(SandboxOptions::new().iam_propagation_delay(3));
    let names = Names::new();
    let mut seen = Vec::new();
    let out = Tool::setup(&sandbox, &names)
        .arg("-vv")
        .run_watching(|pid| {
            if let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) {
                seen.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
            }
        });
    out.assert_success();
    assert!(
        seen.len() >= 10,
        "the process was watched while it ran ({} looks)",
        seen.len()
    );
    assert!(
        seen.iter().all(|c| !c.contains(harness::ADMIN_PASSWORD)),
        "the password is in argv"
    );
    for command in ["check", "teardown"] {
        for output in ["human", "json"] {
            let out = Tool::against(command, &sandbox, &names)
                .args(["-vv", "--output", output])
                .env("RUST_LOG", "trace")
                .run();
            assert!(out.code.is_some(), "{command} ran to an end");
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(
                !all.contains(harness::ADMIN_PASSWORD),
                "{command} --output {output} showed the password"
            );
        }
    }
}

#[tokio::test]
async fn secrets_never_appear_in_any_output() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    for verbosity in ["-v", "-vv"] {
        for output in ["human", "json"] {
            let out = Tool::setup(&sandbox, &names)
                .args([verbosity, "--output", output])
                .env("RUST_LOG", "trace")
                .run();
            out.assert_success();
            assert!(
                !out.stdout.contains(harness::ADMIN_PASSWORD)
                    && !out.stderr.contains(harness::ADMIN_PASSWORD)
            );
        }
    }
    let token = sandbox.login_admin().await;
    let out = Tool::setup(&sandbox, &names)
        .without_env("BUZZ_PASSWORD")
        .env("BUZZ_TOKEN", &token)
        .env("RUST_LOG", "trace")
        .arg("-vv")
        .run();
    out.assert_success();
    assert!(
        !out.stdout.contains(&token) && !out.stderr.contains(&token),
        "the token leaked"
    );
    // A failing login says what failed, not with what.
    let out = Tool::setup(&sandbox, &names)
        .env("BUZZ_PASSWORD", "wrong-password-123")
        .arg("-vv")
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("InvalidCredentials"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("wrong-password-123") && !out.stdout.contains("wrong-password-123")
    );
}

#[tokio::test]
async fn the_password_can_come_from_stdin_or_a_file() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .without_env("BUZZ_PASSWORD")
        .arg("--buzz-password-stdin")
        .stdin(&format!("{}\n", harness::ADMIN_PASSWORD))
        .run()
        .assert_success();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{}\n", harness::ADMIN_PASSWORD)).unwrap();
    Tool::setup(&sandbox, &names)
        .without_env("BUZZ_PASSWORD")
        .args(["--buzz-password-file", file.to_str().unwrap()])
        .run()
        .assert_success();
    let out = Tool::setup(&sandbox, &names)
        .without_env("BUZZ_PASSWORD")
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("BUZZ_PASSWORD"), "{}", out.stderr);
}

#[tokio::test]
async fn quirky_single_object_answers_are_understood() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .single_object_arrays()
            .seed_config(webhook_config()),
    );
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let second = Tool::setup(&sandbox, &names).run();
    second.assert_success();
    assert_eq!(
        second.json()["changed"],
        json!(false),
        "a one-element list sent as an object still matches"
    );
}

/// `parliament` (PyPI), the IAM policy linter: its JSON findings for a document.
fn parliament(document: &Value) -> String {
    let out = std::process::Command::new("parliament")
        .args(["--json", "--string", &document.to_string()])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run parliament (pip install parliament; scripts/ensure-tools does)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn applied_policies_are_least_privilege_by_the_parliament_linter() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let applied = inline_policy(&names.role).expect("applied");
    assert_eq!(parliament(&applied).trim(), "", "no findings on {applied}");
    // Exactly the four writer actions on one ARN; the trust admits one principal.
    let statements = applied["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0]["Resource"],
        json!(harness::stream_arn(&names.stream))
    );
    assert_eq!(trusted(&role_view(&names.role).1).len(), 1);
    // The customer-managed KMS variant adds one grant on one key, also clean.
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let with_kms = buzz_kinesis::iam::write_policy(&harness::stream_arn(&names.stream), Some(key));
    assert_eq!(
        parliament(&with_kms).trim(),
        "",
        "no findings on {with_kms}"
    );
    // The linter does speak up on a wide grant, so silence above means something.
    assert!(parliament(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]})).contains("RESOURCE_STAR"));
}

#[tokio::test]
async fn stream_and_target_options_reach_aws_and_buzz() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let options = [
        "--capacity-mode",
        "provisioned",
        "--shards",
        "2",
        "--retention-hours",
        "48",
        "--kms-key",
        "alias/aws/kinesis",
        "--tag",
        "team=data",
        "--tag",
        "cost-center=42",
        "--title",
        "District events",
        "--event",
        "UserEntityCreated",
        "--event",
        "CourseEntityChanged:courseID,newCourse.title",
    ];
    let out = Tool::setup(&sandbox, &names).args(options).run();
    out.assert_success();

    let s = &harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ])["StreamDescriptionSummary"];
    assert_eq!(s["StreamModeDetails"]["StreamMode"], "PROVISIONED");
    assert_eq!(s["OpenShardCount"], json!(2));
    assert_eq!(s["RetentionPeriodHours"], json!(48));
    assert_eq!(s["EncryptionType"], "KMS");
    let tags = harness::aws_cli(&[
        "kinesis",
        "list-tags-for-stream",
        "--stream-name",
        &names.stream,
    ])["Tags"]
        .clone();
    for (k, v) in [
        ("team", "data"),
        ("cost-center", "42"),
        ("managed-by", "buzz-kinesis"),
    ] {
        assert!(
            tags.as_array()
                .unwrap()
                .contains(&json!({"Key": k, "Value": v})),
            "{k}: {tags}"
        );
    }
    let role_tags =
        harness::aws_cli(&["iam", "list-role-tags", "--role-name", &names.role])["Tags"].clone();
    assert!(
        role_tags
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "team", "Value": "data"})),
        "{role_tags}"
    );
    // The AWS-managed key needs no extra grant.
    assert_eq!(
        inline_policy(&names.role).unwrap()["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let target = kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await)[0].clone();
    assert_eq!(target["title"], "District events");
    assert_eq!(
        target["filter"],
        json!([{"eventType": "UserEntityCreated", "properties": ""}, {"eventType": "CourseEntityChanged", "properties": "courseID,newCourse.title"}])
    );
    // Converged: the same options change nothing.
    let again = Tool::setup(&sandbox, &names).args(options).run();
    again.assert_success();
    again.assert_no_mutation();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_another_admin_saves_while_setup_waits_for_iam_is_kept() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .iam_propagation_delay(4)
            .seed_config(webhook_config()),
    );
    let names = Names::new();
    let tool = Tool::setup(&sandbox, &names);
    let run = tokio::task::spawn_blocking(move || tool.run());
    // While setup retries Buzz's test, someone adds a second webhook through Buzz.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut config = sandbox.domain_config(DOMAIN_ID).await;
    config["https"]
        .as_array_mut()
        .unwrap()
        .push(json!({"title": "added meanwhile", "enabled": true, "endpoints": "https://other.example.org/hook", "httpMethod": "POST"}));
    sandbox.set_domain_config(DOMAIN_ID, config.clone()).await;

    run.await.unwrap().assert_success();
    let saved = sandbox.domain_config(DOMAIN_ID).await;
    assert_eq!(saved["https"], config["https"], "both webhooks survive");
    assert_eq!(kinesis_targets(&saved).len(), 1);
}
