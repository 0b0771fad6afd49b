//! The server: routes, CORS, static files, and the path every provider request takes (counted,
//! authenticated, rate-limited, faulted, answered).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{Html, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

use crate::clock::now_ms;
use crate::identity::{self, header_text};
use crate::oidc::Keys;
use crate::people::Provider;
use crate::providers;
use crate::reply::{self, Reply};
use crate::world::{Config, Fault, RateState, World};
use crate::{control, oauth, oidc, page, push};

/// The shared state of every handler.
#[derive(Clone)]
pub struct App {
    world: Arc<RwLock<World>>,
    /// The OIDC issuer's signing keys, made at start; `None` only when the system's random
    /// source failed, and then the issuer's routes answer 503.
    keys: Arc<Option<Keys>>,
}

impl App {
    /// A new world from `config`, with fresh signing keys.
    pub fn new(config: &Config) -> Self {
        Self {
            world: Arc::new(RwLock::new(World::new(config, now_ms(), push::announce))),
            keys: Arc::new(Keys::generate().ok()),
        }
    }

    /// The OIDC issuer's signing keys.
    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_ref().as_ref()
    }

    /// The world, to change. A handler that panicked while holding it cannot leave it unusable.
    pub fn lock(&self) -> RwLockWriteGuard<'_, World> {
        self.world
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The world, to read; answers are built under this shared lock, side by side.
    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The same app with heartbeats on the push sockets every `ms` milliseconds.
    pub fn with_heartbeat_ms(self, ms: u64) -> Self {
        self.read().push.set_heartbeat_ms(ms);
        self
    }

    /// Answers one provider request: counts it, checks its credentials and the rate limit, draws
    /// the injected faults, then asks `answer` for the body, under the shared lock.
    pub async fn api(
        &self,
        provider: Provider,
        endpoint: &'static str,
        headers: &HeaderMap,
        answer: impl FnOnce(&World, u64) -> Reply,
    ) -> Response {
        self.answer(provider, endpoint, headers, |now| answer(&self.read(), now))
            .await
    }

    /// As [`App::api`], for an answer that changes the world (Genesys channels).
    pub async fn api_mut(
        &self,
        provider: Provider,
        endpoint: &'static str,
        headers: &HeaderMap,
        answer: impl FnOnce(&mut World, u64) -> Reply,
    ) -> Response {
        self.answer(provider, endpoint, headers, |now| {
            answer(&mut self.lock(), now)
        })
        .await
    }

    async fn answer(
        &self,
        provider: Provider,
        endpoint: &'static str,
        headers: &HeaderMap,
        answer: impl FnOnce(u64) -> Reply,
    ) -> Response {
        let now = now_ms();
        let decided = {
            let mut w = self.lock();
            w.stats.total += 1;
            w.stats.endpoint(provider, endpoint).requests += 1;
            if !authorized(&w, provider, headers, now) {
                Err(reply::unauthorized(provider))
            } else {
                if provider == Provider::RocketChat {
                    // So that a socket login with this token answers with this user.
                    let (token, user) = (
                        header_text(headers, "x-auth-token"),
                        header_text(headers, "x-user-id"),
                    );
                    w.push.remember_rc_user(token, user);
                }
                match w.take_call(provider, rate_key(provider, endpoint, headers), now) {
                    Err(rate) => Err(reply::too_many(provider, &rate)),
                    Ok(rate) => {
                        let (latency, fault, retry_ms) = w.draw_fault(provider);
                        Ok((rate, latency, fault, retry_ms))
                    }
                }
            }
        };
        let (rate, latency, fault, retry_ms) = match decided {
            Ok(d) => d,
            Err(reply) => return self.finish(provider, endpoint, reply, None),
        };
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        let mut reply = match fault {
            Some(Fault::ServerError) => reply::server_error(provider),
            Some(Fault::TooManyRequests) => {
                let wait = RateState {
                    limit: 0,
                    remaining: 0,
                    reset_ms: now + retry_ms,
                    wait_ms: retry_ms,
                };
                reply::too_many(provider, &wait)
            }
            Some(Fault::NonJson) => reply::html_page(),
            None | Some(Fault::Truncated | Fault::Drop) => answer(now),
        };
        if let Some(rate) = rate {
            reply = reply.with_rate(provider, &rate);
        }
        self.finish(provider, endpoint, reply, fault)
    }

    fn finish(
        &self,
        provider: Provider,
        endpoint: &'static str,
        reply: Reply,
        fault: Option<Fault>,
    ) -> Response {
        {
            let mut w = self.lock();
            let stats = w.stats.endpoint(provider, endpoint);
            stats.ids += reply.ids;
            *stats.statuses.entry(reply.status).or_default() += 1;
        }
        let status =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let half = reply.body.len() / 2;
        let cut = (0..=half)
            .rev()
            .find(|&i| reply.body.is_char_boundary(i))
            .unwrap_or(0);
        let body = match fault {
            Some(Fault::Truncated) => {
                Body::from(reply.body.get(..cut).unwrap_or_default().to_owned())
            }
            Some(Fault::Drop) => {
                let first = Bytes::from(reply.body.get(..cut).unwrap_or_default().to_owned());
                let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(first),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "fault: dropped",
                    )),
                ];
                Body::from_stream(futures_util::stream::iter(chunks))
            }
            _ => Body::from(reply.body),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if !reply.content_type.is_empty() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(reply.content_type),
            );
        }
        for (name, value) in reply.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if provider == Provider::Genesys {
            headers.insert(
                "inin-correlation-id",
                HeaderValue::from_static("sim-correlation"),
            );
        }
        response
    }
}

