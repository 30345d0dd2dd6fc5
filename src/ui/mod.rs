//! Everything a person sees: prompts, progress on stderr, and the final report.

mod progress;
mod prompt;

pub use progress::Progress;
pub use prompt::{confirm, prompt_otp, prompt_password, prompt_valid};
