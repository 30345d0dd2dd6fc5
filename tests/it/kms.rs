//! The roles' KMS grants follow the key the stream really has, against moto's KMS: a district
//! stream already encrypted under its own alias (`alias/district-...`, a customer-managed key)
//! gets both roles (Buzz's writer, Firehose's) granted that key by its ARN without `--kms-key`;
//! `check` fails naming the key once the writer's grant is gone; `--kms-key` naming another
//! key is refused before any change; a caller refused `kms:DescribeKey` is told so, before any
//! change. (moto checks no KMS grant: these tests read the policies back.)

use serde_json::Value;

use std::time::Duration;

use crate::harness::{self, aws_cli, fault, try_aws_cli, AwsFaultProxy, Sandbox, SandboxOptions};
use crate::tool::*;

fn district_key() -> (String, String) {
    harness::aliased_key("district-data")
}

fn stream_encrypted_with(stream: &str, key: &str) {
    harness::encrypted_stream(stream, key);
}

fn key_id(stream: &str) -> Value {
    aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        stream,
    ])["StreamDescriptionSummary"]["KeyId"]
        .clone()
}

/// The statement of `policy` that allows `action`, if any.
fn statement_allowing(policy: &Value, action: &str) -> Option<Value> {
    policy["Statement"]
        .as_array()?
        .iter()
        .find(|s| s["Action"].to_string().contains(action))
        .cloned()
}

fn firehose_policy(stream: &str) -> Value {
    let role = format!("{stream}-archive-firehose");
    let out = aws_cli(&[
        "iam",
        "get-role-policy",
        "--role-name",
        &role,
        "--policy-name",
        "buzz-kinesis-archive",
    ]);
    out["PolicyDocument"].clone()
}

fn bucket() -> String {
    harness::unique("kms-archive").to_ascii_lowercase()
}

fn error_message(out: &Outcome) -> String {
    let e = &out.json()["error"];
    format!(
        "{} {}",
        e["message"].as_str().unwrap_or_default(),
        e["hint"].as_str().unwrap_or_default()
    )
}

#[tokio::test]
async fn a_stream_under_a_district_alias_gets_both_roles_granted_its_key_by_arn() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    let (alias, arn) = district_key();
    stream_encrypted_with(&names.stream, &alias);

    // No --kms-key: the plan names the stream's key, with its ARN, and why.
    let setup =
        || Tool::setup(&sandbox, &names).args(["--aws-only", "--archive-bucket", bucket.as_str()]);
    let plan = setup().arg("--dry-run").run();
    plan.assert_code(2);
    let report = plan.json();
    assert_eq!(report["encryption"]["key_arn"], arn, "{}", plan.stdout);
    assert!(
        report["notes"].as_array().unwrap().iter().any(|n| {
            let m = n["message"].as_str().unwrap_or_default();
            m.contains(&format!("the stream is encrypted with {alias} ({arn})"))
                && m.contains("kms:GenerateDataKey")
                && m.contains("kms:Decrypt")
        }),
        "{}",
        plan.stdout
    );

    setup().run().assert_success();
    assert_eq!(
        key_id(&names.stream),
        alias,
        "the stream's key is left as it is"
    );
    // The writer role may use the key, named by its ARN, through Kinesis.
    let writer = inline_policy(&names.role).unwrap();
    let grant =
        statement_allowing(&writer, "kms:GenerateDataKey").unwrap_or_else(|| panic!("{writer}"));
    assert_eq!(grant["Resource"], arn, "{writer}");
    // Firehose's role may decrypt it, by its ARN, through Kinesis (and S3).
    let firehose = firehose_policy(&names.stream);
    let grant =
        statement_allowing(&firehose, "kms:Decrypt").unwrap_or_else(|| panic!("{firehose}"));
    assert_eq!(grant["Resource"], arn, "{firehose}");
    assert!(
        grant["Condition"]["StringEquals"]["kms:ViaService"]
            .to_string()
            .contains("kinesis.us-east-1.amazonaws.com"),
        "{grant}"
    );
    // A re-run changes nothing.
    let again = setup().run();
    again.assert_success();
    assert_eq!(again.json()["api_calls"]["mutating"], 0, "{}", again.stdout);

    // The writer's grant removed: check fails, naming the key and the fix.
    harness::put_role_policy(
        &names.role,
        "buzz-kinesis-write",
        &harness::writer_policy(&names.stream),
    );
    let check = Tool::against("check", &sandbox, &names)
        .args(["--aws-only", "--archive-bucket", bucket.as_str()])
        .run();
    check.assert_code(2);
    let row = check.check_row("role.policy");
    assert_eq!(row["status"], "fail", "{row}");
    let message = row["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("KMS key {alias} ({arn}) (kms:GenerateDataKey)")),
        "{row}"
    );
    assert!(
        row["fix"].as_str().unwrap().contains("buzz-kinesis setup"),
        "{row}"
    );
    // setup puts it back, and check passes both roles again.
    setup().run().assert_success();
    let check = Tool::against("check", &sandbox, &names)
        .args(["--aws-only", "--archive-bucket", bucket.as_str()])
        .run();
    assert_eq!(
        check.check_row("role.policy")["status"],
        "pass",
        "{}",
        check.stdout
    );
    assert_eq!(
        check.check_row("archive.role")["status"],
        "pass",
        "{}",
        check.stdout
    );
}

