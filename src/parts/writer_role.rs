//! The role Agilix assumes: what teardown does with it (only a role setup made goes, and only
//! with nothing else attached), how the exports make it (12-hour sessions, the trust, and the
//! least-privilege inline policy on the stream and its customer-managed key, then what the
//! other parts Buzz delivers to add, with the scanner check its trust does not meet and why),
//! and its check rows ([`rows`]: it exists, trusts Agilix's account alone, allows 12-hour
//! sessions, and its policies allow writing to the stream, and what the add-ons Buzz delivers
//! to need, and little else). (It is planned by `plan/role.rs`, under the rules Firehose's role
//! is planned by.)

use serde_json::{json, Value};

use super::role::RoleObserved;
use super::stack::{Blueprint, CfnFragment, StackPart, StandIn};
use super::{cfn_resource, cfn_substitute, cfn_tags, tf_tags, tf_with_skips, Skip};
use super::{Gone, Planned, KINESIS_SERVICE, SETUP_AGAIN, STREAM_ARN};
use crate::checklist::{fail, pass, warn, Check, CheckId, Expect};
use crate::hcl::{Block, Hcl};
use crate::iam::{self, Decision, Grants};
use crate::names::{KmsKey, DEFAULT_ROLE};
use crate::state::{ResolvedKey, RoleState, MANAGED_BY};

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

/// The permission policy, its stream (and key) as stand-ins each dialect replaces, then what
/// the template's other parts add for Buzz to deliver to them (`parts`: every part,
/// `super::stack_parts()`), with every stand-in in it as each dialect writes it.
fn permission(b: &Blueprint, parts: &[&dyn StackPart]) -> (Value, Vec<StandIn>) {
    let mut refs = vec![
        StandIn {
            stand_in: STREAM_ARN,
            cloudformation: json!({"Fn::GetAtt": [super::CFN_STREAM, "Arn"]}),
            terraform: format!("{}.arn", super::TF_STREAM),
        },
        StandIn {
            stand_in: KINESIS_SERVICE,
            cloudformation: json!({"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"}),
            terraform: "\"kinesis.${data.aws_region.current.id}.amazonaws.com\"".to_owned(),
        },
    ];
    let mut extra = Vec::new();
    for grant in parts.iter().map(|p| p.writer_grant(b)) {
        extra.extend(grant.statements);
        refs.extend(grant.refs);
    }
    let doc = iam::write_policy_via(
        STREAM_ARN,
        b.encryption.customer_key().map(KmsKey::as_str),
        KINESIS_SERVICE,
        &extra,
    );
    (doc, refs)
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
        cfn_fragment(b, &super::stack_parts().collect::<Vec<_>>())
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        tf_blocks(b, &super::stack_parts().collect::<Vec<_>>())
    }
}

/// The role's CloudFormation resource, its policy granting what `parts` add too.
fn cfn_fragment(b: &Blueprint, parts: &[&dyn StackPart]) -> CfnFragment {
    let (doc, refs) = permission(b, parts);
    let subs: Vec<(&str, Value)> = refs
        .iter()
        .map(|r| (r.stand_in, r.cloudformation.clone()))
        .collect();
    let permission = cfn_substitute(&doc, &subs);
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

/// The role's Terraform blocks, its policy granting what `parts` add too.
fn tf_blocks(b: &Blueprint, parts: &[&dyn StackPart]) -> Vec<Block> {
    let (doc, refs) = permission(b, parts);
    let refs: Vec<(&str, &str)> = refs
        .iter()
        .map(|r| (r.stand_in, r.terraform.as_str()))
        .collect();
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
                Hcl::Call("jsonencode", Box::new(Hcl::from_json(&doc, &refs))),
            ),
    ]
}

