//! `check`'s checklist.

use std::io::{self, Write};

use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::checks::{Check, Status};
use crate::cli::Output;

/// One `--domain`'s own rows (its `buzz.*` rows: target, tree, delivery, probe), as the JSON's
/// `domains` array groups them; the same rows stay in `checks`, in their place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DomainChecks {
    /// The domain as it was given (`--domain`), as setup's `domains` names it.
    pub domain: String,
    pub checks: Vec<Check>,
}

impl DomainChecks {
    /// The worst of the domain's rows: a failure, else a warning, else a pass; `skip` when
    /// every row was skipped (or there is none).
    pub(crate) fn status(&self) -> Status {
        [Status::Fail, Status::Warn, Status::Pass]
            .into_iter()
            .find(|s| self.checks.iter().any(|c| c.status == *s))
            .unwrap_or(Status::Skip)
    }
}

/// One domain in check's JSON: its rows and the worst of them.
#[derive(Debug, serde::Serialize)]
pub(crate) struct DomainReport<'a> {
    pub domain: &'a str,
    pub status: Status,
    pub checks: &'a [Check],
}

/// `check`'s result as one typed report: the JSON document is this, serialized field by field
/// in this order, and the human lines read it too.
#[derive(Debug, serde::Serialize)]
pub(crate) struct CheckReport<'a> {
    pub schema_version: u32,
    /// No row failed.
    pub ok: bool,
    pub checks: &'a [Check],
    pub domains: Vec<DomainReport<'a>>,
    pub aws: Option<&'a AwsView>,
    pub api_calls: &'a CallSummary,
}

impl CheckReport<'_> {
    /// How many rows have this status.
    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// The report of a check: the rows, and (with several domains) each domain's.
pub(crate) fn check_report<'a>(
    aws: Option<&'a AwsView>,
    checks: &'a [Check],
    domains: &'a [DomainChecks],
    calls: &'a CallSummary,
) -> CheckReport<'a> {
    CheckReport {
        schema_version: SCHEMA_VERSION,
        ok: !checks.iter().any(|c| c.status == Status::Fail),
        checks,
        domains: domains
            .iter()
            .map(|d| DomainReport {
                domain: &d.domain,
                status: d.status(),
                checks: &d.checks,
            })
            .collect(),
        aws,
        api_calls: calls,
    }
}

