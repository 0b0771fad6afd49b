//! Genesys Cloud's notification channels: `POST /genesys/api/v2/notifications/channels`, the
//! channel's subscriptions (`GET` lists, `POST` adds, `PUT` replaces), and its socket at
//! `/genesys/channels/{id}`.
//!
//! As the SDKs and the notification documents have it: a channel lives 24 hours (longer each
//! time its subscriptions are set); a user (here: a bearer token) has at most 20, and a 21st
//! replaces the oldest, by last use, that has no socket open; at most 1,000 topics a channel
//! (more: 400); one socket a channel (a second closes the first). The socket carries no token:
//! the channel id in its path is the only credential. It gets `v2.users.{id}.presence` events,
//! a `channel.metadata` heartbeat every heartbeat period, and answers `{"message":"ping"}` with
//! `pong`.

use std::collections::BTreeSet;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::clock::{iso, now_ms};
use crate::digest::digest;
use crate::hub::{frame, Channel, Kind, Out};
use crate::people::{Person, Provider};
use crate::providers::genesys::{definition_of, primary_of};
use crate::push::{self, Session};
use crate::query::first;
use crate::reply::{error, set, Reply};
use crate::world::World;

const GC: Provider = Provider::Genesys;

/// How long a channel lives after it is made or its subscriptions are set.
pub const CHANNEL_LIFETIME_MS: u64 = 24 * 3_600_000;

/// Channels per user.
pub const CHANNELS_PER_USER: usize = 20;

/// Topics per channel.
pub const TOPICS_PER_CHANNEL: usize = 1_000;

/// The permission the `reject_subscriptions` fault says is missing.
pub const PERMISSION: &str = "presence:userPresence:view";

/// The message of `v2.system.socket_closing`.
pub const SOCKET_CLOSING: &str = "This socket will close soon: open a new socket on a new channel.";

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/genesys/api/v2/notifications/channels", post(create))
        .route(
            "/genesys/api/v2/notifications/channels/{id}/subscriptions",
            get(list).post(add).put(replace),
        )
        .route("/genesys/channels/{id}", get(upgrade))
}

/// The topic of one person's presence.
pub fn topic(user: &str) -> String {
    format!("v2.users.{user}.presence")
}

/// Whether a topic is one the simulator serves: `v2.users.{id}.presence`.
fn served(topic: &str) -> bool {
    topic
        .strip_prefix("v2.users.")
        .and_then(|rest| rest.strip_suffix(".presence"))
        .is_some_and(|id| !id.is_empty() && !id.contains('.'))
}

/// The caller, by a digest of its bearer token.
fn owner(headers: &HeaderMap) -> u64 {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = authorization
        .split_once(' ')
        .map_or("", |(_, token)| token.trim());
    digest(token)
}

/// Drops the channels past their time, closing their sockets.
fn expire(world: &mut World, now: u64) {
    let push = &mut world.push;
    let gone: Vec<String> = push
        .channels
        .iter()
        .filter(|(_, c)| c.expires_ms <= now)
        .map(|(id, _)| id.clone())
        .collect();
    for id in gone {
        if let Some(socket) = push.channels.remove(&id).and_then(|c| c.socket) {
            push.send(socket, Out::Close(1000, "The channel has expired".into()));
        }
    }
}

fn connect_uri(world: &World, host: &str, id: &str) -> String {
    let host = world
        .push
        .addr
        .map_or_else(|| host.to_owned(), |addr| addr.to_string());
    format!("ws://{host}/genesys/channels/{id}")
}

async fn create(State(app): State<App>, headers: HeaderMap) -> Response {
    let owner = owner(&headers);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    app.api_mut(GC, "notifications/channels", &headers, move |world, now| {
        expire(world, now);
        let mine: Vec<(&String, &Channel)> = world
            .push
            .channels
            .iter()
            .filter(|(_, c)| c.owner == owner)
            .collect();
        if mine.len() >= CHANNELS_PER_USER {
            let oldest = mine
                .iter()
                .filter(|(_, c)| c.socket.is_none())
                .min_by_key(|(_, c)| c.last_used)
                .map(|(id, _)| (*id).clone());
            let Some(oldest) = oldest else {
                return error(
                    GC,
                    400,
                    "bad.request",
                    &format!(
                        "All {CHANNELS_PER_USER} channels of this user have a socket open: close one first."
                    ),
                );
            };
            world.push.channels.remove(&oldest);
        }
        let id = format!(
            "streaming-0-{}",
            world
                .push
                .rng
                .text(26, b"0123456789abcdefghijklmnopqrstuvwxyz")
        );
        let expires_ms = now.saturating_add(CHANNEL_LIFETIME_MS);
        let used = world.push.tick();
        world.push.channels.insert(
            id.clone(),
            Channel {
                owner,
                topics: BTreeSet::new(),
                expires_ms,
                last_used: used,
                socket: None,
            },
        );
        world.push.counters_mut(GC).channels_created += 1;
        Reply::value(
            200,
            &json!({
                "connectUri": connect_uri(world, &host, &id),
                "id": id,
                "expires": iso(expires_ms),
            }),
        )
    })
    .await
}

