//! Registration against Buzzes that answer differently from our guesses: the code of a failed
//! target test (BadRequest, AccessDenied with AWS's own text, a code never seen), booleans as
//! strings, targets filed under another key; and the identity of a target (where it writes),
//! so a new role moves it and duplicates are merged; numbers in other targets kept exactly.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// The sandbox's IAM propagation delay in these tests (seconds).
const PROPAGATION: u64 = 6;

/// A sandbox whose failed tests answer with `code`, worded Buzz's way or AWS's.
fn failing_with(code: &str, style: &str) -> SandboxOptions {
    SandboxOptions::new()
        .iam_propagation_delay(PROPAGATION)
        .test_failure(code, style)
        .seed_config(webhook_config())
}

/// A fresh setup outlasts IAM propagation whatever code Buzz's failed test carries.
async fn fresh_setup_survives_propagation(code: &str, style: &str) {
    let sandbox = Sandbox::start(failing_with(code, style));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    let log = sandbox.request_log().await;
    let refused: Vec<&Value> = buzz_sets(&log)
        .into_iter()
        .filter(|e| e["code"] != "OK")
        .collect();
    assert!(
        refused.len() >= 3 && refused.iter().all(|e| e["code"] == code),
        "Buzz refused the test with {code} while IAM propagated, and setup retried: {log:?}"
    );
    // Generous bounds: the benchmark measures the margin; this catches giving up or sleeping.
    let took = out.took.as_secs_f64();
    assert!(
        (PROPAGATION as f64 - 1.0..PROPAGATION as f64 + 4.0).contains(&took),
        "took {took} s"
    );
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let targets = kinesis_targets(&config);
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0]["enabled"], json!(true));
    assert_eq!(config["https"], webhook_config()["https"]);
}

#[tokio::test]
async fn a_failed_test_answered_bad_request_is_retried_through_propagation() {
    fresh_setup_survives_propagation("BadRequest", "buzz").await;
}

#[tokio::test]
async fn a_failed_test_answered_access_denied_in_aws_words_is_retried_through_propagation() {
    fresh_setup_survives_propagation("AccessDenied", "aws").await;
}

#[tokio::test]
async fn a_failed_test_answered_with_a_code_never_seen_is_retried_through_propagation() {
    fresh_setup_survives_propagation("KinesisTargetValidationFailed", "buzz").await;
}

#[tokio::test]
async fn a_lasting_failure_quotes_buzz_and_counts_the_real_retries() {
    // The sandbox plays another Agilix account than the one the role trusts: no wait helps.
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .agilix_account("111111111111")
            .test_failure("AccessDenied", "aws"),
    );
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args(["--propagation-timeout", "2"])
        .run();
    out.assert_code(1);
    let err = &out.json()["error"];
    assert_eq!(err["code"], "AccessDenied");
    let text = &out.stderr;
    assert!(text.contains("sts:AssumeRole"), "Buzz's message: {text}");
    assert!(text.contains("errorId"), "Buzz's errorId: {text}");
    assert!(
        text.contains("could not assume the role") && text.contains("trust"),
        "the hint fits an AssumeRole failure: {text}"
    );
    assert!(
        text.contains("retried") && !text.contains("retried 0 time") && !text.contains("for 0 s"),
        "the true retrying: {text}"
    );
    assert!(kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).is_empty());
}

#[tokio::test]
async fn a_second_setup_with_another_role_moves_the_target_instead_of_adding_one() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let first = kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await);
    assert_eq!(first.len(), 1);

    let moved = Names {
        role: harness::unique("role2"),
        ..names.clone()
    };
    Tool::setup(&sandbox, &moved).run().assert_success();
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let targets = kinesis_targets(&config);
    assert_eq!(targets.len(), 1, "one target per stream: {config}");
    assert_eq!(targets[0]["roleArn"], json!(harness::role_arn(&moved.role)));
    assert_eq!(config["https"], webhook_config()["https"]);
    // And the next run with the new role changes nothing.
    let again = Tool::setup(&sandbox, &moved).run();
    again.assert_success();
    assert_eq!(again.json()["changed"], json!(false));
}

