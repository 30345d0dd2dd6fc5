//! What CloudWatch says about a stream's writes over a window, read for lost events. Pure:
//! the numbers come from `aws/cloudwatch.rs`, the verdicts go to `check`.
//!
//! Buzz sends events as they happen, without a buffer, and retries only within its AWS SDK's
//! policy: a write Kinesis refuses (throttled, or failed) is most likely an event lost. These
//! are the only metrics that show it.

use std::collections::BTreeMap;

/// Kinesis's stream-level metrics that `check` reads, in one GetMetricData call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Metric {
    IncomingRecords,
    IncomingBytes,
    /// Records refused because a shard's write limit was exceeded (PutRecord and PutRecords).
    WriteThrottled,
    /// Records of PutRecords calls throttled.
    PutRecordsThrottled,
    /// Records of PutRecords calls that failed for an internal reason.
    PutRecordsFailed,
    /// Successful PutRecord calls.
    PutRecordSuccess,
    /// How far behind the slowest consumer reads, in milliseconds (its maximum per period).
    IteratorAge,
}

impl Metric {
    pub(crate) const ALL: [Metric; 7] = [
        Metric::IncomingRecords,
        Metric::IncomingBytes,
        Metric::WriteThrottled,
        Metric::PutRecordsThrottled,
        Metric::PutRecordsFailed,
        Metric::PutRecordSuccess,
        Metric::IteratorAge,
    ];

    /// CloudWatch's name in the `AWS/Kinesis` namespace.
    pub(crate) fn cloudwatch_name(self) -> &'static str {
        match self {
            Metric::IncomingRecords => "IncomingRecords",
            Metric::IncomingBytes => "IncomingBytes",
            Metric::WriteThrottled => "WriteProvisionedThroughputExceeded",
            Metric::PutRecordsThrottled => "PutRecords.ThrottledRecords",
            Metric::PutRecordsFailed => "PutRecords.FailedRecords",
            Metric::PutRecordSuccess => "PutRecord.Success",
            Metric::IteratorAge => "GetRecords.IteratorAgeMilliseconds",
        }
    }

    /// The query id in GetMetricData (lowercase letters, digits and underscores).
    pub(crate) fn query_id(self) -> &'static str {
        match self {
            Metric::IncomingRecords => "incoming_records",
            Metric::IncomingBytes => "incoming_bytes",
            Metric::WriteThrottled => "write_throttled",
            Metric::PutRecordsThrottled => "put_records_throttled",
            Metric::PutRecordsFailed => "put_records_failed",
            Metric::PutRecordSuccess => "put_record_success",
            Metric::IteratorAge => "iterator_age",
        }
    }

    /// The statistic read: counts are summed per period, an age is its period's maximum.
    pub(crate) fn stat(self) -> &'static str {
        match self {
            Metric::IteratorAge => "Maximum",
            _ => "Sum",
        }
    }

    pub(crate) fn from_query_id(id: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.query_id() == id)
    }
}

/// GetMetricData answers at most this many data points per call (CloudWatch's default).
pub(crate) const MAX_POINTS_PER_CALL: u64 = 100_800;
/// CloudWatch keeps 1-minute data for 15 days; `check --since` reads at most 14.
#[cfg(test)]
pub(crate) const MAX_WINDOW_SECS: u64 = 14 * 24 * 3600;

/// The period (seconds, a multiple of 60) that fits every metric of a window into one call.
pub(crate) fn period_for(window_secs: u64) -> u32 {
    let points_per_metric = MAX_POINTS_PER_CALL / Metric::ALL.len() as u64;
    let minutes = window_secs.div_ceil(60).max(1);
    let per_point = minutes.div_ceil(points_per_metric).max(1);
    u32::try_from(per_point * 60).unwrap_or(u32::MAX)
}

/// Per-period sums of each metric over a window: `(period start, epoch seconds) -> sum`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct Window {
    pub start: i64,
    pub end: i64,
    pub period: u32,
    pub series: BTreeMap<Metric, BTreeMap<i64, f64>>,
}

impl Window {
    fn sum(&self, m: Metric) -> f64 {
        self.series.get(&m).map(|s| s.values().sum()).unwrap_or(0.0)
    }

