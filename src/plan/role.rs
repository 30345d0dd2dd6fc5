//! The writer role in the whole plan: the role part's plan (`parts::role`, the planner both
//! roles share) for the role Agilix assumes, its notes under the role, and the tests of the
//! whole plan's role.

use super::{Blocked, DesiredRole, Note, Plan};
use crate::iam;
use crate::parts::add_ons::Resource;
pub(crate) use crate::parts::role::RoleAction;
use crate::parts::role::{self, RolePart};
use crate::parts::tag_map;
use crate::state::RoleState;

/// Buzz asks for 12-hour sessions.
pub(crate) use crate::parts::writer_role::MAX_SESSION_SECONDS;

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
    let planned = role::plan(&part, observed, grants)?;
    p.role.extend(planned.actions);
    p.notes
        .extend(planned.notes.into_iter().map(|message| Note {
            resource: Resource::Role,
            message,
        }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::super::tests::{converged, desired, kinds};
    use super::*;
    use crate::names::AccountId;
    use crate::parts::role::RoleRefusal;

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
        assert!(matches!(
            plan(&d, &a),
            Err(Blocked::Role(RoleRefusal::UnmanagedRole { .. }))
        ));
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
        assert!(matches!(
            blocked,
            Blocked::Role(RoleRefusal::TrustLosesExternalId { .. })
        ));
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
            matches!(&blocked, Blocked::Role(RoleRefusal::TrustAdmitsOthers { beyond, .. })
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
            Blocked::Role(RoleRefusal::TrustMoves {
                role: "BuzzKinesisWriter".into(),
                from: vec!["arn:aws:iam::111122223333:root".into()],
                to: vec!["arn:aws:iam::210987654321:root".into()],
            })
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
                matches!(plan(&d, &a), Err(Blocked::Role(RoleRefusal::TrustClosed { ref denies, .. })) if denies.len() == 1),
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
            Blocked::Role(RoleRefusal::MaxSessionShortened {
                role: "BuzzKinesisWriter".into(),
                have: 3600,
                want: MAX_SESSION_SECONDS
            })
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
        let kept_note = |p: &Plan| {
            p.notes
                .iter()
                .any(|n| n.message.contains("keeps what someone added"))
        };
        // Converged with the Deny beside ours: nothing written, so nothing to say of it.
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty());
        assert!(!kept_note(&p), "{:?}", p.notes);
        // A policy change (another stream) with nothing added to ours: no such note.
        let mut d2 = desired();
        d2.role_mut().policy =
            iam::write_policy("arn:aws:kinesis:us-east-1:123456789012:stream/other", None);
        let plain = plan(&d2, &converged(&d)).unwrap();
        assert_eq!(kinds(&plain), ["put_policy"]);
        assert!(!kept_note(&plain), "{:?}", plain.notes);
        // A policy change keeps the Deny, and says so.
        let p = plan(&d2, &a).unwrap();
        let RoleAction::PutPolicy { after, .. } = &p.role[0] else {
            panic!("{p:?}")
        };
        assert!(
            after["Statement"].as_array().unwrap().contains(&deny),
            "{after}"
        );
        assert!(kept_note(&p));
        // A Deny of what ours grants: refused, even with nothing to write.
        let mut blocked = d.role_part().policy.clone();
        blocked["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Deny", "Action": "kinesis:PutRecords", "Resource": "*"}));
        a.role.as_mut().unwrap().policy = Some(blocked);
        assert!(matches!(
            plan(&d, &a),
            Err(Blocked::Role(RoleRefusal::PolicyNarrowed { ref narrowed, .. })) if narrowed[0].contains("denies what setup grants")
        ));
        // A condition on our grant: refused.
        let mut narrowed = d.role_part().policy.clone();
        narrowed["Statement"][0]["Condition"] =
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        a.role.as_mut().unwrap().policy = Some(narrowed);
        assert!(matches!(
            plan(&d, &a),
            Err(Blocked::Role(RoleRefusal::PolicyNarrowed { ref narrowed, .. })) if narrowed[0].contains("aws:SourceIp")
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
            matches!(&blocked, Blocked::Role(RoleRefusal::WiderRole { beyond, .. })
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
            Err(Blocked::Role(RoleRefusal::UnmanagedRole { .. }))
        ));
    }
}
