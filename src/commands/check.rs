//! `buzz-kinesis check`: a read-only checklist of an existing setup, each line pass, warn or
//! fail with the fix in one sentence. It reads exactly what setup reads (plus every policy on
//! the role, evaluated together as IAM would), and with `--probe` proves the path end to end:
//! Buzz's test with the saved configuration, then the probe event read back from the stream.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws::kinesis::StartAt;
use crate::buzz::answer::{self, classify_set_failure, SetFailure};
use crate::buzz::wire;
use crate::calls::CallLog;
use crate::checks::{self, Check, Expect};
use crate::cli::{CheckArgs, Output};
use crate::commands::setup::{observe, Observed};
use crate::error::{Error, Result};
use crate::events::{self, Item};
use crate::exit::ExitCode;
use crate::names::Since;
use crate::report::{self, check::render_checks};
use crate::spec::{self, CheckSpec};
use crate::state::arn;
use crate::ui::Progress;

/// How long `--probe` waits for Buzz's probe to show up in the stream.
const PROBE_WAIT: Duration = Duration::from_secs(30);

/// The `check` command.
pub async fn run(args: &CheckArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let interactive = spec::interactive(args.yes);
    let CheckSpec {
        expected: spec,
        since,
        expect_domains,
    } = CheckSpec::from_args(args, interactive)?;
    let alarm_asked = !spec.alarm_emails.is_empty() || spec.alarm_topic.is_some();
    let progress = Progress::new(output == Output::Human && !quiet);
    let expect = Expect {
        retention: spec.retention,
        kms_key: spec.kms_key.clone(),
        agilix_root: arn::account_root(&spec.agilix_account),
        external_id: spec.external_id.clone(),
        load: spec.load,
    };
    let calls = CallLog::new();
    // check asks only for missing names and secrets; it never offers to pick a stream.
    let o = observe(spec, &calls, &progress, false, false).await?;
    let policies: Vec<Value> = match &o.actual.role {
        Some(_) => o
            .aws
            .role_policies(&o.desired.role)
            .await?
            .into_iter()
            .map(|p| p.document)
            .collect(),
        None => Vec::new(),
    };

    let d = &o.desired;
    let region = o.aws.region.to_string();
    let mut rows = checks::stream_rows(&d.stream, &region, o.actual.stream.as_ref(), &expect);
    rows.extend(checks::role_rows(
        &d.role,
        &d.stream_arn,
        o.actual.role.as_ref(),
        &policies,
        &expect,
    ));
    if let Some(b) = &d.buzz {
        let config = o.actual.buzz.clone().unwrap_or_default();
        rows.extend(checks::buzz_rows(b.domain.as_str(), &b.target, &config));
    }
    // Lost events and who writes: CloudWatch's window, the alarm, a sample of the records.
    let saved = o
        .actual
        .buzz
        .as_ref()
        .zip(d.buzz.as_ref())
        .and_then(|(config, b)| wire::find_target(config, &b.target.destination()));
    let target_enabled = saved.is_some_and(|(_, t)| wire::as_bool(t.get(wire::ENABLED)));
    let (metrics, alarm, writers) = read_watch(&o, since).await?;
    rows.extend(checks::metrics_rows(
        &metrics,
        o.actual.stream.as_ref(),
        target_enabled,
    ));
    match alarm {
        Ok(a) => rows.extend(checks::alarm_rows(a.as_ref(), alarm_asked, &d.stream)),
        Err((code, message)) => rows.push(checks::warn(
            "alarm",
            format!("the alarm could not be read: {code}: {message}"),
            "allow cloudwatch:DescribeAlarms and cloudwatch:ListTagsForResource to the identity running check",
        )),
    }
    let expected: Vec<String> = if expect_domains.is_empty() {
        // Events carry the numeric id; a `//userspace` path cannot be compared with it.
        d.buzz
            .as_ref()
            .map(|b| b.domain.as_str().to_owned())
            .filter(|id| id.bytes().all(|c| c.is_ascii_digit()))
            .into_iter()
            .collect()
    } else {
        expect_domains
            .iter()
            .map(|x| x.as_str().to_owned())
            .collect()
    };
    rows.extend(checks::writer_rows(&writers, &expected));
    if args.probe {
        rows.push(probe(&o).await?);
    }
    let aws = o.aws_view();
    report::emit(|w| render_checks(w, &aws, &rows, output, &calls.summary()))?;
    Ok(if checks::any_failed(&rows) {
        ExitCode::Changes
    } else {
        ExitCode::Ok
    })
}

