//! The archive's rows (`--archive-bucket`): the bucket, the delivery stream reading our stream,
//! Firehose's role evaluated like the Buzz role, objects under the error prefix, the newest
//! archived event; and, for any consumer of the stream (the archive or another), how far
//! behind it reads against the retention period.

use super::{fail, pass, warn, Check, CheckId};
use crate::iam::Grants;
use crate::names::RetentionHours;
use crate::parts::{self, ArchiveState, Row};
use crate::plan::DesiredArchive;
use crate::text::span;

/// What check read of the archive's objects: how many under the error prefix, and the newest
/// event object's age (`None`: no object yet), of at most `scanned` objects listed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct ArchiveObjects {
    pub errors: usize,
    pub newest_event_age_secs: Option<i64>,
    /// The listing stopped at its cap: the newest may be among those not listed.
    pub capped: bool,
}

/// The archive's rows.
pub(crate) fn archive_rows(
    want: &DesiredArchive,
    seen: &ArchiveState,
    grants: Option<&Grants>,
    objects: Option<&ArchiveObjects>,
) -> Vec<Check> {
    let bucket = want.model.bucket.as_str();
    let cx = parts::RowCx {
        model: &want.model,
        stream_arn: &want.stream_arn,
        account: &want.account,
        grants,
    };
    let mut rows: Vec<Check> = parts::archive_rows(&cx, seen)
        .into_iter()
        .map(|(id, row)| part_row(CheckId::Part(id), row))
        .collect();
    if let Some(o) = objects {
        rows.push(if o.errors > 0 {
            fail(
                CheckId::ArchiveErrors,
                format!(
                    "{}{} object(s) under s3://{bucket}/errors/: events Firehose could not partition or deliver",
                    o.errors,
                    if o.capped { "+" } else { "" }
                ),
                format!("read one (`aws s3 ls --recursive s3://{bucket}/errors/`, then `aws s3 cp s3://{bucket}/KEY - | gunzip`): a record that is not JSON, or an event without a string type or a time of at least 10 characters, lands there; a refused S3 write never does (Firehose retries it while the stream keeps the records: see archive.metrics and stream.consumers); move them away once read"),
            )
        } else {
            pass(CheckId::ArchiveErrors, format!("no object under s3://{bucket}/errors/"))
        });
        rows.push(match o.newest_event_age_secs {
            None => warn(
                CheckId::ArchiveObjects,
                format!("no event has been archived under s3://{bucket}/events/ yet"),
                format!("Firehose writes within about {} of an event (its buffer interval, --archive-buffer); if Buzz has sent events since, look at archive.delivery and archive.role", span(buffer_secs(want, seen))),
            ),
            Some(age) => pass(
                CheckId::ArchiveObjects,
                format!(
                    "the newest archived object is {} old{}",
                    span(age.max(0).unsigned_abs()),
                    if o.capped { " (of the objects listed)" } else { "" }
                ),
            ),
        });
    }
    rows
}

/// A part's row, under its id.
fn part_row(id: CheckId, row: Row) -> Check {
    match row {
        Row::Pass(message) => pass(id, message),
        Row::Warn(message, fix) => warn(id, message, fix),
        Row::Fail(message, fix) => fail(id, message, fix),
    }
}

/// How long Firehose holds an event before it writes: the delivery stream's own buffer
/// interval as read, else the one setup would give it (`--archive-buffer`).
pub(crate) fn buffer_secs(want: &DesiredArchive, seen: &ArchiveState) -> u64 {
    let interval = seen.delivery.as_ref().and_then(|d| d.buffer_seconds);
    u64::from(interval.unwrap_or(want.model.buffer.get()))
}

