//! The archive (`--archive-bucket`) as one add-on of the AWS half: what the run wants of it,
//! its registered parts planned in turn (`plan_archive`) with its cost, and in the exports its
//! parts' fragments, then the bucket, the table and the queries as outputs.

use serde_json::{json, Value};

use super::add_on::{AddOn, AddOnPlanCx};
use super::delivery::DeliveryAction;
#[cfg(test)]
use super::delivery::DeliveryState;
use super::glue::TableState;
use super::role::{RolePart, RoleRefusal, Widen};
use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{tag_map, ArchiveAction, ArchiveLeft, ArchiveRemoval, ArchiveState, Planned};
use super::{Export, Refusal, TeardownCx, ARCHIVE};
use crate::archive::{self, Archive};
use crate::hcl::{Block, Hcl};

/// The archive as the run wants it, its ARNs resolved.
#[derive(Debug, Clone)]
pub(crate) struct DesiredArchive {
    pub model: Archive,
    pub stream_arn: String,
    /// This account: the bucket must be its (`s3:ResourceAccount`, `ExpectedBucketOwner`).
    pub account: String,
    /// Firehose's role.
    pub role_arn: String,
    pub trust: Value,
    /// Trusts earlier versions wrote on Firehose's role, moved to `trust` unasked.
    pub previous_trusts: Vec<Value>,
    pub policy: Value,
    pub database_arn: String,
    /// `--adopt`: a bucket, role or database of that name that buzz-kinesis did not make may
    /// be used (and tagged as ours).
    pub adopt: bool,
    /// `--archive-views`: make the model's views beside the table.
    pub views: bool,
    /// What the run allows that widens Firehose's role (as the writer role's).
    pub widen: Widen,
}

impl DesiredArchive {
    /// The delivery stream as setup makes it (`super::delivery::desired`).
    #[cfg(test)]
    pub(crate) fn delivery(&self) -> DeliveryState {
        super::delivery::desired(&self.model, &self.stream_arn, &self.role_arn)
    }

    /// The Glue table as setup makes it.
    #[cfg(test)]
    pub(crate) fn table(&self) -> TableState {
        super::glue::table(&self.model)
    }

    /// The table as setup writes it over `have` (`parts::glue::table_over`).
    pub(crate) fn table_over(&self, have: Option<&TableState>) -> TableState {
        super::glue::table_over(&self.model, have)
    }
}

/// What setup's and check's read found of the archive: its parts, and every policy on a
/// Firehose role setup did not make (read for `--adopt`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ArchiveFound {
    pub parts: ArchiveState,
    pub role_grants: Option<crate::iam::Grants>,
}

impl AddOn for Archived {
    type Desired = DesiredArchive;
    type Found = ArchiveFound;
    type Left = ArchiveLeft;
    type Action = ArchiveAction;
    type Removal = ArchiveRemoval;

    /// `archive s3://BUCKET`.
    fn name(&self, want: Option<&DesiredArchive>) -> String {
        want.map_or_else(
            || "archive (none asked for)".into(),
            |a| format!("archive s3://{}", a.model.bucket),
        )
    }

    /// Every part of the archive planned in turn (`plan_archive`), then, when the delivery
    /// stream is to be made, what the archive costs.
    fn plan<E: From<Refusal> + From<RoleRefusal>>(
        &self,
        d: &DesiredArchive,
        _: &AddOnPlanCx<'_>,
        found: &ArchiveFound,
    ) -> Result<Planned<ArchiveAction>, E> {
        let name = d.model.role();
        let cx = super::PlanCx {
            model: &d.model,
            stream_arn: &d.stream_arn,
            role_arn: &d.role_arn,
            account: &d.account,
            adopt: d.adopt,
            views: d.views,
            role: firehose_role(d, &name),
            role_grants: found.role_grants.as_ref(),
        };
        let mut p = super::plan_archive::<E>(&cx, &found.parts)?;
        if p.actions.iter().any(|a| {
            matches!(
                a,
                ArchiveAction::Delivery(DeliveryAction::CreateDeliveryStream { .. })
            )
        }) {
            p.notes.push(COST_NOTE.into());
        }
        Ok(p)
    }

