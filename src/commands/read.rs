//! The read step setup, check and teardown share: connect to AWS and log in to Buzz (at
//! once), then read what exists (at once), and work out what is desired from the spec and who
//! we are ([`desired`], pure). No question is asked here: the commands ask before or between
//! the steps (the region question reaches [`connect`] as a callback).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::aws::sts::Identity;
use crate::aws::{AskRegion, Aws};
use crate::buzz::{wire, BuzzClient, Session};
use crate::calls::CallLog;
use crate::checks::SubtreeObserved;
use crate::error::{Error, Result};
use crate::fanout;
use crate::handover::Handover;
use crate::iam;
use crate::names::{DomainId, EventFilter, Region, Title};
use crate::plan::tree::{Relation, TreeConfig, TreeObserved};
use crate::plan::{
    Desired, DesiredAddOns, DesiredAlarm, DesiredArchive, DesiredAws, DesiredBuzz, DesiredRole,
    DesiredStream, Observed, Widen,
};
use crate::report::setup::SetupView;
use crate::report::AwsView;
use crate::spec::{ApplyOptions, AwsMade, AwsPart, AwsSpec, BuzzHandover, BuzzLogin, Domains};
use crate::state::{arn, Halves, ResolvedKey, RoleState, StreamState};
use crate::ui::Progress;

/// AWS and (unless `--aws-only`) Buzz, ready for calls.
pub(crate) struct Connected {
    pub aws: Aws,
    /// `None` when the run does not talk to Buzz: no login read, none sent.
    pub buzz: Option<LoggedIn>,
}

/// A Buzz session, and the domains and title of our target in them.
pub(crate) struct LoggedIn {
    pub client: BuzzClient,
    pub session: Session,
    pub domains: Domains,
    pub title: Title,
}

/// Log in to Buzz (`--buzz-only` alone, else the Buzz side of [`connect`]). The login's
/// secrets go to the client, which keeps them to renew an expired session.
pub(crate) async fn login(buzz: BuzzLogin, calls: &CallLog) -> Result<LoggedIn> {
    let client = BuzzClient::new(buzz.url, buzz.credentials, buzz.otp, calls.clone())?;
    let session = client.login().await?;
    Ok(LoggedIn {
        client,
        session,
        domains: buzz.domains,
        title: buzz.title,
    })
}

