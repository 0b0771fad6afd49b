//! What both push protocols share beyond the hub's state ([`crate::hub`]): announcing changes,
//! serving one socket, and the `/_sim/stats` view of the sockets.
//!
//! A change of a person is announced under the world's lock ([`announce`]): each protocol builds
//! its frame once and queues it to every socket that watches that person, so frames leave in the
//! order the changes happened. Each socket is one task ([`run`]) that sends what is queued first,
//! then reads what the client sends, then beats its heartbeat.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::App;
use crate::hub::{Kind, Out, Push};
use crate::people::Provider;
use crate::providers::{genesys_notifications, rocketchat_ddp};
use crate::reply::set;
use crate::world::World;

/// What the `garbage_frames` fault sends before every real frame.
pub const GARBAGE: &str = "garbage, not JSON: {\"msg\":";

/// `/_sim/stats`' `push`: the hub's counters with what is open now, per push provider.
pub fn stats(hub: &Push) -> Value {
    let mut all = serde_json::Map::new();
    for provider in [Provider::RocketChat, Provider::Genesys] {
        let counters = hub.counters.get(&provider).cloned().unwrap_or_default();
        let mut entry = serde_json::to_value(counters).unwrap_or_else(|_| json!({}));
        let open = hub.sockets_of(provider).count();
        set(&mut entry, "sockets_open", json!(open));
        match provider {
            Provider::RocketChat => {
                let watched: usize = hub
                    .sockets_of(provider)
                    .filter_map(|(_, s)| s.presence.as_ref().map(|(_, ids)| ids.len()))
                    .sum();
                let legacy: usize = hub.sockets_of(provider).map(|(_, s)| s.legacy.len()).sum();
                set(&mut entry, "subscriptions", json!(watched));
                set(&mut entry, "legacy_subscriptions", json!(legacy));
                set(&mut entry, "channels", json!(0));
            }
            _ => {
                let topics: usize = hub.channels.values().map(|c| c.topics.len()).sum();
                set(&mut entry, "subscriptions", json!(topics));
                set(&mut entry, "channels", json!(hub.channels.len()));
            }
        }
        all.insert(provider.name().to_owned(), entry);
    }
    Value::Object(all)
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
    let mut beats = app.read().push.heartbeats();
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
