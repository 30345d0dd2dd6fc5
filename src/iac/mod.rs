//! Infrastructure-as-code templates of what `setup` builds, for teams that manage AWS in a
//! repository: a CloudFormation template (JSON) and a Terraform configuration (HCL). Both hold
//! the stream, the role Agilix assumes (12-hour sessions) with its trust and inline policy, and
//! outputs with the ARNs and the `SetDataStreamConfiguration` request to send to Buzz. The
//! documents come from [`crate::policy`] and the request from [`crate::buzz::wire`], so a
//! template can never drift from what setup applies. Pure: no I/O.
//!
//! `cloudformation` and `terraform` are the two templates; `hcl` is a small HCL writer that
//! knows nothing of them.

mod cloudformation;
mod hcl;
mod terraform;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::handover::Handover;
use crate::names::{EventFilter, KmsKey, RetentionHours};
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

/// What a template describes: the values setup would use.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub stream: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    pub kms_key: Option<KmsKey>,
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

impl Blueprint {
    /// The permission policy, its stream (and key) as given by `stream_arn`.
    fn permission(&self) -> Value {
        let key = self
            .kms_key
            .as_ref()
            .filter(|k| k.is_customer_managed())
            .map(KmsKey::as_str);
        policy::write_policy_via(STREAM_ARN, key, KINESIS_SERVICE)
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
            kms_key: None,
            tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
            role: "BuzzKinesisWriter".into(),
            trust: policy::trust_policy(&agilix, None),
            title: "Kinesis: ${not} %{a} \"ref\"".into(),
            events: vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()],
            domain: Some("424242".into()),
            alarm: None,
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

    #[test]
    fn provisioned_encrypted_streams_carry_shards_and_key() {
        let mut b = blueprint();
        b.capacity = Capacity::Provisioned(ShardCount::parse("--shards", "3").unwrap());
        b.kms_key = Some(
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
}
