//! Our Buzz target, the kinesis entry in a Buzz domain's data stream configuration:
//! what setup wants of it ([`DesiredBuzz`]), its change ([`BuzzAction`], a [`Change`]) and its
//! plan ([`plan`]: ours in place or appended, every other target kept as it was, duplicates
//! writing to our stream removed), what teardown does with it in one domain ([`teardown`]: a
//! [`TargetRemoval`], a [`Gone`], or a note) and what changed meanwhile in a domain's
//! configuration besides ours ([`changed_meanwhile`]); and, in the exports, the outputs that
//! hand it over: the stream's and the role's ARNs, the `SetDataStreamConfiguration` request to
//! send to Buzz, and the `setup --buzz-only` command for the person with the Buzz login. The
//! request comes from `handover` (and so from `buzz::wire`), so a template can never drift
//! from what setup sends. It is made and removed through the Buzz client, one domain at a time
//! (setup's `commands/setup/register.rs`, teardown's `commands/teardown.rs`), not through
//! [`super::Apply`] and [`super::Remove`]. Its check rows are [`rows`]: in one domain, Buzz's
//! answer holds no target under a key this tool does not know, and exactly one enabled target
//! writes to our stream, as setup wants it.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::stack::{Blueprint, CfnFragment, StackPart, StandIn};
use super::{writer_role, Change, Gone, Planned, CFN_STREAM, SETUP_AGAIN, TF_STREAM};
use crate::buzz::wire::{self, Destination, KinesisTarget, OurTarget};
use crate::checklist::{fail, pass, Check, CheckId};
use crate::handover::Handover;
use crate::hcl::{Block, Hcl};
use crate::names::DomainId;
use crate::text::outside;

/// The Buzz domain: a CloudFormation parameter, a Terraform variable (the frame `iac` writes).
pub(crate) const CFN_DOMAIN: &str = "BuzzDomainId";
pub(crate) const TF_DOMAIN: &str = "var.buzz_domain_id";

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference (see
/// [`super::STREAM_ARN`]).
const ROLE_ARN: &str = "\u{1}role_arn\u{1}";
const REGION: &str = "\u{1}region\u{1}";
const DOMAIN: &str = "\u{1}domain\u{1}";

/// `id` is the region's name in every provider version (`name` is deprecated in v6, `region`
/// is new in v6).
const TF_REGION: &str = "data.aws_region.current.id";

pub(crate) const REQUEST_HELP: &str = "The SetDataStreamConfiguration request for Buzz's API console: send it first with \"test\": true (Buzz tests the target and saves nothing), then as it is. Buzz replaces the domain's whole configuration, so add the domain's other targets to it, or run `buzz-kinesis setup`, which keeps them.";

const COMMAND_HELP: &str = "The Buzz half for a person with a Buzz administrator login (no AWS access needed): it tests the target, then enables it, keeping the domain's other targets.";

const STREAM_HELP: &str = "The Kinesis stream Buzz writes to.";
const ROLE_HELP: &str = "The role Agilix assumes (roleArn in Buzz's configuration).";

pub(crate) struct Target;

/// Our target as setup wants it in one domain's configuration.
#[derive(Debug, Clone)]
pub(crate) struct DesiredBuzz {
    pub domain: DomainId,
    pub target: KinesisTarget,
    /// Our other targets there: those the add-ons asked for are (`AddOn::buzz_target`), kept,
    /// tested, saved and removed with the kinesis one.
    pub also: Vec<Arc<dyn OurTarget>>,
    /// `false` with `--no-enable`: run Buzz's test, save nothing.
    pub save: bool,
}

impl DesiredBuzz {
    /// The configuration Buzz's test is sent, `config` as planned with every target of ours
    /// disabled (the seed's first step: Buzz tests the targets, and a failed test saves
    /// nothing enabled).
    pub(crate) fn to_test(&self, config: &Map<String, Value>) -> Map<String, Value> {
        self.also.iter().fold(
            wire::with_enabled(config, &self.target.destination(), false),
            |c, t| wire::with_ours_enabled(&c, t.as_ref(), false),
        )
    }

    /// The configuration to save once the test passed: every target of ours put, enabled,
    /// into `current` (read again: Buzz has no compare-and-set), everything else as it is.
    pub(crate) fn to_save(&self, current: &Map<String, Value>) -> Map<String, Value> {
        self.also
            .iter()
            .fold(wire::with_target(current, &self.target), |c, t| {
                wire::with_ours(&c, t.as_ref(), true)
            })
    }
}

/// One change to the domain's Buzz configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BuzzAction {
    /// Test our target with Buzz and (when `save`) save the configuration with it enabled.
    RegisterBuzzTarget {
        domain: DomainId,
        before: Option<Value>,
        after: Value,
        save: bool,
        /// Further targets writing to the same stream, removed (each delivered every event
        /// again).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        merged: Vec<String>,
        /// Our other targets changed with it (an add-on's), as they are to be saved.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        also: Vec<Value>,
        /// The whole configuration to send, every other target as it was.
        #[serde(skip)]
        config: Map<String, Value>,
    },
}

