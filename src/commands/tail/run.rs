//! The `tail` command's loop: validate, start the readers, print what they send, and list
//! the shards again every few seconds and whenever one ends, until the limit, the timeout,
//! a closed output or Ctrl-C.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::printer::{Domains, Printer};
use super::reader::{Batch, Readers};
use super::scheduler::Scheduler;
use crate::aws::kinesis::StartAt;
use crate::aws::Aws;
use crate::calls::CallLog;
use crate::cli::{Output, TailArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::spec::TailSpec;
use crate::ui::Progress;

/// How often the shard list is read again (ListShards allows far more).
const RELIST_EVERY: Duration = Duration::from_secs(5);

/// How a tail ended, for the exit status.
enum End {
    Limit,
    Timeout,
    ClosedOutput,
}

/// The `tail` command.
pub(crate) async fn run(args: &TailArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let spec = TailSpec::from_args(args, &crate::spec::Raw::for_tail(args)?)?;
    let TailSpec {
        stream,
        from,
        from_text,
        types,
        warnings,
        limit,
        timeout,
        expect_domains,
        only_expected,
        aws: aws_spec,
    } = spec;
    let domains = Domains {
        expected: expect_domains
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        only_expected,
    };
    let from_start = from == StartAt::TrimHorizon;
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &warnings {
        progress.warn(w);
    }
    let aws = Aws::connect(
        aws_spec.profile.as_deref(),
        aws_spec.region.as_ref(),
        CallLog::new(),
        None,
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
            from_text
        ),
    );

    let mut printer = Printer::new(
        std::io::BufWriter::new(std::io::stdout()),
        output,
        types,
        domains,
        limit,
    );
    let started = Instant::now();
    let end = pump(&mut readers, &mut rx, &mut printer, timeout).await?;
    match printer.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::io("writing events to stdout", e))
        }
        _ => {}
    }
    // Hidden events are not lines, so a person reading the output would not know of them.
    let hidden = match printer.hidden() {
        0 => String::new(),
        n => format!("; {n} event(s) from other domains hidden by --only-expected"),
    };
    match end {
        End::Limit => {
            if !hidden.is_empty() {
                progress.note(&format!("{} line(s){hidden}", printer.printed()));
            }
            Ok(ExitCode::Ok)
        }
        End::ClosedOutput => Ok(ExitCode::Ok),
        End::Timeout => match limit {
            Some(limit) => Err(Error::Timeout {
                what: format!(
                    "{limit} line(s) from {stream} ({} came{hidden})",
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
                    &format!("stopped after {} s: {} line(s){hidden}", started.elapsed().as_secs(), printer.printed()),
                );
                Ok(ExitCode::Ok)
            }
        },
    }
}

/// Print what the readers send, and list the shards again every few seconds and whenever one
/// ends, until the limit, the timeout or a closed output.
async fn pump<W: Write>(
    readers: &mut Readers,
    rx: &mut mpsc::Receiver<Batch>,
    printer: &mut Printer<W>,
    timeout: Option<u64>,
) -> Result<End> {
    // The spec holds --timeout to its range; checked all the same, so no value can overflow
    // the clock (a deadline beyond it is no deadline).
    let deadline =
        timeout.and_then(|s| tokio::time::Instant::now().checked_add(Duration::from_secs(s)));
    let timed_out = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timed_out);
    let mut relist = tokio::time::interval(RELIST_EVERY);
    relist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    relist.tick().await;

    let end = loop {
        tokio::select! {
            Some(batch) = rx.recv() => {
                match print_batch(printer, &batch) {
                    Ok(false) => {}
                    Ok(true) => break End::Limit,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break End::ClosedOutput,
                    Err(e) => return Err(Error::io("writing events to stdout", e)),
                }
            }
            Some(joined) = readers.tasks.join_next() => {
                let (shard, result) = joined.map_err(|e| Error::Internal(format!(
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
            () = &mut timed_out => break End::Timeout,
        }
    };
    Ok(end)
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
