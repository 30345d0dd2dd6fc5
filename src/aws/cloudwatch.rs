//! CloudWatch: a stream's write metrics over a window in one `GetMetricData` call (what
//! `check` reads for lost events), and the alarm on refused writes that `setup --alarm-*`
//! keeps.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric as CwMetric, MetricDataQuery, MetricStat, ScanBy,
    Statistic, Tag,
};
use aws_smithy_types::DateTime;

use super::{read, write, Aws};
use crate::checklist::{warn, Check, CheckId};
use crate::error::Result;
use crate::metrics::{self, Metric, Window};
use crate::parts::add_on::{
    AddOnApplyCx, AddOnCheckCx, AddOnLeftCx, ApplyAddOn, CheckAddOn, ReadAddOn,
};
use crate::parts::alarm::{Alarm, AlarmAction, AlarmCx, AlarmFound, DesiredAlarm};
use crate::parts::{answered, Apply, Change as _};
use crate::state::{alarm, arn, AlarmState};

/// Kinesis publishes its stream metrics here, with the stream's name as the dimension.
const NAMESPACE: &str = "AWS/Kinesis";
const STREAM_DIMENSION: &str = "StreamName";

/// The alarm as setup wants it: any refused write in a minute notifies the topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct AlarmRequest {
    pub name: String,
    pub stream: String,
    pub topic_arn: String,
}

fn stream_dimension(stream: &str) -> Dimension {
    Dimension::builder()
        .name(STREAM_DIMENSION)
        .value(stream)
        .build()
}

/// One statistic of one metric, per `period` seconds, answered under `id`.
fn stat_query(
    id: &str,
    (namespace, name): (&str, &str),
    dimension: Dimension,
    period: i64,
    stat: &str,
) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    CwMetric::builder()
                        .namespace(namespace)
                        .metric_name(name)
                        .dimensions(dimension)
                        .build(),
                )
                .period(i32::try_from(period).unwrap_or(i32::MAX))
                .stat(stat)
                .build(),
        )
        .return_data(true)
        .build()
}

