use super::*;
use crate::archive::Archive;
use crate::names::{ArchiveDays, BucketName, KmsKey};
use crate::parts::add_on::AddOnPlanCx;
use crate::parts::add_ons::Resource;
use crate::parts::add_ons::{plan_add_ons, AddOnsFound, DesiredAddOns};
use crate::parts::archived::ArchiveFound;
use crate::parts::bucket::{BucketAction, BucketObserved, BucketState};
use crate::parts::delivery::{DeliveryAction, DeliveryState};
use crate::parts::glue::{GlueAction, GlueFound};
use crate::parts::log::LogState;
use crate::parts::role::RoleRefusal;
use crate::parts::Change as _;
use crate::parts::{tag_map, ArchiveState};
use crate::plan::{Note, Widen};
use crate::state::RoleState;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// One change to an observed part, named by what it should make the plan do.
type Change<T> = fn(&mut T);

pub(crate) const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub(crate) fn desired(key: Option<&str>) -> DesiredArchive {
    let model = Archive::new(
        BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
        Some(ArchiveDays::parse("--archive-days", "400").unwrap()),
        "buzz-events",
        key.map(|k| KmsKey::parse("--kms-key", k).unwrap()),
        &[],
    )
    .since("2026-01-02");
    DesiredArchive {
        stream_arn: STREAM_ARN.into(),
        account: "123456789012".into(),
        role_arn: "arn:aws:iam::123456789012:role/buzz-events-archive-firehose".into(),
        trust: Archive::trust("123456789012"),
        previous_trusts: Archive::previous_trusts("123456789012"),
        policy: json!({"Version": "2012-10-17", "Statement": []}),
        database_arn: "arn:aws:glue:us-east-1:123456789012:database/buzz_events".into(),
        adopt: false,
        views: false,
        widen: Widen::default(),
        model,
    }
}

/// Everything as setup leaves it.
pub(crate) fn converged(d: &DesiredArchive) -> ArchiveState {
    let mut delivery = d.delivery();
    delivery.status = "ACTIVE".into();
    delivery.tags = tag_map(&[], true);
    ArchiveState {
        bucket: BucketObserved::Here(BucketState::converged(&d.model)),
        role: Some(RoleState {
            arn: d.role_arn.clone(),
            max_session: 3600,
            trust: d.trust.clone(),
            tags: tag_map(&[], true),
            policy: Some(d.policy.clone()),
            created: SystemTime::UNIX_EPOCH,
            boundary: None,
        }),
        delivery: Some(delivery),
        glue: GlueFound {
            database: Some(tag_map(&[], true)),
            table: Some(d.table()),
        },
        log: Some(LogState::converged()),
        views: BTreeMap::new(),
    }
}

/// The archive's share of the whole plan: its actions, and its notes under the archive.
#[derive(Debug)]
struct Plan {
    archive: Vec<ArchiveAction>,
    notes: Vec<Note>,
}

fn planned(d: &DesiredArchive, o: Option<&ArchiveState>) -> Result<Plan, Blocked> {
    plan_archive(d, o, None)
}

/// The archive planned as the whole plan plans its add-ons (`o`: what exists of it,
/// `grants`: every policy on a Firehose role someone else made).
fn plan_archive(
    d: &DesiredArchive,
    o: Option<&ArchiveState>,
    grants: Option<&crate::iam::Grants>,
) -> Result<Plan, Blocked> {
    let want = DesiredAddOns {
        archive: Some(d.clone()),
        ..DesiredAddOns::default()
    };
    let found = AddOnsFound {
        archive: ArchiveFound {
            parts: o.cloned().unwrap_or_default(),
            role_grants: grants.cloned(),
        },
        ..AddOnsFound::default()
    };
    let cx = AddOnPlanCx {
        stream: "buzz-events",
        key: None,
    };
    let (actions, notes) = plan_add_ons::<Blocked>(&want, &cx, &found)?;
    assert!(actions.alarm.is_empty());
    Ok(Plan {
        archive: actions.archive,
        notes: notes
            .into_iter()
            .map(|(resource, message)| Note { resource, message })
            .collect(),
    })
}

/// The bucket found, to change.
fn bucket_mut(o: &mut ArchiveState) -> &mut BucketState {
    match &mut o.bucket {
        BucketObserved::Here(b) => b,
        _ => unreachable!(),
    }
}

fn kinds(p: &Plan) -> Vec<String> {
    crate::parts::fixtures::kinds_of(&p.archive)
}

