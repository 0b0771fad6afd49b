//! presence-relay's protocol, sans-IO: the stream request a page sends (`POST /v1/stream` with
//! the whole watch set), the Server-Sent Events it reads back, and what each event means
//! (`snapshot`, `presence`, `state`, `auth`). The relay reads the four services for the page;
//! its entries are taken as they are, the way a following tab takes its leader's.

use std::collections::HashMap;

use super::{bearer, expect_bearer, Cursor, Plan, Provider, Update, TOKEN};
use crate::core::auth::Credentials;
use crate::core::error::{PresenceError, Retry};
use crate::core::http::{join, Endpoint, HttpRequest, HttpResponse};
use crate::core::json::{push_string, Entry, JsonError, Kind, Reader};
use crate::core::model::{Activity, Availability, Presence, ProviderKind, UserId};
use crate::core::providers::CredentialField;
use crate::core::schedule::Cadence;
use crate::core::tabs::Shared;

const KIND: ProviderKind = ProviderKind::Relay;

/// `POST /v1/stream`.
pub const STREAM: Endpoint = Endpoint::new(KIND, "v1/stream");

/// The relay is not polled; the cadence only sets when a presence the relay stopped confirming
/// turns stale here (three intervals).
pub const CADENCE: Cadence = Cadence {
    interval_ms: 30_000,
    floor_ms: 1_000,
};

/// The longest event a page keeps reading before it gives the stream up (a relay never sends
/// one this big: a snapshot of 5,000 people is about 2 MB).
pub const MAX_EVENT_BYTES: usize = 8 << 20;

/// The relay adapter: its base URL and the relay's name of the source (the page's name when
/// not set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    base_url: String,
    source: Option<String>,
}

impl Relay {
    /// Reads the relay at `base_url` (`https://relay.example.com`).
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            source: None,
        }
    }
}

/// The stream request for a watch set: per relay source, its ids; `added`, those the page did
/// not watch at the event id it resumes from (`last_event_id`).
///
/// ```
/// use presence_widgets::core::providers::relay::stream_request;
/// let r = stream_request("https://relay.test", &[("teams".into(), vec!["a".into()])], &[], Some("teams=7"));
/// assert_eq!(r.url, "https://relay.test/v1/stream");
/// assert_eq!(r.body.as_deref(), Some(r#"{"sources":{"teams":["a"]}}"#));
/// assert!(r.headers.contains(&("Last-Event-ID", "teams=7".to_owned())));
/// ```
pub fn stream_request(
    base_url: &str,
    watch: &[(String, Vec<UserId>)],
    added: &[(String, Vec<UserId>)],
    last_event_id: Option<&str>,
) -> HttpRequest {
    let set = |sets: &[(String, Vec<UserId>)]| {
        let mut out = String::from("{");
        for (i, (source, ids)) in sets.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(&mut out, source);
            out.push_str(":[");
            for (j, id) in ids.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_string(&mut out, id.as_str());
            }
            out.push(']');
        }
        out.push('}');
        out
    };
    let mut body = format!("{{\"sources\":{}", set(watch));
    if !added.is_empty() {
        body.push_str(",\"added\":");
        body.push_str(&set(added));
    }
    body.push('}');
    let ids = watch
        .iter()
        .flat_map(|(_, ids)| ids.iter().cloned())
        .collect();
    let mut request = HttpRequest::post_json(join(base_url, "/v1/stream"), body, STREAM, ids);
    request
        .headers
        .push(("Accept", "text/event-stream".to_owned()));
    if let Some(id) = last_event_id {
        request.headers.push(("Last-Event-ID", id.to_owned()));
    }
    request
}

/// What a refused stream request means: the relay's `{"error": …, "reason": …}` as an error.
pub fn refusal(response: &HttpResponse) -> PresenceError {
    let mut r = Reader::new(&response.body);
    let mut error = None;
    let mut reason = None;
    if r.kind() == Some(Kind::Object) && r.object().is_ok() {
        while let Ok(Some(key)) = r.key() {
            let value = r.lenient_string().ok().flatten().map(|v| v.into_owned());
            match &*key {
                "error" => error = value,
                "reason" => reason = value,
                _ => {}
            }
        }
    }
    let message = match (error, reason) {
        (Some(e), Some(r)) => Some(format!("{e}: {r}")),
        (e, r) => e.or(r),
    };
    PresenceError::Http {
        provider: KIND,
        status: response.status,
        code: None,
        message,
        retry: response.retry_after(),
    }
}

