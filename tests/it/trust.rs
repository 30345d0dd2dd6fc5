//! Trust never widens unseen, and every AWS wait has a ceiling (issue 19, the AWS side):
//! permission boundaries weighed by `check`, the KMS grant only through Kinesis, a stalled AWS
//! endpoint ending in a clear error, a region outside Agilix's partition refused before any
//! change. Everything against moto and the sandbox.

use std::net::TcpListener;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{self, Sandbox};
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
