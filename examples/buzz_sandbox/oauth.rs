//! Application identity (OAuth 2.0): `createusers2` for `type: applicationidentity`, public
//! keys registered with `PUT /api/users/{userid}/keys/{kid}` (PEM body, `204`), and the token
//! endpoint `POST /api/oauth/token`, which checks a JWT client assertion (RS256, the key id in
//! the header) the way RFC 7523 describes: issuer and subject, the registered key's
//! signature, audience, expiry, a fresh `jti`. What Buzz really requires of the claims, and
//! how it words a refusal, is not documented: `--oauth-audience` and `--oauth-error-style`
//! play the alternatives; a key may be revoked or expired through `/sandbox/identities`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::SubjectPublicKeyInfoDer;
use serde_json::{json, Map, Value};

use crate::auth::authenticate;
use crate::server::{BuzzError, Call, Reply};
use crate::state::{
    new_session_id, new_token, random_hex, App, Identity, KeyState, LogEntry, RegisteredKey,
    Session, Stage,
};

/// Which `aud` the token endpoint requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The token endpoint's URL (RFC 7523's reading; the default).
    TokenUrl,
    /// The API's base URL.
    BaseUrl,
    /// Any audience (Buzz might not check it).
    Any,
    /// Exactly this text.
    Exactly(String),
}

impl std::str::FromStr for Audience {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "token-url" => Audience::TokenUrl,
            "base-url" => Audience::BaseUrl,
            "any" => Audience::Any,
            "" => return Err("an audience rule: token-url, base-url, any or a literal".into()),
            other => Audience::Exactly(other.to_owned()),
        })
    }
}

/// How the token endpoint answers a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorStyle {
    /// RFC 6749: HTTP 400/401 with `{"error", "error_description"}`.
    Oauth,
    /// Buzz's envelope: HTTP 200 with `{"response": {"code", "message", "errorId"}}`.
    Buzz,
    /// HTTP 401 with a line of plain text.
    Text,
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/oauth/token", post(token))
        .route("/api/users/{userid}/keys/{kid}", put(register_key))
}

/// A refusal: the OAuth error code, Buzz's code for the same, and a description.
struct Refused {
    status: StatusCode,
    oauth: &'static str,
    buzz: &'static str,
    description: String,
}

fn invalid_client(description: impl Into<String>) -> Refused {
    Refused {
        status: StatusCode::UNAUTHORIZED,
        oauth: "invalid_client",
        buzz: "InvalidCredentials",
        description: description.into(),
    }
}

fn invalid_request(description: impl Into<String>) -> Refused {
    Refused {
        status: StatusCode::BAD_REQUEST,
        oauth: "invalid_request",
        buzz: "BadRequest",
        description: description.into(),
    }
}

fn refuse(app: &App, r: Refused) -> Response {
    match app.settings.oauth_error_style {
        ErrorStyle::Oauth => (
            r.status,
            [(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, "no-store")],
            json!({"error": r.oauth, "error_description": r.description}).to_string(),
        )
            .into_response(),
        ErrorStyle::Buzz => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/json; charset=utf-8")],
            json!({"response": {"code": r.buzz, "message": r.description, "errorId": random_hex(16)}})
                .to_string(),
        )
            .into_response(),
        ErrorStyle::Text => (
            StatusCode::UNAUTHORIZED,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("Unauthorized: {}", r.description),
        )
            .into_response(),
    }
}

fn log(app: &App, cmd: &str, code: &str) {
    eprintln!("buzz sandbox: POST /{cmd} -> {code}");
    app.lock().log.push(LogEntry {
        method: "POST".into(),
        cmd: cmd.into(),
        test: false,
        mutating: false,
        code: code.into(),
        faulted: false,
        auth: "assertion",
        user_agent: None,
    });
}

fn now_secs(app: &App) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    now + app.settings.oauth_clock_skew
}

async fn token(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    match issue(&app, &headers, &body) {
        Ok(response) => {
            log(&app, "oauth/token", "OK");
            response
        }
        Err(r) => {
            log(&app, "oauth/token", r.oauth);
            eprintln!("buzz sandbox:   oauth/token {}: {}", r.oauth, r.description);
            refuse(&app, r)
        }
    }
}

/// The token endpoint: a form-encoded client-credentials request whose JWT assertion is signed
/// by a registered key, meant for this endpoint, current and never used before, answered
/// with a bearer token (a session for the identity).
fn issue(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refused> {
    let form = token_form(headers, body)?;
    let jwt = form
        .get("client_assertion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let claims = verified_claims(app, jwt)?;
    let iss = claims["iss"].as_str().unwrap_or("").to_owned();
    current_for_us(app, headers, &claims)?;
    let jti = claims["jti"].as_str().unwrap_or("").to_owned();
    let token = open_session(app, &iss, jti)?;
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        json!({
            "access_token": token,
            "token_type": app.settings.oauth_token_type,
            "expires_in": app.settings.oauth_expires_in,
        })
        .to_string(),
    )
        .into_response())
}

