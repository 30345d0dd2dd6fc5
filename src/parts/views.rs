//! The views `--archive-views` makes beside the archive's table (`Archive::views`), each
//! stored in Glue as Athena stores a view, with our `managed-by` parameter. Only asked for:
//! without the flag, views found are left alone (never deleted unasked). No template (the
//! exports give their queries as outputs), so the views are not in `ARCHIVE`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Planned;
use super::{ArchiveState, PlanCx, Refusal};
use crate::archive::Archive;
use crate::state::ViewState;

/// The views, as a part of the archive (no template).
pub(crate) struct Views;

impl super::Part for Views {}

impl super::ArchivePart for Views {
    type Found = BTreeMap<String, ViewState>;

    /// Teardown finds our views with the Glue database (`glue::DatabaseObserved::views`).
    type Left = ();
    type Action = ViewAction;

    /// Ours go with the Glue part's teardown, before the table.
    type Removal = super::Never;

    const NOUN: &'static str = "the archive's views";
    const CHAIN: &'static str = "table";

    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<ViewAction>, E> {
        Ok(plan(cx.model, cx.account, cx.views, &found.views))
    }
}

/// One change to a view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ViewAction {
    /// A view beside the table (`--archive-views`), made as Athena stores one.
    CreateView { database: String, view: String },
    /// Our view, whose definition differs from the model's.
    UpdateView { database: String, view: String },
}

impl super::Change for ViewAction {
    fn is_create(&self) -> bool {
        matches!(self, ViewAction::CreateView { .. })
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        (
            Value::Null,
            serde_json::to_value(self).unwrap_or(Value::Null),
        )
    }

    /// The plan's line.
    fn describe(&self) -> String {
        match self {
            ViewAction::CreateView { database, view } => {
                format!("create the view {database}.{view} (Athena's, over the table)")
            }
            ViewAction::UpdateView { database, view } => {
                format!("set the view {database}.{view} back to its definition")
            }
        }
    }
}

/// The views' plan, only when `asked` (`--archive-views`): each of the model's views made when
/// missing and set back when ours differs from its definition in `account`; a table or view of
/// that name someone else made stays as it is, said in a note.
pub(crate) fn plan(
    model: &Archive,
    account: &str,
    asked: bool,
    found: &BTreeMap<String, ViewState>,
) -> Planned<ViewAction> {
    let mut p = Planned::default();
    if !asked {
        return p;
    }
    let database = model.database();
    for view in model.views() {
        let want = view.original_text(&database, account);
        let (database, name) = (database.clone(), view.name.to_owned());
        match found.get(view.name) {
            None => p.actions.push(ViewAction::CreateView {
                database,
                view: name,
            }),
            Some(v) if !v.managed => p.notes.push(format!(
                "the Glue table {database}.{name} was not made by buzz-kinesis: it stays as it is, and --archive-views does not make that view (drop it, or keep yours)"
            )),
            Some(v) if v.original_text.as_deref() != Some(want.as_str()) => {
                p.actions.push(ViewAction::UpdateView {
                    database,
                    view: name,
                })
            }
            Some(_) => {}
        }
    }
    p
}

#[cfg(test)]
mod tests;
