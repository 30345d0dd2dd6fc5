//! Shared machinery for the integration tests: one moto server per test binary (the AWS
//! emulator), the environment that points a child process at it and away from the developer's
//! real AWS configuration, the Buzz sandbox (`examples/buzz_sandbox`) as a child process, and AWS
//! CLI helpers, so a test can check "what the AWS CLI shows" with an observer independent of the
//! code under test.
//!
//! Everything here may be used from parallel tests: names come from [`unique`], and each test
//! starts its own sandbox. Child processes never outlive the test binary: moto runs under a small
//! shell watchdog that kills it when the binary's end of a pipe closes (however the binary ends),
//! and each sandbox exits when its stdin closes (and is killed on drop).
//!
//! Calls that run an external program block the thread; that is fine in `#[tokio::test]`s that
//! only talk to child processes.

#![allow(dead_code)] // Each test module uses a different part of this.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// moto's one account.
pub const MOTO_ACCOUNT: &str = "123456789012";
/// The Agilix account the sandbox plays by default.
pub const AGILIX_ACCOUNT: &str = "210987654321";
pub const REGION: &str = "us-east-1";
/// The sandbox's domain and users (its defaults).
pub const DOMAIN_ID: &str = "424242";
pub const ADMIN_USER: &str = "sandbox/admin";
pub const ADMIN_PASSWORD: &str = "sandbox-password";
pub const TEACHER_USER: &str = "sandbox/teacher";
pub const TEACHER_PASSWORD: &str = "teacher-password";

// ---------------------------------------------------------------------------------------------
// moto

/// The process-wide moto server.
pub struct Moto {
    url: String,
    /// The watchdog shell; holding its stdin open keeps moto alive.
    _watchdog: Option<Mutex<(Child, ChildStdin)>>,
}

impl Moto {
    pub fn url(&self) -> &str {
        &self.url
    }
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The moto server for this test binary, started on first use. `BUZZ_TEST_MOTO_URL` makes the
/// tests use an already running one instead.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        if let Ok(url) = std::env::var("BUZZ_TEST_MOTO_URL") {
            let url = url.trim_end_matches('/').to_string();
            wait_for_moto(&url, None, Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("BUZZ_TEST_MOTO_URL={url} does not answer: {e}"));
            return Moto {
                url,
                _watchdog: None,
            };
        }
        start_moto()
    })
}

/// The command that runs moto's server: `moto_server`, else `python3 -m moto.server`.
fn moto_command() -> Vec<String> {
    if find_in_path("moto_server").is_some() {
        return vec!["moto_server".into()];
    }
    let module_ok = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if module_ok {
        return vec!["python3".into(), "-m".into(), "moto.server".into()];
    }
    panic!(
        "the integration tests need moto's server (an AWS emulator), which is not installed: \
         pip install 'moto[server]'   (or point BUZZ_TEST_MOTO_URL at a running one)"
    );
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The shell watchdog: moto runs in the background; a second background job waits for the end
/// of our stdin (a pipe from the test binary, which closes when the binary exits for any reason)
/// and then kills moto. The shell itself exits when moto does, so a failed start is visible.
/// Background jobs get /dev/null as stdin, hence the copy of stdin on fd 3.
const WATCHDOG: &str = r#"
exec 3<&0
"$@" </dev/null >"$MOTO_LOG" 2>&1 &
moto_pid=$!
( while read -r _ <&3; do :; done; kill "$moto_pid" 2>/dev/null; rm -f "$MOTO_LOG" ) &
wait "$moto_pid"
"#;

fn start_moto() -> Moto {
    let command = moto_command();
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let log = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("moto-{}-{port}.log", std::process::id()));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("moto-watchdog")
            .args(&command)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_LOG", &log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sh to start moto: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let url = format!("http://127.0.0.1:{port}");
        match wait_for_moto(&url, Some(&mut child), Duration::from_secs(60)) {
            Ok(()) => {
                return Moto {
                    url,
                    _watchdog: Some(Mutex::new((child, stdin))),
                }
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                last_error = format!(
                    "{e}\n--- moto log {} ---\n{}",
                    log.display(),
                    tail(&text, 40)
                );
            }
        }
    }
    panic!("moto did not start ({}): {last_error}", command.join(" "));
}

