use super::*;
use crate::names::{ArchiveDays, BucketName, KmsKey};
use crate::parts::fixtures::kinds;
use crate::parts::Change as _;

/// One change to the bucket found, named by what it should make the plan do.
type Change = fn(&mut BucketState);

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn model(key: Option<&str>) -> Archive {
    Archive::new(
        BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
        Some(ArchiveDays::parse("--archive-days", "400").unwrap()),
        "buzz-events",
        key.map(|k| KmsKey::parse("--kms-key", k).unwrap()),
        &[],
    )
    .since("2026-01-02")
}

/// The plan over the converged bucket, changed.
fn planned_over(
    m: &Archive,
    adopt: bool,
    change: Change,
) -> Result<Planned<BucketAction>, Refusal> {
    let mut b = BucketState::converged(m);
    change(&mut b);
    plan(m, adopt, &BucketObserved::Here(b))
}

/// The refusal as a sentence: what, its problem, the fix.
fn refused(r: Result<Planned<BucketAction>, Refusal>) -> String {
    match r {
        Err(Refusal { what, problem, fix }) => format!("{what} {problem}. {fix}"),
        Ok(p) => panic!("planned {:?}", kinds(&p)),
    }
}

#[test]
fn a_missing_bucket_is_made_with_every_setting_but_ownership_which_s3_makes() {
    let m = model(None);
    let p = plan(&m, false, &BucketObserved::Missing).unwrap();
    assert_eq!(
        kinds(&p),
        [
            "create_bucket",
            "block_public_access",
            "put_bucket_encryption",
            "enable_versioning",
            "put_lifecycle",
            "put_bucket_policy",
            "tag_bucket",
        ]
    );
    assert!(p.notes.is_empty());
    assert_eq!(p.actions.iter().filter(|a| a.is_create()).count(), 1);
    assert!(p.actions[0].is_create());
    assert!(p.actions[1..].iter().all(|a| !a.is_create()));
    assert_eq!(
        p.actions[2],
        BucketAction::PutBucketEncryption {
            bucket: "district-42-buzz".into(),
            kms_key: None
        }
    );
    assert_eq!(
        p.actions[4],
        BucketAction::PutLifecycle {
            bucket: "district-42-buzz".into(),
            rules: lifecycle(&m).into_iter().map(|r| r.0).collect()
        }
    );
}

#[test]
fn a_converged_bucket_plans_nothing() {
    for key in [None, Some(KEY)] {
        let m = model(key);
        let p = planned_over(&m, false, |_| {}).unwrap();
        assert_eq!(p, Planned::default());
    }
}

#[test]
fn each_bucket_setting_that_differs_is_one_action() {
    let m = model(None);
    let cases: [(&str, Change); 7] = [
        ("block_public_access", |b| b.public_blocked = false),
        ("enforce_bucket_owner", |b| b.owner_enforced = false),
        ("put_bucket_encryption", |b| b.encryption = None),
        ("enable_versioning", |b| b.versioning = false),
        ("put_lifecycle", |b| b.lifecycle.clear()),
        ("put_lifecycle", |b| b.lifecycle[0].2 = Some(1)),
        ("put_bucket_policy", |b| b.policy = None),
    ];
    for (kind, change) in cases {
        let p = planned_over(&m, false, change).unwrap();
        assert_eq!(kinds(&p), [kind]);
        assert!(p.notes.is_empty(), "{kind}: {:?}", p.notes);
    }
    // Our rules in another order are the same lifecycle.
    let p = planned_over(&m, false, |b| b.lifecycle.reverse()).unwrap();
    assert!(p.actions.is_empty());
}

#[test]
fn encryption_is_raised_to_the_streams_key_but_never_lowered() {
    // The stream's customer-managed key: a bucket on SSE-S3 moves to it.
    let m = model(Some(KEY));
    let p = planned_over(&m, false, |b| b.encryption = Some(("AES256".into(), None))).unwrap();
    assert_eq!(
        p.actions,
        [BucketAction::PutBucketEncryption {
            bucket: "district-42-buzz".into(),
            kms_key: Some(KEY.into())
        }]
    );
    // Another key than the stream's: moved too.
    let p = planned_over(&m, false, |b| {
        b.encryption = Some(("aws:kms".into(), Some("arn:other".into())))
    })
    .unwrap();
    assert_eq!(kinds(&p), ["put_bucket_encryption"]);
    // The stream's key named under another algorithm: moved.
    let p = planned_over(&m, false, |b| {
        b.encryption = Some(("AES256".into(), Some(KEY.into())))
    })
    .unwrap();
    assert_eq!(kinds(&p), ["put_bucket_encryption"]);
    // None at all: set.
    assert_eq!(
        kinds(&planned_over(&m, false, |b| b.encryption = None).unwrap()),
        ["put_bucket_encryption"]
    );
    // SSE-S3 asked, a key already there: left as it is.
    let p = planned_over(&model(None), false, |b| {
        b.encryption = Some(("aws:kms".into(), Some(KEY.into())))
    })
    .unwrap();
    assert!(p.actions.is_empty());
}

