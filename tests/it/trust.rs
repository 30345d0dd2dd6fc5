//! Trust never widens unseen, and every AWS wait has a ceiling (issue 19, the AWS side):
//! permission boundaries weighed by `check`, the KMS grant only through Kinesis, a stalled AWS
//! endpoint ending in a clear error, a region outside Agilix's partition refused before any
//! change. Everything against moto and the sandbox.

use std::net::TcpListener;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions};
use crate::tool::*;

fn row<'a>(out: &'a Value, id: &str) -> &'a Value {
    out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}: {out}"))
}

/// A managed policy made with the AWS CLI; its ARN.
fn create_policy(document: &Value) -> String {
    let out = harness::aws_cli(&[
        "iam",
        "create-policy",
        "--policy-name",
        &harness::unique("policy"),
        "--policy-document",
        &document.to_string(),
    ]);
    out["Policy"]["Arn"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_permission_boundary_without_put_record_fails_check() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // A boundary that lets the role read the stream, not write to it.
    let boundary = create_policy(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kinesis:Describe*", "kinesis:List*"], "Resource": "*"}]}));
    harness::aws_cli(&[
        "iam",
        "put-role-permissions-boundary",
        "--role-name",
        &names.role,
        "--permissions-boundary",
        &boundary,
    ]);
    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_code(2);
    let policy = row(&out.json(), "role.policy").clone();
    assert_eq!(policy["status"], "fail", "{policy}");
    let message = policy["message"].as_str().unwrap();
    assert!(
        message.contains("kinesis:PutRecord") && message.contains(&boundary),
        "{message}"
    );

    // A boundary that keeps the writes in passes again.
    let wide = create_policy(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}));
    harness::aws_cli(&[
        "iam",
        "put-role-permissions-boundary",
        "--role-name",
        &names.role,
        "--permissions-boundary",
        &wide,
    ]);
    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_success();
    assert_eq!(row(&out.json(), "role.policy")["status"], "pass");
}

/// A TCP listener on loopback that accepts every connection and never answers: a stalled
/// endpoint (a black-holed proxy). The connections stay open until the test binary ends.
fn stalled_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    url
}

#[tokio::test]
async fn a_stalled_aws_endpoint_ends_check_with_a_clear_error() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = Tool::against("check", &sandbox, &names)
        .env("AWS_ENDPOINT_URL", &stalled_endpoint())
        .env("BUZZ_KINESIS_AWS_ATTEMPT_TIMEOUT", "1")
        .run();
    out.assert_code(1);
    // Three attempts of a second each, and the SDK's backoff between them: well within 15 s.
    assert!(out.took < Duration::from_secs(15), "took {:?}", out.took);
    let error = &out.json()["error"];
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("timed out after") && message.contains("waiting for AWS"),
        "names what it waited for: {error}"
    );
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("BUZZ_KINESIS_AWS_ATTEMPT_TIMEOUT")),
        "{error}"
    );
}

/// The trust document as moto holds it.
fn trust_of(role: &str) -> Value {
    role_view(role).1
}