#[tokio::test]
async fn duplicate_targets_fail_check_and_setup_merges_them_and_teardown_removes_them() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // Someone pasted a second target for the same stream, with another role of the account.
    let mut config = sandbox.domain_config(DOMAIN_ID).await;
    let mut twin = kinesis_targets(&config)[0].clone();
    twin["title"] = json!("pasted by hand");
    twin["roleArn"] = json!(harness::role_arn("SomeOtherWriter"));
    config["kinesis"].as_array_mut().unwrap().push(twin);
    sandbox.set_domain_config(DOMAIN_ID, config).await;

    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_code(2);
    let row = check.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "buzz.target")
        .cloned()
        .unwrap();
    assert_eq!(row["status"], "fail");
    let message = row["message"].as_str().unwrap();
    assert!(
        message.contains("delivered 2 times") && message.contains("pasted by hand"),
        "{message}"
    );

    let plan = Tool::setup(&sandbox, &names).arg("--dry-run").run();
    plan.assert_code(2);
    let plan = plan.json();
    assert_eq!(plan["actions"][0]["kind"], "register_buzz_target");
    assert!(
        plan.to_string().contains("pasted by hand"),
        "the plan names what it merges: {plan}"
    );
    Tool::setup(&sandbox, &names).run().assert_success();
    let config = sandbox.domain_config(DOMAIN_ID).await;
    assert_eq!(kinesis_targets(&config).len(), 1);
    Tool::against("check", &sandbox, &names)
        .run()
        .assert_success();

    // Put the twin back: teardown removes everything writing to our stream.
    let mut config = sandbox.domain_config(DOMAIN_ID).await;
    let mut twin = kinesis_targets(&config)[0].clone();
    twin["roleArn"] = json!(harness::role_arn("SomeOtherWriter"));
    config["kinesis"].as_array_mut().unwrap().push(twin);
    sandbox.set_domain_config(DOMAIN_ID, config).await;
    Tool::against("teardown", &sandbox, &names)
        .run()
        .assert_success();
    let config = sandbox.domain_config(DOMAIN_ID).await;
    assert!(kinesis_targets(&config).is_empty(), "{config}");
    assert_eq!(config["https"], webhook_config()["https"]);
}

#[tokio::test]
async fn big_numbers_in_other_targets_are_kept_exactly_through_setup_rerun_and_teardown() {
    let seeded: Value = serde_json::from_str(
        r#"{"https": [{"title": "LMS webhook", "enabled": true, "endpoints": "https://lms.example.org/buzz",
            "httpMethod": "POST", "accountRef": 123456789012345678901234567, "weight": 1.10}]}"#,
    )
    .unwrap();
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(seeded.clone()));
    let names = Names::new();
    let exact = |config: &Value| {
        let text = config["https"].to_string();
        assert!(
            text.contains("123456789012345678901234567") && text.contains("1.10"),
            "{text}"
        );
        assert_eq!(config["https"], seeded["https"]);
    };
    Tool::setup(&sandbox, &names).run().assert_success();
    exact(&sandbox.domain_config(DOMAIN_ID).await);
    // A changed target makes the re-run send the configuration again.
    Tool::setup(&sandbox, &names)
        .args(["--title", "Renamed"])
        .run()
        .assert_success();
    exact(&sandbox.domain_config(DOMAIN_ID).await);
    Tool::against("teardown", &sandbox, &names)
        .run()
        .assert_success();
    exact(&sandbox.domain_config(DOMAIN_ID).await);
}

#[tokio::test]
async fn booleans_answered_as_strings_still_read_as_converged() {
    let sandbox = Sandbox::start(SandboxOptions::new().arg("--string-booleans"));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // The sandbox really answers the XML-born way.
    let token = sandbox.login_admin().await;
    let answer = sandbox
        .cmd_as(
            &token,
            json!({"request": {"cmd": "getdatastreamconfiguration", "domainid": DOMAIN_ID}}),
        )
        .await;
    assert_eq!(answer["kinesis"][0]["enabled"], json!("True"), "{answer}");
    let again = Tool::setup(&sandbox, &names).run();
    again.assert_success();
    assert_eq!(again.json()["changed"], json!(false));
    Tool::against("check", &sandbox, &names)
        .run()
        .assert_success();
}

#[tokio::test]
async fn targets_answered_under_an_unknown_key_stop_setup_before_anything_is_sent() {
    let other = json!({"kinesis": [{"title": "Analytics", "enabled": true, "targetKinesisStream": "analytics",
        "roleArn": harness::role_arn("AnalyticsWriter"), "targetRegion": "us-east-1"}]});
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .seed_config(other.clone())
            .arg("--get-kinesis-key")
            .arg("kinesisTargets"),
    );
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_code(1);
    assert!(out.stderr.contains("kinesisTargets"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    assert!(buzz_sets(&sandbox.request_log().await).is_empty());
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, other);
}

#[tokio::test]
async fn check_compares_event_filters_and_names_a_missing_agilix_account() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--event", "UserEntityCreated"])
        .run()
        .assert_success();
    Tool::against("check", &sandbox, &names)
        .args(["--event", "UserEntityCreated"])
        .run()
        .assert_success();

    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_code(2);
    let rows = out.json()["checks"].as_array().unwrap().clone();
    let row = |id: &str| rows.iter().find(|c| c["id"] == id).cloned().unwrap();
    assert_eq!(row("buzz.target")["status"], "fail");
    assert!(row("buzz.target")["message"]
        .as_str()
        .unwrap()
        .contains("event filters"));

    let out = Tool::against("check", &sandbox, &names)
        .args([
            "--event",
            "UserEntityCreated",
            "--agilix-account",
            "111111111111",
        ])
        .run();
    out.assert_code(2);
    let rows = out.json()["checks"].as_array().unwrap().clone();
    let trust = rows.iter().find(|c| c["id"] == "role.trust").unwrap();
    let message = trust["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the trust policy does not admit Agilix's account (arn:aws:iam::111111111111:root)"
        ),
        "{message}"
    );
}
