//! The wizard in a real terminal: the binary runs in a pseudo-terminal and the test answers
//! its prompts like a person, against moto and the sandbox. The first test also writes the
//! transcript the README shows (`target/tmp/wizard-transcript.txt`).

use std::process::Command;

use rexpect::session::{spawn_with_options, Options, PtySession};
use serde_json::json;

use crate::harness::{self, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

/// The binary in a pty with moto's environment, the sandbox as Buzz, and `args`.
fn spawn<S: AsRef<std::ffi::OsStr>>(
    sandbox: &Sandbox,
    args: &[S],
    env: &[(&str, &str)],
) -> PtySession {
    spawn_program(env!("CARGO_BIN_EXE_buzz-kinesis"), sandbox, args, env)
}

/// [`spawn`] for any program (a shell that redirects the binary's stdout, say).
fn spawn_program<S: AsRef<std::ffi::OsStr>>(
    program: &str,
    sandbox: &Sandbox,
    args: &[S],
    env: &[(&str, &str)],
) -> PtySession {
    spawn_command(harness::aws_command(program), sandbox, args, env)
}

/// The binary in a pty with no AWS environment at all (no `AWS_*` variable, `home` as HOME),
/// as on the laptop of a person who has only a Buzz login.
fn spawn_without_aws(sandbox: &Sandbox, args: &[&str], home: &std::path::Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_buzz-kinesis"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home);
    spawn_command(cmd, sandbox, args, &[])
}

fn spawn_command<S: AsRef<std::ffi::OsStr>>(
    mut cmd: Command,
    sandbox: &Sandbox,
    args: &[S],
    env: &[(&str, &str)],
) -> PtySession {
    for k in [
        "BUZZ_PASSWORD",
        "BUZZ_TOKEN",
        "BUZZ_OTP",
        "BUZZ_USERNAME",
        "BUZZ_DOMAIN_ID",
        "BUZZ_KINESIS_STREAM",
        "BUZZ_KINESIS_ROLE",
        "BUZZ_AGILIX_ACCOUNT_ID",
        "CI",
        // As on a person's laptop: the region comes from the AWS profile (the test profile
        // names moto's), which the wizard then says.
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(k);
    }
    // Never the developer's own config file, and never the one the Tool's runs share: an empty
    // config directory of its own, unless the test names one (the wizard offers to save there).
    let xdg = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(harness::unique("xdg"));
    cmd.env("BUZZ_API_URL", sandbox.url())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", &xdg)
        .env_remove("BUZZ_KINESIS_CONFIG");
    cmd.envs(env.iter().copied()).args(args);
    spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(30_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("the binary starts in a pty")
}

/// `setup` naming everything but asking for confirmation (no `--yes`), for `names`.
fn setup_args(sandbox: &Sandbox, names: &Names) -> Vec<String> {
    let mut args = vec!["setup".to_owned()];
    args.extend(target_args(sandbox, names));
    args.extend(["--capacity-mode".to_owned(), "on-demand".to_owned()]);
    args
}

/// Expect `needle`, keeping what came before it for the transcript.
fn expect(p: &mut PtySession, transcript: &mut String, needle: &str) {
    let before = p
        .exp_string(needle)
        .unwrap_or_else(|e| panic!("expected {needle:?}: {e}\n--- so far ---\n{transcript}"));
    transcript.push_str(&before);
    transcript.push_str(needle);
}

fn answer(p: &mut PtySession, transcript: &mut String, prompt: &str, reply: &str, shown: &str) {
    expect(p, transcript, prompt);
    p.send_line(reply).expect("type an answer");
    transcript.push_str(&format!(" <{shown}>"));
}

/// The sandbox's domain, admin login and password, asked one after the other.
fn answer_buzz_login(p: &mut PtySession, t: &mut String) {
    answer(p, t, "Buzz domain", DOMAIN_ID, DOMAIN_ID);
    answer(p, t, "Buzz login", harness::ADMIN_USER, harness::ADMIN_USER);
    answer(
        p,
        t,
        "Buzz password for sandbox/admin",
        harness::ADMIN_PASSWORD,
        "typed, hidden",
    );
}

/// The exit code, read from nix's `WaitStatus` through its Debug form (`Exited(Pid(1), 0)`),
/// which spares a direct dependency on nix for one enum.
fn exit_code(p: &PtySession) -> Option<i32> {
    let status = format!("{:?}", p.process().wait().ok()?);
    let code = status
        .strip_prefix("Exited(")?
        .rsplit(", ")
        .next()?
        .trim_end_matches(')');
    code.parse().ok()
}

/// The external id the person types in the first test.
const EXTERNAL_ID: &str = "district-7-from-agilix";

#[tokio::test]
async fn a_person_answers_every_question_and_gets_a_working_setup() {
    // Buzz assumes the role with the external id Agilix issued, which the person types.
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .seed_config(webhook_config())
            .external_id(EXTERNAL_ID),
    );
    // The only test that takes the default stream and role names: nothing else uses them.
    // Another stream in the account, so the wizard offers a choice (run alone, moto has none).
    harness::create_stream(&harness::unique("existing"));
    let mut t = String::new();
    let mut p = spawn(&sandbox, &["setup"], &[]);
    // AWS credentials are there, a Buzz login not yet: which logins does this person have?
    answer(
        &mut p,
        &mut t,
        "Which logins do you have?",
        "",
        "Enter: both",
    );
    // A wrong account number is refused with the rule, then asked again.
    answer(
        &mut p,
        &mut t,
        "Agilix's AWS account number",
        "12345",
        "12345",
    );
    expect(&mut p, &mut t, "exactly 12 digits");
    answer(
        &mut p,
        &mut t,
        "Agilix's AWS account number",
        harness::AGILIX_ACCOUNT,
        harness::AGILIX_ACCOUNT,
    );
    answer_buzz_login(&mut p, &mut t);
    // What `check` would warn about later is asked now: the external id, an alarm, the
    // retention.
    answer(
        &mut p,
        &mut t,
        "External id: Agilix issues one? paste it, or Enter for none",
        EXTERNAL_ID,
        EXTERNAL_ID,
    );
    answer(
        &mut p,
        &mut t,
        "Alarm email (Enter for none)",
        "ops@example.edu",
        "ops@example.edu",
    );
    answer(
        &mut p,
        &mut t,
        "Retention in hours (Enter for 24)",
        "48",
        "48",
    );
    // Every answer is in: the wizard offers to keep them (no secret) for the next run.
    answer(
        &mut p,
        &mut t,
        "for the next run? (no secrets are saved)",
        "",
        "Enter: yes",
    );
    expect(&mut p, &mut t, "Saved to ");
    expect(&mut p, &mut t, "Region us-east-1, from your AWS settings");
    answer(
        &mut p,
        &mut t,
        "Which Kinesis stream should Buzz write to?",
        "",
        "Enter: create a new stream",
    );
    answer(&mut p, &mut t, "Peak Buzz events per second", "200", "200");
    answer(
        &mut p,
        &mut t,
        "Average event size in bytes",
        "",
        "Enter: 1000",
    );
    expect(&mut p, &mut t, "Recommended: on-demand");
    answer(&mut p, &mut t, "Capacity mode", "", "Enter: on-demand");
    answer(
        &mut p,
        &mut t,
        "Keep every event in S3 for SQL?",
        "",
        "Enter: no archive",
    );
    expect(
        &mut p,
        &mut t,
        "+ stream buzz-events: create stream (on-demand)",
    );
    answer(&mut p, &mut t, "Apply these changes?", "y", "y");
    expect(&mut p, &mut t, "Done in");
    let rest = p.exp_eof().unwrap_or_default();
    t.push_str(&rest);
    assert_eq!(exit_code(&p), Some(0), "{t}");
    assert!(
        !t.contains(harness::ADMIN_PASSWORD),
        "the password was echoed"
    );
    assert!(
        t.contains("`buzz-kinesis check --stream buzz-events --region ")
            && t.contains("`buzz-kinesis tail --stream buzz-events --region "),
        "{t}"
    );
    // Each Buzz value's question says where to find it; no warning about what was asked.
    assert!(t.contains("Admin > Domains shows its numeric id"), "{t}");
    assert!(
        t.contains("ControlDomain right, the right to change"),
        "{t}"
    );
    assert!(!t.contains("no --external-id"), "{t}");
    assert!(t.contains("Targets AWS account"), "{t}");
    assert!(t.contains("Estimated monthly cost"), "{t}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wizard-transcript.txt");
    let _ = std::fs::write(path, &t);

    // What the person asked for is what exists.
    let summary = harness::aws_cli(&[
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        "buzz-events",
    ]);
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"],
        "ON_DEMAND"
    );
    assert_eq!(
        summary["StreamDescriptionSummary"]["RetentionPeriodHours"],
        48
    );
    let (session, trust) = role_view("BuzzKinesisWriter");
    assert_eq!(session, 43_200);
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        EXTERNAL_ID
    );
    let alarms = harness::aws_cli(&["cloudwatch", "describe-alarms"]);
    assert!(
        alarms["MetricAlarms"].as_array().is_some_and(|a| a
            .iter()
            .any(|x| x["Dimensions"][0]["Value"] == "buzz-events")),
        "{alarms}"
    );
    let config = sandbox.domain_config(DOMAIN_ID).await;
    assert_eq!(kinesis_targets(&config)[0]["enabled"], json!(true));
    assert_eq!(config["https"], webhook_config()["https"]);
}

