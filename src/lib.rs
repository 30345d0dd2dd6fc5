//! buzz-kinesis: connect an Agilix Buzz domain's data stream to an Amazon Kinesis Data Stream.
//!
//! The flow follows the data: [`cli`] (what a user types) -> [`spec`] (validated values, see
//! [`names`]) -> [`plan`] (desired vs actual, pure) -> the adapters [`aws`] and [`buzz`] ->
//! [`report`]. `main.rs` only calls [`run`].

#![warn(unreachable_pub)]

pub mod archive;
pub(crate) mod aws;
pub mod buzz;
pub mod calls;
pub(crate) mod checklist;
pub(crate) mod checks;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod deadline;
pub mod error;
pub mod events;
pub mod exit;
pub mod fanout;
pub(crate) mod handover;
pub(crate) mod hcl;
pub(crate) mod help;
pub(crate) mod iac;
pub mod iam;
pub(crate) mod metrics;
pub mod names;
pub(crate) mod parts;
pub(crate) mod plan;
pub(crate) mod price;
pub(crate) mod report;
pub(crate) mod sizing;
pub(crate) mod spec;
pub(crate) mod state;
pub(crate) mod teardown_plan;
pub(crate) mod text;
pub(crate) mod tls;
pub mod ui;

use std::ffi::OsString;

use clap::FromArgMatches;

pub use error::{Error, Result};
pub use exit::ExitCode;

/// Parse the command line. A usage error is reported here (as JSON too, with `--output json`)
/// and exits 1, like every other error: exit 2 means "changes pending / a check failed".
/// Help and version exit 0.
pub fn parse_args(
    args: impl IntoIterator<Item = OsString>,
) -> std::result::Result<cli::Cli, ExitCode> {
    let args: Vec<OsString> = args.into_iter().collect();
    let mut cmd =
        help::command_reading_aliases(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    // Left on auto, clap itself follows NO_COLOR / CLICOLOR / CLICOLOR_FORCE and the stream.
    cmd = match ui::color::from_raw_args(&args) {
        cli::ColorWhen::Always => cmd.color(clap::ColorChoice::Always),
        cli::ColorWhen::Never => cmd.color(clap::ColorChoice::Never),
        cli::ColorWhen::Auto => cmd,
    };
    let parsed = cmd
        .try_get_matches_from(&args)
        .and_then(|m| cli::Cli::from_arg_matches(&m));
    match parsed {
        Ok(cli) => Ok(cli),
        Err(e) if !e.use_stderr() => {
            // --help, --version: a closed pipe (`--help | head`) is fine.
            let _ = e.print();
            Err(ExitCode::Ok)
        }
        Err(e) => {
            if json_requested(&args) {
                let text = e.render().to_string();
                let mut lines = text.lines().filter(|l| !l.trim().is_empty());
                let message = lines
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_owned();
                let hint = lines.map(str::trim).collect::<Vec<_>>().join(" ");
                let hint = if hint.is_empty() {
                    "`buzz-kinesis --help` lists the commands and their flags".to_owned()
                } else {
                    hint
                };
                report::emit_error_json("usage", None, &message, &hint, &[]);
            }
            let _ = e.print();
            Err(ExitCode::Error)
        }
    }
}

/// Whether the raw arguments ask for JSON output (for errors found before parsing succeeds).
fn json_requested(args: &[OsString]) -> bool {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    args.windows(2).any(|w| w == ["--output", "json"]) || args.contains(&"--output=json")
}

/// Logs go to stderr, coloured only when [`ui::color`] says so. At the default level only
/// our own warnings show: the AWS SDK's and other libraries' logs (IMDS probes, retries) need
/// `-v`. `RUST_LOG` overrides the verbosity flags.
pub fn init_logging(cli: &cli::Cli) {
    let colour = ui::color::for_stderr(cli.color);
    ui::color::apply(colour);
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "off,buzz_kinesis=error",
        (_, 0) => "off,buzz_kinesis=warn",
        (_, 1) => "buzz_kinesis=info,warn",
        _ => "buzz_kinesis=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .without_time();
    if cli.verbose == 0 {
        // A person reads the sentence; the fields (`cmd="login3" cause=...`) are for -v.
        fmt.event_format(PlainEvent).init();
    } else {
        fmt.init();
    }
}

/// A log event as a person reads it: `warning: <the message>`, without its fields.
struct PlainEvent;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainEvent
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        writeln!(w, "{}", plain_event(event))
    }
}

