//! Browser tests (`wasm-pack test --headless --chrome`): the core runs unchanged in wasm, and the
//! transport fetches a real answer for the adapter to read.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use presence_widgets::core::{
    Availability, Credentials, Graph, HttpResponse, PresenceError, Provider, ProviderKind,
    RocketChat, Secret, UserId,
};
use presence_widgets::web::Transport;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const GRAPH_BULK: &str =
    include_str!("fixtures/provider-docs/graph-getpresencesbyuserid-beta-01.json");
const GRAPH_ONE: &str = include_str!("fixtures/provider-docs/graph-presence-get-v1-04.json");
const RC_PRESENCE: &str = include_str!("fixtures/provider-docs/rocketchat-users.presence-03.json");

#[wasm_bindgen_test]
fn adapters_read_documented_answers_in_wasm() {
    let graph = Graph::new("https://graph.microsoft.com/v1.0");
    let ids = [UserId::new("fa8bf3dc-eca7-46b7-bad1-db199b62afc3")];
    let plan = graph.plan(&ids, None);
    let update = graph
        .parse(&plan.requests[0], &HttpResponse::new(200, GRAPH_BULK))
        .unwrap();
    let seen: Vec<String> = update.presences.iter().map(|p| p.description()).collect();
    assert_eq!(seen, ["Busy, in a meeting", "Away, out of office"]);

    let rc = RocketChat::new("https://chat.example.com");
    let plan = rc.plan(&["rocket.cat".into(), "gone".into()], None);
    let update = rc
        .parse(&plan.requests[0], &HttpResponse::new(200, RC_PRESENCE))
        .unwrap();
    assert_eq!(update.presences[0].message.as_deref(), Some("In a call"));
    assert_eq!(update.presences[1].availability, Availability::Offline);

    // Garbage is an error value in wasm too, never a panic that would kill every widget.
    let err = rc
        .parse(&plan.requests[0], &HttpResponse::new(200, "\u{0}{[garbage"))
        .unwrap_err();
    assert!(matches!(err, PresenceError::Decode { .. }));
}

/// A URL the page can fetch that answers `body` as JSON.
fn blob_url(body: &str) -> String {
    let parts = js_sys::Array::of1(&JsValue::from_str(body));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).unwrap();
    web_sys::Url::create_object_url_with_blob(&blob).unwrap()
}

#[wasm_bindgen_test]
async fn transport_fetches_an_answer_that_the_adapter_reads() {
    let graph = Graph::new("https://graph.microsoft.com/v1.0");
    let mut request = graph
        .plan_user(&"fa8bf3dc-eca7-46b7-bad1-db199b62afc3".into())
        .unwrap();
    request.url = blob_url(GRAPH_ONE);
    let credentials = Credentials::Bearer(Secret::new("token-that-must-not-leak"));
    let response = Transport::default()
        .send(&request, Some(&credentials))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.requested_at_ms.unwrap_or(0) > 1_600_000_000_000);
    let update = graph.parse(&request, &response).unwrap();
    let p = &update.presences[0];
    assert_eq!(p.availability, Availability::Available);
    assert_eq!(p.message.as_deref(), Some("Hey I am available now"));
}

#[wasm_bindgen_test]
async fn an_unreachable_service_is_a_network_error() {
    let graph = Graph::new("http://127.0.0.1:9/v1.0");
    let request = graph.plan(&["u1".into()], None).requests[0].clone();
    let credentials = Credentials::Bearer(Secret::new("token-that-must-not-leak"));
    let err = Transport::default()
        .send(&request, Some(&credentials))
        .await
        .unwrap_err();
    match &err {
        PresenceError::Network { provider, message } => {
            assert_eq!(*provider, ProviderKind::Graph);
            assert!(!message.is_empty());
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(err.is_transient());
    assert!(!err.to_string().contains("token-that-must-not-leak"));
}

#[wasm_bindgen_test]
async fn a_header_value_the_browser_refuses_is_a_config_error() {
    let graph = Graph::new("http://127.0.0.1:9/v1.0");
    let request = graph.plan(&["u1".into()], None).requests[0].clone();
    let credentials = Credentials::Bearer(Secret::new("line\nbreak-secret"));
    let err = Transport::default()
        .send(&request, Some(&credentials))
        .await
        .unwrap_err();
    assert!(matches!(err, PresenceError::Config(_)), "{err:?}");
    assert!(!err.to_string().contains("break-secret"));
}
