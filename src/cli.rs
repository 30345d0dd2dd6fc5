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
    max_term_width = 100,
    after_help = TOP_AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More detail on stderr (-v: steps and calls, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Output format on stdout (errors too: {"error": {"kind", "code", "message", "hint"}}).
    #[arg(long, value_enum, default_value_t = Output::Human, global = true)]
    pub output: Output,

    /// Colour on stderr: auto = on a terminal only, unless NO_COLOR is set or CLICOLOR=0
    /// (CLICOLOR_FORCE forces it).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// The longest setup, check or teardown may run, in seconds (1 to 86400; time at a
    /// prompt does not count) [default: 900; tail: none, it follows until --timeout]. When it
    /// passes the run ends with an error naming what it waited for.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "BUZZ_KINESIS_DEADLINE",
        global = true
    )]
    pub deadline: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
}

pub use crate::ui::color::ColorWhen;

const TOP_AFTER_HELP: &str = "Examples:
  buzz-kinesis setup                     # asks for what is missing, shows the plan, asks to apply
  buzz-kinesis setup --agilix-account 210987654321 --domain 424242 --buzz-user district/admin --yes
  buzz-kinesis check --domain 424242 --buzz-user district/admin
  buzz-kinesis tail --from trim-horizon --limit 20

Secrets come from the environment (values never shown): BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP;
unattended runs sign in as an application identity (--buzz-client-id, --buzz-key-file).
Settings may also come from --config FILE, BUZZ_KINESIS_CONFIG or
$XDG_CONFIG_HOME/buzz-kinesis/config.toml.

Exit status: 0 done (or nothing to do), 1 error (usage errors included), 2 changes pending
(--dry-run) or a check failed, 130 interrupted.";

const SETUP_AFTER_HELP: &str = "Examples:
  buzz-kinesis setup
  BUZZ_PASSWORD=... buzz-kinesis setup --agilix-account 210987654321 --domain 424242 \\
      --buzz-user district/admin --region us-east-1 --yes
  buzz-kinesis setup --config buzz.toml --dry-run          # exit 2 when changes are pending
  buzz-kinesis setup --aws-only --agilix-account 210987654321 --domain 424242 --yes
  buzz-kinesis setup --buzz-only --role-arn arn:aws:iam::111122223333:role/BuzzKinesisWriter \\
      --stream buzz-events --region us-east-1 --domain 424242 --buzz-user district/admin

Without a terminal (CI, a pipe), setup needs --yes to apply, or --dry-run.
Exit status: 0 done (or nothing to do), 1 error (usage errors included), 2 changes pending
(--dry-run), 130 interrupted.";

const CHECK_AFTER_HELP: &str = "Examples:
  buzz-kinesis check --domain 424242 --buzz-user district/admin
  buzz-kinesis check --config buzz.toml --probe --output json
  buzz-kinesis check --aws-only --agilix-account 210987654321     # an auditor: no Buzz login

Exit status: 0 every check passed, 1 error (usage errors included), 2 a check failed,
130 interrupted.";

const TAIL_AFTER_HELP: &str = "Examples:
  buzz-kinesis tail --stream buzz-events
  buzz-kinesis tail --from trim-horizon --limit 20
  buzz-kinesis tail --from 2024-05-01T08:00:00Z --event GradeChanged --output json

Control characters in events are shown escaped (\\x1b, \\u{...}); --output json prints each event
exactly as Buzz wrote it.
Exit status: 0 done, 1 error (usage errors included), 130 interrupted.";

const TEARDOWN_AFTER_HELP: &str = "Examples:
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --dry-run
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --yes
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --delete-stream
  buzz-kinesis teardown --buzz-only --role-arn ARN --stream buzz-events --region us-east-1 \\
      --domain 424242 --buzz-user district/admin      # then, by the AWS person: --aws-only

Without a terminal, teardown needs --yes (or --dry-run).
Exit status: 0 done (or nothing to do), 1 error (usage errors included), 2 something is left
to remove (--dry-run), 130 interrupted.";

const POLICY_AFTER_HELP: &str = "Examples:
  buzz-kinesis policy --agilix-account 210987654321
  buzz-kinesis policy --agilix-account 210987654321 --domain 424242 --format cloudformation > buzz.json
  buzz-kinesis policy --agilix-account 210987654321 --format terraform > buzz.tf

