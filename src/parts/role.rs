//! The IAM role part, whichever role it is: the writer role Agilix assumes and Firehose's role
//! are both planned here ([`plan`], over a [`RolePart`]), under the same rules: compared by
//! meaning, the trust and the policy only narrowed unless a flag says so ([`Widen`]), an
//! adopted role's other policies weighed, a role someone else made changed only with
//! `--adopt`. Into these actions (Firehose's role names them in its own words:
//! `firehose_role::FirehoseRoleAction`), or a [`RoleRefusal`].

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{missing_tags, Planned};
use crate::state::RoleState;

use super::add_tags;
use crate::iam;

/// One change to the role.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum RoleAction {
    CreateRole {
        trust: Value,
        max_session: i32,
        tags: BTreeMap<String, String>,
    },
    UpdateTrust {
        before: Value,
        after: Value,
    },
    UpdateMaxSession {
        from: i32,
        to: i32,
    },
    TagRole {
        tags: BTreeMap<String, String>,
    },
    PutPolicy {
        before: Option<Value>,
        after: Value,
    },
}

impl super::Change for RoleAction {
    /// Whether the action makes the role (drawn `+`, and the role's outcome `created`). The
    /// inline policy of a new role is a change of that role, as on a role that exists.
    fn is_create(&self) -> bool {
        match self {
            RoleAction::CreateRole { .. } => true,
            RoleAction::UpdateTrust { .. }
            | RoleAction::UpdateMaxSession { .. }
            | RoleAction::TagRole { .. }
            | RoleAction::PutPolicy { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        match self {
            RoleAction::CreateRole {
                trust,
                max_session,
                tags,
            } => (
                Value::Null,
                json!({"trust": trust, "max_session_duration": max_session, "tags": tags}),
            ),
            RoleAction::UpdateTrust { before, after } => (before.clone(), after.clone()),
            RoleAction::UpdateMaxSession { from, to } => (
                json!({"max_session_duration": from}),
                json!({"max_session_duration": to}),
            ),
            RoleAction::TagRole { tags } => (Value::Null, json!({ "tags": tags })),
            RoleAction::PutPolicy { before, after } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
        }
    }

    /// The plan's line (the writer role's: Firehose's role says its own,
    /// `firehose_role::FirehoseRoleAction`).
    fn describe(&self) -> String {
        match self {
            RoleAction::CreateRole { max_session, .. } => {
                format!("create role (trusting Agilix's account, MaxSessionDuration {max_session})")
            }
            RoleAction::UpdateTrust { before, after } => match iam::trust_change(before, after) {
                Some(change) => format!("update the trust policy: {change}"),
                None => "update the trust policy (its form; who is trusted stays)".into(),
            },
            RoleAction::UpdateMaxSession { from, to } => {
                format!("MaxSessionDuration {from} -> {to}")
            }
            RoleAction::PutPolicy { before: None, .. } => {
                format!("add inline policy {}", iam::POLICY_NAME)
            }
            RoleAction::PutPolicy {
                before: Some(_), ..
            } => {
                format!("update inline policy {}", iam::POLICY_NAME)
            }
            RoleAction::TagRole { tags } => add_tags(tags),
        }
    }
}

/// An IAM role as teardown weighs it: whose it is, and every policy on it (all go with it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleObserved {
    pub arn: String,
    pub managed: bool,
    /// Its inline policies (ours and any other: all go with the role).
    pub inline: Vec<String>,
    /// Managed policies attached to it: buzz-kinesis never attaches any.
    pub attached: Vec<String>,
}

/// What setup does only when a flag says so, because it widens who may use the role or
/// what the role may do: by default the trust and the permissions only narrow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Widen {
    /// `--remove-external-id`: a trust that requires an external id may lose the condition
    /// (the confused-deputy guard).
    pub remove_external_id: bool,
    /// `--replace-trust`: a trust that admits more than ours (other principals or statements,
    /// another account) or narrows it (a narrower principal, other conditions) is replaced by
    /// setup's; its Denies stay.
    pub replace_trust: bool,
    /// `--adopt-wider-role`: `--adopt` may take a role whose other policies let it do more
    /// than write to the stream (Agilix's account could then do all of it).
    pub adopt_wider_role: bool,
    /// `--max-session 12h`: a MaxSessionDuration someone shortened is raised back to 12 hours.
    pub raise_max_session: bool,
}

/// Any IAM role setup owns, as the run wants it: the role Agilix assumes, Firehose's role.
/// Both are planned by [`plan`], under the same rules.
#[derive(Debug, Clone)]
pub(crate) struct RolePart<'a> {
    pub name: &'a str,
    /// Who assumes it, for a sentence: `Agilix's account`, `Firehose`.
    pub who: &'static str,
    pub trust: &'a Value,
    /// Trusts earlier versions of buzz-kinesis wrote: moved to `trust` unasked.
    pub previous_trusts: &'a [Value],
    /// Our inline policy, and its name.
    pub policy: &'a Value,
    pub policy_name: &'a str,
    /// Its tags, `managed-by` included.
    pub tags: BTreeMap<String, String>,
    /// The session length it must allow; `None`: whatever it has (a new role gets
    /// `create_session`).
    pub max_session: Option<i32>,
    pub create_session: i32,
    pub adopt: bool,
    pub widen: Widen,
}

