//! One flush's records through the plan's processors into objects: de-aggregation, jq's
//! partition keys, the delimiter, the prefixes, Firehose's error records and object names.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{json, Value};

use super::config::{Plan, Segment, Step, TimePart};
use crate::record;

/// UTC (year, month, day, hour, minute, second) of milliseconds since the epoch.
fn utc(ms: i64) -> [u64; 6] {
    let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    let text = record::rfc3339_ticks(time);
    // `YYYY-MM-DDTHH:MM:SS...`: the fields at fixed places.
    let field = |range: std::ops::Range<usize>| text[range].parse().unwrap_or(0);
    [
        field(0..4),
        field(5..7),
        field(8..10),
        field(11..13),
        field(14..16),
        field(17..19),
    ]
}

fn format_time(parts: &[TimePart], ms: i64) -> String {
    let [y, mo, d, h, mi, s] = utc(ms);
    parts
        .iter()
        .map(|p| match p {
            TimePart::Text(t) => t.clone(),
            TimePart::Year => format!("{y:04}"),
            TimePart::Month => format!("{mo:02}"),
            TimePart::Day => format!("{d:02}"),
            TimePart::Hour => format!("{h:02}"),
            TimePart::Minute => format!("{mi:02}"),
            TimePart::Second => format!("{s:02}"),
        })
        .collect()
}

/// Firehose's random string: 11 characters.
fn random_string() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..11)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A prefix evaluated for one event: its partition keys and its record's arrival time.
fn render(
    segments: &[Segment],
    keys: &BTreeMap<String, String>,
    arrival_ms: i64,
) -> Result<String, String> {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Key(k) => match keys.get(k) {
                Some(v) => out.push_str(v),
                None => return Err(format!("the partition key {k} was not found")),
            },
            Segment::Time(parts) => out.push_str(&format_time(parts, arrival_ms)),
            Segment::ErrorType => out.push_str("processing-failed"),
            Segment::Random => out.push_str(&random_string()),
        }
    }
    Ok(out)
}

/// A jq filter, compiled by jaq with jq's standard library.
pub struct Jq(jaq_core::Filter<jaq_core::data::JustLut<jaq_json::Val>>);

impl Jq {
    pub fn compile(query: &str) -> Result<Jq, String> {
        use jaq_core::load::{Arena, File, Loader};
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let program = File {
            code: query,
            path: (),
        };
        let modules = loader
            .load(&arena, program)
            .map_err(|e| format!("MetadataExtractionQuery {query:?} does not parse: {e:?}"))?;
        let filter = jaq_core::Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|e| format!("MetadataExtractionQuery {query:?} does not compile: {e:?}"))?;
        Ok(Jq(filter))
    }

    /// The partition keys of one event: the query's one output, an object whose values are
    /// strings (numbers and booleans as their JSON text). Anything else fails the event.
    pub fn keys(&self, data: &[u8]) -> Result<BTreeMap<String, String>, String> {
        use jaq_core::{data::JustLut, unwrap_valr, Ctx, Vars};
        let input = jaq_json::read::parse_single(data)
            .map_err(|e| format!("Non JSON record provided ({e})"))?;
        let ctx = Ctx::<JustLut<jaq_json::Val>>::new(&self.0.lut, Vars::new([]));
        let outputs: Vec<_> = self.0.id.run((ctx, input)).map(unwrap_valr).collect();
        let [output] = outputs.as_slice() else {
            return Err(format!("the query gave {} results, not one", outputs.len()));
        };
        let output = output
            .as_ref()
            .map_err(|e| format!("the query failed: {e:?}"))?;
        let value: Value = serde_json::from_str(&output.to_string())
            .map_err(|e| format!("the query's result is not JSON ({e}): {output}"))?;
        let Value::Object(map) = value else {
            return Err(format!("the query's result is not an object: {value}"));
        };
        map.into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                Value::Number(_) | Value::Bool(_) => Ok((k, v.to_string())),
                other => Err(format!("the partition key {k} is {other}, not a value")),
            })
            .collect()
    }
}

