//! The validated request. Values come from flags, then env vars (clap reads both), then the
//! `--config` TOML file, then the wizard's prompts (only when a person is at a terminal), then
//! defaults. Everything is checked here, before the first network call.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

use crate::buzz::{Credentials, Otp};
use crate::cli::{DesiredArgs, TargetArgs};
use crate::error::{Error, Result};
use crate::names::*;
use crate::plan::Capacity;
use crate::ui;

pub const DEFAULT_STREAM: &str = "buzz-events";
pub const DEFAULT_ROLE: &str = "BuzzKinesisWriter";
const DEFAULT_PROPAGATION_TIMEOUT: u64 = 90;

/// Keys a config file may hold: the long flag names.
const CONFIG_KEYS: &[&str] = &[
    "stream",
    "role",
    "agilix-account",
    "external-id",
    "buzz-url",
    "buzz-user",
    "domain",
    "title",
    "profile",
    "region",
    "capacity-mode",
    "shards",
    "retention-hours",
    "kms-key",
    "tag",
    "event",
    "propagation-timeout",
    "allow-retention-decrease",
    "adopt",
    "no-enable",
    "expected-events-per-second",
    "avg-event-bytes",
];

/// Where the Buzz session comes from.
pub struct BuzzSpec {
    pub url: BuzzUrl,
    pub credentials: Credentials,
    pub otp: Otp,
    pub domain: DomainId,
    pub title: Title,
}

/// Everything `setup` needs, validated.
pub struct SetupSpec {
    pub stream: StreamName,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    pub allow_retention_decrease: bool,
    pub kms_key: Option<KmsKey>,
    pub tags: Vec<Tag>,
    pub role: RoleName,
    pub agilix_account: AccountId,
    pub external_id: Option<ExternalId>,
    pub adopt: bool,
    pub buzz: BuzzSpec,
    pub events: Vec<EventFilter>,
    pub enable: bool,
    pub propagation_timeout: Duration,
    pub region: Option<Region>,
    pub profile: Option<String>,
    /// Whether the stream name and its capacity were given (else the wizard may ask).
    pub given_stream: bool,
    pub given_capacity: bool,
    /// The expected peak load, when given.
    pub load: Option<crate::sizing::Load>,
    /// Warnings found while validating (unknown event types...).
    pub warnings: Vec<String>,
}

/// Whether a person can answer prompts: not with `--yes`, not when stdin is not a terminal,
/// not when `CI` is set.
pub fn interactive(yes: bool) -> bool {
    !yes && std::io::stdin().is_terminal() && std::env::var_os("CI").is_none()
}

/// The config file's values, looked up by flag name.
struct ConfigFile(toml::Table);

impl ConfigFile {
    fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Self(toml::Table::new()));
        };
        let err = |reason: String| Error::ConfigFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        for key in table.keys() {
            if !CONFIG_KEYS.contains(&key.as_str()) {
                return Err(err(format!(
                    "unknown key '{key}' (secrets never go in this file; known keys: {})",
                    CONFIG_KEYS.join(", ")
                )));
            }
        }
        Ok(Self(table))
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            toml::Value::Boolean(b) => Some(b.to_string()),
            // Tables, arrays and dates are never a single setting: name the key in the error.
            _ => Some(format!("({key} must be a string or number)")),
        }
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.0.get(key), Some(toml::Value::Boolean(true)))
    }

    fn list(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(toml::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// Flag value, else config file value.
fn pick(flag: &Option<String>, file: &ConfigFile, key: &str) -> Option<String> {
    flag.clone().or_else(|| file.text(key))
}

fn nonempty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn first_line(reader: impl BufRead, what: &str) -> Result<SecretString> {
    let line = reader
        .lines()
        .next()
        .transpose()
        .map_err(|e| Error::io(format!("reading the Buzz password from {what}"), e))?
        .unwrap_or_default();
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        return Err(Error::Usage(format!(
            "the Buzz password from {what} is empty"
        )));
    }
    Ok(SecretString::from(line))
}

fn parse_positive(flag: &'static str, s: &str, max: f64) -> Result<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= max => Ok(v),
        _ => Err(Error::invalid(flag, s, "a positive number (e.g. 250)")),
    }
}

