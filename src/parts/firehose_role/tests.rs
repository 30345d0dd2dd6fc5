use super::*;
use crate::iam::NamedPolicy;
use crate::parts::fixtures::model;

const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
const ACCOUNT_ID: &str = "123456789012";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/district";
const ROLE: &str = "buzz-events-archive-firehose";

/// The policy setup writes on the role, for the stream in `region`.
fn policy(m: &Archive, region: &str) -> Value {
    m.permission(&ArchiveRefs {
        account: ACCOUNT_ID,
        stream_arn: STREAM_ARN,
        log_stream_arn: "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s",
        kinesis_service: &crate::iam::kinesis_service(region),
        s3_service: &format!("s3.{region}.amazonaws.com"),
    })
}

/// The row for a role holding exactly `policies`.
fn row_with(m: &Archive, policies: &[Value]) -> Row {
    row(m, STREAM_ARN, ACCOUNT_ID, Some(&Grants::identity(policies)))
}

/// The row's failure message, or the test fails.
fn failed(r: Row) -> String {
    match r {
        Row::Fail(message, _) => message,
        other => panic!("not a failure: {other:?}"),
    }
}

const PASS: &str =
    "Firehose's role buzz-events-archive-firehose may read the stream and write the archive";
const EXPIRE: &str = ": events stay in the stream until they expire";
const GRANT_FIX: &str = "run `buzz-kinesis setup --archive-bucket BUCKET` again: it converges the archive (it restores the role's policy buzz-kinesis-archive); remove any Deny that covers it";

#[test]
fn firehose_needs_to_read_the_stream_find_the_bucket_and_write_both_prefixes() {
    assert_eq!(
        needs(&model(None), STREAM_ARN),
        [
            ("kinesis:DescribeStream", STREAM_ARN.to_owned()),
            ("kinesis:GetShardIterator", STREAM_ARN.to_owned()),
            ("kinesis:GetRecords", STREAM_ARN.to_owned()),
            ("kinesis:ListShards", STREAM_ARN.to_owned()),
            ("s3:ListBucket", "arn:aws:s3:::district-42-buzz".to_owned()),
            (
                "s3:GetBucketLocation",
                "arn:aws:s3:::district-42-buzz".to_owned()
            ),
            (
                "s3:PutObject",
                "arn:aws:s3:::district-42-buzz/events/type=X/dt=2026-01-01/object.gz".to_owned()
            ),
            (
                "s3:PutObject",
                "arn:aws:s3:::district-42-buzz/errors/processing-failed/object".to_owned()
            ),
        ]
    );
}

#[test]
fn the_row_judges_the_role_by_every_action_it_needs() {
    let m = model(None);
    let full = policy(&m, "us-east-1");
    // The policy without its S3 statements.
    let mut kinesis_only = full.clone();
    kinesis_only["Statement"] = json!([full["Statement"][0].clone()]);
    // Only events/ written.
    let mut events_only = full.clone();
    events_only["Statement"][2]["Resource"] = json!("arn:aws:s3:::district-42-buzz/events/*");
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kinesis:GetRecords", "Resource": "*"}]});
    let may_not = |what: &str| {
        Row::Fail(
            format!("Firehose's role {ROLE} may not {what}{EXPIRE}"),
            GRANT_FIX.into(),
        )
    };
    for (case, policies, want) in [
        ("the policy setup writes", vec![full.clone()], Row::Pass(PASS.into())),
        (
            "no S3 statement: the first S3 action named",
            vec![kinesis_only],
            may_not("s3:ListBucket on arn:aws:s3:::district-42-buzz (no Allow)"),
        ),
        (
            "only events/ written: errors/ named",
            vec![events_only],
            may_not("s3:PutObject on arn:aws:s3:::district-42-buzz/errors/processing-failed/object (no Allow)"),
        ),
        (
            "an explicit Deny",
            vec![full.clone(), deny],
            may_not(&format!("kinesis:GetRecords on {STREAM_ARN} (an explicit Deny)")),
        ),
        (
            "no policy at all: the first action named",
            vec![],
            may_not(&format!("kinesis:DescribeStream on {STREAM_ARN} (no Allow)")),
        ),
    ] {
        assert_eq!(row_with(&m, &policies), want, "{case}");
    }
}

#[test]
fn a_missing_role_fails_with_setup_as_the_fix() {
    assert_eq!(
        row(&model(None), STREAM_ARN, ACCOUNT_ID, None),
        Row::Fail(
            format!("Firehose's role {ROLE} does not exist"),
            ARCHIVE_AGAIN.into()
        )
    );
}

#[test]
fn the_s3_grants_count_only_for_a_bucket_of_this_account() {
    let m = model(None);
    let grants = Grants::identity(&[policy(&m, "us-east-1")]);
    assert_eq!(
        failed(row(&m, STREAM_ARN, "210987654321", Some(&grants))),
        format!("Firehose's role {ROLE} may not s3:ListBucket on arn:aws:s3:::district-42-buzz (no Allow){EXPIRE}")
    );
}

#[test]
fn a_permission_boundary_that_leaves_out_an_action_firehose_needs_is_named() {
    let m = model(None);
    // The boundary caps the role at Kinesis: its policy's S3 grants count for nothing.
    let bounded = Grants {
        boundary: Some(NamedPolicy {
            name: "boundary".into(),
            document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}),
        }),
        ..Grants::identity(&[policy(&m, "us-east-1")])
    };
    assert_eq!(
        failed(row(&m, STREAM_ARN, ACCOUNT_ID, Some(&bounded))),
        format!("Firehose's role {ROLE} may not s3:ListBucket on arn:aws:s3:::district-42-buzz (its permission boundary){EXPIRE}")
    );
}

