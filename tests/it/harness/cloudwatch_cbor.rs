//! CloudWatch's RPCv2-CBOR protocol served in front of moto, which speaks only CloudWatch's
//! older protocols (JSON 1.0 and Query). The AWS SDK for Rust sends CloudWatch calls as
//! `POST /service/GraniteServiceVersion20100801/operation/<Op>` with a CBOR body and the
//! `smithy-protocol: rpc-v2-cbor` header; this translator forwards each as moto's JSON call
//! (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`) and turns the answer back into CBOR.
//! Every other request is passed through untouched, so an AWS CLI pointed here works too, with
//! one repair: moto (5.2.x) answers S3's GetBucketVersioning under the root element
//! `GetBucketVersioningResponse` where S3 writes `VersioningConfiguration`; the AWS CLI reads
//! either, the SDK for Rust refuses the first, so the root is renamed ([`s3_versioning_root`]).
//! And a second: moto evaluates a bucket policy's Deny without its condition when the
//! operator is one it does not implement (`Bool` among them), so the archive's TLS-only
//! statement (`Deny` when `aws:SecureTransport` is `false`) would refuse every object
//! request. On loopback the front stands for TLS: it keeps each bucket policy exactly as
//! written and answers GetBucketPolicy with it, and gives moto the policy without the
//! statements that only deny plain HTTP ([`BucketPolicies`]).
//!
//! JSON has no timestamp or double type of its own, so the way back needs the shapes: which
//! members are timestamps (CBOR tag 1) and which are doubles (the SDK refuses a CBOR integer
//! where its model says double). [`shape`] lists them for the operations the tool and the
//! sandbox use; any other operation is refused with a clear error rather than guessed at.
//!
//! Shared by the test harness (one translator per test binary) and the Buzz sandbox example,
//! which serves it for `scripts/demo` and the benchmark (`--cloudwatch-listen`): hence no
//! dependency on the rest of the harness.

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, Response, StatusCode};
use minicbor::data::{Tag, Type};
use serde_json::{Map, Number, Value};

/// CloudWatch's service name in both protocols' routing.
pub const SERVICE: &str = "GraniteServiceVersion20100801";

/// The operation of an RPCv2-CBOR request path, `None` for any other request.
pub fn cbor_operation(path: &str) -> Option<&str> {
    path.strip_prefix("/service/")?
        .strip_prefix(SERVICE)?
        .strip_prefix("/operation/")
        .filter(|op| !op.is_empty() && !op.contains('/'))
}

/// The members of an operation's output that JSON cannot type: timestamps and doubles, by
/// member name (CloudWatch's models use each of these names with one type only).
pub struct Shape {
    pub timestamps: &'static [&'static str],
    pub doubles: &'static [&'static str],
}

/// The output shapes of the operations the tool (check, setup's alarm, teardown) and the
/// sandbox (publishing Kinesis's metrics) call.
pub fn shape(operation: &str) -> Option<Shape> {
    const NONE: Shape = Shape {
        timestamps: &[],
        doubles: &[],
    };
    Some(match operation {
        "GetMetricData" => Shape {
            timestamps: &["Timestamps"],
            doubles: &["Values"],
        },
        "DescribeAlarms" => Shape {
            timestamps: &[
                "AlarmConfigurationUpdatedTimestamp",
                "StateUpdatedTimestamp",
                "StateTransitionedTimestamp",
            ],
            doubles: &["Threshold"],
        },
        "ListTagsForResource" | "PutMetricAlarm" | "DeleteAlarms" | "PutMetricData" => NONE,
        _ => return None,
    })
}

/// A CBOR document as JSON: timestamps (tag 1) become epoch seconds, as the JSON protocol
/// sends them. Definite and indefinite lengths are both read (the SDK writes indefinite maps).
pub fn cbor_to_json(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut d = minicbor::Decoder::new(bytes);
    let value = decode(&mut d)?;
    if d.position() != bytes.len() {
        return Err(format!(
            "{} bytes after the CBOR value",
            bytes.len() - d.position()
        ));
    }
    Ok(value)
}

