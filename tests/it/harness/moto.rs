//! The moto server (one per test binary, under a watchdog that kills it when the binary ends)
//! and the environment that points a child process at it and away from the developer's real
//! AWS configuration.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{tail, REGION};

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

/// The command that runs moto's server: through scripts/lib/moto_server.py when `python3` has
/// moto (moto's answers unchanged, without the package scan it makes on every request under
/// one lock, which answers requests sent together one after another), else `moto_server`.
fn moto_command() -> Vec<String> {
    let module_ok = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if module_ok {
        let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/lib/moto_server.py");
        return vec!["python3".into(), launcher.into()];
    }
    if find_in_path("moto_server").is_some() {
        return vec!["moto_server".into()];
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

/// The process-wide CloudWatch translator in front of moto ([`super::cloudwatch_cbor`]),
/// started on first use on a thread of its own (it outlives every test's runtime).
pub fn cloudwatch_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let upstream = moto().url().to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the CloudWatch translator");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the translator's address");
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the CloudWatch translator");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("the translator's listener");
                let _ = axum::serve(listener, super::cloudwatch_cbor::router(upstream)).await;
            });
        });
        format!("http://{addr}")
    })
}

/// The variables a child process needs to use moto and nothing else: endpoints, fake
/// credentials, region, no instance metadata, and config/credentials files of our own (so the
/// developer's profiles, SSO sessions and real keys are never read). Apply them together with
/// removing every inherited `AWS_*` variable: see [`aws_env_removals`] and [`aws_command`].
pub fn aws_env() -> Vec<(String, String)> {
    let (config, credentials) = aws_files();
    [
        ("AWS_ENDPOINT_URL", moto().url().to_string()),
        // The SDK speaks RPCv2-CBOR to CloudWatch, which moto does not serve.
        ("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch_url().to_string()),
        // The same front repairs moto's GetBucketVersioning answer for the SDK.
        ("AWS_ENDPOINT_URL_S3", cloudwatch_url().to_string()),
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
