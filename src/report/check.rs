//! `check`'s checklist.

use std::io::{self, Write};

use serde_json::json;

use super::{json_line, AwsView, SCHEMA_VERSION};
use crate::calls::CallSummary;
use crate::checks::{Check, Status};
use crate::cli::Output;

/// One line per check, its fix and any detail lines under it, then the tally.
pub fn render_checks(
    w: &mut impl Write,
    aws: Option<&AwsView>,
    checks: &[Check],
    output: Output,
    calls: &CallSummary,
) -> io::Result<()> {
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    let skipped = checks.iter().filter(|c| c.status == Status::Skip).count();
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "schema_version": SCHEMA_VERSION,
                "ok": failed == 0,
                "checks": checks,
                "aws": aws,
                "api_calls": calls,
            }),
        );
    }
    for c in checks {
        let mark = match c.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        };
        writeln!(w, "{mark}  {:<18} {}", c.id, c.message)?;
        for line in &c.detail {
            writeln!(w, "      {:<18} {line}", "")?;
        }
        if let Some(fix) = &c.fix {
            writeln!(w, "      {:<18} fix: {fix}", "")?;
        }
    }
    writeln!(
        w,
        "\n{}: {} pass, {} warn, {} fail{} (of {} checks).",
        match (failed, skipped) {
            (0, 0) => "Healthy",
            (0, _) => "Healthy, as far as checked",
            _ => "Not healthy",
        },
        checks.len() - failed - warned - skipped,
        warned,
        failed,
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        },
        checks.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{fail, pass, warn, CheckId};
    use crate::report::fixtures::{aws, calls, json, text};
    use insta::assert_snapshot;

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
        let mut rows = crate::checks::buzz_rows("424242", &wanted, config.as_object().unwrap());
        let mut writers = crate::events::Writers::default();
        writers.by_domain.insert(domain.into(), 3);
        writers.by_domain.insert("424242".into(), 9);
        writers.events = 12;
        rows.extend(crate::checks::writer_rows(
            &crate::checks::WritersRead::Sample {
                writers,
                truncated: false,
                label: "hour".into(),
            },
            &crate::checks::Expected {
                named: vec!["424242".to_owned()],
                descendants: Vec::new(),
            },
        ));
        let human = text(|w| render_checks(w, Some(&aws()), &rows, Output::Human, &calls(6, 0)));
        assert!(!human.contains(['\x1b', '\x07', '\r', '\u{202e}', '\u{2066}']));
        assert_snapshot!("check_outside_text_human", human);
        let exact = json(|w| render_checks(w, Some(&aws()), &rows, Output::Json, &calls(6, 0)));
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
        let mut rows = crate::checks::subtree_rows(&crate::checks::SubtreeRead::Listed {
            domain: "424242".into(),
            descendants: (1..=7).map(|i| school(&format!("50000{i}"))).collect(),
            cut: false,
        });
        let config = serde_json::json!({"kinesis": [wanted.to_json(None)]});
        let tree = TreeObserved {
            own: None,
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
            text(|w| render_checks(w, Some(&aws()), &rows, Output::Human, &calls(6, 0)))
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
        assert_snapshot!(
            "check_human",
            text(|w| render_checks(w, Some(&aws()), &r, Output::Human, &calls(6, 0)))
        );
        assert_snapshot!(
            "check_json",
            json(|w| render_checks(w, Some(&aws()), &r, Output::Json, &calls(6, 0)))
        );
        let mut half = r[..2].to_vec();
        half.extend(crate::checks::skipped_rows(
            crate::state::Halves::AwsOnly,
            true,
            "buzz-kinesis check --buzz-only --role-arn arn:aws:iam::123456789012:role/BuzzKinesisWriter --stream buzz-events --region us-east-1 --domain 424242",
        ));
        assert_snapshot!(
            "check_aws_only_human",
            text(|w| render_checks(w, Some(&aws()), &half, Output::Human, &calls(6, 0)))
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
                Output::Json,
                &calls(2, 0)
            ))
        );
        let healthy = &r[..2];
        assert_snapshot!(
            "check_healthy_human",
            text(|w| render_checks(w, Some(&aws()), healthy, Output::Human, &calls(6, 0)))
        );
    }
}
