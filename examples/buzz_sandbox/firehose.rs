//! Amazon Data Firehose's delivery, played for the local stack (`--play-firehose`). The
//! emulator (moto) stores a delivery stream's configuration and answers
//! DescribeDeliveryStream with it, but moves no record from a Kinesis source into S3. So the
//! sandbox does, from the configuration it reads back, never from a copy of the tool's values:
//! a mistake in what setup writes shows up as objects in the wrong place (or none), as it
//! would on AWS.
//!
//! Every `--firehose-flush-ms` (real Firehose buffers up to the configured BufferingHints,
//! 60 s or 64 MiB for the archive; tests cannot wait that long) it lists the delivery streams,
//! and for each one reading a Kinesis stream into an ExtendedS3 destination:
//!
//! 1. reads the stream's new records (ListShards, GetShardIterator AT_TIMESTAMP of the delivery
//!    stream's creation once, as Firehose starts at LATEST when it is made; then
//!    NextShardIterator, so each record is delivered once per sandbox);
//! 2. runs the configured processors in their configured order: RecordDeAggregation
//!    (`SubRecordType` JSON: concatenated or newline-separated objects), MetadataExtraction
//!    (`MetadataExtractionQuery` run by jaq, a jq implementation, for `JsonParsingEngine`
//!    JQ-1.6), AppendDelimiterToRecord (`Delimiter`, unescaped as Firehose does: `\n`);
//! 3. keys each event into the configured `Prefix` (`!{partitionKeyFromQuery:K}`,
//!    `!{timestamp:FMT}`, `!{firehose:random-string}`); a record that fails de-aggregation or
//!    extraction goes under `ErrorOutputPrefix` with `!{firehose:error-output-type}` =
//!    `processing-failed`, as one JSON line like Firehose's error records (`rawData` base64);
//! 4. writes one object per prefix per flush, GZIP or UNCOMPRESSED as configured, named as
//!    Firehose names them: `<prefix><name>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]`;
//! 5. first plays the delivery role: the destination's RoleARN must allow s3:PutObject on the
//!    object's key (its policies evaluated with [`crate::policy`]); when it does not, nothing is
//!    written (Firehose cannot write anywhere then, not even the error prefix), the failure is
//!    logged and shown in `/sandbox/state`, and the objects are kept and retried.
//!
//! What it does not know it refuses loudly (in the sandbox's log and under `firehose` in
//! `/sandbox/state`) and skips that delivery stream: another processor type or parameter, a
//! Lambda partition key, a non-UTC time zone, format conversion, another compression.
//!
//! The configuration's reading is in `firehose/config.rs`, the records' processing in
//! `firehose/process.rs`; this file is the delivery loop (read, process, write as the role).

mod config;
mod process;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_firehose::types::{DeliveryStreamDescription, DeliveryStreamType};
use serde_json::{json, Map, Value};

use config::Plan;
use process::{process, Object, Record};

use crate::policy::{self, Decision, Request};
use crate::state::App;

/// What the sandbox reports for one delivery stream (`/sandbox/state`'s `firehose`).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Kinesis records read from the source.
    pub records: u64,
    /// Events written under the prefix (after de-aggregation).
    pub events: u64,
    /// Records or events written under the error prefix.
    pub failed: u64,
    /// Keys of the objects written, oldest first.
    pub objects: Vec<String>,
    /// Objects built and not yet written (the role may not write, or S3 refused).
    pub pending: usize,
    /// Why the last delivery did not write, when it did not.
    pub last_error: Option<String>,
    /// Why the configuration is not played, when it is not.
    pub refused: Option<String>,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "records": self.records,
            "events": self.events,
            "failed": self.failed,
            "objects": self.objects,
            "pending": self.pending,
            "lastError": self.last_error,
            "refused": self.refused,
        })
    }
}

/// Where the player is in one shard.
#[derive(Debug, Default)]
struct Position {
    iterator: Option<String>,
    last_sequence: Option<String>,
}

