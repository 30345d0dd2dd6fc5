//! setup's plan (`--dry-run`, or before confirming) and result.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{json, Value};

use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::cli::Output;
use crate::plan::{self, Action, Desired, Plan};
use crate::policy;
use crate::state::Resource;

/// What setup's renderers show besides the plan: where, as whom, and what was asked for.
pub struct SetupView<'a> {
    pub aws: AwsView,
    pub buzz_url: String,
    pub desired: &'a Desired,
}

fn marker(a: &Action) -> &'static str {
    match a {
        Action::CreateStream { .. } | Action::CreateRole { .. } => "+",
        Action::RegisterBuzzTarget { before: None, .. } => "+",
        Action::PutPolicy { before: None, .. } => "+",
        _ => "~",
    }
}

fn resource_name(d: &Desired, resource: Resource) -> String {
    match resource {
        Resource::Stream => format!("stream {}", d.stream),
        Resource::Role => format!("role {}", d.role),
        Resource::Alarm => d
            .alarm
            .as_ref()
            .map(|a| format!("alarm {}", a.name))
            .unwrap_or_else(|| "alarm (none asked for)".into()),
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
    }
}

/// Detail lines under an action: the JSON lines a policy change adds and removes.
fn detail(a: &Action) -> Vec<String> {
    match a {
        Action::UpdateTrust { before, after } => policy::line_diff(before, after),
        Action::PutPolicy {
            before: Some(b),
            after,
        } => policy::line_diff(b, after),
        _ => Vec::new(),
    }
}

fn actions_json(plan: &Plan) -> Vec<Value> {
    plan.actions
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                let (before, after) = a.before_after();
                obj.insert("resource".into(), json!(a.resource()));
                obj.insert("summary".into(), json!(plan::describe(a)));
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
pub fn render_plan(
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
                "notes": plan.notes,
                "warnings": plan::warnings(v.desired),
                "aws": v.aws,
                "api_calls": calls,
            }),
        );
    }
    if plan.is_empty() {
        writeln!(
            w,
            "No changes: the stream, the role and the Buzz target are as requested."
        )?;
    } else {
        writeln!(w, "Plan:")?;
    }
    for resource in Resource::ALL {
        if show_unchanged && plan.for_resource(resource).next().is_none() {
            writeln!(w, "  = {}: unchanged", resource_name(v.desired, resource))?;
        }
        for a in plan.for_resource(resource) {
            writeln!(
                w,
                "  {} {}: {}",
                marker(a),
                resource_name(v.desired, resource),
                plan::describe(a)
            )?;
            for line in detail(a) {
                writeln!(w, "        {line}")?;
            }
        }
    }
    for n in &plan.notes {
        writeln!(w, "  note ({}): {}", n.resource, n.message)?;
    }
    if !plan.is_empty() {
        writeln!(
            w,
            "{} change(s).{}",
            plan.actions.len(),
            if dry_run {
                " Run without --dry-run to apply."
            } else {
                ""
            }
        )?;
    }
    // Last, so it is the line read just before the question to apply.
    for warning in plan::warnings(v.desired) {
        writeln!(w, "warning: {warning}")?;
    }
    Ok(())
}

