//! Firehose's role, as the exports make it: trusting firehose.amazonaws.com from this account,
//! with the archive's inline policy. Setup plans it through the same role part as the writer
//! role (`plan/role.rs`, `plan_any_role` over a `RolePart` that `plan/archive.rs` builds from
//! `archive::Archive::trust` and the permission below), so its trust and grant guards are the
//! writer role's. Its check row judges the role as IAM would, action by action; teardown
//! deletes it only when setup made it and nobody attached a managed policy to it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::role::{RoleAction, RoleObserved};
use super::{
    cfn_substitute, cfn_tags, tf_archive_resource, tf_tags, ArchiveLeft, ArchiveState, Export,
    PlanCx, Planned, Refusal, Row, RowCx, Teardown, TeardownCx, ACCOUNT, ARCHIVE_AGAIN,
    KINESIS_SERVICE, LOG_STREAM_ARN, S3_SERVICE, STREAM_ARN,
};
use crate::archive::{self, Archive, ArchiveRefs, POLICY_NAME, ROLE_DESCRIPTION};
use crate::hcl::{Block, Hcl};
use crate::iam::{Decision, Grants};
use crate::state::{RoleState, MANAGED_BY};

/// The role's logical id in CloudFormation.
pub(crate) const CFN_ID: &str = "BuzzArchiveRole";

/// IAM's default session length, the one Firehose's role is made with (never changed after).
pub(crate) const SESSION_SECONDS: i32 = 3600;

/// Firehose's role, as a part of the archive.
pub(crate) struct FirehoseRole;

impl super::Part for FirehoseRole {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

impl super::ArchivePart for FirehoseRole {
    type Found = Option<RoleState>;

    /// Its name, and every policy on it.
    type Left = Option<(String, RoleObserved)>;
    type Action = FirehoseRoleAction;
    type Removal = FirehoseRoleRemoval;

    const NOUN: &'static str = "the archive's Firehose role";
    const CHAIN: &'static str = "role";
    const ROW: Option<&'static str> = Some("archive.role");

    /// Firehose uses it until its delivery stream is gone.
    const TEARDOWN_AFTER: &'static [&'static str] = &["delivery"];

    /// Through the role part every role setup owns goes through (`role::plan`), once a role
    /// someone else made is refused without `--adopt` (it would be handed to Firehose).
    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<FirehoseRoleAction>, E> {
        let role = cx.model.role();
        if found.role.as_ref().is_some_and(|r| !r.is_managed()) && !cx.adopt {
            return Err(Refusal::new(
                format!("Firehose's role {role}"),
                "exists and was not made by buzz-kinesis (it has no managed-by tag)",
                "pass --adopt to give it the archive's trust and policy, or remove it",
            )
            .into());
        }
        let planned = super::role::plan(&cx.role, found.role.as_ref(), cx.role_grants)?;
        Ok(Planned {
            actions: planned
                .actions
                .into_iter()
                .filter_map(|a| FirehoseRoleAction::of(&role, a))
                .collect(),
            notes: planned.notes,
        })
    }

    fn row(&self, cx: &RowCx<'_>, found: &ArchiveState) -> Option<Row> {
        Some(row(
            cx.model,
            cx.stream_arn,
            cx.account,
            found.role.as_ref().and(cx.grants),
        ))
    }

    fn teardown(&self, _: &TeardownCx, left: &ArchiveLeft) -> Planned<FirehoseRoleRemoval> {
        let role = left.role.as_ref();
        super::torn(
            teardown(role.map(|(name, r)| (name.as_str(), r.managed, r.attached.as_slice()))),
            role.map(|(name, r)| FirehoseRoleRemoval::DeleteArchiveRole {
                role: name.clone(),
                policies: r.inline.clone(),
            }),
        )
    }
}

/// The removal of Firehose's role, after its inline policies.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FirehoseRoleRemoval {
    DeleteArchiveRole { role: String, policies: Vec<String> },
}

impl super::Gone for FirehoseRoleRemoval {
    fn describe(&self) -> String {
        let FirehoseRoleRemoval::DeleteArchiveRole { role, policies } = self;
        match policies.len() {
            0 => format!("delete Firehose's role {role}"),
            _ => format!(
                "delete Firehose's role {role} with its inline policies {}",
                policies.join(", ")
            ),
        }
    }
}

/// One change to Firehose's role: the role planner's actions, each naming the role (its JSON
/// keeps these kinds).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FirehoseRoleAction {
    CreateRole {
        role: String,
        trust: Value,
        tags: BTreeMap<String, String>,
    },
    UpdateRoleTrust {
        role: String,
        before: Value,
        after: Value,
    },
    PutRolePolicy {
        role: String,
        before: Option<Value>,
        after: Value,
    },
    TagRole {
        role: String,
        tags: BTreeMap<String, String>,
    },
}

