//! The errors a user can meet, each saying what to do next. AWS and Buzz errors carry the
//! service's own code and message (the AWS SDK's `Display` says only "service error"). Every
//! error has its fix as data ([`Error::hint`]): `Display` is the message alone, and the report
//! prints the hint under it (but for a missing or invalid value, whose message says it already)
//! and as its own JSON field.

use std::borrow::Cow;
use std::fmt;

use crate::text::outside;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid value '{value}' for {flag}: {rule}")]
    Invalid {
        flag: &'static str,
        value: String,
        rule: String,
    },

    #[error("{what} is required: pass {flag}{env}{hint}")]
    Missing {
        what: &'static str,
        flag: &'static str,
        env: EnvHint,
        hint: &'static str,
    },

    /// Several required values at once (non-interactive runs name them all).
    #[error("{} required values are missing:{}", .0.len(), bullet_list(.0))]
    MissingValues(Vec<Error>),

    /// Several values given but invalid at once (each is named).
    #[error("{} values are invalid:{}", .0.len(), bullet_list(.0))]
    Invalids(Vec<Error>),

    #[error("could not read the config file {path}: {reason}")]
    ConfigFile { path: String, reason: String },

    #[error("{0}")]
    Usage(String),

    /// Our own bug (an SDK request that could not be built, a task that panicked): said as
    /// such, never blamed on the user's input.
    #[error("internal error: {0}")]
    Internal(String),

    /// Some domains were done, others failed: each failure with its domain, and what was done
    /// stays done (a re-run changes only what is missing).
    #[error("{} of {} domain(s) failed:{}{}", .failed.len(), .failed.len() + .done.len(), domain_failures(.failed), done_suffix(.done))]
    Partial {
        done: Vec<String>,
        failed: Vec<(String, Error)>,
    },

    /// AWS's code and message are outside text ([`crate::text::outside`]): escaped on a
    /// terminal, exact in JSON.
    #[error("AWS {service} {operation} failed: {}: {}", outside(.code), outside(.message))]
    Aws {
        service: &'static str,
        operation: &'static str,
        code: String,
        message: String,
        hint: Option<String>,
    },

    /// The credential chain failed: `problem` names the real cause (an unknown profile, an
    /// expired SSO session, nothing found and where we looked).
    #[error("{problem}")]
    AwsCredentials {
        problem: String,
        hint: Option<String>,
    },

    /// Buzz's code, message and errorId are outside text, like AWS's.
    #[error("Buzz {cmd} failed: {}: {}{}", outside(.code), outside(.message), error_id_suffix(.error_id))]
    Buzz {
        cmd: String,
        code: String,
        message: String,
        error_id: Option<String>,
        hint: Option<String>,
    },

    #[error("could not reach Buzz at {url} ({cmd}): {reason}")]
    BuzzTransport {
        url: String,
        cmd: String,
        reason: String,
        hint: Option<String>,
    },

    #[error("{0}")]
    Refused(String),

    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        what: String,
        seconds: u64,
        hint: Option<String>,
    },

    #[error("interrupted")]
    Interrupted,

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// The ", or set ENV" part of a missing-value message.
#[derive(Debug, Clone, Copy)]
pub struct EnvHint(pub Option<&'static str>);
impl fmt::Display for EnvHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(env) => write!(f, " or set {env}"),
            None => Ok(()),
        }
    }
}

fn bullet_list(errors: &[Error]) -> String {
    errors.iter().map(|e| format!("\n  - {e}")).collect()
}

fn domain_failures(failed: &[(String, Error)]) -> String {
    failed
        .iter()
        .map(|(domain, e)| format!("\n  - domain {domain}: {e}"))
        .collect()
}

fn done_suffix(done: &[String]) -> String {
    if done.is_empty() {
        String::new()
    } else {
        format!("\n  done: domain(s) {}", done.join(", "))
    }
}

fn error_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .filter(|s| !s.is_empty())
        .map(|id| format!(" (errorId {})", outside(id)))
        .unwrap_or_default()
}

impl Error {
    pub fn invalid(flag: &'static str, value: &str, rule: &str) -> Self {
        Error::Invalid {
            flag,
            value: value.to_owned(),
            rule: rule.to_owned(),
        }
    }

