//! Our other targets, beside the kinesis one: what an add-on Buzz delivers to asks to be kept
//! in each domain's configuration (`AddOn::buzz_target`). No add-on is one today, so a toy
//! queue plays it: the plan keeps it as it keeps ours, setup tests it disabled and saves it
//! enabled, teardown removes it, check judges it, and what changed meanwhile leaves it out.

use std::sync::Arc;

use serde_json::{json, Value};

use super::super::*;
use super::{config, desired, dest, domain, only, ours};
use crate::checklist::fixtures::verdicts;
use crate::checklist::Status::{Fail, Pass};
use crate::parts::fixtures::ROLE_ARN;

/// A queue Buzz delivers to, filed under `sqs`, told by its name; as setup saves it, it names
/// our writer role.
#[derive(Debug)]
struct Queue(&'static str);

impl OurTarget for Queue {
    fn key(&self) -> &'static str {
        "sqs"
    }
    fn is_ours(&self, saved: &Value) -> bool {
        saved.get("targetSqsQueue") == Some(&json!(self.0))
    }
    fn to_json(&self, base: Option<&Value>) -> Value {
        let mut o = base.and_then(Value::as_object).cloned().unwrap_or_default();
        o.insert("targetSqsQueue".into(), json!(self.0));
        o.insert("roleArn".into(), json!(ROLE_ARN));
        Value::Object(o)
    }
    fn is_satisfied_by(&self, saved: &Value) -> bool {
        wire::as_text(saved.get("roleArn")) == ROLE_ARN
    }
    fn describe(&self) -> String {
        format!("the sqs target for queue {}", self.0)
    }
}

/// Our queue as Buzz holds it once saved (`enabled` as given).
fn queue(enabled: bool) -> Value {
    json!({"targetSqsQueue": "q", "roleArn": ROLE_ARN, "enabled": enabled})
}

fn with_queue(save: bool) -> DesiredBuzz {
    DesiredBuzz {
        also: vec![Arc::new(Queue("q"))],
        ..desired(save)
    }
}

fn also_of(a: &BuzzAction) -> &Vec<Value> {
    let BuzzAction::RegisterBuzzTarget { also, .. } = a;
    also
}

fn config_of(a: &BuzzAction) -> Value {
    let BuzzAction::RegisterBuzzTarget { config, .. } = a;
    Value::Object(config.clone())
}

#[test]
fn a_missing_queue_is_added_beside_ours_and_the_line_says_so() {
    let hook = json!({"title": "LMS webhook"});
    let found = config(json!({"https": [hook]}));
    let p = plan(&with_queue(true), Some(&found));
    let (a, line) = only(&p);
    assert_eq!(
        line,
        "add the kinesis target to domain 424242, test it, enable it (with 1 more target(s) of this setup)"
    );
    assert_eq!(also_of(a), &vec![queue(true)]);
    assert_eq!(
        config_of(a),
        json!({"kinesis": [ours()], "https": [hook], "sqs": [queue(true)]})
    );
    // The webhook is the domain's one other target: ours are not counted among them.
    assert_eq!(
        p.notes,
        ["the domain's 1 other data stream target(s) are kept exactly as they are"]
    );
    // Its JSON carries the queue as it is to be saved; without one, no `also` at all.
    assert_eq!(
        serde_json::to_value(a).unwrap()["also"],
        json!([queue(true)])
    );
    let plain = plan(&desired(true), Some(&config(json!({}))));
    assert!(serde_json::to_value(&plain.actions[0])
        .unwrap()
        .get("also")
        .is_none());
}

#[test]
fn ours_and_the_queue_as_saved_make_no_change_and_each_difference_one() {
    let found = |q: Vec<Value>| config(json!({"kinesis": [ours()], "sqs": q}));
    assert!(plan(&with_queue(true), Some(&found(vec![queue(true)])))
        .actions
        .is_empty());
    // Disabled: enabled again, the kinesis target as it is.
    let p = plan(&with_queue(true), Some(&found(vec![queue(false)])));
    let (a, line) = only(&p);
    assert_eq!(also_of(a), &vec![queue(true)]);
    assert_eq!(
        line,
        "update 1 other target(s) of this setup in domain 424242, test them with the kinesis target, enable them"
    );
    assert!(!a.is_create());
    // Another role: rewritten, its unknown keys kept.
    let mut other = queue(true);
    other["roleArn"] = json!("arn:aws:iam::123456789012:role/Old");
    other["batch"] = json!(10);
    let p = plan(&with_queue(true), Some(&found(vec![other])));
    let mut want = queue(true);
    want["batch"] = json!(10);
    assert_eq!(also_of(only(&p).0), &vec![want]);
    // Twice: the first kept in its place, the second removed.
    let theirs = json!({"targetSqsQueue": "theirs"});
    let p = plan(
        &with_queue(true),
        Some(&found(vec![theirs.clone(), queue(true), queue(true)])),
    );
    assert_eq!(config_of(only(&p).0)["sqs"], json!([theirs, queue(true)]));
}

#[test]
fn with_no_enable_a_disabled_queue_stays_disabled_and_an_enabled_one_enabled() {
    let found = |q: Value| config(json!({"kinesis": [ours()], "sqs": [q]}));
    // The kinesis target is enabled and stays so; the queue as it is: nothing to test.
    assert!(plan(&with_queue(false), Some(&found(queue(false))))
        .actions
        .is_empty());
    assert!(plan(&with_queue(false), Some(&found(queue(true))))
        .actions
        .is_empty());
    // Missing: tested disabled, nothing saved.
    let p = plan(
        &with_queue(false),
        Some(&config(json!({"kinesis": [ours()]}))),
    );
    assert_eq!(also_of(only(&p).0), &vec![queue(false)]);
}