impl FirehoseRoleAction {
    /// The role planner's action as Firehose's role's. `UpdateMaxSession` cannot come: Firehose's
    /// role asks for no session length.
    fn of(role: &str, a: RoleAction) -> Option<Self> {
        let role = role.to_owned();
        match a {
            RoleAction::CreateRole { trust, tags, .. } => {
                Some(FirehoseRoleAction::CreateRole { role, trust, tags })
            }
            RoleAction::UpdateTrust { before, after } => {
                Some(FirehoseRoleAction::UpdateRoleTrust {
                    role,
                    before,
                    after,
                })
            }
            RoleAction::PutPolicy { before, after } => Some(FirehoseRoleAction::PutRolePolicy {
                role,
                before,
                after,
            }),
            RoleAction::TagRole { tags } => Some(FirehoseRoleAction::TagRole { role, tags }),
            RoleAction::UpdateMaxSession { .. } => None,
        }
    }

    /// The JSON lines a document change adds and removes, under its plan line.
    pub(crate) fn documents(&self) -> Option<(&Value, &Value)> {
        match self {
            FirehoseRoleAction::UpdateRoleTrust { before, after, .. }
            | FirehoseRoleAction::PutRolePolicy {
                before: Some(before),
                after,
                ..
            } => Some((before, after)),
            _ => None,
        }
    }
}

impl super::Change for FirehoseRoleAction {
    fn is_create(&self) -> bool {
        matches!(self, FirehoseRoleAction::CreateRole { .. })
    }

    fn before_after(&self) -> (Value, Value) {
        match self {
            FirehoseRoleAction::UpdateRoleTrust { before, after, .. } => {
                (before.clone(), after.clone())
            }
            FirehoseRoleAction::PutRolePolicy { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
            other => (
                Value::Null,
                serde_json::to_value(other).unwrap_or(Value::Null),
            ),
        }
    }

    fn describe(&self) -> String {
        match self {
            FirehoseRoleAction::CreateRole { role, .. } => format!(
                "create Firehose's role {role} (trusting firehose.amazonaws.com from this account)"
            ),
            FirehoseRoleAction::UpdateRoleTrust { role, .. } => {
                format!("update the trust policy of Firehose's role {role}")
            }
            FirehoseRoleAction::PutRolePolicy {
                role, before: None, ..
            } => format!(
                "add inline policy {POLICY_NAME} to {role} (read the stream, write the bucket's events/ and errors/)"
            ),
            FirehoseRoleAction::PutRolePolicy { role, .. } => {
                format!("update inline policy {POLICY_NAME} of {role}")
            }
            FirehoseRoleAction::TagRole { role, tags } => {
                format!("role {role}: {}", super::add_tags(tags))
            }
        }
    }
}

/// The role's permission policy, its deployment-only values as the parts' stand-ins.
pub(crate) fn permission(a: &Archive) -> Value {
    a.permission(&ArchiveRefs {
        account: ACCOUNT,
        stream_arn: STREAM_ARN,
        log_stream_arn: LOG_STREAM_ARN,
        kinesis_service: KINESIS_SERVICE,
        s3_service: S3_SERVICE,
    })
}

/// What Firehose must be allowed, each on its resource: reading the stream, finding the bucket,
/// writing an event object and an error object.
pub(crate) fn needs(model: &Archive, stream_arn: &str) -> Vec<(&'static str, String)> {
    let bucket = model.bucket_arn();
    let stream = stream_arn.to_owned();
    vec![
        ("kinesis:DescribeStream", stream.clone()),
        ("kinesis:GetShardIterator", stream.clone()),
        ("kinesis:GetRecords", stream.clone()),
        ("kinesis:ListShards", stream),
        ("s3:ListBucket", bucket.clone()),
        ("s3:GetBucketLocation", bucket.clone()),
        (
            "s3:PutObject",
            format!(
                "{bucket}/{}type=X/dt=2026-01-01/object.gz",
                archive::EVENTS_PREFIX
            ),
        ),
        (
            "s3:PutObject",
            format!(
                "{bucket}/{}processing-failed/object",
                archive::ERRORS_PREFIX
            ),
        ),
    ]
}

/// Check's `archive.role` row: the role's policies as IAM evaluates them (`grants`, `None` when
/// the role does not exist), against each of [`needs`] (the S3 grants hold only for a bucket
/// of `account`), then the stream's key when it has one of its own (`model.key`).
pub(crate) fn row(
    model: &Archive,
    stream_arn: &str,
    account: &str,
    grants: Option<&Grants>,
) -> Row {
    let role = model.role();
    let Some(grants) = grants else {
        return Row::Fail(
            format!("Firehose's role {role} does not exist"),
            ARCHIVE_AGAIN.into(),
        );
    };
    // The S3 grants hold only for a bucket of this account (s3:ResourceAccount).
    let context = [("s3:ResourceAccount", account)];
    for (action, resource) in needs(model, stream_arn) {
        let why = match grants.decide(action, &resource, &context) {
            Decision::Allow => continue,
            Decision::ExplicitDeny => "an explicit Deny",
            Decision::OutsideBoundary => "its permission boundary",
            _ => "no Allow",
        };
        return Row::Fail(
            format!("Firehose's role {role} may not {action} on {resource} ({why}): events stay in the stream until they expire"),
            format!("{ARCHIVE_AGAIN} (it restores the role's policy {POLICY_NAME}); remove any Deny that covers it"),
        );
    }
    // The stream's customer-managed key (as resolved): Firehose reads through Kinesis, which
    // asks KMS to decrypt on its behalf, so a grant limited to that (kms:ViaService) counts.
    if let Some(key) = &model.key {
        let region = stream_arn.split(':').nth(3).unwrap_or_default();
        let via = crate::iam::kinesis_service(region);
        let context = [(crate::iam::VIA_SERVICE, via.as_str())];
        if grants.decide("kms:Decrypt", key.as_str(), &context) != Decision::Allow {
            return Row::Fail(
                format!("Firehose's role {role} may not use the stream's KMS key {key} (kms:Decrypt): Firehose cannot read the stream, and events stay in it until they expire"),
                format!("{ARCHIVE_AGAIN}: it grants kms:Decrypt on the key's ARN through Kinesis (the key policy must allow the account's IAM policies, as a key's default policy does)"),
            );
        }
    }
    Row::Pass(format!(
        "Firehose's role {role} may read the stream and write the archive"
    ))
}

/// What teardown does with Firehose's role it found (`None`: absent): its name, whether setup
/// made it, and the managed policies attached to it (buzz-kinesis never attaches one, so one
/// there is someone else's use of the role). Its inline policies go with it.
pub(crate) fn teardown(found: Option<(&str, bool, &[String])>) -> Teardown {
    match found {
        Some((_, true, [])) => Teardown::Remove,
        Some((name, true, attached)) => Teardown::Keep(format!(
            "Firehose's role {name} has managed policies attached ({}), which buzz-kinesis never does; it stays",
            attached.join(", ")
        )),
        Some((name, false, _)) => Teardown::Keep(format!(
            "Firehose's role {name} was not made by buzz-kinesis (no tag {}={}); it stays",
            MANAGED_BY.0, MANAGED_BY.1
        )),
        None => Teardown::Nothing,
    }
}

/// The role, its trust and inline policy, as a CloudFormation resource.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let a = x.model;
    let (group, stream) = (super::log::CFN_GROUP_ID, super::log::CFN_STREAM_ID);
    let permission = cfn_substitute(
        &permission(a),
        &[
            (ACCOUNT, json!({"Ref": "AWS::AccountId"})),
            (
                STREAM_ARN,
                json!({"Fn::GetAtt": [super::CFN_STREAM, "Arn"]}),
            ),
            (
                LOG_STREAM_ARN,
                json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{group}}}:log-stream:${{{stream}}}")}),
            ),
            (
                KINESIS_SERVICE,
                json!({"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"}),
            ),
            (
                S3_SERVICE,
                json!({"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}),
            ),
        ],
    );
    let role = json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": a.role(),
            "Description": ROLE_DESCRIPTION,
            "AssumeRolePolicyDocument": cfn_substitute(&Archive::trust(ACCOUNT), &[(ACCOUNT, json!({"Ref": "AWS::AccountId"}))]),
            "Policies": [{"PolicyName": POLICY_NAME, "PolicyDocument": permission}],
            "Tags": cfn_tags(x.tags),
        },
    });
    vec![(CFN_ID, role)]
}