/// `warning: <message>` (or `error:`, `info:` ...) of an event, its fields left out.
fn plain_event(event: &tracing::Event<'_>) -> String {
    struct Message(String);
    impl tracing::field::Visit for Message {
        fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
            if f.name() == "message" {
                self.0 = format!("{v:?}");
            }
        }
    }
    let mut m = Message(String::new());
    event.record(&mut m);
    let word = match *event.metadata().level() {
        tracing::Level::ERROR => "error",
        tracing::Level::WARN => "warning",
        tracing::Level::INFO => "info",
        _ => "debug",
    };
    format!("{word}: {}", m.0)
}

/// Run a parsed command line, within its deadline (`--deadline`): `tail` follows the stream
/// until `--timeout`, `--limit` or Ctrl-C instead (or a `--deadline` given to it), and the
/// offline commands have nothing to wait for.
pub async fn run(cli: cli::Cli) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    deadline::set_limit(
        cli.deadline
            .as_deref()
            .map(deadline::parse_seconds)
            .transpose()?,
    );
    let bounded = match cli.command {
        cli::Command::Setup(_) | cli::Command::Check(_) | cli::Command::Teardown(_) => true,
        cli::Command::Tail(_) => cli.deadline.is_some(),
        _ => false,
    };
    if !bounded {
        return dispatch(cli).await;
    }
    tokio::select! {
        result = dispatch(cli) => result,
        timeout = deadline::expire(started) => Err(timeout),
    }
}

async fn dispatch(cli: cli::Cli) -> Result<ExitCode> {
    use cli::Command;
    match cli.command {
        Command::Setup(args) => {
            commands::setup::run(&args, cli.output, cli.quiet, cli.verbose > 0).await
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut help::command(), "buzz-kinesis", &mut script);
            ui::write_stdout(&script)?;
            Ok(ExitCode::Ok)
        }
        Command::Check(args) => commands::check::run(&args, cli.output, cli.quiet).await,
        Command::Tail(args) => commands::tail::run(&args, cli.output, cli.quiet).await,
        Command::Teardown(args) => commands::teardown::run(&args, cli.output, cli.quiet).await,
        Command::Export(args) => commands::export::run(&args, cli.output, cli.quiet).await,
        Command::BuzzIdentity(args) => commands::identity::run(&args, cli.output, cli.quiet).await,
        Command::Man { out_dir } => {
            man_pages(out_dir.as_deref())?;
            Ok(ExitCode::Ok)
        }
    }
}

/// The top man page on stdout, or, with a directory, one page per command in it
/// (`buzz-kinesis.1`, `buzz-kinesis-setup.1`, ...), as the top page's SEE ALSO names them.
fn man_pages(out_dir: Option<&std::path::Path>) -> Result<()> {
    let pages = help::man_pages().map_err(|e| Error::io("rendering the man pages", e))?;
    match out_dir {
        None => ui::write_stdout(&pages[0].1),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            for (name, page) in &pages {
                let path = dir.join(name);
                std::fs::write(&path, page)
                    .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            }
            Ok(())
        }
    }
}

/// Print an error for the user (and as JSON on stdout with `--output json`) and give its exit
/// code. The message and its hint are sentences; the `Debug` form, for bug reports, only at
/// `-vv`.
pub fn report_error(e: &Error, output: cli::Output, verbose: u8) -> ExitCode {
    if matches!(e, Error::Interrupted) {
        // main prints what was done; an "error: interrupted" line would add nothing.
        return ExitCode::Interrupted;
    }
    // Outside text in the message (Buzz's and AWS's words, titles, ids) is exact in JSON and
    // escaped on the terminal (`text`).
    if output == cli::Output::Json {
        report::emit_error_json(
            e.kind(),
            e.code(),
            &e.message(),
            &e.hint().unwrap_or_default(),
            &e.missing_flags(),
        );
    }
    eprintln!(
        "{}: {}",
        ui::color::error_label(),
        text::for_terminal(&e.message())
    );
    if let Some(hint) = e.hint_below() {
        eprintln!("  hint: {}", text::for_terminal(&hint));
    }
    if verbose >= 2 {
        eprintln!("debug: {e:?}");
    }
    ExitCode::Error
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_warning_reads_as_a_sentence_without_its_fields() {
        let out = Buffer::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .event_format(super::PlainEvent)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                cmd = "login3",
                cause = "refused",
                "no connection to Buzz; trying once more"
            );
            tracing::error!("gave up");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "warning: no connection to Buzz; trying once more\nerror: gave up\n"
        );
    }
}
