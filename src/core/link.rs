//! A page's link to one presence-relay, sans-IO: the one stream (`POST /v1/stream`) that
//! carries every `relay` source of the page with that base URL. It owns the stream's life: the
//! watch set it asks for, `Last-Event-ID` and `added` on a resume, the relay's `retry:` hint,
//! the backoff while the relay cannot be reached, new credentials after a 401 or an `auth`
//! event, and a 403 or 404 that names one source (that source is refused, the others read on).
//!
//! The driver (the browser's `web::relay`, or a test) carries out its [`LinkEffect`]s and hands
//! back what happened, with the time: the answer's status, the body's chunks, its end or its
//! failure, and the timer it asked for ([`Link::next_timeout`]).
//!
//! ```
//! use presence_widgets::core::link::{Link, LinkEffect, News};
//! let mut link = Link::new("https://relay.test", 1);
//! link.handle_watch(vec![("teams".into(), vec!["ada".into()])], 0);
//! let Some(LinkEffect::Open { stream, request, .. }) = link.poll_effect() else { panic!() };
//! assert_eq!(request.url, "https://relay.test/v1/stream");
//! link.handle_opened(stream, 10);
//! let body = b"event: snapshot\nid: teams=3\ndata: {\"presences\":[],\"states\":[{\"source\":\"teams\",\"mode\":\"push\"}]}\n\n";
//! link.handle_chunk(stream, body, 20);
//! assert!(matches!(link.poll_effect(), Some(LinkEffect::News { news: News::Mode(_), .. })));
//! ```

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::error::PresenceError;
use super::http::HttpResponse;
use super::json::{Kind, Reader as JsonReader};
use super::model::UserId;
use super::providers::relay::{read_event, refusal, stream_request, Event, EventReader, CADENCE};
use super::reader::Mode;
use super::schedule::{backoff_ms, Jitter, Policy};
use super::tabs::Shared;

/// The wait before reopening a stream the relay ended, unless it says (`retry:`).
pub const RETRY_MS: u64 = 2_000;

/// The longest id the relay takes, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// An `auth` event this soon after the stream opened means the new token is no better: back off
/// instead of asking again at once.
pub const AUTH_GRACE_MS: u64 = 5_000;

/// A stream's number: effects and events of a stream that was replaced are told apart by it.
pub type StreamId = u32;

/// What a source's widgets learn from the link.
#[derive(Clone, Debug, PartialEq)]
pub enum News {
    /// These people's entries, as the relay has them (each one with a presence is confirmed
    /// at the time it arrived when the relay did not say).
    Entries(Vec<Shared>),
    /// How the relay learns of the source's changes.
    Mode(Mode),
    /// The relay has no such source, or this viewer may not read it: everyone shows why, and
    /// the source is left out of the stream.
    Refused(PresenceError),
    /// These ids cannot be asked of the relay (longer than it takes): each shows why.
    Rejected(Vec<(UserId, PresenceError)>),
}

/// What the link asks its driver to do.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkEffect {
    /// Send this stream request (`POST`, its body read as it arrives), with the credentials
    /// of a page source of `source`, asked anew when `renew` is set. Any other stream is over.
    Open {
        /// The stream's number, for what comes back.
        stream: StreamId,
        /// The request, without credentials.
        request: crate::core::HttpRequest,
        /// The relay source whose credentials to use.
        source: String,
        /// Ask the credentials again (the last ones were refused or expired).
        renew: bool,
    },
    /// Stop reading this stream (replaced, or nobody to watch).
    Close {
        /// The stream's number.
        stream: StreamId,
    },
    /// News for the widgets of the relay source `source`.
    News {
        /// The relay's name of the source.
        source: String,
        /// What they learn.
        news: News,
    },
    /// The stream could not be opened or broke: every source's widgets keep their presence,
    /// with why (until the next snapshot).
    Failed(PresenceError),
    /// Something left out, for the console (an event that could not be read).
    Note(String),
}

/// Where the stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No stream: nobody is watched.
    Idle,
    /// Asked to open; no answer yet.
    Opening,
    /// Open since this time; reading.
    Open(u64),
    /// Waiting for the timer to open again.
    Waiting(u64),
}

