//! A running sandbox, seen from a test: its state under `/sandbox/` (saved configurations,
//! the request log, armed faults) and Buzz commands sent to it directly.

use serde_json::{json, Value};

use super::sandbox::Sandbox;
use super::{ADMIN_PASSWORD, ADMIN_USER};

impl Sandbox {
    /// The base URL, e.g. `http://127.0.0.1:40123` (Buzz's `/cmd` is below it).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn cmd_url(&self) -> String {
        format!("{}/cmd", self.url)
    }

    /// A plain HTTP client (no proxy) for requests the helpers do not cover.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn sandbox_json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.expect("a /sandbox request");
        let status = response.status();
        let body = response.text().await.expect("a /sandbox body");
        assert!(status.is_success(), "/sandbox answered {status}: {body}");
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("/sandbox answered non-JSON ({e}): {body}"))
    }

    /// `GET /sandbox/state`: `{"domains": {...}, "log": [...], "faults": {...}, "sessions": n}`.
    pub async fn state(&self) -> Value {
        self.sandbox_json(self.http.get(format!("{}/sandbox/state", self.url)))
            .await
    }

    /// A domain's saved configuration (`null` when none), straight from the sandbox's memory.
    pub async fn domain_config(&self, id: &str) -> Value {
        self.sandbox_json(self.http.get(format!("{}/sandbox/domains/{id}", self.url)))
            .await
    }

    /// Replaces a domain's saved configuration behind Buzz's back (`null` clears it).
    pub async fn set_domain_config(&self, id: &str, config: Value) {
        self.sandbox_json(
            self.http
                .put(format!("{}/sandbox/domains/{id}", self.url))
                .header("Content-Type", "application/json")
                .body(config.to_string()),
        )
        .await;
    }

    /// Buzz's everyday traffic: `count` events from `domain` to its enabled kinesis targets.
    /// Returns (sent, refused).
    pub async fn emit_events(&self, domain: &str, count: u64) -> (u64, u64) {
        let answer = self
            .sandbox_json(
                self.http
                    .post(format!("{}/sandbox/domains/{domain}/events", self.url))
                    .header("Content-Type", "application/json")
                    .body(serde_json::json!({ "count": count }).to_string()),
            )
            .await;
        (
            answer["sent"].as_u64().unwrap_or(0),
            answer["refused"].as_u64().unwrap_or(0),
        )
    }

    /// Arms `count` faults for the next Buzz requests, cycling through `kinds`.
    pub async fn arm_faults(&self, count: u64, kinds: &[&str]) {
        self.arm_faults_after(0, count, kinds).await;
    }

    /// Arms `count` faults that begin after `after` untouched Buzz requests.
    pub async fn arm_faults_after(&self, after: u64, count: u64, kinds: &[&str]) {
        self.sandbox_json(
            self.http
                .post(format!("{}/sandbox/faults", self.url))
                .header("Content-Type", "application/json")
                .body(json!({ "count": count, "kinds": kinds, "after": after }).to_string()),
        )
        .await;
    }

    pub async fn expire_tokens(&self) {
        self.sandbox_json(
            self.http
                .post(format!("{}/sandbox/expire-tokens", self.url)),
        )
        .await;
    }

    /// The request log (`state()["log"]`).
    pub async fn request_log(&self) -> Vec<Value> {
        self.state().await["log"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Sends a Buzz command as JSON (`request` may be the bare request or `{"request": ...}`) and
    /// returns the `response` object. Panics on a transport failure or a non-JSON answer.
    pub async fn cmd(&self, request: Value) -> Value {
        self.send_cmd(None, request).await
    }

    /// Like [`Sandbox::cmd`] with `Authorization: Bearer <token>`.
    pub async fn cmd_as(&self, token: &str, request: Value) -> Value {
        self.send_cmd(Some(token), request).await
    }

    async fn send_cmd(&self, token: Option<&str>, request: Value) -> Value {
        let body = if request.get("request").is_some() {
            request
        } else {
            json!({ "request": request })
        };
        let mut builder = self
            .http
            .post(self.cmd_url())
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        let response = builder.send().await.expect("a Buzz request to the sandbox");
        let text = response.text().await.expect("a Buzz answer body");
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the sandbox answered non-JSON ({e}): {text}"));
        value
            .get("response")
            .cloned()
            .unwrap_or_else(|| panic!("no \"response\" in the sandbox's answer: {text}"))
    }

    /// Logs in with Login3 and returns the token; panics unless the answer is OK.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .cmd(json!({"cmd": "login3", "username": username, "password": password}))
            .await;
        assert_eq!(
            response["code"], "OK",
            "login of {username} failed: {response}"
        );
        response["user"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {response}"))
            .to_string()
    }

    pub async fn login_admin(&self) -> String {
        self.login(ADMIN_USER, ADMIN_PASSWORD).await
    }
}
