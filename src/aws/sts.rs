//! STS: who the user's credentials belong to.

use super::{read, Aws};
use crate::error::Result;
use crate::names::AccountId;

/// The account and principal behind the credentials.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Identity {
    pub account: AccountId,
    pub arn: String,
}

impl Aws {
    pub(crate) async fn caller_identity(&self) -> Result<Identity> {
        let req = self.sts.get_caller_identity();
        let out = self.answered(read("sts", "GetCallerIdentity"), req.send().await)?;
        let account = AccountId::parse("(AWS account)", out.account().unwrap_or_default())?;
        // From here on, every S3 request names this account as the bucket's owner.
        let _ = self.bucket_owner.set(account.to_string());
        Ok(Identity {
            account,
            arn: out.arn().unwrap_or_default().to_owned(),
        })
    }
}
