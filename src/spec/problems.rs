//! What a spec builder found wrong ([`Problems`]), and the words for a value left out: one
//! place every builder reports into, so one run names every problem at once.

use crate::error::{Error, Result};

/// The flags a missing password names.
pub(crate) const PASSWORD_FLAGS: &str = "--buzz-password-stdin or --buzz-password-file";

/// What a builder found wrong: values given but invalid, and values left out.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    invalid: Vec<Error>,
    missing: Vec<Error>,
}

impl Problems {
    /// Run a builder: the spec it built, or one error naming every problem it found.
    pub(crate) fn build<T>(builder: impl FnOnce(&mut Problems) -> Option<T>) -> Result<T> {
        let mut problems = Problems::default();
        let built = builder(&mut problems);
        problems.finish(built)
    }

    /// A parse's value, or its error kept (`None`).
    pub(crate) fn check<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// A problem: a missing value, or any other.
    pub(crate) fn push(&mut self, e: Error) {
        match e {
            Error::Missing { .. } => self.missing.push(e),
            Error::MissingValues(all) => self.missing.extend(all),
            other => self.invalid.push(other),
        }
    }

    /// The flags of the values left out, in the order they were found.
    pub(crate) fn missing_flags(&self) -> Vec<&'static str> {
        self.missing
            .iter()
            .filter_map(|e| match e {
                Error::Missing { flag, .. } => Some(*flag),
                _ => None,
            })
            .collect()
    }

    /// Whether every problem is a value left out (which the wizard can ask for).
    pub(crate) fn only_missing(&self) -> bool {
        self.invalid.is_empty() && !self.missing.is_empty()
    }

    /// The built value, or one error naming the problems: a value given but wrong is reported
    /// before the ones left out (as a person at a prompt would meet them), every invalid value
    /// at once, and every missing one at once.
    pub(crate) fn finish<T>(mut self, value: Option<T>) -> Result<T> {
        let mut invalid = std::mem::take(&mut self.invalid);
        match invalid.len() {
            0 => {}
            1 => return Err(invalid.remove(0)),
            _ => return Err(Error::Invalids(invalid)),
        }
        match self.missing.len() {
            // A builder that gave no value recorded why: none recorded is our bug.
            0 => value.ok_or_else(|| {
                Error::Internal("a spec builder gave no value and named no problem".into())
            }),
            1 => Err(self.missing.remove(0)),
            _ => Err(Error::MissingValues(self.missing)),
        }
    }
}

/// The error for a value left out, by its flag: one wording wherever it is missed.
pub(crate) fn missing(flag: &'static str) -> Error {
    match flag {
        "--agilix-account" => Error::missing(
            "Agilix's AWS account number",
            "--agilix-account",
            Some("BUZZ_KINESIS_AGILIX_ACCOUNT"),
            " (ask Agilix support for it)",
        ),
        "--role-arn" => Error::missing(
            "the role the AWS half made",
            "--role-arn",
            Some("BUZZ_KINESIS_ROLE_ARN"),
            " (its ARN, as `buzz-kinesis setup --aws-only` printed it)",
        ),
        "--region" => Error::missing(
            "the stream's AWS region",
            "--region",
            Some("BUZZ_KINESIS_REGION"),
            " (the AWS half's --region; --buzz-only reads no AWS profile)",
        ),
        "--domain" => Error::missing(
            "the Buzz domain",
            "--domain",
            Some("BUZZ_KINESIS_DOMAIN"),
            " (its numeric id or //userspace)",
        ),
        "--buzz-user" => Error::missing(
            "a Buzz login",
            "--buzz-user",
            Some("BUZZ_KINESIS_BUZZ_USER"),
            " (or set BUZZ_TOKEN to a bearer token)",
        ),
        "--buzz-client-id" => Error::missing(
            "the application identity's client id",
            "--buzz-client-id",
            Some("BUZZ_KINESIS_BUZZ_CLIENT_ID"),
            " (its Buzz userid, as `buzz-kinesis buzz-identity` printed it)",
        ),
        "--buzz-key-file" => Error::missing(
            "the application identity's private key",
            "--buzz-key-file",
            Some("BUZZ_KINESIS_BUZZ_KEY_FILE"),
            " (the PEM file `buzz-kinesis buzz-identity` wrote)",
        ),
        "--stream" => Error::missing(
            "the stream's name",
            "--stream",
            Some("BUZZ_KINESIS_STREAM"),
            " (the AWS half's stream)",
        ),
        "--shards" => Error::missing(
            "the shard count of a provisioned stream",
            "--shards",
            None,
            " (each shard takes 1,000 records/s and 1 MB/s)",
        ),
        _ => Error::missing(
            "the Buzz password",
            PASSWORD_FLAGS,
            Some("BUZZ_PASSWORD"),
            "",
        ),
    }
}

/// A required value: parsed when given, else missing.
pub(crate) fn required<T>(
    p: &mut Problems,
    value: &Option<String>,
    flag: &'static str,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Option<T> {
    match value {
        Some(v) => p.check(parse(v)),
        None => {
            p.push(missing(flag));
            None
        }
    }
}
