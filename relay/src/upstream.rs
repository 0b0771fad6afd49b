//! The one reader per source, driven natively: the core's [`Reader`] holds the union of the ids
//! every viewer watches and decides everything (setup requests, new ids at once, the polls and
//! their backoff, push and its fallback, reconciliation, staleness); this task carries out what
//! it says, with credentials that are static or OAuth client credentials refreshed before they
//! expire, opens the push sockets it asks for (`push.rs`), and publishes each changed entry to
//! the hub. The poll interval spends the provider's rate limit on freshness (the core's
//! [`Budget`]): it depends on how many requests a poll takes, never on how many viewers there
//! are.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use presence_widgets::core::reader::{Budget, Effect, Mode, Note, Options, Reader, SocketKey};
use presence_widgets::core::schedule::Policy;
use presence_widgets::core::{
    Adapter, Credentials, HttpRequest, HttpResponse, Method, PresenceError, ProviderKind, Registry,
    Secret, UserId,
};
use serde_json::Value;
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

use crate::config::{ClientAuth, OAuthConfig, Rate, SourceConfig};
use crate::hub::{entry_json, state_json, Hub};
use crate::push::{socket, Command, SocketEvent};
use crate::shared_log::Entry;

pub use presence_widgets::core::reader::DEFAULT_RECONCILE_MS;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Counters of one source, for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Presence requests sent upstream.
    pub requests: AtomicU64,
    /// Of those, the ones that failed.
    pub errors: AtomicU64,
    /// Token requests sent.
    pub token_requests: AtomicU64,
    /// Milliseconds between polls now.
    pub interval_ms: AtomicU64,
    /// Frames read from the service's push sockets.
    pub push_frames: AtomicU64,
    /// Push sessions started.
    pub push_sessions: AtomicU64,
}

/// One source: its reader (shared with the streams, which watch ids through it) and its
/// reader task's wake-up.
#[derive(Debug)]
pub struct Source {
    /// Its index in the hub.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Which provider.
    pub kind: ProviderKind,
    reader: Mutex<Reader>,
    /// Woken when someone watches an id nobody watched, or the last viewer of one leaves.
    pub wake: Notify,
    /// The counters.
    pub counters: Counters,
    /// The rules a viewer must satisfy to read it.
    pub allow: Vec<crate::config::Rule>,
    credentials: Mutex<Auth>,
    oauth: Option<OAuthConfig>,
    client_auth: ClientAuth,
    rate: Option<Rate>,
    spend: f64,
    interval_floor_ms: u64,
    /// Whether the source may push (its configuration's `push`).
    pub(crate) push: bool,
    /// While pushed, milliseconds between reconciliation polls.
    pub(crate) reconcile_ms: u64,
    /// What builds the adapter again, for a reader that starts afresh.
    base_url: String,
    settings: Vec<(String, String)>,
    /// Where this instance's reader of the source publishes, while one runs.
    sink: Mutex<Option<Sink>>,
    /// The ids subscribed for the viewers of other instances (the shared mode's union).
    remote: Mutex<HashSet<UserId>>,
    /// The rate budget is split by this many instances (those reading by themselves while
    /// Redis cannot be reached).
    divisor: AtomicU64,
}

/// Where a reader's entries go: this instance's hub, or the shared change log.
#[derive(Clone, Debug)]
pub enum Sink {
    /// Numbered and broadcast by this instance's hub.
    Local(Arc<Hub>),
    /// Appended to the source's change log in Redis, while this reader holds its lease.
    Shared(Arc<Publisher>),
}

impl Sink {
    /// `id`'s new entry.
    pub(crate) fn presence(&self, source: &Source, id: &UserId, data: String) {
        match self {
            Sink::Local(hub) => hub.publish(source.index, id, data),
            Sink::Shared(p) => p.presence(id, data),
        }
    }

    /// The source's state.
    pub(crate) fn state(&self, source: &Source, mode: &str, stale: bool, reason: Option<&str>) {
        match self {
            Sink::Local(hub) => hub.set_state(source.index, mode, stale, reason),
            Sink::Shared(p) => p.state(state_json(&source.name, mode, stale, reason)),
        }
    }