Exit status: 0 done, 1 error (usage errors included), 130 interrupted.";

const IDENTITY_AFTER_HELP: &str = "Examples:
  buzz-kinesis buzz-identity --domain 424242                 # print the requests, write the key
  BUZZ_PASSWORD=... buzz-kinesis buzz-identity --domain 424242 --buzz-user district/admin --send
  buzz-kinesis check --domain 424242 --buzz-client-id ID --buzz-key-file buzz-kinesis-identity.pem

The private key is written readable by you only (0600) and never printed; an existing key file
is reused. The identity needs the ControlDomain right on the domain, and nothing more.
Exit status: 0 done, 1 error (usage errors included), 2 made but not yet able to read the
domain (grant ControlDomain), 130 interrupted.";

/// Accepts any text (`spec` checks it, with the rule in its message) while offering `values`
/// to shell completion.
#[derive(Clone, Debug)]
pub struct Suggest(pub &'static [&'static str]);

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
    #[command(after_help = SETUP_AFTER_HELP)]
    Setup(SetupArgs),
    /// Check an existing setup without changing anything.
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Print the events arriving in the stream.
    #[command(after_help = TAIL_AFTER_HELP)]
    Tail(TailArgs),
    /// Remove the Buzz target and the role (the stream only with --delete-stream).
    #[command(after_help = TEARDOWN_AFTER_HELP)]
    Teardown(TeardownArgs),
    /// Print the trust and permission policies setup would apply, or an IaC template.
    #[command(after_help = POLICY_AFTER_HELP)]
    Policy(PolicyArgs),
    /// Make a Buzz application identity for unattended runs: a key pair here, and the two
    /// requests that create it in Buzz (printed, or sent with --send as an administrator).
    #[command(after_help = IDENTITY_AFTER_HELP)]
    BuzzIdentity(BuzzIdentityArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  buzz-kinesis completions bash > /etc/bash_completion.d/buzz-kinesis"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages: the top page on stdout, or every page into --out-dir.
    #[command(after_help = "Example:\n  buzz-kinesis man --out-dir /usr/local/share/man/man1")]
    Man {
        /// Write buzz-kinesis.1 and one page per subcommand (buzz-kinesis-setup.1, ...) here.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Where the settings file is: every command that reads one.
#[derive(Debug, Clone, Args, Default)]
pub struct ConfigArgs {
    /// TOML file with any of these settings (keys as the long flags, e.g. agilix-account =
    /// "...") [default: $XDG_CONFIG_HOME/buzz-kinesis/config.toml, when it exists]. Flags and
    /// env vars win over it.
    #[arg(long, value_name = "FILE", env = "BUZZ_KINESIS_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Which Buzz domain: the commands that reach Buzz, and policy (the template parameter's
/// default and the domain in the request to paste).
#[derive(Debug, Clone, Args, Default)]
pub struct DomainArg {
    /// Buzz domain: numeric id or //USERSPACE. Taken as a list (repeated, or comma-separated,
    /// or `domains = [...]` in the config file) so that one run can cover several domains;
    /// this version refuses more than one, before anything is sent.
    #[arg(
        long,
        env = "BUZZ_DOMAIN_ID",
        help_heading = "Buzz",
        value_delimiter = ','
    )]
    pub domain: Vec<String>,
}

/// AWS connection options.
#[derive(Debug, Clone, Args, Default)]
pub struct AwsArgs {
    /// AWS profile (from ~/.aws/config); the standard credential chain otherwise.
    #[arg(long, env = "AWS_PROFILE", help_heading = "AWS")]
    pub profile: Option<String>,

    /// AWS region of the stream [default: the profile's region].
    #[arg(long, env = "AWS_REGION", help_heading = "AWS", value_parser = Suggest(crate::ui::wizard::REGIONS), hide_possible_values = true)]
    pub region: Option<String>,
}

/// Which stream and role: shared by every command that looks at a setup.
#[derive(Debug, Clone, Args, Default)]
pub struct NameArgs {
    /// Kinesis stream Buzz writes to [default: buzz-events].
    #[arg(long, env = "BUZZ_KINESIS_STREAM", help_heading = "Stream")]
    pub stream: Option<String>,

    /// IAM role Agilix assumes [default: BuzzKinesisWriter].
    #[arg(long, env = "BUZZ_KINESIS_ROLE", help_heading = "Role")]
    pub role: Option<String>,
}

/// Who may assume the role: setup, check and policy.
#[derive(Debug, Clone, Args, Default)]
pub struct AgilixArgs {
    /// Agilix's 12-digit AWS account number (from Agilix support; there is no default).
    #[arg(long, env = "BUZZ_AGILIX_ACCOUNT_ID", help_heading = "Role")]
    pub agilix_account: Option<String>,

    /// External id, only if Agilix issued one (adds an sts:ExternalId condition).
    #[arg(long, env = "BUZZ_EXTERNAL_ID", help_heading = "Role")]
    pub external_id: Option<String>,
}

/// Where and as whom to reach Buzz: setup, check and teardown.
#[derive(Debug, Clone, Args, Default)]
pub struct BuzzArgs {
    /// Buzz API base URL [default: https://interactiveapi.agilixbuzz.com for a person at a
    /// terminal logging in with a password, else https://backgroundapi.agilixbuzz.com].
    #[arg(long, env = "BUZZ_API_URL", help_heading = "Buzz")]
    pub buzz_url: Option<String>,

    /// Buzz login, USERSPACE/USERNAME. The password comes from BUZZ_PASSWORD,
    /// --buzz-password-stdin, --buzz-password-file or a hidden prompt; BUZZ_TOKEN instead
    /// holds a bearer token (OAuth integrations).
    #[arg(long, env = "BUZZ_USERNAME", help_heading = "Buzz")]
    pub buzz_user: Option<String>,

    /// Read the Buzz password from the first line of stdin [else env: BUZZ_PASSWORD].
    #[arg(long, help_heading = "Buzz", conflicts_with = "buzz_password_file")]
    pub buzz_password_stdin: bool,

    /// Read the Buzz password from the first line of this file [else env: BUZZ_PASSWORD].
    #[arg(long, value_name = "FILE", help_heading = "Buzz")]
    pub buzz_password_file: Option<PathBuf>,

    /// Refused: a code in argv is visible to every user of the machine (`ps`). The MFA code
    /// comes from BUZZ_OTP, --buzz-otp-file or a hidden prompt.
    #[arg(long, value_name = "CODE", help_heading = "Buzz", hide = true)]
    pub buzz_otp: Option<String>,

    /// Read the MFA code, when Buzz asks for a second factor, from the first line of this file
    /// [else env: BUZZ_OTP, else a hidden prompt].
    #[arg(long, value_name = "FILE", help_heading = "Buzz")]
    pub buzz_otp_file: Option<PathBuf>,

    #[command(flatten)]
    pub domain: DomainArg,

    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// Signing in as a Buzz application identity (OAuth 2.0, no person, no password): what
/// `buzz-kinesis buzz-identity` made. It wins over BUZZ_TOKEN and --buzz-user.
#[derive(Debug, Clone, Args, Default)]
pub struct IdentityArgs {
    /// The application identity's client id (its Buzz userid); with --buzz-key-file.
    #[arg(
        long,
        env = "BUZZ_CLIENT_ID",
        value_name = "ID",
        help_heading = "Buzz application identity"
    )]
    pub buzz_client_id: Option<String>,

    /// The identity's RSA private key (PEM), readable by its owner only (chmod 600).
    #[arg(
        long,
        env = "BUZZ_KEY_FILE",
        value_name = "PEM",
        help_heading = "Buzz application identity"
    )]
    pub buzz_key_file: Option<PathBuf>,

    /// The key id the public key is registered under [default: derived from the key, as
    /// buzz-identity registers it].
    #[arg(
        long,
        env = "BUZZ_KEY_ID",
        value_name = "KID",
        help_heading = "Buzz application identity"
    )]
    pub buzz_key_id: Option<String>,

    /// The assertion's audience (`aud`) [default: the token endpoint's URL,
    /// {base}/api/oauth/token].
    #[arg(
        long,
        env = "BUZZ_TOKEN_AUDIENCE",
        value_name = "AUD",
        help_heading = "Buzz application identity"
    )]
    pub buzz_token_audience: Option<String>,
}

