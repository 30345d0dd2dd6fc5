//! What the exports' tests share: a plain template's blueprint, and a toy template part Buzz
//! delivers to (a queue), which grants the writer role its statement and asks Buzz for its
//! target, each with its own stand-in.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{Blueprint, CfnFragment, StackPart, StandIn, TemplateTarget, WriterGrant};
use crate::buzz::wire::OurTarget;
use crate::hcl::Block;
use crate::names::{Encryption, RetentionHours};
use crate::sizing::Capacity;

/// The stream `buzz-events`, on demand, no key, no alarm, no archive, every event.
pub(crate) fn blueprint() -> Blueprint {
    Blueprint {
        stream: "buzz-events".into(),
        capacity: Capacity::OnDemand,
        retention: RetentionHours::DEFAULT,
        encryption: Encryption::Default,
        tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
        role: "BuzzKinesisWriter".into(),
        trust: json!({"Version": "2012-10-17", "Statement": []}),
        title: "Kinesis".into(),
        events: Vec::new(),
        domain: None,
        alarm: None,
        archive: None,
    }
}

/// Terraform blocks as the file reads them.
pub(crate) fn hcl(blocks: Vec<Block>) -> String {
    let mut out = String::new();
    for b in blocks {
        b.write(&mut out, 0);
    }
    out
}

/// The toy queue's ARN and URL in a template: stand-ins each dialect replaces.
pub(crate) const QUEUE_ARN: &str = "\u{1}toy_queue_arn\u{1}";
pub(crate) const QUEUE_URL: &str = "\u{1}toy_queue_url\u{1}";

/// A queue the template makes and Buzz delivers to.
pub(crate) struct ToyQueue;

impl StackPart for ToyQueue {
    fn cloudformation(&self, _: &Blueprint) -> CfnFragment {
        CfnFragment::default()
    }

    fn terraform(&self, _: &Blueprint) -> Vec<Block> {
        Vec::new()
    }

    fn writer_grant(&self, _: &Blueprint) -> WriterGrant {
        WriterGrant {
            statements: vec![json!({"Sid": "BuzzDeliversToToyQueue", "Effect": "Allow",
                "Action": "sqs:SendMessage", "Resource": QUEUE_ARN})],
            refs: vec![StandIn {
                stand_in: QUEUE_ARN,
                cloudformation: json!({"Fn::GetAtt": ["ToyQueue", "Arn"]}),
                terraform: "aws_sqs_queue.toy.arn".into(),
            }],
        }
    }

    fn buzz_target(&self, _: &Blueprint, role_arn: &str, _region: &str) -> Option<TemplateTarget> {
        Some(TemplateTarget {
            target: Arc::new(QueueTarget {
                role_arn: role_arn.into(),
            }),
            refs: vec![StandIn {
                stand_in: QUEUE_URL,
                cloudformation: json!({"Fn::GetAtt": ["ToyQueue", "QueueUrl"]}),
                terraform: "aws_sqs_queue.toy.url".into(),
            }],
        })
    }
}

/// The toy queue's target as the template writes it: its URL and the role Buzz assumes.
#[derive(Debug)]
struct QueueTarget {
    role_arn: String,
}

impl OurTarget for QueueTarget {
    fn key(&self) -> &'static str {
        "sqs"
    }
    fn is_ours(&self, saved: &Value) -> bool {
        saved.get("targetSqsQueue") == Some(&json!(QUEUE_URL))
    }
    fn to_json(&self, _: Option<&Value>) -> Value {
        json!({"targetSqsQueue": QUEUE_URL, "roleArn": self.role_arn})
    }
    fn is_satisfied_by(&self, _: &Value) -> bool {
        true
    }
    fn describe(&self) -> String {
        "the toy queue".into()
    }
}
