//! The parts of the pipeline, one module each: the stream, the IAM role part both roles share
//! (`role`) with the writer role and Firehose's, the Buzz target, the alarm, and the
//! archive's (`--archive-bucket`): what the run wants of it, what exists of it, the difference
//! as typed actions and its plan, its check rows (the stream's, the writer role's and the Buzz
//! target's in `checklist`'s words; the archive's and the alarm's a [`Row`]), what teardown does
//! with it, and its CloudFormation and Terraform fragments (every part's, listed once in
//! [`stack_parts`]). A setting of a part is written here once; `plan`, `checks`, `teardown_plan` and
//! `iac` only put what each says into their own words (a `Blocked`, a `Check`, a `Removal`, a
//! template).
//!
//! The archive's parts are registered in one list (`archive_parts!`, at the end of this file),
//! from which the archive's state, actions, readers, plan, rows, teardown and export list are
//! written. How a part is read, made and removed is its adapter's (`aws/`, one per service),
//! through traits declared here over any client ([`Read`], [`Apply`], [`Remove`]): this module
//! does no I/O itself, and the readers the registration writes only run, at once, what the
//! adapters return. The add-ons (the alarm, the archive) are registered the same way, in
//! `add_ons`. The stream's and the writer role's changes are made through the same [`Apply`],
//! with their own context ([`AwsCx`]).
//!
//! This floor-1 module stands below `plan`, `checks`, `teardown_plan` and `iac` (they import
//! it, never the reverse), so what a part returns is plain data: a [`Refusal`], notes as
//! text, a [`Row`] or a `checklist::Check`, a [`Skip`], JSON or HCL blocks.

pub(crate) mod add_on;
pub(crate) mod add_ons;
pub(crate) mod alarm;
pub(crate) mod archived;
pub(crate) mod bucket;
pub(crate) mod delivery;
pub(crate) mod firehose_role;
pub(crate) mod glue;
pub(crate) mod log;
pub(crate) mod role;
pub(crate) mod stack;
pub(crate) mod stream;
pub(crate) mod target;
pub(crate) mod views;
pub(crate) mod writer_role;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::hcl::{Block, Hcl};

/// What every part gives the exports: its template fragments (none by default: the views have
/// no template, the exports give their queries as outputs).
pub(crate) trait Part: Sync {
    /// Its CloudFormation resources, by logical id, in template order.
    fn cloudformation(&self, _x: &Export) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
    /// Its Terraform blocks, in file order.
    fn terraform(&self, _x: &Export) -> Vec<Block> {
        Vec::new()
    }
}

/// A part of the archive, in its own types: what the reads find of it, its changes and its
/// removals, and what it says in the plan, in check and in teardown. `archive_parts!` turns a
/// registered part's types into a field of [`ArchiveState`] and [`ArchiveLeft`] and a variant of
/// [`ArchiveAction`] and [`ArchiveRemoval`], and calls its `plan`, `row` and `teardown` in turn.
pub(crate) trait ArchivePart: Part {
    /// What setup's and check's read finds of it (`Default`: nothing of it exists).
    type Found: std::fmt::Debug + Clone + PartialEq + Default;
    /// What teardown finds of it, by the names setup derives from the stream (`Default`:
    /// nothing of it is left).
    type Left: std::fmt::Debug + Clone + PartialEq + Default;
    /// One change to it, as the plan shows it and setup applies it.
    type Action: Change;
    /// Its removal, as teardown's plan shows it and teardown applies it.
    type Removal: Gone;

    /// What it is, for a person: `the archive's bucket` (a read teardown could not make is
    /// said with it).
    const NOUN: &'static str;
    /// The chain of setup's apply it runs in: the parts of one chain go one after another, the
    /// chains at once (the views after the table they read, in the table's chain).
    const CHAIN: &'static str;
    /// Its check row's id (`archive.bucket`), when it has a row of its own.
    const ROW: Option<&'static str> = None;
    /// The parts (by their field in the registration) that must be gone before it, beyond
    /// what teardown's order already gives: teardown takes the parts in the reverse of the
    /// registration (a part before what it names), then moves a part after these.
    const TEARDOWN_AFTER: &'static [&'static str] = &[];

    /// Its plan from what exists of the whole archive (a part may read what it names), or
    /// why it cannot be made as asked.
    fn plan<E: From<Refusal> + From<role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<Self::Action>, E>;

    /// Its check row, under [`ArchivePart::ROW`], from what exists of the whole archive.
    fn row(&self, _cx: &RowCx<'_>, _found: &ArchiveState) -> Option<Row> {
        None
    }

    /// What teardown does with it, from what is left of the whole archive: its removals, or a
    /// note why it stays (only what setup made goes).
    fn teardown(&self, _cx: &TeardownCx, _left: &ArchiveLeft) -> Planned<Self::Removal> {
        Planned::default()
    }
}