/// Polls `GET /moto-api/` until it answers 200.
fn wait_for_moto(
    url: &str,
    mut child: Option<&mut Child>,
    timeout: Duration,
) -> Result<(), String> {
    let address = url.trim_start_matches("http://").to_string();
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(child) = child.as_deref_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("moto exited with {status}"));
            }
        }
        if let Ok(status) = http_get_status(&address, "/moto-api/") {
            if status == 200 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("no answer from {url}/moto-api/ within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A bare HTTP/1.0 GET, to need no async runtime here.
fn http_get_status(address: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head)?;
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

// ---------------------------------------------------------------------------------------------
// Environment for child processes

/// The variables a child process needs to use moto and nothing else: endpoint, fake
/// credentials, region, no instance metadata, and config/credentials files of our own (so the
/// developer's profiles, SSO sessions and real keys are never read). Apply them together with
/// removing every inherited `AWS_*` variable: see [`aws_env_removals`] and [`aws_command`].
pub fn aws_env() -> Vec<(String, String)> {
    let (config, credentials) = aws_files();
    [
        ("AWS_ENDPOINT_URL", moto().url().to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_DEFAULT_REGION", REGION.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_PROFILE", "default".into()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        ("AWS_PAGER", String::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Inherited `AWS_*` variables that [`aws_env`] does not set (session tokens, service-specific
/// endpoints, web identity, ...): remove them from a child's environment.
pub fn aws_env_removals() -> Vec<String> {
    let set: Vec<String> = aws_env().into_iter().map(|(k, _)| k).collect();
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("AWS_") && !set.contains(k))
        .collect()
}

/// A `std::process::Command` for `program` with exactly the AWS environment of [`aws_env`].
pub fn aws_command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for key in aws_env_removals() {
        command.env_remove(key);
    }
    command.envs(aws_env());
    command
}

/// A config file with only a default profile naming the region, and a credentials file with the
/// fake keys, under cargo's per-target scratch directory (the same content for every test
/// binary, so concurrent writers are harmless).
fn aws_files() -> &'static (PathBuf, PathBuf) {
    static FILES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aws-test-profile");
        std::fs::create_dir_all(&dir).expect("create the test AWS profile dir");
        let config = dir.join("config");
        let credentials = dir.join("credentials");
        write_atomically(
            &config,
            &format!("[default]\nregion = {REGION}\noutput = json\n"),
        );
        write_atomically(
            &credentials,
            "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        );
        (config, credentials)
    })
}

fn write_atomically(path: &Path, content: &str) {
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, content).expect("write a test AWS file");
    std::fs::rename(&temp, path).expect("move a test AWS file into place");
}

/// A name unique across tests and runs (they share one moto), valid as a stream, role or
/// policy name: `<prefix>-<run id>-<counter>`.
pub fn unique(prefix: &str) -> String {
    static RUN: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let run = RUN.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "{:x}",
            (nanos as u64 ^ u64::from(std::process::id())) & 0xff_ffff_ffff
        )
    });
    format!("{prefix}-{run}-{}", COUNTER.fetch_add(1, Ordering::SeqCst))
}

// ---------------------------------------------------------------------------------------------
// The Buzz sandbox

/// Options for [`Sandbox::start`]; each method adds the matching command-line flag.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    args: Vec<String>,
    seed: Option<Value>,
}

impl SandboxOptions {
    pub fn new() -> Self {
        Self::default()
    }

    fn flag(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push(name.to_string());
        self.args.push(value.to_string());
        self
    }

    pub fn mfa_code(self, code: &str) -> Self {
        self.flag("--mfa-code", code)
    }

    pub fn token_ttl(self, seconds: u64) -> Self {
        self.flag("--token-ttl", seconds)
    }

    pub fn iam_propagation_delay(self, seconds: u64) -> Self {
        self.flag("--iam-propagation-delay", seconds)
    }

    pub fn external_id(self, id: &str) -> Self {
        self.flag("--external-id", id)
    }

    pub fn agilix_account(self, account: &str) -> Self {
        self.flag("--agilix-account", account)
    }

    /// The domain's initial configuration (a JSON object, or null).
    pub fn seed_config(mut self, config: Value) -> Self {
        self.seed = Some(config);
        self
    }

    pub fn single_object_arrays(mut self) -> Self {
        self.args.push("--single-object-arrays".into());
        self
    }

    /// The next `count` Buzz requests fail, cycling through `kinds` ("429", "503", "500", "drop",
    /// "timeout", "malformed", "noauth").
    pub fn faults(self, count: u64, kinds: &[&str]) -> Self {
        let this = self.flag("--faults", count);
        if kinds.is_empty() {
            this
        } else {
            this.flag("--fault-kinds", kinds.join(","))
        }
    }

