//! What a user can type. Values stay raw strings here; `spec` validates them (so every rule and
//! message lives in `names`) and merges the config file and defaults beneath flags and env vars.
//! No secret is accepted as a plain argument: passwords and tokens come from env vars, stdin,
//! a file or a hidden prompt.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Connect an Agilix Buzz domain's data stream to an Amazon Kinesis Data Stream.
///
/// `setup` creates (or repairs) the stream, a role Agilix's AWS account may assume for
/// 12 hours, a least-privilege write policy, and registers the stream with Buzz: tested
/// first, then enabled. Run it again at any time: it only changes what differs.
#[derive(Debug, Parser)]
#[command(
    name = "buzz-kinesis",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More detail on stderr (-v: steps and calls, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, env = "BUZZ_KINESIS_VERBOSE", help_heading = GLOBAL)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        env = "BUZZ_KINESIS_QUIET",
        help_heading = GLOBAL
    )]
    pub quiet: bool,

    /// Output format on stdout (errors too: {"error": {"kind", "code", "message", "hint"}}).
    #[arg(long, value_enum, default_value_t = Output::Human, global = true, env = "BUZZ_KINESIS_OUTPUT", help_heading = GLOBAL)]
    pub output: Output,

    /// Colour on stderr: auto = on a terminal only, unless NO_COLOR is set or CLICOLOR=0
    /// (CLICOLOR_FORCE forces it).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true, env = "BUZZ_KINESIS_COLOR", help_heading = GLOBAL)]
    pub color: ColorWhen,

    /// The longest setup, check or teardown may run, in seconds (1 to 86400; time at a
    /// prompt does not count) [default: 900; tail: none, it follows until --timeout]. When it
    /// passes the run ends with an error naming what it waited for.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "BUZZ_KINESIS_DEADLINE",
        global = true,
        help_heading = GLOBAL
    )]
    pub deadline: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
}

pub(crate) use crate::ui::color::ColorWhen;

/// Headings: the values a first run needs, then the common ones, then the two-person split;
/// the rest by topic, global options last (`help` keeps `-h` to these three).
pub(crate) const FIRST: &str = "Needed first";
pub(crate) const COMMON: &str = "Common";
pub(crate) const TWO: &str = "Two people";
pub(crate) const GLOBAL: &str = "Global options";

mod own;
pub(crate) use own::{BuzzIdentityArgs, ExportArgs, TailArgs, TemplateFormat};

/// Accepts any text (`spec` checks it, with the rule in its message) while offering `values`
/// to shell completion.
#[derive(Clone, Debug)]
pub(crate) struct Suggest(pub &'static [&'static str]);

impl clap::builder::TypedValueParser for Suggest {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|v| clap::builder::PossibleValue::new(*v)),
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or repair the stream, the role and the Buzz registration.
    Setup(SetupArgs),
    /// Check an existing setup without changing anything.
    Check(CheckArgs),
    /// Print the events arriving in the stream.
    Tail(TailArgs),
    /// Remove the Buzz target and the role (the stream only with --delete-stream).
    Teardown(TeardownArgs),
    /// Print the trust and permission policies setup would apply, or an IaC template.
    #[command(visible_alias = "policy")]
    Export(ExportArgs),
    /// Make a Buzz application identity for unattended runs: a key pair here, and the two
    /// requests that create it in Buzz (printed, or sent with --send as an administrator).
    BuzzIdentity(BuzzIdentityArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages: the top page on stdout, or every page into --out-dir.
    Man {
        /// Write buzz-kinesis.1 and one page per subcommand (buzz-kinesis-setup.1, ...) here.
        #[arg(long, value_name = "DIR", env = "BUZZ_KINESIS_OUT_DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Where the settings file is: every command that reads one.
#[derive(Debug, Clone, Args, Default)]
pub struct ConfigArgs {
    /// Settings file (TOML) [default: ~/.config/buzz-kinesis/config.toml].
    ///
    /// TOML file with any of these settings (keys as the long flags, e.g. agilix-account =
    /// "...") [default: $XDG_CONFIG_HOME/buzz-kinesis/config.toml, when it exists]. Flags and
    /// env vars win over it.
    #[arg(long, value_name = "FILE", env = "BUZZ_KINESIS_CONFIG", help_heading = COMMON)]
    pub config: Option<PathBuf>,
}

/// Which Buzz domain: the commands that reach Buzz, and export (the template parameter's
/// default and the domain in the request to paste).
#[derive(Debug, Clone, Args, Default)]
pub struct DomainArg {
    /// Buzz domain: its id (Buzz shows it in the domain's details) or //USERSPACE.
    ///
    /// Buzz domain: numeric id (Buzz's admin pages show it in the domain's details) or
    /// //USERSPACE. Repeat it, or separate with commas, or list `domains = [...]` in the config
    /// file: setup registers the stream in each domain (a district's schools); check, teardown
    /// and buzz-identity take one.
    #[arg(
        long,
        value_name = "ID",
        env = "BUZZ_KINESIS_DOMAIN",
        help_heading = FIRST,
        value_delimiter = ','
    )]
    pub domain: Vec<String>,
}

