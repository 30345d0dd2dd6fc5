//! Stream sizing from the seed's limits: a provisioned shard takes 1,000 records/s and
//! 1 MiB/s of writes; an on-demand stream starts at 4 MiB/s (and 4,000 records/s) and scales
//! up; an account has 500 shards by default. Buzz does not buffer, so events beyond capacity
//! are lost: the advice leaves headroom.

use crate::names::ShardCount;

/// How a stream is billed and scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "shards")]
pub enum Capacity {
    OnDemand,
    Provisioned(ShardCount),
}

impl std::fmt::Display for Capacity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Capacity::OnDemand => f.write_str("on-demand"),
            Capacity::Provisioned(n) => write!(
                f,
                "provisioned, {} shard{}",
                n.get(),
                if n.get() == 1 { "" } else { "s" }
            ),
        }
    }
}

pub(crate) const RECORDS_PER_SHARD: f64 = 1_000.0;
pub(crate) const BYTES_PER_SHARD: f64 = 1_048_576.0;
pub(crate) const ON_DEMAND_START_SHARDS: f64 = 4.0;
pub(crate) const DEFAULT_SHARD_QUOTA: u32 = 500;
/// Peak traffic is sized to 70 % of capacity: bursts within a second exceed the average.
const HEADROOM: f64 = 0.7;

/// The expected peak load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    pub events_per_second: f64,
    pub avg_event_bytes: f64,
}

impl Load {
    /// Shards needed for this load, with headroom.
    pub fn shards_needed(&self) -> u32 {
        let by_records = self.events_per_second / (RECORDS_PER_SHARD * HEADROOM);
        let by_bytes = self.events_per_second * self.avg_event_bytes / (BYTES_PER_SHARD * HEADROOM);
        by_records.max(by_bytes).ceil().max(1.0) as u32
    }
}

/// The capacity to create for a load. Not a [`Capacity`]: a load beyond every quota still
/// gets a shard count, with advice to raise the quota first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recommendation {
    OnDemand,
    Provisioned { shards: u32 },
}

impl std::fmt::Display for Recommendation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recommendation::OnDemand => f.write_str("on-demand"),
            Recommendation::Provisioned { shards } => write!(f, "provisioned, {shards} shards"),
        }
    }
}

/// A recommendation and the sentence that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Advice {
    pub recommendation: Recommendation,
    pub why: String,
}

/// "on-demand: <why>", as the plan's notes and check's fixes put it after "use".
impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.recommendation, self.why)
    }
}

/// The mode and shard count to recommend for `load`.
pub(crate) fn advise(load: Load) -> Advice {
    let shards = load.shards_needed();
    if f64::from(shards) <= ON_DEMAND_START_SHARDS {
        Advice {
            recommendation: Recommendation::OnDemand,
            why: format!(
                "{:.0} events/s of {:.0} bytes fits an on-demand stream's starting capacity (4 MB/s, about 4,000 records/s), which also absorbs surprises; provisioned with {shards} shard(s) costs less at a steady load",
                load.events_per_second, load.avg_event_bytes
            ),
        }
    } else if shards > DEFAULT_SHARD_QUOTA {
        Advice {
            recommendation: Recommendation::Provisioned { shards },
            why: format!("this needs {shards} shards, above the default quota of {DEFAULT_SHARD_QUOTA}: ask AWS for a higher Kinesis shard quota first"),
        }
    } else {
        Advice {
            recommendation: Recommendation::Provisioned { shards },
            why: format!(
                "{:.0} events/s of {:.0} bytes needs {shards} shards at 70 % load; on-demand would need time to scale up from 4 MB/s, and Buzz does not buffer while it does",
                load.events_per_second, load.avg_event_bytes
            ),
        }
    }
}

/// What the wizard recommends when the user gave no load estimate.
pub(crate) fn advise_without_estimate() -> Advice {
    Advice {
        recommendation: Recommendation::OnDemand,
        why: "with no estimate, on-demand is the safe choice: it scales by itself".to_owned(),
    }
}

