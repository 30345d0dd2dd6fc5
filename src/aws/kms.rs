//! KMS: which key a name stands for. A stream names its key as it was given (an alias, an alias
//! ARN, a key id or a key ARN), but an IAM policy's `Resource` matches only the key's ARN, so
//! the roles' grants name what `DescribeKey` answers.

use aws_sdk_kms::types::KeyManagerType;

use super::{read, Aws};
use crate::error::{Error, Result};
use crate::state::ResolvedKey;

impl Aws {
    /// The key `named` stands for. `alias/aws/kinesis` is known without a call.
    pub(crate) async fn describe_key(&self, named: &str) -> Result<ResolvedKey> {
        if let Some(known) = ResolvedKey::known(named) {
            return Ok(known);
        }
        let req = self.kms.describe_key().key_id(named);
        let out = self
            .answered(read("kms", "DescribeKey"), req.send().await)
            .map_err(|e| key_error(named, e))?;
        let meta = out.key_metadata().ok_or_else(|| Error::Aws {
            service: "kms",
            operation: "DescribeKey",
            code: "NoKeyMetadata".into(),
            message: format!("KMS described {named} without its metadata"),
            hint: None,
        })?;
        Ok(ResolvedKey {
            named: named.to_owned(),
            arn: meta.arn().map(str::to_owned),
            aws_managed: meta.key_manager() == Some(&KeyManagerType::Aws),
        })
    }
}

/// A failed `DescribeKey` with the fix: the key named, and nothing changed yet (the read step
/// resolves the key before any plan is applied).
fn key_error(named: &str, err: Error) -> Error {
    match err.code() {
        Some("AccessDeniedException" | "AccessDenied") => err.with_hint(format!(
            "the AWS identity you run as needs kms:DescribeKey on the key {named}: setup and check read which key the stream uses, so that Buzz's writer role (and Firehose's) are granted that key by its ARN. Allow kms:DescribeKey on it (in your identity's policy, and in the key policy when the key is in another account) and run again. Nothing was changed"
        )),
        Some("NotFoundException") => err.with_hint(format!(
            "KMS knows no key {named} in this account and region: check --kms-key, or the key the stream names (aws kinesis describe-stream-summary). Nothing was changed"
        )),
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied_with(code: &str) -> Error {
        Error::Aws {
            service: "kms",
            operation: "DescribeKey",
            code: code.into(),
            message: "not authorized".into(),
            hint: Some("generic".into()),
        }
    }

    #[test]
    fn a_refused_describe_key_names_the_permission_and_the_key() {
        for code in ["AccessDeniedException", "AccessDenied"] {
            let e = key_error("alias/district-data", denied_with(code));
            let hint = e.hint().unwrap();
            assert!(
                hint.contains("kms:DescribeKey on the key alias/district-data")
                    && hint.contains("Nothing was changed"),
                "{hint}"
            );
        }
        let e = key_error("alias/gone", denied_with("NotFoundException"));
        assert!(e.hint().unwrap().contains("no key alias/gone"), "{e:?}");
        let e = key_error("alias/x", denied_with("KMSInternalException"));
        assert_eq!(
            e.hint().as_deref(),
            Some("generic"),
            "other errors keep their hint"
        );
    }
}
