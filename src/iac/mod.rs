//! Infrastructure-as-code templates of what `setup` builds, for teams that manage AWS in a
//! repository: a CloudFormation template (JSON) and a Terraform configuration (HCL). Both hold
//! the stream, the role Agilix assumes (12-hour sessions) with its trust and inline policy, and
//! outputs with the ARNs and the `SetDataStreamConfiguration` request to send to Buzz. The
//! documents come from [`crate::policy`] and the request from [`crate::buzz::wire`], so a
//! template can never drift from what setup applies. Pure: no I/O.
//!
//! With `--archive-bucket` both add the archive ([`crate::archive`]): the bucket, Firehose's
//! delivery stream and role, the Glue database and table, and the SQL as outputs.
//!
//! Security teams scan these with checkov: every check a template does not meet carries a
//! skip with its reason next to the resource ([`Skip`]), and `tests/it/scanner.rs` fails on
//! any other finding.
//!
//! `cloudformation` and `terraform` are the two templates; `hcl` is a small HCL writer that
//! knows nothing of them.

mod cloudformation;
mod hcl;
mod terraform;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::archive::{Archive, ArchiveRefs};
use crate::handover::Handover;
use crate::names::{Encryption, EventFilter, KmsKey, RetentionHours};
use crate::policy;
use crate::sizing::Capacity;

pub use cloudformation::cloudformation;
pub use terraform::terraform;

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference. The
/// control character keeps them apart from anything a user can type: every validated name and
/// title refuses control characters.
const STREAM_ARN: &str = "\u{1}stream_arn\u{1}";
const ROLE_ARN: &str = "\u{1}role_arn\u{1}";
const REGION: &str = "\u{1}region\u{1}";
const DOMAIN: &str = "\u{1}domain\u{1}";
/// `kinesis.<region>.amazonaws.com`, the KMS grant's `kms:ViaService`.
const KINESIS_SERVICE: &str = "\u{1}kinesis_service\u{1}";
/// `s3.<region>.amazonaws.com`, the archive key's other `kms:ViaService`.
const S3_SERVICE: &str = "\u{1}s3_service\u{1}";
/// The deployment's account, the Firehose trust's `sts:ExternalId`.
const ACCOUNT: &str = "\u{1}account\u{1}";
/// Firehose's log stream for delivery errors.
const LOG_STREAM_ARN: &str = "\u{1}log_stream_arn\u{1}";

/// What a template describes: the values setup would use.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub stream: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    /// The template makes the stream, so the default is the AWS-managed key.
    pub encryption: Encryption,
    /// Tags for the stream and the role, `managed-by` included.
    pub tags: BTreeMap<String, String>,
    pub role: String,
    pub trust: Value,
    pub title: String,
    pub events: Vec<EventFilter>,
    /// The Buzz domain, when known; else the template asks for it.
    pub domain: Option<String>,
    /// `--alarm-email` / `--alarm-topic`: the alarm on refused writes.
    pub alarm: Option<BlueprintAlarm>,
    /// `--archive-bucket`: the archive in S3 through Firehose, with its Glue table.
    pub archive: Option<Archive>,
}

/// The alarm on the stream's refused writes, and whom it notifies.
#[derive(Debug, Clone)]
pub struct BlueprintAlarm {
    pub emails: Vec<String>,
    /// An existing topic; `None`: the template makes one, named as setup names it.
    pub topic_arn: Option<String>,
}

const ALARM_HELP: &str = "Kinesis refused writes to the stream: Buzz does not retry beyond its SDK, so events were most likely lost. Raise the stream's capacity.";

const HEADER: &str = "The Agilix Buzz data stream to Amazon Kinesis: the stream, the cross-account role Agilix assumes (12-hour sessions) and its least-privilege inline policy, as `buzz-kinesis setup` makes them.";