/// The identifying part shared by setup, check and teardown.
pub struct TargetSpec {
    pub stream: StreamName,
    pub role: RoleName,
    pub agilix_account: AccountId,
    pub external_id: Option<ExternalId>,
    pub buzz: BuzzSpec,
    pub region: Option<Region>,
    pub profile: Option<String>,
}

impl TargetSpec {
    fn build(t: &TargetArgs, file: &ConfigFile, interactive: bool) -> Result<Self> {
        let (stream, role) = Self::names(t, file)?;
        let (agilix_account, external_id) = Self::agilix(t, file, interactive)?;
        let (region, profile) = Self::location(t, file)?;
        let buzz = Self::buzz(t, file, interactive, &stream)?;
        Ok(Self {
            stream,
            role,
            agilix_account,
            external_id,
            buzz,
            region,
            profile,
        })
    }

    /// The stream and the role, defaulted.
    fn names(t: &TargetArgs, file: &ConfigFile) -> Result<(StreamName, RoleName)> {
        let stream = StreamName::parse(
            "--stream",
            &pick(&t.stream, file, "stream").unwrap_or_else(|| DEFAULT_STREAM.into()),
        )?;
        let role = RoleName::parse(
            "--role",
            &pick(&t.role, file, "role").unwrap_or_else(|| DEFAULT_ROLE.into()),
        )?;
        Ok((stream, role))
    }

    /// Agilix's account (required: there is no public default) and the optional external id.
    fn agilix(
        t: &TargetArgs,
        file: &ConfigFile,
        interactive: bool,
    ) -> Result<(AccountId, Option<ExternalId>)> {
        let agilix_account = match pick(&t.agilix_account, file, "agilix-account") {
            Some(v) => AccountId::parse("--agilix-account", &v)?,
            None if interactive => ui::prompt_valid(
                "Agilix's AWS account number (12 digits, from Agilix support or your sales representative)",
                None,
                |s| AccountId::parse("--agilix-account", s),
            )?,
            None => {
                return Err(Error::missing(
                    "Agilix's AWS account number",
                    "--agilix-account",
                    Some("BUZZ_AGILIX_ACCOUNT_ID"),
                    " (ask Agilix support for it)",
                ))
            }
        };
        let external_id = pick(&t.external_id, file, "external-id")
            .map(|v| ExternalId::parse("--external-id", &v))
            .transpose()?;
        Ok((agilix_account, external_id))
    }

    /// The AWS region and profile, when given (else the standard chain decides).
    fn location(t: &TargetArgs, file: &ConfigFile) -> Result<(Option<Region>, Option<String>)> {
        let region = pick(&t.aws.region, file, "region")
            .map(|v| Region::parse("--region", &v))
            .transpose()?;
        Ok((region, pick(&t.aws.profile, file, "profile")))
    }

    /// The title of our target in Buzz, defaulted from the stream name.
    fn title(t: &TargetArgs, file: &ConfigFile, stream: &StreamName) -> Result<Title> {
        Title::parse(
            "--title",
            &pick(&t.title, file, "title").unwrap_or_else(|| format!("Kinesis: {stream}")),
        )
    }

    /// Where and as whom to reach Buzz, and which domain.
    fn buzz(
        t: &TargetArgs,
        file: &ConfigFile,
        interactive: bool,
        stream: &StreamName,
    ) -> Result<BuzzSpec> {
        let url = BuzzUrl::parse(
            "--buzz-url",
            &pick(&t.buzz_url, file, "buzz-url").unwrap_or_else(|| BuzzUrl::DEFAULT.into()),
        )?;
        let domain = match pick(&t.domain, file, "domain") {
            Some(v) => DomainId::parse("--domain", &v)?,
            None if interactive => {
                ui::prompt_valid("Buzz domain (numeric id, or //userspace)", None, |s| {
                    DomainId::parse("--domain", s)
                })?
            }
            None => {
                return Err(Error::missing(
                    "the Buzz domain",
                    "--domain",
                    Some("BUZZ_DOMAIN_ID"),
                    " (its numeric id or //userspace)",
                ))
            }
        };
        let title = Self::title(t, file, stream)?;
        let otp = match &t.buzz_otp {
            Some(code) => Otp::Given(SecretString::from(parse_otp("--buzz-otp", code)?)),
            None if interactive => Otp::Prompt,
            None => Otp::Unavailable,
        };
        let credentials = Self::credentials(t, file, interactive)?;
        Ok(BuzzSpec {
            url,
            credentials,
            otp,
            domain,
            title,
        })
    }