/// The refusal as a sentence: what, its problem, the fix.
fn blocked(r: Result<Plan, Blocked>) -> String {
    match r {
        Err(Blocked::Archive { what, problem, fix }) => format!("{what} {problem}. {fix}"),
        Err(other) => panic!("refused otherwise: {other:?}"),
        Ok(p) => panic!("planned {:?}", kinds(&p)),
    }
}

#[test]
fn nothing_there_makes_every_part_in_order_with_the_delivery_stream_last() {
    let d = desired(None);
    let p = planned(&d, None).unwrap();
    assert_eq!(
        kinds(&p),
        [
            "create_bucket",
            "block_public_access",
            "put_bucket_encryption",
            "enable_versioning",
            "put_lifecycle",
            "put_bucket_policy",
            "tag_bucket",
            "create_log_group",
            "create_log_stream",
            "put_log_retention",
            "create_role",
            "put_role_policy",
            "create_database",
            "create_table",
            "create_delivery_stream",
        ]
    );
    // S3 makes a bucket with ACLs off (CreateBucket's ObjectOwnership): no second call.
    assert!(!kinds(&p).contains(&"enforce_bucket_owner".to_owned()));
    assert!(p.archive.iter().all(|a| !matches!(
        a,
        ArchiveAction::Bucket(BucketAction::PutBucketEncryption {
            kms_key: Some(_),
            ..
        })
    )));
    assert!(p
        .notes
        .iter()
        .any(|n| n.message.contains("5 KB steps") && n.message.contains("JQ processing")));
    assert!(p.archive.iter().filter(|a| a.is_create()).count() == 6);
    let parts: Vec<&str> = p.archive.iter().map(ArchiveAction::chain).collect();
    assert_eq!(
        parts,
        [
            "bucket", "bucket", "bucket", "bucket", "bucket", "bucket", "bucket", "log", "log",
            "log", "role", "role", "table", "table", "delivery"
        ]
    );
}

#[test]
fn the_views_plan_reaches_the_plan_after_the_table_in_its_words() {
    let d = DesiredArchive {
        views: true,
        ..desired(None)
    };
    // Asked, none there: each made (`parts::views`), after the table, each a create of the
    // table's part, its JSON as before the views were a part.
    let p = planned(&d, None).unwrap();
    let at = |k: &str| kinds(&p).iter().position(|x| x == k).unwrap();
    assert!(at("create_table") < at("create_view"));
    let views: Vec<&ArchiveAction> = p
        .archive
        .iter()
        .filter(|a| matches!(a, ArchiveAction::View(_)))
        .collect();
    assert_eq!(views.len(), 3);
    assert!(views.iter().all(|a| a.is_create() && a.chain() == "table"));
    assert_eq!(
        serde_json::to_value(views[0]).unwrap(),
        json!({"kind": "create_view", "database": "buzz_events", "view": archive::PER_DAY_VIEW})
    );
    assert_eq!(
        views[0].before_after(),
        (Value::Null, serde_json::to_value(views[0]).unwrap())
    );
    // Not asked: none planned, whatever is there.
    assert!(!kinds(&planned(&desired(None), None).unwrap()).contains(&"create_view".to_owned()));
    // Someone else's view: a note of the archive.
    let mut o = converged(&d);
    for v in d.model.views() {
        o.views.insert(
            v.name.to_owned(),
            crate::state::ViewState {
                original_text: None,
                managed: false,
            },
        );
    }
    let p = planned(&d, Some(&o)).unwrap();
    assert!(p.archive.is_empty(), "{:?}", kinds(&p));
    assert_eq!(p.notes.len(), 3, "{:?}", p.notes);
    assert!(p.notes.iter().all(|n| n.resource == Resource::Archive));
}

#[test]
fn a_converged_archive_plans_nothing_and_states_no_cost() {
    for key in [None, Some(KEY)] {
        let d = desired(key);
        let p = planned(&d, Some(&converged(&d))).unwrap();
        assert!(p.archive.is_empty(), "{:?}", kinds(&p));
        assert!(p.notes.is_empty(), "{:?}", p.notes);
    }
}

