//! The validated request. Values come from flags, then env vars (clap reads both), then the
//! `--config` TOML file, then the wizard's prompts (only when a person is at a terminal), then
//! defaults. Everything is checked here, before the first network call.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use secrecy::SecretString;

use crate::aws::kinesis::StartAt;
use crate::buzz::{AppIdentity, Credentials, Otp};
use crate::cli::{AwsArgs, DesiredArgs, HalfArgs, SetupOnlyArgs, TailArgs, TargetArgs};
use crate::error::{Error, Result};
use crate::names::*;
use crate::sizing::Capacity;
use crate::state::Half;
use crate::ui;

pub use crate::names::{DEFAULT_ROLE, DEFAULT_STREAM};
const DEFAULT_PROPAGATION_TIMEOUT: u64 = 90;

/// Where the Buzz session comes from.
pub struct BuzzSpec {
    pub url: BuzzUrl,
    pub credentials: Credentials,
    pub otp: Otp,
    pub domain: DomainId,
    pub title: Title,
}

/// Our target in Buzz as a run without a Buzz login knows it (`--aws-only`): enough to hand
/// the Buzz half over, nothing to log in with.
pub struct BuzzTargetSpec {
    pub url: BuzzUrl,
    /// When given; the Buzz half asks for it otherwise.
    pub domain: Option<DomainId>,
    pub title: Title,
    /// The login's name, when given (never a password).
    pub user: Option<BuzzUser>,
}

/// The Buzz side of a setup or check: a login to use, or (`--aws-only`) only what to hand over.
pub enum BuzzSide {
    Login(BuzzSpec),
    Handover(BuzzTargetSpec),
}

impl BuzzSide {
    /// The domain, when known.
    pub fn domain(&self) -> Option<&DomainId> {
        match self {
            BuzzSide::Login(b) => Some(&b.domain),
            BuzzSide::Handover(h) => h.domain.as_ref(),
        }
    }
    /// Our target's title.
    pub fn title(&self) -> &Title {
        match self {
            BuzzSide::Login(b) => &b.title,
            BuzzSide::Handover(h) => &h.title,
        }
    }
}

/// Where AWS is reached: the profile and region, when given (else the standard chain
/// decides). Shared by every command that calls AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsSpec {
    pub region: Option<Region>,
    pub profile: Option<String>,
}

impl AwsSpec {
    /// From the flags (and env vars), then the config file.
    fn build(a: &AwsArgs, file: &ConfigFile) -> Result<Self> {
        let region = pick(&a.region, &file.region)
            .map(|v| Region::parse("--region", &v))
            .transpose()?;
        Ok(Self {
            region,
            profile: pick(&a.profile, &file.profile),
        })
    }
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
    /// What widens or drops access, each only by its flag (never from a config file).
    pub widen: crate::plan::Widen,
    pub buzz: BuzzSide,
    /// Both halves, or (`--aws-only`) the AWS half; `--buzz-only` is a [`BuzzHalfSpec`].
    pub half: Half,
    pub events: Vec<EventFilter>,
    pub enable: bool,
    pub propagation_timeout: Duration,
    pub aws: AwsSpec,
    /// Whether the stream name and its capacity were given (else the wizard may ask).
    pub given_stream: bool,
    pub given_capacity: bool,
    /// The expected peak load, when given.
    pub load: Option<crate::sizing::Load>,
    /// Warnings found while validating (unknown event types...).
    pub warnings: Vec<String>,
    pub allow_capacity_decrease: bool,
    /// `--alarm-email` addresses and `--alarm-topic`; an alarm is wanted when either is given.
    pub alarm_emails: Vec<Email>,
    pub alarm_topic: Option<TopicArn>,
}

/// An `--expect-domain` value (check, tail): a numeric domain id, since events carry the
/// numeric id and a `//userspace` path would match none of them.
fn expected_domain(d: &str) -> Result<DomainId> {
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

/// Whether a person can answer prompts: not with `--yes`, not when stdin is not a terminal,
/// not in CI (`CI` set to anything but empty, `false` or `0`).
pub fn interactive(yes: bool) -> bool {
    !yes && std::io::stdin().is_terminal() && !in_ci(std::env::var("CI").ok().as_deref())
}

/// Whether the `CI` variable says this is a CI job (`CI=false` and `CI=0` say it is not).
pub fn in_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "false" | "0"))
}

/// The config file: every key is a long flag's name, typed as the flag's value. A key that is
/// not a setting (a password, a typo) or a value of the wrong type is an error naming the key
/// and the file. Secrets never go here.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    stream: Option<String>,
    role: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    agilix_account: Option<String>,
    external_id: Option<String>,
    buzz_url: Option<String>,
    buzz_user: Option<String>,
    /// The application identity: its id and the key file's path (never the key itself).
    #[serde(default, deserialize_with = "string_or_number")]
    buzz_client_id: Option<String>,
    buzz_key_file: Option<String>,
    buzz_key_id: Option<String>,
    buzz_token_audience: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    domain: Option<String>,
    title: Option<String>,
    profile: Option<String>,
    region: Option<String>,
    capacity_mode: Option<String>,
    shards: Option<u32>,
    retention_hours: Option<u32>,
    kms_key: Option<String>,
    #[serde(default)]
    tag: Vec<String>,
    #[serde(default)]
    event: Vec<String>,
    propagation_timeout: Option<u64>,
    #[serde(default)]
    allow_retention_decrease: bool,
    #[serde(default)]
    allow_capacity_decrease: bool,
    #[serde(default)]
    alarm_email: Vec<String>,
    alarm_topic: Option<String>,
    #[serde(default)]
    adopt: bool,
    #[serde(default)]
    no_enable: bool,
    role_arn: Option<String>,
    expected_events_per_second: Option<f64>,
    avg_event_bytes: Option<f64>,
}

