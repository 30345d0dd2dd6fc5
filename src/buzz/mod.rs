//! The Buzz side: the transport ([`client`]), every wire name ([`wire`]), and the two data
//! stream commands as typed operations.

pub mod answer;
pub mod client;
pub mod identity;
pub mod wire;

use serde_json::{Map, Value};

pub use client::{BuzzClient, Credentials, Otp, Session};
pub use identity::AppIdentity;

use crate::error::Result;
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
}
