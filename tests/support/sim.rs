//! Helpers for the browser tests: the presence-sim that `cargo xtask test` starts (its URL comes
//! in `PRESENCE_SIM_URL` at build time), its control surface, and waiting without sleeping blind.
#![allow(dead_code, reason = "each test file uses some of the helpers")]

use gloo_net::http::Request;
use gloo_timers::future::TimeoutFuture;
use presence_widgets::core::{Credentials, ProviderKind, Secret, UserId};
use presence_widgets::web::{Auth, SourceConfig, Store};
use serde_json::Value;

pub fn sim() -> &'static str {
    match option_env!("PRESENCE_SIM_URL") {
        Some(url) if !url.is_empty() => url,
        _ => {
            panic!("PRESENCE_SIM_URL is not set: run `cargo xtask test`, which starts presence-sim")
        }
    }
}

pub async fn sim_call(method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", sim());
    let builder = match method {
        "GET" => Request::get(&url),
        "POST" => Request::post(&url),
        "PUT" => Request::put(&url),
        _ => Request::delete(&url),
    };
    let response = match body {
        Some(b) => {
            builder
                .header("Content-Type", "application/json")
                .body(b.to_string())
                .unwrap()
                .send()
                .await
        }
        None => builder.send().await,
    }
    .unwrap();
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn people(provider: &str) -> Vec<UserId> {
    let list = sim_call("GET", &format!("/_sim/users?provider={provider}"), None).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| UserId::new(u["id"].as_str().unwrap()))
        .collect()
}

/// Requests (and ids asked about) the simulator counted for one endpoint.
pub async fn counted(provider: &str, endpoint: &str) -> (u64, u64) {
    let stats = sim_call("GET", "/_sim/stats", None).await;
    let e = &stats["providers"][provider][endpoint];
    (
        e["requests"].as_u64().unwrap_or(0),
        e["ids"].as_u64().unwrap_or(0),
    )
}

/// Injects a fault at presence-sim: `body` as `/_sim/faults` takes it, such as
/// `{"provider": "graph", "http_500": 1.0}`.
pub async fn inject(body: Value) {
    sim_call("POST", "/_sim/faults", Some(body)).await;
}

pub async fn clear_faults() {
    sim_call("DELETE", "/_sim/faults", None).await;
}

/// Waits for `done`, checking every 20 ms, at most `limit_ms`. Not a timing assertion: a slow
/// machine only waits longer.
pub async fn until(limit_ms: u32, what: &str, done: impl Fn() -> bool) {
    let mut waited = 0;
    while !done() {
        assert!(
            waited < limit_ms,
            "gave up waiting for {what} after {limit_ms} ms"
        );
        TimeoutFuture::new(20).await;
        waited += 20;
    }
}

pub fn now() -> f64 {
    js_sys::Date::now()
}

pub fn store(kind: ProviderKind, prefix: &str, auth: Auth, interval_ms: u64) -> Store {
    let mut config = SourceConfig::new(
        &format!("{prefix}-test"),
        kind,
        &format!("{}/{prefix}", sim()),
        auth,
    );
    config.interval_ms = Some(interval_ms);
    // Each test's store reads for itself: not shared with another of the same name (the tabs'
    // sharing has its own test).
    config.share_tabs = false;
    Store::new(config).unwrap()
}

pub fn bearer(token: &str) -> Auth {
    Auth::Value(Credentials::Bearer(Secret::new(token)))
}
