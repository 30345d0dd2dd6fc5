//! What the plan's resources cost a month, estimated from AWS's list prices: one table of
//! prices per region ([`PRICES`], the same numbers as `docs/cost.md`, a test compares them) and
//! the arithmetic over the sizing answers (the load). Pure: no I/O, no clock. A price this
//! table does not know for a region is `None` and the estimate says "unknown" rather than
//! borrow another region's.

use crate::sizing::{Capacity, Load};

/// The date the table's prices stand for (docs/cost.md says how they were taken and that each
/// is to be compared with its source page before a release).
pub(crate) const AS_OF: &str = "2026-12-07";

/// Hours in AWS's billing month (AWS's pricing examples use 730).
pub(crate) const HOURS_PER_MONTH: f64 = 730.0;
const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// AWS bills a GB as 2^30 bytes and a KB as 1,024 bytes.
const GB: f64 = 1_073_741_824.0;
const KB: f64 = 1_024.0;
/// On-demand bills each record rounded up to 1 KB.
const ON_DEMAND_RECORD_STEP: f64 = KB;
/// A PUT payload unit: 25 KB of a record (a record of 30 KB is two).
const PUT_UNIT: f64 = 25.0 * KB;
/// Firehose bills ingestion in 5 KB steps per record.
const FIREHOSE_RECORD_STEP: f64 = 5.0 * KB;
/// Retention within a day is included; up to seven days is "extended", beyond it "long-term".
const INCLUDED_HOURS: f64 = 24.0;
const EXTENDED_UNTIL_HOURS: f64 = 168.0;

/// One price, with what it is charged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Item {
    OnDemandStreamHour,
    OnDemandGbWritten,
    OnDemandGbRead,
    OnDemandExtendedGbMonth,
    ShardHour,
    PutUnitsMillion,
    ExtendedShardHour,
    LongTermGbMonth,
    AlarmMonth,
    FirehoseGb,
    PartitioningGb,
    PartitioningThousandObjects,
    PartitioningJqHour,
    S3GbMonth,
    S3ThousandPuts,
}

impl Item {
    #[cfg(test)]
    pub(crate) const ALL: [Item; 15] = [
        Item::OnDemandStreamHour,
        Item::OnDemandGbWritten,
        Item::OnDemandGbRead,
        Item::OnDemandExtendedGbMonth,
        Item::ShardHour,
        Item::PutUnitsMillion,
        Item::ExtendedShardHour,
        Item::LongTermGbMonth,
        Item::AlarmMonth,
        Item::FirehoseGb,
        Item::PartitioningGb,
        Item::PartitioningThousandObjects,
        Item::PartitioningJqHour,
        Item::S3GbMonth,
        Item::S3ThousandPuts,
    ];

    /// What the price is for, as `docs/cost.md` names it.
    #[cfg(test)]
    pub(crate) fn label(self) -> &'static str {
        match self {
            Item::OnDemandStreamHour => "Kinesis on-demand, per stream-hour",
            Item::OnDemandGbWritten => {
                "Kinesis on-demand, per GB written (records rounded up to 1 KB)"
            }
            Item::OnDemandGbRead => "Kinesis on-demand, per GB read",
            Item::OnDemandExtendedGbMonth => {
                "Kinesis on-demand, retention beyond 24 h to 7 days, per GB-month"
            }
            Item::ShardHour => "Kinesis provisioned, per shard-hour",
            Item::PutUnitsMillion => "Kinesis provisioned, per million PUT payload units (25 KB)",
            Item::ExtendedShardHour => {
                "Kinesis provisioned, retention beyond 24 h to 7 days, per shard-hour"
            }
            Item::LongTermGbMonth => "Kinesis, retention beyond 7 days, per GB-month",
            Item::AlarmMonth => "CloudWatch standard alarm, per month",
            Item::FirehoseGb => "Firehose from Kinesis, per GB (records in 5 KB steps)",
            Item::PartitioningGb => "Firehose dynamic partitioning, per GB",
            Item::PartitioningThousandObjects => {
                "Firehose dynamic partitioning, per 1,000 S3 objects"
            }
            Item::PartitioningJqHour => "Firehose dynamic partitioning, per JQ processing hour",
            Item::S3GbMonth => "S3 Standard storage, per GB-month",
            Item::S3ThousandPuts => "S3 PUT requests, per 1,000",
        }
    }

    /// The AWS pricing page the price comes from.
    #[cfg(test)]
    pub(crate) fn source(self) -> &'static str {
        match self {
            Item::OnDemandStreamHour
            | Item::OnDemandGbWritten
            | Item::OnDemandGbRead
            | Item::OnDemandExtendedGbMonth
            | Item::ShardHour
            | Item::PutUnitsMillion
            | Item::ExtendedShardHour
            | Item::LongTermGbMonth => "https://aws.amazon.com/kinesis/data-streams/pricing/",
            Item::AlarmMonth => "https://aws.amazon.com/cloudwatch/pricing/",
            Item::FirehoseGb
            | Item::PartitioningGb
            | Item::PartitioningThousandObjects
            | Item::PartitioningJqHour => "https://aws.amazon.com/firehose/pricing/",
            Item::S3GbMonth | Item::S3ThousandPuts => "https://aws.amazon.com/s3/pricing/",
        }
    }
}

