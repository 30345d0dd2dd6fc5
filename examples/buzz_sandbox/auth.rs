//! Sessions: `login3` (POST only), the second factor (`secondfactorauthenticate`), tokens that
//! expire after `--token-ttl` seconds without use and are extended by every authenticated call,
//! `extendsession` and `logout`; and [`authenticate`], which every other command goes through.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::{json, Map, Value};

use crate::server::{BuzzError, Call, Reply};
use crate::state::{new_session_id, new_token, App, Session, Stage, User};

/// How long a second-factor token lives: Buzz calls it short-lived.
const SECOND_FACTOR_TTL: Duration = Duration::from_secs(300);

/// An authenticated caller: the user (a person, or an application identity made by
/// `createusers2`) and its session.
pub struct Caller<'a> {
    pub user: Cow<'a, User>,
    pub session: Session,
}

/// The session behind the call's token, extended; `NoAuthentication` when there is none.
pub fn authenticate<'a>(app: &'a App, call: &Call) -> Result<Caller<'a>, BuzzError> {
    let Some(token) = call.token.as_deref() else {
        return Err(BuzzError::new(
            "NoAuthentication",
            "No authentication token was supplied; log in with Login3",
        ));
    };
    let now = Instant::now();
    let mut inner = app.lock();
    let session = match inner.sessions.get_mut(token) {
        // An OAuth token lives its expires_in, used or not.
        Some(session)
            if session.stage == Stage::Full
                && session.expires > now
                && session.identity.is_some() =>
        {
            session.clone()
        }
        Some(session) if session.stage == Stage::Full && session.expires > now => {
            session.expires = now + app.settings.token_ttl;
            session.clone()
        }
        Some(session) if session.stage == Stage::Full => {
            inner.sessions.remove(token);
            return Err(BuzzError::new(
                "NoAuthentication",
                "The session has expired",
            ));
        }
        _ => {
            return Err(BuzzError::new(
                "NoAuthentication",
                "The authentication token is not valid",
            ))
        }
    };
    if let Some(id) = &session.identity {
        let identity = inner.identities.get(id).ok_or_else(|| {
            BuzzError::new(
                "NoAuthentication",
                "The session's identity no longer exists",
            )
        })?;
        let user = User {
            userid: id.clone(),
            username: identity.username.clone(),
            password: String::new(),
            firstname: identity.username.clone(),
            lastname: "application identity".into(),
            control_domain: identity.control_domain,
            mfa_code: None,
        };
        return Ok(Caller {
            user: Cow::Owned(user),
            session,
        });
    }
    drop(inner);
    let user =
        app.settings.users.get(session.user).ok_or_else(|| {
            BuzzError::new("NoAuthentication", "The session's user no longer exists")
        })?;
    Ok(Caller {
        user: Cow::Borrowed(user),
        session,
    })
}

pub fn login3(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    if call.method != Method::POST {
        return Err(BuzzError::bad_request("Login3 must be sent with POST"));
    }
    let (Some(username), Some(password)) = (call.param("username"), call.param("password")) else {
        return Err(BuzzError::bad_request(
            "Login3 requires the parameters 'username' (userspace/username) and 'password'",
        ));
    };
    let invalid = || {
        BuzzError::new(
            "InvalidCredentials",
            "The username or password is not valid",
        )
    };
    let (userspace, name) = username.split_once('/').ok_or_else(invalid)?;
    // Every domain of the tree has the same two users (a sandbox's simplification): the login's
    // userspace picks the domain the session works in.
    let domain = app
        .settings
        .tree
        .by_userspace(userspace)
        .ok_or_else(invalid)?
        .id
        .clone();
    let (index, user) = app
        .settings
        .users
        .iter()
        .enumerate()
        .find(|(_, user)| user.username.eq_ignore_ascii_case(name))
        .ok_or_else(invalid)?;
    if user.password != password {
        return Err(invalid());
    }

    if user.mfa_code.is_some() {
        let token = new_token();
        let ttl = SECOND_FACTOR_TTL.min(app.settings.token_ttl);
        app.lock().sessions.insert(
            token.clone(),
            Session {
                user: index,
                stage: Stage::SecondFactorPending,
                expires: Instant::now() + ttl,
                session_id: new_session_id(),
                identity: None,
                domain,
            },
        );
        let mut payload = Map::new();
        payload.insert(
            "message".into(),
            Value::String("A second authentication factor is required".into()),
        );
        payload.insert("token".into(), Value::String(token));
        return Ok(Reply {
            code: "SecondFactorRequired",
            payload,
            mutating: false,
        });
    }
    Ok(start_session(app, index, user, &domain))
}