/// What a subscriptions call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    List,
    Add,
    Replace,
}

#[derive(Deserialize)]
struct Topic {
    id: String,
}

async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    subscriptions(app, id, query, headers, Change::List, String::new()).await
}

async fn add(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    subscriptions(app, id, query, headers, Change::Add, body).await
}

async fn replace(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    subscriptions(app, id, query, headers, Change::Replace, body).await
}

fn permitted(topic: &str) -> Value {
    json!({ "id": topic, "state": "Permitted" })
}

fn rejected(topic: &str, reason: &str, missing: &[&str]) -> Value {
    json!({
        "id": topic,
        "state": "Rejected",
        "rejectionReason": reason,
        "missingPermissions": missing,
    })
}

async fn subscriptions(
    app: App,
    id: String,
    query: Option<String>,
    headers: HeaderMap,
    change: Change,
    body: String,
) -> Response {
    let owner = owner(&headers);
    let ignore_errors =
        first(query.as_deref(), "ignoreErrors").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let endpoint = "notifications/channels/{id}/subscriptions";
    app.api_mut(GC, endpoint, &headers, move |world, now| {
        expire(world, now);
        let rejecting = world.faults_of(GC).reject_subscriptions;
        let Some(channel) = world.push.channels.get(&id).filter(|c| c.owner == owner) else {
            return error(
                GC,
                404,
                "not.found",
                &format!("The channel {id} was not found."),
            );
        };
        if change == Change::List {
            let entities: Vec<Value> = channel.topics.iter().map(|t| permitted(t)).collect();
            return Reply::value(200, &json!({ "entities": entities }));
        }
        let asked: Vec<Topic> = match serde_json::from_str(&body) {
            Ok(topics) => topics,
            Err(e) => {
                return error(
                    GC,
                    400,
                    "bad.request",
                    &format!("Expected [{{\"id\": \"v2.users.{{id}}.presence\"}}]: {e}"),
                )
            }
        };
        let mut refused: Vec<Value> = Vec::new();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for t in &asked {
            if rejecting {
                refused.push(rejected(
                    &t.id,
                    &format!("Missing permission {PERMISSION}"),
                    &[PERMISSION],
                ));
            } else if served(&t.id) {
                taken.insert(t.id.clone());
            } else {
                refused.push(rejected(&t.id, "The topic is not supported", &[]));
            }
        }
        if !refused.is_empty() && !ignore_errors {
            let mut reply = if rejecting {
                error(
                    GC,
                    403,
                    "missing.permissions",
                    &format!("Missing permission {PERMISSION} for the topics asked for."),
                )
            } else {
                error(
                    GC,
                    400,
                    "bad.request",
                    "A topic is not supported: only v2.users.{id}.presence.",
                )
            };
            let mut body: Value = serde_json::from_str(&reply.body).unwrap_or_default();
            set(&mut body, "entities", Value::Array(refused));
            reply.body = body.to_string();
            return reply;
        }
        let topics = match change {
            Change::Add => channel.topics.union(&taken).cloned().collect(),
            _ => taken,
        };
        if topics.len() > TOPICS_PER_CHANNEL {
            return error(
                GC,
                400,
                "bad.request",
                &format!(
                    "A channel has at most {TOPICS_PER_CHANNEL} topics; this would make {}.",
                    topics.len()
                ),
            )
            .counting(asked.len());
        }
        let used = world.push.tick();
        let Some(channel) = world.push.channels.get_mut(&id) else {
            return error(GC, 404, "not.found", "The channel was not found.");
        };
        channel.topics = topics;
        channel.last_used = used;
        channel.expires_ms = now.saturating_add(CHANNEL_LIFETIME_MS);
        let mut entities: Vec<Value> = channel.topics.iter().map(|t| permitted(t)).collect();
        entities.extend(refused);
        Reply::value(200, &json!({ "entities": entities })).counting(asked.len())
    })
    .await
}

