//! Graph's pictures for avatars (feature `photo`): `GET /users/{id}/photo/$value` planned only
//! with the `photos` setting, its answers read from status and headers (a 2xx image, a 404
//! `ImageNotFound`, the documented errors), and both against presence-sim.
#![cfg(all(not(target_arch = "wasm32"), feature = "photo", feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

use presence_sim::{Config, Limits};
use presence_widgets::core::providers::graph::USER_PHOTO;
use presence_widgets::core::{
    Adapter, Credentials, Genesys, Graph, HttpResponse, Method, Photo, PresenceError, Provider,
    ProviderKind, Retry, Secret, UserId,
};

#[path = "support/native_sim.rs"]
mod native_sim;
use native_sim::{people, send};

const BASE: &str = "https://graph.microsoft.com/v1.0";

fn with_photos() -> Graph {
    let mut graph = Graph::new(BASE);
    graph.set("photos", "true").unwrap();
    graph
}

#[test]
fn pictures_are_asked_for_only_with_photos() {
    let id = UserId::new("2e2f43c7-43c7");
    assert!(Graph::new(BASE).plan_photo(&id).is_none(), "off unless set");
    let mut graph = with_photos();
    let request = graph.plan_photo(&id).unwrap().unwrap();
    assert_eq!(request.method, Method::Get);
    assert_eq!(
        request.url,
        format!("{BASE}/users/2e2f43c7-43c7/photo/$value")
    );
    assert_eq!(request.endpoint, USER_PHOTO);
    assert_eq!(request.ids, vec![id.clone()]);
    assert!(request.body.is_none());
    assert!(
        request
            .headers
            .iter()
            .all(|(n, _)| !n.eq_ignore_ascii_case("authorization")),
        "credentials are the transport's, never the plan's"
    );
    graph.set("photos", "false").unwrap();
    assert!(graph.plan_photo(&id).is_none());
}

#[test]
fn ids_stay_one_segment_and_dot_segments_are_refused() {
    let graph = with_photos();
    let url = graph
        .plan_photo(&UserId::new("../me?x#y"))
        .unwrap()
        .unwrap()
        .url;
    assert_eq!(url, format!("{BASE}/users/..%2Fme%3Fx%23y/photo/$value"));
    for bad in ["..", "."] {
        let refused = graph.plan_photo(&UserId::new(bad)).unwrap().unwrap_err();
        assert!(matches!(refused, PresenceError::Config(m) if m.contains("not a user id")));
    }
}

#[test]
fn the_setting_takes_true_or_false_and_is_graphs_alone() {
    let mut graph = Graph::new(BASE);
    assert_eq!(graph.setting_names(), ["photos"]);
    let wrong = graph.set("photos", "yes").unwrap_err();
    assert!(wrong
        .to_string()
        .contains("`photos` is true or false, not `yes`"));
    assert!(graph.set("pictures", "true").is_err());
    // Other providers have no pictures to read.
    let mut genesys = Genesys::new("https://api.mypurecloud.com");
    assert!(genesys.set("photos", "true").is_err());
    assert!(genesys.plan_photo(&UserId::new("u")).is_none());
    for kind in Adapter::kinds().filter(|k| *k != ProviderKind::Graph) {
        let adapter = Adapter::new(kind, "https://example.com").unwrap();
        assert!(adapter.plan_photo(&UserId::new("u")).is_none(), "{kind}");
    }
}

fn answer(status: u16, content_type: &str, body: &str) -> HttpResponse {
    HttpResponse::new(status, body).with_header("Content-Type", content_type)
}

