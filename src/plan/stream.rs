//! The stream's plan: create it, or converge an existing one (retention, encryption, capacity,
//! tags). Never deletes, never lowers retention or shards unless asked.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{missing_tags, tag_map, AtRest, Blocked, DesiredStream, Note, Plan};
use crate::names::{Encryption, KmsKey, RetentionHours};
use crate::sizing::Capacity;
use crate::state::{ResolvedKey, Resource, StreamState, StreamStatus};

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

fn note(p: &mut Plan, message: String) {
    p.notes.push(Note {
        resource: Resource::Stream,
        message,
    });
}

/// Whether the stream (as it will be) takes the expected load; a note when it does not.
fn plan_capacity(d: &DesiredStream, observed: Option<&StreamState>, p: &mut Plan) {
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

pub(super) fn plan_stream(
    name: &str,
    d: &DesiredStream,
    observed: Option<&StreamState>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    plan_capacity(d, observed, p);
    let Some(s) = observed else {
        p.stream.push(StreamAction::CreateStream {
            capacity: d.capacity,
        });
        // Tagged first: a run interrupted after this finds the stream marked as ours, and so
        // finishes its encryption (an unmarked unencrypted stream is left as it is).
        p.stream.push(StreamAction::TagStream {
            tags: tag_map(&d.tags, true),
        });
        if d.retention > RetentionHours::DEFAULT {
            p.stream.push(StreamAction::IncreaseRetention {
                from: RetentionHours::DEFAULT,
                to: d.retention,
            });
        }
        match d.encryption.new_stream_key() {
            Some(k) => p.stream.push(StreamAction::StartEncryption {
                from: None,
                to: k.to_string(),
            }),
            None => note(p, Encryption::OFF_REASON.to_owned()),
        }
        p.encryption = Some(at_rest(d, None, true));
        return Ok(());
    };
    if s.status == StreamStatus::Deleting {
        return Err(Blocked::StreamDeleting {
            stream: name.to_owned(),
        });
    }
    plan_existing_capacity(d, s, p);
    if d.retention > s.retention {
        p.stream.push(StreamAction::IncreaseRetention {
            from: s.retention,
            to: d.retention,
        });
    } else if d.retention < s.retention {
        if d.allow_retention_decrease {
            p.stream.push(StreamAction::DecreaseRetention {
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
    p.encryption = Some(at_rest(d, Some(s.kms_key.as_deref()), s.is_managed()));
    match (&d.encryption, &s.kms_key) {
        // Another key than the stream's: refused, never re-keyed under Buzz's writes.
        (Encryption::Key(k), Some(have)) if !same_key(k, have, d.key.as_ref()) => {
            return Err(Blocked::KeyDiffers {
                stream: name.to_owned(),
                have: d
                    .key
                    .as_ref()
                    .map_or_else(|| have.clone(), ResolvedKey::describe),
                want: k.to_string(),
            });
        }
        (Encryption::Key(k), None) => {
            p.stream.push(StreamAction::StartEncryption {
                from: None,
                to: k.to_string(),
            });
        }
        // A stream this tool made follows its default (one whose first run was interrupted,
        // or made before encryption was the default): a planned action, shown in the plan.
        (Encryption::Default, None) if s.is_managed() => {
            p.stream.push(StreamAction::StartEncryption {
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
        p.stream.push(StreamAction::TagStream { tags });
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
pub(super) fn key_note(d: &DesiredStream, s: Option<&StreamState>, archive: bool) -> Option<Note> {
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
    Some(Note {
        resource: Resource::Stream,
        message: format!(
            "{source} {}: the writer role may use it to write (kms:GenerateDataKey){firehose}; the grants name the key's ARN",
            key.describe()
        ),
    })
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
fn plan_existing_capacity(d: &DesiredStream, s: &StreamState, p: &mut Plan) {
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
            p.stream.push(StreamAction::UpdateStreamMode {
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
            p.stream.push(StreamAction::UpdateStreamMode {
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
fn decline(p: &mut Plan, message: String) {
    p.declined.push(message.clone());
    note(p, message);
}

fn push_shard_steps(from: u32, to: u32, p: &mut Plan) {
    let mut at = from;
    for step in shard_steps(from, to) {
        p.stream
            .push(StreamAction::UpdateShardCount { from: at, to: step });
        at = step;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{converged, desired, kinds};
    use super::super::{plan, Blocked, Observed, Plan};
    use super::*;
    use crate::names::{KmsKey, ShardCount};

    #[test]
    fn an_existing_streams_encryption_changes_only_when_asked_and_never_silently() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().kms_key = None;
        // Ours (tagged), unencrypted: a run interrupted before encrypting it, finished.
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["start_encryption"]);
        assert_eq!(
            p.encryption.unwrap().kms_key.as_deref(),
            Some(KmsKey::AWS_MANAGED),
            "the summary says how it will be"
        );
        // Someone else's, unencrypted, no flag: left as it is, with the flag that encrypts it.
        a.stream.as_mut().unwrap().tags.clear();
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert!(
            p.notes
                .iter()
                .any(|n| n.message.contains("not encrypted at rest")
                    && n.message.contains(
                        "--kms-key alias/aws/kinesis starts encryption without downtime"
                    )),
            "{:?}",
            p.notes
        );
        assert_eq!(p.encryption.as_ref().unwrap().kms_key, None);
        // Asked: encrypted in place; once it is, nothing more.
        d.stream_mut().encryption =
            Encryption::Key(KmsKey::parse("x", KmsKey::AWS_MANAGED).unwrap());
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["start_encryption"]);
        a.stream.as_mut().unwrap().kms_key = Some(KmsKey::AWS_MANAGED.into());
        assert!(plan(&d, &a).unwrap().is_empty());
        // --no-encryption on someone else's unencrypted stream: left so, and said why.
        a.stream.as_mut().unwrap().kms_key = None;
        d.stream_mut().encryption = Encryption::Off;
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty());
        assert!(p.notes.iter().any(|n| n.message == Encryption::OFF_REASON));
        // --no-encryption on a new stream: no encryption, and the plan says why.
        d.stream_mut().encryption = Encryption::Off;
        let p = plan(&d, &Observed::default()).unwrap();
        assert!(!kinds(&p).contains(&"start_encryption".to_owned()));
        assert!(p.notes.iter().any(|n| n.message == Encryption::OFF_REASON));
        assert_eq!(
            p.encryption.unwrap().reason.as_deref(),
            Some("--no-encryption")
        );
        // ... and never decrypts a stream that is encrypted.
        let encrypted = converged(&d);
        let p = plan(&d, &encrypted).unwrap();
        assert!(p.is_empty());
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("never turns encryption off")));
    }

    const DISTRICT: &str = "arn:aws:kms:us-east-1:123456789012:key/district";

    fn district() -> ResolvedKey {
        ResolvedKey {
            named: "alias/district-data".into(),
            arn: Some(DISTRICT.into()),
            aws_managed: false,
        }
    }

    #[test]
    fn the_key_resolved_is_the_streams_own_else_the_one_this_run_starts() {
        let d = desired();
        let mut s = converged(&d).stream.unwrap();
        let cmk = Encryption::Key(KmsKey::parse("--kms-key", DISTRICT).unwrap());
        let resolve = |want: &Encryption, s: Option<&StreamState>| key_to_resolve(want, s);
        // The stream's key wins over every flag.
        s.kms_key = Some("alias/district-data".into());
        for want in [Encryption::Default, Encryption::Off, cmk.clone()] {
            assert_eq!(
                resolve(&want, Some(&s)).as_deref(),
                Some("alias/district-data")
            );
        }
        // An unencrypted stream: the key this run starts.
        s.kms_key = None;
        assert_eq!(resolve(&cmk, Some(&s)).as_deref(), Some(DISTRICT));
        assert_eq!(
            resolve(&Encryption::Default, Some(&s)).as_deref(),
            Some(KmsKey::AWS_MANAGED),
            "ours: encrypted with the default"
        );
        assert_eq!(resolve(&Encryption::Off, Some(&s)), None);
        s.tags.clear();
        assert_eq!(
            resolve(&Encryption::Default, Some(&s)),
            None,
            "someone else's stays"
        );
        // A new stream.
        assert_eq!(resolve(&cmk, None).as_deref(), Some(DISTRICT));
        assert_eq!(
            resolve(&Encryption::Default, None).as_deref(),
            Some(KmsKey::AWS_MANAGED)
        );
        assert_eq!(resolve(&Encryption::Off, None), None);
    }

    #[test]
    fn another_key_than_the_streams_is_refused_and_its_own_by_any_name_is_not() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().kms_key = Some("alias/district-data".into());
        d.stream_mut().key = Some(district());
        // Its key's ARN names the alias's key: nothing to do.
        d.stream_mut().encryption = Encryption::Key(KmsKey::parse("--kms-key", DISTRICT).unwrap());
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty(), "{p:?}");
        // Another key: refused, both named.
        let other = "arn:aws:kms:us-east-1:123456789012:key/other";
        d.stream_mut().encryption = Encryption::Key(KmsKey::parse("--kms-key", other).unwrap());
        assert_eq!(
            plan(&d, &a).unwrap_err(),
            Blocked::KeyDiffers {
                stream: "buzz-events".into(),
                have: format!("alias/district-data ({DISTRICT})"),
                want: other.into(),
            }
        );
        // The AWS-managed key asked of a stream under the district's: refused too.
        d.stream_mut().encryption =
            Encryption::Key(KmsKey::parse("--kms-key", KmsKey::AWS_MANAGED).unwrap());
        assert!(matches!(plan(&d, &a), Err(Blocked::KeyDiffers { .. })));
        // Unresolved: compared by name.
        d.stream_mut().key = None;
        d.stream_mut().encryption = Encryption::Key(KmsKey::parse("--kms-key", DISTRICT).unwrap());
        match plan(&d, &a).unwrap_err() {
            Blocked::KeyDiffers { have, .. } => assert_eq!(have, "alias/district-data"),
            other => panic!("{other:?}"),
        }
        a.stream.as_mut().unwrap().kms_key = Some(DISTRICT.into());
        assert!(plan(&d, &a).unwrap().is_empty());
        // An unencrypted stream takes the key asked for.
        a.stream.as_mut().unwrap().kms_key = None;
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            p.stream,
            [StreamAction::StartEncryption {
                from: None,
                to: DISTRICT.into()
            }]
        );
    }

    #[test]
    fn the_plan_names_the_key_the_roles_may_use_and_why() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().kms_key = Some("alias/district-data".into());
        d.stream_mut().key = Some(district());
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty(), "a note, no change: {p:?}");
        let at_rest = p.encryption.clone().unwrap();
        assert_eq!(at_rest.kms_key.as_deref(), Some("alias/district-data"));
        assert_eq!(at_rest.key_arn.as_deref(), Some(DISTRICT));
        assert_eq!(
            at_rest.to_string(),
            format!("encrypted at rest with alias/district-data ({DISTRICT})")
        );
        assert_eq!(
            serde_json::to_value(&at_rest).unwrap(),
            serde_json::json!({"kms_key": "alias/district-data", "key_arn": DISTRICT})
        );
        let said = |p: &Plan| -> Vec<String> {
            p.notes
                .iter()
                .filter(|n| n.message.contains("kms:GenerateDataKey"))
                .map(|n| n.message.clone())
                .collect()
        };
        assert_eq!(
            said(&p),
            [format!("the stream is encrypted with alias/district-data ({DISTRICT}): the writer role may use it to write (kms:GenerateDataKey); the grants name the key's ARN")]
        );
        // With the archive, Firehose's role is named too.
        let mut archived = d.clone();
        archived.aws_mut().archive = Some(crate::plan::archive::tests::desired(Some(DISTRICT)));
        let note = key_note(
            &archived.aws.as_ref().unwrap().stream,
            a.stream.as_ref(),
            true,
        );
        assert!(note
            .unwrap()
            .message
            .contains("(kms:GenerateDataKey), and Firehose's role to read it (kms:Decrypt);"),);
        // A new stream with --kms-key: the key it will have.
        let new = key_note(&d.aws.as_ref().unwrap().stream, None, false).unwrap();
        assert!(
            new.message
                .starts_with("the stream will be encrypted with (--kms-key) alias/district-data"),
            "{}",
            new.message
        );
        // The AWS-managed key, or none: nothing to grant, nothing said.
        d.stream_mut().key = ResolvedKey::known(KmsKey::AWS_MANAGED);
        assert!(key_note(&d.aws.as_ref().unwrap().stream, a.stream.as_ref(), true).is_none());
        d.stream_mut().key = None;
        assert!(key_note(&d.aws.as_ref().unwrap().stream, a.stream.as_ref(), true).is_none());
        // Named by its ARN: said once.
        let by_arn = AtRest {
            kms_key: Some(DISTRICT.into()),
            key_arn: Some(DISTRICT.into()),
            reason: None,
        };
        assert_eq!(
            by_arn.to_string(),
            format!("encrypted at rest with {DISTRICT}")
        );
    }

    #[test]
    fn retention_is_never_lowered_unless_asked() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().retention = RetentionHours::parse("x", "48").unwrap();
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty());
        assert!(p.notes[0].message.contains("--allow-retention-decrease"));
        d.stream_mut().allow_retention_decrease = true;
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["decrease_retention"]);
        d.stream_mut().retention = RetentionHours::parse("x", "72").unwrap();
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["increase_retention"]);
    }

    #[test]
    fn a_load_beyond_capacity_is_noted_with_advice() {
        let mut d = desired();
        d.stream_mut().capacity = Capacity::Provisioned(ShardCount::parse("x", "1").unwrap());
        d.stream_mut().load = Some(crate::sizing::Load {
            events_per_second: 5_000.0,
            avg_event_bytes: 500.0,
        });
        let p = plan(&d, &Observed::default()).unwrap();
        assert!(
            p.notes.iter().any(|n| n.message.contains("8 shards")),
            "{:?}",
            p.notes
        );
        d.stream_mut().load = Some(crate::sizing::Load {
            events_per_second: 100.0,
            avg_event_bytes: 500.0,
        });
        assert!(plan(&d, &Observed::default()).unwrap().notes.is_empty());
    }

    #[test]
    fn a_new_stream_with_options_gets_each_follow_up() {
        let mut d = desired();
        d.stream_mut().retention = RetentionHours::parse("x", "168").unwrap();
        d.stream_mut().encryption =
            Encryption::Key(KmsKey::parse("x", "alias/aws/kinesis").unwrap());
        d.buzz = None;
        let p = plan(&d, &Observed::default()).unwrap();
        assert_eq!(
            kinds(&p),
            [
                "create_stream",
                "tag_stream",
                "increase_retention",
                "start_encryption",
                "create_role",
                "put_policy"
            ]
        );
    }

    fn provisioned(n: u32) -> Capacity {
        Capacity::Provisioned(ShardCount::parse("--shards", &n.to_string()).unwrap())
    }

    #[test]
    fn shard_changes_take_as_many_steps_as_doubling_and_halving_need() {
        assert_eq!(shard_steps(1, 3), vec![2, 3]);
        assert_eq!(shard_steps(4, 1), vec![2, 1]);
        assert_eq!(shard_steps(3, 1), vec![2, 1]);
        assert_eq!(shard_steps(1, 8), vec![2, 4, 8]);
        assert_eq!(shard_steps(5, 5), Vec::<u32>::new());
    }

    #[test]
    fn capacity_converges_only_when_named_and_lowering_needs_the_flag() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().capacity = Some(provisioned(1));
        a.stream.as_mut().unwrap().open_shards = 1;
        // The default (on-demand) never changes an existing stream.
        let p = plan(&d, &a).unwrap();
        assert!(p.stream.is_empty());
        assert!(p.notes.iter().any(|n| n.message.contains("setup keeps it")));

        d.stream_mut().capacity_given = true;
        d.stream_mut().capacity = provisioned(3);
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            p.stream,
            vec![
                StreamAction::UpdateShardCount { from: 1, to: 2 },
                StreamAction::UpdateShardCount { from: 2, to: 3 }
            ]
        );

        a.stream.as_mut().unwrap().capacity = Some(provisioned(4));
        a.stream.as_mut().unwrap().open_shards = 4;
        d.stream_mut().capacity = provisioned(1);
        let p = plan(&d, &a).unwrap();
        assert!(p.stream.is_empty(), "refused without the flag");
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("--allow-capacity-decrease")));
        assert_eq!(p.declined.len(), 1, "reported as not done");
        d.stream_mut().allow_capacity_decrease = true;
        let p = plan(&d, &a).unwrap();
        assert_eq!(p.stream.len(), 2);
        assert!(p.declined.is_empty());

        // Mode switches both ways; provisioned starts from the on-demand stream's shards.
        d.stream_mut().capacity = Capacity::OnDemand;
        let p = plan(&d, &a).unwrap();
        assert!(matches!(
            p.stream[0],
            StreamAction::UpdateStreamMode {
                to: Capacity::OnDemand,
                ..
            }
        ));
        a.stream.as_mut().unwrap().capacity = Some(Capacity::OnDemand);
        d.stream_mut().capacity = provisioned(2);
        assert_eq!(
            plan(&d, &a).unwrap().stream,
            vec![
                StreamAction::UpdateStreamMode {
                    from: Capacity::OnDemand,
                    to: provisioned(2)
                },
                StreamAction::UpdateShardCount { from: 4, to: 2 }
            ]
        );
    }

    #[test]
    fn on_demand_to_fewer_provisioned_shards_needs_the_decrease_flag() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().open_shards = 4;
        d.stream_mut().capacity_given = true;
        d.stream_mut().capacity = provisioned(2);
        let p = plan(&d, &a).unwrap();
        assert!(p.stream.is_empty());
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("--allow-capacity-decrease")));
        assert!(
            p.declined[0].contains("stays on-demand"),
            "{:?}",
            p.declined
        );
        // As many shards as are open (or more): a switch, no decrease.
        d.stream_mut().capacity = provisioned(4);
        let p = plan(&d, &a).unwrap();
        assert_eq!(p.stream.len(), 1);
        assert!(p.declined.is_empty());
        d.stream_mut().capacity = provisioned(2);
        d.stream_mut().allow_capacity_decrease = true;
        assert_eq!(plan(&d, &a).unwrap().stream.len(), 2);
    }

    /// A create that met a stream made meanwhile plans it as an existing stream: no second
    /// create, its retention raised as asked, and a stream being deleted refused.
    #[test]
    fn a_stream_that_appeared_meanwhile_is_planned_as_an_existing_one() {
        let mut d = desired();
        d.stream_mut().retention = RetentionHours::parse("x", "48").unwrap();
        let appeared = converged(&d).stream.unwrap();
        let want = &d.aws.as_ref().unwrap().stream;
        let again = super::super::replan_stream(&d.stream, want, Some(&appeared)).unwrap();
        assert_eq!(
            again.stream,
            [StreamAction::IncreaseRetention {
                from: RetentionHours::DEFAULT,
                to: RetentionHours::parse("x", "48").unwrap(),
            }]
        );
        let deleting = StreamState {
            status: StreamStatus::Deleting,
            ..appeared
        };
        assert_eq!(
            super::super::replan_stream(&d.stream, want, Some(&deleting)).unwrap_err(),
            Blocked::StreamDeleting {
                stream: "buzz-events".into()
            }
        );
    }

    /// Every stream change but tagging leaves the stream CREATING or UPDATING, so the next
    /// change (and Buzz's test) waits for ACTIVE; a tag does not.
    #[test]
    fn only_tagging_leaves_the_stream_active() {
        let p = plan(&desired(), &Observed::default()).unwrap();
        let busy: Vec<bool> = p
            .stream
            .iter()
            .map(StreamAction::leaves_stream_busy)
            .collect();
        assert_eq!(
            busy,
            [true, false, true],
            "create, tag, start encryption: {:?}",
            p.stream
        );
    }

    /// Retention the stream already has is no change, even with the decrease allowed: no
    /// action and no note about it.
    #[test]
    fn the_same_retention_is_no_change() {
        let mut d = desired();
        d.stream_mut().allow_retention_decrease = true;
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert!(
            !p.notes.iter().any(|n| n.message.contains("retention")),
            "{:?}",
            p.notes
        );
        d.stream_mut().allow_retention_decrease = false;
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(!p.notes.iter().any(|n| n.message.contains("retention")));
    }

    /// A provisioned stream that already has the shards asked for is no change, and nothing
    /// is said about keeping them.
    #[test]
    fn the_same_shard_count_is_no_change() {
        let mut d = desired();
        d.stream_mut().capacity_given = true;
        d.stream_mut().capacity = provisioned(3);
        let mut a = converged(&d);
        let s = a.stream.as_mut().unwrap();
        s.capacity = Some(provisioned(3));
        s.open_shards = 3;
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert!(
            !p.notes.iter().any(|n| n.message.contains("shards")),
            "{:?}",
            p.notes
        );
        // Mid-resharding the declared count can trail the open shards: 3 open is what was
        // asked, so nothing is planned and nothing is said about keeping them.
        a.stream.as_mut().unwrap().capacity = Some(provisioned(2));
        let p = plan(&d, &a).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert!(
            !p.notes.iter().any(|n| n.message.contains("keeps its")),
            "{:?}",
            p.notes
        );
    }
}
