//! teardown's plan (`--dry-run`, or before confirming) and result.

use std::io::{self, Write};
use std::time::Duration;

use super::setup::RoleResult;
use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::cli::Output;
use crate::parts::add_ons::Resource;
use crate::state::Halves;
use crate::teardown_plan::{describe, Observed, Plan, Removal, Target};

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
        if resource.in_half(self.half) {
            plan.outcome(resource, self.found)
        } else {
            "skipped"
        }
    }
}

/// Teardown's plan as one typed report (`--dry-run --output json`).
#[derive(Debug, serde::Serialize)]
pub(crate) struct TeardownPlan<'a> {
    pub schema_version: u32,
    pub dry_run: bool,
    pub changed: bool,
    pub removals: &'a [Removal],
    pub notes: &'a [String],
    pub aws: Option<&'a AwsView>,
    pub api_calls: &'a CallSummary,
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
        let doc = serde_json::to_value(TeardownPlan {
            schema_version: SCHEMA_VERSION,
            dry_run: true,
            changed: !plan.is_empty(),
            removals: &plan.removals,
            notes: &plan.notes,
            aws: v.aws.as_ref(),
            api_calls: calls,
        })
        .map_err(io::Error::other)?;
        return json_line(w, &doc);
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

/// An applied teardown, as one typed report: the JSON document is this, serialized field by
/// field in this order, and the human lines read their outcomes from it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct TeardownResult<'a> {
    /// Only when setup made an archive here (any part of it was found).
    pub archive: Option<ArchiveResult>,
    pub schema_version: u32,
    pub changed: bool,
    pub buzz: BuzzResult<'a>,
    /// As setup's report names it.
    pub role: RoleResult<'a>,
    pub stream: StreamResult<'a>,
    pub removals: &'a [Removal],
    pub notes: &'a [String],
    pub aws: Option<&'a AwsView>,
    pub api_calls: &'a CallSummary,
    pub seconds: f64,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct ArchiveResult {
    pub outcome: &'static str,
    /// The bucket, when the delivery stream names it.
    pub bucket: Option<String>,
    /// `deleted` with `--delete-archive`, else `kept`.
    pub bucket_outcome: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct BuzzResult<'a> {
    /// The first domain named, as before there were several.
    pub domain: Option<&'a String>,
    /// Every domain named, each planned alike.
    pub domains: &'a [String],
    pub outcome: &'static str,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct StreamResult<'a> {
    pub name: &'a str,
    /// `None` when there is no stream.
    pub arn: Option<&'a str>,
    pub outcome: &'static str,
}

/// The applied run's report, `took` after it started.
pub(crate) fn teardown_result<'a>(
    v: &'a TeardownView<'a>,
    plan: &'a Plan,
    calls: &'a CallSummary,
    took: Duration,
) -> TeardownResult<'a> {
    let t = v.target;
    let a = &v.found.add_ons.archive;
    let archive =
        (a.delivery.is_some() || a.role.is_some() || a.glue.is_some()).then(|| ArchiveResult {
            outcome: v.outcome(plan, Resource::Archive),
            bucket: a.delivery.as_ref().and_then(|d| d.bucket.clone()),
            bucket_outcome: if plan.deletes_archive().is_some() {
                "deleted"
            } else {
                "kept"
            },
        });
    TeardownResult {
        archive,
        schema_version: SCHEMA_VERSION,
        changed: !plan.is_empty(),
        buzz: BuzzResult {
            domain: t.domains.first(),
            domains: &t.domains,
            outcome: v.outcome(plan, Resource::Buzz),
        },
        role: RoleResult {
            name: &t.role,
            arn: &t.role_arn,
            outcome: v.outcome(plan, Resource::Role),
        },
        stream: StreamResult {
            name: &t.stream,
            arn: v.found.stream.as_ref().map(|s| s.arn.as_str()),
            outcome: v.outcome(plan, Resource::Stream),
        },
        removals: &plan.removals,
        notes: &plan.notes,
        aws: v.aws.as_ref(),
        api_calls: calls,
        seconds: took.as_secs_f64(),
    }
}

/// The outcome of a teardown, `took` after it started: the typed report
/// ([`TeardownResult`]), as one JSON document or as lines for a person.
pub(crate) fn render_result(
    w: &mut impl Write,
    v: &TeardownView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallSummary,
    took: Duration,
) -> io::Result<()> {
    let r = teardown_result(v, plan, calls, took);
    if output == Output::Json {
        let doc = serde_json::to_value(&r).map_err(io::Error::other)?;
        return json_line(w, &doc);
    }
    if r.changed {
        writeln!(w)?;
    }
    writeln!(
        w,
        "  buzz    {:<10} kinesis target for {} on {}",
        r.buzz.outcome,
        r.stream.name,
        on_domains(r.buzz.domains)
    )?;
    writeln!(w, "  role    {:<10} {}", r.role.outcome, r.role.arn)?;
    writeln!(
        w,
        "  stream  {:<10} {}",
        r.stream.outcome,
        r.stream.arn.unwrap_or(r.stream.name)
    )?;
    if let Some(a) = &r.archive {
        writeln!(
            w,
            "  archive {:<10} Firehose, its role and the Glue table; the bucket {} {}",
            a.outcome,
            a.bucket.as_deref().unwrap_or("(unknown)"),
            if a.bucket_outcome == "deleted" {
                "deleted with every event"
            } else {
                "stays with every event"
            }
        )?;
    }
    writeln!(
        w,
        "\n{} in {:.1} s ({} calls, {} of them changes).",
        if r.changed {
            "Done"
        } else {
            "Nothing to remove"
        },
        r.seconds,
        r.api_calls.total,
        r.api_calls.mutating
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
    use serde_json::json;
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
