//! The Buzz target's part: its plan in one domain's configuration (each change's line, marker,
//! JSON before and after, its notes), what teardown does with it in one domain, what changed
//! meanwhile besides ours, and its check rows over the configurations they meet. (The plan as a whole, with the tree and the outcome, is
//! tested in `plan/`; teardown's whole plan in `teardown_plan.rs`.)

use serde_json::{json, Map, Value};

use super::*;
use crate::checklist::fixtures::verdicts;
use crate::checklist::Status;
use crate::names::EventFilter;
use crate::parts::fixtures::kinds;

use crate::parts::fixtures::{desired_buzz as desired, ROLE_ARN};

/// Our target as Buzz holds it once setup saved it.
fn ours() -> Value {
    json!({"title": "Kinesis: buzz-events", "enabled": true, "targetKinesisStream": "buzz-events",
           "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
}

fn config(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn dest() -> Destination {
    desired(true).target.destination()
}

fn domain(id: &str) -> DomainId {
    DomainId::parse("--domain", id).unwrap()
}

/// The plan's one action, with its line read without the outside-text marks.
fn only(p: &Planned<BuzzAction>) -> (&BuzzAction, String) {
    let [a] = &p.actions[..] else { panic!("{p:?}") };
    (a, crate::text::unmark(&a.describe()))
}

#[test]
fn a_domain_without_ours_gets_it_added_tested_and_enabled() {
    for config in [None, Some(Map::new())] {
        let p = plan(&desired(true), config.as_ref());
        assert_eq!(kinds(&p), ["register_buzz_target"]);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        let (a, line) = only(&p);
        assert_eq!(
            line,
            "add the kinesis target to domain 424242, test it, enable it"
        );
        assert!(a.is_create());
        assert!(!a.only_tests());
        assert_eq!(a.domain().as_str(), "424242");
        let (before, after) = a.before_after();
        assert_eq!(before, Value::Null);
        assert_eq!(after, ours());
        let BuzzAction::RegisterBuzzTarget { config, merged, .. } = a;
        assert_eq!(Value::Object(config.clone()), json!({"kinesis": [ours()]}));
        assert!(merged.is_empty());
        // No duplicate: the JSON has no `merged`, and never the configuration.
        let shown = serde_json::to_value(a).unwrap();
        assert!(
            shown.get("merged").is_none() && shown.get("config").is_none(),
            "{shown}"
        );
    }
}

#[test]
fn ours_as_wanted_is_left_alone() {
    let found = config(json!({"kinesis": [ours()], "https": [{"title": "LMS"}]}));
    assert_eq!(plan(&desired(true), Some(&found)), Planned::default());
}

#[test]
fn ours_changed_is_updated_in_place_and_every_other_target_kept() {
    let mut disabled = ours();
    disabled["enabled"] = json!(false);
    disabled["futureField"] = json!(1);
    let hook = json!({"title": "LMS webhook", "enabled": true});
    let found = config(json!({"https": [hook.clone()], "kinesis": [disabled.clone()]}));
    let p = plan(&desired(true), Some(&found));
    let (a, line) = only(&p);
    assert_eq!(
        line,
        "update the kinesis target of domain 424242, test it, enable it"
    );
    assert!(!a.is_create());
    let (before, after) = a.before_after();
    assert_eq!(before, disabled);
    assert_eq!(after["enabled"], json!(true));
    assert_eq!(after["futureField"], json!(1), "a key we do not know stays");
    let BuzzAction::RegisterBuzzTarget { config, .. } = a;
    assert_eq!(config["https"], json!([hook]));
    assert_eq!(
        p.notes,
        ["the domain's 1 other data stream target(s) are kept exactly as they are"]
    );
}

#[test]
fn duplicates_writing_to_our_stream_are_removed_and_said() {
    let mut twin = ours();
    twin["title"] = json!("a copy");
    let found = config(json!({"kinesis": [ours(), twin]}));
    let p = plan(&desired(true), Some(&found));
    let (a, line) = only(&p);
    assert_eq!(
        line,
        "update the kinesis target of domain 424242 and remove 1 duplicate(s) writing to the same stream, test it, enable it"
    );
    let BuzzAction::RegisterBuzzTarget { config, merged, .. } = a;
    assert_eq!(Value::Object(config.clone()), json!({"kinesis": [ours()]}));
    let copy = format!("\"a copy\" to buzz-events with role {ROLE_ARN}");
    let unmarked: Vec<String> = merged.iter().map(|m| crate::text::unmark(m)).collect();
    assert_eq!(unmarked, std::slice::from_ref(&copy));
    // The JSON names them too.
    assert_eq!(
        serde_json::to_value(a).unwrap()["merged"],
        json!([merged[0]])
    );
    let notes: Vec<String> = p.notes.iter().map(|n| crate::text::unmark(n)).collect();
    assert_eq!(
        notes,
        [format!("2 targets write to stream buzz-events today, so Buzz delivers every event 2 times; setup keeps the first and removes {copy}")]
    );
}

#[test]
fn no_enable_tests_without_saving_and_leaves_an_enabled_target_alone() {
    let p = plan(&desired(false), None);
    let (a, line) = only(&p);
    assert_eq!(
        line,
        "test the kinesis target with Buzz (domain 424242; --no-enable: nothing saved)"
    );
    assert!(a.only_tests());
    assert!(!a.is_create(), "a test saves nothing, so makes nothing");
    // Tested disabled: a target the domain does not have is never shown as enabled.
    assert_eq!(a.before_after().1["enabled"], json!(false));
    // Saved and enabled already: the test would change nothing.
    let found = config(json!({"kinesis": [ours()]}));
    assert!(plan(&desired(false), Some(&found)).actions.is_empty());
    // Saved disabled and changed: tested as it would be, still disabled.
    let mut old = ours();
    old["enabled"] = json!(false);
    old["title"] = json!("old title");
    let found = config(json!({"kinesis": [old]}));
    let p = plan(&desired(false), Some(&found));
    let (a, _) = only(&p);
    assert_eq!(a.before_after().1["enabled"], json!(false));
    assert_eq!(a.before_after().1["title"], json!("Kinesis: buzz-events"));
}

fn removal(duplicates: usize, others: usize, cleared: bool, target: Value) -> TargetRemoval {
    TargetRemoval::RemoveBuzzTarget {
        domain: "424242".into(),
        target,
        duplicates,
        also: 0,
        others,
        cleared,
        config: config(json!({"secret": "not shown"})),
    }
}

#[test]
fn each_removal_reads_as_a_sentence() {
    let table = [
        (removal(0, 2, false, ours()), "remove the kinesis target \"Kinesis: buzz-events\" from domain 424242; its 2 other target(s) stay exactly as they are"),
        (removal(1, 0, true, ours()), "remove the kinesis target \"Kinesis: buzz-events\" and 1 more writing to the same stream from domain 424242: no target is left, so Buzz deletes the configuration"),
        (removal(0, 0, true, json!({})), "remove the kinesis target \"(untitled)\" from domain 424242: no target is left, so Buzz deletes the configuration"),
    ];
    for (r, line) in table {
        assert_eq!(crate::text::unmark(&r.describe()), line);
    }
    // The title is Buzz's, outside text: marked for the renderers, which escape it.
    let title = "a\u{1b}[31m";
    let odd = removal(0, 0, true, json!({ "title": title }));
    let marked = format!("\"{}\"", crate::text::outside(title));
    assert!(odd.describe().contains(&marked), "{:?}", odd.describe());
}

#[test]
fn duplicates_appear_in_json_only_when_there_are_some() {
    let none = serde_json::to_value(removal(0, 0, true, ours())).unwrap();
    assert!(none.get("duplicates").is_none(), "{none}");
    assert!(none.get("config").is_none(), "{none}");
    assert_eq!(none["kind"], json!("remove_buzz_target"));
    let two = serde_json::to_value(removal(2, 0, true, ours())).unwrap();
    assert_eq!(two["duplicates"], json!(2));
}

#[test]
fn teardown_removes_ours_and_sends_the_rest_back() {
    let hook = json!({"title": "LMS", "endpoints": "https://x"});
    let found =
        config(json!({"https": [hook.clone()], "kinesis": [ours()], "futureKey": {"a": 1}}));
    let (r, note) = teardown(&domain("7"), &found, &dest(), &[]).unwrap();
    assert_eq!(note, None);
    assert_eq!(
        r,
        Some(TargetRemoval::RemoveBuzzTarget {
            domain: "7".into(),
            target: ours(),
            duplicates: 0,
            also: 0,
            others: 1,
            cleared: false,
            config: config(json!({"https": [hook], "futureKey": {"a": 1}})),
        })
    );
    // Ours alone: nothing is left, so Buzz deletes the configuration (unknown keys kept).
    let found = config(json!({"kinesis": [ours()], "futureKey": 1}));
    let (r, _) = teardown(&domain("7"), &found, &dest(), &[]).unwrap();
    let Some(TargetRemoval::RemoveBuzzTarget {
        cleared,
        others,
        config: left,
        ..
    }) = r
    else {
        panic!("{r:?}")
    };
    assert!(cleared);
    assert_eq!(others, 0);
    assert_eq!(Value::Object(left), json!({"futureKey": 1}));
}

#[test]
fn teardown_takes_duplicates_with_ours_naming_the_first() {
    let mut twin = ours();
    twin["title"] = json!("a copy");
    let found = config(json!({"kinesis": [ours(), twin]}));
    let (r, _) = teardown(&domain("7"), &found, &dest(), &[]).unwrap();
    let Some(TargetRemoval::RemoveBuzzTarget {
        target, duplicates, ..
    }) = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(duplicates, 1);
    assert_eq!(target["title"], json!("Kinesis: buzz-events"));
}

#[test]
fn teardown_without_ours_says_only_what_shares_the_stream_name() {
    assert_eq!(
        teardown(&domain("7"), &Map::new(), &dest(), &[]).unwrap(),
        (None, None)
    );
    let elsewhere = json!({"title": "theirs", "targetKinesisStream": "buzz-events", "roleArn": "arn:aws:iam::1:role/O"});
    let unrelated = json!({"title": "x", "targetKinesisStream": "other", "roleArn": ROLE_ARN});
    let found = config(json!({"kinesis": [elsewhere.clone(), elsewhere, unrelated]}));
    assert_eq!(
        teardown(&domain("2"), &found, &dest(), &[]).unwrap(),
        (None, Some("domain 2 has 2 kinesis target(s) for a stream named buzz-events in another region or AWS account; they are not this setup's and stay".into()))
    );
}

#[test]
fn teardown_refuses_targets_under_an_unknown_key() {
    let found = config(json!({"kinesis": [ours()], "kinesisTargets": [{"roleArn": ROLE_ARN}]}));
    let e = teardown(&domain("3"), &found, &dest(), &[]).unwrap_err();
    assert!(
        e.contains("for domain 3 ")
            && e.contains("kinesisTargets")
            && e.contains("changes nothing"),
        "{e}"
    );
}

#[test]
fn a_change_to_other_targets_meanwhile_is_named_and_one_to_ours_is_not() {
    let dest = dest();
    let hook = json!({"title": "LMS webhook", "enabled": true});
    let before = json!({"kinesis": [ours()], "https": [hook.clone()]});
    let before = before.as_object().unwrap();
    assert!(changed_meanwhile(before, before, &dest, &[]).is_empty());
    let mut ours_disabled = ours();
    ours_disabled["enabled"] = json!(false);
    let only_ours = json!({"kinesis": [ours_disabled], "https": [hook.clone()]});
    assert!(changed_meanwhile(before, only_ours.as_object().unwrap(), &dest, &[]).is_empty());
    let other = json!({"title": "Analytics", "targetKinesisStream": "analytics",
        "roleArn": "arn:aws:iam::555555555555:role/A", "targetRegion": "us-east-1"});
    let added = json!({"kinesis": [ours(), other], "https": [hook.clone()]});
    let changes = changed_meanwhile(before, added.as_object().unwrap(), &dest, &[]);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        crate::text::unmark(&changes[0]).contains("\"Analytics\" to analytics"),
        "{changes:?}"
    );
    assert!(changes[0].ends_with("was added"));
    let mut hook2 = hook.clone();
    hook2["enabled"] = json!(false);
    let changed = json!({"kinesis": [ours()], "https": [hook2]});
    let changes = changed_meanwhile(before, changed.as_object().unwrap(), &dest, &[]);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].ends_with("was changed"), "{changes:?}");
    let removed = json!({"kinesis": [ours()]});
    let changes = changed_meanwhile(before, removed.as_object().unwrap(), &dest, &[]);
    assert!(changes[0].ends_with("was removed"), "{changes:?}");
}

