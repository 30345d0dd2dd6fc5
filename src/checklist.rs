//! check's row vocabulary: which row ([`CheckId`], the JSON's stable `id`), how it came out
//! ([`Status`]), one line of the checklist ([`Check`], made with [`pass`], [`warn`], [`fail`]
//! and [`skip`]), and what the rows compare against ([`Expect`]). It stands on the floor below
//! the parts and `checks`, so that each part writes its own rows (the stream's, the writer
//! role's, the Buzz target's) and `checks` the rest (the watch, the tree, the probe), in the
//! same words.

use serde_json::Value;

use crate::names::{Encryption, ExternalId, RetentionHours};
use crate::sizing::Load;

/// Which row: a stable name (its string form is the JSON's `id`, and scripts match on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CheckId {
    /// `alarm`
    Alarm,
    /// `archive.errors`
    ArchiveErrors,
    /// `archive.metrics`
    ArchiveMetrics,
    /// `archive.objects`
    ArchiveObjects,
    /// `buzz.answer`
    BuzzAnswer,
    /// `buzz.delivery`
    BuzzDelivery,
    /// `buzz.probe`
    BuzzProbe,
    /// `buzz.target`
    BuzzTarget,
    /// `buzz.tree`
    BuzzTree,
    /// `role.exists`
    RoleExists,
    /// `role.max_session`
    RoleMaxSession,
    /// `role.policy`
    RolePolicy,
    /// `role.trust`
    RoleTrust,
    /// `stream.capacity`
    StreamCapacity,
    /// `stream.consumers`
    StreamConsumers,
    /// `stream.encryption`
    StreamEncryption,
    /// `stream.exists`
    StreamExists,
    /// `stream.headroom`
    StreamHeadroom,
    /// `stream.metrics`
    StreamMetrics,
    /// `stream.refused`
    StreamRefused,
    /// `stream.retention`
    StreamRetention,
    /// `stream.traffic`
    StreamTraffic,
    /// `stream.writers`
    StreamWriters,
    /// A part's own row, under the id the part gives it (`archive.bucket`, `archive.role`,
    /// `archive.delivery`: `parts::ArchivePart::ROW`).
    Part(&'static str),
}

impl CheckId {
    /// Every row id, in the order of [`CheckId::as_str`]'s names.
    #[cfg(test)]
    pub(crate) const ALL: [CheckId; 23] = [
        CheckId::Alarm,
        CheckId::ArchiveErrors,
        CheckId::ArchiveMetrics,
        CheckId::ArchiveObjects,
        CheckId::BuzzAnswer,
        CheckId::BuzzDelivery,
        CheckId::BuzzProbe,
        CheckId::BuzzTarget,
        CheckId::BuzzTree,
        CheckId::RoleExists,
        CheckId::RoleMaxSession,
        CheckId::RolePolicy,
        CheckId::RoleTrust,
        CheckId::StreamCapacity,
        CheckId::StreamConsumers,
        CheckId::StreamEncryption,
        CheckId::StreamExists,
        CheckId::StreamHeadroom,
        CheckId::StreamMetrics,
        CheckId::StreamRefused,
        CheckId::StreamRetention,
        CheckId::StreamTraffic,
        CheckId::StreamWriters,
    ];

    /// The stable string form.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            CheckId::Alarm => "alarm",
            CheckId::ArchiveErrors => "archive.errors",
            CheckId::ArchiveMetrics => "archive.metrics",
            CheckId::ArchiveObjects => "archive.objects",
            CheckId::BuzzAnswer => "buzz.answer",
            CheckId::BuzzDelivery => "buzz.delivery",
            CheckId::BuzzProbe => "buzz.probe",
            CheckId::BuzzTarget => "buzz.target",
            CheckId::BuzzTree => "buzz.tree",
            CheckId::RoleExists => "role.exists",
            CheckId::RoleMaxSession => "role.max_session",
            CheckId::RolePolicy => "role.policy",
            CheckId::RoleTrust => "role.trust",
            CheckId::StreamCapacity => "stream.capacity",
            CheckId::StreamConsumers => "stream.consumers",
            CheckId::StreamEncryption => "stream.encryption",
            CheckId::StreamExists => "stream.exists",
            CheckId::StreamHeadroom => "stream.headroom",
            CheckId::StreamMetrics => "stream.metrics",
            CheckId::StreamRefused => "stream.refused",
            CheckId::StreamRetention => "stream.retention",
            CheckId::StreamTraffic => "stream.traffic",
            CheckId::StreamWriters => "stream.writers",
            CheckId::Part(id) => id,
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so a width (`{:<18}`) lines the checklist up.
        f.pad(self.as_str())
    }
}

