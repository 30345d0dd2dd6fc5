//! Firehose: the delivery stream that reads the Kinesis stream and writes the archive. Made
//! whole; its prefixes, processors, buffering, retry and logging are updated in place
//! (UpdateDestination, with the version read back), since a delivery stream made anew starts
//! at the stream's newest record and the events in between would never be archived (see
//! `plan::archive`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_firehose::types::{
    BufferingHints, CloudWatchLoggingOptions, CompressionFormat, DeliveryStreamType,
    DynamicPartitioningConfiguration, ExtendedS3DestinationConfiguration,
    ExtendedS3DestinationUpdate, KinesisStreamSourceConfiguration, ProcessingConfiguration,
    Processor, ProcessorParameter, ProcessorParameterName, ProcessorType, RetryOptions, Tag,
};

use super::{built, read, write, Aws, Created, Expected};
use crate::archive::{self, Archive};
use crate::checklist::Check;
use crate::error::{Error, Result};
use crate::parts::add_on::{self, AddOnCheckCx, ApplyAddOn, CheckAddOn, ReadAddOn};
use crate::parts::archived::{self, ArchiveFound, Archived, DesiredArchive};
use crate::parts::delivery::{
    Delivery, DeliveryAction, DeliveryObserved, DeliveryRemoval, DeliveryState,
};
use crate::parts::{Apply, ApplyCx, ArchiveState, LeftCx, Read, ReadCx, Remove};
use crate::parts::{ArchiveAction, ArchiveLeft, Change as _};

/// Whether CreateDeliveryStream failed because Firehose cannot assume the role yet: IAM has
/// not propagated a role made moments ago (Firehose's words: "Firehose is unable to assume
/// role ..."). Worth retrying while the role is young; anything else is reported at once.
pub(crate) fn role_not_ready(code: &str, message: &str) -> bool {
    code == "InvalidArgumentException"
        && message
            .to_ascii_lowercase()
            .contains("unable to assume role")
}

impl Aws {
    /// The delivery stream with its tags, or `None` when there is none.
    pub(crate) async fn describe_delivery_stream(
        &self,
        name: &str,
    ) -> Result<Option<DeliveryState>> {
        let req = self
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(name);
        let Some(out) = self
            .answered(read("firehose", "DescribeDeliveryStream"), req.send().await)
            .or_missing(&["ResourceNotFoundException"])?
        else {
            return Ok(None);
        };
        let Some(d) = out.delivery_stream_description() else {
            return Ok(None);
        };
        let req = self
            .firehose
            .list_tags_for_delivery_stream()
            .delivery_stream_name(name);
        let tags = self.answered(
            read("firehose", "ListTagsForDeliveryStream"),
            req.send().await,
        )?;
        let source = d
            .source()
            .and_then(|s| s.kinesis_stream_source_description());
        let s3 = d
            .destinations()
            .iter()
            .find_map(|x| x.extended_s3_destination_description());
        Ok(Some(DeliveryState {
            arn: d.delivery_stream_arn().to_owned(),
            status: d.delivery_stream_status().as_str().to_owned(),
            tags: tags
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect(),
            source_stream_arn: source
                .and_then(|s| s.kinesis_stream_arn())
                .map(str::to_owned),
            source_role_arn: source.and_then(|s| s.role_arn()).map(str::to_owned),
            bucket_arn: s3.map(|s| s.bucket_arn().to_owned()),
            role_arn: s3.map(|s| s.role_arn().to_owned()),
            prefix: s3.and_then(|s| s.prefix()).map(str::to_owned),
            error_prefix: s3.and_then(|s| s.error_output_prefix()).map(str::to_owned),
            compression: s3.map(|s| s.compression_format().as_str().to_owned()),
            dynamic_partitioning: s3
                .and_then(|s| s.dynamic_partitioning_configuration())
                .and_then(|c| c.enabled())
                .unwrap_or(false),
            processors: s3
                .and_then(|s| s.processing_configuration())
                .map(processors_of)
                .unwrap_or_default(),
            buffer_mib: s3
                .and_then(|s| s.buffering_hints())
                .and_then(|b| b.size_in_mbs())
                .and_then(|n| u32::try_from(n).ok()),
            buffer_seconds: s3
                .and_then(|s| s.buffering_hints())
                .and_then(|b| b.interval_in_seconds())
                .and_then(|n| u32::try_from(n).ok()),
            retry_seconds: s3
                .and_then(|s| s.dynamic_partitioning_configuration())
                .and_then(|c| c.retry_options())
                .and_then(|r| r.duration_in_seconds())
                .and_then(|n| u32::try_from(n).ok()),
            logging: s3.and_then(|s| s.cloud_watch_logging_options()).map(|l| {
                (
                    l.enabled().unwrap_or(false),
                    l.log_group_name().unwrap_or_default().to_owned(),
                    l.log_stream_name().unwrap_or_default().to_owned(),
                )
            }),
            version_id: d.version_id().to_owned(),
            destination_id: d
                .destinations()
                .first()
                .map(|x| x.destination_id().to_owned())
                .unwrap_or_default(),
        }))
    }