/// One server-sent event, as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Its `event` field (`message` when none).
    pub event: String,
    /// Its data lines, joined by newlines.
    pub data: String,
    /// Its `id`, where it has one.
    pub id: Option<String>,
    /// Its `retry`, in milliseconds.
    pub retry: Option<u64>,
}

/// Reads a byte stream of Server-Sent Events (the WHATWG format: fields, blank-line
/// terminated events, comments), chunk by chunk, whatever the chunks' boundaries.
#[derive(Debug, Default)]
pub struct EventReader {
    bytes: Vec<u8>,
    line: String,
    frame: Frame,
    has_data: bool,
    started: bool,
    after_cr: bool,
}

impl EventReader {
    /// A reader at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events that `chunk` completes.
    ///
    /// # Errors
    /// When one event grows past [`MAX_EVENT_BYTES`].
    ///
    /// ```
    /// use presence_widgets::core::providers::relay::EventReader;
    /// let mut r = EventReader::new();
    /// assert!(r.feed(b"event: state\nda").unwrap().is_empty());
    /// let got = r.feed(b"ta: {}\nid: x=1\n\n: keep-alive\n\n").unwrap();
    /// assert_eq!((got[0].event.as_str(), got[0].data.as_str(), got[0].id.as_deref()), ("state", "{}", Some("x=1")));
    /// assert_eq!(got.len(), 1);
    /// ```
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, PresenceError> {
        self.bytes.extend_from_slice(chunk);
        let valid = match std::str::from_utf8(&self.bytes) {
            Ok(text) => text.len(),
            // A character cut at the chunk's end: the rest comes with the next chunk.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Not UTF-8: replaced, as the format says.
            Err(_) => {
                let text = String::from_utf8_lossy(&self.bytes).into_owned();
                self.bytes = text.into_bytes();
                self.bytes.len()
            }
        };
        let rest = self.bytes.split_off(valid);
        let text = String::from_utf8(std::mem::replace(&mut self.bytes, rest)).unwrap_or_default();
        let mut frames = Vec::new();
        for c in text.chars() {
            if !self.started {
                self.started = true;
                if c == '\u{feff}' {
                    continue;
                }
            }
            // CRLF, LF and a lone CR each end a line.
            let after_cr = std::mem::replace(&mut self.after_cr, c == '\r');
            match c {
                '\n' if after_cr => {}
                '\n' | '\r' => self.end_line(&mut frames),
                _ => self.line.push(c),
            }
            if self.line.len().saturating_add(self.frame.data.len()) > MAX_EVENT_BYTES {
                return Err(PresenceError::Decode {
                    provider: KIND,
                    path: ".".into(),
                    message: format!("an event longer than {MAX_EVENT_BYTES} bytes"),
                });
            }
        }
        Ok(frames)
    }

    fn end_line(&mut self, frames: &mut Vec<Frame>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data || self.frame.retry.is_some() || self.frame.id.is_some() {
                let mut frame = std::mem::take(&mut self.frame);
                if frame.event.is_empty() {
                    frame.event = "message".into();
                }
                frames.push(frame);
            } else {
                self.frame = Frame::default();
            }
            self.has_data = false;
            return;
        }
        let (field, value) = line.split_once(':').unwrap_or((&line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => value.clone_into(&mut self.frame.event),
            "data" => {
                if self.has_data {
                    self.frame.data.push('\n');
                }
                self.frame.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.frame.id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.frame.retry = Some(ms);
                }
            }
            _ => {}
        }
    }
}

/// A relay source's state: how the relay learns of its changes, and whether its upstream fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceState {
    /// The relay's name of the source.
    pub source: String,
    /// Pushed to the relay (else polled).
    pub push: bool,
    /// The relay's last read of it failed.
    pub stale: bool,
    /// Why.
    pub reason: Option<String>,
}

/// What one event says.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Every watched person's entry (or, on a resume, those new to the page), by relay source;
    /// the sources' states.
    Snapshot {
        /// (relay source, entry) pairs.
        entries: Vec<(String, Shared)>,
        /// The sources' states.
        states: Vec<SourceState>,
    },
    /// One person's new entry, in a relay source.
    Presence(String, Box<Shared>),
    /// A source's new state.
    State(SourceState),
    /// The viewer's token expired: ask for a new one and reopen.
    Auth(String),
    /// Nothing for the page (an event of a later version of the protocol).
    Other,
}

