//! Every Buzz field and command name this tool uses, and the pure functions that read and
//! rewrite a domain's data stream configuration. Names marked *inferred* in
//! `docs/buzz-api.md` live only here, so a correction is one edit (docs/buzz-api.md,
//! "Known unknowns").

use serde_json::{json, Map, Value};

use crate::names::EventFilter;
use crate::text::outside;

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
/// Codes about the login or the session rather than the request. Buzz's code for a failed
/// target test is *not known* (BadRequest, Exception, AccessDenied with AWS's text, ...), so
/// the tool never lists it: any other non-OK answer to a set is a failed test (see
/// `answer.rs`).
pub const LOGIN_CODES: [&str; 7] = [
    "InvalidCredentials",
    CODE_NO_AUTH,
    CODE_SECOND_FACTOR,
    "SecondFactorConfigurationNowRequired",
    "DeactivatedUserOrDomain",
    "AccountLockout",
    "PasswordExpired",
];

/// OAuth 2.0 application identity (RFC 6749 client credentials with an RFC 7523 JWT
/// assertion). The endpoint, the form and the answer's fields are Agilix's [fact]; the
/// assertion's claims and the endpoint's error answers are *inferred* (docs/buzz-api.md).
pub const OAUTH_TOKEN_PATH: &str = "api/oauth/token";
pub const OAUTH_GRANT_TYPE: &str = "grant_type";
pub const OAUTH_CLIENT_CREDENTIALS: &str = "client_credentials";
pub const OAUTH_ASSERTION_TYPE: &str = "client_assertion_type";
pub const OAUTH_JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const OAUTH_ASSERTION: &str = "client_assertion";
pub const OAUTH_ACCESS_TOKEN: &str = "access_token";
pub const OAUTH_TOKEN_TYPE: &str = "token_type";
pub const OAUTH_EXPIRES_IN: &str = "expires_in";
/// RFC 6749's error answer (*inferred* for Buzz: it may answer with its own envelope).
pub const OAUTH_ERROR: &str = "error";
pub const OAUTH_ERROR_DESCRIPTION: &str = "error_description";
/// What a token lasts when the answer does not say (Agilix: about an hour).
pub const OAUTH_DEFAULT_EXPIRES_IN: u64 = 3600;
/// The JWT's header and claims (RFC 7515/7519; the claim set is *inferred*, RFC 7523's).
pub const JWT_ALG: &str = "RS256";

/// Registering an identity's public key: `PUT {base}/api/users/{userid}/keys/{kid}` with the
/// PEM as the body; `204` when stored. [fact]
pub fn key_path(userid: &str, kid: &str) -> String {
    format!("api/users/{userid}/keys/{kid}")
}
pub const PEM_CONTENT_TYPE: &str = "application/x-pem-file";

/// Creating an application identity: `CreateUsers2` with `type: applicationidentity` [fact].
/// The batch form (`{"requests": {"user": [...]}}` to `/cmd/createusers2`, answered with
/// `responses.response[]`, each with a code and the `user`) is *inferred* from Buzz's other
/// batch commands.
pub const CMD_CREATE_USERS: &str = "createusers2";
pub const REQUESTS: &str = "requests";
pub const RESPONSES: &str = "responses";
pub const USER_TYPE: &str = "type";
pub const APP_IDENTITY_TYPE: &str = "applicationidentity";
pub const FIRST_NAME: &str = "firstname";
pub const LAST_NAME: &str = "lastname";
pub const EMAIL: &str = "email";

/// The `CreateUsers2` body for one application identity in `domain`.
pub fn create_identity_body(domain: &str, username: &str, display_name: &str) -> Value {
    json!({ REQUESTS: { USER: [{
        DOMAIN_ID: domain,
        USER_NAME: username,
        FIRST_NAME: display_name,
        LAST_NAME: "application identity",
        EMAIL: "",
        USER_TYPE: APP_IDENTITY_TYPE,
    }]}})
}

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

/// Keys of a request that are ours, whatever a configuration read back holds: the command,
/// the domain and the test switch. A get answer carrying one of them (a Buzz that echoes
/// `test`, a hostile `cmd`) must not turn a save into a test, or a test into a save, or send
/// the configuration to another domain or command.
/// Compared without case ([`is_reserved`]): a `Test` or `DomainId` is the same key to a
/// server that reads names without case.
pub const RESERVED_KEYS: [&str; 3] = [CMD, DOMAIN_ID, TEST];

/// Whether `key` is one of [`RESERVED_KEYS`], in any case.
pub fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.iter().any(|r| r.eq_ignore_ascii_case(key))
}

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

/// A Buzz scalar as text (ids may come as numbers; a missing value is empty).
pub fn as_text(v: Option<&Value>) -> String {
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
    /// Where this target writes.
    pub fn destination(&self) -> Destination {
        Destination {
            region: self.region.to_ascii_lowercase(),
            stream: self.stream.clone(),
            account: role_account(&self.role_arn).unwrap_or_default().to_owned(),
        }
    }

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

/// Where a kinesis target writes: the region, the stream name and the AWS account of its role.
/// That, not the role's name or the title, identifies a target: two targets with the same
/// destination make Buzz deliver every event twice, and a new `--role` for the same stream is
/// the same target moved to another role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Destination {
    pub region: String,
    pub stream: String,
    pub account: String,
}

impl Destination {
    /// The destination a saved target names; `None` when it lacks a stream, a region or a
    /// role ARN with an account in it.
    pub fn of_saved(target: &Value) -> Option<Destination> {
        let stream = as_text(target.get(STREAM));
        let region = as_text(target.get(REGION)).to_ascii_lowercase();
        let account = role_account(&as_text(target.get(ROLE_ARN)))?.to_owned();
        (!stream.is_empty() && !region.is_empty()).then_some(Destination {
            region,
            stream,
            account,
        })
    }
}

/// The account of an IAM role ARN (`arn:PARTITION:iam::ACCOUNT:role/...`).
pub fn role_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn_word == "arn" && service == "iam" && resource.starts_with("role/") && !account.is_empty())
        .then_some(account)
}