fn decode(d: &mut minicbor::Decoder<'_>) -> Result<Value, String> {
    let err = |e: minicbor::decode::Error| e.to_string();
    Ok(match d.datatype().map_err(err)? {
        Type::Bool => Value::Bool(d.bool().map_err(err)?),
        Type::Null | Type::Undefined => {
            d.skip().map_err(err)?;
            Value::Null
        }
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::from(d.u64().map_err(err)?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => Value::from(d.i64().map_err(err)?),
        Type::F16 | Type::F32 | Type::F64 => float(d.f64().map_err(err)?)?,
        Type::String => Value::String(d.str().map_err(err)?.to_owned()),
        Type::StringIndef => {
            let mut s = String::new();
            for part in d.str_iter().map_err(err)? {
                s.push_str(part.map_err(err)?);
            }
            Value::String(s)
        }
        Type::Array | Type::ArrayIndef => {
            let mut items = Vec::new();
            match d.array().map_err(err)? {
                Some(n) => {
                    for _ in 0..n {
                        items.push(decode(d)?);
                    }
                }
                None => {
                    while d.datatype().map_err(err)? != Type::Break {
                        items.push(decode(d)?);
                    }
                    d.set_position(d.position() + 1);
                }
            }
            Value::Array(items)
        }
        Type::Map | Type::MapIndef => {
            let mut map = Map::new();
            let mut entry = |d: &mut minicbor::Decoder<'_>| -> Result<(), String> {
                let key = match decode(d)? {
                    Value::String(k) => k,
                    other => return Err(format!("a map key that is not a string: {other}")),
                };
                let value = decode(d)?;
                map.insert(key, value);
                Ok(())
            };
            match d.map().map_err(err)? {
                Some(n) => {
                    for _ in 0..n {
                        entry(d)?;
                    }
                }
                None => {
                    while d.datatype().map_err(err)? != Type::Break {
                        entry(d)?;
                    }
                    d.set_position(d.position() + 1);
                }
            }
            Value::Object(map)
        }
        Type::Tag => {
            let tag = d.tag().map_err(err)?;
            if tag != Tag::new(1) {
                return Err(format!(
                    "CBOR tag {} is not used by CloudWatch",
                    tag.as_u64()
                ));
            }
            match decode(d)? {
                n @ Value::Number(_) => n,
                other => return Err(format!("a timestamp that is not a number: {other}")),
            }
        }
        other => {
            return Err(format!(
                "CBOR {other} is not used by CloudWatch's operations here"
            ))
        }
    })
}

fn float(x: f64) -> Result<Value, String> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("{x} has no JSON form"))
}

/// A JSON document as CBOR, typing the members that `shape` names; nulls are left out (the
/// JSON protocol's way of saying "absent").
pub fn json_to_cbor(value: &Value, shape: &Shape) -> Result<Vec<u8>, String> {
    let mut e = minicbor::Encoder::new(Vec::new());
    encode(&mut e, value, shape, Kind::Plain)?;
    Ok(e.into_writer())
}

#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Timestamp,
    Double,
}

fn encode(
    e: &mut minicbor::Encoder<Vec<u8>>,
    value: &Value,
    shape: &Shape,
    kind: Kind,
) -> Result<(), String> {
    let err = |e: minicbor::encode::Error<std::convert::Infallible>| e.to_string();
    match value {
        Value::Null => {
            e.null().map_err(err)?;
        }
        Value::Bool(b) => {
            e.bool(*b).map_err(err)?;
        }
        Value::String(s) => {
            e.str(s).map_err(err)?;
        }
        Value::Number(n) => {
            let whole = n.as_i64();
            match (kind, whole) {
                (Kind::Timestamp, Some(secs)) => {
                    e.tag(Tag::new(1)).map_err(err)?.i64(secs).map_err(err)?;
                }
                (Kind::Timestamp, None) => {
                    let secs = n.as_f64().ok_or("a timestamp out of range")?;
                    e.tag(Tag::new(1)).map_err(err)?.f64(secs).map_err(err)?;
                }
                (Kind::Double, _) | (Kind::Plain, None) => {
                    let x = n.as_f64().ok_or_else(|| format!("{n} is not a number"))?;
                    e.f64(x).map_err(err)?;
                }
                (Kind::Plain, Some(i)) => {
                    e.i64(i).map_err(err)?;
                }
            }
        }
        Value::Array(items) => {
            e.array(items.len() as u64).map_err(err)?;
            for item in items {
                encode(e, item, shape, kind)?;
            }
        }
        Value::Object(map) => {
            let present: Vec<_> = map.iter().filter(|(_, v)| !v.is_null()).collect();
            e.map(present.len() as u64).map_err(err)?;
            for (k, v) in present {
                let kind = if shape.timestamps.contains(&k.as_str()) {
                    Kind::Timestamp
                } else if shape.doubles.contains(&k.as_str()) {
                    Kind::Double
                } else {
                    Kind::Plain
                };
                e.str(k).map_err(err)?;
                encode(e, v, shape, kind)?;
            }
        }
    }
    Ok(())
}

