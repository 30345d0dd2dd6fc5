//! `buzz-kinesis check`: a read-only checklist of an existing setup, each line pass, warn or
//! fail with the fix in one sentence. It reads exactly what setup reads (plus every policy on
//! the role, evaluated together as IAM would), and with `--probe` proves the path end to end:
//! Buzz's test with the saved configuration, then the probe event read back from the stream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::read::{self, Ready};
use crate::aws::kinesis::StartAt;
use crate::buzz::answer::{self, classify_set_failure, SetFailure};
use crate::buzz::wire::{self, OurTarget};
use crate::calls::CallLog;
use crate::checks::{self, Check, CheckId, Expect};
use crate::cli::{CheckArgs, Output};
use crate::error::{soft, Error, Result};
use crate::events::{self, Item};
use crate::exit::ExitCode;
use crate::iam;
use crate::names::{DomainId, EventFilter, Since};
use crate::parts;
use crate::report;
use crate::report::check::{render_checks, DomainChecks};
use crate::spec::{self, AwsMade, BuzzLogin, CheckSpec, Domains, Parts, SetupSpec};
use crate::state::arn;
use crate::state::Halves;
use crate::ui::Progress;

/// How long `--probe` waits for Buzz's probe to show up in the stream.
const PROBE_WAIT: Duration = Duration::from_secs(30);

/// The `check` command.
pub(crate) async fn run(args: &CheckArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let interactive = spec::interactive(args.input.no_input || args.old_yes.yes);
    let CheckSpec {
        parts,
        events,
        since,
        expect_domains,
        probe: with_probe,
        warnings,
    } = spec::check(args, interactive)?;
    let progress = Progress::new(output == Output::Human && !quiet);
    for w in &warnings {
        progress.warn(w);
    }
    let calls = CallLog::new();
    let half = parts.half();
    let (login, aws_part, handover) = match parts {
        Parts::BuzzOnly { buzz, made } => {
            let ctx = (output, &calls, &progress);
            return run_buzz_only(buzz, &made, &events, with_probe, ctx).await;
        }
        Parts::Both { aws, buzz } => (Some(buzz), aws, None),
        Parts::AwsOnly { aws, handover } => (None, aws, Some(handover)),
    };
    let domains = login.as_ref().map(|b| b.domains.clone());
    let domain = domains
        .as_ref()
        .map(|d| d.first().clone())
        .or_else(|| handover.as_ref().and_then(|h| h.domain.clone()));
    // check asks only for missing names and secrets; it never offers to pick a stream.
    let connected = read::connect(login, &aws_part.aws, &calls, None).await?;
    let o = read::read(
        connected,
        &aws_part,
        handover.as_ref(),
        &events,
        &read::CHECK_ONLY,
        &progress,
        read::Peak::Skip,
    )
    .await?;
    let d = &o.desired;
    let expect = expect(&aws_part, d);
    let mut rows = aws_rows(&o, &expect).await?;
    // The Buzz side of an auditor's run: listed, not passed.
    let region = o.aws.region.to_string();
    let other = super::other_half(
        "check",
        Halves::BuzzOnly,
        &[
            ("--role-arn", &d.role_arn),
            ("--stream", &d.stream),
            ("--region", &region),
        ],
        &domain.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
    );
    let skipped = checks::skipped_rows(half, with_probe, &other);
    // Lost events and who writes (CloudWatch's window, a sample of the records),
    // read while each domain is: its configuration and its tree (a descendant's events reach
    // this domain's targets: its subtree writes too; and the ancestors' and descendants'
    // configurations say whether anything arrives twice), one domain at a time (each read
    // keeps at most 8 requests in flight).
    let read_domains = async {
        match (&o.buzz, &d.buzz, &domains) {
            (Some(client), Some(_), Some(list)) => {
                let first = o.observed.buzz.clone().unwrap_or_default();
                read_domains(client, list, first).await
            }
            _ => Ok(Vec::new()),
        }
    };
    // Each add-on's rows, read beside them through its adapter (`parts::add_ons`).
    let no_add_ons = crate::parts::add_ons::DesiredAddOns::default();
    let add_ons = async {
        let cx = crate::parts::add_on::AddOnCheckCx {
            stream: &d.stream,
            since,
        };
        let wanted = d.aws.as_ref().map_or(&no_add_ons, |a| &a.add_ons);
        crate::parts::add_ons::check_add_ons(&o.aws, wanted, &o.observed.add_ons, &cx).await
    };
    let (watch, read, add_on_rows) = tokio::join!(read_watch(&o, since), read_domains, add_ons);
    let ((metrics, writers), read) = (watch?, read?);
    // One pipeline per domain: its rows, in `checks` in their place and under `domains`.
    let (mut by_domain, mut expected) = match &d.buzz {
        Some(b) => each_domain(&b.target, &b.also, &read),
        None => Default::default(),
    };
    rows.extend(by_domain.iter().flat_map(|x| x.checks.iter().cloned()));
    rows.extend(skipped);
    let target_enabled = saved_enabled(&o);
    rows.extend(watch_rows(&o, &metrics, target_enabled));
    rows.extend(add_on_rows?);
    expected.named = named_domains(expected.named, &expect_domains, domain.as_ref());
    rows.extend(checks::writer_rows(&writers, &expected));
    if with_probe && half == Halves::Both {
        let row = probe(&o).await?;
        if let Some(first) = by_domain.first_mut() {
            first.checks.push(row.clone());
        }
        rows.push(row);
    }
    let aws = o.aws_view();
    report::emit(output, |w| {
        render_checks(w, Some(&aws), &rows, &by_domain, output, &calls.summary())
    })?;
    Ok(exit_code(&rows))
}

