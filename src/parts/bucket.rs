//! The archive's bucket: private (all four Block Public Access settings), ACLs off
//! (BucketOwnerEnforced), encrypted by default (SSE-KMS with the stream's customer-managed key,
//! else SSE-S3), versioned, with the archive's lifecycle rules, a policy that refuses requests
//! without TLS, and our tag. A bucket that is not ours is used only with `--adopt` and never
//! when it already holds objects under our prefixes; a lifecycle or bucket policy someone else
//! wrote is left as it is (S3 replaces both whole). Teardown keeps it unless asked twice.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    cfn_resource, cfn_tags, managed_tags, missing_tags, tf_archive_resource, tf_tags,
    tf_with_skips, Export, Planned, Refusal, Row, Skip, Teardown, ARCHIVE_AGAIN,
};
use super::{ArchiveLeft, ArchiveState, PlanCx, RowCx, TeardownCx};
use crate::archive::{self, Archive};
use crate::hcl::{Block, Hcl};
use crate::state::{is_managed, MANAGED_BY};

/// The bucket's logical id in CloudFormation, and its id as Terraform references it.
pub(crate) const CFN_ID: &str = "BuzzArchiveBucket";
const CFN_POLICY_ID: &str = "BuzzArchiveBucketPolicy";
pub(crate) const TF_ID: &str = "aws_s3_bucket.buzz_archive.id";
const TF_PUBLIC_ACCESS_BLOCK: &str = "aws_s3_bucket_public_access_block";
const TF_VERSIONING: &str = "aws_s3_bucket_versioning";

/// The bucket, as a part of the archive.
pub(crate) struct Bucket;

impl super::Part for Bucket {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

impl super::ArchivePart for Bucket {
    type Found = BucketObserved;
    type Left = BucketLeft;
    type Action = BucketAction;
    type Removal = BucketRemoval;

    const NOUN: &'static str = "the archive's bucket";
    const CHAIN: &'static str = "bucket";
    const ROW: Option<&'static str> = Some("archive.bucket");

    /// Nothing may write to it any more (Firehose and its role gone first).
    const TEARDOWN_AFTER: &'static [&'static str] = &["delivery", "role"];

    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<BucketAction>, E> {
        Ok(plan(cx.model, cx.adopt, &found.bucket)?)
    }

    fn row(&self, cx: &RowCx<'_>, found: &ArchiveState) -> Option<Row> {
        Some(row(cx.model.bucket.as_str(), &found.bucket))
    }

    fn teardown(&self, cx: &TeardownCx, left: &ArchiveLeft) -> Planned<BucketRemoval> {
        let b = &left.bucket;
        super::torn(
            teardown(b.name.as_deref(), cx.delete_archive, b.managed),
            b.name
                .iter()
                .map(|bucket| BucketRemoval::DeleteArchiveBucket {
                    bucket: bucket.clone(),
                }),
        )
    }
}

/// The archive's bucket as teardown finds it: by what setup left naming it (the table's
/// location, else the delivery stream's destination).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct BucketLeft {
    pub name: Option<String>,
    /// Whether setup made it (read only for `--delete-archive`).
    pub managed: Option<bool>,
}

/// The archive's bucket as what setup left names it: the table's location
/// (`s3://BUCKET/events/`), which outlives the delivery stream (teardown deletes the table after
/// the bucket); else the delivery stream's destination (`arn:<partition>:s3:::BUCKET`). Either
/// lets an interrupted teardown find it again.
pub(crate) fn named_by(found: &ArchiveState) -> Option<String> {
    let location = found
        .glue
        .table
        .as_ref()
        .and_then(|t| t.location.as_deref());
    location
        .and_then(|l| l.strip_prefix("s3://"))
        .and_then(|l| l.split('/').next())
        .filter(|b| !b.is_empty())
        .or_else(|| {
            found
                .delivery
                .as_ref()
                .and_then(|d| d.bucket_arn.as_deref())
                .and_then(|a| a.split_once(":::"))
                .map(|(_, b)| b)
        })
        .map(str::to_owned)
}

/// The bucket's removal, only with `--delete-archive`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BucketRemoval {
    /// Every object version in the bucket, then the bucket.
    DeleteArchiveBucket { bucket: String },
}