/// The role and its inline policy as Terraform resources.
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    let a = x.model;
    let stream_arn = format!("{}.arn", super::TF_STREAM);
    vec![
        tf_archive_resource("aws_iam_role")
            .attr("name", Hcl::str(a.role()))
            .attr("description", Hcl::str(ROLE_DESCRIPTION))
            .attr(
                "assume_role_policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &Archive::trust(ACCOUNT),
                        &[(ACCOUNT, "data.aws_caller_identity.current.account_id")],
                    )),
                ),
            )
            .attr("tags", tf_tags(x.tags)),
        tf_archive_resource("aws_iam_role_policy")
            .attr("name", Hcl::str(POLICY_NAME))
            .attr("role", Hcl::expr("aws_iam_role.buzz_archive.id"))
            .attr(
                "policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &permission(a),
                        &[
                            (ACCOUNT, "data.aws_caller_identity.current.account_id"),
                            (STREAM_ARN, stream_arn.as_str()),
                            (LOG_STREAM_ARN, "aws_cloudwatch_log_stream.buzz_archive.arn"),
                            (
                                KINESIS_SERVICE,
                                "\"kinesis.${data.aws_region.current.id}.amazonaws.com\"",
                            ),
                            (
                                S3_SERVICE,
                                "\"s3.${data.aws_region.current.id}.amazonaws.com\"",
                            ),
                        ],
                    )),
                ),
            ),
    ]
}

#[cfg(test)]
mod tests;
