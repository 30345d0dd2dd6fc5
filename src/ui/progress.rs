//! Progress on stderr while AWS and Buzz work: a line per step for people, nothing for
//! `--quiet` or JSON output (stdout stays one JSON object either way).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Where step lines go.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
    tty: bool,
    start: Instant,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            tty: std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// A step done or started.
    pub fn step(&self, resource: &str, text: &str) {
        if self.enabled {
            eprintln!(
                "{:>6.1}s  {resource:<7} {text}",
                self.start.elapsed().as_secs_f64()
            );
        }
    }

    /// A wait in progress: on a terminal the same line is rewritten with the elapsed time;
    /// elsewhere nothing (the step line that started the wait is enough for a log).
    pub fn waiting(&self, resource: &str, what: &str, elapsed: Duration) {
        if !self.enabled {
            return;
        }
        if self.tty {
            eprint!(
                "\r{:>6.1}s  {resource:<7} {what} ({}s)\x1b[K",
                self.start.elapsed().as_secs_f64(),
                elapsed.as_secs()
            );
        }
    }

    /// End a rewritten waiting line.
    pub fn done_waiting(&self) {
        if self.enabled && self.tty {
            eprint!("\r\x1b[K");
        }
    }

    pub fn warn(&self, text: &str) {
        if self.enabled {
            eprintln!("warning: {text}");
        }
    }
}
