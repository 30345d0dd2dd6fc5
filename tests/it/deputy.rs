//! Who else can write into your stream (the confused deputy): Buzz's servers assume our role
//! from Agilix's account, so another Buzz tenant (the sandbox's `--other-domain`) can register
//! a kinesis target naming our role and stream, and Buzz writes that tenant's events into it.
//! `check` samples the stream and names the foreign domain, `tail --expect-domain` marks or
//! hides its events, and an external id per tenant (Agilix's) makes the foreign registration
//! fail at Buzz's own test. Setup warns when it is given none.

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID, REGION};
use crate::tool::*;

/// The other tenant's domain.
const OTHER: &str = "777777";

fn sandbox_with_other_tenant(options: SandboxOptions) -> Sandbox {
    Sandbox::start(options.other_domain(OTHER))
}

/// The other tenant registers a kinesis target naming our role and stream, as any Buzz
/// administrator can in their own domain (sent straight to Buzz: they need none of our AWS).
async fn register_foreign_target(sandbox: &Sandbox, names: &Names) -> Value {
    let token = sandbox.login_admin().await;
    sandbox
        .cmd_as(
            &token,
            json!({
                "cmd": "setdatastreamconfiguration",
                "domainid": OTHER,
                "kinesis": [{
                    "title": "not yours",
                    "enabled": true,
                    "targetKinesisStream": names.stream,
                    "roleArn": harness::role_arn(&names.role),
                    "targetRegion": REGION,
                }],
            }),
        )
        .await
}

/// check's `stream.writers` row.
fn writers_row(out: &Outcome) -> Value {
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "stream.writers")
        .cloned()
        .unwrap_or_else(|| panic!("no stream.writers row: {}", out.stdout))
}

fn tail_run(names: &Names, output: &str, extra: &[&str]) -> Outcome {
    Tool::new()
        .args(["tail", "--stream", &names.stream, "--from", "trim-horizon"])
        .args(["--timeout", "60", "--output", output])
        .args(extra.iter().copied())
        .run()
}

