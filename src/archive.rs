//! The archive (`--archive-bucket`): every event Buzz writes to the stream kept in S3,
//! partitioned by event type and day, with a Glue table over it to query with SQL (Athena).
//! Firehose reads the stream with a role of its own and writes each event as one line of
//! gzipped JSON under `events/type=<type>/dt=<YYYY-MM-DD>/`; the table's partition projection
//! reads that layout, so no crawler and no `MSCK REPAIR TABLE` is ever needed.
//!
//! Pure: the values, the documents and the SQL, which the templates ([`crate::iac`]) and the
//! `policy --format archive` description read, so none of them can drift from the others.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::names::{
    ArchiveBuffer, ArchiveDays, BucketName, EventFilter, KmsKey, KNOWN_EVENT_TYPES,
};

/// Where the events go: every object key starts with it.
pub const EVENTS_PREFIX: &str = "events/";
/// Where Firehose writes what it could not deliver under [`PREFIX`] (see [`ERROR_PREFIX`]).
pub const ERRORS_PREFIX: &str = "errors/";
/// Firehose's prefix, from the keys the metadata extraction finds in each event.
pub const PREFIX: &str =
    "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/";
/// Where Firehose puts what it could not deliver or partition (a line that is not an event).
pub const ERROR_PREFIX: &str = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/";
/// The partition keys of one event: its type, and its day from `time` (ISO 8601, UTC, e.g.
/// `2022-06-29T16:40:30.9926931Z`: the first ten characters; a date parse would trip on the
/// seven fractional digits). An event without a string `type`, or whose `time` is not a string
/// of at least ten characters, raises an error, so Firehose writes it under the error prefix:
/// AWS does not say what a null partition key does.
pub const JQ_QUERY: &str = "if (.type | type) != \"string\" then error(\"the event has no string type\") elif (.time | type) != \"string\" or (.time | length) < 10 then error(\"the event has no time of at least 10 characters\") else {type: .type, dt: .time[0:10]} end";
pub const JQ_ENGINE: &str = "JQ-1.6";
/// The delimiter Firehose appends to every event, as Firehose writes it (an escaped newline).
pub const DELIMITER: &str = "\\n";
/// Buffering: dynamic partitioning needs at least 64 MiB (AWS's documented minimum for it).
/// The interval is `--archive-buffer` ([`ArchiveBuffer`], 60-900 s, 300 by default): each
/// active partition (event type and day) flushes on its own timer, so a short interval writes
/// one small object per type per interval.
pub const BUFFER_MIB: u32 = 64;
// Dynamic partitioning's minimum size, held at compile time (the interval's range is
// ArchiveBuffer's; zero buffering is not offered with dynamic partitioning).
const _: () = assert!(BUFFER_MIB >= 64 && BUFFER_MIB <= 128);
/// How long Firehose retries delivery to S3 before it writes to the error prefix.
pub const RETRY_SECONDS: u32 = 300;
pub const COMPRESSION: &str = "GZIP";
/// Firehose's log stream for delivery errors, in the log group [`Archive::log_group`].
pub const LOG_STREAM: &str = "DestinationDelivery";
/// How long the delivery error log is kept, in days.
pub const LOG_RETENTION_DAYS: u32 = 365;
/// Incomplete multipart uploads (a delivery cut short) are removed after this many days.
pub const ABORT_UPLOADS_DAYS: u32 = 7;
/// Versions replaced or deleted are kept this long, then expire.
pub const NONCURRENT_DAYS: u32 = 30;
/// With `--archive-days N`: an expired event's version (noncurrent once S3's expiration adds
/// a delete marker in a versioned bucket) is removed this many days after, so the data is gone
/// at N + 1 days, not N + [`NONCURRENT_DAYS`].
pub const EXPIRED_NONCURRENT_DAYS: u32 = 1;
/// The table: one per archive, in the database [`Archive::database`].
pub const TABLE: &str = "events";
/// The Firehose role's inline policy.
pub const POLICY_NAME: &str = "buzz-kinesis-archive";
pub const ROLE_DESCRIPTION: &str =
    "Firehose reads the Buzz stream and writes every event to the archive bucket (buzz-kinesis).";
pub const DISTINCT_VIEW: &str = "events_distinct";
pub const PER_DAY_VIEW: &str = "events_per_type_per_day";
pub const LATEST_USER_VIEW: &str = "latest_user_state";
pub const SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
pub const INPUT_FORMAT: &str = "org.apache.hadoop.mapred.TextInputFormat";
pub const OUTPUT_FORMAT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";

/// One column of the table: its name (lowercase, as Glue keeps it), the event's key it reads
/// (the SerDe matches keys case-insensitively), and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub json_key: &'static str,
    pub comment: &'static str,
}