/// A saved kinesis target, read for people: its title, or where it writes. Every value is
/// Buzz's (another administrator's), so each is marked as outside text.
pub fn describe_saved(target: &Value) -> String {
    let title = as_text(target.get(TITLE));
    let stream = as_text(target.get(STREAM));
    let role = as_text(target.get(ROLE_ARN));
    let (stream, role) = (outside(&stream), outside(&role));
    if title.is_empty() {
        format!("(untitled) to {stream} with role {role}")
    } else {
        format!("\"{}\" to {stream} with role {role}", outside(&title))
    }
}

/// A target of ours beside the kinesis one: one an add-on asks Buzz to deliver to (an SQS
/// queue, say). The plan, setup's registration, teardown and check keep it the way they keep
/// the kinesis target, through the same functions underneath: found by where it delivers
/// (Buzz matches targets by position, so the first of ours keeps its place and the keys this
/// tool does not know), any further one delivering there removed (each delivers every event
/// again), appended when there is none, every other target carried through as it was.
/// Whether it is enabled is setup's to decide, not the target's.
pub trait OurTarget: std::fmt::Debug + Send + Sync {
    /// The key its kind is filed under (one of [`TARGET_KEYS`]).
    fn key(&self) -> &'static str;
    /// Whether a saved target under that key is this one: it delivers where this one does.
    fn is_ours(&self, saved: &Value) -> bool;
    /// It as setup saves it, written over `base` (the saved one), the keys this tool does not
    /// know kept; `enabled` as it is in `base`, or as the caller then sets it.
    fn to_json(&self, base: Option<&Value>) -> Value;
    /// Whether a saved one already says what setup wants, `enabled` aside (Buzz may answer
    /// booleans as strings and lists in its quirky forms: compare meaning, not bytes).
    fn is_satisfied_by(&self, saved: &Value) -> bool;
    /// For people: what it is and where it delivers, in a plan's line or a check's row.
    fn describe(&self) -> String;
}

/// The saved targets under `key` that `ours` says are ours, with their positions (Buzz matches
/// targets by position, so the position is what we keep).
fn matching(
    config: &Map<String, Value>,
    key: &str,
    ours: &dyn Fn(&Value) -> bool,
) -> Vec<(usize, Value)> {
    as_list(config.get(key))
        .into_iter()
        .enumerate()
        .filter(|(_, t)| ours(t))
        .collect()
}

/// The whole configuration with `json(base)` put in place of the first saved target under
/// `key` that `ours` says is ours (its position kept, `base` the saved one, so its unknown
/// keys are too), any further one removed, or `json(None)` appended when there is none;
/// `enabled` set on it. Every other key and target is carried through as it was.
fn put(
    config: &Map<String, Value>,
    key: &str,
    ours: &dyn Fn(&Value) -> bool,
    json: &dyn Fn(Option<&Value>) -> Value,
    enabled: bool,
) -> Map<String, Value> {
    let mut out = config.clone();
    let mut placed = false;
    let mut list = Vec::new();
    for t in as_list(config.get(key)) {
        if !ours(&t) {
            list.push(t);
        } else if !placed {
            list.push(enabled_as(json(Some(&t)), enabled));
            placed = true;
        }
    }
    if !placed {
        list.push(enabled_as(json(None), enabled));
    }
    out.insert(key.into(), Value::Array(list));
    out
}

fn enabled_as(mut target: Value, enabled: bool) -> Value {
    if let Some(obj) = target.as_object_mut() {
        obj.insert(ENABLED.into(), json!(enabled));
    }
    target
}

/// The whole configuration without any saved target under `key` that `ours` says is ours;
/// the key goes when nothing is left under it. `None` when there is none.
fn removed(
    config: &Map<String, Value>,
    key: &str,
    ours: &dyn Fn(&Value) -> bool,
) -> Option<Map<String, Value>> {
    let (mine, rest): (Vec<Value>, Vec<Value>) =
        as_list(config.get(key)).into_iter().partition(|t| ours(t));
    if mine.is_empty() {
        return None;
    }
    let mut out = config.clone();
    if rest.is_empty() {
        out.remove(key);
    } else {
        out.insert(key.into(), Value::Array(rest));
    }
    Some(out)
}

/// The configuration with the enabled flag of every saved target under `key` that `ours`
/// says is ours set to `enabled` (the seed's first step tests the target disabled).
fn enabled_set(
    config: &Map<String, Value>,
    key: &str,
    ours: &dyn Fn(&Value) -> bool,
    enabled: bool,
) -> Map<String, Value> {
    let mut out = config.clone();
    if let Some(Value::Array(list)) = out.get_mut(key) {
        for t in list.iter_mut().filter(|t| ours(t)) {
            t[ENABLED] = json!(enabled);
        }
    }
    out
}

/// The saved targets that are `t`, with their positions.
pub fn ours_of(config: &Map<String, Value>, t: &dyn OurTarget) -> Vec<(usize, Value)> {
    matching(config, t.key(), &|v| t.is_ours(v))
}

/// The whole configuration with `t` in it, `enabled` as given: in place of the first saved
/// one, any further one removed, or appended.
pub fn with_ours(
    config: &Map<String, Value>,
    t: &dyn OurTarget,
    enabled: bool,
) -> Map<String, Value> {
    put(
        config,
        t.key(),
        &|v| t.is_ours(v),
        &|base| t.to_json(base),
        enabled,
    )
}

/// The whole configuration without `t` (teardown). `None` when it is not there.
pub fn without_ours(config: &Map<String, Value>, t: &dyn OurTarget) -> Option<Map<String, Value>> {
    removed(config, t.key(), &|v| t.is_ours(v))
}

/// The configuration with `t` (every saved one) enabled or not.
pub fn with_ours_enabled(
    config: &Map<String, Value>,
    t: &dyn OurTarget,
    enabled: bool,
) -> Map<String, Value> {
    enabled_set(config, t.key(), &|v| t.is_ours(v), enabled)
}

