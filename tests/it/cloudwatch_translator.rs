//! The tests' CloudWatch translator (harness/cloudwatch_cbor.rs) on its own: the AWS SDK's real
//! RPCv2-CBOR calls go in, a stand-in for moto answers with JSON recorded from moto 5.2.5's
//! CloudWatch, and the SDK must read the translated answers back with their types (timestamps,
//! doubles) and error codes intact. The suite's CloudWatch tests then run it against moto.

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::config::{Credentials, Region};
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;
use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response};
use serde_json::{json, Value};

use crate::harness::cloudwatch_cbor::{cbor_to_json, json_to_cbor, Shape};

/// What moto 5.2.5 answered (recorded with its JSON protocol).
const DESCRIBE_ALARMS: &str = r#"{"CompositeAlarms": [], "MetricAlarms": [{"AlarmName": "a1", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a1", "AlarmConfigurationUpdatedTimestamp": 1796242010.237, "ActionsEnabled": true, "OKActions": [], "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:t"], "InsufficientDataActions": [], "StateValue": "OK", "StateReason": "Unchecked: Initial alarm creation", "StateReasonData": "{}", "StateUpdatedTimestamp": 1796242010.237, "MetricName": "WriteProvisionedThroughputExceeded", "Namespace": "AWS/Kinesis", "Statistic": "Sum", "Dimensions": [{"Name": "StreamName", "Value": "s1"}], "Period": 60, "EvaluationPeriods": 1, "Threshold": 0.0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", "Metrics": []}]}"#;
const GET_METRIC_DATA: &str = r#"{"MetricDataResults": [{"Id": "incoming", "Label": "IncomingRecords Sum", "Timestamps": [1796242006], "Values": [3.0], "StatusCode": "Complete"}]}"#;
const LIST_TAGS: &str = r#"{"Tags": [{"Key": "managed-by", "Value": "buzz-kinesis"}]}"#;
const NOT_FOUND: &str = r#"{"__type": "GraniteServiceVersion20100801#ResourceNotFound", "message": "An unspecified service error occurred", "Message": "An unspecified service error occurred"}"#;

/// A recorded answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, String);

