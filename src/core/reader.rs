//! One source's reader, sans-IO: everything a source decides, written once for every driver (the
//! relay's reader task today; the browser store next).
//!
//! In the shape of quinn-proto's `Connection` and of the core's own [`PushSession`]: the driver
//! tells the reader what happened, each time with the time (`handle_*`: people watched and
//! unwatched, the answer to a request it asked for, new credentials, a socket opened, a frame, a
//! socket closed, a timer that ran out, the page hidden or shown), then takes what to do from
//! [`Reader::poll_effect`] until it says nothing, and sets one timer for
//! [`Reader::next_timeout`]. The reader never sends, sleeps or reads a clock.
//!
//! It owns:
//! - the **cadence**: new people read at once (every id watched in the same turn in one plan),
//!   then a poll at the source's interval (or the rate budget's, [`Budget`]), backing off after a
//!   failure with jitter from one random source, waiting out a `Retry-After`; nothing while
//!   hidden; a poll asked for while one is in flight runs, whole, when it ends;
//! - **staleness**: a presence kept through a failed poll is re-announced when it turns stale;
//! - **push** where the provider has a session: a snapshot first, then the session (credentials
//!   asked of the driver), its sockets and requests, the people it will not push polled at the
//!   interval, a reconciliation read of everyone every `reconcile_ms`; on failure, everyone read
//!   at once and push tried again backing off (a minute live starts the backoff over);
//!   Rocket.Chat's broadcast off stays off until an `ids` answer names people again;
//! - the **setup** requests (Genesys's definitions) before any read.
//!
//! ```
//! use presence_widgets::core::reader::{Effect, Options, Reader};
//! use presence_widgets::core::{Adapter, HttpResponse, ProviderKind, Registry, UserId};
//!
//! let adapter = Adapter::new(ProviderKind::Graph, "https://graph.example.com/v1.0")?;
//! let mut reader = Reader::new(Registry::new(adapter), Options::default());
//! reader.watch(&UserId::new("a"));
//! reader.watch(&UserId::new("b"));
//! let mut sent = Vec::new();
//! while let Some(effect) = reader.poll_effect(0) {
//!     if let Effect::Send { id, request } = effect {
//!         sent.push((id, request));
//!     }
//! }
//! assert_eq!(sent.len(), 1, "two people, one request");
//! # Ok::<(), presence_widgets::core::PresenceError>(())
//! ```

use std::collections::VecDeque;

use super::auth::Credentials;
use super::error::PresenceError;
use super::http::{HttpRequest, HttpResponse};
use super::model::UserId;
use super::push::{PushSession, SocketId};
use super::registry::Registry;
use super::schedule::{next_delay_ms, Jitter, Outcome, Policy};
use super::tabs::Followers;

/// Milliseconds between reconciliation reads while a source is pushed, unless it says otherwise.
pub const DEFAULT_RECONCILE_MS: u64 = 5 * 60_000;

/// A push session live this long before it fails starts the backoff over.
pub const LIVE_FOR_A_WHILE_MS: u64 = 60_000;

/// Which request an answer is for: handed out with [`Effect::Send`].
pub type RequestId = u64;

/// A socket, as the driver knows it: the session it belongs to and its id in that session. A
/// report for a socket of a session given up is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SocketKey {
    /// Which session (they are numbered from 1 as they start).
    pub session: u32,
    /// The session's own id of the socket.
    pub socket: SocketId,
}

/// How a source learns of changes: pushed over the service's socket, or polled (and why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The service pushes changes; a slow reconciliation read heals a missed one.
    Push,
    /// Polled at the source's interval, with why it is not pushed (none: it was never to be).
    Poll(Option<String>),
}

impl Mode {
    /// `push` or `poll`.
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
            Mode::Poll(why) => why.as_deref(),
        }
    }
}

/// This reader's part in a source shared by several (the tabs of an origin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Waiting to be told whether another leads: nothing is read.
    Deciding,
    /// Reads the source (and holds its push) for everyone.
    Lead,
    /// Shows what the leader hears: nothing is read here.
    Follow,
}

/// A documented rate limit, and the share of it a reader may spend: the poll interval follows
/// from how many requests a poll takes, never from how many people watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed per window.
    pub requests: u64,
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// The share of it spent, in thousandths (1..=1000).
    pub share_thousandths: u64,
}

impl Budget {
    /// The interval of polls of `requests` requests each, by `readers` readers spending the
    /// budget together: `requests × readers × window / (limit × share)`.
    ///
    /// ```
    /// use presence_widgets::core::reader::Budget;
    /// let rocketchat = Budget { requests: 10, window_ms: 60_000, share_thousandths: 500 };
    /// assert_eq!(rocketchat.interval_ms(1, 1), 12_000);
    /// assert_eq!(rocketchat.interval_ms(1, 3), 36_000);
    /// ```
    pub fn interval_ms(&self, requests: usize, readers: u64) -> u64 {
        let requests = u64::try_from(requests.max(1))
            .unwrap_or(u64::MAX)
            .saturating_mul(readers.max(1));
        let allowed = self
            .requests
            .saturating_mul(1000)
            .saturating_mul(self.share_thousandths.clamp(1, 1000))
            / 1_000_000;
        requests.saturating_mul(self.window_ms) / allowed.max(1)
    }
}