/// Whether a saved kinesis target writes where `dest` says.
fn writes_to(saved: &Value, dest: &Destination) -> bool {
    Destination::of_saved(saved).as_ref() == Some(dest)
}

/// The kinesis targets that write where `dest` says, with their positions.
pub fn targets_writing_to(config: &Map<String, Value>, dest: &Destination) -> Vec<(usize, Value)> {
    matching(config, KINESIS, &|v| writes_to(v, dest))
}

/// Our target: the first kinesis target writing to our destination.
pub fn find_target(config: &Map<String, Value>, dest: &Destination) -> Option<(usize, Value)> {
    targets_writing_to(config, dest).into_iter().next()
}

/// The whole configuration with our kinesis target put in place of the first target writing
/// to its destination (its position and unknown keys kept), any further targets writing there
/// removed (each delivered every event again), or appended when there is none. Every other
/// key and target is carried through as it was.
pub fn with_target(config: &Map<String, Value>, target: &KinesisTarget) -> Map<String, Value> {
    let dest = target.destination();
    put(
        config,
        KINESIS,
        &|v| writes_to(v, &dest),
        &|base| target.to_json(base),
        target.enabled,
    )
}

/// The whole configuration without any target writing to `dest` (teardown). `None` when
/// there is none.
pub fn without_target(
    config: &Map<String, Value>,
    dest: &Destination,
) -> Option<Map<String, Value>> {
    removed(config, KINESIS, &|v| writes_to(v, dest))
}

/// Targets of every kind in a configuration.
pub fn count_targets(config: &Map<String, Value>) -> usize {
    TARGET_KEYS
        .iter()
        .map(|k| as_list(config.get(*k)).len())
        .sum()
}

/// The configuration with the enabled flag of every target writing to `dest` set to
/// `enabled`.
pub fn with_enabled(
    config: &Map<String, Value>,
    dest: &Destination,
    enabled: bool,
) -> Map<String, Value> {
    enabled_set(config, KINESIS, &|v| writes_to(v, dest), enabled)
}

/// Keys of a configuration, other than the known target keys, that hold what look like
/// kinesis targets. The key Buzz uses for them is *inferred*; if its answer files them under
/// another key, sending our `kinesis` list would replace the configuration without them. The
/// callers refuse to send anything then.
pub fn unexpected_target_keys(config: &Map<String, Value>) -> Vec<String> {
    config
        .iter()
        .filter(|(k, _)| !TARGET_KEYS.contains(&k.as_str()))
        .filter(|(_, v)| {
            matches!(v, Value::Array(_) | Value::Object(_))
                && as_list(Some(v))
                    .iter()
                    .any(|t| t.get(STREAM).is_some() || t.get(ROLE_ARN).is_some())
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// The `setdatastreamconfiguration` request parameters for `config` on `domain`. The
/// reserved keys are ours ([`RESERVED_KEYS`]): any of them in `config` is left out.
pub fn set_request(domain: &str, config: &Map<String, Value>, test: bool) -> Map<String, Value> {
    let mut req = Map::new();
    req.insert(DOMAIN_ID.into(), json!(domain));
    if test {
        req.insert(TEST.into(), json!(true));
    }
    for (k, v) in config {
        if !is_reserved(k) {
            req.insert(k.clone(), v.clone());
        }
    }
    req
}

/// A whole request as it goes on the wire and as a person pastes it into Buzz's API console:
/// `{"request": {"cmd": ..., ...params}}`.
pub fn request_body(cmd: &str, params: Map<String, Value>) -> Value {
    let mut request = Map::new();
    request.insert(CMD.into(), json!(cmd));
    // The command is ours: a `cmd` among the parameters cannot replace it.
    request.extend(
        params
            .into_iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(CMD)),
    );
    let mut body = Map::new();
    body.insert(REQUEST.into(), Value::Object(request));
    Value::Object(body)
}

/// The envelope of every exchange: `{"request": {"cmd": ..., ...}}` out,
/// `{"response": {"code": ..., "message": ..., "errorId": ...}}` back.
pub const REQUEST: &str = "request";
pub const CMD: &str = "cmd";
pub const RESPONSE: &str = "response";
pub const CODE: &str = "code";
pub const MESSAGE: &str = "message";
pub const ERROR_ID: &str = "errorId";

/// Buzz's answer inside a body (`response`), whatever its code; `None` when the body is not
/// Buzz's JSON.
pub fn response_of(body: &Value) -> Option<Map<String, Value>> {
    body.get(RESPONSE).and_then(Value::as_object).cloned()
}

/// An answer's code (`""` when it has none).
pub fn code_of(answer: &Map<String, Value>) -> &str {
    answer.get(CODE).and_then(Value::as_str).unwrap_or("")
}

/// Login3's parameters.
pub const LOGIN_USERNAME: &str = "username";
pub const LOGIN_PASSWORD: &str = "password";
/// The second factor's parameter.
pub const LOGIN_OTP: &str = "otp";
/// In a `SecondFactorRequired` answer, the token the second factor is sent with; in the
/// `user` object of a successful login, the session's bearer token.
pub const TOKEN: &str = "token";
/// The logged-in user, in a successful login's answer, and its fields.
pub const USER: &str = "user";
pub const USER_ID: &str = "userid";
pub const USER_NAME: &str = "username";
pub const USER_SPACE: &str = "userspace";
pub const USER_DOMAIN: &str = "domainid";

/// The parameters of Login3 (the password goes nowhere else).
pub fn login_params(user: &str, password: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(LOGIN_USERNAME.into(), json!(user));
    m.insert(LOGIN_PASSWORD.into(), json!(password));
    m
}

/// The parameters of the second factor.
pub fn otp_params(otp: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(LOGIN_OTP.into(), json!(otp));
    m
}

/// The type of the event Buzz writes to the stream when it tests a target (`check --probe`
/// waits for it).
pub const PROBE_EVENT_TYPE: &str = "ValidateDataStreamConfiguration";

// The domain hierarchy (docs/buzz-api.md, "The domain hierarchy"). The commands and their
// parameters are known; the answers' shapes are inferred, and read tolerantly below.

pub const CMD_LIST_DOMAINS: &str = "listdomains";
pub const CMD_PARENT_LIST: &str = "getdomainparentlist";
pub const CMD_GET_DOMAIN: &str = "getdomain2";
/// `listdomains`: every level below `domainid`, not only its children.
pub const INCLUDE_DESCENDANTS: &str = "includedescendantdomains";
pub const LIMIT: &str = "limit";
pub const QUERY: &str = "query";
/// The collection of a list answer. *Inferred*: `{"domains": {"domain": [...]}}` (DLAP's JSON
/// of an XML root) or `{"domains": [...]}`.
pub const DOMAINS: &str = "domains";
/// One domain: the element of the nested list, and `getdomain2`'s answer.
pub const DOMAIN: &str = "domain";
pub const DOMAIN_RECORD_ID: &str = "id";
pub const DOMAIN_NAME: &str = "name";
pub const DOMAIN_USERSPACE: &str = "userspace";
/// *Inferred*: a root's `parentid` is `"0"` (or absent).
pub const PARENT_ID: &str = "parentid";
/// The page `listdomains` is asked for; Buzz may answer fewer (a server-side cap), so only an
/// empty page ends the list.
pub const DOMAINS_PAGE: usize = 500;
/// The most domains one subtree read takes; beyond, the list is cut and says so.
pub const MAX_SUBTREE: usize = 10_000;

/// *Inferred*: the next page of `listdomains` is asked for with `query` `/id>LAST`, LAST the
/// last id of the page before (how public clients page DLAP's list commands).
pub fn after_query(last_id: &str) -> String {
    format!("/id>{last_id}")
}

/// One domain of the tree, as Buzz lists it. Every text is Buzz's: outside text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DomainRecord {
    pub id: String,
    pub name: String,
    pub userspace: String,
    /// `None` for a root (`parentid` absent, empty or `0`).
    pub parent_id: Option<String>,
}

impl DomainRecord {
    /// A domain for a sentence: its name and id, the name marked as outside text.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("domain {}", outside(&self.id))
        } else {
            format!("domain {} ({})", outside(&self.id), outside(&self.name))
        }
    }

    fn read(v: &Value) -> Result<DomainRecord, String> {
        let Some(obj) = v.as_object() else {
            return Err(format!("a domain is not an object: {}", clip(v)));
        };
        let id = as_text(obj.get(DOMAIN_RECORD_ID));
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("a domain has no numeric \"id\": {}", clip(v)));
        }
        let parent = as_text(obj.get(PARENT_ID));
        Ok(DomainRecord {
            id,
            name: as_text(obj.get(DOMAIN_NAME)),
            userspace: as_text(obj.get(DOMAIN_USERSPACE)),
            parent_id: (!parent.is_empty() && parent != "0").then_some(parent),
        })
    }
}