/// How a part is found: read by the adapter of its service (`C`, its client), as [`Apply`]
/// makes its changes. `parts` itself does no I/O: the readers the registration writes only run
/// what the adapters return, at once.
pub(crate) trait Read<C>: ArchivePart {
    /// What setup and check find of it.
    async fn read(&self, client: &C, cx: &ReadCx<'_>) -> crate::error::Result<Self::Found>;
    /// What teardown finds of it, from what the first read found of the whole archive (the
    /// bucket is found through the table or the delivery stream; a role's every policy is
    /// weighed).
    async fn left(
        &self,
        client: &C,
        cx: &LeftCx<'_>,
        found: &ArchiveState,
    ) -> crate::error::Result<Self::Left>;
}

/// What a part is read by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadCx<'a> {
    /// The stream the archive's names derive from (`archive::role_of`, ...).
    pub stream: &'a str,
    /// The Glue database's ARN (its tags are read through it).
    pub database_arn: &'a str,
    /// The run's archive, when it names one (setup and check: its bucket, its views); teardown
    /// has none, and finds the bucket through what names it.
    pub model: Option<&'a crate::archive::Archive>,
    /// `--archive-views`: the views are read too.
    pub views: bool,
}

/// What teardown reads a part by, beyond what the first read found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeftCx<'a> {
    pub stream: &'a str,
    /// `--delete-archive`: whose the bucket is is read (only then).
    pub delete_archive: bool,
}

/// What teardown was asked, beyond what is left.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TeardownCx {
    /// `--delete-archive`: the archive's bucket goes too, with every object.
    pub delete_archive: bool,
}

/// A removal of a part: its JSON (a `kind`) and its line.
pub(crate) trait Gone: std::fmt::Debug + Clone + PartialEq + serde::Serialize {
    /// The plan's and the progress's line.
    fn describe(&self) -> String;
}

/// How a part's removal is made, by the adapter of its service (as [`Apply`]).
pub(crate) trait Remove<C>: Gone {
    async fn remove(&self, client: &C) -> crate::error::Result<()>;
}

/// The removal of a part that teardown never removes itself (the views go with the Glue
/// part's teardown): no value of it exists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) enum Never {}

impl Gone for Never {
    fn describe(&self) -> String {
        match *self {}
    }
}

impl<C> Remove<C> for Never {
    async fn remove(&self, _: &C) -> crate::error::Result<()> {
        match *self {}
    }
}

/// A part's teardown answer as its plan: its removals (none when the part is absent), or the
/// note why it stays.
pub(crate) fn torn<R>(answer: Teardown, removals: impl IntoIterator<Item = R>) -> Planned<R> {
    match answer {
        Teardown::Remove => Planned {
            actions: removals.into_iter().collect(),
            notes: Vec::new(),
        },
        Teardown::Keep(note) => Planned {
            actions: Vec::new(),
            notes: vec![note],
        },
        Teardown::Nothing => Planned::default(),
    }
}

