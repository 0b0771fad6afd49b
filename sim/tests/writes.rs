//! The four providers' writes of one's own presence over loopback: each changes what the reads
//! answer, refuses bad values in the provider's error shape, refuses another person's presence
//! without the permission and writes it with; and the wrapper every request takes (auth, rate
//! limits, faults, stats, CORS) holds for writes too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_sim::client::{preflight, request, Answer};
use presence_sim::{Config, Limits};
use serde_json::{json, Value};

mod common;
use common::{get, ids, set};

const GRAPH_TOKEN: &str = "graph-token";
const GRAPH: &[(&str, &str)] = &[
    ("Authorization", "Bearer graph-token"),
    ("Content-Type", "application/json"),
];
/// An X-User-Id that names nobody: the first simulated person.
const RC: &[(&str, &str)] = &[
    ("X-User-Id", "caller0000000000"),
    ("X-Auth-Token", "rc-token"),
    ("Content-Type", "application/json"),
];
const GEN_TOKEN: &str = "genesys-token";
const GEN: &[(&str, &str)] = &[
    ("Authorization", "Bearer genesys-token"),
    ("Content-Type", "application/json"),
];
const SO_TOKEN: &str = "7T:abc";
const SO: &[(&str, &str)] = &[
    ("Authorization", "SOTicket 7T:abc"),
    ("Content-Type", "application/json"),
];

const RC_SET: &str = "/rocketchat/api/v1/users.setStatus";
const GEN_BULK: &str = "/genesys/api/v2/users/presences/bulk";
const SO_SET: &str = "/superoffice/api/v1/Agents/User/SetUserPresenceStatus";
const SO_GET: &str = "/superoffice/api/v1/Agents/User/GetUserPresenceStatus";

async fn sim(users: usize) -> String {
    presence_sim::spawn(Config {
        users,
        seed: 7,
        change_every_ms: 0,
        limits: Limits::documented(),
    })
    .await
    .unwrap()
}

async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    request(base, method, path, headers, Some(body))
        .await
        .unwrap()
}

async fn allow(base: &str, provider: &str, credential: &str) {
    presence_sim::client::allow_writing_others(base, provider, credential)
        .await
        .unwrap();
}

async fn stats(base: &str, provider: &str, endpoint: &str) -> Value {
    get(base, "/_sim/stats", &[]).await.json()["providers"][provider][endpoint].clone()
}

// ---------------------------------------------------------------- Graph

fn graph_path(version: &str, id: &str, action: &str) -> String {
    format!("/graph/{version}/users/{id}/presence/{action}")
}

