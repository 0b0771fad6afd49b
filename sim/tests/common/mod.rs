//! What the simulator's test files share: its control surface and its people, failing loudly.
#![allow(dead_code, reason = "each test file uses some of the helpers")]
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use presence_sim::client::{request, Answer};
use serde_json::Value;

/// `GET path` with `headers`.
pub async fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    request(base, "GET", path, headers, None).await.unwrap()
}

/// A call of the `/_sim/` control surface.
pub async fn control(base: &str, method: &str, path: &str, body: Value) -> Answer {
    presence_sim::client::control(base, method, path, &body)
        .await
        .unwrap()
}

/// The ids of `provider`'s simulated people.
pub async fn ids(base: &str, provider: &str) -> Vec<String> {
    presence_sim::client::user_ids(base, provider)
        .await
        .unwrap()
}

/// Changes one simulated person, as `PUT /_sim/users/{provider}/{id}` does.
pub async fn set(base: &str, provider: &str, id: &str, change: Value) {
    presence_sim::client::set_user(base, provider, id, &change)
        .await
        .unwrap();
}
