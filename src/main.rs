//! The `buzz-kinesis` binary: parse, run, map the outcome to an exit status.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = buzz_kinesis::cli::Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let output = cli.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async {
        tokio::select! {
            result = buzz_kinesis::run(cli) => match result {
                Ok(code) => code,
                Err(e) => buzz_kinesis::report_error(&e, output),
            },
            _ = tokio::signal::ctrl_c() => buzz_kinesis::ExitCode::Interrupted,
        }
    });
    if code == buzz_kinesis::ExitCode::Interrupted {
        buzz_kinesis::ui::interrupted();
        // A prompt may still hold a worker thread in a blocking read; do not wait for it.
        std::process::exit(code as i32);
    }
    std::process::ExitCode::from(code as u8)
}

/// Logs go to stderr; `RUST_LOG` overrides the verbosity flags.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "buzz_kinesis=info,warn",
        _ => "buzz_kinesis=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
