//! `POST /v1/stream`: one Server-Sent Events stream per page for all the sources it reads.
//! The body names the whole watch set; the answer is the stream: a `snapshot`, then `presence`
//! and `state` events, `auth` when the viewer's token expires. Event ids carry every source's
//! position (`teams=1042;chat=77`), so one `Last-Event-ID` resumes them all.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream};
use presence_widgets::core::UserId;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use crate::auth::{allowed, AuthError, Viewer};
use crate::hub::{Fanout, Kind, Resume, Switch};
use crate::state::{Relay, ViewerSlot};

/// The longest id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// How long a viewer dropped for reading too slowly, or at shutdown, waits before resuming.
const RETRY: Duration = Duration::from_secs(2);

/// An answer that is not a stream: a status and a JSON body `{"error": …}`.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    body: Value,
    challenge: Option<String>,
    /// Seconds to wait before asking again (`Retry-After`).
    retry_after: Option<u64>,
    /// The connection is closed after the answer.
    close: bool,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
            challenge: None,
            retry_after: None,
            close: false,
        }
    }

    /// A 400 for a malformed body, naming the field (`.` for the body itself).
    fn bad(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message).with("field", field.into())
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        if let Value::Object(fields) = &mut self.body {
            fields.insert(key.into(), value);
        }
        self
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Keys(_) => Refusal::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            _ => {
                let mut r = Refusal::new(StatusCode::UNAUTHORIZED, "unauthorized")
                    .with("reason", e.to_string().into());
                let code = if e == AuthError::Missing {
                    "Bearer".to_owned()
                } else {
                    // The reason is ours (no token text in it); quotes are left out.
                    format!(
                        "Bearer error=\"invalid_token\", error_description=\"{}\"",
                        e.to_string().replace('"', "'")
                    )
                };
                r.challenge = Some(code);
                r
            }
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Some(c) = self.challenge.and_then(|c| c.parse().ok()) {
            headers.insert(header::WWW_AUTHENTICATE, c);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, seconds.into());
        }
        if self.close {
            headers.insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

/// What a page watches: per source (by index), its ids, and those it did not watch at the
/// event id it resumes from.
#[derive(Debug, Default, PartialEq)]
pub struct Watch {
    /// Source index → ids, each once.
    pub sources: Vec<(usize, Vec<UserId>)>,
    /// Source index → ids new since the resumed event id.
    pub added: HashMap<usize, Vec<UserId>>,
}

/// Reads a watch body.
///
/// # Errors
/// 400 naming the field for a malformed body, 404 for an unknown source, 413 past `max_ids`.
pub fn read_watch(
    body: &[u8],
    names: &HashMap<String, usize>,
    max_ids: usize,
) -> Result<Watch, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::bad(".", format!("the body is not JSON: {e}")))?;
    let Value::Object(top) = value else {
        return Err(Refusal::bad(
            ".",
            "the body must be an object: {\"sources\": {…}}",
        ));
    };
    let Some(sources) = top.get("sources") else {
        return Err(Refusal::bad(
            "sources",
            "sources: required, {\"name\": [\"id\", …]}",
        ));
    };
    let Value::Object(sources) = sources else {
        return Err(Refusal::bad(
            "sources",
            "sources: expected an object of source names",
        ));
    };
    let mut watch = Watch::default();
    let mut total = 0usize;
    for (name, ids) in sources {
        let index = *names.get(name).ok_or_else(|| {
            Refusal::new(StatusCode::NOT_FOUND, format!("unknown source `{name}`"))
                .with("source", name.as_str().into())
        })?;
        let ids = read_ids(&format!("sources.{name}"), ids)?;
        total = total.saturating_add(ids.len());
        if total > max_ids {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("too many ids: at most {max_ids} in one watch"),
            )
            .with("max", max_ids.into()));
        }
        watch.sources.push((index, ids));
    }
    if let Some(added) = top.get("added") {
        let Value::Object(added) = added else {
            return Err(Refusal::bad(
                "added",
                "added: expected an object of source names",
            ));
        };
        for (name, ids) in added {
            let Some((index, watched)) = names
                .get(name)
                .and_then(|i| watch.sources.iter().find(|(s, _)| s == i))
            else {
                return Err(Refusal::bad(
                    &format!("added.{name}"),
                    format!("added.{name}: not a watched source"),
                ));
            };
            let ids = read_ids(&format!("added.{name}"), ids)?
                .into_iter()
                .filter(|id| watched.contains(id))
                .collect();
            watch.added.insert(*index, ids);
        }
    }
    Ok(watch)
}

