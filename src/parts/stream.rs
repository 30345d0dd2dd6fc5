//! The stream Buzz writes to: what setup wants of it ([`DesiredStream`]), its changes
//! ([`StreamAction`]) and its plan (create it, or converge the one that exists: retention,
//! encryption, capacity, tags; never delete it, never lower retention or shards unless asked),
//! what teardown does with it (kept with its records unless `--delete-stream`), and how the
//! exports make it (its capacity, retention, key and tags, and the scanner checks it does not
//! meet, with their reasons). `plan` puts its plan into the whole one (`plan/stream.rs`, with
//! the tests of the whole plan's stream); its check rows are [`rows()`]'s (`stream/rows.rs`), and
//! `aws/kinesis.rs` reads, changes and removes it.

mod rows;

pub(crate) use rows::rows;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{cfn_resource, cfn_tags, missing_tags, tag_map, tf_tags, tf_with_skips};
use super::{Gone, Planned, Skip};
use crate::hcl::{Block, Hcl};
use crate::names::{Encryption, KmsKey, RetentionHours, Tag};
use crate::sizing::Capacity;
use crate::state::{ResolvedKey, StreamState, StreamStatus};

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

/// The stream, beyond its name.
#[derive(Debug, Clone)]
pub(crate) struct DesiredStream {
    pub capacity: Capacity,
    /// The user named a capacity (`--capacity-mode`): an existing stream is converged to it.
    /// Otherwise the default never changes a stream that exists.
    pub capacity_given: bool,
    /// Lowering a provisioned stream's shard count can lose events: only with
    /// `--allow-capacity-decrease`.
    pub allow_capacity_decrease: bool,
    pub retention: RetentionHours,
    pub allow_retention_decrease: bool,
    /// `--kms-key`, `--no-encryption`, or the default (the AWS-managed key for a new stream).
    pub encryption: Encryption,
    /// The key the stream has (as read), or will have once the plan is applied, resolved to its
    /// ARN (`kms:DescribeKey`): the roles' grants follow it, not the flags. `None`: unencrypted.
    pub key: Option<ResolvedKey>,
    pub tags: Vec<Tag>,
    /// The expected peak load, when the user gave one: the plan says whether it fits.
    pub load: Option<crate::sizing::Load>,
    /// The busiest minute CloudWatch saw on an existing stream (dry-run and the wizard read it),
    /// with the window it covers.
    pub measured: Option<(crate::metrics::Peak, String)>,
}

/// The stream's encryption at rest once the plan is applied: the key, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct AtRest {
    pub kms_key: Option<String>,
    /// A customer-managed key's ARN, which the roles' grants name (`kms_key` may be an alias).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl std::fmt::Display for AtRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.kms_key, &self.reason) {
            (Some(k), _) => match &self.key_arn {
                Some(arn) if arn != k => write!(f, "encrypted at rest with {k} ({arn})"),
                _ => write!(f, "encrypted at rest with {k}"),
            },
            (None, Some(why)) => write!(f, "not encrypted at rest ({why})"),
            (None, None) => f.write_str("not encrypted at rest"),
        }
    }
}

/// The stream's plan: its actions in order, what the user should know, the changes asked for
/// that setup does not make without a further flag (each also a note), and its encryption at
/// rest once applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct StreamPlan {
    pub actions: Vec<StreamAction>,
    pub notes: Vec<String>,
    pub declined: Vec<String>,
    pub at_rest: Option<AtRest>,
}

/// Why the stream cannot be planned as asked (the plan names the stream).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamRefusal {
    /// It is being deleted.
    Deleting,
    /// `--kms-key` names another key than the one it is encrypted with.
    KeyDiffers {
        /// Its key, as named and resolved.
        have: String,
        /// `--kms-key`.
        want: String,
    },
}

