//! The parts the commands' specs are built from, each from [`Raw`] values by a pure function
//! that reports every problem it finds into a [`Problems`] (so one run names every missing
//! value at once): where AWS is, the stream and role's names, who may assume the role, what
//! the stream and the alarm should be, the Buzz login, and what the other half made.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::domains::Domains;
pub(crate) use super::problems::{missing, required, Problems, PASSWORD_FLAGS};
use super::raw::{first_line, Raw, Secret};
use crate::buzz::{AppIdentity, Credentials, Otp};
use crate::error::{Error, Result};
use crate::names::*;
use crate::sizing::{Capacity, Load};

/// An optional value, parsed when given.
fn optional<T>(
    p: &mut Problems,
    value: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Option<Option<T>> {
    match value {
        Some(v) => p.check(parse(v)).map(Some),
        None => Some(None),
    }
}

/// Where AWS is reached: the profile and region, when given (else the standard chain
/// decides). Shared by every command that calls AWS.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsSpec {
    pub region: Option<Region>,
    pub profile: Option<String>,
}

impl AwsSpec {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        Some(Self {
            region: optional(p, &raw.region, |v| Region::parse("--region", v))?,
            profile: raw.profile.clone(),
        })
    }
}

/// The stream's and the role's names, defaulted.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub stream: StreamName,
    pub role: RoleName,
}

impl Names {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let stream = p.check(StreamName::parse(
            "--stream",
            raw.stream.as_deref().unwrap_or(DEFAULT_STREAM),
        ));
        let role = p.check(RoleName::parse(
            "--role",
            raw.role.as_deref().unwrap_or(DEFAULT_ROLE),
        ));
        Some(Self {
            stream: stream?,
            role: role?,
        })
    }
}

/// Who may assume the role: Agilix's account (required: there is no public default) and the
/// external id, when Agilix issued one.
#[derive(Debug, Clone)]
pub(crate) struct Trustee {
    pub agilix_account: AccountId,
    pub external_id: Option<ExternalId>,
}

impl Trustee {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let account = required(p, &raw.agilix_account, "--agilix-account", |v| {
            AccountId::parse("--agilix-account", v)
        });
        let external_id = optional(p, &raw.external_id, |v| {
            ExternalId::parse("--external-id", v)
        });
        Some(Self {
            agilix_account: account?,
            external_id: external_id?,
        })
    }
}

/// What the stream should be beyond its name.
#[derive(Debug, Clone)]
pub(crate) struct StreamSpec {
    pub capacity: Capacity,
    /// A capacity was named (`--capacity-mode`): an existing stream is converged to it;
    /// otherwise the default never changes a stream that exists.
    pub capacity_given: bool,
    pub retention: RetentionHours,
    pub encryption: Encryption,
    pub tags: Vec<Tag>,
    /// The expected peak load, when given.
    pub load: Option<Load>,
}

impl StreamSpec {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let capacity = capacity(raw, p);
        let retention = optional(p, &raw.retention_hours, |v| {
            RetentionHours::parse("--retention-hours", v)
        })
        .map(|r| r.unwrap_or(RetentionHours::DEFAULT));
        let key = optional(p, &raw.kms_key, |v| KmsKey::parse("--kms-key", v));
        let encryption = key.and_then(|k| p.check(Encryption::from_flags(k, raw.no_encryption)));
        let tags = tags(raw, p);
        let load = load(raw, p);
        Some(Self {
            capacity: capacity?,
            capacity_given: raw.capacity_mode.is_some(),
            retention: retention?,
            encryption: encryption?,
            tags: tags?,
            load: load?,
        })
    }
}

fn capacity(raw: &Raw, p: &mut Problems) -> Option<Capacity> {
    let shards = optional(p, &raw.shards, |v| ShardCount::parse("--shards", v))?;
    let mode = raw.capacity_mode.as_deref().unwrap_or("on-demand");
    let capacity = match (mode, shards) {
        ("on-demand", None) => Ok(Capacity::OnDemand),
        ("on-demand", Some(s)) => Err(Error::invalid(
            "--shards",
            &s.get().to_string(),
            "--shards applies to --capacity-mode provisioned only (on-demand streams scale by themselves)",
        )),
        ("provisioned", Some(n)) => Ok(Capacity::Provisioned(n)),
        ("provisioned", None) => Err(missing("--shards")),
        (other, _) => Err(Error::invalid(
            "--capacity-mode",
            other,
            "the capacity mode is on-demand or provisioned",
        )),
    };
    p.check(capacity)
}

