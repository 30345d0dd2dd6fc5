//! `buzz-kinesis tail`: print the events arriving in the stream, like `tail -f`. Every shard
//! is read by a task of its own, within Kinesis's read limits (5 GetRecords a second and
//! 2 MB/s per shard; throttling backs off). The shard list is read again every few seconds and
//! whenever a shard ends, so shards made by a reshard or by on-demand scaling are followed:
//! a child shard is read once its parents are done, which keeps each key's order. Each record
//! is decoded as Buzz's envelope (newline-separated JSON objects); anything else is shown raw,
//! never dropped.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::aws::kinesis::{ShardInfo, StartAt};
use crate::aws::Aws;
use crate::buzz::wire::KNOWN_EVENT_TYPES;
use crate::calls::CallLog;
use crate::cli::{Output, TailArgs};
use crate::error::{Error, Result};
use crate::events::{self, Item};
use crate::names::{Region, StreamName};
use crate::spec::DEFAULT_STREAM;
use crate::ui::Progress;
use crate::ExitCode;

/// How often the shard list is read again (ListShards allows far more).
const RELIST_EVERY: Duration = Duration::from_secs(5);
/// The wait after an empty page: the Kinesis Client Library's default idle time.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// At most 5 GetRecords calls a second per shard.
const MIN_CALL_GAP: Duration = Duration::from_millis(200);
/// At most 2 MB/s of reads per shard.
const READ_BYTES_PER_SECOND: f64 = 2.0 * 1024.0 * 1024.0;
/// The longest [`throttle_delay`].
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(10);
/// Columns of the human output: the longest known event type.
const TYPE_WIDTH: usize = 31;
/// The longest `data` summary in the human output, in characters.
const SUMMARY_WIDTH: usize = 80;

/// Where `--from` starts, parsed: `latest`, `trim-horizon`, or an RFC 3339 time.
pub fn parse_from(s: &str) -> Result<StartAt> {
    match s.trim().to_ascii_lowercase().as_str() {
        "latest" => Ok(StartAt::Latest),
        "trim-horizon" | "trim_horizon" => Ok(StartAt::TrimHorizon),
        _ => aws_smithy_types::DateTime::from_str(
            s.trim(),
            aws_smithy_types::date_time::Format::DateTimeWithOffset,
        )
        .ok()
        .and_then(|t| SystemTime::try_from(t).ok())
        .map(StartAt::Timestamp)
        .ok_or_else(|| {
            Error::invalid(
                "--from",
                s,
                "--from is latest, trim-horizon, or an RFC 3339 time such as 2024-05-01T08:00:00Z",
            )
        }),
    }
}

/// `--event` values: event types (letters only), with warnings for names Agilix does not list.
fn parse_types(given: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let mut types = Vec::new();
    let mut warnings = Vec::new();
    for t in given {
        let t = t.trim();
        if t.is_empty() || t.len() > 128 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::invalid(
                "--event",
                t,
                "tail filters by event type: letters only, e.g. UserEntityCreated",
            ));
        }
        if !KNOWN_EVENT_TYPES.contains(&t) {
            warnings.push(format!(
                "event type '{t}' is not in Agilix's published list (check the spelling)"
            ));
        }
        types.push(t.to_owned());
    }
    Ok((types, warnings))
}

/// The wait before calling a shard again: at most 5 calls a second, 2 MB/s of data, and the
/// idle wait after an empty page.
pub fn pace(records: usize, bytes: usize) -> Duration {
    if records == 0 {
        return IDLE_WAIT;
    }
    MIN_CALL_GAP.max(Duration::from_secs_f64(
        bytes as f64 / READ_BYTES_PER_SECOND,
    ))
}

