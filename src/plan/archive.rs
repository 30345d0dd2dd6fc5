//! The archive in the plan's words (`--archive-bucket`): a part's refusal as `Blocked::Archive`,
//! and the archive's names for the report. The archive itself is an add-on
//! (`parts::archived`): its parts plan there, in the registration's order, and the plan takes
//! its actions and notes as every add-on's (`parts::add_ons`). A delivery stream is updated in
//! place wherever Firehose allows (a new one starts at the stream's newest record: the events in
//! between would be lost), and made anew only when its source, bucket or role differ, which the
//! plan says (`parts::delivery`).

use serde_json::{json, Value};

use super::Blocked;
use crate::archive;
pub(crate) use crate::parts::archived::DesiredArchive;
pub(crate) use crate::parts::ArchiveAction;
use crate::parts::Refusal;

impl From<Refusal> for Blocked {
    /// A part's refusal, in the plan's words.
    fn from(r: Refusal) -> Self {
        Blocked::Archive {
            what: r.what,
            problem: r.problem,
            fix: r.fix,
        }
    }
}

/// A JSON view of the archive's names, for the report.
pub(crate) fn summary(d: &DesiredArchive) -> Value {
    json!({
        "bucket": d.model.bucket.as_str(),
        "delivery_stream": d.model.delivery_stream(),
        "role": d.model.role(),
        "database": d.model.database(),
        "table": archive::TABLE,
        "location": d.model.location(),
    })
}

#[cfg(test)]
pub(crate) mod tests;
