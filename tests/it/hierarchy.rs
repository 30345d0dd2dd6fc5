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
    let setup = Tool::setup(&sandbox, &names).run();
    setup.assert_success();
    // The plan tells a person picking the district that its schools' events come too.
    let notes = setup.json()["notes"].to_string();
    assert!(
        plain(&json!(notes))
            .contains("events of the 3 domain(s) below domain 424242 will arrive too"),
        "{notes}"
    );
    for school in SCHOOLS {
        assert_eq!(sandbox.emit_events(school, 2).await, (2, 0));
    }
    assert_eq!(sandbox.emit_events(DOMAIN_ID, 1).await, (1, 0));

    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let tree = check.check_row("buzz.tree");
    assert_eq!(tree["status"], "pass", "{tree}");
    assert_eq!(tree["data"]["descendants"], 3, "{tree}");
    assert_eq!(tree["data"]["ids"], json!(SCHOOLS), "{tree}");
    let writers = check.check_row("stream.writers");
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
    let writers = check.check_row("stream.writers");
    assert_eq!(writers["status"], "warn", "{writers}");
    let message = plain(&writers["message"]);
    assert!(message.contains("777777 ("), "{message}");
    for school in SCHOOLS {
        assert!(!message.contains(&format!("{school} (")), "{message}");
    }

    // tail reads no Buzz: it takes the ids check listed, and marks only the outsider.
    let mut expect: Vec<String> = vec!["--expect-domain".into(), DOMAIN_ID.into()];
    for id in check.check_row("buzz.tree")["data"]["ids"]
        .as_array()
        .unwrap()
    {
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
    check.check_row("buzz.tree")
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

/// `teardown --buzz-only` of our target in `domain` (the stream and the role stay).
fn teardown_buzz_target(sandbox: &Sandbox, names: &Names, domain: &str) -> Outcome {
    Tool::buzz_half("teardown", sandbox, names)
        .at_domain(domain)
        .run()
}

#[tokio::test]
async fn a_school_target_on_the_districts_stream_fails_check_and_setup_at_the_school_refuses() {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree(DISTRICT));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let delivery = check.check_row("buzz.delivery");
    assert_eq!(delivery["status"], "pass", "{delivery}");
    assert_eq!(delivery["data"]["descendants_read"], 3, "{delivery}");

    // Setup at a school refuses, naming the district: its events arrive there already.
    let school = SCHOOLS[0];
    let refused = Tool::setup(&sandbox, &names).at_domain(school).run();
    refused.assert_code(1);
    let error = plain(&refused.json()["error"]["message"]);
    assert!(
        error.contains("424242") && error.contains("ancestor"),
        "{error}"
    );
    assert!(error.contains("twice"), "{error}");
    assert!(
        kinesis_targets(&sandbox.domain_config(school).await).is_empty(),
        "nothing saved at the school"
    );

    // A school target on the same stream (made behind the tool's back): check fails, naming it.
    let mut config = sandbox.domain_config(DOMAIN_ID).await;
    config["kinesis"][0]["title"] = json!("the school's own");
    sandbox
        .set_domain_config(school, json!({"kinesis": config["kinesis"].clone()}))
        .await;
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_code(2);
    let delivery = check.check_row("buzz.delivery");
    assert_eq!(delivery["status"], "fail", "{delivery}");
    let message = plain(&delivery["message"]);
    assert!(
        message.contains(&format!("every event of domain {school}"))
            && message.contains("arrives twice"),
        "{message}"
    );
    assert!(
        delivery["fix"]
            .as_str()
            .unwrap()
            .contains("teardown --domain"),
        "{delivery}"
    );

    // teardown --domain removes the named domain's target; the district's stays, check passes.
    teardown_buzz_target(&sandbox, &names, school).assert_success();
    assert!(kinesis_targets(&sandbox.domain_config(school).await).is_empty());
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    assert_eq!(check.check_row("buzz.delivery")["status"], "pass");
}