/// Everything that identifies a setup and how to reach it: setup and check take all of it;
/// teardown and policy take their own subsets ([`TeardownTargetArgs`], [`PolicyTargetArgs`]),
/// converted to this for `spec`.
#[derive(Debug, Clone, Args, Default)]
pub struct TargetArgs {
    #[command(flatten)]
    pub names: NameArgs,

    #[command(flatten)]
    pub agilix: AgilixArgs,

    #[command(flatten)]
    pub buzz: BuzzArgs,

    /// Title of the target in Buzz [default: "Kinesis: <stream>"].
    #[arg(long, help_heading = "Buzz")]
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
    pub names: NameArgs,

    #[command(flatten)]
    pub buzz: BuzzArgs,

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
            aws: t.aws.clone(),
            settings: t.settings.clone(),
            ..TargetArgs::default()
        }
    }
}

/// What policy needs: no Buzz login (nothing is sent to Buzz).
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyTargetArgs {
    #[command(flatten)]
    pub names: NameArgs,

    #[command(flatten)]
    pub agilix: AgilixArgs,

    #[command(flatten)]
    pub domain: DomainArg,

    /// Title of the target in Buzz [default: "Kinesis: <stream>"].
    #[arg(long, help_heading = "Buzz")]
    pub title: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub settings: ConfigArgs,
}