/// Why setup may not change the role as it is: each names the role, and the plan says it with
/// the fix (`report::plan`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RoleRefusal {
    /// A role buzz-kinesis did not create, which the plan would change, without `--adopt`.
    UnmanagedRole {
        role: String,
        changes: Vec<RoleAction>,
    },
    /// The trust requires an external id and this run has none.
    TrustLosesExternalId { role: String },
    /// The trust admits more than ours (`who`); replacing it would drop that.
    TrustAdmitsOthers {
        role: String,
        who: &'static str,
        beyond: Vec<String>,
    },
    /// The trust admits another account, and this run asks for a different one: a mistyped
    /// account would hand the role over. Only with `--replace-trust`.
    TrustMoves {
        role: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    /// An unconditional Deny in the trust closes the role to `who`: setup never removes it.
    TrustClosed {
        role: String,
        who: &'static str,
        denies: Vec<String>,
    },
    /// Someone shortened the role's MaxSessionDuration: raised only with `--max-session 12h`.
    MaxSessionShortened { role: String, have: i32, want: i32 },
    /// Someone put a condition on what our inline policy grants: writing ours would drop it.
    PolicyNarrowed {
        role: String,
        policy: String,
        narrowed: Vec<String>,
    },
    /// `--adopt` on a role whose other policies grant more than ours.
    WiderRole {
        role: String,
        who: &'static str,
        beyond: Vec<String>,
    },
}

/// Create the role, or repair an existing one field by field: its trust and our inline
/// policy narrow or stay (never widen, unless a flag says so), its session length is never
/// changed silently, and a role buzz-kinesis did not make is changed only with `--adopt`
/// (after every other policy on it is weighed).
pub(crate) fn plan(
    d: &RolePart<'_>,
    observed: Option<&RoleState>,
    grants: Option<&iam::Grants>,
) -> Result<Planned<RoleAction>, RoleRefusal> {
    let mut notes = Vec::new();
    let actions = plan_into(d, observed, grants, &mut notes)?;
    Ok(Planned { actions, notes })
}

fn plan_into(
    d: &RolePart<'_>,
    observed: Option<&RoleState>,
    grants: Option<&iam::Grants>,
    notes: &mut Vec<String>,
) -> Result<Vec<RoleAction>, RoleRefusal> {
    let Some(r) = observed else {
        return Ok(vec![
            RoleAction::CreateRole {
                trust: d.trust.clone(),
                max_session: d.create_session,
                tags: d.tags.clone(),
            },
            RoleAction::PutPolicy {
                before: None,
                after: d.policy.clone(),
            },
        ]);
    };
    let merged = iam::merge_trust(&r.trust, d.trust, d.previous_trusts, d.widen.replace_trust);
    if !merged.closed_by.is_empty() {
        return Err(RoleRefusal::TrustClosed {
            role: d.name.to_owned(),
            who: d.who,
            denies: merged.closed_by,
        });
    }
    let mut changes = Vec::new();
    if !iam::equivalent(&r.trust, &merged.trust) {
        changes.push(RoleAction::UpdateTrust {
            before: r.trust.clone(),
            after: merged.trust.clone(),
        });
    }
    if let Some(want) = d.max_session.filter(|w| *w != r.max_session) {
        changes.push(RoleAction::UpdateMaxSession {
            from: r.max_session,
            to: want,
        });
    }
    let kept = r
        .policy
        .as_ref()
        .map(|have| iam::merge_policy(have, d.policy));
    let want_policy = kept.as_ref().map_or(d.policy, |m| &m.policy);
    if !r
        .policy
        .as_ref()
        .is_some_and(|have| iam::equivalent(have, want_policy))
    {
        changes.push(RoleAction::PutPolicy {
            before: r.policy.clone(),
            after: want_policy.clone(),
        });
    }
    let tags = missing_tags(&d.tags, &r.tags);
    if !r.is_managed() && !d.adopt {
        if changes.is_empty() {
            // Nothing to change but our labels on someone else's role: leave it alone.
            notes.push(format!(
                    "the role {} was not created by buzz-kinesis; it is already correct, so setup leaves it untouched",
                    d.name
                ));
            return Ok(Vec::new());
        }
        return Err(RoleRefusal::UnmanagedRole {
            role: d.name.to_owned(),
            changes,
        });
    }
    if !r.is_managed() {
        guard_adopted_grants(d, grants, notes)?;
    }
    if changes
        .iter()
        .any(|c| matches!(c, RoleAction::UpdateTrust { .. }))
    {
        guard_trust(d, r, &merged, notes)?;
    }
    if r.is_managed() {
        // `--adopt` takes someone else's role with our settings: its session length was
        // never ours to keep.
        guard_session(d, r)?;
    }
    if let Some(m) = kept {
        let put = changes
            .iter()
            .any(|c| matches!(c, RoleAction::PutPolicy { .. }));
        guard_policy(d, m, put, notes)?;
    }
    if !tags.is_empty() {
        changes.push(RoleAction::TagRole { tags });
    }
    Ok(changes)
}