#[tokio::test]
async fn an_ancestors_configuration_the_login_may_not_read_is_a_warning_not_a_pass() {
    // The login is the district's; the state above it is out of its reach.
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree("state"));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let delivery = check.check_row("buzz.delivery");
    assert_eq!(delivery["status"], "warn", "{delivery}");
    let message = plain(&delivery["message"]);
    assert!(
        message.contains("400000") && message.contains("could not be read"),
        "{message}"
    );
}

/// Issue #20's speed target: a district of 200 schools, all descendants and their
/// configurations read within 3 s (the whole check, here), never more than 8 requests in flight.
/// Buzz takes 20 ms a command, so that the reads overlap as they would over the internet.
#[tokio::test]
async fn a_district_of_200_schools_is_read_within_3_s_with_at_most_8_requests_in_flight() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .domain_tree("schools:200")
            .latency_ms(20),
    );
    let names = Names::new();
    let check = Tool::against("check", &sandbox, &names).run();
    let tree = check.check_row("buzz.tree");
    assert_eq!(tree["data"]["descendants"], 200, "{tree}");
    let delivery = check.check_row("buzz.delivery");
    assert_eq!(delivery["data"]["descendants_read"], 200, "{delivery}");
    let state = sandbox.state().await;
    let gets = state["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cmd"] == "getdatastreamconfiguration")
        .count();
    assert_eq!(gets, 201, "the district's own and each school's");
    let most = state["mostInFlight"].as_u64().unwrap();
    eprintln!(
        "check of a district with 200 schools: {:.2} s, {gets} configurations, at most {most} Buzz requests in flight",
        check.took.as_secs_f64()
    );
    assert!((2..=8).contains(&most), "{most} requests in flight");
    assert!(check.took.as_secs_f64() <= 3.0, "{:?}", check.took);
}

/// A domain list where a run takes one (check's and setup's halves) is refused before
/// anything is sent, naming each domain, never acted on for the first alone.
#[tokio::test]
async fn a_domain_list_for_a_half_is_refused_before_anything_is_sent() {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree(DISTRICT));
    let names = Names::new();
    for command in ["check", "setup"] {
        let out = Tool::against(command, &sandbox, &names)
            .at_domain("500001,500002")
            .arg("--aws-only")
            .run();
        out.assert_code(1);
        let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("several domains in one run"), "{message}");
        assert!(message.contains("500001, 500002"), "{message}");
    }
    assert!(sandbox.request_log().await.is_empty(), "nothing was sent");
}

