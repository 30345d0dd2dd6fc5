//! `export`'s spec: the values setup would use, but no Buzz login (nothing is sent to Buzz;
//! the domain, when given, only fills in the request to paste).

use super::parts::*;
use super::raw::Raw;
#[cfg(test)]
use crate::error::Result;
use crate::names::{DomainId, EventFilter, Title};

/// Everything `export` needs, validated.
pub(crate) struct ExportSpec {
    pub names: Names,
    pub trustee: Trustee,
    pub stream: StreamSpec,
    pub alarm: AlarmSpec,
    /// `--archive-bucket`: the archive the exports include.
    pub archive: Option<ArchiveSpec>,
    pub events: Vec<EventFilter>,
    pub title: Title,
    pub domain: Option<DomainId>,
    pub aws: AwsSpec,
    pub warnings: Vec<String>,
}

impl ExportSpec {
    /// Pure: the spec, or one error naming every problem.
    #[cfg(test)]
    pub(crate) fn build(raw: &Raw) -> Result<Self> {
        Problems::build(|p| Self::build_into(raw, p))
    }

    pub(super) fn build_into(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let mut warnings = Vec::new();
        let stream = StreamSpec::build(raw, p);
        let alarm = AlarmSpec::build(raw, p);
        let archive = ArchiveSpec::build(raw, p);
        let events = events(raw, p, &mut warnings);
        let names = Names::build(raw, p);
        let trustee = Trustee::build(raw, p);
        let aws = AwsSpec::build(raw, p);
        super::domains::one_domain(raw, p);
        let domain = match raw.domains.first() {
            Some(v) => p.check(DomainId::parse("--domain", v)).map(Some),
            None => Some(None),
        };
        let title = title(raw, p, names.as_ref().map(|n| &n.stream));
        Some(Self {
            names: names?,
            trustee: trustee?,
            stream: stream?,
            alarm: alarm?,
            archive: archive?,
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
        let s = ExportSpec::build(&raw).unwrap();
        assert!(s.domain.is_none());
        assert_eq!(s.title.to_string(), "Kinesis: buzz-events");
        let text = problem(ExportSpec::build(&Raw::default()));
        assert!(text.contains("--agilix-account"), "{text}");
        let text = problem(ExportSpec::build(&Raw {
            domains: vec!["x y".into()],
            ..raw
        }));
        assert!(text.contains("--domain"), "{text}");
    }

    #[test]
    fn the_archive_is_built_from_its_bucket_and_days_and_each_bad_value_names_its_flag() {
        let base = Raw {
            agilix_account: Some("210987654321".into()),
            ..Raw::default()
        };
        assert!(ExportSpec::build(&base).unwrap().archive.is_none());
        let s = ExportSpec::build(&Raw {
            archive_bucket: Some("district-42-buzz".into()),
            archive_days: Some("400".into()),
            ..base.clone()
        })
        .unwrap();
        let a = s.archive.unwrap();
        assert_eq!(a.bucket.as_str(), "district-42-buzz");
        assert_eq!(a.days.map(|d| d.get()), Some(400));
        assert_eq!(a.buffer.get(), 300, "Firehose's default interval");
        let s = ExportSpec::build(&Raw {
            archive_bucket: Some("district-42-buzz".into()),
            archive_buffer: Some("600".into()),
            ..base.clone()
        })
        .unwrap();
        assert_eq!(s.archive.unwrap().buffer.get(), 600);
        type Set = fn(&mut Raw);
        let cases: &[(&str, &str, Set)] = &[
            ("--archive-bucket", "3 to 63", |r| {
                r.archive_bucket = Some("ab".into())
            }),
            ("--archive-bucket", "lowercase", |r| {
                r.archive_bucket = Some("Buzz".into())
            }),
            ("--archive-bucket", "IP address", |r| {
                r.archive_bucket = Some("10.0.0.1".into())
            }),
            ("--archive-bucket", "..", |r| {
                r.archive_bucket = Some("a..b".into())
            }),
            ("--archive-bucket", "xn--", |r| {
                r.archive_bucket = Some("xn--abc".into())
            }),
            ("--archive-bucket", "-s3alias", |r| {
                r.archive_bucket = Some("abc-s3alias".into())
            }),
            ("--archive-days", "36500", |r| {
                r.archive_bucket = Some("buzz-archive".into());
                r.archive_days = Some("0".into());
            }),
            ("--archive-days", "36500", |r| {
                r.archive_bucket = Some("buzz-archive".into());
                r.archive_days = Some("forever".into());
            }),
            ("--archive-days", "with --archive-bucket", |r| {
                r.archive_days = Some("30".into())
            }),
            ("--archive-buffer", "60 to 900", |r| {
                r.archive_bucket = Some("buzz-archive".into());
                r.archive_buffer = Some("59".into());
            }),
            ("--archive-buffer", "60 to 900", |r| {
                r.archive_bucket = Some("buzz-archive".into());
                r.archive_buffer = Some("901".into());
            }),
            ("--archive-buffer", "with --archive-bucket", |r| {
                r.archive_buffer = Some("300".into())
            }),
        ];
        for (flag, rule, set) in cases {
            let mut raw = base.clone();
            set(&mut raw);
            let text = problem(ExportSpec::build(&raw));
            assert!(text.contains(flag) && text.contains(rule), "{flag}: {text}");
        }
    }
}
