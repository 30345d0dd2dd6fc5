//! The wizard's answers kept for the next run: the values the equivalent `setup` command names
//! (never a secret: a password, a token, a one-time code stay in their env vars or the prompt),
//! as config-file keys. [`answers`] and [`merge`] are pure; [`write`] puts the text in place.
//!
//! An existing file is merged, not replaced: a key it already holds with the same value is left
//! as it is, a key with another value gets the new value in place (the rest of its line, and
//! every other line, comment and key stay), a missing key is appended. A file that cannot be
//! merged that way is left alone and the caller says which keys to add.

use std::path::Path;

use super::Raw;

/// A config value, typed as [`super::ConfigFile`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Text(String),
    Int(u64),
    List(Vec<String>),
}

impl Value {
    /// The value as TOML text.
    pub(crate) fn toml(&self) -> String {
        match self {
            Value::Text(s) => quote(s),
            Value::Int(n) => n.to_string(),
            Value::List(v) => {
                format!(
                    "[{}]",
                    v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
                )
            }
        }
    }

    /// Whether the file's value means the same (`domain = 424242` is `"424242"`).
    fn same_as(&self, found: &toml::de::DeValue<'_>) -> bool {
        use toml::de::DeValue;
        match (self, found) {
            (Value::Text(s), DeValue::String(t)) => s == t.as_ref(),
            (Value::Text(s), DeValue::Integer(i)) => i.radix() == 10 && i.as_str() == s,
            (Value::Int(n), DeValue::Integer(i)) => {
                u64::from_str_radix(i.as_str(), i.radix()).ok() == Some(*n)
            }
            (Value::List(v), DeValue::Array(a)) => {
                a.len() == v.len()
                    && a.iter()
                        .zip(v)
                        .all(|(x, s)| x.get_ref().as_str() == Some(s.as_str()))
            }
            _ => false,
        }
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The config keys for what `raw` holds of the values [`Raw::setup_command`] names, in that
/// order; `domains` holds the domains after the first (an empty list: none). Only the fields
/// read here can reach the file: no secret is among them.
pub(crate) fn answers(raw: &Raw) -> Vec<(&'static str, Value)> {
    let text = |key: &'static str, v: &Option<String>| v.clone().map(|v| (key, Value::Text(v)));
    // Whole numbers in the file; the spec was built, so they parse.
    let int = |key: &'static str, v: &Option<String>| {
        v.as_deref()
            .and_then(|v| v.trim().parse().ok())
            .map(|n| (key, Value::Int(n)))
    };
    [
        text("agilix-account", &raw.agilix_account),
        text("external-id", &raw.external_id),
        text("role-arn", &raw.role_arn),
        text("domain", &raw.domains.first().cloned()),
        (!raw.domains.is_empty()).then(|| {
            (
                "domains",
                Value::List(raw.domains.iter().skip(1).cloned().collect()),
            )
        }),
        text("buzz-url", &raw.buzz_url),
        text("buzz-user", &raw.buzz_user),
        text("stream", &raw.stream),
        text("role", &raw.role),
        text("region", &raw.region),
        text("profile", &raw.profile),
        text("capacity-mode", &raw.capacity_mode),
        int("shards", &raw.shards),
        int("retention-hours", &raw.retention_hours),
        Some(("alarm-email", Value::List(raw.alarm_emails.clone()))),
        text("alarm-topic", &raw.alarm_topic),
        text("archive-bucket", &raw.archive_bucket),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The file's text with the answers in it, and which keys that adds and changes (both empty:
/// the file holds every answer already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    pub text: String,
    pub added: Vec<&'static str>,
    pub changed: Vec<&'static str>,
}

/// The first lines of a file this writes anew.
pub(crate) const HEADER: &str =
    "# buzz-kinesis settings: the answers `buzz-kinesis setup` was given, read by its next run\n\
# and by `check`. Keys are the long flags' names; flags and env vars win over them. Secrets\n\
# never go here: BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP.\n";

/// `existing` (the file's text, `None` when there is no file) with `answers` in it. An empty
/// list is written only over a key the file has. The domains compare as one list (`domain`,
/// then `domains`, as [`Raw`] reads them). `Err`: the file's text is not TOML this can merge
/// into, or the result would not read back (the reason, never a value).
pub(crate) fn merge(
    existing: Option<&str>,
    answers: &[(&'static str, Value)],
) -> Result<Merged, String> {
    let Some(text) = existing else {
        let mut out = HEADER.to_owned();
        let mut added = Vec::new();
        for (key, value) in answers {
            if value == &Value::List(Vec::new()) {
                continue;
            }
            out.push_str(&format!("{key} = {}\n", value.toml()));
            added.push(*key);
        }
        check_reads(&out)?;
        return Ok(Merged {
            text: out,
            added,
            changed: Vec::new(),
        });
    };
    let table = toml::de::DeTable::parse(text)
        .map_err(|e| e.message().trim_end().to_owned())?
        .into_inner();
    let found = |key: &str| table.get(key);
    // The domains as the file gives them, and as answered.
    let file_domains: Vec<String> = {
        let mut all: Vec<String> = Vec::new();
        let mut add = |v: &toml::de::DeValue<'_>| {
            let s = match v {
                toml::de::DeValue::String(s) => Some(s.to_string()),
                toml::de::DeValue::Integer(i) => Some(i.as_str().to_owned()),
                _ => None,
            };
            if let Some(s) = s.filter(|s| !all.contains(s)) {
                all.push(s);
            }
        };
        if let Some(v) = found("domain") {
            add(v.get_ref());
        }
        if let Some(a) = found("domains").and_then(|v| v.get_ref().as_array()) {
            for v in a.iter() {
                add(v.get_ref());
            }
        }
        all
    };
    let answered_domains: Option<Vec<String>> = answers.iter().find_map(|(k, v)| match v {
        Value::Text(d) if *k == "domain" => {
            let mut all = vec![d.clone()];
            if let Some((_, Value::List(more))) = answers.iter().find(|(k, _)| *k == "domains") {
                all.extend(more.iter().cloned());
            }
            Some(all)
        }
        _ => None,
    });
    let domains_same = answered_domains.as_ref() == Some(&file_domains);

    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut appended = String::new();
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    for (key, value) in answers {
        if domains_same && matches!(*key, "domain" | "domains") {
            continue;
        }
        match found(key) {
            Some(v) if value.same_as(v.get_ref()) => {}
            Some(v) => {
                edits.push((v.span(), value.toml()));
                changed.push(*key);
            }
            None if value == &Value::List(Vec::new()) => {}
            None => {
                appended.push_str(&format!("{key} = {}\n", value.toml()));
                added.push(*key);
            }
        }
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_owned();
    for (span, new) in edits {
        out.replace_range(span, &new);
    }
    if !appended.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&appended);
    }
    check_reads(&out)?;
    Ok(Merged {
        text: out,
        added,
        changed,
    })
}

/// The text reads as the config file.
fn check_reads(text: &str) -> Result<(), String> {
    toml::from_str::<super::ConfigFile>(text)
        .map(drop)
        .map_err(|e| e.message().trim_end().to_owned())
}

/// Put `text` at `path`: the parent directories made (0700 on unix), the file written in
/// place (a symlink is followed) and readable by its owner only (0600 on unix).
pub(crate) fn write(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // An existing file keeps its mode through `open`: narrow it before writing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::spec::Secret;

    fn answered() -> Raw {
        Raw {
            agilix_account: Some("210987654321".into()),
            external_id: Some("district-7".into()),
            domains: vec!["424242".into()],
            buzz_url: Some("https://api.agilixbuzz.com".into()),
            buzz_user: Some("district/admin".into()),
            region: Some("us-east-2".into()),
            retention_hours: Some("48".into()),
            alarm_emails: vec!["ops@example.edu".into()],
            password: Some(Secret::Given(SecretString::from("hunter2"))),
            otp: Some(Secret::Given(SecretString::from("123456"))),
            token: Some(SecretString::from("tok-secret")),
            ..Raw::default()
        }
    }

    fn read(text: &str) -> super::super::ConfigFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_new_file_holds_every_answer_and_no_secret() {
        let m = merge(None, &answers(&answered())).unwrap();
        assert!(m.text.starts_with(HEADER), "{}", m.text);
        assert_eq!(
            &m.text[HEADER.len()..],
            "agilix-account = \"210987654321\"\n\
             external-id = \"district-7\"\n\
             domain = \"424242\"\n\
             buzz-url = \"https://api.agilixbuzz.com\"\n\
             buzz-user = \"district/admin\"\n\
             region = \"us-east-2\"\n\
             retention-hours = 48\n\
             alarm-email = [\"ops@example.edu\"]\n"
        );
        for secret in ["hunter2", "123456", "tok-secret"] {
            assert!(!m.text.contains(secret), "{secret} in {}", m.text);
        }
        assert!(m.changed.is_empty());
        assert_eq!(m.added.len(), 8);
        // It reads back as the answers.
        let f = read(&m.text);
        assert_eq!(f.agilix_account.as_deref(), Some("210987654321"));
        assert_eq!(f.domain.as_deref(), Some("424242"));
        assert_eq!(f.retention_hours, Some(48));
        assert_eq!(f.alarm_email, ["ops@example.edu"]);
    }

    #[test]
    fn an_existing_file_keeps_its_comments_and_other_keys() {
        let before = "# ours\nrole = \"R\" # the district's role\nregion = \"us-east-1\"  # old\n\
                      domain = 424242\nretention-hours = 48\ntag = [\"team=data\"]\n";
        let m = merge(Some(before), &answers(&answered())).unwrap();
        assert_eq!(
            m.text,
            "# ours\nrole = \"R\" # the district's role\nregion = \"us-east-2\"  # old\n\
             domain = 424242\nretention-hours = 48\ntag = [\"team=data\"]\n\
             agilix-account = \"210987654321\"\n\
             external-id = \"district-7\"\n\
             buzz-url = \"https://api.agilixbuzz.com\"\n\
             buzz-user = \"district/admin\"\n\
             alarm-email = [\"ops@example.edu\"]\n"
        );
        assert_eq!(m.changed, ["region"]);
        assert_eq!(
            m.added,
            [
                "agilix-account",
                "external-id",
                "buzz-url",
                "buzz-user",
                "alarm-email"
            ]
        );
        // Merged again: nothing left to add or change.
        let again = merge(Some(&m.text), &answers(&answered())).unwrap();
        assert!(
            again.added.is_empty() && again.changed.is_empty(),
            "{again:?}"
        );
        assert_eq!(again.text, m.text);
    }

    #[test]
    fn domains_compare_as_one_list() {
        let mut raw = answered();
        raw.domains.push("500001".into());
        // The same list written another way: left as it is.
        let file = "domains = [424242, \"500001\"]\n";
        let m = merge(Some(file), &answers(&raw)).unwrap();
        assert!(!m.changed.contains(&"domain") && !m.added.contains(&"domain"));
        assert!(m.text.starts_with(file));
        // One domain given where the file lists two: the file then lists that one.
        let one = answered();
        let m = merge(Some(file), &answers(&one)).unwrap();
        assert!(m.text.starts_with("domains = []\n"), "{}", m.text);
        let f = read(&m.text);
        assert_eq!(f.domain.as_deref(), Some("424242"));
        assert!(f.domains.is_empty());
        // A new file with two.
        let m = merge(None, &answers(&raw)).unwrap();
        assert!(m
            .text
            .contains("domain = \"424242\"\ndomains = [\"500001\"]\n"));
    }

    #[test]
    fn text_that_cannot_be_merged_is_refused_without_its_values() {
        let e = merge(Some("region = \"us-east-1\nhunter2"), &answers(&answered())).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        // Quotes and controls are escaped, and read back as given.
        let raw = Raw {
            external_id: Some("a\"b\\c".into()),
            ..Raw::default()
        };
        let m = merge(None, &answers(&raw)).unwrap();
        assert_eq!(read(&m.text).external_id.as_deref(), Some("a\"b\\c"));
    }

    #[test]
    fn the_file_is_written_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("new")
            .join("buzz-kinesis")
            .join("config.toml");
        write(&path, "region = \"us-east-1\"\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "region = \"us-east-1\"\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            write(&path, "region = \"us-east-2\"\n").unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "region = \"us-east-2\"\n"
        );
    }
}
