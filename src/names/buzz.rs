//! What Buzz names and how it is validated: the API's URL, a login, a domain, our target's
//! title, an application identity's client and key ids, event types and filters, and a
//! one-time code.

use std::fmt;

use super::{chars_ok, check, Rule};
use crate::error::Error;

string_newtype!(
    /// A Buzz application identity's client id: the identity's Buzz `userid`.
    ClientId
);
impl ClientId {
    pub const RULE: Rule = "the client id is the application identity's Buzz userid: 1-128 letters, digits, '_', '.' or '-' (e.g. 31415926)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = (1..=128).contains(&s.len()) && chars_ok(s, ".-");
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

string_newtype!(
    /// The key id (`kid`) an application identity's public key is registered under.
    KeyId
);
impl KeyId {
    pub const RULE: Rule =
        "a key id is 1-128 letters, digits, '-', '_' or '.' (as it was registered with Buzz)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = (1..=128).contains(&s.len()) && chars_ok(s, ".-");
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

/// The base URL of the Buzz API. HTTPS is required except on loopback (the local sandbox),
/// because the password and token travel in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuzzUrl(url::Url);
impl BuzzUrl {
    pub const RULE: Rule = "the Buzz API URL must be https:// (http:// only for 127.0.0.1, ::1 or localhost), with no query or credentials, e.g. https://backgroundapi.agilixbuzz.com";
    pub const DEFAULT: &'static str = "https://api.agilixbuzz.com";
    /// Agilix's host for work a person waits on (a setup or teardown at a terminal).
    pub const INTERACTIVE: &'static str = "https://interactiveapi.agilixbuzz.com";
    /// Agilix's host for everything else: `check`, CI runs, an application identity.
    pub const BACKGROUND: &'static str = "https://backgroundapi.agilixbuzz.com";
    /// The default host for a kind of run (`--buzz-url` / `BUZZ_KINESIS_BUZZ_URL` override it): the
    /// interactive host only when a person at the terminal waits on a login with a password.
    pub fn default_for(person_waits: bool) -> &'static str {
        if person_waits {
            Self::INTERACTIVE
        } else {
            Self::BACKGROUND
        }
    }
    /// Whether `s` is one of Agilix's own hosts (they serve the same domains).
    pub fn is_agilix_default(s: &str) -> bool {
        let s = s.trim_end_matches('/');
        [Self::DEFAULT, Self::INTERACTIVE, Self::BACKGROUND].contains(&s)
    }
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid(flag, s, Self::RULE);
        let u = url::Url::parse(s.trim_end_matches('/')).map_err(|_| bad())?;
        let loopback = match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let ok = u.host().is_some()
            && (u.scheme() == "https" || (u.scheme() == "http" && loopback))
            && u.query().is_none()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none();
        check(flag, s, ok, Self::RULE).map(|()| Self(u))
    }
    /// `{base}/cmd`, where every Buzz command goes.
    pub fn cmd_url(&self) -> url::Url {
        let mut u = self.0.clone();
        let path = format!("{}/cmd", u.path().trim_end_matches('/'));
        u.set_path(&path);
        u
    }
    /// `{base}/<path>` for Buzz's REST-style endpoints (`api/oauth/token`, ...).
    pub fn join(&self, path: &str) -> url::Url {
        let mut u = self.0.clone();
        let path = format!("{}/{}", u.path().trim_end_matches('/'), path);
        u.set_path(&path);
        u
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}
impl fmt::Display for BuzzUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Buzz login name: `userspace/username`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuzzUser {
    pub userspace: String,
    pub username: String,
}
impl BuzzUser {
    pub const RULE: Rule = "the Buzz user is USERSPACE/USERNAME, e.g. district/admin (the userspace is your login domain's)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid(flag, s, Self::RULE);
        let (space, name) = s.split_once('/').ok_or_else(bad)?;
        let ok = !space.is_empty()
            && !name.is_empty()
            && space.len() <= 128
            && name.len() <= 256
            && !s.chars().any(|c| c.is_control() || c.is_whitespace())
            && chars_ok(space, "-.");
        check(flag, s, ok, Self::RULE).map(|()| Self {
            userspace: space.to_owned(),
            username: name.to_owned(),
        })
    }
}
impl fmt::Display for BuzzUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.userspace, self.username)
    }
}

string_newtype!(
    /// A Buzz domain: a numeric id or a `//userspace` path.
    DomainId
);
impl DomainId {
    pub const RULE: Rule = "a Buzz domain is its numeric id (e.g. 424242) or //USERSPACE";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = if let Some(space) = s.strip_prefix("//") {
            !space.is_empty() && space.len() <= 128 && chars_ok(space, "-.")
        } else {
            !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())
        };
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