    /// What setup made (tagged) goes, the bucket and its objects stay (unless
    /// `--delete-archive`, and only a bucket setup made), in `teardown_archive`'s order:
    /// Firehose first, then its role and its log; the bucket after them (nothing writes to it
    /// by then, and no delivery stream is left naming a bucket that is gone: S3 names are
    /// global, whoever made that name next would receive the events) and before the table (its
    /// location is how a run interrupted here finds the bucket again); the database with the
    /// table only when nothing else is in it.
    fn teardown(&self, cx: &TeardownCx, left: &ArchiveLeft) -> Planned<ArchiveRemoval> {
        super::teardown_archive(cx, left)
    }
}

/// Firehose's role as the run wants it, planned by the same role part as the writer's: trust,
/// policy and tags narrow or stay as the writer role's do.
fn firehose_role<'a>(d: &'a DesiredArchive, name: &'a str) -> RolePart<'a> {
    RolePart {
        name,
        who: "Firehose",
        trust: &d.trust,
        previous_trusts: &d.previous_trusts,
        policy: &d.policy,
        policy_name: archive::POLICY_NAME,
        tags: tag_map(&[], true),
        // Firehose's sessions are its own business: made with IAM's default, never changed.
        max_session: None,
        create_session: super::firehose_role::SESSION_SECONDS,
        adopt: d.adopt,
        widen: d.widen,
    }
}

/// The archive's cost, for the plan: dated estimates from AWS's pricing pages (us-east-1 list
/// prices as read in 2026), since prices differ by region and change.
pub(crate) const COST_NOTE: &str = "the archive costs (us-east-1 list prices as read in 2026 on aws.amazon.com/firehose/pricing, aws.amazon.com/s3/pricing and aws.amazon.com/athena/pricing; other regions differ): Firehose ingestion from a Kinesis stream about $0.029 per GB, each record counted in 5 KB steps (a 1 KB event is billed as 5 KB); dynamic partitioning about $0.020 per GB, $0.005 per 1,000 objects delivered and about $0.07 per hour of JQ processing (the metadata extraction); S3 Standard storage about $0.023 per GB-month of the (gzip-compressed, typically 5-10x smaller) objects; Athena $5 per TB scanned by a query. Each event type active in a buffer interval (--archive-buffer) writes its own object. The stream's own cost is unchanged";

/// The archive (`--archive-bucket`): its registered parts ([`ARCHIVE`]), then the bucket, the
/// table and the queries as outputs.
pub(crate) struct Archived;

impl StackPart for Archived {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        let mut f = CfnFragment::default();
        let Some(a) = &b.archive else {
            return f;
        };
        let x = Export {
            model: a,
            tags: &b.tags,
        };
        for part in ARCHIVE {
            f.resources.extend(part.cloudformation(&x));
        }
        f.outputs.push((
            "ArchiveBucket".into(),
            json!({"Description": BUCKET_HELP, "Value": {"Ref": super::bucket::CFN_ID}}),
        ));
        f.outputs.push((
            "ArchiveTable".into(),
            json!({"Description": TABLE_HELP, "Value": table(a)}),
        ));
        for q in a.queries() {
            f.outputs.push((
                query_output(q.name),
                json!({"Description": q.about, "Value": q.sql}),
            ));
        }
        f
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        let Some(a) = &b.archive else {
            return Vec::new();
        };
        let mut blocks = vec![Block::new("data", &["aws_caller_identity", "current"])];
        let x = Export {
            model: a,
            tags: &b.tags,
        };
        for part in ARCHIVE {
            blocks.extend(part.terraform(&x));
        }
        blocks.push(
            Block::new("output", &["archive_bucket"])
                .attr("description", Hcl::str(BUCKET_HELP))
                .attr("value", Hcl::expr(super::bucket::TF_ID)),
        );
        blocks.push(
            Block::new("output", &["archive_table"])
                .attr("description", Hcl::str(TABLE_HELP))
                .attr("value", Hcl::str(table(a))),
        );
        for q in a.queries() {
            let label = format!("archive_query_{}", q.name);
            blocks.push(
                Block::new("output", &[label.as_str()])
                    .attr("description", Hcl::str(q.about))
                    .attr("value", Hcl::str(q.sql)),
            );
        }
        blocks
    }
}

