//! `buzz-kinesis setup`: validate, read everything at once, plan, then converge the stream
//! chain and the role chain concurrently, then register with Buzz (test, then enable).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::aws::{Aws, Created};
use crate::buzz::answer::{self, SetFailure};
use crate::buzz::{wire, BuzzClient};
use crate::calls::CallLog;
use crate::cli::{Output, SetupArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::handover::Handover;
use crate::plan::{
    self, Action, Actual, AlarmAction, Blocked, BuzzAction, Desired, DesiredAlarm, DesiredBuzz,
    Plan, RoleAction, StreamAction,
};
use crate::policy;
use crate::report::plan::{describe, refusal};
use crate::report::setup::{render_plan, render_result, SetupView};
use crate::report::{self, Ask, AwsView};
use crate::spec::{self, BuzzHalfSpec, BuzzSide, SetupSpec};
use crate::state::{arn, Half, StreamStatus};
use crate::ui::{self, Progress};

/// Everything read before planning.
pub struct Observed {
    pub aws: Aws,
    /// `None` with `--aws-only`.
    pub buzz: Option<BuzzClient>,
    pub buzz_url: String,
    pub identity: crate::aws::sts::Identity,
    pub desired: Desired,
    pub actual: Actual,
    pub half: Half,
    /// With `--aws-only`: the Buzz half, to hand over.
    pub handover: Option<Handover>,
}

impl Observed {
    /// What the renderers show: plain data, no client.
    pub fn view(&self) -> SetupView<'_> {
        SetupView {
            aws: Some(self.aws_view()),
            buzz_url: self.buzz_url.clone(),
            desired: &self.desired,
            half: self.half,
            handover: self.handover.as_ref(),
        }
    }

    /// Where the calls went, as the JSON's `aws` object shows it.
    pub fn aws_view(&self) -> AwsView {
        AwsView {
            account: self.identity.account.to_string(),
            principal: Some(self.identity.arn.clone()),
            region: self.aws.region.to_string(),
        }
    }
}

