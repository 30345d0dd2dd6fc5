//! Writing what the stream holds: one line per event for a person, the event as Buzz wrote
//! it for a machine, and anything that is not an event shown raw, never dropped.

use std::io::Write;

use crate::cli::Output;
use crate::events::{self, Item};
use crate::names::EventType;
use crate::report::tail::{render_event, render_raw};

/// Whose events are expected (`--expect-domain`), and what becomes of the others.
#[derive(Debug, Clone, Default)]
pub(super) struct Domains {
    /// The domain ids events should carry; empty: every event is shown unmarked.
    pub expected: Vec<String>,
    /// `--only-expected`: the others are hidden (and counted) instead of marked.
    pub only_expected: bool,
}

impl Domains {
    /// An event whose `domainId` is not expected (one without a domainId is not either).
    fn foreign(&self, e: &serde_json::Value) -> bool {
        !self.expected.is_empty()
            && !events::domain_id(e).is_some_and(|d| self.expected.contains(&d))
    }
}

/// Writes what the stream holds: filtered by type and domain, counted against `--limit`.
pub(super) struct Printer<W: Write> {
    out: W,
    output: Output,
    types: Vec<EventType>,
    domains: Domains,
    limit: Option<u64>,
    printed: u64,
    hidden: u64,
}

impl<W: Write> Printer<W> {
    /// Print to `out`, as `output` says, only events of `types` (all when empty), marking or
    /// hiding those of unexpected `domains`, until `limit` lines.
    pub(super) fn new(
        out: W,
        output: Output,
        types: Vec<EventType>,
        domains: Domains,
        limit: Option<u64>,
    ) -> Self {
        Self {
            out,
            output,
            types,
            domains,
            limit,
            printed: 0,
            hidden: 0,
        }
    }

    /// Lines printed so far.
    pub(super) fn printed(&self) -> u64 {
        self.printed
    }

    /// Events of other domains `--only-expected` kept out (they do not count against the limit).
    pub(super) fn hidden(&self) -> u64 {
        self.hidden
    }

    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.printed >= l)
    }

    /// Print a record's events (and anything else in it, raw). `Ok(true)` once the limit is
    /// reached.
    pub(super) fn record(&mut self, shard: &str, data: &[u8]) -> std::io::Result<bool> {
        for (text, item) in events::decode_lines(data) {
            if self.full() {
                break;
            }
            match item {
                Item::Event(e) => {
                    if !self.types.is_empty()
                        && !self.types.iter().any(|t| *t == *events::event_type(&e))
                    {
                        continue;
                    }
                    let foreign = self.domains.foreign(&e);
                    if foreign && self.domains.only_expected {
                        self.hidden += 1;
                        continue;
                    }
                    render_event(&mut self.out, &text, &e, foreign, self.output)?;
                }
                // Shown whatever the filter: a record that is not an event cannot be judged by
                // type, and dropping it would hide a producer's mistake.
                Item::Raw(raw) => render_raw(&mut self.out, &raw, shard, self.output)?,
            }
            self.printed += 1;
        }
        Ok(self.full())
    }

    /// Flush the writer (stdout is buffered between pages).
    pub(super) fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn printer_filters_counts_and_shows_raw_records() {
        let rec = b"{\"time\":\"t1\",\"guid\":\"g1\",\"domainId\":\"42\",\"type\":\"A\",\"data\":{\"x\":1}}\n{\"type\":\"B\",\"guid\":\"g2\"}";
        let mut out = Vec::new();
        let mut p = Printer::new(
            &mut out,
            Output::Human,
            vec![EventType::parse("--event", "A").unwrap()],
            Domains::default(),
            None,
        );
        assert!(!p.record("s0", rec).unwrap());
        assert!(!p.record("s0", b"not json").unwrap());
        assert_eq!(p.printed(), 2);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!("t1  {:<31}  42  g1  x=1\nraw  not json\n", "A")
        );

        let mut out = Vec::new();
        let mut p = Printer::new(&mut out, Output::Json, vec![], Domains::default(), Some(2));
        assert!(p.record("s1", rec).unwrap(), "the limit is reached");
        assert!(p.record("s1", b"more").unwrap());
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            std::str::from_utf8(&rec[..rec.iter().position(|b| *b == b'\n').unwrap()]).unwrap()
        );

        let mut out = Vec::new();
        Printer::new(&mut out, Output::Json, vec![], Domains::default(), None)
            .record("s2", b"plain \"text\"")
            .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"schema_version": 1, "raw": "plain \"text\"", "shard": "s2"})
        );
    }

    #[test]
    fn other_domains_are_marked_or_hidden_and_counted() {
        let rec = b"{\"guid\":\"a\",\"domainId\":\"424242\",\"type\":\"A\"}\n{\"guid\":\"b\",\"domainId\":\"777777\",\"type\":\"A\"}\n{\"guid\":\"c\",\"type\":\"A\"}\nnot json";
        let expect = |only_expected| Domains {
            expected: vec!["424242".into()],
            only_expected,
        };
        let mut out = Vec::new();
        let mut p = Printer::new(&mut out, Output::Json, vec![], expect(false), None);
        p.record("s0", rec).unwrap();
        assert_eq!((p.printed(), p.hidden()), (4, 0));
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let foreign: Vec<&Value> = lines.iter().map(|v| &v["foreign"]).collect();
        // Ours unchanged, 777777 and the event with no domainId flagged, the raw line as ever.
        assert_eq!(
            foreign,
            [&Value::Null, &json!(true), &json!(true), &Value::Null]
        );

        let mut out = Vec::new();
        let mut p = Printer::new(&mut out, Output::Human, vec![], expect(true), Some(2));
        assert!(
            p.record("s0", rec).unwrap(),
            "the limit counts shown lines only"
        );
        assert_eq!((p.printed(), p.hidden()), (2, 2));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("424242  a") && text.contains("raw  not json"),
            "{text}"
        );
        assert!(!text.contains("777777"), "{text}");

        let mut out = Vec::new();
        Printer::new(&mut out, Output::Human, vec![], expect(false), None)
            .record("s0", rec)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("777777 (foreign)  b"), "{text}");
        assert!(!text.contains("424242 (foreign)"), "{text}");
    }
}