const REQUEST_HELP: &str = "The SetDataStreamConfiguration request for Buzz's API console: send it first with \"test\": true (Buzz tests the target and saves nothing), then as it is. Buzz replaces the domain's whole configuration, so add the domain's other targets to it, or run `buzz-kinesis setup`, which keeps them.";

const COMMAND_HELP: &str = "The Buzz half for a person with a Buzz administrator login (no AWS access needed): it tests the target, then enables it, keeping the domain's other targets.";

const DOMAIN_HELP: &str = "The Buzz domain that sends its events: numeric id or //userspace.";

/// A scanner check a resource does not meet on purpose, and why: written next to the
/// resource (a `#checkov:skip` comment in HCL, `Metadata.checkov.skip` in CloudFormation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Skip {
    id: &'static str,
    reason: String,
}

/// The trust names Agilix's account root (checkov CKV_AWS_61, Terraform only).
const TRUST_ROOT_REASON: &str = "The trust names Agilix's AWS account root because Agilix's procedure for Buzz data streams requires it: Buzz's servers assume this role from that account. It admits that one account alone";

/// The stream uses the AWS-managed key (checkov CKV_AWS_185, Terraform only).
const AWS_MANAGED_KEY_REASON: &str = "Encrypted with the AWS-managed key alias/aws/kinesis, the default: Buzz's writer role needs no KMS grant for it and there is no key policy to keep. Pass --kms-key with a customer-managed key's ARN to use your own key.";

/// The alarm topic stays unencrypted (checkov CKV_AWS_26).
const TOPIC_UNENCRYPTED_REASON: &str = "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key (alias/aws/sns), whose key policy does not admit CloudWatch. The topic carries alarm notifications only (the alarm's name and state), no student records. Pass --kms-key with a customer-managed key to encrypt the topic with it.";

/// What the key policy of a customer-managed key must allow for the encrypted alarm topic.
const TOPIC_KEY_HELP: &str = "The statement the key policy of the customer-managed key must hold so that CloudWatch alarms can publish to the alarm topic encrypted with it (a template cannot change the policy of a key it does not make).";

use crate::archive::{
    POLICY_NAME as ARCHIVE_POLICY_NAME, ROLE_DESCRIPTION as ARCHIVE_ROLE_DESCRIPTION,
};
const ARCHIVE_DATABASE_DESCRIPTION: &str = "The Agilix Buzz events archived by buzz-kinesis.";
const ARCHIVE_TABLE_DESCRIPTION: &str =
    "Every Buzz event, one JSON line each, partitioned by type and day (partition projection).";

/// The bucket has no access log (checkov CKV_AWS_18).
const BUCKET_LOG_REASON: &str = "S3 server access logs need a second bucket to receive them, which a district's log archive (or CloudTrail data events on this bucket) provides; the archive's only writer is Firehose through its own role, and the bucket blocks public access and takes TLS only. Point the bucket's access logging at your log bucket if your policy asks for it.";

/// No cross-region replication (checkov CKV_AWS_144).
const BUCKET_REPLICATION_REASON: &str = "The archive is itself a copy of the stream's events; replicating it to a second region needs a second bucket there and doubles the storage cost. Versioning is on, so an overwrite or a delete keeps the previous version for 30 days.";

/// No event notifications (checkov CKV2_AWS_62).
const BUCKET_NOTIFICATIONS_REASON: &str = "Nothing needs to react to a new object: the Glue table finds new days and types by partition projection, without a crawler or a notification.";

/// The bucket's default encryption is SSE-S3 (checkov CKV_AWS_145).
const BUCKET_SSE_S3_REASON: &str = "Encrypted at rest with SSE-S3 (AES-256, keys S3 manages), the default that needs no key policy, as the stream uses the AWS-managed key. Pass --kms-key with a customer-managed key's ARN to encrypt the stream and the archive with it.";

