//! The KMS side of a write or a read, as Kinesis and S3 play it: a stream (or a bucket) under a
//! customer-managed key makes the service call KMS with the caller's permissions, so the caller
//! needs `kms:GenerateDataKey` (to write) or `kms:Decrypt` (to read) on that key, through that
//! service (`kms:ViaService`). AWS-managed keys (`alias/aws/kinesis`, `alias/aws/s3`) need no grant.
//!
//! An IAM policy names a key by its key ARN only: a statement naming the alias grants nothing on
//! the key ("Specifying KMS keys in IAM policy statements", KMS developer guide). The key the
//! stream reports (an alias name, an alias ARN, a key id or a key ARN) is therefore resolved with
//! `kms:DescribeKey` first, and the role's policies are judged against that ARN.

use aws_sdk_kms::error::ProvideErrorMetadata;

use crate::aws_check::{AwsProbe, Failure};

/// Whether a key identifier names an AWS-managed key by its alias (`alias/aws/...`, by name or
/// by alias ARN): those keys need no grant, and an emulator may not know them.
pub fn aws_managed_alias(key_id: &str) -> bool {
    key_id.starts_with("alias/aws/") || key_id.contains(":alias/aws/")
}

/// `kms:ViaService` when `service` (`kinesis`, `s3`) calls KMS on a caller's behalf in `region`.
pub fn via(service: &str, region: &str) -> String {
    format!("{service}.{region}.amazonaws.com")
}

/// What DescribeKey says of a key, reduced to what a grant needs: `None` for an AWS-managed key
/// (KeyManager `AWS`), else the key ARN a policy must name.
pub fn grant_target(arn: Option<&str>, key_manager: Option<&str>) -> Option<String> {
    match key_manager {
        Some("AWS") => None,
        _ => arn.map(str::to_owned),
    }
}

impl AwsProbe {
    /// The key ARN a grant must name for `key_id` (any of KMS's four forms) in `region`, or
    /// `None` when the key is AWS-managed. A key KMS does not know fails as Kinesis fails a write
    /// to such a stream (`KMSNotFoundException`).
    pub async fn customer_key(
        &self,
        key_id: &str,
        region: &str,
    ) -> Result<Option<String>, Failure> {
        if aws_managed_alias(key_id) {
            return Ok(None);
        }
        let config = aws_sdk_kms::config::Builder::from(&self.base)
            .region(aws_sdk_kms::config::Region::new(region.to_owned()))
            .build();
        let described = aws_sdk_kms::Client::from_conf(config)
            .describe_key()
            .key_id(key_id)
            .send()
            .await;
        let out = match described {
            Ok(out) => out,
            Err(err) if err.code() == Some("NotFoundException") => {
                return Err(Failure::new(
                    "KMSNotFoundException",
                    format!("Key '{key_id}' does not exist (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException)"),
                ))
            }
            Err(err) => return Err(Failure::from_sdk(err)),
        };
        let metadata = out.key_metadata();
        Ok(grant_target(
            metadata.and_then(|m| m.arn()),
            metadata.and_then(|m| m.key_manager()).map(|m| m.as_str()),
        ))
    }

    /// The customer-managed key a stream is encrypted with, as its key ARN; `None` when the
    /// stream is unencrypted, under the AWS-managed key, or unreadable (then the call itself
    /// says what is wrong).
    pub async fn stream_key(&self, stream: &str, region: &str) -> Result<Option<String>, Failure> {
        let config = aws_sdk_kinesis::config::Builder::from(&self.base)
            .region(aws_sdk_kinesis::config::Region::new(region.to_owned()))
            .build();
        let summary = aws_sdk_kinesis::Client::from_conf(config)
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .ok()
            .and_then(|out| out.stream_description_summary);
        let Some(summary) = summary else {
            return Ok(None);
        };
        match (summary.encryption_type(), summary.key_id()) {
            (Some(aws_sdk_kinesis::types::EncryptionType::Kms), Some(key)) => {
                self.customer_key(key, region).await
            }
            _ => Ok(None),
        }
    }

    /// The customer-managed key a bucket encrypts new objects with by default (SSE-KMS), as its
    /// key ARN; `None` for SSE-S3, `aws/s3`, or no readable configuration.
    pub async fn bucket_key(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        region: &str,
    ) -> Result<Option<String>, Failure> {
        let Ok(out) = s3.get_bucket_encryption().bucket(bucket).send().await else {
            return Ok(None);
        };
        let rule = out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default());
        let Some(rule) = rule else {
            return Ok(None);
        };
        let kms = matches!(rule.sse_algorithm().as_str(), "aws:kms" | "aws:kms:dsse");
        match rule.kms_master_key_id() {
            Some(key) if kms => self.customer_key(key, region).await,
            // SSE-KMS without a key id: the AWS-managed aws/s3.
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_aliases_need_no_grant_and_customer_keys_are_named_by_arn() {
        assert!(aws_managed_alias("alias/aws/kinesis"));
        assert!(aws_managed_alias(
            "arn:aws:kms:us-east-1:123456789012:alias/aws/s3"
        ));
        assert!(!aws_managed_alias("alias/district-data"));
        assert!(!aws_managed_alias(
            "arn:aws:kms:us-east-1:123456789012:alias/district"
        ));
        assert!(!aws_managed_alias("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(!aws_managed_alias("alias/awsome"));

        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            grant_target(Some(arn), Some("CUSTOMER")),
            Some(arn.to_owned())
        );
        assert_eq!(grant_target(Some(arn), None), Some(arn.to_owned()));
        assert_eq!(grant_target(Some(arn), Some("AWS")), None);
        assert_eq!(
            via("kinesis", "eu-west-1"),
            "kinesis.eu-west-1.amazonaws.com"
        );
    }
}
