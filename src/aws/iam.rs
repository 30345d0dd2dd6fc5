//! IAM: read the cross-account role with its trust and our inline policy (documents come back
//! URL-encoded), create it, and converge it one field at a time.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_iam::types::Tag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use super::{aws_error, Aws, Created};
use crate::error::{Error, Result};
use crate::policy;
use crate::state::RoleState;

fn decode(operation: &'static str, raw: &str) -> Result<Value> {
    policy::decode_document(raw).map_err(|message| Error::Aws {
        service: "iam",
        operation,
        code: "MalformedPolicyDocument".into(),
        message,
        hint: None,
    })
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| Error::Usage(e.to_string()))
        })
        .collect()
}

impl Aws {
    /// The role with its trust, tags and our inline policy, or `None` when it does not exist.
    pub async fn get_role(&self, name: &str) -> Result<Option<RoleState>> {
        self.get_role_with(name, policy::POLICY_NAME).await
    }

    /// A role with the inline policy of `policy_name` (the archive's Firehose role has its own).
    pub async fn get_role_with(&self, name: &str, policy_name: &str) -> Result<Option<RoleState>> {
        let out = match self.iam.get_role().role_name(name).send().await {
            Ok(o) => o,
            Err(e) if e.code() == Some("NoSuchEntity") => {
                self.calls.record("iam", "GetRole", false);
                return Ok(None);
            }
            Err(e) => return Err(aws_error("iam", "GetRole", e)),
        };
        self.calls.record("iam", "GetRole", false);
        let Some(role) = out.role() else {
            return Ok(None);
        };
        let trust = match role.assume_role_policy_document() {
            Some(raw) => decode("GetRole", raw)?,
            None => Value::Null,
        };
        let created = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(role.create_date().secs()).unwrap_or(0));
        let tags = role
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        let policy = self.get_inline_policy(name, policy_name).await?;
        Ok(Some(RoleState {
            arn: role.arn().to_owned(),
            max_session: role.max_session_duration().unwrap_or(3600),
            trust,
            tags,
            policy,
            created,
            boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
        }))
    }

    /// One inline policy, decoded; `None` when the role has no policy of that name.
    pub async fn get_inline_policy(&self, role: &str, policy_name: &str) -> Result<Option<Value>> {
        match self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
        {
            Ok(o) => {
                self.calls.record("iam", "GetRolePolicy", false);
                decode("GetRolePolicy", o.policy_document()).map(Some)
            }
            Err(e) if e.code() == Some("NoSuchEntity") => {
                self.calls.record("iam", "GetRolePolicy", false);
                Ok(None)
            }
            Err(e) => Err(aws_error("iam", "GetRolePolicy", e)),
        }
    }

    /// Create the role. `EntityAlreadyExists` (a retry of a create that succeeded, or a race
    /// with someone else) is [`Created::AlreadyExisted`]: the caller reads the role again and
    /// plans anew, since it may not be ours.
    pub async fn create_role(
        &self,
        name: &str,
        trust: &Value,
        max_session: i32,
        tags: &BTreeMap<String, String>,
    ) -> Result<Created> {
        self.create_role_described(name, trust, max_session, tags, policy::ROLE_DESCRIPTION)
            .await
    }

    /// [`Aws::create_role`] with its own description (the archive's Firehose role).
    pub async fn create_role_described(
        &self,
        name: &str,
        trust: &Value,
        max_session: i32,
        tags: &BTreeMap<String, String>,
        description: &str,
    ) -> Result<Created> {
        let res = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .max_session_duration(max_session)
            .description(description)
            .set_tags(Some(iam_tags(tags)?))
            .send()
            .await;
        match res {
            Ok(_) => {
                self.calls.record("iam", "CreateRole", true);
                Ok(Created::Made)
            }
            Err(e) if e.code() == Some("EntityAlreadyExists") => {
                tracing::info!(role = name, "the role exists already; reading it again");
                self.calls.record("iam", "CreateRole", false);
                Ok(Created::AlreadyExisted)
            }
            Err(e) => Err(aws_error("iam", "CreateRole", e)),
        }
    }

    pub async fn update_trust(&self, name: &str, trust: &Value) -> Result<()> {
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust.to_string())
            .send()
            .await
            .map_err(|e| aws_error("iam", "UpdateAssumeRolePolicy", e))?;
        self.calls.record("iam", "UpdateAssumeRolePolicy", true);
        Ok(())
    }

    pub async fn update_max_session(&self, name: &str, seconds: i32) -> Result<()> {
        self.iam
            .update_role()
            .role_name(name)
            .max_session_duration(seconds)
            .send()
            .await
            .map_err(|e| aws_error("iam", "UpdateRole", e))?;
        self.calls.record("iam", "UpdateRole", true);
        Ok(())
    }

    pub async fn tag_role(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<()> {
        self.iam
            .tag_role()
            .role_name(name)
            .set_tags(Some(iam_tags(tags)?))
            .send()
            .await
            .map_err(|e| aws_error("iam", "TagRole", e))?;
        self.calls.record("iam", "TagRole", true);
        Ok(())
    }

    /// `PutRolePolicy` is an upsert: the same call creates and replaces.
    pub async fn put_policy(&self, role: &str, document: &Value) -> Result<()> {
        self.put_policy_named(role, policy::POLICY_NAME, document)
            .await
    }

    /// [`Aws::put_policy`] under another name (the archive's Firehose role's).
    pub async fn put_policy_named(&self, role: &str, name: &str, document: &Value) -> Result<()> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document.to_string())
            .send()
            .await
            .map_err(|e| aws_error("iam", "PutRolePolicy", e))?;
        self.calls.record("iam", "PutRolePolicy", true);
        Ok(())
    }
}