#[test]
fn reordered_targets_and_other_keys_meanwhile_are_named() {
    let dest = dest();
    let (a, b) = (json!({"title": "A"}), json!({"title": "B"}));
    let before = config(json!({"https": [a.clone(), b.clone()], "futureKey": 1}));
    let after = config(json!({"https": [b, a], "futureKey": 2}));
    let changes: Vec<String> = changed_meanwhile(&before, &after, &dest, &[])
        .iter()
        .map(|c| crate::text::unmark(c))
        .collect();
    assert_eq!(
        changes,
        [
            "the key futureKey changed",
            "the https targets were reordered"
        ]
    );
    let untitled = config(json!({"https": [{"url": "x"}]}));
    let changes = changed_meanwhile(&Map::new(), &untitled, &dest, &[]);
    assert_eq!(changes, ["https target (untitled) was added"]);
}

fn wanted() -> KinesisTarget {
    desired(true).target
}

/// The wanted target with a filter, and `saved` carrying the same filter.
fn w_filters() -> KinesisTarget {
    KinesisTarget {
        filters: vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()],
        ..wanted()
    }
}

fn saved(enabled: bool) -> Value {
    json!({"title": "Kinesis: buzz-events", "enabled": enabled, "targetKinesisStream": "buzz-events",
           "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
}

#[test]
fn buzz_rows_over_states() {
    use Status::*;
    let healthy = buzz_rows(
        "424242",
        &wanted(),
        &config(json!({"kinesis": [saved(true)]})),
    );
    assert_eq!(verdicts(&healthy), [("buzz.target", Pass)]);

    // Missing, but one for the same stream elsewhere is named.
    let elsewhere = json!({"title": "eu", "targetKinesisStream": "buzz-events", "roleArn": ROLE_ARN, "targetRegion": "eu-west-1"});
    let rows = buzz_rows(
        "424242",
        &wanted(),
        &config(json!({"kinesis": [elsewhere]})),
    );
    assert_eq!(verdicts(&rows), [("buzz.target", Fail)]);
    assert!(rows[0].message.contains("it has") && rows[0].message.contains("eu-west-1"));

    let rows = buzz_rows(
        "424242",
        &wanted(),
        &config(json!({"kinesis": [saved(false)]})),
    );
    assert!(rows[0].message.contains("disabled"));

    // Duplicates deliver twice.
    let rows = buzz_rows(
        "424242",
        &wanted(),
        &config(json!({"kinesis": [saved(true), saved(true)]})),
    );
    assert_eq!(rows[0].status, Fail);
    assert!(rows[0].message.contains("delivered 2 times"));

    // Drifted role and filters.
    let mut w = wanted();
    w.filters = vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()];
    let mut drifted = saved(true);
    drifted["roleArn"] = json!("arn:aws:iam::123456789012:role/Other");
    let rows = buzz_rows("424242", &w, &config(json!({"kinesis": [drifted]})));
    assert_eq!(rows[0].status, Fail);
    assert!(
        rows[0].message.contains("it uses role") && rows[0].message.contains("UserEntityCreated"),
        "{}",
        rows[0].message
    );

    // The title and the enabled flag are not drift (the title is the user's to change;
    // disabled is its own message), and a changed role is the role's drift alone.
    let filtered = |enabled: bool| {
        let mut t = saved(enabled);
        t["filter"] = json!([{"eventType": "UserEntityCreated", "properties": ""}]);
        t
    };
    let mut renamed = filtered(true);
    renamed["title"] = json!("Renamed by the district");
    let rows = buzz_rows(
        "424242",
        &w_filters(),
        &config(json!({"kinesis": [renamed]})),
    );
    assert_eq!(
        verdicts(&rows),
        [("buzz.target", Pass)],
        "{}",
        rows[0].message
    );
    let rows = buzz_rows(
        "424242",
        &w_filters(),
        &config(json!({"kinesis": [filtered(false)]})),
    );
    assert!(
        rows[0].message.contains("disabled") && !rows[0].message.contains("filters"),
        "{}",
        rows[0].message
    );
    let mut moved = filtered(true);
    moved["roleArn"] = json!("arn:aws:iam::123456789012:role/Other");
    let rows = buzz_rows("424242", &w_filters(), &config(json!({"kinesis": [moved]})));
    assert!(
        rows[0].message.contains("it uses role") && !rows[0].message.contains("filters"),
        "{}",
        rows[0].message
    );

    // Targets under a key this tool does not know.
    let rows = buzz_rows(
        "424242",
        &wanted(),
        &config(
            json!({"kinesis": [saved(true)], "kinesisStreams": [{"targetKinesisStream": "x"}]}),
        ),
    );
    assert_eq!(
        verdicts(&rows),
        [("buzz.answer", Fail), ("buzz.target", Pass)]
    );
}

/// The enabled flag is no drift: an enabled saved target is judged on its role and filters,
/// whatever flag the wanted target carries (a disabled saved target is its own message).
#[test]
fn the_wanted_targets_enabled_flag_is_no_drift() {
    let off = KinesisTarget {
        enabled: false,
        ..wanted()
    };
    let rows = buzz_rows("424242", &off, &config(json!({"kinesis": [saved(true)]})));
    assert_eq!(
        verdicts(&rows),
        [("buzz.target", Status::Pass)],
        "{}",
        rows[0].message
    );
}

/// The kinesis target's rows alone (no other target of ours).
fn buzz_rows(domain: &str, wanted: &KinesisTarget, config: &Map<String, Value>) -> Vec<Check> {
    super::rows(domain, wanted, &[], config)
}

mod also;

mod exports;