/// Connect, read the current state of the stream, the role and Buzz concurrently, and work
/// out the desired state. Shared by setup and `setup --dry-run`; makes no mutating call.
///
/// With `interactive`, the wizard's AWS-side questions (region, stream, capacity) are asked
/// here, once AWS can be read.
pub async fn observe(
    mut spec: SetupSpec,
    calls: &CallLog,
    progress: &Progress,
    interactive: bool,
    read_peak: bool,
) -> Result<Observed> {
    let domain = spec.buzz.domain().cloned();
    let title = spec.buzz.title().clone();
    let (login, handover_from, buzz_url) = match spec.buzz {
        BuzzSide::Login(b) => {
            let url = b.url.to_string();
            (Some(b), None, url)
        }
        BuzzSide::Handover(h) => {
            let url = h.url.to_string();
            (None, Some(h), url)
        }
    };
    let connected = super::connect(
        login,
        spec.aws.profile.as_deref(),
        spec.aws.region.as_ref(),
        calls,
        interactive,
    )
    .await?;
    let aws = &connected.aws;
    refuse_other_partition(&aws.region)?;
    if interactive && !spec.given_stream {
        let existing = aws.list_stream_names().await?;
        let name = ui::wizard::choose_stream(&existing, spec.stream.as_str())?;
        spec.stream = crate::names::StreamName::parse("--stream", &name)?;
    }
    // Sizing matters only for a stream setup is about to create.
    if interactive
        && !spec.given_capacity
        && aws.describe_stream(spec.stream.as_str()).await?.is_none()
    {
        let (capacity, load) = ui::wizard::choose_capacity()?;
        spec.capacity = capacity;
        spec.load = spec.load.or(load);
    }
    let super::Current {
        identity,
        config,
        stream,
        role,
    } = super::read_current(
        &connected,
        domain.as_ref(),
        spec.stream.as_str(),
        spec.role.as_str(),
        progress,
    )
    .await?;

    // `--adopt` hands the role to Agilix's account: read everything it can do first.
    let role_grants = match &role {
        Some(r) if !r.is_managed() && spec.adopt => Some(
            aws.role_policies(spec.role.as_str(), r.boundary.as_deref())
                .await?,
        ),
        _ => None,
    };
    let region = &aws.region;
    let partition = region.partition();
    let stream_arn = stream
        .as_ref()
        .map(|s| s.arn.clone())
        .unwrap_or_else(|| arn::stream(partition, region, &identity.account, &spec.stream));
    // An existing role may live under a path, which is part of its ARN.
    let role_arn = role
        .as_ref()
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| arn::role(partition, &identity.account, &spec.role));
    let alarm = desired_alarm(
        spec.stream.as_str(),
        &spec.alarm_emails,
        spec.alarm_topic.as_ref(),
        (partition, region, identity.account.as_str()),
    );
    let (alarm_state, topic_state) = match &alarm {
        Some(a) => tokio::try_join!(
            aws.describe_alarm(&a.name),
            aws.describe_topic(&a.topic_arn)
        )?,
        None => (None, None),
    };
    // Beside a reused stream's capacity, what it carried: one GetMetricData call, for the
    // plan a person reads (dry run, the wizard). Without the permission the plan goes on.
    let measured = match &stream {
        Some(_) if read_peak => {
            let window = crate::names::Since::DEFAULT;
            match aws
                .stream_metrics(spec.stream.as_str(), Duration::from_secs(window.secs()))
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
        _ => None,
    };
    let encryption = spec.kms_key.clone().map_or(
        crate::names::Encryption::Default,
        crate::names::Encryption::Key,
    );
    let kms_for_policy = encryption.customer_key().map(|k| k.as_str().to_owned());
    let desired = Desired {
        stream: spec.stream.to_string(),
        stream_arn: stream_arn.clone(),
        capacity: spec.capacity,
        retention: spec.retention,
        allow_retention_decrease: spec.allow_retention_decrease,
        encryption,
        tags: spec.tags.clone(),
        role: spec.role.to_string(),
        role_arn: role_arn.clone(),
        trust: policy::trust_policy(&spec.agilix_account, spec.external_id.as_ref()),
        policy: policy::write_policy(&stream_arn, kms_for_policy.as_deref()),
        adopt: spec.adopt,
        widen: spec.widen,
        load: spec.load,
        capacity_given: spec.given_capacity,
        allow_capacity_decrease: spec.allow_capacity_decrease,
        measured,
        alarm,
        buzz: domain
            .filter(|_| login_used(&connected))
            .map(|domain| DesiredBuzz {
                domain,
                target: wire::KinesisTarget {
                    title: title.to_string(),
                    enabled: true,
                    stream: spec.stream.to_string(),
                    role_arn: role_arn.clone(),
                    region: region.to_string(),
                    filters: spec.events.clone(),
                },
                save: spec.enable,
            }),
    };
    let handover = handover_from.map(|h| Handover {
        role_arn,
        stream: spec.stream.to_string(),
        region: region.to_string(),
        domain: h.domain.map(|d| d.to_string()),
        title: title.to_string(),
        events: spec.events.clone(),
        buzz_url: Some(h.url.to_string()),
        buzz_user: h.user.map(|u| u.to_string()),
    });
    let super::Connected { aws, buzz } = connected;
    Ok(Observed {
        aws,
        buzz: buzz.map(|(client, _)| client),
        buzz_url,
        identity,
        desired,
        actual: Actual {
            stream,
            role,
            role_grants,
            alarm: alarm_state,
            topic: topic_state,
            buzz: config,
        },
        half: spec.half,
        handover,
    })
}

