//! The rules' tables: each row's verdicts over the states it can meet.

mod half_tests {
    use crate::checks::*;
    use crate::state::Halves;

    #[test]
    fn skipped_rows_name_the_other_half_and_never_fail() {
        let aws = skipped_rows(Halves::AwsOnly, true, "buzz-kinesis check --buzz-only ...");
        let ids: Vec<_> = aws.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["buzz.target", "buzz.probe"]);
        assert!(aws.iter().all(|c| c.status == Status::Skip));
        assert!(aws[0].fix.as_deref().unwrap().contains("--buzz-only"));
        assert!(!any_failed(&aws));
        let buzz = skipped_rows(Halves::BuzzOnly, true, "x");
        assert!(
            buzz.iter().any(|c| c.id == "role.exists")
                && !buzz.iter().any(|c| c.id == "buzz.probe")
        );
        assert!(skipped_rows(Halves::Both, true, "x").is_empty());
        assert_eq!(serde_json::to_value(Status::Skip).unwrap(), "skip");
    }
}

mod rows {
    use crate::buzz::wire::KinesisTarget;
    use crate::checks::*;
    use serde_json::json;
    use serde_json::{Map, Value};

    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    fn wanted() -> KinesisTarget {
        crate::parts::fixtures::desired_buzz(true).target
    }

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn saved(enabled: bool) -> Value {
        json!({"title": "Kinesis: buzz-events", "enabled": enabled, "targetKinesisStream": "buzz-events",
               "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
    }

    #[test]
    fn probe_verdicts() {
        let cfg = config(json!({"kinesis": [saved(true)]}));
        assert!(probe_precondition(&wanted(), &cfg, true).is_none());
        assert!(probe_precondition(&wanted(), &cfg, false).is_some());
        assert!(probe_precondition(&wanted(), &Map::new(), true).is_some());
        assert_eq!(probe_arrived("g", "s", 1.25).status, Status::Pass);
        assert!(
            crate::text::unmark(&probe_test_failed("X", "m", Some("e1"), "h".into()).message)
                .ends_with("(errorId e1)")
        );
        assert!(probe_timed_out("s", 30).message.contains("30 s"));
    }

    /// Scripts match on the ids: each has one stable string, and no two share one.
    #[test]
    fn check_ids_are_stable_strings() {
        // The parts' own rows (`CheckId::Part`) among the rest, every id once.
        let mut names: Vec<&str> = CheckId::ALL.iter().map(|id| id.as_str()).collect();
        names.extend(crate::parts::row_ids());
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "alarm",
                "archive.bucket",
                "archive.delivery",
                "archive.errors",
                "archive.metrics",
                "archive.objects",
                "archive.role",
                "buzz.answer",
                "buzz.delivery",
                "buzz.probe",
                "buzz.target",
                "buzz.tree",
                "role.exists",
                "role.max_session",
                "role.policy",
                "role.trust",
                "stream.capacity",
                "stream.consumers",
                "stream.encryption",
                "stream.exists",
                "stream.headroom",
                "stream.metrics",
                "stream.refused",
                "stream.retention",
                "stream.traffic",
                "stream.writers",
            ]
        );
        assert_eq!(
            crate::parts::row_ids(),
            ["archive.bucket", "archive.role", "archive.delivery"]
        );
        assert_eq!(format!("{:<14}|", CheckId::Alarm), "alarm         |");
        assert_eq!(
            serde_json::to_value(CheckId::RoleTrust).unwrap(),
            "role.trust"
        );
    }

    /// Only a failed row fails the run: warnings and rows a half skipped do not.
    #[test]
    fn only_a_failed_row_fails_the_check() {
        let fine = [
            pass(CheckId::StreamExists, "ok"),
            warn(CheckId::StreamEncryption, "not encrypted", "encrypt it"),
            skip(CheckId::BuzzTarget, "not checked", "the other half"),
        ];
        assert!(!any_failed(&fine));
        let mut broken = fine.to_vec();
        broken.push(fail(CheckId::RoleTrust, "a stranger", "narrow it"));
        assert!(any_failed(&broken));
    }
}

/// The lost-event watch's rows over CloudWatch windows, and the alarm's.
mod watch_rows {
    use crate::checks::*;
    use crate::metrics::Metric;
    use crate::names::{RetentionHours, ShardCount};
    use crate::sizing::Capacity;
    use crate::state::{AlarmState, StreamState, StreamStatus};
    use std::collections::BTreeMap;

    /// metrics' six-hour window of minute periods, read as check reads it.
    fn window(points: &[(Metric, i64, f64)]) -> MetricsObserved {
        MetricsObserved::Window(crate::metrics::tests::window(points), "6 h".into())
    }

