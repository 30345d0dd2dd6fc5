//! A delivery stream's configuration, read back from DescribeDeliveryStream and understood
//! (the [`Plan`] the player follows), or refused: what the sandbox does not play is named.

use std::collections::BTreeMap;

use aws_sdk_firehose::types::{
    DeliveryStreamDescription, DeliveryStreamType, ExtendedS3DestinationDescription,
};

use super::process::Jq;

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
        let (stream, region) = source(d)?;
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
        let (gzip, extension) = output(s3)?;
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

/// The Kinesis source's stream name and region, from its ARN.
fn source(d: &DeliveryStreamDescription) -> Result<(String, String), String> {
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
    Ok((stream, parts[3].to_owned()))
}

/// How the objects are written: (GZIP, the file extension); what the sandbox does not play
/// (another compression, a time zone, format conversion, a backup) is refused.
fn output(s3: &ExtendedS3DestinationDescription) -> Result<(bool, String), String> {
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
    Ok((gzip, extension))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
