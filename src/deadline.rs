//! Every command's overall ceiling (`--deadline`, `BUZZ_KINESIS_DEADLINE`): however the
//! waits inside add up (Buzz's retries, IAM propagation, a stream becoming ACTIVE, a stalled
//! connection), a run ends by then with an error naming what it was waiting for. Time a person
//! spends at a prompt does not count: the clock is for the machines.
//!
//! The adapters and the progress lines say what the run waits for ([`waiting_for`]); the root
//! races the command against [`expire`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;

/// The ceiling when none is given: long enough for the slowest ordinary run (a new stream,
/// IAM propagation within setup's default 90 s, Buzz's retries), short enough that a stalled
/// CI job ends within its hour.
pub(crate) const DEFAULT: Duration = Duration::from_secs(900);
/// The longest `--deadline` accepted, in seconds (a day).
pub(crate) const MAX_SECONDS: u64 = 86_400;

struct State {
    limit: Duration,
    /// Given with `--deadline` (else the default, which a command may raise).
    explicit: bool,
    what: String,
    /// Prompt time so far, and the start of the prompt now open.
    paused: Duration,
    paused_since: Option<Instant>,
}

static STATE: Mutex<State> = Mutex::new(State {
    limit: DEFAULT,
    explicit: false,
    what: String::new(),
    paused: Duration::ZERO,
    paused_since: None,
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The run's ceiling: `given` (`--deadline`), else [`DEFAULT`].
pub(crate) fn set_limit(given: Option<Duration>) {
    let mut s = state();
    s.limit = given.unwrap_or(DEFAULT);
    s.explicit = given.is_some();
}

/// A command that knows it may wait longer (setup with a long `--propagation-timeout`) raises
/// the default ceiling to `at_least`; a `--deadline` the user gave stays as given.
pub(crate) fn raise_default(at_least: Duration) {
    let mut s = state();
    if !s.explicit && s.limit < at_least {
        s.limit = at_least;
    }
}

/// Say what the run is waiting for now (a Buzz command, a stream becoming ACTIVE, ...).
pub(crate) fn waiting_for(what: impl Into<String>) {
    state().what = what.into();
}

/// What the run last said it waits for.
pub(crate) fn current() -> String {
    let what = state().what.clone();
    if what.is_empty() {
        "the first answer (connecting)".into()
    } else {
        what
    }
}

/// A person is being asked something: the clock stops until the guard is dropped.
#[must_use]
pub(crate) struct Paused(());

pub(crate) fn pause() -> Paused {
    let mut s = state();
    if s.paused_since.is_none() {
        s.paused_since = Some(Instant::now());
    }
    Paused(())
}

impl Drop for Paused {
    fn drop(&mut self) {
        let mut s = state();
        if let Some(since) = s.paused_since.take() {
            s.paused += since.elapsed();
        }
    }
}

/// The seconds of a deadline, validated (for the flag and its env var).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, Error> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(Error::invalid(
            "--deadline",
            text,
            "--deadline is whole seconds from 1 to 86400 (a day), e.g. 900",
        )),
    }
}

/// Resolves when the ceiling has passed since `started`, not counting prompt time, with the
/// timeout error.
pub(crate) async fn expire(started: Instant) -> Error {
    loop {
        let (used, prompting, limit) = {
            let s = state();
            let open = s.paused_since.map(|t| t.elapsed()).unwrap_or_default();
            (
                started.elapsed().saturating_sub(s.paused + open),
                s.paused_since.is_some(),
                s.limit,
            )
        };
        if prompting {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        if used >= limit {
            return Error::Timeout {
                what: current(),
                seconds: limit.as_secs(),
                hint: Some(
                    "the run's deadline passed (--deadline, BUZZ_KINESIS_DEADLINE; default 900 s). Whatever was done stays done: run the same command again to continue, with a longer --deadline if the wait is expected".into(),
                ),
            };
        }
        // Woken at least every few seconds: the ceiling may be raised meanwhile.
        tokio::time::sleep((limit - used).min(Duration::from_secs(5))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_validated() {
        assert_eq!(parse_seconds("30").unwrap(), Duration::from_secs(30));
        for bad in ["0", "-1", "86401", "18446744073709551616", "soon", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_deadline_names_what_the_run_waits_for_and_skips_prompt_time() {
        waiting_for("Buzz login3 (RateLimit; retrying in 60 s)");
        let started = Instant::now();
        let guard = pause();
        std::thread::sleep(Duration::from_millis(150));
        drop(guard);
        set_limit(Some(Duration::from_millis(100)));
        let e = expire(started).await;
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(e.to_string().contains("Buzz login3 (RateLimit"), "{e}");
    }
}
