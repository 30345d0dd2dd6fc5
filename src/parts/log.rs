//! Firehose's error log: the log group (tagged, its entries kept `LOG_RETENTION_DAYS`) and the
//! log stream its logging options name. Firehose makes neither: without them its delivery
//! errors are written nowhere. Someone else's group gets the stream Firehose needs, and keeps
//! its own retention.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    cfn_resource, cfn_tags, managed_tags, tf_archive_resource, tf_tags, tf_with_skips, Export,
    Planned, Skip, Teardown,
};
use super::{ArchiveLeft, ArchiveState, PlanCx, Refusal, TeardownCx};
use crate::archive::{self, Archive};
use crate::hcl::{Block, Hcl};
use crate::state::{is_managed, MANAGED_BY};

/// The log group's and the log stream's logical ids in CloudFormation.
pub(crate) const CFN_GROUP_ID: &str = "BuzzArchiveLogGroup";
pub(crate) const CFN_STREAM_ID: &str = "BuzzArchiveLogStream";

/// The log group, as a part of the archive.
pub(crate) struct Log;

impl super::Part for Log {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

impl super::ArchivePart for Log {
    type Found = Option<LogState>;

    /// Its group's name, and whether setup made it.
    type Left = Option<(String, bool)>;
    type Action = LogAction;
    type Removal = LogRemoval;

    const NOUN: &'static str = "the archive's log group";
    const CHAIN: &'static str = "log";

    /// Firehose writes its errors there until it is gone.
    const TEARDOWN_AFTER: &'static [&'static str] = &["delivery"];

    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<LogAction>, E> {
        Ok(plan(cx.model, found.log.as_ref()))
    }

    fn teardown(&self, _: &TeardownCx, left: &ArchiveLeft) -> Planned<LogRemoval> {
        super::torn(
            teardown(left.log.as_ref()),
            left.log
                .iter()
                .map(|(group, _)| LogRemoval::DeleteLogGroup {
                    group: group.clone(),
                }),
        )
    }
}

/// Firehose's error log group as CloudWatch Logs reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LogState {
    pub retention_days: Option<u32>,
    pub tags: BTreeMap<String, String>,
    /// The log stream Firehose's logging options name exists in it.
    pub has_stream: bool,
}

impl LogState {
    /// The log group as setup leaves it.
    #[cfg(test)]
    pub(crate) fn converged() -> Self {
        LogState {
            retention_days: Some(archive::LOG_RETENTION_DAYS),
            tags: managed_tags(),
            has_stream: true,
        }
    }
}

/// The log group's removal (Firehose's delivery errors: diagnostics, not events).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum LogRemoval {
    DeleteLogGroup { group: String },
}

impl super::Gone for LogRemoval {
    fn describe(&self) -> String {
        let LogRemoval::DeleteLogGroup { group } = self;
        format!("delete the log group {group} (Firehose's delivery errors)")
    }
}

/// One change to the error log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum LogAction {
    /// The group (tagged), then the stream its logging options name.
    CreateLogGroup {
        group: String,
        tags: BTreeMap<String, String>,
    },
    CreateLogStream {
        group: String,
        stream: String,
    },
    /// How long the error log is kept (ours only).
    PutLogRetention {
        group: String,
        days: u32,
    },
}

impl super::Change for LogAction {
    fn is_create(&self) -> bool {
        matches!(self, LogAction::CreateLogGroup { .. })
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
            LogAction::CreateLogGroup { group, .. } => {
                format!("create log group {group} (Firehose's delivery errors)")
            }
            LogAction::CreateLogStream { group, stream } => {
                format!("create log stream {stream} in {group}")
            }
            LogAction::PutLogRetention { group, days } => {
                format!("log group {group}: keep entries {days} days")
            }
        }
    }
}

/// The error log's plan: made when missing, its stream added when missing; the retention is
/// converged only on a log group setup made (someone else's keeps theirs).
pub(crate) fn plan(model: &Archive, log: Option<&LogState>) -> Planned<LogAction> {
    let group = model.log_group();
    let stream = archive::LOG_STREAM.to_owned();
    let mut p = Planned::default();
    let Some(l) = log else {
        p.actions.push(LogAction::CreateLogGroup {
            group: group.clone(),
            tags: managed_tags(),
        });
        p.actions.push(LogAction::CreateLogStream {
            group: group.clone(),
            stream,
        });
        p.actions.push(LogAction::PutLogRetention {
            group,
            days: archive::LOG_RETENTION_DAYS,
        });
        return p;
    };
    if !l.has_stream {
        p.actions.push(LogAction::CreateLogStream {
            group: group.clone(),
            stream,
        });
    }
    if is_managed(&l.tags) && l.retention_days != Some(archive::LOG_RETENTION_DAYS) {
        p.actions.push(LogAction::PutLogRetention {
            group,
            days: archive::LOG_RETENTION_DAYS,
        });
    }
    p
}

/// What teardown does with the log group it found (its name, and whether setup made it).
pub(crate) fn teardown(found: Option<&(String, bool)>) -> Teardown {
    match found {
        Some((_, true)) => Teardown::Remove,
        Some((group, false)) => Teardown::Keep(format!(
            "the log group {group} was not made by buzz-kinesis (no tag {}={}); it stays",
            MANAGED_BY.0, MANAGED_BY.1
        )),
        None => Teardown::Nothing,
    }
}

/// The log group uses CloudWatch Logs' own encryption (checkov CKV_AWS_158).
const KMS_REASON: &str = "The log group holds Firehose's delivery error messages (error codes and object keys, not the events), encrypted at rest by CloudWatch Logs; a customer-managed key would need a key policy statement for CloudWatch Logs that a template cannot add to a key it does not make.";

/// The checks the log group does not meet, with their reasons.
pub(crate) fn skips() -> Vec<Skip> {
    vec![Skip {
        id: "CKV_AWS_158",
        reason: KMS_REASON.into(),
    }]
}

/// The log group and its stream as CloudFormation resources.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let group = cfn_resource(
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": x.model.log_group(),
                "RetentionInDays": archive::LOG_RETENTION_DAYS,
                "Tags": cfn_tags(x.tags),
            },
        }),
        &skips(),
    );
    let stream = json!({
        "Type": "AWS::Logs::LogStream",
        "Properties": {"LogGroupName": {"Ref": CFN_GROUP_ID}, "LogStreamName": archive::LOG_STREAM},
    });
    vec![(CFN_GROUP_ID, group), (CFN_STREAM_ID, stream)]
}

/// The log group and its stream as Terraform resources.
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    vec![
        tf_with_skips(tf_archive_resource("aws_cloudwatch_log_group"), &skips())
            .attr("name", Hcl::str(x.model.log_group()))
            .attr(
                "retention_in_days",
                Hcl::expr(archive::LOG_RETENTION_DAYS.to_string()),
            )
            .attr("tags", tf_tags(x.tags)),
        tf_archive_resource("aws_cloudwatch_log_stream")
            .attr("name", Hcl::str(archive::LOG_STREAM))
            .attr(
                "log_group_name",
                Hcl::expr("aws_cloudwatch_log_group.buzz_archive.name"),
            ),
    ]
}

#[cfg(test)]
mod tests;