/// Account numbers and domain ids are digits: `domain = 424242` is as good as `"424242"`.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a whole number")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(Visitor)
}

impl ConfigFile {
    /// The file `--config` or `BUZZ_KINESIS_CONFIG` names (it must exist), else
    /// `$XDG_CONFIG_HOME/buzz-kinesis/config.toml` (`~/.config/...`) when it exists, else none.
    pub fn load(given: Option<&Path>) -> Result<Self> {
        match given {
            Some(path) => Self::read(path),
            None => match default_config_path().filter(|p| p.is_file()) {
                Some(path) => Self::read(&path),
                None => Ok(Self::default()),
            },
        }
    }

    /// The AWS profile the file names.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    fn read(path: &Path) -> Result<Self> {
        let err = |reason: String| Error::ConfigFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        toml::from_str(&text).map_err(|e| {
            // Toml's own Display quotes the offending line, which may hold a pasted secret:
            // give its position and message only.
            let mut reason = e.message().trim_end().to_owned();
            if let Some(span) = e.span() {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                // The key on that line (never its value), so a type error names its key.
                let key = text
                    .lines()
                    .nth(line - 1)
                    .and_then(|l| l.split_once('='))
                    .map(|(k, _)| k.trim().trim_matches('"'))
                    .filter(|k| !k.is_empty() && !reason.contains(&format!("`{k}`")))
                    .map(|k| format!("key `{k}`: "))
                    .unwrap_or_default();
                reason = format!("line {line}, column {column}: {key}{reason}");
            }
            if reason.contains("unknown field") {
                reason.push_str("\n(keys are the long flags' names; secrets never go in this file: use BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP)");
            }
            err(reason)
        })
    }
}

/// `$XDG_CONFIG_HOME/buzz-kinesis/config.toml`, or `$HOME/.config/...`.
pub fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("buzz-kinesis").join("config.toml"))
}

/// Flag (or env) value, else the config file's.
fn pick(flag: &Option<String>, file: &Option<String>) -> Option<String> {
    flag.clone().or_else(|| file.clone())
}

/// Like [`pick`], for a number in the file.
fn pick_num<N: ToString>(flag: &Option<String>, file: Option<N>) -> Option<String> {
    flag.clone().or_else(|| file.map(|n| n.to_string()))
}

/// Without a person to ask, every missing required value in one error, so one run tells a CI
/// job everything it must add. `agilix`: Agilix's account is needed; `buzz`: a Buzz login and
/// domain are; `buzz_half`: the AWS half's role ARN and region are (`--buzz-only`).
fn require_all(
    t: &TargetArgs,
    file: &ConfigFile,
    agilix: bool,
    buzz: bool,
    buzz_half: Option<&HalfArgs>,
) -> Result<()> {
    // A value given but wrong is reported before the ones left out, as an interactive run would.
    let mut missing = Vec::new();
    if let Some(v) = pick(&t.names.stream, &file.stream) {
        StreamName::parse("--stream", &v)?;
    }
    if let Some(v) = pick(&t.names.role, &file.role) {
        RoleName::parse("--role", &v)?;
    }
    match pick(&t.agilix.agilix_account, &file.agilix_account) {
        Some(v) => drop(AccountId::parse("--agilix-account", &v)?),
        None if agilix => missing.push(missing_agilix_account()),
        None => {}
    }
    if let Some(h) = buzz_half {
        match pick(&h.role_arn, &file.role_arn) {
            Some(v) => drop(RoleArn::parse("--role-arn", &v)?),
            None => missing.push(missing_role_arn()),
        }
        match pick(&t.aws.region, &file.region) {
            Some(v) => drop(Region::parse("--region", &v)?),
            None => missing.push(Error::missing(
                "the stream's AWS region",
                "--region",
                Some("AWS_REGION"),
                " (the AWS half's --region; --buzz-only reads no AWS profile)",
            )),
        }
    }
    if buzz {
        match pick(&t.buzz.domain, &file.domain) {
            Some(v) => drop(DomainId::parse("--domain", &v)?),
            None => missing.push(missing_domain()),
        }
        if identity_given(t, file) {
            match pick(&t.buzz.identity.buzz_client_id, &file.buzz_client_id) {
                Some(v) => drop(ClientId::parse("--buzz-client-id", &v)?),
                None => missing.push(Error::missing(
                    "the application identity's client id",
                    "--buzz-client-id",
                    Some("BUZZ_CLIENT_ID"),
                    " (its Buzz userid, as `buzz-kinesis buzz-identity` printed it)",
                )),
            }
            if key_file(t, file).is_none() {
                missing.push(Error::missing(
                    "the application identity's private key",
                    "--buzz-key-file",
                    Some("BUZZ_KEY_FILE"),
                    " (the PEM file `buzz-kinesis buzz-identity` wrote)",
                ));
            }
        } else if nonempty_env("BUZZ_TOKEN").is_none() {
            match pick(&t.buzz.buzz_user, &file.buzz_user) {
                Some(v) => drop(BuzzUser::parse("--buzz-user", &v)?),
                None => missing.push(missing_buzz_user()),
            }
            if !t.buzz.buzz_password_stdin
                && t.buzz.buzz_password_file.is_none()
                && nonempty_env("BUZZ_PASSWORD").is_none()
            {
                missing.push(missing_password());
            }
        }
    }
    match missing.len() {
        0 => Ok(()),
        1 => Err(missing.remove(0)),
        _ => Err(Error::MissingValues(missing)),
    }
}

