//! The link to a presence-relay as a state machine, natively: the stream request it asks for,
//! its resume with `Last-Event-ID` and `added`, the relay's `retry:` hint, a 401 and an `auth`
//! event (new credentials once, then the backoff), a 403 or 404 for one source, the backoff and
//! `Retry-After`, with the relay's documented answers and events in and the effects out.
#![cfg(all(not(target_arch = "wasm32"), feature = "relay"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_widgets::core::link::{Link, LinkEffect, News, StreamId, MAX_ID_BYTES, RETRY_MS};
use presence_widgets::core::reader::Mode;
use presence_widgets::core::{Availability, HttpRequest, HttpResponse, PresenceError, UserId};

const BASE: &str = "https://relay.test";

fn ids(list: &[&str]) -> Vec<UserId> {
    list.iter().map(|s| UserId::from(*s)).collect()
}

fn effects(link: &mut Link) -> Vec<LinkEffect> {
    std::iter::from_fn(|| link.poll_effect()).collect()
}

/// The one `Open` among `effects`: (stream, request, renew).
fn opened(effects: &[LinkEffect]) -> (StreamId, HttpRequest, bool) {
    let opens: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            LinkEffect::Open {
                stream,
                request,
                renew,
                ..
            } => Some((*stream, request.clone(), *renew)),
            _ => None,
        })
        .collect();
    assert_eq!(opens.len(), 1, "{effects:?}");
    opens.into_iter().next().unwrap()
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn failed(effects: &[LinkEffect]) -> Option<&PresenceError> {
    effects.iter().find_map(|e| match e {
        LinkEffect::Failed(error) => Some(error),
        _ => None,
    })
}

fn news_for<'a>(effects: &'a [LinkEffect], source: &str) -> Vec<&'a News> {
    effects
        .iter()
        .filter_map(|e| match e {
            LinkEffect::News { source: s, news } if s == source => Some(news),
            _ => None,
        })
        .collect()
}

fn snapshot(id: &str, users: &[(&str, &str, &str)]) -> Vec<u8> {
    let presences: Vec<String> = users
        .iter()
        .map(|(source, user, availability)| {
            format!(
                r#"{{"source":"{source}","user":"{user}","status":"fresh","presence":{{"user":"{user}","provider":"graph","availability":"{availability}"}}}}"#
            )
        })
        .collect();
    format!(
        "event: snapshot\nid: {id}\ndata: {{\"presences\":[{}],\"states\":[{{\"source\":\"teams\",\"mode\":\"push\",\"stale\":false,\"reason\":null}}]}}\n\n",
        presences.join(",")
    )
    .into_bytes()
}

/// A link watching `watch`, its stream open at `at` and its snapshot (event id `teams=1`) in.
fn open_link(watch: Vec<(String, Vec<UserId>)>, at: u64) -> (Link, StreamId) {
    let mut link = Link::new(BASE, 7);
    link.handle_watch(watch, at);
    let (stream, _, _) = opened(&effects(&mut link));
    link.handle_opened(stream, at);
    link.handle_chunk(stream, &snapshot("teams=1", &[]), at);
    effects(&mut link);
    (link, stream)
}

#[test]
fn the_whole_watch_set_is_one_request_and_nobody_watched_is_no_stream() {
    let mut link = Link::new("https://relay.test/", 1);
    link.handle_watch(
        vec![
            ("teams".into(), ids(&["a", "b"])),
            ("chat".into(), ids(&["c"])),
        ],
        0,
    );
    let (stream, request, renew) = opened(&effects(&mut link));
    assert_eq!(request.url, "https://relay.test/v1/stream");
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a","b"],"chat":["c"]}}"#)
    );
    assert_eq!(header(&request, "Last-Event-ID"), None);
    assert!(!renew);
    assert_eq!(link.stream(), Some(stream));
    // Everyone gone: the stream is closed and none is opened.
    link.handle_watch(Vec::new(), 5);
    assert_eq!(effects(&mut link), [LinkEffect::Close { stream }]);
    assert_eq!((link.stream(), link.next_timeout()), (None, None));
}

