//! What a non-OK answer from Buzz means, decided without guessing Buzz's codes.
//!
//! Buzz's code for a failed target test is not documented: it may be `BadRequest`,
//! `Exception`, `AccessDenied` carrying AWS's own text, or something never seen. So the tool
//! does not list the codes of a failed test; it lists what is *not* one. A non-OK answer to a
//! `setdatastreamconfiguration` sent right after a `getdatastreamconfiguration` with the same
//! login and domain succeeded is a failed test of the targets, unless its code is about the
//! login or session, or a rate limit. Control flow depends on the code only: Agilix says
//! message texts change. The message may only choose the hint a person reads.

use serde_json::{Map, Value};

use super::wire::{self, Destination};

/// What a non-OK answer to a set means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFailure {
    /// The login or the session: retrying the test cannot help.
    Login,
    /// Buzz is shedding load (after the transport's own backoff ran out).
    RateLimit,
    /// Buzz tested the targets and one failed: the role could not be assumed (IAM may still be
    /// propagating it), the stream not written, or a target is wrong.
    TargetTest,
}

/// Classify a non-OK set answer by its code alone.
pub fn classify_set_failure(code: &str) -> SetFailure {
    if wire::LOGIN_CODES.contains(&code) {
        SetFailure::Login
    } else if code == wire::CODE_RATE_LIMIT || code == wire::CODE_OVERWHELMED {
        SetFailure::RateLimit
    } else {
        SetFailure::TargetTest
    }
}

/// What the text of a failed test points at (it only chooses the hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// Agilix's account could not assume the role: trust, account, external id.
    AssumeRole,
    /// The role's session limit is below Buzz's 12 hours.
    SessionLength,
    /// The role may not write to the stream.
    Write,
    /// The stream is missing (or in another region).
    MissingStream,
    /// Nothing recognisable.
    Unknown,
}

/// Read the message for what it names. AWS's texts are stable enough to steer a hint, never
/// control flow.
pub fn blame(message: &str) -> Blame {
    let m = message.to_ascii_lowercase();
    if m.contains("durationseconds") || m.contains("maxsessionduration") {
        Blame::SessionLength
    } else if m.contains("assumerole") {
        Blame::AssumeRole
    } else if m.contains("putrecord") || m.contains("kms:") {
        Blame::Write
    } else if m.contains("resourcenotfound")
        || (m.contains("stream") && (m.contains("not found") || m.contains("does not exist")))
    {
        Blame::MissingStream
    } else {
        Blame::Unknown
    }
}

/// Another target of the domain that the message names (by role ARN, title or stream), when
/// it does not name ours: then the failure is not ours to fix.
pub fn other_target_named(
    message: &str,
    config: &Map<String, Value>,
    ours: &Destination,
    our_role_arn: &str,
) -> Option<String> {
    if message.contains(our_role_arn) {
        return None;
    }
    wire::as_list(config.get(wire::KINESIS))
        .iter()
        .filter(|t| Destination::of_saved(t).as_ref() != Some(ours))
        .find(|t| {
            let role = wire::as_text(t.get(wire::ROLE_ARN));
            let title = wire::as_text(t.get(wire::TITLE));
            let stream = wire::as_text(t.get(wire::STREAM));
            (!role.is_empty() && message.contains(&role))
                || (!title.is_empty() && message.contains(&format!("'{title}'")))
                || (!stream.is_empty()
                    && stream != ours.stream
                    && message.contains(&format!("/{stream}")))
        })
        .map(wire::describe_saved)
}