    /// Update the delivery stream's S3 destination in place to every setting of [`Archive`]
    /// but the source, the bucket and the role (which UpdateDestination cannot change for a
    /// Kinesis source): prefixes, processors, buffering, retry, compression and logging. The
    /// version read back guards against a change made meanwhile (ConcurrentModification).
    pub(crate) async fn update_delivery_stream(
        &self,
        a: &Archive,
        version_id: &str,
        destination_id: &str,
    ) -> Result<()> {
        let update = ExtendedS3DestinationUpdate::builder()
            .prefix(archive::PREFIX)
            .error_output_prefix(archive::ERROR_PREFIX)
            .compression_format(CompressionFormat::from(archive::COMPRESSION))
            .buffering_hints(buffering(a))
            .dynamic_partitioning_configuration(partitioning())
            .processing_configuration(processing(a)?)
            .cloud_watch_logging_options(logging(a))
            .build();
        let req = self
            .firehose
            .update_destination()
            .delivery_stream_name(a.delivery_stream())
            .current_delivery_stream_version_id(version_id)
            .destination_id(destination_id)
            .extended_s3_destination_update(update);
        self.answered(write("firehose", "UpdateDestination"), req.send().await)?;
        Ok(())
    }

    /// Create the delivery stream: the Kinesis stream as its source, the archive's bucket as
    /// its destination, with every setting of [`Archive`]. One already there (a retry, a race)
    /// is [`Created::AlreadyExisted`]: the caller reads it again.
    pub(crate) async fn create_delivery_stream(
        &self,
        a: &Archive,
        stream_arn: &str,
        role_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Created> {
        let name = a.delivery_stream();
        let destination = ExtendedS3DestinationConfiguration::builder()
            .role_arn(role_arn)
            .bucket_arn(a.bucket_arn())
            .prefix(archive::PREFIX)
            .error_output_prefix(archive::ERROR_PREFIX)
            .compression_format(CompressionFormat::from(archive::COMPRESSION))
            .buffering_hints(buffering(a))
            .dynamic_partitioning_configuration(partitioning())
            .processing_configuration(processing(a)?)
            .cloud_watch_logging_options(logging(a))
            .build();
        let source = KinesisStreamSourceConfiguration::builder()
            .kinesis_stream_arn(stream_arn)
            .role_arn(role_arn)
            .build();
        let tags = tags
            .iter()
            .map(|(k, v)| built(Tag::builder().key(k).value(v).build()))
            .collect::<Result<Vec<_>>>()?;
        let req = self
            .firehose
            .create_delivery_stream()
            .delivery_stream_name(&name)
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(built(source)?)
            .extended_s3_destination_configuration(built(destination)?)
            .set_tags(Some(tags));
        self.answered(write("firehose", "CreateDeliveryStream"), req.send().await)
            .or_existing(&["ResourceInUseException"])
    }

    /// Delete the delivery stream (teardown). Records already in S3 stay.
    pub(crate) async fn delete_delivery_stream(&self, name: &str) -> Result<()> {
        let req = self
            .firehose
            .delete_delivery_stream()
            .delivery_stream_name(name);
        self.answered(write("firehose", "DeleteDeliveryStream"), req.send().await)
            .or_missing(&["ResourceNotFoundException"])?;
        Ok(())
    }
}

/// The processors as Firehose answers them: in order, each with its parameters by name.
fn processors_of(c: &ProcessingConfiguration) -> Vec<(String, BTreeMap<String, String>)> {
    c.processors()
        .iter()
        .map(|p| {
            (
                p.r#type().as_str().to_owned(),
                p.parameters()
                    .iter()
                    .map(|x| {
                        (
                            x.parameter_name().as_str().to_owned(),
                            x.parameter_value().to_owned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The archive's processors, in order.
fn processing(a: &Archive) -> Result<ProcessingConfiguration> {
    let mut processors = Vec::new();
    for p in a.processors() {
        let mut b = Processor::builder().r#type(ProcessorType::from(p.kind));
        for (k, v) in &p.parameters {
            b = b.parameters(built(
                ProcessorParameter::builder()
                    .parameter_name(ProcessorParameterName::from(*k))
                    .parameter_value(v)
                    .build(),
            )?);
        }
        processors.push(built(b.build())?);
    }
    Ok(ProcessingConfiguration::builder()
        .enabled(true)
        .set_processors(Some(processors))
        .build())
}

fn buffering(a: &Archive) -> BufferingHints {
    BufferingHints::builder()
        .size_in_mbs(i32::try_from(archive::BUFFER_MIB).unwrap_or(64))
        .interval_in_seconds(i32::try_from(a.buffer.get()).unwrap_or(300))
        .build()
}

fn partitioning() -> DynamicPartitioningConfiguration {
    DynamicPartitioningConfiguration::builder()
        .enabled(true)
        .retry_options(
            RetryOptions::builder()
                .duration_in_seconds(i32::try_from(archive::RETRY_SECONDS).unwrap_or(300))
                .build(),
        )
        .build()
}

fn logging(a: &Archive) -> CloudWatchLoggingOptions {
    CloudWatchLoggingOptions::builder()
        .enabled(true)
        .log_group_name(a.log_group())
        .log_stream_name(archive::LOG_STREAM)
        .build()
}

/// The delivery stream's changes. An update is made in place at once; a delivery stream made
/// (or made anew) waits for what Firehose needs first: the stream ACTIVE (Firehose reads it from
/// its first record), the old delivery stream gone, and IAM letting Firehose use a new role.
impl Apply<Aws, ApplyCx<'_>> for DeliveryAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, cx: &ApplyCx<'_>) -> Result<()> {
        if let DeliveryAction::UpdateDeliveryStream {
            version_id,
            destination_id,
            ..
        } = self
        {
            return aws
                .update_delivery_stream(cx.model, version_id, destination_id)
                .await;
        }
        let on_poll = |elapsed: Duration| (cx.waiting)("waiting for the stream", elapsed);
        aws.wait_stream_active(cx.stream, &on_poll).await?;
        (cx.done_waiting)();
        if matches!(self, DeliveryAction::ReplaceDeliveryStream { .. }) {
            let name = cx.model.delivery_stream();
            aws.delete_delivery_stream(&name).await?;
            aws.wait_delivery_gone(&name, cx).await?;
        }
        aws.create_delivery_retried(cx).await
    }
}

impl Remove<Aws> for DeliveryRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        let DeliveryRemoval::DeleteDeliveryStream { name } = self;
        aws.delete_delivery_stream(name).await
    }
}

impl Read<Aws> for Delivery {
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<Option<DeliveryState>> {
        aws.describe_delivery_stream(&archive::delivery_stream_of(cx.stream))
            .await
    }

    async fn left(
        &self,
        _: &Aws,
        cx: &LeftCx<'_>,
        found: &ArchiveState,
    ) -> Result<Option<DeliveryObserved>> {
        Ok(found.delivery.as_ref().map(|d| DeliveryObserved {
            name: archive::delivery_stream_of(cx.stream),
            managed: crate::state::is_managed(&d.tags),
            bucket: crate::parts::bucket::named_by(found),
        }))
    }
}

impl Aws {
    /// Firehose deletes a delivery stream in the background; one of the same name can be made
    /// only once it is gone (a few minutes at most).
    async fn wait_delivery_gone(&self, name: &str, cx: &ApplyCx<'_>) -> Result<()> {
        let start = Instant::now();
        while self.describe_delivery_stream(name).await?.is_some() {
            if start.elapsed() > Duration::from_secs(600) {
                return Err(Error::Refused(format!(
                    "the Firehose delivery stream {name} is still being deleted after 10 minutes: run setup again once it is gone"
                )));
            }
            (cx.waiting)(
                "waiting for Firehose to delete the old delivery stream",
                start.elapsed(),
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        (cx.done_waiting)();
        Ok(())
    }

    /// CreateDeliveryStream, retried while Firehose cannot assume its new role yet (IAM has
    /// not propagated it), for at most `cx.iam_wait`.
    async fn create_delivery_retried(&self, cx: &ApplyCx<'_>) -> Result<()> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(500);
        let tags = crate::parts::managed_tags();
        loop {
            match self
                .create_delivery_stream(cx.model, cx.stream_arn, cx.role_arn, &tags)
                .await
            {
                Ok(c) => return c.made("Firehose delivery stream", &cx.model.delivery_stream()),
                Err(Error::Aws { code, message, .. })
                    if role_not_ready(&code, &message) && start.elapsed() + delay < cx.iam_wait =>
                {
                    (cx.waiting)(
                        "waiting for IAM to let Firehose use its new role",
                        start.elapsed(),
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 3 / 2).min(Duration::from_secs(3));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The archive as an add-on: its parts read at once, each through its adapter
/// (`parts::Read`), and its changes made chain by chain. Here, beside the delivery stream,
/// since the archive is Firehose's delivery of the stream into the bucket.
impl ReadAddOn<Aws> for Archived {
    async fn read(&self, aws: &Aws, d: &DesiredArchive) -> Result<ArchiveFound> {
        let cx = ReadCx {
            stream: &d.model.stream,
            database_arn: &d.database_arn,
            model: Some(&d.model),
            views: d.views,
        };
        let parts = crate::parts::read_archive(aws, &cx).await.all()?;
        // The same weighing as the writer role's: `--adopt` hands it to Firehose.
        let role_grants = aws
            .adopted_grants(&d.model.role(), parts.role.as_ref(), d.adopt)
            .await?;
        Ok(ArchiveFound { parts, role_grants })
    }

    /// Found by the names setup derives from the stream's (each part through its adapter, as
    /// setup and check read it), then what teardown weighs of each (`parts::read_left`).
    async fn left(
        &self,
        aws: &Aws,
        cx: &add_on::AddOnLeftCx<'_>,
        unread: &mut dyn FnMut(&'static str, Error) -> Result<()>,
    ) -> Result<ArchiveLeft> {
        let database = archive::database_of(cx.stream);
        let read = ReadCx {
            stream: cx.stream,
            database_arn: &crate::state::arn::glue_database(
                aws.region.partition(),
                &aws.region,
                cx.account,
                &database,
            ),
            model: None,
            views: false,
        };
        let found = crate::parts::read_archive(aws, &read)
            .await
            .or_unread(&mut *unread)?;
        let left = LeftCx {
            stream: cx.stream,
            delete_archive: cx.delete_archive,
        };
        crate::parts::read_left(aws, &left, &found, unread).await
    }
}

/// The bucket, Firehose's role and the Glue table at once, then the delivery stream, which
/// needs all three and an ACTIVE stream. Setup runs it beside the stream and role chains and
/// before Buzz's, so Firehose's wait for its new role to propagate covers the Buzz role's: a
/// fresh setup waits for IAM once. Each change is made by its part's adapter (`parts::Apply`),
/// in the order `archived::in_chains` gives.
impl ApplyAddOn<Aws> for Archived {
    async fn apply(
        &self,
        aws: &Aws,
        want: &DesiredArchive,
        found: &ArchiveFound,
        planned: &[ArchiveAction],
        cx: &add_on::AddOnApplyCx<'_>,
    ) -> Result<()> {
        let (resource, run) = (cx.resource, cx.run);
        let table = want.table_over(found.parts.glue.table.as_ref());
        let waiting = |what: &str, elapsed: Duration| (run.waiting)(resource, what, elapsed);
        let cx = ApplyCx {
            model: &want.model,
            stream: run.stream,
            stream_arn: &want.stream_arn,
            role_arn: &want.role_arn,
            account: &want.account,
            table: &table,
            // A role made (or changed) now, or moments ago, may not be usable by Firehose yet.
            iam_wait: archived::iam_wait(
                planned,
                found,
                std::time::SystemTime::now(),
                run.propagation_timeout,
            ),
            waiting: &waiting,
            done_waiting: run.done_waiting,
        };
        let cx = &cx;
        archived::in_chains(planned, |action| async move {
            (run.step)(resource, &action.describe());
            action.apply(aws, cx).await
        })
        .await
    }
}

/// The archive's rows: what setup's read found, Firehose's role's every policy, the delivery
/// stream's metrics over `--since`, and the objects under the error prefix and the newest
/// event's age (listing at most 10,000 objects). None when no archive was asked for.
impl CheckAddOn<Aws> for Archived {
    async fn rows(
        &self,
        aws: &Aws,
        want: Option<&DesiredArchive>,
        found: &ArchiveFound,
        cx: &AddOnCheckCx<'_>,
    ) -> Result<Vec<Check>> {
        const CAP: usize = 10_000;
        let Some(want) = want else {
            return Ok(Vec::new());
        };
        let seen = &found.parts;
        let delivery_metrics = match &seen.delivery {
            Some(_) => Some(crate::error::soft(
                aws.delivery_metrics(
                    &want.model.delivery_stream(),
                    Duration::from_secs(cx.since.secs()),
                )
                .await,
            )?),
            None => None,
        };
        let grants = match &seen.role {
            Some(r) => Some(
                aws.role_policies(&want.model.role(), r.boundary.as_deref())
                    .await?,
            ),
            None => None,
        };
        let objects = match &seen.bucket {
            crate::parts::bucket::BucketObserved::Here(_) => {
                let bucket = want.model.bucket.as_str();
                let ((errors, _), (events, newest)) = tokio::try_join!(
                    aws.count_objects(bucket, archive::ERRORS_PREFIX, CAP),
                    aws.count_objects(bucket, archive::EVENTS_PREFIX, CAP),
                )?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                    .unwrap_or(0);
                Some(crate::checks::ArchiveObjects {
                    errors,
                    newest_event_age_secs: newest.map(|t| now - t),
                    capped: errors >= CAP || events >= CAP,
                })
            }
            _ => None,
        };
        let mut rows = crate::checks::archive_rows(want, seen, grants.as_ref(), objects.as_ref());
        if let Some(m) = &delivery_metrics {
            rows.push(crate::checks::delivery_metrics_row(
                m,
                &cx.since.to_string(),
                &want.model.log_group(),
                crate::checks::buffer_secs(want, seen),
            ));
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_firehose_failing_to_assume_the_role_is_worth_waiting_for() {
        assert!(role_not_ready(
            "InvalidArgumentException",
            "Firehose is unable to assume role arn:aws:iam::1:role/x. Please check the role provided."
        ));
        assert!(!role_not_ready(
            "InvalidArgumentException",
            "Enabling dynamic partitioning requires a buffer size of at least 64 MiB"
        ));
        assert!(!role_not_ready(
            "AccessDeniedException",
            "unable to assume role"
        ));
    }
}
