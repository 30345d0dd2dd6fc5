//! The alarm on refused writes (`--alarm-email` / `--alarm-topic`): a CloudWatch alarm on the
//! stream's `WriteProvisionedThroughputExceeded` that notifies an SNS topic, and, unless the
//! user gave their own topic, that topic (tagged, encrypted with the customer-managed key when
//! one is given) with the email subscriptions. Setup never removes a subscription or changes a
//! topic it did not make; teardown removes only the alarm and topic setup made.
//!
//! An add-on of the AWS half (`parts::add_on`): [`Alarm`] is what the registration names, and
//! its fragments reach the exports through `parts::stack_parts()`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::add_on::{AddOn, AddOnPlanCx};
use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{cfn_resource, cfn_tags, managed_tags, tf_tags, tf_with_skips, Planned, Row, Skip};
use super::{Teardown, CFN_STREAM, SETUP_AGAIN, TF_STREAM};
use crate::hcl::{Block, Hcl};
use crate::iam;
use crate::names::KmsKey;
use crate::state::{alarm, is_managed, AlarmState, TopicState, MANAGED_BY};

/// The topic's and the alarm's logical ids in CloudFormation.
pub(crate) const CFN_TOPIC_ID: &str = "BuzzAlarmTopic";
pub(crate) const CFN_ALARM_ID: &str = "BuzzRefusedWritesAlarm";

/// The alarm on the stream's refused writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DesiredAlarm {
    pub name: String,
    /// The topic it notifies: the user's (`--alarm-topic`), or ours, named after the stream.
    pub topic_arn: String,
    /// `Some(name)` when setup makes (and owns) the topic.
    pub own_topic: Option<String>,
    pub emails: Vec<crate::names::Email>,
}

/// What a change to the alarm or its topic is applied with: the stream it watches, and the
/// alarm the run wants (its name, the topic it notifies).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlarmCx<'a> {
    pub stream: &'a str,
    pub alarm: &'a DesiredAlarm,
}

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

