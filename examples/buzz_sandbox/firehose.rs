//! Amazon Data Firehose's delivery, played for the local stack (`--play-firehose`). The
//! emulator (moto) stores a delivery stream's configuration and answers
//! DescribeDeliveryStream with it, but moves no record from a Kinesis source into S3. So the
//! sandbox does, from the configuration it reads back, never from a copy of the tool's values:
//! a mistake in what setup writes shows up as objects in the wrong place (or none), as it
//! would on AWS.
//!
//! Every `--firehose-flush-ms` (real Firehose buffers up to the configured BufferingHints,
//! 60 s or 64 MiB for the archive; tests cannot wait that long) it lists the delivery streams,
//! and for each one reading a Kinesis stream into an ExtendedS3 destination:
//!
//! 1. reads the stream's new records (ListShards, GetShardIterator AT_TIMESTAMP of the delivery
//!    stream's creation once, as Firehose starts at LATEST when it is made; then
//!    NextShardIterator, so each record is delivered once per sandbox);
//! 2. runs the configured processors in their configured order: RecordDeAggregation
//!    (`SubRecordType` JSON: concatenated or newline-separated objects), MetadataExtraction
//!    (`MetadataExtractionQuery` run by jaq, a jq implementation, for `JsonParsingEngine`
//!    JQ-1.6), AppendDelimiterToRecord (`Delimiter`, unescaped as Firehose does: `\n`);
//! 3. keys each event into the configured `Prefix` (`!{partitionKeyFromQuery:K}`,
//!    `!{timestamp:FMT}`, `!{firehose:random-string}`); a record that fails de-aggregation or
//!    extraction goes under `ErrorOutputPrefix` with `!{firehose:error-output-type}` =
//!    `processing-failed`, as one JSON line like Firehose's error records (`rawData` base64);
//! 4. writes one object per prefix per flush, GZIP or UNCOMPRESSED as configured, named as
//!    Firehose names them: `<prefix><name>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]`;
//! 5. first plays the delivery role: the destination's RoleARN must allow s3:PutObject on the
//!    object's key (its policies evaluated with [`crate::policy`]); when it does not, nothing is
//!    written (Firehose cannot write anywhere then, not even the error prefix), the failure is
//!    logged and shown in `/sandbox/state`, and the objects are kept and retried.
//!
//! What it does not know it refuses loudly (in the sandbox's log and under `firehose` in
//! `/sandbox/state`) and skips that delivery stream: another processor type or parameter, a
//! Lambda partition key, a non-UTC time zone, format conversion, another compression.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_firehose::types::{DeliveryStreamDescription, DeliveryStreamType};
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::policy::{self, Decision, Request};
use crate::record;
use crate::state::App;

/// What the sandbox reports for one delivery stream (`/sandbox/state`'s `firehose`).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Kinesis records read from the source.
    pub records: u64,
    /// Events written under the prefix (after de-aggregation).
    pub events: u64,
    /// Records or events written under the error prefix.
    pub failed: u64,
    /// Keys of the objects written, oldest first.
    pub objects: Vec<String>,
    /// Objects built and not yet written (the role may not write, or S3 refused).
    pub pending: usize,
    /// Why the last delivery did not write, when it did not.
    pub last_error: Option<String>,
    /// Why the configuration is not played, when it is not.
    pub refused: Option<String>,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "records": self.records,
            "events": self.events,
            "failed": self.failed,
            "objects": self.objects,
            "pending": self.pending,
            "lastError": self.last_error,
            "refused": self.refused,
        })
    }
}

/// One processor, as configured and understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// RecordDeAggregation with SubRecordType JSON.
    SplitJson,
    /// MetadataExtraction with this jq query.
    Extract(String),
    /// AppendDelimiterToRecord with this (unescaped) delimiter.
    Append(Vec<u8>),
}

/// One piece of a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Key(String),
    Time(Vec<TimePart>),
    ErrorType,
    Random,
}

/// A piece of a Java DateTimeFormatter pattern (the letters prefixes use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimePart {
    Text(String),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

