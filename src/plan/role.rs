//! The role's plan: create it trusting Agilix's account, or repair an existing one field by
//! field. A role buzz-kinesis did not create is changed only with `--adopt`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{missing_tags, tag_map, Blocked, Desired, Note, Plan};
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
    d: &Desired,
    observed: Option<&RoleState>,
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
                    d.role
                ),
            });
            return Ok(());
        }
        return Err(Blocked::UnmanagedRole {
            role: d.role.clone(),
            changes,
        });
    }
    p.role.extend(changes);
    if !tags.is_empty() {
        p.role.push(RoleAction::TagRole { tags });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::super::tests::{converged, desired, kinds};
    use super::*;
    use serde_json::json;

    #[test]
    fn drifted_role_is_repaired_field_by_field() {
        let d = desired();
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
        d.adopt = true;
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
}
