//! `check`'s rules, pure: each rule is a function from what was read (plain data, no client)
//! to rows of the checklist, pass, warn or fail with the fix in one sentence. A new row is a
//! new function here returning `Vec<Check>`, called from `commands::check`; the command only
//! reads, calls the rules, and reports. `--probe`'s I/O lives in the command; its verdicts are
//! the `probe_*` functions here.

use crate::text::outside;
use serde_json::{Map, Value};

use crate::buzz::wire::{self, KinesisTarget};
use crate::names::{Encryption, ExternalId, RetentionHours};
use crate::plan::MAX_SESSION_SECONDS;
use crate::policy::{self, Decision, Grants};
use crate::sizing::{self, Capacity, Load};
use crate::state::{RoleState, StreamState, StreamStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Not checked: it needs the side this run leaves out (`--aws-only`, `--buzz-only`).
    /// Never fails the exit code, and never counts as a pass.
    Skip,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    pub id: &'static str,
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
    pub fn with_detail(mut self, detail: Vec<String>) -> Self {
        self.detail = detail;
        self
    }
    /// The same row with numbers for the JSON output.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

fn row(id: &'static str, status: Status, message: String, fix: Option<String>) -> Check {
    Check {
        id,
        status,
        message,
        fix,
        detail: Vec::new(),
        data: None,
    }
}

pub fn pass(id: &'static str, message: impl Into<String>) -> Check {
    row(id, Status::Pass, message.into(), None)
}
pub fn warn(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Warn, message.into(), Some(fix.into()))
}
pub fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Fail, message.into(), Some(fix.into()))
}
/// A row this half cannot check; `fix` names the command that can.
pub fn skip(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    row(id, Status::Skip, message.into(), Some(fix.into()))
}