fn not_found(id: &str) -> Response {
    let reply = error(
        GC,
        404,
        "not.found",
        &format!("The channel {id} was not found."),
    );
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}

async fn upgrade(State(app): State<App>, Path(id): Path<String>, ws: WebSocketUpgrade) -> Response {
    let now = now_ms();
    let known = {
        let mut world = app.lock();
        expire(&mut world, now);
        world.push.channels.contains_key(&id)
    };
    if !known {
        return not_found(&id);
    }
    ws.on_upgrade(move |socket| async move {
        let Some((socket_id, rx)) = attach(&mut app.lock(), &id) else {
            return;
        };
        push::run(socket, app, GC, socket_id, rx, Notifications).await;
    })
}

/// Opens a socket on a channel; the socket open on it before, if any, is closed.
fn attach(
    world: &mut World,
    channel: &str,
) -> Option<(u64, tokio::sync::mpsc::UnboundedReceiver<Out>)> {
    if !world.push.channels.contains_key(channel) {
        return None;
    }
    let (id, rx) = world.push.open(GC, Some(channel.to_owned()));
    let used = world.push.tick();
    let previous = world.push.channels.get_mut(channel).and_then(|c| {
        c.last_used = used;
        c.socket.replace(id)
    });
    if let Some(previous) = previous {
        world.push.send(
            previous,
            Out::Close(1000, "Another socket connected to this channel".into()),
        );
    }
    Some((id, rx))
}

/// `AVAILABLE`, `ON_QUEUE`, …: the system presence as notifications spell it.
fn upper(system_presence: &str) -> String {
    system_presence.to_ascii_uppercase().replace(' ', "_")
}

/// A correlation id in GUID form, the same for the same change.
fn correlation(person: &Person) -> String {
    let high = digest(&format!("{}/{}", person.id, person.sequence));
    let low = digest(&format!("{}#{}", person.updated_ms, person.id));
    let hex = format!("{high:016x}{low:016x}");
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// The `v2.users.{id}.presence` event of a person, with the definition and system presence
/// REST shows for them.
pub fn event(world: &World, person: &Person) -> Value {
    let definition = definition_of(world, person);
    json!({
        "topicName": topic(&person.id),
        "version": "2",
        "eventBody": {
            "source": "PURECLOUD",
            "presenceDefinition": {
                "id": definition.map(|d| d.id.as_str()),
                "systemPresence": definition.map(|d| upper(d.system_presence)),
            },
            "primary": primary_of(person).0 == "PURECLOUD",
            "message": person.message.clone().unwrap_or_default(),
            "modifiedDate": iso(person.updated_ms),
        },
        "metadata": { "CorrelationId": correlation(person) },
    })
}

/// Queues a change of the person at `index` to every channel socket subscribed to them.
pub fn announce(world: &World, index: usize) {
    let Some(person) = world.people(GC).and_then(|p| p.people.get(index)) else {
        return;
    };
    let topic = topic(&person.id);
    let mut out = None;
    for channel in world.push.channels.values() {
        let Some(socket) = channel.socket else {
            continue;
        };
        if channel.topics.contains(&topic) {
            let out = out.get_or_insert_with(|| frame(Kind::Event, &event(world, person)));
            world.push.send(socket, out.clone());
        }
    }
}

/// Sends `v2.system.socket_closing` to every Genesys socket.
pub fn socket_closing(world: &World) {
    let out = frame(
        Kind::Other,
        &json!({
            "topicName": "v2.system.socket_closing",
            "eventBody": { "message": SOCKET_CLOSING },
        }),
    );
    world.push.broadcast(GC, &out);
}

fn metadata(message: &str) -> Value {
    json!({ "topicName": "channel.metadata", "eventBody": { "message": message } })
}

/// One channel socket.
struct Notifications;

impl Session for Notifications {
    fn on_text(&mut self, app: &App, text: &str) -> Vec<Out> {
        let ping = serde_json::from_str::<Value>(text)
            .is_ok_and(|v| v.get("message").and_then(Value::as_str) == Some("ping"));
        if ping && !app.read().faults_of(GC).no_heartbeats {
            vec![frame(Kind::Other, &metadata("pong"))]
        } else {
            Vec::new()
        }
    }

    fn on_beat(&mut self, _app: &App) -> Vec<Out> {
        vec![frame(Kind::Heartbeat, &metadata("WebSocket Heartbeat"))]
    }
}