/// The regions the table has a column for; any other region's estimate is "unknown".
pub(crate) const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "ca-central-1",
];

/// The list prices in US dollars, one row per item, one column per region of [`REGIONS`]
/// (`None`: not sourced for that region). The same numbers as `docs/cost.md`.
pub(crate) const PRICES: [(Item, [Option<f64>; 5]); 15] = [
    (
        Item::OnDemandStreamHour,
        [Some(0.04), Some(0.04), Some(0.04), None, None],
    ),
    (
        Item::OnDemandGbWritten,
        [Some(0.08), Some(0.08), Some(0.08), None, None],
    ),
    (
        Item::OnDemandGbRead,
        [Some(0.04), Some(0.04), Some(0.04), None, None],
    ),
    (
        Item::OnDemandExtendedGbMonth,
        [Some(0.10), Some(0.10), Some(0.10), None, None],
    ),
    (
        Item::ShardHour,
        [Some(0.015), Some(0.015), Some(0.015), None, None],
    ),
    (
        Item::PutUnitsMillion,
        [Some(0.014), Some(0.014), Some(0.014), None, None],
    ),
    (
        Item::ExtendedShardHour,
        [Some(0.02), Some(0.02), Some(0.02), None, None],
    ),
    (
        Item::LongTermGbMonth,
        [Some(0.023), Some(0.023), Some(0.023), None, None],
    ),
    (
        Item::AlarmMonth,
        [Some(0.10), Some(0.10), Some(0.10), Some(0.10), Some(0.10)],
    ),
    (
        Item::FirehoseGb,
        [Some(0.029), Some(0.029), Some(0.029), None, None],
    ),
    (
        Item::PartitioningGb,
        [Some(0.02), Some(0.02), Some(0.02), None, None],
    ),
    (
        Item::PartitioningThousandObjects,
        [Some(0.005), Some(0.005), Some(0.005), None, None],
    ),
    (
        Item::PartitioningJqHour,
        [Some(0.07), Some(0.07), Some(0.07), None, None],
    ),
    (
        Item::S3GbMonth,
        [
            Some(0.023),
            Some(0.023),
            Some(0.023),
            Some(0.023),
            Some(0.025),
        ],
    ),
    (
        Item::S3ThousandPuts,
        [Some(0.005), Some(0.005), Some(0.005), Some(0.005), None],
    ),
];

/// An item's list price in a region, `None` when the table does not know it.
pub(crate) fn price(region: &str, item: Item) -> Option<f64> {
    let col = REGIONS.iter().position(|r| *r == region)?;
    PRICES
        .iter()
        .find(|(i, _)| *i == item)
        .and_then(|(_, cols)| cols[col])
}

/// The archive, as far as its cost goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ArchiveUsage {
    /// How many event types Firehose partitions by (each active type is an S3 object per
    /// buffer interval).
    pub types: usize,
    /// Firehose's buffer interval, in seconds.
    pub buffer_seconds: u32,
}

/// What the plan makes, as far as its cost goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub capacity: Capacity,
    pub retention_hours: u32,
    /// The sizing answer; `None`: the per-GB and per-record charges cannot be estimated.
    pub load: Option<Load>,
    pub alarm: bool,
    pub archive: Option<ArchiveUsage>,
}

/// One line of the estimate: what, its monthly cost (`None`: unknown), and how it was worked
/// out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Line {
    pub item: String,
    pub monthly_usd: Option<f64>,
    pub basis: String,
}