#[test]
fn answers_are_a_picture_none_or_a_typed_error() {
    let graph = with_photos();
    let request = graph.plan_photo(&UserId::new("u")).unwrap().unwrap();
    let read = |response: &HttpResponse| graph.read_photo(&request, response);
    // The image itself: its body is the transport's (a Blob), only the headers are read.
    assert_eq!(read(&answer(200, "image/jpeg", "")), Ok(Photo::Picture));
    assert_eq!(read(&answer(200, " IMAGE/PNG", "")), Ok(Photo::Picture));
    // Nobody's picture (the documented 404), whatever its code.
    let not_found = r#"{"error":{"code":"ImageNotFound","message":"Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown."}}"#;
    assert_eq!(
        read(&answer(404, "application/json", not_found)),
        Ok(Photo::Missing)
    );
    assert_eq!(
        read(&answer(404, "application/json", "")),
        Ok(Photo::Missing)
    );
    // A 2xx that is not an image (a proxy's login page) is not shown.
    match read(&answer(200, "text/html; charset=utf-8", "<html>")) {
        Err(PresenceError::Decode {
            provider, message, ..
        }) => {
            assert_eq!(provider, ProviderKind::Graph);
            assert!(
                message.contains("`text/html; charset=utf-8`, not an image"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read(&HttpResponse::new(200, "")),
        Err(PresenceError::Decode { .. })
    ));
    // Graph's errors, with their code and message.
    let denied = r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#;
    match read(&answer(403, "application/json", denied)) {
        Err(PresenceError::Http {
            status: 403,
            code,
            message,
            ..
        }) => {
            assert_eq!(code.as_deref(), Some("ErrorAccessDenied"));
            assert!(message.unwrap().starts_with("Access is denied"));
        }
        other => panic!("{other:?}"),
    }
    let throttled = answer(
        429,
        "application/json",
        r#"{"error":{"code":"TooManyRequests"}}"#,
    )
    .with_header("Retry-After", "7");
    match read(&throttled) {
        Err(PresenceError::Http {
            status: 429, retry, ..
        }) => {
            assert_eq!(retry, Some(Retry::After(7_000)));
        }
        other => panic!("{other:?}"),
    }
    // An answer to another request is not taken for a picture.
    let presence = graph.plan_user(&UserId::new("u")).unwrap();
    assert!(matches!(
        graph.read_photo(&presence, &answer(200, "image/jpeg", "")),
        Err(PresenceError::Config(_))
    ));
}

#[tokio::test]
async fn the_sim_serves_pictures_and_image_not_found() {
    let base = presence_sim::spawn(Config {
        users: 8,
        seed: 7,
        change_every_ms: 0,
        limits: Limits::documented(),
    })
    .await
    .unwrap();
    let ids = people(&base, "graph").await;
    let token = Credentials::Bearer(Secret::new("photo-test"));
    let mut graph = Graph::new(&format!("{base}/graph/v1.0"));
    graph.set("photos", "true").unwrap();
    // Every fourth person (positions 3 and 7 of 8) has no picture.
    for (i, id) in ids.iter().enumerate() {
        let request = graph.plan_photo(id).unwrap().unwrap();
        let response = send(&base, &request, &token).await;
        let expected = if i % 4 == 3 {
            Photo::Missing
        } else {
            Photo::Picture
        };
        assert_eq!(
            graph.read_photo(&request, &response),
            Ok(expected),
            "person {i}"
        );
        if expected == Photo::Picture {
            assert!(response.body.starts_with("<svg"), "the image itself");
        } else {
            assert!(response.body.contains("ImageNotFound"));
        }
    }
    // An id Graph does not know has no picture either.
    let request = graph.plan_photo(&UserId::new("nobody")).unwrap().unwrap();
    let response = send(&base, &request, &token).await;
    assert_eq!(graph.read_photo(&request, &response), Ok(Photo::Missing));
    assert!(response.body.contains("Request_ResourceNotFound"));
    // Without a token: Graph's 401, a typed error.
    let request = graph.plan_photo(&ids[0]).unwrap().unwrap();
    let path = request.url.strip_prefix(&base).unwrap();
    let bare = presence_sim::client::request(&base, "GET", path, &[], None)
        .await
        .unwrap();
    let response = HttpResponse {
        status: bare.status,
        headers: bare.headers,
        body: bare.body,
        requested_at_ms: None,
    };
    assert!(matches!(
        graph.read_photo(&request, &response),
        Err(PresenceError::Http { status: 401, .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

    /// Whatever the status, content type, body and Retry-After, an answer is read as a picture,
    /// none, or a typed error: never a panic.
    #[test]
    fn no_answer_panics(
        status in 100u16..600,
        kind in "\\PC{0,40}",
        body in "\\PC{0,200}",
        retry in "\\PC{0,30}",
    ) {
        let graph = with_photos();
        let request = graph.plan_photo(&UserId::new("u")).unwrap().unwrap();
        let response = answer(status, &kind, &body).with_header("Retry-After", &retry);
        match graph.read_photo(&request, &response) {
            Ok(Photo::Picture) => proptest::prop_assert!((200..300).contains(&status)),
            Ok(Photo::Missing) => proptest::prop_assert_eq!(status, 404),
            Err(_) => proptest::prop_assert!(status != 404),
        }
    }
}

/// A reader of Graph with pictures on.
fn photo_reader() -> presence_widgets::core::reader::Reader {
    use presence_widgets::core::reader::{Options, Reader};
    let registry = presence_widgets::core::Registry::new(Adapter::from(with_photos()));
    Reader::new(registry, Options::default())
}

fn image() -> HttpResponse {
    let mut r = HttpResponse::new(200, "");
    r.headers.push(("Content-Type".into(), "image/jpeg".into()));
    r
}

#[test]
fn the_reader_reads_each_picture_once_four_at_a_time() {
    use presence_widgets::core::photos::PhotoRead;
    let mut reader = photo_reader();
    let ids: Vec<UserId> = (0..6).map(|n| UserId::new(format!("u{n}"))).collect();
    for id in &ids {
        assert!(reader.want_photo(id));
    }
    assert!(!reader.want_photo(&ids[0]), "asked for once");
    let mut due = Vec::new();
    while let Some((id, request)) = reader.poll_photo(0) {
        due.push((id, request.unwrap()));
    }
    assert_eq!(due.len(), 4, "four at a time");
    let (id, request) = due.remove(0);
    assert_eq!(
        reader.handle_photo(&id, Ok((request, image())), 10),
        PhotoRead::Done(Ok(Photo::Picture))
    );
    // One answered: the fifth goes.
    let (fifth, request) = reader.poll_photo(10).unwrap();
    assert_eq!(fifth, ids[4]);
    assert_eq!(
        reader.handle_photo(
            &fifth,
            Ok((request.unwrap(), HttpResponse::new(404, ""))),
            20
        ),
        PhotoRead::Done(Ok(Photo::Missing))
    );
    // A source that reads no pictures wants none.
    let plain = presence_widgets::core::Registry::new(Adapter::from(Graph::new(BASE)));
    let mut plain = presence_widgets::core::reader::Reader::new(plain, Default::default());
    assert!(!plain.want_photo(&ids[0]));
    assert!(plain.poll_photo(0).is_none());
}

#[test]
fn a_picture_that_failed_is_tried_three_times_after_its_retry_after() {
    use presence_widgets::core::photos::{PhotoRead, RETRY_MS};
    let mut reader = photo_reader();
    let ada = UserId::new("ada");
    reader.want_photo(&ada);
    let (_, request) = reader.poll_photo(0).unwrap();
    let mut limited = HttpResponse::new(429, "");
    limited.headers.push(("Retry-After".into(), "7".into()));
    assert_eq!(
        reader.handle_photo(&ada, Ok((request.unwrap(), limited)), 1_000),
        PhotoRead::Later
    );
    assert_eq!(reader.next_timeout(), Some(8_000), "its Retry-After");
    assert!(reader.poll_photo(7_999).is_none());
    let (_, request) = reader.poll_photo(8_000).unwrap();
    let network = PresenceError::Network {
        provider: ProviderKind::Graph,
        message: "reset".into(),
    };
    let _ = request;
    assert_eq!(
        reader.handle_photo(&ada, Err(network.clone()), 8_000),
        PhotoRead::Later
    );
    assert_eq!(reader.next_timeout(), Some(8_000 + RETRY_MS));
    let (_, _) = reader.poll_photo(8_000 + RETRY_MS).unwrap();
    // The third failure is final: initials.
    assert_eq!(
        reader.handle_photo(&ada, Err(network.clone()), 40_000),
        PhotoRead::Done(Err(network))
    );
    assert_eq!(reader.next_timeout(), None);
    assert!(reader.poll_photo(u64::MAX).is_none());
    // A refusal the service will not get over is final at once.
    let bob = UserId::new("bob");
    reader.want_photo(&bob);
    let (_, request) = reader.poll_photo(0).unwrap();
    let read = reader.handle_photo(&bob, Ok((request.unwrap(), HttpResponse::new(403, ""))), 0);
    assert!(matches!(
        read,
        PhotoRead::Done(Err(PresenceError::Http { status: 403, .. }))
    ));
    // A late answer for nobody's picture changes nothing.
    assert_eq!(
        reader.handle_photo(
            &UserId::new("carol"),
            Err(PresenceError::Config("x".into())),
            0
        ),
        PhotoRead::Unknown
    );
}
