//! Buzz's event records as they arrive in the stream: one or more newline-separated JSON
//! objects per Kinesis record, with `time`, `guid` (the de-duplication key), `domainId`,
//! `type`, `data` and user ids. Anything else is kept as raw text, never dropped.

use serde_json::Value;

/// One item of a record: a Buzz event, or text that is not one.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(Value),
    Raw(String),
}

/// Split a record into its events. A line that is not a JSON object with a `type` is raw.
pub fn decode(record: &[u8]) -> Vec<Item> {
    decode_lines(record)
        .into_iter()
        .map(|(_, item)| item)
        .collect()
}

/// Like [`decode`], keeping each line's text as it arrived, so an event can be shown untouched
/// (re-serializing could change number formats or escapes). A record with no non-blank line
/// still gives one raw item, so that nothing in the stream goes unseen.
pub fn decode_lines(record: &[u8]) -> Vec<(String, Item)> {
    let text = String::from_utf8_lossy(record);
    let lines: Vec<(String, Item)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let item = match serde_json::from_str::<Value>(line) {
                Ok(v) if v.get("type").is_some_and(Value::is_string) => Item::Event(v),
                _ => Item::Raw(line.to_owned()),
            };
            (line.to_owned(), item)
        })
        .collect();
    if lines.is_empty() {
        return vec![(text.to_string(), Item::Raw(text.into_owned()))];
    }
    lines
}

/// An event's type, or "" when it has none.
pub fn event_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The domain an event came from: its `domainId`, a string in Buzz's events (a number is
/// taken as its digits).
pub fn domain_id(e: &Value) -> Option<String> {
    match e.get("domainId") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Who wrote a sample of records: Buzz events counted by their `domainId`, and the lines
/// that are not Buzz events.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Writers {
    pub by_domain: std::collections::BTreeMap<String, u64>,
    pub not_buzz: u64,
    pub events: u64,
}

/// Count the writers of `records` (each may hold several events).
pub fn writers<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Writers {
    let mut w = Writers::default();
    for record in records {
        for item in decode(record) {
            match item {
                Item::Event(e) => {
                    w.events += 1;
                    let domain = domain_id(&e).unwrap_or_else(|| "(none)".to_owned());
                    *w.by_domain.entry(domain).or_default() += 1;
                }
                Item::Raw(_) => w.not_buzz += 1,
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_are_counted_by_domain() {
        let records: Vec<&[u8]> = vec![
            b"{\"type\":\"A\",\"domainId\":\"1\"}\n{\"type\":\"B\",\"domainId\":\"2\"}",
            b"{\"type\":\"A\",\"domainId\":1}",
            b"hello",
            b"{\"type\":\"A\"}",
        ];
        let w = writers(records);
        assert_eq!(w.by_domain.get("1"), Some(&2));
        assert_eq!(w.by_domain.get("2"), Some(&1));
        assert_eq!(w.by_domain.get("(none)"), Some(&1));
        assert_eq!((w.events, w.not_buzz), (4, 1));
    }

    #[test]
    fn records_split_into_events_and_raw_lines() {
        let rec =
            b"{\"type\":\"A\",\"guid\":\"1\"}\n{\"type\":\"B\"}\nnot json\n\n{\"no\":\"type\"}";
        let items = decode(rec);
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[0], Item::Event(v) if event_type(v) == "A"));
        assert_eq!(items[2], Item::Raw("not json".into()));
        assert!(matches!(&items[3], Item::Raw(_)));
    }

    #[test]
    fn lines_keep_their_text_and_blank_records_are_not_lost() {
        let lines = decode_lines(b"{\"type\":\"A\",\"n\":1.50}\r\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].0, "{\"type\":\"A\",\"n\":1.50}",
            "the exact text, number format included"
        );
        assert_eq!(
            decode_lines(b"  "),
            vec![("  ".to_owned(), Item::Raw("  ".into()))]
        );
        assert_eq!(decode_lines(b"").len(), 1);
    }
}
