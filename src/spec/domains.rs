//! The domains a run acts on, judged once into one non-empty list.

use super::problems::{required, Problems};
use super::raw::Raw;
use crate::error::Error;
use crate::names::DomainId;

/// The domains a run acts on: at least one by construction, each once, in the order given
/// (`--domain` repeated, a comma-separated BUZZ_KINESIS_DOMAIN, the file's `domain` then
/// `domains = [...]`). Every command that takes a list runs one pipeline per domain over it;
/// the first is the one a single-domain command acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Domains {
    first: DomainId,
    rest: Vec<DomainId>,
}

impl Domains {
    /// The first domain given.
    pub(crate) fn first(&self) -> &DomainId {
        &self.first
    }

    /// Every domain, the first first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &DomainId> + '_ {
        std::iter::once(&self.first).chain(&self.rest)
    }

    /// How many (at least one).
    pub(crate) fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Never: a list holds at least one domain (for clippy's `len` without `is_empty`).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        false
    }

    /// `several`: the command takes a list; otherwise a second domain is refused by
    /// [`one_domain`], naming them all. Each value is judged once.
    pub(crate) fn build(raw: &Raw, p: &mut Problems, several: bool) -> Option<Self> {
        if !several {
            one_domain(raw, p);
        }
        let first = required(p, &raw.domains.first().cloned(), "--domain", |v| {
            DomainId::parse("--domain", v)
        });
        let mut rest: Vec<DomainId> = Vec::new();
        let mut ok = true;
        for d in raw.domains.iter().skip(1).filter(|_| several) {
            match p.check(DomainId::parse("--domain", d)) {
                Some(id) if !rest.contains(&id) && first.as_ref() != Some(&id) => rest.push(id),
                Some(_) => {}
                None => ok = false,
            }
        }
        ok.then_some(Self {
            first: first?,
            rest,
        })
    }
}

/// One domain a run, for the commands that take one (policy, buzz-identity, `--buzz-only`
/// setup and check, the AWS halves): several are refused before anything is sent, naming
/// them, rather than acting on the first alone. Setup, check and teardown with a login take
/// the list ([`Domains`]).
pub(crate) fn one_domain(raw: &Raw, p: &mut Problems) {
    if raw.domains.len() < 2 {
        return;
    }
    // Each one is still judged, so a wrong value is named with its rule.
    let judged: Vec<bool> = raw
        .domains
        .iter()
        .skip(1)
        .map(|d| p.check(DomainId::parse("--domain", d)).is_some())
        .collect();
    if judged.iter().all(|ok| *ok) {
        p.push(Error::Usage(format!(
            "several domains in one run (--domain {}) are not supported by this command yet (check, with both halves, takes them): run once per domain. Nothing was sent",
            raw.domains.join(", ")
        )));
    }
}