/// One line per check, its fix and any detail lines under it, then (with several domains) each
/// domain's worst status, then the tally. `domains`: the rows of each domain checked, in the
/// order given (empty when the run reads no Buzz).
pub(crate) fn render_checks(
    w: &mut impl Write,
    aws: Option<&AwsView>,
    checks: &[Check],
    domains: &[DomainChecks],
    output: Output,
    calls: &CallSummary,
) -> io::Result<()> {
    let r = check_report(aws, checks, domains, calls);
    if output == Output::Json {
        let doc = serde_json::to_value(&r).map_err(io::Error::other)?;
        return json_line(w, &doc);
    }
    for c in r.checks {
        writeln!(w, "{}  {:<18} {}", mark(c.status), c.id, c.message)?;
        for line in &c.detail {
            writeln!(w, "      {:<18} {line}", "")?;
        }
        if let Some(fix) = &c.fix {
            writeln!(w, "      {:<18} fix: {fix}", "")?;
        }
    }
    if r.domains.len() > 1 {
        let each: Vec<String> = r
            .domains
            .iter()
            .map(|d| format!("{} {}", crate::text::outside(d.domain), mark(d.status)))
            .collect();
        writeln!(w, "\nBy domain: {}.", each.join(", "))?;
    }
    let (failed, warned, skipped) = (
        r.count(Status::Fail),
        r.count(Status::Warn),
        r.count(Status::Skip),
    );
    writeln!(
        w,
        "\n{}: {} pass, {} warn, {} fail{} (of {} checks).",
        match (failed, skipped) {
            (0, 0) => "Healthy",
            (0, _) => "Healthy, as far as checked",
            _ => "Not healthy",
        },
        r.count(Status::Pass),
        warned,
        failed,
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        },
        r.checks.len()
    )
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{fail, pass, warn, CheckId};
    use crate::report::fixtures::{aws, calls, json, text};
    use insta::assert_snapshot;
    use serde_json::json;

    fn rows() -> Vec<Check> {
        vec![
            pass(CheckId::StreamExists, "stream buzz-events is ACTIVE"),
            pass(CheckId::StreamRetention, "retention is 24 h"),
            warn(
                CheckId::RoleTrust,
                "the role trusts Agilix's account with no external id",
                "pass --external-id if Agilix issues you one",
            ),
            fail(
                CheckId::BuzzTarget,
                "domain 424242 has no kinesis target writing to buzz-events in us-east-1 (account 123456789012)",
                "run `buzz-kinesis setup` with the same flags",
            )
            .with_detail(vec!["▁▂▃▅▇ records in, last hour".into()])
            .with_data(json!({"records": [1, 2, 3]})),
        ]
    }

    #[test]
    fn outside_text_is_escaped_for_a_person_and_exact_in_json() {
        let title = "Evil\x1b[2J\nPASS  buzz.target          all fine \u{202e}gnp.exe";
        let domain = "666\x1b]0;pwned\x07\u{2066}\r\nPASS";
        let wanted = crate::buzz::wire::KinesisTarget {
            title: "Kinesis: buzz-events".into(),
            enabled: true,
            stream: "buzz-events".into(),
            role_arn: "arn:aws:iam::123456789012:role/BuzzKinesisWriter".into(),
            region: "us-east-1".into(),
            filters: vec![],
        };
        let mut evil = wanted.to_json(None);
        evil["title"] = json!(title);
        let config = json!({"kinesis": [evil, wanted.to_json(None)]});
        let mut rows =
            crate::parts::target::rows("424242", &wanted, &[], config.as_object().unwrap());
        let mut writers = crate::events::Writers::default();
        writers.by_domain.insert(domain.into(), 3);
        writers.by_domain.insert("424242".into(), 9);
        writers.events = 12;
        rows.extend(crate::checks::writer_rows(
            &crate::checks::WritersObserved::Sample {
                writers,
                truncated: false,
                label: "hour".into(),
            },
            &crate::checks::Expected {
                named: vec!["424242".to_owned()],
                descendants: Vec::new(),
            },
        ));
        let human =
            text(|w| render_checks(w, Some(&aws()), &rows, &[], Output::Human, &calls(6, 0)));
        assert!(!human.contains(['\x1b', '\x07', '\r', '\u{202e}', '\u{2066}']));
        assert_snapshot!("check_outside_text_human", human);
        let exact =
            json(|w| render_checks(w, Some(&aws()), &rows, &[], Output::Json, &calls(6, 0)));
        let v: serde_json::Value = serde_json::from_str(&exact).unwrap();
        assert!(v["checks"][0]["message"].as_str().unwrap().contains(title));
        assert_eq!(v["checks"][1]["data"]["by_domain"][domain], 3);
    }

    /// A district's tree: the descendants counted, a school delivering twice.
    #[test]
    fn the_tree_rows() {
        use crate::buzz::wire::DomainRecord;
        use crate::plan::tree::{Relation, TreeConfig, TreeObserved};
        let school = |id: &str| DomainRecord {
            id: id.into(),
            name: format!("School {id}"),
            userspace: format!("s{id}"),
            parent_id: Some("424242".into()),
        };
        let wanted = crate::buzz::wire::KinesisTarget {
            title: "Kinesis: buzz-events".into(),
            enabled: true,
            stream: "buzz-events".into(),
            role_arn: "arn:aws:iam::123456789012:role/BuzzKinesisWriter".into(),
            region: "us-east-1".into(),
            filters: vec![],
        };
        let mut rows = crate::checks::subtree_rows(&crate::checks::SubtreeObserved::Listed {
            domain: "424242".into(),
            descendants: (1..=7).map(|i| school(&format!("50000{i}"))).collect(),
            cut: false,
        });
        let config = serde_json::json!({"kinesis": [wanted.to_json(None)]});
        let tree = TreeObserved {
            configs: vec![TreeConfig {
                domain: school("500001"),
                relation: Relation::Descendant,
                config: Ok(config.as_object().unwrap().clone()),
            }],
            unlisted: Vec::new(),
        };
        rows.extend(crate::checks::delivery_rows(
            "424242",
            &wanted.destination(),
            true,
            &tree,
        ));
        assert_snapshot!(
            "check_tree_human",
            text(|w| render_checks(w, Some(&aws()), &rows, &[], Output::Human, &calls(6, 0)))
        );
        let refusal = crate::report::plan::refusal(&crate::plan::Blocked::AncestorDelivers {
            domain: "500001".into(),
            ancestor: school("424242").label(),
            target: crate::buzz::wire::describe_saved(&wanted.to_json(None)),
            stream: "buzz-events".into(),
        });
        assert_snapshot!(
            "setup_refused_ancestor_delivers",
            crate::text::for_terminal(&refusal)
        );
    }

    #[test]
    fn checklist() {
        let r = rows();
        // One domain: its own rows (here the failed buzz.target) under `domains` too.
        let one = [DomainChecks {
            domain: "424242".into(),
            checks: r[3..].to_vec(),
        }];
        assert_snapshot!(
            "check_human",
            text(|w| render_checks(w, Some(&aws()), &r, &[], Output::Human, &calls(6, 0)))
        );
        assert_snapshot!(
            "check_json",
            json(|w| render_checks(w, Some(&aws()), &r, &one, Output::Json, &calls(6, 0)))
        );
        let mut half = r[..2].to_vec();
        half.extend(crate::checks::skipped_rows(
            crate::state::Halves::AwsOnly,
            true,
            "buzz-kinesis check --buzz-only --role-arn arn:aws:iam::123456789012:role/BuzzKinesisWriter --stream buzz-events --region us-east-1 --domain 424242",
        ));
        assert_snapshot!(
            "check_aws_only_human",
            text(|w| render_checks(w, Some(&aws()), &half, &[], Output::Human, &calls(6, 0)))
        );
        assert_snapshot!(
            "check_buzz_only_json",
            json(|w| render_checks(
                w,
                None,
                &crate::checks::skipped_rows(
                    crate::state::Halves::BuzzOnly,
                    false,
                    "buzz-kinesis check --aws-only"
                ),
                &[],
                Output::Json,
                &calls(2, 0)
            ))
        );
        let healthy = &r[..2];
        assert_snapshot!(
            "check_healthy_human",
            text(|w| render_checks(w, Some(&aws()), healthy, &[], Output::Human, &calls(6, 0)))
        );
    }

    /// Several domains: each one's rows and worst status in the JSON's `domains`, in the order
    /// given, the rows staying in `checks` too; a person sees one line of the domains' statuses.
    #[test]
    fn several_domains() {
        let target = |domain: &str, ok: bool| {
            if ok {
                pass(
                    CheckId::BuzzTarget,
                    format!("domain {domain} has our target, enabled"),
                )
            } else {
                fail(
                    CheckId::BuzzTarget,
                    format!("domain {domain} has no kinesis target writing to buzz-events"),
                    "run `buzz-kinesis setup` with the same flags",
                )
            }
        };
        let tree = |domain: &str| {
            warn(
                CheckId::BuzzTree,
                format!("the descendants of domain {domain} could not be listed"),
                "pass --expect-domain for each",
            )
        };
        let evil = "500\x1b[2J003";
        let domains = [
            DomainChecks {
                domain: "500001".into(),
                checks: vec![target("500001", true)],
            },
            DomainChecks {
                domain: "500002".into(),
                checks: vec![target("500002", true), tree("500002")],
            },
            DomainChecks {
                domain: evil.into(),
                checks: vec![target(evil, false)],
            },
        ];
        let mut rows = vec![pass(CheckId::StreamExists, "stream buzz-events is ACTIVE")];
        rows.extend(domains.iter().flat_map(|d| d.checks.clone()));
        let human = text(|w| {
            render_checks(
                w,
                Some(&aws()),
                &rows,
                &domains,
                Output::Human,
                &calls(6, 0),
            )
        });
        assert!(!human.contains('\x1b'));
        assert_snapshot!("check_several_domains_human", human);
        let v: serde_json::Value = serde_json::from_str(&json(|w| {
            render_checks(w, Some(&aws()), &rows, &domains, Output::Json, &calls(6, 0))
        }))
        .unwrap();
        assert_eq!(v["checks"].as_array().unwrap().len(), 5, "{v}");
        let by: Vec<(&str, &str, usize)> = v["domains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["domain"].as_str().unwrap(),
                    d["status"].as_str().unwrap(),
                    d["checks"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                ("500001", "pass", 1),
                ("500002", "warn", 2),
                (evil, "fail", 1)
            ]
        );
        assert_eq!(v["domains"][1]["checks"][1]["id"], "buzz.tree");
        assert_eq!(v["ok"], false);
    }

    #[test]
    fn a_domains_status_is_its_worst_row() {
        let d = |checks: Vec<Check>| {
            DomainChecks {
                domain: "1".into(),
                checks,
            }
            .status()
        };
        let skip = crate::checks::skipped_rows(crate::state::Halves::AwsOnly, false, "x");
        assert_eq!(d(vec![]), Status::Skip);
        assert_eq!(d(skip.clone()), Status::Skip);
        let mut passed = skip.clone();
        passed.push(pass(CheckId::BuzzTarget, "ok"));
        assert_eq!(d(passed.clone()), Status::Pass);
        passed.push(warn(CheckId::BuzzTree, "hm", "x"));
        assert_eq!(d(passed.clone()), Status::Warn);
        passed.insert(0, fail(CheckId::BuzzDelivery, "twice", "x"));
        assert_eq!(d(passed), Status::Fail);
    }
}
