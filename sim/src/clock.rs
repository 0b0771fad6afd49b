//! Time: now, and the ISO 8601 forms the APIs write and Rocket.Chat's lenient `from`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `2026-11-23T08:57:39.123Z`.
pub fn iso(ms: u64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_millis(time).to_string()
}

/// Reads Rocket.Chat's `from`: ISO 8601 where "timezone, milliseconds and seconds are
/// optional" (`2026-11-23T08:57`, `2026-11-23T08:57:39`, `…39.123Z`, `…39+02:00`).
pub fn parse_from(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', ' '])?;
    // Split the time of day from a zone: `Z`, `+hh:mm`, `-hh:mm`, `+hhmm` or nothing.
    let (clock, offset_min): (&str, i64) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (c, zone) = rest.split_at(pos);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
        let (h, m) = digits.split_at(digits.len().min(2));
        let h: i64 = h.parse().ok()?;
        let m: i64 = if m.is_empty() { 0 } else { m.parse().ok()? };
        (c, sign * (h * 60 + m))
    } else {
        (rest, 0)
    };
    let mut parts = clock.splitn(3, ':');
    let hh = parts.next()?;
    let mm = parts.next()?;
    let ss = parts.next().unwrap_or("00");
    let (ss, frac) = ss.split_once('.').unwrap_or((ss, "0"));
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    let canonical = format!("{date}T{hh:0>2}:{mm:0>2}:{ss:0>2}.{frac}Z");
    let time = humantime::parse_rfc3339(&canonical).ok()?;
    let ms = u64::try_from(time.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
    let shift = offset_min.unsigned_abs().checked_mul(60_000)?;
    if offset_min >= 0 {
        ms.checked_sub(shift)
    } else {
        ms.checked_add(shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_takes_every_documented_form() {
        let exact = 1_795_424_259_123;
        assert_eq!(parse_from("2026-11-23T08:57:39.123Z"), Some(exact));
        assert_eq!(parse_from("2026-11-23T08:57:39Z"), Some(exact - 123));
        assert_eq!(parse_from("2026-11-23T08:57:39"), Some(exact - 123));
        assert_eq!(parse_from("2026-11-23T08:57"), Some(exact - 39_123));
        assert_eq!(parse_from("2026-11-23T10:57:39.123+02:00"), Some(exact));
        assert_eq!(parse_from("2026-11-23T06:57:39.123-0200"), Some(exact));
        assert_eq!(parse_from("yesterday"), None);
        assert_eq!(iso(exact), "2026-11-23T08:57:39.123Z");
    }
}
