//! One way to take an AWS call's answer (`self.answered(op, req.send().await)`): note the call
//! in the call log once whatever AWS answers, turn a failure into [`Error::Aws`] (code,
//! message, hint), and read the answers callers branch on ("not found", "already exists") by
//! their codes ([`Expected`]). An adapter keeps only what is particular to its operation: the
//! request, the answer's fields, a hint for a code.
//!
//! What the log notes (it feeds the report's `api_calls`, the "0 mutating calls on a converged
//! re-run" tests and the bench): a call AWS answered, once; as a change only when it succeeded
//! and the operation changes something. A refusal ("no such stream", "already exists",
//! "access denied") changed nothing; a call that got no answer (no connection, a timeout) is
//! not noted: nothing reached AWS that it acted on.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{aws_error, Aws, Created};
use crate::calls::CallLog;
use crate::error::{Error, Result};

/// One AWS operation as the call log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Op {
    pub service: &'static str,
    pub operation: &'static str,
    /// Whether a success changes something in the account.
    pub mutating: bool,
}

/// An operation that only reads.
pub(crate) const fn read(service: &'static str, operation: &'static str) -> Op {
    Op {
        service,
        operation,
        mutating: false,
    }
}

/// An operation that changes something when it succeeds.
pub(crate) const fn write(service: &'static str, operation: &'static str) -> Op {
    Op {
        service,
        operation,
        mutating: true,
    }
}

/// How a call ended, as the log sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Succeeded,
    /// AWS answered with an error (its code and message): nothing changed.
    Refused,
    /// No answer: no connection, a timeout, a request the SDK could not send.
    Unanswered,
}

fn ended<T, E>(out: &std::result::Result<T, SdkError<E, HttpResponse>>) -> Ended {
    match out {
        Ok(_) => Ended::Succeeded,
        Err(e) if e.raw_response().is_some() => Ended::Refused,
        Err(_) => Ended::Unanswered,
    }
}

/// How the log notes a call that ended so: `Some(mutating)`, or `None` when it is not noted.
fn noted(op: Op, how: Ended) -> Option<bool> {
    match how {
        Ended::Succeeded => Some(op.mutating),
        Ended::Refused => Some(false),
        Ended::Unanswered => None,
    }
}

impl Aws {
    /// One call's answer (`req.send().await`), noted in the call log, with a failure mapped to
    /// [`Error::Aws`] (or a timeout's error). It takes the answer, not the request's future:
    /// an SDK request's future is large, and an `async fn` that holds it as an argument holds
    /// it twice (the stack of a debug build overflows).
    pub(crate) fn answered<T, E>(
        &self,
        op: Op,
        out: std::result::Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        answered(&self.calls, op, out)
    }

    /// [`Aws::answered`] with the SDK's own error: for the caller that reads more than a code
    /// (S3's HeadBucket answers with a status and a header, no body).
    #[allow(clippy::result_large_err)] // the SDK's own result, handed back as the SDK gave it
    pub(crate) fn answered_raw<T, E>(
        &self,
        op: Op,
        out: std::result::Result<T, SdkError<E, HttpResponse>>,
    ) -> std::result::Result<T, SdkError<E, HttpResponse>> {
        answered_raw(&self.calls, op, out)
    }
}

#[allow(clippy::result_large_err)] // the SDK's own result, handed back as the SDK gave it
fn answered_raw<T, E>(
    log: &CallLog,
    op: Op,
    out: std::result::Result<T, SdkError<E, HttpResponse>>,
) -> std::result::Result<T, SdkError<E, HttpResponse>> {
    if let Some(mutating) = noted(op, ended(&out)) {
        log.record(op.service, op.operation, mutating);
    }
    out
}

fn answered<T, E>(
    log: &CallLog,
    op: Op,
    out: std::result::Result<T, SdkError<E, HttpResponse>>,
) -> Result<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    answered_raw(log, op, out).map_err(|e| aws_error(op.service, op.operation, e))
}