    pub fn missing(
        what: &'static str,
        flag: &'static str,
        env: Option<&'static str>,
        hint: &'static str,
    ) -> Self {
        Error::Missing {
            what,
            flag,
            env: EnvHint(env),
            hint,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Attach a fix of its own to an AWS, Buzz, transport or timeout error, in place of its
    /// kind's (other kinds' fixes follow from their fields).
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let Error::Aws { hint, .. }
        | Error::Buzz { hint, .. }
        | Error::Timeout { hint, .. }
        | Error::BuzzTransport { hint, .. } = &mut self
        {
            *hint = Some(text.into());
        }
        self
    }

    /// The fix, for every error: `Some` for each variant (a program reading the JSON's `hint`
    /// always finds what to do). An AWS, Buzz, credential, transport or timeout error may carry
    /// one of its own ([`Error::with_hint`]); else it is the sentence for its kind, built from
    /// its fields.
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Error::Aws { hint: Some(h), .. }
            | Error::Buzz { hint: Some(h), .. }
            | Error::Timeout { hint: Some(h), .. }
            | Error::BuzzTransport { hint: Some(h), .. }
            | Error::AwsCredentials { hint: Some(h), .. } => Cow::Borrowed(h.as_str()),
            Error::Invalid { flag, rule, .. } => format!("pass {flag} a value that follows the rule: {rule}").into(),
            Error::Missing { flag, env, .. } => format!("pass {flag}{env}").into(),
            Error::MissingValues(_) => format!("pass {}", self.missing_flags().join(", ")).into(),
            Error::Invalids(all) => all
                .iter()
                .filter_map(Error::hint)
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
            Error::ConfigFile { path, .. } => {
                format!("fix {path} (one `key = value` a line, the keys the flags' names without --), or leave out --config").into()
            }
            Error::Usage(_) => "the message names the flag to fix; `buzz-kinesis <command> --help` lists them".into(),
            Error::Aws { hint: None, .. } => "AWS's code and message above say what to fix; -v shows the request".into(),
            Error::AwsCredentials { hint: None, .. } => "sign in to AWS (`aws configure sso`, then --profile NAME), or have a colleague run `setup --aws-only`".into(),
            Error::Buzz { hint: None, .. } => "Buzz's code and message above say what to fix; -v shows the request".into(),
            Error::BuzzTransport { hint: None, .. } => "check --buzz-url and the network to Buzz, then run the same command again".into(),
            Error::Internal(_) => "this is a bug in buzz-kinesis: run again with -vv and report the output (it holds no secret)".into(),
            Error::Partial { .. } => "the stream and the role stay as they are: fix what each failed domain's error names, then run the same command again; the domains done stay done".into(),
            Error::Refused(_) => "the message says which flag allows it or what to change; nothing was changed".into(),
            Error::Timeout { hint: None, .. } | Error::Interrupted => "run the same command again: what is done stays done, and it continues from there".into(),
            Error::Io { .. } => "check the path, its permissions and the free space".into(),
        })
    }

    /// The hint as a person reads it under the message: none for a missing or invalid value,
    /// whose message already names the flag and what it needs (the line would repeat it).
    pub fn hint_below(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Missing { .. }
            | Error::MissingValues(_)
            | Error::Invalid { .. }
            | Error::Invalids(_) => None,
            _ => self.hint(),
        }
    }

    /// The flags of the values left out, for the JSON's `missing` (empty for other errors).
    pub fn missing_flags(&self) -> Vec<&'static str> {
        match self {
            Error::Missing { flag, .. } => vec![flag],
            Error::MissingValues(all) => all.iter().flat_map(Error::missing_flags).collect(),
            _ => Vec::new(),
        }
    }

    /// The message: what went wrong, without the fix (the hint is a field of its own, printed
    /// under the message and given its own JSON field).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The message with its hint under it, as a person reads it.
    pub fn with_hint_below(&self) -> String {
        match self.hint_below() {
            // A hint of several lines stays under its first.
            Some(h) => format!("{self}\n  hint: {}", h.replace('\n', "\n        ")),
            None => self.to_string(),
        }
    }

    /// A stable identifier for JSON output and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { .. } | Error::Invalids(_) => "invalid_value",
            Error::Missing { .. } | Error::MissingValues(_) => "missing_value",
            Error::ConfigFile { .. } => "config_file",
            Error::Usage(_) => "usage",
            Error::Aws { .. } => "aws",
            Error::AwsCredentials { .. } => "aws_credentials",
            Error::Buzz { .. } => "buzz",
            Error::BuzzTransport { .. } => "buzz_transport",
            Error::Internal(_) => "internal",
            Error::Partial { .. } => "partial",
            Error::Refused(_) => "refused",
            Error::Timeout { .. } => "timeout",
            Error::Interrupted => "interrupted",
            Error::Io { .. } => "io",
        }
    }

    /// The AWS or Buzz error code, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } | Error::Buzz { code, .. } => Some(code),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An AWS refusal as its code and message, for a warning row (a missing permission, most