/// AWS connection options.
#[derive(Debug, Clone, Args, Default)]
pub struct AwsArgs {
    /// AWS region of the stream [default: the profile's region].
    #[arg(long, env = "BUZZ_KINESIS_REGION", help_heading = FIRST, value_parser = Suggest(crate::ui::wizard::REGIONS), hide_possible_values = true)]
    pub region: Option<String>,

    /// AWS profile (from ~/.aws/config); the standard credential chain otherwise.
    #[arg(long, env = "BUZZ_KINESIS_PROFILE", help_heading = COMMON)]
    pub profile: Option<String>,
}

/// Which stream and role: shared by every command that looks at a setup.
#[derive(Debug, Clone, Args, Default)]
pub struct NameArgs {
    /// Kinesis stream Buzz writes to [default: buzz-events].
    #[arg(long, env = "BUZZ_KINESIS_STREAM", help_heading = COMMON)]
    pub stream: Option<String>,

    /// IAM role Agilix assumes [default: BuzzKinesisWriter].
    #[arg(long, env = "BUZZ_KINESIS_ROLE", help_heading = "Role")]
    pub role: Option<String>,
}

/// Who may assume the role: setup, check and export.
#[derive(Debug, Clone, Args, Default)]
pub struct AgilixArgs {
    /// Agilix's AWS account number: ask Agilix support (no default).
    ///
    /// Agilix's 12-digit AWS account number (from Agilix support; there is no default). The
    /// dashed form the AWS console shows (2109-8765-4321) is taken too.
    #[arg(
        long,
        value_name = "ACCOUNT",
        env = "BUZZ_KINESIS_AGILIX_ACCOUNT",
        help_heading = FIRST
    )]
    pub agilix_account: Option<String>,

    /// External id, only if Agilix issued one (adds an sts:ExternalId condition).
    #[arg(long, env = "BUZZ_KINESIS_EXTERNAL_ID", help_heading = "Role")]
    pub external_id: Option<String>,
}

/// Where and as whom to reach Buzz: setup, check and teardown.
#[derive(Debug, Clone, Args, Default)]
pub struct BuzzArgs {
    /// Buzz API base URL [default: https://interactiveapi.agilixbuzz.com for a person at a
    /// terminal logging in with a password, else https://backgroundapi.agilixbuzz.com].
    #[arg(long, env = "BUZZ_KINESIS_BUZZ_URL", help_heading = "Buzz")]
    pub buzz_url: Option<String>,

