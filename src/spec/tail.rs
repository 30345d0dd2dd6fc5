//! `tail`'s spec, validated before any connection: the stream and AWS from the raw values
//! (flags, env vars, then the config file), like the other commands.

use std::time::SystemTime;

use super::parts::{expected_domain, AwsSpec, Problems};
use super::raw::Raw;
use crate::aws::kinesis::StartAt;
use crate::cli::TailArgs;
use crate::error::{Error, Result};
use crate::names::{DomainId, EventType, StreamName, DEFAULT_STREAM};

/// The longest `tail --timeout`, in seconds (a week): longer is following, which is what
/// leaving `--timeout` out does.
pub(crate) const MAX_TAIL_TIMEOUT: u64 = 604_800;

/// Everything `tail` needs, validated before any connection.
pub(crate) struct TailSpec {
    pub stream: StreamName,
    pub from: StartAt,
    /// `--from` as given, for the progress line.
    pub from_text: String,
    pub types: Vec<EventType>,
    /// Event types Agilix does not list (the spelling may be wrong).
    pub warnings: Vec<String>,
    pub limit: Option<u64>,
    pub timeout: Option<u64>,
    /// `--expect-domain`: the numeric domain ids whose events are expected; others are
    /// marked (or hidden with `only_expected`). Empty: no event is judged.
    pub expect_domains: Vec<DomainId>,
    pub only_expected: bool,
    pub aws: AwsSpec,
}

impl TailSpec {
    /// Validate what `tail` was given: `raw` holds the stream, the profile and the region
    /// (the flags', else the config file's).
    pub(crate) fn from_args(args: &TailArgs, raw: &Raw) -> Result<Self> {
        let stream =
            StreamName::parse("--stream", raw.stream.as_deref().unwrap_or(DEFAULT_STREAM))?;
        let from = parse_from(&args.from)?;
        let (types, warnings) = parse_types(&args.events)?;
        let expect_domains = args
            .expect_domains
            .iter()
            .map(|d| expected_domain(d))
            .collect::<Result<Vec<_>>>()?;
        let aws = Problems::build(|p| AwsSpec::build(raw, p))?;
        if args.limit == Some(0) {
            return Err(Error::invalid(
                "--limit",
                "0",
                "--limit is a whole number of lines, at least 1",
            ));
        }
        if let Some(t) = args.timeout.filter(|t| !(1..=MAX_TAIL_TIMEOUT).contains(t)) {
            return Err(Error::invalid(
                "--timeout",
                &t.to_string(),
                "--timeout is whole seconds from 1 to 604800 (a week); without it tail follows until Ctrl-C",
            ));
        }
        Ok(Self {
            stream,
            from,
            from_text: args.from.trim().to_owned(),
            types,
            warnings,
            limit: args.limit,
            timeout: args.timeout,
            expect_domains,
            only_expected: args.only_expected,
            aws,
        })
    }
}

/// Where `--from` starts, parsed: `latest`, `trim-horizon`, or an RFC 3339 time.
pub(crate) fn parse_from(s: &str) -> Result<StartAt> {
    match s.trim().to_ascii_lowercase().as_str() {
        "latest" => Ok(StartAt::Latest),
        "trim-horizon" | "trim_horizon" => Ok(StartAt::TrimHorizon),
        _ => aws_smithy_types::DateTime::from_str(
            s.trim(),
            aws_smithy_types::date_time::Format::DateTimeWithOffset,
        )
        .ok()
        .and_then(|t| SystemTime::try_from(t).ok())
        .map(StartAt::Timestamp)
        .ok_or_else(|| {
            Error::invalid(
                "--from",
                s,
                "--from is latest, trim-horizon, or an RFC 3339 time such as 2024-05-01T08:00:00Z",
            )
        }),
    }
}

/// `--event` values: event types (letters only), with warnings for names Agilix does not list.
fn parse_types(given: &[String]) -> Result<(Vec<EventType>, Vec<String>)> {
    let mut types = Vec::new();
    let mut warnings = Vec::new();
    for t in given {
        let t = t.trim();
        // Said in tail's words: a filter's `:props` part means nothing here.
        let ty = EventType::parse("--event", t).map_err(|_| {
            Error::invalid(
                "--event",
                t,
                "tail filters by event type: letters only, e.g. UserEntityCreated",
            )
        })?;
        if !ty.is_known() {
            warnings.push(format!(
                "event type '{t}' is not in Agilix's published list (check the spelling)"
            ));
        }
        types.push(ty);
    }
    Ok((types, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_expects_numeric_domains() {
        let args = |d: &str| TailArgs {
            from: "latest".into(),
            expect_domains: vec![d.into(), "424242".into()],
            only_expected: true,
            ..TailArgs::default()
        };
        let raw = Raw::default();
        let spec = TailSpec::from_args(&args("777777"), &raw).unwrap();
        let ids: Vec<&str> = spec.expect_domains.iter().map(DomainId::as_str).collect();
        assert_eq!(ids, ["777777", "424242"]);
        assert!(spec.only_expected);
        for bad in ["abc", "//sandbox", ""] {
            let e = TailSpec::from_args(&args(bad), &raw)
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains("--expect-domain"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_stream_and_aws_come_from_the_raw_values() {
        let args = TailArgs {
            from: "latest".into(),
            ..TailArgs::default()
        };
        let spec = TailSpec::from_args(&args, &Raw::default()).unwrap();
        assert_eq!(spec.stream.as_str(), DEFAULT_STREAM);
        assert!(spec.aws.region.is_none());
        let raw = Raw {
            stream: Some("district-events".into()),
            region: Some("us-west-2".into()),
            profile: Some("district".into()),
            ..Raw::default()
        };
        let spec = TailSpec::from_args(&args, &raw).unwrap();
        assert_eq!(spec.stream.as_str(), "district-events");
        assert_eq!(
            spec.aws.region.as_ref().map(|r| r.as_str()),
            Some("us-west-2")
        );
        assert_eq!(spec.aws.profile.as_deref(), Some("district"));
    }

    #[test]
    fn from_takes_the_three_forms() {
        assert_eq!(parse_from("latest").unwrap(), StartAt::Latest);
        assert_eq!(parse_from("TRIM-HORIZON").unwrap(), StartAt::TrimHorizon);
        let t = parse_from("2024-05-01T08:00:00Z").unwrap();
        let with_offset = parse_from("2024-05-01T10:00:00+02:00").unwrap();
        assert_eq!(t, with_offset);
        assert!(matches!(t, StartAt::Timestamp(_)));
        let e = parse_from("yesterday").unwrap_err().to_string();
        assert!(e.contains("RFC 3339"), "{e}");
    }

    #[test]
    fn event_types_are_letters_and_unknown_ones_warn() {
        let (t, w) = parse_types(&["UserEntityCreated".into(), "MadeUpType".into()]).unwrap();
        assert!(t[0] == *"UserEntityCreated" && t[1] == *"MadeUpType");
        assert_eq!(w.len(), 1);
        assert!(parse_types(&["User:prop".into()]).is_err());
    }
}
