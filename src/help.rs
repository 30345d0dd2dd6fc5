//! The front door: help in two lengths, every flag's environment variable (and the older names
//! still read), and the man pages' ENVIRONMENT, FILES and EXIT STATUS sections.
//!
//! `cli` declares the flags; this module decides what `-h` shows (one screen: the headings
//! [`cli::FIRST`], [`cli::COMMON`] and [`cli::TWO`]) and what only `--help` and the man pages
//! show (everything).

use clap::{Arg, Command, CommandFactory};

use crate::cli::{self, Cli, COMMON, FIRST, TWO};

/// Every flag's env var is this prefix and the flag's long name (`--agilix-account` ->
/// `BUZZ_KINESIS_AGILIX_ACCOUNT`).
#[cfg(test)]
pub(crate) const ENV_PREFIX: &str = "BUZZ_KINESIS_";

/// Older env var names, still read when the `BUZZ_KINESIS_` name is not set (which wins).
pub(crate) const ENV_ALIASES: &[(&str, &str)] = &[
    ("BUZZ_KINESIS_AGILIX_ACCOUNT", "BUZZ_AGILIX_ACCOUNT_ID"),
    ("BUZZ_KINESIS_EXTERNAL_ID", "BUZZ_EXTERNAL_ID"),
    ("BUZZ_KINESIS_DOMAIN", "BUZZ_DOMAIN_ID"),
    ("BUZZ_KINESIS_BUZZ_URL", "BUZZ_API_URL"),
    ("BUZZ_KINESIS_BUZZ_USER", "BUZZ_USERNAME"),
    ("BUZZ_KINESIS_BUZZ_CLIENT_ID", "BUZZ_CLIENT_ID"),
    ("BUZZ_KINESIS_BUZZ_KEY_FILE", "BUZZ_KEY_FILE"),
    ("BUZZ_KINESIS_BUZZ_KEY_ID", "BUZZ_KEY_ID"),
    ("BUZZ_KINESIS_BUZZ_TOKEN_AUDIENCE", "BUZZ_TOKEN_AUDIENCE"),
    ("BUZZ_KINESIS_PROFILE", "AWS_PROFILE"),
    ("BUZZ_KINESIS_REGION", "AWS_REGION"),
];

/// The flags with no env var, and why.
#[cfg(test)]
pub(crate) const NO_ENV: &[(&str, &str)] = &[
    ("help", "prints help and exits"),
    ("version", "prints the version and exits"),
    (
        "buzz-otp",
        "refused as a flag; the code itself comes from BUZZ_OTP",
    ),
    (
        "remove-external-id",
        "drops a protection: from the command line only, never ambient",
    ),
    (
        "replace-trust",
        "changes who may assume the role: from the command line only",
    ),
    (
        "adopt-wider-role",
        "accepts wider access: from the command line only",
    ),
    ("delete-stream", "deletes data: from the command line only"),
    ("delete-archive", "deletes data: from the command line only"),
];

/// The secrets, read from the environment as they always were (never from a flag's value).
pub(crate) const SECRET_ENV: &[(&str, &str)] = &[
    ("BUZZ_PASSWORD", "the Buzz password of --buzz-user"),
    (
        "BUZZ_TOKEN",
        "a Buzz bearer token instead of a password (OAuth integrations)",
    ),
    (
        "BUZZ_OTP",
        "the MFA code, when Buzz asks for a second factor",
    ),
];

/// Other variables read.
const OTHER_ENV: &[(&str, &str)] = &[
    (
        "CI",
        "set (to anything but empty, false or 0): never prompt, as --no-input",
    ),
    (
        "NO_COLOR, CLICOLOR, CLICOLOR_FORCE",
        "colour, with --color auto",
    ),
    ("XDG_CONFIG_HOME", "where the default config file is"),
    (
        "AWS_* (AWS_ACCESS_KEY_ID, AWS_CONFIG_FILE, AWS_CA_BUNDLE, ...)",
        "the AWS SDK's own settings",
    ),
];

const FILES: &str = "$XDG_CONFIG_HOME/buzz-kinesis/config.toml (~/.config/buzz-kinesis/config.toml)
  The settings file, when --config is not given and it exists: keys as the long flags.
~/.aws/config, ~/.aws/credentials
  AWS profiles (--profile) and credentials, read by the AWS SDK.
buzz-kinesis-identity.pem
  buzz-identity's private key (0600), reused when it exists.";

const TOP_LONG: &str = "Examples:
  buzz-kinesis setup                     # asks for what is missing, shows the plan, asks to apply
  buzz-kinesis setup --agilix-account 210987654321 --domain 424242 --buzz-user district/admin
  BUZZ_PASSWORD=... buzz-kinesis setup --agilix-account 210987654321 --domain 424242 \\
      --buzz-user district/admin --region us-east-1 --yes     # unattended: no prompt at all
  buzz-kinesis check --domain 424242 --buzz-user district/admin
  buzz-kinesis tail --from trim-horizon --limit 20

