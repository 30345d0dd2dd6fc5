//! Validated values. Each newtype can only be built through its `parse`, which applies the
//! rule AWS or Buzz would apply, so a value that exists is valid and every rule lives here once.
//! The rules are AWS's and Buzz's published ones (docs/buzz-api.md for Buzz's). AWS's names,
//! sizes and durations are here; Buzz's in `names/buzz.rs`.

use std::fmt;

use crate::error::Error;

/// The stream setup makes when `--stream` is not given.
pub const DEFAULT_STREAM: &str = "buzz-events";
/// The role setup makes when `--role` is not given.
pub const DEFAULT_ROLE: &str = "BuzzKinesisWriter";

/// Why a value was rejected; the caller names the flag it came from.
pub type Rule = &'static str;

fn chars_ok(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

fn check(flag: &'static str, value: &str, ok: bool, rule: Rule) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(flag, value, rule))
    }
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        // Read as text wherever text is taken (an SDK call, a message): judged once, kept
        // typed to the end.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

// What Buzz names lives in its own file (after the macro, which it uses); everything is
// reachable from here as before.
mod buzz;
pub use buzz::*;

string_newtype!(
    /// A Kinesis data stream name: 1–128 of `[a-zA-Z0-9_.-]`.
    StreamName
);
impl StreamName {
    pub const RULE: Rule = "a stream name is 1-128 characters of letters, digits, '_', '.' and '-'";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = (1..=128).contains(&s.len()) && chars_ok(s, ".-");
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

string_newtype!(
    /// An IAM role name: 1–64 of `[\w+=,.@-]`.
    RoleName
);
impl RoleName {
    pub const RULE: Rule = "a role name is 1-64 characters of letters, digits and any of _+=,.@-";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = (1..=64).contains(&s.len()) && chars_ok(s, "+=,.@-");
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

string_newtype!(
    /// A 12-digit AWS account id.
    AccountId
);
impl AccountId {
    pub const RULE: Rule = "an AWS account id is exactly 12 digits, or 1234-5678-9012 as the AWS console shows it (ask Agilix support for theirs)";
    /// 12 digits, or the console's dashed 4-4-4 form (kept without its dashes: ARNs have none).
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let dashed = s.len() == 14 && s.as_bytes()[4] == b'-' && s.as_bytes()[9] == b'-';
        let digits: String = if dashed {
            s.replace('-', "")
        } else {
            s.to_owned()
        };
        let ok = digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit());
        check(flag, s, ok, Self::RULE).map(|()| Self(digits))
    }
}

string_newtype!(
    /// An `sts:ExternalId`: 2–1224 of `[\w+=,.@:/-]`.
    ExternalId
);
impl ExternalId {
    pub const RULE: Rule =
        "an external id is 2-1224 characters of letters, digits and any of _+=,.@:/-";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = (2..=1224).contains(&s.len()) && chars_ok(s, "+=,.@:/-");
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
}

string_newtype!(
    /// An AWS region code such as `us-east-1` or `us-gov-west-1`.
    Region
);
impl Region {
    pub const RULE: Rule =
        "a region looks like us-east-1 (lowercase words and a number, joined by '-')";
    /// Any well-formed name, so a region AWS opens after this release works without one:
    /// lowercase words joined by '-', ending in a number (us-east-1, us-gov-west-1,
    /// eusc-de-east-1, us-isob-east-1).
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = s.split('-').collect();
        let Some((number, words)) = parts.split_last() else {
            return check(flag, s, false, Self::RULE).map(|()| Self(s.to_owned()));
        };
        let ok = words.len() >= 2
            && s.len() <= 32
            && words[0].len() >= 2
            && words
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit());
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }

    /// The ARN partition this region belongs to (by its prefix; "aws" for any other).
    pub fn partition(&self) -> &'static str {
        const PREFIXES: &[(&str, &str)] = &[
            ("cn-", "aws-cn"),
            ("us-gov-", "aws-us-gov"),
            ("us-iso-", "aws-iso"),
            ("us-isob-", "aws-iso-b"),
            ("us-isof-", "aws-iso-f"),
            ("eu-isoe-", "aws-iso-e"),
            ("eusc-", "aws-eusc"),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| self.0.starts_with(prefix))
            .map_or("aws", |(_, partition)| partition)
    }
}

