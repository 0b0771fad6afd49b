//! `HttpRequest` / `HttpResponse` values, header and Retry-After parsing, path encoding.
//!
//! Adapters build requests and read responses as plain values; only the browser transport sends
//! them. Times are milliseconds since the Unix epoch, passed in by the caller, never read here.

use std::fmt;
use std::fmt::Write as _;

use super::error::{PresenceError, Retry};
use super::model::{ProviderKind, UserId};

/// Which documented call a request is: its provider and the call's name there
/// (`getPresencesByUserId`, `users.presence`). Each adapter names its own as constants; an
/// adapter reads an answer by the endpoint of its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    provider: ProviderKind,
    name: &'static str,
}

impl Endpoint {
    /// The call `name` of `provider`.
    pub const fn new(provider: ProviderKind, name: &'static str) -> Self {
        Self { provider, name }
    }

    /// The provider the call belongs to.
    pub fn provider(self) -> ProviderKind {
        self.provider
    }

    /// The call's name, as the adapter wrote it.
    pub fn name(self) -> &'static str {
        self.name
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.provider, self.name)
    }
}

/// The HTTP methods the presence calls use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT (Genesys subscriptions, bulk presence writes).
    Put,
    /// PATCH (Genesys presence writes).
    Patch,
}

impl Method {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// One request an adapter wants sent, with no credentials in it: the transport adds those.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The whole URL, every id in it percent-encoded.
    pub url: String,
    /// Headers other than authentication (`Content-Type`, `Accept`).
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body, for POST and PUT.
    pub body: Option<String>,
    /// Which documented read this is; `parse` reads the answer by it.
    pub endpoint: Endpoint,
    /// The people this request asks about, in the order asked.
    pub ids: Vec<UserId>,
}

impl HttpRequest {
    pub(crate) fn get(url: String, endpoint: Endpoint, ids: Vec<UserId>) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: vec![("Accept", "application/json".into())],
            body: None,
            endpoint,
            ids,
        }
    }

    pub(crate) fn post_json(
        url: String,
        body: String,
        endpoint: Endpoint,
        ids: Vec<UserId>,
    ) -> Self {
        Self::json(Method::Post, url, body, endpoint, ids)
    }

    /// A request of `method` with a JSON body.
    pub(crate) fn json(
        method: Method,
        url: String,
        body: String,
        endpoint: Endpoint,
        ids: Vec<UserId>,
    ) -> Self {
        Self {
            method,
            url,
            headers: vec![
                ("Accept", "application/json".into()),
                ("Content-Type", "application/json".into()),
            ],
            body: Some(body),
            endpoint,
            ids,
        }
    }
}

/// An answer as the transport received it: status, headers and the body as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Every header the browser let us read, names as received.
    pub headers: Vec<(String, String)>,
    /// The body, whole.
    pub body: String,
    /// When the request was sent, in milliseconds since the Unix epoch, where the transport knows.
    pub requested_at_ms: Option<u64>,
}

impl HttpResponse {
    /// A response with this status and body and no headers.
    ///
    /// ```
    /// use presence_widgets::core::HttpResponse;
    /// let r = HttpResponse::new(200, "{}").with_header("Retry-After", "2");
    /// assert_eq!(r.header("retry-after"), Some("2"));
    /// ```
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            requested_at_ms: None,
        }
    }

    /// The same response with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The first header of this name, ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Retry-After`, as seconds (fractions allowed) or an HTTP date.
    pub fn retry_after(&self) -> Option<Retry> {
        self.header("retry-after").and_then(parse_retry_after)
    }
}

/// Reads a `Retry-After` value: delta-seconds (Graph sends fractions such as `2.128`) or an HTTP
/// date. A negative, empty or unreadable value gives `None`.
///
/// ```
/// use presence_widgets::core::{http::parse_retry_after, Retry};
/// assert_eq!(parse_retry_after("2.128"), Some(Retry::After(2128)));
/// assert_eq!(parse_retry_after("42"), Some(Retry::After(42_000)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Retry::At(784_111_777_000)));
/// assert_eq!(parse_retry_after("-1"), None);
/// ```
pub fn parse_retry_after(value: &str) -> Option<Retry> {
    let value = value.trim();
    if let Some(ms) = parse_seconds(value) {
        return Some(Retry::After(ms));
    }
    parse_http_date(value).map(Retry::At)
}

/// Decimal seconds (`2`, `2.128`, `0.5`) as milliseconds, rounding a fourth decimal and beyond up.
/// More seconds than a `u64` of milliseconds holds read as the most it holds: the scheduler caps
/// the wait anyway.
fn parse_seconds(value: &str) -> Option<u64> {
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) => (w, f),
        None => (value, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().unwrap_or(u64::MAX)
    };
    let mut ms: u64 = 0;
    let mut scale = 100;
    let mut rest_nonzero = false;
    for (i, b) in fraction.bytes().enumerate() {
        let d = u64::from(b.saturating_sub(b'0'));
        if i < 3 {
            ms += d * scale;
            scale /= 10;
        } else if d != 0 {
            rest_nonzero = true;
        }
    }
    Some(
        secs.saturating_mul(1000)
            .saturating_add(ms + u64::from(rest_nonzero)),
    )
}