/// A part's read answer; a failed read goes to `unread` with the part's `noun`, and when that
/// lets the run go on, the part counts as not there.
pub(crate) fn answered<T: Default>(
    answer: crate::error::Result<T>,
    noun: &'static str,
    unread: &mut impl FnMut(&'static str, crate::error::Error) -> crate::error::Result<()>,
) -> crate::error::Result<T> {
    match answer {
        Ok(v) => Ok(v),
        Err(e) => {
            unread(noun, e)?;
            Ok(T::default())
        }
    }
}

/// Teardown's order over the parts, given each one's name and `TEARDOWN_AFTER`, in the
/// registration's order: the reverse of the registration, each part moved after the parts it
/// must follow (at the first place all of them are gone). Indexes into `parts`.
pub(crate) fn teardown_order(parts: &[(&str, &[&str])]) -> Vec<usize> {
    let mut left: Vec<usize> = (0..parts.len()).rev().collect();
    let mut order = Vec::with_capacity(parts.len());
    while !left.is_empty() {
        let gone = |name: &&str| {
            order.iter().any(|&i: &usize| parts[i].0 == *name)
                || !parts.iter().any(|(n, _)| n == name)
        };
        // A cycle in the declarations cannot be met: take the parts as they come (a test
        // holds that the registered parts have none).
        let next = left
            .iter()
            .position(|&i| parts[i].1.iter().all(gone))
            .unwrap_or(0);
        order.push(left.remove(next));
    }
    order
}

/// What a part's check row is judged against, beyond what exists.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowCx<'a> {
    pub model: &'a crate::archive::Archive,
    pub stream_arn: &'a str,
    /// This account.
    pub account: &'a str,
    /// Firehose's role's policies as IAM evaluates them, when the role was read.
    pub grants: Option<&'a crate::iam::Grants>,
}

/// A change to a part: its `+`/`~` marker, its JSON, its plan line.
pub(crate) trait Change: std::fmt::Debug + Clone + PartialEq + serde::Serialize {
    /// Whether it makes the part (drawn `+`, and the outcome `created`).
    fn is_create(&self) -> bool;
    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value);
    /// The plan's line.
    fn describe(&self) -> String;
}

/// How a change is made, by the adapter of its service (`C`, its client), given what it needs
/// beyond the change itself (`X`: the archive's [`ApplyCx`], the stream's and the writer
/// role's [`AwsCx`], the alarm's [`alarm::AlarmCx`]). `aws/` implements it for every action
/// setup applies, the archive's parts' and the stream's, the writer role's and the alarm's, so
/// `parts` and `plan` stay pure and setup's apply only schedules ([`ArchivePart::CHAIN`], the
/// AWS half's chains).
pub(crate) trait Apply<C, X>: Change {
    /// What the apply tells its scheduler beyond success. `()` for the archive's parts (a
    /// create that meets its part made meanwhile is refused by the adapter: the archive is not
    /// planned anew) and for the alarm (SNS's CreateTopic and CloudWatch's PutMetricAlarm take
    /// one already there). The stream's and the writer role's say whether a create met one
    /// made meanwhile (the adapter's `Created`): setup reads it again and plans anew, once.
    type Outcome;
    async fn apply(&self, client: &C, cx: &X) -> crate::error::Result<Self::Outcome>;
}

/// What a change to the stream or the writer role is applied with: their names, as the run
/// derived them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsCx<'a> {
    pub stream: &'a str,
    /// The stream's ARN (a switch of its capacity mode names the stream by it).
    pub stream_arn: &'a str,
    /// The writer role, which Agilix assumes.
    pub role: &'a str,
}

/// What applying a change to the archive is given beyond the change itself.
pub(crate) struct ApplyCx<'a> {
    pub model: &'a crate::archive::Archive,
    /// The stream (its name and ARN): Firehose reads it from its first record.
    pub stream: &'a str,
    pub stream_arn: &'a str,
    /// Firehose's role.
    pub role_arn: &'a str,
    /// This account.
    pub account: &'a str,
    /// The table as setup writes it over the one found (`glue::table_over`).
    pub table: &'a glue::TableState,
    /// How long Firehose may be refused a role IAM has not propagated yet (zero for a role
    /// made long enough ago).
    pub iam_wait: std::time::Duration,
    /// Tells the person what the adapter waits for, and for how long so far.
    pub waiting: &'a (dyn Fn(&str, std::time::Duration) + Sync),
    /// Tells the person the wait is over.
    pub done_waiting: &'a (dyn Fn() + Sync),
}