/// The monthly estimate for a region.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Estimate {
    pub region: String,
    pub currency: &'static str,
    pub prices_as_of: &'static str,
    pub lines: Vec<Line>,
    /// The sum of the lines whose cost is known.
    pub monthly_usd: f64,
    /// `false` when a line is unknown: the total is then a floor.
    pub complete: bool,
}

/// A money amount as the estimate prints it.
pub(crate) fn usd(x: f64) -> String {
    if x > 0.0 && x < 0.01 {
        "<$0.01".to_owned()
    } else {
        format!("${x:.2}")
    }
}

/// Events a month at a steady rate.
fn records_a_month(load: Load) -> f64 {
    load.events_per_second * SECONDS_PER_MONTH
}

/// Bytes a month, each record rounded up to `step` (1.0: the record's own size).
fn billed_gb(load: Load, step: f64) -> f64 {
    let per_record = (load.avg_event_bytes / step).ceil() * step;
    records_a_month(load) * per_record / GB
}

struct Lines<'a> {
    region: &'a str,
    lines: Vec<Line>,
}

impl Lines<'_> {
    /// A line of `quantity` units at `item`'s price; unknown without the price or the
    /// quantity (`why_none` says why the quantity is unknown).
    /// `unit` is said per one (`GB-month`), `units` of a quantity (`GB-months`).
    fn add(
        &mut self,
        what: &str,
        item: Item,
        quantity: Result<f64, &str>,
        (unit, units): (&str, &str),
    ) {
        let price = price(self.region, item);
        let (monthly, basis) = match (price, quantity) {
            (Some(p), Ok(q)) => (
                Some(p * q),
                format!("{} {units} at ${p} per {unit}", round(q)),
            ),
            (Some(p), Err(why)) => (None, format!("${p} per {unit}; {why}")),
            (None, _) => (
                None,
                format!("no list price for {} in the table", self.region),
            ),
        };
        self.lines.push(Line {
            item: what.to_owned(),
            monthly_usd: monthly,
            basis,
        });
    }
}

/// A quantity as a sentence shows it: whole when large, two decimals when small.
fn round(q: f64) -> String {
    if q >= 100.0 {
        format!("{q:.0}")
    } else {
        format!("{q:.2}")
    }
}

const NO_LOAD: &str = "no load given (--events-per-second, --avg-event-bytes)";

/// The monthly estimate of `usage` in `region`: the load taken as steady all month (a peak
/// given as the load makes this an upper bound).
pub(crate) fn estimate(region: &str, usage: &Usage) -> Estimate {
    let mut l = Lines {
        region,
        lines: Vec::new(),
    };
    let load = usage.load.ok_or(NO_LOAD);
    stream_lines(&mut l, usage, load);
    if usage.alarm {
        l.add(
            "alarm",
            Item::AlarmMonth,
            Ok(1.0),
            ("alarm-month", "alarm-months"),
        );
    }
    if let Some(a) = usage.archive {
        archive_lines(&mut l, usage, a, load);
    }
    // A fold from +0.0: an empty f64 sum is -0.0, which prints as "$-0.00".
    let monthly_usd = l
        .lines
        .iter()
        .filter_map(|x| x.monthly_usd)
        .fold(0.0, |a, b| a + b);
    let complete = l.lines.iter().all(|x| x.monthly_usd.is_some());
    Estimate {
        region: region.to_owned(),
        currency: "USD",
        prices_as_of: AS_OF,
        lines: l.lines,
        monthly_usd,
        complete,
    }
}