fn refusal(out: &Outcome) -> String {
    out.assert_code(1);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "refused", "{error}");
    error["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_rerun_without_the_external_id_keeps_it_unless_asked_to_remove_it() {
    // Agilix (the sandbox) sends the district's id when it assumes the role.
    let sandbox = Sandbox::start(SandboxOptions::new().external_id("district-42"));
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--external-id", "district-42"])
        .run()
        .assert_success();
    let guarded = trust_of(&names.role);
    assert_eq!(
        guarded["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "district-42"
    );

    // The CI job lost BUZZ_EXTERNAL_ID: refused, the guard stays, nothing was changed.
    let lost = Tool::setup(&sandbox, &names).run();
    let message = refusal(&lost);
    assert!(
        message.contains("--remove-external-id") && message.contains("sts:ExternalId"),
        "{message}"
    );
    assert!(!message.contains("district-42"), "{message}");
    assert_eq!(trust_of(&names.role), guarded);
    // The dry run says the same before anything could happen.
    let dry = Tool::setup(&sandbox, &names).arg("--dry-run").run();
    assert!(refusal(&dry).contains("--remove-external-id"));

    // Asked for: removed (Buzz's test still passes: a trust without the condition admits an
    // AssumeRole that carries an id).
    Tool::setup(&sandbox, &names)
        .arg("--remove-external-id")
        .run()
        .assert_success();
    let bare = trust_of(&names.role);
    assert!(bare["Statement"][0].get("Condition").is_none(), "{bare}");
    assert_eq!(
        trusted(&bare),
        [format!("arn:aws:iam::{}:root", harness::AGILIX_ACCOUNT)]
    );
}

#[tokio::test]
async fn a_change_of_trusted_account_needs_replace_trust_and_is_shown_as_a_diff_of_the_trust() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let mut args = target_args(&sandbox, &names);
    let i = args.iter().position(|a| a == "--agilix-account").unwrap();
    args[i + 1] = "111122223333".into();
    // A mistyped account would hand the role over: refused, naming both accounts.
    let moved = Tool::new()
        .args(["setup", "--yes", "--output", "json"])
        .args(args.clone())
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    let message = refusal(&moved);
    assert!(
        message.contains("--replace-trust")
            && message.contains("arn:aws:iam::111122223333:root")
            && message.contains(&format!("arn:aws:iam::{}:root", harness::AGILIX_ACCOUNT)),
        "{message}"
    );
    assert_eq!(
        trusted(&trust_of(&names.role)),
        [format!("arn:aws:iam::{}:root", harness::AGILIX_ACCOUNT)],
        "nothing moved"
    );
    args.push("--replace-trust".into());
    let dry = Tool::new()
        .args(["setup", "--dry-run", "--output", "json"])
        .args(args.clone())
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    dry.assert_code(2);
    let plan = dry.json();
    let trust = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "update_trust")
        .cloned()
        .unwrap_or_else(|| panic!("{plan}"));
    assert_eq!(
        trust["summary"],
        format!(
            "update the trust policy: trusted account arn:aws:iam::{}:root -> arn:aws:iam::111122223333:root",
            harness::AGILIX_ACCOUNT
        )
    );
    // A person reads the same, with the lines that change.
    let human = Tool::new()
        .args(["setup", "--dry-run", "--output", "human"])
        .args(args)
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    human.assert_code(2);
    let line = |sign: &str, account: &str| {
        human.stdout.lines().any(|l| {
            l.trim_start().starts_with(sign)
                && l.contains(&format!("\"arn:aws:iam::{account}:root\""))
        })
    };
    assert!(
        line("-", harness::AGILIX_ACCOUNT) && line("+", "111122223333"),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn a_trust_that_admits_more_than_agilix_is_replaced_only_when_asked() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    harness::admit_second_principal(&names.role, &trust_of(&names.role));
    let before = trust_of(&names.role);
    let message = refusal(&Tool::setup(&sandbox, &names).run());
    assert!(
        message.contains("--replace-trust") && message.contains("arn:aws:iam::999999999999:root"),
        "{message}"
    );
    assert_eq!(trust_of(&names.role), before, "nothing changed");
    let out = Tool::setup(&sandbox, &names).arg("--replace-trust").run();
    out.assert_success();
    assert_eq!(
        trusted(&trust_of(&names.role)),
        [format!("arn:aws:iam::{}:root", harness::AGILIX_ACCOUNT)]
    );
}

/// A role someone else made: trusting Agilix, with an administrator's managed policy.
fn admin_role(role: &str) -> String {
    harness::create_role(
        role,
        &harness::trust_policy(harness::AGILIX_ACCOUNT, None),
        3600,
    );
    let admin = create_policy(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}));
    harness::aws_cli(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        role,
        "--policy-arn",
        &admin,
    ]);
    admin
}