    /// Let `requests` Buzz requests through before the faults begin (e.g. 1: the login).
    pub fn faults_after(self, requests: u64) -> Self {
        self.flag("--faults-after", requests)
    }

    pub fn fault_rate(self, probability: f64, seed: u64) -> Self {
        self.flag("--fault-rate", probability)
            .flag("--fault-seed", seed)
    }

    pub fn retry_after(self, seconds: u64) -> Self {
        self.flag("--retry-after", seconds)
    }

    pub fn timeout_hold(self, seconds: u64) -> Self {
        self.flag("--timeout-hold", seconds)
    }

    /// Any other flag, as given.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_string());
        self
    }
}

/// A running sandbox (a child process), killed on drop. When a test fails while it runs, its
/// log (stderr) is printed, so the failure shows what the sandbox saw.
pub struct Sandbox {
    child: Child,
    url: String,
    log: tempfile::NamedTempFile,
    _seed: Option<tempfile::NamedTempFile>,
    http: reqwest::Client,
}

/// The sandbox binary: `BUZZ_SANDBOX_BIN`, else `target/<profile>/examples/buzz_sandbox`, built
/// (once per test binary) when it is missing or older than its sources. `cargo test --test it`
/// does not build examples by itself.
pub fn sandbox_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("BUZZ_SANDBOX_BIN") {
            return PathBuf::from(path);
        }
        let exe = Path::new(env!("CARGO_BIN_EXE_buzz-kinesis"));
        let profile_dir = exe.parent().expect("the binary's directory");
        let bin = profile_dir.join("examples").join("buzz_sandbox");
        let sources = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join("buzz_sandbox");
        if needs_build(&bin, &sources) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
                "build",
                "--example",
                "buzz_sandbox",
            ]);
            if profile_dir.file_name() == Some(OsStr::new("release")) {
                build.arg("--release");
            }
            let status = build.status().expect("run cargo to build the sandbox");
            assert!(
                status.success(),
                "`cargo build --example buzz_sandbox` failed"
            );
        }
        assert!(bin.is_file(), "no sandbox binary at {}", bin.display());
        bin
    })
}

fn needs_build(bin: &Path, sources: &Path) -> bool {
    let Ok(built) = bin.metadata().and_then(|m| m.modified()) else {
        return true;
    };
    let Ok(entries) = std::fs::read_dir(sources) else {
        return false;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .any(|modified| modified > built)
}

impl Sandbox {
    /// Starts a sandbox with default options.
    pub fn start_default() -> Sandbox {
        Self::start(SandboxOptions::new())
    }

    pub fn start(options: SandboxOptions) -> Sandbox {
        let bin = sandbox_bin();
        let log = tempfile::Builder::new()
            .prefix("buzz-sandbox-")
            .suffix(".log")
            .tempfile()
            .expect("a temp file for the sandbox log");
        let seed = options.seed.as_ref().map(|config| {
            let mut file = tempfile::Builder::new()
                .prefix("buzz-sandbox-seed-")
                .suffix(".json")
                .tempfile()
                .expect("a temp file for the seed config");
            file.write_all(config.to_string().as_bytes())
                .expect("write the seed config");
            file
        });
        let mut command = aws_command(bin);
        command
            .args(["--bind", "127.0.0.1:0", "--exit-on-stdin-eof"])
            .args(&options.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.reopen().expect("reopen the sandbox log")));
        if let Some(seed) = &seed {
            command.arg("--seed-config").arg(seed.path());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));

        // The first stdout line carries the URL; the rest is drained so the pipe never fills.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let first = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let prefix = "buzz sandbox listening on ";
        let Some(url) = first.trim().strip_prefix(prefix).map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            panic!(
                "the sandbox did not announce its URL (first line {first:?})\n--- sandbox log ---\n{}",
                tail(&text, 40)
            );
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client");
        Sandbox {
            child,
            url,
            log,
            _seed: seed,
            http,
        }
    }

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

    /// What the sandbox has written to stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
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

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- buzz sandbox log ({}) ---\n{}",
                self.url,
                tail(&self.log_text(), 60)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The AWS CLI as an independent observer

/// Runs `aws <args> --output json` against moto and returns the parsed output (`null` when the
/// command prints nothing). Panics with the CLI's stderr when it fails.
pub fn aws_cli(args: &[&str]) -> Value {
    try_aws_cli(args).unwrap_or_else(|e| panic!("aws {} failed: {e}", args.join(" ")))
}

