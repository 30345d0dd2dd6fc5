//! Desired state vs observed state -> a plan: per resource (the stream, the role, the alarm,
//! the archive, the Buzz target) a list of typed actions, built by pure code with no I/O.
//! `setup --dry-run` prints the plan; `setup` applies that same value. Each resource's own
//! rules live in its part (`parts::stream`: never shrink retention unless asked; `parts::role`:
//! never touch a role we do not manage unless `--adopt`, never widen; `parts::target`: keep
//! every other Buzz target); here they are put together, with who else in Buzz's tree writes
//! to our stream (`tree`), into one plan. How a plan reads is `report::plan`'s.

pub(crate) mod archive;
pub(crate) mod buzz;
pub(crate) mod role;
pub(crate) mod stream;
pub(crate) mod tree;

use serde_json::{Map, Value};

use crate::iam;
use crate::names::{DomainId, RoleName, StreamName, Tag};
pub(crate) use crate::parts::add_ons::Resource;
use crate::parts::Change;
use crate::state::{RoleState, StreamState};

pub(crate) use crate::parts::add_ons::{AddOnAction, AddOnActions, AddOnsFound, DesiredAddOns};
pub(crate) use crate::parts::alarm::DesiredAlarm;
pub(crate) use crate::parts::role::{RoleRefusal, Widen};
pub(crate) use crate::parts::stream::{AtRest, DesiredStream, StreamAction};
pub(crate) use crate::parts::target::{BuzzAction, DesiredBuzz};
pub(crate) use archive::{ArchiveAction, DesiredArchive};
pub(crate) use role::{RoleAction, MAX_SESSION_SECONDS};

/// What the user asked for, with ARNs resolved (account and region known), by part: each
/// half's resources only when the run does that half.
#[derive(Debug, Clone)]
pub(crate) struct Desired {
    /// Where the events go, known in every half: read from AWS, or (`--buzz-only`) taken from
    /// the role's ARN and the region the AWS half gave.
    pub stream: StreamName,
    pub stream_arn: String,
    pub role: RoleName,
    pub role_arn: String,
    /// The AWS half's resources; `None` with `--buzz-only`.
    pub aws: Option<DesiredAws>,
    /// Our Buzz target; `None` when the run does not touch Buzz.
    pub buzz: Option<DesiredBuzz>,
}

/// The AWS half: the stream, the role, and the add-ons asked for (`parts::add_on`: the alarm
/// with `--alarm-email` / `--alarm-topic`, the archive with `--archive-bucket`).
#[derive(Debug, Clone)]
pub(crate) struct DesiredAws {
    pub stream: DesiredStream,
    pub role: DesiredRole,
    pub add_ons: DesiredAddOns,
}

/// The role, beyond its name.
#[derive(Debug, Clone)]
pub(crate) struct DesiredRole {
    pub trust: Value,
    pub policy: Value,
    pub tags: Vec<Tag>,
    /// `--adopt`: change a role buzz-kinesis did not create.
    pub adopt: bool,
    /// What the user allowed that widens or drops access (each an explicit flag).
    pub widen: Widen,
}

/// What exists now. `buzz` is the domain's whole saved configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observed {
    pub stream: Option<StreamState>,
    pub role: Option<RoleState>,
    /// Every policy on an existing role setup did not create (read for `--adopt`): what else
    /// the role can do.
    pub role_grants: Option<iam::Grants>,
    /// Each add-on, read only when it is wanted (`Default`: not read, or nothing of it).
    pub add_ons: AddOnsFound,
    pub buzz: Option<Map<String, Value>>,
    /// The domain's tree: ancestors' and descendants' configurations (`None`: not read).
    #[cfg(test)]
    pub tree: Option<tree::TreeObserved>,
}

