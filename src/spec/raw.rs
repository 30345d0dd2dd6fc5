//! Every value a run was given, as text, gathered from where it comes from and judged nowhere
//! (ripgrep's "low-level arguments"): flags and env vars (clap reads both), then the config
//! file beneath them, then the secrets' sources (env vars, stdin, files), then what the wizard
//! asked a person. The builders of each command's spec ([`super::setup`], [`super::check`],
//! ...) turn a [`Raw`] into typed values, so every rule lives in one place and the builders
//! are tested with plain values.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use secrecy::SecretString;

use super::config::ConfigFile;
use crate::cli::{
    BuzzArgs, CheckArgs, DesiredArgs, ExportArgs, HalfArgs, SetupArgs, SetupOnlyArgs, TargetArgs,
    TeardownArgs,
};
use crate::error::{Error, Result};
use crate::state::Halves;

/// A secret's source. A value is held in memory as a secret (never printed); a file is read
/// when the secret is used, so a file that is not needed is never opened.
#[derive(Clone)]
pub(crate) enum Secret {
    Given(SecretString),
    File(PathBuf),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Given(_) => f.write_str("Secret::Given([hidden])"),
            Secret::File(p) => write!(f, "Secret::File({})", p.display()),
        }
    }
}

/// Every value, as given. `None` and empty lists: not given anywhere.
#[derive(Debug, Clone, Default)]
pub(crate) struct Raw {
    /// A person can be asked (a terminal, no `--yes`, not CI).
    pub interactive: bool,
    pub half: Halves,

    pub stream: Option<String>,
    pub role: Option<String>,
    pub agilix_account: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// `--buzz-only`: the role the AWS half made.
    pub role_arn: Option<String>,

    pub buzz_url: Option<String>,
    pub buzz_user: Option<String>,
    /// Every domain given, in order, each once (`--domain` repeated, a comma-separated
    /// BUZZ_KINESIS_DOMAIN, the file's `domain` then `domains = [...]`); judged into
    /// [`super::parts::Domains`].
    pub domains: Vec<String>,
    pub buzz_client_id: Option<String>,
    pub buzz_key_file: Option<PathBuf>,
    pub buzz_key_id: Option<String>,
    pub buzz_token_audience: Option<String>,
    /// BUZZ_TOKEN.
    pub token: Option<SecretString>,
    /// `--buzz-password-stdin` (read when gathered), `--buzz-password-file`, BUZZ_PASSWORD, or
    /// the wizard's hidden prompt.
    pub password: Option<Secret>,
    /// `--buzz-otp-file` or BUZZ_OTP.
    pub otp: Option<Secret>,
    /// `--buzz-otp CODE` was typed: refused, since argv is visible to every user.
    pub otp_in_argv: bool,

    pub capacity_mode: Option<String>,
    pub shards: Option<String>,
    pub retention_hours: Option<String>,
    pub kms_key: Option<String>,
    pub no_encryption: bool,
    pub tags: Vec<String>,
    pub events: Vec<String>,
    pub expected_events_per_second: Option<String>,
    pub avg_event_bytes: Option<String>,
    pub alarm_emails: Vec<String>,
    pub alarm_topic: Option<String>,
    pub archive_bucket: Option<String>,
    pub archive_days: Option<String>,
    pub archive_buffer: Option<String>,
    /// `--archive-views` (setup only).
    pub archive_views: bool,

    pub allow_retention_decrease: bool,
    pub allow_capacity_decrease: bool,
    pub adopt: bool,
    pub no_enable: bool,
    pub propagation_timeout: Option<String>,
    /// `--max-session`: the session length to raise a shortened role to.
    pub max_session: Option<String>,
    /// What widens or drops access: from the command line only, never from a file.
    pub remove_external_id: bool,
    pub replace_trust: bool,
    pub adopt_wider_role: bool,

    /// check's own values.
    pub since: Option<String>,
    pub expect_domains: Vec<String>,
    pub probe: bool,
}

/// Whether a person can answer prompts: not with `--yes`, not when stdin is not a terminal,
/// not in CI (`CI` set to anything but empty, `false` or `0`).
pub(crate) fn interactive(yes: bool) -> bool {
    !yes && std::io::stdin().is_terminal() && !in_ci(std::env::var("CI").ok().as_deref())
}