    fn stream(capacity: Capacity, open_shards: u32) -> StreamState {
        StreamState {
            arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events".into(),
            status: StreamStatus::Active,
            capacity: Some(capacity),
            open_shards,
            retention: RetentionHours::DEFAULT,
            kms_key: None,
            tags: BTreeMap::new(),
        }
    }

    fn one_shard() -> StreamState {
        stream(
            Capacity::Provisioned(ShardCount::parse("x", "1").unwrap()),
            1,
        )
    }

    fn row(rows: &[Check], id: CheckId) -> &Check {
        rows.iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    /// 900 records/s of 3,000 bytes in the minute at 00:10.
    const BUSY: [(Metric, i64, f64); 2] = [
        (Metric::IncomingRecords, 600, 54_000.0),
        (Metric::IncomingBytes, 600, 162_000_000.0),
    ];

    #[test]
    fn refused_writes_fail_with_when_they_happened_and_the_capacity_to_set() {
        let mut points = BUSY.to_vec();
        points.push((Metric::WriteThrottled, 600, 5.0));
        points.push((Metric::WriteThrottled, 1200, 2.0));
        let rows = metrics_rows(&window(&points), Some(&one_shard()), true);
        let refused = row(&rows, CheckId::StreamRefused);
        assert_eq!(refused.status, Status::Fail);
        assert!(
            refused
                .message
                .contains("refused 7 write(s) in the last 6 h")
                && refused
                    .message
                    .contains("between 1970-01-01T00:10:00Z and 1970-01-01T00:20:00Z"),
            "{}",
            refused.message
        );
        assert_eq!(
            refused.detail[0],
            "records per hour, oldest first (1970-01-01T00:00:00Z to 1970-01-01T06:00:00Z):"
        );
        assert!(refused
            .detail
            .iter()
            .any(|l| l.contains("! = writes refused")));
        // The peak fits an on-demand stream: the fix names it, with the measured event size.
        let fix = refused.fix.as_deref().unwrap();
        assert!(
            fix.contains("--capacity-mode on-demand") && fix.contains("of 3000 bytes"),
            "{fix}"
        );
        // 900 records/s of 3 KB is 2.7 MB/s against one shard's 1 MB/s.
        assert_eq!(row(&rows, CheckId::StreamHeadroom).status, Status::Warn);
        assert_eq!(row(&rows, CheckId::StreamTraffic).status, Status::Pass);
    }

    #[test]
    fn one_refused_minute_is_named_and_on_demand_is_told_to_provision_for_the_peak() {
        let mut points = BUSY.to_vec();
        points.push((Metric::WriteThrottled, 600, 5.0));
        let on_demand = stream(Capacity::OnDemand, 4);
        let rows = metrics_rows(&window(&points), Some(&on_demand), true);
        let refused = row(&rows, CheckId::StreamRefused);
        assert!(
            refused.message.contains("at 1970-01-01T00:10:00Z"),
            "{}",
            refused.message
        );
        let fix = refused.fix.as_deref().unwrap();
        assert!(
            fix.contains("on-demand throttles when traffic doubles")
                && fix.contains("--capacity-mode provisioned --shards 4"),
            "{fix}"
        );
        // Without a byte count, a record is taken to be 1,000 bytes.
        let points = [
            (Metric::IncomingRecords, 600, 54_000.0),
            (Metric::WriteThrottled, 600, 5.0),
        ];
        let rows = metrics_rows(&window(&points), Some(&one_shard()), true);
        let fix = row(&rows, CheckId::StreamRefused).fix.clone().unwrap();
        assert!(fix.contains("of 1000 bytes"), "{fix}");
        // Far above what on-demand starts with: provisioned, with the shards it needs.
        let points = [
            (Metric::IncomingRecords, 600, 600_000.0),
            (Metric::WriteThrottled, 600, 5.0),
        ];
        let rows = metrics_rows(&window(&points), Some(&one_shard()), true);
        let fix = row(&rows, CheckId::StreamRefused).fix.clone().unwrap();
        assert!(
            fix.contains("--capacity-mode provisioned --shards 15"),
            "{fix}"
        );
    }

    #[test]
    fn a_quiet_healthy_window_passes_and_no_traffic_warns_only_while_buzz_is_enabled() {
        let light = [(Metric::IncomingRecords, 600, 60.0)];
        let rows = metrics_rows(&window(&light), Some(&one_shard()), true);
        assert_eq!(row(&rows, CheckId::StreamRefused).status, Status::Pass);
        assert!(!row(&rows, CheckId::StreamRefused)
            .detail
            .iter()
            .any(|l| l.contains("refused")));
        assert_eq!(row(&rows, CheckId::StreamHeadroom).status, Status::Pass);
        let traffic = row(&rows, CheckId::StreamTraffic);
        assert_eq!(traffic.status, Status::Pass);
        assert!(
            traffic.message.starts_with("60 record(s) arrived"),
            "{}",
            traffic.message
        );

        let rows = metrics_rows(&window(&[]), Some(&one_shard()), true);
        assert_eq!(row(&rows, CheckId::StreamTraffic).status, Status::Warn);
        let rows = metrics_rows(&window(&[]), Some(&one_shard()), false);
        assert!(rows.iter().all(|c| c.id != CheckId::StreamTraffic));

        assert!(metrics_rows(&MetricsObserved::Skipped, None, true).is_empty());
        let denied = MetricsObserved::Unavailable {
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        let rows = metrics_rows(&denied, None, true);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].id, rows[0].status),
            (CheckId::StreamMetrics, Status::Warn)
        );
    }

    #[test]
    fn the_alarm_row_over_its_states() {
        let alarm = |state: &str| AlarmState {
            name: "buzz-kinesis-buzz-events-refused-writes".into(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x".into(),
            state: state.into(),
            metric: "WriteProvisionedThroughputExceeded".into(),
            threshold: 0.0,
            period: 60,
            actions: vec![],
            tags: BTreeMap::new(),
        };
        let status =
            |a: Option<&AlarmState>, asked: bool| alarm_rows(a, asked, "buzz-events")[0].status;
        assert_eq!(status(None, true), Status::Fail);
        assert_eq!(status(None, false), Status::Warn);
        assert_eq!(status(Some(&alarm("ALARM")), false), Status::Fail);
        assert_eq!(status(Some(&alarm("OK")), true), Status::Pass);
        let pending = alarm_rows(Some(&alarm("")), true, "buzz-events");
        assert!(
            pending[0].message.contains("no state yet"),
            "{}",
            pending[0].message
        );
        // The part's fix for a missing alarm is check's own "run setup again".
        let missing = &alarm_rows(None, true, "buzz-events")[0];
        assert_eq!(missing.id, CheckId::Alarm);
        assert_eq!(missing.fix.as_deref(), Some(SETUP_FIX));
    }
}

