//! The push sessions as state machines, natively: the documented frames in (API-FACTS.md 2.6 and
//! 3.7, the fixtures named below), what the driver must do out.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_widgets::core::providers::genesys::channel::{Channels, CHANNELS, SUBSCRIPTIONS};
use presence_widgets::core::providers::rocketchat::ddp::{Ddp, PING_AFTER_MS, PONG_WITHIN_MS};
use presence_widgets::core::push::{Action, PushSession, GARBAGE_LIMIT};
use presence_widgets::core::{
    Availability, Credentials, Genesys, HttpResponse, Method, PresenceError, Secret, UserId,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn drain(session: &mut dyn PushSession) -> Vec<Action> {
    std::iter::from_fn(|| session.poll_action()).collect()
}

fn sent(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

const CAT: &str = "aobEdbYhXfu5hkeqG";

fn rc_credentials(token: &str) -> Credentials {
    Credentials::RocketChat {
        user_id: "u0".into(),
        auth_token: Secret::new(token),
    }
}

/// A DDP session whose socket is open and `connected`, its login frame sent and taken.
fn connected_ddp(token: &str) -> Ddp {
    let mut ddp = Ddp::new("https://chat.example.com", &rc_credentials(token), 0).unwrap();
    ddp.start(0);
    ddp.opened(1, 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 0);
    drain(&mut ddp);
    ddp
}

/// A DDP session brought to `ready`, watching `CAT`.
fn live_ddp() -> Ddp {
    let mut ddp = Ddp::new("https://chat.example.com", &rc_credentials("resume-me"), 0).unwrap();
    ddp.watch(&[UserId::new(CAT)], &[], 0);
    ddp.start(0);
    ddp.opened(1, 1);
    ddp.frame(1, r#"{"server_id":"0"}"#, 2);
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 3);
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-result-01.json"), 4);
    ddp.frame(1, &fixture("own/rocketchat-ddp-ready-01.json"), 5);
    drain(&mut ddp);
    ddp
}

#[test]
fn ddp_connects_logs_in_inside_the_socket_and_subscribes() {
    let mut ddp = Ddp::new("https://chat.example.com/", &rc_credentials("resume-me"), 0).unwrap();
    ddp.watch(&[UserId::new(CAT)], &[], 0);
    ddp.start(0);
    let actions = drain(&mut ddp);
    assert_eq!(
        actions,
        [Action::Open {
            socket: 1,
            url: "wss://chat.example.com/websocket".into()
        }],
        "the URL carries no token"
    );
    ddp.opened(1, 1);
    assert_eq!(
        sent(&drain(&mut ddp)),
        [r#"{"msg":"connect","version":"1","support":["1"]}"#]
    );
    // A first frame without `msg` comes before `connected`: ignored.
    ddp.frame(1, r#"{"server_id":"0"}"#, 2);
    assert!(drain(&mut ddp).is_empty());
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 3);
    assert_eq!(
        sent(&drain(&mut ddp)),
        [r#"{"msg":"method","method":"login","id":"login","params":[{"resume":"resume-me"}]}"#]
    );
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-result-01.json"), 4);
    assert_eq!(
        sent(&drain(&mut ddp)),
        [format!(
            r#"{{"msg":"sub","id":"presence","name":"stream-user-presence","params":["",{{"added":["{CAT}"],"removed":[]}}]}}"#
        )]
    );
    assert!(!ddp.is_live());
    ddp.frame(1, &fixture("own/rocketchat-ddp-ready-01.json"), 5);
    assert!(ddp.is_live());
    // No snapshot comes over the socket: the driver reads users.presence now.
    assert_eq!(
        drain(&mut ddp),
        [Action::Subscribed(vec![UserId::new(CAT)])]
    );
}

#[test]
fn ddp_reads_changed_frames_by_the_frame_id_and_position() {
    let mut ddp = live_ddp();
    ddp.frame(1, &fixture("own/rocketchat-ddp-changed-01.json"), 10);
    let Some(Action::Presences(p)) = ddp.poll_action() else {
        panic!("no presence")
    };
    assert_eq!(p[0].user.as_str(), CAT);
    assert_eq!(p[0].availability, Availability::Busy);
    assert_eq!(p[0].message.as_deref(), Some("On a call"));
    // Named as REST names the status, so a push and a poll of the same status are equal; the
    // username is not the display name REST gives, so none is set.
    assert_eq!(p[0].raw, "busy");
    assert_eq!(p[0].display_name, None);
    for (code, availability) in [
        (0, Availability::Offline),
        (1, Availability::Available),
        (2, Availability::Away),
        (3, Availability::Busy),
        (9, Availability::Unknown),
    ] {
        let frame = format!(
            r#"{{"msg":"changed","collection":"stream-user-presence","id":"{CAT}","fields":{{"args":[["rocket.cat",{code}]],"eventName":"{CAT}"}}}}"#
        );
        ddp.frame(1, &frame, 11);
        let Some(Action::Presences(p)) = ddp.poll_action() else {
            panic!("no presence for {code}")
        };
        assert_eq!(p[0].availability, availability, "{code}");
    }
    // Someone nobody watches: dropped and counted.
    let before = ddp.stats().dropped;
    ddp.frame(
        1,
        r#"{"msg":"changed","collection":"stream-user-presence","id":"other","fields":{"args":[["x",1]],"eventName":"other"}}"#,
        12,
    );
    assert!(ddp.poll_action().is_none());
    assert_eq!(ddp.stats().dropped, before + 1);
}

#[test]
fn ddp_reads_the_legacy_user_status_event() {
    let mut ddp = Ddp::new("https://chat.example.com", &rc_credentials("t"), 0).unwrap();
    ddp.watch(&[UserId::new("uNqJeFuag2344i62k")], &[], 0);
    ddp.start(0);
    ddp.opened(1, 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-result-01.json"), 0);
    drain(&mut ddp);
    ddp.frame(
        1,
        &fixture("provider-docs/rocketchat-stream-notify-logged-01.json"),
        1,
    );
    let Some(Action::Presences(p)) = ddp.poll_action() else {
        panic!("no presence")
    };
    assert_eq!(p[0].user.as_str(), "uNqJeFuag2344i62k");
    assert_eq!(p[0].availability, Availability::Available);
    assert_eq!(p[0].raw, "online");
}

#[test]
fn ddp_answers_pings_with_their_id_and_pings_a_silent_server() {
    let mut ddp = live_ddp();
    ddp.frame(1, &fixture("own/rocketchat-ddp-ping-01.json"), 10);
    assert_eq!(sent(&drain(&mut ddp)), [r#"{"msg":"pong","id":"p-17"}"#]);
    ddp.frame(1, r#"{"msg":"ping"}"#, 10);
    assert_eq!(sent(&drain(&mut ddp)), [r#"{"msg":"pong"}"#]);
    let quiet = 10 + PING_AFTER_MS;
    assert_eq!(ddp.next_timeout(), Some(quiet));
    ddp.timeout(quiet);
    assert_eq!(sent(&drain(&mut ddp)), [r#"{"msg":"ping"}"#]);
    ddp.timeout(quiet + PONG_WITHIN_MS);
    let actions = drain(&mut ddp);
    assert!(
        matches!(actions.last(), Some(Action::Failed(PresenceError::Network { message, .. })) if message.starts_with("no frame for")),
        "{actions:?}"
    );
}

#[test]
fn people_added_while_subscribing_are_announced_once() {
    let mut ddp = Ddp::new("https://chat.example.com", &rc_credentials("t"), 0).unwrap();
    ddp.watch(&[UserId::new(CAT)], &[], 0);
    ddp.start(0);
    ddp.opened(1, 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-result-01.json"), 0);
    drain(&mut ddp);
    ddp.watch(&[UserId::new("rocket.cat")], &[], 1);
    ddp.frame(1, &fixture("own/rocketchat-ddp-ready-01.json"), 2);
    let actions = drain(&mut ddp);
    let announced: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::Subscribed(_)))
        .collect();
    assert_eq!(
        announced,
        [&Action::Subscribed(vec![
            UserId::new(CAT),
            UserId::new("rocket.cat")
        ])]
    );
    assert_eq!(
        sent(&actions).len(),
        1,
        "the set changes by one subscription frame"
    );
}

#[test]
fn ddp_changes_the_set_with_later_subscriptions_that_end_at_once() {
    let mut ddp = live_ddp();
    ddp.watch(&[UserId::new("rocket.cat")], &[UserId::new(CAT)], 20);
    let actions = drain(&mut ddp);
    assert_eq!(
        sent(&actions),
        [
            r#"{"msg":"sub","id":"change-1","name":"stream-user-presence","params":["",{"added":["rocket.cat"],"removed":["aobEdbYhXfu5hkeqG"]}]}"#
        ]
    );
    assert!(actions.contains(&Action::Subscribed(vec![UserId::new("rocket.cat")])));
    // Its `nosub` is how Rocket.Chat ends a change: the session stays live.
    ddp.frame(1, &fixture("own/rocketchat-ddp-nosub-01.json"), 21);
    assert!(drain(&mut ddp).is_empty());
    assert!(ddp.is_live());
    // But the presence subscription itself ending is a failure.
    ddp.frame(
        1,
        r#"{"msg":"nosub","id":"presence","error":{"error":"not-allowed","reason":"Not allowed"}}"#,
        22,
    );
    assert!(matches!(drain(&mut ddp).last(), Some(Action::Failed(_))));
}

#[test]
fn ddp_asks_for_credentials_again_when_the_login_is_refused_or_expires() {
    let mut ddp = connected_ddp("old");
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-error-01.json"), 1);
    assert_eq!(drain(&mut ddp), [Action::Renew]);
    ddp.credentials(&rc_credentials("new"), 2);
    assert_eq!(
        sent(&drain(&mut ddp)),
        [r#"{"msg":"method","method":"login","id":"login","params":[{"resume":"new"}]}"#]
    );
    // The new token expires (tokenExpires in the fixture): renewed five minutes before.
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-result-01.json"), 3);
    ddp.frame(1, &fixture("own/rocketchat-ddp-ready-01.json"), 3);
    drain(&mut ddp);
    let renew_at = 1_803_198_000_000 - 5 * 60_000;
    assert_eq!(ddp.next_timeout(), Some(3 + PING_AFTER_MS));
    ddp.frame(1, r#"{"msg":"pong"}"#, renew_at - 1);
    ddp.timeout(renew_at);
    assert!(drain(&mut ddp).contains(&Action::Renew));
    // A second refusal in a row gives up.
    ddp.credentials(&rc_credentials("newer"), renew_at + 1);
    drain(&mut ddp);
    ddp.frame(
        1,
        &fixture("own/rocketchat-ddp-login-error-01.json"),
        renew_at + 2,
    );
    assert!(matches!(drain(&mut ddp).last(), Some(Action::Failed(_))));
}

#[test]
fn a_login_refused_twice_in_a_row_ends_the_session() {
    let mut ddp = connected_ddp("old");
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-error-01.json"), 1);
    assert_eq!(drain(&mut ddp), [Action::Renew]);
    // The same token again (fixed credentials): refused again, and no third try.
    ddp.credentials(&rc_credentials("old"), 2);
    drain(&mut ddp);
    ddp.frame(1, &fixture("own/rocketchat-ddp-login-error-01.json"), 3);
    assert!(matches!(drain(&mut ddp).last(), Some(Action::Failed(_))));
}

#[test]
fn a_session_that_never_becomes_live_gives_up() {
    let mut ddp = Ddp::new("https://chat.example.com", &rc_credentials("t"), 0).unwrap();
    ddp.start(0);
    ddp.opened(1, 0);
    drain(&mut ddp);
    // The server answers pings but never `connected`.
    for t in (0..30_000).step_by(5_000) {
        ddp.frame(1, r#"{"msg":"ping"}"#, t);
    }
    drain(&mut ddp);
    assert_eq!(ddp.next_timeout(), Some(30_000));
    ddp.timeout(30_000);
    assert!(
        matches!(drain(&mut ddp).last(), Some(Action::Failed(e)) if e.to_string().contains("not subscribed"))
    );
    assert!(
        Ddp::new("http://chat.example.com", &rc_credentials("t"), 0).is_err(),
        "no token in clear text"
    );
}

#[test]
fn a_second_401_for_the_same_request_ends_the_channels() {
    let mut c = live_channels(&[G1]);
    c.watch(&[UserId::new(G2)], &[], 5);
    let put = requests(&drain(&mut c)).remove(0);
    let unauthorized = || Ok(HttpResponse::new(401, r#"{"message":"expired"}"#));
    c.answer(&put, unauthorized(), 6);
    assert_eq!(drain(&mut c), [Action::Renew]);
    c.credentials(&Credentials::Bearer(Secret::new("same")), 7);
    assert_eq!(requests(&drain(&mut c)), std::slice::from_ref(&put));
    c.answer(&put, unauthorized(), 8);
    assert!(matches!(drain(&mut c).last(), Some(Action::Failed(_))));
}

#[test]
fn a_throttled_subscription_is_the_channel_s_trouble_not_its_people_s() {
    let mut c = live_channels(&[G1]);
    c.watch(&[UserId::new(G2)], &[], 5);
    let put = requests(&drain(&mut c)).remove(0);
    c.answer(
        &put,
        Ok(HttpResponse::new(429, r#"{"message":"slow down"}"#).with_header("Retry-After", "3")),
        6,
    );
    let actions = drain(&mut c);
    assert!(
        matches!(actions.last(), Some(Action::Failed(_))),
        "{actions:?}"
    );
    assert!(!actions.iter().any(|a| matches!(a, Action::Unpushed(_))));
}

#[test]
fn a_login_frame_never_shows_its_token_in_debug() {
    let mut ddp = Ddp::new(
        "https://chat.example.com",
        &rc_credentials("s3cret-token"),
        0,
    )
    .unwrap();
    ddp.start(0);
    ddp.opened(1, 0);
    ddp.frame(1, &fixture("own/rocketchat-ddp-connected-01.json"), 0);
    let actions = drain(&mut ddp);
    assert!(sent(&actions).iter().any(|t| t.contains("s3cret-token")));
    assert!(!format!("{actions:?}").contains("s3cret-token"));
}

#[test]
fn garbage_is_dropped_and_counted_and_too_much_of_it_ends_the_socket() {
    let mut ddp = live_ddp();
    for n in 1..GARBAGE_LIMIT {
        ddp.frame(1, "<html>not DDP", u64::from(n));
        assert!(drain(&mut ddp).is_empty(), "frame {n} is dropped only");
    }
    // A good frame in between resets the count.
    ddp.frame(1, r#"{"msg":"pong"}"#, 10);
    for _ in 1..GARBAGE_LIMIT {
        ddp.frame(1, "{\"msg\":", 11);
    }
    assert!(ddp.is_live());
    ddp.frame(1, "]]", 12);
    let actions = drain(&mut ddp);
    assert!(actions.contains(&Action::Close {
        socket: 1,
        code: 1000
    }));
    assert!(matches!(actions.last(), Some(Action::Failed(_))));
    assert_eq!(ddp.stats().dropped, u64::from(GARBAGE_LIMIT * 2 - 1));
}

#[test]
fn a_closed_socket_fails_the_session_once() {
    let mut ddp = live_ddp();
    ddp.closed(1, 4000, 30);
    let actions = drain(&mut ddp);
    assert!(
        matches!(&actions[..], [Action::Failed(PresenceError::Network { message, .. })] if message.contains("4000")),
        "{actions:?}"
    );
    ddp.closed(1, 4000, 31);
    ddp.frame(1, r#"{"msg":"ping"}"#, 32);
    assert!(drain(&mut ddp).is_empty());
}

// Genesys Cloud notification channels.

const G1: &str = "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f";
const G2: &str = "2c0f4e70-6d55-4d46-a1b4-9c4f0b6f7a11";

fn genesys() -> Genesys {
    Genesys::new("https://api.mypurecloud.com")
}

fn requests(actions: &[Action]) -> Vec<presence_widgets::core::HttpRequest> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Request(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// A session with one live channel watching `ids`.
fn live_channels(ids: &[&str]) -> Channels {
    let mut c = Channels::new(genesys());
    let users: Vec<UserId> = ids.iter().map(|i| UserId::new(*i)).collect();
    c.watch(&users, &[], 0);
    c.start(0);
    let create = requests(&drain(&mut c)).remove(0);
    c.answer(
        &create,
        Ok(HttpResponse::new(
            200,
            fixture("own/genesys-channel-01.json"),
        )),
        1,
    );
    drain(&mut c);
    c.opened(1, 2);
    let put = requests(&drain(&mut c)).remove(0);
    c.answer(&put, Ok(HttpResponse::new(200, r#"{"entities":[]}"#)), 3);
    drain(&mut c);
    c
}

#[test]
fn a_channel_is_made_opened_without_a_token_and_subscribed() {
    let mut c = Channels::new(genesys());
    c.watch(&[UserId::new(G1), UserId::new(G2)], &[], 0);
    c.start(0);
    let create = requests(&drain(&mut c)).remove(0);
    assert_eq!(create.endpoint, CHANNELS);
    assert_eq!(create.method, Method::Post);
    assert_eq!(
        create.url,
        "https://api.mypurecloud.com/api/v2/notifications/channels"
    );
    c.answer(
        &create,
        Ok(HttpResponse::new(
            200,
            fixture("own/genesys-channel-01.json"),
        )),
        1,
    );
    assert_eq!(
        drain(&mut c),
        [Action::Open {
            socket: 1,
            url: "wss://streaming.mypurecloud.com/channels/streaming-0-fmtdmf8cdis7jh14udg5p89t6z"
                .into()
        }]
    );
    c.opened(1, 2);
    let put = requests(&drain(&mut c)).remove(0);
    assert_eq!((put.endpoint, put.method), (SUBSCRIPTIONS, Method::Put));
    assert_eq!(
        put.url,
        "https://api.mypurecloud.com/api/v2/notifications/channels/streaming-0-fmtdmf8cdis7jh14udg5p89t6z/subscriptions"
    );
    assert_eq!(
        put.body.as_deref(),
        Some(
            format!(r#"[{{"id":"v2.users.{G2}.presence"}},{{"id":"v2.users.{G1}.presence"}}]"#)
                .as_str()
        )
    );
    // One topic refused: that person is polled, with the reason; the other is pushed.
    c.answer(
        &put,
        Ok(HttpResponse::new(
            200,
            fixture("own/genesys-subscriptions-rejected-01.json"),
        )),
        3,
    );
    let actions = drain(&mut c);
    let Some(Action::Unpushed(refused)) = actions.first() else {
        panic!("{actions:?}")
    };
    assert_eq!(refused[0].0.as_str(), G2);
    assert!(refused[0]
        .1
        .to_string()
        .contains("missing permissions: directory:user:view"));
    assert_eq!(
        actions.get(1),
        Some(&Action::Subscribed(vec![UserId::new(G1)]))
    );
    assert!(c.is_live());
    c.frame(
        1,
        &fixture("provider-docs/genesys-notification-userpresence-01.json"),
        4,
    );
    let Some(Action::Presences(p)) = c.poll_action() else {
        panic!("no presence")
    };
    assert_eq!(
        (p[0].user.as_str(), p[0].availability),
        (G1, Availability::Available)
    );
}

#[test]
fn a_connect_uri_in_clear_text_elsewhere_is_refused() {
    let mut c = Channels::new(genesys());
    c.watch(&[UserId::new(G1)], &[], 0);
    c.start(0);
    let create = requests(&drain(&mut c)).remove(0);
    let body = r#"{"id":"c1","connectUri":"ws://streaming.example.com/channels/c1","expires":"2026-12-02T09:30:00Z"}"#;
    c.answer(&create, Ok(HttpResponse::new(200, body)), 1);
    assert!(matches!(drain(&mut c).last(), Some(Action::Failed(_))));
}

#[test]
fn a_thousand_people_take_one_channel_and_a_thousand_and_one_two() {
    for (people, channels) in [(1000, 1), (1001, 2), (20_500, 20)] {
        let mut c = Channels::new(genesys());
        let ids: Vec<UserId> = (0..people)
            .map(|i| UserId::new(format!("u{i:05}")))
            .collect();
        c.watch(&ids, &[], 0);
        c.start(0);
        let actions = drain(&mut c);
        assert_eq!(c.channel_count(), channels, "{people}");
        // One creation at a time: the next is asked for once the first is answered.
        assert_eq!(requests(&actions).len(), 1);
        if people > 20_000 {
            let Some(Action::Unpushed(rest)) =
                actions.iter().find(|a| matches!(a, Action::Unpushed(_)))
            else {
                panic!("nobody left to polling")
            };
            assert_eq!(rest.len(), 500);
        }
    }
    let mut c = Channels::new(genesys());
    let ids: Vec<UserId> = (0..1001).map(|i| UserId::new(format!("u{i:05}"))).collect();
    c.watch(&ids, &[], 0);
    c.start(0);
    let create = requests(&drain(&mut c)).remove(0);
    let answer = |id: &str| {
        HttpResponse::new(
            200,
            format!(
                r#"{{"id":"{id}","connectUri":"wss://streaming.mypurecloud.com/channels/{id}","expires":"2026-12-02T09:30:00Z"}}"#
            ),
        )
    };
    c.answer(&create, Ok(answer("c1")), 1);
    let actions = drain(&mut c);
    assert!(matches!(
        actions.first(),
        Some(Action::Open { socket: 1, .. })
    ));
    let second = requests(&actions).remove(0);
    c.answer(&second, Ok(answer("c2")), 2);
    c.opened(1, 3);
    c.opened(2, 3);
    let puts = requests(&drain(&mut c));
    let topics: Vec<usize> = puts.iter().map(|p| p.ids.len()).collect();
    assert_eq!(topics, [1000, 1]);
}

#[test]
fn heartbeats_keep_a_channel_and_their_absence_ends_it() {
    let mut c = live_channels(&[G1]).with_heartbeat_ms(1_000);
    c.frame(1, &fixture("own/genesys-heartbeat-01.json"), 2_000);
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.next_timeout(), Some(2_000 + 2_500));
    c.timeout(4_499);
    assert!(drain(&mut c).is_empty());
    c.timeout(4_500);
    let actions = drain(&mut c);
    assert!(
        matches!(actions.last(), Some(Action::Failed(e)) if e.to_string().contains("no heartbeat")),
        "{actions:?}"
    );
}

#[test]
fn socket_closing_moves_the_topics_to_a_new_channel_then_closes_the_old() {
    let mut c = live_channels(&[G1]);
    c.frame(1, &fixture("own/genesys-socket-closing-01.json"), 10);
    let create = requests(&drain(&mut c)).remove(0);
    assert_eq!(create.endpoint, CHANNELS);
    let body = r#"{"id":"c2","connectUri":"wss://streaming.mypurecloud.com/channels/c2","expires":"2026-12-02T09:30:00Z"}"#;
    c.answer(&create, Ok(HttpResponse::new(200, body)), 11);
    assert!(matches!(
        drain(&mut c).first(),
        Some(Action::Open { socket: 2, .. })
    ));
    c.opened(2, 12);
    let put = requests(&drain(&mut c)).remove(0);
    assert_eq!(put.ids, [UserId::new(G1)]);
    c.answer(&put, Ok(HttpResponse::new(200, r#"{"entities":[]}"#)), 13);
    let actions = drain(&mut c);
    assert!(
        actions.contains(&Action::Close {
            socket: 1,
            code: 1000
        }),
        "{actions:?}"
    );
    // The old socket closing now is expected, not a failure.
    c.closed(1, 1000, 14);
    assert!(drain(&mut c).is_empty());
    assert!(c.is_live());
    assert_eq!(c.channel_count(), 1);
}

#[test]
fn a_channel_moves_before_its_24_hours_end() {
    let mut c = live_channels(&[G1]);
    let ends = 1_796_203_800_000; // the fixture's `expires`
    c.frame(
        1,
        &fixture("own/genesys-heartbeat-01.json"),
        ends - 6 * 60_000,
    );
    drain(&mut c);
    c.timeout(ends - 5 * 60_000);
    let create = requests(&drain(&mut c));
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].endpoint, CHANNELS);
}

#[test]
fn token_revoked_and_401_ask_for_credentials_then_try_again() {
    let mut c = live_channels(&[G1]);
    c.frame(
        1,
        r#"{"topicName":"v2.system.token_revoked.7f2b","eventBody":{"message":"token revoked"}}"#,
        5,
    );
    assert_eq!(drain(&mut c), [Action::Renew]);
    c.watch(&[UserId::new(G2)], &[], 6);
    let put = requests(&drain(&mut c)).remove(0);
    c.answer(
        &put,
        Ok(HttpResponse::new(
            401,
            r#"{"message":"expired","code":"bad.credentials"}"#,
        )),
        7,
    );
    assert_eq!(drain(&mut c), [Action::Renew]);
    c.credentials(&Credentials::Bearer(Secret::new("new")), 8);
    assert_eq!(requests(&drain(&mut c)), [put]);
}

#[test]
fn a_refused_subscription_leaves_its_people_polled_with_the_reason() {
    let mut c = live_channels(&[G1]);
    c.watch(&[UserId::new(G2)], &[], 5);
    let put = requests(&drain(&mut c)).remove(0);
    let body = r#"{"message":"Missing permission","code":"missing.permissions","status":403}"#;
    c.answer(&put, Ok(HttpResponse::new(403, body)), 6);
    let actions = drain(&mut c);
    let Some(Action::Unpushed(refused)) = actions.first() else {
        panic!("{actions:?}")
    };
    assert_eq!(refused.len(), 2);
    assert!(refused[0].1.to_string().contains("HTTP 403"));
    assert!(c.is_live(), "the channel itself stays");
}

#[test]
fn frames_about_nobody_watched_or_unreadable_are_dropped_and_counted() {
    let mut c = live_channels(&[G2]);
    c.frame(
        1,
        &fixture("provider-docs/genesys-notification-userpresence-01.json"),
        5,
    );
    assert!(drain(&mut c).is_empty());
    c.frame(1, "not json", 6);
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.stats().dropped, 2);
    for n in 0..GARBAGE_LIMIT {
        c.frame(1, "<<<", 7 + u64::from(n));
    }
    assert!(matches!(drain(&mut c).last(), Some(Action::Failed(_))));
}

/// Carries out a Genesys session's actions as the service would (every channel made, opened and
/// subscribed), until it asks nothing more; returns what it asked besides.
fn serve_channels(c: &mut Channels, now: u64) -> Vec<Action> {
    let mut other = Vec::new();
    let mut made = 0;
    loop {
        let actions = drain(c);
        if actions.is_empty() {
            return other;
        }
        for action in actions {
            match action {
                Action::Request(r) if r.endpoint == CHANNELS => {
                    made += 1;
                    let body = format!(
                        r#"{{"id":"c{now}-{made}","connectUri":"wss://streaming.mypurecloud.com/channels/c{now}-{made}","expires":"2026-12-02T09:30:00Z"}}"#
                    );
                    c.answer(&r, Ok(HttpResponse::new(200, body)), now);
                }
                Action::Request(r) if r.endpoint == SUBSCRIPTIONS => {
                    c.answer(&r, Ok(HttpResponse::new(200, r#"{"entities":[]}"#)), now);
                }
                Action::Open { socket, .. } => c.opened(socket, now),
                a => other.push(a),
            }
        }
    }
}

#[test]
fn socket_closing_on_one_of_20_channels_moves_it_without_failing_the_session() {
    use presence_widgets::core::providers::genesys::channel::{
        CHANNELS_PER_USER, TOPICS_PER_CHANNEL,
    };
    let people: Vec<UserId> = (0..CHANNELS_PER_USER * TOPICS_PER_CHANNEL)
        .map(|n| UserId::new(format!("u{n}")))
        .collect();
    let mut c = Channels::new(genesys());
    c.watch(&people, &[], 0);
    c.start(0);
    serve_channels(&mut c, 1);
    assert!(c.is_live());
    assert_eq!(c.channel_count(), CHANNELS_PER_USER);
    // The service says the fifth channel's socket closes soon: no 21st channel can stand
    // beside it, so it is closed first and its people move to a new one.
    c.frame(5, &fixture("own/genesys-socket-closing-01.json"), 10);
    let actions = drain(&mut c);
    assert!(
        actions.contains(&Action::Close {
            socket: 5,
            code: 1000
        }),
        "{actions:?}"
    );
    assert!(!actions.iter().any(|a| matches!(a, Action::Failed(_))));
    let create: Vec<_> = requests(&actions);
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].endpoint, CHANNELS);
    let body = r#"{"id":"c21","connectUri":"wss://streaming.mypurecloud.com/channels/c21","expires":"2026-12-02T09:30:00Z"}"#;
    c.answer(&create[0], Ok(HttpResponse::new(200, body)), 11);
    let other = serve_channels(&mut c, 12);
    assert!(
        !other.iter().any(|a| matches!(a, Action::Failed(_))),
        "{other:?}"
    );
    // Its people are read once (the moment between), and pushed again.
    assert!(
        other
            .iter()
            .any(|a| matches!(a, Action::Subscribed(ids) if ids.len() == TOPICS_PER_CHANNEL)),
        "{other:?}"
    );
    assert!(c.is_live());
    assert_eq!(c.channel_count(), CHANNELS_PER_USER);
}
