//! teardown's plan (`--dry-run`, or before confirming) and result.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::json;

use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::cli::Output;
use crate::state::{Halves, Resource};
use crate::teardown_plan::{describe, Observed, Plan, Target};

/// What teardown's renderers show besides the plan.
pub(crate) struct TeardownView<'a> {
    /// `None` with `--buzz-only`: no AWS call is made.
    pub aws: Option<AwsView>,
    pub target: &'a Target,
    pub found: &'a Observed,
    pub half: Halves,
}

impl TeardownView<'_> {
    /// What happened to `resource`: `skipped` when this half leaves it alone.
    fn outcome(&self, plan: &Plan, resource: Resource) -> &'static str {
        if self.half.covers(resource) {
            plan.outcome(resource, self.found)
        } else {
            "skipped"
        }
    }
}

/// One line per removal, then the notes.
pub(crate) fn render_plan(
    w: &mut impl Write,
    v: &TeardownView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    dry_run: bool,
) -> io::Result<()> {
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "schema_version": SCHEMA_VERSION,
                "dry_run": true,
                "changed": !plan.is_empty(),
                "removals": plan.removals,
                "notes": plan.notes,
                "aws": v.aws,
                "api_calls": calls,
            }),
        );
    }
    if plan.is_empty() {
        writeln!(
            w,
            "Nothing to remove: {}.",
            match v.half {
                Halves::Both => "the Buzz target and the role are gone",
                Halves::AwsOnly => "the role is gone (--aws-only: Buzz was not looked at)",
                Halves::BuzzOnly => "the Buzz target is gone (--buzz-only: AWS was not looked at)",
            }
        )?;
    } else {
        writeln!(w, "Plan:")?;
    }
    for r in &plan.removals {
        writeln!(w, "  - {:<7} {}", r.resource(), describe(r))?;
    }
    for n in &plan.notes {
        writeln!(w, "  note: {n}")?;
    }
    if !plan.is_empty() {
        writeln!(
            w,
            "{} removal(s).{}",
            plan.removals.len(),
            if dry_run {
                " Run without --dry-run to apply."
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// The outcome of a teardown, `took` after it started.
pub(crate) fn render_result(
    w: &mut impl Write,
    v: &TeardownView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    took: Duration,
) -> io::Result<()> {
    let t = v.target;
    let stream_arn = v.found.stream.as_ref().map(|s| s.arn.clone());
    // The archive's line only when setup made one here: its bucket always stays.
    let a = &v.found.archive;
    let archive = (a.delivery.is_some() || a.role.is_some() || a.database.is_some()).then(|| {
        json!({
            "outcome": v.outcome(plan, Resource::Archive),
            "bucket": a.delivery.as_ref().and_then(|d| d.bucket.clone()),
            "bucket_outcome": if plan.deletes_archive().is_some() { "deleted" } else { "kept" },
        })
    });
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "archive": archive,
                "schema_version": SCHEMA_VERSION,
                "changed": !plan.is_empty(),
                // `domain` as before (the first named); `domains`, every one.
                "buzz": {"domain": t.domains.first(), "domains": t.domains, "outcome": v.outcome(plan, Resource::Buzz)},
                "role": {"name": t.role, "arn": t.role_arn, "outcome": v.outcome(plan, Resource::Role)},
                "stream": {"name": t.stream, "arn": stream_arn, "outcome": v.outcome(plan, Resource::Stream)},
                "removals": plan.removals,
                "notes": plan.notes,
                "aws": v.aws,
                "api_calls": calls,
                "seconds": took.as_secs_f64(),
            }),
        );
    }
    if !plan.is_empty() {
        writeln!(w)?;
    }
    writeln!(
        w,
        "  buzz    {:<10} kinesis target for {} on {}",
        v.outcome(plan, Resource::Buzz),
        t.stream,
        on_domains(&t.domains)
    )?;
    writeln!(
        w,
        "  role    {:<10} {}",
        v.outcome(plan, Resource::Role),
        t.role_arn
    )?;
    writeln!(
        w,
        "  stream  {:<10} {}",
        v.outcome(plan, Resource::Stream),
        stream_arn.as_deref().unwrap_or(&t.stream)
    )?;
    if let Some(a) = &archive {
        writeln!(
            w,
            "  archive {:<10} Firehose, its role and the Glue table; the bucket {} {}",
            a["outcome"].as_str().unwrap_or_default(),
            a["bucket"].as_str().unwrap_or("(unknown)"),
            if plan.deletes_archive().is_some() {
                "deleted with every event"
            } else {
                "stays with every event"
            }
        )?;
    }
    writeln!(
        w,
        "\n{} in {:.1} s ({} calls, {} of them changes).",
        if plan.is_empty() {
            "Nothing to remove"
        } else {
            "Done"
        },
        took.as_secs_f64(),
        calls.total,
        calls.mutating
    )
}

