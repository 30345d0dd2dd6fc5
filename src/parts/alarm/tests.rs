use super::*;
use crate::names::Email;
use crate::parts::fixtures::kinds;
use crate::parts::Change;

const STREAM: &str = "buzz-events";
const TOPIC: &str = "buzz-kinesis-buzz-events-alarms";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms";
const NAME: &str = "buzz-kinesis-buzz-events-writes-refused";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn wanted(own_topic: bool, emails: &[&str]) -> DesiredAlarm {
    DesiredAlarm {
        name: NAME.into(),
        topic_arn: TOPIC_ARN.into(),
        own_topic: own_topic.then(|| TOPIC.into()),
        emails: emails
            .iter()
            .map(|e| Email::parse("--alarm-email", e).unwrap())
            .collect(),
    }
}

fn key() -> KmsKey {
    KmsKey::parse("--kms-key", KEY).unwrap()
}

/// The alarm as setup leaves it.
fn converged() -> AlarmState {
    AlarmState {
        name: NAME.into(),
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
        state: "OK".into(),
        metric: alarm::METRIC.into(),
        threshold: 0.0,
        period: alarm::PERIOD,
        actions: vec![TOPIC_ARN.into()],
        tags: managed_tags(),
    }
}

fn topic(emails: &[&str]) -> TopicState {
    TopicState {
        arn: TOPIC_ARN.into(),
        tags: managed_tags(),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn alarm_shown(notifies: &str) -> Value {
    json!({
        "name": NAME,
        "metric": "WriteProvisionedThroughputExceeded",
        "stream": STREAM,
        "condition": "any refused write in a minute",
        "notifies": notifies,
    })
}

#[test]
fn nothing_there_makes_our_topic_subscribes_each_address_and_puts_the_alarm() {
    let p = plan(
        &wanted(true, &["ops@example.edu"]),
        STREAM,
        None,
        None,
        None,
    );
    assert_eq!(
        p.actions,
        [
            AlarmAction::CreateTopic {
                name: TOPIC.into(),
                tags: managed_tags(),
                kms_key: None
            },
            AlarmAction::SubscribeEmail {
                email: "ops@example.edu".into()
            },
            AlarmAction::PutAlarm {
                before: None,
                after: alarm_shown(TOPIC_ARN)
            },
        ]
    );
    assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
    assert!(p.notes[0].starts_with("the alarm's topic is not encrypted: "));
    assert!(p.notes[1].contains("must confirm the subscription"));
    assert_eq!(
        p.actions
            .iter()
            .map(AlarmAction::is_create)
            .collect::<Vec<_>>(),
        [true, false, true],
        "topic +, subscription ~, alarm +"
    );
}

#[test]
fn a_topic_under_a_customer_key_names_the_key_and_the_statement_its_policy_needs() {
    let k = key();
    let p = plan(&wanted(true, &[]), STREAM, Some(&k), None, None);
    assert_eq!(
        p.actions[0],
        AlarmAction::CreateTopic {
            name: TOPIC.into(),
            tags: managed_tags(),
            kms_key: Some(KEY.into())
        }
    );
    assert_eq!(
        p.notes,
        [format!(
            "the alarm's topic is encrypted with {KEY}: that key's policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (statement: {}), or the alarm cannot notify",
            iam::cloudwatch_key_statement()
        )]
    );
}

#[test]
fn a_converged_alarm_plans_nothing_and_each_difference_puts_it_again() {
    let want = wanted(true, &["ops@example.edu"]);
    let t = topic(&["OPS@example.edu", "someone-else@example.edu"]);
    let with = |change: fn(&mut AlarmState)| {
        let mut a = converged();
        change(&mut a);
        plan(&want, STREAM, None, Some(&a), Some(&t))
    };
    let p = with(|_| {});
    assert!(p.actions.is_empty() && p.notes.is_empty(), "{p:?}");
    for change in [
        (|a: &mut AlarmState| a.metric = "IncomingRecords".into()) as fn(&mut AlarmState),
        |a| a.threshold = 1.0,
        |a| a.period = 300,
        |a| a.actions = vec!["arn:aws:sns:us-east-1:1:other".into()],
        |a| a.actions.push(TOPIC_ARN.into()),
        |a| a.actions.clear(),
    ] {
        assert_eq!(kinds(&with(change)), ["put_alarm"]);
    }
    // Correcting shows the alarm as it was, notifying its first topic (or none).
    let p = with(|a| a.actions = vec!["arn:aws:sns:us-east-1:1:other".into()]);
    assert_eq!(
        p.actions,
        [AlarmAction::PutAlarm {
            before: Some(alarm_shown("arn:aws:sns:us-east-1:1:other")),
            after: alarm_shown(TOPIC_ARN)
        }]
    );
    assert!(!p.actions[0].is_create());
    let p = with(|a| a.actions.clear());
    assert_eq!(
        p.actions[0].before_after().0,
        alarm_shown(""),
        "no topic: an empty one"
    );
}

#[test]
fn addresses_already_subscribed_in_any_case_are_not_subscribed_again() {
    let want = wanted(false, &["ops@example.edu", "dean@example.edu"]);
    let a = converged();
    let p = plan(
        &want,
        STREAM,
        None,
        Some(&a),
        Some(&topic(&["OPS@EXAMPLE.EDU"])),
    );
    assert_eq!(
        p.actions,
        [AlarmAction::SubscribeEmail {
            email: "dean@example.edu".into()
        }]
    );
    assert_eq!(p.notes.len(), 1);
    // The user's topic, not read (or not there): every address is subscribed, no topic made.
    let p = plan(&want, STREAM, None, Some(&a), None);
    assert_eq!(kinds(&p), ["subscribe_email", "subscribe_email"]);
    // Our topic exists: it is not made again, and nothing is said of its key.
    let p = plan(
        &wanted(true, &[]),
        STREAM,
        None,
        Some(&a),
        Some(&topic(&[])),
    );
    assert!(p.actions.is_empty() && p.notes.is_empty(), "{p:?}");
}

#[test]
fn each_action_shows_what_changes_and_says_what_it_does() {
    let tags = managed_tags();
    for (action, before, after, line, create) in [
        (
            AlarmAction::CreateTopic {
                name: "t".into(),
                tags: tags.clone(),
                kms_key: None,
            },
            Value::Null,
            json!({"topic": "t", "tags": tags, "kms_key": null}),
            "create SNS topic t for the alarm",
            true,
        ),
        (
            AlarmAction::CreateTopic {
                name: "t".into(),
                tags: tags.clone(),
                kms_key: Some("k".into()),
            },
            Value::Null,
            json!({"topic": "t", "tags": tags, "kms_key": "k"}),
            "create SNS topic t for the alarm, encrypted with k",
            true,
        ),
        (
            AlarmAction::SubscribeEmail { email: "e".into() },
            Value::Null,
            json!({"email": "e"}),
            "subscribe e to the alarm's topic (the address must confirm)",
            false,
        ),
        (
            AlarmAction::PutAlarm {
                before: None,
                after: json!(2),
            },
            Value::Null,
            json!(2),
            "create the alarm: any write Kinesis refuses in a minute notifies the topic",
            true,
        ),
        (
            AlarmAction::PutAlarm {
                before: Some(json!(1)),
                after: json!(2),
            },
            json!(1),
            json!(2),
            "correct the alarm (metric, threshold, period or topic)",
            false,
        ),
    ] {
        assert_eq!(action.before_after(), (before, after), "{action:?}");
        assert_eq!(action.describe(), line);
        assert_eq!(action.is_create(), create, "{action:?}");
    }
}

/// The JSON plan's actions: `kind` and the fields, as the snapshots hold them.
#[test]
fn actions_serialize_with_their_kind() {
    let actions = [
        AlarmAction::CreateTopic {
            name: "t".into(),
            tags: BTreeMap::new(),
            kms_key: None,
        },
        AlarmAction::CreateTopic {
            name: "t".into(),
            tags: BTreeMap::new(),
            kms_key: Some("k".into()),
        },
        AlarmAction::SubscribeEmail { email: "e".into() },
        AlarmAction::PutAlarm {
            before: None,
            after: json!(2),
        },
    ];
    assert_eq!(
        serde_json::to_value(actions).unwrap(),
        json!([
            {"kind": "create_topic", "name": "t", "tags": {}},
            {"kind": "create_topic", "name": "t", "tags": {}, "kms_key": "k"},
            {"kind": "subscribe_email", "email": "e"},
            {"kind": "put_alarm", "before": null, "after": 2},
        ])
    );
}

#[test]
fn the_row_fails_a_missing_alarm_asked_for_suggests_one_otherwise_and_fails_one_firing() {
    let with_state = |state: &str| AlarmState {
        state: state.into(),
        ..converged()
    };
    for (found, asked, want) in [
        (
            None,
            true,
            Row::Fail(
                format!("there is no alarm {NAME} on refused writes"),
                SETUP_AGAIN.into(),
            ),
        ),
        (
            None,
            false,
            Row::Warn(
                "no alarm tells anyone when Kinesis refuses Buzz's writes (events lost)".into(),
                "`buzz-kinesis setup --alarm-email you@example.edu` adds one (the address confirms a mail from AWS)".into(),
            ),
        ),
        (
            Some(with_state("ALARM")),
            false,
            Row::Fail(
                format!("the alarm {NAME} is in ALARM: Kinesis refused writes in its last minute"),
                "see stream.refused for the capacity the peak needs".into(),
            ),
        ),
        (
            Some(with_state("OK")),
            true,
            Row::Pass(format!("the alarm {NAME} watches for refused writes (OK)")),
        ),
        (
            Some(with_state("")),
            true,
            Row::Pass(format!(
                "the alarm {NAME} watches for refused writes (no state yet)"
            )),
        ),
    ] {
        assert_eq!(row(found.as_ref(), asked, STREAM), want);
    }
}

#[test]
fn teardown_removes_only_the_alarm_and_topic_setup_made() {
    assert_eq!(teardown_alarm(Some((NAME, true))), Teardown::Remove);
    assert_eq!(
        teardown_alarm(Some((NAME, false))),
        Teardown::Keep(format!(
            "the alarm {NAME} was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays"
        ))
    );
    assert_eq!(teardown_alarm(None), Teardown::Nothing);
    assert_eq!(teardown_topic(Some((TOPIC_ARN, true))), Teardown::Remove);
    assert_eq!(
        teardown_topic(Some((TOPIC_ARN, false))),
        Teardown::Keep(format!(
            "the SNS topic {TOPIC_ARN} was not made by buzz-kinesis; it stays"
        ))
    );
    assert_eq!(teardown_topic(None), Teardown::Nothing);
}

fn export<'a>(
    tags: &'a BTreeMap<String, String>,
    emails: &'a [String],
    topic_arn: Option<&'a str>,
    key: Option<&'a KmsKey>,
) -> AlarmExport<'a> {
    AlarmExport {
        stream: STREAM,
        tags,
        emails,
        topic_arn,
        key,
    }
}