    /// Nobody on this instance watches `id` any more. In the shared mode others may: the
    /// reader forgets only those gone from the union (`shared.rs`).
    pub(crate) fn forget(&self, source: &Source, id: &UserId) {
        match self {
            Sink::Local(hub) => hub.forget(source.index, id),
            Sink::Shared(_) => {}
        }
    }
}

#[derive(Debug)]
enum Auth {
    Static(Credentials),
    Token { token: Secret, refresh_at: Instant },
    None,
}

impl Source {
    /// The source `name` of `config`, at `index`.
    ///
    /// # Errors
    /// An adapter setting or credentials it cannot take.
    pub fn new(
        index: usize,
        name: &str,
        config: &SourceConfig,
        min_interval_ms: u64,
    ) -> Result<Self, PresenceError> {
        let mut adapter = Adapter::new(config.kind, &config.base_url)?;
        for (setting, value) in &config.settings {
            adapter.set(setting, value)?;
        }
        let credentials = if config.oauth.is_some() {
            Auth::None
        } else {
            let values: Vec<Option<String>> = adapter
                .credential_fields()
                .iter()
                .map(|f| {
                    config
                        .credentials
                        .get(f.name)
                        .map(|s| s.expose().to_owned())
                })
                .collect();
            Auth::Static(adapter.credentials(&values)?)
        };
        // With a documented rate limit the budget sets the pace, down to the relay's own floor;
        // without one (Genesys, SuperOffice), never faster than the adapter lets a page poll.
        let floor = if config.rate().is_some() {
            0
        } else {
            adapter.cadence().floor_ms
        };
        let interval_floor_ms = config
            .interval_ms
            .unwrap_or(0)
            .max(min_interval_ms)
            .max(floor);
        let source = Self {
            index,
            name: name.to_owned(),
            kind: config.kind,
            reader: Mutex::new(Reader::new(Registry::new(adapter), Options::default())),
            wake: Notify::new(),
            counters: Counters::default(),
            allow: config.allow.clone(),
            credentials: Mutex::new(credentials),
            oauth: config.oauth.as_ref().map(|o| OAuthConfig {
                token_url: o.token_url.clone(),
                client_id: o.client_id.clone(),
                client_secret: o.client_secret.clone(),
                scope: o.scope.clone(),
                client_auth: o.client_auth,
            }),
            client_auth: config.client_auth(),
            rate: config.rate(),
            spend: config.spend.unwrap_or(0.5),
            interval_floor_ms,
            push: config.push,
            reconcile_ms: config
                .reconcile_ms
                .unwrap_or(DEFAULT_RECONCILE_MS)
                .max(interval_floor_ms),
            base_url: config.base_url.clone(),
            settings: config
                .settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            sink: Mutex::new(None),
            remote: Mutex::new(HashSet::new()),
            divisor: AtomicU64::new(1),
        };
        source.reset_reader();
        Ok(source)
    }

    /// How the reader reads: the relay's floor as the interval, the rate budget, push as
    /// configured.
    fn options(&self, cadence: presence_widgets::core::Cadence) -> Options {
        Options {
            policy: Some(Policy {
                interval_ms: self.interval_floor_ms,
                ..Policy::new(cadence)
            }),
            reconcile_ms: self.reconcile_ms,
            live: self.push,
            seed: now_ms(),
            budget: self.budget(),
            in_flight: 8,
            ..Options::default()
        }
    }

    /// The documented rate limit and the share of it this relay spends, if the provider has
    /// one.
    fn budget(&self) -> Option<Budget> {
        self.rate.map(|rate| Budget {
            requests: rate.requests,
            window_ms: rate.per_seconds.saturating_mul(1000),
            share_thousandths: share_thousandths(self.spend),
        })
    }

