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
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Output::Human, global = true)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Human,
    Json,
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
    Policy(PolicyArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, e.g. `buzz-kinesis man > buzz-kinesis.1`.
    #[command(hide = true)]
    Man,
}

/// AWS connection options.
#[derive(Debug, Clone, Args, Default)]
pub struct AwsArgs {
    /// AWS profile (from ~/.aws/config); the standard credential chain otherwise.
    #[arg(long, env = "AWS_PROFILE", help_heading = "AWS")]
    pub profile: Option<String>,

    /// AWS region of the stream [default: the profile's region].
    #[arg(long, env = "AWS_REGION", help_heading = "AWS")]
    pub region: Option<String>,
}

/// Names that identify a setup: shared by every command that looks at one.
#[derive(Debug, Clone, Args, Default)]
pub struct TargetArgs {
    /// Kinesis stream to create or reuse [default: buzz-events].
    #[arg(long, env = "BUZZ_KINESIS_STREAM", help_heading = "Stream")]
    pub stream: Option<String>,

    /// IAM role Agilix assumes [default: BuzzKinesisWriter].
    #[arg(long, env = "BUZZ_KINESIS_ROLE", help_heading = "Role")]
    pub role: Option<String>,

    /// Agilix's 12-digit AWS account number (from Agilix support; there is no default).
    #[arg(long, env = "BUZZ_AGILIX_ACCOUNT_ID", help_heading = "Role")]
    pub agilix_account: Option<String>,

    /// External id, only if Agilix issued one (adds an sts:ExternalId condition).
    #[arg(long, env = "BUZZ_EXTERNAL_ID", help_heading = "Role")]
    pub external_id: Option<String>,

    /// Buzz API base URL [default: https://api.agilixbuzz.com].
    #[arg(long, env = "BUZZ_API_URL", help_heading = "Buzz")]
    pub buzz_url: Option<String>,

    /// Buzz login, USERSPACE/USERNAME. The password comes from BUZZ_PASSWORD,
    /// --buzz-password-stdin, --buzz-password-file or a hidden prompt; BUZZ_TOKEN instead
    /// holds a bearer token (OAuth integrations).
    #[arg(long, env = "BUZZ_USERNAME", help_heading = "Buzz")]
    pub buzz_user: Option<String>,

    /// Read the Buzz password from the first line of stdin.
    #[arg(long, help_heading = "Buzz", conflicts_with = "buzz_password_file")]
    pub buzz_password_stdin: bool,

    /// Read the Buzz password from the first line of this file.
    #[arg(long, value_name = "FILE", help_heading = "Buzz")]
    pub buzz_password_file: Option<PathBuf>,

    /// MFA code, when Buzz asks for a second factor (else a prompt).
    #[arg(
        long,
        env = "BUZZ_OTP",
        value_name = "CODE",
        help_heading = "Buzz",
        hide_env_values = true
    )]
    pub buzz_otp: Option<String>,

    /// Buzz domain: numeric id or //USERSPACE.
    #[arg(long, env = "BUZZ_DOMAIN_ID", help_heading = "Buzz")]
    pub domain: Option<String>,

    /// Title of the target in Buzz [default: "Kinesis: <stream>"].
    #[arg(long, help_heading = "Buzz")]
    pub title: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// TOML file with any of these settings (keys as the flags, e.g. agilix-account = "...");
    /// flags and env vars win over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What the setup should look like, beyond its names: shared by setup, check and policy.
#[derive(Debug, Clone, Args, Default)]
pub struct DesiredArgs {
    /// Stream capacity mode [default: on-demand].
    #[arg(long, value_name = "on-demand|provisioned", help_heading = "Stream")]
    pub capacity_mode: Option<String>,

    /// Shards, provisioned mode only (each takes 1,000 records/s and 1 MB/s).
    #[arg(long, value_name = "N", help_heading = "Stream")]
    pub shards: Option<String>,

    /// Retention in hours, 24-8760 [default: 24]. Only ever raised, unless
    /// --allow-retention-decrease.
    #[arg(long, value_name = "H", help_heading = "Stream")]
    pub retention_hours: Option<String>,

    /// Let setup lower an existing stream's retention (deletes records older than the new value).
    #[arg(long, help_heading = "Stream")]
    pub allow_retention_decrease: bool,

    /// Server-side encryption key: alias/aws/kinesis, or a customer-managed key's ARN
    /// (adds kms:GenerateDataKey on that key to the role's policy).
    #[arg(long, value_name = "KEY", help_heading = "Stream")]
    pub kms_key: Option<String>,

    /// Extra tag KEY=VALUE for the stream and the role (repeat).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,

    /// Let setup change an existing role that buzz-kinesis did not create.
    #[arg(long, help_heading = "Role")]
    pub adopt: bool,

    /// Event filter TYPE or TYPE:prop,child.prop (repeat); none = every event.
    #[arg(long = "event", value_name = "TYPE[:PROPS]", help_heading = "Buzz")]
    pub events: Vec<String>,

    /// Stop after Buzz's test; save nothing in Buzz.
    #[arg(long, help_heading = "Buzz")]
    pub no_enable: bool,

    /// How long to keep retrying Buzz's test while IAM propagates a new role, in seconds
    /// [default: 90].
    #[arg(long, value_name = "SECONDS", help_heading = "Buzz")]
    pub propagation_timeout: Option<String>,

    /// Peak Buzz events per second you expect: setup and check then say whether the stream's
    /// capacity takes them (Buzz does not buffer; events beyond capacity are lost).
    #[arg(long, value_name = "N", help_heading = "Sizing")]
    pub expected_events_per_second: Option<String>,

    /// Average event size in bytes, for the sizing advice [default: 1000].
    #[arg(long, value_name = "BYTES", help_heading = "Sizing")]
    pub avg_event_bytes: Option<String>,
}

/// `setup`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct SetupArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub desired: DesiredArgs,

    /// Show the plan and change nothing (exit 0: nothing to do, 2: changes pending).
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt; take defaults, and fail on a missing required value.
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
    /// event in the stream. Saves nothing.
    #[arg(long)]
    pub probe: bool,

    /// Never prompt.
    #[arg(short, long)]
    pub yes: bool,
}

/// `teardown`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct TeardownArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Also delete the stream and every record in it (asks for the stream's name, or needs --yes).
    #[arg(long)]
    pub delete_stream: bool,

    /// Show what would be removed and change nothing (exit 0: nothing to do, 2: changes pending).
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt: remove without asking (with --delete-stream, the stream too).
    #[arg(short, long)]
    pub yes: bool,
}

/// `policy`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub target: TargetArgs,

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
        value_name = "latest|trim-horizon|TIME"
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

    #[command(flatten)]
    pub aws: AwsArgs,
}