const BUCKET_HELP: &str =
    "The bucket every event is archived in, under events/type=<type>/dt=<YYYY-MM-DD>/.";
const TABLE_HELP: &str =
    "The Glue table to query with Athena (partition projection: no crawler, no MSCK REPAIR).";

/// `database.table`, as Athena names it.
fn table(a: &Archive) -> String {
    format!("{}.{}", a.database(), archive::TABLE)
}

/// `events_per_type_per_day` -> `ArchiveQueryEventsPerTypePerDay`.
fn query_output(name: &str) -> String {
    let camel: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("ArchiveQuery{camel}")
}

/// The archive's changes in setup's order, by each part's chain (`ArchivePart::CHAIN`): every
/// chain but the delivery stream's at once, each in its planned order, then the delivery
/// stream's, which names all the others. `apply` makes one change (through its adapter).
pub(crate) async fn in_chains<'p, F, Fut>(
    planned: &'p [ArchiveAction],
    apply: F,
) -> crate::error::Result<()>
where
    F: Fn(&'p ArchiveAction) -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<()>>,
{
    let last = <super::delivery::Delivery as super::ArchivePart>::CHAIN;
    let chain = |name: &'static str| {
        let apply = &apply;
        async move {
            for action in planned.iter().filter(|a| a.chain() == name) {
                apply(action).await?;
            }
            Ok::<_, crate::error::Error>(())
        }
    };
    let mut chains: Vec<&'static str> = Vec::new();
    for c in planned.iter().map(ArchiveAction::chain) {
        if c != last && !chains.contains(&c) {
            chains.push(c);
        }
    }
    let runs = chains.into_iter().map(chain).collect();
    crate::fanout::bounded(runs, usize::MAX)
        .await
        .into_iter()
        .collect::<crate::error::Result<Vec<()>>>()?;
    chain(last).await
}

