use super::*;

#[test]
fn each_action_says_what_it_does_and_which_ones_create() {
    let cases = [
        (
            GlueAction::CreateDatabase {
                database: "d".into(),
                tags: BTreeMap::new(),
            },
            "create Glue database d",
            true,
        ),
        (
            GlueAction::CreateTable {
                database: "d".into(),
                table: "t".into(),
            },
            "create Glue table d.t (partition projection on type and dt: no crawler)",
            true,
        ),
        (
            GlueAction::UpdateTable {
                database: "d".into(),
                table: "t".into(),
                differs: vec!["location".into(), "SerDe".into()],
            },
            "update Glue table d.t (location, SerDe)",
            false,
        ),
    ];
    for (action, line, create) in cases {
        assert_eq!(action.describe(), line);
        assert_eq!(action.is_create(), create, "{line}");
        let (before, after) = action.before_after();
        assert_eq!(before, Value::Null);
        assert_eq!(after["database"], "d");
    }
}

#[test]
fn a_missing_database_and_table_are_made_and_a_converged_one_left() {
    let m = Archive::new(
        crate::names::BucketName::parse("--archive-bucket", "district-42-buzz").unwrap(),
        None,
        "buzz-events",
        None,
        &[],
    );
    let p = plan(&m, false, None, None).unwrap();
    assert_eq!(
        p.actions,
        [
            GlueAction::CreateDatabase {
                database: "buzz_events".into(),
                tags: managed_tags()
            },
            GlueAction::CreateTable {
                database: "buzz_events".into(),
                table: archive::TABLE.into()
            },
        ]
    );
    let have = table(&m);
    let p = plan(&m, false, Some(&managed_tags()), Some(&have)).unwrap();
    assert!(p.actions.is_empty() && p.notes.is_empty());
}
