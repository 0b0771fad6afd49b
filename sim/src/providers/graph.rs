//! Microsoft Graph under `/graph/v1.0` and `/graph/beta`: `POST /communications/getPresencesByUserId`
//! (at most 650 ids), `GET /users/{id}/presence`, `GET /communications/presences/{id}`,
//! `GET /me/presence`, `GET /users/{id}/photo/$value` (a picture, or 404 `ImageNotFound`); the
//! writes of one's own presence are in [`writes`].

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::identity;
use crate::people::{Activity, Availability, Person, Provider};
use crate::reply::{error, Reply};

/// The most ids one getPresencesByUserId request takes.
pub const BATCH_LIMIT: usize = 650;

pub mod writes;

const G: Provider = Provider::Graph;

/// The routes, for both versions.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/graph/{version}/communications/getPresencesByUserId",
            post(by_user_id),
        )
        .route("/graph/{version}/users/{id}/presence", get(user_presence))
        .route(
            "/graph/{version}/communications/presences/{id}",
            get(communications_presence),
        )
        .route("/graph/{version}/me/presence", get(me_presence))
        .route("/graph/{version}/users/{id}/photo/$value", get(user_photo))
        .merge(writes::routes())
}

fn version_ok(version: &str) -> bool {
    version == "v1.0" || version == "beta"
}

fn no_version(version: &str) -> Reply {
    error(G, 404, "BadRequest", &format!("Invalid version: {version}"))
}

#[derive(Deserialize)]
struct IdsBody {
    ids: Vec<String>,
}

async fn by_user_id(
    State(app): State<App>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"));
    app.api(G, "getPresencesByUserId", &headers, |world, _| {
        if !version_ok(&version) {
            return no_version(&version);
        }
        if !json_type {
            return error(
                G,
                415,
                "UnsupportedMediaType",
                "Content-Type must be application/json.",
            );
        }
        let Ok(request) = serde_json::from_str::<IdsBody>(&body) else {
            return error(
                G,
                400,
                "BadRequest",
                "The request body must be {\"ids\": [\"<user id>\", …]}.",
            );
        };
        let count = request.ids.len();
        if count == 0 {
            return error(
                G,
                400,
                "BadRequest",
                "The ids collection must not be empty.",
            )
            .counting(0);
        }
        if count > BATCH_LIMIT {
            return error(
                G,
                400,
                "BadRequest",
                &format!("The number of ids ({count}) exceeds the maximum of {BATCH_LIMIT}."),
            )
            .counting(count);
        }
        let people = world.people(G);
        let value: Vec<WirePresence<'_>> = request
            .ids
            .iter()
            .map(|id| match people.and_then(|p| p.get(id)) {
                Some(person) => WirePresence::of(person),
                None => WirePresence::unknown(id),
            })
            .collect();
        match serde_json::to_string(&WireCollection { value }) {
            Ok(body) => Reply::json(200, body).counting(count),
            Err(_) => crate::reply::server_error(G),
        }
    })
    .await
}

fn single(world: &crate::world::World, version: &str, id: &str) -> Reply {
    if !version_ok(version) {
        return no_version(version);
    }
    match world.people(G).and_then(|p| p.get(id)) {
        Some(person) => Reply::value(200, &presence(person)).counting(1),
        None => error(
            G,
            404,
            "itemNotFound",
            &format!("User '{id}' was not found."),
        )
        .counting(1),
    }
}

async fn user_presence(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    app.api(G, "users/presence", &headers, |world, _| {
        single(world, &version, &id)
    })
    .await
}

async fn communications_presence(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    app.api(G, "communications/presences", &headers, |world, _| {
        single(world, &version, &id)
    })
    .await
}

/// The signed-in user is the person the token acts as ([`identity::caller`]): the first
/// simulated person unless `/_sim/writers` said otherwise.
async fn me_presence(
    State(app): State<App>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    app.api(G, "me/presence", &headers, |world, _| {
        let me = identity::caller(world, G, &headers).id.unwrap_or_default();
        single(world, &version, &me)
    })
    .await
}

/// `GET /users/{id}/photo/$value`: the person's picture as the image itself; for someone
/// without one (every fourth person, [`Person::photo`]) 404 `ImageNotFound` as Graph answers it,
/// and for an id it does not know 404 `Request_ResourceNotFound`. The sim's pictures are SVG (Graph stores JPEG mostly; a client reads either
/// as an image by its `Content-Type`).
async fn user_photo(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    app.api(G, "users/photo", &headers, |world, _| {
        if !version_ok(&version) {
            return no_version(&version);
        }
        match world.people(G).and_then(|p| p.get(&id)) {
            Some(person) if person.photo => Reply {
                status: 200,
                body: portrait(&person.id),
                content_type: "image/svg+xml",
                headers: Vec::new(),
                ids: 1,
            },
            Some(_) => error(
                G,
                404,
                "ImageNotFound",
                "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' \
                 was thrown.",
            )
            .counting(1),
            None => error(
                G,
                404,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{id}' does not exist or one of its queried reference-property \
                     objects are not present."
                ),
            )
            .counting(1),
        }
    })
    .await
}