fn stream_lines(l: &mut Lines<'_>, usage: &Usage, load: Result<Load, &str>) {
    let hours = f64::from(usage.retention_hours);
    let extended_hours = hours.min(EXTENDED_UNTIL_HOURS) - INCLUDED_HOURS;
    let long_term_hours = (hours - EXTENDED_UNTIL_HOURS).max(0.0);
    // The data at rest: an hour's bytes times the hours kept.
    let gb_an_hour = |step: f64| load.map(|x| billed_gb(x, step) / HOURS_PER_MONTH);
    match usage.capacity {
        Capacity::OnDemand => {
            l.add(
                "stream (on-demand)",
                Item::OnDemandStreamHour,
                Ok(HOURS_PER_MONTH),
                ("stream-hour", "stream-hours"),
            );
            l.add(
                "data written",
                Item::OnDemandGbWritten,
                load.map(|x| billed_gb(x, ON_DEMAND_RECORD_STEP)),
                ("GB", "GB"),
            );
            if extended_hours > 0.0 {
                l.add(
                    "retention to 7 days",
                    Item::OnDemandExtendedGbMonth,
                    gb_an_hour(ON_DEMAND_RECORD_STEP).map(|g| g * extended_hours),
                    ("GB-month", "GB-months"),
                );
            }
        }
        Capacity::Provisioned(n) => {
            let shard_hours = f64::from(n.get()) * HOURS_PER_MONTH;
            l.add(
                "stream (provisioned)",
                Item::ShardHour,
                Ok(shard_hours),
                ("shard-hour", "shard-hours"),
            );
            l.add(
                "PUT payload units",
                Item::PutUnitsMillion,
                load.map(|x| records_a_month(x) * (x.avg_event_bytes / PUT_UNIT).ceil() / 1e6),
                ("million units", "million units"),
            );
            if extended_hours > 0.0 {
                l.add(
                    "retention to 7 days",
                    Item::ExtendedShardHour,
                    Ok(shard_hours),
                    ("shard-hour", "shard-hours"),
                );
            }
        }
    }
    if long_term_hours > 0.0 {
        l.add(
            "retention beyond 7 days",
            Item::LongTermGbMonth,
            gb_an_hour(1.0).map(|g| g * long_term_hours),
            ("GB-month", "GB-months"),
        );
    }
}

fn archive_lines(l: &mut Lines<'_>, usage: &Usage, a: ArchiveUsage, load: Result<Load, &str>) {
    let gb = load.map(|x| billed_gb(x, 1.0));
    if usage.capacity == Capacity::OnDemand {
        // Firehose is a reader of the stream: on-demand bills what it reads.
        l.add(
            "archive: stream read",
            Item::OnDemandGbRead,
            gb,
            ("GB", "GB"),
        );
    }
    l.add(
        "archive: Firehose",
        Item::FirehoseGb,
        load.map(|x| billed_gb(x, FIREHOSE_RECORD_STEP)),
        ("GB", "GB"),
    );
    l.add(
        "archive: partitioning",
        Item::PartitioningGb,
        gb,
        ("GB", "GB"),
    );
    // Each active type is an object per buffer interval; a type is active in an interval
    // when at least one of its events arrives in it.
    let objects = load.map(|x| {
        let intervals = SECONDS_PER_MONTH / f64::from(a.buffer_seconds.max(1));
        let per_interval = x.events_per_second * f64::from(a.buffer_seconds);
        intervals * per_interval.min(a.types.max(1) as f64)
    });
    l.add(
        "archive: objects",
        Item::PartitioningThousandObjects,
        objects.map(|o| o / 1e3),
        ("1,000 objects", "thousand objects"),
    );
    l.add(
        "archive: S3 PUTs",
        Item::S3ThousandPuts,
        objects.map(|o| o / 1e3),
        ("1,000 PUTs", "thousand PUTs"),
    );
    l.add(
        "archive: S3 storage, the first month",
        Item::S3GbMonth,
        gb.map(|g| g / 2.0),
        ("GB-month", "GB-months (half a month's events on average, before gzip; it grows each month unless --archive-days)"),
    );
    l.add(
        "archive: JQ processing",
        Item::PartitioningJqHour,
        Err("the time JQ takes per record is not known beforehand"),
        ("JQ hour", "JQ hours"),
    );
    l.lines.push(Line {
        item: "archive: Glue".to_owned(),
        monthly_usd: Some(0.0),
        basis: "one database and table: within the Data Catalog's free million objects and requests a month".to_owned(),
    });
}

