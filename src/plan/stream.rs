//! The stream in the whole plan: its part's plan (`parts::stream`), its notes under the
//! stream, its refusals as the plan's [`Blocked`], and the tests of the whole plan's stream.

use super::{Blocked, DesiredStream, Note, Plan};
use crate::parts::add_ons::Resource;
use crate::parts::stream::{self, StreamRefusal};
use crate::state::StreamState;

pub(super) fn plan_stream(
    name: &str,
    d: &DesiredStream,
    observed: Option<&StreamState>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let s = stream::plan(d, observed).map_err(|r| match r {
        StreamRefusal::Deleting => Blocked::StreamDeleting {
            stream: name.to_owned(),
        },
        StreamRefusal::KeyDiffers { have, want } => Blocked::KeyDiffers {
            stream: name.to_owned(),
            have,
            want,
        },
    })?;
    p.stream.extend(s.actions);
    p.notes.extend(s.notes.into_iter().map(note));
    p.declined.extend(s.declined);
    p.encryption = s.at_rest;
    Ok(())
}

/// Which key the roles may use and why, when it is a customer-managed one.
pub(super) fn key_note(d: &DesiredStream, s: Option<&StreamState>, archive: bool) -> Option<Note> {
    stream::key_note(d, s, archive).map(note)
}

fn note(message: String) -> Note {
    Note {
        resource: Resource::Stream,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{converged, desired, kinds};
    use super::super::{plan, Blocked, Observed, Plan};
    use super::*;
    use crate::names::{Encryption, KmsKey, RetentionHours, ShardCount};
    use crate::parts::stream::{key_to_resolve, shard_steps, AtRest, StreamAction};
    use crate::sizing::Capacity;
    use crate::state::{ResolvedKey, StreamStatus};

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
        archived.aws_mut().add_ons.archive =
            Some(crate::plan::archive::tests::desired(Some(DISTRICT)));
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

    #[test]
    fn starting_encryption_says_when_the_key_is_the_aws_managed_one() {
        use crate::parts::Change;
        let start = |from: Option<&str>, to: &str| {
            StreamAction::StartEncryption {
                from: from.map(str::to_owned),
                to: to.to_owned(),
            }
            .describe()
        };
        assert_eq!(
            start(None, KmsKey::AWS_MANAGED),
            "start encryption with alias/aws/kinesis (the AWS-managed key)"
        );
        assert_eq!(
            start(None, "alias/district-data"),
            "start encryption with alias/district-data"
        );
        assert_eq!(
            start(Some("alias/old"), "alias/district-data"),
            "change encryption key alias/old -> alias/district-data"
        );
    }
}
