//! The archive's plan (`--archive-bucket`): the bucket, Firehose's role, the delivery stream
//! and the Glue table, each converged on its own. What protects the user's data lives here:
//! a bucket that is not ours is used only with `--adopt` and never when it already holds
//! objects under our prefixes; a lifecycle or bucket policy someone else wrote is left as it
//! is (S3 replaces both whole); a delivery stream is updated in place wherever Firehose allows
//! (a new one starts at the stream's newest record: the events in between would be lost), and
//! made anew only when its source, bucket or role differ, which the plan says.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::role::{plan_any_role, RoleAction, RolePart};
use super::{missing_tags, tag_map, Blocked, Note, Plan, Widen};
use crate::archive::{self, Archive};
use crate::state::{
    is_managed, ArchiveState, BucketFound, BucketState, DeliveryState, LogState, Resource,
    RoleState, TableState, ViewState,
};

/// The archive as the run wants it, its ARNs resolved.
#[derive(Debug, Clone)]
pub struct DesiredArchive {
    pub model: Archive,
    pub stream_arn: String,
    /// This account: the bucket must be its (`s3:ResourceAccount`, `ExpectedBucketOwner`).
    pub account: String,
    /// Firehose's role.
    pub role_arn: String,
    pub trust: Value,
    /// Trusts earlier versions wrote on Firehose's role, moved to `trust` unasked.
    pub previous_trusts: Vec<Value>,
    pub policy: Value,
    pub database_arn: String,
    /// `--adopt`: a bucket, role or database of that name that buzz-kinesis did not make may
    /// be used (and tagged as ours).
    pub adopt: bool,
    /// `--archive-views`: make the model's views beside the table.
    pub views: bool,
    /// What the run allows that widens Firehose's role (as the writer role's).
    pub widen: Widen,
}

impl DesiredArchive {
    /// The delivery stream as setup makes it, in the terms DescribeDeliveryStream answers.
    pub fn delivery(&self) -> DeliveryState {
        DeliveryState {
            arn: String::new(),
            status: String::new(),
            tags: BTreeMap::new(),
            source_stream_arn: Some(self.stream_arn.clone()),
            source_role_arn: Some(self.role_arn.clone()),
            bucket_arn: Some(self.model.bucket_arn()),
            role_arn: Some(self.role_arn.clone()),
            prefix: Some(archive::PREFIX.to_owned()),
            error_prefix: Some(archive::ERROR_PREFIX.to_owned()),
            compression: Some(archive::COMPRESSION.to_owned()),
            dynamic_partitioning: true,
            processors: self
                .model
                .processors()
                .into_iter()
                .map(|p| {
                    (
                        p.kind.to_owned(),
                        p.parameters
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect(),
                    )
                })
                .collect(),
            buffer_mib: Some(archive::BUFFER_MIB),
            buffer_seconds: Some(self.model.buffer.get()),
            retry_seconds: Some(archive::RETRY_SECONDS),
            logging: Some((true, self.model.log_group(), archive::LOG_STREAM.to_owned())),
            version_id: String::new(),
            destination_id: String::new(),
        }
    }