/// Each domain's rows ([`domain_rows`]), and whose events belong in the stream: each domain
/// (by its numeric id, which events carry, when Buzz gave its record) and its descendants.
/// What the AWS half's rows compare against: the flags, and what the read resolved.
fn expect(aws_part: &spec::AwsPart, d: &crate::plan::Desired) -> Expect {
    let add_ons = d.aws.as_ref().map(|a| &a.add_ons);
    Expect {
        retention: aws_part.stream.retention,
        encryption: aws_part.stream.encryption.clone(),
        // The roles are judged against the key the stream really has (resolved by the read
        // step)...
        key: d.aws.as_ref().and_then(|a| a.stream.key.clone()),
        agilix_root: arn::account_root(&aws_part.trustee.agilix_account),
        external_id: aws_part.trustee.external_id.clone(),
        load: aws_part.stream.load,
        // ...and what the add-ons asked for need it to allow besides the stream.
        also_allowed: add_ons.map(|a| a.writer_statements()).unwrap_or_default(),
    }
}

fn each_domain(
    target: &wire::KinesisTarget,
    also: &[Arc<dyn OurTarget>],
    reads: &[DomainRead],
) -> (Vec<DomainChecks>, checks::Expected) {
    let mut expected = checks::Expected {
        named: Vec::new(),
        descendants: Vec::new(),
    };
    let mut by_domain = Vec::with_capacity(reads.len());
    for r in reads {
        by_domain.push(DomainChecks {
            domain: r.domain.as_str().to_owned(),
            checks: domain_rows(target, also, r),
        });
        if let Ok((_, t)) = &r.read {
            let id = t
                .own
                .as_ref()
                .map_or(r.domain.as_str(), |own| own.id.as_str());
            expected.named.push(id.to_owned());
            expected.descendants.extend(t.subtree.ids());
        }
    }
    (by_domain, expected)
}

/// The domains whose events belong in the stream: `--expect-domain`'s, else the configured
/// domains' numeric ids (`read`; a `//userspace` one whose record could not be read is left
/// out), else the first as given when it is numeric.
fn named_domains(read: Vec<String>, expect: &[DomainId], first: Option<&DomainId>) -> Vec<String> {
    if !expect.is_empty() {
        return expect.iter().map(|x| x.as_str().to_owned()).collect();
    }
    let named = if read.is_empty() {
        first.iter().map(|d| d.as_str().to_owned()).collect()
    } else {
        read
    };
    named
        .into_iter()
        .filter(|id| id.bytes().all(|c| c.is_ascii_digit()))
        .collect()
}

