//! Rocket.Chat's write of one's own status, under `/rocketchat/api/v1` as the reads:
//! `POST users.setStatus` `{"message"?, "status"?, "expiresAt"?, "userId"?, "username"?}`, at
//! least one of `message` and `status`; `status` one of `online`, `busy`, `away` and `offline`;
//! `expiresAt` a future ISO 8601 date; `userId` or `username` to change another user, which needs
//! the `edit-other-user-info` permission. Answers `{"success": true}`; counted as
//! `users.setStatus`.
//!
//! As the OpenAPI document and the server's handler have it: a missing `status` and `message`
//! (or one that is not a string) is a `Match error`; an unknown status is `error-invalid-status`;
//! a past `expiresAt` is `error-invalid-date`; another user without the permission is 403
//! `{"success": false, "error": "unauthorized"}`; naming nobody is `error-invalid-user`. The
//! caller is the person its `X-User-Id` names, or the first simulated person
//! (`crate::identity`); `userId` or `username` naming the caller is the caller. An empty
//! `message` clears the status text; a `message` alone keeps the status, a `status` alone the
//! text.
//!
//! The simulator's own choices: the settings `Accounts_AllowUserStatusMessageChange` and
//! `Accounts_AllowInvisibleStatusOption` are on; `expiresAt` is checked and not enforced (the
//! status stays until changed again); an `expiresAt` that is no date gets `error-invalid-date`
//! with a message of ours; a body that is not a JSON object is a `Match error` of ours.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::json;

use super::RC;
use crate::app::App;
use crate::body::{self, Object};
use crate::clock::parse_from;
use crate::identity;
use crate::people::Availability;
use crate::reply::{error, Reply};
use crate::world::World;

/// The route.
pub fn routes() -> Router<App> {
    Router::new().route("/rocketchat/api/v1/users.setStatus", post(set_status))
}

/// The four statuses a user may set, and the state each is.
const STATUSES: [(&str, Availability); 4] = [
    ("online", Availability::Available),
    ("busy", Availability::Busy),
    ("away", Availability::Away),
    ("offline", Availability::Offline),
];

/// A `Match error` as Meteor's `check` words it (no `errorType`).
fn match_error(detail: &str) -> Reply {
    error(RC, 400, "", &format!("Match error: {detail}"))
}

/// What a valid body asks for.
struct Wanted<'a> {
    message: Option<&'a str>,
    status: Option<Availability>,
    user_id: Option<&'a str>,
    username: Option<&'a str>,
}

fn read(object: &Object, now: u64) -> Result<Wanted<'_>, Reply> {
    let text = |name: &str| {
        body::string(object.get(name), name).map_err(|_| {
            match_error(&format!(
                "Expected string, got {} in field {name}",
                object.get(name).map_or("undefined", |v| body::kind(v)
                    .trim_start_matches("an ")
                    .trim_start_matches("a "))
            ))
        })
    };
    let message = text("message")?;
    let status = text("status")?;
    let expires = text("expiresAt")?;
    let user_id = text("userId")?.filter(|s| !s.is_empty());
    let username = text("username")?.filter(|s| !s.is_empty());
    if message.is_none() && status.is_none() {
        return Err(match_error(
            "Failed Match.OneOf, Match.Maybe or Match.Optional validation",
        ));
    }
    let status = match status {
        None => None,
        Some(s) => Some(
            STATUSES
                .iter()
                .find(|(name, _)| *name == s)
                .map(|(_, state)| *state)
                .ok_or_else(|| {
                    error(
                        RC,
                        400,
                        "error-invalid-status",
                        "Valid status types include online, away, offline, and busy. [error-invalid-status]",
                    )
                })?,
        ),
    };
    if let Some(expires) = expires {
        let Some(when) = parse_from(expires) else {
            return Err(error(
                RC,
                400,
                "error-invalid-date",
                "expiresAt must be a valid ISO 8601 date [error-invalid-date]",
            ));
        };
        if when <= now {
            return Err(error(
                RC,
                400,
                "error-invalid-date",
                "expiresAt must be a future date [error-invalid-date]",
            ));
        }
    }
    Ok(Wanted {
        message,
        status,
        user_id,
        username,
    })
}

/// The id of the person to change, or the answer refusing it.
fn target(world: &World, wanted: &Wanted<'_>, headers: &HeaderMap) -> Result<String, Reply> {
    let caller = identity::caller(world, RC, headers);
    let me = caller
        .id
        .as_deref()
        .and_then(|id| world.people(RC).and_then(|p| p.get(id)));
    let is_me = match (wanted.user_id, wanted.username) {
        (None, None) => true,
        (Some(id), _) => me.is_some_and(|m| m.id == id),
        (None, Some(name)) => me.is_some_and(|m| m.username == name),
    };
    if is_me {
        return caller
            .id
            .ok_or_else(|| error(RC, 400, "error-invalid-user", "Invalid user"));
    }
    if !caller.others {
        return Err(error(RC, 403, "", "unauthorized"));
    }
    let people = world.people(RC);
    let found = match (wanted.user_id, wanted.username) {
        (Some(id), _) => people.and_then(|p| p.get(id)),
        (None, Some(name)) => people.and_then(|p| p.people.iter().find(|x| x.username == name)),
        (None, None) => None,
    };
    found.map(|p| p.id.clone()).ok_or_else(|| {
        error(
            RC,
            400,
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users [error-invalid-user]",
        )
    })
}

async fn set_status(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    app.api_mut(RC, "users.setStatus", &headers, |world, now| {
        let object = match body::object(&body) {
            Ok(o) => o,
            Err(why) => return match_error(&why),
        };
        let wanted = match read(&object, now) {
            Ok(w) => w,
            Err(reply) => return reply,
        };
        let id = match target(world, &wanted, &headers) {
            Ok(id) => id,
            Err(reply) => return reply.counting(1),
        };
        let Some(person) = world.people(RC).and_then(|p| p.get(&id)) else {
            return error(RC, 400, "error-invalid-user", "Invalid user").counting(1);
        };
        let (availability, activity) = match wanted.status {
            Some(state) => (state, None),
            None => (person.availability, person.activity),
        };
        let message = wanted
            .message
            .map_or_else(|| person.message.clone(), |m| Some(m.to_owned()));
        world.change(RC, &id, availability, activity, message, now);
        Reply::value(200, &json!({ "success": true })).counting(1)
    })
    .await
}