impl super::Gone for BucketRemoval {
    fn describe(&self) -> String {
        let BucketRemoval::DeleteArchiveBucket { bucket } = self;
        format!("DELETE the archive's bucket {bucket} and every event in it (every version)")
    }
}

/// The bucket as S3 answers for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum BucketObserved {
    #[default]
    Missing,
    /// HeadBucket answered 403: the name is taken by a bucket this identity may not see
    /// (usually another account's; S3's names are global).
    Forbidden,
    /// The bucket is in another region than the stream (HeadBucket's 301, or its region header).
    ElsewhereIn(String),
    Here(BucketState),
}

/// A bucket's lifecycle rule as S3 reports it: `(id, prefix, expire days, abort-upload
/// days, noncurrent-version days, expired delete markers removed)`, ordered so two lists
/// compare once sorted.
pub(crate) type RuleState = (String, String, Option<u32>, Option<u32>, Option<u32>, bool);

/// What setup converges on an existing bucket, as S3 reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct BucketState {
    pub tags: BTreeMap<String, String>,
    /// All four Block Public Access settings on.
    pub public_blocked: bool,
    /// Object ownership `BucketOwnerEnforced` (ACLs off).
    pub owner_enforced: bool,
    /// Default encryption: `None` when S3 reports none; else the algorithm (`AES256`,
    /// `aws:kms`) and the key, for SSE-KMS.
    pub encryption: Option<(String, Option<String>)>,
    pub versioning: bool,
    pub lifecycle: Vec<RuleState>,
    pub policy: Option<Value>,
    /// Objects already under the archive's prefixes (read only for a bucket we did not tag):
    /// someone else's data, which setup will not mix ours into.
    pub objects_under_prefix: bool,
}

impl BucketState {
    /// The bucket as setup leaves it for `model`.
    #[cfg(test)]
    pub(crate) fn converged(model: &Archive) -> Self {
        BucketState {
            tags: managed_tags(),
            public_blocked: true,
            owner_enforced: true,
            encryption: Some(match &model.key {
                Some(k) => ("aws:kms".into(), Some(k.as_str().to_owned())),
                None => ("AES256".into(), None),
            }),
            versioning: true,
            lifecycle: lifecycle(model),
            policy: Some(model.bucket_policy()),
            objects_under_prefix: false,
        }
    }
}

/// The bucket's lifecycle rules as the model wants them, as S3 reports them back.
pub(crate) fn lifecycle(model: &Archive) -> Vec<RuleState> {
    model
        .lifecycle()
        .iter()
        .map(|r| {
            (
                r.id.to_owned(),
                r.prefix.to_owned(),
                r.expire_days,
                r.abort_uploads_days,
                r.noncurrent_days,
                r.expired_delete_markers,
            )
        })
        .collect()
}

/// One change to the bucket.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BucketAction {
    CreateBucket {
        bucket: String,
    },
    BlockPublicAccess {
        bucket: String,
    },
    EnforceBucketOwner {
        bucket: String,
    },
    /// SSE-KMS with the stream's customer-managed key, or SSE-S3.
    PutBucketEncryption {
        bucket: String,
        kms_key: Option<String>,
    },
    EnableVersioning {
        bucket: String,
    },
    PutLifecycle {
        bucket: String,
        rules: Vec<String>,
    },
    PutBucketPolicy {
        bucket: String,
        after: Value,
    },
    /// The bucket's whole tag set afterwards: the tags it had, with ours.
    TagBucket {
        bucket: String,
        tags: BTreeMap<String, String>,
    },
}

impl super::Change for BucketAction {
    fn is_create(&self) -> bool {
        matches!(self, BucketAction::CreateBucket { .. })
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        match self {
            BucketAction::PutBucketPolicy { after, .. } => (Value::Null, after.clone()),
            other => (
                Value::Null,
                serde_json::to_value(other).unwrap_or(Value::Null),
            ),
        }
    }