#[tokio::test]
async fn declining_the_plan_changes_nothing() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &setup_args(&sandbox, &names),
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    answer(&mut p, &mut t, "Apply these changes?", "n", "n");
    expect(&mut p, &mut t, "Nothing was changed.");
    let _ = p.exp_eof();
    assert_eq!(exit_code(&p), Some(0));
    assert!(harness::try_aws_cli(&["iam", "get-role", "--role-name", &names.role]).is_err());
}

#[tokio::test]
async fn ctrl_c_mid_wait_says_what_was_done_and_a_rerun_finishes() {
    // Buzz cannot assume the new role for 6 s: setup is waiting when Ctrl-C comes.
    let sandbox = Sandbox::start(SandboxOptions::new().iam_propagation_delay(6));
    let names = Names::new();
    let args = setup_args(&sandbox, &names);
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &args,
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    answer(&mut p, &mut t, "Apply these changes?", "y", "y");
    expect(&mut p, &mut t, "waiting for IAM");
    p.send_control('c').expect("press Ctrl-C");
    expect(&mut p, &mut t, "interrupted after");
    expect(&mut p, &mut t, "run the same command again");
    let _ = p.exp_eof();
    assert_eq!(exit_code(&p), Some(130), "{t}");
    assert!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).is_empty(),
        "Buzz not saved yet"
    );

    // The re-run picks up where it stopped: the AWS side is done, Buzz remains.
    let out = Tool::setup(&sandbox, &names).run();
    out.assert_success();
    let report = out.json();
    assert_eq!(report["stream"]["outcome"], "unchanged");
    assert_eq!(report["role"]["outcome"], "unchanged");
    assert_eq!(report["buzz"]["outcome"], "created");
    assert_eq!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
        1
    );
}

