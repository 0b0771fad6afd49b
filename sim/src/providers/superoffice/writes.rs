//! SuperOffice's write of a presence status, under `/superoffice/api/v1` as the read:
//! `POST Agents/User/SetUserPresenceStatus` `{"AssociateId": <int>, "UserPresenceStatus":
//! {"Status": <EjUserStatus>, "Message": <string>}}` (property names in any case, as .NET binds
//! them; `Status` by name or by number); answers the `UserPresenceStatus` as it now is, with
//! `$select` as the read. Counted as `SetUserPresenceStatus`.
//!
//! The document: the carrier manages "present/absent status for a Service user account
//! (influences ticket assignments)", `Message` is the "comment to add for user when status is not
//! present", and `EjUserStatus` is StatusNone 0, StatusNormal 1, StatusNotAvailable 2,
//! StatusDeleted 3, StatusReadOnly 4, StatusSpm 5, StatusSystem 127. So the simulator takes
//! the two that are present and absent: StatusNormal (available) and StatusNotAvailable (away,
//! or the not-present state the person already has). The other five are the account's own
//! state (deleted, read-only, system), not a presence: a status picker must not delete or lock an
//! account, and the document does not say what setting them here does, so the simulator refuses
//! them with 400 rather than guess.
//!
//! The simulator's own choices, which the document does not give (it documents only "200 OK"):
//! - Error bodies are the simulator's SuperOffice shape: 400 `ArgumentException` naming the
//!   field (a missing `AssociateId`, a missing or null `UserPresenceStatus` — the generated
//!   sample sends null, which says nothing to set —, an unknown or refused `Status`), 404
//!   `SoNotFoundException` for an unknown associate.
//! - Writing another associate needs administrator rights (user management), granted to a
//!   credential by `/_sim/writers`; else 403 `SoAccessDeniedException`. The caller is the
//!   associate its credential acts as (`crate::identity`).
//! - `Message` is stored as given with either status (none when absent, null or empty), since
//!   the carrier is set whole.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use super::{answer, associate, no_associate, not_found, status, SO};
use crate::app::App;
use crate::body::{self, Object};
use crate::identity;
use crate::people::Availability;
use crate::reply::{error, Reply};

/// The route.
pub fn routes() -> Router<App> {
    Router::new().route(
        "/superoffice/api/v1/Agents/User/SetUserPresenceStatus",
        post(set_status),
    )
}

/// `EjUserStatus`: every name and value, and whether it is a presence the simulator sets.
const STATUSES: [(&str, i64, bool); 7] = [
    ("StatusNone", 0, false),
    ("StatusNormal", 1, true),
    ("StatusNotAvailable", 2, true),
    ("StatusDeleted", 3, false),
    ("StatusReadOnly", 4, false),
    ("StatusSpm", 5, false),
    ("StatusSystem", 127, false),
];

fn bad(message: &str) -> Reply {
    error(SO, 400, "ArgumentException", message)
}

/// What a valid body asks for: present or not, and the comment.
struct Wanted {
    present: bool,
    message: Option<String>,
}

fn read(request: &Object) -> Result<Wanted, String> {
    let carrier = body::object_field(
        body::any_case(request, "UserPresenceStatus"),
        "UserPresenceStatus",
    )?
    .ok_or("UserPresenceStatus is required: {\"Status\": \"StatusNormal\" | \"StatusNotAvailable\", \"Message\": \"…\"}.")?;
    let given = body::any_case(carrier, "Status");
    let found = match given {
        None | Some(Value::Null) => return Err("UserPresenceStatus.Status is required.".to_owned()),
        Some(Value::String(name)) => STATUSES.iter().find(|(n, value, _)| {
            n.eq_ignore_ascii_case(name.trim()) || name.trim() == value.to_string()
        }),
        Some(Value::Number(n)) => STATUSES
            .iter()
            .find(|(_, value, _)| n.as_i64() == Some(*value)),
        Some(other) => {
            return Err(format!(
                "UserPresenceStatus.Status must be an EjUserStatus name, not {}.",
                body::kind(other)
            ))
        }
    };
    let Some((name, _, settable)) = found else {
        return Err("UserPresenceStatus.Status is not an EjUserStatus value.".to_owned());
    };
    if !settable {
        return Err(format!(
            "UserPresenceStatus.Status {name} changes the user account, not its presence: the simulator sets StatusNormal or StatusNotAvailable."
        ));
    }
    let message = body::string(
        body::any_case(carrier, "Message"),
        "UserPresenceStatus.Message",
    )?
    .map(str::to_owned);
    Ok(Wanted {
        present: *name == "StatusNormal",
        message,
    })
}

async fn set_status(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    app.api_mut(SO, "SetUserPresenceStatus", &headers, |world, now| {
        let request = match body::object(&body) {
            Ok(r) => r,
            Err(why) => return bad(&why),
        };
        let Some(associate) = associate(&request) else {
            return no_associate();
        };
        let id = associate.to_string();
        if !identity::caller(world, SO, &headers).may_write(&id) {
            return error(
                SO,
                403,
                "SoAccessDeniedException",
                "Only an administrator may set another user's presence status.",
            )
            .counting(1);
        }
        let wanted = match read(&request) {
            Ok(w) => w,
            Err(message) => return bad(&message).counting(1),
        };
        let Some(person) = world.people(SO).and_then(|p| p.get(&id)) else {
            return not_found(associate);
        };
        let (availability, activity) = if wanted.present {
            (Availability::Available, None)
        } else if status(person) == "StatusNotAvailable" {
            (person.availability, person.activity)
        } else {
            (Availability::Away, None)
        };
        match world.change(SO, &id, availability, activity, wanted.message, now) {
            Some(person) => Reply::value(200, &answer(person, query.as_deref())).counting(1),
            None => not_found(associate),
        }
    })
    .await
}