/// The delivery stream has no server-side encryption of its own (checkov CKV_AWS_240/241).
const FIREHOSE_SSE_REASON: &str = "Firehose offers no server-side encryption for a delivery stream whose source is a Kinesis stream (AWS refuses DeliveryStreamEncryptionConfigurationInput with KinesisStreamAsSource): the records stay encrypted at rest in the stream and in the bucket (its default encryption), and in transit with TLS.";

/// The delivery error log group uses CloudWatch Logs' own encryption (checkov CKV_AWS_158).
const LOG_GROUP_KMS_REASON: &str = "The log group holds Firehose's delivery error messages (error codes and object keys, not the events), encrypted at rest by CloudWatch Logs; a customer-managed key would need a key policy statement for CloudWatch Logs that a template cannot add to a key it does not make.";

impl Blueprint {
    /// The permission policy, its stream (and key) as given by `stream_arn`.
    fn permission(&self) -> Value {
        policy::write_policy_via(
            STREAM_ARN,
            self.encryption.customer_key().map(KmsKey::as_str),
            KINESIS_SERVICE,
        )
    }

    /// The key the stream is made with; `None` with `--no-encryption`.
    fn stream_key(&self) -> Option<KmsKey> {
        self.encryption.new_stream_key()
    }

    /// The checks the stream does not meet, with their reasons.
    fn stream_skips(&self) -> Vec<Skip> {
        match self.stream_key() {
            None => vec![
                Skip {
                    id: "CKV_AWS_43",
                    reason: Encryption::OFF_REASON.into(),
                },
                Skip {
                    id: "CKV_AWS_185",
                    reason: Encryption::OFF_REASON.into(),
                },
            ],
            Some(k) if !k.is_customer_managed() => vec![Skip {
                id: "CKV_AWS_185",
                reason: AWS_MANAGED_KEY_REASON.into(),
            }],
            Some(_) => Vec::new(),
        }
    }

