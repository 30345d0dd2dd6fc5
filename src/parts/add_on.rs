//! What an add-on of the AWS half is: a part setup makes beside the stream and the writer role
//! only when asked, the alarm (`--alarm-email` / `--alarm-topic`) and the archive
//! (`--archive-bucket`). Each add-on's module implements [`AddOn`], its adapter [`ReadAddOn`],
//! [`ApplyAddOn`] and [`CheckAddOn`]; the add-ons are registered in `parts::add_ons`, in one
//! line each.
//!
//! The stream, the writer role and the Buzz target are not add-ons: every setup has them, and
//! the add-ons name them (the alarm watches the stream, Firehose reads it).

use std::sync::Arc;
use std::time::Duration;

use super::{role, Change, Gone, Planned, Refusal, TeardownCx};
use crate::buzz::wire::OurTarget;
use crate::checklist::Check;
use crate::names::{KmsKey, Since};

/// A part setup makes beside the stream only when asked, in its own types: what the run wants
/// of it, what setup's and teardown's reads find, its changes and its removals.
pub(crate) trait AddOn: Sync {
    /// What the run asks of it, its names derived (from its flags: `None` when not asked).
    type Desired: std::fmt::Debug + Clone + Sync;
    /// What setup's and check's read finds of it (`Default`: nothing, or not read).
    type Found: std::fmt::Debug + Clone + Default + Sync;
    /// What teardown finds of it, by the names setup derives from the stream (`Default`:
    /// nothing is left).
    type Left: std::fmt::Debug + Clone + PartialEq + Default;
    /// One change to it, as the plan shows it and setup applies it.
    type Action: Change + Sync;
    /// One removal of it, as teardown's plan shows it and teardown applies it.
    type Removal: Gone;

    /// What the report's line names it: what the run wants of it (`None`: not asked for).
    fn name(&self, want: Option<&Self::Desired>) -> String;

    /// Its plan from what exists of it, or why it cannot be made as asked.
    fn plan<E: From<Refusal> + From<role::RoleRefusal>>(
        &self,
        want: &Self::Desired,
        cx: &AddOnPlanCx<'_>,
        found: &Self::Found,
    ) -> Result<Planned<Self::Action>, E>;

    /// What teardown does with what is left of it: its removals, or notes why it stays.
    fn teardown(&self, cx: &TeardownCx, left: &Self::Left) -> Planned<Self::Removal>;

    /// The IAM policy statements the writer role must also carry for Buzz to deliver to it
    /// (each with a `Sid`, `Effect: Allow`, `Action`, `Resource` and any `Condition`; check
    /// evaluates a `StringEquals` condition with its own values): Buzz assumes the writer role
    /// for every target it writes to, so a place it delivers to (a queue, say) is reachable
    /// only through that role. Setup puts them in the role's policy after the stream's, and
    /// check's `role.policy` row asks for them. None by default: Buzz writes to neither the
    /// alarm nor the archive.
    fn writer_statements(&self, _want: &Self::Desired) -> Vec<serde_json::Value> {
        Vec::new()
    }

    /// The target Buzz delivers to in it, when it is one (an SQS queue Buzz writes to, say):
    /// setup keeps it beside our kinesis target in each domain's configuration, check judges
    /// it, teardown removes it (`parts::target`). `None` for an add-on Buzz does not write to
    /// (the alarm, the archive, which Firehose fills from the stream).
    /// `role_arn` is the writer role Buzz assumes for it, `region` the AWS half's.
    fn buzz_target(
        &self,
        _want: &Self::Desired,
        _role_arn: &str,
        _region: &str,
    ) -> Option<Arc<dyn OurTarget>> {
        None
    }