    /// The Glue table as setup makes it.
    pub fn table(&self) -> TableState {
        let cols = |cs: &[archive::Column]| {
            cs.iter()
                .map(|c| (c.name.to_owned(), c.kind.to_owned()))
                .collect()
        };
        TableState {
            location: Some(self.model.location()),
            columns: cols(archive::COLUMNS),
            partitions: cols(archive::PARTITIONS),
            parameters: self
                .model
                .table_parameters()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            serde: Some(archive::SERDE.to_owned()),
            serde_parameters: self
                .model
                .serde_parameters()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    /// The table as setup writes it over `have`: partition projection's first day is the day
    /// the archive was made, so a table already there keeps its own (moving it would hide
    /// the days before, or project empty ones).
    pub fn table_over(&self, have: Option<&TableState>) -> TableState {
        const RANGE: &str = "projection.dt.range";
        let mut t = self.table();
        let start = have
            .and_then(|h| h.parameters.get(RANGE))
            .and_then(|r| r.split_once(','))
            .map(|(start, _)| start.trim())
            .filter(|start| !start.is_empty());
        if let Some(start) = start {
            t.parameters
                .insert(RANGE.to_owned(), format!("{start},NOW"));
        }
        t
    }

    /// The bucket's lifecycle rules, as S3 reports them back.
    fn lifecycle(&self) -> Vec<crate::state::RuleState> {
        self.model
            .lifecycle()
            .iter()
            .map(|r| {
                (
                    r.id.to_owned(),
                    r.prefix.to_owned(),
                    r.expire_days,
                    r.abort_uploads_days,
                    r.noncurrent_days,
                    r.expired_delete_markers,
                )
            })
            .collect()
    }
}

/// One change to the archive.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArchiveAction {
    CreateBucket {
        bucket: String,
    },
    BlockPublicAccess {
        bucket: String,
    },
    EnforceBucketOwner {
        bucket: String,
    },
    /// SSE-KMS with the stream's customer-managed key, or SSE-S3.
    PutBucketEncryption {
        bucket: String,
        kms_key: Option<String>,
    },
    EnableVersioning {
        bucket: String,
    },
    PutLifecycle {
        bucket: String,
        rules: Vec<String>,
    },
    PutBucketPolicy {
        bucket: String,
        after: Value,
    },
    /// The bucket's whole tag set afterwards: the tags it had, with ours.
    TagBucket {
        bucket: String,
        tags: BTreeMap<String, String>,
    },
    CreateRole {
        role: String,
        trust: Value,
        tags: BTreeMap<String, String>,
    },
    UpdateRoleTrust {
        role: String,
        before: Value,
        after: Value,
    },
    PutRolePolicy {
        role: String,
        before: Option<Value>,
        after: Value,
    },
    TagRole {
        role: String,
        tags: BTreeMap<String, String>,
    },
    CreateDatabase {
        database: String,
        tags: BTreeMap<String, String>,
    },
    CreateTable {
        database: String,
        table: String,
    },
    /// The table's definition differs (UpdateTable takes it whole).
    UpdateTable {
        database: String,
        table: String,
        differs: Vec<String>,
    },
    /// A view beside the table (`--archive-views`), made as Athena stores one.
    CreateView {
        database: String,
        view: String,
    },
    /// Our view, whose definition differs from the model's.
    UpdateView {
        database: String,
        view: String,
    },
    /// Firehose's error log: the group (tagged), then the stream its logging options name.
    CreateLogGroup {
        group: String,
        tags: BTreeMap<String, String>,
    },
    CreateLogStream {
        group: String,
        stream: String,
    },
    /// How long the error log is kept (ours only).
    PutLogRetention {
        group: String,
        days: u32,
    },
    /// Made last: it needs the bucket, its role (assumable) and the stream (active).
    CreateDeliveryStream {
        name: String,
        stream_arn: String,
        bucket: String,
    },
    /// UpdateDestination: what differs of what Firehose changes in place.
    UpdateDeliveryStream {
        name: String,
        differs: Vec<String>,
        version_id: String,
        destination_id: String,
    },
    /// Deleted and made anew: its source, bucket, role or partitioning differ, which no update
    /// changes. The events the stream receives in between are not archived.
    ReplaceDeliveryStream {
        name: String,
        differs: Vec<String>,
        stream_arn: String,
        bucket: String,
    },
}

impl ArchiveAction {
    pub fn is_create(&self) -> bool {
        matches!(
            self,
            ArchiveAction::CreateBucket { .. }
                | ArchiveAction::CreateRole { .. }
                | ArchiveAction::CreateDatabase { .. }
                | ArchiveAction::CreateTable { .. }
                | ArchiveAction::CreateView { .. }
                | ArchiveAction::CreateLogGroup { .. }
                | ArchiveAction::CreateDeliveryStream { .. }
        )
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub fn before_after(&self) -> (Value, Value) {
        match self {
            ArchiveAction::UpdateRoleTrust { before, after, .. } => (before.clone(), after.clone()),
            ArchiveAction::PutRolePolicy { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
            ArchiveAction::PutBucketPolicy { after, .. } => (Value::Null, after.clone()),
            other => (
                Value::Null,
                serde_json::to_value(other).unwrap_or(Value::Null),
            ),
        }
    }

    /// Which part of the archive it changes: `bucket`, `role`, `table`, `log` or `delivery`.
    pub fn part(&self) -> &'static str {
        match self {
            ArchiveAction::CreateBucket { .. }
            | ArchiveAction::BlockPublicAccess { .. }
            | ArchiveAction::EnforceBucketOwner { .. }
            | ArchiveAction::PutBucketEncryption { .. }
            | ArchiveAction::EnableVersioning { .. }
            | ArchiveAction::PutLifecycle { .. }
            | ArchiveAction::PutBucketPolicy { .. }
            | ArchiveAction::TagBucket { .. } => "bucket",
            ArchiveAction::CreateRole { .. }
            | ArchiveAction::UpdateRoleTrust { .. }
            | ArchiveAction::PutRolePolicy { .. }
            | ArchiveAction::TagRole { .. } => "role",
            ArchiveAction::CreateDatabase { .. }
            | ArchiveAction::CreateTable { .. }
            | ArchiveAction::UpdateTable { .. }
            | ArchiveAction::CreateView { .. }
            | ArchiveAction::UpdateView { .. } => "table",
            ArchiveAction::CreateLogGroup { .. }
            | ArchiveAction::CreateLogStream { .. }
            | ArchiveAction::PutLogRetention { .. } => "log",
            ArchiveAction::CreateDeliveryStream { .. }
            | ArchiveAction::UpdateDeliveryStream { .. }
            | ArchiveAction::ReplaceDeliveryStream { .. } => "delivery",
        }
    }
}

/// Why the archive cannot be made as asked.
fn refuse(what: String, problem: String, fix: &str) -> Blocked {
    Blocked::Archive {
        what,
        problem,
        fix: fix.to_owned(),
    }
}

pub(super) fn plan_archive(
    d: &DesiredArchive,
    observed: Option<&ArchiveState>,
    role_grants: Option<&crate::policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let missing = ArchiveState {
        bucket: BucketFound::Missing,
        role: None,
        delivery: None,
        database: None,
        table: None,
        log: None,
        views: BTreeMap::new(),
    };
    let o = observed.unwrap_or(&missing);
    plan_bucket(d, &o.bucket, p)?;
    plan_role(d, o.role.as_ref(), role_grants, p)?;
    plan_table(d, o.database.as_ref(), o.table.as_ref(), p)?;
    plan_views(d, &o.views, p);
    plan_log(d, o.log.as_ref(), p);
    plan_delivery(d, o.delivery.as_ref(), p)?;
    Ok(())
}

fn plan_bucket(d: &DesiredArchive, found: &BucketFound, p: &mut Plan) -> Result<(), Blocked> {
    let bucket = d.model.bucket.as_str().to_owned();
    let what = format!("the bucket {bucket}");
    let empty = BucketState::default();
    let b = match found {
        BucketFound::Forbidden => {
            return Err(refuse(
                what,
                "exists, and this AWS identity may not read it (S3 answered 403): it belongs to another account, or a policy keeps you out. S3's bucket names are global".into(),
                "choose another --archive-bucket, or run as an identity of the bucket's own account",
            ))
        }
        BucketFound::ElsewhereIn(region) => {
            return Err(refuse(
                what,
                format!("is in {region}, not in the stream's region: Firehose delivers only to a bucket in its own region"),
                "choose another --archive-bucket (setup makes it in the stream's region), or run setup in the bucket's region",
            ))
        }
        BucketFound::Missing => {
            p.archive.push(ArchiveAction::CreateBucket {
                bucket: bucket.clone(),
            });
            &empty
        }
        BucketFound::Here(b) => {
            if !is_managed(&b.tags) {
                if !d.adopt {
                    return Err(refuse(
                        what,
                        "exists and was not made by buzz-kinesis (it has no managed-by tag)".into(),
                        "pass --adopt to use it as the archive (setup then blocks public access, turns on versioning and tags it; it deletes nothing), or choose another --archive-bucket",
                    ));
                }
                if b.objects_under_prefix {
                    return Err(refuse(
                        what,
                        format!("already holds objects under {} or {} that buzz-kinesis did not write: the archive would mix with them", archive::EVENTS_PREFIX, archive::ERRORS_PREFIX),
                        "choose another --archive-bucket (an empty one, or a new name setup makes)",
                    ));
                }
            }
            b
        }
    };
    if !b.public_blocked {
        p.archive.push(ArchiveAction::BlockPublicAccess {
            bucket: bucket.clone(),
        });
    }
    if !b.owner_enforced && !matches!(found, BucketFound::Missing) {
        p.archive.push(ArchiveAction::EnforceBucketOwner {
            bucket: bucket.clone(),
        });
    }
    let key = d.model.key.as_ref().map(|k| k.as_str().to_owned());
    let encryption_ok = match (&key, &b.encryption) {
        (Some(k), Some((algo, have))) => algo == "aws:kms" && have.as_deref() == Some(k.as_str()),
        (Some(_), None) => false,
        // SSE-S3 asked: any default encryption already there is at least that.
        (None, have) => have.is_some(),
    };
    if !encryption_ok {
        p.archive.push(ArchiveAction::PutBucketEncryption {
            bucket: bucket.clone(),
            kms_key: key,
        });
    }
    if !b.versioning {
        p.archive.push(ArchiveAction::EnableVersioning {
            bucket: bucket.clone(),
        });
    }
    let want = d.lifecycle();
    let ours: Vec<&str> = want.iter().map(|r| r.0.as_str()).collect();
    let mut have = b.lifecycle.clone();
    have.sort();
    let mut sorted_want = want.clone();
    sorted_want.sort();
    if have != sorted_want {
        let foreign: Vec<&str> = have
            .iter()
            .map(|r| r.0.as_str())
            .filter(|id| !ours.contains(id))
            .collect();
        if foreign.is_empty() {
            p.archive.push(ArchiveAction::PutLifecycle {
                bucket: bucket.clone(),
                rules: ours.iter().map(|s| (*s).to_owned()).collect(),
            });
        } else {
            p.notes.push(Note {
                resource: Resource::Archive,
                message: format!(
                    "the bucket {bucket} has lifecycle rules of its own ({}): S3 replaces a lifecycle whole, so setup leaves it as it is; add the archive's rules ({}) to it yourself if you want them",
                    foreign.join(", "),
                    ours.join(", ")
                ),
            });
        }
    }
    let policy = d.model.bucket_policy();
    match &b.policy {
        None => p.archive.push(ArchiveAction::PutBucketPolicy {
            bucket: bucket.clone(),
            after: policy,
        }),
        Some(have) if *have == policy => {}
        Some(_) => p.notes.push(Note {
            resource: Resource::Archive,
            message: format!(
                "the bucket {bucket} has a bucket policy of its own: S3 replaces a policy whole, so setup leaves it as it is; the archive's refuses requests without TLS: {policy}"
            ),
        }),
    }
    let want_tags = tag_map(&[], true);
    let add = missing_tags(&want_tags, &b.tags);
    if !add.is_empty() {
        let mut all = b.tags.clone();
        all.extend(add);
        p.archive
            .push(ArchiveAction::TagBucket { bucket, tags: all });
    }
    Ok(())
}

/// Firehose's role, through the same role part as the writer's: a role someone else made is
/// refused without `--adopt` (it would be handed to Firehose), then trust, policy and tags
/// narrow or stay as the writer role's do.
fn plan_role(
    d: &DesiredArchive,
    role: Option<&RoleState>,
    grants: Option<&crate::policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let name = d.model.role();
    if role.is_some_and(|r| !r.is_managed()) && !d.adopt {
        return Err(refuse(
            format!("Firehose's role {name}"),
            "exists and was not made by buzz-kinesis (it has no managed-by tag)".into(),
            "pass --adopt to give it the archive's trust and policy, or remove it",
        ));
    }
    let part = RolePart {
        name: &name,
        who: "Firehose",
        resource: Resource::Archive,
        trust: &d.trust,
        previous_trusts: &d.previous_trusts,
        policy: &d.policy,
        policy_name: archive::POLICY_NAME,
        tags: tag_map(&[], true),
        // Firehose's sessions are its own business: made with IAM's default, never changed.
        max_session: None,
        create_session: FIREHOSE_SESSION_SECONDS,
        adopt: d.adopt,
        widen: d.widen,
    };
    let actions = plan_any_role(&part, role, grants, &mut p.notes)?;
    p.archive.extend(
        actions
            .into_iter()
            .filter_map(|a| archive_role_action(&name, a)),
    );
    Ok(())
}

/// IAM's default session length, the one Firehose's role is made with.
pub const FIREHOSE_SESSION_SECONDS: i32 = 3600;

/// The role part's action as the archive's (its JSON and its apply keep their names).
/// `UpdateMaxSession` cannot come: Firehose's role asks for no session length.
fn archive_role_action(role: &str, a: RoleAction) -> Option<ArchiveAction> {
    let role = role.to_owned();
    match a {
        RoleAction::CreateRole { trust, tags, .. } => {
            Some(ArchiveAction::CreateRole { role, trust, tags })
        }
        RoleAction::UpdateTrust { before, after } => Some(ArchiveAction::UpdateRoleTrust {
            role,
            before,
            after,
        }),
        RoleAction::PutPolicy { before, after } => Some(ArchiveAction::PutRolePolicy {
            role,
            before,
            after,
        }),
        RoleAction::TagRole { tags } => Some(ArchiveAction::TagRole { role, tags }),
        RoleAction::UpdateMaxSession { .. } => None,
    }
}

fn plan_table(
    d: &DesiredArchive,
    database: Option<&BTreeMap<String, String>>,
    table: Option<&TableState>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let db = d.model.database();
    match database {
        None => p.archive.push(ArchiveAction::CreateDatabase {
            database: db.clone(),
            tags: tag_map(&[], true),
        }),
        Some(tags) if !is_managed(tags) && !d.adopt => {
            return Err(refuse(
                format!("the Glue database {db}"),
                "exists and was not made by buzz-kinesis (it has no managed-by tag)".into(),
                "pass --adopt to put the archive's table in it, or remove it",
            ))
        }
        Some(_) => {}
    }
    let want = d.table_over(table);
    match table {
        None => p.archive.push(ArchiveAction::CreateTable {
            database: db,
            table: archive::TABLE.into(),
        }),
        // Glue tables carry no tags: our mark is a parameter. A table without it is someone
        // else's (or an earlier version's, before the mark): changed only with --adopt.
        Some(have) if !is_managed(&have.parameters) && !d.adopt => {
            return Err(refuse(
                format!("the Glue table {db}.{}", archive::TABLE),
                "exists and was not made by buzz-kinesis (it has no managed-by parameter)".into(),
                "pass --adopt to make it the archive's table (setup rewrites its definition and marks it; a table an earlier buzz-kinesis made has no mark either), or drop it",
            ))
        }
        Some(have) => {
            let differs = table_differences(have, &want);
            if !differs.is_empty() {
                p.archive.push(ArchiveAction::UpdateTable {
                    database: db,
                    table: archive::TABLE.into(),
                    differs,
                });
            }
        }
    }
    Ok(())
}

/// The views, only with `--archive-views`: each made when missing and set back when ours
/// differs; a table or view of that name someone else made stays as it is, said in a note.
/// Without the flag, views found are left alone (never deleted unasked).
fn plan_views(d: &DesiredArchive, found: &BTreeMap<String, ViewState>, p: &mut Plan) {
    if !d.views {
        return;
    }
    let database = d.model.database();
    for view in d.model.views() {
        let want = view.original_text(&database, &d.account);
        let (database, name) = (database.clone(), view.name.to_owned());
        match found.get(view.name) {
            None => p.archive.push(ArchiveAction::CreateView {
                database,
                view: name,
            }),
            Some(v) if !v.managed => p.notes.push(Note {
                resource: Resource::Archive,
                message: format!(
                    "the Glue table {database}.{name} was not made by buzz-kinesis: it stays as it is, and --archive-views does not make that view (drop it, or keep yours)"
                ),
            }),
            Some(v) if v.original_text.as_deref() != Some(want.as_str()) => {
                p.archive.push(ArchiveAction::UpdateView {
                    database,
                    view: name,
                })
            }
            Some(_) => {}
        }
    }
}

/// Firehose's error log: made when missing, its stream added when missing; the retention is
/// converged only on a log group setup made (someone else's keeps theirs).
fn plan_log(d: &DesiredArchive, log: Option<&LogState>, p: &mut Plan) {
    let group = d.model.log_group();
    let stream = archive::LOG_STREAM.to_owned();
    let Some(l) = log else {
        p.archive.push(ArchiveAction::CreateLogGroup {
            group: group.clone(),
            tags: tag_map(&[], true),
        });
        p.archive.push(ArchiveAction::CreateLogStream {
            group: group.clone(),
            stream,
        });
        p.archive.push(ArchiveAction::PutLogRetention {
            group,
            days: archive::LOG_RETENTION_DAYS,
        });
        return;
    };
    if !l.has_stream {
        p.archive.push(ArchiveAction::CreateLogStream {
            group: group.clone(),
            stream,
        });
    }
    if is_managed(&l.tags) && l.retention_days != Some(archive::LOG_RETENTION_DAYS) {
        p.archive.push(ArchiveAction::PutLogRetention {
            group,
            days: archive::LOG_RETENTION_DAYS,
        });
    }
}

/// What of the table's definition differs, by name.
fn table_differences(have: &TableState, want: &TableState) -> Vec<String> {
    let mut out = Vec::new();
    if have.location != want.location {
        out.push("location".to_owned());
    }
    if have.columns != want.columns {
        out.push("columns".to_owned());
    }
    if have.partitions != want.partitions {
        out.push("partition keys".to_owned());
    }
    for (k, v) in &want.parameters {
        if have.parameters.get(k) != Some(v) {
            out.push(format!("parameter {k}"));
        }
    }
    if have.serde != want.serde || have.serde_parameters != want.serde_parameters {
        out.push("SerDe".to_owned());
    }
    out
}

/// What of the delivery stream differs from what setup makes, by name: first what only a new
/// delivery stream changes (the source, the bucket, the role, whether it partitions), then what
/// UpdateDestination changes in place.
fn delivery_differences(have: &DeliveryState, want: &DeliveryState) -> (Vec<String>, Vec<String>) {
    let (mut fixed, mut updatable) = (Vec::new(), Vec::new());
    let differs = |out: &mut Vec<String>, name: &str, same: bool| {
        if !same {
            out.push(name.to_owned());
        }
    };
    differs(
        &mut fixed,
        "source stream",
        have.source_stream_arn == want.source_stream_arn,
    );
    differs(
        &mut fixed,
        "source role",
        have.source_role_arn == want.source_role_arn,
    );
    differs(&mut fixed, "bucket", have.bucket_arn == want.bucket_arn);
    differs(&mut fixed, "role", have.role_arn == want.role_arn);
    // Firehose enables dynamic partitioning only when it makes a delivery stream.
    differs(
        &mut fixed,
        "dynamic partitioning",
        have.dynamic_partitioning == want.dynamic_partitioning,
    );
    let u = &mut updatable;
    differs(u, "prefix", have.prefix == want.prefix);
    differs(u, "error prefix", have.error_prefix == want.error_prefix);
    differs(u, "compression", have.compression == want.compression);
    differs(u, "processors", have.processors == want.processors);
    differs(
        u,
        "buffering",
        have.buffer_mib == want.buffer_mib && have.buffer_seconds == want.buffer_seconds,
    );
    differs(u, "retry", have.retry_seconds == want.retry_seconds);
    differs(u, "logging", have.logging == want.logging);
    (fixed, updatable)
}

fn plan_delivery(
    d: &DesiredArchive,
    have: Option<&DeliveryState>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let name = d.model.delivery_stream();
    let what = format!("the Firehose delivery stream {name}");
    let Some(have) = have else {
        p.archive.push(ArchiveAction::CreateDeliveryStream {
            name,
            stream_arn: d.stream_arn.clone(),
            bucket: d.model.bucket.as_str().to_owned(),
        });
        return Ok(());
    };
    if !is_managed(&have.tags) {
        return Err(refuse(
            what,
            "exists and was not made by buzz-kinesis (it has no managed-by tag)".into(),
            "remove it, or keep it and run setup without --archive-bucket",
        ));
    }
    if have.status == "DELETING" {
        return Err(refuse(
            what,
            "is being deleted".into(),
            "wait until it is gone (a minute or two), then run setup again",
        ));
    }
    let (fixed, updatable) = delivery_differences(have, &d.delivery());
    if !fixed.is_empty() {
        p.notes.push(Note {
            resource: Resource::Archive,
            message: format!(
                "{what} differs in what Firehose fixes when it makes one ({}): setup deletes it and makes it anew. A new delivery stream reads the stream from its newest record, so the events Buzz sends in between (a minute or so) are not archived; they stay in the stream for its retention",
                fixed.join(", ")
            ),
        });
        p.archive.push(ArchiveAction::ReplaceDeliveryStream {
            name,
            differs: fixed,
            stream_arn: d.stream_arn.clone(),
            bucket: d.model.bucket.as_str().to_owned(),
        });
    } else if !updatable.is_empty() {
        p.archive.push(ArchiveAction::UpdateDeliveryStream {
            name,
            differs: updatable,
            version_id: have.version_id.clone(),
            destination_id: have.destination_id.clone(),
        });
    }
    Ok(())
}

/// The archive's cost, for the plan: dated estimates from AWS's pricing pages (us-east-1 list
/// prices as read in 2026), since prices differ by region and change.
pub const COST_NOTE: &str = "the archive costs (us-east-1 list prices as read in 2026 on aws.amazon.com/firehose/pricing, aws.amazon.com/s3/pricing and aws.amazon.com/athena/pricing; other regions differ): Firehose ingestion from a Kinesis stream about $0.029 per GB, each record counted in 5 KB steps (a 1 KB event is billed as 5 KB); dynamic partitioning about $0.020 per GB, $0.005 per 1,000 objects delivered and about $0.07 per hour of JQ processing (the metadata extraction); S3 Standard storage about $0.023 per GB-month of the (gzip-compressed, typically 5-10x smaller) objects; Athena $5 per TB scanned by a query. Each event type active in a buffer interval (--archive-buffer) writes its own object. The stream's own cost is unchanged";

/// The note the plan carries when it makes the archive's delivery stream.
pub(super) fn cost_note(p: &mut Plan) {
    if p.archive
        .iter()
        .any(|a| matches!(a, ArchiveAction::CreateDeliveryStream { .. }))
    {
        p.notes.push(Note {
            resource: Resource::Archive,
            message: COST_NOTE.into(),
        });
    }
}

/// A JSON view of the archive's names, for the report.
pub fn summary(d: &DesiredArchive) -> Value {
    json!({
        "bucket": d.model.bucket.as_str(),
        "delivery_stream": d.model.delivery_stream(),
        "role": d.model.role(),
        "database": d.model.database(),
        "table": archive::TABLE,
        "location": d.model.location(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::names::{ArchiveDays, BucketName, KmsKey};
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
            bucket: BucketFound::Here(BucketState {
                tags: tag_map(&[], true),
                public_blocked: true,
                owner_enforced: true,
                encryption: Some(match &d.model.key {
                    Some(k) => ("aws:kms".into(), Some(k.as_str().to_owned())),
                    None => ("AES256".into(), None),
                }),
                versioning: true,
                lifecycle: d.lifecycle(),
                policy: Some(d.model.bucket_policy()),
                objects_under_prefix: false,
            }),
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
            database: Some(tag_map(&[], true)),
            table: Some(d.table()),
            log: Some(LogState {
                retention_days: Some(archive::LOG_RETENTION_DAYS),
                tags: tag_map(&[], true),
                has_stream: true,
            }),
            views: BTreeMap::new(),
        }
    }

    fn planned(d: &DesiredArchive, o: Option<&ArchiveState>) -> Result<Plan, Blocked> {
        let mut p = Plan::default();
        plan_archive(d, o, None, &mut p)?;
        cost_note(&mut p);
        Ok(p)
    }

    fn kinds(p: &Plan) -> Vec<String> {
        p.archive
            .iter()
            .map(|a| {
                serde_json::to_value(a).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    fn bucket_mut(o: &mut ArchiveState) -> &mut BucketState {
        match &mut o.bucket {
            BucketFound::Here(b) => b,
            _ => unreachable!(),
        }
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
                "create_role",
                "put_role_policy",
                "create_database",
                "create_table",
                "create_log_group",
                "create_log_stream",
                "put_log_retention",
                "create_delivery_stream",
            ]
        );
        // S3 makes a bucket with ACLs off (CreateBucket's ObjectOwnership): no second call.
        assert!(!kinds(&p).contains(&"enforce_bucket_owner".to_owned()));
        assert!(p.archive.iter().all(|a| !matches!(
            a,
            ArchiveAction::PutBucketEncryption {
                kms_key: Some(_),
                ..
            }
        )));
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("5 KB steps") && n.message.contains("JQ processing")));
        assert!(p.archive.iter().filter(|a| a.is_create()).count() == 6);
        let parts: Vec<&str> = p.archive.iter().map(ArchiveAction::part).collect();
        assert_eq!(
            parts,
            [
                "bucket", "bucket", "bucket", "bucket", "bucket", "bucket", "bucket", "role",
                "role", "table", "table", "log", "log", "log", "delivery"
            ]
        );
    }

    #[test]
    fn firehoses_error_log_gets_its_stream_and_our_retention_but_a_foreign_group_keeps_its_own() {
        let d = desired(None);
        let with_log = |change: Change<LogState>| {
            let mut o = converged(&d);
            change(o.log.as_mut().unwrap());
            kinds(&planned(&d, Some(&o)).unwrap())
        };
        assert_eq!(with_log(|l| l.has_stream = false), ["create_log_stream"]);
        assert_eq!(with_log(|l| l.retention_days = None), ["put_log_retention"]);
        assert_eq!(
            with_log(|l| l.retention_days = Some(7)),
            ["put_log_retention"]
        );
        // Someone else's log group: its stream is added (Firehose needs it), its retention kept.
        assert_eq!(
            with_log(|l| {
                l.tags.clear();
                l.retention_days = Some(7);
                l.has_stream = false;
            }),
            ["create_log_stream"]
        );
        let p = planned(&d, None).unwrap();
        let made = p.archive.iter().find_map(|a| match a {
            ArchiveAction::CreateLogGroup { group, tags } => Some((group.clone(), tags.clone())),
            _ => None,
        });
        assert_eq!(
            made,
            Some((
                "/aws/kinesisfirehose/buzz-events-archive".to_owned(),
                tag_map(&[], true)
            ))
        );
        assert!(p.archive.iter().any(|a| matches!(
            a,
            ArchiveAction::CreateLogStream { stream, .. } if stream == archive::LOG_STREAM
        )));
        assert!(p
            .archive
            .iter()
            .any(|a| matches!(a, ArchiveAction::PutLogRetention { days: 365, .. })));
    }

    #[test]
    fn views_are_made_only_when_asked_set_back_when_ours_differ_and_someone_elses_stay() {
        let d = DesiredArchive {
            views: true,
            ..desired(None)
        };
        let names = [
            archive::PER_DAY_VIEW,
            archive::LATEST_USER_VIEW,
            archive::DISTINCT_VIEW,
        ];
        // Asked, none there: each made, after the table (one chain, in order).
        let p = planned(&d, None).unwrap();
        let made: Vec<&str> = p
            .archive
            .iter()
            .filter_map(|a| match a {
                ArchiveAction::CreateView { database, view } => {
                    assert_eq!(database, "buzz_events");
                    Some(view.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(made, names);
        let at = |k: &str| kinds(&p).iter().position(|x| x == k).unwrap();
        assert!(at("create_table") < at("create_view"));
        assert!(p
            .archive
            .iter()
            .filter(|a| matches!(a, ArchiveAction::CreateView { .. }))
            .all(|a| a.is_create() && a.part() == "table"));
        // Not asked: none planned, whatever is there.
        assert!(!kinds(&planned(&desired(None), None).unwrap()).contains(&"create_view".to_owned()));
        // All ours as the model says: nothing.
        let ours = |text: String| ViewState {
            original_text: Some(text),
            managed: true,
        };
        let mut o = converged(&d);
        for v in d.model.views() {
            o.views.insert(
                v.name.to_owned(),
                ours(v.original_text("buzz_events", "123456789012")),
            );
        }
        let p = planned(&d, Some(&o)).unwrap();
        assert!(p.archive.is_empty(), "{:?}", kinds(&p));
        // Ours, changed by hand: set back, and update_view is no create.
        o.views.insert(
            archive::DISTINCT_VIEW.into(),
            ours("/* Presto View: e30= */".into()),
        );
        let p = planned(&d, Some(&o)).unwrap();
        assert_eq!(
            p.archive,
            [ArchiveAction::UpdateView {
                database: "buzz_events".into(),
                view: archive::DISTINCT_VIEW.into()
            }]
        );
        assert!(!p.archive[0].is_create());
        assert_eq!(p.archive[0].part(), "table");
        // Someone else's (a view the user made from the printed DDL): kept, and said.
        o.views.insert(
            archive::DISTINCT_VIEW.into(),
            ViewState {
                original_text: Some("/* Presto View: e30= */".into()),
                managed: false,
            },
        );
        let p = planned(&d, Some(&o)).unwrap();
        assert!(p.archive.is_empty(), "{:?}", kinds(&p));
        assert_eq!(
            p.notes.iter().map(|n| n.message.as_str()).collect::<Vec<_>>(),
            ["the Glue table buzz_events.events_distinct was not made by buzz-kinesis: it stays as it is, and --archive-views does not make that view (drop it, or keep yours)"]
        );
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
    fn each_bucket_setting_that_differs_is_one_action() {
        let d = desired(None);
        let cases: [(&str, Change<BucketState>); 7] = [
            ("block_public_access", |b| b.public_blocked = false),
            ("enforce_bucket_owner", |b| b.owner_enforced = false),
            ("put_bucket_encryption", |b| b.encryption = None),
            ("enable_versioning", |b| b.versioning = false),
            ("put_lifecycle", |b| b.lifecycle.clear()),
            ("put_lifecycle", |b| b.lifecycle[0].2 = Some(1)),
            ("put_bucket_policy", |b| b.policy = None),
        ];
        for (kind, change) in cases {
            let mut o = converged(&d);
            change(bucket_mut(&mut o));
            let p = planned(&d, Some(&o)).unwrap();
            assert_eq!(kinds(&p), [kind]);
        }
    }

    #[test]
    fn encryption_is_raised_to_the_streams_key_but_never_lowered() {
        // The stream's customer-managed key: a bucket on SSE-S3 moves to it.
        let d = desired(Some(KEY));
        let mut o = converged(&d);
        bucket_mut(&mut o).encryption = Some(("AES256".into(), None));
        let p = planned(&d, Some(&o)).unwrap();
        assert_eq!(
            p.archive,
            [ArchiveAction::PutBucketEncryption {
                bucket: "district-42-buzz".into(),
                kms_key: Some(KEY.into())
            }]
        );
        // Another key than the stream's: moved too.
        bucket_mut(&mut o).encryption = Some(("aws:kms".into(), Some("arn:other".into())));
        assert_eq!(
            kinds(&planned(&d, Some(&o)).unwrap()),
            ["put_bucket_encryption"]
        );
        // SSE-S3 asked, a key already there: left as it is.
        let d = desired(None);
        let mut o = converged(&d);
        bucket_mut(&mut o).encryption = Some(("aws:kms".into(), Some(KEY.into())));
        assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
    }

    #[test]
    fn someone_elses_lifecycle_and_policy_are_left_as_they_are_with_a_note() {
        let d = desired(None);
        let mut o = converged(&d);
        let b = bucket_mut(&mut o);
        b.lifecycle.push((
            "their-rule".into(),
            "logs/".into(),
            Some(3),
            None,
            None,
            false,
        ));
        b.policy = Some(json!({"Statement": [{"Sid": "Theirs"}]}));
        let p = planned(&d, Some(&o)).unwrap();
        assert!(p.archive.is_empty(), "{:?}", kinds(&p));
        let notes: Vec<&str> = p.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(
            notes[0].contains("their-rule") && notes[0].contains("expire-events"),
            "{notes:?}"
        );
        assert!(notes[1].contains("bucket policy of its own"), "{notes:?}");
        assert!(p.notes.iter().all(|n| n.resource == Resource::Archive));
    }

    #[test]
    fn our_tag_joins_the_buckets_own_tags() {
        let d = desired(None);
        let mut o = converged(&d);
        bucket_mut(&mut o).tags = BTreeMap::from([("team".into(), "data".into())]);
        let d = DesiredArchive { adopt: true, ..d };
        let p = planned(&d, Some(&o)).unwrap();
        let ArchiveAction::TagBucket { tags, .. } = &p.archive[0] else {
            panic!("{:?}", kinds(&p));
        };
        assert_eq!(tags.get("team").map(String::as_str), Some("data"));
        assert!(is_managed(tags));
    }

    #[test]
    fn buckets_that_are_not_ours_to_use_are_refused_with_the_fix() {
        let d = desired(None);
        let mut o = converged(&d);
        o.bucket = BucketFound::Forbidden;
        assert!(blocked(planned(&d, Some(&o))).contains("S3 answered 403"));
        o.bucket = BucketFound::ElsewhereIn("eu-west-1".into());
        let text = blocked(planned(&d, Some(&o)));
        assert!(text.contains("is in eu-west-1"), "{text}");
        // Untagged: only with --adopt, and never over objects already under our prefixes.
        let mut o = converged(&d);
        bucket_mut(&mut o).tags.clear();
        let text = blocked(planned(&d, Some(&o)));
        assert!(
            text.contains("the bucket district-42-buzz exists and was not made by buzz-kinesis")
                && text.contains("--adopt"),
            "{text}"
        );
        let adopting = DesiredArchive {
            adopt: true,
            ..d.clone()
        };
        assert_eq!(
            kinds(&planned(&adopting, Some(&o)).unwrap()),
            ["tag_bucket"]
        );
        bucket_mut(&mut o).objects_under_prefix = true;
        assert!(
            blocked(planned(&adopting, Some(&o))).contains("already holds objects under events/")
        );
        // Ours (tagged): objects under the prefix are ours.
        let mut o = converged(&d);
        bucket_mut(&mut o).objects_under_prefix = true;
        assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
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
        assert!(p.notes.iter().any(
            |n| n.resource == Resource::Archive && n.message.contains("ArnLike aws:SourceArn")
        ));
        // Another principal beside Firehose: refused without --replace-trust, naming Firehose.
        let mut wider = d.trust.clone();
        wider["Statement"][0]["Principal"] =
            json!({"Service": ["firehose.amazonaws.com", "ec2.amazonaws.com"]});
        o.role.as_mut().unwrap().trust = wider;
        assert!(matches!(
            planned(&d, Some(&o)),
            Err(Blocked::TrustAdmitsOthers {
                who: "Firehose",
                ..
            })
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
        let admin = crate::policy::Grants::identity(&[json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})]);
        let mut p = Plan::default();
        let blocked = plan_archive(&adopting, Some(&o), Some(&admin), &mut p).unwrap_err();
        assert!(
            matches!(
                blocked,
                Blocked::WiderRole {
                    who: "Firehose",
                    ..
                }
            ),
            "{blocked:?}"
        );
        // A session length is none of our business on Firehose's role.
        let mut o = converged(&d);
        o.role.as_mut().unwrap().max_session = 7200;
        assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
        assert_eq!(
            archive_role_action("r", RoleAction::UpdateMaxSession { from: 1, to: 2 }),
            None
        );
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
            .all(|a| !a.is_create() && a.part() == "role"));
    }

    #[test]
    fn the_table_is_updated_naming_what_differs_and_a_foreign_database_refused() {
        let d = desired(None);
        let mut o = converged(&d);
        let t = o.table.as_mut().unwrap();
        t.location = Some("s3://elsewhere/".into());
        t.parameters
            .insert("projection.enabled".into(), "false".into());
        t.columns.pop();
        t.partitions.clear();
        t.serde = None;
        let p = planned(&d, Some(&o)).unwrap();
        assert_eq!(
            p.archive,
            [ArchiveAction::UpdateTable {
                database: "buzz_events".into(),
                table: "events".into(),
                differs: vec![
                    "location".into(),
                    "columns".into(),
                    "partition keys".into(),
                    "parameter projection.enabled".into(),
                    "SerDe".into()
                ],
            }]
        );
        // A parameter the table has beyond ours (Glue adds some) is no difference.
        let mut o = converged(&d);
        o.table
            .as_mut()
            .unwrap()
            .parameters
            .insert("transient_lastDdlTime".into(), "1".into());
        assert!(planned(&d, Some(&o)).unwrap().archive.is_empty());
        let mut o = converged(&d);
        o.database = Some(BTreeMap::new());
        assert!(blocked(planned(&d, Some(&o))).contains("the Glue database buzz_events"));
        o.table = None;
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
                [ArchiveAction::UpdateDeliveryStream {
                    name: "buzz-events-archive".into(),
                    differs: vec![what.into()],
                    version_id: "7".into(),
                    destination_id: "destinationId-000000000001".into(),
                }],
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
                [ArchiveAction::ReplaceDeliveryStream {
                    name: "buzz-events-archive".into(),
                    differs: vec![what.into()],
                    stream_arn: STREAM_ARN.into(),
                    bucket: "district-42-buzz".into(),
                }],
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
        let t = o.table.as_mut().unwrap();
        t.parameters
            .insert("projection.dt.range".into(), "2025-03-04,NOW".into());
        let kept = d.table_over(o.table.as_ref());
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
        o.table
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
            [ArchiveAction::UpdateTable {
                database: "buzz_events".into(),
                table: "events".into(),
                differs: vec![format!("parameter {}", crate::state::MANAGED_BY.0)],
            }]
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
}
