//! The archive's plan (`--archive-bucket`): the bucket, Firehose's role, the delivery stream
//! and the Glue table, each converged on its own. The parts that have their module in
//! `crate::parts` plan there (the bucket: what protects the user's data in it is
//! `parts::bucket`'s); this file puts their refusals and notes into the plan's words. A
//! delivery stream is updated in place wherever Firehose allows
//! (a new one starts at the stream's newest record: the events in between would be lost), and
//! made anew only when its source, bucket or role differ, which the plan says.

use serde_json::{json, Value};

use super::{Blocked, Note, Plan, Widen};
use crate::archive::{self, Archive};
use crate::parts::delivery::DeliveryAction;
#[cfg(test)]
use crate::parts::delivery::DeliveryState;
use crate::parts::glue::TableState;
use crate::parts::role::RolePart;
use crate::parts::tag_map;
pub(crate) use crate::parts::ArchiveAction;
use crate::parts::{self, ArchiveState, Refusal};
use crate::state::Resource;

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
    /// The delivery stream as setup makes it (`parts::delivery::desired`).
    #[cfg(test)]
    pub(crate) fn delivery(&self) -> DeliveryState {
        parts::delivery::desired(&self.model, &self.stream_arn, &self.role_arn)
    }

    /// The Glue table as setup makes it.
    #[cfg(test)]
    pub(crate) fn table(&self) -> TableState {
        parts::glue::table(&self.model)
    }

    /// The table as setup writes it over `have` (`parts::glue::table_over`).
    pub(crate) fn table_over(&self, have: Option<&TableState>) -> TableState {
        parts::glue::table_over(&self.model, have)
    }
}

impl From<Refusal> for Blocked {
    /// A part's refusal, in the plan's words.
    fn from(r: Refusal) -> Self {
        Blocked::Archive {
            what: r.what,
            problem: r.problem,
            fix: r.fix,
        }
    }
}

/// Every part of the archive planned (`parts::plan_archive`), into the plan: its actions and
/// its notes (each under the archive).
pub(super) fn plan_archive(
    d: &DesiredArchive,
    observed: Option<&ArchiveState>,
    role_grants: Option<&crate::iam::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let missing = ArchiveState::default();
    let found = observed.unwrap_or(&missing);
    let name = d.model.role();
    let cx = parts::PlanCx {
        model: &d.model,
        stream_arn: &d.stream_arn,
        role_arn: &d.role_arn,
        account: &d.account,
        adopt: d.adopt,
        views: d.views,
        role: firehose_role(d, &name),
        role_grants,
    };
    let planned = parts::plan_archive::<Blocked>(&cx, found)?;
    p.archive.extend(planned.actions);
    p.notes
        .extend(planned.notes.into_iter().map(|message| Note {
            resource: Resource::Archive,
            message,
        }));
    Ok(())
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
        create_session: parts::firehose_role::SESSION_SECONDS,
        adopt: d.adopt,
        widen: d.widen,
    }
}

/// The archive's cost, for the plan: dated estimates from AWS's pricing pages (us-east-1 list
/// prices as read in 2026), since prices differ by region and change.
pub(crate) const COST_NOTE: &str = "the archive costs (us-east-1 list prices as read in 2026 on aws.amazon.com/firehose/pricing, aws.amazon.com/s3/pricing and aws.amazon.com/athena/pricing; other regions differ): Firehose ingestion from a Kinesis stream about $0.029 per GB, each record counted in 5 KB steps (a 1 KB event is billed as 5 KB); dynamic partitioning about $0.020 per GB, $0.005 per 1,000 objects delivered and about $0.07 per hour of JQ processing (the metadata extraction); S3 Standard storage about $0.023 per GB-month of the (gzip-compressed, typically 5-10x smaller) objects; Athena $5 per TB scanned by a query. Each event type active in a buffer interval (--archive-buffer) writes its own object. The stream's own cost is unchanged";

/// The note the plan carries when it makes the archive's delivery stream.
pub(super) fn cost_note(p: &mut Plan) {
    if p.archive.iter().any(|a| {
        matches!(
            a,
            ArchiveAction::Delivery(DeliveryAction::CreateDeliveryStream { .. })
        )
    }) {
        p.notes.push(Note {
            resource: Resource::Archive,
            message: COST_NOTE.into(),
        });
    }
}

/// A JSON view of the archive's names, for the report.
pub(crate) fn summary(d: &DesiredArchive) -> Value {
    json!({
        "bucket": d.model.bucket.as_str(),
        "delivery_stream": d.model.delivery_stream(),
        "role": d.model.role(),
        "database": d.model.database(),
        "table": archive::TABLE,
        "location": d.model.location(),
    })
}

#[cfg(test)]
pub(crate) mod tests;
