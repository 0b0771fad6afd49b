//! Microsoft Graph's writes of one's own presence, under `/graph/v1.0` and `/graph/beta`, each
//! bound to a user's presence (`/users/{id}/presence/…`) and, as the metadata binds every presence
//! action, to the signed-in user's (`/me/presence/…`):
//!
//! - `POST …/setUserPreferredPresence` `{"availability", "activity", "expirationDuration"?}`: only
//!   the six documented pairs (Available/Available, Busy/Busy, DoNotDisturb/DoNotDisturb,
//!   BeRightBack/BeRightBack, Away/Away, Offline/OffWork); `200 OK` with no body.
//! - `POST …/clearUserPreferredPresence` (no body): back to the availability and activity from
//!   before the preferred presence; `200 OK` with no body.
//! - `POST …/setStatusMessage` `{"statusMessage": {"message": {"content", "contentType"?},
//!   "expiryDateTime"?: {"dateTime", "timeZone"}}}`: only `contentType` `text` is supported;
//!   `200 OK` with no body.
//!
//! Who may write whom follows `crate::identity`: a delegated token (`Presence.ReadWrite`) writes
//! only its own user; one granted by `/_sim/writers` stands for an application's
//! `Presence.ReadWrite.All`. Each action is counted under its own name in `/_sim/stats`.
//!
//! What the documents leave out, and the simulator does its own way:
//! - The error bodies of these actions are not published: a bad body is 400 `BadRequest`
//!   (the code the simulator's reads use) with a message naming the field, a write of someone
//!   else without the permission is 403 `accessDenied` (a code Graph's error page lists), an
//!   unknown user 404 `itemNotFound`, an action the simulator does not serve (`setPresence`,
//!   `clearPresence`, the work-location actions) 400 "Resource not found for the segment".
//! - Preferred presence "takes effect only when at least one presence session exists"; the
//!   simulator has no sessions, so it always takes effect.
//! - Expiries (`expirationDuration`, the documented defaults of one and seven days, a status
//!   message's `expiryDateTime`) are checked and not enforced: the state stays until changed.
//! - clearUserPreferredPresence goes back to the state saved by the first
//!   setUserPreferredPresence since the last clear, even when the walk or the control surface
//!   changed the person meanwhile; without a preferred presence it changes nothing.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use super::{no_version, version_ok, G};
use crate::app::App;
use crate::body::{self, Object};
use crate::clock::{parse_duration, parse_from};
use crate::identity::{self, header_text};
use crate::people::Availability;
use crate::reply::{error, Reply};
use crate::world::World;

/// The routes, for both versions and both forms.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/graph/{version}/users/{id}/presence/{action}", post(user))
        .route("/graph/{version}/me/presence/{action}", post(me))
}

/// The three actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    SetPreferred,
    ClearPreferred,
    SetStatusMessage,
}

impl Action {
    /// The action a path segment names, in any case as Graph's segments are.
    fn named(segment: &str) -> Option<Self> {
        [
            Self::SetPreferred,
            Self::ClearPreferred,
            Self::SetStatusMessage,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(segment))
    }

    /// Its name, in the path and in the stats.
    fn name(self) -> &'static str {
        match self {
            Self::SetPreferred => "setUserPreferredPresence",
            Self::ClearPreferred => "clearUserPreferredPresence",
            Self::SetStatusMessage => "setStatusMessage",
        }
    }
}

