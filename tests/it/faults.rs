//! The fault table: Buzz faults from the sandbox and AWS faults from a proxy in front of moto.
//! Each run ends in success, or in a clear error with no partial Buzz configuration saved.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use serde_json::json;

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// A fault to inject: the next `times` requests of `operation` get this answer.
#[derive(Clone, Copy)]
struct AwsFault {
    operation: &'static str,
    status: u16,
    code: &'static str,
    times: usize,
}

/// A reverse proxy to moto that answers some operations with AWS-shaped errors first.
struct AwsFaultProxy {
    url: String,
    hits: Arc<Mutex<HashMap<&'static str, usize>>>,
    _server: tokio::task::JoinHandle<()>,
}

fn operation_of(headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().unwrap_or("").to_owned();
    }
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("")
        .to_owned()
}

fn error_answer(headers: &HeaderMap, f: &AwsFault) -> Response<Body> {
    let json_protocol = headers.contains_key("x-amz-target");
    let (content_type, body) = if json_protocol {
        (
            "application/x-amz-json-1.1",
            json!({"__type": f.code, "message": "injected by the test proxy"}).to_string(),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>injected by the test proxy</Message></Error><RequestId>test</RequestId></ErrorResponse>",
                f.code
            ),
        )
    };
    Response::builder()
        .status(f.status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("an error response")
}

impl AwsFaultProxy {
    async fn start(faults: Vec<AwsFault>) -> Self {
        let upstream = harness::moto().url().to_owned();
        let remaining: Arc<Mutex<Vec<AwsFault>>> = Arc::new(Mutex::new(faults));
        let hits: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let (r, h) = (remaining.clone(), hits.clone());
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let (remaining, hits, http, upstream) =
                (r.clone(), h.clone(), http.clone(), upstream.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
                let op = operation_of(&parts.headers, &body);
                let fault = {
                    let mut faults = remaining.lock().unwrap();
                    faults
                        .iter_mut()
                        .find(|f| f.operation == op && f.times > 0)
                        .map(|f| {
                            f.times -= 1;
                            *f
                        })
                };
                if let Some(f) = fault {
                    *hits.lock().unwrap().entry(f.operation).or_default() += 1;
                    return error_answer(&parts.headers, &f);
                }
                let mut forward =
                    http.request(parts.method.clone(), format!("{upstream}{}", parts.uri));
                for (k, v) in parts.headers.iter() {
                    if k != "host" && k != "content-length" {
                        forward = forward.header(k, v);
                    }
                }
                match forward.body(body).send().await {
                    Ok(resp) => {
                        let mut out = Response::builder().status(resp.status().as_u16());
                        for (k, v) in resp.headers() {
                            if k != "content-length" && k != "transfer-encoding" {
                                out = out.header(k, v);
                            }
                        }
                        out.body(Body::from(resp.bytes().await.unwrap_or_default()))
                            .expect("a response")
                    }
                    Err(_) => Response::builder()
                        .status(StatusCode::BAD_GATEWAY)
                        .body(Body::empty())
                        .expect("502"),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            hits,
            _server: server,
        }
    }

    fn hits(&self, op: &'static str) -> usize {
        self.hits.lock().unwrap().get(op).copied().unwrap_or(0)
    }
}

fn fault(operation: &'static str, status: u16, code: &'static str, times: usize) -> AwsFault {
    AwsFault {
        operation,
        status,
        code,
        times,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_throttling_and_server_errors_are_retried_to_success() {
    let cases = [
        fault("CreateStream", 400, "LimitExceededException", 2),
        fault("DescribeStreamSummary", 400, "ThrottlingException", 2),
        fault("CreateRole", 400, "Throttling", 2),
        fault("PutRolePolicy", 500, "ServiceFailure", 2),
        fault("GetCallerIdentity", 503, "ServiceUnavailable", 2),
        fault("AddTagsToStream", 500, "InternalFailure", 1),
    ];
    for f in cases {
        let proxy = AwsFaultProxy::start(vec![f]).await;
        let sandbox = Sandbox::start_default();
        let names = Names::new();
        let out = tokio::task::block_in_place(|| {
            Tool::setup(&sandbox, &names)
                .env("AWS_ENDPOINT_URL", &proxy.url)
                .run()
        });
        out.assert_success();
        assert_eq!(
            proxy.hits(f.operation),
            f.times,
            "{} was faulted",
            f.operation
        );
        assert_eq!(
            kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
            1,
            "{}",
            f.operation
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_aws_error_stops_setup_clearly_before_buzz_is_touched() {
    // More throttles than the SDK retries: a clear error with AWS's own code, and nothing saved.
    let proxy = AwsFaultProxy::start(vec![fault("PutRolePolicy", 400, "Throttling", 20)]).await;
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    let out = tokio::task::block_in_place(|| {
        Tool::setup(&sandbox, &names)
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .arg("--output")
            .arg("human")
            .run()
    });
    out.assert_code(1);
    assert!(
        out.stderr.contains("PutRolePolicy") && out.stderr.contains("Throttling"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("service error"), "{}", out.stderr);
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        webhook_config(),
        "no partial Buzz configuration"
    );
    // And once AWS recovers, the same command finishes the job.
    Tool::setup(&sandbox, &names).run().assert_success();
}

#[tokio::test]
async fn buzz_fault_table_ends_in_success_or_a_clear_error() {
    // (kinds, expect success)
    let cases: [(&[&str], bool); 6] = [
        (&["429", "503"], true),
        (&["500", "drop"], true),
        (&["malformed"], true),
        (&["timeout"], true),
        (&["noauth"], true),
        (&["500", "500", "500", "500", "500", "500"], false),
    ];
    for (kinds, ok) in cases {
        let sandbox = Sandbox::start(
            SandboxOptions::new()
                .seed_config(webhook_config())
                .faults(kinds.len() as u64, kinds)
                .faults_after(1)
                .timeout_hold(3),
        );
        let names = Names::new();
        let out = Tool::setup(&sandbox, &names).run();
        let config = sandbox.domain_config(DOMAIN_ID).await;
        if ok {
            out.assert_success();
            assert_eq!(kinesis_targets(&config).len(), 1, "{kinds:?}");
        } else {
            out.assert_code(1);
            assert!(
                out.stderr.contains("gave up after 5 retries"),
                "{kinds:?}: {}",
                out.stderr
            );
            assert_eq!(
                config,
                webhook_config(),
                "{kinds:?}: no partial configuration"
            );
        }
        assert_eq!(config["https"], webhook_config()["https"], "{kinds:?}");
    }
}