fn tags(raw: &Raw, p: &mut Problems) -> Option<Vec<Tag>> {
    let tags = p.check(
        raw.tags
            .iter()
            .map(|t| Tag::parse("--tag", t))
            .collect::<Result<Vec<_>>>(),
    )?;
    if tags.len() > 49 {
        p.push(Error::invalid(
            "--tag",
            &format!("{} tags", tags.len()),
            "at most 49 extra tags (AWS allows 50 per resource and setup adds managed-by)",
        ));
        return None;
    }
    if tags.iter().any(|t| t.key == crate::state::MANAGED_BY.0) {
        p.push(Error::invalid(
            "--tag",
            crate::state::MANAGED_BY.0,
            "the managed-by tag is set by buzz-kinesis itself",
        ));
        return None;
    }
    Some(tags)
}

fn parse_positive(flag: &'static str, s: &str, max: f64) -> Result<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= max => Ok(v),
        _ => Err(Error::invalid(flag, s, "a positive number (e.g. 250)")),
    }
}

fn load(raw: &Raw, p: &mut Problems) -> Option<Option<Load>> {
    let Some(eps) = &raw.expected_events_per_second else {
        return Some(None);
    };
    let eps = p.check(parse_positive(
        "--expected-events-per-second",
        eps,
        10_000_000.0,
    ));
    let bytes = match &raw.avg_event_bytes {
        Some(b) => p.check(parse_positive("--avg-event-bytes", b, 1_048_576.0)),
        None => Some(1000.0),
    };
    Some(Some(Load {
        events_per_second: eps?,
        avg_event_bytes: bytes?,
    }))
}

/// The alarm on refused writes: wanted when an address or a topic is given.
#[derive(Debug, Clone, Default)]
pub(crate) struct AlarmSpec {
    pub emails: Vec<Email>,
    pub topic: Option<TopicArn>,
}

impl AlarmSpec {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let emails = p.check(
            raw.alarm_emails
                .iter()
                .map(|e| Email::parse("--alarm-email", e))
                .collect::<Result<Vec<_>>>(),
        );
        let topic = optional(p, &raw.alarm_topic, |t| TopicArn::parse("--alarm-topic", t));
        let mut emails = emails?;
        emails.sort();
        emails.dedup();
        Some(Self {
            emails,
            topic: topic?,
        })
    }

    /// Whether an alarm was asked for.
    pub(crate) fn wanted(&self) -> bool {
        !self.emails.is_empty() || self.topic.is_some()
    }
}

/// The archive (`--archive-bucket`): the bucket Firehose writes every event to, and how long
/// S3 keeps them (`--archive-days`; `None`: kept until deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveSpec {
    pub bucket: BucketName,
    pub days: Option<ArchiveDays>,
    /// `--archive-buffer`: Firehose's buffer interval.
    pub buffer: ArchiveBuffer,
    /// `--archive-views`: the starting queries made Athena views (setup).
    pub views: bool,
}

impl ArchiveSpec {
    /// `Some(None)`: no archive asked for; `None`: a problem was reported.
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Option<Self>> {
        let bucket = optional(p, &raw.archive_bucket, |v| {
            BucketName::parse("--archive-bucket", v)
        });
        let days = optional(p, &raw.archive_days, |v| {
            ArchiveDays::parse("--archive-days", v)
        });
        let buffer = optional(p, &raw.archive_buffer, |v| {
            ArchiveBuffer::parse("--archive-buffer", v)
        });
        if raw.archive_views && raw.archive_bucket.is_none() {
            p.push(Error::Usage(
                "--archive-views makes views over the archive's table: it goes with --archive-bucket".into(),
            ));
            return None;
        }
        let buffer = buffer?;
        match (bucket?, days?) {
            (Some(bucket), days) => Some(Some(Self {
                bucket,
                days,
                buffer: buffer.unwrap_or(ArchiveBuffer::DEFAULT),
                views: raw.archive_views,
            })),
            (None, None) if buffer.is_some() => {
                p.push(Error::invalid(
                    "--archive-buffer",
                    raw.archive_buffer.as_deref().unwrap_or_default(),
                    "--archive-buffer applies with --archive-bucket (the archive Firehose buffers for)",
                ));
                None
            }
            (None, None) => Some(None),
            (None, Some(d)) => {
                p.push(Error::invalid(
                    "--archive-days",
                    &d.get().to_string(),
                    "--archive-days applies with --archive-bucket (the bucket it expires events in)",
                ));
                None
            }
        }
    }
}

/// `--buzz-only` with an archive: the archive is made by the AWS half.
pub(crate) const ARCHIVE_IN_AWS_HALF: &str = "--archive-bucket: the archive (bucket, Firehose, Glue table) is part of the AWS half: pass it to the --aws-only run (or a run of both halves), not to --buzz-only";

