//! Kinesis Data Streams: read a stream's state, create it, wait for ACTIVE, and the follow-up
//! changes (retention, encryption, tags), each of which puts the stream in UPDATING.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::{EncryptionType, StreamMode, StreamModeDetails};

use super::{built, read, write, Aws, Created, Expected};
use crate::error::{Error, Result};
use crate::names::{RetentionHours, ShardCount};
use crate::parts::{Apply, AwsCx};
use crate::plan::StreamAction;
use crate::sizing::Capacity;
use crate::state::{StreamState, StreamStatus};

/// How long to wait for a stream to become ACTIVE before giving up.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(600);

impl Aws {
    /// The stream as it is now, or `None` when there is no such stream.
    pub(crate) async fn describe_stream(&self, name: &str) -> Result<Option<StreamState>> {
        let Some(out) = self.stream_summary(name).await? else {
            return Ok(None);
        };
        let Some(s) = out.stream_description_summary() else {
            return Ok(None);
        };
        let open_shards = u32::try_from(s.open_shard_count()).unwrap_or(0);
        let capacity = s.stream_mode_details().map(|m| match m.stream_mode() {
            StreamMode::OnDemand => Capacity::OnDemand,
            _ => ShardCount::parse("(stream)", &open_shards.to_string())
                .map(Capacity::Provisioned)
                .unwrap_or(Capacity::OnDemand),
        });
        let kms_key = match s.encryption_type() {
            Some(EncryptionType::Kms) => s.key_id().map(str::to_owned),
            _ => None,
        };
        let status = StreamStatus::from_aws(s.stream_status().as_str());
        let arn = s.stream_arn().to_owned();
        let retention = RetentionHours::from_aws(s.retention_period_hours());
        let tags = if status == StreamStatus::Deleting {
            BTreeMap::new()
        } else {
            self.stream_tags(name).await?
        };
        Ok(Some(StreamState {
            arn,
            status,
            capacity,
            open_shards,
            retention,
            kms_key,
            tags,
        }))
    }

    /// DescribeStreamSummary, or `None` when there is no such stream.
    async fn stream_summary(
        &self,
        name: &str,
    ) -> Result<
        Option<aws_sdk_kinesis::operation::describe_stream_summary::DescribeStreamSummaryOutput>,
    > {
        let req = self.kinesis.describe_stream_summary().stream_name(name);
        self.answered(read("kinesis", "DescribeStreamSummary"), req.send().await)
            .or_missing(&["ResourceNotFoundException"])
    }

    async fn stream_tags(&self, name: &str) -> Result<BTreeMap<String, String>> {
        let mut tags = BTreeMap::new();
        let mut start: Option<String> = None;
        loop {
            let req = self
                .kinesis
                .list_tags_for_stream()
                .stream_name(name)
                .set_exclusive_start_tag_key(start.clone());
            let out = self.answered(read("kinesis", "ListTagsForStream"), req.send().await)?;
            for t in out.tags() {
                tags.insert(t.key().to_owned(), t.value().unwrap_or_default().to_owned());
            }
            match (out.has_more_tags(), out.tags().last()) {
                (true, Some(last)) => start = Some(last.key().to_owned()),
                _ => return Ok(tags),
            }
        }
    }

