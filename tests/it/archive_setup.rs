//! `setup --archive-bucket` against moto: the bucket (public access blocked, ACLs off,
//! encrypted, versioned, expiring as asked, TLS only, tagged), Firehose's role, the delivery
//! stream reading our stream with the archive's partitioning, and the Glue table with partition
//! projection, all read back from moto as AWS would answer; a re-run makes no mutating call;
//! other people's buckets and delivery streams are refused with nothing changed.

use serde_json::{json, Value};

use crate::harness::{self, aws_cli, try_aws_cli, Sandbox};
use crate::tool::*;

/// A bucket name of this test run (S3 names are lowercase and global).
fn bucket() -> String {
    harness::unique("archive").to_ascii_lowercase()
}

fn archive_setup(sandbox: &Sandbox, names: &Names, bucket: &str) -> Tool {
    Tool::setup(sandbox, names).args(["--archive-bucket", bucket])
}

fn s3api(args: &[&str]) -> Value {
    let mut all = vec!["s3api"];
    all.extend_from_slice(args);
    aws_cli(&all)
}

/// The database setup names after the stream.
fn database(names: &Names) -> String {
    names.stream.replace('-', "_")
}

#[tokio::test]
async fn setup_makes_the_archive_whole_and_a_rerun_changes_nothing() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    let out = archive_setup(&sandbox, &names, &bucket)
        .args(["--archive-days", "400"])
        .run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["archive"]["outcome"], "created", "{report}");

    // The bucket, every setting as S3 reports it.
    let pab = s3api(&["get-public-access-block", "--bucket", &bucket]);
    assert_eq!(
        pab["PublicAccessBlockConfiguration"],
        json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
    );
    let enc = s3api(&["get-bucket-encryption", "--bucket", &bucket]);
    assert_eq!(
        enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256",
        "{enc}"
    );
    assert_eq!(
        s3api(&["get-bucket-versioning", "--bucket", &bucket])["Status"],
        "Enabled"
    );
    let rules = s3api(&["get-bucket-lifecycle-configuration", "--bucket", &bucket]);
    let expiring: Vec<(String, Value)> = rules["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ID"].as_str().unwrap().to_owned(),
                r["Expiration"]["Days"].clone(),
            )
        })
        .collect();
    assert!(
        expiring.contains(&("expire-events".into(), json!(400))),
        "{rules}"
    );
    let policy: Value = serde_json::from_str(
        s3api(&["get-bucket-policy", "--bucket", &bucket])["Policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        policy["Statement"][0]["Condition"],
        json!({"Bool": {"aws:SecureTransport": "false"}})
    );
    let tags = s3api(&["get-bucket-tagging", "--bucket", &bucket]);
    assert!(
        tags["TagSet"]
            .as_array()
            .unwrap()
            .contains(&json!({"Key": "managed-by", "Value": "buzz-kinesis"})),
        "{tags}"
    );

    // The delivery stream: our stream as its source, through its own role, into the bucket
    // with the archive's partitioning.
    let delivery = format!("{}-archive", names.stream);
    let d = aws_cli(&[
        "firehose",
        "describe-delivery-stream",
        "--delivery-stream-name",
        &delivery,
    ])["DeliveryStreamDescription"]
        .clone();
    assert_eq!(d["DeliveryStreamType"], "KinesisStreamAsSource", "{d}");
    assert_eq!(
        d["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"],
        harness::stream_arn(&names.stream)
    );
    let firehose_role = format!("{}-archive-firehose", names.stream);
    assert_eq!(
        d["Source"]["KinesisStreamSourceDescription"]["RoleARN"],
        harness::role_arn(&firehose_role)
    );
    let s3 = &d["Destinations"][0]["ExtendedS3DestinationDescription"];
    assert_eq!(s3["BucketARN"], format!("arn:aws:s3:::{bucket}"));
    assert_eq!(
        s3["Prefix"],
        "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/"
    );
    assert_eq!(s3["CompressionFormat"], "GZIP");
    assert_eq!(s3["DynamicPartitioningConfiguration"]["Enabled"], true);
    let kinds: Vec<&str> = s3["ProcessingConfiguration"]["Processors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "RecordDeAggregation",
            "MetadataExtraction",
            "AppendDelimiterToRecord"
        ]
    );
    // Firehose's role: trusted by Firehose alone, reading our stream only.
    let (_, trust) = role_view(&firehose_role);
    assert_eq!(
        trust["Statement"][0]["Principal"],
        json!({"Service": "firehose.amazonaws.com"})
    );
    let grant = aws_cli(&[
        "iam",
        "get-role-policy",
        "--role-name",
        &firehose_role,
        "--policy-name",
        "buzz-kinesis-archive",
    ])["PolicyDocument"]
        .clone();
    assert_eq!(
        grant["Statement"][0]["Resource"],
        harness::stream_arn(&names.stream),
        "{grant}"
    );

    // The table: partition projection, so no crawler.
    let table = aws_cli(&[
        "glue",
        "get-table",
        "--database-name",
        &database(&names),
        "--name",
        "events",
    ])["Table"]
        .clone();
    assert_eq!(table["Parameters"]["projection.enabled"], "true", "{table}");
    assert_eq!(
        table["StorageDescriptor"]["Location"],
        format!("s3://{bucket}/events/")
    );
    let keys: Vec<&str> = table["PartitionKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["type", "dt"]);

    // Firehose's error log: the group and stream its logging options name, kept a year.
    let group = format!("/aws/kinesisfirehose/{}-archive", names.stream);
    let groups = aws_cli(&[
        "logs",
        "describe-log-groups",
        "--log-group-name-prefix",
        &group,
    ]);
    assert_eq!(
        groups["logGroups"][0]["logGroupName"],
        group.as_str(),
        "{groups}"
    );
    assert_eq!(groups["logGroups"][0]["retentionInDays"], 365, "{groups}");
    let streams = aws_cli(&["logs", "describe-log-streams", "--log-group-name", &group]);
    assert_eq!(
        streams["logStreams"][0]["logStreamName"], "DestinationDelivery",
        "{streams}"
    );

    // Again: nothing to do, and nothing done.
    let again = archive_setup(&sandbox, &names, &bucket)
        .args(["--archive-days", "400"])
        .run();
    again.assert_success();
    let report = again.json();
    assert_eq!(report["api_calls"]["mutating"], json!(0), "{report}");
    assert_eq!(report["archive"]["outcome"], "unchanged", "{report}");

    // The views, asked for on a later run: three more tables in the catalog, nothing else;
    // then nothing again.
    let views = archive_setup(&sandbox, &names, &bucket)
        .args(["--archive-days", "400", "--archive-views"])
        .run();
    views.assert_success();
    let report = views.json();
    assert_eq!(report["api_calls"]["mutating"], json!(3), "{report}");
    assert_eq!(
        report["archive"]["views"],
        json!([
            "events_per_type_per_day",
            "latest_user_state",
            "events_distinct"
        ]),
        "{report}"
    );
    let again = archive_setup(&sandbox, &names, &bucket)
        .args(["--archive-days", "400", "--archive-views"])
        .run();
    again.assert_success();
    again.assert_no_mutation();
}