#[test]
fn the_buckets_refusals_notes_and_actions_reach_the_plan_in_its_words() {
    let d = desired(None);
    let mut o = converged(&d);
    o.bucket = BucketObserved::Forbidden;
    assert!(blocked(planned(&d, Some(&o))).starts_with("the bucket district-42-buzz exists"));
    let mut o = converged(&d);
    bucket_mut(&mut o).policy = Some(json!({"Statement": [{"Sid": "Theirs"}]}));
    bucket_mut(&mut o).encryption = None;
    let p = planned(&d, Some(&o)).unwrap();
    assert_eq!(
        p.archive,
        [ArchiveAction::Bucket(BucketAction::PutBucketEncryption {
            bucket: "district-42-buzz".into(),
            kms_key: None
        })]
    );
    assert_eq!(p.archive[0].chain(), "bucket");
    assert!(!p.archive[0].is_create());
    assert_eq!(
        serde_json::to_value(&p.archive[0]).unwrap(),
        json!({"kind": "put_bucket_encryption", "bucket": "district-42-buzz", "kms_key": null})
    );
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    assert!(p.notes[0].message.contains("bucket policy of its own"));
    assert_eq!(p.notes[0].resource, Resource::Archive);
}

#[test]
fn firehoses_role_follows_the_writer_roles_rules() {
    let d = desired(None);
    let mut o = converged(&d);
    // Our earlier aws:SourceAccount trust moves to the documented form unasked.
    o.role.as_mut().unwrap().trust = d.previous_trusts[0].clone();
    let p = planned(&d, Some(&o)).unwrap();
    assert_eq!(kinds(&p), ["update_role_trust"]);
    assert_eq!(p.archive[0].before_after().1, d.trust);
    // A condition a security team added stays, and is said.
    let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/x";
    let mut narrowed = d.previous_trusts[0].clone();
    narrowed["Statement"][0]["Condition"]["ArnLike"] = json!({"aws:SourceArn": arn});
    o.role.as_mut().unwrap().trust = narrowed;
    let p = planned(&d, Some(&o)).unwrap();
    let after = p.archive[0].before_after().1;
    assert_eq!(
        after["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"],
        arn
    );
    assert_eq!(
        after["Statement"][0]["Condition"]["StringEquals"],
        json!({"sts:ExternalId": "123456789012"})
    );
    assert!(p
        .notes
        .iter()
        .any(|n| n.resource == Resource::Archive && n.message.contains("ArnLike aws:SourceArn")));
    // Another principal beside Firehose: refused without --replace-trust, naming Firehose.
    let mut wider = d.trust.clone();
    wider["Statement"][0]["Principal"] =
        json!({"Service": ["firehose.amazonaws.com", "ec2.amazonaws.com"]});
    o.role.as_mut().unwrap().trust = wider;
    assert!(matches!(
        planned(&d, Some(&o)),
        Err(Blocked::Role(RoleRefusal::TrustAdmitsOthers {
            who: "Firehose",
            ..
        }))
    ));
    // The policy compares by meaning: another statement order is converged.
    let mut o = converged(&d);
    let mut reordered = d.policy.clone();
    reordered["Statement"].as_array_mut().unwrap().reverse();
    o.role.as_mut().unwrap().policy = Some(reordered);
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
    // An adopted role's other policies are weighed.
    o.role.as_mut().unwrap().tags.clear();
    let adopting = DesiredArchive {
        adopt: true,
        ..d.clone()
    };
    let admin = crate::iam::Grants::identity(&[json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})]);
    let blocked = plan_archive(&adopting, Some(&o), Some(&admin)).unwrap_err();
    assert!(
        matches!(
            blocked,
            Blocked::Role(RoleRefusal::WiderRole {
                who: "Firehose",
                ..
            })
        ),
        "{blocked:?}"
    );
    // A session length is none of our business on Firehose's role.
    let mut o = converged(&d);
    o.role.as_mut().unwrap().max_session = 7200;
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
}

#[test]
fn firehoses_role_is_converged_or_refused_when_not_ours() {
    let d = desired(None);
    let mut o = converged(&d);
    let r = o.role.as_mut().unwrap();
    r.trust = json!({"Statement": []});
    r.policy = None;
    r.tags.clear();
    let text = blocked(planned(&d, Some(&o)));
    assert!(
        text.contains("Firehose's role buzz-events-archive-firehose"),
        "{text}"
    );
    let adopting = DesiredArchive {
        adopt: true,
        ..d.clone()
    };
    let p = planned(&adopting, Some(&o)).unwrap();
    assert_eq!(
        kinds(&p),
        ["update_role_trust", "put_role_policy", "tag_role"]
    );
    assert_eq!(p.archive[1].before_after(), (Value::Null, d.policy.clone()));
    assert!(p
        .archive
        .iter()
        .all(|a| !a.is_create() && a.chain() == "role"));
}