/// What a part's plan is written from, beyond what exists: the run's archive and its ARNs.
pub(crate) struct PlanCx<'a> {
    pub model: &'a crate::archive::Archive,
    pub stream_arn: &'a str,
    /// Firehose's role.
    pub role_arn: &'a str,
    /// This account.
    pub account: &'a str,
    /// `--adopt`.
    pub adopt: bool,
    /// `--archive-views`.
    pub views: bool,
    /// Firehose's role as the run wants it, planned by the role part every role setup owns
    /// goes through (`role::plan`: compared by meaning, trust and grants guarded).
    pub role: role::RolePart<'a>,
    /// Every policy on a Firehose role setup did not make (read for `--adopt`).
    pub role_grants: Option<&'a crate::iam::Grants>,
}

/// Writes from one list what names every part of the archive, so a part is named in one
/// place: [`ArchiveState`] and `read_archive` (what setup and check read), [`ArchiveLeft`] and
/// `read_left` (what teardown reads), [`ArchiveAction`] and `plan_archive` (the plan and its
/// apply), `archive_rows` (check), [`ArchiveRemoval`] and `teardown_archive` (teardown, in
/// [`teardown_order`]), and [`ARCHIVE`] (the exports).
macro_rules! archive_parts {
    ($($field:ident: $variant:ident($part:ident :: $ty:ident)),* $(,)?) => {
        /// The archive as the read step finds it, part by part (`Default`: nothing exists).
        #[derive(Debug, Clone, PartialEq, Default)]
        pub(crate) struct ArchiveState {
            $(pub $field: <$part::$ty as ArchivePart>::Found,)*
        }

        /// One change to the archive: a change to one of its parts, in the part's own words
        /// (and JSON).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub(crate) enum ArchiveAction {
            $($variant(<$part::$ty as ArchivePart>::Action),)*
        }

        /// Each change says what its part's says.
        impl Change for ArchiveAction {
            fn is_create(&self) -> bool {
                match self { $(ArchiveAction::$variant(a) => a.is_create(),)* }
            }

            fn before_after(&self) -> (Value, Value) {
                match self { $(ArchiveAction::$variant(a) => a.before_after(),)* }
            }

            fn describe(&self) -> String {
                match self { $(ArchiveAction::$variant(a) => a.describe(),)* }
            }
        }

        impl ArchiveAction {
            /// Make the change, through its part's adapter (a create that meets the part made
            /// meanwhile is refused there: the archive is not planned anew).
            pub(crate) async fn apply<'a, C>(
                &self,
                client: &C,
                cx: &ApplyCx<'a>,
            ) -> crate::error::Result<()>
            where
                $(<$part::$ty as ArchivePart>::Action: Apply<C, ApplyCx<'a>, Outcome = ()>,)*
            {
                match self { $(ArchiveAction::$variant(a) => a.apply(client, cx).await,)* }
            }

            /// The chain of setup's apply it runs in ([`ArchivePart::CHAIN`]).
            pub(crate) fn chain(&self) -> &'static str {
                match self { $(ArchiveAction::$variant(_) => <$part::$ty as ArchivePart>::CHAIN,)* }
            }
        }

        /// The archive's parts, for the exports.
        pub(crate) const ARCHIVE: &[&dyn Part] = &[$(&$part::$ty),*];

        /// Each part's read, on its own (teardown keeps going past a part it may not read).
        pub(crate) struct ArchiveReads {
            $(pub $field: crate::error::Result<<$part::$ty as ArchivePart>::Found>,)*
        }

        /// Every part read at once, through its adapter.
        pub(crate) async fn read_archive<C>(client: &C, cx: &ReadCx<'_>) -> ArchiveReads
        where
            $($part::$ty: Read<C>,)*
        {
            let ($($field,)*) = tokio::join!($($part::$ty.read(client, cx),)*);
            ArchiveReads { $($field,)* }
        }

        impl ArchiveReads {
            /// Every answer, or the first error (setup, check).
            pub(crate) fn all(self) -> crate::error::Result<ArchiveState> {
                Ok(ArchiveState { $($field: self.$field?,)* })
            }

            /// Every answer; an error goes to `unread` with the part's noun, which says
            /// whether the run goes on (the part then counted as not there) or stops.
            pub(crate) fn or_unread(
                self,
                mut unread: impl FnMut(&'static str, crate::error::Error) -> crate::error::Result<()>,
            ) -> crate::error::Result<ArchiveState> {
                Ok(ArchiveState {
                    $($field: answered(self.$field, <$part::$ty as ArchivePart>::NOUN, &mut unread)?,)*
                })
            }
        }

        /// What teardown finds of every part, at once, from what the first read found; a read
        /// that fails goes to `unread` as in [`ArchiveReads::or_unread`].
        pub(crate) async fn read_left<C>(
            client: &C,
            cx: &LeftCx<'_>,
            found: &ArchiveState,
            mut unread: impl FnMut(&'static str, crate::error::Error) -> crate::error::Result<()>,
        ) -> crate::error::Result<ArchiveLeft>
        where
            $($part::$ty: Read<C>,)*
        {
            let ($($field,)*) = tokio::join!($($part::$ty.left(client, cx, found),)*);
            Ok(ArchiveLeft {
                $($field: answered($field, <$part::$ty as ArchivePart>::NOUN, &mut unread)?,)*
            })
        }

        /// The archive as teardown finds it, part by part (`Default`: nothing is left).
        #[derive(Debug, Clone, PartialEq, Default)]
        pub(crate) struct ArchiveLeft {
            $(pub $field: <$part::$ty as ArchivePart>::Left,)*
        }

        /// One removal from the archive: a part's, in its own words (and JSON).
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub(crate) enum ArchiveRemoval {
            $($variant(<$part::$ty as ArchivePart>::Removal),)*
        }

        impl Gone for ArchiveRemoval {
            fn describe(&self) -> String {
                match self { $(ArchiveRemoval::$variant(r) => r.describe(),)* }
            }
        }

        /// Made through its part's adapter.
        impl<C> Remove<C> for ArchiveRemoval
        where
            $(<$part::$ty as ArchivePart>::Removal: Remove<C>,)*
        {
            async fn remove(&self, client: &C) -> crate::error::Result<()> {
                match self { $(ArchiveRemoval::$variant(r) => r.remove(client).await,)* }
            }
        }

        /// Every part's teardown, in teardown's order ([`teardown_order`]), into one.
        pub(crate) fn teardown_archive(cx: &TeardownCx, left: &ArchiveLeft) -> Planned<ArchiveRemoval> {
            let each: Vec<Planned<ArchiveRemoval>> = vec![$({
                let t = $part::$ty.teardown(cx, left);
                Planned {
                    actions: t.actions.into_iter().map(ArchiveRemoval::$variant).collect(),
                    notes: t.notes,
                }
            },)*];
            let parts = [$((stringify!($field), <$part::$ty as ArchivePart>::TEARDOWN_AFTER),)*];
            let mut each: Vec<Option<Planned<ArchiveRemoval>>> = each.into_iter().map(Some).collect();
            let mut all = Planned::default();
            for i in teardown_order(&parts) {
                let t = each[i].take().unwrap_or_default();
                all.actions.extend(t.actions);
                all.notes.extend(t.notes);
            }
            all
        }

        /// The registered parts by name, with what each must follow in teardown.
        #[cfg(test)]
        pub(crate) const TEARDOWN: &[(&str, &[&str])] =
            &[$((stringify!($field), <$part::$ty as ArchivePart>::TEARDOWN_AFTER),)*];

        /// Every part's check row, in order, each under its id.
        pub(crate) fn archive_rows(
            cx: &RowCx<'_>,
            found: &ArchiveState,
        ) -> Vec<(&'static str, Row)> {
            let mut rows = Vec::new();
            $(
                if let (Some(id), Some(row)) = (
                    <$part::$ty as ArchivePart>::ROW,
                    $part::$ty.row(cx, found),
                ) {
                    rows.push((id, row));
                }
            )*
            rows
        }

        /// Every part's check row id, in order.
        #[cfg(test)]
        pub(crate) fn row_ids() -> Vec<&'static str> {
            [$(<$part::$ty as ArchivePart>::ROW,)*].into_iter().flatten().collect()
        }

        /// Every part's plan, in order, into one: the first refusal stops it.
        pub(crate) fn plan_archive<E: From<Refusal> + From<role::RoleRefusal>>(
            cx: &PlanCx<'_>,
            found: &ArchiveState,
        ) -> Result<Planned<ArchiveAction>, E> {
            let mut all = Planned::default();
            $(
                let p = $part::$ty.plan::<E>(cx, found)?;
                all.actions.extend(p.actions.into_iter().map(ArchiveAction::$variant));
                all.notes.extend(p.notes);
            )*
            Ok(all)
        }
    };
}
// The archive's parts, each registered here once, in the order plan, check and the exports
// take them (a part comes after what it names: Firehose's role after the bucket and the log
// it writes, the views after the table, and the delivery stream, last, after all of them). A line gives the part's field in [`ArchiveState`]
// (what the read step found of it), its variant in [`ArchiveAction`] (its changes), and its
// type, which implements [`ArchivePart`]. Adding a part is its module, the adapter it calls,
// and one line here (see docs/architecture.md).
archive_parts! {
    bucket: Bucket(bucket::Bucket),
    log: Log(log::Log),
    role: Role(firehose_role::FirehoseRole),
    glue: Glue(glue::Glue),
    views: View(views::Views),
    delivery: Delivery(delivery::Delivery),
}

