//! buzz-kinesis: connect an Agilix Buzz domain's data stream to an Amazon Kinesis Data Stream.
//!
//! The flow follows the data: [`cli`] (what a user types) -> [`spec`] (validated values, see
//! [`names`]) -> [`plan`] (desired vs actual, pure) -> the adapters [`aws`] and [`buzz`] ->
//! [`report`]. `main.rs` only calls [`run`].

pub mod aws;
pub mod buzz;
pub mod calls;
pub mod cli;
pub mod commands;
pub mod error;
pub mod events;
pub mod iac;
pub mod metrics;
pub mod names;
pub mod plan;
pub mod policy;
pub mod report;
pub mod sizing;
pub mod spec;
pub mod state;
pub mod ui;

use clap::CommandFactory;

pub use error::{Error, Result};

/// What the process exit status means (Terraform's convention for plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Done, or nothing to do.
    Ok = 0,
    /// An error: nothing more was done after it.
    Error = 1,
    /// `--dry-run`: changes are pending. `check`: a check failed.
    Changes = 2,
    /// Ctrl-C.
    Interrupted = 130,
}

/// Run a parsed command line.
pub async fn run(cli: cli::Cli) -> Result<ExitCode> {
    use cli::Command;
    match cli.command {
        Command::Setup(args) => {
            commands::setup::run(&args, cli.output, cli.quiet, cli.verbose > 0).await
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut cli::Cli::command(),
                "buzz-kinesis",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::Ok)
        }
        Command::Check(args) => commands::check::run(&args, cli.output, cli.quiet).await,
        Command::Tail(args) => commands::tail::run(&args, cli.output, cli.quiet).await,
        Command::Teardown(args) => commands::teardown::run(&args, cli.output, cli.quiet).await,
        Command::Policy(args) => commands::policy::run(&args, cli.output, cli.quiet).await,
        Command::Man => {
            clap_mangen::Man::new(cli::Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Error::io("writing the man page", e))?;
            Ok(ExitCode::Ok)
        }
    }
}

/// Print an error for the user (or as JSON) and give its exit code.
pub fn report_error(e: &Error, output: cli::Output) -> ExitCode {
    if matches!(e, Error::Interrupted) {
        // main prints what was done; an "error: interrupted" line would add nothing.
        return ExitCode::Interrupted;
    }
    if output == cli::Output::Json {
        let v = serde_json::json!({"schema_version": report::SCHEMA_VERSION, "error": {"kind": e.kind(), "code": e.code(), "message": e.to_string()}});
        println!("{v}");
    }
    eprintln!("error: {e}");
    ExitCode::Error
}