fn missing_agilix_account() -> Error {
    Error::missing(
        "Agilix's AWS account number",
        "--agilix-account",
        Some("BUZZ_AGILIX_ACCOUNT_ID"),
        " (ask Agilix support for it)",
    )
}

fn missing_role_arn() -> Error {
    Error::missing(
        "the role the AWS half made",
        "--role-arn",
        None,
        " (its ARN, as `buzz-kinesis setup --aws-only` printed it)",
    )
}

fn missing_domain() -> Error {
    Error::missing(
        "the Buzz domain",
        "--domain",
        Some("BUZZ_DOMAIN_ID"),
        " (its numeric id or //userspace)",
    )
}

fn missing_buzz_user() -> Error {
    Error::missing(
        "a Buzz login",
        "--buzz-user",
        Some("BUZZ_USERNAME"),
        " (or set BUZZ_TOKEN to a bearer token)",
    )
}

fn missing_password() -> Error {
    Error::missing(
        "the Buzz password",
        "--buzz-password-stdin or --buzz-password-file",
        Some("BUZZ_PASSWORD"),
        "",
    )
}

/// Whether a Buzz login was given without asking (a token, or a user with a password
/// source): the wizard asks which logins a person has only when this or AWS's is unclear.
pub fn buzz_login_given(t: &TargetArgs, file: &ConfigFile) -> bool {
    identity_given(t, file)
        || nonempty_env("BUZZ_TOKEN").is_some()
        || pick(&t.buzz.buzz_user, &file.buzz_user).is_some()
        || t.buzz.buzz_password_stdin
        || t.buzz.buzz_password_file.is_some()
        || nonempty_env("BUZZ_PASSWORD").is_some()
}

/// Whether the run signs in as an application identity (a client id or a key file given).
pub fn identity_given(t: &TargetArgs, file: &ConfigFile) -> bool {
    pick(&t.buzz.identity.buzz_client_id, &file.buzz_client_id).is_some()
        || key_file(t, file).is_some()
}

fn key_file(t: &TargetArgs, file: &ConfigFile) -> Option<PathBuf> {
    t.buzz
        .identity
        .buzz_key_file
        .clone()
        .or_else(|| file.buzz_key_file.as_ref().map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty())
}

/// The Buzz host when none is given: the interactive host only when a person at the terminal
/// waits on a password login; the background host for everything else (`check` passes
/// `person_waits = false`).
fn buzz_url(t: &TargetArgs, file: &ConfigFile, person_waits: bool) -> Result<BuzzUrl> {
    let person_waits = person_waits && !identity_given(t, file);
    BuzzUrl::parse(
        "--buzz-url",
        &pick(&t.buzz.buzz_url, &file.buzz_url)
            .unwrap_or_else(|| BuzzUrl::default_for(person_waits).into()),
    )
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
    pub buzz: BuzzSide,
    pub aws: AwsSpec,
}

impl TargetSpec {
    fn build(t: &TargetArgs, file: &ConfigFile, interactive: bool, half: Half) -> Result<Self> {
        let (stream, role) = Self::names(t, file)?;
        let (agilix_account, external_id) = Self::agilix(t, file, interactive)?;
        let aws = AwsSpec::build(&t.aws, file)?;
        let buzz = if half.uses_buzz() {
            BuzzSide::Login(Self::buzz(t, file, interactive, &stream)?)
        } else {
            BuzzSide::Handover(Self::handover(t, file, &stream)?)
        };
        Ok(Self {
            stream,
            role,
            agilix_account,
            external_id,
            buzz,
            aws,
        })
    }

    /// The stream and the role, defaulted.
    fn names(t: &TargetArgs, file: &ConfigFile) -> Result<(StreamName, RoleName)> {
        let stream = StreamName::parse(
            "--stream",
            &pick(&t.names.stream, &file.stream).unwrap_or_else(|| DEFAULT_STREAM.into()),
        )?;
        let role = RoleName::parse(
            "--role",
            &pick(&t.names.role, &file.role).unwrap_or_else(|| DEFAULT_ROLE.into()),
        )?;
        Ok((stream, role))
    }

    /// Agilix's account (required: there is no public default) and the optional external id.
    fn agilix(
        t: &TargetArgs,
        file: &ConfigFile,
        interactive: bool,
    ) -> Result<(AccountId, Option<ExternalId>)> {
        let agilix_account = match pick(&t.agilix.agilix_account, &file.agilix_account) {
            Some(v) => AccountId::parse("--agilix-account", &v)?,
            None if interactive => ui::prompt_valid(
                "Agilix's AWS account number (12 digits, from Agilix support or your sales representative)",
                None,
                |s| AccountId::parse("--agilix-account", s),
            )?,
            None => return Err(missing_agilix_account()),
        };
        let external_id = pick(&t.agilix.external_id, &file.external_id)
            .map(|v| ExternalId::parse("--external-id", &v))
            .transpose()?;
        Ok((agilix_account, external_id))
    }

    /// The title of our target in Buzz, defaulted from the stream name.
    fn title(t: &TargetArgs, file: &ConfigFile, stream: &StreamName) -> Result<Title> {
        Title::parse(
            "--title",
            &pick(&t.title, &file.title).unwrap_or_else(|| format!("Kinesis: {stream}")),
        )
    }

