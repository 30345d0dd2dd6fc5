//! Every Buzz field and command name this tool uses, and the pure functions that read and
//! rewrite a domain's data stream configuration. Names marked *inferred* in
//! `shared/docs/buzz-api.md` live only here, so a correction is one edit (README: "Known
//! unknowns").

use serde_json::{json, Map, Value};

use crate::names::EventFilter;

pub const CMD_LOGIN: &str = "login3";
pub const CMD_SECOND_FACTOR: &str = "secondfactorauthenticate";
pub const CMD_GET_CONFIG: &str = "getdatastreamconfiguration";
pub const CMD_SET_CONFIG: &str = "setdatastreamconfiguration";

pub const CODE_OK: &str = "OK";
pub const CODE_NO_AUTH: &str = "NoAuthentication";
pub const CODE_ACCESS_DENIED: &str = "AccessDenied";
pub const CODE_SECOND_FACTOR: &str = "SecondFactorRequired";
pub const CODE_RATE_LIMIT: &str = "RateLimit";
pub const CODE_OVERWHELMED: &str = "ServerOverwhelmed";
/// Codes with which Buzz reports that its test of a target failed (the role could not be
/// assumed, the stream not written). *Inferred*: Buzz's docs do not name them. Right after a
/// role is created or changed, these are retried while IAM propagates it.
pub const TEST_FAILURE_CODES: [&str; 2] = ["BadRequest", "Exception"];

pub const DOMAIN_ID: &str = "domainid";
pub const TEST: &str = "test";

/// The array key of Kinesis targets. *Inferred*: only `https` has been seen in working code.
pub const KINESIS: &str = "kinesis";
/// Target array keys Buzz is known or believed to use; these are arrays even when Buzz's
/// XML-root quirk sends them as a single object or `{}`. *Inferred* except `https`.
pub const TARGET_KEYS: [&str; 5] = ["https", KINESIS, "firehose", "sqs", "email"];

pub const TITLE: &str = "title";
pub const ENABLED: &str = "enabled";
pub const STREAM: &str = "targetKinesisStream";
pub const ROLE_ARN: &str = "roleArn";
pub const REGION: &str = "targetRegion";
/// The filter list's key. *Inferred*: the reference lists `eventType` and `properties` as
/// parameters; the seed's JSON nests them in `filter`.
pub const FILTER: &str = "filter";
pub const EVENT_TYPE: &str = "eventType";
pub const PROPERTIES: &str = "properties";

/// Keys of a get response that are the envelope, not the configuration.
const ENVELOPE_KEYS: [&str; 4] = ["code", "message", "errorId", DOMAIN_ID];

