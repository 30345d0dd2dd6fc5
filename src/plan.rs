//! Desired state vs actual state -> a plan: a list of typed actions, built by pure code with
//! no I/O. `setup --dry-run` prints the plan; `setup` applies that same value. Every rule that
//! protects the user's data lives here: never delete, never shrink retention unless asked,
//! never touch a role we do not manage unless `--adopt`, keep every other Buzz target.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::buzz::wire::{self, KinesisTarget};
use crate::names::{KmsKey, RetentionHours, Tag};
use crate::policy;
use crate::state::mark_managed;
// Re-exported so that commands written against `plan` keep their imports; the types live on
// the vocabulary floor, where the adapters can reach them without importing the plan.
pub use crate::sizing::Capacity;
pub use crate::state::{
    AlarmState, Resource, RoleState, StreamState, StreamStatus, TopicState, MANAGED_BY,
};

/// Buzz asks for 12-hour sessions.
pub const MAX_SESSION_SECONDS: i32 = 43_200;

/// What the user asked for, with ARNs resolved (account and region known).
#[derive(Debug, Clone)]
pub struct Desired {
    pub stream: String,
    pub stream_arn: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    pub allow_retention_decrease: bool,
    pub kms_key: Option<KmsKey>,
    pub tags: Vec<Tag>,
    pub role: String,
    pub role_arn: String,
    pub trust: Value,
    pub policy: Value,
    pub adopt: bool,
    /// What the user allowed that widens or drops access (each an explicit flag).
    pub widen: Widen,
    /// The expected peak load, when the user gave one: the plan says whether it fits.
    pub load: Option<crate::sizing::Load>,
    /// The user named a capacity (`--capacity-mode`): an existing stream is converged to it.
    /// Otherwise the default never changes a stream that exists.
    pub capacity_given: bool,
    /// Lowering a provisioned stream's shard count can lose events: only with
    /// `--allow-capacity-decrease`.
    pub allow_capacity_decrease: bool,
    /// The busiest minute CloudWatch saw on an existing stream (dry-run and the wizard read it),
    /// with the window it covers.
    pub measured: Option<(crate::metrics::Peak, String)>,
    /// `--alarm-email` / `--alarm-topic`: the alarm on refused writes, and where it notifies.
    pub alarm: Option<DesiredAlarm>,
    /// `None` when the run does not touch Buzz.
    pub buzz: Option<DesiredBuzz>,
}

/// What setup does only when a flag says so, because it widens who may use the role or
/// what the role may do: by default the trust and the permissions only narrow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Widen {
    /// `--remove-external-id`: a trust that requires an external id may lose the condition
    /// (the confused-deputy guard).
    pub remove_external_id: bool,
    /// `--replace-trust`: a trust that admits more than Agilix's account (other principals,
    /// statements or conditions) is replaced by setup's, which admits Agilix's account alone.
    pub replace_trust: bool,
    /// `--adopt-wider-role`: `--adopt` may take a role whose other policies let it do more
    /// than write to the stream (Agilix's account could then do all of it).
    pub adopt_wider_role: bool,
}

/// The alarm on the stream's refused writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAlarm {
    pub name: String,
    /// The topic it notifies: the user's (`--alarm-topic`), or ours, named after the stream.
    pub topic_arn: String,
    /// `Some(name)` when setup makes (and owns) the topic.
    pub own_topic: Option<String>,
    pub emails: Vec<crate::names::Email>,
}

#[derive(Debug, Clone)]
pub struct DesiredBuzz {
    pub domain: crate::names::DomainId,
    pub target: KinesisTarget,
    /// `false` with `--no-enable`: run Buzz's test, save nothing.
    pub save: bool,
}

/// What exists now. `buzz` is the domain's whole saved configuration.
#[derive(Debug, Clone, Default)]
pub struct Actual {
    pub stream: Option<StreamState>,
    pub role: Option<RoleState>,
    /// Every policy on an existing role setup did not create (read for `--adopt`): what else
    /// the role can do.
    pub role_grants: Option<policy::Grants>,
    /// Read only when an alarm is wanted.
    pub alarm: Option<AlarmState>,
    pub topic: Option<TopicState>,
    pub buzz: Option<Map<String, Value>>,
}

/// One change. `before`/`after` carry what a reader of the plan needs to see.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
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
    CreateTopic {
        name: String,
        tags: BTreeMap<String, String>,
    },
    SubscribeEmail {
        email: String,
    },
    /// Create or correct the alarm (PutMetricAlarm replaces it whole).
    PutAlarm {
        before: Option<Value>,
        after: Value,
    },
    CreateRole {
        trust: Value,
        max_session: i32,
        tags: BTreeMap<String, String>,
    },
    UpdateTrust {
        before: Value,
        after: Value,
    },
    UpdateMaxSession {
        from: i32,
        to: i32,
    },
    TagRole {
        tags: BTreeMap<String, String>,
    },
    PutPolicy {
        before: Option<Value>,
        after: Value,
    },
    /// Test our target with Buzz and (when `save`) save the configuration with it enabled.
    RegisterBuzzTarget {
        domain: String,
        before: Option<Value>,
        after: Value,
        save: bool,
        /// Further targets writing to the same stream, removed (each delivered every event
        /// again).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        merged: Vec<String>,
        /// The whole configuration to send, every other target as it was.
        #[serde(skip)]
        config: Map<String, Value>,
    },
}