#[tokio::test]
async fn kms_key_naming_another_key_than_the_streams_is_refused_before_any_change() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let (alias, arn) = district_key();
    let (_, other) = district_key();
    stream_encrypted_with(&names.stream, &alias);

    let out = Tool::setup(&sandbox, &names)
        .args(["--aws-only", "--kms-key", other.as_str()])
        .run();
    out.assert_code(1);
    let message = error_message(&out);
    assert!(
        message.contains(&format!(
            "encrypted with {alias} ({arn}), not with --kms-key {other}"
        )),
        "both keys named: {message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
    assert_eq!(key_id(&names.stream), alias, "the stream keeps its key");
    assert!(
        try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err(),
        "no role was made"
    );

    // The same key by its ARN agrees with the stream's alias.
    Tool::setup(&sandbox, &names)
        .args(["--aws-only", "--kms-key", arn.as_str()])
        .run()
        .assert_success();
    assert_eq!(key_id(&names.stream), alias);
    let writer = inline_policy(&names.role).unwrap();
    assert_eq!(
        statement_allowing(&writer, "kms:GenerateDataKey").unwrap()["Resource"],
        arn
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_refused_describe_key_is_told_so_before_any_change() {
    let proxy =
        AwsFaultProxy::start(vec![fault("DescribeKey", 400, "AccessDeniedException", 10)]).await;
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let (alias, _) = district_key();
    stream_encrypted_with(&names.stream, &alias);

    let out = tokio::task::block_in_place(|| {
        Tool::setup(&sandbox, &names)
            .arg("--aws-only")
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .run()
    });
    out.assert_code(1);
    assert!(proxy.hits("DescribeKey") >= 1, "the key was described");
    let message = error_message(&out);
    assert!(
        message.contains(&format!("kms:DescribeKey on the key {alias}"))
            && message.contains("AccessDeniedException")
            && message.contains("Nothing was changed"),
        "{message}"
    );
    assert!(
        try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err(),
        "no role was made"
    );
}

/// The whole path under a district's own key, with Buzz and Firehose as the sandbox plays them:
/// Agilix's PutRecord needs `kms:GenerateDataKey` on the key's ARN (an alias in the policy
/// would grant nothing), Firehose's read `kms:Decrypt` through Kinesis. Without `--kms-key`,
/// setup's roles carry both, so Buzz's test passes and every event Buzz sends is archived.
#[tokio::test]
async fn under_a_district_key_buzz_writes_and_firehose_archives_without_kms_key() {
    let names = Names::new();
    let bucket = bucket();
    let delivery = buzz_kinesis::archive::delivery_stream_of(&names.stream);
    let sandbox = Sandbox::start(SandboxOptions::new().play_firehose(300, &[&delivery]));
    let (alias, _) = district_key();
    stream_encrypted_with(&names.stream, &alias);

    Tool::setup(&sandbox, &names)
        .args(["--archive-bucket", bucket.as_str()])
        .run()
        .assert_success();
    assert_eq!(
        sandbox
            .emit_shaped(
                harness::DOMAIN_ID,
                "UserEntityCreated",
                3,
                "2026-01-01T08:00:00.0000000Z",
                1
            )
            .await,
        (3, 3)
    );
    // Buzz's own probe and configuration event are in the stream too: every event is archived.
    let events: usize = harness::read_records(&names.stream)
        .iter()
        .map(|r| r.lines().count())
        .sum();
    let report = sandbox
        .wait_for_delivery(&delivery, events as u64, 0, Duration::from_secs(60))
        .await;
    assert_eq!(report["lastError"], Value::Null, "{report}");
}
