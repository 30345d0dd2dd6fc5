//! `setup`'s spec, and the parts `check` shares with it: which halves run, each with only the
//! values it has (a `--buzz-only` run holds no capacity, an `--aws-only` run no login).

use std::time::Duration;

use super::parts::*;
use super::raw::Raw;
use crate::buzz::wire::KinesisTarget;
use crate::error::Result;
use crate::names::EventFilter;
use crate::state::Halves;

/// The AWS half's values: the stream, the role, the alarm, and where AWS is.
pub(crate) struct AwsPart {
    pub names: Names,
    pub aws: AwsSpec,
    pub stream: StreamSpec,
    pub trustee: Trustee,
    pub alarm: AlarmSpec,
    /// `--archive-bucket`: every event kept in S3 (`None`: no archive).
    pub archive: Option<ArchiveSpec>,
    /// The stream's name was given (else the wizard offers the account's streams).
    pub stream_given: bool,
}

impl AwsPart {
    /// The AWS half judged (again) from raw values: the wizard's AWS-side questions fill the
    /// raw values, never a spec.
    pub(crate) fn judge(raw: &Raw) -> Result<Self> {
        Problems::build(|p| Self::build(raw, p))
    }

    fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let stream = StreamSpec::build(raw, p);
        let alarm = AlarmSpec::build(raw, p);
        let archive = ArchiveSpec::build(raw, p);
        let names = Names::build(raw, p);
        let trustee = Trustee::build(raw, p);
        let aws = AwsSpec::build(raw, p);
        Some(Self {
            names: names?,
            aws: aws?,
            stream: stream?,
            trustee: trustee?,
            alarm: alarm?,
            archive: archive?,
            stream_given: raw.stream.is_some(),
        })
    }
}

/// Which halves a run does, each with its values.
pub(crate) enum Parts {
    Both {
        aws: AwsPart,
        buzz: BuzzLogin,
    },
    /// `--aws-only`: no Buzz login; what the Buzz half will need is handed over.
    AwsOnly {
        aws: AwsPart,
        handover: BuzzHandover,
    },
    /// `--buzz-only`: no AWS credentials; the AWS half's stream and role are named.
    BuzzOnly {
        buzz: BuzzLogin,
        made: AwsMade,
    },
}

impl Parts {
    /// `person_waits`: a person at a terminal waits on the Buzz login (setup and teardown, not
    /// check), which chooses Agilix's interactive host when no `--buzz-url` is given.
    pub(super) fn build(raw: &Raw, p: &mut Problems, person_waits: bool) -> Option<Self> {
        match raw.half {
            Halves::BuzzOnly => {
                // Not a flag that silently does nothing: the archive is the AWS half's.
                if raw.archive_bucket.is_some()
                    || raw.archive_days.is_some()
                    || raw.archive_buffer.is_some()
                    || raw.archive_views
                {
                    p.push(crate::error::Error::Usage(ARCHIVE_IN_AWS_HALF.into()));
                }
                let made = AwsMade::build(raw, p);
                let stream = made.as_ref().map(|m| &m.stream);
                let buzz = BuzzLogin::build(raw, p, stream, (person_waits, false));
                Some(Parts::BuzzOnly {
                    buzz: buzz?,
                    made: made?,
                })
            }
            Halves::AwsOnly => {
                super::domains::one_domain(raw, p);
                let aws = AwsPart::build(raw, p);
                let handover = aws
                    .as_ref()
                    .and_then(|a| BuzzHandover::build(raw, p, &a.names.stream));
                Some(Parts::AwsOnly {
                    aws: aws?,
                    handover: handover?,
                })
            }
            Halves::Both => {
                let aws = AwsPart::build(raw, p);
                let stream = aws.as_ref().map(|a| &a.names.stream);
                // Both halves take every domain given: one stream, one role, a target in each.
                let buzz = BuzzLogin::build(raw, p, stream, (person_waits, true));
                Some(Parts::Both {
                    aws: aws?,
                    buzz: buzz?,
                })
            }
        }
    }