fn read_ids(path: &str, value: &Value) -> Result<Vec<UserId>, Refusal> {
    let Value::Array(items) = value else {
        return Err(Refusal::bad(
            path,
            format!("{path}: expected an array of ids"),
        ));
    };
    let mut ids: Vec<UserId> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::trim) {
            Some(id) if !id.is_empty() && id.len() <= MAX_ID_BYTES => ids.push(UserId::new(id)),
            _ => {
                return Err(Refusal::bad(
                    &format!("{path}[{i}]"),
                    format!("{path}[{i}]: expected an id, a string of 1 to {MAX_ID_BYTES} bytes"),
                ))
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The key of the relay's epoch in an event id.
pub const EPOCH: &str = "@";

/// Reads `teams=1042;chat=77;@=k3x9` into the epoch and source name → position; parts it cannot
/// read are left out (those sources get a snapshot).
pub fn read_event_id(text: &str) -> (Option<String>, HashMap<String, u64>) {
    let mut epoch = None;
    let positions = text
        .split(';')
        .filter_map(|part| {
            let (name, pos) = part.split_once('=')?;
            if name.trim() == EPOCH {
                epoch = Some(pos.trim().to_owned());
                return None;
            }
            Some((name.trim().to_owned(), pos.trim().parse().ok()?))
        })
        .collect();
    (epoch, positions)
}

/// One watched source of a stream.
struct Watched {
    index: usize,
    name: Arc<str>,
    /// The slots watched, sorted.
    slots: Vec<u32>,
    /// The position the viewer has reached.
    pos: u64,
}

/// Unsubscribes a stream's ids when it ends (after the linger), and counts viewers.
struct Leave {
    relay: Arc<Relay>,
    ids: Vec<(usize, Vec<UserId>)>,
    /// The viewer's share of the per-viewer cap, given back with the stream.
    _slot: Option<ViewerSlot>,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.relay.metrics.viewers.fetch_sub(1, Ordering::Relaxed);
        let relay = self.relay.clone();
        let ids = std::mem::take(&mut self.ids);
        let linger = relay.limits.linger;
        let leave = async move {
            if !linger.is_zero() {
                tokio::time::sleep(linger).await;
            }
            relay.unwatch(&ids);
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(leave);
        }
    }
}

/// What a stream yields next.
struct Reader {
    /// The epoch its positions are in.
    epoch: Arc<str>,
    initial: VecDeque<Event>,
    rx: broadcast::Receiver<Arc<Fanout>>,
    /// Hub index → position in `watched`.
    by_source: HashMap<usize, usize>,
    watched: Vec<Watched>,
    shutdown: watch::Receiver<bool>,
    expires: Option<tokio::time::Instant>,
    done: bool,
    _leave: Leave,
}

impl Reader {
    fn id(&self) -> String {
        let mut id: String = self
            .watched
            .iter()
            .map(|w| format!("{}={};", w.name, w.pos))
            .collect();
        id.push_str(EPOCH);
        id.push('=');
        id.push_str(&self.epoch);
        id
    }

    async fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.initial.pop_front() {
            return Some(event);
        }
        if self.done {
            return None;
        }
        loop {
            let expiry = async {
                match self.expires {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                got = self.rx.recv() => match got {
                    Ok(fanout) => {
                        if let Some(event) = self.accept(&fanout) {
                            let lag = fanout.at.elapsed();
                            self._leave.relay.metrics.lag(lag);
                            return Some(event);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Fallen behind the broadcast: caught up from the history while it
                        // holds what was missed, else dropped (the page resumes from its id).
                        if self.catch_up() {
                            if let Some(event) = self.initial.pop_front() {
                                return Some(event);
                            }
                            continue;
                        }
                        self._leave.relay.metrics.dropped.fetch_add(1, Ordering::Relaxed);
                        self.done = true;
                        return Some(
                            Event::default()
                                .retry(RETRY)
                                .comment("dropped: too slow to read; resume from your last event id"),
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.shutdown.changed() => {
                    self.done = true;
                    return Some(Event::default().retry(RETRY).comment("the relay is shutting down; resume from your last event id"));
                }
                () = expiry => {
                    self.done = true;
                    return Some(
                        Event::default()
                            .event("auth")
                            .data(json!({ "reason": "the token has expired" }).to_string()),
                    );
                }
            }
        }
    }

    /// Queues what the history holds past each watched source's position; false when it no
    /// longer holds all of it.
    fn catch_up(&mut self) -> bool {
        let hub = self._leave.relay.hub.clone();
        let mut missed = Vec::new();
        for (i, w) in self.watched.iter().enumerate() {
            match hub.resume(w.index, w.pos, &w.slots) {
                Resume::Replay(changes, head) => missed.push((i, changes, head)),
                Resume::Snapshot => return false,
            }
        }
        for (i, changes, head) in missed {
            self.replay(i, changes, head);
        }
        true
    }

    /// Queues `changes` of the watched source at `i` (each with its position, so each
    /// event's id resumes after it), then moves its position to `head`.
    fn replay(&mut self, i: usize, changes: Vec<(u64, Arc<str>)>, head: u64) {
        for (pos, data) in changes {
            if let Some(w) = self.watched.get_mut(i) {
                w.pos = pos;
            }
            let id = self.id();
            self.initial
                .push_back(Event::default().event("presence").id(id).data(&*data));
        }
        if let Some(w) = self.watched.get_mut(i) {
            w.pos = w.pos.max(head);
        }
    }

    fn accept(&mut self, fanout: &Fanout) -> Option<Event> {
        if let Kind::Switch(switch) = &fanout.kind {
            return self.switch(switch);
        }
        let w = self.watched.get_mut(*self.by_source.get(&fanout.source)?)?;
        match fanout.kind {
            Kind::State => Some(Event::default().event("state").data(&*fanout.data)),
            Kind::Switch(_) => None,
            Kind::Presence { slot, pos } => {
                if pos <= w.pos {
                    return None;
                }
                // Past a change of someone else: nothing missed up to here, so that catching up
                // after falling behind starts from here.
                w.pos = pos;
                if w.slots.binary_search(&slot).is_err() {
                    return None;
                }
                let id = self.id();
                Some(
                    Event::default()
                        .event("presence")
                        .id(id)
                        .data(&*fanout.data),
                )
            }
        }
    }
}

impl Reader {
    /// Takes the new epoch's heads, and sends the watched entries that changed with it.
    fn switch(&mut self, switch: &Switch) -> Option<Event> {
        self.epoch = switch.epoch.clone();
        let mut changed = Vec::new();
        for (i, w) in self.watched.iter_mut().enumerate() {
            let Some((head, entries)) = switch.sources.get(w.index) else {
                continue;
            };
            w.pos = *head;
            for (slot, data) in entries {
                if w.slots.binary_search(slot).is_ok() {
                    changed.push((i, data.clone()));
                }
            }
        }
        for (_, data) in changed {
            let id = self.id();
            self.initial
                .push_back(Event::default().event("presence").id(id).data(&*data));
        }
        self.initial.pop_front()
    }
}

/// Seconds a page is asked to wait when this instance holds as many streams as it may (a load
/// balancer sends it elsewhere meanwhile).
const FULL_RETRY_S: u64 = 5;

/// Seconds a viewer at its cap is asked to wait (one of its streams may end meanwhile).
const VIEWER_RETRY_S: u64 = 10;

/// Room for one more stream on this instance, or a 503 with `Retry-After`.
fn room(relay: &Relay) -> Result<(), Refusal> {
    let open = relay.metrics.viewers.load(Ordering::Relaxed);
    if open < relay.limits.max_streams {
        return Ok(());
    }
    relay.metrics.refused_full.fetch_add(1, Ordering::Relaxed);
    let mut r = Refusal::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "this instance holds as many streams as it may (max_streams): try again or another",
    );
    r.retry_after = Some(FULL_RETRY_S);
    Err(r)
}

/// The viewer's share of its cap (by its `sub`; a viewer without one is not counted), or a 429
/// with `Retry-After`.
fn viewer_slot(relay: &Relay, viewer: &Viewer) -> Result<Option<ViewerSlot>, Refusal> {
    let Some(key) = viewer.claims.get("sub").and_then(Value::as_str) else {
        return Ok(None);
    };
    let max = relay.limits.max_streams_per_viewer;
    if let Some(slot) = relay.viewers_open.take(key, max) {
        return Ok(Some(slot));
    }
    relay.metrics.refused_viewer.fetch_add(1, Ordering::Relaxed);
    let mut r = Refusal::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("this viewer has {max} streams open here (max_streams_per_viewer)"),
    );
    r.retry_after = Some(VIEWER_RETRY_S);
    Err(r)
}

/// The largest watch body read (1 MB: 5,000 ids of 200 bytes).
const MAX_BODY: usize = 1 << 20;

/// `POST /v1/stream`. Past the instance's cap nothing is read; a body that does not come within
/// `body_timeout_ms` is answered 408 and its connection closed.
pub async fn open(State(relay): State<Arc<Relay>>, headers: HeaderMap, body: Body) -> Response {
    if let Err(refusal) = room(&relay) {
        return refusal.into_response();
    }
    let read = tokio::time::timeout(relay.limits.body_timeout, to_bytes(body, MAX_BODY)).await;
    let body = match read {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            let mut r = Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body could not be read whole (at most {MAX_BODY} bytes)"),
            );
            r.close = true;
            return r.into_response();
        }
        Err(_) => {
            relay.metrics.body_timeouts.fetch_add(1, Ordering::Relaxed);
            let mut r = Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not come in time (body_timeout_ms)",
            );
            r.close = true;
            return r.into_response();
        }
    };
    match start(relay, &headers, &body).await {
        Ok(sse) => sse.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn start(
    relay: Arc<Relay>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Refusal> {
    let viewer = relay.verifier.viewer(headers).await?;
    // One viewer's streams are bounded (a token in many hands, a page reopening in a loop):
    // the open ones go on, a new one is refused until one ends.
    let slot = viewer_slot(&relay, &viewer)?;
    let watch = read_watch(body, &relay.names, relay.limits.max_ids)?;
    for (index, _) in &watch.sources {
        let Some(source) = relay.sources.get(*index) else {
            continue;
        };
        if !allowed(&source.allow, &viewer.claims) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("this token may not read `{}`", source.name),
            )
            .with("source", source.name.as_str().into()));
        }
    }
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(read_event_id);

    // Subscriptions and slots together (so that neither a first answer nor a forgetting
    // falls between them), then the broadcast, then what the viewer has missed: every change
    // after that is in the receiver.
    relay.metrics.viewers.fetch_add(1, Ordering::Relaxed);
    relay.metrics.streams.fetch_add(1, Ordering::Relaxed);
    // Made first: a refusal below lets go of the subscriptions as a stream's end does.
    let leave = Leave {
        relay: relay.clone(),
        ids: watch.sources.clone(),
        _slot: slot,
    };
    let mut watched: Vec<Watched> = relay
        .watch(&watch.sources)
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay reads as many people as it is configured to for this source",
            )
        })?
        .into_iter()
        .map(|(index, slots)| Watched {
            index,
            name: relay.hub.name(index).unwrap_or_else(|| Arc::from("")),
            slots,
            pos: 0,
        })
        .collect();
    let rx = relay.hub.subscribe();
    // The epoch after subscribing: a switch from here on reaches the stream through `rx`. A
    // resume from another epoch (another relay, a restart, the other mode) is no resume.
    let epoch = relay.hub.epoch();
    let resume = last_event_id
        .filter(|(e, _)| e.as_deref() == Some(&*epoch))
        .map(|(_, positions)| positions)
        .unwrap_or_default();

    let mut snapshot = Vec::new();
    let mut full = Vec::new();
    let mut replays = Vec::new();
    let mut states = Vec::new();
    for w in &mut watched {
        if let Some(state) = relay.hub.state(w.index) {
            states.push(serde_json::from_str::<Value>(&state).unwrap_or(Value::Null));
        }
        let from = resume.get(&*w.name).copied();
        let added: Vec<u32> = watch
            .added
            .get(&w.index)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| relay.hub.slot(w.index, id))
                    .collect()
            })
            .unwrap_or_default();
        let kept: Vec<u32> = w
            .slots
            .iter()
            .copied()
            .filter(|s| !added.contains(s))
            .collect();
        let local = from.map(|from| (from, relay.hub.resume(w.index, from, &kept)));
        match local {
            Some((from, Resume::Replay(missed, head))) => {
                let (entries, _) = relay.hub.snapshot(w.index, &added);
                snapshot.extend(entries);
                w.pos = from;
                replays.push((w.index, missed, head));
            }
            // Past what this instance holds: the shared change log may hold it.
            Some((from, Resume::Snapshot))
                if relay
                    .shared
                    .as_ref()
                    .is_some_and(|shared| shared.serves(&epoch)) =>
            {
                let (entries, added_head) = relay.hub.snapshot(w.index, &added);
                let ids: Vec<&UserId> = watch
                    .sources
                    .iter()
                    .find(|(i, _)| *i == w.index)
                    .map(|(_, ids)| ids.iter().collect())
                    .unwrap_or_default();
                let new: Vec<&UserId> = watch
                    .added
                    .get(&w.index)
                    .map(|ids| ids.iter().collect())
                    .unwrap_or_default();
                let logged = match &relay.shared {
                    Some(shared) => shared.replay(w.index, from, &ids, &new, added_head).await,
                    None => None,
                };
                if let Some((missed, head)) = logged {
                    snapshot.extend(entries);
                    w.pos = from;
                    replays.push((w.index, missed, head));
                } else {
                    let (entries, head) = relay.hub.snapshot(w.index, &w.slots);
                    snapshot.extend(entries);
                    full.push(w.name.to_string());
                    w.pos = head;
                }
            }
            _ => {
                let (entries, head) = relay.hub.snapshot(w.index, &w.slots);
                snapshot.extend(entries);
                full.push(w.name.to_string());
                w.pos = head;
            }
        }
    }
    let by_source: HashMap<usize, usize> = watched
        .iter()
        .enumerate()
        .map(|(i, w)| (w.index, i))
        .collect();
    let mut reader = Reader {
        epoch,
        initial: VecDeque::new(),
        rx,
        by_source,
        watched,
        shutdown: relay.shutdown.clone(),
        // At the token's end as the check sees it (its leeway past `exp`), so that a token
        // just accepted does not end its stream at once.
        expires: viewer.expires_at.and_then(|exp| {
            let now = crate::upstream::now_ms() / 1000;
            let left = exp
                .saturating_add(relay.verifier.leeway_s())
                .saturating_sub(now);
            tokio::time::Instant::now().checked_add(Duration::from_secs(left))
        }),
        done: false,
        _leave: leave,
    };
    // The entries are JSON already: joined as they are, not parsed again.
    let mut data = String::from("{\"presences\":[");
    for (i, entry) in snapshot.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        data.push_str(entry);
    }
    data.push_str("],\"states\":");
    data.push_str(&Value::Array(states).to_string());
    data.push_str(",\"full\":");
    data.push_str(&json!(full).to_string());
    data.push('}');
    reader.initial.push_back(
        Event::default()
            .event("snapshot")
            .id(reader.id())
            .data(data),
    );
    for (index, missed, head) in replays {
        if let Some(i) = reader.by_source.get(&index).copied() {
            reader.replay(i, missed, head);
        }
    }
    tracing::debug!(
        viewer = viewer
            .claims
            .get("sub")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?"),
        sources = reader.watched.len(),
        resumed = !resume.is_empty(),
        "stream opened"
    );
    let events = stream::unfold(reader, |mut r| async move {
        let event = r.next().await?;
        Some((Ok::<Event, Infallible>(event), r))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HashMap<String, usize> {
        HashMap::from([("teams".to_owned(), 0), ("chat".to_owned(), 1)])
    }

    fn refusal(body: &str) -> (StatusCode, String) {
        let r = read_watch(body.as_bytes(), &names(), 3).unwrap_err();
        (r.status, r.body.to_string())
    }

    #[test]
    fn a_watch_names_sources_and_ids() {
        let w = read_watch(
            br#"{"sources": {"teams": ["b", "a", "a"], "chat": []}, "added": {"teams": ["b", "zz"]}}"#,
            &names(),
            3,
        )
        .unwrap();
        assert_eq!(
            w.sources,
            vec![(1, vec![]), (0, vec![UserId::new("a"), UserId::new("b")])]
        );
        assert_eq!(w.added.get(&0), Some(&vec![UserId::new("b")]));
    }

    #[test]
    fn bad_watches_say_what_is_wrong() {
        let (s, m) = refusal("nope");
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("not JSON"), "{m}");
        let (s, m) = refusal(r#"{"teams": []}"#);
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("sources: required"), "{m}");
        let (s, m) = refusal(r#"{"sources": {"teams": ["a", 7]}}"#);
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("sources.teams[1]"), "{m}");
        let (s, m) = refusal(r#"{"sources": {"teams": "a"}}"#);
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("sources.teams: expected an array"), "{m}");
        let (s, m) = refusal(r#"{"sources": {"mail": ["a"]}}"#);
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(m.contains("unknown source `mail`"), "{m}");
        let (s, m) = refusal(r#"{"sources": {"teams": ["a", "b"], "chat": ["c", "d"]}}"#);
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(m.contains("at most 3"), "{m}");
        let long = "x".repeat(MAX_ID_BYTES + 1);
        let (s, _) = refusal(&format!(r#"{{"sources": {{"teams": ["{long}"]}}}}"#));
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn event_ids_carry_every_source() {
        let (epoch, ids) = read_event_id("teams=1042;chat=77;junk;x=y;@=k3x9");
        assert_eq!(epoch.as_deref(), Some("k3x9"));
        assert_eq!(ids.get("teams"), Some(&1042));
        assert_eq!(ids.get("chat"), Some(&77));
        assert_eq!(ids.len(), 2);
        assert_eq!(read_event_id("teams=1").0, None);
    }
}
