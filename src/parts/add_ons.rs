//! The AWS half's add-ons (`parts::add_on`), each registered once, in `add_ons!` at the end of
//! this file, from which the AWS half's add-on fields are written (what the run wants, what
//! setup's read and teardown's read find, the plan's actions, teardown's removals), with their
//! reads, their plan, their apply, their check rows and their teardown: the plan, setup's
//! apply, check and teardown name no add-on.

use std::sync::Arc;

use serde_json::Value;

use super::add_on::{
    AddOn, AddOnApplyCx, AddOnCheckCx, AddOnLeftCx, AddOnPlanCx, ApplyAddOn, CheckAddOn, ReadAddOn,
    RunCx,
};
use super::{alarm, archived, role, Change, Gone, Planned, Refusal, Remove, TeardownCx};
use crate::buzz::wire::OurTarget;
use crate::state::Halves;

/// Writes from one list what names every add-on, so an add-on is named in one place:
/// [`DesiredAddOns`] (with what the writer role must allow for them, `writer_statements`),
/// [`AddOnsFound`] and `read_add_ons` (setup's and check's read),
/// [`AddOnActions`], [`AddOnAction`] and `plan_add_ons` (the plan), `apply_add_ons` (setup),
/// `check_add_ons` (check's rows), `STACK` (the exports' fragments),
/// and [`AddOnsLeft`], `read_left_add_ons`, [`AddOnRemoval`] and `teardown_add_ons`
/// (teardown).
macro_rules! add_ons {
    (@one $field:ident) => { 1 };
    ($($field:ident: $variant:ident($part:ident :: $ty:ident)),* $(,)?) => {
        /// What a run touches, as the reports and the JSON name it: the stream, the role, each
        /// add-on (its field's name), and our target in Buzz's configuration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "lowercase")]
        pub(crate) enum Resource {
            Stream,
            Role,
            $($variant,)*
            Buzz,
        }

        impl Resource {
            /// In the order setup applies and reports them.
            pub(crate) const ALL: [Resource; 3 $(+ add_ons!(@one $field))*] =
                [Resource::Stream, Resource::Role, $(Resource::$variant,)* Resource::Buzz];

            /// `stream`, `role`, each add-on's field (`alarm`, `archive`) or `buzz`: the word
            /// the reports and the JSON use.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    Resource::Stream => "stream",
                    Resource::Role => "role",
                    $(Resource::$variant => stringify!($field),)*
                    Resource::Buzz => "buzz",
                }
            }

            /// Whether a run of `half` reads or changes it: Buzz's half only our target, the
            /// AWS half everything else.
            pub(crate) fn in_half(self, half: Halves) -> bool {
                match half {
                    Halves::Both => true,
                    Halves::AwsOnly => self != Resource::Buzz,
                    Halves::BuzzOnly => self == Resource::Buzz,
                }
            }
        }

        impl std::fmt::Display for Resource {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // `pad`, so that `{:<7}` aligns report columns.
                f.pad(self.as_str())
            }
        }

        /// What the report's line names an add-on's resource (`None`: not an add-on's), from
        /// what the run wants (`None`: no AWS half).
        pub(crate) fn add_on_name(resource: Resource, want: Option<&DesiredAddOns>) -> Option<String> {
            match resource {
                $(Resource::$variant => Some($part::$ty.name(want.and_then(|w| w.$field.as_ref()))),)*
                _ => None,
            }
        }

        /// What the run asks of each add-on (`None`: not asked).
        #[derive(Debug, Clone, Default)]
        pub(crate) struct DesiredAddOns {
            $(pub $field: Option<<$part::$ty as AddOn>::Desired>,)*
        }

        impl DesiredAddOns {
            /// What the writer role must also allow for Buzz to deliver to each add-on asked
            /// for ([`AddOn::writer_statements`]), in the registration's order: setup's
            /// desired policy and check's `role.policy` row add them to the stream's.
            pub(crate) fn writer_statements(&self) -> Vec<Value> {
                let mut all = Vec::new();
                $(
                    if let Some(w) = &self.$field {
                        all.extend($part::$ty.writer_statements(w));
                    }
                )*
                all
            }

            /// The targets Buzz delivers to in the add-ons asked for, in the registration's
            /// order (see [`AddOn::buzz_target`]).
            pub(crate) fn buzz_targets(&self, role_arn: &str, region: &str) -> Vec<Arc<dyn OurTarget>> {
                let mut all = Vec::new();
                $(all.extend(
                    self.$field.as_ref().and_then(|w| $part::$ty.buzz_target(w, role_arn, region)),
                );)*
                all
            }
        }

        /// What setup's and check's read found of each add-on asked for.
        #[derive(Debug, Clone, Default)]
        pub(crate) struct AddOnsFound {
            $(pub $field: <$part::$ty as AddOn>::Found,)*
        }

        /// What teardown found of each add-on.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub(crate) struct AddOnsLeft {
            $(pub $field: <$part::$ty as AddOn>::Left,)*
        }

        /// Each add-on's planned changes, in the order they apply.
        #[derive(Debug, Clone, Default)]
        pub(crate) struct AddOnActions {
            $(pub $field: Vec<<$part::$ty as AddOn>::Action>,)*
        }

        /// One change to an add-on, in its own words (and JSON).
        #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub(crate) enum AddOnAction<'a> {
            $($variant(&'a <$part::$ty as AddOn>::Action),)*
        }

        impl AddOnAction<'_> {
            /// The resource it changes.
            pub(crate) fn resource(&self) -> Resource {
                match self { $(AddOnAction::$variant(_) => Resource::$variant,)* }
            }
        }

        impl Change for AddOnAction<'_> {
            fn is_create(&self) -> bool {
                match self { $(AddOnAction::$variant(a) => a.is_create(),)* }
            }

            fn before_after(&self) -> (Value, Value) {
                match self { $(AddOnAction::$variant(a) => a.before_after(),)* }
            }

            fn describe(&self) -> String {
                match self { $(AddOnAction::$variant(a) => a.describe(),)* }
            }
        }

        impl AddOnActions {
            /// How many changes, of every add-on.
            pub(crate) fn len(&self) -> usize {
                0 $(+ self.$field.len())*
            }

            /// One resource's changes (none for a resource no add-on reports under).
            pub(crate) fn for_resource(
                &self,
                resource: Resource,
            ) -> impl Iterator<Item = AddOnAction<'_>> + '_ {
                let mut all: Vec<AddOnAction<'_>> = Vec::new();
                $(
                    if Resource::$variant == resource {
                        all.extend(self.$field.iter().map(AddOnAction::$variant));
                    }
                )*
                all.into_iter()
            }
        }

        /// Every add-on asked for planned, in order, with its notes under its resource: the
        /// first refusal stops it.
        pub(crate) fn plan_add_ons<E: From<Refusal> + From<role::RoleRefusal>>(
            want: &DesiredAddOns,
            cx: &AddOnPlanCx<'_>,
            found: &AddOnsFound,
        ) -> Result<(AddOnActions, Vec<(Resource, String)>), E> {
            let mut actions = AddOnActions::default();
            let mut notes = Vec::new();
            $(
                if let Some(w) = &want.$field {
                    let p = $part::$ty.plan::<E>(w, cx, &found.$field)?;
                    actions.$field = p.actions;
                    notes.extend(p.notes.into_iter().map(|n| (Resource::$variant, n)));
                }
            )*
            Ok((actions, notes))
        }

        /// Every add-on asked for read at once, each through its adapter; the first error
        /// stops the read.
        pub(crate) async fn read_add_ons<C>(
            client: &C,
            want: &DesiredAddOns,
        ) -> crate::error::Result<AddOnsFound>
        where
            $($part::$ty: ReadAddOn<C>,)*
        {
            let ($($field,)*) = tokio::try_join!($(async {
                match &want.$field {
                    Some(w) => $part::$ty.read(client, w).await,
                    None => Ok(Default::default()),
                }
            },)*)?;
            Ok(AddOnsFound { $($field,)* })
        }

        /// Every add-on's planned changes made, the add-ons at once, each through its apply.
        pub(crate) async fn apply_add_ons<C: Sync>(
            client: &C,
            want: &DesiredAddOns,
            found: &AddOnsFound,
            planned: &AddOnActions,
            run: &RunCx<'_>,
        ) -> crate::error::Result<()>
        where
            $($part::$ty: ApplyAddOn<C>,)*
        {
            tokio::try_join!($(async {
                match &want.$field {
                    Some(w) if !planned.$field.is_empty() => {
                        let cx = AddOnApplyCx { resource: Resource::$variant.as_str(), run };
                        $part::$ty.apply(client, w, &found.$field, &planned.$field, &cx).await
                    }
                    _ => Ok(()),
                }
            },)*)?;
            Ok(())
        }

        /// Every add-on's template fragments (each add-on is a `StackPart`), for the exports,
        /// after the parts every setup has (`parts::stack_parts`).
        pub(crate) const STACK: &[&dyn super::stack::StackPart] = &[$(&$part::$ty),*];

        /// Every add-on's check rows, in the registration's order, each read at once through
        /// its adapter (an add-on not asked for may still say so).
        pub(crate) async fn check_add_ons<C>(
            client: &C,
            want: &DesiredAddOns,
            found: &AddOnsFound,
            cx: &AddOnCheckCx<'_>,
        ) -> crate::error::Result<Vec<crate::checklist::Check>>
        where
            $($part::$ty: CheckAddOn<C>,)*
        {
            let ($($field,)*) = tokio::try_join!(
                $($part::$ty.rows(client, want.$field.as_ref(), &found.$field, cx),)*
            )?;
            let mut rows = Vec::new();
            $(rows.extend($field);)*
            Ok(rows)
        }

        /// What teardown finds of every add-on, one after another; a read it may do without
        /// goes to `unread` (see [`ReadAddOn::left`]).
        pub(crate) async fn read_left_add_ons<C>(
            client: &C,
            cx: &AddOnLeftCx<'_>,
            unread: &mut dyn FnMut(&'static str, crate::error::Error) -> crate::error::Result<()>,
        ) -> crate::error::Result<AddOnsLeft>
        where
            $($part::$ty: ReadAddOn<C>,)*
        {
            Ok(AddOnsLeft { $($field: $part::$ty.left(client, cx, unread).await?,)* })
        }

        /// One removal of an add-on, in its own words (and JSON).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub(crate) enum AddOnRemoval {
            $($variant(<$part::$ty as AddOn>::Removal),)*
        }

        impl AddOnRemoval {
            /// The resource it removes.
            pub(crate) fn resource(&self) -> Resource {
                match self { $(AddOnRemoval::$variant(_) => Resource::$variant,)* }
            }
        }

        impl Gone for AddOnRemoval {
            fn describe(&self) -> String {
                match self { $(AddOnRemoval::$variant(r) => r.describe(),)* }
            }
        }

        impl<C> Remove<C> for AddOnRemoval
        where
            $(<$part::$ty as AddOn>::Removal: Remove<C>,)*
        {
            async fn remove(&self, client: &C) -> crate::error::Result<()> {
                match self { $(AddOnRemoval::$variant(r) => r.remove(client).await,)* }
            }
        }

        /// The targets Buzz delivers to in every add-on, by the names setup derives, for
        /// teardown (see [`AddOn::buzz_target_named`]), in the registration's order.
        pub(crate) fn buzz_targets_named(
            cx: &AddOnLeftCx<'_>,
            role_arn: &str,
            region: &str,
        ) -> Vec<Arc<dyn OurTarget>> {
            let mut all = Vec::new();
            $(all.extend($part::$ty.buzz_target_named(cx, role_arn, region));)*
            all
        }

        /// Every add-on's teardown, in the registration's order, into one.
        pub(crate) fn teardown_add_ons(cx: &TeardownCx, left: &AddOnsLeft) -> Planned<AddOnRemoval> {
            let mut all = Planned::default();
            $(
                let t = $part::$ty.teardown(cx, &left.$field);
                all.actions.extend(t.actions.into_iter().map(AddOnRemoval::$variant));
                all.notes.extend(t.notes);
            )*
            all
        }
    };
}

