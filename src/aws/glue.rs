//! Glue: the database and the table over the archive, which Athena reads. The table's
//! partitions are projected from its parameters, so nothing here ever adds a partition.

use crate::archive::database_of;
use crate::parts::glue::{DatabaseObserved, Glue, GlueAction, GlueFound, GlueRemoval};
use crate::parts::views::{ViewAction, Views};
use crate::parts::{Apply, ApplyCx, ArchiveState, LeftCx, Read, ReadCx, Remove};
use std::collections::BTreeMap;

use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};

use super::{built, read, write, Aws, Created, Expected};
use crate::archive::View;
use crate::error::Result;
use crate::parts::glue::TableState;
use crate::state::ViewState;

fn columns(cols: &[Column]) -> Vec<(String, String)> {
    cols.iter()
        .map(|c| {
            (
                c.name().to_owned(),
                c.r#type().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn sorted(m: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The table as Glue takes it: external, JSON lines read by the OpenX SerDe.
fn table_input(name: &str, t: &TableState) -> Result<TableInput> {
    let cols = |cs: &[(String, String)]| -> Result<Vec<Column>> {
        cs.iter()
            .map(|(n, k)| built(Column::builder().name(n).r#type(k).build()))
            .collect()
    };
    let mut serde = SerDeInfo::builder();
    if let Some(lib) = &t.serde {
        serde = serde.serialization_library(lib);
    }
    for (k, v) in &t.serde_parameters {
        serde = serde.parameters(k, v);
    }
    let mut sd = StorageDescriptor::builder()
        .set_columns(Some(cols(&t.columns)?))
        .input_format(crate::archive::INPUT_FORMAT)
        .output_format(crate::archive::OUTPUT_FORMAT)
        .serde_info(serde.build());
    if let Some(l) = &t.location {
        sd = sd.location(l);
    }
    let mut b = TableInput::builder()
        .name(name)
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(sd.build())
        .set_partition_keys(Some(cols(&t.partitions)?));
    for (k, v) in &t.parameters {
        b = b.parameters(k, v);
    }
    built(b.build())
}

/// A view as Athena stores one: no location, no SerDe of its own (`-`, as Athena writes),
/// the definition in the original text.
fn view_input(database: &str, owner: &str, v: &View) -> Result<TableInput> {
    let cols = v
        .hive_columns()
        .into_iter()
        .map(|(n, k)| built(Column::builder().name(n).r#type(k).build()))
        .collect::<Result<Vec<_>>>()?;
    let sd = StorageDescriptor::builder()
        .set_columns(Some(cols))
        .serde_info(
            SerDeInfo::builder()
                .name("-")
                .serialization_library("-")
                .build(),
        )
        .build();
    let mut b = TableInput::builder()
        .name(v.name)
        .description(v.about)
        .table_type("VIRTUAL_VIEW")
        .owner(owner)
        .view_original_text(v.original_text(database, owner))
        .view_expanded_text("/* Presto View */")
        .storage_descriptor(sd);
    for (k, val) in crate::archive::view_parameters() {
        b = b.parameters(k, val);
    }
    built(b.build())
}

/// Whether a table's parameters carry our mark (Glue tags databases, not tables).
fn marked(t: &aws_sdk_glue::types::Table) -> bool {
    crate::state::is_managed(&sorted(t.parameters()))
}

impl Aws {
    /// The table (or view) `name` as Glue answers, or `None` when there is none (or no
    /// database).
    async fn fetch_table(
        &self,
        database: &str,
        name: &str,
    ) -> Result<Option<aws_sdk_glue::types::Table>> {
        let req = self.glue.get_table().database_name(database).name(name);
        Ok(self
            .answered(read("glue", "GetTable"), req.send().await)
            .or_missing(&["EntityNotFoundException"])?
            .and_then(|o| o.table().cloned()))
    }

    /// The view (any table of that name), or `None`.
    pub(crate) async fn get_view(&self, database: &str, name: &str) -> Result<Option<ViewState>> {
        Ok(self.fetch_table(database, name).await?.map(|t| ViewState {
            original_text: t.view_original_text().map(str::to_owned),
            managed: marked(&t),
        }))
    }

    /// Make the view, or set ours back to the model (`update`).
    pub(crate) async fn put_view(
        &self,
        database: &str,
        owner: &str,
        view: &View,
        update: bool,
    ) -> Result<()> {
        let input = view_input(database, owner, view)?;
        if update {
            let req = self
                .glue
                .update_table()
                .database_name(database)
                .table_input(input);
            self.answered(write("glue", "UpdateTable"), req.send().await)?;
            return Ok(());
        }
        let req = self
            .glue
            .create_table()
            .database_name(database)
            .table_input(input);
        let created = self
            .answered(write("glue", "CreateTable"), req.send().await)
            .or_existing(&["AlreadyExistsException"])?;
        if created == Created::AlreadyExisted {
            // A retry of a create that succeeded: the same view, set again.
            return Box::pin(self.put_view(database, owner, view, true)).await;
        }
        Ok(())
    }

    /// The database's tags, or `None` when there is no such database.
    pub(crate) async fn get_database_tags(
        &self,
        name: &str,
        arn: &str,
    ) -> Result<Option<BTreeMap<String, String>>> {
        let req = self.glue.get_database().name(name);
        let found = self
            .answered(read("glue", "GetDatabase"), req.send().await)
            .or_missing(&["EntityNotFoundException"])?;
        if found.is_none() {
            return Ok(None);
        }
        let req = self.glue.get_tags().resource_arn(arn);
        let tags = self.answered(read("glue", "GetTags"), req.send().await)?;
        Ok(Some(sorted(tags.tags())))
    }

    /// The table, or `None` when there is none (or no database).
    pub(crate) async fn get_table(&self, database: &str, name: &str) -> Result<Option<TableState>> {
        let Some(t) = self.fetch_table(database, name).await? else {
            return Ok(None);
        };
        let sd = t.storage_descriptor();
        Ok(Some(TableState {
            location: sd.and_then(|s| s.location()).map(str::to_owned),
            columns: sd.map(|s| columns(s.columns())).unwrap_or_default(),
            partitions: columns(t.partition_keys()),
            parameters: sorted(t.parameters()),
            serde: sd
                .and_then(|s| s.serde_info())
                .and_then(|s| s.serialization_library())
                .map(str::to_owned),
            serde_parameters: sorted(sd.and_then(|s| s.serde_info()).and_then(|s| s.parameters())),
        }))
    }

    /// The names of the database's tables (views included), page by page, each with whether
    /// it carries our mark (the views `--archive-views` made).
    pub(crate) async fn table_names(&self, database: &str) -> Result<Vec<(String, bool)>> {
        let (mut names, mut token) = (Vec::new(), None::<String>);
        loop {
            let req = self
                .glue
                .get_tables()
                .database_name(database)
                .set_next_token(token.clone());
            let out = self.answered(read("glue", "GetTables"), req.send().await)?;
            names.extend(
                out.table_list()
                    .iter()
                    .map(|t| (t.name().to_owned(), marked(t))),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    /// Create the database, tagged. One already there is [`Created::AlreadyExisted`].
    pub(crate) async fn create_database(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Created> {
        let input = built(
            DatabaseInput::builder()
                .name(name)
                .description("Agilix Buzz events archived by buzz-kinesis")
                .build(),
        )?;
        let mut req = self.glue.create_database().database_input(input);
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        self.answered(write("glue", "CreateDatabase"), req.send().await)
            .or_existing(&["AlreadyExistsException"])
    }

    pub(crate) async fn create_table(
        &self,
        database: &str,
        name: &str,
        t: &TableState,
    ) -> Result<()> {
        let req = self
            .glue
            .create_table()
            .database_name(database)
            .table_input(table_input(name, t)?);
        let created = self
            .answered(write("glue", "CreateTable"), req.send().await)
            .or_existing(&["AlreadyExistsException"])?;
        if created == Created::AlreadyExisted {
            // A retry of a create that succeeded: the same table.
            return self.update_table(database, name, t).await;
        }
        Ok(())
    }

    /// Replace the table's definition (UpdateTable takes it whole).
    pub(crate) async fn update_table(
        &self,
        database: &str,
        name: &str,
        t: &TableState,
    ) -> Result<()> {
        let req = self
            .glue
            .update_table()
            .database_name(database)
            .table_input(table_input(name, t)?);
        self.answered(write("glue", "UpdateTable"), req.send().await)?;
        Ok(())
    }

    /// Delete the table, then the database if nothing else is in it (teardown).
    pub(crate) async fn delete_table(&self, database: &str, name: &str) -> Result<()> {
        let req = self.glue.delete_table().database_name(database).name(name);
        self.answered(write("glue", "DeleteTable"), req.send().await)
            .or_missing(&["EntityNotFoundException"])?;
        Ok(())
    }

    pub(crate) async fn delete_database(&self, name: &str) -> Result<()> {
        let req = self.glue.delete_database().name(name);
        self.answered(write("glue", "DeleteDatabase"), req.send().await)
            .or_missing(&["EntityNotFoundException"])?;
        Ok(())
    }
}

impl Apply<Aws, ApplyCx<'_>> for GlueAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, cx: &ApplyCx<'_>) -> Result<()> {
        match self {
            GlueAction::CreateDatabase { database, tags } => aws
                .create_database(database, tags)
                .await?
                .made("Glue database", database),
            GlueAction::CreateTable { database, table } => {
                aws.create_table(database, table, cx.table).await
            }
            GlueAction::UpdateTable {
                database, table, ..
            } => aws.update_table(database, table, cx.table).await,
        }
    }
}

impl Apply<Aws, ApplyCx<'_>> for ViewAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, cx: &ApplyCx<'_>) -> Result<()> {
        let (ViewAction::CreateView { database, view } | ViewAction::UpdateView { database, view }) =
            self;
        let update = matches!(self, ViewAction::UpdateView { .. });
        let Some(v) = cx.model.views().into_iter().find(|v| v.name == *view) else {
            return Ok(());
        };
        aws.put_view(database, cx.account, &v, update).await
    }
}

impl Remove<Aws> for GlueRemoval {
    async fn remove(&self, aws: &Aws) -> Result<()> {
        match self {
            GlueRemoval::DeleteTable { database, table } => aws.delete_table(database, table).await,
            GlueRemoval::DeleteDatabase { database } => aws.delete_database(database).await,
        }
    }
}

impl Read<Aws> for Glue {
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<GlueFound> {
        let database = database_of(cx.stream);
        let (database, table) = tokio::try_join!(
            aws.get_database_tags(&database, cx.database_arn),
            aws.get_table(&database, crate::archive::TABLE),
        )?;
        Ok(GlueFound { database, table })
    }

    /// The database with every table in it: ours, our views, and anything else (which keeps
    /// the database).
    async fn left(
        &self,
        aws: &Aws,
        cx: &LeftCx<'_>,
        found: &ArchiveState,
    ) -> Result<Option<DatabaseObserved>> {
        let Some(tags) = &found.glue.database else {
            return Ok(None);
        };
        let name = database_of(cx.stream);
        let tables = aws.table_names(&name).await?;
        Ok(Some(DatabaseObserved {
            managed: crate::state::is_managed(tags),
            table_managed: found
                .glue
                .table
                .as_ref()
                .is_some_and(|t| crate::state::is_managed(&t.parameters)),
            views: tables
                .iter()
                .filter(|(n, ours)| *ours && n != crate::archive::TABLE)
                .map(|(n, _)| n.clone())
                .collect(),
            tables: tables.into_iter().map(|(n, _)| n).collect(),
            name,
        }))
    }
}

impl Read<Aws> for Views {
    /// The views `--archive-views` makes, read only when asked for (found ones, by name).
    async fn read(&self, aws: &Aws, cx: &ReadCx<'_>) -> Result<BTreeMap<String, ViewState>> {
        let Some(model) = cx.model.filter(|_| cx.views) else {
            return Ok(BTreeMap::new());
        };
        let database = model.database();
        let [a, b, c] = model.views().map(|v| v.name);
        let found = tokio::try_join!(
            aws.get_view(&database, a),
            aws.get_view(&database, b),
            aws.get_view(&database, c),
        )?;
        Ok([a, b, c]
            .into_iter()
            .zip([found.0, found.1, found.2])
            .filter_map(|(n, v)| Some((n.to_owned(), v?)))
            .collect())
    }

    /// Teardown finds our views with the database (`Glue`'s).
    async fn left(&self, _: &Aws, _: &LeftCx<'_>, _: &ArchiveState) -> Result<()> {
        Ok(())
    }
}
