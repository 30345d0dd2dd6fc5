use serde_json::{json, Value};

use super::*;
use crate::archive::Archive;
use crate::iam;
use crate::names::{AccountId, Encryption, EventFilter, KmsKey, ShardCount};
use crate::sizing::Capacity;

pub(super) fn blueprint() -> Blueprint {
    let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
    // A title each dialect must escape, a filter and a domain, on the parts' plain one.
    Blueprint {
        trust: iam::trust_policy(&agilix, None),
        title: "Kinesis: ${not} %{a} \"ref\"".into(),
        events: vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()],
        domain: Some("424242".into()),
        ..crate::parts::stack::fixtures::blueprint()
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
    let doc =
        &t["Resources"][cloudformation::CFN_ROLE]["Properties"]["Policies"][0]["PolicyDocument"];
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);

    let tf = terraform(&b);
    assert!(
        tf.contains("  encryption_type  = \"KMS\"\n  kms_key_id       = \"alias/aws/kinesis\"\n"),
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
    narrowed.trust = iam::trust_policy(
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
    assert_eq!(statement, iam::cloudwatch_key_statement());
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
    let doc =
        &t["Resources"][cloudformation::CFN_ROLE]["Properties"]["Policies"][0]["PolicyDocument"];
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