/// Agilix's account is in the `aws` partition, and a role trusts only accounts of its own
/// partition: a stream and role in aws-cn or aws-us-gov could never be written to by Buzz.
/// Refused before anything is read or made.
pub fn refuse_other_partition(region: &crate::names::Region) -> Result<()> {
    match region.partition() {
        "aws" => Ok(()),
        other => Err(Error::Refused(format!(
            "the region {region} is in the AWS partition {other}, but Agilix's account is in the aws partition, and an IAM role can trust only accounts of its own partition: Buzz could never assume the role or write to the stream. \
             Choose a region of the aws partition (--region, e.g. us-east-1). Nothing was changed"
        ))),
    }
}

/// Whether this run logged in to Buzz (not `--aws-only`).
fn login_used(c: &super::Connected) -> bool {
    c.buzz.is_some()
}

/// The alarm `--alarm-email` / `--alarm-topic` ask for, with its deterministic names.
fn desired_alarm(
    stream: &str,
    emails: &[crate::names::Email],
    topic: Option<&crate::names::TopicArn>,
    (partition, region, account): (&str, &crate::names::Region, &str),
) -> Option<DesiredAlarm> {
    if emails.is_empty() && topic.is_none() {
        return None;
    }
    let own = crate::state::alarm::topic_name(stream);
    let (topic_arn, own_topic) = match topic {
        Some(t) => (t.as_str().to_owned(), None),
        None => (arn::topic(partition, region, account, &own), Some(own)),
    };
    Some(DesiredAlarm {
        name: crate::state::alarm::name(stream),
        topic_arn,
        own_topic,
        emails: emails.to_vec(),
    })
}

/// The `setup` command.
/// `verbose`: the dry-run plan also lists what is unchanged.
pub async fn run(args: &SetupArgs, output: Output, quiet: bool, verbose: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let interactive = spec::interactive(args.yes);
    let mut half = args.half.half();
    if interactive {
        ui::wizard::intro();
        // The wizard finds a missing or expired AWS login before anyone types Buzz values,
        // and offers the split when the person has only one of the two logins.
        let file = spec::ConfigFile::load(args.target.config.as_deref())?;
        let profile = args.target.aws.profile.as_deref().or(file.profile());
        let aws_login = if half.uses_aws() {
            Some(Aws::check_login(profile).await)
        } else {
            None
        };
        let aws_ok = aws_login.as_ref().is_some_and(Result::is_ok);
        if half == Half::Both && !(aws_ok && spec::buzz_login_given(&args.target, &file)) {
            half = ui::wizard::choose_half(aws_ok)?;
        }
        if let (true, Some(Err(e))) = (half.uses_aws(), aws_login) {
            return Err(e);
        }
    }
    let refuse_unconfirmed = || {
        // Like `terraform apply` without -auto-approve: nobody confirmed, so nothing is
        // read or changed.
        Error::Refused(
            "setup applies its plan only when confirmed: without a terminal (or with CI set), pass --yes to apply, or --dry-run to see the plan. Nothing was changed".into(),
        )
    };
    if half == Half::Buzz {
        let spec = BuzzHalfSpec::for_setup(args, interactive)?;
        if !interactive && !args.yes && !args.dry_run {
            return Err(refuse_unconfirmed());
        }
        return run_buzz_only(spec, args, output, quiet, verbose, interactive, started).await;
    }
    let spec = SetupSpec::for_setup(args, interactive, half)?;
    if !interactive && !args.yes && !args.dry_run {
        return Err(refuse_unconfirmed());
    }
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &spec.warnings {
        progress.warn(w);
    }
    let propagation_timeout = spec.propagation_timeout;
    // IAM propagation may take all of it, after the stream and before Buzz's test.
    crate::deadline::raise_default(
        crate::deadline::DEFAULT.max(propagation_timeout * 2 + std::time::Duration::from_secs(600)),
    );
    let calls = CallLog::new();
    let observed = observe(
        spec,
        &calls,
        &progress,
        interactive,
        args.dry_run || interactive,
    )
    .await?;
    if let Some(config) = &observed.actual.buzz {
        refuse_unknown_target_keys(config)?;
    }
    let plan =
        plan::plan(&observed.desired, &observed.actual).map_err(|b| Error::Refused(refusal(&b)))?;

    let view = observed.view();
    if let Some(done) = show_or_confirm(
        &view,
        &plan,
        output,
        &calls,
        &progress,
        args.dry_run,
        interactive,
        verbose,
    )? {
        return Ok(done);
    }

    apply(&observed, &plan, &progress, propagation_timeout).await?;
    let took = started.elapsed();
    let view = observed.view();
    report::emit(output, |w| {
        render_result(w, &view, &plan, output, &calls.summary(), took)
    })?;
    Ok(ExitCode::Ok)
}

