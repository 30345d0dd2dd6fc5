//! The operator's other days, end to end against moto and the sandbox: `tail` shows what Buzz
//! (and anyone else) wrote, on every shard and across a reshard; `teardown` removes our target
//! and role and nothing else, twice harmlessly, and refuses a role it did not make; `export`
//! prints what setup applies, and templates that cfn-lint and an HCL parser accept.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, AGILIX_ACCOUNT, DOMAIN_ID};
use crate::tool::*;

/// `tail` on a stream, JSON lines, with a safety timeout.
fn tail(stream: &str, extra: &[&str]) -> Outcome {
    Tool::new()
        .args(["tail", "--stream", stream, "--timeout", "60"])
        .args(extra.iter().copied())
        .run()
}

/// `teardown` of `names` on the sandbox, as its admin (no `--yes` unless `extra` has it).
fn teardown(sandbox: &Sandbox, names: &Names, extra: &[&str]) -> Outcome {
    Tool::new()
        .args(["teardown", "--output", "json"])
        .args(target_args_for("teardown", sandbox, names))
        .args(extra.iter().copied())
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run()
}

/// `export` for `names` with extra flags.
fn export(names: &Names, extra: &[&str]) -> Outcome {
    export_as("export", names, extra)
}

/// `export`, or its other name `policy`, for `names` with extra flags.
fn export_as(command: &str, names: &Names, extra: &[&str]) -> Outcome {
    Tool::new()
        .args([command, "--agilix-account", AGILIX_ACCOUNT])
        .args(["--stream", &names.stream, "--role", &names.role])
        .args(extra.iter().copied())
        .run()
}

