//! `buzz-kinesis check`: a read-only checklist of an existing setup, each line pass, warn or
//! fail with the fix in one sentence. It reads exactly what setup reads (plus every policy on
//! the role, evaluated together as IAM would), and with `--probe` proves the path end to end:
//! Buzz's test with the saved configuration, then the probe event read back from the stream.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::iam::NamedPolicy;
use crate::aws::kinesis::StartAt;
use crate::buzz::answer::{self, classify_set_failure, SetFailure};
use crate::buzz::wire;
use crate::calls::CallLog;
use crate::cli::{CheckArgs, Output};
use crate::commands::setup::{observe, Observed};
use crate::error::{Error, Result};
use crate::events::{self, Item};
use crate::names::{ExternalId, KmsKey, RetentionHours};
use crate::plan::MAX_SESSION_SECONDS;
use crate::policy::{self, Decision};
use crate::sizing::{self, Capacity, Load};
use crate::spec::{self, SetupSpec};
use crate::state::{arn, StreamStatus};
use crate::ui::Progress;
use crate::{report, ExitCode};

/// How long `--probe` waits for Buzz's probe to show up in the stream.
const PROBE_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub message: String,
    pub fix: Option<String>,
}

fn pass(id: &'static str, message: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Pass,
        message: message.into(),
        fix: None,
    }
}
fn warn(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Warn,
        message: message.into(),
        fix: Some(fix.into()),
    }
}
fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Fail,
        message: message.into(),
        fix: Some(fix.into()),
    }
}

/// What the checks compare against, from the same flags setup takes.
struct Expect {
    retention: RetentionHours,
    kms_key: Option<KmsKey>,
    agilix_root: String,
    external_id: Option<ExternalId>,
    load: Option<Load>,
}

/// The `check` command.
pub async fn run(args: &CheckArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let interactive = spec::interactive(args.yes);
    let spec = SetupSpec::from_args(&args.target, &args.desired, interactive)?;
    let progress = Progress::new(output == Output::Human && !quiet);
    let expect = Expect {
        retention: spec.retention,
        kms_key: spec.kms_key.clone(),
        agilix_root: arn::account_root(&spec.agilix_account),
        external_id: spec.external_id.clone(),
        load: spec.load,
    };
    let calls = CallLog::new();
    // check asks only for missing names and secrets; it never offers to pick a stream.
    let o = observe(spec, &calls, &progress, false, false).await?;
    let policies = match &o.actual.role {
        Some(_) => o.aws.role_policies(&o.desired.role).await?,
        None => Vec::new(),
    };

    let mut checks = Vec::new();
    stream_checks(&o, &expect, &mut checks);
    role_checks(&o, &expect, &policies, &mut checks);
    buzz_checks(&o, &mut checks);
    if args.probe {
        checks.push(probe(&o).await?);
    }
    report::print_checks(&o, &checks, output, &calls);
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    Ok(if failed {
        ExitCode::Changes
    } else {
        ExitCode::Ok
    })
}

const SETUP_FIX: &str = "run `buzz-kinesis setup` with the same flags";

