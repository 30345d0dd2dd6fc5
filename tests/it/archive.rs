//! The archive (`export --archive-bucket`), proven without AWS: the exports lint clean
//! (cfn-lint, python-hcl2, parliament on the Firehose role), and the table's SQL runs on data
//! laid out as Firehose writes it. Known events, some records holding several
//! newline-separated events, are split as Firehose's JSON de-aggregation splits them, keyed by
//! the model's prefix and written as gzipped JSON lines into a temp dir; DuckDB reads them with
//! the table's own columns and partitions (from `export --format archive`) and runs the
//! model's queries verbatim; sqlglot parses the DDL and the queries in Athena's dialect.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::harness::{self, python, AGILIX_ACCOUNT};
use crate::tool::*;

const BUCKET: &str = "district-42-buzz-archive";
const CMK: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn policy(names: &Names, extra: &[&str]) -> Outcome {
    let out = Tool::new()
        .args(["export", "--agilix-account", AGILIX_ACCOUNT, "--yes"])
        .args(["--stream", &names.stream, "--role", &names.role])
        .args(extra.iter().copied())
        .run();
    out.assert_success();
    out
}

/// The archive's description, as `export --format archive` prints it.
fn describe(names: &Names) -> Value {
    policy(names, &["--archive-bucket", BUCKET, "--format", "archive"]).json()["archive"].clone()
}

fn lint_cfn(path: &Path) {
    let lint = Command::new("cfn-lint")
        .arg(path)
        .output()
        .expect("cfn-lint is installed (scripts/ensure-tools)");
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}

/// The resource types of a Terraform configuration, parsed by python-hcl2.
fn hcl_resources(path: &Path) -> BTreeSet<String> {
    let script = r#"
import hcl2, json, sys
doc = hcl2.load(open(json.load(sys.stdin)["path"]))
print(json.dumps(sorted({k for r in doc.get("resource", []) for k in r})))
"#;
    let v = python(script, &json!({"path": path}));
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().trim_matches('"').to_owned())
        .collect()
}

fn parliament(document: &Value) -> String {
    let out = Command::new("parliament")
        .args(["--json", "--string", &document.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("parliament is installed (scripts/ensure-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_archive_is_in_both_exports_lint_clean_and_absent_without_the_flag() {
    let names = Names::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    for (variant, extra) in [
        ("sse-s3", vec!["--archive-bucket", BUCKET]),
        (
            "cmk",
            vec![
                "--archive-bucket",
                BUCKET,
                "--archive-days",
                "400",
                "--kms-key",
                CMK,
            ],
        ),
    ] {
        let cfn_path = dir.path().join(format!("{variant}.json"));
        let cfn = policy(
            &names,
            &[&extra[..], &["--format", "cloudformation"]].concat(),
        );
        std::fs::write(&cfn_path, &cfn.stdout).unwrap();
        lint_cfn(&cfn_path);
        let t = cfn.json();
        let types: BTreeSet<&str> = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|r| r["Type"].as_str())
            .collect();
        for ty in [
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
            "AWS::IAM::Role",
            "AWS::KinesisFirehose::DeliveryStream",
            "AWS::Glue::Database",
            "AWS::Glue::Table",
        ] {
            assert!(types.contains(ty), "{variant}: {ty} in {types:?}");
        }
        let s3 = &t["Resources"]["BuzzArchiveDeliveryStream"]["Properties"]
            ["ExtendedS3DestinationConfiguration"];
        assert_eq!(
            s3["Prefix"],
            "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/"
        );
        assert_eq!(s3["BufferingHints"]["SizeInMBs"], 64);
        assert!(t["Outputs"]["ArchiveQueryEventsPerTypePerDay"]["Value"]
            .as_str()
            .unwrap()
            .contains("GROUP BY"));

        let tf_path = dir.path().join(format!("{variant}.tf"));
        let tf = policy(&names, &[&extra[..], &["--format", "terraform"]].concat());
        std::fs::write(&tf_path, &tf.stdout).unwrap();
        let resources = hcl_resources(&tf_path);
        for r in [
            "aws_s3_bucket",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_policy",
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_kinesis_firehose_delivery_stream",
            "aws_glue_catalog_database",
            "aws_glue_catalog_table",
        ] {
            assert!(resources.contains(r), "{variant}: {r} in {resources:?}");
        }
    }

    // Without the flag: not a trace of it.
    let cfn = policy(&names, &["--format", "cloudformation"]);
    assert!(!cfn.stdout.contains("Archive"), "{}", cfn.stdout);
    let tf = policy(&names, &["--format", "terraform"]);
    assert!(
        !tf.stdout.contains("archive") && tf.stdout.contains("\">= 4.0\""),
        "{}",
        tf.stdout
    );
}

#[test]
fn the_firehose_role_is_least_privilege_by_the_parliament_linter() {
    use buzz_kinesis::archive::{Archive, ArchiveRefs};
    use buzz_kinesis::names::{BucketName, KmsKey};
    let refs = ArchiveRefs {
        account: "123456789012",
        stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events",
        log_stream_arn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/buzz-events-archive:log-stream:DestinationDelivery",
        kinesis_service: "kinesis.us-east-1.amazonaws.com",
        s3_service: "s3.us-east-1.amazonaws.com",
    };
    let bucket = BucketName::parse("--archive-bucket", BUCKET).unwrap();
    for key in [None, Some(KmsKey::parse("--kms-key", CMK).unwrap())] {
        let a = Archive::new(bucket.clone(), None, "buzz-events", key, &[]);
        let permission = a.permission(&refs);
        assert_eq!(parliament(&permission).trim(), "", "{permission}");
    }
    // (Parliament lints identity policies; the trust, a resource policy with no Resource, is
    // unit-tested in src/archive.rs.) The linter does speak up on a wide grant.
    assert!(parliament(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})).contains("RESOURCE_STAR"));
}