/// Firehose's own delivery metrics over check's window (`window`: how it is said, "24 h");
/// `Err((code, message))` when CloudWatch could not be read.
pub(crate) fn delivery_metrics_row(
    seen: &std::result::Result<crate::metrics::DeliveryWindow, (String, String)>,
    window: &str,
    log_group: &str,
    buffer_secs: u64,
) -> Check {
    let m = match seen {
        Ok(m) => m,
        Err((code, message)) => {
            return warn(
                CheckId::ArchiveMetrics,
                format!("Firehose's delivery metrics could not be read: {code}: {message}"),
                "allow cloudwatch:GetMetricData to the identity running check",
            )
        }
    };
    let n = |v: Option<f64>| v.unwrap_or(0.0).round() as u64;
    if m.read.is_none() && m.delivered.is_none() && m.success_min.is_none() {
        return warn(
            CheckId::ArchiveMetrics,
            format!("Firehose published no delivery metrics in the last {window}: it has read nothing from the stream"),
            "Firehose publishes them once it reads records; if Buzz sent events in the window, look at archive.delivery and archive.role",
        );
    }
    if let Some(s) = m.success_min.filter(|s| *s < 1.0) {
        return fail(
            CheckId::ArchiveMetrics,
            format!("deliveries to S3 failed in the last {window} (DeliveryToS3.Success fell to {s:.2}): Firehose retries them while the stream keeps the records, writes nothing under errors/ for them, and events are lost once the stream's retention passes"),
            format!("Firehose's error log ({log_group}) names the cause; check archive.role and the bucket's policy; the stream's iterator age (stream.consumers) says how close the records are to expiring"),
        );
    }
    if n(m.read) > 0 && n(m.delivered) == 0 {
        return fail(
            CheckId::ArchiveMetrics,
            format!("Firehose read {} record(s) from the stream in the last {window} and delivered none to S3", n(m.read)),
            format!("Firehose's error log ({log_group}) and archive.errors name the cause"),
        );
    }
    let waited = m.freshness_max.unwrap_or(0.0).max(0.0) as u64;
    let said = format!(
        "Firehose read {} record(s) and delivered {} event(s) to S3 in the last {window}; the oldest waited {}",
        n(m.read),
        n(m.delivered),
        span(waited)
    );
    // It holds an event for its buffer interval and retries a failed delivery for
    // RETRY_SECONDS: five minutes past both, something holds it back.
    if waited > buffer_secs + u64::from(crate::archive::RETRY_SECONDS) + 300 {
        warn(
            CheckId::ArchiveMetrics,
            said,
            format!("events wait in Firehose before they reach S3: its error log ({log_group}) says why"),
        )
    } else {
        pass(CheckId::ArchiveMetrics, said)
    }
}

