use super::*;
use crate::parts::Change as _;

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

#[test]
fn teardown_takes_our_views_and_table_and_the_database_only_when_nothing_else_is_in_it() {
    let db = |managed, table_managed, tables: &[&str], views: &[&str]| DatabaseObserved {
        name: "buzz_events".into(),
        managed,
        tables: tables.iter().map(|t| (*t).to_owned()).collect(),
        table_managed,
        views: views.iter().map(|t| (*t).to_owned()).collect(),
    };
    let s = |v: &[&str]| v.iter().map(|t| (*t).to_owned()).collect::<Vec<String>>();
    assert_eq!(teardown(None), GlueTeardown::default());
    // Ours alone: the views, then the table, then the database.
    let all = teardown(Some(&db(true, true, &["events", "v1"], &["v1"])));
    assert_eq!(
        all,
        GlueTeardown {
            tables: s(&["v1", "events"]),
            database: true,
            notes: vec![],
        }
    );
    // Someone else's table beside ours: the database stays, saying why.
    let shared = teardown(Some(&db(true, true, &["events", "mine"], &[])));
    assert_eq!(shared.tables, s(&["events"]));
    assert!(!shared.database);
    assert_eq!(
        shared.notes,
        ["the Glue database buzz_events stays: it holds mine too"]
    );
    // An unmarked table of our name stays, and so does the database holding it.
    let unmarked = teardown(Some(&db(true, false, &["events"], &[])));
    assert!(unmarked.tables.is_empty() && !unmarked.database);
    assert!(unmarked.notes[0]
        .starts_with("the Glue table buzz_events.events has no managed-by parameter"));
    assert_eq!(
        unmarked.notes[1],
        "the Glue database buzz_events stays: it holds events too"
    );
    // An empty database of ours goes; a database setup did not make is left whole.
    assert!(teardown(Some(&db(true, false, &[], &[]))).database);
    let theirs = teardown(Some(&db(false, true, &["events"], &["v1"])));
    assert!(theirs.tables.is_empty() && !theirs.database);
    assert_eq!(
        theirs.notes,
        ["the Glue database buzz_events was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays"]
    );
}
