//! Teardown's plan, pure: from what exists ([`Observed`]) and what is being torn down
//! ([`Target`]), the removals in the order they apply, and the notes. `commands::teardown`
//! reads, calls [`plan`], confirms and applies; `--dry-run` shows exactly what a run would do,
//! and a second run finds nothing left to do.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::buzz::wire::{self, OurTarget};
use crate::names::DomainId;
use crate::parts::add_on::AddOnLeftCx;
use crate::parts::add_ons::Resource;
use crate::parts::add_ons::{self, AddOnRemoval, AddOnsLeft};
use crate::parts::bucket::BucketRemoval;
use crate::parts::stream::{self, StreamRemoval};
use crate::parts::target::{self as buzz_target, TargetRemoval};
use crate::parts::writer_role::{self, WriterRoleRemoval};
use crate::parts::{ArchiveRemoval, Gone, Planned, TeardownCx};
use crate::state::{StreamState, StreamStatus};

/// The role as teardown needs to see it (the role part's).
pub(crate) use crate::parts::role::RoleObserved;

/// One domain's whole saved configuration, as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DomainConfig {
    pub domain: DomainId,
    pub config: Map<String, Value>,
}

/// What exists now.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observed {
    /// Each domain's whole saved configuration, in the order the domains were given (none
    /// with `--aws-only`, which reads no Buzz).
    pub buzz: Vec<DomainConfig>,
    pub role: Option<RoleObserved>,
    pub stream: Option<StreamState>,
    /// The add-ons setup made beside the stream (the alarm and its topic, the archive),
    /// found by the names setup derives from the stream.
    pub add_ons: AddOnsLeft,
}

/// What is being torn down, by name.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The domains named, in the order given (with `--aws-only`, the one the other half's
    /// command names, if any): what the report says; the plan reads [`Observed::buzz`].
    pub domains: Vec<String>,
    pub stream: String,
    pub role: String,
    /// The role's ARN: as IAM gives it, or as it would be when the role is gone.
    pub role_arn: String,
    /// The stream's region (with the stream name and the role's account, what a Buzz target
    /// writing to our stream names).
    pub region: String,
    pub delete_stream: bool,
    /// `--delete-archive`: the archive's bucket goes too, with every object.
    pub delete_archive: bool,
}

impl Target {
    /// Our other targets in Buzz's configurations: those the add-ons Buzz delivers to name by
    /// the names setup derives (`AddOn::buzz_target_named`), removed with the kinesis one,
    /// whatever is left of the add-ons in AWS (a Buzz-only teardown reads none of it).
    pub(crate) fn also(&self) -> Vec<Arc<dyn OurTarget>> {
        let cx = AddOnLeftCx {
            stream: &self.stream,
            account: wire::role_account(&self.role_arn).unwrap_or_default(),
            delete_archive: self.delete_archive,
        };
        add_ons::buzz_targets_named(&cx, &self.role_arn, &self.region)
    }

    /// Where a Buzz target of ours writes.
    pub(crate) fn destination(&self) -> wire::Destination {
        wire::Destination {
            region: self.region.to_ascii_lowercase(),
            stream: self.stream.clone(),
            account: wire::role_account(&self.role_arn)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// One removal, in the order they apply: each a part's, in its words (and JSON, its `kind`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) enum Removal {
    /// Our target's, from one domain's configuration, in the part's words.
    #[serde(untagged)]
    Buzz(TargetRemoval),
    /// The writer role's (its inline policies, then the role), in the part's words.
    #[serde(untagged)]
    Role(WriterRoleRemoval),
    /// An add-on's (the alarm's and its topic's, the archive's parts'), in its own words.
    #[serde(untagged)]
    AddOn(AddOnRemoval),
    /// The stream's (only with `--delete-stream`), in the part's words.
    #[serde(untagged)]
    Stream(StreamRemoval),
}

impl Removal {
    /// Which resource the removal changes.
    pub(crate) fn resource(&self) -> Resource {
        match self {
            Removal::Buzz(_) => Resource::Buzz,
            Removal::Role(_) => Resource::Role,
            Removal::AddOn(r) => r.resource(),
            Removal::Stream(_) => Resource::Stream,
        }
    }
}

/// One line for a removal, as the plan and the progress show it.
pub(crate) fn describe(r: &Removal) -> String {
    match r {
        Removal::Buzz(r) => r.describe(),
        Removal::Role(r) => r.describe(),
        Removal::AddOn(r) => r.describe(),
        Removal::Stream(r) => r.describe(),
    }
}

/// The teardown plan.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct Plan {
    pub removals: Vec<Removal>,
    pub notes: Vec<String>,
}

impl Plan {
    /// A part's teardown in the plan: its removals, each in the plan's words, and its notes.
    fn add<R>(&mut self, part: Planned<R>, into: impl Fn(R) -> Removal) {
        self.removals.extend(part.actions.into_iter().map(into));
        self.notes.extend(part.notes);
    }

