//! What `buzz-identity` prints: the key it wrote (never the key), the two requests that create
//! the identity in Buzz, the one right it needs, and the flags that sign in as it.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::SCHEMA_VERSION;

/// One HTTP request for a person to send (or that was sent).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub content_type: &'static str,
    /// JSON for createusers2, the PEM for the key registration.
    pub body: String,
}

/// Everything `buzz-identity` knows at the end.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct IdentityView {
    pub key_file: String,
    /// False when an existing key file was reused.
    pub key_created: bool,
    pub key_id: String,
    pub domain: String,
    pub create_request: HttpRequest,
    pub register_request: HttpRequest,
    /// The rights to grant, and nothing more.
    pub rights: Vec<String>,
    /// Set once Buzz made the identity (`--send`).
    pub client_id: Option<String>,
    /// `--send`: signed in as the identity, and whether it could read the domain.
    pub signed_in: bool,
    pub can_read_domain: Option<bool>,
    /// The flags that sign in as it (for setup, check, teardown).
    pub flags: String,
}

pub(crate) fn render_human(v: &IdentityView, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "private key: {} ({}; readable by you only: keep it as you would a password)",
        v.key_file,
        if v.key_created {
            "written now"
        } else {
            "reused"
        }
    )?;
    writeln!(w, "key id:      {}", v.key_id)?;
    match &v.client_id {
        Some(id) => {
            writeln!(
                w,
                "\nBuzz made the application identity {id} in domain {} and registered its key.",
                v.domain
            )?;
            if v.signed_in {
                writeln!(w, "signed in as it: the key works.")?;
            }
        }
        None => {
            writeln!(
                w,
                "\n1. Create the identity, as an administrator of domain {}:\n",
                v.domain
            )?;
            writeln!(
                w,
                "   {} {}\n   Content-Type: {}\n",
                v.create_request.method, v.create_request.url, v.create_request.content_type
            )?;
            writeln!(w, "   {}\n", v.create_request.body)?;
            writeln!(w, "   Its userid in the answer (responses.response[0].user.userid) is the client id.\n")?;
            writeln!(w, "2. Register its public key:\n")?;
            writeln!(
                w,
                "   {} {}\n   Content-Type: {}\n",
                v.register_request.method, v.register_request.url, v.register_request.content_type
            )?;
            for line in v.register_request.body.lines() {
                writeln!(w, "   {line}")?;
            }
            writeln!(w)?;
        }
    }
    let step = if v.client_id.is_some() { "" } else { "3. " };
    match v.can_read_domain {
        Some(true) => writeln!(w, "it holds {} already: ready.", v.rights.join(", "))?,
        Some(false) => writeln!(
            w,
            "\nGrant it, in Buzz, {} and nothing more: it cannot read the domain yet.",
            v.rights.join(", ")
        )?,
        None => writeln!(
            w,
            "{step}Grant it {} and nothing more.",
            v.rights.join(", ")
        )?,
    }
    writeln!(
        w,
        "\nThen setup, check and teardown sign in as it, with no password, given:\n  {}",
        v.flags
    )
}

pub(crate) fn render_json(v: &IdentityView, w: &mut impl Write) -> io::Result<()> {
    let mut doc = json!({"schema_version": SCHEMA_VERSION});
    if let (Value::Object(doc), Ok(Value::Object(view))) = (&mut doc, serde_json::to_value(v)) {
        doc.extend(view);
    }
    super::json_line(w, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sent: bool) -> IdentityView {
        IdentityView {
            key_file: "buzz-kinesis-identity.pem".into(),
            key_created: true,
            key_id: "bk-0123456789abcdef".into(),
            domain: "424242".into(),
            create_request: HttpRequest {
                method: "POST",
                url: "https://interactiveapi.agilixbuzz.com/cmd/createusers2".into(),
                content_type: "application/json",
                body: "{\"requests\":{}}".into(),
            },
            register_request: HttpRequest {
                method: "PUT",
                url: "https://interactiveapi.agilixbuzz.com/api/users/USERID/keys/bk-0123456789abcdef".into(),
                content_type: "application/x-pem-file",
                body: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
            },
            rights: vec!["ControlDomain on domain 424242".into()],
            client_id: sent.then(|| "200001".into()),
            signed_in: sent,
            can_read_domain: sent.then_some(false),
            flags: "--buzz-client-id USERID".into(),
        }
    }

    #[test]
    fn the_printed_form_has_both_requests_and_the_one_right() {
        let mut out = Vec::new();
        render_human(&view(false), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("POST https://interactiveapi.agilixbuzz.com/cmd/createusers2"));
        assert!(text.contains("PUT https://interactiveapi.agilixbuzz.com/api/users/USERID/keys/"));
        assert!(text.contains("   -----BEGIN PUBLIC KEY-----"));
        assert!(text.contains("3. Grant it ControlDomain on domain 424242 and nothing more."));
        assert!(!text.contains("PRIVATE"));
    }

    #[test]
    fn the_sent_form_and_the_json_say_what_happened() {
        let mut out = Vec::new();
        render_human(&view(true), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("made the application identity 200001"),
            "{text}"
        );
        assert!(text.contains("cannot read the domain yet"), "{text}");
        let mut out = Vec::new();
        render_json(&view(true), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["client_id"], "200001");
        assert_eq!(v["can_read_domain"], false);
        assert_eq!(v["rights"][0], "ControlDomain on domain 424242");
    }
}