    /// A new reader that has learned nothing, keeping who is watched, so that a reader
    /// starting now reads and publishes everyone afresh (what it held may be older than what
    /// another instance published meanwhile).
    pub(crate) fn reset_reader(&self) {
        let Ok(mut adapter) = Adapter::new(self.kind, &self.base_url) else {
            return;
        };
        for (setting, value) in &self.settings {
            if adapter.set(setting, value).is_err() {
                return;
            }
        }
        let options = self.options(adapter.cadence());
        let mut fresh = Registry::new(adapter);
        let mut reader = self.reader();
        for id in reader.registry().ids() {
            for _ in 0..reader.registry().subscribers(&id) {
                fresh.subscribe(&id);
            }
        }
        *reader = Reader::new(fresh, options);
        reader.set_readers(self.divisor.load(Ordering::Relaxed));
    }

    /// Where this instance's reader publishes now (`None` while another instance reads).
    pub(crate) fn set_sink(&self, sink: Option<Sink>) {
        *self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = sink;
    }

    /// Whether this instance reads the source now.
    pub fn reading(&self) -> bool {
        self.sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }

    /// Nobody on this instance watches `id` any more (and, where this instance reads the
    /// source for others too, nobody elsewhere): its entry is let go of.
    pub(crate) fn forget(&self, id: &UserId) {
        let sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(sink) = sink {
            sink.forget(self, id);
        }
    }

    /// Splits the rate budget by `instances` (1: the whole of it).
    pub(crate) fn set_divisor(&self, instances: u64) {
        self.divisor.store(instances.max(1), Ordering::Relaxed);
        self.reader().set_readers(instances);
    }

    /// The ids this instance's own viewers watch (not those read for other instances).
    pub fn local_ids(&self) -> Vec<UserId> {
        let remote = self.remote_ids();
        let reader = self.reader();
        let registry = reader.registry();
        registry
            .ids()
            .into_iter()
            .filter(|id| registry.subscribers(id) > u32::from(remote.contains(id)))
            .collect()
    }