#[test]
fn someone_elses_lifecycle_and_policy_are_left_as_they_are_with_a_note() {
    let m = model(None);
    let p = planned_over(&m, false, |b| {
        b.lifecycle.push((
            "their-rule".into(),
            "logs/".into(),
            Some(3),
            None,
            None,
            false,
        ));
        b.policy = Some(serde_json::json!({"Statement": [{"Sid": "Theirs"}]}));
    })
    .unwrap();
    assert!(p.actions.is_empty(), "{:?}", kinds(&p));
    assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
    assert!(
        p.notes[0].contains("their-rule") && p.notes[0].contains("expire-events"),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes[1].contains("bucket policy of its own"),
        "{:?}",
        p.notes
    );
}

#[test]
fn our_tag_joins_the_buckets_own_tags() {
    let m = model(None);
    let p = planned_over(&m, true, |b| {
        b.tags = BTreeMap::from([("team".into(), "data".into())])
    })
    .unwrap();
    let [BucketAction::TagBucket { tags, .. }] = p.actions.as_slice() else {
        panic!("{:?}", kinds(&p));
    };
    assert_eq!(tags.get("team").map(String::as_str), Some("data"));
    assert!(is_managed(tags));
}

#[test]
fn buckets_that_are_not_ours_to_use_are_refused_with_the_fix() {
    let m = model(None);
    assert!(refused(plan(&m, true, &BucketObserved::Forbidden)).contains("S3 answered 403"));
    let text = refused(plan(
        &m,
        true,
        &BucketObserved::ElsewhereIn("eu-west-1".into()),
    ));
    assert!(text.contains("is in eu-west-1"), "{text}");
    // Untagged: only with --adopt, and never over objects already under our prefixes.
    let text = refused(planned_over(&m, false, |b| b.tags.clear()));
    assert!(
        text.contains("the bucket district-42-buzz exists and was not made by buzz-kinesis")
            && text.contains("--adopt"),
        "{text}"
    );
    assert_eq!(
        kinds(&planned_over(&m, true, |b| b.tags.clear()).unwrap()),
        ["tag_bucket"]
    );
    let text = refused(planned_over(&m, true, |b| {
        b.tags.clear();
        b.objects_under_prefix = true;
    }));
    assert!(
        text.contains("already holds objects under events/"),
        "{text}"
    );
    // Ours (tagged): objects under the prefix are ours.
    let p = planned_over(&m, false, |b| b.objects_under_prefix = true).unwrap();
    assert!(p.actions.is_empty());
}

#[test]
fn each_action_says_what_it_does_and_only_the_policy_has_a_document() {
    let bucket = || "b".to_owned();
    let lines = [
        (
            BucketAction::CreateBucket { bucket: bucket() },
            "create bucket b (ACLs off)",
        ),
        (
            BucketAction::BlockPublicAccess { bucket: bucket() },
            "block all public access to bucket b",
        ),
        (
            BucketAction::EnforceBucketOwner { bucket: bucket() },
            "bucket b: object ownership BucketOwnerEnforced (ACLs off)",
        ),
        (
            BucketAction::PutBucketEncryption {
                bucket: bucket(),
                kms_key: Some("k".into()),
            },
            "bucket b: default encryption SSE-KMS with k",
        ),
        (
            BucketAction::PutBucketEncryption {
                bucket: bucket(),
                kms_key: None,
            },
            "bucket b: default encryption SSE-S3",
        ),
        (
            BucketAction::EnableVersioning { bucket: bucket() },
            "bucket b: turn on versioning",
        ),
        (
            BucketAction::PutLifecycle {
                bucket: bucket(),
                rules: vec!["x".into(), "y".into()],
            },
            "bucket b: lifecycle rules x, y",
        ),
        (
            BucketAction::PutBucketPolicy {
                bucket: bucket(),
                after: serde_json::json!({}),
            },
            "bucket b: a policy that refuses requests without TLS",
        ),
        (
            BucketAction::TagBucket {
                bucket: bucket(),
                tags: BTreeMap::new(),
            },
            "tag bucket b managed-by=buzz-kinesis",
        ),
    ];
    for (action, line) in lines {
        assert_eq!(action.describe(), line);
    }
    let policy = serde_json::json!({"Statement": []});
    assert_eq!(
        BucketAction::PutBucketPolicy {
            bucket: bucket(),
            after: policy.clone()
        }
        .before_after(),
        (Value::Null, policy)
    );
    assert_eq!(
        BucketAction::EnableVersioning { bucket: bucket() }.before_after(),
        (
            Value::Null,
            serde_json::json!({"kind": "enable_versioning", "bucket": "b"})
        )
    );
}