#[tokio::test]
async fn the_plan_shows_the_archive_and_its_cost_and_a_dry_run_makes_nothing() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    let out = archive_setup(&sandbox, &names, &bucket)
        .args(["--dry-run", "--output", "human"])
        .run();
    out.assert_code(2);
    for line in [
        format!("+ archive s3://{bucket}: create bucket {bucket}"),
        format!("create Firehose delivery stream {}-archive", names.stream),
        "create Glue table".to_owned(),
        "5 KB steps".to_owned(),
        "JQ processing".to_owned(),
    ] {
        assert!(out.stdout.contains(&line), "{line}\n{}", out.stdout);
    }
    assert!(
        try_aws_cli(&["s3api", "head-bucket", "--bucket", &bucket]).is_err(),
        "a dry run made the bucket"
    );
}

#[tokio::test]
async fn a_bucket_someone_else_made_is_used_only_with_adopt_and_never_over_their_objects() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    s3api(&["create-bucket", "--bucket", &bucket]);
    let out = archive_setup(&sandbox, &names, &bucket).run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "the bucket {bucket} exists and was not made by buzz-kinesis"
        )) && out.stderr.contains("--adopt"),
        "{}",
        out.stderr
    );
    // Refused before anything was made: not even the delivery stream, made last.
    assert!(try_aws_cli(&[
        "firehose",
        "describe-delivery-stream",
        "--delivery-stream-name",
        &format!("{}-archive", names.stream),
    ])
    .is_err());

    // Their objects under our prefix: not even --adopt mixes ours in.
    let file = tempfile::NamedTempFile::new().unwrap();
    s3api(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "events/theirs.json",
        "--body",
        file.path().to_str().unwrap(),
    ]);
    let out = archive_setup(&sandbox, &names, &bucket)
        .arg("--adopt")
        .run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("already holds objects under events/"),
        "{}",
        out.stderr
    );

    // A bucket in another region: Firehose could not deliver there; refused before anything.
    let far = bucket.clone() + "-far";
    s3api(&[
        "create-bucket",
        "--bucket",
        &far,
        "--create-bucket-configuration",
        "LocationConstraint=eu-west-1",
    ]);
    let out = archive_setup(&sandbox, &names, &far).arg("--adopt").run();
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "the bucket {far} is in eu-west-1, not in the stream's region"
        )),
        "{}",
        out.stderr
    );

    // An empty bucket of theirs, adopted: tagged and converged, nothing deleted.
    let other = bucket.clone() + "-b";
    s3api(&["create-bucket", "--bucket", &other]);
    let out = archive_setup(&sandbox, &names, &other).arg("--adopt").run();
    out.assert_success();
    assert_eq!(
        s3api(&["get-bucket-versioning", "--bucket", &other])["Status"],
        "Enabled"
    );
}

