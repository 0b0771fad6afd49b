//! Push, natively: one source's push session (Rocket.Chat's DDP, Genesys Cloud's notification
//! channels, the core's sans-IO [`PushSession`]s) driven over tokio-tungstenite, inside the
//! source's reader task, as the browser store drives it over the page's WebSockets.
//!
//! The reader ([`crate::upstream::run`]) owns one [`Push`]. Once it has read the people watched
//! (a snapshot first, then push), [`Push::start`] asks the adapter for its session, gives it
//! everyone watched and starts it. Then the session says what to do ([`Action`]):
//!
//! - `Open`, `Send`, `Close`: a task per socket ([`socket`]) connects, writes the frames it is
//!   given, and reports what it reads and how it ends;
//! - `Request`: sent upstream in a task of its own, with the source's credentials
//!   ([`Upstream::send`]); the answer goes back to the session;
//! - `Presences`: taken by the registry ([`Registry::push`](presence_widgets::core::Registry::push))
//!   and published, each changed entry with mode `push`;
//! - `Subscribed`: the source is pushed (state mode `push`); those people are read once by REST,
//!   the snapshot the services do not send;
//! - `Unpushed`: the service will not push those people: they keep being polled at the interval;
//! - `Renew`: the credentials again (the static ones, or a fresh OAuth token);
//! - `Failed`: every socket is closed, the source polls everyone at once (state mode `poll`,
//!   with the reason, not stale), and a new session is tried later, backing off
//!   ([`backoff_ms`]; a failure after a minute live starts the backoff over).
//!
//! Everything the socket and request tasks report comes back to the reader through one channel,
//! tagged with the session it belongs to, so that a late report of a session given up is
//! dropped. Viewers' watch changes reach the session through [`Source::watch_changed`]. While
//! pushed, the reader polls only the people push cannot cover and reads everyone again every
//! `reconcile_ms` (five minutes), which heals a change the socket missed. A token never reaches a
//! log: frames are never logged, and the sessions' `Debug` shows none.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use presence_widgets::core::push::{Action, PushSession, SocketId};
use presence_widgets::core::schedule::{backoff_ms, Policy};
use presence_widgets::core::{Credentials, HttpRequest, HttpResponse, PresenceError, UserId};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;

use crate::upstream::Sink;
use crate::upstream::{now_ms, publish, Source, Upstream};

/// How long a socket may take to connect.
const CONNECT_WITHIN: Duration = Duration::from_secs(15);

/// The largest frame a socket reads: the services' notifications are a few kilobytes.
const MAX_FRAME_BYTES: usize = 1 << 20;

/// A session live this long before it fails starts the backoff over.
const LIVE_FOR_A_WHILE_MS: u64 = 60_000;

/// What the tasks of a session report to the reader.
#[derive(Debug)]
pub(crate) enum Event {
    /// A socket opened.
    Opened(SocketId),
    /// A text frame arrived (its text is never logged: a frame may hold a token).
    Frame(SocketId, String),
    /// A socket closed, or could not open, with its close code.
    Closed(SocketId, u16),
    /// The answer to one of the session's requests (boxed: frames, far more common, stay small).
    Answer(Box<(HttpRequest, Result<HttpResponse, PresenceError>)>),
    /// Credentials asked for by `Renew`.
    Credentials(Result<Credentials, PresenceError>),
}

/// An event and the generation of the session it belongs to.
pub(crate) type Tagged = (u32, Event);

/// What a socket's task is told.
#[derive(Debug)]
enum Command {
    Send(String),
    Close(u16),
}

/// A live session and the sockets it holds open. Dropping it closes them.
struct Driver {
    session: Box<dyn PushSession>,
    generation: u32,
    sockets: HashMap<SocketId, mpsc::UnboundedSender<Command>>,
    /// When the session wants its timer.
    timer: Option<Instant>,
}

/// One source's push: the session while there is one, and what the reader needs to know of it.
pub(crate) struct Push {
    source: Arc<Source>,
    upstream: Upstream,
    hub: Sink,
    /// The source may push (its configuration, and its adapter has a session).
    enabled: bool,
    driver: Option<Driver>,
    generation: u32,
    tx: mpsc::UnboundedSender<Tagged>,
    /// The service pushes to this source now (a subscription is live).
    pushed: bool,
    /// Why the source is polled although it may push.
    reason: Option<String>,
    /// Push failures in a row, for the backoff.
    failures: u32,
    live_since: Option<u64>,
    /// When a new session may be tried.
    retry_at: Option<Instant>,
    /// Set when push failed: the reader polls everyone now.
    fell_back: bool,
    /// People the service will not push: polled at the interval.
    unpushed: Vec<UserId>,
    /// People to read once by REST (their changes are pushed from now on).
    snapshot: Vec<UserId>,
    /// When everyone was last read, in milliseconds since the epoch.
    last_full_poll: u64,
    policy: Policy,
    random: u64,
}

