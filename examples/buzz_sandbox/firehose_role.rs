//! What AWS checks before Firehose reads its Kinesis source and writes its bucket, which moto
//! does not: Firehose assumes the delivery stream's roles as the service
//! `firehose.amazonaws.com` with the account id as `sts:ExternalId` (Firehose developer guide,
//! "Grant Firehose access to an Amazon S3 destination"; no AWS page says it sends
//! `aws:SourceAccount`, so a trust resting on that key is not met here); the source role reads
//! the stream (DescribeStream, GetShardIterator, GetRecords, ListShards) and, under a
//! customer-managed key, decrypts through Kinesis (`kms:Decrypt`); the destination role's
//! writes to an SSE-KMS bucket need `kms:GenerateDataKey` through S3. A refusal stalls the
//! delivery, as on AWS: Firehose retries, nothing is read or written, the records wait in the
//! stream.

use aws_sdk_firehose::types::DeliveryStreamDescription;

use crate::aws_check::AwsProbe;
use crate::kms;
use crate::policy::{self, Caller, Decision, Request};
use crate::role_eval::{session_request, RolePolicies};

pub const FIREHOSE: &str = "firehose.amazonaws.com";
/// What Firehose's source role must be allowed on the stream.
pub const READ_ACTIONS: [&str; 4] = [
    "kinesis:DescribeStream",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kinesis:ListShards",
];

