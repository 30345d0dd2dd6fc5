//! What Buzz's servers and AWS do when a Kinesis target is tested or used: read the role, judge
//! whether Agilix's account may assume it (trust policy, external id, IAM propagation delay,
//! a 12-hour session), whether the role may write to the stream (and use its key when that is
//! a customer-managed one), then assume it for real and write the record.
//!
//! The emulator (moto) answers AssumeRole and PutRecord for anyone, so the checks that real AWS
//! would make are made here first with IAM reads and [`crate::policy`], and a refusal is phrased
//! the way AWS phrases it, so a client sees what it would see against real Buzz. All AWS calls use
//! the sandbox's own credentials from the usual environment (on moto everything is one account).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata};
use serde_json::{json, Value};

use crate::kms;
use crate::policy::{self, Caller, Decision, Request};
use crate::record::{self, EventContext, EventRecord};
use crate::role_eval::session_request;
use crate::state::Settings;

/// The session length Buzz asks for; a role whose MaxSessionDuration is lower refuses it.
pub const BUZZ_SESSION_SECONDS: i32 = 43_200;

/// An AWS-style failure: the error code and message that AWS (or Buzz) would report.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Failure {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// From any SDK error: its service code and message when it has them.
    pub(crate) fn from_sdk<E>(err: E) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().unwrap_or("InternalFailure").to_string();
        let message = match err.message() {
            Some(message) => message.to_string(),
            None => DisplayErrorContext(&err).to_string(),
        };
        Failure { code, message }
    }
}

/// A role ARN split into what the checks need.
#[derive(Debug, Clone)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    pub name: String,
}

/// One entry of the `kinesis` array, validated.
#[derive(Debug, Clone)]
pub struct KinesisTarget {
    pub title: String,
    pub enabled: bool,
    pub stream: String,
    pub role_arn: String,
    pub role: RoleArn,
    pub region: String,
}

impl KinesisTarget {
    /// The title used in messages: the target's own, else its position.
    pub fn title_of(value: &Value, index: usize) -> String {
        match value.get("title").and_then(Value::as_str) {
            Some(title) if !title.trim().is_empty() => title.to_string(),
            _ => format!("#{}", index + 1),
        }
    }

    /// Step 1 of the test: the fields Buzz needs, present and well-formed.
    pub fn parse(value: &Value, index: usize) -> Result<Self, Failure> {
        let title = Self::title_of(value, index);
        if !value.is_object() {
            return Err(Failure::new(
                "BadRequest",
                "a kinesis target must be a JSON object",
            ));
        }
        let field = |name: &str| -> Result<String, Failure> {
            match value.get(name) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Some(Value::String(_)) | None | Some(Value::Null) => Err(Failure::new(
                    "BadRequest",
                    format!("required field '{name}' is missing or empty"),
                )),
                Some(other) => Err(Failure::new(
                    "BadRequest",
                    format!("field '{name}' must be a string, got {other}"),
                )),
            }
        };
        let stream = field("targetKinesisStream")?;
        if !valid_stream_name(&stream) {
            return Err(Failure::new(
                "BadRequest",
                format!("field 'targetKinesisStream' is not a Kinesis stream name (1-128 of [a-zA-Z0-9_.-]): {stream:?}"),
            ));
        }
        let role_arn = field("roleArn")?;
        let role = parse_role_arn(&role_arn).ok_or_else(|| {
            Failure::new(
                "BadRequest",
                format!("field 'roleArn' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>): {role_arn:?}"),
            )
        })?;
        let region = field("targetRegion")?;
        if !valid_region(&region) {
            return Err(Failure::new(
                "BadRequest",
                format!(
                    "field 'targetRegion' is not an AWS region name (like us-east-1): {region:?}"
                ),
            ));
        }
        let enabled = match value.get("enabled") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
            Some(other) => {
                return Err(Failure::new(
                    "BadRequest",
                    format!("field 'enabled' must be true or false, got {other}"),
                ))
            }
        };
        Ok(KinesisTarget {
            title,
            enabled,
            stream,
            role_arn,
            role,
            region,
        })
    }

    fn stream_arn(&self) -> String {
        format!(
            "arn:{}:kinesis:{}:{}:stream/{}",
            self.role.partition, self.region, self.role.account, self.stream
        )
    }
}

