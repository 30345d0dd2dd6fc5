//! CloudWatch Logs: the log group and stream Firehose writes its delivery errors to, named in
//! the delivery stream's logging options. Firehose does not make them: without them its
//! errors go nowhere.

use crate::archive::{log_group_of, LOG_STREAM};
use crate::parts::log::{Log, LogAction, LogRemoval};
use crate::parts::{Apply, ApplyCx, ArchiveState, LeftCx, Read, ReadCx, Remove};
use std::collections::BTreeMap;

use super::{read, write, Aws, Expected};
use crate::error::Result;
use crate::parts::log::LogState;

impl Aws {
    /// The log group `name` (exactly), its retention, tags, and whether it has `stream`.
    pub(crate) async fn describe_log_group(
        &self,
        name: &str,
        stream: &str,
    ) -> Result<Option<LogState>> {
        let req = self.logs.describe_log_groups().log_group_name_prefix(name);
        let out = self.answered(read("logs", "DescribeLogGroups"), req.send().await)?;
        let Some(group) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        else {
            return Ok(None);
        };
        let arn = group
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .unwrap_or_default();
        let (tags, streams) = tokio::try_join!(
            async {
                let req = self.logs.list_tags_for_resource().resource_arn(&arn);
                let out = self.answered(read("logs", "ListTagsForResource"), req.send().await)?;
                Ok::<BTreeMap<String, String>, crate::error::Error>(
                    out.tags()
                        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                )
            },
            async {
                let req = self
                    .logs
                    .describe_log_streams()
                    .log_group_name(name)
                    .log_stream_name_prefix(stream);
                let out = self.answered(read("logs", "DescribeLogStreams"), req.send().await)?;
                Ok(out
                    .log_streams()
                    .iter()
                    .any(|s| s.log_stream_name() == Some(stream)))
            },
        )?;
        Ok(Some(LogState {
            retention_days: group
                .retention_in_days()
                .and_then(|d| u32::try_from(d).ok()),
            tags,
            has_stream: streams,
        }))
    }

    /// Create the log group, tagged; one already there is left as it is.
    pub(crate) async fn create_log_group(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut req = self.logs.create_log_group().log_group_name(name);
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        self.answered(write("logs", "CreateLogGroup"), req.send().await)
            .or_existing(&["ResourceAlreadyExistsException"])?;
        Ok(())
    }

    pub(crate) async fn create_log_stream(&self, group: &str, stream: &str) -> Result<()> {
        let req = self
            .logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream);
        self.answered(write("logs", "CreateLogStream"), req.send().await)
            .or_existing(&["ResourceAlreadyExistsException"])?;
        Ok(())
    }

    pub(crate) async fn put_log_retention(&self, group: &str, days: u32) -> Result<()> {
        let req = self
            .logs
            .put_retention_policy()
            .log_group_name(group)
            .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX));
        self.answered(write("logs", "PutRetentionPolicy"), req.send().await)?;
        Ok(())
    }

    /// Delete the log group with its streams (teardown).
    pub(crate) async fn delete_log_group(&self, name: &str) -> Result<()> {
        let req = self.logs.delete_log_group().log_group_name(name);
        self.answered(write("logs", "DeleteLogGroup"), req.send().await)
            .or_missing(&["ResourceNotFoundException"])?;
        Ok(())
    }
}

impl Apply<Aws, ApplyCx<'_>> for LogAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, _: &ApplyCx<'_>) -> Result<()> {
        match self {
            LogAction::CreateLogGroup { group, tags } => aws.create_log_group(group, tags).await,
            LogAction::CreateLogStream { group, stream } => {
                aws.create_log_stream(group, stream).await
            }
            LogAction::PutLogRetention { group, days } => aws.put_log_retention(group, *days).await,
        }
    }
}

impl Remove<Aws> for LogRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        let LogRemoval::DeleteLogGroup { group } = self;
        aws.delete_log_group(group).await
    }
}

impl Read<Aws> for Log {
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<Option<LogState>> {
        aws.describe_log_group(&log_group_of(cx.stream), LOG_STREAM)
            .await
    }

    async fn left(
        &self,
        _: &Aws,
        cx: &LeftCx<'_>,
        found: &ArchiveState,
    ) -> Result<Option<(String, bool)>> {
        Ok(found
            .log
            .as_ref()
            .map(|l| (log_group_of(cx.stream), crate::state::is_managed(&l.tags))))
    }
}