    /// Buzz administrator login USERSPACE/USERNAME (password: BUZZ_PASSWORD or a prompt).
    ///
    /// Buzz login, USERSPACE/USERNAME, of an administrator with the ControlDomain right on the
    /// domain. The password comes from BUZZ_PASSWORD, --buzz-password-stdin,
    /// --buzz-password-file or a hidden prompt; BUZZ_TOKEN instead holds a bearer token (OAuth
    /// integrations).
    #[arg(
        long,
        value_name = "LOGIN",
        env = "BUZZ_KINESIS_BUZZ_USER",
        help_heading = FIRST
    )]
    pub buzz_user: Option<String>,

    /// Read the Buzz password from the first line of stdin [else env: BUZZ_PASSWORD].
    #[arg(
        long,
        help_heading = "Buzz",
        conflicts_with = "buzz_password_file",
        env = "BUZZ_KINESIS_BUZZ_PASSWORD_STDIN"
    )]
    pub buzz_password_stdin: bool,

    /// Read the Buzz password from the first line of this file [else env: BUZZ_PASSWORD].
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Buzz",
        env = "BUZZ_KINESIS_BUZZ_PASSWORD_FILE"
    )]
    pub buzz_password_file: Option<PathBuf>,

    /// Refused: a code in argv is visible to every user of the machine (`ps`). The MFA code
    /// comes from BUZZ_OTP, --buzz-otp-file or a hidden prompt.
    #[arg(long, value_name = "CODE", help_heading = "Buzz", hide = true)]
    pub buzz_otp: Option<String>,

    /// Read the MFA code, when Buzz asks for a second factor, from the first line of this file
    /// [else env: BUZZ_OTP, else a hidden prompt].
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Buzz",
        env = "BUZZ_KINESIS_BUZZ_OTP_FILE"
    )]
    pub buzz_otp_file: Option<PathBuf>,

    #[command(flatten)]
    pub domain: DomainArg,
}

/// Signing in as a Buzz application identity (OAuth 2.0, no person, no password): what
/// `buzz-kinesis buzz-identity` made. It wins over BUZZ_TOKEN and --buzz-user.
#[derive(Debug, Clone, Args, Default)]
pub struct IdentityArgs {
    /// The application identity's client id (its Buzz userid); with --buzz-key-file.
    #[arg(
        long,
        env = "BUZZ_KINESIS_BUZZ_CLIENT_ID",
        value_name = "ID",
        help_heading = "Buzz application identity"
    )]
    pub buzz_client_id: Option<String>,

    /// The identity's RSA private key (PEM), readable by its owner only (chmod 600).
    #[arg(
        long,
        env = "BUZZ_KINESIS_BUZZ_KEY_FILE",
        value_name = "PEM",
        help_heading = "Buzz application identity"
    )]
    pub buzz_key_file: Option<PathBuf>,

    /// The key id the public key is registered under [default: derived from the key, as
    /// buzz-identity registers it].
    #[arg(
        long,
        env = "BUZZ_KINESIS_BUZZ_KEY_ID",
        value_name = "KID",
        help_heading = "Buzz application identity"
    )]
    pub buzz_key_id: Option<String>,

    /// The assertion's audience (`aud`) [default: the token endpoint's URL,
    /// {base}/api/oauth/token].
    #[arg(
        long,
        env = "BUZZ_KINESIS_BUZZ_TOKEN_AUDIENCE",
        value_name = "AUD",
        help_heading = "Buzz application identity"
    )]
    pub buzz_token_audience: Option<String>,
}

/// Everything that identifies a setup and how to reach it: setup and check take all of it;
/// teardown and export take their own subsets ([`TeardownTargetArgs`], [`ExportTargetArgs`]),
/// converted to this for `spec`.
#[derive(Debug, Clone, Args, Default)]
pub struct TargetArgs {
    // Field order is help order: the first heading is the one that names what a run needs.
    #[command(flatten)]
    pub agilix: AgilixArgs,

    #[command(flatten)]
    pub buzz: BuzzArgs,

    #[command(flatten)]
    pub names: NameArgs,

    #[command(flatten)]
    pub identity: IdentityArgs,

    /// Title of the target in Buzz [default: "Kinesis: <stream>"].
    #[arg(long, help_heading = "Buzz", env = "BUZZ_KINESIS_TITLE")]
    pub title: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub settings: ConfigArgs,
}

impl From<&TargetArgs> for TargetArgs {
    fn from(t: &TargetArgs) -> Self {
        t.clone()
    }
}

/// What teardown needs to find a setup and reach Buzz: no Agilix account, no title.
#[derive(Debug, Clone, Args, Default)]
pub struct TeardownTargetArgs {
    #[command(flatten)]
    pub buzz: BuzzArgs,

