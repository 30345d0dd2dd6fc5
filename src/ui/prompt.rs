//! Prompts for the values flags, env vars and the config file left out. The same validators
//! as the flags check each answer, so a person sees the same rule a CI job would.

use dialoguer::{Confirm, Input, Password};
use secrecy::SecretString;

use crate::error::{Error, Result};

pub(super) fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            Error::Interrupted
        }
        dialoguer::Error::IO(io) => Error::io("reading your answer", io),
    }
}

/// Ask until the answer passes `parse`; the rule is shown on a bad answer.
pub fn prompt_valid<T>(
    question: &str,
    default: Option<&str>,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<T> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    loop {
        let mut input = Input::<String>::new().with_prompt(question);
        if let Some(d) = default {
            input = input.default(d.to_owned());
        }
        let answer = input.interact_text().map_err(prompt_error)?;
        match parse(answer.trim()) {
            Ok(v) => return Ok(v),
            Err(Error::Invalid { rule, .. }) => eprintln!("  {rule}"),
            Err(e) => return Err(e),
        }
    }
}

/// A hidden prompt for a password.
pub fn prompt_password(question: &str) -> Result<SecretString> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    Password::new()
        .with_prompt(question)
        .interact()
        .map(SecretString::from)
        .map_err(prompt_error)
}

/// A hidden prompt for the MFA code Buzz asked for.
pub fn prompt_otp() -> Result<SecretString> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    let code = Password::new()
        .with_prompt("Buzz asks for a second factor: one-time code")
        .interact()
        .map_err(prompt_error)?;
    crate::names::parse_otp("the one-time code", code.trim()).map(SecretString::from)
}

/// Yes/no, defaulting to no.
pub fn confirm(question: &str) -> Result<bool> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(prompt_error)
}

/// Yes/no, defaulting to yes; the answer ends with Enter (a `y` typed with its newline leaves
/// nothing behind for the next question).
pub(super) fn confirm_yes(question: &str) -> Result<bool> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    Confirm::new()
        .with_prompt(question)
        .default(true)
        .wait_for_newline(true)
        .interact()
        .map_err(prompt_error)
}
