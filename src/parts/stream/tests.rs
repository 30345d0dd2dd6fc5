//! The stream's check rows over the states they meet: it exists and is ACTIVE, keeps records
//! long enough, is encrypted as asked (the key compared by its ARN), and takes the load.

use std::collections::BTreeMap;

use super::rows as stream_rows;
use crate::checklist::fixtures::{expect, verdicts};
use crate::checklist::{Expect, Status};
use crate::names::{Encryption, KmsKey, RetentionHours};
use crate::sizing::{Capacity, Load};
use crate::state::{StreamState, StreamStatus};

const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";

fn stream() -> StreamState {
    StreamState {
        arn: STREAM_ARN.into(),
        status: StreamStatus::Active,
        capacity: Some(Capacity::OnDemand),
        open_shards: 4,
        retention: RetentionHours::DEFAULT,
        kms_key: Some("alias/aws/kinesis".into()),
        tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
    }
}

#[test]
fn stream_rows_over_states() {
    use Status::*;
    let e = expect();
    let missing = stream_rows("buzz-events", "us-east-1", None, &e);
    assert_eq!(verdicts(&missing), [("stream.exists", Fail)]);
    assert!(missing[0].message.contains("us-east-1"));

    let healthy = stream_rows("buzz-events", "us-east-1", Some(&stream()), &e);
    assert!(healthy.iter().all(|c| c.status == Pass), "{healthy:?}");
    assert_eq!(healthy.len(), 4);

    let mut deleting = stream();
    deleting.status = StreamStatus::Deleting;
    let rows = stream_rows("buzz-events", "us-east-1", Some(&deleting), &e);
    assert_eq!(verdicts(&rows), [("stream.exists", Fail)]);

    let mut updating = stream();
    updating.status = StreamStatus::from_aws("UPDATING");
    let rows = stream_rows("buzz-events", "us-east-1", Some(&updating), &e);
    assert_eq!(rows[0].status, Warn);

    let mut long = expect();
    long.retention = RetentionHours::parse("--retention-hours", "168").unwrap();
    let rows = stream_rows("buzz-events", "us-east-1", Some(&stream()), &long);
    assert_eq!(rows[1].status, Fail);
    assert!(rows[1].message.contains("below the requested 168 h"));

    let mut kms = expect();
    kms.encryption = Encryption::Key(
        KmsKey::parse(
            "--kms-key",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
        .unwrap(),
    );
    let rows = stream_rows("buzz-events", "us-east-1", Some(&stream()), &kms);
    assert_eq!(
        (rows[2].id.as_str(), rows[2].status),
        ("stream.encryption", Fail)
    );

    let mut busy = expect();
    busy.load = Some(Load {
        events_per_second: 50_000.0,
        avg_event_bytes: 1000.0,
    });
    let mut small = stream();
    small.capacity = Some(Capacity::Provisioned(
        crate::names::ShardCount::parse("--shards", "1").unwrap(),
    ));
    let rows = stream_rows("buzz-events", "us-east-1", Some(&small), &busy);
    assert_eq!(
        (rows[3].id.as_str(), rows[3].status),
        ("stream.capacity", Warn)
    );
}

#[test]
fn an_unencrypted_stream_warns_with_the_fix_unless_the_user_opted_out() {
    use Status::*;
    let mut plain = stream();
    plain.kms_key = None;
    let row = |e: &Expect, s: &StreamState| {
        stream_rows("buzz-events", "us-east-1", Some(s), e)
            .into_iter()
            .find(|c| c.id == "stream.encryption")
            .unwrap()
    };
    let mut e = expect();
    let warned = row(&e, &plain);
    assert_eq!(warned.status, Warn);
    assert!(
        warned.message.contains("not encrypted at rest"),
        "{warned:?}"
    );
    assert!(
        warned
            .fix
            .as_deref()
            .unwrap()
            .contains("--kms-key alias/aws/kinesis"),
        "{warned:?}"
    );
    // Any key passes when none was named; the named key must be the stream's.
    assert_eq!(row(&e, &stream()).status, Pass);
    e.encryption = Encryption::Off;
    let opted_out = row(&e, &plain);
    assert_eq!(opted_out.status, Pass);
    assert!(opted_out.message.contains("--no-encryption"));
    e.encryption = Encryption::Key(KmsKey::parse("--kms-key", "alias/aws/kinesis").unwrap());
    assert_eq!(row(&e, &stream()).status, Pass);
    assert_eq!(row(&e, &plain).status, Fail);
}

#[test]
fn kms_key_is_compared_with_the_streams_key_by_arn() {
    use Status::*;
    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/district";
    let aliased = StreamState {
        kms_key: Some("alias/district-data".into()),
        ..stream()
    };
    let mut e = expect();
    e.key = Some(crate::state::ResolvedKey {
        named: "alias/district-data".into(),
        arn: Some(ARN.into()),
        aws_managed: false,
    });
    let row_of = |e: &Expect, s: &StreamState| {
        stream_rows("buzz-events", "us-east-1", Some(s), e)
            .into_iter()
            .find(|c| c.id == "stream.encryption")
            .unwrap()
    };
    let row = |e: &Expect| row_of(e, &aliased);
    // No --kms-key: the key is named with its ARN.
    let r = row(&e);
    assert_eq!(r.status, Pass);
    assert_eq!(
        r.message,
        format!("encrypted with alias/district-data ({ARN})")
    );
    // The key's ARN names the stream's alias: the same key.
    e.encryption = Encryption::Key(KmsKey::parse("--kms-key", ARN).unwrap());
    assert_eq!(row(&e).status, Pass, "{:?}", row(&e));
    // Another key: FAIL, both named.
    let other = "arn:aws:kms:us-east-1:123456789012:key/other";
    e.encryption = Encryption::Key(KmsKey::parse("--kms-key", other).unwrap());
    let r = row(&e);
    assert_eq!(r.status, Fail);
    assert_eq!(
        r.message,
        format!("the stream is encrypted with alias/district-data ({ARN}) instead of {other}")
    );
    assert!(
        r.fix.as_deref().unwrap().contains("without --kms-key"),
        "{r:?}"
    );
    // Unresolved (no read of the key), compared by name.
    e.key = None;
    e.encryption = Encryption::Key(KmsKey::parse("--kms-key", ARN).unwrap());
    assert_eq!(row(&e).status, Fail);
    let mut by_arn = stream();
    by_arn.kms_key = Some(ARN.into());
    assert_eq!(row_of(&e, &by_arn).status, Pass);
}