/// What `frame` says. An entry that cannot be read is left out of a snapshot (its problem is
/// returned beside), a presence event that cannot be read is an error: one bad entry costs that
/// entry only.
///
/// # Errors
/// [`PresenceError::Decode`] naming what was wrong.
pub fn read_event(frame: &Frame) -> Result<(Event, Vec<JsonError>), PresenceError> {
    let decode = |e: JsonError| PresenceError::json(KIND, e);
    let mut r = Reader::new(&frame.data);
    Ok(match frame.event.as_str() {
        "snapshot" => {
            let mut entries = Vec::new();
            let mut states = Vec::new();
            let mut problems = Vec::new();
            r.object().map_err(decode)?;
            while let Some(key) = r.key().map_err(decode)? {
                match &*key {
                    "presences" => {
                        for Entry { value, problems: p } in r.entries(read_entry).map_err(decode)? {
                            problems.extend(p);
                            if let Some(Ok(entry)) = value {
                                entries.push(entry);
                            } else if let Some(Err(e)) = value {
                                problems.push(e);
                            }
                        }
                    }
                    "states" => {
                        for Entry { value, .. } in r.entries(read_state).map_err(decode)? {
                            if let Some(Ok(state)) = value {
                                states.push(state);
                            }
                        }
                    }
                    _ => r.skip().map_err(decode)?,
                }
            }
            r.finish().map_err(decode)?;
            (Event::Snapshot { entries, states }, problems)
        }
        "presence" => {
            let entry = read_entry(&mut r).map_err(decode)?.map_err(decode)?;
            r.finish().map_err(decode)?;
            (Event::Presence(entry.0, Box::new(entry.1)), Vec::new())
        }
        "state" => {
            let state = read_state(&mut r).map_err(decode)?.map_err(decode)?;
            (Event::State(state), Vec::new())
        }
        "auth" => {
            let fields = flat(&mut r).map_err(decode)?;
            let reason = fields
                .get("reason")
                .cloned()
                .unwrap_or_else(|| "the token has expired".into());
            (Event::Auth(reason), Vec::new())
        }
        _ => (Event::Other, Vec::new()),
    })
}

/// An object's fields as text, nested objects' as `outer.inner`; arrays are left out.
fn flat(r: &mut Reader<'_>) -> Result<HashMap<String, String>, JsonError> {
    let mut out = HashMap::new();
    flat_into(r, "", &mut out)?;
    Ok(out)
}

fn flat_into(
    r: &mut Reader<'_>,
    prefix: &str,
    out: &mut HashMap<String, String>,
) -> Result<(), JsonError> {
    if r.kind() != Some(Kind::Object) {
        return Err(r.error("expected an object"));
    }
    r.object()?;
    while let Some(key) = r.key()? {
        let name = if prefix.is_empty() {
            key.into_owned()
        } else {
            format!("{prefix}.{key}")
        };
        match r.kind() {
            Some(Kind::Object) => flat_into(r, &name, out)?,
            Some(Kind::String) => {
                out.insert(name, r.string()?.into_owned());
            }
            Some(Kind::Number) => {
                out.insert(name, r.number()?.to_owned());
            }
            Some(Kind::Bool) => {
                if r.opt_bool()? == Some(true) {
                    out.insert(name, "true".into());
                }
            }
            _ => r.skip()?,
        }
    }
    Ok(())
}

