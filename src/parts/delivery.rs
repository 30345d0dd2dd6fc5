//! Firehose's delivery stream: reading the stream as Firehose's role, writing gzipped JSON
//! lines under `events/type=<type>/dt=<day>/` (dynamic partitioning, a JQ metadata extraction),
//! its errors to the error log. Updated in place wherever Firehose allows (a new one starts at
//! the stream's newest record: the events in between would be lost), and made anew only when
//! its source, bucket, role or partitioning differ, which the plan says. Its check row is still
//! `checks/archive.rs`'s (`archive.delivery`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    bucket, cfn_resource, cfn_tags, firehose_role, log, tf_archive_resource, tf_tags,
    tf_with_skips, Export, Planned, Refusal, Row, Skip, Teardown, ARCHIVE_AGAIN,
};
use super::{ArchiveLeft, ArchiveState, PlanCx, RowCx, TeardownCx};
use crate::archive::{self, Archive};
use crate::hcl::{Block, Hcl};
use crate::state::is_managed;

/// The delivery stream's logical id in CloudFormation.
pub(crate) const CFN_ID: &str = "BuzzArchiveDeliveryStream";

/// The delivery stream, as a part of the archive.
pub(crate) struct Delivery;

impl super::Part for Delivery {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

impl super::ArchivePart for Delivery {
    type Found = Option<DeliveryState>;
    type Left = Option<DeliveryObserved>;
    type Action = DeliveryAction;
    type Removal = DeliveryRemoval;

    const NOUN: &'static str = "the archive's delivery stream";
    const CHAIN: &'static str = "delivery";
    const ROW: Option<&'static str> = Some("archive.delivery");

    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<DeliveryAction>, E> {
        Ok(plan(
            cx.model,
            cx.stream_arn,
            cx.role_arn,
            found.delivery.as_ref(),
        )?)
    }

    fn row(&self, cx: &RowCx<'_>, found: &ArchiveState) -> Option<Row> {
        Some(row(
            cx.model,
            cx.stream_arn,
            found.delivery.as_ref(),
            found.log.as_ref(),
        ))
    }

    fn teardown(&self, _: &TeardownCx, left: &ArchiveLeft) -> Planned<DeliveryRemoval> {
        let d = left.delivery.as_ref();
        super::torn(
            teardown(d.map(|d| (d.name.as_str(), d.managed))),
            d.map(|d| DeliveryRemoval::DeleteDeliveryStream {
                name: d.name.clone(),
            }),
        )
    }
}

/// A Firehose delivery stream as DescribeDeliveryStream reports it, reduced to what setup
/// writes and check reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct DeliveryState {
    pub arn: String,
    /// `CREATING`, `ACTIVE`, `CREATING_FAILED`, `DELETING`, ...
    pub status: String,
    pub tags: BTreeMap<String, String>,
    /// The Kinesis stream it reads, and as which role.
    pub source_stream_arn: Option<String>,
    pub source_role_arn: Option<String>,
    /// The S3 destination.
    pub bucket_arn: Option<String>,
    pub role_arn: Option<String>,
    pub prefix: Option<String>,
    pub error_prefix: Option<String>,
    pub compression: Option<String>,
    pub dynamic_partitioning: bool,
    /// The processors in order, each with its parameters by name (Firehose may echo them in
    /// another order than they were given: the order of parameters means nothing).
    pub processors: Vec<(String, BTreeMap<String, String>)>,
    /// Buffering hints: size in MiB and interval in seconds.
    pub buffer_mib: Option<u32>,
    pub buffer_seconds: Option<u32>,
    /// How long dynamic partitioning retries a delivery, in seconds.
    pub retry_seconds: Option<u32>,
    /// The delivery error log: enabled, its group and stream.
    pub logging: Option<(bool, String, String)>,
    /// What UpdateDestination needs: the configuration's version and the destination's id.
    pub version_id: String,
    pub destination_id: String,
}