/// Carry out the plan: the stream chain and the role chain at once, then Buzz.
async fn apply(
    o: &Observed,
    plan: &Plan,
    progress: &Progress,
    propagation_timeout: Duration,
) -> Result<()> {
    let d = &o.desired;
    let stream_chain = async {
        // A stream left CREATING or UPDATING by an interrupted run must be ACTIVE before
        // anything else touches it, and before Buzz writes to it.
        let mut needs_wait = o
            .actual
            .stream
            .as_ref()
            .is_some_and(|s| s.status != StreamStatus::Active);
        let mut actions = plan.stream.clone();
        let mut replanned = false;
        loop {
            let mut again = None;
            for action in &actions {
                if needs_wait {
                    wait_active(o, progress).await?;
                }
                progress.step("stream", &describe(Action::Stream(action)));
                if apply_stream(&o.aws, d, action).await? == Created::AlreadyExisted {
                    // Someone made it between our read and our create: plan it anew.
                    again = Some(replan_stream(o, progress).await?);
                    needs_wait = true;
                    break;
                }
                needs_wait = action.leaves_stream_busy();
            }
            match again {
                None => break,
                Some(next) if !replanned => {
                    actions = next;
                    replanned = true;
                }
                Some(_) => return Err(raced("stream", &d.stream)),
            }
        }
        if needs_wait {
            wait_active(o, progress).await?;
        }
        Ok::<_, Error>(())
    };
    let role_chain = async {
        let mut actions = plan.role.clone();
        let mut replanned = false;
        loop {
            let mut again = None;
            for action in &actions {
                progress.step("role", &describe(Action::Role(action)));
                if apply_role(&o.aws, &d.role, action).await? == Created::AlreadyExisted {
                    // Someone made it between our read and our create: it may not be ours.
                    again = Some(replan_role(o, progress).await?);
                    break;
                }
            }
            match again {
                None => break,
                Some(next) if !replanned => {
                    actions = next;
                    replanned = true;
                }
                Some(_) => return Err(raced("role", &d.role)),
            }
        }
        Ok::<_, Error>(())
    };
    // The alarm needs neither the stream nor the role to exist: it watches a metric by name.
    let alarm_chain = async {
        let Some(alarm) = &d.alarm else {
            return Ok::<_, Error>(());
        };
        for action in &plan.alarm {
            progress.step("alarm", &describe(Action::Alarm(action)));
            apply_alarm(&o.aws, &d.stream, alarm, action).await?;
        }
        Ok(())
    };
    tokio::try_join!(stream_chain, role_chain, alarm_chain)?;

    let (Some(b), Some(client)) = (d.buzz.as_ref(), o.buzz.as_ref()) else {
        return Ok(());
    };
    for action in &plan.buzz {
        let BuzzAction::RegisterBuzzTarget { config, save, .. } = action;
        // IAM needs time before a new or changed role can be assumed: Buzz's test fails
        // meanwhile. Retry it only then (a role this run touched, or one younger than the
        // bound), so a real misconfiguration is reported at once.
        let role_fresh = !plan.role.is_empty()
            || o.actual
                .role
                .as_ref()
                .is_none_or(|r| r.age(SystemTime::now()) < propagation_timeout);
        let retry_for = if role_fresh {
            propagation_timeout
        } else {
            Duration::ZERO
        };
        progress.step("buzz", &describe(Action::Buzz(action)));
        let external_id = d.trust.pointer("/Statement/0/Condition").is_some();
        register(client, b, config, *save, retry_for, external_id, progress).await?;
    }
    Ok(())
}