/// One entry: the outer result fails on JSON that is not an object, the inner on an object that
/// is not an entry.
fn read_entry(r: &mut Reader<'_>) -> Result<Result<(String, Shared), JsonError>, JsonError> {
    let f = flat(r)?;
    let get = |k: &str| f.get(k).cloned();
    let wrong = |what: &str| JsonError {
        path: ".".into(),
        message: format!("an entry without {what}"),
        syntax: false,
    };
    let (Some(source), Some(user)) = (get("source"), get("user")) else {
        return Ok(Err(wrong("its source and user")));
    };
    let user = UserId::new(user);
    let provider = |k: &str| get(k).and_then(|n| ProviderKind::from_name(&n));
    let presence = match get("presence.availability") {
        None => None,
        Some(a) => {
            let (Some(availability), Some(provider)) =
                (Availability::from_name(&a), provider("presence.provider"))
            else {
                return Ok(Err(wrong("a known availability and provider")));
            };
            Some(Presence {
                user: user.clone(),
                provider,
                availability,
                activity: get("presence.activity").map(|a| Activity::from_name(&a)),
                label: get("presence.label")
                    .map_or_else(|| availability.label().into(), Into::into),
                message: get("presence.message"),
                out_of_office: f.contains_key("presence.out_of_office"),
                idle: f.contains_key("presence.idle"),
                since: get("presence.since"),
                sequence: get("presence.sequence"),
                raw: get("presence.raw").unwrap_or_default(),
                display_name: get("presence.display_name"),
            })
        }
    };
    let error = match get("error.kind").as_deref() {
        None => None,
        Some("config") => Some(PresenceError::Config(
            get("error.message").unwrap_or_default(),
        )),
        Some(kind) => {
            let provider = provider("error.provider").unwrap_or(KIND);
            let message = get("error.message");
            Some(match kind {
                "http" => PresenceError::Http {
                    provider,
                    status: get("error.status")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                    code: get("error.code"),
                    message,
                    retry: match (
                        get("error.retry.kind").as_deref(),
                        get("error.retry.ms").and_then(|ms| ms.parse().ok()),
                    ) {
                        (Some("at"), Some(ms)) => Some(Retry::At(ms)),
                        (Some(_), Some(ms)) => Some(Retry::After(ms)),
                        _ => None,
                    },
                },
                "network" => PresenceError::Network {
                    provider,
                    message: message.unwrap_or_default(),
                },
                _ => PresenceError::Decode {
                    provider,
                    path: get("error.path").unwrap_or_default(),
                    message: message.unwrap_or_default(),
                },
            })
        }
    };
    // When the relay last confirmed the presence, where it says (a stale one); the page takes
    // a fresh or failing one as confirmed when it arrives.
    let confirmed_ms = get("confirmedAt").and_then(|ms| ms.parse().ok());
    Ok(Ok((
        source,
        Shared {
            user,
            presence,
            error,
            confirmed_ms,
        },
    )))
}

fn read_state(r: &mut Reader<'_>) -> Result<Result<SourceState, JsonError>, JsonError> {
    let f = flat(r)?;
    let Some(source) = f.get("source").cloned() else {
        return Ok(Err(JsonError {
            path: ".".into(),
            message: "a state without its source".into(),
            syntax: false,
        }));
    };
    Ok(Ok(SourceState {
        source,
        push: f.get("mode").is_some_and(|m| m == "push"),
        stale: f.contains_key("stale"),
        reason: f.get("reason").cloned(),
    }))
}

impl Provider for Relay {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn cadence(&self) -> Cadence {
        CADENCE
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        TOKEN
    }

    fn credentials(&self, values: &[Option<String>]) -> Result<Credentials, PresenceError> {
        bearer(KIND, values)
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<(), PresenceError> {
        expect_bearer(KIND, credentials)
    }

    fn setting_names(&self) -> &'static [&'static str] {
        &["source"]
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), PresenceError> {
        if name != "source" {
            return Err(PresenceError::Config(format!(
                "relay: no setting named `{name}`"
            )));
        }
        let value = value.trim();
        if value.is_empty() || value.contains([';', '=', ',']) {
            return Err(PresenceError::Config(
                "relay: `source` is the relay's name of a source, without `;`, `=` or `,`".into(),
            ));
        }
        self.source = Some(value.to_owned());
        Ok(())
    }

    /// Nothing: the relay is read as one stream ([`stream_request`]), never polled.
    fn plan(&self, ids: &[UserId], cursor: Option<&Cursor>) -> Plan {
        let _ = (ids, cursor, &self.base_url, &self.source);
        Plan::default()
    }

    fn read(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        let _ = request;
        Err(refusal(response))
    }

    fn boxed(&self) -> Box<dyn Provider> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(event: &str, data: &str) -> Frame {
        Frame {
            event: event.into(),
            data: data.into(),
            ..Frame::default()
        }
    }

