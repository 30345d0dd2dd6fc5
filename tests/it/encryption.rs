//! Encryption at rest against moto and the sandbox: a fresh setup encrypts the stream with the
//! AWS-managed key and Buzz's probe and everyday writes still get through (no extra grant); an
//! existing unencrypted stream is left as it is, with the plan line and a WARN in `check`, until
//! `--kms-key alias/aws/kinesis` encrypts it in place; a customer-managed key needs its
//! `kms:GenerateDataKey` grant, which the sandbox's AWS-side check enforces as Kinesis would,
//! and encrypts the alarm's topic too; `--no-encryption` opts out, said in the plan, the
//! summary and check.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, DOMAIN_ID};
use crate::tool::*;

fn summary(stream: &str) -> Value {
    harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        stream,
    ])["StreamDescriptionSummary"]
        .clone()
}

fn notes(out: &Outcome) -> Vec<String> {
    out.json()["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_fresh_setup_encrypts_the_stream_and_buzz_still_writes() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    let s = summary(&names.stream);
    assert_eq!(s["EncryptionType"], "KMS", "{s}");
    assert_eq!(s["KeyId"], "alias/aws/kinesis", "{s}");
    assert_eq!(
        out.json()["stream"]["encryption"],
        json!({"kms_key": "alias/aws/kinesis"}),
        "{}",
        out.stdout
    );
    // Buzz's test passed (setup saved the target), with no KMS grant on the role.
    assert_eq!(
        inline_policy(&names.role).unwrap()["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let before = harness::read_events(&names.stream).len();
    assert_eq!(sandbox.emit_events(DOMAIN_ID, 3).await, (3, 0));
    assert_eq!(harness::read_events(&names.stream).len(), before + 3);

    encryption_and_probe_pass(&sandbox, &names);
}

#[tokio::test]
async fn an_existing_unencrypted_stream_is_left_alone_until_asked_and_check_warns() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    harness::create_stream(&names.stream);

    let plan = Tool::setup(&sandbox, &names).arg("--dry-run").run();
    plan.assert_code(2);
    assert!(
        notes(&plan)
            .iter()
            .any(|n| n.contains("not encrypted at rest")
                && n.contains("--kms-key alias/aws/kinesis starts encryption without downtime")),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("start_encryption"), "{}", plan.stdout);

    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    assert_eq!(summary(&names.stream)["EncryptionType"], "NONE");
    assert_eq!(out.json()["stream"]["encryption"]["kms_key"], Value::Null);

    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let enc = check.check_row("stream.encryption");
    assert_eq!(enc["status"], "warn", "{enc}");
    assert!(
        enc["fix"]
            .as_str()
            .unwrap()
            .contains("--kms-key alias/aws/kinesis"),
        "{enc}"
    );

    // Asked: encrypted in place, Buzz's test passes again.
    let encrypt = Tool::setup(&sandbox, &names)
        .args(["--kms-key", "alias/aws/kinesis"])
        .run();
    encrypt.assert_success();
    assert_eq!(summary(&names.stream)["KeyId"], "alias/aws/kinesis");
    encryption_and_probe_pass(&sandbox, &names);
}

#[tokio::test]
async fn a_customer_managed_key_needs_its_grant_and_encrypts_the_alarm_topic() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let key = harness::aws_cli(&["kms", "create-key", "--description", "district key"])
        ["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let setup = || {
        Tool::setup(&sandbox, &names).args([
            "--kms-key",
            key.as_str(),
            "--alarm-email",
            "ops@example.edu",
        ])
    };
    let plan = setup().arg("--dry-run").run();
    assert!(
        notes(&plan)
            .iter()
            .any(|n| n.contains("cloudwatch.amazonaws.com") && n.contains(&key)),
        "the plan says what the key policy must allow: {}",
        plan.stdout
    );
    setup().run().assert_success();
    assert_eq!(summary(&names.stream)["KeyId"], json!(key));
    let topic = format!(
        "arn:aws:sns:us-east-1:{}:buzz-kinesis-{}-alarms",
        harness::MOTO_ACCOUNT,
        names.stream
    );
    let attributes = harness::aws_cli(&["sns", "get-topic-attributes", "--topic-arn", &topic])
        ["Attributes"]
        .clone();
    assert_eq!(attributes["KmsMasterKeyId"], json!(key), "{attributes}");

    // Without the grant on the key, Kinesis (and so the sandbox) refuses Buzz's write.
    harness::put_role_policy(
        &names.role,
        "buzz-kinesis-write",
        &harness::writer_policy(&names.stream),
    );
    let check = Tool::against("check", &sandbox, &names)
        .args(["--kms-key", key.as_str(), "--probe"])
        .run();
    check.assert_code(2);
    assert_eq!(check.check_row("role.policy")["status"], "fail");
    let probe = check.check_row("buzz.probe");
    assert_eq!(probe["status"], "fail", "{probe}");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .contains("kms:GenerateDataKey"),
        "{probe}"
    );
    // setup puts the grant back, and Buzz's test passes.
    setup().run().assert_success();
    let check = Tool::against("check", &sandbox, &names)
        .args(["--kms-key", key.as_str(), "--probe"])
        .run();
    check.assert_success();
    assert_eq!(check.check_row("buzz.probe")["status"], "pass");
}

#[tokio::test]
async fn no_encryption_makes_an_unencrypted_stream_and_says_so() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let plan = Tool::setup(&sandbox, &names)
        .arg("--no-encryption")
        .arg("--dry-run")
        .run();
    plan.assert_code(2);
    assert!(
        notes(&plan)
            .iter()
            .any(|n| n.starts_with("--no-encryption: not encrypted at rest, as asked")),
        "the plan says why: {}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("start_encryption"), "{}", plan.stdout);

    let out = Tool::setup(&sandbox, &names).arg("--no-encryption").run();
    out.assert_success();
    assert_eq!(summary(&names.stream)["EncryptionType"], "NONE");
    assert_eq!(
        out.json()["stream"]["encryption"],
        json!({"kms_key": null, "reason": "--no-encryption"}),
        "the summary says so: {}",
        out.stdout
    );
    // Buzz still writes, and check, told the same, passes the row with the reason.
    let check = Tool::against("check", &sandbox, &names)
        .args(["--no-encryption", "--probe"])
        .run();
    check.assert_success();
    let enc = check.check_row("stream.encryption");
    assert_eq!(enc["status"], "pass", "{enc}");
    assert!(
        enc["message"].as_str().unwrap().contains("--no-encryption"),
        "{enc}"
    );
    assert_eq!(check.check_row("buzz.probe")["status"], "pass");
    // With a key as well, nothing is sent: the two exclude each other.
    let both = Tool::setup(&sandbox, &names)
        .args(["--no-encryption", "--kms-key", "alias/aws/kinesis"])
        .run();
    both.assert_code(1);
    assert!(both.stderr.contains("--kms-key"), "{}", both.stderr);
}

/// `check --probe` passes both the stream's encryption row and Buzz's probe through the sandbox.
fn encryption_and_probe_pass(sandbox: &Sandbox, names: &Names) {
    let check = Tool::against("check", sandbox, names).arg("--probe").run();
    check.assert_success();
    assert_eq!(check.check_row("stream.encryption")["status"], "pass");
    assert_eq!(check.check_row("buzz.probe")["status"], "pass");
}