    /// The checks the role's trust does not meet, with their reasons.
    fn trust_skips(&self) -> Vec<Skip> {
        let narrowed = if policy::trusted_principals(&self.trust)
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

    /// The key the alarm topic the template makes is encrypted with: the customer-managed
    /// key when one is given, else none (with the skip that says why).
    fn topic_key(&self) -> Result<&KmsKey, Skip> {
        self.encryption.customer_key().ok_or_else(|| Skip {
            id: "CKV_AWS_26",
            reason: TOPIC_UNENCRYPTED_REASON.into(),
        })
    }

    /// The Firehose role's permission policy, its deployment-only values as stand-ins.
    fn archive_permission(a: &Archive) -> Value {
        a.permission(&ArchiveRefs {
            account: ACCOUNT,
            stream_arn: STREAM_ARN,
            log_stream_arn: LOG_STREAM_ARN,
            kinesis_service: KINESIS_SERVICE,
            s3_service: S3_SERVICE,
        })
    }

    /// The checks the archive's bucket does not meet, with their reasons.
    fn bucket_skips(a: &Archive) -> Vec<Skip> {
        let mut skips = vec![
            Skip {
                id: "CKV_AWS_18",
                reason: BUCKET_LOG_REASON.into(),
            },
            Skip {
                id: "CKV_AWS_144",
                reason: BUCKET_REPLICATION_REASON.into(),
            },
            Skip {
                id: "CKV2_AWS_62",
                reason: BUCKET_NOTIFICATIONS_REASON.into(),
            },
        ];
        if a.key.is_none() {
            skips.push(Skip {
                id: "CKV_AWS_145",
                reason: BUCKET_SSE_S3_REASON.into(),
            });
        }
        skips
    }

    /// The checks the delivery stream does not meet, with their reasons.
    fn firehose_skips() -> Vec<Skip> {
        ["CKV_AWS_240", "CKV_AWS_241"]
            .into_iter()
            .map(|id| Skip {
                id,
                reason: FIREHOSE_SSE_REASON.into(),
            })
            .collect()
    }

    /// The checks the delivery error log group does not meet, with their reasons.
    fn log_group_skips() -> Vec<Skip> {
        vec![Skip {
            id: "CKV_AWS_158",
            reason: LOG_GROUP_KMS_REASON.into(),
        }]
    }

    /// The Buzz half as `setup --aws-only` hands it over, its deployment-only values as
    /// stand-ins each dialect replaces by a reference.
    fn handover(&self) -> Handover {
        Handover {
            role_arn: ROLE_ARN.into(),
            stream: self.stream.clone(),
            region: REGION.into(),
            domain: Some(DOMAIN.into()),
            title: self.title.clone(),
            events: self.events.clone(),
            buzz_url: None,
            buzz_user: None,
        }
    }

    /// The request to send to Buzz: our target alone, enabled (the seed's second step).
    fn request(&self) -> Value {
        self.handover().request()
    }

    /// The `buzz-kinesis setup --buzz-only ...` command for the person with the Buzz login,
    /// which keeps the domain's other targets (the request replaces them).
    fn command(&self) -> String {
        // The stand-ins hold a control character, so the shell quoting put them in quotes;
        // what replaces them (an ARN, a region, a domain) needs none.
        [ROLE_ARN, REGION, DOMAIN]
            .iter()
            .fold(self.handover().command_line(), |line, marker| {
                line.replace(&format!("'{marker}'"), marker)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AccountId, ShardCount};
    use serde_json::json;

    pub(super) fn blueprint() -> Blueprint {
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        Blueprint {
            stream: "buzz-events".into(),
            capacity: Capacity::OnDemand,
            retention: RetentionHours::DEFAULT,
            encryption: Encryption::Default,
            tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
            role: "BuzzKinesisWriter".into(),
            trust: policy::trust_policy(&agilix, None),
            title: "Kinesis: ${not} %{a} \"ref\"".into(),
            events: vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()],
            domain: Some("424242".into()),
            alarm: None,
            archive: None,
        }
    }

    #[test]
    fn the_alarm_and_its_topic_are_in_both_templates() {
        let mut b = blueprint();
        b.alarm = Some(BlueprintAlarm {
            emails: vec!["ops@example.edu".into()],
            topic_arn: None,
        });
        let t = cloudformation(&b);
        let alarm = &t["Resources"]["BuzzRefusedWritesAlarm"]["Properties"];
        assert_eq!(alarm["MetricName"], "WriteProvisionedThroughputExceeded");
        assert_eq!(alarm["AlarmActions"], json!([{"Ref": "BuzzAlarmTopic"}]));
        let topic = &t["Resources"]["BuzzAlarmTopic"]["Properties"];
        assert_eq!(topic["Subscription"][0]["Endpoint"], "ops@example.edu");
        let tf = terraform(&b);
        assert!(
            tf.contains("resource \"aws_cloudwatch_metric_alarm\" \"buzz_refused_writes\""),
            "{tf}"
        );
        assert!(
            tf.contains("resource \"aws_sns_topic_subscription\" \"buzz_alarm_0\""),
            "{tf}"
        );
        b.alarm = Some(BlueprintAlarm {
            emails: vec![],
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:ops".into()),
        });
        let t = cloudformation(&b);
        assert!(t["Resources"].get("BuzzAlarmTopic").is_none());
        assert_eq!(
            t["Resources"]["BuzzRefusedWritesAlarm"]["Properties"]["AlarmActions"],
            json!(["arn:aws:sns:us-east-1:123456789012:ops"])
        );
        assert!(terraform(&b)
            .contains("alarm_actions       = [\"arn:aws:sns:us-east-1:123456789012:ops\"]"));
    }

    fn with_own_topic(mut b: Blueprint) -> Blueprint {
        b.alarm = Some(BlueprintAlarm {
            emails: vec!["ops@example.edu".into()],
            topic_arn: None,
        });
        b
    }

    /// The ids of a CloudFormation resource's checkov skips, each with a reason.
    fn cfn_skips(t: &Value, resource: &str) -> Vec<String> {
        t["Resources"][resource]["Metadata"]["checkov"]["skip"]
            .as_array()
            .map(|skips| {
                skips
                    .iter()
                    .map(|s| {
                        assert!(s["comment"].as_str().is_some_and(|c| c.len() > 40), "{s}");
                        s["id"].as_str().unwrap().to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_stream_is_encrypted_by_default_and_each_exception_says_why() {
        let b = with_own_topic(blueprint());
        let t = cloudformation(&b);
        assert_eq!(
            t["Resources"][cloudformation::CFN_STREAM]["Properties"]["StreamEncryption"],
            json!({"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"})
        );
        assert_eq!(cfn_skips(&t, cloudformation::CFN_STREAM), ["CKV_AWS_185"]);
        assert_eq!(cfn_skips(&t, cloudformation::CFN_ROLE), ["CKV_AWS_61"]);
        // No customer-managed key: the alarm topic stays unencrypted, and says why.
        assert!(t["Resources"]["BuzzAlarmTopic"]["Properties"]
            .get("KmsMasterKeyId")
            .is_none());
        assert_eq!(cfn_skips(&t, "BuzzAlarmTopic"), ["CKV_AWS_26"]);
        assert!(t["Outputs"].get("AlarmTopicKeyPolicyStatement").is_none());
        // The AWS-managed key needs no grant.
        let doc = &t["Resources"][cloudformation::CFN_ROLE]["Properties"]["Policies"][0]
            ["PolicyDocument"];
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);

        let tf = terraform(&b);
        assert!(
            tf.contains(
                "  encryption_type  = \"KMS\"\n  kms_key_id       = \"alias/aws/kinesis\"\n"
            ),
            "{tf}"
        );
        assert!(tf.contains("resource \"aws_kinesis_stream\" \"buzz\" {\n  # checkov:skip=CKV_AWS_185:Encrypted with the AWS-managed key"), "{tf}");
        assert!(tf.contains("resource \"aws_iam_role\" \"buzz\" {\n  # checkov:skip=CKV_AWS_61:The trust names Agilix's AWS account root"), "{tf}");
        assert!(
            tf.contains("pass --external-id when Agilix issues one"),
            "{tf}"
        );
        assert!(tf.contains("resource \"aws_sns_topic\" \"buzz_alarms\" {\n  # checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish"), "{tf}");

        // With an external id the trust's reason says it narrows the trust.
        let mut narrowed = blueprint();
        narrowed.trust = policy::trust_policy(
            &crate::names::AccountId::parse("--agilix-account", "210987654321").unwrap(),
            Some(&crate::names::ExternalId::parse("--external-id", "district-42").unwrap()),
        );
        assert!(terraform(&narrowed).contains("only with this district's external id"));
    }

    #[test]
    fn a_customer_managed_key_encrypts_the_stream_and_the_alarm_topic() {
        let mut b = with_own_topic(blueprint());
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        b.encryption = Encryption::Key(KmsKey::parse("--kms-key", key).unwrap());
        let t = cloudformation(&b);
        assert_eq!(
            t["Resources"][cloudformation::CFN_STREAM]["Properties"]["StreamEncryption"]["KeyId"],
            key
        );
        assert!(cfn_skips(&t, cloudformation::CFN_STREAM).is_empty());
        assert_eq!(
            t["Resources"]["BuzzAlarmTopic"]["Properties"]["KmsMasterKeyId"],
            key
        );
        assert!(cfn_skips(&t, "BuzzAlarmTopic").is_empty());
        let statement: Value = serde_json::from_str(
            t["Outputs"]["AlarmTopicKeyPolicyStatement"]["Value"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(statement, policy::cloudwatch_key_statement());
        let tf = terraform(&b);
        assert!(
            tf.contains(&format!("kms_master_key_id = \"{key}\"")),
            "{tf}"
        );
        assert!(
            tf.contains("output \"alarm_topic_key_policy_statement\""),
            "{tf}"
        );
        assert!(
            !tf.contains("CKV_AWS_26") && !tf.contains("CKV_AWS_185"),
            "{tf}"
        );
    }

    #[test]
    fn no_encryption_leaves_the_stream_unencrypted_with_the_reason() {
        let mut b = blueprint();
        b.encryption = Encryption::Off;
        let t = cloudformation(&b);
        assert!(t["Resources"][cloudformation::CFN_STREAM]["Properties"]
            .get("StreamEncryption")
            .is_none());
        assert_eq!(
            cfn_skips(&t, cloudformation::CFN_STREAM),
            ["CKV_AWS_43", "CKV_AWS_185"]
        );
        let tf = terraform(&b);
        assert!(!tf.contains("encryption_type"), "{tf}");
        assert!(
            tf.contains("# checkov:skip=CKV_AWS_43:--no-encryption: not encrypted at rest"),
            "{tf}"
        );
    }

    #[test]
    fn provisioned_encrypted_streams_carry_shards_and_key() {
        let mut b = blueprint();
        b.capacity = Capacity::Provisioned(ShardCount::parse("--shards", "3").unwrap());
        b.encryption = Encryption::Key(
            KmsKey::parse(
                "--kms-key",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )
            .unwrap(),
        );
        let t = cloudformation(&b);
        let stream = &t["Resources"][cloudformation::CFN_STREAM]["Properties"];
        assert_eq!(stream["ShardCount"], json!(3));
        assert_eq!(stream["StreamEncryption"]["EncryptionType"], "KMS");
        let doc = &t["Resources"][cloudformation::CFN_ROLE]["Properties"]["Policies"][0]
            ["PolicyDocument"];
        assert_eq!(doc["Statement"][1]["Action"], "kms:GenerateDataKey");
        // Only through Kinesis in the stack's region.
        assert_eq!(
            doc["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"],
            json!({"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"})
        );
        let tf = terraform(&b);
        assert!(
            tf.contains("\"kinesis.${data.aws_region.current.id}.amazonaws.com\""),
            "{tf}"
        );
        assert!(tf.contains("shard_count      = 3"), "{tf}");
        assert!(tf.contains("stream_mode = \"PROVISIONED\""), "{tf}");
    }

    fn with_archive(mut b: Blueprint, key: Option<&str>, days: Option<&str>) -> Blueprint {
        use crate::names::{ArchiveDays, BucketName};
        b.archive = Some(
            Archive::new(
                BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
                days.map(|d| ArchiveDays::parse("--archive-days", d).unwrap()),
                &b.stream,
                key.map(|k| KmsKey::parse("--kms-key", k).unwrap()),
                &b.events,
            )
            .with_buffer(crate::names::ArchiveBuffer::parse("--archive-buffer", "120").unwrap())
            .since("2026-01-02"),
        );
        b
    }

    #[test]
    fn the_archive_in_cloudformation_is_private_partitioned_and_queryable() {
        let t = cloudformation(&with_archive(blueprint(), None, None));
        let r = &t["Resources"];
        let bucket = &r[cloudformation::CFN_BUCKET];
        assert_eq!(bucket["DeletionPolicy"], "Retain");
        let p = &bucket["Properties"];
        assert_eq!(p["BucketName"], "district-42-buzz");
        assert_eq!(
            p["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            true
        );
        assert_eq!(
            p["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
            "BucketOwnerEnforced"
        );
        assert_eq!(
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                ["ServerSideEncryptionByDefault"],
            json!({"SSEAlgorithm": "AES256"})
        );
        // No --archive-days: nothing expires but incomplete uploads and replaced versions.
        assert_eq!(
            p["LifecycleConfiguration"]["Rules"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert!(p["Tags"].to_string().contains("managed-by"));
        assert_eq!(
            cfn_skips(&t, cloudformation::CFN_BUCKET),
            ["CKV_AWS_18", "CKV_AWS_144", "CKV2_AWS_62", "CKV_AWS_145"]
        );
        let f = &r[cloudformation::CFN_DELIVERY]["Properties"];
        assert_eq!(f["DeliveryStreamType"], "KinesisStreamAsSource");
        assert_eq!(
            f["KinesisStreamSourceConfiguration"]["KinesisStreamARN"],
            json!({"Fn::GetAtt": [cloudformation::CFN_STREAM, "Arn"]})
        );
        let s3 = &f["ExtendedS3DestinationConfiguration"];
        assert_eq!(s3["DynamicPartitioningConfiguration"]["Enabled"], true);
        assert_eq!(s3["CompressionFormat"], "GZIP");
        assert_eq!(s3["ErrorOutputPrefix"], crate::archive::ERROR_PREFIX);
        assert_eq!(
            s3["ProcessingConfiguration"]["Processors"][1]["Parameters"][0],
            json!({"ParameterName": "MetadataExtractionQuery", "ParameterValue": crate::archive::JQ_QUERY})
        );
        assert_eq!(
            s3["ProcessingConfiguration"]["Processors"][2]["Parameters"][0]["ParameterValue"],
            "\\n"
        );
        assert!(s3.get("EncryptionConfiguration").is_none());
        let role = &r[cloudformation::CFN_ARCHIVE_ROLE]["Properties"];
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]
                ["sts:ExternalId"],
            json!({"Ref": "AWS::AccountId"})
        );
        let doc = &role["Policies"][0]["PolicyDocument"];
        assert_eq!(
            doc["Statement"][0]["Resource"],
            json!({"Fn::GetAtt": [cloudformation::CFN_STREAM, "Arn"]})
        );
        assert!(doc["Statement"][3]["Resource"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .contains(":log-stream:${BuzzArchiveLogStream}"));
        assert!(!t.to_string().contains('\u{1}'), "no stand-in left");
        let table = &r[cloudformation::CFN_TABLE]["Properties"]["TableInput"];
        assert_eq!(table["PartitionKeys"][0]["Name"], "type");
        assert_eq!(
            table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
            crate::archive::SERDE
        );
        assert_eq!(
            table["StorageDescriptor"]["Columns"]
                .as_array()
                .unwrap()
                .len(),
            crate::archive::COLUMNS.len()
        );
        assert_eq!(table["Parameters"]["projection.enabled"], "true");
        assert!(t["Outputs"]["ArchiveQueryLatestUserState"]["Value"]
            .as_str()
            .unwrap()
            .contains("row_number()"));
        assert_eq!(t["Outputs"]["ArchiveTable"]["Value"], "buzz_events.events");
    }

    #[test]
    fn a_customer_managed_key_encrypts_the_archive_and_days_expire_it() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut b = blueprint();
        b.encryption = Encryption::Key(KmsKey::parse("--kms-key", key).unwrap());
        let b = with_archive(b, Some(key), Some("400"));
        let t = cloudformation(&b);
        let p = &t["Resources"][cloudformation::CFN_BUCKET]["Properties"];
        assert_eq!(
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                ["ServerSideEncryptionByDefault"],
            json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key})
        );
        assert_eq!(
            p["LifecycleConfiguration"]["Rules"][1],
            json!({"Id": "expire-events", "Status": "Enabled", "Prefix": "events/", "ExpirationInDays": 400, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
        );
        assert_eq!(
            p["LifecycleConfiguration"]["Rules"][3],
            json!({"Id": "remove-expired-delete-markers", "Status": "Enabled", "ExpiredObjectDeleteMarker": true})
        );
        assert_eq!(
            t["Resources"][cloudformation::CFN_DELIVERY]["Properties"]
                ["ExtendedS3DestinationConfiguration"]["BufferingHints"],
            json!({"SizeInMBs": 64, "IntervalInSeconds": 120})
        );
        assert_eq!(
            cfn_skips(&t, cloudformation::CFN_BUCKET),
            ["CKV_AWS_18", "CKV_AWS_144", "CKV2_AWS_62"]
        );
        let s3 = &t["Resources"][cloudformation::CFN_DELIVERY]["Properties"]
            ["ExtendedS3DestinationConfiguration"];
        assert_eq!(
            s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"],
            key
        );
        let doc = &t["Resources"][cloudformation::CFN_ARCHIVE_ROLE]["Properties"]["Policies"][0]
            ["PolicyDocument"];
        assert_eq!(
            doc["Statement"][3]["Condition"]["StringEquals"]["kms:ViaService"],
            json!([{"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"}, {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}])
        );
        let tf = terraform(&b);
        assert!(tf.contains("kms_master_key_id = \"arn:aws:kms"), "{tf}");
        assert!(tf.contains("expired_object_delete_marker = true"), "{tf}");
        assert!(tf.contains("buffering_interval"), "{tf}");
        assert!(tf.contains("= 120"), "{tf}");
        // Firehose's S3 grants hold only for this account's bucket, in both templates.
        assert!(
            tf.contains("\"s3:ResourceAccount\" = data.aws_caller_identity.current.account_id"),
            "{tf}"
        );
        assert_eq!(
            doc["Statement"][1]["Condition"],
            json!({"StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}})
        );
        assert_eq!(
            doc["Statement"][2]["Condition"],
            doc["Statement"][1]["Condition"]
        );
        assert!(tf.contains("kms_key_arn         = \"arn:aws:kms"), "{tf}");
        assert!(
            tf.contains("\"s3.${data.aws_region.current.id}.amazonaws.com\""),
            "{tf}"
        );
        assert!(tf.contains("days = 400"), "{tf}");
        assert!(!tf.contains("CKV_AWS_145"), "{tf}");
    }

    #[test]
    fn the_archive_in_terraform_has_each_resource_and_escapes_the_templates() {
        let tf = terraform(&with_archive(blueprint(), None, None));
        for r in [
            "resource \"aws_s3_bucket\" \"buzz_archive\" {\n  # checkov:skip=CKV_AWS_18:",
            "resource \"aws_s3_bucket_public_access_block\" \"buzz_archive\"",
            "resource \"aws_s3_bucket_ownership_controls\" \"buzz_archive\"",
            "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"buzz_archive\"",
            "resource \"aws_s3_bucket_versioning\" \"buzz_archive\"",
            "resource \"aws_s3_bucket_lifecycle_configuration\" \"buzz_archive\"",
            "resource \"aws_s3_bucket_policy\" \"buzz_archive\"",
            "resource \"aws_iam_role\" \"buzz_archive\"",
            "resource \"aws_kinesis_firehose_delivery_stream\" \"buzz_archive\" {\n  # checkov:skip=CKV_AWS_240:",
            "resource \"aws_glue_catalog_database\" \"buzz_archive\"",
            "resource \"aws_glue_catalog_table\" \"buzz_archive\"",
            "data \"aws_caller_identity\" \"current\" {}",
            "\"sts:ExternalId\" = data.aws_caller_identity.current.account_id",
            "Resource = aws_cloudwatch_log_stream.buzz_archive.arn",
            "kinesis_stream_arn = aws_kinesis_stream.buzz.arn",
            "dynamic_partitioning_configuration {",
            "else {type: .type, dt: .time[0:10]} end\"",
            "then error(\\\"the event has no string type\\\")",
            "parameter_value = \"\\\\n\"",
            "buffering_size      = 64",
            "version = \">= 5.0\"",
            // Glue's location template is not a Terraform interpolation.
            "\"storage.location.template\"   = \"s3://district-42-buzz/events/type=$${type}/dt=$${dt}/\"",
            "output \"archive_query_events_per_type_per_day\"",
        ] {
            assert!(tf.contains(r), "{r} in {tf}");
        }
        assert!(!tf.contains('\u{1}') && !tf.contains("\\u0001"));
    }
}