#[tokio::test]
async fn check_at_a_terminal_shows_no_setup_wizard_text() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let mut args = vec!["check".to_owned()];
    args.extend(target_args(&sandbox, &names));
    let mut p = spawn(
        &sandbox,
        &args,
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    let shown = p.exp_eof().expect("check ends");
    // Nothing exists yet: every row fails, and nothing speaks of a plan to confirm.
    assert!(shown.contains("stream.exists"), "{shown}");
    assert!(
        !shown.contains("Nothing changes before you confirm"),
        "{shown}"
    );
    assert!(!shown.contains("buzz-kinesis sets up"), "{shown}");
    assert_eq!(exit_code(&p), Some(2));
}

#[tokio::test]
async fn teardown_json_at_a_terminal_keeps_stdout_for_one_json_document() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stdout = dir.path().join("stdout.json");
    // A shell runs the binary with stdout in a file; stdin and stderr stay on the terminal.
    let mut args = vec![
        "-c".to_owned(),
        r#"exec "$0" "$@" > "$STDOUT_FILE""#.to_owned(),
        env!("CARGO_BIN_EXE_buzz-kinesis").to_owned(),
        "teardown".to_owned(),
        "--output".to_owned(),
        "json".to_owned(),
    ];
    args.extend(target_args_for("teardown", &sandbox, &names));
    let file = stdout.display().to_string();
    let mut t = String::new();
    let mut p = spawn_program(
        "sh",
        &sandbox,
        &args,
        &[
            ("BUZZ_PASSWORD", harness::ADMIN_PASSWORD),
            ("STDOUT_FILE", &file),
        ],
    );
    // The plan is shown on the terminal (stderr) before the question.
    expect(&mut p, &mut t, "Plan:");
    answer(&mut p, &mut t, "Remove these?", "y", "y");
    let _ = p.exp_eof();
    assert_eq!(exit_code(&p), Some(0), "{t}");
    let text = std::fs::read_to_string(&stdout).expect("stdout was written");
    assert_eq!(text.lines().count(), 1, "one JSON document: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["role"]["outcome"], "deleted", "{v}");
}

