//! Lost events: setup converges an existing stream's capacity (mode switches, multi-step shard
//! changes, lowering only when allowed), keeps an alarm on refused writes, and check reads the
//! stream's CloudWatch metrics, published by the sandbox for every record it writes (and, with
//! `--throttle`, for every write Kinesis refuses) as Kinesis would.

use serde_json::{json, Value};

use crate::harness::{self, fault, AwsFaultProxy, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// (mode, open shards) as the AWS CLI sees the stream.
fn capacity(stream: &str) -> (String, u64) {
    let s = harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        stream,
    ]);
    let d = &s["StreamDescriptionSummary"];
    (
        d["StreamModeDetails"]["StreamMode"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        d["OpenShardCount"].as_u64().unwrap(),
    )
}

fn stream_kinds(plan: &Value) -> Vec<String> {
    plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["resource"] == "stream"
                || a["kind"].as_str().unwrap().contains("shard")
                || a["kind"] == "update_stream_mode"
        })
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_on_demand_stream_becomes_provisioned_with_two_shards_and_back() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    assert_eq!(capacity(&names.stream).0, "ON_DEMAND");

    // The on-demand stream has 4 open shards: 2 provisioned ones take fewer events, so the
    // switch is a decrease like any other and needs its flag.
    let kept = Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "2"])
        .run();
    kept.assert_code(2);
    assert_eq!(kept.json()["changed"], json!(false));
    assert!(
        kept.json()["notes"]
            .to_string()
            .contains("--allow-capacity-decrease"),
        "{}",
        kept.stdout
    );
    assert_eq!(capacity(&names.stream).0, "ON_DEMAND");
    let out = Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "2"])
        .arg("--allow-capacity-decrease")
        .run();
    out.assert_success();
    assert_eq!(capacity(&names.stream), ("PROVISIONED".into(), 2));
    // The same request again changes nothing.
    let again = Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "2"])
        .run();
    again.assert_success();
    assert_eq!(again.json()["changed"], json!(false));
    // A run that names no capacity leaves the stream as it is.
    let plain = Tool::setup(&sandbox, &names).run();
    plain.assert_success();
    assert_eq!(plain.json()["changed"], json!(false));
    assert_eq!(capacity(&names.stream), ("PROVISIONED".into(), 2));

    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "on-demand"])
        .run()
        .assert_success();
    assert_eq!(capacity(&names.stream).0, "ON_DEMAND");
}

#[tokio::test]
async fn one_shard_grows_to_three_in_two_steps() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "1"])
        .run()
        .assert_success();
    assert_eq!(capacity(&names.stream).1, 1);
    let plan = Tool::setup(&sandbox, &names)
        .args([
            "--capacity-mode",
            "provisioned",
            "--shards",
            "3",
            "--dry-run",
        ])
        .run();
    plan.assert_code(2);
    let steps: Vec<(u64, u64)> = plan.json()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "update_shard_count")
        .map(|a| {
            (
                a["before"]["open_shards"].as_u64().unwrap(),
                a["after"]["open_shards"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, [(1, 2), (2, 3)], "AWS takes at most double per call");
    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "3"])
        .run()
        .assert_success();
    assert_eq!(capacity(&names.stream), ("PROVISIONED".into(), 3));
}

#[tokio::test]
async fn four_shards_drop_to_one_only_with_allow_capacity_decrease() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "4"])
        .run()
        .assert_success();
    let refused = Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "1"])
        .run();
    // Not done: not the exit of a run that did what was asked.
    refused.assert_code(2);
    let report = refused.json();
    assert_eq!(report["changed"], json!(false));
    assert!(
        report["declined"]
            .to_string()
            .contains("keeps its 4 shards"),
        "{report}"
    );
    assert!(
        report["notes"]
            .to_string()
            .contains("--allow-capacity-decrease"),
        "{report}"
    );
    assert_eq!(capacity(&names.stream).1, 4);
    assert!(stream_kinds(&report).is_empty());

    Tool::setup(&sandbox, &names)
        .args([
            "--capacity-mode",
            "provisioned",
            "--shards",
            "1",
            "--allow-capacity-decrease",
        ])
        .run()
        .assert_success();
    assert_eq!(capacity(&names.stream), ("PROVISIONED".into(), 1));
}

fn alarm(name: &str) -> Option<Value> {
    let out = harness::aws_cli(&["cloudwatch", "describe-alarms", "--alarm-names", name]);
    out["MetricAlarms"]
        .as_array()
        .and_then(|a| a.first().cloned())
}

fn topic_arn(stream: &str) -> String {
    format!(
        "arn:aws:sns:{}:{}:buzz-kinesis-{stream}-alarms",
        harness::REGION,
        harness::MOTO_ACCOUNT
    )
}

