//! The writer role's check rows over the states they meet: it exists, trusts Agilix's account
//! alone (with the external id when given), allows 12-hour sessions, and its policies, with
//! a permission boundary and the stream's key, allow writing to the stream and little else.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::rows as role_rows;
use super::{MAX_SESSION_SECONDS, SETUP_AGAIN};
use crate::checklist::fixtures::{expect, verdicts, AGILIX};
use crate::checklist::{Expect, Status};
use crate::iam::Grants;
use crate::iam::{trust_policy, write_policy};
use crate::names::{AccountId, Encryption, ExternalId, KmsKey};
use crate::state::RoleState;

const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

fn agilix() -> AccountId {
    AccountId::parse("--agilix-account", AGILIX).unwrap()
}

fn role() -> RoleState {
    RoleState {
        arn: ROLE_ARN.into(),
        max_session: MAX_SESSION_SECONDS,
        trust: trust_policy(&agilix(), None),
        tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
        policy: None,
        created: SystemTime::UNIX_EPOCH,
        boundary: None,
    }
}

#[test]
fn role_rows_over_states() {
    use Status::*;
    let e = expect();
    let docs = [write_policy(STREAM_ARN, None)];
    assert_eq!(
        verdicts(&role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            None,
            &Grants::identity(&docs),
            &e
        )),
        [("role.exists", Fail)]
    );

    let healthy = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&role()),
        &Grants::identity(&docs),
        &e,
    );
    assert_eq!(
        verdicts(&healthy),
        [
            ("role.exists", Pass),
            // No external id: Agilix's procedure, but the guard is missing.
            ("role.trust", Warn),
            ("role.max_session", Pass),
            ("role.policy", Pass)
        ]
    );

    // Drifted: short sessions, no write grant.
    let mut drifted = role();
    drifted.max_session = 3600;
    let rows = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&drifted),
        &Grants::default(),
        &e,
    );
    assert_eq!(rows[2].status, Fail);
    assert!(rows[2]
        .fix
        .as_deref()
        .unwrap_or("")
        .contains("--max-session-duration 43200"));
    assert_eq!((rows[3].id.as_str(), rows[3].status), ("role.policy", Fail));
    assert!(rows[3].message.contains("no Allow"));

    // Trust missing Agilix's account, admitting someone else instead.
    let mut other = role();
    other.trust = trust_policy(
        &AccountId::parse("--agilix-account", "444455556666").unwrap(),
        None,
    );
    let rows = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&other),
        &Grants::identity(&docs),
        &e,
    );
    assert_eq!(rows[1].status, Fail);
    assert!(
        rows[1].message.contains("does not admit Agilix's account")
            && rows[1].message.contains("444455556666"),
        "{}",
        rows[1].message
    );

    // With the external id asked for and required: a pass.
    let ext = ExternalId::parse("--external-id", "abc-123").unwrap();
    let mut guarded = role();
    guarded.trust = trust_policy(&agilix(), Some(&ext));
    let mut e2 = expect();
    e2.external_id = Some(ext);
    let rows = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&guarded),
        &Grants::identity(&docs),
        &e2,
    );
    assert_eq!(rows[1].status, Pass);
    // Asked for, but the trust does not require it.
    let rows = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&role()),
        &Grants::identity(&docs),
        &e2,
    );
    assert_eq!(rows[1].status, Fail);

    // Wider grants than needed: a warning.
    let wide = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]});
    let rows = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&role()),
        &Grants::identity(&[wide]),
        &e,
    );
    assert_eq!(rows[3].status, Warn);
}

