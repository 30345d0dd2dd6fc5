//! `policy`: the two IAM documents setup would apply, or a template of the whole setup.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{json_line, SCHEMA_VERSION};
use crate::cli::{Output, TemplateFormat};
use crate::iac::{self, Blueprint};
use crate::iam::POLICY_NAME;
use crate::plan::MAX_SESSION_SECONDS;

/// The documents, as `policy` shows them.
pub(crate) struct PolicyView<'a> {
    pub role: &'a str,
    pub trust: &'a Value,
    pub permission: &'a Value,
    pub stream_arn: &'a str,
    /// `None` when AWS could not tell (the ARN then holds `ACCOUNT_ID`).
    pub account: Option<&'a str>,
}

/// The trust policy and the permission policy.
pub(crate) fn render_policy(
    w: &mut impl Write,
    v: &PolicyView<'_>,
    output: Output,
) -> io::Result<()> {
    if output == Output::Json {
        return json_line(
            w,
            &json!({
                "schema_version": SCHEMA_VERSION,
                "role": v.role,
                "max_session_duration": MAX_SESSION_SECONDS,
                "trust_policy": v.trust,
                "policy_name": POLICY_NAME,
                "permission_policy": v.permission,
                "stream_arn": v.stream_arn,
                "account": v.account,
            }),
        );
    }
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    writeln!(
        w,
        "Trust policy of role {} (with MaxSessionDuration {MAX_SESSION_SECONDS} s: Buzz asks for 12-hour sessions):",
        v.role
    )?;
    writeln!(w, "{}\n", pretty(v.trust))?;
    writeln!(
        w,
        "Permission policy {POLICY_NAME} (inline, on role {}):",
        v.role
    )?;
    writeln!(w, "{}", pretty(v.permission))
}

/// A CloudFormation (JSON) or Terraform template of the whole setup.
pub(crate) fn render_template(
    w: &mut impl Write,
    format: TemplateFormat,
    blueprint: &Blueprint,
) -> io::Result<()> {
    match format {
        TemplateFormat::Cloudformation => writeln!(
            w,
            "{}",
            serde_json::to_string_pretty(&iac::cloudformation(blueprint)).unwrap_or_default()
        ),
        TemplateFormat::Terraform => write!(w, "{}", iac::terraform(blueprint)),
        TemplateFormat::Archive => match &blueprint.archive {
            Some(a) => json_line(
                w,
                &json!({"schema_version": SCHEMA_VERSION, "archive": a.describe()}),
            ),
            None => Err(io::Error::other("--format archive needs --archive-bucket")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::{trust_policy, write_policy};
    use crate::names::AccountId;
    use crate::report::fixtures::{json, text};
    use insta::assert_snapshot;

    #[test]
    fn policy_documents() {
        let stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events";
        let trust = trust_policy(
            &AccountId::parse("--agilix-account", "111122223333").unwrap(),
            None,
        );
        let permission = write_policy(stream_arn, None);
        let v = PolicyView {
            role: "BuzzKinesisWriter",
            trust: &trust,
            permission: &permission,
            stream_arn,
            account: Some("123456789012"),
        };
        assert_snapshot!(
            "policy_human",
            text(|w| render_policy(w, &v, Output::Human))
        );
        assert_snapshot!("policy_json", json(|w| render_policy(w, &v, Output::Json)));
    }
}