    /// The plan's line.
    fn describe(&self) -> String {
        match self {
            BucketAction::CreateBucket { bucket } => format!("create bucket {bucket} (ACLs off)"),
            BucketAction::BlockPublicAccess { bucket } => {
                format!("block all public access to bucket {bucket}")
            }
            BucketAction::EnforceBucketOwner { bucket } => {
                format!("bucket {bucket}: object ownership BucketOwnerEnforced (ACLs off)")
            }
            BucketAction::PutBucketEncryption {
                bucket,
                kms_key: Some(k),
            } => format!("bucket {bucket}: default encryption SSE-KMS with {k}"),
            BucketAction::PutBucketEncryption {
                bucket,
                kms_key: None,
            } => format!("bucket {bucket}: default encryption SSE-S3"),
            BucketAction::EnableVersioning { bucket } => {
                format!("bucket {bucket}: turn on versioning")
            }
            BucketAction::PutLifecycle { bucket, rules } => {
                format!("bucket {bucket}: lifecycle rules {}", rules.join(", "))
            }
            BucketAction::PutBucketPolicy { bucket, .. } => {
                format!("bucket {bucket}: a policy that refuses requests without TLS")
            }
            BucketAction::TagBucket { bucket, .. } => {
                format!("tag bucket {bucket} {}={}", MANAGED_BY.0, MANAGED_BY.1)
            }
        }
    }
}

/// The bucket's plan: made when missing; someone else's only with `--adopt` and only when
/// nothing is under our prefixes; then each setting that differs is one action.
pub(crate) fn plan(
    model: &Archive,
    adopt: bool,
    found: &BucketObserved,
) -> Result<Planned<BucketAction>, Refusal> {
    let bucket = model.bucket.as_str().to_owned();
    let mut p = Planned::default();
    let empty = BucketState::default();
    let b = match found {
        BucketObserved::Missing => {
            p.actions.push(BucketAction::CreateBucket {
                bucket: bucket.clone(),
            });
            &empty
        }
        other => usable(model, adopt, other)?,
    };
    if !b.public_blocked {
        p.actions.push(BucketAction::BlockPublicAccess {
            bucket: bucket.clone(),
        });
    }
    // S3 makes a bucket with ACLs off (CreateBucket's ObjectOwnership): no second call.
    if !b.owner_enforced && !matches!(found, BucketObserved::Missing) {
        p.actions.push(BucketAction::EnforceBucketOwner {
            bucket: bucket.clone(),
        });
    }
    let key = model.key.as_ref().map(|k| k.as_str().to_owned());
    let encryption_ok = match (&key, &b.encryption) {
        (Some(k), Some((algo, have))) => algo == "aws:kms" && have.as_deref() == Some(k.as_str()),
        (Some(_), None) => false,
        // SSE-S3 asked: any default encryption already there is at least that.
        (None, have) => have.is_some(),
    };
    if !encryption_ok {
        p.actions.push(BucketAction::PutBucketEncryption {
            bucket: bucket.clone(),
            kms_key: key,
        });
    }
    if !b.versioning {
        p.actions.push(BucketAction::EnableVersioning {
            bucket: bucket.clone(),
        });
    }
    plan_lifecycle(model, &bucket, b, &mut p);
    plan_policy(model, &bucket, b, &mut p);
    let add = missing_tags(&managed_tags(), &b.tags);
    if !add.is_empty() {
        let mut all = b.tags.clone();
        all.extend(add);
        p.actions
            .push(BucketAction::TagBucket { bucket, tags: all });
    }
    Ok(p)
}

/// A bucket found: the one to converge, or why it may not be used.
fn usable<'a>(
    model: &Archive,
    adopt: bool,
    found: &'a BucketObserved,
) -> Result<&'a BucketState, Refusal> {
    let what = format!("the bucket {}", model.bucket.as_str());
    match found {
        BucketObserved::Forbidden => Err(Refusal::new(
            what,
            "exists, and this AWS identity may not read it (S3 answered 403): it belongs to another account, or a policy keeps you out. S3's bucket names are global",
            "choose another --archive-bucket, or run as an identity of the bucket's own account",
        )),
        BucketObserved::ElsewhereIn(region) => Err(Refusal::new(
            what,
            format!("is in {region}, not in the stream's region: Firehose delivers only to a bucket in its own region"),
            "choose another --archive-bucket (setup makes it in the stream's region), or run setup in the bucket's region",
        )),
        BucketObserved::Here(b) if !is_managed(&b.tags) && !adopt => Err(Refusal::new(
            what,
            "exists and was not made by buzz-kinesis (it has no managed-by tag)",
            "pass --adopt to use it as the archive (setup then blocks public access, turns on versioning and tags it; it deletes nothing), or choose another --archive-bucket",
        )),
        BucketObserved::Here(b) if !is_managed(&b.tags) && b.objects_under_prefix => Err(Refusal::new(
            what,
            format!("already holds objects under {} or {} that buzz-kinesis did not write: the archive would mix with them", archive::EVENTS_PREFIX, archive::ERRORS_PREFIX),
            "choose another --archive-bucket (an empty one, or a new name setup makes)",
        )),
        BucketObserved::Here(b) => Ok(b),
        BucketObserved::Missing => unreachable!("a missing bucket is made, not used"),
    }
}