/// Reads an HTTP date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`) as milliseconds
/// since the Unix epoch.
///
/// ```
/// use presence_widgets::core::http::parse_http_date;
/// assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT"), Some(1000));
/// assert_eq!(parse_http_date("yesterday"), None);
/// ```
pub fn parse_http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: i64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    // An HTTP date's year has four digits; bounded, the day count below cannot overflow.
    let year: i64 = parts
        .next()?
        .parse()
        .ok()
        .filter(|y| (1970..=9999).contains(y))?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)?;
    let month = i64::try_from(month).ok()? + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&s)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)?;
    u64::try_from(secs).ok()?.checked_mul(1000)
}

/// Writes milliseconds since the Unix epoch as ISO 8601 in UTC: `2026-11-23T08:57:39.123Z`.
///
/// ```
/// use presence_widgets::core::http::format_iso8601;
/// assert_eq!(format_iso8601(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(format_iso8601(1_795_424_259_123), "2026-11-23T08:57:39.123Z");
/// ```
pub fn format_iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Percent-encodes text for one path segment or one query value: everything but the unreserved
/// characters `A-Z a-z 0-9 - . _ ~` is written as `%XX` of its UTF-8 bytes, so `../x?y#z` stays one
/// segment (`..%2Fx%3Fy%23z`) and a comma in an id cannot split a comma-separated list.
///
/// ```
/// use presence_widgets::core::http::encode_component;
/// assert_eq!(encode_component("../x?y#z"), "..%2Fx%3Fy%23z");
/// assert_eq!(encode_component("a,b c"), "a%2Cb%20c");
/// assert_eq!(encode_component("é"), "%C3%A9");
/// ```
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Checks a service's base URL: `https://` anything, or `http://` only on this machine
/// (`localhost`, `127.0.0.1`, `[::1]`), so that tokens never travel in clear text.
///
/// # Errors
/// [`PresenceError::Config`] naming what is wrong with the URL (without its query, which could
/// hold a secret).
///
/// ```
/// use presence_widgets::core::http::check_base_url;
/// assert!(check_base_url("https://graph.microsoft.com/v1.0").is_ok());
/// assert!(check_base_url("http://127.0.0.1:8080/graph/v1.0").is_ok());
/// assert!(check_base_url("http://localhost/rocketchat").is_ok());
/// assert!(check_base_url("http://chat.example.com").is_err());
/// assert!(check_base_url("https://").is_err());
/// assert!(check_base_url("ftp://x").is_err());
/// ```
pub fn check_base_url(url: &str) -> Result<(), PresenceError> {
    let shown = url.split(['?', '#']).next().unwrap_or("");
    let bad = |why: &str| PresenceError::Config(format!("base URL `{shown}`: {why}"));
    let lower = url.trim().to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad("must start with https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if authority.contains('@') {
        return Err(bad("must not carry a user name or password"));
    }
    if !secure && !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        return Err(bad("must use https:// (http:// is only for localhost)"));
    }
    Ok(())
}

/// True for an id that cannot stand as a path segment even when encoded: empty, `.` or `..`
/// (browsers also read `%2E%2E` as `..`).
pub(crate) fn is_dot_segment(id: &str) -> bool {
    id.is_empty() || id == "." || id == ".."
}

/// Joins a base URL and an absolute path without doubling the slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    format!("{base}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_below_a_millisecond() {
        assert_eq!(parse_seconds("2.1281"), Some(2129));
        assert_eq!(parse_seconds(".5"), Some(500));
        assert_eq!(parse_seconds("3."), Some(3000));
        assert_eq!(parse_seconds("."), None);
        assert_eq!(parse_seconds("1e3"), None);
        assert_eq!(parse_seconds("99999999999999999999"), Some(u64::MAX));
        assert_eq!(parse_seconds(&"9".repeat(400)), Some(u64::MAX));
        assert_eq!(
            parse_seconds(&format!("1.{}", "9".repeat(400))),
            Some(1_999 + 1)
        );
    }

    #[test]
    fn dates_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 20_780, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn bad_http_dates_are_refused() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 24:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1969 08:49:37 GMT"), None);
    }

    #[test]
    fn dates_beyond_four_digit_years_are_refused_not_overflowed() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 100000000000000000 08:49:37 GMT"),
            None
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799_000)
        );
    }

    #[test]
    fn dot_segments_are_flagged() {
        assert!(is_dot_segment(".."));
        assert!(is_dot_segment(""));
        assert!(!is_dot_segment("../x"));
    }
}
