//! The Buzz sandbox: a local stand-in for Agilix Buzz's API (`/cmd`) that speaks the contract in
//! `docs/buzz-api.md`, so that `buzz-kinesis` and its tests have a Buzz to talk to.
//!
//! It is deliberately an independent implementation: it does not use the `buzz_kinesis` library,
//! so a mistake in the tool's reading of the contract shows up as a disagreement here instead of
//! being shared by both sides. Like real Buzz it tests every Kinesis target before it saves a
//! configuration: it reads the cross-account role with IAM, evaluates its trust and permission
//! policies the way AWS would for Agilix's account, assumes the role and writes a probe record.
//! Point it at an AWS emulator (moto) with the usual `AWS_ENDPOINT_URL`, `AWS_REGION`, ... env.
//!
//! Run: `cargo run --example buzz_sandbox -- --help`. The first line on stdout is always
//! `buzz sandbox listening on http://<ip>:<port>`; the `/sandbox/*` endpoints (see `inspect.rs`)
//! let tests look inside and steer faults.

mod auth;
mod aws_check;
// The test harness's CloudWatch translator (RPCv2-CBOR in front of moto's JSON protocol),
// served with --cloudwatch-listen for the local stack (scripts/demo, bench/).
#[path = "../../tests/it/harness/cloudwatch_cbor.rs"]
mod cloudwatch_cbor;
mod datastream;
mod domains;
mod faults;
mod firehose;
mod firehose_role;
mod firehose_rules;
mod inspect;
mod kms;
mod oauth;
mod policy;
mod record;
mod role_eval;
mod server;
mod state;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use crate::faults::{FaultKind, FaultPlan};
use crate::state::{App, FailureStyle, Settings, User};

