//! What a run prints on stdout: the plan (dry run, or before confirming) and the result, for a
//! person (aligned lines, Terraform-style `+ ~ =` markers) or for a machine (one JSON object).

use std::time::Duration;

use serde_json::{json, Value};

use crate::calls::CallLog;
use crate::cli::Output;
use crate::commands::setup::Observed;
use crate::plan::{self, Action, Plan};
use crate::policy;
use crate::state::Resource;

/// The version of every JSON document the tool prints (docs/json-output.md). Raised only when
/// a field is removed or changes meaning; new fields may appear without it.
pub const SCHEMA_VERSION: u32 = 1;

fn marker(a: &Action) -> &'static str {
    match a {
        Action::CreateStream { .. } | Action::CreateRole { .. } => "+",
        Action::RegisterBuzzTarget { before: None, .. } => "+",
        Action::PutPolicy { before: None, .. } => "+",
        _ => "~",
    }
}

fn resource_name(o: &Observed, resource: Resource) -> String {
    let d = &o.desired;
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
pub fn print_plan(
    o: &Observed,
    plan: &Plan,
    output: Output,
    calls: &CallLog,
    dry_run: bool,
    show_unchanged: bool,
) {
    if output == Output::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "dry_run": true,
            "changed": !plan.is_empty(),
            "actions": actions_json(plan),
            "notes": plan.notes,
            "aws": {"account": o.identity.account, "principal": o.identity.arn, "region": o.aws.region},
            "api_calls": calls.summary(),
        });
        println!("{v}");
        return;
    }
    if plan.is_empty() {
        println!("No changes: the stream, the role and the Buzz target are as requested.");
    } else {
        println!("Plan:");
    }
    for resource in Resource::ALL {
        if show_unchanged && plan.for_resource(resource).next().is_none() {
            println!("  = {}: unchanged", resource_name(o, resource));
        }
        for a in plan.for_resource(resource) {
            println!(
                "  {} {}: {}",
                marker(a),
                resource_name(o, resource),
                plan::describe(a)
            );
            for line in detail(a) {
                println!("        {line}");
            }
        }
    }
    for n in &plan.notes {
        println!("  note ({}): {}", n.resource, n.message);
    }
    if !plan.is_empty() {
        println!(
            "{} change(s).{}",
            plan.actions.len(),
            if dry_run {
                " Run without --dry-run to apply."
            } else {
                ""
            }
        );
    }
}

/// The outcome of an applied run.
pub fn print_result(o: &Observed, plan: &Plan, output: Output, calls: &CallLog, took: Duration) {
    let d = &o.desired;
    let buzz = d.buzz.as_ref();
    let v = json!({
        "schema_version": SCHEMA_VERSION,
        "changed": !plan.is_empty(),
        "stream": {"name": d.stream, "arn": d.stream_arn, "outcome": plan.outcome(Resource::Stream)},
        "role": {"name": d.role, "arn": d.role_arn, "outcome": plan.outcome(Resource::Role)},
        "buzz": buzz.map(|b| json!({
            "url": o.buzz.base().as_str(),
            "domain": b.domain,
            "title": b.target.title,
            "enabled": b.save,
            "outcome": plan.outcome(Resource::Buzz),
        })),
        "actions": actions_json(plan),
        "notes": plan.notes,
        "aws": {"account": o.identity.account, "principal": o.identity.arn, "region": o.aws.region},
        "api_calls": calls.summary(),
        "seconds": took.as_secs_f64(),
    });
    if output == Output::Json {
        println!("{v}");
        return;
    }
    println!();
    println!(
        "  stream  {:<10} {}",
        plan.outcome(Resource::Stream),
        d.stream_arn
    );
    println!(
        "  role    {:<10} {}",
        plan.outcome(Resource::Role),
        d.role_arn
    );
    if let Some(b) = buzz {
        println!(
            "  buzz    {:<10} \"{}\" on domain {} ({})",
            plan.outcome(Resource::Buzz),
            b.target.title,
            b.domain,
            if b.save {
                "enabled"
            } else {
                "tested only, not saved"
            }
        );
    }
    let summary = calls.summary();
    println!(
        "\n{} in {:.1} s ({} calls, {} of them changes).",
        if plan.is_empty() {
            "Already set up"
        } else {
            "Done"
        },
        took.as_secs_f64(),
        summary.total,
        summary.mutating
    );
    println!(
        "Next: `buzz-kinesis tail --stream {}` shows events as they arrive.",
        d.stream
    );
}

