//! `buzz-kinesis setup`: validate, read everything at once, plan, then converge the stream
//! chain and the role chain concurrently, then register with Buzz (test, then enable).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

mod archive;
mod register;

use register::register;

use super::read::{self, Ready};
use crate::aws::{Aws, Created};
use crate::buzz::wire;
use crate::calls::CallLog;
use crate::cli::{Output, SetupArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::plan::{
    self, Action, AlarmAction, Blocked, BuzzAction, DesiredAlarm, DesiredAws, DesiredBuzz,
    Observed, Plan, RoleAction, StreamAction,
};
use crate::policy;
use crate::report::plan::{describe, refusal};
use crate::report::setup::{render_plan, render_result, SetupView};
use crate::report::{self, Ask};
use crate::spec::{self, AwsMade, AwsPart, BuzzLogin, Parts, Raw, SetupSpec};
use crate::state::{Halves, StreamStatus};
use crate::ui::{self, Progress};

/// How this run shows its plan and whom it asks: what the command line said.
struct Run {
    output: Output,
    dry_run: bool,
    /// A person can be asked.
    interactive: bool,
    /// The plan also lists what is unchanged.
    verbose: bool,
}

/// The wizard's AWS-side questions, once AWS can be read: which stream (when none was
/// named), and, for a stream setup is about to create, how big (when no capacity was named)
/// and whether to archive its events (when no bucket was named).
async fn ask_aws_side(aws: &Aws, part: &mut AwsPart) -> Result<()> {
    let stream_given = part.stream_given;
    if !stream_given {
        let existing = aws.list_stream_names().await?;
        let name = ui::wizard::choose_stream(&existing, part.names.stream.as_str())?;
        part.names.stream = crate::names::StreamName::parse("--stream", &name)?;
    }
    // Sizing and the archive are asked for a stream setup is about to create: a person
    // re-running setup on a stream that exists is not asked again.
    let new_stream = aws
        .describe_stream(part.names.stream.as_str())
        .await?
        .is_none();
    if new_stream && !part.stream.capacity_given {
        let (capacity, load) = ui::wizard::choose_capacity()?;
        part.stream.capacity = capacity;
        part.stream.load = part.stream.load.or(load);
    }
    // The archive is offered in the wizard proper (no stream named): a person who named the
    // stream on the command line chose what to pass, and --archive-bucket is one of them.
    if new_stream && !stream_given && part.archive.is_none() {
        if let Some(bucket) = ui::wizard::ask_archive_bucket()? {
            part.archive = Some(crate::spec::ArchiveWanted {
                bucket: crate::names::BucketName::parse("--archive-bucket", &bucket)?,
                days: None,
                buffer: crate::names::ArchiveBuffer::DEFAULT,
                views: false,
            });
        }
    }
    Ok(())
}

/// The `setup` command.
/// `verbose`: the dry-run plan also lists what is unchanged.
pub async fn run(args: &SetupArgs, output: Output, quiet: bool, verbose: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let interactive = spec::interactive(args.yes || args.input.no_input);
    let mut raw = Raw::for_setup(args, interactive)?;
    if interactive {
        ui::wizard::intro();
        // The wizard finds a missing or expired AWS login before anyone types Buzz values,
        // and offers the split when the person has only one of the two logins.
        let aws_login = if raw.half.uses_aws() {
            Some(Aws::check_login(raw.profile.as_deref()).await)
        } else {
            None
        };
        let aws_ok = aws_login.as_ref().is_some_and(Result::is_ok);
        if raw.half == Halves::Both && !(aws_ok && raw.buzz_login_given()) {
            raw.half = ui::wizard::choose_half(aws_ok)?;
        }
        if let (true, Some(Err(e))) = (raw.half.uses_aws(), aws_login) {
            return Err(e);
        }
    }
    let asked_before = raw.setup_command();
    let (spec, answered) = spec::setup(raw)?;
    // The wizard asked something: the command that runs the same setup without questions,
    // said at the end whatever happens (a run that fails after the answers keeps them).
    let again = answered.setup_command();
    let asked = interactive && again != asked_before;
    // The answers are complete: offer to keep them before anything can fail.
    if asked {
        offer_to_save(args.target.settings.config.as_deref(), &answered)?;
    }
    let resume = asked.then(|| {
        again
            .iter()
            .map(|a| crate::text::shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let result = run_spec(args, spec, output, quiet, verbose, started).await;
    if let Some(cmd) = resume {
        eprintln!(
            "\nThe same setup without the questions (the password from BUZZ_PASSWORD, or asked):\n  buzz-kinesis {cmd}"
        );
    }
    result
}

/// Offer to keep the wizard's answers (never a secret) in the config file, `--config`'s or
/// else the default one, so that the next run starts from them: a file that is there is merged
/// (its other keys and comments kept), one that cannot be merged is left alone and the keys to
/// add are shown. What goes wrong writing it is said, and the run goes on.
fn offer_to_save(given: Option<&std::path::Path>, answered: &Raw) -> Result<()> {
    use crate::spec::save;
    let default = spec::default_config_path();
    let Some(path) = given.map(std::path::Path::to_path_buf).or(default.clone()) else {
        return Ok(());
    };
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            eprintln!("The answers are not saved: {shown} cannot be read ({e}).");
            return Ok(());
        }
    };
    let answers = save::answers(answered);
    let merged = match save::merge(existing.as_deref(), &answers) {
        Ok(merged) => merged,
        Err(reason) => {
            eprintln!(
                "{shown} is left as it is ({reason}); for the next run to start from these answers, add:"
            );
            for (key, value) in &answers {
                if value != &save::Value::List(Vec::new()) {
                    eprintln!("  {key} = {}", value.toml());
                }
            }
            return Ok(());
        }
    };
    if merged.added.is_empty() && merged.changed.is_empty() {
        return Ok(());
    }
    let keys = existing
        .is_some()
        .then_some((&merged.added[..], &merged.changed[..]));
    if !ui::wizard::offer_save(&shown, keys)? {
        return Ok(());
    }
    if let Err(e) = save::write(&path, &merged.text) {
        eprintln!("The answers are not saved: writing {shown}: {e}.");
        return Ok(());
    }
    let quoted = crate::text::shell_quote(&shown);
    let half = match answered.half {
        Halves::Both => "",
        Halves::AwsOnly => " --aws-only",
        Halves::BuzzOnly => " --buzz-only",
    };
    let config = if default.as_ref() == Some(&path) {
        String::new()
    } else {
        format!(" --config {quoted}")
    };
    eprintln!(
        "Saved to {shown} (no secrets): the next `buzz-kinesis setup{half}{config}` starts from these answers, and `buzz-kinesis check{half} --config {quoted}` reads them."
    );
    Ok(())
}

/// `setup` once its spec is built: read, plan, confirm, apply, report.
async fn run_spec(
    args: &SetupArgs,
    spec: SetupSpec,
    output: Output,
    quiet: bool,
    verbose: bool,
    started: Instant,
) -> Result<ExitCode> {
    let interactive = spec::interactive(args.yes || args.input.no_input);
    if !interactive && !args.yes && !args.dry_run {
        // Like `terraform apply` without -auto-approve: nobody confirmed, so nothing is
        // read or changed.
        return Err(Error::Refused(
            "setup applies its plan only when confirmed: with nobody to ask (no terminal, CI set, or --no-input), pass --yes to apply, or --dry-run to see the plan. Nothing was changed".into(),
        ));
    }
    let run = Run {
        output,
        dry_run: args.dry_run,
        interactive,
        verbose,
    };
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &spec.warnings {
        progress.warn(w);
    }
    let calls = CallLog::new();
    let SetupSpec {
        parts,
        events,
        options,
        more_domains,
        ..
    } = spec;
    let (login, mut aws_part, handover) = match parts {
        Parts::BuzzOnly { buzz, made } => {
            let ctx = (&run, &calls, &progress);
            return run_buzz_only(buzz, &made, &events, &options, ctx, started).await;
        }
        Parts::Both { aws, buzz } => (Some(buzz), aws, None),
        Parts::AwsOnly { aws, handover } => (None, aws, Some(handover)),
    };
    // IAM propagation may take all of it, after the stream and before Buzz's test.
    crate::deadline::raise_default(
        crate::deadline::DEFAULT
            .max(options.propagation_timeout * 2 + std::time::Duration::from_secs(600)),
    );
    let ask_region: Option<crate::aws::AskRegion> =
        interactive.then_some(ui::wizard::choose_region);
    let connected = read::connect(login, &aws_part.aws, &calls, ask_region).await?;
    if interactive && aws_part.aws.region.is_none() && !ui::wizard::region_was_asked() {
        ui::wizard::confirm_profile_region(connected.aws.region.as_str());
    }
    if interactive {
        ask_aws_side(&connected.aws, &mut aws_part).await?;
    }
    let mut ready = read::read(
        connected,
        &aws_part,
        handover.as_ref(),
        &events,
        &options,
        &progress,
        if args.dry_run || interactive {
            read::Peak::Measure
        } else {
            read::Peak::Skip
        },
    )
    .await?;
    // One delivery across the tree: an ancestor delivering to the stream refuses the plan.
    let mut trees = Vec::new();
    if let (Some(client), Some(b)) = (&ready.buzz, &ready.desired.buzz) {
        let t = read::read_tree(client, &b.domain, true).await?;
        trees.push(tree_key(&b.domain, &t));
        ready.observed.tree = Some(t.observed);
    }
    if let Some(config) = &ready.observed.buzz {
        refuse_unknown_target_keys(config)?;
    }
    let mut plan = plan::plan(&ready.desired, &ready.observed).map_err(refused)?;
    plan_more_domains(&ready, &more_domains, trees, &mut plan).await?;

    let more: Vec<String> = more_domains.iter().map(ToString::to_string).collect();
    let view = SetupView {
        more_domains: more.clone(),
        ..ready.view()
    };
    if let Some(done) = show_or_confirm(&view, &plan, &run, &calls, &progress)? {
        return Ok(done);
    }

    apply(&ready, &plan, &progress, options.propagation_timeout).await?;
    let took = started.elapsed();
    let mut view = SetupView {
        more_domains: more,
        ..ready.view()
    };
    view.reach.extend(reach_more(args, &aws_part.aws));
    report::emit(output, |w| {
        render_result(w, &view, &plan, output, &calls.summary(), took)
    })?;
    // A change asked for and declined is not done: not the exit of a run that did it all.
    Ok(if plan.declined.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Declined
    })
}

/// Beyond the region: the profile and the config file this run used, so that a command
/// printed for later reaches the same setup.
fn reach_more(args: &SetupArgs, aws: &spec::AwsSpec) -> Vec<String> {
    let mut more = Vec::new();
    if let Some(p) = &aws.profile {
        more.extend(["--profile".to_owned(), p.clone()]);
    }
    if let Some(c) = &args.target.settings.config {
        more.extend(["--config".to_owned(), c.display().to_string()]);
    }
    more
}

/// A domain's numeric id (or as given) and its ancestors' ids, for [`plan::tree::nested_domains`].
fn tree_key(domain: &crate::names::DomainId, t: &read::TreeRead) -> (String, Vec<String>) {
    let id = t
        .own
        .as_ref()
        .map_or_else(|| domain.to_string(), |r| r.id.clone());
    let ancestors = t
        .observed
        .configs
        .iter()
        .filter(|c| c.relation == plan::tree::Relation::Ancestor)
        .map(|c| c.domain.id.clone())
        .collect();
    (id, ancestors)
}

/// Every further `--domain` (one stream, one role, one IAM wait): its configuration and tree,
/// then its Buzz plan, added to the first's, all before any change. Domains where one is
/// another's ancestor are refused (the lower one's events reach the upper one's target).
async fn plan_more_domains(
    ready: &Ready,
    more: &[crate::names::DomainId],
    mut trees: Vec<(String, Vec<String>)>,
    plan: &mut Plan,
) -> Result<()> {
    let (Some(client), Some(b)) = (&ready.buzz, &ready.desired.buzz) else {
        return Ok(());
    };
    if more.is_empty() {
        return Ok(());
    }
    let mut plans = Vec::new();
    for domain in more {
        let config = client.get_config(domain).await?;
        refuse_unknown_target_keys(&config)?;
        let t = read::read_tree(client, domain, true).await?;
        trees.push(tree_key(domain, &t));
        plans.push((domain.clone(), config, t.observed));
    }
    let nested = plan::tree::nested_domains(&trees);
    if !nested.is_empty() {
        let pairs: Vec<String> = nested
            .iter()
            .map(|(up, down)| format!("domain {up} is an ancestor of domain {down}"))
            .collect();
        return Err(Error::Refused(format!(
            "{}: Buzz sends every event of a domain to its ancestors' targets, so a target on both would deliver each event of the lower domain twice. Set up at the upper domain alone (its target receives the lower one's events). Nothing was changed",
            pairs.join("; ")
        )));
    }
    for (domain, config, tree) in plans {
        let desired = plan::Desired {
            aws: None,
            buzz: Some(DesiredBuzz {
                domain,
                ..b.clone()
            }),
            ..ready.desired.clone()
        };
        let observed = Observed {
            buzz: Some(config),
            tree: Some(tree),
            ..Observed::default()
        };
        let more_plan = plan::plan(&desired, &observed).map_err(refused)?;
        plan.buzz.extend(more_plan.buzz);
        plan.notes.extend(more_plan.notes);
    }
    Ok(())
}

/// Carry out the plan: the stream chain, the role chain, the alarm and the archive at once,
/// then Buzz. Buzz comes after the archive because Firehose reads a stream from the moment its
/// delivery stream is made: an event Buzz sent before would never be archived. The IAM waits
/// still overlap: the Buzz role is made beside Firehose's, so it has propagated by the time
/// Firehose's has, and Buzz's test passes at once.
async fn apply(
    o: &Ready,
    plan: &Plan,
    progress: &Progress,
    propagation_timeout: Duration,
) -> Result<()> {
    let d = &o.desired;
    if let Some(want) = &d.aws {
        tokio::try_join!(
            stream_chain(o, want, &plan.stream, progress),
            role_chain(o, want, &plan.role, progress),
            alarm_chain(o, want, &plan.alarm, progress),
            archive::apply(o, &plan.archive, progress, propagation_timeout),
        )?;
    }
    let (Some(b), Some(client)) = (d.buzz.as_ref(), o.buzz.as_ref()) else {
        return Ok(());
    };
    // IAM needs time before a new or changed role can be assumed: Buzz's test fails meanwhile.
    // Retry it only then (a role this run touched, or one younger than the bound), so a real
    // misconfiguration is reported at once.
    let role_fresh = !plan.role.is_empty()
        || o.observed
            .role
            .as_ref()
            .is_none_or(|r| r.age(SystemTime::now()) < propagation_timeout);
    let retry_for = if role_fresh {
        propagation_timeout
    } else {
        Duration::ZERO
    };
    let external_id = d
        .aws
        .as_ref()
        .is_some_and(|a| policy::requires_external_id(&a.role.trust));
    // One domain waits out IAM on its own test (retried while the role is fresh); then the
    // others at once (at most 8 in flight), each retrying only if it still meets IAM's delay.
    // Ten domains retrying together would send Buzz ten times the tests for one wait. One
    // domain's failure does not stop the others.
    let one = |action| register_domain(action, b, client, (retry_for, external_id), progress);
    let mut results = Vec::with_capacity(plan.buzz.len());
    if let Some((first, rest)) = plan.buzz.split_first() {
        results.push(one(first).await);
        let jobs: Vec<_> = rest.iter().map(one).collect();
        results.extend(crate::fanout::bounded(jobs, crate::fanout::BUZZ_IN_FLIGHT).await);
    }
    if results.len() == 1 {
        return results.into_iter().next().unwrap_or(Ok(()));
    }
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for (action, result) in plan.buzz.iter().zip(results) {
        let BuzzAction::RegisterBuzzTarget { domain, .. } = action;
        match result {
            Ok(()) => done.push(domain.clone()),
            Err(e) => failed.push(format!("domain {domain}: {e}")),
        }
    }
    if !failed.is_empty() {
        return Err(Error::Refused(format!(
            "the Buzz target could not be registered in {} of {} domain(s): {}. {}The stream and the role are in place: fix what Buzz names, then run setup again (it changes only what is missing)",
            failed.len(),
            failed.len() + done.len(),
            failed.join("; "),
            if done.is_empty() {
                String::new()
            } else {
                format!("It was registered in domain(s) {}. ", done.join(", "))
            }
        )));
    }
    Ok(())
}

/// The stream's actions in order, each waiting for ACTIVE where the last left it busy. A
/// create that meets a stream made meanwhile is planned anew, once.
async fn stream_chain(
    o: &Ready,
    want: &DesiredAws,
    planned: &[StreamAction],
    progress: &Progress,
) -> Result<()> {
    let d = &o.desired;
    // A stream left CREATING or UPDATING by an interrupted run must be ACTIVE before anything
    // else touches it, and before Buzz writes to it.
    let mut needs_wait = o
        .observed
        .stream
        .as_ref()
        .is_some_and(|s| s.status != StreamStatus::Active);
    let mut actions = planned.to_vec();
    let mut replanned = false;
    loop {
        let mut again = None;
        for action in &actions {
            if needs_wait {
                wait_active(o, progress).await?;
            }
            progress.step("stream", &describe(Action::Stream(action)));
            if apply_stream(&o.aws, &d.stream, &d.stream_arn, action).await?
                == Created::AlreadyExisted
            {
                // Someone made it between our read and our create: plan it anew.
                again = Some(replan_stream(o, want, progress).await?);
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
    Ok(())
}

/// The role's actions in order. A create that meets a role made meanwhile (perhaps by someone
/// else) is planned anew, once.
async fn role_chain(
    o: &Ready,
    want: &DesiredAws,
    planned: &[RoleAction],
    progress: &Progress,
) -> Result<()> {
    let role = &o.desired.role;
    let mut actions = planned.to_vec();
    let mut replanned = false;
    loop {
        let mut again = None;
        for action in &actions {
            progress.step("role", &describe(Action::Role(action)));
            if apply_role(&o.aws, role, action).await? == Created::AlreadyExisted {
                // Someone made it between our read and our create: it may not be ours.
                again = Some(replan_role(o, want, progress).await?);
                break;
            }
        }
        match again {
            None => break,
            Some(next) if !replanned => {
                actions = next;
                replanned = true;
            }
            Some(_) => return Err(raced("role", role)),
        }
    }
    Ok(())
}

/// One domain's Buzz half: our target merged into its configuration, tested (retried for
/// `retry_for` while IAM may not have propagated the role), saved.
async fn register_domain(
    action: &BuzzAction,
    b: &DesiredBuzz,
    client: &crate::buzz::BuzzClient,
    (retry_for, external_id): (Duration, bool),
    progress: &Progress,
) -> Result<()> {
    let BuzzAction::RegisterBuzzTarget {
        config,
        save,
        domain,
        ..
    } = action;
    progress.step("buzz", &describe(Action::Buzz(action)));
    let this = DesiredBuzz {
        domain: crate::names::DomainId::parse("--domain", domain)?,
        ..b.clone()
    };
    register(
        client,
        &this,
        config,
        *save,
        retry_for,
        external_id,
        progress,
    )
    .await
}

/// The alarm's actions: it needs neither the stream nor the role to exist (it watches a
/// metric by name).
async fn alarm_chain(
    o: &Ready,
    want: &DesiredAws,
    planned: &[AlarmAction],
    progress: &Progress,
) -> Result<()> {
    let Some(alarm) = &want.alarm else {
        return Ok(());
    };
    for action in planned {
        progress.step("alarm", &describe(Action::Alarm(action)));
        apply_alarm(&o.aws, &o.desired.stream, alarm, action).await?;
    }
    Ok(())
}

/// A create met a stream made meanwhile: read it again and plan it as an existing stream.
async fn replan_stream(
    o: &Ready,
    want: &DesiredAws,
    progress: &Progress,
) -> Result<Vec<StreamAction>> {
    let name = &o.desired.stream;
    progress.step(
        "stream",
        &format!("the stream {name} appeared while setup ran: reading it again and planning anew"),
    );
    let fresh = o.aws.describe_stream(name).await?;
    let again = plan::replan_stream(name, &want.stream, fresh.as_ref()).map_err(refused)?;
    noted(&again, progress);
    Ok(again.stream)
}

/// A create met a role made meanwhile, perhaps by someone else: read it (and, for `--adopt`,
/// every policy on it) and plan it as a role found at the start, so someone else's role gets
/// our trust and policy only through `--adopt` and its checks.
async fn replan_role(o: &Ready, want: &DesiredAws, progress: &Progress) -> Result<Vec<RoleAction>> {
    let name = &o.desired.role;
    progress.step(
        "role",
        &format!("the role {name} appeared while setup ran: reading it again and planning anew"),
    );
    let fresh = o.aws.get_role(name).await?;
    let grants = match &fresh {
        Some(r) if !r.is_managed() && want.role.adopt => {
            Some(o.aws.role_policies(name, r.boundary.as_deref()).await?)
        }
        _ => None,
    };
    let again =
        plan::replan_role(name, &want.role, fresh.as_ref(), grants.as_ref()).map_err(refused)?;
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
async fn apply_stream(
    aws: &Aws,
    stream: &str,
    stream_arn: &str,
    action: &StreamAction,
) -> Result<Created> {
    match action {
        StreamAction::CreateStream { capacity } => {
            return aws.create_stream(stream, *capacity).await
        }
        StreamAction::IncreaseRetention { to, .. } => aws.increase_retention(stream, *to).await,
        StreamAction::DecreaseRetention { to, .. } => aws.decrease_retention(stream, *to).await,
        StreamAction::StartEncryption { to, .. } => aws.start_encryption(stream, to).await,
        StreamAction::TagStream { tags } => aws.tag_stream(stream, tags).await,
        StreamAction::UpdateStreamMode { to, .. } => aws.update_stream_mode(stream_arn, *to).await,
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

/// `setup --buzz-only`: log in to Buzz, read the domain's configuration, merge our target
/// (naming the stream and role the AWS half made), test it with the propagation retry (the
/// role may be minutes old, so it counts as fresh), enable it. No AWS credentials are read.
async fn run_buzz_only(
    login: BuzzLogin,
    made: &AwsMade,
    events: &[crate::names::EventFilter],
    options: &spec::ApplyOptions,
    (run, calls, progress): (&Run, &CallLog, &Progress),
    started: Instant,
) -> Result<ExitCode> {
    let desired = read::desired_buzz_only(&login, made, events, options);
    let read::LoggedIn {
        client, session, ..
    } = read::login(login, calls).await?;
    read::logged_in(&client, &session, progress);
    let Some(b) = desired.buzz.as_ref() else {
        return Ok(ExitCode::Ok);
    };
    let config = client.get_config(&b.domain).await?;
    refuse_unknown_target_keys(&config)?;
    let tree = read::read_tree(&client, &b.domain, true).await?.observed;
    let observed = Observed {
        buzz: Some(config),
        tree: Some(tree),
        ..Observed::default()
    };
    let plan = plan::plan(&desired, &observed).map_err(refused)?;
    let view = SetupView {
        aws: None,
        buzz_url: client.base().to_string(),
        desired: &desired,
        half: Halves::BuzzOnly,
        handover: None,
        more_domains: Vec::new(),
        reach: Vec::new(),
    };
    if let Some(done) = show_or_confirm(&view, &plan, run, calls, progress)? {
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
            options.propagation_timeout,
            true,
            progress,
        )
        .await?;
    }
    let took = started.elapsed();
    report::emit(run.output, |w| {
        render_result(w, &view, &plan, run.output, &calls.summary(), took)
    })?;
    Ok(ExitCode::Ok)
}

/// `--dry-run`: the plan, and the exit code that says whether changes are pending. Otherwise,
/// at a terminal, the plan on stderr and the question (a no ends the run); without one, the
/// plan's notes as progress lines. `Some(code)` ends the run.
fn show_or_confirm(
    view: &SetupView<'_>,
    plan: &Plan,
    run: &Run,
    calls: &CallLog,
    progress: &Progress,
) -> Result<Option<ExitCode>> {
    if run.dry_run {
        report::emit(run.output, |w| {
            render_plan(
                w,
                view,
                plan,
                run.output,
                &calls.summary(),
                true,
                run.verbose,
            )
        })?;
        return Ok(Some(if !plan.declined.is_empty() {
            ExitCode::Declined
        } else if plan.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::ChangesPending
        }));
    }
    if run.interactive && !plan.is_empty() {
        // On stderr: stdout is for the result alone (one JSON document with --output json).
        let summary = calls.summary();
        let render = |w: &mut Vec<u8>| {
            render_plan(w, view, plan, Output::Human, &summary, false, run.verbose)
        };
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

async fn wait_active(o: &Ready, progress: &Progress) -> Result<()> {
    progress.step("stream", "waiting for the stream to become ACTIVE");
    let on_poll = |elapsed: Duration| progress.waiting("stream", "waiting for ACTIVE", elapsed);
    o.aws
        .wait_stream_active(&o.desired.stream, &on_poll)
        .await?;
    progress.done_waiting();
    Ok(())
}
