//! The role's plan: create it trusting Agilix's account, or repair an existing one field by
//! field. A role buzz-kinesis did not create is changed only with `--adopt`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{missing_tags, Blocked, DesiredRole, Note, Plan, Widen};
use crate::iam;
pub(crate) use crate::parts::role::RoleAction;
use crate::parts::tag_map;
use crate::state::{Resource, RoleState};

/// Buzz asks for 12-hour sessions.
pub(crate) use crate::parts::writer_role::MAX_SESSION_SECONDS;

/// Any IAM role setup owns, as the run wants it: the role Agilix assumes, Firehose's role.
/// Both are planned by [`plan_any_role`], under the same rules.
#[derive(Debug, Clone)]
pub(crate) struct RolePart<'a> {
    pub name: &'a str,
    /// Who assumes it, for a sentence: `Agilix's account`, `Firehose`.
    pub who: &'static str,
    /// Where its notes go.
    pub resource: Resource,
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

pub(super) fn plan_role(
    name: &str,
    d: &DesiredRole,
    observed: Option<&RoleState>,
    grants: Option<&iam::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let part = RolePart {
        name,
        who: "Agilix's account",
        resource: Resource::Role,
        trust: &d.trust,
        previous_trusts: &[],
        policy: &d.policy,
        policy_name: iam::POLICY_NAME,
        tags: tag_map(&d.tags, true),
        max_session: Some(MAX_SESSION_SECONDS),
        create_session: MAX_SESSION_SECONDS,
        adopt: d.adopt,
        widen: d.widen,
    };
    let actions = plan_any_role(&part, observed, grants, &mut p.notes)?;
    p.role.extend(actions);
    Ok(())
}