/// One change, of whichever resource: a view into the plan, for what treats every action
/// alike (the rendering of a plan, the JSON's `actions`). It serializes as the resource's
/// action does (`"kind": "create_stream"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum Action<'a> {
    Stream(&'a StreamAction),
    Role(&'a RoleAction),
    /// An add-on's (the alarm's, the archive's), in its own words.
    AddOn(AddOnAction<'a>),
    Buzz(&'a BuzzAction),
}

impl Action<'_> {
    /// Which resource the action changes.
    pub(crate) fn resource(&self) -> Resource {
        match self {
            Action::Stream(_) => Resource::Stream,
            Action::Role(_) => Resource::Role,
            Action::AddOn(a) => a.resource(),
            Action::Buzz(_) => Resource::Buzz,
        }
    }
}

/// `$body` with `$a` bound to the action's own change, whichever resource's it is.
macro_rules! each_change {
    ($action:expr, $a:ident => $body:expr) => {
        match $action {
            Action::Stream($a) => $body,
            Action::Role($a) => $body,
            Action::AddOn($a) => $body,
            Action::Buzz($a) => $body,
        }
    };
}

/// Every action reads as its resource's change does: whether it makes the resource (the plan
/// draws it `+` and the result counts the resource `created`, from this one answer), its
/// before and after for the JSON plan, and its line.
impl crate::parts::Change for Action<'_> {
    fn is_create(&self) -> bool {
        each_change!(self, a => a.is_create())
    }

    fn before_after(&self) -> (Value, Value) {
        each_change!(self, a => a.before_after())
    }

    fn describe(&self) -> String {
        each_change!(self, a => a.describe())
    }
}

/// Something the user should know that is not a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Note {
    pub resource: Resource,
    pub message: String,
}

/// The plan: per resource, its actions in the order they apply (the stream's, the role's and
/// the add-ons' run concurrently, Buzz's last).
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub stream: Vec<StreamAction>,
    pub role: Vec<RoleAction>,
    pub add_ons: AddOnActions,
    pub buzz: Vec<BuzzAction>,
    pub notes: Vec<Note>,
    /// The stream's encryption once applied; `None` when the run does not touch the stream
    /// (`--buzz-only`).
    pub encryption: Option<AtRest>,
    /// Changes the user asked for that setup does not make without a further flag (each also
    /// a note, which says the flag): the run reports them as not done.
    pub declined: Vec<String>,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many actions, of every resource.
    pub(crate) fn len(&self) -> usize {
        self.stream.len() + self.role.len() + self.add_ons.len() + self.buzz.len()
    }

    /// How many resources the plan makes and how many it changes, as its last line says
    /// (`3 to add, 0 to change`): a resource with a create counts once as added, whatever
    /// else is set on it; each domain's Buzz target is a resource; the archive's bucket, role,
    /// table and delivery stream are one.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let mut add = 0;
        let mut change = 0;
        let groups = Resource::ALL
            .into_iter()
            .filter(|r| *r != Resource::Buzz)
            .map(|r| self.for_resource(r).collect::<Vec<_>>())
            .chain(self.buzz.iter().map(|a| vec![Action::Buzz(a)]));
        for acts in groups {
            if acts.iter().any(Action::is_create) {
                add += 1;
            } else if !acts.is_empty() {
                change += 1;
            }
        }
        (add, change)
    }

    /// Every action: the stream's, the role's, the add-ons' (the alarm's, the archive's), then
    /// Buzz's.
    pub(crate) fn actions(&self) -> impl Iterator<Item = Action<'_>> {
        Resource::ALL
            .into_iter()
            .flat_map(move |r| self.for_resource(r))
    }

    /// One resource's actions.
    pub(crate) fn for_resource(
        &self,
        resource: Resource,
    ) -> Box<dyn Iterator<Item = Action<'_>> + '_> {
        match resource {
            Resource::Stream => Box::new(self.stream.iter().map(Action::Stream)),
            Resource::Role => Box::new(self.role.iter().map(Action::Role)),
            Resource::Buzz => Box::new(self.buzz.iter().map(Action::Buzz)),
            add_on => Box::new(self.add_ons.for_resource(add_on).map(Action::AddOn)),
        }
    }

    /// `created`, `updated`, `tested` (Buzz's test alone, `--no-enable`) or `unchanged`, for
    /// the report: `created` exactly when an action of the resource [`Action::is_create`].
    /// One domain's Buzz outcome, as [`Plan::outcome`] says it (several `--domain`s).
    pub(crate) fn buzz_outcome(&self, domain: &DomainId) -> &'static str {
        let mine: Vec<&BuzzAction> = self
            .buzz
            .iter()
            .filter(
                |a| matches!(a, BuzzAction::RegisterBuzzTarget { domain: d, .. } if d == domain),
            )
            .collect();
        if mine.is_empty() {
            "unchanged"
        } else if mine.iter().any(|a| a.is_create()) {
            "created"
        } else if mine.iter().all(|a| a.only_tests()) {
            "tested"
        } else {
            "updated"
        }
    }

    pub(crate) fn outcome(&self, resource: Resource) -> &'static str {
        if self.for_resource(resource).next().is_none() {
            "unchanged"
        } else if self.for_resource(resource).any(|a| a.is_create()) {
            "created"
        } else if resource == Resource::Buzz && self.buzz.iter().all(BuzzAction::only_tests) {
            "tested"
        } else {
            "updated"
        }
    }
}

