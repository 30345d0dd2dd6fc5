//! What exists on AWS as this tool reads it, and the names every floor above shares: the
//! stream and role states the adapters return and the plans compare, the three resources a
//! run touches, the `managed-by` tag that marks what this tool made, and the ARNs it builds.
//! Plain data: the adapters in `aws/` fill these in without knowing about plans.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::names::{KmsKey, RetentionHours};
use crate::sizing::Capacity;

/// The tag that marks what this tool created (and so may change or remove).
pub(crate) const MANAGED_BY: (&str, &str) = ("managed-by", "buzz-kinesis");

/// Whether `tags` hold our [`MANAGED_BY`] tag with its value.
pub(crate) fn is_managed(tags: &BTreeMap<String, String>) -> bool {
    tags.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1)
}

/// Add our [`MANAGED_BY`] tag to `tags`.
pub(crate) fn mark_managed(tags: &mut BTreeMap<String, String>) {
    tags.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
}

/// Which halves of the job a run does: in a district the person who may change the AWS
/// account is often not the one with the ControlDomain right in Buzz, so either half can run
/// alone (`--aws-only`, `--buzz-only`) without the other's login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub enum Halves {
    /// Both halves, with both logins.
    #[default]
    #[serde(rename = "both")]
    Both,
    /// The AWS half: the stream, the role and the alarm; no Buzz login.
    #[serde(rename = "aws")]
    AwsOnly,
    /// The Buzz half: our target in Buzz's configuration; no AWS credentials.
    #[serde(rename = "buzz")]
    BuzzOnly,
}

impl Halves {
    /// Whether the run talks to AWS.
    pub fn uses_aws(self) -> bool {
        self != Halves::BuzzOnly
    }

    /// Whether the run talks to Buzz.
    pub fn uses_buzz(self) -> bool {
        self != Halves::AwsOnly
    }

    /// The flag that selects this half (`None` for both).
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Halves::Both => None,
            Halves::AwsOnly => Some("--aws-only"),
            Halves::BuzzOnly => Some("--buzz-only"),
        }
    }
}

/// The CloudWatch alarm setup keeps on a stream's refused writes, as CloudWatch has it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct AlarmState {
    pub name: String,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub metric: String,
    pub threshold: f64,
    pub period: i32,
    pub actions: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// An SNS topic as setup and teardown see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct TopicState {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    /// Email addresses subscribed (confirmed or pending).
    pub emails: Vec<String>,
}

/// The names setup gives the alarm and its topic: derived from the stream, so every run (and
/// teardown) finds them without a list call.
pub(crate) mod alarm {
    /// The metric the alarm watches: records Kinesis refused because a shard's write limit was
    /// exceeded, summed per minute; any is an alarm.
    pub(crate) const METRIC: &str = "WriteProvisionedThroughputExceeded";
    pub(crate) const PERIOD: i32 = 60;

    /// `buzz-kinesis-<stream>-writes-refused`.
    pub(crate) fn name(stream: &str) -> String {
        format!("buzz-kinesis-{stream}-writes-refused")
    }

    /// `buzz-kinesis-<stream>-alarms` (SNS names take letters, digits, `-` and `_` only).
    pub(crate) fn topic_name(stream: &str) -> String {
        let safe: String = stream
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("buzz-kinesis-{safe}-alarms")
    }
}

/// A stream's status as Kinesis reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamStatus {
    Creating,
    Active,
    Updating,
    Deleting,
    /// A status this tool does not know (AWS may add some); shown as AWS wrote it.
    Other(String),
}

impl StreamStatus {
    /// From AWS's own word (`ACTIVE`, ...).
    pub(crate) fn from_aws(s: &str) -> Self {
        match s {
            "CREATING" => StreamStatus::Creating,
            "ACTIVE" => StreamStatus::Active,
            "UPDATING" => StreamStatus::Updating,
            "DELETING" => StreamStatus::Deleting,
            other => StreamStatus::Other(other.to_owned()),
        }
    }