/// Every non-blank line of every record in the stream, as the AWS CLI reads them.
fn stream_lines(stream: &str) -> Vec<String> {
    harness::read_records(stream)
        .iter()
        .flat_map(|r| {
            r.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn lines(out: &Outcome) -> Vec<String> {
    out.stdout.lines().map(str::to_owned).collect()
}

fn parsed(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
}

/// Put one record on the shard that owns `hash_key`; returns that shard's id.
fn put_record(stream: &str, hash_key: u128, data: &str) -> String {
    let hash = hash_key.to_string();
    let mut args = vec![
        "kinesis",
        "put-record",
        "--stream-name",
        stream,
        "--partition-key",
        "k",
        "--explicit-hash-key",
        &hash,
        "--data",
        data,
    ];
    args.extend(harness::raw_blob_args());
    harness::aws_cli(&args)["ShardId"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A Buzz-shaped event.
fn event(event_type: &str, guid: &str) -> String {
    json!({
        "time": "2024-05-01T08:00:00.0000000Z", "guid": guid, "domainId": DOMAIN_ID,
        "type": event_type, "data": {"userId": "93275"}, "userId": "93275"
    })
    .to_string()
}

#[tokio::test]
async fn tail_from_trim_horizon_prints_the_probe_and_the_created_event_untouched() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // What Buzz wrote: its probe on the test, its probe on the save, and Created (on shards
    // of an on-demand stream chosen by each event's guid, so in no guaranteed order).
    let written = stream_lines(&names.stream);
    let types: BTreeSet<String> = written
        .iter()
        .map(|l| parsed(l)["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from([
            "DataStreamConfigurationCreated".to_owned(),
            "ValidateDataStreamConfiguration".to_owned()
        ]),
        "{written:?}"
    );

    let out = tail(
        &names.stream,
        &["--from", "trim-horizon", "--limit", "2", "--output", "json"],
    );
    out.assert_success();
    let printed = lines(&out);
    assert_eq!(printed.len(), 2, "{}", out.stdout);
    for line in &printed {
        assert!(
            written.contains(line),
            "each line is an event exactly as Buzz wrote it: {line}"
        );
    }

    // With room for everything, both kinds are there, each event once.
    let all = tail(
        &names.stream,
        &[
            "--from",
            "trim-horizon",
            "--limit",
            &written.len().to_string(),
            "--output",
            "json",
        ],
    );
    all.assert_success();
    let mut got = lines(&all);
    let mut want = written.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // --event filters; the human line shows time, type, domain, guid and the data.
    let created = tail(
        &names.stream,
        &[
            "--from",
            "trim-horizon",
            "--limit",
            "1",
            "--event",
            "DataStreamConfigurationCreated",
        ],
    );
    created.assert_success();
    let line = created.stdout.trim();
    let ev = written
        .iter()
        .map(|l| parsed(l))
        .find(|e| e["type"] == "DataStreamConfigurationCreated")
        .expect("Created was written");
    for part in [
        ev["time"].as_str().unwrap(),
        "DataStreamConfigurationCreated",
        DOMAIN_ID,
        ev["guid"].as_str().unwrap(),
        "title=",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!line.contains("Validate"), "{line}");
}

#[tokio::test]
async fn tail_reads_every_shard_of_a_four_shard_stream_and_shows_raw_records() {
    let stream = harness::unique("shards");
    harness::aws_cli(&[
        "kinesis",
        "create-stream",
        "--stream-name",
        &stream,
        "--shard-count",
        "4",
    ]);
    // An explicit hash key in each quarter of the hash space lands on each shard.
    let quarter = 1u128 << 126;
    let mut guids = BTreeSet::new();
    let mut shards = BTreeSet::new();
    for i in 0..4u128 {
        for j in 0..2 {
            let guid = format!("guid-{i}-{j}");
            shards.insert(put_record(
                &stream,
                i * quarter + 1 + j,
                &event("UserEntityCreated", &guid),
            ));
            guids.insert(guid);
        }
    }
    assert_eq!(
        shards.len(),
        4,
        "the events went to every shard: {shards:?}"
    );
    put_record(&stream, 2 * quarter + 5, "this is not JSON");

    let out = tail(
        &stream,
        &["--from", "trim-horizon", "--limit", "9", "--output", "json"],
    );
    out.assert_success();
    let printed: Vec<Value> = lines(&out).iter().map(|l| parsed(l)).collect();
    let seen: BTreeSet<String> = printed
        .iter()
        .filter_map(|e| e["guid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(seen, guids, "{}", out.stdout);
    let raw: Vec<&Value> = printed.iter().filter(|e| e.get("raw").is_some()).collect();
    assert_eq!(raw.len(), 1, "{}", out.stdout);
    assert_eq!(raw[0]["raw"], "this is not JSON");
    assert_eq!(raw[0]["schema_version"], json!(1), "docs/json-output.md");

    // A person sees it too, marked raw, even when filtering by type.
    let human = tail(
        &stream,
        &[
            "--from",
            "trim-horizon",
            "--limit",
            "9",
            "--event",
            "UserEntityCreated",
        ],
    );
    human.assert_success();
    assert!(
        human.stdout.lines().any(|l| l == "raw  this is not JSON"),
        "{}",
        human.stdout
    );
}

#[tokio::test]
async fn tail_follows_a_reshard_to_the_child_shards() {
    let stream = harness::unique("split");
    harness::create_stream(&stream);
    // From a second ago, so nothing is missed however long the binary takes to start.
    let from =
        aws_smithy_types::DateTime::from(std::time::SystemTime::now() - Duration::from_secs(1))
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .expect("a time in RFC 3339");
    let reader = {
        let stream = stream.clone();
        std::thread::spawn(move || {
            Tool::new()
                .args([
                    "tail",
                    "--stream",
                    &stream,
                    "--from",
                    &from,
                    "--timeout",
                    "20",
                ])
                .args(["--output", "json", "-v"])
                .run()
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    put_record(&stream, 1, &event("GradeChanged", "before-split"));
    harness::aws_cli(&[
        "kinesis",
        "update-shard-count",
        "--stream-name",
        &stream,
        "--target-shard-count",
        "2",
        "--scaling-type",
        "UNIFORM_SCALING",
    ]);
    let listed = harness::aws_cli(&["kinesis", "list-shards", "--stream-name", &stream]);
    let children: Vec<String> = listed["Shards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["ParentShardId"].is_string())
        .map(|s| s["ShardId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(children.len(), 2, "{listed}");

    // A timeout without --limit is a normal end.
    let out = reader.join().expect("the tail thread");
    out.assert_success();
    let seen: Vec<String> = lines(&out)
        .iter()
        .filter_map(|l| parsed(l)["guid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(seen, ["before-split"], "{}", out.stdout);
    // The parent was read to its end, then its children. (moto keeps routing writes to the
    // closed parent, so the children's reading shows in the log rather than in records.)
    let logged = |what: &str, shard: &str| {
        out.stderr
            .lines()
            .any(|l| l.contains(what) && l.contains(shard))
    };
    assert!(
        logged("read to its end", "shardId-000000000000"),
        "{}",
        out.stderr
    );
    for child in &children {
        assert!(logged("reading shard", child), "{child}: {}", out.stderr);
    }
}

#[tokio::test]
async fn teardown_keeps_the_other_targets_and_the_stream_and_a_second_run_does_nothing() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let records_before = harness::read_records(&names.stream);

    // --dry-run shows the removals and changes nothing.
    let dry = teardown(&sandbox, &names, &["--dry-run"]);
    dry.assert_code(2);
    let kinds: Vec<String> = dry.json()["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["remove_buzz_target", "delete_role_policy", "delete_role"]
    );
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );

    let out = teardown(&sandbox, &names, &["--yes"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["changed"], json!(true));
    assert_eq!(report["buzz"]["outcome"], "removed");
    assert_eq!(report["role"]["outcome"], "deleted");
    assert_eq!(report["stream"]["outcome"], "kept");

    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        webhook_config(),
        "the webhook exactly as it was, and no kinesis target"
    );
    let gone = harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]);
    assert!(gone.is_err_and(|e| e.contains("NoSuchEntity")));
    let summary = harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ]);
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamStatus"],
        "ACTIVE"
    );
    assert_eq!(harness::read_records(&names.stream), records_before);

    // Again: nothing to do, no change anywhere.
    let log_before = sandbox.request_log().await.len();
    let again = teardown(&sandbox, &names, &["--yes"]);
    again.assert_success();
    let report = again.json();
    assert_eq!(report["changed"], json!(false), "{report}");
    assert_eq!(report["api_calls"]["mutating"], json!(0), "{report}");
    let log = sandbox.request_log().await;
    assert!(
        log[log_before..].iter().all(|e| !e["cmd"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case("setdatastreamconfiguration")),
        "{:?}",
        &log[log_before..]
    );
    let dry = teardown(&sandbox, &names, &["--dry-run"]);
    dry.assert_success();
    assert!(secret_free(&[&out, &again, &dry]));
}

fn secret_free(outs: &[&Outcome]) -> bool {
    outs.iter().all(|o| {
        !o.stdout.contains(harness::ADMIN_PASSWORD) && !o.stderr.contains(harness::ADMIN_PASSWORD)
    })
}

#[tokio::test]
async fn teardown_with_delete_stream_clears_the_only_target_and_deletes_the_stream() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();

    // Without --yes and without a terminal to type the name at, nothing happens.
    let refused = teardown(&sandbox, &names, &["--delete-stream"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("--yes") && refused.stderr.contains(&names.stream),
        "{}",
        refused.stderr
    );
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
    harness::aws_cli(&["iam", "get-role", "--role-name", &names.role]);

    let out = teardown(&sandbox, &names, &["--delete-stream", "--yes"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["buzz"]["outcome"], "cleared");
    assert_eq!(report["stream"]["outcome"], "deleted");
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, Value::Null);
    let gone = harness::try_aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ]);
    assert!(
        gone.as_ref()
            .is_err_and(|e| e.contains("ResourceNotFoundException"))
            || gone
                .as_ref()
                .is_ok_and(|v| v["StreamDescriptionSummary"]["StreamStatus"] == "DELETING"),
        "{gone:?}"
    );
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());

    let again = teardown(&sandbox, &names, &["--delete-stream", "--yes"]);
    again.assert_success();
    assert_eq!(again.json()["changed"], json!(false));
    again.assert_no_mutation();
}

#[tokio::test]
async fn teardown_refuses_a_role_buzz_kinesis_did_not_create() {
    let names = Names::new();
    harness::create_stream(&names.stream);
    let role_arn = harness::create_writer_role(&names.role, &names.stream);
    let theirs = json!({"kinesis": [{
        "title": "made by hand", "enabled": true, "targetKinesisStream": names.stream,
        "roleArn": role_arn, "targetRegion": harness::REGION
    }]});
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(theirs.clone()));

    let out = teardown(&sandbox, &names, &["--yes", "--delete-stream"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("managed-by=buzz-kinesis") && out.stderr.contains("--role"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&names.role), "{}", out.stderr);
    // Nothing was touched.
    harness::aws_cli(&["iam", "get-role", "--role-name", &names.role]);
    harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream,
    ]);
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, theirs);
}

#[tokio::test]
async fn export_prints_exactly_what_setup_applied() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();

    let out = export(&names, &["--output", "json"]);
    out.assert_success();
    let printed = out.json();
    let (max_session, trust) = role_view(&names.role);
    assert_eq!(printed["trust_policy"], trust);
    assert_eq!(printed["max_session_duration"], json!(max_session));
    assert_eq!(
        Some(printed["permission_policy"].clone()),
        inline_policy(&names.role)
    );
    assert_eq!(
        printed["stream_arn"],
        json!(harness::stream_arn(&names.stream))
    );

    // The human form holds the same documents.
    let human = export(&names, &[]);
    human.assert_success();
    assert!(
        human.stdout.contains("\"sts:AssumeRole\""),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&harness::stream_arn(&names.stream)));
    // `policy`, the command's earlier name, prints exactly the same.
    let old = export_as("policy", &names, &[]);
    old.assert_success();
    assert_eq!(old.stdout, human.stdout);
}

