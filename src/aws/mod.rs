//! The AWS side: one adapter per service ([`kinesis`], [`iam`], [`sts`], [`kms`], ...), all built from the
//! standard credential chain (env vars, profiles, SSO, credential_process, web identity,
//! container and instance metadata) and the standard endpoint overrides (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`), which is how tests reach the local emulator.

mod call;
pub(crate) mod cloudwatch;
pub(crate) mod firehose;
pub(crate) mod glue;
pub(crate) mod iam;
pub(crate) mod kinesis;
pub(crate) mod kms;
pub(crate) mod logs;
pub(crate) mod s3;
pub(crate) mod sns;
pub(crate) mod sts;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_sts::config::ProvideCredentials;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::calls::CallLog;
use crate::error::{Error, Result};
use crate::names::Region;
pub(crate) use call::{built, read, write, Expected};

/// What a create call found: made by this call, or there already (a race with someone else,
/// or the SDK's retry of a create that had succeeded). The caller reads it again and plans
/// anew: what is there may not be ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    Made,
    AlreadyExisted,
}

/// Asks a person for the stream's region (the wizard's question), when the AWS profile names
/// none. The command layer passes it in; the adapter itself never prompts.
pub(crate) type AskRegion = fn() -> Result<Region>;

/// Clients for the AWS services the tool calls (Kinesis, IAM, STS, CloudWatch, SNS), sharing
/// one configuration and one call log.
#[derive(Clone)]
pub(crate) struct Aws {
    pub kinesis: aws_sdk_kinesis::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    /// The archive's services (`--archive-bucket`).
    pub s3: aws_sdk_s3::Client,
    pub firehose: aws_sdk_firehose::Client,
    pub glue: aws_sdk_glue::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// The stream's key, resolved to its ARN for the roles' grants.
    pub kms: aws_sdk_kms::Client,
    pub region: Region,
    pub calls: CallLog,
    /// The account every S3 request expects the archive's bucket to belong to
    /// (`ExpectedBucketOwner`), known once the caller's identity is read: S3 names are global,
    /// and with it S3 refuses (403) a bucket of that name in another account.
    pub bucket_owner: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Aws {
    /// Load the configuration and make sure credentials and a region exist, so a missing
    /// login is one clear message instead of a failure deep inside the first call.
    /// With `ask_region`, a missing region is asked for instead of being an error.
    pub(crate) async fn connect(
        profile: Option<&str>,
        region: Option<&Region>,
        calls: CallLog,
        ask_region: Option<AskRegion>,
    ) -> Result<Self> {
        let http_client = custom_ca_client()?;
        let timeouts = Timeouts::from_env()?;
        let load = |region: Option<&Region>| {
            let mut loader = base_loader(profile, timeouts);
            if let Some(r) = region {
                loader = loader.region(aws_config::Region::new(r.as_str().to_owned()));
            }
            if let Some(client) = &http_client {
                loader = loader.http_client(client.clone());
            }
            loader.load()
        };
        let mut config = load(region).await;
        if let (None, Some(ask)) = (config.region(), ask_region) {
            let chosen = ask()?;
            config = load(Some(&chosen)).await;
        }
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| {
                Error::missing(
                    "an AWS region",
                    "--region",
                    Some("BUZZ_KINESIS_REGION"),
                    " (or set region in your AWS profile)",
                )
            })
            .and_then(|r| Region::parse("--region", &r))?;
        check_credentials(&config, profile).await?;
        Ok(Self {
            kinesis: aws_sdk_kinesis::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            s3: s3_client(&config),
            firehose: aws_sdk_firehose::Client::new(&config),
            glue: aws_sdk_glue::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            region,
            calls,
            bucket_owner: Default::default(),
        })
    }

    /// Make sure the credential chain yields credentials, without reading or changing
    /// anything in the account: the wizard calls this before it asks for Buzz values, so a
    /// missing AWS login is found before a person types a password.
    pub(crate) async fn check_login(profile: Option<&str>) -> Result<()> {
        let mut loader = base_loader(profile, Timeouts::from_env()?);
        if let Some(client) = custom_ca_client()? {
            loader = loader.http_client(client);
        }
        check_credentials(&loader.load().await, profile).await
    }
}

