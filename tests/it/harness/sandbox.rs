//! Starting the Buzz sandbox (`examples/buzz_sandbox`) as a child process: its options, the
//! binary (built when missing or stale), and the process, killed on drop.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::moto::aws_command;
use super::tail;

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

    /// Every Buzz command answered after `ms` milliseconds (a round trip over the internet).
    pub fn latency_ms(self, ms: u64) -> Self {
        self.flag("--latency-ms", ms)
    }

    pub fn external_id(self, id: &str) -> Self {
        self.flag("--external-id", id)
    }

    /// Every delivery but the validation probe is refused as Kinesis refuses a write beyond a
    /// shard's limit (and counted in CloudWatch).
    pub fn throttle(mut self) -> Self {
        self.args.push("--throttle".into());
        self
    }

    /// The AWS account the sandbox plays as Agilix (another than the role trusts: no test passes).
    pub fn agilix_account(self, account: &str) -> Self {
        self.flag("--agilix-account", account)
    }

    /// How every failed target test answers: its code, and `buzz` or `aws` wording.
    pub fn test_failure(self, code: &str, style: &str) -> Self {
        self.flag("--test-failure-code", code)
            .flag("--test-failure-style", style)
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

    /// A second domain the administrator controls: another Buzz tenant.
    pub fn other_domain(self, id: &str) -> Self {
        self.flag("--other-domain", id)
    }

    /// The external id Agilix sends for the other domain's targets (its own tenant's id).
    pub fn other_domain_external_id(self, id: &str) -> Self {
        self.flag("--other-domain-external-id", id)
    }

    /// The `aud` the token endpoint requires: `token-url`, `base-url`, `any` or a literal.
    pub fn oauth_audience(self, rule: &str) -> Self {
        self.flag("--oauth-audience", rule)
    }

    /// How the token endpoint refuses: `oauth`, `buzz` or `text`.
    pub fn oauth_error_style(self, style: &str) -> Self {
        self.flag("--oauth-error-style", style)
    }

    /// Seconds an issued OAuth token lives.
    pub fn oauth_expires_in(self, seconds: u64) -> Self {
        self.flag("--oauth-expires-in", seconds)
    }

    /// Seconds the token endpoint's clock runs ahead (an assertion then looks expired).
    pub fn oauth_clock_skew(self, seconds: i64) -> Self {
        self.flag("--oauth-clock-skew", seconds)
    }

    /// Answer `commands` (every one when empty) with an HTTP `status` redirect to `url`'s
    /// `/cmd`.
    pub fn redirect_to(self, url: &str, status: u16, commands: &[&str]) -> Self {
        let this = self
            .flag("--redirect-to", url)
            .flag("--redirect-status", status);
        if commands.is_empty() {
            this
        } else {
            this.flag("--redirect-commands", commands.join(","))
        }
    }

    /// The domain hierarchy: `state` (a state with two districts, the main domain one of them,
    /// and their schools: [`STATE_DOMAIN`](super::STATE_DOMAIN) and the constants beside it),
    /// a compact spec (`400000=state/424242/500001,...`) or a `.json` file's path.
    pub fn domain_tree(self, spec: &str) -> Self {
        self.flag("--domain-tree", spec)
    }

    /// `nested` (`{"domains": {"domain": [...]}}`, the default) or `flat` (`{"domains": [...]}`).
    pub fn domain_list_shape(self, shape: &str) -> Self {
        self.flag("--domain-list-shape", shape)
    }

    /// listdomains lists the named domain too.
    pub fn listdomains_includes_self(self) -> Self {
        self.arg("--listdomains-includes-self")
    }

    /// getdomainparentlist lists the domain itself too.
    pub fn parent_list_includes_self(self) -> Self {
        self.arg("--parent-list-includes-self")
    }

    /// `nearest-first` (the default) or `root-first`.
    pub fn parent_list_order(self, order: &str) -> Self {
        self.flag("--parent-list-order", order)
    }

    /// `descendants` (listdomains with includedescendantdomains is AccessDenied) or `all`.
    pub fn deny_listdomains(self, which: &str) -> Self {
        self.flag("--deny-listdomains", which)
    }

    /// At most `n` domains in one listdomains answer, whatever `limit` asks.
    pub fn listdomains_page_cap(self, n: usize) -> Self {
        self.flag("--listdomains-page-cap", n)
    }

    /// Play Firehose (`--play-firehose`): deliver every `flush_ms` the delivery streams named
    /// (tests share one moto: each plays its own), as their configuration in moto says.
    pub fn play_firehose(self, flush_ms: u64, delivery_streams: &[&str]) -> Self {
        let this = self
            .arg("--play-firehose")
            .flag("--firehose-flush-ms", flush_ms);
        if delivery_streams.is_empty() {
            this
        } else {
            this.flag("--firehose-streams", delivery_streams.join(","))
        }
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
    pub(super) url: String,
    log: tempfile::NamedTempFile,
    _seed: Option<tempfile::NamedTempFile>,
    pub(super) http: reqwest::Client,
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

    /// What the sandbox has written to stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
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
