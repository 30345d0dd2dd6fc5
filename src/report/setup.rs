//! setup's plan (`--dry-run`, or before confirming) and result.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{json, Value};

use super::plan::{detail, marker};
use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::cli::Output;
use crate::handover::{self, Handover};
use crate::names::DomainId;
use crate::parts::add_ons::Resource;
use crate::parts::Change as _;
use crate::plan::{self, Action, Desired, Outcomes, Plan, StreamAction};
use crate::price;
use crate::state::Halves;
use crate::text;

/// What setup's renderers show besides the plan: where, as whom, and what was asked for.
pub(crate) struct SetupView<'a> {
    /// `None` with `--buzz-only`: no AWS call is made.
    pub aws: Option<AwsView>,
    pub buzz_url: String,
    pub desired: &'a Desired,
    pub half: Halves,
    /// With `--aws-only`: the Buzz half, handed over.
    pub handover: Option<&'a Handover>,
    /// The domains our target goes into, the first first (none with `--aws-only`): each
    /// one's outcome ([`Outcomes`]) gets its own Buzz line, and, when there are several, the
    /// JSON a `domains` array.
    pub domains: Vec<DomainId>,
    /// The flags that reach this setup again (`--region`, `--profile`, `--config` as this
    /// run had them), for the "Next:" commands to work as printed.
    pub reach: Vec<String>,
}

/// The run's warnings: the role's trust is a matter for the half that makes the role, so a
/// `--buzz-only` run, which never sees it, has none.
fn warnings(v: &SetupView<'_>) -> Vec<String> {
    plan::warnings(v.desired)
}

/// What a resource's outcome is called when this half does not touch it.
const SKIPPED: &str = "skipped";

fn resource_name(d: &Desired, resource: Resource) -> String {
    match resource {
        Resource::Stream => format!("stream {}", d.stream),
        Resource::Role => format!("role {}", d.role),
        Resource::Buzz => d
            .buzz
            .as_ref()
            .map(|b| {
                format!(
                    "buzz kinesis target \"{}\" (domain {})",
                    b.target.title, b.domain
                )
            })
            .unwrap_or_default(),
        // An add-on says its own (`alarm NAME`, `archive s3://BUCKET`).
        add_on => crate::parts::add_ons::add_on_name(add_on, d.aws.as_ref().map(|a| &a.add_ons))
            .unwrap_or_default(),
    }
}

fn actions_json(plan: &Plan) -> Vec<Value> {
    plan.actions()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                let (before, after) = a.before_after();
                obj.insert("resource".into(), json!(a.resource()));
                obj.insert("summary".into(), json!(a.describe()));
                obj.entry("before").or_insert(before);
                obj.entry("after").or_insert(after);
            }
            v
        })
        .collect()
}