/// What the player keeps for one delivery stream between flushes.
#[derive(Debug, Default)]
struct Feed {
    /// The version whose refusal was logged (a refusal is logged once per version).
    refused_version: Option<String>,
    shards: BTreeMap<String, Position>,
    pending: Vec<Object>,
}

/// The player: its clients and what it remembers.
pub struct Player {
    app: Arc<App>,
    base: aws_config::SdkConfig,
    firehose: aws_sdk_firehose::Client,
    s3: aws_sdk_s3::Client,
    flush: Duration,
    only: Vec<String>,
    feeds: BTreeMap<String, Feed>,
}

fn sdk_message<E>(err: E) -> String
where
    E: aws_sdk_firehose::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => aws_sdk_firehose::error::DisplayErrorContext(&err).to_string(),
    }
}

impl Player {
    /// Clients from the standard chain (`AWS_ENDPOINT_URL`: the emulator). S3 in path style:
    /// moto serves buckets under its own host, not as subdomains.
    pub async fn new(app: Arc<App>, flush: Duration, only: Vec<String>) -> Player {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&base)
            .force_path_style(true)
            .build();
        Player {
            app,
            firehose: aws_sdk_firehose::Client::new(&base),
            s3: aws_sdk_s3::Client::from_conf(s3),
            base,
            flush,
            only,
            feeds: BTreeMap::new(),
        }
    }

    pub async fn run(mut self) {
        loop {
            tokio::time::sleep(self.flush).await;
            if let Err(message) = self.flush_all().await {
                eprintln!("buzz sandbox: firehose: {message}");
            }
        }
    }

    async fn flush_all(&mut self) -> Result<(), String> {
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let page = self
                .firehose
                .list_delivery_streams()
                .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
                .set_exclusive_start_delivery_stream_name(start.take())
                .send()
                .await
                .map_err(sdk_message)?;
            names.extend(page.delivery_stream_names().iter().cloned());
            match (page.has_more_delivery_streams(), names.last()) {
                (true, Some(last)) => start = Some(last.clone()),
                _ => break,
            }
        }
        names.retain(|n| self.only.is_empty() || self.only.contains(n));
        for name in names {
            let description = self
                .firehose
                .describe_delivery_stream()
                .delivery_stream_name(&name)
                .send()
                .await
                .map_err(sdk_message)?;
            let Some(description) = description.delivery_stream_description() else {
                continue;
            };
            // Firehose's documented rules first (firehose_rules.rs): AWS refuses such a stream.
            let plan = crate::firehose_rules::check(description)
                .and_then(|()| Plan::from_description(description));
            match plan {
                Ok(plan) => {
                    // Played (again): a refusal of an earlier version no longer holds.
                    self.report(&name, |r| r.refused = None);
                    if let Err(message) = self.deliver_as_roles(&plan, description).await {
                        eprintln!("buzz sandbox: firehose {name}: {message}");
                        self.report(&name, |r| r.last_error = Some(message.clone()));
                    }
                }
                Err(reason) => {
                    let feed = self.feeds.entry(name.clone()).or_default();
                    let version = description.version_id().to_owned();
                    if feed.refused_version.as_ref() != Some(&version) {
                        eprintln!(
                            "buzz sandbox: firehose {name}: NOT PLAYED, {reason}; the sandbox plays only what it knows Firehose does"
                        );
                        feed.refused_version = Some(version);
                    }
                    self.report(&name, |r| r.refused = Some(reason.clone()));
                }
            }
        }
        Ok(())
    }

    fn report(&self, name: &str, change: impl FnOnce(&mut Report)) {
        let mut inner = self.app.lock();
        change(inner.firehose.entry(name.to_owned()).or_default());
    }

    /// [`Self::deliver`] when AWS would let Firehose's roles read and write (firehose_role.rs);
    /// else the delivery stalls, as on AWS, and a refused write counts as a failed delivery.
    async fn deliver_as_roles(
        &mut self,
        plan: &Plan,
        description: &DeliveryStreamDescription,
    ) -> Result<(), String> {
        use crate::firehose_role::{may_deliver, Stall};
        match may_deliver(&self.app.aws, &self.s3, description).await {
            Ok(()) => self.deliver(plan).await,
            Err(Stall::Read(message)) => Err(message),
            Err(Stall::Write(message)) => {
                self.publish(plan, &[("DeliveryToS3.Success", 0.0)]).await;
                Err(message)
            }
        }
    }

    /// One delivery stream's flush: read, process, write what the role may write.
    async fn deliver(&mut self, plan: &Plan) -> Result<(), String> {
        let records = self.read(plan).await?;
        if !records.is_empty() {
            let objects = process(plan, &records, SystemTime::now())?;
            let feed = self.feeds.entry(plan.name.clone()).or_default();
            feed.pending.extend(objects);
            let count = records.len() as u64;
            self.report(&plan.name, |r| r.records += count);
            self.publish(plan, &[("DataReadFromKinesisStream.Records", count as f64)])
                .await;
        }
        let had = self
            .feeds
            .get(&plan.name)
            .map(|f| f.pending.iter().map(|o| o.events).sum::<u64>())
            .unwrap_or(0);
        let result = self.write(plan).await;
        if had > 0 {
            // Firehose's own delivery metrics, which moto does not publish: what check reads.
            let left: u64 = self
                .feeds
                .get(&plan.name)
                .map(|f| f.pending.iter().map(|o| o.events).sum())
                .unwrap_or(0);
            let flushed = self.flush.as_secs_f64();
            let values = match &result {
                Ok(()) => vec![
                    ("DeliveryToS3.Records", (had - left) as f64),
                    ("DeliveryToS3.Success", 1.0),
                    ("DeliveryToS3.DataFreshness", flushed),
                ],
                Err(_) => vec![("DeliveryToS3.Success", 0.0)],
            };
            self.publish(plan, &values).await;
        }
        result
    }

    /// Firehose's metrics for a delivery stream (namespace `AWS/Firehose`, dimension
    /// `DeliveryStreamName`). A failure is only logged: metrics are not what is played.
    async fn publish(&self, plan: &Plan, values: &[(&str, f64)]) {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.base);
        let dimension = ("DeliveryStreamName", plan.name.as_str());
        let put = crate::aws_check::put_metrics(&cloudwatch, "AWS/Firehose", dimension, values);
        if let Err(e) = put.await {
            eprintln!(
                "buzz sandbox: firehose {}: could not publish metrics: {}",
                plan.name,
                sdk_message(e)
            );
        }
    }

    /// The source's records not read yet, every shard.
    async fn read(&mut self, plan: &Plan) -> Result<Vec<Record>, String> {
        let config = aws_sdk_kinesis::config::Builder::from(&self.base)
            .region(aws_sdk_kinesis::config::Region::new(plan.region.clone()))
            .build();
        let kinesis = aws_sdk_kinesis::Client::from_conf(config);
        let shards = kinesis
            .list_shards()
            .stream_name(&plan.stream)
            .send()
            .await
            .map_err(|e| format!("ListShards on {}: {}", plan.stream, sdk_message(e)))?;
        let feed = self.feeds.entry(plan.name.clone()).or_default();
        let mut records = Vec::new();
        for shard in shards.shards() {
            let id = shard.shard_id().to_owned();
            let position = feed.shards.entry(id.clone()).or_default();
            let mut iterator = match position.iterator.take() {
                Some(it) => it,
                None => {
                    use aws_sdk_kinesis::types::ShardIteratorType;
                    let request = kinesis
                        .get_shard_iterator()
                        .stream_name(&plan.stream)
                        .shard_id(&id);
                    // Where a lost iterator left off; else, as Firehose does, from when the
                    // delivery stream was made (records written before it are never read).
                    let request = match (&position.last_sequence, plan.created) {
                        (Some(seq), _) => request
                            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                            .starting_sequence_number(seq),
                        (None, Some(at)) => request
                            .shard_iterator_type(ShardIteratorType::AtTimestamp)
                            .timestamp(at),
                        (None, None) => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                    };
                    let out = request
                        .send()
                        .await
                        .map_err(|e| format!("GetShardIterator on {id}: {}", sdk_message(e)))?;
                    out.shard_iterator().unwrap_or_default().to_owned()
                }
            };
            // A bounded number of pages per flush: moto hands out everything at once.
            for _ in 0..100 {
                let page = match kinesis.get_records().shard_iterator(&iterator).send().await {
                    Ok(page) => page,
                    Err(e) => {
                        // Expired or refused: the next flush starts after the last record.
                        eprintln!(
                            "buzz sandbox: firehose {}: GetRecords on {id}: {}",
                            plan.name,
                            sdk_message(e)
                        );
                        break;
                    }
                };
                for r in page.records() {
                    let arrival_ms = r
                        .approximate_arrival_timestamp()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0);
                    records.push(Record {
                        data: r.data().as_ref().to_vec(),
                        arrival_ms,
                    });
                    position.last_sequence = Some(r.sequence_number().to_owned());
                }
                let empty = page.records().is_empty();
                let caught_up = page.millis_behind_latest() == Some(0);
                match page.next_shard_iterator() {
                    Some(next) => iterator = next.to_owned(),
                    None => break,
                }
                position.iterator = Some(iterator.clone());
                if empty || caught_up {
                    break;
                }
            }
        }
        Ok(records)
    }

    /// The pending objects, oldest first, while the role may write them and S3 takes them.
    async fn write(&mut self, plan: &Plan) -> Result<(), String> {
        let pending = std::mem::take(&mut self.feeds.entry(plan.name.clone()).or_default().pending);
        if pending.is_empty() {
            return Ok(());
        }
        let policies = self.app.aws.role_policies(&plan.role_name).await;
        let mut left = pending.into_iter();
        let mut failure = None;
        for object in left.by_ref() {
            if let Err(message) = self.put(plan, &policies, &object).await {
                failure = Some(message);
                self.feeds
                    .entry(plan.name.clone())
                    .or_default()
                    .pending
                    .push(object);
                break;
            }
            eprintln!(
                "buzz sandbox: firehose {}: wrote s3://{}/{} ({} events, {} failed)",
                plan.name, plan.bucket, object.key, object.events, object.failed
            );
            self.report(&plan.name, |r| {
                r.events += object.events;
                r.failed += object.failed;
                r.objects.push(object.key.clone());
            });
        }
        let feed = self.feeds.entry(plan.name.clone()).or_default();
        feed.pending.extend(left);
        let count = feed.pending.len();
        self.report(&plan.name, |r| {
            r.pending = count;
            if failure.is_none() {
                r.last_error = None;
            }
        });
        match failure {
            Some(message) => Err(format!("{message}; {count} object(s) kept for retry")),
            None => Ok(()),
        }
    }

    async fn put(
        &self,
        plan: &Plan,
        policies: &Result<Vec<Value>, crate::aws_check::Failure>,
        object: &Object,
    ) -> Result<(), String> {
        let documents = policies.as_ref().map_err(|f| {
            format!(
                "cannot read the delivery role {}'s policies: {}: {}",
                plan.role_name, f.code, f.message
            )
        })?;
        let resource = format!("arn:aws:s3:::{}/{}", plan.bucket, object.key);
        let context = [("s3:ResourceAccount", plan.account.as_str())];
        let request = Request {
            action: "s3:PutObject",
            resource: Some(&resource),
            principal: None,
            context: &context,
            required_condition_key: None,
        };
        if policy::evaluate(documents, &request) != Decision::Allow {
            return Err(format!(
                "the delivery role {} may not s3:PutObject on {resource} (AccessDenied)",
                plan.role_name
            ));
        }
        self.s3
            .put_object()
            .bucket(&plan.bucket)
            .key(&object.key)
            .body(aws_sdk_s3::primitives::ByteStream::from(
                object.body.clone(),
            ))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("PutObject {}: {}", object.key, sdk_message(e)))
    }
}

/// `/sandbox/state`'s `firehose`: each delivery stream's report.
pub fn state_json(reports: &BTreeMap<String, Report>) -> Value {
    reports
        .iter()
        .map(|(name, report)| (name.clone(), report.to_json()))
        .collect::<Map<String, Value>>()
        .into()
}
