//! One module per subcommand, and the first steps they share: connect to AWS and log in to
//! Buzz (at once), then read the stream, the role and the domain's configuration (at once).

pub mod check;
pub mod policy;
pub mod setup;
pub mod tail;
pub mod teardown;

use serde_json::{Map, Value};

use crate::aws::sts::Identity;
use crate::aws::{AskRegion, Aws};
use crate::buzz::{BuzzClient, Session};
use crate::calls::CallLog;
use crate::error::Result;
use crate::names::{DomainId, Region};
use crate::spec::BuzzSpec;
use crate::state::{RoleState, StreamState};
use crate::ui::{self, Progress};

/// AWS and Buzz, ready for calls.
pub struct Connected {
    pub aws: Aws,
    pub buzz: BuzzClient,
    pub session: Session,
}

/// Connect to AWS and log in to Buzz. Concurrently, unless a person may be asked questions
/// (region, MFA code): then one after the other, so prompts never interleave.
pub async fn connect(
    buzz: BuzzSpec,
    profile: Option<&str>,
    region: Option<&Region>,
    calls: &CallLog,
    interactive: bool,
) -> Result<Connected> {
    let client = BuzzClient::new(buzz.url, buzz.credentials, buzz.otp, calls.clone())?;
    let (aws, session) = if interactive {
        let ask_region: AskRegion = ui::wizard::choose_region;
        let aws = Aws::connect(profile, region, calls.clone(), Some(ask_region)).await?;
        (aws, client.login().await?)
    } else {
        tokio::try_join!(
            Aws::connect(profile, region, calls.clone(), None),
            client.login()
        )?
    };
    Ok(Connected {
        aws,
        buzz: client,
        session,
    })
}

/// What every command starts from.
pub struct Current {
    pub identity: Identity,
    pub config: Map<String, Value>,
    pub stream: Option<StreamState>,
    pub role: Option<RoleState>,
}

/// Read who we are, the domain's Buzz configuration, the stream and the role, all at once.
pub async fn read_current(
    c: &Connected,
    domain: &DomainId,
    stream: &str,
    role: &str,
    progress: &Progress,
) -> Result<Current> {
    if !c.session.username.is_empty() {
        progress.step(
            "buzz",
            &format!(
                "logged in to {} as {}/{}",
                c.buzz.base(),
                c.session.userspace,
                c.session.username
            ),
        );
    }
    let (identity, config, stream, role) = tokio::try_join!(
        c.aws.caller_identity(),
        c.buzz.get_config(domain),
        c.aws.describe_stream(stream),
        c.aws.get_role(role),
    )?;
    progress.step(
        "aws",
        &format!(
            "account {} as {} in {}",
            identity.account, identity.arn, c.aws.region
        ),
    );
    Ok(Current {
        identity,
        config,
        stream,
        role,
    })
}