/// How a reader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The cadence and backoff ([`Policy::new`] of the adapter's cadence when `None`).
    pub policy: Option<Policy>,
    /// While pushed, milliseconds between reads of everyone.
    pub reconcile_ms: u64,
    /// Whether the source may push (where its provider has a session).
    pub live: bool,
    /// The seed of the jitter (any value; the time will do).
    pub seed: u64,
    /// A rate limit that sets the interval; the policy's interval is then the floor. Natively
    /// only (a server's): a reader in a page polls at the policy's interval.
    pub budget: Option<Budget>,
    /// Requests in flight at once, where the adapter does not say.
    pub in_flight: usize,
    /// Whether it reads from the start ([`Role::Lead`]) or waits to be told.
    pub role: Role,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: None,
            reconcile_ms: DEFAULT_RECONCILE_MS,
            live: true,
            seed: 0x9e37_79b9_7f4a_7c15,
            budget: None,
            in_flight: 8,
            role: Role::Lead,
        }
    }
}

/// Something the reader did that a driver may log or count.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A push session starts for this many people.
    PushStarting(usize),
    /// The service pushes now.
    Pushed,
    /// Push failed; everyone is polled, and push is tried again after `retry_ms`.
    PushFailed {
        /// Why.
        reason: String,
        /// When it is tried again (none: once an answer says the service pushes again).
        retry_ms: Option<u64>,
    },
    /// The service will not push these people: they are polled.
    Unpushed(Vec<(UserId, PresenceError)>),
    /// Nobody is watched: no socket, no channel, no retry.
    Idle,
}

/// What the driver is to do.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Send `request` with the source's credentials; give the answer to
    /// [`Reader::handle_answer`] with `id` and the request.
    Send {
        /// Which request.
        id: RequestId,
        /// What to send.
        request: HttpRequest,
    },
    /// Ask for the source's credentials (`renew`: again, the ones held no longer do) and give
    /// them to [`Reader::handle_credentials`].
    Credentials {
        /// The ones held are refused or expire.
        renew: bool,
    },
    /// Open a WebSocket; report it with [`Reader::handle_opened`], its frames with
    /// [`Reader::handle_frame`], its end with [`Reader::handle_closed`].
    Open {
        /// The socket.
        socket: SocketKey,
        /// `wss://…` (`ws://` only on this machine). Never a token.
        url: String,
    },
    /// Send a text frame (it may hold a token: never log it).
    Frame {
        /// The socket.
        socket: SocketKey,
        /// The frame.
        text: String,
    },
    /// Close a socket.
    Close {
        /// The socket.
        socket: SocketKey,
        /// The close code.
        code: u16,
    },
    /// Tell the other tabs of the source (while it is shared).
    Tell(super::tabs::Note),
    /// Following: tell the leading tab this tab's whole watch set and whether it is looked at
    /// ([`super::tabs::Note::Watch`]).
    Announce,
    /// These people's state changed (read it from [`Reader::registry`]); `pushed` when a push
    /// told it.
    Changed {
        /// Who.
        ids: Vec<UserId>,
        /// Learned from the service's push.
        pushed: bool,
    },
    /// The source's mode or its last poll's error changed ([`Reader::mode`],
    /// [`Reader::last_error`]).
    Status,
    /// For the driver's log and counters.
    Note(Note),
}

/// The mode a reader starts in, before push says otherwise.
fn first_mode(pushes: bool) -> Mode {
    Mode::Poll(pushes.then(|| "connecting to the service's push".to_owned()))
}

/// Why a request was sent.
#[cfg_attr(
    not(feature = "push-core"),
    allow(dead_code, reason = "push sessions only")
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Setup,
    Read(u32),
    Session(u32),
}

/// What a group of reads is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// People watched for the first time.
    New,
    /// The poll.
    Poll,
    /// People now pushed, read once.
    Snapshot,
}

#[derive(Debug)]
struct Round {
    kind: Kind,
    pending: usize,
    requests: usize,
    failure: Option<PresenceError>,
}

/// What credentials are asked for.
#[cfg_attr(
    not(feature = "push-core"),
    allow(dead_code, reason = "push sessions only")
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    /// To start a session.
    Start,
    /// Renewed, for this session.
    Renew(u32),
}

#[cfg_attr(
    not(feature = "push-core"),
    allow(dead_code, reason = "push sessions only")
)]
struct Session {
    session: Box<dyn PushSession>,
    number: u32,
    sockets: Vec<SocketId>,
    timer: Option<u64>,
}

