//! Districts are trees (issue #20): a school's events reach every ancestor's targets with the
//! school's `domainId`. Set up at the district, `check` counts the schools' events as the
//! district's own and names how many schools there are; only a domain outside the tree is
//! foreign. The unknown answer shapes of `listdomains` are each played by a sandbox flag.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID, REGION};
use crate::tool::*;

/// A district (the main domain) with three schools; another tenant at a root of its own.
const DISTRICT: &str = "424242/500001,424242/500002,424242/500003";
const SCHOOLS: [&str; 3] = ["500001", "500002", "500003"];
const OUTSIDER: &str = "777777";

/// A check row by id.
fn row(out: &Outcome, id: &str) -> Value {
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id} row: {}", out.stdout))
}

fn plain(v: &Value) -> String {
    v.as_str()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii() || c.is_alphanumeric())
        .collect()
}

/// The outsider registers a target naming our role and stream (any Buzz tenant can).
async fn outsider_writes_into(sandbox: &Sandbox, names: &Names) {
    let token = sandbox.login_admin().await;
    let answer = sandbox
        .cmd_as(
            &token,
            json!({
                "cmd": "setdatastreamconfiguration",
                "domainid": OUTSIDER,
                "kinesis": [{
                    "title": "not yours",
                    "enabled": true,
                    "targetKinesisStream": names.stream,
                    "roleArn": harness::role_arn(&names.role),
                    "targetRegion": REGION,
                }],
            }),
        )
        .await;
    assert_eq!(answer["code"], "OK", "{answer}");
}

#[tokio::test]
async fn set_up_at_the_district_the_schools_events_are_its_own_and_an_outsider_is_still_flagged() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .domain_tree(DISTRICT)
            .other_domain(OUTSIDER),
    );
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    for school in SCHOOLS {
        assert_eq!(sandbox.emit_events(school, 2).await, (2, 0));
    }
    assert_eq!(sandbox.emit_events(DOMAIN_ID, 1).await, (1, 0));

    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let tree = row(&check, "buzz.tree");
    assert_eq!(tree["status"], "pass", "{tree}");
    assert_eq!(tree["data"]["descendants"], 3, "{tree}");
    assert_eq!(tree["data"]["ids"], json!(SCHOOLS), "{tree}");
    let writers = row(&check, "stream.writers");
    assert_eq!(writers["status"], "pass", "{writers}");
    assert!(
        plain(&writers["message"]).contains("424242 or its 3 descendant domain(s)"),
        "{writers}"
    );
    for school in SCHOOLS {
        assert_eq!(writers["data"]["by_domain"][school], 2, "{writers}");
    }

    // A domain outside the tree is still flagged, and only it.
    outsider_writes_into(&sandbox, &names).await;
    assert_eq!(sandbox.emit_events(OUTSIDER, 2).await, (2, 0));
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let writers = row(&check, "stream.writers");
    assert_eq!(writers["status"], "warn", "{writers}");
    let message = plain(&writers["message"]);
    assert!(message.contains("777777 ("), "{message}");
    for school in SCHOOLS {
        assert!(!message.contains(&format!("{school} (")), "{message}");
    }

    // tail reads no Buzz: it takes the ids check listed, and marks only the outsider.
    let mut expect: Vec<String> = vec!["--expect-domain".into(), DOMAIN_ID.into()];
    for id in row(&check, "buzz.tree")["data"]["ids"].as_array().unwrap() {
        expect.extend(["--expect-domain".into(), id.as_str().unwrap().to_owned()]);
    }
    let tail = Tool::new()
        .args(["tail", "--stream", &names.stream, "--from", "trim-horizon"])
        .args(["--timeout", "60", "--output", "json", "--limit"])
        .arg(writers["data"]["events"].as_u64().unwrap().to_string())
        .args(expect)
        .run();
    tail.assert_success();
    let events: Vec<Value> = tail
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty());
    for e in &events {
        let foreign = e["domainId"] == OUTSIDER;
        assert_eq!(e.get("foreign") == Some(&json!(true)), foreign, "{e}");
    }
    assert!(events.iter().any(|e| e["domainId"] == OUTSIDER));
}

/// `check` without a stream still reads the tree: the `buzz.tree` row of a sandbox started
/// with `options`.
fn tree_row(options: SandboxOptions) -> Value {
    let sandbox = Sandbox::start(options);
    let names = Names::new();
    let check = Tool::against("check", &sandbox, &names).run();
    row(&check, "buzz.tree")
}

#[tokio::test]
async fn every_known_shape_of_the_domain_list_reads_the_same_subtree() {
    for (what, options) in [
        ("nested", SandboxOptions::new()),
        ("flat", SandboxOptions::new().domain_list_shape("flat")),
        (
            "the domain itself listed",
            SandboxOptions::new().listdomains_includes_self(),
        ),
        (
            "flat, the domain itself listed",
            SandboxOptions::new()
                .domain_list_shape("flat")
                .listdomains_includes_self(),
        ),
    ] {
        let row = tree_row(options.domain_tree(DISTRICT));
        assert_eq!(row["status"], "pass", "{what}: {row}");
        assert_eq!(row["data"]["ids"], json!(SCHOOLS), "{what}: {row}");
    }
    // One school: a single object, not a list.
    let one = tree_row(
        SandboxOptions::new()
            .domain_tree("424242/500001")
            .single_object_arrays(),
    );
    assert_eq!(one["data"]["ids"], json!(["500001"]), "{one}");
    // None: `{}`.
    let none = tree_row(SandboxOptions::new().single_object_arrays());
    assert_eq!(none["status"], "pass", "{none}");
    assert_eq!(none["data"]["descendants"], 0, "{none}");
}

#[tokio::test]
async fn a_wide_district_is_read_page_by_page_whatever_the_servers_page_size() {
    let row = tree_row(
        SandboxOptions::new()
            .domain_tree("schools:230")
            .listdomains_page_cap(50),
    );
    assert_eq!(row["status"], "pass", "{row}");
    assert_eq!(row["data"]["descendants"], 230, "{row}");
    let ids = row["data"]["ids"].as_array().unwrap();
    assert_eq!(ids.first().unwrap(), "600001");
    assert_eq!(ids.last().unwrap(), "600230");
}

#[tokio::test]
async fn a_login_that_may_not_list_descendants_gets_one_warning_and_the_flat_rule() {
    for deny in ["descendants", "all"] {
        let row = tree_row(
            SandboxOptions::new()
                .domain_tree(DISTRICT)
                .deny_listdomains(deny),
        );
        assert_eq!(row["status"], "warn", "{deny}: {row}");
        assert!(plain(&row["message"]).contains("AccessDenied"), "{row}");
        assert!(
            row["fix"].as_str().unwrap().contains("--expect-domain"),
            "{row}"
        );
    }
}