    #[command(flatten)]
    pub names: NameArgs,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub settings: ConfigArgs,
}

impl From<&TeardownTargetArgs> for TargetArgs {
    fn from(t: &TeardownTargetArgs) -> Self {
        TargetArgs {
            names: t.names.clone(),
            buzz: t.buzz.clone(),
            identity: t.identity.clone(),
            aws: t.aws.clone(),
            settings: t.settings.clone(),
            ..TargetArgs::default()
        }
    }
}

/// What the setup should look like, beyond its names: shared by setup, check and export.
#[derive(Debug, Clone, Args, Default)]
pub struct DesiredArgs {
    /// Stream capacity mode [default: on-demand].
    #[arg(long, value_name = "on-demand|provisioned", help_heading = "Stream", value_parser = Suggest(&["on-demand", "provisioned"]), hide_possible_values = true, env = "BUZZ_KINESIS_CAPACITY_MODE")]
    pub capacity_mode: Option<String>,

    /// Shards, provisioned mode only (each takes 1,000 records/s and 1 MB/s).
    #[arg(
        long,
        value_name = "N",
        help_heading = "Stream",
        env = "BUZZ_KINESIS_SHARDS"
    )]
    pub shards: Option<String>,

    /// Retention in hours, 24-8760 [default: 24]. Only ever raised, unless
    /// --allow-retention-decrease.
    #[arg(
        long,
        value_name = "H",
        help_heading = "Stream",
        env = "BUZZ_KINESIS_RETENTION_HOURS"
    )]
    pub retention_hours: Option<String>,

    /// Server-side encryption key [default for a new stream: alias/aws/kinesis]: the
    /// AWS-managed key, or a customer-managed key's ARN (adds kms:GenerateDataKey on that key
    /// to the role's policy). An existing unencrypted stream is encrypted only when this is
    /// given.
    #[arg(
        long,
        value_name = "KEY",
        help_heading = "Stream",
        env = "BUZZ_KINESIS_KMS_KEY"
    )]
    pub kms_key: Option<String>,

    /// Make a new stream unencrypted at rest (by default setup encrypts it with the
    /// AWS-managed key alias/aws/kinesis, which Buzz's role needs no grant for); the plan, the
    /// summary and check say so. Excludes --kms-key.
    #[arg(
        long,
        help_heading = "Stream",
        conflicts_with = "kms_key",
        env = "BUZZ_KINESIS_NO_ENCRYPTION"
    )]
    pub no_encryption: bool,

    /// Extra tag KEY=VALUE for the stream and the role (repeat).
    #[arg(
        long = "tag",
        value_name = "KEY=VALUE",
        env = "BUZZ_KINESIS_TAG",
        help_heading = "Stream"
    )]
    pub tags: Vec<String>,

    /// Event filter TYPE or TYPE:prop,child.prop (repeat); none = every event.
    #[arg(
        long = "event",
        value_name = "TYPE[:PROPS]",
        help_heading = "Buzz",
        env = "BUZZ_KINESIS_EVENT"
    )]
    pub events: Vec<String>,

    /// Peak Buzz events per second you expect: setup and check then say whether the stream's
    /// capacity takes them (Buzz does not buffer; events beyond capacity are lost).
    #[arg(
        long,
        value_name = "N",
        help_heading = "Sizing",
        env = "BUZZ_KINESIS_EXPECTED_EVENTS_PER_SECOND"
    )]
    pub expected_events_per_second: Option<String>,

    /// Average event size in bytes, for the sizing advice [default: 1000].
    #[arg(
        long,
        value_name = "BYTES",
        help_heading = "Sizing",
        env = "BUZZ_KINESIS_AVG_EVENT_BYTES"
    )]
    pub avg_event_bytes: Option<String>,

    /// Alarm on lost events: a CloudWatch alarm on the stream's refused writes that mails this
    /// address (repeat; each must confirm AWS's subscription mail). Setup makes and tags an SNS
    /// topic for it.
    #[arg(
        long = "alarm-email",
        value_name = "ADDRESS",
        help_heading = "Alarm",
        env = "BUZZ_KINESIS_ALARM_EMAIL"
    )]
    pub alarm_emails: Vec<String>,

    /// Alarm on lost events, notifying this existing SNS topic instead of one setup makes.
    #[arg(
        long,
        value_name = "SNS-TOPIC-ARN",
        help_heading = "Alarm",
        env = "BUZZ_KINESIS_ALARM_TOPIC"
    )]
    pub alarm_topic: Option<String>,

    /// Keep every event in this S3 bucket, partitioned by type and day, with a Glue table to
    /// query with SQL (Firehose reads the stream): setup makes it, check proves data lands,
    /// teardown keeps the bucket.
    #[arg(
        long,
        value_name = "BUCKET",
        env = "BUZZ_KINESIS_ARCHIVE_BUCKET",
        help_heading = "Archive"
    )]
    pub archive_bucket: Option<String>,

    /// With --archive-bucket: expire archived events after N days (1-36500) [default: kept].
    #[arg(
        long,
        value_name = "N",
        help_heading = "Archive",
        env = "BUZZ_KINESIS_ARCHIVE_DAYS"
    )]
    pub archive_days: Option<String>,

    /// With --archive-bucket: how long Firehose buffers each partition before it writes an
    /// object, 60-900 seconds [default: 300]. Shorter means fresher data and more, smaller
    /// objects (billed per object).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "BUZZ_KINESIS_ARCHIVE_BUFFER",
        help_heading = "Archive"
    )]
    pub archive_buffer: Option<String>,
}

