use super::*;
use crate::parts::Change as _;

#[test]
fn each_action_says_what_it_does_and_only_the_first_creates() {
    let cases = [
        (
            DeliveryAction::CreateDeliveryStream {
                name: "n".into(),
                stream_arn: "s".into(),
                bucket: "b".into(),
            },
            "create Firehose delivery stream n reading s into s3://b/events/ (one gzipped JSON line per event, partitioned by type and day)",
            true,
        ),
        (
            DeliveryAction::UpdateDeliveryStream {
                name: "n".into(),
                differs: vec!["prefix".into(), "retry".into()],
                version_id: "1".into(),
                destination_id: "d".into(),
            },
            "update Firehose delivery stream n in place (prefix, retry): it keeps reading where it is",
            false,
        ),
        (
            DeliveryAction::ReplaceDeliveryStream {
                name: "n".into(),
                differs: vec!["bucket".into()],
                stream_arn: "s".into(),
                bucket: "b".into(),
            },
            "replace Firehose delivery stream n (bucket cannot change in place): delete it, then create it; a new one starts at the stream's newest record, so events sent in between are not archived",
            false,
        ),
    ];
    for (action, line, create) in cases {
        assert_eq!(action.describe(), line);
        assert_eq!(action.is_create(), create, "{line}");
        let (before, after) = action.before_after();
        assert_eq!(before, Value::Null);
        assert_eq!(after["name"], "n");
    }
}

#[test]
fn its_row_follows_what_the_delivery_stream_reads_writes_and_logs() {
    let model = crate::parts::fixtures::model(None);
    let stream = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
    let role = "arn:aws:iam::123456789012:role/buzz-events-archive-firehose";
    let made = desired(&model, stream, role);
    let logged = super::super::log::LogState {
        retention_days: Some(14),
        tags: BTreeMap::new(),
        has_stream: true,
    };
    let with = |f: &dyn Fn(&mut DeliveryState)| {
        let mut d = made.clone();
        d.status = "ACTIVE".into();
        f(&mut d);
        d
    };
    let fix = ARCHIVE_AGAIN.to_owned();
    let name = "buzz-events-archive";
    let cases: Vec<(Option<DeliveryState>, Option<&super::super::log::LogState>, Row)> = vec![
        (None, Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} does not exist: no event is archived"), fix.clone())),
        (Some(with(&|_| {})), Some(&logged), Row::Pass(format!("the Firehose delivery stream {name} reads the stream into s3://district-42-buzz/events/"))),
        (Some(with(&|d| d.source_stream_arn = Some("arn:other".into()))), Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} reads arn:other, not {stream}"), "remove it (`buzz-kinesis teardown`, which keeps the bucket), then run setup --archive-bucket again".into())),
        (Some(with(&|d| d.source_stream_arn = None)), Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} reads no Kinesis stream, not {stream}"), "remove it (`buzz-kinesis teardown`, which keeps the bucket), then run setup --archive-bucket again".into())),
        (Some(with(&|d| d.bucket_arn = Some("arn:aws:s3:::elsewhere".into()))), Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} writes to arn:aws:s3:::elsewhere, not to s3://district-42-buzz"), "remove it (`buzz-kinesis teardown`), then run setup with the --archive-bucket it should write to".into())),
        (Some(with(&|d| d.bucket_arn = None)), Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} writes to no S3 bucket, not to s3://district-42-buzz"), "remove it (`buzz-kinesis teardown`), then run setup with the --archive-bucket it should write to".into())),
        (Some(with(&|_| {})), None, Row::Warn(format!("the Firehose delivery stream {name} reads the stream into s3://district-42-buzz/events/, but its error log (/aws/kinesisfirehose/{name}, stream {}) is missing: Firehose's delivery errors are written nowhere", crate::archive::LOG_STREAM), fix.clone())),
        (Some(with(&|d| d.status = "CREATING".into())), Some(&logged), Row::Warn(format!("the Firehose delivery stream {name} is still being made (CREATING)"), "run check again in a minute or two".into())),
        (Some(with(&|d| d.status = "CREATING_FAILED".into())), Some(&logged), Row::Fail(format!("the Firehose delivery stream {name} is CREATING_FAILED"), "look at it in the Firehose console (a failed creation names its cause); remove it with `buzz-kinesis teardown` and run setup --archive-bucket again".into())),
    ];
    for (found, log, want) in cases {
        assert_eq!(row(&model, stream, found.as_ref(), log), want);
    }
    // A log group without the stream Firehose writes to is as good as none.
    let no_stream = super::super::log::LogState {
        has_stream: false,
        ..logged
    };
    assert!(matches!(
        row(&model, stream, Some(&with(&|_| {})), Some(&no_stream)),
        Row::Warn(..)
    ));
}

#[test]
fn teardown_takes_only_the_delivery_stream_setup_made() {
    assert_eq!(teardown(None), Teardown::Nothing);
    assert_eq!(teardown(Some(("d", true))), Teardown::Remove);
    assert_eq!(
        teardown(Some(("d", false))),
        Teardown::Keep(
            "the Firehose delivery stream d was not made by buzz-kinesis (no tag managed-by=buzz-kinesis); it stays".into()
        )
    );
}
