//! Extra certificate authorities for networks that inspect TLS with their own CA (common in
//! schools). The AWS CLI reads them from `AWS_CA_BUNDLE`; so do we, for AWS and for Buzz, on
//! top of the system's roots (which `SSL_CERT_FILE` replaces, as OpenSSL does).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The PEM bundle `AWS_CA_BUNDLE` names, with its path, when set.
pub(crate) fn ca_bundle() -> Result<Option<(PathBuf, Vec<u8>)>> {
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let pem = std::fs::read(&path).map_err(|e| {
        Error::io(
            format!(
                "reading AWS_CA_BUNDLE ({}), the CA certificates to trust",
                path.display()
            ),
            e,
        )
    })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::Usage(format!(
            "AWS_CA_BUNDLE ({}) holds no PEM certificate (-----BEGIN CERTIFICATE-----): point it at your network's CA bundle",
            path.display()
        )));
    }
    Ok(Some((path, pem)))
}
