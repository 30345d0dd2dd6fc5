use super::*;
use crate::parts::fixtures::model;

#[test]
fn the_parts_give_the_exports_their_resources_in_dependency_order() {
    let m = model(None);
    let tags = managed_tags();
    let x = Export {
        model: &m,
        tags: &tags,
    };
    let ids: Vec<&str> = ARCHIVE
        .iter()
        .flat_map(|p| p.cloudformation(&x))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        ids,
        [
            "BuzzArchiveBucket",
            "BuzzArchiveBucketPolicy",
            "BuzzArchiveLogGroup",
            "BuzzArchiveLogStream",
            "BuzzArchiveRole",
            "BuzzArchiveDatabase",
            "BuzzArchiveTable",
            "BuzzArchiveDeliveryStream",
        ]
    );
    let mut hcl = String::new();
    for b in ARCHIVE.iter().flat_map(|p| p.terraform(&x)) {
        b.write(&mut hcl, 0);
    }
    let at = |r: &str| {
        hcl.find(&format!("resource \"{r}\" \"buzz_archive\""))
            .unwrap_or_else(|| panic!("{r}: {hcl}"))
    };
    let order = [
        "aws_s3_bucket",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
        "aws_kinesis_firehose_delivery_stream",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{hcl}");
}

#[test]
fn firehoses_role_and_delivery_name_the_stream_and_the_other_parts_by_reference() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let m = model(Some(key));
    let tags = managed_tags();
    let x = Export {
        model: &m,
        tags: &tags,
    };
    let role = &firehose_role::cloudformation(&x)[0].1["Properties"];
    let text = role.to_string();
    assert!(!text.contains('\u{1}'), "a stand-in left: {text}");
    assert!(
        text.contains("{\"Fn::GetAtt\":[\"BuzzStream\",\"Arn\"]}"),
        "{text}"
    );
    assert!(
        text.contains("${BuzzArchiveLogGroup}:log-stream:${BuzzArchiveLogStream}"),
        "{text}"
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]
            ["sts:ExternalId"],
        json!({"Ref": "AWS::AccountId"})
    );
    let d = &delivery::cloudformation(&x)[0].1;
    let s3 = &d["Properties"]["ExtendedS3DestinationConfiguration"];
    assert_eq!(
        s3["BucketARN"],
        json!({"Fn::GetAtt": ["BuzzArchiveBucket", "Arn"]})
    );
    assert_eq!(
        s3["RoleARN"],
        json!({"Fn::GetAtt": ["BuzzArchiveRole", "Arn"]})
    );
    assert_eq!(
        s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"],
        key
    );
    assert_eq!(
        d["Metadata"]["checkov"]["skip"].as_array().unwrap().len(),
        2
    );
    let mut hcl = String::new();
    for b in firehose_role::terraform(&x)
        .into_iter()
        .chain(delivery::terraform(&x))
    {
        b.write(&mut hcl, 0);
    }
    assert!(!hcl.contains('\u{1}'), "a stand-in left: {hcl}");
    assert!(hcl.contains("aws_kinesis_stream.buzz.arn"), "{hcl}");
    assert!(
        hcl.contains(&format!("kms_key_arn = \"{key}\"")) || hcl.contains("kms_key_arn"),
        "{hcl}"
    );
    let glue = glue::cloudformation(&x);
    assert_eq!(
        glue[1].1["Properties"]["DatabaseName"],
        json!({"Ref": "BuzzArchiveDatabase"})
    );
}

#[test]
fn stand_ins_are_replaced_anywhere_and_other_values_kept() {
    let v = json!({"a": [STREAM_ARN, {"b": ACCOUNT}], "c": 1, "d": "keep"});
    let out = cfn_substitute(
        &v,
        &[(STREAM_ARN, json!("S")), (ACCOUNT, json!({"Ref": "A"}))],
    );
    assert_eq!(
        out,
        json!({"a": ["S", {"b": {"Ref": "A"}}], "c": 1, "d": "keep"})
    );
}

#[test]
fn missing_tags_are_those_absent_or_different() {
    let want = BTreeMap::from([
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "2".to_owned()),
    ]);
    let have = BTreeMap::from([
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "3".to_owned()),
    ]);
    assert_eq!(
        missing_tags(&want, &have),
        BTreeMap::from([("b".to_owned(), "2".to_owned())])
    );
    assert!(missing_tags(&want, &want).is_empty());
    assert_eq!(managed_tags().len(), 1);
    assert!(crate::state::is_managed(&managed_tags()));
    assert_eq!(
        ArchiveState::default().bucket,
        bucket::BucketObserved::Missing
    );
}

