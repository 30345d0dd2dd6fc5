//! The local stack enforces what AWS enforces (#30): each test sets AWS up by hand (the AWS CLI
//! against moto, no tool) the way AWS's documentation says it must or must not be, and shows the
//! sandbox refusing and then accepting, as AWS would: Buzz's test of a writer role on a stream
//! under a customer-managed key, Firehose assuming its role, Firehose reading an encrypted
//! stream, and a delivery stream that breaks Firehose's configuration rules. moto itself checks
//! none of these. docs/aws-rules.md lists the rules with their pages.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::*;

/// The sandbox's Firehose flushes every 300 ms here.
const FLUSH_MS: u64 = 300;
const WAIT: Duration = Duration::from_secs(60);

fn aliased_key() -> (String, String) {
    crate::harness::aliased_key("district")
}

/// A stream encrypted by a district's security team with `key` (here, its alias).
fn encrypted_stream(key: &str) -> String {
    let stream = unique("cmk-stream");
    crate::harness::encrypted_stream(&stream, key);
    stream
}

/// A statement granting `actions` on `key` through `service` (kms:ViaService), as a policy.
fn key_grant(name: &str, actions: &[&str], key: &str, service: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": name, "Effect": "Allow",
        "Action": actions, "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": format!("{service}.{REGION}.amazonaws.com")}}}]})
}

/// Buzz's test of one Kinesis target, as the admin would start it from Buzz.
async fn buzz_test(sandbox: &Sandbox, stream: &str, role: &str) -> Value {
    let token = sandbox.login_admin().await;
    let target = json!({"title": "district", "enabled": false, "targetKinesisStream": stream,
        "roleArn": role_arn(role), "targetRegion": REGION});
    sandbox
        .cmd_as(
            &token,
            json!({"cmd": "setdatastreamconfiguration", "domainid": DOMAIN_ID, "test": true,
                "kinesis": [target]}),
        )
        .await
}

#[tokio::test]
async fn a_writer_without_generate_data_key_on_an_alias_encrypted_stream_is_refused_until_granted_by_key_arn(
) {
    let sandbox = Sandbox::start_default();
    let (alias, key_arn) = aliased_key();
    let stream = encrypted_stream(&alias);
    let role = unique("cmk-writer");
    create_writer_role(&role, &stream);

    // No grant: Kinesis (and so the sandbox) refuses Buzz's write, naming the key's ARN.
    let refused = buzz_test(&sandbox, &stream, &role).await;
    assert_eq!(refused["code"], "BadRequest", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.starts_with("Kinesis target 'district': KMSAccessDeniedException: ")
            && message.contains(&format!("kms:GenerateDataKey on resource: {key_arn}")),
        "{message}"
    );

    // A grant naming the alias grants nothing on the key (IAM names keys by ARN only).
    let alias_arn = format!("arn:aws:kms:{REGION}:{MOTO_ACCOUNT}:{alias}");
    put_role_policy(
        &role,
        "by-alias",
        &key_grant("ByAlias", &["kms:GenerateDataKey"], &alias_arn, "kinesis"),
    );
    let still = buzz_test(&sandbox, &stream, &role).await;
    assert!(
        still["message"]
            .as_str()
            .unwrap_or_default()
            .contains("KMSAccessDeniedException"),
        "{still}"
    );

    // The grant by key ARN, through Kinesis: Buzz's test writes its probe.
    put_role_policy(
        &role,
        "by-arn",
        &key_grant("ByArn", &["kms:GenerateDataKey"], &key_arn, "kinesis"),
    );
    let accepted = buzz_test(&sandbox, &stream, &role).await;
    assert_eq!(accepted["code"], "OK", "{accepted}");
    assert_eq!(
        read_events(&stream).len(),
        1,
        "the probe reached the stream"
    );
}

/// Firehose's trust as AWS documents it, or one resting on `aws:SourceAccount`.
fn firehose_trust(condition_key: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {condition_key: MOTO_ACCOUNT}}}]})
}