#[tokio::test]
async fn policy_templates_pass_cfn_lint_and_parse_as_hcl() {
    let names = Names::new();
    let dir = tempfile::tempdir().expect("a temp dir");

    let cfn = export(
        &names,
        &["--format", "cloudformation", "--domain", DOMAIN_ID],
    );
    cfn.assert_success();
    let path = dir.path().join("buzz.json");
    std::fs::write(&path, &cfn.stdout).expect("write the template");
    let lint = Command::new("cfn-lint")
        .arg(&path)
        .output()
        .expect("cfn-lint is installed (scripts/ensure-tools installs it: pip install cfn-lint)");
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // Its documents are the bare ones, with the stream's ARN as a reference.
    let template = cfn.json();
    let bare = export(&names, &["--output", "json"]).json();
    let role = &template["Resources"]["BuzzWriterRole"]["Properties"];
    assert_eq!(role["AssumeRolePolicyDocument"], bare["trust_policy"]);
    assert_eq!(role["MaxSessionDuration"], json!(43_200));
    let mut permission = role["Policies"][0]["PolicyDocument"].clone();
    permission["Statement"][0]["Resource"] = bare["stream_arn"].clone();
    assert_eq!(permission, bare["permission_policy"]);

    let tf = export(&names, &["--format", "terraform", "--domain", DOMAIN_ID]);
    tf.assert_success();
    let path = dir.path().join("main.tf");
    std::fs::write(&path, &tf.stdout).expect("write the configuration");
    // python-hcl2 (scripts/ensure-tools installs it); strings keep their quotes in its output.
    let script = r#"
import hcl2, json, sys
def clean(v):
    if isinstance(v, dict):
        return {clean(k): clean(x) for k, x in v.items() if k != "__is_block__"}
    if isinstance(v, list):
        return [clean(x) for x in v]
    if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1]
    return v