impl Push {
    /// The push of `source`, and the receiver of what its tasks report (for the reader's loop).
    pub(crate) fn new(
        source: Arc<Source>,
        upstream: Upstream,
        hub: Sink,
    ) -> (Self, mpsc::UnboundedReceiver<Tagged>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (policy, pushes) = {
            let registry = source.registry();
            let adapter = registry.adapter();
            // A provider that pushes has a session (or a reason it has none without credentials).
            (
                Policy::new(adapter.cadence()),
                adapter.push(None, 0).is_some(),
            )
        };
        let push = Self {
            enabled: source.push && pushes,
            source,
            upstream,
            hub,
            driver: None,
            generation: 0,
            tx,
            pushed: false,
            reason: None,
            failures: 0,
            live_since: None,
            retry_at: None,
            fell_back: false,
            unpushed: Vec::new(),
            snapshot: Vec::new(),
            last_full_poll: 0,
            policy,
            random: now_ms() | 1,
        };
        (push, rx)
    }

    /// Whether the service pushes to this source now.
    pub(crate) fn pushed(&self) -> bool {
        self.pushed
    }

    /// The mode entries and the source's state say: `push` or `poll`.
    pub(crate) fn mode(&self) -> &'static str {
        if self.pushed {
            "push"
        } else {
            "poll"
        }
    }

    /// Why the source is polled although it may push (connecting, or why push failed).
    pub(crate) fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The people polled at the interval while the others are pushed.
    pub(crate) fn unpushed(&self) -> &[UserId] {
        &self.unpushed
    }

    /// When the session wants its timer.
    pub(crate) fn timer(&self) -> Option<Instant> {
        self.driver.as_ref().and_then(|d| d.timer)
    }

    /// When a new session is to be tried.
    pub(crate) fn retry_at(&self) -> Option<Instant> {
        if self.driver.is_some() || !self.enabled {
            return None;
        }
        self.retry_at
    }

    /// Whether push failed since the last call: everyone is to be polled now.
    pub(crate) fn take_fell_back(&mut self) -> bool {
        std::mem::take(&mut self.fell_back)
    }

    /// The people to read once by REST now.
    pub(crate) fn take_snapshot(&mut self) -> Vec<UserId> {
        std::mem::take(&mut self.snapshot)
    }

    /// These requests read their people now: no snapshot of them is needed after.
    pub(crate) fn reading(&mut self, requests: &[HttpRequest]) {
        if self.snapshot.is_empty() {
            return;
        }
        let read: HashSet<&UserId> = requests.iter().flat_map(|r| r.ids.iter()).collect();
        self.snapshot.retain(|id| !read.contains(id));
    }

    /// Whether the next poll is the reconciliation round (everyone is read).
    pub(crate) fn reconcile_due(&self, now: u64) -> bool {
        now.saturating_sub(self.last_full_poll) >= self.source.reconcile_ms.saturating_sub(1_000)
    }

    /// Everyone is read now.
    pub(crate) fn full_poll(&mut self, now: u64) {
        self.last_full_poll = now;
    }

    /// While pushed, the time to the next poll: the reconciliation round, or the interval while
    /// some people cannot be pushed.
    pub(crate) fn delay_while_pushed(&self, now: u64, interval_ms: u64) -> u64 {
        let reconcile = self
            .last_full_poll
            .saturating_add(self.source.reconcile_ms)
            .saturating_sub(now);
        if self.unpushed.is_empty() {
            reconcile
        } else {
            reconcile.min(interval_ms)
        }
    }

    /// Who came and went among the people watched.
    pub(crate) fn watch(&mut self, added: &[UserId], removed: &[UserId]) {
        if !removed.is_empty() {
            let gone: HashSet<&UserId> = removed.iter().collect();
            self.unpushed.retain(|id| !gone.contains(id));
            self.snapshot.retain(|id| !gone.contains(id));
        }
        if added.is_empty() && removed.is_empty() {
            return;
        }
        let Some(driver) = self.driver.as_mut() else {
            return;
        };
        driver.session.watch(added, removed, now_ms());
        self.run();
    }

    /// Nobody is watched: no socket, no channel, no retry.
    pub(crate) fn idle(&mut self) {
        if self.driver.take().is_some() {
            tracing::info!(source = %self.source.name, "nobody watched: push closed");
        }
        self.pushed = false;
        self.reason = None;
        self.retry_at = None;
        self.live_since = None;
        self.unpushed.clear();
        self.snapshot.clear();
    }

    /// Starts a session when the source may push, has none, is watched and is not waiting to
    /// retry.
    pub(crate) async fn start(&mut self) {
        if !self.enabled
            || self.driver.is_some()
            || self.retry_at.is_some_and(|at| Instant::now() < at)
        {
            return;
        }
        let credentials = self.upstream.credentials(&self.source).await;
        let credentials = match credentials {
            Ok(c) => c,
            Err(e) => return self.fail(e, false),
        };
        let now = now_ms();
        let made = self
            .source
            .registry()
            .adapter()
            .push(Some(&credentials), now);
        let mut session = match made {
            None => {
                // This provider pushes nothing: the source polls.
                self.enabled = false;
                return;
            }
            Some(Err(e)) => return self.fail(e, false),
            Some(Ok(session)) => session,
        };
        self.generation = self.generation.wrapping_add(1);
        self.counters_sessions();
        let ids = self.source.registry().ids();
        session.watch(&ids, &[], now);
        session.start(now);
        self.retry_at = None;
        if !self.pushed {
            self.reason = Some("connecting to the service's push".into());
        }
        tracing::info!(source = %self.source.name, people = ids.len(), "push starting");
        self.driver = Some(Driver {
            session,
            generation: self.generation,
            sockets: HashMap::new(),
            timer: None,
        });
        self.run();
    }

    fn counters_sessions(&self) {
        self.source
            .counters
            .push_sessions
            .fetch_add(1, Ordering::Relaxed);
    }

    /// What a task of a session reported.
    pub(crate) fn event(&mut self, (generation, event): Tagged) {
        let Some(driver) = self.driver.as_mut().filter(|d| d.generation == generation) else {
            return;
        };
        let now = now_ms();
        match event {
            Event::Opened(socket) => driver.session.opened(socket, now),
            Event::Frame(socket, text) => {
                self.source
                    .counters
                    .push_frames
                    .fetch_add(1, Ordering::Relaxed);
                driver.session.frame(socket, &text, now);
            }
            Event::Closed(socket, code) => {
                driver.sockets.remove(&socket);
                driver.session.closed(socket, code, now);
            }
            Event::Answer(answered) => {
                let (request, answer) = *answered;
                driver.session.answer(&request, answer, now);
            }
            Event::Credentials(Ok(credentials)) => driver.session.credentials(&credentials, now),
            Event::Credentials(Err(e)) => return self.fail(e, false),
        }
        self.run();
    }

    /// The session's timer ran out.
    pub(crate) fn timeout(&mut self) {
        let Some(driver) = self.driver.as_mut() else {
            return;
        };
        driver.timer = None;
        driver.session.timeout(now_ms());
        self.run();
    }

    /// A poll's answer says the service pushes nothing now (Rocket.Chat's presence broadcast is
    /// off): push stops, and is tried again no sooner than the reconciliation round.
    pub(crate) fn push_off(&mut self, why: String) {
        if !self.enabled {
            return;
        }
        let error = PresenceError::Network {
            provider: self.source.kind,
            message: why,
        };
        self.fail(error, true);
    }

    /// Push failed: everything is closed, everyone is polled now, and push is tried again
    /// later; with `for_long`, no sooner than the reconciliation round.
    fn fail(&mut self, error: PresenceError, for_long: bool) {
        let had_session = self.driver.take().is_some();
        self.unpushed.clear();
        self.snapshot.clear();
        let now = now_ms();
        if self
            .live_since
            .take()
            .is_some_and(|since| now.saturating_sub(since) >= LIVE_FOR_A_WHILE_MS)
        {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        let mut delay = backoff_ms(&self.policy, self.failures, self.random);
        if for_long {
            delay = delay.max(self.source.reconcile_ms);
        }
        let reason = error.to_string();
        if had_session || self.pushed {
            tracing::warn!(source = %self.source.name, %reason, retry_ms = delay, "push failed: polling");
            // Whatever changed while push failed is seen by a full read now.
            self.fell_back = true;
        }
        self.pushed = false;
        self.reason = Some(reason);
        self.retry_at = Some(Instant::now() + Duration::from_millis(delay));
    }

    /// Carries out the session's actions, then sets its timer.
    fn run(&mut self) {
        loop {
            let Some(driver) = self.driver.as_mut() else {
                return;
            };
            let Some(action) = driver.session.poll_action() else {
                break;
            };
            let now = now_ms();
            match action {
                Action::Open { socket: id, url } => {
                    let (commands, rx) = mpsc::unbounded_channel();
                    driver.sockets.insert(id, commands);
                    tokio::spawn(socket(url, id, driver.generation, rx, self.tx.clone()));
                }
                Action::Send { socket, text } => {
                    let sent = driver
                        .sockets
                        .get(&socket)
                        .is_some_and(|s| s.send(Command::Send(text)).is_ok());
                    if !sent {
                        driver.sockets.remove(&socket);
                        driver.session.closed(socket, 1006, now);
                    }
                }
                Action::Close { socket, code } => {
                    if let Some(s) = driver.sockets.remove(&socket) {
                        let _ = s.send(Command::Close(code));
                    }
                }
                Action::Request(request) => {
                    let (source, upstream, tx) =
                        (self.source.clone(), self.upstream.clone(), self.tx.clone());
                    let generation = driver.generation;
                    tokio::spawn(async move {
                        let answer = upstream.send(&source, &request).await;
                        let answered = Box::new((request, answer));
                        let _ = tx.send((generation, Event::Answer(answered)));
                    });
                }
                Action::Presences(presences) => {
                    let registry = &mut *self.source.registry();
                    let changed = registry.push(presences, now);
                    publish(&self.hub, &self.source, registry, &changed, now, "push");
                }
                Action::Subscribed(ids) => {
                    if !self.pushed {
                        tracing::info!(source = %self.source.name, "pushed");
                    }
                    self.live_since.get_or_insert(now);
                    self.pushed = true;
                    self.reason = None;
                    // The snapshot is a full read of them: the next is the reconciliation round.
                    self.last_full_poll = now;
                    self.snapshot.extend(ids);
                }
                Action::Unpushed(refused) => {
                    if let (false, Some((_, why))) = (self.pushed, refused.first()) {
                        // Nobody pushed yet: the refusal is why the source is polled.
                        self.reason = Some(why.to_string());
                    }
                    tracing::info!(
                        source = %self.source.name,
                        people = refused.len(),
                        reason = %refused.first().map(|(_, e)| e.to_string()).unwrap_or_default(),
                        "the service will not push some people: they are polled"
                    );
                    self.unpushed.extend(refused.into_iter().map(|(id, _)| id));
                }
                Action::Renew => {
                    let (source, upstream, tx) =
                        (self.source.clone(), self.upstream.clone(), self.tx.clone());
                    let generation = driver.generation;
                    tokio::spawn(async move {
                        let renewed = upstream.renewed(&source).await;
                        let _ = tx.send((generation, Event::Credentials(renewed)));
                    });
                }
                Action::Failed(error) => return self.fail(error, false),
            }
        }
        if let Some(driver) = self.driver.as_mut() {
            driver.timer = driver
                .session
                .next_timeout()
                .map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now_ms())));
        }
    }
}

/// One socket: connects to `url`, reports it open, writes what it is told, reports each text
/// frame and how it ends. Told nothing more (the session is gone), it closes.
async fn socket(
    url: String,
    id: SocketId,
    generation: u32,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Tagged>,
) {
    let report = |event: Event| {
        let _ = events.send((generation, event));
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let connecting = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
    let mut ws = match tokio::time::timeout(CONNECT_WITHIN, connecting).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            tracing::debug!(socket = id, error = %e, "push socket: cannot connect");
            return report(Event::Closed(id, 1006));
        }
        Err(_) => {
            tracing::debug!(socket = id, "push socket: connecting timed out");
            return report(Event::Closed(id, 1006));
        }
    };
    report(Event::Opened(id));
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Send(text)) => {
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        return report(Event::Closed(id, 1006));
                    }
                }
                Some(Command::Close(code)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: "".into() };
                    let _ = ws.close(Some(frame)).await;
                    return;
                }
                None => {
                    let _ = ws.close(None).await;
                    return;
                }
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => report(Event::Frame(id, text.to_string())),
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    return report(Event::Closed(id, code));
                }
                // Binary frames are not these protocols'; pings are answered by tungstenite.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return report(Event::Closed(id, 1006)),
            },
        }
    }
}
