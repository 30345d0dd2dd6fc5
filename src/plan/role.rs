//! The role's plan: create it trusting Agilix's account, or repair an existing one field by
//! field. A role buzz-kinesis did not create is changed only with `--adopt`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{missing_tags, tag_map, Blocked, DesiredRole, Note, Plan};
use crate::policy;
use crate::state::{Resource, RoleState};

/// Buzz asks for 12-hour sessions.
pub const MAX_SESSION_SECONDS: i32 = 43_200;

/// One change to the role.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoleAction {
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

impl RoleAction {
    /// Whether the action makes the role (drawn `+`, and the role's outcome `created`). The
    /// inline policy of a new role is a change of that role, as on a role that exists.
    pub fn is_create(&self) -> bool {
        match self {
            RoleAction::CreateRole { .. } => true,
            RoleAction::UpdateTrust { .. }
            | RoleAction::UpdateMaxSession { .. }
            | RoleAction::TagRole { .. }
            | RoleAction::PutPolicy { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub fn before_after(&self) -> (Value, Value) {
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
}

pub(super) fn plan_role(
    name: &str,
    d: &DesiredRole,
    observed: Option<&RoleState>,
    grants: Option<&policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let want_tags = tag_map(&d.tags, true);
    let Some(r) = observed else {
        p.role.push(RoleAction::CreateRole {
            trust: d.trust.clone(),
            max_session: MAX_SESSION_SECONDS,
            tags: want_tags,
        });
        p.role.push(RoleAction::PutPolicy {
            before: None,
            after: d.policy.clone(),
        });
        return Ok(());
    };
    let mut changes = Vec::new();
    if !policy::equivalent(&r.trust, &d.trust) {
        changes.push(RoleAction::UpdateTrust {
            before: r.trust.clone(),
            after: d.trust.clone(),
        });
    }
    if r.max_session != MAX_SESSION_SECONDS {
        changes.push(RoleAction::UpdateMaxSession {
            from: r.max_session,
            to: MAX_SESSION_SECONDS,
        });
    }
    if !r
        .policy
        .as_ref()
        .is_some_and(|have| policy::equivalent(have, &d.policy))
    {
        changes.push(RoleAction::PutPolicy {
            before: r.policy.clone(),
            after: d.policy.clone(),
        });
    }
    let tags = missing_tags(&want_tags, &r.tags);
    if !r.is_managed() && !d.adopt {
        if changes.is_empty() {
            // Nothing to change but our labels on someone else's role: leave it alone.
            p.notes.push(Note {
                resource: Resource::Role,
                message: format!(
                    "the role {} was not created by buzz-kinesis; it is already correct, so setup leaves it untouched",
                    name
                ),
            });
            return Ok(());
        }
        return Err(Blocked::UnmanagedRole {
            role: name.to_owned(),
            changes,
        });
    }
    if !r.is_managed() {
        guard_adopted_grants(name, d, grants, p)?;
    }
    if changes
        .iter()
        .any(|c| matches!(c, RoleAction::UpdateTrust { .. }))
    {
        guard_trust(name, d, r, p)?;
    }
    p.role.extend(changes);
    if !tags.is_empty() {
        p.role.push(RoleAction::TagRole { tags });
    }
    Ok(())
}

/// The trust only narrows unless asked: losing the external id needs
/// `--remove-external-id`, dropping other principals, statements or conditions needs
/// `--replace-trust` (then noted, with what is dropped).
fn guard_trust(name: &str, d: &DesiredRole, r: &RoleState, p: &mut Plan) -> Result<(), Blocked> {
    if policy::requires_external_id(&r.trust)
        && !policy::requires_external_id(&d.trust)
        && !d.widen.remove_external_id
    {
        return Err(Blocked::TrustLosesExternalId {
            role: name.to_owned(),
        });
    }
    let beyond = policy::trust_beyond(&r.trust, &d.trust);
    if beyond.is_empty() {
        return Ok(());
    }
    if !d.widen.replace_trust {
        return Err(Blocked::TrustAdmitsOthers {
            role: name.to_owned(),
            beyond,
        });
    }
    p.notes.push(Note {
        resource: Resource::Role,
        message: format!(
            "--replace-trust: the new trust admits Agilix's account alone, so this goes: {}",
            beyond.join("; ")
        ),
    });
    Ok(())
}

/// `--adopt` hands the role to Agilix's account: every other policy on it is read, and a
/// role that can do more than write to the stream is taken only with `--adopt-wider-role`
/// (then the plan lists what else it can do).
fn guard_adopted_grants(
    name: &str,
    d: &DesiredRole,
    grants: Option<&policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let Some(grants) = grants else {
        return Ok(());
    };
    let (actions, resources) = policy::allowed_by(&d.policy);
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
    let ours = format!("inline:{}", policy::POLICY_NAME);
    let beyond = grants.beyond(&ours, &actions, &resources);
    if beyond.is_empty() {
        return Ok(());
    }
    if !d.widen.adopt_wider_role {
        return Err(Blocked::WiderRole {
            role: name.to_owned(),
            beyond,
        });
    }
    p.notes.push(Note {
        resource: Resource::Role,
        message: format!(
            "--adopt-wider-role: besides writing to the stream, Agilix's account will be able to use: {}",
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
                policy::trust_change(before, after).unwrap_or_default()
            }
            other => panic!("{other:?}"),
        }
    }
    use serde_json::json;

    #[test]
    fn drifted_role_is_repaired_field_by_field() {
        let mut d = desired();
        // The second principal goes only when asked (see trust_only_narrows_unless_asked).
        d.role_mut().widen.replace_trust = true;
        let mut a = converged(&d);
        let r = a.role.as_mut().unwrap();
        r.max_session = 3600;
        r.policy = Some(policy::write_policy(
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
        a.role.as_mut().unwrap().trust = policy::trust_policy(&agilix, Some(&ext));
        let blocked = plan(&d, &a).unwrap_err();
        assert!(matches!(blocked, Blocked::TrustLosesExternalId { .. }));
        d.role_mut().widen.remove_external_id = true;
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["update_trust"]);
        assert_eq!(trust_words(&p), "remove the external id condition");
        // Adding the id narrows: no flag needed.
        let mut d = desired();
        d.role_mut().trust = policy::trust_policy(&agilix, Some(&ext));
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
        // A change of account the user asked for: shown as one, no flag.
        let d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust = policy::trust_policy(
            &AccountId::parse("--agilix-account", "111122223333").unwrap(),
            None,
        );
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            trust_words(&p),
            "trusted account arn:aws:iam::111122223333:root -> arn:aws:iam::210987654321:root"
        );
    }

    #[test]
    fn adopt_weighs_every_policy_on_the_role() {
        use crate::policy::{Grants, NamedPolicy};
        let mut d = desired();
        d.role_mut().adopt = true;
        let mut a = converged(&d);
        a.role.as_mut().unwrap().tags.clear();
        a.role.as_mut().unwrap().max_session = 3600;
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
        a.role_grants = Some(Grants::identity(&[policy::write_policy(
            &d.stream_arn,
            None,
        )]));
        assert!(plan(&d, &a).is_ok());
        // Someone else's role found by a re-plan after a race: the same rules.
        d.role_mut().adopt = false;
        assert!(matches!(
            super::super::replan_role(&d.role.clone(), d.role_part(), a.role.as_ref(), None),
            Err(Blocked::UnmanagedRole { .. })
        ));
    }
}
