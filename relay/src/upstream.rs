//! The one reader per source: the core's registry holds the union of the ids every viewer
//! watches; this task sends what it plans (setup requests, new ids at once, then polls), with
//! credentials that are static or OAuth client credentials refreshed before they expire, and
//! publishes each changed entry to the hub. The poll interval spends the provider's rate limit
//! on freshness: it depends on how many requests a poll takes, never on how many viewers there
//! are. Where the service pushes (Rocket.Chat, Genesys) and the source's `push` is on, the same
//! task drives its push session (`push.rs`) and polls only what push cannot cover.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use presence_widgets::core::schedule::{next_delay_ms, Outcome, Policy};
use presence_widgets::core::{
    Adapter, Credentials, HttpRequest, HttpResponse, Method, PresenceError, ProviderKind, Registry,
    Secret, UserId,
};
use serde_json::Value;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::config::{ClientAuth, OAuthConfig, Rate, SourceConfig};
use crate::hub::{entry_json, state_json, Hub};
use crate::push::{Push, Tagged};
use crate::shared::Publisher;

/// Milliseconds between reconciliation polls while a source is pushed, unless it says otherwise.
pub const DEFAULT_RECONCILE_MS: u64 = 5 * 60_000;

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

/// One source: its registry (shared with the streams, which subscribe ids) and its reader's
/// wake-up.
#[derive(Debug)]
pub struct Source {
    /// Its index in the hub.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Which provider.
    pub kind: ProviderKind,
    registry: Mutex<Registry>,
    /// Woken when someone subscribes an id nobody watched, or the last viewer of one leaves.
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
    /// Who came and went since the reader last heard, for the push session.
    changes: Mutex<WatchChanges>,
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

/// The ids newly watched and no longer watched, in the order the push session is told them.
#[derive(Debug, Default)]
struct WatchChanges {
    added: Vec<UserId>,
    removed: Vec<UserId>,
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
        Ok(Self {
            index,
            name: name.to_owned(),
            kind: config.kind,
            registry: Mutex::new(Registry::new(adapter)),
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
            changes: Mutex::new(WatchChanges::default()),
            base_url: config.base_url.clone(),
            settings: config
                .settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            sink: Mutex::new(None),
            remote: Mutex::new(HashSet::new()),
            divisor: AtomicU64::new(1),
        })
    }

    /// Forgets what the registry learned, keeping who is watched, so that a reader starting
    /// now reads and publishes everyone afresh (what it held may be older than what another
    /// instance published meanwhile).
    pub(crate) fn reset_registry(&self) {
        let Ok(mut adapter) = Adapter::new(self.kind, &self.base_url) else {
            return;
        };
        for (setting, value) in &self.settings {
            if adapter.set(setting, value).is_err() {
                return;
            }
        }
        let mut fresh = Registry::new(adapter);
        let mut registry = self.registry();
        for id in registry.ids() {
            for _ in 0..registry.subscribers(&id) {
                fresh.subscribe(&id);
            }
        }
        *registry = fresh;
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
    }