    /// AWS's word for it.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
            StreamStatus::Deleting => "DELETING",
            StreamStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for StreamStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A stream as Kinesis describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamState {
    pub arn: String,
    pub status: StreamStatus,
    pub capacity: Option<Capacity>,
    pub open_shards: u32,
    pub retention: RetentionHours,
    pub kms_key: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl StreamState {
    /// Whether this tool created the stream (setup tags what it creates).
    pub(crate) fn is_managed(&self) -> bool {
        is_managed(&self.tags)
    }
}

/// A KMS key as KMS describes it (`kms:DescribeKey`), or as its name alone tells
/// (`alias/aws/kinesis`): what the roles' grants must name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ResolvedKey {
    /// How the stream (or `--kms-key`) names it: an alias, an alias ARN, a key id or a key ARN.
    pub named: String,
    /// The key's ARN, the only form an IAM policy's `Resource` matches; `None` for the
    /// AWS-managed key known by its alias, which needs no grant.
    pub arn: Option<String>,
    /// Managed by AWS (KMS's `KeyManager` = `AWS`): producers and consumers need no grant.
    pub aws_managed: bool,
}

impl ResolvedKey {
    /// The key known without asking KMS: `alias/aws/kinesis`, by its alias or an alias ARN.
    pub(crate) fn known(named: &str) -> Option<Self> {
        let alias = format!(":{}", KmsKey::AWS_MANAGED);
        (named == KmsKey::AWS_MANAGED || named.ends_with(&alias)).then(|| Self {
            named: named.to_owned(),
            arn: None,
            aws_managed: true,
        })
    }

    /// The ARN a grant names: `None` for an AWS-managed key (nothing to grant).
    pub(crate) fn grant_arn(&self) -> Option<&str> {
        if self.aws_managed {
            None
        } else {
            self.arn.as_deref()
        }
    }

    /// Whether `key` (`--kms-key`: `alias/aws/kinesis` or a key ARN) is this key, compared by
    /// ARN, so an alias and its key's ARN agree.
    pub(crate) fn is(&self, key: &KmsKey) -> bool {
        if key.is_customer_managed() {
            self.arn.as_deref() == Some(key.as_str())
        } else {
            self.aws_managed
        }
    }

    /// For a sentence: `alias/district-data (arn:...:key/...)`, or the name alone when it is
    /// the ARN (or there is none).
    pub(crate) fn describe(&self) -> String {
        match &self.arn {
            Some(arn) if *arn != self.named => format!("{} ({arn})", self.named),
            _ => self.named.clone(),
        }
    }
}

/// A role as IAM describes it, with our inline policy (decoded) if present.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleState {
    pub arn: String,
    pub max_session: i32,
    pub trust: Value,
    pub tags: BTreeMap<String, String>,
    pub policy: Option<Value>,
    pub created: SystemTime,
    /// The ARN of the role's permission boundary, when it has one.
    pub boundary: Option<String>,
}

impl RoleState {
    /// Whether this tool created the role (or `--adopt` took it over).
    pub(crate) fn is_managed(&self) -> bool {
        is_managed(&self.tags)
    }
    pub(crate) fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.created).unwrap_or_default()
    }
}

/// A view beside the archive's table, as Glue keeps it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ViewState {
    /// Its `ViewOriginalText` (Athena's encoded definition), when it is a view.
    pub original_text: Option<String>,
    /// It carries our `managed-by` parameter (Glue does not tag tables).
    pub managed: bool,
}

/// The ARNs this tool writes before AWS can tell it (a resource not yet made, a policy, a
/// template with placeholders). Each takes text, so a placeholder such as `ACCOUNT_ID` fits.
pub(crate) mod arn {
    use std::fmt::Display;

    /// `arn:<partition>:kinesis:<region>:<account>:stream/<name>`.
    pub(crate) fn stream(
        partition: &str,
        region: impl Display,
        account: impl Display,
        stream: impl Display,
    ) -> String {
        format!("arn:{partition}:kinesis:{region}:{account}:stream/{stream}")
    }

    /// `arn:<partition>:iam::<account>:role/<name>` (a role made without a path).
    pub(crate) fn role(partition: &str, account: impl Display, role: impl Display) -> String {
        format!("arn:{partition}:iam::{account}:role/{role}")
    }

    /// `arn:<partition>:sns:<region>:<account>:<name>`.
    pub(crate) fn topic(
        partition: &str,
        region: impl Display,
        account: impl Display,
        name: impl Display,
    ) -> String {
        format!("arn:{partition}:sns:{region}:{account}:{name}")
    }

