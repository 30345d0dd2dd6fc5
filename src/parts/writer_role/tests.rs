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

const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:buzz-deliveries";
const OTHER_QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:buzz-retries";
const QUEUE_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/q";

/// What a queue Buzz delivers to would ask of the writer role: two actions on two queues,
/// and its key only through SQS (a `StringEquals` condition, as the stream's key's).
fn queue_statements() -> Vec<Value> {
    vec![
        json!({"Sid": "BuzzDeliversToQueues", "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
            "Resource": [QUEUE_ARN, OTHER_QUEUE_ARN]}),
        json!({"Sid": "BuzzEncryptsWithQueueKey", "Effect": "Allow",
            "Action": "kms:GenerateDataKey", "Resource": QUEUE_KEY,
            "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}}),
    ]
}

/// The role's policy as setup writes it for the stream and the queue.
fn with_queue() -> Value {
    crate::iam::write_policy_with(STREAM_ARN, None, &queue_statements())
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}]})
}

/// An add-on Buzz delivers to is judged in the `role.policy` row after the stream: each of its
/// actions on each of its resources, as IAM would (its condition's values known), and what it
/// needs is not counted as wider than needed.
#[test]
fn the_policy_row_asks_for_what_the_add_ons_buzz_delivers_to_need() {
    use crate::iam::NamedPolicy;
    use Status::*;
    let mut e = expect();
    e.also_allowed = queue_statements();
    let row = |docs: &[Value], e: &Expect| {
        role_rows(
            "BuzzKinesisWriter",
            STREAM_ARN,
            Some(&role()),
            &Grants::identity(docs),
            e,
        )[3]
        .clone()
    };
    let mut sent_to_one = with_queue();
    sent_to_one["Statement"][1]["Resource"] = json!(QUEUE_ARN);
    let mut only_send = with_queue();
    only_send["Statement"][1]["Action"] = json!("sqs:SendMessage");
    let mut other_via = with_queue();
    other_via["Statement"][2]["Condition"]["StringEquals"]["kms:ViaService"] =
        json!("s3.us-east-1.amazonaws.com");
    let wider = json!({"Statement": [{"Effect": "Allow", "Action": "sqs:DeleteQueue", "Resource": QUEUE_ARN}]});
    let elsewhere = json!({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:123456789012:someone-elses"}]});
    let cases: [(&str, Vec<Value>, Status, String); 9] = [
        (
            "exactly the stream and the queue",
            vec![with_queue()],
            Pass,
            format!("the role may write to {STREAM_ARN} and to {QUEUE_ARN}, {OTHER_QUEUE_ARN}, {QUEUE_KEY} and nothing else"),
        ),
        (
            "the stream alone",
            vec![write_policy(STREAM_ARN, None)],
            Fail,
            format!("the role's policies do not allow sqs:SendMessage on {QUEUE_ARN} (no Allow)"),
        ),
        (
            "one queue of two",
            vec![sent_to_one],
            Fail,
            format!("the role's policies do not allow sqs:SendMessage on {OTHER_QUEUE_ARN} (no Allow)"),
        ),
        (
            "one action of two",
            vec![only_send],
            Fail,
            format!("the role's policies do not allow sqs:GetQueueUrl on {QUEUE_ARN} (no Allow)"),
        ),
        (
            "a Deny on the second queue",
            vec![with_queue(), deny("sqs:GetQueueUrl", OTHER_QUEUE_ARN)],
            Fail,
            format!("the role's policies do not allow sqs:GetQueueUrl on {OTHER_QUEUE_ARN} (an explicit Deny)"),
        ),
        (
            "the queue's key through another service",
            vec![other_via],
            Fail,
            format!("the role's policies do not allow kms:GenerateDataKey on {QUEUE_KEY} (no Allow)"),
        ),
        (
            "another action on the queue besides",
            vec![with_queue(), wider],
            Warn,
            "the role may write to the stream, but its grants are wider than needed: the role is also allowed 'sqs:DeleteQueue'".to_owned(),
        ),
        (
            "another queue besides",
            vec![with_queue(), elsewhere],
            Warn,
            "the role may write to the stream, but its grants are wider than needed: a grant reaches resource 'arn:aws:sqs:us-east-1:123456789012:someone-elses'".to_owned(),
        ),
        (
            "the stream's own failure first",
            vec![with_queue(), deny("kinesis:PutRecord", STREAM_ARN)],
            Fail,
            format!("the role's policies do not allow kinesis:PutRecord on {STREAM_ARN} (an explicit Deny)"),
        ),
    ];
    for (what, docs, status, message) in cases {
        let r = row(&docs, &e);
        assert_eq!((r.status, &r.message), (status, &message), "{what}");
        if status == Fail && !message.contains("kinesis:") {
            let resource = message
                .split(" on ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            assert_eq!(
                r.fix.as_deref(),
                Some(format!("{SETUP_AGAIN}; remove any Deny that covers {resource}").as_str()),
                "{what}"
            );
        }
    }
    // Not asked for, the queue's grants are wider than needed.
    let r = row(&[with_queue()], &expect());
    assert_eq!(r.status, Warn, "{}", r.message);

    // A boundary that leaves the stream in but not the queue: the boundary's fix, naming it.
    let bounded = Grants {
        identity: vec![NamedPolicy {
            name: "inline:buzz-kinesis-write".into(),
            document: with_queue(),
        }],
        boundary: Some(NamedPolicy {
            name: "arn:aws:iam::123456789012:policy/limits".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": ["kinesis:*", "kms:*"], "Resource": "*"}]}),
        }),
    };
    let r = role_rows("BuzzKinesisWriter", STREAM_ARN, Some(&role()), &bounded, &e)[3].clone();
    assert_eq!(
        (r.status, r.message.as_str(), r.fix.as_deref()),
        (
            Fail,
            format!("the role's policies do not allow sqs:SendMessage on {QUEUE_ARN} (the permission boundary arn:aws:iam::123456789012:policy/limits does not allow it)").as_str(),
            Some(format!("widen the role's permission boundary to allow sqs:SendMessage on {QUEUE_ARN}, or remove it (aws iam delete-role-permissions-boundary)").as_str()),
        )
    );
}

/// The stream's verdicts read as they always have, word for word, with no add-on's needs and
/// with them.
#[test]
fn the_streams_policy_verdicts_keep_their_words() {
    use crate::iam::NamedPolicy;
    let mut with_queue_expected = expect();
    with_queue_expected.also_allowed = queue_statements();
    for e in [expect(), with_queue_expected] {
        let row = |g: &Grants| {
            role_rows("BuzzKinesisWriter", STREAM_ARN, Some(&role()), g, &e)[3].clone()
        };
        let missing = row(&Grants::default());
        assert_eq!(
            (missing.message.as_str(), missing.fix.as_deref()),
            (
                format!(
                    "the role's policies do not allow kinesis:PutRecord on {STREAM_ARN} (no Allow)"
                )
                .as_str(),
                Some(format!("{SETUP_AGAIN}; remove any Deny that covers the stream").as_str()),
            )
        );
        let bounded = row(&Grants {
            identity: vec![NamedPolicy {
                name: "inline:buzz-kinesis-write".into(),
                document: with_queue(),
            }],
            boundary: Some(NamedPolicy {
                name: "arn:aws:iam::123456789012:policy/limits".into(),
                document: json!({"Statement": [{"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": "*"}]}),
            }),
        });
        assert_eq!(
            (bounded.message.as_str(), bounded.fix.as_deref()),
            (
                format!("the role's policies do not allow kinesis:PutRecords on {STREAM_ARN} (the permission boundary arn:aws:iam::123456789012:policy/limits does not allow it)").as_str(),
                Some("widen the role's permission boundary to allow kinesis:PutRecord and kinesis:PutRecords on the stream, or remove it (aws iam delete-role-permissions-boundary)"),
            )
        );
    }
    let plain = role_rows(
        "BuzzKinesisWriter",
        STREAM_ARN,
        Some(&role()),
        &Grants::identity(&[write_policy(STREAM_ARN, None)]),
        &expect(),
    )[3]
    .clone();
    assert_eq!(
        plain.message,
        format!("the role may write to {STREAM_ARN} and nothing else")
    );
}

/// A template part Buzz delivers to (a toy queue) adds its statement to the writer role's
/// policy in both dialects, after the stream's, its own stand-in written as each dialect
/// refers to the queue the template makes.
mod exports {
    use serde_json::{json, Value};

    use super::super::{cfn_fragment, tf_blocks, WriterRole};
    use crate::parts::stack::fixtures::{blueprint, hcl, ToyQueue};
    use crate::parts::stack::StackPart;

    fn statements(parts: &[&dyn StackPart]) -> Vec<Value> {
        let f = cfn_fragment(&blueprint(), parts);
        f.resources[0].1["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn tf(parts: &[&dyn StackPart]) -> String {
        hcl(tf_blocks(&blueprint(), parts))
    }

    #[test]
    fn cloudformation_grants_the_writer_role_what_a_part_adds() {
        let alone = statements(&[&WriterRole]);
        assert_eq!(alone.len(), 1);
        assert_eq!(
            alone[0]["Resource"],
            json!({"Fn::GetAtt": [crate::parts::CFN_STREAM, "Arn"]})
        );
        let with = statements(&[&WriterRole, &ToyQueue]);
        assert_eq!(with[..1], alone[..]);
        assert_eq!(
            with[1..],
            [json!({"Sid": "BuzzDeliversToToyQueue", "Effect": "Allow",
                "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["ToyQueue", "Arn"]}})]
        );
        // Every part of a real template: nothing grants the writer role more today.
        let every: Vec<&dyn StackPart> = crate::parts::stack_parts().collect();
        assert_eq!(statements(&every), alone);
        assert_eq!(
            WriterRole.cloudformation(&blueprint()),
            cfn_fragment(&blueprint(), &[])
        );
    }

    #[test]
    fn terraform_grants_the_writer_role_what_a_part_adds() {
        let alone = tf(&[]);
        assert!(!alone.contains("sqs:SendMessage"), "{alone}");
        let with = tf(&[&ToyQueue]);
        let stream = with
            .find("Resource = aws_kinesis_stream.buzz.arn")
            .expect(&with);
        let queue = with.find("Resource = aws_sqs_queue.toy.arn").expect(&with);
        assert!(stream < queue, "{with}");
        assert!(with.contains("\"sqs:SendMessage\""), "{with}");
        assert!(!with.contains('\u{1}'), "a stand-in left: {with}");
    }
}
