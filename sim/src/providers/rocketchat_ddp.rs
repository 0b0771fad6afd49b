//! Rocket.Chat's real-time API at `/rocketchat/websocket`: DDP over a WebSocket.
//!
//! As Meteor's DDP document and Rocket.Chat's server code have it: `{"server_id":"0"}` first,
//! then `connect` → `connected`; `ping`/`pong` both ways (the server pings every heartbeat period
//! and closes, code 4000, a socket that has sent nothing since its last ping); `login` with a
//! `resume` token, the same tokens REST takes; `sub` to `stream-user-presence` (only the first
//! stays open; later ones change its ids and end at once with `nosub`) and to the legacy
//! `stream-notify-logged` `user-status`; `unsub`. Every method answers `result` then `updated`.

use std::collections::HashSet;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::clock::now_ms;
use crate::hub::{frame, Kind, Out};
use crate::people::{Person, Provider, METEOR_ALPHABET};
use crate::providers::rocketchat::status;
use crate::push::{self, Session};
use crate::world::World;

const RC: Provider = Provider::RocketChat;

/// The modern presence stream.
pub const PRESENCE_STREAM: &str = "stream-user-presence";

/// The legacy stream, with event `user-status`.
pub const LEGACY_STREAM: &str = "stream-notify-logged";

/// How long a resumed login lasts: Rocket.Chat's default `Accounts_LoginExpiration`, 90 days.
const LOGIN_EXPIRES_MS: u64 = 90 * 24 * 3_600_000;

/// The close code of a socket that did not answer a ping.
pub const PING_TIMEOUT_CODE: u16 = 4000;

/// The routes.
pub fn routes() -> Router<App> {
    Router::new().route("/rocketchat/websocket", get(upgrade))
}

async fn upgrade(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| async move {
        let (id, rx, session) = {
            let mut world = app.lock();
            let (id, rx) = world.push.open(RC, None);
            let session = world.push.rng.text(17, METEOR_ALPHABET);
            (id, rx, session)
        };
        let ddp = Ddp {
            socket: id,
            session,
            connected: false,
            user: None,
            awaiting_pong: false,
        };
        push::run(socket, app, RC, id, rx, ddp).await;
    })
}

/// The numeric status of the real-time streams: 0 offline, 1 online, 2 away, 3 busy.
pub fn code(person: &Person) -> u8 {
    match status(person) {
        "online" => 1,
        "away" => 2,
        "busy" => 3,
        _ => 0,
    }
}

/// Queues a change of the person at `index` to the sockets that watch them: the presence stream
/// to those whose subscription names them, the legacy stream to those subscribed to it.
pub fn announce(world: &World, index: usize) {
    let Some(person) = world.people(RC).and_then(|p| p.people.get(index)) else {
        return;
    };
    if !world.faults_of(RC).presence_broadcast {
        return;
    }
    let text = person.message.clone().unwrap_or_default();
    let mut modern = None;
    let mut legacy = None;
    for (_, socket) in world.push.sockets_of(RC) {
        let watched = socket
            .presence
            .as_ref()
            .is_some_and(|(_, ids)| ids.contains(&person.id));
        if watched {
            let out = modern.get_or_insert_with(|| {
                frame(
                    Kind::Event,
                    &json!({
                        "msg": "changed",
                        "collection": PRESENCE_STREAM,
                        "id": person.id,
                        "fields": {
                            "uid": person.id,
                            "args": [[person.username, code(person), text]],
                            "eventName": person.id,
                        },
                    }),
                )
            });
            socket.send(out.clone());
        }
        if !socket.legacy.is_empty() {
            let out = legacy.get_or_insert_with(|| {
                frame(
                    Kind::Event,
                    &json!({
                        "msg": "changed",
                        "collection": LEGACY_STREAM,
                        "id": "id",
                        "fields": {
                            "eventName": "user-status",
                            "args": [[person.id, person.username, code(person), text]],
                        },
                    }),
                )
            });
            socket.send(out.clone());
        }
    }
}