impl From<&PolicyTargetArgs> for TargetArgs {
    fn from(t: &PolicyTargetArgs) -> Self {
        TargetArgs {
            names: t.names.clone(),
            agilix: t.agilix.clone(),
            buzz: BuzzArgs {
                domain: t.domain.clone(),
                ..BuzzArgs::default()
            },
            title: t.title.clone(),
            aws: t.aws.clone(),
            settings: t.settings.clone(),
        }
    }
}

/// What the setup should look like, beyond its names: shared by setup, check and policy.
#[derive(Debug, Clone, Args, Default)]
pub struct DesiredArgs {
    /// Stream capacity mode [default: on-demand].
    #[arg(long, value_name = "on-demand|provisioned", help_heading = "Stream", value_parser = Suggest(&["on-demand", "provisioned"]), hide_possible_values = true)]
    pub capacity_mode: Option<String>,

    /// Shards, provisioned mode only (each takes 1,000 records/s and 1 MB/s).
    #[arg(long, value_name = "N", help_heading = "Stream")]
    pub shards: Option<String>,

    /// Retention in hours, 24-8760 [default: 24]. Only ever raised, unless
    /// --allow-retention-decrease.
    #[arg(long, value_name = "H", help_heading = "Stream")]
    pub retention_hours: Option<String>,

    /// Server-side encryption key [default for a new stream: alias/aws/kinesis]: the
    /// AWS-managed key, or a customer-managed key's ARN (adds kms:GenerateDataKey on that key
    /// to the role's policy). An existing unencrypted stream is encrypted only when this is
    /// given.
    #[arg(long, value_name = "KEY", help_heading = "Stream")]
    pub kms_key: Option<String>,

    /// Make a new stream unencrypted at rest (by default setup encrypts it with the
    /// AWS-managed key alias/aws/kinesis, which Buzz's role needs no grant for); the plan, the
    /// summary and check say so. Excludes --kms-key.
    #[arg(long, help_heading = "Stream", conflicts_with = "kms_key")]
    pub no_encryption: bool,

    /// Extra tag KEY=VALUE for the stream and the role (repeat).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,

    /// Event filter TYPE or TYPE:prop,child.prop (repeat); none = every event.
    #[arg(long = "event", value_name = "TYPE[:PROPS]", help_heading = "Buzz")]
    pub events: Vec<String>,

    /// Peak Buzz events per second you expect: setup and check then say whether the stream's
    /// capacity takes them (Buzz does not buffer; events beyond capacity are lost).
    #[arg(long, value_name = "N", help_heading = "Sizing")]
    pub expected_events_per_second: Option<String>,

    /// Average event size in bytes, for the sizing advice [default: 1000].
    #[arg(long, value_name = "BYTES", help_heading = "Sizing")]
    pub avg_event_bytes: Option<String>,

    /// Alarm on lost events: a CloudWatch alarm on the stream's refused writes that mails this
    /// address (repeat; each must confirm AWS's subscription mail). Setup makes and tags an SNS
    /// topic for it.
    #[arg(long = "alarm-email", value_name = "ADDRESS", help_heading = "Alarm")]
    pub alarm_emails: Vec<String>,

    /// Alarm on lost events, notifying this existing SNS topic instead of one setup makes.
    #[arg(long, value_name = "SNS-TOPIC-ARN", help_heading = "Alarm")]
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
    #[arg(long, value_name = "N", help_heading = "Archive")]
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
    #[arg(long, help_heading = "Stream")]
    pub allow_retention_decrease: bool,