/// The role: exists, trusts Agilix's account alone (with the external id when given), allows
/// 12-hour sessions, and its policies (`policies`: every document on it, evaluated together as
/// IAM would) allow writing to the stream and little else.
pub(crate) fn rows(
    role: &str,
    stream_arn: &str,
    found: Option<&RoleState>,
    policies: &Grants,
    e: &Expect,
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(r) = found else {
        out.push(fail(
            CheckId::RoleExists,
            format!("there is no role {role}"),
            SETUP_AGAIN,
        ));
        return out;
    };
    out.push(pass(
        CheckId::RoleExists,
        format!(
            "role {} exists{}",
            r.arn,
            if r.is_managed() {
                ""
            } else {
                " (not created by buzz-kinesis)"
            }
        ),
    ));
    out.push(trust_row(&r.trust, e));

    if r.max_session == MAX_SESSION_SECONDS {
        out.push(pass(
            CheckId::RoleMaxSession,
            "MaxSessionDuration is 43200 s (12 h)",
        ));
    } else {
        out.push(fail(
            CheckId::RoleMaxSession,
            format!(
                "MaxSessionDuration is {} s, not the {MAX_SESSION_SECONDS} s (12 h) Agilix's procedure asks for: Buzz asks for 12-hour sessions, so its AssumeRole fails",
                r.max_session
            ),
            format!("run buzz-kinesis setup --max-session 12h (or: aws iam update-role --role-name {role} --max-session-duration {MAX_SESSION_SECONDS})"),
        ));
    }
    out.push(policy_row(stream_arn, policies, e));
    out
}

fn trust_row(trust: &Value, e: &Expect) -> Check {
    let trusted = iam::trusted_principals(trust);
    // A principal inside Agilix's account (one of its roles) is narrower than the account:
    // setup keeps it, and it admits nobody else.
    let account = e
        .agilix_root
        .strip_suffix(":root")
        .map(|a| format!("{a}:"))
        .unwrap_or_default();
    let ours = |p: &str| p == e.agilix_root || (!account.is_empty() && p.starts_with(&account));
    let agilix: Vec<&(String, Option<String>)> = trusted.iter().filter(|(p, _)| ours(p)).collect();
    let others: Vec<&str> = trusted
        .iter()
        .filter(|(p, _)| !ours(p))
        .map(|(p, _)| p.as_str())
        .collect();
    let want_ext = e.external_id.as_ref().map(|x| x.as_str().to_owned());
    if agilix.is_empty() {
        // The missing account is the news; what the trust admits instead is the detail.
        fail(
            CheckId::RoleTrust,
            format!(
                "the trust policy does not admit Agilix's account ({}){}",
                e.agilix_root,
                if others.is_empty() {
                    String::new()
                } else {
                    format!("; it admits {}", others.join(", "))
                }
            ),
            format!("{SETUP_AGAIN} (check --agilix-account with Agilix support)"),
        )
    } else if !others.is_empty() {
        fail(
            CheckId::RoleTrust,
            format!("the trust policy also admits {}", others.join(", ")),
            format!("{SETUP_AGAIN} (it trusts Agilix's account alone)"),
        )
    } else if !agilix.iter().any(|(_, ext)| *ext == want_ext) {
        fail(
            CheckId::RoleTrust,
            match &want_ext {
                Some(x) => format!("the trust policy does not require the external id {x}"),
                None => "the trust policy requires an external id that was not given (pass --external-id if Agilix issued one)".into(),
            },
            SETUP_AGAIN,
        )
    } else if want_ext.is_none() {
        warn(
            CheckId::RoleTrust,
            "the role trusts Agilix's account with no external id",
            "that is what Agilix's procedure describes; if Agilix issues you an external id, pass --external-id so that only your Buzz configuration can use this role (the confused-deputy guard)",
        )
    } else {
        pass(
            CheckId::RoleTrust,
            "the role trusts Agilix's account alone, with your external id",
        )
    }
}