/// The plan as a diff per resource.
/// `dry_run`: the plan is all this run does (else a confirmation question follows it).
/// `show_unchanged`: also a `=` line for each resource the plan leaves as it is.
pub(crate) fn render_plan(
    w: &mut impl Write,
    v: &SetupView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    dry_run: bool,
    show_unchanged: bool,
) -> io::Result<()> {
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "schema_version": SCHEMA_VERSION,
                "dry_run": true,
                "changed": !plan.is_empty(),
                "actions": actions_json(plan),
                "encryption": plan.encryption,
                "notes": plan.notes,
                "warnings": warnings(v),
                "aws": v.aws,
                "estimate": estimate(v),
                "api_calls": calls,
            }),
        );
    }
    if plan.is_empty() {
        writeln!(
            w,
            "No changes: {} as requested.",
            match v.half {
                Halves::Both => "the stream, the role and the Buzz target are",
                Halves::AwsOnly => "the stream and the role are",
                Halves::BuzzOnly => "the Buzz target is",
            }
        )?;
    } else {
        writeln!(w, "Plan:")?;
    }
    for resource in Resource::ALL.into_iter().filter(|r| r.in_half(v.half)) {
        if show_unchanged && plan.for_resource(resource).next().is_none() {
            writeln!(w, "  = {}: unchanged", resource_name(v.desired, resource))?;
        }
        // A resource the plan makes: every line is one of its attributes (`+`), and a new
        // stream's encryption is said where it is created, not as a change to it.
        let creating = plan.for_resource(resource).any(|a| a.is_create());
        let key = creating.then(|| new_stream_key(plan)).flatten();
        for a in plan.for_resource(resource) {
            let line = match (a, key) {
                (Action::Stream(StreamAction::StartEncryption { .. }), Some(_)) => continue,
                (Action::Stream(StreamAction::CreateStream { .. }), Some(k)) => format!(
                    "{}, encrypted with {k}{}",
                    a.describe(),
                    if k == crate::names::KmsKey::AWS_MANAGED {
                        " (the AWS-managed key)"
                    } else {
                        ""
                    }
                ),
                _ => a.describe(),
            };
            let mark = if creating { "+" } else { marker(a) };
            writeln!(w, "  {mark} {}: {line}", resource_name(v.desired, resource))?;
            for line in detail(a) {
                writeln!(w, "        {line}")?;
            }
        }
    }
    for n in &plan.notes {
        writeln!(w, "  note ({}): {}", n.resource, n.message)?;
    }
    match v.half {
        Halves::Both => {}
        Halves::AwsOnly => writeln!(
            w,
            "  note (buzz): --aws-only: nothing is sent to Buzz; the Buzz half is printed at the end, for a person with a Buzz login"
        )?,
        Halves::BuzzOnly => writeln!(
            w,
            "  note (aws): --buzz-only: AWS is not read; the stream {} and the role {} are taken as the AWS half made them",
            v.desired.stream, v.desired.role_arn
        )?,
    }
    if !plan.is_empty() {
        let (add, change) = plan.counts();
        writeln!(
            w,
            "Plan: {add} to add, {change} to change.{}",
            if dry_run {
                " Run without --dry-run to apply."
            } else {
                ""
            }
        )?;
        render_estimate(w, v)?;
    }
    // Last, so it is the line read just before the question to apply.
    for warning in warnings(v) {
        writeln!(w, "warning: {warning}")?;
    }
    Ok(())
}

/// The key a stream the plan creates is encrypted with, if any.
fn new_stream_key(plan: &Plan) -> Option<&str> {
    plan.stream.iter().find_map(|a| match a {
        StreamAction::StartEncryption { from: None, to } => Some(to.as_str()),
        _ => None,
    })
}

/// What the AWS half makes, as far as its cost goes; `None` without an AWS half.
fn usage(d: &Desired) -> Option<price::Usage> {
    let aws = d.aws.as_ref()?;
    Some(price::Usage {
        capacity: aws.stream.capacity,
        retention_hours: aws.stream.retention.get(),
        load: aws.stream.load,
        alarm: aws.add_ons.alarm.is_some(),
        archive: aws.add_ons.archive.as_ref().map(|a| price::ArchiveUsage {
            types: a.model.types.len(),
            buffer_seconds: a.model.buffer.get(),
        }),
    })
}

/// The monthly estimate of the run's AWS resources in its region (`None` without AWS).
fn estimate(v: &SetupView<'_>) -> Option<price::Estimate> {
    Some(price::estimate(&v.aws.as_ref()?.region, &usage(v.desired)?))
}

/// Where the plan applies, and what it costs a month, line by line.
fn render_estimate(w: &mut impl Write, v: &SetupView<'_>) -> io::Result<()> {
    let Some(aws) = &v.aws else { return Ok(()) };
    writeln!(w, "Targets AWS account {} in {}.", aws.account, aws.region)?;
    let Some(e) = estimate(v) else { return Ok(()) };
    if e.lines.iter().all(|l| l.monthly_usd.is_none()) {
        return writeln!(
            w,
            "Estimated monthly cost: unknown (docs/cost.md has no list prices for {} yet).",
            e.region
        );
    }
    writeln!(
        w,
        "Estimated monthly cost (an estimate from AWS's list prices of {}, before tax and free tiers; docs/cost.md):",
        e.prices_as_of
    )?;
    let width = e.lines.iter().map(|l| l.item.len()).max().unwrap_or(0);
    for l in &e.lines {
        let amount = l
            .monthly_usd
            .map_or_else(|| "unknown".to_owned(), price::usd);
        writeln!(w, "  {:<width$}  {amount:>8}  {}", l.item, l.basis)?;
    }
    if e.complete {
        writeln!(w, "  about {} a month", price::usd(e.monthly_usd))
    } else {
        writeln!(
            w,
            "  at least {} a month, plus what is unknown above",
            price::usd(e.monthly_usd)
        )
    }
}