/// Say who we are logged in to Buzz as (a bearer token has no name to show).
pub(crate) fn logged_in(client: &BuzzClient, session: &Session, progress: &Progress) {
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
/// asked questions (`ask_region`, an MFA code): then one after the other, so prompts never
/// interleave. A region outside the `aws` partition is refused here, before anything is read.
pub(crate) async fn connect(
    buzz: Option<BuzzLogin>,
    aws: &AwsSpec,
    calls: &CallLog,
    ask_region: Option<AskRegion>,
) -> Result<Connected> {
    let buzz_login = async {
        match buzz {
            Some(b) => login(b, calls).await.map(Some),
            None => Ok(None),
        }
    };
    let (profile, region) = (aws.profile.as_deref(), aws.region.as_ref());
    let aws = async {
        let aws = Aws::connect(profile, region, calls.clone(), ask_region).await?;
        refuse_other_partition(&aws.region)?;
        Ok::<_, Error>(aws)
    };
    let (aws, buzz) = if ask_region.is_some() {
        let aws = aws.await?;
        (aws, buzz_login.await?)
    } else {
        tokio::try_join!(aws, buzz_login)?
    };
    Ok(Connected { aws, buzz })
}

/// What every command starts from.
pub(crate) struct Current {
    pub identity: Identity,
    /// The domain's configuration; `None` when the run does not talk to Buzz.
    pub config: Option<Map<String, Value>>,
    pub stream: Option<StreamState>,
    pub role: Option<RoleState>,
}

/// Read who we are, the domain's Buzz configuration (when connected to Buzz), the stream and
/// the role, all at once.
pub(crate) async fn read_current(
    c: &Connected,
    domain: Option<&DomainId>,
    stream: &str,
    role: &str,
    progress: &Progress,
) -> Result<Current> {
    let buzz = c.buzz.as_ref().zip(domain);
    if let Some((b, _)) = buzz {
        logged_in(&b.client, &b.session, progress);
    }
    let config = async {
        match buzz {
            Some((b, domain)) => b.client.get_config(domain).await.map(Some),
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

/// Agilix's account is in the `aws` partition, and a role trusts only accounts of its own
/// partition: a stream and role in aws-cn or aws-us-gov could never be written to by Buzz.
/// Refused before anything is read or made.
pub(crate) fn refuse_other_partition(region: &Region) -> Result<()> {
    match region.partition() {
        "aws" => Ok(()),
        other => Err(Error::Refused(format!(
            "the region {region} is in the AWS partition {other}, but Agilix's account is in the aws partition, and an IAM role can trust only accounts of its own partition: Buzz could never assume the role or write to the stream. \
             Choose a region of the aws partition (--region, e.g. us-east-1). Nothing was changed"
        ))),
    }
}

/// Everything setup and check read before deciding: the clients, who we are, what is desired
/// and what exists.
pub(crate) struct Ready {
    pub aws: Aws,
    /// `None` with `--aws-only`.
    pub buzz: Option<BuzzClient>,
    pub buzz_url: String,
    pub identity: Identity,
    pub desired: Desired,
    pub observed: Observed,
    pub half: Halves,
    /// With `--aws-only`: the Buzz half, to hand over.
    pub handover: Option<Handover>,
}

impl Ready {
    /// What the renderers show: plain data, no client.
    pub(crate) fn view(&self) -> SetupView<'_> {
        SetupView {
            aws: Some(self.aws_view()),
            buzz_url: self.buzz_url.clone(),
            desired: &self.desired,
            half: self.half,
            handover: self.handover.as_ref(),
            domains: Vec::new(),
            reach: vec!["--region".into(), self.aws.region.to_string()],
        }
    }

    /// Where the calls went, as the JSON's `aws` object shows it.
    pub(crate) fn aws_view(&self) -> AwsView {
        AwsView {
            account: self.identity.account.to_string(),
            principal: Some(self.identity.arn.clone()),
            region: self.aws.region.to_string(),
        }
    }
}

/// Where the resources live once AWS (or the AWS half's role ARN) has said so.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located<'a> {
    pub partition: &'static str,
    pub region: &'a Region,
    pub account: &'a str,
}

/// What is known of existing resources that the desired state names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Existing<'a> {
    /// An existing stream's ARN (AWS's word for it).
    pub stream_arn: Option<&'a str>,
    /// An existing role's ARN: it may live under a path, which is part of it.
    pub role_arn: Option<&'a str>,
    /// The busiest minute an existing stream carried, with its window.
    pub measured: Option<(crate::metrics::Peak, String)>,
    /// The stream's key (or the one this run starts), resolved: the grants name it.
    pub key: Option<ResolvedKey>,
}

/// The AWS half's spec (and, when the run logged in to Buzz, its login) + where we are ->
/// the desired state. Pure: the same inputs give the same state.
pub(crate) fn desired(
    aws: &AwsPart,
    buzz: Option<(&DomainId, &Title)>,
    events: &[EventFilter],
    options: &ApplyOptions,
    at: Located<'_>,
    existing: Existing<'_>,
) -> Desired {
    let mut d = desired_aws(aws, events, options, at, existing);
    let also = d
        .aws
        .as_ref()
        .map(|a| a.add_ons.buzz_targets(&d.role_arn, at.region.as_str()))
        .unwrap_or_default();
    d.buzz = buzz.map(|(domain, title)| DesiredBuzz {
        domain: domain.clone(),
        target: wire::KinesisTarget {
            title: title.to_string(),
            enabled: true,
            stream: d.stream.to_string(),
            role_arn: d.role_arn.clone(),
            region: at.region.to_string(),
            filters: events.to_vec(),
        },
        also,
        save: options.enable,
    });
    d
}

/// `--buzz-only`: the stream and the role are named from the role's ARN (its account and
/// partition) and the region the AWS half gave, without asking AWS; nothing of AWS is desired.
pub(crate) fn desired_buzz_only(
    buzz: &BuzzLogin,
    made: &AwsMade,
    events: &[EventFilter],
    options: &ApplyOptions,
) -> Desired {
    let stream_arn = arn::stream(
        made.role_arn.partition(),
        &made.region,
        made.role_arn.account(),
        &made.stream,
    );
    Desired {
        stream: made.stream.clone(),
        stream_arn,
        role: made.role.clone(),
        role_arn: made.role_arn.to_string(),
        aws: None,
        buzz: Some(DesiredBuzz {
            domain: buzz.domains.first().clone(),
            target: crate::spec::SetupSpec::made_target(made, &buzz.title, events),
            // The add-ons are the AWS half's: this half knows only what it made for Buzz.
            also: Vec::new(),
            save: options.enable,
        }),
    }
}

/// The AWS half's desired state, named and located.
fn desired_aws(
    a: &AwsPart,
    events: &[EventFilter],
    options: &ApplyOptions,
    at: Located<'_>,
    existing: Existing<'_>,
) -> Desired {
    let stream_arn = existing.stream_arn.map_or_else(
        || arn::stream(at.partition, at.region, at.account, &a.names.stream),
        str::to_owned,
    );
    let role_arn = existing.role_arn.map_or_else(
        || arn::role(at.partition, at.account, &a.names.role),
        str::to_owned,
    );
    let w = &a.stream;
    // What exists decides the grants: the stream's own key, by ARN, whatever the flags say.
    let granted = existing.key.as_ref().and_then(ResolvedKey::grant_arn);
    let add_ons = DesiredAddOns {
        alarm: desired_alarm(a, at),
        archive: desired_archive(a, events, options, at, &stream_arn, granted),
    };
    // Buzz assumes the role for every target: an add-on it delivers to is granted beside the
    // stream (what the role planner guards is read from this document too).
    let policy = iam::write_policy_with(&stream_arn, granted, &add_ons.writer_statements());
    Desired {
        stream: a.names.stream.clone(),
        role: a.names.role.clone(),
        aws: Some(DesiredAws {
            stream: DesiredStream {
                capacity: w.capacity,
                capacity_given: w.capacity_given,
                allow_capacity_decrease: options.allow_capacity_decrease,
                retention: w.retention,
                allow_retention_decrease: options.allow_retention_decrease,
                encryption: w.encryption.clone(),
                key: existing.key,
                tags: w.tags.clone(),
                load: w.load,
                measured: existing.measured,
            },
            role: DesiredRole {
                trust: iam::trust_policy(&a.trustee.agilix_account, a.trustee.external_id.as_ref()),
                policy,
                tags: w.tags.clone(),
                adopt: options.adopt,
                widen: options.widen,
            },
            add_ons,
        }),
        stream_arn,
        role_arn,
        buzz: None,
    }
}

/// The archive `--archive-bucket` asks for: its names derive from the stream's, its ARNs from
/// where we are.
fn desired_archive(
    a: &AwsPart,
    events: &[EventFilter],
    options: &ApplyOptions,
    at: Located<'_>,
    stream_arn: &str,
    key_arn: Option<&str>,
) -> Option<DesiredArchive> {
    let want = a.archive.as_ref()?;
    let model = crate::archive::Archive::new(
        want.bucket.clone(),
        want.days,
        a.names.stream.as_str(),
        key_arn.map(crate::names::KmsKey::from_aws),
        events,
    )
    .with_buffer(want.buffer)
    .since(&crate::archive::today());
    let (p, region, account) = (at.partition, at.region, at.account);
    let log_stream_arn = format!(
        "arn:{p}:logs:{region}:{account}:log-group:{}:log-stream:{}",
        model.log_group(),
        crate::archive::LOG_STREAM
    );
    let policy = model.permission(&crate::archive::ArchiveRefs {
        account,
        stream_arn,
        log_stream_arn: &log_stream_arn,
        kinesis_service: &format!("kinesis.{region}.amazonaws.com"),
        s3_service: &format!("s3.{region}.amazonaws.com"),
    });
    Some(DesiredArchive {
        role_arn: arn::role(p, account, model.role()),
        trust: crate::archive::Archive::trust(account),
        previous_trusts: crate::archive::Archive::previous_trusts(account),
        policy,
        database_arn: arn::glue_database(p, region, account, model.database()),
        stream_arn: stream_arn.to_owned(),
        account: account.to_owned(),
        adopt: options.adopt,
        views: want.views,
        widen: options.widen,
        model,
    })
}

/// The alarm `--alarm-email` / `--alarm-topic` ask for, with its deterministic names.
fn desired_alarm(a: &AwsPart, at: Located<'_>) -> Option<DesiredAlarm> {
    if !a.alarm.wanted() {
        return None;
    }
    let stream = a.names.stream.as_str();
    let own = crate::state::alarm::topic_name(stream);
    let (topic_arn, own_topic) = match &a.alarm.topic {
        Some(t) => (t.as_str().to_owned(), None),
        None => (
            arn::topic(at.partition, at.region, at.account, &own),
            Some(own),
        ),
    };
    Some(DesiredAlarm {
        name: crate::state::alarm::name(stream),
        topic_arn,
        own_topic,
        emails: a.alarm.emails.clone(),
    })
}

/// Read what exists for the AWS half (and, when logged in, the domain's Buzz configuration),
/// and work out the desired state. Makes no mutating call.
/// `handover`: with `--aws-only`, what the Buzz half is told.
pub(crate) async fn read(
    connected: Connected,
    a: &AwsPart,
    handover: Option<&BuzzHandover>,
    events: &[EventFilter],
    options: &ApplyOptions,
    progress: &Progress,
    peak: Peak,
) -> Result<Ready> {
    let aws = &connected.aws;
    // The first domain's configuration comes with the rest; the others' in their pipelines.
    let domain = connected.buzz.as_ref().map(|b| b.domains.first().clone());
    let Current {
        identity,
        config,
        stream,
        role,
    } = read_current(
        &connected,
        domain.as_ref(),
        a.names.stream.as_str(),
        a.names.role.as_str(),
        progress,
    )
    .await?;
    // `--adopt` hands the role to Agilix's account: read everything it can do first.
    let role_grants = aws
        .adopted_grants(a.names.role.as_str(), role.as_ref(), options.adopt)
        .await?;
    let measured = match &stream {
        Some(_) if peak == Peak::Measure => {
            measured_peak(aws, a.names.stream.as_str(), progress).await
        }
        _ => None,
    };
    let at = Located {
        partition: aws.region.partition(),
        region: &aws.region,
        account: identity.account.as_str(),
    };
    // Before anything is planned: a key the caller may not describe stops the run here.
    let key = match crate::parts::stream::key_to_resolve(&a.stream.encryption, stream.as_ref()) {
        Some(named) => Some(aws.describe_key(&named).await?),
        None => None,
    };
    let existing = Existing {
        stream_arn: stream.as_ref().map(|s| s.arn.as_str()),
        role_arn: role.as_ref().map(|r| r.arn.as_str()),
        measured,
        key,
    };
    let buzz = connected
        .buzz
        .as_ref()
        .map(|b| (b.domains.first(), &b.title));
    let desired = desired(a, buzz, events, options, at, existing);
    // Each add-on asked for, at once, through its adapter.
    let add_ons = match &desired.aws {
        Some(x) => crate::parts::add_ons::read_add_ons(aws, &x.add_ons).await?,
        None => Default::default(),
    };
    let handover = handover.map(|h| Handover {
        role_arn: desired.role_arn.clone(),
        stream: desired.stream.to_string(),
        region: aws.region.to_string(),
        domain: h.domain.as_ref().map(ToString::to_string),
        title: h.title.to_string(),
        events: events.to_vec(),
        buzz_url: Some(h.url.to_string()),
        buzz_user: h.user.as_ref().map(ToString::to_string),
    });
    let (buzz_url, half) = buzz_side(connected.buzz.as_ref(), handover.as_ref());
    let Connected { aws, buzz } = connected;
    Ok(Ready {
        aws,
        buzz: buzz.map(|b| b.client),
        buzz_url,
        identity,
        desired,
        observed: Observed {
            stream,
            role,
            role_grants,
            add_ons,
            buzz: config,
            #[cfg(test)]
            tree: None,
        },
        half,
        handover,
    })
}

/// Whether the read step also measures an existing stream's busiest minute (one
/// GetMetricData call), for a plan a person reads: a dry run, the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peak {
    Measure,
    Skip,
}

