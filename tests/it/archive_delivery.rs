//! The archive on the local stack (#21, item 6): Buzz's events go through the real path (the
//! sandbox writes them into the Kinesis stream through the AWS SDK, some records holding
//! several events), the sandbox plays Firehose (`--play-firehose`: it reads the delivery
//! stream's configuration back from moto and applies it), and the objects that land in
//! moto's S3 are downloaded and queried with DuckDB exactly as `archive.rs` queries objects
//! laid out by hand: the table's own columns and partitions, the model's queries verbatim.
//! The archive is made by `setup --archive-bucket`, so what the sandbox plays is the
//! configuration the tool wrote.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use buzz_kinesis::archive::Archive;
use buzz_kinesis::names::BucketName;
use serde_json::{json, Value};

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// The sandbox delivers every 300 ms here (real Firehose: every 60 s or 64 MiB).
const FLUSH_MS: u64 = 300;
const WAIT: Duration = Duration::from_secs(60);

/// The archive model for a stream, and a fresh bucket name.
fn model(stream: &str) -> (Archive, String) {
    let bucket = harness::unique("archive");
    let name = BucketName::parse("--archive-bucket", &bucket).unwrap();
    (Archive::new(name, None, stream, None, &[]), bucket)
}

/// A sandbox that plays this archive's delivery stream only (tests share one moto).
fn sandbox_for(archive: &Archive) -> Sandbox {
    Sandbox::start(SandboxOptions::new().play_firehose(FLUSH_MS, &[&archive.delivery_stream()]))
}

/// The stream, the roles and the archive, without Buzz (`--aws-only`): only what a test
/// writes into the stream is there to archive.
fn aws_half_with_archive(sandbox: &Sandbox, names: &Names, bucket: &str) {
    Tool::setup(sandbox, names)
        .args(["--aws-only", "--archive-bucket", bucket])
        .run()
        .assert_success();
}

/// `check` with the archive, as JSON; `--aws-only` when setup made the AWS half alone.
fn check(sandbox: &Sandbox, names: &Names, bucket: &str, aws_only: bool) -> Outcome {
    let mut tool = Tool::against("check", sandbox, names).args(["--archive-bucket", bucket]);
    if aws_only {
        tool = tool.arg("--aws-only");
    }
    tool.run()
}

fn status(out: &Outcome, id: &str) -> String {
    let row = out.check_row(id);
    format!(
        "{}: {}",
        row["status"].as_str().unwrap(),
        row["message"].as_str().unwrap()
    )
}

/// Every file under `dir`, recursively, with its path relative to `dir`.
fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, path));
            }
        }
    }
    out.sort();
    out
}

fn gunzip(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "{} is not gzip", path.display());
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text
}

/// `<prefix><delivery stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`: Firehose's names.
fn assert_firehose_name(key: &str, delivery_stream: &str) {
    let name = key.rsplit_once('/').unwrap().1;
    let rest = name
        .strip_prefix(&format!("{delivery_stream}-1-"))
        .unwrap_or_else(|| panic!("{key}: not <name>-<version>-..."));
    let stamp = &rest[..19];
    assert!(
        stamp
            .bytes()
            .enumerate()
            .all(|(i, b)| if [4, 7, 10, 13, 16].contains(&i) {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }),
        "{key}: timestamp {stamp}"
    );
    let id = rest[20..]
        .strip_suffix(".gz")
        .unwrap_or_else(|| panic!("{key}: no .gz"));
    assert_eq!(id.len(), 36, "{key}: id {id}");
}