async fn graph_read(base: &str, id: &str) -> Value {
    let answer = get(base, &format!("/graph/v1.0/users/{id}/presence"), GRAPH).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn graph_preferred_presence_is_set_and_cleared_in_both_versions() {
    let base = sim(5).await;
    let people = ids(&base, "graph").await;
    let me = &people[0];
    set(
        &base,
        "graph",
        me,
        json!({"availability": "Busy", "activity": "InAMeeting", "message": "Planning"}),
    )
    .await;
    for version in ["v1.0", "beta"] {
        for (availability, activity) in [
            ("Available", "Available"),
            ("Busy", "Busy"),
            ("DoNotDisturb", "DoNotDisturb"),
            ("BeRightBack", "BeRightBack"),
            ("Away", "Away"),
            ("Offline", "OffWork"),
        ] {
            let body = json!({"availability": availability, "activity": activity, "expirationDuration": "PT8H"});
            let answer = send(
                &base,
                "POST",
                &graph_path(version, me, "setUserPreferredPresence"),
                GRAPH,
                &body.to_string(),
            )
            .await;
            // "200 OK" and no body.
            assert_eq!(
                (answer.status, answer.body.as_str()),
                (200, ""),
                "{version}"
            );
            assert_eq!(answer.header("content-type"), None);
            let read = graph_read(&base, me).await;
            assert_eq!(
                (&read["availability"], &read["activity"]),
                (&json!(availability), &json!(activity))
            );
            // The status message is another property: it stays.
            assert_eq!(read["statusMessage"]["message"]["content"], "Planning");
        }
        // Cleared: back to what it was before the first preferred presence.
        let answer = send(
            &base,
            "POST",
            &graph_path(version, me, "clearUserPreferredPresence"),
            &[("Authorization", "Bearer graph-token")],
            "",
        )
        .await;
        assert_eq!((answer.status, answer.body.as_str()), (200, ""));
        let read = graph_read(&base, me).await;
        assert_eq!(
            (&read["availability"], &read["activity"]),
            (&json!("Busy"), &json!("InAMeeting"))
        );
    }
    // Clearing again changes nothing.
    let before = graph_read(&base, me).await["sequenceNumber"].clone();
    let answer = send(
        &base,
        "POST",
        &graph_path("v1.0", me, "clearUserPreferredPresence"),
        GRAPH,
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(graph_read(&base, me).await["sequenceNumber"], before);

    // The /me form writes the signed-in user; without an expiry too.
    let answer = send(
        &base,
        "POST",
        "/graph/v1.0/me/presence/setUserPreferredPresence",
        GRAPH,
        r#"{"availability": "Away", "activity": "Away"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(graph_read(&base, me).await["availability"], "Away");
    let counted = stats(&base, "graph", "setUserPreferredPresence").await;
    assert_eq!(counted["requests"], 13);
    assert_eq!(counted["statuses"]["200"], 13);
    assert_eq!(
        stats(&base, "graph", "clearUserPreferredPresence").await["requests"],
        3
    );
}

#[tokio::test]
async fn graph_status_message_is_set_with_or_without_expiry() {
    let base = sim(5).await;
    let me = ids(&base, "graph").await[0].clone();
    set(&base, "graph", &me, json!({"availability": "Available"})).await;
    let path = graph_path("v1.0", &me, "setStatusMessage");
    let with_expiry = json!({"statusMessage": {
        "message": {"content": "Hey I'm currently in a meeting.", "contentType": "text"},
        "expiryDateTime": {"dateTime": "2026-10-18T17:05:33.2079781", "timeZone": "Pacific Standard Time"},
    }});
    let answer = send(&base, "POST", &path, GRAPH, &with_expiry.to_string()).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    let read = graph_read(&base, &me).await;
    assert_eq!(
        read["statusMessage"]["message"],
        json!({"content": "Hey I'm currently in a meeting.", "contentType": "text"})
    );
    assert_eq!(read["availability"], "Available", "the availability stays");
    let plain = json!({"statusMessage": {"message": {"content": "Lunch"}}});
    let answer = send(
        &base,
        "POST",
        "/graph/beta/me/presence/setStatusMessage",
        GRAPH,
        &plain.to_string(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        graph_read(&base, &me).await["statusMessage"]["message"]["content"],
        "Lunch"
    );
    // An empty message clears it.
    let empty = json!({"statusMessage": {"message": {"content": "", "contentType": "text"}}});
    assert_eq!(
        send(&base, "POST", &path, GRAPH, &empty.to_string())
            .await
            .status,
        200
    );
    assert_eq!(graph_read(&base, &me).await["statusMessage"], Value::Null);
    assert_eq!(
        stats(&base, "graph", "setStatusMessage").await["requests"],
        3
    );
}

/// A Graph error: status, code, and the message.
fn graph_error(answer: &Answer) -> (u16, String, String) {
    let body = answer.json();
    (
        answer.status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn graph_bad_bodies_are_400_naming_the_field() {
    let base = sim(3).await;
    let me = ids(&base, "graph").await[0].clone();
    let preferred = graph_path("v1.0", &me, "setUserPreferredPresence");
    let message = graph_path("v1.0", &me, "setStatusMessage");
    for (path, body, named) in [
        (
            &preferred,
            r#"{"availability": "Busy", "activity": "InACall"}"#,
            "activity 'InACall'",
        ),
        (
            &preferred,
            r#"{"availability": "Available", "activity": "Away"}"#,
            "availability 'Available'",
        ),
        (
            &preferred,
            r#"{"availability": "Focusing", "activity": "Focusing"}"#,
            "not supported",
        ),
        (
            &preferred,
            r#"{"availability": "Busy"}"#,
            "activity is required",
        ),
        (
            &preferred,
            r#"{"activity": "Busy"}"#,
            "availability is required",
        ),
        (
            &preferred,
            r#"{"availability": 3, "activity": "Busy"}"#,
            "availability must be a string",
        ),
        (
            &preferred,
            r#"{"availability": "Busy", "activity": "Busy", "expirationDuration": "8 hours"}"#,
            "expirationDuration",
        ),
        (
            &preferred,
            r#"{"availability": "Busy", "activity": "Busy", "expirationDuration": "PT0S"}"#,
            "expirationDuration",
        ),
        (&preferred, "", "empty"),
        (&preferred, "[]", "JSON object"),
        (&message, r#"{}"#, "statusMessage is required"),
        (
            &message,
            r#"{"statusMessage": {"message": {"contentType": "text"}}}"#,
            "statusMessage.message.content is required",
        ),
        (
            &message,
            r#"{"statusMessage": {"message": {"content": 1}}}"#,
            "statusMessage.message.content must be a string",
        ),
        (
            &message,
            r#"{"statusMessage": {"message": {"content": "<b>x</b>", "contentType": "html"}}}"#,
            "contentType",
        ),
        (
            &message,
            r#"{"statusMessage": {"message": {"content": "x"}, "expiryDateTime": {"dateTime": "soon", "timeZone": "UTC"}}}"#,
            "statusMessage.expiryDateTime.dateTime",
        ),
        (
            &message,
            r#"{"statusMessage": {"message": {"content": "x"}, "expiryDateTime": {"dateTime": "2026-10-18T17:05:33"}}}"#,
            "statusMessage.expiryDateTime.timeZone",
        ),
    ] {
        let (status, code, text) = graph_error(&send(&base, "POST", path, GRAPH, body).await);
        assert_eq!((status, code.as_str()), (400, "BadRequest"), "{body}");
        assert!(text.contains(named), "{body}: {text}");
    }
    let before = graph_read(&base, &me).await;
    assert_eq!(
        before["sequenceNumber"], "A0000000001",
        "nothing was written"
    );

    let untyped = send(
        &base,
        "POST",
        &preferred,
        &[("Authorization", "Bearer graph-token")],
        r#"{"availability": "Busy", "activity": "Busy"}"#,
    )
    .await;
    assert_eq!(graph_error(&untyped).0, 415);
    let unknown = send(
        &base,
        "POST",
        &graph_path("v1.0", &me, "setPresence"),
        GRAPH,
        "{}",
    )
    .await;
    assert_eq!(graph_error(&unknown).0, 400);
    assert!(graph_error(&unknown).2.contains("segment 'setPresence'"));
    let version = send(
        &base,
        "POST",
        &graph_path("v2.0", &me, "setStatusMessage"),
        GRAPH,
        "{}",
    )
    .await;
    assert_eq!(version.status, 404);
    let unauthorized = send(
        &base,
        "POST",
        &preferred,
        &[("Content-Type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(graph_error(&unauthorized).0, 401);
}

#[tokio::test]
async fn graph_another_user_needs_presence_readwrite_all() {
    let base = sim(4).await;
    let people = ids(&base, "graph").await;
    let other = &people[2];
    set(&base, "graph", other, json!({"availability": "Available"})).await;
    let body = r#"{"availability": "DoNotDisturb", "activity": "DoNotDisturb"}"#;
    let path = graph_path("v1.0", other, "setUserPreferredPresence");
    let message = graph_path("v1.0", other, "setStatusMessage");
    let text = r#"{"statusMessage": {"message": {"content": "x"}}}"#;
    for (p, b) in [(&path, body), (&message, text)] {
        let refused = send(&base, "POST", p, GRAPH, b).await;
        assert_eq!(graph_error(&refused).0, 403);
        assert_eq!(graph_error(&refused).1, "accessDenied");
        assert!(!refused.body.contains(GRAPH_TOKEN));
    }
    assert_eq!(graph_read(&base, other).await["availability"], "Available");

    allow(&base, "graph", GRAPH_TOKEN).await;
    assert_eq!(send(&base, "POST", &path, GRAPH, body).await.status, 200);
    assert_eq!(
        graph_read(&base, other).await["availability"],
        "DoNotDisturb"
    );
    assert_eq!(send(&base, "POST", &message, GRAPH, text).await.status, 200);
    // Other tokens are still only themselves.
    let stranger = [
        ("Authorization", "Bearer another"),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(
        send(&base, "POST", &path, &stranger, body).await.status,
        403
    );
    let missing = send(
        &base,
        "POST",
        &graph_path("v1.0", "no-such-user", "setUserPreferredPresence"),
        GRAPH,
        body,
    )
    .await;
    assert_eq!(graph_error(&missing).1, "itemNotFound");
    let counted = stats(&base, "graph", "setUserPreferredPresence").await;
    assert_eq!(counted["statuses"], json!({"200": 1, "403": 2, "404": 1}));
}

#[tokio::test]
async fn writers_bind_a_token_to_a_person_and_never_show_it() {
    let base = sim(4).await;
    let people = ids(&base, "graph").await;
    let put = |body: Value| {
        let base = base.clone();
        async move {
            presence_sim::client::control(&base, "PUT", "/_sim/writers", &body)
                .await
                .unwrap()
        }
    };
    let bound =
        put(json!({"provider": "graph", "token": "token-of-3", "as": people[3], "others": false}))
            .await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    assert!(!bound.body.contains("token-of-3"));
    assert_eq!(bound.json()["graph"], json!({"tokens": 0, "acting": 1}));
    let headers = [
        ("Authorization", "Bearer token-of-3"),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(
        get(&base, "/graph/v1.0/me/presence", &headers).await.json()["id"],
        people[3].as_str()
    );
    let body = r#"{"availability": "Busy", "activity": "Busy"}"#;
    assert_eq!(
        send(
            &base,
            "POST",
            "/graph/v1.0/me/presence/setUserPreferredPresence",
            &headers,
            body
        )
        .await
        .status,
        200
    );
    assert_eq!(graph_read(&base, &people[3]).await["availability"], "Busy");
    assert_eq!(
        send(
            &base,
            "POST",
            &graph_path("v1.0", &people[0], "setUserPreferredPresence"),
            &headers,
            body
        )
        .await
        .status,
        403
    );
    // The default token is still the first person.
    assert_eq!(
        get(&base, "/graph/v1.0/me/presence", GRAPH).await.json()["id"],
        people[0].as_str()
    );

    for bad in [
        json!({"provider": "graph"}),
        json!({"provider": "graph", "user": "x"}),
        json!({"provider": "rocketchat", "token": "x"}),
        json!({"provider": "rocketchat", "user": "x", "as": "y"}),
        json!({"provider": "graph", "token": " "}),
        json!({"provider": "graph", "token": "t", "extra": 1}),
    ] {
        assert_eq!(put(bad.clone()).await.status, 400, "{bad}");
    }
    assert_eq!(
        put(json!({"provider": "teams", "token": "t"})).await.status,
        404
    );
    assert_eq!(
        put(json!({"provider": "graph", "token": "t", "as": "nobody"}))
            .await
            .status,
        404
    );

    let cleared = request(&base, "DELETE", "/_sim/writers", &[], None)
        .await
        .unwrap();
    assert_eq!(cleared.status, 204);
    assert_eq!(
        get(&base, "/graph/v1.0/me/presence", &headers).await.json()["id"],
        people[0].as_str()
    );
    assert_eq!(
        get(&base, "/_sim/writers", &[]).await.json()["rocketchat"],
        json!({"users": []})
    );
}

// ---------------------------------------------------------------- Rocket.Chat

async fn rc_status(base: &str, id: &str) -> Value {
    get(
        base,
        &format!("/rocketchat/api/v1/users.getStatus?userId={id}"),
        RC,
    )
    .await
    .json()
}

async fn rc_text(base: &str, id: &str) -> Value {
    let answer = get(
        base,
        &format!("/rocketchat/api/v1/users.presence?ids={id}"),
        RC,
    )
    .await;
    answer.json()["users"][0]["statusText"].clone()
}

#[tokio::test]
async fn rocketchat_set_status_changes_the_callers_status_and_text() {
    let base = sim(4).await;
    let people = ids(&base, "rocketchat").await;
    let me = &people[0];
    set(
        &base,
        "rocketchat",
        me,
        json!({"availability": "Available"}),
    )
    .await;
    let answer = send(
        &base,
        "POST",
        RC_SET,
        RC,
        r#"{"status": "busy", "message": "In a review"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!({"success": true}));
    assert_eq!(rc_status(&base, me).await["status"], "busy");
    assert_eq!(rc_text(&base, me).await, "In a review");
    // The message alone keeps the status; the status alone keeps the text.
    assert_eq!(
        send(&base, "POST", RC_SET, RC, r#"{"message": "Back at 3"}"#)
            .await
            .status,
        200
    );
    assert_eq!(rc_status(&base, me).await["status"], "busy");
    assert_eq!(rc_text(&base, me).await, "Back at 3");
    let future = presence_sim::clock::iso(presence_sim::clock::now_ms() + 3_600_000);
    let body = json!({"status": "away", "expiresAt": future}).to_string();
    assert_eq!(send(&base, "POST", RC_SET, RC, &body).await.status, 200);
    assert_eq!(rc_status(&base, me).await["status"], "away");
    assert_eq!(rc_text(&base, me).await, "Back at 3");
    // Naming oneself is oneself.
    let username = get(&base, &format!("/_sim/users/rocketchat/{me}"), &[])
        .await
        .json()["username"]
        .clone();
    let body = json!({"status": "online", "username": username, "message": ""}).to_string();
    assert_eq!(send(&base, "POST", RC_SET, RC, &body).await.status, 200);
    assert_eq!(rc_status(&base, me).await["status"], "online");
    assert_eq!(
        rc_text(&base, me).await,
        Value::Null,
        "an empty message clears the text"
    );
    // X-User-Id naming a person acts as that person.
    let as_second = [
        ("X-User-Id", people[1].as_str()),
        ("X-Auth-Token", "rc-token-2"),
        ("Content-Type", "application/json"),
    ];
    let body = json!({"status": "offline", "userId": people[1]}).to_string();
    assert_eq!(
        send(&base, "POST", RC_SET, &as_second, &body).await.status,
        200
    );
    assert_eq!(rc_status(&base, &people[1]).await["status"], "offline");
    assert_eq!(
        stats(&base, "rocketchat", "users.setStatus").await["requests"],
        5
    );
}

#[tokio::test]
async fn rocketchat_bad_values_and_other_users() {
    let base = sim(4).await;
    let people = ids(&base, "rocketchat").await;
    let past = presence_sim::clock::iso(presence_sim::clock::now_ms() - 60_000);
    let past_body = json!({"status": "away", "expiresAt": past}).to_string();
    let cases: [(&str, Value); 6] = [
        (
            &past_body,
            json!({"success": false, "error": "expiresAt must be a future date [error-invalid-date]", "errorType": "error-invalid-date"}),
        ),
        (
            r#"{"status": "dnd"}"#,
            json!({"success": false, "error": "Valid status types include online, away, offline, and busy. [error-invalid-status]", "errorType": "error-invalid-status"}),
        ),
        (
            r#"{}"#,
            json!({"success": false, "error": "Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation"}),
        ),
        (
            r#"{"userId": "x"}"#,
            json!({"success": false, "error": "Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation"}),
        ),
        (
            r#"{"status": 1}"#,
            json!({"success": false, "error": "Match error: Expected string, got number in field status"}),
        ),
        (
            r#"{"status": "away", "expiresAt": "tomorrow"}"#,
            json!({"success": false, "error": "expiresAt must be a valid ISO 8601 date [error-invalid-date]", "errorType": "error-invalid-date"}),
        ),
    ];
    for (body, expected) in cases {
        let answer = send(&base, "POST", RC_SET, RC, body).await;
        assert_eq!((answer.status, answer.json()), (400, expected), "{body}");
    }
    // Another user: 403 without edit-other-user-info, whatever the body names.
    let other = &people[2];
    set(
        &base,
        "rocketchat",
        other,
        json!({"availability": "Available"}),
    )
    .await;
    let body = json!({"status": "busy", "userId": other}).to_string();
    let refused = send(&base, "POST", RC_SET, RC, &body).await;
    assert_eq!(
        (refused.status, refused.json()),
        (403, json!({"success": false, "error": "unauthorized"}))
    );
    assert_eq!(rc_status(&base, other).await["status"], "online");
    // The permission is the user's (X-User-Id), not the token's.
    allow(&base, "rocketchat", "caller0000000000").await;
    let answer = send(&base, "POST", RC_SET, RC, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(rc_status(&base, other).await["status"], "busy");
    let username = get(&base, &format!("/_sim/users/rocketchat/{}", people[3]), &[])
        .await
        .json()["username"]
        .clone();
    let by_name = json!({"message": "Covering support", "username": username}).to_string();
    assert_eq!(send(&base, "POST", RC_SET, RC, &by_name).await.status, 200);
    assert_eq!(
        get(&base, &format!("/_sim/users/rocketchat/{}", people[3]), &[])
            .await
            .json()["message"],
        "Covering support"
    );
    let nobody = send(
        &base,
        "POST",
        RC_SET,
        RC,
        r#"{"status": "busy", "userId": "nobody"}"#,
    )
    .await;
    assert_eq!(nobody.status, 400);
    assert_eq!(nobody.json()["errorType"], "error-invalid-user");
    let unauthorized = send(
        &base,
        "POST",
        RC_SET,
        &[("X-Auth-Token", "t")],
        r#"{"status": "busy"}"#,
    )
    .await;
    assert_eq!(
        (unauthorized.status, unauthorized.json()),
        (
            401,
            json!({"status": "error", "message": "You must be logged in to do this."})
        )
    );
}

// ---------------------------------------------------------------- Genesys

async fn definitions(base: &str) -> Vec<(String, String)> {
    let listing = get(base, "/genesys/api/v2/presence/definitions", GEN)
        .await
        .json();
    listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["systemPresence"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn gen_path(id: &str) -> String {
    format!("/genesys/api/v2/users/{id}/presences/purecloud")
}

async fn gen_read(base: &str, id: &str) -> Value {
    get(base, &gen_path(id), GEN).await.json()
}

#[tokio::test]
async fn genesys_patch_sets_every_listed_definition_and_the_message() {
    let base = sim(4).await;
    let me = ids(&base, "genesys").await[0].clone();
    let all = definitions(&base).await;
    assert!(all.len() >= 10, "{all:?}");
    for (id, system) in &all {
        let body = json!({"presenceDefinition": {"id": id}}).to_string();
        let answer = send(&base, "PATCH", &gen_path(&me), GEN, &body).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let written = answer.json();
        assert_eq!(written["presenceDefinition"]["id"], id.as_str());
        assert_eq!(
            written["presenceDefinition"]["systemPresence"],
            system.as_str()
        );
        assert_eq!(written["sourceId"], "PURECLOUD");
        // The read shows exactly that definition, not another of the same state.
        assert_eq!(
            gen_read(&base, &me).await["presenceDefinition"]["id"],
            id.as_str()
        );
    }
    let meal = all.iter().find(|(_, s)| s == "Meal").unwrap().0.clone();
    let body =
        json!({"presenceDefinition": {"id": meal}, "message": "Lunch with the team"}).to_string();
    assert_eq!(
        send(&base, "PATCH", &gen_path(&me), GEN, &body)
            .await
            .status,
        200
    );
    // The message alone keeps the definition.
    let answer = send(
        &base,
        "PATCH",
        &gen_path(&me),
        GEN,
        r#"{"message": "Back at 1"}"#,
    )
    .await;
    assert_eq!(answer.status, 200);
    let read = gen_read(&base, &me).await;
    assert_eq!(
        (&read["presenceDefinition"]["id"], &read["message"]),
        (&json!(meal), &json!("Back at 1"))
    );
    // `primary` is taken, and changes nothing the simulator keeps.
    let primary = send(&base, "PATCH", &gen_path(&me), GEN, r#"{"primary": true}"#).await;
    assert_eq!(primary.status, 200);
    assert_eq!(primary.json()["modifiedDate"], read["modifiedDate"]);
    assert_eq!(gen_read(&base, &me).await, read);
    let counted = stats(&base, "genesys", "PATCH users/presences").await;
    assert_eq!(counted["requests"], u64::try_from(all.len()).unwrap() + 3);
}

#[tokio::test]
async fn genesys_bad_bodies_and_other_users() {
    let base = sim(4).await;
    let people = ids(&base, "genesys").await;
    let me = &people[0];
    let deactivated = get(
        &base,
        "/genesys/api/v2/presence/definitions?deactivated=true",
        GEN,
    )
    .await
    .json()["entities"][0]["id"]
        .clone();
    let deactivated_body = json!({"presenceDefinition": {"id": deactivated}}).to_string();
    for (body, named) in [
        (
            r#"{"presenceDefinition": {"id": "no-such-definition"}}"#,
            "presenceDefinition.id",
        ),
        (deactivated_body.as_str(), "deactivated"),
        (
            r#"{"presenceDefinition": {}}"#,
            "presenceDefinition.id is required",
        ),
        (
            r#"{"presenceDefinition": "Available"}"#,
            "presenceDefinition must be an object",
        ),
        (r#"{"message": 5}"#, "message must be a string"),
        (r#"{"primary": "yes"}"#, "primary"),
        (r#"{}"#, "presenceDefinition.id, message or primary"),
        ("[]", "JSON object"),
    ] {
        let answer = send(&base, "PATCH", &gen_path(me), GEN, body).await;
        let error = answer.json();
        assert_eq!(
            (answer.status, &error["code"], &error["status"]),
            (400, &json!("bad.request"), &json!(400)),
            "{body}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(named),
            "{body}: {error}"
        );
        assert!(error["contextId"].is_string());
    }
    let teams = send(
        &base,
        "PATCH",
        &format!("/genesys/api/v2/users/{me}/presences/microsoftteams"),
        GEN,
        r#"{"message": "x"}"#,
    )
    .await;
    assert_eq!(teams.status, 400);
    let unknown = send(
        &base,
        "PATCH",
        &format!("/genesys/api/v2/users/{me}/presences/nowhere"),
        GEN,
        r#"{"message": "x"}"#,
    )
    .await;
    assert_eq!(unknown.status, 404);

    let other = &people[1];
    let available = "6a3af858-942f-489d-9700-5f9bcdcdae9b";
    let body = json!({"presenceDefinition": {"id": available}, "message": "Set by a supervisor"})
        .to_string();
    let refused = send(&base, "PATCH", &gen_path(other), GEN, &body).await;
    assert_eq!(
        (refused.status, &refused.json()["code"]),
        (403, &json!("missing.any.permissions"))
    );
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("presence:userPresence:edit"));
    allow(&base, "genesys", GEN_TOKEN).await;
    assert_eq!(
        send(&base, "PATCH", &gen_path(other), GEN, &body)
            .await
            .status,
        200
    );
    let read = gen_read(&base, other).await;
    assert_eq!(
        (&read["presenceDefinition"]["id"], &read["message"]),
        (&json!(available), &json!("Set by a supervisor"))
    );
    assert_eq!(
        send(&base, "PATCH", &gen_path("no-such-user"), GEN, &body)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn genesys_bulk_needs_the_edit_permission() {
    let base = sim(4).await;
    let people = ids(&base, "genesys").await;
    let (busy, away) = (
        "31fe3bac-dea6-44b7-bed7-47f91660a1a0",
        "5e5c5c66-ea97-4e7f-ac41-6424784829f2",
    );
    let body = json!([
        {"userId": people[0], "presenceDefinition": {"id": busy}, "message": "Release day"},
        {"userId": people[2], "presenceDefinition": {"id": away}},
    ])
    .to_string();
    // Documented: "Requires ANY permissions: presence:userPresence:edit", even for oneself.
    let refused = send(&base, "PUT", GEN_BULK, GEN, &body).await;
    assert_eq!(
        (refused.status, &refused.json()["code"]),
        (403, &json!("missing.any.permissions"))
    );
    allow(&base, "genesys", GEN_TOKEN).await;
    let answer = send(&base, "PUT", GEN_BULK, GEN, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let list = answer.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        (&list[0]["userId"], &list[0]["presenceDefinition"]["id"]),
        (&json!(people[0]), &json!(busy))
    );
    assert_eq!(list[1]["userId"], people[2].as_str());
    assert_eq!(gen_read(&base, &people[0]).await["message"], "Release day");
    assert_eq!(
        gen_read(&base, &people[2]).await["presenceDefinition"]["id"],
        away
    );
    // The bulk read sees it too.
    let bulk = get(
        &base,
        &format!(
            "/genesys/api/v2/users/presences/purecloud/bulk?id={}",
            people[2]
        ),
        GEN,
    )
    .await
    .json();
    assert_eq!(bulk[0]["presenceDefinition"]["id"], away);

    let before = gen_read(&base, &people[1]).await;
    for (bad, named) in [
        (
            json!([{"userId": people[1], "presenceDefinition": {"id": busy}}, {"userId": people[3], "presenceDefinition": {"id": "nope"}}]),
            "[1].presenceDefinition.id",
        ),
        (
            json!([{"presenceDefinition": {"id": busy}}]),
            "[0].id is required",
        ),
        (
            json!([{"userId": "nobody", "presenceDefinition": {"id": busy}}]),
            "[0].userId",
        ),
        (json!([{"userId": people[1]}]), "[0]: give"),
        (
            json!([{"userId": people[1], "message": "x", "sourceId": "microsoftteams"}]),
            "[0].sourceId",
        ),
        (json!([7]), "[0] must be a user presence"),
        (json!({"userId": people[1]}), "list of user presences"),
    ] {
        let answer = send(&base, "PUT", GEN_BULK, GEN, &bad.to_string()).await;
        assert_eq!(
            (answer.status, &answer.json()["code"]),
            (400, &json!("bad.request")),
            "{bad}"
        );
        assert!(
            answer.json()["message"].as_str().unwrap().contains(named),
            "{bad}: {}",
            answer.body
        );
    }
    // Checked whole: the good first entry of a bad list changed nothing.
    assert_eq!(gen_read(&base, &people[1]).await, before);
    assert_eq!(
        send(&base, "PUT", GEN_BULK, GEN, "[]").await.json(),
        json!([])
    );
    let counted = stats(&base, "genesys", "PUT users/presences/bulk").await;
    assert_eq!(counted["statuses"], json!({"200": 2, "400": 7, "403": 1}));
    assert_eq!(counted["ids"], 2);
}

// ---------------------------------------------------------------- SuperOffice

async fn so_read(base: &str, id: &str) -> Value {
    let body = json!({"AssociateId": id.parse::<u32>().unwrap()}).to_string();
    send(base, "POST", SO_GET, SO, &body).await.json()
}

#[tokio::test]
async fn superoffice_sets_present_and_absent() {
    let base = sim(4).await;
    let people = ids(&base, "superoffice").await;
    let me = &people[0];
    let associate: u32 = me.parse().unwrap();
    set(
        &base,
        "superoffice",
        me,
        json!({"availability": "Available"}),
    )
    .await;
    let body = json!({"AssociateId": associate, "UserPresenceStatus": {"Status": "StatusNotAvailable", "Message": "At the dentist"}});
    let answer = send(&base, "POST", SO_SET, SO, &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let expected = json!({"Status": "StatusNotAvailable", "Message": "At the dentist"});
    assert_eq!(answer.json(), expected);
    assert_eq!(so_read(&base, me).await, expected);
    // .NET binding: any case, the enum by number, the id as text; $select as the read.
    let body = json!({"associateid": me, "userPresenceStatus": {"status": 1, "message": null}});
    let answer = send(
        &base,
        "POST",
        &format!("{SO_SET}?$select=Status"),
        SO,
        &body.to_string(),
    )
    .await;
    assert_eq!(
        answer.json(),
        json!({"Status": "StatusNormal", "Message": null})
    );
    assert_eq!(
        so_read(&base, me).await,
        json!({"Status": "StatusNormal", "Message": ""})
    );
    // Not available again keeps a not-present state the person already has.
    set(
        &base,
        "superoffice",
        me,
        json!({"availability": "Busy", "activity": "InACall"}),
    )
    .await;
    let body = json!({"AssociateId": associate, "UserPresenceStatus": {"Status": "statusnotavailable", "Message": "On a call"}});
    assert_eq!(
        send(&base, "POST", SO_SET, SO, &body.to_string())
            .await
            .status,
        200
    );
    let person = get(&base, &format!("/_sim/users/superoffice/{me}"), &[])
        .await
        .json();
    assert_eq!(
        (
            &person["availability"],
            &person["activity"],
            &person["message"]
        ),
        (&json!("Busy"), &json!("InACall"), &json!("On a call"))
    );
    assert_eq!(
        stats(&base, "superoffice", "SetUserPresenceStatus").await["requests"],
        3
    );
}

#[tokio::test]
async fn superoffice_refuses_account_states_and_other_associates() {
    let base = sim(4).await;
    let people = ids(&base, "superoffice").await;
    let me: u32 = people[0].parse().unwrap();
    for (carrier, named) in [
        (json!({"Status": "StatusDeleted"}), "StatusDeleted"),
        (json!({"Status": "StatusReadOnly"}), "StatusReadOnly"),
        (json!({"Status": "StatusSpm"}), "StatusSpm"),
        (json!({"Status": 127}), "StatusSystem"),
        (json!({"Status": "StatusNone"}), "StatusNone"),
        (json!({"Status": "Present"}), "not an EjUserStatus"),
        (json!({"Status": 9}), "not an EjUserStatus"),
        (json!({"Status": true}), "Status must be"),
        (json!({"Message": "x"}), "Status is required"),
        (
            json!({"Status": "StatusNormal", "Message": 3}),
            "Message must be a string",
        ),
        (Value::Null, "UserPresenceStatus is required"),
    ] {
        let body = json!({"AssociateId": me, "UserPresenceStatus": carrier}).to_string();
        let answer = send(&base, "POST", SO_SET, SO, &body).await;
        assert_eq!(
            (answer.status, &answer.json()["ErrorType"]),
            (400, &json!("ArgumentException")),
            "{body}"
        );
        assert!(
            answer.json()["Message"].as_str().unwrap().contains(named),
            "{body}: {}",
            answer.body
        );
    }
    assert_eq!(
        send(
            &base,
            "POST",
            SO_SET,
            SO,
            r#"{"UserPresenceStatus": {"Status": 1}}"#
        )
        .await
        .status,
        400
    );
    let other = &people[2];
    set(
        &base,
        "superoffice",
        other,
        json!({"availability": "Available"}),
    )
    .await;
    let body = json!({"AssociateId": other.parse::<u32>().unwrap(), "UserPresenceStatus": {"Status": "StatusNotAvailable", "Message": "Sick"}}).to_string();
    let refused = send(&base, "POST", SO_SET, SO, &body).await;
    assert_eq!(
        (refused.status, &refused.json()["ErrorType"]),
        (403, &json!("SoAccessDeniedException"))
    );
    assert_eq!(so_read(&base, other).await["Status"], "StatusNormal");
    allow(&base, "superoffice", SO_TOKEN).await;
    assert_eq!(send(&base, "POST", SO_SET, SO, &body).await.status, 200);
    assert_eq!(
        so_read(&base, other).await,
        json!({"Status": "StatusNotAvailable", "Message": "Sick"})
    );
    let missing = json!({"AssociateId": 999_999, "UserPresenceStatus": {"Status": 1}}).to_string();
    assert_eq!(send(&base, "POST", SO_SET, SO, &missing).await.status, 404);
    assert_eq!(
        send(
            &base,
            "POST",
            SO_SET,
            &[("Authorization", "Negotiate x")],
            &missing
        )
        .await
        .status,
        401
    );
}

// ---------------------------------------------------------------- the wrapper

#[tokio::test]
async fn writes_take_faults_and_rate_limits_like_reads() {
    let base = sim(3).await;
    let me = ids(&base, "graph").await[0].clone();
    set(&base, "graph", &me, json!({"availability": "Available"})).await;
    let path = graph_path("v1.0", &me, "setUserPreferredPresence");
    let body = r#"{"availability": "Busy", "activity": "Busy"}"#;
    let fault = presence_sim::client::control(
        &base,
        "POST",
        "/_sim/faults",
        &json!({"provider": "graph", "http_500": 1.0}),
    )
    .await
    .unwrap();
    assert_eq!(fault.status, 200);
    let failed = send(&base, "POST", &path, GRAPH, body).await;
    assert_eq!(graph_error(&failed).1, "generalException");
    let person = get(&base, &format!("/_sim/users/graph/{me}"), &[])
        .await
        .json();
    assert_eq!(person["availability"], "Available", "a 500 wrote nothing");
    request(&base, "DELETE", "/_sim/faults", &[], None)
        .await
        .unwrap();

    let limits = presence_sim::client::control(
        &base,
        "PUT",
        "/_sim/limits",
        &json!({"rocketchat": {"calls": 1, "window_ms": 60_000}}),
    )
    .await
    .unwrap();
    assert_eq!(limits.status, 200);
    assert_eq!(
        send(&base, "POST", RC_SET, RC, r#"{"status": "away"}"#)
            .await
            .status,
        200
    );
    let limited = send(&base, "POST", RC_SET, RC, r#"{"status": "busy"}"#).await;
    assert_eq!(limited.status, 429);
    assert!(limited.header("x-ratelimit-reset").is_some());
    assert!(limited.json()["error"]
        .as_str()
        .unwrap()
        .contains("error-too-many-requests"));
    let counted = stats(&base, "rocketchat", "users.setStatus").await;
    assert_eq!(counted["statuses"], json!({"200": 1, "429": 1}));
}

#[tokio::test]
async fn cors_preflight_lets_pages_write() {
    let base = sim(2).await;
    for (method, path, headers) in [
        (
            "POST",
            "/graph/v1.0/users/x/presence/setUserPreferredPresence",
            "authorization,content-type",
        ),
        (
            "POST",
            "/graph/beta/me/presence/setStatusMessage",
            "authorization,content-type",
        ),
        ("POST", RC_SET, "x-user-id,x-auth-token,content-type"),
        (
            "PATCH",
            "/genesys/api/v2/users/x/presences/purecloud",
            "authorization,content-type",
        ),
        ("PUT", GEN_BULK, "authorization,content-type"),
        (
            "POST",
            SO_SET,
            "authorization,x-xsrf-token,so-apptoken,content-type,accept",
        ),
    ] {
        let origin = "https://intranet.example.test";
        let preflight = preflight(&base, path, origin, method, headers)
            .await
            .unwrap();
        assert!(
            (200..300).contains(&preflight.status),
            "{method} {path}: {}",
            preflight.status
        );
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some(origin)
        );
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap()
            .to_ascii_lowercase();
        assert!(methods.contains(&method.to_ascii_lowercase()), "{methods}");
        let allowed = preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        for wanted in headers.split(',') {
            assert!(
                allowed.split(',').any(|a| a.trim() == wanted),
                "{wanted} in {allowed}"
            );
        }
    }
}
