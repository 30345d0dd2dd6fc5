//! What a run prints: renderers of plain data (no client) to any writer, for a person (aligned
//! lines, Terraform-style `+ ~ =` markers) or for a machine (one JSON document), so every
//! output is snapshot-tested (`snapshots/`). [`emit`] sends a rendering to stdout;
//! [`confirm_plan`] shows a plan on stderr and asks, for setup and teardown alike.

pub(crate) mod check;
pub(crate) mod export;
pub(crate) mod identity;
pub(crate) mod plan;
pub(crate) mod setup;
pub(crate) mod tail;
pub(crate) mod teardown;

use std::io::{self, Write};

use crate::cli::Output;
use crate::error::{Error, Result};
use crate::{text, ui};

/// The version of every JSON document the tool prints (docs/json-output.md). Raised only when
/// a field is removed or changes meaning; new fields may appear without it.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Where a run's AWS calls went, as the JSON's `aws` object shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct AwsView {
    pub account: String,
    /// Who made the calls (STS's ARN); teardown does not show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub region: String,
}

/// Render to stdout. A reader that went away (`| head`) is not an error. Outside text is
/// escaped for a person and exact in JSON ([`finish`]).
pub(crate) fn emit(
    output: Output,
    render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> Result<()> {
    let mut out = Vec::new();
    render(&mut out).map_err(|e| Error::io("rendering the output", e))?;
    ui::write_stdout(finish(output, &out).as_bytes())
}

/// A rendering as it leaves the process: for a person, every outside string escaped
/// ([`text::for_terminal`]); in JSON (and templates), the exact values ([`text::unmark`]).
pub(crate) fn finish(output: Output, rendered: &[u8]) -> String {
    let text = String::from_utf8_lossy(rendered);
    match output {
        Output::Human => text::for_terminal(&text),
        Output::Json => text::unmark(&text),
    }
}

/// Write one JSON document and a newline.
pub(crate) fn json_line(w: &mut impl Write, v: &serde_json::Value) -> io::Result<()> {
    writeln!(w, "{v}")
}

/// The one JSON document of an error, whether clap found it (a usage error) or a run did:
/// `{"schema_version", "error": {"kind", "code", "message", "hint"}}`, written to stdout.
/// Outside text in the message and hint is given exactly ([`text::unmark`]).
pub(crate) fn emit_error_json(
    kind: &str,
    code: Option<&str>,
    message: &str,
    hint: &str,
    missing: &[&str],
) {
    let v = serde_json::json!({"schema_version": SCHEMA_VERSION, "error": {
        "kind": kind, "code": code, "message": text::unmark(message),
        "hint": text::unmark(hint), "missing": missing,
    }});
    // Stdout gone (`| head`): the error still goes to stderr.
    let _ = ui::write_stdout(format!("{v}\n").as_bytes());
}

/// What a person confirms a plan with.
pub(crate) enum Ask<'a> {
    /// A yes/no question.
    YesNo(&'a str),
    /// Type `name` to go on (deleting a stream and its records): `prompt` asks for it.
    /// Only a stream's name is asked for this way, so the refusal names it as one.
    TypeName { prompt: String, name: &'a str },
}

/// Show the plan (its human rendering) on stderr, so stdout keeps only the result, then ask.
/// `Ok(false)`: a no. A name typed wrong is a refusal that says what was typed.
pub(crate) fn confirm_plan(
    render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ask: Ask<'_>,
) -> Result<bool> {
    let mut rendered = Vec::new();
    render(&mut rendered).map_err(|e| Error::io("rendering the plan", e))?;
    let shown = finish(Output::Human, &rendered);
    let mut err = io::stderr().lock();
    err.write_all(shown.as_bytes())
        .and_then(|()| err.flush())
        .map_err(|e| Error::io("writing to stderr", e))?;
    drop(err);
    match ask {
        Ask::YesNo(question) => ui::confirm(question),
        Ask::TypeName { prompt, name } => {
            let typed = ui::prompt_valid(&prompt, None, |s| Ok(s.to_owned()))?;
            if typed != name {
                return Err(Error::Refused(format!(
                    "'{}' is not the stream's name ({name}): nothing was changed",
                    text::outside(&typed)
                )));
            }
            Ok(true)
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Fixed plain data for the snapshot tests: no clock, no port, no live client.

    use crate::calls::CallSummary;

    use super::AwsView;

    pub(crate) fn aws() -> AwsView {
        AwsView {
            account: "123456789012".into(),
            principal: Some("arn:aws:iam::123456789012:user/admin".into()),
            region: "us-east-1".into(),
        }
    }

    pub(crate) fn calls(total: usize, mutating: usize) -> CallSummary {
        let mut c = CallSummary {
            total,
            mutating,
            ..CallSummary::default()
        };
        c.by_operation
            .insert("kinesis:DescribeStreamSummary".into(), total - mutating);
        if mutating > 0 {
            c.by_operation
                .insert("kinesis:CreateStream".into(), mutating);
        }
        c
    }

    /// A rendering as text, as [`super::emit`] gives it to a person.
    pub(crate) fn text(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        render(&mut out).expect("rendering to memory");
        String::from_utf8(out.clone()).expect("UTF-8 output");
        super::finish(crate::cli::Output::Human, &out)
    }

    /// A JSON rendering, pretty, so a snapshot's diff reads field by field.
    pub(crate) fn json(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        render(&mut out).expect("rendering to memory");
        let t = super::finish(crate::cli::Output::Json, &out);
        assert_eq!(t.lines().count(), 1, "one JSON document on one line: {t}");
        let v: serde_json::Value = serde_json::from_str(&t).expect("valid JSON");
        serde_json::to_string_pretty(&v).expect("JSON")
    }
}