// The add-ons, each registered here once, in the order the plan, setup's report and teardown
// take them. A line gives the add-on's field (in what the run wants, what the reads find and
// the plan's actions), its variant in [`AddOnAction`] and [`AddOnRemoval`], and its type,
// which implements [`AddOn`]. Adding one is its module, the adapter it calls, and one line here
// (see docs/architecture.md).
add_ons! {
    alarm: Alarm(alarm::Alarm),
    archive: Archive(archived::Archived),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parts::alarm::{AlarmAction, AlarmFound, AlarmRemoval, DesiredAlarm};
    use crate::parts::archived::tests::{desired, Blocked};
    use crate::parts::fixtures::kinds_of;

    fn alarm() -> DesiredAlarm {
        DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms".into(),
            own_topic: Some("buzz-kinesis-buzz-events-alarms".into()),
            emails: vec![],
        }
    }

    const CX: AddOnPlanCx<'static> = AddOnPlanCx {
        stream: "buzz-events",
        key: None,
    };

    /// A resource prints, serializes and reports under one word: an add-on's is its field's in
    /// the registration, which is also its variant's name in lower case.
    #[test]
    fn resources_print_and_serialize_as_their_word() {
        assert_eq!(format!("{:<7}|", Resource::Role), "role   |");
        assert_eq!(
            Resource::ALL.map(Resource::as_str),
            ["stream", "role", "alarm", "archive", "buzz"]
        );
        for r in Resource::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.as_str())
            );
        }
    }

    /// Buzz's half touches only our target; the AWS half everything else; both, all.
    #[test]
    fn each_half_covers_its_resources() {
        let covered = |h: Halves| -> Vec<&str> {
            Resource::ALL
                .into_iter()
                .filter(|r| r.in_half(h))
                .map(Resource::as_str)
                .collect()
        };
        assert_eq!(covered(Halves::BuzzOnly), ["buzz"]);
        assert_eq!(
            covered(Halves::AwsOnly),
            ["stream", "role", "alarm", "archive"]
        );
        assert_eq!(covered(Halves::Both).len(), Resource::ALL.len());
    }

    /// The report names an add-on as its part says, whether asked for or not; any other
    /// resource is not an add-on's to name.
    #[test]
    fn an_add_on_names_itself_for_the_report() {
        let want = DesiredAddOns {
            alarm: Some(alarm()),
            archive: None,
        };
        assert_eq!(
            add_on_name(Resource::Alarm, Some(&want)).as_deref(),
            Some("alarm buzz-kinesis-buzz-events-writes-refused")
        );
        assert_eq!(
            add_on_name(Resource::Archive, Some(&want)).as_deref(),
            Some("archive (none asked for)")
        );
        let archived = DesiredAddOns {
            archive: Some(desired()),
            ..DesiredAddOns::default()
        };
        assert_eq!(
            add_on_name(Resource::Archive, Some(&archived)).as_deref(),
            Some("archive s3://district-42-buzz")
        );
        assert_eq!(
            add_on_name(Resource::Alarm, None).as_deref(),
            Some("alarm (none asked for)")
        );
        assert_eq!(add_on_name(Resource::Stream, Some(&want)), None);
        assert_eq!(add_on_name(Resource::Buzz, None), None);
    }

    /// Buzz delivers to neither the alarm nor the archive (Firehose fills the archive from the
    /// stream): asked for or left, neither adds a target to Buzz's configuration.
    #[test]
    fn no_add_on_today_is_a_target_buzz_delivers_to() {
        let want = DesiredAddOns {
            alarm: Some(alarm()),
            archive: Some(desired()),
        };
        let role = crate::parts::fixtures::ROLE_ARN;
        assert!(want.buzz_targets(role, "us-east-1").is_empty());
        let cx = AddOnLeftCx {
            stream: "buzz-events",
            account: "123456789012",
            delete_archive: true,
        };
        assert!(buzz_targets_named(&cx, role, "us-east-1").is_empty());
    }

    /// Only what was asked is planned: nothing asked, nothing planned, whatever was found.
    #[test]
    fn an_add_on_not_asked_for_is_not_planned() {
        let none = DesiredAddOns::default();
        let (actions, notes) =
            plan_add_ons::<Blocked>(&none, &CX, &AddOnsFound::default()).unwrap();
        assert_eq!((actions.len(), notes.len()), (0, 0));

        let only_alarm = DesiredAddOns {
            alarm: Some(alarm()),
            ..DesiredAddOns::default()
        };
        let (actions, _) =
            plan_add_ons::<Blocked>(&only_alarm, &CX, &AddOnsFound::default()).unwrap();
        assert_eq!(kinds_of(&actions.alarm), ["create_topic", "put_alarm"]);
        assert!(actions.archive.is_empty());
        assert_eq!(actions.len(), 2);
    }

    /// Each add-on's actions and notes are reported under its own resource, in the
    /// registration's order.
    #[test]
    fn each_add_on_is_planned_under_its_own_resource() {
        let want = DesiredAddOns {
            alarm: Some(alarm()),
            archive: Some(desired()),
        };
        let (actions, notes) =
            plan_add_ons::<Blocked>(&want, &CX, &AddOnsFound::default()).unwrap();
        assert_eq!(actions.len(), actions.alarm.len() + actions.archive.len());
        assert!(!actions.archive.is_empty());
        let alarm: Vec<Resource> = actions
            .for_resource(Resource::Alarm)
            .map(|a| a.resource())
            .collect();
        assert_eq!(alarm, [Resource::Alarm, Resource::Alarm]);
        assert_eq!(
            actions.for_resource(Resource::Archive).count(),
            actions.archive.len()
        );
        assert_eq!(actions.for_resource(Resource::Stream).count(), 0);
        // The archive's cost note, under the archive, after any of the alarm's.
        assert_eq!(
            notes.last().map(|(r, n)| (*r, n.as_str())),
            Some((Resource::Archive, crate::parts::archived::COST_NOTE))
        );
    }

    /// Teardown takes the add-ons in the registration's order, each removal under its
    /// resource; nothing left, nothing removed.
    #[test]
    fn teardown_takes_the_add_ons_in_order() {
        let cx = TeardownCx::default();
        assert!(teardown_add_ons(&cx, &AddOnsLeft::default())
            .actions
            .is_empty());
        let mut tags = std::collections::BTreeMap::new();
        crate::state::mark_managed(&mut tags);
        let left = AddOnsLeft {
            alarm: AlarmFound {
                alarm: Some(crate::state::AlarmState {
                    name: "A".into(),
                    arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:A".into(),
                    state: "OK".into(),
                    metric: crate::state::alarm::METRIC.into(),
                    threshold: 0.0,
                    period: 60,
                    actions: vec![],
                    tags: tags.clone(),
                }),
                topic: None,
            },
            archive: crate::parts::ArchiveLeft {
                log: Some(("/aws/kinesisfirehose/buzz-events-archive".into(), true)),
                ..crate::parts::ArchiveLeft::default()
            },
        };
        let p = teardown_add_ons(&cx, &left);
        assert_eq!(
            p.actions
                .iter()
                .map(AddOnRemoval::resource)
                .collect::<Vec<_>>(),
            [Resource::Alarm, Resource::Archive]
        );
        assert_eq!(
            p.actions[0],
            AddOnRemoval::Alarm(AlarmRemoval::DeleteAlarm { name: "A".into() })
        );
        assert_eq!(kinds_of(&p.actions), ["delete_alarm", "delete_log_group"]);
        assert_eq!(p.actions[0].describe(), "delete the alarm A");
    }

    /// Buzz delivers to neither the alarm nor the archive: asking for both adds nothing to
    /// what the writer role must allow, and neither does asking for none.
    #[test]
    fn the_alarm_and_the_archive_grant_the_writer_role_nothing() {
        let both = DesiredAddOns {
            alarm: Some(alarm()),
            archive: Some(desired()),
        };
        assert_eq!(both.writer_statements(), Vec::<Value>::new());
        assert_eq!(
            alarm::Alarm.writer_statements(&alarm()),
            Vec::<Value>::new()
        );
        assert_eq!(
            archived::Archived.writer_statements(&desired()),
            Vec::<Value>::new()
        );
        assert!(DesiredAddOns::default().writer_statements().is_empty());
    }

    /// A change reads as its add-on's own: its marker, its before and after, its line.
    #[test]
    fn an_add_on_action_reads_as_its_own() {
        let put = AlarmAction::PutAlarm {
            before: None,
            after: serde_json::json!({"name": "A"}),
        };
        let a = AddOnAction::Alarm(&put);
        assert_eq!(a.resource(), Resource::Alarm);
        assert_eq!(
            (a.is_create(), a.before_after(), a.describe()),
            (put.is_create(), put.before_after(), put.describe())
        );
    }
}