/// Every part the exports write, in template order: a part after what it names (the Buzz
/// target's outputs, what the Buzz half is handed, after the stream and the role they name),
/// then each add-on's, as registered (`add_ons::STACK`).
pub(crate) fn stack_parts() -> impl Iterator<Item = &'static dyn stack::StackPart> {
    let every_setup: &[&dyn stack::StackPart] =
        &[&stream::Stream, &writer_role::WriterRole, &target::Target];
    every_setup.iter().chain(add_ons::STACK).copied()
}

/// What a part's template fragment is written from: the archive's model and the tags every
/// resource carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Export<'a> {
    pub model: &'a crate::archive::Archive,
    pub tags: &'a BTreeMap<String, String>,
}

/// The stream as the exports name it: its logical id in CloudFormation, its resource address
/// in Terraform.
pub(crate) use stream::{CFN_ID as CFN_STREAM, TF_ID as TF_STREAM};

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference. The
/// control character keeps them apart from anything a user can type: every validated name and
/// title refuses control characters.
pub(crate) const STREAM_ARN: &str = "\u{1}stream_arn\u{1}";
/// `kinesis.<region>.amazonaws.com`, a KMS grant's `kms:ViaService`.
pub(crate) const KINESIS_SERVICE: &str = "\u{1}kinesis_service\u{1}";
/// `s3.<region>.amazonaws.com`, the archive key's other `kms:ViaService`.
pub(crate) const S3_SERVICE: &str = "\u{1}s3_service\u{1}";
/// The deployment's account, the Firehose trust's `sts:ExternalId`.
pub(crate) const ACCOUNT: &str = "\u{1}account\u{1}";
/// Firehose's log stream for delivery errors.
pub(crate) const LOG_STREAM_ARN: &str = "\u{1}log_stream_arn\u{1}";

