//! The relay: its sources and their readers, the hub, the routes (`POST /v1/stream`,
//! `GET /healthz`, `GET /metrics`), CORS for the configured origins, and a graceful shutdown
//! that ends every stream with a retry hint.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Verifier;
use crate::config::Config;
use crate::hub::Hub;
use crate::shared::Shared;
pub use crate::state::{Limits, Metrics, Relay};
use crate::stream;
use crate::upstream::{self, now_ms, Sink, Source, Upstream};

/// A relay serving in the background.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, for tests and metrics.
    pub relay: Arc<Relay>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Ends every stream with a retry hint, stops reading upstream, and waits for the server.
    ///
    /// # Errors
    /// When serving failed.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        self.server
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// Resolves when the server stops (after a shutdown).
    ///
    /// # Errors
    /// When serving failed.
    pub async fn wait(self) -> std::io::Result<()> {
        let stop = self.stop;
        let result = self
            .server
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        drop(stop);
        result
    }

    /// A sender that shuts the relay down.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Starts a relay for `config` on its `listen` address.
///
/// # Errors
/// A source the core cannot read with its settings or credentials, or an address that cannot
/// be bound.
pub async fn start(config: Config) -> std::io::Result<Running> {
    let http = reqwest::Client::builder()
        .user_agent(concat!("presence-relay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let names: Vec<String> = config.sources.keys().cloned().collect();
    let mut sources = Vec::with_capacity(names.len());
    for (index, (name, source)) in config.sources.iter().enumerate() {
        let source = Source::new(index, name, source, config.min_interval_ms).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("sources.{name}: {e}"),
            )
        })?;
        sources.push(Arc::new(source));
    }
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let hub = Arc::new(Hub::new(
        &names,
        size(config.history),
        size(config.max_known),
        size(config.buffer),
        now_ms(),
        crate::state::epoch(),
    ));
    let (stop, shutdown) = watch::channel(false);
    let shared = match &config.redis {
        Some(redis) => Some(Arc::new(
            Shared::new(redis, names.clone())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        )),
        None => None,
    };
    let relay = Arc::new(Relay {
        names: names
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect(),
        sources,
        hub: hub.clone(),
        verifier: Verifier::new(config.auth, http.clone()),
        limits: Limits {
            max_ids: size(config.max_ids),
            linger: Duration::from_millis(config.linger_ms),
            max_streams: config.max_streams,
            max_streams_per_viewer: config.max_streams_per_viewer,
            body_timeout: Duration::from_millis(config.body_timeout_ms),
        },
        viewers_open: Arc::default(),
        metrics: Metrics::default(),
        shutdown: shutdown.clone(),
        shared: shared.clone(),
    });
    let upstream = Upstream::new(http);
    if let Some(shared) = shared {
        tokio::spawn(crate::shared::run(
            relay.clone(),
            shared,
            upstream.clone(),
            shutdown.clone(),
        ));
    } else {
        for source in &relay.sources {
            tracing::info!(source = %source.name, kind = %source.kind, "reading");
            tokio::spawn(upstream::run(
                source.clone(),
                upstream.clone(),
                Sink::Local(hub.clone()),
                shutdown.clone(),
            ));
        }
    }
    let listener = listen(config.listen)?;
    let addr = listener.local_addr()?;
    let router = router(relay.clone(), &config.allowed_origins);
    let header_timeout = Duration::from_millis(config.header_timeout_ms);
    let server = tokio::spawn(serve(listener, router, header_timeout, shutdown));
    tracing::info!(%addr, "listening");
    Ok(Running {
        addr,
        relay,
        stop,
        server,
    })
}

/// Serves `router` on every connection `listener` accepts, each HTTP/1.1 with
/// `header_timeout` to send a request's headers (a connection that trickles them is closed),
/// until `shutdown`; then waits for the connections to end (the streams end themselves).
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: the next accept may work once some close.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// How many connections may wait to be accepted: when an instance dies, its pages all come
/// back at once to the others (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: u32 = 8192;

/// A listener on `addr` with room for a reconnection storm in its backlog.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The routes, with CORS for `origins`.
pub fn router(relay: Arc<Relay>, origins: &[String]) -> Router {
    // "*": any page (no credentials are ever allowed, so the wildcard is safe to send).
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse::<HeaderValue>().ok()))
    };
    let cors = CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/v1/stream", post(stream::open))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(1 << 20))
        .layer(cors)
        .with_state(relay)
}