/// An RPCv2-CBOR answer.
fn cbor_response(status: u16, body: Vec<u8>, extra: &[(&str, String)]) -> Response<Body> {
    let mut r = Response::builder()
        .status(status)
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("content-type", "application/cbor");
    for (k, v) in extra {
        r = r.header(*k, v);
    }
    r.body(Body::from(body)).expect("a CBOR response")
}

/// An RPCv2-CBOR error: `__type` (as CloudWatch names it) and `message`; with the Query
/// protocol's code in `x-amzn-query-error`, which the SDK prefers for CloudWatch (its model
/// is Query-compatible).
pub fn cbor_error(status: u16, code: &str, message: &str) -> Response<Body> {
    let body = json_to_cbor(
        &serde_json::json!({
            "__type": format!("com.amazonaws.cloudwatch#{code}"),
            "message": message,
        }),
        &Shape {
            timestamps: &[],
            doubles: &[],
        },
    )
    .expect("an error body");
    let fault = if status >= 500 { "Receiver" } else { "Sender" };
    cbor_response(
        status,
        body,
        &[("x-amzn-query-error", format!("{code};{fault}"))],
    )
}

/// One CBOR call, answered through the JSON protocol at `upstream`.
pub async fn translate(
    http: &reqwest::Client,
    upstream: &str,
    headers: &HeaderMap,
    operation: &str,
    body: &[u8],
) -> Response<Body> {
    let Some(shape) = shape(operation) else {
        return cbor_error(
            400,
            "UnknownOperationException",
            &format!("the test translator does not know CloudWatch's {operation}: add its shape to tests/it/harness/cloudwatch_cbor.rs"),
        );
    };
    let request = match cbor_to_json(body) {
        Ok(v) => v,
        Err(e) => return cbor_error(400, "SerializationException", &e),
    };
    let mut forward = http
        .post(format!("{upstream}/"))
        .header("x-amz-target", format!("{SERVICE}.{operation}"))
        .header("content-type", "application/x-amz-json-1.0")
        .body(request.to_string());
    // moto reads the region and account from the signature's credential scope.
    for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
        if let Some(v) = headers.get(name) {
            forward = forward.header(name, v);
        }
    }
    let resp = match forward.send().await {
        Ok(r) => r,
        Err(e) => return cbor_error(502, "ServiceUnavailable", &format!("moto: {e}")),
    };
    let status = resp.status().as_u16();
    let query_error = resp
        .headers()
        .get("x-amzn-query-error")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.bytes().await.unwrap_or_default();
    let answer: Value = if text.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match serde_json::from_slice(&text) {
            Ok(v) => v,
            Err(_) => {
                return cbor_error(
                    if status < 400 { 502 } else { status },
                    "InternalFailure",
                    &format!(
                        "moto answered {status} with no JSON: {}",
                        String::from_utf8_lossy(&text)
                    ),
                )
            }
        }
    };
    if status >= 400 {
        let code = query_error
            .as_deref()
            .and_then(|q| q.split(';').next())
            .or_else(|| answer["__type"].as_str())
            .map(|c| c.rsplit('#').next().unwrap_or(c).to_owned())
            .unwrap_or_else(|| "InternalFailure".into());
        let message = answer["message"]
            .as_str()
            .or(answer["Message"].as_str())
            .unwrap_or_default();
        return cbor_error(status, &code, message);
    }
    match json_to_cbor(&answer, &shape) {
        Ok(cbor) => cbor_response(status, cbor, &[]),
        Err(e) => cbor_error(500, "InternalFailure", &e),
    }
}

/// Any other request, forwarded as it is.
pub async fn pass_through(
    http: &reqwest::Client,
    upstream: &str,
    req: axum::http::request::Parts,
    body: axum::body::Bytes,
) -> Response<Body> {
    let mut forward = http.request(req.method.clone(), format!("{upstream}{}", req.uri));
    for (k, v) in req.headers.iter() {
        if k != "host" && k != "content-length" {
            forward = forward.header(k, v);
        }
    }
    let versioning = req.method == axum::http::Method::GET
        && req.uri.query().is_some_and(|q| {
            q.split('&')
                .any(|p| p == "versioning" || p == "versioning=")
        });
    match forward.body(body).send().await {
        Ok(resp) => {
            let mut out = Response::builder().status(resp.status().as_u16());
            for (k, v) in resp.headers() {
                if k != "content-length" && k != "transfer-encoding" {
                    out = out.header(k, v);
                }
            }
            let body = resp.bytes().await.unwrap_or_default();
            let body = if versioning {
                s3_versioning_root(&body)
            } else {
                body.to_vec()
            };
            out.body(Body::from(body)).expect("a response")
        }
        Err(_) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::empty())
            .expect("502"),
    }
}