/// How far behind the stream's slowest consumer reads (`GetRecords.IteratorAgeMilliseconds`,
/// the window's maximum), against the retention: a consumer that falls behind by the
/// retention period loses what expires before it reads it. Warn at half, fail at 90 %.
pub(crate) fn consumer_row(max_age_ms: Option<f64>, retention: RetentionHours) -> Option<Check> {
    let age = max_age_ms?;
    let retention_ms = f64::from(retention.get()) * 3_600_000.0;
    let share = age / retention_ms;
    let behind = span((age / 1000.0) as u64);
    let hours = retention.get();
    Some(if share >= 0.9 {
        fail(
            CheckId::StreamConsumers,
            format!("a consumer of the stream (the archive or another) reads {behind} behind, {:.0}% of the {hours} h retention: records expire before it reads them", share * 100.0),
            "find the slow consumer (the archive's delivery stream: look at archive.role and its error log) and make it keep up; raising --retention-hours buys time",
        )
    } else if share >= 0.5 {
        warn(
            CheckId::StreamConsumers,
            format!("a consumer of the stream (the archive or another) reads {behind} behind, {:.0}% of the {hours} h retention", share * 100.0),
            "find the slow consumer before records expire unread; raising --retention-hours buys time",
        )
    } else {
        pass(
            CheckId::StreamConsumers,
            format!("the stream's consumers read at most {behind} behind ({hours} h retention)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::ArchiveRefs;
    use crate::checks::Status;
    use crate::parts::bucket::{BucketObserved, BucketState};
    use crate::plan::archive::tests::{converged, desired, STREAM_ARN};

    /// The parts' rows, by the ids scripts match on.
    const BUCKET: CheckId = CheckId::Part("archive.bucket");
    const DELIVERY: CheckId = CheckId::Part("archive.delivery");
    const ROLE: CheckId = CheckId::Part("archive.role");

    /// Firehose's role with the policy setup writes.
    fn grants(d: &DesiredArchive) -> Grants {
        let policy = d.model.permission(&ArchiveRefs {
            account: "123456789012",
            stream_arn: STREAM_ARN,
            log_stream_arn: "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s",
            kinesis_service: "kinesis.us-east-1.amazonaws.com",
            s3_service: "s3.us-east-1.amazonaws.com",
        });
        Grants::identity(&[policy])
    }

    fn healthy() -> ArchiveObjects {
        ArchiveObjects {
            errors: 0,
            newest_event_age_secs: Some(95),
            capped: false,
        }
    }

    fn said(rows: &[Check], id: CheckId) -> (Status, String) {
        let r = rows.iter().find(|r| r.id == id).expect("the row");
        (r.status, r.message.clone())
    }

    #[test]
    fn a_healthy_archive_passes_every_row() {
        let d = desired(None);
        let rows = archive_rows(&d, &converged(&d), Some(&grants(&d)), Some(&healthy()));
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "archive.bucket",
                "archive.role",
                "archive.delivery",
                "archive.errors",
                "archive.objects"
            ]
        );
        assert!(rows.iter().all(|r| r.status == Status::Pass), "{rows:?}");
        assert_eq!(
            said(&rows, CheckId::ArchiveObjects).1,
            "the newest archived object is 1 min old"
        );
        // Without the objects (the bucket could not be read), their rows are not made up.
        assert_eq!(
            archive_rows(&d, &converged(&d), Some(&grants(&d)), None).len(),
            3
        );
    }

    #[test]
    fn the_bucket_row_is_the_bucket_parts_under_its_id() {
        let d = desired(None);
        for (bucket, status) in [
            (BucketObserved::Missing, Status::Fail),
            (BucketObserved::Here(BucketState::default()), Status::Warn),
        ] {
            let seen = ArchiveState {
                bucket,
                ..converged(&d)
            };
            let rows = archive_rows(&d, &seen, Some(&grants(&d)), None);
            let (s, message) = said(&rows, BUCKET);
            assert_eq!(s, status, "{message}");
            assert!(
                message.starts_with("the bucket district-42-buzz "),
                "{message}"
            );
        }
        let fixes = [
            Row::Pass("p".into()),
            Row::Warn("w".into(), "fw".into()),
            Row::Fail("f".into(), "ff".into()),
        ]
        .map(|r| part_row(BUCKET, r));
        assert_eq!(
            fixes.iter().map(|c| c.status).collect::<Vec<_>>(),
            [Status::Pass, Status::Warn, Status::Fail]
        );
        assert_eq!(fixes[1].fix.as_deref(), Some("fw"));
        assert_eq!(fixes[2].fix.as_deref(), Some("ff"));
        assert!(fixes.iter().all(|c| c.id == BUCKET));
    }

    #[test]
    fn the_delivery_row_follows_the_delivery_stream() {
        let d = desired(None);
        let with = |change: fn(&mut crate::parts::delivery::DeliveryState)| {
            let mut seen = converged(&d);
            if let Some(x) = seen.delivery.as_mut() {
                change(x);
            }
            said(&archive_rows(&d, &seen, Some(&grants(&d)), None), DELIVERY)
        };
        assert_eq!(with(|_| {}).0, Status::Pass);
        let (s, m) = with(|x| x.source_stream_arn = Some("arn:other".into()));
        assert!(
            s == Status::Fail && m.contains("reads arn:other, not"),
            "{m}"
        );
        let (s, m) = with(|x| x.bucket_arn = Some("arn:aws:s3:::elsewhere".into()));
        assert!(
            s == Status::Fail && m.contains("writes to arn:aws:s3:::elsewhere"),
            "{m}"
        );
        assert_eq!(with(|x| x.status = "CREATING".into()).0, Status::Warn);
        // Its error log gone (or its stream): a warning naming both, the fix setup.
        for log in [
            None,
            Some(crate::parts::log::LogState {
                has_stream: false,
                ..converged(&d).log.unwrap()
            }),
        ] {
            let seen = ArchiveState {
                log,
                ..converged(&d)
            };
            let rows = archive_rows(&d, &seen, Some(&grants(&d)), None);
            let (s, m) = said(&rows, DELIVERY);
            assert_eq!(s, Status::Warn);
            assert!(
                m.ends_with("but its error log (/aws/kinesisfirehose/buzz-events-archive, stream DestinationDelivery) is missing: Firehose's delivery errors are written nowhere"),
                "{m}"
            );
            let hint = rows.iter().find(|r| r.id == DELIVERY).unwrap();
            assert_eq!(
                hint.fix.as_deref(),
                Some(crate::parts::ARCHIVE_AGAIN),
                "{hint:?}"
            );
        }
        let (s, m) = with(|x| x.status = "CREATING_FAILED".into());
        assert!(
            s == Status::Fail && m.ends_with("is CREATING_FAILED"),
            "{m}"
        );
        let seen = ArchiveState {
            delivery: None,
            ..converged(&d)
        };
        let (s, m) = said(&archive_rows(&d, &seen, Some(&grants(&d)), None), DELIVERY);
        assert!(s == Status::Fail && m.contains("does not exist"), "{m}");
    }

    #[test]
    fn the_role_row_is_firehoses_role_parts_under_its_id() {
        // The judgement itself is `parts::firehose_role::row`'s (its tests); here, what check
        // hands it: the role's grants only when the role exists, the stream, the account.
        const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/district";
        for key in [None, Some(KEY)] {
            let d = desired(key);
            let role = |seen: &ArchiveState, g: Option<&Grants>| {
                said(&archive_rows(&d, seen, g, None), ROLE)
            };
            let (s, m) = role(&converged(&d), Some(&grants(&d)));
            assert_eq!(
                (s, m.as_str()),
                (
                    Status::Pass,
                    "Firehose's role buzz-events-archive-firehose may read the stream and write the archive"
                )
            );
            let gone = ArchiveState {
                role: None,
                ..converged(&d)
            };
            for (seen, g) in [(&gone, Some(&grants(&d))), (&converged(&d), None)] {
                let (s, m) = role(seen, g);
                assert_eq!(
                    (s, m.as_str()),
                    (
                        Status::Fail,
                        "Firehose's role buzz-events-archive-firehose does not exist"
                    )
                );
            }
        }
        // The account is check's: another's bucket is not granted.
        let d = DesiredArchive {
            account: "210987654321".into(),
            ..desired(None)
        };
        let (s, m) = said(
            &archive_rows(&d, &converged(&d), Some(&grants(&d)), None),
            ROLE,
        );
        assert!(
            s == Status::Fail && m.contains("may not s3:ListBucket"),
            "{m}"
        );
    }

    #[test]
    fn errors_fail_with_their_count_and_no_object_yet_warns() {
        let d = desired(None);
        let rows =
            |o: ArchiveObjects| archive_rows(&d, &converged(&d), Some(&grants(&d)), Some(&o));
        let r = rows(ArchiveObjects {
            errors: 3,
            ..healthy()
        });
        let (s, m) = said(&r, CheckId::ArchiveErrors);
        assert!(
            s == Status::Fail && m.starts_with("3 object(s) under s3://district-42-buzz/errors/"),
            "{m}"
        );
        let r = rows(ArchiveObjects {
            errors: 10_000,
            capped: true,
            newest_event_age_secs: Some(7200),
        });
        assert!(said(&r, CheckId::ArchiveErrors)
            .1
            .starts_with("10000+ object(s)"));
        assert_eq!(
            said(&r, CheckId::ArchiveObjects).1,
            "the newest archived object is 2 h old (of the objects listed)"
        );
        let r = rows(ArchiveObjects {
            newest_event_age_secs: None,
            ..healthy()
        });
        assert_eq!(said(&r, CheckId::ArchiveObjects).0, Status::Warn);
        // How long Firehose holds an event: the delivery stream's interval as read.
        let mut seen = converged(&d);
        assert_eq!(buffer_secs(&d, &seen), 300);
        seen.delivery.as_mut().unwrap().buffer_seconds = Some(900);
        assert_eq!(buffer_secs(&d, &seen), 900);
        let r = archive_rows(
            &d,
            &seen,
            Some(&grants(&d)),
            Some(&ArchiveObjects {
                newest_event_age_secs: None,
                ..healthy()
            }),
        );
        let fix = r
            .iter()
            .find(|c| c.id == CheckId::ArchiveObjects)
            .and_then(|c| c.fix.clone())
            .unwrap_or_default();
        assert!(
            fix.starts_with("Firehose writes within about 15 min of an event"),
            "{fix}"
        );
        seen.delivery = None;
        assert_eq!(buffer_secs(&d, &seen), 300, "the model's, with none read");
    }

    #[test]
    fn a_consumer_behind_warns_at_half_the_retention_and_fails_at_ninety_percent() {
        let day = RetentionHours::DEFAULT;
        let hours = |h: f64| Some(h * 3_600_000.0);
        assert_eq!(consumer_row(None, day), None);
        let status = |age| consumer_row(age, day).map(|c| c.status);
        assert_eq!(status(hours(11.9)), Some(Status::Pass));
        assert_eq!(status(hours(12.0)), Some(Status::Warn));
        assert_eq!(status(hours(21.5)), Some(Status::Warn));
        assert_eq!(status(hours(21.6)), Some(Status::Fail));
        let row = consumer_row(hours(13.0), day).unwrap();
        assert_eq!(
            row.message,
            "a consumer of the stream (the archive or another) reads 13 h behind, 54% of the 24 h retention"
        );
        // Against a longer retention, the same lag is fine.
        let week = RetentionHours::parse("--retention-hours", "168").unwrap();
        assert_eq!(
            consumer_row(hours(13.0), week).map(|c| c.status),
            Some(Status::Pass)
        );
    }

    #[test]
    fn firehoses_metrics_pass_a_flowing_delivery_and_name_a_stuck_one() {
        use crate::metrics::DeliveryWindow;
        let row =
            |m: DeliveryWindow| delivery_metrics_row(&Ok(m), "1 h", "/aws/kinesisfirehose/x", 300);
        let flowing = DeliveryWindow {
            read: Some(40.0),
            delivered: Some(120.0),
            success_min: Some(1.0),
            freshness_max: Some(61.0),
        };
        let r = row(flowing);
        assert_eq!(r.status, Status::Pass);
        assert_eq!(
            r.message,
            "Firehose read 40 record(s) and delivered 120 event(s) to S3 in the last 1 h; the oldest waited 1 min"
        );
        assert_eq!(row(DeliveryWindow::default()).status, Status::Warn);
        let failed = row(DeliveryWindow {
            success_min: Some(0.5),
            ..flowing
        });
        assert_eq!(failed.status, Status::Fail);
        assert!(
            failed.message.contains("DeliveryToS3.Success fell to 0.50"),
            "{}",
            failed.message
        );
        assert!(failed.fix.unwrap().contains("/aws/kinesisfirehose/x"));
        let none_delivered = row(DeliveryWindow {
            delivered: None,
            ..flowing
        });
        assert_eq!(none_delivered.status, Status::Fail);
        assert!(
            none_delivered.message.contains("read 40 record(s)")
                && none_delivered.message.contains("delivered none")
        );
        // Waiting past 15 minutes warns; at 15 it does not.
        assert_eq!(
            row(DeliveryWindow {
                freshness_max: Some(900.0),
                ..flowing
            })
            .status,
            Status::Pass
        );
        assert_eq!(
            row(DeliveryWindow {
                freshness_max: Some(901.0),
                ..flowing
            })
            .status,
            Status::Warn
        );
        // The limit moves with the buffer interval: at 900 s, an event may wait 25 minutes.
        let slow = |secs: f64| {
            delivery_metrics_row(
                &Ok(DeliveryWindow {
                    freshness_max: Some(secs),
                    ..flowing
                }),
                "1 h",
                "g",
                900,
            )
            .status
        };
        assert_eq!(slow(1500.0), Status::Pass);
        assert_eq!(slow(1501.0), Status::Warn);
        // Only delivered (a window that saw no read) is not "read but none delivered".
        assert_eq!(
            row(DeliveryWindow {
                read: None,
                ..flowing
            })
            .status,
            Status::Pass
        );
        let unreadable =
            delivery_metrics_row(&Err(("AccessDenied".into(), "no".into())), "1 h", "g", 300);
        assert!(
            unreadable.status == Status::Warn && unreadable.message.contains("AccessDenied: no")
        );
    }

    #[test]
    fn records_read_with_no_delivery_metric_at_all_are_a_stuck_delivery_not_an_idle_one() {
        use crate::metrics::DeliveryWindow;
        // Firehose read from the stream but published nothing of S3 (no success, no count):
        // what it read is not reaching the bucket.
        let r = delivery_metrics_row(
            &Ok(DeliveryWindow {
                read: Some(40.0),
                ..DeliveryWindow::default()
            }),
            "1 h",
            "g",
            300,
        );
        assert_eq!(r.status, Status::Fail, "{}", r.message);
        assert!(r.message.contains("delivered none"), "{}", r.message);
        // Only a success published (nothing read or delivered counted): not "read nothing".
        let r = delivery_metrics_row(
            &Ok(DeliveryWindow {
                success_min: Some(1.0),
                ..DeliveryWindow::default()
            }),
            "1 h",
            "g",
            300,
        );
        assert_eq!(r.status, Status::Pass, "{}", r.message);
    }

    #[test]
    fn a_window_that_read_nothing_and_delivered_nothing_is_not_a_stuck_delivery() {
        use crate::metrics::DeliveryWindow;
        let r = delivery_metrics_row(
            &Ok(DeliveryWindow {
                read: Some(0.0),
                delivered: Some(0.0),
                success_min: Some(1.0),
                freshness_max: Some(0.0),
            }),
            "1 h",
            "g",
            300,
        );
        assert_eq!(r.status, Status::Pass, "{}", r.message);
        assert_eq!(
            r.message,
            "Firehose read 0 record(s) and delivered 0 event(s) to S3 in the last 1 h; the oldest waited 0 s"
        );
    }
}