    /// Lower an existing provisioned stream's shard count when --shards asks for fewer (less
    /// capacity: Buzz's events beyond it are lost).
    #[arg(long, help_heading = "Stream")]
    pub allow_capacity_decrease: bool,

    /// Change an existing role that buzz-kinesis did not create (and tag it as ours).
    #[arg(long, help_heading = "Role")]
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

    /// Stop after Buzz's test; save nothing in Buzz.
    #[arg(long, help_heading = "Buzz")]
    pub no_enable: bool,

    /// With --archive-bucket: make the starting queries Athena views beside the table
    /// (events_per_type_per_day, latest_user_state, events_distinct).
    #[arg(long, help_heading = "Archive")]
    pub archive_views: bool,

    /// How long to keep retrying Buzz's test while IAM propagates a new role, in seconds
    /// [default: 90].
    #[arg(long, value_name = "SECONDS", help_heading = "Buzz")]
    pub propagation_timeout: Option<String>,
}

/// Which half of the job to do, for when the AWS account and the Buzz domain belong to
/// different people: setup, check and teardown.
#[derive(Debug, Clone, Args, Default)]
pub struct HalfArgs {
    /// Only the AWS half (stream, role, alarm): no Buzz login asked, read or needed. Setup
    /// ends by printing the Buzz half for a person with a Buzz login: the
    /// `buzz-kinesis setup --buzz-only ...` command and the request for Buzz's API console.
    #[arg(long, help_heading = "Halves", conflicts_with = "buzz_only")]
    pub aws_only: bool,

    /// Only the Buzz half (our target in the domain's configuration): no AWS credentials
    /// needed or read. Needs --role-arn, --stream and --region from the AWS half.
    #[arg(long, help_heading = "Halves")]
    pub buzz_only: bool,

    /// With --buzz-only: the role the AWS half made (its ARN, as `setup --aws-only` printed it).
    #[arg(
        long,
        value_name = "ARN",
        help_heading = "Halves",
        requires = "buzz_only"
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
    #[arg(long)]
    pub dry_run: bool,

    /// Apply without asking, and never prompt: take defaults, fail on a missing required value.
    /// Needed to apply when stdin is not a terminal or CI is set.
    #[arg(short, long)]
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
    #[arg(long)]
    pub probe: bool,

    #[command(flatten)]
    pub half: HalfArgs,

    /// How far back to look: the stream's CloudWatch metrics (refused writes, headroom,
    /// traffic) and a sample of its records (who writes): 90m, 24h, 7d, up to 14d [default: 24h].
    #[arg(long, value_name = "WINDOW")]
    pub since: Option<String>,

    /// A Buzz domain whose events belong in the stream (repeat; e.g. a district's schools):
    /// events from any other domain are reported [default: --domain].
    #[arg(long = "expect-domain", value_name = "ID")]
    pub expect_domains: Vec<String>,

    /// Never prompt.
    #[arg(short, long)]
    pub yes: bool,
}

/// `teardown`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct TeardownArgs {
    #[command(flatten)]
    pub target: TeardownTargetArgs,

    #[command(flatten)]
    pub half: HalfArgs,

    /// Also delete the stream and every record in it (asks for the stream's name, or needs --yes).
    #[arg(long)]
    pub delete_stream: bool,

    /// Also delete the archive's bucket and every event in it, every version (asks for the
    /// bucket's name, or needs --yes). Without it the bucket is always kept.
    #[arg(long)]
    pub delete_archive: bool,

    /// Show what would be removed and change nothing (exit 0: nothing to do, 2: changes pending).
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt: remove without asking (with --delete-stream, the stream too).
    #[arg(short, long)]
    pub yes: bool,
}

/// `buzz-identity`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct BuzzIdentityArgs {
    /// Where the Buzz API is, the domain, and (with --send) the administrator's login.
    #[command(flatten)]
    pub buzz: BuzzArgs,

    /// The private key's file: created readable by you only (0600); an existing key there is
    /// reused, never overwritten.
    #[arg(long, value_name = "FILE", default_value = "buzz-kinesis-identity.pem")]
    pub key_out: PathBuf,

    /// The identity's Buzz username.
    #[arg(long, value_name = "NAME", default_value = "buzz-kinesis")]
    pub name: String,

    /// The key id to register the public key under [default: derived from the key].
    #[arg(long, value_name = "KID")]
    pub key_id: Option<String>,

    /// Send the two requests as an administrator (--buzz-user and a password) instead of
    /// printing them, then sign in as the new identity to prove it works.
    #[arg(long)]
    pub send: bool,

    #[command(flatten)]
    pub settings: ConfigArgs,
}