fn to_epoch(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Aws {
    /// Every metric of [`Metric::ALL`] for `stream` over the last `since`, per period (see
    /// [`metrics::period_for`]; summed, or an age's maximum: [`Metric::stat`]): one
    /// GetMetricData call (more only if CloudWatch pages the answer, which the period is
    /// chosen to avoid).
    pub(crate) async fn stream_metrics(&self, stream: &str, since: Duration) -> Result<Window> {
        let now = SystemTime::now();
        let period = metrics::period_for(since.as_secs());
        // Align to whole periods so each point is one full period; the window ends with the
        // period under way, so what was written a moment ago counts.
        let end = (to_epoch(now) / i64::from(period) + 1) * i64::from(period);
        let start = end - i64::try_from(since.as_secs()).unwrap_or(0);
        let mut window = Window {
            start,
            end,
            period,
            series: BTreeMap::new(),
        };
        let mut next: Option<String> = None;
        loop {
            let mut req = self
                .cloudwatch
                .get_metric_data()
                .start_time(DateTime::from_secs(start))
                .end_time(DateTime::from_secs(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next.clone());
            for m in Metric::ALL {
                req = req.metric_data_queries(stat_query(
                    m.query_id(),
                    (NAMESPACE, m.cloudwatch_name()),
                    stream_dimension(stream),
                    i64::from(period),
                    m.stat(),
                ));
            }
            let out = self.answered(read("cloudwatch", "GetMetricData"), req.send().await)?;
            for r in out.metric_data_results() {
                let Some(metric) = r.id().and_then(Metric::from_query_id) else {
                    continue;
                };
                let series = window.series.entry(metric).or_default();
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    *series.entry(t.secs()).or_default() += *v;
                }
            }
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(window);
            }
        }
    }

    /// Firehose's delivery metrics for `delivery` over the last `since`: one point per metric
    /// for the whole window (one GetMetricData call).
    pub(crate) async fn delivery_metrics(
        &self,
        delivery: &str,
        since: Duration,
    ) -> Result<metrics::DeliveryWindow> {
        let now = to_epoch(SystemTime::now());
        let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX).max(60);
        // One period for the whole window, a multiple of 60 as CloudWatch wants.
        let period = (secs + 59) / 60 * 60;
        let queries = [
            ("read", "DataReadFromKinesisStream.Records", "Sum"),
            ("delivered", "DeliveryToS3.Records", "Sum"),
            ("success", "DeliveryToS3.Success", "Minimum"),
            ("freshness", "DeliveryToS3.DataFreshness", "Maximum"),
        ];
        let mut req = self
            .cloudwatch
            .get_metric_data()
            .start_time(DateTime::from_secs(now - period))
            .end_time(DateTime::from_secs(now + 60));
        for (id, name, stat) in queries {
            req = req.metric_data_queries(stat_query(
                id,
                ("AWS/Firehose", name),
                Dimension::builder()
                    .name("DeliveryStreamName")
                    .value(delivery)
                    .build(),
                period + 60,
                stat,
            ));
        }
        let out = self.answered(read("cloudwatch", "GetMetricData"), req.send().await)?;
        let mut w = metrics::DeliveryWindow::default();
        for r in out.metric_data_results() {
            let values = r.values();
            let (sum, min, max) = (
                values.iter().copied().reduce(|a, b| a + b),
                values.iter().copied().reduce(f64::min),
                values.iter().copied().reduce(f64::max),
            );
            match r.id() {
                Some("read") => w.read = sum,
                Some("delivered") => w.delivered = sum,
                Some("success") => w.success_min = min,
                Some("freshness") => w.freshness_max = max,
                _ => {}
            }
        }
        Ok(w)
    }

    /// The alarm named `name` with its tags, or `None`.
    pub(crate) async fn describe_alarm(&self, name: &str) -> Result<Option<AlarmState>> {
        let req = self.cloudwatch.describe_alarms().alarm_names(name);
        let out = self.answered(read("cloudwatch", "DescribeAlarms"), req.send().await)?;
        let Some(a) = out.metric_alarms().first() else {
            return Ok(None);
        };
        let arn = a.alarm_arn().unwrap_or_default().to_owned();
        let req = self.cloudwatch.list_tags_for_resource().resource_arn(&arn);
        let tags = self.answered(read("cloudwatch", "ListTagsForResource"), req.send().await)?;
        Ok(Some(AlarmState {
            name: a.alarm_name().unwrap_or(name).to_owned(),
            arn,
            state: a
                .state_value()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            metric: a.metric_name().unwrap_or_default().to_owned(),
            threshold: a.threshold().unwrap_or(-1.0),
            period: a.period().unwrap_or(0),
            actions: a.alarm_actions().to_vec(),
            tags: tags
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
        }))
    }

    /// Create or replace the alarm (PutMetricAlarm is an upsert).
    pub(crate) async fn put_alarm(
        &self,
        spec: &AlarmRequest,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut req = self
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(format!(
                "Kinesis refused writes to {} (Buzz does not retry beyond its SDK: events were most likely lost). Made by buzz-kinesis.",
                spec.stream
            ))
            .namespace(NAMESPACE)
            .metric_name(alarm::METRIC)
            .dimensions(stream_dimension(&spec.stream))
            .statistic(Statistic::Sum)
            .period(alarm::PERIOD)
            .evaluation_periods(1)
            .threshold(0.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            // No data means no refused writes (Kinesis publishes nothing for an idle stream).
            .treat_missing_data("notBreaching")
            .alarm_actions(&spec.topic_arn);
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(k).value(v).build());
        }
        self.answered(write("cloudwatch", "PutMetricAlarm"), req.send().await)?;
        Ok(())
    }

    pub(crate) async fn delete_alarm(&self, name: &str) -> Result<()> {
        let req = self.cloudwatch.delete_alarms().alarm_names(name);
        self.answered(write("cloudwatch", "DeleteAlarms"), req.send().await)?;
        Ok(())
    }
}