/// Replace every string equal to a stand-in by its CloudFormation reference, anywhere in `v`.
pub(crate) fn cfn_substitute(v: &Value, subs: &[(&str, Value)]) -> Value {
    match v {
        Value::String(s) => subs
            .iter()
            .find(|(from, _)| from == s)
            .map(|(_, to)| to.clone())
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(|x| cfn_substitute(x, subs)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), cfn_substitute(x, subs)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Why a part cannot be made as asked: what, its problem, the fix (the plan's `Blocked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub what: String,
    pub problem: String,
    pub fix: String,
}

impl Refusal {
    fn new(what: String, problem: impl Into<String>, fix: &str) -> Self {
        Refusal {
            what,
            problem: problem.into(),
            fix: fix.to_owned(),
        }
    }
}

/// A part's plan: its actions in order, and what the user should know (notes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned<A> {
    pub actions: Vec<A>,
    pub notes: Vec<String>,
}

impl<A> Default for Planned<A> {
    fn default() -> Self {
        Planned {
            actions: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// The fix of a check row that setup's next run repairs (`checks::SETUP_FIX` too).
pub(crate) const SETUP_AGAIN: &str = "run `buzz-kinesis setup` with the same flags";

/// The fix of an archive's check row that setup's next run repairs.
pub(crate) const ARCHIVE_AGAIN: &str =
    "run `buzz-kinesis setup --archive-bucket BUCKET` again: it converges the archive";

/// A part's check row, without its id (`checks` names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Row {
    Pass(String),
    /// The message and the fix.
    Warn(String, String),
    Fail(String, String),
}

/// What teardown does with a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Teardown {
    /// Removed (the removal's own words are teardown's).
    Remove,
    /// Kept, and why (a note).
    Keep(String),
    /// Nothing to do (not there, or kept without a word).
    Nothing,
}

/// A scanner check a resource does not meet on purpose, and why: written next to the
/// resource (a `#checkov:skip` comment in HCL, `Metadata.checkov.skip` in CloudFormation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip {
    pub id: &'static str,
    pub reason: String,
}

/// Tags as CloudFormation writes them.
pub(crate) fn cfn_tags(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A CloudFormation resource, with `Metadata` holding its scanner skips when it has any.
pub(crate) fn cfn_resource(mut r: Value, skips: &[Skip]) -> Value {
    if !skips.is_empty() {
        r["Metadata"] = json!({"checkov": {"skip": skips.iter().map(|s| json!({"id": s.id, "comment": s.reason})).collect::<Vec<_>>()}});
    }
    r
}

/// Tags as Terraform writes them.
pub(crate) fn tf_tags(tags: &BTreeMap<String, String>) -> Hcl {
    Hcl::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Hcl::str(v.as_str())))
            .collect(),
    )
}

