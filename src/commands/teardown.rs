//! `buzz-kinesis teardown`: remove what setup made, in the reverse order. First our target
//! leaves the domain's Buzz configuration (get, remove ours, send the rest back unchanged; with
//! no target left Buzz deletes the configuration), so Buzz stops writing before anything it
//! uses goes away. Then the role's inline policies and the role, only when the role carries
//! `managed-by=buzz-kinesis`. The stream and its records stay unless `--delete-stream` is given
//! and confirmed (its name typed at the prompt, or `--yes`). What to remove is decided by pure
//! code from what was read ([`crate::teardown_plan`]), so `--dry-run` shows exactly what a
//! run would do, and a second run finds nothing left to do.

use std::time::Instant;

use crate::aws::Aws;
use crate::buzz::BuzzClient;
use crate::calls::CallLog;
use crate::cli::{Output, TeardownArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::parts::target::{changed_meanwhile, TargetRemoval};
use crate::parts::writer_role::WriterRoleRemoval;
use crate::parts::Remove;
use crate::plan::{DomainOutcome, Outcomes};
use crate::report::teardown::{render_plan, render_result, TeardownView};
use crate::report::{self, Ask, AwsView};
use crate::spec::{self, TeardownSpec};
use crate::state::{arn, Halves};
use crate::teardown_plan::{
    describe, plan, plan_domain, DomainConfig, Observed, Plan, Removal, Target,
};
use crate::ui::Progress;

/// What teardown's read step found (the clients, our target, what exists), ready to plan.
pub(crate) struct Ready {
    /// `None` with `--buzz-only`.
    pub aws: Option<Aws>,
    /// `None` with `--aws-only`.
    pub buzz: Option<BuzzClient>,
    pub target: Target,
    /// What exists, every domain's configuration among it (`--domain` repeated: one list,
    /// each domain planned alike).
    pub found: Observed,
    pub account: String,
    pub half: Halves,
}

impl Ready {
    /// What the renderers show: plain data, no client.
    fn view(&self) -> TeardownView<'_> {
        TeardownView {
            aws: self.aws.as_ref().map(|aws| AwsView {
                account: self.account.clone(),
                principal: None,
                region: aws.region.to_string(),
            }),
            target: &self.target,
            found: &self.found,
            half: self.half,
        }
    }

    fn aws(&self) -> Result<&Aws> {
        self.aws
            .as_ref()
            .ok_or_else(|| Error::Refused("--buzz-only: this run has no AWS access".into()))
    }

    /// The domain a removal names, as the spec judged it, with its configuration as read.
    fn domain(&self, domain: &str) -> Result<&DomainConfig> {
        self.found
            .buzz
            .iter()
            .find(|d| d.domain.as_str() == domain)
            .ok_or_else(|| {
                Error::Internal(format!(
                    "a removal names domain {domain}, which this run was not given"
                ))
            })
    }

    fn buzz(&self) -> Result<&BuzzClient> {
        self.buzz
            .as_ref()
            .ok_or_else(|| Error::Refused("--aws-only: this run has no Buzz login".into()))
    }
}

/// `teardown --buzz-only`: log in to Buzz and read the domain's configuration; the role and
/// the stream are named by `--role-arn`, `--stream` and `--region`, not read.
async fn observe_buzz_only(
    spec: TeardownSpec,
    calls: &CallLog,
    progress: &Progress,
) -> Result<Ready> {
    let (Some(buzz), Some(role_arn), Some(region)) = (spec.buzz, spec.role_arn, spec.aws.region)
    else {
        return Err(Error::Refused(
            "--buzz-only needs --role-arn, --region and a Buzz login".into(),
        ));
    };
    let super::read::LoggedIn {
        client,
        session,
        domains,
        ..
    } = super::read::login(buzz, calls).await?;
    super::read::logged_in(&client, &session, progress);
    let configs = read_configs(&client, domains.iter()).await?;
    Ok(Ready {
        target: Target {
            domains: domains.iter().map(ToString::to_string).collect(),
            stream: spec.stream.to_string(),
            role: spec.role.to_string(),
            role_arn: role_arn.to_string(),
            region: region.to_string(),
            delete_stream: false,
            delete_archive: false,
        },
        // AWS is not read: nothing of it is found, so nothing of it is removed.
        found: Observed {
            buzz: configs,
            ..Observed::default()
        },
        account: role_arn.account().to_owned(),
        aws: None,
        buzz: Some(client),
        half: Halves::BuzzOnly,
    })
}

