//! Our target into Buzz, the way Agilix's instructions go: Buzz's test first (disabled), retried
//! while IAM propagates the role, then the save with the target enabled, into the configuration
//! as it is by then.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::refuse_unknown_target_keys;
use crate::buzz::answer::{self, SetFailure};
use crate::buzz::BuzzClient;
use crate::error::{Error, Result};
use crate::plan::DesiredBuzz;
use crate::ui::Progress;

/// Our target into Buzz, the way Agilix's instructions go: tested first, disabled (retried
/// for up to `retry_for` while IAM propagates the role), then, when `save`, saved enabled into
/// the configuration as it is by then. `external_id`: the trust asks for one (for the hint).
pub(super) async fn register(
    client: &BuzzClient,
    b: &DesiredBuzz,
    config: &Map<String, Value>,
    save: bool,
    retry_for: Duration,
    external_id: bool,
    progress: &Progress,
) -> Result<()> {
    let send = Sender {
        client,
        b,
        external_id,
        progress,
    };
    let test_config = b.to_test(config);
    buzz_with_propagation_retry(&send, &test_config, true, retry_for).await?;
    if save {
        progress.step(
            "buzz",
            "test passed; saving the configuration with the target enabled",
        );
        // Buzz has no compare-and-set, and the test may have waited out IAM for a while:
        // read the configuration again and put our target into what is there now, so a
        // change someone else saved meanwhile is carried through too.
        let current = client.get_config(&b.domain).await?;
        refuse_unknown_target_keys(&current)?;
        let fresh = b.to_save(&current);
        buzz_with_propagation_retry(&send, &fresh, false, retry_for).await?;
    } else {
        progress.step("buzz", "test passed; --no-enable: nothing saved");
    }
    Ok(())
}

/// Where a Buzz configuration goes, and what the failure hints need to know.
struct Sender<'a> {
    client: &'a BuzzClient,
    b: &'a DesiredBuzz,
    external_id: bool,
    progress: &'a Progress,
}

/// How long to wait before asking Buzz to test again, `elapsed` into the wait. IAM usually
/// propagates within 10-30 s: polling every half second then keeps us within half a second
/// of the moment the role works; past that, every 2 s spares Buzz the traffic.
fn propagation_poll_delay(previous: Duration, elapsed: Duration) -> Duration {
    let cap = if elapsed < Duration::from_secs(30) {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(2)
    };
    (previous * 3 / 2).min(cap)
}

/// Send a configuration, retrying Buzz's failed target tests for up to `retry_for` (IAM
/// propagation), polling fast at first so we finish close to when IAM does. What counts as a
/// failed test is decided by [`answer::classify_set_failure`] from the code alone.
async fn buzz_with_propagation_retry(
    send: &Sender<'_>,
    config: &Map<String, Value>,
    test: bool,
    retry_for: Duration,
) -> Result<()> {
    let (b, progress) = (send.b, send.progress);
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    let mut retries = 0u32;
    let mut last_shown = String::new();
    loop {
        let err = match send.client.set_config(&b.domain, config, test).await {
            Ok(()) => {
                progress.done_waiting();
                return Ok(());
            }
            Err(e) => e,
        };
        let Error::Buzz { code, message, .. } = &err else {
            progress.done_waiting();
            return Err(err);
        };
        if answer::classify_set_failure(code) != SetFailure::TargetTest {
            progress.done_waiting();
            return Err(err);
        }
        if start.elapsed() + delay < retry_for {
            let seen = format!("{code}: {}", one_line(message, 120));
            if seen != last_shown {
                // Once per distinct answer, so a log without a terminal shows what Buzz said.
                progress.step(
                    "buzz",
                    &format!("Buzz's test failed ({seen}); retrying while IAM propagates the role"),
                );
                last_shown = seen;
            }
            tracing::info!(
                code,
                retries,
                "Buzz's test failed; the role may still be propagating"
            );
            progress.waiting(
                "buzz",
                &format!(
                    "waiting for IAM: Buzz's test answers {code}: {}",
                    one_line(message, 60)
                ),
                start.elapsed(),
            );
            tokio::time::sleep(delay).await;
            delay = propagation_poll_delay(delay, start.elapsed());
            retries += 1;
            continue;
        }
        progress.done_waiting();
        let mut hint = answer::test_failure_hint(
            code,
            message,
            config,
            &b.target.destination(),
            &b.target.role_arn,
            send.external_id,
        );
        hint.push_str(&if retries > 0 {
            format!(
                " (Buzz's test was retried {retries} time(s) over {:.1} s while IAM propagated the role)",
                start.elapsed().as_secs_f64()
            )
        } else if retry_for.is_zero() {
            " (not retried: this run did not change the role and it is older than --propagation-timeout, so IAM propagation is not the cause)".to_owned()
        } else {
            String::new()
        });
        return Err(err.with_hint(hint));
    }
}

/// A message on one line, cut to `max` characters, for a progress line.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}...", flat.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_polling_is_fast_early_and_gentle_later() {
        let s = Duration::from_secs;
        let mut d = Duration::from_millis(200);
        for _ in 0..10 {
            d = propagation_poll_delay(d, s(5));
        }
        assert_eq!(d, Duration::from_millis(500));
        for _ in 0..10 {
            d = propagation_poll_delay(d, s(45));
        }
        assert_eq!(d, s(2));
    }
}
