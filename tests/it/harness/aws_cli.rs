//! The AWS CLI as an independent observer of moto, and resources made the way an operator
//! would make them by hand (behind the tool's back).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::moto::aws_command;
use super::{AGILIX_ACCOUNT, MOTO_ACCOUNT, REGION};

/// Runs `aws <args> --output json` against moto and returns the parsed output (`null` when the
/// command prints nothing). Panics with the CLI's stderr when it fails.
pub fn aws_cli(args: &[&str]) -> Value {
    try_aws_cli(args).unwrap_or_else(|e| panic!("aws {} failed: {e}", args.join(" ")))
}

/// Like [`aws_cli`], returning the CLI's stderr as the error (for asserting on failures).
pub fn try_aws_cli(args: &[&str]) -> Result<Value, String> {
    let output = aws_command("aws")
        .args(args)
        .args(["--output", "json"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the AWS CLI (`aws`; pip install awscli): {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if stdout.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&stdout)
        .map_err(|e| format!("the AWS CLI printed non-JSON ({e}): {stdout}"))
}

pub fn stream_arn(stream: &str) -> String {
    format!("arn:aws:kinesis:{REGION}:{MOTO_ACCOUNT}:stream/{stream}")
}

pub fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{MOTO_ACCOUNT}:role/{role}")
}

/// Creates a one-shard stream and waits until it is ACTIVE (moto: at once); returns its ARN.
/// A customer-managed key with an alias, as a district's security team makes one in moto's
/// KMS: (alias name, key ARN).
pub fn aliased_key(label: &str) -> (String, String) {
    let arn = aws_cli(&["kms", "create-key", "--description", label])["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let alias = format!("alias/{}", super::unique(label));
    aws_cli(&[
        "kms",
        "create-alias",
        "--alias-name",
        &alias,
        "--target-key-id",
        &arn,
    ]);
    (alias, arn)
}

/// A stream someone else made and encrypted with `key` (as named: an alias, say).
pub fn encrypted_stream(name: &str, key: &str) {
    create_stream(name);
    aws_cli(&[
        "kinesis",
        "start-stream-encryption",
        "--stream-name",
        name,
        "--encryption-type",
        "KMS",
        "--key-id",
        key,
    ]);
}

pub fn create_stream(name: &str) -> String {
    aws_cli(&[
        "kinesis",
        "create-stream",
        "--stream-name",
        name,
        "--shard-count",
        "1",
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let summary = aws_cli(&["kinesis", "describe-stream-summary", "--stream-name", name]);
        let description = &summary["StreamDescriptionSummary"];
        if description["StreamStatus"] == "ACTIVE" {
            return description["StreamARN"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        assert!(
            Instant::now() < deadline,
            "stream {name} not ACTIVE in time: {summary}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The trust policy the seed asks for: Agilix's account may assume the role (with the external
/// id condition when given).
pub fn trust_policy(account: &str, external_id: Option<&str>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "sts:AssumeRole"
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// The role's trust now admits a second account beside Agilix's, as someone widening it by
/// hand would leave it (everything else in the trust as it was).
pub fn admit_second_principal(role: &str, trust: &Value) {
    let mut widened = trust.clone();
    widened["Statement"][0]["Principal"]["AWS"] = json!([
        format!("arn:aws:iam::{AGILIX_ACCOUNT}:root"),
        "arn:aws:iam::999999999999:root"
    ]);
    aws_cli(&[
        "iam",
        "update-assume-role-policy",
        "--role-name",
        role,
        "--policy-document",
        &widened.to_string(),
    ]);
}

/// The least-privilege writer policy for one stream.
pub fn writer_policy(stream: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards"],
            "Resource": stream_arn(stream)
        }]
    })
}

/// Creates a role with the given trust policy and maximum session; returns its ARN.
pub fn create_role(name: &str, trust: &Value, max_session_seconds: u32) -> String {
    let out = aws_cli(&[
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        &trust.to_string(),
        "--max-session-duration",
        &max_session_seconds.to_string(),
    ]);
    out["Role"]["Arn"].as_str().unwrap_or_default().to_string()
}

pub fn put_role_policy(role: &str, policy_name: &str, document: &Value) {
    aws_cli(&[
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        policy_name,
        "--policy-document",
        &document.to_string(),
    ]);
}

/// The role Buzz needs, built the way the seed describes: trust for Agilix's account, 12-hour
/// sessions, and the writer policy for `stream`. Returns the role ARN.
pub fn create_writer_role(role: &str, stream: &str) -> String {
    let arn = create_role(role, &trust_policy(AGILIX_ACCOUNT, None), 43_200);
    put_role_policy(role, "buzz-kinesis-writer", &writer_policy(stream));
    arn
}

/// Every record's data in a stream (all shards, from TRIM_HORIZON), decoded to text.
pub fn read_records(stream: &str) -> Vec<String> {
    let shards = aws_cli(&["kinesis", "list-shards", "--stream-name", stream]);
    let mut records = Vec::new();
    for shard in shards["Shards"].as_array().cloned().unwrap_or_default() {
        let shard_id = shard["ShardId"].as_str().unwrap_or_default().to_string();
        let iterator = aws_cli(&[
            "kinesis",
            "get-shard-iterator",
            "--stream-name",
            stream,
            "--shard-id",
            &shard_id,
            "--shard-iterator-type",
            "TRIM_HORIZON",
        ]);
        let mut iterator = iterator["ShardIterator"].as_str().map(str::to_string);
        // moto hands out everything at once; a bounded loop covers a real paging emulator too.
        for _ in 0..20 {
            let Some(current) = iterator.take() else {
                break;
            };
            let page = aws_cli(&["kinesis", "get-records", "--shard-iterator", &current]);
            let batch = page["Records"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            for record in batch {
                let data = record["Data"].as_str().unwrap_or_default();
                let bytes = base64_decode(data)
                    .unwrap_or_else(|| panic!("record data is not base64: {data}"));
                records.push(String::from_utf8_lossy(&bytes).into_owned());
            }
            iterator = page["NextShardIterator"].as_str().map(str::to_string);
        }
    }
    records
}

/// The JSON events in a stream: each record holds one or more newline-separated objects.
pub fn read_events(stream: &str) -> Vec<Value> {
    read_records(stream)
        .iter()
        .flat_map(|record| {
            record
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| {
                    serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("a record is not JSON ({e}): {line}"))
                })
                .collect::<Vec<Value>>()
        })
        .collect()
}

/// Standard base64 (with or without padding), as the AWS CLI prints blobs.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

/// Put one record whose data is `data` (any bytes but NUL) into `stream`, with the AWS CLI.
pub fn put_record(stream: &str, data: &str) {
    let mut args = vec![
        "kinesis",
        "put-record",
        "--stream-name",
        stream,
        "--partition-key",
        "k",
        "--data",
        data,
    ];
    args.extend(raw_blob_args());
    aws_cli(&args);
}

/// The flags that make `aws ... --data TEXT` send the text as it is: AWS CLI v2 reads blobs as
/// base64 unless told otherwise, v1 sends text as given (and knows no such flag).
pub fn raw_blob_args() -> &'static [&'static str] {
    static ARGS: std::sync::OnceLock<&'static [&'static str]> = std::sync::OnceLock::new();
    ARGS.get_or_init(|| {
        let version = aws_command("aws")
            .arg("--version")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr)
            })
            .unwrap_or_default();
        if version.contains("aws-cli/1.") {
            &[]
        } else {
            &["--cli-binary-format", "raw-in-base64-out"]
        }
    })
}
