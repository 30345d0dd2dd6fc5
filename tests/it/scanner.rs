//! A third-party scanner on the exports, as a district's security team would run it: checkov
//! (PyPI; scripts/ensure-tools installs it in a virtual environment of its own, linked into
//! .venv/bin) over `export --format cloudformation` and `--format terraform`, offline
//! (`--skip-download`: no platform calls, no API key). Every check a template does not meet
//! must be skipped next to its resource with a reason, and the set of skips is pinned here, so
//! a new finding or a new skip fails the suite. Both variants include the archive
//! (`--archive-bucket`): its bucket, Firehose, its role, its log group and the Glue table.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::AGILIX_ACCOUNT;
use crate::tool::*;

/// A customer-managed key (checkov reads the template only; no key is needed).
const CMK: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Both templates of `export` with `extra` flags, written to `dir`.
fn export(dir: &Path, names: &Names, extra: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for (format, file) in [("cloudformation", "buzz.json"), ("terraform", "main.tf")] {
        let out = Tool::new()
            .args(["export", "--agilix-account", AGILIX_ACCOUNT])
            .args(["--stream", &names.stream, "--role", &names.role])
            .args(["--alarm-email", "ops@example.edu", "--format", format])
            .args(extra.iter().copied())
            .run();
        out.assert_success();
        std::fs::write(dir.join(file), &out.stdout).unwrap();
    }
}

