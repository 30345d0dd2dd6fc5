//! The flags of the commands that share little with setup: `buzz-identity`, `export` and
//! `tail` (in their own file to keep `cli.rs` readable).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{
    AgilixArgs, AwsArgs, BuzzArgs, ConfigArgs, DesiredArgs, DomainArg, IdentityArgs, NameArgs,
    NoInputArg, OldYesArg, Suggest, TargetArgs, COMMON,
};

/// `buzz-identity`.
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct BuzzIdentityArgs {
    /// Where the Buzz API is, the domain, and (with --send) the administrator's login.
    #[command(flatten)]
    pub buzz: BuzzArgs,

    /// The identity's private key file (PEM), as setup and check later take it.
    ///
    /// The identity's private key file: created readable by you only (0600); an existing key
    /// there is reused, never overwritten. Setup, check and teardown take the same path as
    /// --buzz-key-file. (--key-out is its old name.)
    #[arg(
        long = "buzz-key-file",
        alias = "key-out",
        value_name = "PEM",
        default_value = "buzz-kinesis-identity.pem",
        env = "BUZZ_KINESIS_BUZZ_KEY_FILE",
        help_heading = COMMON
    )]
    pub key_out: PathBuf,

    /// The identity's Buzz username.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "buzz-kinesis",
        env = "BUZZ_KINESIS_NAME",
        help_heading = "Buzz application identity"
    )]
    pub name: String,

    /// The key id to register the public key under [default: derived from the key], as
    /// setup and check later take it with --buzz-key-id. (--key-id is its old name.)
    #[arg(
        long = "buzz-key-id",
        alias = "key-id",
        value_name = "KID",
        env = "BUZZ_KINESIS_BUZZ_KEY_ID",
        help_heading = "Buzz application identity"
    )]
    pub key_id: Option<String>,

    /// Send the two requests as the administrator (--buzz-user) and prove the identity.
    ///
    /// Send the two requests as an administrator (--buzz-user and a password) instead of
    /// printing them, then sign in as the new identity to prove it works.
    #[arg(long, env = "BUZZ_KINESIS_SEND", help_heading = COMMON)]
    pub send: bool,

    /// With --send, register the key already in --buzz-key-file's file. Without it --send
    /// refuses a key file this run did not make: a file someone else left there is never
    /// registered as the identity's key unknowingly.
    #[arg(long, env = "BUZZ_KINESIS_REUSE_KEY")]
    pub reuse_key: bool,

    #[command(flatten)]
    pub settings: ConfigArgs,

    #[command(flatten)]
    pub input: NoInputArg,
}

/// `export` (alias `policy`).
#[derive(Debug, Clone, Args, Default)]
#[command(args_override_self = true)]
pub struct ExportArgs {
    #[command(flatten)]
    pub target: ExportTargetArgs,

    #[command(flatten)]
    pub desired: DesiredArgs,

    /// Write a template instead of the bare policies: the stream, the role and its policy,
    /// with outputs that give the ARNs and the SetDataStreamConfiguration request for Buzz.
    #[arg(long, value_enum, env = "BUZZ_KINESIS_FORMAT", help_heading = COMMON)]
    pub format: Option<TemplateFormat>,

    #[command(flatten)]
    pub input: NoInputArg,

    #[command(flatten)]
    pub old_yes: OldYesArg,
}

/// What export needs: no Buzz login (nothing is sent to Buzz).
#[derive(Debug, Clone, Args, Default)]
pub struct ExportTargetArgs {
    #[command(flatten)]
    pub agilix: AgilixArgs,

    #[command(flatten)]
    pub domain: DomainArg,

    #[command(flatten)]
    pub names: NameArgs,

    /// Title of the target in Buzz [default: "Kinesis: <stream>"].
    #[arg(long, help_heading = "Buzz", env = "BUZZ_KINESIS_TITLE")]
    pub title: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub settings: ConfigArgs,
}

impl From<&ExportTargetArgs> for TargetArgs {
    fn from(t: &ExportTargetArgs) -> Self {
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
            identity: IdentityArgs::default(),
        }
    }
}

/// The infrastructure-as-code dialects `export --format` writes.
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
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Stream to read [default: buzz-events].
    #[arg(long, env = "BUZZ_KINESIS_STREAM", help_heading = COMMON)]
    pub stream: Option<String>,

    /// Where to start: latest, trim-horizon, or an RFC 3339 time (e.g. 2024-05-01T08:00:00Z).
    #[arg(
        long,
        default_value = "latest",
        value_name = "latest|trim-horizon|TIME",
        value_parser = Suggest(&["latest", "trim-horizon"]),
        hide_possible_values = true,
        help_heading = COMMON,
        env = "BUZZ_KINESIS_FROM"
    )]
    pub from: String,

    /// Stop after printing this many lines (events, and records that are not events).
    #[arg(long, value_name = "N", env = "BUZZ_KINESIS_LIMIT", help_heading = COMMON)]
    pub limit: Option<u64>,

    /// Stop after this many seconds (with --limit: an error if fewer lines came).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "BUZZ_KINESIS_TIMEOUT",
        help_heading = "Events"
    )]
    pub timeout: Option<u64>,

    /// Only events of this type (repeat). Records that are not Buzz events are still shown.
    #[arg(
        long = "event",
        value_name = "TYPE",
        env = "BUZZ_KINESIS_EVENT",
        help_heading = "Events"
    )]
    pub events: Vec<String>,

    /// A Buzz domain whose events belong in the stream (repeat): events of any other domain
    /// are marked `foreign` (JSON: "foreign": true). tail reads no Buzz, so a district's
    /// schools are named one by one (check's buzz.tree row lists their ids).
    #[arg(
        long = "expect-domain",
        value_name = "ID",
        env = "BUZZ_KINESIS_EXPECT_DOMAIN",
        help_heading = "Events"
    )]
    pub expect_domains: Vec<String>,

    /// With --expect-domain: show only the expected domains' events (others are counted).
    #[arg(
        long,
        requires = "expect_domains",
        env = "BUZZ_KINESIS_ONLY_EXPECTED",
        help_heading = "Events"
    )]
    pub only_expected: bool,

    /// The settings file setup wrote or read: its `stream`, `region` and `profile`.
    #[command(flatten)]
    pub settings: ConfigArgs,
}
