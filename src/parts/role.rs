//! An IAM role's changes, whichever role it is: the writer role Agilix assumes and Firehose's
//! role are both planned by `plan/role.rs`'s `plan_any_role`, under the same rules, into these
//! actions (Firehose's role names them in its own words: `firehose_role::FirehoseRoleAction`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

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
