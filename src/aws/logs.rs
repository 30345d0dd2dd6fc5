//! CloudWatch Logs: the log group and stream Firehose writes its delivery errors to, named in
//! the delivery stream's logging options. Firehose does not make them: without them its
//! errors go nowhere.

use std::collections::BTreeMap;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{aws_error, Aws};
use crate::error::Result;
use crate::parts::log::LogState;

impl Aws {
    /// The log group `name` (exactly), its retention, tags, and whether it has `stream`.
    pub async fn describe_log_group(&self, name: &str, stream: &str) -> Result<Option<LogState>> {
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| aws_error("logs", "DescribeLogGroups", e))?;
        self.calls.record("logs", "DescribeLogGroups", false);
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
                let out = self
                    .logs
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| aws_error("logs", "ListTagsForResource", e))?;
                self.calls.record("logs", "ListTagsForResource", false);
                Ok::<BTreeMap<String, String>, crate::error::Error>(
                    out.tags()
                        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                )
            },
            async {
                let out = self
                    .logs
                    .describe_log_streams()
                    .log_group_name(name)
                    .log_stream_name_prefix(stream)
                    .send()
                    .await
                    .map_err(|e| aws_error("logs", "DescribeLogStreams", e))?;
                self.calls.record("logs", "DescribeLogStreams", false);
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
    pub async fn create_log_group(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut req = self.logs.create_log_group().log_group_name(name);
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        match req.send().await {
            Ok(_) => self.calls.record("logs", "CreateLogGroup", true),
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {
                self.calls.record("logs", "CreateLogGroup", false)
            }
            Err(e) => return Err(aws_error("logs", "CreateLogGroup", e)),
        }
        Ok(())
    }

    pub async fn create_log_stream(&self, group: &str, stream: &str) -> Result<()> {
        match self
            .logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
        {
            Ok(_) => self.calls.record("logs", "CreateLogStream", true),
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {
                self.calls.record("logs", "CreateLogStream", false)
            }
            Err(e) => return Err(aws_error("logs", "CreateLogStream", e)),
        }
        Ok(())
    }

    pub async fn put_log_retention(&self, group: &str, days: u32) -> Result<()> {
        self.logs
            .put_retention_policy()
            .log_group_name(group)
            .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| aws_error("logs", "PutRetentionPolicy", e))?;
        self.calls.record("logs", "PutRetentionPolicy", true);
        Ok(())
    }

    /// Delete the log group with its streams (teardown).
    pub async fn delete_log_group(&self, name: &str) -> Result<()> {
        match self
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(aws_error("logs", "DeleteLogGroup", e)),
        }
        self.calls.record("logs", "DeleteLogGroup", true);
        Ok(())
    }
}
