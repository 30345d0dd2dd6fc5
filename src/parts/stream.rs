//! The stream Buzz writes to: what teardown does with it (kept with its records unless
//! `--delete-stream`), and how the exports make it (its capacity, retention, key and tags, and
//! the scanner checks it does not meet, with their reasons). (Its plan is still
//! `plan/stream.rs`'s, its check rows `checks/stream.rs`'s.)

use serde_json::{json, Map};

use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{cfn_resource, cfn_tags, tf_tags, tf_with_skips, Gone, Planned, Skip};
use crate::hcl::{Block, Hcl};
use crate::names::{Encryption, KmsKey};
use crate::sizing::Capacity;
use crate::state::{StreamState, StreamStatus};

/// The stream's logical id in CloudFormation and its resource address in Terraform.
pub(crate) const CFN_ID: &str = "BuzzStream";
pub(crate) const TF_ID: &str = "aws_kinesis_stream.buzz";

/// The stream uses the AWS-managed key (checkov CKV_AWS_185, Terraform only).
const AWS_MANAGED_KEY_REASON: &str = "Encrypted with the AWS-managed key alias/aws/kinesis, the default: Buzz's writer role needs no KMS grant for it and there is no key policy to keep. Pass --kms-key with a customer-managed key's ARN to use your own key.";

pub(crate) struct Stream;

/// The stream's removal, as teardown's plan shows it and teardown applies it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum StreamRemoval {
    /// Deletes every record in the stream.
    DeleteStream { stream: String, arn: String },
}

impl Gone for StreamRemoval {
    fn describe(&self) -> String {
        let StreamRemoval::DeleteStream { stream, .. } = self;
        format!("DELETE stream {stream} and every record in it")
    }
}

/// What teardown does with the stream it found: it stays with its records unless `delete`
/// (`--delete-stream`), whoever made it (a stream setup reused is said so).
pub(crate) fn teardown(
    name: &str,
    found: Option<&StreamState>,
    delete: bool,
) -> Planned<StreamRemoval> {
    let mut p = Planned::default();
    match found {
        Some(s) if s.status == StreamStatus::Deleting => p
            .notes
            .push(format!("stream {name} is already being deleted")),
        Some(s) if delete => {
            if !s.is_managed() {
                p.notes.push(format!(
                    "stream {name} was not created by buzz-kinesis (setup reused it); it is deleted because --delete-stream was given"
                ));
            }
            p.actions.push(StreamRemoval::DeleteStream {
                stream: name.to_owned(),
                arn: s.arn.clone(),
            });
        }
        Some(_) => p.notes.push(format!(
            "stream {name} stays, with its records (pass --delete-stream to delete it)"
        )),
        None => {}
    }
    p
}

/// The key the stream is made with; `None` with `--no-encryption`.
fn key(b: &Blueprint) -> Option<KmsKey> {
    b.encryption.new_stream_key()
}

/// The checks the stream does not meet, with their reasons.
pub(crate) fn skips(b: &Blueprint) -> Vec<Skip> {
    match key(b) {
        None => vec![
            Skip {
                id: "CKV_AWS_43",
                reason: Encryption::OFF_REASON.into(),
            },
            Skip {
                id: "CKV_AWS_185",
                reason: Encryption::OFF_REASON.into(),
            },
        ],
        Some(k) if !k.is_customer_managed() => vec![Skip {
            id: "CKV_AWS_185",
            reason: AWS_MANAGED_KEY_REASON.into(),
        }],
        Some(_) => Vec::new(),
    }
}

impl StackPart for Stream {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        let mut stream = Map::new();
        stream.insert("Name".into(), json!(b.stream));
        match b.capacity {
            Capacity::OnDemand => {
                stream.insert(
                    "StreamModeDetails".into(),
                    json!({"StreamMode": "ON_DEMAND"}),
                );
            }
            Capacity::Provisioned(n) => {
                stream.insert(
                    "StreamModeDetails".into(),
                    json!({"StreamMode": "PROVISIONED"}),
                );
                stream.insert("ShardCount".into(), json!(n.get()));
            }
        }
        stream.insert("RetentionPeriodHours".into(), json!(b.retention.get()));
        if let Some(k) = key(b) {
            stream.insert(
                "StreamEncryption".into(),
                json!({"EncryptionType": "KMS", "KeyId": k.as_str()}),
            );
        }
        stream.insert("Tags".into(), cfn_tags(&b.tags));
        CfnFragment {
            resources: vec![(
                CFN_ID,
                cfn_resource(
                    json!({
                        "Type": "AWS::Kinesis::Stream",
                        // Like the tool, which deletes a stream only when asked twice: deleting
                        // the stack keeps the stream and its records.
                        "DeletionPolicy": "Retain",
                        "UpdateReplacePolicy": "Retain",
                        "Properties": stream,
                    }),
                    &skips(b),
                ),
            )],
            outputs: Vec::new(),
        }
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        let mut s = tf_with_skips(
            Block::new("resource", &["aws_kinesis_stream", "buzz"]),
            &skips(b),
        )
        .attr("name", Hcl::str(b.stream.as_str()))
        .attr("retention_period", Hcl::expr(b.retention.get().to_string()));
        let mode = match b.capacity {
            Capacity::OnDemand => "ON_DEMAND",
            Capacity::Provisioned(n) => {
                s = s.attr("shard_count", Hcl::expr(n.get().to_string()));
                "PROVISIONED"
            }
        };
        if let Some(k) = key(b) {
            s = s
                .attr("encryption_type", Hcl::str("KMS"))
                .attr("kms_key_id", Hcl::str(k.as_str()));
        }
        vec![s
            .attr("tags", tf_tags(&b.tags))
            .block(Block::new("stream_mode_details", &[]).attr("stream_mode", Hcl::str(mode)))
            // Like the tool, which deletes a stream only when asked twice.
            .block(Block::new("lifecycle", &[]).attr("prevent_destroy", Hcl::Bool(true)))]
    }
}