#[test]
fn a_snapshot_and_presence_events_reach_their_sources_confirmed() {
    let mut link = Link::new(BASE, 1);
    link.handle_watch(
        vec![("teams".into(), ids(&["a"])), ("chat".into(), ids(&["c"]))],
        0,
    );
    let (stream, _, _) = opened(&effects(&mut link));
    link.handle_opened(stream, 100);
    // Cut anywhere, the events are the same.
    let body = snapshot("teams=1", &[("teams", "a", "Busy"), ("chat", "c", "Away")]);
    let (head, tail) = body.split_at(37);
    link.handle_chunk(stream, head, 150);
    assert!(effects(&mut link).is_empty());
    link.handle_chunk(stream, tail, 200);
    let got = effects(&mut link);
    assert_eq!(news_for(&got, "teams")[0], &News::Mode(Mode::Push));
    let News::Entries(teams) = news_for(&got, "teams")[1] else {
        panic!("{got:?}")
    };
    assert_eq!(teams[0].user, UserId::from("a"));
    assert_eq!(
        teams[0].presence.as_ref().map(|p| p.availability),
        Some(Availability::Busy)
    );
    // The relay did not say when: confirmed as it arrived.
    assert_eq!(teams[0].confirmed_ms, Some(200));
    assert_eq!(news_for(&got, "chat").len(), 1);
    let state = b"event: state\ndata: {\"source\":\"chat\",\"mode\":\"poll\",\"stale\":true,\"reason\":\"429\"}\n\n";
    link.handle_chunk(stream, state, 300);
    assert_eq!(
        effects(&mut link),
        [LinkEffect::News {
            source: "chat".into(),
            news: News::Mode(Mode::Poll(Some("429".into())))
        }]
    );
    // An event that cannot be read costs that event only.
    link.handle_chunk(stream, b"event: presence\ndata: <html>\n\n", 400);
    assert!(matches!(&effects(&mut link)[..], [LinkEffect::Note(_)]));
    assert_eq!(link.stream(), Some(stream));
}

#[test]
fn a_new_watch_set_resumes_with_last_event_id_naming_the_people_added() {
    let (mut link, first) = open_link(vec![("teams".into(), ids(&["a"]))], 0);
    link.handle_chunk(
        first,
        b"event: presence\nid: teams=9\ndata: {\"source\":\"teams\",\"user\":\"a\",\"status\":\"fresh\",\"presence\":{\"user\":\"a\",\"provider\":\"graph\",\"availability\":\"Away\"}}\n\n",
        10,
    );
    effects(&mut link);
    link.handle_watch(
        vec![
            ("teams".into(), ids(&["a", "b"])),
            ("chat".into(), ids(&["c"])),
        ],
        20,
    );
    let got = effects(&mut link);
    assert_eq!(got[0], LinkEffect::Close { stream: first });
    let (second, request, _) = opened(&got);
    assert_ne!(second, first);
    assert_eq!(header(&request, "Last-Event-ID"), Some("teams=9"));
    assert_eq!(
        request.body.as_deref(),
        Some(
            r#"{"sources":{"teams":["a","b"],"chat":["c"]},"added":{"teams":["b"],"chat":["c"]}}"#
        )
    );
    // Cut before its snapshot: the next stream names them again.
    link.handle_opened(second, 30);
    link.handle_ended(second, 40);
    assert_eq!(link.next_timeout(), Some(40 + RETRY_MS));
    link.handle_timeout(40 + RETRY_MS);
    let (_, request, _) = opened(&effects(&mut link));
    assert_eq!(
        request.body.as_deref(),
        Some(
            r#"{"sources":{"teams":["a","b"],"chat":["c"]},"added":{"teams":["b"],"chat":["c"]}}"#
        )
    );
}

#[test]
fn a_stream_the_relay_ends_is_resumed_after_its_retry_hint() {
    let (mut link, stream) = open_link(vec![("teams".into(), ids(&["a"]))], 0);
    link.handle_chunk(stream, b"retry: 7000\n\n", 10);
    link.handle_ended(stream, 50);
    assert!(failed(&effects(&mut link)).is_none(), "nobody is told");
    assert_eq!(link.next_timeout(), Some(7_050));
    link.handle_timeout(7_049);
    assert!(effects(&mut link).is_empty(), "not before the hint");
    link.handle_timeout(7_050);
    let (_, request, _) = opened(&effects(&mut link));
    assert_eq!(header(&request, "Last-Event-ID"), Some("teams=1"));
    // Nobody new: nothing added.
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a"]}}"#)
    );
}