string_newtype!(
    /// The title of our target in Buzz's configuration.
    Title
);
impl Title {
    pub const RULE: Rule = "a title is 1-256 printable characters";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok =
            !s.trim().is_empty() && s.chars().count() <= 256 && !s.chars().any(char::is_control);
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

/// Agilix's published DataStream event index. Other names are allowed, with a warning: Agilix
/// adds types.
pub const KNOWN_EVENT_TYPES: &[&str] = &[
    "CourseAncestorChanged",
    "CourseEntityChanged",
    "CourseEntityCreated",
    "CourseEntityDeleted",
    "CourseEntityRestored",
    "DomainEntityChanged",
    "DomainEntityCreated",
    "DomainEntityDeleted",
    "DomainEntityRestored",
    "EnrollmentEntityChanged",
    "EnrollmentEntityCreated",
    "EnrollmentEntityDeleted",
    "EnrollmentEntityRestored",
    "GroupEntityChanged",
    "GroupEntityCreated",
    "GroupEntityDeleted",
    "GroupEntityMembersChanged",
    "UserEntityChanged",
    "UserEntityCreated",
    "UserEntityDeleted",
    "UserEntityRestored",
    "CourseItemChanged",
    "CourseItemCreated",
    "CourseItemDeleted",
    "CourseItemRestored",
    "EnrollmentItemChanged",
    "EnrollmentItemCreated",
    "EnrollmentItemDeleted",
    "EnrollmentItemRestored",
    "GroupItemChanged",
    "GroupItemCreated",
    "GroupItemDeleted",
    "GroupItemRestored",
    "CourseResourceChanged",
    "CourseResourceCreated",
    "CourseResourceDeleted",
    "CourseResourceRestored",
    "GradeCreated",
    "GradeChanged",
    "EnrollmentMetricsCreated",
    "EnrollmentMetricsChanged",
    "ItemActivity",
    "UserSessionStarted",
    "UserSessionEnded",
    "DomainEntityActivity",
    "CourseEntityActivity",
    "UserEntityActivity",
    "EnrollmentEntityActivity",
    "InboxMessageCreated",
    "InboxMessageChanged",
    "InboxMessageDeleted",
    "InboxMessageRestored",
    "DomainPermissionsChanged",
    "DomainPermissionsCreated",
    "DomainPermissionsDeleted",
    "AuthAdminAuthenticated",
    "AuthAdminPasswordChanged",
    "AuthAdminContactInfoChanged",
    "OAuthClientKeyAdded",
    "OAuthClientKeyRemoved",
    "AuthProxyLoginStarted",
    "AuthProxyLoginFailed",
    "AuthLoginFailed",
    "AuthAccountLocked",
    "AuthAccountUnlocked",
    "AuthMFAFailed",
    "AuthPasswordRisk",
    "DataStreamConfigurationCreated",
    "DataStreamConfigurationChanged",
    "DataStreamConfigurationDeleted",
    "ValidateDataStreamConfiguration",
    "DataStreamEmailDropped",
];

string_newtype!(
    /// A Buzz event type, such as `UserEntityCreated`: letters only.
    EventType
);
impl EventType {
    pub const RULE: Rule = "an event type is letters only, e.g. UserEntityCreated";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        check(flag, s, event_type_ok(s), Self::RULE).map(|()| Self(s.to_owned()))
    }
    /// Whether Agilix's published event index lists this type.
    pub fn is_known(&self) -> bool {
        KNOWN_EVENT_TYPES.contains(&self.0.as_str())
    }
}
impl PartialEq<str> for EventType {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

fn event_type_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A Buzz event filter: `TYPE` or `TYPE:prop,child.prop`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventFilter {
    pub event_type: String,
    pub properties: String,
}
impl EventFilter {
    pub const RULE: Rule = "an event filter is TYPE or TYPE:PROPS, TYPE letters only (e.g. UserEntityCreated), PROPS a comma-separated list of names with dots for children (e.g. courseID,newCourse.title)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let (ty, props) = s.split_once(':').unwrap_or((s, ""));
        let props: Vec<&str> = if props.trim().is_empty() {
            Vec::new()
        } else {
            props.split(',').map(str::trim).collect()
        };
        let ok = event_type_ok(ty)
            && props.iter().all(|p| {
                !p.is_empty() && p.split('.').all(|seg| !seg.is_empty() && chars_ok(seg, ""))
            });
        check(flag, s, ok, Self::RULE).map(|()| Self {
            event_type: ty.to_owned(),
            properties: props.join(","),
        })
    }
    /// Whether Agilix's published event index lists this type (unknown types are allowed,
    /// since Agilix adds types, but worth a warning).
    pub fn is_known(&self) -> bool {
        KNOWN_EVENT_TYPES.contains(&self.event_type.as_str())
    }
}

/// An MFA one-time code.
pub fn parse_otp(flag: &'static str, s: &str) -> Result<String, Error> {
    let ok = (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    check(flag, "(hidden)", ok, "a one-time code is 4-10 digits").map(|()| s.to_owned())
}