#[test]
fn the_check_row_names_what_is_wrong() {
    let m = model(None);
    let here = |change: Change| {
        let mut b = BucketState::converged(&m);
        change(&mut b);
        BucketObserved::Here(b)
    };
    let cases: [(BucketObserved, &str, &str); 7] = [
        (BucketObserved::Missing, "fail", "does not exist"),
        (BucketObserved::Forbidden, "fail", "S3 answered 403"),
        (
            BucketObserved::ElsewhereIn("eu-west-1".into()),
            "fail",
            "is in eu-west-1",
        ),
        (
            here(|b| b.public_blocked = false),
            "warn",
            "lacks Block Public Access",
        ),
        (
            here(|b| b.encryption = None),
            "warn",
            "lacks default encryption",
        ),
        (here(|b| b.versioning = false), "warn", "lacks versioning"),
        (
            here(|_| {}),
            "pass",
            "blocks public access, is encrypted and versioned",
        ),
    ];
    for (found, status, words) in cases {
        let (s, message) = match row("district-42-buzz", &found) {
            Row::Pass(m) => ("pass", m),
            Row::Warn(m, _) => ("warn", m),
            Row::Fail(m, _) => ("fail", m),
        };
        assert_eq!(s, status, "{message}");
        assert!(message.contains(words), "{message}");
    }
    let Row::Warn(message, _) = row(
        "b",
        &here(|b| {
            b.public_blocked = false;
            b.versioning = false;
        }),
    ) else {
        panic!("not a warning");
    };
    assert_eq!(
        message,
        "the bucket b lacks Block Public Access, versioning"
    );
}

#[test]
fn teardown_deletes_only_our_bucket_when_asked_and_says_so_otherwise() {
    assert_eq!(teardown(Some("b"), true, Some(true)), Teardown::Remove);
    for (delete, managed, words) in [
        (true, Some(false), "--delete-archive leaves it"),
        (true, None, "--delete-archive leaves it"),
        (false, Some(true), "stays, with every event in it"),
    ] {
        let Teardown::Keep(note) = teardown(Some("b"), delete, managed) else {
            panic!("{delete} {managed:?}");
        };
        assert!(note.contains(words), "{note}");
    }
    assert!(
        matches!(teardown(None, true, None), Teardown::Keep(n) if n.contains("cannot find it"))
    );
    assert_eq!(teardown(None, false, None), Teardown::Nothing);
}

#[test]
fn the_templates_make_the_bucket_as_setup_does() {
    let tags = managed_tags();
    for key in [None, Some(KEY)] {
        let m = model(key);
        let x = Export {
            model: &m,
            tags: &tags,
        };
        let cfn = cloudformation(&x);
        let ids: Vec<&str> = cfn.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [CFN_ID, CFN_POLICY_ID]);
        let p = &cfn[0].1["Properties"];
        assert_eq!(
            p["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            true
        );
        assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
        let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"];
        assert_eq!(
            sse["SSEAlgorithm"],
            if key.is_some() { "aws:kms" } else { "AES256" }
        );
        assert_eq!(
            p["LifecycleConfiguration"]["Rules"]
                .as_array()
                .unwrap()
                .len(),
            m.lifecycle().len()
        );
        assert_eq!(
            cfn[1].1["Properties"]["Bucket"],
            serde_json::json!({"Ref": CFN_ID})
        );
        let skipped: Vec<&str> = skips(&m).iter().map(|s| s.id).collect();
        assert_eq!(skipped.contains(&"CKV_AWS_145"), key.is_none());
        let mut hcl = String::new();
        for b in terraform(&x) {
            b.write(&mut hcl, 0);
        }
        for resource in [
            "aws_s3_bucket\" \"buzz_archive\"",
            "aws_s3_bucket_public_access_block\" \"buzz_archive\"",
            "aws_s3_bucket_ownership_controls\" \"buzz_archive\"",
            "aws_s3_bucket_server_side_encryption_configuration\" \"buzz_archive\"",
            "aws_s3_bucket_versioning\" \"buzz_archive\"",
            "aws_s3_bucket_lifecycle_configuration\" \"buzz_archive\"",
            "aws_s3_bucket_policy\" \"buzz_archive\"",
        ] {
            assert!(hcl.contains(resource), "{resource}: {hcl}");
        }
        assert!(
            hcl.contains("depends_on = [aws_s3_bucket_public_access_block.buzz_archive]"),
            "{hcl}"
        );
        assert!(
            hcl.contains("depends_on = [aws_s3_bucket_versioning.buzz_archive]"),
            "{hcl}"
        );
    }
}