async fn observe(
    spec: TeardownSpec,
    (delete_stream, delete_archive): (bool, bool),
    calls: &CallLog,
    progress: &Progress,
) -> Result<Ready> {
    if spec.half == Halves::BuzzOnly {
        return observe_buzz_only(spec, calls, progress).await;
    }
    // The domains named: the login's (every one read alike), else `--aws-only`'s, for the
    // other half's command.
    let named: Vec<String> = match &spec.buzz {
        Some(b) => b.domains.iter().map(ToString::to_string).collect(),
        None => spec.domain.iter().map(ToString::to_string).collect(),
    };
    let half = spec.half;
    let connected = super::read::connect(spec.buzz, &spec.aws, calls, None).await?;
    let configs = async {
        match &connected.buzz {
            Some(b) => {
                super::read::logged_in(&b.client, &b.session, progress);
                read_configs(&b.client, b.domains.iter()).await
            }
            // --aws-only: no configuration read, so no Buzz removal is planned.
            None => Ok(Vec::new()),
        }
    };
    let (
        super::read::Current {
            identity,
            stream,
            role,
            ..
        },
        configs,
    ) = tokio::try_join!(
        super::read::read_current(
            &connected,
            None,
            spec.stream.as_str(),
            spec.role.as_str(),
            progress,
        ),
        configs
    )?;
    let super::read::Connected { aws, buzz } = connected;
    let role = match role {
        Some(r) => Some(aws.role_observed(spec.role.as_str(), r).await?),
        None => None,
    };
    // The add-ons setup names after the stream (the alarm and its topic, the archive); a
    // missing permission to read one (teardown of a setup that never had it) is a note, not a
    // failure.
    let cx = crate::parts::add_on::AddOnLeftCx {
        stream: spec.stream.as_str(),
        account: identity.account.as_str(),
        delete_archive,
    };
    let mut unread = |what: &str, e: Error| soft_read::<()>(progress, what, Err(e)).map(drop);
    let add_ons = crate::parts::add_ons::read_left_add_ons(&aws, &cx, &mut unread).await?;
    // With the role gone (a second run), our target is still found by the ARN it had.
    let role_arn = role
        .as_ref()
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| arn::role(aws.region.partition(), &identity.account, &spec.role));
    Ok(Ready {
        target: Target {
            domains: named,
            stream: spec.stream.to_string(),
            role: spec.role.to_string(),
            role_arn,
            region: aws.region.to_string(),
            delete_stream,
            delete_archive,
        },
        found: Observed {
            buzz: configs,
            role,
            stream,
            add_ons,
        },
        account: identity.account.to_string(),
        aws: Some(aws),
        buzz: buzz.map(|b| b.client),
        half,
    })
}

/// Each domain's configuration, in the order given, at most 8 requests in flight.
async fn read_configs(
    client: &BuzzClient,
    domains: impl Iterator<Item = &crate::names::DomainId>,
) -> Result<Vec<DomainConfig>> {
    let domains: Vec<_> = domains.cloned().collect();
    let reads: Vec<_> = domains.iter().map(|d| client.get_config(d)).collect();
    let configs = crate::fanout::bounded(reads, crate::fanout::BUZZ_IN_FLIGHT).await;
    domains
        .into_iter()
        .zip(configs)
        .map(|(domain, c)| c.map(|config| DomainConfig { domain, config }))
        .collect()
}

