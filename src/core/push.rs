//! Push sessions: sans-IO state machines, in the manner of quinn-proto, for the services that push
//! changes over a WebSocket (Rocket.Chat's DDP, Genesys Cloud's notification channels).
//!
//! A session never touches a socket or a clock. Its driver (the browser store, or a server)
//! tells it what happened, each time with the time: a socket opened ([`PushSession::opened`]), a
//! text frame arrived ([`PushSession::frame`]), a socket closed ([`PushSession::closed`]), an HTTP
//! request it asked for was answered ([`PushSession::answer`]), new credentials came
//! ([`PushSession::credentials`]), widgets came or went ([`PushSession::watch`]), or its timer
//! ran out ([`PushSession::timeout`]). Then the driver takes the session's [`Action`]s
//! ([`PushSession::poll_action`]) and carries them out, and sets a timer for
//! [`PushSession::next_timeout`].
//!
//! ```
//! use presence_widgets::core::push::{Action, PushSession};
//! use presence_widgets::core::{Credentials, Secret, UserId};
//! use presence_widgets::core::providers::rocketchat::ddp::Ddp;
//!
//! let credentials = Credentials::RocketChat { user_id: "u0".into(), auth_token: Secret::new("t") };
//! let mut ddp = Ddp::new("https://chat.example.com", &credentials, 0)?;
//! ddp.watch(&[UserId::new("aobEdbYhXfu5hkeqG")], &[], 0);
//! ddp.start(0);
//! assert!(matches!(ddp.poll_action(), Some(Action::Open { url, .. }) if url == "wss://chat.example.com/websocket"));
//! ddp.opened(1, 10);
//! assert!(matches!(ddp.poll_action(), Some(Action::Send { text, .. }) if text.contains(r#""msg":"connect""#)));
//! # Ok::<(), presence_widgets::core::PresenceError>(())
//! ```

use std::collections::VecDeque;

use super::auth::Credentials;
use super::error::PresenceError;
use super::http::{HttpRequest, HttpResponse};
use super::model::{Presence, ProviderKind, UserId};

/// Which of a session's sockets a frame or an action is about (Genesys holds a socket per
/// channel).
pub type SocketId = u32;

/// What a push session asks its driver to do. Its `Debug` never shows a frame's text: a login
/// frame holds the token.
#[derive(Clone, PartialEq)]
pub enum Action {
    /// Open a WebSocket to `url`; report it with `socket`. The URL never carries a token.
    Open {
        /// The id the session knows the socket by.
        socket: SocketId,
        /// `wss://…` (`ws://` only on this machine).
        url: String,
    },
    /// Send a text frame.
    Send {
        /// Which socket.
        socket: SocketId,
        /// The frame.
        text: String,
    },
    /// Close a socket.
    Close {
        /// Which socket.
        socket: SocketId,
        /// The close code (1000 normal, 4000 and up the session's own).
        code: u16,
    },
    /// Send an HTTP request with the source's credentials, and give the answer to
    /// [`PushSession::answer`].
    Request(HttpRequest),
    /// Presences the service pushed, for people someone watches.
    Presences(Vec<Presence>),
    /// These people are pushed from now on: read their presence once by REST (the snapshot; the
    /// services send none).
    Subscribed(Vec<UserId>),
    /// These people cannot be pushed (the service refused their subscription), each with why:
    /// keep polling them.
    Unpushed(Vec<(UserId, PresenceError)>),
    /// Ask the source's credentials again and give them to [`PushSession::credentials`]: the
    /// login expires, the token was revoked, or a call answered 401.
    Renew,
    /// Push failed: poll everyone again, and try push later with a new session.
    Failed(PresenceError),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Open { socket, url } => write!(f, "Open({socket}, {url})"),
            Action::Send { socket, text } => write!(f, "Send({socket}, {} bytes)", text.len()),
            Action::Close { socket, code } => write!(f, "Close({socket}, {code})"),
            Action::Request(r) => write!(f, "Request({} {})", r.method.as_str(), r.endpoint),
            Action::Presences(p) => write!(f, "Presences({})", p.len()),
            Action::Subscribed(ids) => write!(f, "Subscribed({})", ids.len()),
            Action::Unpushed(ids) => write!(f, "Unpushed({})", ids.len()),
            Action::Renew => f.write_str("Renew"),
            Action::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

/// What a session has counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushStats {
    /// Frames read.
    pub frames: u64,
    /// Frames dropped: not JSON, of the wrong shape, or about someone nobody watches.
    pub dropped: u64,
    /// Presences given to the driver.
    pub presences: u64,
}

/// A push session: frames and time in; frames, requests, presences and timers out. `Send`, so
/// that a native server (the relay) can drive it from any thread.
pub trait PushSession: Send {
    /// Which provider it speaks to.
    fn kind(&self) -> ProviderKind;

    /// Starts: opens its socket, or asks for a channel first.
    fn start(&mut self, now_ms: u64);

    /// The socket opened.
    fn opened(&mut self, socket: SocketId, now_ms: u64);

    /// A text frame arrived. A frame that cannot be read is dropped and counted; frames that keep
    /// being unreadable end the session ([`Action::Failed`]).
    fn frame(&mut self, socket: SocketId, text: &str, now_ms: u64);

    /// The socket closed (or could not open), with its close code.
    fn closed(&mut self, socket: SocketId, code: u16, now_ms: u64);

    /// The answer to a request of [`Action::Request`].
    fn answer(
        &mut self,
        request: &HttpRequest,
        answer: Result<HttpResponse, PresenceError>,
        now_ms: u64,
    );

    /// New credentials, after [`Action::Renew`].
    fn credentials(&mut self, credentials: &Credentials, now_ms: u64);

