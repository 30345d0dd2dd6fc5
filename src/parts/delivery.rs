//! Firehose's delivery stream, as the exports make it: reading the stream as Firehose's role,
//! writing gzipped JSON lines under `events/type=<type>/dt=<day>/` (dynamic partitioning, a
//! JQ metadata extraction), its errors to the error log. Its plan is still `plan/archive.rs`'s
//! (`plan_delivery`), its state `state::DeliveryState`.

use serde_json::{json, Value};

use super::{
    bucket, cfn_resource, cfn_tags, firehose_role, log, tf_archive_resource, tf_tags,
    tf_with_skips, Export, Skip,
};
use crate::archive;
use crate::hcl::{Block, Hcl};

/// The delivery stream's logical id in CloudFormation.
pub const CFN_ID: &str = "BuzzArchiveDeliveryStream";

/// The delivery stream, as a part of the archive.
pub struct Delivery;

impl super::Part for Delivery {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

/// The delivery stream has no server-side encryption of its own (checkov CKV_AWS_240/241).
const SSE_REASON: &str = "Firehose offers no server-side encryption for a delivery stream whose source is a Kinesis stream (AWS refuses DeliveryStreamEncryptionConfigurationInput with KinesisStreamAsSource): the records stay encrypted at rest in the stream and in the bucket (its default encryption), and in transit with TLS.";

/// The checks the delivery stream does not meet, with their reasons.
pub fn skips() -> Vec<Skip> {
    ["CKV_AWS_240", "CKV_AWS_241"]
        .into_iter()
        .map(|id| Skip {
            id,
            reason: SSE_REASON.into(),
        })
        .collect()
}

/// The delivery stream as a CloudFormation resource.
pub fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let a = x.model;
    let role = firehose_role::CFN_ID;
    let mut destination = json!({
        "BucketARN": {"Fn::GetAtt": [bucket::CFN_ID, "Arn"]},
        "RoleARN": {"Fn::GetAtt": [role, "Arn"]},
        "Prefix": archive::PREFIX,
        "ErrorOutputPrefix": archive::ERROR_PREFIX,
        "BufferingHints": {"SizeInMBs": archive::BUFFER_MIB, "IntervalInSeconds": a.buffer.get()},
        "CompressionFormat": archive::COMPRESSION,
        "CloudWatchLoggingOptions": {
            "Enabled": true,
            "LogGroupName": {"Ref": log::CFN_GROUP_ID},
            "LogStreamName": {"Ref": log::CFN_STREAM_ID},
        },
        "DynamicPartitioningConfiguration": {
            "Enabled": true,
            "RetryOptions": {"DurationInSeconds": archive::RETRY_SECONDS},
        },
        "ProcessingConfiguration": {
            "Enabled": true,
            "Processors": a.processors().iter().map(|p| json!({
                "Type": p.kind,
                "Parameters": p.parameters.iter().map(|(k, v)| json!({"ParameterName": k, "ParameterValue": v})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
    });
    if let Some(k) = &a.key {
        destination["EncryptionConfiguration"] =
            json!({"KMSEncryptionConfig": {"AWSKMSKeyARN": k.as_str()}});
    }
    let delivery = cfn_resource(
        json!({
            "Type": "AWS::KinesisFirehose::DeliveryStream",
            "Properties": {
                "DeliveryStreamName": a.delivery_stream(),
                "DeliveryStreamType": "KinesisStreamAsSource",
                "KinesisStreamSourceConfiguration": {
                    "KinesisStreamARN": {"Fn::GetAtt": [super::CFN_STREAM, "Arn"]},
                    "RoleARN": {"Fn::GetAtt": [role, "Arn"]},
                },
                "ExtendedS3DestinationConfiguration": destination,
                "Tags": cfn_tags(x.tags),
            },
        }),
        &skips(),
    );
    vec![(CFN_ID, delivery)]
}

/// The processors (the JQ metadata extraction, the record delimiter) in Terraform's words.
fn tf_processing(a: &archive::Archive) -> Block {
    a.processors().iter().fold(
        Block::new("processing_configuration", &[]).attr("enabled", Hcl::Bool(true)),
        |processing, p| {
            let processor = p.parameters.iter().fold(
                Block::new("processors", &[]).attr("type", Hcl::str(p.kind)),
                |processor, (k, v)| {
                    processor.block(
                        Block::new("parameters", &[])
                            .attr("parameter_name", Hcl::str(*k))
                            .attr("parameter_value", Hcl::str(v.as_str())),
                    )
                },
            );
            processing.block(processor)
        },
    )
}

/// The delivery stream as a Terraform resource.
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    let a = x.model;
    let mut s3 = Block::new("extended_s3_configuration", &[])
        .attr("bucket_arn", Hcl::expr("aws_s3_bucket.buzz_archive.arn"))
        .attr("role_arn", Hcl::expr("aws_iam_role.buzz_archive.arn"))
        .attr("prefix", Hcl::str(archive::PREFIX))
        .attr("error_output_prefix", Hcl::str(archive::ERROR_PREFIX))
        .attr("buffering_size", Hcl::expr(archive::BUFFER_MIB.to_string()))
        .attr("buffering_interval", Hcl::expr(a.buffer.get().to_string()))
        .attr("compression_format", Hcl::str(archive::COMPRESSION));
    if let Some(k) = &a.key {
        s3 = s3.attr("kms_key_arn", Hcl::str(k.as_str()));
    }
    s3 = s3
        .block(
            Block::new("cloudwatch_logging_options", &[])
                .attr("enabled", Hcl::Bool(true))
                .attr(
                    "log_group_name",
                    Hcl::expr("aws_cloudwatch_log_group.buzz_archive.name"),
                )
                .attr(
                    "log_stream_name",
                    Hcl::expr("aws_cloudwatch_log_stream.buzz_archive.name"),
                ),
        )
        .block(
            Block::new("dynamic_partitioning_configuration", &[])
                .attr("enabled", Hcl::Bool(true))
                .attr(
                    "retry_duration",
                    Hcl::expr(archive::RETRY_SECONDS.to_string()),
                ),
        )
        .block(tf_processing(a));
    vec![tf_with_skips(
        tf_archive_resource("aws_kinesis_firehose_delivery_stream"),
        &skips(),
    )
    .attr("name", Hcl::str(a.delivery_stream()))
    .attr("destination", Hcl::str("extended_s3"))
    .attr("tags", tf_tags(x.tags))
    .attr(
        "depends_on",
        Hcl::List(vec![Hcl::expr("aws_iam_role_policy.buzz_archive")]),
    )
    .block(
        Block::new("kinesis_source_configuration", &[])
            .attr(
                "kinesis_stream_arn",
                Hcl::expr(format!("{}.arn", super::TF_STREAM)),
            )
            .attr("role_arn", Hcl::expr("aws_iam_role.buzz_archive.arn")),
    )
    .block(s3)]
}
