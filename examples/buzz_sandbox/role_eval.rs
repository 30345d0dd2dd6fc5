//! A role's permissions as IAM judges one request of its session: its identity policies (inline
//! and attached) must allow it and none deny it, and its permissions boundary, when it has one,
//! must allow it too. Used for Buzz's writes (aws_check.rs) and Firehose's reads and writes
//! (firehose_role.rs), each refusal worded as AWS words its AccessDenied messages.

use serde_json::Value;

use crate::aws_check::{decode_policy, AwsProbe, Failure};
use crate::policy::{self, Decision, Request};

/// What the sandbox reads of a role.
#[derive(Debug, Clone)]
pub struct RoleView {
    /// The trust policy, decoded (`None`: unreadable, which trusts no one).
    pub trust: Option<Value>,
    pub policies: RolePolicies,
}

/// The policies that decide what a role's session may do.
#[derive(Debug, Clone, Default)]
pub struct RolePolicies {
    pub identity: Vec<Value>,
    /// The permissions boundary's document; an unreadable one allows nothing.
    pub boundary: Option<Value>,
}

/// Why IAM refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ExplicitDeny,
    NoIdentityAllow,
    NoBoundaryAllow,
}

impl Refusal {
    /// The end of AWS's message: "... is not authorized to perform: A on resource: R <reason>".
    pub fn reason(self, action: &str) -> String {
        match self {
            Refusal::ExplicitDeny => "with an explicit deny in an identity-based policy".into(),
            Refusal::NoIdentityAllow => {
                format!("because no identity-based policy allows the {action} action")
            }
            Refusal::NoBoundaryAllow => {
                format!("because no permissions boundary allows the {action} action")
            }
        }
    }
}

impl RolePolicies {
    /// IAM's decision for one request of the role's session.
    pub fn judge(&self, request: &Request<'_>) -> Result<(), Refusal> {
        match policy::evaluate(&self.identity, request) {
            Decision::ExplicitDeny => return Err(Refusal::ExplicitDeny),
            Decision::ImplicitDeny => return Err(Refusal::NoIdentityAllow),
            Decision::Allow => {}
        }
        match &self.boundary {
            Some(boundary)
                if policy::evaluate(std::slice::from_ref(boundary), request) != Decision::Allow =>
            {
                Err(Refusal::NoBoundaryAllow)
            }
            _ => Ok(()),
        }
    }

    /// [`Self::judge`] as AWS's message for `who` (an assumed-role ARN).
    pub fn judge_as(&self, who: &str, request: &Request<'_>) -> Result<(), String> {
        self.judge(request).map_err(|refusal| {
            format!(
                "User: {who} is not authorized to perform: {} on resource: {} {}",
                request.action,
                request.resource.unwrap_or("*"),
                refusal.reason(request.action)
            )
        })
    }
}

/// A request of a role's session (identity policies have no principal).
pub fn session_request<'a>(
    action: &'a str,
    resource: &'a str,
    context: &'a [(&'a str, &'a str)],
) -> Request<'a> {
    Request {
        action,
        resource: Some(resource),
        principal: None,
        context,
        required_condition_key: None,
    }
}

impl AwsProbe {
    /// The role's trust, identity policies and boundary; `None` when there is no such role.
    pub async fn role_view(&self, name: &str) -> Result<Option<RoleView>, Failure> {
        use aws_sdk_iam::error::ProvideErrorMetadata;
        let role = match self.iam.get_role().role_name(name).send().await {
            Ok(out) => match out.role {
                Some(role) => role,
                None => return Ok(None),
            },
            Err(err) if err.code() == Some("NoSuchEntity") => return Ok(None),
            Err(err) => return Err(Failure::from_sdk(err)),
        };
        let trust = role.assume_role_policy_document().and_then(decode_policy);
        let policies = self.policies_of(&role).await?;
        Ok(Some(RoleView { trust, policies }))
    }

    /// What decides a role's session: its identity policies and its boundary.
    pub async fn policies_of(
        &self,
        role: &aws_sdk_iam::types::Role,
    ) -> Result<RolePolicies, Failure> {
        let identity = self.role_policies(role.role_name()).await?;
        let boundary = match role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
        {
            Some(arn) => Some(
                self.managed_policy(arn)
                    .await?
                    .unwrap_or_else(|| serde_json::json!({})),
            ),
            None => None,
        };
        Ok(RolePolicies { identity, boundary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/events";

    fn allow(action: &str, resource: &str) -> Value {
        json!({"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
    }

    #[test]
    fn identity_policies_and_the_boundary_must_both_allow() {
        let put = session_request("kinesis:PutRecord", STREAM, &[]);
        let granted = RolePolicies {
            identity: vec![allow("kinesis:PutRecord", STREAM)],
            boundary: None,
        };
        assert_eq!(granted.judge(&put), Ok(()));
        let nothing = RolePolicies::default();
        assert_eq!(nothing.judge(&put), Err(Refusal::NoIdentityAllow));
        let denied = RolePolicies {
            identity: vec![
                allow("kinesis:PutRecord", STREAM),
                json!({"Statement": {"Effect": "Deny", "Action": "kinesis:*", "Resource": "*"}}),
            ],
            boundary: None,
        };
        assert_eq!(denied.judge(&put), Err(Refusal::ExplicitDeny));
        let bounded = |boundary: Value| RolePolicies {
            identity: vec![allow("kinesis:PutRecord", STREAM)],
            boundary: Some(boundary),
        };
        assert_eq!(bounded(allow("kinesis:*", "*")).judge(&put), Ok(()));
        assert_eq!(
            bounded(allow("s3:*", "*")).judge(&put),
            Err(Refusal::NoBoundaryAllow)
        );
        assert_eq!(
            bounded(json!({})).judge(&put),
            Err(Refusal::NoBoundaryAllow)
        );
    }

    #[test]
    fn refusals_read_as_aws_writes_them() {
        let put = session_request("kinesis:PutRecord", STREAM, &[]);
        let message = RolePolicies::default()
            .judge_as("arn:aws:sts::123456789012:assumed-role/r/s", &put)
            .unwrap_err();
        assert_eq!(message, format!("User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: kinesis:PutRecord on resource: {STREAM} because no identity-based policy allows the kinesis:PutRecord action"));
        assert_eq!(
            Refusal::ExplicitDeny.reason("a"),
            "with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            Refusal::NoBoundaryAllow.reason("kms:Decrypt"),
            "because no permissions boundary allows the kms:Decrypt action"
        );
    }
}