/// Ten sibling schools (`--domain-tree schools:10`) in one setup: one stream, one role, one
/// IAM wait; a re-run changes nothing; teardown of the ten removes every target.
#[tokio::test]
async fn ten_sibling_domains_converge_in_one_run_and_a_nested_pair_is_refused() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .domain_tree("schools:10")
            .iam_propagation_delay(6),
    );
    let ten: Vec<String> = (1..=10).map(|i| format!("{}", 600_000 + i)).collect();
    let list = ten.join(",");
    // Nested: the district and one of its schools.
    let names = Names::new();
    let nested = Tool::setup(&sandbox, &names)
        .at_domain(&format!("{DOMAIN_ID},600001"))
        .run();
    nested.assert_code(1);
    let message = plain(&nested.json()["error"]["message"]);
    assert!(
        message.contains("domain 424242 is an ancestor of domain 600001"),
        "{message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());

    // One domain, then ten, each on fresh names: the ten take about as long as the one.
    let tests_sent = |log: &[Value]| log.iter().filter(|e| e["test"] == true).count();
    let before = sandbox.request_log().await.len();
    let one_names = Names::new();
    let one = Tool::setup(&sandbox, &one_names).at_domain(&ten[0]).run();
    one.assert_success();
    let between = sandbox.request_log().await.len();
    let setup = Tool::setup(&sandbox, &names).at_domain(&list).run();
    setup.assert_success();
    let log = sandbox.request_log().await;
    let (one_tests, ten_tests) = (
        tests_sent(&log[before..between]),
        tests_sent(&log[between..]),
    );
    // One domain waits out IAM with its tests; the other nine follow once it passed, one
    // test each: Buzz is not sent ten times the tests of one wait.
    assert!(one_tests > 1, "the one domain met IAM's delay: {one_tests}");
    assert!(
        ten_tests <= one_tests + 9 + 2,
        "one {one_tests}, ten {ten_tests}"
    );
    eprintln!(
        "setup with 6 s of IAM propagation: one domain {:.2} s, ten sibling domains {:.2} s ({:.2}x)",
        one.took.as_secs_f64(),
        setup.took.as_secs_f64(),
        setup.took.as_secs_f64() / one.took.as_secs_f64()
    );
    let domains = setup.json()["domains"].as_array().unwrap().clone();
    assert_eq!(domains.len(), 10, "{domains:?}");
    assert!(
        domains.iter().all(|d| d["outcome"] == "created"),
        "{domains:?}"
    );
    assert_eq!(setup.json()["buzz"]["domain"], ten[0].as_str());
    for school in &ten {
        let targets = kinesis_targets(&sandbox.domain_config(school).await);
        let ours: Vec<&Value> = targets
            .iter()
            .filter(|t| t["targetKinesisStream"] == names.stream.as_str())
            .collect();
        assert_eq!(ours.len(), 1, "{school}: {targets:?}");
    }
    // How long the ten take beside the one is bench/'s scenario 6 (a timing asserted here failed
    // whenever the shared machine was loaded); the count of tests above is what holds the
    // schedule: one IAM wait, not ten.

    // Re-run: nothing to change.
    let again = Tool::setup(&sandbox, &names)
        .at_domain(&list)
        .arg("--dry-run")
        .run();
    again.assert_success();

    // teardown of the ten removes every target of ours, and the first run's stays.
    Tool::against("teardown", &sandbox, &names)
        .at_domain(&list)
        .run()
        .assert_success();
    for school in &ten {
        let targets = kinesis_targets(&sandbox.domain_config(school).await);
        assert!(
            targets
                .iter()
                .all(|t| t["targetKinesisStream"] != names.stream.as_str()),
            "{school}: {targets:?}"
        );
    }
    let first = kinesis_targets(&sandbox.domain_config(&ten[0]).await);
    assert_eq!(
        first.len(),
        1,
        "the one-domain run's target stays: {first:?}"
    );
}

/// The Buzz half of check (`--buzz-only`, no AWS access) sees the double delivery too.
#[tokio::test]
async fn check_buzz_only_names_the_double_delivery_too() {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree(DISTRICT));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let config = sandbox.domain_config(DOMAIN_ID).await;
    sandbox
        .set_domain_config(SCHOOLS[1], json!({"kinesis": config["kinesis"].clone()}))
        .await;
    let check = Tool::buzz_half("check", &sandbox, &names).run();
    check.assert_code(2);
    assert_eq!(check.check_row("buzz.tree")["data"]["descendants"], 3);
    let delivery = check.check_row("buzz.delivery");
    assert_eq!(delivery["status"], "fail", "{delivery}");
    assert!(
        plain(&delivery["message"]).contains(&format!("every event of domain {}", SCHOOLS[1])),
        "{delivery}"
    );
}

/// All rows with `id`.
fn rows(out: &Outcome, id: &str) -> Vec<Value> {
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .cloned()
        .collect()
}

