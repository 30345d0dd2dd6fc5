use super::*;

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
