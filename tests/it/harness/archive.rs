//! The archive (#21) seen from the tests: the objects in moto's S3, and the DuckDB script that queries archived
//! objects with the table's own columns and partitions (shared by `archive.rs`, on objects
//! laid out by hand, and `archive_delivery.rs`, on objects the sandbox delivered).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::aws_cli::aws_cli;
use super::sandbox::Sandbox;

/// A Python script's stdout as JSON, with `input` on its stdin (the project's Python:
/// `scripts/ensure-tools test` puts it first on PATH).
pub fn python(script: &str, input: &Value) -> Value {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/ensure-tools test puts the locked one first on PATH)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("write python's stdin");
    }
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON from python ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The archive as Athena sees it, in DuckDB: the script scripts/demo runs too (its docstring
/// says what it takes and prints).
pub const DUCKDB: &str = include_str!("../../../scripts/lib/archive_sql.py");

/// [`DUCKDB`] over the files under `root` (and `objects`, written there first).
pub fn duckdb(root: &Path, archive: &Value, objects: &[(String, String)]) -> Value {
    duckdb_with_views(root, archive, objects, &[])
}

/// [`duckdb`], with views as Glue holds them (`[name, ViewOriginalText]`), each decoded and
/// read whole in its `views`.
pub fn duckdb_with_views(
    root: &Path,
    archive: &Value,
    objects: &[(String, String)],
    views: &[(String, String)],
) -> Value {
    python(
        DUCKDB,
        &json!({"root": root, "archive": archive, "objects": objects, "views": views}),
    )
}

/// The keys in `bucket` under `prefix`, as the AWS CLI lists them.
pub fn object_keys(bucket: &str, prefix: &str) -> Vec<String> {
    let out = aws_cli(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        bucket,
        "--prefix",
        prefix,
    ]);
    out["Contents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|o| o["Key"].as_str().map(str::to_owned))
        .collect()
}

/// Every object of `bucket` into `dir`, at its key's path.
pub fn download_bucket(bucket: &str, dir: &Path) {
    let target = dir.display().to_string();
    aws_cli(&[
        "s3",
        "cp",
        "--recursive",
        "--only-show-errors",
        &format!("s3://{bucket}/"),
        &target,
    ]);
}

impl Sandbox {
    /// `--play-firehose`'s report for one delivery stream (`/sandbox/state`'s `firehose`).
    pub async fn firehose_report(&self, delivery_stream: &str) -> Value {
        self.state().await["firehose"][delivery_stream].clone()
    }

    /// Waits until the sandbox's Firehose has written `events` events and `failed` error lines
    /// for `delivery_stream`, and no object waits; returns the report. Panics after `timeout`
    /// with the last report.
    pub async fn wait_for_delivery(
        &self,
        delivery_stream: &str,
        events: u64,
        failed: u64,
        timeout: Duration,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let report = self.firehose_report(delivery_stream).await;
            let done = report["events"].as_u64() == Some(events)
                && report["failed"].as_u64() == Some(failed)
                && report["pending"].as_u64() == Some(0);
            if done {
                return report;
            }
            assert!(
                Instant::now() < deadline,
                "the sandbox's Firehose did not deliver {events} events and {failed} failures of {delivery_stream} in {timeout:?}: {report}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Buzz's traffic shaped for the archive: `count` events of `event_type` that happened at
    /// `time`, `per_record` to a Kinesis record. Returns (events sent, records written).
    pub async fn emit_shaped(
        &self,
        domain: &str,
        event_type: &str,
        count: u64,
        time: &str,
        per_record: u64,
    ) -> (u64, u64) {
        let response = self
            .http()
            .post(format!("{}/sandbox/domains/{domain}/events", self.url()))
            .header("Content-Type", "application/json")
            .body(
                json!({"count": count, "type": event_type, "time": time, "perRecord": per_record})
                    .to_string(),
            )
            .send()
            .await
            .expect("a /sandbox request");
        let answer: Value = response.json().await.expect("a JSON answer");
        assert_eq!(answer["refused"], 0, "{answer}");
        (
            answer["sent"].as_u64().unwrap_or(0),
            answer["records"].as_u64().unwrap_or(0),
        )
    }
}
