//! What both push protocols share: the open sockets and what each watches, Genesys notification
//! channels, the heartbeat period, and the counters `/_sim/stats` shows under `push`.
//!
//! A change of a person is announced under the world's lock ([`announce`]): each protocol builds
//! its frame once and queues it to every socket that watches that person, so frames leave in the
//! order the changes happened. Each socket is one task ([`run`]) that sends what is queued first,
//! then reads what the client sends, then beats its heartbeat.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::app::App;
use crate::people::Provider;
use crate::providers::{genesys_notifications, rocketchat_ddp};
use crate::reply::set;
use crate::rng::Rng;
use crate::world::World;

/// The heartbeat period unless told otherwise: Genesys documents about 30 s.
pub const DEFAULT_HEARTBEAT_MS: u64 = 30_000;

/// The shortest heartbeat period the simulator takes.
pub const MIN_HEARTBEAT_MS: u64 = 10;

/// The longest heartbeat period the simulator takes (a day).
pub const MAX_HEARTBEAT_MS: u64 = 86_400_000;

/// What the `garbage_frames` fault sends before every real frame.
pub const GARBAGE: &str = "garbage, not JSON: {\"msg\":";

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

/// A digest of a token: what the simulator keeps instead of the token.
pub fn digest(token: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    token.hash(&mut hasher);
    hasher.finish()
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
            .unwrap_or_else(|| Rng::new(key).text(17, crate::people::METEOR_ALPHABET))
    }

    /// `/_sim/stats`' `push`: the counters with what is open now, per push provider.
    pub fn stats(&self) -> Value {
        let mut all = serde_json::Map::new();
        for provider in [Provider::RocketChat, Provider::Genesys] {
            let counters = self.counters.get(&provider).cloned().unwrap_or_default();
            let mut entry = serde_json::to_value(counters).unwrap_or_else(|_| json!({}));
            let open = self.sockets_of(provider).count();
            set(&mut entry, "sockets_open", json!(open));
            match provider {
                Provider::RocketChat => {
                    let watched: usize = self
                        .sockets_of(provider)
                        .filter_map(|(_, s)| s.presence.as_ref().map(|(_, ids)| ids.len()))
                        .sum();
                    let legacy: usize =
                        self.sockets_of(provider).map(|(_, s)| s.legacy.len()).sum();
                    set(&mut entry, "subscriptions", json!(watched));
                    set(&mut entry, "legacy_subscriptions", json!(legacy));
                    set(&mut entry, "channels", json!(0));
                }
                _ => {
                    let topics: usize = self.channels.values().map(|c| c.topics.len()).sum();
                    set(&mut entry, "subscriptions", json!(topics));
                    set(&mut entry, "channels", json!(self.channels.len()));
                }
            }
            all.insert(provider.name().to_owned(), entry);
        }
        Value::Object(all)
    }
}

/// Announces changes to the sockets that watch those people; `moved` names each by provider and
/// place in its population. Called under the world's lock, right after the change.
pub fn announce(world: &World, moved: &[(Provider, usize)]) {
    if world.push.sockets.is_empty() {
        return;
    }
    for &(provider, index) in moved {
        match provider {
            Provider::RocketChat => rocketchat_ddp::announce(world, index),
            Provider::Genesys => genesys_notifications::announce(world, index),
            Provider::Graph | Provider::SuperOffice => {}
        }
    }
}

/// One protocol spoken on a socket.
pub trait Session: Send + 'static {
    /// What goes out as soon as the socket is open.
    fn on_open(&mut self, _app: &App) -> Vec<Out> {
        Vec::new()
    }

    /// What to do with a text frame from the client.
    fn on_text(&mut self, app: &App, text: &str) -> Vec<Out>;

    /// A heartbeat period has passed (never called while `no_heartbeats` holds).
    fn on_beat(&mut self, app: &App) -> Vec<Out>;

    /// A heartbeat period has passed in silence (`no_heartbeats`).
    fn on_quiet(&mut self) {}
}

/// Serves one socket until either side ends it, then forgets it.
pub async fn run(
    mut socket: WebSocket,
    app: App,
    provider: Provider,
    id: u64,
    mut rx: mpsc::UnboundedReceiver<Out>,
    mut session: impl Session,
) {
    let mut beats = app.read().push.heartbeat.subscribe();
    let mut period = Duration::from_millis(*beats.borrow_and_update());
    let mut next = Instant::now() + period;
    let mut watching = true;
    let mut todo = session.on_open(&app);
    'serve: loop {
        for out in todo.drain(..) {
            match out {
                Out::Frame(kind, text) => {
                    if !send(&mut socket, &app, provider, kind, text).await {
                        break 'serve;
                    }
                }
                Out::Close(code, reason) => {
                    let close = CloseFrame {
                        code,
                        reason: reason.into(),
                    };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    break 'serve;
                }
                Out::Drop => break 'serve,
            }
        }
        todo = tokio::select! {
            biased;
            out = rx.recv() => vec![out.unwrap_or(Out::Drop)],
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    app.lock().push.counters_mut(provider).frames_received += 1;
                    session.on_text(&app, text.as_str())
                }
                Some(Ok(Message::Binary(_))) => {
                    app.lock().push.counters_mut(provider).frames_received += 1;
                    Vec::new()
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Vec::new(),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break 'serve,
            },
            () = tokio::time::sleep_until(next) => {
                next = Instant::now() + period;
                if app.read().faults_of(provider).no_heartbeats {
                    session.on_quiet();
                    Vec::new()
                } else {
                    session.on_beat(&app)
                }
            }
            changed = beats.changed(), if watching => {
                if changed.is_ok() {
                    period = Duration::from_millis(*beats.borrow_and_update());
                    next = Instant::now() + period;
                } else {
                    watching = false;
                }
                Vec::new()
            }
        };
    }
    app.lock().push.close(id);
}

/// Sends one frame, counted, after a garbage frame while `garbage_frames` holds. False when the
/// socket is gone.
async fn send(
    socket: &mut WebSocket,
    app: &App,
    provider: Provider,
    kind: Kind,
    text: String,
) -> bool {
    let garbage = {
        let mut world = app.lock();
        let garbage = world.faults_of(provider).garbage_frames;
        let counters = world.push.counters_mut(provider);
        counters.frames_sent += 1;
        match kind {
            Kind::Event => counters.events_sent += 1,
            Kind::Heartbeat => counters.heartbeats_sent += 1,
            Kind::Other => {}
        }
        if garbage {
            counters.garbage_sent += 1;
        }
        garbage
    };
    if garbage && socket.send(Message::Text(GARBAGE.into())).await.is_err() {
        return false;
    }
    socket.send(Message::Text(text.into())).await.is_ok()
}
