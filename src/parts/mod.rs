//! The parts of the pipeline (the archive's, `--archive-bucket`, and the alarm), one module
//! each: what the run wants of it,
//! what exists of it (as one reader finds it), the difference as typed actions, its check
//! row, what teardown does with it, and its CloudFormation and Terraform fragments. A setting
//! of a part is written here once; `plan`, `checks`, `teardown_plan` and `iac` only iterate
//! the parts and put what each says into their own words (a `Blocked`, a `Check`, a template).
//! Pure: no I/O (the calls live in `aws/`, one adapter per service).
//!
//! This floor-1 module stands below `plan`, `checks`, `teardown_plan` and `iac` (they import
//! it, never the reverse), so what a part returns is plain data: a [`Refusal`], notes as
//! text, a [`Row`], a [`Skip`], JSON or HCL blocks.

pub(crate) mod alarm;
pub(crate) mod bucket;
pub(crate) mod delivery;
pub(crate) mod firehose_role;
pub(crate) mod glue;
pub(crate) mod log;
pub(crate) mod views;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::hcl::{Block, Hcl};
use crate::state::{RoleState, ViewState};

/// The archive's parts, in the order plan, check and the exports take them. Adding a part is
/// its module, the adapter it calls, and one line here (see docs/architecture.md). The views
/// (`views`), which have no template, are not here: the plan calls them by name.
pub(crate) const ARCHIVE: &[&dyn Part] = &[
    &bucket::Bucket,
    &log::Log,
    &firehose_role::FirehoseRole,
    &delivery::Delivery,
    &glue::Glue,
];

/// What every part gives the exports, whatever its own types: its template fragments. (Its
/// plan, row and teardown have types of their own, called by name.)
pub(crate) trait Part: Sync {
    /// Its CloudFormation resources, by logical id, in template order.
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)>;
    /// Its Terraform blocks, in file order.
    fn terraform(&self, x: &Export) -> Vec<Block>;
}

/// What a part's template fragment is written from: the archive's model and the tags every
/// resource carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Export<'a> {
    pub model: &'a crate::archive::Archive,
    pub tags: &'a BTreeMap<String, String>,
}

/// The stream (not a part yet) as the exports name it: its logical id in CloudFormation, its
/// resource address in Terraform.
pub(crate) const CFN_STREAM: &str = "BuzzStream";
pub(crate) const TF_STREAM: &str = "aws_kinesis_stream.buzz";

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference. The
/// control character keeps them apart from anything a user can type: every validated name and
/// title refuses control characters.
pub(crate) const STREAM_ARN: &str = "\u{1}stream_arn\u{1}";
/// `kinesis.<region>.amazonaws.com`, a KMS grant's `kms:ViaService`.
pub(crate) const KINESIS_SERVICE: &str = "\u{1}kinesis_service\u{1}";
/// `s3.<region>.amazonaws.com`, the archive key's other `kms:ViaService`.
pub(crate) const S3_SERVICE: &str = "\u{1}s3_service\u{1}";
/// The deployment's account, the Firehose trust's `sts:ExternalId`.
pub(crate) const ACCOUNT: &str = "\u{1}account\u{1}";
/// Firehose's log stream for delivery errors.
pub(crate) const LOG_STREAM_ARN: &str = "\u{1}log_stream_arn\u{1}";

/// Replace every string equal to a stand-in by its CloudFormation reference, anywhere in `v`.
pub(crate) fn cfn_substitute(v: &Value, subs: &[(&str, Value)]) -> Value {
    match v {
        Value::String(s) => subs
            .iter()
            .find(|(from, _)| from == s)
            .map(|(_, to)| to.clone())
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(|x| cfn_substitute(x, subs)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), cfn_substitute(x, subs)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The archive as the read step finds it, part by part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArchiveState {
    pub bucket: bucket::BucketObserved,
    pub role: Option<RoleState>,
    pub delivery: Option<delivery::DeliveryState>,
    /// The Glue database's tags, when it exists.
    pub database: Option<BTreeMap<String, String>>,
    pub table: Option<glue::TableState>,
    /// Firehose's error log group (`None`: absent).
    pub log: Option<log::LogState>,
    /// The views `--archive-views` makes, by name, those found (read only when asked for).
    pub views: BTreeMap<String, ViewState>,
}

impl ArchiveState {
    /// Nothing of the archive exists.
    pub(crate) fn missing() -> Self {
        ArchiveState {
            bucket: bucket::BucketObserved::Missing,
            role: None,
            delivery: None,
            database: None,
            table: None,
            log: None,
            views: BTreeMap::new(),
        }
    }
}

/// Why a part cannot be made as asked: what, its problem, the fix (the plan's `Blocked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub what: String,
    pub problem: String,
    pub fix: String,
}

impl Refusal {
    fn new(what: String, problem: impl Into<String>, fix: &str) -> Self {
        Refusal {
            what,
            problem: problem.into(),
            fix: fix.to_owned(),
        }
    }
}

/// A part's plan: its actions in order, and what the user should know (notes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned<A> {
    pub actions: Vec<A>,
    pub notes: Vec<String>,
}

