//! The lost-event watch: what CloudWatch's window says (refused writes, headroom, traffic),
//! the alarm on refused writes, and who writes into the stream.

use crate::sizing::{self, Capacity, Load};
use crate::state::StreamState;
use crate::text::outside;

use super::*;

/// What `check` could read of the stream's CloudWatch metrics.
#[derive(Debug, Clone)]
pub(crate) enum MetricsObserved {
    /// The window and how it is said ("24 h").
    Window(crate::metrics::Window, String),
    /// GetMetricData failed (most often: the permission is missing).
    Unavailable { code: String, message: String },
    /// No stream to read.
    Skipped,
}

fn utc(t: i64) -> String {
    aws_smithy_types::DateTime::from_secs(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| t.to_string())
}

/// The capacity a measured peak needs, as the command that sets it.
fn capacity_fix(peak: Option<&crate::metrics::Peak>, on_demand_now: bool) -> String {
    let Some(p) = peak else {
        return "raise the stream's capacity: `buzz-kinesis setup --capacity-mode provisioned --shards N` (each shard takes 1,000 records/s and 1 MB/s)".into();
    };
    let load = Load {
        events_per_second: p.demand_per_second,
        avg_event_bytes: if p.avg_record_bytes > 0.0 {
            p.avg_record_bytes
        } else {
            1000.0
        },
    };
    let advice = sizing::advise(load);
    let shards = load.shards_needed();
    match advice.recommendation {
        // An on-demand stream throttles when traffic more than doubles its recent peak within
        // minutes: provisioning for the measured peak is the cure.
        sizing::Recommendation::OnDemand if on_demand_now => format!(
            "the peak was {:.0} records/s: on-demand throttles when traffic doubles faster than it scales, so provision for the peak: `buzz-kinesis setup --capacity-mode provisioned --shards {}`",
            p.demand_per_second,
            shards.max(ON_DEMAND_MIN_SHARDS)
        ),
        sizing::Recommendation::OnDemand => format!(
            "the peak was {:.0} records/s: `buzz-kinesis setup --capacity-mode on-demand` ({})",
            p.demand_per_second, advice.why
        ),
        sizing::Recommendation::Provisioned { shards } => format!(
            "the peak was {:.0} records/s: `buzz-kinesis setup --capacity-mode provisioned --shards {shards}` ({})",
            p.demand_per_second, advice.why
        ),
    }
}

/// An on-demand stream starts with the capacity of 4 shards; provisioning below that would
/// lower it.
const ON_DEMAND_MIN_SHARDS: u32 = 4;

