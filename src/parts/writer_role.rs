//! The role Agilix assumes: what teardown does with it (only a role setup made goes, and only
//! with nothing else attached), and how the exports make it (12-hour sessions, the trust, and
//! the least-privilege inline policy on the stream and its customer-managed key, with the
//! scanner check its trust does not meet and why). (It is planned by `plan/role.rs`, under the
//! rules Firehose's role is planned by; its check rows are `checks/role.rs`'s.)

use serde_json::{json, Value};

use super::role::RoleObserved;
use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{cfn_resource, cfn_substitute, cfn_tags, tf_tags, tf_with_skips, Skip};
use super::{Gone, Planned, KINESIS_SERVICE, STREAM_ARN};
use crate::hcl::{Block, Hcl};
use crate::iam;
use crate::names::{KmsKey, DEFAULT_ROLE};
use crate::state::MANAGED_BY;

/// Buzz asks for 12-hour sessions, the longest IAM allows: a role with less refuses Buzz.
pub(crate) const MAX_SESSION_SECONDS: i32 = 43_200;

/// The role's logical id in CloudFormation and its resource address in Terraform.
pub(crate) const CFN_ID: &str = "BuzzWriterRole";
pub(crate) const TF_ID: &str = "aws_iam_role.buzz";

/// The trust names Agilix's account root (checkov CKV_AWS_61, Terraform only).
const TRUST_ROOT_REASON: &str = "The trust names Agilix's AWS account root because Agilix's procedure for Buzz data streams requires it: Buzz's servers assume this role from that account. It admits that one account alone";

pub(crate) struct WriterRole;

/// The role's removals, as teardown's plan shows them and teardown applies them: its inline
/// policies first (IAM deletes only a role with none left), then the role.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WriterRoleRemoval {
    /// Delete one inline policy (a role must have none left to be deleted).
    DeleteRolePolicy { role: String, policy: String },
    /// Delete the role, after its inline policies.
    DeleteRole { role: String, arn: String },
}

impl Gone for WriterRoleRemoval {
    fn describe(&self) -> String {
        match self {
            WriterRoleRemoval::DeleteRolePolicy { role, policy } => {
                format!("delete inline policy {policy} of role {role}")
            }
            WriterRoleRemoval::DeleteRole { role, .. } => format!("delete role {role}"),
        }
    }
}

/// What teardown does with the role it found: every inline policy, then the role. Refused
/// (so that teardown changes nothing at all) when setup did not make it, or when something
/// else attached a managed policy to it.
pub(crate) fn teardown(
    role: &str,
    found: Option<&RoleObserved>,
) -> Result<Planned<WriterRoleRemoval>, String> {
    let mut p = Planned::default();
    let Some(r) = found else {
        return Ok(p);
    };
    if !r.managed {
        return Err(format!(
            "the role {role} does not carry the tag {}={}: buzz-kinesis did not create it, so teardown changes nothing. \
             Check --role (the role setup made; default {DEFAULT_ROLE}), or if this role is the one Buzz uses, remove it yourself \
             and run teardown again to remove the Buzz target",
            MANAGED_BY.0, MANAGED_BY.1
        ));
    }
    if !r.attached.is_empty() {
        return Err(format!(
            "the role {role} has managed policies attached ({}), which buzz-kinesis never does: something else uses it, so teardown changes nothing. \
             Detach them (aws iam detach-role-policy --role-name {role} --policy-arn ARN) if the role may go, then run teardown again",
            r.attached.join(", "),
        ));
    }
    for policy in &r.inline {
        p.actions.push(WriterRoleRemoval::DeleteRolePolicy {
            role: role.to_owned(),
            policy: policy.clone(),
        });
    }
    p.actions.push(WriterRoleRemoval::DeleteRole {
        role: role.to_owned(),
        arn: r.arn.clone(),
    });
    Ok(p)
}

/// The permission policy, its stream (and key) as stand-ins each dialect replaces.
fn permission(b: &Blueprint) -> Value {
    iam::write_policy_via(
        STREAM_ARN,
        b.encryption.customer_key().map(KmsKey::as_str),
        KINESIS_SERVICE,
    )
}

/// The checks the role's trust does not meet, with their reasons.
pub(crate) fn skips(b: &Blueprint) -> Vec<Skip> {
    let narrowed = if iam::trusted_principals(&b.trust)
        .iter()
        .all(|(_, external_id)| external_id.is_some())
    {
        ", and only with this district's external id, which keeps other Buzz tenants out"
    } else {
        "; pass --external-id when Agilix issues one, so that only this district's Buzz configuration can use the role"
    };
    vec![Skip {
        id: "CKV_AWS_61",
        reason: format!("{TRUST_ROOT_REASON}{narrowed}."),
    }]
}

impl StackPart for WriterRole {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        let permission = cfn_substitute(
            &permission(b),
            &[
                (
                    STREAM_ARN,
                    json!({"Fn::GetAtt": [super::CFN_STREAM, "Arn"]}),
                ),
                (
                    KINESIS_SERVICE,
                    json!({"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"}),
                ),
            ],
        );
        CfnFragment {
            resources: vec![(
                CFN_ID,
                cfn_resource(
                    json!({
                        "Type": "AWS::IAM::Role",
                        "Properties": {
                            "RoleName": b.role,
                            "Description": iam::ROLE_DESCRIPTION,
                            "MaxSessionDuration": MAX_SESSION_SECONDS,
                            "AssumeRolePolicyDocument": b.trust,
                            "Policies": [{"PolicyName": iam::POLICY_NAME, "PolicyDocument": permission}],
                            "Tags": cfn_tags(&b.tags),
                        },
                    }),
                    &skips(b),
                ),
            )],
            outputs: Vec::new(),
        }
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        let stream_arn = format!("{}.arn", super::TF_STREAM);
        vec![
            tf_with_skips(Block::new("resource", &["aws_iam_role", "buzz"]), &skips(b))
                .attr("name", Hcl::str(b.role.as_str()))
                .attr("description", Hcl::str(iam::ROLE_DESCRIPTION))
                .attr(
                    "max_session_duration",
                    Hcl::expr(MAX_SESSION_SECONDS.to_string()),
                )
                .attr(
                    "assume_role_policy",
                    Hcl::Call("jsonencode", Box::new(Hcl::from_json(&b.trust, &[]))),
                )
                .attr("tags", tf_tags(&b.tags)),
            Block::new("resource", &["aws_iam_role_policy", "buzz"])
                .attr("name", Hcl::str(iam::POLICY_NAME))
                .attr("role", Hcl::expr(format!("{TF_ID}.id")))
                .attr(
                    "policy",
                    Hcl::Call(
                        "jsonencode",
                        Box::new(Hcl::from_json(
                            &permission(b),
                            &[
                                (STREAM_ARN, stream_arn.as_str()),
                                (
                                    KINESIS_SERVICE,
                                    "\"kinesis.${data.aws_region.current.id}.amazonaws.com\"",
                                ),
                            ],
                        )),
                    ),
                ),
        ]
    }
}
