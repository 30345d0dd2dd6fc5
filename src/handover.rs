//! The Buzz half, handed over: what a person with a Buzz login needs after `setup --aws-only`
//! made the stream and the role, in two forms. The `buzz-kinesis setup --buzz-only ...`
//! command line (every value filled in, never a secret), which keeps the domain's other
//! targets; and the `SetDataStreamConfiguration` requests to paste into Buzz's API console
//! (Agilix's own route: first with `"test": true` and the target disabled, then enabled), which
//! replace them. Pure: the requests come from [`crate::buzz::wire`], so they can never drift
//! from what setup sends. `export --format` puts the same into its templates' outputs.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::buzz::wire::{self, KinesisTarget, OurTarget};
use crate::names::{BuzzUrl, EventFilter};
use crate::text::shell_quote;

/// Stands for the domain in the requests when the AWS half was not told it.
pub(crate) const DOMAIN_PLACEHOLDER: &str = "YOUR_BUZZ_DOMAIN_ID";

/// Why the command is better than the paste, said wherever the requests are shown.
pub(crate) const PASTE_WARNING: &str = "Pasting replaces the domain's whole data stream configuration: add the domain's other targets (from getdatastreamconfiguration) to the request first. The command keeps them by itself.";

/// What the Buzz half needs to know of the AWS half, and of the target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Handover {
    pub role_arn: String,
    pub stream: String,
    pub region: String,
    /// `None` when the AWS half was not told the domain: the command then leaves `--domain`
    /// out (the Buzz half asks for it) and the requests carry [`DOMAIN_PLACEHOLDER`].
    pub domain: Option<String>,
    pub title: String,
    pub events: Vec<EventFilter>,
    /// Buzz's URL, when not the default.
    pub buzz_url: Option<String>,
    /// The Buzz login's name, when known (never its password).
    pub buzz_user: Option<String>,
}

impl Handover {
    /// The command's arguments, program name first.
    pub(crate) fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = ["buzz-kinesis", "setup", "--buzz-only"]
            .map(String::from)
            .to_vec();
        let mut flag = |name: &str, value: &str| {
            a.push(name.to_owned());
            a.push(value.to_owned());
        };
        flag("--role-arn", &self.role_arn);
        flag("--stream", &self.stream);
        flag("--region", &self.region);
        if let Some(d) = &self.domain {
            flag("--domain", d);
        }
        if self.title != default_title(&self.stream) {
            flag("--title", &self.title);
        }
        for e in &self.events {
            let text = if e.properties.is_empty() {
                e.event_type.to_string()
            } else {
                format!("{}:{}", e.event_type, e.properties)
            };
            flag("--event", &text);
        }
        if let Some(url) = self.buzz_url.as_deref().filter(|u| !is_default_url(u)) {
            flag("--buzz-url", url);
        }
        if let Some(u) = &self.buzz_user {
            flag("--buzz-user", u);
        }
        a
    }

    /// The command as a person pastes it into a POSIX shell.
    pub(crate) fn command_line(&self) -> String {
        self.args()
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Our target as Buzz gets it.
    pub(crate) fn target(&self, enabled: bool) -> KinesisTarget {
        KinesisTarget {
            title: self.title.clone(),
            enabled,
            stream: self.stream.clone(),
            role_arn: self.role_arn.clone(),
            region: self.region.clone(),
            filters: self.events.clone(),
        }
    }

    fn domain(&self) -> &str {
        self.domain.as_deref().unwrap_or(DOMAIN_PLACEHOLDER)
    }

    /// The first request: Buzz tests our target, disabled, and saves nothing.
    pub(crate) fn test_request(&self) -> Value {
        let config = wire::with_target(&Map::new(), &self.target(false));
        wire::request_body(
            wire::CMD_SET_CONFIG,
            wire::set_request(self.domain(), &config, true),
        )
    }

    /// The second request, once the first answered OK: the same target, enabled, saved.
    pub(crate) fn request(&self) -> Value {
        self.request_with(&[])
    }

    /// [`Self::request`] with our other targets (the add-ons' Buzz delivers to), enabled.
    pub(crate) fn request_with(&self, also: &[Arc<dyn OurTarget>]) -> Value {
        let config = also.iter().fold(
            wire::with_target(&Map::new(), &self.target(true)),
            |c, t| wire::with_ours(&c, t.as_ref(), true),
        );
        wire::request_body(
            wire::CMD_SET_CONFIG,
            wire::set_request(self.domain(), &config, false),
        )
    }
}

/// The title setup gives a target when `--title` is not given.
pub(crate) fn default_title(stream: &str) -> String {
    format!("Kinesis: {stream}")
}

/// One of Agilix's own hosts: the other half's run picks its own default host.
fn is_default_url(url: &str) -> bool {
    BuzzUrl::is_agilix_default(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn handover() -> Handover {
        Handover {
            role_arn: "arn:aws:iam::123456789012:role/BuzzKinesisWriter".into(),
            stream: "buzz-events".into(),
            region: "us-east-1".into(),
            domain: Some("424242".into()),
            title: "Kinesis: buzz-events".into(),
            events: vec![],
            buzz_url: Some("https://api.agilixbuzz.com/".into()),
            buzz_user: None,
        }
    }

    #[test]
    fn the_command_names_every_value_and_only_what_differs_from_defaults() {
        let h = handover();
        assert_eq!(
            h.command_line(),
            "buzz-kinesis setup --buzz-only --role-arn arn:aws:iam::123456789012:role/BuzzKinesisWriter --stream buzz-events --region us-east-1 --domain 424242"
        );
        let h = Handover {
            domain: None,
            title: "Grades' stream".into(),
            events: vec![EventFilter::parse("--event", "GradeChanged:score,user.id").unwrap()],
            buzz_url: Some("http://127.0.0.1:4000".into()),
            buzz_user: Some("district/lms".into()),
            ..handover()
        };
        let line = h.command_line();
        assert!(!line.contains("--domain"), "{line}");
        assert!(line.contains(r"--title 'Grades'\'' stream'"), "{line}");
        assert!(
            line.contains("--event GradeChanged:score,user.id"),
            "{line}"
        );
        assert!(
            line.contains("--buzz-url http://127.0.0.1:4000 --buzz-user district/lms"),
            "{line}"
        );
    }

    #[test]
    fn the_requests_follow_agilix_route_test_disabled_then_enabled() {
        let h = handover();
        let test = h.test_request();
        assert_eq!(test["request"]["cmd"], "setdatastreamconfiguration");
        assert_eq!(test["request"]["test"], json!(true));
        assert_eq!(test["request"]["domainid"], "424242");
        assert_eq!(test["request"]["kinesis"][0]["enabled"], json!(false));
        let save = h.request();
        assert!(save["request"].get("test").is_none());
        assert_eq!(save["request"]["kinesis"][0]["enabled"], json!(true));
        assert_eq!(save["request"]["kinesis"][0]["roleArn"], json!(h.role_arn));
        let unknown = Handover {
            domain: None,
            ..handover()
        };
        assert_eq!(unknown.request()["request"]["domainid"], DOMAIN_PLACEHOLDER);
    }
}