/// often: the read is reported, not fatal); anything else stays an error.
pub(crate) fn soft<T>(r: Result<T>) -> Result<std::result::Result<T, (String, String)>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Aws { code, message, .. }) => Ok(Err((code, message))),
        Err(e) => Err(e),
    }
}

/// An error's messages, outermost first, each once (a wrapper often repeats its cause's text),
/// without the `Debug` dumps some error types' contexts include: for a transport error's
/// reason, AWS's and Buzz's alike.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn a_chain_names_each_cause_once() {
        let inner = E("connection refused", None);
        let middle = E("io error: connection refused", Some(Box::new(inner)));
        let outer = E("error sending request", Some(Box::new(middle)));
        assert_eq!(
            chain(&outer),
            "error sending request: io error: connection refused"
        );
    }

    /// One of each variant, each kind's own hint left out where it may carry one.
    fn one_of_each() -> Vec<Error> {
        let missing = |flag| Error::missing("a value", flag, None, "");
        vec![
            Error::invalid("--shards", "0", "from 1"),
            missing("--domain"),
            Error::MissingValues(vec![missing("--agilix-account"), missing("--domain")]),
            Error::Invalids(vec![
                Error::invalid("--shards", "0", "from 1"),
                Error::invalid("--region", "x", "like us-east-1"),
            ]),
            Error::ConfigFile {
                path: "c.toml".into(),
                reason: "bad".into(),
            },
            Error::Usage("no".into()),
            Error::Internal("a request could not be built".into()),
            Error::Partial {
                done: vec!["1".into()],
                failed: vec![("2".into(), Error::Refused("no".into()))],
            },
            Error::Aws {
                service: "kinesis",
                operation: "X",
                code: "C".into(),
                message: "m".into(),
                hint: None,
            },
            Error::AwsCredentials {
                problem: "p".into(),
                hint: None,
            },
            Error::Buzz {
                cmd: "login3".into(),
                code: "C".into(),
                message: "m".into(),
                error_id: None,
                hint: None,
            },
            Error::BuzzTransport {
                url: "u".into(),
                cmd: "c".into(),
                reason: "r".into(),
                hint: None,
            },
            Error::Refused("no".into()),
            Error::Timeout {
                what: "w".into(),
                seconds: 1,
                hint: None,
            },
            Error::Interrupted,
            Error::io("writing", std::io::Error::other("disk full")),
        ]
    }

    fn variant_index(e: &Error) -> usize {
        match e {
            Error::Invalid { .. } => 0,
            Error::Missing { .. } => 1,
            Error::MissingValues(_) => 2,
            Error::Invalids(_) => 3,
            Error::ConfigFile { .. } => 4,
            Error::Usage(_) => 5,
            Error::Internal(_) => 6,
            Error::Partial { .. } => 7,
            Error::Aws { .. } => 8,
            Error::AwsCredentials { .. } => 9,
            Error::Buzz { .. } => 10,
            Error::BuzzTransport { .. } => 11,
            Error::Refused(_) => 12,
            Error::Timeout { .. } => 13,
            Error::Interrupted => 14,
            Error::Io { .. } => 15,
        }
    }

    #[test]
    fn every_variant_has_a_hint_and_missing_values_are_listed() {
        let all = one_of_each();
        for e in &all {
            let hint = e.hint().unwrap_or_else(|| panic!("no hint: {e:?}"));
            assert!(!hint.trim().is_empty(), "{e:?}");
        }
        // One of each variant, in declaration order: a new variant fails to compile here.
        let order: Vec<usize> = all.iter().map(variant_index).collect();
        assert_eq!(order, (0..16).collect::<Vec<_>>());
        assert_eq!(
            all[0].hint().as_deref(),
            Some("pass --shards a value that follows the rule: from 1")
        );
        assert_eq!(all[1].hint().as_deref(), Some("pass --domain"));
        assert_eq!(all[1].missing_flags(), ["--domain"]);
        assert_eq!(all[2].missing_flags(), ["--agilix-account", "--domain"]);
        assert_eq!(
            all[2].hint().as_deref(),
            Some("pass --agilix-account, --domain")
        );
        assert_eq!(
            all[3].hint().as_deref(),
            Some(
                "pass --shards a value that follows the rule: from 1; \
                 pass --region a value that follows the rule: like us-east-1"
            )
        );
        assert!(all[4].hint().unwrap().starts_with("fix c.toml"));
        assert!(all[6].hint().unwrap().contains("a bug in buzz-kinesis"));
        assert!(all[7]
            .hint()
            .unwrap()
            .contains("the domains done stay done"));
        assert!(all[0].missing_flags().is_empty());
        // Each kind's fix, where no hint of its own was given, is its own sentence.
        let aws_buzz = [&all[8], &all[10]].map(|e| e.hint().unwrap().into_owned());
        assert!(aws_buzz[0].starts_with("AWS's") && aws_buzz[1].starts_with("Buzz's"));
        assert!(all[9].hint().unwrap().contains("aws configure sso"));
        assert!(all[11].hint().unwrap().contains("--buzz-url"));
        assert!(all[12].hint().unwrap().contains("nothing was changed"));
        assert!(all[13]
            .hint()
            .unwrap()
            .contains("run the same command again"));
        assert_eq!(all[14].hint(), all[13].hint());
        assert!(all[15].hint().unwrap().contains("permissions"));
        // A hint of its own wins, for each variant that may carry one.
        for e in [8, 9, 10, 11, 13] {
            let e = match one_of_each().swap_remove(e) {
                Error::AwsCredentials { problem, .. } => Error::AwsCredentials {
                    problem,
                    hint: Some("raise --deadline".into()),
                },
                other => other.with_hint("raise --deadline"),
            };
            assert_eq!(e.hint().as_deref(), Some("raise --deadline"), "{e:?}");
        }
        // Other kinds keep theirs.
        let usage = Error::Usage("no".into()).with_hint("raise --deadline");
        assert_ne!(usage.hint().as_deref(), Some("raise --deadline"));
    }

    #[test]
    fn a_hint_the_message_says_already_is_not_printed_again() {
        let all = one_of_each();
        // Missing and invalid values: the message names the flag and what it needs.
        for e in &all[..4] {
            assert_eq!(e.with_hint_below(), e.to_string(), "{e:?}");
            assert!(e.hint().is_some(), "the JSON keeps it: {e:?}");
        }
        for e in &all[4..] {
            let below = e.hint_below().unwrap_or_else(|| panic!("{e:?}"));
            assert_eq!(below, e.hint().unwrap(), "{e:?}");
        }
        assert_eq!(
            Error::Refused("no".into()).with_hint_below(),
            "no\n  hint: the message says which flag allows it or what to change; nothing was changed"
        );
    }

    #[test]
    fn the_hint_is_a_field_printed_under_the_message() {
        let e = Error::Timeout {
            what: "the stream".into(),
            seconds: 5,
            hint: None,
        }
        .with_hint("raise --deadline");
        assert_eq!(e.message(), "timed out after 5 s waiting for the stream");
        assert_eq!(e.hint().as_deref(), Some("raise --deadline"));
        assert_eq!(
            e.with_hint_below(),
            "timed out after 5 s waiting for the stream\n  hint: raise --deadline"
        );
        let two = Error::AwsCredentials {
            problem: "p".into(),
            hint: Some("a;\nb".into()),
        };
        assert_eq!(two.with_hint_below(), "p\n  hint: a;\n        b");
    }
}