/// The rows that need the side a half leaves out, listed as skipped so a reader sees what
/// was not checked. `other`: the command for the other half.
pub fn skipped_rows(half: crate::state::Half, probe: bool, other: &str) -> Vec<Check> {
    use crate::state::Half;
    let ids: &[(&'static str, &str)] = match half {
        Half::Both => &[],
        Half::Aws => &[("buzz.target", "the target as Buzz holds it")],
        Half::Buzz => &[
            ("stream.exists", "the stream"),
            ("role.exists", "the role, its trust, session and policy"),
            (
                "stream.refused",
                "the stream's CloudWatch metrics (refused writes, headroom, traffic)",
            ),
            ("alarm", "the alarm on refused writes"),
            ("stream.writers", "who writes to the stream"),
        ],
    };
    let (needs, flag) = match half {
        Half::Buzz => ("AWS access", "--buzz-only"),
        _ => ("a Buzz login", "--aws-only"),
    };
    let mut out: Vec<Check> = ids
        .iter()
        .map(|(id, what)| {
            skip(
                id,
                format!("{what}: not checked ({flag}; needs {needs})"),
                other,
            )
        })
        .collect();
    if probe && half == Half::Aws {
        out.push(skip(
            "buzz.probe",
            format!("Buzz's test: not run ({flag}; needs {needs})"),
            other,
        ));
    }
    out
}

/// Whether any row failed (`check` then exits 2).
pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

/// What the checks compare against, from the same flags setup takes.
#[derive(Debug, Clone)]
pub struct Expect {
    pub retention: RetentionHours,
    /// `--kms-key` / `--no-encryption` / neither (then any key passes, none warns).
    pub encryption: Encryption,
    /// `arn:aws:iam::AGILIX:root`.
    pub agilix_root: String,
    pub external_id: Option<ExternalId>,
    pub load: Option<Load>,
}

pub const SETUP_FIX: &str = "run `buzz-kinesis setup` with the same flags";

/// How an unencrypted stream gets encrypted: setup never changes an existing stream's
/// encryption unasked, so the key is named.
pub const ENCRYPT_FIX: &str = "run `buzz-kinesis setup` with the same flags and --kms-key alias/aws/kinesis: it starts encryption without downtime, and Buzz's writer role needs no extra permission for the AWS-managed key";

/// The stream: exists and is ACTIVE, keeps records long enough, is encrypted as asked, and
/// (with an expected load) is big enough.
pub fn stream_rows(
    name: &str,
    region: &str,
    found: Option<&StreamState>,
    e: &Expect,
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(s) = found else {
        out.push(fail(
            "stream.exists",
            format!("there is no stream {name} in {region}"),
            SETUP_FIX,
        ));
        return out;
    };
    match &s.status {
        StreamStatus::Active => out.push(pass("stream.exists", format!("stream {name} is ACTIVE"))),
        StreamStatus::Deleting => {
            out.push(fail(
                "stream.exists",
                format!("stream {name} is being deleted"),
                "wait until it is gone, then run `buzz-kinesis setup`",
            ));
            return out;
        }
        other => out.push(warn(
            "stream.exists",
            format!("stream {name} is {other}"),
            "wait a minute and check again (the stream is being created or changed)",
        )),
    }
    if s.retention < e.retention {
        out.push(fail(
            "stream.retention",
            format!(
                "retention is {} h, below the requested {} h",
                s.retention.get(),
                e.retention.get()
            ),
            SETUP_FIX,
        ));
    } else {
        out.push(pass(
            "stream.retention",
            format!("retention is {} h", s.retention.get()),
        ));
    }
    out.push(encryption_row(&e.encryption, s.kms_key.as_deref()));
    let capacity = s.capacity.unwrap_or(Capacity::OnDemand);
    match e.load {
        Some(load) => {
            let (ok, message) = sizing::fits(capacity, s.open_shards, load);
            if ok {
                out.push(pass("stream.capacity", message));
            } else {
                let advice = sizing::advise(load);
                out.push(warn("stream.capacity", message, format!("use {advice}")));
            }
        }
        None => out.push(pass(
            "stream.capacity",
            format!(
                "{capacity}{}; each shard takes 1,000 records/s and 1 MB/s, and Buzz loses events beyond that (pass --expected-events-per-second for advice)",
                if matches!(capacity, Capacity::OnDemand) { format!(", {} open shards", s.open_shards) } else { String::new() }
            ),
        )),
    }
    out
}

/// Encrypted at rest as asked: with the named key, or (no `--kms-key`) with any key. An
/// unencrypted stream is a warning with the fix unless `--no-encryption` asked for it.
fn encryption_row(want: &Encryption, have: Option<&str>) -> Check {
    const ID: &str = "stream.encryption";
    match (want, have) {
        (Encryption::Key(k), Some(h)) if k.as_str() == h => pass(ID, format!("encrypted with {h}")),
        (Encryption::Key(k), have) => fail(
            ID,
            format!(
                "the stream is {} instead of {k}",
                have.map(|h| format!("encrypted with {h}"))
                    .unwrap_or("not encrypted".into())
            ),
            SETUP_FIX,
        ),
        (_, Some(h)) => pass(ID, format!("encrypted with {h}")),
        (Encryption::Off, None) => pass(ID, Encryption::OFF_REASON),
        (Encryption::Default, None) => warn(
            ID,
            "not encrypted at rest: Buzz's events (education records) are stored in plain text",
            ENCRYPT_FIX,
        ),
    }
}

/// The role: exists, trusts Agilix's account alone (with the external id when given), allows
/// 12-hour sessions, and its policies (`policies`: every document on it, evaluated together as
/// IAM would) allow writing to the stream and little else.
pub fn role_rows(
    role: &str,
    stream_arn: &str,
    found: Option<&RoleState>,
    policies: &Grants,
    e: &Expect,
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(r) = found else {
        out.push(fail(
            "role.exists",
            format!("there is no role {role}"),
            SETUP_FIX,
        ));
        return out;
    };
    out.push(pass(
        "role.exists",
        format!(
            "role {} exists{}",
            r.arn,
            if r.is_managed() {
                ""
            } else {
                " (not created by buzz-kinesis)"
            }
        ),
    ));
    out.push(trust_row(&r.trust, e));

    if r.max_session == MAX_SESSION_SECONDS {
        out.push(pass(
            "role.max_session",
            "MaxSessionDuration is 43200 s (12 h)",
        ));
    } else {
        out.push(fail(
            "role.max_session",
            format!("MaxSessionDuration is {} s; Buzz asks for 12-hour sessions, so its AssumeRole fails", r.max_session),
            format!("{SETUP_FIX} (or: aws iam update-role --role-name {role} --max-session-duration 43200)"),
        ));
    }
    out.push(policy_row(stream_arn, policies, e));
    out
}

fn trust_row(trust: &Value, e: &Expect) -> Check {
    let trusted = policy::trusted_principals(trust);
    let agilix: Vec<&(String, Option<String>)> = trusted
        .iter()
        .filter(|(p, _)| *p == e.agilix_root)
        .collect();
    let others: Vec<&str> = trusted
        .iter()
        .filter(|(p, _)| *p != e.agilix_root)
        .map(|(p, _)| p.as_str())
        .collect();
    let want_ext = e.external_id.as_ref().map(|x| x.as_str().to_owned());
    if agilix.is_empty() {
        // The missing account is the news; what the trust admits instead is the detail.
        fail(
            "role.trust",
            format!(
                "the trust policy does not admit Agilix's account ({}){}",
                e.agilix_root,
                if others.is_empty() {
                    String::new()
                } else {
                    format!("; it admits {}", others.join(", "))
                }
            ),
            format!("{SETUP_FIX} (check --agilix-account with Agilix support)"),
        )
    } else if !others.is_empty() {
        fail(
            "role.trust",
            format!("the trust policy also admits {}", others.join(", ")),
            format!("{SETUP_FIX} (it trusts Agilix's account alone)"),
        )
    } else if !agilix.iter().any(|(_, ext)| *ext == want_ext) {
        fail(
            "role.trust",
            match &want_ext {
                Some(x) => format!("the trust policy does not require the external id {x}"),
                None => "the trust policy requires an external id that was not given (pass --external-id if Agilix issued one)".into(),
            },
            SETUP_FIX,
        )
    } else if want_ext.is_none() {
        warn(
            "role.trust",
            "the role trusts Agilix's account with no external id",
            "that is what Agilix's procedure describes; if Agilix issues you an external id, pass --external-id so that only your Buzz configuration can use this role (the confused-deputy guard)",
        )
    } else {
        pass(
            "role.trust",
            "the role trusts Agilix's account alone, with your external id",
        )
    }
}

fn policy_row(stream_arn: &str, grants: &Grants, e: &Expect) -> Check {
    let verdicts: Vec<(&str, Decision)> = ["kinesis:PutRecord", "kinesis:PutRecords"]
        .into_iter()
        .map(|a| (a, grants.decide(a, stream_arn, &[])))
        .collect();
    let mut kms_ok = true;
    if let Some(key) = e.encryption.customer_key() {
        // Kinesis asks KMS on the producer's behalf: a grant limited to that (kms:ViaService,
        // as setup writes it) is as good as one without the condition.
        let region = stream_arn.split(':').nth(3).unwrap_or_default();
        let via = policy::kinesis_service(region);
        kms_ok = grants.decide(
            "kms:GenerateDataKey",
            key.as_str(),
            &[(policy::VIA_SERVICE, via.as_str())],
        ) == Decision::Allow;
    }
    if let Some((action, decision)) = verdicts.iter().find(|(_, v)| *v != Decision::Allow) {
        let why = match decision {
            Decision::ExplicitDeny => "an explicit Deny".to_owned(),
            Decision::OutsideBoundary => format!(
                "the permission boundary {} does not allow it",
                grants.boundary.as_ref().map_or("", |b| b.name.as_str())
            ),
            _ => "no Allow".to_owned(),
        };
        return fail(
            "role.policy",
            format!("the role's policies do not allow {action} on {stream_arn} ({why})"),
            if *decision == Decision::OutsideBoundary {
                "widen the role's permission boundary to allow kinesis:PutRecord and kinesis:PutRecords on the stream, or remove it (aws iam delete-role-permissions-boundary)".to_owned()
            } else {
                format!("{SETUP_FIX}; remove any Deny that covers the stream")
            },
        );
    }
    if !kms_ok {
        return fail(
            "role.policy",
            "the role may not use the stream's KMS key (kms:GenerateDataKey)",
            SETUP_FIX,
        );
    }
    let docs = grants.documents();
    let docs = docs.as_slice();
    let mut resources = vec![stream_arn];
    let mut actions: Vec<&str> = policy::WRITER_ACTIONS.to_vec();
    if let Some(k) = e.encryption.customer_key() {
        resources.push(k.as_str());
        actions.push("kms:GenerateDataKey");
    }
    let wider = policy::wider_grants(docs, &actions, &resources);
    if wider.is_empty() {
        pass(
            "role.policy",
            format!("the role may write to {stream_arn} and nothing else"),
        )
    } else {
        warn(
            "role.policy",
            format!(
                "the role may write to the stream, but its grants are wider than needed: {}",
                wider.join("; ")
            ),
            "remove the extra grants: Agilix's account can use everything this role allows",
        )
    }
}

/// The domain's Buzz configuration (`config`, as saved): Buzz's answer holds no targets
/// under a key this tool does not know, and exactly one enabled kinesis target writes to our
/// stream, as `wanted` describes it.
pub fn buzz_rows(domain: &str, wanted: &KinesisTarget, config: &Map<String, Value>) -> Vec<Check> {
    let mut out = Vec::new();
    let stream = &wanted.stream;
    let unknown = wire::unexpected_target_keys(config);
    if !unknown.is_empty() {
        out.push(fail(
            "buzz.answer",
            format!(
                "Buzz's answer holds data stream targets under {}, a key this tool does not know",
                unknown.join(", ")
            ),
            "setup refuses to send a configuration that could drop them: report this answer shape to the buzz-kinesis maintainers",
        ));
    }
    let dest = wanted.destination();
    let writing = wire::targets_writing_to(config, &dest);
    match writing.as_slice() {
        [] => {
            // A target naming our stream in another region or account is not ours, but it
            // is most likely the mistake.
            let near: Vec<String> = wire::as_list(config.get(wire::KINESIS))
                .iter()
                .filter(|t| wire::as_text(t.get(wire::STREAM)) == *stream)
                .map(|t| {
                    format!(
                        "{} (region {}, role {})",
                        wire::describe_saved(t),
                        outside(&wire::as_text(t.get(wire::REGION))),
                        outside(&wire::as_text(t.get(wire::ROLE_ARN)))
                    )
                })
                .collect();
            let mut message = format!(
                "domain {domain} has no kinesis target writing to {stream} in {} (account {})",
                dest.region, dest.account
            );
            if !near.is_empty() {
                message.push_str(&format!("; it has {}", near.join(", ")));
            }
            out.push(fail("buzz.target", message, SETUP_FIX));
        }
        [(_, t)] if !wire::as_bool(t.get(wire::ENABLED)) => out.push(fail(
            "buzz.target",
            format!(
                "the kinesis target for {stream} on domain {domain} is disabled: Buzz sends no events"
            ),
            SETUP_FIX,
        )),
        [(_, t)] => {
            let drift = target_drift(wanted, t);
            if drift.is_empty() {
                out.push(pass(
                    "buzz.target",
                    format!("domain {domain} sends to {stream} (enabled)"),
                ));
            } else {
                out.push(fail(
                    "buzz.target",
                    format!(
                        "the kinesis target for {stream} on domain {domain} differs: {}",
                        drift.join("; ")
                    ),
                    SETUP_FIX,
                ));
            }
        }
        many => out.push(fail(
            "buzz.target",
            format!(
                "{} kinesis targets of domain {domain} write to {stream}, so events are delivered {} times: {}",
                many.len(),
                many.len(),
                many.iter()
                    .map(|(_, t)| wire::describe_saved(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("{SETUP_FIX}: it keeps the first and removes the others"),
        )),
    }
    out
}

/// How a saved target differs from the wanted one, in words (the role and the filters; the
/// title is the user's to change, and the destination already matched).
fn target_drift(wanted: &KinesisTarget, saved: &Value) -> Vec<String> {
    let mut drift = Vec::new();
    let role = wire::as_text(saved.get(wire::ROLE_ARN));
    if role != wanted.role_arn {
        drift.push(format!(
            "it uses role {}, not {}",
            outside(&role),
            wanted.role_arn
        ));
    }
    let probe = KinesisTarget {
        title: wire::as_text(saved.get(wire::TITLE)),
        enabled: wire::as_bool(saved.get(wire::ENABLED)),
        role_arn: role,
        ..wanted.clone()
    };
    if !probe.is_satisfied_by(saved) {
        let events = if wanted.filters.is_empty() {
            "every event".to_owned()
        } else {
            wanted
                .filters
                .iter()
                .map(|f| f.event_type.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        drift.push(format!(
            "its event filters are not the wanted ones ({events})"
        ));
    }
    drift
}

/// `--probe` before any call: `Some(row)` when there is nothing to probe.
pub fn probe_precondition(
    wanted: Option<&KinesisTarget>,
    config: &Map<String, Value>,
    stream_exists: bool,
) -> Option<Check> {
    let Some(t) = wanted else {
        return Some(fail("buzz.probe", "no Buzz target to probe", SETUP_FIX));
    };
    if wire::find_target(config, &t.destination()).is_none() || !stream_exists {
        return Some(fail(
            "buzz.probe",
            "nothing to probe: the stream or the saved Buzz target is missing",
            SETUP_FIX,
        ));
    }
    None
}

/// `--probe`: Buzz refused the test with `code` (`hint` says why, from `buzz::answer`).
pub fn probe_test_failed(code: &str, message: &str, error_id: Option<&str>, hint: String) -> Check {
    fail(
        "buzz.probe",
        format!(
            "Buzz's test failed: {}: {}{}",
            outside(code),
            outside(message),
            error_id
                .map(|id| format!(" (errorId {})", outside(id)))
                .unwrap_or_default()
        ),
        hint,
    )
}

/// `--probe`: the probe event (`guid`) arrived in `stream` after `seconds`.
pub fn probe_arrived(guid: &str, stream: &str, seconds: f64) -> Check {
    pass(
        "buzz.probe",
        format!(
            "Buzz assumed the role and its probe (guid {}) arrived in {stream} after {seconds:.1} s",
            outside(guid)
        ),
    )
}

/// `check --buzz-only --probe`: Buzz's test passed. Buzz assumed the role and wrote its probe
/// into the stream before it answered OK, which proves the path; reading the probe back would
/// need AWS access.
pub fn probe_test_passed(stream: &str) -> Check {
    pass(
        "buzz.probe",
        format!(
            "Buzz's test passed: Buzz assumed the role and wrote its probe into {stream} (not read back: --buzz-only has no AWS access)"
        ),
    )
}

/// `--probe`: Buzz accepted the test but nothing arrived within `waited_seconds`.
pub fn probe_timed_out(stream: &str, waited_seconds: u64) -> Check {
    fail(
        "buzz.probe",
        format!(
            "Buzz accepted the test, but no probe arrived in {stream} within {waited_seconds} s"
        ),
        "check that the target's region and stream name match this stream",
    )
}

/// What `check` could read of the stream's CloudWatch metrics.
#[derive(Debug, Clone)]
pub enum MetricsRead {
    /// The window and how it is said ("24 h").
    Window(crate::metrics::Window, String),
    /// GetMetricData failed (most often: the permission is missing).
    Unavailable { code: String, message: String },
    /// No stream to read.
    Skipped,
}

fn utc(t: i64) -> String {
    aws_smithy_types::DateTime::from_secs(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| t.to_string())
}

/// The capacity a measured peak needs, as the command that sets it.
fn capacity_fix(peak: Option<&crate::metrics::Peak>, on_demand_now: bool) -> String {
    let Some(p) = peak else {
        return "raise the stream's capacity: `buzz-kinesis setup --capacity-mode provisioned --shards N` (each shard takes 1,000 records/s and 1 MB/s)".into();
    };
    let load = Load {
        events_per_second: p.demand_per_second,
        avg_event_bytes: if p.avg_record_bytes > 0.0 {
            p.avg_record_bytes
        } else {
            1000.0
        },
    };
    let advice = sizing::advise(load);
    let shards = load.shards_needed();
    match advice.recommendation {
        // An on-demand stream throttles when traffic more than doubles its recent peak within
        // minutes: provisioning for the measured peak is the cure.
        sizing::Recommendation::OnDemand if on_demand_now => format!(
            "the peak was {:.0} records/s: on-demand throttles when traffic doubles faster than it scales, so provision for the peak: `buzz-kinesis setup --capacity-mode provisioned --shards {}`",
            p.demand_per_second,
            shards.max(ON_DEMAND_MIN_SHARDS)
        ),
        sizing::Recommendation::OnDemand => format!(
            "the peak was {:.0} records/s: `buzz-kinesis setup --capacity-mode on-demand` ({})",
            p.demand_per_second, advice.why
        ),
        sizing::Recommendation::Provisioned { shards } => format!(
            "the peak was {:.0} records/s: `buzz-kinesis setup --capacity-mode provisioned --shards {shards}` ({})",
            p.demand_per_second, advice.why
        ),
    }
}

/// An on-demand stream starts with the capacity of 4 shards; provisioning below that would
/// lower it.
const ON_DEMAND_MIN_SHARDS: u32 = 4;

/// Lost events, read from CloudWatch: writes Kinesis refused (a failure: those events are
/// most likely lost), the busiest minute against capacity, and a window with no traffic at
/// all while Buzz's target is enabled. A missing permission is one warning, not a failure.
pub fn metrics_rows(
    read: &MetricsRead,
    stream: Option<&StreamState>,
    target_enabled: bool,
) -> Vec<Check> {
    use crate::metrics;
    let (w, label) = match read {
        MetricsRead::Skipped => return Vec::new(),
        MetricsRead::Unavailable { code, message } => {
            return vec![warn(
                "stream.metrics",
                format!("the stream's CloudWatch metrics could not be read: {code}: {message}"),
                "allow cloudwatch:GetMetricData to the identity running check, so it can tell whether events were lost",
            )]
        }
        MetricsRead::Window(w, label) => (w, label),
    };
    let mut out = Vec::new();
    let refused = metrics::refused(w);
    let peak = metrics::peak(w);
    let (bucket, line, marks) = metrics::sparkline(w);
    let unit = if bucket == 3600 { "hour" } else { "day" };
    let mut picture = vec![
        format!(
            "records per {unit}, oldest first ({} to {}):",
            utc(w.start),
            utc(w.end)
        ),
        format!("|{line}|"),
    ];
    if refused.total() > 0 {
        picture.push(format!(" {marks}  ! = writes refused"));
    }
    let on_demand = stream.is_some_and(|s| s.capacity == Some(Capacity::OnDemand));
    let data = serde_json::json!({
        "window_seconds": w.end - w.start,
        "period_seconds": w.period,
        "incoming_records": metrics::incoming_records(w),
        "refused": refused,
        "peak": peak,
    });
    if refused.total() > 0 {
        out.push(
            fail(
                "stream.refused",
                format!(
                    "Kinesis refused {} write(s) in the last {label} ({} throttled, {} failed), {}: Buzz does not retry beyond its SDK, so these events were most likely lost",
                    refused.total(),
                    refused.throttled,
                    refused.failed,
                    match (refused.first, refused.last) {
                        (Some(a), Some(b)) if a != b => format!(
                            "between {} and {} ({} minute(s) with refusals)",
                            utc(a),
                            utc(b),
                            refused.periods
                        ),
                        (Some(a), _) => format!("at {}", utc(a)),
                        _ => String::new(),
                    }
                ),
                capacity_fix(peak.as_ref(), on_demand),
            )
            .with_detail(picture.clone())
            .with_data(data.clone()),
        );
    } else {
        out.push(
            pass(
                "stream.refused",
                format!("Kinesis refused no writes in the last {label}"),
            )
            .with_detail(picture)
            .with_data(data),
        );
    }
    if let (Some(p), Some((capacity, open))) = (
        &peak,
        stream.and_then(|s| s.capacity.map(|c| (c, s.open_shards))),
    ) {
        let (records, bytes) = sizing::limits(capacity, open);
        let used = metrics::utilisation(p, records, bytes);
        let message = format!(
                "the busiest minute ({}) carried {:.1} records/s and {:.1} KB/s: {:.0} % of the stream's {capacity} capacity ({:.0} records/s, {:.0} KB/s)",
                utc(p.at),
                p.records_per_second,
                p.bytes_per_second / 1000.0,
                100.0 * used,
                records,
                bytes / 1000.0
            );
        if used >= metrics::HEADROOM_WARNING {
            out.push(warn(
                "stream.headroom",
                message,
                capacity_fix(Some(p), on_demand),
            ));
        } else {
            out.push(pass("stream.headroom", message));
        }
    }
    if metrics::incoming_records(w) == 0 && refused.total() == 0 {
        if target_enabled {
            out.push(warn(
                "stream.traffic",
                format!("no records arrived in the last {label}, although Buzz's target is enabled: Buzz may not be writing"),
                "run `buzz-kinesis check --probe` to see whether Buzz can write; if it can, the domain may simply have been quiet",
            ));
        }
    } else {
        out.push(pass(
            "stream.traffic",
            format!(
                "{} record(s) arrived in the last {label}",
                metrics::incoming_records(w)
            ),
        ));
    }
    out
}

/// The alarm on refused writes: missing (a failure when asked for with `--alarm-*`, else a
/// suggestion), firing, or watching.
pub fn alarm_rows(
    alarm: Option<&crate::state::AlarmState>,
    asked: bool,
    stream: &str,
) -> Vec<Check> {
    let name = crate::state::alarm::name(stream);
    vec![match alarm {
        None if asked => fail("alarm", format!("there is no alarm {name} on refused writes"), SETUP_FIX),
        None => warn(
            "alarm",
            "no alarm tells anyone when Kinesis refuses Buzz's writes (events lost)",
            "`buzz-kinesis setup --alarm-email you@example.edu` adds one (the address confirms a mail from AWS)",
        ),
        Some(a) if a.state == "ALARM" => fail(
            "alarm",
            format!("the alarm {} is in ALARM: Kinesis refused writes in its last minute", a.name),
            "see stream.refused for the capacity the peak needs",
        ),
        Some(a) => pass(
            "alarm",
            format!("the alarm {} watches for refused writes ({})", a.name, if a.state.is_empty() { "no state yet" } else { a.state.as_str() }),
        ),
    }]
}

/// What `check` could read of who writes into the stream.
#[derive(Debug, Clone)]
pub enum WritersRead {
    Sample {
        writers: crate::events::Writers,
        /// Some shard held more records in the window than the sample took.
        truncated: bool,
        label: String,
    },
    /// GetRecords (or its iterator) failed, most often for a missing permission.
    Unavailable {
        code: String,
        message: String,
    },
    Skipped,
}

/// Who writes into the stream, from a sample of its recent records: events of a domain other
/// than the configured one (or those named with `--expect-domain`) are a warning. Any Buzz
/// tenant can name a role it can guess in its own configuration, and Buzz's servers assume it
/// from Agilix's account (the confused deputy) unless the trust requires an external id.
///
/// `expected` empty: the configured domain is a `//userspace` path, whose numeric id events
/// carry but this tool cannot know; then several domains in the sample are a warning.
pub fn writer_rows(read: &WritersRead, expected: &[String]) -> Vec<Check> {
    let (w, truncated, label) = match read {
        WritersRead::Skipped => return Vec::new(),
        WritersRead::Unavailable { code, message } => {
            return vec![warn(
                "stream.writers",
                format!(
                    "the stream's records could not be read to see who writes: {}: {}",
                    outside(code),
                    outside(message)
                ),
                "allow kinesis:ListShards, kinesis:GetShardIterator and kinesis:GetRecords to the identity running check",
            )]
        }
        WritersRead::Sample { writers, truncated, label } => (writers, *truncated, label),
    };
    let listed = |filter: &dyn Fn(&str) -> bool| -> Vec<String> {
        w.by_domain
            .iter()
            .filter(|(d, _)| filter(d))
            // Domain ids as the records carry them: outside text.
            .map(|(d, n)| format!("{} ({n} event(s))", outside(d)))
            .collect()
    };
    let foreign = if expected.is_empty() {
        if w.by_domain.len() > 1 {
            listed(&|_| true)
        } else {
            Vec::new()
        }
    } else {
        listed(&|d| !expected.iter().any(|e| e == d))
    };
    let yours = if expected.is_empty() {
        "one domain".to_owned()
    } else {
        expected.join(", ")
    };
    let sampled = format!(
        "{} event(s) sampled from the last {label}{}",
        w.events,
        if truncated {
            ", the most a shard gives in one look"
        } else {
            ""
        }
    );
    let others = if w.not_buzz > 0 {
        format!("; {} record line(s) were not Buzz events", w.not_buzz)
    } else {
        String::new()
    };
    let data = serde_json::json!({"by_domain": w.by_domain, "not_buzz": w.not_buzz, "events": w.events, "truncated": truncated, "expected": expected});
    let row = if foreign.is_empty() {
        pass(
            "stream.writers",
            if w.events == 0 {
                format!("{sampled}{others}")
            } else {
                format!(
                    "{sampled}: every one from {}{others}",
                    if expected.is_empty() {
                        format!(
                            "domain {}",
                            w.by_domain
                                .keys()
                                .map(|d| outside(d).to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else {
                        format!("domain {yours}")
                    }
                )
            },
        )
    } else {
        warn(
            "stream.writers",
            format!(
                "{sampled}: events from domain(s) other than {yours}: {}{others}. If you do not recognise these domains, another Buzz tenant may be writing into your stream",
                foreign.join(", ")
            ),
            "ask Agilix for an external id and pass it with --external-id, so only your Buzz configuration can use the role; name each domain that is yours with --expect-domain ID",
        )
    };
    vec![row.with_data(data)]
}

#[cfg(test)]
mod half_tests {
    use super::*;
    use crate::state::Half;

    #[test]
    fn skipped_rows_name_the_other_half_and_never_fail() {
        let aws = skipped_rows(Half::Aws, true, "buzz-kinesis check --buzz-only ...");
        let ids: Vec<_> = aws.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["buzz.target", "buzz.probe"]);
        assert!(aws.iter().all(|c| c.status == Status::Skip));
        assert!(aws[0].fix.as_deref().unwrap().contains("--buzz-only"));
        assert!(!any_failed(&aws));
        let buzz = skipped_rows(Half::Buzz, true, "x");
        assert!(
            buzz.iter().any(|c| c.id == "role.exists")
                && !buzz.iter().any(|c| c.id == "buzz.probe")
        );
        assert!(skipped_rows(Half::Both, true, "x").is_empty());
        assert_eq!(serde_json::to_value(Status::Skip).unwrap(), "skip");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::KmsKey;
    use crate::names::{AccountId, EventFilter};
    use crate::policy::{trust_policy, write_policy};
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::time::SystemTime;

    const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";
    const AGILIX: &str = "111122223333";

    fn expect() -> Expect {
        Expect {
            retention: RetentionHours::DEFAULT,
            encryption: Encryption::Default,
            agilix_root: format!("arn:aws:iam::{AGILIX}:root"),
            external_id: None,
            load: None,
        }
    }

    fn stream() -> StreamState {
        StreamState {
            arn: STREAM_ARN.into(),
            status: StreamStatus::Active,
            capacity: Some(Capacity::OnDemand),
            open_shards: 4,
            retention: RetentionHours::DEFAULT,
            kms_key: Some("alias/aws/kinesis".into()),
            tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
        }
    }

    fn agilix() -> AccountId {
        AccountId::parse("--agilix-account", AGILIX).unwrap()
    }

    fn role() -> RoleState {
        RoleState {
            arn: ROLE_ARN.into(),
            max_session: MAX_SESSION_SECONDS,
            trust: trust_policy(&agilix(), None),
            tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
            policy: None,
            created: SystemTime::UNIX_EPOCH,
            boundary: None,
        }
    }

    fn wanted() -> KinesisTarget {
        KinesisTarget {
            title: "Kinesis: buzz-events".into(),
            enabled: true,
            stream: "buzz-events".into(),
            role_arn: ROLE_ARN.into(),
            region: "us-east-1".into(),
            filters: vec![],
        }
    }

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn saved(enabled: bool) -> Value {
        json!({"title": "Kinesis: buzz-events", "enabled": enabled, "targetKinesisStream": "buzz-events",
               "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
    }

    /// `id status` of each row, for table tests.
    fn verdicts(checks: &[Check]) -> Vec<(&'static str, Status)> {
        checks.iter().map(|c| (c.id, c.status)).collect()
    }

    #[test]
    fn stream_rows_over_states() {
        use Status::*;
        let e = expect();
        let missing = stream_rows("buzz-events", "us-east-1", None, &e);
        assert_eq!(verdicts(&missing), [("stream.exists", Fail)]);
        assert!(missing[0].message.contains("us-east-1"));

        let healthy = stream_rows("buzz-events", "us-east-1", Some(&stream()), &e);
        assert!(healthy.iter().all(|c| c.status == Pass), "{healthy:?}");
        assert_eq!(healthy.len(), 4);

        let mut deleting = stream();
        deleting.status = StreamStatus::Deleting;
        let rows = stream_rows("buzz-events", "us-east-1", Some(&deleting), &e);
        assert_eq!(verdicts(&rows), [("stream.exists", Fail)]);

        let mut updating = stream();
        updating.status = StreamStatus::from_aws("UPDATING");
        let rows = stream_rows("buzz-events", "us-east-1", Some(&updating), &e);
        assert_eq!(rows[0].status, Warn);

        let mut long = expect();
        long.retention = RetentionHours::parse("--retention-hours", "168").unwrap();
        let rows = stream_rows("buzz-events", "us-east-1", Some(&stream()), &long);
        assert_eq!(rows[1].status, Fail);
        assert!(rows[1].message.contains("below the requested 168 h"));

        let mut kms = expect();
        kms.encryption = Encryption::Key(
            KmsKey::parse(
                "--kms-key",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )
            .unwrap(),
        );
        let rows = stream_rows("buzz-events", "us-east-1", Some(&stream()), &kms);
        assert_eq!((rows[2].id, rows[2].status), ("stream.encryption", Fail));

        let mut busy = expect();
        busy.load = Some(Load {
            events_per_second: 50_000.0,
            avg_event_bytes: 1000.0,
        });
        let mut small = stream();
        small.capacity = Some(Capacity::Provisioned(
            crate::names::ShardCount::parse("--shards", "1").unwrap(),
        ));
        let rows = stream_rows("buzz-events", "us-east-1", Some(&small), &busy);
        assert_eq!((rows[3].id, rows[3].status), ("stream.capacity", Warn));
    }

    #[test]
    fn an_unencrypted_stream_warns_with_the_fix_unless_the_user_opted_out() {
        use Status::*;
        let mut plain = stream();
        plain.kms_key = None;
        let row = |e: &Expect, s: &StreamState| {
            stream_rows("buzz-events", "us-east-1", Some(s), e)
                .into_iter()
                .find(|c| c.id == "stream.encryption")
                .unwrap()
        };
        let mut e = expect();
        let warned = row(&e, &plain);
        assert_eq!(warned.status, Warn);
        assert!(
            warned.message.contains("not encrypted at rest"),
            "{warned:?}"
        );
        assert!(
            warned
                .fix
                .as_deref()
                .unwrap()
                .contains("--kms-key alias/aws/kinesis"),
            "{warned:?}"
        );
        // Any key passes when none was named; the named key must be the stream's.
        assert_eq!(row(&e, &stream()).status, Pass);
        e.encryption = Encryption::Off;
        let opted_out = row(&e, &plain);
        assert_eq!(opted_out.status, Pass);
        assert!(opted_out.message.contains("--no-encryption"));
        e.encryption = Encryption::Key(KmsKey::parse("--kms-key", "alias/aws/kinesis").unwrap());
        assert_eq!(row(&e, &stream()).status, Pass);
        assert_eq!(row(&e, &plain).status, Fail);
    }

    #[test]
    fn role_rows_over_states() {
        use Status::*;
        let e = expect();
        let docs = [write_policy(STREAM_ARN, None)];
        assert_eq!(
            verdicts(&role_rows(
                "BuzzKinesisWriter",
                STREAM_ARN,
                None,
                &Grants::identity(&docs),
                &e
            )),
            [("role.exists", Fail)]
        );

        let healthy = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&role()),
            &Grants::identity(&docs),
            &e,
        );
        assert_eq!(
            verdicts(&healthy),
            [
                ("role.exists", Pass),
                // No external id: Agilix's procedure, but the guard is missing.
                ("role.trust", Warn),
                ("role.max_session", Pass),
                ("role.policy", Pass)
            ]
        );

        // Drifted: short sessions, no write grant.
        let mut drifted = role();
        drifted.max_session = 3600;
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&drifted),
            &Grants::default(),
            &e,
        );
        assert_eq!(rows[2].status, Fail);
        assert!(rows[2]
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("--max-session-duration 43200"));
        assert_eq!((rows[3].id, rows[3].status), ("role.policy", Fail));
        assert!(rows[3].message.contains("no Allow"));

        // Trust missing Agilix's account, admitting someone else instead.
        let mut other = role();
        other.trust = trust_policy(
            &AccountId::parse("--agilix-account", "444455556666").unwrap(),
            None,
        );
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&other),
            &Grants::identity(&docs),
            &e,
        );
        assert_eq!(rows[1].status, Fail);
        assert!(
            rows[1].message.contains("does not admit Agilix's account")
                && rows[1].message.contains("444455556666"),
            "{}",
            rows[1].message
        );

        // With the external id asked for and required: a pass.
        let ext = ExternalId::parse("--external-id", "abc-123").unwrap();
        let mut guarded = role();
        guarded.trust = trust_policy(&agilix(), Some(&ext));
        let mut e2 = expect();
        e2.external_id = Some(ext);
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&guarded),
            &Grants::identity(&docs),
            &e2,
        );
        assert_eq!(rows[1].status, Pass);
        // Asked for, but the trust does not require it.
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&role()),
            &Grants::identity(&docs),
            &e2,
        );
        assert_eq!(rows[1].status, Fail);

        // Wider grants than needed: a warning.
        let wide = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]});
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&role()),
            &Grants::identity(&[wide]),
            &e,
        );
        assert_eq!(rows[3].status, Warn);
    }

    #[test]
    fn the_policy_row_weighs_the_permission_boundary_and_the_kms_condition() {
        use crate::policy::NamedPolicy;
        use Status::*;
        let e = expect();
        let ours = NamedPolicy {
            name: "inline:buzz-kinesis-write".into(),
            document: write_policy(STREAM_ARN, None),
        };
        let bounded = |boundary: Value| Grants {
            identity: vec![ours.clone()],
            boundary: Some(NamedPolicy {
                name: "arn:aws:iam::123456789012:policy/limits".into(),
                document: boundary,
            }),
        };
        let row = |g: &Grants, e: &Expect| {
            role_rows("BuzzKinesisWriter", STREAM_ARN, Some(&role()), g, e)[3].clone()
        };
        // A boundary without kinesis:PutRecord: FAIL, naming the boundary.
        let r = row(
            &bounded(
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            ),
            &e,
        );
        assert_eq!(r.status, Fail, "{}", r.message);
        assert!(
            r.message
                .contains("permission boundary arn:aws:iam::123456789012:policy/limits"),
            "{}",
            r.message
        );
        // A boundary with an explicit deny: FAIL.
        let r = row(
            &bounded(json!({"Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "kinesis:Put*", "Resource": "*"}]})),
            &e,
        );
        assert_eq!(r.status, Fail);
        assert!(r.message.contains("explicit Deny"), "{}", r.message);
        // A boundary that leaves the writes in: PASS.
        let r = row(
            &bounded(
                json!({"Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}),
            ),
            &e,
        );
        assert_eq!(r.status, Pass, "{}", r.message);

        // A customer-managed key: the grant passes with kms:ViaService and without it.
        let key = "arn:aws:kms:us-east-1:123456789012:key/k";
        let mut ek = expect();
        ek.encryption = Encryption::Key(KmsKey::parse("--kms-key", key).unwrap());
        let with_via = Grants::identity(&[write_policy(STREAM_ARN, Some(key))]);
        assert_eq!(
            row(&with_via, &ek).status,
            Pass,
            "{}",
            row(&with_via, &ek).message
        );
        let mut bare = write_policy(STREAM_ARN, Some(key));
        bare["Statement"][1]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        let without = Grants::identity(&[bare]);
        assert_eq!(
            row(&without, &ek).status,
            Pass,
            "{}",
            row(&without, &ek).message
        );
        // Limited to another service: Kinesis may not use it.
        let mut s3 = write_policy(STREAM_ARN, Some(key));
        s3["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] =
            json!("s3.us-east-1.amazonaws.com");
        assert_eq!(row(&Grants::identity(&[s3]), &ek).status, Fail);
    }

    #[test]
    fn buzz_rows_over_states() {
        use Status::*;
        let healthy = buzz_rows(
            "424242",
            &wanted(),
            &config(json!({"kinesis": [saved(true)]})),
        );
        assert_eq!(verdicts(&healthy), [("buzz.target", Pass)]);

        // Missing, but one for the same stream elsewhere is named.
        let elsewhere = json!({"title": "eu", "targetKinesisStream": "buzz-events", "roleArn": ROLE_ARN, "targetRegion": "eu-west-1"});
        let rows = buzz_rows(
            "424242",
            &wanted(),
            &config(json!({"kinesis": [elsewhere]})),
        );
        assert_eq!(verdicts(&rows), [("buzz.target", Fail)]);
        assert!(rows[0].message.contains("it has") && rows[0].message.contains("eu-west-1"));

        let rows = buzz_rows(
            "424242",
            &wanted(),
            &config(json!({"kinesis": [saved(false)]})),
        );
        assert!(rows[0].message.contains("disabled"));

        // Duplicates deliver twice.
        let rows = buzz_rows(
            "424242",
            &wanted(),
            &config(json!({"kinesis": [saved(true), saved(true)]})),
        );
        assert_eq!(rows[0].status, Fail);
        assert!(rows[0].message.contains("delivered 2 times"));

        // Drifted role and filters.
        let mut w = wanted();
        w.filters = vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()];
        let mut drifted = saved(true);
        drifted["roleArn"] = json!("arn:aws:iam::123456789012:role/Other");
        let rows = buzz_rows("424242", &w, &config(json!({"kinesis": [drifted]})));
        assert_eq!(rows[0].status, Fail);
        assert!(
            rows[0].message.contains("it uses role")
                && rows[0].message.contains("UserEntityCreated"),
            "{}",
            rows[0].message
        );

        // Targets under a key this tool does not know.
        let rows = buzz_rows(
            "424242",
            &wanted(),
            &config(
                json!({"kinesis": [saved(true)], "kinesisStreams": [{"targetKinesisStream": "x"}]}),
            ),
        );
        assert_eq!(
            verdicts(&rows),
            [("buzz.answer", Fail), ("buzz.target", Pass)]
        );
    }

    #[test]
    fn probe_verdicts() {
        let cfg = config(json!({"kinesis": [saved(true)]}));
        assert!(probe_precondition(Some(&wanted()), &cfg, true).is_none());
        assert!(probe_precondition(Some(&wanted()), &cfg, false).is_some());
        assert!(probe_precondition(None, &cfg, true).is_some());
        assert_eq!(probe_arrived("g", "s", 1.25).status, Status::Pass);
        assert!(
            crate::text::unmark(&probe_test_failed("X", "m", Some("e1"), "h".into()).message)
                .ends_with("(errorId e1)")
        );
        assert!(probe_timed_out("s", 30).message.contains("30 s"));
    }

    #[test]
    fn detail_is_for_people_and_data_for_machines() {
        let c = pass("x", "m")
            .with_detail(vec!["▁▂▃".into()])
            .with_data(json!({"n": 1}));
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({"id": "x", "status": "pass", "message": "m", "fix": null, "data": {"n": 1}})
        );
        let v = serde_json::to_value(pass("x", "m")).unwrap();
        assert!(v.get("data").is_none());
    }
}