    fn remote_ids(&self) -> MutexGuard<'_, HashSet<UserId>> {
        self.remote
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the ids read for other instances `union` (what every instance's viewers watch):
    /// watches those new to it and lets go of those no longer in it, waking the reader.
    /// Returns the ids nobody watches any more.
    pub(crate) fn set_remote(&self, union: HashSet<UserId>) -> Vec<UserId> {
        let (mut first, mut last) = (false, Vec::new());
        {
            let mut remote = self.remote_ids();
            let mut reader = self.reader();
            for id in remote.difference(&union) {
                if reader.unwatch(id) {
                    last.push(id.clone());
                }
            }
            for id in union.difference(&remote) {
                first |= reader.watch(id);
            }
            *remote = union;
        }
        if first || !last.is_empty() {
            self.wake.notify_one();
        }
        last
    }

    /// The reader, locked (never across an await).
    pub fn reader(&self) -> MutexGuard<'_, Reader> {
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many people are read.
    pub fn watched(&self) -> usize {
        self.reader().registry().len()
    }

    /// The interval of a poll of `requests` requests: the budget's share spread over a window,
    /// never under the floor.
    pub fn interval_ms(&self, requests: usize) -> u64 {
        let floor = self.interval_floor_ms;
        let Some(budget) = self.budget() else {
            return floor;
        };
        // Each of `divisor` instances reading by itself spends its share of the budget.
        budget
            .interval_ms(requests, self.divisor.load(Ordering::Relaxed))
            .max(floor)
    }

    fn lock_auth(&self) -> MutexGuard<'_, Auth> {
        self.credentials
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn share_thousandths(spend: f64) -> u64 {
    // 0 < spend <= 1 (checked by the configuration): 1..=1000 thousandths.
    format!("{:.0}", spend * 1000.0)
        .parse::<u64>()
        .unwrap_or(500)
        .clamp(1, 1000)
}

/// Sends requests upstream.
#[derive(Clone, Debug)]
pub struct Upstream {
    http: reqwest::Client,
}

impl Upstream {
    /// An upstream client with `http`.
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// Sends `request` with `source`'s credentials.
    pub(crate) async fn send(
        &self,
        source: &Source,
        request: &HttpRequest,
    ) -> Result<HttpResponse, PresenceError> {
        let credentials = self.credentials(source).await?;
        source.counters.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.raw(source.kind, request, &credentials).await;
        if answer.as_ref().map_or(true, |r| !r.is_success()) {
            source.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
        if answer.as_ref().is_ok_and(|r| r.status == 401) && source.oauth.is_some() {
            // The token was refused before its time: ask for a new one next.
            *source.lock_auth() = Auth::None;
        }
        answer
    }

    async fn raw(
        &self,
        kind: ProviderKind,
        request: &HttpRequest,
        credentials: &Credentials,
    ) -> Result<HttpResponse, PresenceError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
        };
        let mut builder = self
            .http
            .request(method, &request.url)
            .timeout(Duration::from_secs(15));
        for (name, value) in request.headers.iter().chain(credentials.headers().iter()) {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let sent_at = now_ms();
        let answer = builder.send().await.map_err(|e| network(kind, &e))?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = answer.text().await.map_err(|e| network(kind, &e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
            requested_at_ms: Some(sent_at),
        })
    }

    /// Credentials again, for a push session that asks (`Renew`): the static ones, or a new
    /// client-credentials token.
    pub(crate) async fn renewed(&self, source: &Source) -> Result<Credentials, PresenceError> {
        if source.oauth.is_some() {
            *source.lock_auth() = Auth::None;
        }
        self.credentials(source).await
    }

    /// The credentials to send now: static, or a client-credentials token, fetched or
    /// refreshed when it is due.
    pub(crate) async fn credentials(&self, source: &Source) -> Result<Credentials, PresenceError> {
        let Some(oauth) = &source.oauth else {
            return match &*source.lock_auth() {
                Auth::Static(c) => Ok(c.clone()),
                _ => Err(PresenceError::Config(format!(
                    "{}: no credentials",
                    source.name
                ))),
            };
        };
        if let Auth::Token { token, refresh_at } = &*source.lock_auth() {
            if Instant::now() < *refresh_at {
                return Ok(Credentials::Bearer(token.clone()));
            }
        }
        source
            .counters
            .token_requests
            .fetch_add(1, Ordering::Relaxed);
        let (token, lifetime) = self.token(source.kind, oauth, source.client_auth).await?;
        // Refreshed when four fifths of its life have passed (and at least 5 s before it ends).
        let early = (lifetime / 5).max(Duration::from_secs(5)).min(lifetime);
        let refresh_at = Instant::now() + lifetime.saturating_sub(early);
        *source.lock_auth() = Auth::Token {
            token: token.clone(),
            refresh_at,
        };
        Ok(Credentials::Bearer(token))
    }

    /// One client-credentials grant (RFC 6749 §4.4): the token and how long it lives.
    async fn token(
        &self,
        kind: ProviderKind,
        oauth: &OAuthConfig,
        auth: ClientAuth,
    ) -> Result<(Secret, Duration), PresenceError> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        let scope = oauth.scope.clone().or_else(|| {
            (kind == ProviderKind::Graph).then(|| "https://graph.microsoft.com/.default".to_owned())
        });
        if let Some(scope) = &scope {
            form.push(("scope", scope));
        }
        let mut builder = self
            .http
            .post(&oauth.token_url)
            .timeout(Duration::from_secs(15));
        match auth {
            ClientAuth::Body => {
                form.push(("client_id", &oauth.client_id));
                form.push(("client_secret", oauth.client_secret.expose()));
            }
            ClientAuth::Basic => {
                builder = builder.basic_auth(&oauth.client_id, Some(oauth.client_secret.expose()));
            }
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", presence_widgets::core::http::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        let answer = builder
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| network(kind, &e))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| network(kind, &e))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            // OAuth's error body: `error` and `error_description`.
            let code = json.get("error").and_then(Value::as_str).map(str::to_owned);
            let message = json
                .get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned);
            return Err(PresenceError::Http {
                provider: kind,
                status,
                code,
                message: Some(format!(
                    "token endpoint: {}",
                    message.unwrap_or_else(|| "refused".into())
                )),
                retry: None,
            });
        }
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PresenceError::Decode {
                provider: kind,
                path: "access_token".into(),
                message: "the token endpoint's answer has no access_token".into(),
            })?;
        let lifetime = json
            .get("expires_in")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(3600);
        Ok((Secret::new(token), Duration::from_secs(lifetime)))
    }
}

