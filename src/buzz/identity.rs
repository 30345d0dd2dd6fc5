//! Buzz application identity (OAuth 2.0 client credentials, RFC 6749 §4.4, with a JWT client
//! assertion, RFC 7523): the private key (read from a file only its owner can read, kept in
//! memory the crypto library owns, never printed), the assertion (RS256, the key id in the
//! header), and the exchange at `POST {base}/api/oauth/token` for a bearer token.
//!
//! The signature is aws-lc-rs's, the crypto the TLS stack already carries: no second crypto
//! stack, and a JWT is three base64url parts, small enough to write here. What the claims must
//! be is not documented by Agilix: `iss` = `sub` = client id, `aud` = the token endpoint's URL
//! (RFC 7523) are the defaults, `--buzz-token-audience` sets another audience, and a refusal
//! quotes the endpoint's answer and names the choices made.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::{json, Value};

use super::http::{read_body, retry_after, root_cause, RetryPolicy};
use super::wire;
use crate::error::{Error, Result};
use crate::names::{BuzzUrl, ClientId, KeyId};

/// How long an assertion is valid: RFC 7523 wants it short; five minutes covers clock skew.
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// An RSA private key for signing assertions. Its bytes live in aws-lc's memory (freed and
/// cleared with it); `Debug` says nothing about it.
pub struct SigningKey {
    pair: RsaKeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// Read a PEM private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`)
    /// from `path`, as [`read_private`] reads it.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = read_private(path)?;
        Self::from_pem(bytes.expose_secret(), &path.display().to_string())
    }

    /// Parse a PEM private key; `what` names it in errors (never its content).
    pub fn from_pem(pem: &[u8], what: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "the key file {what} {why}: it must hold an unencrypted RSA private key in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY), as `buzz-kinesis buzz-identity` writes it"
            ))
        };
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|_| bad("holds no private key"))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(bad("holds a key that is not RSA")),
        }
        .map_err(|_| bad("holds a key aws-lc cannot use (RSA, 2048 to 8192 bits)"))?;
        Ok(Self { pair })
    }

    /// A new 3072-bit key pair and its private key as PKCS#8 PEM (to write to a 0600 file).
    pub fn generate() -> Result<(Self, SecretString)> {
        let failed = || Error::Internal("generating an RSA key pair failed (aws-lc)".into());
        let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa3072).map_err(|_| failed())?;
        let der = pair.as_der().map_err(|_| failed())?;
        let pem = SecretString::from(pem_block("PRIVATE KEY", der.as_ref()));
        Ok((Self { pair }, pem))
    }

    /// The public half as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`), what Buzz registers.
    pub fn public_pem(&self) -> String {
        pem_block("PUBLIC KEY", self.public_der().as_ref())
    }

    fn public_der(&self) -> Vec<u8> {
        // Encoding a public key aws-lc just parsed cannot fail; an empty key would be
        // refused by Buzz with its own message.
        let der: Option<PublicKeyX509Der<'static>> = self.pair.public_key().as_der().ok();
        der.map(|d| d.as_ref().to_vec()).unwrap_or_default()
    }

    /// A key id derived from the public key (`bk-` and 16 hex digits of its SHA-256), so the
    /// same key always gets the same id when `--buzz-key-id` is not given.
    pub fn default_key_id(&self) -> KeyId {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.public_der().as_ref());
        let hex: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        KeyId::parse("--buzz-key-id", &format!("bk-{hex}"))
            .unwrap_or_else(|_| unreachable!("bk- and hex digits are a valid key id"))
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| {
                Error::Internal("signing the Buzz client assertion failed (aws-lc)".into())
            })?;
        Ok(signature)
    }
}

/// The largest key file read: an 8192-bit RSA key in PEM is under 7 KiB.
pub const MAX_KEY_FILE: u64 = 64 * 1024;

