//! The AWS half's chains: the stream's and the role's actions, each applied in order, and
//! the one "re-plan once on a race" loop they share (the add-ons' changes are applied by
//! their adapters: `parts::add_on`). Each change is made by its adapter (`parts::Apply`, in
//! `aws/`): this file only schedules, waits and tells the person.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use super::refused;
use crate::aws::Created;
use crate::commands::read::Ready;
use crate::error::{Error, Result};
use crate::parts::Change as _;
use crate::parts::{Apply, AwsCx};
use crate::plan::{self, DesiredAws, Plan, RoleAction, StreamAction};
use crate::state::StreamStatus;
use crate::ui::Progress;

/// Apply `planned` in order. When an action meets its resource made meanwhile (a create
/// answered [`Created::AlreadyExisted`]: someone made it between our read and our create),
/// read it again and plan anew (`replan`), once: meeting it a second time means something else
/// keeps making it, and the run stops (`raced`). Written once for every part whose create can
/// race: the stream, the role (and open to the archive's parts).
pub(super) async fn replan_once<A, F, Fut, R, RFut>(
    planned: Vec<A>,
    mut apply: F,
    mut replan: R,
    raced: impl FnOnce() -> Error,
) -> Result<()>
where
    F: FnMut(A) -> Fut,
    Fut: Future<Output = Result<Created>>,
    R: FnMut() -> RFut,
    RFut: Future<Output = Result<Vec<A>>>,
{
    let mut actions = planned;
    let mut replanned = false;
    loop {
        let mut met = false;
        for action in std::mem::take(&mut actions) {
            if apply(action).await? == Created::AlreadyExisted {
                met = true;
                break;
            }
        }
        if !met {
            return Ok(());
        }
        let next = replan().await?;
        if replanned {
            return Err(raced());
        }
        actions = next;
        replanned = true;
    }
}

/// The stream's actions in order, each waiting for ACTIVE where the last left it busy. A
/// create that meets a stream made meanwhile is planned anew, once.
pub(super) async fn stream_chain(
    o: &Ready,
    want: &DesiredAws,
    planned: &[StreamAction],
    progress: &Progress,
) -> Result<()> {
    let d = &o.desired;
    let cx = &aws_cx(o);
    // A stream left CREATING or UPDATING by an interrupted run must be ACTIVE before anything
    // else touches it, and before Buzz writes to it.
    let needs_wait = Cell::new(
        o.observed
            .stream
            .as_ref()
            .is_some_and(|s| s.status != StreamStatus::Active),
    );
    let busy = &needs_wait;
    let apply = move |action: StreamAction| async move {
        if busy.get() {
            wait_active(o, progress).await?;
        }
        progress.step("stream", &action.describe());
        let made = action.apply(&o.aws, cx).await?;
        // A stream made meanwhile may still be CREATING.
        busy.set(made == Created::AlreadyExisted || action.leaves_stream_busy());
        Ok(made)
    };
    replan_once(
        planned.to_vec(),
        apply,
        || replan_stream(o, want, progress),
        || raced("stream", &d.stream),
    )
    .await?;
    if needs_wait.get() {
        wait_active(o, progress).await?;
    }
    Ok(())
}

/// The role's actions in order. A create that meets a role made meanwhile (perhaps by someone
/// else: it may not be ours) is planned anew, once.
pub(super) async fn role_chain(
    o: &Ready,
    want: &DesiredAws,
    planned: &[RoleAction],
    progress: &Progress,
) -> Result<()> {
    let role = &o.desired.role;
    let cx = &aws_cx(o);
    let apply = |action: RoleAction| async move {
        progress.step("role", &action.describe());
        action.apply(&o.aws, cx).await
    };
    replan_once(
        planned.to_vec(),
        apply,
        || replan_role(o, want, progress),
        || raced("role", role),
    )
    .await
}

/// What the stream's and the role's changes are applied with.
fn aws_cx(o: &Ready) -> AwsCx<'_> {
    let d = &o.desired;
    AwsCx {
        stream: &d.stream,
        stream_arn: &d.stream_arn,
        role: &d.role,
    }
}

/// A create met a stream made meanwhile: read it again and plan it as an existing stream.
async fn replan_stream(
    o: &Ready,
    want: &DesiredAws,
    progress: &Progress,
) -> Result<Vec<StreamAction>> {
    let name = &o.desired.stream;
    progress.step(
        "stream",
        &format!("the stream {name} appeared while setup ran: reading it again and planning anew"),
    );
    let fresh = o.aws.describe_stream(name).await?;
    let again = plan::replan_stream(name, &want.stream, fresh.as_ref()).map_err(refused)?;
    noted(&again, progress);
    Ok(again.stream)
}