    /// A bearer token (BUZZ_TOKEN) or a login. The password never comes from argv.
    fn credentials(t: &TargetArgs, file: &ConfigFile, interactive: bool) -> Result<Credentials> {
        if let Some(token) = nonempty_env("BUZZ_TOKEN") {
            return Ok(Credentials::Token(SecretString::from(token)));
        }
        let user = match pick(&t.buzz_user, file, "buzz-user") {
            Some(v) => BuzzUser::parse("--buzz-user", &v)?,
            None if interactive => ui::prompt_valid(
                "Buzz login (userspace/username of an administrator with the ControlDomain right)",
                None,
                |s| BuzzUser::parse("--buzz-user", s),
            )?,
            None => {
                return Err(Error::missing(
                    "a Buzz login",
                    "--buzz-user",
                    Some("BUZZ_USERNAME"),
                    " (or set BUZZ_TOKEN to a bearer token)",
                ))
            }
        };
        let password = if t.buzz_password_stdin {
            first_line(std::io::stdin().lock(), "stdin")?
        } else if let Some(path) = &t.buzz_password_file {
            let f = std::fs::File::open(path).map_err(|e| {
                Error::io(format!("opening the password file {}", path.display()), e)
            })?;
            first_line(std::io::BufReader::new(f), &path.display().to_string())?
        } else if let Some(p) = nonempty_env("BUZZ_PASSWORD") {
            SecretString::from(p)
        } else if interactive {
            ui::prompt_password(&format!("Buzz password for {user}"))?
        } else {
            return Err(Error::missing(
                "the Buzz password",
                "--buzz-password-stdin or --buzz-password-file",
                Some("BUZZ_PASSWORD"),
                "",
            ));
        };
        Ok(Credentials::Password { user, password })
    }
}

/// What the stream and role should look like beyond their names (`DesiredArgs`), validated:
/// shared by setup, check and policy.
struct Wanted {
    capacity: Capacity,
    retention: RetentionHours,
    kms_key: Option<KmsKey>,
    tags: Vec<Tag>,
    events: Vec<EventFilter>,
    warnings: Vec<String>,
    propagation_timeout: Duration,
    load: Option<crate::sizing::Load>,
}