Secrets come from the environment (values never shown): BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP;
unattended runs sign in as an application identity (--buzz-client-id, --buzz-key-file).
Every flag can be set by an env var BUZZ_KINESIS_<FLAG> (e.g. BUZZ_KINESIS_AGILIX_ACCOUNT), or
in --config FILE, BUZZ_KINESIS_CONFIG or $XDG_CONFIG_HOME/buzz-kinesis/config.toml.

Exit status: 0 done (or nothing to do), 1 error (usage errors included), 2 changes pending
(--dry-run) or a check failed, 130 interrupted.";

const TOP_SHORT: &str =
    "Start with `buzz-kinesis setup` (it asks for what is missing), or `buzz-kinesis setup -h`.
All flags: buzz-kinesis --help · man buzz-kinesis";

/// One command's help prose: its examples on `-h` (two), on `--help` (all), and its exit
/// status (both, and the man page).
struct Prose {
    name: &'static str,
    short_examples: &'static str,
    long_examples: &'static str,
    exit: &'static str,
}

const PROSE: &[Prose] = &[
    Prose {
        name: "setup",
        short_examples: "  buzz-kinesis setup                     # asks for what is missing, shows the plan
  buzz-kinesis setup --agilix-account 210987654321 --domain 424242 \\
      --buzz-user district/admin --region us-east-1 --dry-run",
        long_examples: "  buzz-kinesis setup
  BUZZ_PASSWORD=... buzz-kinesis setup --agilix-account 210987654321 --domain 424242 \\
      --buzz-user district/admin --region us-east-1 --yes
  buzz-kinesis setup --config buzz.toml --dry-run          # exit 2 when changes are pending
  buzz-kinesis setup --aws-only --agilix-account 210987654321 --domain 424242 --yes
  buzz-kinesis setup --buzz-only --role-arn arn:aws:iam::111122223333:role/BuzzKinesisWriter \\
      --stream buzz-events --region us-east-1 --domain 424242 --buzz-user district/admin

Without a terminal (CI, a pipe), setup needs --yes to apply, or --dry-run. --no-input never
prompts (a missing value is an error) and approves nothing; --yes approves and implies it.",
        exit: "0 done (or nothing to do), 1 error (usage errors included), 2 changes pending
(--dry-run), 130 interrupted.",
    },
    Prose {
        name: "check",
        short_examples: "  buzz-kinesis check --domain 424242 --buzz-user district/admin
  buzz-kinesis check --aws-only --agilix-account 210987654321     # an auditor: no Buzz login",
        long_examples: "  buzz-kinesis check --domain 424242 --buzz-user district/admin
  buzz-kinesis check --config buzz.toml --probe --output json
  buzz-kinesis check --aws-only --agilix-account 210987654321     # an auditor: no Buzz login",
        exit: "0 every check passed, 1 error (usage errors included), 2 a check failed,
130 interrupted.",
    },
    Prose {
        name: "tail",
        short_examples: "  buzz-kinesis tail --stream buzz-events --region us-east-1
  buzz-kinesis tail --from trim-horizon --limit 20",
        long_examples: "  buzz-kinesis tail --stream buzz-events
  buzz-kinesis tail --from trim-horizon --limit 20
  buzz-kinesis tail --from 2024-05-01T08:00:00Z --event GradeChanged --output json

Control characters in events are shown escaped (\\x1b, \\u{...}); --output json prints each event
exactly as Buzz wrote it.",
        exit: "0 done, 1 error (usage errors included), 130 interrupted.",
    },
    Prose {
        name: "teardown",
        short_examples: "  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --dry-run
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --yes",
        long_examples: "  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --dry-run
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --yes
  buzz-kinesis teardown --domain 424242 --buzz-user district/admin --delete-stream
  buzz-kinesis teardown --buzz-only --role-arn ARN --stream buzz-events --region us-east-1 \\
      --domain 424242 --buzz-user district/admin      # then, by the AWS person: --aws-only

Without a terminal, teardown needs --yes (or --dry-run).",
        exit: "0 done (or nothing to do), 1 error (usage errors included), 2 something is left
to remove (--dry-run), 130 interrupted.",
    },
    Prose {
        name: "export",
        short_examples: "  buzz-kinesis export --agilix-account 210987654321
  buzz-kinesis export --agilix-account 210987654321 --format terraform > buzz.tf",
        long_examples: "  buzz-kinesis export --agilix-account 210987654321
  buzz-kinesis export --agilix-account 210987654321 --domain 424242 --format cloudformation > buzz.json
  buzz-kinesis export --agilix-account 210987654321 --format terraform > buzz.tf

`policy` is another name for export (its earlier name): both print the same.",
        exit: "0 done, 1 error (usage errors included), 130 interrupted.",
    },
    Prose {
        name: "buzz-identity",
        short_examples: "  buzz-kinesis buzz-identity --domain 424242                 # print the requests, write the key
  BUZZ_PASSWORD=... buzz-kinesis buzz-identity --domain 424242 --buzz-user district/admin --send",
        long_examples: "  buzz-kinesis buzz-identity --domain 424242                 # print the requests, write the key
  BUZZ_PASSWORD=... buzz-kinesis buzz-identity --domain 424242 --buzz-user district/admin --send
  buzz-kinesis check --domain 424242 --buzz-client-id ID --buzz-key-file buzz-kinesis-identity.pem

The private key is written readable by you only (0600) and never printed; an existing key file
is reused. The identity needs the ControlDomain right on the domain, and nothing more.",
        exit: "0 done, 1 error (usage errors included), 2 made but not yet able to read the
domain (grant ControlDomain), 130 interrupted.",
    },
    Prose {
        name: "completions",
        short_examples: "  buzz-kinesis completions bash > /etc/bash_completion.d/buzz-kinesis",
        long_examples: "  buzz-kinesis completions bash > /etc/bash_completion.d/buzz-kinesis",
        exit: "0 done, 1 error.",
    },
    Prose {
        name: "man",
        short_examples: "  buzz-kinesis man --out-dir /usr/local/share/man/man1",
        long_examples: "  buzz-kinesis man --out-dir /usr/local/share/man/man1",
        exit: "0 done, 1 error.",
    },
];

