//! S3: the archive's bucket. Each setting is its own call in S3's API (public access,
//! ownership, encryption, versioning, lifecycle, policy, tags), read one by one and set one by
//! one, so a re-run changes only what differs. Setup never deletes an object or the bucket.

use crate::parts::bucket::{Bucket, BucketAction, BucketLeft, BucketRemoval};
use crate::parts::{Apply, ApplyCx, ArchiveState, LeftCx, Read, ReadCx, Remove};
use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use serde_json::Value;

use super::{aws_error, built, read, write, Aws, Created, Expected};
use crate::archive::LifecycleRule as Rule;
use crate::error::{Error, Result};
use crate::parts::bucket::{BucketObserved, BucketState};

use crate::parts::bucket::RuleState;

impl Aws {
    /// The account the bucket must belong to, once the caller's identity is known.
    fn owner(&self) -> Option<String> {
        self.bucket_owner.get().cloned()
    }

    /// Whether the bucket exists, is ours to see, and is in the stream's region; then every
    /// setting setup converges, and for a bucket we did not tag, whether objects are already
    /// under the archive's prefixes (someone else's, which ours must not mix with).
    pub(crate) async fn describe_bucket(&self, name: &str) -> Result<BucketObserved> {
        let req = self
            .s3
            .head_bucket()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        // HeadBucket answers with a status and a header, no body: read from the raw answer.
        match self.answered_raw(read("s3", "HeadBucket"), req.send().await) {
            Ok(out) => {
                if let Some(r) = out.bucket_region() {
                    if r != self.region.as_str() {
                        return Ok(BucketObserved::ElsewhereIn(r.to_owned()));
                    }
                }
            }
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let region = e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_owned);
                return match status {
                    Some(404) => Ok(BucketObserved::Missing),
                    Some(403) => Ok(BucketObserved::Forbidden),
                    Some(301) => Ok(BucketObserved::ElsewhereIn(
                        region.unwrap_or_else(|| "another region".into()),
                    )),
                    _ => Err(aws_error("s3", "HeadBucket", e)),
                };
            }
        }
        let settings = tokio::try_join!(
            self.bucket_tags(name),
            self.bucket_public_blocked(name),
            self.bucket_owner_enforced(name),
            self.bucket_encryption(name),
            self.bucket_versioning(name),
            self.bucket_lifecycle(name),
            self.bucket_policy(name),
        );
        let (tags, public, owner, encryption, versioning, lifecycle, policy) = match settings {
            // The expected owner named on each read: a 403 is a bucket of another account
            // (or a policy keeping this identity out), refused as HeadBucket's 403 is.
            Err(Error::Aws { code, .. }) if code == "AccessDenied" => {
                return Ok(BucketObserved::Forbidden)
            }
            other => other?,
        };
        let objects_under_prefix = if !crate::state::is_managed(&tags) {
            self.has_objects(name, crate::archive::EVENTS_PREFIX)
                .await?
                || self
                    .has_objects(name, crate::archive::ERRORS_PREFIX)
                    .await?
        } else {
            false
        };
        Ok(BucketObserved::Here(BucketState {
            tags,
            public_blocked: public,
            owner_enforced: owner,
            encryption,
            versioning,
            lifecycle,
            policy,
            objects_under_prefix,
        }))
    }

    async fn bucket_tags(&self, name: &str) -> Result<BTreeMap<String, String>> {
        let req = self
            .s3
            .get_bucket_tagging()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(read("s3", "GetBucketTagging"), req.send().await)
            .or_missing(&["NoSuchTagSet"])?
        else {
            return Ok(BTreeMap::new());
        };
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    async fn bucket_public_blocked(&self, name: &str) -> Result<bool> {
        let req = self
            .s3
            .get_public_access_block()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(read("s3", "GetPublicAccessBlock"), req.send().await)
            .or_missing(&["NoSuchPublicAccessBlockConfiguration"])?
        else {
            return Ok(false);
        };
        Ok(out.public_access_block_configuration().is_some_and(|c| {
            c.block_public_acls() == Some(true)
                && c.ignore_public_acls() == Some(true)
                && c.block_public_policy() == Some(true)
                && c.restrict_public_buckets() == Some(true)
        }))
    }

    async fn bucket_owner_enforced(&self, name: &str) -> Result<bool> {
        let req = self
            .s3
            .get_bucket_ownership_controls()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(read("s3", "GetBucketOwnershipControls"), req.send().await)
            .or_missing(&["OwnershipControlsNotFoundError"])?
        else {
            return Ok(false);
        };
        Ok(out.ownership_controls().is_some_and(|c| {
            c.rules()
                .iter()
                .any(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced)
        }))
    }

    async fn bucket_encryption(&self, name: &str) -> Result<Option<(String, Option<String>)>> {
        let req = self
            .s3
            .get_bucket_encryption()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(read("s3", "GetBucketEncryption"), req.send().await)
            .or_missing(&["ServerSideEncryptionConfigurationNotFoundError"])?
        else {
            return Ok(None);
        };
        Ok(out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| {
                (
                    d.sse_algorithm().as_str().to_owned(),
                    d.kms_master_key_id().map(str::to_owned),
                )
            }))
    }

    async fn bucket_versioning(&self, name: &str) -> Result<bool> {
        let req = self
            .s3
            .get_bucket_versioning()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let out = self.answered(read("s3", "GetBucketVersioning"), req.send().await)?;
        Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
    }

    async fn bucket_lifecycle(&self, name: &str) -> Result<Vec<RuleState>> {
        let req = self
            .s3
            .get_bucket_lifecycle_configuration()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(
                read("s3", "GetBucketLifecycleConfiguration"),
                req.send().await,
            )
            .or_missing(&["NoSuchLifecycleConfiguration"])?
        else {
            return Ok(Vec::new());
        };
        let days = |d: Option<i32>| d.and_then(|d| u32::try_from(d).ok());
        Ok(out
            .rules()
            .iter()
            .map(|r| {
                (
                    r.id().unwrap_or_default().to_owned(),
                    r.filter()
                        .and_then(|f| f.prefix())
                        .or(
                            #[allow(deprecated)]
                            r.prefix(),
                        )
                        .unwrap_or_default()
                        .to_owned(),
                    days(r.expiration().and_then(|x| x.days())),
                    days(
                        r.abort_incomplete_multipart_upload()
                            .and_then(|x| x.days_after_initiation()),
                    ),
                    days(
                        r.noncurrent_version_expiration()
                            .and_then(|x| x.noncurrent_days()),
                    ),
                    r.expiration()
                        .and_then(|x| x.expired_object_delete_marker())
                        .unwrap_or(false),
                )
            })
            .collect())
    }

    async fn bucket_policy(&self, name: &str) -> Result<Option<Value>> {
        let req = self
            .s3
            .get_bucket_policy()
            .bucket(name)
            .set_expected_bucket_owner(self.owner());
        let Some(out) = self
            .answered(read("s3", "GetBucketPolicy"), req.send().await)
            .or_missing(&["NoSuchBucketPolicy"])?
        else {
            return Ok(None);
        };
        Ok(out.policy().and_then(|p| serde_json::from_str(p).ok()))
    }

    /// Whether any object is under `prefix`.
    pub(crate) async fn has_objects(&self, bucket: &str, prefix: &str) -> Result<bool> {
        Ok(self.count_objects(bucket, prefix, 1).await?.0 > 0)
    }

    /// How many objects are under `prefix` (at most `cap`, read page by page) and the newest
    /// one's last-modified time, in seconds since the epoch.
    pub(crate) async fn count_objects(
        &self,
        bucket: &str,
        prefix: &str,
        cap: usize,
    ) -> Result<(usize, Option<i64>)> {
        let (mut count, mut newest, mut token) = (0usize, None::<i64>, None::<String>);
        loop {
            let req = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .set_expected_bucket_owner(self.owner())
                .prefix(prefix)
                .max_keys(i32::try_from(cap.min(1000)).unwrap_or(1000))
                .set_continuation_token(token.clone());
            let out = self.answered(read("s3", "ListObjectsV2"), req.send().await)?;
            for o in out.contents() {
                count += 1;
                if let Some(t) = o.last_modified() {
                    newest = Some(newest.map_or(t.secs(), |n| n.max(t.secs())));
                }
            }
            token = out.next_continuation_token().map(str::to_owned);
            if token.is_none() || count >= cap {
                return Ok((count, newest));
            }
        }
    }

    /// Create the bucket in this region with ACLs off from the start. A bucket we already own
    /// (a retry, a race with our own earlier run) is [`Created::AlreadyExisted`].
    pub(crate) async fn create_bucket(&self, name: &str) -> Result<Created> {
        let mut req = self
            .s3
            .create_bucket()
            .bucket(name)
            .object_ownership(ObjectOwnership::BucketOwnerEnforced);
        // us-east-1 takes no location constraint (S3 refuses one naming it).
        if self.region.as_str() != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        match self.answered(write("s3", "CreateBucket"), req.send().await) {
            Err(e) if e.code() == Some("BucketAlreadyExists") => Err(Error::Refused(format!(
                "the bucket name {name} is taken by another AWS account (S3's bucket names are global): choose another --archive-bucket"
            ))),
            res => res.or_existing(&["BucketAlreadyOwnedByYou"]),
        }
    }

    /// Delete every object version and delete marker in the bucket, 1,000 at a time, then the
    /// bucket (teardown `--delete-archive`). A write that lands meanwhile (Firehose, before its
    /// delivery stream goes) is met by emptying it again, a few times.
    pub(crate) async fn empty_and_delete_bucket(&self, name: &str) -> Result<()> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        for _ in 0..5 {
            loop {
                let req = self
                    .s3
                    .list_object_versions()
                    .bucket(name)
                    .set_expected_bucket_owner(self.owner())
                    .max_keys(1000);
                let out = self.answered(read("s3", "ListObjectVersions"), req.send().await)?;
                let ids = out
                    .versions()
                    .iter()
                    .map(|v| (v.key(), v.version_id()))
                    .chain(
                        out.delete_markers()
                            .iter()
                            .map(|m| (m.key(), m.version_id())),
                    )
                    .filter_map(|(key, version)| {
                        ObjectIdentifier::builder()
                            .key(key?)
                            .set_version_id(version.map(str::to_owned))
                            .build()
                            .ok()
                    })
                    .collect::<Vec<_>>();
                if ids.is_empty() {
                    break;
                }
                let delete = built(Delete::builder().set_objects(Some(ids)).quiet(true).build())?;
                let req = self
                    .s3
                    .delete_objects()
                    .bucket(name)
                    .set_expected_bucket_owner(self.owner())
                    .delete(delete);
                self.answered(write("s3", "DeleteObjects"), req.send().await)?;
            }
            let req = self
                .s3
                .delete_bucket()
                .bucket(name)
                .set_expected_bucket_owner(self.owner());
            match self
                .answered(write("s3", "DeleteBucket"), req.send().await)
                .or_missing(&["NoSuchBucket"])
            {
                // A write landed after the last listing: empty it again.
                Err(e) if e.code() == Some("BucketNotEmpty") => continue,
                other => return other.map(drop),
            }
        }
        Err(Error::Refused(format!(
            "the bucket {name} kept receiving objects while teardown emptied it: stop what writes to it, then run teardown again"
        )))
    }

    pub(crate) async fn block_public_access(&self, name: &str) -> Result<()> {
        let req = self
            .s3
            .put_public_access_block()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            );
        self.answered(write("s3", "PutPublicAccessBlock"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn enforce_bucket_owner(&self, name: &str) -> Result<()> {
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build();
        let controls = built(OwnershipControls::builder().rules(built(rule)?).build())?;
        let req = self
            .s3
            .put_bucket_ownership_controls()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .ownership_controls(controls);
        self.answered(write("s3", "PutBucketOwnershipControls"), req.send().await)?;
        Ok(())
    }

    /// Default encryption: SSE-KMS with `key` (and a bucket key, which cuts KMS calls), or
    /// SSE-S3.
    pub(crate) async fn put_bucket_encryption(&self, name: &str, key: Option<&str>) -> Result<()> {
        let default = match key {
            Some(k) => ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(k),
            None => {
                ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
            }
        };
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(built(default.build())?)
            .bucket_key_enabled(key.is_some())
            .build();
        let config = built(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build(),
        )?;
        let req = self
            .s3
            .put_bucket_encryption()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .server_side_encryption_configuration(config);
        self.answered(write("s3", "PutBucketEncryption"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn enable_versioning(&self, name: &str) -> Result<()> {
        let req = self
            .s3
            .put_bucket_versioning()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            );
        self.answered(write("s3", "PutBucketVersioning"), req.send().await)?;
        Ok(())
    }

    /// The bucket's whole lifecycle configuration (S3 replaces it whole: the plan only
    /// writes it on a bucket with no rules but ours).
    pub(crate) async fn put_lifecycle(&self, name: &str, rules: &[Rule]) -> Result<()> {
        let days = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
        let mut out = Vec::new();
        for r in rules {
            let mut b = LifecycleRule::builder()
                .id(r.id)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix(r.prefix).build());
            if let Some(d) = r.expire_days {
                b = b.expiration(LifecycleExpiration::builder().days(days(d)).build());
            }
            if r.expired_delete_markers {
                b = b.expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                );
            }
            if let Some(d) = r.abort_uploads_days {
                b = b.abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(days(d))
                        .build(),
                );
            }
            if let Some(d) = r.noncurrent_days {
                b = b.noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(days(d))
                        .build(),
                );
            }
            out.push(built(b.build())?);
        }
        let config = built(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(out))
                .build(),
        )?;
        let req = self
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .lifecycle_configuration(config);
        self.answered(
            write("s3", "PutBucketLifecycleConfiguration"),
            req.send().await,
        )?;
        Ok(())
    }

    pub(crate) async fn put_bucket_policy(&self, name: &str, policy: &Value) -> Result<()> {
        let req = self
            .s3
            .put_bucket_policy()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .policy(policy.to_string());
        self.answered(write("s3", "PutBucketPolicy"), req.send().await)?;
        Ok(())
    }

    /// The bucket's whole tag set (S3 replaces it whole: the plan passes the tags it found
    /// with ours added).
    pub(crate) async fn put_bucket_tags(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let set = tags
            .iter()
            .map(|(k, v)| built(Tag::builder().key(k).value(v).build()))
            .collect::<Result<Vec<_>>>()?;
        let req = self
            .s3
            .put_bucket_tagging()
            .bucket(name)
            .set_expected_bucket_owner(self.owner())
            .tagging(built(Tagging::builder().set_tag_set(Some(set)).build())?);
        self.answered(write("s3", "PutBucketTagging"), req.send().await)?;
        Ok(())
    }
}

