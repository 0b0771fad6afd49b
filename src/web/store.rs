//! One `Store` per configured source: widgets subscribe ids, ids wanted in the same tick are
//! asked for in one plan, the same id is fetched once however many widgets show it, and polling
//! keeps everyone current, paused while the page is hidden, backing off on failure.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::Poll;

use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[cfg(feature = "avatar")]
mod photos;

#[cfg(feature = "push")]
use super::push::{self as socket, Driver, Event};
use super::source::{Auth, SourceConfig};
use super::tabs::{TabEvent, Tabs};
use super::transport::{now_ms, Transport};
#[cfg(feature = "push")]
use crate::core::push::{Action, SocketId};
use crate::core::schedule::backoff_ms;
use crate::core::schedule::{next_delay_ms, Outcome, Policy};
use crate::core::tabs::{Followers, Note};
use crate::core::{
    Credentials, HttpRequest, HttpResponse, Plan, Presence, PresenceError, ProviderKind, Registry,
    State, UserId,
};

/// Called with a person's new state.
pub type Listener = Rc<dyn Fn(&UserId, &State)>;

/// How a source learns of changes: pushed over the service's socket, or polled (and why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The service pushes changes; a slow reconciliation poll heals a missed one.
    Push,
    /// Polled at the source's interval, with why it is not pushed.
    Poll(String),
}

impl Mode {
    /// `push` or `poll`, as the `presence-change` detail says it.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Push => "push",
            Mode::Poll(_) => "poll",
        }
    }

    /// Why it is polled.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Mode::Push => None,
            Mode::Poll(why) => Some(why),
        }
    }
}

/// This tab's part in a source shared by the tabs of its origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Waiting for the browser to say whether another tab leads.
    Deciding,
    /// Polls the source and holds its socket, for every tab.
    Lead,
    /// Shows what the leading tab hears.
    Follow,
}

/// A source's store. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Store(Rc<Inner>);

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("source", &self.0.config.name)
            .field("kind", &self.0.config.kind)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: SourceConfig,
    policy: Policy,
    transport: Transport,
    registry: RefCell<Registry>,
    listeners: RefCell<HashMap<UserId, Vec<(u64, Listener)>>>,
    next_listener: Cell<u64>,
    credentials: RefCell<Option<Credentials>>,
    flush_scheduled: Cell<bool>,
    polling: Cell<bool>,
    timer: RefCell<Option<Timeout>>,
    /// Fires when a presence shown despite a failed poll turns stale.
    stale_timer: RefCell<Option<Timeout>>,
    next_poll_at: Cell<u64>,
    failures: Cell<u32>,
    last_error: RefCell<Option<PresenceError>>,
    random: Cell<u64>,
    requests: Cell<u64>,
    visibility: RefCell<Option<Closure<dyn FnMut()>>>,
    /// The push session and its sockets, while there is one.
    #[cfg(feature = "push")]
    push: RefCell<Option<Driver>>,
    #[cfg(feature = "push")]
    push_starting: Cell<bool>,
    /// Which session the answers in flight belong to: an answer for an older one is dropped.
    #[cfg(feature = "push")]
    push_generation: Cell<u32>,
    /// When push last became live; a failure after a long live period starts the backoff over.
    live_since: Cell<Option<u64>>,
    /// A poll was asked for while one was in flight: run another when it ends.
    poll_again: Cell<bool>,
    push_failures: Cell<u32>,
    push_retry: RefCell<Option<Timeout>>,
    mode: RefCell<Mode>,
    /// People the service will not push (a refused topic), with why: polled at the interval
    /// meanwhile.
    unpushed: RefCell<Vec<(UserId, PresenceError)>>,
    /// Who came and went since the push session last heard.
    watch: RefCell<(Vec<UserId>, Vec<UserId>)>,
    last_full_poll: Cell<u64>,
    /// Whether this tab leads the source or follows the tab that does.
    role: Cell<Role>,
    /// This tab's link to the other tabs of the origin, while the source is shared.
    tabs: RefCell<Option<Tabs>>,
    /// While leading: what the other tabs watch.
    followers: RefCell<Followers>,
    /// A `relay` source's share of the page's one stream from its relay.
    #[cfg(feature = "relay")]
    link: RefCell<Option<Rc<super::relay::Link>>>,
    /// Why the relay refused this source (it has no such source, or this viewer may not read
    /// it): shown on everyone, and the source is left out of the stream.
    #[cfg(feature = "relay")]
    relay_refusal: RefCell<Option<PresenceError>>,
    /// Whose writes are in flight: one at a time each (a double click sends one).
    #[cfg(feature = "write")]
    writing: RefCell<Vec<UserId>>,
    /// People's pictures, read for avatars.
    #[cfg(feature = "avatar")]
    photos: RefCell<photos::Photos>,
}

/// Keeps an id subscribed while it lives; dropping it unsubscribes.
pub struct Subscription {
    store: Weak<Inner>,
    id: UserId,
    listener: u64,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.store.upgrade() {
            Store(inner).unsubscribe(&self.id, self.listener);
        }
    }
}

