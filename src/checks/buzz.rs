//! `--probe`'s verdicts (its I/O lives in the command). The Buzz target's own rows are its
//! part's (`parts::target::rows`).

use serde_json::{Map, Value};

use crate::buzz::wire::{self, KinesisTarget};
use crate::text::outside;

use super::*;

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
