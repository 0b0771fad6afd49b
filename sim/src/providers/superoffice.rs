//! SuperOffice under `/superoffice/api/v1`: `POST Agents/User/GetUserPresenceStatus` with
//! `{"AssociateId": n}`, one associate per call, answering `UserPresenceStatus`
//! `{"Status": <EjUserStatus name>, "Message": …}`; `$select` nulls the fields not named. The write
//! `SetUserPresenceStatus` is in [`writes`].

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::body::{self, Object};
use crate::people::{Availability, Person, Provider};
use crate::reply::{error, Reply};

pub mod writes;

const SO: Provider = Provider::SuperOffice;

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/superoffice/api/v1/Agents/User/GetUserPresenceStatus",
            post(get_status),
        )
        .merge(writes::routes())
}

/// The `EjUserStatus` name for a person: present is StatusNormal, absent StatusNotAvailable.
pub fn status(person: &Person) -> &'static str {
    match person.availability {
        Availability::Available => "StatusNormal",
        Availability::Busy
        | Availability::DoNotDisturb
        | Availability::BeRightBack
        | Availability::Away => "StatusNotAvailable",
        Availability::Offline => "StatusDeleted",
        Availability::Unknown => "StatusNone",
    }
}

/// The associate a body names (`AssociateId`, a whole number or its text, in any case).
fn associate(request: &Object) -> Option<i64> {
    body::any_case(request, "AssociateId").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

/// `UserPresenceStatus` of a person; `$select` nulls the fields it does not name.
fn answer(person: &Person, query: Option<&str>) -> Value {
    let mut answer =
        json!({ "Status": status(person), "Message": person.message.clone().unwrap_or_default() });
    let select: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "$select")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    if !select.is_empty() {
        if let Some(fields) = answer.as_object_mut() {
            for (name, value) in fields.iter_mut() {
                if !select.contains(&name.to_ascii_lowercase()) {
                    *value = Value::Null;
                }
            }
        }
    }
    answer
}

fn no_associate() -> Reply {
    error(
        SO,
        400,
        "ArgumentException",
        "The request must be {\"AssociateId\": <integer>}.",
    )
}

fn not_found(associate: i64) -> Reply {
    error(
        SO,
        404,
        "SoNotFoundException",
        &format!("Associate {associate} was not found."),
    )
    .counting(1)
}

async fn get_status(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    app.api(SO, "GetUserPresenceStatus", &headers, move |world, _| {
        // .NET model binding reads property names in any case.
        let Some(associate) = body::object(&body).ok().as_ref().and_then(associate) else {
            return no_associate();
        };
        match world.people(SO).and_then(|p| p.get(&associate.to_string())) {
            Some(person) => Reply::value(200, &answer(person, query.as_deref())).counting(1),
            None => not_found(associate),
        }
    })
    .await
}