/// Milliseconds for a browser timer: at most 2^31 - 1, which `setTimeout` reads as it is (a
/// longer delay would wrap around and fire at once).
fn timer_ms(ms: u64) -> u32 {
    u32::try_from(ms.min(2_147_483_647)).unwrap_or(i32::MAX.unsigned_abs())
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

fn page_language() -> Option<String> {
    web_sys::window().and_then(|w| w.navigator().language())
}

impl Store {
    /// A store for `config`.
    ///
    /// # Errors
    /// [`PresenceError::Config`] when the configuration is unusable (see [`SourceConfig::check`]).
    pub fn new(config: SourceConfig) -> Result<Self, PresenceError> {
        let adapter = config.adapter(page_language().as_deref())?;
        let policy = config.policy()?;
        let initial_mode = first_mode(&config);
        // A relay source is one stream per page; the relay, not a leading tab, reads for all.
        let share = config.share_tabs && config.kind != ProviderKind::Relay;
        let transport = Transport {
            timeout_ms: config.timeout_ms,
            send_cookies: config.send_cookies,
        };
        let credentials = match &config.auth {
            Auth::Value(c) => Some(c.clone()),
            Auth::Callback(_) | Auth::None => None,
        };
        let store = Store(Rc::new(Inner {
            policy,
            config,
            transport,
            registry: RefCell::new(Registry::new(adapter).with_stale_after(policy.stale_after_ms)),
            listeners: RefCell::new(HashMap::new()),
            next_listener: Cell::new(0),
            credentials: RefCell::new(credentials),
            flush_scheduled: Cell::new(false),
            polling: Cell::new(false),
            timer: RefCell::new(None),
            stale_timer: RefCell::new(None),
            next_poll_at: Cell::new(0),
            failures: Cell::new(0),
            last_error: RefCell::new(None),
            random: Cell::new(now_ms() | 1),
            requests: Cell::new(0),
            #[cfg(feature = "write")]
            writing: RefCell::new(Vec::new()),
            #[cfg(feature = "avatar")]
            photos: RefCell::default(),
            visibility: RefCell::new(None),
            #[cfg(feature = "push")]
            push: RefCell::new(None),
            #[cfg(feature = "push")]
            push_starting: Cell::new(false),
            #[cfg(feature = "push")]
            push_generation: Cell::new(0),
            live_since: Cell::new(None),
            poll_again: Cell::new(false),
            push_failures: Cell::new(0),
            push_retry: RefCell::new(None),
            mode: RefCell::new(initial_mode),
            unpushed: RefCell::new(Vec::new()),
            watch: RefCell::new((Vec::new(), Vec::new())),
            last_full_poll: Cell::new(0),
            role: Cell::new(if share { Role::Deciding } else { Role::Lead }),
            tabs: RefCell::new(None),
            followers: RefCell::new(Followers::default()),
            #[cfg(feature = "relay")]
            link: RefCell::new(None),
            #[cfg(feature = "relay")]
            relay_refusal: RefCell::new(None),
        }));
        #[cfg(feature = "relay")]
        if store.kind() == ProviderKind::Relay {
            let link = super::relay::join(&store);
            *store.0.link.borrow_mut() = Some(link);
        }
        store.watch_visibility();
        if share {
            let c = &store.0.config;
            // The source as the tabs know it; never its credentials.
            // Versioned: tabs of another release of the library do not share with these.
            let url = c.base_url.split(['?', '#']).next().unwrap_or_default();
            let name = format!(
                "presence-widgets/{TABS_VERSION} {} {} {url}",
                c.kind, c.name
            );
            let tabs = Tabs::join(&name, Rc::downgrade(&store.0), hear);
            *store.0.tabs.borrow_mut() = Some(tabs);
        }
        Ok(store)
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.0.config.name
    }

    /// The source's provider.
    pub fn kind(&self) -> ProviderKind {
        self.0.config.kind
    }

    /// The polling policy in force.
    pub fn policy(&self) -> Policy {
        self.0.policy
    }

    /// Shows `id` in one more widget; `listener` hears every change of its state. Ids subscribed
    /// in the same tick are fetched together; an id already shown costs nothing more.
    pub fn subscribe(
        &self,
        id: &UserId,
        listener: impl Fn(&UserId, &State) + 'static,
    ) -> Subscription {
        let listener_id = self.0.next_listener.get() + 1;
        self.0.next_listener.set(listener_id);
        self.0
            .listeners
            .borrow_mut()
            .entry(id.clone())
            .or_default()
            .push((listener_id, Rc::new(listener)));
        if self.hold(id) {
            self.schedule_flush();
        }
        Subscription {
            store: Rc::downgrade(&self.0),
            id: id.clone(),
            listener: listener_id,
        }
    }

    fn unsubscribe(&self, id: &UserId, listener: u64) {
        {
            let mut listeners = self.0.listeners.borrow_mut();
            if let Some(list) = listeners.get_mut(id) {
                list.retain(|(n, _)| *n != listener);
                if list.is_empty() {
                    listeners.remove(id);
                }
            }
        }
        self.release(id);
    }

    /// One widget (here, or in a following tab) more shows `id`. True when nobody did before:
    /// it is to be read, and the push session is to hear of it.
    fn hold(&self, id: &UserId) -> bool {
        let new = self.0.registry.borrow_mut().subscribe(id);
        if new {
            let mut watch = self.0.watch.borrow_mut();
            watch.1.retain(|a| a != id);
            watch.0.push(id.clone());
        }
        new
    }

    /// One widget (here, or in a following tab) fewer shows `id`.
    fn release(&self, id: &UserId) {
        let mut registry = self.0.registry.borrow_mut();
        if registry.unsubscribe(id) {
            let mut watch = self.0.watch.borrow_mut();
            watch.0.retain(|a| a != id);
            watch.1.push(id.clone());
            self.0.unpushed.borrow_mut().retain(|(u, _)| u != id);
        }
        if registry.is_empty() {
            drop(registry);
            self.0.timer.borrow_mut().take();
            // Nobody shown: no socket, no channel, no retry.
            #[cfg(feature = "push")]
            self.0.push.borrow_mut().take();
            self.0.push_retry.borrow_mut().take();
            self.0.live_since.set(None);
        }
        if self.pushed() || self.0.role.get() == Role::Follow || self.relayed() {
            self.schedule_flush();
        }
    }

    /// What a widget shows for `id` now: `Loading` until the first answer.
    pub fn state(&self, id: &UserId) -> State {
        self.0
            .registry
            .borrow()
            .state(id, now_ms())
            .unwrap_or(State::Loading)
    }

    /// How many people are subscribed (each counted once, however many widgets show them).
    pub fn watched(&self) -> usize {
        self.0.registry.borrow().len()
    }

    /// Everyone subscribed.
    pub fn ids(&self) -> Vec<UserId> {
        self.0.registry.borrow().ids()
    }

    /// How many subscribed people have a presence.
    pub fn loaded(&self) -> usize {
        self.0.registry.borrow().loaded()
    }

    /// Requests sent since the store was made.
    pub fn requests_sent(&self) -> u64 {
        self.0.requests.get()
    }

    /// When the next poll is due, in milliseconds since the Unix epoch (0 when none is planned).
    pub fn next_poll_at_ms(&self) -> u64 {
        self.0.next_poll_at.get()
    }

    /// How the source learns of changes now: pushed, or polled and why.
    pub fn mode(&self) -> Mode {
        self.0.mode.borrow().clone()
    }

    /// The people the service refused to push (their subscription was rejected), each with
    /// why: they are polled at the source's interval.
    pub fn unpushed(&self) -> Vec<(UserId, PresenceError)> {
        self.0.unpushed.borrow().clone()
    }

    /// The error of the last poll, if it failed.
    pub fn last_error(&self) -> Option<PresenceError> {
        self.0.last_error.borrow().clone()
    }

    /// Shows presences the page received by other means, such as a Genesys notification channel
    /// or Rocket.Chat's realtime stream read with the core's event parsers, or the signed-in
    /// user's own change. Only people some widget shows are kept; their widgets update at once.
    pub fn push(&self, presences: Vec<Presence>) {
        let changed = self.0.registry.borrow_mut().push(presences, now_ms());
        self.notify(&changed);
    }

    /// Polls now, whatever the timer says (the page was shown again, or a test wants it).
    pub fn poll_now(&self) {
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(inner) = weak.upgrade() {
                Store(inner).poll().await;
            }
        });
    }

    fn next_random(&self) -> u64 {
        // xorshift64: jitter only, not security.
        let mut x = self.0.random.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.random.set(x);
        x
    }

    /// Asks for newly subscribed ids once the current tick is over, so that every id subscribed in
    /// the same tick goes in the same plan.
    fn schedule_flush(&self) {
        if self.0.flush_scheduled.replace(true) {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(inner) = weak.upgrade() {
                let store = Store(inner);
                store.0.flush_scheduled.set(false);
                store.flush().await;
            }
        });
    }

    async fn flush(&self) {
        #[cfg(feature = "relay")]
        if let Some(link) = self.link() {
            // The page's stream from the relay is reopened with the new watch set.
            return link.changed();
        }
        match self.0.role.get() {
            // Once the browser has said who leads.
            Role::Deciding => return,
            Role::Follow => {
                // The leader hears the whole set; nothing to tell a session here.
                *self.0.watch.borrow_mut() = (Vec::new(), Vec::new());
                return self.announce();
            }
            Role::Lead => {}
        }
        self.flush_watch();
        self.setup().await;
        let plan = self.0.registry.borrow().plan_new();
        let nothing_sent = plan.requests.is_empty();
        if !nothing_sent && self.0.last_full_poll.get() == 0 {
            // The first read is of everyone.
            self.0.last_full_poll.set(now_ms());
        }
        let outcome = self.send_plan(plan).await;
        if nothing_sent {
            return;
        }
        if self.0.timer.borrow().is_none() && !self.0.polling.get() {
            self.schedule(outcome);
        }
        // A snapshot first, then push.
        self.start_push();
    }

    /// Tells the push session who came and went since it last heard, in one call.
    fn flush_watch(&self) {
        let (added, removed) = std::mem::take(&mut *self.0.watch.borrow_mut());
        if added.is_empty() && removed.is_empty() {
            return;
        }
        self.push_step(|session, now| session.watch(&added, &removed, now));
    }

    /// Genesys definitions before presences, for labels in the page's language.
    async fn setup(&self) {
        loop {
            let Some(request) = self.0.registry.borrow().plan_setup() else {
                return;
            };
            self.0.registry.borrow_mut().setup_sent(&request);
            let answer = self.send(&request).await;
            self.0.registry.borrow_mut().apply_setup(&request, answer);
            if self.0.registry.borrow().plan_setup().as_ref() == Some(&request) {
                return;
            }
        }
    }

    async fn poll(&self) {
        if self.relayed() {
            // The relay streams; it is never polled.
            return;
        }
        match self.0.role.get() {
            Role::Deciding => return,
            // The leading tab polls for everyone: ask it to.
            Role::Follow => return self.tell(&Note::Poll),
            Role::Lead => {}
        }
        if self.0.polling.replace(true) {
            // One is in flight: another, full one, once it ends.
            self.0.poll_again.set(true);
            return;
        }
        self.0.timer.borrow_mut().take();
        self.setup().await;
        let now = now_ms();
        let reconcile_due = now.saturating_sub(self.0.last_full_poll.get())
            >= self.0.config.reconcile_ms.saturating_sub(1_000);
        let plan = if self.pushed() && !reconcile_due {
            // Live: only the people the service will not push.
            let only: Vec<UserId> = self
                .0
                .unpushed
                .borrow()
                .iter()
                .map(|(id, _)| id.clone())
                .collect();
            self.0.registry.borrow().plan_poll_of(&only)
        } else {
            self.0.last_full_poll.set(now);
            self.0.registry.borrow().plan_poll()
        };
        let outcome = self.send_plan(plan).await;
        self.0.polling.set(false);
        self.schedule(outcome);
        if self.0.poll_again.replace(false) {
            self.0.last_full_poll.set(0);
            self.poll_now();
        }
    }

    /// Shows the ids no request can be made for as errors, sends the rest, and says how it went.
    async fn send_plan(&self, plan: Plan) -> Outcome {
        let rejected = self.0.registry.borrow_mut().reject(&plan.rejected);
        self.notify(&rejected);
        self.0.registry.borrow_mut().sending(&plan.requests);
        match self.run(plan.requests).await {
            Some(error) => Outcome::Failure(error),
            None => Outcome::Success,
        }
    }

    /// Sends the requests (as many at once as the adapter allows), applies each answer, tells
    /// the widgets. Returns the last failure.
    async fn run(&self, requests: Vec<HttpRequest>) -> Option<PresenceError> {
        let limit = self.0.registry.borrow().adapter().max_in_flight();
        let width = limit.unwrap_or(requests.len()).max(1);
        let mut failure = None;
        let mut pending = requests.into_iter().peekable();
        while pending.peek().is_some() {
            let batch: Vec<HttpRequest> = pending.by_ref().take(width).collect();
            let answers = join(batch.iter().map(|r| self.send(r)).collect()).await;
            for (request, answer) in batch.iter().zip(answers) {
                let applied = self
                    .0
                    .registry
                    .borrow_mut()
                    .apply(request, answer, now_ms());
                if applied.error.is_some() {
                    failure = applied.error;
                }
                if let Some(why) = applied.push_off {
                    // The service has turned push off for everyone: not worth asking again
                    // before the next reconciliation round.
                    self.push_stopped(crate::core::push::failure(self.kind(), why), true);
                }
                self.notify(&applied.changed);
            }
        }
        if failure.is_some() {
            self.watch_staleness();
        }
        failure
    }

    /// Re-renders the people shown despite a failed poll when the first of them turns stale,
    /// then waits for the next.
    fn watch_staleness(&self) {
        let Some(at) = self.0.registry.borrow().next_stale(now_ms()) else {
            self.0.stale_timer.borrow_mut().take();
            return;
        };
        let delay = at.saturating_sub(now_ms());
        let weak = Rc::downgrade(&self.0);
        let ms = timer_ms(delay);
        let timeout = Timeout::new(ms, move || {
            if let Some(inner) = weak.upgrade() {
                let store = Store(inner);
                let failing = store.0.registry.borrow().failing();
                store.notify(&failing);
                store.watch_staleness();
            }
        });
        *self.0.stale_timer.borrow_mut() = Some(timeout);
    }

    /// One request with the source's credentials. After a 401, a callback is asked for new
    /// credentials once and the request is sent again.
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, PresenceError> {
        let first = self.credentials(false).await?;
        let answer = self.send_with(request, first.as_ref()).await?;
        if !self.renews_after(answer.status) {
            return Ok(answer);
        }
        let renewed = self.credentials(true).await?;
        self.send_with(request, renewed.as_ref()).await
    }

    async fn send_with(
        &self,
        request: &HttpRequest,
        credentials: Option<&Credentials>,
    ) -> Result<HttpResponse, PresenceError> {
        self.0.requests.set(self.0.requests.get() + 1);
        self.0.transport.send(request, credentials).await
    }

    /// Whether an answer with `status` asks the credentials callback for new ones and is sent
    /// again: a 401, where there is a callback.
    fn renews_after(&self, status: u16) -> bool {
        status == 401 && matches!(self.0.config.auth, Auth::Callback(_))
    }

    /// The credentials to use; from the callback when there are none yet or `renew` is set.
    async fn credentials(&self, renew: bool) -> Result<Option<Credentials>, PresenceError> {
        let Auth::Callback(callback) = &self.0.config.auth else {
            return Ok(self.0.credentials.borrow().clone());
        };
        if !renew {
            if let Some(c) = self.0.credentials.borrow().clone() {
                return Ok(Some(c));
            }
        }
        let credentials = callback().await.map_err(|message| {
            PresenceError::Config(format!(
                "source `{}`: the credentials callback failed: {message}",
                self.name()
            ))
        })?;
        self.0
            .registry
            .borrow()
            .adapter()
            .check_credentials(&credentials)?;
        *self.0.credentials.borrow_mut() = Some(credentials.clone());
        // The pictures waited for the first credentials.
        #[cfg(feature = "avatar")]
        self.next_photos();
        Ok(Some(credentials))
    }

    /// Plans the next poll from what this one did; nothing while the page is hidden or nobody
    /// is subscribed.
    fn schedule(&self, outcome: Outcome) {
        let failures = match &outcome {
            Outcome::Success => 0,
            Outcome::Failure(_) => self.0.failures.get().saturating_add(1),
        };
        self.0.failures.set(failures);
        *self.0.last_error.borrow_mut() = match outcome {
            Outcome::Success => None,
            Outcome::Failure(e) => Some(e),
        };
        self.plan_next();
    }

    /// Plans the next poll from the last poll's outcome and the failures so far (recorded by
    /// [`Store::schedule`]).
    fn plan_next(&self) {
        let failures = self.0.failures.get();
        let outcome = match self.0.last_error.borrow().clone() {
            None => Outcome::Success,
            Some(e) => Outcome::Failure(e),
        };
        if self.0.registry.borrow().is_empty() || self.hidden() {
            self.0.timer.borrow_mut().take();
            self.0.next_poll_at.set(0);
            return;
        }
        let now = now_ms();
        let random = self.next_random();
        let mut delay = next_delay_ms(&self.0.policy, &outcome, failures, now, random);
        if outcome == Outcome::Success && self.pushed() {
            // Pushed: the next full poll is the reconciliation round; the people the service
            // will not push are polled at the interval meanwhile.
            let reconcile = self
                .0
                .last_full_poll
                .get()
                .saturating_add(self.0.config.reconcile_ms)
                .saturating_sub(now);
            delay = if self.0.unpushed.borrow().is_empty() {
                reconcile
            } else {
                reconcile.min(self.0.policy.interval_ms)
            };
        }
        self.0.next_poll_at.set(now.saturating_add(delay));
        let weak = Rc::downgrade(&self.0);
        let ms = timer_ms(delay);
        let timeout = Timeout::new(ms, move || {
            if let Some(inner) = weak.upgrade() {
                Store(inner).poll_now();
            }
        });
        *self.0.timer.borrow_mut() = Some(timeout);
    }

    /// Pauses polling while the page is hidden and polls at once when it is shown again.
    fn watch_visibility(&self) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let weak = Rc::downgrade(&self.0);
        let callback = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let store = Store(inner);
            if store.0.role.get() == Role::Follow {
                // The leading tab polls while any tab is shown.
                store.announce();
            } else if store.hidden() {
                store.0.timer.borrow_mut().take();
                store.0.next_poll_at.set(0);
            } else if !store.0.registry.borrow().is_empty() && store.0.next_poll_at.get() == 0 {
                // Shown again after polling paused.
                store.poll_now();
            }
        });
        let added = document
            .add_event_listener_with_callback("visibilitychange", callback.as_ref().unchecked_ref())
            .is_ok();
        if added {
            *self.0.visibility.borrow_mut() = Some(callback);
        }
    }

    /// Tells the widgets of `changed` ids their new state (and, when leading, the other tabs).
    fn notify(&self, changed: &[UserId]) {
        if self.0.role.get() == Role::Lead
            && !changed.is_empty()
            && !self.0.followers.borrow().is_empty()
        {
            let shared = self.0.registry.borrow().shared(changed);
            self.tell(&Note::States(shared));
        }
        for id in changed {
            let state = self.state(id);
            let listeners: Vec<Listener> = self
                .0
                .listeners
                .borrow()
                .get(id)
                .map(|l| l.iter().map(|(_, f)| f.clone()).collect())
                .unwrap_or_default();
            for listener in listeners {
                listener(id, &state);
            }
        }
    }
}