#[test]
fn a_401_asks_new_credentials_once_then_backs_off() {
    let mut link = Link::new(BASE, 3);
    link.handle_watch(vec![("teams".into(), ids(&["a"]))], 0);
    let (stream, _, renew) = opened(&effects(&mut link));
    assert!(!renew);
    let expired = HttpResponse::new(
        401,
        r#"{"error":"unauthorized","reason":"the token has expired"}"#,
    );
    link.handle_refused(stream, &expired, 10);
    let got = effects(&mut link);
    assert!(failed(&got).is_none(), "the first 401 is not shown");
    let (again, _, renew) = opened(&got);
    assert!(renew, "new credentials");
    // Refused again: everyone is told why and the link backs off.
    link.handle_refused(again, &expired, 20);
    let got = effects(&mut link);
    assert_eq!(
        failed(&got).map(ToString::to_string).as_deref(),
        Some("relay: HTTP 401: unauthorized: the token has expired")
    );
    assert!(!got.iter().any(|e| matches!(e, LinkEffect::Open { .. })));
    let at = link.next_timeout().expect("a timer");
    assert!((20 + 1_000..=20 + 2_000).contains(&at), "{at}");
    link.handle_timeout(at);
    let (_, _, renew) = opened(&effects(&mut link));
    assert!(renew, "the next try asks new credentials too");
}

#[test]
fn an_auth_event_renews_at_once_unless_the_stream_just_opened() {
    let (mut link, stream) = open_link(vec![("teams".into(), ids(&["a"]))], 0);
    let auth = b"event: auth\ndata: {\"reason\":\"the token expires\"}\n\n";
    link.handle_chunk(stream, auth, 60_000);
    let got = effects(&mut link);
    assert_eq!(got[0], LinkEffect::Close { stream });
    let (again, request, renew) = opened(&got);
    assert!(renew);
    assert_eq!(header(&request, "Last-Event-ID"), Some("teams=1"));
    assert!(failed(&got).is_none());
    // The new token is refused within 5 s of opening: back off.
    link.handle_opened(again, 60_100);
    link.handle_chunk(again, auth, 61_000);
    let got = effects(&mut link);
    assert!(failed(&got).is_some(), "{got:?}");
    assert!(!got.iter().any(|e| matches!(e, LinkEffect::Open { .. })));
    assert!(link.next_timeout().is_some());
}

#[test]
fn a_403_or_404_for_one_source_refuses_that_source_only() {
    let mut link = Link::new(BASE, 5);
    let watch = vec![("teams".into(), ids(&["a"])), ("chat".into(), ids(&["c"]))];
    link.handle_watch(watch.clone(), 0);
    let (stream, _, _) = opened(&effects(&mut link));
    let unknown = HttpResponse::new(404, r#"{"error":"unknown source","source":"chat"}"#);
    link.handle_refused(stream, &unknown, 10);
    let got = effects(&mut link);
    let chat = news_for(&got, "chat");
    assert!(
        matches!(
            chat[..],
            [News::Refused(PresenceError::Http { status: 404, .. })]
        ),
        "{got:?}"
    );
    assert!(failed(&got).is_none(), "the other sources are not failed");
    let (stream, request, _) = opened(&got);
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a"]}}"#)
    );
    // Later watch sets leave it out too, and its new widgets are told.
    let mut later = watch;
    later[1].1.push(UserId::from("d"));
    link.handle_watch(later, 20);
    let got = effects(&mut link);
    assert_eq!(news_for(&got, "chat").len(), 1);
    let (stream2, request, _) = opened(&got);
    assert_ne!(stream2, stream);
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a"]}}"#)
    );
    // A 403 naming the last source: no stream is left to open.
    let forbidden = HttpResponse::new(403, r#"{"error":"forbidden","source":"teams"}"#);
    link.handle_refused(stream2, &forbidden, 30);
    let got = effects(&mut link);
    assert_eq!(news_for(&got, "teams").len(), 1);
    assert!(!got.iter().any(|e| matches!(e, LinkEffect::Open { .. })));
    // A 404 that names no source of the page fails everyone.
    let mut link = Link::new(BASE, 5);
    link.handle_watch(vec![("teams".into(), ids(&["a"]))], 0);
    let (stream, _, _) = opened(&effects(&mut link));
    link.handle_refused(stream, &HttpResponse::new(404, "not found"), 10);
    assert!(failed(&effects(&mut link)).is_some());
}