/// The key a provider rate-limits by: Rocket.Chat per endpoint and user; the others per client.
fn rate_key(provider: Provider, endpoint: &str, headers: &HeaderMap) -> String {
    match provider {
        Provider::RocketChat => {
            let user = headers
                .get("x-user-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!("{endpoint} {user}")
        }
        _ => String::new(),
    }
}

/// Whether the request carries what the provider documents ([`identity::credential`]; for
/// Rocket.Chat an `X-User-Id` too) and the credential is not refused: revoked tokens are, and so
/// are tokens the simulator's token endpoints issued once they have expired (any other token is
/// taken as it is).
fn authorized(world: &World, provider: Provider, headers: &HeaderMap, now: u64) -> bool {
    let Some(credential) = identity::credential(provider, headers) else {
        return false;
    };
    if provider == Provider::RocketChat && header_text(headers, "x-user-id").is_empty() {
        return false;
    }
    let key = (provider, credential.to_owned());
    !(world.revoked.contains(&key) || world.issued.get(&key).is_some_and(|&end| now >= end))
}

/// The request headers a page may send: the providers' own (Graph and Genesys `Authorization`;
/// Rocket.Chat `X-User-Id`, `X-Auth-Token` and its 2FA pair; SuperOffice `SO-AppToken`, its
/// locale headers and `X-XSRF-TOKEN`) and the JSON pair.
const ALLOWED_HEADERS: [HeaderName; 13] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    HeaderName::from_static("x-user-id"),
    HeaderName::from_static("x-auth-token"),
    HeaderName::from_static("x-2fa-code"),
    HeaderName::from_static("x-2fa-method"),
    HeaderName::from_static("so-apptoken"),
    HeaderName::from_static("so-language"),
    HeaderName::from_static("so-culture"),
    HeaderName::from_static("so-timezone"),
    HeaderName::from_static("x-xsrf-token"),
];

/// The response headers a page may read: the rate-limit and retry headers, `Date` (Rocket.Chat's
/// next `from` is the server's own time) and Genesys' correlation id.
const EXPOSED_HEADERS: [HeaderName; 6] = [
    header::RETRY_AFTER,
    header::DATE,
    HeaderName::from_static("x-ratelimit-limit"),
    HeaderName::from_static("x-ratelimit-remaining"),
    HeaderName::from_static("x-ratelimit-reset"),
    HeaderName::from_static("inin-correlation-id"),
];

/// CORS for every answer, so a page on any origin can call the simulator with the providers' own
/// headers, with or without cookies, and read their rate-limit headers. The request's origin is
/// mirrored (a wildcard would refuse pages that send cookies). Preflights are answered here and
/// never reach a handler, so they are not counted.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(Duration::from_secs(600))
}

/// Where the demo site and the npm package are served from.
#[derive(Clone, Debug, Default)]
pub struct Site {
    /// The demo site (`www/`).
    pub www: Option<PathBuf>,
    /// wasm-pack's output (`pkg/`), served under `/pkg/`.
    pub pkg: Option<PathBuf>,
}

/// Every route: the four provider APIs, the OIDC issuer and the token endpoints, the control
/// surface and the site.
pub fn router(app: App, site: &Site) -> Router {
    let mut router = Router::new()
        .merge(providers::graph::routes())
        .merge(providers::rocketchat::routes())
        .merge(providers::rocketchat_ddp::routes())
        .merge(providers::genesys::routes())
        .merge(providers::genesys_notifications::routes())
        .merge(providers::superoffice::routes())
        .merge(control::routes())
        .merge(oidc::routes())
        .merge(oauth::routes())
        .route(
            "/_sim",
            axum::routing::get(|| async { Html(page::endpoints()) }),
        )
        .route(
            "/_sim/",
            axum::routing::get(|| async { Html(page::endpoints()) }),
        );
    if let Some(pkg) = site.pkg.as_ref().filter(|p| p.is_dir()) {
        router = router.nest_service("/pkg", ServeDir::new(pkg));
    }
    router = match site.www.as_ref().filter(|w| w.join("index.html").is_file()) {
        Some(www) => router
            .fallback_service(ServeDir::new(www).fallback(ServeFile::new(www.join("index.html")))),
        None => router.route(
            "/",
            axum::routing::get(|| async { Html(page::endpoints()) }),
        ),
    };
    router.with_state(app).layer(cors())
}

/// Binds 127.0.0.1:`port` (0 for any free port) and returns the listener and its address.
///
/// # Errors
/// When the port cannot be bound.
pub async fn bind(port: u16) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Runs the random walk: one step every `change_every_ms`, forever; each change goes to the
/// sockets watching that person.
pub async fn walk(app: App) {
    let every = app.read().change_every_ms;
    if every == 0 {
        return;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(every));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let mut world = app.lock();
        let moved = world.walk(now_ms());
        push::announce(&world, &moved);
    }
}

/// Serves on `listener` until `shutdown` resolves, walking the world meanwhile.
///
/// # Errors
/// When serving fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    site: &Site,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    app.lock().push.addr = listener.local_addr().ok();
    let walker = tokio::spawn(walk(app.clone()));
    let result = axum::serve(listener, router(app, site))
        .with_graceful_shutdown(shutdown)
        .await;
    walker.abort();
    result
}
