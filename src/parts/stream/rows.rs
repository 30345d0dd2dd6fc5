//! The stream's check rows: it exists and is ACTIVE, keeps records long enough, is encrypted
//! as asked, and takes the expected load.

use crate::checklist::{fail, pass, warn, Check, CheckId, Expect};
use crate::names::Encryption;
use crate::parts::SETUP_AGAIN;
use crate::sizing::{self, Capacity};
use crate::state::ResolvedKey;
use crate::state::{StreamState, StreamStatus};

/// How an unencrypted stream gets encrypted: setup never changes an existing stream's
/// encryption unasked, so the key is named.
const ENCRYPT_FIX: &str = "run `buzz-kinesis setup` with the same flags and --kms-key alias/aws/kinesis: it starts encryption without downtime, and Buzz's writer role needs no extra permission for the AWS-managed key";

/// The stream: exists and is ACTIVE, keeps records long enough, is encrypted as asked, and
/// (with an expected load) is big enough.
pub(crate) fn rows(
    name: &str,
    region: &str,
    found: Option<&StreamState>,
    e: &Expect,
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(s) = found else {
        out.push(fail(
            CheckId::StreamExists,
            format!("there is no stream {name} in {region}"),
            SETUP_AGAIN,
        ));
        return out;
    };
    match &s.status {
        StreamStatus::Active => out.push(pass(
            CheckId::StreamExists,
            format!("stream {name} is ACTIVE"),
        )),
        StreamStatus::Deleting => {
            out.push(fail(
                CheckId::StreamExists,
                format!("stream {name} is being deleted"),
                "wait until it is gone, then run `buzz-kinesis setup`",
            ));
            return out;
        }
        other => out.push(warn(
            CheckId::StreamExists,
            format!("stream {name} is {other}"),
            "wait a minute and check again (the stream is being created or changed)",
        )),
    }
    if s.retention < e.retention {
        out.push(fail(
            CheckId::StreamRetention,
            format!(
                "retention is {} h, below the requested {} h",
                s.retention.get(),
                e.retention.get()
            ),
            SETUP_AGAIN,
        ));
    } else {
        out.push(pass(
            CheckId::StreamRetention,
            format!("retention is {} h", s.retention.get()),
        ));
    }
    out.push(encryption_row(
        &e.encryption,
        s.kms_key.as_deref(),
        e.key.as_ref(),
    ));
    let capacity = s.capacity.unwrap_or(Capacity::OnDemand);
    match e.load {
        Some(load) => {
            let (ok, message) = sizing::fits(capacity, s.open_shards, load);
            if ok {
                out.push(pass(CheckId::StreamCapacity, message));
            } else {
                let advice = sizing::advise(load);
                out.push(warn(CheckId::StreamCapacity, message, format!("use {advice}")));
            }
        }
        None => out.push(pass(
            CheckId::StreamCapacity,
            format!(
                "{capacity}{}; each shard takes 1,000 records/s and 1 MB/s, and Buzz loses events beyond that (pass --expected-events-per-second for advice)",
                if matches!(capacity, Capacity::OnDemand) { format!(", {} open shards", s.open_shards) } else { String::new() }
            ),
        )),
    }
    out
}

/// Encrypted at rest as asked: with the named key, or (no `--kms-key`) with any key. An
/// unencrypted stream is a warning with the fix unless `--no-encryption` asked for it.
/// `resolved`: the stream's key as KMS described it, compared by ARN (an alias and its key's
/// ARN agree) and named with its ARN.
fn encryption_row(want: &Encryption, have: Option<&str>, resolved: Option<&ResolvedKey>) -> Check {
    const ID: CheckId = CheckId::StreamEncryption;
    let named = |h: &str| resolved.map_or_else(|| h.to_owned(), ResolvedKey::describe);
    match (want, have) {
        (Encryption::Key(k), Some(h)) if resolved.map_or(k.as_str() == h, |r| r.is(k)) => {
            pass(ID, format!("encrypted with {}", named(h)))
        }
        (Encryption::Key(k), Some(h)) => fail(
            ID,
            format!("the stream is encrypted with {} instead of {k}", named(h)),
            "run `buzz-kinesis check` without --kms-key (setup's grants follow the key the stream has), or with --kms-key naming that key",
        ),
        (Encryption::Key(k), None) => fail(
            ID,
            format!("the stream is not encrypted instead of {k}"),
            SETUP_AGAIN,
        ),
        (_, Some(h)) => pass(ID, format!("encrypted with {}", named(h))),
        (Encryption::Off, None) => pass(ID, Encryption::OFF_REASON),
        (Encryption::Default, None) => warn(
            ID,
            "not encrypted at rest: Buzz's events (education records) are stored in plain text",
            ENCRYPT_FIX,
        ),
    }
}
