//! The Buzz target's plan in setup's plan: the part's plan (`parts::target::plan`: our target
//! in the domain's data stream configuration, every other target kept as it was, duplicates
//! writing to our stream removed), its notes the Buzz target's.

use serde_json::{Map, Value};

use super::{DesiredBuzz, Note, Plan};
use crate::parts::add_ons::Resource;

pub(super) fn plan_buzz(b: &DesiredBuzz, config: Option<&Map<String, Value>>, p: &mut Plan) {
    let planned = crate::parts::target::plan(b, config);
    p.buzz.extend(planned.actions);
    p.notes
        .extend(planned.notes.into_iter().map(|message| Note {
            resource: Resource::Buzz,
            message,
        }));
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::super::tests::{converged, desired};
    use super::super::{BuzzAction, Observed};
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
