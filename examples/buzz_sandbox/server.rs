//! The Buzz transport: `POST /cmd` with `{"request": {"cmd": ..., ...}}`, `POST /cmd/<name>`,
//! `GET /cmd?cmd=...&param=...`; the `{"response": {"code": ..., ...}}` envelope (errors too are
//! HTTP 200 with a code, a message and an errorId); XML for a client that does not ask for JSON;
//! the token from `Authorization: Bearer` or `_token`; fault injection before a command runs;
//! the request log.
//!
//! Commands themselves live in `auth.rs`, `datastream.rs`, `domains.rs` and `oauth.rs`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use std::borrow::Cow;

use crate::faults::{ConnInfo, FaultKind};
use crate::state::{random_hex, App, LogEntry};
use crate::{auth, datastream, domains, inspect, oauth};

/// A command's failure: a Buzz code and a message for people (sent with a fresh errorId).
#[derive(Debug, Clone)]
pub struct BuzzError {
    /// Mostly fixed codes; `--test-failure-code` makes it any text.
    pub code: Cow<'static, str>,
    pub message: String,
}

impl BuzzError {
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        BuzzError {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("BadRequest", message)
    }
}

/// A command's answer: usually code OK, with the payload beside the code.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: &'static str,
    pub payload: Map<String, Value>,
    /// True for a set that saved (shown in the request log).
    pub mutating: bool,
}

impl Reply {
    pub fn ok(payload: Map<String, Value>) -> Self {
        Reply {
            code: "OK",
            payload,
            mutating: false,
        }
    }
}

/// A parsed Buzz request.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    /// Lowercase: Buzz's command names are case-insensitive.
    pub cmd: String,
    /// Query parameters and the body's `request` object, merged (the body wins).
    pub params: Map<String, Value>,
    pub token: Option<String>,
    /// "bearer", "_token" or "none", for the log.
    pub auth_via: &'static str,
}