/// Known events as Buzz writes them: records, some with several newline-separated events, one
/// a retry of an event already sent, one that is not an event.
fn records() -> Vec<Vec<String>> {
    let event = |time: &str, guid: &str, ty: &str, user: &str| {
        json!({
            "time": time, "guid": guid, "domainId": "424242", "type": ty,
            "userId": user, "agentUserId": "2239", "sessionId": "8655695467559064423",
            "data": {"id": user, "guid": guid, "nested": {"n": 1}},
        })
        .to_string()
    };
    // Two buffer flushes: each partition gets an object per flush.
    vec![
        vec![
            event(
                "2026-01-01T08:00:00.1234567Z",
                "g1",
                "UserEntityCreated",
                "u1",
            ),
            [
                event("2026-01-02T09:00:00Z", "g2", "UserEntityChanged", "u1"),
                event("2026-01-01T10:00:00Z", "g3", "GradeChanged", "u2"),
                event("2026-01-02T11:00:00Z", "g4", "UserEntityCreated", "u2"),
            ]
            .join("\n"),
        ],
        vec![
            [
                event("2026-01-02T13:00:00Z", "g5", "GradeChanged", "u2"),
                // Delivered again: a retry.
                event("2026-01-01T10:00:00Z", "g3", "GradeChanged", "u2"),
            ]
            .join("\n"),
            event("2026-01-02T12:00:00.5Z", "g6", "UserEntityChanged", "u1"),
            "not an event".into(),
        ],
    ]
}

/// What Firehose writes for `records`: each record split into its events (JSON
/// de-aggregation), each event keyed by the model's JQ query (`type`, `time[0:10]`) into the
/// model's prefix with a newline after it; what it cannot key goes under the error prefix.
/// Object paths as Firehose names them, to the text of the (uncompressed) object.
fn deliver(archive: &Value, flushes: &[Vec<String>]) -> Vec<(String, String)> {
    let prefix = archive["prefix"].as_str().unwrap();
    let errors = archive["error_prefix"].as_str().unwrap();
    let stream = archive["delivery_stream"].as_str().unwrap();
    let mut objects: Vec<(String, String)> = Vec::new();
    for (n, flush) in flushes.iter().enumerate() {
        let mut batch: std::collections::BTreeMap<String, String> = Default::default();
        for record in flush {
            for line in record.split('\n').filter(|l| !l.trim().is_empty()) {
                let keyed = serde_json::from_str::<Value>(line).ok().and_then(|e| {
                    Some((
                        e["type"].as_str()?.to_owned(),
                        e["time"].as_str()?.get(0..10)?.to_owned(),
                    ))
                });
                let dir = match keyed {
                    Some((ty, dt)) => prefix
                        .replace("!{partitionKeyFromQuery:type}", &ty)
                        .replace("!{partitionKeyFromQuery:dt}", &dt),
                    None => errors
                        .replace("!{firehose:error-output-type}", "processing-failed")
                        .replace("!{timestamp:yyyy-MM-dd}", "2026-01-02"),
                };
                let text = batch.entry(dir).or_default();
                text.push_str(line);
                // AppendDelimiterToRecord.
                text.push('\n');
            }
        }
        for (dir, text) in batch {
            objects.push((
                format!("{dir}{stream}-1-2026-01-02-12-00-0{n}-{n}f1e2d3c.gz"),
                text,
            ));
        }
    }
    objects
}

