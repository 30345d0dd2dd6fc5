//! STS: who the user's credentials belong to.

use super::{aws_error, Aws};
use crate::error::Result;
use crate::names::AccountId;

/// The account and principal behind the credentials.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Identity {
    pub account: AccountId,
    pub arn: String,
}

impl Aws {
    pub async fn caller_identity(&self) -> Result<Identity> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_error("sts", "GetCallerIdentity", e))?;
        self.calls.record("sts", "GetCallerIdentity", false);
        let account = AccountId::parse("(AWS account)", out.account().unwrap_or_default())?;
        // From here on, every S3 request names this account as the bucket's owner.
        let _ = self.bucket_owner.set(account.to_string());
        Ok(Identity {
            account,
            arn: out.arn().unwrap_or_default().to_owned(),
        })
    }
}