/// Beside a reused stream's capacity, what it carried: one GetMetricData call. Without the
/// permission the plan goes on, saying what it could not show.
async fn measured_peak(
    aws: &Aws,
    stream: &str,
    progress: &Progress,
) -> Option<(crate::metrics::Peak, String)> {
    let window = crate::names::Since::DEFAULT;
    match aws
        .stream_metrics(stream, Duration::from_secs(window.secs()))
        .await
    {
        Ok(w) => crate::metrics::peak(&w).map(|p| (p, window.to_string())),
        Err(e) => {
            progress.note(&format!(
                "the stream's CloudWatch metrics could not be read ({}), so the plan does not show its measured peak",
                e.code().unwrap_or("error")
            ));
            None
        }
    }
}

/// Where Buzz is (the session's, else the handover's URL) and which halves the run does.
fn buzz_side(buzz: Option<&LoggedIn>, handover: Option<&Handover>) -> (String, Halves) {
    match (buzz, handover) {
        (Some(b), _) => (b.client.base().to_string(), Halves::Both),
        (None, Some(h)) => (h.buzz_url.clone().unwrap_or_default(), Halves::AwsOnly),
        (None, None) => (String::new(), Halves::AwsOnly),
    }
}

/// The configured domain's place in Buzz's tree, as far as the login may read it.
pub(crate) struct DomainTree {
    /// The domain's record (`None`: `getdomain2` was refused).
    pub own: Option<wire::DomainRecord>,
    pub subtree: SubtreeObserved,
    /// The ancestors' and the descendants' configurations.
    pub observed: TreeObserved,
}

