//! The archive's plan (`--archive-bucket`): the bucket, Firehose's role, the delivery stream
//! and the Glue table, each converged on its own. The parts that have their module in
//! `crate::parts` plan there (the bucket: what protects the user's data in it is
//! `parts::bucket`'s); this file puts their refusals and notes into the plan's words. A
//! delivery stream is updated in place wherever Firehose allows
//! (a new one starts at the stream's newest record: the events in between would be lost), and
//! made anew only when its source, bucket or role differ, which the plan says.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::role::{plan_any_role, RoleAction, RolePart};
use super::{tag_map, Blocked, Note, Plan, Widen};
use crate::archive::{self, Archive};
use crate::parts::delivery::DeliveryAction;
#[cfg(test)]
use crate::parts::delivery::DeliveryState;
use crate::parts::glue::{GlueAction, TableState};
use crate::parts::views::ViewAction;
use crate::parts::{self, bucket::BucketAction, log::LogAction, ArchiveState, Refusal};
use crate::state::{Resource, RoleState};

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

/// One change to the archive.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ArchiveAction {
    CreateRole {
        role: String,
        trust: Value,
        tags: BTreeMap<String, String>,
    },
    UpdateRoleTrust {
        role: String,
        before: Value,
        after: Value,
    },
    PutRolePolicy {
        role: String,
        before: Option<Value>,
        after: Value,
    },
    TagRole {
        role: String,
        tags: BTreeMap<String, String>,
    },
    /// A change to the bucket (`parts::bucket`), in its own words.
    #[serde(untagged)]
    Bucket(BucketAction),
    /// A change to Firehose's error log (`parts::log`).
    #[serde(untagged)]
    Log(LogAction),
    /// A change to the Glue database or table (`parts::glue`).
    #[serde(untagged)]
    Glue(GlueAction),
    /// A change to the delivery stream (`parts::delivery`).
    #[serde(untagged)]
    Delivery(DeliveryAction),
    /// A view beside the table (`parts::views`, `--archive-views`).
    #[serde(untagged)]
    View(ViewAction),
}