impl Action {
    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    pub fn before_after(&self) -> (Value, Value) {
        use serde_json::json;
        match self {
            Action::CreateStream { capacity } => (Value::Null, json!({ "capacity": capacity })),
            Action::IncreaseRetention { from, to } | Action::DecreaseRetention { from, to } => (
                json!({"retention_hours": from}),
                json!({"retention_hours": to}),
            ),
            Action::StartEncryption { from, to } => {
                (json!({"kms_key": from}), json!({"kms_key": to}))
            }
            Action::TagStream { tags } | Action::TagRole { tags } => {
                (Value::Null, json!({ "tags": tags }))
            }
            Action::UpdateStreamMode { from, to } => {
                (json!({"capacity": from}), json!({"capacity": to}))
            }
            Action::UpdateShardCount { from, to } => {
                (json!({"open_shards": from}), json!({"open_shards": to}))
            }
            Action::CreateTopic { name, tags } => {
                (Value::Null, json!({"topic": name, "tags": tags}))
            }
            Action::SubscribeEmail { email } => (Value::Null, json!({ "email": email })),
            Action::PutAlarm { before, after } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
            Action::CreateRole {
                trust,
                max_session,
                tags,
            } => (
                Value::Null,
                json!({"trust": trust, "max_session_duration": max_session, "tags": tags}),
            ),
            Action::UpdateTrust { before, after } => (before.clone(), after.clone()),
            Action::UpdateMaxSession { from, to } => (
                json!({"max_session_duration": from}),
                json!({"max_session_duration": to}),
            ),
            Action::PutPolicy { before, after } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
            Action::RegisterBuzzTarget { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
        }
    }

    /// Which resource the action changes.
    pub fn resource(&self) -> Resource {
        match self {
            Action::CreateStream { .. }
            | Action::IncreaseRetention { .. }
            | Action::DecreaseRetention { .. }
            | Action::StartEncryption { .. }
            | Action::UpdateStreamMode { .. }
            | Action::UpdateShardCount { .. }
            | Action::TagStream { .. } => Resource::Stream,
            Action::CreateTopic { .. }
            | Action::SubscribeEmail { .. }
            | Action::PutAlarm { .. } => Resource::Alarm,
            Action::RegisterBuzzTarget { .. } => Resource::Buzz,
            _ => Resource::Role,
        }
    }
}

/// Something the user should know that is not a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    pub resource: Resource,
    pub message: String,
}

/// The plan: actions in the order they apply within each resource chain.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub notes: Vec<Note>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
    pub fn for_resource(&self, resource: Resource) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(move |a| a.resource() == resource)
    }
    /// `created`, `updated` or `unchanged`, for the report.
    pub fn outcome(&self, resource: Resource) -> &'static str {
        let mut actions = self.for_resource(resource).peekable();
        match actions.peek() {
            None => "unchanged",
            Some(
                Action::CreateStream { .. }
                | Action::CreateRole { .. }
                | Action::CreateTopic { .. }
                | Action::PutAlarm { before: None, .. },
            ) => "created",
            Some(Action::RegisterBuzzTarget {
                before: None,
                save: true,
                ..
            }) => "created",
            Some(Action::RegisterBuzzTarget { save: false, .. }) => "tested",
            Some(_) => "updated",
        }
    }
}

/// Why the plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    UnmanagedRole { role: String, changes: Vec<String> },
    StreamDeleting { stream: String },
    /// The trust requires an external id and this run has none.
    TrustLosesExternalId { role: String },
    /// The trust admits more than Agilix's account; replacing it would drop that.
    TrustAdmitsOthers { role: String, beyond: Vec<String> },
    /// `--adopt` on a role whose other policies grant more than writing to the stream.
    WiderRole { role: String, beyond: Vec<String> },
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::UnmanagedRole { role, changes } => write!(
                f,
                "the role {role} exists but was not created by buzz-kinesis (no tag {}={}), and setup would change it: {}. \
                 Pass --adopt to let setup manage it, or choose another name with --role",
                MANAGED_BY.0,
                MANAGED_BY.1,
                changes.join("; ")
            ),
            Blocked::StreamDeleting { stream } => write!(
                f,
                "the stream {stream} is being deleted; wait until it is gone, then run setup again"
            ),
            Blocked::TrustLosesExternalId { role } => write!(
                f,
                "the trust of role {role} requires an external id (sts:ExternalId), and this run has none, so setup would remove that guard and let any Buzz tenant naming the role write into the stream. \
                 Pass the external id again (--external-id or BUZZ_EXTERNAL_ID), or --remove-external-id to remove it. Nothing was changed"
            ),
            Blocked::TrustAdmitsOthers { role, beyond } => write!(
                f,
                "the trust of role {role} admits more than Agilix's account: {}. Setup writes a trust that admits Agilix's account alone, which would remove that. \
                 Pass --replace-trust to replace it, or choose another role with --role. Nothing was changed",
                beyond.join("; ")
            ),
            Blocked::WiderRole { role, beyond } => write!(
                f,
                "the role {role} can do more than write to the stream, and Agilix's account could use all of it once setup trusts it: {}. \
                 Remove those grants, choose another name with --role, or pass --adopt-wider-role to adopt it anyway. Nothing was changed",
                beyond.join("; ")
            ),
        }
    }
}

fn tag_map(tags: &[Tag], managed: bool) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    if managed {
        mark_managed(&mut m);
    }
    m
}