/// Our lifecycle rules, unless the bucket has rules of its own (S3 replaces a lifecycle whole).
fn plan_lifecycle(model: &Archive, bucket: &str, b: &BucketState, p: &mut Planned<BucketAction>) {
    let want = lifecycle(model);
    let ours: Vec<&str> = want.iter().map(|r| r.0.as_str()).collect();
    let mut have = b.lifecycle.clone();
    have.sort();
    let mut sorted_want = want.clone();
    sorted_want.sort();
    if have == sorted_want {
        return;
    }
    let foreign: Vec<&str> = have
        .iter()
        .map(|r| r.0.as_str())
        .filter(|id| !ours.contains(id))
        .collect();
    if foreign.is_empty() {
        p.actions.push(BucketAction::PutLifecycle {
            bucket: bucket.to_owned(),
            rules: ours.iter().map(|s| (*s).to_owned()).collect(),
        });
    } else {
        p.notes.push(format!(
            "the bucket {bucket} has lifecycle rules of its own ({}): S3 replaces a lifecycle whole, so setup leaves it as it is; add the archive's rules ({}) to it yourself if you want them",
            foreign.join(", "),
            ours.join(", ")
        ));
    }
}

/// Our TLS-only policy, unless the bucket has one of its own (S3 replaces a policy whole).
fn plan_policy(model: &Archive, bucket: &str, b: &BucketState, p: &mut Planned<BucketAction>) {
    let policy = model.bucket_policy();
    match &b.policy {
        None => p.actions.push(BucketAction::PutBucketPolicy {
            bucket: bucket.to_owned(),
            after: policy,
        }),
        Some(have) if *have == policy => {}
        Some(_) => p.notes.push(format!(
            "the bucket {bucket} has a bucket policy of its own: S3 replaces a policy whole, so setup leaves it as it is; the archive's refuses requests without TLS: {policy}"
        )),
    }
}

/// Check's `archive.bucket` row.
pub(crate) fn row(bucket: &str, found: &BucketObserved) -> Row {
    let b = match found {
        BucketObserved::Missing => {
            return Row::Fail(format!("the bucket {bucket} does not exist"), ARCHIVE_AGAIN.into())
        }
        BucketObserved::Forbidden => {
            return Row::Fail(
                format!("the bucket {bucket} cannot be read (S3 answered 403): another account's, or a policy keeps this identity out"),
                "run check as an identity of the bucket's account with s3:GetBucket* and s3:ListBucket on it".into(),
            )
        }
        BucketObserved::ElsewhereIn(region) => {
            return Row::Fail(
                format!("the bucket {bucket} is in {region}, not in the stream's region: Firehose cannot deliver to it"),
                "choose a bucket in the stream's region (--archive-bucket) and run setup again".into(),
            )
        }
        BucketObserved::Here(b) => b,
    };
    let mut missing = Vec::new();
    if !b.public_blocked {
        missing.push("Block Public Access");
    }
    if b.encryption.is_none() {
        missing.push("default encryption");
    }
    if !b.versioning {
        missing.push("versioning");
    }
    if missing.is_empty() {
        Row::Pass(format!(
            "the bucket {bucket} blocks public access, is encrypted and versioned"
        ))
    } else {
        Row::Warn(
            format!("the bucket {bucket} lacks {}", missing.join(", ")),
            ARCHIVE_AGAIN.into(),
        )
    }
}

