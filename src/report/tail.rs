//! `tail`'s lines: one per event for a person, the event as Buzz wrote it for a machine, and
//! anything that is not an event shown raw. Which records get printed is the printer's
//! business (`commands::tail`); how each looks is here.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::SCHEMA_VERSION;
use crate::cli::Output;
use crate::text::escape_control;

/// Columns of the human output: the longest known event type.
const TYPE_WIDTH: usize = 31;
/// The longest `data` summary in the human output, in characters.
pub(crate) const SUMMARY_WIDTH: usize = 80;

/// A short, one-line view of an event's `data`: `key=value` for its members, nested values
/// abbreviated, cut at [`SUMMARY_WIDTH`] characters.
pub(crate) fn summarize(data: Option<&Value>) -> String {
    let scalar = |v: &Value| match v {
        Value::String(s)
            if !s.is_empty()
                && !s.contains(|c: char| c.is_whitespace() || c == '"' || c == '=') =>
        {
            s.clone()
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(_) => "{…}".into(),
        Value::Array(a) => format!("[{}]", a.len()),
        other => other.to_string(),
    };
    let text = match data {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Some(v) => scalar(v),
    };
    if text.chars().count() > SUMMARY_WIDTH {
        let cut: String = text.chars().take(SUMMARY_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// What marks an event of a domain not named with `--expect-domain`, after its domainId.
pub(crate) const FOREIGN_MARK: &str = "(foreign)";

/// One event as a line for a person: time, type, domainId (marked when `foreign`), guid, a
/// summary of `data`.
pub(crate) fn human_line(e: &Value, foreign: bool) -> String {
    let text = |k: &str| match e.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    };
    let domain = if foreign {
        format!("{} {FOREIGN_MARK}", text("domainId"))
    } else {
        text("domainId")
    };
    let line = format!(
        "{}  {:<TYPE_WIDTH$}  {}  {}  {}",
        text("time"),
        text("type"),
        domain,
        text("guid"),
        summarize(e.get("data"))
    );
    line.trim_end().to_owned()
}

/// An event: `text` as Buzz wrote it (JSON, not re-serialized), or its line for a person.
/// `foreign` (its domain is not one `--expect-domain` named) marks the line, and in JSON adds
/// `"foreign":true` as the object's last member.
pub(crate) fn render_event(
    w: &mut impl Write,
    text: &str,
    event: &Value,
    foreign: bool,
    output: Output,
) -> io::Result<()> {
    match (output, foreign) {
        (Output::Json, false) => writeln!(w, "{text}"),
        (Output::Json, true) => writeln!(w, "{}", flagged(text, event)),
        (Output::Human, _) => writeln!(w, "{}", escape_control(&human_line(event, foreign))),
    }
}

/// `text`, a JSON object as Buzz wrote it, with `"foreign":true` appended: Buzz's own bytes
/// stay as they were (numbers, escapes, key order), so a consumer that ignores the flag reads
/// the event it would have read without `--expect-domain`.
fn flagged(text: &str, event: &Value) -> String {
    if event.get("foreign").is_none() {
        if let Some(inner) = text.trim_end().strip_suffix('}') {
            let sep = if inner.trim_end().ends_with('{') {
                ""
            } else {
                ","
            };
            return format!("{inner}{sep}\"foreign\":true}}");
        }
    }
    // An event with a `foreign` key of its own: ours replaces it, so the line keeps one.
    let mut e = event.clone();
    if let Some(o) = e.as_object_mut() {
        o.insert("foreign".into(), Value::Bool(true));
    }
    e.to_string()
}

/// A record (or a line of one) that is not an event, from `shard`.
pub(crate) fn render_raw(
    w: &mut impl Write,
    raw: &str,
    shard: &str,
    output: Output,
) -> io::Result<()> {
    match output {
        Output::Json => writeln!(
            w,
            "{}",
            json!({"schema_version": SCHEMA_VERSION, "raw": raw, "shard": shard})
        ),
        Output::Human => writeln!(w, "raw  {}", escape_control(raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::text;
    use insta::assert_snapshot;

    #[test]
    fn summaries_are_short_and_flat() {
        assert_eq!(summarize(None), "");
        let d = json!({"title": "Kinesis: s", "n": 3, "ok": true, "cfg": {"a": 1}, "list": [1, 2], "e": {}});
        assert_eq!(
            summarize(Some(&d)),
            "title=\"Kinesis: s\" n=3 ok=true cfg={…} list=[2] e={}"
        );
        let long = json!({"text": "x".repeat(200)});
        assert_eq!(summarize(Some(&long)).chars().count(), SUMMARY_WIDTH);
    }

    #[test]
    fn tail_lines() {
        let raw_event = r#"{"time":"2024-05-01T08:00:00Z","guid":"6b1f0c2e","domainId":"424242","type":"UserEntityCreated","data":{"userId":"17","name":"Ada Lovelace","roles":[1,2]}}"#;
        let event: Value = serde_json::from_str(raw_event).unwrap();
        assert_snapshot!(
            "tail_event_human",
            text(|w| render_event(w, raw_event, &event, false, Output::Human))
        );
        assert_snapshot!(
            "tail_event_json",
            text(|w| render_event(w, raw_event, &event, false, Output::Json))
        );
        assert_snapshot!(
            "tail_foreign_event_human",
            text(|w| render_event(w, raw_event, &event, true, Output::Human))
        );
        assert_snapshot!(
            "tail_foreign_event_json",
            text(|w| render_event(w, raw_event, &event, true, Output::Json))
        );
        let raw = "not json \u{1b}[31m";
        assert_snapshot!(
            "tail_raw_human",
            text(|w| render_raw(w, raw, "shardId-000000000001", Output::Human))
        );
        assert_snapshot!(
            "tail_raw_json",
            text(|w| render_raw(w, raw, "shardId-000000000001", Output::Json))
        );
    }

    #[test]
    fn the_foreign_flag_keeps_buzz_bytes_and_valid_json() {
        let flag = |t: &str| {
            let e: Value = serde_json::from_str(t).unwrap();
            let out = flagged(t, &e);
            let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
            assert_eq!(v["foreign"], json!(true), "{out}");
            out
        };
        assert_eq!(
            flag(r#"{"n":1.10,"big":123456789012345678901234567,"s":"\u00e9"} "#),
            r#"{"n":1.10,"big":123456789012345678901234567,"s":"\u00e9","foreign":true}"#
        );
        assert_eq!(flag("{ }"), r#"{ "foreign":true}"#);
        // Buzz's own key of that name is replaced, not repeated.
        assert_eq!(
            flag(r#"{"foreign":"no","a":1}"#),
            r#"{"foreign":true,"a":1}"#
        );
    }
}