/// Today in UTC, as the date command says it.
fn utc_today() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn buzz_events_land_in_s3_by_type_and_day_and_duckdb_counts_what_was_sent() {
    let names = Names::new();
    let (archive, bucket) = model(&names.stream);
    let delivery = archive.delivery_stream();
    let sandbox = sandbox_for(&archive);
    // Setup makes the delivery stream before Buzz sends anything (Firehose reads a stream from
    // the moment its delivery stream exists, and so does the sandbox): setup's own events are
    // archived too. With the views, which DuckDB reads below as Glue holds them.
    Tool::setup(&sandbox, &names)
        .args(["--archive-bucket", &bucket, "--archive-views"])
        .run()
        .assert_success();

    // Known events on known days; records holding one, two and three events.
    for (ty, count, time, per_record, records) in [
        ("UserEntityCreated", 3, "2026-01-01T08:00:00.1234567Z", 1, 3),
        ("GradeChanged", 4, "2026-01-01T10:00:00.0000000Z", 2, 2),
        ("GradeChanged", 3, "2026-01-02T13:00:00.0000000Z", 3, 1),
        ("UserEntityChanged", 2, "2026-01-02T12:00:00.5000000Z", 1, 2),
    ] {
        assert_eq!(
            sandbox
                .emit_shaped(DOMAIN_ID, ty, count, time, per_record)
                .await,
            (count, records)
        );
    }

    // What was sent is what the stream holds: these and setup's own events (Buzz's probe
    // and its configuration event, today).
    let records = harness::read_records(&names.stream);
    let sent: Vec<Value> = records
        .iter()
        .flat_map(|r| r.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()))
        .collect();
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for e in &sent {
        let key = (
            e["time"].as_str().unwrap()[..10].to_owned(),
            e["type"].as_str().unwrap().to_owned(),
        );
        *expected.entry(key).or_default() += 1;
    }
    assert!(
        records.len() < sent.len(),
        "some records hold several events"
    );

    let report = sandbox
        .wait_for_delivery(&delivery, sent.len() as u64, 0, WAIT)
        .await;
    assert_eq!(report["records"], records.len(), "{report}");
    assert_eq!(report["lastError"], Value::Null, "{report}");

    // The objects, as the AWS CLI lists them: Firehose's names under the model's prefix.
    let keys = harness::object_keys(&bucket, "");
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.starts_with("events/type="), "{key}");
        assert_firehose_name(key, &delivery);
    }

    // Downloaded: gzip, one event per line, each in its type's and day's partition.
    let dir = tempfile::tempdir().unwrap();
    harness::download_bucket(&bucket, dir.path());
    let mut lines = 0;
    for (rel, path) in files(dir.path()) {
        let text = gunzip(&path);
        assert!(text.ends_with('\n'), "{rel}");
        let parts: Vec<&str> = rel.split('/').collect();
        for line in text.lines() {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{rel}: a line is not one event ({e}): {line}"));
            assert_eq!(
                parts[1],
                format!("type={}", event["type"].as_str().unwrap())
            );
            assert_eq!(
                parts[2],
                format!("dt={}", &event["time"].as_str().unwrap()[..10])
            );
            lines += 1;
        }
    }
    assert_eq!(lines, sent.len());

    // DuckDB, as archive.rs queries objects laid out by hand, and the views setup stored in
    // Glue, decoded as Athena decodes them.
    let views: Vec<(String, String)> = archive
        .views()
        .iter()
        .map(|v| {
            let t = harness::aws_cli(&[
                "glue",
                "get-table",
                "--database-name",
                &archive.database(),
                "--name",
                v.name,
            ])["Table"]
                .clone();
            assert_eq!(t["TableType"], "VIRTUAL_VIEW", "{t}");
            assert_eq!(t["Parameters"]["presto_view"], "true", "{t}");
            (
                v.name.to_owned(),
                t["ViewOriginalText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let out = harness::duckdb_with_views(dir.path(), &archive.describe(), &[], &views);
    let per_day = out["results"]["events_per_type_per_day"].clone();
    let want: Vec<Value> = expected
        .iter()
        .map(|((dt, ty), n)| json!([dt, ty, n]))
        .collect();
    assert_eq!(per_day, Value::Array(want), "{out}");
    for row in [
        json!(["2026-01-01", "GradeChanged", 4]),
        json!(["2026-01-01", "UserEntityCreated", 3]),
        json!(["2026-01-02", "GradeChanged", 3]),
        json!(["2026-01-02", "UserEntityChanged", 2]),
    ] {
        assert!(
            per_day.as_array().unwrap().contains(&row),
            "{row} in {per_day}"
        );
    }
    let guids: BTreeSet<&str> = sent.iter().map(|e| e["guid"].as_str().unwrap()).collect();
    assert_eq!(
        out["results"]["distinct_count"],
        json!([[guids.len()]]),
        "{out}"
    );
    assert_eq!(out["parsed"]["ddl"], "Create", "{out}");
    // The views answer what the printed queries answer, with the columns they declare.
    let v = &out["views"];
    assert_eq!(v["events_per_type_per_day"]["rows"], per_day, "{v}");
    assert_eq!(
        v["events_distinct"]["rows"].as_array().unwrap().len(),
        guids.len(),
        "{v}"
    );
    let latest = out["results"]["latest_user_state"].as_array().unwrap();
    assert!(!latest.is_empty(), "{out}");
    let mut sorted = latest.clone();
    sorted.sort_by_key(|r| r.to_string());
    let mut rows = v["latest_user_state"]["rows"].as_array().unwrap().clone();
    rows.sort_by_key(|r| r.to_string());
    assert_eq!(rows, sorted, "{v}");
    for name in [
        "events_per_type_per_day",
        "latest_user_state",
        "events_distinct",
    ] {
        assert_eq!(v[name]["columns"], v[name]["declared"], "{v}");
        assert_eq!(v[name]["catalog"], "awsdatacatalog", "{v}");
        assert_eq!(v[name]["parsed"], "Select", "{v}");
    }

    // Delivered once: later flushes add nothing.
    tokio::time::sleep(Duration::from_millis(3 * FLUSH_MS)).await;
    assert_eq!(harness::object_keys(&bucket, "").len(), keys.len());

    // check proves it: every archive row passes.
    let out = check(&sandbox, &names, &bucket, false);
    out.assert_success();
    for id in [
        "archive.bucket",
        "archive.delivery",
        "archive.role",
        "archive.errors",
        "archive.objects",
        // Firehose's own metrics, which the sandbox publishes as Firehose does.
        "archive.metrics",
    ] {
        assert!(
            status(&out, id).starts_with("pass: "),
            "{}",
            status(&out, id)
        );
    }
    // A consumer reading 13 h behind on a 24 h stream (CloudWatch's own metric): a warning.
    harness::aws_cli(&[
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "AWS/Kinesis",
        "--metric-data",
        &json!([{
            "MetricName": "GetRecords.IteratorAgeMilliseconds",
            "Dimensions": [{"Name": "StreamName", "Value": names.stream}],
            "Value": 13.0 * 3_600_000.0,
            "Unit": "Milliseconds",
        }])
        .to_string(),
    ]);
    let out = check(&sandbox, &names, &bucket, false);
    let row = status(&out, "stream.consumers");
    assert!(
        row.starts_with("warn: ") && row.contains("13 h behind, 54% of the 24 h retention"),
        "{row}"
    );
}

#[tokio::test]
async fn records_that_are_not_events_land_under_the_error_prefix_as_processing_failed() {
    let names = Names::new();
    let (archive, bucket) = model(&names.stream);
    let delivery = archive.delivery_stream();
    let before = utc_today();
    let sandbox = sandbox_for(&archive);
    aws_half_with_archive(&sandbox, &names, &bucket);

    let event = json!({"time": "2026-01-03T00:00:00Z", "guid": "g1", "type": "GradeChanged", "domainId": DOMAIN_ID});
    for data in [
        "not an event".to_owned(),
        // JSON, but no type or time to partition by.
        json!({"guid": "g2"}).to_string(),
        // A type, and a time too short to hold a day: the query raises an error, rather than
        // making a partition `dt=2026`.
        json!({"guid": "g3", "type": "GradeChanged", "time": "2026"}).to_string(),
        event.to_string(),
    ] {
        harness::put_record(&names.stream, &data);
    }
    sandbox.wait_for_delivery(&delivery, 1, 3, WAIT).await;
    let after = utc_today();

    // One object per flush: the records may have come in one flush or several.
    let errors = harness::object_keys(&bucket, "errors/");
    assert!(!errors.is_empty());
    let dirs: BTreeSet<&str> = errors
        .iter()
        .map(|k| k.rsplit_once('/').unwrap().0)
        .collect();
    assert!(
        dirs.iter().all(|dir| [
            format!("errors/processing-failed/dt={before}"),
            format!("errors/processing-failed/dt={after}")
        ]
        .contains(&(*dir).to_owned())),
        "{dirs:?}"
    );
    for key in &errors {
        assert_firehose_name(key, &delivery);
    }
    let events = harness::object_keys(&bucket, "events/");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with("events/type=GradeChanged/dt=2026-01-03/"));

    // Each failure a line of its own with the record's data, as it came.
    let tmp = tempfile::tempdir().unwrap();
    harness::download_bucket(&bucket, tmp.path());
    let mut raw: Vec<String> = Vec::new();
    for key in &errors {
        for line in gunzip(&tmp.path().join(key)).lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert!(record["errorCode"].as_str().is_some(), "{record}");
            assert!(record["errorMessage"].as_str().is_some(), "{record}");
            let bytes = harness::base64_decode(record["rawData"].as_str().unwrap()).unwrap();
            raw.push(String::from_utf8(bytes).unwrap());
        }
    }
    raw.sort();
    let mut want = vec![
        "not an event".to_owned(),
        json!({"guid": "g2"}).to_string(),
        json!({"guid": "g3", "type": "GradeChanged", "time": "2026"}).to_string(),
    ];
    want.sort();
    assert_eq!(raw, want);
    // check fails on them, with their count.
    let out = check(&sandbox, &names, &bucket, true);
    out.assert_code(2);
    let row = status(&out, "archive.errors");
    assert!(
        row.starts_with(&format!(
            "fail: {} object(s) under s3://{bucket}/errors/",
            errors.len()
        )),
        "{row}"
    );
    let delivered = gunzip(&tmp.path().join(&events[0]));
    assert_eq!(delivered, format!("{event}\n"));
}

#[tokio::test]
async fn a_delivery_role_without_s3_put_object_writes_nothing_and_the_records_wait() {
    let names = Names::new();
    let (archive, bucket) = model(&names.stream);
    let delivery = archive.delivery_stream();
    let sandbox = sandbox_for(&archive);
    aws_half_with_archive(&sandbox, &names, &bucket);
    // The role loses its policy: only reading the stream is left.
    let role = archive.role();
    let allowed = harness::aws_cli(&[
        "iam",
        "get-role-policy",
        "--role-name",
        role.as_str(),
        "--policy-name",
        "buzz-kinesis-archive",
    ])["PolicyDocument"]
        .clone();
    let mut read_only = allowed.clone();
    let read_the_stream = allowed["Statement"][0].clone();
    read_only["Statement"] = json!([read_the_stream]);
    harness::put_role_policy(&archive.role(), "buzz-kinesis-archive", &read_only);

    let event = json!({"time": "2026-01-03T00:00:00Z", "guid": "g1", "type": "GradeChanged"});
    harness::put_record(&names.stream, &event.to_string());

    // Read, held, refused: the report says why, and S3 has nothing.
    let deadline = std::time::Instant::now() + WAIT;
    let report = loop {
        let report = sandbox.firehose_report(&delivery).await;
        if report["pending"].as_u64() == Some(1) && report["lastError"].is_string() {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "{report}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let why = report["lastError"].as_str().unwrap();
    assert!(
        why.contains("s3:PutObject") && why.contains(&archive.role()),
        "{why}"
    );
    assert!(harness::object_keys(&bucket, "").is_empty());
    // check names the missing permission.
    let out = check(&sandbox, &names, &bucket, true);
    out.assert_code(2);
    let row = status(&out, "archive.role");
    assert!(
        row.starts_with(&format!(
            "fail: Firehose's role {} may not s3:",
            archive.role()
        )),
        "{row}"
    );
    // Firehose's own metrics say the deliveries fail.
    let row = status(&out, "archive.metrics");
    assert!(row.starts_with("fail: deliveries to S3 failed"), "{row}");

    // The permission back: the held records are delivered, once.
    harness::put_role_policy(&archive.role(), "buzz-kinesis-archive", &allowed);
    let report = sandbox.wait_for_delivery(&delivery, 1, 0, WAIT).await;
    assert_eq!(report["lastError"], Value::Null, "{report}");
    assert_eq!(harness::object_keys(&bucket, "events/").len(), 1);
}
