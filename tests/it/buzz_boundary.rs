//! What crosses the boundary to Buzz and back to the terminal (issue #19, the Buzz side): no
//! redirect is followed, so a password cannot be sent on to another host; every wait ends within
//! the run's deadline; reserved envelope keys stay ours; outside text reaches a terminal escaped
//! and JSON exact.

use serde_json::{json, Value};

use crate::harness::{
    self, Recorder, Sandbox, SandboxOptions, ADMIN_PASSWORD, DOMAIN_ID, MOTO_ACCOUNT, REGION,
};
use crate::tool::*;

#[test]
fn a_redirected_login_sends_no_password_on_and_names_the_location() {
    for status in [307, 308, 302] {
        let elsewhere = Recorder::start();
        let sandbox =
            Sandbox::start(SandboxOptions::new().redirect_to(elsewhere.url(), status, &["login3"]));
        let names = Names::new();
        let out = Tool::against("check", &sandbox, &names).run();
        out.assert_code(1);
        let error = &out.json()["error"];
        assert_eq!(error["kind"], "buzz_transport", "{status}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("HTTP {status}"))
                && message.contains(&format!("{}/cmd", elsewhere.url()))
                && message.contains("not followed"),
            "{status}: {message}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(elsewhere.connections(), 0, "{status}: nothing went there");
        assert!(!elsewhere.received().contains(ADMIN_PASSWORD));
        assert!(!out.stdout.contains(ADMIN_PASSWORD) && !out.stderr.contains(ADMIN_PASSWORD));
    }
}

#[test]
fn a_redirect_after_login_carries_no_token_and_changes_nothing() {
    let elsewhere = Recorder::start();
    let sandbox = Sandbox::start(SandboxOptions::new().redirect_to(
        elsewhere.url(),
        307,
        &["getdatastreamconfiguration"],
    ));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args(["--output", "human"])
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("redirect to") && out.stderr.contains(elsewhere.url()),
        "{}",
        out.stderr
    );
    assert_eq!(elsewhere.connections(), 0);
}

#[test]
fn a_retry_after_of_an_hour_ends_within_the_deadline_with_a_clear_error() {
    let sandbox = Sandbox::start(SandboxOptions::new().faults(50, &["429"]).retry_after(3600));
    let names = Names::new();
    let out = Tool::against("check", &sandbox, &names)
        .args(["--deadline", "4"])
        .run();
    out.assert_code(1);
    assert!(
        out.took < std::time::Duration::from_secs(20),
        "took {:?}",
        out.took
    );
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "timeout", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("timed out after 4 s")
            && message.contains("login3")
            && message.contains("HTTP 429")
            && message.contains("in 60 s"),
        "the cap and what it waited for: {message}"
    );
    assert!(error["hint"].as_str().unwrap().contains("--deadline"));
}

#[test]
fn a_deadline_out_of_range_is_refused_before_any_request() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    for bad in ["0", "86401", "99999999999999999999999", "soon"] {
        let out = Tool::against("check", &sandbox, &names)
            .args(["--deadline", bad])
            .run();
        out.assert_code(1);
        assert!(out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--deadline"));
    }
}

#[tokio::test]
async fn reserved_keys_in_buzz_s_answer_cannot_turn_the_save_into_a_test() {
    // A configuration whose answer carries `cmd`, `test` and `domainid` of its own.
    let mut seed = webhook_config();
    seed["test"] = json!(true);
    seed["cmd"] = json!("getstatus");
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(seed));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let saved = sandbox.domain_config(DOMAIN_ID).await;
    assert_eq!(
        kinesis_targets(&saved).len(),
        1,
        "saved, not only tested: {saved}"
    );
    assert_eq!(saved["https"], webhook_config()["https"]);
    let log = sandbox.request_log().await;
    assert!(
        log.iter()
            .any(|e| e["cmd"] == "setdatastreamconfiguration" && e["mutating"] == true),
        "{log:?}"
    );
}

/// A title and a domain id as an attacker would write them: a screen clear, a forged row on a
/// new line, a bidi override.
const HOSTILE_TITLE: &str = "Evil\x1b[2J\nPASS  buzz.target          all fine \u{202e}gnp.exe";
const HOSTILE_DOMAIN: &str = "666\x1b]0;pwned\x07\u{2066}\r\nPASS";