/// A local Agilix Buzz API sandbox for buzz-kinesis (not Buzz; for tests and demos).
#[derive(Debug, Parser)]
#[command(name = "buzz_sandbox", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,

    /// Numeric id of the one domain the sandbox hosts.
    #[arg(long, default_value = "424242")]
    domain_id: String,

    /// Userspace of that domain (logins are `<userspace>/<user>`; the domain is also `//<userspace>`).
    #[arg(long, default_value = "sandbox")]
    userspace: String,

    /// Username of the administrator, who has the ControlDomain right.
    #[arg(long, default_value = "admin")]
    admin_user: String,

    /// Password of the administrator.
    #[arg(long, default_value = "sandbox-password")]
    admin_password: String,

    /// Username of a user without the ControlDomain right.
    #[arg(long, default_value = "teacher")]
    teacher_user: String,

    /// Password of that user.
    #[arg(long, default_value = "teacher-password")]
    teacher_password: String,

    /// Require a second factor for the administrator: login3 answers SecondFactorRequired and
    /// secondfactorauthenticate must send this otp.
    #[arg(long)]
    mfa_code: Option<String>,

    /// Seconds a session token lives without use (each authenticated call extends it).
    #[arg(long, default_value_t = 900)]
    token_ttl: u64,

    /// The AWS account the sandbox plays as Agilix (the principal that assumes the role).
    #[arg(long, default_value = "210987654321")]
    agilix_account: String,

    /// External id that "Agilix" sends with AssumeRole for the domain's targets; the trust
    /// policy must require exactly it.
    #[arg(long)]
    external_id: Option<String>,

    /// External id sent for --other-domain's targets: Agilix issues one per tenant, so a
    /// tenant naming someone else's role cannot send the id that role's trust requires.
    #[arg(long, requires = "other_domain")]
    other_domain_external_id: Option<String>,

    /// Seconds a newly created role stays unassumable, like IAM's propagation delay.
    #[arg(long, default_value_t = 0)]
    iam_propagation_delay: u64,

    /// Milliseconds every Buzz command takes before it is answered (counted in flight the
    /// while), like a round trip to Buzz over the internet: a client's fan-out shows.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,

    /// Serialize one-element arrays as the object and empty arrays as `{}` (Buzz's XML-root quirk).
    #[arg(long)]
    single_object_arrays: bool,

    /// The code every failed target test answers with. Buzz's real code is not documented:
    /// BadRequest, Exception, AccessDenied or something else; the tool must cope with each.
    #[arg(long, default_value = "BadRequest")]
    test_failure_code: String,

    /// The message of a failed target test: `buzz` ("Kinesis target 'T': CODE: text") or
    /// `aws` (AWS's own text alone, e.g. "User: ... is not authorized to perform: sts:AssumeRole
    /// on resource: ROLE").
    #[arg(long, value_enum, default_value = "buzz")]
    test_failure_style: FailureStyle,

    /// Answer booleans in getdatastreamconfiguration as "True"/"False" strings (XML-born).
    #[arg(long)]
    string_booleans: bool,

    /// Answer getdatastreamconfiguration with the Kinesis targets under this key instead of
    /// `kinesis` (set still takes `kinesis`): a Buzz whose answer shape differs from the request's.
    #[arg(long)]
    get_kinesis_key: Option<String>,

    /// Report every delivery but Buzz's validation probe as throttled by Kinesis: the record
    /// is not written and WriteProvisionedThroughputExceeded is published, as when a stream is
    /// too small for Buzz's traffic (events lost).
    #[arg(long)]
    throttle: bool,

    /// A second domain the administrator also controls (events from it carry its id), e.g. to
    /// play another Buzz tenant that registers someone else's role and stream.
    #[arg(long)]
    other_domain: Option<String>,

    /// The domain hierarchy: `single` (the default: the main domain alone, plus
    /// --other-domain), `state` (a state 400000 with two districts, the main domain and 424243,
    /// whose schools are 500001-500003 and 500011-500012), `schools:N` (the main domain with N
    /// schools, 600001 on), a compact list of paths from a root
    /// whose steps are `ID[=USERSPACE[:NAME]]` (e.g. `400000=state/424242/500001,400000/424242/500002`),
    /// or a `.json` file: an array of `{"id", "name", "userspace", "parentid", ...}`. It must
    /// contain --domain-id. Every domain has the two users; a login works in its userspace's
    /// domain and its descendants.
    #[arg(long, value_name = "SPEC")]
    domain_tree: Option<String>,

    /// The shape of listdomains' and getdomainparentlist's answers: `nested`
    /// (`{"domains": {"domain": [...]}}`) or `flat` (`{"domains": [...]}`).
    #[arg(long, value_enum, default_value = "nested")]
    domain_list_shape: domains::ListShape,

    /// listdomains lists the domain named by `domainid` too, not only its children or
    /// descendants.
    #[arg(long)]
    listdomains_includes_self: bool,

    /// getdomainparentlist lists the domain itself too, before its parent.
    #[arg(long)]
    parent_list_includes_self: bool,

    /// The order of getdomainparentlist: `nearest-first` (parent ... root) or `root-first`.
    #[arg(long, value_enum, default_value = "nearest-first")]
    parent_list_order: domains::ParentOrder,

    /// Logins may not list domains: `descendants` (listdomains with includedescendantdomains
    /// answers AccessDenied) or `all` (every listdomains does).
    #[arg(long, value_enum)]
    deny_listdomains: Option<domains::DenyList>,

    /// At most N domains in one listdomains answer, whatever `limit` asks (a server-side page
    /// size: a client that does not page misses the rest).
    #[arg(long, value_name = "N")]
    listdomains_page_cap: Option<usize>,

    /// JSON file with the initial data stream configuration of the domain.
    #[arg(long)]
    seed_config: Option<PathBuf>,

    /// Make the next N Buzz requests fail (cycling through --fault-kinds).
    #[arg(long, default_value_t = 0)]
    faults: u64,

    /// Let this many Buzz requests through untouched before the --faults begin (and before
    /// --fault-rate applies), e.g. 1 to let the login succeed.
    #[arg(long, default_value_t = 0)]
    faults_after: u64,

    /// Comma-separated fault kinds: 429, 503, 500, drop, timeout, malformed, noauth.
    #[arg(long, default_value = "429,503,500,drop", value_delimiter = ',')]
    fault_kinds: Vec<FaultKind>,

    /// Probability (0..1) that any Buzz request fails with a random kind from --fault-kinds.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,

    /// Seed for --fault-rate, for reproducible runs.
    #[arg(long)]
    fault_seed: Option<u64>,

    /// Retry-After seconds sent with 429 and 503 faults.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,

    /// Seconds a `timeout` fault holds the request before dropping the connection.
    #[arg(long, default_value_t = 30)]
    timeout_hold: u64,

    /// The `aud` the token endpoint requires of an assertion: `token-url` (its own URL, as
    /// RFC 7523 reads), `base-url` (the API's base URL), `any`, or a literal audience.
    #[arg(long, default_value = "token-url")]
    oauth_audience: oauth::Audience,

    /// How the token endpoint refuses: `oauth` (HTTP 400/401, error and error_description),
    /// `buzz` (HTTP 200, Buzz's code, message and errorId) or `text` (HTTP 401, plain text).
    #[arg(long, value_enum, default_value = "oauth")]
    oauth_error_style: oauth::ErrorStyle,

    /// Seconds an issued OAuth bearer token lives (not extended by use).
    #[arg(long, default_value_t = 3600)]
    oauth_expires_in: u64,

    /// The token_type the token endpoint answers with.
    #[arg(long, default_value = "Bearer")]
    oauth_token_type: String,

    /// Seconds the token endpoint's clock runs ahead (negative: behind), e.g. 400 to make a
    /// five-minute assertion look expired.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    oauth_clock_skew: i64,
    /// Answer Buzz commands with a redirect to this URL (its `/cmd`), as a hijacked or
    /// misconfigured front would: a client must not follow it (a 307/308 resends the body,
    /// and Login3's body holds the password).
    #[arg(long, value_name = "URL")]
    redirect_to: Option<String>,

    /// The status of those redirects: 301, 302, 303, 307 or 308.
    #[arg(long, default_value_t = 307)]
    redirect_status: u16,

    /// Only these commands are redirected (comma-separated, e.g. login3); default: every one.
    #[arg(long, value_delimiter = ',')]
    redirect_commands: Vec<String>,

    /// Exit when standard input reaches end of file (lets a parent that dies take us along).
    #[arg(long)]
    exit_on_stdin_eof: bool,

    /// Also serve CloudWatch's RPCv2-CBOR protocol on this address, translated to the JSON
    /// protocol of the emulator at AWS_ENDPOINT_URL (moto serves no CBOR), and publish the
    /// sandbox's own metrics through it. For the local stack: point the tool's
    /// AWS_ENDPOINT_URL_CLOUDWATCH here. (The tests run the same translator themselves.)
    #[arg(long, value_name = "ADDR")]
    cloudwatch_listen: Option<String>,

    /// Play Amazon Data Firehose for the local stack: the emulator stores delivery streams but
    /// moves no record, so the sandbox reads each Kinesis-sourced delivery stream's
    /// configuration back (DescribeDeliveryStream) and delivers the stream's records into S3
    /// exactly as configured (processors, prefixes, compression), as the delivery role may.
    /// See firehose.rs.
    #[arg(long)]
    play_firehose: bool,

    /// Milliseconds between two deliveries. Real Firehose buffers per its BufferingHints
    /// (the archive's: 60 s or 64 MiB, whichever comes first); tests cannot wait that long.
    #[arg(long, default_value_t = 1000, requires = "play_firehose")]
    firehose_flush_ms: u64,

    /// Play only these delivery streams (comma-separated names): tests that share one
    /// emulator each play their own, so no record is delivered twice.
    #[arg(long, value_delimiter = ',', requires = "play_firehose")]
    firehose_streams: Vec<String>,
}