/// A read teardown can do without: an AWS refusal becomes a note and `None`.
fn soft_read<T>(progress: &Progress, what: &str, r: Result<Option<T>>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(v),
        Err(Error::Aws { code, .. }) => {
            progress.note(&format!(
                "{what} could not be read ({code}); teardown leaves it as it is"
            ));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The `teardown` command.
pub(crate) async fn run(args: &TeardownArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let interactive = spec::interactive(args.yes || args.input.no_input);
    let spec = spec::teardown(args, interactive)?;
    if spec.half == Halves::BuzzOnly && (args.delete_stream || args.delete_archive) {
        return Err(Error::Usage(
            "--delete-stream and --delete-archive delete AWS resources: they go with --aws-only (or neither), not --buzz-only".into(),
        ));
    }
    let progress = Progress::new(output == Output::Human && !quiet);
    let calls = CallLog::new();
    let o = observe(
        spec,
        (args.delete_stream, args.delete_archive),
        &calls,
        &progress,
    )
    .await?;
    let mut plan = plan(&o.target, &o.found).map_err(Error::Refused)?;
    // In the plan's notes (so the JSON and the plan a person confirms carry it), and as a
    // warning on stderr, once.
    let warning = half_warning(&o, &plan);
    if let Some(w) = &warning {
        progress.warn(w);
        plan.notes.push(w.clone());
    }

    if args.dry_run {
        let view = o.view();
        report::emit(output, |w| {
            render_plan(w, &view, &plan, output, &calls.summary(), true)
        })?;
        return Ok(if plan.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::ChangesPending
        });
    }
    if !plan.is_empty() && confirm(&o, &plan, args, interactive, &calls)? {
        // The answer may have come long after the read: what is written back is what Buzz
        // holds now, and a change to the domain's other targets meanwhile stops the run.
        plan = compare_before_write(&o, plan, &progress).await?;
    }
    for n in plan.notes.iter().filter(|n| Some(*n) != warning.as_ref()) {
        progress.step("note", n);
    }
    // Each domain's removal is tried; a failure in one does not hide the others', but the role
    // and the stream stay while any domain may still send to them.
    let buzz_domains = plan
        .removals
        .iter()
        .filter(|r| matches!(r, Removal::Buzz(_)))
        .count();
    let mut each: Vec<DomainOutcome<Result<()>>> = Vec::new();
    let failed = |each: &[DomainOutcome<Result<()>>]| each.iter().any(|o| o.outcome.is_err());
    for r in &plan.removals {
        if failed(&each) && !matches!(r, Removal::Buzz(_)) {
            break;
        }
        progress.step(r.resource().as_str(), &describe(r));
        match r {
            Removal::Buzz(TargetRemoval::RemoveBuzzTarget { config, domain, .. }) => {
                let id = &o.domain(domain)?.domain;
                match o.buzz()?.set_config(id, config, false).await {
                    Err(e) if buzz_domains == 1 => return Err(e.with_hint(
                        "Buzz tests every remaining kinesis target before it saves: fix the one it names (or remove it), then run teardown again. Nothing else was changed",
                    )),
                    outcome => each.push(DomainOutcome {
                        domain: id.clone(),
                        outcome,
                    }),
                }
            }
            Removal::Role(r) => r.remove(o.aws()?).await?,
            Removal::AddOn(r) => r.remove(o.aws()?).await?,
            Removal::Stream(r) => r.remove(o.aws()?).await?,
        }
    }
    if failed(&each) {
        progress.note(
            "the role and the stream were left as they are, since a domain may still send to them: fix what Buzz names (it tests every remaining kinesis target before it saves), then run teardown again",
        );
        Outcomes(each).judged()?;
    }
    let took = started.elapsed();
    let view = o.view();
    report::emit(output, |w| {
        render_result(w, &view, &plan, output, &calls.summary(), took)
    })?;
    Ok(ExitCode::Ok)
}

/// After a prompt, read the domain's configuration again. Other targets changed meanwhile
/// (another administrator's work): refuse, saying what changed, with nothing changed. Only ours
/// changed: the Buzz removal is planned again from what Buzz holds now.
async fn compare_before_write(o: &Ready, plan: Plan, progress: &Progress) -> Result<Plan> {
    let mut plan = plan;
    let domains: Vec<String> = plan
        .removals
        .iter()
        .filter_map(|r| match r {
            Removal::Buzz(TargetRemoval::RemoveBuzzTarget { domain, .. }) => Some(domain.clone()),
            _ => None,
        })
        .collect();
    for domain in domains {
        let before = o.domain(&domain)?;
        progress.step(
            "buzz",
            &format!("reading domain {domain}'s configuration again before writing it"),
        );
        let now = DomainConfig {
            domain: before.domain.clone(),
            config: o.buzz()?.get_config(&before.domain).await?,
        };
        let also = o.target.also();
        let changes =
            changed_meanwhile(&before.config, &now.config, &o.target.destination(), &also);
        if !changes.is_empty() {
            return Err(Error::Refused(format!(
                "the Buzz configuration of domain {domain} changed while the plan waited for your answer: {}. Nothing was changed; run teardown again to see the plan for what Buzz holds now",
                changes.join("; ")
            )));
        }
        let (fresh, _) = plan_domain(&o.target, &now).map_err(Error::Refused)?;
        let at = plan
            .removals
            .iter()
            .position(|r| matches!(r, Removal::Buzz(TargetRemoval::RemoveBuzzTarget { domain: d, .. }) if *d == domain));
        match (at, fresh) {
            (Some(i), Some(r)) => plan.removals[i] = r,
            (Some(i), None) => {
                plan.removals.remove(i);
            }
            _ => {}
        }
    }
    Ok(plan)
}

/// Stop unless the removals are confirmed: deleting the stream needs its name typed (or
/// `--yes`); anything else needs a yes at a terminal, or `--yes` without one. `Ok(true)`: a
/// person answered (time passed since the read).
fn confirm(
    o: &Ready,
    plan: &Plan,
    args: &TeardownArgs,
    interactive: bool,
    calls: &CallLog,
) -> Result<bool> {
    if args.yes {
        return Ok(false);
    }
    if !interactive {
        return Err(Error::Refused(
            if let Some(bucket) = plan.deletes_archive() {
                format!(
                "deleting the archive's bucket {bucket} deletes every event in it: run teardown at a terminal and type the bucket's name, or pass --yes together with --delete-archive. Nothing was changed"
            )
            } else if plan.deletes_stream() {
                format!(
                "deleting the stream {} deletes every record in it: run teardown at a terminal and type the stream's name, or pass --yes together with --delete-stream. Nothing was changed",
                o.target.stream
            )
            } else {
                "teardown removes the Buzz target and the role: pass --yes to run it without a terminal (--dry-run shows what it would remove). Nothing was changed".to_owned()
            },
        ));
    }
    // On stderr, whatever --output says: stdout is for the result alone.
    let view = o.view();
    let summary = calls.summary();
    let render = |w: &mut Vec<u8>| render_plan(w, &view, plan, Output::Human, &summary, false);
    let stream = o.target.stream.as_str();
    let ask = if let Some(bucket) = plan.deletes_archive() {
        // The stream too, with --delete-stream: one name typed for both.
        Ask::TypeName {
            prompt: format!(
                "Type the bucket's name ({bucket}) to delete it and every event in it{}",
                if plan.deletes_stream() {
                    format!(", and the stream {stream} with every record")
                } else {
                    String::new()
                }
            ),
            name: bucket,
        }
    } else if plan.deletes_stream() {
        Ask::TypeName {
            prompt: format!(
                "Type the stream's name ({stream}) to delete it and every record in it"
            ),
            name: stream,
        }
    } else {
        Ask::YesNo("Remove these?")
    };
    if report::confirm_plan(render, ask)? {
        Ok(true)
    } else {
        Err(Error::Refused("nothing was changed".into()))
    }
}

/// A half may leave Buzz pointing at a role that is gone: say so, and name the command for
/// the other half, rather than refuse (the other person may already have done theirs).
fn half_warning(o: &Ready, plan: &Plan) -> Option<String> {
    let t = &o.target;
    let domains: Vec<&str> = t.domains.iter().map(String::as_str).collect();
    match o.half {
        Halves::Both => None,
        Halves::AwsOnly if plan.removals.iter().any(|r| matches!(r, Removal::Role(WriterRoleRemoval::DeleteRole { .. }))) => {
            Some(format!(
                "--aws-only deletes the role {} without looking at Buzz: if a Buzz domain still sends to it, Buzz's deliveries fail until its target is removed. The Buzz half, for a person with a Buzz login: `{}`",
                t.role_arn,
                super::other_half(
                    "teardown",
                    Halves::BuzzOnly,
                    &[("--role-arn", &t.role_arn), ("--stream", &t.stream), ("--region", &t.region)],
                    &domains,
                )
            ))
        }
        Halves::AwsOnly => None,
        Halves::BuzzOnly => Some(format!(
            "--buzz-only removes only the Buzz target: the role {} and the stream {} stay in AWS. The AWS half, for a person with AWS access: `{}`",
            t.role_arn,
            t.stream,
            super::other_half(
                "teardown",
                Halves::AwsOnly,
                &[("--role", &t.role), ("--stream", &t.stream), ("--region", &t.region)],
                &[],
            )
        )),
    }
}