impl BuzzAction {
    /// The domain whose configuration it changes.
    pub(crate) fn domain(&self) -> &DomainId {
        match self {
            BuzzAction::RegisterBuzzTarget { domain, .. } => domain,
        }
    }

    /// Whether the action only tests, saving nothing (`--no-enable`).
    pub(crate) fn only_tests(&self) -> bool {
        match self {
            BuzzAction::RegisterBuzzTarget { save, .. } => !save,
        }
    }
}

impl Change for BuzzAction {
    /// Whether the action saves a target the domain did not have (drawn `+`, and the target's
    /// outcome `created`). With `--no-enable` nothing is saved, so nothing is made.
    fn is_create(&self) -> bool {
        match self {
            BuzzAction::RegisterBuzzTarget { before, save, .. } => before.is_none() && *save,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        match self {
            BuzzAction::RegisterBuzzTarget { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            BuzzAction::RegisterBuzzTarget {
                before,
                after,
                save,
                domain,
                merged,
                also,
                ..
            } => {
                let ours_as_is = before.as_ref() == Some(after) && merged.is_empty();
                let line = match (before, save) {
                    (_, true) if ours_as_is => {
                        return format!(
                            "update {} other target(s) of this setup in domain {domain}, test them with the kinesis target, enable them",
                            also.len()
                        );
                    }
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
                };
                match also.len() {
                    0 => line,
                    n => format!("{line} (with {n} more target(s) of this setup)"),
                }
            }
        }
    }
}

/// Our target's removal from one domain's configuration, as teardown's plan shows it; the
/// Buzz client sends `config` back (teardown's apply, one outcome per domain).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum TargetRemoval {
    /// Send the configuration back without our target. `cleared`: no target is left, so Buzz
    /// deletes the domain's configuration.
    RemoveBuzzTarget {
        domain: String,
        target: Value,
        /// Further targets writing to the same stream, removed with it.
        #[serde(skip_serializing_if = "is_zero")]
        duplicates: usize,
        /// Our other targets (the add-ons'), removed with it.
        #[serde(skip_serializing_if = "is_zero")]
        also: usize,
        others: usize,
        cleared: bool,
        #[serde(skip)]
        config: Map<String, Value>,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Gone for TargetRemoval {
    fn describe(&self) -> String {
        let TargetRemoval::RemoveBuzzTarget {
            domain,
            target,
            duplicates,
            also,
            others,
            cleared,
            ..
        } = self;
        // The title is as Buzz holds it: outside text.
        let title = target.get(wire::TITLE).and_then(Value::as_str);
        let title = match title {
            Some(t) => crate::text::outside(t).to_string(),
            None => "(untitled)".to_owned(),
        };
        let mut what = match (target.is_null(), duplicates) {
            (true, _) => "the targets of this setup".to_owned(),
            (false, 0) => format!("the kinesis target \"{title}\""),
            (false, n) => {
                format!("the kinesis target \"{title}\" and {n} more writing to the same stream")
            }
        };
        if *also > 0 && !target.is_null() {
            what.push_str(&format!(" and {also} more target(s) of this setup"));
        }
        if *cleared {
            format!("remove {what} from domain {domain}: no target is left, so Buzz deletes the configuration")
        } else {
            format!("remove {what} from domain {domain}; its {others} other target(s) stay exactly as they are")
        }
    }
}

/// Our target in one domain's configuration (`config`: what it holds, `None` as empty): the
/// change that tests it and saves it in place or appended, every other target as it was and
/// every further one writing to our stream removed; nothing when the saved one already is as
/// wanted. Its notes name the other targets kept and the duplicates removed.
pub(crate) fn plan(b: &DesiredBuzz, config: Option<&Map<String, Value>>) -> Planned<BuzzAction> {
    let mut p = Planned::default();
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
    let enabled = |saved: Option<&Value>, wanted: bool| {
        if b.save {
            wanted
        } else {
            saved.is_some_and(|e| wire::as_bool(e.get(wire::ENABLED)))
        }
    };
    let wanted = KinesisTarget {
        enabled: enabled(existing.as_ref(), b.target.enabled),
        ..b.target.clone()
    };
    let mut new_config = wire::with_target(config, &wanted);
    // Our other targets (the add-ons'), each kept the same way, enabled with ours.
    let mut also = Vec::new();
    let mut ours = writing.len();
    for t in &b.also {
        let saved = wire::ours_of(config, t.as_ref());
        ours += saved.len();
        let first = saved.first().map(|(_, v)| v);
        let on = enabled(first, true);
        let kept = matches!(saved.as_slice(), [(_, v)] if t.is_satisfied_by(v) && wire::as_bool(v.get(wire::ENABLED)) == on);
        if !kept {
            new_config = wire::with_ours(&new_config, t.as_ref(), on);
            also.extend(
                wire::ours_of(&new_config, t.as_ref())
                    .into_iter()
                    .map(|(_, v)| v),
            );
        }
    }
    if merged.is_empty()
        && also.is_empty()
        && existing.as_ref().is_some_and(|e| wanted.is_satisfied_by(e))
    {
        return p;
    }
    let after = wire::find_target(&new_config, &dest)
        .map(|(_, t)| t)
        .unwrap_or_else(|| wanted.to_json(None));
    let others = wire::count_targets(config).saturating_sub(ours);
    if others > 0 {
        p.notes.push(format!(
            "the domain's {others} other data stream target(s) are kept exactly as they are"
        ));
    }
    if !merged.is_empty() {
        p.notes.push(format!(
            "{} targets write to stream {} today, so Buzz delivers every event {} times; setup keeps the first and removes {}",
            writing.len(),
            dest.stream,
            writing.len(),
            merged.join(", ")
        ));
    }
    p.actions.push(BuzzAction::RegisterBuzzTarget {
        domain: b.domain.clone(),
        before: existing,
        after,
        save: b.save,
        merged,
        also,
        config: new_config,
    });
    p
}

/// What teardown does with our target in one domain's configuration (`found`, as read): its
/// removal (every other target sent back as it was), or, when none of ours (writing where
/// `dest` says) is there, a note about targets for a stream of the same name elsewhere.
/// Refused when Buzz's answer holds targets under a key this tool does not know.
pub(crate) fn teardown(
    domain: &DomainId,
    found: &Map<String, Value>,
    dest: &Destination,
    also: &[Arc<dyn OurTarget>],
) -> Result<(Option<TargetRemoval>, Option<String>), String> {
    let unknown = wire::unexpected_target_keys(found);
    if !unknown.is_empty() {
        return Err(format!(
            "Buzz's getdatastreamconfiguration answer for domain {domain} holds data stream targets under {}, a key this tool does not know: sending the configuration back could drop them, so teardown changes nothing. Report this answer shape to the buzz-kinesis maintainers",
            unknown.join(", ")
        ));
    }
    let writing = wire::targets_writing_to(found, dest);
    let mut config = wire::without_target(found, dest);
    // Our other targets (the add-ons') go with it.
    let mut more = 0;
    for t in also {
        let from = config.as_ref().unwrap_or(found);
        if let Some(rest) = wire::without_ours(from, t.as_ref()) {
            more += wire::ours_of(from, t.as_ref()).len();
            config = Some(rest);
        }
    }
    if let Some(config) = config {
        let target = writing.first().map(|(_, v)| v.clone()).unwrap_or_default();
        let others = wire::count_targets(&config);
        return Ok((
            Some(TargetRemoval::RemoveBuzzTarget {
                domain: domain.to_string(),
                target,
                duplicates: writing.len().saturating_sub(1),
                also: more,
                others,
                cleared: others == 0,
                config,
            }),
            None,
        ));
    }
    let same_stream = wire::as_list(found.get(wire::KINESIS))
        .iter()
        .filter(|k| wire::as_text(k.get(wire::STREAM)) == dest.stream)
        .count();
    Ok((
        None,
        (same_stream > 0).then(|| format!(
            "domain {domain} has {same_stream} kinesis target(s) for a stream named {} in another region or AWS account; they are not this setup's and stay",
            dest.stream
        )),
    ))
}

/// What changed in the domain's configuration between `before` (read for the plan) and
/// `after` (read again once the plan was confirmed), other than our own target (writing where
/// `dest` says): targets added, removed or changed, and other keys. Empty when only ours
/// changed (or nothing did): then the plan is made again from `after`, and nothing stale is
/// written back.
pub(crate) fn changed_meanwhile(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    dest: &Destination,
    also: &[Arc<dyn OurTarget>],
) -> Vec<String> {
    // Every target but ours: the kinesis one and the add-ons'.
    let others = |c: &Map<String, Value>| {
        let c = wire::without_target(c, dest).unwrap_or_else(|| c.clone());
        also.iter()
            .fold(c, |c, t| wire::without_ours(&c, t.as_ref()).unwrap_or(c))
    };
    let (before, after) = (others(before), others(after));
    let mut changes = Vec::new();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (b, a) = (before.get(key), after.get(key));
        if b == a {
            continue;
        }
        if !wire::TARGET_KEYS.contains(&key.as_str()) {
            changes.push(format!("the key {} changed", crate::text::outside(key)));
            continue;
        }
        let (b, a) = (wire::as_list(b), wire::as_list(a));
        let found = changes.len();
        let name = |t: &Value| format!("{key} target {}", describe_any(t));
        for t in a.iter().filter(|t| !b.contains(t)) {
            let same_title = b.iter().any(|o| o.get(wire::TITLE) == t.get(wire::TITLE));
            changes.push(if same_title {
                format!("{} was changed", name(t))
            } else {
                format!("{} was added", name(t))
            });
        }
        for t in b.iter().filter(|t| !a.contains(t)) {
            if !a.iter().any(|o| o.get(wire::TITLE) == t.get(wire::TITLE)) {
                changes.push(format!("{} was removed", name(t)));
            }
        }
        if changes.len() == found {
            changes.push(format!("the {key} targets were reordered"));
        }
    }
    changes
}

/// Any saved target for people: a kinesis one by where it writes, others by title.
fn describe_any(t: &Value) -> String {
    if t.get(wire::STREAM).is_some() {
        return wire::describe_saved(t);
    }
    match t.get(wire::TITLE).and_then(Value::as_str) {
        Some(title) => format!("\"{}\"", crate::text::outside(title)),
        None => "(untitled)".into(),
    }
}

/// The Buzz half as `setup --aws-only` hands it over, its deployment-only values as stand-ins
/// each dialect replaces by a reference.
fn handover(b: &Blueprint) -> Handover {
    Handover {
        role_arn: ROLE_ARN.into(),
        stream: b.stream.clone(),
        region: REGION.into(),
        domain: Some(DOMAIN.into()),
        title: b.title.clone(),
        events: b.events.clone(),
        buzz_url: None,
        buzz_user: None,
    }
}

/// The request to send to Buzz: our target, enabled (the seed's second step), with the
/// targets `parts` (the template's) say Buzz delivers to in them; and the stand-ins of their
/// own in it, as each dialect writes them.
fn request(b: &Blueprint, parts: &[&dyn StackPart]) -> (Value, Vec<StandIn>) {
    let (also, refs): (Vec<_>, Vec<_>) = parts
        .iter()
        .filter_map(|p| p.buzz_target(b, ROLE_ARN, REGION))
        .map(|t| (t.target, t.refs))
        .unzip();
    (handover(b).request_with(&also), refs.concat())
}

/// The `buzz-kinesis setup --buzz-only ...` command for the person with the Buzz login, which
/// keeps the domain's other targets (the request replaces them).
fn command(b: &Blueprint) -> String {
    // The stand-ins hold a control character, so the shell quoting put them in quotes; what
    // replaces them (an ARN, a region, a domain) needs none.
    [ROLE_ARN, REGION, DOMAIN]
        .iter()
        .fold(handover(b).command_line(), |line, marker| {
            line.replace(&format!("'{marker}'"), marker)
        })
}

impl StackPart for Target {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        cfn_fragment(b, &super::stack_parts().collect::<Vec<_>>())
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        tf_blocks(b, &super::stack_parts().collect::<Vec<_>>())
    }
}

/// The Buzz target's CloudFormation outputs, the request with what `parts` add to it.
fn cfn_fragment(b: &Blueprint, parts: &[&dyn StackPart]) -> CfnFragment {
    let role = writer_role::CFN_ID;
    // Fn::Sub reads `${...}` as a reference: any literal one is written `${!...}`. The
    // stand-ins appear JSON-escaped in the serialized request.
    let escaped = |marker: &str| serde_json::to_string(marker).unwrap_or_default();
    let (request, refs) = request(b, parts);
    let request = refs.iter().fold(
        request
            .to_string()
            .replace("${", "${!")
            .replace(&escaped(ROLE_ARN), &format!("\"${{{role}.Arn}}\""))
            .replace(&escaped(REGION), "\"${AWS::Region}\"")
            .replace(&escaped(DOMAIN), &format!("\"${{{CFN_DOMAIN}}}\"")),
        |r, s| r.replace(&escaped(s.stand_in), &format!("\"{}\"", s.cfn_sub())),
    );
    let command = command(b)
        .replace("${", "${!")
        .replace(ROLE_ARN, &format!("${{{role}.Arn}}"))
        .replace(REGION, "${AWS::Region}")
        .replace(DOMAIN, &format!("${{{CFN_DOMAIN}}}"));
    let output = |help: &str, value: Value| json!({"Description": help, "Value": value});
    CfnFragment {
        resources: Vec::new(),
        outputs: vec![
            (
                "StreamArn".into(),
                output(STREAM_HELP, json!({"Fn::GetAtt": [CFN_STREAM, "Arn"]})),
            ),
            (
                "RoleArn".into(),
                output(ROLE_HELP, json!({"Fn::GetAtt": [role, "Arn"]})),
            ),
            (
                "SetDataStreamConfiguration".into(),
                output(REQUEST_HELP, json!({"Fn::Sub": request})),
            ),
            (
                "BuzzHalfCommand".into(),
                output(COMMAND_HELP, json!({"Fn::Sub": command})),
            ),
        ],
    }
}

/// The Buzz target's Terraform outputs, the request with what `parts` add to it.
fn tf_blocks(b: &Blueprint, parts: &[&dyn StackPart]) -> Vec<Block> {
    let stream_arn = format!("{TF_STREAM}.arn");
    let role_arn = format!("{}.arn", writer_role::TF_ID);
    let (request, theirs) = request(b, parts);
    let mut refs = vec![
        (ROLE_ARN, role_arn.as_str()),
        (REGION, TF_REGION),
        (DOMAIN, TF_DOMAIN),
    ];
    refs.extend(theirs.iter().map(|s| (s.stand_in, s.terraform.as_str())));
    let output = |label: &str, help: &str, value: Hcl| {
        Block::new("output", &[label])
            .attr("description", Hcl::str(help))
            .attr("value", value)
    };
    vec![
        output("stream_arn", STREAM_HELP, Hcl::expr(stream_arn.as_str())),
        output("role_arn", ROLE_HELP, Hcl::expr(role_arn.as_str())),
        output(
            "set_data_stream_configuration",
            REQUEST_HELP,
            Hcl::Call("jsonencode", Box::new(Hcl::from_json(&request, &refs))),
        ),
        output(
            "buzz_half_command",
            COMMAND_HELP,
            Hcl::template(&command(b), &refs),
        ),
    ]
}

/// The domain's Buzz configuration (`config`, as saved): Buzz's answer holds no targets
/// under a key this tool does not know, and exactly one enabled kinesis target writes to our
/// stream, as `wanted` describes it.
pub(crate) fn rows(
    domain: &str,
    wanted: &KinesisTarget,
    also: &[Arc<dyn OurTarget>],
    config: &Map<String, Value>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let stream = &wanted.stream;
    let unknown = wire::unexpected_target_keys(config);
    if !unknown.is_empty() {
        out.push(fail(
            CheckId::BuzzAnswer,
            format!(
                "Buzz's answer holds data stream targets under {}, a key this tool does not know",
                unknown.join(", ")
            ),
            "setup refuses to send a configuration that could drop them: report this answer shape to the buzz-kinesis maintainers",
        ));
    }
    let dest = wanted.destination();
    let writing = wire::targets_writing_to(config, &dest);
    match writing.as_slice() {
        [] => {
            // A target naming our stream in another region or account is not ours, but it
            // is most likely the mistake.
            let near: Vec<String> = wire::as_list(config.get(wire::KINESIS))
                .iter()
                .filter(|t| wire::as_text(t.get(wire::STREAM)) == *stream)
                .map(|t| {
                    format!(
                        "{} (region {}, role {})",
                        wire::describe_saved(t),
                        outside(&wire::as_text(t.get(wire::REGION))),
                        outside(&wire::as_text(t.get(wire::ROLE_ARN)))
                    )
                })
                .collect();
            let mut message = format!(
                "domain {domain} has no kinesis target writing to {stream} in {} (account {})",
                dest.region, dest.account
            );
            if !near.is_empty() {
                message.push_str(&format!("; it has {}", near.join(", ")));
            }
            out.push(fail(CheckId::BuzzTarget, message, SETUP_AGAIN));
        }
        [(_, t)] if !wire::as_bool(t.get(wire::ENABLED)) => out.push(fail(
            CheckId::BuzzTarget,
            format!(
                "the kinesis target for {stream} on domain {domain} is disabled: Buzz sends no events"
            ),
            SETUP_AGAIN,
        )),
        [(_, t)] => {
            let drift = target_drift(wanted, t);
            if drift.is_empty() {
                out.push(pass(
                    CheckId::BuzzTarget,
                    format!("domain {domain} sends to {stream} (enabled)"),
                ));
            } else {
                out.push(fail(
                    CheckId::BuzzTarget,
                    format!(
                        "the kinesis target for {stream} on domain {domain} differs: {}",
                        drift.join("; ")
                    ),
                    SETUP_AGAIN,
                ));
            }
        }
        many => out.push(fail(
            CheckId::BuzzTarget,
            format!(
                "{} kinesis targets of domain {domain} write to {stream}, so events are delivered {} times: {}",
                many.len(),
                many.len(),
                many.iter()
                    .map(|(_, t)| wire::describe_saved(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("{SETUP_AGAIN}: it keeps the first and removes the others"),
        )),
    }
    out.extend(also.iter().map(|t| also_row(domain, t.as_ref(), config)));
    out
}

/// One of our other targets (an add-on's) as Buzz holds it in the domain: there once,
/// enabled, as setup saves it.
fn also_row(domain: &str, t: &dyn OurTarget, config: &Map<String, Value>) -> Check {
    let what = t.describe();
    match wire::ours_of(config, t).as_slice() {
        [] => fail(
            CheckId::BuzzTarget,
            format!("domain {domain} does not have {what}"),
            SETUP_AGAIN,
        ),
        [(_, v)] if !wire::as_bool(v.get(wire::ENABLED)) => fail(
            CheckId::BuzzTarget,
            format!("{what} on domain {domain} is disabled: Buzz delivers nothing to it"),
            SETUP_AGAIN,
        ),
        [(_, v)] if !t.is_satisfied_by(v) => fail(
            CheckId::BuzzTarget,
            format!("{what} on domain {domain} is not as setup saves it"),
            SETUP_AGAIN,
        ),
        [_] => pass(
            CheckId::BuzzTarget,
            format!("domain {domain} has {what} (enabled)"),
        ),
        many => fail(
            CheckId::BuzzTarget,
            format!(
                "domain {domain} has {what} {} times, so it receives every event {} times",
                many.len(),
                many.len()
            ),
            format!("{SETUP_AGAIN}: it keeps the first and removes the others"),
        ),
    }
}

/// How a saved target differs from the wanted one, in words (the role and the filters; the
/// title is the user's to change, and the destination already matched).
fn target_drift(wanted: &KinesisTarget, saved: &Value) -> Vec<String> {
    let mut drift = Vec::new();
    let role = wire::as_text(saved.get(wire::ROLE_ARN));
    if role != wanted.role_arn {
        drift.push(format!(
            "it uses role {}, not {}",
            outside(&role),
            wanted.role_arn
        ));
    }
    let probe = KinesisTarget {
        title: wire::as_text(saved.get(wire::TITLE)),
        enabled: wire::as_bool(saved.get(wire::ENABLED)),
        role_arn: role,
        ..wanted.clone()
    };
    if !probe.is_satisfied_by(saved) {
        let events = if wanted.filters.is_empty() {
            "every event".to_owned()
        } else {
            wanted
                .filters
                .iter()
                .map(|f| f.event_type.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        drift.push(format!(
            "its event filters are not the wanted ones ({events})"
        ));
    }
    drift
}

#[cfg(test)]
mod tests;
