//! One delivery across Buzz's tree. A school's events reach its own targets and every
//! ancestor's, so two targets writing to the same destination (region, stream, role account:
//! [`wire::Destination`]) on domains where one is the other's ancestor deliver each event of
//! the lower one twice. `GetDataStreamConfiguration` answers one domain's own configuration,
//! so the tree's configurations are read one by one (`commands/read.rs`, `read_tree`); here,
//! pure: who else in the tree writes where we write, and what could not be read.

use serde_json::{Map, Value};

use super::{Blocked, Note, Plan};
use crate::buzz::wire::{self, Destination, DomainRecord};
use crate::parts::add_ons::Resource;

/// Where a domain stands from the configured one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Relation {
    Ancestor,
    Descendant,
}

/// One other domain of the tree and its configuration as read, or Buzz's refusal
/// (code, message).
#[derive(Debug, Clone)]
pub(crate) struct TreeConfig {
    pub domain: DomainRecord,
    pub relation: Relation,
    pub config: Result<Map<String, Value>, (String, String)>,
}

/// The configured domain's tree as far as the login could read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeObserved {
    /// The configured domain's own record (`None`: `getdomain2` was refused).
    /// The ancestors' and the descendants' configurations.
    pub configs: Vec<TreeConfig>,
    /// Lists Buzz refused (the parent list, the descendants): what, code, message.
    pub unlisted: Vec<(String, String, String)>,
}

/// Another target in the tree writing to our destination.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct OtherWriter {
    pub domain: String,
    /// The domain for a sentence (its id and name, marked as outside text).
    #[serde(skip)]
    pub label: String,
    pub relation: Relation,
    /// The target for a sentence (`wire::describe_saved`).
    pub target: String,
}

/// Who else in the tree writes where `dest` says (enabled targets only: a disabled one
/// delivers nothing), and which configurations could not be read.
pub(crate) fn others_writing(
    tree: &TreeObserved,
    dest: &Destination,
) -> (Vec<OtherWriter>, Vec<String>) {
    let mut others = Vec::new();
    let mut unread = Vec::new();
    for c in &tree.configs {
        match &c.config {
            Ok(config) => {
                for (_, t) in wire::targets_writing_to(config, dest) {
                    if wire::as_bool(t.get(wire::ENABLED)) {
                        others.push(OtherWriter {
                            domain: c.domain.id.clone(),
                            label: c.domain.label(),
                            relation: c.relation,
                            target: wire::describe_saved(&t),
                        });
                    }
                }
            }
            Err((code, _)) => unread.push(format!(
                "{} ({})",
                c.domain.label(),
                crate::text::outside(code)
            )),
        }
    }
    for (what, code, _) in &tree.unlisted {
        unread.push(format!("{what} ({})", crate::text::outside(code)));
    }
    (others, unread)
}

/// The sentence for one double delivery: whose events arrive twice, and through which target.
pub(crate) fn double_delivery(own: &str, other: &OtherWriter) -> String {
    match other.relation {
        Relation::Ancestor => format!(
            "every event of domain {own} arrives twice: its ancestor {} delivers them too, with target {}",
            other.label, other.target
        ),
        Relation::Descendant => format!(
            "every event of {} arrives twice: its own target {} and this domain's target both receive them",
            other.label, other.target
        ),
    }
}

/// Setup's part: refuse to add our target to a domain whose ancestor already delivers to the
/// same stream (its events already arrive there); note the descendants that do (each of their
/// events would arrive twice) and the configurations that could not be read.
pub(super) fn plan_tree(
    domain: &str,
    dest: &Destination,
    tree: &TreeObserved,
    adding: bool,
    p: &mut Plan,
) -> Result<(), Blocked> {
    let (others, unread) = others_writing(tree, dest);
    let ancestors: Vec<&OtherWriter> = others
        .iter()
        .filter(|o| o.relation == Relation::Ancestor)
        .collect();
    if adding {
        if let Some(a) = ancestors.first() {
            return Err(Blocked::AncestorDelivers {
                domain: domain.to_owned(),
                ancestor: a.label.clone(),
                target: a.target.clone(),
                stream: dest.stream.clone(),
            });
        }
    }
    // What a person picking a district should know before saying yes: its schools' events
    // arrive too (their configurations were read, so they are the descendants).
    let below: Vec<String> = tree
        .configs
        .iter()
        .filter(|c| c.relation == Relation::Descendant)
        .map(|c| c.domain.label())
        .collect();
    if !below.is_empty() {
        const SHOWN: usize = 5;
        let more = below.len().saturating_sub(SHOWN);
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "events of the {} domain(s) below domain {domain} will arrive too, each with its own domainId: {}{}",
                below.len(),
                below[..below.len().min(SHOWN)].join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        });
    }
    for o in &others {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: double_delivery(domain, o),
        });
    }
    if !unread.is_empty() {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "the data stream configurations of {} could not be read, so a target there writing to stream {} (each event then arriving twice) would not show",
                unread.join(", "),
                dest.stream
            ),
        });
    }
    Ok(())
}