impl<A> Default for Planned<A> {
    fn default() -> Self {
        Planned {
            actions: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The fix of a check row that setup's next run repairs (`checks::SETUP_FIX` too).
pub(crate) const SETUP_AGAIN: &str = "run `buzz-kinesis setup` with the same flags";

/// The fix of an archive's check row that setup's next run repairs.
pub(crate) const ARCHIVE_AGAIN: &str =
    "run `buzz-kinesis setup --archive-bucket BUCKET` again: it converges the archive";

/// A part's check row, without its id (`checks` names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Row {
    Pass(String),
    /// The message and the fix.
    Warn(String, String),
    Fail(String, String),
}

/// What teardown does with a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Teardown {
    /// Removed (the removal's own words are teardown's).
    Remove,
    /// Kept, and why (a note).
    Keep(String),
    /// Nothing to do (not there, or kept without a word).
    Nothing,
}

/// A scanner check a resource does not meet on purpose, and why: written next to the
/// resource (a `#checkov:skip` comment in HCL, `Metadata.checkov.skip` in CloudFormation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip {
    pub id: &'static str,
    pub reason: String,
}

/// Tags as CloudFormation writes them.
pub(crate) fn cfn_tags(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A CloudFormation resource, with `Metadata` holding its scanner skips when it has any.
pub(crate) fn cfn_resource(mut r: Value, skips: &[Skip]) -> Value {
    if !skips.is_empty() {
        r["Metadata"] = json!({"checkov": {"skip": skips.iter().map(|s| json!({"id": s.id, "comment": s.reason})).collect::<Vec<_>>()}});
    }
    r
}

/// Tags as Terraform writes them.
pub(crate) fn tf_tags(tags: &BTreeMap<String, String>) -> Hcl {
    Hcl::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Hcl::str(v.as_str())))
            .collect(),
    )
}

/// A block with its scanner skips as the comments checkov reads, each with its reason.
pub(crate) fn tf_with_skips(block: Block, skips: &[Skip]) -> Block {
    skips.iter().fold(block, |b, s| {
        b.comment(&format!("checkov:skip={}:{}", s.id, s.reason))
    })
}

/// A Terraform resource of the archive, labelled `buzz_archive`.
pub(crate) fn tf_archive_resource(kind: &str) -> Block {
    Block::new("resource", &[kind, "buzz_archive"])
}

/// Our `managed-by` tag, alone.
pub(crate) fn managed_tags() -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    crate::state::mark_managed(&mut tags);
    tags
}

/// Tags in `want` that `have` lacks or holds with another value.
pub(crate) fn missing_tags(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What the parts' tests share: the archive they plan, the kinds of the actions they plan.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::archive::Archive;
    use crate::names::{BucketName, KmsKey};

    /// The archive of the stream `buzz-events` in `district-42-buzz`, under `key` when given.
    pub(crate) fn model(key: Option<&str>) -> Archive {
        Archive::new(
            BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
            None,
            "buzz-events",
            key.map(|k| KmsKey::parse("--kms-key", k).unwrap()),
            &[],
        )
    }

    /// Each planned action's JSON `kind`, in order.
    pub(crate) fn kinds<A: serde::Serialize>(p: &super::Planned<A>) -> Vec<String> {
        kinds_of(&p.actions)
    }

    /// Each action's JSON `kind`, in order (any plan's actions).
    pub(crate) fn kinds_of<A: serde::Serialize>(
        actions: impl IntoIterator<Item = A>,
    ) -> Vec<String> {
        actions
            .into_iter()
            .map(|a| {
                serde_json::to_value(a).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
