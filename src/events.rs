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
    let text = String::from_utf8_lossy(record);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(v) if v.get("type").is_some_and(Value::is_string) => Item::Event(v),
            _ => Item::Raw(line.to_owned()),
        })
        .collect()
}

/// An event's type, or "" when it has none.
pub fn event_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