/// The CloudWatch translator on `addr`, in front of `AWS_ENDPOINT_URL`; its URL.
async fn serve_cloudwatch(addr: &str) -> Result<String, String> {
    let upstream = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "--cloudwatch-listen needs AWS_ENDPOINT_URL (the emulator)".to_string())?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let router = cloudwatch_cbor::router(upstream.trim_end_matches('/').to_owned());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    eprintln!("buzz sandbox: CloudWatch (RPCv2-CBOR) for the emulator on http://{bound}");
    Ok(format!("http://{bound}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("buzz sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The flags' values the sandbox cannot play, refused before it starts.
fn check_args(args: &Args) -> Result<(), String> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(format!(
            "--fault-rate must be within 0..1, got {}",
            args.fault_rate
        ));
    }
    if args.test_failure_code.is_empty() || args.test_failure_code == "OK" {
        return Err("--test-failure-code must be a non-OK code".into());
    }
    if args.fault_kinds.is_empty() {
        return Err("--fault-kinds needs at least one kind".into());
    }
    if args.agilix_account.len() != 12 || !args.agilix_account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "--agilix-account must be 12 digits, got {:?}",
            args.agilix_account
        ));
    }
    if ![301, 302, 303, 307, 308].contains(&args.redirect_status) {
        return Err(format!(
            "--redirect-status must be 301, 302, 303, 307 or 308, got {}",
            args.redirect_status
        ));
    }
    Ok(())
}

