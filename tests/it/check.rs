//! `setup --dry-run` and `check` against drift made behind the tool's back with the AWS CLI
//! and the sandbox: each drift shows as the right planned action and the right failed check,
//! setup repairs it, and check passes again.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// Something changed behind setup's back.
#[derive(Debug, Clone, Copy)]
enum Drift {
    MaxSessionShortened,
    PolicyDeleted,
    PolicyOnAnotherStream,
    SecondPrincipalTrusted,
    DenyAdded,
    RetentionLowered,
    BuzzTargetDisabled,
    BuzzTargetRemoved,
}

fn check_run(sandbox: &Sandbox, names: &Names, extra: &[&str]) -> Outcome {
    Tool::against("check", sandbox, names)
        .args(extra.iter().copied())
        .run()
}

fn failed_ids(out: &Outcome) -> Vec<String> {
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn drift(d: Drift, sandbox: &Sandbox, names: &Names) {
    let role = names.role.as_str();
    match d {
        Drift::MaxSessionShortened => {
            harness::aws_cli(&[
                "iam",
                "update-role",
                "--role-name",
                role,
                "--max-session-duration",
                "3600",
            ]);
        }
        Drift::PolicyDeleted => {
            harness::aws_cli(&[
                "iam",
                "delete-role-policy",
                "--role-name",
                role,
                "--policy-name",
                "buzz-kinesis-write",
            ]);
        }
        Drift::PolicyOnAnotherStream => {
            harness::put_role_policy(
                role,
                "buzz-kinesis-write",
                &harness::writer_policy("another-stream"),
            );
        }
        Drift::SecondPrincipalTrusted => harness::admit_second_principal(
            role,
            &harness::trust_policy(harness::AGILIX_ACCOUNT, None),
        ),
        Drift::DenyAdded => {
            let mut policy = harness::writer_policy(&names.stream);
            policy["Statement"]
                .as_array_mut()
                .unwrap()
                .push(json!({"Effect": "Deny", "Action": "kinesis:PutRecord*", "Resource": "*"}));
            harness::put_role_policy(role, "buzz-kinesis-write", &policy);
        }
        Drift::RetentionLowered => {
            harness::aws_cli(&[
                "kinesis",
                "decrease-stream-retention-period",
                "--stream-name",
                &names.stream,
                "--retention-period-hours",
                "24",
            ]);
        }
        Drift::BuzzTargetDisabled => {
            let mut config = sandbox.domain_config(DOMAIN_ID).await;
            config["kinesis"][0]["enabled"] = json!(false);
            sandbox.set_domain_config(DOMAIN_ID, config).await;
        }
        Drift::BuzzTargetRemoved => {
            let mut config = sandbox.domain_config(DOMAIN_ID).await;
            config.as_object_mut().unwrap().remove("kinesis");
            sandbox.set_domain_config(DOMAIN_ID, config).await;
        }
    }
}

/// Set up, drift, then: dry-run plans `action`, check fails `check_id` (only), setup repairs,
/// check passes, and the webhook target is untouched throughout.
async fn drift_is_found_and_repaired(d: Drift, action: &str, check_id: &str) {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    // Retention drift needs a requested retention above the minimum.
    let extra: &[&str] = if matches!(d, Drift::RetentionLowered) {
        &["--retention-hours", "72"]
    } else {
        &[]
    };
    Tool::setup(&sandbox, &names)
        .args(extra.iter().copied())
        .run()
        .assert_success();
    let healthy = check_run(&sandbox, &names, extra);
    healthy.assert_success();
    assert!(failed_ids(&healthy).is_empty());

    drift(d, &sandbox, &names).await;

    // A trust that admits someone beside Agilix is replaced, and a shortened session raised,
    // only when asked.
    let repair: &[&str] = match d {
        Drift::SecondPrincipalTrusted => &["--replace-trust"],
        Drift::MaxSessionShortened => &["--max-session", "12h"],
        _ => &[],
    };
    let dry = Tool::setup(&sandbox, &names)
        .args(extra.iter().copied())
        .args(repair.iter().copied())
        .arg("--dry-run")
        .run();
    dry.assert_code(2);
    let kinds: Vec<Value> = dry.json()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!(action)], "{d:?}: {}", dry.stdout);

    let sick = check_run(&sandbox, &names, extra);
    sick.assert_code(2);
    assert_eq!(failed_ids(&sick), [check_id], "{d:?}: {}", sick.stdout);
    let failing = sick.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == check_id)
        .cloned()
        .unwrap();
    assert!(
        failing["fix"].as_str().is_some_and(|f| !f.is_empty()),
        "a fix is given: {failing}"
    );

    Tool::setup(&sandbox, &names)
        .args(extra.iter().copied())
        .args(repair.iter().copied())
        .run()
        .assert_success();
    let repaired = check_run(&sandbox, &names, extra);
    repaired.assert_success();
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await["https"],
        webhook_config()["https"]
    );
}