/// What a flag shared by several commands says in one of them (its `--help` text), where the
/// shared text would be untrue.
const PER_COMMAND: &[(&str, &str, &str)] = &[
    (
        "setup",
        "aws_only",
        "Only the AWS half (stream, role, alarm): no Buzz login asked, read or needed. Setup \
         ends by printing the Buzz half for a person with a Buzz login: the `buzz-kinesis setup \
         --buzz-only ...` command and the request for Buzz's API console.",
    ),
    (
        "check",
        "aws_only",
        "Only the AWS half: check the stream, the role and the alarm, with no Buzz login asked, \
         read or needed (an auditor's check).",
    ),
    (
        "teardown",
        "aws_only",
        "Only the AWS half: remove the role (and, with --delete-stream, the stream), with no \
         Buzz login. The Buzz person removes the target first, with --buzz-only.",
    ),
    (
        "check",
        "buzz_only",
        "Only the Buzz half: check the target in the domain's configuration, with no AWS \
         credentials needed or read. Needs --role-arn, --stream and --region from the AWS half.",
    ),
    (
        "teardown",
        "buzz_only",
        "Only the Buzz half: remove the target from the domain's configuration, with no AWS \
         credentials needed or read. Needs --role-arn, --stream and --region from the AWS half.",
    ),
];

fn prose(name: &str) -> Option<&'static Prose> {
    PROSE.iter().find(|p| p.name == name)
}

/// The command line as users see it: `Cli`'s flags with the front door's help.
pub(crate) fn command() -> Command {
    let mut cmd = Cli::command()
        .after_help(TOP_SHORT)
        .after_long_help(TOP_LONG)
        .mut_args(with_env_in_long_help);
    // `mut_subcommands`, not `mut_subcommand`: the latter moves the command to the end.
    cmd = cmd.mut_subcommands(|sc| {
        let name = sc.get_name().to_owned();
        let sc = match prose(&name) {
            Some(p) => sc
                .after_help(format!(
                    "Examples:\n{}\n\nAll flags: buzz-kinesis {name} --help · man buzz-kinesis-{name}",
                    p.short_examples
                ))
                .after_long_help(format!(
                    "Examples:\n{}\n\n{}\nExit status: {}",
                    p.long_examples,
                    env_note(&name),
                    p.exit
                )),
            None => sc,
        };
        PER_COMMAND
            .iter()
            .filter(|(sub, _, _)| *sub == name)
            .fold(sc, |sc, (_, id, text)| sc.mut_arg(*id, |a| a.long_help(*text)))
    });
    cmd = cmd.mut_subcommands(|sc| sc.mut_args(with_env_in_long_help));
    // Built here so that the global options and -h/-V are in each command: they go to
    // `--help` only, under the last heading.
    cmd.build();
    cmd.mut_subcommands(|sc| sc.mut_args(short_or_long))
}