    /// What the AWS half knows of our target in Buzz, without a login: nothing is asked.
    fn handover(t: &TargetArgs, file: &ConfigFile, stream: &StreamName) -> Result<BuzzTargetSpec> {
        Ok(BuzzTargetSpec {
            url: buzz_url(t, file, false)?,
            domain: pick(&t.buzz.domain, &file.domain)
                .map(|v| DomainId::parse("--domain", &v))
                .transpose()?,
            title: Self::title(t, file, stream)?,
            user: pick(&t.buzz.buzz_user, &file.buzz_user)
                .map(|v| BuzzUser::parse("--buzz-user", &v))
                .transpose()?,
        })
    }

    /// Where and as whom to reach Buzz, and which domain.
    fn buzz(
        t: &TargetArgs,
        file: &ConfigFile,
        interactive: bool,
        stream: &StreamName,
    ) -> Result<BuzzSpec> {
        let url = buzz_url(t, file, interactive)?;
        let domain = match pick(&t.buzz.domain, &file.domain) {
            Some(v) => DomainId::parse("--domain", &v)?,
            None if interactive => {
                ui::prompt_valid("Buzz domain (numeric id, or //userspace)", None, |s| {
                    DomainId::parse("--domain", s)
                })?
            }
            None => return Err(missing_domain()),
        };
        let title = Self::title(t, file, stream)?;
        let otp = Self::otp(t, interactive)?;
        let credentials = Self::credentials(t, file, interactive)?;
        Ok(BuzzSpec {
            url,
            credentials,
            otp,
            domain,
            title,
        })
    }

    /// The MFA code, should Buzz ask: BUZZ_OTP, `--buzz-otp-file`, else a prompt. Never from
    /// argv: `--buzz-otp CODE` is refused before anything is sent.
    fn otp(t: &TargetArgs, interactive: bool) -> Result<Otp> {
        if t.buzz.buzz_otp.is_some() {
            return Err(Error::Usage(
                "--buzz-otp puts the one-time code on the command line, where any user of this machine can read it (ps, shell history): set BUZZ_OTP instead (or pass --buzz-otp-file FILE, or answer the prompt). Nothing was sent".into(),
            ));
        }
        if let Some(path) = &t.buzz.buzz_otp_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::io(
                    format!("reading the one-time code file {}", path.display()),
                    e,
                )
            })?;
            let code = text.lines().next().unwrap_or_default().trim();
            return Ok(Otp::Given(SecretString::from(parse_otp(
                "--buzz-otp-file",
                code,
            )?)));
        }
        Ok(match nonempty_env("BUZZ_OTP") {
            Some(code) => Otp::Given(SecretString::from(parse_otp("BUZZ_OTP", code.trim())?)),
            None if interactive => Otp::Prompt(ui::prompt_otp),
            None => Otp::Unavailable,
        })
    }

    /// An application identity, a bearer token (BUZZ_TOKEN) or a login. The password never
    /// comes from argv, the key only from its file.
    fn credentials(t: &TargetArgs, file: &ConfigFile, interactive: bool) -> Result<Credentials> {
        if identity_given(t, file) {
            let id = &t.buzz.identity;
            let client_id = match pick(&id.buzz_client_id, &file.buzz_client_id) {
                Some(v) => ClientId::parse("--buzz-client-id", &v)?,
                None => {
                    return Err(Error::missing(
                        "the application identity's client id",
                        "--buzz-client-id",
                        Some("BUZZ_CLIENT_ID"),
                        " (its Buzz userid, as `buzz-kinesis buzz-identity` printed it)",
                    ))
                }
            };
            let key_id = pick(&id.buzz_key_id, &file.buzz_key_id)
                .map(|v| KeyId::parse("--buzz-key-id", &v))
                .transpose()?;
            let audience = pick(&id.buzz_token_audience, &file.buzz_token_audience)
                .filter(|a| !a.trim().is_empty());
            let Some(path) = key_file(t, file) else {
                return Err(Error::missing(
                    "the application identity's private key",
                    "--buzz-key-file",
                    Some("BUZZ_KEY_FILE"),
                    " (the PEM file `buzz-kinesis buzz-identity` wrote)",
                ));
            };
            let identity = AppIdentity::load(client_id, key_id, audience, path)?;
            return Ok(Credentials::Identity(Box::new(identity)));
        }
        if let Some(token) = nonempty_env("BUZZ_TOKEN") {
            return Ok(Credentials::Token(SecretString::from(token)));
        }
        let user = match pick(&t.buzz.buzz_user, &file.buzz_user) {
            Some(v) => BuzzUser::parse("--buzz-user", &v)?,
            None if interactive => ui::prompt_valid(
                "Buzz login (userspace/username of an administrator with the ControlDomain right)",
                None,
                |s| BuzzUser::parse("--buzz-user", s),
            )?,
            None => return Err(missing_buzz_user()),
        };
        let password = if t.buzz.buzz_password_stdin {
            first_line(std::io::stdin().lock(), "stdin")?
        } else if let Some(path) = &t.buzz.buzz_password_file {
            let f = std::fs::File::open(path).map_err(|e| {
                Error::io(format!("opening the password file {}", path.display()), e)
            })?;
            first_line(std::io::BufReader::new(f), &path.display().to_string())?
        } else if let Some(p) = nonempty_env("BUZZ_PASSWORD") {
            SecretString::from(p)
        } else if interactive {
            ui::prompt_password(&format!("Buzz password for {user}"))?
        } else {
            return Err(missing_password());
        };
        Ok(Credentials::Password { user, password })
    }
}

