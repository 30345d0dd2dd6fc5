//! `check`'s spec: the setup it checks, described by the values setup takes (but for what only
//! setup uses: check changes nothing), and check's own window and expectations.

use super::parts::*;
use super::raw::Raw;
use super::setup::Parts;
use crate::error::Result;
use crate::names::{DomainId, EventFilter, Since};

/// Everything `check` needs, validated.
pub(crate) struct CheckSpec {
    pub parts: Parts,
    pub events: Vec<EventFilter>,
    /// How far back the metrics and the record sample look.
    pub since: Since,
    /// Domains whose events belong in the stream; empty: the configured domain.
    pub expect_domains: Vec<DomainId>,
    /// `--probe`: Buzz's test with the saved target, and its probe read back.
    pub probe: bool,
    pub warnings: Vec<String>,
}

impl CheckSpec {
    /// Pure: the spec, or one error naming every problem.
    #[cfg(test)]
    pub(crate) fn build(raw: &Raw) -> Result<Self> {
        Problems::build(|p| Self::build_into(raw, p))
    }

    pub(super) fn build_into(raw: &Raw, p: &mut Problems) -> Option<Self> {
        // Check's own values first: a typo is reported before any question.
        let since = match &raw.since {
            Some(s) => p.check(Since::parse("--since", s)),
            None => Some(Since::DEFAULT),
        };
        let expect_domains = p.check(
            raw.expect_domains
                .iter()
                .map(|d| expected_domain(d))
                .collect::<Result<Vec<_>>>(),
        );
        let mut warnings = Vec::new();
        let events = events(raw, p, &mut warnings);
        // check is background work, even with a person at the terminal.
        // With both halves, every domain's target and tree is checked (the login's list), and
        // their events (and their subtrees') count as yours.
        let parts = Parts::build(raw, p, false);
        Some(Self {
            parts: parts?,
            events: events?,
            since: since?,
            expect_domains: expect_domains?,
            probe: raw.probe,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::setup::tests::{complete, problem};

    #[test]
    fn check_takes_setups_values_and_its_own() {
        let s = CheckSpec::build(&complete()).unwrap();
        assert_eq!(s.since, Since::DEFAULT);
        assert!(s.expect_domains.is_empty() && !s.probe);
        // Background work: Agilix's background host even for a person at a terminal.
        let person = Raw {
            interactive: true,
            ..complete()
        };
        let s = CheckSpec::build(&person).unwrap();
        assert_eq!(
            s.parts.buzz().unwrap().url.as_str(),
            crate::names::BuzzUrl::BACKGROUND
        );
        for (set, flag) in [
            (
                Raw {
                    since: Some("forever".into()),
                    ..complete()
                },
                "--since",
            ),
            (
                Raw {
                    expect_domains: vec!["//district".into()],
                    ..complete()
                },
                "--expect-domain",
            ),
        ] {
            let text = problem(CheckSpec::build(&set));
            assert!(text.contains(flag), "{flag}: {text}");
        }
        let e = CheckSpec::build(&Raw::default()).err().unwrap();
        assert!(
            e.to_string().contains("4 required values are missing"),
            "{e}"
        );
    }
}
