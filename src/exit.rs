//! What the process exit status means (Terraform's convention for plans). A module of its own
//! on the lowest floor, so that the commands name it without importing the crate root.

/// How a run ended, as the process exit status.
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