#[test]
fn a_resource_carries_its_skips_only_when_it_has_some() {
    assert_eq!(
        cfn_resource(json!({"Type": "X"}), &[]),
        json!({"Type": "X"})
    );
    let r = cfn_resource(
        json!({"Type": "X"}),
        &[Skip {
            id: "CKV_1",
            reason: "why".into(),
        }],
    );
    assert_eq!(
        r["Metadata"]["checkov"]["skip"],
        json!([{"id": "CKV_1", "comment": "why"}])
    );
}

#[test]
fn teardown_goes_against_the_registration_each_part_after_what_it_must_follow() {
    let names = |order: Vec<usize>, parts: &[(&str, &[&str])]| -> Vec<String> {
        order.into_iter().map(|i| parts[i].0.to_owned()).collect()
    };
    // The registered parts: Firehose first; the bucket after it and its role; the table after
    // the bucket (its location finds the bucket again).
    assert_eq!(
        names(teardown_order(TEARDOWN), TEARDOWN),
        ["delivery", "views", "role", "log", "bucket", "glue"]
    );
    // Nothing declared: the reverse of the registration.
    let free: &[(&str, &[&str])] = &[("a", &[]), ("b", &[]), ("c", &[])];
    assert_eq!(names(teardown_order(free), free), ["c", "b", "a"]);
    // A part moves after what it must follow, and no further; a name not registered binds
    // nothing.
    let moved: &[(&str, &[&str])] = &[("a", &[]), ("b", &["a", "zz"]), ("c", &[])];
    assert_eq!(names(teardown_order(moved), moved), ["c", "a", "b"]);
    let unknown: &[(&str, &[&str])] = &[("x", &[]), ("a", &["zz"]), ("b", &["x"])];
    assert_eq!(names(teardown_order(unknown), unknown), ["a", "x", "b"]);
    let chain: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &[]), ("d", &[])];
    assert_eq!(names(teardown_order(chain), chain), ["d", "c", "b", "a"]);
    // A cycle cannot be met: every part is still taken, once.
    let cycle: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["a"])];
    let mut taken = teardown_order(cycle);
    taken.sort_unstable();
    assert_eq!(taken, [0, 1]);
}

#[test]
fn a_part_kept_is_a_note_and_a_part_gone_its_removals() {
    assert_eq!(torn(Teardown::Remove, [1, 2]).actions, [1, 2]);
    let kept = torn(Teardown::Keep("it stays".into()), [1]);
    assert!(kept.actions.is_empty());
    assert_eq!(kept.notes, ["it stays"]);
    assert_eq!(torn(Teardown::Nothing, [1]), Planned::default());
}

#[test]
fn a_read_that_fails_is_told_and_then_counts_as_nothing_or_stops_the_run() {
    use crate::error::Error;
    let refused = || Err::<Option<u8>, _>(Error::Refused("no".into()));
    let mut told = Vec::new();
    let mut go_on = |noun: &'static str, _: Error| {
        told.push(noun);
        Ok(())
    };
    assert_eq!(
        answered(Ok(Some(3)), "the part", &mut go_on).unwrap(),
        Some(3)
    );
    assert_eq!(answered(refused(), "the part", &mut go_on).unwrap(), None);
    assert_eq!(told, ["the part"]);
    let mut stop = |_: &'static str, e: Error| Err(e);
    assert!(answered(refused(), "the part", &mut stop).is_err());
}

#[test]
fn teardown_finds_the_bucket_by_the_tables_location_else_the_delivery_streams_destination() {
    let found = |location: Option<&str>, destination: Option<&str>| {
        let mut a = ArchiveState::default();
        a.glue.table = location.map(|l| crate::parts::glue::TableState {
            location: Some(l.into()),
            ..Default::default()
        });
        a.delivery = destination.map(|d| crate::parts::delivery::DeliveryState {
            bucket_arn: Some(d.into()),
            ..Default::default()
        });
        bucket::named_by(&a)
    };
    let arn = Some("arn:aws:s3:::from-firehose");
    assert_eq!(
        found(Some("s3://from-the-table/events/"), arn).as_deref(),
        Some("from-the-table")
    );
    // The table gone (or no location to read a bucket from): the delivery stream names it.
    assert_eq!(found(None, arn).as_deref(), Some("from-firehose"));
    assert_eq!(
        found(Some("s3:///events/"), arn).as_deref(),
        Some("from-firehose")
    );
    assert_eq!(
        found(Some("hdfs://x/"), arn).as_deref(),
        Some("from-firehose")
    );
    assert_eq!(
        found(Some("s3://only-bucket"), None).as_deref(),
        Some("only-bucket")
    );
    // Nothing names it.
    assert_eq!(found(None, None), None);
    assert_eq!(found(None, Some("not-an-arn")), None);
}
