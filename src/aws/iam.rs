//! IAM: read the cross-account role with its trust and our inline policy (documents come back
//! URL-encoded), create it, and converge it one field at a time.

use crate::archive::role_of;
use crate::parts::firehose_role::{FirehoseRole, FirehoseRoleAction, FirehoseRoleRemoval};
use crate::parts::role::{RoleAction, RoleObserved};
use crate::parts::{Apply, ApplyCx, ArchiveState, AwsCx, LeftCx, Read, ReadCx, Remove};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_iam::types::Tag;
use serde_json::Value;

use super::{built, read, write, Aws, Created, Expected};
use crate::error::{Error, Result};
use crate::iam;
use crate::state::RoleState;

fn decode(operation: &'static str, raw: &str) -> Result<Value> {
    iam::decode_document(raw).map_err(|message| Error::Aws {
        service: "iam",
        operation,
        code: "MalformedPolicyDocument".into(),
        message,
        hint: None,
    })
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build()))
        .collect()
}

impl Aws {
    /// The role with its trust, tags and our inline policy, or `None` when it does not exist.
    pub(crate) async fn get_role(&self, name: &str) -> Result<Option<RoleState>> {
        self.get_role_with(name, iam::POLICY_NAME).await
    }

    /// A role with the inline policy of `policy_name` (the archive's Firehose role has its own).
    pub(crate) async fn get_role_with(
        &self,
        name: &str,
        policy_name: &str,
    ) -> Result<Option<RoleState>> {
        let req = self.iam.get_role().role_name(name);
        let Some(out) = self
            .answered(read("iam", "GetRole"), req.send().await)
            .or_missing(&["NoSuchEntity"])?
        else {
            return Ok(None);
        };
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
    pub(crate) async fn get_inline_policy(
        &self,
        role: &str,
        policy_name: &str,
    ) -> Result<Option<Value>> {
        let req = self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name);
        self.answered(read("iam", "GetRolePolicy"), req.send().await)
            .or_missing(&["NoSuchEntity"])?
            .map(|o| decode("GetRolePolicy", o.policy_document()))
            .transpose()
    }

    /// Create the role. `EntityAlreadyExists` (a retry of a create that succeeded, or a race
    /// with someone else) is [`Created::AlreadyExisted`]: the caller reads the role again and
    /// plans anew, since it may not be ours.
    pub(crate) async fn create_role(
        &self,
        name: &str,
        trust: &Value,
        max_session: i32,
        tags: &BTreeMap<String, String>,
    ) -> Result<Created> {
        self.create_role_described(name, trust, max_session, tags, iam::ROLE_DESCRIPTION)
            .await
    }

    /// [`Aws::create_role`] with its own description (the archive's Firehose role).
    pub(crate) async fn create_role_described(
        &self,
        name: &str,
        trust: &Value,
        max_session: i32,
        tags: &BTreeMap<String, String>,
        description: &str,
    ) -> Result<Created> {
        let req = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .max_session_duration(max_session)
            .description(description)
            .set_tags(Some(iam_tags(tags)?));
        let created = self
            .answered(write("iam", "CreateRole"), req.send().await)
            .or_existing(&["EntityAlreadyExists"])?;
        if created == Created::AlreadyExisted {
            tracing::info!(role = name, "the role exists already; reading it again");
        }
        Ok(created)
    }

