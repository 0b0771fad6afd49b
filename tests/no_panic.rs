//! No byte string, no JSON value and no prefix of a documented answer makes any adapter panic:
//! each returns `Ok` or a typed `Err`, whatever the status and headers.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use proptest::prelude::*;
use serde_json::Value;

use presence_widgets::core::providers::rocketchat;
use presence_widgets::core::{
    Adapter, Cursor, Genesys, Graph, HttpRequest, HttpResponse, Plan, Provider, RocketChat,
    SuperOffice, UserId,
};

/// One request of every documented read, with the adapter that reads its answer.
fn every_read() -> Vec<(Adapter, HttpRequest)> {
    let id = UserId::new("9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f");
    let two = [id.clone(), UserId::new("rocket.cat")];
    let graph = Graph::new("https://graph.microsoft.com/v1.0");
    let rc = RocketChat::new("https://chat.example.com");
    let mut gen = Genesys::new("https://api.mypurecloud.com");
    gen.learn(&[presence_widgets::core::Definition {
        id: "d1".into(),
        system_presence: Some("Meal".into()),
        language_labels: [("en_US".to_owned(), "Lunch".to_owned())]
            .into_iter()
            .collect(),
        ..Default::default()
    }]);
    let so = SuperOffice::new("https://so.example.com");
    let first = |plan: Plan| plan.requests[0].clone();
    let cursor = Cursor::new("2026-11-23T08:00:00Z");
    let (g, r, n, s) = (
        Adapter::from(graph.clone()),
        Adapter::from(rc.clone()),
        Adapter::from(gen.clone()),
        Adapter::from(so.clone()),
    );
    vec![
        (g.clone(), first(graph.plan(&two, None))),
        (g, graph.plan_user(&id).unwrap()),
        (r.clone(), first(rc.plan(&two, None))),
        (r.clone(), first(rc.plan(&two, Some(&cursor)))),
        (r.clone(), rc.plan_get_presence(&id).unwrap()),
        (r, rc.plan_get_status(&id).unwrap()),
        (n.clone(), first(gen.plan(&two, None))),
        (n.clone(), gen.plan_user(&id).unwrap()),
        (n.clone(), gen.plan_definitions()),
        (n.clone(), gen.plan_definitions_paged(1)),
        (n.clone(), gen.plan_system_presences()),
        (n.clone(), gen.plan_sources()),
        (n, gen.plan_primary_source(&id).unwrap()),
        (s, first(so.plan(&[UserId::new("963")], None))),
    ]
}

/// Reads `body` every way there is: each endpoint, as a success and as an error, and as events.
fn read_everywhere(
    reads: &[(Adapter, HttpRequest)],
    body: &str,
    status: u16,
    header: (&str, &str),
) {
    let listings = Genesys::new("https://g");
    for (adapter, request) in reads {
        for s in [200, status] {
            let response = HttpResponse::new(s, body).with_header(header.0, header.1);
            let _ = adapter.parse(request, &response);
            let _ = listings.parse_catalog(request, &response);
        }
    }
    let _ = rocketchat::parse_stream_event(body);
    let _ = Genesys::new("https://g").parse_notification(body);
    #[cfg(feature = "write")]
    for (adapter, request) in every_write() {
        for s in [200, status] {
            let response = HttpResponse::new(s, body).with_header(header.0, header.1);
            let _ = adapter.parse_write(&request, &response);
        }
    }
}

/// One request of every write, with the adapter that reads its answer.
#[cfg(feature = "write")]
fn every_write() -> Vec<(Adapter, HttpRequest)> {
    use presence_widgets::core::StatusWrite;
    let mut writes = Vec::new();
    let reset = StatusWrite {
        reset: true,
        message: Some("x".into()),
        ..StatusWrite::default()
    };
    let mut gen = Genesys::new("https://api.mypurecloud.com");
    gen.learn(&[presence_widgets::core::Definition {
        id: "d1".into(),
        system_presence: Some("Available".into()),
        ..Default::default()
    }]);
    let adapters = [
        Adapter::from(Graph::new("https://graph.microsoft.com/v1.0")),
        Adapter::from(RocketChat::new("https://chat.example.com")),
        Adapter::from(gen.clone()),
        Adapter::from(SuperOffice::new("https://so.example.com")),
    ];
    for adapter in adapters {
        let plan = adapter.plan_write(&UserId::new("963"), &reset, 0).unwrap();
        for request in plan.requests {
            writes.push((adapter.clone(), request));
        }
    }
    let bulk = gen
        .plan_bulk_write(&[(UserId::new("a"), reset)], 0)
        .unwrap();
    writes.push((Adapter::from(gen), bulk));
    writes
}