#[test]
fn the_table_is_updated_naming_what_differs_and_a_foreign_database_refused() {
    let d = desired(None);
    let mut o = converged(&d);
    let t = o.glue.table.as_mut().unwrap();
    t.location = Some("s3://elsewhere/".into());
    t.parameters
        .insert("projection.enabled".into(), "false".into());
    t.columns.pop();
    t.partitions.clear();
    t.serde = None;
    let p = planned(&d, Some(&o)).unwrap();
    assert_eq!(
        p.archive,
        [ArchiveAction::Glue(GlueAction::UpdateTable {
            database: "buzz_events".into(),
            table: "events".into(),
            differs: vec![
                "location".into(),
                "columns".into(),
                "partition keys".into(),
                "parameter projection.enabled".into(),
                "SerDe".into()
            ],
        })]
    );
    // A parameter the table has beyond ours (Glue adds some) is no difference.
    let mut o = converged(&d);
    o.glue
        .table
        .as_mut()
        .unwrap()
        .parameters
        .insert("transient_lastDdlTime".into(), "1".into());
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
    let mut o = converged(&d);
    o.glue.database = Some(BTreeMap::new());
    assert!(blocked(planned(&d, Some(&o))).contains("the Glue database buzz_events"));
    o.glue.table = None;
    let adopting = DesiredArchive { adopt: true, ..d };
    assert_eq!(
        kinds(&planned(&adopting, Some(&o)).unwrap()),
        ["create_table"]
    );
}

#[test]
fn a_delivery_stream_is_updated_in_place_and_replaced_only_for_its_source_bucket_or_role() {
    let d = desired(None);
    // What UpdateDestination changes: one update, with the version read back.
    let updatable: [(&str, Change<DeliveryState>); 9] = [
        ("prefix", |x| x.prefix = Some("x/".into())),
        ("error prefix", |x| x.error_prefix = None),
        ("compression", |x| {
            x.compression = Some("UNCOMPRESSED".into())
        }),
        ("processors", |x| x.processors.reverse()),
        ("processors", |x| {
            x.processors[1]
                .1
                .insert("MetadataExtractionQuery".into(), "{}".into());
        }),
        ("buffering", |x| x.buffer_seconds = Some(60)),
        ("buffering", |x| x.buffer_mib = Some(128)),
        ("retry", |x| x.retry_seconds = Some(0)),
        ("logging", |x| x.logging = None),
    ];
    for (what, change) in updatable {
        let mut o = converged(&d);
        let x = o.delivery.as_mut().unwrap();
        x.version_id = "7".into();
        x.destination_id = "destinationId-000000000001".into();
        change(x);
        let p = planned(&d, Some(&o)).unwrap();
        assert_eq!(
            p.archive,
            [ArchiveAction::Delivery(
                DeliveryAction::UpdateDeliveryStream {
                    name: "buzz-events-archive".into(),
                    differs: vec![what.into()],
                    version_id: "7".into(),
                    destination_id: "destinationId-000000000001".into(),
                }
            )],
            "{what}"
        );
        assert!(p.notes.is_empty(), "{what}: {:?}", p.notes);
    }
    // What only a new delivery stream changes: replaced, the events in between said lost;
    // an update beside it is not needed (the new one is made whole).
    let fixed: [(&str, Change<DeliveryState>); 5] = [
        ("source stream", |x| {
            x.source_stream_arn = Some("arn:other".into())
        }),
        ("source role", |x| x.source_role_arn = None),
        ("bucket", |x| {
            x.bucket_arn = Some("arn:aws:s3:::other".into())
        }),
        ("role", |x| x.role_arn = None),
        ("dynamic partitioning", |x| x.dynamic_partitioning = false),
    ];
    for (what, change) in fixed {
        let mut o = converged(&d);
        let x = o.delivery.as_mut().unwrap();
        change(x);
        x.prefix = None;
        let p = planned(&d, Some(&o)).unwrap();
        assert_eq!(
            p.archive,
            [ArchiveAction::Delivery(
                DeliveryAction::ReplaceDeliveryStream {
                    name: "buzz-events-archive".into(),
                    differs: vec![what.into()],
                    stream_arn: STREAM_ARN.into(),
                    bucket: "district-42-buzz".into(),
                }
            )],
            "{what}"
        );
        let said = p
            .notes
            .iter()
            .map(|n| n.message.as_str())
            .collect::<String>();
        assert!(
            said.contains(what) && said.contains("are not archived"),
            "{what}: {said}"
        );
    }
    let mut o = converged(&d);
    o.delivery.as_mut().unwrap().tags.clear();
    assert!(blocked(planned(&d, Some(&o))).contains("was not made by buzz-kinesis"));
    let mut o = converged(&d);
    o.delivery.as_mut().unwrap().status = "DELETING".into();
    assert!(blocked(planned(&d, Some(&o))).contains("is being deleted"));
    // Still being made: nothing to do.
    o.delivery.as_mut().unwrap().status = "CREATING".into();
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
}

