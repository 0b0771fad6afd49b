//! Helpers for the native tests against presence-sim: an adapter's request sent as the
//! browser transport would send it, and the simulated people.
#![allow(dead_code, reason = "each test file uses some of the helpers")]

use presence_sim::client::request;
use presence_widgets::core::{Credentials, HttpRequest, HttpResponse, UserId};

/// Sends an adapter's request as the browser transport would: its headers plus the credentials'.
pub async fn send(base: &str, req: &HttpRequest, credentials: &Credentials) -> HttpResponse {
    let path = req
        .url
        .strip_prefix(base)
        .expect("the request goes to the simulator");
    let auth = credentials.headers();
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .chain(auth.iter())
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let method = req.method.as_str();
    let answer = request(base, method, path, &headers, req.body.as_deref())
        .await
        .unwrap();
    HttpResponse {
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
        requested_at_ms: None,
    }
}

/// The ids of the simulated people of `provider`.
pub async fn people(base: &str, provider: &str) -> Vec<UserId> {
    let ids = presence_sim::client::user_ids(base, provider)
        .await
        .unwrap();
    ids.into_iter().map(UserId::new).collect()
}
