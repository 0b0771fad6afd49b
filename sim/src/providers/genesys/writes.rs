//! Genesys Cloud's writes of presences, under `/genesys/api/v2` as the reads:
//!
//! - `PATCH /users/{userId}/presences/purecloud` `{"presenceDefinition"?: {"id"}, "message"?,
//!   "primary"?}`, at least one of them ("Option 2: provide the presenceDefinition value. The id is
//!   the only value required … Option 3: provide the message value"); answers the `UserPresence`
//!   of the PURECLOUD source. Counted as `PATCH users/presences`.
//! - `PUT /users/presences/bulk` `[{"id", "presenceDefinition"?: {"id"}, "message"?,
//!   "sourceId"?}, …]` (`List<UserPresence>`; the user's id in `id`, or `userId`), which "requires ANY permissions: presence:userPresence:edit" (403
//!   without); answers the list of `UserPresence`, each with its `userId`. Counted as
//!   `PUT users/presences/bulk`, with one id per entry.
//!
//! A definition is one the organisation has and has not deactivated: the ones
//! `GET /presence/definitions` lists (the setup request), by id. An unknown one is 400
//! `bad.request`, the simulator's Genesys error body. The person then shows exactly that
//! definition (Meal stays Meal, though Lunch is the same state), in reads and on the notification
//! channels, until they change again.
//!
//! The simulator's own choices, which the documents do not give:
//! - The PATCH "requires NO permissions", but someone else's presence is another matter: the
//!   caller (`crate::identity`) may patch their own; someone else's needs
//!   `presence:userPresence:edit` (granted by `/_sim/writers`), else 403.
//! - The 403 body is `missing.any.permissions` naming the permission; the 400 messages name the
//!   field (`[2].presenceDefinition.id` in a bulk body).
//! - Only the PURECLOUD source is written: a PATCH of another known source is 400, an unknown
//!   source 404 as in the reads; a bulk entry naming another `sourceId` (or `source`) is 400.
//! - `primary` is read (a boolean) and not acted on: the simulator's primary source of a person
//!   is fixed by their id.
//! - A bulk entry's `id` is taken as the user's id (the documents do not say whose it is), and
//!   `userId` as well.
//! - A bulk body is checked whole before anything changes; an unknown user id in it is 400; it
//!   has no documented limit and the simulator sets none; an empty list answers `[]`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{patch, put};
use axum::Router;
use serde_json::{json, Value};

use super::{definition_of, known_source, unknown_source, user_presence_body, GC};
use crate::app::App;
use crate::body::{self, Object};
use crate::identity;
use crate::people::{Activity, Availability};
use crate::reply::{error, set, Reply};
use crate::world::{Definition, World};

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/genesys/api/v2/users/{user}/presences/{source}",
            patch(patch_presence),
        )
        .route("/genesys/api/v2/users/presences/bulk", put(bulk))
}

/// The permission that writes other people's presence.
const EDIT: &str = "presence:userPresence:edit";

fn forbidden() -> Reply {
    error(
        GC,
        403,
        "missing.any.permissions",
        &format!("Unable to perform the requested action. You are missing the following permission(s): [{EDIT}]"),
    )
}

fn bad(message: &str) -> Reply {
    error(GC, 400, "bad.request", message)
}

/// The state a definition is, in the simulator's terms.
pub fn state_of(definition: &Definition) -> (Availability, Option<Activity>) {
    use Activity as A;
    use Availability as V;
    match (definition.name, definition.system_presence) {
        ("Focus time", _) => (V::DoNotDisturb, None),
        ("Out of Office", _) => (V::Away, Some(A::OutOfOffice)),
        (_, "Available") => (V::Available, None),
        (_, "Busy") => (V::Busy, None),
        (_, "On Queue") => (V::Busy, Some(A::OnQueue)),
        (_, "Meeting") => (V::Busy, Some(A::InAMeeting)),
        (_, "Training") => (V::Busy, Some(A::Training)),
        (_, "Away") => (V::Away, None),
        (_, "Break") => (V::Away, Some(A::Break)),
        (_, "Meal") => (V::Away, Some(A::Meal)),
        (_, "Idle") => (V::Away, Some(A::Idle)),
        (_, "Offline") => (V::Offline, None),
        _ => (V::Unknown, None),
    }
}

/// One presence to write: the definition's id (checked), the message.
struct Patch {
    definition: Option<String>,
    message: Option<String>,
}

/// Reads one `UserPresence` to write; `at` is its path in the body, for messages.
fn read(world: &World, entry: &Object, at: &str) -> Result<Patch, String> {
    let field = |name: &str| format!("{at}{name}");
    let definition = match body::object_field(
        entry.get("presenceDefinition"),
        &field("presenceDefinition"),
    )? {
        None => None,
        Some(d) => {
            let path = field("presenceDefinition.id");
            let id =
                body::string(d.get("id"), &path)?.ok_or_else(|| format!("{path} is required."))?;
            match world.definitions.iter().find(|d| d.id == id) {
                Some(d) if !d.deactivated => Some(d.id.clone()),
                Some(_) => {
                    return Err(format!(
                        "{path}: the presence definition {id} is deactivated."
                    ))
                }
                None => return Err(format!("{path}: no presence definition has the id {id}.")),
            }
        }
    };
    let message = body::string(entry.get("message"), &field("message"))?.map(str::to_owned);
    let primary = body::boolean(entry.get("primary"), &field("primary"))?;
    if definition.is_none() && message.is_none() && primary.is_none() {
        return Err(format!(
            "{}give presenceDefinition.id, message or primary.",
            match at.trim_end_matches('.') {
                "" => String::new(),
                entry => format!("{entry}: "),
            }
        ));
    }
    Ok(Patch {
        definition,
        message,
    })
}