#[test]
fn processors_compare_by_their_parameters_names_not_their_order() {
    // Firehose may echo the parameters in another order: the map is the same, no change.
    let d = desired(None);
    let mut o = converged(&d);
    let echoed: BTreeMap<String, String> = [
        ("JsonParsingEngine", archive::JQ_ENGINE),
        ("MetadataExtractionQuery", archive::JQ_QUERY),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    o.delivery.as_mut().unwrap().processors[1] = ("MetadataExtraction".into(), echoed);
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
}

#[test]
fn a_changed_buffer_updates_the_delivery_stream() {
    let d = desired(None);
    let o = converged(&d);
    let faster = DesiredArchive {
        model: d
            .model
            .clone()
            .with_buffer(crate::names::ArchiveBuffer::parse("--archive-buffer", "60").unwrap()),
        ..d.clone()
    };
    assert_eq!(faster.delivery().buffer_seconds, Some(60));
    assert_eq!(d.delivery().buffer_seconds, Some(300));
    assert_eq!(
        kinds(&planned(&faster, Some(&o)).unwrap()),
        ["update_delivery_stream"]
    );
}

#[test]
fn the_projection_keeps_the_day_the_table_was_made_and_only_our_table_changes() {
    let d = desired(None);
    assert_eq!(
        d.table().parameters["projection.dt.range"],
        "2026-01-02,NOW"
    );
    // Made on an earlier day: kept, and nothing planned for it.
    let mut o = converged(&d);
    let t = o.glue.table.as_mut().unwrap();
    t.parameters
        .insert("projection.dt.range".into(), "2025-03-04,NOW".into());
    let kept = d.table_over(o.glue.table.as_ref());
    assert_eq!(kept.parameters["projection.dt.range"], "2025-03-04,NOW");
    assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
    // No range (or an empty start): the archive's own day.
    let mut bare = d.table();
    bare.parameters.remove("projection.dt.range");
    assert_eq!(
        d.table_over(Some(&bare)).parameters["projection.dt.range"],
        "2026-01-02,NOW"
    );
    bare.parameters
        .insert("projection.dt.range".into(), ",NOW".into());
    assert_eq!(
        d.table_over(Some(&bare)).parameters["projection.dt.range"],
        "2026-01-02,NOW"
    );
    assert_eq!(d.table_over(None), d.table());
    // A table without our mark: refused, with --adopt marked.
    let mut o = converged(&d);
    o.glue
        .table
        .as_mut()
        .unwrap()
        .parameters
        .remove(crate::state::MANAGED_BY.0);
    let text = blocked(planned(&d, Some(&o)));
    assert!(
        text.contains("the Glue table buzz_events.events") && text.contains("--adopt"),
        "{text}"
    );
    let adopting = DesiredArchive { adopt: true, ..d };
    assert_eq!(
        planned(&adopting, Some(&o)).unwrap().archive,
        [ArchiveAction::Glue(GlueAction::UpdateTable {
            database: "buzz_events".into(),
            table: "events".into(),
            differs: vec![format!("parameter {}", crate::state::MANAGED_BY.0)],
        })]
    );
}

#[test]
fn the_delivery_stream_and_table_are_what_the_model_says() {
    let d = desired(None);
    let x = d.delivery();
    assert_eq!(x.source_stream_arn.as_deref(), Some(STREAM_ARN));
    assert_eq!(x.prefix.as_deref(), Some(archive::PREFIX));
    assert_eq!(
        x.processors[1].1["MetadataExtractionQuery"],
        archive::JQ_QUERY
    );
    let t = d.table();
    assert_eq!(t.location.as_deref(), Some("s3://district-42-buzz/events/"));
    assert_eq!(
        t.partitions,
        [
            ("type".to_owned(), "string".to_owned()),
            ("dt".to_owned(), "string".to_owned())
        ]
    );
    assert_eq!(t.serde.as_deref(), Some(archive::SERDE));
    assert_eq!(summary(&d)["delivery_stream"], "buzz-events-archive");
}