/// A `Meteor.Error` as DDP carries it.
fn meteor_error(error: Value, reason: &str) -> Value {
    let tag = match &error {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    json!({
        "error": error,
        "reason": reason,
        "message": format!("{reason} [{tag}]"),
        "errorType": "Meteor.Error",
    })
}

/// The error of a refused subscription (not logged in, or `reject_subscriptions`).
fn not_allowed() -> Value {
    meteor_error(json!("not-allowed"), "Not allowed")
}

fn reply(value: &Value) -> Vec<Out> {
    vec![frame(Kind::Other, value)]
}

fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The user ids of a list, strings only.
fn ids(value: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
}

/// One DDP connection.
struct Ddp {
    socket: u64,
    session: String,
    connected: bool,
    user: Option<String>,
    awaiting_pong: bool,
}

impl Ddp {
    fn connect(&mut self, msg: &Value) -> Vec<Out> {
        if text_of(msg, "version") == Some("1") {
            self.connected = true;
            reply(&json!({ "msg": "connected", "session": self.session }))
        } else {
            vec![
                frame(Kind::Other, &json!({ "msg": "failed", "version": "1" })),
                Out::Close(1002, "unsupported DDP version".into()),
            ]
        }
    }

    fn method(&mut self, app: &App, msg: &Value) -> Vec<Out> {
        let Some(id) = text_of(msg, "id") else {
            return reply(
                &json!({ "msg": "error", "reason": "Bad request", "offendingMessage": msg }),
            );
        };
        let name = text_of(msg, "method").unwrap_or("");
        let answer = match name {
            "login" => self.login(app, msg.get("params").and_then(|p| p.get(0))),
            _ => Err(meteor_error(
                json!(404),
                &format!("Method '{name}' not found"),
            )),
        };
        let result = match answer {
            Ok(result) => json!({ "msg": "result", "id": id, "result": result }),
            Err(error) => json!({ "msg": "result", "id": id, "error": error }),
        };
        vec![
            frame(Kind::Other, &result),
            frame(Kind::Other, &json!({ "msg": "updated", "methods": [id] })),
        ]
    }

    /// `login` with `{"resume": token}`: the same tokens REST takes, revoked ones refused.
    fn login(&mut self, app: &App, params: Option<&Value>) -> Result<Value, Value> {
        let Some(token) = params.and_then(|p| text_of(p, "resume")) else {
            return Err(meteor_error(
                json!(400),
                "Unrecognized options for login request",
            ));
        };
        let world = app.read();
        if token.trim().is_empty() || world.revoked.contains(&(RC, token.to_owned())) {
            self.user = None;
            return Err(meteor_error(
                json!(403),
                "You've been logged out by the server. Please log in again.",
            ));
        }
        let user = world.push.rc_user(token);
        self.user = Some(user.clone());
        Ok(json!({
            "id": user,
            "token": token,
            "tokenExpires": { "$date": now_ms().saturating_add(LOGIN_EXPIRES_MS) },
            "type": "resume",
        }))
    }

    fn sub(&mut self, app: &App, msg: &Value) -> Vec<Out> {
        let Some(id) = text_of(msg, "id") else {
            return reply(
                &json!({ "msg": "error", "reason": "Bad request", "offendingMessage": msg }),
            );
        };
        let name = text_of(msg, "name").unwrap_or("");
        let params = msg.get("params");
        if name != PRESENCE_STREAM && name != LEGACY_STREAM {
            let error = meteor_error(json!(404), &format!("Subscription '{name}' not found"));
            return reply(&json!({ "msg": "nosub", "id": id, "error": error }));
        }
        let mut world = app.lock();
        if self.user.is_none() || world.faults_of(RC).reject_subscriptions {
            return reply(&json!({ "msg": "nosub", "id": id, "error": not_allowed() }));
        }
        let Some(socket) = world.push.sockets.get_mut(&self.socket) else {
            return Vec::new();
        };
        if name == LEGACY_STREAM {
            let event = params.and_then(|p| p.get(0)).and_then(Value::as_str);
            if event == Some("user-status") {
                socket.legacy.insert(id.to_owned());
            }
            return reply(&json!({ "msg": "ready", "subs": [id] }));
        }
        let change = params.and_then(|p| p.get(1));
        let added = ids(change.and_then(|c| c.get("added")));
        let removed: HashSet<String> = ids(change.and_then(|c| c.get("removed"))).collect();
        match &mut socket.presence {
            None => {
                let watched = added.filter(|a| !removed.contains(a)).collect();
                socket.presence = Some((id.to_owned(), watched));
                reply(&json!({ "msg": "ready", "subs": [id] }))
            }
            Some((_, watched)) => {
                watched.extend(added);
                watched.retain(|w| !removed.contains(w));
                reply(&json!({ "msg": "nosub", "id": id }))
            }
        }
    }

    fn unsub(&mut self, app: &App, msg: &Value) -> Vec<Out> {
        let Some(id) = text_of(msg, "id") else {
            return reply(
                &json!({ "msg": "error", "reason": "Bad request", "offendingMessage": msg }),
            );
        };
        let mut world = app.lock();
        if let Some(socket) = world.push.sockets.get_mut(&self.socket) {
            if socket.presence.as_ref().is_some_and(|(sub, _)| sub == id) {
                socket.presence = None;
            }
            socket.legacy.remove(id);
        }
        reply(&json!({ "msg": "nosub", "id": id }))
    }
}

impl Session for Ddp {
    fn on_open(&mut self, _app: &App) -> Vec<Out> {
        reply(&json!({ "server_id": "0" }))
    }

    fn on_text(&mut self, app: &App, text: &str) -> Vec<Out> {
        // Anything the client sends shows it is alive.
        self.awaiting_pong = false;
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return reply(&json!({ "msg": "error", "reason": "Bad request" }));
        };
        let kind = text_of(&msg, "msg").unwrap_or("");
        if !self.connected {
            return if kind == "connect" {
                self.connect(&msg)
            } else {
                reply(
                    &json!({ "msg": "error", "reason": "Must connect first", "offendingMessage": msg }),
                )
            };
        }
        match kind {
            "connect" | "pong" => Vec::new(),
            "ping" => {
                if app.read().faults_of(RC).no_heartbeats {
                    return Vec::new();
                }
                let mut pong = json!({ "msg": "pong" });
                if let Some(id) = msg.get("id") {
                    crate::reply::set(&mut pong, "id", id.clone());
                }
                reply(&pong)
            }
            "method" => self.method(app, &msg),
            "sub" => self.sub(app, &msg),
            "unsub" => self.unsub(app, &msg),
            _ => {
                reply(&json!({ "msg": "error", "reason": "Bad request", "offendingMessage": msg }))
            }
        }
    }

    fn on_beat(&mut self, _app: &App) -> Vec<Out> {
        if !self.connected {
            return Vec::new();
        }
        if self.awaiting_pong {
            return vec![Out::Close(PING_TIMEOUT_CODE, "no pong".into())];
        }
        self.awaiting_pong = true;
        vec![frame(Kind::Heartbeat, &json!({ "msg": "ping" }))]
    }

    fn on_quiet(&mut self) {
        self.awaiting_pong = false;
    }
}