pub use crate::policy::{Grants, NamedPolicy};

impl Aws {
    /// Every policy IAM weighs for the role: inline ones, attached managed ones (their
    /// default version) and the permission boundary (`boundary`, its ARN from GetRole).
    /// `check` evaluates them together, as IAM would; `setup --adopt` reads what else the
    /// role can do.
    pub async fn role_policies(&self, role: &str, boundary: Option<&str>) -> Result<Grants> {
        let mut identity = Vec::new();
        for name in self.inline_policy_names(role).await? {
            if let Some(document) = self.get_inline_policy(role, &name).await? {
                identity.push(NamedPolicy {
                    name: format!("inline:{name}"),
                    document,
                });
            }
        }
        for arn in self.attached_policy_arns(role).await? {
            if let Some(p) = self.managed_policy(&arn).await? {
                identity.push(p);
            }
        }
        let boundary = match boundary {
            Some(arn) => self.managed_policy(arn).await?,
            None => None,
        };
        Ok(Grants { identity, boundary })
    }

    /// A managed policy's default version; `None` when it has none.
    async fn managed_policy(&self, arn: &str) -> Result<Option<NamedPolicy>> {
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("iam", "GetPolicy", e))?;
        self.calls.record("iam", "GetPolicy", false);
        let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
            return Ok(None);
        };
        let v = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| aws_error("iam", "GetPolicyVersion", e))?;
        self.calls.record("iam", "GetPolicyVersion", false);
        match v.policy_version().and_then(|pv| pv.document()) {
            Some(raw) => Ok(Some(NamedPolicy {
                name: arn.to_owned(),
                document: decode("GetPolicyVersion", raw)?,
            })),
            None => Ok(None),
        }
    }

    /// The names of the role's inline policies (ListRolePolicies, paged).
    pub async fn inline_policy_names(&self, role: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_role_policies()
                .role_name(role)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| aws_error("iam", "ListRolePolicies", e))?;
            self.calls.record("iam", "ListRolePolicies", false);
            names.extend(page.policy_names().iter().cloned());
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => return Ok(names),
            }
        }
    }

    /// The ARNs of the managed policies attached to the role (ListAttachedRolePolicies, paged).
    pub async fn attached_policy_arns(&self, role: &str) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| aws_error("iam", "ListAttachedRolePolicies", e))?;
            self.calls.record("iam", "ListAttachedRolePolicies", false);
            arns.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    /// Delete one inline policy of the role. Already gone is fine (a re-run, or a race).
    pub async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<()> {
        match self
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
        {
            Ok(_) => self.calls.record("iam", "DeleteRolePolicy", true),
            Err(e) if e.code() == Some("NoSuchEntity") => {
                self.calls.record("iam", "DeleteRolePolicy", false)
            }
            Err(e) => return Err(aws_error("iam", "DeleteRolePolicy", e)),
        }
        Ok(())
    }

    /// Delete the role (its inline policies must be gone first). Already gone is fine.
    pub async fn delete_role(&self, role: &str) -> Result<()> {
        match self.iam.delete_role().role_name(role).send().await {
            Ok(_) => self.calls.record("iam", "DeleteRole", true),
            Err(e) if e.code() == Some("NoSuchEntity") => {
                self.calls.record("iam", "DeleteRole", false)
            }
            Err(e) if e.code() == Some("DeleteConflict") => {
                return Err(aws_error("iam", "DeleteRole", e).with_hint(format!(
                    "something else still uses the role (a managed policy or an instance profile was added meanwhile): detach it, then run teardown again (aws iam list-attached-role-policies --role-name {role})"
                )))
            }
            Err(e) => return Err(aws_error("iam", "DeleteRole", e)),
        }
        Ok(())
    }
}
