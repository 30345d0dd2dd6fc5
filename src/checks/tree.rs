//! The domain's place in Buzz's tree: a descendant's events reach every ancestor's targets
//! (with the descendant's `domainId`), so the configured domain's descendants are expected
//! writers ([`subtree_rows`], and `stream.writers` counts them as the user's own); and two
//! targets to one destination on an ancestor and a descendant deliver twice
//! ([`delivery_rows`]).

use super::{fail, pass, warn, Check, CheckId};
use crate::buzz::wire::{Destination, DomainRecord};
use crate::plan::tree::{double_delivery, others_writing, Relation, TreeObserved};
use crate::text::outside;

/// What `check` could read of the configured domain's descendants.
#[derive(Debug, Clone)]
pub(crate) enum SubtreeObserved {
    Listed {
        /// The configured domain, as it is shown in sentences (its numeric id).
        domain: String,
        descendants: Vec<DomainRecord>,
        /// The list stopped at the bound (`wire::MAX_SUBTREE`).
        cut: bool,
    },
    /// Buzz refused the list (most often `AccessDenied`): the flat rule, with a warning.
    Denied {
        domain: String,
        code: String,
        message: String,
    },
}

impl SubtreeObserved {
    /// The descendants' ids (none when not read).
    pub(crate) fn ids(&self) -> Vec<String> {
        match self {
            SubtreeObserved::Listed { descendants, .. } => {
                descendants.iter().map(|d| d.id.clone()).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The `buzz.tree` row: how many descendant domains the configured one has (their events
/// arrive in the stream too), or why they could not be listed.
pub(crate) fn subtree_rows(read: &SubtreeObserved) -> Vec<Check> {
    match read {
        SubtreeObserved::Denied {
            domain,
            code,
            message,
        } => vec![warn(
            CheckId::BuzzTree,
            format!(
                "the descendant domains of {} could not be listed ({}: {}): events of its schools, if it has any, count as foreign in stream.writers",
                outside(domain),
                outside(code),
                outside(message)
            ),
            "use a Buzz login that may list the domain's descendants (an administrator of the domain), or name each of your domains with --expect-domain ID",
        )],
        SubtreeObserved::Listed {
            domain,
            descendants,
            cut,
        } => {
            let n = descendants.len();
            let data = serde_json::json!({
                "domain": domain,
                "descendants": n,
                "cut": cut,
                "ids": descendants.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            });
            let row = if *cut {
                warn(
                    CheckId::BuzzTree,
                    format!(
                        "domain {} has more than {n} descendant domains; only the first {n} were read, so events of the others count as foreign",
                        outside(domain)
                    ),
                    "name the others with --expect-domain ID",
                )
            } else if n == 0 {
                pass(
                    CheckId::BuzzTree,
                    format!("domain {} has no descendant domains", outside(domain)),
                )
            } else {
                pass(
                    CheckId::BuzzTree,
                    format!(
                        "domain {} has {n} descendant domain(s): their events reach this domain's targets too, and count as yours",
                        outside(domain)
                    ),
                )
            };
            vec![row
                .with_data(data)
                .with_detail(sample_names(descendants))]
        }
    }
}

/// A few descendants by name, for a person.
fn sample_names(descendants: &[DomainRecord]) -> Vec<String> {
    const SHOWN: usize = 5;
    let mut lines: Vec<String> = descendants
        .iter()
        .take(SHOWN)
        .map(DomainRecord::label)
        .collect();
    if descendants.len() > SHOWN {
        lines.push(format!("and {} more", descendants.len() - SHOWN));
    }
    lines
}

/// The `buzz.delivery` row: one delivery across the tree. Fails when our target is saved and
/// another target in the tree (an ancestor's, or a descendant's) writes to the same
/// destination, naming each domain whose events arrive twice; warns when a configuration in
/// the tree could not be read (a double delivery there would not show), never a silent pass.
pub(crate) fn delivery_rows(
    domain: &str,
    dest: &Destination,
    ours_saved: bool,
    tree: &TreeObserved,
) -> Vec<Check> {
    let (others, unread) = others_writing(tree, dest);
    let (ancestors, descendants) = tree
        .configs
        .iter()
        .fold((0, 0), |(a, d), c| match c.relation {
            Relation::Ancestor => (a + 1, d),
            Relation::Descendant => (a, d + 1),
        });
    let data = serde_json::json!({
        "ancestors_read": ancestors,
        "descendants_read": descendants,
        "others": others,
        "unread": unread.len(),
    });
    let stream = outside(&dest.stream);
    let row = if !others.is_empty() && ours_saved {
        let sentences: Vec<String> = others.iter().map(|o| double_delivery(domain, o)).collect();
        let message = match sentences.len() {
            1 => sentences[0].clone(),
            n => format!(
                "{} (and {} more double deliveries, listed below)",
                sentences[0],
                n - 1
            ),
        };
        let mut detail: Vec<String> = if sentences.len() > 1 {
            sentences
        } else {
            Vec::new()
        };
        if !unread.is_empty() {
            detail.push(format!("not read: {}", unread.join(", ")));
        }
        fail(
            CheckId::BuzzDelivery,
            message,
            "keep one target per stream in a tree, the highest: it receives every descendant's events already. `buzz-kinesis teardown --domain ID` (with the same --stream and --role) removes that domain's target",
        )
        .with_detail(detail)
    } else if !unread.is_empty() {
        warn(
            CheckId::BuzzDelivery,
            format!(
                "the data stream configurations of {} could not be read, so a target there writing to stream {stream} (every event then arriving twice) would not show",
                unread.join(", ")
            ),
            "run check with a login of the tree's highest domain you administer (its rights flow down), or ask that domain's administrator to check",
        )
    } else if others.is_empty() {
        pass(
            CheckId::BuzzDelivery,
            format!(
                "no other target in the tree ({ancestors} ancestor(s), {descendants} descendant(s) read) writes to stream {stream}: each event arrives once"
            ),
        )
    } else {
        pass(
            CheckId::BuzzDelivery,
            format!(
                "this domain has no target saved to stream {stream}, and {} delivers there: its events arrive once",
                others.iter().map(|o| o.label.clone()).collect::<Vec<_>>().join(", ")
            ),
        )
    };
    vec![row.with_data(data)]
}
