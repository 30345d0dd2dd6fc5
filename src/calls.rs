//! Counts of the AWS and Buzz calls a run makes, so the report can say how many mutating calls
//! were needed (zero on a converged re-run) and the benchmark can count them by operation.
//!
//! It also carries the test-only crash hook: with `BUZZ_KINESIS_TEST_ABORT_AFTER_MUTATIONS=N`
//! the process aborts right after its N-th mutating call succeeds, which is how the
//! reliability tests interrupt a run at every step and prove a re-run finishes the job. The
//! hook exists only with the `test-hooks` cargo feature (the test build's): a release binary
//! ignores the variable, so nobody can make it die half-way on purpose.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Every change made by this process, for the line Ctrl-C prints ("already done: ...").
static CHANGES_MADE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The changes this process has made so far (`service:Operation`), oldest first.
pub fn changes_made() -> Vec<String> {
    CHANGES_MADE.lock().map(|c| c.clone()).unwrap_or_default()
}

/// Shared by the adapters of one run. Calls are counted, not kept one by one, so a
/// long-running `tail` (a GetRecords call a second per shard) stays small and fast.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    counts: Arc<Mutex<CallSummary>>,
    #[cfg(feature = "test-hooks")]
    abort_after: Option<usize>,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CallSummary {
    pub total: usize,
    pub mutating: usize,
    pub by_operation: BTreeMap<String, usize>,
}

impl CallLog {
    pub fn new() -> Self {
        Self {
            counts: Arc::default(),
            #[cfg(feature = "test-hooks")]
            abort_after: std::env::var("BUZZ_KINESIS_TEST_ABORT_AFTER_MUTATIONS")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// Note a call that succeeded (or was answered by the service).
    pub fn record(&self, service: &'static str, operation: impl Into<String>, mutating: bool) {
        let operation = operation.into();
        tracing::debug!(service, %operation, mutating, "call");
        if mutating {
            if let Ok(mut done) = CHANGES_MADE.lock() {
                done.push(format!("{service}:{operation}"));
            }
        }
        let mutations = {
            let Ok(mut counts) = self.counts.lock() else {
                return;
            };
            counts.total += 1;
            counts.mutating += usize::from(mutating);
            *counts
                .by_operation
                .entry(format!("{service}:{operation}"))
                .or_insert(0) += 1;
            counts.mutating
        };
        #[cfg(feature = "test-hooks")]
        if mutating && self.abort_after == Some(mutations) {
            // Test hook: die like a killed process would, with no cleanup and no output.
            std::process::abort();
        }
        #[cfg(not(feature = "test-hooks"))]
        let _ = mutations;
    }

    pub fn summary(&self) -> CallSummary {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }
}