fn stream_checks(o: &Observed, e: &Expect, out: &mut Vec<Check>) {
    let name = &o.desired.stream;
    let Some(s) = &o.actual.stream else {
        out.push(fail(
            "stream.exists",
            format!("there is no stream {name} in {}", o.aws.region),
            SETUP_FIX,
        ));
        return;
    };
    match &s.status {
        StreamStatus::Active => out.push(pass("stream.exists", format!("stream {name} is ACTIVE"))),
        StreamStatus::Deleting => {
            out.push(fail(
                "stream.exists",
                format!("stream {name} is being deleted"),
                "wait until it is gone, then run `buzz-kinesis setup`",
            ));
            return;
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
    match (&e.kms_key, &s.kms_key) {
        (Some(want), Some(have)) if want.as_str() == have => {
            out.push(pass("stream.encryption", format!("encrypted with {have}")))
        }
        (Some(want), have) => out.push(fail(
            "stream.encryption",
            format!("the stream is {} instead of {want}", have.as_deref().map(|h| format!("encrypted with {h}")).unwrap_or("not encrypted".into())),
            SETUP_FIX,
        )),
        (None, Some(have)) => out.push(pass("stream.encryption", format!("encrypted with {have}"))),
        (None, None) => out.push(pass("stream.encryption", "not encrypted at rest (pass --kms-key alias/aws/kinesis to encrypt at no extra permission)")),
    }
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
}

fn role_checks(o: &Observed, e: &Expect, policies: &[NamedPolicy], out: &mut Vec<Check>) {
    let d = &o.desired;
    let Some(r) = &o.actual.role else {
        out.push(fail(
            "role.exists",
            format!("there is no role {}", d.role),
            SETUP_FIX,
        ));
        return;
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

    let trusted = policy::trusted_principals(&r.trust);
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
        out.push(fail(
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
        ));
    } else if !others.is_empty() {
        out.push(fail(
            "role.trust",
            format!("the trust policy also admits {}", others.join(", ")),
            format!("{SETUP_FIX} (it trusts Agilix's account alone)"),
        ));
    } else if !agilix.iter().any(|(_, ext)| *ext == want_ext) {
        out.push(fail(
            "role.trust",
            match &want_ext {
                Some(x) => format!("the trust policy does not require the external id {x}"),
                None => "the trust policy requires an external id that was not given (pass --external-id if Agilix issued one)".into(),
            },
            SETUP_FIX,
        ));
    } else if want_ext.is_none() {
        out.push(warn(
            "role.trust",
            "the role trusts Agilix's account with no external id",
            "that is what Agilix's procedure describes; if Agilix issues you an external id, pass --external-id so that only your Buzz configuration can use this role (the confused-deputy guard)",
        ));
    } else {
        out.push(pass(
            "role.trust",
            "the role trusts Agilix's account alone, with your external id",
        ));
    }

    if r.max_session == MAX_SESSION_SECONDS {
        out.push(pass(
            "role.max_session",
            "MaxSessionDuration is 43200 s (12 h)",
        ));
    } else {
        out.push(fail(
            "role.max_session",
            format!("MaxSessionDuration is {} s; Buzz asks for 12-hour sessions, so its AssumeRole fails", r.max_session),
            format!("{SETUP_FIX} (or: aws iam update-role --role-name {} --max-session-duration 43200)", d.role),
        ));
    }

    let docs: Vec<Value> = policies.iter().map(|p| p.document.clone()).collect();
    let verdicts: Vec<(&str, Decision)> = ["kinesis:PutRecord", "kinesis:PutRecords"]
        .into_iter()
        .map(|a| (a, policy::evaluate(&docs, a, &d.stream_arn)))
        .collect();
    let mut kms_ok = true;
    if let Some(key) = e.kms_key.as_ref().filter(|k| k.is_customer_managed()) {
        kms_ok = policy::evaluate(&docs, "kms:GenerateDataKey", key.as_str()) == Decision::Allow;
    }
    if let Some((action, decision)) = verdicts.iter().find(|(_, v)| *v != Decision::Allow) {
        let why = match decision {
            Decision::ExplicitDeny => "an explicit Deny",
            _ => "no Allow",
        };
        out.push(fail(
            "role.policy",
            format!(
                "the role's policies do not allow {action} on {} ({why})",
                d.stream_arn
            ),
            format!("{SETUP_FIX}; remove any Deny that covers the stream"),
        ));
    } else if !kms_ok {
        out.push(fail(
            "role.policy",
            "the role may not use the stream's KMS key (kms:GenerateDataKey)",
            SETUP_FIX,
        ));
    } else {
        let mut resources = vec![d.stream_arn.as_str()];
        let mut actions: Vec<&str> = policy::WRITER_ACTIONS.to_vec();
        if let Some(k) = e.kms_key.as_ref().filter(|k| k.is_customer_managed()) {
            resources.push(k.as_str());
            actions.push("kms:GenerateDataKey");
        }
        let wider = policy::wider_grants(&docs, &actions, &resources);
        if wider.is_empty() {
            out.push(pass(
                "role.policy",
                format!("the role may write to {} and nothing else", d.stream_arn),
            ));
        } else {
            out.push(warn(
                "role.policy",
                format!(
                    "the role may write to the stream, but its grants are wider than needed: {}",
                    wider.join("; ")
                ),
                "remove the extra grants: Agilix's account can use everything this role allows",
            ));
        }
    }
}

fn buzz_checks(o: &Observed, out: &mut Vec<Check>) {
    let d = &o.desired;
    let Some(b) = &d.buzz else { return };
    let config = o.actual.buzz.clone().unwrap_or_default();
    let unknown = wire::unexpected_target_keys(&config);
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
    let dest = b.target.destination();
    let writing = wire::targets_writing_to(&config, &dest);
    match writing.as_slice() {
        [] => {
            // A target naming our stream in another region or account is not ours, but it
            // is most likely the mistake.
            let near: Vec<String> = wire::as_list(config.get(wire::KINESIS))
                .iter()
                .filter(|t| wire::as_text(t.get(wire::STREAM)) == d.stream)
                .map(|t| {
                    format!(
                        "{} (region {}, role {})",
                        wire::describe_saved(t),
                        wire::as_text(t.get(wire::REGION)),
                        wire::as_text(t.get(wire::ROLE_ARN))
                    )
                })
                .collect();
            let message = if near.is_empty() {
                format!(
                    "domain {} has no kinesis target writing to {} in {} (account {})",
                    b.domain, d.stream, dest.region, dest.account
                )
            } else {
                format!(
                    "domain {} has no kinesis target writing to {} in {} (account {}); it has {}",
                    b.domain,
                    d.stream,
                    dest.region,
                    dest.account,
                    near.join(", ")
                )
            };
            out.push(fail("buzz.target", message, SETUP_FIX));
        }
        [(_, t)] if !wire::as_bool(t.get(wire::ENABLED)) => out.push(fail(
            "buzz.target",
            format!(
                "the kinesis target for {} on domain {} is disabled: Buzz sends no events",
                d.stream, b.domain
            ),
            SETUP_FIX,
        )),
        [(_, t)] => {
            let drift = target_drift(&b.target, t);
            if drift.is_empty() {
                out.push(pass(
                    "buzz.target",
                    format!("domain {} sends to {} (enabled)", b.domain, d.stream),
                ));
            } else {
                out.push(fail(
                    "buzz.target",
                    format!(
                        "the kinesis target for {} on domain {} differs: {}",
                        d.stream,
                        b.domain,
                        drift.join("; ")
                    ),
                    SETUP_FIX,
                ));
            }
        }
        many => out.push(fail(
            "buzz.target",
            format!(
                "{} kinesis targets of domain {} write to {}, so events are delivered {} times: {}",
                many.len(),
                b.domain,
                d.stream,
                many.len(),
                many.iter()
                    .map(|(_, t)| wire::describe_saved(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("{SETUP_FIX}: it keeps the first and removes the others"),
        )),
    }
}

/// How a saved target differs from the wanted one, in words (the role and the filters; the
/// title is the user's to change, and the destination already matched).
fn target_drift(wanted: &wire::KinesisTarget, saved: &Value) -> Vec<String> {
    let mut drift = Vec::new();
    let role = wire::as_text(saved.get(wire::ROLE_ARN));
    if role != wanted.role_arn {
        drift.push(format!("it uses role {role}, not {}", wanted.role_arn));
    }
    let probe = wire::KinesisTarget {
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
        drift.push(format!("its event filters are not the wanted ones ({events})"));
    }
    drift
}

/// Buzz's own test with the saved configuration, unchanged (so even if `test: true` were to
/// save, it would save what is already there), then wait for the probe in the stream.
async fn probe(o: &Observed) -> Result<Check> {
    let d = &o.desired;
    let Some(b) = &d.buzz else {
        return Ok(fail("buzz.probe", "no Buzz target to probe", SETUP_FIX));
    };
    let config = o.actual.buzz.clone().unwrap_or_default();
    if wire::find_target(&config, &b.target.destination()).is_none() || o.actual.stream.is_none()
    {
        return Ok(fail(
            "buzz.probe",
            "nothing to probe: the stream or the saved Buzz target is missing",
            SETUP_FIX,
        ));
    }
    // Iterators made before the test see every record written after it.
    let mut iterators = Vec::new();
    for shard in o.aws.list_shards(&d.stream).await? {
        iterators.push(
            o.aws
                .shard_iterator(&d.stream, &shard, StartAt::Latest)
                .await?,
        );
    }
    let domain = &b.domain;
    if let Err(e) = o.buzz.set_config(domain, &config, true).await {
        return match e {
            Error::Buzz {
                ref code,
                ref message,
                ref error_id,
                ..
            } if classify_set_failure(code) == SetFailure::TargetTest => Ok(fail(
                "buzz.probe",
                format!(
                    "Buzz's test failed: {code}: {message}{}",
                    error_id
                        .as_ref()
                        .map(|id| format!(" (errorId {id})"))
                        .unwrap_or_default()
                ),
                answer::test_failure_hint(
                    code,
                    message,
                    &config,
                    &b.target.destination(),
                    &b.target.role_arn,
                    d.trust.pointer("/Statement/0/Condition").is_some(),
                ),
            )),
            other => Err(other),
        };
    }
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    while start.elapsed() < PROBE_WAIT {
        for it in iterators.iter_mut() {
            let page = o.aws.get_records(it).await?;
            if let Some(next) = page.next {
                *it = next;
            }
            let found = page
                .records
                .iter()
                .flat_map(|r| events::decode(r))
                .find_map(|item| match item {
                    Item::Event(ev)
                        if events::event_type(&ev) == "ValidateDataStreamConfiguration" =>
                    {
                        Some(ev)
                    }
                    _ => None,
                });
            if let Some(ev) = found {
                return Ok(pass(
                    "buzz.probe",
                    format!(
                        "Buzz assumed the role and its probe (guid {}) arrived in {} after {:.1} s",
                        ev.get("guid").and_then(Value::as_str).unwrap_or("?"),
                        d.stream,
                        start.elapsed().as_secs_f64()
                    ),
                ));
            }
        }
        tokio::time::sleep(delay).await;
        // GetRecords allows 5 calls/s per shard.
        delay = (delay * 3 / 2).min(Duration::from_secs(1));
    }
    Ok(fail(
        "buzz.probe",
        format!(
            "Buzz accepted the test, but no probe arrived in {} within {} s",
            d.stream,
            PROBE_WAIT.as_secs()
        ),
        "check that the target's region and stream name match this stream",
    ))
}