fn valid_stream_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ...
fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `arn:<partition>:iam::<account>:role/<optional path/><name>`.
pub fn parse_role_arn(arn: &str) -> Option<RoleArn> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
        return None;
    }
    let partition = parts[1];
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return None;
    }
    let account = parts[4];
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path_and_name = parts[5].strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    name_ok.then(|| RoleArn {
        partition: partition.to_string(),
        account: account.to_string(),
        name: name.to_string(),
    })
}

/// IAM hands policy documents out URL-encoded (RFC 3986); moto does too. A document that is
/// already plain JSON is taken as it is.
pub(crate) fn decode_policy(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed).ok();
    }
    let decoded = percent_encoding::percent_decode_str(trimmed)
        .decode_utf8()
        .ok()?;
    serde_json::from_str(&decoded).ok()
}

/// The AWS clients the checks use.
pub struct AwsProbe {
    pub(crate) base: aws_config::SdkConfig,
    cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
}

impl AwsProbe {
    /// Config from the standard chain, so `AWS_ENDPOINT_URL` and friends reach the emulator;
    /// CloudWatch at `cloudwatch_url` when given (the sandbox's own translator).
    pub async fn from_env(cloudwatch_url: Option<&str>) -> Self {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let mut cloudwatch = aws_sdk_cloudwatch::config::Builder::from(&base);
        if let Some(url) = cloudwatch_url {
            cloudwatch = cloudwatch.endpoint_url(url);
        }
        AwsProbe {
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch.build()),
            iam: aws_sdk_iam::Client::new(&base),
            sts: aws_sdk_sts::Client::new(&base),
            base,
        }
    }

    /// The whole test of one target (steps 2-8); step 1 is [`KinesisTarget::parse`].
    pub async fn test_target(
        &self,
        settings: &Settings,
        target: &KinesisTarget,
        ctx: &EventContext,
    ) -> Result<(), Failure> {
        self.check_assumable(settings, target, &ctx.domain_id)
            .await?;
        let data = json!({
            "title": target.title,
            "targetKinesisStream": target.stream,
            "roleArn": target.role_arn,
            "targetRegion": target.region,
        });
        let probe = record::event("ValidateDataStreamConfiguration", ctx, data);
        self.deliver(settings, &ctx.domain_id, target, &probe).await
    }

    /// Steps 2-7: what AWS would decide before Agilix's AssumeRole and PutRecord get through.
    /// `domain`: whose target it is (Agilix sends that tenant's external id).
    async fn check_assumable(
        &self,
        settings: &Settings,
        target: &KinesisTarget,
        domain: &str,
    ) -> Result<(), Failure> {
        let denied = || assume_role_denied(settings, target, domain);
        let external_id = settings.external_id_for(domain);

        // 2. The role must exist in the account the ARN names.
        let role = match self
            .iam
            .get_role()
            .role_name(&target.role.name)
            .send()
            .await
        {
            Ok(out) => match out.role {
                Some(role) => role,
                None => return Err(denied()),
            },
            Err(err) if err.code() == Some("NoSuchEntity") => return Err(denied()),
            Err(err) => return Err(Failure::from_sdk(err)),
        };
        let actual = parse_role_arn(role.arn());
        let same_role = actual.as_ref().is_some_and(|actual| {
            actual.account == target.role.account
                && actual.name.eq_ignore_ascii_case(&target.role.name)
        });
        if !same_role {
            return Err(denied());
        }

        // 3. The trust policy must let Agilix's account assume it (with the external id, if any).
        let trust = role.assume_role_policy_document().and_then(decode_policy);
        let context: Vec<(&str, &str)> = match external_id {
            Some(id) => vec![("sts:externalid", id.as_str())],
            None => Vec::new(),
        };
        let trusted = trust.is_some_and(|trust| {
            policy::evaluate(
                &[trust],
                &Request {
                    action: "sts:AssumeRole",
                    resource: None,
                    principal: Some(Caller::Account(&settings.agilix_account)),
                    context: &context,
                    required_condition_key: external_id.map(|_| "sts:ExternalId"),
                },
            ) == Decision::Allow
        });
        if !trusted {
            return Err(denied());
        }

        // 4. A new role is not assumable everywhere at once.
        let created = UNIX_EPOCH
            + Duration::from_secs(u64::try_from(role.create_date().secs()).unwrap_or(0))
            + Duration::from_nanos(u64::from(role.create_date().subsec_nanos()));
        let age = SystemTime::now()
            .duration_since(created)
            .unwrap_or_default();
        if age < settings.iam_propagation_delay {
            eprintln!(
                "buzz sandbox: role {} is {:.1}s old; refusing AssumeRole until it is {}s old (IAM propagation)",
                target.role.name,
                age.as_secs_f64(),
                settings.iam_propagation_delay.as_secs()
            );
            return Err(denied());
        }

        // 5. Buzz asks for a 12-hour session.
        if role.max_session_duration().unwrap_or(3600) < BUZZ_SESSION_SECONDS {
            return Err(Failure::new(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }

        // 6. The role's own policies and its boundary must let it write to the stream.
        let policies = self.policies_of(&role).await?;
        let stream_arn = target.stream_arn();
        let who = format!(
            "arn:{}:sts::{}:assumed-role/{}/{}",
            target.role.partition,
            target.role.account,
            target.role.name,
            session_name(domain)
        );
        policies
            .judge_as(
                &who,
                &session_request("kinesis:PutRecord", &stream_arn, &[]),
            )
            .map_err(|message| Failure::new("AccessDeniedException", message))?;

        // 7. A stream encrypted with a customer-managed key: Kinesis asks KMS for a data key on
        // the producer's behalf, so the role needs kms:GenerateDataKey on that key's ARN (an
        // alias in a policy grants nothing), through Kinesis (a grant with kms:ViaService =
        // kinesis.<region>.amazonaws.com counts); the AWS-managed alias/aws/kinesis needs
        // nothing. Real AWS refuses the PutRecord.
        if let Some(key) = self.stream_key(&target.stream, &target.region).await? {
            let via = kms::via("kinesis", &target.region);
            let context = [("kms:viaservice", via.as_str())];
            let generate = session_request("kms:GenerateDataKey", &key, &context);
            policies.judge_as(&who, &generate).map_err(|message| {
                Failure::new(
                    "KMSAccessDeniedException",
                    format!("{message} (the key of stream {stream_arn}, via {via}) (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"),
                )
            })?;
        }
        Ok(())
    }

    /// Inline and attached managed policies of a role, decoded.
    pub async fn role_policies(&self, role: &str) -> Result<Vec<Value>, Failure> {
        let mut documents = Vec::new();

        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_role_policies()
                .role_name(role)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            names.extend(page.policy_names().iter().cloned());
            match (page.is_truncated(), page.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
                _ => break,
            }
        }
        for name in names {
            let out = self
                .iam
                .get_role_policy()
                .role_name(role)
                .policy_name(&name)
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            match decode_policy(out.policy_document()) {
                Some(doc) => documents.push(doc),
                None => eprintln!(
                    "buzz sandbox: inline policy {name} of role {role} is not JSON; ignored"
                ),
            }
        }

        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            arns.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string)),
            );
            match (page.is_truncated(), page.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
                _ => break,
            }
        }
        for arn in arns {
            documents.extend(self.managed_policy(&arn).await?);
        }
        Ok(documents)
    }

    /// The default version's document of a managed policy.
    pub(crate) async fn managed_policy(&self, arn: &str) -> Result<Option<Value>, Failure> {
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(Failure::from_sdk)?;
        let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
            return Ok(None);
        };
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(Failure::from_sdk)?;
        Ok(out
            .policy_version()
            .and_then(|v| v.document())
            .and_then(decode_policy))
    }

    /// Step 8, and every later delivery: AssumeRole as Agilix would, then PutRecord. `owner`:
    /// the domain whose configuration holds the target (Agilix assumes the role for that
    /// tenant, with its external id), which for an ancestor's target is not the event's domain.
    pub async fn deliver(
        &self,
        settings: &Settings,
        owner: &str,
        target: &KinesisTarget,
        event: &EventRecord,
    ) -> Result<(), Failure> {
        if settings.throttle && event.event_type != "ValidateDataStreamConfiguration" {
            // What Kinesis does to a write beyond a shard's limit: refuse it and count it.
            self.publish(target, &[("WriteProvisionedThroughputExceeded", 1.0)])
                .await;
            return Err(Failure::new(
                "ProvisionedThroughputExceededException",
                format!(
                    "Rate exceeded for shard shardId-000000000000 in stream {} (sandbox --throttle)",
                    target.stream
                ),
            ));
        }
        let assumed = self
            .sts
            .assume_role()
            .role_arn(&target.role_arn)
            .role_session_name(session_name(owner))
            .duration_seconds(BUZZ_SESSION_SECONDS)
            .set_external_id(settings.external_id_for(owner).cloned())
            .send()
            .await
            .map_err(Failure::from_sdk)?;
        let Some(credentials) = assumed.credentials() else {
            return Err(Failure::new(
                "InternalFailure",
                "AssumeRole returned no credentials",
            ));
        };
        let credentials = aws_sdk_kinesis::config::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_string()),
            None,
            "buzz-sandbox-assumed-role",
        );
        let config = aws_sdk_kinesis::config::Builder::from(&self.base)
            .credentials_provider(credentials)
            .region(aws_sdk_kinesis::config::Region::new(target.region.clone()))
            .build();
        let kinesis = aws_sdk_kinesis::Client::from_conf(config);
        kinesis
            .put_record()
            .stream_name(&target.stream)
            .partition_key(&event.guid)
            .data(aws_sdk_kinesis::primitives::Blob::new(
                event.json.as_bytes(),
            ))
            .send()
            .await
            .map_err(Failure::from_sdk)?;
        self.publish(
            target,
            &[
                ("IncomingRecords", 1.0),
                ("IncomingBytes", event.json.len() as f64),
                ("PutRecord.Success", 1.0),
            ],
        )
        .await;
        Ok(())
    }

    /// Kinesis's own stream metrics for a write, which moto does not publish by itself. A
    /// failure here is only logged: metrics are not part of Buzz's contract.
    async fn publish(&self, target: &KinesisTarget, values: &[(&str, f64)]) {
        let dimension = ("StreamName", target.stream.as_str());
        if let Err(e) = put_metrics(&self.cloudwatch, "AWS/Kinesis", dimension, values).await {
            eprintln!(
                "buzz sandbox:   could not publish metrics for {}: {}",
                target.stream,
                Failure::from_sdk(e).message
            );
        }
    }
}