#[cfg(feature = "write")]
impl Store {
    /// The statuses a person may pick at this source; none for one that takes no writes, or
    /// (Genesys) before its definitions are known.
    pub fn choices(&self) -> Vec<crate::core::Choice> {
        self.0.registry.borrow().adapter().choices()
    }

    /// What the service does with a picked status that a person should know, if anything.
    pub fn write_note(&self) -> Option<&'static str> {
        self.0.registry.borrow().adapter().write_note()
    }

    /// Whether the service would be asked to do `write` for `id` (it is planned, not refused
    /// before sending). Nothing is sent.
    pub fn takes(&self, id: &UserId, write: &crate::core::StatusWrite) -> bool {
        self.0
            .registry
            .borrow()
            .adapter()
            .plan_write(id, write, now_ms())
            .is_ok()
    }

    /// Whether a write of `id`'s status is in flight.
    pub fn writing(&self, id: &UserId) -> bool {
        self.0.writing.borrow().contains(id)
    }

    /// Makes sure what the statuses are is known (Genesys reads its definitions first).
    pub async fn learn_choices(&self) {
        self.setup().await;
    }

    /// Sets `id`'s status as `write` asks. Every widget of theirs on the page shows it at once
    /// and holds it until the service answers (an answer or push meanwhile does not undo it);
    /// refused, they show what the service last said. A write whose outcome only the service
    /// knows (Graph's reset), or that the service took in part, is read again at once.
    ///
    /// One write at a time per person: another while one is in flight is refused before
    /// anything is sent. The write goes on to its end, and its widgets are told, even if the
    /// widget that asked for it is removed; if the future itself is dropped, what it showed is
    /// let go.
    ///
    /// The write is reserved when `write` is called, before the future is first polled: from
    /// then on [`writing`](Self::writing) says so.
    ///
    /// # Errors
    /// [`PresenceError::Config`] before any request for what the service would refuse (see
    /// [`crate::core::Provider::plan_write`]) and for a write of theirs already in flight;
    /// the service's refusal ([`PresenceError::Http`]) or the network's otherwise.
    pub fn write(
        &self,
        id: &UserId,
        write: crate::core::StatusWrite,
    ) -> impl std::future::Future<Output = Result<(), PresenceError>> + 'static {
        // Reserved before anything is awaited: a second write (a double click) never gets past.
        let reserved = Writing::reserve(self, id);
        let (store, id) = (self.clone(), id.clone());
        async move { store.write_reserved(&id, write, reserved?).await }
    }

    async fn write_reserved(
        &self,
        id: &UserId,
        mut write: crate::core::StatusWrite,
        mut guard: Writing,
    ) -> Result<(), PresenceError> {
        self.setup().await;
        let plan = {
            let registry = self.0.registry.borrow();
            let adapter = registry.adapter();
            // A service that sets the message with the status is given the message shown.
            if adapter.message_with_status() && write.message.is_none() {
                write.message = Some(
                    registry
                        .underlying(id)
                        .and_then(|p| p.message.clone())
                        .unwrap_or_default(),
                );
            }
            adapter.plan_write(id, &write, now_ms())?
        };
        // Whether the write shows something at once (not a reset, whose outcome only the
        // service knows).
        let shows = plan.shows.is_some() || write.message.is_some();
        if shows {
            // A message alone is shown on a presence already known; a status on any.
            let known = self.state(id).presence().cloned();
            if known.is_some() || plan.shows.is_some() {
                let base = known.unwrap_or_else(|| {
                    Presence::new(id.clone(), self.kind(), crate::core::Availability::Unknown)
                });
                if self
                    .0
                    .registry
                    .borrow_mut()
                    .hold(id, plan.apply(&write, &base))
                {
                    self.notify(std::slice::from_ref(id));
                }
            }
        }
        let mut outcome = Ok(());
        let mut taken = 0_usize;
        for request in &plan.requests {
            let answer = self.send(request).await;
            outcome = answer.and_then(|response| {
                self.0
                    .registry
                    .borrow()
                    .adapter()
                    .parse_write(request, &response)
            });
            if outcome.is_err() {
                break;
            }
            taken = taken.saturating_add(1);
        }
        let confirmed = match (&outcome, self.0.registry.borrow().underlying(id)) {
            (Ok(()), Some(now)) if shows => Some(plan.apply(&write, now)),
            _ => None,
        };
        guard.end(confirmed);
        // What only the service knows now: a reset, or a write it took in part. And a tab that
        // follows asks the leading tab to read again, so that every tab shows the write.
        let partial = outcome.is_err() && taken > 0;
        let unknown = outcome.is_ok() && !shows;
        let follows = outcome.is_ok() && self.0.role.get() == Role::Follow;
        if unknown || partial || follows {
            self.poll_now();
        }
        outcome
    }
}