/// [`command`], reading an older env var name for each flag whose `BUZZ_KINESIS_` one is not
/// set (`set` says whether a variable is set and not empty).
pub(crate) fn command_reading_aliases(set: impl Fn(&str) -> bool) -> Command {
    let alias = |a: Arg| {
        let Some(env) = a.get_env().and_then(|e| e.to_str()).map(str::to_owned) else {
            return a;
        };
        match ENV_ALIASES.iter().find(|(new, _)| *new == env) {
            Some((_, old)) if !set(&env) && set(old) => a.env(*old),
            _ => a,
        }
    };
    command()
        .mut_args(alias)
        .mut_subcommands(|sc| sc.mut_args(alias))
}

/// `-h` shows the headings a first run needs; everything else is for `--help`.
fn short_or_long(a: Arg) -> Arg {
    let short = a
        .get_help_heading()
        .is_some_and(|h| [FIRST, COMMON, TWO].contains(&h));
    let a = if matches!(a.get_id().as_str(), "help" | "version") {
        a.help_heading(cli::GLOBAL)
    } else {
        a
    };
    a.hide_short_help(!short)
}

/// The env var goes in the long help (with its older name), not on the one-screen `-h`.
fn with_env_in_long_help(a: Arg) -> Arg {
    let Some(env) = a.get_env().and_then(|e| e.to_str()).map(str::to_owned) else {
        return a;
    };
    // A switch's env var takes 1/0, yes/no, on/off as well as true/false.
    let a = if matches!(a.get_action(), clap::ArgAction::SetTrue) {
        a.value_parser(clap::builder::BoolishValueParser::new())
    } else {
        a
    };
    let old = ENV_ALIASES
        .iter()
        .find(|(new, _)| *new == env)
        .map(|(_, old)| format!(", or {old}"))
        .unwrap_or_default();
    let text = a
        .get_long_help()
        .or_else(|| a.get_help())
        .map(|t| t.to_string())
        .unwrap_or_default();
    a.long_help(format!("{text} [env: {env}{old}]"))
        .hide_env(true)
}

/// The long help's word on env vars for one command.
fn env_note(name: &str) -> String {
    let secrets = matches!(name, "setup" | "check" | "teardown" | "buzz-identity");
    let mut note = String::from(
        "Each flag can also be set by the env var shown beside it (BUZZ_KINESIS_<FLAG>)",
    );
    if secrets {
        note.push_str(";\nsecrets only by env var: BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP");
    }
    note.push_str(".\n");
    note
}

/// One man page: clap_mangen's, with ENVIRONMENT, FILES and EXIT STATUS after it.
pub(crate) fn man_page(cmd: &Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    let name = cmd.get_name();
    let mut roff = String::from(".SH ENVIRONMENT\n");
    let mut seen = Vec::new();
    for a in cmd.get_arguments() {
        let (Some(env), Some(long)) = (a.get_env().and_then(|e| e.to_str()), a.get_long()) else {
            continue;
        };
        if seen.contains(&env) {
            continue;
        }
        seen.push(env);
        let old = ENV_ALIASES
            .iter()
            .find(|(new, _)| *new == env)
            .map(|(_, old)| format!(" (older name, still read: {old})"))
            .unwrap_or_default();
        roff.push_str(&tp(env, &format!("--{long}{old}")));
    }
    if cmd
        .get_arguments()
        .any(|a| a.get_long() == Some("buzz-user"))
    {
        for (env, what) in SECRET_ENV {
            roff.push_str(&tp(env, what));
        }
    }
    for (env, what) in OTHER_ENV {
        roff.push_str(&tp(env, what));
    }
    roff.push_str(".SH FILES\n");
    for entry in FILES.split('\n').collect::<Vec<_>>().chunks(2) {
        roff.push_str(&tp(entry[0], entry.get(1).map_or("", |t| t.trim())));
    }
    let exit = if cmd.get_display_name().is_some_and(|d| d != "buzz-kinesis") {
        prose(name).map_or("0 done, 1 error.", |p| p.exit)
    } else {
        "0 done (or nothing to do), 1 error (usage errors included), 2 changes pending \
         (--dry-run) or a check failed, 130 interrupted."
    };
    roff.push_str(".SH \"EXIT STATUS\"\n");
    roff.push_str(&escape(&exit.replace('\n', " ")));
    roff.push('\n');
    page.extend_from_slice(roff.as_bytes());
    Ok(page)
}

/// Every page: the top one and one per visible subcommand, as (file name, page).
pub(crate) fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![(
        clap_mangen::Man::new(cmd.clone()).get_filename(),
        man_page(&cmd)?,
    )];
    for sc in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push((
            clap_mangen::Man::new(sc.clone()).get_filename(),
            man_page(sc)?,
        ));
    }
    Ok(pages)
}

fn tp(tag: &str, text: &str) -> String {
    format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(text))
}

/// Text safe in roff: backslashes and dashes escaped, no line starting with a control dot.
fn escape(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

#[cfg(test)]
mod tests;
