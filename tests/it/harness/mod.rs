//! Shared machinery for the integration tests: one moto server per test binary (the AWS
//! emulator), the environment that points a child process at it and away from the developer's
//! real AWS configuration, the Buzz sandbox (`examples/buzz_sandbox`) as a child process, and AWS
//! CLI helpers, so a test can check "what the AWS CLI shows" with an observer independent of the
//! code under test.
//!
//! Everything here may be used from parallel tests: names come from [`unique`], and each test
//! starts its own sandbox. Child processes never outlive the test binary: moto runs under a small
//! shell watchdog that kills it when the binary's end of a pipe closes (however the binary ends),
//! and each sandbox exits when its stdin closes (and is killed on drop).
//!
//! Calls that run an external program block the thread; that is fine in `#[tokio::test]`s that
//! only talk to child processes.
//!
//! One job per file: `moto` (the AWS emulator process and the environment that points child
//! processes at it, CloudWatch through `cloudwatch_cbor`, the RPCv2-CBOR translator), `sandbox` (starting a Buzz sandbox: its options are the one place to add a
//! sandbox flag), `sandbox_state` (reading and changing a running sandbox, and talking Buzz to
//! it), `aws_cli` (the AWS CLI as an observer, and resources made behind the tool's back),
//! `archive` (the archive's bucket and delivery stream made like setup, its objects, and the
//! DuckDB script that queries them).

mod archive;
mod aws_cli;
mod aws_fault_proxy;
pub mod cloudwatch_cbor;
mod identity;
mod moto;
mod recorder;
mod sandbox;
mod sandbox_state;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

pub use archive::{download_bucket, duckdb, duckdb_with_views, object_keys, python};
pub use aws_cli::*;
pub use aws_fault_proxy::{fault, AwsFaultProxy, S3Request};
pub use identity::{key_file, key_pair, TestIdentity};
pub use moto::{aws_command, aws_env, cloudwatch_url, moto};
pub use recorder::Recorder;
pub use sandbox::{Sandbox, SandboxOptions};

/// moto's one account.
pub const MOTO_ACCOUNT: &str = "123456789012";
/// The Agilix account the sandbox plays by default.
pub const AGILIX_ACCOUNT: &str = "210987654321";
pub const REGION: &str = "us-east-1";
/// The sandbox's domain and users (its defaults).
pub const DOMAIN_ID: &str = "424242";
pub const ADMIN_USER: &str = "sandbox/admin";
pub const ADMIN_PASSWORD: &str = "sandbox-password";
pub const TEACHER_USER: &str = "sandbox/teacher";
pub const TEACHER_PASSWORD: &str = "teacher-password";
/// The sandbox's `--domain-tree state`: a state, two districts (the main domain, [`DOMAIN_ID`],
/// is the first), three schools in the first and two in the second. Every userspace has the
/// same users (`<userspace>/admin`, [`ADMIN_PASSWORD`]).
pub const STATE_DOMAIN: &str = "400000";
pub const STATE_ADMIN: &str = "state/admin";
pub const DISTRICT_B: &str = "424243";
pub const SCHOOLS_A: [&str; 3] = ["500001", "500002", "500003"];
pub const SCHOOLS_B: [&str; 2] = ["500011", "500012"];

/// A name unique across tests and runs (they share one moto), valid as a stream, role or
/// policy name: `<prefix>-<run id>-<counter>`.
pub fn unique(prefix: &str) -> String {
    static RUN: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let run = RUN.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "{:x}",
            (nanos as u64 ^ u64::from(std::process::id())) & 0xff_ffff_ffff
        )
    });
    format!("{prefix}-{run}-{}", COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// The last `lines` lines of a text.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