/// The link to one relay. See the [module](self).
#[derive(Debug)]
pub struct Link {
    base_url: String,
    /// Per relay source, every id the page shows (as the driver last said).
    watch: Vec<(String, Vec<UserId>)>,
    /// The sources the relay refused, with why.
    refused: Vec<(String, PresenceError)>,
    stream: StreamId,
    phase: Phase,
    /// The last event id read, where a resume starts.
    last_id: Option<String>,
    /// What the stream watches, per relay source, once its snapshot is in.
    sent: HashMap<String, BTreeSet<UserId>>,
    /// What the open stream asked for, until its snapshot is in.
    pending: Option<Vec<(String, Vec<UserId>)>>,
    events: EventReader,
    failures: u32,
    retry_ms: u64,
    /// The next open asks for new credentials.
    renew: bool,
    /// This round of opening already asked new credentials once.
    renewed: bool,
    jitter: Jitter,
    effects: VecDeque<LinkEffect>,
}

impl Link {
    /// A link to the relay at `base_url`, with jitter from `seed`.
    pub fn new(base_url: &str, seed: u64) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            watch: Vec::new(),
            refused: Vec::new(),
            stream: 0,
            phase: Phase::Idle,
            last_id: None,
            sent: HashMap::new(),
            pending: None,
            events: EventReader::new(),
            failures: 0,
            retry_ms: RETRY_MS,
            renew: false,
            renewed: false,
            jitter: Jitter::new(seed),
            effects: VecDeque::new(),
        }
    }

    /// The relay's base URL (no trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The stream being opened or read, if any.
    pub fn stream(&self) -> Option<StreamId> {
        matches!(self.phase, Phase::Opening | Phase::Open(_)).then_some(self.stream)
    }

    /// The next thing to do.
    pub fn poll_effect(&mut self) -> Option<LinkEffect> {
        self.effects.pop_front()
    }

    /// When to call [`Link::handle_timeout`], if ever.
    pub fn next_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Waiting(at) => Some(at),
            _ => None,
        }
    }

    /// The page's watch set (per relay source, every id shown; the whole set each time): when it
    /// changed, the stream is opened again for it, resuming where the last one was. The same set
    /// again changes nothing (a badge removed and added back in one task; the backoff goes on).
    pub fn handle_watch(&mut self, watch: Vec<(String, Vec<UserId>)>, now: u64) {
        let _ = now;
        if watch == self.watch && self.phase != Phase::Idle {
            return;
        }
        self.watch = watch;
        self.renewed = false;
        self.open();
    }

    /// The time has come for the timer asked for: the stream is opened again.
    pub fn handle_timeout(&mut self, now: u64) {
        if matches!(self.phase, Phase::Waiting(at) if at <= now) {
            self.renewed = false;
            self.open();
        }
    }

    /// Stream `stream` was answered 200: its body follows.
    pub fn handle_opened(&mut self, stream: StreamId, now: u64) {
        if self.is_current(stream) {
            self.phase = Phase::Open(now);
            self.events = EventReader::new();
        }
    }

    /// Stream `stream` was refused with `response` (any status but 200, with its body).
    pub fn handle_refused(&mut self, stream: StreamId, response: &HttpResponse, now: u64) {
        if !self.is_current(stream) {
            return;
        }
        let error = refusal(response);
        if response.status == 401 {
            return self.renew_or_fail(error, now);
        }
        // A source the relay does not have (404) or this viewer may not read (403): its widgets
        // show why, and the others are read without it.
        let source = match response.status {
            404 | 403 => refused_source(&response.body),
            _ => None,
        };
        match source {
            Some(source) if self.watch.iter().any(|(s, _)| *s == source) => {
                // Its widgets are told as the stream opens again without it.
                self.refused.push((source, error));
                self.open();
            }
            _ => self.fail(error, false, now),
        }
    }

    /// A chunk of stream `stream`'s body arrived.
    pub fn handle_chunk(&mut self, stream: StreamId, chunk: &[u8], now: u64) {
        if !self.is_current(stream) {
            return;
        }
        let Phase::Open(opened_at) = self.phase else {
            return;
        };
        let frames = match self.events.feed(chunk) {
            Ok(frames) => frames,
            Err(e) => {
                self.close();
                return self.fail(e, true, now);
            }
        };
        for frame in frames {
            if let Some(id) = &frame.id {
                self.last_id = Some(id.clone());
            }
            if let Some(ms) = frame.retry {
                self.retry_ms = ms.clamp(100, 60_000);
            }
            let event = match read_event(&frame) {
                Ok((event, _problems)) => event,
                Err(e) => {
                    self.effects.push_back(LinkEffect::Note(format!(
                        "presence-widgets: relay event left out: {e}"
                    )));
                    continue;
                }
            };
            if let Event::Auth(reason) = &event {
                let error = PresenceError::Config(format!("relay: {reason}"));
                self.close();
                if now.saturating_sub(opened_at) < AUTH_GRACE_MS {
                    // Right after opening, the new token is no better: back off.
                    self.renew = true;
                    return self.fail(error, false, now);
                }
                return self.renew_or_fail(error, now);
            }
            if matches!(event, Event::Snapshot { .. }) {
                // What this stream watches counts as sent once its snapshot is in: a stream
                // cut before it leaves them to the next one's `added`.
                if let Some(watch) = self.pending.take() {
                    self.sent = watch
                        .into_iter()
                        .map(|(source, ids)| (source, ids.into_iter().collect()))
                        .collect();
                }
                self.failures = 0;
            }
            self.dispatch(event, now);
        }
    }

    /// Stream `stream`'s body ended (the relay closed it: a slow reader, a restart): it is
    /// resumed after the relay's hint.
    pub fn handle_ended(&mut self, stream: StreamId, now: u64) {
        if self.is_current(stream) {
            self.phase = Phase::Waiting(now.saturating_add(self.retry_ms));
        }
    }

    /// Stream `stream` could not be sent or broke while read.
    pub fn handle_failed(&mut self, stream: StreamId, error: PresenceError, now: u64) {
        if !self.is_current(stream) {
            return;
        }
        // It was working (or never reached the relay): resumed soon the first time.
        let soon = !matches!(self.phase, Phase::Open(_)) || self.pending.is_none();
        self.fail(error, soon, now);
    }

    /// The credentials for stream `stream` could not be had.
    pub fn handle_no_credentials(&mut self, stream: StreamId, error: PresenceError, now: u64) {
        if self.is_current(stream) {
            self.fail(error, false, now);
        }
    }

    fn is_current(&self, stream: StreamId) -> bool {
        stream == self.stream && matches!(self.phase, Phase::Opening | Phase::Open(_))
    }

    fn news(&mut self, source: String, news: News) {
        self.effects.push_back(LinkEffect::News { source, news });
    }

    /// Ends the stream being opened or read.
    fn close(&mut self) {
        if matches!(self.phase, Phase::Opening | Phase::Open(_)) {
            self.effects.push_back(LinkEffect::Close {
                stream: self.stream,
            });
        }
        self.phase = Phase::Idle;
    }

    /// The token expired or was refused: once more at once, with new credentials; refused
    /// again, the backoff, with new credentials next time too.
    fn renew_or_fail(&mut self, error: PresenceError, now: u64) {
        self.renew = true;
        if self.renewed {
            self.close();
            self.fail(error, false, now);
        } else {
            self.open();
        }
    }

    /// Opens the stream for the whole watch set, ending the one before.
    fn open(&mut self) {
        self.close();
        let watch = self.watch_set();
        if watch.is_empty() {
            // Nobody shown: no stream.
            self.sent.clear();
            self.pending = None;
            return;
        }
        let added: Vec<(String, Vec<UserId>)> = if self.last_id.is_some() {
            watch
                .iter()
                .map(|(source, ids)| {
                    let had = self.sent.get(source);
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
        let request = stream_request(&self.base_url, &watch, &added, self.last_id.as_deref());
        let renew = std::mem::take(&mut self.renew);
        self.renewed |= renew;
        self.stream = self.stream.wrapping_add(1);
        self.phase = Phase::Opening;
        let source = watch.first().map(|(s, _)| s.clone()).unwrap_or_default();
        self.pending = Some(watch);
        self.effects.push_back(LinkEffect::Open {
            stream: self.stream,
            request,
            source,
            renew,
        });
    }

    /// The watch set to ask for: per source the relay did not refuse, its ids the relay takes.
    /// A refused source's widgets, and each id too long, are told why here, so that it costs
    /// that source or person only.
    fn watch_set(&mut self) -> Vec<(String, Vec<UserId>)> {
        let mut watch = Vec::new();
        for (source, ids) in self.watch.clone() {
            if let Some((_, error)) = self.refused.iter().find(|(s, _)| *s == source) {
                let error = error.clone();
                self.news(source, News::Refused(error));
                continue;
            }
            let (ids, too_long): (Vec<UserId>, Vec<UserId>) = ids
                .into_iter()
                .partition(|id| id.as_str().trim().len() <= MAX_ID_BYTES);
            if !too_long.is_empty() {
                let rejected = too_long
                    .into_iter()
                    .map(|id| {
                        let error = PresenceError::Config(format!(
                            "relay: an id of at most {MAX_ID_BYTES} bytes, not one of {}",
                            id.as_str().len()
                        ));
                        (id, error)
                    })
                    .collect();
                self.news(source.clone(), News::Rejected(rejected));
            }
            if !ids.is_empty() {
                watch.push((source, ids));
            }
        }
        watch
    }

    /// The stream could not be opened or broke: everyone keeps their presence with why, and it
    /// is tried again with backoff (`soon`: after the relay's hint, for a stream that was
    /// working, the first time).
    fn fail(&mut self, error: PresenceError, soon: bool, now: u64) {
        self.failures = self.failures.saturating_add(1);
        self.effects.push_back(LinkEffect::Failed(error.clone()));
        // Everyone now shows the failure: the next stream starts with a whole snapshot, which
        // clears it from the people who did not change meanwhile.
        self.last_id = None;
        self.sent.clear();
        self.pending = None;
        let backoff = backoff_ms(&Policy::new(CADENCE), self.failures, self.jitter.draw());
        let asked = error.retry().map_or(0, |r| r.delay_from(now));
        let delay = if soon && self.failures <= 1 {
            self.retry_ms
        } else {
            backoff
        }
        .max(asked);
        self.phase = Phase::Waiting(now.saturating_add(delay));
    }

    /// Gives an event's news to the sources it concerns.
    fn dispatch(&mut self, event: Event, now: u64) {
        let confirmed = |mut entry: Shared| {
            if entry.presence.is_some() && entry.confirmed_ms.is_none() {
                entry.confirmed_ms = Some(now);
            }
            entry
        };
        match event {
            Event::Snapshot { entries, states } => {
                for state in states {
                    self.state(state.source, state.push, state.reason);
                }
                let mut by_source: Vec<(String, Vec<Shared>)> = Vec::new();
                for (source, entry) in entries {
                    let entry = confirmed(entry);
                    match by_source.iter_mut().find(|(s, _)| *s == source) {
                        Some((_, all)) => all.push(entry),
                        None => by_source.push((source, vec![entry])),
                    }
                }
                for (source, entries) in by_source {
                    self.news(source, News::Entries(entries));
                }
            }
            Event::Presence(source, entry) => {
                self.news(source, News::Entries(vec![confirmed(*entry)]));
            }
            Event::State(state) => self.state(state.source, state.push, state.reason),
            Event::Auth(_) | Event::Other => {}
        }
    }

    fn state(&mut self, source: String, push: bool, reason: Option<String>) {
        let mode = if push {
            Mode::Push
        } else {
            Mode::Poll(Some(reason.unwrap_or_else(|| "polled by the relay".into())))
        };
        self.news(source, News::Mode(mode));
    }
}

/// The source a 404 or 403 names (`{"error", "source"}`).
fn refused_source(body: &str) -> Option<String> {
    let mut r = JsonReader::new(body);
    if r.kind() != Some(Kind::Object) || r.object().is_err() {
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
