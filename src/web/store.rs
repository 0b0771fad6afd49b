//! One `Store` per configured source: widgets subscribe ids, ids wanted in the same tick are
//! asked for in one plan, the same id is fetched once however many widgets show it, and polling
//! keeps everyone current, paused while the page is hidden, backing off on failure.
//!
//! What a source decides is the core's [`Reader`]; the store carries it out in the browser: its
//! requests by fetch (with the credentials, a callback asked again after a 401), one timer, the
//! push sockets, the tabs' channel and the widgets' listeners.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[cfg(feature = "avatar")]
mod photos;

#[cfg(feature = "push")]
use super::push::{self as socket, Event, Sockets};
use super::source::{Auth, SourceConfig};
use super::tabs::{TabEvent, Tabs};
use super::transport::{now_ms, timer_ms, Transport};
use crate::core::reader::{Effect, Options, Reader, Role};
use crate::core::schedule::Policy;
use crate::core::tabs::Note;
use crate::core::{
    Credentials, HttpRequest, HttpResponse, Presence, PresenceError, ProviderKind, Registry, State,
    UserId,
};

/// Called with a person's new state.
pub type Listener = Rc<dyn Fn(&UserId, &State)>;

/// How a source learns of changes: pushed, or polled and why (in a page, a poll always says
/// why).
pub use crate::core::reader::Mode;

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
    /// What the source decides: who is watched, each person's state, when to read, push.
    reader: RefCell<Reader>,
    listeners: RefCell<HashMap<UserId, Vec<(u64, Listener)>>>,
    next_listener: Cell<u64>,
    credentials: RefCell<Option<Credentials>>,
    flush_scheduled: Cell<bool>,
    /// The reader's one timer: when it fires, and the browser's timeout.
    timer: RefCell<Option<(u64, Timeout)>>,
    /// The reader's effects are being carried out (a listener may call back in).
    driving: Cell<bool>,
    last_error: RefCell<Option<PresenceError>>,
    requests: Cell<u64>,
    visibility: RefCell<Option<Closure<dyn FnMut()>>>,
    mode: RefCell<Mode>,
    /// The push session's sockets.
    #[cfg(feature = "push")]
    sockets: RefCell<Sockets>,
    /// This tab's link to the other tabs of the origin, while the source is shared.
    tabs: RefCell<Option<Tabs>>,
    /// A `relay` source's share of the page's one stream from its relay.
    #[cfg(feature = "relay")]
    link: RefCell<Option<Rc<super::relay::Link>>>,
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
        let relay = config.kind == ProviderKind::Relay;
        // A relay source is one stream per page; the relay, not a leading tab, reads for all.
        let share = config.share_tabs && !relay;
        let transport = Transport {
            timeout_ms: config.timeout_ms,
            send_cookies: config.send_cookies,
        };
        let credentials = match &config.auth {
            Auth::Value(c) => Some(c.clone()),
            Auth::Callback(_) | Auth::None => None,
        };
        let options = Options {
            policy: Some(policy),
            reconcile_ms: config.reconcile_ms,
            live: config.live && cfg!(feature = "push"),
            seed: now_ms(),
            budget: None,
            in_flight: usize::MAX,
            // A relay source is read from the relay's stream, never by its reader.
            role: match (relay, share) {
                (true, _) => Role::Follow,
                (false, true) => Role::Deciding,
                (false, false) => Role::Lead,
            },
        };
        let mut reader = Reader::new(
            Registry::new(adapter).with_stale_after(policy.stale_after_ms),
            options,
        );
        reader.handle_hidden(page_hidden());
        let mode = mode_of(&config, reader.mode());
        let store = Store(Rc::new(Inner {
            policy,
            config,
            transport,
            reader: RefCell::new(reader),
            listeners: RefCell::new(HashMap::new()),
            next_listener: Cell::new(0),
            credentials: RefCell::new(credentials),
            flush_scheduled: Cell::new(false),
            timer: RefCell::new(None),
            driving: Cell::new(false),
            last_error: RefCell::new(None),
            requests: Cell::new(0),
            visibility: RefCell::new(None),
            mode: RefCell::new(mode),
            #[cfg(feature = "push")]
            sockets: RefCell::default(),
            tabs: RefCell::new(None),
            #[cfg(feature = "relay")]
            link: RefCell::new(None),
            #[cfg(feature = "write")]
            writing: RefCell::new(Vec::new()),
            #[cfg(feature = "avatar")]
            photos: RefCell::default(),
        }));
        #[cfg(feature = "relay")]
        if relay {
            let member = Box::new(Relayed::new(&store));
            let link = super::relay::join(&store.0.config.base_url, member);
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
        if self.0.reader.borrow_mut().watch(id) {
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

    /// One widget (here, or in a following tab) fewer shows `id`: the reader, the leader or
    /// the relay hears of it once the tick is over.
    fn release(&self, id: &UserId) {
        if self.0.reader.borrow_mut().unwatch(id) {
            self.schedule_flush();
        }
    }

    /// What a widget shows for `id` now: `Loading` until the first answer.
    pub fn state(&self, id: &UserId) -> State {
        self.0
            .reader
            .borrow()
            .registry()
            .state(id, now_ms())
            .unwrap_or(State::Loading)
    }

    /// How many people are subscribed (each counted once, however many widgets show them).
    pub fn watched(&self) -> usize {
        self.0.reader.borrow().registry().len()
    }

    /// Everyone subscribed.
    pub fn ids(&self) -> Vec<UserId> {
        self.0.reader.borrow().registry().ids()
    }

    /// How many subscribed people have a presence.
    pub fn loaded(&self) -> usize {
        self.0.reader.borrow().registry().loaded()
    }

    /// Requests sent since the store was made.
    pub fn requests_sent(&self) -> u64 {
        self.0.requests.get()
    }

    /// When the next poll is due, in milliseconds since the Unix epoch (0 when none is planned).
    pub fn next_poll_at_ms(&self) -> u64 {
        self.0.reader.borrow().next_poll_at().unwrap_or(0)
    }

    /// How the source learns of changes now: pushed, or polled and why.
    pub fn mode(&self) -> Mode {
        self.0.mode.borrow().clone()
    }

    /// The people the service refused to push (their subscription was rejected), each with
    /// why: they are polled at the source's interval.
    pub fn unpushed(&self) -> Vec<(UserId, PresenceError)> {
        self.0.reader.borrow().unpushed().to_vec()
    }

    /// The error of the last poll, if it failed.
    pub fn last_error(&self) -> Option<PresenceError> {
        self.0.last_error.borrow().clone()
    }

    /// Shows presences the page received by other means, such as a Genesys notification channel
    /// or Rocket.Chat's realtime stream read with the core's event parsers, or the signed-in
    /// user's own change. Only people some widget shows are kept; their widgets update at once.
    pub fn push(&self, presences: Vec<Presence>) {
        let changed = self
            .0
            .reader
            .borrow_mut()
            .registry_mut()
            .push(presences, now_ms());
        self.notify(&changed);
    }

    /// Polls now, whatever the timer says (the page was shown again, or a test wants it).
    pub fn poll_now(&self) {
        if self.relayed() {
            // The relay streams; it is never polled.
            return;
        }
        match self.role() {
            Role::Deciding => {}
            // The leading tab polls for everyone: ask it to.
            Role::Follow => self.tell(&Note::Poll),
            Role::Lead => {
                self.0.reader.borrow_mut().handle_poll_now();
                self.drive();
            }
        }
    }

    /// This tab's part in the source.
    fn role(&self) -> Role {
        self.0.reader.borrow().role()
    }

    /// Tells whoever reads once the current tick is over, so that every id subscribed in the
    /// same tick goes in the same plan.
    fn schedule_flush(&self) {
        if self.0.flush_scheduled.replace(true) {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(inner) = weak.upgrade() {
                let store = Store(inner);
                store.0.flush_scheduled.set(false);
                store.flush();
            }
        });
    }

    fn flush(&self) {
        #[cfg(feature = "relay")]
        if let Some(link) = self.0.link.borrow().clone() {
            // The page's stream from the relay is reopened with the new watch set.
            return link.changed();
        }
        match self.role() {
            // Once the browser has said who leads.
            Role::Deciding => {}
            // The leader hears the whole set.
            Role::Follow => self.announce(),
            Role::Lead => self.drive(),
        }
    }

    /// Carries out what the reader asks until it asks nothing more, then sets its timer.
    fn drive(&self) {
        if self.0.driving.replace(true) {
            // The loop below is running and asks the reader again.
            return;
        }
        loop {
            let effect = self.0.reader.borrow_mut().poll_effect(now_ms());
            let Some(effect) = effect else {
                break;
            };
            self.effect(effect);
        }
        self.0.driving.set(false);
        // Pictures whose read is due again (the timer below woke up for them).
        #[cfg(feature = "avatar")]
        self.next_photos();
        self.arm();
    }

    fn effect(&self, effect: Effect) {
        match effect {
            Effect::Send { id, request } => self.task(
                move |store| async move {
                    let answer = store.send(&request).await;
                    (request, answer)
                },
                move |reader, (request, answer), now| {
                    reader.handle_answer(id, &request, answer, now);
                },
            ),
            Effect::Credentials { renew } => self.task(
                move |store| async move { store.credentials(renew).await },
                |reader, credentials, now| reader.handle_credentials(credentials, now),
            ),
            #[cfg(feature = "push")]
            Effect::Open { socket: key, url } => {
                match socket::open(key, &url, Rc::downgrade(&self.0), deliver) {
                    Ok(s) => self.0.sockets.borrow_mut().add(s),
                    Err(_) => self
                        .0
                        .reader
                        .borrow_mut()
                        .handle_closed(key, 1006, now_ms()),
                }
            }
            #[cfg(feature = "push")]
            Effect::Frame { socket, text } if !self.0.sockets.borrow().send(socket, &text) => {
                self.0.sockets.borrow_mut().close(socket, 1006);
                self.0
                    .reader
                    .borrow_mut()
                    .handle_closed(socket, 1006, now_ms());
            }
            #[cfg(feature = "push")]
            Effect::Close { socket, code } => self.0.sockets.borrow_mut().close(socket, code),
            Effect::Changed { ids, .. } => self.notify(&ids),
            Effect::Tell(note) => self.tell(&note),
            Effect::Announce => self.announce(),
            Effect::Status if self.role() == Role::Lead => {
                let (mode, error) = {
                    let reader = self.0.reader.borrow();
                    (
                        mode_of(&self.0.config, reader.mode()),
                        reader.last_error().cloned(),
                    )
                };
                *self.0.last_error.borrow_mut() = error;
                self.set_mode(mode);
            }
            // A frame sent, a follower's status (the leader's is shown), a build without push
            // (which opens no socket), notes (for a server's log).
            _ => {}
        }
    }

    /// Runs `work` in a task, then hands what it gave to the reader with `done` and carries on.
    fn task<T: 'static, F: std::future::Future<Output = T> + 'static>(
        &self,
        work: impl FnOnce(Store) -> F + 'static,
        done: impl FnOnce(&mut Reader, T, u64) + 'static,
    ) {
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let store = Store(inner);
            let out = work(store.clone()).await;
            done(&mut store.0.reader.borrow_mut(), out, now_ms());
            store.drive();
        });
    }

    /// Sets the one timer for the reader's next timeout (or none).
    fn arm(&self) {
        let next = self.0.reader.borrow().next_timeout();
        let mut timer = self.0.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        *timer = next.map(|at| {
            let weak = Rc::downgrade(&self.0);
            let timeout = Timeout::new(timer_ms(at.saturating_sub(now_ms())), move || {
                if let Some(inner) = weak.upgrade() {
                    let store = Store(inner);
                    store.0.timer.borrow_mut().take();
                    store.0.reader.borrow_mut().handle_timeout(now_ms());
                    store.drive();
                }
            });
            (at, timeout)
        });
    }

    /// Genesys definitions before a write, for the statuses a person may pick.
    #[cfg(feature = "write")]
    async fn setup(&self) {
        loop {
            let request = {
                let mut reader = self.0.reader.borrow_mut();
                let registry = reader.registry_mut();
                let Some(request) = registry.plan_setup() else {
                    return;
                };
                registry.setup_sent(&request);
                request
            };
            let answer = self.send(&request).await;
            let mut reader = self.0.reader.borrow_mut();
            let registry = reader.registry_mut();
            registry.apply_setup(&request, answer);
            if registry.plan_setup().as_ref() == Some(&request) {
                return;
            }
        }
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
            .reader
            .borrow()
            .registry()
            .adapter()
            .check_credentials(&credentials)?;
        *self.0.credentials.borrow_mut() = Some(credentials.clone());
        // The pictures waited for the first credentials.
        #[cfg(feature = "avatar")]
        self.next_photos();
        Ok(Some(credentials))
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
            if store.role() == Role::Follow {
                // The leading tab polls while any tab is shown.
                store.announce();
            } else {
                store.0.reader.borrow_mut().handle_hidden(page_hidden());
                store.drive();
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
        if self.role() == Role::Lead && !changed.is_empty() && self.0.reader.borrow().followed() {
            let shared = self.0.reader.borrow().registry().shared(changed);
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
        self.0.reader.borrow().registry().adapter().choices()
    }

    /// What the service does with a picked status that a person should know, if anything.
    pub fn write_note(&self) -> Option<&'static str> {
        self.0.reader.borrow().registry().adapter().write_note()
    }

    /// Whether the service would be asked to do `write` for `id` (it is planned, not refused
    /// before sending). Nothing is sent.
    pub fn takes(&self, id: &UserId, write: &crate::core::StatusWrite) -> bool {
        self.0
            .reader
            .borrow()
            .registry()
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
            let reader = self.0.reader.borrow();
            let registry = reader.registry();
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
                let held = self
                    .0
                    .reader
                    .borrow_mut()
                    .handle_write_begun(id, plan.apply(&write, &base));
                if held {
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
                    .reader
                    .borrow()
                    .registry()
                    .adapter()
                    .parse_write(request, &response)
            });
            if outcome.is_err() {
                break;
            }
            taken = taken.saturating_add(1);
        }
        let confirmed = match (&outcome, self.0.reader.borrow().registry().underlying(id)) {
            (Ok(()), Some(now)) if shows => Some(plan.apply(&write, now)),
            _ => None,
        };
        guard.end(confirmed);
        // What only the service knows now: a reset, or a write it took in part. And a tab that
        // follows asks the leading tab to read again, so that every tab shows the write.
        let partial = outcome.is_err() && taken > 0;
        let unknown = outcome.is_ok() && !shows;
        let follows = outcome.is_ok() && self.role() == Role::Follow;
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
        let released =
            self.store
                .0
                .reader
                .borrow_mut()
                .registry_mut()
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

