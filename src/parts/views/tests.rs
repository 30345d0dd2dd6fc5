use super::*;
use crate::archive;
use crate::parts::Change as _;

const ACCOUNT: &str = "123456789012";

fn model() -> Archive {
    crate::parts::fixtures::model(None)
}

/// Every view of the model, ours, as setup writes it.
fn converged() -> BTreeMap<String, ViewState> {
    model()
        .views()
        .iter()
        .map(|v| {
            (
                v.name.to_owned(),
                ViewState {
                    original_text: Some(v.original_text("buzz_events", ACCOUNT)),
                    managed: true,
                },
            )
        })
        .collect()
}

fn view(action: fn(String, String) -> ViewAction, name: &str) -> ViewAction {
    action("buzz_events".into(), name.into())
}

fn create(database: String, view: String) -> ViewAction {
    ViewAction::CreateView { database, view }
}

fn update(database: String, view: String) -> ViewAction {
    ViewAction::UpdateView { database, view }
}

const SOMEONE_ELSES: &str = "the Glue table buzz_events.events_distinct was not made by buzz-kinesis: it stays as it is, and --archive-views does not make that view (drop it, or keep yours)";

#[test]
fn each_view_is_made_when_missing_set_back_when_ours_differs_and_someone_elses_stays() {
    let changed = |change: fn(&mut ViewState)| {
        let mut found = converged();
        change(found.get_mut(archive::DISTINCT_VIEW).unwrap());
        found
    };
    let gone = {
        let mut found = converged();
        found.remove(archive::DISTINCT_VIEW);
        found
    };
    let cases = [
        (
            "none there: all three, in the model's order",
            BTreeMap::new(),
            vec![
                view(create, archive::PER_DAY_VIEW),
                view(create, archive::LATEST_USER_VIEW),
                view(create, archive::DISTINCT_VIEW),
            ],
            vec![],
        ),
        ("all ours as the model says", converged(), vec![], vec![]),
        (
            "one gone",
            gone,
            vec![view(create, archive::DISTINCT_VIEW)],
            vec![],
        ),
        (
            "ours, changed by hand",
            changed(|v| v.original_text = Some("/* Presto View: e30= */".into())),
            vec![view(update, archive::DISTINCT_VIEW)],
            vec![],
        ),
        (
            "ours, a table and not a view",
            changed(|v| v.original_text = None),
            vec![view(update, archive::DISTINCT_VIEW)],
            vec![],
        ),
        (
            "someone else's, even with our very definition",
            changed(|v| v.managed = false),
            vec![],
            vec![SOMEONE_ELSES],
        ),
    ];
    for (case, found, actions, notes) in cases {
        let p = plan(&model(), ACCOUNT, true, &found);
        assert_eq!(p.actions, actions, "{case}");
        assert_eq!(p.notes, notes, "{case}");
    }
}

#[test]
fn the_definition_is_compared_for_this_account() {
    // The model's text for another account is not ours: set back.
    let p = plan(&model(), "210987654321", true, &converged());
    assert_eq!(p.actions.len(), 3, "{:?}", p.actions);
    assert!(p.actions.iter().all(|a| !a.is_create()));
}

#[test]
fn without_the_flag_nothing_is_planned_whatever_is_there() {
    let mut someone_elses = converged();
    for v in someone_elses.values_mut() {
        v.managed = false;
        v.original_text = None;
    }
    for found in [BTreeMap::new(), converged(), someone_elses] {
        assert_eq!(plan(&model(), ACCOUNT, false, &found), Planned::default());
    }
}

#[test]
fn each_action_says_what_it_does_and_keeps_its_json() {
    for (action, create, line, kind) in [
        (
            view(create, "v"),
            true,
            "create the view buzz_events.v (Athena's, over the table)",
            "create_view",
        ),
        (
            view(update, "v"),
            false,
            "set the view buzz_events.v back to its definition",
            "update_view",
        ),
    ] {
        assert_eq!(action.is_create(), create);
        assert_eq!(action.describe(), line);
        let json = serde_json::json!({"kind": kind, "database": "buzz_events", "view": "v"});
        assert_eq!(serde_json::to_value(&action).unwrap(), json);
        assert_eq!(action.before_after(), (Value::Null, json));
    }
}
