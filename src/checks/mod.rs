//! `check`'s rules, pure: each rule is a function from what was read (plain data, no client)
//! to rows of the checklist, pass, warn or fail with the fix in one sentence, one file per
//! thing checked: the stream ([`stream`]), the role ([`role`]), the Buzz target and the probe
//! ([`buzz`]), and the lost-event watch ([`watch`]). A new row is a new function returning
//! `Vec<Check>` with a new [`CheckId`], called from `commands::check`; the command only reads,
//! calls the rules, and reports. `--probe`'s I/O lives in the command; its verdicts are the
//! `probe_*` functions.

mod archive;
mod buzz;
mod role;
mod stream;
#[cfg(test)]
mod tests;
mod tree;
mod watch;

pub(crate) use archive::*;
pub(crate) use buzz::*;
pub(crate) use role::*;
pub(crate) use stream::*;
pub(crate) use tree::*;
pub(crate) use watch::*;

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

/// The rows that need the side a half leaves out, listed as skipped so a reader sees what
/// was not checked. `other`: the command for the other half.
pub(crate) fn skipped_rows(half: crate::state::Halves, probe: bool, other: &str) -> Vec<Check> {
    use crate::state::Halves;
    let ids: &[(CheckId, &str)] = match half {
        Halves::Both => &[],
        Halves::AwsOnly => &[(CheckId::BuzzTarget, "the target as Buzz holds it")],
        Halves::BuzzOnly => &[
            (CheckId::StreamExists, "the stream"),
            (
                CheckId::RoleExists,
                "the role, its trust, session and policy",
            ),
            (
                CheckId::StreamRefused,
                "the stream's CloudWatch metrics (refused writes, headroom, traffic)",
            ),
            (CheckId::Alarm, "the alarm on refused writes"),
            (CheckId::StreamWriters, "who writes to the stream"),
        ],
    };
    let (needs, flag) = match half {
        Halves::BuzzOnly => ("AWS access", "--buzz-only"),
        _ => ("a Buzz login", "--aws-only"),
    };
    let mut out: Vec<Check> = ids
        .iter()
        .map(|(id, what)| {
            skip(
                *id,
                format!("{what}: not checked ({flag}; needs {needs})"),
                other,
            )
        })
        .collect();
    if probe && half == Halves::AwsOnly {
        out.push(skip(
            CheckId::BuzzProbe,
            format!("Buzz's test: not run ({flag}; needs {needs})"),
            other,
        ));
    }
    out
}

/// Whether any row failed (`check` then exits 2).
pub(crate) fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
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
}

pub(crate) use crate::parts::SETUP_AGAIN as SETUP_FIX;

/// How an unencrypted stream gets encrypted: setup never changes an existing stream's
/// encryption unasked, so the key is named.
pub(crate) const ENCRYPT_FIX: &str = "run `buzz-kinesis setup` with the same flags and --kms-key alias/aws/kinesis: it starts encryption without downtime, and Buzz's writer role needs no extra permission for the AWS-managed key";