#[tokio::test]
async fn a_person_without_aws_credentials_is_offered_the_buzz_half() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    // The AWS half, done by someone else.
    Tool::new()
        .args([
            "setup",
            "--aws-only",
            "--yes",
            "--agilix-account",
            harness::AGILIX_ACCOUNT,
        ])
        .args(["--stream", &names.stream, "--role", &names.role])
        .run()
        .assert_success();
    let home = tempfile::tempdir().expect("a temporary directory");
    let mut t = String::new();
    let mut p = spawn_without_aws(&sandbox, &["setup"], home.path());
    expect(&mut p, &mut t, "No AWS credentials were found");
    answer(
        &mut p,
        &mut t,
        "Which logins do you have?",
        "",
        "Enter: only Buzz",
    );
    answer(
        &mut p,
        &mut t,
        "The role's ARN",
        &harness::role_arn(&names.role),
        "the ARN",
    );
    answer(
        &mut p,
        &mut t,
        "The stream's name",
        &names.stream,
        "the stream",
    );
    answer(
        &mut p,
        &mut t,
        "The stream's AWS region",
        harness::REGION,
        "us-east-1",
    );
    answer_buzz_login(&mut p, &mut t);
    answer(&mut p, &mut t, "Save these answers to", "n", "n");
    answer(&mut p, &mut t, "Apply these changes?", "y", "y");
    expect(&mut p, &mut t, "Done in");
    let rest = p.exp_eof().unwrap_or_default();
    t.push_str(&rest);
    assert_eq!(exit_code(&p), Some(0), "{t}");
    assert!(!t.contains("Agilix's AWS account number"), "{t}");
    let config = sandbox.domain_config(DOMAIN_ID).await;
    let targets = kinesis_targets(&config);
    assert_eq!(targets.len(), 1, "{config}");
    assert_eq!(targets[0]["enabled"], json!(true));
    assert_eq!(config["https"], webhook_config()["https"]);
}

#[tokio::test]
async fn teardown_meets_a_change_made_while_its_prompt_waits_and_refuses() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    Tool::setup(&sandbox, &names).run().assert_success();
    let mut args = vec!["teardown".to_owned()];
    args.extend(target_args_for("teardown", &sandbox, &names));
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &args,
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    expect(&mut p, &mut t, "Plan:");
    expect(&mut p, &mut t, "Remove these?");
    // Another administrator adds a webhook while the question waits.
    let mut changed = sandbox.domain_config(DOMAIN_ID).await;
    let mut hooks = changed["https"].as_array().cloned().unwrap_or_default();
    hooks.push(json!({"title": "Analytics hook", "enabled": true,
        "endpoints": "https://analytics.example.org/buzz", "httpMethod": "POST"}));
    changed["https"] = json!(hooks);
    sandbox.set_domain_config(DOMAIN_ID, changed.clone()).await;
    p.send_line("y").expect("answer yes");
    expect(&mut p, &mut t, "changed while the plan waited");
    t.push_str(&p.exp_eof().unwrap_or_default());
    assert_eq!(exit_code(&p), Some(1), "{t}");
    assert!(
        t.contains("https target \"Analytics hook\" was added"),
        "{t}"
    );
    // Nothing was written: the other administrator's target and ours are both there, and
    // the role is untouched.
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, changed);
    assert!(inline_policy(&names.role).is_some());

    // Asked again, it removes ours and keeps theirs.
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &args,
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    answer(&mut p, &mut t, "Remove these?", "y", "y");
    let _ = p.exp_eof();
    assert_eq!(exit_code(&p), Some(0), "{t}");
    let left = kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await);
    assert!(left.is_empty(), "{left:?}");
    let saved = sandbox.domain_config(DOMAIN_ID).await;
    assert_eq!(saved["https"], changed["https"], "theirs kept: {saved}");
}