    #[test]
    fn events_survive_any_chunking_and_line_ends() {
        let text = "retry: 2000\n\nevent: presence\r\nid: teams=2\r\ndata: {\"a\":\ndata: 1}\r\n\r\n: c\n\nevent: x\ndata\n\n";
        for size in 1..text.len() {
            let mut r = EventReader::new();
            let mut got = Vec::new();
            for chunk in text.as_bytes().chunks(size) {
                got.extend(r.feed(chunk).unwrap());
            }
            assert_eq!(got.len(), 3, "chunks of {size}");
            assert_eq!(got[0].retry, Some(2000));
            assert_eq!(got[1].data, "{\"a\":\n1}");
            assert_eq!(got[1].id.as_deref(), Some("teams=2"));
            assert_eq!((got[2].event.as_str(), got[2].data.as_str()), ("x", ""));
        }
        // A character split across chunks.
        let mut r = EventReader::new();
        let bytes = "data: é\n\n".as_bytes();
        assert!(r.feed(&bytes[..7]).unwrap().is_empty());
        assert_eq!(r.feed(&bytes[7..]).unwrap()[0].data, "é");
    }

    #[test]
    fn a_presence_event_is_the_relayed_entry() {
        let data = r#"{"source":"teams","user":"u1","status":"failing","presence":{"user":"u1","provider":"graph","availability":"Busy","activity":"InAMeeting","label":"In a meeting","message":"<b>x</b>","out_of_office":false,"idle":true,"since":null,"sequence":null,"raw":"Busy/InAMeeting","display_name":"Ada","mode":"poll"},"error":{"kind":"http","provider":"graph","status":503,"code":null,"message":"down","retry":{"kind":"after","ms":2000},"description":"graph: HTTP 503"},"confirmedAt":1700}"#;
        let (event, _) = read_event(&frame("presence", data)).unwrap();
        let Event::Presence(source, shared) = event else {
            panic!("{event:?}")
        };
        assert_eq!(source, "teams");
        let p = shared.presence.unwrap();
        assert_eq!(
            (p.availability, p.provider),
            (Availability::Busy, ProviderKind::Graph)
        );
        assert_eq!(p.message.as_deref(), Some("<b>x</b>"));
        assert!(p.idle && !p.out_of_office);
        assert_eq!(p.display_name.as_deref(), Some("Ada"));
        assert_eq!(
            shared.error,
            Some(PresenceError::Http {
                provider: ProviderKind::Graph,
                status: 503,
                code: None,
                message: Some("down".into()),
                retry: Some(Retry::After(2000)),
            })
        );
        assert_eq!(shared.confirmed_ms, Some(1700));
    }

    #[test]
    fn one_bad_entry_costs_that_entry_only() {
        let data = r#"{"presences":[{"source":"teams","user":"a","status":"loading"},{"user":"b"},7,{"source":"teams","user":"c","status":"stale","presence":{"provider":"graph","availability":"Away"},"confirmedAt":99}],"states":[{"source":"teams","mode":"push","stale":false,"reason":null}],"full":["teams"]}"#;
        let (event, problems) = read_event(&frame("snapshot", data)).unwrap();
        let Event::Snapshot { entries, states } = event else {
            panic!("{event:?}")
        };
        let users: Vec<&str> = entries.iter().map(|(_, s)| s.user.as_str()).collect();
        assert_eq!(users, ["a", "c"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(entries[1].1.confirmed_ms, Some(99));
        assert!(states[0].push && !states[0].stale);
        assert!(read_event(&frame("presence", "{\"user\":\"x\"}")).is_err());
        assert!(read_event(&frame("presence", "<html>")).is_err());
        assert_eq!(read_event(&frame("later", "{}")).unwrap().0, Event::Other);
    }

    #[test]
    fn a_refusal_reads_the_reason() {
        let r = HttpResponse::new(
            401,
            r#"{"error":"unauthorized","reason":"the token has expired"}"#,
        );
        assert_eq!(
            refusal(&r).to_string(),
            "relay: HTTP 401: unauthorized: the token has expired"
        );
        let r = HttpResponse::new(502, "<html>bad gateway");
        assert_eq!(refusal(&r).to_string(), "relay: HTTP 502");
    }

    #[test]
    fn the_watch_body_is_json_with_every_id_escaped() {
        let r = stream_request(
            "https://relay.test/",
            &[
                ("teams".into(), vec!["a\"b".into(), "c".into()]),
                ("chat".into(), vec![]),
            ],
            &[("teams".into(), vec!["c".into()])],
            None,
        );
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"sources":{"teams":["a\"b","c"],"chat":[]},"added":{"teams":["c"]}}"#)
        );
        assert!(!r.headers.iter().any(|(n, _)| *n == "Last-Event-ID"));
    }
}