/// Tags in `want` that `have` lacks or holds with another value.
fn missing_tags(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Build the plan. Pure: the same inputs always give the same plan.
pub fn plan(desired: &Desired, actual: &Actual) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    plan_stream(desired, actual.stream.as_ref(), &mut p)?;
    plan_role(
        desired,
        actual.role.as_ref(),
        actual.role_grants.as_ref(),
        &mut p,
    )?;
    if let Some(alarm) = &desired.alarm {
        plan_alarm(alarm, &desired.stream, actual, &mut p);
    }
    if let Some(buzz) = &desired.buzz {
        plan_buzz(buzz, actual.buzz.as_ref(), &mut p);
    }
    Ok(p)
}

/// The stream's actions again, from a fresh read: a create met a stream made meanwhile (by
/// someone else, or an earlier attempt of our own), so it is converged as an existing one.
pub fn replan_stream(desired: &Desired, stream: Option<&StreamState>) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    plan_stream(desired, stream, &mut p)?;
    Ok(p)
}

/// The role's actions again, from a fresh read: a create met a role made meanwhile, which is
/// ours only if it carries our tag; someone else's needs `--adopt` (and its other policies are
/// weighed) like any role found at the start.
pub fn replan_role(
    desired: &Desired,
    role: Option<&RoleState>,
    grants: Option<&policy::Grants>,
) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    plan_role(desired, role, grants, &mut p)?;
    Ok(p)
}

/// The Buzz half alone (`setup --buzz-only`): our target in the domain's configuration, the
/// stream and the role taken as the AWS half made them.
pub fn plan_buzz_only(buzz: &DesiredBuzz, config: &Map<String, Value>) -> Plan {
    let mut p = Plan::default();
    plan_buzz(buzz, Some(config), &mut p);
    p
}

/// Whether the stream (as it will be) takes the expected load; a note when it does not.
fn plan_capacity(d: &Desired, actual: Option<&StreamState>, p: &mut Plan) {
    let Some(load) = d.load else { return };
    let (capacity, shards) = match actual {
        Some(s) => (s.capacity.unwrap_or(d.capacity), s.open_shards),
        None => (d.capacity, 0),
    };
    let (fits, message) = crate::sizing::fits(capacity, shards, load);
    if !fits {
        let advice = crate::sizing::advise(load);
        p.notes.push(Note {
            resource: Resource::Stream,
            message: format!("{message}; use {advice}"),
        });
    }
}