/// What only setup does: change what exists, wait for IAM, save in Buzz.
#[derive(Debug, Clone, Args, Default)]
pub struct SetupOnlyArgs {
    /// Lower an existing stream's retention when --retention-hours asks for less (deletes
    /// records older than the new value).
    #[arg(
        long,
        help_heading = "Stream",
        env = "BUZZ_KINESIS_ALLOW_RETENTION_DECREASE"
    )]
    pub allow_retention_decrease: bool,

    /// Lower an existing provisioned stream's shard count when --shards asks for fewer (less
    /// capacity: Buzz's events beyond it are lost).
    #[arg(
        long,
        help_heading = "Stream",
        env = "BUZZ_KINESIS_ALLOW_CAPACITY_DECREASE"
    )]
    pub allow_capacity_decrease: bool,

    /// Change an existing role that buzz-kinesis did not create (and tag it as ours).
    #[arg(long, help_heading = "Role", env = "BUZZ_KINESIS_ADOPT")]
    pub adopt: bool,

    /// With --adopt: take the role even though its other policies let it do more than write
    /// to the stream (Agilix's account could then do all of it).
    #[arg(long, requires = "adopt", help_heading = "Role")]
    pub adopt_wider_role: bool,

    /// Remove the sts:ExternalId condition from the role's trust when this run has no
    /// external id (without it, a re-run that lost the id refuses).
    #[arg(long, help_heading = "Role")]
    pub remove_external_id: bool,

    /// Replace a trust that admits more than Agilix's account (other principals, statements
    /// or conditions) by one that admits Agilix's account alone.
    #[arg(long, help_heading = "Role")]
    pub replace_trust: bool,

    /// Raise a MaxSessionDuration someone shortened back to the 12 hours Agilix's procedure
    /// asks for ("12h" or "43200"; without it, a shortened role is refused).
    #[arg(
        long,
        value_name = "12h",
        env = "BUZZ_KINESIS_MAX_SESSION",
        help_heading = "Role"
    )]
    pub max_session: Option<String>,

    /// Stop after Buzz's test; save nothing in Buzz.
    #[arg(long, help_heading = "Buzz", env = "BUZZ_KINESIS_NO_ENABLE")]
    pub no_enable: bool,

    /// With --archive-bucket: make the starting queries Athena views beside the table
    /// (events_per_type_per_day, latest_user_state, events_distinct).
    #[arg(long, help_heading = "Archive", env = "BUZZ_KINESIS_ARCHIVE_VIEWS")]
    pub archive_views: bool,

    /// How long to keep retrying Buzz's test while IAM propagates a new role, in seconds
    /// [default: 90].
    #[arg(
        long,
        value_name = "SECONDS",
        help_heading = "Buzz",
        env = "BUZZ_KINESIS_PROPAGATION_TIMEOUT"
    )]
    pub propagation_timeout: Option<String>,
}