#[tokio::test]
async fn adopt_refuses_an_admin_role_unless_asked_and_lists_what_else_it_can_do() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let admin = admin_role(&names.role);
    let message = refusal(&Tool::setup(&sandbox, &names).arg("--adopt").run());
    assert!(
        message.contains("--adopt-wider-role") && message.contains(&admin),
        "{message}"
    );
    assert!(inline_policy(&names.role).is_none(), "no policy added");
    assert_eq!(role_view(&names.role).0, 3600, "the role is untouched");

    // Asked for: the plan lists what else Agilix's account will be able to do.
    let dry = Tool::setup(&sandbox, &names)
        .args(["--adopt", "--adopt-wider-role", "--dry-run"])
        .run();
    dry.assert_code(2);
    let notes = dry.json()["notes"].to_string();
    assert!(
        notes.contains("--adopt-wider-role") && notes.contains(&admin),
        "{notes}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_made_by_someone_else_between_read_and_write_is_not_taken() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let role = names.role.clone();
    // Just before setup's CreateRole reaches IAM, someone else makes the role.
    let proxy = harness::AwsFaultProxy::start_racing(
        vec![],
        Some((
            "CreateRole",
            Box::new(move || {
                admin_role(&role);
            }),
        )),
    )
    .await;
    let out = tokio::task::block_in_place(|| {
        Tool::setup(&sandbox, &names)
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .run()
    });
    let message = refusal(&out);
    assert!(message.contains("--adopt"), "{message}");
    assert!(inline_policy(&names.role).is_none(), "no policy added");
    assert_eq!(role_view(&names.role).0, 3600, "the role is untouched");
    // With --adopt, its other policies are weighed as for a role found at the start.
    let role = names.role.clone() + "-b";
    let names_b = Names {
        stream: names.stream.clone(),
        role: role.clone(),
    };
    let proxy = harness::AwsFaultProxy::start_racing(
        vec![],
        Some((
            "CreateRole",
            Box::new(move || {
                admin_role(&role);
            }),
        )),
    )
    .await;
    let out = tokio::task::block_in_place(|| {
        Tool::setup(&sandbox, &names_b)
            .arg("--adopt")
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .run()
    });
    let message = refusal(&out);
    assert!(message.contains("--adopt-wider-role"), "{message}");
    assert!(inline_policy(&names_b.role).is_none(), "no policy added");
}

#[tokio::test]
async fn a_region_outside_agilixs_partition_is_refused_before_any_change() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    for region in ["cn-north-1", "us-gov-west-1"] {
        let out = Tool::setup(&sandbox, &names)
            .args(["--region", region])
            .run();
        let message = refusal(&out);
        assert!(
            message.contains(region) && message.contains("aws partition"),
            "{message}"
        );
        assert_eq!(out.json()["error"]["kind"], "refused");
    }
    for region in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
        assert!(
            harness::try_aws_cli(&[
                "kinesis",
                "describe-stream-summary",
                "--stream-name",
                &names.stream,
                "--region",
                region
            ])
            .is_err(),
            "no stream was made in {region}"
        );
    }
    assert!(
        harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err(),
        "no role was made"
    );
}

#[tokio::test]
async fn a_customer_managed_key_is_granted_only_through_kinesis_and_buzzs_test_accepts_it() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    // A key that exists: the sandbox resolves the stream's key with kms:DescribeKey, as the
    // grant must name it, and Kinesis refuses a write under a key KMS does not know.
    let key = harness::aws_cli(&["kms", "create-key", "--description", "district key"])
        ["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = key.as_str();
    // The sandbox's test weighs kms:GenerateDataKey through Kinesis, as AWS would.
    Tool::setup(&sandbox, &names)
        .args(["--kms-key", key])
        .run()
        .assert_success();
    let applied = inline_policy(&names.role).expect("applied");
    assert_eq!(
        applied["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"],
        "kinesis.us-east-1.amazonaws.com",
        "{applied}"
    );
    let out = Tool::against("check", &sandbox, &names)
        .args(["--kms-key", key])
        .run();
    out.assert_success();
    assert_eq!(row(&out.json(), "role.policy")["status"], "pass");

    // The grant without the condition (an older setup, a hand-made role) passes too.
    let mut bare = applied.clone();
    bare["Statement"][1]
        .as_object_mut()
        .unwrap()
        .remove("Condition");
    harness::put_role_policy(&names.role, "buzz-kinesis-write", &bare);
    let out = Tool::against("check", &sandbox, &names)
        .args(["--kms-key", key, "--probe"])
        .run();
    out.assert_success();

    // Limited to another service: Kinesis cannot use the key; check and Buzz's test say so.
    let mut s3 = applied;
    s3["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] =
        json!("s3.us-east-1.amazonaws.com");
    harness::put_role_policy(&names.role, "buzz-kinesis-write", &s3);
    let out = Tool::against("check", &sandbox, &names)
        .args(["--kms-key", key, "--probe"])
        .run();
    out.assert_code(2);
    let json = out.json();
    assert_eq!(row(&json, "role.policy")["status"], "fail", "{json}");
    assert!(
        json.to_string().contains("KMSAccessDeniedException"),
        "the sandbox's test refuses it: {json}"
    );
}