async fn health(State(relay): State<Arc<Relay>>) -> Response {
    let sources: serde_json::Map<String, serde_json::Value> = relay
        .sources
        .iter()
        .map(|s| {
            let state = relay
                .hub
                .state(s.index)
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .unwrap_or_default();
            let mut entry =
                json!({ "kind": s.kind.name(), "watched": s.watched(), "reading": s.reading() });
            if let (Some(e), serde_json::Value::Object(st)) = (entry.as_object_mut(), state) {
                for key in ["mode", "stale", "reason"] {
                    if let Some(v) = st.get(key) {
                        e.insert(key.into(), v.clone());
                    }
                }
            }
            (s.name.clone(), entry)
        })
        .collect();
    let (status, mode) = match &relay.shared {
        None => ("ok", "local"),
        Some(shared) if shared.epoch().is_some() => ("ok", "shared"),
        Some(_) => ("degraded", "degraded"),
    };
    let mut body = json!({
        "status": status,
        "mode": mode,
        "viewers": relay.metrics.viewers.load(Ordering::Relaxed),
        "sources": sources,
    });
    if let (Some(shared), Some(fields)) = (&relay.shared, body.as_object_mut()) {
        fields.insert(
            "redis".into(),
            json!({ "up": shared.up(), "epoch": shared.epoch().as_deref() }),
        );
        if mode == "degraded" {
            fields.insert(
                "reason".into(),
                "Redis does not answer: this instance reads every source by itself".into(),
            );
        }
    }
    // Degraded is still serving: 200, so that a load balancer keeps sending pages.
    (StatusCode::OK, Json(body)).into_response()
}

async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    let m = &relay.metrics;
    let mut out = String::new();
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let _ = writeln!(out, "# HELP presence_relay_viewers Streams open now.\n# TYPE presence_relay_viewers gauge\npresence_relay_viewers {}", load(&m.viewers));
    let _ = writeln!(out, "# HELP presence_relay_streams_total Streams opened.\n# TYPE presence_relay_streams_total counter\npresence_relay_streams_total {}", load(&m.streams));
    let _ = writeln!(out, "# HELP presence_relay_dropped_total Streams dropped for reading too slowly.\n# TYPE presence_relay_dropped_total counter\npresence_relay_dropped_total {}", load(&m.dropped));
    let _ = writeln!(out, "# HELP presence_relay_refused_total Streams refused by a bound: the instance's max_streams (full), a viewer's max_streams_per_viewer (viewer), a body that did not come within body_timeout_ms (body_timeout).\n# TYPE presence_relay_refused_total counter\npresence_relay_refused_total{{reason=\"full\"}} {}\npresence_relay_refused_total{{reason=\"viewer\"}} {}\npresence_relay_refused_total{{reason=\"body_timeout\"}} {}", load(&m.refused_full), load(&m.refused_viewer), load(&m.body_timeouts));
    let _ = writeln!(out, "# HELP presence_relay_stream_viewers Viewers (by sub) with a stream open.\n# TYPE presence_relay_stream_viewers gauge\npresence_relay_stream_viewers {}", relay.viewers_open.len());
    let count = load(&m.lag_count);
    let _ = writeln!(out, "# HELP presence_relay_fanout_lag_seconds Time from a change reaching the relay to a stream taking it.\n# TYPE presence_relay_fanout_lag_seconds summary");
    let _ = writeln!(
        out,
        "presence_relay_fanout_lag_seconds_sum {}",
        seconds(load(&m.lag_sum_us))
    );
    let _ = writeln!(out, "presence_relay_fanout_lag_seconds_count {count}");
    let _ = writeln!(out, "# HELP presence_relay_fanout_lag_max_seconds The largest fan-out lag.\n# TYPE presence_relay_fanout_lag_max_seconds gauge\npresence_relay_fanout_lag_max_seconds {}", seconds(load(&m.lag_max_us)));
    let per_source: [(&str, &str, &str); 7] = [
        (
            "presence_relay_watched_ids",
            "gauge",
            "People read for viewers.",
        ),
        (
            "presence_relay_upstream_requests_total",
            "counter",
            "Presence requests sent upstream.",
        ),
        (
            "presence_relay_upstream_errors_total",
            "counter",
            "Upstream requests that failed.",
        ),
        (
            "presence_relay_token_requests_total",
            "counter",
            "OAuth token requests.",
        ),
        (
            "presence_relay_poll_interval_seconds",
            "gauge",
            "The time between polls now.",
        ),
        (
            "presence_relay_push_frames_total",
            "counter",
            "Frames read from the service's push sockets.",
        ),
        (
            "presence_relay_push_sessions_total",
            "counter",
            "Push sessions started (a new one after each failure).",
        ),
    ];
    for (name, kind, help) in per_source {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for s in &relay.sources {
            let c = &s.counters;
            let value = match name {
                "presence_relay_watched_ids" => {
                    u64::try_from(s.watched()).unwrap_or(u64::MAX).to_string()
                }
                "presence_relay_upstream_requests_total" => load(&c.requests).to_string(),
                "presence_relay_upstream_errors_total" => load(&c.errors).to_string(),
                "presence_relay_token_requests_total" => load(&c.token_requests).to_string(),
                "presence_relay_push_frames_total" => load(&c.push_frames).to_string(),
                "presence_relay_push_sessions_total" => load(&c.push_sessions).to_string(),
                _ => seconds(load(&c.interval_ms).saturating_mul(1000)),
            };
            let _ = writeln!(
                out,
                "{name}{{source=\"{}\",kind=\"{}\"}} {value}",
                s.name,
                s.kind.name()
            );
        }
    }
    let _ = writeln!(out, "# HELP presence_relay_mode How each source learns of changes (1 for its mode now).\n# TYPE presence_relay_mode gauge");
    for s in &relay.sources {
        let state = relay.hub.state(s.index).unwrap_or_else(|| "".into());
        let push = state.contains("\"mode\":\"push\"");
        for (mode, on) in [("poll", !push), ("push", push)] {
            let _ = writeln!(
                out,
                "presence_relay_mode{{source=\"{}\",mode=\"{mode}\"}} {}",
                s.name,
                u8::from(on)
            );
        }
    }
    if let Some(shared) = &relay.shared {
        shared_metrics(&mut out, &relay, shared);
    }
    process_metrics(&mut out);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
        .into_response()
}