/// How long Firehose may be refused its role while IAM propagates it: all of `timeout` when the
/// plan changes the role or the role is younger than `timeout` (or not there), else nothing.
pub(crate) fn iam_wait(
    planned: &[ArchiveAction],
    found: &ArchiveFound,
    now: std::time::SystemTime,
    timeout: std::time::Duration,
) -> std::time::Duration {
    let fresh = planned.iter().any(|a| matches!(a, ArchiveAction::Role(_)))
        || found
            .parts
            .role
            .as_ref()
            .is_none_or(|r| r.age(now) < timeout);
    if fresh {
        timeout
    } else {
        std::time::Duration::ZERO
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parts::fixtures::kinds_of;
    use std::sync::Mutex;
    use std::time::{Duration, SystemTime};

    /// Why a plan was refused, as these tests need it (the plan's `Blocked` is above
    /// `parts`).
    #[derive(Debug)]
    pub(crate) struct Blocked;

    impl From<Refusal> for Blocked {
        fn from(_: Refusal) -> Self {
            Blocked
        }
    }

    impl From<RoleRefusal> for Blocked {
        fn from(_: RoleRefusal) -> Self {
            Blocked
        }
    }

    /// The archive of `buzz-events` in `district-42-buzz`, as the run wants it.
    pub(crate) fn desired() -> DesiredArchive {
        let account = "123456789012";
        DesiredArchive {
            model: crate::parts::fixtures::model(None),
            stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events".into(),
            account: account.into(),
            role_arn: "arn:aws:iam::123456789012:role/buzz-events-archive-firehose".into(),
            trust: crate::archive::Archive::trust(account),
            previous_trusts: Vec::new(),
            policy: serde_json::json!({"Version": "2012-10-17", "Statement": []}),
            database_arn: "arn:aws:glue:us-east-1:123456789012:database/buzz_events".into(),
            adopt: false,
            views: false,
            widen: Widen::default(),
        }
    }

    /// Every part's actions when nothing of the archive exists, in the plan's order.
    fn fresh() -> Vec<ArchiveAction> {
        let cx = AddOnPlanCx {
            stream: "buzz-events",
            key: None,
        };
        Archived
            .plan::<Blocked>(&desired(), &cx, &ArchiveFound::default())
            .unwrap()
            .actions
    }

    /// The chains run each in its planned order, and the delivery stream's after every other.
    #[tokio::test]
    async fn the_delivery_streams_chain_runs_after_every_other() {
        let planned = fresh();
        assert_eq!(
            kinds_of(&planned).last().map(String::as_str),
            Some("create_delivery_stream")
        );
        let made = Mutex::new(Vec::new());
        in_chains(&planned, |a| {
            made.lock().unwrap().push(a.clone());
            async { Ok(()) }
        })
        .await
        .unwrap();
        let made = made.into_inner().unwrap();
        assert_eq!(made.len(), planned.len(), "each change once");
        let chain_of = |chain: &str, list: &[ArchiveAction]| -> Vec<ArchiveAction> {
            list.iter()
                .filter(|a| a.chain() == chain)
                .cloned()
                .collect()
        };
        for chain in ["bucket", "log", "role", "table", "delivery"] {
            assert_eq!(chain_of(chain, &made), chain_of(chain, &planned), "{chain}");
        }
        let first_delivery = made.iter().position(|a| a.chain() == "delivery").unwrap();
        assert!(made[first_delivery..]
            .iter()
            .all(|a| a.chain() == "delivery"));

        // A failed change stops its chain, and the delivery stream is not made.
        let tried = Mutex::new(Vec::new());
        let failed = in_chains(&planned, |a| {
            tried.lock().unwrap().push(a.chain());
            let refused = a.chain() == "role";
            async move {
                if refused {
                    Err(crate::error::Error::Internal("refused".into()))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(failed.is_err());
        let tried = tried.into_inner().unwrap();
        assert_eq!(tried.iter().filter(|c| **c == "role").count(), 1);
        assert!(!tried.contains(&"delivery"), "{tried:?}");
    }

    /// Firehose may be refused a role IAM has not propagated: waited for when the plan changes
    /// the role, or the role is young or not there; not for an old role left as it is.
    #[test]
    fn firehose_waits_for_iam_only_for_a_young_or_changed_role() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100_000);
        let timeout = Duration::from_secs(60);
        let nothing = ArchiveFound::default();
        assert_eq!(
            iam_wait(&[], &nothing, now, timeout),
            timeout,
            "no role yet"
        );
        let with_role = |created: SystemTime| {
            let mut found = ArchiveFound::default();
            found.parts.role = Some(crate::state::RoleState {
                arn: "arn:aws:iam::123456789012:role/buzz-events-archive-firehose".into(),
                max_session: 3600,
                trust: serde_json::json!({}),
                tags: Default::default(),
                policy: None,
                created,
                boundary: None,
            });
            found
        };
        let old = with_role(now - Duration::from_secs(3600));
        assert_eq!(iam_wait(&[], &old, now, timeout), Duration::ZERO);
        let young = with_role(now - Duration::from_secs(10));
        assert_eq!(iam_wait(&[], &young, now, timeout), timeout);
        // A role exactly as old as the wait has had all of it.
        let of_age = with_role(now - timeout);
        assert_eq!(iam_wait(&[], &of_age, now, timeout), Duration::ZERO);
        let role_changes: Vec<ArchiveAction> = fresh()
            .into_iter()
            .filter(|a| matches!(a, ArchiveAction::Role(_)))
            .collect();
        assert!(!role_changes.is_empty());
        assert_eq!(iam_wait(&role_changes, &old, now, timeout), timeout);
    }

    #[test]
    fn a_query_is_named_in_camel_case_after_archive_query() {
        assert_eq!(
            query_output("events_per_type_per_day"),
            "ArchiveQueryEventsPerTypePerDay"
        );
        assert_eq!(query_output("x"), "ArchiveQueryX");
    }
}