/// `check` takes several domains (both halves): each one's target and tree is checked, their
/// events are all the user's own, and one domain's failure is shown with the others' passes.
#[tokio::test]
async fn check_takes_several_sibling_domains_and_one_failure_does_not_hide_the_others() {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree(DISTRICT));
    let names = Names::new();
    for school in &SCHOOLS[..2] {
        Tool::setup(&sandbox, &names)
            .at_domain(school)
            .run()
            .assert_success();
        assert_eq!(sandbox.emit_events(school, 2).await, (2, 0));
    }
    let check = Tool::against("check", &sandbox, &names)
        .at_domain(SCHOOLS[0])
        .args(["--domain", SCHOOLS[1], "--domain", SCHOOLS[2]])
        .run();
    check.assert_code(2);
    let targets = rows(&check, "buzz.target");
    let statuses: Vec<&str> = targets
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass", "pass", "fail"], "{targets:?}");
    assert!(
        plain(&targets[2]["message"]).contains(SCHOOLS[2]),
        "{targets:?}"
    );
    assert_eq!(rows(&check, "buzz.delivery").len(), 3);
    let writers = check.check_row("stream.writers");
    assert_eq!(writers["status"], "pass", "{writers}");
    assert_eq!(writers["data"]["expected"], json!(SCHOOLS), "{writers}");

    // The JSON's `domains`: one entry per domain in the order given, its own rows and its
    // worst status; `checks` keeps every row.
    let domains = check.json()["domains"].as_array().unwrap().clone();
    let each: Vec<(&str, &str)> = domains
        .iter()
        .map(|d| (d["domain"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        each,
        [
            (SCHOOLS[0], "pass"),
            (SCHOOLS[1], "pass"),
            (SCHOOLS[2], "fail")
        ],
        "{domains:?}"
    );
    for (d, target) in domains.iter().zip(&targets) {
        let ids: Vec<&str> = d["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["buzz.target", "buzz.tree", "buzz.delivery"], "{d}");
        assert_eq!(&d["checks"][0], target, "the same row as in `checks`");
    }

    // A person sees each domain's status on one line.
    let human = Tool::new()
        .args(["check", "--yes"])
        .args(target_args(&sandbox, &names))
        .at_domain(SCHOOLS[0])
        .args(["--domain", SCHOOLS[1], "--domain", SCHOOLS[2]])
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    human.assert_code(2);
    assert!(
        human.stdout.contains(&format!(
            "By domain: {} PASS, {} PASS, {} FAIL.",
            SCHOOLS[0], SCHOOLS[1], SCHOOLS[2]
        )),
        "{}",
        human.stdout
    );
}

/// teardown takes several domains: our target leaves each one, every other key is kept, and
/// the role goes once, after the last domain stopped sending to it.
#[tokio::test]
async fn teardown_of_several_sibling_domains_removes_every_target_then_the_role() {
    let (sandbox, names) = every_school_set_up();
    // A webhook beside ours in one school: kept.
    let mut with_hook = sandbox.domain_config(SCHOOLS[1]).await;
    with_hook["https"] =
        json!([{"title": "LMS webhook", "enabled": true, "url": "https://lms.example/hook"}]);
    sandbox.set_domain_config(SCHOOLS[1], with_hook).await;
    let teardown = Tool::against("teardown", &sandbox, &names)
        .at_domain(&SCHOOLS.join(","))
        .run();
    teardown.assert_success();
    for school in SCHOOLS {
        let config = sandbox.domain_config(school).await;
        assert!(kinesis_targets(&config).is_empty(), "{school}: {config}");
    }
    assert_eq!(
        sandbox.domain_config(SCHOOLS[1]).await["https"][0]["title"],
        "LMS webhook"
    );
    assert!(
        harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err(),
        "the role went once every domain stopped sending to it"
    );
    harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ]);
    let removals = teardown.json()["removals"].to_string();
    for school in SCHOOLS {
        assert!(removals.contains(school), "{removals}");
    }
    // Run again: nothing left to remove.
    Tool::against("teardown", &sandbox, &names)
        .at_domain(&SCHOOLS.join(","))
        .arg("--dry-run")
        .run()
        .assert_success();
}