/// S3's client. Against an endpoint override (a local emulator, a private endpoint) bucket
/// names go in the path: `bucket.127.0.0.1` is no host name.
fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let overridden = config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
    let c = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(overridden)
        .build();
    aws_sdk_s3::Client::from_conf(c)
}

/// The standard configuration chain, with the profile given and our ceilings on every call.
fn base_loader(profile: Option<&str>, timeouts: Timeouts) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .app_name(app_name())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                // The SDK's own default, kept: setting a timeout config replaces it.
                .connect_timeout(Duration::from_millis(3100))
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation())
                .build(),
        );
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    loader
}

/// How long one AWS call may take: a connection that is accepted and never answered (a
/// stalled proxy, a black-holed endpoint) ends in a clear error instead of a hang. Every call
/// this tool makes is small (waits are polls), so the defaults are generous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// One attempt (the SDK retries a timed-out attempt).
    pub attempt: Duration,
}

/// The variable that sets [`Timeouts::attempt`], in whole seconds.
pub(crate) const ATTEMPT_TIMEOUT_ENV: &str = "BUZZ_KINESIS_AWS_ATTEMPT_TIMEOUT";

/// The attempts one operation gets: the SDK's standard retry mode makes three.
const ATTEMPTS: u32 = 3;

impl Timeouts {
    pub(crate) const DEFAULT_ATTEMPT: Duration = Duration::from_secs(20);

    /// From [`ATTEMPT_TIMEOUT_ENV`] (1 to 600 s), else the default.
    pub(crate) fn from_env() -> Result<Self> {
        match std::env::var(ATTEMPT_TIMEOUT_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v),
            _ => Ok(Self {
                attempt: Self::DEFAULT_ATTEMPT,
            }),
        }
    }

    fn parse(v: &str) -> Result<Self> {
        match v.trim().parse::<u64>() {
            Ok(s @ 1..=600) => Ok(Self {
                attempt: Duration::from_secs(s),
            }),
            _ => Err(Error::Invalid {
                flag: ATTEMPT_TIMEOUT_ENV,
                value: v.to_owned(),
                rule: "whole seconds from 1 to 600".into(),
            }),
        }
    }

    /// The whole operation, its retries included.
    pub(crate) fn operation(self) -> Duration {
        self.attempt * ATTEMPTS + Duration::from_secs(1)
    }
}

/// How every AWS call names this tool: the SDK adds `app/buzz-kinesis-<version>` to each
/// request's User-Agent, which CloudTrail records (`userAgent`), so an account's owners can
/// tell this tool's calls from others'. (An app name allows no `/`, hence the `-`.)
pub(crate) fn app_name() -> aws_config::AppName {
    aws_config::AppName::new(concat!("buzz-kinesis-", env!("CARGO_PKG_VERSION")))
        .expect("the crate's name and version are a valid app name")
}

/// An HTTPS client that also trusts `AWS_CA_BUNDLE`, when it is set (else the SDK's default).
fn custom_ca_client() -> Result<Option<aws_smithy_runtime_api::client::http::SharedHttpClient>> {
    use aws_smithy_http_client::tls;
    let Some((path, pem)) = crate::tls::ca_bundle()? else {
        return Ok(None);
    };
    let context = tls::TlsContext::builder()
        .with_trust_store(tls::TrustStore::default().with_pem_certificate(pem))
        .build()
        .map_err(|e| {
            Error::Usage(format!(
                "AWS_CA_BUNDLE ({}) cannot be used: {}",
                path.display(),
                crate::error::chain(&e)
            ))
        })?;
    Ok(Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    ))
}

/// Ask the chain for credentials once, bounded (it can sit on the instance metadata service).
async fn check_credentials(config: &aws_config::SdkConfig, profile: Option<&str>) -> Result<()> {
    let Some(provider) = config.credentials_provider() else {
        return Err(no_aws_login());
    };
    match tokio::time::timeout(Duration::from_secs(20), provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            // With -v: where the SDK looked (the message says only what to do).
            tracing::info!("the AWS credential chain failed: {}", crate::error::chain(&e));
            Err(credentials_error(profile, &crate::error::chain(&e)))
        }
        Err(_) => Err(Error::AwsCredentials {
            problem: "looking for AWS credentials timed out after 20 s (the last place tried is the EC2 instance metadata service)".into(),
            hint: Some("set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; off EC2, AWS_EC2_METADATA_DISABLED=true skips the metadata service".into()),
        }),
    }
}