/// What the sandbox plays, from its flags: Buzz's users, the domain tree, the failure shapes.
fn settings(args: &Args, tree: domains::Tree) -> Settings {
    Settings {
        domain_id: args.domain_id.clone(),
        users: vec![
            User {
                userid: "100001".into(),
                username: args.admin_user.clone(),
                password: args.admin_password.clone(),
                firstname: "Sandbox".into(),
                lastname: "Administrator".into(),
                control_domain: true,
                mfa_code: args.mfa_code.clone(),
            },
            User {
                userid: "100002".into(),
                username: args.teacher_user.clone(),
                password: args.teacher_password.clone(),
                firstname: "Sandbox".into(),
                lastname: "Teacher".into(),
                control_domain: false,
                mfa_code: None,
            },
        ],
        token_ttl: Duration::from_secs(args.token_ttl.max(1)),
        agilix_account: args.agilix_account.clone(),
        external_id: args.external_id.clone(),
        other_domain_external_id: args.other_domain_external_id.clone(),
        iam_propagation_delay: Duration::from_secs(args.iam_propagation_delay),
        latency: Duration::from_millis(args.latency_ms),
        single_object_arrays: args.single_object_arrays,
        test_failure_code: args.test_failure_code.clone(),
        test_failure_style: args.test_failure_style,
        string_booleans: args.string_booleans,
        get_kinesis_key: args.get_kinesis_key.clone(),
        throttle: args.throttle,
        other_domain: args.other_domain.clone(),
        tree,
        hierarchy: domains::Hierarchy {
            list_shape: args.domain_list_shape,
            list_includes_self: args.listdomains_includes_self,
            parent_list_includes_self: args.parent_list_includes_self,
            parent_list_order: args.parent_list_order,
            deny_listdomains: args.deny_listdomains,
            page_cap: args.listdomains_page_cap.filter(|n| *n > 0),
        },
        retry_after: args.retry_after,
        timeout_hold: Duration::from_secs(args.timeout_hold),
        oauth_audience: args.oauth_audience.clone(),
        oauth_error_style: args.oauth_error_style,
        oauth_expires_in: args.oauth_expires_in.max(1),
        oauth_token_type: args.oauth_token_type.clone(),
        oauth_clock_skew: args.oauth_clock_skew,
        redirect: args.redirect_to.clone().map(|to| state::Redirect {
            to,
            status: args.redirect_status,
            commands: args
                .redirect_commands
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
        }),
    }
}

async fn run(args: Args) -> Result<(), String> {
    check_args(&args)?;
    let seed = match &args.seed_config {
        Some(path) => read_seed(path)?,
        None => None,
    };

    let tree = domains::Tree::build(
        args.domain_tree.as_deref(),
        &args.domain_id,
        &args.userspace,
        args.other_domain.as_deref(),
    )?;
    let settings = settings(&args, tree);
    let faults = FaultPlan::new(
        args.faults_after,
        args.faults,
        args.fault_kinds.clone(),
        args.fault_rate,
        args.fault_seed,
    );
    let cloudwatch_url = match &args.cloudwatch_listen {
        Some(addr) => Some(serve_cloudwatch(addr).await?),
        None => None,
    };
    let aws = aws_check::AwsProbe::from_env(cloudwatch_url.as_deref()).await;
    let app = Arc::new(App::new(settings, aws, faults, seed));
    if args.play_firehose {
        let flush = Duration::from_millis(args.firehose_flush_ms.max(10));
        let player = firehose::Player::new(app.clone(), flush, args.firehose_streams.clone()).await;
        tokio::spawn(player.run());
    }

    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;

    announce(&args, addr, &app.settings.tree);

    let router = server::router(app.clone());
    let service = router.into_make_service_with_connect_info::<faults::ConnInfo>();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let graceful_rx = stop_rx.clone();
    let serve = axum::serve(faults::FaultyListener::new(listener), service).with_graceful_shutdown(
        async move {
            wait_for_stop(graceful_rx).await;
        },
    );
    tokio::spawn(watch_for_shutdown(args.exit_on_stdin_eof, stop_tx));

    // A `timeout` fault holds a connection for a long time; graceful shutdown would wait for it,
    // so after a stop request in-flight requests get two seconds and then we leave anyway.
    let grace = async {
        wait_for_stop(stop_rx).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    tokio::select! {
        result = serve => result.map_err(|e| format!("server failed: {e}"))?,
        () = grace => {}
    }
    eprintln!("buzz sandbox: stopped");
    Ok(())
}

/// The seed file holds the domain's initial configuration object (or `null` for none).
fn read_seed(path: &PathBuf) -> Result<Option<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --seed-config {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("--seed-config {} is not JSON: {e}", path.display()))?;
    match value {
        Value::Null => Ok(None),
        Value::Object(_) => Ok(Some(value)),
        _ => Err(format!(
            "--seed-config {} must hold a JSON object (the configuration) or null",
            path.display()
        )),
    }
}

