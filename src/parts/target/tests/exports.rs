//! The template's request with a target an add-on asks Buzz to deliver to
//! (`StackPart::buzz_target`): beside ours, enabled, every stand-in written as each dialect
//! refers to it. No part is one today, so a toy queue plays it (`stack::fixtures`).

use super::super::{cfn_fragment, tf_blocks, Target};
use crate::parts::stack::fixtures::{blueprint, hcl, ToyQueue};
use crate::parts::stack::{StackPart, StandIn};
use serde_json::{json, Value};

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
    hcl(tf_blocks(&blueprint(), parts))
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
    assert_eq!(hcl(Target.terraform(&blueprint())), alone);
}

/// A `Fn::GetAtt`, a `Ref` and a plain value, each as it reads inside an `Fn::Sub` string.
#[test]
fn a_stand_in_reads_in_fn_sub_as_its_reference() {
    let sub = |v: Value| {
        StandIn {
            stand_in: "",
            cloudformation: v,
            terraform: String::new(),
        }
        .cfn_sub()
    };
    assert_eq!(sub(json!({"Fn::GetAtt": ["Q", "Arn"]})), "${Q.Arn}");
    assert_eq!(sub(json!({"Ref": "Q"})), "${Q}");
    assert_eq!(sub(json!("plain")), "plain");
}