/// Why a delivery stalls: on the source's side (nothing is read) or the bucket's (nothing is
/// written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stall {
    Read(String),
    Write(String),
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` split at its colons.
fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    <[&str; 6]>::try_from(parts).ok().filter(|p| p[0] == "arn")
}

/// A role ARN's name (the part after the last `/`).
fn role_name(arn: &str) -> Option<&str> {
    arn_parts(arn)
        .filter(|p| p[2] == "iam")
        .and_then(|p| p[5].strip_prefix("role/"))
        .and_then(|r| r.rsplit('/').next())
}

/// Whether Firehose (the service, for `account`) may assume a role with this trust.
pub fn firehose_may_assume(trust: Option<&serde_json::Value>, account: &str) -> bool {
    let context = [("sts:externalid", account)];
    trust.is_some_and(|trust| {
        policy::evaluate(
            std::slice::from_ref(trust),
            &Request {
                action: "sts:AssumeRole",
                resource: None,
                principal: Some(Caller::Service(FIREHOSE)),
                context: &context,
                required_condition_key: None,
            },
        ) == Decision::Allow
    })
}

/// The session ARN a Firehose role's refusals name.
fn session(partition: &str, account: &str, role: &str) -> String {
    format!("arn:{partition}:sts::{account}:assumed-role/{role}/Firehose")
}

/// The checks for one delivery stream reading a Kinesis stream into S3; `Ok` when it may flow.
pub async fn may_deliver(
    aws: &AwsProbe,
    s3: &aws_sdk_s3::Client,
    d: &DeliveryStreamDescription,
) -> Result<(), Stall> {
    let Some([_, partition, _, _, account, _]) = arn_parts(d.delivery_stream_arn()) else {
        return Ok(());
    };
    let source = d
        .source()
        .and_then(|s| s.kinesis_stream_source_description());
    let (Some(stream_arn), Some(source_role)) = (
        source.and_then(|s| s.kinesis_stream_arn()),
        source.and_then(|s| s.role_arn()),
    ) else {
        // Not a Kinesis source: firehose.rs refuses to play it anyway.
        return Ok(());
    };
    let Some([_, _, _, region, _, stream]) = arn_parts(stream_arn) else {
        return Ok(());
    };
    let stream = stream.strip_prefix("stream/").unwrap_or(stream);

    let (name, policies) = assume(aws, source_role, account)
        .await
        .map_err(Stall::Read)?;
    let who = session(partition, account, &name);
    for action in READ_ACTIONS {
        policies
            .judge_as(&who, &session_request(action, stream_arn, &[]))
            .map_err(|m| Stall::Read(format!("AccessDeniedException: {m}")))?;
    }
    let key = aws
        .stream_key(stream, region)
        .await
        .map_err(|f| Stall::Read(format!("{}: {}", f.code, f.message)))?;
    if let Some(key) = key {
        let via = kms::via("kinesis", region);
        let context = [("kms:viaservice", via.as_str())];
        policies
            .judge_as(&who, &session_request("kms:Decrypt", &key, &context))
            .map_err(|m| {
                Stall::Read(format!(
                    "KMSAccessDeniedException: GetRecords on {stream_arn}: {m} (via {via})"
                ))
            })?;
    }

    for destination in d.destinations() {
        let Some(dest) = destination.extended_s3_destination_description() else {
            continue;
        };
        let Some(bucket) = dest
            .bucket_arn()
            .strip_prefix(&format!("arn:{partition}:s3:::"))
        else {
            continue;
        };
        let (name, policies) = if dest.role_arn() == source_role {
            (name.clone(), policies.clone())
        } else {
            assume(aws, dest.role_arn(), account)
                .await
                .map_err(Stall::Write)?
        };
        let key = aws
            .bucket_key(s3, bucket, region)
            .await
            .map_err(|f| Stall::Write(format!("{}: {}", f.code, f.message)))?;
        if let Some(key) = key {
            let via = kms::via("s3", region);
            let context = [("kms:viaservice", via.as_str())];
            let who = session(partition, account, &name);
            policies
                .judge_as(
                    &who,
                    &session_request("kms:GenerateDataKey", &key, &context),
                )
                .map_err(|m| {
                    Stall::Write(format!(
                        "AccessDenied: PutObject into s3://{bucket} (SSE-KMS): {m} (via {via})"
                    ))
                })?;
        }
    }
    Ok(())
}

/// Firehose assuming `role_arn`: the role's name and policies, or STS's refusal.
async fn assume(
    aws: &AwsProbe,
    role_arn: &str,
    account: &str,
) -> Result<(String, RolePolicies), String> {
    let denied = || {
        format!(
            "AccessDenied: Firehose is unable to assume role {role_arn}: {FIREHOSE} is not authorized to perform: sts:AssumeRole (with sts:ExternalId {account}); its trust must allow the service with \"StringEquals\": {{\"sts:ExternalId\": \"{account}\"}}"
        )
    };
    let name = role_name(role_arn).ok_or_else(denied)?;
    let view = aws
        .role_view(name)
        .await
        .map_err(|f| format!("{}: {}", f.code, f.message))?
        .ok_or_else(denied)?;
    if !firehose_may_assume(view.trust.as_ref(), account) {
        return Err(denied());
    }
    Ok((name.to_owned(), view.policies))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn firehose_assumes_the_documented_trust_only() {
        let trust = |condition: serde_json::Value| {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": condition}]})
        };
        let documented = trust(json!({"StringEquals": {"sts:ExternalId": "123456789012"}}));
        assert!(firehose_may_assume(Some(&documented), "123456789012"));
        assert!(!firehose_may_assume(Some(&documented), "999999999999"));
        let source = trust(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}));
        assert!(!firehose_may_assume(Some(&source), "123456789012"));
        assert!(!firehose_may_assume(None, "123456789012"));
    }

    #[test]
    fn arns_split_into_what_the_checks_need() {
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/path/s-archive-firehose"),
            Some("s-archive-firehose")
        );
        assert_eq!(role_name("arn:aws:s3:::bucket"), None);
        assert_eq!(
            arn_parts("arn:aws:kinesis:eu-west-1:123456789012:stream/s").map(|p| p[3]),
            Some("eu-west-1")
        );
        assert_eq!(arn_parts("not:an:arn"), None);
        assert_eq!(
            session("aws", "123456789012", "r"),
            "arn:aws:sts::123456789012:assumed-role/r/Firehose"
        );
    }
}
