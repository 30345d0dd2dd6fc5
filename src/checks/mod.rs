//! `check`'s rules, pure: each rule is a function from what was read (plain data, no client)
//! to rows of the checklist, pass, warn or fail with the fix in one sentence. A part writes its
//! own rows (the stream's `parts::stream::rows`, the writer role's `parts::writer_role::rows`,
//! the Buzz target's `parts::target::rows`, the alarm's and the archive's parts'); the rest are
//! here, one file per thing checked: the probe ([`buzz`]), the lost-event watch ([`watch`]),
//! who else in Buzz's tree writes to the stream ([`tree`]), and the archive's rows around its
//! parts' ([`archive`]). The rows' words ([`Check`], [`CheckId`], [`Status`], [`pass`],
//! [`warn`], [`fail`], [`skip`], [`Expect`]) are `checklist`'s, below the parts, and said here
//! too. A new row is a new function returning `Vec<Check>` with a new [`CheckId`], called from
//! `commands::check`; the command only reads, calls the rules, and reports. `--probe`'s I/O
//! lives in the command; its verdicts are the `probe_*` functions.

mod archive;
mod buzz;
#[cfg(test)]
mod tests;
mod tree;
mod watch;

pub(crate) use archive::*;
pub(crate) use buzz::*;
pub(crate) use tree::*;
pub(crate) use watch::*;

pub(crate) use crate::checklist::{fail, pass, skip, warn, Check, CheckId, Expect, Status};

/// The rows that need the side a half leaves out, listed as skipped so a reader sees what
/// was not checked. `other`: the command for the other half.
pub(crate) fn skipped_rows(half: crate::state::Halves, probe: bool, other: &str) -> Vec<Check> {
    use crate::state::Halves;
    let ids: &[(CheckId, &str)] = match half {
        Halves::Both => &[],
        Halves::AwsOnly => &[(CheckId::BuzzTarget, "the target as Buzz holds it")],
        Halves::BuzzOnly => &[
            (CheckId::StreamExists, "the stream"),
            (
                CheckId::RoleExists,
                "the role, its trust, session and policy",
            ),
            (
                CheckId::StreamRefused,
                "the stream's CloudWatch metrics (refused writes, headroom, traffic)",
            ),
            (CheckId::Alarm, "the alarm on refused writes"),
            (CheckId::StreamWriters, "who writes to the stream"),
        ],
    };
    let (needs, flag) = match half {
        Halves::BuzzOnly => ("AWS access", "--buzz-only"),
        _ => ("a Buzz login", "--aws-only"),
    };
    let mut out: Vec<Check> = ids
        .iter()
        .map(|(id, what)| {
            skip(
                *id,
                format!("{what}: not checked ({flag}; needs {needs})"),
                other,
            )
        })
        .collect();
    if probe && half == Halves::AwsOnly {
        out.push(skip(
            CheckId::BuzzProbe,
            format!("Buzz's test: not run ({flag}; needs {needs})"),
            other,
        ));
    }
    out
}

/// Whether any row failed (`check` then exits 2).
pub(crate) fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

pub(crate) use crate::parts::SETUP_AGAIN as SETUP_FIX;