/// The credential chain's failure, as the real cause and its fix. `chain`: the error's
/// messages, outermost first.
pub(crate) fn credentials_error(profile: Option<&str>, chain: &str) -> Error {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let profile_given = profile.is_some();
    let profile = profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let home = env("HOME").unwrap_or_else(|| "~".into());
    let config_file = env("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
    let credentials_file =
        env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| format!("{home}/.aws/credentials"));
    let explicit = profile_given || env("AWS_PROFILE").is_some();
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let unknown_profile =
        explicit && !profile_defined(&profile, &read(&config_file), &read(&credentials_file));
    classify_credentials_error(
        &profile,
        unknown_profile,
        chain,
        &config_file,
        &credentials_file,
    )
}

/// The pure part of [`credentials_error`].
fn classify_credentials_error(
    profile: &str,
    unknown_profile: bool,
    chain: &str,
    config_file: &str,
    credentials_file: &str,
) -> Error {
    let lower = chain.to_ascii_lowercase();
    if unknown_profile || lower.contains("was not defined") {
        Error::AwsCredentials {
            problem: format!(
                "the AWS profile '{profile}' could not be found in {config_file} or {credentials_file}"
            ),
            hint: Some(
                "check --profile / AWS_PROFILE (`aws configure list-profiles` lists the profiles), or create it with `aws configure --profile NAME` or `aws configure sso`".into(),
            ),
        }
    } else if lower.contains("sso") {
        Error::AwsCredentials {
            problem: format!(
                "the AWS SSO session of profile '{profile}' has expired or was never started ({chain})"
            ),
            hint: Some(format!("run `aws sso login --profile {profile}` and try again")),
        }
    } else if lower.contains("no providers in chain")
        || lower.contains("no credentials found in chain")
    {
        // Short and plain: where the SDK looked is for -v (the debug line before this).
        no_aws_login()
    } else {
        Error::AwsCredentials {
            problem: format!("the AWS credentials of profile '{profile}' could not be loaded: {chain}"),
            hint: Some(format!(
                "check the profile's entries in {config_file} and {credentials_file} (`aws sts get-caller-identity --profile {profile}` shows the same problem)"
            )),
        }
    }
}

/// No AWS login anywhere: what a person does next, by who manages AWS (the provider chain's
/// places are logged with -v).
pub(crate) fn no_aws_login() -> Error {
    Error::AwsCredentials {
        problem: "no AWS login was found".into(),
        hint: Some(NO_AWS_LOGIN_HINT.into()),
    }
}

const NO_AWS_LOGIN_HINT: &str = "if you manage AWS, run `aws configure sso`, then pass --profile NAME;\nif a colleague does, they run `buzz-kinesis setup --aws-only` and hand you its Buzz half";

/// Whether `profile` has a section in the AWS config file (`[profile NAME]`, `[default]`) or
/// the credentials file (`[NAME]`).
fn profile_defined(profile: &str, config: &str, credentials: &str) -> bool {
    let sections = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']').map(str::trim))
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    sections(config)
        .iter()
        .any(|s| *s == format!("profile {profile}") || (profile == "default" && s == "default"))
        || sections(credentials).iter().any(|s| s == profile)
}

/// An SDK error as the user should see it: the service's code and message. (`SdkError`'s
/// `Display` prints only "service error".)
pub(crate) fn aws_error<E>(service: &'static str, operation: &'static str, err: E) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (code, message) = match err.code() {
        Some(code) => (
            code.to_owned(),
            err.message().unwrap_or_default().to_owned(),
        ),
        None => {
            tracing::debug!("AWS {service} {operation}: {err:?}");
            let chain = crate::error::chain(&err);
            if is_timeout(&chain) {
                return timeout_error(service, operation, &chain);
            }
            ("RequestFailed".to_owned(), chain)
        }
    };
    let hint = match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => Some(format!(
            "the AWS identity you run as needs {service}:{operation}; see docs/permissions.md"
        )),
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException" => {
            Some(match std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()) {
                Some(p) => format!("your AWS credentials are expired or invalid: refresh them (for an SSO profile: `aws sso login --profile {p}`) and run again"),
                None => "your AWS credentials are expired or invalid: refresh them (e.g. `aws sso login --profile NAME`) and run again".to_owned(),
            })
        }
        _ => None,
    };
    Error::Aws {
        service,
        operation,
        code,
        message,
        hint,
    }
}