impl serde::Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for CheckId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pass,
    Warn,
    Fail,
    /// Not checked: it needs the side this run leaves out (`--aws-only`, `--buzz-only`).
    /// Never fails the exit code, and never counts as a pass.
    Skip,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Check {
    pub id: CheckId,
    pub status: Status,
    pub message: String,
    pub fix: Option<String>,
    /// Extra lines for a person (a sparkline, a list), shown indented under the row; not in
    /// the JSON, which carries `data` instead.
    #[serde(skip)]
    pub detail: Vec<String>,
    /// Numbers for a machine (JSON only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl Check {
    /// The same row with lines shown under it (human output only).
    pub(crate) fn with_detail(mut self, detail: Vec<String>) -> Self {
        self.detail = detail;
        self
    }
    /// The same row with numbers for the JSON output.
    pub(crate) fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

fn row(id: CheckId, status: Status, message: String, fix: Option<String>) -> Check {
    Check {
        id,
        status,
        message,
        fix,
        detail: Vec::new(),
        data: None,
    }
}

pub(crate) fn pass(id: CheckId, message: impl Into<String>) -> Check {
    row(id, Status::Pass, message.into(), None)
}
pub(crate) fn warn(id: CheckId, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Warn, message.into(), Some(fix.into()))
}
pub(crate) fn fail(id: CheckId, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Fail, message.into(), Some(fix.into()))
}
/// A row this half cannot check; `fix` names the command that can.
pub(crate) fn skip(id: CheckId, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Skip, message.into(), Some(fix.into()))
}

/// What the checks compare against, from the same flags setup takes.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    pub retention: RetentionHours,
    /// `--kms-key` / `--no-encryption` / neither (then any key passes, none warns).
    pub encryption: Encryption,
    /// The stream's key as KMS resolved it (`None`: unencrypted): the roles are judged against
    /// it, and `--kms-key` is compared with it by ARN.
    pub key: Option<crate::state::ResolvedKey>,
    /// `arn:aws:iam::AGILIX:root`.
    pub agilix_root: String,
    pub external_id: Option<ExternalId>,
    pub load: Option<Load>,
    /// What the add-ons Buzz delivers to need the writer role to allow besides the stream
    /// (`DesiredAddOns::writer_statements`, IAM statements): the `role.policy` row asks for
    /// each and counts none of it as wider than needed.
    pub also_allowed: Vec<Value>,
}

/// What the rows' tests share: a plain setup's expectations, and each row's verdict.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Check, Encryption, Expect, RetentionHours, Status};

    /// Agilix's account in the tests.
    pub(crate) const AGILIX: &str = "111122223333";

    /// The default retention, no key named or resolved, no external id, no expected load, no
    /// add-on Buzz delivers to.
    pub(crate) fn expect() -> Expect {
        Expect {
            retention: RetentionHours::DEFAULT,
            encryption: Encryption::Default,
            key: None,
            agilix_root: format!("arn:aws:iam::{AGILIX}:root"),
            external_id: None,
            load: None,
            also_allowed: Vec::new(),
        }
    }

    /// `id status` of each row, for table tests.
    pub(crate) fn verdicts(checks: &[Check]) -> Vec<(&'static str, Status)> {
        checks.iter().map(|c| (c.id.as_str(), c.status)).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn detail_is_for_people_and_data_for_machines() {
        let c = pass(CheckId::StreamExists, "m")
            .with_detail(vec!["▁▂▃".into()])
            .with_data(json!({"n": 1}));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({"id": "stream.exists", "status": "pass", "message": "m", "fix": null, "data": {"n": 1}})
        );
        let v = serde_json::to_value(pass(CheckId::StreamExists, "m")).unwrap();
        assert!(v.get("data").is_none());
    }
}
