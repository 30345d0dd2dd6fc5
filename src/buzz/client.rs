//! The Buzz API transport: JSON over `POST {base}/cmd`, Bearer tokens, Login3 with MFA, and the
//! retry rules of Agilix's own sample clients (5 retries, 1 s doubling to 64 s plus jitter,
//! `Retry-After` on 429/503, capped at a minute, re-login once on `NoAuthentication`).
//!
//! Every request, the login first, goes to the one base URL: https, or plain http only on
//! loopback (the sandbox). No redirect is followed: on a 307/308 reqwest would send the body
//! again, and Login3's body holds the password, so a 3xx is an error naming where it pointed.
//! An application identity's bearer token is renewed before it expires (`identity.rs`).

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::http::{read_body, retry_after, root_cause, BodyError, RetryPolicy};
use super::identity::{self, AppIdentity};
use super::wire::{self, code_of};
use crate::calls::CallLog;
use crate::error::{Error, Result};
use crate::names::{BuzzUrl, BuzzUser};

/// How the tool proves who it is to Buzz.
pub enum Credentials {
    /// Login3 with a password; kept so an expired session can be renewed mid-run.
    Password {
        user: BuzzUser,
        password: SecretString,
    },
    /// A bearer token the user already holds (OAuth integrations).
    Token(SecretString),
    /// An application identity: a JWT assertion signed with its key, exchanged for a bearer
    /// token, and again before that token expires.
    Identity(Box<AppIdentity>),
}

/// Where an MFA code comes from when Buzz asks for one.
pub enum Otp {
    Given(SecretString),
    /// Ask the person at the terminal (hidden input): the command layer passes the prompt.
    Prompt(fn() -> Result<SecretString>),
    /// Non-interactive and none given: fail with a message naming `BUZZ_OTP`.
    Unavailable,
}

/// Who Buzz says we are after login.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Session {
    pub userid: String,
    pub username: String,
    pub userspace: String,
    pub domainid: String,
    /// The application identity's client id, when the run signs in as one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A logged-in (or token-bearing) Buzz client.
pub struct BuzzClient {
    http: reqwest::Client,
    base: BuzzUrl,
    credentials: Credentials,
    otp: Otp,
    token: Mutex<Option<SecretString>>,
    /// When an application identity's token must be renewed (`None`: never).
    renew_at: std::sync::Mutex<Option<Instant>>,
    /// Held while the token is renewed: the calls of a fan-out that find it due (or refused)
    /// together wait for one renewal instead of each signing in.
    renewing: Mutex<()>,
    retry: RetryPolicy,
    pub(super) calls: CallLog,
}

/// What one HTTP exchange came to.
enum Attempt {
    Answer(Map<String, Value>),
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// No connection at all (DNS, refused, unreachable, TLS): a short outage is rare, a
    /// wrong URL or a blocked network is not, so it gets one quick retry, not the backoff.
    NoConnection {
        cause: String,
    },
}

/// The pause before the one retry of a failed connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Whether `url` names this machine: 127.0.0.0/8, ::1 or `localhost`.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether the tool may send to `url`: https anywhere, plain http only to this machine.
pub fn transport_allowed(url: &url::Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url))
}