    /// The same target, as teardown finds it in Buzz's configurations: by the names setup
    /// derives (`cx`: the stream, the account), whatever is left of the add-on in AWS. So a
    /// split teardown, whose Buzz half reads nothing of AWS, removes it too, and so does a
    /// teardown run after the add-on's resource is gone.
    fn buzz_target_named(
        &self,
        _cx: &AddOnLeftCx<'_>,
        _role_arn: &str,
        _region: &str,
    ) -> Option<Arc<dyn OurTarget>> {
        None
    }
}

/// What an add-on's plan is written from beyond what it wants and what exists: the stream it
/// sits beside.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddOnPlanCx<'a> {
    pub stream: &'a str,
    /// The customer-managed key the stream is encrypted with, as asked (the alarm's topic is
    /// encrypted with it).
    pub key: Option<&'a KmsKey>,
}

/// How an add-on is found, by the adapter of its service (`C`, its client): the read of
/// setup and check, and teardown's.
pub(crate) trait ReadAddOn<C>: AddOn {
    /// What setup and check find of it, as the run wants it.
    async fn read(&self, client: &C, want: &Self::Desired) -> crate::error::Result<Self::Found>;

    /// What teardown finds of it, by the names setup derives from the stream; a read it may
    /// do without goes to `unread` with what it is, which says whether teardown goes on (that
    /// part then counted as not there) or stops.
    async fn left(
        &self,
        client: &C,
        cx: &AddOnLeftCx<'_>,
        unread: &mut dyn FnMut(&'static str, crate::error::Error) -> crate::error::Result<()>,
    ) -> crate::error::Result<Self::Left>;
}

/// What teardown reads an add-on by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddOnLeftCx<'a> {
    pub stream: &'a str,
    /// This account (the names setup derives are in it).
    pub account: &'a str,
    /// `--delete-archive`: whose the archive's bucket is is read (only then).
    pub delete_archive: bool,
}

/// How an add-on's planned changes are made through its adapter, in the order and at the
/// pace its parts need (the archive's chains at once, then the delivery stream).
pub(crate) trait ApplyAddOn<C>: AddOn {
    async fn apply(
        &self,
        client: &C,
        want: &Self::Desired,
        found: &Self::Found,
        planned: &[Self::Action],
        cx: &AddOnApplyCx<'_>,
    ) -> crate::error::Result<()>;
}

/// What an add-on's apply is given beyond its own: the resource it is reported under, and the
/// run's [`RunCx`].
#[derive(Clone, Copy)]
pub(crate) struct AddOnApplyCx<'a> {
    /// `alarm`, `archive`: the registration's name for it.
    pub resource: &'static str,
    pub run: &'a RunCx<'a>,
}

/// What setup gives every add-on's apply: the stream they sit beside, and how the person is
/// told.
pub(crate) struct RunCx<'a> {
    pub stream: &'a str,
    /// How long a role IAM has not propagated yet may be refused.
    pub propagation_timeout: Duration,
    /// A step begins: its resource and its line.
    pub step: &'a (dyn Fn(&str, &str) + Sync),
    /// Waiting on AWS, for its resource: what for, and for how long so far.
    pub waiting: &'a (dyn Fn(&str, &str, Duration) + Sync),
    /// The wait is over.
    pub done_waiting: &'a (dyn Fn() + Sync),
}

/// What check says of an add-on: its rows, from what setup's read found and what check reads
/// of it beyond that through its adapter (the archive's delivery metrics, its role's every
/// policy, its objects; the alarm by its name when none was asked for: check says so).
pub(crate) trait CheckAddOn<C>: AddOn {
    /// Its rows (`want`: `None` when the run did not ask for it).
    async fn rows(
        &self,
        client: &C,
        want: Option<&Self::Desired>,
        found: &Self::Found,
        cx: &AddOnCheckCx<'_>,
    ) -> crate::error::Result<Vec<Check>>;
}

/// What an add-on's rows are judged with beyond what it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddOnCheckCx<'a> {
    /// The stream it sits beside.
    pub stream: &'a str,
    /// `--since`: the window metrics are read over.
    pub since: Since,
}
