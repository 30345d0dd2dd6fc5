//! The template's request with a target an add-on asks Buzz to deliver to
//! (`StackPart::buzz_target`): beside ours, enabled, every stand-in written as each dialect
//! refers to it. No part is one today, so a toy queue plays it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::super::{cfn_fragment, tf_blocks, Target};
use crate::buzz::wire::OurTarget;
use crate::hcl::Block;
use crate::names::{Encryption, RetentionHours};
use crate::parts::stack::{Blueprint, CfnFragment, StackPart, StandIn, TemplateTarget};
use crate::sizing::Capacity;

const QUEUE: &str = "\u{1}toy_queue_url\u{1}";

/// The queue's target as the template writes it: its URL and the role Buzz assumes, both
/// stand-ins.
#[derive(Debug)]
struct QueueTarget {
    role_arn: String,
}

impl OurTarget for QueueTarget {
    fn key(&self) -> &'static str {
        "sqs"
    }
    fn is_ours(&self, saved: &Value) -> bool {
        saved.get("targetSqsQueue") == Some(&json!(QUEUE))
    }
    fn to_json(&self, _: Option<&Value>) -> Value {
        json!({"targetSqsQueue": QUEUE, "roleArn": self.role_arn})
    }
    fn is_satisfied_by(&self, _: &Value) -> bool {
        true
    }
    fn describe(&self) -> String {
        "the toy queue".into()
    }
}

struct ToyQueue;

impl StackPart for ToyQueue {
    fn cloudformation(&self, _: &Blueprint) -> CfnFragment {
        CfnFragment::default()
    }
    fn terraform(&self, _: &Blueprint) -> Vec<Block> {
        Vec::new()
    }
    fn buzz_target(&self, _: &Blueprint, role_arn: &str, _region: &str) -> Option<TemplateTarget> {
        Some(TemplateTarget {
            target: Arc::new(QueueTarget {
                role_arn: role_arn.into(),
            }),
            refs: vec![StandIn {
                stand_in: QUEUE,
                cloudformation: json!({"Fn::GetAtt": ["ToyQueue", "QueueUrl"]}),
                terraform: "aws_sqs_queue.toy.url".into(),
            }],
        })
    }
}

fn blueprint() -> Blueprint {
    Blueprint {
        stream: "buzz-events".into(),
        capacity: Capacity::OnDemand,
        retention: RetentionHours::DEFAULT,
        encryption: Encryption::Default,
        tags: BTreeMap::new(),
        role: "BuzzKinesisWriter".into(),
        trust: json!({"Version": "2012-10-17", "Statement": []}),
        title: "Kinesis".into(),
        events: Vec::new(),
        domain: None,
        alarm: None,
        archive: None,
    }
}

/// The `Fn::Sub` string of the CloudFormation request output.
fn cfn_request(parts: &[&dyn StackPart]) -> String {
    let f = cfn_fragment(&blueprint(), parts);
    let (_, out) = f
        .outputs
        .iter()
        .find(|(name, _)| name == "SetDataStreamConfiguration")
        .unwrap();
    out["Value"]["Fn::Sub"].as_str().unwrap().to_owned()
}

fn tf(parts: &[&dyn StackPart]) -> String {
    let mut out = String::new();
    for b in tf_blocks(&blueprint(), parts) {
        b.write(&mut out, 0);
    }
    out
}

#[test]
fn cloudformation_asks_buzz_for_what_a_part_adds_beside_ours() {
    let alone = cfn_request(&[]);
    assert!(!alone.contains("sqs"), "{alone}");
    let with = cfn_request(&[&ToyQueue]);
    assert!(
        with.contains(r#""sqs":[{"targetSqsQueue":"${ToyQueue.QueueUrl}","roleArn":"${BuzzWriterRole.Arn}","enabled":true}]"#),
        "{with}"
    );
    // Ours is still there, as alone.
    assert!(with.contains(r#""kinesis":[{"#), "{with}");
    assert!(!with.contains('\u{1}'), "a stand-in left: {with}");
    // Every part of a real template: no part adds a target today.
    let every: Vec<&dyn StackPart> = crate::parts::stack_parts().collect();
    assert_eq!(cfn_request(&every), alone);
    assert_eq!(
        Target.cloudformation(&blueprint()),
        cfn_fragment(&blueprint(), &[])
    );
}

#[test]
fn terraform_asks_buzz_for_what_a_part_adds_beside_ours() {
    let alone = tf(&[]);
    assert!(!alone.contains("sqs"), "{alone}");
    let with = tf(&[&ToyQueue]);
    assert!(
        with.contains("targetSqsQueue = aws_sqs_queue.toy.url"),
        "{with}"
    );
    assert!(
        with.contains("roleArn        = aws_iam_role.buzz.arn"),
        "{with}"
    );
    assert!(!with.contains('\u{1}'), "a stand-in left: {with}");
    let mut real = String::new();
    for b in Target.terraform(&blueprint()) {
        b.write(&mut real, 0);
    }
    assert_eq!(real, alone);
}

/// A `Fn::GetAtt`, a `Ref` and a plain value, each as it reads inside an `Fn::Sub` string.
#[test]
fn a_stand_in_reads_in_fn_sub_as_its_reference() {
    let sub = |v: Value| {
        StandIn {
            stand_in: QUEUE,
            cloudformation: v,
            terraform: String::new(),
        }
        .cfn_sub()
    };
    assert_eq!(sub(json!({"Fn::GetAtt": ["Q", "Arn"]})), "${Q.Arn}");
    assert_eq!(sub(json!({"Ref": "Q"})), "${Q}");
    assert_eq!(sub(json!("plain")), "plain");
}
