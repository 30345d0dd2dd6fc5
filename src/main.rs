//! The `buzz-kinesis` binary: parse, run, map the outcome to an exit status.

fn main() -> std::process::ExitCode {
    buzz_kinesis::ui::exit_quietly_on_closed_stdout();
    let cli = match buzz_kinesis::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return std::process::ExitCode::from(code.status()),
    };
    buzz_kinesis::init_logging(&cli);
    let (output, verbose) = (cli.output, cli.verbose);
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
                Err(e) => buzz_kinesis::report_error(&e, output, verbose),
            },
            _ = tokio::signal::ctrl_c() => buzz_kinesis::ExitCode::Interrupted,
        }
    });
    if code == buzz_kinesis::ExitCode::Interrupted {
        buzz_kinesis::ui::interrupted();
        // A prompt may still hold a worker thread in a blocking read; do not wait for it.
        std::process::exit(i32::from(code.status()));
    }
    std::process::ExitCode::from(code.status())
}
