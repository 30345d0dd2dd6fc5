//! Running the real `buzz-kinesis` binary against moto and a sandbox, so each test reads as a
//! sentence: `Tool::setup(&sandbox, &names).arg("--dry-run").run()`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{self, Sandbox, AGILIX_ACCOUNT, DOMAIN_ID};

/// Fresh resource names for one test.
#[derive(Debug, Clone)]
pub struct Names {
    pub stream: String,
    pub role: String,
}

impl Names {
    pub fn new() -> Self {
        Self {
            stream: harness::unique("stream"),
            role: harness::unique("role"),
        }
    }
}

/// The flags that name one setup on `sandbox`: Agilix's account, the domain, Buzz's URL and
/// user, the stream and the role.
pub fn target_args(sandbox: &Sandbox, names: &Names) -> Vec<String> {
    [
        "--agilix-account",
        AGILIX_ACCOUNT,
        "--domain",
        DOMAIN_ID,
        "--buzz-url",
        sandbox.url(),
        "--buzz-user",
        harness::ADMIN_USER,
        "--stream",
        &names.stream,
        "--role",
        &names.role,
    ]
    .map(String::from)
    .to_vec()
}

/// [`target_args`] as `command` takes them: teardown creates nothing, so it takes no
/// `--agilix-account`.
pub fn target_args_for(command: &str, sandbox: &Sandbox, names: &Names) -> Vec<String> {
    let mut args = target_args(sandbox, names);
    if command == "teardown" {
        if let Some(i) = args.iter().position(|a| a == "--agilix-account") {
            args.drain(i..i + 2);
        }
    }
    args
}

/// One invocation of the binary.
pub struct Tool {
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
    stdin: Option<String>,
}

/// What a run showed.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when killed by a signal (the abort hook).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Outcome {
    /// stdout as the one JSON object `--output json` prints.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The row `id` of check's JSON checklist.
    #[track_caller]
    pub fn check_row(&self, id: &str) -> Value {
        self.json()["checks"]
            .as_array()
            .unwrap_or_else(|| panic!("no checklist: {}", self.stdout))
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} row: {}", self.stdout))
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// The run changed nothing: no mutating call to AWS or Buzz.
    #[track_caller]
    pub fn assert_no_mutation(&self) -> &Self {
        assert_eq!(
            self.json()["api_calls"]["mutating"],
            serde_json::json!(0),
            "{}",
            self.stdout
        );
        self
    }
}

impl Tool {
    /// The binary with moto's environment and no Buzz settings from the developer's shell.
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            env_remove: [
                "BUZZ_PASSWORD",
                "BUZZ_TOKEN",
                "BUZZ_OTP",
                "BUZZ_USERNAME",
                "BUZZ_DOMAIN_ID",
                "BUZZ_API_URL",
                "BUZZ_KINESIS_STREAM",
                "BUZZ_KINESIS_ROLE",
                "BUZZ_AGILIX_ACCOUNT_ID",
                "BUZZ_EXTERNAL_ID",
                "BUZZ_CLIENT_ID",
                "BUZZ_KEY_FILE",
                "BUZZ_KEY_ID",
                "BUZZ_TOKEN_AUDIENCE",
                // Today's names of the same settings (the ones above are their older names).
                "BUZZ_KINESIS_BUZZ_USER",
                "BUZZ_KINESIS_DOMAIN",
                "BUZZ_KINESIS_BUZZ_URL",
                "BUZZ_KINESIS_AGILIX_ACCOUNT",
                "BUZZ_KINESIS_EXTERNAL_ID",
                "BUZZ_KINESIS_BUZZ_CLIENT_ID",
                "BUZZ_KINESIS_BUZZ_KEY_FILE",
                "BUZZ_KINESIS_BUZZ_KEY_ID",
                "BUZZ_KINESIS_BUZZ_TOKEN_AUDIENCE",
                "BUZZ_KINESIS_PROFILE",
                "BUZZ_KINESIS_REGION",
                "BUZZ_KINESIS_YES",
                "BUZZ_KINESIS_NO_INPUT",
                "BUZZ_KINESIS_DRY_RUN",
                "RUST_LOG",
                "BUZZ_KINESIS_TEST_ABORT_AFTER_MUTATIONS",
                "BUZZ_KINESIS_CONFIG",
                "NO_COLOR",
                "CLICOLOR",
                "CLICOLOR_FORCE",
                "AWS_CA_BUNDLE",
                "SSL_CERT_FILE",
            ]
            .map(String::from)
            .to_vec(),
            stdin: None,
        }
    }

    /// `COMMAND --yes --output json` for the setup `names` on `sandbox`, as its admin (the
    /// password in BUZZ_PASSWORD).
    pub fn against(command: &str, sandbox: &Sandbox, names: &Names) -> Self {
        Self::new()
            .args([command, "--yes", "--output", "json"])
            .args(target_args_for(command, sandbox, names))
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
    }

    /// `COMMAND --buzz-only --yes --output json` for the setup `names` on `sandbox`: the Buzz
    /// half, naming what the AWS half made (`--role-arn`, `--stream`, `--region`), as its admin.
    pub fn buzz_half(command: &str, sandbox: &Sandbox, names: &Names) -> Self {
        let role_arn = harness::role_arn(&names.role);
        Self::new()
            .args([command, "--buzz-only", "--yes", "--output", "json"])
            .args(["--role-arn", &role_arn, "--stream", &names.stream])
            .args(["--region", harness::REGION, "--domain", DOMAIN_ID])
            .args([
                "--buzz-url",
                sandbox.url(),
                "--buzz-user",
                harness::ADMIN_USER,
            ])
            .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
    }

    /// `setup` for `names` on `sandbox` (see [`Tool::against`]).
    pub fn setup(sandbox: &Sandbox, names: &Names) -> Self {
        Self::against("setup", sandbox, names)
    }

    /// The same run with `--domain` naming `domains` instead (one id, or several
    /// comma-separated): `Tool::setup(&sandbox, &names).at_domain("500001")`.
    #[track_caller]
    pub fn at_domain(mut self, domains: &str) -> Self {
        let i = self
            .args
            .iter()
            .position(|a| a == "--domain")
            .expect("a --domain to replace");
        self.args[i + 1] = domains.to_owned();
        self
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, a: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env_remove.retain(|r| r != k);
        self.env.push((k.into(), v.into()));
        self
    }

    /// Remove an environment variable (e.g. the password) for this run.
    pub fn without_env(mut self, k: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self.env_remove.push(k.into());
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    pub fn run(self) -> Outcome {
        self.run_watching(|_| {})
    }

    /// Run, calling `watch(pid)` every 50 ms while the process lives (to look at it from
    /// outside, as `ps` would).
    pub fn run_watching(self, mut watch: impl FnMut(u32)) -> Outcome {
        let mut cmd: Command = harness::aws_command(env!("CARGO_BIN_EXE_buzz-kinesis"));
        for k in &self.env_remove {
            cmd.env_remove(k);
        }
        // Never the developer's own config file (~/.config/buzz-kinesis/config.toml).
        cmd.env("XDG_CONFIG_HOME", env!("CARGO_TARGET_TMPDIR"));
        cmd.env_remove("CI")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().expect("run buzz-kinesis");
        if let Some(text) = &self.stdin {
            let mut stdin = child.stdin.take().expect("piped stdin");
            stdin.write_all(text.as_bytes()).expect("write stdin");
        }
        // Drain both pipes on threads so a chatty run never blocks on a full pipe.
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_string(&mut text);
                }
                text
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let status = loop {
            if let Some(status) = child.try_wait().expect("poll buzz-kinesis") {
                break status;
            }
            watch(child.id());
            std::thread::sleep(Duration::from_millis(50));
        };
        Outcome {
            code: status.code(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            took: start.elapsed(),
        }
    }
}

