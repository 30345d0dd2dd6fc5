//! The Glue database and the table over the archive (partition projection on type and day: no
//! crawler): the table as setup writes it, as Glue reports it, the plan (a database or table
//! someone else made is changed only with `--adopt`), and both templates. The views beside the
//! table (`--archive-views`) plan in `plan/archive.rs` and are not in the exports.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{managed_tags, tf_archive_resource, Export, Planned, Refusal};
use super::{ArchiveLeft, ArchiveState, PlanCx, TeardownCx};
use crate::archive::{self, Archive, Column};
use crate::hcl::{Block, Hcl};
use crate::state::is_managed;

/// The database's and the table's logical ids in CloudFormation.
pub(crate) const CFN_DATABASE_ID: &str = "BuzzArchiveDatabase";
pub(crate) const CFN_TABLE_ID: &str = "BuzzArchiveTable";
const DATABASE_DESCRIPTION: &str = "The Agilix Buzz events archived by buzz-kinesis.";
const TABLE_DESCRIPTION: &str =
    "Every Buzz event, one JSON line each, partitioned by type and day (partition projection).";

/// The database and its table, as a part of the archive.
pub(crate) struct Glue;

impl super::Part for Glue {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

impl super::ArchivePart for Glue {
    type Found = GlueFound;
    type Left = Option<DatabaseObserved>;
    type Action = GlueAction;
    type Removal = GlueRemoval;

    const NOUN: &'static str = "the archive's Glue database";
    const CHAIN: &'static str = "table";

    /// The table's location is how teardown finds the bucket: the bucket goes first, so a run
    /// interrupted while emptying it finds it again.
    const TEARDOWN_AFTER: &'static [&'static str] = &["bucket"];

    fn plan<E: From<Refusal> + From<super::role::RoleRefusal>>(
        &self,
        cx: &PlanCx<'_>,
        found: &ArchiveState,
    ) -> Result<Planned<GlueAction>, E> {
        let g = &found.glue;
        Ok(plan(
            cx.model,
            cx.adopt,
            g.database.as_ref(),
            g.table.as_ref(),
        )?)
    }

    fn teardown(&self, _: &TeardownCx, left: &ArchiveLeft) -> Planned<GlueRemoval> {
        let t = teardown(left.glue.as_ref());
        let mut p = Planned {
            actions: Vec::new(),
            notes: t.notes,
        };
        if let Some(db) = &left.glue {
            p.actions
                .extend(t.tables.iter().map(|table| GlueRemoval::DeleteTable {
                    database: db.name.clone(),
                    table: table.clone(),
                }));
            if t.database {
                p.actions.push(GlueRemoval::DeleteDatabase {
                    database: db.name.clone(),
                });
            }
        }
        p
    }
}

/// The Glue database and table as the read step finds them.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct GlueFound {
    /// The database's tags, when it exists.
    pub database: Option<BTreeMap<String, String>>,
    pub table: Option<TableState>,
}

/// The Glue table over the archive, reduced to what setup writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TableState {
    pub location: Option<String>,
    pub columns: Vec<(String, String)>,
    pub partitions: Vec<(String, String)>,
    pub parameters: BTreeMap<String, String>,
    pub serde: Option<String>,
    pub serde_parameters: BTreeMap<String, String>,
}

/// The Glue table as setup makes it.
pub(crate) fn table(model: &Archive) -> TableState {
    let cols = |cs: &[Column]| {
        cs.iter()
            .map(|c| (c.name.to_owned(), c.kind.to_owned()))
            .collect()
    };
    let owned =
        |m: BTreeMap<&'static str, String>| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    TableState {
        location: Some(model.location()),
        columns: cols(archive::COLUMNS),
        partitions: cols(archive::PARTITIONS),
        parameters: owned(model.table_parameters()),
        serde: Some(archive::SERDE.to_owned()),
        serde_parameters: owned(model.serde_parameters()),
    }
}

/// The table as setup writes it over `have`: partition projection's first day is the day
/// the archive was made, so a table already there keeps its own (moving it would hide
/// the days before, or project empty ones).
pub(crate) fn table_over(model: &Archive, have: Option<&TableState>) -> TableState {
    const RANGE: &str = "projection.dt.range";
    let mut t = table(model);
    let start = have
        .and_then(|h| h.parameters.get(RANGE))
        .and_then(|r| r.split_once(','))
        .map(|(start, _)| start.trim())
        .filter(|start| !start.is_empty());
    if let Some(start) = start {
        t.parameters
            .insert(RANGE.to_owned(), format!("{start},NOW"));
    }
    t
}

/// One change to the Glue database or table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum GlueAction {
    CreateDatabase {
        database: String,
        tags: BTreeMap<String, String>,
    },
    CreateTable {
        database: String,
        table: String,
    },
    /// The table's definition differs (UpdateTable takes it whole).
    UpdateTable {
        database: String,
        table: String,
        differs: Vec<String>,
    },
}