/// The stream's and the role's rows (every policy on the role read and evaluated together).
async fn aws_rows(o: &Ready, expect: &Expect) -> Result<Vec<Check>> {
    let d = &o.desired;
    let policies = match &o.observed.role {
        Some(r) => o.aws.role_policies(&d.role, r.boundary.as_deref()).await?,
        None => Default::default(),
    };
    let region = o.aws.region.to_string();
    let mut rows = parts::stream::rows(&d.stream, &region, o.observed.stream.as_ref(), expect);
    rows.extend(parts::writer_role::rows(
        &d.role,
        &d.stream_arn,
        o.observed.role.as_ref(),
        &policies,
        expect,
    ));
    Ok(rows)
}

/// Whether our target is saved enabled in the first domain (the metrics rows weigh silence
/// by it).
fn saved_enabled(o: &Ready) -> bool {
    o.observed
        .buzz
        .as_ref()
        .zip(o.desired.buzz.as_ref())
        .and_then(|(config, b)| wire::find_target(config, &b.target.destination()))
        .is_some_and(|(_, t)| wire::as_bool(t.get(wire::ENABLED)))
}

/// The metrics rows and the consumer's, from CloudWatch's window.
fn watch_rows(o: &Ready, metrics: &checks::MetricsObserved, target_enabled: bool) -> Vec<Check> {
    let mut rows = checks::metrics_rows(metrics, o.observed.stream.as_ref(), target_enabled);
    if let (checks::MetricsObserved::Window(w, _), Some(s)) = (metrics, o.observed.stream.as_ref())
    {
        rows.extend(checks::consumer_row(
            crate::metrics::iterator_age_max(w),
            s.retention,
        ));
    }
    rows
}

/// One domain's `buzz.tree` and `buzz.delivery` rows.
fn domain_tree_rows(
    domain: &crate::names::DomainId,
    target: &wire::KinesisTarget,
    ours_saved: bool,
    t: &read::DomainTree,
) -> Vec<Check> {
    let shown = t.own.as_ref().map_or(domain.as_str(), |r| r.id.as_str());
    let mut rows = checks::subtree_rows(&t.subtree);
    rows.extend(checks::delivery_rows(
        shown,
        &target.destination(),
        ours_saved,
        &t.observed,
    ));
    rows
}

/// One domain, read: its configuration and its tree, or Buzz's refusal to show the
/// configuration (code, message).
struct DomainRead {
    domain: DomainId,
    read: std::result::Result<(Map<String, Value>, read::DomainTree), (String, String)>,
}

