//! Infrastructure-as-code templates of what `setup` builds, for teams that manage AWS in a
//! repository: a CloudFormation template (JSON) and a Terraform configuration (HCL). Both hold
//! the stream, the role Agilix assumes (12-hour sessions) with its trust and inline policy, and
//! outputs with the ARNs and the `SetDataStreamConfiguration` request to send to Buzz. The
//! documents come from [`crate::iam`] and the request from [`crate::buzz::wire`], so a
//! template can never drift from what setup applies. Pure: no I/O.
//!
//! With `--archive-bucket` both add the archive ([`crate::archive`]): the bucket, Firehose's
//! delivery stream and role, the Glue database and table, and the SQL as outputs.
//!
//! Security teams scan these with checkov: every check a template does not meet carries a
//! skip with its reason next to the resource ([`Skip`]), and `tests/it/scanner.rs` fails on
//! any other finding.
//!
//! `cloudformation` and `terraform` are the two templates; `crate::hcl` is a small HCL writer
//! that knows nothing of them.

mod cloudformation;
mod terraform;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::archive::Archive;
use crate::handover::Handover;
use crate::iam;
use crate::names::{Encryption, EventFilter, KmsKey, RetentionHours};
use crate::sizing::Capacity;

pub(crate) use cloudformation::cloudformation;
pub(crate) use terraform::terraform;

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference. The
/// control character keeps them apart from anything a user can type: every validated name and
/// title refuses control characters.
use crate::parts::{KINESIS_SERVICE, STREAM_ARN};
const ROLE_ARN: &str = "\u{1}role_arn\u{1}";
const REGION: &str = "\u{1}region\u{1}";
const DOMAIN: &str = "\u{1}domain\u{1}";

/// What a template describes: the values setup would use.
#[derive(Debug, Clone)]
pub(crate) struct Blueprint {
    pub stream: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    /// The template makes the stream, so the default is the AWS-managed key.
    pub encryption: Encryption,
    /// Tags for the stream and the role, `managed-by` included.
    pub tags: BTreeMap<String, String>,
    pub role: String,
    pub trust: Value,
    pub title: String,
    pub events: Vec<EventFilter>,
    /// The Buzz domain, when known; else the template asks for it.
    pub domain: Option<String>,
    /// `--alarm-email` / `--alarm-topic`: the alarm on refused writes.
    pub alarm: Option<BlueprintAlarm>,
    /// `--archive-bucket`: the archive in S3 through Firehose, with its Glue table.
    pub archive: Option<Archive>,
}

/// The alarm on the stream's refused writes, and whom it notifies.
#[derive(Debug, Clone)]
pub(crate) struct BlueprintAlarm {
    pub emails: Vec<String>,
    /// An existing topic; `None`: the template makes one, named as setup names it.
    pub topic_arn: Option<String>,
}

const HEADER: &str = "The Agilix Buzz data stream to Amazon Kinesis: the stream, the cross-account role Agilix assumes (12-hour sessions) and its least-privilege inline policy, as `buzz-kinesis setup` makes them.";

const REQUEST_HELP: &str = "The SetDataStreamConfiguration request for Buzz's API console: send it first with \"test\": true (Buzz tests the target and saves nothing), then as it is. Buzz replaces the domain's whole configuration, so add the domain's other targets to it, or run `buzz-kinesis setup`, which keeps them.";

const COMMAND_HELP: &str = "The Buzz half for a person with a Buzz administrator login (no AWS access needed): it tests the target, then enables it, keeping the domain's other targets.";

const DOMAIN_HELP: &str = "The Buzz domain that sends its events: numeric id or //userspace.";

/// A scanner check a resource does not meet on purpose, and why (the parts' word for it).
use crate::parts::Skip;

/// The trust names Agilix's account root (checkov CKV_AWS_61, Terraform only).
const TRUST_ROOT_REASON: &str = "The trust names Agilix's AWS account root because Agilix's procedure for Buzz data streams requires it: Buzz's servers assume this role from that account. It admits that one account alone";

