//! What the process exit status means (Terraform's convention for plans). A module of its own
//! on the lowest floor, so that the commands name it without importing the crate root.

/// How a run ended. Two endings share the status 2, as in Terraform's `plan
/// -detailed-exitcode`: a plan with changes pending, and a check that failed; each has its
/// own name here so that no caller says one meaning the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Done, or nothing to do.
    Ok,
    /// An error: nothing more was done after it.
    Error,
    /// `--dry-run`: changes are pending.
    ChangesPending,
    /// `check`: a check failed (`buzz-identity`: the identity cannot read the domain yet).
    CheckFailed,
    /// Ctrl-C.
    Interrupted,
}

impl ExitCode {
    /// The process exit status.
    pub fn status(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Error => 1,
            ExitCode::ChangesPending | ExitCode::CheckFailed => 2,
            ExitCode::Interrupted => 130,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn statuses_follow_terraforms_convention() {
        let all = [
            (ExitCode::Ok, 0),
            (ExitCode::Error, 1),
            (ExitCode::ChangesPending, 2),
            (ExitCode::CheckFailed, 2),
            (ExitCode::Interrupted, 130),
        ];
        for (code, status) in all {
            assert_eq!(code.status(), status, "{code:?}");
        }
    }
}