#[tokio::test]
async fn teardown_removes_firehose_and_the_table_and_keeps_the_bucket_with_every_object() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    archive_setup(&sandbox, &names, &bucket)
        .arg("--archive-views")
        .run()
        .assert_success();
    // An event Firehose delivered, and a view the user made beside the table and ours.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "{\"type\":\"UserEntityCreated\"}\n").unwrap();
    let key = "events/type=UserEntityCreated/dt=2026-12-05/delivered.gz";
    s3api(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--body",
        file.path().to_str().unwrap(),
    ]);
    aws_cli(&[
        "glue",
        "create-table",
        "--database-name",
        &database(&names),
        "--table-input",
        r#"{"Name": "my_view", "TableType": "VIRTUAL_VIEW"}"#,
    ]);

    let out = Tool::against("teardown", &sandbox, &names).run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["archive"]["outcome"], "deleted", "{report}");
    assert_eq!(report["archive"]["bucket"], bucket.as_str(), "{report}");
    let delivery = format!("{}-archive", names.stream);
    assert!(try_aws_cli(&[
        "firehose",
        "describe-delivery-stream",
        "--delivery-stream-name",
        &delivery
    ])
    .is_err());
    assert!(try_aws_cli(&[
        "iam",
        "get-role",
        "--role-name",
        &format!("{}-archive-firehose", names.stream)
    ])
    .is_err());
    assert!(try_aws_cli(&[
        "glue",
        "get-table",
        "--database-name",
        &database(&names),
        "--name",
        "events"
    ])
    .is_err());
    let group = format!("/aws/kinesisfirehose/{delivery}");
    let groups = aws_cli(&[
        "logs",
        "describe-log-groups",
        "--log-group-name-prefix",
        &group,
    ]);
    assert_eq!(groups["logGroups"], json!([]), "{groups}");
    // Our views went with the table; the user's view keeps the database; the bucket and the
    // event stay.
    let left = aws_cli(&["glue", "get-tables", "--database-name", &database(&names)]);
    let left: Vec<&str> = left["TableList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["my_view"]);
    assert!(try_aws_cli(&["s3api", "head-object", "--bucket", &bucket, "--key", key]).is_ok());
    // Nothing left to do.
    let again = Tool::against("teardown", &sandbox, &names).run();
    again.assert_success();
    again.assert_no_mutation();
}