/// The stream uses the AWS-managed key (checkov CKV_AWS_185, Terraform only).
const AWS_MANAGED_KEY_REASON: &str = "Encrypted with the AWS-managed key alias/aws/kinesis, the default: Buzz's writer role needs no KMS grant for it and there is no key policy to keep. Pass --kms-key with a customer-managed key's ARN to use your own key.";

impl Blueprint {
    /// The permission policy, its stream (and key) as given by `stream_arn`.
    fn permission(&self) -> Value {
        iam::write_policy_via(
            STREAM_ARN,
            self.encryption.customer_key().map(KmsKey::as_str),
            KINESIS_SERVICE,
        )
    }

    /// The key the stream is made with; `None` with `--no-encryption`.
    fn stream_key(&self) -> Option<KmsKey> {
        self.encryption.new_stream_key()
    }

    /// The checks the stream does not meet, with their reasons.
    fn stream_skips(&self) -> Vec<Skip> {
        match self.stream_key() {
            None => vec![
                Skip {
                    id: "CKV_AWS_43",
                    reason: Encryption::OFF_REASON.into(),
                },
                Skip {
                    id: "CKV_AWS_185",
                    reason: Encryption::OFF_REASON.into(),
                },
            ],
            Some(k) if !k.is_customer_managed() => vec![Skip {
                id: "CKV_AWS_185",
                reason: AWS_MANAGED_KEY_REASON.into(),
            }],
            Some(_) => Vec::new(),
        }
    }

    /// The checks the role's trust does not meet, with their reasons.
    fn trust_skips(&self) -> Vec<Skip> {
        let narrowed = if iam::trusted_principals(&self.trust)
            .iter()
            .all(|(_, external_id)| external_id.is_some())
        {
            ", and only with this district's external id, which keeps other Buzz tenants out"
        } else {
            "; pass --external-id when Agilix issues one, so that only this district's Buzz configuration can use the role"
        };
        vec![Skip {
            id: "CKV_AWS_61",
            reason: format!("{TRUST_ROOT_REASON}{narrowed}."),
        }]
    }

    /// What the alarm's fragments are written from: the customer-managed key, when one is
    /// given, encrypts the topic the template makes.
    fn alarm_export<'a>(&'a self, a: &'a BlueprintAlarm) -> crate::parts::alarm::AlarmExport<'a> {
        crate::parts::alarm::AlarmExport {
            stream: &self.stream,
            tags: &self.tags,
            emails: &a.emails,
            topic_arn: a.topic_arn.as_deref(),
            key: self.encryption.customer_key(),
        }
    }

    /// The Buzz half as `setup --aws-only` hands it over, its deployment-only values as
    /// stand-ins each dialect replaces by a reference.
    fn handover(&self) -> Handover {
        Handover {
            role_arn: ROLE_ARN.into(),
            stream: self.stream.clone(),
            region: REGION.into(),
            domain: Some(DOMAIN.into()),
            title: self.title.clone(),
            events: self.events.clone(),
            buzz_url: None,
            buzz_user: None,
        }
    }

    /// The request to send to Buzz: our target alone, enabled (the seed's second step).
    fn request(&self) -> Value {
        self.handover().request()
    }

    /// The `buzz-kinesis setup --buzz-only ...` command for the person with the Buzz login,
    /// which keeps the domain's other targets (the request replaces them).
    fn command(&self) -> String {
        // The stand-ins hold a control character, so the shell quoting put them in quotes;
        // what replaces them (an ARN, a region, a domain) needs none.
        [ROLE_ARN, REGION, DOMAIN]
            .iter()
            .fold(self.handover().command_line(), |line, marker| {
                line.replace(&format!("'{marker}'"), marker)
            })
    }
}

#[cfg(test)]
mod tests;
