//! The archive's part of setup (`--archive-bucket`): the bucket, Firehose's role and the Glue
//! table at once, then the delivery stream, which needs all three and an ACTIVE stream. It runs
//! beside the stream and role chains and before Buzz's (see `apply` in setup), so Firehose's
//! wait for its new role to propagate covers the Buzz role's: a fresh setup waits for IAM once.
//! Each change is made by its part's adapter (`parts::Apply`, in `aws/`): this file only
//! schedules, by each part's chain (`parts::ArchivePart::CHAIN`).

use std::time::{Duration, SystemTime};

use crate::commands::read::Ready;
use crate::error::{Error, Result};
use crate::parts::ApplyCx;
use crate::parts::Change as _;
use crate::plan::ArchiveAction;
use crate::ui::Progress;

/// The chain that runs once every other is done: the delivery stream names them all.
const LAST: &str = "delivery";

/// Carry out the archive's actions, each part's chain at once, then the delivery stream.
/// `propagation_timeout`: how long Firehose may be refused the role it was just given (IAM
/// propagation).
pub(super) async fn apply(
    o: &Ready,
    planned: &[ArchiveAction],
    progress: &Progress,
    propagation_timeout: Duration,
) -> Result<()> {
    let Some(want) = o.desired.aws.as_ref().and_then(|a| a.archive.as_ref()) else {
        return Ok(());
    };
    let found = o.observed.archive.as_ref();
    let table = want.table_over(found.and_then(|a| a.glue.table.as_ref()));
    // A role made (or changed) now, or moments ago, may not be usable by Firehose yet.
    let role_fresh = planned.iter().any(|a| matches!(a, ArchiveAction::Role(_)))
        || found
            .and_then(|a| a.role.as_ref())
            .is_none_or(|r| r.age(SystemTime::now()) < propagation_timeout);
    let waiting = |what: &str, elapsed: Duration| progress.waiting("archive", what, elapsed);
    let done_waiting = || progress.done_waiting();
    let cx = ApplyCx {
        model: &want.model,
        stream: o.desired.stream.as_str(),
        stream_arn: &want.stream_arn,
        role_arn: &want.role_arn,
        account: &want.account,
        table: &table,
        iam_wait: if role_fresh {
            propagation_timeout
        } else {
            Duration::ZERO
        },
        waiting: &waiting,
        done_waiting: &done_waiting,
    };
    let chain = |name: &str| {
        let actions: Vec<&ArchiveAction> = planned.iter().filter(|a| a.chain() == name).collect();
        let cx = &cx;
        async move {
            for action in actions {
                progress.step("archive", &action.describe());
                action.apply(&o.aws, cx).await?;
            }
            Ok::<_, Error>(())
        }
    };
    let mut chains: Vec<&str> = Vec::new();
    for c in planned.iter().map(ArchiveAction::chain) {
        if c != LAST && !chains.contains(&c) {
            chains.push(c);
        }
    }
    let runs = chains.into_iter().map(chain).collect();
    crate::fanout::bounded(runs, usize::MAX)
        .await
        .into_iter()
        .collect::<Result<Vec<()>>>()?;
    chain(LAST).await
}
