//! Genesys Cloud under `/genesys/api/v2`: user presences per source (one by one, and in bulk of
//! at most 50), presence definitions (the unpaged listing and the deprecated paged one), system
//! presences, presence sources and primary sources; the writes of presences are in [`writes`].

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::app::App;
use crate::clock::iso;
use crate::people::{Activity, Availability, Person, Provider};
use crate::query::values;
use crate::reply::{error, set, Reply};
use crate::world::{Definition, World};

pub mod writes;

const GC: Provider = Provider::Genesys;

/// The most ids one bulk request takes.
pub const BATCH_LIMIT: usize = 50;

/// The sources the organisation has registered beside `purecloud`.
const SOURCES: [(&str, &str, &str, &str); 3] = [
    (
        "microsoftteams",
        "Microsoft Teams",
        "Presence from Microsoft Teams",
        "System",
    ),
    (
        "zoomphone",
        "Zoom Phone",
        "Presence from Zoom Phone",
        "System",
    ),
    (
        "3b2e7f5c-8d1a-4c6e-9f0b-2a4d6c8e0f12",
        "Front desk badge reader",
        "Presence from the badge reader",
        "User",
    ),
];

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/genesys/api/v2/users/presences/{source}/bulk", get(bulk))
        .route(
            "/genesys/api/v2/users/{user}/presences/{source}",
            get(user_presence),
        )
        .route("/genesys/api/v2/presence/definitions", get(definitions))
        .route("/genesys/api/v2/presence/definitions/{id}", get(definition))
        .route(
            "/genesys/api/v2/presencedefinitions",
            get(definitions_paged),
        )
        .route(
            "/genesys/api/v2/presencedefinitions/{id}",
            get(definition_deprecated),
        )
        .route("/genesys/api/v2/systempresences", get(system_presences))
        .route("/genesys/api/v2/presence/sources", get(sources))
        .route("/genesys/api/v2/presence/sources/{id}", get(source))
        .route(
            "/genesys/api/v2/presence/users/{user}/primarysource",
            get(primary_source),
        )
        .merge(writes::routes())
}

/// The first value of `name`, as a list member (`a,b` gives `a`).
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    values(query, name).into_iter().next()
}

/// The definition a person's state shows as: the one a write chose, while the person has not
/// changed since ([`crate::world::Written::genesys_chosen`]), or else the one their state reads as.
pub fn definition_of<'a>(world: &'a World, person: &Person) -> Option<&'a Definition> {
    use Activity as A;
    use Availability as V;
    let chosen = world
        .written
        .genesys_chosen
        .get(&person.id)
        .filter(|(_, sequence)| *sequence == person.sequence)
        .and_then(|(id, _)| world.definitions.iter().find(|d| &d.id == id));
    if chosen.is_some() {
        return chosen;
    }
    let name = match (person.availability, person.activity) {
        (V::Available, _) => "Available",
        (V::Busy, Some(A::InAMeeting)) => "Meeting",
        (V::Busy, Some(A::Training)) => "Training",
        (V::Busy, Some(A::OnQueue)) => "On Queue",
        (V::Busy, _) => "Busy",
        (V::DoNotDisturb, _) => "Focus time",
        (V::BeRightBack, _) | (V::Away, Some(A::Break)) => "Break",
        (V::Away, Some(A::Meal)) => "Lunch",
        (V::Away, Some(A::Idle)) => "Idle",
        (V::Away, Some(A::OutOfOffice)) => "Out of Office",
        (V::Away, _) => "Away",
        (V::Offline | V::Unknown, _) => "Offline",
    };
    world.definitions.iter().find(|d| d.name == name)
}

fn known_source(source: &str) -> bool {
    source.eq_ignore_ascii_case("purecloud") || SOURCES.iter().any(|(id, ..)| *id == source)
}

/// The 404 for a presence source the organisation does not have.
fn unknown_source(source: &str) -> Reply {
    error(
        GC,
        404,
        "not.found",
        &format!("The presence source {source} was not found."),
    )
}

/// `UserPresence` (one user) or `UcUserPresence` (bulk, with `userId` and without `primary`).
fn user_presence_body(world: &World, person: &Person, source: &str, bulk: bool) -> Value {
    let definition = definition_of(world, person);
    let source_id = if source.eq_ignore_ascii_case("purecloud") {
        "PURECLOUD"
    } else {
        source
    };
    let mut body = json!({
        "id": source_id,
        "name": source_id,
        "source": source_id,
        "sourceId": source_id,
        "presenceDefinition": {
            "id": definition.map(|d| d.id.as_str()),
            "systemPresence": definition.map(|d| d.system_presence),
            "selfUri": definition.map(|d| format!("/api/v2/presencedefinitions/{}", d.id)),
        },
        "message": person.message.clone().unwrap_or_default(),
        "modifiedDate": iso(person.updated_ms),
        "selfUri": format!("/api/v2/users/{}/presences/{}", person.id, source.to_ascii_lowercase()),
    });
    if bulk {
        set(&mut body, "userId", json!(person.id));
    } else {
        set(
            &mut body,
            "primary",
            json!(source_id == primary_of(person).0),
        );
    }
    body
}

