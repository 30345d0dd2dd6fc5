//! `buzz-kinesis buzz-identity`: make a Buzz application identity for unattended runs. The
//! key pair is made here (aws-lc-rs) and the private key written readable by its owner only;
//! the `createusers2` request and the key registration are printed, or (`--send`) sent as an
//! administrator, and the new identity then signs in to prove its key works. The one right it
//! needs (ControlDomain on the domain) is named, not granted: how Buzz's API grants rights is
//! not in the public record (docs/buzz-api.md).

use std::io::Write;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use crate::buzz::identity::SigningKey;
use crate::buzz::{wire, AppIdentity, BuzzClient, Credentials, Otp};
use crate::calls::CallLog;
use crate::cli::{BuzzIdentityArgs, Output};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::names::BuzzUrl;
use crate::report;
use crate::report::identity::{render_human, render_json, HttpRequest, IdentityView};
use crate::spec;
use crate::text::shell_quote;

pub(crate) async fn run(args: &BuzzIdentityArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let spec = spec::identity(args, spec::interactive(args.input.no_input))?;
    let (key, key_created) = key(&spec.key_out)?;
    if spec.login.is_some() {
        refuse_a_found_key(&spec.key_out, key_created, spec.reuse_key)?;
    }
    let key_id = spec.key_id.clone().unwrap_or_else(|| key.default_key_id());
    let public_pem = key.public_pem();
    let body = wire::create_identity_body(spec.domain.as_str(), &spec.name, "buzz-kinesis");
    let key_file = spec.key_out.display().to_string();
    let mut view = IdentityView {
        key_file: key_file.clone(),
        key_created,
        key_id: key_id.to_string(),
        domain: spec.domain.to_string(),
        create_request: HttpRequest {
            method: "POST",
            url: spec
                .url
                .join(&format!("cmd/{}", wire::CMD_CREATE_USERS))
                .to_string(),
            content_type: "application/json",
            body: body.to_string(),
        },
        register_request: HttpRequest {
            method: "PUT",
            url: spec
                .url
                .join(&wire::key_path("USERID", key_id.as_str()))
                .to_string(),
            content_type: wire::PEM_CONTENT_TYPE,
            body: public_pem.clone(),
        },
        rights: vec![format!("ControlDomain on domain {}", spec.domain)],
        client_id: None,
        signed_in: false,
        can_read_domain: None,
        flags: String::new(),
    };
    let mut exit = ExitCode::Ok;
    if let Some(login) = spec.login {
        let calls = CallLog::new();
        let url = login.url.clone();
        let admin = super::read::login(login, &calls).await?.client;
        if !quiet {
            eprintln!(
                "buzz: creating the application identity {:?} in domain {}",
                spec.name, spec.domain
            );
        }
        let userid = admin.create_identity(&body).await?;
        admin.register_key(&userid, &key_id, &public_pem).await?;
        view.register_request.url = url
            .join(&wire::key_path(userid.as_str(), key_id.as_str()))
            .to_string();
        view.client_id = Some(userid.to_string());
        // Prove it: sign in as the identity, then read the domain as it.
        let identity = AppIdentity::load(userid, Some(key_id.clone()), None, spec.key_out.clone())?;
        let client = BuzzClient::new(
            url.clone(),
            Credentials::Identity(Box::new(identity)),
            Otp::Unavailable,
            calls,
        )?;
        client.login().await?;
        view.signed_in = true;
        view.can_read_domain = Some(match client.get_config(&spec.domain).await {
            Ok(_) => true,
            Err(e) if e.code() == Some(wire::CODE_ACCESS_DENIED) => false,
            Err(e) => return Err(e),
        });
        if view.can_read_domain == Some(false) {
            exit = ExitCode::CheckFailed;
        }
    }
    view.flags = sign_in_flags(
        view.client_id.as_deref().unwrap_or("USERID"),
        &key_file,
        key_id.as_str(),
        &spec.url,
    );
    report::emit(output, |w| match output {
        Output::Json => render_json(&view, w),
        Output::Human => render_human(&view, w),
    })?;
    Ok(exit)
}

/// The key at `path`: reused when it is there (a second run makes no new identity key), else
/// a new pair whose private half is written there, 0600, never over an existing file.
fn key(path: &Path) -> Result<(SigningKey, bool)> {
    if path.exists() {
        return Ok((SigningKey::load(path)?, false));
    }
    let (key, pem) = SigningKey::generate()?;
    write_private(path, &pem)?;
    Ok((key, true))
}

/// `--send` registers the key file's public half as the identity's: a file this run did not
/// make (left by an earlier run, or put there by someone else) needs `--reuse-key`.
fn refuse_a_found_key(path: &Path, created: bool, reuse: bool) -> Result<()> {
    if created || reuse {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the key file {} was already there, and --send registers only a key this run makes: give --key-out a new path for a new key, or add --reuse-key (BUZZ_KINESIS_REUSE_KEY) to register the key in that file",
        path.display()
    )))
}

fn write_private(path: &Path, pem: &SecretString) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let write = |mut f: std::fs::File| {
        f.write_all(pem.expose_secret().as_bytes())?;
        f.sync_all()
    };
    options
        .open(path)
        .and_then(write)
        .map_err(|e| Error::io(format!("writing the private key to {}", path.display()), e))
}

/// The flags that sign in as the identity, shell-quoted; `--buzz-url` only off Agilix's hosts.
fn sign_in_flags(client_id: &str, key_file: &str, kid: &str, url: &BuzzUrl) -> String {
    let mut words = vec![
        "--buzz-client-id".to_owned(),
        shell_quote(client_id),
        "--buzz-key-file".into(),
        shell_quote(key_file),
        "--buzz-key-id".into(),
        shell_quote(kid),
    ];
    if !BuzzUrl::is_agilix_default(url.as_str()) {
        words.push("--buzz-url".into());
        words.push(shell_quote(url.as_str()));
    }
    words.join(" ")
}