/// A `relay` source as its relay's link sees it, with the relay's name of the source (its
/// `source` setting, else the page's name); it does not keep the source alive.
#[cfg(feature = "relay")]
struct Relayed(Weak<Inner>, String);

#[cfg(feature = "relay")]
impl Relayed {
    fn new(store: &Store) -> Self {
        let c = &store.0.config;
        let source = c
            .settings
            .iter()
            .find(|(name, _)| name == "source")
            .map_or_else(|| c.name.clone(), |(_, v)| v.trim().to_owned());
        Self(Rc::downgrade(&store.0), source)
    }

    fn store(&self) -> Option<Store> {
        self.0.upgrade().map(Store)
    }
}

#[cfg(feature = "relay")]
impl super::relay::Member for Relayed {
    fn alive(&self) -> bool {
        self.0.strong_count() > 0
    }

    fn source(&self) -> &str {
        &self.1
    }

    fn ids(&self) -> Vec<UserId> {
        self.store().map(|s| s.ids()).unwrap_or_default()
    }

    fn hear(&self, news: crate::core::link::News) {
        use crate::core::link::News;
        let Some(store) = self.store() else {
            return;
        };
        let changed = match news {
            News::Entries(entries) => {
                let mut reader = store.0.reader.borrow_mut();
                let changed = reader.registry_mut().take_shared(entries);
                reader.handle_taken(now_ms());
                drop(reader);
                *store.0.last_error.borrow_mut() = None;
                changed
            }
            News::Mode(mode) => return store.set_mode(mode),
            News::Refused(error) => {
                let rejected: Vec<_> = store
                    .ids()
                    .into_iter()
                    .map(|id| (id, error.clone()))
                    .collect();
                store.0.reader.borrow_mut().registry_mut().reject(&rejected)
            }
            News::Rejected(rejected) => {
                store.0.reader.borrow_mut().registry_mut().reject(&rejected)
            }
        };
        store.notify(&changed);
        store.arm();
    }