/// Read the configured domain's tree: its record (`getdomain2`: its numeric id, even for a
/// `//userspace` domain) and its descendants (`listdomains`, paged) at once, then its
/// ancestors (`getdomainparentlist`), then each ancestor's and each descendant's configuration
/// (`descendants`: also theirs), at most [`fanout::BUZZ_IN_FLIGHT`] requests in flight. Buzz
/// refusing a read (a login that may not list domains or read an ancestor: `AccessDenied`) is
/// not an error: it is recorded, and check and setup say what they could not see. An answer in
/// a shape not understood stops the command.
pub(crate) async fn read_tree(
    client: &BuzzClient,
    domain: &DomainId,
    descendants: bool,
) -> Result<DomainTree> {
    let (own, listed) = tokio::join!(client.get_domain(domain), client.list_subtree(domain));
    let own = refused_as_none(own)?;
    let shown = own
        .as_ref()
        .map_or_else(|| domain.to_string(), |d| d.id.clone());
    let mut unlisted = Vec::new();
    let subtree = match listed {
        Ok((mut list, cut)) => {
            list.retain(|d| d.id != shown);
            SubtreeObserved::Listed {
                domain: shown.clone(),
                descendants: list,
                cut,
            }
        }
        Err(Error::Buzz { code, message, .. }) => {
            unlisted.push((
                format!("the descendants of domain {shown}"),
                code.clone(),
                message.clone(),
            ));
            SubtreeObserved::Denied {
                domain: shown.clone(),
                code,
                message,
            }
        }
        Err(e) => return Err(e),
    };
    let me = own.clone().unwrap_or_else(|| wire::DomainRecord {
        id: shown.clone(),
        name: String::new(),
        userspace: String::new(),
        parent_id: None,
    });
    let ancestors = match client.parent_list(domain, &me).await {
        Ok(list) => list,
        Err(Error::Buzz { code, message, .. }) => {
            unlisted.push((format!("the ancestors of domain {shown}"), code, message));
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    let mut others: Vec<(wire::DomainRecord, Relation)> = ancestors
        .into_iter()
        .map(|d| (d, Relation::Ancestor))
        .collect();
    if descendants {
        if let SubtreeObserved::Listed { descendants, .. } = &subtree {
            others.extend(
                descendants
                    .iter()
                    .cloned()
                    .map(|d| (d, Relation::Descendant)),
            );
        }
    }
    let reads: Vec<_> = others
        .iter()
        .map(|(d, _)| async move {
            let id = DomainId::parse("--domain", &d.id)?;
            client.get_config(&id).await
        })
        .collect();
    let answers = fanout::bounded(reads, fanout::BUZZ_IN_FLIGHT).await;
    let mut configs = Vec::with_capacity(answers.len());
    for ((domain, relation), answer) in others.into_iter().zip(answers) {
        let config = match answer {
            Ok(c) => Ok(c),
            Err(Error::Buzz { code, message, .. }) => Err((code, message)),
            Err(e) => return Err(e),
        };
        configs.push(TreeConfig {
            domain,
            relation,
            config,
        });
    }
    Ok(DomainTree {
        own: own.clone(),
        subtree,
        observed: TreeObserved { configs, unlisted },
    })
}

/// A Buzz refusal as `None`; anything else stops the command.
fn refused_as_none<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::Buzz { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What check compares against: check changes nothing, so it adopts, widens and saves nothing.
pub(crate) const CHECK_ONLY: ApplyOptions = ApplyOptions {
    allow_retention_decrease: false,
    allow_capacity_decrease: false,
    adopt: false,
    widen: Widen {
        remove_external_id: false,
        replace_trust: false,
        adopt_wider_role: false,
        raise_max_session: false,
    },
    enable: true,
    propagation_timeout: Duration::from_secs(0),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::raw::Raw;
    use crate::spec::setup::tests::complete;
    use crate::spec::{Parts, SetupSpec};

    fn spec(raw: Raw) -> SetupSpec {
        SetupSpec::build(&raw).unwrap()
    }

    fn located(region: &Region) -> Located<'_> {
        Located {
            partition: "aws",
            region,
            account: "123456789012",
        }
    }

    #[test]
    fn the_desired_state_follows_the_spec_and_where_we_are() {
        let region = Region::parse("--region", "eu-west-1").unwrap();
        let raw = Raw {
            kms_key: Some("arn:aws:kms:eu-west-1:123456789012:key/abcd".into()),
            alarm_emails: vec!["ops@example.edu".into()],
            ..complete()
        };
        let s = spec(raw);
        let (Parts::Both { aws, buzz }, events, options) = (&s.parts, &s.events, &s.options) else {
            panic!("both halves");
        };
        // The read step resolved the key --kms-key names for the new stream.
        let resolved = Existing {
            key: Some(ResolvedKey {
                named: "arn:aws:kms:eu-west-1:123456789012:key/abcd".into(),
                arn: Some("arn:aws:kms:eu-west-1:123456789012:key/abcd".into()),
                aws_managed: false,
            }),
            ..Existing::default()
        };
        let d = desired(
            aws,
            Some((buzz.domains.first(), &buzz.title)),
            events,
            options,
            located(&region),
            resolved,
        );
        assert_eq!(
            d.stream_arn,
            "arn:aws:kinesis:eu-west-1:123456789012:stream/buzz-events"
        );
        assert_eq!(
            d.role_arn,
            "arn:aws:iam::123456789012:role/BuzzKinesisWriter"
        );
        let want = d.aws.as_ref().unwrap();
        assert!(
            want.role.policy.to_string().contains("kms:GenerateDataKey"),
            "a customer-managed key is granted: {}",
            want.role.policy
        );
        let alarm = want.add_ons.alarm.as_ref().unwrap();
        assert_eq!(
            alarm.topic_arn,
            "arn:aws:sns:eu-west-1:123456789012:buzz-kinesis-buzz-events-alarms"
        );
        assert_eq!(
            alarm.own_topic.as_deref(),
            Some("buzz-kinesis-buzz-events-alarms")
        );
        let b = d.buzz.as_ref().unwrap();
        assert_eq!(b.target.role_arn, d.role_arn);
        assert_eq!(b.target.region, "eu-west-1");
        assert!(b.save);

        // What exists wins over what would be made: a role under a path keeps its ARN.
        let existing = Existing {
            role_arn: Some("arn:aws:iam::123456789012:role/team/BuzzKinesisWriter"),
            ..Existing::default()
        };
        let d = desired(aws, None, events, options, located(&region), existing);
        assert_eq!(
            d.role_arn,
            "arn:aws:iam::123456789012:role/team/BuzzKinesisWriter"
        );
        assert!(d.buzz.is_none(), "no Buzz login, nothing of Buzz desired");
    }

    #[test]
    fn the_roles_grants_follow_the_streams_key_not_the_flags() {
        const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/district";
        let region = Region::parse("--region", "eu-west-1").unwrap();
        // No --kms-key, an archive: the stream's own key decides both roles' grants.
        let s = spec(Raw {
            archive_bucket: Some("district-42-buzz".into()),
            ..complete()
        });
        let (Parts::Both { aws, .. }, events, options) = (&s.parts, &s.events, &s.options) else {
            panic!("both halves");
        };
        let existing = |key: Option<ResolvedKey>| Existing {
            stream_arn: Some("arn:aws:kinesis:eu-west-1:123456789012:stream/buzz-events"),
            key,
            ..Existing::default()
        };
        let district = ResolvedKey {
            named: "alias/district-data".into(),
            arn: Some(KEY.into()),
            aws_managed: false,
        };
        let d = desired(
            aws,
            None,
            events,
            options,
            located(&region),
            existing(Some(district.clone())),
        );
        let want = d.aws.as_ref().unwrap();
        assert_eq!(want.stream.key.as_ref(), Some(&district));
        let writer = want.role.policy.to_string();
        assert!(
            writer.contains("kms:GenerateDataKey") && writer.contains(KEY),
            "the writer may use the key by its ARN: {writer}"
        );
        assert!(!writer.contains("alias/"), "{writer}");
        let archive = want.add_ons.archive.as_ref().unwrap();
        assert_eq!(archive.model.key.as_ref().map(|k| k.as_str()), Some(KEY));
        let firehose = archive.policy.to_string();
        assert!(
            firehose.contains("kms:Decrypt") && firehose.contains(KEY),
            "{firehose}"
        );

        // The AWS-managed key, or none: no grant at all.
        for key in [ResolvedKey::known("alias/aws/kinesis"), None] {
            let d = desired(aws, None, events, options, located(&region), existing(key));
            let want = d.aws.as_ref().unwrap();
            assert!(!want.role.policy.to_string().contains("kms:"));
            let archive = want.add_ons.archive.as_ref().unwrap();
            assert!(archive.model.key.is_none());
            assert!(!archive.policy.to_string().contains("kms:"));
        }
    }

    #[test]
    fn the_buzz_half_names_the_stream_from_the_roles_arn_and_desires_nothing_of_aws() {
        let raw = Raw {
            half: crate::state::Halves::BuzzOnly,
            role_arn: Some("arn:aws:iam::111122223333:role/BuzzKinesisWriter".into()),
            region: Some("us-west-2".into()),
            no_enable: true,
            ..complete()
        };
        let s = spec(raw);
        let Parts::BuzzOnly { buzz, made } = &s.parts else {
            panic!("the Buzz half");
        };
        let d = desired_buzz_only(buzz, made, &s.events, &s.options);
        assert!(d.aws.is_none());
        assert_eq!(
            d.stream_arn,
            "arn:aws:kinesis:us-west-2:111122223333:stream/buzz-events"
        );
        assert_eq!(d.role.as_str(), "BuzzKinesisWriter");
        let b = d.buzz.unwrap();
        assert!(!b.save, "--no-enable: tested, not saved");
        assert_eq!(b.target.role_arn, made.role_arn.to_string());
    }
}
