//! The archive in the exports (`--archive-bucket`): its registered parts' fragments, then the
//! bucket, the table and the queries as outputs.

use serde_json::json;

use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{Export, ARCHIVE};
use crate::archive::{self, Archive};
use crate::hcl::{Block, Hcl};

/// The archive (`--archive-bucket`): its registered parts ([`ARCHIVE`]), then the bucket, the
/// table and the queries as outputs.
pub(crate) struct Archived;

impl StackPart for Archived {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        let mut f = CfnFragment::default();
        let Some(a) = &b.archive else {
            return f;
        };
        let x = Export {
            model: a,
            tags: &b.tags,
        };
        for part in ARCHIVE {
            f.resources.extend(part.cloudformation(&x));
        }
        f.outputs.push((
            "ArchiveBucket".into(),
            json!({"Description": BUCKET_HELP, "Value": {"Ref": super::bucket::CFN_ID}}),
        ));
        f.outputs.push((
            "ArchiveTable".into(),
            json!({"Description": TABLE_HELP, "Value": table(a)}),
        ));
        for q in a.queries() {
            f.outputs.push((
                query_output(q.name),
                json!({"Description": q.about, "Value": q.sql}),
            ));
        }
        f
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        let Some(a) = &b.archive else {
            return Vec::new();
        };
        let mut blocks = vec![Block::new("data", &["aws_caller_identity", "current"])];
        let x = Export {
            model: a,
            tags: &b.tags,
        };
        for part in ARCHIVE {
            blocks.extend(part.terraform(&x));
        }
        blocks.push(
            Block::new("output", &["archive_bucket"])
                .attr("description", Hcl::str(BUCKET_HELP))
                .attr("value", Hcl::expr(super::bucket::TF_ID)),
        );
        blocks.push(
            Block::new("output", &["archive_table"])
                .attr("description", Hcl::str(TABLE_HELP))
                .attr("value", Hcl::str(table(a))),
        );
        for q in a.queries() {
            let label = format!("archive_query_{}", q.name);
            blocks.push(
                Block::new("output", &[label.as_str()])
                    .attr("description", Hcl::str(q.about))
                    .attr("value", Hcl::str(q.sql)),
            );
        }
        blocks
    }
}

const BUCKET_HELP: &str =
    "The bucket every event is archived in, under events/type=<type>/dt=<YYYY-MM-DD>/.";
const TABLE_HELP: &str =
    "The Glue table to query with Athena (partition projection: no crawler, no MSCK REPAIR).";

/// `database.table`, as Athena names it.
fn table(a: &Archive) -> String {
    format!("{}.{}", a.database(), archive::TABLE)
}

/// `events_per_type_per_day` -> `ArchiveQueryEventsPerTypePerDay`.
fn query_output(name: &str) -> String {
    let camel: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("ArchiveQuery{camel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_named_in_camel_case_after_archive_query() {
        assert_eq!(
            query_output("events_per_type_per_day"),
            "ArchiveQueryEventsPerTypePerDay"
        );
        assert_eq!(query_output("x"), "ArchiveQueryX");
    }
}