impl Apply<Aws, ApplyCx<'_>> for BucketAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, cx: &ApplyCx<'_>) -> Result<()> {
        match self {
            BucketAction::CreateBucket { bucket } => {
                aws.create_bucket(bucket).await?.made("bucket", bucket)
            }
            BucketAction::BlockPublicAccess { bucket } => aws.block_public_access(bucket).await,
            BucketAction::EnforceBucketOwner { bucket } => aws.enforce_bucket_owner(bucket).await,
            BucketAction::PutBucketEncryption { bucket, kms_key } => {
                aws.put_bucket_encryption(bucket, kms_key.as_deref()).await
            }
            BucketAction::EnableVersioning { bucket } => aws.enable_versioning(bucket).await,
            BucketAction::PutLifecycle { bucket, .. } => {
                aws.put_lifecycle(bucket, &cx.model.lifecycle()).await
            }
            BucketAction::PutBucketPolicy { bucket, after } => {
                aws.put_bucket_policy(bucket, after).await
            }
            BucketAction::TagBucket { bucket, tags } => aws.put_bucket_tags(bucket, tags).await,
        }
    }
}

impl Remove<Aws> for BucketRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        let BucketRemoval::DeleteArchiveBucket { bucket } = self;
        aws.empty_and_delete_bucket(bucket).await
    }
}

impl Read<Aws> for Bucket {
    /// The bucket the run names (teardown names none: it finds it in [`Read::left`]).
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<BucketObserved> {
        match cx.model {
            Some(m) => aws.describe_bucket(m.bucket.as_str()).await,
            None => Ok(BucketObserved::Missing),
        }
    }

    /// Named by what setup left (`bucket::named_by`); whose it is read only when it may go.
    async fn left(&self, aws: &Aws, cx: &LeftCx<'_>, found: &ArchiveState) -> Result<BucketLeft> {
        let name = crate::parts::bucket::named_by(found);
        let managed = match (&name, cx.delete_archive) {
            (Some(b), true) => match aws.describe_bucket(b).await? {
                BucketObserved::Here(state) => Some(crate::state::is_managed(&state.tags)),
                _ => None,
            },
            _ => None,
        };
        Ok(BucketLeft { name, managed })
    }
}