impl super::Change for AlarmAction {
    /// Whether the action makes the alarm or its topic (drawn `+`, and the alarm's outcome
    /// `created`). A new subscription on a topic that exists is a change.
    fn is_create(&self) -> bool {
        match self {
            AlarmAction::CreateTopic { .. } => true,
            AlarmAction::PutAlarm { before, .. } => before.is_none(),
            AlarmAction::SubscribeEmail { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
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

    /// The plan's line.
    fn describe(&self) -> String {
        match self {
            AlarmAction::CreateTopic {
                name,
                kms_key: Some(k),
                ..
            } => format!("create SNS topic {name} for the alarm, encrypted with {k}"),
            AlarmAction::CreateTopic { name, .. } => {
                format!("create SNS topic {name} for the alarm")
            }
            AlarmAction::SubscribeEmail { email } => {
                format!("subscribe {email} to the alarm's topic (the address must confirm)")
            }
            AlarmAction::PutAlarm { before: None, .. } => {
                "create the alarm: any write Kinesis refuses in a minute notifies the topic".into()
            }
            AlarmAction::PutAlarm {
                before: Some(_), ..
            } => "correct the alarm (metric, threshold, period or topic)".into(),
        }
    }
}

/// The alarm's plan: our topic made when missing (`key`: the customer-managed key it is
/// encrypted with), each address not yet subscribed added (compared without case), and the
/// alarm put when missing or not as setup makes it. `alarm` and `topic`: what exists.
pub(crate) fn plan(
    want: &DesiredAlarm,
    stream: &str,
    key: Option<&KmsKey>,
    alarm: Option<&AlarmState>,
    topic: Option<&TopicState>,
) -> Planned<AlarmAction> {
    let mut p = Planned::default();
    if let Some(name) = &want.own_topic {
        if topic.is_none() {
            p.actions.push(AlarmAction::CreateTopic {
                name: name.clone(),
                tags: managed_tags(),
                kms_key: key.map(KmsKey::to_string),
            });
            p.notes.push(match key {
                // Setup does not rewrite a key policy it does not own (PutKeyPolicy replaces
                // the whole policy), so it says what the policy must allow.
                Some(k) => format!(
                    "the alarm's topic is encrypted with {k}: that key's policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (statement: {}), or the alarm cannot notify",
                    iam::cloudwatch_key_statement()
                ),
                None => "the alarm's topic is not encrypted: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key, and the topic carries alarm notifications only, no student records (pass --kms-key with a customer-managed key to encrypt it with that key)".into(),
            });
        }
    }
    let subscribed: Vec<&str> = topic
        .map(|t| t.emails.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut subscribes = false;
    for email in &want.emails {
        if !subscribed
            .iter()
            .any(|s| s.eq_ignore_ascii_case(email.as_str()))
        {
            p.actions.push(AlarmAction::SubscribeEmail {
                email: email.as_str().to_owned(),
            });
            subscribes = true;
        }
    }
    if subscribes {
        p.notes.push("each new address gets a mail from AWS Notifications and must confirm the subscription before alarms reach it".into());
    }
    let after = alarm_json(&want.name, stream, &want.topic_arn);
    let before = alarm.map(|x| {
        alarm_json(
            &x.name,
            stream,
            x.actions.first().map(String::as_str).unwrap_or(""),
        )
    });
    let satisfied = alarm.is_some_and(|x| {
        x.metric == alarm::METRIC
            && x.threshold == 0.0
            && x.period == alarm::PERIOD
            && x.actions == [want.topic_arn.clone()]
    });
    if !satisfied {
        p.actions.push(AlarmAction::PutAlarm { before, after });
    }
    p
}

/// The alarm as the plan shows it.
fn alarm_json(name: &str, stream: &str, topic: &str) -> Value {
    json!({
        "name": name,
        "metric": alarm::METRIC,
        "stream": stream,
        "condition": "any refused write in a minute",
        "notifies": topic,
    })
}

/// Check's `alarm` row: missing (a failure when asked for with `--alarm-*`, else a
/// suggestion), firing, or watching.
pub(crate) fn row(found: Option<&AlarmState>, asked: bool, stream: &str) -> Row {
    let name = alarm::name(stream);
    match found {
        None if asked => Row::Fail(format!("there is no alarm {name} on refused writes"), SETUP_AGAIN.into()),
        None => Row::Warn(
            "no alarm tells anyone when Kinesis refuses Buzz's writes (events lost)".into(),
            "`buzz-kinesis setup --alarm-email you@example.edu` adds one (the address confirms a mail from AWS)".into(),
        ),
        Some(a) if a.state == "ALARM" => Row::Fail(
            format!("the alarm {} is in ALARM: Kinesis refused writes in its last minute", a.name),
            "see stream.refused for the capacity the peak needs".into(),
        ),
        Some(a) => Row::Pass(
            format!("the alarm {} watches for refused writes ({})", a.name, if a.state.is_empty() { "no state yet" } else { a.state.as_str() }),
        ),
    }
}

/// The alarm's and its topic's removals, as teardown's plan shows them and teardown applies
/// them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum AlarmRemoval {
    /// The alarm on refused writes that setup made.
    DeleteAlarm { name: String },
    /// The topic setup made for the alarm, with its subscriptions.
    DeleteTopic { arn: String },
}

impl super::Gone for AlarmRemoval {
    fn describe(&self) -> String {
        match self {
            AlarmRemoval::DeleteAlarm { name } => format!("delete the alarm {name}"),
            AlarmRemoval::DeleteTopic { arn } => {
                format!("delete the alarm's SNS topic {arn} and its subscriptions")
            }
        }
    }
}

/// What teardown does with the alarm and the topic it found: only what setup made (tagged)
/// goes, whatever else shares a name.
pub(crate) fn teardown(
    alarm: Option<&AlarmState>,
    topic: Option<&TopicState>,
) -> Planned<AlarmRemoval> {
    let mut p = super::torn(
        teardown_alarm(alarm.map(|a| (a.name.as_str(), is_managed(&a.tags)))),
        alarm.map(|a| AlarmRemoval::DeleteAlarm {
            name: a.name.clone(),
        }),
    );
    let t = super::torn(
        teardown_topic(topic.map(|t| (t.arn.as_str(), is_managed(&t.tags)))),
        topic.map(|t| AlarmRemoval::DeleteTopic { arn: t.arn.clone() }),
    );
    p.actions.extend(t.actions);
    p.notes.extend(t.notes);
    p
}

/// What teardown does with the alarm it found (its name, and whether setup made it: tagged),
/// whatever else shares its name.
fn teardown_alarm(found: Option<(&str, bool)>) -> Teardown {
    match found {
        Some((_, true)) => Teardown::Remove,
        Some((name, false)) => Teardown::Keep(format!(
            "the alarm {name} was not made by buzz-kinesis (no tag {}={}); it stays",
            MANAGED_BY.0, MANAGED_BY.1
        )),
        None => Teardown::Nothing,
    }
}

/// What teardown does with the alarm's topic it found (its ARN, and whether setup made it):
/// ours goes with its subscriptions, the user's (`--alarm-topic`) stays.
fn teardown_topic(found: Option<(&str, bool)>) -> Teardown {
    match found {
        Some((_, true)) => Teardown::Remove,
        Some((arn, false)) => Teardown::Keep(format!(
            "the SNS topic {arn} was not made by buzz-kinesis; it stays"
        )),
        None => Teardown::Nothing,
    }
}

/// What the alarm's template fragments are written from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlarmExport<'a> {
    pub stream: &'a str,
    /// The tags every resource carries.
    pub tags: &'a BTreeMap<String, String>,
    /// `--alarm-email`: subscribed to the topic the template makes.
    pub emails: &'a [String],
    /// `--alarm-topic`: the user's topic; `None`: the template makes one, named as setup names
    /// it.
    pub topic_arn: Option<&'a str>,
    /// The customer-managed key the topic the template makes is encrypted with.
    pub key: Option<&'a KmsKey>,
}

/// The alarm's description in the templates.
const ALARM_HELP: &str = "Kinesis refused writes to the stream: Buzz does not retry beyond its SDK, so events were most likely lost. Raise the stream's capacity.";

/// The alarm topic stays unencrypted (checkov CKV_AWS_26).
const TOPIC_UNENCRYPTED_REASON: &str = "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key (alias/aws/sns), whose key policy does not admit CloudWatch. The topic carries alarm notifications only (the alarm's name and state), no student records. Pass --kms-key with a customer-managed key to encrypt the topic with it.";

/// What the key policy of a customer-managed key must allow for the encrypted alarm topic.
const TOPIC_KEY_HELP: &str = "The statement the key policy of the customer-managed key must hold so that CloudWatch alarms can publish to the alarm topic encrypted with it (a template cannot change the policy of a key it does not make).";

/// The checks the topic the template makes does not meet, with their reasons: unencrypted
/// without a customer-managed key (`key`).
pub(crate) fn skips(key: Option<&KmsKey>) -> Vec<Skip> {
    match key {
        Some(_) => Vec::new(),
        None => vec![Skip {
            id: "CKV_AWS_26",
            reason: TOPIC_UNENCRYPTED_REASON.into(),
        }],
    }
}

/// The alarm, and (unless the user has one) its topic with the email subscriptions, encrypted
/// with the customer-managed key when one is given (with the key policy statement CloudWatch
/// then needs as an output), else unencrypted with the reason.
pub(crate) fn cloudformation(x: &AlarmExport) -> CfnFragment {
    let mut f = CfnFragment::default();
    let action = match x.topic_arn {
        Some(arn) => json!(arn),
        None => {
            let mut properties = json!({
                "TopicName": alarm::topic_name(x.stream),
                "Subscription": x.emails.iter().map(|e| json!({"Endpoint": e, "Protocol": "email"})).collect::<Vec<_>>(),
                "Tags": cfn_tags(x.tags),
            });
            if let Some(key) = x.key {
                properties["KmsMasterKeyId"] = json!(key.as_str());
                f.outputs.push((
                    "AlarmTopicKeyPolicyStatement".into(),
                    json!({
                        "Description": TOPIC_KEY_HELP,
                        "Value": iam::cloudwatch_key_statement().to_string(),
                    }),
                ));
            }
            f.resources.push((
                CFN_TOPIC_ID,
                cfn_resource(
                    json!({"Type": "AWS::SNS::Topic", "Properties": properties}),
                    &skips(x.key),
                ),
            ));
            json!({"Ref": CFN_TOPIC_ID})
        }
    };
    f.resources.push((
        CFN_ALARM_ID,
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": alarm::name(x.stream),
                "AlarmDescription": ALARM_HELP,
                "Namespace": "AWS/Kinesis",
                "MetricName": alarm::METRIC,
                "Dimensions": [{"Name": "StreamName", "Value": {"Ref": CFN_STREAM}}],
                "Statistic": "Sum",
                "Period": alarm::PERIOD,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [action],
            },
        }),
    ));
    f
}