#[test]
fn the_role_must_decrypt_the_streams_key_through_kinesis_in_the_streams_region() {
    let m = model(Some(KEY));
    let full = policy(&m, "us-east-1");
    let without_kms = {
        let mut p = full.clone();
        let kept: Vec<Value> = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s["Action"].to_string().contains("kms:"))
            .cloned()
            .collect();
        p["Statement"] = json!(kept);
        p
    };
    // A grant limited to S3 alone: Kinesis may not decrypt for Firehose.
    let mut s3_only = full.clone();
    for st in s3_only["Statement"].as_array_mut().unwrap() {
        if st["Action"].to_string().contains("kms:") {
            st["Condition"]["StringEquals"]["kms:ViaService"] = json!("s3.us-east-1.amazonaws.com");
        }
    }
    let no_key = Row::Fail(
        format!("Firehose's role {ROLE} may not use the stream's KMS key {KEY} (kms:Decrypt): Firehose cannot read the stream, and events stay in it until they expire"),
        format!("{ARCHIVE_AGAIN}: it grants kms:Decrypt on the key's ARN through Kinesis (the key policy must allow the account's IAM policies, as a key's default policy does)"),
    );
    for (case, p, want) in [
        ("the policy setup writes", full, Row::Pass(PASS.into())),
        ("no key statement", without_kms.clone(), no_key.clone()),
        ("through S3 only", s3_only, no_key.clone()),
        (
            "through Kinesis of another region",
            policy(&m, "eu-west-1"),
            no_key,
        ),
    ] {
        assert_eq!(row_with(&m, &[p]), want, "{case}");
    }
    // No key on the stream: nothing of KMS is asked of the role.
    assert_eq!(
        row_with(&model(None), &[without_kms]),
        Row::Pass(PASS.into())
    );
}

#[test]
fn teardown_deletes_only_our_role_when_nobody_attached_a_policy_to_it() {
    let attached = [
        "arn:aws:iam::aws:policy/A".to_owned(),
        "arn:aws:iam::aws:policy/B".to_owned(),
    ];
    for (case, found, want) in [
        ("ours, alone", Some((ROLE, true, &[][..])), Teardown::Remove),
        (
            "ours, with managed policies attached",
            Some((ROLE, true, &attached[..])),
            Teardown::Keep(format!("Firehose's role {ROLE} has managed policies attached (arn:aws:iam::aws:policy/A, arn:aws:iam::aws:policy/B), which buzz-kinesis never does; it stays")),
        ),
        (
            "someone else's",
            Some((ROLE, false, &[][..])),
            Teardown::Keep(format!("Firehose's role {ROLE} was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays")),
        ),
        (
            "someone else's, with policies attached",
            Some((ROLE, false, &attached[..])),
            Teardown::Keep(format!("Firehose's role {ROLE} was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays")),
        ),
        ("absent", None, Teardown::Nothing),
    ] {
        assert_eq!(teardown(found), want, "{case}");
    }
}

#[test]
fn a_session_length_is_no_action_on_firehoses_role() {
    // Firehose's role asks for no session length: the planner's change of it has no place here.
    let kept = |a| FirehoseRoleAction::of("r", a);
    assert_eq!(kept(RoleAction::UpdateMaxSession { from: 1, to: 2 }), None);
    assert_eq!(
        kept(RoleAction::TagRole {
            tags: Default::default()
        }),
        Some(FirehoseRoleAction::TagRole {
            role: "r".into(),
            tags: Default::default()
        })
    );
}

#[test]
fn each_change_to_firehoses_role_has_its_line_its_marker_and_its_documents() {
    use crate::parts::Change;
    let (a, b) = (json!({"a": 1}), json!({"b": 2}));
    let role = || "r".to_owned();
    let tags = std::collections::BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    let create = FirehoseRoleAction::CreateRole {
        role: role(),
        trust: a.clone(),
        tags: tags.clone(),
    };
    let trust = FirehoseRoleAction::UpdateRoleTrust {
        role: role(),
        before: a.clone(),
        after: b.clone(),
    };
    let add = FirehoseRoleAction::PutRolePolicy {
        role: role(),
        before: None,
        after: b.clone(),
    };
    let update = FirehoseRoleAction::PutRolePolicy {
        role: role(),
        before: Some(a.clone()),
        after: b.clone(),
    };
    let tag = FirehoseRoleAction::TagRole { role: role(), tags };
    let lines: Vec<String> = [&create, &trust, &add, &update, &tag]
        .iter()
        .map(|c| c.describe())
        .collect();
    assert_eq!(
        lines,
        [
            "create Firehose's role r (trusting firehose.amazonaws.com from this account)",
            "update the trust policy of Firehose's role r",
            "add inline policy buzz-kinesis-archive to r (read the stream, write the bucket's events/ and errors/)",
            "update inline policy buzz-kinesis-archive of r",
            "role r: add tags k=v",
        ]
    );
    assert!(create.is_create() && ![&trust, &add, &update, &tag].iter().any(|c| c.is_create()));
    // A document that changes shows its lines: the trust, or a policy that was there.
    assert_eq!(trust.documents(), Some((&a, &b)));
    assert_eq!(update.documents(), Some((&a, &b)));
    assert_eq!(add.documents(), None);
    assert_eq!(create.documents(), None);
    assert_eq!(trust.before_after(), (a.clone(), b.clone()));
    assert_eq!(add.before_after(), (Value::Null, b.clone()));
    assert_eq!(update.before_after(), (a, b));
    assert_eq!(tag.before_after().1["kind"], "tag_role");
}