/// The alarm's changes and its topic's: the topic and its subscriptions through SNS
/// (`aws/sns.rs`), the alarm through CloudWatch, one call each.
impl Apply<Aws, AlarmCx<'_>> for AlarmAction {
    type Outcome = ();

    async fn apply(&self, aws: &Aws, cx: &AlarmCx<'_>) -> Result<()> {
        match self {
            AlarmAction::CreateTopic {
                name,
                tags,
                kms_key,
            } => aws
                .create_topic(name, tags, kms_key.as_deref())
                .await
                .map(drop),
            AlarmAction::SubscribeEmail { email } => {
                aws.subscribe_email(&cx.alarm.topic_arn, email).await
            }
            AlarmAction::PutAlarm { .. } => {
                let tags = crate::parts::managed_tags();
                let spec = AlarmRequest {
                    name: cx.alarm.name.clone(),
                    stream: cx.stream.to_owned(),
                    topic_arn: cx.alarm.topic_arn.clone(),
                };
                aws.put_alarm(&spec, &tags).await
            }
        }
    }
}

impl crate::parts::Remove<Aws> for crate::parts::alarm::AlarmRemoval {
    /// The topic goes with its subscriptions (`aws/sns.rs`).
    async fn remove(&self, aws: &Aws) -> Result<()> {
        use crate::parts::alarm::AlarmRemoval;
        match self {
            AlarmRemoval::DeleteAlarm { name } => aws.delete_alarm(name).await,
            AlarmRemoval::DeleteTopic { arn } => aws.delete_topic(arn).await,
        }
    }
}

/// The alarm as an add-on: read with its topic, CloudWatch and SNS at once.
impl ReadAddOn<Aws> for Alarm {
    async fn read(&self, aws: &Aws, want: &DesiredAlarm) -> Result<AlarmFound> {
        let (alarm, topic) = tokio::try_join!(
            aws.describe_alarm(&want.name),
            aws.describe_topic(&want.topic_arn)
        )?;
        Ok(AlarmFound { alarm, topic })
    }

    /// The alarm and topic setup names after the stream; a read teardown may not make
    /// (teardown of a setup that never had an alarm) goes to `unread`.
    async fn left(
        &self,
        aws: &Aws,
        cx: &AddOnLeftCx<'_>,
        mut unread: &mut dyn FnMut(&'static str, crate::error::Error) -> Result<()>,
    ) -> Result<AlarmFound> {
        let name = alarm::name(cx.stream);
        let topic_arn = arn::topic(
            aws.region.partition(),
            &aws.region,
            cx.account,
            alarm::topic_name(cx.stream),
        );
        let (found, topic) =
            tokio::join!(aws.describe_alarm(&name), aws.describe_topic(&topic_arn));
        Ok(AlarmFound {
            alarm: answered(found, "the alarm", &mut unread)?,
            topic: answered(topic, "the alarm's topic", &mut unread)?,
        })
    }
}

/// The alarm's changes in order: it needs neither the stream nor the role to exist (it
/// watches a metric by name).
impl ApplyAddOn<Aws> for Alarm {
    async fn apply(
        &self,
        aws: &Aws,
        want: &DesiredAlarm,
        _: &AlarmFound,
        planned: &[AlarmAction],
        cx: &AddOnApplyCx<'_>,
    ) -> Result<()> {
        let alarm_cx = AlarmCx {
            stream: cx.run.stream,
            alarm: want,
        };
        for action in planned {
            (cx.run.step)(cx.resource, &action.describe());
            action.apply(aws, &alarm_cx).await?;
        }
        Ok(())
    }
}

/// The alarm's row: the one setup's read found when one was asked for, else the one setup
/// would name after the stream, read now (check says when there is none). A refused read is a
/// warning naming the permissions it needs.
impl CheckAddOn<Aws> for Alarm {
    async fn rows(
        &self,
        aws: &Aws,
        want: Option<&DesiredAlarm>,
        found: &AlarmFound,
        cx: &AddOnCheckCx<'_>,
    ) -> Result<Vec<Check>> {
        let read = match want {
            Some(_) => Ok(found.alarm.clone()),
            None => aws.describe_alarm(&alarm::name(cx.stream)).await,
        };
        Ok(match crate::error::soft(read)? {
            Ok(a) => crate::checks::alarm_rows(a.as_ref(), want.is_some(), cx.stream),
            Err((code, message)) => vec![warn(
                CheckId::Alarm,
                format!("the alarm could not be read: {code}: {message}"),
                "allow cloudwatch:DescribeAlarms and cloudwatch:ListTagsForResource to the identity running check",
            )],
        })
    }
}