    /// Everyone shown keeps their last presence with why (stale once older than the
    /// threshold), or shows the error.
    fn failed(&self, error: PresenceError) {
        let Some(store) = self.store() else {
            return;
        };
        let request = crate::core::providers::relay::stream_request(
            "",
            &[(String::new(), store.ids())],
            &[],
            None,
        );
        let applied = {
            let mut reader = store.0.reader.borrow_mut();
            let now = now_ms();
            let applied = reader
                .registry_mut()
                .apply(&request, Err(error.clone()), now);
            reader.handle_taken(now);
            applied
        };
        *store.0.last_error.borrow_mut() = Some(error);
        store.notify(&applied.changed);
        store.arm();
    }

    fn credentials(&self, renew: bool) -> super::relay::Asked {
        let store = self.store();
        Box::pin(async move {
            match store {
                Some(s) => s.credentials(renew).await,
                None => Ok(None),
            }
        })
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

    fn set_mode(&self, mode: Mode) {
        if *self.0.mode.borrow() == mode {
            return;
        }
        if self.role() == Role::Lead {
            self.tell(&mode_note(&mode));
        }
        *self.0.mode.borrow_mut() = mode;
        // Every widget hears of it: the mode is part of what they show and say.
        let ids = self.ids();
        self.notify(&ids);
    }
}

/// The version of what the tabs say to each other (`core::tabs`), in the name they share.
const TABS_VERSION: u32 = 1;

/// The mode the widgets show for the reader's: why a source is polled, said for a page.
fn mode_of(config: &SourceConfig, mode: &Mode) -> Mode {
    match mode {
        Mode::Poll(None) => Mode::Poll(Some(if config.kind == ProviderKind::Relay {
            "connecting to the relay".to_owned()
        } else if !cfg!(feature = "push") {
            "this build polls (its cargo feature `push` is off)".to_owned()
        } else if !config.live {
            "live: false in the source's options".to_owned()
        } else {
            format!("{} pushes no changes to a browser", config.kind)
        })),
        known => known.clone(),
    }
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

    /// What the browser or another tab says: the reader decides, but for the leader's mode,
    /// which a following tab shows as it is told.
    fn heard(&self, event: TabEvent) {
        let now = now_ms();
        match event {
            // Taking over from a tab that closed, everyone keeps what they show; this tab reads
            // them all now (what happened meanwhile), then opens the push.
            // Whether this page is looked at is learnt again (a following tab only told the
            // leader).
            TabEvent::Lead => {
                let mut reader = self.0.reader.borrow_mut();
                reader.handle_hidden(page_hidden());
                reader.handle_role(Role::Lead);
            }
            TabEvent::Follow => self.0.reader.borrow_mut().handle_role(Role::Follow),
            TabEvent::Gone(tab) => self.0.reader.borrow_mut().handle_tab_gone(&tab),
            TabEvent::Note(Note::Mode { push, reason }) => {
                if self.role() == Role::Follow {
                    self.set_mode(if push {
                        Mode::Push
                    } else {
                        Mode::Poll(Some(reason.unwrap_or_default()))
                    });
                }
                return;
            }
            TabEvent::Note(note) => {
                if let (Role::Lead, Note::Watch { tab, .. }) = (self.role(), &note) {
                    // The follower's lock is watched, to learn when it closes; it is told how
                    // the source is read.
                    if let Some(tabs) = self.0.tabs.borrow().as_ref() {
                        tabs.follow(tab);
                    }
                    self.tell(&mode_note(&self.mode()));
                }
                self.0.reader.borrow_mut().handle_note(note, now);
            }
        }
        self.drive();
    }
}

#[cfg(feature = "push")]
/// What a socket reports, to the store that owns it (if it still lives).
fn deliver(weak: &Weak<Inner>, socket: crate::core::reader::SocketKey, event: Event) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let store = Store(inner);
    {
        let now = now_ms();
        let mut reader = store.0.reader.borrow_mut();
        match event {
            Event::Opened => reader.handle_opened(socket, now),
            Event::Frame(text) => reader.handle_frame(socket, &text, now),
            Event::Closed(code) => {
                store.0.sockets.borrow_mut().forget(socket);
                reader.handle_closed(socket, code, now);
            }
        }
    }
    store.drive();
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
