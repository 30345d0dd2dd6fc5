//! The JSON documents of `docs/json-output.md`, as the binary prints them: each carries
//! `"schema_version": 1` and exactly the top-level keys that page lists, so the page and the
//! tool cannot drift apart unnoticed.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::{Sandbox, AGILIX_ACCOUNT, DOMAIN_ID};
use crate::tool::*;

/// The document on stdout, checked for its version and its top-level keys.
#[track_caller]
fn document(out: &Outcome, keys: &[&str]) -> Value {
    let v = out.json();
    assert_eq!(v["schema_version"], json!(1), "{v}");
    let have: BTreeSet<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let want: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(have, want, "the keys docs/json-output.md lists: {v}");
    v
}

#[tokio::test]
async fn every_json_document_carries_its_schema_version_and_the_documented_keys() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();

    let dry = Tool::setup(&sandbox, &names).arg("--dry-run").run();
    dry.assert_code(2);
    let plan = document(
        &dry,
        &[
            "schema_version",
            "dry_run",
            "changed",
            "actions",
            "encryption",
            "notes",
            "warnings",
            "aws",
            "estimate",
            "api_calls",
        ],
    );
    for key in ["kind", "resource", "summary", "before", "after"] {
        assert!(plan["actions"][0].get(key).is_some(), "{key}: {plan}");
    }

    let setup = Tool::setup(&sandbox, &names).run();
    setup.assert_success();
    document(
        &setup,
        &[
            "schema_version",
            "changed",
            "stream",
            "role",
            "buzz",
            "buzz_half",
            "actions",
            "notes",
            "declined",
            "warnings",
            "aws",
            "api_calls",
            "seconds",
        ],
    );

    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let checked = document(
        &check,
        &[
            "schema_version",
            "ok",
            "checks",
            "domains",
            "aws",
            "api_calls",
        ],
    );
    assert_eq!(checked["domains"][0]["domain"], DOMAIN_ID, "{checked}");

    let policy = Tool::new()
        .args([
            "export",
            "--agilix-account",
            AGILIX_ACCOUNT,
            "--output",
            "json",
        ])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run();
    policy.assert_success();
    document(
        &policy,
        &[
            "schema_version",
            "role",
            "max_session_duration",
            "trust_policy",
            "policy_name",
            "permission_policy",
            "stream_arn",
            "account",
        ],
    );

    let dry = Tool::against("teardown", &sandbox, &names)
        .arg("--dry-run")
        .run();
    dry.assert_code(2);
    document(
        &dry,
        &[
            "schema_version",
            "dry_run",
            "changed",
            "removals",
            "notes",
            "aws",
            "api_calls",
        ],
    );

    let teardown = Tool::against("teardown", &sandbox, &names).run();
    teardown.assert_success();
    document(
        &teardown,
        &[
            "schema_version",
            "changed",
            "buzz",
            "role",
            "stream",
            "archive",
            "removals",
            "notes",
            "aws",
            "api_calls",
            "seconds",
        ],
    );

    let error = Tool::new()
        .args(["setup", "--output", "json", "--stream", "not a stream name"])
        .run();
    error.assert_code(1);
    let e = document(&error, &["schema_version", "error"]);
    assert_eq!(e["error"]["kind"], "invalid_value", "{e}");
    assert!(e["error"].get("code").is_some() && e["error"]["message"].is_string());
}