/// What a resource's outcome is in this run: the plan's, or skipped when its half does not run.
fn outcome_of(v: &SetupView<'_>, plan: &Plan, r: Resource) -> &'static str {
    if r.in_half(v.half) {
        plan.outcome(r)
    } else {
        SKIPPED
    }
}

/// Each domain's outcome, as the plan says it.
fn domain_outcomes(v: &SetupView<'_>, plan: &Plan) -> Outcomes<&'static str> {
    Outcomes::of(&v.domains, |d| plan.buzz_outcome(d))
}

/// An applied setup, as one typed report: the JSON document is this, serialized field by
/// field in this order, and the human lines read their outcomes from it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct SetupResult<'a> {
    pub schema_version: u32,
    pub changed: bool,
    pub stream: StreamResult<'a>,
    pub role: RoleResult<'a>,
    /// Our target in the first domain (`null` with neither a login nor a handover).
    pub buzz: Option<BuzzResult>,
    pub buzz_half: Option<Value>,
    pub actions: Vec<Value>,
    pub notes: &'a [plan::Note],
    pub declined: &'a [String],
    pub warnings: Vec<String>,
    pub aws: Option<&'a AwsView>,
    pub api_calls: &'a CallSummary,
    pub seconds: f64,
    /// With `--archive-bucket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<Value>,
    /// With several domains: each one's outcome, the first too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<DomainResult>>,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct StreamResult<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    pub outcome: &'static str,
    pub encryption: Option<&'a plan::AtRest>,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct RoleResult<'a> {
    pub name: &'a str,
    pub arn: &'a str,
    pub outcome: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct BuzzResult {
    pub url: String,
    pub domain: Option<String>,
    pub title: String,
    pub enabled: bool,
    pub outcome: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct DomainResult {
    pub domain: DomainId,
    pub outcome: &'static str,
}

/// The applied run's report, `took` after it started.
pub(crate) fn setup_result<'a>(
    v: &'a SetupView<'a>,
    plan: &'a Plan,
    calls: &'a CallSummary,
    took: Duration,
) -> SetupResult<'a> {
    let d = v.desired;
    let outcome = |r: Resource| outcome_of(v, plan, r);
    let buzz = match (&d.buzz, v.handover) {
        (Some(b), _) => Some(BuzzResult {
            url: v.buzz_url.clone(),
            domain: Some(b.domain.to_string()),
            title: b.target.title.clone(),
            enabled: b.save,
            outcome: plan.buzz_outcome(&b.domain),
        }),
        (None, Some(h)) => Some(BuzzResult {
            url: v.buzz_url.clone(),
            domain: h.domain.clone(),
            title: h.title.clone(),
            enabled: false,
            outcome: SKIPPED,
        }),
        (None, None) => None,
    };
    let archive = archive_of(d).map(|a| {
        let mut j = plan::archive::summary(a);
        j["outcome"] = json!(outcome(Resource::Archive));
        j["queries"] = json!(a.model.queries());
        if a.views {
            j["views"] = json!(a.model.views().map(|v| v.name));
        }
        j
    });
    let outcomes = domain_outcomes(v, plan);
    // Several domains: one entry each, the first too (`buzz` stays the first's).
    let domains = outcomes.several().then(|| {
        outcomes
            .iter()
            .map(|o| DomainResult {
                domain: o.domain.clone(),
                outcome: o.outcome,
            })
            .collect()
    });
    SetupResult {
        schema_version: SCHEMA_VERSION,
        changed: !plan.is_empty(),
        stream: StreamResult {
            name: &d.stream,
            arn: &d.stream_arn,
            outcome: outcome(Resource::Stream),
            encryption: plan.encryption.as_ref(),
        },
        role: RoleResult {
            name: &d.role,
            arn: &d.role_arn,
            outcome: outcome(Resource::Role),
        },
        buzz,
        buzz_half: v.handover.map(handover_json),
        actions: actions_json(plan),
        notes: &plan.notes,
        declined: &plan.declined,
        warnings: warnings(v),
        aws: v.aws.as_ref(),
        api_calls: calls,
        seconds: took.as_secs_f64(),
        archive,
        domains,
    }
}

/// The outcome of an applied run, `took` after it started: the typed report ([`SetupResult`]),
/// as one JSON document or as lines for a person.
pub(crate) fn render_result(
    w: &mut impl Write,
    v: &SetupView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    took: Duration,
) -> io::Result<()> {
    let r = setup_result(v, plan, calls, took);
    if output == Output::Json {
        let doc = serde_json::to_value(&r).map_err(io::Error::other)?;
        return json_line(w, &doc);
    }
    let d = v.desired;
    writeln!(w)?;
    writeln!(w, "  stream  {:<10} {}", r.stream.outcome, r.stream.arn)?;
    if let Some(at_rest) = r.stream.encryption {
        writeln!(w, "          {:<10} {at_rest}", "")?;
    }
    writeln!(w, "  role    {:<10} {}", r.role.outcome, r.role.arn)?;
    if let Some(a) = archive_of(d) {
        writeln!(
            w,
            "  archive {:<10} {} (Firehose {}, Glue table {}.{})",
            outcome_of(v, plan, Resource::Archive),
            a.model.location(),
            a.model.delivery_stream(),
            a.model.database(),
            crate::archive::TABLE
        )?;
    }
    if v.handover.is_some() {
        writeln!(
            w,
            "  buzz    {SKIPPED:<10} --aws-only: nothing was sent to Buzz (the Buzz half is below)"
        )?;
    }
    if let Some(b) = &d.buzz {
        for o in domain_outcomes(v, plan).iter() {
            writeln!(
                w,
                "  buzz    {:<10} \"{}\" on domain {} ({})",
                o.outcome,
                b.target.title,
                o.domain,
                if b.save {
                    "enabled"
                } else {
                    "tested only, not saved"
                }
            )?;
        }
    }
    writeln!(w)?;
    for warning in &r.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    for d in r.declined {
        writeln!(w, "not done: {d}")?;
    }
    writeln!(
        w,
        "{} in {:.1} s ({} calls, {} of them changes).",
        match (plan.is_empty(), plan.declined.is_empty()) {
            (true, true) => "Already set up",
            (false, true) => "Done",
            (true, false) => "Nothing else to do",
            (false, false) => "Done, except what is not done above",
        },
        r.seconds,
        calls.total,
        calls.mutating
    )?;
    if let Some(a) = archive_of(d) {
        render_queries(w, a)?;
    }
    render_next(w, v)
}

/// What to run next: the handover with `--aws-only`, else check and tail.
fn render_next(w: &mut impl Write, v: &SetupView<'_>) -> io::Result<()> {
    let d = v.desired;
    let reach: String = v
        .reach
        .iter()
        .map(|a| format!(" {}", text::shell_quote(a)))
        .collect();
    let tail = format!("buzz-kinesis tail --stream {}{reach}", d.stream);
    match (v.half, v.handover) {
        (Halves::AwsOnly, Some(h)) => {
            render_handover(w, h)?;
            writeln!(w, "Next: `{tail}` shows events as they arrive once Buzz sends them.")
        }
        (Halves::BuzzOnly, _) => writeln!(
            w,
            "Next: `buzz-kinesis check --buzz-only{reach} ... --probe` proves the path again; with AWS access, `{tail}` shows events as they arrive."
        ),
        _ => writeln!(
            w,
            "Next: `buzz-kinesis check --stream {}{reach}{}` checks the whole path; `{tail}` shows events as they arrive.",
            d.stream,
            d.buzz
                .as_ref()
                .map(|b| format!(" --domain {}", text::shell_quote(b.domain.as_str())))
                .unwrap_or_default()
        ),
    }
}

/// The archive the run asked for, if any.
fn archive_of(d: &Desired) -> Option<&plan::DesiredArchive> {
    d.aws.as_ref().and_then(|a| a.add_ons.archive.as_ref())
}

/// SQL to start from: each query with what it answers, ready for Athena's editor (the
/// workgroup needs a query result location).
fn render_queries(w: &mut impl Write, a: &plan::DesiredArchive) -> io::Result<()> {
    writeln!(
        w,
        "\nThe archive: events reach {} within about {} of Buzz sending them (Firehose's buffer, --archive-buffer). In Athena (database {}):\n",
        a.model.location(),
        crate::text::span(u64::from(a.model.buffer.get())),
        a.model.database()
    )?;
    if a.views {
        // The views hold these queries: a person reads them by name.
        for v in a.model.views() {
            writeln!(w, "-- {}", v.about)?;
            writeln!(
                w,
                "SELECT * FROM \"{}\".\"{}\" LIMIT 100;\n",
                a.model.database(),
                v.name
            )?;
        }
        return Ok(());
    }
    for q in a.model.queries() {
        writeln!(w, "-- {}", q.about)?;
        writeln!(w, "{};\n", q.sql)?;
    }
    Ok(())
}

/// The Buzz half in the JSON: the command (and its words), the two requests, the warning.
fn handover_json(h: &Handover) -> Value {
    json!({
        "command": h.command_line(),
        "args": h.args(),
        "domain": h.domain,
        "test_request": h.test_request(),
        "request": h.request(),
        "note": handover::PASTE_WARNING,
    })
}

/// The Buzz half for a person: the command first (it keeps the domain's other targets and
/// waits out IAM), then the requests to paste, in the order Agilix's instructions send them.
fn render_handover(w: &mut impl Write, h: &Handover) -> io::Result<()> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    writeln!(
        w,
        "\nNext, the Buzz half, for a person with a Buzz administrator login (ControlDomain) on the\ndomain. It holds no secret:\n"
    )?;
    writeln!(w, "  {}\n", h.command_line())?;
    if h.domain.is_none() {
        writeln!(
            w,
            "Add --domain (the domain's numeric id or //userspace) to it, and put the domain in place\nof {} in the requests below.\n",
            handover::DOMAIN_PLACEHOLDER
        )?;
    }
    writeln!(
        w,
        "It keeps the domain's other data stream targets, and retries Buzz's test while IAM makes\nthe new role usable. Or by hand, in Buzz's API console: first this request (Buzz tests the\ntarget, disabled, and saves nothing):\n"
    )?;
    writeln!(w, "{}\n", pretty(&h.test_request()))?;
    writeln!(
        w,
        "then, once Buzz answers OK (retry for a minute or two while IAM propagates the role), this\none, which saves the target enabled:\n"
    )?;
    writeln!(w, "{}\n", pretty(&h.request()))?;
    writeln!(w, "{}", handover::PASTE_WARNING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam;
    use crate::names::{AccountId, RetentionHours};
    use crate::plan::Observed;
    use crate::report::fixtures::{aws, calls, json, text};
    use insta::assert_snapshot;

    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    /// The plan's fixture, with a longer retention and another Agilix account.
    fn desired(save: bool) -> Desired {
        let agilix = AccountId::parse("--agilix-account", "111122223333").unwrap();
        let mut d = crate::plan::tests::desired();
        d.stream_mut().retention = RetentionHours::parse("--retention-hours", "168").unwrap();
        d.role_mut().trust = iam::trust_policy(&agilix, None);
        if let Some(b) = d.buzz.as_mut() {
            b.save = save;
        }
        d
    }

    fn view(d: &Desired) -> SetupView<'_> {
        SetupView {
            aws: Some(aws()),
            buzz_url: "https://api.agilixbuzz.com/".into(),
            desired: d,
            half: Halves::Both,
            handover: None,
            domains: d.buzz.iter().map(|b| b.domain.clone()).collect(),
            reach: vec!["--region".into(), "us-east-1".into()],
        }
    }

    fn handover(domain: Option<&str>) -> Handover {
        Handover {
            role_arn: ROLE_ARN.into(),
            stream: "buzz-events".into(),
            region: "us-east-1".into(),
            domain: domain.map(String::from),
            title: "Kinesis: buzz-events".into(),
            events: vec![],
            buzz_url: Some("https://api.agilixbuzz.com/".into()),
            buzz_user: None,
        }
    }

    #[test]
    fn the_aws_half_hands_the_buzz_half_over() {
        let mut d = desired(true);
        d.buzz = None;
        let p = fresh(&d);
        let h = handover(Some("424242"));
        let v = SetupView {
            half: Halves::AwsOnly,
            handover: Some(&h),
            domains: Vec::new(),
            ..view(&d)
        };
        let took = Duration::from_millis(3_210);
        assert_snapshot!(
            "result_aws_only_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(9, 5), took))
        );
        assert_snapshot!(
            "result_aws_only_json",
            json(|w| render_result(w, &v, &p, Output::Json, &calls(9, 5), took))
        );
        assert_snapshot!(
            "dry_run_aws_only_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(4, 0), true, false))
        );
        let unknown = handover(None);
        let v = SetupView {
            handover: Some(&unknown),
            domains: Vec::new(),
            ..v
        };
        let out = text(|w| render_result(w, &v, &p, Output::Human, &calls(9, 5), took));
        assert!(
            out.contains("Add --domain") && out.contains(handover::DOMAIN_PLACEHOLDER),
            "{out}"
        );
    }

    #[test]
    fn a_declined_change_is_reported_as_not_done() {
        let d = desired(true);
        let mut p = converged(&d);
        p.declined.push(
            "the stream keeps its 4 shards (requested 2): ... --allow-capacity-decrease".into(),
        );
        let v = view(&d);
        let took = Duration::from_millis(900);
        let out = text(|w| render_result(w, &v, &p, Output::Human, &calls(9, 0), took));
        assert!(
            out.contains("not done: the stream keeps its 4 shards")
                && out.contains("Nothing else to do in")
                && !out.contains("Already set up"),
            "{out}"
        );
        let j: Value = serde_json::from_str(&json(|w| {
            render_result(w, &v, &p, Output::Json, &calls(9, 0), took)
        }))
        .unwrap();
        assert_eq!(j["declined"][0], p.declined[0].as_str());
        // With changes made beside it.
        let mut p = fresh(&d);
        p.declined.push("x".into());
        let out = text(|w| render_result(w, &v, &p, Output::Human, &calls(9, 5), took));
        assert!(out.contains("Done, except what is not done above"), "{out}");
    }

    #[test]
    fn the_buzz_half_shows_only_buzz() {
        let mut d = desired(true);
        // A --buzz-only run desires nothing of AWS: its trust is not ours to see.
        d.aws = None;
        let buzz_only = Observed {
            buzz: Some(Default::default()),
            ..Observed::default()
        };
        let p = plan::plan(&d, &buzz_only).unwrap();
        let v = SetupView {
            aws: None,
            half: Halves::BuzzOnly,
            ..view(&d)
        };
        let took = Duration::from_millis(1_500);
        assert_snapshot!(
            "result_buzz_only_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(4, 2), took))
        );
        assert_snapshot!(
            "result_buzz_only_json",
            json(|w| render_result(w, &v, &p, Output::Json, &calls(4, 2), took))
        );
        assert_snapshot!(
            "dry_run_buzz_only_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(2, 0), true, true))
        );
    }

    /// A first run: everything to create.
    fn fresh(d: &Desired) -> Plan {
        plan::plan(
            d,
            &Observed {
                buzz: Some(Default::default()),
                ..Observed::default()
            },
        )
        .unwrap()
    }

    /// A second run: nothing to do, and a note.
    fn converged(d: &Desired) -> Plan {
        let mut p = Plan::default();
        p.notes.push(plan::Note {
            resource: Resource::Stream,
            message: format!("stream {} keeps its records for 168 h", d.stream),
        });
        p
    }

    #[test]
    fn the_plan_prices_the_load_it_was_given() {
        let mut d = desired(true);
        d.stream_mut().capacity = crate::sizing::Capacity::Provisioned(
            crate::names::ShardCount::parse("--shards", "2").unwrap(),
        );
        d.stream_mut().load = Some(crate::sizing::Load {
            events_per_second: 200.0,
            avg_event_bytes: 1500.0,
        });
        d.aws_mut().add_ons.alarm = Some(crate::plan::DesiredAlarm {
            name: "buzz-kinesis-buzz-events-writes-refused".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:buzz-kinesis-buzz-events-alarms".into(),
            own_topic: Some("buzz-kinesis-buzz-events-alarms".into()),
            emails: vec![crate::names::Email::parse("--alarm-email", "ops@example.edu").unwrap()],
        });
        let p = fresh(&d);
        let v = view(&d);
        assert_snapshot!(
            "dry_run_priced_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(4, 0), true, false))
        );
        // A region the table has no prices for: unknown, not another region's.
        let mut v = view(&d);
        v.aws.as_mut().unwrap().region = "ap-south-2".into();
        let out = text(|w| render_plan(w, &v, &p, Output::Human, &calls(4, 0), true, false));
        assert!(
            out.contains("Targets AWS account 123456789012 in ap-south-2."),
            "{out}"
        );
        assert!(
            out.contains("Estimated monthly cost: unknown (docs/cost.md has no list prices for ap-south-2 yet)."),
            "{out}"
        );
    }

    #[test]
    fn dry_run_plan() {
        let d = desired(true);
        let p = fresh(&d);
        let v = view(&d);
        assert_snapshot!(
            "dry_run_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(4, 0), true, false))
        );
        assert_snapshot!(
            "dry_run_json",
            json(|w| render_plan(w, &v, &p, Output::Json, &calls(4, 0), true, false))
        );
        let none = converged(&d);
        assert_snapshot!(
            "dry_run_unchanged_human",
            text(|w| render_plan(w, &v, &none, Output::Human, &calls(4, 0), true, true))
        );
        assert_snapshot!(
            "plan_to_confirm_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(4, 0), false, false))
        );
    }

    #[test]
    fn setup_result() {
        let d = desired(true);
        let p = fresh(&d);
        let v = view(&d);
        let took = Duration::from_millis(12_340);
        assert_snapshot!(
            "result_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(11, 7), took))
        );
        assert_snapshot!(
            "result_json",
            json(|w| render_result(w, &v, &p, Output::Json, &calls(11, 7), took))
        );
        let quiet = desired(false);
        let v = view(&quiet);
        assert_snapshot!(
            "result_converged_not_saved_human",
            text(|w| render_result(w, &v, &converged(&quiet), Output::Human, &calls(4, 0), took))
        );
    }

    /// Several domains: one Buzz line each (one created, one already there), and the JSON's
    /// `domains` array beside `buzz` (the first's).
    #[test]
    fn setup_result_of_several_domains() {
        let d = desired(true);
        let mut p = fresh(&d);
        let mut second = p.buzz[0].clone();
        let crate::plan::BuzzAction::RegisterBuzzTarget { domain, .. } = &mut second;
        let id = |d: &str| DomainId::parse("--domain", d).unwrap();
        *domain = id("600001");
        p.buzz.push(second);
        let v = SetupView {
            domains: vec![id("424242"), id("600001"), id("600002")],
            ..view(&d)
        };
        let took = Duration::from_millis(7_400);
        assert_snapshot!(
            "result_domains_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(11, 7), took))
        );
        let doc: Value = serde_json::from_str(&json(|w| {
            render_result(w, &v, &p, Output::Json, &calls(11, 7), took)
        }))
        .unwrap();
        assert_eq!(
            doc["domains"],
            json!([
                {"domain": "424242", "outcome": "created"},
                {"domain": "600001", "outcome": "created"},
                {"domain": "600002", "outcome": "unchanged"},
            ])
        );
        assert_eq!(doc["buzz"]["domain"], "424242");
        // One domain: no `domains` key, the shape as before.
        let one: Value = serde_json::from_str(&json(|w| {
            render_result(w, &view(&d), &p, Output::Json, &calls(11, 7), took)
        }))
        .unwrap();
        assert!(one.get("domains").is_none());
    }

    #[test]
    fn a_trust_without_an_external_id_draws_one_warning() {
        let mut d = desired(true);
        let w = plan::warnings(&d);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("no --external-id: "), "{w:?}");
        let agilix = AccountId::parse("--agilix-account", "111122223333").unwrap();
        let id = crate::names::ExternalId::parse("--external-id", "district-42").unwrap();
        d.role_mut().trust = iam::trust_policy(&agilix, Some(&id));
        assert!(plan::warnings(&d).is_empty());
        d.aws = None;
        assert!(
            plan::warnings(&d).is_empty(),
            "a --buzz-only run never sees the trust"
        );
    }
}
