//! The validated request, in three steps (ripgrep's low and high arguments):
//!
//! 1. [`raw`]: gather every value as text, from flags and env vars (clap reads both), the
//!    config file ([`config`]) beneath them, and the secrets' sources. No judging.
//! 2. Only when a person is at a terminal: the wizard (`ui::wizard`) asks for what is
//!    missing, and its answers fill the raw values.
//! 3. A pure builder per command ([`setup`], [`check`], [`teardown`], [`export`], [`tail`],
//!    [`identity`]) turns the raw values into the command's typed spec, built from shared
//!    [`parts`], or into one error naming every problem.
//!
//! Everything is checked here, before the first network call.

pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod domains;
pub(crate) mod export;
pub(crate) mod identity;
pub(crate) mod parts;
pub(crate) mod problems;
pub(crate) mod raw;
pub(crate) mod save;
pub(crate) mod setup;
pub(crate) mod tail;
pub(crate) mod teardown;

use secrecy::SecretString;

pub(crate) use check::CheckSpec;
pub(crate) use config::{default_config_path, ConfigFile};
pub(crate) use domains::Domains;
pub(crate) use export::ExportSpec;
pub(crate) use identity::{BuzzIdentitySpec, IdentityRaw};
pub(crate) use parts::{AwsMade, AwsSpec, BuzzHandover, BuzzLogin, Problems};
pub(crate) use raw::{interactive, Raw, Secret};
pub(crate) use setup::{ApplyOptions, AwsPart, Parts, SetupSpec};
pub(crate) use tail::TailSpec;
pub(crate) use teardown::TeardownSpec;

use crate::error::Result;
use crate::ui::wizard;

/// Build a spec from `raw` with `build`; when a person can be asked and the only problems are
/// values left out, ask for them (in the order they were found) and build again. A value given
/// but invalid is reported before any question; a value the wizard cannot ask for ends in the
/// error naming every missing value, as without a terminal.
pub(crate) fn resolve<T>(raw: Raw, build: impl Fn(&Raw, &mut Problems) -> Option<T>) -> Result<T> {
    resolve_then(raw, build, |_| Ok(false)).map(|(t, _)| t)
}

/// [`resolve`], then, once every required value is there, `more` may ask for values that are
/// not required (it answers whether it filled any; the spec is then built again). Also gives
/// back the raw values as answered.
pub(crate) fn resolve_then<T>(
    mut raw: Raw,
    build: impl Fn(&Raw, &mut Problems) -> Option<T>,
    mut more: impl FnMut(&mut Raw) -> Result<bool>,
) -> Result<(T, Raw)> {
    let mut more_asked = false;
    loop {
        let mut problems = Problems::default();
        let built = build(&raw, &mut problems);
        if raw.interactive && problems.only_missing() && ask(&mut raw, &problems.missing_flags())? {
            continue;
        }
        if built.is_some() && !more_asked {
            more_asked = true;
            if more(&mut raw)? {
                continue;
            }
        }
        return problems.finish(built).map(|t| (t, raw));
    }
}

/// The values `check` warns about when a setup goes without them, asked in the wizard
/// proper (a person at a terminal who named no stream) for a run that makes the AWS half:
/// the external id, an alarm email, the retention. `true` when any was asked.
pub(crate) fn ask_what_check_warns_about(raw: &mut Raw) -> Result<bool> {
    if !(raw.interactive && raw.half.uses_aws() && raw.stream.is_none()) {
        return Ok(false);
    }
    let mut asked = false;
    if raw.external_id.is_none() && !raw.remove_external_id {
        raw.external_id = wizard::ask_external_id()?;
        asked = true;
    }
    if raw.alarm_emails.is_empty() && raw.alarm_topic.is_none() {
        raw.alarm_emails = wizard::ask_alarm_email()?.into_iter().collect();
        asked = true;
    }
    if raw.retention_hours.is_none() {
        raw.retention_hours = wizard::ask_retention()?;
        asked = true;
    }
    Ok(asked)
}

/// Ask the person for each missing value; `false` (and nothing asked) when one of them is not a
/// question the wizard has.
fn ask(raw: &mut Raw, flags: &[&'static str]) -> Result<bool> {
    const ASKED: &[&str] = &[
        "--agilix-account",
        "--role-arn",
        "--stream",
        "--region",
        "--domain",
        "--buzz-user",
        parts::PASSWORD_FLAGS,
    ];
    if flags.is_empty() || !flags.iter().all(|f| ASKED.contains(f)) {
        return Ok(false);
    }
    for flag in flags {
        match *flag {
            "--agilix-account" => raw.agilix_account = Some(wizard::ask_agilix_account()?),
            "--role-arn" => raw.role_arn = Some(wizard::ask_role_arn()?),
            "--stream" => raw.stream = Some(wizard::ask_made_stream()?),
            "--region" => raw.region = Some(wizard::ask_made_region()?),
            "--domain" => raw.domains = vec![wizard::ask_domain()?],
            "--buzz-user" => raw.buzz_user = Some(wizard::ask_buzz_user()?),
            _ => {
                let user = raw.buzz_user.clone().unwrap_or_default();
                let password: SecretString = wizard::ask_password(&user)?;
                raw.password = Some(Secret::Given(password));
            }
        }
    }
    Ok(true)
}

/// `setup`'s spec from its raw values (the wizard may have chosen the halves already).
/// With a person at a terminal, also the values `check` would warn about. Gives back the
/// raw values as answered too (the command that runs it again is built from them).
pub(crate) fn setup(raw: Raw) -> Result<(SetupSpec, Raw)> {
    resolve_then(raw, SetupSpec::build_into, ask_what_check_warns_about)
}

/// `check`'s spec.
pub(crate) fn check(args: &crate::cli::CheckArgs, interactive: bool) -> Result<CheckSpec> {
    resolve(Raw::for_check(args, interactive)?, CheckSpec::build_into)
}

/// `teardown`'s spec.
pub(crate) fn teardown(args: &crate::cli::TeardownArgs, interactive: bool) -> Result<TeardownSpec> {
    resolve(
        Raw::for_teardown(args, interactive)?,
        TeardownSpec::build_into,
    )
}

/// `export`'s spec.
pub(crate) fn export(args: &crate::cli::ExportArgs, interactive: bool) -> Result<ExportSpec> {
    resolve(Raw::for_export(args, interactive)?, ExportSpec::build_into)
}

/// `buzz-identity`'s spec.
pub(crate) fn identity(
    args: &crate::cli::BuzzIdentityArgs,
    interactive: bool,
) -> Result<BuzzIdentitySpec> {
    let raw = Raw::for_identity(&args.buzz, args.settings.config.as_deref(), interactive)?;
    let own = IdentityRaw {
        key_out: &args.key_out,
        name: &args.name,
        key_id: args.key_id.as_deref(),
        send: args.send,
        reuse_key: args.reuse_key,
    };
    resolve(raw, |raw, p| BuzzIdentitySpec::build_into(raw, &own, p))
}