/// How long a stream keeps records, in hours (24–8760).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct RetentionHours(u32);
impl RetentionHours {
    pub const RULE: Rule = "retention is 24 to 8760 hours (1 to 365 days)";
    pub const DEFAULT: RetentionHours = RetentionHours(24);
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        match s.trim().parse::<u32>() {
            Ok(h) if (24..=8760).contains(&h) => Ok(Self(h)),
            _ => Err(Error::invalid(flag, s, Self::RULE)),
        }
    }
    /// From a value AWS reported (not validated: AWS is the authority on what it holds).
    pub fn from_aws(h: i32) -> Self {
        Self(h.max(0).unsigned_abs())
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

string_newtype!(
    /// An S3 bucket name for the archive, by S3's general purpose bucket naming rules: 3-63
    /// characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter
    /// or digit, no `..`, not an IP address, and none of the prefixes and suffixes S3 reserves.
    BucketName
);
impl BucketName {
    /// S3's reserved prefixes and suffixes (access points, Object Lambda, Multi-Region Access
    /// Points, directory buckets, the documentation's examples).
    const RESERVED_PREFIXES: [&'static str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: [&'static str; 4] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"];

    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        Self::rule_broken(s)
            .map_or(Ok(()), |rule| Err(Error::invalid(flag, s, rule)))
            .map(|()| Self(s.to_owned()))
    }

    /// The first of S3's naming rules `s` breaks, worded for a person; `None` when it keeps all.
    fn rule_broken(s: &str) -> Option<&'static str> {
        let bytes = s.as_bytes();
        if !(3..=63).contains(&s.len()) {
            return Some("an S3 bucket name is 3 to 63 characters long");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Some(
                "an S3 bucket name holds only lowercase letters, digits, dots (.) and hyphens (-)",
            );
        }
        let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !edge_ok(bytes[0]) || !edge_ok(bytes[s.len() - 1]) {
            return Some("an S3 bucket name starts and ends with a letter or a digit");
        }
        if s.contains("..") {
            return Some("an S3 bucket name has no two adjacent dots (..)");
        }
        if s.parse::<std::net::Ipv4Addr>().is_ok() {
            return Some("an S3 bucket name is not an IP address (e.g. 192.168.5.4)");
        }
        if Self::RESERVED_PREFIXES.iter().any(|p| s.starts_with(p)) {
            return Some("an S3 bucket name does not start with xn--, sthree- or amzn-s3-demo- (S3 reserves them)");
        }
        if Self::RESERVED_SUFFIXES.iter().any(|x| s.ends_with(x)) {
            return Some("an S3 bucket name does not end with -s3alias, --ol-s3, .mrap or --x-s3 (S3 reserves them)");
        }
        None
    }
}