impl super::Change for GlueAction {
    fn is_create(&self) -> bool {
        matches!(
            self,
            GlueAction::CreateDatabase { .. } | GlueAction::CreateTable { .. }
        )
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
            GlueAction::CreateDatabase { database, .. } => {
                format!("create Glue database {database}")
            }
            GlueAction::CreateTable { database, table } => format!(
                "create Glue table {database}.{table} (partition projection on type and dt: no crawler)"
            ),
            GlueAction::UpdateTable {
                database,
                table,
                differs,
            } => format!(
                "update Glue table {database}.{table} ({})",
                differs.join(", ")
            ),
        }
    }
}

/// The database and table's plan: each made when missing; someone else's used only with
/// `--adopt`; the table rewritten when its definition differs.
pub(crate) fn plan(
    model: &Archive,
    adopt: bool,
    database: Option<&BTreeMap<String, String>>,
    table: Option<&TableState>,
) -> Result<Planned<GlueAction>, Refusal> {
    let db = model.database();
    let mut p = Planned::default();
    match database {
        None => p.actions.push(GlueAction::CreateDatabase {
            database: db.clone(),
            tags: managed_tags(),
        }),
        Some(tags) if !is_managed(tags) && !adopt => {
            return Err(Refusal::new(
                format!("the Glue database {db}"),
                "exists and was not made by buzz-kinesis (it has no managed-by tag)",
                "pass --adopt to put the archive's table in it, or remove it",
            ))
        }
        Some(_) => {}
    }
    let want = table_over(model, table);
    match table {
        None => p.actions.push(GlueAction::CreateTable {
            database: db,
            table: archive::TABLE.into(),
        }),
        // Glue tables carry no tags: our mark is a parameter. A table without it is someone
        // else's (or an earlier version's, before the mark): changed only with --adopt.
        Some(have) if !is_managed(&have.parameters) && !adopt => {
            return Err(Refusal::new(
                format!("the Glue table {db}.{}", archive::TABLE),
                "exists and was not made by buzz-kinesis (it has no managed-by parameter)",
                "pass --adopt to make it the archive's table (setup rewrites its definition and marks it; a table an earlier buzz-kinesis made has no mark either), or drop it",
            ))
        }
        Some(have) => {
            let differs = differences(have, &want);
            if !differs.is_empty() {
                p.actions.push(GlueAction::UpdateTable {
                    database: db,
                    table: archive::TABLE.into(),
                    differs,
                });
            }
        }
    }
    Ok(p)
}

/// What of the table's definition differs, by name.
fn differences(have: &TableState, want: &TableState) -> Vec<String> {
    let mut out = Vec::new();
    if have.location != want.location {
        out.push("location".to_owned());
    }
    if have.columns != want.columns {
        out.push("columns".to_owned());
    }
    if have.partitions != want.partitions {
        out.push("partition keys".to_owned());
    }
    for (k, v) in &want.parameters {
        if have.parameters.get(k) != Some(v) {
            out.push(format!("parameter {k}"));
        }
    }
    if have.serde != want.serde || have.serde_parameters != want.serde_parameters {
        out.push("SerDe".to_owned());
    }
    out
}

/// The Glue database as teardown finds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatabaseObserved {
    pub name: String,
    pub managed: bool,
    /// Every table and view in it.
    pub tables: Vec<String>,
    /// The archive's table carries our mark (Glue tables have no tags: a parameter).
    pub table_managed: bool,
    /// The views among them `setup --archive-views` made (they carry our mark).
    pub views: Vec<String>,
}

/// What teardown does with the Glue database and what is in it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct GlueTeardown {
    /// The tables to delete, in order: our views, then the archive's table.
    pub tables: Vec<String>,
    /// The database goes too: nothing but ours is in it.
    pub database: bool,
    pub notes: Vec<String>,
}

/// A removal from the Glue database.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum GlueRemoval {
    /// Our table or one of our views (a definition only: the events stay in the bucket).
    DeleteTable { database: String, table: String },
    /// The database, once nothing else is in it.
    DeleteDatabase { database: String },
}

impl super::Gone for GlueRemoval {
    fn describe(&self) -> String {
        match self {
            GlueRemoval::DeleteTable { database, table } => format!(
                "delete the Glue table {database}.{table} (a definition only: the events stay in the bucket)"
            ),
            GlueRemoval::DeleteDatabase { database } => {
                format!("delete the Glue database {database} (empty)")
            }
        }
    }
}