    /// `arn:<partition>:glue:<region>:<account>:database/<name>`.
    pub(crate) fn glue_database(
        partition: &str,
        region: impl Display,
        account: impl Display,
        database: impl Display,
    ) -> String {
        format!("arn:{partition}:glue:{region}:{account}:database/{database}")
    }

    /// The root of an account, as a trust policy names it: `arn:aws:iam::<account>:root`.
    /// In the commercial partition, where Agilix's account is, and where IAM puts a bare
    /// account id it expands.
    pub(crate) fn account_root(account: impl Display) -> String {
        format!("arn:aws:iam::{account}:root")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_aws_words_and_keep_unknown_ones() {
        assert_eq!(StreamStatus::from_aws("ACTIVE"), StreamStatus::Active);
        assert_eq!(StreamStatus::from_aws("DELETING"), StreamStatus::Deleting);
        let odd = StreamStatus::from_aws("SOMETHING_NEW");
        assert_eq!(odd.to_string(), "SOMETHING_NEW");
        for s in ["CREATING", "ACTIVE", "UPDATING", "DELETING"] {
            assert_eq!(StreamStatus::from_aws(s).as_str(), s);
        }
    }

    #[test]
    fn arns_follow_aws_formats() {
        assert_eq!(
            arn::stream("aws-cn", "cn-north-1", "123456789012", "buzz-events"),
            "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/buzz-events"
        );
        assert_eq!(
            arn::role("aws", "123456789012", "BuzzKinesisWriter"),
            "arn:aws:iam::123456789012:role/BuzzKinesisWriter"
        );
        assert_eq!(
            arn::account_root("210987654321"),
            "arn:aws:iam::210987654321:root"
        );
    }

    #[test]
    fn the_managed_by_tag_marks_what_we_made() {
        let mut tags = BTreeMap::new();
        assert!(!is_managed(&tags));
        mark_managed(&mut tags);
        assert!(is_managed(&tags));
        tags.insert("managed-by".into(), "someone-else".into());
        assert!(!is_managed(&tags));
    }

    #[test]
    fn a_resolved_key_is_granted_by_its_arn_and_compared_by_it() {
        const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        let district = ResolvedKey {
            named: "alias/district-data".into(),
            arn: Some(ARN.into()),
            aws_managed: false,
        };
        assert_eq!(district.grant_arn(), Some(ARN));
        assert_eq!(district.describe(), format!("alias/district-data ({ARN})"));
        let cmk = |k: &str| KmsKey::parse("--kms-key", k).unwrap();
        assert!(district.is(&cmk(ARN)), "an alias and its key's ARN agree");
        assert!(!district.is(&cmk("arn:aws:kms:us-east-1:123456789012:key/other")));
        assert!(!district.is(&cmk(KmsKey::AWS_MANAGED)));
        let by_arn = ResolvedKey {
            named: ARN.into(),
            ..district.clone()
        };
        assert_eq!(by_arn.describe(), ARN, "named by its ARN: said once");

        // AWS's own key: known by its alias without a call, by KeyManager otherwise.
        for named in [
            "alias/aws/kinesis",
            "arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis",
        ] {
            let aws = ResolvedKey::known(named).unwrap();
            assert!(aws.aws_managed && aws.grant_arn().is_none(), "{named}");
            assert_eq!(aws.describe(), named);
            assert!(aws.is(&cmk(KmsKey::AWS_MANAGED)));
            assert!(!aws.is(&cmk(ARN)));
        }
        for unknown in [
            "alias/district-data",
            ARN,
            "1234abcd",
            "alias/aws/kinesis-not",
        ] {
            assert!(ResolvedKey::known(unknown).is_none(), "{unknown}");
        }
        let described_by_kms = ResolvedKey {
            named: "arn:aws:kms:us-east-1:123456789012:key/aws-owned".into(),
            arn: Some("arn:aws:kms:us-east-1:123456789012:key/aws-owned".into()),
            aws_managed: true,
        };
        assert_eq!(
            described_by_kms.grant_arn(),
            None,
            "KeyManager AWS: no grant"
        );
        assert!(described_by_kms.is(&cmk(KmsKey::AWS_MANAGED)));
        assert!(described_by_kms.is(&cmk("arn:aws:kms:us-east-1:123456789012:key/aws-owned")));
    }
}