impl BuzzClient {
    pub fn new(base: BuzzUrl, credentials: Credentials, otp: Otp, calls: CallLog) -> Result<Self> {
        let transport_error = |reason: String| Error::BuzzTransport {
            url: base.to_string(),
            cmd: "-".into(),
            reason,
            hint: None,
        };
        if !transport_allowed(&base.cmd_url()) {
            return Err(transport_error(
                "plain http is refused except to this machine (127.0.0.1, ::1, localhost): use the https:// URL".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            // A redirect is an error (`attempt`), never followed.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&base.cmd_url()) {
            // This machine is reached directly: plain http to it must not travel through an
            // HTTP_PROXY elsewhere (with the password of a login in it).
            builder = builder.no_proxy();
        }
        if let Some((path, pem)) = crate::tls::ca_bundle()? {
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                transport_error(format!(
                    "AWS_CA_BUNDLE ({}): {}",
                    path.display(),
                    root_cause(&e)
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .user_agent(concat!(
                "buzz-kinesis/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/buzz-kinesis/buzz-kinesis)"
            ))
            // Two attempts at most, so an unreachable Buzz is reported within about 5 s.
            .connect_timeout(Duration::from_secs(2))
            // Set tests every Kinesis target from Buzz's side: give it time.
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| transport_error(root_cause(&e)))?;
        let token = match &credentials {
            Credentials::Token(t) => Some(t.clone()),
            Credentials::Password { .. } | Credentials::Identity(_) => None,
        };
        Ok(Self {
            http,
            base,
            credentials,
            otp,
            token: Mutex::new(token),
            renew_at: std::sync::Mutex::new(None),
            renewing: Mutex::new(()),
            retry: RetryPolicy::default(),
            calls,
        })
    }

    pub fn base(&self) -> &BuzzUrl {
        &self.base
    }

    /// Log in (Login3, then the second factor when Buzz asks for it). With a bearer token
    /// there is nothing to do.
    pub async fn login(&self) -> Result<Session> {
        if let Credentials::Identity(id) = &self.credentials {
            self.sign_in(id).await?;
            return Ok(Session {
                userid: id.client_id.to_string(),
                client_id: Some(id.client_id.to_string()),
                ..Session::default()
            });
        }
        let Credentials::Password { user, password } = &self.credentials else {
            return Ok(Session::default());
        };
        let params = wire::login_params(&user.to_string(), password.expose_secret());
        let answer = self.send(wire::CMD_LOGIN, params, None).await?;
        let answer = match code_of(&answer) {
            wire::CODE_OK => answer,
            wire::CODE_SECOND_FACTOR => {
                let mfa_token = answer
                    .get(wire::TOKEN)
                    .and_then(Value::as_str)
                    .map(|t| SecretString::from(t.to_owned()))
                    .ok_or_else(|| buzz_error(wire::CMD_LOGIN, &answer))?;
                let otp = match &self.otp {
                    Otp::Given(code) => code.clone(),
                    Otp::Prompt(ask) => ask()?,
                    Otp::Unavailable => {
                        return Err(Error::missing(
                            "a one-time code (Buzz asks for a second factor)",
                            "--buzz-otp-file",
                            Some("BUZZ_OTP"),
                            "",
                        ))
                    }
                };
                let params = wire::otp_params(otp.expose_secret());
                let answer = self
                    .send(wire::CMD_SECOND_FACTOR, params, Some(&mfa_token))
                    .await?;
                if code_of(&answer) != wire::CODE_OK {
                    return Err(buzz_error(wire::CMD_SECOND_FACTOR, &answer));
                }
                answer
            }
            _ => {
                return Err(buzz_error(wire::CMD_LOGIN, &answer).with_hint(
                    "check --buzz-user (USERSPACE/USERNAME, the userspace of your login domain) and the password",
                ))
            }
        };
        let user_obj = answer.get(wire::USER).cloned().unwrap_or_default();
        let token = user_obj
            .get(wire::TOKEN)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Buzz {
                cmd: wire::CMD_LOGIN.into(),
                code: "NoToken".into(),
                message: "the login answer carried no user.token".into(),
                error_id: None,
                hint: None,
            })?;
        *self.token.lock().await = Some(SecretString::from(token.to_owned()));
        let text = |k: &str| match user_obj.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Ok(Session {
            userid: text(wire::USER_ID),
            username: text(wire::USER_NAME),
            userspace: text(wire::USER_SPACE),
            domainid: text(wire::USER_DOMAIN),
            client_id: None,
        })
    }

    /// Exchange a fresh assertion for a bearer token, and note when to renew it.
    async fn sign_in(&self, id: &AppIdentity) -> Result<()> {
        let started = Instant::now();
        let issued = identity::exchange(&self.http, &self.base, id, &self.retry).await?;
        *self.token.lock().await = Some(issued.access_token);
        *self
            .renew_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(identity::renew_at(started, issued.expires_in));
        self.calls.record("buzz", identity::EXCHANGE, false);
        Ok(())
    }

    /// An application identity's token, renewed first when it is due: a call after a long
    /// wait (IAM propagation, a slow test of the targets) never goes out with a stale token.
    async fn current_token(&self) -> Result<Option<SecretString>> {
        if let Credentials::Identity(id) = &self.credentials {
            if self.renewal_due() {
                let _one = self.renewing.lock().await;
                // Another call may have renewed it while this one waited.
                if self.renewal_due() {
                    tracing::info!(
                        "renewing the application identity's Buzz token before it expires"
                    );
                    self.sign_in(id).await?;
                }
            }
        }
        Ok(self.token.lock().await.clone())
    }

    fn renewal_due(&self) -> bool {
        self.renew_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_none_or(|at| Instant::now() >= at)
    }

    /// Sign in again after Buzz refused `stale`, unless another call already did (the token
    /// is no longer the one refused): one login for a fan-out whose session expired.
    async fn renew_after_refusal(&self, stale: Option<&SecretString>) -> Result<()> {
        let _one = self.renewing.lock().await;
        let current = self.token.lock().await.clone();
        let unchanged = match (current.as_ref(), stale) {
            (Some(now), Some(old)) => now.expose_secret() == old.expose_secret(),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            self.login().await?;
        }
        Ok(())
    }

    /// Run an authenticated command; a non-OK code is an error carrying code, message and
    /// errorId. An expired session is renewed once (password logins only).
    pub async fn call(
        &self,
        cmd: &str,
        params: Map<String, Value>,
        mutating: bool,
    ) -> Result<Map<String, Value>> {
        let token = self.current_token().await?;
        let answer = self.send(cmd, params.clone(), token.as_ref()).await?;
        let answer = if code_of(&answer) == wire::CODE_NO_AUTH
            && matches!(
                self.credentials,
                Credentials::Password { .. } | Credentials::Identity(_)
            ) {
            tracing::info!(cmd, "Buzz session expired; logging in again");
            self.renew_after_refusal(token.as_ref()).await?;
            let token = self.token.lock().await.clone();
            self.send(cmd, params, token.as_ref()).await?
        } else {
            answer
        };
        match code_of(&answer) {
            wire::CODE_OK => {}
            wire::CODE_NO_AUTH if matches!(self.credentials, Credentials::Token(_)) => {
                return Err(buzz_error(cmd, &answer).with_hint(
                    "the bearer token in BUZZ_TOKEN is expired or revoked: get a new one (OAuth tokens last an hour), or log in with --buzz-user",
                ))
            }
            _ => return Err(buzz_error(cmd, &answer)),
        }
        self.calls.record("buzz", cmd, mutating);
        Ok(answer)
    }

    /// One request below the base that is not a `/cmd` JSON command (key registration, the
    /// batch `createusers2`), with the session's token: its status and body. Not retried: the
    /// caller reads the answer.
    pub(super) async fn rest(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<(u16, String)> {
        let url = self.base.join(path);
        let token = self.current_token().await?;
        let mut req = self
            .http
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(t) = &token {
            req = req.bearer_auth(t.expose_secret());
        }
        let resp = req.send().await.map_err(|e| Error::BuzzTransport {
            url: url.to_string(),
            cmd: path.into(),
            reason: crate::error::chain(&e),
            hint: None,
        })?;
        let status = resp.status().as_u16();
        let text = read_body(resp)
            .await
            .map_err(|e| e.into_error(url.as_str(), path))?;
        Ok((status, text))
    }

    /// One command with the transport retries; returns Buzz's `response` object whatever
    /// its code.
    async fn send(
        &self,
        cmd: &str,
        params: Map<String, Value>,
        token: Option<&SecretString>,
    ) -> Result<Map<String, Value>> {
        let body = wire::request_body(cmd, params);
        crate::deadline::waiting_for(format!("Buzz's answer to {cmd} at {}", self.base));
        let mut attempt = 0;
        let mut reconnected = false;
        loop {
            let outcome = self.attempt(&body, token).await;
            let (after, why) = match outcome {
                Ok(Attempt::Answer(a)) => return Ok(a),
                Ok(Attempt::Retry { after, why }) => (after, why),
                Ok(Attempt::NoConnection { cause }) if reconnected => {
                    return Err(Error::BuzzTransport {
                        url: self.base.to_string(),
                        cmd: cmd.into(),
                        reason: format!("no connection: {cause} (tried twice)"),
                        hint: Some("check --buzz-url (BUZZ_KINESIS_BUZZ_URL), your network and any proxy (HTTPS_PROXY); behind a TLS-inspecting proxy, point SSL_CERT_FILE or AWS_CA_BUNDLE at its CA".into()),
                    })
                }
                Ok(Attempt::NoConnection { cause }) => {
                    tracing::warn!(cmd, %cause, "no connection to Buzz; trying once more");
                    reconnected = true;
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if attempt >= self.retry.max_retries {
                return Err(Error::BuzzTransport {
                    url: self.base.to_string(),
                    cmd: cmd.into(),
                    reason: format!("{why} (gave up after {} retries)", self.retry.max_retries),
                    hint: None,
                });
            }
            let wait = after.unwrap_or_else(|| self.retry.backoff(attempt));
            crate::deadline::waiting_for(format!(
                "Buzz's answer to {cmd} at {} ({why}; retry {} of {} in {} s)",
                self.base,
                attempt + 1,
                self.retry.max_retries,
                wait.as_secs()
            ));
            tracing::warn!(cmd, %why, wait_ms = wait.as_millis() as u64, "Buzz call will be retried");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, body: &Value, token: Option<&SecretString>) -> Result<Attempt> {
        let cmd = body[wire::REQUEST][wire::CMD]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let url = self.base.cmd_url();
        // Checked at every request, not only when the URL was parsed.
        if !transport_allowed(&url) {
            return Err(Error::BuzzTransport {
                url: self.base.to_string(),
                cmd,
                reason: "plain http is refused except to this machine".into(),
                hint: Some("use the https:// URL of the Buzz API".into()),
            });
        }
        let mut req = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t.expose_secret());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Ok(Attempt::NoConnection {
                    cause: root_cause(&e),
                })
            }
            // Errors after connecting (a dropped connection, a timeout) are worth retrying;
            // the commands we send are idempotent (set replaces the whole configuration with
            // the same value). reqwest's error text names the URL but never the body, so no
            // secret leaks.
            Err(e) => {
                return Ok(Attempt::Retry {
                    after: None,
                    why: format!("network error: {}", crate::error::chain(&e)),
                })
            }
        };
        let status = resp.status().as_u16();
        let after = retry_after(resp.headers());
        match status {
            429 | 503 => {
                return Ok(Attempt::Retry {
                    after,
                    why: format!("HTTP {status}"),
                })
            }
            500 | 502 | 504 => {
                return Ok(Attempt::Retry {
                    after: None,
                    why: format!("HTTP {status}"),
                })
            }
            200..=299 => {}
            300..=399 => {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_else(|| "(no Location)".into());
                return Err(Error::BuzzTransport {
                    url: self.base.to_string(),
                    cmd,
                    reason: format!(
                        "HTTP {status}, a redirect to {}: not followed (the request would be sent there again, a login with its password)",
                        crate::text::outside(&location)
                    ),
                    hint: Some("point --buzz-url (BUZZ_KINESIS_BUZZ_URL) at the Buzz API's own https address, not one that redirects; if the redirect is expected, use its target as --buzz-url".into()),
                });
            }
            _ => {
                return Err(Error::BuzzTransport {
                    url: self.base.to_string(),
                    cmd,
                    reason: format!("HTTP {status}"),
                    hint: None,
                })
            }
        }
        let text = match read_body(resp).await {
            Ok(t) => t,
            Err(BodyError::Transport(e)) => {
                return Ok(Attempt::Retry {
                    after: None,
                    why: format!("reading the answer failed: {}", crate::error::chain(&e)),
                })
            }
            Err(too_large) => return Err(too_large.into_error(self.base.as_str(), &cmd)),
        };
        let parsed = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| wire::response_of(&v));
        let Some(answer) = parsed else {
            // A broken body from a proxy or an overloaded server; retrying is safe.
            return Ok(Attempt::Retry {
                after: None,
                why: format!(
                    "HTTP {status} with an answer that is not Buzz JSON ({} bytes)",
                    text.len()
                ),
            });
        };
        match code_of(&answer) {
            wire::CODE_RATE_LIMIT | wire::CODE_OVERWHELMED => Ok(Attempt::Retry {
                after,
                why: code_of(&answer).to_owned(),
            }),
            _ => Ok(Attempt::Answer(answer)),
        }
    }
}

/// A non-OK answer as an error with Buzz's own code, message and errorId.
fn buzz_error(cmd: &str, answer: &Map<String, Value>) -> Error {
    let text = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_owned);
    Error::Buzz {
        cmd: cmd.into(),
        code: text(wire::CODE).unwrap_or_else(|| "(no code)".into()),
        message: text(wire::MESSAGE).unwrap_or_default(),
        error_id: text(wire::ERROR_ID),
        hint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback server that answers every request with `head`, then `mib` MiB of spaces
    /// inside a JSON string (none when 0: it then holds the connection open), then closes.
    async fn answering(head: &'static str, mib: usize) -> BuzzClient {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = vec![0u8; 64 * 1024];
                    let _ = s.read(&mut request).await;
                    let _ = s.write_all(head.as_bytes()).await;
                    if mib == 0 {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    let _ = s.write_all(br#"{"response":{"code":"OK","pad":""#).await;
                    let chunk = vec![b' '; 1 << 20];
                    for _ in 0..mib {
                        if s.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                    let _ = s.write_all(br#""}}"#).await;
                });
            }
        });
        let base = BuzzUrl::parse("--buzz-url", &format!("http://127.0.0.1:{port}")).unwrap();
        let token = Credentials::Token(SecretString::from("t".to_owned()));
        BuzzClient::new(base, token, Otp::Unavailable, CallLog::new()).unwrap()
    }

    #[tokio::test]
    async fn an_answer_past_the_cap_is_refused_naming_the_cap() {
        const OPEN: &str =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
        // No length given: read until 8 MiB, then refused (a 9 MiB answer is valid JSON).
        let client = answering(OPEN, 9).await;
        let e = client
            .call("getdomain2", Map::new(), false)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
        // A length past the cap: refused before a byte of the body (none ever comes).
        const LONG: &str =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\n\r\n";
        let client = answering(LONG, 0).await;
        let call = client.call("getdomain2", Map::new(), false);
        let e = tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .expect("refused at once, not read")
            .unwrap_err();
        assert!(e.to_string().contains("larger than 8 MiB"), "{e}");
        // Under the cap it is read.
        let client = answering(OPEN, 7).await;
        client.call("getdomain2", Map::new(), false).await.unwrap();
    }

    #[test]
    fn loopback_is_this_machine_only() {
        let lo = |u: &str| is_loopback(&url::Url::parse(u).unwrap());
        assert!(lo("http://127.0.0.1:1/") && lo("http://127.9.9.9/") && lo("http://[::1]/"));
        assert!(lo("http://LOCALHOST/"));
        assert!(!lo("http://10.0.0.1/") && !lo("http://localhost.example.com/"));
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        let ok = |u: &str| transport_allowed(&url::Url::parse(u).unwrap());
        assert!(ok("https://api.agilixbuzz.com/cmd"));
        assert!(ok("http://127.0.0.1:8080/cmd"));
        assert!(ok("http://[::1]:8080/cmd"));
        assert!(ok("http://localhost/cmd"));
        assert!(!ok("http://api.agilixbuzz.com/cmd"));
        assert!(!ok("http://10.0.0.1/cmd"));
        assert!(!ok("ftp://127.0.0.1/cmd"));
    }
}
