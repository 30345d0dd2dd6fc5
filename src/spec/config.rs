//! The config file (`--config`, `BUZZ_KINESIS_CONFIG`, or `$XDG_CONFIG_HOME/buzz-kinesis/config.toml`):
//! read once per run, typed, every key a long flag's name. Secrets never go here.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The config file: every key is a long flag's name, typed as the flag's value. A key that is
/// not a setting (a password, a typo) or a value of the wrong type is an error naming the key
/// and the file. Secrets never go here.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigFile {
    pub(super) stream: Option<String>,
    pub(super) role: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    pub(super) agilix_account: Option<String>,
    pub(super) external_id: Option<String>,
    pub(super) buzz_url: Option<String>,
    pub(super) buzz_user: Option<String>,
    /// The application identity: its id and the key file's path (never the key itself).
    #[serde(default, deserialize_with = "string_or_number")]
    pub(super) buzz_client_id: Option<String>,
    pub(super) buzz_key_file: Option<String>,
    pub(super) buzz_key_id: Option<String>,
    pub(super) buzz_token_audience: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    pub(super) domain: Option<String>,
    /// Several domains (issue #20's "many domains, one run"); `domain = ...` still works.
    #[serde(default)]
    pub(super) domains: Vec<IdValue>,
    pub(super) title: Option<String>,
    pub(super) profile: Option<String>,
    pub(super) region: Option<String>,
    pub(super) capacity_mode: Option<String>,
    pub(super) shards: Option<u32>,
    pub(super) retention_hours: Option<u32>,
    pub(super) kms_key: Option<String>,
    #[serde(default)]
    pub(super) no_encryption: bool,
    #[serde(default)]
    pub(super) tag: Vec<String>,
    #[serde(default)]
    pub(super) event: Vec<String>,
    pub(super) propagation_timeout: Option<u64>,
    pub(super) max_session: Option<String>,
    #[serde(default)]
    pub(super) allow_retention_decrease: bool,
    #[serde(default)]
    pub(super) allow_capacity_decrease: bool,
    #[serde(default)]
    pub(super) alarm_email: Vec<String>,
    pub(super) alarm_topic: Option<String>,
    pub(super) archive_bucket: Option<String>,
    pub(super) archive_days: Option<u32>,
    pub(super) archive_buffer: Option<u32>,
    #[serde(default)]
    pub(super) archive_views: bool,
    #[serde(default)]
    pub(super) adopt: bool,
    #[serde(default)]
    pub(super) no_enable: bool,
    pub(super) role_arn: Option<String>,
    pub(super) expected_events_per_second: Option<f64>,
    pub(super) avg_event_bytes: Option<f64>,
}

/// A domain id in a list: `domains = [424242, "//district"]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub(super) enum IdValue {
    Text(String),
    Number(u64),
}

impl IdValue {
    pub(super) fn text(&self) -> String {
        match self {
            IdValue::Text(s) => s.clone(),
            IdValue::Number(n) => n.to_string(),
        }
    }
}

/// Account numbers and domain ids are digits: `domain = 424242` is as good as `"424242"`.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a whole number")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(Visitor)
}

impl ConfigFile {
    /// The file `--config` or `BUZZ_KINESIS_CONFIG` names (it must exist), else
    /// `$XDG_CONFIG_HOME/buzz-kinesis/config.toml` (`~/.config/...`) when it exists, else none.
    pub(crate) fn load(given: Option<&Path>) -> Result<Self> {
        match given {
            Some(path) => Self::read(path),
            None => match default_config_path().filter(|p| p.is_file()) {
                Some(path) => Self::read(&path),
                None => Ok(Self::default()),
            },
        }
    }

    fn read(path: &Path) -> Result<Self> {
        let err = |reason: String| Error::ConfigFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        toml::from_str(&text).map_err(|e| {
            // Toml's own Display quotes the offending line, which may hold a pasted secret:
            // give its position and message only.
            let mut reason = e.message().trim_end().to_owned();
            if let Some(span) = e.span() {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                // The key on that line (never its value), so a type error names its key.
                let key = text
                    .lines()
                    .nth(line - 1)
                    .and_then(|l| l.split_once('='))
                    .map(|(k, _)| k.trim().trim_matches('"'))
                    .filter(|k| !k.is_empty() && !reason.contains(&format!("`{k}`")))
                    .map(|k| format!("key `{k}`: "))
                    .unwrap_or_default();
                reason = format!("line {line}, column {column}: {key}{reason}");
            }
            if reason.contains("unknown field") {
                reason.push_str("\n(keys are the long flags' names; secrets never go in this file: use BUZZ_PASSWORD, BUZZ_TOKEN, BUZZ_OTP)");
            }
            err(reason)
        })
    }
}