/// Whether the `CI` variable says this is a CI job (`CI=false` and `CI=0` say it is not).
pub(crate) fn in_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "false" | "0"))
}

/// Flag (or env) value, else the config file's.
fn pick(flag: &Option<String>, file: &Option<String>) -> Option<String> {
    flag.clone().or_else(|| file.clone())
}

/// Like [`pick`], for a number in the file.
fn pick_num<N: ToString>(flag: &Option<String>, file: Option<N>) -> Option<String> {
    flag.clone().or_else(|| file.map(|n| n.to_string()))
}

/// A repeated flag's values, else the file's list.
fn pick_list(flag: &[String], file: &[String]) -> Vec<String> {
    if flag.is_empty() { file } else { flag }.to_vec()
}

fn nonempty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The first line of `reader`, a password (never empty).
pub(super) fn first_line(reader: impl BufRead, what: &str) -> Result<SecretString> {
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

impl Raw {
    /// `setup`'s values.
    pub(crate) fn for_setup(args: &SetupArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(args.target.settings.config.as_deref())?;
        let mut raw = Self::target(&args.target, &file, interactive)?;
        raw.desired(&args.desired, &file);
        raw.setup_only(&args.setup, &file);
        raw.halves(&args.half, &file);
        Ok(raw)
    }

    /// `check`'s values: setup's, but for what only setup uses.
    pub(crate) fn for_check(args: &CheckArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(args.target.settings.config.as_deref())?;
        let mut raw = Self::target(&args.target, &file, interactive)?;
        raw.desired(&args.desired, &file);
        raw.halves(&args.half, &file);
        raw.since = args.since.clone();
        raw.expect_domains = args.expect_domains.clone();
        raw.probe = args.probe;
        Ok(raw)
    }

    /// `teardown`'s values: which setup, and how to reach it.
    pub(crate) fn for_teardown(args: &TeardownArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(args.target.settings.config.as_deref())?;
        let mut raw = Self::target(&(&args.target).into(), &file, interactive)?;
        raw.halves(&args.half, &file);
        Ok(raw)
    }

    /// `export`'s values: no Buzz login.
    pub(crate) fn for_export(args: &ExportArgs, interactive: bool) -> Result<Self> {
        let file = ConfigFile::load(args.target.settings.config.as_deref())?;
        let mut raw = Self::target(&(&args.target).into(), &file, interactive)?;
        raw.desired(&args.desired, &file);
        Ok(raw)
    }

    /// `buzz-identity`'s values: where Buzz is, the domain, and the administrator's login.
    /// A person creates the identity: an application identity given is not used to do it.
    pub(crate) fn for_identity(
        buzz: &BuzzArgs,
        config: Option<&std::path::Path>,
        interactive: bool,
    ) -> Result<Self> {
        let file = ConfigFile::load(config)?;
        let t = TargetArgs {
            buzz: buzz.clone(),
            ..TargetArgs::default()
        };
        let mut raw = Self::target(&t, &file, interactive)?;
        raw.buzz_client_id = None;
        raw.buzz_key_file = None;
        raw.buzz_key_id = None;
        raw.buzz_token_audience = None;
        Ok(raw)
    }

    /// What identifies a setup and how to reach it, and the secrets' sources. Reads stdin for
    /// `--buzz-password-stdin` (once: a second read would find it empty).
    fn target(t: &TargetArgs, file: &ConfigFile, interactive: bool) -> Result<Self> {
        let b = &t.buzz;
        let id = &t.identity;
        let password = if b.buzz_password_stdin {
            Some(Secret::Given(first_line(std::io::stdin().lock(), "stdin")?))
        } else if let Some(path) = &b.buzz_password_file {
            Some(Secret::File(path.clone()))
        } else {
            nonempty_env("BUZZ_PASSWORD").map(|p| Secret::Given(SecretString::from(p)))
        };
        let otp = match &b.buzz_otp_file {
            Some(path) => Some(Secret::File(path.clone())),
            None => nonempty_env("BUZZ_OTP").map(|c| Secret::Given(SecretString::from(c))),
        };
        // The flag's list, else the file's `domain` and `domains` (in that order, once each).
        let domains: Vec<String> = if b.domain.domain.is_empty() {
            let mut all: Vec<String> = file.domain.iter().cloned().collect();
            for d in file.domains.iter().map(|d| d.text()) {
                if !all.contains(&d) {
                    all.push(d);
                }
            }
            all
        } else {
            b.domain.domain.clone()
        };
        Ok(Self {
            interactive,
            stream: pick(&t.names.stream, &file.stream),
            role: pick(&t.names.role, &file.role),
            agilix_account: pick(&t.agilix.agilix_account, &file.agilix_account),
            external_id: pick(&t.agilix.external_id, &file.external_id),
            title: pick(&t.title, &file.title),
            profile: pick(&t.aws.profile, &file.profile),
            region: pick(&t.aws.region, &file.region),
            buzz_url: pick(&b.buzz_url, &file.buzz_url),
            buzz_user: pick(&b.buzz_user, &file.buzz_user),
            domains,
            buzz_client_id: pick(&id.buzz_client_id, &file.buzz_client_id),
            buzz_key_file: id
                .buzz_key_file
                .clone()
                .or_else(|| file.buzz_key_file.as_ref().map(PathBuf::from))
                .filter(|p| !p.as_os_str().is_empty()),
            buzz_key_id: pick(&id.buzz_key_id, &file.buzz_key_id),
            buzz_token_audience: pick(&id.buzz_token_audience, &file.buzz_token_audience),
            token: nonempty_env("BUZZ_TOKEN").map(SecretString::from),
            password,
            otp,
            otp_in_argv: b.buzz_otp.is_some(),
            ..Self::default()
        })
    }

    /// What the stream, role and alarm should look like.
    fn desired(&mut self, a: &DesiredArgs, file: &ConfigFile) {
        self.capacity_mode = pick(&a.capacity_mode, &file.capacity_mode);
        self.shards = pick_num(&a.shards, file.shards);
        self.retention_hours = pick_num(&a.retention_hours, file.retention_hours);
        self.kms_key = pick(&a.kms_key, &file.kms_key);
        self.no_encryption = a.no_encryption || file.no_encryption;
        self.tags = pick_list(&a.tags, &file.tag);
        self.events = pick_list(&a.events, &file.event);
        self.expected_events_per_second = pick_num(
            &a.expected_events_per_second,
            file.expected_events_per_second,
        );
        self.avg_event_bytes = pick_num(&a.avg_event_bytes, file.avg_event_bytes);
        self.alarm_emails = pick_list(&a.alarm_emails, &file.alarm_email);
        self.alarm_topic = pick(&a.alarm_topic, &file.alarm_topic);
        self.archive_bucket = pick(&a.archive_bucket, &file.archive_bucket);
        self.archive_days = pick_num(&a.archive_days, file.archive_days);
        self.archive_buffer = pick_num(&a.archive_buffer, file.archive_buffer);
    }

    /// What only setup does.
    fn setup_only(&mut self, s: &SetupOnlyArgs, file: &ConfigFile) {
        self.allow_retention_decrease = s.allow_retention_decrease || file.allow_retention_decrease;
        self.allow_capacity_decrease = s.allow_capacity_decrease || file.allow_capacity_decrease;
        self.adopt = s.adopt || file.adopt;
        self.no_enable = s.no_enable || file.no_enable;
        self.archive_views = s.archive_views || file.archive_views;
        self.propagation_timeout = pick_num(&s.propagation_timeout, file.propagation_timeout);
        self.max_session = pick(&s.max_session, &file.max_session);
        self.remove_external_id = s.remove_external_id;
        self.replace_trust = s.replace_trust;
        self.adopt_wider_role = s.adopt_wider_role;
    }

    fn halves(&mut self, h: &HalfArgs, file: &ConfigFile) {
        self.half = h.half();
        self.role_arn = pick(&h.role_arn, &file.role_arn);
    }

    /// `tail`'s values: the stream and how to reach AWS, from the flags, else the config
    /// file, like every other command's.
    pub(crate) fn for_tail(args: &crate::cli::TailArgs) -> Result<Self> {
        let file = ConfigFile::load(args.settings.config.as_deref())?;
        Ok(Self {
            stream: pick(&args.stream, &file.stream),
            profile: pick(&args.aws.profile, &file.profile),
            region: pick(&args.aws.region, &file.region),
            ..Self::default()
        })
    }

    /// The `setup` command line these values make, for a person to run again without the
    /// wizard's questions: every value given or answered, no secret (the password, a token,
    /// a one-time code come from their env vars or the prompt, never the command line).
    pub(crate) fn setup_command(&self) -> Vec<String> {
        let mut args = vec!["setup".to_owned()];
        match self.half {
            Halves::Both => {}
            Halves::AwsOnly => args.push("--aws-only".into()),
            Halves::BuzzOnly => args.push("--buzz-only".into()),
        }
        let mut flag = |name: &str, value: Option<&String>| {
            if let Some(v) = value {
                args.extend([name.to_owned(), v.clone()]);
            }
        };
        flag("--agilix-account", self.agilix_account.as_ref());
        flag("--external-id", self.external_id.as_ref());
        flag("--role-arn", self.role_arn.as_ref());
        for d in &self.domains {
            flag("--domain", Some(d));
        }
        flag("--buzz-url", self.buzz_url.as_ref());
        flag("--buzz-user", self.buzz_user.as_ref());
        flag("--stream", self.stream.as_ref());
        flag("--role", self.role.as_ref());
        flag("--region", self.region.as_ref());
        flag("--profile", self.profile.as_ref());
        flag("--capacity-mode", self.capacity_mode.as_ref());
        flag("--shards", self.shards.as_ref());
        flag("--retention-hours", self.retention_hours.as_ref());
        for e in &self.alarm_emails {
            flag("--alarm-email", Some(e));
        }
        flag("--alarm-topic", self.alarm_topic.as_ref());
        flag("--archive-bucket", self.archive_bucket.as_ref());
        args
    }

    /// Whether the run signs in as an application identity (a client id or a key file given).
    pub(crate) fn identity_given(&self) -> bool {
        self.buzz_client_id.is_some() || self.buzz_key_file.is_some()
    }

    /// Whether a Buzz login was given without asking (an identity, a token, or a user with a
    /// password source): the wizard asks which logins a person has only when this or AWS's
    /// is unclear.
    pub(crate) fn buzz_login_given(&self) -> bool {
        self.identity_given()
            || self.token.is_some()
            || self.buzz_user.is_some()
            || self.password.is_some()
    }
}

#[cfg(test)]
mod setup_command_tests {
    use super::*;

    #[test]
    fn the_setup_command_names_every_answer_and_no_secret() {
        let raw = Raw {
            agilix_account: Some("210987654321".into()),
            external_id: Some("district-7".into()),
            domains: vec!["424242".into(), "500001".into()],
            buzz_user: Some("district/admin".into()),
            region: Some("us-east-2".into()),
            retention_hours: Some("48".into()),
            alarm_emails: vec!["ops@example.edu".into()],
            password: Some(Secret::Given(SecretString::from("hunter2"))),
            token: Some(SecretString::from("tok")),
            ..Raw::default()
        };
        let cmd = raw.setup_command().join(" ");
        assert_eq!(
            cmd,
            "setup --agilix-account 210987654321 --external-id district-7 --domain 424242 --domain 500001 --buzz-user district/admin --region us-east-2 --retention-hours 48 --alarm-email ops@example.edu"
        );
        assert!(!cmd.contains("hunter2") && !cmd.contains("tok"));
        let aws = Raw {
            half: Halves::AwsOnly,
            ..Raw::default()
        };
        assert_eq!(aws.setup_command(), ["setup", "--aws-only"]);
        let buzz = Raw {
            half: Halves::BuzzOnly,
            role_arn: Some("arn:aws:iam::1:role/R".into()),
            ..Raw::default()
        };
        assert_eq!(
            buzz.setup_command(),
            [
                "setup",
                "--buzz-only",
                "--role-arn",
                "arn:aws:iam::1:role/R"
            ]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