/// What `buzz-identity` makes: where the key goes, the identity's name and key id, the domain,
/// and (with `--send`) the administrator's login that creates it.
pub struct BuzzIdentitySpec {
    pub key_out: PathBuf,
    pub name: String,
    pub key_id: Option<KeyId>,
    pub domain: DomainId,
    pub url: BuzzUrl,
    /// `--send`: the administrator's login (never an application identity).
    pub login: Option<BuzzSpec>,
}

impl BuzzIdentitySpec {
    pub const NAME_RULE: Rule =
        "an identity's username is 1-64 letters, digits, '.', '_', '-' or '@'";

    pub fn from_args(a: &crate::cli::BuzzIdentityArgs, interactive: bool) -> Result<Self> {
        let name = a.name.trim().to_owned();
        let name_ok = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !name_ok {
            return Err(Error::invalid("--name", &a.name, Self::NAME_RULE));
        }
        let key_id = a
            .key_id
            .as_deref()
            .map(|k| KeyId::parse("--key-id", k))
            .transpose()?;
        // A person creates the identity: never sign in as one to do it.
        let mut buzz = a.buzz.clone();
        buzz.identity = crate::cli::IdentityArgs::default();
        let t = TargetArgs {
            buzz,
            config: a.config.clone(),
            ..TargetArgs::default()
        };
        let file = ConfigFile::load(a.config.as_deref())?;
        if a.send {
            if !interactive {
                require_all(&t, &file, false, true, None)?;
            }
            let stream = StreamName::parse("--stream", DEFAULT_STREAM)?;
            let login = TargetSpec::buzz(&t, &file, interactive, &stream)?;
            return Ok(Self {
                key_out: a.key_out.clone(),
                name,
                key_id,
                domain: login.domain.clone(),
                url: login.url.clone(),
                login: Some(login),
            });
        }
        let domain = match pick(&t.buzz.domain, &file.domain) {
            Some(v) => DomainId::parse("--domain", &v)?,
            None => return Err(missing_domain()),
        };
        Ok(Self {
            key_out: a.key_out.clone(),
            name,
            key_id,
            domain,
            url: buzz_url(&t, &file, interactive)?,
            login: None,
        })
    }
}