/// Whether an SDK failure without a service answer is one of our ceilings (the SDK's words:
/// "request has timed out", "operation attempt timeout ...", an HTTP read "timeout").
fn is_timeout(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    lower.contains("timed out") || lower.contains("timeout")
}

/// No answer in time: what we waited for, how long, and what to look at.
fn timeout_error(service: &'static str, operation: &'static str, chain: &str) -> Error {
    let t = Timeouts::from_env().unwrap_or(Timeouts {
        attempt: Timeouts::DEFAULT_ATTEMPT,
    });
    tracing::debug!("AWS {service} {operation} timed out: {chain}");
    Error::Timeout {
        what: format!(
            "AWS {service} {operation} to answer ({} attempts of at most {} s each; the connection was made, but no answer came)",
            ATTEMPTS,
            t.attempt.as_secs()
        ),
        seconds: t.operation().as_secs(),
        hint: Some(format!(
            "check the network path to AWS (a proxy, a firewall, AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_{}); on a slow link, {ATTEMPT_TIMEOUT_ENV}=SECONDS allows each attempt longer",
            service.to_ascii_uppercase()
        )),
    }
}

impl Created {
    /// A create that met the resource made meanwhile is refused: a re-run reads it and plans
    /// anew (it may not be ours, and only the plan may decide to use it).
    pub(crate) fn made(self, what: &str, name: &str) -> Result<()> {
        match self {
            Created::Made => Ok(()),
            Created::AlreadyExisted => Err(crate::error::Error::Refused(format!(
                "the {what} {name} appeared while setup ran (made by someone else, or by an earlier attempt): run setup again, which reads it and plans from what is there"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_timeouts_parse_within_their_range() {
        assert_eq!(
            Timeouts::parse("5").unwrap().attempt,
            Duration::from_secs(5)
        );
        assert_eq!(
            Timeouts::parse("5").unwrap().operation(),
            Duration::from_secs(16)
        );
        for bad in ["0", "601", "x", "-1"] {
            assert!(Timeouts::parse(bad).is_err(), "{bad}");
        }
        assert!(is_timeout("request has timed out: operation timeout (all attempts including retries) occurred after 3s"));
        assert!(!is_timeout("dispatch failure: connection refused"));
    }

    #[test]
    fn the_app_name_carries_the_version() {
        assert_eq!(
            app_name().to_string(),
            format!("buzz-kinesis-{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn profiles_are_found_in_either_file() {
        let config =
            "[default]\nregion = x\n[profile  district ]\nsso_session = s\n[sso-session s]\n";
        let credentials = "[keys]\naws_access_key_id = a\n";
        assert!(profile_defined("default", config, ""));
        assert!(profile_defined("district", config, ""));
        assert!(profile_defined("keys", "", credentials));
        assert!(!profile_defined("s", config, credentials));
        assert!(!profile_defined("nope", config, credentials));
    }

    #[test]
    fn credential_failures_name_their_cause_and_fix() {
        let classify = |unknown, chain| {
            let e = classify_credentials_error("district", unknown, chain, "/c", "/k");
            format!("{} / {}", e.message(), e.hint().unwrap_or_default())
        };
        let sso = classify(false, "the SSO token has expired and cannot be refreshed");
        assert!(sso.contains("aws sso login --profile district"), "{sso}");
        let unknown = classify(true, "no providers in chain provided credentials");
        assert!(
            unknown.contains("'district' could not be found in /c or /k"),
            "{unknown}"
        );
        // Nothing anywhere: the two ways on, not the chain's places (those are for -v).
        let none = classify(false, "no providers in chain provided credentials");
        let found = classify(false, "the credential provider was not enabled: no credentials found in chain. Attempted: ...");
        assert_eq!(found, none);
        assert_eq!(
            none,
            "no AWS login was found / if you manage AWS, run `aws configure sso`, then pass --profile NAME;\nif a colleague does, they run `buzz-kinesis setup --aws-only` and hand you its Buzz half"
        );
    }
}