/// The hint for a failed target test: what to look at, chosen from what the message names.
pub fn test_failure_hint(
    code: &str,
    message: &str,
    config: &Map<String, Value>,
    ours: &Destination,
    our_role_arn: &str,
    external_id: bool,
) -> String {
    if let Some(other) = other_target_named(message, config, ours, our_role_arn) {
        return format!(
            "Buzz's test failed on another target of the domain, not this one: {other}. Buzz tests every target before it saves, so fix or remove that target (in Buzz's API console), then run setup again"
        );
    }
    let ext = if external_id { ", the external id" } else { "" };
    let mut hint = match blame(message) {
        Blame::AssumeRole => format!(
            "Agilix's account could not assume the role: check the role's trust (Agilix's account number{ext}) and that the role exists; `buzz-kinesis check` shows what is wrong"
        ),
        Blame::SessionLength => "the role's maximum session is below the 12 hours Buzz asks for: set MaxSessionDuration to 43200 (setup does)".to_owned(),
        Blame::Write => "the role may not write to the stream: check its policy (kinesis:PutRecord and PutRecords on the stream's ARN, and kms:GenerateDataKey for a customer-managed key); `buzz-kinesis check` shows what is wrong".to_owned(),
        Blame::MissingStream => "Buzz could not find the stream: check --stream and --region (the target names the stream by name, in its region)".to_owned(),
        Blame::Unknown => format!(
            "check the role's trust (Agilix's account number{ext}), its 12-hour maximum session, its policy on the stream, and the stream name and region; `buzz-kinesis check` shows what is wrong"
        ),
    };
    if code == wire::CODE_ACCESS_DENIED && blame(message) == Blame::Unknown {
        hint.push_str(
            "; if Buzz means your login instead, it lacks the ControlDomain right needed to save the domain's configuration",
        );
    }
    hint
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    fn ours() -> Destination {
        Destination {
            region: "us-east-1".into(),
            stream: "buzz-events".into(),
            account: "123456789012".into(),
        }
    }

    #[test]
    fn codes_decide_and_unknown_codes_are_failed_tests() {
        let table = [
            ("BadRequest", SetFailure::TargetTest),
            ("Exception", SetFailure::TargetTest),
            ("AccessDenied", SetFailure::TargetTest),
            ("Argument", SetFailure::TargetTest),
            ("KinesisTargetValidationFailed", SetFailure::TargetTest),
            ("", SetFailure::TargetTest),
            ("NoAuthentication", SetFailure::Login),
            ("InvalidCredentials", SetFailure::Login),
            ("SecondFactorRequired", SetFailure::Login),
            ("PasswordExpired", SetFailure::Login),
            ("RateLimit", SetFailure::RateLimit),
            ("ServerOverwhelmed", SetFailure::RateLimit),
        ];
        for (code, want) in table {
            assert_eq!(classify_set_failure(code), want, "{code}");
        }
    }

    #[test]
    fn the_message_only_chooses_the_hint() {
        let table = [
            ("User: arn:aws:iam::210987654321:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/BuzzKinesisWriter", Blame::AssumeRole),
            ("Kinesis target 'x': AccessDenied: User: a is not authorized to perform: sts:AssumeRole on resource: r", Blame::AssumeRole),
            ("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", Blame::SessionLength),
            ("User: arn:aws:sts::1:assumed-role/R/s is not authorized to perform: kinesis:PutRecord on resource: arn", Blame::Write),
            ("ResourceNotFoundException: Stream buzz-events under account 1 not found.", Blame::MissingStream),
            ("Something went wrong", Blame::Unknown),
        ];
        for (message, want) in table {
            assert_eq!(blame(message), want, "{message}");
        }
        let cfg = Map::new();
        let hint = test_failure_hint("AccessDenied", table[0].0, &cfg, &ours(), ROLE, true);
        assert!(
            hint.contains("trust") && hint.contains("external id"),
            "{hint}"
        );
        let hint = test_failure_hint("AccessDenied", "Access denied", &cfg, &ours(), ROLE, false);
        assert!(hint.contains("ControlDomain"), "{hint}");
        let hint = test_failure_hint("Exception", table[3].0, &cfg, &ours(), ROLE, false);
        assert!(hint.contains("policy"), "{hint}");
    }

    #[test]
    fn a_failure_naming_another_target_says_so() {
        let cfg = json!({"kinesis": [
            {"title": "Analytics", "targetKinesisStream": "analytics", "roleArn": "arn:aws:iam::555555555555:role/Old", "targetRegion": "us-west-2"},
            {"title": "Kinesis: buzz-events", "targetKinesisStream": "buzz-events", "roleArn": ROLE, "targetRegion": "us-east-1"}
        ]});
        let cfg = cfg.as_object().unwrap();
        let msg = "User: arn:aws:iam::210987654321:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::555555555555:role/Old";
        let hint = test_failure_hint("AccessDenied", msg, cfg, &ours(), ROLE, false);
        assert!(
            hint.contains("another target") && hint.contains("Analytics"),
            "{hint}"
        );
        let by_title = "Kinesis target 'Analytics': BadRequest: stream not found";
        assert!(other_target_named(by_title, cfg, &ours(), ROLE).is_some());
        let ours_named = format!("... sts:AssumeRole on resource: {ROLE}");
        assert!(other_target_named(&ours_named, cfg, &ours(), ROLE).is_none());
    }

    // ---- blame: what a failed test's text names, each word on its own.

    #[test]
    fn each_phrase_alone_points_at_its_cause() {
        let table = [
            (
                "The requested DurationSeconds exceeds the limit",
                Blame::SessionLength,
            ),
            ("above the role's MAXSESSIONDURATION", Blame::SessionLength),
            // The session limit is named even when the AssumeRole it refused is too.
            (
                "AssumeRole failed: DurationSeconds exceeds the MaxSessionDuration",
                Blame::SessionLength,
            ),
            (
                "not authorized to perform: STS:ASSUMEROLE",
                Blame::AssumeRole,
            ),
            (
                "not authorized to perform: kinesis:PutRecords on resource: arn",
                Blame::Write,
            ),
            (
                "not authorized to perform: KMS:GenerateDataKey",
                Blame::Write,
            ),
            ("ResourceNotFoundException", Blame::MissingStream),
            ("Stream buzz-events not found", Blame::MissingStream),
            ("stream buzz-events does not exist", Blame::MissingStream),
            // "not found" about something else, or a stream merely mentioned, is no verdict.
            ("Domain 42 not found", Blame::Unknown),
            ("the account does not exist", Blame::Unknown),
            ("writing to stream buzz-events failed", Blame::Unknown),
            ("kms key", Blame::Unknown),
            ("", Blame::Unknown),
        ];
        for (message, want) in table {
            assert_eq!(blame(message), want, "{message}");
        }
    }

    // ---- test_failure_hint: the text a person reads after Buzz refused the test.

    #[test]
    fn each_cause_gets_its_own_hint() {
        let cfg = Map::new();
        let hint = |code: &str, msg: &str, ext: bool| {
            test_failure_hint(code, msg, &cfg, &ours(), ROLE, ext)
        };
        let table = [
            ("sts:AssumeRole", "could not assume the role"),
            ("DurationSeconds", "MaxSessionDuration to 43200"),
            ("kinesis:PutRecord", "may not write to the stream"),
            ("ResourceNotFoundException", "could not find the stream"),
            ("Something went wrong", "its 12-hour maximum session"),
        ];
        for (message, says) in table {
            let h = hint("BadRequest", message, false);
            assert!(h.contains(says), "{message}: {h}");
            assert!(!h.contains("another target"), "{message}: {h}");
        }
    }

    #[test]
    fn the_external_id_is_mentioned_only_when_there_is_one() {
        let cfg = Map::new();
        for message in ["sts:AssumeRole", "Something went wrong"] {
            let with = test_failure_hint("BadRequest", message, &cfg, &ours(), ROLE, true);
            let without = test_failure_hint("BadRequest", message, &cfg, &ours(), ROLE, false);
            assert!(
                with.contains("Agilix's account number, the external id)"),
                "{with}"
            );
            assert!(without.contains("Agilix's account number)"), "{without}");
        }
    }

    #[test]
    fn only_an_unexplained_access_denied_may_be_about_the_login() {
        let cfg = Map::new();
        let mentions_login = |code: &str, msg: &str| {
            test_failure_hint(code, msg, &cfg, &ours(), ROLE, false).contains("ControlDomain")
        };
        assert!(mentions_login("AccessDenied", "Access denied"));
        // Another code, or an AccessDenied whose text names the role's own trouble, is not.
        assert!(!mentions_login("BadRequest", "Access denied"));
        assert!(!mentions_login(
            "AccessDenied",
            "not authorized to perform: sts:AssumeRole"
        ));
        assert!(!mentions_login(
            "AccessDenied",
            "not authorized to perform: kinesis:PutRecord"
        ));
    }

    // ---- other_target_named: "this is another target's failure, not yours".

    const OLD_ROLE: &str = "arn:aws:iam::555555555555:role/Old";

    /// A domain with another team's target and ours (saved under an older role of our account).
    fn domain() -> Map<String, Value> {
        let cfg = json!({"kinesis": [
            {"title": "Analytics", "targetKinesisStream": "analytics", "roleArn": OLD_ROLE, "targetRegion": "us-west-2"},
            {"title": "Kinesis: buzz-events", "targetKinesisStream": "buzz-events",
             "roleArn": "arn:aws:iam::123456789012:role/EarlierWriter", "targetRegion": "us-east-1"}
        ]});
        cfg.as_object().cloned().unwrap_or_default()
    }

    /// The other target named, as a person reads it (without the outside-text marks).
    fn named(message: &str, cfg: &Map<String, Value>) -> Option<String> {
        other_target_named(message, cfg, &ours(), ROLE).map(|s| crate::text::unmark(&s))
    }

    #[test]
    fn another_target_is_recognised_by_its_role_its_quoted_title_or_its_stream() {
        let cfg = domain();
        let analytics = Some(
            "\"Analytics\" to analytics with role arn:aws:iam::555555555555:role/Old".to_owned(),
        );
        assert_eq!(named(&format!("cannot assume {OLD_ROLE}"), &cfg), analytics);
        assert_eq!(
            named("Kinesis target 'Analytics': BadRequest", &cfg),
            analytics
        );
        assert_eq!(
            named(
                "Stream arn:aws:kinesis:us-west-2:555555555555:stream/analytics not found",
                &cfg
            ),
            analytics
        );
        // A title is only a title in quotes: the word alone is not a name.
        assert_eq!(named("Analytics failed", &cfg), None);
        assert_eq!(named("nothing named here", &cfg), None);
    }

    #[test]
    fn our_own_target_is_never_another() {
        let cfg = domain();
        // The message names our role: ours, even when it names another target too.
        assert_eq!(named(&format!("{ROLE} and {OLD_ROLE}"), &cfg), None);
        // Our saved target (same destination, an earlier role of our account) is still ours.
        assert_eq!(
            named("Kinesis target 'Kinesis: buzz-events': AccessDenied", &cfg),
            None
        );
        assert_eq!(
            named(
                "cannot assume arn:aws:iam::123456789012:role/EarlierWriter",
                &cfg
            ),
            None
        );
    }

    #[test]
    fn a_stream_named_like_ours_is_ours() {
        // Another account's target writing to a stream of our name: a message naming
        // '/buzz-events' cannot tell them apart, so it is not blamed on the other.
        let cfg = json!({"kinesis": [
            {"title": "Twin", "targetKinesisStream": "buzz-events", "roleArn": OLD_ROLE, "targetRegion": "us-east-1"}
        ]});
        let cfg = cfg.as_object().cloned().unwrap_or_default();
        assert_eq!(named("stream/buzz-events not found", &cfg), None);
        assert!(named("target 'Twin' failed", &cfg).is_some());
    }

    #[test]
    fn a_target_without_a_name_is_never_blamed() {
        // Empty role, title and stream must not match every message.
        let cfg = json!({"kinesis": [{"targetRegion": "us-west-2"}, {"title": "", "roleArn": "", "targetKinesisStream": ""}]});
        let cfg = cfg.as_object().cloned().unwrap_or_default();
        assert_eq!(
            named("Kinesis target '': failed with role / stream /", &cfg),
            None
        );
        let hint = test_failure_hint("BadRequest", "failed", &cfg, &ours(), ROLE, false);
        assert!(!hint.contains("another target"), "{hint}");
    }
}