impl Wanted {
    fn build(a: &DesiredArgs, file: &ConfigFile) -> Result<Self> {
        let mode =
            pick(&a.capacity_mode, file, "capacity-mode").unwrap_or_else(|| "on-demand".into());
        let shards = pick(&a.shards, file, "shards")
            .map(|s| ShardCount::parse("--shards", &s))
            .transpose()?;
        let capacity = match (mode.as_str(), shards) {
            ("on-demand", None) => Capacity::OnDemand,
            ("on-demand", Some(_)) => {
                return Err(Error::invalid(
                    "--shards",
                    &shards.map(|s| s.get().to_string()).unwrap_or_default(),
                    "--shards applies to --capacity-mode provisioned only (on-demand streams scale by themselves)",
                ))
            }
            ("provisioned", Some(n)) => Capacity::Provisioned(n),
            ("provisioned", None) => {
                return Err(Error::missing(
                    "the shard count of a provisioned stream",
                    "--shards",
                    None,
                    " (each shard takes 1,000 records/s and 1 MB/s)",
                ))
            }
            (other, _) => {
                return Err(Error::invalid(
                    "--capacity-mode",
                    other,
                    "the capacity mode is on-demand or provisioned",
                ))
            }
        };
        let retention = pick(&a.retention_hours, file, "retention-hours")
            .map(|s| RetentionHours::parse("--retention-hours", &s))
            .transpose()?
            .unwrap_or(RetentionHours::DEFAULT);
        let kms_key = pick(&a.kms_key, file, "kms-key")
            .map(|s| KmsKey::parse("--kms-key", &s))
            .transpose()?;
        let tag_texts = if a.tags.is_empty() {
            file.list("tag")
        } else {
            a.tags.clone()
        };
        let tags = tag_texts
            .iter()
            .map(|t| Tag::parse("--tag", t))
            .collect::<Result<Vec<_>>>()?;
        if tags.len() > 49 {
            return Err(Error::invalid(
                "--tag",
                &format!("{} tags", tags.len()),
                "at most 49 extra tags (AWS allows 50 per resource and setup adds managed-by)",
            ));
        }
        if tags.iter().any(|t| t.key == crate::plan::MANAGED_BY.0) {
            return Err(Error::invalid(
                "--tag",
                crate::plan::MANAGED_BY.0,
                "the managed-by tag is set by buzz-kinesis itself",
            ));
        }
        let event_texts = if a.events.is_empty() {
            file.list("event")
        } else {
            a.events.clone()
        };
        let events = event_texts
            .iter()
            .map(|e| EventFilter::parse("--event", e))
            .collect::<Result<Vec<_>>>()?;
        let warnings = events
            .iter()
            .filter(|e| !e.is_known())
            .map(|e| {
                format!(
                    "event type '{}' is not in Agilix's published list; it is sent as given (check the spelling)",
                    e.event_type
                )
            })
            .collect();
        let propagation_timeout = match pick(&a.propagation_timeout, file, "propagation-timeout") {
            None => Duration::from_secs(DEFAULT_PROPAGATION_TIMEOUT),
            Some(s) => match s.trim().parse::<u64>() {
                Ok(n) if (1..=3600).contains(&n) => Duration::from_secs(n),
                _ => {
                    return Err(Error::invalid(
                        "--propagation-timeout",
                        &s,
                        "a whole number of seconds from 1 to 3600",
                    ))
                }
            },
        };
        let load = match pick(
            &a.expected_events_per_second,
            file,
            "expected-events-per-second",
        ) {
            None => None,
            Some(e) => {
                let eps = parse_positive("--expected-events-per-second", &e, 10_000_000.0)?;
                let bytes = match pick(&a.avg_event_bytes, file, "avg-event-bytes") {
                    Some(b) => parse_positive("--avg-event-bytes", &b, 1_048_576.0)?,
                    None => 1000.0,
                };
                Some(crate::sizing::Load {
                    events_per_second: eps,
                    avg_event_bytes: bytes,
                })
            }
        };
        Ok(Self {
            capacity,
            retention,
            kms_key,
            tags,
            events,
            warnings,
            propagation_timeout,
            load,
        })
    }
}

impl SetupSpec {
    /// Validate everything `setup` was given; prompt for what is missing when `interactive`.
    pub fn from_args(target: &TargetArgs, a: &DesiredArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(target.config.as_deref())?;
        // Validate what needs no prompt first, so a typo is reported before any question.
        let Wanted {
            capacity,
            retention,
            kms_key,
            tags,
            events,
            warnings,
            propagation_timeout,
            load,
        } = Wanted::build(a, &file)?;
        let given_stream = pick(&target.stream, &file, "stream").is_some();
        let given_capacity = pick(&a.capacity_mode, &file, "capacity-mode").is_some();
        if interactive {
            ui::wizard::intro();
        }
        let target = TargetSpec::build(target, &file, interactive)?;
        Ok(Self {
            given_stream,
            given_capacity,
            stream: target.stream,
            capacity,
            retention,
            allow_retention_decrease: a.allow_retention_decrease
                || file.flag("allow-retention-decrease"),
            kms_key,
            tags,
            role: target.role,
            agilix_account: target.agilix_account,
            external_id: target.external_id,
            adopt: a.adopt || file.flag("adopt"),
            buzz: target.buzz,
            events,
            enable: !(a.no_enable || file.flag("no-enable")),
            propagation_timeout,
            load,
            region: target.region,
            profile: target.profile,
            warnings,
        })
    }
}