#[tokio::test]
async fn delete_archive_deletes_the_bucket_with_every_version_only_when_asked_and_typed() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    archive_setup(&sandbox, &names, &bucket)
        .run()
        .assert_success();
    // Two versions of one event object: versioning is on, so both must go.
    let file = tempfile::NamedTempFile::new().unwrap();
    let key = "events/type=GradeChanged/dt=2026-12-05/one.gz";
    for _ in 0..2 {
        s3api(&[
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            key,
            "--body",
            file.path().to_str().unwrap(),
        ]);
    }
    // Without a terminal and without --yes: refused, naming the bucket, nothing changed.
    let no_yes = Tool::new()
        .args(no_yes_args(&sandbox, &names))
        .arg("--delete-archive")
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD);
    let out = no_yes.run();
    out.assert_code(1);
    assert!(
        out.stderr
            .contains(&format!("deleting the archive's bucket {bucket}")),
        "{}",
        out.stderr
    );
    assert!(try_aws_cli(&["s3api", "head-object", "--bucket", &bucket, "--key", key]).is_ok());

    let out = Tool::against("teardown", &sandbox, &names)
        .arg("--delete-archive")
        .run();
    out.assert_success();
    assert!(
        try_aws_cli(&["s3api", "head-bucket", "--bucket", &bucket]).is_err(),
        "the bucket is still there"
    );
    // The stream was not asked for: it stays.
    assert!(try_aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        &names.stream
    ])
    .is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_s3_request_for_the_bucket_names_this_account_as_its_owner() {
    // S3 names are global: each request names the account the bucket must belong to, so S3
    // refuses (403) a bucket of that name someone else made. Setup, its re-run, check and
    // teardown with --delete-archive, through a proxy that records each S3 request.
    let proxy = harness::AwsFaultProxy::start(vec![]).await;
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    let via = |t: Tool| t.env("AWS_ENDPOINT_URL_S3", &proxy.url);
    tokio::task::block_in_place(|| {
        via(archive_setup(&sandbox, &names, &bucket).args(["--archive-days", "400"]))
            .run()
            .assert_success();
        via(archive_setup(&sandbox, &names, &bucket).args(["--archive-days", "400"]))
            .run()
            .assert_success();
        let _ =
            via(Tool::against("check", &sandbox, &names).args(["--archive-bucket", &bucket])).run();
        via(Tool::against("teardown", &sandbox, &names).arg("--delete-archive"))
            .run()
            .assert_success();
    });
    let seen = proxy.s3_requests();
    let ours: Vec<_> = seen
        .iter()
        .filter(|r| r.uri.starts_with(&format!("/{bucket}")))
        .collect();
    assert!(ours.len() >= 16, "{seen:#?}");
    // CreateBucket takes no expected owner (S3 answers BucketAlreadyExists for a name taken).
    let create = |r: &&&harness::S3Request| {
        r.method == "PUT" && r.uri.trim_end_matches('/') == format!("/{bucket}")
    };
    assert_eq!(ours.iter().filter(create).count(), 1, "{ours:#?}");
    let unnamed: Vec<_> = ours
        .iter()
        .filter(|r| !create(r))
        .filter(|r| r.expected_owner.as_deref() != Some(harness::MOTO_ACCOUNT))
        .collect();
    assert!(
        unnamed.is_empty(),
        "without the expected owner: {unnamed:#?}"
    );
    // Firehose's S3 grants hold only for a bucket of this account.
    assert!(
        try_aws_cli(&["s3api", "head-bucket", "--bucket", &bucket]).is_err(),
        "teardown --delete-archive left the bucket"
    );
}

