use super::*;
use crate::parts::fixtures::kinds;
use crate::parts::Change as _;

fn model() -> Archive {
    crate::parts::fixtures::model(None)
}

#[test]
fn a_missing_log_is_made_tagged_with_its_stream_and_our_retention() {
    let p = plan(&model(), None);
    let group = "/aws/kinesisfirehose/buzz-events-archive".to_owned();
    assert_eq!(
        p.actions,
        [
            LogAction::CreateLogGroup {
                group: group.clone(),
                tags: managed_tags()
            },
            LogAction::CreateLogStream {
                group: group.clone(),
                stream: archive::LOG_STREAM.into()
            },
            LogAction::PutLogRetention { group, days: 365 },
        ]
    );
    assert!(p.notes.is_empty());
    assert_eq!(
        p.actions
            .iter()
            .map(LogAction::is_create)
            .collect::<Vec<_>>(),
        [true, false, false]
    );
}

#[test]
fn firehoses_error_log_gets_its_stream_and_our_retention_but_a_foreign_group_keeps_its_own() {
    let with = |change: fn(&mut LogState)| {
        let mut l = LogState::converged();
        change(&mut l);
        kinds(&plan(&model(), Some(&l)))
    };
    assert!(with(|_| {}).is_empty());
    assert_eq!(with(|l| l.has_stream = false), ["create_log_stream"]);
    assert_eq!(with(|l| l.retention_days = None), ["put_log_retention"]);
    assert_eq!(with(|l| l.retention_days = Some(7)), ["put_log_retention"]);
    // Someone else's log group: its stream is added (Firehose needs it), its retention kept.
    assert_eq!(
        with(|l| {
            l.tags.clear();
            l.retention_days = Some(7);
            l.has_stream = false;
        }),
        ["create_log_stream"]
    );
}

#[test]
fn each_action_says_what_it_does() {
    let g = || "g".to_owned();
    for (action, line) in [
        (
            LogAction::CreateLogGroup {
                group: g(),
                tags: BTreeMap::new(),
            },
            "create log group g (Firehose's delivery errors)",
        ),
        (
            LogAction::CreateLogStream {
                group: g(),
                stream: "s".into(),
            },
            "create log stream s in g",
        ),
        (
            LogAction::PutLogRetention {
                group: g(),
                days: 9,
            },
            "log group g: keep entries 9 days",
        ),
    ] {
        assert_eq!(action.describe(), line);
        assert_eq!(action.before_after().0, Value::Null);
        assert_eq!(action.before_after().1["group"], "g");
    }
}

#[test]
fn teardown_removes_only_our_log_group() {
    assert_eq!(teardown(Some(&("g".into(), true))), Teardown::Remove);
    assert_eq!(
        teardown(Some(&("g".into(), false))),
        Teardown::Keep("the log group g was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays".into())
    );
    assert_eq!(teardown(None), Teardown::Nothing);
}

#[test]
fn the_templates_make_the_group_and_its_stream() {
    let tags = managed_tags();
    let m = model();
    let x = Export {
        model: &m,
        tags: &tags,
    };
    let cfn = cloudformation(&x);
    assert_eq!(cfn[0].0, CFN_GROUP_ID);
    assert_eq!(cfn[0].1["Properties"]["RetentionInDays"], 365);
    assert_eq!(
        cfn[0].1["Metadata"]["checkov"]["skip"][0]["id"],
        "CKV_AWS_158"
    );
    assert_eq!(cfn[1].0, CFN_STREAM_ID);
    assert_eq!(
        cfn[1].1["Properties"]["LogGroupName"],
        json!({"Ref": CFN_GROUP_ID})
    );
    let mut hcl = String::new();
    for b in terraform(&x) {
        b.write(&mut hcl, 0);
    }
    assert!(hcl.contains("retention_in_days = 365"), "{hcl}");
    assert!(
        hcl.contains("aws_cloudwatch_log_stream\" \"buzz_archive\""),
        "{hcl}"
    );
}