    /// The names of the account's streams in this region (for the wizard's "reuse one?").
    pub(crate) async fn list_stream_names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self.kinesis.list_streams().set_next_token(token.clone());
            let out = self.answered(read("kinesis", "ListStreams"), req.send().await)?;
            names.extend(out.stream_names().iter().cloned());
            match out.next_token() {
                Some(t) if out.has_more_streams() => token = Some(t.to_owned()),
                _ => return Ok(names),
            }
        }
    }

    /// Create the stream. `ResourceInUseException` (a race, or the SDK's retry of a create
    /// that had succeeded) is [`Created::AlreadyExisted`]: the caller reads it again and plans
    /// anew.
    pub(crate) async fn create_stream(&self, name: &str, capacity: Capacity) -> Result<Created> {
        let mut req = self.kinesis.create_stream().stream_name(name);
        req = match capacity {
            Capacity::OnDemand => req.stream_mode_details(stream_mode(StreamMode::OnDemand)?),
            Capacity::Provisioned(n) => req
                .shard_count(i32::try_from(n.get()).unwrap_or(i32::MAX))
                .stream_mode_details(stream_mode(StreamMode::Provisioned)?),
        };
        let created = self
            .answered(write("kinesis", "CreateStream"), req.send().await)
            .hint_on("LimitExceededException", || {
                "the account is at a Kinesis limit (5 streams CREATING at once, the shard quota, or 50 on-demand streams): wait, or ask AWS for a higher quota, then run setup again".into()
            })
            .or_existing(&["ResourceInUseException"])?;
        if created == Created::AlreadyExisted {
            tracing::info!(stream = name, "the stream exists already; reading it again");
        }
        Ok(created)
    }

    /// Wait until the stream is ACTIVE, polling fast at first and backing off (the SDK's
    /// waiter and `aws kinesis wait stream-exists` first wait a fixed 10 s).
    pub(crate) async fn wait_stream_active(
        &self,
        name: &str,
        on_poll: &(dyn Fn(Duration) + Sync),
    ) -> Result<StreamState> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            if let Some(s) = self.describe_stream_status(name).await? {
                if s.status == StreamStatus::Active {
                    return Ok(s);
                }
                if s.status == StreamStatus::Deleting {
                    return Err(Error::Refused(format!(
                        "the stream {name} is being deleted by someone else; setup stopped"
                    )));
                }
            }
            if start.elapsed() > ACTIVE_TIMEOUT {
                return Err(Error::Timeout {
                    what: format!("stream {name} to become ACTIVE"),
                    seconds: ACTIVE_TIMEOUT.as_secs(),
                    hint: Some(
                        "check the stream in the Kinesis console; run setup again to continue"
                            .into(),
                    ),
                });
            }
            on_poll(start.elapsed());
            tokio::time::sleep(delay).await;
            // DescribeStreamSummary allows 20 calls/s per account: 100 ms rising to 1 s stays
            // far below it while bounding our own lateness to one delay.
            delay = (delay * 3 / 2).min(Duration::from_secs(1));
        }
    }

    /// Status only (no tags): the cheap read used while waiting.
    async fn describe_stream_status(&self, name: &str) -> Result<Option<StreamState>> {
        // Right after CreateStream a read can miss the stream for a moment.
        let Some(out) = self.stream_summary(name).await? else {
            return Ok(None);
        };
        Ok(out.stream_description_summary().map(|s| StreamState {
            arn: s.stream_arn().to_owned(),
            status: StreamStatus::from_aws(s.stream_status().as_str()),
            capacity: None,
            open_shards: u32::try_from(s.open_shard_count()).unwrap_or(0),
            retention: RetentionHours::from_aws(s.retention_period_hours()),
            kms_key: s.key_id().map(str::to_owned),
            tags: BTreeMap::new(),
        }))
    }

    /// Switch between on-demand and provisioned (UpdateStreamMode takes the stream's ARN).
    pub(crate) async fn update_stream_mode(&self, stream_arn: &str, to: Capacity) -> Result<()> {
        let mode = match to {
            Capacity::OnDemand => StreamMode::OnDemand,
            Capacity::Provisioned(_) => StreamMode::Provisioned,
        };
        let req = self
            .kinesis
            .update_stream_mode()
            .stream_arn(stream_arn)
            .stream_mode_details(stream_mode(mode)?);
        self.answered(write("kinesis", "UpdateStreamMode"), req.send().await)?;
        Ok(())
    }

    /// One step of a shard count change (at most double or half the open shards).
    pub(crate) async fn update_shard_count(&self, name: &str, to: u32) -> Result<()> {
        let req = self
            .kinesis
            .update_shard_count()
            .stream_name(name)
            .target_shard_count(i32::try_from(to).unwrap_or(i32::MAX))
            .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling);
        self.answered(write("kinesis", "UpdateShardCount"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn increase_retention(&self, name: &str, to: RetentionHours) -> Result<()> {
        let req = self
            .kinesis
            .increase_stream_retention_period()
            .stream_name(name)
            .retention_period_hours(i32::try_from(to.get()).unwrap_or(i32::MAX));
        self.answered(
            write("kinesis", "IncreaseStreamRetentionPeriod"),
            req.send().await,
        )?;
        Ok(())
    }

    /// Only ever called when the user passed `--allow-retention-decrease`.
    pub(crate) async fn decrease_retention(&self, name: &str, to: RetentionHours) -> Result<()> {
        let req = self
            .kinesis
            .decrease_stream_retention_period()
            .stream_name(name)
            .retention_period_hours(i32::try_from(to.get()).unwrap_or(i32::MAX));
        self.answered(
            write("kinesis", "DecreaseStreamRetentionPeriod"),
            req.send().await,
        )?;
        Ok(())
    }

    pub(crate) async fn start_encryption(&self, name: &str, key: &str) -> Result<()> {
        let req = self
            .kinesis
            .start_stream_encryption()
            .stream_name(name)
            .encryption_type(EncryptionType::Kms)
            .key_id(key);
        self.answered(write("kinesis", "StartStreamEncryption"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn tag_stream(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let req = self
            .kinesis
            .add_tags_to_stream()
            .stream_name(name)
            .set_tags(Some(tags.clone().into_iter().collect()));
        self.answered(write("kinesis", "AddTagsToStream"), req.send().await)?;
        Ok(())
    }
}

/// The stream's changes, one call each. A create that meets a stream made meanwhile is
/// [`Created::AlreadyExisted`]: setup reads it again and plans anew, once.
impl Apply<Aws, AwsCx<'_>> for StreamAction {
    type Outcome = Created;

    async fn apply(&self, aws: &Aws, cx: &AwsCx<'_>) -> Result<Created> {
        let stream = cx.stream;
        match self {
            StreamAction::CreateStream { capacity } => {
                return aws.create_stream(stream, *capacity).await
            }
            StreamAction::IncreaseRetention { to, .. } => aws.increase_retention(stream, *to).await,
            StreamAction::DecreaseRetention { to, .. } => aws.decrease_retention(stream, *to).await,
            StreamAction::StartEncryption { to, .. } => aws.start_encryption(stream, to).await,
            StreamAction::TagStream { tags } => aws.tag_stream(stream, tags).await,
            StreamAction::UpdateStreamMode { to, .. } => {
                aws.update_stream_mode(cx.stream_arn, *to).await
            }
            StreamAction::UpdateShardCount { to, .. } => aws.update_shard_count(stream, *to).await,
        }?;
        Ok(Created::Made)
    }
}

/// Where reading a shard starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartAt {
    /// Only records written after the iterator is made.
    Latest,
    /// The oldest record kept.
    TrimHorizon,
    /// Records from this time on.
    Timestamp(std::time::SystemTime),
    /// Right after this sequence number: how a reader resumes with a fresh iterator when its
    /// old one expired (iterators live five minutes).
    AfterSequence(String),
}

/// One page of a shard.
pub(crate) struct Page {
    pub records: Vec<Vec<u8>>,
    /// `None` once a closed shard has been read to its end.
    pub next: Option<String>,
    /// The sequence number of the page's last record, if it has any.
    pub last_sequence: Option<String>,
    /// The data bytes in the page (Kinesis allows 2 MB/s of reads per shard).
    pub bytes: usize,
    /// How far the page is behind the shard's newest record; 0 when caught up.
    pub millis_behind: Option<i64>,
}

/// A bounded read of a stream's recent records (`check`'s look at who writes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sample {
    pub records: Vec<Vec<u8>>,
    /// Some shard had more records in the window than the sample took.
    pub truncated: bool,
}

/// At most this many records a shard, and this many GetRecords calls a shard, per sample.
pub(crate) const SAMPLE_PER_SHARD: usize = 1_000;
pub(crate) const SAMPLE_PAGES_PER_SHARD: usize = 5;

/// One shard as ListShards describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    pub id: String,
    /// The shard(s) it was split or merged from (parent, then adjacent parent).
    pub parents: Vec<String>,
    /// Set once the shard is closed by a reshard: the last sequence number it will ever hold.
    pub ending_sequence: Option<String>,
}