/// A block with its scanner skips as the comments checkov reads, each with its reason.
pub(crate) fn tf_with_skips(block: Block, skips: &[Skip]) -> Block {
    skips.iter().fold(block, |b, s| {
        b.comment(&format!("checkov:skip={}:{}", s.id, s.reason))
    })
}

/// A Terraform resource of the archive, labelled `buzz_archive`.
pub(crate) fn tf_archive_resource(kind: &str) -> Block {
    Block::new("resource", &[kind, "buzz_archive"])
}

/// The plan's words for tags added: `add tags k=v, k2=v2`.
pub(crate) fn add_tags(tags: &BTreeMap<String, String>) -> String {
    format!(
        "add tags {}",
        tags.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Our `managed-by` tag, alone.
pub(crate) fn managed_tags() -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    crate::state::mark_managed(&mut tags);
    tags
}

/// Tags as a map (`managed`: with our `managed-by` tag).
pub(crate) fn tag_map(tags: &[crate::names::Tag], managed: bool) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    if managed {
        crate::state::mark_managed(&mut m);
    }
    m
}

/// Tags in `want` that `have` lacks or holds with another value.
pub(crate) fn missing_tags(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    want.iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What the parts' tests share: the archive they plan, the kinds of the actions they plan.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::archive::Archive;
    use crate::names::{BucketName, KmsKey};

    /// The archive of the stream `buzz-events` in `district-42-buzz`, under `key` when given.
    pub(crate) fn model(key: Option<&str>) -> Archive {
        Archive::new(
            BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
            None,
            "buzz-events",
            key.map(|k| KmsKey::parse("--kms-key", k).unwrap()),
            &[],
        )
    }

    /// The writer role's ARN the tests' targets name.
    pub(crate) const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    /// Our Buzz target in domain 424242, writing to `buzz-events` in us-east-1 through
    /// [`ROLE_ARN`], as setup wants it (`save`: tested and enabled; else only tested).
    pub(crate) fn desired_buzz(save: bool) -> crate::parts::target::DesiredBuzz {
        crate::parts::target::DesiredBuzz {
            domain: crate::names::DomainId::parse("--domain", "424242").unwrap(),
            target: crate::buzz::wire::KinesisTarget {
                title: "Kinesis: buzz-events".into(),
                enabled: true,
                stream: "buzz-events".into(),
                role_arn: ROLE_ARN.into(),
                region: "us-east-1".into(),
                filters: vec![],
            },
            also: Vec::new(),
            save,
        }
    }

    /// Each planned action's JSON `kind`, in order.
    pub(crate) fn kinds<A: serde::Serialize>(p: &super::Planned<A>) -> Vec<String> {
        kinds_of(&p.actions)
    }

    /// Each action's JSON `kind`, in order (any plan's actions).
    pub(crate) fn kinds_of<A: serde::Serialize>(
        actions: impl IntoIterator<Item = A>,
    ) -> Vec<String> {
        actions
            .into_iter()
            .map(|a| {
                serde_json::to_value(a).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