    pub(crate) async fn update_trust(&self, name: &str, trust: &Value) -> Result<()> {
        let req = self
            .iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust.to_string());
        self.answered(write("iam", "UpdateAssumeRolePolicy"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn update_max_session(&self, name: &str, seconds: i32) -> Result<()> {
        let req = self
            .iam
            .update_role()
            .role_name(name)
            .max_session_duration(seconds);
        self.answered(write("iam", "UpdateRole"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn tag_role(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<()> {
        let req = self
            .iam
            .tag_role()
            .role_name(name)
            .set_tags(Some(iam_tags(tags)?));
        self.answered(write("iam", "TagRole"), req.send().await)?;
        Ok(())
    }

    /// `PutRolePolicy` is an upsert: the same call creates and replaces.
    pub(crate) async fn put_policy(&self, role: &str, document: &Value) -> Result<()> {
        self.put_policy_named(role, iam::POLICY_NAME, document)
            .await
    }

    /// [`Aws::put_policy`] under another name (the archive's Firehose role's).
    pub(crate) async fn put_policy_named(
        &self,
        role: &str,
        name: &str,
        document: &Value,
    ) -> Result<()> {
        let req = self
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document.to_string());
        self.answered(write("iam", "PutRolePolicy"), req.send().await)?;
        Ok(())
    }
}

pub(crate) use crate::iam::{Grants, NamedPolicy};

impl Aws {
    /// Every policy on a role someone else made, when `--adopt` (`adopt`) would take it: what
    /// else it can do once we hand it over (`None` for our own role, or without `--adopt`).
    pub(crate) async fn adopted_grants(
        &self,
        name: &str,
        role: Option<&RoleState>,
        adopt: bool,
    ) -> Result<Option<Grants>> {
        match role {
            Some(r) if !r.is_managed() && adopt => {
                Ok(Some(self.role_policies(name, r.boundary.as_deref()).await?))
            }
            _ => Ok(None),
        }
    }

    /// Every policy IAM weighs for the role: inline ones, attached managed ones (their
    /// default version) and the permission boundary (`boundary`, its ARN from GetRole).
    /// `check` evaluates them together, as IAM would; `setup --adopt` reads what else the
    /// role can do.
    pub(crate) async fn role_policies(&self, role: &str, boundary: Option<&str>) -> Result<Grants> {
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
        let req = self.iam.get_policy().policy_arn(arn);
        let policy = self.answered(read("iam", "GetPolicy"), req.send().await)?;
        let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
            return Ok(None);
        };
        let req = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version);
        let v = self.answered(read("iam", "GetPolicyVersion"), req.send().await)?;
        match v.policy_version().and_then(|pv| pv.document()) {
            Some(raw) => Ok(Some(NamedPolicy {
                name: arn.to_owned(),
                document: decode("GetPolicyVersion", raw)?,
            })),
            None => Ok(None),
        }
    }

    /// The names of the role's inline policies (ListRolePolicies, paged).
    pub(crate) async fn inline_policy_names(&self, role: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_role_policies()
                .role_name(role)
                .set_marker(marker.clone());
            let page = self.answered(read("iam", "ListRolePolicies"), req.send().await)?;
            names.extend(page.policy_names().iter().cloned());
            match page.marker() {
                Some(m) if page.is_truncated() => marker = Some(m.to_owned()),
                _ => return Ok(names),
            }
        }
    }

    /// The ARNs of the managed policies attached to the role (ListAttachedRolePolicies, paged).
    pub(crate) async fn attached_policy_arns(&self, role: &str) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .set_marker(marker.clone());
            let page = self.answered(read("iam", "ListAttachedRolePolicies"), req.send().await)?;
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
    pub(crate) async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<()> {
        let req = self
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy_name);
        self.answered(write("iam", "DeleteRolePolicy"), req.send().await)
            .or_missing(&["NoSuchEntity"])?;
        Ok(())
    }

    /// Delete the role (its inline policies must be gone first). Already gone is fine.
    pub(crate) async fn delete_role(&self, role: &str) -> Result<()> {
        let req = self.iam.delete_role().role_name(role);
        self.answered(write("iam", "DeleteRole"), req.send().await)
            .hint_on("DeleteConflict", || format!(
                "something else still uses the role (a managed policy or an instance profile was added meanwhile): detach it, then run teardown again (aws iam list-attached-role-policies --role-name {role})"
            ))
            .or_missing(&["NoSuchEntity"])?;
        Ok(())
    }
}

impl Apply<Aws, ApplyCx<'_>> for FirehoseRoleAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, _: &ApplyCx<'_>) -> Result<()> {
        match self {
            FirehoseRoleAction::CreateRole { role, trust, tags } => aws
                .create_role_described(
                    role,
                    trust,
                    crate::parts::firehose_role::SESSION_SECONDS,
                    tags,
                    crate::archive::ROLE_DESCRIPTION,
                )
                .await?
                .made("role", role),
            FirehoseRoleAction::UpdateRoleTrust { role, after, .. } => {
                aws.update_trust(role, after).await
            }
            FirehoseRoleAction::PutRolePolicy { role, after, .. } => {
                aws.put_policy_named(role, crate::archive::POLICY_NAME, after)
                    .await
            }
            FirehoseRoleAction::TagRole { role, tags } => aws.tag_role(role, tags).await,
        }
    }
}

/// The writer role's changes, one call each. A create that meets a role made meanwhile
/// (perhaps by someone else: it may not be ours) is [`Created::AlreadyExisted`]: setup reads it
/// again and plans anew, once.
impl Apply<Aws, AwsCx<'_>> for RoleAction {
    type Outcome = Created;

    async fn apply(&self, aws: &Aws, cx: &AwsCx<'_>) -> Result<Created> {
        let role = cx.role;
        match self {
            RoleAction::CreateRole {
                trust,
                max_session,
                tags,
            } => return aws.create_role(role, trust, *max_session, tags).await,
            RoleAction::UpdateTrust { after, .. } => aws.update_trust(role, after).await,
            RoleAction::UpdateMaxSession { to, .. } => aws.update_max_session(role, *to).await,
            RoleAction::PutPolicy { after, .. } => aws.put_policy(role, after).await,
            RoleAction::TagRole { tags } => aws.tag_role(role, tags).await,
        }?;
        Ok(Created::Made)
    }
}

impl Remove<Aws> for FirehoseRoleRemoval {
    /// Its inline policies first: IAM deletes only a role with none left.
    async fn remove(&self, aws: &Aws) -> Result<()> {
        let FirehoseRoleRemoval::DeleteArchiveRole { role, policies } = self;
        for policy in policies {
            aws.delete_role_policy(role, policy).await?;
        }
        aws.delete_role(role).await
    }
}

impl Read<Aws> for FirehoseRole {
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<Option<RoleState>> {
        aws.get_role_with(&role_of(cx.stream), crate::archive::POLICY_NAME)
            .await
    }

    async fn left(
        &self,
        aws: &Aws,
        cx: &LeftCx<'_>,
        found: &ArchiveState,
    ) -> Result<Option<(String, RoleObserved)>> {
        let Some(r) = &found.role else {
            return Ok(None);
        };
        let name = role_of(cx.stream);
        let observed = aws.role_observed(&name, r.clone()).await?;
        Ok(Some((name, observed)))
    }
}

impl Aws {
    /// A role as teardown weighs it: whose it is, and every policy on it (all go with it).
    pub(crate) async fn role_observed(&self, name: &str, r: RoleState) -> Result<RoleObserved> {
        let (inline, attached) = tokio::try_join!(
            self.inline_policy_names(name),
            self.attached_policy_arns(name),
        )?;
        Ok(RoleObserved {
            managed: r.is_managed(),
            arn: r.arn,
            inline,
            attached,
        })
    }
}

impl Remove<Aws> for crate::parts::writer_role::WriterRoleRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        use crate::parts::writer_role::WriterRoleRemoval;
        match self {
            WriterRoleRemoval::DeleteRolePolicy { role, policy } => {
                aws.delete_role_policy(role, policy).await
            }
            WriterRoleRemoval::DeleteRole { role, .. } => aws.delete_role(role).await,
        }
    }
}