/// One source's reader. See the [module](self).
pub struct Reader {
    registry: Registry,
    policy: Policy,
    options: Options,
    role: Role,
    random: Jitter,
    effects: VecDeque<Effect>,
    next_request: RequestId,
    /// Requests sent and not answered yet (a few at a time: a list).
    requests: Vec<(RequestId, Purpose)>,
    queue: VecDeque<(HttpRequest, Purpose)>,
    in_flight: usize,
    rounds: Vec<(u32, Round)>,
    next_round: u32,
    setup_in_flight: bool,
    /// The setup request was refused: reads go without it until the next poll.
    setup_failed: bool,
    wants_new: bool,
    poll_due: bool,
    poll_again: bool,
    next_poll_at: Option<u64>,
    failures: u32,
    last_error: Option<PresenceError>,
    interval_ms: u64,
    /// Requests the last poll took (the rate budget's interval follows from it).
    last_requests: usize,
    /// When everyone was last read by id (not since a cursor), while push is off.
    ids_read_at: u64,
    readers: u64,
    stale_at: Option<u64>,
    /// Nobody looks: this page is hidden and no following tab is looked at.
    hidden: bool,
    /// This page is hidden.
    page_hidden: bool,
    /// While leading: what the following tabs watch.
    followers: Followers,
    /// People's pictures for avatars.
    #[cfg(feature = "photo")]
    photos: super::photos::Photos,
    read_once: bool,
    last_full_poll: u64,
    added: Vec<UserId>,
    removed: Vec<UserId>,
    // Push.
    pushes: bool,
    session: Option<Session>,
    sessions: u32,
    asked: Option<Asked>,
    mode: Mode,
    #[cfg_attr(
        not(feature = "push-core"),
        allow(dead_code, reason = "push sessions only")
    )]
    push_failures: u32,
    live_since: Option<u64>,
    retry_at: Option<u64>,
    broadcast_off: bool,
    unpushed: Vec<(UserId, PresenceError)>,
    snapshot: Vec<UserId>,
    /// The mode or the last poll's error changed since the driver was told.
    status: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("kind", &self.registry.adapter().kind())
            .field("watched", &self.registry.len())
            .field("mode", &self.mode)
            .field("next_poll_at", &self.next_poll_at)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// A reader of the source `registry` reads (with its adapter), as `options` say.
    pub fn new(registry: Registry, options: Options) -> Self {
        let adapter = registry.adapter();
        let policy = options
            .policy
            .unwrap_or_else(|| Policy::new(adapter.cadence()));
        #[cfg(feature = "push-core")]
        let pushes = options.live && adapter.push(None, 0).is_some();
        #[cfg(not(feature = "push-core"))]
        let pushes = false;
        let mode = first_mode(pushes);
        let mut reader = Self {
            role: options.role,
            policy,
            interval_ms: policy.interval_ms,
            random: Jitter::new(options.seed),
            options,
            effects: VecDeque::new(),
            next_request: 0,
            requests: Vec::new(),
            queue: VecDeque::new(),
            in_flight: 0,
            rounds: Vec::new(),
            next_round: 0,
            setup_in_flight: false,
            setup_failed: false,
            wants_new: false,
            poll_due: false,
            poll_again: false,
            next_poll_at: None,
            failures: 0,
            last_error: None,
            last_requests: 1,
            ids_read_at: 0,
            readers: 1,
            stale_at: None,
            hidden: false,
            page_hidden: false,
            followers: Followers::default(),
            #[cfg(feature = "photo")]
            photos: super::photos::Photos::default(),
            read_once: false,
            last_full_poll: 0,
            added: Vec::new(),
            removed: Vec::new(),
            pushes,
            session: None,
            sessions: 0,
            asked: None,
            mode,
            push_failures: 0,
            live_since: None,
            retry_at: None,
            broadcast_off: false,
            unpushed: Vec::new(),
            snapshot: Vec::new(),
            status: true,
            registry,
        };
        // Anyone the registry already has is read first.
        reader.wants_new = !reader.registry.is_empty();
        reader
    }

    /// The source's registry: who is watched, and each person's state.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry, for what its driver still decides itself: a write's hold and release,
    /// entries another tab or a relay stream sent (`take_shared`), refusals (`reject`),
    /// presences the page learned by other means (`push`). People are watched through
    /// [`Reader::watch`], never here; after entries taken here, [`Reader::handle_taken`].
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// This reader's part.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether a poll is in flight.
    pub fn polling(&self) -> bool {
        self.rounds.iter().any(|(_, r)| r.kind == Kind::Poll)
    }

    /// How the source learns of changes now.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The last poll's error, if it failed.
    pub fn last_error(&self) -> Option<&PresenceError> {
        self.last_error.as_ref()
    }

    /// The people the service will not push, each with why: polled at the interval.
    pub fn unpushed(&self) -> &[(UserId, PresenceError)] {
        &self.unpushed
    }

    /// When the next poll is due (milliseconds since the epoch), if one is planned.
    pub fn next_poll_at(&self) -> Option<u64> {
        self.next_poll_at
    }

    /// The interval of the last poll planned, in milliseconds.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// How many push sessions have started.
    pub fn sessions(&self) -> u32 {
        self.sessions
    }

    /// The push session's counts, while there is one.
    pub fn push_stats(&self) -> Option<super::push::PushStats> {
        self.session.as_ref().map(|s| s.session.stats())
    }

    /// Splits the rate budget with `readers - 1` other readers of the same service.
    pub fn set_readers(&mut self, readers: u64) {
        self.readers = readers.max(1);
    }

    /// One more viewer watches `id`. True when nobody did: it is read at the next
    /// [`Reader::poll_effect`], with everyone else watched in the same turn.
    pub fn watch(&mut self, id: &UserId) -> bool {
        let new = self.registry.subscribe(id);
        if new {
            self.removed.retain(|r| r != id);
            self.added.push(id.clone());
            self.wants_new = true;
        }
        new
    }

    /// One viewer fewer watches `id`. True when that was the last: nothing more is read of
    /// them.
    pub fn unwatch(&mut self, id: &UserId) -> bool {
        let last = self.registry.unsubscribe(id);
        if last {
            self.added.retain(|a| a != id);
            self.removed.push(id.clone());
            self.unpushed.retain(|(u, _)| u != id);
            self.snapshot.retain(|u| u != id);
        }
        last
    }

    /// A write of `id`'s status begins: their widgets show `shown` until it ends, and what the
    /// service says meanwhile is kept underneath. True when what they show changed.
    #[cfg(feature = "write")]
    pub fn handle_write_begun(&mut self, id: &UserId, shown: super::model::Presence) -> bool {
        self.registry.hold(id, shown)
    }

    /// The write of `id`'s status ended: `confirmed` is their presence now, or `None` to show
    /// what the service last said (a refusal rolls back). True when what they show changed.
    #[cfg(feature = "write")]
    pub fn handle_write_ended(
        &mut self,
        id: &UserId,
        confirmed: Option<super::model::Presence>,
        now: u64,
    ) -> bool {
        self.registry.release(id, confirmed, now)
    }

    /// A poll now, whatever the timer says (a viewer asked, or the page was shown).
    pub fn handle_poll_now(&mut self) {
        self.poll_due = true;
    }

    /// This reader leads, follows or waits. Following (or waiting), it reads nothing and holds
    /// no push; taking over from a leader that went, it reads everyone at once (what changed
    /// meanwhile), then pushes; everyone keeps what they show meanwhile.
    ///
    /// Taking the lead, it tells the other tabs ([`Effect::Tell`]) (tell it first whether this
    /// page is hidden: a following tab only told the leader); following, it tells the leader
    /// what this tab watches ([`Effect::Announce`]).
    pub fn handle_role(&mut self, role: Role) {
        let was = std::mem::replace(&mut self.role, role);
        if role != Role::Lead {
            self.close_session();
            self.next_poll_at = None;
            self.retry_at = None;
            self.poll_due = false;
            if role == Role::Follow {
                self.effects.push_back(Effect::Announce);
            }
            return;
        }
        if was != Role::Lead {
            self.effects
                .push_back(Effect::Tell(super::tabs::Note::Lead));
        }
        self.wants_new = true;
        if was == Role::Follow {
            self.mode = first_mode(self.pushes);
            self.status = true;
            self.last_full_poll = 0;
            self.poll_due = true;
        }
    }

    /// What another tab of the source says. Leading: a follower's whole watch set (its new
    /// people are read once however many tabs show them, those it dropped are let go, it is
    /// told what is known of them, and polling pauses while nobody looks at any tab) or a poll
    /// it asks for. Following: the leader is new (this tab tells it what it watches) or its
    /// entries. A mode is the driver's to show.
    pub fn handle_note(&mut self, note: super::tabs::Note, now: u64) {
        use super::tabs::Note;
        match (self.role, note) {
            (Role::Lead, Note::Watch { tab, visible, ids }) => {
                let (added, removed) = self.followers.watch(&tab, visible, ids.clone());
                for id in &added {
                    self.watch(id);
                }
                for id in &removed {
                    self.unwatch(id);
                }
                let known: Vec<_> = self
                    .registry
                    .shared(&ids)
                    .into_iter()
                    .filter(|s| s.presence.is_some() || s.error.is_some())
                    .collect();
                if !known.is_empty() {
                    self.effects.push_back(Effect::Tell(Note::States(known)));
                }
                if self.nobody_looks() {
                    self.set_hidden(true);
                } else if visible {
                    // A tab is looked at (again): polled now if a poll is overdue, else at the
                    // interval (switching tabs costs no extra read).
                    self.handle_looked_at(now);
                }
            }
            (Role::Lead, Note::Poll) => self.poll_due = true,
            (Role::Follow, Note::Lead) => self.effects.push_back(Effect::Announce),
            (Role::Follow, Note::States(states)) => {
                let changed = self.registry.take_shared(states);
                self.handle_taken(now);
                self.changed(changed, false);
            }
            _ => {}
        }
    }

    /// A following tab closed: the people only it watched are let go, and polling pauses if
    /// it was the last one looked at.
    pub fn handle_tab_gone(&mut self, tab: &str) {
        for id in self.followers.gone(tab) {
            self.unwatch(&id);
        }
        if self.nobody_looks() {
            self.set_hidden(true);
        }
    }

    /// `id`'s picture is wanted (an avatar shows them): true the first time, when this source
    /// reads pictures; it is then read once its turn comes ([`Reader::poll_photo`]).
    #[cfg(feature = "photo")]
    pub fn want_photo(&mut self, id: &UserId) -> bool {
        self.registry.adapter().plan_photo(id).is_some() && self.photos.want(id)
    }

    /// The next picture to read now, with its request (or why it cannot be asked): hand what
    /// comes of it to [`Reader::handle_photo`]. A few at a time; one that failed in a way the
    /// service may get over is due again after its `Retry-After` ([`Reader::next_timeout`]).
    #[cfg(feature = "photo")]
    pub fn poll_photo(&mut self, now: u64) -> Option<(UserId, Result<HttpRequest, PresenceError>)> {
        let id = self.photos.next_due(now)?;
        let request = self.registry.adapter().plan_photo(&id).unwrap_or_else(|| {
            Err(PresenceError::Config(
                "this source reads no pictures".into(),
            ))
        });
        Some((id, request))
    }

    /// The read of `id`'s picture: the request and its answer (the picture itself stays with
    /// the driver), or why there is none. Says whether it is final (and what the answer
    /// means) or tried again later (three tries in all).
    #[cfg(feature = "photo")]
    pub fn handle_photo(
        &mut self,
        id: &UserId,
        answer: Result<(HttpRequest, HttpResponse), PresenceError>,
        now: u64,
    ) -> super::photos::PhotoRead {
        let read = answer.and_then(|(request, response)| {
            self.registry.adapter().read_photo(&request, &response)
        });
        self.photos.took(id, read, now)
    }

    /// Whether other tabs follow this one (their widgets hear its changes).
    pub fn followed(&self) -> bool {
        !self.followers.is_empty()
    }

    /// Someone looks at the source again (another tab was shown): polled now if a poll is
    /// overdue, else at the interval from the last (switching tabs costs no extra read).
    pub fn handle_looked_at(&mut self, now: u64) {
        self.hidden = false;
        if self.next_poll_at.is_some() || self.polling() || !self.read_once {
            return;
        }
        let due = self.last_full_poll.saturating_add(self.interval_ms);
        if due <= now {
            self.poll_due = true;
        } else {
            self.next_poll_at = Some(due);
        }
    }

    /// The registry took entries from elsewhere ([`Reader::registry_mut`]): when someone turns
    /// stale is planned again.
    pub fn handle_taken(&mut self, now: u64) {
        self.stale_at = self.registry.next_stale(now);
    }

    /// The page was hidden (polling pauses once no following tab is looked at either) or shown
    /// again (a poll at once if one was missed).
    pub fn handle_hidden(&mut self, hidden: bool) {
        self.page_hidden = hidden;
        self.set_hidden(self.nobody_looks());
    }

    /// Whether nobody looks: this page is hidden and so is every tab that follows it.
    fn nobody_looks(&self) -> bool {
        self.page_hidden && !self.followers.any_visible()
    }

    fn set_hidden(&mut self, hidden: bool) {
        self.hidden = hidden;
        if hidden {
            self.next_poll_at = None;
        } else if self.next_poll_at.is_none() && self.read_once && !self.polling() {
            self.poll_due = true;
        }
    }

    /// The answer to the request `id` (or why there is none).
    pub fn handle_answer(
        &mut self,
        id: RequestId,
        request: &HttpRequest,
        answer: Result<HttpResponse, PresenceError>,
        now: u64,
    ) {
        let Some(at) = self.requests.iter().position(|(n, _)| *n == id) else {
            return;
        };
        let (_, purpose) = self.requests.swap_remove(at);
        match purpose {
            Purpose::Setup => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.setup_in_flight = false;
                self.registry.apply_setup(request, answer);
                if self.registry.plan_setup().as_ref() == Some(request) {
                    // Refused: the reads go on without it, and it is asked again at the next poll.
                    self.setup_failed = true;
                }
            }
            Purpose::Read(round) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                let applied = self.registry.apply(request, answer, now);
                self.changed(applied.changed, false);
                if let Some(why) = applied.push_off {
                    self.push_off(why, now);
                } else if cfg!(feature = "push-core")
                    && applied.error.is_none()
                    && !request.ids.is_empty()
                    && applied.full
                {
                    // The service names people again: its broadcast is back.
                    self.broadcast_off = false;
                }
                if applied.error.is_some() {
                    self.stale_at = self.registry.next_stale(now);
                }
                self.answered(round, applied.error, now);
            }
            Purpose::Session(number) => {
                if let Some(s) = self.session.as_mut().filter(|s| s.number == number) {
                    s.session.answer(request, answer, now);
                    self.drive(now);
                }
            }
        }
    }

    /// The credentials asked for by [`Effect::Credentials`]: `None` when the source has none.
    pub fn handle_credentials(
        &mut self,
        credentials: Result<Option<Credentials>, PresenceError>,
        now: u64,
    ) {
        match (self.asked.take(), credentials) {
            (Some(Asked::Start), Ok(credentials)) => self.start_session(credentials, now),
            (Some(Asked::Renew(n)), Ok(Some(c))) => {
                if let Some(s) = self.session.as_mut().filter(|s| s.number == n) {
                    s.session.credentials(&c, now);
                    self.drive(now);
                }
            }
            (Some(Asked::Renew(_)), Ok(None)) => self.push_failed(
                super::push::failure(
                    self.registry.adapter().kind(),
                    "the service asks for credentials and the source has none",
                ),
                now,
            ),
            (Some(_), Err(e)) => self.push_failed(e, now),
            (None, _) => {}
        }
    }

    /// A socket opened.
    pub fn handle_opened(&mut self, socket: SocketKey, now: u64) {
        #[cfg(not(feature = "push-core"))]
        let _ = (socket, now);
        #[cfg(feature = "push-core")]
        if let Some(s) = self.session_of(socket) {
            s.session.opened(socket.socket, now);
            self.drive(now);
        }
    }

    /// A text frame arrived.
    pub fn handle_frame(&mut self, socket: SocketKey, text: &str, now: u64) {
        #[cfg(not(feature = "push-core"))]
        let _ = (socket, text, now);
        #[cfg(feature = "push-core")]
        if let Some(s) = self.session_of(socket) {
            s.session.frame(socket.socket, text, now);
            self.drive(now);
        }
    }

    /// A socket closed, or could not open, with its close code.
    pub fn handle_closed(&mut self, socket: SocketKey, code: u16, now: u64) {
        #[cfg(not(feature = "push-core"))]
        let _ = (socket, code, now);
        #[cfg(feature = "push-core")]
        if let Some(s) = self.session_of(socket) {
            s.sockets.retain(|&n| n != socket.socket);
            s.session.closed(socket.socket, code, now);
            self.drive(now);
        }
    }

    /// Time passed: whatever was due by `now` happens.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.next_poll_at.is_some_and(|at| at <= now) {
            self.next_poll_at = None;
            self.poll_due = true;
        }
        if self.stale_at.is_some_and(|at| at <= now) {
            let failing = self.registry.failing();
            self.changed(failing, false);
            self.stale_at = self.registry.next_stale(now);
        }
        if let Some(s) = self.session.as_mut() {
            if s.timer.is_some_and(|at| at <= now) {
                s.timer = None;
                s.session.timeout(now);
                self.drive(now);
            }
        }
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
        }
    }

    /// When [`Reader::handle_timeout`] is next due, in milliseconds since the epoch.
    pub fn next_timeout(&self) -> Option<u64> {
        let session = self.session.as_ref().and_then(|s| s.timer);
        let retry = self.retry_at.filter(|_| self.session.is_none());
        let next = [self.next_poll_at, self.stale_at, session, retry]
            .into_iter()
            .flatten()
            .min();
        // A picture to read again (its `Retry-After` or 30 s after a failure).
        #[cfg(feature = "photo")]
        let next = next.into_iter().chain(self.photos.next_timeout()).min();
        next
    }

    /// The next thing to do, if any: call until `None`.
    pub fn poll_effect(&mut self, now: u64) -> Option<Effect> {
        if self.effects.is_empty() {
            self.step(now);
        }
        if self.effects.is_empty() && std::mem::take(&mut self.status) {
            return Some(Effect::Status);
        }
        self.effects.pop_front()
    }

    #[cfg(feature = "push-core")]
    fn session_of(&mut self, socket: SocketKey) -> Option<&mut Session> {
        self.session.as_mut().filter(|s| s.number == socket.session)
    }

    fn random(&mut self) -> u64 {
        self.random.draw()
    }

    fn changed(&mut self, ids: Vec<UserId>, pushed: bool) {
        if !ids.is_empty() {
            self.effects.push_back(Effect::Changed { ids, pushed });
        }
    }

    #[cfg_attr(
        not(feature = "push-core"),
        allow(dead_code, reason = "push sessions only")
    )]
    fn set_mode(&mut self, mode: Mode) {
        if self.mode != mode {
            self.mode = mode;
            self.status = true;
            // Every entry says how it was learned.
            let ids = self.registry.ids();
            self.changed(ids, false);
        }
    }

    /// What follows from the state: the setup, reads, push; then requests up to the limit.
    fn step(&mut self, now: u64) {
        if self.registry.is_empty() {
            self.idle();
        } else if self.role != Role::Lead {
            // The leader hears the whole set; nothing is read here.
            self.added.clear();
            self.removed.clear();
        } else {
            self.lead(now);
        }
        // What was queued goes (or is dropped when nobody watches its people any more).
        self.dispatch(now);
    }

    /// What the leading reader does next.
    fn lead(&mut self, now: u64) {
        let (added, removed) = (
            std::mem::take(&mut self.added),
            std::mem::take(&mut self.removed),
        );
        if !added.is_empty() || !removed.is_empty() {
            if let Some(s) = self.session.as_mut() {
                s.session.watch(&added, &removed, now);
                self.drive(now);
            }
        }
        if self.setup() {
            if self.wants_new {
                self.wants_new = false;
                if self.last_full_poll == 0 {
                    // The first read is of everyone.
                    self.last_full_poll = now;
                }
                let plan = self.registry.plan_new();
                self.read(Kind::New, plan, now);
            }
            // Due by the timer (none is set while hidden), or asked for.
            if self.poll_due {
                self.poll_due = false;
                self.poll(now);
            }
            if !self.snapshot.is_empty() {
                let ids = std::mem::take(&mut self.snapshot);
                let plan = self.registry.plan_poll_of(&ids);
                self.read(Kind::Snapshot, plan, now);
            }
            self.start_push();
        }
    }

    /// Sends the adapter's setup request if it has one; true when reads may go.
    fn setup(&mut self) -> bool {
        if self.setup_in_flight {
            return false;
        }
        if self.setup_failed {
            return true;
        }
        let Some(request) = self.registry.plan_setup() else {
            return true;
        };
        self.registry.setup_sent(&request);
        self.setup_in_flight = true;
        self.queue.push_front((request, Purpose::Setup));
        false
    }

    /// A build without push sessions never has one.
    #[cfg(not(feature = "push-core"))]
    fn close_session(&mut self) -> bool {
        self.asked = None;
        false
    }

    /// Closes the push session's sockets and lets it go; true when there was one.
    #[cfg(feature = "push-core")]
    fn close_session(&mut self) -> bool {
        self.asked = None;
        let Some(s) = self.session.take() else {
            return false;
        };
        for socket in s.sockets {
            self.effects.push_back(Effect::Close {
                socket: SocketKey {
                    session: s.number,
                    socket,
                },
                code: 1000,
            });
        }
        true
    }

    fn idle(&mut self) {
        if self.close_session() {
            self.effects.push_back(Effect::Note(Note::Idle));
        }
        self.next_poll_at = None;
        self.poll_due = false;
        self.retry_at = None;
        self.live_since = None;
        self.unpushed.clear();
        self.snapshot.clear();
        self.added.clear();
        self.removed.clear();
        self.asked = None;
        if self.mode == Mode::Push {
            self.mode = first_mode(self.pushes);
            self.status = true;
        }
    }

    /// The poll that is due: everyone, or while pushed only those push cannot cover.
    fn poll(&mut self, now: u64) {
        if self.polling() {
            // One is in flight: another, whole, once it ends.
            self.poll_again = true;
            return;
        }
        self.setup_failed = false;
        let reconcile_due = now.saturating_sub(self.last_full_poll)
            >= self.options.reconcile_ms.saturating_sub(1_000);
        let ids_due =
            now.saturating_sub(self.ids_read_at) >= self.options.reconcile_ms.saturating_sub(1_000);
        let plan = if cfg!(feature = "push-core") && self.broadcast_off && ids_due {
            // Push is off: each reconciliation round reads everyone by id (not since a cursor),
            // and its answer says whether the service names people again.
            self.ids_read_at = now;
            self.last_full_poll = now;
            self.registry.plan_poll_of(&self.registry.ids())
        } else if self.mode == Mode::Push && !reconcile_due {
            let only: Vec<UserId> = self.unpushed.iter().map(|(id, _)| id.clone()).collect();
            self.registry.plan_poll_of(&only)
        } else {
            self.last_full_poll = now;
            self.registry.plan_poll()
        };
        self.read(Kind::Poll, plan, now);
    }

    /// Records a group of reads and queues its requests.
    fn read(&mut self, kind: Kind, plan: super::providers::Plan, now: u64) {
        let rejected = self.registry.reject(&plan.rejected);
        self.changed(rejected, false);
        if plan.requests.is_empty() {
            if kind == Kind::Poll {
                // Nothing to ask (everyone is being read already, or pushed): the next poll is
                // planned as the last one went.
                let last = self.last_error.clone();
                if last.is_some() {
                    self.failures = self.failures.saturating_sub(1);
                }
                self.round_ended(kind, self.last_requests, last, now);
            }
            return;
        }
        self.registry.sending(&plan.requests);
        let round = self.next_round;
        self.next_round = self.next_round.wrapping_add(1);
        self.rounds.push((
            round,
            Round {
                kind,
                pending: plan.requests.len(),
                requests: plan.requests.len(),
                failure: None,
            },
        ));
        for request in plan.requests {
            self.queue.push_back((request, Purpose::Read(round)));
        }
    }

    /// Sends what is queued, as many at once as the adapter allows.
    fn dispatch(&mut self, now: u64) {
        let limit = self
            .registry
            .adapter()
            .max_in_flight()
            .unwrap_or(self.options.in_flight)
            .max(1);
        while self.in_flight < limit {
            let Some((request, purpose)) = self.queue.pop_front() else {
                break;
            };
            if let Purpose::Read(round) = purpose {
                let anyone = request.ids.is_empty()
                    || request
                        .ids
                        .iter()
                        .any(|id| self.registry.subscribers(id) > 0);
                if !anyone {
                    // Everyone it asks about left while it waited: it is not sent.
                    self.answered(round, None, now);
                    continue;
                }
            }
            self.in_flight = self.in_flight.saturating_add(1);
            self.send(request, purpose);
        }
    }

    fn send(&mut self, request: HttpRequest, purpose: Purpose) {
        let id = self.next_request;
        self.next_request = self.next_request.wrapping_add(1);
        self.requests.push((id, purpose));
        self.effects.push_back(Effect::Send { id, request });
    }

    fn answered(&mut self, round: u32, error: Option<PresenceError>, now: u64) {
        let Some(at) = self.rounds.iter().position(|(n, _)| *n == round) else {
            return;
        };
        let Some((_, r)) = self.rounds.get_mut(at) else {
            return;
        };
        r.pending = r.pending.saturating_sub(1);
        if error.is_some() {
            r.failure = error;
        }
        if r.pending > 0 {
            return;
        }
        let (_, r) = self.rounds.swap_remove(at);
        self.round_ended(r.kind, r.requests, r.failure, now);
    }

    fn round_ended(
        &mut self,
        kind: Kind,
        requests: usize,
        failure: Option<PresenceError>,
        now: u64,
    ) {
        self.read_once = true;
        let outcome = failure.map_or(Outcome::Success, Outcome::Failure);
        match kind {
            Kind::Poll => {
                self.schedule(&outcome, requests, now);
                if std::mem::take(&mut self.poll_again) {
                    self.last_full_poll = 0;
                    self.poll_due = true;
                }
            }
            Kind::New if self.next_poll_at.is_none() && !self.polling() && !self.poll_due => {
                self.schedule(&outcome, requests, now);
            }
            Kind::New | Kind::Snapshot => {}
        }
    }

    /// The interval of polls of `requests` requests: the rate budget's, never under the
    /// policy's. A budget is a server's (presence-relay's): in a page, whose readers are as many
    /// as its viewers, it is the policy's.
    #[cfg(not(target_arch = "wasm32"))]
    fn interval_for(&self, requests: usize) -> u64 {
        match self.options.budget {
            Some(b) => b
                .interval_ms(requests, self.readers)
                .max(self.policy.interval_ms),
            None => self.policy.interval_ms,
        }
    }

    /// In a page, the policy's interval (see the native build's).
    #[cfg(target_arch = "wasm32")]
    fn interval_for(&self, requests: usize) -> u64 {
        let _ = requests;
        self.policy.interval_ms
    }

    /// Plans the next poll from how this one went.
    fn schedule(&mut self, outcome: &Outcome, requests: usize, now: u64) {
        self.last_requests = requests.max(1);
        self.failures = match outcome {
            Outcome::Success => 0,
            Outcome::Failure(_) => self.failures.saturating_add(1),
        };
        self.status = true;
        self.last_error = match outcome {
            Outcome::Success => None,
            Outcome::Failure(e) => Some(e.clone()),
        };
        if self.registry.is_empty() || self.hidden {
            self.next_poll_at = None;
            return;
        }
        let interval = self.interval_for(requests);
        self.interval_ms = interval;
        let policy = Policy {
            interval_ms: interval,
            ..self.policy
        };
        let random = self.random();
        let mut delay = next_delay_ms(&policy, outcome, self.failures, now, random);
        if *outcome == Outcome::Success && self.mode == Mode::Push {
            // Pushed: the next full poll is the reconciliation round; the people the service
            // will not push are polled at the interval meanwhile.
            let reconcile = self
                .last_full_poll
                .saturating_add(self.options.reconcile_ms)
                .saturating_sub(now);
            delay = if self.unpushed.is_empty() {
                reconcile
            } else {
                reconcile.min(interval)
            };
        }
        self.next_poll_at = Some(now.saturating_add(delay));
    }

    /// Starts a push session when the source may push, has none, is watched, has been read
    /// (a snapshot first, then push) and is not waiting to try again.
    fn start_push(&mut self) {
        let waiting = self.retry_at.is_some() || self.broadcast_off;
        if !self.pushes
            || self.session.is_some()
            || self.asked.is_some()
            || waiting
            || !self.read_once
        {
            return;
        }
        self.asked = Some(Asked::Start);
        self.effects.push_back(Effect::Credentials { renew: false });
    }

    #[cfg(feature = "push-core")]
    fn start_session(&mut self, credentials: Option<Credentials>, now: u64) {
        if self.registry.is_empty() {
            return;
        }
        let made = self.registry.adapter().push(credentials.as_ref(), now);
        let mut session = match made {
            None => {
                // This provider pushes nothing: the source polls.
                self.pushes = false;
                return self.set_mode(Mode::Poll(None));
            }
            Some(Err(e)) => return self.push_failed(e, now),
            Some(Ok(session)) => session,
        };
        self.sessions = self.sessions.saturating_add(1);
        let ids = self.registry.ids();
        self.added.clear();
        self.removed.clear();
        session.watch(&ids, &[], now);
        session.start(now);
        self.retry_at = None;
        if self.mode != Mode::Push {
            self.set_mode(Mode::Poll(Some("connecting to the service's push".into())));
        }
        self.effects
            .push_back(Effect::Note(Note::PushStarting(ids.len())));
        self.session = Some(Session {
            session,
            number: self.sessions,
            sockets: Vec::new(),
            timer: None,
        });
        self.drive(now);
    }

    #[cfg(not(feature = "push-core"))]
    fn start_session(&mut self, credentials: Option<Credentials>, now: u64) {
        let _ = (credentials, now);
        self.pushes = false;
    }

    /// A build without push sessions has none to drive.
    #[cfg(not(feature = "push-core"))]
    fn drive(&mut self, now: u64) {
        let _ = now;
    }

    /// Carries out what the session asks that the reader does itself, and passes on the rest;
    /// then notes its timer.
    #[cfg(feature = "push-core")]
    fn drive(&mut self, now: u64) {
        loop {
            let Some(s) = self.session.as_mut() else {
                return;
            };
            let Some(action) = s.session.poll_action() else {
                s.timer = s.session.next_timeout();
                return;
            };
            let number = s.number;
            let key = |socket| SocketKey {
                session: number,
                socket,
            };
            use super::push::Action;
            match action {
                Action::Open { socket, url } => {
                    s.sockets.push(socket);
                    self.effects.push_back(Effect::Open {
                        socket: key(socket),
                        url,
                    });
                }
                Action::Send { socket, text } => self.effects.push_back(Effect::Frame {
                    socket: key(socket),
                    text,
                }),
                Action::Close { socket, code } => {
                    s.sockets.retain(|&n| n != socket);
                    self.effects.push_back(Effect::Close {
                        socket: key(socket),
                        code,
                    });
                }
                Action::Request(request) => self.send(request, Purpose::Session(number)),
                Action::Presences(presences) => {
                    let changed = self.registry.push(presences, now);
                    self.changed(changed, true);
                }
                Action::Subscribed(ids) => {
                    if self.live_since.is_none() {
                        self.live_since = Some(now);
                        self.effects.push_back(Effect::Note(Note::Pushed));
                    }
                    self.set_mode(Mode::Push);
                    // The snapshot is a full read of them: the next is the reconciliation round.
                    self.last_full_poll = now;
                    self.snapshot.extend(ids);
                    if self.next_poll_at.is_some() && !self.polling() && self.last_error.is_none() {
                        self.schedule(&Outcome::Success, self.last_requests, now);
                    }
                }
                Action::Unpushed(refused) => {
                    if self.mode != Mode::Push {
                        if let Some((_, why)) = refused.first() {
                            // Nobody pushed yet: the refusal is why the source is polled.
                            self.set_mode(Mode::Poll(Some(why.to_string())));
                        }
                    }
                    self.effects
                        .push_back(Effect::Note(Note::Unpushed(refused.clone())));
                    self.unpushed.extend(refused);
                    // They are polled at the interval from now on.
                    let soon = now.saturating_add(self.interval_ms);
                    if self.next_poll_at.is_some_and(|at| at > soon) {
                        self.next_poll_at = Some(soon);
                    }
                }
                Action::Renew => {
                    self.asked = Some(Asked::Renew(number));
                    self.effects.push_back(Effect::Credentials { renew: true });
                }
                Action::Failed(error) => return self.push_failed(error, now),
            }
        }
    }

    /// A read's answer says the service pushes nothing now (Rocket.Chat's presence broadcast
    /// is off): push stops, and is tried again once an answer names people again.
    #[cfg(feature = "push-core")]
    fn push_off(&mut self, why: String, now: u64) {
        if !self.pushes {
            return;
        }
        let error = super::push::failure(self.registry.adapter().kind(), why);
        self.broadcast_off = true;
        // The answer that said so read people by id.
        self.ids_read_at = now;
        self.push_failed(error, now);
    }

    /// Push failed: every socket is closed, everyone is read now, and push is tried again
    /// later, backing off.
    #[cfg(feature = "push-core")]
    fn push_failed(&mut self, error: PresenceError, now: u64) {
        let had_session = self.close_session();
        self.unpushed.clear();
        self.snapshot.clear();
        if self
            .live_since
            .take()
            .is_some_and(|since| now.saturating_sub(since) >= LIVE_FOR_A_WHILE_MS)
        {
            // Live for a while: this failure starts the backoff over.
            self.push_failures = 0;
        }
        self.push_failures = self.push_failures.saturating_add(1);
        let random = self.random();
        let delay = super::schedule::backoff_ms(&self.policy, self.push_failures, random);
        let was_pushed = self.mode == Mode::Push;
        let reason = error.to_string();
        self.set_mode(Mode::Poll(Some(reason.clone())));
        let retry_ms = if self.broadcast_off {
            self.retry_at = None;
            None
        } else {
            self.retry_at = Some(now.saturating_add(delay));
            Some(delay)
        };
        if had_session || was_pushed {
            self.effects
                .push_back(Effect::Note(Note::PushFailed { reason, retry_ms }));
            // Whatever changed while push failed is seen by a full read now.
            self.last_full_poll = 0;
            self.poll_due = true;
        }
    }

    /// A build without push sessions has no push to stop.
    #[cfg(not(feature = "push-core"))]
    fn push_off(&mut self, why: String, now: u64) {
        let _ = (why, now);
    }

    /// A build without push sessions has no push to fail.
    #[cfg(not(feature = "push-core"))]
    fn push_failed(&mut self, error: PresenceError, now: u64) {
        let _ = (error, now);
    }
}
