//! Glue: the database and the table over the archive, which Athena reads. The table's
//! partitions are projected from its parameters, so nothing here ever adds a partition.

use std::collections::BTreeMap;

use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{aws_error, Aws, Created};
use crate::archive::View;
use crate::error::{Error, Result};
use crate::parts::glue::TableState;
use crate::state::ViewState;

fn built<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| Error::Usage(format!("a Glue request could not be built: {e}")))
}

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
        let out = self
            .glue
            .get_table()
            .database_name(database)
            .name(name)
            .send()
            .await;
        self.calls.record("glue", "GetTable", false);
        match out {
            Ok(o) => Ok(o.table().cloned()),
            Err(e) if e.code() == Some("EntityNotFoundException") => Ok(None),
            Err(e) => Err(aws_error("glue", "GetTable", e)),
        }
    }

    /// The view (any table of that name), or `None`.
    pub async fn get_view(&self, database: &str, name: &str) -> Result<Option<ViewState>> {
        Ok(self.fetch_table(database, name).await?.map(|t| ViewState {
            original_text: t.view_original_text().map(str::to_owned),
            managed: marked(&t),
        }))
    }

    /// Make the view, or set ours back to the model (`update`).
    pub async fn put_view(
        &self,
        database: &str,
        owner: &str,
        view: &View,
        update: bool,
    ) -> Result<()> {
        let input = view_input(database, owner, view)?;
        if update {
            self.glue
                .update_table()
                .database_name(database)
                .table_input(input)
                .send()
                .await
                .map_err(|e| aws_error("glue", "UpdateTable", e))?;
            self.calls.record("glue", "UpdateTable", true);
            return Ok(());
        }
        match self
            .glue
            .create_table()
            .database_name(database)
            .table_input(input)
            .send()
            .await
        {
            Ok(_) => self.calls.record("glue", "CreateTable", true),
            // A retry of a create that succeeded: the same view, set again.
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                return Box::pin(self.put_view(database, owner, view, true)).await
            }
            Err(e) => return Err(aws_error("glue", "CreateTable", e)),
        }
        Ok(())
    }

    /// The database's tags, or `None` when there is no such database.
    pub async fn get_database_tags(
        &self,
        name: &str,
        arn: &str,
    ) -> Result<Option<BTreeMap<String, String>>> {
        match self.glue.get_database().name(name).send().await {
            Ok(_) => self.calls.record("glue", "GetDatabase", false),
            Err(e) if e.code() == Some("EntityNotFoundException") => {
                self.calls.record("glue", "GetDatabase", false);
                return Ok(None);
            }
            Err(e) => return Err(aws_error("glue", "GetDatabase", e)),
        }
        let tags = self
            .glue
            .get_tags()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("glue", "GetTags", e))?;
        self.calls.record("glue", "GetTags", false);
        Ok(Some(sorted(tags.tags())))
    }

    /// The table, or `None` when there is none (or no database).
    pub async fn get_table(&self, database: &str, name: &str) -> Result<Option<TableState>> {
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
    pub async fn table_names(&self, database: &str) -> Result<Vec<(String, bool)>> {
        let (mut names, mut token) = (Vec::new(), None::<String>);
        loop {
            let out = self
                .glue
                .get_tables()
                .database_name(database)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| aws_error("glue", "GetTables", e))?;
            self.calls.record("glue", "GetTables", false);
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
    pub async fn create_database(
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
        match req.send().await {
            Ok(_) => {
                self.calls.record("glue", "CreateDatabase", true);
                Ok(Created::Made)
            }
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                self.calls.record("glue", "CreateDatabase", false);
                Ok(Created::AlreadyExisted)
            }
            Err(e) => Err(aws_error("glue", "CreateDatabase", e)),
        }
    }

    pub async fn create_table(&self, database: &str, name: &str, t: &TableState) -> Result<()> {
        match self
            .glue
            .create_table()
            .database_name(database)
            .table_input(table_input(name, t)?)
            .send()
            .await
        {
            Ok(_) => self.calls.record("glue", "CreateTable", true),
            // A retry of a create that succeeded: the same table.
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                return self.update_table(database, name, t).await
            }
            Err(e) => return Err(aws_error("glue", "CreateTable", e)),
        }
        Ok(())
    }

    /// Replace the table's definition (UpdateTable takes it whole).
    pub async fn update_table(&self, database: &str, name: &str, t: &TableState) -> Result<()> {
        self.glue
            .update_table()
            .database_name(database)
            .table_input(table_input(name, t)?)
            .send()
            .await
            .map_err(|e| aws_error("glue", "UpdateTable", e))?;
        self.calls.record("glue", "UpdateTable", true);
        Ok(())
    }

    /// Delete the table, then the database if nothing else is in it (teardown).
    pub async fn delete_table(&self, database: &str, name: &str) -> Result<()> {
        match self
            .glue
            .delete_table()
            .database_name(database)
            .name(name)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("EntityNotFoundException") => {}
            Err(e) => return Err(aws_error("glue", "DeleteTable", e)),
        }
        self.calls.record("glue", "DeleteTable", true);
        Ok(())
    }

    pub async fn delete_database(&self, name: &str) -> Result<()> {
        match self.glue.delete_database().name(name).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("EntityNotFoundException") => {}
            Err(e) => return Err(aws_error("glue", "DeleteDatabase", e)),
        }
        self.calls.record("glue", "DeleteDatabase", true);
        Ok(())
    }
}