/// The checklist of `check`.
pub fn print_checks(
    o: &Observed,
    checks: &[crate::commands::check::Check],
    output: Output,
    calls: &CallLog,
) {
    use crate::commands::check::Status;
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    if output == Output::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "ok": failed == 0,
            "checks": checks,
            "aws": {"account": o.identity.account, "principal": o.identity.arn, "region": o.aws.region},
            "api_calls": calls.summary(),
        });
        println!("{v}");
        return;
    }
    for c in checks {
        let mark = match c.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        println!("{mark}  {:<18} {}", c.id, c.message);
        if let Some(fix) = &c.fix {
            println!("      {:<18} fix: {fix}", "");
        }
    }
    println!(
        "\n{}: {} pass, {} warn, {} fail (of {} checks).",
        if failed == 0 {
            "Healthy"
        } else {
            "Not healthy"
        },
        checks.len() - failed - warned,
        warned,
        failed,
        checks.len()
    );
}

/// The teardown plan: one line per removal, then the notes (for `--dry-run`, or before asking).
pub fn print_teardown_plan(
    o: &crate::commands::teardown::Observed,
    plan: &crate::commands::teardown::Plan,
    output: Output,
    calls: &CallLog,
    dry_run: bool,
) {
    use crate::commands::teardown::describe;
    if output == Output::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "dry_run": true,
            "changed": !plan.is_empty(),
            "removals": plan.removals,
            "notes": plan.notes,
            "aws": {"account": o.account, "region": o.aws.region},
            "api_calls": calls.summary(),
        });
        println!("{v}");
        return;
    }
    if plan.is_empty() {
        println!("Nothing to remove: the Buzz target and the role are gone.");
    } else {
        println!("Plan:");
    }
    for r in &plan.removals {
        println!("  - {:<7} {}", r.resource(), describe(r));
    }
    for n in &plan.notes {
        println!("  note: {n}");
    }
    if !plan.is_empty() {
        println!(
            "{} removal(s).{}",
            plan.removals.len(),
            if dry_run {
                " Run without --dry-run to apply."
            } else {
                ""
            }
        );
    }
}

/// The outcome of a teardown.
pub fn print_teardown_result(
    o: &crate::commands::teardown::Observed,
    plan: &crate::commands::teardown::Plan,
    output: Output,
    calls: &CallLog,
    took: Duration,
) {
    let t = &o.target;
    let stream_arn = o.found.stream.as_ref().map(|s| s.arn.clone());
    if output == Output::Json {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "changed": !plan.is_empty(),
            "buzz": {"domain": t.domain, "outcome": plan.outcome(Resource::Buzz, &o.found)},
            "role": {"name": t.role, "arn": t.role_arn, "outcome": plan.outcome(Resource::Role, &o.found)},
            "stream": {"name": t.stream, "arn": stream_arn, "outcome": plan.outcome(Resource::Stream, &o.found)},
            "removals": plan.removals,
            "notes": plan.notes,
            "aws": {"account": o.account, "region": o.aws.region},
            "api_calls": calls.summary(),
            "seconds": took.as_secs_f64(),
        });
        println!("{v}");
        return;
    }
    if !plan.is_empty() {
        println!();
    }
    println!(
        "  buzz    {:<10} kinesis target for {} on domain {}",
        plan.outcome(Resource::Buzz, &o.found),
        t.stream,
        t.domain
    );
    println!(
        "  role    {:<10} {}",
        plan.outcome(Resource::Role, &o.found),
        t.role_arn
    );
    println!(
        "  stream  {:<10} {}",
        plan.outcome(Resource::Stream, &o.found),
        stream_arn.as_deref().unwrap_or(&t.stream)
    );
    let summary = calls.summary();
    println!(
        "\n{} in {:.1} s ({} calls, {} of them changes).",
        if plan.is_empty() {
            "Nothing to remove"
        } else {
            "Done"
        },
        took.as_secs_f64(),
        summary.total,
        summary.mutating
    );
}