#[test]
fn only_an_unencrypted_topic_skips_the_encryption_check() {
    let k = key();
    assert!(skips(Some(&k)).is_empty());
    let s = skips(None);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].id, "CKV_AWS_26");
    assert!(s[0].reason.starts_with("CloudWatch alarms cannot publish"));
}

#[test]
fn cloudformation_makes_our_topic_with_its_subscriptions_and_the_alarm_notifying_it() {
    let tags = managed_tags();
    let emails = ["a@example.edu".to_owned(), "b@example.edu".to_owned()];
    let f = cloudformation(&export(&tags, &emails, None, None));
    assert!(f.outputs.is_empty());
    let ids: Vec<&str> = f.resources.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [CFN_TOPIC_ID, CFN_ALARM_ID]);
    assert_eq!(
        f.resources[0].1,
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": TOPIC,
                "Subscription": [
                    {"Endpoint": "a@example.edu", "Protocol": "email"},
                    {"Endpoint": "b@example.edu", "Protocol": "email"},
                ],
                "Tags": [{"Key": "managed-by", "Value": "buzz-kinesis"}],
            },
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_26", "comment": TOPIC_UNENCRYPTED_REASON}]}},
        })
    );
    assert_eq!(
        f.resources[1].1,
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": NAME,
                "AlarmDescription": ALARM_HELP,
                "Namespace": "AWS/Kinesis",
                "MetricName": "WriteProvisionedThroughputExceeded",
                "Dimensions": [{"Name": "StreamName", "Value": {"Ref": "BuzzStream"}}],
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": CFN_TOPIC_ID}],
            },
        })
    );
}