fn open_shards(stream: &str) -> u64 {
    harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        stream,
    ])["StreamDescriptionSummary"]["OpenShardCount"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_foreign_tenant_writing_into_our_stream_is_named_by_check_and_marked_by_tail() {
    let sandbox = sandbox_with_other_tenant(SandboxOptions::new());
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();

    // Nothing in AWS stops it: the trust admits Agilix's whole account with no external id.
    let answer = register_foreign_target(&sandbox, &names).await;
    assert_eq!(answer["code"], "OK", "{answer}");
    assert_eq!(sandbox.emit_events(DOMAIN_ID, 3).await, (3, 0));
    assert_eq!(sandbox.emit_events(OTHER, 2).await, (2, 0));
    let by_domain = |events: &[Value]| {
        let mut m = std::collections::BTreeMap::<String, u64>::new();
        for e in events {
            *m.entry(e["domainId"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        m
    };
    let events = harness::read_events(&names.stream);
    let counts = by_domain(&events);
    // Ours: setup's two probes (test, then save), Created, 3 events; theirs: their save's
    // probe, their Created, 2 events.
    assert_eq!(counts.get(DOMAIN_ID), Some(&6), "{counts:?}");
    assert_eq!(counts.get(OTHER), Some(&4), "{counts:?}");
    let (ours, theirs, total) = (6, 4, 10);

    // check warns, naming the other domain; the sample costs at most 5 GetRecords a shard.
    let check = Tool::against("check", &sandbox, &names).run();
    check.assert_success();
    let row = writers_row(&check);
    assert_eq!(row["status"], "warn", "{row}");
    let message = row["message"].as_str().unwrap();
    assert!(message.contains("777777 (4 event(s))"), "{message}");
    assert!(message.contains("another Buzz tenant"), "{message}");
    assert!(
        row["fix"].as_str().unwrap().contains("--external-id"),
        "{row}"
    );
    assert_eq!(
        row["data"]["by_domain"],
        json!({DOMAIN_ID: ours, OTHER: theirs}),
        "{row}"
    );
    let calls = &check.json()["api_calls"]["by_operation"];
    let get_records = calls["kinesis:GetRecords"].as_u64().unwrap();
    let shards = open_shards(&names.stream);
    assert!(
        (1..=5 * shards).contains(&get_records),
        "{get_records} GetRecords for {shards} shard(s): {calls}"
    );
    assert_eq!(calls["kinesis:GetShardIterator"], json!(shards), "{calls}");

    // Naming both domains as ours passes the row.
    let both = Tool::against("check", &sandbox, &names)
        .args(["--expect-domain", DOMAIN_ID, "--expect-domain", OTHER])
        .run();
    both.assert_success();
    let row = writers_row(&both);
    assert_eq!(row["status"], "pass", "{row}");

    // tail marks theirs, in both outputs, and --only-expected hides them.
    let limit = total.to_string();
    let expect = ["--expect-domain", DOMAIN_ID, "--limit", &limit];
    let human = tail_run(&names, "human", &expect);
    human.assert_success();
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(lines.len(), total, "{}", human.stdout);
    let marked = lines
        .iter()
        .filter(|l| l.contains("777777 (foreign)"))
        .count();
    assert_eq!(marked, theirs, "{}", human.stdout);
    assert!(
        !human.stdout.contains("424242 (foreign)"),
        "{}",
        human.stdout
    );

    let machine = tail_run(&names, "json", &expect);
    machine.assert_success();
    let events: Vec<Value> = machine
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(events.len(), total);
    for e in &events {
        let foreign = e["domainId"] == OTHER;
        assert_eq!(e.get("foreign") == Some(&json!(true)), foreign, "{e}");
        assert!(
            foreign || e.get("foreign").is_none(),
            "ours are as Buzz wrote them: {e}"
        );
    }

    let ours_text = ours.to_string();
    let only = tail_run(
        &names,
        "human",
        &[
            "--expect-domain",
            DOMAIN_ID,
            "--only-expected",
            "--limit",
            &ours_text,
        ],
    );
    only.assert_success();
    assert_eq!(only.stdout.lines().count(), ours, "{}", only.stdout);
    assert!(!only.stdout.contains(OTHER), "{}", only.stdout);
    // Asking for more than ours: the timeout's error counts what was hidden.
    let short = Tool::new()
        .args([
            "tail",
            "--stream",
            &names.stream,
            "--from",
            "trim-horizon",
            "--timeout",
            "3",
        ])
        .args([
            "--expect-domain",
            DOMAIN_ID,
            "--only-expected",
            "--limit",
            &(ours + 1).to_string(),
        ])
        .run();
    short.assert_code(1);
    assert!(
        short.stderr.contains(&format!(
            "({ours} came; {theirs} event(s) from other domains hidden by --only-expected)"
        )),
        "{}",
        short.stderr
    );
}

#[tokio::test]
async fn with_an_external_id_per_tenant_the_foreign_registration_fails_at_buzzs_test() {
    let sandbox = sandbox_with_other_tenant(
        SandboxOptions::new()
            .external_id("ours-4242")
            .other_domain_external_id("theirs-7777"),
    );
    let names = Names::new();
    let setup = Tool::setup(&sandbox, &names)
        .args(["--external-id", "ours-4242"])
        .run();
    setup.assert_success();
    assert_eq!(setup.json()["warnings"], json!([]), "{}", setup.stdout);

    let answer = register_foreign_target(&sandbox, &names).await;
    assert_ne!(answer["code"], "OK", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("sts:AssumeRole"),
        "{answer}"
    );
    assert_eq!(
        sandbox.domain_config(OTHER).await,
        Value::Null,
        "nothing saved"
    );
    assert_eq!(sandbox.emit_events(OTHER, 2).await, (0, 0));
    assert_eq!(sandbox.emit_events(DOMAIN_ID, 2).await, (2, 0));
    let events = harness::read_events(&names.stream);
    assert!(
        events.iter().all(|e| e["domainId"] == DOMAIN_ID),
        "no foreign event reached the stream: {events:?}"
    );

    let check = Tool::against("check", &sandbox, &names)
        .args(["--external-id", "ours-4242"])
        .run();
    check.assert_success();
    assert_eq!(writers_row(&check)["status"], "pass", "{}", check.stdout);
}

#[tokio::test]
async fn setup_warns_once_without_an_external_id_and_not_with_one() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let human = |extra: &[&str]| {
        Tool::new()
            .args(["setup", "--yes"])
            .args(target_args(&sandbox, &names))
            .args(extra.iter().copied())
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
            .run()
    };
    let plan = human(&["--dry-run"]);
    plan.assert_code(2);
    let warned = |text: &str| {
        text.lines()
            .filter(|l| l.contains("warning: no --external-id"))
            .count()
    };
    assert_eq!(warned(&plan.stdout), 1, "{}", plan.stdout);
    let done = human(&[]);
    done.assert_success();
    assert_eq!(warned(&done.stdout), 1, "{}", done.stdout);

    let json_run = Tool::setup(&sandbox, &names).run();
    json_run.assert_success();
    let warnings = json_run.json()["warnings"].clone();
    assert_eq!(warnings.as_array().map(Vec::len), Some(1), "{warnings}");
    assert!(
        warnings[0].as_str().unwrap().contains("--external-id"),
        "{warnings}"
    );

    let sandbox = Sandbox::start(SandboxOptions::new().external_id("ours-4242"));
    let with_id = Tool::setup(&sandbox, &names)
        .args(["--external-id", "ours-4242", "--dry-run"])
        .run();
    assert_eq!(with_id.json()["warnings"], json!([]), "{}", with_id.stdout);
    let human_with_id = Tool::new()
        .args(["setup", "--yes", "--external-id", "ours-4242"])
        .args(target_args(&sandbox, &names))
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    human_with_id.assert_success();
    assert_eq!(warned(&human_with_id.stdout), 0, "{}", human_with_id.stdout);
}