fn policy_row(stream_arn: &str, grants: &Grants, e: &Expect) -> Check {
    let verdicts: Vec<(&str, Decision)> = ["kinesis:PutRecord", "kinesis:PutRecords"]
        .into_iter()
        .map(|a| (a, grants.decide(a, stream_arn, &[])))
        .collect();
    // The stream's own key (resolved to its ARN), whatever the flags named.
    let key = e.key.as_ref().filter(|k| k.grant_arn().is_some());
    let mut kms_ok = true;
    if let Some(arn) = key.and_then(ResolvedKey::grant_arn) {
        // Kinesis asks KMS on the producer's behalf: a grant limited to that (kms:ViaService,
        // as setup writes it) is as good as one without the condition.
        let region = stream_arn.split(':').nth(3).unwrap_or_default();
        let via = iam::kinesis_service(region);
        kms_ok = grants.decide(
            "kms:GenerateDataKey",
            arn,
            &[(iam::VIA_SERVICE, via.as_str())],
        ) == Decision::Allow;
    }
    if let Some((action, decision)) = verdicts.iter().find(|(_, v)| *v != Decision::Allow) {
        return not_allowed(
            grants,
            (action, stream_arn, *decision),
            "kinesis:PutRecord and kinesis:PutRecords on the stream",
            "the stream",
        );
    }
    if let (false, Some(k)) = (kms_ok, key) {
        return fail(
            CheckId::RolePolicy,
            format!(
                "the role may not use the stream's KMS key {} (kms:GenerateDataKey): AWS refuses every PutRecord from Buzz with KMSAccessDeniedException",
                k.describe()
            ),
            format!(
                "{SETUP_AGAIN}: it grants kms:GenerateDataKey on the key's ARN (the key policy must allow the account's IAM policies, as a key's default policy does)"
            ),
        );
    }
    if let Some(refused) = also_refused(grants, &e.also_allowed) {
        return refused;
    }
    let docs = grants.documents();
    let docs = docs.as_slice();
    let mut resources = vec![stream_arn];
    let mut actions: Vec<&str> = iam::WRITER_ACTIONS.to_vec();
    if let Some(arn) = key.and_then(ResolvedKey::grant_arn) {
        resources.push(arn);
        actions.push("kms:GenerateDataKey");
    }
    // What the add-ons Buzz delivers to need is granted on purpose, not wider than needed.
    let (also_actions, also_resources) =
        iam::allowed_by(&serde_json::json!({ "Statement": e.also_allowed }));
    actions.extend(also_actions.iter().map(String::as_str));
    resources.extend(also_resources.iter().map(String::as_str));
    let wider = iam::wider_grants(docs, &actions, &resources);
    if !wider.is_empty() {
        return warn(
            CheckId::RolePolicy,
            format!(
                "the role may write to the stream, but its grants are wider than needed: {}",
                wider.join("; ")
            ),
            "remove the extra grants: Agilix's account can use everything this role allows",
        );
    }
    let mut also: Vec<&str> = Vec::new();
    for r in &also_resources {
        if !also.contains(&r.as_str()) {
            also.push(r);
        }
    }
    pass(
        CheckId::RolePolicy,
        if also.is_empty() {
            format!("the role may write to {stream_arn} and nothing else")
        } else {
            format!(
                "the role may write to {stream_arn} and to {} and nothing else",
                also.join(", ")
            )
        },
    )
}

/// The first grant the add-ons Buzz delivers to need (`also`: IAM statements) that the role's
/// policies do not give, judged as IAM would: each action of a statement on each of its
/// resources, its `StringEquals` condition's values taken as what is known of Buzz's request
/// (as the key's `kms:ViaService` is). `None`: every one is allowed.
fn also_refused(grants: &Grants, also: &[Value]) -> Option<Check> {
    for st in also {
        let known: Vec<(String, String)> = st
            .pointer("/Condition/StringEquals")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), iam::strings(v).into_iter().next()?)))
            .collect();
        let context: Vec<(&str, &str)> = known
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let listed = |key: &str| st.get(key).map(iam::strings).unwrap_or_default();
        for action in listed("Action") {
            for resource in listed("Resource") {
                let decision = grants.decide(&action, &resource, &context);
                if decision != Decision::Allow {
                    let allow = format!("{action} on {resource}");
                    return Some(not_allowed(
                        grants,
                        (&action, &resource, decision),
                        &allow,
                        &resource,
                    ));
                }
            }
        }
    }
    None
}

/// The `role.policy` failure for an action on a resource IAM decided against, and its fix:
/// the boundary's when the boundary refuses it (`allow`: what it must then allow), else
/// setup's, with any Deny that covers `covered` gone.
fn not_allowed(
    grants: &Grants,
    (action, resource, decision): (&str, &str, Decision),
    allow: &str,
    covered: &str,
) -> Check {
    let why = match decision {
        Decision::ExplicitDeny => "an explicit Deny".to_owned(),
        Decision::OutsideBoundary => format!(
            "the permission boundary {} does not allow it",
            grants.boundary.as_ref().map_or("", |b| b.name.as_str())
        ),
        _ => "no Allow".to_owned(),
    };
    fail(
        CheckId::RolePolicy,
        format!("the role's policies do not allow {action} on {resource} ({why})"),
        if decision == Decision::OutsideBoundary {
            format!("widen the role's permission boundary to allow {allow}, or remove it (aws iam delete-role-permissions-boundary)")
        } else {
            format!("{SETUP_AGAIN}; remove any Deny that covers {covered}")
        },
    )
}

#[cfg(test)]
mod tests;
