//! `buzz-kinesis teardown`: remove what setup made, in the reverse order. First our target
//! leaves the domain's Buzz configuration (get, remove ours, send the rest back unchanged; with
//! no target left Buzz deletes the configuration), so Buzz stops writing before anything it
//! uses goes away. Then the role's inline policies and the role, only when the role carries
//! `managed-by=buzz-kinesis`. The stream and its records stay unless `--delete-stream` is given
//! and confirmed (its name typed at the prompt, or `--yes`). What to remove is decided by pure
//! code from what was read ([`crate::teardown_plan`]), so `--dry-run` shows exactly what a
//! run would do, and a second run finds nothing left to do.

use std::time::Instant;

use serde_json::{Map, Value};

use crate::aws::Aws;
use crate::buzz::BuzzClient;
use crate::calls::CallLog;
use crate::cli::{Output, TeardownArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::plan::{DomainOutcome, Outcomes};
use crate::report::teardown::{render_plan, render_result, TeardownView};
use crate::report::{self, Ask, AwsView};
use crate::spec::{self, Domains, TeardownSpec};
use crate::state::{arn, Halves};
use crate::teardown_plan::{
    changed_meanwhile, describe, plan, plan as plan_removals, ArchiveObserved, DatabaseObserved,
    DeliveryObserved, Observed, Plan, Removal, RoleObserved, Target,
};
use crate::ui::Progress;

/// What teardown's read step found (the clients, our target, what exists), ready to plan.
pub(crate) struct Ready {
    /// `None` with `--buzz-only`.
    pub aws: Option<Aws>,
    /// `None` with `--aws-only`.
    pub buzz: Option<BuzzClient>,
    pub target: Target,
    pub found: Observed,
    /// The further domains' configurations (`--domain` repeated).
    pub more: Vec<(crate::names::DomainId, Map<String, Value>)>,
    /// Every domain given, typed (`None` with `--aws-only`): a removal names its domain by
    /// this list, never by text parsed again.
    pub domains: Option<Domains>,
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

    /// The domain a removal names, as the spec judged it.
    fn domain_id(&self, domain: &str) -> Result<&crate::names::DomainId> {
        self.domains
            .iter()
            .flat_map(Domains::iter)
            .find(|d| d.as_str() == domain)
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
    let domain = domains.first();
    let config = client.get_config(domain).await?;
    let rest: Vec<_> = domains.iter().skip(1).cloned().collect();
    let more = read_more(&client, &rest).await?;
    Ok(Ready {
        more,
        domains: Some(domains.clone()),
        target: Target {
            domain: domain.to_string(),
            stream: spec.stream.to_string(),
            role: spec.role.to_string(),
            role_arn: role_arn.to_string(),
            region: region.to_string(),
            delete_stream: false,
            delete_archive: false,
        },
        // AWS is not read: nothing of it is found, so nothing of it is removed.
        found: Observed {
            buzz: config,
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
    let domain = spec.domain.clone();
    let domains = spec.buzz.as_ref().map(|b| b.domains.clone());
    let half = spec.half;
    let connected = super::read::connect(spec.buzz, &spec.aws, calls, None).await?;
    let super::read::Current {
        identity,
        config,
        stream,
        role,
    } = super::read::read_current(
        &connected,
        domain.as_ref(),
        spec.stream.as_str(),
        spec.role.as_str(),
        progress,
    )
    .await?;
    let super::read::Connected { aws, buzz } = connected;
    let more = match (&buzz, &domains) {
        (Some(b), Some(list)) => {
            let rest: Vec<_> = list.iter().skip(1).cloned().collect();
            read_more(&b.client, &rest).await?
        }
        _ => Vec::new(),
    };
    let role = match role {
        Some(r) => {
            let (inline, attached) = tokio::try_join!(
                aws.inline_policy_names(spec.role.as_str()),
                aws.attached_policy_arns(spec.role.as_str()),
            )?;
            Some(RoleObserved {
                managed: r.is_managed(),
                arn: r.arn,
                inline,
                attached,
            })
        }
        None => None,
    };
    // The alarm and topic setup names after the stream; a missing permission to read them
    // (teardown of a setup that never had an alarm) is a note, not a failure.
    let alarm_name = crate::state::alarm::name(spec.stream.as_str());
    let topic_arn = arn::topic(
        aws.region.partition(),
        &aws.region,
        &identity.account,
        crate::state::alarm::topic_name(spec.stream.as_str()),
    );
    let (alarm, topic) = tokio::join!(
        aws.describe_alarm(&alarm_name),
        aws.describe_topic(&topic_arn)
    );
    let alarm = soft_read(progress, "the alarm", alarm)?;
    let topic = soft_read(progress, "the alarm's topic", topic)?;
    let archive = read_archive(
        &aws,
        spec.stream.as_str(),
        identity.account.as_str(),
        delete_archive,
        progress,
    )
    .await?;
    // With the role gone (a second run), our target is still found by the ARN it had.
    let role_arn = role
        .as_ref()
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| arn::role(aws.region.partition(), &identity.account, &spec.role));
    Ok(Ready {
        target: Target {
            domain: domain.map(|d| d.to_string()).unwrap_or_default(),
            stream: spec.stream.to_string(),
            role: spec.role.to_string(),
            role_arn,
            region: aws.region.to_string(),
            delete_stream,
            delete_archive,
        },
        found: Observed {
            // --aws-only: no configuration read, so no Buzz removal is planned.
            buzz: config.unwrap_or_default(),
            role,
            stream,
            alarm,
            topic,
            archive,
        },
        more,
        domains,
        account: identity.account.to_string(),
        aws: Some(aws),
        buzz: buzz.map(|b| b.client),
        half,
    })
}

/// The archive setup makes beside the stream, found by the names it derives from the
/// stream's; each part teardown may not read is a note, like the alarm's.
async fn read_archive(
    aws: &crate::aws::Aws,
    stream: &str,
    account: &str,
    delete_archive: bool,
    progress: &Progress,
) -> Result<ArchiveObserved> {
    use crate::archive::{database_of, delivery_stream_of, role_of};
    let (delivery_name, role_name, database) = (
        delivery_stream_of(stream),
        role_of(stream),
        database_of(stream),
    );
    let database_arn = format!(
        "arn:{}:glue:{}:{account}:database/{database}",
        aws.region.partition(),
        aws.region
    );
    let read_role = async {
        let Some(r) = aws
            .get_role_with(&role_name, crate::archive::POLICY_NAME)
            .await?
        else {
            return Ok(None);
        };
        let (inline, attached) = tokio::try_join!(
            aws.inline_policy_names(&role_name),
            aws.attached_policy_arns(&role_name),
        )?;
        Ok(Some(RoleObserved {
            managed: r.is_managed(),
            arn: r.arn,
            inline,
            attached,
        }))
    };
    let read_database = async {
        let Some(tags) = aws.get_database_tags(&database, &database_arn).await? else {
            return Ok(None);
        };
        let tables = aws.table_names(&database).await?;
        let table = aws.get_table(&database, crate::archive::TABLE).await?;
        Ok(Some((
            DatabaseObserved {
                name: database.clone(),
                managed: crate::state::is_managed(&tags),
                table_managed: table
                    .as_ref()
                    .is_some_and(|t| crate::state::is_managed(&t.parameters)),
                views: tables
                    .iter()
                    .filter(|(name, ours)| *ours && name != crate::archive::TABLE)
                    .map(|(name, _)| name.clone())
                    .collect(),
                tables: tables.into_iter().map(|(name, _)| name).collect(),
            },
            table.and_then(|t| t.location),
        )))
    };
    let log_group = crate::archive::log_group_of(stream);
    let (delivery, role, db, log) = tokio::join!(
        aws.describe_delivery_stream(&delivery_name),
        read_role,
        read_database,
        aws.describe_log_group(&log_group, crate::archive::LOG_STREAM),
    );
    let delivery = soft_read(progress, "the archive's delivery stream", delivery)?;
    let db = soft_read(progress, "the archive's Glue database", db)?;
    let (db, location) = match db {
        Some((db, location)) => (Some(db), location),
        None => (None, None),
    };
    // The bucket, from what setup left: the table's location (`s3://BUCKET/events/`), which
    // outlives the delivery stream (teardown deletes the table after the bucket); else the
    // delivery stream's destination (`arn:<partition>:s3:::BUCKET`).
    let bucket = location
        .as_deref()
        .and_then(|l| l.strip_prefix("s3://"))
        .and_then(|l| l.split('/').next())
        .filter(|b| !b.is_empty())
        .or_else(|| {
            delivery
                .as_ref()
                .and_then(|d| d.bucket_arn.as_deref())
                .and_then(|a| a.split_once(":::"))
                .map(|(_, b)| b)
        })
        .map(str::to_owned);
    // Whose the bucket is, read only when it may go.
    let bucket_managed = match (&bucket, delete_archive) {
        (Some(b), true) => match aws.describe_bucket(b).await? {
            crate::parts::bucket::BucketObserved::Here(state) => {
                Some(crate::state::is_managed(&state.tags))
            }
            _ => None,
        },
        _ => None,
    };
    Ok(ArchiveObserved {
        bucket_managed,
        delivery: delivery.map(|d| DeliveryObserved {
            name: delivery_name.clone(),
            managed: crate::state::is_managed(&d.tags),
            bucket: bucket.clone(),
        }),
        bucket,
        role: soft_read(progress, "the archive's Firehose role", role)?
            .map(|r| (role_name.clone(), r)),
        database: db,
        log: soft_read(progress, "the archive's log group", log)?
            .map(|l| (log_group.clone(), crate::state::is_managed(&l.tags))),
    })
}

/// The further domains' configurations, at most 8 requests in flight.
async fn read_more(
    client: &BuzzClient,
    domains: &[crate::names::DomainId],
) -> Result<Vec<(crate::names::DomainId, Map<String, Value>)>> {
    let reads: Vec<_> = domains.iter().map(|d| client.get_config(d)).collect();
    let configs = crate::fanout::bounded(reads, crate::fanout::BUZZ_IN_FLIGHT).await;
    domains
        .iter()
        .cloned()
        .zip(configs)
        .map(|(d, c)| c.map(|c| (d, c)))
        .collect()
}

/// Our target's removal from each further domain, planned as for the first, placed right
/// after the first's (Buzz stops writing before the role goes).
fn plan_more(o: &Ready, plan: &mut Plan) -> Result<()> {
    let mut extra = Vec::new();
    for (domain, config) in &o.more {
        let target = Target {
            domain: domain.to_string(),
            ..o.target.clone()
        };
        let found = Observed {
            buzz: config.clone(),
            ..Observed::default()
        };
        let p = plan_removals(&target, &found).map_err(Error::Refused)?;
        extra.extend(
            p.removals
                .into_iter()
                .filter(|r| matches!(r, Removal::RemoveBuzzTarget { .. })),
        );
    }
    let at = plan
        .removals
        .iter()
        .rposition(|r| matches!(r, Removal::RemoveBuzzTarget { .. }))
        .map_or(0, |i| i + 1);
    plan.removals.splice(at..at, extra);
    Ok(())
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
    plan_more(&o, &mut plan)?;
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
        .filter(|r| matches!(r, Removal::RemoveBuzzTarget { .. }))
        .count();
    let mut each: Vec<DomainOutcome<Result<()>>> = Vec::new();
    let failed = |each: &[DomainOutcome<Result<()>>]| each.iter().any(|o| o.outcome.is_err());
    for r in &plan.removals {
        if failed(&each) && !matches!(r, Removal::RemoveBuzzTarget { .. }) {
            break;
        }
        progress.step(r.resource().as_str(), &describe(r));
        match r {
            Removal::RemoveBuzzTarget { config, domain, .. } => {
                let id = o.domain_id(domain)?;
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
            Removal::DeleteRolePolicy { role, policy } => {
                o.aws()?.delete_role_policy(role, policy).await?
            }
            Removal::DeleteRole { role, .. } => o.aws()?.delete_role(role).await?,
            Removal::DeleteAlarm { name } => o.aws()?.delete_alarm(name).await?,
            Removal::DeleteTopic { arn } => o.aws()?.delete_topic(arn).await?,
            Removal::DeleteStream { stream, .. } => {
                o.aws()?.delete_stream(stream).await?;
            }
            Removal::DeleteDeliveryStream { name } => o.aws()?.delete_delivery_stream(name).await?,
            Removal::DeleteArchiveRole { role, policies } => {
                let aws = o.aws()?;
                for policy in policies {
                    aws.delete_role_policy(role, policy).await?;
                }
                aws.delete_role(role).await?;
            }
            Removal::DeleteTable { database, table } => {
                o.aws()?.delete_table(database, table).await?
            }
            Removal::DeleteDatabase { database } => o.aws()?.delete_database(database).await?,
            Removal::DeleteLogGroup { group } => o.aws()?.delete_log_group(group).await?,
            Removal::DeleteArchiveBucket { bucket } => {
                o.aws()?.empty_and_delete_bucket(bucket).await?
            }
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
            Removal::RemoveBuzzTarget { domain, .. } => Some(domain.clone()),
            _ => None,
        })
        .collect();
    for domain in domains {
        let id = o.domain_id(&domain)?;
        let (target, before) = if domain == o.target.domain {
            (o.target.clone(), &o.found.buzz)
        } else {
            let Some((_, config)) = o.more.iter().find(|(d, _)| d.as_str() == domain) else {
                continue;
            };
            (
                Target {
                    domain: domain.clone(),
                    ..o.target.clone()
                },
                config,
            )
        };
        progress.step(
            "buzz",
            &format!("reading domain {domain}'s configuration again before writing it"),
        );
        let now = o.buzz()?.get_config(id).await?;
        let changes = changed_meanwhile(before, &now, &target.destination());
        if !changes.is_empty() {
            return Err(Error::Refused(format!(
                "the Buzz configuration of domain {domain} changed while the plan waited for your answer: {}. Nothing was changed; run teardown again to see the plan for what Buzz holds now",
                changes.join("; ")
            )));
        }
        let found = if domain == o.target.domain {
            Observed {
                buzz: now,
                ..o.found.clone()
            }
        } else {
            Observed {
                buzz: now,
                ..Observed::default()
            }
        };
        let fresh = plan_removals(&target, &found).map_err(Error::Refused)?;
        let buzz_removal = fresh
            .removals
            .into_iter()
            .find(|r| matches!(r, Removal::RemoveBuzzTarget { .. }));
        let at = plan
            .removals
            .iter()
            .position(|r| matches!(r, Removal::RemoveBuzzTarget { domain: d, .. } if *d == domain));
        match (at, buzz_removal) {
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
    let domain = (!t.domain.is_empty()).then_some(t.domain.as_str());
    match o.half {
        Halves::Both => None,
        Halves::AwsOnly if plan.removals.iter().any(|r| matches!(r, Removal::DeleteRole { .. })) => {
            Some(format!(
                "--aws-only deletes the role {} without looking at Buzz: if a Buzz domain still sends to it, Buzz's deliveries fail until its target is removed. The Buzz half, for a person with a Buzz login: `{}`",
                t.role_arn,
                super::other_half(
                    "teardown",
                    Halves::BuzzOnly,
                    &[("--role-arn", &t.role_arn), ("--stream", &t.stream), ("--region", &t.region)],
                    domain,
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
                None,
            )
        )),
    }
}
