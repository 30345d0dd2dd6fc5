//! The event record Buzz writes into a stream, byte for byte in the contract's shape:
//! `{"time":"2022-06-29T16:40:30.9926931Z","guid":"<uuid v4>","domainId":"..","type":"..",
//! "data":{..},"userId":"..","agentUserId":"..","sessionId":".."}` — compact JSON, keys in that
//! order, ids as strings, the time in UTC with seven fractional digits (.NET's tick precision).
//!
//! Hand-rolled time and uuid formatting keep the sandbox free of extra dependencies.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{json, Value};

/// Who caused the event: Buzz's ids for the domain, user, acting user and session.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub domain_id: String,
    pub user_id: String,
    pub agent_user_id: String,
    pub session_id: String,
}

/// A record ready for PutRecord: its guid (also used as partition key) and its JSON text.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub event_type: String,
    pub guid: String,
    pub json: String,
}

pub fn event(event_type: &str, ctx: &EventContext, data: Value) -> EventRecord {
    event_at(event_type, ctx, data, None)
}

/// An event that happened at `time` (RFC 3339) instead of now: a test's events on known days.
pub fn event_at(
    event_type: &str,
    ctx: &EventContext,
    data: Value,
    time: Option<&str>,
) -> EventRecord {
    let guid = uuid_v4();
    let time = time.map_or_else(|| rfc3339_ticks(SystemTime::now()), str::to_owned);
    // serde_json's `preserve_order` keeps the keys in the order written here.
    let value = json!({
        "time": time,
        "guid": guid,
        "domainId": ctx.domain_id,
        "type": event_type,
        "data": data,
        "userId": ctx.user_id,
        "agentUserId": ctx.agent_user_id,
        "sessionId": ctx.session_id,
    });
    EventRecord {
        event_type: event_type.to_owned(),
        guid,
        json: value.to_string(),
    }
}

/// Several events in one record, newline-separated, as Buzz's records may hold them (loaders
/// that expect one JSON document per record break on these). The first event's guid is the
/// partition key.
pub fn join(events: &[EventRecord]) -> Option<EventRecord> {
    let first = events.first()?;
    Some(EventRecord {
        event_type: first.event_type.clone(),
        guid: first.guid.clone(),
        json: events
            .iter()
            .map(|e| e.json.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// A random (version 4, RFC 4122 variant) uuid in its lowercase hyphenated form.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ` in UTC.
pub fn rfc3339_ticks(time: SystemTime) -> String {
    // A clock before 1970 is not a case a test double needs to get right.
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let ticks = since_epoch.subsec_nanos() / 100;
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let second_of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ticks:07}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants_with_seven_fraction_digits() {
        let t = UNIX_EPOCH + Duration::new(1_656_520_830, 992_693_100);
        assert_eq!(rfc3339_ticks(t), "2022-06-29T16:40:30.9926931Z");
        assert_eq!(rfc3339_ticks(UNIX_EPOCH), "1970-01-01T00:00:00.0000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339_ticks(leap), "2000-02-29T00:00:00.0000000Z");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