const fn string(name: &'static str, json_key: &'static str, comment: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        json_key,
        comment,
    }
}

/// The Buzz envelope's fields, but `type`: it is a partition key (from the object's prefix),
/// and a partition key cannot also be a column. `data` holds the event's payload as JSON text
/// (query it with `json_extract_scalar`).
pub const COLUMNS: &[Column] = &[
    string("time", "time", "When the event happened (ISO 8601, UTC)"),
    string("guid", "guid", "Id of the event: the de-duplication key"),
    string("domainid", "domainId", "The domain where it happened"),
    string("userid", "userId", "The user the event is about or by"),
    string("agentuserid", "agentUserId", "The user who acted"),
    string("sessionid", "sessionId", "The session"),
    string("data", "data", "Payload of the event, as JSON text"),
];

/// The partition keys, in the order of the prefix.
pub const PARTITIONS: &[Column] = &[
    string("type", "type", "The event type (from the prefix)"),
    string(
        "dt",
        "time",
        "Day of the event, YYYY-MM-DD (from the prefix)",
    ),
];

/// The archive's values: the bucket, how long S3 keeps events, and the names of what goes
/// with it, derived from the stream's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub bucket: BucketName,
    pub days: Option<ArchiveDays>,
    /// The Kinesis stream Firehose reads.
    pub stream: String,
    /// The stream's customer-managed key, which the bucket then uses too; `None`: SSE-S3.
    pub key: Option<KmsKey>,
    /// The event types the table's projection lists (see [`Archive::projected_types`]).
    pub types: Vec<String>,
    /// Firehose's buffer interval (`--archive-buffer`).
    pub buffer: ArchiveBuffer,
    /// The first day partition projection considers (`YYYY-MM-DD`): the day the archive was
    /// made, so no query projects empty days before it (see [`Archive::since`]).
    pub since: String,
}

/// `name` cut to `max` characters (names are ASCII: validated stream names).
fn cut(name: &str, max: usize) -> &str {
    &name[..name.len().min(max)]
}

impl Archive {
    /// The archive for a stream; `events` are the run's `--event` filters (the types the
    /// stream carries), none meaning every type.
    pub fn new(
        bucket: BucketName,
        days: Option<ArchiveDays>,
        stream: &str,
        key: Option<KmsKey>,
        events: &[EventFilter],
    ) -> Self {
        Self {
            bucket,
            days,
            stream: stream.to_owned(),
            key,
            types: Self::projected_types(events),
            buffer: ArchiveBuffer::DEFAULT,
            since: String::new(),
        }
    }

    /// With Firehose's buffer interval.
    pub fn with_buffer(mut self, buffer: ArchiveBuffer) -> Self {
        self.buffer = buffer;
        self
    }

    /// With the first day partition projection considers: the day the archive is made (setup
    /// keeps the day a table already has; the templates, the day they are printed).
    pub fn since(mut self, day: &str) -> Self {
        self.since = day.to_owned();
        self
    }

    /// The types partition projection enumerates: the filtered types when the target sends
    /// only those, else every type in Agilix's published index. An enum, not `injected`: an
    /// injected key makes every query name one type (`WHERE type = '...'`), so no query
    /// could count across types; an enum lets a query span them all. The cost: a type Agilix
    /// adds later is archived (under its own prefix) but not queried until the table lists it
    /// (run `policy --format` again and apply).
    pub fn projected_types(events: &[EventFilter]) -> Vec<String> {
        let mut types: Vec<String> = if events.is_empty() {
            KNOWN_EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect()
        } else {
            events.iter().map(|e| e.event_type.to_string()).collect()
        };
        types.sort();
        types.dedup();
        types
    }

    /// The Firehose delivery stream (see [`delivery_stream_of`]).
    pub fn delivery_stream(&self) -> String {
        delivery_stream_of(&self.stream)
    }

    /// Firehose's own role (see [`role_of`]).
    pub fn role(&self) -> String {
        role_of(&self.stream)
    }

    /// The Glue database (see [`database_of`]).
    pub fn database(&self) -> String {
        database_of(&self.stream)
    }

    /// Firehose's log group for delivery errors.
    pub fn log_group(&self) -> String {
        log_group_of(&self.stream)
    }