/// Lost events, read from CloudWatch: writes Kinesis refused (a failure: those events are
/// most likely lost), the busiest minute against capacity, and a window with no traffic at
/// all while Buzz's target is enabled. A missing permission is one warning, not a failure.
pub(crate) fn metrics_rows(
    read: &MetricsObserved,
    stream: Option<&StreamState>,
    target_enabled: bool,
) -> Vec<Check> {
    use crate::metrics;
    let (w, label) = match read {
        MetricsObserved::Skipped => return Vec::new(),
        MetricsObserved::Unavailable { code, message } => {
            return vec![warn(
                CheckId::StreamMetrics,
                format!("the stream's CloudWatch metrics could not be read: {code}: {message}"),
                "allow cloudwatch:GetMetricData to the identity running check, so it can tell whether events were lost",
            )]
        }
        MetricsObserved::Window(w, label) => (w, label),
    };
    let mut out = Vec::new();
    let refused = metrics::refused(w);
    let peak = metrics::peak(w);
    let (bucket, line, marks) = metrics::sparkline(w);
    let unit = if bucket == 3600 { "hour" } else { "day" };
    let mut picture = vec![
        format!(
            "records per {unit}, oldest first ({} to {}):",
            utc(w.start),
            utc(w.end)
        ),
        format!("|{line}|"),
    ];
    if refused.total() > 0 {
        picture.push(format!(" {marks}  ! = writes refused"));
    }
    let on_demand = stream.is_some_and(|s| s.capacity == Some(Capacity::OnDemand));
    let data = serde_json::json!({
        "window_seconds": w.end - w.start,
        "period_seconds": w.period,
        "incoming_records": metrics::incoming_records(w),
        "refused": refused,
        "peak": peak,
    });
    if refused.total() > 0 {
        out.push(
            fail(
                CheckId::StreamRefused,
                format!(
                    "Kinesis refused {} write(s) in the last {label} ({} throttled, {} failed), {}: Buzz does not retry beyond its SDK, so these events were most likely lost",
                    refused.total(),
                    refused.throttled,
                    refused.failed,
                    match (refused.first, refused.last) {
                        (Some(a), Some(b)) if a != b => format!(
                            "between {} and {} ({} minute(s) with refusals)",
                            utc(a),
                            utc(b),
                            refused.periods
                        ),
                        (Some(a), _) => format!("at {}", utc(a)),
                        _ => String::new(),
                    }
                ),
                capacity_fix(peak.as_ref(), on_demand),
            )
            .with_detail(picture.clone())
            .with_data(data.clone()),
        );
    } else {
        out.push(
            pass(
                CheckId::StreamRefused,
                format!("Kinesis refused no writes in the last {label}"),
            )
            .with_detail(picture)
            .with_data(data),
        );
    }
    if let (Some(p), Some((capacity, open))) = (
        &peak,
        stream.and_then(|s| s.capacity.map(|c| (c, s.open_shards))),
    ) {
        let (records, bytes) = sizing::limits(capacity, open);
        let used = metrics::utilisation(p, records, bytes);
        let message = format!(
                "the busiest minute ({}) carried {:.1} records/s and {:.1} KB/s: {:.0} % of the stream's {capacity} capacity ({:.0} records/s, {:.0} KB/s)",
                utc(p.at),
                p.records_per_second,
                p.bytes_per_second / 1000.0,
                100.0 * used,
                records,
                bytes / 1000.0
            );
        if used >= metrics::HEADROOM_WARNING {
            out.push(warn(
                CheckId::StreamHeadroom,
                message,
                capacity_fix(Some(p), on_demand),
            ));
        } else {
            out.push(pass(CheckId::StreamHeadroom, message));
        }
    }
    if metrics::incoming_records(w) == 0 && refused.total() == 0 {
        if target_enabled {
            out.push(warn(
                CheckId::StreamTraffic,
                format!("no records arrived in the last {label}, although Buzz's target is enabled: Buzz may not be writing"),
                "run `buzz-kinesis check --probe` to see whether Buzz can write; if it can, the domain may simply have been quiet",
            ));
        }
    } else {
        out.push(pass(
            CheckId::StreamTraffic,
            format!(
                "{} record(s) arrived in the last {label}",
                metrics::incoming_records(w)
            ),
        ));
    }
    out
}

/// The alarm on refused writes (the part judges it: `parts::alarm::row`).
pub(crate) fn alarm_rows(
    alarm: Option<&crate::state::AlarmState>,
    asked: bool,
    stream: &str,
) -> Vec<Check> {
    use crate::parts::Row;
    vec![match crate::parts::alarm::row(alarm, asked, stream) {
        Row::Pass(message) => pass(CheckId::Alarm, message),
        Row::Warn(message, fix) => warn(CheckId::Alarm, message, fix),
        Row::Fail(message, fix) => fail(CheckId::Alarm, message, fix),
    }]
}

/// What `check` could read of who writes into the stream.
#[derive(Debug, Clone)]
pub(crate) enum WritersObserved {
    Sample {
        writers: crate::events::Writers,
        /// Some shard held more records in the window than the sample took.
        truncated: bool,
        label: String,
    },
    /// GetRecords (or its iterator) failed, most often for a missing permission.
    Unavailable {
        code: String,
        message: String,
    },
    Skipped,
}