#[tokio::test]
async fn an_alarm_email_leaves_an_alarm_a_rerun_changes_nothing_and_teardown_removes_it() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let out = Tool::setup(&sandbox, &names)
        .args(["--alarm-email", "ops@example.edu"])
        .run();
    out.assert_success();
    assert!(
        out.json()["notes"].to_string().contains("confirm"),
        "the address must confirm: {}",
        out.stdout
    );
    let name = format!("buzz-kinesis-{}-writes-refused", names.stream);
    let a = alarm(&name).expect("the alarm exists");
    assert_eq!(a["MetricName"], "WriteProvisionedThroughputExceeded");
    assert_eq!(a["Namespace"], "AWS/Kinesis");
    assert_eq!(a["Dimensions"][0]["Value"], json!(names.stream));
    assert_eq!(a["AlarmActions"], json!([topic_arn(&names.stream)]));
    let subs = harness::aws_cli(&[
        "sns",
        "list-subscriptions-by-topic",
        "--topic-arn",
        &topic_arn(&names.stream),
    ]);
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], "ops@example.edu");

    let again = Tool::setup(&sandbox, &names)
        .args(["--alarm-email", "ops@example.edu"])
        .run();
    again.assert_success();
    assert_eq!(again.json()["changed"], json!(false), "{}", again.stdout);
    again.assert_no_mutation();

    Tool::against("teardown", &sandbox, &names)
        .run()
        .assert_success();
    assert!(alarm(&name).is_none(), "teardown removed the alarm");
    assert!(
        harness::try_aws_cli(&[
            "sns",
            "get-topic-attributes",
            "--topic-arn",
            &topic_arn(&names.stream)
        ])
        .is_err(),
        "and the topic setup made"
    );
    let _ = DOMAIN_ID;
}

#[tokio::test]
async fn invalid_alarm_values_are_refused_before_any_request() {
    let sandbox = Sandbox::start(SandboxOptions::new());
    let names = Names::new();
    for (flag, value) in [
        ("--alarm-email", "not-an-address"),
        ("--alarm-topic", "arn:aws:sqs:us-east-1:123456789012:q"),
    ] {
        let out = Tool::setup(&sandbox, &names).args([flag, value]).run();
        out.assert_code(1);
        assert!(out.stderr.contains(flag), "{}", out.stderr);
    }
    assert!(
        sandbox.request_log().await.is_empty(),
        "nothing reached Buzz"
    );
}

