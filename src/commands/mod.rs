//! One module per subcommand, and the first steps they share: connect to AWS and log in to
//! Buzz (at once), then read the stream, the role and the domain's configuration (at once).

pub mod check;
pub mod identity;
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
use crate::handover::shell_quote;
use crate::names::{DomainId, Region};
use crate::spec::BuzzSpec;
use crate::state::Half;
use crate::state::{RoleState, StreamState};
use crate::ui::{self, Progress};

/// AWS and (unless `--aws-only`) Buzz, ready for calls.
pub struct Connected {
    pub aws: Aws,
    /// `None` when the run does not talk to Buzz: no login read, none sent.
    pub buzz: Option<(BuzzClient, Session)>,
}

/// Log in to Buzz alone (`--buzz-only`, and the Buzz side of [`connect`]).
pub async fn login(buzz: BuzzSpec, calls: &CallLog) -> Result<(BuzzClient, Session)> {
    let client = BuzzClient::new(buzz.url, buzz.credentials, buzz.otp, calls.clone())?;
    let session = client.login().await?;
    Ok((client, session))
}

/// Say who we are logged in to Buzz as (a bearer token has no name to show).
pub fn logged_in(client: &BuzzClient, session: &Session, progress: &Progress) {
    if let Some(id) = &session.client_id {
        progress.step(
            "buzz",
            &format!(
                "signed in to {} as application identity {id}",
                client.base()
            ),
        );
    } else if !session.username.is_empty() {
        progress.step(
            "buzz",
            // Who Buzz says we are: its words.
            &format!(
                "logged in to {} as {}/{}",
                client.base(),
                crate::text::outside(&session.userspace),
                crate::text::outside(&session.username)
            ),
        );
    }
}

/// Connect to AWS and (with `buzz`) log in to Buzz. Concurrently, unless a person may be
/// asked questions (region, MFA code): then one after the other, so prompts never interleave.
pub async fn connect(
    buzz: Option<BuzzSpec>,
    profile: Option<&str>,
    region: Option<&Region>,
    calls: &CallLog,
    interactive: bool,
) -> Result<Connected> {
    let buzz_login = async {
        match buzz {
            Some(b) => login(b, calls).await.map(Some),
            None => Ok(None),
        }
    };
    let (aws, buzz) = if interactive {
        let ask_region: AskRegion = ui::wizard::choose_region;
        let aws = Aws::connect(profile, region, calls.clone(), Some(ask_region)).await?;
        (aws, buzz_login.await?)
    } else {
        tokio::try_join!(
            Aws::connect(profile, region, calls.clone(), None),
            buzz_login
        )?
    };
    Ok(Connected { aws, buzz })
}

/// What every command starts from.
pub struct Current {
    pub identity: Identity,
    /// The domain's configuration; `None` when the run does not talk to Buzz.
    pub config: Option<Map<String, Value>>,
    pub stream: Option<StreamState>,
    pub role: Option<RoleState>,
}

/// Read who we are, the domain's Buzz configuration (when connected to Buzz), the stream and
/// the role, all at once.
pub async fn read_current(
    c: &Connected,
    domain: Option<&DomainId>,
    stream: &str,
    role: &str,
    progress: &Progress,
) -> Result<Current> {
    let buzz = c.buzz.as_ref().zip(domain);
    if let Some(((client, session), _)) = buzz {
        logged_in(client, session, progress);
    }
    let config = async {
        match buzz {
            Some(((client, _), domain)) => client.get_config(domain).await.map(Some),
            None => Ok(None),
        }
    };
    let (identity, config, stream, role) = tokio::try_join!(
        c.aws.caller_identity(),
        config,
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

/// The command for the other half, `buzz-kinesis COMMAND --aws-only|--buzz-only ...`, with the
/// values this run knows (never a secret), for the rows and warnings that point at it.
pub fn other_half(
    command: &str,
    half: Half,
    values: &[(&str, &str)],
    domain: Option<&str>,
) -> String {
    let mut words = vec![
        "buzz-kinesis".to_owned(),
        command.to_owned(),
        half.flag().unwrap_or_default().to_owned(),
    ];
    for (flag, value) in values {
        words.push((*flag).to_owned());
        words.push(shell_quote(value));
    }
    if let Some(d) = domain {
        words.push("--domain".into());
        words.push(shell_quote(d));
    }
    words.join(" ")
}