    /// Nothing to remove.
    pub(crate) fn is_empty(&self) -> bool {
        self.removals.is_empty()
    }
    /// The archive's bucket the plan deletes (its name must be typed, or `--yes`).
    pub(crate) fn deletes_archive(&self) -> Option<&str> {
        self.removals.iter().find_map(|r| match r {
            Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Bucket(
                BucketRemoval::DeleteArchiveBucket { bucket },
            ))) => Some(bucket.as_str()),
            _ => None,
        })
    }
    /// Whether the plan deletes the stream (and so needs its name typed, or `--yes`).
    pub(crate) fn deletes_stream(&self) -> bool {
        self.removals
            .iter()
            .any(|r| matches!(r, Removal::Stream(_)))
    }
    /// What happens (or happened) to a resource, for the report.
    pub(crate) fn outcome(&self, resource: Resource, found: &Observed) -> &'static str {
        let removal = self.removals.iter().find(|r| r.resource() == resource);
        match (resource, removal) {
            (
                Resource::Buzz,
                Some(Removal::Buzz(TargetRemoval::RemoveBuzzTarget { cleared: true, .. })),
            ) => "cleared",
            (Resource::Buzz, Some(_)) => "removed",
            (Resource::Buzz, None) => "absent",
            (_, Some(_)) => "deleted",
            (Resource::Stream, None) => match &found.stream {
                None => "absent",
                Some(s) if s.status == StreamStatus::Deleting => "deleting",
                Some(_) => "kept",
            },
            (_, None) => "absent",
        }
    }
}

/// Decide what to remove, each part saying what it does with what is left of it. Pure.
/// Refuses (and so changes nothing at all) when the role is not one buzz-kinesis made, or
/// carries managed policies someone else attached.
pub(crate) fn plan(t: &Target, found: &Observed) -> Result<Plan, String> {
    let mut p = Plan::default();
    // Before anything else: a role teardown may not touch refuses the whole run.
    let role = writer_role::teardown(&t.role, found.role.as_ref())?;

    // Buzz first, each domain alike: Buzz stops writing before anything it uses goes.
    for d in &found.buzz {
        let (removal, note) = plan_domain(t, d)?;
        p.removals.extend(removal);
        p.notes.extend(note);
    }
    p.add(role, Removal::Role);
    // Then each add-on, as its part says (`parts::add_on`): only what setup made (tagged)
    // goes; the archive's bucket and its objects stay unless `--delete-archive`.
    p.add(
        add_ons::teardown_add_ons(
            &TeardownCx {
                delete_archive: t.delete_archive,
            },
            &found.add_ons,
        ),
        Removal::AddOn,
    );
    p.add(
        stream::teardown(&t.stream, found.stream.as_ref(), t.delete_stream),
        Removal::Stream,
    );
    Ok(p)
}

