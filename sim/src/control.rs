//! The control surface under `/_sim`, for tests and the demo: the people, their presence in the
//! widgets' vocabulary, faults, rate limits, revoked tokens, the push heartbeat, and request and
//! socket counts (token requests too, as `tokenRequests`).
//!
//! `/_sim/writers` says who acts as whom and who may write other people's presence (the
//! convention is in `crate::identity`).
//!
//! Two more control routes live beside what they control: `POST /_sim/oidc/mint` signs a viewer's
//! token as the simulator's OIDC issuer (`crate::oidc`, with its discovery document and JWKS), and
//! `GET`/`PUT /_sim/oauth` shows and changes the client the Entra and Genesys token endpoints
//! accept and how long their tokens last (`crate::oauth`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::clock::now_ms;
use crate::hub::{Out, MAX_HEARTBEAT_MS, MIN_HEARTBEAT_MS};
use crate::people::{Activity, Availability, Person, Provider};
use crate::providers::genesys_notifications;
use crate::push;
use crate::world::{Faults, Limits, Stats};

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/_sim/health", get(|| async { "ok" }))
        .route("/_sim/users", get(users))
        .route("/_sim/users/{provider}/{id}", put(set_user).get(get_user))
        .route(
            "/_sim/faults",
            post(add_faults).get(get_faults).delete(clear_faults),
        )
        .route("/_sim/limits", get(get_limits).put(set_limits))
        .route("/_sim/auth/revoke", post(revoke).delete(unrevoke))
        .route(
            "/_sim/writers",
            get(get_writers).put(set_writer).delete(clear_writers),
        )
        .route("/_sim/push", get(get_push).put(set_push))
        .route("/_sim/stats", get(stats))
        .route("/_sim/stats/reset", post(reset_stats))
        .route("/_sim/site", get(get_site).put(set_site))
}

fn bad(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn provider(name: &str) -> Result<Provider, Box<Response>> {
    Provider::from_name(name).ok_or_else(|| {
        Box::new(bad(
            StatusCode::NOT_FOUND,
            &format!("unknown provider `{name}`: graph, rocketchat, genesys or superoffice"),
        ))
    })
}

#[derive(Deserialize)]
struct ProviderQuery {
    provider: Option<String>,
}

fn view(p: &Person) -> serde_json::Value {
    json!({
        "id": p.id,
        "name": p.name,
        "username": p.username,
        "availability": p.availability,
        "activity": p.activity,
        "message": p.message,
        "updated": crate::clock::iso(p.updated_ms),
        "photo": p.photo,
    })
}

async fn users(State(app): State<App>, Query(q): Query<ProviderQuery>) -> Response {
    let Some(name) = q.provider else {
        return bad(
            StatusCode::BAD_REQUEST,
            "name a provider: /_sim/users?provider=graph",
        );
    };
    let p = match provider(&name) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let world = app.read();
    let list: Vec<_> = world
        .people(p)
        .map(|pop| pop.people.iter().map(view).collect())
        .unwrap_or_default();
    Json(list).into_response()
}

async fn get_user(State(app): State<App>, Path((name, id)): Path<(String, String)>) -> Response {
    let p = match provider(&name) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let world = app.read();
    match world.people(p).and_then(|pop| pop.get(&id)) {
        Some(person) => Json(view(person)).into_response(),
        None => bad(StatusCode::NOT_FOUND, &format!("no {name} user `{id}`")),
    }
}

#[derive(Deserialize)]
struct Change {
    availability: String,
    #[serde(default)]
    activity: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

async fn set_user(
    State(app): State<App>,
    Path((name, id)): Path<(String, String)>,
    body: String,
) -> Response {
    let p = match provider(&name) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let change: Change = match serde_json::from_str(&body) {
        Ok(c) => c,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"availability\", \"message\"?, \"activity\"?}}: {e}"),
            )
        }
    };
    let Some(availability) = Availability::parse(&change.availability) else {
        return bad(
            StatusCode::BAD_REQUEST,
            "availability must be Available, Busy, DoNotDisturb, BeRightBack, Away, Offline or Unknown",
        );
    };
    let activity = match change.activity.as_deref().map(Activity::parse) {
        None => None,
        Some(Some(a)) => Some(a),
        Some(None) => {
            return bad(
                StatusCode::BAD_REQUEST,
                "activity must be InACall, InAMeeting, Presenting, OnQueue, Break, Meal, Training, Idle or OutOfOffice",
            )
        }
    };
    let mut world = app.lock();
    match world.change(p, &id, availability, activity, change.message, now_ms()) {
        Some(person) => Json(view(person)).into_response(),
        None => bad(StatusCode::NOT_FOUND, &format!("no {name} user `{id}`")),
    }
}

