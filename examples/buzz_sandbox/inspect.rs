//! Test-only endpoints under `/sandbox/` — not part of Buzz, never faulted:
//!
//! - `GET /sandbox` lists these endpoints.
//! - `GET /sandbox/state` -> `{"domains": {"<id>": <saved configuration or null>}, "log": [{"cmd",
//!   "test", "mutating", "code", "faulted", "method", "auth", "userAgent"}], "faults":
//!   {"after", "remaining", "kinds"}, "sessions": <live token count>}`.
//! - `GET /sandbox/domains/<id>` -> the saved configuration or `null`.
//! - `PUT /sandbox/domains/<id>` with a JSON object replaces the saved configuration directly
//!   (for drift tests; no test, no events); `null` clears it.
//! - `POST /sandbox/faults` `{"count": N, "kinds": ["429", ...], "after": M}` arms N faults that
//!   start after M untouched requests (`after` defaults to 0; `kinds` is optional and replaces
//!   the cycle).
//! - `POST /sandbox/expire-tokens` ends every session and second-factor token now.
//! - `POST /sandbox/domains/<id>/events` `{"count": N, "type": "UserEntityChanged"}` sends N events
//!   from the domain to each enabled Kinesis target of the domain and of its ancestors, as Buzz's
//!   traffic would (every copy carries the domain's id); answers `{"sent": n, "refused": m}`
//!   (refused: throttled with `--throttle`, or failed), counting each copy.
//! - `GET /sandbox/tree` -> `{"domains": [{"id", "name", "userspace", "parentid"}]}`.
//! - `POST /sandbox/identities/<userid>/control-domain` `{"granted": true}` grants (or takes
//!   away) an application identity's ControlDomain right, as an administrator would in Buzz.
//! - `POST /sandbox/identities/<userid>/keys/<kid>` `{"state": "revoked" | "expired" |
//!   "active"}` revokes, expires or restores a registered key.
//! - `POST /sandbox/domains/<id>/events` also takes `"time"` (every event's `time`, RFC 3339,
//!   instead of now) and `"perRecord"` (N events per Kinesis record, newline-separated, as Buzz's
//!   records may hold several); `sent` then counts events, and `records` the records written.
//! - `/sandbox/state`'s `firehose` (with `--play-firehose`): per delivery stream, `{"records",
//!   "events", "failed", "objects": [keys], "pending", "lastError", "refused"}`.
//! - `/sandbox/state` also shows `identities` (`{"<userid>": {"username", "domain",
//!   "controlDomain", "keys": {"<kid>": "active"}}}`), `tokensIssued` and
//!   `oauthTokens` (each access token issued).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::faults::FaultKind;
use crate::state::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/sandbox", get(index))
        .route("/sandbox/", get(index))
        .route("/sandbox/state", get(state))
        .route("/sandbox/tree", get(tree))
        .route("/sandbox/domains/{id}", get(get_domain).put(put_domain))
        .route("/sandbox/faults", get(faults).post(arm_faults))
        .route("/sandbox/expire-tokens", post(expire_tokens))
        .route("/sandbox/domains/{id}/events", post(emit_events))
        .route(
            "/sandbox/identities/{id}/control-domain",
            post(grant_control_domain),
        )
        .route("/sandbox/identities/{id}/keys/{kid}", post(set_key_state))
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn index() -> Json<Value> {
    Json(json!({
        "endpoints": {
            "GET /sandbox/state": "saved configurations, request log, armed faults",
            "GET /sandbox/tree": "every domain with its parent (--domain-tree)",
            "GET /sandbox/domains/{id}": "a domain's saved configuration (null: none)",
            "PUT /sandbox/domains/{id}": "replace a domain's configuration directly (JSON object, or null to clear)",
            "GET /sandbox/faults": "armed faults",
            "POST /sandbox/faults": "{\"count\": N, \"kinds\": [\"429\", \"503\", \"500\", \"drop\", \"timeout\", \"malformed\", \"noauth\"], \"after\": M}",
            "POST /sandbox/expire-tokens": "end every session now",
            "POST /sandbox/domains/{id}/events": "{\"count\": N, \"type\": \"UserEntityChanged\", \"time\": RFC 3339, \"perRecord\": M}: send N events from the domain to its and its ancestors' enabled kinesis targets",
        }
    }))
}

fn faults_json(app: &App) -> Value {
    let inner = app.lock();
    json!({
        "after": inner.faults.skip(),
        "remaining": inner.faults.remaining(),
        "kinds": inner.faults.kinds().iter().map(|k| k.label()).collect::<Vec<_>>(),
    })
}

async fn state(State(app): State<Arc<App>>) -> Json<Value> {
    let faults = faults_json(&app);
    let inner = app.lock();
    let domains: Map<String, Value> = inner
        .domains
        .iter()
        .map(|(id, config)| (id.clone(), config.clone().unwrap_or(Value::Null)))
        .collect();
    let log: Vec<Value> = inner.log.iter().map(|entry| entry.to_json()).collect();
    Json(json!({
        "domains": domains,
        "log": log,
        "faults": faults,
        "sessions": inner.sessions.len(),
        "identities": identities_json(&inner),
        "tokensIssued": inner.tokens_issued,
        "oauthTokens": inner.oauth_tokens,
        "firehose": crate::firehose::state_json(&inner.firehose),
        "mostInFlight": app.most_in_flight.load(std::sync::atomic::Ordering::SeqCst),
    }))
}