/// Domains asked for in one run where one is another's ancestor, as (ancestor, descendant):
/// the descendant's events reach the ancestor's target already, so a target on both delivers
/// each of them twice (`--domain` repeated refuses them before any change). `requested`: each
/// domain's id with its ancestors' ids (from its parent list).
pub(crate) fn nested_domains(requested: &[(String, Vec<String>)]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (id, ancestors) in requested {
        for (other, _) in requested {
            if other != id && ancestors.contains(other) {
                pairs.push((other.clone(), id.clone()));
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dest() -> Destination {
        Destination {
            region: "us-east-1".into(),
            stream: "buzz-events".into(),
            account: "123456789012".into(),
        }
    }

    fn domain(id: &str, parent: Option<&str>) -> DomainRecord {
        DomainRecord {
            id: id.into(),
            name: format!("D{id}"),
            userspace: String::new(),
            parent_id: parent.map(str::to_owned),
        }
    }

    fn writing(enabled: bool) -> Map<String, Value> {
        json!({"kinesis": [{"title": "theirs", "enabled": enabled, "targetKinesisStream": "buzz-events",
            "roleArn": "arn:aws:iam::123456789012:role/Other", "targetRegion": "us-east-1"}]})
        .as_object()
        .unwrap()
        .clone()
    }

    fn tree(configs: Vec<TreeConfig>) -> TreeObserved {
        TreeObserved {
            configs,
            unlisted: Vec::new(),
        }
    }

    #[test]
    fn an_ancestor_delivering_to_our_stream_refuses_the_add_and_names_it() {
        let t = tree(vec![TreeConfig {
            domain: domain("424242", None),
            relation: Relation::Ancestor,
            config: Ok(writing(true)),
        }]);
        let mut p = Plan::default();
        let blocked = plan_tree("500001", &dest(), &t, true, &mut p).unwrap_err();
        let Blocked::AncestorDelivers { ancestor, .. } = &blocked else {
            panic!("{blocked:?}")
        };
        assert!(crate::text::unmark(ancestor).contains("424242"));
        // Already there (converged): a note, not a refusal.
        let mut p = Plan::default();
        plan_tree("500001", &dest(), &t, false, &mut p).unwrap();
        assert!(crate::text::unmark(&p.notes[0].message)
            .contains("every event of domain 500001 arrives twice"));
    }

    #[test]
    fn descendants_writing_there_are_named_disabled_ones_are_not_and_unread_ones_are_said() {
        let t = tree(vec![
            TreeConfig {
                domain: domain("600001", Some("500001")),
                relation: Relation::Descendant,
                config: Ok(writing(true)),
            },
            TreeConfig {
                domain: domain("600002", Some("500001")),
                relation: Relation::Descendant,
                config: Ok(writing(false)),
            },
            TreeConfig {
                domain: domain("424242", None),
                relation: Relation::Ancestor,
                config: Err(("AccessDenied".into(), "no".into())),
            },
        ]);
        let (others, unread) = others_writing(&t, &dest());
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].domain, "600001");
        assert_eq!(unread.len(), 1);
        let mut p = Plan::default();
        plan_tree("500001", &dest(), &t, true, &mut p).unwrap();
        let notes: Vec<String> = p
            .notes
            .iter()
            .map(|n| crate::text::unmark(&n.message))
            .collect();
        assert!(
            notes[0].contains("events of the 2 domain(s) below domain 500001 will arrive too"),
            "{notes:?}"
        );
        assert!(
            notes[0].contains("600001 (D600001), domain 600002 (D600002)"),
            "{notes:?}"
        );
        assert!(
            notes[1].contains("every event of domain 600001 (D600001) arrives twice"),
            "{notes:?}"
        );
        assert!(notes[2].contains("could not be read"), "{notes:?}");
        // Another stream: nothing.
        let other = Destination {
            stream: "elsewhere".into(),
            ..dest()
        };
        assert!(others_writing(&t, &other).0.is_empty());
    }

    #[test]
    fn domains_where_one_is_an_ancestor_of_another_are_found() {
        let d = |id: &str, up: &[&str]| {
            (
                id.to_owned(),
                up.iter().map(|u| (*u).to_owned()).collect::<Vec<_>>(),
            )
        };
        let siblings = [
            d("500001", &["424242", "400000"]),
            d("500002", &["424242", "400000"]),
        ];
        assert!(nested_domains(&siblings).is_empty());
        let nested = [
            d("424242", &["400000"]),
            d("500001", &["424242", "400000"]),
            d("424243", &["400000"]),
        ];
        assert_eq!(
            nested_domains(&nested),
            [("424242".to_owned(), "500001".to_owned())]
        );
    }
}