/// The token request's form: form-encoded, the client-credentials grant, a JWT-bearer
/// assertion.
fn token_form(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Refused> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(invalid_request(format!(
            "the token request must be form-encoded, not {content_type:?}"
        )));
    }
    let form: Map<String, Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let field = |k: &str| form.get(k).and_then(Value::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return Err(Refused {
            status: StatusCode::BAD_REQUEST,
            oauth: "unsupported_grant_type",
            buzz: "BadRequest",
            description: format!("grant_type {:?} is not supported", field("grant_type")),
        });
    }
    if field("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return Err(invalid_request("client_assertion_type must be jwt-bearer"));
    }
    Ok(form)
}

/// The assertion's claims, once its header names RS256 and a key, its issuer is its subject,
/// and its signature verifies with that client's registered, active key.
fn verified_claims(app: &App, jwt: &str) -> Result<Value, Refused> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts[..] else {
        return Err(invalid_request("client_assertion is not a JWT"));
    };
    let decode = |p: &str| -> Result<Value, Refused> {
        let bytes = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| invalid_request("a JWT part is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid_request("a JWT part is not JSON"))
    };
    let header = decode(header_b64)?;
    let claims = decode(claims_b64)?;
    if header["alg"] != "RS256" {
        return Err(invalid_client(format!(
            "the assertion's alg is {}, not RS256",
            header["alg"]
        )));
    }
    let Some(kid) = header["kid"].as_str() else {
        return Err(invalid_client("the assertion's header has no kid"));
    };
    let text = |k: &str| claims[k].as_str().unwrap_or("").to_owned();
    let (iss, sub) = (text("iss"), text("sub"));
    if iss.is_empty() || iss != sub {
        return Err(invalid_client("iss and sub must both be the client id"));
    }
    let der = {
        let inner = app.lock();
        let Some(identity) = inner.identities.get(&iss) else {
            return Err(invalid_client(format!("unknown client {iss:?}")));
        };
        let Some(key) = identity.keys.get(kid) else {
            return Err(invalid_client(format!(
                "no key {kid:?} is registered for client {iss:?}"
            )));
        };
        match key.state {
            KeyState::Active => key.der.clone(),
            KeyState::Revoked => {
                return Err(invalid_client(format!("key {kid:?} has been revoked")))
            }
            KeyState::Expired => return Err(invalid_client(format!("key {kid:?} has expired"))),
        }
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| invalid_request("the JWT signature is not base64url"))?;
    let signed = format!("{header_b64}.{claims_b64}");
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| {
            invalid_client(format!(
                "the assertion's signature does not verify with key {kid:?}"
            ))
        })?;
    Ok(claims)
}

/// The claims are for this token endpoint (`--oauth-audience`), current (expiry, issue time,
/// an hour at most) and carry a `jti`.
fn current_for_us(app: &App, headers: &HeaderMap, claims: &Value) -> Result<(), Refused> {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}");
    let aud_ok = |aud: &str| match &app.settings.oauth_audience {
        Audience::TokenUrl => aud == format!("{base}/api/oauth/token"),
        Audience::BaseUrl => aud.trim_end_matches('/') == base,
        Audience::Any => true,
        Audience::Exactly(want) => aud == want,
    };
    let auds: Vec<String> = match &claims["aud"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if !auds.iter().any(|a| aud_ok(a)) {
        return Err(invalid_client(format!(
            "the assertion's audience {auds:?} is not this token endpoint"
        )));
    }
    let now = now_secs(app);
    let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) else {
        return Err(invalid_client("the assertion needs numeric exp and iat"));
    };
    if exp <= now {
        return Err(invalid_client(format!(
            "the assertion expired {} s ago",
            now - exp
        )));
    }
    if iat > now + 60 || exp - iat > 3600 {
        return Err(invalid_client(
            "the assertion's iat or lifetime is not acceptable",
        ));
    }
    if claims["jti"].as_str().unwrap_or("").is_empty() {
        return Err(invalid_client("the assertion has no jti"));
    }
    Ok(())
}

/// A new session for the identity `iss`, unless the assertion's `jti` was used before; its
/// token.
fn open_session(app: &App, iss: &str, jti: String) -> Result<String, Refused> {
    let token = new_token();
    let mut inner = app.lock();
    if !inner.used_jtis.insert(jti) {
        return Err(invalid_client(
            "the assertion's jti was used before (a replay)",
        ));
    }
    let Some(index) = inner.identities.keys().position(|k| k == iss) else {
        return Err(invalid_client(format!("unknown client {iss:?}")));
    };
    let domain = inner
        .identities
        .get(iss)
        .map(|i| i.domain.clone())
        .unwrap_or_default();
    inner.sessions.insert(
        token.clone(),
        Session {
            user: index,
            stage: Stage::Full,
            expires: Instant::now() + Duration::from_secs(app.settings.oauth_expires_in),
            session_id: new_session_id(),
            identity: Some(iss.to_owned()),
            domain,
        },
    );
    inner.tokens_issued += 1;
    inner.oauth_tokens.push(token.clone());
    Ok(token)
}