/// A create met a stream made meanwhile: read it again and plan it as an existing stream.
async fn replan_stream(o: &Observed, progress: &Progress) -> Result<Vec<StreamAction>> {
    let d = &o.desired;
    progress.step(
        "stream",
        &format!(
            "the stream {} appeared while setup ran: reading it again and planning anew",
            d.stream
        ),
    );
    let fresh = o.aws.describe_stream(&d.stream).await?;
    let again = plan::replan_stream(d, fresh.as_ref()).map_err(refused)?;
    noted(&again, progress);
    Ok(again.stream)
}

/// A create met a role made meanwhile, perhaps by someone else: read it (and, for `--adopt`,
/// every policy on it) and plan it as a role found at the start, so someone else's role gets
/// our trust and policy only through `--adopt` and its checks.
async fn replan_role(o: &Observed, progress: &Progress) -> Result<Vec<RoleAction>> {
    let d = &o.desired;
    progress.step(
        "role",
        &format!(
            "the role {} appeared while setup ran: reading it again and planning anew",
            d.role
        ),
    );
    let fresh = o.aws.get_role(&d.role).await?;
    let grants = match &fresh {
        Some(r) if !r.is_managed() && d.adopt => {
            Some(o.aws.role_policies(&d.role, r.boundary.as_deref()).await?)
        }
        _ => None,
    };
    let again = plan::replan_role(d, fresh.as_ref(), grants.as_ref()).map_err(refused)?;
    noted(&again, progress);
    Ok(again.role)
}

/// A re-plan's notes, as progress.
fn noted(p: &Plan, progress: &Progress) {
    for n in &p.notes {
        progress.note(&format!("{}: {}", n.resource, n.message));
    }
}

/// A plan that cannot be made, as the refusal a person reads.
fn refused(b: Blocked) -> Error {
    Error::Refused(refusal(&b))
}

/// A create that met the resource twice: something else keeps making and removing it.
fn raced(what: &str, name: &str) -> Error {
    Error::Refused(format!(
        "the {what} {name} was created by someone else while setup ran, twice; find out who also manages it, then run setup again"
    ))
}

/// One change to the stream; [`Created::AlreadyExisted`] when a create met one made meanwhile.
async fn apply_stream(aws: &Aws, d: &Desired, action: &StreamAction) -> Result<Created> {
    let stream = d.stream.as_str();
    match action {
        StreamAction::CreateStream { capacity } => {
            return aws.create_stream(stream, *capacity).await
        }
        StreamAction::IncreaseRetention { to, .. } => aws.increase_retention(stream, *to).await,
        StreamAction::DecreaseRetention { to, .. } => aws.decrease_retention(stream, *to).await,
        StreamAction::StartEncryption { to, .. } => aws.start_encryption(stream, to).await,
        StreamAction::TagStream { tags } => aws.tag_stream(stream, tags).await,
        StreamAction::UpdateStreamMode { to, .. } => {
            aws.update_stream_mode(&d.stream_arn, *to).await
        }
        StreamAction::UpdateShardCount { to, .. } => aws.update_shard_count(stream, *to).await,
    }?;
    Ok(Created::Made)
}

/// One change to the role; [`Created::AlreadyExisted`] when a create met one made meanwhile.
async fn apply_role(aws: &Aws, role: &str, action: &RoleAction) -> Result<Created> {
    match action {
        RoleAction::CreateRole {
            trust,
            max_session,
            tags,
        } => return aws.create_role(role, trust, *max_session, tags).await,
        RoleAction::UpdateTrust { after, .. } => aws.update_trust(role, after).await,
        RoleAction::UpdateMaxSession { to, .. } => aws.update_max_session(role, *to).await,
        RoleAction::PutPolicy { after, .. } => aws.put_policy(role, after).await,
        RoleAction::TagRole { tags } => aws.tag_role(role, tags).await,
    }?;
    Ok(Created::Made)
}