/// A record read from the source.
#[derive(Debug, Clone)]
pub struct Record {
    pub data: Vec<u8>,
    pub arrival_ms: i64,
}

/// An object to write.
#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub body: Vec<u8>,
    pub events: u64,
    pub failed: u64,
}

/// The JSON documents of a record, each as its own bytes (whitespace between them dropped):
/// concatenated (`{"a":1}{"a":2}`) or newline-separated; each must be an object.
pub fn split_json(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut stream =
        serde_json::Deserializer::from_slice(data).into_iter::<serde::de::IgnoredAny>();
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(next) = stream.next() {
        next.map_err(|e| format!("Non JSON record provided ({e})"))?;
        let end = stream.byte_offset();
        let document = data[start..end].trim_ascii();
        if !document.starts_with(b"{") {
            return Err("a sub-record is not a JSON object".into());
        }
        out.push(document.to_vec());
        start = end;
    }
    if out.is_empty() {
        return Err("no JSON object in the record".into());
    }
    Ok(out)
}

/// Firehose's error record for data that could not be processed.
fn error_line(raw: &[u8], arrival_ms: i64, code: &str, message: &str, now_ms: i64) -> Vec<u8> {
    let mut line = json!({
        "attemptsMade": 1,
        "arrivalTimestamp": arrival_ms,
        "errorCode": code,
        "errorMessage": message,
        "attemptEndingTimestamp": now_ms,
        "rawData": base64::engine::general_purpose::STANDARD.encode(raw),
    })
    .to_string()
    .into_bytes();
    line.push(b'\n');
    line
}