/// A private key file's bytes. The file is opened once and every check is made on the open
/// file (fstat), so it cannot be swapped between the check and the read; on unix a symbolic
/// link is not followed (O_NOFOLLOW), the file must be a regular file owned by this user that
/// its group and others may not read or write (mode & 0o077, ssh's rule), and at most
/// [`MAX_KEY_FILE`] bytes. On Windows the file is read as it is: its access is NTFS's ACLs,
/// which this tool does not judge (keep it in your own profile).
pub fn read_private(path: &Path) -> Result<SecretSlice<u8>> {
    use std::io::Read as _;
    let shown = path.display();
    let io = |e: std::io::Error| Error::io(format!("reading the key file {shown}"), e);
    let file = open_private(path)?;
    let meta = file.metadata().map_err(io)?;
    check_private(path, &meta)?;
    if meta.len() > MAX_KEY_FILE {
        return Err(Error::Usage(format!(
            "the key file {shown} is {} bytes, more than a private key's {MAX_KEY_FILE}: give the PEM file `buzz-kinesis buzz-identity` wrote",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    // The file may grow after the fstat: read no more than the cap either way.
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(Error::Usage(format!(
            "the key file {shown} grew past {MAX_KEY_FILE} bytes while it was read"
        )));
    }
    Ok(SecretSlice::from(bytes))
}

#[cfg(unix)]
fn open_private(path: &Path) -> Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    // NONBLOCK: a FIFO put in the key file's place does not hang the open (it is then
    // refused as not a regular file).
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(std::fs::File::from(fd)),
        Err(rustix::io::Errno::LOOP) => Err(Error::Usage(format!(
            "the key file {} is a symbolic link: give the key file's own path (a link could be pointed at another file between runs)",
            path.display()
        ))),
        Err(e) => Err(Error::io(
            format!("reading the key file {}", path.display()),
            e.into(),
        )),
    }
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path)
        .map_err(|e| Error::io(format!("reading the key file {}", path.display()), e))
}

/// Refuse an open key file that is not a regular file, not this user's, or that its group or
/// others may read or write.
#[cfg(unix)]
pub fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let quoted = crate::text::shell_quote(&path.display().to_string());
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "the key file {} is not a regular file: give the PEM file `buzz-kinesis buzz-identity` wrote",
            path.display()
        )));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::Usage(format!(
            "the key file {} belongs to uid {}, not to this user (uid {me}): a private key must be its owner's; copy it to a file of your own (chmod 600) or run as its owner",
            path.display(),
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::Usage(format!(
            "the key file {} is accessible by others (mode {mode:04o}): a private key must be readable by its owner only; run `chmod 600 {quoted}`",
            path.display(),
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "the key file {} is not a regular file",
            path.display()
        )));
    }
    Ok(())
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Who the tool is to Buzz when no person logs in.
pub struct AppIdentity {
    pub client_id: ClientId,
    pub key_id: KeyId,
    /// `--buzz-token-audience`; else the token endpoint's URL.
    pub audience: Option<String>,
    pub key_file: PathBuf,
    key: SigningKey,
}

impl fmt::Debug for AppIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppIdentity")
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .field("audience", &self.audience)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

/// The assertion's claims (RFC 7523 §3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

impl AppIdentity {
    /// The identity, its key read from `key_file` now (so a bad file fails before any call).
    pub fn load(
        client_id: ClientId,
        key_id: Option<KeyId>,
        audience: Option<String>,
        key_file: PathBuf,
    ) -> Result<Self> {
        let key = SigningKey::load(&key_file)?;
        let key_id = key_id.unwrap_or_else(|| key.default_key_id());
        Ok(Self {
            client_id,
            key_id,
            audience,
            key_file,
            key,
        })
    }

    /// The claims for an assertion to `token_url`, issued at `now`.
    pub fn claims(&self, token_url: &str, now: SystemTime, jti: String) -> Claims {
        let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Claims {
            iss: self.client_id.to_string(),
            sub: self.client_id.to_string(),
            aud: self
                .audience
                .clone()
                .unwrap_or_else(|| token_url.to_owned()),
            iat,
            exp: iat + ASSERTION_LIFETIME.as_secs(),
            jti,
        }
    }