/// Everything `teardown` needs, validated: which setup to remove and how to reach Buzz.
/// Agilix's account is not asked for: teardown creates nothing.
pub struct TeardownSpec {
    pub stream: StreamName,
    pub role: RoleName,
    pub buzz: BuzzSpec,
    pub region: Option<Region>,
    pub profile: Option<String>,
}

impl TeardownSpec {
    /// Validate what `teardown` was given; prompt for what is missing when `interactive`.
    pub fn from_args(t: &TargetArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(t.config.as_deref())?;
        let (stream, role) = TargetSpec::names(t, &file)?;
        let (region, profile) = TargetSpec::location(t, &file)?;
        let buzz = TargetSpec::buzz(t, &file, interactive, &stream)?;
        Ok(Self {
            stream,
            role,
            buzz,
            region,
            profile,
        })
    }
}

/// Everything `policy` needs: the same values setup would use, but no Buzz login (nothing is
/// sent to Buzz; the domain, when given, only fills in the request to paste).
pub struct PolicySpec {
    pub stream: StreamName,
    pub role: RoleName,
    pub agilix_account: AccountId,
    pub external_id: Option<ExternalId>,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    pub kms_key: Option<KmsKey>,
    pub tags: Vec<Tag>,
    pub events: Vec<EventFilter>,
    pub title: Title,
    pub domain: Option<DomainId>,
    pub region: Option<Region>,
    pub profile: Option<String>,
    pub warnings: Vec<String>,
}

impl PolicySpec {
    /// Validate what `policy` was given; prompt for Agilix's account when `interactive`.
    pub fn from_args(t: &TargetArgs, a: &DesiredArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(t.config.as_deref())?;
        let Wanted {
            capacity,
            retention,
            kms_key,
            tags,
            events,
            warnings,
            ..
        } = Wanted::build(a, &file)?;
        let (stream, role) = TargetSpec::names(t, &file)?;
        let (agilix_account, external_id) = TargetSpec::agilix(t, &file, interactive)?;
        let (region, profile) = TargetSpec::location(t, &file)?;
        let domain = pick(&t.domain, &file, "domain")
            .map(|v| DomainId::parse("--domain", &v))
            .transpose()?;
        let title = TargetSpec::title(t, &file, &stream)?;
        Ok(Self {
            stream,
            role,
            agilix_account,
            external_id,
            capacity,
            retention,
            kms_key,
            tags,
            events,
            title,
            domain,
            region,
            profile,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_rejects_unknown_keys_and_reads_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "stream = \"s\"\nshards = 3\ntag = [\"a=b\"]\nadopt = true\n",
        )
        .unwrap();
        let f = ConfigFile::load(Some(&p)).unwrap();
        assert_eq!(f.text("stream").as_deref(), Some("s"));
        assert_eq!(f.text("shards").as_deref(), Some("3"));
        assert_eq!(f.list("tag"), ["a=b"]);
        assert!(f.flag("adopt"));
        std::fs::write(
            &p,
            "expected-events-per-second = 250\navg-event-bytes = 800\n",
        )
        .unwrap();
        assert_eq!(
            ConfigFile::load(Some(&p))
                .unwrap()
                .text("avg-event-bytes")
                .as_deref(),
            Some("800")
        );
        std::fs::write(&p, "password = \"x\"\n").unwrap();
        let e = ConfigFile::load(Some(&p)).err().unwrap().to_string();
        assert!(e.contains("unknown key 'password'"), "{e}");
    }

    #[test]
    fn passwords_are_read_from_the_first_line() {
        use secrecy::ExposeSecret;
        let p = first_line("s3cret\nrest\n".as_bytes(), "stdin").unwrap();
        assert_eq!(p.expose_secret(), "s3cret");
        assert!(first_line("".as_bytes(), "stdin").is_err());
    }
}