/// Create the role, or repair an existing one field by field: its trust and our inline
/// policy narrow or stay (never widen, unless a flag says so), its session length is never
/// changed silently, and a role buzz-kinesis did not make is changed only with `--adopt`
/// (after every other policy on it is weighed).
pub(crate) fn plan_any_role(
    d: &RolePart<'_>,
    observed: Option<&RoleState>,
    grants: Option<&iam::Grants>,
    notes: &mut Vec<Note>,
) -> Result<Vec<RoleAction>, Blocked> {
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
        return Err(Blocked::TrustClosed {
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
            notes.push(Note {
                resource: d.resource,
                message: format!(
                    "the role {} was not created by buzz-kinesis; it is already correct, so setup leaves it untouched",
                    d.name
                ),
            });
            return Ok(Vec::new());
        }
        return Err(Blocked::UnmanagedRole {
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
    notes: &mut Vec<Note>,
) -> Result<(), Blocked> {
    if iam::requires_external_id(&r.trust)
        && !iam::requires_external_id(&merged.trust)
        && !d.widen.remove_external_id
    {
        return Err(Blocked::TrustLosesExternalId {
            role: d.name.to_owned(),
        });
    }
    let to: Vec<String> = iam::trusted_principals(d.trust)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    if !d.widen.replace_trust {
        if let Some(from) = &merged.moved_from {
            return Err(Blocked::TrustMoves {
                role: d.name.to_owned(),
                from: from
                    .iter()
                    .map(|p| p.trim_start_matches("AWS:").to_owned())
                    .collect(),
                to,
            });
        }
        if !merged.beyond.is_empty() {
            return Err(Blocked::TrustAdmitsOthers {
                role: d.name.to_owned(),
                who: d.who,
                beyond: merged.beyond.clone(),
            });
        }
        if !merged.kept.is_empty() {
            notes.push(Note {
                resource: d.resource,
                message: format!(
                    "the trust of role {} keeps what narrows it: {}",
                    d.name,
                    merged.kept.join("; ")
                ),
            });
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
    notes.push(Note {
        resource: d.resource,
        message: format!(
            "--replace-trust: the new trust admits {} alone, so this goes: {}",
            d.who,
            gone.join("; ")
        ),
    });
    Ok(())
}

/// A session length someone shortened is not raised unasked: Agilix's procedure asks for
/// 12-hour sessions, and `--max-session 12h` says the user wants them back.
fn guard_session(d: &RolePart<'_>, r: &RoleState) -> Result<(), Blocked> {
    match d.max_session {
        Some(want) if r.max_session < want && !d.widen.raise_max_session => {
            Err(Blocked::MaxSessionShortened {
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
    notes: &mut Vec<Note>,
) -> Result<(), Blocked> {
    if !m.refused.is_empty() {
        return Err(Blocked::PolicyNarrowed {
            role: d.name.to_owned(),
            policy: d.policy_name.to_owned(),
            narrowed: m.refused,
        });
    }
    if put && !m.kept.is_empty() {
        notes.push(Note {
            resource: d.resource,
            message: format!(
                "the policy {} on role {} keeps what someone added to it: {}",
                d.policy_name,
                d.name,
                m.kept.join("; ")
            ),
        });
    }
    Ok(())
}

/// `--adopt` hands the role to whoever assumes it: every other policy on it is read, and a
/// role that can do more than ours allows is taken only with `--adopt-wider-role` (then the
/// plan lists what else it can do).
fn guard_adopted_grants(
    d: &RolePart<'_>,
    grants: Option<&iam::Grants>,
    notes: &mut Vec<Note>,
) -> Result<(), Blocked> {
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
        return Err(Blocked::WiderRole {
            role: d.name.to_owned(),
            who: d.who,
            beyond,
        });
    }
    notes.push(Note {
        resource: d.resource,
        message: format!(
            "--adopt-wider-role: besides what setup grants, {} will be able to use: {}",
            d.who,
            beyond.join("; ")
        ),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::super::tests::{converged, desired, kinds};
    use super::*;
    use crate::names::AccountId;

    /// The words of the plan's trust change (`report::plan` prefixes them).
    fn trust_words(p: &Plan) -> String {
        match &p.role[0] {
            RoleAction::UpdateTrust { before, after } => {
                iam::trust_change(before, after).unwrap_or_default()
            }
            other => panic!("{other:?}"),
        }
    }
    use serde_json::json;

    #[test]
    fn drifted_role_is_repaired_field_by_field() {
        let mut d = desired();
        // The second principal goes only when asked (see trust_only_narrows_unless_asked), and
        // so does the shortened session.
        d.role_mut().widen.replace_trust = true;
        d.role_mut().widen.raise_max_session = true;
        let mut a = converged(&d);
        let r = a.role.as_mut().unwrap();
        r.max_session = 3600;
        r.policy = Some(iam::write_policy(
            "arn:aws:kinesis:us-east-1:123456789012:stream/other",
            None,
        ));
        r.trust["Statement"][0]["Principal"]["AWS"] = json!([
            "arn:aws:iam::210987654321:root",
            "arn:aws:iam::999999999999:root"
        ]);
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            kinds(&p),
            ["update_trust", "update_max_session", "put_policy"]
        );
        assert_eq!(p.outcome(Resource::Role), "updated");
    }

    #[test]
    fn an_unmanaged_role_is_only_changed_with_adopt() {
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().tags.clear();
        // Correct as it is: left alone, no tagging either.
        assert!(plan(&d, &a).unwrap().is_empty());
        a.role.as_mut().unwrap().max_session = 3600;
        assert!(matches!(plan(&d, &a), Err(Blocked::UnmanagedRole { .. })));
        d.role_mut().adopt = true;
        assert_eq!(
            kinds(&plan(&d, &a).unwrap()),
            ["update_max_session", "tag_role"]
        );
    }

    #[test]
    fn a_missing_inline_policy_on_an_existing_role_is_an_update() {
        let d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().policy = None;
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["put_policy"]);
        assert_eq!(p.outcome(Resource::Role), "updated");
    }

    #[test]
    fn trust_only_narrows_unless_asked() {
        let ext = crate::names::ExternalId::parse("--external-id", "district-42").unwrap();
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        let mut d = desired();
        let mut a = converged(&d);
        // Guarded today, no id in this run: refused, naming the flag.
        a.role.as_mut().unwrap().trust = iam::trust_policy(&agilix, Some(&ext));
        let blocked = plan(&d, &a).unwrap_err();
        assert!(matches!(blocked, Blocked::TrustLosesExternalId { .. }));
        d.role_mut().widen.remove_external_id = true;
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["update_trust"]);
        assert_eq!(trust_words(&p), "remove the external id condition");
        // Adding the id narrows: no flag needed.
        let mut d = desired();
        d.role_mut().trust = iam::trust_policy(&agilix, Some(&ext));
        let a = converged(&desired());
        assert_eq!(
            trust_words(&plan(&d, &a).unwrap()),
            "require the external id"
        );
        // Another principal beside Agilix's: refused without --replace-trust, then noted.
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust["Statement"][0]["Principal"]["AWS"] =
            json!(["arn:aws:iam::210987654321:root", "999999999999"]);
        let blocked = plan(&d, &a).unwrap_err();
        assert!(
            matches!(&blocked, Blocked::TrustAdmitsOthers { beyond, .. }
                if beyond.iter().any(|b| b.contains("999999999999"))),
            "{blocked:?}"
        );
        d.role_mut().widen.replace_trust = true;
        let p = plan(&d, &a).unwrap();
        assert!(p.notes.iter().any(|n| n.message.contains("999999999999")));
        // A change of account: refused without --replace-trust, naming both accounts; then
        // shown as one.
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust = iam::trust_policy(
            &AccountId::parse("--agilix-account", "111122223333").unwrap(),
            None,
        );
        assert_eq!(
            plan(&d, &a).unwrap_err(),
            Blocked::TrustMoves {
                role: "BuzzKinesisWriter".into(),
                from: vec!["arn:aws:iam::111122223333:root".into()],
                to: vec!["arn:aws:iam::210987654321:root".into()],
            }
        );
        d.role_mut().widen.replace_trust = true;
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            trust_words(&p),
            "trusted account arn:aws:iam::111122223333:root -> arn:aws:iam::210987654321:root"
        );
        assert!(p.notes.iter().any(|n| n.message.contains(
            "the trust moves from arn:aws:iam::111122223333:root to arn:aws:iam::210987654321:root"
        )));
    }

    #[test]
    fn a_closed_trust_is_refused_even_with_replace_trust() {
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
        for replace in [false, true] {
            d.role_mut().widen.replace_trust = replace;
            assert!(
                matches!(plan(&d, &a), Err(Blocked::TrustClosed { ref denies, .. }) if denies.len() == 1),
                "{:?}",
                plan(&d, &a)
            );
        }
    }

    #[test]
    fn a_narrower_principal_or_condition_is_kept_and_noted() {
        let d = desired();
        let mut a = converged(&d);
        let writer = "arn:aws:iam::210987654321:role/BuzzWriter";
        a.role.as_mut().unwrap().trust["Statement"][0]["Principal"]["AWS"] = json!(writer);
        // Kept as it is: nothing to change, nothing to say.
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty() && p.notes.is_empty(), "{p:?}");
        // With the external id added, ours is written on that principal, and noted.
        let ext = crate::names::ExternalId::parse("--external-id", "district-42").unwrap();
        let mut d = desired();
        d.role_mut().trust = iam::trust_policy(
            &AccountId::parse("--agilix-account", "210987654321").unwrap(),
            Some(&ext),
        );
        let p = plan(&d, &a).unwrap();
        let RoleAction::UpdateTrust { after, .. } = &p.role[0] else {
            panic!("{p:?}")
        };
        assert_eq!(after["Statement"][0]["Principal"]["AWS"], json!([writer]));
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("keeps what narrows it") && n.message.contains(writer)));
    }

    #[test]
    fn a_shortened_session_is_raised_only_with_max_session() {
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().max_session = 3600;
        assert_eq!(
            plan(&d, &a).unwrap_err(),
            Blocked::MaxSessionShortened {
                role: "BuzzKinesisWriter".into(),
                have: 3600,
                want: MAX_SESSION_SECONDS
            }
        );
        d.role_mut().widen.raise_max_session = true;
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["update_max_session"]);
        // A session longer than we ask for cannot exist (12 h is IAM's longest), but is not
        // refused: only shortening is guarded.
        let d = desired();
        a.role.as_mut().unwrap().max_session = MAX_SESSION_SECONDS + 1;
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["update_max_session"]);
    }

    #[test]
    fn a_deny_in_our_policy_is_kept_and_a_condition_refused() {
        let d = desired();
        let mut a = converged(&d);
        let deny = json!({"Effect": "Deny", "Action": "kinesis:SplitShard", "Resource": "*"});
        let mut have = d.role_part().policy.clone();
        have["Statement"].as_array_mut().unwrap().push(deny.clone());
        a.role.as_mut().unwrap().policy = Some(have.clone());
        // Converged with the Deny beside ours.
        assert!(plan(&d, &a).unwrap().is_empty());
        // A policy change (another stream) keeps it, and says so.
        let mut d2 = desired();
        d2.role_mut().policy =
            iam::write_policy("arn:aws:kinesis:us-east-1:123456789012:stream/other", None);
        let p = plan(&d2, &a).unwrap();
        let RoleAction::PutPolicy { after, .. } = &p.role[0] else {
            panic!("{p:?}")
        };
        assert!(
            after["Statement"].as_array().unwrap().contains(&deny),
            "{after}"
        );
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("keeps what someone added")));
        // A Deny of what ours grants: refused, even with nothing to write.
        let mut blocked = d.role_part().policy.clone();
        blocked["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Deny", "Action": "kinesis:PutRecords", "Resource": "*"}));
        a.role.as_mut().unwrap().policy = Some(blocked);
        assert!(matches!(
            plan(&d, &a),
            Err(Blocked::PolicyNarrowed { ref narrowed, .. }) if narrowed[0].contains("denies what setup grants")
        ));
        // A condition on our grant: refused.
        let mut narrowed = d.role_part().policy.clone();
        narrowed["Statement"][0]["Condition"] =
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        a.role.as_mut().unwrap().policy = Some(narrowed);
        assert!(matches!(
            plan(&d, &a),
            Err(Blocked::PolicyNarrowed { ref narrowed, .. }) if narrowed[0].contains("aws:SourceIp")
        ));
    }

    #[test]
    fn adopt_weighs_every_policy_on_the_role() {
        use crate::iam::{Grants, NamedPolicy};
        let mut d = desired();
        d.role_mut().adopt = true;
        let mut a = converged(&d);
        a.role.as_mut().unwrap().tags.clear();
        let admin = NamedPolicy {
            name: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        };
        a.role_grants = Some(Grants {
            identity: vec![admin],
            boundary: None,
        });
        let blocked = plan(&d, &a).unwrap_err();
        assert!(
            matches!(&blocked, Blocked::WiderRole { beyond, .. }
                if beyond.iter().any(|b| b.contains("AdministratorAccess"))),
            "{blocked:?}"
        );
        d.role_mut().widen.adopt_wider_role = true;
        let p = plan(&d, &a).unwrap();
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("AdministratorAccess")));
        // A role whose other policies stay within ours is adopted without the flag.
        d.role_mut().widen.adopt_wider_role = false;
        a.role_grants = Some(Grants::identity(&[iam::write_policy(&d.stream_arn, None)]));
        assert!(plan(&d, &a).is_ok());
        // Someone else's role found by a re-plan after a race: the same rules.
        d.role_mut().adopt = false;
        a.role.as_mut().unwrap().policy = None;
        assert!(matches!(
            super::super::replan_role(&d.role.clone(), d.role_part(), a.role.as_ref(), None),
            Err(Blocked::UnmanagedRole { .. })
        ));
    }
}
