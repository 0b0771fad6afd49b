//! The socket hub the world owns: the open push sockets and what each watches, Genesys
//! notification channels, the heartbeat period, and the counters `/_sim/stats` shows under `push`.
//!
//! State only, below both [`crate::world`] (which holds a [`Push`]) and [`crate::push`] (which
//! serves the sockets and announces changes to them): it imports nothing of either.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::digest::digest;
use crate::people::{Provider, METEOR_ALPHABET};
use crate::rng::Rng;

/// The heartbeat period unless told otherwise: Genesys documents about 30 s.
pub const DEFAULT_HEARTBEAT_MS: u64 = 30_000;

/// The shortest heartbeat period the simulator takes.
pub const MIN_HEARTBEAT_MS: u64 = 10;

/// The longest heartbeat period the simulator takes (a day).
pub const MAX_HEARTBEAT_MS: u64 = 86_400_000;

/// Rocket.Chat ids the simulator remembers from REST calls, to answer a socket login with the
/// user the token belongs to; past this the memory starts again.
const REMEMBERED_USERS: usize = 10_000;

/// What a socket's task is told to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// Send a text frame.
    Frame(Kind, String),
    /// Send a close frame with this code and reason, then end.
    Close(u16, String),
    /// End at once, without a close frame: the connection drops.
    Drop,
}

/// What a frame is, for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A presence change.
    Event,
    /// A server heartbeat (Rocket.Chat ping, Genesys `WebSocket Heartbeat`).
    Heartbeat,
    /// Anything else: answers, system messages.
    Other,
}

/// A frame of JSON.
pub fn frame(kind: Kind, value: &Value) -> Out {
    Out::Frame(kind, value.to_string())
}

/// One open socket.
#[derive(Debug)]
pub struct Socket {
    /// Whose protocol it speaks.
    pub provider: Provider,
    tx: mpsc::UnboundedSender<Out>,
    /// The Genesys channel it is the socket of.
    pub channel: Option<String>,
    /// The Rocket.Chat `stream-user-presence` subscription: its id and the user ids it watches.
    pub presence: Option<(String, HashSet<String>)>,
    /// The ids of its Rocket.Chat `stream-notify-logged` `user-status` subscriptions.
    pub legacy: HashSet<String>,
}

impl Socket {
    /// Queues `out` for the socket's task (nothing happens when the task has ended).
    pub fn send(&self, out: Out) {
        let _ = self.tx.send(out);
    }
}

/// A Genesys notification channel.
#[derive(Debug)]
pub struct Channel {
    /// Who made it: a digest of the bearer token (the token itself is not kept).
    pub owner: u64,
    /// Its topics (`v2.users.{id}.presence`).
    pub topics: BTreeSet<String>,
    /// When it expires, milliseconds since the Unix epoch.
    pub expires_ms: u64,
    /// When it was last used, on the simulator's own count (creation, subscriptions, sockets).
    pub last_used: u64,
    /// The socket open on it.
    pub socket: Option<u64>,
}

/// Counts since start or the last reset, per provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Sockets opened.
    pub sockets_opened: u64,
    /// Frames sent, every kind but the garbage.
    pub frames_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Presence frames sent.
    pub events_sent: u64,
    /// Heartbeats sent.
    pub heartbeats_sent: u64,
    /// Garbage frames sent (`garbage_frames`).
    pub garbage_sent: u64,
    /// Genesys channels created.
    pub channels_created: u64,
}

/// The push side of the world.
#[derive(Debug)]
pub struct Push {
    heartbeat: watch::Sender<u64>,
    next_socket: u64,
    uses: u64,
    /// Every open socket, by the simulator's own id.
    pub sockets: HashMap<u64, Socket>,
    /// Genesys notification channels, by id.
    pub channels: HashMap<String, Channel>,
    /// The counters.
    pub counters: BTreeMap<Provider, Counters>,
    /// Session, channel and correlation ids come from here, not from the walk's random source.
    pub rng: Rng,
    /// Where the server listens, for Genesys' `connectUri`.
    pub addr: Option<SocketAddr>,
    /// Rocket.Chat user ids by a digest of the `X-Auth-Token` they came with.
    rc_users: HashMap<u64, String>,
}