/// What a stream of this capacity takes: (records/s, bytes/s). On-demand counts its open
/// shards, at least the 4 MB/s it starts with (it scales up from there over minutes).
pub(crate) fn limits(capacity: Capacity, open_shards: u32) -> (f64, f64) {
    let shards = match capacity {
        Capacity::OnDemand => f64::from(open_shards).max(ON_DEMAND_START_SHARDS),
        Capacity::Provisioned(n) => f64::from(n.get().max(open_shards)),
    };
    (shards * RECORDS_PER_SHARD, shards * BYTES_PER_SHARD)
}

/// Whether a stream of this capacity takes `load`: (enough, a sentence).
pub(crate) fn fits(capacity: Capacity, open_shards: u32, load: Load) -> (bool, String) {
    let needed = load.shards_needed();
    let (have, what) = match capacity {
        Capacity::OnDemand => (
            (open_shards as f64).max(ON_DEMAND_START_SHARDS) as u32,
            "on-demand (scales from 4 MB/s)".to_owned(),
        ),
        Capacity::Provisioned(n) => (
            n.get().max(open_shards),
            format!("provisioned with {} shard(s)", n.get().max(open_shards)),
        ),
    };
    if have >= needed {
        (
            true,
            format!(
                "{what} takes {:.0} events/s of {:.0} bytes",
                load.events_per_second, load.avg_event_bytes
            ),
        )
    } else {
        (
            false,
            format!(
                "{what} is short of {:.0} events/s of {:.0} bytes (needs {needed} shards' worth): events beyond capacity are lost",
                load.events_per_second, load.avg_event_bytes
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_follow_the_tighter_limit() {
        assert_eq!(
            Load {
                events_per_second: 100.0,
                avg_event_bytes: 500.0
            }
            .shards_needed(),
            1
        );
        // 5,000 small events/s: records bind (5000 / 700 -> 8).
        assert_eq!(
            Load {
                events_per_second: 5_000.0,
                avg_event_bytes: 200.0
            }
            .shards_needed(),
            8
        );
        // 1,000 events/s of 10 KB: bytes bind (10 MB/s / 0.7 MiB/s -> 14).
        assert_eq!(
            Load {
                events_per_second: 1_000.0,
                avg_event_bytes: 10_000.0
            }
            .shards_needed(),
            14
        );
    }

    #[test]
    fn advice_prefers_on_demand_for_small_loads() {
        let small = advise(Load {
            events_per_second: 50.0,
            avg_event_bytes: 800.0,
        });
        assert_eq!(small.recommendation, Recommendation::OnDemand);
        assert_eq!(small.recommendation.to_string(), "on-demand");
        let big = advise(Load {
            events_per_second: 20_000.0,
            avg_event_bytes: 800.0,
        });
        assert_eq!(
            big.recommendation,
            Recommendation::Provisioned { shards: 29 }
        );
        assert_eq!(big.recommendation.to_string(), "provisioned, 29 shards");
        assert!(advise(Load {
            events_per_second: 1e6,
            avg_event_bytes: 800.0
        })
        .why
        .contains("quota"));
    }

    #[test]
    fn fit_compares_capacity_to_load() {
        let one = Capacity::Provisioned(ShardCount::parse("x", "1").unwrap());
        assert!(
            !fits(
                one,
                1,
                Load {
                    events_per_second: 2_000.0,
                    avg_event_bytes: 100.0
                }
            )
            .0
        );
        assert!(
            fits(
                Capacity::OnDemand,
                4,
                Load {
                    events_per_second: 2_000.0,
                    avg_event_bytes: 100.0
                }
            )
            .0
        );
    }

    fn load(events_per_second: f64, avg_event_bytes: f64) -> Load {
        Load {
            events_per_second,
            avg_event_bytes,
        }
    }

    fn provisioned(n: &str) -> Capacity {
        Capacity::Provisioned(ShardCount::parse("--shards", n).unwrap())
    }

    #[test]
    fn capacities_read_as_people_say_them() {
        assert_eq!(Capacity::OnDemand.to_string(), "on-demand");
        assert_eq!(provisioned("1").to_string(), "provisioned, 1 shard");
        assert_eq!(provisioned("3").to_string(), "provisioned, 3 shards");
        let advice = advise_without_estimate();
        assert_eq!(advice.recommendation, Recommendation::OnDemand);
        assert_eq!(
            advice.to_string(),
            "on-demand: with no estimate, on-demand is the safe choice: it scales by itself"
        );
    }

    #[test]
    fn every_load_needs_at_least_one_shard_each_taking_seventy_percent() {
        // An idle load still needs a shard; 700 records/s fill one shard's 70 %, 701 spill.
        assert_eq!(load(0.0, 0.0).shards_needed(), 1);
        assert_eq!(load(700.0, 1.0).shards_needed(), 1);
        assert_eq!(load(701.0, 1.0).shards_needed(), 2);
        // Bytes: 1 MiB/s at 70 % per shard. 100 events/s of 7,340 bytes is 0.7 MiB/s; 7,400 spills.
        assert_eq!(load(100.0, 7_340.0).shards_needed(), 1);
        assert_eq!(load(100.0, 7_400.0).shards_needed(), 2);
    }

    #[test]
    fn on_demand_while_its_starting_capacity_takes_the_load() {
        // 2,500 events/s need 4 shards: on-demand's start. 3,000 need 5: provisioned.
        assert_eq!(
            advise(load(2_500.0, 100.0)).recommendation,
            Recommendation::OnDemand
        );
        let five = advise(load(3_000.0, 100.0));
        assert_eq!(
            five.recommendation,
            Recommendation::Provisioned { shards: 5 }
        );
        assert!(
            five.why.contains("needs 5 shards at 70 % load"),
            "{}",
            five.why
        );
    }

    #[test]
    fn beyond_the_default_quota_the_advice_is_to_raise_it_first() {
        // 349,650 events/s need exactly 500 shards: within the quota. 350,001 need 501.
        let at = advise(load(349_650.0, 1.0));
        assert_eq!(
            at.recommendation,
            Recommendation::Provisioned { shards: 500 }
        );
        assert!(!at.why.contains("quota"), "{}", at.why);
        let over = advise(load(350_001.0, 1.0));
        assert_eq!(
            over.recommendation,
            Recommendation::Provisioned { shards: 501 }
        );
        assert!(
            over.why.contains("above the default quota of 500"),
            "{}",
            over.why
        );
    }

    #[test]
    fn a_stream_takes_what_its_open_shards_take() {
        let shard = (RECORDS_PER_SHARD, BYTES_PER_SHARD);
        let times = |n: f64| (n * shard.0, n * shard.1);
        // On-demand: at least its 4 MB/s start, more once it has scaled out.
        assert_eq!(limits(Capacity::OnDemand, 0), times(4.0));
        assert_eq!(limits(Capacity::OnDemand, 10), times(10.0));
        assert_eq!(limits(Capacity::OnDemand, 10), (10_000.0, 10_485_760.0));
        // Provisioned: its count, or more while a resharding has more shards open.
        assert_eq!(limits(provisioned("3"), 1), times(3.0));
        assert_eq!(limits(provisioned("3"), 5), times(5.0));
    }

    #[test]
    fn a_load_fits_exactly_when_the_shards_suffice() {
        // 1,400 events/s need 2 shards.
        let (ok, why) = fits(provisioned("2"), 2, load(1_400.0, 100.0));
        assert!(ok, "{why}");
        assert_eq!(
            why,
            "provisioned with 2 shard(s) takes 1400 events/s of 100 bytes"
        );
        let (ok, why) = fits(provisioned("1"), 1, load(1_400.0, 100.0));
        assert!(!ok);
        assert_eq!(why, "provisioned with 1 shard(s) is short of 1400 events/s of 100 bytes (needs 2 shards' worth): events beyond capacity are lost");
        // Open shards count: an on-demand stream scaled to 6 takes what 6 take.
        assert!(!fits(Capacity::OnDemand, 0, load(3_000.0, 100.0)).0);
        assert!(fits(Capacity::OnDemand, 6, load(3_000.0, 100.0)).0);
        assert!(fits(provisioned("1"), 5, load(3_000.0, 100.0)).0);
    }
}