impl Call {
    /// A parameter as text (Buzz accepts numbers where ids are expected).
    pub fn param(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A boolean parameter: JSON true or the text "true" (from a query string).
    pub fn flag(&self, name: &str) -> bool {
        match self.params.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/cmd", get(cmd_root).post(cmd_root))
        .route("/cmd/{name}", get(cmd_named).post(cmd_named))
        .merge(inspect::routes())
        .merge(oauth::routes())
        .with_state(app)
}

async fn index() -> &'static str {
    "Buzz sandbox: a local test double of the Agilix Buzz API. Commands: POST /cmd. \
     Inspection: GET /sandbox.\n"
}

async fn cmd_root(
    State(app): State<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(app, conn, method, None, query, headers, body).await
}

async fn cmd_named(
    State(app): State<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(app, conn, method, Some(name), query, headers, body).await
}

async fn handle(
    app: Arc<App>,
    conn: ConnInfo,
    method: Method,
    path_cmd: Option<String>,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _counted = InFlight::enter(&app);
    if !app.settings.latency.is_zero() {
        tokio::time::sleep(app.settings.latency).await;
    }
    let started = Instant::now();
    let wants_json = accepts_json(&headers);
    let user_agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let parsed = parse_call(&method, path_cmd.clone(), query, &headers, &body);
    let (cmd, test, auth_via, token) = match &parsed {
        Ok(call) => (
            call.cmd.clone(),
            call.flag("test"),
            call.auth_via,
            call.token.clone(),
        ),
        Err(_) => (
            path_cmd.unwrap_or_default().to_ascii_lowercase(),
            false,
            "none",
            None,
        ),
    };
    let mut entry = LogEntry {
        method: method.to_string(),
        cmd,
        test,
        mutating: false,
        code: String::new(),
        faulted: false,
        auth: auth_via,
        user_agent,
    };

    // A faulted request is not executed: the fault is decided before anything else happens.
    let fault = app.lock().faults.next_fault();
    if let Some(kind) = fault {
        entry.faulted = true;
        return inject(&app, &conn, kind, wants_json, token.as_deref(), entry).await;
    }

    if let Some(redirect) = app
        .settings
        .redirect
        .as_ref()
        .filter(|r| r.applies_to(&entry.cmd))
    {
        let location = format!("{}/cmd", redirect.to.trim_end_matches('/'));
        entry.code = format!("redirect {}", redirect.status);
        eprintln!(
            "buzz sandbox: {} {} /cmd {} -> {} to {location}",
            conn.peer, entry.method, entry.cmd, redirect.status
        );
        app.lock().log.push(entry);
        let status =
            StatusCode::from_u16(redirect.status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
        return match HeaderValue::from_str(&location) {
            Ok(value) => (status, [(axum::http::header::LOCATION, value)]).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }

    let result = match parsed {
        Ok(call) => dispatch(&app, &call).await,
        Err(e) => Err(e),
    };
    let response = match result {
        Ok(reply) => {
            entry.code = reply.code.to_string();
            entry.mutating = reply.mutating;
            render(&app, wants_json, StatusCode::OK, reply.code, reply.payload)
        }
        Err(err) => {
            entry.code = err.code.to_string();
            eprintln!(
                "buzz sandbox:   {} {}: {}",
                entry.cmd, err.code, err.message
            );
            render_error(&app, wants_json, StatusCode::OK, &err)
        }
    };
    eprintln!(
        "buzz sandbox: {} {} /cmd {} -> {} ({} ms, auth {})",
        conn.peer,
        entry.method,
        entry.cmd,
        entry.code,
        started.elapsed().as_millis(),
        entry.auth
    );
    app.lock().log.push(entry);
    response
}

/// One command in flight, counted while it lives.
struct InFlight(Arc<App>);

impl InFlight {
    fn enter(app: &Arc<App>) -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let now = app.in_flight.fetch_add(1, SeqCst) + 1;
        app.most_in_flight.fetch_max(now, SeqCst);
        InFlight(app.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn dispatch(app: &Arc<App>, call: &Call) -> Result<Reply, BuzzError> {
    match call.cmd.as_str() {
        "login3" => auth::login3(app, call),
        "secondfactorauthenticate" => auth::second_factor(app, call),
        "extendsession" => auth::extend_session(app, call),
        "logout" => auth::logout(app, call),
        "getstatus" => {
            let mut payload = Map::new();
            payload.insert(
                "status".into(),
                json!({"state": "Running", "sandbox": true}),
            );
            Ok(Reply::ok(payload))
        }
        "createusers2" => oauth::create_users(app, call),
        "getdatastreamconfiguration" => datastream::get(app, call),
        "listdomains" => domains::list_domains(app, call),
        "getdomainparentlist" => domains::parent_list(app, call),
        "getdomain2" => domains::get_domain2(app, call),
        "setdatastreamconfiguration" => datastream::set(app, call).await,
        "" => Err(BuzzError::bad_request("Missing required parameter 'cmd'")),
        other => Err(BuzzError::bad_request(format!("Unknown command '{other}'"))),
    }
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("application/json"))
}

fn parse_call(
    method: &Method,
    path_cmd: Option<String>,
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Call, BuzzError> {
    let mut params = Map::new();
    if let Some(query) = query {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            params.insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }
    if *method == Method::POST && !body.iter().all(u8::is_ascii_whitespace) {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        // Real Buzz reads a body as XML unless told it is JSON.
        if !content_type.contains("json") {
            return Err(BuzzError::bad_request(format!(
                "Request body was not understood: Content-Type is {content_type:?}, expected application/json"
            )));
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| BuzzError::bad_request(format!("Request body is not valid JSON: {e}")))?;
        // Batch commands (createusers2) take `{"requests": {...}}` as the body.
        if let (Some(requests @ Value::Object(_)), Some(_)) = (value.get("requests"), &path_cmd) {
            params.insert("requests".into(), requests.clone());
        }
        let request = match value.get("request") {
            Some(Value::Object(request)) => Some(request),
            _ if params.contains_key("requests") => None,
            _ => return Err(BuzzError::bad_request(
                "Request body must be a JSON object of the form {\"request\": {\"cmd\": ..., ...}}",
            )),
        };
        for (key, value) in request.into_iter().flatten() {
            params.insert(key.clone(), value.clone());
        }
    }
    let cmd = match path_cmd {
        Some(cmd) => cmd,
        None => match params.get("cmd") {
            Some(Value::String(cmd)) => cmd.clone(),
            _ => String::new(),
        },
    };
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|token| !token.is_empty());
    let (token, auth_via) = match bearer {
        Some(token) => (Some(token), "bearer"),
        None => match params.get("_token") {
            Some(Value::String(token)) if !token.is_empty() => (Some(token.clone()), "_token"),
            _ => (None, "none"),
        },
    };
    Ok(Call {
        method: method.clone(),
        cmd: cmd.trim().to_ascii_lowercase(),
        params,
        token,
        auth_via,
    })
}

async fn inject(
    app: &Arc<App>,
    conn: &ConnInfo,
    kind: FaultKind,
    wants_json: bool,
    token: Option<&str>,
    mut entry: LogEntry,
) -> Response {
    let retry_after = app.settings.retry_after.to_string();
    let retry_after = HeaderValue::from_str(&retry_after).unwrap_or(HeaderValue::from_static("1"));
    let (code, response) = match kind {
        FaultKind::RateLimit => {
            let err = BuzzError::new("RateLimit", "Too many requests (injected fault)");
            let mut response = render_error(app, wants_json, StatusCode::TOO_MANY_REQUESTS, &err);
            response.headers_mut().insert(RETRY_AFTER, retry_after);
            ("RateLimit", response)
        }
        FaultKind::Overwhelmed => {
            let err = BuzzError::new(
                "ServerOverwhelmed",
                "The server is too busy (injected fault)",
            );
            let mut response = render_error(app, wants_json, StatusCode::SERVICE_UNAVAILABLE, &err);
            response.headers_mut().insert(RETRY_AFTER, retry_after);
            ("ServerOverwhelmed", response)
        }
        FaultKind::Exception => {
            let err = BuzzError::new("Exception", "An unexpected error occurred (injected fault)");
            (
                "Exception",
                render_error(app, wants_json, StatusCode::INTERNAL_SERVER_ERROR, &err),
            )
        }
        FaultKind::Malformed => {
            let body = "{\"response\": {\"code\": \"OK\", <!-- injected fault: truncated -->";
            let response = (
                StatusCode::OK,
                [(CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response();
            ("malformed", response)
        }
        FaultKind::NoAuth => {
            if let Some(token) = token {
                app.lock().sessions.remove(token);
            }
            let err = BuzzError::new("NoAuthentication", "The session has ended (injected fault)");
            (
                "NoAuthentication",
                render_error(app, wants_json, StatusCode::OK, &err),
            )
        }
        FaultKind::Drop | FaultKind::Timeout => {
            let label = kind.label();
            entry.code = label.to_string();
            eprintln!(
                "buzz sandbox: {} /cmd {} -> injected {label}",
                entry.method, entry.cmd
            );
            // Logged before the hold so a test can see the fault while its client waits.
            app.lock().log.push(entry);
            if kind == FaultKind::Timeout {
                tokio::time::sleep(app.settings.timeout_hold).await;
            }
            conn.kill();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    entry.code = code.to_string();
    eprintln!(
        "buzz sandbox: {} /cmd {} -> injected {}",
        entry.method,
        entry.cmd,
        kind.label()
    );
    app.lock().log.push(entry);
    response
}

/// Answers in JSON (`{"response": {...}}`) or, for a client that did not ask for JSON, in XML.
pub fn render(
    app: &App,
    wants_json: bool,
    status: StatusCode,
    code: &str,
    payload: Map<String, Value>,
) -> Response {
    let mut response = Map::new();
    response.insert("code".into(), Value::String(code.to_string()));
    for (key, value) in payload {
        if key != "code" {
            response.insert(key, value);
        }
    }
    if wants_json {
        let mut body = json!({ "response": response });
        if app.settings.single_object_arrays {
            body = collapse_arrays(body);
        }
        (
            status,
            [(CONTENT_TYPE, "application/json; charset=utf-8")],
            body.to_string(),
        )
            .into_response()
    } else {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}",
            xml_element("response", &response)
        );
        (status, [(CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
    }
}

fn render_error(app: &App, wants_json: bool, status: StatusCode, err: &BuzzError) -> Response {
    let mut payload = Map::new();
    payload.insert("message".into(), Value::String(err.message.clone()));
    payload.insert("errorId".into(), Value::String(random_hex(16)));
    render(app, wants_json, status, &err.code, payload)
}

/// Buzz's JSON is converted from XML, where a one-element collection is just a child element:
/// a one-element array comes out as that element, and an empty one as `{}`.
fn collapse_arrays(value: Value) -> Value {
    match value {
        Value::Array(items) => match items.len() {
            0 => Value::Object(Map::new()),
            1 => items
                .into_iter()
                .map(collapse_arrays)
                .next()
                .unwrap_or(Value::Null),
            _ => Value::Array(items.into_iter().map(collapse_arrays).collect()),
        },
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, collapse_arrays(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Scalars become attributes, objects child elements, arrays repeated child elements.
fn xml_element(name: &str, map: &Map<String, Value>) -> String {
    let mut attributes = String::new();
    let mut children = String::new();
    for (key, value) in map {
        match value {
            Value::Null => {}
            Value::String(s) => attributes.push_str(&format!(" {key}=\"{}\"", xml_escape(s))),
            Value::Number(_) | Value::Bool(_) => {
                attributes.push_str(&format!(" {key}=\"{value}\""))
            }
            Value::Object(child) => children.push_str(&xml_element(key, child)),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(child) => children.push_str(&xml_element(key, child)),
                        Value::Null => {}
                        scalar => {
                            let text = scalar
                                .as_str()
                                .map_or_else(|| scalar.to_string(), str::to_string);
                            children.push_str(&format!("<{key}>{}</{key}>", xml_escape(&text)));
                        }
                    }
                }
            }
        }
    }
    if children.is_empty() {
        format!("<{name}{attributes}/>")
    } else {
        format!("<{name}{attributes}>{children}</{name}>")
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