#[test]
fn the_policy_row_weighs_the_permission_boundary_and_the_kms_condition() {
    use crate::iam::NamedPolicy;
    use Status::*;
    let e = expect();
    let ours = NamedPolicy {
        name: "inline:buzz-kinesis-write".into(),
        document: write_policy(STREAM_ARN, None),
    };
    let bounded = |boundary: Value| Grants {
        identity: vec![ours.clone()],
        boundary: Some(NamedPolicy {
            name: "arn:aws:iam::123456789012:policy/limits".into(),
            document: boundary,
        }),
    };
    let row = |g: &Grants, e: &Expect| {
        role_rows("BuzzKinesisWriter", STREAM_ARN, Some(&role()), g, e)[3].clone()
    };
    // A boundary without kinesis:PutRecord: FAIL, naming the boundary.
    let r = row(
        &bounded(json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
        &e,
    );
    assert_eq!(r.status, Fail, "{}", r.message);
    assert!(
        r.message
            .contains("permission boundary arn:aws:iam::123456789012:policy/limits"),
        "{}",
        r.message
    );
    // The fix is the boundary's, not setup's (setup never touches a boundary).
    let fix = r.fix.clone().unwrap();
    assert!(
        fix.starts_with("widen the role's permission boundary") && !fix.contains(SETUP_AGAIN),
        "{fix}"
    );
    // A boundary with an explicit deny: FAIL.
    let r = row(
        &bounded(json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "kinesis:Put*", "Resource": "*"}]})),
        &e,
    );
    assert_eq!(r.status, Fail);
    assert!(r.message.contains("explicit Deny"), "{}", r.message);
    let fix = r.fix.clone().unwrap();
    assert!(
        fix.starts_with(SETUP_AGAIN) && fix.contains("remove any Deny"),
        "{fix}"
    );
    // A boundary that leaves the writes in: PASS.
    let r = row(
        &bounded(
            json!({"Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}),
        ),
        &e,
    );
    assert_eq!(r.status, Pass, "{}", r.message);

    // The stream's customer-managed key (no --kms-key: what the stream has decides), by
    // its ARN: the grant passes with kms:ViaService and without it.
    let key = "arn:aws:kms:us-east-1:123456789012:key/k";
    let mut ek = expect();
    ek.key = Some(crate::state::ResolvedKey {
        named: "alias/district-data".into(),
        arn: Some(key.into()),
        aws_managed: false,
    });
    let missing = row(&Grants::identity(&[write_policy(STREAM_ARN, None)]), &ek);
    assert_eq!(missing.status, Fail);
    assert!(
        missing.message.contains(&format!(
            "KMS key alias/district-data ({key}) (kms:GenerateDataKey)"
        )),
        "{}",
        missing.message
    );
    assert!(
        missing.fix.as_deref().unwrap().starts_with(SETUP_AGAIN),
        "{missing:?}"
    );
    // The flag alone grants nothing to check: an AWS-managed stream key needs no grant.
    let mut flag_only = expect();
    flag_only.encryption = Encryption::Key(KmsKey::parse("--kms-key", key).unwrap());
    flag_only.key = crate::state::ResolvedKey::known("alias/aws/kinesis");
    let plain = Grants::identity(&[write_policy(STREAM_ARN, None)]);
    assert_eq!(row(&plain, &flag_only).status, Pass);
    // A grant on a key the stream does not have is wider than needed.
    let other = Grants::identity(&[write_policy(STREAM_ARN, Some(key))]);
    assert_eq!(row(&other, &flag_only).status, Warn);
    let with_via = Grants::identity(&[write_policy(STREAM_ARN, Some(key))]);
    assert_eq!(
        row(&with_via, &ek).status,
        Pass,
        "{}",
        row(&with_via, &ek).message
    );
    let mut bare = write_policy(STREAM_ARN, Some(key));
    bare["Statement"][1]
        .as_object_mut()
        .unwrap()
        .remove("Condition");
    let without = Grants::identity(&[bare]);
    assert_eq!(
        row(&without, &ek).status,
        Pass,
        "{}",
        row(&without, &ek).message
    );
    // Limited to another service: Kinesis may not use it.
    let mut s3 = write_policy(STREAM_ARN, Some(key));
    s3["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] =
        json!("s3.us-east-1.amazonaws.com");
    assert_eq!(row(&Grants::identity(&[s3]), &ek).status, Fail);
}

/// A principal inside Agilix's account (one of its roles) is narrower than the account: the
/// trust row takes it for Agilix's, and a role of another account for a stranger.
#[test]
fn a_role_inside_agilixs_account_is_agilix_and_one_elsewhere_is_not() {
    use Status::*;
    let docs = [write_policy(STREAM_ARN, None)];
    let trust_row = |principal: &str| {
        let trusting = RoleState {
            trust: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}),
            ..role()
        };
        let rows = role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&trusting),
            &Grants::identity(&docs),
            &expect(),
        );
        rows[1].clone()
    };
    let ours = trust_row(&format!("arn:aws:iam::{AGILIX}:role/BuzzServers"));
    // No external id: the warning of the account's own trust, not a failure.
    assert_eq!(
        (ours.id.as_str(), ours.status),
        ("role.trust", Warn),
        "{}",
        ours.message
    );
    let theirs = trust_row("arn:aws:iam::444455556666:role/BuzzServers");
    assert_eq!(theirs.status, Fail);
    assert!(
        theirs.message.contains("does not admit Agilix's account"),
        "{}",
        theirs.message
    );
}