/// What teardown does with the bucket it found (`None`: no delivery stream nor table names it
/// any more), `managed`: whether setup made it (read only when asked to delete it).
pub(crate) fn teardown(
    bucket: Option<&str>,
    delete_archive: bool,
    managed: Option<bool>,
) -> Teardown {
    match (bucket, delete_archive, managed) {
        (Some(_), true, Some(true)) => Teardown::Remove,
        (Some(bucket), true, _) => Teardown::Keep(format!(
            "the archive's bucket {bucket} was not made by buzz-kinesis (no tag {}={}): --delete-archive leaves it, with every object",
            MANAGED_BY.0, MANAGED_BY.1
        )),
        (Some(bucket), false, _) => Teardown::Keep(format!(
            "the archive's bucket {bucket} stays, with every event in it (pass --delete-archive to delete it)"
        )),
        (None, true, _) => Teardown::Keep("--delete-archive: neither a delivery stream nor the archive's table names the bucket any more, so teardown cannot find it: delete it in S3 (aws s3 rb s3://BUCKET --force removes it with its objects)".into()),
        (None, false, _) => Teardown::Nothing,
    }
}

/// The bucket has no access log (checkov CKV_AWS_18).
const LOG_REASON: &str = "S3 server access logs need a second bucket to receive them, which a district's log archive (or CloudTrail data events on this bucket) provides; the archive's only writer is Firehose through its own role, and the bucket blocks public access and takes TLS only. Point the bucket's access logging at your log bucket if your policy asks for it.";

/// No cross-region replication (checkov CKV_AWS_144).
const REPLICATION_REASON: &str = "The archive is itself a copy of the stream's events; replicating it to a second region needs a second bucket there and doubles the storage cost. Versioning is on, so an overwrite or a delete keeps the previous version for 30 days.";

/// No event notifications (checkov CKV2_AWS_62).
const NOTIFICATIONS_REASON: &str = "Nothing needs to react to a new object: the Glue table finds new days and types by partition projection, without a crawler or a notification.";

/// The bucket's default encryption is SSE-S3 (checkov CKV_AWS_145).
const SSE_S3_REASON: &str = "Encrypted at rest with SSE-S3 (AES-256, keys S3 manages), the default that needs no key policy, as the stream uses the AWS-managed key. Pass --kms-key with a customer-managed key's ARN to encrypt the stream and the archive with it.";

/// The checks the bucket does not meet, with their reasons.
pub(crate) fn skips(model: &Archive) -> Vec<Skip> {
    let mut skips = vec![
        Skip {
            id: "CKV_AWS_18",
            reason: LOG_REASON.into(),
        },
        Skip {
            id: "CKV_AWS_144",
            reason: REPLICATION_REASON.into(),
        },
        Skip {
            id: "CKV2_AWS_62",
            reason: NOTIFICATIONS_REASON.into(),
        },
    ];
    if model.key.is_none() {
        skips.push(Skip {
            id: "CKV_AWS_145",
            reason: SSE_S3_REASON.into(),
        });
    }
    skips
}

/// The default encryption, in CloudFormation's words.
fn cfn_encryption(model: &Archive) -> Value {
    match &model.key {
        Some(k) => json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": k.as_str()}),
        None => json!({"SSEAlgorithm": "AES256"}),
    }
}

/// The lifecycle rules, in CloudFormation's words.
fn cfn_rules(model: &Archive) -> Vec<Value> {
    model
        .lifecycle()
        .iter()
        .map(|l| {
            let mut rule = json!({"Id": l.id, "Status": "Enabled"});
            if !l.prefix.is_empty() {
                rule["Prefix"] = json!(l.prefix);
            }
            if let Some(d) = l.expire_days {
                rule["ExpirationInDays"] = json!(d);
            }
            if let Some(d) = l.abort_uploads_days {
                rule["AbortIncompleteMultipartUpload"] = json!({"DaysAfterInitiation": d});
            }
            if let Some(d) = l.noncurrent_days {
                rule["NoncurrentVersionExpiration"] = json!({"NoncurrentDays": d});
            }
            if l.expired_delete_markers {
                rule["ExpiredObjectDeleteMarker"] = json!(true);
            }
            rule
        })
        .collect()
}

/// The bucket and its policy as CloudFormation resources.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let a = x.model;
    let bucket = cfn_resource(
        json!({
            "Type": "AWS::S3::Bucket",
            // Like the tool, which never deletes the archive: deleting the stack keeps it.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": a.bucket.as_str(),
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true,
                    "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true,
                    "RestrictPublicBuckets": true,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": cfn_encryption(a),
                    "BucketKeyEnabled": true,
                }]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": cfn_rules(a)},
                "Tags": cfn_tags(x.tags),
            },
        }),
        &skips(a),
    );
    let policy = json!({
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": CFN_ID}, "PolicyDocument": a.bucket_policy()},
    });
    vec![(CFN_ID, bucket), (CFN_POLICY_ID, policy)]
}

