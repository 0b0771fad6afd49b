//! I/O only: the page's one stream from each presence-relay. Every `relay` source of the page
//! with the same base URL shares it (HTTP/1.1 allows six connections per host across all tabs).
//! The stream is `fetch` of `POST /v1/stream` (the token in `Authorization`, never in the URL),
//! its body read as it arrives and parsed by the core (`core::providers::relay`). A change of
//! the watch set reopens it once per task with `Last-Event-ID`, naming the people added, so
//! nothing is lost; an `auth` event or a 401 asks the credentials again; a stream that ends is
//! reopened after the relay's retry hint, with backoff while it cannot be reached.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::rc::{Rc, Weak};

use gloo_net::http::{Headers, Method, RequestBuilder};
use gloo_timers::callback::Timeout;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestCredentials};

use super::store::{Mode, Store, WeakStore};
use super::transport::describe;
use crate::core::providers::relay::{
    read_event, refusal, stream_request, Event, EventReader, SourceState,
};
use crate::core::schedule::{backoff_ms, Cadence, Policy};
use crate::core::tabs::Shared;
use crate::core::{Credentials, PresenceError, ProviderKind, UserId};

thread_local! {
    static LINKS: RefCell<Vec<Weak<Link>>> = const { RefCell::new(Vec::new()) };
}

/// The wait before reopening a stream the relay ended, unless it says (`retry:`).
const RETRY_MS: u64 = 2_000;

/// The longest id the relay takes, in bytes.
const MAX_ID_BYTES: usize = 256;

/// How one stream ended.
enum Outcome {
    /// Superseded by a newer stream, or nobody to watch.
    Closed,
    /// The relay ended it: resume.
    Ended,
    /// The token expired or was refused: new credentials.
    Renew(PresenceError),
    /// It could not open or broke (`true`: it was working, so resume soon).
    Failed(PresenceError, bool),
}

/// The source a 404 or 403 names (`{"error", "source"}`).
fn refused_source(body: &str) -> Option<String> {
    let mut r = crate::core::json::Reader::new(body);
    if r.kind() != Some(crate::core::json::Kind::Object) || r.object().is_err() {
        return None;
    }
    while let Ok(Some(key)) = r.key() {
        if key == "source" {
            return r.lenient_string().ok().flatten().map(|v| v.into_owned());
        }
        if r.skip().is_err() {
            return None;
        }
    }
    None
}

/// One relay's stream, shared by the page's sources that read it.
pub(crate) struct Link {
    base_url: String,
    members: RefCell<Vec<WeakStore>>,
    /// Bumped by every (re)open: a reader of an older stream stops.
    generation: Cell<u32>,
    scheduled: Cell<bool>,
    last_id: RefCell<Option<String>>,
    /// What the open stream watches, per relay source.
    sent: RefCell<HashMap<String, BTreeSet<UserId>>>,
    controller: RefCell<Option<AbortController>>,
    failures: Cell<u32>,
    retry_ms: Cell<u64>,
    renew: Cell<bool>,
    timer: RefCell<Option<Timeout>>,
}

/// Joins `store` to the stream of its relay, made when it is the first.
pub(crate) fn join(store: &Store) -> Rc<Link> {
    let base = store.base_url().trim_end_matches('/').to_owned();
    LINKS.with(|links| {
        let mut links = links.borrow_mut();
        links.retain(|l| l.strong_count() > 0);
        let link = links
            .iter()
            .filter_map(Weak::upgrade)
            .find(|l| l.base_url == base)
            .unwrap_or_else(|| {
                let link = Rc::new(Link {
                    base_url: base,
                    members: RefCell::new(Vec::new()),
                    generation: Cell::new(0),
                    scheduled: Cell::new(false),
                    last_id: RefCell::new(None),
                    sent: RefCell::new(HashMap::new()),
                    controller: RefCell::new(None),
                    failures: Cell::new(0),
                    retry_ms: Cell::new(RETRY_MS),
                    renew: Cell::new(false),
                    timer: RefCell::new(None),
                });
                links.push(Rc::downgrade(&link));
                link
            });
        link.members.borrow_mut().push(store.downgrade());
        link
    })
}

