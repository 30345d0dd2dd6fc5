//! What the sandbox knows and remembers: its fixed settings (users, domain, the Agilix account it
//! plays), and the mutable state behind one mutex (sessions, each domain's saved data stream
//! configuration, the request log that `/sandbox/state` shows, the armed faults).
//!
//! The mutex is a std one and is never held across an `.await`: AWS calls happen outside it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{json, Value};

use crate::aws_check::AwsProbe;
use crate::faults::FaultPlan;

/// Fixed for the life of the process (from the command line).
#[derive(Debug)]
pub struct Settings {
    pub domain_id: String,
    pub users: Vec<User>,
    pub token_ttl: Duration,
    pub agilix_account: String,
    /// The external id Agilix sends for the domain's targets.
    pub external_id: Option<String>,
    /// The one it sends for the other domain's (Agilix issues one per tenant).
    pub other_domain_external_id: Option<String>,
    pub iam_propagation_delay: Duration,
    /// How long every Buzz command takes (`--latency-ms`).
    pub latency: Duration,
    pub single_object_arrays: bool,
    /// The code of a failed target test.
    pub test_failure_code: String,
    pub test_failure_style: FailureStyle,
    /// Get answers booleans as "True"/"False".
    pub string_booleans: bool,
    /// Get answers Kinesis targets under this key.
    pub get_kinesis_key: Option<String>,
    /// Deliveries other than the validation probe are refused as throttled.
    pub throttle: bool,
    /// A second domain the administrator controls.
    pub other_domain: Option<String>,
    /// Every domain the sandbox hosts, with its parent (`--domain-tree`).
    pub tree: crate::domains::Tree,
    /// How the hierarchy's commands answer what Buzz's documentation leaves open.
    pub hierarchy: crate::domains::Hierarchy,
    pub retry_after: u64,
    pub timeout_hold: Duration,
    /// The token endpoint: which `aud` it requires, how it refuses, what it issues.
    pub oauth_audience: crate::oauth::Audience,
    pub oauth_error_style: crate::oauth::ErrorStyle,
    pub oauth_expires_in: u64,
    pub oauth_token_type: String,
    /// Seconds the sandbox's clock runs ahead of the real one (negative: behind).
    pub oauth_clock_skew: i64,
    /// Answer commands with a redirect instead.
    pub redirect: Option<Redirect>,
}

/// `--redirect-to`: where, with which status, for which commands (empty: every one).
#[derive(Debug)]
pub struct Redirect {
    pub to: String,
    pub status: u16,
    pub commands: Vec<String>,
}

impl Redirect {
    pub fn applies_to(&self, cmd: &str) -> bool {
        self.commands.is_empty() || self.commands.iter().any(|c| c == cmd)
    }
}

impl Settings {
    /// The external id Agilix sends with AssumeRole for a target of `domain`.
    pub fn external_id_for(&self, domain: &str) -> Option<&String> {
        if self.other_domain.as_deref() == Some(domain) {
            self.other_domain_external_id.as_ref()
        } else {
            self.external_id.as_ref()
        }
    }
}

/// How a failed target test words its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailureStyle {
    /// "Kinesis target 'T': CODE: text", naming the target.
    Buzz,
    /// AWS's own text alone, as Buzz might relay it.
    Aws,
}

#[derive(Debug, Clone)]
pub struct User {
    pub userid: String,
    pub username: String,
    pub password: String,
    pub firstname: String,
    pub lastname: String,
    /// The right that GetDataStreamConfiguration / SetDataStreamConfiguration require.
    pub control_domain: bool,
    /// When set, login3 only yields a second-factor token, and this is the otp.
    pub mfa_code: Option<String>,
}

/// A token's stage: a second-factor token may only call `secondfactorauthenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    SecondFactorPending,
    Full,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: usize,
    pub stage: Stage,
    pub expires: Instant,
    /// Buzz puts a numeric session id into every event record it emits for this session.
    pub session_id: String,
    /// The application identity (client id) an OAuth token was issued to; `None` for Login3.
    pub identity: Option<String>,
    /// The login's domain (the userspace it logged in to, or the identity's domain): what it
    /// may read and change is this domain's subtree (`App::in_scope`).
    pub domain: String,
}

/// An application identity made by `createusers2`.
#[derive(Debug, Clone)]
pub struct Identity {
    pub username: String,
    pub domain: String,
    /// Granted by an administrator (here: `POST /sandbox/identities/{id}/control-domain`).
    pub control_domain: bool,
    pub keys: BTreeMap<String, RegisteredKey>,
}