/// What the stand-in for moto received: the X-Amz-Target and the JSON body of each call.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A translator in front of a stand-in for moto that answers `answer(op)` (status, headers,
/// body), and an SDK client pointed at the translator (no retries: each call is one request).
async fn translator_with(answer: fn(&str) -> Answer) -> (aws_sdk_cloudwatch::Client, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let moto = axum::Router::new().fallback(move |req: Request<Body>| {
        let log = log.clone();
        async move {
            let target = header(req.headers(), "x-amz-target");
            let content_type = header(req.headers(), "content-type");
            assert_eq!(content_type, "application/x-amz-json-1.0");
            let body: Value =
                serde_json::from_slice(&to_bytes(req.into_body(), 1 << 20).await.unwrap()).unwrap();
            log.lock().unwrap().push((target.clone(), body));
            let op = target.rsplit('.').next().unwrap_or_default().to_owned();
            let (status, headers, body) = answer(&op);
            let mut r = Response::builder()
                .status(status)
                .header("content-type", "text");
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.body(Body::from(body)).unwrap()
        }
    });
    let moto_url = serve(moto).await;
    let translator_url = serve(crate::harness::cloudwatch_cbor::router(moto_url)).await;
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(translator_url)
        .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
        .build();
    (aws_sdk_cloudwatch::Client::from_conf(config), seen)
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

fn recorded(op: &str) -> Answer {
    match op {
        "DescribeAlarms" => (200, vec![], DESCRIBE_ALARMS.into()),
        "GetMetricData" => (200, vec![], GET_METRIC_DATA.into()),
        "ListTagsForResource" => (200, vec![], LIST_TAGS.into()),
        _ => (200, vec![], "{}".into()),
    }
}

#[tokio::test]
async fn the_sdks_cbor_calls_reach_moto_as_json_calls() {
    let (client, seen) = translator_with(recorded).await;
    let stream = Dimension::builder().name("StreamName").value("s1").build();
    client
        .get_metric_data()
        .start_time(DateTime::from_secs(1_796_241_400))
        .end_time(DateTime::from_secs_f64(1_796_242_060.5))
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("incoming")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Kinesis")
                                .metric_name("IncomingRecords")
                                .dimensions(stream.clone())
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .return_data(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .put_metric_alarm()
        .alarm_name("a1")
        .threshold(0.0)
        .period(60)
        .dimensions(stream)
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let (target, body) = &seen[0];
    assert_eq!(target, "GraniteServiceVersion20100801.GetMetricData");
    // Timestamps (CBOR tag 1) arrive as the JSON protocol's epoch seconds.
    assert_eq!(body["StartTime"].as_f64(), Some(1_796_241_400.0), "{body}");
    assert_eq!(body["EndTime"].as_f64(), Some(1_796_242_060.5), "{body}");
    let query = &body["MetricDataQueries"][0];
    assert_eq!(
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"],
        "s1"
    );
    assert_eq!(query["MetricStat"]["Period"], 60);
    assert_eq!(query["ReturnData"], true);
    let (target, body) = &seen[1];
    assert_eq!(target, "GraniteServiceVersion20100801.PutMetricAlarm");
    assert_eq!(body["Threshold"].as_f64(), Some(0.0));
    assert_eq!(body["AlarmName"], "a1");
}

#[tokio::test]
async fn moto_s_json_answers_reach_the_sdk_with_their_types() {
    let (client, _) = translator_with(recorded).await;
    let alarms = client
        .describe_alarms()
        .alarm_names("a1")
        .send()
        .await
        .unwrap();
    let a = &alarms.metric_alarms()[0];
    assert_eq!(a.alarm_name(), Some("a1"));
    assert_eq!(a.threshold(), Some(0.0));
    assert_eq!(a.period(), Some(60));
    assert_eq!(a.alarm_actions(), ["arn:aws:sns:us-east-1:123456789012:t"]);
    assert_eq!(a.state_value().map(|s| s.as_str()), Some("OK"));
    // The SDK keeps milliseconds (truncated: .237 as a double is .23699...).
    let updated = a.state_updated_timestamp().unwrap();
    assert_eq!(updated.secs(), 1_796_242_010);
    assert!(
        (updated.as_secs_f64() - 1_796_242_010.237).abs() < 0.002,
        "{updated:?}"
    );
    let data = client.get_metric_data().send().await.unwrap();
    let r = &data.metric_data_results()[0];
    assert_eq!(r.id(), Some("incoming"));
    assert_eq!(r.values(), [3.0]);
    assert_eq!(r.timestamps()[0].secs(), 1_796_242_006);
    let tags = client
        .list_tags_for_resource()
        .resource_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a1")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), Some("managed-by"));
    client
        .delete_alarms()
        .alarm_names("a1")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn moto_s_errors_keep_their_code_and_message() {
    let (client, _) = translator_with(|_| {
        (
            404,
            vec![("x-amzn-query-error", "ResourceNotFound;Sender")],
            NOT_FOUND.into(),
        )
    })
    .await;
    let err = client
        .list_tags_for_resource()
        .resource_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFound"), "{err:?}");
    assert_eq!(err.message(), Some("An unspecified service error occurred"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test]
async fn an_operation_without_a_known_shape_is_refused_by_name() {
    let (client, seen) = translator_with(recorded).await;
    let err = client.list_dashboards().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnknownOperationException"), "{err:?}");
    assert!(err.message().unwrap().contains("ListDashboards"), "{err:?}");
    assert!(seen.lock().unwrap().is_empty(), "nothing reached moto");
}

#[test]
fn cbor_reads_indefinite_lengths_and_tagged_timestamps() {
    // {_ "StartTime": 1(1796241400.5), "Ids": [_ "a", "b"], "N": -3}, as the SDK's encoder
    // writes maps (indefinite length), with a float timestamp.
    let mut bytes = vec![0xbf, 0x69];
    bytes.extend(b"StartTime");
    bytes.extend([0xc1, 0xfb]);
    bytes.extend(1_796_241_400.5f64.to_be_bytes());
    bytes.extend([0x63, b'I', b'd', b's', 0x9f, 0x61, b'a', 0x61, b'b', 0xff]);
    bytes.extend([0x61, b'N', 0x22, 0xff]);
    assert_eq!(
        cbor_to_json(&bytes).unwrap(),
        json!({"StartTime": 1_796_241_400.5, "Ids": ["a", "b"], "N": -3})
    );
    assert!(
        cbor_to_json(&[0xc2, 0x41, 0x01]).is_err(),
        "a bignum is refused"
    );
    assert!(
        cbor_to_json(&[0xa0, 0x00]).is_err(),
        "trailing bytes are refused"
    );
}

#[test]
fn json_numbers_get_the_shape_s_cbor_types() {
    let shape = Shape {
        timestamps: &["Timestamps"],
        doubles: &["Values"],
    };
    let cbor = json_to_cbor(
        &json!({"Timestamps": [60], "Values": [3], "Period": 60, "Gone": null}),
        &shape,
    )
    .unwrap();
    let mut expected = vec![0xa3];
    expected.extend([0x6a]);
    expected.extend(b"Timestamps");
    expected.extend([0x81, 0xc1, 0x18, 60]); // [1(60)]
    expected.extend([0x66]);
    expected.extend(b"Values");
    expected.extend([0x81, 0xfb]); // [3.0] as a double, though JSON wrote 3
    expected.extend(3.0f64.to_be_bytes());
    expected.extend([0x66]);
    expected.extend(b"Period");
    expected.extend([0x18, 60]); // an integer stays one
    assert_eq!(cbor, expected);
}