mod tree_tests {
    use crate::buzz::wire::DomainRecord;
    use crate::checks::*;

    fn school(id: &str) -> DomainRecord {
        DomainRecord {
            id: id.into(),
            name: format!("School {id}"),
            userspace: format!("s{id}"),
            parent_id: Some("424242".into()),
        }
    }

    fn sample(by: &[(&str, u64)]) -> WritersObserved {
        let mut writers = crate::events::Writers::default();
        for (d, n) in by {
            writers.by_domain.insert((*d).into(), *n);
            writers.events += n;
        }
        WritersObserved::Sample {
            writers,
            truncated: false,
            label: "hour".into(),
        }
    }

    fn district() -> Expected {
        Expected {
            named: vec!["424242".into()],
            descendants: vec!["500001".into(), "500002".into(), "500003".into()],
        }
    }

    #[test]
    fn the_subtrees_events_are_yours_and_only_outsiders_are_foreign() {
        let ours = sample(&[("424242", 2), ("500001", 3), ("500002", 1), ("500003", 4)]);
        let row = &writer_rows(&ours, &district())[0];
        assert_eq!(row.status, Status::Pass, "{row:?}");
        assert!(
            crate::text::unmark(&row.message).contains("424242 or its 3 descendant domain(s)"),
            "{}",
            row.message
        );
        assert_eq!(row.data.as_ref().unwrap()["descendants"], 3);

        let outsider = sample(&[("424242", 2), ("500001", 3), ("777777", 2)]);
        let row = &writer_rows(&outsider, &district())[0];
        assert_eq!(row.status, Status::Warn);
        assert!(
            crate::text::unmark(&row.message).contains("777777 (2 event(s))"),
            "{}",
            row.message
        );
        assert!(
            !crate::text::unmark(&row.message).contains("500001 ("),
            "{}",
            row.message
        );

        // Without the subtree (the flat rule), a school is foreign.
        let flat = Expected {
            named: vec!["424242".into()],
            descendants: Vec::new(),
        };
        let row = &writer_rows(&ours, &flat)[0];
        assert_eq!(row.status, Status::Warn);
        assert!(
            crate::text::unmark(&row.message).contains("500001"),
            "{}",
            row.message
        );
    }