/// Writes one person's PURECLOUD presence; `None` when there is no such person.
fn apply(world: &mut World, id: &str, patch: Patch, now: u64) -> Option<()> {
    let person = world.people(GC)?.get(id)?;
    if patch.definition.is_none() && patch.message.is_none() {
        // `primary` alone: nothing the simulator keeps changes.
        return Some(());
    }
    let shown = patch
        .definition
        .or_else(|| definition_of(world, person).map(|d| d.id.clone()));
    let (availability, activity) = shown
        .as_deref()
        .and_then(|id| world.definitions.iter().find(|d| d.id == id))
        .map_or((person.availability, person.activity), state_of);
    let message = patch.message.or_else(|| person.message.clone());
    if let Some(shown) = shown {
        // The sequence the change below gives the person: `Person::set` adds one. Recorded
        // first, so that the notification the change sends shows this definition too.
        let sequence = person.sequence.saturating_add(1);
        world
            .written
            .genesys_chosen
            .insert(id.to_owned(), (shown, sequence));
    }
    world.change(GC, id, availability, activity, message, now)?;
    Some(())
}

async fn patch_presence(
    State(app): State<App>,
    Path((user, source)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    app.api_mut(GC, "PATCH users/presences", &headers, |world, now| {
        if !known_source(&source) {
            return unknown_source(&source)
            .counting(1);
        }
        if !source.eq_ignore_ascii_case("purecloud") {
            return bad(&format!(
                "The presence source {source} is read-only here: the simulator writes the purecloud source."
            ))
            .counting(1);
        }
        if !identity::caller(world, GC, &headers).may_write(&user) {
            return forbidden().counting(1);
        }
        let patch = match body::object(&body).and_then(|o| read(world, &o, "")) {
            Ok(p) => p,
            Err(message) => return bad(&message).counting(1),
        };
        if apply(world, &user, patch, now).is_none() {
            return error(
                GC,
                404,
                "not.found",
                "The requested user could not be found.",
            )
            .counting(1);
        }
        match world.people(GC).and_then(|p| p.get(&user)) {
            Some(person) => {
                Reply::value(200, &user_presence_body(world, person, "purecloud", false)).counting(1)
            }
            None => crate::reply::server_error(GC),
        }
    })
    .await
}

/// Reads a bulk body whole: each entry's user id and presence.
fn read_bulk(world: &World, body: &str) -> Result<Vec<(String, Patch)>, String> {
    let entries = match body::json(body)? {
        Value::Array(entries) => entries,
        other => {
            return Err(format!(
                "the request body must be a list of user presences, not {}",
                body::kind(&other)
            ))
        }
    };
    let mut all = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("[{i}].");
        let Value::Object(entry) = entry else {
            return Err(format!(
                "[{i}] must be a user presence, not {}",
                body::kind(entry)
            ));
        };
        // `UserPresence`, the documented body, names its object by `id`; whose id that is the
        // documents do not say, and the simulator takes it as the user's. `userId` (of
        // `UcUserPresence`) is taken as well.
        let name = if entry.contains_key("id") {
            "id"
        } else {
            "userId"
        };
        let path = format!("{at}{name}");
        let user =
            body::string(entry.get(name), &path)?.ok_or_else(|| format!("{at}id is required."))?;
        if world.people(GC).and_then(|p| p.get(user)).is_none() {
            return Err(format!("{path}: no user has the id {user}."));
        }
        for name in ["sourceId", "source"] {
            let path = format!("{at}{name}");
            if let Some(source) = body::string(entry.get(name), &path)? {
                if !source.eq_ignore_ascii_case("purecloud") {
                    return Err(format!(
                        "{path}: the simulator writes the purecloud source, not {source}."
                    ));
                }
            }
        }
        all.push((user.to_owned(), read(world, entry, &at)?));
    }
    Ok(all)
}

async fn bulk(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    app.api_mut(GC, "PUT users/presences/bulk", &headers, |world, now| {
        if !identity::caller(world, GC, &headers).others {
            return forbidden();
        }
        let entries = match read_bulk(world, &body) {
            Ok(e) => e,
            Err(message) => return bad(&message),
        };
        let count = entries.len();
        let mut written = Vec::with_capacity(count);
        for (user, patch) in entries {
            if apply(world, &user, patch, now).is_some() {
                written.push(user);
            }
        }
        let list: Vec<Value> = written
            .iter()
            .filter_map(|id| world.people(GC).and_then(|p| p.get(id)))
            .map(|person| {
                let mut body = user_presence_body(world, person, "purecloud", false);
                set(&mut body, "userId", json!(person.id));
                body
            })
            .collect();
        Reply::value(200, &Value::Array(list)).counting(count)
    })
    .await
}