pub fn second_factor(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let Some(token) = call.token.as_deref() else {
        return Err(BuzzError::new(
            "NoAuthentication",
            "SecondFactorAuthenticate needs the token that Login3 returned",
        ));
    };
    let now = Instant::now();
    let (user_index, domain) = {
        let mut inner = app.lock();
        match inner.sessions.get(token) {
            Some(s) if s.stage == Stage::SecondFactorPending && s.expires > now => {
                (s.user, s.domain.clone())
            }
            Some(s) if s.stage == Stage::SecondFactorPending => {
                inner.sessions.remove(token);
                return Err(BuzzError::new(
                    "NoAuthentication",
                    "The second-factor token has expired; log in again",
                ));
            }
            _ => {
                return Err(BuzzError::new(
                    "NoAuthentication",
                    "The token is not a pending second-factor token",
                ))
            }
        }
    };
    let Some(user) = app.settings.users.get(user_index) else {
        return Err(BuzzError::new(
            "NoAuthentication",
            "The token's user no longer exists",
        ));
    };
    let otp = call.param("otp").unwrap_or_default();
    if user.mfa_code.as_deref() != Some(otp.trim()) {
        return Err(BuzzError::new(
            "InvalidCredentials",
            "The second factor code is not valid",
        ));
    }
    app.lock().sessions.remove(token);
    Ok(start_session(app, user_index, user, &domain))
}

pub fn extend_session(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    authenticate(app, call)?;
    let mut payload = Map::new();
    payload.insert(
        "session".into(),
        json!({ "authenticationexpirationminutes": expiration_minutes(app) }),
    );
    Ok(Reply::ok(payload))
}

pub fn logout(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    authenticate(app, call)?;
    if let Some(token) = call.token.as_deref() {
        app.lock().sessions.remove(token);
    }
    Ok(Reply::ok(Map::new()))
}

/// A full session for `user` in `domain`, and the Login3-shaped answer that carries its token.
fn start_session(app: &App, index: usize, user: &User, domain: &str) -> Reply {
    let token = new_token();
    app.lock().sessions.insert(
        token.clone(),
        Session {
            user: index,
            stage: Stage::Full,
            expires: Instant::now() + app.settings.token_ttl,
            session_id: new_session_id(),
            identity: None,
            domain: domain.to_owned(),
        },
    );
    let (userspace, name) = app
        .settings
        .tree
        .get(domain)
        .map_or((String::new(), String::new()), |d| {
            (d.userspace.clone(), d.name.clone())
        });
    let mut payload = Map::new();
    payload.insert(
        "user".into(),
        json!({
            "token": token,
            "userid": user.userid,
            "username": user.username,
            "userspace": userspace,
            "domainid": domain,
            "domainname": name,
            "firstname": user.firstname,
            "lastname": user.lastname,
            "authenticationexpirationminutes": expiration_minutes(app),
        }),
    );
    Reply::ok(payload)
}

/// The token's life in whole minutes, rounded up (at least 1).
fn expiration_minutes(app: &App) -> u64 {
    app.settings.token_ttl.as_secs().div_ceil(60).max(1)
}
