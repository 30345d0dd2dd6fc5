//! The parts as the exports write them: what a template describes ([`Blueprint`]) and the
//! fragment each part gives ([`StackPart`]). The parts are listed in `super::stack_parts()`, which the
//! exports assemble: `iac` keeps only the template's frame (its header, its parameter, its
//! provider); every resource and output comes from a part.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::archive::Archive;
use crate::buzz::wire::OurTarget;
use crate::hcl::Block;
use crate::names::{Encryption, EventFilter, RetentionHours};
use crate::sizing::Capacity;

/// What a template describes: the values setup would use.
#[derive(Debug, Clone)]
pub(crate) struct Blueprint {
    pub stream: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    /// The template makes the stream, so the default is the AWS-managed key.
    pub encryption: Encryption,
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
    /// `--archive-bucket`: the archive in S3 through Firehose, with its Glue table.
    pub archive: Option<Archive>,
}

/// The alarm on the stream's refused writes, and whom it notifies.
#[derive(Debug, Clone)]
pub(crate) struct BlueprintAlarm {
    pub emails: Vec<String>,
    /// An existing topic; `None`: the template makes one, named as setup names it.
    pub topic_arn: Option<String>,
}

/// A part's CloudFormation fragment: resources and outputs, by logical id, in template order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CfnFragment {
    pub resources: Vec<(&'static str, Value)>,
    pub outputs: Vec<(String, Value)>,
}

/// What a part adds to the writer role's policy in a template (an add-on Buzz delivers to):
/// IAM statements written with stand-ins (`parts::STREAM_ARN`, or the part's own for what the
/// template makes of it), and how each dialect writes each stand-in of the part's own.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct WriterGrant {
    pub statements: Vec<Value>,
    pub refs: Vec<StandIn>,
}

/// A part's stand-in, as each dialect writes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StandIn {
    pub stand_in: &'static str,
    /// Its CloudFormation value (`{"Fn::GetAtt": [LOGICAL_ID, "Arn"]}`).
    pub cloudformation: Value,
    /// Its Terraform expression (`aws_sqs_queue.buzz.arn`).
    pub terraform: String,
}

impl StandIn {
    /// Its CloudFormation value inside an `Fn::Sub` string: `${ID.Attr}` for a `Fn::GetAtt`,
    /// `${ID}` for a `Ref`, a plain string as it is.
    pub(crate) fn cfn_sub(&self) -> String {
        let v = &self.cloudformation;
        if let Some([id, attr]) = v
            .get("Fn::GetAtt")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return format!(
                "${{{}.{}}}",
                id.as_str().unwrap_or_default(),
                attr.as_str().unwrap_or_default()
            );
        }
        if let Some(id) = v.get("Ref").and_then(Value::as_str) {
            return format!("${{{id}}}");
        }
        v.as_str().unwrap_or_default().to_owned()
    }
}

/// A target Buzz delivers to in a part, in the template's `SetDataStreamConfiguration`
/// request beside ours: written with the stand-ins it is given for the writer role's ARN and
/// the region, and its own (`refs`) for what the template makes of it.
#[derive(Debug, Clone)]
pub(crate) struct TemplateTarget {
    pub target: Arc<dyn OurTarget>,
    pub refs: Vec<StandIn>,
}

/// A part of what the exports write: its fragment in each dialect, from the blueprint (empty
/// when the blueprint does not ask for it: no alarm, no archive).
pub(crate) trait StackPart: Sync {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment;
    /// Its Terraform blocks (resources, then its outputs), in file order.
    fn terraform(&self, b: &Blueprint) -> Vec<Block>;
    /// What the writer role must also allow in the template for Buzz to deliver to this part
    /// (Buzz assumes that one role for every target; the template's writer role carries it
    /// after the stream's statements). Nothing by default: Buzz writes only to the stream.
    fn writer_grant(&self, _b: &Blueprint) -> WriterGrant {
        WriterGrant::default()
    }
    /// The target Buzz delivers to in this part, for the template's request (`role_arn` and
    /// `region`: the stand-ins the Buzz target's outputs replace). None by default: Buzz
    /// delivers only to the stream.
    fn buzz_target(
        &self,
        _b: &Blueprint,
        _role_arn: &str,
        _region: &str,
    ) -> Option<TemplateTarget> {
        None
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
