//! `policy`'s spec: the values setup would use, but no Buzz login (nothing is sent to Buzz;
//! the domain, when given, only fills in the request to paste).

use super::parts::*;
use super::raw::Raw;
use crate::error::Result;
use crate::names::{DomainId, EventFilter, Title};

/// Everything `policy` needs, validated.
pub struct PolicySpec {
    pub names: Names,
    pub trustee: Trustee,
    pub stream: StreamWanted,
    pub alarm: AlarmWanted,
    pub events: Vec<EventFilter>,
    pub title: Title,
    pub domain: Option<DomainId>,
    pub aws: AwsSpec,
    pub warnings: Vec<String>,
}

impl PolicySpec {
    /// Pure: the spec, or one error naming every problem.
    pub fn build(raw: &Raw) -> Result<Self> {
        let mut p = Problems::default();
        let spec = Self::build_into(raw, &mut p);
        p.finish(spec)
    }

    pub(super) fn build_into(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let mut warnings = Vec::new();
        let stream = StreamWanted::build(raw, p);
        let alarm = AlarmWanted::build(raw, p);
        let events = events(raw, p, &mut warnings);
        let names = Names::build(raw, p);
        let trustee = Trustee::build(raw, p);
        let aws = AwsSpec::build(raw, p);
        super::parts::one_domain(raw, p);
        let domain = match &raw.domain {
            Some(v) => p.check(DomainId::parse("--domain", v)).map(Some),
            None => Some(None),
        };
        let title = title(raw, p, names.as_ref().map(|n| &n.stream));
        Some(Self {
            names: names?,
            trustee: trustee?,
            stream: stream?,
            alarm: alarm?,
            events: events?,
            title: title?,
            domain: domain?,
            aws: aws?,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::setup::tests::problem;

    #[test]
    fn policy_needs_only_agilixs_account() {
        let raw = Raw {
            agilix_account: Some("210987654321".into()),
            ..Raw::default()
        };
        let s = PolicySpec::build(&raw).unwrap();
        assert!(s.domain.is_none());
        assert_eq!(s.title.to_string(), "Kinesis: buzz-events");
        let text = problem(PolicySpec::build(&Raw::default()));
        assert!(text.contains("--agilix-account"), "{text}");
        let text = problem(PolicySpec::build(&Raw {
            domain: Some("x y".into()),
            ..raw
        }));
        assert!(text.contains("--domain"), "{text}");
    }
}