#[tokio::test]
async fn a_shortened_max_session_is_found_and_repaired() {
    drift_is_found_and_repaired(
        Drift::MaxSessionShortened,
        "update_max_session",
        "role.max_session",
    )
    .await;
}

#[tokio::test]
async fn a_deleted_policy_is_found_and_repaired() {
    drift_is_found_and_repaired(Drift::PolicyDeleted, "put_policy", "role.policy").await;
}

#[tokio::test]
async fn a_policy_on_another_stream_is_found_and_repaired() {
    drift_is_found_and_repaired(Drift::PolicyOnAnotherStream, "put_policy", "role.policy").await;
}

#[tokio::test]
async fn a_second_trusted_principal_is_found_and_repaired() {
    drift_is_found_and_repaired(Drift::SecondPrincipalTrusted, "update_trust", "role.trust").await;
}

/// A Deny someone added to our policy is found by check, and never removed by setup: it
/// refuses, naming it, and the policy stays as it is (#33).
#[tokio::test]
async fn an_added_deny_is_found_and_kept() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    drift(Drift::DenyAdded, &sandbox, &names).await;
    let drifted = inline_policy(&names.role);
    let sick = check_run(&sandbox, &names, &[]);
    sick.assert_code(2);
    assert_eq!(failed_ids(&sick), ["role.policy"], "{}", sick.stdout);
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_code(1);
    let message = out.json()["error"]["message"].to_string();
    assert!(
        message.contains("kinesis:PutRecord*") && message.contains("never removes a Deny"),
        "{message}"
    );
    assert_eq!(inline_policy(&names.role), drifted, "kept as it was");
}

#[tokio::test]
async fn lowered_retention_is_found_and_repaired() {
    drift_is_found_and_repaired(
        Drift::RetentionLowered,
        "increase_retention",
        "stream.retention",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_buzz_target_is_found_and_repaired() {
    drift_is_found_and_repaired(
        Drift::BuzzTargetDisabled,
        "register_buzz_target",
        "buzz.target",
    )
    .await;
}

#[tokio::test]
async fn a_removed_buzz_target_is_found_and_repaired() {
    drift_is_found_and_repaired(
        Drift::BuzzTargetRemoved,
        "register_buzz_target",
        "buzz.target",
    )
    .await;
}

#[tokio::test]
async fn check_probe_proves_the_path_and_reports_the_sandbox_refusal() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let saved = sandbox.domain_config(DOMAIN_ID).await;
    let events_before = harness::read_events(&names.stream).len();

    let ok = check_run(&sandbox, &names, &["--probe"]);
    ok.assert_success();
    let probe = ok.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "buzz.probe")
        .cloned()
        .unwrap();
    assert_eq!(probe["status"], "pass", "{probe}");
    assert_eq!(
        harness::read_events(&names.stream).len(),
        events_before + 1,
        "one new probe in the stream"
    );
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        saved,
        "the saved configuration stays as it was"
    );

    // Now the role cannot be assumed for 12 hours: Buzz refuses, and check says so.
    harness::aws_cli(&[
        "iam",
        "update-role",
        "--role-name",
        &names.role,
        "--max-session-duration",
        "3600",
    ]);
    let bad = check_run(&sandbox, &names, &["--probe"]);
    bad.assert_code(2);
    let probe = bad.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "buzz.probe")
        .cloned()
        .unwrap();
    assert_eq!(probe["status"], "fail");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .contains("MaxSessionDuration"),
        "the sandbox's message: {probe}"
    );
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, saved);
}

#[tokio::test]
async fn check_on_nothing_fails_every_resource_and_changes_nothing() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = check_run(&sandbox, &names, &[]);
    out.assert_code(2);
    assert_eq!(
        failed_ids(&out),
        ["stream.exists", "role.exists", "buzz.target"]
    );
    out.assert_no_mutation();
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
}

#[tokio::test]
async fn check_advises_on_capacity_for_the_expected_load() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "1"])
        .run()
        .assert_success();
    let out = check_run(
        &sandbox,
        &names,
        &[
            "--capacity-mode",
            "provisioned",
            "--shards",
            "1",
            "--expected-events-per-second",
            "5000",
        ],
    );
    out.assert_success();
    let cap = out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "stream.capacity")
        .cloned()
        .unwrap();
    assert_eq!(cap["status"], "warn", "{cap}");
    assert!(cap["fix"].as_str().unwrap().contains("8 shards"), "{cap}");
}