/// One change to the alarm or its topic.
async fn apply_alarm(
    aws: &Aws,
    stream: &str,
    alarm: &DesiredAlarm,
    action: &AlarmAction,
) -> Result<()> {
    match action {
        AlarmAction::CreateTopic {
            name,
            tags,
            kms_key,
        } => aws
            .create_topic(name, tags, kms_key.as_deref())
            .await
            .map(drop),
        AlarmAction::SubscribeEmail { email } => aws.subscribe_email(&alarm.topic_arn, email).await,
        AlarmAction::PutAlarm { .. } => {
            let mut tags = std::collections::BTreeMap::new();
            crate::state::mark_managed(&mut tags);
            let spec = crate::aws::cloudwatch::AlarmSpec {
                name: alarm.name.clone(),
                stream: stream.to_owned(),
                topic_arn: alarm.topic_arn.clone(),
            };
            aws.put_alarm(&spec, &tags).await
        }
    }
}

/// Our target into Buzz, the way Agilix's instructions go: tested first, disabled (retried
/// for up to `retry_for` while IAM propagates the role), then, when `save`, saved enabled into
/// the configuration as it is by then. `external_id`: the trust asks for one (for the hint).
async fn register(
    client: &BuzzClient,
    b: &DesiredBuzz,
    config: &Map<String, Value>,
    save: bool,
    retry_for: Duration,
    external_id: bool,
    progress: &Progress,
) -> Result<()> {
    let send = Sender {
        client,
        b,
        external_id,
        progress,
    };
    let test_config = wire::with_enabled(config, &b.target.destination(), false);
    buzz_with_propagation_retry(&send, &test_config, true, retry_for).await?;
    if save {
        progress.step(
            "buzz",
            "test passed; saving the configuration with the target enabled",
        );
        // Buzz has no compare-and-set, and the test may have waited out IAM for a while:
        // read the configuration again and put our target into what is there now, so a
        // change someone else saved meanwhile is carried through too.
        let current = client.get_config(&b.domain).await?;
        refuse_unknown_target_keys(&current)?;
        let fresh = wire::with_target(&current, &b.target);
        buzz_with_propagation_retry(&send, &fresh, false, retry_for).await?;
    } else {
        progress.step("buzz", "test passed; --no-enable: nothing saved");
    }
    Ok(())
}

/// Where a Buzz configuration goes, and what the failure hints need to know.
struct Sender<'a> {
    client: &'a BuzzClient,
    b: &'a DesiredBuzz,
    external_id: bool,
    progress: &'a Progress,
}

/// `setup --buzz-only`: log in to Buzz, read the domain's configuration, merge our target
/// (naming the stream and role the AWS half made), test it with the propagation retry (the
/// role may be minutes old, so it counts as fresh), enable it. No AWS credentials are read.
async fn run_buzz_only(
    spec: BuzzHalfSpec,
    args: &SetupArgs,
    output: Output,
    quiet: bool,
    verbose: bool,
    interactive: bool,
    started: Instant,
) -> Result<ExitCode> {
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &spec.warnings {
        progress.warn(w);
    }
    let calls = CallLog::new();
    let desired = buzz_half_desired(&spec);
    let buzz_url = spec.buzz.url.to_string();
    let (client, session) = super::login(spec.buzz, &calls).await?;
    super::logged_in(&client, &session, &progress);
    let Some(b) = desired.buzz.as_ref() else {
        return Ok(ExitCode::Ok);
    };
    let config = client.get_config(&b.domain).await?;
    refuse_unknown_target_keys(&config)?;
    let plan = plan::plan_buzz_only(b, &config);
    let view = SetupView {
        aws: None,
        buzz_url,
        desired: &desired,
        half: Half::Buzz,
        handover: None,
    };
    if let Some(done) = show_or_confirm(
        &view,
        &plan,
        output,
        &calls,
        &progress,
        args.dry_run,
        interactive,
        verbose,
    )? {
        return Ok(done);
    }
    for action in &plan.buzz {
        let BuzzAction::RegisterBuzzTarget { config, save, .. } = action;
        progress.step("buzz", &describe(Action::Buzz(action)));
        // The trust is not ours to read here: the hints name the external id as a
        // possibility whatever it is.
        register(
            &client,
            b,
            config,
            *save,
            spec.propagation_timeout,
            true,
            &progress,
        )
        .await?;
    }
    let took = started.elapsed();
    report::emit(output, |w| {
        render_result(w, &view, &plan, output, &calls.summary(), took)
    })?;
    Ok(ExitCode::Ok)
}