/// The alarm, and (unless the user has one) its topic and subscriptions, as Terraform blocks
/// in file order; with a customer-managed key, the key policy statement as an output last.
pub(crate) fn terraform(x: &AlarmExport) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut key_output = None;
    let action = match x.topic_arn {
        Some(arn) => Hcl::str(arn),
        None => {
            let topic = tf_with_skips(
                Block::new("resource", &["aws_sns_topic", "buzz_alarms"]),
                &skips(x.key),
            )
            .attr("name", Hcl::str(alarm::topic_name(x.stream)));
            let topic = match x.key {
                Some(key) => {
                    key_output = Some(
                        Block::new("output", &["alarm_topic_key_policy_statement"])
                            .attr("description", Hcl::str(TOPIC_KEY_HELP))
                            .attr(
                                "value",
                                Hcl::Call(
                                    "jsonencode",
                                    Box::new(Hcl::from_json(&iam::cloudwatch_key_statement(), &[])),
                                ),
                            ),
                    );
                    topic.attr("kms_master_key_id", Hcl::str(key.as_str()))
                }
                None => topic,
            };
            blocks.push(topic.attr("tags", tf_tags(x.tags)));
            for (i, email) in x.emails.iter().enumerate() {
                let label = format!("buzz_alarm_{i}");
                blocks.push(
                    Block::new("resource", &["aws_sns_topic_subscription", label.as_str()])
                        .attr("topic_arn", Hcl::expr("aws_sns_topic.buzz_alarms.arn"))
                        .attr("protocol", Hcl::str("email"))
                        .attr("endpoint", Hcl::str(email.as_str())),
                );
            }
            Hcl::expr("aws_sns_topic.buzz_alarms.arn")
        }
    };
    blocks.push(
        Block::new(
            "resource",
            &["aws_cloudwatch_metric_alarm", "buzz_refused_writes"],
        )
        .attr("alarm_name", Hcl::str(alarm::name(x.stream)))
        .attr("alarm_description", Hcl::str(ALARM_HELP))
        .attr("namespace", Hcl::str("AWS/Kinesis"))
        .attr("metric_name", Hcl::str(alarm::METRIC))
        .attr(
            "dimensions",
            Hcl::Object(vec![(
                "StreamName".into(),
                Hcl::expr(format!("{TF_STREAM}.name")),
            )]),
        )
        .attr("statistic", Hcl::str("Sum"))
        .attr("period", Hcl::expr(alarm::PERIOD.to_string()))
        .attr("evaluation_periods", Hcl::expr("1"))
        .attr("threshold", Hcl::expr("0"))
        .attr("comparison_operator", Hcl::str("GreaterThanThreshold"))
        .attr("treat_missing_data", Hcl::str("notBreaching"))
        .attr("alarm_actions", Hcl::List(vec![action]))
        .attr("tags", tf_tags(x.tags)),
    );
    blocks.extend(key_output);
    blocks
}