/// A write in flight for one person: reserved at its start, let go of at its end (or when its
/// future is dropped), telling the person's widgets.
#[cfg(feature = "write")]
struct Writing {
    store: Store,
    id: UserId,
    ended: bool,
}

#[cfg(feature = "write")]
impl Writing {
    /// Reserves `id`'s write, or says one is in flight.
    fn reserve(store: &Store, id: &UserId) -> Result<Self, PresenceError> {
        let mut writing = store.0.writing.borrow_mut();
        if writing.contains(id) {
            return Err(PresenceError::Config(format!(
                "source `{}`: a write of `{id}`'s status is in flight",
                store.name()
            )));
        }
        writing.push(id.clone());
        Ok(Self {
            store: store.clone(),
            id: id.clone(),
            ended: false,
        })
    }

    /// Ends it: `confirmed` is the person's presence now, or `None` for what the service last
    /// said.
    fn end(&mut self, confirmed: Option<Presence>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.store.0.writing.borrow_mut().retain(|w| *w != self.id);
        let released = self
            .store
            .0
            .registry
            .borrow_mut()
            .release(&self.id, confirmed, now_ms());
        if released {
            self.store.notify(std::slice::from_ref(&self.id));
        }
    }
}

#[cfg(feature = "write")]
impl Drop for Writing {
    fn drop(&mut self) {
        self.end(None);
    }
}