#[tokio::test]
async fn firehose_s_s3_grant_holds_only_for_this_account_s_bucket() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    archive_setup(&sandbox, &names, &bucket)
        .run()
        .assert_success();
    let grant = aws_cli(&[
        "iam",
        "get-role-policy",
        "--role-name",
        &format!("{}-archive-firehose", names.stream),
        "--policy-name",
        "buzz-kinesis-archive",
    ])["PolicyDocument"]
        .clone();
    let s3: Vec<&Value> = grant["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["Action"].to_string().contains("s3:"))
        .collect();
    assert_eq!(s3.len(), 2, "{grant}");
    for st in s3 {
        assert_eq!(
            st["Condition"],
            json!({"StringEquals": {"s3:ResourceAccount": harness::MOTO_ACCOUNT}}),
            "{grant}"
        );
    }
}

#[tokio::test]
async fn a_changed_buffer_updates_the_same_delivery_stream_in_place() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    archive_setup(&sandbox, &names, &bucket)
        .run()
        .assert_success();
    let delivery = format!("{}-archive", names.stream);
    let describe = || {
        aws_cli(&[
            "firehose",
            "describe-delivery-stream",
            "--delivery-stream-name",
            &delivery,
        ])["DeliveryStreamDescription"]
            .clone()
    };
    let before = describe();
    let hints = |d: &Value| {
        d["Destinations"][0]["ExtendedS3DestinationDescription"]["BufferingHints"].clone()
    };
    assert_eq!(hints(&before)["IntervalInSeconds"], 300, "{before}");
    let out = archive_setup(&sandbox, &names, &bucket)
        .args(["--archive-buffer", "120"])
        .run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["api_calls"]["mutating"], json!(1), "{report}");
    let after = describe();
    assert_eq!(hints(&after)["IntervalInSeconds"], 120, "{after}");
    assert_eq!(hints(&after)["SizeInMBs"], 64, "{after}");
    // The same delivery stream: made once, its configuration one version on.
    assert_eq!(after["CreateTimestamp"], before["CreateTimestamp"]);
    assert_eq!(after["DeliveryStreamARN"], before["DeliveryStreamARN"]);
    assert_ne!(after["VersionId"], before["VersionId"]);
    // The rest of its configuration as it was.
    let s3 = &after["Destinations"][0]["ExtendedS3DestinationDescription"];
    assert_eq!(
        s3["Prefix"],
        "events/type=!{partitionKeyFromQuery:type}/dt=!{partitionKeyFromQuery:dt}/"
    );
    assert_eq!(s3["DynamicPartitioningConfiguration"]["Enabled"], true);
    // Converged again: nothing to do (the buffer from the env var, as a config would give it).
    let again = archive_setup(&sandbox, &names, &bucket)
        .env("BUZZ_KINESIS_ARCHIVE_BUFFER", "120")
        .run();
    again.assert_success();
    again.assert_no_mutation();
}

#[tokio::test]
async fn teardown_finds_the_bucket_from_the_table_when_the_delivery_stream_is_gone() {
    // A teardown interrupted after the delivery stream went: the table's location still names
    // the bucket, so --delete-archive finds it; the table goes after it.
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let bucket = bucket();
    archive_setup(&sandbox, &names, &bucket)
        .run()
        .assert_success();
    aws_cli(&[
        "firehose",
        "delete-delivery-stream",
        "--delivery-stream-name",
        &format!("{}-archive", names.stream),
    ]);
    let out = Tool::against("teardown", &sandbox, &names)
        .arg("--delete-archive")
        .run();
    out.assert_success();
    assert!(
        try_aws_cli(&["s3api", "head-bucket", "--bucket", &bucket]).is_err(),
        "the bucket is still there: {}",
        out.stdout
    );
    assert!(try_aws_cli(&[
        "glue",
        "get-table",
        "--database-name",
        &database(&names),
        "--name",
        "events"
    ])
    .is_err());
}

/// teardown's flags for `names` without `--yes` (CI, no terminal).
fn no_yes_args(sandbox: &Sandbox, names: &Names) -> Vec<String> {
    let mut args = vec!["teardown".to_owned(), "--output".into(), "json".into()];
    args.extend(target_args_for("teardown", sandbox, names));
    args
}