/// What the renderers show for the Buzz half: the stream's and the role's ARNs follow from
/// the role's ARN (its account and partition) and the region, without asking AWS.
fn buzz_half_desired(spec: &BuzzHalfSpec) -> Desired {
    let stream_arn = arn::stream(
        spec.role_arn.partition(),
        &spec.region,
        spec.role_arn.account(),
        &spec.stream,
    );
    Desired {
        stream: spec.stream.to_string(),
        stream_arn,
        capacity: crate::sizing::Capacity::OnDemand,
        retention: crate::names::RetentionHours::DEFAULT,
        allow_retention_decrease: false,
        encryption: crate::names::Encryption::Default,
        tags: Vec::new(),
        role: spec.role_arn.name().to_owned(),
        role_arn: spec.role_arn.to_string(),
        trust: Value::Null,
        policy: Value::Null,
        adopt: false,
        widen: Default::default(),
        load: None,
        capacity_given: false,
        allow_capacity_decrease: false,
        measured: None,
        alarm: None,
        buzz: Some(DesiredBuzz {
            domain: spec.buzz.domain.clone(),
            target: spec.target(),
            save: spec.enable,
        }),
    }
}

/// `--dry-run`: the plan, and the exit code that says whether changes are pending. Otherwise,
/// at a terminal, the plan on stderr and the question (a no ends the run); without one, the
/// plan's notes as progress lines. `Some(code)` ends the run.
#[allow(clippy::too_many_arguments)]
fn show_or_confirm(
    view: &SetupView<'_>,
    plan: &Plan,
    output: Output,
    calls: &CallLog,
    progress: &Progress,
    dry_run: bool,
    interactive: bool,
    verbose: bool,
) -> Result<Option<ExitCode>> {
    if dry_run {
        report::emit(output, |w| {
            render_plan(w, view, plan, output, &calls.summary(), true, verbose)
        })?;
        return Ok(Some(if plan.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::Changes
        }));
    }
    if interactive && !plan.is_empty() {
        // On stderr: stdout is for the result alone (one JSON document with --output json).
        let summary = calls.summary();
        let render =
            |w: &mut Vec<u8>| render_plan(w, view, plan, Output::Human, &summary, false, verbose);
        if !report::confirm_plan(render, Ask::YesNo("Apply these changes?"))? {
            eprintln!("Nothing was changed.");
            return Ok(Some(ExitCode::Ok));
        }
    } else {
        // The plan a person confirmed showed the notes already.
        for n in &plan.notes {
            progress.note(&format!("{}: {}", n.resource, n.message));
        }
    }
    Ok(None)
}

/// Buzz's answer filed kinesis-looking targets under a key this tool does not send: a set
/// would replace the configuration without them. Refuse before sending anything.
pub fn refuse_unknown_target_keys(config: &Map<String, Value>) -> Result<()> {
    let keys = wire::unexpected_target_keys(config);
    if keys.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "Buzz's getdatastreamconfiguration answer holds data stream targets under {}, which this tool does not know (it sends kinesis targets under \"{}\"). \
         Sending a configuration now could drop those targets, so nothing was sent to Buzz. \
         Please report this answer shape to the buzz-kinesis maintainers (the key lives in src/buzz/wire.rs); meanwhile use `buzz-kinesis policy` to see the request and send it from Buzz's API console",
        keys.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", "),
        wire::KINESIS
    )))
}