/// Read each domain in turn. `first`: the first domain's configuration, which the read step
/// brought (Buzz refusing it stopped the run there); a further domain's refused configuration
/// (a login without ControlDomain there) is that domain's failed row, not the run's end.
async fn read_domains(
    client: &crate::buzz::BuzzClient,
    domains: &Domains,
    first: Map<String, Value>,
) -> Result<Vec<DomainRead>> {
    let mut first = Some(first);
    let mut reads = Vec::with_capacity(domains.len());
    for domain in domains.iter() {
        let config = match first.take() {
            Some(config) => config,
            None => match client.get_config(domain).await {
                Ok(c) => c,
                Err(Error::Buzz { code, message, .. }) => {
                    reads.push(DomainRead {
                        domain: domain.clone(),
                        read: Err((code, message)),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        let tree = read::read_tree(client, domain, true).await?;
        reads.push(DomainRead {
            domain: domain.clone(),
            read: Ok((config, tree)),
        });
    }
    Ok(reads)
}

/// One domain's rows: our target as Buzz holds it, then who else in its tree delivers to the
/// stream; or the failed row of a configuration Buzz would not show.
fn domain_rows(
    target: &wire::KinesisTarget,
    also: &[Arc<dyn OurTarget>],
    r: &DomainRead,
) -> Vec<Check> {
    match &r.read {
        Ok((config, t)) => {
            let mut rows = parts::target::rows(r.domain.as_str(), target, also, config);
            let ours = wire::find_target(config, &target.destination()).is_some();
            rows.extend(domain_tree_rows(&r.domain, target, ours, t));
            rows
        }
        Err((code, message)) => vec![checks::fail(
            CheckId::BuzzTarget,
            format!(
                "the data stream configuration of domain {} could not be read: {}: {}",
                crate::text::outside(r.domain.as_str()),
                crate::text::outside(code),
                crate::text::outside(message)
            ),
            "use a login with the ControlDomain right on every --domain, or check that domain in a run of its own",
        )],
    }
}

/// A failed row fails the run.
fn exit_code(rows: &[Check]) -> ExitCode {
    if checks::any_failed(rows) {
        ExitCode::CheckFailed
    } else {
        ExitCode::Ok
    }
}

/// The stream's metrics over `since` (one GetMetricData call) and a bounded sample of its
/// records, read at once. A refused read (a missing permission, most often) becomes a
/// warning row, not a failed command.
async fn read_watch(
    o: &Ready,
    since: Since,
) -> Result<(checks::MetricsObserved, checks::WritersObserved)> {
    let d = &o.desired;
    let label = since.to_string();
    let window = Duration::from_secs(since.secs());
    if o.observed.stream.is_none() {
        return Ok((
            checks::MetricsObserved::Skipped,
            checks::WritersObserved::Skipped,
        ));
    }
    let from = std::time::SystemTime::now() - window;
    let (metrics, sample) = tokio::join!(
        o.aws.stream_metrics(&d.stream, window),
        o.aws.sample_records(&d.stream, from),
    );
    let metrics = match soft(metrics)? {
        Ok(w) => checks::MetricsObserved::Window(w, label.clone()),
        Err((code, message)) => checks::MetricsObserved::Unavailable { code, message },
    };
    let writers = match soft(sample)? {
        Ok(s) => checks::WritersObserved::Sample {
            writers: events::writers(s.records.iter().map(Vec::as_slice)),
            truncated: s.truncated,
            label,
        },
        Err((code, message)) => checks::WritersObserved::Unavailable { code, message },
    };
    Ok((metrics, writers))
}

/// Buzz's own test with the saved configuration, unchanged (so even if `test: true` were to
/// save, it would save what is already there), then wait for the probe in the stream.
async fn probe(o: &Ready) -> Result<Check> {
    let d = &o.desired;
    let config = o.observed.buzz.clone().unwrap_or_default();
    let (Some(b), Some(client)) = (&d.buzz, &o.buzz) else {
        return Ok(checks::fail(
            CheckId::BuzzProbe,
            "no Buzz login to probe with",
            checks::SETUP_FIX,
        ));
    };
    if let Some(row) = checks::probe_precondition(&b.target, &config, o.observed.stream.is_some()) {
        return Ok(row);
    }
    // Iterators made before the test see every record written after it.
    let mut iterators = Vec::new();
    for shard in o.aws.list_shards(&d.stream).await? {
        iterators.push(
            o.aws
                .shard_iterator(&d.stream, &shard, StartAt::Latest)
                .await?,
        );
    }
    let external_id = d
        .aws
        .as_ref()
        .is_some_and(|a| iam::requires_external_id(&a.role.trust));
    if let Err(e) = client.set_config(&b.domain, &config, true).await {
        return failed_probe(e, &config, &b.target, external_id);
    }
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    while start.elapsed() < PROBE_WAIT {
        for it in iterators.iter_mut() {
            let page = o.aws.get_records(it).await?;
            if let Some(next) = page.next {
                *it = next;
            }
            let found = page
                .records
                .iter()
                .flat_map(|r| events::decode(r))
                .find_map(|item| match item {
                    Item::Event(ev) if events::event_type(&ev) == wire::PROBE_EVENT_TYPE => {
                        Some(ev)
                    }
                    _ => None,
                });
            if let Some(ev) = found {
                return Ok(checks::probe_arrived(
                    ev.get("guid").and_then(Value::as_str).unwrap_or("?"),
                    &d.stream,
                    start.elapsed().as_secs_f64(),
                ));
            }
        }
        tokio::time::sleep(delay).await;
        // GetRecords allows 5 calls/s per shard.
        delay = (delay * 3 / 2).min(Duration::from_secs(1));
    }
    Ok(checks::probe_timed_out(&d.stream, PROBE_WAIT.as_secs()))
}

/// `check --buzz-only`: the target as Buzz holds it, and with `--probe` Buzz's own test of it
/// (which proves Buzz can assume the role and write to the stream: reading the probe back
/// would need AWS access, which this half does not have). The AWS rows are listed as skipped.
async fn run_buzz_only(
    login: BuzzLogin,
    made: &AwsMade,
    events: &[EventFilter],
    with_probe: bool,
    (output, calls, progress): (Output, &CallLog, &Progress),
) -> Result<ExitCode> {
    let target = SetupSpec::made_target(made, &login.title, events);
    let read::LoggedIn {
        client,
        session,
        domains,
        ..
    } = read::login(login, calls).await?;
    read::logged_in(&client, &session, progress);
    // This half takes one domain (the spec refuses several).
    let domain = domains.first();
    let config = client.get_config(domain).await?;
    let mut rows = checks::skipped_rows(
        Halves::BuzzOnly,
        with_probe,
        &super::other_half(
            "check",
            Halves::AwsOnly,
            &[
                ("--stream", made.stream.as_str()),
                ("--role", made.role_arn.name()),
                ("--region", made.region.as_str()),
                ("--agilix-account", "AGILIX_ACCOUNT_ID"),
            ],
            &[],
        ),
    );
    // The domain's own rows, from here to the end: the JSON's `domains` shows them too.
    let first = rows.len();
    // The add-ons are the AWS half's: this half has only the kinesis target to judge.
    rows.extend(parts::target::rows(domain.as_str(), &target, &[], &config));
    // The tree, as the full check reads it: who else delivers to this stream.
    let tree = read::read_tree(&client, domain, true).await?;
    rows.extend(domain_tree_rows(
        domain,
        &target,
        wire::find_target(&config, &target.destination()).is_some(),
        &tree,
    ));
    if with_probe {
        rows.push(match checks::probe_precondition(&target, &config, true) {
            Some(row) => row,
            None => match client.set_config(domain, &config, true).await {
                Ok(()) => checks::probe_test_passed(&target.stream),
                // The trust is not read here: the hint names the external id as a possible
                // cause.
                Err(e) => failed_probe(e, &config, &target, true)?,
            },
        });
    }
    let by_domain = [DomainChecks {
        domain: domain.as_str().to_owned(),
        checks: rows[first..].to_vec(),
    }];
    report::emit(output, |w| {
        render_checks(w, None, &rows, &by_domain, output, &calls.summary())
    })?;
    Ok(exit_code(&rows))
}

/// A probe whose set Buzz refused: a failed target test is a failed row with Buzz's code,
/// message and errorId and the hint that fits; anything else (the login, rate limits, the
/// transport) stops the command.
fn failed_probe(
    e: Error,
    config: &serde_json::Map<String, Value>,
    target: &wire::KinesisTarget,
    external_id: bool,
) -> Result<Check> {
    match e {
        Error::Buzz {
            ref code,
            ref message,
            ref error_id,
            ..
        } if classify_set_failure(code) == SetFailure::TargetTest => Ok(checks::probe_test_failed(
            code,
            message,
            error_id.as_deref(),
            answer::test_failure_hint(
                code,
                message,
                config,
                &target.destination(),
                &target.role_arn,
                external_id,
            ),
        )),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<DomainId> {
        list.iter()
            .map(|d| DomainId::parse("--domain", d).unwrap())
            .collect()
    }

    /// `--expect-domain` wins; else each domain's numeric id as read; else the first as given,
    /// and only numeric ids (events carry those).
    #[test]
    fn the_named_domains_are_the_expected_else_the_read_else_the_first() {
        let expect = ids(&["700001", "//other"]);
        let first = ids(&["424242", "//district"]);
        let read = vec!["500001".to_owned(), "//x".to_owned()];
        assert_eq!(
            named_domains(read.clone(), &expect, Some(&first[0])),
            ["700001", "//other"]
        );
        assert_eq!(named_domains(read, &[], Some(&first[0])), ["500001"]);
        assert_eq!(named_domains(Vec::new(), &[], Some(&first[0])), ["424242"]);
        assert!(named_domains(Vec::new(), &[], Some(&first[1])).is_empty());
        assert!(named_domains(Vec::new(), &[], None).is_empty());
    }
}