impl ArchiveAction {
    pub(crate) fn is_create(&self) -> bool {
        match self {
            ArchiveAction::Bucket(b) => return b.is_create(),
            ArchiveAction::Log(l) => return l.is_create(),
            ArchiveAction::Glue(g) => return g.is_create(),
            ArchiveAction::Delivery(d) => return d.is_create(),
            ArchiveAction::View(v) => return v.is_create(),
            _ => {}
        }
        matches!(self, ArchiveAction::CreateRole { .. })
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub(crate) fn before_after(&self) -> (Value, Value) {
        match self {
            ArchiveAction::UpdateRoleTrust { before, after, .. } => (before.clone(), after.clone()),
            ArchiveAction::PutRolePolicy { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
            ArchiveAction::Bucket(b) => b.before_after(),
            ArchiveAction::Log(l) => l.before_after(),
            ArchiveAction::Glue(g) => g.before_after(),
            ArchiveAction::Delivery(d) => d.before_after(),
            ArchiveAction::View(v) => v.before_after(),
            other => (
                Value::Null,
                serde_json::to_value(other).unwrap_or(Value::Null),
            ),
        }
    }

    /// Which part of the archive it changes: `bucket`, `role`, `table`, `log` or `delivery`.
    pub(crate) fn part(&self) -> &'static str {
        match self {
            ArchiveAction::Bucket(_) => "bucket",
            ArchiveAction::CreateRole { .. }
            | ArchiveAction::UpdateRoleTrust { .. }
            | ArchiveAction::PutRolePolicy { .. }
            | ArchiveAction::TagRole { .. } => "role",
            ArchiveAction::Glue(_) | ArchiveAction::View(_) => "table",
            ArchiveAction::Log(_) => "log",
            ArchiveAction::Delivery(_) => "delivery",
        }
    }
}

/// Why the archive cannot be made as asked.
fn refuse(what: String, problem: String, fix: &str) -> Blocked {
    Blocked::Archive {
        what,
        problem,
        fix: fix.to_owned(),
    }
}

/// A part's refusal, in the plan's words.
fn refused(r: Refusal) -> Blocked {
    Blocked::Archive {
        what: r.what,
        problem: r.problem,
        fix: r.fix,
    }
}

/// A part's plan, into the plan: its actions (each as the archive's) and its notes.
fn take<A>(planned: parts::Planned<A>, wrap: fn(A) -> ArchiveAction, p: &mut Plan) {
    p.archive.extend(planned.actions.into_iter().map(wrap));
    p.notes
        .extend(planned.notes.into_iter().map(|message| Note {
            resource: Resource::Archive,
            message,
        }));
}

pub(super) fn plan_archive(
    d: &DesiredArchive,
    observed: Option<&ArchiveState>,
    role_grants: Option<&crate::iam::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let missing = ArchiveState::missing();
    let o = observed.unwrap_or(&missing);
    let bucket = parts::bucket::plan(&d.model, d.adopt, &o.bucket).map_err(refused)?;
    take(bucket, ArchiveAction::Bucket, p);
    plan_role(d, o.role.as_ref(), role_grants, p)?;
    let glue = parts::glue::plan(&d.model, d.adopt, o.database.as_ref(), o.table.as_ref())
        .map_err(refused)?;
    take(glue, ArchiveAction::Glue, p);
    take(
        parts::views::plan(&d.model, &d.account, d.views, &o.views),
        ArchiveAction::View,
        p,
    );
    take(
        parts::log::plan(&d.model, o.log.as_ref()),
        ArchiveAction::Log,
        p,
    );
    let delivery = parts::delivery::plan(&d.model, &d.stream_arn, &d.role_arn, o.delivery.as_ref())
        .map_err(refused)?;
    take(delivery, ArchiveAction::Delivery, p);
    Ok(())
}

/// Firehose's role, through the same role part as the writer's: a role someone else made is
/// refused without `--adopt` (it would be handed to Firehose), then trust, policy and tags
/// narrow or stay as the writer role's do.
fn plan_role(
    d: &DesiredArchive,
    role: Option<&RoleState>,
    grants: Option<&crate::iam::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let name = d.model.role();
    if role.is_some_and(|r| !r.is_managed()) && !d.adopt {
        return Err(refuse(
            format!("Firehose's role {name}"),
            "exists and was not made by buzz-kinesis (it has no managed-by tag)".into(),
            "pass --adopt to give it the archive's trust and policy, or remove it",
        ));
    }
    let part = RolePart {
        name: &name,
        who: "Firehose",
        resource: Resource::Archive,
        trust: &d.trust,
        previous_trusts: &d.previous_trusts,
        policy: &d.policy,
        policy_name: archive::POLICY_NAME,
        tags: tag_map(&[], true),
        // Firehose's sessions are its own business: made with IAM's default, never changed.
        max_session: None,
        create_session: FIREHOSE_SESSION_SECONDS,
        adopt: d.adopt,
        widen: d.widen,
    };
    let actions = plan_any_role(&part, role, grants, &mut p.notes)?;
    p.archive.extend(
        actions
            .into_iter()
            .filter_map(|a| archive_role_action(&name, a)),
    );
    Ok(())
}

/// IAM's default session length, the one Firehose's role is made with.
pub(crate) const FIREHOSE_SESSION_SECONDS: i32 = 3600;

/// The role part's action as the archive's (its JSON and its apply keep their names).
/// `UpdateMaxSession` cannot come: Firehose's role asks for no session length.
fn archive_role_action(role: &str, a: RoleAction) -> Option<ArchiveAction> {
    let role = role.to_owned();
    match a {
        RoleAction::CreateRole { trust, tags, .. } => {
            Some(ArchiveAction::CreateRole { role, trust, tags })
        }
        RoleAction::UpdateTrust { before, after } => Some(ArchiveAction::UpdateRoleTrust {
            role,
            before,
            after,
        }),
        RoleAction::PutPolicy { before, after } => Some(ArchiveAction::PutRolePolicy {
            role,
            before,
            after,
        }),
        RoleAction::TagRole { tags } => Some(ArchiveAction::TagRole { role, tags }),
        RoleAction::UpdateMaxSession { .. } => None,
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