/// One lifecycle rule, in Terraform's words.
fn tf_rule(l: &archive::LifecycleRule) -> Block {
    let mut rule = Block::new("rule", &[])
        .attr("id", Hcl::str(l.id))
        .attr("status", Hcl::str("Enabled"))
        .block(Block::new("filter", &[]).attr("prefix", Hcl::str(l.prefix)));
    if let Some(d) = l.expire_days {
        rule = rule.block(Block::new("expiration", &[]).attr("days", Hcl::expr(d.to_string())));
    }
    if l.expired_delete_markers {
        rule = rule.block(
            Block::new("expiration", &[]).attr("expired_object_delete_marker", Hcl::Bool(true)),
        );
    }
    if let Some(d) = l.abort_uploads_days {
        rule = rule.block(
            Block::new("abort_incomplete_multipart_upload", &[])
                .attr("days_after_initiation", Hcl::expr(d.to_string())),
        );
    }
    if let Some(d) = l.noncurrent_days {
        rule = rule.block(
            Block::new("noncurrent_version_expiration", &[])
                .attr("noncurrent_days", Hcl::expr(d.to_string())),
        );
    }
    rule
}

/// The bucket and its configuration resources (the provider gives each setting a resource).
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    let a = x.model;
    let bucket_id = || Hcl::expr(TF_ID);
    let mut default = Block::new("apply_server_side_encryption_by_default", &[]);
    default = match &a.key {
        Some(k) => default
            .attr("sse_algorithm", Hcl::str("aws:kms"))
            .attr("kms_master_key_id", Hcl::str(k.as_str())),
        None => default.attr("sse_algorithm", Hcl::str("AES256")),
    };
    let lifecycle = a.lifecycle().iter().fold(
        tf_archive_resource("aws_s3_bucket_lifecycle_configuration")
            .attr("bucket", bucket_id())
            .attr(
                "depends_on",
                Hcl::List(vec![Hcl::expr(format!("{TF_VERSIONING}.buzz_archive"))]),
            ),
        |block, l| block.block(tf_rule(l)),
    );
    vec![
        tf_with_skips(tf_archive_resource("aws_s3_bucket"), &skips(a))
            .attr("bucket", Hcl::str(a.bucket.as_str()))
            .attr("tags", tf_tags(x.tags))
            // Like the tool, which never deletes the archive.
            .block(Block::new("lifecycle", &[]).attr("prevent_destroy", Hcl::Bool(true))),
        tf_archive_resource(TF_PUBLIC_ACCESS_BLOCK)
            .attr("bucket", bucket_id())
            .attr("block_public_acls", Hcl::Bool(true))
            .attr("block_public_policy", Hcl::Bool(true))
            .attr("ignore_public_acls", Hcl::Bool(true))
            .attr("restrict_public_buckets", Hcl::Bool(true)),
        tf_archive_resource("aws_s3_bucket_ownership_controls")
            .attr("bucket", bucket_id())
            .block(
                Block::new("rule", &[]).attr("object_ownership", Hcl::str("BucketOwnerEnforced")),
            ),
        tf_archive_resource("aws_s3_bucket_server_side_encryption_configuration")
            .attr("bucket", bucket_id())
            .block(
                Block::new("rule", &[])
                    .attr("bucket_key_enabled", Hcl::Bool(true))
                    .block(default),
            ),
        tf_archive_resource(TF_VERSIONING)
            .attr("bucket", bucket_id())
            .block(Block::new("versioning_configuration", &[]).attr("status", Hcl::str("Enabled"))),
        lifecycle,
        tf_archive_resource("aws_s3_bucket_policy")
            .attr("bucket", bucket_id())
            // S3 refuses a bucket policy and a public access block changed at once.
            .attr(
                "depends_on",
                Hcl::List(vec![Hcl::expr(format!(
                    "{TF_PUBLIC_ACCESS_BLOCK}.buzz_archive"
                ))]),
            )
            .attr(
                "policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(&a.bucket_policy(), &[])),
                ),
            ),
    ]
}

#[cfg(test)]
mod tests;