/// "domain 1", "domains 1, 2", or "no domain" (`--aws-only` without `--domain`).
fn on_domains(domains: &[String]) -> String {
    match domains {
        [] => "no domain".to_owned(),
        [one] => format!("domain {one}"),
        many => format!("domains {}", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{aws, calls, json, text};
    use crate::teardown_plan::plan;
    use crate::teardown_plan::tests::{in_domain, ours, role, stream, target};
    use insta::assert_snapshot;
    use serde_json::Value;

    /// The teardown model's own fixtures: our target beside a webhook, a managed role and
    /// stream.
    fn found() -> Observed {
        let hook = json!({"title": "LMS", "endpoints": "https://x"});
        Observed {
            buzz: in_domain(json!({"https": [hook], "kinesis": [ours()]})),
            role: Some(role(true)),
            stream: Some(stream(true)),
            ..Observed::default()
        }
    }

    fn teardown_aws() -> AwsView {
        AwsView {
            principal: None,
            ..aws()
        }
    }

    #[test]
    fn teardown_plan() {
        let (t, f) = (target(true), found());
        let p = plan(&t, &f).unwrap();
        let v = TeardownView {
            aws: Some(teardown_aws()),
            target: &t,
            found: &f,
            half: Halves::Both,
        };
        assert_snapshot!(
            "teardown_plan_human",
            text(|w| render_plan(w, &v, &p, Output::Human, &calls(5, 0), true))
        );
        assert_snapshot!(
            "teardown_plan_json",
            json(|w| render_plan(w, &v, &p, Output::Json, &calls(5, 0), true))
        );
        let empty = Observed::default();
        let v = TeardownView { found: &empty, ..v };
        let none = plan(&t, &empty).unwrap();
        assert_snapshot!(
            "teardown_plan_nothing_human",
            text(|w| render_plan(w, &v, &none, Output::Human, &calls(5, 0), true))
        );
    }

    #[test]
    fn teardown_result() {
        let (t, f) = (target(false), found());
        let p = plan(&t, &f).unwrap();
        let v = TeardownView {
            aws: Some(teardown_aws()),
            target: &t,
            found: &f,
            half: Halves::Both,
        };
        let took = Duration::from_millis(3_210);
        assert_snapshot!(
            "teardown_result_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(9, 3), took))
        );
        let out = json(|w| render_result(w, &v, &p, Output::Json, &calls(9, 3), took));
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert!(parsed["aws"].get("principal").is_none());
        assert_snapshot!("teardown_result_json", out);
    }

    #[test]
    fn a_half_reports_the_other_side_as_skipped() {
        let t = target(false);
        let f = Observed {
            role: None,
            stream: None,
            ..found()
        };
        let p = plan(&t, &f).unwrap();
        let v = TeardownView {
            aws: None,
            target: &t,
            found: &f,
            half: Halves::BuzzOnly,
        };
        let took = Duration::from_millis(800);
        assert_snapshot!(
            "teardown_result_buzz_only_human",
            text(|w| render_result(w, &v, &p, Output::Human, &calls(3, 1), took))
        );
        let out = json(|w| render_result(w, &v, &p, Output::Json, &calls(3, 1), took));
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["role"]["outcome"], "skipped");
        assert_eq!(parsed["stream"]["outcome"], "skipped");
        assert_eq!(parsed["aws"], Value::Null);
    }

    #[test]
    fn the_result_names_every_domain_or_none() {
        assert_eq!(on_domains(&[]), "no domain");
        assert_eq!(on_domains(&["1".into()]), "domain 1");
        assert_eq!(on_domains(&["1".into(), "//x".into()]), "domains 1, //x");
    }
}
