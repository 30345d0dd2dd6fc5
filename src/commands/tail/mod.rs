//! `buzz-kinesis tail`: print the events arriving in the stream, like `tail -f`. Every shard
//! is read by a task of its own, within Kinesis's read limits (5 GetRecords a second and
//! 2 MB/s per shard; throttling backs off). The shard list is read again every few seconds and
//! whenever a shard ends, so shards made by a reshard or by on-demand scaling are followed:
//! a child shard is read once its parents are done, which keeps each key's order. Each record
//! is decoded as Buzz's envelope (newline-separated JSON objects); anything else is shown raw,
//! never dropped.
//!
//! The rooms: `scheduler` decides which shards to read and from where (pure), `reader` reads
//! them within the limits, `printer` writes what they hold, and `run` is the loop that joins
//! them. Here: the options, validated before any connection.

mod printer;
mod reader;
mod run;
mod scheduler;

use std::time::SystemTime;

use crate::aws::kinesis::StartAt;
use crate::error::{Error, Result};
use crate::names::EventType;

pub use run::run;

/// Where `--from` starts, parsed: `latest`, `trim-horizon`, or an RFC 3339 time.
pub fn parse_from(s: &str) -> Result<StartAt> {
    match s.trim().to_ascii_lowercase().as_str() {
        "latest" => Ok(StartAt::Latest),
        "trim-horizon" | "trim_horizon" => Ok(StartAt::TrimHorizon),
        _ => aws_smithy_types::DateTime::from_str(
            s.trim(),
            aws_smithy_types::date_time::Format::DateTimeWithOffset,
        )
        .ok()
        .and_then(|t| SystemTime::try_from(t).ok())
        .map(StartAt::Timestamp)
        .ok_or_else(|| {
            Error::invalid(
                "--from",
                s,
                "--from is latest, trim-horizon, or an RFC 3339 time such as 2024-05-01T08:00:00Z",
            )
        }),
    }
}

/// `--event` values: event types (letters only), with warnings for names Agilix does not list.
fn parse_types(given: &[String]) -> Result<(Vec<EventType>, Vec<String>)> {
    let mut types = Vec::new();
    let mut warnings = Vec::new();
    for t in given {
        let t = t.trim();
        // Said in tail's words: a filter's `:props` part means nothing here.
        let ty = EventType::parse("--event", t).map_err(|_| {
            Error::invalid(
                "--event",
                t,
                "tail filters by event type: letters only, e.g. UserEntityCreated",
            )
        })?;
        if !ty.is_known() {
            warnings.push(format!(
                "event type '{t}' is not in Agilix's published list (check the spelling)"
            ));
        }
        types.push(ty);
    }
    Ok((types, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_takes_the_three_forms() {
        assert_eq!(parse_from("latest").unwrap(), StartAt::Latest);
        assert_eq!(parse_from("TRIM-HORIZON").unwrap(), StartAt::TrimHorizon);
        let t = parse_from("2024-05-01T08:00:00Z").unwrap();
        let with_offset = parse_from("2024-05-01T10:00:00+02:00").unwrap();
        assert_eq!(t, with_offset);
        assert!(matches!(t, StartAt::Timestamp(_)));
        let e = parse_from("yesterday").unwrap_err().to_string();
        assert!(e.contains("RFC 3339"), "{e}");
    }

    #[test]
    fn event_types_are_letters_and_unknown_ones_warn() {
        let (t, w) = parse_types(&["UserEntityCreated".into(), "MadeUpType".into()]).unwrap();
        assert!(t[0] == *"UserEntityCreated" && t[1] == *"MadeUpType");
        assert_eq!(w.len(), 1);
        assert!(parse_types(&["User:prop".into()]).is_err());
    }
}