    /// People widgets now show (`added`) or no longer show (`removed`).
    fn watch(&mut self, added: &[UserId], removed: &[UserId], now_ms: u64);

    /// The timer of [`PushSession::next_timeout`] ran out.
    fn timeout(&mut self, now_ms: u64);

    /// When the session wants [`PushSession::timeout`] called, in milliseconds since the epoch.
    fn next_timeout(&self) -> Option<u64>;

    /// The next thing to do.
    fn poll_action(&mut self) -> Option<Action>;

    /// Whether it is live: logged in and subscribed (Rocket.Chat), or a channel's socket open and
    /// subscribed (Genesys).
    fn is_live(&self) -> bool;

    /// What it has counted.
    fn stats(&self) -> PushStats;
}

/// A set of ids kept as a sorted list: what a session watches. (A `BTreeSet` would bring its
/// whole implementation, and a sort, into every page's download.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdSet(Vec<UserId>);

impl IdSet {
    /// Adds `id`; true when it was not there.
    pub fn insert(&mut self, id: UserId) -> bool {
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, id);
                true
            }
        }
    }

    /// Removes `id`; true when it was there.
    pub fn remove(&mut self, id: &UserId) -> bool {
        match self.0.binary_search(id) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &UserId) -> bool {
        self.0.binary_search(id).is_ok()
    }

    /// The ids, sorted.
    pub fn iter(&self) -> std::slice::Iter<'_, UserId> {
        self.0.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids, sorted, as a list.
    pub fn to_vec(&self) -> Vec<UserId> {
        self.0.clone()
    }
}

impl FromIterator<UserId> for IdSet {
    fn from_iter<I: IntoIterator<Item = UserId>>(ids: I) -> Self {
        let mut set = IdSet::default();
        for id in ids {
            set.insert(id);
        }
        set
    }
}

/// Frames in a row that cannot be read before a session gives up on its socket.
pub const GARBAGE_LIMIT: u32 = 5;

/// How long a session may take to become live (logged in and subscribed) before it gives up.
pub const LIVE_WITHIN_MS: u64 = 30_000;

/// The queue and counters every session keeps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outbox {
    actions: VecDeque<Action>,
    pub(crate) stats: PushStats,
    garbage_in_a_row: u32,
}

impl Outbox {
    pub(crate) fn push(&mut self, action: Action) {
        if let Action::Presences(p) = &action {
            let n = u64::try_from(p.len()).unwrap_or(u64::MAX);
            self.stats.presences = self.stats.presences.saturating_add(n);
        }
        self.actions.push_back(action);
    }

    pub(crate) fn pop(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// A frame was read, and whether it could be used.
    pub(crate) fn read(&mut self, usable: bool) {
        self.stats.frames = self.stats.frames.saturating_add(1);
        if usable {
            self.garbage_in_a_row = 0;
        }
    }

    /// A frame was dropped; true when too many in a row were.
    pub(crate) fn dropped(&mut self, unreadable: bool) -> bool {
        self.stats.dropped = self.stats.dropped.saturating_add(1);
        if unreadable {
            self.garbage_in_a_row = self.garbage_in_a_row.saturating_add(1);
        }
        self.garbage_in_a_row >= GARBAGE_LIMIT
    }
}

/// The WebSocket URL of an HTTP base URL: `https://` becomes `wss://`, `http://` (localhost only)
/// `ws://`.
pub(crate) fn socket_url(base_url: &str, path: &str) -> Option<String> {
    let base = base_url.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))?;
    Some(format!("{rest}{path}"))
}

/// Checks a socket URL a service handed out: `wss://`, or `ws://` on this machine only.
pub(crate) fn check_socket_url(url: &str) -> bool {
    let as_http = url
        .strip_prefix("wss://")
        .map(|r| format!("https://{r}"))
        .or_else(|| url.strip_prefix("ws://").map(|r| format!("http://{r}")));
    as_http.is_some_and(|u| super::http::check_base_url(&u).is_ok())
}

/// A push failure of `provider`, as a network error (it is transient: push is tried again).
pub(crate) fn failure(provider: ProviderKind, message: impl Into<String>) -> PresenceError {
    PresenceError::Network {
        provider,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_urls_follow_the_scheme_and_stay_local_in_clear() {
        assert_eq!(
            socket_url("https://chat.example.com/", "/websocket").as_deref(),
            Some("wss://chat.example.com/websocket")
        );
        assert_eq!(
            socket_url("http://127.0.0.1:8080/rocketchat", "/websocket").as_deref(),
            Some("ws://127.0.0.1:8080/rocketchat/websocket")
        );
        assert_eq!(socket_url("ftp://x", "/websocket"), None);
        assert!(check_socket_url(
            "wss://streaming.mypurecloud.com/channels/streaming-0-x"
        ));
        assert!(check_socket_url("ws://127.0.0.1:9/genesys/channels/c1"));
        assert!(!check_socket_url("ws://streaming.example.com/channels/c1"));
        assert!(!check_socket_url("https://streaming.example.com/"));
    }

    #[test]
    fn garbage_in_a_row_ends_the_socket_and_good_frames_reset_the_count() {
        let mut out = Outbox::default();
        for _ in 0..GARBAGE_LIMIT - 1 {
            out.read(false);
            assert!(!out.dropped(true));
        }
        out.read(true);
        for _ in 0..GARBAGE_LIMIT - 1 {
            out.read(false);
            assert!(!out.dropped(true));
        }
        out.read(false);
        assert!(out.dropped(true));
        assert_eq!(out.stats.dropped, u64::from(GARBAGE_LIMIT * 2 - 1));
    }
}