/// The role as the AWS CLI shows it: (MaxSessionDuration, trust document).
pub fn role_view(role: &str) -> (i64, Value) {
    let r = harness::aws_cli(&["iam", "get-role", "--role-name", role]);
    let trust = match &r["Role"]["AssumeRolePolicyDocument"] {
        // The CLI decodes the document already; older versions print it URL-encoded.
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        v => v.clone(),
    };
    (
        r["Role"]["MaxSessionDuration"].as_i64().unwrap_or_default(),
        trust,
    )
}

/// The principals a trust document admits (AWS principals of its Allow statements).
pub fn trusted(trust: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for st in trust["Statement"].as_array().cloned().unwrap_or_default() {
        match &st["Principal"]["AWS"] {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => out.extend(a.iter().filter_map(|v| v.as_str().map(String::from))),
            _ => {}
        }
    }
    out
}

/// Our inline policy as the AWS CLI shows it (`None` when absent).
pub fn inline_policy(role: &str) -> Option<Value> {
    harness::try_aws_cli(&[
        "iam",
        "get-role-policy",
        "--role-name",
        role,
        "--policy-name",
        "buzz-kinesis-write",
    ])
    .ok()
    .map(|v| v["PolicyDocument"].clone())
}

/// The Kinesis targets a sandbox domain holds.
pub fn kinesis_targets(config: &Value) -> Vec<Value> {
    match &config["kinesis"] {
        Value::Array(a) => a.clone(),
        Value::Object(o) if o.is_empty() => Vec::new(),
        o @ Value::Object(_) => vec![o.clone()],
        _ => Vec::new(),
    }
}

/// A domain that already streams to an LMS webhook (a target setup must keep exactly).
pub fn webhook_config() -> Value {
    serde_json::json!({"https": [{
        "title": "LMS webhook", "enabled": true,
        "endpoints": "https://lms.example.org/buzz", "httpMethod": "POST"
    }]})
}

/// The Buzz events in a stream, oldest first (records come back shard by shard; Buzz's `time`
/// is RFC 3339 with a fixed 7-digit fraction, so text order is time order).
pub fn events_in_order(stream: &str) -> Vec<Value> {
    let mut events = harness::read_events(stream);
    events.sort_by(|a, b| a["time"].as_str().cmp(&b["time"].as_str()));
    events
}

/// The `type` of each event, oldest first.
pub fn event_types(stream: &str) -> Vec<String> {
    events_in_order(stream)
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `setdatastreamconfiguration` entries of the sandbox's request log.
pub fn buzz_sets(log: &[Value]) -> Vec<&Value> {
    log.iter()
        .filter(|e| {
            e["cmd"]
                .as_str()
                .is_some_and(|c| c.eq_ignore_ascii_case("setdatastreamconfiguration"))
        })
        .collect()
}
