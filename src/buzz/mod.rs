//! The Buzz side: the transport ([`client`]), every wire name ([`wire`]), and the two data
//! stream commands as typed operations.

pub mod admin;
pub mod answer;
pub mod client;
pub mod http;
pub mod identity;
pub mod wire;

use serde_json::{Map, Value};

pub use client::{BuzzClient, Credentials, Otp, Session};
pub use identity::AppIdentity;

use crate::error::{Error, Result};
use crate::names::DomainId;

impl BuzzClient {
    /// The domain's saved data stream configuration (empty when none is saved).
    pub async fn get_config(&self, domain: &DomainId) -> Result<Map<String, Value>> {
        let mut params = Map::new();
        params.insert(wire::DOMAIN_ID.into(), Value::from(domain.as_str()));
        let answer = self
            .call(wire::CMD_GET_CONFIG, params, false)
            .await
            .map_err(|e| match e.code() {
                // On a get, AccessDenied can only be about the login's rights on the domain.
                // (On a set it may be Buzz relaying AWS's refusal: see `answer.rs`.)
                Some(wire::CODE_ACCESS_DENIED) => e.with_hint(
                    "this Buzz user lacks the ControlDomain right on the domain: use an administrator of the domain, or check --domain",
                ),
                _ => e,
            })?;
        Ok(wire::config_from_response(&answer))
    }

    /// Send a whole configuration. With `test`, Buzz delivers a probe to each Kinesis target
    /// and saves nothing; without, it tests and then replaces the saved configuration.
    pub async fn set_config(
        &self,
        domain: &DomainId,
        config: &Map<String, Value>,
        test: bool,
    ) -> Result<()> {
        let params = wire::set_request(domain.as_str(), config, test);
        self.call(wire::CMD_SET_CONFIG, params, !test)
            .await
            .map(drop)
    }

    /// Every domain below `domain` (`listdomains` with `includedescendantdomains`), paged
    /// until an empty page, at most [`wire::MAX_SUBTREE`]; the domain itself is left out
    /// when named by its id (a `//userspace` domain: the caller drops it by id). The flag says the list was cut at the bound.
    pub async fn list_subtree(&self, domain: &DomainId) -> Result<(Vec<wire::DomainRecord>, bool)> {
        let mut all: Vec<wire::DomainRecord> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let params = wire::list_domains_params(domain.as_str(), after.as_deref());
            let answer = self.call(wire::CMD_LIST_DOMAINS, params, false).await?;
            let page = read_shape(wire::CMD_LIST_DOMAINS, wire::domains_of(&answer))?;
            let Some(last) = page
                .iter()
                .map(|d| &d.id)
                .max_by_key(|id| id_key(id))
                .cloned()
            else {
                return Ok((all, false));
            };
            // A page with nothing new (a server that ignores the query) ends the list too.
            let mut new = 0;
            for d in page {
                if d.id != domain.as_str() && seen.insert(d.id.clone()) {
                    all.push(d);
                    new += 1;
                }
            }
            if all.len() >= wire::MAX_SUBTREE {
                all.truncate(wire::MAX_SUBTREE);
                return Ok((all, true));
            }
            if new == 0 && after.as_deref().is_some_and(|a| id_key(a) >= id_key(&last)) {
                return Ok((all, false));
            }
            after = Some(last);
        }
    }

    /// The domain's ancestors, nearest first (`getdomainparentlist`, in either order Buzz
    /// answers: the chain is followed from the domain's parent), the domain itself left out.
    pub async fn parent_list(
        &self,
        domain: &DomainId,
        own: &wire::DomainRecord,
    ) -> Result<Vec<wire::DomainRecord>> {
        let mut params = Map::new();
        params.insert(wire::DOMAIN_ID.into(), Value::from(domain.as_str()));
        let answer = self.call(wire::CMD_PARENT_LIST, params, false).await?;
        let list = read_shape(wire::CMD_PARENT_LIST, wire::domains_of(&answer))?;
        read_shape(wire::CMD_PARENT_LIST, wire::ancestors_of(own, list))
    }

    /// One domain's record (`getdomain2`): its numeric id, name and parent.
    pub async fn get_domain(&self, domain: &DomainId) -> Result<wire::DomainRecord> {
        let mut params = Map::new();
        params.insert(wire::DOMAIN_ID.into(), Value::from(domain.as_str()));
        let answer = self.call(wire::CMD_GET_DOMAIN, params, false).await?;
        read_shape(wire::CMD_GET_DOMAIN, wire::domain_of(&answer))
    }
}

/// Numeric order of ids (they are digits), then text order.
fn id_key(id: &str) -> (usize, &str) {
    (id.len(), id)
}

/// An OK answer whose shape is not understood: a loud error, never a guess.
fn read_shape<T>(cmd: &str, read: std::result::Result<T, String>) -> Result<T> {
    read.map_err(|why| {
        Error::Refused(format!(
            "Buzz's answer to {cmd} is not in a shape this tool understands: {}. Nothing was changed; please report it with the answer (docs/buzz-api.md, \"The domain hierarchy\")",
            crate::text::outside(&why)
        ))
    })
}