/// One person in five has Microsoft Teams as primary source; the others Genesys Cloud.
pub fn primary_of(person: &Person) -> (&'static str, &'static str) {
    let last = person.id.bytes().last().unwrap_or(b'0');
    if last.is_multiple_of(5) {
        ("microsoftteams", "Microsoft Teams")
    } else {
        ("PURECLOUD", "Genesys Cloud")
    }
}

async fn bulk(
    State(app): State<App>,
    Path(source): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "users/presences/bulk", &headers, move |world, _| {
        let ids = values(query.as_deref(), "id");
        if !known_source(&source) {
            return unknown_source(&source).counting(ids.len());
        }
        if ids.is_empty() {
            return error(
                GC,
                400,
                "bad.request",
                "At least one user id is required in `id`.",
            );
        }
        if ids.len() > BATCH_LIMIT {
            return error(
                GC,
                400,
                "bad.request",
                &format!(
                    "Too many user ids: {} given, the limit is {BATCH_LIMIT}",
                    ids.len()
                ),
            )
            .counting(ids.len());
        }
        let Some(people) = world.people(GC) else {
            return Reply::value(200, &json!([]));
        };
        let list: Vec<Value> = ids
            .iter()
            .filter_map(|id| people.get(id))
            .map(|p| user_presence_body(world, p, &source, true))
            .collect();
        Reply::value(200, &Value::Array(list)).counting(ids.len())
    })
    .await
}

async fn user_presence(
    State(app): State<App>,
    Path((user, source)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "users/presences", &headers, move |world, _| {
        if !known_source(&source) {
            return unknown_source(&source).counting(1);
        }
        match world.people(GC).and_then(|p| p.get(&user)) {
            Some(person) => {
                Reply::value(200, &user_presence_body(world, person, &source, false)).counting(1)
            }
            None => error(
                GC,
                404,
                "not.found",
                "The requested user could not be found.",
            )
            .counting(1),
        }
    })
    .await
}

fn labels(definition: &Definition, locale: Option<&str>) -> Value {
    let wanted = |code: &str| match locale {
        None => true,
        Some(l) if l.eq_ignore_ascii_case("ALL") => true,
        Some(l) => l.eq_ignore_ascii_case(code),
    };
    let mut map = serde_json::Map::new();
    for (code, label) in &definition.labels {
        if wanted(code) {
            map.insert((*code).to_owned(), json!(label));
        }
    }
    if map.is_empty() {
        // Labels are required: fall back to the organisation's default language.
        if let Some((code, label)) = definition.labels.first() {
            map.insert((*code).to_owned(), json!(label));
        }
    }
    Value::Object(map)
}

/// `OrganizationPresenceDefinition` (new API): has `type` and `divisionId`, no `primary`.
fn definition_new(d: &Definition, locale: Option<&str>) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "type": d.kind,
        "languageLabels": labels(d, locale),
        "systemPresence": d.system_presence,
        "divisionId": "*",
        "deactivated": d.deactivated,
        "selfUri": format!("/api/v2/presence/definitions/{}", d.id),
    })
}

/// `OrganizationPresence` (deprecated API): has `primary` and audit fields, no `type`.
fn definition_old(d: &Definition, locale: Option<&str>) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "languageLabels": labels(d, locale),
        "systemPresence": d.system_presence,
        "deactivated": d.deactivated,
        "primary": d.primary,
        "createdDate": "2016-01-01T00:00:00.000Z",
        "modifiedDate": "2024-06-01T00:00:00.000Z",
        "selfUri": format!("/api/v2/presencedefinitions/{}", d.id),
    })
}

async fn definitions(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "presence/definitions", &headers, move |world, _| {
        let q = query.as_deref();
        let locale = query_value(q, "localeCode");
        let deactivated = query_value(q, "deactivated").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let entities: Vec<Value> = world
            .definitions
            .iter()
            .filter(|d| d.deactivated == deactivated)
            .map(|d| definition_new(d, locale.as_deref()))
            .collect();
        Reply::value(
            200,
            &json!({ "total": entities.len(), "entities": entities, "selfUri": "/api/v2/presence/definitions" }),
        )
    })
    .await
}