/// The outcome of an applied run, `took` after it started.
pub fn render_result(
    w: &mut impl Write,
    v: &SetupView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    took: Duration,
) -> io::Result<()> {
    let d = v.desired;
    let buzz = d.buzz.as_ref();
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "schema_version": SCHEMA_VERSION,
                "changed": !plan.is_empty(),
                "stream": {"name": d.stream, "arn": d.stream_arn, "outcome": plan.outcome(Resource::Stream)},
                "role": {"name": d.role, "arn": d.role_arn, "outcome": plan.outcome(Resource::Role)},
                "buzz": buzz.map(|b| json!({
                    "url": v.buzz_url,
                    "domain": b.domain,
                    "title": b.target.title,
                    "enabled": b.save,
                    "outcome": plan.outcome(Resource::Buzz),
                })),
                "actions": actions_json(plan),
                "notes": plan.notes,
                "warnings": plan::warnings(d),
                "aws": v.aws,
                "api_calls": calls,
                "seconds": took.as_secs_f64(),
            }),
        );
    }
    writeln!(w)?;
    writeln!(
        w,
        "  stream  {:<10} {}",
        plan.outcome(Resource::Stream),
        d.stream_arn
    )?;
    writeln!(
        w,
        "  role    {:<10} {}",
        plan.outcome(Resource::Role),
        d.role_arn
    )?;
    if let Some(b) = buzz {
        writeln!(
            w,
            "  buzz    {:<10} \"{}\" on domain {} ({})",
            plan.outcome(Resource::Buzz),
            b.target.title,
            b.domain,
            if b.save {
                "enabled"
            } else {
                "tested only, not saved"
            }
        )?;
    }
    writeln!(w)?;
    for warning in plan::warnings(d) {
        writeln!(w, "warning: {warning}")?;
    }
    writeln!(
        w,
        "{} in {:.1} s ({} calls, {} of them changes).",
        if plan.is_empty() {
            "Already set up"
        } else {
            "Done"
        },
        took.as_secs_f64(),
        calls.total,
        calls.mutating
    )?;
    writeln!(
        w,
        "Next: `buzz-kinesis tail --stream {}` shows events as they arrive.",
        d.stream
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buzz::wire::KinesisTarget;
    use crate::names::{AccountId, DomainId, RetentionHours};
    use crate::plan::{Actual, DesiredBuzz};
    use crate::report::fixtures::{aws, calls, json, text};
    use crate::sizing::Capacity;
    use insta::assert_snapshot;

    const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    fn desired(save: bool) -> Desired {
        let agilix = AccountId::parse("--agilix-account", "111122223333").unwrap();
        Desired {
            stream: "buzz-events".into(),
            stream_arn: STREAM_ARN.into(),
            capacity: Capacity::OnDemand,
            retention: RetentionHours::parse("--retention-hours", "168").unwrap(),
            allow_retention_decrease: false,
            kms_key: None,
            tags: vec![],
            role: "BuzzKinesisWriter".into(),
            role_arn: ROLE_ARN.into(),
            trust: policy::trust_policy(&agilix, None),
            policy: policy::write_policy(STREAM_ARN, None),
            adopt: false,
            load: None,
            capacity_given: false,
            allow_capacity_decrease: false,
            measured: None,
            alarm: None,
            buzz: Some(DesiredBuzz {
                domain: DomainId::parse("--domain", "424242").unwrap(),
                target: KinesisTarget {
                    title: "Kinesis: buzz-events".into(),
                    enabled: true,
                    stream: "buzz-events".into(),
                    role_arn: ROLE_ARN.into(),
                    region: "us-east-1".into(),
                    filters: vec![],
                },
                save,
            }),
        }
    }

    fn view(d: &Desired) -> SetupView<'_> {
        SetupView {
            aws: aws(),
            buzz_url: "https://api.agilixbuzz.com/".into(),
            desired: d,
        }
    }

    /// A first run: everything to create.
    fn fresh(d: &Desired) -> Plan {
        plan::plan(
            d,
            &Actual {
                buzz: Some(Default::default()),
                ..Actual::default()
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

    #[test]
    fn a_trust_without_an_external_id_draws_one_warning() {
        let mut d = desired(true);
        let w = plan::warnings(&d);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("no --external-id: "), "{w:?}");
        let agilix = AccountId::parse("--agilix-account", "111122223333").unwrap();
        let id = crate::names::ExternalId::parse("--external-id", "district-42").unwrap();
        d.trust = policy::trust_policy(&agilix, Some(&id));
        assert!(plan::warnings(&d).is_empty());
    }
}