/// One domain's refusal at Buzz's test (another target there fails it) does not stop the
/// others: they are registered, and the error names the failed domain and the ones done.
#[tokio::test]
async fn a_failure_in_one_domain_is_reported_with_the_others_done() {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree("schools:3"));
    let names = Names::new();
    // Buzz tests every kinesis target of a configuration before it saves: this one fails.
    sandbox
        .set_domain_config(
            "600002",
            json!({"kinesis": [{"title": "broken", "enabled": true,
                "targetKinesisStream": "nowhere", "targetRegion": REGION,
                "roleArn": harness::role_arn("NoSuchRole")}]}),
        )
        .await;
    let setup = Tool::setup(&sandbox, &names)
        .at_domain("600001,600002,600003")
        .args(["--propagation-timeout", "3"])
        .run();
    setup.assert_code(1);
    let error = &setup.json()["error"];
    assert_eq!(error["kind"], "partial", "{error}");
    let message = plain(&error["message"]);
    assert!(
        message.contains("1 of 3 domain(s) failed") && message.contains("- domain 600002: "),
        "{message}"
    );
    assert!(
        message.contains("done: domain(s) 600001, 600003"),
        "{message}"
    );
    // What was done stays done: a re-run changes only what is missing.
    assert!(
        plain(&error["hint"]).contains("the domains done stay done"),
        "{error}"
    );
    for school in ["600001", "600003"] {
        assert_eq!(
            kinesis_targets(&sandbox.domain_config(school).await).len(),
            1,
            "{school}"
        );
    }
    let broken = kinesis_targets(&sandbox.domain_config("600002").await);
    assert_eq!(
        broken.len(),
        1,
        "the failing domain keeps what it had: {broken:?}"
    );
}

/// teardown of several domains where Buzz refuses one (another target there fails Buzz's
/// test): the others are done, the error names the failed one beside them (kind `partial`),
/// and the role stays, since that domain may still send to it.
#[tokio::test]
async fn a_teardown_refused_in_one_domain_names_it_beside_the_others_done() {
    let (sandbox, names) = every_school_set_up();
    // Buzz tests every remaining kinesis target before it saves: this one fails it.
    let mut broken = sandbox.domain_config(SCHOOLS[1]).await;
    broken["kinesis"].as_array_mut().unwrap().push(json!({
        "title": "broken", "enabled": true, "targetKinesisStream": "nowhere",
        "targetRegion": REGION, "roleArn": harness::role_arn("NoSuchRole")}));
    sandbox.set_domain_config(SCHOOLS[1], broken).await;
    let teardown = Tool::against("teardown", &sandbox, &names)
        .at_domain(&SCHOOLS.join(","))
        .run();
    teardown.assert_code(1);
    let error = &teardown.json()["error"];
    assert_eq!(error["kind"], "partial", "{error}");
    let message = plain(&error["message"]);
    let done: Vec<&str> = SCHOOLS
        .iter()
        .copied()
        .filter(|s| *s != SCHOOLS[1])
        .collect();
    assert!(
        message.contains(&format!("- domain {}: ", SCHOOLS[1]))
            && message.contains(&format!("done: domain(s) {}", done.join(", "))),
        "{message}"
    );
    harness::aws_cli(&["iam", "get-role", "--role-name", &names.role]);
    for school in done {
        let config = sandbox.domain_config(school).await;
        assert!(kinesis_targets(&config).is_empty(), "{school}: {config}");
    }
}

/// A district whose schools each have our target, set up one by one.
fn every_school_set_up() -> (Sandbox, Names) {
    let sandbox = Sandbox::start(SandboxOptions::new().domain_tree(DISTRICT));
    let names = Names::new();
    for school in SCHOOLS {
        Tool::setup(&sandbox, &names)
            .at_domain(school)
            .run()
            .assert_success();
    }
    (sandbox, names)
}