/// The wait after the `attempt`-th throttling error in a row (0-based): 500 ms doubling to
/// 10 s, plus `jitter_ms` so that many shards do not retry in step.
pub fn throttle_delay(attempt: u32, jitter_ms: u64) -> Duration {
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

/// `a >= b` for Kinesis sequence numbers (decimal strings too long for any integer type).
fn sequence_ge(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    (a.len(), a) >= (b.len(), b)
}

/// Whether a closed shard has been read to its end. Kinesis says so with no next iterator;
/// some emulators never do, so reaching the shard's last sequence number counts too.
fn read_to_end(ending: Option<&str>, last_read: Option<&str>) -> bool {
    ending.is_some_and(|end| sequence_ge(last_read.unwrap_or("0"), end))
}

// ---------------------------------------------------------------------------------------------
// Which shards to read, and from where (pure)

#[derive(Debug, Clone, PartialEq)]
enum ShardState {
    /// Known, to be read from here once its parents are done.
    Waiting(StartAt),
    Reading,
    Done,
}

/// Decides which shards to read as listings come in: every shard once, a child only after
/// its parents (when they are still listed), and from where.
#[derive(Debug)]
pub struct Scheduler {
    from: StartAt,
    first: bool,
    shards: HashMap<String, ShardState>,
}

impl Scheduler {
    /// A scheduler whose first listing starts at `from`.
    pub fn new(from: StartAt) -> Self {
        Self {
            from,
            first: true,
            shards: HashMap::new(),
        }
    }

    /// Take a listing; returns the shards to start reading now, with their start.
    pub fn update(&mut self, listing: &[ShardInfo]) -> Vec<(ShardInfo, StartAt)> {
        for s in listing {
            if self.shards.contains_key(&s.id) {
                continue;
            }
            let state = if !self.first {
                // A shard that appeared while we read holds nothing we have seen: all of it.
                ShardState::Waiting(StartAt::TrimHorizon)
            } else if self.from == StartAt::Latest && s.ending_sequence.is_some() {
                // Closed before we started: nothing will ever be written there again.
                ShardState::Done
            } else {
                ShardState::Waiting(self.from.clone())
            };
            self.shards.insert(s.id.clone(), state);
        }
        self.first = false;
        let listed: HashMap<&str, &ShardInfo> =
            listing.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut start = Vec::new();
        for s in listing {
            let Some(ShardState::Waiting(from)) = self.shards.get(&s.id).cloned() else {
                continue;
            };
            // A parent no longer listed has expired: nothing to wait for.
            let parents_done = s.parents.iter().all(|p| {
                !listed.contains_key(p.as_str())
                    || matches!(self.shards.get(p), Some(ShardState::Done))
            });
            if parents_done {
                self.shards.insert(s.id.clone(), ShardState::Reading);
                start.push((s.clone(), from));
            }
        }
        start
    }

    /// A shard was read to its end.
    pub fn finished(&mut self, id: &str) {
        self.shards.insert(id.to_owned(), ShardState::Done);
    }

    /// How many shards are being read.
    pub fn reading(&self) -> usize {
        self.shards
            .values()
            .filter(|s| **s == ShardState::Reading)
            .count()
    }
}

// ---------------------------------------------------------------------------------------------
// Printing (pure but for the writer)

/// A short, one-line view of an event's `data`: `key=value` for its members, nested values
/// abbreviated, cut at [`SUMMARY_WIDTH`] characters.
pub fn summarize(data: Option<&Value>) -> String {
    let scalar = |v: &Value| match v {
        Value::String(s)
            if !s.is_empty()
                && !s.contains(|c: char| c.is_whitespace() || c == '"' || c == '=') =>
        {
            s.clone()
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(_) => "{…}".into(),
        Value::Array(a) => format!("[{}]", a.len()),
        other => other.to_string(),
    };
    let text = match data {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(v) => scalar(v),
    };
    if text.chars().count() > SUMMARY_WIDTH {
        let cut: String = text.chars().take(SUMMARY_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// One event as a line for a person: time, type, domainId, guid, a summary of `data`.
pub fn human_line(e: &Value) -> String {
    let text = |k: &str| match e.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    };
    let line = format!(
        "{}  {:<TYPE_WIDTH$}  {}  {}  {}",
        text("time"),
        text("type"),
        text("domainId"),
        text("guid"),
        summarize(e.get("data"))
    );
    line.trim_end().to_owned()
}

/// Writes what the stream holds: filtered by type, counted against `--limit`.
pub struct Printer<W: Write> {
    out: W,
    json: bool,
    types: Vec<String>,
    limit: Option<u64>,
    printed: u64,
}

impl<W: Write> Printer<W> {
    /// Print to `out`, as `output` says, only events of `types` (all when empty), until
    /// `limit` lines.
    pub fn new(out: W, output: Output, types: Vec<String>, limit: Option<u64>) -> Self {
        Self {
            out,
            json: output == Output::Json,
            types,
            limit,
            printed: 0,
        }
    }

    /// Lines printed so far.
    pub fn printed(&self) -> u64 {
        self.printed
    }

    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.printed >= l)
    }

    /// Print a record's events (and anything else in it, raw). `Ok(true)` once the limit is
    /// reached.
    pub fn record(&mut self, shard: &str, data: &[u8]) -> std::io::Result<bool> {
        for (text, item) in events::decode_lines(data) {
            if self.full() {
                break;
            }
            match item {
                Item::Event(e) => {
                    if !self.types.is_empty()
                        && !self.types.iter().any(|t| t == events::event_type(&e))
                    {
                        continue;
                    }
                    if self.json {
                        // The event as Buzz wrote it, not re-serialized.
                        writeln!(self.out, "{text}")?;
                    } else {
                        writeln!(self.out, "{}", crate::text::escape_control(&human_line(&e)))?;
                    }
                }
                // Shown whatever the filter: a record that is not an event cannot be judged by
                // type, and dropping it would hide a producer's mistake.
                Item::Raw(raw) => {
                    if self.json {
                        writeln!(self.out, "{}", json!({"raw": raw, "shard": shard}))?;
                    } else {
                        writeln!(self.out, "raw  {}", crate::text::escape_control(&raw))?;
                    }
                }
            }
            self.printed += 1;
        }
        Ok(self.full())
    }

    /// Flush the writer (stdout is buffered between pages).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Records from one GetRecords page of one shard.
struct Batch {
    shard: String,
    records: Vec<Vec<u8>>,
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
struct Readers {
    aws: Aws,
    stream: String,
    scheduler: Scheduler,
    tasks: JoinSet<(String, Result<()>)>,
    endings: HashMap<String, watch::Sender<Option<String>>>,
    tx: mpsc::Sender<Batch>,
}

impl Readers {
    /// Read the shard list, tell readers of shards now closed where they end, and start the
    /// shards that are ready. A throttled listing is skipped: the readers go on, and the next
    /// refresh lists again.
    async fn refresh(&mut self) -> Result<()> {
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

/// How a tail ended, for the exit status.
enum End {
    Limit,
    Timeout,
    ClosedOutput,
}

/// The `tail` command.
pub async fn run(args: &TailArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let stream = StreamName::parse("--stream", args.stream.as_deref().unwrap_or(DEFAULT_STREAM))?;
    let from = parse_from(&args.from)?;
    let from_start = from == StartAt::TrimHorizon;
    let (types, warnings) = parse_types(&args.events)?;
    let region = args
        .aws
        .region
        .as_deref()
        .map(|r| Region::parse("--region", r))
        .transpose()?;
    if args.limit == Some(0) {
        return Err(Error::invalid(
            "--limit",
            "0",
            "--limit is a whole number of lines, at least 1",
        ));
    }
    if args.timeout == Some(0) {
        return Err(Error::invalid(
            "--timeout",
            "0",
            "--timeout is a whole number of seconds, at least 1",
        ));
    }
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &warnings {
        progress.warn(w);
    }
    let aws = Aws::connect(
        args.aws.profile.as_deref(),
        region.as_ref(),
        CallLog::new(),
        false,
    )
    .await?;

    let (tx, mut rx) = mpsc::channel::<Batch>(64);
    let mut readers = Readers {
        aws,
        stream: stream.to_string(),
        scheduler: Scheduler::new(from),
        tasks: JoinSet::new(),
        endings: HashMap::new(),
        tx,
    };
    readers.refresh().await?;
    progress.step(
        "stream",
        &format!(
            "reading {} shard(s) of {stream} from {}; Ctrl-C stops",
            readers.scheduler.reading(),
            args.from.trim()
        ),
    );

    let mut printer = Printer::new(
        std::io::BufWriter::new(std::io::stdout()),
        output,
        types,
        args.limit,
    );
    let started = Instant::now();
    let deadline = args
        .timeout
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let timeout = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timeout);
    let mut relist = tokio::time::interval(RELIST_EVERY);
    relist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    relist.tick().await;

    let end = loop {
        tokio::select! {
            Some(batch) = rx.recv() => {
                match print_batch(&mut printer, &batch) {
                    Ok(false) => {}
                    Ok(true) => break End::Limit,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break End::ClosedOutput,
                    Err(e) => return Err(Error::io("writing events to stdout", e)),
                }
            }
            Some(joined) = readers.tasks.join_next() => {
                let (shard, result) = joined.map_err(|e| Error::Usage(format!(
                    "a shard reader stopped unexpectedly ({e}); run tail again"
                )))?;
                result?;
                tracing::info!(shard, "shard read to its end");
                readers.scheduler.finished(&shard);
                readers.endings.remove(&shard);
                // Its children may be listed already, or appear now.
                readers.refresh().await?;
            }
            _ = relist.tick() => readers.refresh().await?,
            () = &mut timeout => break End::Timeout,
        }
    };
    match printer.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::io("writing events to stdout", e))
        }
        _ => {}
    }
    match end {
        End::Limit | End::ClosedOutput => Ok(ExitCode::Ok),
        End::Timeout => match args.limit {
            Some(limit) => Err(Error::Timeout {
                what: format!(
                    "{limit} line(s) from {stream} ({} came)",
                    printer.printed()
                ),
                seconds: started.elapsed().as_secs(),
                hint: Some(format!(
                    "nothing more arrived in time: check that Buzz sends to this stream (`buzz-kinesis check --probe`){}, or wait longer with a larger --timeout",
                    if from_start { "" } else { ", start from the oldest record with --from trim-horizon" }
                )),
            }),
            None => {
                progress.step(
                    "stream",
                    &format!("stopped after {} s: {} line(s)", started.elapsed().as_secs(), printer.printed()),
                );
                Ok(ExitCode::Ok)
            }
        },
    }
}

fn print_batch<W: Write>(printer: &mut Printer<W>, batch: &Batch) -> std::io::Result<bool> {
    for r in &batch.records {
        if printer.record(&batch.shard, r)? {
            printer.flush()?;
            return Ok(true);
        }
    }
    printer.flush()?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], ending: Option<&str>) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            ending_sequence: ending.map(str::to_owned),
        }
    }

    fn ids(started: &[(ShardInfo, StartAt)]) -> Vec<&str> {
        started.iter().map(|(s, _)| s.id.as_str()).collect()
    }

    #[test]
    fn from_takes_the_three_forms() {
        assert_eq!(parse_from("latest").unwrap(), StartAt::Latest);
        assert_eq!(parse_from("TRIM-HORIZON").unwrap(), StartAt::TrimHorizon);
        let t = parse_from("2024-05-01T08:00:00Z").unwrap();
        let with_offset = parse_from("2024-05-01T10:00:00+02:00").unwrap();
        assert_eq!(t, with_offset);
        assert!(matches!(t, StartAt::Timestamp(_)));
        let e = parse_from("yesterday").unwrap_err().to_string();
        assert!(e.contains("RFC 3339"), "{e}");
    }

    #[test]
    fn event_types_are_letters_and_unknown_ones_warn() {
        let (t, w) = parse_types(&["UserEntityCreated".into(), "MadeUpType".into()]).unwrap();
        assert_eq!(t, ["UserEntityCreated", "MadeUpType"]);
        assert_eq!(w.len(), 1);
        assert!(parse_types(&["User:prop".into()]).is_err());
    }

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

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_ge("10", "9"));
        assert!(!sequence_ge("9", "10"));
        assert!(sequence_ge("0049", "49"));
        assert!(read_to_end(Some("0"), None));
        assert!(!read_to_end(Some("5"), Some("4")));
        assert!(!read_to_end(None, Some("4")));
    }

    #[test]
    fn latest_skips_closed_shards_and_children_wait_for_parents() {
        let mut s = Scheduler::new(StartAt::Latest);
        let listing = [
            shard("p", &[], Some("100")),
            shard("a", &["p"], None),
            shard("b", &["p"], None),
        ];
        let started = s.update(&listing);
        assert_eq!(ids(&started), ["a", "b"], "the closed parent is skipped");
        assert!(started.iter().all(|(_, at)| *at == StartAt::Latest));

        let mut s = Scheduler::new(StartAt::TrimHorizon);
        assert_eq!(
            ids(&s.update(&listing)),
            ["p"],
            "children wait for the parent"
        );
        assert!(s.update(&listing).is_empty(), "nothing twice");
        s.finished("p");
        let next = s.update(&listing);
        assert_eq!(ids(&next), ["a", "b"]);
        assert!(next.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
    }

    #[test]
    fn shards_that_appear_later_are_read_from_their_start() {
        let mut s = Scheduler::new(StartAt::Latest);
        assert_eq!(ids(&s.update(&[shard("0", &[], None)])), ["0"]);
        // A split: the parent is still being read, so the children wait.
        let split = [
            shard("0", &[], Some("7")),
            shard("1", &["0"], None),
            shard("2", &["0"], None),
        ];
        assert!(s.update(&split).is_empty());
        s.finished("0");
        let started = s.update(&split);
        assert_eq!(ids(&started), ["1", "2"]);
        assert!(started.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
        // A merge: it waits for the parent still read, not for one expired from the listing.
        let merged = [
            shard("0", &[], Some("7")),
            shard("1", &["0"], Some("9")),
            shard("2", &["0"], None),
            shard("3", &["1", "gone"], None),
        ];
        assert!(s.update(&merged).is_empty(), "parent 1 is still being read");
        s.finished("1");
        assert_eq!(ids(&s.update(&merged)), ["3"]);
    }

    #[test]
    fn summaries_are_short_and_flat() {
        assert_eq!(summarize(None), "");
        let d = json!({"title": "Kinesis: s", "n": 3, "ok": true, "cfg": {"a": 1}, "list": [1, 2], "e": {}});
        assert_eq!(
            summarize(Some(&d)),
            "title=\"Kinesis: s\" n=3 ok=true cfg={…} list=[2] e={}"
        );
        let long = json!({"text": "x".repeat(200)});
        assert_eq!(summarize(Some(&long)).chars().count(), SUMMARY_WIDTH);
    }

    #[test]
    fn printer_filters_counts_and_shows_raw_records() {
        let rec = b"{\"time\":\"t1\",\"guid\":\"g1\",\"domainId\":\"42\",\"type\":\"A\",\"data\":{\"x\":1}}\n{\"type\":\"B\",\"guid\":\"g2\"}";
        let mut out = Vec::new();
        let mut p = Printer::new(&mut out, Output::Human, vec!["A".into()], None);
        assert!(!p.record("s0", rec).unwrap());
        assert!(!p.record("s0", b"not json").unwrap());
        assert_eq!(p.printed(), 2);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!("t1  {:<31}  42  g1  x=1\nraw  not json\n", "A")
        );

        let mut out = Vec::new();
        let mut p = Printer::new(&mut out, Output::Json, vec![], Some(2));
        assert!(p.record("s1", rec).unwrap(), "the limit is reached");
        assert!(p.record("s1", b"more").unwrap());
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            std::str::from_utf8(&rec[..rec.iter().position(|b| *b == b'\n').unwrap()]).unwrap()
        );

        let mut out = Vec::new();
        Printer::new(&mut out, Output::Json, vec![], None)
            .record("s2", b"plain \"text\"")
            .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, json!({"raw": "plain \"text\"", "shard": "s2"}));
    }
}
