//! The AWS side: one adapter per service ([`kinesis`], [`iam`], [`sts`]), all built from the
//! standard credential chain (env vars, profiles, SSO, credential_process, web identity,
//! container and instance metadata) and the standard endpoint overrides (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`), which is how tests reach the local emulator.

pub mod cloudwatch;
pub mod iam;
pub mod kinesis;
pub mod sns;
pub mod sts;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_sts::config::ProvideCredentials;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::calls::CallLog;
use crate::error::{Error, Result};
use crate::names::Region;

/// Clients for the three services, sharing one configuration and one call log.
#[derive(Clone)]
pub struct Aws {
    pub kinesis: aws_sdk_kinesis::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub region: Region,
    pub calls: CallLog,
}

impl Aws {
    /// Load the configuration and make sure credentials and a region exist, so a missing
    /// login is one clear message instead of a failure deep inside the first call.
    /// With `interactive`, a missing region is asked for instead of being an error.
    pub async fn connect(
        profile: Option<&str>,
        region: Option<&Region>,
        calls: CallLog,
        interactive: bool,
    ) -> Result<Self> {
        let load = |region: Option<&Region>| {
            let mut loader = aws_config::defaults(BehaviorVersion::latest());
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
            if let Some(r) = region {
                loader = loader.region(aws_config::Region::new(r.as_str().to_owned()));
            }
            loader.load()
        };
        let mut config = load(region).await;
        if config.region().is_none() && interactive {
            let chosen = crate::ui::wizard::choose_region()?;
            config = load(Some(&chosen)).await;
        }
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| {
                Error::missing(
                    "an AWS region",
                    "--region",
                    Some("AWS_REGION"),
                    " (or set region in your AWS profile)",
                )
            })
            .and_then(|r| Region::parse("--region", &r))?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| Error::AwsCredentials("no credentials provider is configured".into()))?;
        // Without this bound the chain can sit on the instance metadata service for a while.
        match tokio::time::timeout(Duration::from_secs(20), provider.provide_credentials()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(Error::AwsCredentials(
                    aws_sdk_sts::error::DisplayErrorContext(e).to_string(),
                ))
            }
            Err(_) => {
                return Err(Error::AwsCredentials(
                    "looking for credentials timed out after 20 s".into(),
                ))
            }
        }
        Ok(Self {
            kinesis: aws_sdk_kinesis::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            region,
            calls,
        })
    }
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
        None => (
            "RequestFailed".to_owned(),
            aws_sdk_sts::error::DisplayErrorContext(&err).to_string(),
        ),
    };
    let hint = match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => Some(format!(
            "the AWS identity you run as needs {service}:{operation}; see the README's \"Permissions setup needs\""
        )),
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException" => {
            Some("your AWS credentials are expired or invalid: refresh them (e.g. `aws sso login`) and run again".to_owned())
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