impl Push {
    /// No sockets yet; heartbeats every 30 s.
    pub fn new(seed: u64) -> Self {
        let (heartbeat, _) = watch::channel(DEFAULT_HEARTBEAT_MS);
        Self {
            heartbeat,
            next_socket: 0,
            uses: 0,
            sockets: HashMap::new(),
            channels: HashMap::new(),
            counters: BTreeMap::new(),
            rng: Rng::new(seed ^ 0x5EED_50C4_E75F_0A11),
            addr: None,
            rc_users: HashMap::new(),
        }
    }

    /// The heartbeat period in milliseconds.
    pub fn heartbeat_ms(&self) -> u64 {
        *self.heartbeat.borrow()
    }

    /// The heartbeat period as it changes, for a socket's task to follow.
    pub fn heartbeats(&self) -> watch::Receiver<u64> {
        self.heartbeat.subscribe()
    }

    /// Changes the heartbeat period; every open socket starts its next period anew.
    pub fn set_heartbeat_ms(&self, ms: u64) {
        self.heartbeat
            .send_replace(ms.clamp(MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS));
    }

    /// The next use on the simulator's own count.
    pub fn tick(&mut self) -> u64 {
        self.uses += 1;
        self.uses
    }

    /// Registers a new socket; returns its id and what its task is told.
    pub fn open(
        &mut self,
        provider: Provider,
        channel: Option<String>,
    ) -> (u64, mpsc::UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel();
        self.next_socket += 1;
        let id = self.next_socket;
        self.sockets.insert(
            id,
            Socket {
                provider,
                tx,
                channel,
                presence: None,
                legacy: HashSet::new(),
            },
        );
        self.counters_mut(provider).sockets_opened += 1;
        (id, rx)
    }

    /// Forgets a socket whose task has ended; its channel, if any, has no socket now.
    pub fn close(&mut self, id: u64) {
        let Some(socket) = self.sockets.remove(&id) else {
            return;
        };
        let used = self.tick();
        if let Some(channel) = socket.channel.and_then(|c| self.channels.get_mut(&c)) {
            if channel.socket == Some(id) {
                channel.socket = None;
                channel.last_used = used;
            }
        }
    }

    /// Queues `out` to one socket.
    pub fn send(&self, id: u64, out: Out) {
        if let Some(socket) = self.sockets.get(&id) {
            socket.send(out);
        }
    }

    /// The open sockets of one provider.
    pub fn sockets_of(&self, provider: Provider) -> impl Iterator<Item = (&u64, &Socket)> {
        self.sockets
            .iter()
            .filter(move |(_, s)| s.provider == provider)
    }

    /// Queues `out` to every socket of one provider.
    pub fn broadcast(&self, provider: Provider, out: &Out) {
        for (_, socket) in self.sockets_of(provider) {
            socket.send(out.clone());
        }
    }

    /// The counters of one provider, created on first use.
    pub fn counters_mut(&mut self, provider: Provider) -> &mut Counters {
        self.counters.entry(provider).or_default()
    }

    /// Notes that a Rocket.Chat REST call came with this token and user id.
    pub fn remember_rc_user(&mut self, token: &str, user: &str) {
        if token.is_empty() || user.is_empty() {
            return;
        }
        if self.rc_users.len() >= REMEMBERED_USERS {
            self.rc_users.clear();
        }
        self.rc_users.insert(digest(token), user.to_owned());
    }

    /// The Rocket.Chat user a token logs in as: the `X-User-Id` it last came with over REST, or
    /// else an id made from it (the same every time).
    pub fn rc_user(&self, token: &str) -> String {
        let key = digest(token);
        self.rc_users
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Rng::new(key).text(17, METEOR_ALPHABET))
    }
}