    /// Refused records per period: the larger of the two throttle counts (the stream-level
    /// one already includes PutRecords' throttled records) plus PutRecords' failures.
    fn refused_by_period(&self) -> BTreeMap<i64, (f64, f64)> {
        let mut out: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for m in [Metric::WriteThrottled, Metric::PutRecordsThrottled] {
            for (t, v) in self.series.get(&m).into_iter().flatten() {
                let e = out.entry(*t).or_default();
                e.0 = e.0.max(*v);
            }
        }
        for (t, v) in self
            .series
            .get(&Metric::PutRecordsFailed)
            .into_iter()
            .flatten()
        {
            out.entry(*t).or_default().1 += *v;
        }
        out.retain(|_, (throttled, failed)| *throttled > 0.0 || *failed > 0.0);
        out
    }
}

/// What Firehose's own metrics (namespace `AWS/Firehose`) said of the archive's delivery
/// stream over a window; `None` where Firehose published nothing.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub(crate) struct DeliveryWindow {
    /// `DataReadFromKinesisStream.Records`, summed: records read from the stream.
    pub read: Option<f64>,
    /// `DeliveryToS3.Records`, summed: events written to S3.
    pub delivered: Option<f64>,
    /// `DeliveryToS3.Success`, its minimum: below 1, a delivery failed.
    pub success_min: Option<f64>,
    /// `DeliveryToS3.DataFreshness`, its maximum: the oldest record not yet in S3, seconds.
    pub freshness_max: Option<f64>,
}

/// The oldest any consumer's reads were in the window, in milliseconds (`None`: nobody read).
pub(crate) fn iterator_age_max(w: &Window) -> Option<f64> {
    w.series
        .get(&Metric::IteratorAge)?
        .values()
        .copied()
        .reduce(f64::max)
}

/// Writes Kinesis refused in the window.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct Refused {
    pub throttled: u64,
    pub failed: u64,
    /// Start of the first and the last period with a refusal (epoch seconds).
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Periods with at least one refusal.
    pub periods: usize,
}

impl Refused {
    pub(crate) fn total(&self) -> u64 {
        self.throttled + self.failed
    }
}

pub(crate) fn refused(w: &Window) -> Refused {
    let by_period = w.refused_by_period();
    Refused {
        throttled: by_period.values().map(|(t, _)| *t).sum::<f64>().round() as u64,
        failed: by_period.values().map(|(_, f)| *f).sum::<f64>().round() as u64,
        first: by_period.keys().next().copied(),
        last: by_period.keys().next_back().copied(),
        periods: by_period.len(),
    }
}

/// The busiest period of the window, as rates.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct Peak {
    /// Start of the period with the most records (epoch seconds).
    pub at: i64,
    pub records_per_second: f64,
    /// The highest bytes/s of any period (may be another period than `at`).
    pub bytes_per_second: f64,
    /// Average record size over the window, in bytes.
    pub avg_record_bytes: f64,
    /// The highest records/s Buzz tried to write in any period: accepted plus refused. What
    /// a capacity must take for nothing to be lost.
    pub demand_per_second: f64,
}

pub(crate) fn peak(w: &Window) -> Option<Peak> {
    let period = f64::from(w.period.max(1));
    let empty = BTreeMap::new();
    let records = w.series.get(&Metric::IncomingRecords).unwrap_or(&empty);
    let (at, most) = records
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(t, v)| (*t, *v))
        .unwrap_or((w.start, 0.0));
    let mut demand: BTreeMap<i64, f64> = records.clone();
    for (t, (throttled, failed)) in w.refused_by_period() {
        *demand.entry(t).or_default() += throttled + failed;
    }
    let demand_most = demand.values().copied().fold(0.0, f64::max);
    if demand_most <= 0.0 {
        return None;
    }
    let bytes_most = w
        .series
        .get(&Metric::IncomingBytes)
        .and_then(|s| s.values().copied().max_by(f64::total_cmp))
        .unwrap_or(0.0);
    let total_records = w.sum(Metric::IncomingRecords);
    Some(Peak {
        at,
        records_per_second: most / period,
        bytes_per_second: bytes_most / period,
        avg_record_bytes: if total_records > 0.0 {
            w.sum(Metric::IncomingBytes) / total_records
        } else {
            0.0
        },
        demand_per_second: demand_most / period,
    })
}

/// Records that arrived in the window.
pub(crate) fn incoming_records(w: &Window) -> u64 {
    w.sum(Metric::IncomingRecords).round() as u64
}

/// Peak use of a capacity (records/s and bytes/s limits): the larger of the two fractions.
pub(crate) fn utilisation(peak: &Peak, records_limit: f64, bytes_limit: f64) -> f64 {
    (peak.records_per_second / records_limit).max(peak.bytes_per_second / bytes_limit)
}

/// Utilisation from which `check` warns.
pub(crate) const HEADROOM_WARNING: f64 = 0.8;