/// One definition by id, in the new or the deprecated form.
fn definition_by_id(
    world: &World,
    id: &str,
    query: Option<&str>,
    render: fn(&Definition, Option<&str>) -> Value,
) -> Reply {
    let locale = query_value(query, "localeCode");
    match world.definitions.iter().find(|d| d.id == id) {
        Some(d) => Reply::value(200, &render(d, locale.as_deref())),
        None => error(
            GC,
            404,
            "not.found",
            "The presence definition was not found.",
        ),
    }
}

async fn definition(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(
        GC,
        "presence/definitions/{id}",
        &headers,
        move |world, _| definition_by_id(world, &id, query.as_deref(), definition_new),
    )
    .await
}

async fn definitions_paged(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "presencedefinitions", &headers, move |world, _| {
        let q = query.as_deref();
        let number = |name: &str, default: usize| {
            query_value(q, name)
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let page_number = number("pageNumber", 1);
        let page_size = number("pageSize", 25).min(100);
        let locale = query_value(q, "localeCode");
        let deleted = query_value(q, "deleted")
            .unwrap_or_else(|| "FALSE".into())
            .to_ascii_uppercase();
        let all: Vec<&Definition> = world
            .definitions
            .iter()
            .filter(|d| match deleted.as_str() {
                "ALL" => true,
                "TRUE" => d.deactivated,
                _ => !d.deactivated,
            })
            .collect();
        let total = all.len();
        let page_count = total.div_ceil(page_size).max(1);
        let entities: Vec<Value> = all
            .iter()
            .skip((page_number - 1).saturating_mul(page_size))
            .take(page_size)
            .map(|d| definition_old(d, locale.as_deref()))
            .collect();
        let uri =
            |n: usize| format!("/api/v2/presencedefinitions?pageSize={page_size}&pageNumber={n}");
        let mut body = json!({
            "entities": entities,
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "firstUri": uri(1),
            "lastUri": uri(page_count),
            "selfUri": uri(page_number),
            "pageCount": page_count,
        });
        if page_number < page_count {
            set(&mut body, "nextUri", json!(uri(page_number + 1)));
        }
        if page_number > 1 {
            set(&mut body, "previousUri", json!(uri(page_number - 1)));
        }
        Reply::value(200, &body)
    })
    .await
}

async fn definition_deprecated(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "presencedefinitions/{id}", &headers, move |world, _| {
        definition_by_id(world, &id, query.as_deref(), definition_old)
    })
    .await
}

async fn system_presences(State(app): State<App>, headers: HeaderMap) -> Response {
    app.api(GC, "systempresences", &headers, |world, _| {
        let list: Vec<Value> = world
            .definitions
            .iter()
            .filter(|d| d.kind == "System")
            .map(|d| {
                let id = d.system_presence.to_ascii_uppercase().replace(' ', "_");
                json!({ "id": id, "name": d.system_presence, "selfUri": format!("/api/v2/systempresences/{id}") })
            })
            .collect();
        Reply::value(200, &Value::Array(list))
    })
    .await
}

fn source_body(id: &str, name: &str, description: &str, kind: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "description": description,
        "type": kind,
        "deactivated": false,
        "selfUri": format!("/api/v2/presence/sources/{id}"),
    })
}

async fn sources(State(app): State<App>, headers: HeaderMap) -> Response {
    app.api(GC, "presence/sources", &headers, |_, _| {
        let entities: Vec<Value> = SOURCES.iter().map(|(id, name, desc, kind)| source_body(id, name, desc, kind)).collect();
        Reply::value(
            200,
            &json!({ "total": entities.len(), "entities": entities, "selfUri": "/api/v2/presence/sources" }),
        )
    })
    .await
}

async fn source(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    app.api(
        GC,
        "presence/sources/{id}",
        &headers,
        move |_, _| match SOURCES.iter().find(|(sid, ..)| *sid == id) {
            Some((sid, name, desc, kind)) => Reply::value(200, &source_body(sid, name, desc, kind)),
            None => error(GC, 404, "not.found", "The presence source was not found."),
        },
    )
    .await
}

async fn primary_source(
    State(app): State<App>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    app.api(GC, "primarysource", &headers, move |world, _| {
        match world.people(GC).and_then(|p| p.get(&user)) {
            Some(person) => {
                let (source_id, name) = primary_of(person);
                Reply::value(
                    200,
                    &json!({
                        "id": person.id,
                        "name": name,
                        "sourceId": source_id,
                        "registered": source_id != "PURECLOUD",
                        "selfUri": format!("/api/v2/presence/users/{}/primarysource", person.id),
                    }),
                )
                .counting(1)
            }
            None => error(
                GC,
                404,
                "not.found",
                "The requested user could not be found.",
            )
            .counting(1),
        }
    })
    .await
}