/// A short quote of an answer for an error.
fn clip(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// The domains of a `listdomains` or `getdomainparentlist` answer, in every shape we know of:
/// `{"domains": {"domain": [...]}}`, `{"domains": [...]}`, a single object where there is one
/// element (`{"domain": {...}}` or the domain itself), `{}`, `""` or `null` where there is
/// none. Anything else is an error saying what was not understood: a list read wrong would
/// turn a school into a foreign tenant, or hide a double delivery.
pub fn domains_of(answer: &Map<String, Value>) -> Result<Vec<DomainRecord>, String> {
    let Some(list) = answer.get(DOMAINS) else {
        return Err(format!(
            "no \"{DOMAINS}\" in the answer: {}",
            clip(&Value::Object(answer.clone()))
        ));
    };
    let elements = match list {
        Value::Null => Vec::new(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        Value::Array(a) => a.clone(),
        Value::Object(o) if o.is_empty() => Vec::new(),
        Value::Object(o) if o.contains_key(DOMAIN) => as_list(o.get(DOMAIN)),
        Value::Object(o) if o.contains_key(DOMAIN_RECORD_ID) => vec![list.clone()],
        other => {
            return Err(format!(
                "\"{DOMAINS}\" is neither a list nor {{\"{DOMAIN}\": [...]}}: {}",
                clip(other)
            ))
        }
    };
    elements.iter().map(DomainRecord::read).collect()
}

/// The domain of a `getdomain2` answer: `{"domain": {...}}`, or the domain's fields at the
/// top of the answer.
pub fn domain_of(answer: &Map<String, Value>) -> Result<DomainRecord, String> {
    match answer.get(DOMAIN) {
        Some(d) => DomainRecord::read(d),
        None => DomainRecord::read(&Value::Object(answer.clone())),
    }
}

/// The ancestors in a parent list, nearest first whatever order Buzz answered in, without the
/// domain itself: the chain is followed from `own`'s parent. Entries off the chain (or a
/// domain record without its parent) are kept in the order given, after the chain.
/// The most ancestors read: each is one more configuration read, and a domain tree is never
/// this deep. A longer list is an answer not understood, not a plan to read it all.
pub const MAX_ANCESTORS: usize = 64;

/// `getdomainparentlist`'s domains as the ancestors to read: each id once (the first
/// occurrence), at most [`MAX_ANCESTORS`], nearest first ([`nearest_first`]).
pub fn ancestors_of(
    own: &DomainRecord,
    list: Vec<DomainRecord>,
) -> std::result::Result<Vec<DomainRecord>, String> {
    let mut seen = std::collections::HashSet::new();
    let list: Vec<DomainRecord> = list
        .into_iter()
        .filter(|d| d.id != own.id && seen.insert(d.id.clone()))
        .collect();
    if list.len() > MAX_ANCESTORS {
        return Err(format!(
            "it lists {} different ancestors, more than the {MAX_ANCESTORS} this tool reads",
            list.len()
        ));
    }
    Ok(nearest_first(own, list))
}

pub fn nearest_first(own: &DomainRecord, list: Vec<DomainRecord>) -> Vec<DomainRecord> {
    let mut rest: Vec<DomainRecord> = list.into_iter().filter(|d| d.id != own.id).collect();
    let mut chain = Vec::new();
    let mut at = own.parent_id.clone();
    while let Some(parent) = at {
        let Some(i) = rest.iter().position(|d| d.id == parent) else {
            break;
        };
        let d = rest.remove(i);
        at = d.parent_id.clone();
        chain.push(d);
    }
    if chain.is_empty() && own.parent_id.is_none() {
        // No parent known for the domain: trust the answer's order, nearest first if the
        // last entry is a root.
        if rest.first().is_some_and(|d| d.parent_id.is_none()) && rest.len() > 1 {
            rest.reverse();
        }
        return rest;
    }
    chain.extend(rest);
    chain
}

/// A `listdomains` request for `domain`: every descendant, one page after `after`.
pub fn list_domains_params(domain: &str, after: Option<&str>) -> Map<String, Value> {
    let mut params = Map::new();
    params.insert(DOMAIN_ID.into(), json!(domain));
    params.insert(INCLUDE_DESCENDANTS.into(), json!(true));
    params.insert(LIMIT.into(), json!(DOMAINS_PAGE));
    if let Some(last) = after {
        params.insert(QUERY.into(), json!(after_query(last)));
    }
    params
}

#[cfg(test)]
mod tests {
    fn answer(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_domain_list_is_read_in_every_shape() {
        let d = |id: &str| json!({"id": id, "name": format!("School {id}"), "userspace": format!("s{id}"), "parentid": "424242"});
        let two = vec!["500001", "500002"];
        for (shape, v) in [
            (
                "nested",
                json!({"domains": {"domain": [d("500001"), d("500002")]}}),
            ),
            ("flat", json!({"domains": [d("500001"), d("500002")]})),
        ] {
            let got: Vec<String> = domains_of(&answer(v))
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(got, two, "{shape}");
        }
        for (shape, v) in [
            ("nested single", json!({"domains": {"domain": d("500001")}})),
            ("flat single", json!({"domains": d("500001")})),
            ("flat list of one", json!({"domains": [d("500001")]})),
        ] {
            let got = domains_of(&answer(v)).unwrap();
            assert_eq!(got.len(), 1, "{shape}");
            assert_eq!(got[0].name, "School 500001");
            assert_eq!(got[0].parent_id.as_deref(), Some("424242"));
        }
        for (shape, v) in [
            ("nested none", json!({"domains": {"domain": {}}})),
            ("nested missing", json!({"domains": {}})),
            ("empty list", json!({"domains": []})),
            ("null", json!({"domains": null})),
            ("empty text", json!({"domains": ""})),
        ] {
            assert!(domains_of(&answer(v)).unwrap().is_empty(), "{shape}");
        }
        // Numbers for ids, and a root's parent.
        let root = domains_of(&answer(
            json!({"domains": [{"id": 400000, "parentid": "0"}]}),
        ))
        .unwrap();
        assert_eq!(root[0].id, "400000");
        assert_eq!(root[0].parent_id, None);
    }

    #[test]
    fn an_unknown_domain_list_shape_is_an_error_that_quotes_it() {
        for v in [
            json!({"code": "OK"}),
            json!({"domains": 7}),
            json!({"domains": {"items": []}}),
            json!({"domains": [{"name": "no id"}]}),
            json!({"domains": [{"id": "//not-a-number"}]}),
            json!({"domains": ["500001"]}),
        ] {
            let e = domains_of(&answer(v.clone())).unwrap_err();
            assert!(!e.is_empty(), "{v}");
        }
    }

    #[test]
    fn getdomain2_is_read_nested_or_flat() {
        let nested = domain_of(&answer(json!({"code": "OK", "domain": {"id": "424242", "name": "District", "parentid": "400000"}}))).unwrap();
        assert_eq!(nested.id, "424242");
        assert_eq!(nested.parent_id.as_deref(), Some("400000"));
        let flat = domain_of(&answer(
            json!({"code": "OK", "id": "424242", "name": "District"}),
        ))
        .unwrap();
        assert_eq!(flat.name, "District");
        assert!(domain_of(&answer(json!({"code": "OK", "domain": null}))).is_err());
    }

    #[test]
    fn the_parent_list_is_nearest_first_in_either_order_and_without_itself() {
        let d = |id: &str, parent: &str| DomainRecord {
            id: id.into(),
            name: String::new(),
            userspace: String::new(),
            parent_id: (parent != "0").then(|| parent.to_owned()),
        };
        let school = d("500001", "424242");
        let nearest = vec![d("424242", "400000"), d("400000", "0")];
        let root_first = vec![d("400000", "0"), d("424242", "400000")];
        let with_self = vec![
            d("500001", "424242"),
            d("424242", "400000"),
            d("400000", "0"),
        ];
        for list in [nearest, root_first, with_self] {
            let ids: Vec<String> = nearest_first(&school, list)
                .into_iter()
                .map(|r| r.id)
                .collect();
            assert_eq!(ids, ["424242", "400000"]);
        }
        assert!(nearest_first(&d("400000", "0"), vec![]).is_empty());
    }

    #[test]
    fn the_ancestors_are_read_once_each_and_at_most_the_cap() {
        let d = |id: String, parent: Option<String>| DomainRecord {
            id,
            name: String::new(),
            userspace: String::new(),
            parent_id: parent,
        };
        let school = d("500001".into(), Some("424242".into()));
        let district = || d("424242".into(), Some("400000".into()));
        let root = || d("400000".into(), None);
        // The same domain listed three times is read once.
        let ids: Vec<String> = ancestors_of(
            &school,
            vec![district(), root(), district(), root(), district()],
        )
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
        assert_eq!(ids, ["424242", "400000"]);
        // A chain of exactly the cap is read; one more is refused, naming the count and the cap.
        let chain = |n: usize| -> Vec<DomainRecord> {
            (0..n)
                .map(|i| d(format!("{}", 600_000 + i), Some(format!("{}", 600_001 + i))))
                .collect()
        };
        let start = d("599999".into(), Some("600000".into()));
        assert_eq!(
            ancestors_of(&start, chain(MAX_ANCESTORS)).unwrap().len(),
            MAX_ANCESTORS
        );
        let e = ancestors_of(&start, chain(MAX_ANCESTORS + 1)).unwrap_err();
        assert!(
            e.contains("65 different ancestors") && e.contains("64"),
            "{e}"
        );
        // Duplicates do not count towards the cap.
        let mut doubled = chain(MAX_ANCESTORS);
        doubled.extend(chain(MAX_ANCESTORS));
        assert_eq!(ancestors_of(&start, doubled).unwrap().len(), MAX_ANCESTORS);
    }

    #[test]
    fn a_domain_list_not_understood_is_quoted_in_the_error_and_cut_at_200_characters() {
        assert_eq!(
            domains_of(&answer(json!({"code": "OK"}))).unwrap_err(),
            r#"no "domains" in the answer: {"code":"OK"}"#
        );
        // An object that is neither {"domain": ...} nor a domain is not read as a domain.
        assert_eq!(
            domains_of(&answer(json!({"domains": {"items": []}}))).unwrap_err(),
            r#""domains" is neither a list nor {"domain": [...]}: {"items":[]}"#
        );
        // Text is no list, unless it is empty (DLAP's JSON of an empty XML element).
        assert!(domains_of(&answer(json!({"domains": "500001"}))).is_err());
        assert!(domains_of(&answer(json!({"domains": "  "})))
            .unwrap()
            .is_empty());
        let long = "x".repeat(300);
        let e = domains_of(&answer(json!({"domains": [{"name": long}]}))).unwrap_err();
        let quote = e
            .strip_prefix(r#"a domain has no numeric "id": "#)
            .unwrap_or_else(|| panic!("{e}"));
        assert_eq!(quote, format!(r#"{{"name":"{}..."#, "x".repeat(191)));
    }

    #[test]
    fn a_parent_list_for_a_domain_whose_parent_is_unknown_keeps_nearest_first() {
        let d = |id: &str, parent: Option<&str>| DomainRecord {
            id: id.into(),
            name: String::new(),
            userspace: String::new(),
            parent_id: parent.map(str::to_owned),
        };
        let ids =
            |list: Vec<DomainRecord>| -> Vec<String> { list.into_iter().map(|r| r.id).collect() };
        // The domain's own record came without its parent: the answer's order is trusted,
        // turned round when it starts at the root.
        let unknown = d("500001", None);
        let root_first = vec![d("400000", None), d("424242", Some("400000"))];
        let nearest = vec![d("424242", Some("400000")), d("400000", None)];
        assert_eq!(
            ids(nearest_first(&unknown, root_first)),
            ["424242", "400000"]
        );
        assert_eq!(ids(nearest_first(&unknown, nearest)), ["424242", "400000"]);
        // A parent that is not in the list: the entries stay in the order given.
        let school = d("500001", Some("424242"));
        let off_chain = vec![d("400000", None), d("300000", Some("200000"))];
        assert_eq!(ids(nearest_first(&school, off_chain)), ["400000", "300000"]);
    }

    #[test]
    fn the_next_page_is_asked_after_the_last_id() {
        let first = list_domains_params("424242", None);
        assert_eq!(first[INCLUDE_DESCENDANTS], json!(true));
        assert!(!first.contains_key(QUERY));
        let next = list_domains_params("424242", Some("600500"));
        assert_eq!(next[QUERY], json!("/id>600500"));
        assert_eq!(next[DOMAIN_ID], json!("424242"));
    }

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
        let gone = without_target(&new, &t.destination()).unwrap();
        assert!(gone.is_empty());
        assert!(without_target(&gone, &t.destination()).is_none());
    }

    #[test]
    fn a_new_role_for_the_same_stream_moves_the_target_in_place() {
        let mut old = target().to_json(None);
        old["roleArn"] = json!("arn:aws:iam::123456789012:role/OldWriter");
        old["extraKey"] = json!("kept");
        let hook = json!({"title": "hook"});
        let cfg = json!({"kinesis": [old, {"title": "other", "targetKinesisStream": "x", "roleArn": "arn:aws:iam::123456789012:role/R", "targetRegion": "us-east-1"}], "https": [hook]});
        let new = with_target(cfg.as_object().unwrap(), &target());
        let list = new["kinesis"].as_array().unwrap();
        assert_eq!(list.len(), 2, "moved, not appended");
        assert_eq!(list[0]["roleArn"], json!(target().role_arn));
        assert_eq!(list[0]["extraKey"], json!("kept"));
        assert_eq!(list[1]["title"], json!("other"));
    }

    #[test]
    fn targets_writing_to_our_stream_are_merged_into_one() {
        let t = target();
        let mut twin = t.to_json(None);
        twin["title"] = json!("a copy");
        twin["roleArn"] = json!("arn:aws:iam::123456789012:role/Another");
        let elsewhere = json!({"targetKinesisStream": "buzz-events", "roleArn": "arn:aws:iam::999999999999:role/X", "targetRegion": "us-east-1"});
        let cfg = json!({"kinesis": [twin.clone(), elsewhere.clone(), t.to_json(None)]});
        let cfg = cfg.as_object().unwrap();
        assert_eq!(targets_writing_to(cfg, &t.destination()).len(), 2);
        let new = with_target(cfg, &t);
        let list = new["kinesis"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0]["title"],
            json!(t.title),
            "the first keeps its position"
        );
        assert_eq!(
            list[1], elsewhere,
            "another account's stream of that name is not ours"
        );
        let gone = without_target(cfg, &t.destination()).unwrap();
        assert_eq!(gone["kinesis"], json!([elsewhere]));
    }

    #[test]
    fn region_case_and_unparsable_arns_do_not_confuse_identity() {
        let mut saved = target().to_json(None);
        saved["targetRegion"] = json!("US-EAST-1");
        assert_eq!(Destination::of_saved(&saved), Some(target().destination()));
        saved["roleArn"] = json!("not an arn");
        assert_eq!(Destination::of_saved(&saved), None);
        assert_eq!(
            role_account("arn:aws-cn:iam::123456789012:role/path/R"),
            Some("123456789012")
        );
        assert_eq!(role_account("arn:aws:iam::123456789012:user/R"), None);
    }

    #[test]
    fn numbers_pass_through_exactly() {
        let text = r#"{"code":"OK","https":[{"title":"hook","big":123456789012345678901234567,"ratio":1.10}]}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let cfg = config_from_response(v.as_object().unwrap());
        let new = with_target(&cfg, &target());
        let out = serde_json::to_string(&new).unwrap();
        assert!(out.contains("123456789012345678901234567"), "{out}");
        assert!(out.contains("1.10"), "{out}");
    }

    #[test]
    fn targets_under_an_unknown_key_are_noticed() {
        let cfg = json!({"kinesisTargets": [{"targetKinesisStream": "s", "roleArn": "r"}], "future": {"x": 1}, "https": []});
        assert_eq!(
            unexpected_target_keys(cfg.as_object().unwrap()),
            vec!["kinesisTargets".to_string()]
        );
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

    #[test]
    fn reserved_keys_in_a_get_answer_do_not_override_ours() {
        let answer = json!({"code": "OK", "cmd": "login3", "domainid": "999", "test": true,
            "kinesis": [{"title": "t"}]});
        let cfg = config_from_response(answer.as_object().unwrap());
        let save = set_request("424242", &cfg, false);
        assert_eq!(save.get(DOMAIN_ID), Some(&json!("424242")));
        // The same keys in another case are the same keys.
        let mut other_case = cfg.clone();
        for (k, v) in [
            ("CMD", json!("login3")),
            ("DomainId", json!("999")),
            ("Test", json!(true)),
        ] {
            other_case.insert(k.into(), v);
        }
        let save_case = set_request("424242", &other_case, false);
        assert_eq!(
            save_case
                .keys()
                .filter(|k| ["cmd", "domainid", "test"]
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(k)))
                .collect::<Vec<_>>(),
            ["domainid"],
            "{save_case:?}"
        );
        let body = request_body(CMD_SET_CONFIG, save_case);
        let cmds: Vec<_> = body["request"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.eq_ignore_ascii_case("cmd"))
            .collect();
        assert_eq!(cmds, ["cmd"]);
        assert_eq!(body["request"]["cmd"], json!(CMD_SET_CONFIG));
        assert_eq!(save.get(TEST), None, "a save stays a save");
        let body = request_body(CMD_SET_CONFIG, save);
        assert_eq!(body["request"]["cmd"], json!(CMD_SET_CONFIG));
        assert_eq!(body["request"]["kinesis"], json!([{"title": "t"}]));
        let test = set_request("424242", &cfg, true);
        assert_eq!(test.get(TEST), Some(&json!(true)));
    }

    #[test]
    fn the_envelope_and_the_login_fields_are_buzz_s() {
        let body = request_body(CMD_LOGIN, login_params("space/user", "pw"));
        assert_eq!(
            body,
            json!({"request": {"cmd": "login3", "username": "space/user", "password": "pw"}})
        );
        assert_eq!(
            request_body(CMD_SECOND_FACTOR, otp_params("123456")),
            json!({"request": {"cmd": "secondfactorauthenticate", "otp": "123456"}})
        );
        let answer = response_of(&json!({"response": {"code": "OK"}})).unwrap();
        assert_eq!(code_of(&answer), CODE_OK);
        assert!(response_of(&json!({"html": 1})).is_none());
    }

    #[test]
    fn buzz_scalars_read_as_text_and_booleans() {
        let table = [
            (json!(true), true),
            (json!("true"), true),
            (json!("True"), true),
            (json!("TRUE"), true),
            (json!(false), false),
            (json!("false"), false),
            (json!("yes"), false),
            (json!(1), false),
            (json!(null), false),
        ];
        for (v, want) in table {
            assert_eq!(as_bool(Some(&v)), want, "{v}");
        }
        assert!(!as_bool(None));
        assert_eq!(as_text(Some(&json!("buzz-events"))), "buzz-events");
        assert_eq!(as_text(Some(&json!(424242))), "424242");
        assert_eq!(as_text(Some(&json!(null))), "");
        assert_eq!(as_text(None), "");
        // Anything else that is not a string collection reads as no elements.
        assert!(as_list(Some(&json!("one"))).is_empty());
        assert_eq!(as_list(Some(&json!([{"a": 1}]))), vec![json!({"a": 1})]);
    }

    #[test]
    fn a_target_is_satisfied_only_when_every_field_we_set_agrees() {
        let mut t = target();
        t.filters = vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()];
        let saved = t.to_json(None);
        assert!(t.is_satisfied_by(&saved));
        let changes = [
            ("title", json!("another title")),
            ("enabled", json!(false)),
            ("targetKinesisStream", json!("other-stream")),
            ("roleArn", json!("arn:aws:iam::123456789012:role/Other")),
            ("targetRegion", json!("us-west-2")),
            ("filter", json!([])),
            (
                "filter",
                json!([{"eventType": "EnrollmentEntityCreated", "properties": ""}]),
            ),
        ];
        for (key, value) in changes {
            let mut differs = saved.clone();
            differs[key] = value.clone();
            assert!(!t.is_satisfied_by(&differs), "{key} = {value}");
        }
        // Keys we do not set are not ours to compare.
        let mut extra = saved.clone();
        extra["somethingNew"] = json!(1);
        assert!(t.is_satisfied_by(&extra));
    }

    #[test]
    fn our_target_as_json_carries_our_fields_over_the_saved_ones() {
        let mut t = target();
        let j = t.to_json(Some(
            &json!({"title": "old", "filter": [{"eventType": "X"}], "kept": 1}),
        ));
        assert_eq!(
            j,
            json!({"title": "Kinesis: buzz-events", "enabled": true, "targetKinesisStream": "buzz-events",
                   "roleArn": "arn:aws:iam::123456789012:role/BuzzKinesisWriter", "targetRegion": "us-east-1", "kept": 1})
        );
        t.filters = vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()];
        assert_eq!(
            t.to_json(None)["filter"],
            json!([{"eventType": "UserEntityCreated", "properties": ""}])
        );
        t.region = "US-EAST-1".into();
        t.role_arn = "not an arn".into();
        assert_eq!(
            t.destination(),
            Destination {
                region: "us-east-1".into(),
                stream: "buzz-events".into(),
                account: String::new()
            }
        );
    }

    #[test]
    fn a_saved_target_has_a_destination_only_with_stream_region_and_role() {
        let whole = target().to_json(None);
        assert_eq!(Destination::of_saved(&whole), Some(target().destination()));
        for missing in ["targetKinesisStream", "targetRegion", "roleArn"] {
            let mut part = whole.clone();
            part.as_object_mut().unwrap().remove(missing);
            assert_eq!(Destination::of_saved(&part), None, "without {missing}");
        }
    }

    #[test]
    fn a_role_arn_names_its_account() {
        let table = [
            ("arn:aws:iam::123456789012:role/R", Some("123456789012")),
            (
                "arn:aws-us-gov:iam::123456789012:role/a/b/R",
                Some("123456789012"),
            ),
            ("arx:aws:iam::123456789012:role/R", None),
            ("arn:aws:sts::123456789012:role/R", None),
            ("arn:aws:iam::123456789012:user/R", None),
            ("arn:aws:iam:::role/R", None),
            ("arn:aws:iam::123456789012", None),
            ("", None),
        ];
        for (arn, want) in table {
            assert_eq!(role_account(arn), want, "{arn}");
        }
    }

    #[test]
    fn saved_targets_read_for_people() {
        let titled = json!({"title": "Analytics", "targetKinesisStream": "a", "roleArn": "r"});
        let read = |t: &Value| crate::text::unmark(&describe_saved(t));
        assert_eq!(read(&titled), "\"Analytics\" to a with role r");
        let untitled = json!({"targetKinesisStream": "a", "roleArn": "r"});
        assert_eq!(read(&untitled), "(untitled) to a with role r");
    }

    #[test]
    fn our_target_is_found_at_its_position() {
        let t = target();
        let other = json!({"title": "theirs", "targetKinesisStream": "x", "roleArn": "arn:aws:iam::1:role/R", "targetRegion": "us-east-1"});
        let cfg = json!({"kinesis": [other.clone(), t.to_json(None), t.to_json(None)]});
        let cfg = cfg.as_object().unwrap();
        assert_eq!(
            find_target(cfg, &t.destination()),
            Some((1, t.to_json(None)))
        );
        let positions: Vec<usize> = targets_writing_to(cfg, &t.destination())
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(positions, [1, 2]);
        let none = json!({"kinesis": [other]});
        assert_eq!(
            find_target(none.as_object().unwrap(), &t.destination()),
            None
        );
    }

    #[test]
    fn targets_of_every_kind_are_counted() {
        let cfg = json!({"https": [{"a": 1}, {"b": 2}], "kinesis": {"c": 3}, "sqs": {}, "email": [{"d": 4}], "other": [1, 2]});
        assert_eq!(count_targets(cfg.as_object().unwrap()), 4);
        assert_eq!(count_targets(&Map::new()), 0);
    }

    #[test]
    fn enabling_touches_only_our_targets() {
        let t = target();
        let mut off = t.to_json(None);
        off["enabled"] = json!(false);
        let theirs = json!({"title": "theirs", "enabled": false, "targetKinesisStream": "x", "roleArn": "arn:aws:iam::1:role/R", "targetRegion": "us-east-1"});
        let cfg = json!({"kinesis": [theirs.clone(), off]});
        let on = with_enabled(cfg.as_object().unwrap(), &t.destination(), true);
        assert_eq!(on["kinesis"][0], theirs);
        assert_eq!(on["kinesis"][1]["enabled"], json!(true));
        assert_eq!(on["kinesis"][1]["title"], json!(t.title));
    }

    #[test]
    fn any_target_looking_list_under_an_unknown_key_is_noticed() {
        let cfg = json!({
            "kinesis": [{"targetKinesisStream": "s", "roleArn": "r"}],
            "byRole": [{"roleArn": "r"}],
            "byStream": {"targetKinesisStream": "s"},
            "notTargets": [{"title": "t"}],
            "text": "roleArn"
        });
        assert_eq!(
            unexpected_target_keys(cfg.as_object().unwrap()),
            vec!["byRole".to_owned(), "byStream".to_owned()]
        );
    }

    #[test]
    fn a_set_request_is_the_domain_the_test_flag_and_the_whole_configuration() {
        let cfg = json!({"kinesis": [], "futureKey": 1});
        let cfg = cfg.as_object().unwrap();
        assert_eq!(
            Value::Object(set_request("424242", cfg, true)),
            json!({"domainid": "424242", "test": true, "kinesis": [], "futureKey": 1})
        );
        assert_eq!(
            Value::Object(set_request("424242", cfg, false)),
            json!({"domainid": "424242", "kinesis": [], "futureKey": 1})
        );
        let answer =
            response_of(&json!({"response": {"code": "BadRequest", "message": "m"}})).unwrap();
        assert_eq!(code_of(&answer), "BadRequest");
        assert_eq!(answer["message"], json!("m"));
        assert_eq!(code_of(&Map::new()), "");
    }

    #[test]
    fn an_application_identity_is_one_createusers2_user_and_its_key_a_path_under_it() {
        assert_eq!(
            key_path("31415926", "key-2026"),
            "api/users/31415926/keys/key-2026"
        );
        assert_eq!(
            create_identity_body("424242", "buzz-kinesis-app", "buzz-kinesis"),
            json!({"requests": {"user": [{
                "domainid": "424242",
                "username": "buzz-kinesis-app",
                "firstname": "buzz-kinesis",
                "lastname": "application identity",
                "email": "",
                "type": "applicationidentity",
            }]}})
        );
    }
}