/// A store that does not keep its source alive: a relay's stream holds its stores so.
#[cfg(feature = "relay")]
#[derive(Clone)]
pub(crate) struct WeakStore(Weak<Inner>);

#[cfg(feature = "relay")]
impl WeakStore {
    /// The store, while it lives.
    pub(crate) fn upgrade(&self) -> Option<Store> {
        self.0.upgrade().map(Store)
    }
}

/// What a relay's stream needs of a store.
#[cfg(feature = "relay")]
impl Store {
    fn link(&self) -> Option<Rc<super::relay::Link>> {
        self.0.link.borrow().clone()
    }

    pub(crate) fn downgrade(&self) -> WeakStore {
        WeakStore(Rc::downgrade(&self.0))
    }

    /// The source's base URL.
    pub(crate) fn base_url(&self) -> &str {
        &self.0.config.base_url
    }

    /// The relay's name of this source: its `source` setting, else the page's name.
    pub(crate) fn relay_source(&self) -> String {
        self.0
            .config
            .settings
            .iter()
            .find(|(name, _)| name == "source")
            .map_or_else(|| self.0.config.name.clone(), |(_, v)| v.trim().to_owned())
    }

    /// Takes the relay's entries of people shown here; one fresh or failing arrives confirmed
    /// now.
    pub(crate) fn take_relayed(&self, mut entries: Vec<crate::core::tabs::Shared>) {
        let now = now_ms();
        for e in &mut entries {
            if e.presence.is_some() && e.confirmed_ms.is_none() {
                e.confirmed_ms = Some(now);
            }
        }
        let changed = self.0.registry.borrow_mut().take_shared(entries);
        *self.0.last_error.borrow_mut() = None;
        self.notify(&changed);
        self.watch_staleness();
    }