/// A head and shoulders on a background of a hue of the id's own, 96 pixels square.
fn portrait(id: &str) -> String {
    let hue = id
        .bytes()
        .fold(7_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"96\" viewBox=\"0 0 96 96\">\
         <rect width=\"96\" height=\"96\" fill=\"hsl({hue} 45% 38%)\"/>\
         <circle cx=\"48\" cy=\"38\" r=\"18\" fill=\"hsl({hue} 35% 82%)\"/>\
         <path d=\"M14 96c2-22 16-32 34-32s32 10 34 32z\" fill=\"hsl({hue} 35% 82%)\"/></svg>"
    )
}

/// `{"value": [presence, …]}`.
#[derive(Serialize)]
struct WireCollection<'a> {
    value: Vec<WirePresence<'a>>,
}

/// `microsoft.graph.presence`: the seven properties of the 2026 metadata, with the status message
/// as another user sees it (no dates).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WirePresence<'a> {
    id: &'a str,
    availability: &'static str,
    activity: &'static str,
    status_message: Option<WireStatusMessage<'a>>,
    out_of_office_settings: WireOutOfOffice<'a>,
    sequence_number: Option<String>,
    work_location: Option<WireWorkLocation>,
}

#[derive(Serialize)]
struct WireStatusMessage<'a> {
    message: WireItemBody<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireItemBody<'a> {
    content: &'a str,
    content_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireOutOfOffice<'a> {
    message: Option<&'a str>,
    is_out_of_office: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireWorkLocation {
    place_id: Option<&'static str>,
    source: &'static str,
    work_location_type: &'static str,
}

impl<'a> WirePresence<'a> {
    fn of(person: &'a Person) -> Self {
        let (availability, activity) = render(person.availability, person.activity);
        let out_of_office = person.activity == Some(Activity::OutOfOffice);
        let text = person.message.as_deref();
        Self {
            id: &person.id,
            availability,
            activity,
            status_message: text
                .filter(|_| !out_of_office)
                .map(|content| WireStatusMessage {
                    message: WireItemBody {
                        content,
                        content_type: "text",
                    },
                }),
            out_of_office_settings: WireOutOfOffice {
                message: text.filter(|_| out_of_office),
                is_out_of_office: out_of_office,
            },
            sequence_number: Some(format!("A{:010}", person.sequence)),
            work_location: Some(WireWorkLocation {
                place_id: None,
                source: "none",
                work_location_type: "unspecified",
            }),
        }
    }

    /// An id nobody has: presence unknown.
    fn unknown(id: &'a str) -> Self {
        Self {
            id,
            availability: "PresenceUnknown",
            activity: "PresenceUnknown",
            status_message: None,
            out_of_office_settings: WireOutOfOffice {
                message: None,
                is_out_of_office: false,
            },
            sequence_number: None,
            work_location: None,
        }
    }
}

/// A person as `microsoft.graph.presence`, for the single reads.
pub fn presence(person: &Person) -> Value {
    serde_json::to_value(WirePresence::of(person)).unwrap_or(Value::Null)
}

/// Graph's availability and activity for the simulator's state.
pub fn render(
    availability: Availability,
    activity: Option<Activity>,
) -> (&'static str, &'static str) {
    use Activity as A;
    use Availability as V;
    match (availability, activity) {
        (V::Available, Some(A::Idle)) => ("AvailableIdle", "Inactive"),
        (V::Available, _) => ("Available", "Available"),
        (V::Busy, Some(A::InAMeeting | A::Training)) => ("Busy", "InAMeeting"),
        (V::Busy, Some(A::InACall | A::OnQueue)) => ("Busy", "InACall"),
        (V::Busy, Some(A::Idle)) => ("BusyIdle", "Busy"),
        (V::Busy, _) => ("Busy", "Busy"),
        (V::DoNotDisturb, Some(A::Presenting)) => ("DoNotDisturb", "Presenting"),
        (V::DoNotDisturb, _) => ("DoNotDisturb", "DoNotDisturb"),
        (V::BeRightBack, _) => ("BeRightBack", "BeRightBack"),
        (V::Away | V::Offline, Some(A::OutOfOffice)) => (
            if availability == V::Away {
                "Away"
            } else {
                "Offline"
            },
            "OutOfOffice",
        ),
        (V::Away, _) => ("Away", "Away"),
        (V::Offline, _) => ("Offline", "OffWork"),
        (V::Unknown, _) => ("PresenceUnknown", "PresenceUnknown"),
    }
}