    pub fn bucket_arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.bucket)
    }

    /// Where the table's data is.
    pub fn location(&self) -> String {
        format!("s3://{}/{EVENTS_PREFIX}", self.bucket)
    }

    /// The table's parameters: partition projection on `type` (an enum) and `dt` (a date).
    pub fn table_parameters(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("classification", "json".to_owned()),
            ("EXTERNAL", "TRUE".to_owned()),
            ("projection.enabled", "true".to_owned()),
            ("projection.type.type", "enum".to_owned()),
            ("projection.type.values", self.types.join(",")),
            ("projection.dt.type", "date".to_owned()),
            ("projection.dt.format", "yyyy-MM-dd".to_owned()),
            ("projection.dt.range", format!("{},NOW", self.since)),
            ("projection.dt.interval", "1".to_owned()),
            ("projection.dt.interval.unit", "DAYS".to_owned()),
            // Glue does not tag tables: our mark is a parameter, as on the views.
            (
                crate::state::MANAGED_BY.0,
                crate::state::MANAGED_BY.1.to_owned(),
            ),
            (
                "storage.location.template",
                format!(
                    "s3://{}/{EVENTS_PREFIX}type=${{type}}/dt=${{dt}}/",
                    self.bucket
                ),
            ),
        ])
    }

    /// The SerDe's parameters: JSON keys matched case-insensitively (`domainId` is column
    /// `domainid`).
    pub fn serde_parameters(&self) -> BTreeMap<&'static str, String> {
        BTreeMap::from([("case.insensitive", "TRUE".to_owned())])
    }

    /// The bucket's lifecycle rules: incomplete uploads and replaced versions always expire.
    /// With `--archive-days N` the bucket (versioned) keeps an event N days: its expiration at
    /// N days adds a delete marker, the version it hides goes
    /// [`EXPIRED_NONCURRENT_DAYS`] after, and a rule of its own removes the delete markers left
    /// (S3 takes `ExpiredObjectDeleteMarker` only in a rule without `Days`).
    pub fn lifecycle(&self) -> Vec<LifecycleRule> {
        let mut rules = vec![LifecycleRule {
            id: "abort-incomplete-uploads",
            prefix: "",
            expire_days: None,
            abort_uploads_days: Some(ABORT_UPLOADS_DAYS),
            noncurrent_days: Some(NONCURRENT_DAYS),
            expired_delete_markers: false,
        }];
        if let Some(d) = self.days {
            for (id, prefix) in [
                ("expire-events", EVENTS_PREFIX),
                ("expire-errors", ERRORS_PREFIX),
            ] {
                rules.push(LifecycleRule {
                    id,
                    prefix,
                    expire_days: Some(d.get()),
                    abort_uploads_days: None,
                    noncurrent_days: Some(EXPIRED_NONCURRENT_DAYS),
                    expired_delete_markers: false,
                });
            }
            rules.push(LifecycleRule {
                id: "remove-expired-delete-markers",
                prefix: "",
                expire_days: None,
                abort_uploads_days: None,
                noncurrent_days: None,
                expired_delete_markers: true,
            });
        }
        rules
    }

    /// Firehose's processors, in order: split a record into its events (a Buzz record may
    /// hold several newline-separated ones), find each event's partition keys, and end each
    /// event with a newline.
    pub fn processors(&self) -> Vec<Processor> {
        vec![
            Processor {
                kind: "RecordDeAggregation",
                parameters: vec![("SubRecordType", "JSON".to_owned())],
            },
            Processor {
                kind: "MetadataExtraction",
                parameters: vec![
                    ("MetadataExtractionQuery", JQ_QUERY.to_owned()),
                    ("JsonParsingEngine", JQ_ENGINE.to_owned()),
                ],
            },
            Processor {
                kind: "AppendDelimiterToRecord",
                parameters: vec![("Delimiter", DELIMITER.to_owned())],
            },
        ]
    }

    /// The Firehose role's trust: the Firehose service, for this account only, in the form
    /// AWS documents for Firehose roles (the account id as `sts:ExternalId`, which Firehose
    /// sends when it assumes the role).
    pub fn trust(account: &str) -> Value {
        Self::trust_on(account, "sts:ExternalId")
    }

    /// The trusts earlier versions of buzz-kinesis wrote (`aws:SourceAccount`, which AWS does
    /// not document for Firehose): ours, so a re-run moves them to [`Archive::trust`] unasked.
    pub fn previous_trusts(account: &str) -> Vec<Value> {
        vec![Self::trust_on(account, "aws:SourceAccount")]
    }

    fn trust_on(account: &str, key: &str) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {key: account}},
            }],
        })
    }

    /// The Firehose role's permissions: read this stream, write this bucket's two prefixes
    /// (only while the bucket is this account's, `s3:ResourceAccount`: S3 names are global, and
    /// a bucket of that name someone else made after ours was deleted gets nothing),
    /// the customer-managed key through Kinesis and S3 only, and its own log stream.
    pub fn permission(&self, r: &ArchiveRefs<'_>) -> Value {
        let bucket = self.bucket_arn();
        let mut statements = vec![
            json!({
                "Sid": "ReadTheStream",
                "Effect": "Allow",
                "Action": [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                ],
                "Resource": r.stream_arn,
            }),
            json!({
                "Sid": "FindTheBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                ],
                "Resource": bucket,
                "Condition": {"StringEquals": {"s3:ResourceAccount": r.account}},
            }),
            json!({
                "Sid": "WriteTheArchive",
                "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                "Resource": [format!("{bucket}/{EVENTS_PREFIX}*"), format!("{bucket}/errors/*")],
                "Condition": {"StringEquals": {"s3:ResourceAccount": r.account}},
            }),
        ];
        if let Some(key) = &self.key {
            statements.push(json!({
                "Sid": "UseTheKeyThroughKinesisAndS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key.as_str(),
                "Condition": {"StringEquals": {"kms:ViaService": [r.kinesis_service, r.s3_service]}},
            }));
        }
        statements.push(json!({
            "Sid": "LogDeliveryErrors",
            "Effect": "Allow",
            "Action": "logs:PutLogEvents",
            "Resource": r.log_stream_arn,
        }));
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    /// The bucket's policy: requests without TLS are refused, whoever makes them.
    pub fn bucket_policy(&self) -> Value {
        let bucket = self.bucket_arn();
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket, format!("{bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        })
    }

    /// The Athena DDL of the table, as the Glue table the templates make.
    pub fn ddl(&self) -> String {
        let columns = COLUMNS
            .iter()
            .map(|c| format!("  `{}` {} COMMENT '{}'", c.name, c.kind, c.comment))
            .collect::<Vec<_>>()
            .join(",\n");
        let partitions = PARTITIONS
            .iter()
            .map(|c| format!("`{}` {}", c.name, c.kind))
            .collect::<Vec<_>>()
            .join(", ");
        let props = |m: BTreeMap<&str, String>| {
            m.iter()
                .map(|(k, v)| format!("  '{k}'='{v}'"))
                .collect::<Vec<_>>()
                .join(",\n")
        };
        format!(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `{db}`.`{TABLE}` (\n{columns}\n)\nPARTITIONED BY ({partitions})\nROW FORMAT SERDE '{SERDE}'\nWITH SERDEPROPERTIES (\n{serde}\n)\nSTORED AS INPUTFORMAT '{INPUT_FORMAT}'\nOUTPUTFORMAT '{OUTPUT_FORMAT}'\nLOCATION '{location}'\nTBLPROPERTIES (\n{table}\n)",
            db = self.database(),
            serde = props(self.serde_parameters()),
            location = self.location(),
            table = props(self.table_parameters()),
        )
    }

    /// SQL to start from, in Athena's dialect (Trino), each with what it answers: the views'
    /// queries (ordered, to read), and the first view as Athena's own DDL.
    pub fn queries(&self) -> Vec<Query> {
        let [per_day, latest, distinct] = self.views();
        let v = format!("\"{}\".\"{}\"", self.database(), distinct.name);
        vec![
            Query {
                name: "events_per_type_per_day",
                about: per_day.about,
                sql: format!("{}\nORDER BY \"dt\", \"type\"", per_day.select),
            },
            Query {
                name: latest.name,
                about: latest.about,
                sql: format!("{}\nORDER BY \"userid\"", latest.select),
            },
            Query {
                name: "distinct_events_view",
                about: distinct.about,
                sql: format!("CREATE OR REPLACE VIEW {v} AS\n{}", distinct.select),
            },
        ]
    }

    /// The views `setup --archive-views` makes beside the table, in the order they are made.
    pub fn views(&self) -> [View; 3] {
        let t = format!("\"{}\".\"{TABLE}\"", self.database());
        let varchar = |names: &[&'static str]| -> Vec<(&'static str, &'static str)> {
            names.iter().map(|n| (*n, "varchar")).collect()
        };
        let all: Vec<&'static str> = COLUMNS.iter().chain(PARTITIONS).map(|c| c.name).collect();
        let quoted = all
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        [
            View {
                name: PER_DAY_VIEW,
                about: "How many events of each type arrived each day (add WHERE \"dt\" >= 'YYYY-MM-DD' to read fewer days).",
                select: format!(
                    "SELECT \"dt\", \"type\", count(*) AS \"events\"\nFROM {t}\nGROUP BY \"dt\", \"type\""
                ),
                columns: [varchar(&["dt", "type"]), vec![("events", "bigint")]].concat(),
            },
            View {
                name: LATEST_USER_VIEW,
                about: "The newest event about each user (UserEntity* types): the user's latest state.",
                select: format!(
                    "SELECT \"userid\", \"type\", \"time\", \"data\"\nFROM (\n  SELECT \"userid\", \"type\", \"time\", \"data\",\n    row_number() OVER (PARTITION BY \"userid\" ORDER BY \"time\" DESC, \"guid\" DESC) AS \"n\"\n  FROM {t}\n  WHERE \"type\" LIKE 'UserEntity%'\n)\nWHERE \"n\" = 1"
                ),
                columns: varchar(&["userid", "type", "time", "data"]),
            },
            View {
                name: DISTINCT_VIEW,
                about: "A view with each event once: a retry can deliver an event twice (same guid).",
                select: format!(
                    "SELECT {quoted}\nFROM (\n  SELECT {quoted},\n    row_number() OVER (PARTITION BY \"guid\" ORDER BY \"time\") AS \"n\"\n  FROM {t}\n)\nWHERE \"n\" = 1"
                ),
                columns: varchar(&all),
            },
        ]
    }

    /// A description of the archive for people and tools (`policy --format archive`).
    pub fn describe(&self) -> Value {
        json!({
            "bucket": self.bucket.as_str(),
            "location": self.location(),
            "prefix": PREFIX,
            "error_prefix": ERROR_PREFIX,
            "compression": COMPRESSION,
            "delimiter": DELIMITER,
            "metadata_extraction_query": JQ_QUERY,
            "buffering": {"size_mib": BUFFER_MIB, "interval_seconds": self.buffer.get()},
            "delivery_stream": self.delivery_stream(),
            "role": self.role(),
            "database": self.database(),
            "table": TABLE,
            "columns": COLUMNS,
            "partitions": PARTITIONS,
            "table_parameters": self.table_parameters(),
            "serde": SERDE,
            "serde_parameters": self.serde_parameters(),
            "expire_after_days": self.days.map(ArchiveDays::get),
            "ddl": self.ddl(),
            "queries": self.queries(),
        })
    }
}

/// Today in UTC, `YYYY-MM-DD`: the day an archive made now starts (partition projection's
/// first day). Read from the clock, so callers pass it to the pure model.
pub fn today() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|t| t.chars().take(10).collect())
        .unwrap_or_default()
}

/// A stream's archive's delivery stream: `<stream>-archive` (Firehose allows 64 characters).
/// Teardown finds the archive from the stream's name alone, through these three names.
pub fn delivery_stream_of(stream: &str) -> String {
    format!("{}-archive", cut(stream, 56))
}

/// Firehose's log group for the delivery errors of the archive of `stream` (the name the
/// console gives it).
pub fn log_group_of(stream: &str) -> String {
    format!("/aws/kinesisfirehose/{}", delivery_stream_of(stream))
}

/// A stream's archive's Firehose role (IAM allows 64 characters).
pub fn role_of(stream: &str) -> String {
    format!("{}-archive-firehose", cut(stream, 47))
}

/// A stream's archive's Glue database: the stream's name in the characters Athena takes
/// (lowercase letters, digits, `_`).
pub fn database_of(stream: &str) -> String {
    stream
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// The values only the deployment knows, as the dialect writes them (a reference, or a
/// stand-in the dialect replaces).
pub struct ArchiveRefs<'a> {
    /// The account the bucket must belong to (`s3:ResourceAccount`).
    pub account: &'a str,
    pub stream_arn: &'a str,
    pub log_stream_arn: &'a str,
    /// `kinesis.<region>.amazonaws.com`.
    pub kinesis_service: &'a str,
    /// `s3.<region>.amazonaws.com`.
    pub s3_service: &'a str,
}

/// One lifecycle rule of the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: &'static str,
    /// `""`: the whole bucket.
    pub prefix: &'static str,
    pub expire_days: Option<u32>,
    pub abort_uploads_days: Option<u32>,
    pub noncurrent_days: Option<u32>,
    /// `Expiration: {ExpiredObjectDeleteMarker: true}`: a delete marker with no version left
    /// behind it is removed.
    pub expired_delete_markers: bool,
}

/// One Firehose processor and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processor {
    pub kind: &'static str,
    pub parameters: Vec<(&'static str, String)>,
}

/// A query to start from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Query {
    pub name: &'static str,
    pub about: &'static str,
    pub sql: String,
}

/// A view over the table: its query and the columns it yields, in Trino's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: &'static str,
    pub about: &'static str,
    /// The query alone (no `CREATE VIEW`): what Athena keeps as the view's `originalSql`.
    pub select: String,
    pub columns: Vec<(&'static str, &'static str)>,
}

impl View {
    /// The view as Athena itself stores one in the Glue Data Catalog: a `VIRTUAL_VIEW` whose
    /// original text is `/* Presto View: <base64 of the definition> */`, the definition being
    /// Trino's JSON (the query, the catalog and schema it resolves names in, its columns).
    /// Athena reads it as if `CREATE VIEW` had made it, with no Athena query (and no results
    /// location) needed to make it. `owner`: who the view runs as (Trino's definer), also the
    /// Glue table's `Owner`: the account, so a re-run by another identity changes nothing.
    pub fn original_text(&self, database: &str, owner: &str) -> String {
        use base64::Engine as _;
        let definition = json!({
            "originalSql": self.select,
            "catalog": "awsdatacatalog",
            "schema": database,
            "owner": owner,
            "columns": self
                .columns
                .iter()
                .map(|(name, kind)| json!({"name": name, "type": kind}))
                .collect::<Vec<_>>(),
        });
        format!(
            "/* Presto View: {} */",
            base64::engine::general_purpose::STANDARD.encode(definition.to_string())
        )
    }

    /// The Glue (Hive) type of each column, for the table's storage descriptor.
    pub fn hive_columns(&self) -> Vec<(String, String)> {
        self.columns
            .iter()
            .map(|(name, kind)| {
                let hive = match *kind {
                    "varchar" => "string",
                    other => other,
                };
                ((*name).to_owned(), hive.to_owned())
            })
            .collect()
    }
}

/// The Glue table parameters that mark a view as Athena's (`presto_view`) and as ours.
pub fn view_parameters() -> BTreeMap<String, String> {
    [
        ("presto_view", "true"),
        ("comment", "Presto View"),
        (crate::state::MANAGED_BY.0, crate::state::MANAGED_BY.1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(stream: &str) -> Archive {
        Archive::new(
            BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
            None,
            stream,
            None,
            &[],
        )
        .since("2026-01-02")
    }

    fn refs() -> ArchiveRefs<'static> {
        ArchiveRefs {
            account: "123456789012",
            stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events",
            log_stream_arn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/buzz-events-archive:log-stream:DestinationDelivery",
            kinesis_service: "kinesis.us-east-1.amazonaws.com",
            s3_service: "s3.us-east-1.amazonaws.com",
        }
    }

    #[test]
    fn names_come_from_the_stream_within_aws_s_limits() {
        let a = archive("buzz-events");
        assert_eq!(a.delivery_stream(), "buzz-events-archive");
        assert_eq!(a.role(), "buzz-events-archive-firehose");
        assert_eq!(a.database(), "buzz_events");
        assert_eq!(a.log_group(), "/aws/kinesisfirehose/buzz-events-archive");
        let long = archive(&format!("Buzz.{}", "x".repeat(123)));
        assert_eq!(long.delivery_stream().len(), 64);
        assert_eq!(long.role().len(), 64);
        assert!(long.database().starts_with("buzz_xxx"));
    }

    #[test]
    fn the_type_is_a_partition_not_a_column_and_data_is_json_text() {
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "time",
                "guid",
                "domainid",
                "userid",
                "agentuserid",
                "sessionid",
                "data"
            ]
        );
        assert!(PARTITIONS.iter().all(|p| !names.contains(&p.name)));
        assert_eq!(
            PARTITIONS.iter().map(|p| p.name).collect::<Vec<_>>(),
            ["type", "dt"]
        );
        assert!(COLUMNS.iter().chain(PARTITIONS).all(|c| c.kind == "string"));
        // The DDL quotes comments with ': none may hold one.
        assert!(COLUMNS
            .iter()
            .chain(PARTITIONS)
            .all(|c| !c.comment.contains('\'')));
    }

    #[test]
    fn the_projection_reads_the_prefix_firehose_writes() {
        let a = archive("buzz-events");
        let p = a.table_parameters();
        assert_eq!(p["projection.enabled"], "true");
        assert_eq!(p["projection.type.type"], "enum");
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(p["projection.dt.format"], "yyyy-MM-dd");
        // From the day the archive was made: no empty day before it is projected.
        assert_eq!(p["projection.dt.range"], "2026-01-02,NOW");
        // Our mark: Glue tables have no tags.
        assert!(crate::state::is_managed(
            &p.iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        ));
        assert_eq!(p["projection.dt.interval"], "1");
        assert_eq!(p["projection.dt.interval.unit"], "DAYS");
        assert_eq!(
            p["storage.location.template"],
            "s3://district-42-buzz/events/type=${type}/dt=${dt}/"
        );
        // The template is Firehose's prefix with the keys in the same places.
        assert_eq!(
            PREFIX
                .replace("!{partitionKeyFromQuery:type}", "${type}")
                .replace("!{partitionKeyFromQuery:dt}", "${dt}"),
            p["storage.location.template"].trim_start_matches("s3://district-42-buzz/")
        );
        let types: Vec<&str> = p["projection.type.values"].split(',').collect();
        assert_eq!(types.len(), KNOWN_EVENT_TYPES.len());
        assert!(types.contains(&"UserEntityCreated"));
        // With --event filters, the types the target sends.
        let filters = [
            EventFilter::parse("--event", "GradeChanged").unwrap(),
            EventFilter::parse("--event", "UserEntityCreated:data.id").unwrap(),
            EventFilter::parse("--event", "GradeChanged").unwrap(),
        ];
        assert_eq!(
            Archive::projected_types(&filters),
            ["GradeChanged", "UserEntityCreated"]
        );
    }

    #[test]
    fn firehose_splits_records_extracts_keys_and_ends_each_event_with_a_newline() {
        let kinds: Vec<&str> = archive("s").processors().iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                "RecordDeAggregation",
                "MetadataExtraction",
                "AppendDelimiterToRecord"
            ]
        );
        // The keys, and an error (so the event lands under errors/) when either is missing.
        assert!(JQ_QUERY.ends_with("else {type: .type, dt: .time[0:10]} end"));
        assert!(JQ_QUERY.starts_with("if (.type | type) != \"string\" then error("));
        assert!(JQ_QUERY
            .contains("elif (.time | type) != \"string\" or (.time | length) < 10 then error("));
        assert!(PREFIX.starts_with(EVENTS_PREFIX));
        assert!(ERROR_PREFIX.contains("!{firehose:error-output-type}"));
    }

    #[test]
    fn the_lifecycle_expires_events_only_when_asked() {
        let mut a = archive("s");
        let rules = a.lifecycle();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].abort_uploads_days, Some(7));
        assert_eq!(rules[0].noncurrent_days, Some(NONCURRENT_DAYS));
        assert!(rules[0].expire_days.is_none());
        assert!(!rules[0].expired_delete_markers);
        a.days = Some(ArchiveDays::parse("--archive-days", "400").unwrap());
        let rules = a.lifecycle();
        // N days in a versioned bucket: expired at N, the hidden version gone a day after, and
        // the delete markers left removed by a rule of their own (no Days beside it).
        assert_eq!(
            rules
                .iter()
                .map(|r| (
                    r.prefix,
                    r.expire_days,
                    r.noncurrent_days,
                    r.expired_delete_markers
                ))
                .collect::<Vec<_>>(),
            [
                ("", None, Some(30), false),
                ("events/", Some(400), Some(1), false),
                ("errors/", Some(400), Some(1), false),
                ("", None, None, true)
            ]
        );
        assert!(rules
            .iter()
            .filter(|r| r.expired_delete_markers)
            .all(|r| r.expire_days.is_none() && r.abort_uploads_days.is_none()));
    }

    #[test]
    fn the_firehose_role_reads_this_stream_and_writes_this_bucket_only() {
        let trust = Archive::trust("123456789012");
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "firehose.amazonaws.com"
        );
        assert_eq!(
            trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "123456789012"
        );
        assert!(!trust.to_string().contains("aws:SourceAccount"), "{trust}");
        let old = &Archive::previous_trusts("123456789012")[0];
        assert_eq!(
            old["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
        let a = archive("buzz-events");
        let p = a.permission(&refs());
        let s = p["Statement"].as_array().unwrap();
        assert_eq!(
            s.len(),
            4,
            "no key statement without a customer-managed key"
        );
        assert_eq!(s[0]["Resource"], refs().stream_arn);
        assert_eq!(s[1]["Resource"], "arn:aws:s3:::district-42-buzz");
        // The S3 grants hold only while the bucket is this account's.
        for st in &s[1..3] {
            assert_eq!(
                st["Condition"],
                json!({"StringEquals": {"s3:ResourceAccount": "123456789012"}})
            );
        }
        assert!(s[0].get("Condition").is_none());
        assert_eq!(
            s[2]["Resource"],
            json!([
                "arn:aws:s3:::district-42-buzz/events/*",
                "arn:aws:s3:::district-42-buzz/errors/*"
            ])
        );
        assert_eq!(s[3]["Action"], "logs:PutLogEvents");
        assert!(
            !p.to_string().contains("\"*\""),
            "no wildcard resource: {p}"
        );

        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let with_key = Archive {
            key: Some(KmsKey::parse("--kms-key", key).unwrap()),
            ..a
        };
        let p = with_key.permission(&refs());
        let kms = &p["Statement"][3];
        assert_eq!(kms["Resource"], key);
        assert_eq!(
            kms["Condition"]["StringEquals"]["kms:ViaService"],
            json!([
                "kinesis.us-east-1.amazonaws.com",
                "s3.us-east-1.amazonaws.com"
            ])
        );
    }

    #[test]
    fn the_ddl_and_queries_name_the_table_and_its_columns() {
        let a = archive("buzz-events");
        let ddl = a.ddl();
        assert!(
            ddl.starts_with(
                "CREATE EXTERNAL TABLE IF NOT EXISTS `buzz_events`.`events` (\n  `time` string"
            ),
            "{ddl}"
        );
        assert!(
            ddl.contains("PARTITIONED BY (`type` string, `dt` string)"),
            "{ddl}"
        );
        assert!(
            ddl.contains("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'"),
            "{ddl}"
        );
        assert!(
            ddl.contains("LOCATION 's3://district-42-buzz/events/'"),
            "{ddl}"
        );
        assert!(
            ddl.contains("'projection.dt.range'='2026-01-02,NOW'"),
            "{ddl}"
        );
        let q = a.queries();
        assert_eq!(
            q.iter().map(|q| q.name).collect::<Vec<_>>(),
            [
                "events_per_type_per_day",
                "latest_user_state",
                "distinct_events_view"
            ]
        );
        assert!(q
            .iter()
            .all(|q| q.sql.contains("\"buzz_events\".\"events\"")));
        assert!(q[2]
            .sql
            .starts_with("CREATE OR REPLACE VIEW \"buzz_events\".\"events_distinct\""));
        let d = a.describe();
        assert_eq!(
            d["columns"][2],
            json!({"name": "domainid", "type": "string", "json_key": "domainId", "comment": "The domain where it happened"})
        );
        assert_eq!(d["prefix"], PREFIX);
    }

    /// What Athena finds in a view's original text: the definition, decoded.
    fn definition(text: &str) -> Value {
        use base64::Engine as _;
        let b64 = text
            .strip_prefix("/* Presto View: ")
            .and_then(|t| t.strip_suffix(" */"))
            .unwrap_or_else(|| panic!("not Athena's view text: {text}"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn each_view_is_stored_as_athena_stores_one_and_holds_the_printed_query() {
        let a = archive("buzz-events");
        let views = a.views();
        assert_eq!(
            views.iter().map(|v| v.name).collect::<Vec<_>>(),
            [
                "events_per_type_per_day",
                "latest_user_state",
                "events_distinct"
            ]
        );
        for v in &views {
            let d = definition(&v.original_text("buzz_events", "123456789012"));
            assert_eq!(d["originalSql"], v.select.as_str());
            assert_eq!(d["owner"], "123456789012");
            assert_eq!(d["catalog"], "awsdatacatalog");
            assert_eq!(d["schema"], "buzz_events");
            let cols: Vec<(&str, &str)> = d["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
                .collect();
            assert_eq!(cols, v.columns);
            // A view's query names the table whole, and orders nothing (a view has no order).
            assert!(
                v.select.contains("FROM \"buzz_events\".\"events\""),
                "{}",
                v.select
            );
            assert!(!v.select.ends_with("ORDER BY \"userid\""), "{}", v.select);
        }
        // The count is a bigint (Glue: bigint); text columns are varchar (Glue: string).
        assert_eq!(
            views[0].hive_columns(),
            [
                ("dt".to_owned(), "string".to_owned()),
                ("type".to_owned(), "string".to_owned()),
                ("events".to_owned(), "bigint".to_owned())
            ]
        );
        // The distinct view yields every column of the table, then its partitions.
        let every: Vec<&str> = COLUMNS.iter().chain(PARTITIONS).map(|c| c.name).collect();
        assert_eq!(
            views[2].columns.iter().map(|c| c.0).collect::<Vec<_>>(),
            every
        );
        assert!(views[2].columns.iter().all(|c| c.1 == "varchar"));
        // The printed queries are the views' own, ordered to read.
        let q = a.queries();
        assert_eq!(
            q[0].sql,
            format!("{}\nORDER BY \"dt\", \"type\"", views[0].select)
        );
        assert_eq!(q[0].about, views[0].about);
        assert_eq!(
            q[1].sql,
            format!("{}\nORDER BY \"userid\"", views[1].select)
        );
        assert_eq!(
            q[2].sql,
            format!(
                "CREATE OR REPLACE VIEW \"buzz_events\".\"events_distinct\" AS\n{}",
                views[2].select
            )
        );
        let p = view_parameters();
        assert_eq!(p.get("presto_view").map(String::as_str), Some("true"));
        assert!(crate::state::is_managed(&p));
    }

    #[test]
    fn the_serde_matches_the_events_keys_whatever_their_case() {
        // `domainId` in the event is column `domainid`: without it, the column reads nothing.
        let a = archive("buzz-events");
        assert_eq!(
            a.serde_parameters(),
            BTreeMap::from([("case.insensitive", "TRUE".to_owned())])
        );
        let ddl = a.ddl();
        assert!(
            ddl.contains("WITH SERDEPROPERTIES (\n  'case.insensitive'='TRUE'\n)"),
            "{ddl}"
        );
    }

    #[test]
    fn the_bucket_refuses_every_request_without_tls() {
        let p = archive("s").bucket_policy();
        assert_eq!(
            p["Statement"],
            json!([{
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::district-42-buzz", "arn:aws:s3:::district-42-buzz/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }])
        );
    }
}