/// Buzz unreachable after every answer is typed: the run fails, and says the command that runs
/// the same setup again without the questions (no password in it).
#[tokio::test]
async fn a_run_that_fails_after_the_answers_prints_the_command_that_resumes_it() {
    let sandbox = Sandbox::start_default();
    // Nothing listens there: Buzz cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let names = Names::new();
    let xdg = tempfile::tempdir().expect("a temporary directory");
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &["setup", "--role", &names.role],
        &[
            ("BUZZ_API_URL", &url),
            ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap()),
        ],
    );
    answer(
        &mut p,
        &mut t,
        "Which logins do you have?",
        "",
        "Enter: both",
    );
    answer(
        &mut p,
        &mut t,
        "Agilix's AWS account number",
        harness::AGILIX_ACCOUNT,
        harness::AGILIX_ACCOUNT,
    );
    answer_buzz_login(&mut p, &mut t);
    answer(&mut p, &mut t, "External id", "", "Enter: none");
    answer(&mut p, &mut t, "Alarm email", "", "Enter: none");
    answer(&mut p, &mut t, "Retention in hours", "72", "72");
    // Offered before anything can fail, at the default config path.
    let saved = xdg.path().join("buzz-kinesis").join("config.toml");
    answer(
        &mut p,
        &mut t,
        &format!(
            "Save these answers to {} for the next run?",
            saved.display()
        ),
        "",
        "Enter: yes",
    );
    expect(&mut p, &mut t, "The same setup without the questions");
    let rest = p.exp_eof().unwrap_or_default();
    t.push_str(&rest);
    assert_eq!(exit_code(&p), Some(1), "{t}");
    assert!(
        t.contains(&format!(
            "buzz-kinesis setup --agilix-account {} --domain {DOMAIN_ID} --buzz-url {url} --buzz-user {} --role {} ",
            harness::AGILIX_ACCOUNT,
            harness::ADMIN_USER,
            names.role
        )) && t.contains("--retention-hours 72\r\n"),
        "{t}"
    );
    assert!(!t.contains(harness::ADMIN_PASSWORD), "{t}");
    // The run failed; the answers are kept all the same.
    let file = std::fs::read_to_string(&saved).expect("the answers were saved");
    assert!(
        file.contains(&format!(
            "agilix-account = \"{}\"\n",
            harness::AGILIX_ACCOUNT
        )) && file.contains("retention-hours = 72\n")
            && file.contains(&format!("role = \"{}\"\n", names.role)),
        "{file}"
    );
    assert!(!file.contains(harness::ADMIN_PASSWORD), "{file}");
}

