//! Progress on stderr while AWS and Buzz work: a line per step for people, and a spinner with
//! the step and the elapsed seconds during waits (on a terminal only). Nothing at all for
//! `--quiet` or JSON output, so stdout stays one JSON object and logs stay short.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Shared by the concurrent chains of one run.
#[derive(Debug, Clone)]
pub struct Progress {
    enabled: bool,
    tty: bool,
    start: Instant,
    spinner: Arc<Mutex<Option<ProgressBar>>>,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            tty: std::io::stderr().is_terminal(),
            start: Instant::now(),
            spinner: Arc::default(),
        }
    }

    fn line(&self, text: &str) {
        // Steps and notes carry outside text (Buzz's words, titles): escaped here, once.
        let line = format!(
            "{:>6.1}s  {}",
            self.start.elapsed().as_secs_f64(),
            crate::text::for_terminal(text)
        );
        // Print above a running spinner instead of through it.
        match self.spinner.lock().ok().and_then(|s| s.clone()) {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// A step done or started.
    pub fn step(&self, resource: &str, text: &str) {
        crate::deadline::waiting_for(format!("{resource}: {text}"));
        if self.enabled {
            self.line(&format!("{resource:<7} {text}"));
        }
    }

    /// A wait in progress. On a terminal a spinner shows the step and its elapsed seconds;
    /// elsewhere the step line that began the wait is enough.
    pub fn waiting(&self, resource: &str, what: &str, elapsed: Duration) {
        crate::deadline::waiting_for(format!("{resource}: {what}"));
        if !(self.enabled && self.tty) {
            return;
        }
        let Ok(mut slot) = self.spinner.lock() else {
            return;
        };
        let bar = slot.get_or_insert_with(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        bar.set_message(format!(
            "{resource:<7} {} ({}s)",
            crate::text::for_terminal(what),
            elapsed.as_secs()
        ));
    }

    /// End a wait: the spinner goes away, leaving the step lines.
    pub fn done_waiting(&self) {
        if let Some(bar) = self.spinner.lock().ok().and_then(|mut s| s.take()) {
            bar.finish_and_clear();
        }
    }

    /// Something worth knowing that is not a problem.
    pub fn note(&self, text: &str) {
        if self.enabled {
            self.line(&format!("note: {text}"));
        }
    }

    pub fn warn(&self, text: &str) {
        if self.enabled {
            self.line(&format!("warning: {text}"));
        }
    }
}