/// checkov's JSON reports over `dir`, one per framework.
fn checkov(dir: &Path) -> Vec<Value> {
    let out = Command::new("checkov")
        .arg("--directory")
        .arg(dir)
        .args(["--framework", "cloudformation", "terraform"])
        .args(["--skip-download", "--output", "json", "--compact"])
        // Nothing leaves the machine: no platform key, and a proxy nobody listens on.
        .env_remove("BC_API_KEY")
        .env_remove("PRISMA_API_URL")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "")
        .output()
        .expect("checkov is installed (scripts/ensure-tools test installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(reports)) => reports,
        Ok(report) => vec![report],
        Err(e) => panic!(
            "checkov printed no JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// `(framework, file's variant, check id, resource)` of every check in `key` of the reports.
fn results(reports: &[Value], key: &str) -> BTreeSet<(String, String, String, String)> {
    reports
        .iter()
        .flat_map(|r| {
            let framework = r["check_type"].as_str().unwrap_or("").to_owned();
            r["results"][key]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |c| {
                    let variant = Path::new(c["file_path"].as_str().unwrap_or(""))
                        .parent()
                        .and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (
                        framework.clone(),
                        variant,
                        c["check_id"].as_str().unwrap_or("").to_owned(),
                        c["resource"].as_str().unwrap_or("").to_owned(),
                    )
                })
        })
        .collect()
}

fn row(
    framework: &str,
    variant: &str,
    id: &str,
    resource: &str,
) -> (String, String, String, String) {
    (framework.into(), variant.into(), id.into(), resource.into())
}

#[test]
fn checkov_finds_nothing_in_either_export_and_every_skip_says_why() {
    let names = Names::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    // The default: the stream encrypted with the AWS-managed key, the alarm's own topic, the
    // archive's bucket with SSE-S3.
    export(
        &dir.path().join("default"),
        &names,
        &["--archive-bucket", "district-42-buzz-archive"],
    );
    // A customer-managed key, which the alarm topic and the archive use too; an external id;
    // the archive's expiry.
    export(
        &dir.path().join("cmk"),
        &names,
        &[
            "--kms-key",
            CMK,
            "--external-id",
            "district-42",
            "--archive-bucket",
            "district-42-buzz-archive",
            "--archive-days",
            "400",
        ],
    );

    let reports = checkov(dir.path());
    let frameworks: BTreeSet<&str> = reports
        .iter()
        .filter_map(|r| r["check_type"].as_str())
        .collect();
    assert_eq!(
        frameworks,
        BTreeSet::from(["cloudformation", "terraform"]),
        "{reports:?}"
    );
    for r in &reports {
        let s = &r["summary"];
        println!(
            "checkov {} on {}: {} passed, {} failed, {} skipped",
            s["checkov_version"], r["check_type"], s["passed"], s["failed"], s["skipped"]
        );
        assert_eq!(s["parsing_errors"], 0, "{s}");
        assert!(
            s["passed"].as_u64().unwrap_or(0) > 0,
            "the scanner ran: {s}"
        );
    }

    let failed = results(&reports, "failed_checks");
    assert!(failed.is_empty(), "new findings: {failed:#?}");

    let skipped = results(&reports, "skipped_checks");
    let expected = BTreeSet::from([
        // The trust names Agilix's account root: the seed's design, narrowed by the external id.
        row(
            "cloudformation",
            "default",
            "CKV_AWS_61",
            "AWS::IAM::Role.BuzzWriterRole",
        ),
        row("terraform", "default", "CKV_AWS_61", "aws_iam_role.buzz"),
        row(
            "cloudformation",
            "cmk",
            "CKV_AWS_61",
            "AWS::IAM::Role.BuzzWriterRole",
        ),
        row("terraform", "cmk", "CKV_AWS_61", "aws_iam_role.buzz"),
        // The AWS-managed key is not a customer-managed one (checkov asks for that in HCL only).
        row(
            "terraform",
            "default",
            "CKV_AWS_185",
            "aws_kinesis_stream.buzz",
        ),
        // Without a customer-managed key the alarm topic stays unencrypted: CloudWatch cannot
        // publish to a topic under the AWS-managed SNS key.
        row(
            "cloudformation",
            "default",
            "CKV_AWS_26",
            "AWS::SNS::Topic.BuzzAlarmTopic",
        ),
        row(
            "terraform",
            "default",
            "CKV_AWS_26",
            "aws_sns_topic.buzz_alarms",
        ),
    ]);
    let mut expected = expected;
    for variant in ["default", "cmk"] {
        expected.extend([
            // The archive bucket's access log needs a second bucket (the district's log archive).
            row(
                "cloudformation",
                variant,
                "CKV_AWS_18",
                "AWS::S3::Bucket.BuzzArchiveBucket",
            ),
            row(
                "terraform",
                variant,
                "CKV_AWS_18",
                "aws_s3_bucket.buzz_archive",
            ),
            // No second region: the archive is itself a copy; versioning keeps replaced objects.
            row(
                "terraform",
                variant,
                "CKV_AWS_144",
                "aws_s3_bucket.buzz_archive",
            ),
            // Nothing reacts to new objects: partition projection finds them.
            row(
                "terraform",
                variant,
                "CKV2_AWS_62",
                "aws_s3_bucket.buzz_archive",
            ),
            // Delivery error messages, encrypted by CloudWatch Logs.
            row(
                "cloudformation",
                variant,
                "CKV_AWS_158",
                "AWS::Logs::LogGroup.BuzzArchiveLogGroup",
            ),
            row(
                "terraform",
                variant,
                "CKV_AWS_158",
                "aws_cloudwatch_log_group.buzz_archive",
            ),
            // Firehose has no server-side encryption with a Kinesis stream as its source.
            row(
                "terraform",
                variant,
                "CKV_AWS_240",
                "aws_kinesis_firehose_delivery_stream.buzz_archive",
            ),
            row(
                "terraform",
                variant,
                "CKV_AWS_241",
                "aws_kinesis_firehose_delivery_stream.buzz_archive",
            ),
        ]);
    }
    // SSE-S3 without a customer-managed key (checkov asks for KMS in HCL only).
    expected.insert(row(
        "terraform",
        "default",
        "CKV_AWS_145",
        "aws_s3_bucket.buzz_archive",
    ));
    assert_eq!(skipped, expected, "the skips changed");

    // Each skip carries its reason, as the template wrote it.
    for r in &reports {
        for c in r["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reason = c["check_result"]["suppress_comment"].as_str().unwrap_or("");
            assert!(
                reason.len() > 60 && reason != "No comment provided",
                "{} on {} has no reason: {reason:?}",
                c["check_id"],
                c["resource"]
            );
        }
    }
}