/// The answers a caller expects and branches on, read from a mapped call's error code.
pub(crate) trait Expected<T> {
    /// `Ok(None)` when AWS answered one of `codes`: there is no such thing (a read), or it is
    /// gone already (a delete, which a re-run or a race may meet).
    fn or_missing(self, codes: &[&str]) -> Result<Option<T>>;
    /// [`Created::AlreadyExisted`] when AWS answered one of `codes` (a race, or the SDK's retry
    /// of a create that had succeeded): the caller reads it again and plans anew.
    fn or_existing(self, codes: &[&str]) -> Result<Created>;
    /// The error with `hint` when AWS answered `code`: what that refusal means for this tool.
    fn hint_on(self, code: &str, hint: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Expected<T> for Result<T> {
    fn or_missing(self, codes: &[&str]) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if answered_one_of(&e, codes) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn or_existing(self, codes: &[&str]) -> Result<Created> {
        match self {
            Ok(_) => Ok(Created::Made),
            Err(e) if answered_one_of(&e, codes) => Ok(Created::AlreadyExisted),
            Err(e) => Err(e),
        }
    }

    fn hint_on(self, code: &str, hint: impl FnOnce() -> String) -> Result<T> {
        match self {
            Err(e) if answered_one_of(&e, &[code]) => Err(e.with_hint(hint())),
            other => other,
        }
    }
}

/// Whether `e` is AWS's answer with one of `codes` (a Buzz error with the same code is not).
fn answered_one_of(e: &Error, codes: &[&str]) -> bool {
    matches!(e, Error::Aws { code, .. } if codes.contains(&code.as_str()))
}

/// A request builder's refusal (a required field missing): our bug, said as such.
pub(crate) fn built<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| Error::Internal(format!("an AWS request could not be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    const GET: Op = read("kinesis", "DescribeStreamSummary");
    const PUT: Op = write("kinesis", "CreateStream");

    fn aws(code: &str) -> Error {
        Error::Aws {
            service: "kinesis",
            operation: "CreateStream",
            code: code.into(),
            message: "m".into(),
            hint: None,
        }
    }

    fn refused(code: &str) -> SdkError<ErrorMetadata, HttpResponse> {
        SdkError::service_error(
            ErrorMetadata::builder().code(code).message("no").build(),
            HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
        )
    }

    fn unanswered() -> SdkError<ErrorMetadata, HttpResponse> {
        SdkError::timeout_error("operation timeout occurred after 3s")
    }

    fn run<T>(
        op: Op,
        out: std::result::Result<T, SdkError<ErrorMetadata, HttpResponse>>,
    ) -> (Result<T>, crate::calls::CallSummary) {
        let log = CallLog::default();
        let res = answered(&log, op, out);
        (res, log.summary())
    }

    #[test]
    fn a_call_is_noted_once_as_a_change_only_when_a_mutating_one_succeeds() {
        assert_eq!(noted(PUT, Ended::Succeeded), Some(true));
        assert_eq!(noted(GET, Ended::Succeeded), Some(false));
        assert_eq!(noted(PUT, Ended::Refused), Some(false));
        assert_eq!(noted(GET, Ended::Refused), Some(false));
        assert_eq!(noted(PUT, Ended::Unanswered), None);
        assert_eq!(ended::<(), ErrorMetadata>(&Ok(())), Ended::Succeeded);
        assert_eq!(ended::<(), _>(&Err(refused("X"))), Ended::Refused);
        assert_eq!(ended::<(), _>(&Err(unanswered())), Ended::Unanswered);

        let (res, s) = run(PUT, Ok(()));
        assert!(res.is_ok());
        assert_eq!((s.total, s.mutating), (1, 1));
        assert_eq!(s.by_operation["kinesis:CreateStream"], 1);

        let (res, s) = run::<()>(PUT, Err(refused("ResourceInUseException")));
        assert_eq!(
            res.unwrap_err().code(),
            Some("ResourceInUseException"),
            "the code is kept"
        );
        assert_eq!((s.total, s.mutating), (1, 0), "answered: noted, no change");

        let (res, s) = run::<()>(GET, Err(unanswered()));
        assert!(matches!(res, Err(Error::Timeout { .. })), "{res:?}");
        assert_eq!(s.total, 0, "never answered: not noted");
    }

    #[test]
    fn a_raw_caller_sees_the_sdk_error_after_the_call_is_noted() {
        let log = CallLog::default();
        let out: std::result::Result<(), _> =
            answered_raw(&log, read("s3", "HeadBucket"), Err(refused("NotFound")));
        let status = out.unwrap_err().raw_response().map(|r| r.status().as_u16());
        assert_eq!(status, Some(400));
        assert_eq!(log.summary().by_operation["s3:HeadBucket"], 1);
    }

    #[test]
    fn expected_answers_are_read_by_their_codes() {
        let missing = ["ResourceNotFoundException", "NoSuchEntity"];
        assert_eq!(Ok(3).or_missing(&missing).unwrap(), Some(3));
        assert_eq!(
            Err::<u8, _>(aws("NoSuchEntity"))
                .or_missing(&missing)
                .unwrap(),
            None
        );
        let other = Err::<u8, _>(aws("AccessDenied")).or_missing(&missing);
        assert_eq!(other.unwrap_err().code(), Some("AccessDenied"));
        let buzz = Error::Buzz {
            cmd: "x".into(),
            code: "NoSuchEntity".into(),
            message: "m".into(),
            error_id: None,
            hint: None,
        };
        assert!(
            Err::<u8, _>(buzz).or_missing(&missing).is_err(),
            "AWS's codes only"
        );

        let exists = ["EntityAlreadyExists"];
        assert_eq!(Ok(()).or_existing(&exists).unwrap(), Created::Made);
        assert_eq!(
            Err::<(), _>(aws("EntityAlreadyExists"))
                .or_existing(&exists)
                .unwrap(),
            Created::AlreadyExisted
        );
        let other = Err::<(), _>(aws("LimitExceededException")).or_existing(&exists);
        assert_eq!(other.unwrap_err().code(), Some("LimitExceededException"));
    }

    #[test]
    fn a_hint_goes_on_its_code_alone() {
        let hinted = Err::<(), _>(aws("LimitExceededException"))
            .hint_on("LimitExceededException", || "wait".into());
        assert_eq!(hinted.unwrap_err().hint().as_deref(), Some("wait"));
        let other = Err::<(), _>(aws("AccessDenied")).hint_on("LimitExceededException", || {
            unreachable!("only for its code")
        });
        // Another code keeps the hint it had (here, the generic one).
        assert_ne!(other.unwrap_err().hint().as_deref(), Some("wait"));
        assert_eq!(Ok(1).hint_on("X", || unreachable!()).unwrap(), 1);
    }

    #[test]
    fn a_builder_refusal_is_our_bug() {
        let e = built::<(), _>(Err("`key` was missing")).unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
        assert!(e.to_string().contains("`key` was missing"), "{e}");
        assert_eq!(built::<u8, String>(Ok(1)).unwrap(), 1);
    }
}