/// What Firehose's role needs to read `stream` and write `bucket` (no key).
fn firehose_permissions(stream: &str, bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
            "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"],
         "Resource": stream_arn(stream)},
        {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject",
            "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListBucketMultipartUploads"],
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]})
}

/// An archive made by hand: a bucket, Firehose's role (`trust`) and a delivery stream reading
/// `stream` with dynamic partitioning, its destination as the tool writes it with `change`
/// applied. Returns (delivery stream, bucket, role).
fn hand_made_archive(
    stream: &str,
    trust: &Value,
    change: impl FnOnce(&mut Value),
) -> (String, String, String) {
    let bucket = unique("rules-bucket");
    aws_cli(&["s3api", "create-bucket", "--bucket", &bucket]);
    let role = unique("rules-firehose");
    create_role(&role, trust, 3600);
    put_role_policy(&role, "firehose", &firehose_permissions(stream, &bucket));
    let name = unique("rules-delivery");
    let mut destination = json!({
        "RoleARN": role_arn(&role),
        "BucketARN": format!("arn:aws:s3:::{bucket}"),
        "Prefix": "events/type=!{partitionKeyFromQuery:type}/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "CompressionFormat": "UNCOMPRESSED",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "DynamicPartitioningConfiguration": {"Enabled": true, "RetryOptions": {"DurationInSeconds": 300}},
        "ProcessingConfiguration": {"Enabled": true, "Processors": [
            {"Type": "RecordDeAggregation", "Parameters": [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]},
            {"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{type: .type}"},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
            {"Type": "AppendDelimiterToRecord", "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "\\n"}]}]}
    });
    change(&mut destination);
    let source = json!({"KinesisStreamARN": stream_arn(stream), "RoleARN": role_arn(&role)});
    aws_cli(&[
        "firehose",
        "create-delivery-stream",
        "--delivery-stream-name",
        &name,
        "--delivery-stream-type",
        "KinesisStreamAsSource",
        "--kinesis-stream-source-configuration",
        &source.to_string(),
        "--extended-s3-destination-configuration",
        &destination.to_string(),
    ]);
    (name, bucket, role)
}

/// Waits until the sandbox's Firehose reports `key` (`lastError`, `refused`) for `name`; returns
/// the report. The delivery stalled or was refused: nothing is in the bucket.
async fn wait_for_report(sandbox: &Sandbox, name: &str, key: &str, bucket: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let report = sandbox.firehose_report(name).await;
        if report[key].is_string() {
            assert_eq!(report["events"], 0, "{report}");
            assert!(object_keys(bucket, "").is_empty(), "{report}");
            return report;
        }
        assert!(Instant::now() < deadline, "no {key} for {name}: {report}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const EVENT: &str = r#"{"type":"GradeChanged","time":"2026-01-01T08:00:00Z"}"#;

#[tokio::test]
async fn firehose_cannot_assume_a_role_trusting_source_account_and_can_with_its_external_id() {
    let stream = unique("trust-stream");
    create_stream(&stream);
    let (name, bucket, role) =
        hand_made_archive(&stream, &firehose_trust("aws:SourceAccount"), |_| {});
    let sandbox = Sandbox::start(SandboxOptions::new().play_firehose(FLUSH_MS, &[&name]));
    put_record(&stream, EVENT);

    let report = wait_for_report(&sandbox, &name, "lastError", &bucket).await;
    let error = report["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("AccessDenied: Firehose is unable to assume role")
            && error.contains("sts:ExternalId"),
        "{report}"
    );
    assert!(
        sandbox.log_text().contains(error),
        "the stall is in the sandbox's log"
    );

    // The documented trust: the record that waited in the stream is delivered.
    aws_cli(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        &role,
        "--policy-document",
        &firehose_trust("sts:ExternalId").to_string(),
    ]);
    let report = sandbox.wait_for_delivery(&name, 1, 0, WAIT).await;
    assert_eq!(report["lastError"], Value::Null, "{report}");
}

#[tokio::test]
async fn firehose_without_kms_decrypt_on_the_stream_s_key_delivers_nothing_until_granted() {
    let (alias, key_arn) = aliased_key();
    let stream = encrypted_stream(&alias);
    let (name, bucket, role) =
        hand_made_archive(&stream, &firehose_trust("sts:ExternalId"), |_| {});
    let sandbox = Sandbox::start(SandboxOptions::new().play_firehose(FLUSH_MS, &[&name]));
    put_record(&stream, EVENT);

    let report = wait_for_report(&sandbox, &name, "lastError", &bucket).await;
    let error = report["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("KMSAccessDeniedException: ")
            && error.contains(&format!("kms:Decrypt on resource: {key_arn}")),
        "{report}"
    );

    put_role_policy(
        &role,
        "decrypt",
        &key_grant("Decrypt", &["kms:Decrypt"], &key_arn, "kinesis"),
    );
    sandbox.wait_for_delivery(&name, 1, 0, WAIT).await;
}

#[tokio::test]
async fn a_delivery_stream_breaking_firehose_s_configuration_rules_is_refused() {
    let stream = unique("rules-stream");
    create_stream(&stream);
    type Change = fn(&mut Value);
    let cases: [(&str, Change); 5] = [
        ("is below 64", |d| {
            d["BufferingHints"]["SizeInMBs"] = json!(5)
        }),
        ("zero buffering", |d| {
            d["BufferingHints"]["IntervalInSeconds"] = json!(0)
        }),
        ("must contain !{firehose:error-output-type}", |d| {
            d["ErrorOutputPrefix"] = json!("errors/")
        }),
        ("not in Prefix", |d| {
            d["Prefix"] =
                json!("events/!{partitionKeyFromQuery:type}/!{firehose:error-output-type}/")
        }),
        ("outside 0-7200", |d| {
            d["DynamicPartitioningConfiguration"]["RetryOptions"]["DurationInSeconds"] = json!(7201)
        }),
    ];
    let trust = firehose_trust("sts:ExternalId");
    let made: Vec<(&str, String, String)> = cases
        .iter()
        .map(|(rule, change)| {
            let (name, bucket, _) = hand_made_archive(&stream, &trust, change);
            (*rule, name, bucket)
        })
        .collect();
    let names: Vec<&str> = made.iter().map(|(_, name, _)| name.as_str()).collect();
    let sandbox = Sandbox::start(SandboxOptions::new().play_firehose(FLUSH_MS, &names));
    put_record(&stream, EVENT);
    for (rule, name, bucket) in &made {
        let report = wait_for_report(&sandbox, name, "refused", bucket).await;
        let refused = report["refused"].as_str().unwrap();
        assert!(
            refused.starts_with("InvalidArgumentException: ") && refused.contains(rule),
            "{rule}: {report}"
        );
    }
}

#[tokio::test]
async fn a_record_of_more_than_500_json_events_goes_whole_to_the_error_prefix() {
    let stream = unique("cap-stream");
    create_stream(&stream);
    let (name, bucket, _) = hand_made_archive(&stream, &firehose_trust("sts:ExternalId"), |_| {});
    let sandbox = Sandbox::start(SandboxOptions::new().play_firehose(FLUSH_MS, &[&name]));
    put_record(&stream, &vec![EVENT; 500].join("\n"));
    put_record(&stream, &vec![EVENT; 501].join("\n"));

    sandbox.wait_for_delivery(&name, 500, 1, WAIT).await;
    assert_eq!(object_keys(&bucket, "errors/processing-failed/").len(), 1);
}

/// Every test docs/aws-rules.md names (backticked in a table's last column) exists somewhere in
/// the sources, so the table cannot point at a test that was renamed or removed.
#[test]
fn aws_rules_names_tests_that_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/aws-rules.md")).unwrap();
    let named: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| rule"))
        .filter_map(|l| l.trim_end_matches('|').rsplit('|').next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .collect();
    assert!(named.len() >= 20, "the table names its tests: {named:?}");
    let mut sources = String::new();
    let mut dirs = vec![root.join("src"), root.join("tests"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let missing: Vec<&&str> = named
        .iter()
        .filter(|name| !sources.contains(&format!("fn {name}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/aws-rules.md names tests that do not exist: {missing:?}"
    );
}