#[test]
fn setup_tests_every_target_of_ours_disabled_and_saves_each_enabled() {
    let b = with_queue(true);
    let hook = json!({"title": "LMS webhook", "enabled": true});
    let planned = config(json!({"kinesis": [ours()], "sqs": [queue(true)], "https": [hook]}));
    let mut ours_off = ours();
    ours_off["enabled"] = json!(false);
    assert_eq!(
        Value::Object(b.to_test(&planned)),
        json!({"kinesis": [ours_off], "sqs": [queue(false)], "https": [hook]})
    );
    // Saved into the configuration as it is by then: someone's queue added meanwhile stays.
    let theirs = json!({"targetSqsQueue": "theirs"});
    let now = config(json!({"https": [hook], "sqs": [theirs]}));
    assert_eq!(
        Value::Object(b.to_save(&now)),
        json!({"https": [hook], "sqs": [theirs, queue(true)], "kinesis": [ours()]})
    );
}

#[test]
fn teardown_removes_the_queue_with_ours_and_alone() {
    let also: Vec<Arc<dyn OurTarget>> = vec![Arc::new(Queue("q"))];
    let hook = json!({"title": "LMS webhook"});
    let found =
        config(json!({"kinesis": [ours()], "sqs": [queue(true), queue(true)], "https": [hook]}));
    let (r, note) = teardown(&domain("7"), &found, &dest(), &also).unwrap();
    assert!(note.is_none());
    let r = r.unwrap();
    let TargetRemoval::RemoveBuzzTarget {
        also: more,
        others,
        config: left,
        ..
    } = &r;
    assert_eq!((*more, *others), (2, 1));
    assert_eq!(Value::Object(left.clone()), json!({"https": [hook]}));
    assert_eq!(
        crate::text::unmark(&r.describe()),
        "remove the kinesis target \"Kinesis: buzz-events\" and 2 more target(s) of this setup from domain 7; its 1 other target(s) stay exactly as they are"
    );
    assert_eq!(serde_json::to_value(&r).unwrap()["also"], json!(2));
    // The queue alone: it goes, and the line names no kinesis target.
    let found = config(json!({"sqs": [queue(true)]}));
    let (r, _) = teardown(&domain("7"), &found, &dest(), &also).unwrap();
    let r = r.unwrap();
    assert_eq!(
        r.describe(),
        "remove the targets of this setup from domain 7: no target is left, so Buzz deletes the configuration"
    );
    // Neither: nothing to remove.
    let (r, _) = teardown(
        &domain("7"),
        &config(json!({"sqs": [{"targetSqsQueue": "x"}]})),
        &dest(),
        &also,
    )
    .unwrap();
    assert!(r.is_none());
}

#[test]
fn a_change_to_the_queue_meanwhile_is_ours_and_another_queue_is_not() {
    let also: Vec<Arc<dyn OurTarget>> = vec![Arc::new(Queue("q"))];
    let before = config(json!({"kinesis": [ours()], "sqs": [queue(true)]}));
    let disabled = config(json!({"kinesis": [ours()], "sqs": [queue(false)]}));
    assert!(changed_meanwhile(&before, &disabled, &dest(), &also).is_empty());
    // Without the queue declared ours, the same change is someone else's.
    assert_eq!(changed_meanwhile(&before, &disabled, &dest(), &[]).len(), 1);
    let added = config(
        json!({"kinesis": [ours()], "sqs": [queue(true), {"title": "Z", "targetSqsQueue": "z"}]}),
    );
    let changes = changed_meanwhile(&before, &added, &dest(), &also);
    let changes: Vec<String> = changes.iter().map(|c| crate::text::unmark(c)).collect();
    assert_eq!(changes, ["sqs target \"Z\" was added"]);
}

#[test]
fn check_judges_the_queue_in_its_own_row() {
    let wanted = desired(true).target;
    let also: Vec<Arc<dyn OurTarget>> = vec![Arc::new(Queue("q"))];
    let mut other_role = queue(true);
    other_role["roleArn"] = json!("arn:aws:iam::123456789012:role/Old");
    let table = [
        (json!([queue(true)]), Pass, "domain 424242 has the sqs target for queue q (enabled)"),
        (json!([]), Fail, "domain 424242 does not have the sqs target for queue q"),
        (json!([queue(false)]), Fail, "the sqs target for queue q on domain 424242 is disabled: Buzz delivers nothing to it"),
        (json!([other_role]), Fail, "the sqs target for queue q on domain 424242 is not as setup saves it"),
        (json!([queue(true), queue(true)]), Fail, "domain 424242 has the sqs target for queue q 2 times, so it receives every event 2 times"),
    ];
    for (sqs, status, message) in table {
        let found = config(json!({"kinesis": [ours()], "sqs": sqs}));
        let rows = rows("424242", &wanted, &also, &found);
        assert_eq!(
            verdicts(&rows),
            [("buzz.target", Pass), ("buzz.target", status)]
        );
        assert_eq!(crate::text::unmark(&rows[1].message), message);
    }
    // No queue asked for: the kinesis target's row alone.
    let found = config(json!({"kinesis": [ours()]}));
    assert_eq!(rows("424242", &wanted, &[], &found).len(), 1);
}