impl Link {
    /// The watch set changed: reopen once this task is over (so that every badge added in it
    /// costs one reopen).
    pub(crate) fn changed(self: &Rc<Self>) {
        if self.scheduled.replace(true) {
            return;
        }
        let link = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            link.scheduled.set(false);
            link.open().await;
        });
    }

    fn stores(&self) -> Vec<Store> {
        let mut members = self.members.borrow_mut();
        members.retain(|m| m.upgrade().is_some());
        members.iter().filter_map(WeakStore::upgrade).collect()
    }

    fn store_of(&self, source: &str) -> Vec<Store> {
        self.stores()
            .into_iter()
            .filter(|s| s.relay_source() == source)
            .collect()
    }

    /// Opens the stream for the whole watch set, ending the one before, and reads it; opens
    /// it again at once after an `auth` event or a first 401, with the credentials asked again.
    async fn open(self: Rc<Self>) {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        self.timer.borrow_mut().take();
        if let Some(c) = self.controller.borrow_mut().take() {
            c.abort();
        }
        let mut renewed = false;
        loop {
            let renew = self.renew.replace(false);
            renewed |= renew;
            let outcome = self.attempt(generation, renew).await;
            if self.generation.get() != generation {
                return;
            }
            match outcome {
                Outcome::Closed => return,
                // The relay ended the stream (a slow reader, a restart): resume after its hint.
                Outcome::Ended => return self.reopen_in(self.retry_ms.get()),
                // The token expired or was refused: once more at once, with new credentials;
                // refused again, the backoff, with new credentials next time too.
                Outcome::Renew(_) if !renewed => self.renew.set(true),
                Outcome::Renew(error) => {
                    self.renew.set(true);
                    return self.failed(generation, error, false);
                }
                Outcome::Failed(error, soon) => return self.failed(generation, error, soon),
            }
        }
    }

    /// The watch set: per relay source, every id its stores show, each once. An id the relay
    /// would refuse (longer than it takes) shows its error here and is left out, so that it
    /// costs that person only; so is a source the relay refused.
    fn watch_set(&self, stores: &[Store]) -> Vec<(String, Vec<UserId>)> {
        let mut watch: Vec<(String, Vec<UserId>)> = Vec::new();
        for store in stores {
            if store.relay_refused() {
                store.relay_show_refusal();
                continue;
            }
            let source = store.relay_source();
            let (ids, too_long): (Vec<UserId>, Vec<UserId>) = store
                .ids()
                .into_iter()
                .partition(|id| id.as_str().trim().len() <= MAX_ID_BYTES);
            store.relay_reject(&too_long, MAX_ID_BYTES);
            match watch.iter_mut().find(|(s, _)| *s == source) {
                Some((_, all)) => {
                    all.extend(ids);
                    all.sort_unstable();
                    all.dedup();
                }
                None => watch.push((source, ids)),
            }
        }
        watch.retain(|(_, ids)| !ids.is_empty());
        watch
    }

    /// One stream, from the request to its end.
    async fn attempt(self: &Rc<Self>, generation: u32, renew: bool) -> Outcome {
        loop {
            let stores = self.stores();
            let watch = self.watch_set(&stores);
            if watch.is_empty() {
                // Nobody shown: no stream.
                self.sent.borrow_mut().clear();
                return Outcome::Closed;
            }
            let last_id = self.last_id.borrow().clone();
            let added: Vec<(String, Vec<UserId>)> = if last_id.is_some() {
                let sent = self.sent.borrow();
                watch
                    .iter()
                    .map(|(source, ids)| {
                        let had = sent.get(source);
                        let new = ids
                            .iter()
                            .filter(|id| !had.is_some_and(|h| h.contains(*id)))
                            .cloned()
                            .collect();
                        (source.clone(), new)
                    })
                    .filter(|(_, ids): &(String, Vec<UserId>)| !ids.is_empty())
                    .collect()
            } else {
                Vec::new()
            };
            let Some(first) = stores.iter().find(|s| !s.relay_refused()) else {
                return Outcome::Closed;
            };
            let credentials = match first.relay_credentials(renew).await {
                Ok(c) => c,
                Err(e) => return Outcome::Failed(e, false),
            };
            if self.generation.get() != generation {
                return Outcome::Closed;
            }
            let request = stream_request(&self.base_url, &watch, &added, last_id.as_deref());
            let controller = AbortController::new().ok();
            *self.controller.borrow_mut() = controller.clone();
            let response = match send(&request, credentials.as_ref(), controller.as_ref()).await {
                Ok(r) => r,
                Err(e) => return Outcome::Failed(e, true),
            };
            if self.generation.get() != generation {
                return Outcome::Closed;
            }
            let status = response.status();
            if status == 200 {
                return self.read(generation, response, watch).await;
            }
            let body = response.text().await.unwrap_or_default();
            let answer = crate::core::HttpResponse {
                status,
                headers: response.headers().entries().collect(),
                body,
                requested_at_ms: None,
            };
            let error = refusal(&answer);
            if status == 401 {
                return Outcome::Renew(error);
            }
            // A source the relay does not have (404) or this viewer may not read (403): its
            // widgets show why, and the others are read without it.
            let refused: Vec<Store> = match (status, refused_source(&answer.body)) {
                (404 | 403, Some(source)) => self.store_of(&source),
                _ => Vec::new(),
            };
            if refused.is_empty() {
                return Outcome::Failed(error, false);
            }
            for store in refused {
                store.relay_refuse(error.clone());
            }
        }
    }

    /// Reads an open stream to its end.
    async fn read(
        self: &Rc<Self>,
        generation: u32,
        response: gloo_net::http::Response,
        watch: Vec<(String, Vec<UserId>)>,
    ) -> Outcome {
        let Some(body) = response.body() else {
            return Outcome::Failed(network("the relay's answer has no body"), true);
        };
        let Ok(reader) = body.get_reader().dyn_into::<ReadableStreamDefaultReader>() else {
            return Outcome::Failed(network("the relay's stream cannot be read"), true);
        };
        let opened_at = super::transport::now_ms();
        let mut events = EventReader::new();
        let mut pending = Some(watch);
        loop {
            let read = match JsFuture::from(reader.read()).await {
                Ok(r) => r,
                Err(e) => return Outcome::Failed(network(&describe(&e)), pending.is_none()),
            };
            if self.generation.get() != generation {
                let _ = reader.cancel();
                return Outcome::Closed;
            }
            if Reflect::get(&read, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true)
            {
                return Outcome::Ended;
            }
            let chunk = Reflect::get(&read, &JsValue::from_str("value"))
                .ok()
                .map(|v| Uint8Array::new(&v).to_vec())
                .unwrap_or_default();
            let frames = match events.feed(&chunk) {
                Ok(f) => f,
                Err(e) => {
                    let _ = reader.cancel();
                    return Outcome::Failed(e, true);
                }
            };
            for frame in frames {
                if let Some(id) = &frame.id {
                    *self.last_id.borrow_mut() = Some(id.clone());
                }
                if let Some(ms) = frame.retry {
                    self.retry_ms.set(ms.clamp(100, 60_000));
                }
                let event = match read_event(&frame) {
                    Ok((event, _problems)) => event,
                    Err(e) => {
                        warn(&format!("presence-widgets: relay event left out: {e}"));
                        continue;
                    }
                };
                if let Event::Auth(reason) = &event {
                    let _ = reader.cancel();
                    let error = PresenceError::Config(format!("relay: {reason}"));
                    // Right after opening, the new token is no better: back off.
                    if super::transport::now_ms().saturating_sub(opened_at) < 5_000 {
                        self.renew.set(true);
                        return Outcome::Failed(error, false);
                    }
                    return Outcome::Renew(error);
                }
                if matches!(event, Event::Snapshot { .. }) {
                    // What this stream watches counts as sent once its snapshot is in: a
                    // stream cut before it leaves them to the next one's `added`.
                    if let Some(watch) = pending.take() {
                        *self.sent.borrow_mut() = watch
                            .into_iter()
                            .map(|(source, ids)| (source, ids.into_iter().collect()))
                            .collect();
                    }
                    self.failures.set(0);
                }
                self.dispatch(event);
            }
        }
    }

    /// Gives an event to the stores it concerns.
    fn dispatch(&self, event: Event) {
        match event {
            Event::Snapshot { entries, states } => {
                let mut by_source: HashMap<String, Vec<Shared>> = HashMap::new();
                for (source, entry) in entries {
                    by_source.entry(source).or_default().push(entry);
                }
                for state in states {
                    self.state(&state);
                }
                for (source, entries) in by_source {
                    for store in self.store_of(&source) {
                        store.take_relayed(entries.clone());
                    }
                }
            }
            Event::Presence(source, entry) => {
                for store in self.store_of(&source) {
                    store.take_relayed(vec![(*entry).clone()]);
                }
            }
            Event::State(state) => self.state(&state),
            Event::Auth(_) | Event::Other => {}
        }
    }

    fn state(&self, state: &SourceState) {
        let mode = if state.push {
            Mode::Push
        } else {
            Mode::Poll(Some(
                state
                    .reason
                    .clone()
                    .unwrap_or_else(|| "polled by the relay".into()),
            ))
        };
        for store in self.store_of(&state.source) {
            store.relay_mode(mode.clone());
        }
    }

    /// The stream could not be opened or broke: everyone keeps their presence with why, and it
    /// is tried again with backoff (`soon`: the relay's hint, for a stream that was working).
    fn failed(self: &Rc<Self>, generation: u32, error: PresenceError, soon: bool) {
        if self.generation.get() != generation {
            return;
        }
        let failures = self.failures.get().saturating_add(1);
        self.failures.set(failures);
        for store in self.stores() {
            store.relay_failed(error.clone());
        }
        // Everyone now shows the failure: the next stream starts with a whole snapshot, which
        // clears it from the people who did not change meanwhile.
        self.last_id.borrow_mut().take();
        self.sent.borrow_mut().clear();
        let policy = Policy::new(Cadence {
            interval_ms: 30_000,
            floor_ms: 1_000,
        });
        let random = u64::from(generation).wrapping_mul(2_654_435_761);
        let backoff = backoff_ms(&policy, failures, random);
        let asked = error
            .retry()
            .map_or(0, |r| r.delay_from(super::transport::now_ms()));
        let delay = if soon && failures <= 1 {
            self.retry_ms.get()
        } else {
            backoff
        }
        .max(asked);
        self.reopen_in(delay);
    }

    fn reopen_in(self: &Rc<Self>, ms: u64) {
        let weak = Rc::downgrade(self);
        let ms = u32::try_from(ms).unwrap_or(u32::MAX);
        let timer = Timeout::new(ms, move || {
            if let Some(link) = weak.upgrade() {
                link.changed();
            }
        });
        *self.timer.borrow_mut() = Some(timer);
    }
}

