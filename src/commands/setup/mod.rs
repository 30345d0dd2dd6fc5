//! `buzz-kinesis setup`: validate, read everything at once, plan, then converge the stream
//! chain and the role chain concurrently, then register with Buzz (test, then enable).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

mod chains;
mod domains;
mod register;

use super::read::{self, Ready};
use crate::aws::Aws;
use crate::buzz::wire;
use crate::calls::CallLog;
use crate::cli::{Output, SetupArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::iam;
use crate::plan::{self, Blocked, Plan};
use crate::report::plan::refusal;
use crate::report::setup::{render_plan, render_result, SetupView};
use crate::report::{self, Ask};
use crate::sizing::Capacity;
use crate::spec::{self, AwsMade, AwsPart, BuzzLogin, Domains, Parts, Raw, SetupSpec};
use crate::state::Halves;
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
/// and whether to archive its events (when no bucket was named). The answers fill the raw
/// values, and the AWS half is judged again from them: a spec is never changed once built.
async fn ask_aws_side(aws: &Aws, raw: &mut Raw, mut part: AwsPart) -> Result<AwsPart> {
    let stream_given = part.stream_given;
    if !stream_given {
        let existing = aws.list_stream_names().await?;
        let name = ui::wizard::choose_stream(&existing, part.names.stream.as_str())?;
        raw.stream = Some(name);
        part = AwsPart::judge(raw)?;
    }
    // Sizing and the archive are asked for a stream setup is about to create: a person
    // re-running setup on a stream that exists is not asked again.
    let new_stream = aws
        .describe_stream(part.names.stream.as_str())
        .await?
        .is_none();
    let mut asked = false;
    if new_stream && !part.stream.capacity_given {
        let (capacity, load) = ui::wizard::choose_capacity()?;
        raw.capacity_mode = Some(capacity_mode(capacity).to_owned());
        raw.shards = match capacity {
            Capacity::OnDemand => None,
            Capacity::Provisioned(n) => Some(n.get().to_string()),
        };
        if let (None, Some(l)) = (&raw.expected_events_per_second, load) {
            raw.expected_events_per_second = Some(l.events_per_second.to_string());
            raw.avg_event_bytes = Some(l.avg_event_bytes.to_string());
        }
        asked = true;
    }
    // The archive is offered in the wizard proper (no stream named): a person who named the
    // stream on the command line chose what to pass, and --archive-bucket is one of them.
    if new_stream && !stream_given && part.archive.is_none() {
        if let Some(bucket) = ui::wizard::ask_archive_bucket()? {
            raw.archive_bucket = Some(bucket);
            asked = true;
        }
    }
    if asked {
        part = AwsPart::judge(raw)?;
    }
    Ok(part)
}

/// `--capacity-mode`'s word for a capacity.
fn capacity_mode(c: Capacity) -> &'static str {
    match c {
        Capacity::OnDemand => "on-demand",
        Capacity::Provisioned(_) => "provisioned",
    }
}