#[derive(Deserialize)]
struct FaultRequest {
    provider: String,
    /// Done once, now: every open socket of the provider drops.
    #[serde(default)]
    drop_sockets: bool,
    /// Done once, now: every Genesys socket gets `v2.system.socket_closing`.
    #[serde(default)]
    socket_closing: bool,
    #[serde(flatten)]
    faults: Faults,
}

fn targets(name: &str) -> Result<Vec<Provider>, Box<Response>> {
    if name == "all" {
        Ok(Provider::ALL.to_vec())
    } else {
        provider(name).map(|p| vec![p])
    }
}

async fn add_faults(State(app): State<App>, body: String) -> Response {
    let request: FaultRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"provider\", \"latency_ms\"?, \"http_500\"?, \"http_429\"?, \"truncated\"?, \"non_json\"?, \"drop\"?, \"retry_after_ms\"?, \"no_heartbeats\"?, \"reject_subscriptions\"?, \"presence_broadcast\"?, \"garbage_frames\"?, \"drop_sockets\"?, \"socket_closing\"?}}: {e}"),
            )
        }
    };
    let shares = [
        request.faults.http_500,
        request.faults.http_429,
        request.faults.truncated,
        request.faults.non_json,
        request.faults.drop,
    ];
    if shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
        return bad(StatusCode::BAD_REQUEST, "fault shares are from 0 to 1");
    }
    let targets = match targets(&request.provider) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    // A request that only drops sockets or announces their closing leaves the faults in force.
    let actions_only =
        (request.drop_sockets || request.socket_closing) && request.faults == Faults::default();
    let mut world = app.lock();
    for p in targets {
        if !actions_only {
            world.faults.insert(p, request.faults.clone());
        }
        if request.socket_closing && p == Provider::Genesys {
            genesys_notifications::socket_closing(&world);
        }
        if request.drop_sockets {
            world.push.broadcast(p, &Out::Drop);
        }
    }
    Json(&world.faults).into_response()
}

async fn get_faults(State(app): State<App>) -> Response {
    Json(&app.read().faults).into_response()
}

async fn clear_faults(State(app): State<App>, Query(q): Query<ProviderQuery>) -> Response {
    let targets = match targets(q.provider.as_deref().unwrap_or("all")) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let mut world = app.lock();
    for p in targets {
        world.faults.remove(&p);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn get_limits(State(app): State<App>) -> Response {
    Json(&app.read().limits).into_response()
}

/// Replaces the limits of the providers named; a provider given `null` becomes unlimited.
async fn set_limits(State(app): State<App>, body: String) -> Response {
    let Ok(serde_json::Value::Object(given)) = serde_json::from_str::<serde_json::Value>(&body)
    else {
        return bad(
            StatusCode::BAD_REQUEST,
            "expected {\"rocketchat\": {\"calls\": 10, \"window_ms\": 60000} | null, …}",
        );
    };
    let mut world = app.lock();
    let mut merged = serde_json::to_value(&world.limits).unwrap_or_default();
    for (key, value) in given {
        if Provider::from_name(&key).is_none() {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("unknown provider `{key}`"),
            );
        }
        crate::reply::set(&mut merged, &key, value);
    }
    match serde_json::from_value::<Limits>(merged) {
        Ok(limits) => {
            world.limits = limits;
            world.windows.clear();
            Json(&world.limits).into_response()
        }
        Err(e) => bad(StatusCode::BAD_REQUEST, &format!("bad limit: {e}")),
    }
}

#[derive(Deserialize)]
struct Revoke {
    provider: String,
    token: String,
}

async fn revoke(State(app): State<App>, body: String) -> Response {
    let request: Revoke = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"provider\", \"token\"}}: {e}"),
            )
        }
    };
    let p = match provider(&request.provider) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    app.lock().revoked.insert((p, request.token));
    StatusCode::NO_CONTENT.into_response()
}