/// Teardown of the database: our views and our table go (definitions only: the events stay
/// in the bucket), the database only when nothing else is in it (a view the user made lives
/// there too). A database setup did not make is left whole.
pub(crate) fn teardown(found: Option<&DatabaseObserved>) -> GlueTeardown {
    let mut t = GlueTeardown::default();
    let Some(db) = found else { return t };
    if !db.managed {
        t.notes.push(format!(
            "the Glue database {} was not made by buzz-kinesis (no tag {}={}); it stays",
            db.name,
            crate::state::MANAGED_BY.0,
            crate::state::MANAGED_BY.1
        ));
        return t;
    }
    t.tables.extend(db.views.iter().cloned());
    let present = db.tables.iter().any(|n| n == archive::TABLE);
    if present && db.table_managed {
        t.tables.push(archive::TABLE.into());
    } else if present {
        t.notes.push(format!(
            "the Glue table {}.{} has no {} parameter (someone else's, or made before buzz-kinesis marked its table); it stays: drop it yourself if it is the archive's",
            db.name,
            archive::TABLE,
            crate::state::MANAGED_BY.0
        ));
    }
    let ours =
        |n: &str| (n == archive::TABLE && db.table_managed) || db.views.iter().any(|v| v == n);
    let others: Vec<&str> = db
        .tables
        .iter()
        .map(String::as_str)
        .filter(|n| !ours(n))
        .collect();
    if others.is_empty() {
        t.database = true;
    } else {
        t.notes.push(format!(
            "the Glue database {} stays: it holds {} too",
            db.name,
            others.join(", ")
        ));
    }
    t
}

/// The database and the table as CloudFormation resources.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let a = x.model;
    let database = json!({
        "Type": "AWS::Glue::Database",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseInput": {"Name": a.database(), "Description": DATABASE_DESCRIPTION},
        },
    });
    let column = |c: &Column| json!({"Name": c.name, "Type": c.kind, "Comment": c.comment});
    let table = json!({
        "Type": "AWS::Glue::Table",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": {"Ref": CFN_DATABASE_ID},
            "TableInput": {
                "Name": archive::TABLE,
                "Description": TABLE_DESCRIPTION,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": a.table_parameters(),
                "PartitionKeys": archive::PARTITIONS.iter().map(column).collect::<Vec<_>>(),
                "StorageDescriptor": {
                    "Columns": archive::COLUMNS.iter().map(column).collect::<Vec<_>>(),
                    "Location": a.location(),
                    "InputFormat": archive::INPUT_FORMAT,
                    "OutputFormat": archive::OUTPUT_FORMAT,
                    "Compressed": true,
                    "SerdeInfo": {
                        "SerializationLibrary": archive::SERDE,
                        "Parameters": a.serde_parameters(),
                    },
                },
            },
        },
    });
    vec![(CFN_DATABASE_ID, database), (CFN_TABLE_ID, table)]
}

/// A column or a partition key as Terraform writes it.
fn tf_column(kind: &'static str, c: &Column) -> Block {
    Block::new(kind, &[])
        .attr("name", Hcl::str(c.name))
        .attr("type", Hcl::str(c.kind))
        .attr("comment", Hcl::str(c.comment))
}

fn tf_params(m: BTreeMap<&'static str, String>) -> Hcl {
    Hcl::Object(
        m.into_iter()
            .map(|(k, v)| (k.to_owned(), Hcl::str(v)))
            .collect(),
    )
}

/// The database and the table as Terraform resources.
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    let a = x.model;
    let storage = archive::COLUMNS.iter().fold(
        Block::new("storage_descriptor", &[])
            .attr("location", Hcl::str(a.location()))
            .attr("input_format", Hcl::str(archive::INPUT_FORMAT))
            .attr("output_format", Hcl::str(archive::OUTPUT_FORMAT))
            .attr("compressed", Hcl::Bool(true))
            .block(
                Block::new("ser_de_info", &[])
                    .attr("serialization_library", Hcl::str(archive::SERDE))
                    .attr("parameters", tf_params(a.serde_parameters())),
            ),
        |s, c| s.block(tf_column("columns", c)),
    );
    let table = archive::PARTITIONS.iter().fold(
        tf_archive_resource("aws_glue_catalog_table")
            .attr("name", Hcl::str(archive::TABLE))
            .attr(
                "database_name",
                Hcl::expr("aws_glue_catalog_database.buzz_archive.name"),
            )
            .attr("description", Hcl::str(TABLE_DESCRIPTION))
            .attr("table_type", Hcl::str("EXTERNAL_TABLE"))
            .attr("parameters", tf_params(a.table_parameters())),
        |t, c| t.block(tf_column("partition_keys", c)),
    );
    vec![
        tf_archive_resource("aws_glue_catalog_database")
            .attr("name", Hcl::str(a.database()))
            .attr("description", Hcl::str(DATABASE_DESCRIPTION)),
        table.block(storage),
    ]
}

#[cfg(test)]
mod tests;
