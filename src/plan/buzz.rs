//! The Buzz target's plan: our target in the domain's data stream configuration, every other
//! target kept as it was, duplicates writing to our stream removed.

use serde_json::{Map, Value};

use super::{DesiredBuzz, Note, Plan};
use crate::buzz::wire::{self, KinesisTarget};
use crate::state::Resource;

/// One change to the domain's Buzz configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BuzzAction {
    /// Test our target with Buzz and (when `save`) save the configuration with it enabled.
    RegisterBuzzTarget {
        domain: crate::names::DomainId,
        before: Option<Value>,
        after: Value,
        save: bool,
        /// Further targets writing to the same stream, removed (each delivered every event
        /// again).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        merged: Vec<String>,
        /// The whole configuration to send, every other target as it was.
        #[serde(skip)]
        config: Map<String, Value>,
    },
}

impl BuzzAction {
    /// The domain whose configuration it changes.
    pub(crate) fn domain(&self) -> &crate::names::DomainId {
        match self {
            BuzzAction::RegisterBuzzTarget { domain, .. } => domain,
        }
    }

    /// Whether the action only tests, saving nothing (`--no-enable`).
    pub(crate) fn only_tests(&self) -> bool {
        match self {
            BuzzAction::RegisterBuzzTarget { save, .. } => !save,
        }
    }
}

impl crate::parts::Change for BuzzAction {
    /// Whether the action saves a target the domain did not have (drawn `+`, and the target's
    /// outcome `created`). With `--no-enable` nothing is saved, so nothing is made.
    fn is_create(&self) -> bool {
        match self {
            BuzzAction::RegisterBuzzTarget { before, save, .. } => before.is_none() && *save,
        }
    }

    /// The changed value before and after, for the JSON plan (`null` where nothing was).
    fn before_after(&self) -> (Value, Value) {
        match self {
            BuzzAction::RegisterBuzzTarget { before, after, .. } => {
                (before.clone().unwrap_or(Value::Null), after.clone())
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            BuzzAction::RegisterBuzzTarget {
                before,
                save,
                domain,
                merged,
                ..
            } => match (before, save) {
                (_, false) => format!(
                    "test the kinesis target with Buzz (domain {domain}; --no-enable: nothing saved)"
                ),
                (None, true) => {
                    format!("add the kinesis target to domain {domain}, test it, enable it")
                }
                (Some(_), true) if merged.is_empty() => {
                    format!("update the kinesis target of domain {domain}, test it, enable it")
                }
                (Some(_), true) => format!(
                    "update the kinesis target of domain {domain} and remove {} duplicate(s) writing to the same stream, test it, enable it",
                    merged.len()
                ),
            },
        }
    }
}

pub(super) fn plan_buzz(b: &DesiredBuzz, config: Option<&Map<String, Value>>, p: &mut Plan) {
    let empty = Map::new();
    let config = config.unwrap_or(&empty);
    let dest = b.target.destination();
    let writing = wire::targets_writing_to(config, &dest);
    let existing = writing.first().map(|(_, t)| t.clone());
    // Every target after the first that writes to our stream delivers each event again.
    let merged: Vec<String> = writing
        .iter()
        .skip(1)
        .map(|(_, t)| wire::describe_saved(t))
        .collect();
    // With --no-enable we only test; a target already saved and enabled stays as it is.
    let wanted = KinesisTarget {
        enabled: if b.save {
            b.target.enabled
        } else {
            existing
                .as_ref()
                .is_some_and(|e| wire::as_bool(e.get(wire::ENABLED)))
        },
        ..b.target.clone()
    };
    if merged.is_empty() && existing.as_ref().is_some_and(|e| wanted.is_satisfied_by(e)) {
        return;
    }
    let new_config = wire::with_target(config, &wanted);
    let after = wire::find_target(&new_config, &dest)
        .map(|(_, t)| t)
        .unwrap_or_else(|| wanted.to_json(None));
    let others = wire::count_targets(config) - writing.len();
    if others > 0 {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "the domain's {others} other data stream target(s) are kept exactly as they are"
            ),
        });
    }
    if !merged.is_empty() {
        p.notes.push(Note {
            resource: Resource::Buzz,
            message: format!(
                "{} targets write to stream {} today, so Buzz delivers every event {} times; setup keeps the first and removes {}",
                writing.len(),
                dest.stream,
                writing.len(),
                merged.join(", ")
            ),
        });
    }
    p.buzz.push(BuzzAction::RegisterBuzzTarget {
        domain: b.domain.clone(),
        before: existing,
        after,
        save: b.save,
        merged,
        config: new_config,
    });
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::super::tests::{converged, desired};
    use super::super::Observed;
    use super::*;
    use crate::parts::Change;
    use serde_json::json;

    #[test]
    fn buzz_target_changes_keep_foreign_targets() {
        let d = desired();
        let mut a = converged(&d);
        let hook = json!([{"title": "LMS webhook", "enabled": true}]);
        let mut cfg = a.buzz.take().unwrap();
        cfg.insert("https".into(), hook.clone());
        cfg["kinesis"][0]["enabled"] = json!(false);
        a.buzz = Some(cfg);
        let p = plan(&d, &a).unwrap();
        let [BuzzAction::RegisterBuzzTarget {
            config,
            before,
            after,
            ..
        }] = &p.buzz[..]
        else {
            panic!("{:?}", p.buzz)
        };
        assert_eq!(config["https"], hook);
        assert_eq!(before.as_ref().unwrap()["enabled"], json!(false));
        assert_eq!(after["enabled"], json!(true));
        assert_eq!(p.outcome(Resource::Buzz), "updated");
        // The JSON plan shows the saved target before and ours after.
        let (shown_before, shown_after) = p.buzz[0].before_after();
        assert_eq!(&shown_before, before.as_ref().unwrap());
        assert_eq!(&shown_after, after);
        // The webhook is named as kept: one other target, however many of ours there are.
        let kept = |p: &Plan| {
            p.notes
                .iter()
                .find(|n| n.message.contains("other data stream target(s)"))
                .map(|n| n.message.clone())
        };
        assert_eq!(
            kept(&p).as_deref(),
            Some("the domain's 1 other data stream target(s) are kept exactly as they are")
        );
        let mut twice = a.buzz.clone().unwrap();
        let ours = twice["kinesis"][0].clone();
        twice["kinesis"].as_array_mut().unwrap().push(ours);
        let doubled = Observed {
            buzz: Some(twice),
            ..a.clone()
        };
        let p = plan(&d, &doubled).unwrap();
        assert!(
            kept(&p).unwrap().contains("the domain's 1 other"),
            "{:?}",
            p.notes
        );
        // No other target: nothing to say about keeping them.
        let p = plan(&d, &Observed::default()).unwrap();
        assert_eq!(kept(&p), None);
    }

    #[test]
    fn no_enable_tests_without_saving_and_leaves_an_enabled_target_alone() {
        let mut d = desired();
        d.buzz.as_mut().unwrap().save = false;
        let p = plan(&d, &Observed::default()).unwrap();
        assert_eq!(p.outcome(Resource::Buzz), "tested");
        assert!(
            !p.buzz[0].is_create(),
            "a test saves nothing, so makes nothing"
        );
        // Tested disabled: a target the domain does not have is never shown as enabled.
        assert_eq!(p.buzz[0].before_after().1["enabled"], json!(false));
        let a = converged(&d);
        assert!(plan(&d, &a).unwrap().is_empty());
    }
}
