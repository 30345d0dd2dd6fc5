//! Everything a person sees: prompts, progress on stderr, and the final report.

pub mod color;
mod progress;
mod prompt;
pub mod wizard;

pub use progress::Progress;
pub use prompt::{confirm, prompt_otp, prompt_password, prompt_valid};

/// After Ctrl-C: a usable terminal, and a line saying what was already done.
pub fn interrupted() {
    let term = console::Term::stderr();
    let _ = term.show_cursor();
    let done = crate::calls::changes_made();
    if done.is_empty() {
        eprintln!("\ninterrupted: nothing was changed.");
    } else {
        eprintln!(
            "\ninterrupted after {} change(s): {}.\nThat stays done; run the same command again and it continues from there.",
            done.len(),
            done.join(", ")
        );
    }
}

/// Writing to a closed pipe (`buzz-kinesis man | head`) ends the process quietly, as `cat`
/// does, instead of with Rust's "failed printing to stdout" panic.
pub fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("Broken pipe") || text.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Write to stdout; a reader that went away (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> crate::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::Error::io("writing to stdout", e))
        }
        _ => Ok(()),
    }
}