fn identities_json(inner: &crate::state::Inner) -> Value {
    inner
        .identities
        .iter()
        .map(|(id, i)| {
            let keys: Map<String, Value> = i
                .keys
                .iter()
                .map(|(kid, k)| (kid.clone(), Value::from(k.state.label())))
                .collect();
            (
                id.clone(),
                json!({"username": i.username, "domain": i.domain, "controlDomain": i.control_domain, "keys": keys}),
            )
        })
        .collect::<Map<String, Value>>()
        .into()
}

async fn grant_control_domain(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let granted = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("granted").and_then(Value::as_bool))
        .unwrap_or(true);
    let mut inner = app.lock();
    let Some(identity) = inner.identities.get_mut(&id) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no application identity {id}"),
        );
    };
    identity.control_domain = granted;
    eprintln!("buzz sandbox: /sandbox: identity {id} ControlDomain = {granted}");
    Json(json!({"id": id, "controlDomain": granted})).into_response()
}

async fn set_key_state(
    State(app): State<Arc<App>>,
    Path((id, kid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    use crate::state::KeyState;
    let state = match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_owned))
        .as_deref()
    {
        Some("revoked") => KeyState::Revoked,
        Some("expired") => KeyState::Expired,
        Some("active") => KeyState::Active,
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "{\"state\": \"revoked\" | \"expired\" | \"active\"} is required",
            )
        }
    };
    let mut inner = app.lock();
    let Some(key) = inner
        .identities
        .get_mut(&id)
        .and_then(|i| i.keys.get_mut(&kid))
    else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no key {kid} for identity {id}"),
        );
    };
    key.state = state;
    eprintln!(
        "buzz sandbox: /sandbox: key {kid} of identity {id} is {}",
        state.label()
    );
    Json(json!({"id": id, "kid": kid, "state": state.label()})).into_response()
}

async fn get_domain(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(domain) = app.resolve_domain(&id) else {
        return problem(StatusCode::NOT_FOUND, format!("no domain {id}"));
    };
    let config = app.lock().domains.get(&domain).cloned().flatten();
    Json(config.unwrap_or(Value::Null)).into_response()
}

async fn put_domain(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(domain) = app.resolve_domain(&id) else {
        return problem(StatusCode::NOT_FOUND, format!("no domain {id}"));
    };
    let config: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")),
    };
    let config = match config {
        Value::Null => None,
        object @ Value::Object(_) => Some(object),
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "body must be a JSON object (the configuration) or null",
            )
        }
    };
    app.lock().domains.insert(domain.clone(), config.clone());
    eprintln!("buzz sandbox: /sandbox: configuration of domain {domain} replaced directly");
    Json(json!({ "domain": domain, "config": config })).into_response()
}

async fn tree(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "domains": app.settings.tree.to_json() }))
}

async fn faults(State(app): State<Arc<App>>) -> Json<Value> {
    Json(faults_json(&app))
}

async fn arm_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")),
    };
    let Some(count) = request.get("count").and_then(Value::as_u64) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "\"count\" (a non-negative integer) is required",
        );
    };
    let kinds = match request.get("kinds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut kinds = Vec::new();
            for item in items {
                let text = item
                    .as_str()
                    .map_or_else(|| item.to_string(), str::to_string);
                match text.parse::<FaultKind>() {
                    Ok(kind) => kinds.push(kind),
                    Err(e) => return problem(StatusCode::BAD_REQUEST, e),
                }
            }
            Some(kinds)
        }
        Some(_) => return problem(StatusCode::BAD_REQUEST, "\"kinds\" must be an array"),
    };
    let after = request.get("after").and_then(Value::as_u64).unwrap_or(0);
    app.lock().faults.arm(after, count, kinds);
    eprintln!("buzz sandbox: /sandbox: {count} fault(s) armed");
    Json(faults_json(&app)).into_response()
}

async fn expire_tokens(State(app): State<Arc<App>>) -> Json<Value> {
    let expired = {
        let mut inner = app.lock();
        let n = inner.sessions.len();
        inner.sessions.clear();
        n
    };
    eprintln!("buzz sandbox: /sandbox: {expired} token(s) expired");
    Json(json!({ "expired": expired }))
}

async fn emit_events(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(domain) = app.resolve_domain(&id) else {
        return problem(StatusCode::NOT_FOUND, format!("no domain {id}"));
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")),
    };
    let count = request
        .get("count")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .min(10_000);
    let event_type = request
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("UserEntityChanged")
        .to_owned();
    let shape = crate::datastream::Emit {
        time: request
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_owned),
        per_record: request
            .get("perRecord")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 500),
    };
    let (sent, refused, records) =
        crate::datastream::emit(&app, &domain, &event_type, count, &shape).await;
    Json(json!({ "sent": sent, "refused": refused, "records": records })).into_response()
}