/// Bucket policies as their writers sent them, by bucket (see the module's note on moto).
#[derive(Clone, Default)]
pub struct BucketPolicies(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>,
);

/// The bucket a path-style `?policy` request names.
fn policy_bucket(uri: &axum::http::Uri) -> Option<String> {
    let is_policy = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "policy" || p == "policy="));
    let bucket = uri.path().trim_matches('/');
    (is_policy && !bucket.is_empty() && !bucket.contains('/')).then(|| bucket.to_owned())
}

/// Whether a statement only refuses requests made without TLS.
fn denies_plain_http_only(statement: &Value) -> bool {
    statement["Effect"] == "Deny"
        && statement["Condition"] == serde_json::json!({"Bool": {"aws:SecureTransport": "false"}})
}

/// The policy moto gets: without the statements that deny plain HTTP only. `None` when no
/// statement is left (moto then holds no policy).
pub fn policy_for_moto(policy: &[u8]) -> Option<Vec<u8>> {
    let Ok(mut doc) = serde_json::from_slice::<Value>(policy) else {
        return Some(policy.to_vec());
    };
    let statements = doc.get_mut("Statement")?.as_array_mut()?;
    statements.retain(|st| !denies_plain_http_only(st));
    (!statements.is_empty()).then(|| doc.to_string().into_bytes())
}

/// A bucket-policy request answered or reshaped by the front; `None` to forward as it is.
async fn bucket_policy(
    policies: &BucketPolicies,
    http: &reqwest::Client,
    upstream: &str,
    req: &axum::http::request::Parts,
    body: &axum::body::Bytes,
) -> Option<Response<Body>> {
    let bucket = policy_bucket(&req.uri)?;
    let stored = || {
        policies
            .0
            .lock()
            .expect("the policies")
            .get(&bucket)
            .cloned()
    };
    match req.method {
        axum::http::Method::PUT => {
            policies
                .0
                .lock()
                .expect("the policies")
                .insert(bucket.clone(), body.to_vec());
            match policy_for_moto(body) {
                Some(reshaped) => {
                    // The body changed: its checksums no longer hold.
                    let mut parts = req.clone();
                    let stale: Vec<_> = parts
                        .headers
                        .keys()
                        .filter(|k| {
                            k.as_str() == "content-md5" || k.as_str().starts_with("x-amz-checksum-")
                        })
                        .cloned()
                        .collect();
                    for k in stale {
                        parts.headers.remove(k);
                    }
                    Some(pass_through(http, upstream, parts, reshaped.into()).await)
                }
                None => {
                    // Nothing for moto: it must not keep an older policy either.
                    let mut parts = req.clone();
                    parts.method = axum::http::Method::DELETE;
                    let _ = pass_through(http, upstream, parts, axum::body::Bytes::new()).await;
                    Some(
                        Response::builder()
                            .status(204)
                            .body(Body::empty())
                            .expect("204"),
                    )
                }
            }
        }
        axum::http::Method::GET => stored().map(|p| {
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(p))
                .expect("200")
        }),
        axum::http::Method::DELETE => {
            policies.0.lock().expect("the policies").remove(&bucket);
            None
        }
        _ => None,
    }
}

/// GetBucketVersioning's answer under S3's own root element (see the module's note on moto).
pub fn s3_versioning_root(body: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(body)
        .replace("<GetBucketVersioningResponse", "<VersioningConfiguration")
        .replace(
            "</GetBucketVersioningResponse>",
            "</VersioningConfiguration>",
        )
        .into_bytes()
}

/// The translator as a router: CBOR calls translated, everything else passed through.
pub fn router(upstream: String) -> axum::Router {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let policies = BucketPolicies::default();
    axum::Router::new().fallback(move |req: Request<Body>| {
        let (http, upstream, policies) = (http.clone(), upstream.clone(), policies.clone());
        async move {
            let (parts, body) = req.into_parts();
            let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
            if let Some(answer) = bucket_policy(&policies, &http, &upstream, &parts, &body).await {
                return answer;
            }
            match cbor_operation(parts.uri.path()) {
                Some(op) => translate(&http, &upstream, &parts.headers, op, &body).await,
                None => pass_through(&http, &upstream, parts, body).await,
            }
        }
    })
}