#[test]
fn cloudformation_encrypts_our_topic_with_the_key_and_outputs_the_statement_its_policy_needs() {
    let (tags, k) = (managed_tags(), key());
    let f = cloudformation(&export(&tags, &[], None, Some(&k)));
    let topic = &f.resources[0].1;
    assert_eq!(topic["Properties"]["KmsMasterKeyId"], KEY);
    assert_eq!(topic["Properties"]["Subscription"], json!([]));
    assert!(topic.get("Metadata").is_none(), "{topic}");
    assert_eq!(
        f.outputs,
        [(
            "AlarmTopicKeyPolicyStatement".to_owned(),
            json!({
                "Description": TOPIC_KEY_HELP,
                "Value": iam::cloudwatch_key_statement().to_string(),
            })
        )]
    );
}

#[test]
fn cloudformation_with_the_users_topic_makes_the_alarm_alone() {
    let (tags, k) = (managed_tags(), key());
    let arn = "arn:aws:sns:us-east-1:123456789012:ops";
    let emails = ["a@example.edu".to_owned()];
    let f = cloudformation(&export(&tags, &emails, Some(arn), Some(&k)));
    assert!(f.outputs.is_empty(), "no topic of ours, no key statement");
    assert_eq!(f.resources.len(), 1);
    assert_eq!(f.resources[0].0, CFN_ALARM_ID);
    assert_eq!(f.resources[0].1["Properties"]["AlarmActions"], json!([arn]));
}