/// The delivery stream as setup makes it, in the terms DescribeDeliveryStream answers.
pub(crate) fn desired(model: &Archive, stream_arn: &str, role_arn: &str) -> DeliveryState {
    DeliveryState {
        arn: String::new(),
        status: String::new(),
        tags: BTreeMap::new(),
        source_stream_arn: Some(stream_arn.to_owned()),
        source_role_arn: Some(role_arn.to_owned()),
        bucket_arn: Some(model.bucket_arn()),
        role_arn: Some(role_arn.to_owned()),
        prefix: Some(archive::PREFIX.to_owned()),
        error_prefix: Some(archive::ERROR_PREFIX.to_owned()),
        compression: Some(archive::COMPRESSION.to_owned()),
        dynamic_partitioning: true,
        processors: model
            .processors()
            .into_iter()
            .map(|p| {
                (
                    p.kind.to_owned(),
                    p.parameters
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
            .collect(),
        buffer_mib: Some(archive::BUFFER_MIB),
        buffer_seconds: Some(model.buffer.get()),
        retry_seconds: Some(archive::RETRY_SECONDS),
        logging: Some((true, model.log_group(), archive::LOG_STREAM.to_owned())),
        version_id: String::new(),
        destination_id: String::new(),
    }
}

/// The delivery stream as teardown finds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeliveryObserved {
    pub name: String,
    pub managed: bool,
    /// The bucket it writes to, from its destination.
    pub bucket: Option<String>,
}

/// The delivery stream's removal: Firehose stops reading; what it delivered stays in S3.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum DeliveryRemoval {
    DeleteDeliveryStream { name: String },
}

impl super::Gone for DeliveryRemoval {
    fn describe(&self) -> String {
        let DeliveryRemoval::DeleteDeliveryStream { name } = self;
        format!(
            "delete the archive's Firehose delivery stream {name} (the events it delivered stay in the bucket)"
        )
    }
}

/// One change to the delivery stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// The names are the JSON's `kind`s (`create_delivery_stream`, ...), documented in json-output.md.
#[allow(clippy::enum_variant_names)]
pub(crate) enum DeliveryAction {
    /// Made last: it needs the bucket, its role (assumable) and the stream (active).
    CreateDeliveryStream {
        name: String,
        stream_arn: String,
        bucket: String,
    },
    /// UpdateDestination: what differs of what Firehose changes in place.
    UpdateDeliveryStream {
        name: String,
        differs: Vec<String>,
        version_id: String,
        destination_id: String,
    },
    /// Deleted and made anew: its source, bucket, role or partitioning differ, which no update
    /// changes. The events the stream receives in between are not archived.
    ReplaceDeliveryStream {
        name: String,
        differs: Vec<String>,
        stream_arn: String,
        bucket: String,
    },
}

impl super::Change for DeliveryAction {
    fn is_create(&self) -> bool {
        matches!(self, DeliveryAction::CreateDeliveryStream { .. })
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        (
            Value::Null,
            serde_json::to_value(self).unwrap_or(Value::Null),
        )
    }

    /// The plan's line.
    fn describe(&self) -> String {
        match self {
            DeliveryAction::CreateDeliveryStream {
                name,
                stream_arn,
                bucket,
            } => format!(
                "create Firehose delivery stream {name} reading {stream_arn} into s3://{bucket}/events/ (one gzipped JSON line per event, partitioned by type and day)"
            ),
            DeliveryAction::UpdateDeliveryStream { name, differs, .. } => format!(
                "update Firehose delivery stream {name} in place ({}): it keeps reading where it is",
                differs.join(", ")
            ),
            DeliveryAction::ReplaceDeliveryStream { name, differs, .. } => format!(
                "replace Firehose delivery stream {name} ({} cannot change in place): delete it, then create it; a new one starts at the stream's newest record, so events sent in between are not archived",
                differs.join(", ")
            ),
        }
    }
}

/// What of the delivery stream differs from what setup makes, by name: first what only a new
/// delivery stream changes (the source, the bucket, the role, whether it partitions), then what
/// UpdateDestination changes in place.
fn differences(have: &DeliveryState, want: &DeliveryState) -> (Vec<String>, Vec<String>) {
    let (mut fixed, mut updatable) = (Vec::new(), Vec::new());
    let differs = |out: &mut Vec<String>, name: &str, same: bool| {
        if !same {
            out.push(name.to_owned());
        }
    };
    differs(
        &mut fixed,
        "source stream",
        have.source_stream_arn == want.source_stream_arn,
    );
    differs(
        &mut fixed,
        "source role",
        have.source_role_arn == want.source_role_arn,
    );
    differs(&mut fixed, "bucket", have.bucket_arn == want.bucket_arn);
    differs(&mut fixed, "role", have.role_arn == want.role_arn);
    // Firehose enables dynamic partitioning only when it makes a delivery stream.
    differs(
        &mut fixed,
        "dynamic partitioning",
        have.dynamic_partitioning == want.dynamic_partitioning,
    );
    let u = &mut updatable;
    differs(u, "prefix", have.prefix == want.prefix);
    differs(u, "error prefix", have.error_prefix == want.error_prefix);
    differs(u, "compression", have.compression == want.compression);
    differs(u, "processors", have.processors == want.processors);
    differs(
        u,
        "buffering",
        have.buffer_mib == want.buffer_mib && have.buffer_seconds == want.buffer_seconds,
    );
    differs(u, "retry", have.retry_seconds == want.retry_seconds);
    differs(u, "logging", have.logging == want.logging);
    (fixed, updatable)
}

/// The delivery stream's plan: made when missing; someone else's, or one being deleted,
/// refused; otherwise updated in place, or replaced (said in a note) when what Firehose fixes
/// at creation differs.
pub(crate) fn plan(
    model: &Archive,
    stream_arn: &str,
    role_arn: &str,
    have: Option<&DeliveryState>,
) -> Result<Planned<DeliveryAction>, Refusal> {
    let name = model.delivery_stream();
    let what = format!("the Firehose delivery stream {name}");
    let mut p = Planned::default();
    let Some(have) = have else {
        p.actions.push(DeliveryAction::CreateDeliveryStream {
            name,
            stream_arn: stream_arn.to_owned(),
            bucket: model.bucket.as_str().to_owned(),
        });
        return Ok(p);
    };
    if !is_managed(&have.tags) {
        return Err(Refusal::new(
            what,
            "exists and was not made by buzz-kinesis (it has no managed-by tag)",
            "remove it, or keep it and run setup without --archive-bucket",
        ));
    }
    if have.status == "DELETING" {
        return Err(Refusal::new(
            what,
            "is being deleted",
            "wait until it is gone (a minute or two), then run setup again",
        ));
    }
    let (fixed, updatable) = differences(have, &desired(model, stream_arn, role_arn));
    if !fixed.is_empty() {
        p.notes.push(format!(
            "{what} differs in what Firehose fixes when it makes one ({}): setup deletes it and makes it anew. A new delivery stream reads the stream from its newest record, so the events Buzz sends in between (a minute or so) are not archived; they stay in the stream for its retention",
            fixed.join(", ")
        ));
        p.actions.push(DeliveryAction::ReplaceDeliveryStream {
            name,
            differs: fixed,
            stream_arn: stream_arn.to_owned(),
            bucket: model.bucket.as_str().to_owned(),
        });
    } else if !updatable.is_empty() {
        p.actions.push(DeliveryAction::UpdateDeliveryStream {
            name,
            differs: updatable,
            version_id: have.version_id.clone(),
            destination_id: have.destination_id.clone(),
        });
    }
    Ok(p)
}

/// The delivery stream has no server-side encryption of its own (checkov CKV_AWS_240/241).
const SSE_REASON: &str = "Firehose offers no server-side encryption for a delivery stream whose source is a Kinesis stream (AWS refuses DeliveryStreamEncryptionConfigurationInput with KinesisStreamAsSource): the records stay encrypted at rest in the stream and in the bucket (its default encryption), and in transit with TLS.";

/// The checks the delivery stream does not meet, with their reasons.
pub(crate) fn skips() -> Vec<Skip> {
    ["CKV_AWS_240", "CKV_AWS_241"]
        .into_iter()
        .map(|id| Skip {
            id,
            reason: SSE_REASON.into(),
        })
        .collect()
}

/// The delivery stream as a CloudFormation resource.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
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

/// What teardown does with the delivery stream it found (`None`: absent): its name and
/// whether setup made it. It goes first: Firehose stops reading and writing before anything
/// it uses goes (what it delivered stays in the bucket).
pub(crate) fn teardown(found: Option<(&str, bool)>) -> Teardown {
    match found {
        Some((_, true)) => Teardown::Remove,
        Some((name, false)) => Teardown::Keep(format!(
            "the Firehose delivery stream {name} was not made by buzz-kinesis (no tag {}={}); it stays",
            crate::state::MANAGED_BY.0,
            crate::state::MANAGED_BY.1
        )),
        None => Teardown::Nothing,
    }
}

/// Its check row (`archive.delivery`): it reads our stream into our bucket, is active, and
/// has the error log setup makes (Firehose makes none: without it, its delivery errors are
/// written nowhere).
pub(crate) fn row(
    model: &Archive,
    stream_arn: &str,
    found: Option<&DeliveryState>,
    log: Option<&super::log::LogState>,
) -> Row {
    let (name, bucket) = (model.delivery_stream(), model.bucket.as_str());
    let Some(d) = found else {
        return Row::Fail(
            format!("the Firehose delivery stream {name} does not exist: no event is archived"),
            ARCHIVE_AGAIN.into(),
        );
    };
    if d.source_stream_arn.as_deref() != Some(stream_arn) {
        return Row::Fail(
            format!(
                "the Firehose delivery stream {name} reads {}, not {stream_arn}",
                d.source_stream_arn.as_deref().unwrap_or("no Kinesis stream"),
            ),
            "remove it (`buzz-kinesis teardown`, which keeps the bucket), then run setup --archive-bucket again".into(),
        );
    }
    if d.bucket_arn.as_deref() != Some(model.bucket_arn().as_str()) {
        return Row::Fail(
            format!(
                "the Firehose delivery stream {name} writes to {}, not to s3://{bucket}",
                d.bucket_arn.as_deref().unwrap_or("no S3 bucket")
            ),
            "remove it (`buzz-kinesis teardown`), then run setup with the --archive-bucket it should write to".into(),
        );
    }
    match d.status.as_str() {
        "ACTIVE" if log.is_some_and(|l| l.has_stream) => Row::Pass(format!(
            "the Firehose delivery stream {name} reads the stream into s3://{bucket}/events/"
        )),
        "ACTIVE" => Row::Warn(
            format!(
                "the Firehose delivery stream {name} reads the stream into s3://{bucket}/events/, but its error log ({}, stream {}) is missing: Firehose's delivery errors are written nowhere",
                model.log_group(),
                crate::archive::LOG_STREAM
            ),
            ARCHIVE_AGAIN.into(),
        ),
        "CREATING" => Row::Warn(
            format!("the Firehose delivery stream {name} is still being made (CREATING)"),
            "run check again in a minute or two".into(),
        ),
        status => Row::Fail(
            format!("the Firehose delivery stream {name} is {status}"),
            "look at it in the Firehose console (a failed creation names its cause); remove it with `buzz-kinesis teardown` and run setup --archive-bucket again".into(),
        ),
    }
}

#[cfg(test)]
mod tests;