/// The wizard offers to save its answers into the `--config` file the person named, which
/// already holds a comment and a key of theirs: the answers are merged in (no password), the
/// comment and the key stay, and the next run, unattended, starts from the file and finds
/// nothing to change.
#[tokio::test]
async fn the_answers_saved_by_the_wizard_start_the_next_run() {
    let sandbox = Sandbox::start_default();
    let names = Names::new();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("district.toml");
    let theirs = format!(
        "# the district's settings\nrole = \"{}\" # kept\n",
        names.role
    );
    std::fs::write(&config, &theirs).unwrap();
    let config_arg = config.to_str().unwrap();
    let mut t = String::new();
    let mut p = spawn(
        &sandbox,
        &[
            "setup",
            "--config",
            config_arg,
            "--stream",
            &names.stream,
            "--capacity-mode",
            "on-demand",
        ],
        &[],
    );
    answer(
        &mut p,
        &mut t,
        "Which logins do you have?",
        "",
        "Enter: both",
    );
    answer(
        &mut p,
        &mut t,
        "Agilix's AWS account number",
        harness::AGILIX_ACCOUNT,
        harness::AGILIX_ACCOUNT,
    );
    answer_buzz_login(&mut p, &mut t);
    // The file exists: the offer says what it adds and that the rest stays.
    expect(
        &mut p,
        &mut t,
        &format!("Save these answers to {config_arg}"),
    );
    answer(
        &mut p,
        &mut t,
        "keeps its other keys and comments. (no secrets are saved)",
        "",
        "Enter: yes",
    );
    expect(
        &mut p,
        &mut t,
        &format!("the next `buzz-kinesis setup --config {config_arg}` starts from these answers"),
    );
    answer(&mut p, &mut t, "Apply these changes?", "y", "y");
    expect(&mut p, &mut t, "Done in");
    t.push_str(&p.exp_eof().unwrap_or_default());
    assert_eq!(exit_code(&p), Some(0), "{t}");
    assert!(
        t.contains("It exists: this adds agilix-account, domain"),
        "{t}"
    );

    let file = std::fs::read_to_string(&config).unwrap();
    assert!(file.starts_with(&theirs), "theirs kept: {file}");
    for line in [
        format!("agilix-account = \"{}\"", harness::AGILIX_ACCOUNT),
        format!("domain = \"{DOMAIN_ID}\""),
        format!("buzz-user = \"{}\"", harness::ADMIN_USER),
        format!("buzz-url = \"{}\"", sandbox.url()),
        format!("stream = \"{}\"", names.stream),
        "capacity-mode = \"on-demand\"".to_owned(),
    ] {
        assert!(file.lines().any(|l| l == line), "{line} in {file}");
    }
    assert!(!file.contains(harness::ADMIN_PASSWORD), "{file}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // The next run, unattended, names only the file: nothing left to change.
    let again = Tool::new()
        .args(["setup", "--config", config_arg, "--yes", "--output", "json"])
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run();
    again.assert_success();
    let report = again.json();
    assert_eq!(report["api_calls"]["mutating"], json!(0), "{report}");
    assert_eq!(report["buzz"]["outcome"], "unchanged", "{report}");
    Tool::new()
        .args(["check", "--config", config_arg, "--output", "json"])
        .env("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)
        .run()
        .assert_success();
}

/// `--no-input` at a terminal: no question at all, every missing value named in one error, and
/// nothing applied (it approves nothing; that is --yes).
#[tokio::test]
async fn no_input_at_a_terminal_asks_nothing_and_names_what_is_missing() {
    let sandbox = Sandbox::start_default();
    let mut p = spawn(&sandbox, &["setup", "--no-input"], &[]);
    let shown = p.exp_eof().expect("setup ends without asking");
    assert!(shown.contains("--agilix-account"), "{shown}");
    assert!(shown.contains("BUZZ_KINESIS_AGILIX_ACCOUNT"), "{shown}");
    assert!(!shown.contains("Which logins do you have?"), "{shown}");
    assert!(!shown.contains("buzz-kinesis sets up"), "{shown}");
    assert_eq!(exit_code(&p), Some(1));
    // With every value given it still applies nothing without --yes, and says so.
    let names = Names::new();
    let mut args = setup_args(&sandbox, &names);
    args.push("--no-input".to_owned());
    let mut p = spawn(
        &sandbox,
        &args,
        &[("BUZZ_PASSWORD", harness::ADMIN_PASSWORD)],
    );
    let shown = p.exp_eof().expect("setup ends without asking");
    assert!(shown.contains("pass --yes to apply"), "{shown}");
    assert!(!shown.contains("Apply these changes?"), "{shown}");
    assert_eq!(exit_code(&p), Some(1));
    assert!(
        kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).is_empty(),
        "nothing registered"
    );
}