fn hcl(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        b.write(&mut out, 0);
    }
    out
}

#[test]
fn terraform_makes_our_topic_each_subscription_and_the_alarm() {
    let tags = managed_tags();
    let emails = ["a@example.edu".to_owned(), "b@example.edu".to_owned()];
    let tf = hcl(&terraform(&export(&tags, &emails, None, None)));
    let at = |s: &str| tf.find(s).unwrap_or_else(|| panic!("{s} in {tf}"));
    assert!(at("resource \"aws_sns_topic\" \"buzz_alarms\"") < at("# checkov:skip=CKV_AWS_26:"));
    assert!(at("# checkov:skip=CKV_AWS_26:") < at("name = \"buzz-kinesis-buzz-events-alarms\""));
    assert!(
        at("name = \"buzz-kinesis-buzz-events-alarms\"")
            < at("resource \"aws_sns_topic_subscription\" \"buzz_alarm_0\"")
    );
    assert!(
        at("endpoint  = \"a@example.edu\"")
            < at("resource \"aws_sns_topic_subscription\" \"buzz_alarm_1\"")
    );
    assert!(
        at("endpoint  = \"b@example.edu\"")
            < at("resource \"aws_cloudwatch_metric_alarm\" \"buzz_refused_writes\"")
    );
    for line in [
        "topic_arn = aws_sns_topic.buzz_alarms.arn",
        "protocol  = \"email\"",
        "alarm_name        = \"buzz-kinesis-buzz-events-writes-refused\"",
        "namespace         = \"AWS/Kinesis\"",
        "metric_name       = \"WriteProvisionedThroughputExceeded\"",
        "StreamName = aws_kinesis_stream.buzz.name",
        "statistic           = \"Sum\"",
        "period              = 60",
        "evaluation_periods  = 1",
        "threshold           = 0",
        "comparison_operator = \"GreaterThanThreshold\"",
        "treat_missing_data  = \"notBreaching\"",
        "alarm_actions       = [aws_sns_topic.buzz_alarms.arn]",
        "managed-by = \"buzz-kinesis\"",
    ] {
        assert!(tf.contains(line), "{line} in {tf}");
    }
    assert!(
        !tf.contains("kms_master_key_id") && !tf.contains("output"),
        "{tf}"
    );
}

#[test]
fn terraform_encrypts_our_topic_with_the_key_and_outputs_the_statement_last() {
    let (tags, k) = (managed_tags(), key());
    let blocks = terraform(&export(&tags, &[], None, Some(&k)));
    assert_eq!(blocks.len(), 3, "topic, alarm, output");
    let tf = hcl(&blocks);
    assert!(!tf.contains("checkov:skip"), "{tf}");
    assert!(
        tf.contains(&format!("kms_master_key_id = \"{KEY}\"")),
        "{tf}"
    );
    let last = hcl(&blocks[2..]);
    assert!(
        last.starts_with("output \"alarm_topic_key_policy_statement\""),
        "{last}"
    );
    assert!(last.contains("jsonencode("), "{last}");
    assert!(last.contains("cloudwatch.amazonaws.com"), "{last}");
}

#[test]
fn terraform_with_the_users_topic_makes_the_alarm_alone() {
    let (tags, k) = (managed_tags(), key());
    let emails = ["a@example.edu".to_owned()];
    let arn = "arn:aws:sns:us-east-1:123456789012:ops";
    let blocks = terraform(&export(&tags, &emails, Some(arn), Some(&k)));
    assert_eq!(blocks.len(), 1);
    let tf = hcl(&blocks);
    assert!(
        tf.contains(&format!("alarm_actions       = [\"{arn}\"]")),
        "{tf}"
    );
}