/// One change to the stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum StreamAction {
    CreateStream {
        capacity: Capacity,
    },
    IncreaseRetention {
        from: RetentionHours,
        to: RetentionHours,
    },
    DecreaseRetention {
        from: RetentionHours,
        to: RetentionHours,
    },
    StartEncryption {
        from: Option<String>,
        to: String,
    },
    TagStream {
        tags: BTreeMap<String, String>,
    },
    /// Switch an existing stream between on-demand and provisioned (a provisioned stream keeps
    /// its shard count; `UpdateShardCount` steps follow when another is wanted).
    UpdateStreamMode {
        from: Capacity,
        to: Capacity,
    },
    /// One step of a shard count change: AWS takes at most double or half per call.
    UpdateShardCount {
        from: u32,
        to: u32,
    },
}

impl StreamAction {
    /// Whether the stream is CREATING or UPDATING for a while after the action (everything but
    /// tagging), so the next change waits for ACTIVE.
    pub(crate) fn leaves_stream_busy(&self) -> bool {
        !matches!(self, StreamAction::TagStream { .. })
    }
}

impl crate::parts::Change for StreamAction {
    /// Whether the action makes the stream (drawn `+`, and the stream's outcome `created`).
    fn is_create(&self) -> bool {
        match self {
            StreamAction::CreateStream { .. } => true,
            StreamAction::IncreaseRetention { .. }
            | StreamAction::DecreaseRetention { .. }
            | StreamAction::StartEncryption { .. }
            | StreamAction::TagStream { .. }
            | StreamAction::UpdateStreamMode { .. }
            | StreamAction::UpdateShardCount { .. } => false,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        match self {
            StreamAction::CreateStream { capacity } => {
                (Value::Null, json!({ "capacity": capacity }))
            }
            StreamAction::IncreaseRetention { from, to }
            | StreamAction::DecreaseRetention { from, to } => (
                json!({"retention_hours": from}),
                json!({"retention_hours": to}),
            ),
            StreamAction::StartEncryption { from, to } => {
                (json!({"kms_key": from}), json!({"kms_key": to}))
            }
            StreamAction::TagStream { tags } => (Value::Null, json!({ "tags": tags })),
            StreamAction::UpdateStreamMode { from, to } => {
                (json!({"capacity": from}), json!({"capacity": to}))
            }
            StreamAction::UpdateShardCount { from, to } => {
                (json!({"open_shards": from}), json!({"open_shards": to}))
            }
        }
    }

    /// The plan's line.
    fn describe(&self) -> String {
        match self {
            StreamAction::CreateStream { capacity } => format!("create stream ({capacity})"),
            StreamAction::IncreaseRetention { from, to } => {
                format!("raise retention {} h -> {} h", from.get(), to.get())
            }
            StreamAction::DecreaseRetention { from, to } => format!(
                "lower retention {} h -> {} h (deletes older records)",
                from.get(),
                to.get()
            ),
            StreamAction::StartEncryption { from, to } => match from {
                Some(f) => format!("change encryption key {f} -> {to}"),
                None if to == KmsKey::AWS_MANAGED => {
                    format!("start encryption with {to} (the AWS-managed key)")
                }
                None => format!("start encryption with {to}"),
            },
            StreamAction::UpdateStreamMode { from, to } => {
                format!("switch capacity {from} -> {to}")
            }
            StreamAction::UpdateShardCount { from, to } => format!(
                "{} open shards {from} -> {to} (UpdateShardCount, uniform scaling)",
                if to > from { "raise" } else { "lower" }
            ),
            StreamAction::TagStream { tags } => crate::parts::add_tags(tags),
        }
    }
}

fn note(p: &mut StreamPlan, message: String) {
    p.notes.push(message);
}

/// Whether the stream (as it will be) takes the expected load; a note when it does not.
fn plan_capacity(d: &DesiredStream, observed: Option<&StreamState>, p: &mut StreamPlan) {
    let Some(load) = d.load else { return };
    let (capacity, shards) = match observed {
        Some(s) => (s.capacity.unwrap_or(d.capacity), s.open_shards),
        None => (d.capacity, 0),
    };
    let (fits, message) = crate::sizing::fits(capacity, shards, load);
    if !fits {
        let advice = crate::sizing::advise(load);
        note(p, format!("{message}; use {advice}"));
    }
}

/// The stream's plan: create it, or converge the one that exists (retention, encryption,
/// capacity, tags), or why it cannot be planned as asked. Never deletes, never lowers retention
/// or shards unless asked.
pub(crate) fn plan(
    d: &DesiredStream,
    observed: Option<&StreamState>,
) -> Result<StreamPlan, StreamRefusal> {
    let mut p = StreamPlan::default();
    plan_into(d, observed, &mut p)?;
    Ok(p)
}

fn plan_into(
    d: &DesiredStream,
    observed: Option<&StreamState>,
    p: &mut StreamPlan,
) -> Result<(), StreamRefusal> {
    plan_capacity(d, observed, p);
    let Some(s) = observed else {
        p.actions.push(StreamAction::CreateStream {
            capacity: d.capacity,
        });
        // Tagged first: a run interrupted after this finds the stream marked as ours, and so
        // finishes its encryption (an unmarked unencrypted stream is left as it is).
        p.actions.push(StreamAction::TagStream {
            tags: tag_map(&d.tags, true),
        });
        if d.retention > RetentionHours::DEFAULT {
            p.actions.push(StreamAction::IncreaseRetention {
                from: RetentionHours::DEFAULT,
                to: d.retention,
            });
        }
        match d.encryption.new_stream_key() {
            Some(k) => p.actions.push(StreamAction::StartEncryption {
                from: None,
                to: k.to_string(),
            }),
            None => note(p, Encryption::OFF_REASON.to_owned()),
        }
        p.at_rest = Some(at_rest(d, None, true));
        return Ok(());
    };
    if s.status == StreamStatus::Deleting {
        return Err(StreamRefusal::Deleting);
    }
    plan_existing_capacity(d, s, p);
    if d.retention > s.retention {
        p.actions.push(StreamAction::IncreaseRetention {
            from: s.retention,
            to: d.retention,
        });
    } else if d.retention < s.retention {
        if d.allow_retention_decrease {
            p.actions.push(StreamAction::DecreaseRetention {
                from: s.retention,
                to: d.retention,
            });
        } else {
            note(p, format!(
                "retention stays at {} h (requested {} h): lowering it deletes older records, so setup only does that with --allow-retention-decrease",
                s.retention.get(),
                d.retention.get()
            ));
        }
    }
    p.at_rest = Some(at_rest(d, Some(s.kms_key.as_deref()), s.is_managed()));
    match (&d.encryption, &s.kms_key) {
        // Another key than the stream's: refused, never re-keyed under Buzz's writes.
        (Encryption::Key(k), Some(have)) if !same_key(k, have, d.key.as_ref()) => {
            return Err(StreamRefusal::KeyDiffers {
                have: d
                    .key
                    .as_ref()
                    .map_or_else(|| have.clone(), ResolvedKey::describe),
                want: k.to_string(),
            });
        }
        (Encryption::Key(k), None) => {
            p.actions.push(StreamAction::StartEncryption {
                from: None,
                to: k.to_string(),
            });
        }
        // A stream this tool made follows its default (one whose first run was interrupted,
        // or made before encryption was the default): a planned action, shown in the plan.
        (Encryption::Default, None) if s.is_managed() => {
            p.actions.push(StreamAction::StartEncryption {
                from: None,
                to: KmsKey::AWS_MANAGED.to_owned(),
            });
        }
        // Anyone else's stream changes encryption only when asked, but never silently.
        (Encryption::Default, None) => note(
            p,
            format!(
                "the stream is not encrypted at rest and setup leaves it so; --kms-key {} starts encryption without downtime (Buzz's writer role needs no extra permission for it)",
                KmsKey::AWS_MANAGED
            ),
        ),
        (Encryption::Off, None) => note(p, Encryption::OFF_REASON.to_owned()),
        (Encryption::Off, Some(have)) => note(
            p,
            format!("the stream stays encrypted with {have}: setup never turns encryption off"),
        ),
        _ => {}
    }
    let tags = missing_tags(&tag_map(&d.tags, false), &s.tags);
    if !tags.is_empty() {
        p.actions.push(StreamAction::TagStream { tags });
    }
    Ok(())
}

/// Whether the stream's key `have` is the one `--kms-key` names: by ARN when the read step
/// resolved it (an alias and its key's ARN agree), else by name.
fn same_key(want: &KmsKey, have: &str, resolved: Option<&ResolvedKey>) -> bool {
    match resolved {
        Some(r) => r.is(want),
        None => have == want.as_str(),
    }
}

/// Which key the read step resolves (`kms:DescribeKey`) for the roles' grants: the stream's
/// own when it is encrypted, whatever the flags say; else the key this run would start
/// (`--kms-key`, or the AWS-managed key for a new stream or an unencrypted one of ours).
/// `None`: the stream is, and stays, unencrypted.
pub(crate) fn key_to_resolve(want: &Encryption, stream: Option<&StreamState>) -> Option<String> {
    match stream {
        Some(s) => match (&s.kms_key, want) {
            (Some(have), _) => Some(have.clone()),
            (None, Encryption::Key(k)) => Some(k.to_string()),
            (None, Encryption::Default) if s.is_managed() => Some(KmsKey::AWS_MANAGED.into()),
            (None, _) => None,
        },
        None => want.new_stream_key().map(|k| k.to_string()),
    }
}

/// Which key the roles may use and why, when it is a customer-managed one: the plan names it
/// with its ARN, since the grants do.
pub(crate) fn key_note(
    d: &DesiredStream,
    s: Option<&StreamState>,
    archive: bool,
) -> Option<String> {
    let key = d.key.as_ref()?;
    key.grant_arn()?;
    let source = match s.and_then(|s| s.kms_key.as_ref()) {
        Some(_) => "the stream is encrypted with",
        None => "the stream will be encrypted with (--kms-key)",
    };
    let firehose = if archive {
        ", and Firehose's role to read it (kms:Decrypt)"
    } else {
        ""
    };
    Some(format!(
        "{source} {}: the writer role may use it to write (kms:GenerateDataKey){firehose}; the grants name the key's ARN",
        key.describe()
    ))
}

/// The stream's encryption once the plan is applied; `existing`: the key of the stream that
/// exists (`Some(None)`: it exists unencrypted); `managed`: this tool made it.
fn at_rest(d: &DesiredStream, existing: Option<Option<&str>>, managed: bool) -> AtRest {
    let key_arn = d
        .key
        .as_ref()
        .and_then(ResolvedKey::grant_arn)
        .map(str::to_owned);
    let (kms_key, reason) = match (&d.encryption, existing) {
        (Encryption::Key(k), _) => (Some(k.to_string()), None),
        (_, Some(Some(have))) => (Some(have.to_owned()), None),
        (Encryption::Default, None) => (Some(KmsKey::AWS_MANAGED.to_owned()), None),
        (Encryption::Default, Some(None)) if managed => {
            (Some(KmsKey::AWS_MANAGED.to_owned()), None)
        }
        (Encryption::Off, _) => (None, Some("--no-encryption".to_owned())),
        (Encryption::Default, Some(None)) => (
            None,
            Some(format!(
                "an existing stream; --kms-key {} starts encryption",
                KmsKey::AWS_MANAGED
            )),
        ),
    };
    AtRest {
        kms_key,
        key_arn,
        reason,
    }
}

/// The shard counts to pass through from `from` to `to`, one `UpdateShardCount` call each:
/// AWS takes at most double the open shards, and at least half, per call.
pub(crate) fn shard_steps(from: u32, to: u32) -> Vec<u32> {
    let mut steps = Vec::new();
    let mut at = from.max(1);
    while at != to {
        at = if to > at {
            to.min(at.saturating_mul(2))
        } else {
            to.max(at.div_ceil(2))
        };
        steps.push(at);
    }
    steps
}

/// An existing stream's capacity, converged to what the user named (never to the default):
/// a mode switch, then shard count steps. Lowering a provisioned stream's shards needs
/// `--allow-capacity-decrease`; the measured peak is shown beside the capacity.
fn plan_existing_capacity(d: &DesiredStream, s: &StreamState, p: &mut StreamPlan) {
    let Some(have) = s.capacity else { return };
    if let Some((peak, window)) = &d.measured {
        let (records, bytes) = crate::sizing::limits(have, s.open_shards);
        note(
            p,
            format!(
                "busiest minute of the last {window}: {:.0} records/s and {:.0} KB/s{}, against {have} ({:.0} records/s, {:.0} KB/s): {:.0} % used",
                peak.records_per_second,
                peak.bytes_per_second / 1000.0,
                if peak.demand_per_second > peak.records_per_second {
                    format!(" ({:.0} records/s with the refused ones)", peak.demand_per_second)
                } else {
                    String::new()
                },
                records,
                bytes / 1000.0,
                100.0 * crate::metrics::utilisation(peak, records, bytes)
            ),
        );
    }
    if have == d.capacity {
        return;
    }
    if !d.capacity_given {
        return note(p, format!(
            "the stream exists as {have}; setup keeps it (pass --capacity-mode, and --shards, to change it)"
        ));
    }
    let open = s.open_shards.max(1);
    match (have, d.capacity) {
        (Capacity::Provisioned(_), Capacity::OnDemand) => {
            p.actions.push(StreamAction::UpdateStreamMode {
                from: have,
                to: Capacity::OnDemand,
            });
        }
        (Capacity::OnDemand, Capacity::Provisioned(n)) => {
            // Provisioned mode starts with the shards the on-demand stream has open.
            if n.get() < open {
                if !d.allow_capacity_decrease {
                    // The switch alone keeps `open` shards; fewer is a decrease like any other.
                    return decline(p, format!(
                        "the stream stays on-demand (requested provisioned with {} shard(s)): it has {open} open shards and scales beyond them, and fewer shards take fewer events (Buzz's events beyond capacity are lost), so setup only does that with --allow-capacity-decrease (or pass --shards {open} or more)",
                        n.get()
                    ));
                }
                note(p, format!(
                    "the on-demand stream has {open} open shards and scales beyond them; provisioned with {} shard(s) takes {} records/s and {} MB/s, and Buzz's events beyond that are lost",
                    n.get(),
                    n.get() * 1000,
                    n.get()
                ));
            }
            p.actions.push(StreamAction::UpdateStreamMode {
                from: have,
                to: Capacity::Provisioned(n),
            });
            push_shard_steps(open, n.get(), p);
        }
        (Capacity::Provisioned(_), Capacity::Provisioned(n)) => {
            if n.get() < open && !d.allow_capacity_decrease {
                return decline(p, format!(
                    "the stream keeps its {open} shards (requested {}): fewer shards take fewer events, and Buzz's events beyond capacity are lost, so setup only lowers it with --allow-capacity-decrease",
                    n.get()
                ));
            }
            push_shard_steps(open, n.get(), p);
        }
        (Capacity::OnDemand, Capacity::OnDemand) => {}
    }
}

/// A change asked for and not made: a note, and the plan's `declined`.
fn decline(p: &mut StreamPlan, message: String) {
    p.declined.push(message.clone());
    note(p, message);
}

fn push_shard_steps(from: u32, to: u32, p: &mut StreamPlan) {
    let mut at = from;
    for step in shard_steps(from, to) {
        p.actions
            .push(StreamAction::UpdateShardCount { from: at, to: step });
        at = step;
    }
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

#[cfg(test)]
mod tests;