/// The `setup` command.
/// `verbose`: the dry-run plan also lists what is unchanged.
pub(crate) async fn run(
    args: &SetupArgs,
    output: Output,
    quiet: bool,
    verbose: bool,
) -> Result<ExitCode> {
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
    let result = run_spec(args, (spec, answered), output, (quiet, verbose), started).await;
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

/// `setup` once its spec is built (with the raw values it was built from, which the wizard's
/// AWS-side questions fill): read, plan, confirm, apply, report.
async fn run_spec(
    args: &SetupArgs,
    (spec, mut raw): (SetupSpec, Raw),
    output: Output,
    (quiet, verbose): (bool, bool),
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
        ..
    } = spec;
    let (login, aws_part, handover) = match parts {
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
    let domains = login.as_ref().map(|b| b.domains.clone());
    let ask_region: Option<crate::aws::AskRegion> =
        interactive.then_some(ui::wizard::choose_region);
    let connected = read::connect(login, &aws_part.aws, &calls, ask_region).await?;
    if interactive && aws_part.aws.region.is_none() && !ui::wizard::region_was_asked() {
        ui::wizard::confirm_profile_region(connected.aws.region.as_str());
    }
    let aws_part = if interactive {
        ask_aws_side(&connected.aws, &mut raw, aws_part).await?
    } else {
        aws_part
    };
    let peak = if args.dry_run || interactive {
        read::Peak::Measure
    } else {
        read::Peak::Skip
    };
    let mut ready = read::read(
        connected,
        &aws_part,
        handover.as_ref(),
        &events,
        &options,
        &progress,
        peak,
    )
    .await?;
    let mut plan = plan::plan_aws(&ready.desired, &ready.observed).map_err(refused)?;
    // One pipeline per domain: each read (one delivery across the tree: an ancestor delivering
    // to the stream refuses the plan), then each planned, after the AWS half.
    if let (Some(client), Some(b), Some(domains)) = (&ready.buzz, &ready.desired.buzz, &domains) {
        let reads = domains::read_domains(client, domains, ready.observed.buzz.take()).await?;
        domains::plan_domains(b, &reads, &mut plan)?;
    }
    let view = SetupView {
        domains: domains.iter().flat_map(Domains::iter).cloned().collect(),
        ..ready.view()
    };
    if let Some(done) = show_or_confirm(&view, &plan, &run, &calls, &progress)? {
        return Ok(done);
    }
    apply(&ready, &plan, &progress, options.propagation_timeout).await?;
    let took = started.elapsed();
    let mut view = view;
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

/// Carry out the plan: the stream chain, the role chain and the add-ons (the alarm, the
/// archive: `parts::add_on`) at once, then Buzz. Buzz comes after the archive because Firehose reads a stream from the moment its
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
        let step = |resource: &str, line: &str| progress.step(resource, line);
        let waiting = |resource: &str, what: &str, elapsed: Duration| {
            progress.waiting(resource, what, elapsed);
        };
        let done_waiting = || progress.done_waiting();
        let cx = crate::parts::add_on::RunCx {
            stream: &d.stream,
            propagation_timeout,
            step: &step,
            waiting: &waiting,
            done_waiting: &done_waiting,
        };
        tokio::try_join!(
            chains::stream_chain(o, want, &plan.stream, progress),
            chains::role_chain(o, want, &plan.role, progress),
            crate::parts::add_ons::apply_add_ons(
                &o.aws,
                &want.add_ons,
                &o.observed.add_ons,
                &plan.add_ons,
                &cx
            ),
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
        .is_some_and(|a| iam::requires_external_id(&a.role.trust));
    let done = domains::register_all(plan, b, client, (retry_for, external_id), progress).await;
    if let Err(Error::Partial { .. }) = &done {
        progress.note(
            "the stream and the role are in place: fix what Buzz names for each failed domain, then run setup again (it changes only what is missing)",
        );
    }
    done
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
        client,
        session,
        domains,
        ..
    } = read::login(login, calls).await?;
    read::logged_in(&client, &session, progress);
    let Some(b) = desired.buzz.as_ref() else {
        return Ok(ExitCode::Ok);
    };
    // The same pipeline as with both halves, over this half's one domain.
    let reads = domains::read_domains(&client, &domains, None).await?;
    let mut plan = Plan::default();
    domains::plan_domains(b, &reads, &mut plan)?;
    let view = SetupView {
        aws: None,
        buzz_url: client.base().to_string(),
        desired: &desired,
        half: Halves::BuzzOnly,
        handover: None,
        domains: domains.iter().cloned().collect(),
        reach: Vec::new(),
    };
    if let Some(done) = show_or_confirm(&view, &plan, run, calls, progress)? {
        return Ok(done);
    }
    // The trust is not ours to read here: the hints name the external id as a possibility
    // whatever it is.
    let retry = (options.propagation_timeout, true);
    domains::register_all(&plan, b, &client, retry, progress).await?;
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
pub(crate) fn refuse_unknown_target_keys(config: &Map<String, Value>) -> Result<()> {
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

/// A plan that cannot be made, as the refusal a person reads.
fn refused(b: Blocked) -> Error {
    Error::Refused(refusal(&b))
}