    /// A row's message as a person reads it (without the outside-text marks).
    fn said(row: &Check) -> String {
        crate::text::unmark(&row.message)
    }

    #[test]
    fn with_no_domain_named_any_one_domain_passes_and_a_second_one_warns() {
        // The configured domain is a `//userspace` path whose numeric id could not be read:
        // whichever one domain writes may be the user's, but two cannot both be.
        let unnamed = Expected::default();
        let one = &writer_rows(&sample(&[("424242", 3)]), &unnamed)[0];
        assert_eq!(one.status, Status::Pass, "{one:?}");
        assert_eq!(
            said(one),
            "3 event(s) sampled from the last hour: every one from domain 424242"
        );
        let two = &writer_rows(&sample(&[("424242", 3), ("777777", 1)]), &unnamed)[0];
        assert_eq!(two.status, Status::Warn, "{two:?}");
        assert!(
            said(two).contains(
                "events from domain(s) other than one domain: 424242 (3 event(s)), 777777 (1 event(s))"
            ),
            "{}",
            two.message
        );
        // Nothing sampled: nobody to suspect.
        let none = &writer_rows(&sample(&[]), &unnamed)[0];
        assert_eq!(none.status, Status::Pass, "{none:?}");
        assert_eq!(said(none), "0 event(s) sampled from the last hour");
    }

    #[test]
    fn record_lines_that_are_not_buzz_events_are_said_only_when_there_are_some() {
        let mut read = sample(&[("424242", 2)]);
        let clean = &writer_rows(&read, &district())[0];
        assert!(
            !said(clean).contains("not Buzz events"),
            "{}",
            clean.message
        );
        if let WritersObserved::Sample { writers, .. } = &mut read {
            writers.not_buzz = 1;
        }
        let row = &writer_rows(&read, &district())[0];
        assert_eq!(row.status, Status::Pass, "{row:?}");
        assert!(
            said(row).ends_with("; 1 record line(s) were not Buzz events"),
            "{}",
            row.message
        );
        assert_eq!(row.data.as_ref().unwrap()["not_buzz"], 1);
    }

    #[test]
    fn the_tree_row_counts_descendants_or_says_why_not() {
        let listed = SubtreeObserved::Listed {
            domain: "424242".into(),
            descendants: vec![school("500001"), school("500002")],
            cut: false,
        };
        let row = &subtree_rows(&listed)[0];
        assert_eq!((row.id, row.status), (CheckId::BuzzTree, Status::Pass));
        assert!(
            crate::text::unmark(&row.message).contains("has 2 descendant domain(s)"),
            "{}",
            row.message
        );
        assert_eq!(row.detail.len(), 2);
        assert_eq!(
            row.data.as_ref().unwrap()["ids"],
            serde_json::json!(["500001", "500002"])
        );
        assert_eq!(listed.ids(), ["500001", "500002"]);

        let none = SubtreeObserved::Listed {
            domain: "424242".into(),
            descendants: vec![],
            cut: false,
        };
        assert!(
            crate::text::unmark(&subtree_rows(&none)[0].message).contains("no descendant domains")
        );

        let cut = SubtreeObserved::Listed {
            domain: "424242".into(),
            descendants: vec![school("500001")],
            cut: true,
        };
        assert_eq!(subtree_rows(&cut)[0].status, Status::Warn);

        let denied = SubtreeObserved::Denied {
            domain: "424242".into(),
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        let rows = subtree_rows(&denied);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, Status::Warn);
        assert!(
            crate::text::unmark(&rows[0].message).contains("AccessDenied"),
            "{}",
            rows[0].message
        );
        assert!(denied.ids().is_empty());
    }

    fn dest() -> crate::buzz::wire::Destination {
        crate::buzz::wire::Destination {
            region: "us-east-1".into(),
            stream: "buzz-events".into(),
            account: "123456789012".into(),
        }
    }

    /// A configuration of `id` as read: with a target writing to [`dest`], or none.
    fn config_of(
        id: &str,
        relation: crate::plan::tree::Relation,
        writes: bool,
    ) -> crate::plan::tree::TreeConfig {
        let v = if writes {
            serde_json::json!({"kinesis": [{"title": "the school's", "enabled": true,
                "targetKinesisStream": "buzz-events", "targetRegion": "us-east-1",
                "roleArn": "arn:aws:iam::123456789012:role/BuzzKinesisWriter"}]})
        } else {
            serde_json::json!({})
        };
        crate::plan::tree::TreeConfig {
            domain: school(id),
            relation,
            config: Ok(v.as_object().unwrap().clone()),
        }
    }