/// The price table as `docs/cost.md` shows it (a test compares the two).
#[cfg(test)]
pub(crate) fn markdown_table() -> String {
    let mut s = format!("| price (USD) | {} | source |\n", REGIONS.join(" | "));
    s.push_str(&format!("|---|{}---|\n", "---|".repeat(REGIONS.len())));
    for (item, cols) in PRICES {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| c.map_or_else(|| "unknown".to_owned(), |p| format!("{p}")))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            item.label(),
            cells.join(" | "),
            item.source()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::ShardCount;

    fn on_demand(load: Option<Load>) -> Usage {
        Usage {
            capacity: Capacity::OnDemand,
            retention_hours: 24,
            load,
            alarm: false,
            archive: None,
        }
    }

    fn load(eps: f64, bytes: f64) -> Load {
        Load {
            events_per_second: eps,
            avg_event_bytes: bytes,
        }
    }

    fn line<'a>(e: &'a Estimate, item: &str) -> &'a Line {
        e.lines
            .iter()
            .find(|l| l.item == item)
            .unwrap_or_else(|| panic!("no line {item}: {e:?}"))
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6, "{a} != {b}");
    }

    #[test]
    fn the_docs_show_the_same_prices_as_the_code() {
        let docs = include_str!("../docs/cost.md");
        assert!(
            docs.contains(&markdown_table()),
            "docs/cost.md's table differs from src/price.rs; it should read:\n{}",
            markdown_table()
        );
        assert!(docs.contains(AS_OF), "docs/cost.md names the date {AS_OF}");
    }

    #[test]
    fn every_item_has_a_row_and_every_row_one_item() {
        let items: Vec<Item> = PRICES.iter().map(|(i, _)| *i).collect();
        assert_eq!(items, Item::ALL);
    }

    #[test]
    fn a_price_is_looked_up_by_region_and_unknown_elsewhere() {
        assert_eq!(price("us-east-1", Item::ShardHour), Some(0.015));
        assert_eq!(price("ca-central-1", Item::S3GbMonth), Some(0.025));
        assert_eq!(price("eu-west-1", Item::ShardHour), None);
        assert_eq!(price("ap-south-2", Item::AlarmMonth), None);
    }

    #[test]
    fn on_demand_bills_stream_hours_and_each_record_rounded_up_to_a_kilobyte() {
        // 100 events/s of 1,500 bytes: each billed as 2 KB.
        let e = estimate("us-east-1", &on_demand(Some(load(100.0, 1500.0))));
        close(
            line(&e, "stream (on-demand)").monthly_usd.unwrap(),
            730.0 * 0.04,
        );
        let gb = 100.0 * 730.0 * 3600.0 * 2048.0 / GB;
        close(line(&e, "data written").monthly_usd.unwrap(), gb * 0.08);
        assert!(e.complete);
        close(e.monthly_usd, 730.0 * 0.04 + gb * 0.08);
        // 1,024 bytes exactly is one KB, not two.
        let e = estimate("us-east-1", &on_demand(Some(load(1.0, 1024.0))));
        close(
            line(&e, "data written").monthly_usd.unwrap(),
            730.0 * 3600.0 * 1024.0 / GB * 0.08,
        );
    }

    #[test]
    fn without_a_load_the_usage_lines_are_unknown_and_the_total_a_floor() {
        let e = estimate("us-east-1", &on_demand(None));
        let data = line(&e, "data written");
        assert_eq!(data.monthly_usd, None);
        assert!(data.basis.contains("no load given"), "{}", data.basis);
        assert!(!e.complete);
        close(e.monthly_usd, 29.2);
    }

    #[test]
    fn provisioned_bills_shard_hours_and_put_units_of_25_kb() {
        let u = Usage {
            capacity: Capacity::Provisioned(ShardCount::parse("--shards", "2").unwrap()),
            // 30 KB records: two PUT units each.
            load: Some(load(10.0, 30.0 * 1024.0)),
            ..on_demand(None)
        };
        let e = estimate("us-west-2", &u);
        close(
            line(&e, "stream (provisioned)").monthly_usd.unwrap(),
            2.0 * 730.0 * 0.015,
        );
        let units = 10.0 * 730.0 * 3600.0 * 2.0 / 1e6;
        close(
            line(&e, "PUT payload units").monthly_usd.unwrap(),
            units * 0.014,
        );
        assert!(e.lines.iter().all(|l| l.item != "retention to 7 days"));
        // A record of exactly 25 KB is one unit.
        let u = Usage {
            load: Some(load(10.0, 25.0 * 1024.0)),
            ..u
        };
        let e = estimate("us-west-2", &u);
        close(
            line(&e, "PUT payload units").monthly_usd.unwrap(),
            units / 2.0 * 0.014,
        );
    }

    #[test]
    fn retention_beyond_a_day_is_extended_and_beyond_a_week_long_term() {
        let l = load(1.0, 1024.0);
        let gb_hour = 3600.0 * 1024.0 / GB;
        // 72 h on-demand: 48 extended hours of data.
        let e = estimate(
            "us-east-1",
            &Usage {
                retention_hours: 72,
                ..on_demand(Some(l))
            },
        );
        close(
            line(&e, "retention to 7 days").monthly_usd.unwrap(),
            gb_hour * 48.0 * 0.10,
        );
        assert!(e.lines.iter().all(|x| x.item != "retention beyond 7 days"));
        // 200 h: 144 extended, 32 long-term.
        let e = estimate(
            "us-east-1",
            &Usage {
                retention_hours: 200,
                ..on_demand(Some(l))
            },
        );
        close(
            line(&e, "retention to 7 days").monthly_usd.unwrap(),
            gb_hour * 144.0 * 0.10,
        );
        close(
            line(&e, "retention beyond 7 days").monthly_usd.unwrap(),
            gb_hour * 32.0 * 0.023,
        );
        // Provisioned: extended retention by the shard-hour, whatever the load.
        let e = estimate(
            "us-east-1",
            &Usage {
                capacity: Capacity::Provisioned(ShardCount::parse("--shards", "3").unwrap()),
                retention_hours: 48,
                ..on_demand(None)
            },
        );
        close(
            line(&e, "retention to 7 days").monthly_usd.unwrap(),
            3.0 * 730.0 * 0.02,
        );
    }

    #[test]
    fn the_alarm_costs_a_month_of_one_alarm() {
        let e = estimate(
            "eu-west-1",
            &Usage {
                alarm: true,
                ..on_demand(None)
            },
        );
        close(line(&e, "alarm").monthly_usd.unwrap(), 0.10);
        // eu-west-1's stream price is not in the table: unknown, not another region's.
        assert_eq!(line(&e, "stream (on-demand)").monthly_usd, None);
        assert!(line(&e, "stream (on-demand)").basis.contains("eu-west-1"));
        close(e.monthly_usd, 0.10);
        // Nothing known at all: zero, not minus zero.
        let e = estimate("ap-south-2", &on_demand(None));
        assert_eq!(usd(e.monthly_usd), "$0.00");
        assert!(!estimate("us-east-1", &on_demand(None))
            .lines
            .iter()
            .any(|l| l.item == "alarm"));
    }

    #[test]
    fn the_archive_bills_firehose_in_5_kb_steps_partitioning_objects_and_storage() {
        // 10 events/s of 1,000 bytes, 20 types, a 60 s buffer.
        let u = Usage {
            archive: Some(ArchiveUsage {
                types: 20,
                buffer_seconds: 60,
            }),
            ..on_demand(Some(load(10.0, 1000.0)))
        };
        let e = estimate("us-east-1", &u);
        let records = 10.0 * 730.0 * 3600.0;
        let gb = records * 1000.0 / GB;
        close(
            line(&e, "archive: stream read").monthly_usd.unwrap(),
            gb * 0.04,
        );
        close(
            line(&e, "archive: Firehose").monthly_usd.unwrap(),
            records * 5120.0 / GB * 0.029,
        );
        close(
            line(&e, "archive: partitioning").monthly_usd.unwrap(),
            gb * 0.02,
        );
        // 600 events a minute: all 20 types active each interval.
        let objects = 730.0 * 60.0 * 20.0;
        close(
            line(&e, "archive: objects").monthly_usd.unwrap(),
            objects / 1e3 * 0.005,
        );
        close(
            line(&e, "archive: S3 PUTs").monthly_usd.unwrap(),
            objects / 1e3 * 0.005,
        );
        close(
            line(&e, "archive: S3 storage, the first month")
                .monthly_usd
                .unwrap(),
            gb / 2.0 * 0.023,
        );
        assert_eq!(line(&e, "archive: JQ processing").monthly_usd, None);
        assert_eq!(line(&e, "archive: Glue").monthly_usd, Some(0.0));
        assert!(!e.complete, "JQ time is unknown");
        // A trickle: fewer events an interval than types, so fewer objects.
        let e = estimate(
            "us-east-1",
            &Usage {
                load: Some(load(0.1, 1000.0)),
                ..u
            },
        );
        close(
            line(&e, "archive: objects").monthly_usd.unwrap(),
            730.0 * 60.0 * 6.0 / 1e3 * 0.005,
        );
        // Provisioned: Firehose reading the stream costs nothing more.
        let e = estimate(
            "us-east-1",
            &Usage {
                capacity: Capacity::Provisioned(ShardCount::parse("--shards", "1").unwrap()),
                ..u
            },
        );
        assert!(e.lines.iter().all(|l| l.item != "archive: stream read"));
    }

    #[test]
    fn amounts_print_in_cents_and_a_fraction_of_a_cent_as_less() {
        assert_eq!(usd(29.2), "$29.20");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(0.004), "<$0.01");
        assert_eq!(round(0.5), "0.50");
        assert_eq!(round(730.0), "730");
    }
}
