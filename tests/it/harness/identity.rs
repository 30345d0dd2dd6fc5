//! Buzz application identities on a sandbox, made the way an administrator makes one:
//! `createusers2` as the sandbox's admin, an RSA key pair made here (with aws-lc-rs, not the
//! tool's code), the public key registered with `PUT /api/users/{id}/keys/{kid}`, and the
//! ControlDomain right granted through `/sandbox` (Buzz's admin screens).

use std::path::PathBuf;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use serde_json::{json, Value};

use super::sandbox::Sandbox;

/// An identity the tool can sign in as: `--buzz-client-id`, `--buzz-key-file`, `--buzz-key-id`.
pub struct TestIdentity {
    pub client_id: String,
    pub kid: String,
    pub key_file: PathBuf,
    /// The private key's PEM, to look for in the tool's output (it must never appear).
    pub private_pem: String,
    _dir: tempfile::TempDir,
}

impl TestIdentity {
    /// The flags that sign in as this identity.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--buzz-client-id".into(),
            self.client_id.clone(),
            "--buzz-key-file".into(),
            self.key_file.display().to_string(),
            "--buzz-key-id".into(),
            self.kid.clone(),
        ]
    }

    /// The base64 lines of the private key (any of them in output would be a leak).
    pub fn private_lines(&self) -> Vec<String> {
        self.private_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned)
            .collect()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let body: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    )
}

/// A fresh 2048-bit pair: (private PKCS#8 PEM, public SPKI PEM).
pub fn key_pair() -> (String, String) {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let private = pair.as_der().unwrap();
    let public = pair.public_key().as_der().unwrap();
    (
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    )
}

/// Write `private_pem` to a new file with `mode` in a new temp dir.
pub fn key_file(private_pem: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buzz-identity.pem");
    std::fs::write(&path, private_pem).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    (dir, path)
}

impl Sandbox {
    /// `createusers2` for one application identity, as the admin; its userid.
    pub async fn create_identity(&self, username: &str) -> String {
        let token = self.login_admin().await;
        let answer: Value = self
            .http()
            .post(format!("{}/cmd/createusers2", self.url()))
            .bearer_auth(&token)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(json!({"requests": {"user": [{"domainid": super::DOMAIN_ID, "username": username, "firstname": username, "lastname": "bot", "type": "applicationidentity"}]}}).to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = &answer["response"]["responses"]["response"];
        let r = if r.is_array() { &r[0] } else { r };
        assert_eq!(r["code"], "OK", "createusers2: {answer}");
        r["user"]["userid"].as_str().unwrap().to_owned()
    }

    /// `PUT /api/users/{userid}/keys/{kid}` as the admin; the HTTP status.
    pub async fn register_key(&self, userid: &str, kid: &str, public_pem: &str) -> u16 {
        let token = self.login_admin().await;
        self.http()
            .put(format!("{}/api/users/{userid}/keys/{kid}", self.url()))
            .bearer_auth(&token)
            .header("Content-Type", "application/x-pem-file")
            .body(public_pem.to_owned())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Grant (or take away) the identity's ControlDomain right, as an admin would in Buzz.
    pub async fn grant_control_domain(&self, userid: &str, granted: bool) {
        self.change_identity(
            &format!("{userid}/control-domain"),
            json!({"granted": granted}),
        )
        .await;
    }

    /// Revoke, expire or restore a registered key (`revoked`, `expired`, `active`).
    pub async fn set_key_state(&self, userid: &str, kid: &str, state: &str) {
        self.change_identity(&format!("{userid}/keys/{kid}"), json!({"state": state}))
            .await;
    }

    /// A change to an identity through the sandbox's test endpoint
    /// `/sandbox/identities/{path}`, which must succeed.
    async fn change_identity(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http()
            .post(format!("{}/sandbox/identities/{path}", self.url()))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }

    /// A working identity: created, its key registered as `ci-key`, ControlDomain granted.
    pub async fn make_identity(&self) -> TestIdentity {
        let (private_pem, public_pem) = key_pair();
        let client_id = self.create_identity(&super::unique("bot")).await;
        let kid = "ci-key".to_owned();
        assert_eq!(self.register_key(&client_id, &kid, &public_pem).await, 204);
        self.grant_control_domain(&client_id, true).await;
        let (dir, key_file) = key_file(&private_pem, 0o600);
        TestIdentity {
            client_id,
            kid,
            key_file,
            private_pem,
            _dir: dir,
        }
    }
}
