//! Everything a person sees: prompts, progress on stderr, and the final report.

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