/// Put `values` (name, value) as metrics of `namespace` with one `dimension` (name, value),
/// as the AWS service of that namespace publishes its own.
pub(crate) async fn put_metrics(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    (dimension, of): (&str, &str),
    values: &[(&str, f64)],
) -> Result<
    (),
    aws_sdk_cloudwatch::error::SdkError<
        aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError,
    >,
> {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let mut req = cloudwatch.put_metric_data().namespace(namespace);
    for (name, value) in values {
        req = req.metric_data(
            MetricDatum::builder()
                .metric_name(*name)
                .dimensions(Dimension::builder().name(dimension).value(of).build())
                .value(*value)
                .build(),
        );
    }
    req.send().await.map(|_| ())
}

/// The role session name Agilix's servers would use for a target of `domain`.
fn session_name(domain: &str) -> String {
    format!("buzz-datastream-{domain}")
}

/// What STS says when the caller may not assume the role (also for a role that does not exist).
fn assume_role_denied(settings: &Settings, target: &KinesisTarget, domain: &str) -> Failure {
    Failure::new(
        "AccessDenied",
        format!(
            "User: arn:aws:sts::{}:assumed-role/AgilixBuzzDataStreams/{} is not authorized to perform: sts:AssumeRole on resource: {}",
            settings.agilix_account,
            session_name(domain),
            target.role_arn
        ),
    )
}