fn assert_escaped(what: &str, text: &str) {
    for raw in ['\x1b', '\x07', '\r', '\u{202e}', '\u{2066}'] {
        assert!(!text.contains(raw), "{what}: raw {raw:?} in\n{text}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("PASS  buzz.target          all fine")),
        "{what}: a forged row\n{text}"
    );
}

#[tokio::test]
async fn outside_text_is_escaped_in_every_command_s_human_output_and_exact_in_json() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // Two more targets writing to our stream (another administrator's, with hostile titles),
    // and a record of a hostile domain in the stream.
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let ours = kinesis_targets(&config)[0].clone();
    let mut evil = ours.clone();
    evil["title"] = json!(HOSTILE_TITLE);
    sandbox
        .set_domain_config(DOMAIN_ID, json!({"kinesis": [evil.clone(), ours, evil]}))
        .await;
    let event = json!({"time": "2026-01-01T08:00:00.0000000Z", "guid": "g-1",
        "domainId": HOSTILE_DOMAIN, "type": "UserEntityChanged", "data": {}});
    harness::put_record(&names.stream, &event.to_string());

    let human = |command: &str, extra: &[&str]| {
        let out = Tool::against(command, &sandbox, &names)
            .args(["--output", "human"])
            .args(extra.iter().copied())
            .run();
        format!("{}\n{}", out.stdout, out.stderr)
    };
    let check = human("check", &[]);
    assert_escaped("check", &check);
    assert!(check.contains("Evil\\x1b[2J\\nPASS"), "{check}");
    assert!(check.contains("\\u{202e}gnp.exe"), "{check}");
    assert!(
        check.contains("666\\x1b]0;pwned\\x07\\u{2066}\\r\\nPASS"),
        "{check}"
    );
    let plan = human("setup", &["--dry-run"]);
    assert_escaped("setup's plan", &plan);
    assert!(plan.contains("Evil\\x1b[2J\\nPASS"), "{plan}");
    let teardown = human("teardown", &["--dry-run"]);
    assert_escaped("teardown", &teardown);
    assert!(teardown.contains("Evil\\x1b[2J\\nPASS"), "{teardown}");

    // JSON keeps the exact values.
    let json_check = Tool::against("check", &sandbox, &names).run().json();
    let writers = json_check["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "stream.writers")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        writers["data"]["by_domain"].get(HOSTILE_DOMAIN).is_some(),
        "{writers}"
    );
    assert!(json_check
        .to_string()
        .contains(&json!(HOSTILE_TITLE).to_string()[1..20]));
    let json_teardown = Tool::against("teardown", &sandbox, &names)
        .arg("--dry-run")
        .run()
        .json();
    assert_eq!(
        json_teardown["removals"][0]["target"]["title"],
        HOSTILE_TITLE
    );
    assert!(json_teardown["removals"][0]["kind"] == "remove_buzz_target");
}

#[tokio::test]
async fn buzz_s_error_message_is_escaped_in_the_error_report() {
    // Another target whose test fails: Buzz's message names its hostile title.
    let mut broken = json!({"title": HOSTILE_TITLE, "enabled": true,
        "targetKinesisStream": "no-such-stream", "targetRegion": REGION,
        "roleArn": format!("arn:aws:iam::{MOTO_ACCOUNT}:role/no-such-role")});
    broken["extra"] = json!(1);
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(json!({"kinesis": [broken]})));
    let names = Names::new();
    // A failed test is retried while IAM may still propagate: a short wait is enough here.
    let setup = || Tool::setup(&sandbox, &names).args(["--propagation-timeout", "2"]);
    let out = setup().args(["--output", "human"]).run();
    out.assert_code(1);
    assert_escaped("the error report", &out.stderr);
    assert!(out.stderr.contains("Evil\\x1b[2J\\nPASS"), "{}", out.stderr);
    let json_out = setup().run();
    json_out.assert_code(1);
    let message = json_out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(HOSTILE_TITLE),
        "exact in JSON: {message:?}"
    );
}

#[tokio::test]
async fn the_one_time_code_is_refused_as_an_argument_and_taken_from_env_or_file() {
    let sandbox = Sandbox::start(SandboxOptions::new().mfa_code("246810"));
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args(["--buzz-otp", "246810", "--output", "human"])
        .run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--buzz-otp puts the one-time code on the command line")
            && out.stderr.contains("set BUZZ_OTP"),
        "{}",
        out.stderr
    );
    assert!(
        sandbox.request_log().await.is_empty(),
        "refused before anything is sent"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("otp");
    std::fs::write(&file, "246810\n").unwrap();
    Tool::setup(&sandbox, &names)
        .arg("--buzz-otp-file")
        .arg(file.display().to_string())
        .run()
        .assert_success();
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
}

#[test]
fn tail_s_timeout_is_held_to_its_range_and_a_huge_one_does_not_panic() {
    for bad in ["0", "604801", "18446744073709551615"] {
        let out = Tool::new()
            .args(["tail", "--stream", "nowhere", "--timeout", bad])
            .run();
        out.assert_code(1);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("--timeout is whole seconds from 1 to 604800"),
            "{bad}: {}",
            out.stderr
        );
    }
}

#[test]
fn tail_given_a_deadline_keeps_it() {
    let stream = harness::unique("quiet");
    harness::create_stream(&stream);
    let out = Tool::new()
        .args([
            "tail",
            "--stream",
            &stream,
            "--deadline",
            "3",
            "--output",
            "json",
        ])
        .run();
    out.assert_code(1);
    assert!(
        out.took < std::time::Duration::from_secs(30),
        "took {:?}",
        out.took
    );
    assert_eq!(out.json()["error"]["kind"], "timeout", "{}", out.stdout);
}