/// What the stream and role should look like beyond their names (`DesiredArgs`), validated:
/// shared by setup, check and policy.
struct Wanted {
    alarm_emails: Vec<Email>,
    alarm_topic: Option<TopicArn>,
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
    fn build(a: &DesiredArgs, setup: &SetupOnlyArgs, file: &ConfigFile) -> Result<Self> {
        let mode =
            pick(&a.capacity_mode, &file.capacity_mode).unwrap_or_else(|| "on-demand".into());
        let shards = pick_num(&a.shards, file.shards)
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
        let retention = pick_num(&a.retention_hours, file.retention_hours)
            .map(|s| RetentionHours::parse("--retention-hours", &s))
            .transpose()?
            .unwrap_or(RetentionHours::DEFAULT);
        let kms_key = pick(&a.kms_key, &file.kms_key)
            .map(|s| KmsKey::parse("--kms-key", &s))
            .transpose()?;
        let tag_texts = if a.tags.is_empty() {
            file.tag.clone()
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
        if tags.iter().any(|t| t.key == crate::state::MANAGED_BY.0) {
            return Err(Error::invalid(
                "--tag",
                crate::state::MANAGED_BY.0,
                "the managed-by tag is set by buzz-kinesis itself",
            ));
        }
        let event_texts = if a.events.is_empty() {
            file.event.clone()
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
        let propagation_timeout =
            match pick_num(&setup.propagation_timeout, file.propagation_timeout) {
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
        let load = match pick_num(
            &a.expected_events_per_second,
            file.expected_events_per_second,
        ) {
            None => None,
            Some(e) => {
                let eps = parse_positive("--expected-events-per-second", &e, 10_000_000.0)?;
                let bytes = match pick_num(&a.avg_event_bytes, file.avg_event_bytes) {
                    Some(b) => parse_positive("--avg-event-bytes", &b, 1_048_576.0)?,
                    None => 1000.0,
                };
                Some(crate::sizing::Load {
                    events_per_second: eps,
                    avg_event_bytes: bytes,
                })
            }
        };
        let email_texts = if a.alarm_emails.is_empty() {
            file.alarm_email.clone()
        } else {
            a.alarm_emails.clone()
        };
        let mut alarm_emails = email_texts
            .iter()
            .map(|e| Email::parse("--alarm-email", e))
            .collect::<Result<Vec<_>>>()?;
        alarm_emails.sort();
        alarm_emails.dedup();
        let alarm_topic = pick(&a.alarm_topic, &file.alarm_topic)
            .map(|t| TopicArn::parse("--alarm-topic", &t))
            .transpose()?;
        Ok(Self {
            alarm_emails,
            alarm_topic,
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

/// Everything `check` needs, validated: the setup it checks, described by the flags setup
/// takes (but for what only setup uses). Built without the wizard: check asks only for a
/// missing name or secret, and says nothing about changes it never makes.
pub struct CheckSpec {
    pub expected: Expected,
    /// How far back the metrics and the record sample look.
    pub since: Since,
    /// Domains whose events belong in the stream; empty: the configured domain.
    pub expect_domains: Vec<DomainId>,
}

impl CheckSpec {
    /// Validate what `check` was given; prompt for what is missing when `interactive`.
    pub fn from_args(args: &crate::cli::CheckArgs, interactive: bool) -> Result<Self> {
        // Check's own values first: a typo is reported before any question.
        let since = args
            .since
            .as_deref()
            .map(|s| Since::parse("--since", s))
            .transpose()?
            .unwrap_or(Since::DEFAULT);
        let expect_domains = args
            .expect_domains
            .iter()
            .map(|d| expected_domain(d))
            .collect::<Result<Vec<_>>>()?;
        let expected = match args.half.half() {
            Half::Buzz => Expected::BuzzHalf(Box::new(BuzzHalfSpec::build(
                &args.target,
                &args.desired,
                &SetupOnlyArgs::default(),
                &args.half,
                interactive,
            )?)),
            half => Expected::Setup(Box::new(SetupSpec::build(
                &args.target,
                &args.desired,
                &SetupOnlyArgs::default(),
                interactive,
                half,
            )?)),
        };
        let mut expected = expected;
        // check is background work, even with a person at the terminal.
        let file = ConfigFile::load(args.target.config.as_deref())?;
        if pick(&args.target.buzz.buzz_url, &file.buzz_url).is_none() {
            let buzz = match &mut expected {
                Expected::Setup(s) => match &mut s.buzz {
                    BuzzSide::Login(b) => Some(&mut b.url),
                    BuzzSide::Handover(h) => Some(&mut h.url),
                },
                Expected::BuzzHalf(h) => Some(&mut h.buzz.url),
            };
            if let Some(url) = buzz {
                *url = BuzzUrl::parse("--buzz-url", BuzzUrl::BACKGROUND)?;
            }
        }
        Ok(Self {
            expected,
            since,
            expect_domains,
        })
    }
}

/// What `check` compares against: a whole setup (or its AWS half), or the Buzz half alone.
pub enum Expected {
    Setup(Box<SetupSpec>),
    BuzzHalf(Box<BuzzHalfSpec>),
}

/// The Buzz half alone (`--buzz-only`): our target in the domain's configuration, naming the
/// stream and the role the AWS half made. Nothing here needs AWS credentials.
pub struct BuzzHalfSpec {
    pub role_arn: RoleArn,
    pub stream: StreamName,
    pub region: Region,
    pub buzz: BuzzSpec,
    pub events: Vec<EventFilter>,
    pub enable: bool,
    pub propagation_timeout: Duration,
    pub warnings: Vec<String>,
}

impl BuzzHalfSpec {
    /// Validate what `setup --buzz-only` was given; prompt for what is missing when
    /// `interactive`.
    pub fn for_setup(args: &crate::cli::SetupArgs, interactive: bool) -> Result<Self> {
        Self::build(
            &args.target,
            &args.desired,
            &args.setup,
            &args.half,
            interactive,
        )
    }

    fn build(
        target: &TargetArgs,
        a: &DesiredArgs,
        setup: &SetupOnlyArgs,
        half: &HalfArgs,
        interactive: bool,
    ) -> Result<Self> {
        let file = ConfigFile::load(target.config.as_deref())?;
        let Wanted {
            events,
            warnings,
            propagation_timeout,
            ..
        } = Wanted::build(a, setup, &file)?;
        if !interactive {
            require_all(target, &file, false, true, Some(half))?;
        }
        let role_arn = match pick(&half.role_arn, &file.role_arn) {
            Some(v) => RoleArn::parse("--role-arn", &v)?,
            None if interactive => ui::prompt_valid(
                "The role's ARN (from `setup --aws-only`, e.g. arn:aws:iam::123456789012:role/BuzzKinesisWriter)",
                None,
                |s| RoleArn::parse("--role-arn", s),
            )?,
            None => return Err(missing_role_arn()),
        };
        let stream = match pick(&target.names.stream, &file.stream) {
            Some(v) => StreamName::parse("--stream", &v)?,
            None if interactive => ui::prompt_valid(
                "The stream's name (from the AWS half)",
                Some(DEFAULT_STREAM),
                |s| StreamName::parse("--stream", s),
            )?,
            None => StreamName::parse("--stream", DEFAULT_STREAM)?,
        };
        let region = match pick(&target.aws.region, &file.region) {
            Some(v) => Region::parse("--region", &v)?,
            None if interactive => ui::prompt_valid(
                "The stream's AWS region (from the AWS half, e.g. us-east-1)",
                None,
                |s| Region::parse("--region", s),
            )?,
            None => {
                return Err(Error::missing(
                    "the stream's AWS region",
                    "--region",
                    Some("AWS_REGION"),
                    " (the AWS half's --region; --buzz-only reads no AWS profile)",
                ))
            }
        };
        let buzz = TargetSpec::buzz(target, &file, interactive, &stream)?;
        Ok(Self {
            role_arn,
            stream,
            region,
            buzz,
            events,
            enable: !(setup.no_enable || file.no_enable),
            propagation_timeout,
            warnings,
        })
    }

    /// Our target as Buzz should hold it.
    pub fn target(&self) -> crate::buzz::wire::KinesisTarget {
        crate::buzz::wire::KinesisTarget {
            title: self.buzz.title.to_string(),
            enabled: true,
            stream: self.stream.to_string(),
            role_arn: self.role_arn.to_string(),
            region: self.region.to_string(),
            filters: self.events.clone(),
        }
    }
}

impl SetupSpec {
    /// Validate everything `setup` was given (both halves, or `half` alone, the AWS one);
    /// prompt for what is missing when `interactive`.
    pub fn for_setup(args: &crate::cli::SetupArgs, interactive: bool, half: Half) -> Result<Self> {
        Self::build(&args.target, &args.desired, &args.setup, interactive, half)
    }

    fn build(
        target: &TargetArgs,
        a: &DesiredArgs,
        setup: &SetupOnlyArgs,
        interactive: bool,
        half: Half,
    ) -> Result<Self> {
        let file = ConfigFile::load(target.config.as_deref())?;
        // Validate what needs no prompt first, so a typo is reported before any question.
        let Wanted {
            alarm_emails,
            alarm_topic,
            capacity,
            retention,
            kms_key,
            tags,
            events,
            warnings,
            propagation_timeout,
            load,
        } = Wanted::build(a, setup, &file)?;
        let given_stream = pick(&target.names.stream, &file.stream).is_some();
        let given_capacity = pick(&a.capacity_mode, &file.capacity_mode).is_some();
        if !interactive {
            require_all(target, &file, true, half.uses_buzz(), None)?;
        }
        let target = TargetSpec::build(target, &file, interactive, half)?;
        Ok(Self {
            given_stream,
            given_capacity,
            stream: target.stream,
            capacity,
            retention,
            allow_retention_decrease: setup.allow_retention_decrease
                || file.allow_retention_decrease,
            kms_key,
            tags,
            role: target.role,
            agilix_account: target.agilix_account,
            external_id: target.external_id,
            adopt: setup.adopt || file.adopt,
            widen: crate::plan::Widen {
                remove_external_id: setup.remove_external_id,
                replace_trust: setup.replace_trust,
                adopt_wider_role: setup.adopt_wider_role,
            },
            buzz: target.buzz,
            half,
            events,
            enable: !(setup.no_enable || file.no_enable),
            propagation_timeout,
            load,
            aws: target.aws,
            warnings,
            allow_capacity_decrease: setup.allow_capacity_decrease || file.allow_capacity_decrease,
            alarm_emails,
            alarm_topic,
        })
    }
}

/// Everything `teardown` needs, validated: which setup to remove and how to reach Buzz.
/// Agilix's account is not asked for: teardown creates nothing.
pub struct TeardownSpec {
    pub stream: StreamName,
    pub role: RoleName,
    /// `None` with `--aws-only`: Buzz is not contacted.
    pub buzz: Option<BuzzSpec>,
    pub aws: AwsSpec,
    pub half: Half,
    /// The domain, when known (with `--aws-only`, for the other half's command).
    pub domain: Option<DomainId>,
    /// With `--buzz-only`: the role our target names (its account is part of the target's
    /// identity); the region is then in `aws.region`.
    pub role_arn: Option<RoleArn>,
}

impl TeardownSpec {
    /// Validate what `teardown` was given; prompt for what is missing when `interactive`.
    pub fn from_args(t: impl Into<TargetArgs>, h: &HalfArgs, interactive: bool) -> Result<Self> {
        let t = &t.into();
        let half = h.half();
        let file = ConfigFile::load(t.config.as_deref())?;
        if !interactive {
            let buzz_half = (half == Half::Buzz).then_some(h);
            require_all(t, &file, false, half.uses_buzz(), buzz_half)?;
        }
        let (stream, mut role) = TargetSpec::names(t, &file)?;
        let aws = AwsSpec::build(&t.aws, &file)?;
        let role_arn = match pick(&h.role_arn, &file.role_arn) {
            Some(v) if half == Half::Buzz => Some(RoleArn::parse("--role-arn", &v)?),
            None if half == Half::Buzz => return Err(missing_role_arn()),
            _ => None,
        };
        if let Some(arn) = &role_arn {
            role = RoleName::parse("--role-arn", arn.name())?;
            if aws.region.is_none() {
                return Err(Error::missing(
                    "the stream's AWS region",
                    "--region",
                    Some("AWS_REGION"),
                    " (--buzz-only reads no AWS profile)",
                ));
            }
        }
        let buzz = if half.uses_buzz() {
            Some(TargetSpec::buzz(t, &file, interactive, &stream)?)
        } else {
            None
        };
        let domain = match &buzz {
            Some(b) => Some(b.domain.clone()),
            None => pick(&t.buzz.domain, &file.domain)
                .map(|v| DomainId::parse("--domain", &v))
                .transpose()?,
        };
        Ok(Self {
            stream,
            role,
            buzz,
            aws,
            half,
            domain,
            role_arn,
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
    pub aws: AwsSpec,
    pub warnings: Vec<String>,
    pub alarm_emails: Vec<Email>,
    pub alarm_topic: Option<TopicArn>,
}

impl PolicySpec {
    /// Validate what `policy` was given; prompt for Agilix's account when `interactive`.
    pub fn from_args(t: impl Into<TargetArgs>, a: &DesiredArgs, interactive: bool) -> Result<Self> {
        let t = &t.into();
        let file = ConfigFile::load(t.config.as_deref())?;
        if !interactive {
            require_all(t, &file, true, false, None)?;
        }
        let Wanted {
            capacity,
            retention,
            kms_key,
            tags,
            events,
            warnings,
            alarm_emails,
            alarm_topic,
            ..
        } = Wanted::build(a, &SetupOnlyArgs::default(), &file)?;
        let (stream, role) = TargetSpec::names(t, &file)?;
        let (agilix_account, external_id) = TargetSpec::agilix(t, &file, interactive)?;
        let aws = AwsSpec::build(&t.aws, &file)?;
        let domain = pick(&t.buzz.domain, &file.domain)
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
            aws,
            warnings,
            alarm_emails,
            alarm_topic,
        })
    }
}

/// The longest `tail --timeout`, in seconds (a week): longer is following, which is what
/// leaving `--timeout` out does.
pub const MAX_TAIL_TIMEOUT: u64 = 604_800;

/// Everything `tail` needs, validated before any connection. It reads no config file: the
/// stream is named by `--stream` (or the default) and AWS by its own flags and env vars.
pub struct TailSpec {
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
    /// Validate what `tail` was given.
    pub fn from_args(args: &TailArgs) -> Result<Self> {
        let stream =
            StreamName::parse("--stream", args.stream.as_deref().unwrap_or(DEFAULT_STREAM))?;
        let from = parse_from(&args.from)?;
        let (types, warnings) = parse_types(&args.events)?;
        let expect_domains = args
            .expect_domains
            .iter()
            .map(|d| expected_domain(d))
            .collect::<Result<Vec<_>>>()?;
        let aws = AwsSpec::build(&args.aws, &ConfigFile::default())?;
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
pub fn parse_from(s: &str) -> Result<StartAt> {
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

    fn load(text: &str) -> Result<ConfigFile> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, text).unwrap();
        ConfigFile::load(Some(&p))
    }

    #[test]
    fn tail_expects_numeric_domains() {
        let args = |d: &str| TailArgs {
            from: "latest".into(),
            expect_domains: vec![d.into(), "424242".into()],
            only_expected: true,
            ..TailArgs::default()
        };
        let spec = TailSpec::from_args(&args("777777")).unwrap();
        let ids: Vec<&str> = spec.expect_domains.iter().map(DomainId::as_str).collect();
        assert_eq!(ids, ["777777", "424242"]);
        assert!(spec.only_expected);
        for bad in ["abc", "//sandbox", ""] {
            let e = TailSpec::from_args(&args(bad)).err().unwrap().to_string();
            assert!(e.contains("--expect-domain"), "{bad}: {e}");
        }
    }

    #[test]
    fn config_file_is_typed_and_rejects_unknown_keys() {
        let f = load("stream = \"s\"\nshards = 3\ntag = [\"a=b\"]\nadopt = true\ndomain = 424242\nexpected-events-per-second = 250\n").unwrap();
        assert_eq!(f.stream.as_deref(), Some("s"));
        assert_eq!(f.shards, Some(3));
        assert_eq!(f.tag, ["a=b"]);
        assert!(f.adopt);
        assert_eq!(f.domain.as_deref(), Some("424242"));
        assert_eq!(f.expected_events_per_second, Some(250.0));
        let e = load("password = \"hunter2\"\n").err().unwrap().to_string();
        assert!(!e.contains("hunter2"), "the value is never echoed: {e}");
        assert!(
            e.contains("unknown field `password`") && e.contains("c.toml"),
            "{e}"
        );
        let e = load("adopt = \"yes\"\n").err().unwrap().to_string();
        assert!(
            e.contains("adopt") && e.contains("c.toml") && e.contains("bool"),
            "{e}"
        );
        let e = load("shards = -1\n").err().unwrap().to_string();
        assert!(e.contains("shards"), "{e}");
    }

    /// Every config key is a long flag of `setup`, and every setup flag that is not a secret,
    /// a one-run switch or a global option is a config key.
    #[test]
    fn config_keys_are_setup_flags() {
        use clap::CommandFactory;
        let keys = serde_fields::<ConfigFile>();
        let cli = crate::cli::Cli::command();
        let setup = cli.find_subcommand("setup").unwrap();
        let flags: Vec<String> = setup
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        for k in &keys {
            assert!(flags.contains(k), "config key {k} is no setup flag");
        }
        let not_keys = [
            "aws-only",
            "buzz-only",
            "buzz-password-stdin",
            "buzz-password-file",
            "buzz-otp",
            "buzz-otp-file",
            "config",
            "dry-run",
            "yes",
            "verbose",
            "quiet",
            "output",
            "color",
            "help",
            "version",
            // What widens access is asked for on the command line, never kept in a file.
            "remove-external-id",
            "replace-trust",
            "adopt-wider-role",
        ];
        for f in &flags {
            assert!(
                keys.contains(f) || not_keys.contains(&f.as_str()),
                "setup flag --{f} cannot be set in the config file"
            );
        }
    }

    /// The field names serde expects for `T` (what `deny_unknown_fields` lists).
    fn serde_fields<T: for<'de> serde::Deserialize<'de>>() -> Vec<String> {
        use serde::de::{self, Deserializer, Visitor};
        struct Capture<'a>(&'a mut Vec<String>);
        impl<'de> Deserializer<'de> for Capture<'_> {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("only structs"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend(fields.iter().map(|f| (*f).to_owned()));
                Err(de::Error::custom("captured"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut fields = Vec::new();
        let _ = T::deserialize(Capture(&mut fields));
        fields
    }

    #[test]
    fn ci_false_and_ci_0_are_not_ci() {
        assert!(in_ci(Some("true")));
        assert!(in_ci(Some("1")));
        assert!(in_ci(Some("woodpecker")));
        assert!(!in_ci(Some("false")));
        assert!(!in_ci(Some("0")));
        assert!(!in_ci(Some("")));
        assert!(!in_ci(None));
    }

    #[test]
    fn passwords_are_read_from_the_first_line() {
        use secrecy::ExposeSecret;
        let p = first_line("s3cret\nrest\n".as_bytes(), "stdin").unwrap();
        assert_eq!(p.expose_secret(), "s3cret");
        assert!(first_line("".as_bytes(), "stdin").is_err());
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