/// Buzz's JSON of an XML collection: an array, a single object for one element, `{}` or a
/// missing key for none. Returns the elements in every case.
pub fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) if o.is_empty() => Vec::new(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

/// A Buzz boolean: `true`, `"true"` or `"True"` (XML-born values arrive as strings).
pub fn as_bool(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn as_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The configuration in a `getdatastreamconfiguration` response: everything but the
/// envelope, with the known target keys made into plain arrays (unknown keys untouched).
pub fn config_from_response(response: &Map<String, Value>) -> Map<String, Value> {
    response
        .iter()
        .filter(|(k, _)| !ENVELOPE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| {
            if TARGET_KEYS.contains(&k.as_str()) {
                (k.clone(), Value::Array(as_list(Some(v))))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

/// The Kinesis target this tool manages, as it wants it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KinesisTarget {
    pub title: String,
    pub enabled: bool,
    pub stream: String,
    pub role_arn: String,
    pub region: String,
    /// Empty = every event type.
    pub filters: Vec<EventFilter>,
}

impl KinesisTarget {
    /// Our fields written over `base` (an existing target), keeping any key we do not know.
    pub fn to_json(&self, base: Option<&Value>) -> Value {
        let mut obj = base.and_then(Value::as_object).cloned().unwrap_or_default();
        obj.insert(TITLE.into(), json!(self.title));
        obj.insert(ENABLED.into(), json!(self.enabled));
        obj.insert(STREAM.into(), json!(self.stream));
        obj.insert(ROLE_ARN.into(), json!(self.role_arn));
        obj.insert(REGION.into(), json!(self.region));
        if self.filters.is_empty() {
            obj.remove(FILTER);
        } else {
            let filters: Vec<Value> = self
                .filters
                .iter()
                .map(|f| json!({EVENT_TYPE: f.event_type, PROPERTIES: f.properties}))
                .collect();
            obj.insert(FILTER.into(), Value::Array(filters));
        }
        Value::Object(obj)
    }

    /// Whether `existing` already says what we want (Buzz may answer booleans as strings and
    /// filter lists in its quirky forms, so compare meaning, not bytes).
    pub fn is_satisfied_by(&self, existing: &Value) -> bool {
        let filters: Vec<(String, String)> = as_list(existing.get(FILTER))
            .iter()
            .map(|f| (as_text(f.get(EVENT_TYPE)), as_text(f.get(PROPERTIES))))
            .collect();
        let wanted: Vec<(String, String)> = self
            .filters
            .iter()
            .map(|f| (f.event_type.clone(), f.properties.clone()))
            .collect();
        as_text(existing.get(TITLE)) == self.title
            && as_bool(existing.get(ENABLED)) == self.enabled
            && as_text(existing.get(STREAM)) == self.stream
            && as_text(existing.get(ROLE_ARN)) == self.role_arn
            && as_text(existing.get(REGION)) == self.region
            && filters == wanted
    }
}

/// Where our target sits in the configuration's Kinesis list: the one naming our stream and
/// role. Buzz matches targets by position, so the position is what we keep.
pub fn find_target(
    config: &Map<String, Value>,
    stream: &str,
    role_arn: &str,
) -> Option<(usize, Value)> {
    as_list(config.get(KINESIS))
        .into_iter()
        .enumerate()
        .find(|(_, t)| as_text(t.get(STREAM)) == stream && as_text(t.get(ROLE_ARN)) == role_arn)
}

/// The whole configuration with our target put in place (or appended), every other key and
/// target carried through as it was.
pub fn with_target(config: &Map<String, Value>, target: &KinesisTarget) -> Map<String, Value> {
    let mut out = config.clone();
    let mut list = as_list(config.get(KINESIS));
    match find_target(config, &target.stream, &target.role_arn) {
        Some((i, existing)) => list[i] = target.to_json(Some(&existing)),
        None => list.push(target.to_json(None)),
    }
    out.insert(KINESIS.into(), Value::Array(list));
    out
}

/// The whole configuration without our target (teardown). `None` when ours is absent.
pub fn without_target(
    config: &Map<String, Value>,
    stream: &str,
    role_arn: &str,
) -> Option<Map<String, Value>> {
    let (i, _) = find_target(config, stream, role_arn)?;
    let mut out = config.clone();
    let mut list = as_list(config.get(KINESIS));
    list.remove(i);
    if list.is_empty() {
        out.remove(KINESIS);
    } else {
        out.insert(KINESIS.into(), Value::Array(list));
    }
    Some(out)
}

/// The `setdatastreamconfiguration` request parameters for `config` on `domain`.
pub fn set_request(domain: &str, config: &Map<String, Value>, test: bool) -> Map<String, Value> {
    let mut req = Map::new();
    req.insert(DOMAIN_ID.into(), json!(domain));
    if test {
        req.insert(TEST.into(), json!(true));
    }
    for (k, v) in config {
        req.insert(k.clone(), v.clone());
    }
    req
}

/// A whole request as it goes on the wire and as a person pastes it into Buzz's API console:
/// `{"request": {"cmd": ..., ...params}}`.
pub fn request_body(cmd: &str, params: Map<String, Value>) -> Value {
    let mut request = Map::new();
    request.insert("cmd".into(), json!(cmd));
    request.extend(params);
    json!({ "request": request })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> KinesisTarget {
        KinesisTarget {
            title: "Kinesis: buzz-events".into(),
            enabled: true,
            stream: "buzz-events".into(),
            role_arn: "arn:aws:iam::123456789012:role/BuzzKinesisWriter".into(),
            region: "us-east-1".into(),
            filters: vec![],
        }
    }

    #[test]
    fn quirky_collections_read_as_lists() {
        assert_eq!(as_list(Some(&json!({}))).len(), 0);
        assert_eq!(as_list(Some(&json!({"a": 1}))).len(), 1);
        assert_eq!(as_list(Some(&json!([1, 2]))).len(), 2);
        assert_eq!(as_list(None).len(), 0);
        let cfg = config_from_response(
            json!({"code": "OK", "https": {"title": "hook"}, "sqs": {}, "futureThing": {"x": 1}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(cfg["https"], json!([{"title": "hook"}]));
        assert_eq!(cfg["sqs"], json!([]));
        assert_eq!(
            cfg["futureThing"],
            json!({"x": 1}),
            "unknown keys pass through"
        );
        assert!(!cfg.contains_key("code"));
    }

    #[test]
    fn our_target_is_replaced_in_place_and_others_kept() {
        let other = json!({"title": "theirs", "targetKinesisStream": "x", "roleArn": "r", "targetRegion": "us-east-1", "enabled": true});
        let mut old = target().to_json(None);
        old["enabled"] = json!(false);
        old["extraKey"] = json!("kept");
        let cfg = json!({"https": [{"title": "hook"}], "kinesis": [other.clone(), old], "z": 1});
        let cfg = cfg.as_object().unwrap();
        let new = with_target(cfg, &target());
        let list = new["kinesis"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], other);
        assert_eq!(list[1]["enabled"], json!(true));
        assert_eq!(list[1]["extraKey"], json!("kept"));
        assert_eq!(new["https"], cfg["https"]);
        assert_eq!(new["z"], json!(1));
        assert!(target().is_satisfied_by(&list[1]));
    }

    #[test]
    fn a_missing_target_is_appended_and_removal_clears_an_empty_list() {
        let cfg = Map::new();
        let new = with_target(&cfg, &target());
        assert_eq!(new["kinesis"].as_array().unwrap().len(), 1);
        let t = target();
        let gone = without_target(&new, &t.stream, &t.role_arn).unwrap();
        assert!(gone.is_empty());
        assert!(without_target(&gone, &t.stream, &t.role_arn).is_none());
    }

    #[test]
    fn satisfaction_reads_buzz_strings_and_filters() {
        let mut t = target();
        t.filters = vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()];
        let mut j = t.to_json(None);
        j["enabled"] = json!("True");
        j["filter"] = json!({"eventType": "UserEntityCreated", "properties": ""});
        assert!(t.is_satisfied_by(&j));
        j["targetRegion"] = json!("eu-west-1");
        assert!(!t.is_satisfied_by(&j));
    }
}