/// One flush: `records` through the plan's steps into objects, one per prefix.
pub fn process(plan: &Plan, records: &[Record], now: SystemTime) -> Result<Vec<Object>, String> {
    let now_ms = i64::try_from(
        now.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(0);
    let jq = match plan.steps.iter().find(|s| matches!(s, Step::Extract(_))) {
        Some(Step::Extract(query)) => Some(Jq::compile(query)?),
        _ => None,
    };
    // Prefix -> (body, oldest arrival, events, failed).
    let mut groups: BTreeMap<String, (Vec<u8>, i64, u64, u64)> = BTreeMap::new();
    for record in records {
        let mut items: Vec<(Vec<u8>, BTreeMap<String, String>)> =
            vec![(record.data.clone(), BTreeMap::new())];
        let mut failures: Vec<(Vec<u8>, &str, String)> = Vec::new();
        for step in &plan.steps {
            items = match step {
                Step::SplitJson => items
                    .into_iter()
                    .flat_map(|(data, keys)| {
                        match split_json(&data)
                            .and_then(crate::firehose_rules::within_deaggregation_cap)
                        {
                            Ok(parts) => parts.into_iter().map(|p| (p, keys.clone())).collect(),
                            Err(message) => {
                                failures.push((
                                    data,
                                    "DynamicPartitioning.DeaggregationFailed",
                                    message,
                                ));
                                Vec::new()
                            }
                        }
                    })
                    .collect(),
                Step::Extract(_) => {
                    let jq = jq.as_ref().ok_or("no compiled query")?;
                    items
                        .into_iter()
                        .filter_map(|(data, mut keys)| match jq.keys(&data) {
                            Ok(found) => {
                                keys.extend(found);
                                Some((data, keys))
                            }
                            Err(message) => {
                                failures.push((
                                    data,
                                    "DynamicPartitioning.MetadataExtractionFailed",
                                    message,
                                ));
                                None
                            }
                        })
                        .collect()
                }
                Step::Append(delimiter) => items
                    .into_iter()
                    .map(|(mut data, keys)| {
                        data.extend_from_slice(delimiter);
                        (data, keys)
                    })
                    .collect(),
            };
        }
        for (data, keys) in items {
            match render(&plan.prefix, &keys, record.arrival_ms) {
                Ok(prefix) => {
                    let group =
                        groups
                            .entry(prefix)
                            .or_insert((Vec::new(), record.arrival_ms, 0, 0));
                    group.0.extend_from_slice(&data);
                    group.1 = group.1.min(record.arrival_ms);
                    group.2 += 1;
                }
                Err(message) => {
                    failures.push((data, "DynamicPartitioning.PartitionKeyNotFound", message))
                }
            }
        }
        for (raw, code, message) in failures {
            let prefix = render(&plan.error_prefix, &BTreeMap::new(), record.arrival_ms)?;
            let group = groups
                .entry(prefix)
                .or_insert((Vec::new(), record.arrival_ms, 0, 0));
            group
                .0
                .extend_from_slice(&error_line(&raw, record.arrival_ms, code, &message, now_ms));
            group.1 = group.1.min(record.arrival_ms);
            group.3 += 1;
        }
    }
    let mut objects = Vec::new();
    for (prefix, (body, oldest, events, failed)) in groups {
        let [y, mo, d, h, mi, s] = utc(oldest);
        let key = format!(
            "{prefix}{}-{}-{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}-{}{}",
            plan.name,
            plan.version,
            record::uuid_v4(),
            plan.extension
        );
        let body = if plan.gzip { gzip(&body)? } else { body };
        objects.push(Object {
            key,
            body,
            events,
            failed,
        });
    }
    Ok(objects)
}

fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firehose::config::parse_prefix;

    fn plan(steps: Vec<Step>, prefix: &str) -> Plan {
        Plan {
            name: "s-archive".into(),
            version: "1".into(),
            stream: "s".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            account: "123456789012".into(),
            role_name: "r".into(),
            prefix: parse_prefix(prefix, false).unwrap(),
            error_prefix: parse_prefix(
                "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
                true,
            )
            .unwrap(),
            gzip: false,
            extension: String::new(),
            steps,
            created: None,
        }
    }

    fn record(data: &str) -> Record {
        Record {
            data: data.as_bytes().to_vec(),
            // 2022-06-29T16:40:30.992Z
            arrival_ms: 1_656_520_830_992,
        }
    }

    #[test]
    fn json_records_split_concatenated_and_newline_separated_objects() {
        let parts = split_json(b"{\"a\":1}{\"a\":2}\n {\"a\": [3]}\n").unwrap();
        assert_eq!(
            parts,
            vec![
                b"{\"a\":1}".to_vec(),
                b"{\"a\":2}".to_vec(),
                b"{\"a\": [3]}".to_vec()
            ]
        );
        assert!(split_json(b"not an event").is_err());
        assert!(split_json(b"{\"a\":1} junk").is_err());
        assert!(split_json(b"[{\"a\":1}]").is_err());
        assert!(split_json(b"  ").is_err());
    }

    #[test]
    fn events_are_split_keyed_by_jq_and_delimited_and_failures_go_to_the_error_prefix() {
        let p = plan(
            vec![
                Step::SplitJson,
                Step::Extract("{type: .type, dt: .time[0:10]}".into()),
                Step::Append(b"\n".to_vec()),
            ],
            "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/",
        );
        let a = r#"{"time":"2026-01-01T08:00:00.1234567Z","type":"A","guid":"1"}"#;
        let b = r#"{"time":"2026-01-02T08:00:00Z","type":"B","guid":"2"}"#;
        let records = [
            record(&format!("{a}\n{b}\n{a}")),
            record("not an event"),
            record(r#"{"guid":"no type"}"#),
        ];
        let objects = process(&p, &records, SystemTime::now()).unwrap();
        let by_dir: BTreeMap<&str, &Object> = objects
            .iter()
            .map(|o| (o.key.rsplit_once('/').unwrap().0, o))
            .collect();
        assert_eq!(
            by_dir.keys().copied().collect::<Vec<_>>(),
            [
                "errors/processing-failed/dt=2022-06-29",
                "events/type=A/dt=2026-01-01",
                "events/type=B/dt=2026-01-02"
            ]
        );
        let a_obj = by_dir["events/type=A/dt=2026-01-01"];
        assert_eq!(a_obj.body, format!("{a}\n{a}\n").into_bytes());
        assert_eq!(a_obj.events, 2);
        assert!(a_obj
            .key
            .starts_with("events/type=A/dt=2026-01-01/s-archive-1-2022-06-29-16-40-30-"));
        let errors = by_dir["errors/processing-failed/dt=2022-06-29"];
        assert_eq!(errors.failed, 2);
        let lines: Vec<Value> = String::from_utf8(errors.body.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["rawData"], "bm90IGFuIGV2ZW50");
        assert_eq!(lines[0]["arrivalTimestamp"], 1_656_520_830_992_i64);
    }

    /// The archive's query (src/archive.rs's JQ_QUERY, written out: the sandbox does not read
    /// the tool's code) raises an error for an event without a string type or a time of ten
    /// characters; Firehose writes such a record under the error prefix, `processing-failed`
    /// being the type AWS documents for a failed processor.
    #[test]
    fn a_query_that_raises_an_error_sends_the_event_to_processing_failed() {
        let query = r#"if (.type | type) != "string" then error("the event has no string type") elif (.time | type) != "string" or (.time | length) < 10 then error("the event has no time of at least 10 characters") else {type: .type, dt: .time[0:10]} end"#;
        let jq = Jq::compile(query).unwrap();
        let keys = jq
            .keys(br#"{"type":"A","time":"2026-01-01T08:00:00Z"}"#)
            .unwrap();
        assert_eq!(keys["dt"], "2026-01-01");
        for bad in [
            r#"{"time":"2026-01-01T08:00:00Z"}"#,
            r#"{"type":3,"time":"2026-01-01T08:00:00Z"}"#,
            r#"{"type":"A"}"#,
            r#"{"type":"A","time":"2026-01"}"#,
            r#"{"type":"A","time":20260101}"#,
        ] {
            let e = jq.keys(bad.as_bytes()).unwrap_err();
            assert!(e.contains("the event has no"), "{bad}: {e}");
        }
        let p = plan(
            vec![
                Step::SplitJson,
                Step::Extract(query.into()),
                Step::Append(b"\n".to_vec()),
            ],
            "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/",
        );
        let records = [record(
            "{\"type\":\"A\",\"time\":\"2026-01-01T08:00:00Z\"}\n{\"type\":\"A\"}",
        )];
        let objects = process(&p, &records, SystemTime::now()).unwrap();
        let dirs: Vec<&str> = objects
            .iter()
            .map(|o| o.key.rsplit_once('/').unwrap().0)
            .collect();
        assert_eq!(
            dirs,
            [
                "errors/processing-failed/dt=2022-06-29",
                "events/type=A/dt=2026-01-01"
            ]
        );
        let line: Value = serde_json::from_slice(objects[0].body.trim_ascii()).unwrap();
        assert_eq!(
            line["errorCode"],
            "DynamicPartitioning.MetadataExtractionFailed"
        );
    }

    #[test]
    fn jq_keys_are_strings_and_a_missing_key_fails() {
        let jq = Jq::compile("{type: .type, n: .n, up: (.type | ascii_upcase)}").unwrap();
        let keys = jq.keys(br#"{"type":"a","n":3}"#).unwrap();
        assert_eq!(keys["type"], "a");
        assert_eq!(keys["n"], "3");
        assert_eq!(keys["up"], "A");
        assert!(jq.keys(br#"{"n":3}"#).is_err());
        assert!(Jq::compile("{type: .type").is_err());
        assert!(Jq::compile("nosuchfunction(1)").is_err());
    }

    #[test]
    fn gzip_objects_read_back() {
        let mut p = plan(vec![Step::Append(b"\n".to_vec())], "raw/!{timestamp:yyyy}/");
        p.gzip = true;
        p.extension = ".gz".into();
        let objects = process(&p, &[record("x")], SystemTime::now()).unwrap();
        assert_eq!(objects.len(), 1);
        assert!(objects[0].key.starts_with("raw/2022/s-archive-1-"));
        assert!(objects[0].key.ends_with(".gz"));
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&objects[0].body[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "x\n");
    }
}