/// `policy`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub target: PolicyTargetArgs,

    #[command(flatten)]
    pub desired: DesiredArgs,

    /// Write a template instead of the bare policies: the stream, the role and its policy,
    /// with outputs that give the ARNs and the SetDataStreamConfiguration request for Buzz.
    #[arg(long, value_enum)]
    pub format: Option<TemplateFormat>,

    /// Never prompt.
    #[arg(short, long)]
    pub yes: bool,
}

/// The infrastructure-as-code dialects `policy --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// An AWS CloudFormation template (JSON).
    Cloudformation,
    /// A Terraform configuration (HCL) for the hashicorp/aws provider.
    Terraform,
    /// The archive (needs --archive-bucket) as JSON: its layout, the table's columns, the
    /// Athena DDL and the SQL to start from.
    Archive,
}

/// `tail`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct TailArgs {
    /// Stream to read [default: buzz-events].
    #[arg(long, env = "BUZZ_KINESIS_STREAM")]
    pub stream: Option<String>,

    /// Where to start: latest, trim-horizon, or an RFC 3339 time (e.g. 2024-05-01T08:00:00Z).
    #[arg(
        long,
        default_value = "latest",
        value_name = "latest|trim-horizon|TIME",
        value_parser = Suggest(&["latest", "trim-horizon"]),
        hide_possible_values = true
    )]
    pub from: String,

    /// Stop after printing this many lines (events, and records that are not events).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Stop after this many seconds (with --limit: an error if fewer lines came).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Only events of this type (repeat). Records that are not Buzz events are still shown.
    #[arg(long = "event", value_name = "TYPE")]
    pub events: Vec<String>,

    /// A Buzz domain whose events belong in the stream (repeat): events of any other domain
    /// are marked `foreign` (JSON: "foreign": true). tail reads no Buzz, so a district's
    /// schools are named one by one (check's buzz.tree row lists their ids).
    #[arg(long = "expect-domain", value_name = "ID")]
    pub expect_domains: Vec<String>,

    /// With --expect-domain: show only the expected domains' events (others are counted).
    #[arg(long, requires = "expect_domains")]
    pub only_expected: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
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
    fn each_command_offers_only_its_own_flags() {
        let setup_only = [
            "adopt",
            "allow-retention-decrease",
            "no-enable",
            "propagation-timeout",
        ];
        for f in setup_only {
            assert!(longs("setup").contains(&f.to_owned()), "{f}");
            for other in ["check", "teardown", "policy", "tail"] {
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
                !longs("policy").contains(&f.to_owned()),
                "policy offers --{f}"
            );
        }
    }

    #[test]
    fn every_help_has_examples_and_exit_codes_and_names_secret_env_vars_without_values() {
        let mut cli = Cli::command();
        let top = cli.render_long_help().to_string();
        assert!(
            top.contains("Exit status") && top.contains("Examples"),
            "{top}"
        );
        for name in ["setup", "check", "tail", "teardown", "policy"] {
            let help = Cli::command()
                .find_subcommand_mut(name)
                .unwrap()
                .render_long_help()
                .to_string();
            assert!(help.contains("Exit status: 0"), "{name}");
            assert!(help.contains("Examples:\n  buzz-kinesis"), "{name}");
            assert!(!help.contains("Let setup"), "{name}");
        }
        std::env::set_var("BUZZ_OTP", "123456");
        let setup = Cli::command()
            .find_subcommand_mut("setup")
            .unwrap()
            .render_long_help()
            .to_string();
        std::env::remove_var("BUZZ_OTP");
        assert!(setup.contains("env: BUZZ_PASSWORD") && setup.contains("BUZZ_TOKEN"));
        assert!(setup.contains("env: BUZZ_OTP") && !setup.contains("123456"));
        assert!(
            !setup.contains("--buzz-otp <CODE>"),
            "the refused flag is not offered"
        );
    }
}