async fn wait_active(o: &Observed, progress: &Progress) -> Result<()> {
    progress.step("stream", "waiting for the stream to become ACTIVE");
    let on_poll = |elapsed: Duration| progress.waiting("stream", "waiting for ACTIVE", elapsed);
    o.aws
        .wait_stream_active(&o.desired.stream, &on_poll)
        .await?;
    progress.done_waiting();
    Ok(())
}

/// How long to wait before asking Buzz to test again, `elapsed` into the wait. IAM usually
/// propagates within 10-30 s: polling every half second then keeps us within half a second
/// of the moment the role works; past that, every 2 s spares Buzz the traffic.
fn propagation_poll_delay(previous: Duration, elapsed: Duration) -> Duration {
    let cap = if elapsed < Duration::from_secs(30) {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(2)
    };
    (previous * 3 / 2).min(cap)
}

/// Send a configuration, retrying Buzz's failed target tests for up to `retry_for` (IAM
/// propagation), polling fast at first so we finish close to when IAM does. What counts as a
/// failed test is decided by [`answer::classify_set_failure`] from the code alone.
async fn buzz_with_propagation_retry(
    send: &Sender<'_>,
    config: &Map<String, Value>,
    test: bool,
    retry_for: Duration,
) -> Result<()> {
    let (b, progress) = (send.b, send.progress);
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    let mut retries = 0u32;
    let mut last_shown = String::new();
    loop {
        let err = match send.client.set_config(&b.domain, config, test).await {
            Ok(()) => {
                progress.done_waiting();
                return Ok(());
            }
            Err(e) => e,
        };
        let Error::Buzz { code, message, .. } = &err else {
            progress.done_waiting();
            return Err(err);
        };
        if answer::classify_set_failure(code) != SetFailure::TargetTest {
            progress.done_waiting();
            return Err(err);
        }
        if start.elapsed() + delay < retry_for {
            let seen = format!("{code}: {}", one_line(message, 120));
            if seen != last_shown {
                // Once per distinct answer, so a log without a terminal shows what Buzz said.
                progress.step(
                    "buzz",
                    &format!("Buzz's test failed ({seen}); retrying while IAM propagates the role"),
                );
                last_shown = seen;
            }
            tracing::info!(
                code,
                retries,
                "Buzz's test failed; the role may still be propagating"
            );
            progress.waiting(
                "buzz",
                &format!(
                    "waiting for IAM: Buzz's test answers {code}: {}",
                    one_line(message, 60)
                ),
                start.elapsed(),
            );
            tokio::time::sleep(delay).await;
            delay = propagation_poll_delay(delay, start.elapsed());
            retries += 1;
            continue;
        }
        progress.done_waiting();
        let mut hint = answer::test_failure_hint(
            code,
            message,
            config,
            &b.target.destination(),
            &b.target.role_arn,
            send.external_id,
        );
        hint.push_str(&if retries > 0 {
            format!(
                " (Buzz's test was retried {retries} time(s) over {:.1} s while IAM propagated the role)",
                start.elapsed().as_secs_f64()
            )
        } else if retry_for.is_zero() {
            " (not retried: this run did not change the role and it is older than --propagation-timeout, so IAM propagation is not the cause)".to_owned()
        } else {
            String::new()
        });
        return Err(err.with_hint(hint));
    }
}

/// A message on one line, cut to `max` characters, for a progress line.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}...", flat.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_polling_is_fast_early_and_gentle_later() {
        let s = Duration::from_secs;
        let mut d = Duration::from_millis(200);
        for _ in 0..10 {
            d = propagation_poll_delay(d, s(5));
        }
        assert_eq!(d, Duration::from_millis(500));
        for _ in 0..10 {
            d = propagation_poll_delay(d, s(45));
        }
        assert_eq!(d, s(2));
    }
}
