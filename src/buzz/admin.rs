//! What `buzz-identity` sends as the domain's administrator: `createusers2` for a new
//! application identity and the registration of its public key. Methods of the client, in a
//! module of their own that imports both the client and the identity's answers, so that the
//! identity never imports the client.

use serde_json::Value;

use super::client::BuzzClient;
use super::identity::{created_userid, read_token_answer, unread_answer, Refusal};
use super::wire;
use crate::error::{Error, Result};
use crate::names::{ClientId, KeyId};

impl BuzzClient {
    /// `createusers2` for one application identity (`wire::create_identity_body`); the new
    /// identity's userid, which is its client id.
    pub async fn create_identity(&self, body: &Value) -> Result<ClientId> {
        let path = format!("cmd/{}", wire::CMD_CREATE_USERS);
        let (status, text) = self
            .rest(
                reqwest::Method::POST,
                &path,
                "application/json",
                body.to_string(),
            )
            .await?;
        let outer = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| wire::response_of(&v));
        let refused = |code: String, message: String, error_id: Option<String>| {
            Error::Buzz {
            cmd: wire::CMD_CREATE_USERS.into(),
            code,
            message,
            error_id,
            hint: Some("creating an application identity needs an administrator of the domain (--buzz-user); a name already taken needs another --name".into()),
        }
        };
        let Some(outer) = outer else {
            return Err(refused(
                format!("HTTP {status}"),
                unread_answer(status, &text),
                None,
            ));
        };
        let field = |m: &serde_json::Map<String, Value>, k: &str| {
            crate::text::escape_control(&wire::as_text(m.get(k)))
        };
        if wire::code_of(&outer) != wire::CODE_OK {
            return Err(refused(
                field(&outer, wire::CODE),
                field(&outer, wire::MESSAGE),
                Some(field(&outer, wire::ERROR_ID)).filter(|s| !s.is_empty()),
            ));
        }
        let first = wire::as_list(
            outer
                .get(wire::RESPONSES)
                .and_then(|r| r.get(wire::RESPONSE)),
        )
        .into_iter()
        .next()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
        if wire::code_of(&first) != wire::CODE_OK {
            return Err(refused(
                field(&first, wire::CODE),
                field(&first, wire::MESSAGE),
                Some(field(&first, wire::ERROR_ID)).filter(|s| !s.is_empty()),
            ));
        }
        let userid = first
            .get(wire::USER)
            .and_then(|u| u.get(wire::USER_ID))
            .map(|v| wire::as_text(Some(v)))
            .unwrap_or_default();
        let userid =
            created_userid(&userid).map_err(|why| refused("BadUserId".into(), why, None))?;
        self.calls.record("buzz", wire::CMD_CREATE_USERS, true);
        Ok(userid)
    }

    /// Register `public_pem` for the identity `userid` under `kid`.
    pub async fn register_key(
        &self,
        userid: &ClientId,
        kid: &KeyId,
        public_pem: &str,
    ) -> Result<()> {
        let path = wire::key_path(userid.as_str(), kid.as_str());
        let (status, text) = self
            .rest(
                reqwest::Method::PUT,
                &path,
                wire::PEM_CONTENT_TYPE,
                public_pem.to_owned(),
            )
            .await?;
        if (200..300).contains(&status) {
            self.calls.record("buzz", "registerkey", true);
            return Ok(());
        }
        let r = read_token_answer(status, &text).err().unwrap_or(Refusal {
            code: format!("HTTP {status}"),
            message: String::new(),
            error_id: None,
        });
        Err(Error::Buzz {
            cmd: format!("PUT {path}"),
            code: r.code,
            message: r.message,
            error_id: r.error_id,
            hint: Some("registering a key needs an administrator of the identity's domain".into()),
        })
    }
}