impl Aws {
    /// The ids of every shard of the stream, open or closed (ListShards, paged).
    pub(crate) async fn list_shards(&self, stream: &str) -> Result<Vec<String>> {
        Ok(self
            .shards(stream)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect())
    }

    /// Every shard of the stream, open or closed, with its parents (ListShards, paged).
    pub(crate) async fn shards(&self, stream: &str) -> Result<Vec<ShardInfo>> {
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // ListShards takes either the stream name or a NextToken, never both.
            let req = match &token {
                Some(t) => self.kinesis.list_shards().next_token(t),
                None => self.kinesis.list_shards().stream_name(stream),
            };
            let out = self.answered(read("kinesis", "ListShards"), req.send().await)?;
            shards.extend(out.shards().iter().map(|s| {
                ShardInfo {
                    id: s.shard_id().to_owned(),
                    parents: s
                        .parent_shard_id()
                        .into_iter()
                        .chain(s.adjacent_parent_shard_id())
                        .map(str::to_owned)
                        .collect(),
                    ending_sequence: s
                        .sequence_number_range()
                        .and_then(|r| r.ending_sequence_number())
                        .map(str::to_owned),
                }
            }));
            match out.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return Ok(shards),
            }
        }
    }

    pub(crate) async fn shard_iterator(
        &self,
        stream: &str,
        shard: &str,
        start: StartAt,
    ) -> Result<String> {
        use aws_sdk_kinesis::types::ShardIteratorType as T;
        let req = self
            .kinesis
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard);
        let req = match start {
            StartAt::Latest => req.shard_iterator_type(T::Latest),
            StartAt::TrimHorizon => req.shard_iterator_type(T::TrimHorizon),
            StartAt::Timestamp(t) => req
                .shard_iterator_type(T::AtTimestamp)
                .timestamp(aws_smithy_types::DateTime::from(t)),
            StartAt::AfterSequence(n) => req
                .shard_iterator_type(T::AfterSequenceNumber)
                .starting_sequence_number(n),
        };
        let out = self.answered(read("kinesis", "GetShardIterator"), req.send().await)?;
        out.shard_iterator()
            .map(str::to_owned)
            .ok_or_else(|| Error::Aws {
                service: "kinesis",
                operation: "GetShardIterator",
                code: "NoShardIterator".into(),
                message: format!("Kinesis answered without an iterator for shard {shard}"),
                hint: None,
            })
    }

    /// One GetRecords call. Throughput errors are the caller's to back off from.
    pub(crate) async fn get_records(&self, iterator: &str) -> Result<Page> {
        let req = self
            .kinesis
            .get_records()
            .shard_iterator(iterator)
            .limit(1000);
        let out = self.answered(read("kinesis", "GetRecords"), req.send().await)?;
        let records: Vec<Vec<u8>> = out
            .records()
            .iter()
            .map(|r| r.data().as_ref().to_vec())
            .collect();
        Ok(Page {
            bytes: records.iter().map(Vec::len).sum(),
            last_sequence: out.records().last().map(|r| r.sequence_number().to_owned()),
            records,
            next: out.next_shard_iterator().map(str::to_owned),
            millis_behind: out.millis_behind_latest(),
        })
    }

    /// Up to [`SAMPLE_PER_SHARD`] records of each shard written since `since`, within
    /// Kinesis's read limits (GetRecords only, at most [`SAMPLE_PAGES_PER_SHARD`] calls a shard,
    /// 5 calls a second a shard): one ListShards, then per shard one GetShardIterator
    /// (AT_TIMESTAMP) and its pages.
    pub(crate) async fn sample_records(
        &self,
        stream: &str,
        since: std::time::SystemTime,
    ) -> Result<Sample> {
        let shards = self.list_shards(stream).await?;
        let mut sample = Sample {
            ..Sample::default()
        };
        for shard in &shards {
            let mut iterator = self
                .shard_iterator(stream, shard, StartAt::Timestamp(since))
                .await?;
            let mut taken = 0;
            for page_no in 0..SAMPLE_PAGES_PER_SHARD {
                if page_no > 0 {
                    // GetRecords allows 5 calls a second a shard.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let page = self.get_records(&iterator).await?;
                let room = SAMPLE_PER_SHARD - taken;
                let empty = page.records.is_empty();
                if page.records.len() > room {
                    sample.truncated = true;
                }
                taken += page.records.len().min(room);
                sample.records.extend(page.records.into_iter().take(room));
                // Kinesis says how far behind a page is; an emulator that does not is caught
                // up when a page comes back empty.
                let caught_up =
                    page.millis_behind == Some(0) || (page.millis_behind.is_none() && empty);
                let Some(next) = page.next else { break };
                if caught_up {
                    break;
                }
                if taken >= SAMPLE_PER_SHARD || page_no + 1 == SAMPLE_PAGES_PER_SHARD {
                    sample.truncated = true;
                    break;
                }
                iterator = next;
            }
        }
        Ok(sample)
    }

    /// Delete the stream and every record in it. Only `teardown --delete-stream`, confirmed,
    /// calls this. A stream already gone is done.
    pub(crate) async fn delete_stream(&self, name: &str) -> Result<()> {
        let req = self.kinesis.delete_stream().stream_name(name);
        self.answered(write("kinesis", "DeleteStream"), req.send().await)
            .hint_on("ResourceInUseException", || {
                "the stream has registered consumers (enhanced fan-out) or is changing: deregister them (aws kinesis list-stream-consumers) or wait, then run teardown again".into()
            })
            .or_missing(&["ResourceNotFoundException"])?;
        Ok(())
    }
}

fn stream_mode(mode: StreamMode) -> Result<StreamModeDetails> {
    built(StreamModeDetails::builder().stream_mode(mode).build())
}

impl crate::parts::Remove<Aws> for crate::parts::stream::StreamRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        let crate::parts::stream::StreamRemoval::DeleteStream { stream, .. } = self;
        aws.delete_stream(stream).await
    }
}