fn network(message: &str) -> PresenceError {
    PresenceError::Network {
        provider: ProviderKind::Relay,
        message: message.to_owned(),
    }
}

fn warn(text: &str) {
    web_sys::console::warn_1(&JsValue::from_str(text));
}

/// Sends the stream request; the answer's body is read as it arrives.
async fn send(
    request: &crate::core::HttpRequest,
    credentials: Option<&Credentials>,
    controller: Option<&AbortController>,
) -> Result<gloo_net::http::Response, PresenceError> {
    let headers = web_sys::Headers::new().map_err(|e| network(&describe(&e)))?;
    let auth = credentials.map(Credentials::headers).unwrap_or_default();
    for (name, value) in request.headers.iter().chain(auth.iter()) {
        headers.append(name, value).map_err(|_| {
            // Never echo the value: it may be a token.
            PresenceError::Config(format!("relay: the browser refused the {name} header"))
        })?;
    }
    let builder = RequestBuilder::new(&request.url)
        .method(Method::POST)
        .headers(Headers::from_raw(headers))
        .credentials(RequestCredentials::Omit)
        .abort_signal(controller.map(AbortController::signal).as_ref());
    let built = builder
        .body(request.body.clone().unwrap_or_default())
        .map_err(|e| network(&e.to_string()))?;
    built.send().await.map_err(|e| network(&e.to_string()))
}
