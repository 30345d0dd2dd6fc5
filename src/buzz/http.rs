//! What every HTTP exchange with Buzz shares, the Buzz API's calls (`client.rs`) and the
//! application identity's token requests (`identity.rs`) alike: the retry timing of Agilix's
//! sample clients, `Retry-After`, the cap on an answer's body, and a transport error's root
//! cause. Its own module so that the client and the identity both import it and neither
//! imports the other's transport.

use std::time::Duration;

use crate::error::Error;

/// Retry timing; the defaults are the contract's.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(64),
        }
    }
}

impl RetryPolicy {
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.cap);
        exp + Duration::from_millis(fastrand::u64(1..=1000))
    }
}

/// The longest `Retry-After` honoured: a longer one is waited as this, and the run's
/// deadline (`crate::deadline`) bounds the retries as a whole.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The most of one Buzz answer the tool reads (8 MiB). A configuration or a page of domains
/// is far smaller; an answer without end (a broken proxy, a hostile server), eight of them at
/// once in a fan-out, stops here rather than in memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why an answer's body was not read.
#[derive(Debug)]
pub(super) enum BodyError {
    /// Longer than [`MAX_BODY`]: not read further, not retried.
    TooLarge,
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

impl BodyError {
    /// The refusal of a too-large answer, or the transport's failure, as the tool's error.
    pub(super) fn into_error(self, url: &str, cmd: &str) -> Error {
        Error::BuzzTransport {
            url: url.to_owned(),
            cmd: cmd.to_owned(),
            reason: match self {
                BodyError::TooLarge => format!(
                    "the answer is larger than {} MiB, the most this tool reads of one Buzz answer",
                    MAX_BODY / (1024 * 1024)
                ),
                BodyError::Transport(e) => {
                    format!("reading the answer failed: {}", crate::error::chain(&e))
                }
            },
            hint: Some(
                "check that --buzz-url (BUZZ_API_URL) is the Buzz API itself, not a proxy or a page that answers with something else".into(),
            ),
        }
    }
}

/// Add `chunk` to `body` unless that makes it longer than `cap`.
fn append_capped(
    body: &mut Vec<u8>,
    chunk: &[u8],
    cap: usize,
) -> std::result::Result<(), BodyError> {
    if chunk.len() > cap.saturating_sub(body.len()) {
        return Err(BodyError::TooLarge);
    }
    body.extend_from_slice(chunk);
    Ok(())
}

/// An answer's body as text, read chunk by chunk up to [`MAX_BODY`] (a `Content-Length` over
/// it is refused before reading anything).
pub(super) async fn read_body(
    mut resp: reqwest::Response,
) -> std::result::Result<String, BodyError> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        append_capped(&mut body, &chunk, MAX_BODY)?;
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// `Retry-After` in seconds, else `X-RateLimit-Reset` (seconds to wait), at most
/// [`MAX_RETRY_AFTER`].
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    ["retry-after", "x-ratelimit-reset"].iter().find_map(|h| {
        headers
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(MAX_RETRY_AFTER.as_secs_f64())))
    })
}

/// The innermost cause, which is the one that says what happened ("Connection refused",
/// "failed to lookup address information", "invalid peer certificate: UnknownIssuer").
pub(super) fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        cause = inner.to_string();
        src = inner.source();
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        let p = RetryPolicy::default();
        let first = p.backoff(0);
        assert!(first > Duration::from_secs(1) && first <= Duration::from_millis(2000));
        let late = p.backoff(10);
        assert!(late > Duration::from_secs(64) && late <= Duration::from_secs(65));
    }

    #[test]
    fn retry_after_reads_either_header() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-ratelimit-reset", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "1".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(1)));
        h.insert("retry-after", "garbage".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    }

    #[test]
    fn retry_after_is_capped_at_a_minute() {
        let mut h = reqwest::header::HeaderMap::new();
        for long in ["3600", "86400", "1e300"] {
            h.insert("retry-after", long.parse().unwrap());
            assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER), "{long}");
        }
    }

    #[test]
    fn the_body_cap_holds_at_its_edge() {
        let mut body = Vec::new();
        append_capped(&mut body, &[1; 6], 10).unwrap();
        append_capped(&mut body, &[2; 4], 10).unwrap();
        assert_eq!(body.len(), 10, "exactly the cap is read");
        assert!(matches!(
            append_capped(&mut body, &[3], 10),
            Err(BodyError::TooLarge)
        ));
        assert_eq!(body.len(), 10, "nothing past the cap is kept");
        assert_eq!(MAX_BODY, 8 * 1024 * 1024);
    }
}