fn network(kind: ProviderKind, e: &reqwest::Error) -> PresenceError {
    // `without_url`: a URL may hold ids, never a token, but the message stays short.
    let e = reqwest_message(e);
    PresenceError::Network {
        provider: kind,
        message: e,
    }
}

fn reqwest_message(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Publishes the state of `ids` in `source`, their presences learned by `mode` (`push` or
/// `poll`).
pub(crate) fn publish(
    sink: &Sink,
    source: &Source,
    registry: &Registry,
    ids: &[UserId],
    now: u64,
    mode: &str,
) {
    for id in ids {
        if let Some(state) = registry.state(id, now) {
            sink.presence(source, id, entry_json(&source.name, id, &state, mode));
        }
    }
}

/// What the tasks a reader started report back to it.
enum Report {
    /// The answer to a request (boxed: socket reports, far more common, stay small).
    Answer(Box<(u64, HttpRequest, Result<HttpResponse, PresenceError>)>),
    /// The credentials asked for.
    Credentials(Result<Credentials, PresenceError>),
    /// A socket's news.
    Socket(SocketKey, SocketEvent),
}

/// The I/O of one run of a reader: where its tasks report, and the sockets it holds open
/// (dropping one's sender closes it).
struct Driver {
    source: Arc<Source>,
    upstream: Upstream,
    sink: Sink,
    tx: mpsc::UnboundedSender<Report>,
    sockets: HashMap<SocketKey, mpsc::UnboundedSender<Command>>,
    sockets_tx: mpsc::UnboundedSender<(SocketKey, SocketEvent)>,
}

impl Driver {
    /// Carries out everything the reader asks now.
    fn effects(&mut self) {
        loop {
            let now = now_ms();
            let mut reader = self.source.reader();
            let Some(effect) = reader.poll_effect(now) else {
                let interval = reader.interval_ms();
                self.source
                    .counters
                    .interval_ms
                    .store(interval, Ordering::Relaxed);
                return;
            };
            match effect {
                Effect::Send { id, request } => {
                    let (source, upstream, tx) =
                        (self.source.clone(), self.upstream.clone(), self.tx.clone());
                    tokio::spawn(async move {
                        let answer = upstream.send(&source, &request).await;
                        let _ = tx.send(Report::Answer(Box::new((id, request, answer))));
                    });
                }
                Effect::Credentials { renew } => {
                    let (source, upstream, tx) =
                        (self.source.clone(), self.upstream.clone(), self.tx.clone());
                    tokio::spawn(async move {
                        let credentials = if renew {
                            upstream.renewed(&source).await
                        } else {
                            upstream.credentials(&source).await
                        };
                        let _ = tx.send(Report::Credentials(credentials));
                    });
                }
                Effect::Open { socket: key, url } => {
                    let (commands, rx) = mpsc::unbounded_channel();
                    self.sockets.insert(key, commands);
                    tokio::spawn(socket(url, key, rx, self.sockets_tx.clone()));
                }
                Effect::Frame { socket, text } => {
                    let sent = self
                        .sockets
                        .get(&socket)
                        .is_some_and(|s| s.send(Command::Send(text)).is_ok());
                    if !sent {
                        self.sockets.remove(&socket);
                        reader.handle_closed(socket, 1006, now);
                    }
                }
                Effect::Close { socket, code } => {
                    if let Some(s) = self.sockets.remove(&socket) {
                        let _ = s.send(Command::Close(code));
                    }
                }
                Effect::Changed { ids, pushed } => {
                    let mode = if pushed { "push" } else { reader.mode().name() };
                    publish(&self.sink, &self.source, reader.registry(), &ids, now, mode);
                }
                Effect::Status => {
                    // Pushed; else polled, stale after a failed poll, or with why push is not
                    // live.
                    let (mode, error) = (reader.mode().clone(), reader.last_error().cloned());
                    drop(reader);
                    match (mode, error) {
                        (Mode::Push, _) => self.sink.state(&self.source, "push", false, None),
                        (Mode::Poll(_), Some(e)) => {
                            self.sink
                                .state(&self.source, "poll", true, Some(&e.to_string()));
                        }
                        (Mode::Poll(why), None) => {
                            self.sink.state(&self.source, "poll", false, why.as_deref());
                        }
                    }
                }
                Effect::Note(note) => {
                    drop(reader);
                    self.note(note);
                }
                // A relay's reader always leads: it has no other tabs to tell.
                Effect::Tell(_) | Effect::Announce => {}
            }
        }
    }

    /// Logs and counts what the reader did.
    fn note(&self, note: Note) {
        let source = &self.source.name;
        match note {
            Note::PushStarting(people) => {
                self.source
                    .counters
                    .push_sessions
                    .fetch_add(1, Ordering::Relaxed);
                tracing::info!(%source, people, "push starting");
            }
            Note::Pushed => tracing::info!(%source, "pushed"),
            Note::PushFailed { reason, retry_ms } => {
                tracing::warn!(%source, %reason, ?retry_ms, "push failed: polling");
            }
            Note::Unpushed(refused) => tracing::info!(
                %source,
                people = refused.len(),
                reason = %refused.first().map(|(_, e)| e.to_string()).unwrap_or_default(),
                "the service will not push some people: they are polled"
            ),
            Note::Idle => tracing::info!(%source, "nobody watched: push closed"),
        }
    }

    /// Hands the reader what a task reported.
    fn report(&mut self, report: Report) {
        let now = now_ms();
        let mut reader = self.source.reader();
        match report {
            Report::Answer(answered) => {
                let (id, request, answer) = *answered;
                reader.handle_answer(id, &request, answer, now);
            }
            Report::Credentials(c) => reader.handle_credentials(c.map(Some), now),
            Report::Socket(key, event) => match event {
                SocketEvent::Opened => reader.handle_opened(key, now),
                SocketEvent::Frame(text) => {
                    self.source
                        .counters
                        .push_frames
                        .fetch_add(1, Ordering::Relaxed);
                    reader.handle_frame(key, &text, now);
                }
                SocketEvent::Closed(code) => {
                    self.sockets.remove(&key);
                    reader.handle_closed(key, code, now);
                }
            },
        }
    }
}

/// Reads `source` into `sink` until `shutdown` turns true, starting afresh (everyone read
/// and published again; the sink lets through only what differs from what it holds).
pub async fn run(
    source: Arc<Source>,
    upstream: Upstream,
    sink: Sink,
    mut shutdown: watch::Receiver<bool>,
) {
    source.reset_reader();
    source.set_sink(Some(sink.clone()));
    // However the reader ends (told to, or its task aborted), the source is no longer read
    // here.
    let _reading = Reading(source.clone());
    let (tx, mut reports) = mpsc::unbounded_channel();
    let (sockets_tx, mut socket_reports) = mpsc::unbounded_channel();
    let mut driver = Driver {
        source: source.clone(),
        upstream,
        sink,
        tx,
        sockets: HashMap::new(),
        sockets_tx,
    };
    loop {
        driver.effects();
        let deadline = source
            .reader()
            .next_timeout()
            .map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now_ms())));
        tokio::select! {
            // The reader already knows who is watched: it plans at the next effects.
            () = source.wake.notified() => {}
            () = sleep_until_opt(deadline) => source.reader().handle_timeout(now_ms()),
            Some(report) = reports.recv() => driver.report(report),
            Some((key, event)) = socket_reports.recv() => driver.report(Report::Socket(key, event)),
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Marks a source as no longer read here when its reader ends.
struct Reading(Arc<Source>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.set_sink(None);
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn graph(rate: Option<Rate>) -> SourceConfig {
        SourceConfig {
            kind: ProviderKind::Graph,
            base_url: "http://127.0.0.1:1/graph/v1.0".into(),
            credentials: BTreeMap::from([("token".to_owned(), Secret::new("t"))]),
            oauth: None,
            settings: BTreeMap::new(),
            rate,
            spend: None,
            interval_ms: None,
            allow: Vec::new(),
            push: true,
            reconcile_ms: None,
        }
    }

    #[test]
    fn the_interval_spends_half_the_budget_and_not_more() {
        let s = Source::new(0, "teams", &graph(None), 1000).unwrap();
        // 1,000 people: 2 requests a poll; 1,500 per 30 s, half of it: 2 × 30 s / 750 = 80 ms,
        // raised to the 1 s floor.
        assert_eq!(s.interval_ms(2), 1000);
        // 40,000 people: 62 requests a poll: 62 × 30,000 / 750 = 2,480 ms.
        assert_eq!(s.interval_ms(62), 2480);
        let tight = Source::new(
            0,
            "teams",
            &graph(Some(Rate {
                requests: 10,
                per_seconds: 60,
            })),
            1000,
        )
        .unwrap();
        // 10 per minute, half: one request every 12 s.
        assert_eq!(tight.interval_ms(1), 12_000);
        // A relay floor of 250 ms: the budget allows it for Graph (2 requests every 250 ms are
        // 240 per 30 s, a third of the half).
        let fast = Source::new(0, "teams", &graph(None), 250).unwrap();
        assert_eq!(fast.interval_ms(2), 250);
        // Without a documented limit, never under the adapter's own floor (1 s for SuperOffice).
        let mut superoffice = graph(None);
        superoffice.kind = ProviderKind::SuperOffice;
        superoffice.base_url = "http://127.0.0.1:1/superoffice".into();
        superoffice.credentials =
            BTreeMap::from([("authorization".to_owned(), Secret::new("Bearer t"))]);
        let so = Source::new(0, "crm", &superoffice, 250).unwrap();
        assert_eq!(so.interval_ms(50), 1000);
    }
}

/// What a reader holding the lease sends to its source's log, each change once.
#[derive(Debug)]
pub struct Publisher {
    out: tokio::sync::mpsc::UnboundedSender<Entry>,
    published: Mutex<HashMap<UserId, Arc<str>>>,
    state: Mutex<Option<Arc<str>>>,
}

impl Publisher {
    /// A publisher sending to `out`, knowing what the log holds already: each person's entry
    /// (`published`) and the source's state.
    pub(crate) fn new(
        out: tokio::sync::mpsc::UnboundedSender<Entry>,
        published: HashMap<UserId, Arc<str>>,
        state: Option<Arc<str>>,
    ) -> Self {
        Self {
            out,
            published: Mutex::new(published),
            state: Mutex::new(state),
        }
    }

    /// `id`'s entry, appended when it differs from the log's.
    pub(crate) fn presence(&self, id: &UserId, data: String) {
        let data: Arc<str> = data.into();
        {
            let mut published = self
                .published
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if published.get(id) == Some(&data) {
                return;
            }
            published.insert(id.clone(), data.clone());
        }
        let _ = self.out.send(Entry::Presence(id.clone(), data));
    }

    /// The source's state, appended when it differs from the log's.
    pub(crate) fn state(&self, data: String) {
        let data: Arc<str> = data.into();
        {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.as_ref() == Some(&data) {
                return;
            }
            *state = Some(data.clone());
        }
        let _ = self.out.send(Entry::State(data));
    }

    /// Forgets every id published that `unwatched` says nobody watches.
    pub(crate) fn forget_all(&self, unwatched: impl Fn(&UserId) -> bool) {
        let gone: Vec<UserId> = self
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .filter(|id| unwatched(id))
            .cloned()
            .collect();
        for id in gone {
            self.forget(&id);
        }
    }

    /// Nobody watches `id` any more.
    pub(crate) fn forget(&self, id: &UserId) {
        let known = self
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id)
            .is_some();
        if known {
            let _ = self.out.send(Entry::Forget(id.clone()));
        }
    }
}
