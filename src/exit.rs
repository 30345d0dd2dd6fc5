//! What the process exit status means (Terraform's convention for plans). A module of its own
//! on the lowest floor, so that the commands name it without importing the crate root.

/// How a run ended. Three endings share the status 2, as in Terraform's `plan
/// -detailed-exitcode`: a plan with changes pending, a check that failed, and a change setup
/// declined (still pending); each has its
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
    /// `setup`: a change the user asked for was not made, because it needs a further flag
    /// (fewer shards without `--allow-capacity-decrease`): it is still pending.
    Declined,
    /// Ctrl-C.
    Interrupted,
}

impl ExitCode {
    /// The process exit status.
    pub fn status(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Error => 1,
            ExitCode::ChangesPending | ExitCode::CheckFailed | ExitCode::Declined => 2,
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
            (ExitCode::Declined, 2),
            (ExitCode::Interrupted, 130),
        ];
        for (code, status) in all {
            assert_eq!(code.status(), status, "{code:?}");
        }
    }
}
