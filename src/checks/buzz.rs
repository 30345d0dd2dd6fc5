//! The Buzz target's rows, and `--probe`'s verdicts (its I/O lives in the command).

use serde_json::{Map, Value};

use crate::buzz::wire::{self, KinesisTarget};
use crate::text::outside;

use super::*;

/// The domain's Buzz configuration (`config`, as saved): Buzz's answer holds no targets
/// under a key this tool does not know, and exactly one enabled kinesis target writes to our
/// stream, as `wanted` describes it.
pub(crate) fn buzz_rows(
    domain: &str,
    wanted: &KinesisTarget,
    config: &Map<String, Value>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let stream = &wanted.stream;
    let unknown = wire::unexpected_target_keys(config);
    if !unknown.is_empty() {
        out.push(fail(
            CheckId::BuzzAnswer,
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
            out.push(fail(CheckId::BuzzTarget, message, SETUP_FIX));
        }
        [(_, t)] if !wire::as_bool(t.get(wire::ENABLED)) => out.push(fail(
            CheckId::BuzzTarget,
            format!(
                "the kinesis target for {stream} on domain {domain} is disabled: Buzz sends no events"
            ),
            SETUP_FIX,
        )),
        [(_, t)] => {
            let drift = target_drift(wanted, t);
            if drift.is_empty() {
                out.push(pass(
                    CheckId::BuzzTarget,
                    format!("domain {domain} sends to {stream} (enabled)"),
                ));
            } else {
                out.push(fail(
                    CheckId::BuzzTarget,
                    format!(
                        "the kinesis target for {stream} on domain {domain} differs: {}",
                        drift.join("; ")
                    ),
                    SETUP_FIX,
                ));
            }
        }
        many => out.push(fail(
            CheckId::BuzzTarget,
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
pub(crate) fn probe_precondition(
    wanted: &KinesisTarget,
    config: &Map<String, Value>,
    stream_exists: bool,
) -> Option<Check> {
    if wire::find_target(config, &wanted.destination()).is_none() || !stream_exists {
        return Some(fail(
            CheckId::BuzzProbe,
            "nothing to probe: the stream or the saved Buzz target is missing",
            SETUP_FIX,
        ));
    }
    None
}

/// `--probe`: Buzz refused the test with `code` (`hint` says why, from `buzz::answer`).
pub(crate) fn probe_test_failed(
    code: &str,
    message: &str,
    error_id: Option<&str>,
    hint: String,
) -> Check {
    fail(
        CheckId::BuzzProbe,
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
pub(crate) fn probe_arrived(guid: &str, stream: &str, seconds: f64) -> Check {
    pass(
        CheckId::BuzzProbe,
        format!(
            "Buzz assumed the role and its probe (guid {}) arrived in {stream} after {seconds:.1} s",
            outside(guid)
        ),
    )
}

/// `check --buzz-only --probe`: Buzz's test passed. Buzz assumed the role and wrote its probe
/// into the stream before it answered OK, which proves the path; reading the probe back would
/// need AWS access.
pub(crate) fn probe_test_passed(stream: &str) -> Check {
    pass(
        CheckId::BuzzProbe,
        format!(
            "Buzz's test passed: Buzz assumed the role and wrote its probe into {stream} (not read back: --buzz-only has no AWS access)"
        ),
    )
}

/// `--probe`: Buzz accepted the test but nothing arrived within `waited_seconds`.
pub(crate) fn probe_timed_out(stream: &str, waited_seconds: u64) -> Check {
    fail(
        CheckId::BuzzProbe,
        format!(
            "Buzz accepted the test, but no probe arrived in {stream} within {waited_seconds} s"
        ),
        "check that the target's region and stream name match this stream",
    )
}