/// Which half of the job to do, for when the AWS account and the Buzz domain belong to
/// different people: setup, check and teardown.
#[derive(Debug, Clone, Args, Default)]
pub struct HalfArgs {
    /// Only the AWS half: stream, role, alarm (no Buzz login).
    ///
    /// Only the AWS half (stream, role, alarm): no Buzz login asked, read or needed. Setup
    /// ends by printing the Buzz half for a person with a Buzz login: the
    /// `buzz-kinesis setup --buzz-only ...` command and the request for Buzz's API console.
    #[arg(long, help_heading = TWO, conflicts_with = "buzz_only", env = "BUZZ_KINESIS_AWS_ONLY")]
    pub aws_only: bool,

    /// Only the Buzz half: the target in Buzz (no AWS credentials).
    ///
    /// Only the Buzz half (our target in the domain's configuration): no AWS credentials
    /// needed or read. Needs --role-arn, --stream and --region from the AWS half.
    #[arg(long, help_heading = TWO, env = "BUZZ_KINESIS_BUZZ_ONLY")]
    pub buzz_only: bool,

    /// With --buzz-only: the role the AWS half made (its ARN, as `setup --aws-only` printed it).
    #[arg(
        long,
        value_name = "ARN",
        help_heading = TWO,
        requires = "buzz_only",
        env = "BUZZ_KINESIS_ROLE_ARN"
    )]
    pub role_arn: Option<String>,
}

impl HalfArgs {
    /// The half these flags select.
    pub fn half(&self) -> crate::state::Halves {
        match (self.aws_only, self.buzz_only) {
            (true, _) => crate::state::Halves::AwsOnly,
            (_, true) => crate::state::Halves::BuzzOnly,
            _ => crate::state::Halves::Both,
        }
    }
}

/// `setup`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct SetupArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub desired: DesiredArgs,

    #[command(flatten)]
    pub setup: SetupOnlyArgs,

    #[command(flatten)]
    pub half: HalfArgs,

    /// Show the plan and change nothing (exit 0: nothing to do, 2: changes pending).
    #[arg(long, env = "BUZZ_KINESIS_DRY_RUN", help_heading = COMMON)]
    pub dry_run: bool,

    /// Apply the plan without asking (implies --no-input).
    ///
    /// Approve: apply the plan without asking. Needed to apply when stdin is not a terminal or
    /// CI is set. Nobody is at the keyboard to approve, so nobody is asked anything else
    /// either: --yes implies --no-input.
    #[arg(short, long, env = "BUZZ_KINESIS_YES", help_heading = COMMON)]
    pub yes: bool,

    #[command(flatten)]
    pub input: NoInputArg,
}

/// `--no-input`: every command that may ask a question.
#[derive(Debug, Clone, Args, Default)]
pub struct NoInputArg {
    /// Never prompt: take defaults; a missing required value is an error.
    ///
    /// Never prompt: take defaults, and fail naming each required value that is missing. Also
    /// the case when stdin is not a terminal or CI is set. It approves nothing (that is
    /// --yes).
    #[arg(long, env = "BUZZ_KINESIS_NO_INPUT", help_heading = COMMON)]
    pub no_input: bool,
}

/// `-y` where there is nothing to approve (check, export): the old spelling of --no-input,
/// kept for the scripts that pass it.
#[derive(Debug, Clone, Args, Default)]
pub struct OldYesArg {
    /// The same as --no-input (nothing here needs approving).
    #[arg(short, long, env = "BUZZ_KINESIS_YES", hide = true)]
    pub yes: bool,
}