#[derive(Debug, Clone)]
pub struct RegisteredKey {
    /// SubjectPublicKeyInfo DER.
    pub der: Vec<u8>,
    pub state: KeyState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Revoked,
    Expired,
}

impl KeyState {
    pub fn label(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Revoked => "revoked",
            KeyState::Expired => "expired",
        }
    }
}

/// One line of the request log (what `/sandbox/state` shows under `log`).
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub method: String,
    pub cmd: String,
    pub test: bool,
    pub mutating: bool,
    pub code: String,
    pub faulted: bool,
    /// How the token came: "bearer", "_token" or "none"; never the token itself.
    pub auth: &'static str,
    pub user_agent: Option<String>,
}

impl LogEntry {
    pub fn to_json(&self) -> Value {
        json!({
            "cmd": self.cmd,
            "test": self.test,
            "mutating": self.mutating,
            "code": self.code,
            "faulted": self.faulted,
            "method": self.method,
            "auth": self.auth,
            "userAgent": self.user_agent,
        })
    }
}

#[derive(Debug)]
pub struct Inner {
    pub sessions: HashMap<String, Session>,
    /// Domain id -> saved configuration (`None`: no configuration).
    pub domains: BTreeMap<String, Option<Value>>,
    pub log: Vec<LogEntry>,
    pub faults: FaultPlan,
    /// Application identities by client id (their userid).
    pub identities: BTreeMap<String, Identity>,
    /// Every assertion `jti` seen (a second use is a replay).
    pub used_jtis: HashSet<String>,
    pub tokens_issued: u64,
    /// Every access token the token endpoint issued (`GET /sandbox/state`'s `oauthTokens`):
    /// what a test looks for in the tool's output, where it must never appear.
    pub oauth_tokens: Vec<String>,
    /// What `--play-firehose` delivered, per delivery stream.
    pub firehose: BTreeMap<String, crate::firehose::Report>,
}

pub struct App {
    pub settings: Settings,
    pub aws: AwsProbe,
    inner: Mutex<Inner>,
    /// Commands being handled now, and the most at once (`GET /sandbox/state`'s
    /// `mostInFlight`): how a test sees a client's fan-out bound.
    pub in_flight: std::sync::atomic::AtomicUsize,
    pub most_in_flight: std::sync::atomic::AtomicUsize,
}

impl App {
    pub fn new(settings: Settings, aws: AwsProbe, faults: FaultPlan, seed: Option<Value>) -> Self {
        let mut domains: BTreeMap<String, Option<Value>> =
            settings.tree.ids().map(|id| (id.clone(), None)).collect();
        domains.insert(settings.domain_id.clone(), seed);
        App {
            settings,
            aws,
            inner: Mutex::new(Inner {
                sessions: HashMap::new(),
                domains,
                log: Vec::new(),
                faults,
                identities: BTreeMap::new(),
                used_jtis: HashSet::new(),
                tokens_issued: 0,
                oauth_tokens: Vec::new(),
                firehose: BTreeMap::new(),
            }),
            in_flight: Default::default(),
            most_in_flight: Default::default(),
        }
    }

    /// Locks the state. A panic while holding the lock cannot leave it half-updated in a way
    /// that matters for a test double, so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Maps a `domainid` parameter (numeric id or `//userspace`) to the domain's id.
    pub fn resolve_domain(&self, given: &str) -> Option<String> {
        let given = given.trim();
        let tree = &self.settings.tree;
        if let Some(domain) = tree.get(given) {
            return Some(domain.id.clone());
        }
        let path = given.strip_prefix("//")?.trim_end_matches('/');
        tree.by_userspace(path).map(|d| d.id.clone())
    }

    /// May a login of domain `login` read and change domain `domain`'s configuration? Its own
    /// domain and its descendants, not its ancestors or siblings (inferred: Buzz's rights flow
    /// down the tree); and the main domain's logins also the `--other-domain`.
    pub fn in_scope(&self, login: &str, domain: &str) -> bool {
        let settings = &self.settings;
        settings.tree.is_within(domain, login)
            || (login == settings.domain_id && settings.other_domain.as_deref() == Some(domain))
    }
}

/// Random lowercase hex, for error ids.
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// A session token: long, random, URL-safe (Buzz's tokens are opaque strings too).
pub fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..48)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("~{body}")
}

/// A numeric session id like Buzz's (a positive 63-bit integer, as a string).
pub fn new_session_id() -> String {
    rand::rng()
        .random_range(1_000_000_000_000_000u64..i64::MAX as u64)
        .to_string()
}
