//! No widening anywhere (#33): a re-run of `setup --yes`, as CI would make it, narrows or keeps
//! every role's trust, session length and inline policy, never widens them, unless a flag says
//! so. The writer role and Firehose's role by the same rules. Against moto and the sandbox.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox};
use crate::tool::*;

/// Someone sets a role's trust by hand.
fn set_trust(role: &str, trust: &Value) {
    harness::aws_cli(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        role,
        "--policy-document",
        &trust.to_string(),
    ]);
}

fn refusal(out: &Outcome) -> String {
    out.assert_code(1);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "refused", "{error}");
    error["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_trust_closed_by_a_deny_stays_closed() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // An incident responder cuts Agilix off.
    let closed = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
    set_trust(&names.role, &closed);
    for flag in [None, Some("--replace-trust")] {
        let out = Tool::setup(&sandbox, &names).args(flag).run();
        let message = refusal(&out);
        assert!(
            message.contains("never removes a Deny") && message.contains("sts:AssumeRole"),
            "{message}"
        );
        assert_eq!(role_view(&names.role).1, closed, "the role stays closed");
    }
}

#[tokio::test]
async fn a_trust_narrowed_to_one_agilix_role_is_kept() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let writer = format!("arn:aws:iam::{}:role/BuzzWriter", harness::AGILIX_ACCOUNT);
    let mut narrowed = role_view(&names.role).1;
    narrowed["Statement"][0]["Principal"]["AWS"] = json!(writer);
    set_trust(&names.role, &narrowed);
    Tool::setup(&sandbox, &names).run().assert_success();
    assert_eq!(trusted(&role_view(&names.role).1), [writer]);
    // check counts it as Agilix's: it admits nobody else.
    let out = Tool::against("check", &sandbox, &names).run();
    assert_ne!(
        out.check_row("role.trust")["status"],
        "fail",
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_shortened_session_is_raised_only_with_max_session_and_check_fails_on_it() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    harness::aws_cli(&[
        "iam",
        "update-role",
        "--role-name",
        &names.role,
        "--max-session-duration",
        "3600",
    ]);
    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_code(2);
    let row = out.check_row("role.max_session");
    assert_eq!(row["status"], "fail", "{row}");
    let said = row.to_string();
    assert!(
        said.contains("3600") && said.contains("43200") && said.contains("--max-session 12h"),
        "{said}"
    );

    let message = refusal(&Tool::setup(&sandbox, &names).run());
    assert!(
        message.contains("3600 s")
            && message.contains("43200 s")
            && message.contains("--max-session 12h"),
        "{message}"
    );
    assert_eq!(role_view(&names.role).0, 3600, "not raised");
    // Asked for, by its environment variable as CI would: raised.
    Tool::setup(&sandbox, &names)
        .env("BUZZ_KINESIS_MAX_SESSION", "12h")
        .run()
        .assert_success();
    assert_eq!(role_view(&names.role).0, 43200);
}

#[tokio::test]
async fn a_deny_added_to_our_policy_is_kept_and_a_condition_is_not_dropped() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let ours = inline_policy(&names.role).expect("ours");
    let mut fenced = ours.clone();
    let deny = json!({"Sid": "NoShardSplits", "Effect": "Deny", "Action": "kinesis:SplitShard", "Resource": "*"});
    fenced["Statement"]
        .as_array_mut()
        .unwrap()
        .push(deny.clone());
    harness::put_role_policy(&names.role, "buzz-kinesis-write", &fenced);
    Tool::setup(&sandbox, &names).run().assert_success();
    let kept = inline_policy(&names.role).unwrap();
    assert!(
        kept["Statement"].as_array().unwrap().contains(&deny),
        "{kept}"
    );

    // A condition on what ours grants: refused, the policy as it was.
    let mut narrowed = ours;
    narrowed["Statement"][0]["Condition"] = json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
    harness::put_role_policy(&names.role, "buzz-kinesis-write", &narrowed);
    let message = refusal(&Tool::setup(&sandbox, &names).run());
    assert!(message.contains("aws:SourceIp"), "{message}");
    assert_eq!(inline_policy(&names.role).unwrap(), narrowed);
}

/// Firehose's role as the AWS CLI shows it.
fn firehose_role(names: &Names) -> String {
    format!("{}-archive-firehose", names.stream)
}

#[tokio::test]
async fn firehoses_trust_is_the_documented_one_and_keeps_a_condition_someone_added() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = harness::unique("trust").to_ascii_lowercase();
    let archive = || Tool::setup(&sandbox, &names).args(["--archive-bucket", &bucket]);
    archive().run().assert_success();
    let role = firehose_role(&names);
    let documented = role_view(&role).1;
    assert_eq!(
        documented["Statement"][0]["Condition"],
        json!({"StringEquals": {"sts:ExternalId": harness::MOTO_ACCOUNT}}),
        "{documented}"
    );
    assert!(!documented.to_string().contains("aws:SourceAccount"));

    // The form an earlier version wrote is moved to the documented one unasked.
    let mut previous = documented.clone();
    previous["Statement"][0]["Condition"] =
        json!({"StringEquals": {"aws:SourceAccount": harness::MOTO_ACCOUNT}});
    set_trust(&role, &previous);
    archive().run().assert_success();
    assert_eq!(
        role_view(&role).1["Statement"][0]["Condition"],
        documented["Statement"][0]["Condition"]
    );

    // A security team pins it to our delivery stream: kept by every re-run.
    let source = format!(
        "arn:aws:firehose:us-east-1:{}:deliverystream/{}-archive",
        harness::MOTO_ACCOUNT,
        names.stream
    );
    let mut pinned = documented.clone();
    pinned["Statement"][0]["Condition"]["ArnLike"] = json!({"aws:SourceArn": source});
    set_trust(&role, &pinned);
    archive().run().assert_success();
    assert_eq!(
        role_view(&role).1["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
        source
    );

    // Another principal beside Firehose: refused, nothing changed.
    let mut wider = pinned.clone();
    wider["Statement"][0]["Principal"] =
        json!({"Service": ["firehose.amazonaws.com", "ec2.amazonaws.com"]});
    set_trust(&role, &wider);
    let message = refusal(&archive().run());
    assert!(
        message.contains("--replace-trust") && message.contains("ec2.amazonaws.com"),
        "{message}"
    );
}