    /// The ids this instance's own viewers watch (not those read for other instances).
    pub fn local_ids(&self) -> Vec<UserId> {
        let remote = self.remote_ids();
        let registry = self.registry();
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
    /// subscribes those new to it and lets go of those no longer in it, telling the reader.
    /// Returns the ids nobody watches any more.
    pub(crate) fn set_remote(&self, union: HashSet<UserId>) -> Vec<UserId> {
        let (mut first, mut last) = (Vec::new(), Vec::new());
        {
            let mut remote = self.remote_ids();
            let mut registry = self.registry();
            for id in remote.difference(&union) {
                if registry.unsubscribe(id) {
                    last.push(id.clone());
                }
            }
            for id in union.difference(&remote) {
                if registry.subscribe(id) {
                    first.push(id.clone());
                }
            }
            *remote = union;
        }
        if !first.is_empty() || !last.is_empty() {
            self.watch_changed(&first, &last);
        }
        last
    }

    /// Notes that viewers now watch `added` (nobody did) and nobody watches `removed` any
    /// more, for the push session, and wakes the reader.
    pub fn watch_changed(&self, added: &[UserId], removed: &[UserId]) {
        {
            let mut changes = self
                .changes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // An id that comes back before the reader heard it left never left, and the other
            // way round: each is told once, as it is at the end.
            if !added.is_empty() {
                let back: HashSet<&UserId> = added.iter().collect();
                changes.removed.retain(|id| !back.contains(id));
                changes.added.extend(added.iter().cloned());
            }
            if !removed.is_empty() {
                let gone: HashSet<&UserId> = removed.iter().collect();
                changes.added.retain(|id| !gone.contains(id));
                changes.removed.extend(removed.iter().cloned());
            }
        }
        self.wake.notify_one();
    }

    /// Who came and went since the last call, as the registry has them now (a change noted
    /// after a later one is not believed over the registry).
    fn take_watch_changes(&self) -> (Vec<UserId>, Vec<UserId>) {
        let (mut added, mut removed) = {
            let mut changes = self
                .changes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (
                std::mem::take(&mut changes.added),
                std::mem::take(&mut changes.removed),
            )
        };
        let registry = self.registry();
        added.retain(|id| registry.subscribers(id) > 0);
        removed.retain(|id| registry.subscribers(id) == 0);
        (added, removed)
    }

    /// The registry, locked (never across an await).
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many people are read.
    pub fn watched(&self) -> usize {
        self.registry().len()
    }

    /// The interval of a poll of `requests` requests: the budget's share spread over a window,
    /// never under the floor.
    pub fn interval_ms(&self, requests: usize) -> u64 {
        let floor = self.interval_floor_ms;
        let Some(rate) = self.rate else {
            return floor;
        };
        // Each of `divisor` instances reading by itself spends its share of the budget.
        let requests = u64::try_from(requests.max(1))
            .unwrap_or(u64::MAX)
            .saturating_mul(self.divisor.load(Ordering::Relaxed).max(1));
        // requests × window / (limit × share), in whole milliseconds.
        let window_ms = rate.per_seconds.saturating_mul(1000);
        let allowed_per_window = (rate.requests.saturating_mul(1000))
            .saturating_mul(share_thousandths(self.spend))
            / 1_000_000;
        let needed = requests.saturating_mul(window_ms) / allowed_per_window.max(1);
        needed.max(floor)
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

/// What woke the reader.
enum Wake {
    /// Someone watches a new id, or nobody an old one (and at the start).
    Watch,
    /// A poll is due.
    Poll,
    /// A presence shown despite a failed poll turns stale.
    Stale,
    /// The push session's timer.
    PushTimer,
    /// Push may be tried again.
    Retry,
    /// A socket or a request of the push session reported.
    Push(Tagged),
}

/// Reads `source` into `sink` until `shutdown` turns true, starting afresh (everyone read
/// and published again; the sink lets through only what differs from what it holds).
pub async fn run(
    source: Arc<Source>,
    upstream: Upstream,
    sink: Sink,
    mut shutdown: watch::Receiver<bool>,
) {
    source.reset_registry();
    source.set_sink(Some(sink.clone()));
    // However the reader ends (told to, or its task aborted), the source is no longer read
    // here.
    let _reading = Reading(source.clone());
    let (mut push, mut reports) = Push::new(source.clone(), upstream.clone(), sink.clone());
    let mut failures: u32 = 0;
    let mut next_poll = Instant::now();
    let mut random: u64 = now_ms();
    let mut poll_error: Option<String> = None;
    let mut wake = Wake::Watch;
    loop {
        match wake {
            Wake::Push(report) => push.event(report),
            Wake::PushTimer => push.timeout(),
            Wake::Stale => {
                let registry = source.registry();
                let failing = registry.failing();
                publish(&sink, &source, &registry, &failing, now_ms(), push.mode());
            }
            Wake::Watch => {
                let (added, removed) = source.take_watch_changes();
                push.watch(&added, &removed);
                setup(&source, &upstream).await;
                // New ids first, at once.
                let plan = source.registry().plan_new();
                if !plan.requests.is_empty() || !plan.rejected.is_empty() {
                    push.reading(&plan.requests);
                    let sent = send_plan(&source, &upstream, &sink, plan, push.mode()).await;
                    if let Some(why) = sent.push_off {
                        push.push_off(why);
                    }
                }
            }
            Wake::Poll | Wake::Retry => {}
        }
        if source.registry().is_empty() {
            push.idle();
        } else {
            // A snapshot first (the new ids above), then push.
            push.start().await;
        }
        let snapshot = push.take_snapshot();
        if !snapshot.is_empty() {
            let plan = source.registry().plan_poll_of(&snapshot);
            let sent = send_plan(&source, &upstream, &sink, plan, push.mode()).await;
            if let Some(why) = sent.push_off {
                push.push_off(why);
            }
        }
        if push.take_fell_back() {
            // Push failed: everyone is read now, whatever changed meanwhile is seen.
            next_poll = Instant::now();
        }
        if Instant::now() >= next_poll {
            setup(&source, &upstream).await;
            let now = now_ms();
            let plan = if push.pushed() && !push.reconcile_due(now) {
                // Pushed: only the people the service will not push.
                source.registry().plan_poll_of(push.unpushed())
            } else {
                push.full_poll(now);
                source.registry().plan_poll()
            };
            let count = plan.requests.len();
            let outcome = if count == 0 && plan.rejected.is_empty() {
                Outcome::Success
            } else {
                let sent = send_plan(&source, &upstream, &sink, plan, push.mode()).await;
                if let Some(why) = sent.push_off {
                    push.push_off(why);
                }
                sent.outcome
            };
            let interval = source.interval_ms(count);
            source
                .counters
                .interval_ms
                .store(interval, Ordering::Relaxed);
            let policy = Policy {
                interval_ms: interval,
                ..Policy::new(source.registry().adapter().cadence())
            };
            failures = match outcome {
                Outcome::Success => 0,
                Outcome::Failure(_) => failures.saturating_add(1),
            };
            random = random
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let mut delay = next_delay_ms(&policy, &outcome, failures, now_ms(), random >> 33);
            if outcome == Outcome::Success && push.pushed() {
                // The next full poll is the reconciliation round.
                delay = push.delay_while_pushed(now_ms(), interval);
            }
            poll_error = match &outcome {
                Outcome::Failure(e) => Some(e.to_string()),
                Outcome::Success => None,
            };
            next_poll = Instant::now() + Duration::from_millis(delay);
        }
        if push.take_fell_back() {
            next_poll = Instant::now();
        }
        // Pushed; else polled, stale after a failed poll, or with why push is not live.
        match (push.pushed(), &poll_error) {
            (true, _) => sink.state(&source, "push", false, None),
            (false, Some(e)) => sink.state(&source, "poll", true, Some(e)),
            (false, None) => sink.state(&source, "poll", false, push.reason()),
        }
        // Those whose presence turns stale with time.
        let stale_at = source.registry().next_stale(now_ms());
        let stale_deadline =
            stale_at.map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now_ms())));
        let (push_timer, retry_at) = (push.timer(), push.retry_at());
        wake = tokio::select! {
            () = source.wake.notified() => Wake::Watch,
            () = tokio::time::sleep_until(next_poll) => Wake::Poll,
            () = sleep_until_opt(stale_deadline) => Wake::Stale,
            () = sleep_until_opt(push_timer) => Wake::PushTimer,
            () = sleep_until_opt(retry_at) => Wake::Retry,
            Some(report) = reports.recv() => Wake::Push(report),
            _ = shutdown.changed() => return,
        };
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

/// Runs the adapter's setup requests (Genesys's presence definitions) while it plans them.
async fn setup(source: &Source, upstream: &Upstream) {
    for _ in 0..8 {
        let request = {
            let mut registry = source.registry();
            let Some(request) = registry.plan_setup() else {
                return;
            };
            registry.setup_sent(&request);
            request
        };
        let answer = upstream.send(source, &request).await;
        source.registry().apply_setup(&request, answer);
    }
}

/// How a plan went.
struct Sent {
    /// The outcome of the whole.
    outcome: Outcome,
    /// The service says it pushes nothing now, and why.
    push_off: Option<String>,
}

/// Sends a plan, as many at once as the adapter allows, and publishes what changed (learned by
/// `mode`).
async fn send_plan(
    source: &Source,
    upstream: &Upstream,
    hub: &Sink,
    plan: presence_widgets::core::Plan,
    mode: &str,
) -> Sent {
    let mut sent = Sent {
        outcome: Outcome::Success,
        push_off: None,
    };
    {
        let mut registry = source.registry();
        let rejected = registry.reject(&plan.rejected);
        publish(hub, source, &registry, &rejected, now_ms(), mode);
        registry.sending(&plan.requests);
    }
    let at_once = source
        .registry()
        .adapter()
        .max_in_flight()
        .unwrap_or(8)
        .max(1);
    let mut requests = plan.requests.into_iter().peekable();
    while requests.peek().is_some() {
        let batch: Vec<HttpRequest> = requests.by_ref().take(at_once).collect();
        let answers =
            futures_util::future::join_all(batch.iter().map(|r| upstream.send(source, r))).await;
        for (request, answer) in batch.iter().zip(answers) {
            let now = now_ms();
            let mut registry = source.registry();
            let applied = registry.apply(request, answer, now);
            if let Some(error) = applied.error {
                sent.outcome = Outcome::Failure(error);
            }
            if applied.push_off.is_some() {
                sent.push_off = applied.push_off;
            }
            publish(hub, source, &registry, &applied.changed, now, mode);
        }
    }
    sent
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