/// Why the plan cannot be made (`report::plan::refusal` says it to a person).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Blocked {
    /// A role setup may not change as it is (the role part's refusal).
    Role(RoleRefusal),
    StreamDeleting {
        stream: String,
    },
    /// `--kms-key` names another key than the one the stream is encrypted with.
    KeyDiffers {
        stream: String,
        /// The stream's key, as named and resolved.
        have: String,
        /// `--kms-key`.
        want: String,
    },
    /// An ancestor of the domain already delivers to the same destination: the domain's
    /// events arrive there already, and our target would deliver each a second time.
    AncestorDelivers {
        domain: String,
        /// The ancestor for a sentence (outside text marked).
        ancestor: String,
        target: String,
        stream: String,
    },
    /// A part of the archive that setup may not use or change as it is.
    Archive {
        /// The part, for a sentence (`the bucket NAME`).
        what: String,
        problem: String,
        fix: String,
    },
}

impl From<RoleRefusal> for Blocked {
    fn from(r: RoleRefusal) -> Self {
        Blocked::Role(r)
    }
}

/// Build the plan. Pure: the same inputs always give the same plan.
#[cfg(test)]
pub(crate) fn plan(desired: &Desired, observed: &Observed) -> Result<Plan, Blocked> {
    let mut p = plan_aws(desired, observed)?;
    if let Some(buzz) = &desired.buzz {
        plan_domain(buzz, observed.buzz.as_ref(), observed.tree.as_ref(), &mut p)?;
    }
    Ok(p)
}

/// The AWS half's plan (empty without it): the stream, the role, the add-ons.
pub(crate) fn plan_aws(desired: &Desired, observed: &Observed) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    if let Some(aws) = &desired.aws {
        stream::plan_stream(
            &desired.stream,
            &aws.stream,
            observed.stream.as_ref(),
            &mut p,
        )?;
        p.notes.extend(stream::key_note(
            &aws.stream,
            observed.stream.as_ref(),
            aws.add_ons.archive.is_some(),
        ));
        role::plan_role(
            &desired.role,
            &aws.role,
            observed.role.as_ref(),
            observed.role_grants.as_ref(),
            &mut p,
        )?;
        let cx = crate::parts::add_on::AddOnPlanCx {
            stream: &desired.stream,
            key: aws.stream.encryption.customer_key(),
        };
        let (actions, notes) =
            crate::parts::add_ons::plan_add_ons::<Blocked>(&aws.add_ons, &cx, &observed.add_ons)?;
        p.add_ons = actions;
        p.notes.extend(
            notes
                .into_iter()
                .map(|(resource, message)| Note { resource, message }),
        );
    }
    Ok(p)
}

/// One domain's part of the plan, added to `p`: who else in its tree delivers to our stream
/// (`tree`, when read), then our target in its configuration (`config`: what it holds).
pub(crate) fn plan_domain(
    buzz: &DesiredBuzz,
    config: Option<&Map<String, Value>>,
    tree: Option<&tree::TreeObserved>,
    p: &mut Plan,
) -> Result<(), Blocked> {
    if let Some(tree) = tree {
        let dest = buzz.target.destination();
        let saved = config
            .and_then(|c| crate::buzz::wire::find_target(c, &dest))
            .is_some();
        tree::plan_tree(buzz.domain.as_str(), &dest, tree, !saved, p)?;
    }
    buzz::plan_buzz(buzz, config, p);
    Ok(())
}