async fn unrevoke(State(app): State<App>) -> Response {
    app.lock().revoked.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Writer {
    provider: String,
    /// The credential (Graph, Genesys, SuperOffice).
    #[serde(default)]
    token: Option<String>,
    /// The `X-User-Id` (Rocket.Chat).
    #[serde(default)]
    user: Option<String>,
    /// Whether it may write others.
    #[serde(default = "yes")]
    others: bool,
    /// The person the token acts as (not Rocket.Chat).
    #[serde(default, rename = "as")]
    acting: Option<String>,
}

fn yes() -> bool {
    true
}

const WRITER: &str = "expected {\"provider\": \"graph\" | \"genesys\" | \"superoffice\", \"token\", \"others\"?: true, \"as\"?: \"<person id>\"} or {\"provider\": \"rocketchat\", \"user\": \"<X-User-Id>\", \"others\"?: true}";

/// `GET /_sim/writers`: how many tokens may write others or act as someone, per provider, and
/// the Rocket.Chat user ids that may write others. Never a token.
async fn get_writers(State(app): State<App>) -> Response {
    Json(app.read().writers.view()).into_response()
}

/// `PUT /_sim/writers`: lets a token (a Rocket.Chat user id) write other people's presence, or
/// no longer (`"others": false`), and makes a token act as a person (`"as"`).
async fn set_writer(State(app): State<App>, body: String) -> Response {
    let writer: Writer = match serde_json::from_str(&body) {
        Ok(w) => w,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &format!("{WRITER}: {e}")),
    };
    let p = match provider(&writer.provider) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let rocketchat = p == Provider::RocketChat;
    let key = match (rocketchat, writer.token, writer.user) {
        (true, None, Some(user)) | (false, Some(user), None) => user,
        _ => return bad(StatusCode::BAD_REQUEST, WRITER),
    };
    if key.trim().is_empty() {
        return bad(StatusCode::BAD_REQUEST, WRITER);
    }
    let mut world = app.lock();
    if let Some(id) = writer.acting {
        if rocketchat {
            return bad(
                StatusCode::BAD_REQUEST,
                "a Rocket.Chat request acts as the user its X-User-Id names: no \"as\"",
            );
        }
        if world.people(p).and_then(|pop| pop.get(&id)).is_none() {
            return bad(
                StatusCode::NOT_FOUND,
                &format!("no {} user `{id}`", p.name()),
            );
        }
        world.writers.act_as(p, key.trim(), id);
    }
    world.writers.allow_others(p, key.trim(), writer.others);
    Json(world.writers.view()).into_response()
}

/// `DELETE /_sim/writers`: every token acts as the first person again and writes only them.
async fn clear_writers(State(app): State<App>) -> Response {
    app.lock().writers.clear();
    StatusCode::NO_CONTENT.into_response()
}

fn stats_view(world: &crate::world::World) -> serde_json::Value {
    let mut view = serde_json::to_value(&world.stats).unwrap_or_default();
    crate::reply::set(&mut view, "push", push::stats(&world.push));
    view
}

async fn stats(State(app): State<App>) -> Response {
    Json(stats_view(&app.read())).into_response()
}

/// Starts the counts again; what is open now (sockets, subscriptions, channels) stays counted.
async fn reset_stats(State(app): State<App>) -> Response {
    let mut world = app.lock();
    world.stats = Stats {
        since_ms: now_ms(),
        ..Stats::default()
    };
    world.push.counters.clear();
    Json(stats_view(&world)).into_response()
}

async fn get_push(State(app): State<App>) -> Response {
    Json(json!({ "heartbeat_ms": app.read().push.heartbeat_ms() })).into_response()
}

#[derive(Deserialize)]
struct PushSettings {
    heartbeat_ms: u64,
}

/// Changes the heartbeat period of both push protocols; open sockets start a new period now.
async fn set_push(State(app): State<App>, body: String) -> Response {
    let settings: PushSettings = match serde_json::from_str(&body) {
        Ok(s) => s,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"heartbeat_ms\": 30000}}: {e}"),
            )
        }
    };
    if !(MIN_HEARTBEAT_MS..=MAX_HEARTBEAT_MS).contains(&settings.heartbeat_ms) {
        return bad(
            StatusCode::BAD_REQUEST,
            &format!("heartbeat_ms is from {MIN_HEARTBEAT_MS} to {MAX_HEARTBEAT_MS}"),
        );
    }
    let world = app.read();
    world.push.set_heartbeat_ms(settings.heartbeat_ms);
    Json(json!({ "heartbeat_ms": world.push.heartbeat_ms() })).into_response()
}

/// `GET /_sim/site`: what the demo's pages need to know of the site beyond the simulator: where
/// its presence-relay is (`null` when none was started).
async fn get_site(State(app): State<App>) -> Response {
    Json(json!({ "relay": app.read().relay })).into_response()
}

#[derive(Deserialize)]
struct SiteRequest {
    relay: Option<String>,
}

/// `PUT /_sim/site {"relay": "http://127.0.0.1:8090" | null}`: says where the relay is.
async fn set_site(State(app): State<App>, body: String) -> Response {
    let site: SiteRequest = match serde_json::from_str(&body) {
        Ok(s) => s,
        Err(e) => {
            return bad(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"relay\": \"http://…\" | null}}: {e}"),
            )
        }
    };
    if site
        .relay
        .as_deref()
        .is_some_and(|r| !(r.starts_with("http://") || r.starts_with("https://")))
    {
        return bad(StatusCode::BAD_REQUEST, "relay: an http(s) URL");
    }
    app.lock().relay = site.relay;
    get_site(State(app)).await
}