/// The first stdout line is a machine-read contract (tests parse the URL from it); the rest is
/// for people.
fn announce(args: &Args, addr: std::net::SocketAddr, tree: &domains::Tree) {
    let mut out = std::io::stdout().lock();
    // Nothing sensible can be done if stdout is gone, and the server can still run, so write
    // errors are ignored.
    let _ = writeln!(out, "buzz sandbox listening on http://{addr}");
    let _ = out.flush();
    let us = &args.userspace;
    let _ = writeln!(
        out,
        "  this is a local test double of Agilix Buzz, not Buzz"
    );
    let _ = writeln!(
        out,
        "  domain {} (also //{us}); users {us}/{} (password {:?}, ControlDomain{}) and {us}/{} (password {:?}, no ControlDomain)",
        args.domain_id,
        args.admin_user,
        args.admin_password,
        if args.mfa_code.is_some() { ", second factor required" } else { "" },
        args.teacher_user,
        args.teacher_password,
    );
    if let Some(code) = &args.mfa_code {
        let _ = writeln!(out, "  second factor otp: {code}");
    }
    let _ = writeln!(out, "  plays Agilix AWS account {}", args.agilix_account);
    match &args.external_id {
        Some(id) => {
            let _ = writeln!(out, "  sends external id {id:?} with AssumeRole");
        }
        None => {
            let _ = writeln!(out, "  sends no external id with AssumeRole");
        }
    }
    if let Some(other) = &args.other_domain {
        let _ = writeln!(
            out,
            "  other domain {other} (another tenant), external id {:?}",
            args.other_domain_external_id
        );
    }
    if args.domain_tree.is_some() {
        let _ = writeln!(
            out,
            "  domain tree (each userspace has the same users):\n{}",
            tree.describe()
        );
    }
    if args.play_firehose {
        let _ = writeln!(
            out,
            "  plays Firehose: delivers every {} ms (real Firehose buffers 60 s or more){}",
            args.firehose_flush_ms,
            if args.firehose_streams.is_empty() {
                String::new()
            } else {
                format!(", only {}", args.firehose_streams.join(", "))
            }
        );
    }
    let _ = writeln!(
        out,
        "  inspection endpoints: GET /sandbox (list), GET /sandbox/state"
    );
    let _ = out.flush();
}

async fn wait_for_stop(mut rx: tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens at exit: treat it as a stop.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Ctrl-C, SIGTERM, or (when asked) end of stdin all mean "stop".
async fn watch_for_shutdown(watch_stdin: bool, stop: tokio::sync::watch::Sender<bool>) {
    let stdin_eof = async {
        if watch_stdin {
            use tokio::io::AsyncReadExt;
            let mut stdin = tokio::io::stdin();
            let mut buf = [0u8; 256];
            // Whatever is written to us is ignored; only the end of the stream matters.
            while let Ok(n) = stdin.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        } else {
            std::future::pending::<()>().await;
        }
    };
    let sigterm = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => eprintln!("buzz sandbox: interrupted, stopping"),
        () = sigterm => eprintln!("buzz sandbox: SIGTERM, stopping"),
        () = stdin_eof => eprintln!("buzz sandbox: stdin closed, stopping"),
    }
    let _ = stop.send(true);
}
