//! `buzz-identity`'s spec: where the key goes, the identity's name and key id, the domain, and
//! (with `--send`) the administrator's login that creates it.

use std::path::PathBuf;

use super::parts::*;
use super::raw::Raw;
use crate::error::Error;
use crate::names::{BuzzUrl, DomainId, KeyId, Rule, DEFAULT_STREAM};

/// Everything `buzz-identity` needs, validated.
pub(crate) struct BuzzIdentitySpec {
    pub key_out: PathBuf,
    pub name: String,
    pub key_id: Option<KeyId>,
    pub domain: DomainId,
    pub url: BuzzUrl,
    /// `--send`: the administrator's login (never an application identity).
    pub login: Option<BuzzLogin>,
    /// `--reuse-key`: `--send` may register a key file this run did not make.
    pub reuse_key: bool,
}

/// What `buzz-identity` alone takes, beside the Buzz values in [`Raw`].
pub(crate) struct IdentityRaw<'a> {
    pub key_out: &'a std::path::Path,
    pub name: &'a str,
    pub key_id: Option<&'a str>,
    pub send: bool,
    pub reuse_key: bool,
}

impl BuzzIdentitySpec {
    pub(crate) const NAME_RULE: Rule =
        "an identity's username is 1-64 letters, digits, '.', '_', '-' or '@'";

    pub(super) fn build_into(raw: &Raw, own: &IdentityRaw<'_>, p: &mut Problems) -> Option<Self> {
        let name = own.name.trim().to_owned();
        let name_ok = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !name_ok {
            p.push(Error::invalid("--name", own.name, Self::NAME_RULE));
        }
        let key_id = match own.key_id {
            Some(k) => p.check(KeyId::parse("--buzz-key-id", k)).map(Some),
            None => Some(None),
        };
        let (url, domain, login) = if own.send {
            let stream = p.check(crate::names::StreamName::parse("--stream", DEFAULT_STREAM));
            // One domain: the login's list refuses a second.
            let login = BuzzLogin::build(raw, p, stream.as_ref(), (raw.interactive, false))?;
            (
                login.url.clone(),
                login.domains.first().clone(),
                Some(login),
            )
        } else {
            super::domains::one_domain(raw, p);
            let domain = match raw.domains.first() {
                Some(v) => p.check(DomainId::parse("--domain", v)),
                None => {
                    p.push(missing("--domain"));
                    None
                }
            };
            (buzz_url(raw, p, raw.interactive)?, domain?, None)
        };
        if own.reuse_key && !own.send {
            // No flag silently does nothing.
            p.push(Error::Usage(
                "--reuse-key (BUZZ_KINESIS_REUSE_KEY) only matters with --send, which registers the key: add --send, or leave --reuse-key out".into(),
            ));
        }
        if !name_ok {
            return None;
        }
        Some(Self {
            key_out: own.key_out.to_path_buf(),
            name,
            key_id: key_id?,
            domain,
            url,
            login,
            reuse_key: own.reuse_key,
        })
    }
}