/// How many days the archive keeps an event before S3's lifecycle rule expires it (1-36500).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveDays(u32);
impl ArchiveDays {
    pub const RULE: Rule = "the archive keeps events 1 to 36500 whole days (100 years)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        match s.trim().parse::<u32>() {
            Ok(d) if (1..=36_500).contains(&d) => Ok(Self(d)),
            _ => Err(Error::invalid(flag, s, Self::RULE)),
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Firehose's buffer interval for the archive, in seconds (`--archive-buffer`): 60-900 (with
/// dynamic partitioning Firehose offers no zero buffering, and 900 s is its maximum). Each
/// active partition flushes on its own timer, so the interval sets how many objects a day of
/// events makes: 300 s (Firehose's default) by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveBuffer(u32);
impl ArchiveBuffer {
    pub const RULE: Rule = "the archive's buffer interval is 60 to 900 whole seconds (Firehose's range with dynamic partitioning)";
    pub const DEFAULT: Self = Self(300);
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        match s.trim().parse::<u32>() {
            Ok(n) if (60..=900).contains(&n) => Ok(Self(n)),
            _ => Err(Error::invalid(flag, s, Self::RULE)),
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A provisioned shard count. The upper bound is the account's shard quota, which AWS
/// enforces (CreateStream and UpdateShardCount answer LimitExceededException, shown with its
/// message); here only the shape (a positive number) is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ShardCount(u32);
impl ShardCount {
    pub const RULE: Rule = "the shard count is a whole number from 1 to 10000 (and within the account's shard limit, 500 by default)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        match s.trim().parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(Self(n)),
            _ => Err(Error::invalid(flag, s, Self::RULE)),
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A look-back window (`check --since`): a whole number of minutes, hours, days or weeks, up to
/// the 14 days CloudWatch keeps at 1-minute resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Since(u64);
impl Since {
    pub const RULE: Rule =
        "the window is a number with m, h, d or w (e.g. 90m, 24h, 7d), from 5 minutes to 14 days";
    pub const DEFAULT: Since = Since(24 * 3600);
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let unit = match t.chars().last() {
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            Some('w') => 7 * 86_400,
            _ => return Err(Error::invalid(flag, s, Self::RULE)),
        };
        match t[..t.len() - 1].parse::<u64>() {
            Ok(n) if (300..=14 * 86_400).contains(&n.saturating_mul(unit)) => Ok(Self(n * unit)),
            _ => Err(Error::invalid(flag, s, Self::RULE)),
        }
    }
    pub fn secs(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for Since {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            s if s % 86_400 == 0 && s > 2 * 86_400 => write!(f, "{} days", s / 86_400),
            s if s % 3_600 == 0 => write!(f, "{} h", s / 3_600),
            s => write!(f, "{} min", s / 60),
        }
    }
}

/// An email address for the alarm's notifications (SNS sends a confirmation mail to it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Email(String);
impl Email {
    pub const RULE: Rule = "an email address such as ops@example.edu";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let ok = t.len() <= 254
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && t.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            });
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(Error::invalid(flag, s, Self::RULE))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IAM role's ARN (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`), for `--role-arn`: the
/// Buzz half names the role the AWS half made without reading AWS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RoleArn(String);
impl RoleArn {
    pub const RULE: Rule = "a role ARN looks like arn:aws:iam::123456789012:role/BuzzKinesisWriter (the one `setup --aws-only` printed)";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let parts: Vec<&str> = t.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[1]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
            && parts[2] == "iam"
            && parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && parts[5].strip_prefix("role/").is_some_and(|path| {
                // An optional path (`/a/b/`) before the name; each part as IAM allows.
                let name = path.rsplit('/').next().unwrap_or_default();
                path.len() <= 512 + 64
                    && RoleName::parse(flag, name).is_ok()
                    && chars_ok(path, "+=,.@-/")
                    && !parts[5].contains("//")
            });
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(Error::invalid(flag, s, Self::RULE))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The account that owns the role.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }
    /// The ARN partition (`aws`, `aws-cn`, ...).
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or("aws")
    }
    /// The role's name (the ARN's last path segment).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An SNS topic's ARN (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`), for `--alarm-topic`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TopicArn(String);
impl TopicArn {
    pub const RULE: Rule = "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ops-alerts";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let parts: Vec<&str> = t.split(':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && (1..=256).contains(&parts[5].len())
            && parts[5]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(Error::invalid(flag, s, Self::RULE))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A KMS key for server-side encryption: a key ARN, an alias (`alias/...`) or a key id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KmsKey(String);
impl KmsKey {
    pub const RULE: Rule = "a KMS key is alias/aws/kinesis (AWS-managed) or a customer-managed key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); an alias of your own will not do, because the role's policy must name the key itself";
    /// The AWS-managed Kinesis key: encrypts without any extra permission for producers.
    pub const AWS_MANAGED: &'static str = "alias/aws/kinesis";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let ok = s == Self::AWS_MANAGED
            || s.strip_prefix("arn:").is_some_and(|rest| {
                let p: Vec<&str> = rest.splitn(5, ':').collect();
                p.len() == 5
                    && ["aws", "aws-cn", "aws-us-gov"].contains(&p[0])
                    && p[1] == "kms"
                    && Region::parse(flag, p[2]).is_ok()
                    && AccountId::parse(flag, p[3]).is_ok()
                    && p[4]
                        .strip_prefix("key/")
                        .is_some_and(|k| !k.is_empty() && k.len() <= 64 && chars_ok(k, "-"))
            });
        check(flag, s, ok, Self::RULE).map(|()| Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A key ARN as KMS gave it (`DescribeKey`): KMS is the authority on its keys' names.
    pub fn from_aws(arn: &str) -> Self {
        Self(arn.to_owned())
    }
    /// Whether producers need `kms:GenerateDataKey` on this key (every key but AWS's own).
    pub fn is_customer_managed(&self) -> bool {
        self.0 != Self::AWS_MANAGED
    }
}
impl fmt::Display for KmsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the stream is encrypted at rest. Buzz's events are education records, so a stream
/// setup creates is encrypted unless the user opts out; the AWS-managed key is the default
/// because Buzz's writer role needs no grant for it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Encryption {
    /// No `--kms-key`: a new stream gets `alias/aws/kinesis`; an existing stream keeps what it
    /// has (setup never changes it unasked; the plan says how).
    #[default]
    Default,
    /// `--kms-key`: every stream, new or existing, is encrypted with this key.
    Key(KmsKey),
    /// `--no-encryption`: a new stream is made unencrypted, and every report says so.
    Off,
}

impl Encryption {
    /// Why a stream is unencrypted when the user asked for that, for the plan, the summary,
    /// the JSON and the templates.
    pub const OFF_REASON: &'static str =
        "--no-encryption: not encrypted at rest, as asked (Buzz's events are stored in plain text)";

    /// `--kms-key` and `--no-encryption` as validated together.
    pub fn from_flags(key: Option<KmsKey>, off: bool) -> Result<Self, Error> {
        match (key, off) {
            (Some(k), true) => Err(Error::invalid(
                "--kms-key",
                k.as_str(),
                "--no-encryption and --kms-key exclude each other: give a key to encrypt with it, or --no-encryption to opt out",
            )),
            (Some(k), false) => Ok(Self::Key(k)),
            (None, true) => Ok(Self::Off),
            (None, false) => Ok(Self::Default),
        }
    }

    /// The key a stream setup creates is encrypted with (`None`: `--no-encryption`).
    pub fn new_stream_key(&self) -> Option<KmsKey> {
        match self {
            Self::Default => Some(KmsKey(KmsKey::AWS_MANAGED.to_owned())),
            Self::Key(k) => Some(k.clone()),
            Self::Off => None,
        }
    }

    /// The key the user named, which an existing stream is converged to.
    pub fn given(&self) -> Option<&KmsKey> {
        match self {
            Self::Key(k) => Some(k),
            _ => None,
        }
    }

    /// A customer-managed key: the writer role needs `kms:GenerateDataKey` on it, and the
    /// alarm topic can be encrypted with it.
    pub fn customer_key(&self) -> Option<&KmsKey> {
        self.given().filter(|k| k.is_customer_managed())
    }
}

/// One `KEY=VALUE` tag for the stream and the role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}
impl Tag {
    pub const RULE: Rule = "a tag is KEY=VALUE with a key of 1-128 and a value of 0-256 characters, the key not starting with 'aws:'";
    pub fn parse(flag: &'static str, s: &str) -> Result<Self, Error> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| Error::invalid(flag, s, Self::RULE))?;
        let ok = (1..=128).contains(&k.chars().count())
            && v.chars().count() <= 256
            && !k.to_ascii_lowercase().starts_with("aws:")
            && !k.chars().chain(v.chars()).any(char::is_control);
        check(flag, s, ok, Self::RULE).map(|()| Self {
            key: k.to_owned(),
            value: v.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_arns_are_checked_before_any_call() {
        use super::RoleArn;
        let a = RoleArn::parse(
            "--role-arn",
            "arn:aws:iam::123456789012:role/BuzzKinesisWriter",
        )
        .unwrap();
        assert_eq!(
            (a.account(), a.partition(), a.name()),
            ("123456789012", "aws", "BuzzKinesisWriter")
        );
        let p = RoleArn::parse(
            "--role-arn",
            "arn:aws-us-gov:iam::123456789012:role/team/data/Writer",
        )
        .unwrap();
        assert_eq!((p.partition(), p.name()), ("aws-us-gov", "Writer"));
        for bad in [
            "BuzzKinesisWriter",
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:sts::123456789012:assumed-role/x/y",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role//x",
        ] {
            let e = RoleArn::parse("--role-arn", bad).unwrap_err().to_string();
            assert!(e.contains("--role-arn"), "{bad}: {e}");
        }
    }

    #[test]
    fn emails_and_topic_arns_are_checked_before_any_call() {
        use super::{Email, TopicArn};
        assert!(Email::parse("--alarm-email", "ops@example.edu").is_ok());
        for bad in [
            "ops",
            "ops@",
            "@example.edu",
            "ops@example",
            "a b@example.edu",
            "ops@.edu",
        ] {
            assert!(Email::parse("--alarm-email", bad).is_err(), "{bad}");
        }
        assert!(TopicArn::parse(
            "--alarm-topic",
            "arn:aws:sns:us-east-1:123456789012:ops-alerts"
        )
        .is_ok());
        for bad in [
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:1234:t",
            "ops-alerts",
            "arn:aws:sns:us-east-1:123456789012:a.b",
        ] {
            assert!(TopicArn::parse("--alarm-topic", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_minutes_to_fourteen_days() {
        use super::Since;
        assert_eq!(Since::parse("--since", "24h").unwrap().secs(), 86_400);
        assert_eq!(Since::parse("--since", "2w").unwrap().secs(), 14 * 86_400);
        assert_eq!(
            Since::parse("--since", "90m").unwrap().to_string(),
            "90 min"
        );
        for bad in ["15d", "3w", "1m", "24", "h", "-1h", "1.5h", ""] {
            assert!(Since::parse("--since", bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn stream_names_follow_kinesis_rules() {
        assert!(StreamName::parse("--stream", "buzz-events_1.0").is_ok());
        assert!(StreamName::parse("--stream", &"a".repeat(128)).is_ok());
        for bad in ["", "has space", "slash/", &"a".repeat(129), "ünï"] {
            assert!(StreamName::parse("--stream", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_names_follow_iam_rules() {
        assert!(RoleName::parse("--role", "Buzz+Writer=1,a.b@c-d_e").is_ok());
        for bad in ["", "a b", "a/b", &"r".repeat(65)] {
            assert!(RoleName::parse("--role", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn any_well_formed_region_is_accepted() {
        for r in [
            "mx-central-1",
            "ap-southeast-7",
            "eusc-de-east-1",
            "us-isob-east-1",
            "xx-newplace-12",
        ] {
            assert!(Region::parse("--region", r).is_ok(), "{r}");
        }
        assert_eq!(
            Region::parse("--region", "eusc-de-east-1")
                .unwrap()
                .partition(),
            "aws-eusc"
        );
        assert_eq!(
            Region::parse("--region", "us-isob-east-1")
                .unwrap()
                .partition(),
            "aws-iso-b"
        );
    }

    #[test]
    fn regions_have_partitions() {
        assert_eq!(
            Region::parse("--region", "us-east-1").unwrap().partition(),
            "aws"
        );
        assert_eq!(
            Region::parse("--region", "cn-north-1").unwrap().partition(),
            "aws-cn"
        );
        assert_eq!(
            Region::parse("--region", "us-gov-west-1")
                .unwrap()
                .partition(),
            "aws-us-gov"
        );
        for bad in [
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-1a",
            "-east-1",
            "eu--1",
        ] {
            assert!(Region::parse("--region", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn buzz_url_requires_https_off_loopback() {
        assert!(BuzzUrl::parse("--buzz-url", "https://api.agilixbuzz.com").is_ok());
        assert!(BuzzUrl::parse("--buzz-url", "http://127.0.0.1:8080").is_ok());
        assert!(BuzzUrl::parse("--buzz-url", "http://localhost:1").is_ok());
        for bad in [
            "http://api.agilixbuzz.com",
            "ftp://x",
            "https://u:p@x.com",
            "https://x.com/?a=1",
            "not a url",
        ] {
            assert!(BuzzUrl::parse("--buzz-url", bad).is_err(), "{bad:?}");
        }
        let u = BuzzUrl::parse("--buzz-url", "https://x.com/buzz/").unwrap();
        assert_eq!(u.cmd_url().as_str(), "https://x.com/buzz/cmd");
    }

    #[test]
    fn event_filters_normalise_properties() {
        let f =
            EventFilter::parse("--event", "CourseEntityCreated:courseID, newCourse.title").unwrap();
        assert_eq!(f.properties, "courseID,newCourse.title");
        assert!(f.is_known());
        assert!(!EventFilter::parse("--event", "SomethingNew")
            .unwrap()
            .is_known());
        for bad in ["", "User1", "A:b..c", "A:,", "A:b c"] {
            assert!(EventFilter::parse("--event", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn event_types_are_letters_and_may_be_unknown() {
        assert!(EventType::parse("--event", "GradeChanged")
            .unwrap()
            .is_known());
        let new = EventType::parse("--event", "SomethingNew").unwrap();
        assert!(!new.is_known());
        assert!(new == *"SomethingNew");
        for bad in ["", "User:prop", "Grade1", &"A".repeat(129)] {
            assert!(EventType::parse("--event", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kms_keys_know_who_manages_them() {
        assert!(!KmsKey::parse("--kms-key", "alias/aws/kinesis")
            .unwrap()
            .is_customer_managed());
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(KmsKey::parse("--kms-key", arn)
            .unwrap()
            .is_customer_managed());
        for bad in [
            "arn:aws:kms:us-east-1:12:key/x",
            "my key",
            "alias/mine",
            "arn:aws:kms:us-east-1:123456789012:alias/mine",
        ] {
            assert!(KmsKey::parse("--kms-key", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bucket_names_follow_s3_s_rules_and_each_refusal_names_its_rule() {
        for ok in [
            "abc",
            "buzz-archive",
            "district.42.events",
            "a1b",
            &"a".repeat(63),
        ] {
            assert_eq!(
                BucketName::parse("--archive-bucket", ok).unwrap().as_str(),
                ok
            );
        }
        for (bad, rule) in [
            ("ab", "3 to 63"),
            (&*"a".repeat(64), "3 to 63"),
            ("Buzz-Archive", "lowercase"),
            ("buzz_archive", "lowercase"),
            ("buzz archive", "lowercase"),
            ("-buzz", "starts and ends"),
            ("buzz-", "starts and ends"),
            (".buzz", "starts and ends"),
            ("buzz..archive", "adjacent dots"),
            ("192.168.5.4", "IP address"),
            ("xn--buzz", "xn--"),
            ("sthree-buzz", "sthree-"),
            ("amzn-s3-demo-buzz", "amzn-s3-demo-"),
            ("buzz-s3alias", "-s3alias"),
            ("buzz--ol-s3", "--ol-s3"),
            ("buzz.mrap", ".mrap"),
            ("buzz--x-s3", "--x-s3"),
            ("buzz\u{1b}[31m", "lowercase"),
        ] {
            let e = BucketName::parse("--archive-bucket", bad)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--archive-bucket") && e.contains(rule),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn archive_buffers_are_60_to_900_seconds_300_by_default() {
        assert_eq!(ArchiveBuffer::DEFAULT.get(), 300);
        assert_eq!(
            ArchiveBuffer::parse("--archive-buffer", "60")
                .unwrap()
                .get(),
            60
        );
        assert_eq!(
            ArchiveBuffer::parse("--archive-buffer", " 900")
                .unwrap()
                .get(),
            900
        );
        for bad in ["59", "901", "0", "-1", "5m", ""] {
            let e = ArchiveBuffer::parse("--archive-buffer", bad)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--archive-buffer") && e.contains("900"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn archive_days_are_1_to_36500() {
        assert_eq!(ArchiveDays::parse("--archive-days", "1").unwrap().get(), 1);
        assert_eq!(
            ArchiveDays::parse("--archive-days", "36500").unwrap().get(),
            36_500
        );
        for bad in ["0", "36501", "-1", "7d", "", "1.5"] {
            let e = ArchiveDays::parse("--archive-days", bad)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("--archive-days") && e.contains("36500"),
                "{bad}: {e}"
            );
        }
    }

    // ---- Every rule, at its edges: one value just inside and one just outside each bound,
    // and for each condition a value that breaks only that one.

    /// Accepted and rejected values of one parser.
    fn edges<T: std::fmt::Debug>(
        parse: impl Fn(&'static str, &str) -> Result<T, Error>,
        good: &[&str],
        bad: &[&str],
    ) {
        for g in good {
            assert!(parse("--flag", g).is_ok(), "should accept {g:?}");
        }
        for b in bad {
            let e = parse("--flag", b).expect_err(b).to_string();
            assert!(e.contains("--flag"), "{b:?}: {e}");
        }
    }

    #[test]
    fn names_are_letters_digits_underscore_and_the_type_s_own_marks() {
        let (r128, r129) = ("r".repeat(128), "r".repeat(129));
        edges(
            StreamName::parse,
            &["a", "A_9.b-c", "_", &r128],
            &["", &r129, "a b", "a+b", "a/b"],
        );
        let (r64, r65) = ("r".repeat(64), "r".repeat(65));
        edges(
            RoleName::parse,
            &["r", "Buzz+Writer=1,a.b@c-d_e", &r64],
            &["", &r65, "a b", "a/b", "a:b"],
        );
        edges(
            ClientId::parse,
            &["31415926", "app.id-1_x", &r128],
            &["", &r129, "a b", "a@b"],
        );
        edges(
            KeyId::parse,
            &["k", "key-2026.01_a", &r128],
            &["", &r129, "k/1", "k 1"],
        );
        assert_eq!(
            StreamName::parse("--stream", "buzz-events")
                .unwrap()
                .to_string(),
            "buzz-events"
        );
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        edges(
            AccountId::parse,
            &["123456789012", "000000000000"],
            &[
                "",
                "12345678901",
                "1234567890123",
                "12345678901x",
                "1234 6789012",
            ],
        );
        assert_eq!(
            AccountId::parse("--agilix-account", "210987654321")
                .unwrap()
                .as_str(),
            "210987654321"
        );
    }

    #[test]
    fn the_consoles_dashed_account_id_is_taken_without_its_dashes() {
        assert_eq!(
            AccountId::parse("--agilix-account", "2109-8765-4321")
                .unwrap()
                .as_str(),
            "210987654321"
        );
        for bad in [
            "210-98765-4321",
            "2109-8765-43210",
            "2109-8765-432x",
            "2109 8765 4321",
            "21098-765-4321",
            "--------------",
            "2109-87654321-",
        ] {
            assert!(AccountId::parse("--agilix-account", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn external_ids_are_two_to_1224_of_iam_s_characters() {
        let (x1224, x1225) = ("x".repeat(1224), "x".repeat(1225));
        edges(
            ExternalId::parse,
            &["ab", "district-42", "a_b+c=d,e.f@g:h/i-j", &x1224],
            // One character is too short even when it is a valid one; a valid length does
            // not excuse a character IAM refuses.
            &["", "a", &x1225, "district 42", "district#42", "dïstrict"],
        );
    }

    #[test]
    fn a_region_is_words_and_a_number() {
        let long = format!("{}-east-1", "a".repeat(26)); // 33 characters
        let longest = format!("{}-east-1", "a".repeat(25)); // 32
        edges(
            Region::parse,
            &["us-east-1", "ab-cd-10", &longest, "us-gov-west-1"],
            &[
                "",
                "us-1",      // one word
                &long,       // over 32 characters
                "u-east-1",  // a one-letter first word
                "us--1",     // an empty word
                "us-east-",  // no number
                "us-East-1", // upper case
                "us-east-1a",
                "us-east-x",
            ],
        );
        let partition = |r: &str| Region::parse("--region", r).unwrap().partition();
        for (region, want) in [
            ("us-east-1", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
            ("eu-west-1", "aws"),
        ] {
            assert_eq!(partition(region), want, "{region}");
        }
    }

    #[test]
    fn retention_and_shards_are_whole_numbers_in_aws_s_ranges() {
        edges(
            RetentionHours::parse,
            &["24", " 168 ", "8760"],
            &["23", "8761", "0", "-24", "24h", ""],
        );
        assert_eq!(
            RetentionHours::parse("--retention-hours", "168")
                .unwrap()
                .get(),
            168
        );
        assert_eq!(RetentionHours::DEFAULT.get(), 24);
        assert_eq!(RetentionHours::from_aws(48).get(), 48);
        assert_eq!(RetentionHours::from_aws(-5).get(), 0);
        edges(
            ShardCount::parse,
            &["1", " 2 ", "10000"],
            &["0", "10001", "-1", "1.5", ""],
        );
        assert_eq!(ShardCount::parse("--shards", "7").unwrap().get(), 7);
    }

    #[test]
    fn a_window_is_five_minutes_to_fourteen_days_in_any_unit() {
        let secs = |s: &str| Since::parse("--since", s).unwrap().secs();
        let table = [
            ("5m", 300),
            ("90m", 5_400),
            ("1h", 3_600),
            (" 24h ", 86_400),
            ("1d", 86_400),
            ("14d", 14 * 86_400),
            ("1w", 7 * 86_400),
            ("2w", 14 * 86_400),
        ];
        for (text, want) in table {
            assert_eq!(secs(text), want, "{text}");
        }
        edges(
            Since::parse,
            &["5m", "336h", "20160m"],
            &[
                "4m",
                "337h",
                "15d",
                "3w",
                "1s",
                "m",
                "",
                "99999999999999999999w",
            ],
        );
        assert_eq!(Since::DEFAULT.secs(), 86_400);
    }

    #[test]
    fn a_window_reads_in_days_only_beyond_two_days() {
        let shown = |s: &str| Since::parse("--since", s).unwrap().to_string();
        let table = [
            ("5m", "5 min"),
            ("90m", "90 min"),
            ("60m", "1 h"),
            ("1d", "24 h"),
            ("2d", "48 h"),
            ("3d", "3 days"),
            ("73h", "73 h"),
            ("1w", "7 days"),
        ];
        for (text, want) in table {
            assert_eq!(shown(text), want, "{text}");
        }
    }

    #[test]
    fn an_email_is_one_at_and_a_dotted_domain_without_spaces() {
        let long_ok = format!("{}@example.edu", "a".repeat(242)); // 254 characters
        let too_long = format!("{}@example.edu", "a".repeat(243));
        edges(
            Email::parse,
            &[
                "ops@example.edu",
                " ops@example.edu ",
                "a.b+c@mail.example.org",
                &long_ok,
            ],
            &[
                &too_long,
                "op s@example.edu",
                "ops\u{7}@example.edu",
                "@example.edu",
                "ops@example",
                "ops@.example.edu",
                "ops@example.edu.",
                "ops@exa@mple.edu",
                "ops",
            ],
        );
        assert_eq!(
            Email::parse("--alarm-email", " ops@example.edu ")
                .unwrap()
                .as_str(),
            "ops@example.edu"
        );
    }

    #[test]
    fn a_role_arn_is_iam_s_shape_with_a_valid_path_and_name() {
        let path_ok = format!("arn:aws:iam::123456789012:role/{}Writer", "p/".repeat(250));
        let path_long = format!("arn:aws:iam::123456789012:role/{}x", "p/".repeat(290));
        edges(
            RoleArn::parse,
            &[
                "arn:aws:iam::123456789012:role/BuzzKinesisWriter",
                " arn:aws-us-gov:iam::123456789012:role/a/b/Writer ",
                &path_ok,
            ],
            &[
                "arn:aws:iam::123456789012",
                "urn:aws:iam::123456789012:role/x",
                "arn:gcp:iam::123456789012:role/x",
                "arn:aws_cn:iam::123456789012:role/x",
                "arn:awsX:iam::123456789012:role/x",
                "arn:aws:sts::123456789012:role/x",
                "arn:aws:iam:us-east-1:123456789012:role/x",
                "arn:aws:iam::12345678901:role/x",
                "arn:aws:iam::12345678901x:role/x",
                "arn:aws:iam::123456789012:user/x",
                "arn:aws:iam::123456789012:role/a b/x",
                "arn:aws:iam::123456789012:role/a//x",
                "arn:aws:iam::123456789012:role/a/b c",
                &path_long,
            ],
        );
        let a =
            RoleArn::parse("--role-arn", " arn:aws-cn:iam::123456789012:role/p/Writer ").unwrap();
        assert_eq!(a.as_str(), "arn:aws-cn:iam::123456789012:role/p/Writer");
        assert_eq!(a.to_string(), a.as_str());
        assert_eq!(
            (a.account(), a.partition(), a.name()),
            ("123456789012", "aws-cn", "Writer")
        );
    }

    #[test]
    fn a_topic_arn_is_sns_s_shape() {
        let arn = |name: &str| format!("arn:aws:sns:us-east-1:123456789012:{name}");
        let (n256, n257) = (arn(&"t".repeat(256)), arn(&"t".repeat(257)));
        edges(
            TopicArn::parse,
            &[
                &arn("ops-alerts_1"),
                &arn("T"),
                &n256,
                " arn:aws-cn:sns:cn-north-1:123456789012:t ",
            ],
            &[
                &n257,
                &arn(""),
                &arn("a.b"),
                &arn("a:b"),
                "urn:aws:sns:us-east-1:123456789012:t",
                "arn:gcp:sns:us-east-1:123456789012:t",
                "arn:aws:sqs:us-east-1:123456789012:t",
                "arn:aws:sns::123456789012:t",
                "arn:aws:sns:us-east-1:12345678901:t",
                "arn:aws:sns:us-east-1:12345678901x:t",
                "arn:aws:sns:us-east-1:123456789012",
            ],
        );
        assert_eq!(
            TopicArn::parse("--alarm-topic", &format!(" {} ", arn("t")))
                .unwrap()
                .as_str(),
            arn("t")
        );
    }

    #[test]
    fn a_kms_key_is_aws_s_kinesis_alias_or_a_key_arn() {
        let key = |k: &str| format!("arn:aws:kms:us-east-1:123456789012:key/{k}");
        let (k64, k65) = (key(&"a".repeat(64)), key(&"a".repeat(65)));
        edges(
            KmsKey::parse,
            &[
                "alias/aws/kinesis",
                &key("1234abcd-12ab-34cd-56ef-1234567890ab"),
                &k64,
                "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k",
                "arn:aws-cn:kms:cn-north-1:123456789012:key/k",
            ],
            &[
                &k65,
                &key(""),
                &key("a b"),
                "alias/aws/kinesis2",
                "arn:aws:kms:us-east-1:123456789012",
                "arn:aws-iso:kms:us-iso-east-1:123456789012:key/k",
                "arn:aws:sns:us-east-1:123456789012:key/k",
                "arn:aws:kms:US:123456789012:key/k",
                "arn:aws:kms:us-east-1:12345678901x:key/k",
                "arn:aws:kms:us-east-1:123456789012:alias/k",
                "1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
        );
        let aws = KmsKey::parse("--kms-key", "alias/aws/kinesis").unwrap();
        let ours = KmsKey::parse("--kms-key", &key("k")).unwrap();
        assert!(!aws.is_customer_managed() && ours.is_customer_managed());
        assert_eq!(
            (ours.as_str(), ours.to_string()),
            (key("k").as_str(), key("k"))
        );
    }

    #[test]
    fn encryption_is_aws_s_key_unless_a_key_is_given_or_it_is_turned_off() {
        let aws = KmsKey::parse("--kms-key", KmsKey::AWS_MANAGED).unwrap();
        let cmk = KmsKey::parse("--kms-key", "arn:aws:kms:us-east-1:123456789012:key/k").unwrap();
        assert!(Encryption::from_flags(Some(cmk.clone()), true).is_err());
        let table = [
            // (flags, key of a new stream, given, customer-managed)
            ((None, false), Some(&aws), None, None),
            ((None, true), None, None, None),
            ((Some(&aws), false), Some(&aws), Some(&aws), None),
            ((Some(&cmk), false), Some(&cmk), Some(&cmk), Some(&cmk)),
        ];
        for ((key, off), new, given, customer) in table {
            let e = Encryption::from_flags(key.cloned(), off).unwrap();
            assert_eq!(e.new_stream_key().as_ref(), new, "{e:?}");
            assert_eq!(e.given(), given, "{e:?}");
            assert_eq!(e.customer_key(), customer, "{e:?}");
        }
        assert_eq!(
            Encryption::from_flags(None, false).unwrap(),
            Encryption::Default
        );
        assert_eq!(Encryption::from_flags(None, true).unwrap(), Encryption::Off);
    }

    #[test]
    fn a_tag_is_key_equals_value_outside_aws_s_prefix() {
        let k128 = format!("{}=v", "k".repeat(128));
        let k129 = format!("{}=v", "k".repeat(129));
        let v256 = format!("k={}", "é".repeat(256));
        let v257 = format!("k={}", "v".repeat(257));
        edges(
            Tag::parse,
            &[
                "team=data",
                "k=",
                "k=a=b",
                "é=x",
                &k128,
                &v256,
                "my-aws:k=v",
            ],
            &[
                "novalue",
                "=v",
                &k129,
                &v257,
                "aws:name=x",
                "AWS:Name=x",
                "k\u{7}=v",
                "k=v\u{1b}",
            ],
        );
        let t = Tag::parse("--tag", "k=a=b").unwrap();
        assert_eq!((t.key.as_str(), t.value.as_str()), ("k", "a=b"));
    }

    #[test]
    fn the_buzz_url_is_https_or_loopback_http_without_secrets() {
        edges(
            BuzzUrl::parse,
            &[
                "https://api.agilixbuzz.com",
                "https://x.com/buzz/",
                "http://127.0.0.1:8080",
                "http://127.0.0.2",
                "http://[::1]:8080",
                "http://localhost:1",
            ],
            &[
                "http://api.agilixbuzz.com",
                "http://10.0.0.1",
                "http://[::2]",
                "ftp://localhost",
                "https://x.com/?a=1",
                "https://x.com/#top",
                "https://u@x.com",
                "https://:p@x.com",
                "unix:/run/buzz",
                "not a url",
            ],
        );
        let u = BuzzUrl::parse("--buzz-url", "https://x.com/buzz/").unwrap();
        assert_eq!(u.as_str(), "https://x.com/buzz");
        assert_eq!(u.to_string(), "https://x.com/buzz");
        assert_eq!(u.cmd_url().as_str(), "https://x.com/buzz/cmd");
        assert_eq!(
            u.join("api/oauth/token").as_str(),
            "https://x.com/buzz/api/oauth/token"
        );
        let root = BuzzUrl::parse("--buzz-url", "https://x.com").unwrap();
        assert_eq!(root.cmd_url().as_str(), "https://x.com/cmd");
        assert_eq!(root.as_str(), "https://x.com");
        assert_eq!(BuzzUrl::default_for(true), BuzzUrl::INTERACTIVE);
        assert_eq!(BuzzUrl::default_for(false), BuzzUrl::BACKGROUND);
        for ours in [
            BuzzUrl::DEFAULT,
            "https://interactiveapi.agilixbuzz.com/",
            BuzzUrl::BACKGROUND,
        ] {
            assert!(BuzzUrl::is_agilix_default(ours), "{ours}");
        }
        assert!(!BuzzUrl::is_agilix_default("https://buzz.example.edu"));
    }

    #[test]
    fn a_buzz_user_is_userspace_slash_username() {
        let space128 = format!("{}/admin", "s".repeat(128));
        let space129 = format!("{}/admin", "s".repeat(129));
        let name256 = format!("district/{}", "n".repeat(256));
        let name257 = format!("district/{}", "n".repeat(257));
        edges(
            BuzzUser::parse,
            &[
                "district/admin",
                "dist-1.x/ad.min@x",
                "d/a/b",
                &space128,
                &name256,
            ],
            &[
                "districtadmin",
                "/admin",
                "district/",
                &space129,
                &name257,
                "district/ad min",
                "district/ad\u{7}min",
                "dist!rict/admin",
            ],
        );
        let u = BuzzUser::parse("--buzz-user", "d/a/b").unwrap();
        assert_eq!((u.userspace.as_str(), u.username.as_str()), ("d", "a/b"));
        assert_eq!(u.to_string(), "d/a/b");
    }

    #[test]
    fn a_domain_is_a_numeric_id_or_a_userspace_path() {
        let (s128, s129) = (
            format!("//{}", "s".repeat(128)),
            format!("//{}", "s".repeat(129)),
        );
        edges(
            DomainId::parse,
            &[
                "424242",
                "1234567890123456789",
                "//district",
                "//dist-1.x",
                &s128,
            ],
            &[
                "",
                "12345678901234567890",
                "42a",
                "//",
                &s129,
                "//dist rict",
                "/district",
            ],
        );
    }

    #[test]
    fn a_title_is_printable_and_at_most_256_characters() {
        let (t256, t257) = ("é".repeat(256), "é".repeat(257));
        edges(
            Title::parse,
            &["Analytics", " a ", &t256],
            &["", "   ", &t257, "a\nb", "a\u{7}"],
        );
    }

    #[test]
    fn event_types_and_filters_compare_and_know_agilix_s_index() {
        let t = EventType::parse("--event", "GradeChanged").unwrap();
        assert!(t == *"GradeChanged" && t != *"GradeCreated");
        assert!(t.is_known());
        assert!(!EventType::parse("--event", "SomethingNew")
            .unwrap()
            .is_known());
        edges(
            EventType::parse,
            &["A", &"A".repeat(128)],
            &["", "Grade Changed", "Grade1", &"A".repeat(129)],
        );
        edges(
            EventFilter::parse,
            &["UserEntityCreated", "A:b", "A:b.c,d", "A: ", "A:b_1"],
            &[
                "", "User1:b", "A:b..c", "A:.b", "A:b.", "A:,", "A:b,", "A:b c", "A:b-c",
            ],
        );
        let bare = EventFilter::parse("--event", "A: ").unwrap();
        assert_eq!(
            (bare.event_type.as_str(), bare.properties.as_str()),
            ("A", "")
        );
        assert!(EventFilter::parse("--event", "GradeChanged")
            .unwrap()
            .is_known());
    }

    #[test]
    fn a_one_time_code_is_four_to_ten_digits_and_never_echoed() {
        assert_eq!(parse_otp("--otp", "123456").unwrap(), "123456");
        edges(
            parse_otp,
            &["1234", "1234567890"],
            &["123", "12345678901", "12a456", ""],
        );
        let e = parse_otp("--otp", "12a456").unwrap_err().to_string();
        assert!(!e.contains("12a456"), "{e}");
    }
}