    /// The stream failed: everyone shown keeps their last presence with why (stale once older
    /// than the threshold), or shows the error.
    pub(crate) fn relay_failed(&self, error: PresenceError) {
        let ids = self.ids();
        let request =
            crate::core::providers::relay::stream_request("", &[(String::new(), ids)], &[], None);
        let applied = self
            .0
            .registry
            .borrow_mut()
            .apply(&request, Err(error.clone()), now_ms());
        *self.0.last_error.borrow_mut() = Some(error);
        self.notify(&applied.changed);
        self.watch_staleness();
    }

    /// The credentials for the stream; from the callback again when `renew` is set.
    pub(crate) async fn relay_credentials(
        &self,
        renew: bool,
    ) -> Result<Option<Credentials>, PresenceError> {
        self.credentials(renew).await
    }

    /// How the relay learns of this source's changes.
    pub(crate) fn relay_mode(&self, mode: Mode) {
        self.set_mode(mode);
    }

    /// Whether the relay refused this source.
    pub(crate) fn relay_refused(&self) -> bool {
        self.0.relay_refusal.borrow().is_some()
    }

    /// The relay refused this source: everyone shown, and everyone shown later, shows why.
    pub(crate) fn relay_refuse(&self, error: PresenceError) {
        *self.0.relay_refusal.borrow_mut() = Some(error);
        self.relay_show_refusal();
    }

    /// Shows the refusal on everyone shown now.
    pub(crate) fn relay_show_refusal(&self) {
        let Some(error) = self.0.relay_refusal.borrow().clone() else {
            return;
        };
        let rejected: Vec<(UserId, PresenceError)> = self
            .ids()
            .into_iter()
            .map(|id| (id, error.clone()))
            .collect();
        let changed = self.0.registry.borrow_mut().reject(&rejected);
        self.notify(&changed);
    }

    /// Shows that these ids are longer than the relay takes (`max` bytes).
    pub(crate) fn relay_reject(&self, ids: &[UserId], max: usize) {
        if ids.is_empty() {
            return;
        }
        let rejected: Vec<(UserId, PresenceError)> = ids
            .iter()
            .map(|id| {
                let error = PresenceError::Config(format!(
                    "relay: an id of at most {max} bytes, not one of {}",
                    id.as_str().len()
                ));
                (id.clone(), error)
            })
            .collect();
        let changed = self.0.registry.borrow_mut().reject(&rejected);
        self.notify(&changed);
    }
}

impl Store {
    /// Whether this is a `relay` source (read from the page's one stream, never polled).
    fn relayed(&self) -> bool {
        #[cfg(feature = "relay")]
        return self.0.link.borrow().is_some();
        #[cfg(not(feature = "relay"))]
        false
    }

    /// Whether the service pushes to this source now.
    fn pushed(&self) -> bool {
        *self.0.mode.borrow() == Mode::Push
    }

    fn set_mode(&self, mode: Mode) {
        if *self.0.mode.borrow() == mode {
            return;
        }
        if self.0.role.get() == Role::Lead {
            self.tell(&mode_note(&mode));
        }
        *self.0.mode.borrow_mut() = mode;
        // Every widget hears of it: the mode is part of what they show and say.
        let ids = self.ids();
        self.notify(&ids);
    }

    /// Push failed: everyone is polled again (now, to heal what was missed), and push is tried
    /// again later, backing off.
    #[cfg(feature = "push")]
    fn push_failed(&self, error: PresenceError) {
        self.push_stopped(error, false);
    }

    /// Push stopped; with `for_long`, it is tried again no sooner than the reconciliation
    /// period.
    fn push_stopped(&self, error: PresenceError, for_long: bool) {
        #[cfg(feature = "push")]
        self.0.push.borrow_mut().take();
        self.0.unpushed.borrow_mut().clear();
        let now = now_ms();
        if self
            .0
            .live_since
            .take()
            .is_some_and(|since| now.saturating_sub(since) >= 60_000)
        {
            // Live for a while: this failure starts the backoff over.
            self.0.push_failures.set(0);
        }
        let failures = self.0.push_failures.get().saturating_add(1);
        self.0.push_failures.set(failures);
        self.set_mode(Mode::Poll(error.to_string()));
        if !self.0.config.live {
            return;
        }
        let random = self.next_random();
        let mut delay = backoff_ms(&self.0.policy, failures, random);
        if for_long {
            delay = delay.max(self.0.config.reconcile_ms);
        }
        let weak = Rc::downgrade(&self.0);
        let retry = Timeout::new(timer_ms(delay), move || {
            if let Some(inner) = weak.upgrade() {
                let store = Store(inner);
                if !store.0.registry.borrow().is_empty() {
                    store.start_push();
                }
            }
        });
        *self.0.push_retry.borrow_mut() = Some(retry);
        if !self.0.registry.borrow().is_empty() {
            // A full read now: whatever changed while the socket failed is seen.
            self.0.last_full_poll.set(0);
            self.poll_now();
        }
    }
}