fn plan_stream(d: &Desired, actual: Option<&StreamState>, p: &mut Plan) -> Result<(), Blocked> {
    plan_capacity(d, actual, p);
    let note = |p: &mut Plan, m: String| {
        p.notes.push(Note {
            resource: Resource::Stream,
            message: m,
        })
    };
    let Some(s) = actual else {
        p.actions.push(Action::CreateStream {
            capacity: d.capacity,
        });
        if d.retention > RetentionHours::DEFAULT {
            p.actions.push(Action::IncreaseRetention {
                from: RetentionHours::DEFAULT,
                to: d.retention,
            });
        }
        if let Some(k) = &d.kms_key {
            p.actions.push(Action::StartEncryption {
                from: None,
                to: k.to_string(),
            });
        }
        p.actions.push(Action::TagStream {
            tags: tag_map(&d.tags, true),
        });
        return Ok(());
    };
    if s.status == StreamStatus::Deleting {
        return Err(Blocked::StreamDeleting {
            stream: d.stream.clone(),
        });
    }
    plan_existing_capacity(d, s, p);
    if d.retention > s.retention {
        p.actions.push(Action::IncreaseRetention {
            from: s.retention,
            to: d.retention,
        });
    } else if d.retention < s.retention {
        if d.allow_retention_decrease {
            p.actions.push(Action::DecreaseRetention {
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
    if let Some(k) = &d.kms_key {
        if s.kms_key.as_deref() != Some(k.as_str()) {
            p.actions.push(Action::StartEncryption {
                from: s.kms_key.clone(),
                to: k.to_string(),
            });
        }
    }
    let tags = missing_tags(&tag_map(&d.tags, false), &s.tags);
    if !tags.is_empty() {
        p.actions.push(Action::TagStream { tags });
    }
    Ok(())
}

/// The shard counts to pass through from `from` to `to`, one `UpdateShardCount` call each:
/// AWS takes at most double the open shards, and at least half, per call.
pub fn shard_steps(from: u32, to: u32) -> Vec<u32> {
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
fn plan_existing_capacity(d: &Desired, s: &StreamState, p: &mut Plan) {
    let note = |p: &mut Plan, m: String| {
        p.notes.push(Note {
            resource: Resource::Stream,
            message: m,
        })
    };
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
            p.actions.push(Action::UpdateStreamMode {
                from: have,
                to: Capacity::OnDemand,
            });
        }
        (Capacity::OnDemand, Capacity::Provisioned(n)) => {
            // Provisioned mode starts with the shards the on-demand stream has open.
            if n.get() < open {
                if !d.allow_capacity_decrease {
                    // The switch alone keeps `open` shards; fewer is a decrease like any other.
                    return note(p, format!(
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
            p.actions.push(Action::UpdateStreamMode {
                from: have,
                to: Capacity::Provisioned(n),
            });
            push_shard_steps(open, n.get(), p);
        }
        (Capacity::Provisioned(_), Capacity::Provisioned(n)) => {
            if n.get() < open && !d.allow_capacity_decrease {
                return note(p, format!(
                    "the stream keeps its {open} shards (requested {}): fewer shards take fewer events, and Buzz's events beyond capacity are lost, so setup only lowers it with --allow-capacity-decrease",
                    n.get()
                ));
            }
            push_shard_steps(open, n.get(), p);
        }
        (Capacity::OnDemand, Capacity::OnDemand) => {}
    }
}

fn push_shard_steps(from: u32, to: u32, p: &mut Plan) {
    let mut at = from;
    for step in shard_steps(from, to) {
        p.actions
            .push(Action::UpdateShardCount { from: at, to: step });
        at = step;
    }
}

/// The alarm on refused writes and, unless the user gave their own, its topic with the email
/// subscriptions. Setup never removes a subscription or changes a topic it did not make.
fn plan_alarm(a: &DesiredAlarm, stream: &str, actual: &Actual, p: &mut Plan) {
    if let Some(name) = &a.own_topic {
        if actual.topic.is_none() {
            p.actions.push(Action::CreateTopic {
                name: name.clone(),
                tags: tag_map(&[], true),
            });
        }
    }
    let subscribed: Vec<&str> = actual
        .topic
        .as_ref()
        .map(|t| t.emails.iter().map(String::as_str).collect())
        .unwrap_or_default();
    for email in &a.emails {
        if !subscribed
            .iter()
            .any(|s| s.eq_ignore_ascii_case(email.as_str()))
        {
            p.actions.push(Action::SubscribeEmail {
                email: email.as_str().to_owned(),
            });
        }
    }
    if !a.emails.is_empty()
        && p.for_resource(Resource::Alarm)
            .any(|x| matches!(x, Action::SubscribeEmail { .. }))
    {
        p.notes.push(Note {
            resource: Resource::Alarm,
            message: "each new address gets a mail from AWS Notifications and must confirm the subscription before alarms reach it".into(),
        });
    }
    let after = alarm_json(&a.name, stream, &a.topic_arn);
    let before = actual.alarm.as_ref().map(|x| {
        alarm_json(
            &x.name,
            stream,
            x.actions.first().map(String::as_str).unwrap_or(""),
        )
    });
    let satisfied = actual.alarm.as_ref().is_some_and(|x| {
        x.metric == crate::state::alarm::METRIC
            && x.threshold == 0.0
            && x.period == crate::state::alarm::PERIOD
            && x.actions == [a.topic_arn.clone()]
    });
    if !satisfied {
        p.actions.push(Action::PutAlarm { before, after });
    }
}

/// The alarm as the plan shows it.
fn alarm_json(name: &str, stream: &str, topic: &str) -> Value {
    serde_json::json!({
        "name": name,
        "metric": crate::state::alarm::METRIC,
        "stream": stream,
        "condition": "any refused write in a minute",
        "notifies": topic,
    })
}

fn plan_role(
    d: &Desired,
    actual: Option<&RoleState>,
    grants: Option<&policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let want_tags = tag_map(&d.tags, true);
    let Some(r) = actual else {
        p.actions.push(Action::CreateRole {
            trust: d.trust.clone(),
            max_session: MAX_SESSION_SECONDS,
            tags: want_tags,
        });
        p.actions.push(Action::PutPolicy {
            before: None,
            after: d.policy.clone(),
        });
        return Ok(());
    };
    let mut changes = Vec::new();
    if !policy::equivalent(&r.trust, &d.trust) {
        changes.push(Action::UpdateTrust {
            before: r.trust.clone(),
            after: d.trust.clone(),
        });
    }
    if r.max_session != MAX_SESSION_SECONDS {
        changes.push(Action::UpdateMaxSession {
            from: r.max_session,
            to: MAX_SESSION_SECONDS,
        });
    }
    if !r
        .policy
        .as_ref()
        .is_some_and(|have| policy::equivalent(have, &d.policy))
    {
        changes.push(Action::PutPolicy {
            before: r.policy.clone(),
            after: d.policy.clone(),
        });
    }
    let tags = missing_tags(&want_tags, &r.tags);
    let only_tags = changes.is_empty();
    if !r.is_managed() && !d.adopt {
        if only_tags {
            // Nothing to change but our labels on someone else's role: leave it alone.
            p.notes.push(Note {
                resource: Resource::Role,
                message: format!(
                    "the role {} was not created by buzz-kinesis; it is already correct, so setup leaves it untouched",
                    d.role
                ),
            });
            return Ok(());
        }
        return Err(Blocked::UnmanagedRole {
            role: d.role.clone(),
            changes: changes.iter().map(describe).collect(),
        });
    }
    if !r.is_managed() {
        guard_adopted_grants(d, grants, p)?;
    }
    if changes
        .iter()
        .any(|c| matches!(c, Action::UpdateTrust { .. }))
    {
        guard_trust(d, r, p)?;
    }
    p.actions.extend(changes);
    if !tags.is_empty() {
        p.actions.push(Action::TagRole { tags });
    }
    Ok(())
}

/// The trust only narrows unless asked: losing the external id needs
/// `--remove-external-id`, dropping other principals, statements or conditions needs
/// `--replace-trust` (then noted, with what is dropped).
fn guard_trust(d: &Desired, r: &RoleState, p: &mut Plan) -> Result<(), Blocked> {
    if policy::requires_external_id(&r.trust)
        && !policy::requires_external_id(&d.trust)
        && !d.widen.remove_external_id
    {
        return Err(Blocked::TrustLosesExternalId {
            role: d.role.clone(),
        });
    }
    let beyond = policy::trust_beyond(&r.trust, &d.trust);
    if beyond.is_empty() {
        return Ok(());
    }
    if !d.widen.replace_trust {
        return Err(Blocked::TrustAdmitsOthers {
            role: d.role.clone(),
            beyond,
        });
    }
    p.notes.push(Note {
        resource: Resource::Role,
        message: format!(
            "--replace-trust: the new trust admits Agilix's account alone, so this goes: {}",
            beyond.join("; ")
        ),
    });
    Ok(())
}

/// `--adopt` hands the role to Agilix's account: every other policy on it is read, and a
/// role that can do more than write to the stream is taken only with `--adopt-wider-role`
/// (then the plan lists what else it can do).
fn guard_adopted_grants(
    d: &Desired,
    grants: Option<&policy::Grants>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let Some(grants) = grants else {
        return Ok(());
    };
    let (actions, resources) = policy::allowed_by(&d.policy);
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
    let ours = format!("inline:{}", policy::POLICY_NAME);
    let beyond = grants.beyond(&ours, &actions, &resources);
    if beyond.is_empty() {
        return Ok(());
    }
    if !d.widen.adopt_wider_role {
        return Err(Blocked::WiderRole {
            role: d.role.clone(),
            beyond,
        });
    }
    p.notes.push(Note {
        resource: Resource::Role,
        message: format!(
            "--adopt-wider-role: besides writing to the stream, Agilix's account will be able to use: {}",
            beyond.join("; ")
        ),
    });
    Ok(())
}

fn plan_buzz(b: &DesiredBuzz, config: Option<&Map<String, Value>>, p: &mut Plan) {
    let empty = Map::new();
    let config = config.unwrap_or(&empty);
    let dest = b.target.destination();
    let writing = wire::targets_writing_to(config, &dest);
    let existing = writing.first().map(|(_, t)| t.clone());
    // Every target after the first that writes to our stream delivers each event again.
    let merged: Vec<String> = writing
        .iter()
        .skip(1)
        .map(|(_, t)| wire::describe_saved(t))
        .collect();
    // With --no-enable we only test; a target already saved and enabled stays as it is.
    let wanted = KinesisTarget {
        enabled: if b.save {
            b.target.enabled
        } else {
            existing
                .as_ref()
                .is_some_and(|e| wire::as_bool(e.get(wire::ENABLED)))
        },
        ..b.target.clone()
    };
    if merged.is_empty() && existing.as_ref().is_some_and(|e| wanted.is_satisfied_by(e)) {
        return;
    }
    let new_config = wire::with_target(config, &wanted);
    let after = wire::find_target(&new_config, &dest)
        .map(|(_, t)| t)
        .unwrap_or_else(|| wanted.to_json(None));
    let others = wire::count_targets(config) - writing.len();
    if others > 0 {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "the domain's {others} other data stream target(s) are kept exactly as they are"
            ),
        });
    }
    if !merged.is_empty() {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "{} targets write to stream {} today, so Buzz delivers every event {} times; setup keeps the first and removes {}",
                writing.len(),
                dest.stream,
                writing.len(),
                merged.join(", ")
            ),
        });
    }
    p.actions.push(Action::RegisterBuzzTarget {
        domain: b.domain.to_string(),
        before: existing,
        after,
        save: b.save,
        merged,
        config: new_config,
    });
}

/// What setup warns about without stopping. A trust that admits Agilix's account with no
/// external id lets any Buzz tenant name this role in its own configuration and have Buzz's
/// servers write that tenant's events into the stream (the confused deputy). Not an error:
/// Agilix may not issue external ids.
pub fn warnings(d: &Desired) -> Vec<String> {
    if policy::trusted_principals(&d.trust)
        .iter()
        .any(|(_, external_id)| external_id.is_none())
    {
        // One line that fits a terminal; the README's "Who can write into your stream" says more.
        vec!["no --external-id: any Buzz tenant naming this role can have Buzz write into your stream; ask Agilix for one".to_owned()]
    } else {
        Vec::new()
    }
}

/// One line for an action, as the plan and the progress output show it.
pub fn describe(a: &Action) -> String {
    match a {
        Action::CreateStream { capacity } => format!("create stream ({capacity})"),
        Action::IncreaseRetention { from, to } => {
            format!("raise retention {} h -> {} h", from.get(), to.get())
        }
        Action::DecreaseRetention { from, to } => format!(
            "lower retention {} h -> {} h (deletes older records)",
            from.get(),
            to.get()
        ),
        Action::StartEncryption { from, to } => match from {
            Some(f) => format!("change encryption key {f} -> {to}"),
            None => format!("start encryption with {to}"),
        },
        Action::UpdateStreamMode { from, to } => format!("switch capacity {from} -> {to}"),
        Action::UpdateShardCount { from, to } => {
            format!("{} open shards {from} -> {to} (UpdateShardCount, uniform scaling)", if to > from { "raise" } else { "lower" })
        }
        Action::CreateTopic { name, .. } => format!("create SNS topic {name} for the alarm"),
        Action::SubscribeEmail { email } => {
            format!("subscribe {email} to the alarm's topic (the address must confirm)")
        }
        Action::PutAlarm { before: None, .. } => {
            "create the alarm: any write Kinesis refuses in a minute notifies the topic".into()
        }
        Action::PutAlarm { .. } => "correct the alarm (metric, threshold, period or topic)".into(),
        Action::TagStream { tags } | Action::TagRole { tags } => format!(
            "add tags {}",
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Action::CreateRole { max_session, .. } => {
            format!("create role (trusting Agilix's account, MaxSessionDuration {max_session})")
        }
        Action::UpdateTrust { before, after } => match policy::trust_change(before, after) {
            Some(change) => format!("update the trust policy: {change}"),
            None => "update the trust policy (its form; who is trusted stays)".into(),
        },
        Action::UpdateMaxSession { from, to } => format!("MaxSessionDuration {from} -> {to}"),
        Action::PutPolicy { before: None, .. } => {
            format!("add inline policy {}", policy::POLICY_NAME)
        }
        Action::PutPolicy { .. } => format!("update inline policy {}", policy::POLICY_NAME),
        Action::RegisterBuzzTarget {
            before,
            save,
            domain,
            merged,
            ..
        } => match (before, save) {
            (_, false) => format!(
                "test the kinesis target with Buzz (domain {domain}; --no-enable: nothing saved)"
            ),
            (None, true) => {
                format!("add the kinesis target to domain {domain}, test it, enable it")
            }
            (Some(_), true) if merged.is_empty() => {
                format!("update the kinesis target of domain {domain}, test it, enable it")
            }
            (Some(_), true) => format!(
                "update the kinesis target of domain {domain} and remove {} duplicate(s) writing to the same stream, test it, enable it",
                merged.len()
            ),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::names::{AccountId, RoleName, ShardCount};
    use serde_json::json;
    use std::time::SystemTime;

    const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    pub(crate) fn desired() -> Desired {
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        let _ = RoleName::parse("--role", "BuzzKinesisWriter").unwrap();
        Desired {
            stream: "buzz-events".into(),
            stream_arn: STREAM_ARN.into(),
            capacity: Capacity::OnDemand,
            retention: RetentionHours::DEFAULT,
            allow_retention_decrease: false,
            kms_key: None,
            tags: vec![],
            role: "BuzzKinesisWriter".into(),
            role_arn: ROLE_ARN.into(),
            trust: policy::trust_policy(&agilix, None),
            policy: policy::write_policy(STREAM_ARN, None),
            adopt: false,
            widen: Widen::default(),
            load: None,
            capacity_given: false,
            allow_capacity_decrease: false,
            measured: None,
            alarm: None,
            buzz: Some(DesiredBuzz {
                domain: crate::names::DomainId::parse("--domain", "424242").unwrap(),
                target: KinesisTarget {
                    title: "Kinesis: buzz-events".into(),
                    enabled: true,
                    stream: "buzz-events".into(),
                    role_arn: ROLE_ARN.into(),
                    region: "us-east-1".into(),
                    filters: vec![],
                },
                save: true,
            }),
        }
    }

    fn converged(d: &Desired) -> Actual {
        let buzz = wire::with_target(&Map::new(), &d.buzz.as_ref().unwrap().target);
        Actual {
            stream: Some(StreamState {
                arn: STREAM_ARN.into(),
                status: StreamStatus::Active,
                capacity: Some(Capacity::OnDemand),
                open_shards: 4,
                retention: RetentionHours::DEFAULT,
                kms_key: None,
                tags: tag_map(&[], true),
            }),
            role: Some(RoleState {
                arn: ROLE_ARN.into(),
                max_session: MAX_SESSION_SECONDS,
                trust: d.trust.clone(),
                tags: tag_map(&[], true),
                policy: Some(d.policy.clone()),
                created: SystemTime::UNIX_EPOCH,
                boundary: None,
            }),
            role_grants: None,
            alarm: None,
            topic: None,
            buzz: Some(buzz),
        }
    }

    fn kinds(p: &Plan) -> Vec<String> {
        p.actions
            .iter()
            .map(|a| {
                serde_json::to_value(a).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn an_empty_account_gets_everything_created() {
        let p = plan(&desired(), &Actual::default()).unwrap();
        assert_eq!(
            kinds(&p),
            [
                "create_stream",
                "tag_stream",
                "create_role",
                "put_policy",
                "register_buzz_target"
            ]
        );
        assert_eq!(p.outcome(Resource::Stream), "created");
        assert_eq!(p.outcome(Resource::Buzz), "created");
    }

    #[test]
    fn a_converged_setup_plans_nothing() {
        let d = desired();
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(p.is_empty(), "{:?}", p.actions);
        assert_eq!(p.outcome(Resource::Role), "unchanged");
    }

    #[test]
    fn drifted_role_is_repaired_field_by_field() {
        let mut d = desired();
        // The second principal goes only when asked (see trust_only_narrows_unless_asked).
        d.widen.replace_trust = true;
        let mut a = converged(&d);
        let r = a.role.as_mut().unwrap();
        r.max_session = 3600;
        r.policy = Some(policy::write_policy(
            "arn:aws:kinesis:us-east-1:123456789012:stream/other",
            None,
        ));
        r.trust["Statement"][0]["Principal"]["AWS"] = json!([
            "arn:aws:iam::210987654321:root",
            "arn:aws:iam::999999999999:root"
        ]);
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            kinds(&p),
            ["update_trust", "update_max_session", "put_policy"]
        );
    }

    #[test]
    fn trust_only_narrows_unless_asked() {
        let ext = crate::names::ExternalId::parse("--external-id", "district-42").unwrap();
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        let mut d = desired();
        let mut a = converged(&d);
        // Guarded today, no id in this run: refused, naming the flag.
        a.role.as_mut().unwrap().trust = policy::trust_policy(&agilix, Some(&ext));
        let blocked = plan(&d, &a).unwrap_err();
        assert!(matches!(blocked, Blocked::TrustLosesExternalId { .. }));
        assert!(blocked.to_string().contains("--remove-external-id"));
        d.widen.remove_external_id = true;
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["update_trust"]);
        assert_eq!(
            describe(&p.actions[0]),
            "update the trust policy: remove the external id condition"
        );
        // Adding the id narrows: no flag needed.
        let mut d = desired();
        d.trust = policy::trust_policy(&agilix, Some(&ext));
        let a = converged(&desired());
        assert_eq!(
            describe(&plan(&d, &a).unwrap().actions[0]),
            "update the trust policy: require the external id"
        );
        // Another principal beside Agilix's: refused without --replace-trust, then noted.
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust["Statement"][0]["Principal"]["AWS"] =
            json!(["arn:aws:iam::210987654321:root", "999999999999"]);
        let blocked = plan(&d, &a).unwrap_err();
        assert!(
            blocked.to_string().contains("--replace-trust")
                && blocked.to_string().contains("999999999999"),
            "{blocked}"
        );
        d.widen.replace_trust = true;
        let p = plan(&d, &a).unwrap();
        assert!(p.notes.iter().any(|n| n.message.contains("999999999999")));
        // A change of account the user asked for: shown as one, no flag.
        let d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().trust = policy::trust_policy(
            &AccountId::parse("--agilix-account", "111122223333").unwrap(),
            None,
        );
        let p = plan(&d, &a).unwrap();
        assert_eq!(
            describe(&p.actions[0]),
            "update the trust policy: trusted account arn:aws:iam::111122223333:root -> arn:aws:iam::210987654321:root"
        );
    }

    #[test]
    fn adopt_weighs_every_policy_on_the_role() {
        use crate::policy::{Grants, NamedPolicy};
        let mut d = desired();
        d.adopt = true;
        let mut a = converged(&d);
        a.role.as_mut().unwrap().tags.clear();
        a.role.as_mut().unwrap().max_session = 3600;
        let admin = NamedPolicy {
            name: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        };
        a.role_grants = Some(Grants {
            identity: vec![admin],
            boundary: None,
        });
        let blocked = plan(&d, &a).unwrap_err();
        assert!(matches!(blocked, Blocked::WiderRole { .. }));
        assert!(
            blocked.to_string().contains("--adopt-wider-role")
                && blocked.to_string().contains("AdministratorAccess"),
            "{blocked}"
        );
        d.widen.adopt_wider_role = true;
        let p = plan(&d, &a).unwrap();
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("AdministratorAccess")));
        // A role whose other policies stay within ours is adopted without the flag.
        d.widen.adopt_wider_role = false;
        a.role_grants = Some(Grants::identity(&[policy::write_policy(STREAM_ARN, None)]));
        assert!(plan(&d, &a).is_ok());
        // Someone else's role found by a re-plan after a race: the same rules.
        d.adopt = false;
        assert!(matches!(
            replan_role(&d, a.role.as_ref(), None),
            Err(Blocked::UnmanagedRole { .. })
        ));
    }

    #[test]
    fn on_demand_to_fewer_provisioned_shards_needs_the_decrease_flag() {
        let mut d = desired();
        let mut a = converged(&d);
        a.stream.as_mut().unwrap().open_shards = 4;
        d.capacity_given = true;
        d.capacity = provisioned(2);
        let p = plan(&d, &a).unwrap();
        assert!(p.for_resource(Resource::Stream).next().is_none());
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("--allow-capacity-decrease")));
        // As many shards as are open (or more): a switch, no decrease.
        d.capacity = provisioned(4);
        assert_eq!(
            plan(&d, &a).unwrap().for_resource(Resource::Stream).count(),
            1
        );
        d.capacity = provisioned(2);
        d.allow_capacity_decrease = true;
        assert_eq!(
            plan(&d, &a).unwrap().for_resource(Resource::Stream).count(),
            2
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
        d.allow_retention_decrease = true;
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["decrease_retention"]);
        d.retention = RetentionHours::parse("x", "72").unwrap();
        assert_eq!(kinds(&plan(&d, &a).unwrap()), ["increase_retention"]);
    }

    #[test]
    fn an_unmanaged_role_is_only_changed_with_adopt() {
        let mut d = desired();
        let mut a = converged(&d);
        a.role.as_mut().unwrap().tags.clear();
        // Correct as it is: left alone, no tagging either.
        assert!(plan(&d, &a).unwrap().is_empty());
        a.role.as_mut().unwrap().max_session = 3600;
        assert!(matches!(plan(&d, &a), Err(Blocked::UnmanagedRole { .. })));
        d.adopt = true;
        assert_eq!(
            kinds(&plan(&d, &a).unwrap()),
            ["update_max_session", "tag_role"]
        );
    }

    #[test]
    fn buzz_target_changes_keep_foreign_targets() {
        let d = desired();
        let mut a = converged(&d);
        let hook = json!([{"title": "LMS webhook", "enabled": true}]);
        let mut cfg = a.buzz.take().unwrap();
        cfg.insert("https".into(), hook.clone());
        cfg["kinesis"][0]["enabled"] = json!(false);
        a.buzz = Some(cfg);
        let p = plan(&d, &a).unwrap();
        let Action::RegisterBuzzTarget {
            config,
            before,
            after,
            ..
        } = &p.actions[0]
        else {
            panic!()
        };
        assert_eq!(config["https"], hook);
        assert_eq!(before.as_ref().unwrap()["enabled"], json!(false));
        assert_eq!(after["enabled"], json!(true));
        assert_eq!(p.outcome(Resource::Buzz), "updated");
    }

    #[test]
    fn no_enable_tests_without_saving_and_leaves_an_enabled_target_alone() {
        let mut d = desired();
        d.buzz.as_mut().unwrap().save = false;
        let p = plan(&d, &Actual::default()).unwrap();
        assert_eq!(p.outcome(Resource::Buzz), "tested");
        let a = converged(&d);
        assert!(plan(&d, &a).unwrap().is_empty());
    }

    #[test]
    fn a_load_beyond_capacity_is_noted_with_advice() {
        let mut d = desired();
        d.capacity = Capacity::Provisioned(ShardCount::parse("x", "1").unwrap());
        d.load = Some(crate::sizing::Load {
            events_per_second: 5_000.0,
            avg_event_bytes: 500.0,
        });
        let p = plan(&d, &Actual::default()).unwrap();
        assert!(
            p.notes.iter().any(|n| n.message.contains("8 shards")),
            "{:?}",
            p.notes
        );
        d.load = Some(crate::sizing::Load {
            events_per_second: 100.0,
            avg_event_bytes: 500.0,
        });
        assert!(plan(&d, &Actual::default()).unwrap().notes.is_empty());
    }

    #[test]
    fn a_new_stream_with_options_gets_each_follow_up() {
        let mut d = desired();
        d.retention = RetentionHours::parse("x", "168").unwrap();
        d.kms_key = Some(KmsKey::parse("x", "alias/aws/kinesis").unwrap());
        d.buzz = None;
        let p = plan(&d, &Actual::default()).unwrap();
        assert_eq!(
            kinds(&p),
            [
                "create_stream",
                "increase_retention",
                "start_encryption",
                "tag_stream",
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
        assert!(p.for_resource(Resource::Stream).next().is_none());
        assert!(p.notes.iter().any(|n| n.message.contains("setup keeps it")));

        d.capacity_given = true;
        d.capacity = provisioned(3);
        let p = plan(&d, &a).unwrap();
        let steps: Vec<_> = p.for_resource(Resource::Stream).cloned().collect();
        assert_eq!(
            steps,
            vec![
                Action::UpdateShardCount { from: 1, to: 2 },
                Action::UpdateShardCount { from: 2, to: 3 }
            ]
        );

        a.stream.as_mut().unwrap().capacity = Some(provisioned(4));
        a.stream.as_mut().unwrap().open_shards = 4;
        d.capacity = provisioned(1);
        let p = plan(&d, &a).unwrap();
        assert!(
            p.for_resource(Resource::Stream).next().is_none(),
            "refused without the flag"
        );
        assert!(p
            .notes
            .iter()
            .any(|n| n.message.contains("--allow-capacity-decrease")));
        d.allow_capacity_decrease = true;
        assert_eq!(
            plan(&d, &a).unwrap().for_resource(Resource::Stream).count(),
            2
        );

        // Mode switches both ways; provisioned starts from the on-demand stream's shards.
        d.capacity = Capacity::OnDemand;
        let p = plan(&d, &a).unwrap();
        assert!(matches!(
            p.actions[0],
            Action::UpdateStreamMode {
                to: Capacity::OnDemand,
                ..
            }
        ));
        a.stream.as_mut().unwrap().capacity = Some(Capacity::OnDemand);
        d.capacity = provisioned(2);
        let kinds: Vec<_> = plan(&d, &a)
            .unwrap()
            .for_resource(Resource::Stream)
            .cloned()
            .collect();
        assert_eq!(
            kinds,
            vec![
                Action::UpdateStreamMode {
                    from: Capacity::OnDemand,
                    to: provisioned(2)
                },
                Action::UpdateShardCount { from: 4, to: 2 }
            ]
        );
    }

    #[test]
    fn the_alarm_and_its_topic_are_made_once_and_subscriptions_only_added() {
        let mut d = desired();
        d.alarm = Some(DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms".into(),
            own_topic: Some("buzz-kinesis-buzz-events-alarms".into()),
            emails: vec![crate::names::Email::parse("--alarm-email", "ops@example.edu").unwrap()],
        });
        let mut a = converged(&d);
        let p = plan(&d, &a).unwrap();
        let kinds: Vec<&str> = p
            .for_resource(Resource::Alarm)
            .map(|x| match x {
                Action::CreateTopic { .. } => "topic",
                Action::SubscribeEmail { .. } => "subscribe",
                Action::PutAlarm { before: None, .. } => "alarm",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["topic", "subscribe", "alarm"]);
        assert_eq!(p.outcome(Resource::Alarm), "created");
        assert!(p.notes.iter().any(|n| n.message.contains("confirm")));

        let alarm = d.alarm.clone().unwrap();
        a.topic = Some(TopicState {
            arn: alarm.topic_arn.clone(),
            tags: tag_map(&[], true),
            emails: vec!["OPS@example.edu".into(), "someone-else@example.edu".into()],
        });
        a.alarm = Some(AlarmState {
            name: alarm.name.clone(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
            state: "OK".into(),
            metric: crate::state::alarm::METRIC.into(),
            threshold: 0.0,
            period: 60,
            actions: vec![alarm.topic_arn.clone()],
            tags: tag_map(&[], true),
        });
        assert!(plan(&d, &a).unwrap().is_empty(), "converged: no change");
        a.alarm.as_mut().unwrap().actions = vec!["arn:aws:sns:us-east-1:1:other".into()];
        let p = plan(&d, &a).unwrap();
        assert!(matches!(
            p.actions[..],
            [Action::PutAlarm {
                before: Some(_),
                ..
            }]
        ));
    }
}