/// The stream's metrics over `since` (one GetMetricData call), the alarm, and a bounded sample
/// of its records, read at once. A refused read (a missing permission, most often) becomes a
/// warning row, not a failed command.
async fn read_watch(
    o: &Observed,
    since: Since,
) -> Result<(
    checks::MetricsRead,
    std::result::Result<Option<crate::state::AlarmState>, (String, String)>,
    checks::WritersRead,
)> {
    let d = &o.desired;
    let label = since.to_string();
    let window = Duration::from_secs(since.secs());
    let alarm_name = crate::state::alarm::name(&d.stream);
    if o.actual.stream.is_none() {
        let alarm = soft(o.aws.describe_alarm(&alarm_name).await)?;
        return Ok((
            checks::MetricsRead::Skipped,
            alarm,
            checks::WritersRead::Skipped,
        ));
    }
    let from = std::time::SystemTime::now() - window;
    let (metrics, alarm, sample) = tokio::join!(
        o.aws.stream_metrics(&d.stream, window),
        o.aws.describe_alarm(&alarm_name),
        o.aws.sample_records(&d.stream, from),
    );
    let metrics = match soft(metrics)? {
        Ok(w) => checks::MetricsRead::Window(w, label.clone()),
        Err((code, message)) => checks::MetricsRead::Unavailable { code, message },
    };
    let writers = match soft(sample)? {
        Ok(s) => checks::WritersRead::Sample {
            writers: events::writers(s.records.iter().map(Vec::as_slice)),
            truncated: s.truncated,
            label,
        },
        Err((code, message)) => checks::WritersRead::Unavailable { code, message },
    };
    Ok((metrics, soft(alarm)?, writers))
}

/// An AWS error as (code, message) for a warning row; anything else stops the command.
fn soft<T>(r: Result<T>) -> Result<std::result::Result<T, (String, String)>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Error::Aws { code, message, .. }) => Ok(Err((code, message))),
        Err(e) => Err(e),
    }
}

/// Buzz's own test with the saved configuration, unchanged (so even if `test: true` were to
/// save, it would save what is already there), then wait for the probe in the stream.
async fn probe(o: &Observed) -> Result<Check> {
    let d = &o.desired;
    let config = o.actual.buzz.clone().unwrap_or_default();
    let wanted = d.buzz.as_ref().map(|b| &b.target);
    if let Some(row) = checks::probe_precondition(wanted, &config, o.actual.stream.is_some()) {
        return Ok(row);
    }
    let Some(b) = &d.buzz else {
        return Ok(checks::fail(
            "buzz.probe",
            "no Buzz target to probe",
            checks::SETUP_FIX,
        ));
    };
    // Iterators made before the test see every record written after it.
    let mut iterators = Vec::new();
    for shard in o.aws.list_shards(&d.stream).await? {
        iterators.push(
            o.aws
                .shard_iterator(&d.stream, &shard, StartAt::Latest)
                .await?,
        );
    }
    let domain = &b.domain;
    if let Err(e) = o.buzz.set_config(domain, &config, true).await {
        return match e {
            Error::Buzz {
                ref code,
                ref message,
                ref error_id,
                ..
            } if classify_set_failure(code) == SetFailure::TargetTest => {
                Ok(checks::probe_test_failed(
                    code,
                    message,
                    error_id.as_deref(),
                    answer::test_failure_hint(
                        code,
                        message,
                        &config,
                        &b.target.destination(),
                        &b.target.role_arn,
                        d.trust.pointer("/Statement/0/Condition").is_some(),
                    ),
                ))
            }
            other => Err(other),
        };
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