/// The standard process metrics, where the system says them (Linux's `/proc/self`): resident
/// memory and CPU time.
fn shared_metrics(out: &mut String, relay: &Relay, shared: &Shared) {
    let c = &shared.counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let shared_now = shared.epoch().is_some();
    let _ = writeln!(out, "# HELP presence_relay_shared_mode Whether the instance reads through Redis (shared) or by itself (degraded), 1 for its mode now.\n# TYPE presence_relay_shared_mode gauge");
    for (mode, on) in [("shared", shared_now), ("degraded", !shared_now)] {
        let _ = writeln!(
            out,
            "presence_relay_shared_mode{{mode=\"{mode}\"}} {}",
            u8::from(on)
        );
    }
    let _ = writeln!(out, "# HELP presence_relay_redis_up Whether Redis answered the last command.\n# TYPE presence_relay_redis_up gauge\npresence_relay_redis_up {}", u8::from(shared.up()));
    let _ = writeln!(out, "# HELP presence_relay_reading Whether this instance reads the source now (holds its lease, or is degraded).\n# TYPE presence_relay_reading gauge");
    for s in &relay.sources {
        let _ = writeln!(
            out,
            "presence_relay_reading{{source=\"{}\"}} {}",
            s.name,
            u8::from(s.reading())
        );
    }
    for (name, help, value) in [
        (
            "presence_relay_lease_acquired_total",
            "Leases this instance took.",
            load(&c.acquired),
        ),
        (
            "presence_relay_log_appended_total",
            "Changes this instance's readers appended to the change logs.",
            load(&c.appended),
        ),
        (
            "presence_relay_log_refused_total",
            "Appends Redis refused because the lease was no longer the reader's.",
            load(&c.refused),
        ),
        (
            "presence_relay_log_consumed_total",
            "Changes this instance read from the change logs.",
            load(&c.consumed),
        ),
        (
            "presence_relay_redis_errors_total",
            "Redis commands that failed.",
            load(&c.errors),
        ),
        (
            "presence_relay_degraded_total",
            "Times this instance went to the degraded mode.",
            load(&c.degraded),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
}

fn process_metrics(out: &mut String) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(kb) = rss_kb {
        let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}", kb.saturating_mul(1024));
    }
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 a second on
    // Linux), after the command name in parentheses.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let ticks: Option<u64> = stat.rsplit_once(')').and_then(|(_, rest)| {
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let user: u64 = fields.get(11)?.parse().ok()?;
        let system: u64 = fields.get(12)?.parse().ok()?;
        Some(user.saturating_add(system))
    });
    if let Some(t) = ticks {
        let _ = writeln!(out, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}.{:02}", t / 100, t % 100);
    }
}

/// Microseconds as seconds with six decimals.
fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}