    fn tree(configs: Vec<crate::plan::tree::TreeConfig>) -> crate::plan::tree::TreeObserved {
        crate::plan::tree::TreeObserved {
            configs,
            unlisted: Vec::new(),
        }
    }

    #[test]
    fn one_delivery_across_the_tree_fails_on_a_second_target_and_warns_on_what_was_not_read() {
        use crate::plan::tree::{Relation, TreeConfig};
        let clean = tree(vec![config_of("500001", Relation::Descendant, false)]);
        let row = &delivery_rows("424242", &dest(), true, &clean)[0];
        assert_eq!((row.id, row.status), (CheckId::BuzzDelivery, Status::Pass));
        assert_eq!(
            said(row),
            "no other target in the tree (0 ancestor(s), 1 descendant(s) read) writes to stream buzz-events: each event arrives once"
        );

        let doubled = tree(vec![
            config_of("500001", Relation::Descendant, true),
            config_of("500002", Relation::Descendant, false),
        ]);
        let row = &delivery_rows("424242", &dest(), true, &doubled)[0];
        assert_eq!(row.status, Status::Fail);
        let m = said(row);
        assert!(
            m.contains("every event of domain 500001 (School 500001) arrives twice"),
            "{m}"
        );
        // One double delivery is the message itself: nothing listed below it.
        assert!(row.detail.is_empty(), "{:?}", row.detail);
        // Our target not saved: the school's delivers once, and is named.
        let row = &delivery_rows("424242", &dest(), false, &doubled)[0];
        assert_eq!(row.status, Status::Pass);
        assert_eq!(
            said(row),
            "this domain has no target saved to stream buzz-events, and domain 500001 (School 500001) delivers there: its events arrive once"
        );

        let unread = tree(vec![TreeConfig {
            domain: school("424242"),
            relation: Relation::Ancestor,
            config: Err(("AccessDenied".into(), "no".into())),
        }]);
        let row = &delivery_rows("500001", &dest(), true, &unread)[0];
        assert_eq!(row.status, Status::Warn, "never a silent pass");
        assert!(said(row).contains("could not be read"));
    }

    #[test]
    fn the_delivery_row_counts_the_configurations_read_on_each_side() {
        use crate::plan::tree::Relation;
        let t = tree(vec![
            config_of("424242", Relation::Ancestor, false),
            config_of("400000", Relation::Ancestor, false),
            config_of("600001", Relation::Descendant, false),
        ]);
        let row = &delivery_rows("500001", &dest(), true, &t)[0];
        assert_eq!(row.status, Status::Pass);
        assert!(
            said(row).contains("(2 ancestor(s), 1 descendant(s) read)"),
            "{}",
            row.message
        );
        let data = row.data.as_ref().unwrap();
        assert_eq!(
            (&data["ancestors_read"], &data["descendants_read"]),
            (&2.into(), &1.into())
        );
    }

    #[test]
    fn several_double_deliveries_are_one_failure_listing_each_and_what_was_not_read() {
        use crate::plan::tree::{Relation, TreeConfig};
        let mut t = tree(vec![
            config_of("500001", Relation::Descendant, true),
            config_of("500002", Relation::Descendant, true),
            config_of("500003", Relation::Descendant, true),
        ]);
        t.configs.push(TreeConfig {
            domain: school("400000"),
            relation: Relation::Ancestor,
            config: Err(("AccessDenied".into(), "no".into())),
        });
        let row = &delivery_rows("424242", &dest(), true, &t)[0];
        assert_eq!(row.status, Status::Fail);
        assert!(
            said(row).ends_with("(and 2 more double deliveries, listed below)"),
            "{}",
            row.message
        );
        let detail: Vec<String> = row.detail.iter().map(|l| crate::text::unmark(l)).collect();
        assert_eq!(detail.len(), 4, "{detail:?}");
        assert!(detail[2].contains("every event of domain 500003 (School 500003) arrives twice"));
        assert_eq!(
            detail[3],
            "not read: domain 400000 (School 400000) (AccessDenied)"
        );
    }

    #[test]
    fn the_tree_row_names_five_descendants_and_counts_the_others() {
        let listed = |n: u32| SubtreeObserved::Listed {
            domain: "424242".into(),
            descendants: (0..n).map(|i| school(&(500001 + i).to_string())).collect(),
            cut: false,
        };
        let five = &subtree_rows(&listed(5))[0];
        assert_eq!(five.detail.len(), 5, "{:?}", five.detail);
        let seven = &subtree_rows(&listed(7))[0];
        assert_eq!(seven.detail.len(), 6, "{:?}", seven.detail);
        assert_eq!(seven.detail[5], "and 2 more");
    }
}