async fn user(
    State(app): State<App>,
    Path((version, id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    write(app, version, Some(id), action, headers, body).await
}

async fn me(
    State(app): State<App>,
    Path((version, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    write(app, version, None, action, headers, body).await
}

/// What a valid body asks for.
enum Change {
    Preferred(Availability),
    Clear,
    Message(String),
}

async fn write(
    app: App,
    version: String,
    target: Option<String>,
    segment: String,
    headers: HeaderMap,
    body: String,
) -> Response {
    let action = Action::named(&segment);
    let endpoint = action.map_or("presence/unknown action", Action::name);
    let json_type = header_text(&headers, "content-type")
        .to_ascii_lowercase()
        .contains("application/json");
    app.api_mut(G, endpoint, &headers, |world, now| {
        if !version_ok(&version) {
            return no_version(&version);
        }
        let Some(action) = action else {
            return error(
                G,
                400,
                "BadRequest",
                &format!("Resource not found for the segment '{segment}'."),
            );
        };
        // clearUserPreferredPresence takes no body, so no Content-Type either.
        if action != Action::ClearPreferred && !json_type {
            return error(
                G,
                415,
                "UnsupportedMediaType",
                "Content-Type must be application/json.",
            );
        }
        let caller = identity::caller(world, G, &headers);
        let Some(target) = target.or(caller.id.clone()) else {
            return error(G, 404, "itemNotFound", "The signed-in user was not found.");
        };
        if !caller.may_write(&target) {
            return error(
                G,
                403,
                "accessDenied",
                "Insufficient privileges to complete the operation: writing another user's presence needs Presence.ReadWrite.All.",
            )
            .counting(1);
        }
        let change = match action {
            Action::SetPreferred => body::object(&body).and_then(|o| preferred(&o)),
            Action::ClearPreferred => Ok(Change::Clear),
            Action::SetStatusMessage => body::object(&body).and_then(|o| status_message(&o)),
        };
        let change = match change {
            Ok(c) => c,
            Err(message) => return error(G, 400, "BadRequest", &message).counting(1),
        };
        match apply(world, &target, change, now) {
            Some(()) => Reply::empty(200).counting(1),
            None => error(
                G,
                404,
                "itemNotFound",
                &format!("User '{target}' was not found."),
            )
            .counting(1),
        }
    })
    .await
}

/// The six pairs setUserPreferredPresence supports, and the state each is.
const PAIRS: [(&str, &str, Availability); 6] = [
    ("Available", "Available", Availability::Available),
    ("Busy", "Busy", Availability::Busy),
    ("DoNotDisturb", "DoNotDisturb", Availability::DoNotDisturb),
    ("BeRightBack", "BeRightBack", Availability::BeRightBack),
    ("Away", "Away", Availability::Away),
    ("Offline", "OffWork", Availability::Offline),
];

fn required<'a>(object: &'a Object, name: &str) -> Result<&'a str, String> {
    body::string(object.get(name), name)?.ok_or_else(|| format!("{name} is required."))
}

/// setUserPreferredPresence's body.
fn preferred(object: &Object) -> Result<Change, String> {
    let availability = required(object, "availability")?;
    let activity = required(object, "activity")?;
    if let Some(duration) = body::string(object.get("expirationDuration"), "expirationDuration")? {
        if parse_duration(duration).is_none_or(|ms| ms == 0) {
            return Err(format!(
                "expirationDuration must be an ISO 8601 duration longer than zero, such as PT8H, not '{duration}'."
            ));
        }
    }
    PAIRS
        .iter()
        .find(|(a, b, _)| a.eq_ignore_ascii_case(availability) && b.eq_ignore_ascii_case(activity))
        .map(|(_, _, state)| Change::Preferred(*state))
        .ok_or_else(|| {
            format!(
                "availability '{availability}' with activity '{activity}' is not supported: use Available/Available, Busy/Busy, DoNotDisturb/DoNotDisturb, BeRightBack/BeRightBack, Away/Away or Offline/OffWork."
            )
        })
}

/// setStatusMessage's body.
fn status_message(object: &Object) -> Result<Change, String> {
    let status = body::object_field(object.get("statusMessage"), "statusMessage")?
        .ok_or("statusMessage is required.")?;
    let message = body::object_field(status.get("message"), "statusMessage.message")?
        .ok_or("statusMessage.message is required.")?;
    let content = body::string(message.get("content"), "statusMessage.message.content")?
        .ok_or("statusMessage.message.content is required.")?;
    let kind = body::string(
        message.get("contentType"),
        "statusMessage.message.contentType",
    )?;
    if kind.is_some_and(|k| !k.eq_ignore_ascii_case("text")) {
        return Err("statusMessage.message.contentType: only 'text' is supported.".to_owned());
    }
    if let Some(expiry) =
        body::object_field(status.get("expiryDateTime"), "statusMessage.expiryDateTime")?
    {
        let when = body::string(
            expiry.get("dateTime"),
            "statusMessage.expiryDateTime.dateTime",
        )?
        .ok_or("statusMessage.expiryDateTime.dateTime is required.")?;
        if parse_from(when).is_none() {
            return Err(format!(
                "statusMessage.expiryDateTime.dateTime must be an ISO 8601 date and time, not '{when}'."
            ));
        }
        body::string(
            expiry.get("timeZone"),
            "statusMessage.expiryDateTime.timeZone",
        )?
        .filter(|z| !z.trim().is_empty())
        .ok_or("statusMessage.expiryDateTime.timeZone is required.")?;
    }
    Ok(Change::Message(content.to_owned()))
}

/// Makes the change; `None` when there is no such person.
fn apply(world: &mut World, id: &str, change: Change, now: u64) -> Option<()> {
    let person = world.people(G)?.get(id)?;
    let (availability, activity, message) =
        (person.availability, person.activity, person.message.clone());
    match change {
        Change::Preferred(state) => {
            world
                .written
                .graph_before
                .entry(id.to_owned())
                .or_insert((availability, activity));
            world.change(G, id, state, None, message, now)?;
        }
        Change::Clear => {
            if let Some((before, doing)) = world.written.graph_before.remove(id) {
                world.change(G, id, before, doing, message, now)?;
            }
        }
        Change::Message(text) => {
            world.change(G, id, availability, activity, Some(text), now)?;
        }
    }
    Some(())
}