/// A small picture of the window for people: records/s per bucket (an hour for windows up to
/// three days, else a day) as Unicode blocks, with a second line marking the buckets where
/// writes were refused. Returns (bucket seconds, sparkline, marks).
pub(crate) fn sparkline(w: &Window) -> (i64, String, String) {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let span = (w.end - w.start).max(1);
    let bucket: i64 = if span <= 3 * 86_400 { 3_600 } else { 86_400 };
    let buckets = usize::try_from((span + bucket - 1) / bucket)
        .unwrap_or(0)
        .max(1);
    let mut sums = vec![0.0f64; buckets];
    let index = |t: i64| {
        usize::try_from((t - w.start).max(0) / bucket)
            .unwrap_or(0)
            .min(buckets - 1)
    };
    for (t, v) in w.series.get(&Metric::IncomingRecords).into_iter().flatten() {
        sums[index(*t)] += *v;
    }
    let mut refused = vec![false; buckets];
    for t in w.refused_by_period().keys() {
        refused[index(*t)] = true;
    }
    let most = sums.iter().copied().fold(0.0, f64::max);
    let line = sums
        .iter()
        .map(|s| {
            if most <= 0.0 || *s <= 0.0 {
                ' '
            } else {
                let level = ((s / most) * (BLOCKS.len() as f64 - 1.0)).round() as usize;
                BLOCKS[level.min(BLOCKS.len() - 1)]
            }
        })
        .collect();
    let marks = refused.iter().map(|r| if *r { '!' } else { ' ' }).collect();
    (bucket, line, marks)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Six hours from the epoch in minute periods, holding `points` (metric, start, value).
    pub(crate) fn window(points: &[(Metric, i64, f64)]) -> Window {
        let mut w = Window {
            start: 0,
            end: 6 * 3600,
            period: 60,
            series: BTreeMap::new(),
        };
        for (m, t, v) in points {
            w.series.entry(*m).or_default().insert(*t, *v);
        }
        w
    }

    #[test]
    fn one_call_holds_every_metric_of_up_to_fourteen_days() {
        assert_eq!(period_for(24 * 3600), 60);
        assert_eq!(period_for(10 * 86_400), 60);
        let p = period_for(MAX_WINDOW_SECS);
        assert_eq!(p % 60, 0);
        let points = (MAX_WINDOW_SECS / u64::from(p)) * Metric::ALL.len() as u64;
        assert!(points <= MAX_POINTS_PER_CALL, "{points}");
    }

    #[test]
    fn refusals_are_counted_once_with_their_first_and_last_minute() {
        let w = window(&[
            (Metric::WriteThrottled, 600, 5.0),
            (Metric::PutRecordsThrottled, 600, 3.0),
            (Metric::PutRecordsThrottled, 1200, 2.0),
            (Metric::PutRecordsFailed, 1800, 1.0),
            (Metric::WriteThrottled, 2400, 0.0),
        ]);
        let r = refused(&w);
        assert_eq!((r.throttled, r.failed, r.total()), (7, 1, 8));
        assert_eq!((r.first, r.last, r.periods), (Some(600), Some(1800), 3));
        assert_eq!(refused(&window(&[])), Refused::default());
    }

    #[test]
    fn the_peak_is_the_busiest_minute_as_rates() {
        let w = window(&[
            (Metric::IncomingRecords, 60, 6_000.0),
            (Metric::IncomingRecords, 120, 60_000.0),
            (Metric::IncomingBytes, 60, 6_000_000.0),
            (Metric::IncomingBytes, 120, 30_000_000.0),
        ]);
        let p = peak(&w).unwrap();
        assert_eq!(p.at, 120);
        assert_eq!(p.records_per_second, 1_000.0);
        assert_eq!(p.bytes_per_second, 500_000.0);
        assert!((p.avg_record_bytes - 36_000_000.0 / 66_000.0).abs() < 1e-6);
        assert!((utilisation(&p, 1_000.0, 1_048_576.0) - 1.0).abs() < 1e-9);
        assert_eq!(p.demand_per_second, 1_000.0);
        assert!(peak(&window(&[])).is_none());
        assert_eq!(incoming_records(&w), 66_000);
    }

    #[test]
    fn demand_counts_what_was_refused_too() {
        let w = window(&[
            (Metric::IncomingRecords, 60, 60_000.0),
            (Metric::WriteThrottled, 60, 30_000.0),
        ]);
        let p = peak(&w).unwrap();
        assert_eq!(
            (p.records_per_second, p.demand_per_second),
            (1_000.0, 1_500.0)
        );
        let only_refused = window(&[(Metric::WriteThrottled, 60, 600.0)]);
        assert_eq!(peak(&only_refused).unwrap().demand_per_second, 10.0);
    }

    #[test]
    fn the_sparkline_shows_hours_and_marks_refusals() {
        let w = window(&[
            (Metric::IncomingRecords, 0, 10.0),
            (Metric::IncomingRecords, 3_600, 80.0),
            (Metric::IncomingRecords, 3 * 3_600 + 60, 40.0),
            (Metric::WriteThrottled, 3_660, 2.0),
        ]);
        let (bucket, line, marks) = sparkline(&w);
        assert_eq!(bucket, 3_600);
        assert_eq!(line.chars().count(), 6);
        assert_eq!(line.chars().nth(1), Some('█'));
        assert_eq!(
            line.chars().nth(2),
            Some(' '),
            "an hour with no records is blank"
        );
        assert_eq!(marks, " !    ");
    }

    #[test]
    fn each_metric_has_its_cloudwatch_name_and_a_query_id_that_reads_back() {
        let names = [
            (
                Metric::IncomingRecords,
                "IncomingRecords",
                "incoming_records",
            ),
            (Metric::IncomingBytes, "IncomingBytes", "incoming_bytes"),
            (
                Metric::WriteThrottled,
                "WriteProvisionedThroughputExceeded",
                "write_throttled",
            ),
            (
                Metric::PutRecordsThrottled,
                "PutRecords.ThrottledRecords",
                "put_records_throttled",
            ),
            (
                Metric::PutRecordsFailed,
                "PutRecords.FailedRecords",
                "put_records_failed",
            ),
            (
                Metric::PutRecordSuccess,
                "PutRecord.Success",
                "put_record_success",
            ),
        ];
        for (m, cloudwatch, id) in names {
            assert_eq!(m.cloudwatch_name(), cloudwatch);
            assert_eq!(m.query_id(), id);
            assert_eq!(Metric::from_query_id(id), Some(m));
        }
        assert_eq!(Metric::from_query_id("IncomingRecords"), None);
        assert_eq!(Metric::from_query_id(""), None);
    }

    #[test]
    fn the_period_grows_a_minute_at_a_time_only_past_what_one_call_holds() {
        // 100,800 points for 7 metrics: 14,400 one-minute points (10 days) each.
        assert_eq!(period_for(0), 60);
        assert_eq!(period_for(61), 60);
        assert_eq!(period_for(14_400 * 60), 60);
        assert_eq!(period_for(14_400 * 60 + 1), 120);
        assert_eq!(period_for(2 * 14_400 * 60), 120);
        assert_eq!(period_for(2 * 14_400 * 60 + 60), 180);
        assert_eq!(period_for(MAX_WINDOW_SECS), 120);
    }

    #[test]
    fn the_iterator_age_is_the_windows_maximum_and_read_as_one() {
        assert_eq!(iterator_age_max(&window(&[])), None);
        let w = window(&[
            (Metric::IteratorAge, 60, 5_000.0),
            (Metric::IteratorAge, 120, 90_000.0),
            (Metric::IteratorAge, 180, 0.0),
            (Metric::IncomingRecords, 60, 1e9),
        ]);
        assert_eq!(iterator_age_max(&w), Some(90_000.0));
        // Counts are summed per period; an age is its period's maximum (a sum of ages means
        // nothing).
        for m in Metric::ALL {
            let want = if m == Metric::IteratorAge {
                "Maximum"
            } else {
                "Sum"
            };
            assert_eq!(m.stat(), want, "{m:?}");
        }
        assert_eq!(
            Metric::IteratorAge.cloudwatch_name(),
            "GetRecords.IteratorAgeMilliseconds"
        );
        assert_eq!(
            Metric::from_query_id("iterator_age"),
            Some(Metric::IteratorAge)
        );
    }

    #[test]
    fn the_larger_throttle_count_and_every_failure_are_refusals() {
        // The stream-level count includes PutRecords' throttles: the larger one, not the sum.
        let w = window(&[
            (Metric::WriteThrottled, 60, 3.0),
            (Metric::PutRecordsThrottled, 60, 5.0),
            (Metric::PutRecordsFailed, 60, 2.0),
            (Metric::PutRecordsFailed, 120, 4.0),
            (Metric::PutRecordsFailed, 180, 0.0),
        ]);
        let r = refused(&w);
        assert_eq!((r.throttled, r.failed, r.total()), (5, 6, 11));
        assert_eq!((r.first, r.last, r.periods), (Some(60), Some(120), 2));
    }

    #[test]
    fn demand_adds_failures_and_a_window_of_refusals_only_has_no_record_size() {
        let w = window(&[
            (Metric::IncomingRecords, 60, 6_000.0),
            (Metric::WriteThrottled, 60, 600.0),
            (Metric::PutRecordsFailed, 60, 60.0),
        ]);
        let p = peak(&w).unwrap();
        assert_eq!(p.demand_per_second, 111.0);
        assert_eq!(p.avg_record_bytes, 0.0, "no IncomingBytes");
        let only_refused = peak(&window(&[(Metric::PutRecordsFailed, 60, 60.0)])).unwrap();
        assert_eq!(only_refused.avg_record_bytes, 0.0);
        assert_eq!(only_refused.records_per_second, 0.0);
        assert_eq!(only_refused.demand_per_second, 1.0);
        // A window of zeros has no peak.
        assert!(peak(&window(&[(Metric::IncomingRecords, 60, 0.0)])).is_none());
        // The period is the window's: the same sums over 5-minute periods are a fifth the rate.
        let mut five = window(&[
            (Metric::IncomingRecords, 300, 3_000.0),
            (Metric::IncomingBytes, 300, 30_000.0),
        ]);
        five.period = 300;
        let p = peak(&five).unwrap();
        assert_eq!(
            (p.records_per_second, p.bytes_per_second, p.avg_record_bytes),
            (10.0, 100.0, 10.0)
        );
    }

    #[test]
    fn utilisation_is_the_tighter_of_records_and_bytes() {
        let p = Peak {
            at: 0,
            records_per_second: 500.0,
            bytes_per_second: 900_000.0,
            avg_record_bytes: 1_800.0,
            demand_per_second: 500.0,
        };
        assert_eq!(utilisation(&p, 1_000.0, 1_000_000.0), 0.9);
        assert_eq!(utilisation(&p, 250.0, 1_000_000.0), 2.0);
    }

    #[test]
    fn the_sparkline_uses_days_beyond_three_days_and_scales_to_the_busiest() {
        let mut w = window(&[
            (Metric::IncomingRecords, 0, 80.0),
            (Metric::IncomingRecords, 86_400, 40.0),
            (Metric::IncomingRecords, 2 * 86_400, 1.0),
            // Points past the end, or before the start, fall in the last and first buckets.
            (Metric::IncomingRecords, 10 * 86_400, 0.0),
            (Metric::PutRecordsFailed, 3 * 86_400 + 5, 1.0),
        ]);
        w.end = 3 * 86_400 + 1;
        let (bucket, line, marks) = sparkline(&w);
        assert_eq!(bucket, 86_400);
        assert_eq!(line, "█▅▁ ");
        assert_eq!(marks, "   !");
        // Exactly three days is still hours: 72 of them.
        w.end = 3 * 86_400;
        let (bucket, line, _) = sparkline(&w);
        assert_eq!((bucket, line.chars().count()), (3_600, 72));
        // A part-hour makes a bucket of its own; an empty window is one blank bucket.
        let mut short = window(&[]);
        short.end = 3_600 + 1;
        assert_eq!(sparkline(&short), (3_600, "  ".to_owned(), "  ".to_owned()));
        short.end = short.start;
        assert_eq!(sparkline(&short), (3_600, " ".to_owned(), " ".to_owned()));
        let mut before = window(&[(Metric::IncomingRecords, -100, 5.0)]);
        before.end = 2 * 3_600;
        assert_eq!(sparkline(&before).1, "█ ");
    }

    #[test]
    fn the_sparkline_counts_from_the_window_s_start_and_rounds_to_the_nearest_eighth() {
        // A window that starts at a real time, not at the epoch.
        let start = 1_764_892_800; // 2025-12-05T00:00:00Z
        let mut w = window(&[
            (Metric::IncomingRecords, start, 100.0),
            (Metric::IncomingRecords, start + 3_600, 60.0),
            (Metric::IncomingRecords, start + 2 * 3_600 + 59, 25.0),
            (Metric::IncomingRecords, start + 3 * 3_600, 1.0),
            (Metric::WriteThrottled, start + 4 * 3_600 + 60, 1.0),
        ]);
        (w.start, w.end) = (start, start + 6 * 3_600);
        // 100% is the top block; 60% of 7 steps is 4.2 (the fifth block); 25% is 1.75 (the
        // third); 1% rounds down to the lowest; nothing is blank.
        assert_eq!(
            sparkline(&w),
            (3_600, "█▅▃▁  ".to_owned(), "    ! ".to_owned())
        );
    }
}