print(json.dumps(clean(hcl2.load(open(sys.argv[1])))))
"#;
    let parsed = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        parsed.status.success(),
        "python-hcl2 could not parse the configuration (pip install python-hcl2):\n{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let hcl: Value = serde_json::from_slice(&parsed.stdout).expect("JSON from the parser");
    let resources: BTreeSet<String> = hcl["resource"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_object().unwrap().keys().cloned())
        .collect();
    assert_eq!(
        resources,
        BTreeSet::from([
            "aws_iam_role".to_owned(),
            "aws_iam_role_policy".to_owned(),
            "aws_kinesis_stream".to_owned()
        ])
    );
    let text = hcl.to_string();
    for part in [
        "\"max_session_duration\":43200",
        &format!("\"name\":\"{}\"", names.stream),
        "set_data_stream_configuration",
        "aws_iam_role.buzz.arn",
        "buzz_half_command",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
    // `terraform validate` needs the AWS provider from the registry; fmt needs nothing and
    // checks syntax and layout.
    if Command::new("terraform").arg("version").output().is_ok() {
        let fmt = Command::new("terraform")
            .args(["fmt", "-check", "-diff"])
            .arg(&path)
            .output()
            .expect("terraform fmt");
        assert!(
            fmt.status.success(),
            "terraform fmt:\n{}",
            String::from_utf8_lossy(&fmt.stdout)
        );
    }
}

#[tokio::test]
async fn completions_and_the_man_page_are_printed() {
    let man = Tool::new().arg("man").run();
    man.assert_success();
    assert!(man.stdout.contains(".TH buzz-kinesis"), "{}", man.stdout);
    assert!(man.stdout.contains("teardown"));
    for shell in ["bash", "zsh", "fish"] {
        let out = Tool::new().args(["completions", shell]).run();
        out.assert_success();
        assert!(out.stdout.contains("teardown"), "{shell}");
    }
}