/// Whose events belong in the stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expected {
    /// The configured domain, or those named with `--expect-domain` (numeric ids). Empty: the
    /// configured domain is a `//userspace` path whose numeric id could not be read, then
    /// several domains in the sample are a warning.
    pub named: Vec<String>,
    /// The configured domain's descendants, when Buzz listed them: a descendant's events
    /// reach its ancestors' targets, so they are the user's own.
    pub descendants: Vec<String>,
}

impl Expected {
    fn contains(&self, domain: &str) -> bool {
        self.named
            .iter()
            .chain(&self.descendants)
            .any(|e| e == domain)
    }
}

/// Who writes into the stream, from a sample of its recent records: events of a domain
/// outside the configured one's subtree (and those named with `--expect-domain`) are a
/// warning. Any Buzz tenant can name a role it can guess in its own configuration, and Buzz's
/// servers assume it from Agilix's account (the confused deputy) unless the trust requires an
/// external id.
pub(crate) fn writer_rows(read: &WritersObserved, expected: &Expected) -> Vec<Check> {
    let (w, truncated, label) = match read {
        WritersObserved::Skipped => return Vec::new(),
        WritersObserved::Unavailable { code, message } => {
            return vec![warn(
                CheckId::StreamWriters,
                format!(
                    "the stream's records could not be read to see who writes: {}: {}",
                    outside(code),
                    outside(message)
                ),
                "allow kinesis:ListShards, kinesis:GetShardIterator and kinesis:GetRecords to the identity running check",
            )]
        }
        WritersObserved::Sample { writers, truncated, label } => (writers, *truncated, label),
    };
    let listed = |filter: &dyn Fn(&str) -> bool| -> Vec<String> {
        w.by_domain
            .iter()
            .filter(|(d, _)| filter(d))
            // Domain ids as the records carry them: outside text.
            .map(|(d, n)| format!("{} ({n} event(s))", outside(d)))
            .collect()
    };
    let foreign = if expected.named.is_empty() {
        if w.by_domain.len() > 1 {
            listed(&|_| true)
        } else {
            Vec::new()
        }
    } else {
        listed(&|d| !expected.contains(d))
    };
    let subtree = match expected.descendants.len() {
        0 => String::new(),
        n => format!(" or its {n} descendant domain(s)"),
    };
    let yours = if expected.named.is_empty() {
        "one domain".to_owned()
    } else {
        format!("{}{subtree}", expected.named.join(", "))
    };
    let sampled = format!(
        "{} event(s) sampled from the last {label}{}",
        w.events,
        if truncated {
            ", the most a shard gives in one look"
        } else {
            ""
        }
    );
    let others = if w.not_buzz > 0 {
        format!("; {} record line(s) were not Buzz events", w.not_buzz)
    } else {
        String::new()
    };
    let data = serde_json::json!({"by_domain": w.by_domain, "not_buzz": w.not_buzz, "events": w.events, "truncated": truncated, "expected": expected.named, "descendants": expected.descendants.len()});
    let row = if foreign.is_empty() {
        pass(
            CheckId::StreamWriters,
            if w.events == 0 {
                format!("{sampled}{others}")
            } else {
                format!(
                    "{sampled}: every one from {}{others}",
                    if expected.named.is_empty() {
                        format!(
                            "domain {}",
                            w.by_domain
                                .keys()
                                .map(|d| outside(d).to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else {
                        format!("domain {yours}")
                    }
                )
            },
        )
    } else {
        warn(
            CheckId::StreamWriters,
            format!(
                "{sampled}: events from domain(s) other than {yours}: {}{others}. If you do not recognise these domains, another Buzz tenant may be writing into your stream",
                foreign.join(", ")
            ),
            "ask Agilix for an external id and pass it with --external-id, so only your Buzz configuration can use the role; name each domain that is yours with --expect-domain ID",
        )
    };
    vec![row.with_data(data)]
}