/// `--event` filters, with a warning for each type Agilix does not list.
pub(crate) fn events(
    raw: &Raw,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<Vec<EventFilter>> {
    let events = p.check(
        raw.events
            .iter()
            .map(|e| EventFilter::parse("--event", e))
            .collect::<Result<Vec<_>>>(),
    )?;
    warnings.extend(events.iter().filter(|e| !e.is_known()).map(|e| {
        format!(
            "event type '{}' is not in Agilix's published list; it is sent as given (check the spelling)",
            e.event_type
        )
    }));
    Some(events)
}

/// The title of our target in Buzz, defaulted from the stream name.
pub(crate) fn title(raw: &Raw, p: &mut Problems, stream: Option<&StreamName>) -> Option<Title> {
    let text = match (&raw.title, stream) {
        (Some(t), _) => t.clone(),
        (None, Some(s)) => format!("Kinesis: {s}"),
        (None, None) => return None,
    };
    p.check(Title::parse("--title", &text))
}

/// The Buzz host when none is given: the interactive host only when a person at the terminal
/// waits on a password login; the background host for everything else (check passes
/// `person_waits = false`).
pub(crate) fn buzz_url(raw: &Raw, p: &mut Problems, person_waits: bool) -> Option<BuzzUrl> {
    let person_waits = person_waits && !raw.identity_given();
    let text = raw
        .buzz_url
        .clone()
        .unwrap_or_else(|| BuzzUrl::default_for(person_waits).into());
    p.check(BuzzUrl::parse("--buzz-url", &text))
}

/// Where and as whom to reach Buzz, and which domains.
pub(crate) struct BuzzLogin {
    pub url: BuzzUrl,
    pub credentials: Credentials,
    pub otp: Otp,
    pub domains: Domains,
    pub title: Title,
}

impl BuzzLogin {
    /// `person_waits`: a person at a terminal waits on this login (the interactive host).
    /// `several`: the command takes a list of domains ([`Domains::build`]).
    pub(crate) fn build(
        raw: &Raw,
        p: &mut Problems,
        stream: Option<&StreamName>,
        (person_waits, several): (bool, bool),
    ) -> Option<Self> {
        let url = buzz_url(raw, p, person_waits);
        let domains = Domains::build(raw, p, several);
        let title = title(raw, p, stream);
        let otp = otp(raw, p);
        let credentials = credentials(raw, p);
        Some(Self {
            url: url?,
            credentials: credentials?,
            otp: otp?,
            domains: domains?,
            title: title?,
        })
    }
}

/// The MFA code, should Buzz ask: BUZZ_OTP, `--buzz-otp-file`, else a prompt. Never from
/// argv: `--buzz-otp CODE` is refused before anything is sent.
fn otp(raw: &Raw, p: &mut Problems) -> Option<Otp> {
    if raw.otp_in_argv {
        p.push(Error::Usage(
            "--buzz-otp puts the one-time code on the command line, where any user of this machine can read it (ps, shell history): set BUZZ_OTP instead (or pass --buzz-otp-file FILE, or answer the prompt). Nothing was sent".into(),
        ));
        return None;
    }
    let code = match &raw.otp {
        Some(Secret::File(path)) => {
            let text = p.check(std::fs::read_to_string(path).map_err(|e| {
                Error::io(
                    format!("reading the one-time code file {}", path.display()),
                    e,
                )
            }))?;
            let code = text.lines().next().unwrap_or_default().trim().to_owned();
            Some(p.check(parse_otp("--buzz-otp-file", &code))?)
        }
        Some(Secret::Given(code)) => {
            use secrecy::ExposeSecret;
            Some(p.check(parse_otp("BUZZ_OTP", code.expose_secret().trim()))?)
        }
        None => None,
    };
    Some(match code {
        Some(c) => Otp::Given(SecretString::from(c)),
        None if raw.interactive => Otp::Prompt(crate::ui::prompt_otp),
        None => Otp::Unavailable,
    })
}

/// An application identity, a bearer token (BUZZ_TOKEN) or a login. The password never comes
/// from argv, the key only from its file.
fn credentials(raw: &Raw, p: &mut Problems) -> Option<Credentials> {
    if raw.identity_given() {
        let client_id = required(p, &raw.buzz_client_id, "--buzz-client-id", |v| {
            ClientId::parse("--buzz-client-id", v)
        });
        let key_id = optional(p, &raw.buzz_key_id, |v| KeyId::parse("--buzz-key-id", v));
        let key_file: Option<PathBuf> = raw.buzz_key_file.clone();
        if key_file.is_none() {
            p.push(missing("--buzz-key-file"));
        }
        let audience = raw
            .buzz_token_audience
            .clone()
            .filter(|a| !a.trim().is_empty());
        let identity = AppIdentity::load(client_id?, key_id?, audience, key_file?);
        return p
            .check(identity)
            .map(|i| Credentials::Identity(Box::new(i)));
    }
    if let Some(token) = &raw.token {
        return Some(Credentials::Token(token.clone()));
    }
    let user = required(p, &raw.buzz_user, "--buzz-user", |v| {
        BuzzUser::parse("--buzz-user", v)
    });
    let password = match &raw.password {
        Some(Secret::Given(s)) => Some(s.clone()),
        Some(Secret::File(path)) => p.check(
            std::fs::File::open(path)
                .map_err(|e| Error::io(format!("opening the password file {}", path.display()), e))
                .and_then(|f| first_line(std::io::BufReader::new(f), &path.display().to_string())),
        ),
        None => {
            p.push(missing(PASSWORD_FLAGS));
            None
        }
    };
    Some(Credentials::Password {
        user: user?,
        password: password?,
    })
}

/// Our target in Buzz as a run without a Buzz login knows it (`--aws-only`): enough to hand
/// the Buzz half over, nothing to log in with; nothing is required.
pub(crate) struct BuzzHandover {
    pub url: BuzzUrl,
    pub domain: Option<DomainId>,
    pub title: Title,
    /// The login's name, when given (never a password).
    pub user: Option<BuzzUser>,
}

impl BuzzHandover {
    pub(crate) fn build(raw: &Raw, p: &mut Problems, stream: &StreamName) -> Option<Self> {
        let url = buzz_url(raw, p, false);
        let domain = optional(p, &raw.domains.first().cloned(), |v| {
            DomainId::parse("--domain", v)
        });
        let title = title(raw, p, Some(stream));
        let user = optional(p, &raw.buzz_user, |v| BuzzUser::parse("--buzz-user", v));
        Some(Self {
            url: url?,
            domain: domain?,
            title: title?,
            user: user?,
        })
    }
}

/// What the AWS half made, as a `--buzz-only` run is told it: the role's ARN (its account and
/// partition too), the stream's name and region. Nothing here needs AWS credentials.
#[derive(Debug, Clone)]
pub(crate) struct AwsMade {
    pub role_arn: RoleArn,
    /// The role's name, from its ARN.
    pub role: RoleName,
    pub stream: StreamName,
    pub region: Region,
}

impl AwsMade {
    pub(crate) fn build(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let role_arn = required(p, &raw.role_arn, "--role-arn", |v| {
            RoleArn::parse("--role-arn", v)
        });
        // A person is asked which stream the AWS half made; a CI run takes the default.
        let stream = match &raw.stream {
            None if raw.interactive => {
                p.push(missing("--stream"));
                None
            }
            given => p.check(StreamName::parse(
                "--stream",
                given.as_deref().unwrap_or(DEFAULT_STREAM),
            )),
        };
        let region = required(p, &raw.region, "--region", |v| Region::parse("--region", v));
        let role_arn = role_arn?;
        let role = p.check(RoleName::parse("--role-arn", role_arn.name()))?;
        Some(Self {
            role,
            role_arn,
            stream: stream?,
            region: region?,
        })
    }
}

/// The longest `--propagation-timeout` and its default, in seconds.
const PROPAGATION_TIMEOUT: (u64, u64) = (3600, 90);

/// How long setup retries Buzz's test while IAM propagates a role.
pub(crate) fn propagation_timeout(raw: &Raw, p: &mut Problems) -> Option<Duration> {
    let Some(s) = &raw.propagation_timeout else {
        return Some(Duration::from_secs(PROPAGATION_TIMEOUT.1));
    };
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=PROPAGATION_TIMEOUT.0).contains(&n) => Some(Duration::from_secs(n)),
        _ => {
            p.push(Error::invalid(
                "--propagation-timeout",
                s,
                "a whole number of seconds from 1 to 3600",
            ));
            None
        }
    }
}

/// `--max-session`: whether a shortened MaxSessionDuration may be raised. Only 12 hours makes
/// sense (Agilix's procedure asks for it, and it is IAM's longest), written `12h` or `43200`.
pub(crate) fn max_session(raw: &Raw, p: &mut Problems) -> bool {
    let Some(s) = &raw.max_session else {
        return false;
    };
    match s.trim() {
        "12h" | "43200" => true,
        _ => {
            p.push(Error::invalid(
                "--max-session",
                s,
                "12h (or 43200): the 12-hour sessions Agilix's procedure asks for",
            ));
            false
        }
    }
}

/// An `--expect-domain` value (check, tail): a numeric domain id, since events carry the
/// numeric id and a `//userspace` path would match none of them.
pub(crate) fn expected_domain(d: &str) -> Result<DomainId> {
    let id = DomainId::parse("--expect-domain", d.trim())?;
    if id.as_str().starts_with("//") {
        return Err(Error::invalid(
            "--expect-domain",
            d,
            "events carry the numeric domainId, so --expect-domain takes the domain's numeric id (e.g. 424242), not a //userspace path",
        ));
    }
    Ok(id)
}