/// Each domain's outcome, in the order of the list (the first is the one a report's `buzz`
/// names): what setup did there (`created`, ...), or check's rows for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcomes<T>(pub Vec<DomainOutcome<T>>);

/// One domain's outcome.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DomainOutcome<T> {
    pub domain: DomainId,
    pub outcome: T,
}

impl<T> Outcomes<T> {
    /// Each domain's outcome, as `outcome` says it.
    pub(crate) fn of<'a>(
        domains: impl IntoIterator<Item = &'a DomainId>,
        mut outcome: impl FnMut(&DomainId) -> T,
    ) -> Self {
        Self(
            domains
                .into_iter()
                .map(|d| DomainOutcome {
                    outcome: outcome(d),
                    domain: d.clone(),
                })
                .collect(),
        )
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, DomainOutcome<T>> {
        self.0.iter()
    }

    /// More than one domain: the reports list each.
    pub(crate) fn several(&self) -> bool {
        self.0.len() > 1
    }
}

impl Outcomes<crate::error::Result<()>> {
    /// The run's result from each domain's: a lone domain's error as it is; of several, the
    /// failed ones, each with its error, beside the ones done ([`Error::Partial`]: what was
    /// done stays done, and a re-run changes only what is missing).
    ///
    /// [`Error::Partial`]: crate::error::Error::Partial
    pub(crate) fn judged(self) -> crate::error::Result<()> {
        if self.0.len() == 1 {
            return self.0.into_iter().try_for_each(|o| o.outcome);
        }
        let (mut done, mut failed) = (Vec::new(), Vec::new());
        for o in self.0 {
            match o.outcome {
                Ok(()) => done.push(o.domain.to_string()),
                Err(e) => failed.push((o.domain.to_string(), e)),
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(crate::error::Error::Partial { done, failed })
        }
    }
}

/// The stream's actions again, from a fresh read: a create met a stream made meanwhile (by
/// someone else, or an earlier attempt of our own), so it is converged as an existing one.
pub(crate) fn replan_stream(
    name: &str,
    desired: &DesiredStream,
    stream: Option<&StreamState>,
) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    stream::plan_stream(name, desired, stream, &mut p)?;
    Ok(p)
}

/// The role's actions again, from a fresh read: a create met a role made meanwhile, which is
/// ours only if it carries our tag; someone else's needs `--adopt` (and its other policies are
/// weighed) like any role found at the start.
pub(crate) fn replan_role(
    name: &str,
    desired: &DesiredRole,
    role: Option<&RoleState>,
    grants: Option<&iam::Grants>,
) -> Result<Plan, Blocked> {
    let mut p = Plan::default();
    role::plan_role(name, desired, role, grants, &mut p)?;
    Ok(p)
}