/// A Buzz-shaped failure with an HTTP status, for the REST-style key endpoint.
fn key_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"response": {"code": code, "message": message.into(), "errorId": random_hex(16)}})
            .to_string(),
    )
        .into_response()
}

async fn register_key(
    State(app): State<Arc<App>>,
    Path((userid, kid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = store_key(&app, &userid, &kid, &headers, &body);
    let status = response.status();
    eprintln!("buzz sandbox: PUT /api/users/{userid}/keys/{kid} -> {status}");
    app.lock().log.push(LogEntry {
        method: "PUT".into(),
        cmd: "users/keys".into(),
        test: false,
        mutating: status == StatusCode::NO_CONTENT,
        code: status.as_u16().to_string(),
        faulted: false,
        auth: "bearer",
        user_agent: None,
    });
    response
}

fn store_key(app: &App, userid: &str, kid: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let call = Call {
        method: Method::PUT,
        cmd: "registerkey".into(),
        params: Map::new(),
        token,
        auth_via: "bearer",
    };
    let caller = match authenticate(app, &call) {
        Ok(c) => c,
        Err(e) => return key_error(StatusCode::UNAUTHORIZED, &e.code, e.message),
    };
    if !caller.user.control_domain {
        return key_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "registering a key needs the ControlDomain right on the identity's domain",
        );
    }
    let kid_ok = (1..=128).contains(&kid.len())
        && kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !kid_ok {
        return key_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "kid: letters, digits, '-', '_', '.', up to 128",
        );
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-pem-file") {
        return key_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BadRequest",
            format!("the key must be sent as application/x-pem-file, not {content_type:?}"),
        );
    }
    let Ok(spki) = SubjectPublicKeyInfoDer::from_pem_slice(body) else {
        return key_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the body is not a PEM public key (BEGIN PUBLIC KEY)",
        );
    };
    if aws_lc_rs::rsa::PublicKey::from_der(spki.as_ref()).is_err() {
        return key_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the public key is not an RSA key of 2048 to 8192 bits",
        );
    }
    let mut inner = app.lock();
    let Some(identity) = inner.identities.get_mut(userid) else {
        return key_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("user {userid} is not an application identity"),
        );
    };
    identity.keys.insert(
        kid.to_owned(),
        RegisteredKey {
            der: spki.as_ref().to_vec(),
            state: KeyState::Active,
        },
    );
    StatusCode::NO_CONTENT.into_response()
}

/// `createusers2` (batch: `requests.user[]`), for application identities only.
pub fn create_users(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let caller = authenticate(app, call)?;
    if !caller.user.control_domain {
        return Err(BuzzError::new(
            "AccessDenied",
            "creating users needs the ControlDomain right",
        ));
    }
    let users = match call.params.get("requests").and_then(|r| r.get("user")) {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => {
            return Err(BuzzError::bad_request(
                "CreateUsers2 takes {\"requests\": {\"user\": [...]}}",
            ))
        }
    };
    let mut responses = Vec::new();
    for user in users {
        let text = |k: &str| user.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        if !text("type").eq_ignore_ascii_case("applicationidentity") {
            responses.push(json!({"code": "BadRequest", "message": "the sandbox creates application identities only (type: applicationidentity)"}));
            continue;
        }
        let Some(domain) = app.resolve_domain(&text("domainid")) else {
            responses
                .push(json!({"code": "BadRequest", "message": "domainid is not a domain here"}));
            continue;
        };
        if !app.in_scope(&caller.session.domain, &domain) {
            responses.push(json!({"code": "AccessDenied", "message": format!("domain {domain} is outside the login's domain {}", caller.session.domain)}));
            continue;
        }
        let username = text("username");
        if username.is_empty() {
            responses.push(json!({"code": "BadRequest", "message": "username is required"}));
            continue;
        }
        let mut inner = app.lock();
        if inner
            .identities
            .values()
            .any(|i| i.username.eq_ignore_ascii_case(&username))
        {
            responses.push(json!({"code": "BadRequest", "message": format!("the username {username:?} is taken")}));
            continue;
        }
        let userid = (200_001 + inner.identities.len()).to_string();
        inner.identities.insert(
            userid.clone(),
            Identity {
                username: username.clone(),
                domain,
                control_domain: false,
                keys: Default::default(),
            },
        );
        responses.push(json!({"code": "OK", "user": {"userid": userid, "username": username}}));
    }
    let mut payload = Map::new();
    payload.insert("responses".into(), json!({ "response": responses }));
    Ok(Reply {
        code: "OK",
        payload,
        mutating: true,
    })
}
