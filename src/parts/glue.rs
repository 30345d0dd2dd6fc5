//! The Glue database and the table over the archive (partition projection on type and day: no
//! crawler), as the exports make them. Their plan is still `plan/archive.rs`'s (`plan_table`),
//! their state `state::TableState`; the views beside the table are not in the exports.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{tf_archive_resource, Export};
use crate::archive::{self, Column};
use crate::hcl::{Block, Hcl};

/// The database's and the table's logical ids in CloudFormation.
pub const CFN_DATABASE_ID: &str = "BuzzArchiveDatabase";
pub const CFN_TABLE_ID: &str = "BuzzArchiveTable";
const DATABASE_DESCRIPTION: &str = "The Agilix Buzz events archived by buzz-kinesis.";
const TABLE_DESCRIPTION: &str =
    "Every Buzz event, one JSON line each, partitioned by type and day (partition projection).";

/// The database and its table, as a part of the archive.
pub struct Glue;

impl super::Part for Glue {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

/// The database and the table as CloudFormation resources.
pub fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
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
