//! Rocket.Chat under `/rocketchat/api/v1`: `users.presence` (`ids`, `from`, `full`),
//! `users.getPresence` and `users.getStatus`; the write `users.setStatus` is in [`writes`].
//!
//! As the server code does: with `ids`, only users who are online, away or busy come back
//! (`full: false`); with a `from` less than ten minutes old, everyone changed since, the caller
//! excepted, offline included (`full: false`); otherwise everyone not offline (`full: true`).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::clock::parse_from;
use crate::people::{Availability, Person, Provider};
use crate::query::{first, values};
use crate::reply::{error, set, Reply};
use crate::world::World;

pub mod writes;

const RC: Provider = Provider::RocketChat;

/// How old `from` may be before the answer becomes a full snapshot.
pub const DELTA_WINDOW_MS: u64 = 10 * 60 * 1000;

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/rocketchat/api/v1/users.presence", get(presence))
        .route("/rocketchat/api/v1/users.getPresence", get(get_presence))
        .route("/rocketchat/api/v1/users.getStatus", get(get_status))
        .merge(writes::routes())
}

/// `online`, `busy`, `away` or `offline`.
pub fn status(person: &Person) -> &'static str {
    match person.availability {
        Availability::Available => "online",
        Availability::Busy | Availability::DoNotDisturb => "busy",
        Availability::BeRightBack | Availability::Away => "away",
        Availability::Offline | Availability::Unknown => "offline",
    }
}

fn user(person: &Person) -> Value {
    let mut u = json!({
        "_id": person.id,
        "name": person.name,
        "username": person.username,
        "status": status(person),
        "utcOffset": person.utc_offset,
        "avatarETag": format!("{:017x}", person.sequence.wrapping_mul(0x9E37_79B9)),
    });
    if let Some(text) = &person.message {
        set(&mut u, "statusText", json!(text));
    }
    u
}

/// The calling user's id (`X-User-Id`).
fn caller(headers: &HeaderMap) -> String {
    headers
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn presence(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let caller = caller(&headers);
    let ids = values(query.as_deref(), "ids");
    let from = first(query.as_deref(), "from");
    // Counted by form, so that a test (or the demo) can see which form a client uses.
    let endpoint = match (ids.is_empty(), &from) {
        (false, _) => "users.presence?ids",
        (true, Some(_)) => "users.presence?from",
        (true, None) => "users.presence",
    };
    app.api(RC, endpoint, &headers, move |world, now| {
        let Some(people) = world
            .people(RC)
            .filter(|_| world.faults_of(RC).presence_broadcast)
        else {
            // No people, or the broadcast is off (`Presence_broadcast_disabled`): everyone looks
            // offline, and `full: true` says so even to an `ids` request.
            return Reply::value(200, &json!({ "users": [], "full": true, "success": true }))
                .counting(ids.len());
        };
        let not_offline = |p: &&Person| status(p) != "offline";
        if !ids.is_empty() {
            let users: Vec<Value> = ids
                .iter()
                .filter_map(|id| people.get(id))
                .filter(not_offline)
                .map(user)
                .collect();
            return Reply::value(
                200,
                &json!({ "users": users, "full": false, "success": true }),
            )
            .counting(ids.len());
        }
        if let Some(from) = from {
            let Some(since) = parse_from(&from) else {
                return error(
                    RC,
                    400,
                    "error-invalid-date",
                    &format!("Invalid date for `from`: {from} [error-invalid-date]"),
                );
            };
            if now.saturating_sub(since) < DELTA_WINDOW_MS {
                let users: Vec<Value> = people
                    .people
                    .iter()
                    .filter(|p| p.updated_ms >= since && p.id != caller)
                    .map(user)
                    .collect();
                return Reply::value(
                    200,
                    &json!({ "users": users, "full": false, "success": true }),
                );
            }
        }
        let users: Vec<Value> = people.people.iter().filter(not_offline).map(user).collect();
        Reply::value(
            200,
            &json!({ "users": users, "full": true, "success": true }),
        )
    })
    .await
}

/// The person a `userId` or `username` names; without either, the caller, who is always online.
fn target<'a>(world: &'a World, query: Option<&str>) -> Result<Option<&'a Person>, Reply> {
    let people = world.people(RC);
    let by_id = first(query, "userId");
    let by_name = first(query, "username");
    if by_id.is_none() && by_name.is_none() {
        return Ok(None);
    }
    let found = people.and_then(|p| match (&by_id, &by_name) {
        (Some(id), _) => p.get(id),
        (None, Some(name)) => p.people.iter().find(|person| &person.username == name),
        (None, None) => None,
    });
    found.map(Some).ok_or_else(|| {
        error(
            RC,
            400,
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users [error-invalid-user]",
        )
    })
}

async fn get_presence(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(
        RC,
        "users.getPresence",
        &headers,
        move |world, _| match target(world, query.as_deref()) {
            Ok(person) => {
                let presence = person.map_or("online", status);
                Reply::value(200, &json!({ "presence": presence, "success": true })).counting(1)
            }
            Err(reply) => reply.counting(1),
        },
    )
    .await
}

async fn get_status(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let caller = caller(&headers);
    app.api(RC, "users.getStatus", &headers, move |world, _| {
        match target(world, query.as_deref()) {
            Ok(Some(person)) => {
                let mut body = json!({
                    "_id": person.id,
                    "connectionStatus": if status(person) == "offline" { "offline" } else { "online" },
                    "status": status(person),
                    "success": true,
                });
                if person.message.is_some() {
                    set(&mut body, "statusSource", json!("manual"));
                }
                Reply::value(200, &body).counting(1)
            }
            Ok(None) => Reply::value(
                200,
                &json!({ "_id": caller, "connectionStatus": "online", "status": "online", "success": true }),
            ),
            Err(reply) => reply.counting(1),
        }
    })
    .await
}