/// The trust only narrows unless asked: losing the external id needs
/// `--remove-external-id`; moving it to another account, or dropping other principals,
/// statements or conditions, needs `--replace-trust` (then noted, with what goes).
fn guard_trust(
    d: &RolePart<'_>,
    r: &RoleState,
    merged: &iam::TrustMerge,
    notes: &mut Vec<String>,
) -> Result<(), RoleRefusal> {
    if iam::requires_external_id(&r.trust)
        && !iam::requires_external_id(&merged.trust)
        && !d.widen.remove_external_id
    {
        return Err(RoleRefusal::TrustLosesExternalId {
            role: d.name.to_owned(),
        });
    }
    let to: Vec<String> = iam::trusted_principals(d.trust)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    if !d.widen.replace_trust {
        if let Some(from) = &merged.moved_from {
            return Err(RoleRefusal::TrustMoves {
                role: d.name.to_owned(),
                from: from
                    .iter()
                    .map(|p| p.trim_start_matches("AWS:").to_owned())
                    .collect(),
                to,
            });
        }
        if !merged.beyond.is_empty() {
            return Err(RoleRefusal::TrustAdmitsOthers {
                role: d.name.to_owned(),
                who: d.who,
                beyond: merged.beyond.clone(),
            });
        }
        if !merged.kept.is_empty() {
            notes.push(format!(
                "the trust of role {} keeps what narrows it: {}",
                d.name,
                merged.kept.join("; ")
            ));
        }
        return Ok(());
    }
    let mut gone: Vec<String> = merged.beyond.clone();
    if let Some(from) = &merged.moved_from {
        gone.push(format!(
            "the trust moves from {} to {}",
            from.iter()
                .map(|p| p.trim_start_matches("AWS:"))
                .collect::<Vec<_>>()
                .join(", "),
            to.join(", ")
        ));
    }
    gone.extend(merged.kept.iter().cloned());
    notes.push(format!(
        "--replace-trust: the new trust admits {} alone, so this goes: {}",
        d.who,
        gone.join("; ")
    ));
    Ok(())
}

/// A session length someone shortened is not raised unasked: Agilix's procedure asks for
/// 12-hour sessions, and `--max-session 12h` says the user wants them back.
fn guard_session(d: &RolePart<'_>, r: &RoleState) -> Result<(), RoleRefusal> {
    match d.max_session {
        Some(want) if r.max_session < want && !d.widen.raise_max_session => {
            Err(RoleRefusal::MaxSessionShortened {
                role: d.name.to_owned(),
                have: r.max_session,
                want,
            })
        }
        _ => Ok(()),
    }
}

/// Our inline policy: a Deny someone added stays beside ours (noted when ours is rewritten); one
/// that denies what ours grants, or a condition someone put on it, is refused: setup can
/// neither drop it nor make the role work with it.
fn guard_policy(
    d: &RolePart<'_>,
    m: iam::PolicyMerge,
    put: bool,
    notes: &mut Vec<String>,
) -> Result<(), RoleRefusal> {
    if !m.refused.is_empty() {
        return Err(RoleRefusal::PolicyNarrowed {
            role: d.name.to_owned(),
            policy: d.policy_name.to_owned(),
            narrowed: m.refused,
        });
    }
    if put && !m.kept.is_empty() {
        notes.push(format!(
            "the policy {} on role {} keeps what someone added to it: {}",
            d.policy_name,
            d.name,
            m.kept.join("; ")
        ));
    }
    Ok(())
}

/// `--adopt` hands the role to whoever assumes it: every other policy on it is read, and a
/// role that can do more than ours allows is taken only with `--adopt-wider-role` (then the
/// plan lists what else it can do).
fn guard_adopted_grants(
    d: &RolePart<'_>,
    grants: Option<&iam::Grants>,
    notes: &mut Vec<String>,
) -> Result<(), RoleRefusal> {
    let Some(grants) = grants else {
        return Ok(());
    };
    let (actions, resources) = iam::allowed_by(d.policy);
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
    let ours = format!("inline:{}", d.policy_name);
    let beyond = grants.beyond(&ours, &actions, &resources);
    if beyond.is_empty() {
        return Ok(());
    }
    if !d.widen.adopt_wider_role {
        return Err(RoleRefusal::WiderRole {
            role: d.name.to_owned(),
            who: d.who,
            beyond,
        });
    }
    notes.push(format!(
        "--adopt-wider-role: besides what setup grants, {} will be able to use: {}",
        d.who,
        beyond.join("; ")
    ));
    Ok(())
}