/// `check`: the same flags as setup, so it checks against what setup would make.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub desired: DesiredArgs,

    /// Also prove it end to end: Buzz's test with the saved target, then wait for its probe
    /// event in the stream (with --buzz-only, Buzz's test alone: it proves the path). Saves
    /// nothing.
    #[arg(long, env = "BUZZ_KINESIS_PROBE", help_heading = COMMON)]
    pub probe: bool,

    #[command(flatten)]
    pub half: HalfArgs,

    /// How far back to look: the stream's CloudWatch metrics (refused writes, headroom,
    /// traffic) and a sample of its records (who writes): 90m, 24h, 7d, up to 14d [default: 24h].
    #[arg(
        long,
        value_name = "WINDOW",
        env = "BUZZ_KINESIS_SINCE",
        help_heading = "Check"
    )]
    pub since: Option<String>,

    /// A Buzz domain whose events belong in the stream (repeat; e.g. a district's schools):
    /// events from any other domain are reported [default: --domain].
    #[arg(
        long = "expect-domain",
        value_name = "ID",
        env = "BUZZ_KINESIS_EXPECT_DOMAIN",
        help_heading = "Check"
    )]
    pub expect_domains: Vec<String>,

    #[command(flatten)]
    pub input: NoInputArg,

    #[command(flatten)]
    pub old_yes: OldYesArg,
}

/// `teardown`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct TeardownArgs {
    #[command(flatten)]
    pub target: TeardownTargetArgs,

    #[command(flatten)]
    pub half: HalfArgs,

    /// Also delete the stream and every record in it (asks for its name, or needs --yes).
    ///
    /// Also delete the stream and every record in it (asks for the stream's name, or needs
    /// --yes). From the command line only: no env var or config key deletes data.
    #[arg(long, help_heading = COMMON)]
    pub delete_stream: bool,

    /// Also delete the archive's bucket and every event in it, every version (asks for the
    /// bucket's name, or needs --yes). Without it the bucket is always kept. From the command
    /// line only.
    #[arg(long, help_heading = "Archive")]
    pub delete_archive: bool,

    /// Show what would be removed and change nothing (exit 0: nothing to do, 2: changes pending).
    #[arg(long, env = "BUZZ_KINESIS_DRY_RUN", help_heading = COMMON)]
    pub dry_run: bool,

    /// Remove without asking (implies --no-input).
    ///
    /// Approve: remove what the plan lists without asking, including the stream or bucket that
    /// --delete-stream or --delete-archive names (instead of typing its name). Implies
    /// --no-input.
    #[arg(short, long, env = "BUZZ_KINESIS_YES", help_heading = COMMON)]
    pub yes: bool,

    #[command(flatten)]
    pub input: NoInputArg,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn longs(name: &str) -> Vec<String> {
        Cli::command()
            .find_subcommand(name)
            .unwrap()
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect()
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn export_is_also_called_policy() {
        for name in ["export", "policy"] {
            let cli = Cli::try_parse_from(["buzz-kinesis", name, "--agilix-account", "1"])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(matches!(cli.command, Command::Export(_)), "{name}");
        }
        let export = Cli::command();
        let export = export.find_subcommand("export").unwrap();
        assert_eq!(export.get_visible_aliases().collect::<Vec<_>>(), ["policy"]);
    }

    #[test]
    fn each_command_offers_only_its_own_flags() {
        let setup_only = [
            "adopt",
            "allow-retention-decrease",
            "no-enable",
            "propagation-timeout",
        ];
        for f in setup_only {
            assert!(longs("setup").contains(&f.to_owned()), "{f}");
            for other in ["check", "teardown", "export", "tail"] {
                assert!(
                    !longs(other).contains(&f.to_owned()),
                    "{other} offers --{f}"
                );
            }
        }
        for f in ["agilix-account", "external-id", "title", "capacity-mode"] {
            assert!(
                !longs("teardown").contains(&f.to_owned()),
                "teardown offers --{f}"
            );
        }
        for f in [
            "buzz-url",
            "buzz-user",
            "buzz-password-stdin",
            "buzz-password-file",
            "buzz-otp",
        ] {
            assert!(
                !longs("export").contains(&f.to_owned()),
                "export offers --{f}"
            );
        }
    }
}