/// The version of what the tabs say to each other (`core::tabs`), in the name they share.
const TABS_VERSION: u32 = 1;

/// The mode a source starts in, before its push session says otherwise.
fn first_mode(config: &SourceConfig) -> Mode {
    Mode::Poll(if config.kind == ProviderKind::Relay {
        "connecting to the relay".to_owned()
    } else if !cfg!(feature = "push") {
        "this build polls (its cargo feature `push` is off)".to_owned()
    } else if config.live {
        "connecting to the service's push".to_owned()
    } else {
        "live: false in the source's options".to_owned()
    })
}

/// A mode, as the leading tab tells it.
fn mode_note(mode: &Mode) -> Note {
    Note::Mode {
        push: *mode == Mode::Push,
        reason: mode.reason().map(str::to_owned),
    }
}

/// What the browser or another tab says, to the store it is for (if it still lives).
fn hear(weak: &Weak<Inner>, event: TabEvent) {
    if let Some(inner) = weak.upgrade() {
        Store(inner).heard(event);
    }
}

/// The tabs of the origin: who leads, and what they say.
impl Store {
    /// Whether nobody looks: this page is hidden and so is every tab that follows it.
    fn hidden(&self) -> bool {
        page_hidden() && !self.0.followers.borrow().any_visible()
    }

    /// Tells the other tabs, when the source is shared.
    fn tell(&self, note: &Note) {
        if let Some(tabs) = self.0.tabs.borrow().as_ref() {
            tabs.post(note);
        }
    }

    /// Tells the leading tab who this one shows and whether it is looked at.
    fn announce(&self) {
        let Some(tab) = self.0.tabs.borrow().as_ref().map(|t| t.id.clone()) else {
            return;
        };
        self.tell(&Note::Watch {
            tab,
            visible: !page_hidden(),
            ids: self.ids(),
        });
    }

    fn heard(&self, event: TabEvent) {
        match event {
            TabEvent::Lead => {
                let was = self.0.role.replace(Role::Lead);
                self.tell(&Note::Lead);
                if was != Role::Follow {
                    return self.schedule_flush();
                }
                // Taking over from a tab that closed: everyone keeps what they show; this tab
                // reads them all now (what happened meanwhile), then opens the push.
                self.set_mode(first_mode(&self.0.config));
                self.0.last_full_poll.set(0);
                let weak = Rc::downgrade(&self.0);
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(inner) = weak.upgrade() {
                        let store = Store(inner);
                        store.poll().await;
                        if !store.0.registry.borrow().is_empty() {
                            store.start_push();
                        }
                    }
                });
            }
            TabEvent::Follow => {
                self.0.role.set(Role::Follow);
                self.announce();
            }
            TabEvent::Gone(tab) => {
                let gone = self.0.followers.borrow_mut().gone(&tab);
                for id in &gone {
                    self.release(id);
                }
            }
            TabEvent::Note(note) => match (self.0.role.get(), note) {
                (Role::Lead, Note::Watch { tab, visible, ids }) => {
                    self.follower_watches(&tab, visible, &ids);
                }
                (Role::Lead, Note::Poll) => self.poll_now(),
                (Role::Follow, Note::Lead) => self.announce(),
                (Role::Follow, Note::States(states)) => {
                    let changed = self.0.registry.borrow_mut().take_shared(states);
                    self.notify(&changed);
                    self.watch_staleness();
                }
                (Role::Follow, Note::Mode { push, reason }) => self.set_mode(if push {
                    Mode::Push
                } else {
                    Mode::Poll(reason.unwrap_or_default())
                }),
                _ => {}
            },
        }
    }

    /// A following tab's whole watch set: its new people are read (once, however many tabs
    /// show them), those it dropped are let go, and it is told what this tab knows already.
    fn follower_watches(&self, tab: &str, visible: bool, ids: &[UserId]) {
        if let Some(tabs) = self.0.tabs.borrow().as_ref() {
            tabs.follow(tab);
        }
        let (added, removed) = self
            .0
            .followers
            .borrow_mut()
            .watch(tab, visible, ids.to_vec());
        let mut new = false;
        for id in &added {
            new |= self.hold(id);
        }
        for id in &removed {
            self.release(id);
        }
        self.tell(&mode_note(&self.mode()));
        let known: Vec<_> = self
            .0
            .registry
            .borrow()
            .shared(ids)
            .into_iter()
            .filter(|s| s.presence.is_some() || s.error.is_some())
            .collect();
        if !known.is_empty() {
            self.tell(&Note::States(known));
        }
        if new {
            self.schedule_flush();
        } else if visible && self.0.next_poll_at.get() == 0 && !self.0.polling.get() {
            // Everyone was hidden, so polling paused: a tab is looked at again. Polled now if a
            // poll is overdue, else at the interval (switching tabs costs no extra read).
            let since = now_ms().saturating_sub(self.0.last_full_poll.get());
            if since >= self.0.policy.interval_ms {
                self.poll_now();
            } else {
                // The same failure count and backoff as before the pause.
                self.plan_next();
            }
        }
    }
}