/// `$XDG_CONFIG_HOME/buzz-kinesis/config.toml`, or `$HOME/.config/...`.
pub(crate) fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("buzz-kinesis").join("config.toml"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn load(text: &str) -> Result<ConfigFile> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, text).unwrap();
        ConfigFile::load(Some(&p))
    }

    #[test]
    fn config_file_is_typed_and_rejects_unknown_keys() {
        let f = load("stream = \"s\"\nshards = 3\ntag = [\"a=b\"]\nadopt = true\ndomain = 424242\nexpected-events-per-second = 250\n").unwrap();
        assert_eq!(f.stream.as_deref(), Some("s"));
        assert_eq!(f.shards, Some(3));
        assert_eq!(f.tag, ["a=b"]);
        assert!(f.adopt);
        assert_eq!(f.domain.as_deref(), Some("424242"));
        let list = load("domains = [424242, \"//district\"]\n").unwrap();
        let ids: Vec<String> = list.domains.iter().map(IdValue::text).collect();
        assert_eq!(ids, ["424242", "//district"]);
        assert_eq!(f.expected_events_per_second, Some(250.0));
        let f = load(
            "archive-bucket = \"district-42-buzz\"\narchive-days = 400\narchive-buffer = 600\n",
        )
        .unwrap();
        assert_eq!(f.archive_bucket.as_deref(), Some("district-42-buzz"));
        assert_eq!(f.archive_days, Some(400));
        assert_eq!(f.archive_buffer, Some(600));
        let e = load("password = \"hunter2\"\n").err().unwrap().to_string();
        assert!(!e.contains("hunter2"), "the value is never echoed: {e}");
        assert!(
            e.contains("unknown field `password`") && e.contains("c.toml"),
            "{e}"
        );
        let e = load("adopt = \"yes\"\n").err().unwrap().to_string();
        assert!(
            e.contains("adopt") && e.contains("c.toml") && e.contains("bool"),
            "{e}"
        );
        let e = load("shards = -1\n").err().unwrap().to_string();
        assert!(e.contains("shards"), "{e}");
    }

    /// Every config key is a long flag of `setup`, and every setup flag that is not a secret,
    /// a one-run switch or a global option is a config key.
    #[test]
    fn config_keys_are_setup_flags() {
        use clap::CommandFactory;
        let keys = serde_fields::<ConfigFile>();
        let cli = crate::cli::Cli::command();
        let setup = cli.find_subcommand("setup").unwrap();
        let flags: Vec<String> = setup
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        // `domains` is the plural of `--domain` (a list in the file).
        for k in keys.iter().filter(|k| *k != "domains") {
            assert!(flags.contains(k), "config key {k} is no setup flag");
        }
        let not_keys = [
            "aws-only",
            "buzz-only",
            "buzz-password-stdin",
            "buzz-password-file",
            "buzz-otp",
            "buzz-otp-file",
            "config",
            "dry-run",
            "yes",
            "no-input",
            "verbose",
            "quiet",
            "output",
            "color",
            "help",
            "version",
            // What widens access is asked for on the command line, never kept in a file.
            "remove-external-id",
            "replace-trust",
            "adopt-wider-role",
        ];
        for f in &flags {
            assert!(
                keys.contains(f) || not_keys.contains(&f.as_str()),
                "setup flag --{f} cannot be set in the config file"
            );
        }
    }

    /// The field names serde expects for `T` (what `deny_unknown_fields` lists).
    pub(crate) fn serde_fields<T: for<'de> serde::Deserialize<'de>>() -> Vec<String> {
        use serde::de::{self, Deserializer, Visitor};
        struct Capture<'a>(&'a mut Vec<String>);
        impl<'de> Deserializer<'de> for Capture<'_> {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("only structs"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend(fields.iter().map(|f| (*f).to_owned()));
                Err(de::Error::custom("captured"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut fields = Vec::new();
        let _ = T::deserialize(Capture(&mut fields));
        fields
    }
}
