//! One module per subcommand, and the read step setup, check and teardown share ([`read`]):
//! connect to AWS and log in to Buzz (at once), then read what exists (at once).

pub(crate) mod check;
pub(crate) mod export;
pub(crate) mod identity;
pub(crate) mod read;
pub(crate) mod setup;
pub(crate) mod tail;
pub(crate) mod teardown;

use crate::state::Halves;
use crate::text::shell_quote;

/// The command for the other half, `buzz-kinesis COMMAND --aws-only|--buzz-only ...`, with the
/// values this run knows (never a secret), for the rows and warnings that point at it.
pub(crate) fn other_half(
    command: &str,
    half: Halves,
    values: &[(&str, &str)],
    domains: &[&str],
) -> String {
    let mut words = vec![
        "buzz-kinesis".to_owned(),
        command.to_owned(),
        half.flag().unwrap_or_default().to_owned(),
    ];
    for (flag, value) in values {
        words.push((*flag).to_owned());
        words.push(shell_quote(value));
    }
    for d in domains {
        words.push("--domain".into());
        words.push(shell_quote(d));
    }
    words.join(" ")
}