/// The alarm in the exports: nothing without `--alarm-email` / `--alarm-topic`.
pub(crate) struct Alarm;

/// What the alarm's fragments are written from: the customer-managed key, when one is given,
/// encrypts the topic the template makes.
fn export<'a>(b: &'a Blueprint, a: &'a super::stack::BlueprintAlarm) -> AlarmExport<'a> {
    AlarmExport {
        stream: &b.stream,
        tags: &b.tags,
        emails: &a.emails,
        topic_arn: a.topic_arn.as_deref(),
        key: b.encryption.customer_key(),
    }
}

impl StackPart for Alarm {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        b.alarm
            .as_ref()
            .map(|a| cloudformation(&export(b, a)))
            .unwrap_or_default()
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        b.alarm
            .as_ref()
            .map(|a| terraform(&export(b, a)))
            .unwrap_or_default()
    }
}

/// What setup's read, or teardown's, found of the alarm and of the topic it notifies.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct AlarmFound {
    pub alarm: Option<AlarmState>,
    pub topic: Option<TopicState>,
}

impl AddOn for Alarm {
    type Desired = DesiredAlarm;
    type Found = AlarmFound;
    type Left = AlarmFound;
    type Action = AlarmAction;
    type Removal = AlarmRemoval;

    /// `alarm NAME`.
    fn name(&self, want: Option<&DesiredAlarm>) -> String {
        want.map_or_else(
            || "alarm (none asked for)".into(),
            |a| format!("alarm {}", a.name),
        )
    }

    fn plan<E>(
        &self,
        want: &DesiredAlarm,
        cx: &AddOnPlanCx<'_>,
        found: &AlarmFound,
    ) -> Result<Planned<AlarmAction>, E> {
        Ok(plan(
            want,
            cx.stream,
            cx.key,
            found.alarm.as_ref(),
            found.topic.as_ref(),
        ))
    }

    fn teardown(&self, _: &super::TeardownCx, left: &AlarmFound) -> Planned<AlarmRemoval> {
        teardown(left.alarm.as_ref(), left.topic.as_ref())
    }
}

#[cfg(test)]
mod tests;