    /// Which halves run.
    pub(crate) fn half(&self) -> Halves {
        match self {
            Parts::Both { .. } => Halves::Both,
            Parts::AwsOnly { .. } => Halves::AwsOnly,
            Parts::BuzzOnly { .. } => Halves::BuzzOnly,
        }
    }

    /// The AWS half's values, when it runs.
    #[cfg(test)]
    pub(crate) fn aws(&self) -> Option<&AwsPart> {
        match self {
            Parts::Both { aws, .. } | Parts::AwsOnly { aws, .. } => Some(aws),
            Parts::BuzzOnly { .. } => None,
        }
    }

    /// The Buzz login, when the run has one.
    #[cfg(test)]
    pub(crate) fn buzz(&self) -> Option<&BuzzLogin> {
        match self {
            Parts::Both { buzz, .. } | Parts::BuzzOnly { buzz, .. } => Some(buzz),
            Parts::AwsOnly { .. } => None,
        }
    }
}

/// How setup may change what exists, each only when asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApplyOptions {
    pub allow_retention_decrease: bool,
    pub allow_capacity_decrease: bool,
    /// Change an existing role buzz-kinesis did not create.
    pub adopt: bool,
    /// What widens or drops access, each only by its flag (never from a config file).
    pub widen: crate::plan::Widen,
    /// Save the target enabled after Buzz's test (`--no-enable`: the test alone).
    pub enable: bool,
    pub propagation_timeout: Duration,
}

impl ApplyOptions {
    fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        Some(Self {
            allow_retention_decrease: raw.allow_retention_decrease,
            allow_capacity_decrease: raw.allow_capacity_decrease,
            adopt: raw.adopt,
            widen: crate::plan::Widen {
                remove_external_id: raw.remove_external_id,
                replace_trust: raw.replace_trust,
                adopt_wider_role: raw.adopt_wider_role,
                raise_max_session: max_session(raw, p),
            },
            enable: !raw.no_enable,
            propagation_timeout: propagation_timeout(raw, p)?,
        })
    }
}

/// Everything `setup` needs, validated.
pub(crate) struct SetupSpec {
    pub parts: Parts,
    pub events: Vec<EventFilter>,
    pub options: ApplyOptions,
    /// Warnings found while validating (unknown event types...).
    pub warnings: Vec<String>,
}

impl SetupSpec {
    /// Pure: the spec, or one error naming every problem (see [`Problems::finish`]).
    #[cfg(test)]
    pub(crate) fn build(raw: &Raw) -> Result<Self> {
        Problems::build(|p| Self::build_into(raw, p))
    }

    pub(super) fn build_into(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let mut warnings = Vec::new();
        // What needs no prompt first, so a typo is reported before any question.
        let events = events(raw, p, &mut warnings);
        let options = ApplyOptions::build(raw, p);
        let parts = Parts::build(raw, p, raw.interactive);
        Some(Self {
            parts: parts?,
            events: events?,
            options: options?,
            warnings,
        })
    }

