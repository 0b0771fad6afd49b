//! Time: now, the ISO 8601 forms the APIs write, Rocket.Chat's lenient `from`, and ISO 8601
//! durations (Graph's `expirationDuration`).

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

/// Reads an ISO 8601 duration of days and time (OData's `Edm.Duration`, as Graph's
/// `expirationDuration`: `PT1H`, `P1DT12H`, `PT4H30M`, `PT0.5S`) as milliseconds. Years, months
/// and weeks are refused, since their length depends on the calendar; so are signs and empty
/// parts (`P`, `PT`, `P1DT`).
pub fn parse_duration(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    let (days, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut ms: u64 = 0;
    let mut parts = 0;
    if !days.is_empty() {
        let n = whole(days.strip_suffix(['D', 'd'])?)?;
        ms = ms.checked_add(n.checked_mul(86_400_000)?)?;
        parts += 1;
    }
    if let Some(mut time) = time {
        if time.is_empty() {
            return None;
        }
        for (unit, scale) in [('H', 3_600_000), ('M', 60_000)] {
            if let Some(pos) = time.find([unit, unit.to_ascii_lowercase()]) {
                let (n, after) = time.split_at(pos);
                ms = ms.checked_add(whole(n)?.checked_mul(scale)?)?;
                time = after.get(1..)?;
                parts += 1;
            }
        }
        if !time.is_empty() {
            let seconds = time.strip_suffix(['S', 's'])?;
            let (w, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: String = frac.chars().chain("000".chars()).take(3).collect();
            let frac: u64 = frac.parse().ok()?;
            ms = ms.checked_add(whole(w)?.checked_mul(1000)?.checked_add(frac)?)?;
            parts += 1;
        }
    }
    (parts > 0).then_some(ms)
}

/// Digits only, as a number.
fn whole(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_of_days_and_time() {
        assert_eq!(parse_duration("PT8H"), Some(8 * 3_600_000));
        assert_eq!(parse_duration("PT5M"), Some(300_000));
        assert_eq!(parse_duration("P1DT12H"), Some(36 * 3_600_000));
        assert_eq!(parse_duration("P7D"), Some(7 * 86_400_000));
        assert_eq!(parse_duration("PT1H30M15.25S"), Some(5_415_250));
        assert_eq!(parse_duration("pt0.5s"), Some(500));
        for bad in [
            "",
            "P",
            "PT",
            "P1DT",
            "PT1S5H",
            "P1Y",
            "P1W",
            "-PT1H",
            "PT1.5H",
            "1H",
            "PTxS",
            "PT1.xS",
            "P99999999999999999999D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

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