fn fixture_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["provider-docs", "own"] {
        let path = format!("{}/tests/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(path).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    assert!(files.len() >= 49, "fixtures went missing: {}", files.len());
    files
}

#[test]
fn every_prefix_of_every_fixture_reads_as_ok_or_err() {
    let reads = every_read();
    for (name, text) in fixture_files() {
        for (end, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let prefix = &text[..end];
            for (adapter, request) in &reads {
                let result = adapter.parse(request, &HttpResponse::new(200, prefix));
                // A prefix that is not the whole document is never a success for a JSON object.
                if end < text.trim_end().len() && !prefix.trim().is_empty() {
                    assert!(result.is_err(), "{name}: prefix of {end} bytes read as Ok");
                }
            }
        }
    }
}

#[test]
fn fixtures_read_as_every_other_endpoint_and_status_do_not_panic() {
    let reads = every_read();
    for (_, text) in fixture_files() {
        for status in [400, 401, 403, 404, 429, 500, 503] {
            read_everywhere(&reads, &text, status, ("Retry-After", "1.5"));
        }
    }
}

const KEYS: &[&str] = &[
    "value",
    "id",
    "availability",
    "activity",
    "outOfOfficeSettings",
    "isOutOfOffice",
    "message",
    "statusMessage",
    "content",
    "publishedDateTime",
    "sequenceNumber",
    "users",
    "_id",
    "name",
    "username",
    "status",
    "statusText",
    "full",
    "success",
    "error",
    "errorType",
    "userId",
    "presenceDefinition",
    "systemPresence",
    "modifiedDate",
    "entities",
    "pageNumber",
    "pageCount",
    "languageLabels",
    "en_US",
    "Status",
    "Message",
    "fields",
    "eventName",
    "args",
    "topicName",
    "eventBody",
    "code",
    "innerError",
    "source",
    "sourceId",
    "registered",
];

const WORDS: &[&str] = &[
    "Busy",
    "BusyIdle",
    "inAMeeting",
    "online",
    "away",
    "disabled",
    "ON_QUEUE",
    "On Queue",
    "IDLE",
    "StatusNormal",
    "StatusNotAvailable",
    "user-status",
    "v2.users.x.presence",
    "v2.users..presence",
    "",
    " ",
    "é",
    "\u{0}",
    "<img src=x onerror=alert(1)>",
    "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        let key = prop_oneof![
            prop::sample::select(KEYS).prop_map(str::to_owned),
            any::<String>()
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_byte_string_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), status in 100u16..600, reset in any::<u64>()) {
        let body = String::from_utf8_lossy(&bytes);
        let reads = every_read();
        read_everywhere(&reads, &body, status, ("x-ratelimit-reset", &reset.to_string()));
        read_everywhere(&reads, &body, status, ("Retry-After", &String::from_utf8_lossy(&bytes[..bytes.len().min(24)])));
    }

    #[test]
    fn no_json_value_panics(value in json(), status in 100u16..600) {
        let reads = every_read();
        let text = value.to_string();
        read_everywhere(&reads, &text, status, ("Date", "Mon, 23 Nov 2026 09:00:00 GMT"));
        // Also wrapped the way each provider wraps its lists.
        for wrapped in [
            serde_json::json!({ "value": [value.clone()] }),
            serde_json::json!({ "users": [value.clone()], "full": true, "success": true }),
            serde_json::json!([value.clone()]),
            serde_json::json!({ "entities": [value.clone()], "pageNumber": 1, "pageCount": 2 }),
            serde_json::json!({ "fields": { "eventName": "user-status", "args": [value.clone()] } }),
            serde_json::json!({ "topicName": "v2.users.u1.presence", "eventBody": value.clone() }),
        ] {
            read_everywhere(&reads, &wrapped.to_string(), status, ("Retry-After", "2.128"));
        }
    }
}

/// Header values that are long or absurd: hundreds of digits, years far beyond 9999, fractions
/// longer than any clock. Read in a debug build, where overflowing arithmetic panics.
fn long_header() -> impl Strategy<Value = String> {
    let digits = "[0-9]{1,600}";
    prop_oneof![
        digits.prop_map(|d| d),
        (digits, "[0-9]{0,400}").prop_map(|(w, f)| format!("{w}.{f}")),
        (
            "[0-9]{1,40}",
            "[A-Z][a-z]{2}",
            "[0-9]{1,30}",
            "[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}"
        )
            .prop_map(|(d, m, y, t)| format!("Sun, {d} {m} {y} {t} GMT")),
        Just("Sun, 06 Nov 100000000000000000 08:49:37 GMT".to_owned()),
        Just(format!("-{}", "9".repeat(400))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_long_header_overflows(value in long_header(), status in prop::sample::select(vec![200u16, 429, 503]), now in any::<u64>()) {
        use presence_widgets::core::schedule::{next_delay_ms, Outcome, Policy};
        let reads = every_read();
        let body = r#"{"users": [], "success": true, "value": []}"#;
        for name in ["Retry-After", "x-ratelimit-reset", "Date"] {
            read_everywhere(&reads, body, status, (name, &value));
            for (adapter, request) in &reads {
                let response = HttpResponse::new(status, body).with_header(name, &value);
                if let Err(error) = adapter.parse(request, &response) {
                    let policy = Policy::new(adapter.cadence());
                    let delay = next_delay_ms(&policy, &Outcome::Failure(error), u32::MAX, now, u64::MAX);
                    prop_assert!(delay <= 60 * 60_000);
                }
            }
        }
        let _ = presence_widgets::core::http::parse_retry_after(&value);
        let _ = presence_widgets::core::http::parse_http_date(&value);
    }
}
