//! How setup's plan reads: one line per action (the plan, the progress output and the JSON's
//! `summary` show the same words), its `+`/`~` marker, the policy lines a change adds and
//! removes, and why a plan could not be made.

use crate::iam;
use crate::parts::Change;
use crate::plan::{Action, AddOnAction, ArchiveAction, Blocked, RoleAction, RoleRefusal};
use crate::state::MANAGED_BY;

/// Terraform's markers: `+` makes the resource, `~` changes it.
pub(crate) fn marker(a: Action<'_>) -> &'static str {
    if a.is_create() {
        "+"
    } else {
        "~"
    }
}

/// Detail lines under an action: the JSON lines a policy change adds and removes.
pub(crate) fn detail(a: Action<'_>) -> Vec<String> {
    match a {
        Action::Role(RoleAction::UpdateTrust { before, after }) => iam::line_diff(before, after),
        Action::Role(RoleAction::PutPolicy {
            before: Some(b),
            after,
        }) => iam::line_diff(b, after),
        Action::AddOn(AddOnAction::Archive(ArchiveAction::Role(r))) => r
            .documents()
            .map_or_else(Vec::new, |(before, after)| iam::line_diff(before, after)),
        Action::Role(
            RoleAction::PutPolicy { before: None, .. }
            | RoleAction::CreateRole { .. }
            | RoleAction::UpdateMaxSession { .. }
            | RoleAction::TagRole { .. },
        )
        | Action::Stream(_)
        | Action::AddOn(_)
        | Action::Buzz(_) => Vec::new(),
    }
}

/// Why setup refuses to go on, with the fix.
pub(crate) fn refusal(b: &Blocked) -> String {
    match b {
        Blocked::Role(r) => role_refusal(r),
        Blocked::StreamDeleting { stream } => format!(
            "the stream {stream} is being deleted; wait until it is gone, then run setup again"
        ),
        Blocked::KeyDiffers { stream, have, want } => format!(
            "the stream {stream} is encrypted with {have}, not with --kms-key {want}: setup does not change the key of a stream that exists (records already in it stay under the old key, and every reader needs both). \
             Run setup without --kms-key (the roles' grants follow the key the stream has), or pass --kms-key naming that key; to move the stream to {want}, run `aws kinesis start-stream-encryption --stream-name {stream} --encryption-type KMS --key-id {want}` first, then setup without --kms-key. Nothing was changed"
        ),
        Blocked::AncestorDelivers {
            domain,
            ancestor,
            target,
            stream,
        } => format!(
            "{ancestor}, an ancestor of domain {domain}, already delivers to stream {stream} with target {target}: Buzz sends every event of domain {domain} to its ancestors' targets, so they arrive there already, and a target here would deliver each one twice. \
             Keep the ancestor's target (the events of domain {domain} carry its id), or remove it first (`buzz-kinesis teardown --domain` with the ancestor's id) and run setup again. Nothing was changed"
        ),
        Blocked::Archive { what, problem, fix } => {
            format!("the archive: {what} {problem}. {fix}. Nothing was changed")
        }
    }
}

/// Why setup may not change a role as it is, with the fix.
fn role_refusal(r: &RoleRefusal) -> String {
    match r {
        RoleRefusal::UnmanagedRole { role: name, changes } => format!(
            "the role {name} exists but was not created by buzz-kinesis (no tag {}={}), and setup would change it: {}. \
             Pass --adopt to let setup manage it, or choose another name with --role",
            MANAGED_BY.0,
            MANAGED_BY.1,
            changes.iter().map(Change::describe).collect::<Vec<_>>().join("; ")
        ),
        RoleRefusal::TrustLosesExternalId { role } => format!(
            "the trust of role {role} requires an external id (sts:ExternalId), and this run has none, so setup would remove that guard and let any Buzz tenant naming the role write into the stream. \
             Pass the external id again (--external-id or BUZZ_EXTERNAL_ID), or --remove-external-id to remove it. Nothing was changed"
        ),
        RoleRefusal::TrustAdmitsOthers { role, who, beyond } => format!(
            "the trust of role {role} admits more than {who}: {}. Setup writes a trust that admits {who} alone, which would remove that. \
             Pass --replace-trust to replace it, or choose another role with --role. Nothing was changed",
            beyond.join("; ")
        ),
        RoleRefusal::TrustMoves { role, from, to } => format!(
            "the trust of role {role} admits {}, and this run asks for {}: setup would move the role to another account. \
             If that account is right (check --agilix-account, BUZZ_AGILIX_ACCOUNT and the config file against what Agilix gave you), pass --replace-trust to move it. Nothing was changed",
            from.join(", "),
            to.join(", ")
        ),
        RoleRefusal::TrustClosed { role, who, denies } => format!(
            "the trust of role {role} denies {who} (someone closed the role): {}. Setup never removes a Deny. \
             To open the role again, remove that statement yourself (aws iam update-assume-role-policy --role-name {role}), then run setup again. Nothing was changed",
            denies.join("; ")
        ),
        RoleRefusal::MaxSessionShortened { role, have, want } => format!(
            "the role {role} allows sessions of {have} s ({}), shorter than the {want} s ({}) Agilix's procedure asks for: Buzz's AssumeRole asks for 12-hour sessions and fails on this role. \
             Someone shortened it; pass --max-session 12h to raise it back, or keep it and expect Buzz's writes to fail. Nothing was changed",
            hours(*have),
            hours(*want)
        ),
        RoleRefusal::PolicyNarrowed { role, policy, narrowed } => format!(
            "the policy {policy} on role {role} holds what setup will neither drop nor work with: {}. Setup never removes a Deny, and cannot keep a condition on what it grants (its policy would grant it unconditionally). \
             Remove the Deny if the role must work, express a condition as a Deny of what it excludes, or remove it, then run setup again. Nothing was changed",
            narrowed.join("; ")
        ),
        RoleRefusal::WiderRole { role, who, beyond } => format!(
            "the role {role} can do more than setup grants it, and {who} could use all of it once setup trusts it: {}. \
             Remove those grants, choose another name with --role, or pass --adopt-wider-role to adopt it anyway. Nothing was changed",
            beyond.join("; ")
        ),
    }
}

/// A session length as a person says it: `12 h`, `1 h 30 min`, `15 min`.
fn hours(seconds: i32) -> String {
    let (h, m) = (seconds / 3600, seconds % 3600 / 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
