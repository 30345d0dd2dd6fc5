//! A reverse proxy in front of moto that answers chosen operations with AWS-shaped errors
//! (throttling, server errors, AccessDenied), counting what it answered. CloudWatch's
//! RPCv2-CBOR calls get CBOR errors and otherwise go on through the CloudWatch translator:
//! point `AWS_ENDPOINT_URL_CLOUDWATCH` here too to fault them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response};
use serde_json::json;

use super::cloudwatch_cbor;

/// A fault to inject: the next `times` requests of `operation` get this answer.
#[derive(Clone, Copy)]
pub struct AwsFault {
    pub operation: &'static str,
    pub status: u16,
    pub code: &'static str,
    pub times: usize,
}

/// Something to do just before the first request of an operation reaches moto: another
/// actor's change racing the tool's write (run on the proxy's thread, blocking it).
pub type Race = (&'static str, Box<dyn FnOnce() + Send>);

/// An S3 request as it passed: its method, its path and query (path-style: `/BUCKET?tagging`),
/// and its `x-amz-expected-bucket-owner` header.
#[derive(Debug, Clone)]
pub struct S3Request {
    pub method: String,
    pub uri: String,
    pub expected_owner: Option<String>,
}

/// A reverse proxy to moto that answers some operations with AWS-shaped errors first. S3's
/// requests (REST: no target header, no `Action=`) go on through the front the local stack
/// puts before moto (`AWS_ENDPOINT_URL_S3` may point here), each recorded.
pub struct AwsFaultProxy {
    pub url: String,
    hits: Arc<Mutex<HashMap<&'static str, usize>>>,
    s3: Arc<Mutex<Vec<S3Request>>>,
    _server: tokio::task::JoinHandle<()>,
}

fn operation_of(path: &str, headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(op) = cloudwatch_cbor::cbor_operation(path) {
        return op.to_owned();
    }
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().unwrap_or("").to_owned();
    }
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("")
        .to_owned()
}

fn error_answer(path: &str, headers: &HeaderMap, f: &AwsFault) -> Response<Body> {
    if cloudwatch_cbor::cbor_operation(path).is_some() {
        return cloudwatch_cbor::cbor_error(f.status, f.code, "injected by the test proxy");
    }
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
    pub async fn start(faults: Vec<AwsFault>) -> Self {
        Self::start_racing(faults, None).await
    }

    /// [`AwsFaultProxy::start`], and `race` done just before its operation's first request
    /// is forwarded (call the tool from `block_in_place` on a multi-thread runtime).
    pub async fn start_racing(faults: Vec<AwsFault>, race: Option<Race>) -> Self {
        let race = Arc::new(Mutex::new(race));
        let upstream = super::moto().url().to_owned();
        let cloudwatch = super::cloudwatch_url().to_owned();
        let remaining: Arc<Mutex<Vec<AwsFault>>> = Arc::new(Mutex::new(faults));
        let hits: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
        let s3: Arc<Mutex<Vec<S3Request>>> = Arc::default();
        let s3_seen = s3.clone();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let (r, h) = (remaining.clone(), hits.clone());
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let (remaining, hits, http, upstream, cloudwatch, race, s3) = (
                r.clone(),
                h.clone(),
                http.clone(),
                upstream.clone(),
                cloudwatch.clone(),
                race.clone(),
                s3_seen.clone(),
            );
            async move {
                let (parts, body) = req.into_parts();
                let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
                let path = parts.uri.path().to_owned();
                let op = operation_of(&path, &parts.headers, &body);
                let due = {
                    let mut race = race.lock().unwrap();
                    match race.as_ref() {
                        Some((race_op, _)) if *race_op == op => race.take(),
                        _ => None,
                    }
                };
                if let Some((_, act)) = due {
                    tokio::task::block_in_place(act);
                }
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
                    return error_answer(&path, &parts.headers, &f);
                }
                let is_s3 = op.is_empty();
                if is_s3 {
                    s3.lock().unwrap().push(S3Request {
                        method: parts.method.to_string(),
                        uri: parts.uri.to_string(),
                        expected_owner: parts
                            .headers
                            .get("x-amz-expected-bucket-owner")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    });
                }
                let to = if cloudwatch_cbor::cbor_operation(&path).is_some() || is_s3 {
                    &cloudwatch
                } else {
                    &upstream
                };
                cloudwatch_cbor::pass_through(&http, to, parts, body).await
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
            s3,
            _server: server,
        }
    }

    /// Every S3 request that passed, in order.
    pub fn s3_requests(&self) -> Vec<S3Request> {
        self.s3.lock().unwrap().clone()
    }

    pub fn hits(&self, op: &'static str) -> usize {
        self.hits.lock().unwrap().get(op).copied().unwrap_or(0)
    }
}

pub fn fault(operation: &'static str, status: u16, code: &'static str, times: usize) -> AwsFault {
    AwsFault {
        operation,
        status,
        code,
        times,
    }
}