#[tokio::test]
async fn policy_templates_carry_the_alarm_and_pass_cfn_lint_and_the_hcl_parser() {
    let names = Names::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let policy = |format: &str| {
        let out = Tool::new()
            .args(["export", "--agilix-account", harness::AGILIX_ACCOUNT])
            .args(["--stream", &names.stream, "--role", &names.role])
            .args(["--alarm-email", "ops@example.edu", "--format", format])
            .run();
        out.assert_success();
        out
    };
    let cfn = policy("cloudformation");
    let path = dir.path().join("buzz.json");
    std::fs::write(&path, &cfn.stdout).unwrap();
    let lint = std::process::Command::new("cfn-lint")
        .arg(&path)
        .output()
        .expect("cfn-lint is installed (scripts/ensure-tools)");
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let t = cfn.json();
    assert_eq!(
        t["Resources"]["BuzzRefusedWritesAlarm"]["Type"],
        "AWS::CloudWatch::Alarm"
    );
    assert_eq!(t["Resources"]["BuzzAlarmTopic"]["Type"], "AWS::SNS::Topic");

    let tf = policy("terraform");
    let path = dir.path().join("main.tf");
    std::fs::write(&path, &tf.stdout).unwrap();
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        parsed.status.success(),
        "python-hcl2:\n{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let text = String::from_utf8_lossy(&parsed.stdout);
    for part in [
        "aws_cloudwatch_metric_alarm",
        "aws_sns_topic_subscription",
        "WriteProvisionedThroughputExceeded",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

/// `check`'s rows by id.
fn rows(out: &Outcome) -> Vec<Value> {
    out.json()["checks"].as_array().unwrap().clone()
}

fn row(rows: &[Value], id: &str) -> Value {
    rows.iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no row {id} in {rows:?}"))
}

#[tokio::test]
async fn check_reads_a_healthy_window_in_one_metrics_call() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let (sent, refused) = sandbox.emit_events(DOMAIN_ID, 25).await;
    assert_eq!((sent, refused), (25, 0));
    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_success();
    let rows = rows(&out);
    assert_eq!(row(&rows, "stream.refused")["status"], "pass");
    let traffic = row(&rows, "stream.traffic");
    assert_eq!(traffic["status"], "pass");
    let arrived: u64 = traffic["message"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(arrived >= 25, "{traffic}");
    assert_eq!(row(&rows, "stream.headroom")["status"], "pass");
    let data = &row(&rows, "stream.refused")["data"];
    assert!(data["incoming_records"].as_u64().unwrap() >= 25, "{data}");
    let calls = &out.json()["api_calls"]["by_operation"];
    assert_eq!(calls["cloudwatch:GetMetricData"], json!(1), "{calls}");
    // A person sees the window as a small picture.
    let human = Tool::new()
        .args(["check", "--yes"])
        .args(target_args_for("check", &sandbox, &names))
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    human.assert_success();
    assert!(
        human.stdout.contains("records per hour"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains('█'), "{}", human.stdout);
}

#[tokio::test]
async fn throttled_writes_fail_check_with_their_count_and_the_capacity_to_set() {
    let sandbox = Sandbox::start(SandboxOptions::new().throttle());
    let names = Names::new();
    Tool::setup(&sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "1"])
        .run()
        .assert_success();
    let (sent, refused) = sandbox.emit_events(DOMAIN_ID, 30).await;
    assert_eq!((sent, refused), (0, 30));
    let out = Tool::against("check", &sandbox, &names)
        .args(["--capacity-mode", "provisioned", "--shards", "1"])
        .run();
    out.assert_code(2);
    let refused_row = row(&rows(&out), "stream.refused");
    assert_eq!(refused_row["status"], "fail");
    let message = refused_row["message"].as_str().unwrap();
    assert!(
        message.contains("throttled") && message.contains("most likely lost"),
        "{message}"
    );
    assert!(
        refused_row["data"]["refused"]["throttled"]
            .as_u64()
            .unwrap()
            >= 30
    );
    assert!(
        refused_row["fix"]
            .as_str()
            .unwrap()
            .contains("buzz-kinesis setup --capacity-mode"),
        "{refused_row}"
    );
}

#[tokio::test]
async fn failed_records_fail_check_too() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    // What Kinesis publishes when PutRecords calls partly fail (moto publishes nothing itself).
    harness::aws_cli(&[
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "AWS/Kinesis",
        "--metric-name",
        "PutRecords.FailedRecords",
        "--dimensions",
        &format!("StreamName={}", names.stream),
        "--value",
        "7",
    ]);
    let out = Tool::against("check", &sandbox, &names).run();
    out.assert_code(2);
    let r = row(&rows(&out), "stream.refused");
    assert!(r["message"].as_str().unwrap().contains("7 failed"), "{r}");
}

#[tokio::test]
async fn no_traffic_while_the_target_is_enabled_is_a_warning() {
    // A stream and role made by hand and a target saved straight into Buzz: nothing ever wrote.
    let names = Names::new();
    harness::create_stream(&names.stream);
    harness::create_writer_role(&names.role, &names.stream);
    let target = json!({"kinesis": [{"title": "by hand", "enabled": true,
        "targetKinesisStream": names.stream, "roleArn": harness::role_arn(&names.role),
        "targetRegion": harness::REGION}]});
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(target));
    let out = Tool::against("check", &sandbox, &names).run();
    let traffic = row(&rows(&out), "stream.traffic");
    assert_eq!(traffic["status"], "warn", "{traffic}");
    assert!(traffic["message"]
        .as_str()
        .unwrap()
        .contains("no records arrived"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_metrics_permission_is_one_warning_not_a_failed_check() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let proxy = AwsFaultProxy::start(vec![fault("GetMetricData", 403, "AccessDenied", 10)]).await;
    let out = Tool::against("check", &sandbox, &names)
        .env("AWS_ENDPOINT_URL", &proxy.url)
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", &proxy.url)
        .run();
    out.assert_success();
    let r = row(&rows(&out), "stream.metrics");
    assert_eq!(r["status"], "warn");
    assert!(
        r["fix"]
            .as_str()
            .unwrap()
            .contains("cloudwatch:GetMetricData"),
        "{r}"
    );
    assert_eq!(proxy.hits("GetMetricData"), 1);
}

#[tokio::test]
async fn check_reports_the_alarm_missing_and_present() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let out = Tool::against("check", &sandbox, &names)
        .args(["--alarm-email", "ops@example.edu"])
        .run();
    out.assert_code(2);
    assert_eq!(row(&rows(&out), "alarm")["status"], "fail");
    Tool::setup(&sandbox, &names)
        .args(["--alarm-email", "ops@example.edu"])
        .run()
        .assert_success();
    let out = Tool::against("check", &sandbox, &names)
        .args(["--alarm-email", "ops@example.edu"])
        .run();
    out.assert_success();
    assert_eq!(row(&rows(&out), "alarm")["status"], "pass");
}
