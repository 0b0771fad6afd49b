//! SuperOffice under `/superoffice/api/v1`: `POST Agents/User/GetUserPresenceStatus` with
//! `{"AssociateId": n}`, one associate per call, answering `UserPresenceStatus`
//! `{"Status": <EjUserStatus name>, "Message": …}`; `$select` nulls the fields not named.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::people::{Availability, Person, Provider};
use crate::reply::{error, Reply};

const SO: Provider = Provider::SuperOffice;

/// The routes.
pub fn routes() -> Router<App> {
    Router::new().route(
        "/superoffice/api/v1/Agents/User/GetUserPresenceStatus",
        post(get_status),
    )
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

async fn get_status(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    app.api(SO, "GetUserPresenceStatus", &headers, move |world, _| {
        let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        // .NET model binding reads property names in any case.
        let associate = request.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("AssociateId"))
                .and_then(|(_, v)| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        });
        let Some(associate) = associate else {
            return error(SO, 400, "ArgumentException", "The request must be {\"AssociateId\": <integer>}.");
        };
        let Some(person) = world.people(SO).and_then(|p| p.get(&associate.to_string())) else {
            return error(SO, 404, "SoNotFoundException", &format!("Associate {associate} was not found.")).counting(1);
        };
        let mut answer = json!({ "Status": status(person), "Message": person.message.clone().unwrap_or_default() });
        let select: Vec<String> = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .filter(|(k, _)| k == "$select")
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_ascii_lowercase()).collect::<Vec<_>>())
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
        Reply::value(200, &answer).counting(1)
    })
    .await
}