#[test]
fn the_sql_counts_archived_events_per_type_and_day_in_duckdb_and_parses_as_athena() {
    let names = Names::new();
    let archive = describe(&names);
    let objects = deliver(&archive, &records());
    // The record with three events went to three partitions.
    let dirs: BTreeSet<&str> = objects
        .iter()
        .map(|(p, _)| p.rsplit_once('/').unwrap().0)
        .collect();
    assert_eq!(
        dirs,
        BTreeSet::from([
            "errors/processing-failed/dt=2026-01-02",
            "events/type=GradeChanged/dt=2026-01-01",
            "events/type=GradeChanged/dt=2026-01-02",
            "events/type=UserEntityChanged/dt=2026-01-02",
            "events/type=UserEntityCreated/dt=2026-01-01",
            "events/type=UserEntityCreated/dt=2026-01-02",
        ])
    );
    assert!(objects.iter().all(|(_, text)| text.ends_with('\n')));

    let dir = tempfile::tempdir().expect("a temp dir");
    let out = harness::duckdb(dir.path(), &archive, &objects);
    let r = &out["results"];
    assert_eq!(
        r["columns"],
        json!([
            "time",
            "guid",
            "domainid",
            "userid",
            "agentuserid",
            "sessionid",
            "data",
            "type",
            "dt"
        ])
    );
    // Every event once per delivery (the retry counts twice here), the error line nowhere.
    assert_eq!(
        r["events_per_type_per_day"],
        json!([
            ["2026-01-01", "GradeChanged", 2],
            ["2026-01-01", "UserEntityCreated", 1],
            ["2026-01-02", "GradeChanged", 1],
            ["2026-01-02", "UserEntityChanged", 2],
            ["2026-01-02", "UserEntityCreated", 1],
        ]),
        "{out}"
    );
    // The view keeps each guid once.
    assert_eq!(r["distinct_count"], json!([[6]]), "{out}");
    // The newest UserEntity* event per user, its payload as JSON text.
    let latest = r["latest_user_state"].as_array().unwrap();
    assert_eq!(latest.len(), 2, "{out}");
    assert_eq!(latest[0][0], "u1");
    assert_eq!(latest[0][1], "UserEntityChanged");
    assert_eq!(latest[0][2], "2026-01-02T12:00:00.5Z");
    let data: Value = serde_json::from_str(latest[0][3].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"id": "u1", "guid": "g6", "nested": {"n": 1}}));
    assert_eq!(latest[1][0], "u2");
    assert_eq!(latest[1][1], "UserEntityCreated");

    let parsed = &out["parsed"];
    assert_eq!(
        parsed,
        &json!({
            "ddl": "Create",
            "events_per_type_per_day": "Select",
            "latest_user_state": "Select",
            "distinct_events_view": "Create",
            "broken": "refused",
        })
    );
    // The DDL kept what matters through the parser: the partitions, the SerDe, the projection.
    let ddl = out["ddl"].as_str().unwrap();
    for part in [
        "PARTITIONED BY (`type` STRING, `dt` STRING)",
        "org.openx.data.jsonserde.JsonSerDe",
        "'projection.dt.range'='",
        "s3://district-42-buzz-archive/events/type=${type}/dt=${dt}/",
    ] {
        assert!(ddl.contains(part), "{part} in {ddl}");
    }
}

#[test]
fn bad_archive_values_are_refused_before_anything_and_buzz_only_refuses_the_archive() {
    for (args, expect) in [
        (
            vec!["--archive-bucket", "Buzz_Archive"],
            "lowercase letters, digits",
        ),
        (vec!["--archive-bucket", "192.168.5.4"], "IP address"),
        (
            vec!["--archive-bucket", BUCKET, "--archive-days", "0"],
            "1 to 36500",
        ),
        (vec!["--archive-days", "30"], "with --archive-bucket"),
    ] {
        let out = Tool::new()
            .args(["export", "--agilix-account", AGILIX_ACCOUNT, "--yes"])
            .args(args.iter().copied())
            .args(["--format", "terraform"])
            .run();
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(expect), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    // policy without a template, and --format archive without a bucket: both say what to do.
    let out = Tool::new()
        .args(["export", "--agilix-account", AGILIX_ACCOUNT, "--yes"])
        .args(["--archive-bucket", BUCKET])
        .run();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("--format"), "{}", out.stderr);
    let out = Tool::new()
        .args(["export", "--agilix-account", AGILIX_ACCOUNT, "--yes"])
        .args(["--format", "archive"])
        .run();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("--archive-bucket"), "{}", out.stderr);
    // setup and check judge the bucket (from the env var too) before any request: AWS's
    // endpoint here answers nothing.
    for command in ["setup", "check"] {
        let out = Tool::new()
            .args([
                command,
                "--agilix-account",
                AGILIX_ACCOUNT,
                "--aws-only",
                "--yes",
            ])
            .env("BUZZ_KINESIS_ARCHIVE_BUCKET", "Not_A_Bucket")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .run();
        assert_eq!(out.code, Some(1), "{command}: {}", out.stderr);
        assert!(
            out.stderr.contains("--archive-bucket") && out.stderr.contains("lowercase"),
            "{command}: {}",
            out.stderr
        );
    }
    // The archive is the AWS half's: --buzz-only refuses it rather than ignore it.
    let out = Tool::new()
        .args(["setup", "--buzz-only", "--yes", "--domain", "424242"])
        .args(["--stream", "buzz-events", "--region", "us-east-1"])
        .args([
            "--role-arn",
            "arn:aws:iam::123456789012:role/BuzzKinesisWriter",
        ])
        .args(["--archive-bucket", BUCKET])
        .env("BUZZ_API_URL", "http://127.0.0.1:9")
        .run();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("part of the AWS half"),
        "{}",
        out.stderr
    );
}
