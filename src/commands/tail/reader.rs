//! Reading shards: one task per shard, within Kinesis's read limits (5 GetRecords a second
//! and 2 MB/s per shard; throttling backs off), and the readers a shard listing starts.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::scheduler::{read_to_end, Scheduler};
use crate::aws::kinesis::StartAt;
use crate::aws::Aws;
use crate::error::{Error, Result};

/// The wait after an empty page: the Kinesis Client Library's default idle time.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// At most 5 GetRecords calls a second per shard.
const MIN_CALL_GAP: Duration = Duration::from_millis(200);
/// At most 2 MB/s of reads per shard.
const READ_BYTES_PER_SECOND: f64 = 2.0 * 1024.0 * 1024.0;
/// The longest [`throttle_delay`].
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(10);

/// The wait before calling a shard again: at most 5 calls a second, 2 MB/s of data, and the
/// idle wait after an empty page.
pub(super) fn pace(records: usize, bytes: usize) -> Duration {
    if records == 0 {
        return IDLE_WAIT;
    }
    MIN_CALL_GAP.max(Duration::from_secs_f64(
        bytes as f64 / READ_BYTES_PER_SECOND,
    ))
}

/// The wait after the `attempt`-th throttling error in a row (0-based): 500 ms doubling to
/// 10 s, plus `jitter_ms` so that many shards do not retry in step.
pub(super) fn throttle_delay(attempt: u32, jitter_ms: u64) -> Duration {
    let exp = Duration::from_millis(500).saturating_mul(2u32.saturating_pow(attempt.min(16)));
    exp.min(MAX_THROTTLE_WAIT) + Duration::from_millis(jitter_ms)
}

/// Errors that mean "read more slowly", not "stop".
fn is_throttle(e: &Error) -> bool {
    matches!(
        e.code(),
        Some(
            "ProvisionedThroughputExceededException"
                | "KMSThrottlingException"
                | "LimitExceededException"
        )
    )
}

/// Records from one GetRecords page of one shard.
pub(super) struct Batch {
    pub(super) shard: String,
    pub(super) records: Vec<Vec<u8>>,
}

/// An iterator, retrying throttling (GetShardIterator allows 5 calls a second per shard).
async fn iterator(aws: &Aws, stream: &str, shard: &str, start: &StartAt) -> Result<String> {
    let mut attempt = 0;
    loop {
        match aws.shard_iterator(stream, shard, start.clone()).await {
            Err(e) if is_throttle(&e) => {
                tokio::time::sleep(throttle_delay(attempt, fastrand::u64(0..250))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Read one shard until its end (a closed shard) or until the receiver goes away. `ending`
/// carries the shard's last sequence number once a listing shows it closed.
async fn read_shard(
    aws: Aws,
    stream: String,
    shard: String,
    start: StartAt,
    ending: watch::Receiver<Option<String>>,
    tx: mpsc::Sender<Batch>,
) -> Result<()> {
    let mut it = iterator(&aws, &stream, &shard, &start).await?;
    let mut last: Option<String> = None;
    let mut throttled = 0;
    loop {
        let page = match aws.get_records(&it).await {
            Ok(p) => p,
            Err(e) if is_throttle(&e) => {
                tracing::info!(shard, "read throttled; backing off");
                tokio::time::sleep(throttle_delay(throttled, fastrand::u64(0..250))).await;
                throttled += 1;
                continue;
            }
            Err(e) if e.code() == Some("ExpiredIteratorException") => {
                // Iterators live five minutes; resume right after the last record seen.
                let resume = last.clone().map_or(start.clone(), StartAt::AfterSequence);
                it = iterator(&aws, &stream, &shard, &resume).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        throttled = 0;
        let (count, bytes) = (page.records.len(), page.bytes);
        if page.last_sequence.is_some() {
            last = page.last_sequence;
        }
        if count > 0
            && tx
                .send(Batch {
                    shard: shard.clone(),
                    records: page.records,
                })
                .await
                .is_err()
        {
            return Ok(());
        }
        let Some(next) = page.next else {
            return Ok(());
        };
        if count == 0 && read_to_end(ending.borrow().as_deref(), last.as_deref()) {
            return Ok(());
        }
        it = next;
        tokio::time::sleep(pace(count, bytes)).await;
    }
}

/// The readers of a stream's shards, and the scheduler that starts them.
pub(super) struct Readers {
    pub(super) aws: Aws,
    pub(super) stream: String,
    pub(super) scheduler: Scheduler,
    pub(super) tasks: JoinSet<(String, Result<()>)>,
    pub(super) endings: HashMap<String, watch::Sender<Option<String>>>,
    pub(super) tx: mpsc::Sender<Batch>,
}

impl Readers {
    /// Read the shard list, tell readers of shards now closed where they end, and start the
    /// shards that are ready. A throttled listing is skipped: the readers go on, and the next
    /// refresh lists again.
    pub(super) async fn refresh(&mut self) -> Result<()> {
        let listing = match self.aws.shards(&self.stream).await {
            Ok(l) => l,
            Err(e) if is_throttle(&e) => {
                tracing::info!("listing shards throttled; trying again later");
                return Ok(());
            }
            Err(e) => return Err(e.with_hint(
                "check --stream and --region: the stream must exist in this account and region (`buzz-kinesis setup` creates it)",
            )),
        };
        for s in &listing {
            if let (Some(end), Some(tx)) = (&s.ending_sequence, self.endings.get(&s.id)) {
                tx.send_replace(Some(end.clone()));
            }
        }
        for (s, start) in self.scheduler.update(&listing) {
            let (end_tx, end_rx) = watch::channel(s.ending_sequence.clone());
            self.endings.insert(s.id.clone(), end_tx);
            let (aws, stream, tx, id) = (
                self.aws.clone(),
                self.stream.clone(),
                self.tx.clone(),
                s.id.clone(),
            );
            tracing::info!(shard = %id, from = %describe_start(&start), "reading shard");
            self.tasks.spawn(async move {
                let res = read_shard(aws, stream, id.clone(), start, end_rx, tx).await;
                (id, res)
            });
        }
        Ok(())
    }
}

/// Where a shard is read from, for the log.
fn describe_start(start: &StartAt) -> String {
    match start {
        StartAt::Latest => "latest".into(),
        StartAt::TrimHorizon => "trim-horizon".into(),
        StartAt::Timestamp(t) => aws_smithy_types::DateTime::from(*t)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_else(|_| "a time".into()),
        StartAt::AfterSequence(n) => format!("after sequence number {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_paced_within_kinesis_limits() {
        assert_eq!(pace(0, 0), IDLE_WAIT);
        assert_eq!(pace(3, 100), MIN_CALL_GAP);
        // 4 MiB at 2 MiB/s: two seconds before the next call.
        assert_eq!(pace(10, 4 * 1024 * 1024), Duration::from_secs(2));
        assert_eq!(throttle_delay(0, 0), Duration::from_millis(500));
        assert_eq!(throttle_delay(2, 7), Duration::from_millis(2007));
        assert_eq!(throttle_delay(30, 0), MAX_THROTTLE_WAIT);
    }
}