/// Our target's removal from one domain's configuration, or a note (the part's
/// `parts::target::teardown`, for where our target writes). Refused when Buzz's answer holds
/// targets under a key this tool does not know.
pub(crate) fn plan_domain(
    t: &Target,
    d: &DomainConfig,
) -> Result<(Option<Removal>, Option<String>), String> {
    let also = t.also();
    let (removal, note) = buzz_target::teardown(&d.domain, &d.config, &t.destination(), &also)?;
    Ok((removal.map(Removal::Buzz), note))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::names::RetentionHours;
    use crate::parts::alarm::{AlarmFound, AlarmRemoval};
    use crate::parts::bucket::BucketLeft;
    use crate::parts::delivery::DeliveryRemoval;
    use crate::parts::firehose_role::FirehoseRoleRemoval;
    use crate::parts::glue::GlueRemoval;
    use crate::parts::log::LogRemoval;
    use crate::parts::ArchiveLeft;
    use crate::state::{AlarmState, TopicState, MANAGED_BY};
    use serde_json::json;
    use std::collections::BTreeMap;

    pub(crate) const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    pub(crate) fn target(delete_stream: bool) -> Target {
        Target {
            domains: vec!["424242".into()],
            stream: "buzz-events".into(),
            role: "BuzzKinesisWriter".into(),
            role_arn: ROLE_ARN.into(),
            region: "us-east-1".into(),
            delete_stream,
            delete_archive: false,
        }
    }

    pub(crate) fn ours() -> Value {
        json!({"title": "Kinesis: buzz-events", "enabled": true, "targetKinesisStream": "buzz-events",
               "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
    }

    pub(crate) fn role(managed: bool) -> RoleObserved {
        RoleObserved {
            arn: ROLE_ARN.into(),
            managed,
            inline: vec!["buzz-kinesis-write".into()],
            attached: vec![],
        }
    }

    pub(crate) fn stream(managed: bool) -> StreamState {
        StreamState {
            arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events".into(),
            status: StreamStatus::Active,
            capacity: None,
            open_shards: 1,
            retention: RetentionHours::DEFAULT,
            kms_key: None,
            tags: if managed {
                BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())])
            } else {
                BTreeMap::new()
            },
        }
    }

    pub(crate) fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// The configuration of domain 424242 alone.
    pub(crate) fn in_domain(v: Value) -> Vec<DomainConfig> {
        vec![DomainConfig {
            domain: DomainId::parse("--domain", "424242").unwrap(),
            config: config(v),
        }]
    }

    #[test]
    fn everything_ours_goes_but_the_stream_and_other_targets_stay() {
        let hook = json!({"title": "LMS", "endpoints": "https://x"});
        let found = Observed {
            buzz: in_domain(json!({"https": [hook], "kinesis": [ours()], "futureKey": {"a": 1}})),
            role: Some(role(true)),
            stream: Some(stream(true)),
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        let kinds: Vec<Resource> = p.removals.iter().map(Removal::resource).collect();
        assert_eq!(kinds, [Resource::Buzz, Resource::Role, Resource::Role]);
        let Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
            config,
            cleared,
            others,
            ..
        }) = &p.removals[0]
        else {
            panic!("{p:?}")
        };
        assert_eq!(
            Value::Object(config.clone()),
            json!({"https": [{"title": "LMS", "endpoints": "https://x"}], "futureKey": {"a": 1}})
        );
        assert!(!cleared);
        assert_eq!(*others, 1);
        assert_eq!(p.outcome(Resource::Stream, &found), "kept");
        assert!(p.notes.iter().any(|n| n.contains("--delete-stream")));
        assert!(!p.deletes_stream());
    }

    #[test]
    fn our_only_target_clears_the_configuration_but_keeps_unknown_keys() {
        let found = Observed {
            buzz: in_domain(json!({"kinesis": [ours()], "futureKey": 1})),
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        let Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
            config, cleared, ..
        }) = &p.removals[0]
        else {
            panic!("{p:?}")
        };
        assert!(cleared);
        assert_eq!(Value::Object(config.clone()), json!({"futureKey": 1}));
        assert_eq!(p.outcome(Resource::Buzz, &found), "cleared");
    }

    #[test]
    fn the_stream_goes_only_with_delete_stream() {
        let found = Observed {
            stream: Some(stream(false)),
            ..Observed::default()
        };
        let p = plan(&target(true), &found).unwrap();
        assert!(p.deletes_stream());
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("not created by buzz-kinesis")));
        let mut deleting = stream(true);
        deleting.status = StreamStatus::Deleting;
        let found = Observed {
            stream: Some(deleting),
            ..Observed::default()
        };
        assert!(plan(&target(true), &found).unwrap().is_empty());
    }

    #[test]
    fn a_role_we_did_not_make_or_that_others_use_is_refused() {
        let found = Observed {
            buzz: in_domain(json!({"kinesis": [ours()]})),
            role: Some(role(false)),
            ..Observed::default()
        };
        let e = plan(&target(false), &found).unwrap_err();
        assert!(
            e.contains("managed-by=buzz-kinesis") && e.contains("--role"),
            "{e}"
        );
        let mut attached = role(true);
        attached.attached = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
        let found = Observed {
            role: Some(attached),
            ..Observed::default()
        };
        let e = plan(&target(false), &found).unwrap_err();
        assert!(e.contains("ReadOnlyAccess"), "{e}");
    }

    #[test]
    fn nothing_left_means_an_empty_plan() {
        let other = json!({"title": "theirs", "targetKinesisStream": "buzz-events", "roleArn": "arn:aws:iam::1:role/Other"});
        let found = Observed {
            buzz: in_domain(json!({"kinesis": [other]})),
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        assert!(p.is_empty());
        assert!(
            p.notes[0].contains("another region or AWS account"),
            "{:?}",
            p.notes
        );
        assert_eq!(p.outcome(Resource::Role, &found), "absent");
        assert_eq!(p.outcome(Resource::Buzz, &found), "absent");
    }

    fn archive(managed: bool, tables: &[&str]) -> ArchiveLeft {
        ArchiveLeft {
            delivery: Some(crate::parts::delivery::DeliveryObserved {
                name: "buzz-events-archive".into(),
                managed,
                bucket: Some("district-42-buzz".into()),
            }),
            bucket: BucketLeft {
                name: Some("district-42-buzz".into()),
                managed: None,
            },
            role: Some((
                "buzz-events-archive-firehose".into(),
                RoleObserved {
                    inline: vec!["buzz-kinesis-archive".into()],
                    ..role(managed)
                },
            )),
            glue: Some(crate::parts::glue::DatabaseObserved {
                name: "buzz_events".into(),
                managed,
                tables: tables.iter().map(|t| (*t).to_owned()).collect(),
                table_managed: managed,
                views: vec![],
            }),
            log: Some(("/aws/kinesisfirehose/buzz-events-archive".into(), managed)),
            views: (),
        }
    }

    /// What teardown finds of the add-ons: the archive `a`, no alarm.
    fn left(a: ArchiveLeft) -> AddOnsLeft {
        AddOnsLeft {
            archive: a,
            ..AddOnsLeft::default()
        }
    }

    fn archive_plan(a: ArchiveLeft) -> Plan {
        let found = Observed {
            add_ons: left(a),
            ..Observed::default()
        };
        plan(&target(false), &found).unwrap()
    }

    #[test]
    fn the_archive_goes_but_its_bucket_and_every_event_stay() {
        let p = archive_plan(archive(true, &["events"]));
        assert_eq!(
            p.removals,
            [
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Delivery(
                    DeliveryRemoval::DeleteDeliveryStream {
                        name: "buzz-events-archive".into()
                    }
                ))),
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Role(
                    FirehoseRoleRemoval::DeleteArchiveRole {
                        role: "buzz-events-archive-firehose".into(),
                        policies: vec!["buzz-kinesis-archive".into()]
                    }
                ))),
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Log(
                    LogRemoval::DeleteLogGroup {
                        group: "/aws/kinesisfirehose/buzz-events-archive".into()
                    }
                ))),
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteTable {
                        database: "buzz_events".into(),
                        table: "events".into()
                    }
                ))),
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteDatabase {
                        database: "buzz_events".into()
                    }
                ))),
            ]
        );
        assert!(p.removals.iter().all(|r| r.resource() == Resource::Archive));
        assert_eq!(
            p.notes,
            ["the archive's bucket district-42-buzz stays, with every event in it (pass --delete-archive to delete it)"]
        );
        assert_eq!(
            p.outcome(Resource::Archive, &Observed::default()),
            "deleted"
        );
        let lines: Vec<String> = p.removals.iter().map(describe).collect();
        assert_eq!(
            lines,
            [
                "delete the archive's Firehose delivery stream buzz-events-archive (the events it delivered stay in the bucket)",
                "delete Firehose's role buzz-events-archive-firehose with its inline policies buzz-kinesis-archive",
                "delete the log group /aws/kinesisfirehose/buzz-events-archive (Firehose's delivery errors)",
                "delete the Glue table buzz_events.events (a definition only: the events stay in the bucket)",
                "delete the Glue database buzz_events (empty)",
            ]
        );
    }

    #[test]
    fn firehoses_role_without_inline_policies_is_named_alone() {
        let r = Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Role(
            FirehoseRoleRemoval::DeleteArchiveRole {
                role: "buzz-events-archive-firehose".into(),
                policies: vec![],
            },
        )));
        assert_eq!(r.resource(), Resource::Archive);
        assert_eq!(
            describe(&r),
            "delete Firehose's role buzz-events-archive-firehose"
        );
    }

    #[test]
    fn delete_archive_takes_only_our_bucket_after_firehose_and_before_the_table() {
        let deleting = |managed: Option<bool>| {
            let found = Observed {
                add_ons: left(ArchiveLeft {
                    bucket: BucketLeft {
                        name: Some("district-42-buzz".into()),
                        managed,
                    },
                    ..archive(true, &["events"])
                }),
                ..Observed::default()
            };
            let t = Target {
                delete_archive: true,
                ..target(false)
            };
            plan(&t, &found).unwrap()
        };
        let p = deleting(Some(true));
        assert_eq!(p.deletes_archive(), Some("district-42-buzz"));
        // Firehose and its role first (nothing writes to the bucket, and no delivery stream
        // names a bucket that is gone), then the bucket, then the table whose location finds
        // it again if this run is cut short.
        let kinds: Vec<&str> = p
            .removals
            .iter()
            .map(|r| match r {
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Delivery(
                    DeliveryRemoval::DeleteDeliveryStream { .. },
                ))) => "delivery",
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Role(
                    FirehoseRoleRemoval::DeleteArchiveRole { .. },
                ))) => "role",
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Bucket(
                    BucketRemoval::DeleteArchiveBucket { .. },
                ))) => "bucket",
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Log(
                    LogRemoval::DeleteLogGroup { .. },
                ))) => "log",
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteTable { .. },
                ))) => "table",
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteDatabase { .. },
                ))) => "database",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            ["delivery", "role", "log", "bucket", "table", "database"]
        );
        assert_eq!(
            describe(&p.removals[3]),
            "DELETE the archive's bucket district-42-buzz and every event in it (every version)"
        );
        assert!(!p
            .notes
            .iter()
            .any(|n| n.contains("stays, with every event")));
        // A bucket someone else made (or one whose owner could not be read) stays.
        for managed in [Some(false), None] {
            let p = deleting(managed);
            assert_eq!(p.deletes_archive(), None);
            assert!(
                p.notes[0].contains("--delete-archive leaves it"),
                "{:?}",
                p.notes
            );
        }
        // Without the flag it is never deleted, whoever made it.
        let found = Observed {
            add_ons: left(ArchiveLeft {
                bucket: BucketLeft {
                    name: Some("district-42-buzz".into()),
                    managed: Some(true),
                },
                ..archive(true, &["events"])
            }),
            ..Observed::default()
        };
        assert_eq!(
            plan(&target(false), &found).unwrap().deletes_archive(),
            None
        );
        // The delivery stream gone (an interrupted run): the bucket, found from the table, goes.
        let t = Target {
            delete_archive: true,
            ..target(false)
        };
        let found = Observed {
            add_ons: left(ArchiveLeft {
                delivery: None,
                bucket: BucketLeft {
                    name: Some("district-42-buzz".into()),
                    managed: Some(true),
                },
                ..archive(true, &["events"])
            }),
            ..Observed::default()
        };
        assert_eq!(
            plan(&t, &found).unwrap().deletes_archive(),
            Some("district-42-buzz")
        );
        // Nothing names it any more: teardown says so.
        let p = plan(&t, &Observed::default()).unwrap();
        assert!(p.notes[0].contains("cannot find it"), "{:?}", p.notes);
    }

    #[test]
    fn only_our_marked_table_is_deleted() {
        let mut a = archive(true, &["events"]);
        a.glue.as_mut().unwrap().table_managed = false;
        let p = archive_plan(a);
        assert!(!p.removals.iter().any(|r| matches!(
            r,
            Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                GlueRemoval::DeleteTable { .. }
            ))) | Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                GlueRemoval::DeleteDatabase { .. }
            )))
        )));
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("buzz_events.events has no managed-by parameter")),
            "{:?}",
            p.notes
        );
        assert!(
            p.notes
                .contains(&"the Glue database buzz_events stays: it holds events too".to_owned()),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn what_the_archive_shares_or_someone_else_made_stays() {
        // `table` is deleted, and the database stays, saying it holds `others`.
        let deletes_but_keeps_the_database = |p: &Plan, table: &str, others: &str| {
            assert!(p.removals.contains(&Removal::AddOn(AddOnRemoval::Archive(
                ArchiveRemoval::Glue(GlueRemoval::DeleteTable {
                    database: "buzz_events".into(),
                    table: table.into()
                })
            ))));
            assert!(!p.removals.iter().any(|r| matches!(
                r,
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteDatabase { .. }
                )))
            )));
            let said = format!("the Glue database buzz_events stays: it holds {others} too");
            assert!(p.notes.contains(&said), "{:?}", p.notes);
        };
        // A view the user made beside our table keeps the database.
        let p = archive_plan(archive(true, &["events", "events_distinct"]));
        deletes_but_keeps_the_database(&p, "events", "events_distinct");
        // The views setup made go with the table, and the database with them.
        let mut a = archive(true, &["events", "events_distinct", "latest_user_state"]);
        a.glue.as_mut().unwrap().views = vec!["events_distinct".into(), "latest_user_state".into()];
        let p = archive_plan(a);
        let tables: Vec<&str> = p
            .removals
            .iter()
            .filter_map(|r| match r {
                Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                    GlueRemoval::DeleteTable { table, .. },
                ))) => Some(table.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(tables, ["events_distinct", "latest_user_state", "events"]);
        assert!(p.removals.contains(&Removal::AddOn(AddOnRemoval::Archive(
            ArchiveRemoval::Glue(GlueRemoval::DeleteDatabase {
                database: "buzz_events".into()
            })
        ))));
        // One view of ours beside one of the user's: ours goes, theirs keeps the database.
        let mut a = archive(true, &["events", "events_distinct", "my_view"]);
        a.glue.as_mut().unwrap().views = vec!["events_distinct".into()];
        deletes_but_keeps_the_database(&archive_plan(a), "events_distinct", "my_view");
        // Our table already gone, the database empty: it goes.
        let p = archive_plan(archive(true, &[]));
        assert!(p.removals.contains(&Removal::AddOn(AddOnRemoval::Archive(
            ArchiveRemoval::Glue(GlueRemoval::DeleteDatabase {
                database: "buzz_events".into()
            })
        ))));
        assert!(!p.removals.iter().any(|r| matches!(
            r,
            Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Glue(
                GlueRemoval::DeleteTable { .. }
            )))
        )));
        // Not made by buzz-kinesis: all four stay, each said.
        let p = archive_plan(archive(false, &["events"]));
        assert!(p.removals.is_empty(), "{:?}", p.removals);
        assert!(p.notes.iter().any(|n| n
            .starts_with("the log group /aws/kinesisfirehose/buzz-events-archive was not made")));
        assert_eq!(
            p.notes
                .iter()
                .filter(|n| n.contains("was not made by buzz-kinesis"))
                .count(),
            4,
            "{:?}",
            p.notes
        );
        assert_eq!(p.outcome(Resource::Archive, &Observed::default()), "absent");
        // Firehose's role with a managed policy someone attached stays.
        let mut a = archive(true, &["events"]);
        a.role.as_mut().unwrap().1.attached = vec!["arn:aws:iam::aws:policy/Admin".into()];
        let p = archive_plan(a);
        assert!(!p.removals.iter().any(|r| matches!(
            r,
            Removal::AddOn(AddOnRemoval::Archive(ArchiveRemoval::Role(
                FirehoseRoleRemoval::DeleteArchiveRole { .. }
            )))
        )));
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("has managed policies attached")));
        // No archive: nothing said.
        assert!(archive_plan(ArchiveLeft::default()).notes.is_empty());
    }

    #[test]
    fn only_the_alarm_and_topic_setup_made_are_removed() {
        let mut tags = BTreeMap::new();
        tags.insert(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned());
        let alarm = AlarmState {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
            state: "OK".into(),
            metric: "WriteProvisionedThroughputExceeded".into(),
            threshold: 0.0,
            period: 60,
            actions: vec![],
            tags: tags.clone(),
        };
        let topic = TopicState {
            arn: "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms".into(),
            tags: BTreeMap::new(),
            emails: vec![],
        };
        let found = Observed {
            add_ons: AddOnsLeft {
                alarm: AlarmFound {
                    alarm: Some(alarm),
                    topic: Some(topic),
                },
                ..AddOnsLeft::default()
            },
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        assert_eq!(
            p.removals,
            vec![Removal::AddOn(AddOnRemoval::Alarm(
                AlarmRemoval::DeleteAlarm {
                    name: "buzz-kinesis-buzz-events-writes-refused".into()
                }
            ))]
        );
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("SNS topic") && n.contains("stays")));
        assert_eq!(p.outcome(Resource::Alarm, &found), "deleted");

        // With the role and the stream too: the writer role first, then the add-ons, the
        // stream last.
        let found = Observed {
            role: Some(role(true)),
            stream: Some(stream(true)),
            ..found
        };
        let order: Vec<Resource> = plan(&target(true), &found)
            .unwrap()
            .removals
            .iter()
            .map(Removal::resource)
            .collect();
        assert_eq!(
            order,
            [
                Resource::Role,
                Resource::Role,
                Resource::Alarm,
                Resource::Stream
            ]
        );
    }

    #[test]
    fn our_buzz_target_is_known_by_where_it_writes() {
        let mut t = target(false);
        t.region = "US-EAST-1".into();
        assert_eq!(
            t.destination(),
            wire::Destination {
                region: "us-east-1".into(),
                stream: "buzz-events".into(),
                account: "123456789012".into(),
            }
        );
    }

    #[test]
    fn each_parts_removal_keeps_its_json_kind_and_fields() {
        let table = [
            (
                Removal::Role(WriterRoleRemoval::DeleteRolePolicy {
                    role: "R".into(),
                    policy: "P".into(),
                }),
                json!({"kind": "delete_role_policy", "role": "R", "policy": "P"}),
            ),
            (
                Removal::Role(WriterRoleRemoval::DeleteRole {
                    role: "R".into(),
                    arn: "A".into(),
                }),
                json!({"kind": "delete_role", "role": "R", "arn": "A"}),
            ),
            (
                Removal::AddOn(AddOnRemoval::Alarm(AlarmRemoval::DeleteAlarm {
                    name: "A".into(),
                })),
                json!({"kind": "delete_alarm", "name": "A"}),
            ),
            (
                Removal::AddOn(AddOnRemoval::Alarm(AlarmRemoval::DeleteTopic {
                    arn: "T".into(),
                })),
                json!({"kind": "delete_topic", "arn": "T"}),
            ),
            (
                Removal::Stream(StreamRemoval::DeleteStream {
                    stream: "S".into(),
                    arn: "X".into(),
                }),
                json!({"kind": "delete_stream", "stream": "S", "arn": "X"}),
            ),
            (
                Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
                    domain: "1".into(),
                    target: ours(),
                    duplicates: 0,
                    also: 0,
                    others: 2,
                    cleared: false,
                    config: config(json!({"secret": "not shown"})),
                }),
                json!({"kind": "remove_buzz_target", "domain": "1", "target": ours(), "others": 2, "cleared": false}),
            ),
            (
                Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
                    domain: "1".into(),
                    target: ours(),
                    duplicates: 2,
                    also: 0,
                    others: 0,
                    cleared: true,
                    config: Map::new(),
                }),
                json!({"kind": "remove_buzz_target", "domain": "1", "target": ours(), "duplicates": 2, "others": 0, "cleared": true}),
            ),
        ];
        for (removal, want) in table {
            assert_eq!(serde_json::to_value(&removal).unwrap(), want);
        }
        // Byte for byte: the kind first, then the fields in their order.
        let buzz = Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
            domain: "1".into(),
            target: json!({"title": "T"}),
            duplicates: 1,
            also: 0,
            others: 0,
            cleared: true,
            config: Map::new(),
        });
        assert_eq!(
            serde_json::to_string(&buzz).unwrap(),
            r#"{"kind":"remove_buzz_target","domain":"1","target":{"title":"T"},"duplicates":1,"others":0,"cleared":true}"#
        );
    }

    #[test]
    fn each_removal_names_its_resource_and_reads_as_a_sentence() {
        let buzz = |duplicates, others, cleared| {
            Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
                domain: "424242".into(),
                target: ours(),
                duplicates,
                also: 0,
                others,
                cleared,
                config: Map::new(),
            })
        };
        let table = [
            (buzz(0, 2, false), Resource::Buzz, "remove the kinesis target \"Kinesis: buzz-events\" from domain 424242; its 2 other target(s) stay exactly as they are"),
            (buzz(1, 0, true), Resource::Buzz, "remove the kinesis target \"Kinesis: buzz-events\" and 1 more writing to the same stream from domain 424242: no target is left, so Buzz deletes the configuration"),
            (Removal::Role(WriterRoleRemoval::DeleteRolePolicy { role: "R".into(), policy: "P".into() }), Resource::Role, "delete inline policy P of role R"),
            (Removal::Role(WriterRoleRemoval::DeleteRole { role: "R".into(), arn: ROLE_ARN.into() }), Resource::Role, "delete role R"),
            (Removal::AddOn(AddOnRemoval::Alarm(AlarmRemoval::DeleteAlarm { name: "A".into() })), Resource::Alarm, "delete the alarm A"),
            (Removal::AddOn(AddOnRemoval::Alarm(AlarmRemoval::DeleteTopic { arn: "T".into() })), Resource::Alarm, "delete the alarm's SNS topic T and its subscriptions"),
            (Removal::Stream(StreamRemoval::DeleteStream { stream: "S".into(), arn: "X".into() }), Resource::Stream, "DELETE stream S and every record in it"),
        ];
        for (removal, resource, line) in table {
            assert_eq!(removal.resource(), resource, "{line}");
            assert_eq!(crate::text::unmark(&describe(&removal)), line);
        }
    }

    #[test]
    fn every_resource_has_its_outcome() {
        let other = json!({"title": "theirs", "targetKinesisStream": "x", "roleArn": "arn:aws:iam::1:role/O", "targetRegion": "us-east-1"});
        let found = Observed {
            buzz: in_domain(json!({"kinesis": [ours(), other]})),
            role: Some(role(true)),
            stream: Some(stream(true)),
            ..Observed::default()
        };
        let p = plan(&target(true), &found).unwrap();
        assert!(!p.is_empty());
        assert_eq!(p.outcome(Resource::Buzz, &found), "removed");
        assert_eq!(p.outcome(Resource::Role, &found), "deleted");
        assert_eq!(p.outcome(Resource::Stream, &found), "deleted");
        assert_eq!(p.outcome(Resource::Alarm, &found), "absent");
        // Our own stream goes without a word about who made it.
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        let kept = plan(&target(false), &found).unwrap();
        assert_eq!(kept.outcome(Resource::Stream, &found), "kept");
        let mut deleting = stream(true);
        deleting.status = StreamStatus::Deleting;
        let gone = Observed {
            stream: Some(deleting),
            ..Observed::default()
        };
        let p = plan(&target(false), &gone).unwrap();
        assert_eq!(p.outcome(Resource::Stream, &gone), "deleting");
        assert_eq!(p.notes, ["stream buzz-events is already being deleted"]);
        let nothing = Observed::default();
        let p = plan(&target(true), &nothing).unwrap();
        assert_eq!(p.outcome(Resource::Stream, &nothing), "absent");
        assert!(p.is_empty() && p.notes.is_empty(), "{p:?}");
    }

    #[test]
    fn targets_under_an_unknown_key_stop_teardown() {
        let found = Observed {
            buzz: in_domain(
                json!({"kinesis": [ours()], "kinesisTargets": [{"roleArn": ROLE_ARN}]}),
            ),
            ..Observed::default()
        };
        let e = plan(&target(false), &found).unwrap_err();
        assert!(
            e.contains("kinesisTargets") && e.contains("changes nothing"),
            "{e}"
        );
    }

    #[test]
    fn duplicates_of_our_target_go_with_it() {
        let mut twin = ours();
        twin["title"] = json!("a copy");
        let found = Observed {
            buzz: in_domain(json!({"kinesis": [ours(), twin]})),
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        let Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
            target, duplicates, ..
        }) = &p.removals[0]
        else {
            panic!("{p:?}")
        };
        assert_eq!(*duplicates, 1);
        assert_eq!(
            target["title"],
            json!("Kinesis: buzz-events"),
            "the first is named"
        );
    }

    #[test]
    fn every_domain_is_planned_alike_and_before_anything_in_aws() {
        let domain = |id: &str, v: Value| DomainConfig {
            domain: DomainId::parse("--domain", id).unwrap(),
            config: config(v),
        };
        let other = json!({"title": "theirs", "targetKinesisStream": "buzz-events", "roleArn": "arn:aws:iam::1:role/O"});
        let found = Observed {
            buzz: vec![
                domain("1", json!({"kinesis": [ours()]})),
                domain("2", json!({"kinesis": [other]})),
                domain(
                    "3",
                    json!({"kinesis": [ours()], "https": [{"title": "LMS"}]}),
                ),
            ],
            role: Some(role(true)),
            ..Observed::default()
        };
        let p = plan(&target(false), &found).unwrap();
        let buzz: Vec<(&str, bool)> = p
            .removals
            .iter()
            .filter_map(|r| match r {
                Removal::Buzz(TargetRemoval::RemoveBuzzTarget {
                    domain, cleared, ..
                }) => Some((domain.as_str(), *cleared)),
                _ => None,
            })
            .collect();
        assert_eq!(buzz, [("1", true), ("3", false)]);
        let kinds: Vec<Resource> = p.removals.iter().map(Removal::resource).collect();
        assert_eq!(
            kinds,
            [
                Resource::Buzz,
                Resource::Buzz,
                Resource::Role,
                Resource::Role
            ]
        );
        // The domain without ours is named in a note, as the first one would be.
        assert_eq!(
            p.notes,
            ["domain 2 has 1 kinesis target(s) for a stream named buzz-events in another region or AWS account; they are not this setup's and stay"]
        );
        // Any domain's unknown target key stops the whole teardown, naming that domain.
        let mut odd = found.clone();
        odd.buzz[2]
            .config
            .insert("kinesisTargets".into(), json!([{"roleArn": ROLE_ARN}]));
        let e = plan(&target(false), &odd).unwrap_err();
        assert!(
            e.contains("for domain 3 ") && e.contains("kinesisTargets"),
            "{e}"
        );
    }

    #[test]
    fn one_domain_alone_is_what_a_fresh_read_plans_again() {
        let d = DomainConfig {
            domain: DomainId::parse("--domain", "7").unwrap(),
            config: config(json!({"kinesis": [ours()]})),
        };
        let (removal, note) = plan_domain(&target(false), &d).unwrap();
        assert!(note.is_none());
        assert!(
            matches!(removal, Some(Removal::Buzz(TargetRemoval::RemoveBuzzTarget { ref domain, cleared: true, others: 0, .. })) if domain == "7"),
            "{removal:?}"
        );
        let empty = DomainConfig {
            config: Map::new(),
            ..d
        };
        assert_eq!(plan_domain(&target(false), &empty).unwrap(), (None, None));
    }
}