/// A create met a role made meanwhile, perhaps by someone else: read it (and, for `--adopt`,
/// every policy on it) and plan it as a role found at the start, so someone else's role gets
/// our trust and policy only through `--adopt` and its checks.
async fn replan_role(o: &Ready, want: &DesiredAws, progress: &Progress) -> Result<Vec<RoleAction>> {
    let name = &o.desired.role;
    progress.step(
        "role",
        &format!("the role {name} appeared while setup ran: reading it again and planning anew"),
    );
    let fresh = o.aws.get_role(name).await?;
    let grants = o
        .aws
        .adopted_grants(name, fresh.as_ref(), want.role.adopt)
        .await?;
    let again =
        plan::replan_role(name, &want.role, fresh.as_ref(), grants.as_ref()).map_err(refused)?;
    noted(&again, progress);
    Ok(again.role)
}

/// A re-plan's notes, as progress.
fn noted(p: &Plan, progress: &Progress) {
    for n in &p.notes {
        progress.note(&format!("{}: {}", n.resource, n.message));
    }
}

/// A create that met the resource twice: something else keeps making and removing it.
fn raced(what: &str, name: &str) -> Error {
    Error::Refused(format!(
        "the {what} {name} was created by someone else while setup ran, twice; find out who also manages it, then run setup again"
    ))
}

async fn wait_active(o: &Ready, progress: &Progress) -> Result<()> {
    progress.step("stream", "waiting for the stream to become ACTIVE");
    let on_poll = |elapsed: Duration| progress.waiting("stream", "waiting for ACTIVE", elapsed);
    o.aws
        .wait_stream_active(&o.desired.stream, &on_poll)
        .await?;
    progress.done_waiting();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// What a run of [`replan_once`] did: each action applied, in order, and how many times it
    /// planned anew. `met` names the actions whose create meets the resource made meanwhile.
    async fn run(
        planned: &[&'static str],
        met: &[&'static str],
        replans: &[&[&'static str]],
    ) -> (Result<()>, Vec<&'static str>, usize) {
        let applied = RefCell::new(Vec::new());
        let replanned = RefCell::new(0);
        let outcome = replan_once(
            planned.to_vec(),
            |a| {
                applied.borrow_mut().push(a);
                let made = if met.contains(&a) {
                    Created::AlreadyExisted
                } else {
                    Created::Made
                };
                async move { Ok(made) }
            },
            || {
                let n = *replanned.borrow();
                *replanned.borrow_mut() += 1;
                let next = replans.get(n).copied().unwrap_or_default().to_vec();
                async move { Ok(next) }
            },
            || Error::Refused("raced".into()),
        )
        .await;
        (outcome, applied.into_inner(), replanned.into_inner())
    }

    #[tokio::test]
    async fn without_a_race_every_action_is_applied_in_order_and_nothing_is_read_again() {
        let (outcome, applied, replanned) = run(&["create", "tag"], &[], &[]).await;
        assert!(outcome.is_ok());
        assert_eq!(applied, ["create", "tag"]);
        assert_eq!(replanned, 0);
    }

    #[tokio::test]
    async fn a_create_that_meets_one_made_meanwhile_stops_the_plan_and_its_new_plan_is_applied() {
        let (outcome, applied, replanned) =
            run(&["create", "tag"], &["create"], &[&["update_trust"]]).await;
        assert!(outcome.is_ok());
        // The old plan's later actions were for a resource that did not exist: not applied.
        assert_eq!(applied, ["create", "update_trust"]);
        assert_eq!(replanned, 1);
    }

    #[tokio::test]
    async fn meeting_it_a_second_time_stops_the_run_as_raced() {
        let (outcome, applied, replanned) =
            run(&["create"], &["create", "again"], &[&["again", "tag"], &[]]).await;
        assert!(matches!(outcome, Err(Error::Refused(m)) if m == "raced"));
        assert_eq!(applied, ["create", "again"]);
        // It reads again before it gives up: what it finds may refuse the run with a plainer
        // reason (a role someone else made).
        assert_eq!(replanned, 2);
    }

    #[tokio::test]
    async fn a_new_plan_with_nothing_to_do_ends_the_run() {
        let (outcome, applied, replanned) = run(&["create", "tag"], &["create"], &[&[]]).await;
        assert!(outcome.is_ok());
        assert_eq!(applied, ["create"]);
        assert_eq!(replanned, 1);
    }
}