#[test]
fn failures_back_off_with_retry_after_and_a_snapshot_ends_them() {
    let (mut link, stream) = open_link(vec![("teams".into(), ids(&["a"]))], 0);
    let network = PresenceError::Network {
        provider: presence_widgets::core::ProviderKind::Relay,
        message: "reset".into(),
    };
    // A working stream that breaks: back after the hint, the first time.
    link.handle_failed(stream, network.clone(), 1_000);
    assert!(failed(&effects(&mut link)).is_some());
    assert_eq!(link.next_timeout(), Some(1_000 + RETRY_MS));
    link.handle_timeout(1_000 + RETRY_MS);
    let (stream, request, _) = opened(&effects(&mut link));
    // Everyone was shown the failure: a whole snapshot, not a resume.
    assert_eq!(header(&request, "Last-Event-ID"), None);
    // Unreachable again: the backoff doubles (2-4 s, then 4-8 s, with jitter).
    link.handle_failed(stream, network.clone(), 4_000);
    let at = link.next_timeout().unwrap();
    assert!((4_000 + 2_000..=4_000 + 4_000).contains(&at), "{at}");
    link.handle_timeout(at);
    let (stream, _, _) = opened(&effects(&mut link));
    link.handle_failed(stream, network, at);
    let next = link.next_timeout().unwrap();
    assert!((at + 4_000..=at + 8_000).contains(&next), "{next}");
    // A 503 asking for 30 s is waited out.
    link.handle_timeout(next);
    let (stream, _, _) = opened(&effects(&mut link));
    let mut busy = HttpResponse::new(503, r#"{"error":"unavailable"}"#);
    busy.headers.push(("Retry-After".into(), "30".into()));
    link.handle_refused(stream, &busy, next);
    assert!(link.next_timeout().unwrap() >= next + 30_000);
    // A snapshot ends the run of failures: the next break is back after the hint.
    link.handle_timeout(next + 30_000);
    let (stream, _, _) = opened(&effects(&mut link));
    link.handle_opened(stream, next + 30_000);
    link.handle_chunk(stream, &snapshot("teams=2", &[]), next + 30_001);
    link.handle_failed(stream, PresenceError::Config("reset".into()), next + 40_000);
    assert_eq!(link.next_timeout(), Some(next + 40_000 + RETRY_MS));
}

#[test]
fn an_id_too_long_costs_that_person_only() {
    let mut link = Link::new(BASE, 9);
    let long = "x".repeat(MAX_ID_BYTES + 1);
    link.handle_watch(
        vec![(
            "teams".into(),
            vec![UserId::from("a"), UserId::from(long.as_str())],
        )],
        0,
    );
    let got = effects(&mut link);
    let teams = news_for(&got, "teams");
    let [News::Rejected(rejected)] = &teams[..] else {
        panic!("{got:?}")
    };
    assert_eq!(rejected[0].0, UserId::from(long.as_str()));
    let (_, request, _) = opened(&got);
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a"]}}"#)
    );
}

#[test]
fn what_a_replaced_stream_says_is_dropped() {
    let (mut link, old) = open_link(vec![("teams".into(), ids(&["a"]))], 0);
    link.handle_watch(vec![("teams".into(), ids(&["a", "b"]))], 10);
    let (new, _, _) = opened(&effects(&mut link));
    link.handle_chunk(old, &snapshot("teams=5", &[("teams", "a", "Busy")]), 20);
    link.handle_failed(old, PresenceError::Config("late".into()), 20);
    link.handle_ended(old, 20);
    assert!(effects(&mut link).is_empty());
    assert_eq!((link.stream(), link.next_timeout()), (Some(new), None));
}

#[test]
fn the_same_watch_set_again_reopens_nothing() {
    let watch = vec![("teams".to_owned(), ids(&["a", "b"]))];
    let (mut link, stream) = open_link(watch.clone(), 0);
    // A badge removed and added back in one task: the same set, the same stream.
    link.handle_watch(watch.clone(), 10);
    assert!(effects(&mut link).is_empty());
    assert_eq!(link.stream(), Some(stream));
    // While it waits out a failure, the same set does not cut the backoff short.
    link.handle_refused(stream, &HttpResponse::new(503, "{}"), 20);
    effects(&mut link);
    let at = link.next_timeout().unwrap();
    link.handle_watch(watch.clone(), 30);
    assert!(effects(&mut link).is_empty());
    assert_eq!(link.next_timeout(), Some(at));
    // A new person does, at once.
    link.handle_watch(vec![("teams".to_owned(), ids(&["a", "b", "c"]))], 40);
    let (_, request, _) = opened(&effects(&mut link));
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"sources":{"teams":["a","b","c"]}}"#)
    );
}