/// What setup warns about without stopping. A trust that admits Agilix's account with no
/// external id lets any Buzz tenant name this role in its own configuration and have Buzz's
/// servers write that tenant's events into the stream (the confused deputy). Not an error:
/// Agilix may not issue external ids. A run without the AWS half never sees the trust.
pub(crate) fn warnings(d: &Desired) -> Vec<String> {
    let Some(aws) = &d.aws else {
        return Vec::new();
    };
    if iam::trusted_principals(&aws.role.trust)
        .iter()
        .any(|(_, external_id)| external_id.is_none())
    {
        // One line that fits a terminal; docs/security.md's "Who can write into your stream" says more.
        vec!["no --external-id: any Buzz tenant naming this role can have Buzz write into your stream; ask Agilix for one".to_owned()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::buzz::wire;
    use crate::names::{AccountId, RetentionHours, RoleName};
    use crate::parts::alarm::AlarmAction;
    use crate::parts::tag_map;
    use crate::sizing::Capacity;
    use crate::state::{AlarmState, StreamStatus, TopicState};
    use std::time::SystemTime;

    const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    pub(crate) fn desired() -> Desired {
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        Desired {
            stream: StreamName::parse("--stream", "buzz-events").unwrap(),
            stream_arn: STREAM_ARN.into(),
            role: RoleName::parse("--role", "BuzzKinesisWriter").unwrap(),
            role_arn: ROLE_ARN.into(),
            aws: Some(DesiredAws {
                stream: DesiredStream {
                    capacity: Capacity::OnDemand,
                    capacity_given: false,
                    allow_capacity_decrease: false,
                    retention: RetentionHours::DEFAULT,
                    allow_retention_decrease: false,
                    encryption: crate::names::Encryption::Default,
                    key: None,
                    tags: vec![],
                    load: None,
                    measured: None,
                },
                role: DesiredRole {
                    trust: iam::trust_policy(&agilix, None),
                    policy: iam::write_policy(STREAM_ARN, None),
                    tags: vec![],
                    adopt: false,
                    widen: Widen::default(),
                },
                add_ons: DesiredAddOns::default(),
            }),
            buzz: Some(crate::parts::fixtures::desired_buzz(true)),
        }
    }

    impl Desired {
        /// The stream's part, to change in a test.
        pub(crate) fn stream_mut(&mut self) -> &mut DesiredStream {
            &mut self.aws_mut().stream
        }
        /// The role's part, to change in a test.
        pub(crate) fn role_mut(&mut self) -> &mut DesiredRole {
            &mut self.aws_mut().role
        }
        pub(crate) fn aws_mut(&mut self) -> &mut DesiredAws {
            self.aws.as_mut().expect("the AWS half")
        }
        pub(crate) fn role_part(&self) -> &DesiredRole {
            &self.aws.as_ref().expect("the AWS half").role
        }
    }

    pub(crate) fn converged(d: &Desired) -> Observed {
        let buzz = wire::with_target(&Map::new(), &d.buzz.as_ref().unwrap().target);
        Observed {
            stream: Some(StreamState {
                arn: STREAM_ARN.into(),
                status: StreamStatus::Active,
                capacity: Some(Capacity::OnDemand),
                open_shards: 4,
                retention: RetentionHours::DEFAULT,
                kms_key: Some(crate::names::KmsKey::AWS_MANAGED.into()),
                tags: tag_map(&[], true),
            }),
            role: Some(RoleState {
                arn: ROLE_ARN.into(),
                max_session: MAX_SESSION_SECONDS,
                trust: d.role_part().trust.clone(),
                tags: tag_map(&[], true),
                policy: Some(d.role_part().policy.clone()),
                created: SystemTime::UNIX_EPOCH,
                boundary: None,
            }),
            role_grants: None,
            add_ons: AddOnsFound::default(),
            buzz: Some(buzz),
            tree: None,
        }
    }

    pub(crate) fn kinds(p: &Plan) -> Vec<String> {
        crate::parts::fixtures::kinds_of(p.actions())
    }

    #[test]
    fn an_empty_account_gets_everything_created() {
        let p = plan(&desired(), &Observed::default()).unwrap();
        assert_eq!(
            kinds(&p),
            [
                "create_stream",
                "tag_stream",
                "start_encryption",
                "create_role",
                "put_policy",
                "register_buzz_target"
            ]
        );
        assert_eq!(
            p.stream[2],
            StreamAction::StartEncryption {
                from: None,
                to: crate::names::KmsKey::AWS_MANAGED.into()
            },
            "encrypted by default, with the AWS-managed key"
        );
        assert_eq!(p.outcome(Resource::Stream), "created");
        assert_eq!(p.outcome(Resource::Role), "created");
        assert_eq!(p.outcome(Resource::Buzz), "created");
        // Six actions, three resources made.
        assert_eq!(p.len(), 6);
        assert_eq!(p.counts(), (3, 0));
        assert!(!p.is_empty());
        // The alarm's too: a topic, a subscription and the alarm.
        let mut d = desired();
        d.aws_mut().add_ons.alarm = Some(DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms".into(),
            own_topic: Some("buzz-kinesis-buzz-events-alarms".into()),
            emails: vec![crate::names::Email::parse("--alarm-email", "ops@example.edu").unwrap()],
        });
        let p = plan(&d, &converged(&d)).unwrap();
        assert_eq!((p.add_ons.alarm.len(), p.len()), (3, 3));
        assert_eq!(
            p.counts(),
            (1, 0),
            "the alarm, its topic and subscription: one resource"
        );
    }

    /// The alarm's part plans it (`parts::alarm`); the plan counts it as one resource, made
    /// when the alarm is new (though the first step subscribes to the user's topic), updated
    /// when corrected, and its notes are the alarm's.
    #[test]
    fn the_alarm_is_one_resource_made_or_updated() {
        let mut d = desired();
        let topic = "buzz-kinesis-buzz-events-alarms";
        let mut alarm = DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: format!("arn:aws:sns:us-east-1:123456789012:{topic}"),
            own_topic: None,
            emails: vec![crate::names::Email::parse("--alarm-email", "ops@example.edu").unwrap()],
        };
        d.aws_mut().add_ons.alarm = Some(alarm.clone());
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(matches!(
            p.for_resource(Resource::Alarm).next(),
            Some(Action::AddOn(AddOnAction::Alarm(
                AlarmAction::SubscribeEmail { .. }
            )))
        ));
        assert_eq!(p.outcome(Resource::Alarm), "created");
        assert!(p
            .notes
            .iter()
            .all(|n| n.resource == Resource::Alarm && n.message.contains("confirm")));

        alarm.own_topic = Some(topic.into());
        d.aws_mut().add_ons.alarm = Some(alarm.clone());
        let mut a = converged(&d);
        a.add_ons.alarm.topic = Some(TopicState {
            arn: alarm.topic_arn.clone(),
            tags: tag_map(&[], true),
            emails: vec!["ops@example.edu".into()],
        });
        a.add_ons.alarm.alarm = Some(AlarmState {
            name: alarm.name.clone(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
            state: "OK".into(),
            metric: crate::state::alarm::METRIC.into(),
            threshold: 0.0,
            period: 60,
            actions: vec!["arn:aws:sns:us-east-1:1:other".into()],
            tags: tag_map(&[], true),
        });
        let p = plan(&d, &a).unwrap();
        assert_eq!(kinds(&p), ["put_alarm"]);
        assert_eq!(p.outcome(Resource::Alarm), "updated");
        a.add_ons.alarm.alarm.as_mut().unwrap().actions = vec![alarm.topic_arn.clone()];
        assert!(plan(&d, &a).unwrap().is_empty(), "converged: no change");
    }

    #[test]
    fn an_ancestor_delivering_to_our_stream_refuses_our_new_target_but_not_one_already_saved() {
        use tree::{Relation, TreeConfig, TreeObserved};
        let d = desired();
        // The district above delivers to the same stream with the same role.
        let district = wire::with_target(&Map::new(), &d.buzz.as_ref().unwrap().target);
        let tree = TreeObserved {
            configs: vec![TreeConfig {
                domain: wire::DomainRecord {
                    id: "400000".into(),
                    name: "District".into(),
                    userspace: String::new(),
                    parent_id: None,
                },
                relation: Relation::Ancestor,
                config: Ok(district),
            }],
            unlisted: Vec::new(),
        };
        // Our target not saved yet: adding it would deliver each event a second time.
        let fresh = Observed {
            tree: Some(tree.clone()),
            ..Observed::default()
        };
        let refused = plan(&d, &fresh);
        assert!(
            matches!(refused, Err(Blocked::AncestorDelivers { .. })),
            "{refused:?}"
        );
        // Saved already: nothing to add, and the plan says whose events arrive twice.
        let saved = Observed {
            tree: Some(tree),
            ..converged(&d)
        };
        let p = plan(&d, &saved).unwrap();
        assert!(
            p.notes
                .iter()
                .any(|n| crate::text::unmark(&n.message).contains("arrives twice")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn a_converged_setup_plans_nothing() {
        let d = desired();
        let p = plan(&d, &converged(&d)).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(p.outcome(Resource::Role), "unchanged");
        assert_eq!(p.counts(), (0, 0));
    }

    #[test]
    fn the_plan_counts_resources_changed_apart_from_resources_made() {
        let d = desired();
        let observed = converged(&d);
        // A longer retention on the stream that exists: one resource changed.
        let mut longer = desired();
        longer.stream_mut().retention = RetentionHours::parse("--retention-hours", "48").unwrap();
        let p = plan(&longer, &observed).unwrap();
        assert_eq!(p.counts(), (0, 1), "{p:?}");
        // The role gone too: made again, beside the stream's change.
        let gone = Observed {
            role: None,
            ..observed
        };
        let p = plan(&longer, &gone).unwrap();
        assert!(p.role.len() > 1, "{p:?}");
        assert_eq!(p.counts(), (1, 1));
        // Each domain's Buzz target is one resource.
        let mut two = Plan::default();
        for domain in ["1", "2"] {
            two.buzz.push(BuzzAction::RegisterBuzzTarget {
                domain: DomainId::parse("--domain", domain).unwrap(),
                before: Some(Value::Null),
                after: Value::Null,
                save: true,
                merged: Vec::new(),
                also: Vec::new(),
                config: Map::new(),
            });
        }
        assert_eq!(two.counts(), (0, 2));
    }

    /// Each domain's outcome follows its own action, in the order of the list; one domain
    /// is not "several".
    #[test]
    fn each_domain_has_its_own_outcome_in_the_order_given() {
        let id = |d: &str| DomainId::parse("--domain", d).unwrap();
        let action = |d: &str, before: Option<Value>, save: bool| BuzzAction::RegisterBuzzTarget {
            domain: id(d),
            before,
            after: Value::Null,
            save,
            merged: Vec::new(),
            also: Vec::new(),
            config: Map::new(),
        };
        let p = Plan {
            buzz: vec![
                action("2", None, true),
                action("3", Some(Value::Null), true),
                action("4", None, false),
            ],
            ..Plan::default()
        };
        let all = [id("1"), id("2"), id("3"), id("4")];
        let outcomes = Outcomes::of(&all, |d| p.buzz_outcome(d));
        let got: Vec<(&str, &str)> = outcomes
            .iter()
            .map(|o| (o.domain.as_str(), o.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("1", "unchanged"),
                ("2", "created"),
                ("3", "updated"),
                ("4", "tested")
            ]
        );
        assert!(outcomes.several());
        assert!(!Outcomes::of(&all[..1], |_| ()).several());
    }

    /// A lone domain's error is the run's, as it is; of several, the failed ones beside the
    /// ones done, whatever their order; all done is done.
    #[test]
    fn each_domains_result_is_judged_once_for_the_run() {
        use crate::error::Error;
        let each = |results: Vec<(&str, bool)>| {
            Outcomes(
                results
                    .into_iter()
                    .map(|(d, ok)| DomainOutcome {
                        domain: DomainId::parse("--domain", d).unwrap(),
                        outcome: if ok {
                            Ok(())
                        } else {
                            Err(Error::Refused(format!("no {d}")))
                        },
                    })
                    .collect(),
            )
            .judged()
        };
        assert!(each(vec![]).is_ok());
        assert!(each(vec![("1", true), ("2", true)]).is_ok());
        assert!(matches!(each(vec![("1", false)]), Err(Error::Refused(m)) if m == "no 1"));
        match each(vec![("1", true), ("2", false), ("3", true)]) {
            Err(Error::Partial { done, failed }) => {
                assert_eq!(done, ["1", "3"]);
                assert_eq!(failed.len(), 1);
                assert_eq!(failed[0].0, "2");
                assert_eq!(failed[0].1.to_string(), "no 2");
            }
            other => panic!("{other:?}"),
        }
        match each(vec![("1", false), ("2", false)]) {
            Err(Error::Partial { done, failed }) => {
                assert!(done.is_empty());
                assert_eq!(failed.len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }
}
