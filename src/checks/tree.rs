//! The domain's place in Buzz's tree: a descendant's events reach every ancestor's targets
//! (with the descendant's `domainId`), so the configured domain's descendants are expected
//! writers ([`subtree_rows`], and `stream.writers` counts them as the user's own).

use super::{pass, warn, Check, CheckId};
use crate::buzz::wire::DomainRecord;
use crate::text::outside;

/// What `check` could read of the configured domain's descendants.
#[derive(Debug, Clone)]
pub enum SubtreeRead {
    /// No Buzz login in this run: the flat rule (only the named domains are expected).
    NotRead,
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

impl SubtreeRead {
    /// The descendants' ids (none when not read).
    pub fn ids(&self) -> Vec<String> {
        match self {
            SubtreeRead::Listed { descendants, .. } => {
                descendants.iter().map(|d| d.id.clone()).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The `buzz.tree` row: how many descendant domains the configured one has (their events
/// arrive in the stream too), or why they could not be listed.
pub fn subtree_rows(read: &SubtreeRead) -> Vec<Check> {
    match read {
        SubtreeRead::NotRead => Vec::new(),
        SubtreeRead::Denied {
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
        SubtreeRead::Listed {
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