    /// Our target as Buzz should hold it, for a `--buzz-only` run (the AWS half named it).
    pub(crate) fn made_target(
        made: &AwsMade,
        title: &crate::names::Title,
        events: &[EventFilter],
    ) -> KinesisTarget {
        KinesisTarget {
            title: title.to_string(),
            enabled: true,
            stream: made.stream.to_string(),
            role_arn: made.role_arn.to_string(),
            region: made.region.to_string(),
            filters: events.to_vec(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Error;
    use crate::names::{Encryption, KmsKey};
    use crate::sizing::Capacity;
    use crate::spec::raw::Secret;

    /// What a CI job passes for a whole setup: an account, a domain, a login.
    pub(crate) fn complete() -> Raw {
        Raw {
            agilix_account: Some("210987654321".into()),
            domains: vec!["424242".into()],
            buzz_user: Some("district/admin".into()),
            password: Some(Secret::Given("hunter2".to_owned().into())),
            ..Raw::default()
        }
    }

    /// The error's text, which names the flag to fix.
    pub(in crate::spec) fn problem<T>(r: Result<T>) -> String {
        match r {
            Ok(_) => panic!("built, but a problem was expected"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_complete_setup_takes_the_defaults() {
        let s = SetupSpec::build(&complete()).unwrap();
        let Parts::Both { aws, buzz } = &s.parts else {
            panic!("both halves");
        };
        assert_eq!(aws.names.stream.as_str(), "buzz-events");
        assert_eq!(aws.names.role.as_str(), "BuzzKinesisWriter");
        assert_eq!(aws.stream.capacity, Capacity::OnDemand);
        assert!(!aws.stream.capacity_given && !aws.stream_given);
        assert_eq!(aws.stream.encryption, Encryption::Default);
        assert_eq!(aws.trustee.agilix_account.as_str(), "210987654321");
        assert!(!aws.alarm.wanted());
        assert_eq!(buzz.domains.first().as_str(), "424242");
        assert_eq!(buzz.title.to_string(), "Kinesis: buzz-events");
        assert_eq!(buzz.url.as_str(), BuzzUrlDefaults::BACKGROUND);
        assert!(s.options.enable && !s.options.adopt);
        assert_eq!(s.options.propagation_timeout, Duration::from_secs(90));
    }

    use crate::names::BuzzUrl as BuzzUrlDefaults;

    /// Each value given but invalid is refused, naming its flag, before anything is built.
    #[test]
    fn each_invalid_value_names_its_flag() {
        type Set = fn(&mut Raw);
        let cases: &[(&str, Set)] = &[
            ("--stream", |r| r.stream = Some("no spaces allowed".into())),
            ("--role", |r| r.role = Some("a/b".into())),
            ("--agilix-account", |r| r.agilix_account = Some("12".into())),
            ("--external-id", |r| r.external_id = Some("x".into())),
            ("--title", |r| r.title = Some(String::new())),
            ("--region", |r| r.region = Some("moon-1".into())),
            ("--buzz-url", |r| {
                r.buzz_url = Some("http://example.com".into())
            }),
            ("--buzz-user", |r| r.buzz_user = Some("no-userspace".into())),
            ("--domain", |r| r.domains = vec!["42 42".into()]),
            ("--capacity-mode", |r| r.capacity_mode = Some("fast".into())),
            ("--shards", |r| {
                r.capacity_mode = Some("provisioned".into());
                r.shards = Some("0".into());
            }),
            ("--retention-hours", |r| {
                r.retention_hours = Some("1".into())
            }),
            ("--kms-key", |r| r.kms_key = Some("not a key".into())),
            ("--tag", |r| r.tags = vec!["novalue".into()]),
            ("--tag", |r| r.tags = vec!["managed-by=me".into()]),
            ("--event", |r| r.events = vec!["Not A Type".into()]),
            ("--expected-events-per-second", |r| {
                r.expected_events_per_second = Some("-1".into());
            }),
            ("--avg-event-bytes", |r| {
                r.expected_events_per_second = Some("100".into());
                r.avg_event_bytes = Some("0".into());
            }),
            ("--alarm-email", |r| r.alarm_emails = vec!["nobody".into()]),
            ("--alarm-topic", |r| {
                r.alarm_topic = Some("arn:aws:sqs:x".into())
            }),
            ("--propagation-timeout", |r| {
                r.propagation_timeout = Some("0".into());
            }),
            ("--max-session", |r| r.max_session = Some("1h".into())),
            ("--archive-bucket", |r| {
                r.archive_bucket = Some("Buzz_Archive".into())
            }),
            ("--archive-days", |r| {
                r.archive_bucket = Some("buzz-archive".into());
                r.archive_days = Some("0".into());
            }),
            // Days without a bucket to expire them in.
            ("--archive-days", |r| r.archive_days = Some("30".into())),
            // Views without a table to read.
            ("--archive-views", |r| r.archive_views = true),
        ];
        for (flag, set) in cases {
            let mut raw = complete();
            set(&mut raw);
            let text = problem(SetupSpec::build(&raw));
            assert!(text.contains(flag), "{flag}: {text}");
        }
    }

    /// The archive is the AWS half's: both halves and `--aws-only` take it, `--buzz-only`
    /// refuses it rather than ignore it.
    #[test]
    fn the_archive_goes_with_the_aws_half_and_buzz_only_refuses_it() {
        let mut raw = complete();
        raw.archive_bucket = Some("district-42-buzz".into());
        raw.archive_days = Some("400".into());
        let spec = SetupSpec::build(&raw).unwrap();
        let archive = spec.parts.aws().unwrap().archive.as_ref().unwrap();
        assert_eq!(archive.bucket.as_str(), "district-42-buzz");
        assert_eq!(archive.days.map(|d| d.get()), Some(400));
        assert!(!archive.views);
        raw.archive_views = true;
        let spec = SetupSpec::build(&raw).unwrap();
        assert!(spec.parts.aws().unwrap().archive.as_ref().unwrap().views);
        raw.half = Halves::BuzzOnly;
        raw.stream = Some("buzz-events".into());
        raw.role_arn = Some("arn:aws:iam::123456789012:role/BuzzKinesisWriter".into());
        raw.region = Some("us-east-1".into());
        let text = problem(SetupSpec::build(&raw));
        assert!(
            text.contains("--archive-bucket") && text.contains("AWS half"),
            "{text}"
        );
    }

    /// Several domains: both halves take them (each validated, the first not repeated); a
    /// half refuses them, naming each, rather than setting up the first alone.
    #[test]
    fn several_domains_go_to_both_halves_and_a_half_refuses_them() {
        let mut raw = complete();
        raw.domains = ["424242", "500001", "424242", "500002", "500001"]
            .map(String::from)
            .to_vec();
        let spec = SetupSpec::build(&raw).unwrap();
        let buzz = spec.parts.buzz().unwrap();
        let ids: Vec<&str> = buzz
            .domains
            .iter()
            .map(crate::names::DomainId::as_str)
            .collect();
        assert_eq!(ids, ["424242", "500001", "500002"]);
        assert_eq!(
            (buzz.domains.first().as_str(), buzz.domains.len()),
            ("424242", 3)
        );
        assert!(!buzz.domains.is_empty());
        raw.domains = vec!["424242".into(), "5 5".into()];
        assert!(problem(SetupSpec::build(&raw)).contains("--domain"));
        // One bad value among several is named once, not refused as "several" too.
        raw.half = Halves::BuzzOnly;
        let text = problem(SetupSpec::build(&raw));
        assert_eq!(text.matches("'5 5'").count(), 1, "{text}");
        assert!(!text.contains("several domains"), "{text}");
        raw.domains = vec!["424242".into(), "500001".into()];
        raw.half = Halves::AwsOnly;
        let text = problem(SetupSpec::build(&raw));
        assert!(text.contains("several domains in one run"), "{text}");
        assert!(text.contains("424242, 500001"), "{text}");
        // The Buzz half alone takes one domain too.
        raw.half = Halves::BuzzOnly;
        let text = problem(SetupSpec::build(&raw));
        assert!(text.contains("several domains in one run"), "{text}");
    }

    /// Without a terminal, every value left out is named in one error, in the order a person
    /// would be asked for them.
    #[test]
    fn every_missing_value_is_named_at_once() {
        let e = SetupSpec::build(&Raw::default()).err().unwrap();
        let Error::MissingValues(all) = &e else {
            panic!("{e}");
        };
        let flags: Vec<&str> = all
            .iter()
            .map(|e| match e {
                Error::Missing { flag, .. } => *flag,
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(
            flags,
            [
                "--agilix-account",
                "--domain",
                "--buzz-user",
                "--buzz-password-stdin or --buzz-password-file"
            ]
        );
        assert!(e.to_string().contains("4 required values are missing"));
    }

    /// A value given but wrong is reported before the ones left out; several wrong ones
    /// together.
    #[test]
    fn invalid_values_come_before_missing_ones_and_together() {
        let raw = Raw {
            stream: Some("bad name".into()),
            ..Raw::default()
        };
        let text = problem(SetupSpec::build(&raw));
        assert!(
            text.starts_with("invalid value 'bad name' for --stream"),
            "{text}"
        );
        assert!(!text.contains("--agilix-account"), "{text}");
        let raw = Raw {
            stream: Some("bad name".into()),
            region: Some("moon-1".into()),
            ..complete()
        };
        let text = problem(SetupSpec::build(&raw));
        assert!(
            text.starts_with("2 values are invalid") && text.contains("--region"),
            "{text}"
        );
    }

    #[test]
    fn conflicting_values_are_refused() {
        type Set = fn(&mut Raw);
        let cases: &[(&str, Set)] = &[
            ("--kms-key", |r| {
                r.kms_key = Some(KmsKey::AWS_MANAGED.into());
                r.no_encryption = true;
            }),
            (
                "--shards applies to --capacity-mode provisioned only",
                |r| {
                    r.shards = Some("2".into());
                },
            ),
            ("the shard count of a provisioned stream", |r| {
                r.capacity_mode = Some("provisioned".into());
            }),
            (
                "--buzz-otp puts the one-time code on the command line",
                |r| {
                    r.otp_in_argv = true;
                },
            ),
        ];
        for (words, set) in cases {
            let mut raw = complete();
            set(&mut raw);
            let text = problem(SetupSpec::build(&raw));
            assert!(text.contains(words), "{words}: {text}");
        }
        let mut off = complete();
        off.no_encryption = true;
        let s = SetupSpec::build(&off).unwrap();
        assert_eq!(s.parts.aws().unwrap().stream.encryption, Encryption::Off);
    }

    /// Each half holds only its own values: the AWS half needs no login, the Buzz half no
    /// Agilix account but the role's ARN and the region the AWS half gave.
    #[test]
    fn each_half_needs_only_its_own_values() {
        let aws_only = Raw {
            half: Halves::AwsOnly,
            agilix_account: Some("210987654321".into()),
            ..Raw::default()
        };
        let s = SetupSpec::build(&aws_only).unwrap();
        let Parts::AwsOnly { handover, .. } = &s.parts else {
            panic!("the AWS half");
        };
        assert!(handover.domain.is_none() && handover.user.is_none());
        assert!(s.parts.buzz().is_none());

        let buzz_only = Raw {
            half: Halves::BuzzOnly,
            agilix_account: None,
            ..complete()
        };
        let text = problem(SetupSpec::build(&buzz_only));
        assert!(
            text.contains("--role-arn") && text.contains("--region"),
            "{text}"
        );
        assert!(!text.contains("--agilix-account"), "{text}");
        let buzz_only = Raw {
            role_arn: Some("arn:aws:iam::111122223333:role/BuzzKinesisWriter".into()),
            region: Some("eu-west-1".into()),
            ..buzz_only
        };
        let s = SetupSpec::build(&buzz_only).unwrap();
        let Parts::BuzzOnly { made, .. } = &s.parts else {
            panic!("the Buzz half");
        };
        assert_eq!(made.stream.as_str(), "buzz-events");
        assert!(s.parts.aws().is_none());
    }

    /// A token or an application identity stands in for a user and password.
    #[test]
    fn a_token_is_a_login() {
        let raw = Raw {
            buzz_user: None,
            password: None,
            token: Some("t0ken".to_owned().into()),
            ..complete()
        };
        let s = SetupSpec::build(&raw).unwrap();
        assert!(matches!(
            s.parts.buzz().unwrap().credentials,
            crate::buzz::Credentials::Token(_)
        ));
        let raw = Raw {
            buzz_client_id: Some("12345".into()),
            ..complete()
        };
        let text = problem(SetupSpec::build(&raw));
        assert!(text.contains("--buzz-key-file"), "{text}");
    }
}