/// A delivery stream's configuration, read back and understood.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub version: String,
    /// When it was made: Firehose reads a Kinesis source from there on (LATEST at creation),
    /// never what the stream held before.
    pub created: Option<aws_smithy_types::DateTime>,
    pub stream: String,
    pub region: String,
    pub bucket: String,
    /// The account the bucket belongs to, as S3 would put it in `s3:ResourceAccount`: the
    /// local stack has one account, the delivery stream's.
    pub account: String,
    pub role_name: String,
    pub prefix: Vec<Segment>,
    pub error_prefix: Vec<Segment>,
    pub gzip: bool,
    pub extension: String,
    pub steps: Vec<Step>,
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` split at its colons.
fn arn_parts(arn: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn").then_some(parts)
}

impl Plan {
    /// The plan for a description, or why it is not played.
    pub fn from_description(d: &DeliveryStreamDescription) -> Result<Plan, String> {
        let name = d.delivery_stream_name().to_owned();
        if d.delivery_stream_type() != &DeliveryStreamType::KinesisStreamAsSource {
            return Err(format!(
                "its type is {}, not KinesisStreamAsSource",
                d.delivery_stream_type().as_str()
            ));
        }
        let source = d
            .source()
            .and_then(|s| s.kinesis_stream_source_description())
            .ok_or("no KinesisStreamSourceDescription")?;
        let stream_arn = source.kinesis_stream_arn().ok_or("no KinesisStreamARN")?;
        let parts = arn_parts(stream_arn)
            .filter(|p| p[2] == "kinesis")
            .ok_or_else(|| format!("KinesisStreamARN {stream_arn:?} is not a Kinesis ARN"))?;
        let stream = parts[5]
            .strip_prefix("stream/")
            .ok_or_else(|| format!("KinesisStreamARN {stream_arn:?} names no stream"))?
            .to_owned();
        let region = parts[3].to_owned();
        let [destination] = d.destinations() else {
            return Err(format!(
                "{} destinations, the sandbox plays exactly one",
                d.destinations().len()
            ));
        };
        let s3 = destination
            .extended_s3_destination_description()
            .ok_or("its destination is not ExtendedS3")?;
        let bucket = s3
            .bucket_arn()
            .strip_prefix("arn:aws:s3:::")
            .filter(|b| !b.is_empty() && !b.contains('/'))
            .ok_or_else(|| format!("BucketARN {:?} is not a bucket's ARN", s3.bucket_arn()))?
            .to_owned();
        let role_name = arn_parts(s3.role_arn())
            .filter(|p| p[2] == "iam")
            .and_then(|p| p[5].strip_prefix("role/"))
            .and_then(|r| r.rsplit('/').next())
            .ok_or_else(|| format!("RoleARN {:?} is not a role's ARN", s3.role_arn()))?
            .to_owned();
        let gzip = match s3.compression_format().as_str() {
            "GZIP" => true,
            "UNCOMPRESSED" => false,
            other => return Err(format!("CompressionFormat {other:?} is not played")),
        };
        let extension = match s3.file_extension() {
            Some(ext) if !ext.is_empty() => ext.to_owned(),
            _ if gzip => ".gz".to_owned(),
            _ => String::new(),
        };
        if let Some(zone) = s3
            .custom_time_zone()
            .filter(|z| !z.is_empty() && *z != "UTC")
        {
            return Err(format!("CustomTimeZone {zone:?} is not played (UTC only)"));
        }
        if s3
            .data_format_conversion_configuration()
            .is_some_and(|c| c.enabled() != Some(false))
        {
            return Err("DataFormatConversionConfiguration is not played".into());
        }
        if s3
            .s3_backup_mode()
            .is_some_and(|m| m.as_str() != "Disabled")
        {
            return Err("S3BackupMode other than Disabled is not played".into());
        }
        let partitioning = s3
            .dynamic_partitioning_configuration()
            .and_then(|c| c.enabled())
            .unwrap_or(false);
        let steps = match s3.processing_configuration() {
            Some(p) if p.enabled() == Some(true) => p
                .processors()
                .iter()
                .map(step)
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        let extracts = steps.iter().any(|s| matches!(s, Step::Extract(_)));
        if extracts && !partitioning {
            return Err(
                "MetadataExtraction without DynamicPartitioningConfiguration Enabled".into(),
            );
        }
        let prefix = match s3.prefix() {
            Some(p) if !p.is_empty() => parse_prefix(p, false)?,
            _ => return Err("no Prefix (Firehose's default yyyy/MM/dd/HH/ is not played)".into()),
        };
        if prefix.iter().any(|s| matches!(s, Segment::Key(_))) && !extracts {
            return Err(
                "the Prefix uses partitionKeyFromQuery and no MetadataExtraction finds it".into(),
            );
        }
        let error_prefix = match s3.error_output_prefix() {
            Some(p) if !p.is_empty() => parse_prefix(p, true)?,
            _ => return Err("no ErrorOutputPrefix".into()),
        };
        if let Some(Step::Extract(query)) = steps.iter().find(|s| matches!(s, Step::Extract(_))) {
            Jq::compile(query)?;
        }
        let account = arn_parts(d.delivery_stream_arn())
            .map(|p| p[4].to_owned())
            .unwrap_or_default();
        Ok(Plan {
            name,
            version: d.version_id().to_owned(),
            created: d.create_timestamp().copied(),
            stream,
            region,
            bucket,
            account,
            role_name,
            prefix,
            error_prefix,
            gzip,
            extension,
            steps,
        })
    }
}

/// One configured processor as a step; anything not understood is refused.
fn step(p: &aws_sdk_firehose::types::Processor) -> Result<Step, String> {
    let kind = p.r#type().as_str();
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    for parameter in p.parameters() {
        params.insert(
            parameter.parameter_name().as_str(),
            parameter.parameter_value(),
        );
    }
    let only = |allowed: &[&str]| -> Result<(), String> {
        match params.keys().find(|k| !allowed.contains(k)) {
            Some(k) => Err(format!("{kind}'s parameter {k} is not played")),
            None => Ok(()),
        }
    };
    match kind {
        "RecordDeAggregation" => {
            only(&["SubRecordType"])?;
            match params.get("SubRecordType") {
                Some(&"JSON") => Ok(Step::SplitJson),
                other => Err(format!(
                    "RecordDeAggregation with SubRecordType {other:?} is not played (JSON only)"
                )),
            }
        }
        "MetadataExtraction" => {
            only(&["MetadataExtractionQuery", "JsonParsingEngine"])?;
            if params.get("JsonParsingEngine") != Some(&"JQ-1.6") {
                return Err(format!(
                    "MetadataExtraction's JsonParsingEngine {:?} is not JQ-1.6",
                    params.get("JsonParsingEngine")
                ));
            }
            match params.get("MetadataExtractionQuery") {
                Some(q) if !q.trim().is_empty() => Ok(Step::Extract((*q).to_owned())),
                _ => Err("MetadataExtraction without a MetadataExtractionQuery".into()),
            }
        }
        "AppendDelimiterToRecord" => {
            only(&["Delimiter"])?;
            // Firehose's default delimiter is a newline.
            let delimiter = params.get("Delimiter").copied().unwrap_or("\\n");
            Ok(Step::Append(unescape(delimiter)?))
        }
        other => Err(format!("processor {other} is not played")),
    }
}

/// A delimiter as Firehose reads it: `\n`, `\t`, `\r` and `\\` are escapes.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            other => {
                return Err(format!(
                    "the delimiter {text:?} has an escape \\{} the sandbox does not know",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    Ok(out.into_bytes())
}

/// A prefix's `!{namespace:value}` expressions; `errors`: the error prefix, where
/// `!{firehose:error-output-type}` is allowed (and partition keys are not).
pub fn parse_prefix(text: &str, errors: bool) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("!{") {
        if start > 0 {
            segments.push(Segment::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("an unclosed !{{ in the prefix {text:?}"))?;
        let expression = &after[..end];
        let (namespace, value) = expression
            .split_once(':')
            .ok_or_else(|| format!("!{{{expression}}} has no namespace"))?;
        segments.push(match (namespace, value) {
            ("partitionKeyFromQuery", key) if !errors && !key.is_empty() => {
                Segment::Key(key.to_owned())
            }
            ("timestamp", format) => Segment::Time(java_time(format)?),
            ("firehose", "error-output-type") if errors => Segment::ErrorType,
            ("firehose", "random-string") => Segment::Random,
            _ => {
                return Err(format!(
                    "!{{{expression}}} is not played in {}",
                    if errors {
                        "ErrorOutputPrefix"
                    } else {
                        "Prefix"
                    }
                ))
            }
        });
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_owned()));
    }
    Ok(segments)
}

/// The Java DateTimeFormatter letters prefixes use (`yyyy`, `MM`, `dd`, `HH`, `mm`, `ss`),
/// other characters as they are; any other letter is refused.
fn java_time(format: &str) -> Result<Vec<TimePart>, String> {
    let mut parts = Vec::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        let run = rest.len() - rest.trim_start_matches(c).len();
        let part = match (c, run) {
            ('y', 4) => TimePart::Year,
            ('M', 2) => TimePart::Month,
            ('d', 2) => TimePart::Day,
            ('H', 2) => TimePart::Hour,
            ('m', 2) => TimePart::Minute,
            ('s', 2) => TimePart::Second,
            (c, _) if c.is_ascii_alphabetic() || c == '\'' => {
                return Err(format!(
                    "the timestamp format {format:?} uses {:?}, which the sandbox does not play",
                    &rest[..run]
                ))
            }
            _ => TimePart::Text(rest[..run].to_owned()),
        };
        parts.push(part);
        rest = &rest[run..];
    }
    Ok(parts)
}

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

/// Where the player is in one shard.
#[derive(Debug, Default)]
struct Position {
    iterator: Option<String>,
    last_sequence: Option<String>,
}

/// What the player keeps for one delivery stream between flushes.
#[derive(Debug, Default)]
struct Feed {
    /// The version whose refusal was logged (a refusal is logged once per version).
    refused_version: Option<String>,
    shards: BTreeMap<String, Position>,
    pending: Vec<Object>,
}

/// The player: its clients and what it remembers.
pub struct Player {
    app: Arc<App>,
    base: aws_config::SdkConfig,
    firehose: aws_sdk_firehose::Client,
    s3: aws_sdk_s3::Client,
    flush: Duration,
    only: Vec<String>,
    feeds: BTreeMap<String, Feed>,
}

fn sdk_message<E>(err: E) -> String
where
    E: aws_sdk_firehose::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => aws_sdk_firehose::error::DisplayErrorContext(&err).to_string(),
    }
}

impl Player {
    /// Clients from the standard chain (`AWS_ENDPOINT_URL`: the emulator). S3 in path style:
    /// moto serves buckets under its own host, not as subdomains.
    pub async fn new(app: Arc<App>, flush: Duration, only: Vec<String>) -> Player {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&base)
            .force_path_style(true)
            .build();
        Player {
            app,
            firehose: aws_sdk_firehose::Client::new(&base),
            s3: aws_sdk_s3::Client::from_conf(s3),
            base,
            flush,
            only,
            feeds: BTreeMap::new(),
        }
    }

    pub async fn run(mut self) {
        loop {
            tokio::time::sleep(self.flush).await;
            if let Err(message) = self.flush_all().await {
                eprintln!("buzz sandbox: firehose: {message}");
            }
        }
    }

    async fn flush_all(&mut self) -> Result<(), String> {
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let page = self
                .firehose
                .list_delivery_streams()
                .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
                .set_exclusive_start_delivery_stream_name(start.take())
                .send()
                .await
                .map_err(sdk_message)?;
            names.extend(page.delivery_stream_names().iter().cloned());
            match (page.has_more_delivery_streams(), names.last()) {
                (true, Some(last)) => start = Some(last.clone()),
                _ => break,
            }
        }
        names.retain(|n| self.only.is_empty() || self.only.contains(n));
        for name in names {
            let description = self
                .firehose
                .describe_delivery_stream()
                .delivery_stream_name(&name)
                .send()
                .await
                .map_err(sdk_message)?;
            let Some(description) = description.delivery_stream_description() else {
                continue;
            };
            // Firehose's documented rules first (firehose_rules.rs): AWS refuses such a stream.
            let plan = crate::firehose_rules::check(description)
                .and_then(|()| Plan::from_description(description));
            match plan {
                Ok(plan) => {
                    // Played (again): a refusal of an earlier version no longer holds.
                    self.report(&name, |r| r.refused = None);
                    if let Err(message) = self.deliver_as_roles(&plan, description).await {
                        eprintln!("buzz sandbox: firehose {name}: {message}");
                        self.report(&name, |r| r.last_error = Some(message.clone()));
                    }
                }
                Err(reason) => {
                    let feed = self.feeds.entry(name.clone()).or_default();
                    let version = description.version_id().to_owned();
                    if feed.refused_version.as_ref() != Some(&version) {
                        eprintln!(
                            "buzz sandbox: firehose {name}: NOT PLAYED, {reason}; the sandbox plays only what it knows Firehose does"
                        );
                        feed.refused_version = Some(version);
                    }
                    self.report(&name, |r| r.refused = Some(reason.clone()));
                }
            }
        }
        Ok(())
    }

    fn report(&self, name: &str, change: impl FnOnce(&mut Report)) {
        let mut inner = self.app.lock();
        change(inner.firehose.entry(name.to_owned()).or_default());
    }

    /// [`Self::deliver`] when AWS would let Firehose's roles read and write (firehose_role.rs);
    /// else the delivery stalls, as on AWS, and a refused write counts as a failed delivery.
    async fn deliver_as_roles(
        &mut self,
        plan: &Plan,
        description: &DeliveryStreamDescription,
    ) -> Result<(), String> {
        use crate::firehose_role::{may_deliver, Stall};
        match may_deliver(&self.app.aws, &self.s3, description).await {
            Ok(()) => self.deliver(plan).await,
            Err(Stall::Read(message)) => Err(message),
            Err(Stall::Write(message)) => {
                self.publish(plan, &[("DeliveryToS3.Success", 0.0)]).await;
                Err(message)
            }
        }
    }

    /// One delivery stream's flush: read, process, write what the role may write.
    async fn deliver(&mut self, plan: &Plan) -> Result<(), String> {
        let records = self.read(plan).await?;
        if !records.is_empty() {
            let objects = process(plan, &records, SystemTime::now())?;
            let feed = self.feeds.entry(plan.name.clone()).or_default();
            feed.pending.extend(objects);
            let count = records.len() as u64;
            self.report(&plan.name, |r| r.records += count);
            self.publish(plan, &[("DataReadFromKinesisStream.Records", count as f64)])
                .await;
        }
        let had = self
            .feeds
            .get(&plan.name)
            .map(|f| f.pending.iter().map(|o| o.events).sum::<u64>())
            .unwrap_or(0);
        let result = self.write(plan).await;
        if had > 0 {
            // Firehose's own delivery metrics, which moto does not publish: what check reads.
            let left: u64 = self
                .feeds
                .get(&plan.name)
                .map(|f| f.pending.iter().map(|o| o.events).sum())
                .unwrap_or(0);
            let flushed = self.flush.as_secs_f64();
            let values = match &result {
                Ok(()) => vec![
                    ("DeliveryToS3.Records", (had - left) as f64),
                    ("DeliveryToS3.Success", 1.0),
                    ("DeliveryToS3.DataFreshness", flushed),
                ],
                Err(_) => vec![("DeliveryToS3.Success", 0.0)],
            };
            self.publish(plan, &values).await;
        }
        result
    }

    /// Firehose's metrics for a delivery stream (namespace `AWS/Firehose`, dimension
    /// `DeliveryStreamName`). A failure is only logged: metrics are not what is played.
    async fn publish(&self, plan: &Plan, values: &[(&str, f64)]) {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.base);
        let dimension = ("DeliveryStreamName", plan.name.as_str());
        let put = crate::aws_check::put_metrics(&cloudwatch, "AWS/Firehose", dimension, values);
        if let Err(e) = put.await {
            eprintln!(
                "buzz sandbox: firehose {}: could not publish metrics: {}",
                plan.name,
                sdk_message(e)
            );
        }
    }

    /// The source's records not read yet, every shard.
    async fn read(&mut self, plan: &Plan) -> Result<Vec<Record>, String> {
        let config = aws_sdk_kinesis::config::Builder::from(&self.base)
            .region(aws_sdk_kinesis::config::Region::new(plan.region.clone()))
            .build();
        let kinesis = aws_sdk_kinesis::Client::from_conf(config);
        let shards = kinesis
            .list_shards()
            .stream_name(&plan.stream)
            .send()
            .await
            .map_err(|e| format!("ListShards on {}: {}", plan.stream, sdk_message(e)))?;
        let feed = self.feeds.entry(plan.name.clone()).or_default();
        let mut records = Vec::new();
        for shard in shards.shards() {
            let id = shard.shard_id().to_owned();
            let position = feed.shards.entry(id.clone()).or_default();
            let mut iterator = match position.iterator.take() {
                Some(it) => it,
                None => {
                    use aws_sdk_kinesis::types::ShardIteratorType;
                    let request = kinesis
                        .get_shard_iterator()
                        .stream_name(&plan.stream)
                        .shard_id(&id);
                    // Where a lost iterator left off; else, as Firehose does, from when the
                    // delivery stream was made (records written before it are never read).
                    let request = match (&position.last_sequence, plan.created) {
                        (Some(seq), _) => request
                            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                            .starting_sequence_number(seq),
                        (None, Some(at)) => request
                            .shard_iterator_type(ShardIteratorType::AtTimestamp)
                            .timestamp(at),
                        (None, None) => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                    };
                    let out = request
                        .send()
                        .await
                        .map_err(|e| format!("GetShardIterator on {id}: {}", sdk_message(e)))?;
                    out.shard_iterator().unwrap_or_default().to_owned()
                }
            };
            // A bounded number of pages per flush: moto hands out everything at once.
            for _ in 0..100 {
                let page = match kinesis.get_records().shard_iterator(&iterator).send().await {
                    Ok(page) => page,
                    Err(e) => {
                        // Expired or refused: the next flush starts after the last record.
                        eprintln!(
                            "buzz sandbox: firehose {}: GetRecords on {id}: {}",
                            plan.name,
                            sdk_message(e)
                        );
                        break;
                    }
                };
                for r in page.records() {
                    let arrival_ms = r
                        .approximate_arrival_timestamp()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0);
                    records.push(Record {
                        data: r.data().as_ref().to_vec(),
                        arrival_ms,
                    });
                    position.last_sequence = Some(r.sequence_number().to_owned());
                }
                let empty = page.records().is_empty();
                let caught_up = page.millis_behind_latest() == Some(0);
                match page.next_shard_iterator() {
                    Some(next) => iterator = next.to_owned(),
                    None => break,
                }
                position.iterator = Some(iterator.clone());
                if empty || caught_up {
                    break;
                }
            }
        }
        Ok(records)
    }

    /// The pending objects, oldest first, while the role may write them and S3 takes them.
    async fn write(&mut self, plan: &Plan) -> Result<(), String> {
        let pending = std::mem::take(&mut self.feeds.entry(plan.name.clone()).or_default().pending);
        if pending.is_empty() {
            return Ok(());
        }
        let policies = self.app.aws.role_policies(&plan.role_name).await;
        let mut left = pending.into_iter();
        let mut failure = None;
        for object in left.by_ref() {
            if let Err(message) = self.put(plan, &policies, &object).await {
                failure = Some(message);
                self.feeds
                    .entry(plan.name.clone())
                    .or_default()
                    .pending
                    .push(object);
                break;
            }
            eprintln!(
                "buzz sandbox: firehose {}: wrote s3://{}/{} ({} events, {} failed)",
                plan.name, plan.bucket, object.key, object.events, object.failed
            );
            self.report(&plan.name, |r| {
                r.events += object.events;
                r.failed += object.failed;
                r.objects.push(object.key.clone());
            });
        }
        let feed = self.feeds.entry(plan.name.clone()).or_default();
        feed.pending.extend(left);
        let count = feed.pending.len();
        self.report(&plan.name, |r| {
            r.pending = count;
            if failure.is_none() {
                r.last_error = None;
            }
        });
        match failure {
            Some(message) => Err(format!("{message}; {count} object(s) kept for retry")),
            None => Ok(()),
        }
    }

    async fn put(
        &self,
        plan: &Plan,
        policies: &Result<Vec<Value>, crate::aws_check::Failure>,
        object: &Object,
    ) -> Result<(), String> {
        let documents = policies.as_ref().map_err(|f| {
            format!(
                "cannot read the delivery role {}'s policies: {}: {}",
                plan.role_name, f.code, f.message
            )
        })?;
        let resource = format!("arn:aws:s3:::{}/{}", plan.bucket, object.key);
        let context = [("s3:ResourceAccount", plan.account.as_str())];
        let request = Request {
            action: "s3:PutObject",
            resource: Some(&resource),
            principal: None,
            context: &context,
            required_condition_key: None,
        };
        if policy::evaluate(documents, &request) != Decision::Allow {
            return Err(format!(
                "the delivery role {} may not s3:PutObject on {resource} (AccessDenied)",
                plan.role_name
            ));
        }
        self.s3
            .put_object()
            .bucket(&plan.bucket)
            .key(&object.key)
            .body(aws_sdk_s3::primitives::ByteStream::from(
                object.body.clone(),
            ))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("PutObject {}: {}", object.key, sdk_message(e)))
    }
}

/// `/sandbox/state`'s `firehose`: each delivery stream's report.
pub fn state_json(reports: &BTreeMap<String, Report>) -> Value {
    reports
        .iter()
        .map(|(name, report)| (name.clone(), report.to_json()))
        .collect::<Map<String, Value>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A description as moto answers it for the archive, with `change` applied to its
    /// processors (kind, parameters) and destination.
    fn description(
        processors: &[(&str, &[(&str, &str)])],
        change: impl FnOnce(
            aws_sdk_firehose::types::builders::ExtendedS3DestinationDescriptionBuilder,
        )
            -> aws_sdk_firehose::types::builders::ExtendedS3DestinationDescriptionBuilder,
    ) -> DeliveryStreamDescription {
        use aws_sdk_firehose::types::*;
        let processors = processors
            .iter()
            .map(|(kind, params)| {
                Processor::builder()
                    .r#type(ProcessorType::from(*kind))
                    .set_parameters(Some(
                        params
                            .iter()
                            .map(|(k, v)| {
                                ProcessorParameter::builder()
                                    .parameter_name(ProcessorParameterName::from(*k))
                                    .parameter_value(*v)
                                    .build()
                                    .unwrap()
                            })
                            .collect(),
                    ))
                    .build()
                    .unwrap()
            })
            .collect();
        let s3 = ExtendedS3DestinationDescription::builder()
            .role_arn("arn:aws:iam::123456789012:role/s-archive-firehose")
            .bucket_arn("arn:aws:s3:::b")
            .compression_format(CompressionFormat::Gzip)
            .prefix("events/type=!{partitionKeyFromQuery:type}/")
            .error_output_prefix("errors/!{firehose:error-output-type}/")
            .dynamic_partitioning_configuration(
                DynamicPartitioningConfiguration::builder()
                    .enabled(true)
                    .build(),
            )
            .processing_configuration(
                ProcessingConfiguration::builder()
                    .enabled(true)
                    .set_processors(Some(processors))
                    .build(),
            );
        DeliveryStreamDescription::builder()
            .delivery_stream_name("s-archive")
            .delivery_stream_arn("arn:aws:firehose:us-east-1:123456789012:deliverystream/s-archive")
            .delivery_stream_status(DeliveryStreamStatus::Active)
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .version_id("1")
            .has_more_destinations(false)
            .source(
                SourceDescription::builder()
                    .kinesis_stream_source_description(
                        KinesisStreamSourceDescription::builder()
                            .kinesis_stream_arn("arn:aws:kinesis:eu-west-1:123456789012:stream/s")
                            .build(),
                    )
                    .build(),
            )
            .destinations(
                DestinationDescription::builder()
                    .destination_id("destinationId-000000000001")
                    .extended_s3_destination_description(change(s3).build().unwrap())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    const JQ: (&str, &[(&str, &str)]) = (
        "MetadataExtraction",
        &[
            ("MetadataExtractionQuery", "{type: .type}"),
            ("JsonParsingEngine", "JQ-1.6"),
        ],
    );

    #[test]
    fn the_configuration_read_back_is_played_as_it_says_and_the_unknown_is_refused() {
        let split: (&str, &[(&str, &str)]) = ("RecordDeAggregation", &[("SubRecordType", "JSON")]);
        let append: (&str, &[(&str, &str)]) = ("AppendDelimiterToRecord", &[("Delimiter", "\\n")]);
        let plan = Plan::from_description(&description(&[split, JQ, append], |s| s)).unwrap();
        assert_eq!(
            plan.steps,
            [
                Step::SplitJson,
                Step::Extract("{type: .type}".into()),
                Step::Append(b"\n".to_vec())
            ]
        );
        assert_eq!(
            (
                plan.stream.as_str(),
                plan.region.as_str(),
                plan.bucket.as_str()
            ),
            ("s", "eu-west-1", "b")
        );
        assert_eq!(plan.role_name, "s-archive-firehose");
        assert!(plan.gzip && plan.extension == ".gz");

        let refused = |processors: &[(&str, &[(&str, &str)])],
                       change: fn(
            aws_sdk_firehose::types::builders::ExtendedS3DestinationDescriptionBuilder,
        )
            -> aws_sdk_firehose::types::builders::ExtendedS3DestinationDescriptionBuilder| {
            Plan::from_description(&description(processors, change)).unwrap_err()
        };
        let same = |s| s;
        let lambda: (&str, &[(&str, &str)]) = ("Lambda", &[("LambdaArn", "arn:aws:lambda:x")]);
        assert!(refused(&[lambda, JQ], same).contains("Lambda"));
        let delimited: (&str, &[(&str, &str)]) =
            ("RecordDeAggregation", &[("SubRecordType", "DELIMITED")]);
        assert!(refused(&[delimited, JQ], same).contains("DELIMITED"));
        let jq15: (&str, &[(&str, &str)]) = (
            "MetadataExtraction",
            &[
                ("MetadataExtractionQuery", "{type: .type}"),
                ("JsonParsingEngine", "JQ-1.5"),
            ],
        );
        assert!(refused(&[jq15], same).contains("JQ-1.6"));
        let extra: (&str, &[(&str, &str)]) = (
            "AppendDelimiterToRecord",
            &[("Delimiter", "\\n"), ("Other", "x")],
        );
        assert!(refused(&[JQ, extra], same).contains("Other"));
        let broken: (&str, &[(&str, &str)]) = (
            "MetadataExtraction",
            &[
                ("MetadataExtractionQuery", "{type: .type"),
                ("JsonParsingEngine", "JQ-1.6"),
            ],
        );
        assert!(refused(&[broken], same).contains("does not parse"));
        // A partition key nothing extracts, and no error prefix: Firehose would refuse these.
        assert!(refused(&[], same).contains("partitionKeyFromQuery"));
        assert!(refused(&[JQ], |s| s.error_output_prefix("")).contains("ErrorOutputPrefix"));
        assert!(refused(&[JQ], |s| s
            .compression_format(aws_sdk_firehose::types::CompressionFormat::Snappy))
        .contains("Snappy"));
        assert!(refused(&[JQ], |s| s.custom_time_zone("Asia/Tokyo")).contains("Tokyo"));
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
    fn delimiters_unescape_as_firehose_reads_them() {
        assert_eq!(unescape("\\n").unwrap(), b"\n");
        assert_eq!(unescape("|\\t\\\\").unwrap(), b"|\t\\");
        assert!(unescape("\\x").is_err());
    }

    #[test]
    fn prefixes_refuse_what_is_not_played() {
        assert!(parse_prefix("a/!{partitionKeyFromLambda:x}/", false).is_err());
        assert!(parse_prefix("a/!{firehose:error-output-type}/", false).is_err());
        assert!(parse_prefix("a/!{timestamp:yyyy-MM-dd'T'}/", false).is_err());
        assert!(parse_prefix("a/!{timestamp:yyyy/MM/dd/HH}/", true).is_ok());
        assert!(parse_prefix("a/!{oops", false).is_err());
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
