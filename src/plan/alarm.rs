//! The alarm's plan: the alarm on refused writes and, unless the user gave their own, its
//! topic with the email subscriptions. Setup never removes a subscription or changes a topic
//! it did not make.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{tag_map, DesiredAlarm, Note, Observed, Plan};
use crate::iam;
use crate::names::KmsKey;
use crate::state::Resource;

/// One change to the alarm or its topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum AlarmAction {
    CreateTopic {
        name: String,
        tags: BTreeMap<String, String>,
        /// The customer-managed key the topic is encrypted with; `None`: unencrypted, since
        /// CloudWatch cannot publish to a topic under the AWS-managed SNS key.
        #[serde(skip_serializing_if = "Option::is_none")]
        kms_key: Option<String>,
    },
    SubscribeEmail {
        email: String,
    },
    /// Create or correct the alarm (PutMetricAlarm replaces it whole).
    PutAlarm {
        before: Option<Value>,
        after: Value,
    },
}

impl AlarmAction {
    /// Whether the action makes the alarm or its topic (drawn `+`, and the alarm's outcome
    /// `created`). A new subscription on a topic that exists is a change.
    pub(crate) fn is_create(&self) -> bool {
        match self {
            AlarmAction::CreateTopic { .. } => true,
            AlarmAction::PutAlarm { before, .. } => before.is_none(),
            AlarmAction::SubscribeEmail { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub(crate) fn before_after(&self) -> (Value, Value) {
        match self {
            AlarmAction::CreateTopic {
                name,
                tags,
                kms_key,
            } => (
                Value::Null,
                json!({"topic": name, "tags": tags, "kms_key": kms_key}),
            ),
            AlarmAction::SubscribeEmail { email } => (Value::Null, json!({ "email": email })),
            AlarmAction::PutAlarm { before, after } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
        }
    }
}

/// `key`: the customer-managed key a topic setup makes is encrypted with.
pub(super) fn plan_alarm(
    a: &DesiredAlarm,
    stream: &str,
    key: Option<&KmsKey>,
    observed: &Observed,
    p: &mut Plan,
) {
    if let Some(name) = &a.own_topic {
        if observed.topic.is_none() {
            p.alarm.push(AlarmAction::CreateTopic {
                name: name.clone(),
                tags: tag_map(&[], true),
                kms_key: key.map(KmsKey::to_string),
            });
            p.notes.push(Note {
                resource: Resource::Alarm,
                message: match key {
                    // Setup does not rewrite a key policy it does not own (PutKeyPolicy
                    // replaces the whole policy), so it says what the policy must allow.
                    Some(k) => format!(
                        "the alarm's topic is encrypted with {k}: that key's policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (statement: {}), or the alarm cannot notify",
                        iam::cloudwatch_key_statement()
                    ),
                    None => "the alarm's topic is not encrypted: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key, and the topic carries alarm notifications only, no student records (pass --kms-key with a customer-managed key to encrypt it with that key)".into(),
                },
            });
        }
    }
    let subscribed: Vec<&str> = observed
        .topic
        .as_ref()
        .map(|t| t.emails.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut subscribes = false;
    for email in &a.emails {
        if !subscribed
            .iter()
            .any(|s| s.eq_ignore_ascii_case(email.as_str()))
        {
            p.alarm.push(AlarmAction::SubscribeEmail {
                email: email.as_str().to_owned(),
            });
            subscribes = true;
        }
    }
    if subscribes {
        p.notes.push(Note {
            resource: Resource::Alarm,
            message: "each new address gets a mail from AWS Notifications and must confirm the subscription before alarms reach it".into(),
        });
    }
    let after = alarm_json(&a.name, stream, &a.topic_arn);
    let before = observed.alarm.as_ref().map(|x| {
        alarm_json(
            &x.name,
            stream,
            x.actions.first().map(String::as_str).unwrap_or(""),
        )
    });
    let satisfied = observed.alarm.as_ref().is_some_and(|x| {
        x.metric == crate::state::alarm::METRIC
            && x.threshold == 0.0
            && x.period == crate::state::alarm::PERIOD
            && x.actions == [a.topic_arn.clone()]
    });
    if !satisfied {
        p.alarm.push(AlarmAction::PutAlarm { before, after });
    }
}

/// The alarm as the plan shows it.
fn alarm_json(name: &str, stream: &str, topic: &str) -> Value {
    json!({
        "name": name,
        "metric": crate::state::alarm::METRIC,
        "stream": stream,
        "condition": "any refused write in a minute",
        "notifies": topic,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{converged, desired};
    use super::super::{plan, Action};
    use super::*;
    use crate::state::{AlarmState, TopicState};

    fn wanted(own_topic: bool) -> DesiredAlarm {
        let topic = "buzz-kinesis-buzz-events-alarms";
        DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: format!("arn:aws:sns:us-east-1:123456789012:{topic}"),
            own_topic: own_topic.then(|| topic.into()),
            emails: vec![crate::names::Email::parse("--alarm-email", "ops@example.edu").unwrap()],
        }
    }

    #[test]
    fn the_alarm_and_its_topic_are_made_once_and_subscriptions_only_added() {
        let mut d = desired();
        d.aws_mut().alarm = Some(wanted(true));
        let mut a = converged(&d);
        let p = plan(&d, &a).unwrap();
        let kinds: Vec<&str> = p
            .alarm
            .iter()
            .map(|x| match x {
                AlarmAction::CreateTopic { .. } => "topic",
                AlarmAction::SubscribeEmail { .. } => "subscribe",
                AlarmAction::PutAlarm { before: None, .. } => "alarm",
                AlarmAction::PutAlarm {
                    before: Some(_), ..
                } => "correct",
            })
            .collect();
        assert_eq!(kinds, ["topic", "subscribe", "alarm"]);
        assert_eq!(p.outcome(Resource::Alarm), "created");
        assert!(p.notes.iter().any(|n| n.message.contains("confirm")));

        let alarm = d.aws_mut().alarm.clone().unwrap();
        a.topic = Some(TopicState {
            arn: alarm.topic_arn.clone(),
            tags: tag_map(&[], true),
            emails: vec!["OPS@example.edu".into(), "someone-else@example.edu".into()],
        });
        a.alarm = Some(AlarmState {
            name: alarm.name.clone(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
            state: "OK".into(),
            metric: crate::state::alarm::METRIC.into(),
            threshold: 0.0,
            period: 60,
            actions: vec![alarm.topic_arn.clone()],
            tags: tag_map(&[], true),
        });
        assert!(plan(&d, &a).unwrap().is_empty(), "converged: no change");
        a.alarm.as_mut().unwrap().actions = vec!["arn:aws:sns:us-east-1:1:other".into()];
        let p = plan(&d, &a).unwrap();
        assert!(matches!(
            p.alarm[..],
            [AlarmAction::PutAlarm {
                before: Some(_),
                ..
            }]
        ));
        assert_eq!(p.outcome(Resource::Alarm), "updated");
    }

    /// The marker (`+`) and the outcome (`created`) come from one method, so a new topic and a
    /// new alarm are drawn as made and counted as made; a new subscription on the user's topic
    /// alone is a change.
    #[test]
    fn a_new_topic_and_alarm_are_drawn_and_counted_as_created() {
        let mut d = desired();
        d.aws_mut().alarm = Some(wanted(true));
        let p = plan(&d, &converged(&d)).unwrap();
        let drawn: Vec<bool> = p
            .for_resource(Resource::Alarm)
            .map(|x| x.is_create())
            .collect();
        assert_eq!(
            drawn,
            [true, false, true],
            "topic +, subscription ~, alarm +"
        );
        assert_eq!(p.outcome(Resource::Alarm), "created");

        // The user's topic, the alarm new: still created, though the first step subscribes.
        d.aws_mut().alarm = Some(wanted(false));
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(matches!(
            p.for_resource(Resource::Alarm).next(),
            Some(Action::Alarm(AlarmAction::SubscribeEmail { .. }))
        ));
        assert_eq!(p.outcome(Resource::Alarm), "created");
    }

    /// What the JSON plan shows of each alarm action: the topic made, the address added, and
    /// the alarm as it will be (and was), named with its metric, stream and topic.
    #[test]
    fn each_alarm_action_shows_what_changes() {
        let mut d = desired();
        d.aws_mut().alarm = Some(wanted(true));
        let p = plan(&d, &converged(&d)).unwrap();
        let shown: Vec<(Value, Value)> = p.alarm.iter().map(AlarmAction::before_after).collect();
        assert_eq!(shown[0].0, Value::Null);
        assert_eq!(shown[0].1["topic"], "buzz-kinesis-buzz-events-alarms");
        assert_eq!(shown[1].1, json!({"email": "ops@example.edu"}));
        let alarm = wanted(true);
        assert_eq!(
            shown[2],
            (
                Value::Null,
                json!({
                    "name": alarm.name,
                    "metric": crate::state::alarm::METRIC,
                    "stream": "buzz-events",
                    "condition": "any refused write in a minute",
                    "notifies": alarm.topic_arn,
                })
            )
        );
    }
}