#[cfg(feature = "push")]
impl Store {
    /// Opens the service's push session, unless the source is polled on purpose, one is open or
    /// opening, or nobody is shown.
    fn start_push(&self) {
        if !self.0.config.live
            || self.0.push.borrow().is_some()
            || self.0.push_starting.replace(true)
        {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let store = Store(inner);
            let credentials = store.credentials(false).await;
            store.0.push_starting.set(false);
            let credentials = match credentials {
                Ok(c) => c,
                Err(e) => return store.push_failed(e),
            };
            let now = now_ms();
            let made = store
                .0
                .registry
                .borrow()
                .adapter()
                .push(credentials.as_ref(), now);
            match made {
                None => store.set_mode(Mode::Poll(format!(
                    "{} pushes no changes to a browser",
                    store.kind()
                ))),
                Some(Err(e)) => store.push_failed(e),
                Some(Ok(mut session)) => {
                    let generation = store.0.push_generation.get().wrapping_add(1);
                    store.0.push_generation.set(generation);
                    let ids = store.ids();
                    *store.0.watch.borrow_mut() = (Vec::new(), Vec::new());
                    session.watch(&ids, &[], now);
                    session.start(now);
                    *store.0.push.borrow_mut() = Some(Driver::new(session));
                    store.run_push();
                }
            }
        });
    }

    /// Gives the session something that happened, then does what it asks.
    fn push_step(&self, step: impl FnOnce(&mut dyn crate::core::push::PushSession, u64)) {
        {
            let mut slot = self.0.push.borrow_mut();
            let Some(driver) = slot.as_mut() else {
                return;
            };
            step(driver.session.as_mut(), now_ms());
        }
        self.run_push();
    }

    /// Carries out the session's actions, one at a time (each may call back into the store),
    /// then sets its timer.
    fn run_push(&self) {
        loop {
            let action = match self.0.push.borrow_mut().as_mut() {
                Some(driver) => driver.session.poll_action(),
                None => return,
            };
            let Some(action) = action else {
                break;
            };
            match action {
                Action::Open { socket, url } => {
                    let opened = socket::open(socket, &url, Rc::downgrade(&self.0), deliver);
                    match opened {
                        Ok(s) => {
                            if let Some(driver) = self.0.push.borrow_mut().as_mut() {
                                driver.sockets.push(s);
                            }
                        }
                        Err(_) => self.push_event(socket, Event::Closed(1006)),
                    }
                }
                Action::Send { socket, text } => {
                    let sent = self
                        .0
                        .push
                        .borrow()
                        .as_ref()
                        .is_some_and(|d| d.send(socket, &text));
                    if !sent {
                        self.push_event(socket, Event::Closed(1006));
                    }
                }
                Action::Close { socket, code } => {
                    if let Some(driver) = self.0.push.borrow_mut().as_mut() {
                        driver.close(socket, code);
                    }
                }
                Action::Request(request) => {
                    let asked = request.clone();
                    self.session_task(
                        move |store| async move { store.send(&request).await },
                        move |store, answer| {
                            store.push_step(|s, now| s.answer(&asked, answer, now));
                        },
                    );
                }
                Action::Presences(presences) => {
                    let changed = self.0.registry.borrow_mut().push(presences, now_ms());
                    self.notify(&changed);
                }
                Action::Subscribed(ids) => {
                    // The services send no snapshot: read these people once, now that their
                    // changes are pushed.
                    if self.0.live_since.get().is_none() {
                        self.0.live_since.set(Some(now_ms()));
                    }
                    self.set_mode(Mode::Push);
                    // The snapshot is a full read: the next one is the reconciliation round.
                    self.0.last_full_poll.set(now_ms());
                    self.snapshot(ids);
                }
                Action::Unpushed(refused) => {
                    if !self.pushed() {
                        // Nobody pushed yet: the refusal is why the source is polled.
                        if let Some((_, why)) = refused.first() {
                            self.set_mode(Mode::Poll(why.to_string()));
                        }
                    }
                    // Polled at the interval instead, each with the service's reason.
                    self.0.unpushed.borrow_mut().extend(refused);
                }
                Action::Renew => self.session_task(
                    |store| async move { store.credentials(true).await },
                    |store, renewed| match renewed {
                        Ok(Some(c)) => store.push_step(|s, now| s.credentials(&c, now)),
                        // No credentials to give: push cannot go on.
                        Ok(None) => store.push_failed(crate::core::push::failure(
                            store.kind(),
                            "the service asks for credentials and the source has none",
                        )),
                        Err(e) => store.push_failed(e),
                    },
                ),
                Action::Failed(error) => return self.push_failed(error),
            }
        }
        let next = self
            .0
            .push
            .borrow()
            .as_ref()
            .and_then(|d| d.session.next_timeout());
        let timer = next.map(|at| {
            let weak = Rc::downgrade(&self.0);
            let ms = timer_ms(at.saturating_sub(now_ms()));
            Timeout::new(ms, move || {
                if let Some(inner) = weak.upgrade() {
                    Store(inner).push_step(|s, now| s.timeout(now));
                }
            })
        });
        if let Some(driver) = self.0.push.borrow_mut().as_mut() {
            driver.timer = timer;
        }
    }

    /// Runs `work` for the current push session in a task, then `done` with what it gave, unless
    /// that session has been replaced meanwhile (its answer is not the new one's).
    fn session_task<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        work: impl FnOnce(Store) -> F + 'static,
        done: impl FnOnce(Store, T) + 'static,
    ) {
        let weak = Rc::downgrade(&self.0);
        let generation = self.0.push_generation.get();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let store = Store(inner);
            let out = work(store.clone()).await;
            if store.0.push_generation.get() == generation {
                done(store, out);
            }
        });
    }

    /// Reads `ids` once by REST (the snapshot a push service does not send).
    fn snapshot(&self, ids: Vec<UserId>) {
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(inner) = weak.upgrade() {
                let store = Store(inner);
                let plan = store.0.registry.borrow().plan_poll_of(&ids);
                store.send_plan(plan).await;
            }
        });
    }

    fn push_event(&self, socket: SocketId, event: Event) {
        self.push_step(|s, now| match event {
            Event::Opened => s.opened(socket, now),
            Event::Frame(text) => s.frame(socket, &text, now),
            Event::Closed(code) => s.closed(socket, code, now),
        });
    }
}

#[cfg(not(feature = "push"))]
impl Store {
    /// This build polls: its cargo feature `push` is off.
    fn start_push(&self) {}

    /// There is no session to tell.
    fn push_step(&self, _step: impl FnOnce(&mut dyn crate::core::push::PushSession, u64)) {}
}

#[cfg(feature = "push")]
/// What a socket reports, to the store that owns it (if it still lives).
fn deliver(weak: &Weak<Inner>, socket: SocketId, event: Event) {
    if let Some(inner) = weak.upgrade() {
        Store(inner).push_event(socket, event);
    }
}

/// Runs `futures` together; their outputs in their order. A few at a time (the requests of one
/// poll), so every wake polls those still pending: smaller than `futures_util::join_all`.
async fn join<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let (Some(callback), Some(document)) = (
            self.visibility.borrow_mut().take(),
            web_sys::window().and_then(|w| w.document()),
        ) {
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                callback.as_ref().unchecked_ref(),
            );
        }
    }
}