    /// The signed JWT: `base64url(header).base64url(claims).base64url(RS256 signature)`.
    pub fn assertion(&self, claims: &Claims) -> Result<SecretString> {
        let header = json!({"alg": wire::JWT_ALG, "typ": "JWT", "kid": self.key_id.as_str()});
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature = self.key.sign(signing_input.as_bytes())?;
        Ok(SecretString::from(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }

    /// The choices this assertion made, for an error that says what to change.
    pub fn choices(&self, claims: &Claims) -> String {
        format!(
            "the assertion said iss = sub = {} (--buzz-client-id), kid {} (--buzz-key-id), aud {} ({}), valid {} s from iat {}; check that the key registered under that key id for that client id is this key file's public half ({}), that the machine's clock is right, or set the audience Buzz expects with --buzz-token-audience (e.g. the API's base URL)",
            claims.iss,
            self.key_id,
            claims.aud,
            if self.audience.is_some() {
                "--buzz-token-audience"
            } else {
                "the token endpoint's URL, the default"
            },
            claims.exp.saturating_sub(claims.iat),
            claims.iat,
            self.key_file.display(),
        )
    }
}

/// A random `jti`: 16 bytes from aws-lc's generator, hex.
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    // SystemRandom only fails when the OS has no randomness at all; a fixed jti would then
    // be refused as a replay by Buzz, which says so.
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bearer token from the token endpoint.
pub struct IssuedToken {
    pub access_token: SecretString,
    pub expires_in: Duration,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// The endpoint's refusal in its own words: an OAuth `error`/`error_description`, Buzz's
/// `code`/`message`/`errorId`, or the status and the start of whatever text came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub error_id: Option<String>,
}

/// Read the token endpoint's answer (pure). Any status: a 200 without a token is a refusal
/// too, and an error may come as OAuth JSON, Buzz's envelope or plain text.
pub fn read_token_answer(status: u16, body: &str) -> std::result::Result<IssuedToken, Refusal> {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let text = |v: &Value, k: &str| match v.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if let Some(v) = parsed.as_ref().filter(|_| (200..300).contains(&status)) {
        if let Some(token) = text(v, wire::OAUTH_ACCESS_TOKEN).filter(|t| !t.is_empty()) {
            let token_type = text(v, wire::OAUTH_TOKEN_TYPE).unwrap_or_else(|| "Bearer".into());
            if !token_type.eq_ignore_ascii_case("bearer") {
                return Err(Refusal {
                    code: "unsupported_token_type".into(),
                    message: format!(
                        "the token endpoint issued a {:?} token; this tool sends Bearer tokens only",
                        crate::text::escape_control(&token_type)
                    ),
                    error_id: None,
                });
            }
            let seconds = text(v, wire::OAUTH_EXPIRES_IN)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(wire::OAUTH_DEFAULT_EXPIRES_IN as f64);
            return Ok(IssuedToken {
                access_token: SecretString::from(token),
                expires_in: Duration::from_secs_f64(seconds.min(86_400.0)),
            });
        }
    }
    let clean = |s: String| crate::text::escape_control(&s);
    if let Some(v) = &parsed {
        if let Some(error) = text(v, wire::OAUTH_ERROR) {
            return Err(Refusal {
                code: clean(error),
                message: clean(text(v, wire::OAUTH_ERROR_DESCRIPTION).unwrap_or_default()),
                error_id: text(v, wire::ERROR_ID).map(clean),
            });
        }
        if let Some(r) = wire::response_of(v) {
            let r = Value::Object(r);
            if let Some(code) = text(&r, wire::CODE) {
                return Err(Refusal {
                    code: clean(code),
                    message: clean(text(&r, wire::MESSAGE).unwrap_or_default()),
                    error_id: text(&r, wire::ERROR_ID).map(clean),
                });
            }
        }
        if let Some(code) = text(v, wire::CODE) {
            return Err(Refusal {
                code: clean(code),
                message: clean(text(v, wire::MESSAGE).unwrap_or_default()),
                error_id: text(v, wire::ERROR_ID).map(clean),
            });
        }
    }
    Err(Refusal {
        code: format!("HTTP {status}"),
        message: unread_answer(status, body),
        error_id: None,
    })
}

/// An answer not understood, for an error: the start of an error's text, but never a 2xx
/// answer's, which may carry a credential under a name this tool does not know.
pub fn unread_answer(status: u16, body: &str) -> String {
    let start: String = body.trim().chars().take(300).collect();
    if start.is_empty() {
        "an empty answer, with no access_token".into()
    } else if (200..300).contains(&status) {
        format!(
            "a {} byte answer with no access_token (a success's answer is not shown: it may hold a credential)",
            body.len()
        )
    } else {
        crate::text::escape_control(&start)
    }
}

/// When to sign a fresh assertion: a minute before the token expires, or at four fifths of
/// its life when it lives less than five minutes.
pub fn renew_at(obtained: Instant, expires_in: Duration) -> Instant {
    let margin = (expires_in / 5).min(Duration::from_secs(60));
    obtained + expires_in.saturating_sub(margin)
}

/// The command name errors and logs use for the exchange.
pub const EXCHANGE: &str = "oauth/token";

/// Exchange a fresh assertion for a bearer token, with Buzz's retry rules (a new assertion,
/// with a new `jti`, for every attempt).
pub(super) async fn exchange(
    http: &reqwest::Client,
    base: &BuzzUrl,
    identity: &AppIdentity,
    retry: &RetryPolicy,
) -> Result<IssuedToken> {
    let url = base.join(wire::OAUTH_TOKEN_PATH);
    let transport = |reason: String, hint: Option<String>| Error::BuzzTransport {
        url: url.to_string(),
        cmd: EXCHANGE.into(),
        reason,
        hint,
    };
    let mut attempt = 0;
    loop {
        let claims = identity.claims(url.as_str(), SystemTime::now(), new_jti());
        let assertion = identity.assertion(&claims)?;
        let form = [
            (wire::OAUTH_GRANT_TYPE, wire::OAUTH_CLIENT_CREDENTIALS),
            (wire::OAUTH_ASSERTION_TYPE, wire::OAUTH_JWT_BEARER),
            (wire::OAUTH_ASSERTION, assertion.expose_secret()),
        ];
        let body = form_encode(&form);
        let sent = http
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await;
        let (after, why) = match sent {
            Err(e) if e.is_connect() && attempt >= 1 => {
                return Err(transport(
                    format!("no connection: {} (tried twice)", root_cause(&e)),
                    Some(
                        "check --buzz-url (BUZZ_KINESIS_BUZZ_URL), your network and any proxy (HTTPS_PROXY)"
                            .into(),
                    ),
                ))
            }
            Err(e) => (None, format!("network error: {}", crate::error::chain(&e))),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let after = retry_after(resp.headers());
                match status {
                    429 | 503 => (after, format!("HTTP {status}")),
                    500 | 502 | 504 => (None, format!("HTTP {status}")),
                    _ => {
                        let text = read_body(resp)
                            .await
                            .map_err(|e| e.into_error(url.as_str(), EXCHANGE))?;
                        let text = text.replace(assertion.expose_secret(), "(the assertion)");
                        return match read_token_answer(status, &text) {
                            Ok(token) => {
                                tracing::debug!(
                                    client_id = %identity.client_id,
                                    kid = %identity.key_id,
                                    expires_in_s = token.expires_in.as_secs(),
                                    "Buzz issued a bearer token for the application identity"
                                );
                                Ok(token)
                            }
                            Err(r) => Err(Error::Buzz {
                                cmd: EXCHANGE.into(),
                                code: r.code,
                                message: r.message,
                                error_id: r.error_id,
                                hint: Some(format!(
                                    "the token endpoint {url} refused the application identity's assertion: {}",
                                    identity.choices(&claims)
                                )),
                            }),
                        };
                    }
                }
            }
        };
        if attempt >= retry.max_retries {
            return Err(transport(
                format!("{why} (gave up after {} retries)", retry.max_retries),
                None,
            ));
        }
        let wait = after.unwrap_or_else(|| retry.backoff(attempt));
        tracing::warn!(cmd = EXCHANGE, %why, wait_ms = wait.as_millis() as u64, "Buzz token request will be retried");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// The userid Buzz gave a new identity, before it goes into a URL path
/// (`api/users/{userid}/keys/...`): Buzz's ids are digits, so anything else (a `..`, a `/`,
/// a `?`) is an answer not understood, not a path to follow.
pub fn created_userid(userid: &str) -> std::result::Result<ClientId, String> {
    let digits = (1..=20).contains(&userid.len()) && userid.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(if userid.is_empty() {
            "the answer named no user.userid".into()
        } else {
            format!(
                "the answer's user.userid {} is not a Buzz id (1-20 digits)",
                crate::text::outside(userid)
            )
        });
    }
    ClientId::parse("--buzz-client-id", userid).map_err(|e| e.to_string())
}

/// `application/x-www-form-urlencoded`, as RFC 6749 sends the token request.
fn form_encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (SigningKey, SecretString) {
        SigningKey::generate().unwrap()
    }

    fn identity(audience: Option<&str>) -> AppIdentity {
        AppIdentity {
            client_id: ClientId::parse("--buzz-client-id", "31415926").unwrap(),
            key_id: KeyId::parse("--buzz-key-id", "ci-2026").unwrap(),
            audience: audience.map(str::to_owned),
            key_file: PathBuf::from("/keys/buzz.pem"),
            key: key().0,
        }
    }

    fn part(jwt: &str, i: usize) -> Value {
        let p = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    #[test]
    fn claims_follow_rfc_7523_with_the_endpoint_as_audience() {
        let id = identity(None);
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let c = id.claims("https://b.example/api/oauth/token", now, "j1".into());
        assert_eq!(c.iss, "31415926");
        assert_eq!(c.sub, "31415926");
        assert_eq!(c.aud, "https://b.example/api/oauth/token");
        assert_eq!(c.iat, 1_800_000_000);
        assert_eq!(c.exp, 1_800_000_300);
        assert_eq!(c.jti, "j1");
        let c = identity(Some("https://b.example")).claims(
            "https://b.example/api/oauth/token",
            now,
            "j".into(),
        );
        assert_eq!(c.aud, "https://b.example");
    }

    #[test]
    fn the_assertion_is_an_rs256_jwt_with_the_key_id_that_verifies() {
        let id = identity(None);
        let claims = id.claims("https://b.example/t", SystemTime::now(), new_jti());
        let jwt = id.assertion(&claims).unwrap();
        let jwt = jwt.expose_secret();
        assert_eq!(jwt.split('.').count(), 3);
        assert_eq!(
            part(jwt, 0),
            json!({"alg": "RS256", "typ": "JWT", "kid": "ci-2026"})
        );
        assert_eq!(part(jwt, 1)["sub"], "31415926");
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let public = id.key.pair.public_key().as_ref().to_vec();
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            public,
        )
        .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
        .expect("the signature verifies with the public key");
        assert_ne!(new_jti(), new_jti());
    }

    #[test]
    fn a_generated_key_reads_back_and_keeps_its_key_id() {
        let (k, pem) = key();
        assert!(pem
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = SigningKey::from_pem(pem.expose_secret().as_bytes(), "k.pem").unwrap();
        assert_eq!(back.public_pem(), k.public_pem());
        assert_eq!(back.default_key_id(), k.default_key_id());
        assert!(k.public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(k.default_key_id().as_str().starts_with("bk-"));
        assert_eq!(format!("{k:?}"), "SigningKey(<redacted>)");
        let e = SigningKey::from_pem(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "p.pem",
        )
        .unwrap_err();
        assert!(e.to_string().contains("p.pem holds no private key"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (_, pem) = key();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, pem.expose_secret()).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = SigningKey::load(&path).unwrap_err().to_string();
            assert!(
                e.contains(&format!("mode {mode:04o}")) && e.contains("chmod 600"),
                "{e}"
            );
            assert!(!e.contains("PRIVATE KEY"), "{e}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        SigningKey::load(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_behind_a_link_too_large_or_not_ours_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (_, pem) = key();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, pem.expose_secret()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        // A link to a good key file is not followed.
        let link = dir.path().join("link.pem");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let e = SigningKey::load(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        // A directory is not a key file.
        let e = SigningKey::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        // A good key followed by more than the cap is refused by its size.
        let big = dir.path().join("big.pem");
        let mut text = pem.expose_secret().to_owned();
        text.push_str(&"\n".repeat(MAX_KEY_FILE as usize));
        std::fs::write(&big, text).unwrap();
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = SigningKey::load(&big).unwrap_err().to_string();
        assert!(
            e.contains(&MAX_KEY_FILE.to_string()) && e.contains("bytes"),
            "{e}"
        );
        // A file of another user: ours chowned away when we may (root), else a system file.
        let me = rustix::process::geteuid().as_raw();
        let theirs = if me == 0 {
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
            path.clone()
        } else {
            std::path::PathBuf::from("/etc/passwd")
        };
        let e = SigningKey::load(&theirs).unwrap_err().to_string();
        assert!(
            e.contains("belongs to uid") && e.contains(&format!("uid {me}")),
            "{e}"
        );
    }

    #[test]
    fn a_token_answer_is_read_whatever_its_shape() {
        let t = read_token_answer(
            200,
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose_secret(), "abc");
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        let t = read_token_answer(
            200,
            r#"{"access_token":"abc","token_type":"bearer","expires_in":"5"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(5));
        let t = read_token_answer(200, r#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        assert!(format!("{t:?}").find("abc").is_none());
        let r = read_token_answer(200, r#"{"access_token":"abc","token_type":"MAC"}"#)
            .err()
            .unwrap();
        assert_eq!(r.code, "unsupported_token_type");
    }

    #[test]
    fn a_refusal_quotes_the_endpoint_in_each_shape() {
        let oauth = read_token_answer(
            400,
            r#"{"error":"invalid_client","error_description":"unknown key id"}"#,
        )
        .err()
        .unwrap();
        assert_eq!(
            (oauth.code.as_str(), oauth.message.as_str()),
            ("invalid_client", "unknown key id")
        );
        let buzz = read_token_answer(200, r#"{"response":{"code":"InvalidCredentials","message":"bad assertion","errorId":"e1"}}"#).err().unwrap();
        assert_eq!(
            buzz,
            Refusal {
                code: "InvalidCredentials".into(),
                message: "bad assertion".into(),
                error_id: Some("e1".into())
            }
        );
        let text = read_token_answer(401, "Unauthorized\x1b[31m")
            .err()
            .unwrap();
        assert_eq!(text.code, "HTTP 401");
        assert!(text.message.starts_with("Unauthorized") && !text.message.contains('\x1b'));
        let empty = read_token_answer(200, "{}").err().unwrap();
        assert_eq!(empty.code, "HTTP 200");
    }

    #[test]
    fn a_success_s_answer_is_never_quoted_in_an_error() {
        // A token under a name this tool does not read, in JSON or as text: not shown.
        for body in [
            r#"{"accessToken":"s3cr3t-token"}"#,
            "token=s3cr3t-token",
            r#"{"access_token":""," refresh":"s3cr3t-token"}"#,
        ] {
            let r = read_token_answer(200, body).err().unwrap();
            assert_eq!(r.code, "HTTP 200", "{body}");
            assert!(!r.message.contains("s3cr3t"), "{body}: {}", r.message);
            assert!(r.message.contains("not shown"), "{}", r.message);
        }
        // A refusal's text is still quoted: it says what went wrong.
        assert_eq!(unread_answer(400, "bad request"), "bad request");
        assert!(unread_answer(204, "").contains("empty"));
        assert!(!unread_answer(299, "secret").contains("secret"));
        assert_eq!(unread_answer(300, "moved"), "moved");
    }

    #[test]
    fn a_userid_from_buzz_is_digits_before_it_enters_a_path() {
        assert_eq!(created_userid("200001").unwrap().as_str(), "200001");
        assert_eq!(
            created_userid(&"9".repeat(20)).unwrap().as_str(),
            "9".repeat(20)
        );
        for bad in [
            "..",
            "../../cmd",
            "12/34",
            "12?x=1",
            "abc",
            " 1",
            &"9".repeat(21),
        ] {
            let e = created_userid(bad).unwrap_err();
            assert!(e.contains("not a Buzz id"), "{bad:?}: {e}");
        }
        assert!(created_userid("").unwrap_err().contains("no user.userid"));
    }

    #[test]
    fn renewal_comes_before_expiry() {
        let t0 = Instant::now();
        assert_eq!(
            renew_at(t0, Duration::from_secs(3600)),
            t0 + Duration::from_secs(3540)
        );
        assert_eq!(
            renew_at(t0, Duration::from_secs(5)),
            t0 + Duration::from_secs(4)
        );
    }
}