/// Like [`aws_cli`], returning the CLI's stderr as the error (for asserting on failures).
pub fn try_aws_cli(args: &[&str]) -> Result<Value, String> {
    let output = aws_command("aws")
        .args(args)
        .args(["--output", "json"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the AWS CLI (`aws`; pip install awscli): {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if stdout.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&stdout)
        .map_err(|e| format!("the AWS CLI printed non-JSON ({e}): {stdout}"))
}

pub fn stream_arn(stream: &str) -> String {
    format!("arn:aws:kinesis:{REGION}:{MOTO_ACCOUNT}:stream/{stream}")
}

pub fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{MOTO_ACCOUNT}:role/{role}")
}

/// Creates a one-shard stream and waits until it is ACTIVE (moto: at once); returns its ARN.
pub fn create_stream(name: &str) -> String {
    aws_cli(&[
        "kinesis",
        "create-stream",
        "--stream-name",
        name,
        "--shard-count",
        "1",
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let summary = aws_cli(&["kinesis", "describe-stream-summary", "--stream-name", name]);
        let description = &summary["StreamDescriptionSummary"];
        if description["StreamStatus"] == "ACTIVE" {
            return description["StreamARN"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        assert!(
            Instant::now() < deadline,
            "stream {name} not ACTIVE in time: {summary}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The trust policy the seed asks for: Agilix's account may assume the role (with the external
/// id condition when given).
pub fn trust_policy(account: &str, external_id: Option<&str>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "sts:AssumeRole"
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// The least-privilege writer policy for one stream.
pub fn writer_policy(stream: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards"],
            "Resource": stream_arn(stream)
        }]
    })
}

/// Creates a role with the given trust policy and maximum session; returns its ARN.
pub fn create_role(name: &str, trust: &Value, max_session_seconds: u32) -> String {
    let out = aws_cli(&[
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        &trust.to_string(),
        "--max-session-duration",
        &max_session_seconds.to_string(),
    ]);
    out["Role"]["Arn"].as_str().unwrap_or_default().to_string()
}

pub fn put_role_policy(role: &str, policy_name: &str, document: &Value) {
    aws_cli(&[
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        policy_name,
        "--policy-document",
        &document.to_string(),
    ]);
}

/// The role Buzz needs, built the way the seed describes: trust for Agilix's account, 12-hour
/// sessions, and the writer policy for `stream`. Returns the role ARN.
pub fn create_writer_role(role: &str, stream: &str) -> String {
    let arn = create_role(role, &trust_policy(AGILIX_ACCOUNT, None), 43_200);
    put_role_policy(role, "buzz-kinesis-writer", &writer_policy(stream));
    arn
}

/// Every record's data in a stream (all shards, from TRIM_HORIZON), decoded to text.
pub fn read_records(stream: &str) -> Vec<String> {
    let shards = aws_cli(&["kinesis", "list-shards", "--stream-name", stream]);
    let mut records = Vec::new();
    for shard in shards["Shards"].as_array().cloned().unwrap_or_default() {
        let shard_id = shard["ShardId"].as_str().unwrap_or_default().to_string();
        let iterator = aws_cli(&[
            "kinesis",
            "get-shard-iterator",
            "--stream-name",
            stream,
            "--shard-id",
            &shard_id,
            "--shard-iterator-type",
            "TRIM_HORIZON",
        ]);
        let mut iterator = iterator["ShardIterator"].as_str().map(str::to_string);
        // moto hands out everything at once; a bounded loop covers a real paging emulator too.
        for _ in 0..20 {
            let Some(current) = iterator.take() else {
                break;
            };
            let page = aws_cli(&["kinesis", "get-records", "--shard-iterator", &current]);
            let batch = page["Records"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            for record in batch {
                let data = record["Data"].as_str().unwrap_or_default();
                let bytes = base64_decode(data)
                    .unwrap_or_else(|| panic!("record data is not base64: {data}"));
                records.push(String::from_utf8_lossy(&bytes).into_owned());
            }
            iterator = page["NextShardIterator"].as_str().map(str::to_string);
        }
    }
    records
}

/// The JSON events in a stream: each record holds one or more newline-separated objects.
pub fn read_events(stream: &str) -> Vec<Value> {
    read_records(stream)
        .iter()
        .flat_map(|record| {
            record
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| {
                    serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("a record is not JSON ({e}): {line}"))
                })
                .collect::<Vec<Value>>()
        })
        .collect()
}

/// Standard base64 (with or without padding), as the AWS CLI prints blobs.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

/// The last `lines` lines of a text.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Waits until `check` returns `Some`, polling every 200 ms, up to `timeout`.
pub fn eventually<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
