//! An IAM role's changes, whichever role it is: the writer role Agilix assumes and Firehose's
//! role are both planned by `plan/role.rs`'s `plan_any_role`, under the same rules, into these
//! actions (Firehose's role names them in its own words: `firehose_role::FirehoseRoleAction`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

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

impl RoleAction {
    /// Whether the action makes the role (drawn `+`, and the role's outcome `created`). The
    /// inline policy of a new role is a change of that role, as on a role that exists.
    pub(crate) fn is_create(&self) -> bool {
        match self {
            RoleAction::CreateRole { .. } => true,
            RoleAction::UpdateTrust { .. }
            | RoleAction::UpdateMaxSession { .. }
            | RoleAction::TagRole { .. }
            | RoleAction::PutPolicy { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub(crate) fn before_after(&self) -> (Value, Value) {
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
