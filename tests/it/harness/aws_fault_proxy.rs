//! A reverse proxy in front of moto that answers chosen operations with AWS-shaped errors
//! (throttling, server errors, AccessDenied), counting what it answered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use serde_json::json;

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

/// A reverse proxy to moto that answers some operations with AWS-shaped errors first.
pub struct AwsFaultProxy {
    pub url: String,
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
    pub async fn start(faults: Vec<AwsFault>) -> Self {
        Self::start_racing(faults, None).await
    }

    /// [`AwsFaultProxy::start`], and `race` done just before its operation's first request
    /// is forwarded (call the tool from `block_in_place` on a multi-thread runtime).
    pub async fn start_racing(faults: Vec<AwsFault>, race: Option<Race>) -> Self {
        let race = Arc::new(Mutex::new(race));
        let upstream = super::moto().url().to_owned();
        let remaining: Arc<Mutex<Vec<AwsFault>>> = Arc::new(Mutex::new(faults));
        let hits: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let (r, h) = (remaining.clone(), hits.clone());
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let (remaining, hits, http, upstream, race) = (
                r.clone(),
                h.clone(),
                http.clone(),
                upstream.clone(),
                race.clone(),
            );
            async move {
                let (parts, body) = req.into_parts();
                let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
                let op = operation_of(&parts.headers, &body);
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
