//! The push protocols over loopback with a real WebSocket client: Rocket.Chat DDP at
//! `/rocketchat/websocket` and Genesys notification channels, their heartbeats, limits, faults
//! and counts. Every wait is on a frame or a count, with a timeout; a frame that must not come is
//! shown absent by one that certainly comes after it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use presence_sim::client::{request, Answer};
use presence_sim::{Config, Limits};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

mod common;
use common::{control, ids, set};

const WAIT: Duration = Duration::from_secs(10);
const GEN_TOKEN: &str = "genesys-token";
const GEN: &[(&str, &str)] = &[("Authorization", "Bearer genesys-token")];

async fn sim(users: usize) -> String {
    presence_sim::spawn(Config {
        users,
        seed: 3,
        change_every_ms: 0,
        limits: Limits::documented(),
    })
    .await
    .unwrap()
}

async fn fault(base: &str, body: Value) {
    let answer = control(base, "POST", "/_sim/faults", body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

async fn heal(base: &str) {
    let answer = request(base, "DELETE", "/_sim/faults", &[], None)
        .await
        .unwrap();
    assert_eq!(answer.status, 204);
}

async fn heartbeat(base: &str, ms: u64) {
    let answer = control(base, "PUT", "/_sim/push", json!({ "heartbeat_ms": ms })).await;
    assert_eq!(answer.json(), json!({ "heartbeat_ms": ms }));
}

async fn user(base: &str, provider: &str, id: &str) -> Value {
    request(
        base,
        "GET",
        &format!("/_sim/users/{provider}/{id}"),
        &[],
        None,
    )
    .await
    .unwrap()
    .json()
}

async fn stats(base: &str) -> Value {
    request(base, "GET", "/_sim/stats", &[], None)
        .await
        .unwrap()
        .json()["push"]
        .clone()
}

/// Waits until the push stats satisfy `ok`, and returns them.
async fn stats_until(base: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = stats(base).await;
        if ok(&now) {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stats never got there: {now}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What the server did next.
#[derive(Debug, PartialEq)]
enum Got {
    Text(String),
    /// A close frame: code and reason.
    Closed(u16, String),
    /// The connection ended without a close frame.
    Dropped,
}

struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    async fn open(url: &str) -> Self {
        let (stream, _) = connect_async(url).await.unwrap();
        Self(stream)
    }

    async fn send(&mut self, value: Value) {
        self.0
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    async fn got(&mut self) -> Got {
        loop {
            let next = tokio::time::timeout(WAIT, self.0.next())
                .await
                .expect("no frame in time");
            match next {
                Some(Ok(Message::Text(text))) => return Got::Text(text.to_string()),
                Some(Ok(Message::Close(Some(close)))) => {
                    return Got::Closed(close.code.into(), close.reason.to_string())
                }
                Some(Ok(Message::Close(None))) => return Got::Closed(1005, String::new()),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Got::Dropped,
            }
        }
    }

    /// The next frame, as JSON.
    async fn next(&mut self) -> Value {
        match self.got().await {
            Got::Text(text) => {
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
            }
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// The first frame that satisfies `wanted`, skipping the others.
    async fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.next().await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// How the socket ends, skipping the frames before.
    async fn end(&mut self) -> Got {
        loop {
            match self.got().await {
                Got::Text(_) => {}
                end => return end,
            }
        }
    }
}

fn ws_base(base: &str) -> String {
    base.replace("http://", "ws://")
}

fn is(msg: &'static str) -> impl Fn(&Value) -> bool {
    move |f| f["msg"] == msg
}

// ---------------------------------------------------------------- Rocket.Chat DDP

/// A connected DDP socket (not logged in).
async fn ddp(base: &str) -> Ws {
    let mut ws = Ws::open(&format!("{}/rocketchat/websocket", ws_base(base))).await;
    assert_eq!(ws.next().await, json!({ "server_id": "0" }));
    ws.send(json!({ "msg": "connect", "version": "1", "support": ["1"] }))
        .await;
    let connected = ws.next().await;
    assert_eq!(connected["msg"], "connected", "{connected}");
    assert_eq!(connected["session"].as_str().unwrap().len(), 17);
    ws
}

async fn login(ws: &mut Ws, token: &str) -> Value {
    ws.send(json!({ "msg": "method", "method": "login", "id": "login-1", "params": [{ "resume": token }] }))
        .await;
    let result = ws.next().await;
    assert_eq!(
        (&result["msg"], &result["id"]),
        (&json!("result"), &json!("login-1"))
    );
    assert_eq!(
        ws.next().await,
        json!({ "msg": "updated", "methods": ["login-1"] })
    );
    result
}

/// A logged-in DDP socket.
async fn ddp_in(base: &str) -> Ws {
    let mut ws = ddp(base).await;
    assert!(login(&mut ws, "rc-token").await.get("result").is_some());
    ws
}

async fn sub_presence(ws: &mut Ws, id: &str, added: &[&str], removed: &[&str]) -> Value {
    ws.send(json!({
        "msg": "sub",
        "id": id,
        "name": "stream-user-presence",
        "params": ["", { "added": added, "removed": removed }],
    }))
    .await;
    ws.next().await
}

/// A ping whose pong marks that everything queued before it has been sent.
async fn marker(ws: &mut Ws, id: &str) -> Value {
    ws.send(json!({ "msg": "ping", "id": id })).await;
    ws.next().await
}

#[tokio::test]
async fn ddp_connects_logs_in_and_pongs() {
    let base = sim(3).await;
    let mut ws = Ws::open(&format!("{}/rocketchat/websocket", ws_base(&base))).await;
    assert_eq!(ws.next().await, json!({ "server_id": "0" }));
    ws.send(json!({ "msg": "ping" })).await;
    let early = ws.next().await;
    assert_eq!(
        (&early["msg"], &early["reason"]),
        (&json!("error"), &json!("Must connect first"))
    );
    ws.send(json!({ "msg": "connect", "version": "1", "support": ["1"] }))
        .await;
    assert_eq!(ws.next().await["msg"], "connected");

    ws.send(json!({ "msg": "ping", "id": "p1" })).await;
    assert_eq!(ws.next().await, json!({ "msg": "pong", "id": "p1" }));
    ws.send(json!({ "msg": "ping" })).await;
    assert_eq!(ws.next().await, json!({ "msg": "pong" }));

    // The REST token is a resume token, and logs in as the user it came with.
    let rest = request(
        &base,
        "GET",
        "/rocketchat/api/v1/users.getStatus",
        &[
            ("X-User-Id", "aobEdbYhXfu5hkeqG"),
            ("X-Auth-Token", "rc-token"),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(rest.status, 200);
    let before = presence_sim::clock::now_ms();
    let good = login(&mut ws, "rc-token").await;
    let result = &good["result"];
    assert_eq!(result["id"], "aobEdbYhXfu5hkeqG");
    assert_eq!(result["token"], "rc-token");
    assert_eq!(result["type"], "resume");
    assert!(result["tokenExpires"]["$date"].as_u64().unwrap() > before);
    assert!(good.get("error").is_none());

    ws.send(json!({ "msg": "method", "method": "rooms:get", "id": "m2", "params": [] }))
        .await;
    let unknown = ws.next().await;
    assert_eq!(unknown["id"], "m2");
    assert_eq!(unknown["error"]["error"], 404);
    assert_eq!(unknown["error"]["errorType"], "Meteor.Error");
    assert!(unknown.get("result").is_none());
    assert_eq!(
        ws.next().await,
        json!({ "msg": "updated", "methods": ["m2"] })
    );

    control(
        &base,
        "POST",
        "/_sim/auth/revoke",
        json!({ "provider": "rocketchat", "token": "old-token" }),
    )
    .await;
    let refused = login(&mut ws, "old-token").await;
    assert!(refused.get("result").is_none());
    let reason = "You've been logged out by the server. Please log in again.";
    assert_eq!(
        refused["error"],
        json!({
            "error": 403,
            "reason": reason,
            "message": format!("{reason} [403]"),
            "errorType": "Meteor.Error",
        })
    );
    // A user that never came over REST gets an id of Meteor's form, the same each time.
    let stranger = login(&mut ws, "fresh-token").await["result"]["id"].clone();
    assert_eq!(stranger.as_str().unwrap().len(), 17);
    assert_eq!(
        login(&mut ws, "fresh-token").await["result"]["id"],
        stranger
    );

    let mut old = Ws::open(&format!("{}/rocketchat/websocket", ws_base(&base))).await;
    old.next().await;
    old.send(json!({ "msg": "connect", "version": "pre1", "support": ["pre1"] }))
        .await;
    assert_eq!(old.next().await, json!({ "msg": "failed", "version": "1" }));
    assert!(matches!(old.end().await, Got::Closed(..)));
}

#[tokio::test]
async fn ddp_presence_subscription_pushes_changes_of_the_watched() {
    let base = sim(6).await;
    let people = ids(&base, "rocketchat").await;
    let (a, b, c, d) = (&people[0], &people[1], &people[2], &people[3]);
    let mut ws = ddp(&base).await;

    // Not logged in: refused.
    let refused = sub_presence(&mut ws, "s0", &[a], &[]).await;
    assert_eq!(
        (&refused["msg"], &refused["id"]),
        (&json!("nosub"), &json!("s0"))
    );
    assert_eq!(refused["error"]["error"], "not-allowed");

    assert!(login(&mut ws, "rc-token").await.get("result").is_some());
    assert_eq!(
        sub_presence(&mut ws, "s1", &[a, b], &[]).await,
        json!({ "msg": "ready", "subs": ["s1"] })
    );
    // A later sub changes the first one's ids and ends at once.
    assert_eq!(
        sub_presence(&mut ws, "s2", &[c], &[b]).await,
        json!({ "msg": "nosub", "id": "s2" })
    );

    set(
        &base,
        "rocketchat",
        a,
        json!({ "availability": "Busy", "message": "In a review" }),
    )
    .await;
    let username = user(&base, "rocketchat", a).await["username"].clone();
    assert_eq!(
        ws.next().await,
        json!({
            "msg": "changed",
            "collection": "stream-user-presence",
            "id": a,
            "fields": { "uid": a, "args": [[username, 3, "In a review"]], "eventName": a },
        })
    );
    // b was removed and d never watched: c's change is the next frame.
    set(
        &base,
        "rocketchat",
        b,
        json!({ "availability": "Available" }),
    )
    .await;
    set(
        &base,
        "rocketchat",
        d,
        json!({ "availability": "Available" }),
    )
    .await;
    set(&base, "rocketchat", c, json!({ "availability": "Away" })).await;
    let next = ws.next().await;
    assert_eq!(next["id"], c.as_str(), "{next}");
    assert_eq!(next["fields"]["args"][0][1], 2);
    assert_eq!(next["fields"]["args"][0][2], "");
    set(&base, "rocketchat", c, json!({ "availability": "Offline" })).await;
    assert_eq!(ws.next().await["fields"]["args"][0][1], 0);

    assert_eq!(
        stats(&base).await["rocketchat"]["subscriptions"],
        2,
        "a and c watched"
    );

    ws.send(json!({ "msg": "sub", "id": "s3", "name": "stream-room-messages", "params": [] }))
        .await;
    let unknown = ws.next().await;
    assert_eq!(unknown["msg"], "nosub");
    assert_eq!(unknown["error"]["error"], 404);

    ws.send(json!({ "msg": "unsub", "id": "s1" })).await;
    assert_eq!(ws.next().await, json!({ "msg": "nosub", "id": "s1" }));
    set(&base, "rocketchat", a, json!({ "availability": "Away" })).await;
    assert_eq!(
        marker(&mut ws, "after-unsub").await,
        json!({ "msg": "pong", "id": "after-unsub" })
    );
    // With the first gone, the next sub is the open one.
    assert_eq!(
        sub_presence(&mut ws, "s4", &[d], &[]).await,
        json!({ "msg": "ready", "subs": ["s4"] })
    );
    set(&base, "rocketchat", d, json!({ "availability": "Busy" })).await;
    assert_eq!(ws.next().await["id"], d.as_str());
}

#[tokio::test]
async fn ddp_legacy_user_status_stream() {
    let base = sim(4).await;
    let people = ids(&base, "rocketchat").await;
    let mut ws = ddp_in(&base).await;
    ws.send(json!({ "msg": "sub", "id": "legacy", "name": "stream-notify-logged", "params": ["user-status", false] }))
        .await;
    assert_eq!(
        ws.next().await,
        json!({ "msg": "ready", "subs": ["legacy"] })
    );
    set(
        &base,
        "rocketchat",
        &people[2],
        json!({ "availability": "Available", "message": "Happy to help" }),
    )
    .await;
    let username = user(&base, "rocketchat", &people[2]).await["username"].clone();
    assert_eq!(
        ws.next().await,
        json!({
            "msg": "changed",
            "collection": "stream-notify-logged",
            "id": "id",
            "fields": { "eventName": "user-status", "args": [[people[2], username, 1, "Happy to help"]] },
        })
    );
    // Everyone's changes come, watched or not.
    set(
        &base,
        "rocketchat",
        &people[3],
        json!({ "availability": "DoNotDisturb" }),
    )
    .await;
    let next = ws.next().await;
    assert_eq!(next["fields"]["args"][0][0], people[3].as_str());
    assert_eq!(next["fields"]["args"][0][2], 3);
    assert_eq!(stats(&base).await["rocketchat"]["legacy_subscriptions"], 1);
}

#[tokio::test]
async fn ddp_server_pings_and_closes_a_silent_socket() {
    let base = sim(2).await;
    heartbeat(&base, 200).await;
    let mut answering = ddp(&base).await;
    let mut silent = ddp(&base).await;
    assert_eq!(silent.next().await, json!({ "msg": "ping" }));
    for _ in 0..3 {
        assert_eq!(answering.next().await, json!({ "msg": "ping" }));
        answering.send(json!({ "msg": "pong" })).await;
    }
    assert_eq!(
        silent.end().await,
        Got::Closed(4000, "no pong".into()),
        "a socket that never answers is closed"
    );
    // The one that answered is still served.
    answering
        .send(json!({ "msg": "ping", "id": "still" }))
        .await;
    assert_eq!(
        answering.until(is("pong")).await,
        json!({ "msg": "pong", "id": "still" })
    );
    assert!(
        stats(&base).await["rocketchat"]["heartbeats_sent"]
            .as_u64()
            .unwrap()
            >= 4
    );
}

#[tokio::test]
async fn ddp_faults_broadcast_off_rejects_garbage_silence_and_drops() {
    let base = sim(4).await;
    let people = ids(&base, "rocketchat").await;
    let a = &people[0];
    let mut ws = ddp_in(&base).await;
    assert_eq!(sub_presence(&mut ws, "s1", &[a], &[]).await["msg"], "ready");
    set(
        &base,
        "rocketchat",
        a,
        json!({ "availability": "Available" }),
    )
    .await;
    assert_eq!(ws.next().await["msg"], "changed");

    // Broadcast off: REST says everyone is offline with full: true, even for ids; no frame.
    fault(
        &base,
        json!({ "provider": "rocketchat", "presence_broadcast": false }),
    )
    .await;
    let rc = [("X-User-Id", "caller"), ("X-Auth-Token", "rc-token")];
    for query in [format!("?ids={a}"), String::new()] {
        let answer = request(
            &base,
            "GET",
            &format!("/rocketchat/api/v1/users.presence{query}"),
            &rc,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            answer.json(),
            json!({ "users": [], "full": true, "success": true })
        );
    }
    let sent = stats(&base).await["rocketchat"]["events_sent"].clone();
    set(&base, "rocketchat", a, json!({ "availability": "Busy" })).await;
    assert_eq!(
        marker(&mut ws, "m1").await,
        json!({ "msg": "pong", "id": "m1" })
    );
    assert_eq!(stats(&base).await["rocketchat"]["events_sent"], sent);
    heal(&base).await;
    set(&base, "rocketchat", a, json!({ "availability": "Away" })).await;
    assert_eq!(ws.next().await["fields"]["args"][0][1], 2);

    // Subscriptions refused.
    fault(
        &base,
        json!({ "provider": "rocketchat", "reject_subscriptions": true }),
    )
    .await;
    let refused = sub_presence(&mut ws, "s2", &[&people[1]], &[]).await;
    assert_eq!(refused["msg"], "nosub");
    assert_eq!(refused["error"]["errorType"], "Meteor.Error");
    heal(&base).await;

    // Garbage before every real frame.
    fault(
        &base,
        json!({ "provider": "rocketchat", "garbage_frames": true }),
    )
    .await;
    ws.send(json!({ "msg": "ping", "id": "g" })).await;
    let Got::Text(garbage) = ws.got().await else {
        panic!("no garbage frame")
    };
    assert!(
        serde_json::from_str::<Value>(&garbage).is_err(),
        "{garbage}"
    );
    assert_eq!(ws.next().await, json!({ "msg": "pong", "id": "g" }));
    assert!(
        stats(&base).await["rocketchat"]["garbage_sent"]
            .as_u64()
            .unwrap()
            >= 1
    );
    heal(&base).await;

    // No heartbeats: neither pings nor pongs, and a silent socket stays open. A Genesys socket,
    // beating at the same period, is the clock.
    fault(
        &base,
        json!({ "provider": "rocketchat", "no_heartbeats": true }),
    )
    .await;
    heartbeat(&base, 100).await;
    let before = stats(&base).await["rocketchat"].clone();
    let (pings, received) = (
        before["heartbeats_sent"].clone(),
        before["frames_received"].as_u64().unwrap(),
    );
    ws.send(json!({ "msg": "ping", "id": "unanswered" })).await;
    stats_until(&base, |s| {
        s["rocketchat"]["frames_received"].as_u64().unwrap() > received
    })
    .await;
    let mut clock = genesys_socket(&base, GEN_TOKEN).await.0;
    for _ in 0..4 {
        clock
            .until(|f| f["eventBody"]["message"] == "WebSocket Heartbeat")
            .await;
    }
    set(&base, "rocketchat", a, json!({ "availability": "Busy" })).await;
    let next = ws.next().await;
    assert_eq!(
        next["msg"], "changed",
        "no ping, no pong before the change: {next}"
    );
    assert_eq!(stats(&base).await["rocketchat"]["heartbeats_sent"], pings);
    // Back to a slow beat first: this socket never answers a ping.
    heartbeat(&base, 30_000).await;
    heal(&base).await;

    // Dropped: the connection ends without a close frame.
    fault(
        &base,
        json!({ "provider": "rocketchat", "drop_sockets": true }),
    )
    .await;
    assert_eq!(ws.end().await, Got::Dropped);
    stats_until(&base, |s| s["rocketchat"]["sockets_open"] == 0).await;
}

// ---------------------------------------------------------------- Genesys notifications

async fn create_channel(base: &str, token: &str) -> Value {
    let auth = format!("Bearer {token}");
    let answer = request(
        base,
        "POST",
        "/genesys/api/v2/notifications/channels",
        &[("Authorization", &auth)],
        Some(""),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn topics(
    base: &str,
    token: &str,
    channel: &str,
    method: &str,
    body: Option<Value>,
) -> Answer {
    let auth = format!("Bearer {token}");
    let body = body.map(|b| b.to_string());
    request(
        base,
        method,
        &format!("/genesys/api/v2/notifications/channels/{channel}/subscriptions"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_deref(),
    )
    .await
    .unwrap()
}

fn presence_topics(people: &[&String]) -> Value {
    people
        .iter()
        .map(|p| json!({ "id": format!("v2.users.{p}.presence") }))
        .collect()
}

fn topic_ids(answer: &Answer) -> Vec<String> {
    let body = answer.json();
    body["entities"]
        .as_array()
        .unwrap_or_else(|| panic!("no entities: {}", answer.body))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A socket on the channel, once the simulator serves it (a ping answered).
async fn connect(uri: &str) -> Ws {
    let mut ws = Ws::open(uri).await;
    ws.send(json!({ "message": "ping" })).await;
    ws.until(|f| f["eventBody"]["message"] == "pong").await;
    ws
}

/// A new channel of `token` with a socket on it, and the channel.
async fn genesys_socket(base: &str, token: &str) -> (Ws, Value) {
    let channel = create_channel(base, token).await;
    (
        connect(channel["connectUri"].as_str().unwrap()).await,
        channel,
    )
}

#[tokio::test]
async fn genesys_channel_subscriptions_and_events() {
    let base = sim(5).await;
    let people = ids(&base, "genesys").await;
    let (a, b) = (&people[0], &people[1]);
    let unauthorized = request(
        &base,
        "POST",
        "/genesys/api/v2/notifications/channels",
        &[],
        Some(""),
    )
    .await
    .unwrap();
    assert_eq!(unauthorized.status, 401);

    let before = presence_sim::clock::now_ms();
    let channel = create_channel(&base, GEN_TOKEN).await;
    let mut keys: Vec<&str> = channel
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["connectUri", "expires", "id"]);
    let id = channel["id"].as_str().unwrap();
    assert!(id.starts_with("streaming-0-"), "{id}");
    assert_eq!(
        channel["connectUri"],
        format!("{}/genesys/channels/{id}", ws_base(&base))
    );
    let expires = humantime::parse_rfc3339(channel["expires"].as_str().unwrap()).unwrap();
    let expires_ms = u64::try_from(
        expires
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let day = 24 * 3_600_000;
    assert!((before + day..=before + day + 60_000).contains(&expires_ms));

    let put = topics(&base, GEN_TOKEN, id, "PUT", Some(presence_topics(&[a]))).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.json(),
        json!({ "entities": [{ "id": format!("v2.users.{a}.presence"), "state": "Permitted" }] })
    );
    let post = topics(&base, GEN_TOKEN, id, "POST", Some(presence_topics(&[b]))).await;
    let mut both = vec![
        format!("v2.users.{a}.presence"),
        format!("v2.users.{b}.presence"),
    ];
    both.sort();
    assert_eq!(topic_ids(&post), both);
    assert_eq!(
        topic_ids(&topics(&base, GEN_TOKEN, id, "GET", None).await),
        both
    );
    let replaced = topics(&base, GEN_TOKEN, id, "PUT", Some(presence_topics(&[b]))).await;
    assert_eq!(topic_ids(&replaced), [format!("v2.users.{b}.presence")]);

    // The channel is its maker's.
    assert_eq!(
        topics(&base, "someone-else", id, "GET", None).await.status,
        404
    );
    // Topics the simulator does not serve are refused, or left out with ignoreErrors.
    let odd = json!([{ "id": "v2.users.x.routingStatus" }]);
    let refused = topics(&base, GEN_TOKEN, id, "POST", Some(odd.clone())).await;
    assert_eq!(refused.status, 400);
    let ignored = request(
        &base,
        "POST",
        &format!("/genesys/api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true"),
        &[("Authorization", "Bearer genesys-token")],
        Some(&odd.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(ignored.status, 200);
    assert_eq!(ignored.json()["entities"][1]["state"], "Rejected");

    let mut ws = connect(channel["connectUri"].as_str().unwrap()).await;
    set(
        &base,
        "genesys",
        a,
        json!({ "availability": "Busy", "activity": "OnQueue" }),
    )
    .await;
    set(
        &base,
        "genesys",
        b,
        json!({ "availability": "Away", "activity": "Meal", "message": "Back at one" }),
    )
    .await;
    let event = ws.next().await;
    assert_eq!(
        event["topicName"],
        format!("v2.users.{b}.presence"),
        "only b is subscribed: {event}"
    );
    let rest = request(
        &base,
        "GET",
        &format!("/genesys/api/v2/users/{b}/presences/purecloud"),
        GEN,
        None,
    )
    .await
    .unwrap()
    .json();
    let correlation = event["metadata"]["CorrelationId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(correlation.len(), 36);
    assert_eq!(
        event,
        json!({
            "topicName": format!("v2.users.{b}.presence"),
            "version": "2",
            "eventBody": {
                "source": "PURECLOUD",
                "presenceDefinition": {
                    "id": rest["presenceDefinition"]["id"],
                    "systemPresence": "MEAL",
                },
                "primary": rest["primary"],
                "message": "Back at one",
                "modifiedDate": rest["modifiedDate"],
            },
            "metadata": { "CorrelationId": correlation },
        })
    );
    assert_eq!(rest["presenceDefinition"]["systemPresence"], "Meal");
    // On Queue, as notifications spell it.
    topics(&base, GEN_TOKEN, id, "POST", Some(presence_topics(&[a]))).await;
    set(
        &base,
        "genesys",
        a,
        json!({ "availability": "Busy", "activity": "OnQueue" }),
    )
    .await;
    assert_eq!(
        ws.next().await["eventBody"]["presenceDefinition"]["systemPresence"],
        "ON_QUEUE"
    );

    // A socket on a channel that does not exist is refused with a 404.
    let unknown = connect_async(format!(
        "{}/genesys/channels/streaming-0-nosuchchannel",
        ws_base(&base)
    ))
    .await;
    match unknown {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404);
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn genesys_heartbeat_and_ping() {
    let base = sim(2).await;
    heartbeat(&base, 100).await;
    let (mut ws, _) = genesys_socket(&base, GEN_TOKEN).await;
    assert_eq!(
        ws.next().await,
        json!({ "topicName": "channel.metadata", "eventBody": { "message": "WebSocket Heartbeat" } })
    );
    ws.send(json!({ "message": "ping" })).await;
    assert_eq!(
        ws.until(|f| f["eventBody"]["message"] != "WebSocket Heartbeat")
            .await,
        json!({ "topicName": "channel.metadata", "eventBody": { "message": "pong" } })
    );
}

#[tokio::test]
async fn genesys_topic_and_channel_limits() {
    let base = sim(2).await;
    let channel = create_channel(&base, GEN_TOKEN).await;
    let id = channel["id"].as_str().unwrap();
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({ "id": format!("v2.users.{i:08}-0000-4000-8000-000000000000.presence") }))
        .collect();
    let thousand = topics(
        &base,
        GEN_TOKEN,
        id,
        "PUT",
        Some(Value::Array(many[..1000].to_vec())),
    )
    .await;
    assert_eq!(thousand.status, 200);
    assert_eq!(topic_ids(&thousand).len(), 1000);
    let over = topics(
        &base,
        GEN_TOKEN,
        id,
        "POST",
        Some(Value::Array(many[1000..].to_vec())),
    )
    .await;
    assert_eq!(over.status, 400, "{}", over.body);
    let body = over.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "contextId",
            "details",
            "errors",
            "message",
            "status"
        ]
    );
    assert_eq!(
        (&body["status"], &body["code"]),
        (&json!(400), &json!("bad.request"))
    );
    assert!(body["message"].as_str().unwrap().contains("1000"));
    assert_eq!(
        topics(&base, GEN_TOKEN, id, "PUT", Some(Value::Array(many)))
            .await
            .status,
        400
    );
    assert_eq!(
        topic_ids(&topics(&base, GEN_TOKEN, id, "GET", None).await).len(),
        1000
    );
    assert_eq!(stats(&base).await["genesys"]["subscriptions"], 1000);

    // Twenty channels a user; the 21st replaces the oldest without a socket.
    let mut made = vec![channel];
    for _ in 1..20 {
        made.push(create_channel(&base, GEN_TOKEN).await);
    }
    let other = create_channel(&base, "another-user").await;
    let _socket = connect(made[0]["connectUri"].as_str().unwrap()).await;
    let newest = create_channel(&base, GEN_TOKEN).await;
    let status = |c: &Value, token: &'static str| {
        let base = base.clone();
        let id = c["id"].as_str().unwrap().to_owned();
        async move { topics(&base, token, &id, "GET", None).await.status }
    };
    assert_eq!(status(&made[0], GEN_TOKEN).await, 200, "connected: kept");
    assert_eq!(
        status(&made[1], GEN_TOKEN).await,
        404,
        "oldest unconnected: replaced"
    );
    assert_eq!(status(&made[2], GEN_TOKEN).await, 200);
    assert_eq!(status(&newest, GEN_TOKEN).await, 200);
    assert_eq!(
        status(&other, "another-user").await,
        200,
        "another user's channel"
    );
    // Last use counts, not creation: channel 2 used now outlives channel 3.
    assert_eq!(status(&made[2], GEN_TOKEN).await, 200);
    let touched = topics(
        &base,
        GEN_TOKEN,
        made[2]["id"].as_str().unwrap(),
        "PUT",
        Some(json!([])),
    )
    .await;
    assert_eq!(touched.status, 200);
    create_channel(&base, GEN_TOKEN).await;
    assert_eq!(status(&made[3], GEN_TOKEN).await, 404);
    assert_eq!(status(&made[2], GEN_TOKEN).await, 200);
    let counted = stats(&base).await["genesys"].clone();
    assert_eq!(
        (&counted["channels"], &counted["channels_created"]),
        (&json!(21), &json!(23))
    );
}

#[tokio::test]
async fn genesys_second_socket_drops_the_first() {
    let base = sim(3).await;
    let people = ids(&base, "genesys").await;
    let (mut first, channel) = genesys_socket(&base, GEN_TOKEN).await;
    let id = channel["id"].as_str().unwrap();
    topics(
        &base,
        GEN_TOKEN,
        id,
        "PUT",
        Some(presence_topics(&[&people[0]])),
    )
    .await;
    let mut second = connect(channel["connectUri"].as_str().unwrap()).await;
    assert!(matches!(first.end().await, Got::Closed(1000, _)));
    set(
        &base,
        "genesys",
        &people[0],
        json!({ "availability": "Available" }),
    )
    .await;
    assert_eq!(
        second.next().await["topicName"],
        format!("v2.users.{}.presence", people[0])
    );
    let counted = stats_until(&base, |s| s["genesys"]["sockets_open"] == 1).await;
    assert_eq!(counted["genesys"]["sockets_opened"], 2);
}

#[tokio::test]
async fn genesys_faults_closing_rejection_silence_and_drops() {
    let base = sim(3).await;
    let people = ids(&base, "genesys").await;
    let (mut ws, channel) = genesys_socket(&base, GEN_TOKEN).await;
    let id = channel["id"].as_str().unwrap();
    topics(
        &base,
        GEN_TOKEN,
        id,
        "PUT",
        Some(presence_topics(&[&people[0]])),
    )
    .await;

    fault(
        &base,
        json!({ "provider": "genesys", "socket_closing": true }),
    )
    .await;
    let closing = ws.next().await;
    assert_eq!(closing["topicName"], "v2.system.socket_closing");
    assert!(closing["eventBody"]["message"].is_string());
    // An announcement only: no fault is kept.
    assert_eq!(
        request(&base, "GET", "/_sim/faults", &[], None)
            .await
            .unwrap()
            .json(),
        json!({})
    );

    fault(
        &base,
        json!({ "provider": "genesys", "reject_subscriptions": true }),
    )
    .await;
    let topic = format!("v2.users.{}.presence", people[1]);
    let refused = topics(
        &base,
        GEN_TOKEN,
        id,
        "POST",
        Some(presence_topics(&[&people[1]])),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let body = refused.json();
    assert_eq!(body["status"], 403);
    assert_eq!(body["entities"][0]["id"], topic.as_str());
    assert_eq!(body["entities"][0]["state"], "Rejected");
    assert_eq!(
        body["entities"][0]["missingPermissions"],
        json!(["presence:userPresence:view"])
    );
    assert_eq!(
        topic_ids(&topics(&base, GEN_TOKEN, id, "GET", None).await),
        [format!("v2.users.{}.presence", people[0])],
        "nothing added"
    );
    heal(&base).await;

    // No heartbeats (and no pong): a Rocket.Chat socket at the same period is the clock.
    fault(
        &base,
        json!({ "provider": "genesys", "no_heartbeats": true }),
    )
    .await;
    heartbeat(&base, 100).await;
    let beats = stats(&base).await["genesys"]["heartbeats_sent"].clone();
    ws.send(json!({ "message": "ping" })).await;
    stats_until(&base, |s| {
        s["genesys"]["frames_received"].as_u64().unwrap() >= 2
    })
    .await;
    let mut clock = ddp(&base).await;
    for _ in 0..4 {
        assert_eq!(clock.next().await, json!({ "msg": "ping" }));
        clock.send(json!({ "msg": "pong" })).await;
    }
    set(
        &base,
        "genesys",
        &people[0],
        json!({ "availability": "Busy" }),
    )
    .await;
    let next = ws.next().await;
    assert_eq!(
        next["topicName"],
        format!("v2.users.{}.presence", people[0]),
        "{next}"
    );
    assert_eq!(stats(&base).await["genesys"]["heartbeats_sent"], beats);
    heal(&base).await;
    ws.until(|f| f["eventBody"]["message"] == "WebSocket Heartbeat")
        .await;

    fault(
        &base,
        json!({ "provider": "genesys", "drop_sockets": true }),
    )
    .await;
    assert_eq!(ws.end().await, Got::Dropped);
    stats_until(&base, |s| s["genesys"]["sockets_open"] == 0).await;
    // The channel outlives its socket.
    assert_eq!(topics(&base, GEN_TOKEN, id, "GET", None).await.status, 200);
}

#[tokio::test]
async fn push_settings_are_checked() {
    let base = sim(1).await;
    assert_eq!(
        request(&base, "GET", "/_sim/push", &[], None)
            .await
            .unwrap()
            .json(),
        json!({ "heartbeat_ms": 30000 })
    );
    for bad in [
        json!({ "heartbeat_ms": 5 }),
        json!({ "heartbeat_ms": "often" }),
        json!({}),
    ] {
        assert_eq!(control(&base, "PUT", "/_sim/push", bad).await.status, 400);
    }
}

#[tokio::test]
async fn stats_count_sockets_frames_subscriptions_and_channels() {
    let base = sim(4).await;
    let rc = ids(&base, "rocketchat").await;
    let gc = ids(&base, "genesys").await;
    let mut ddp_ws = ddp_in(&base).await;
    assert_eq!(
        sub_presence(&mut ddp_ws, "s1", &[&rc[0], &rc[1]], &[]).await["msg"],
        "ready"
    );
    let (mut g_ws, channel) = genesys_socket(&base, GEN_TOKEN).await;
    let id = channel["id"].as_str().unwrap();
    topics(
        &base,
        GEN_TOKEN,
        id,
        "PUT",
        Some(presence_topics(&[&gc[0], &gc[1], &gc[2]])),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &rc[0],
        json!({ "availability": "Busy" }),
    )
    .await;
    ddp_ws.until(is("changed")).await;
    set(&base, "genesys", &gc[0], json!({ "availability": "Busy" })).await;
    g_ws.next().await;

    let push = stats(&base).await;
    assert_eq!(
        push["rocketchat"],
        json!({
            "sockets_open": 1,
            "sockets_opened": 1,
            // connect, login, sub
            "frames_received": 3,
            // server_id, connected, result, updated, ready, changed
            "frames_sent": 6,
            "events_sent": 1,
            "heartbeats_sent": 0,
            "garbage_sent": 0,
            "subscriptions": 2,
            "legacy_subscriptions": 0,
            "channels": 0,
            "channels_created": 0,
        })
    );
    assert_eq!(
        push["genesys"],
        json!({
            "sockets_open": 1,
            "sockets_opened": 1,
            "frames_received": 1,
            // pong, event
            "frames_sent": 2,
            "events_sent": 1,
            "heartbeats_sent": 0,
            "garbage_sent": 0,
            "subscriptions": 3,
            "channels": 1,
            "channels_created": 1,
        })
    );
    let reset = request(&base, "POST", "/_sim/stats/reset", &[], Some(""))
        .await
        .unwrap()
        .json();
    let after = &reset["push"];
    assert_eq!(after["rocketchat"]["frames_sent"], 0);
    assert_eq!(after["rocketchat"]["sockets_opened"], 0);
    assert_eq!(after["genesys"]["channels_created"], 0);
    // What is open stays counted.
    assert_eq!(after["rocketchat"]["sockets_open"], 1);
    assert_eq!(after["rocketchat"]["subscriptions"], 2);
    assert_eq!(
        (
            &after["genesys"]["channels"],
            &after["genesys"]["subscriptions"]
        ),
        (&json!(1), &json!(3))
    );
}

/// When every one of a user's 20 channels has a socket, none can be replaced: the 21st is refused.
#[tokio::test]
async fn genesys_refuses_a_21st_channel_when_all_20_are_connected() {
    let base = sim(1).await;
    let mut sockets = Vec::new();
    for _ in 0..20 {
        sockets.push(genesys_socket(&base, "busy-user").await.0);
    }
    let refused = request(
        &base,
        "POST",
        "/genesys/api/v2/notifications/channels",
        &[("Authorization", "Bearer busy-user")],
        Some(""),
    )
    .await
    .unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["code"], "bad.request");
    // One socket closes: its channel is now the one replaced.
    drop(sockets.pop());
    stats_until(&base, |s| s["genesys"]["sockets_open"] == 19).await;
    create_channel(&base, "busy-user").await;
    assert_eq!(stats(&base).await["genesys"]["channels"], 20);
}

// ---------------------------------------------------------------- writes

#[tokio::test]
async fn writes_go_out_on_both_push_channels() {
    let base = sim(4).await;
    // Rocket.Chat: the caller (an X-User-Id naming nobody: the first person) sets its status.
    let rc = ids(&base, "rocketchat").await;
    let me = &rc[0];
    let mut ws = ddp_in(&base).await;
    assert_eq!(
        sub_presence(&mut ws, "s1", &[me], &[]).await,
        json!({ "msg": "ready", "subs": ["s1"] })
    );
    let written = request(
        &base,
        "POST",
        "/rocketchat/api/v1/users.setStatus",
        &[
            ("X-User-Id", "caller0000000000"),
            ("X-Auth-Token", "rc-token"),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"status": "away", "message": "Coffee"}"#),
    )
    .await
    .unwrap();
    assert_eq!(written.status, 200, "{}", written.body);
    let username = user(&base, "rocketchat", me).await["username"].clone();
    let frame = ws.next().await;
    assert_eq!(frame["id"], me.as_str(), "{frame}");
    assert_eq!(frame["fields"]["args"], json!([[username, 2, "Coffee"]]));

    // Genesys: the first person patches their own presence to the system Meal definition, which
    // the event shows as it is, not as the Lunch definition of the same state.
    let gen = ids(&base, "genesys").await;
    let (mut socket, channel) = genesys_socket(&base, GEN_TOKEN).await;
    let id = channel["id"].as_str().unwrap();
    let put = topics(
        &base,
        GEN_TOKEN,
        id,
        "PUT",
        Some(presence_topics(&[&gen[0]])),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let meal = "b4a2d3e5-1c6f-4d70-8b8c-9d0e1f2a3b4c";
    let body = json!({ "presenceDefinition": { "id": meal }, "message": "Lunch" }).to_string();
    let patched = request(
        &base,
        "PATCH",
        &format!("/genesys/api/v2/users/{}/presences/purecloud", gen[0]),
        &[
            ("Authorization", "Bearer genesys-token"),
            ("Content-Type", "application/json"),
        ],
        Some(&body),
    )
    .await
    .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.body);
    let event = socket
        .until(|f| f["topicName"] == format!("v2.users.{}.presence", gen[0]))
        .await;
    assert_eq!(
        event["eventBody"]["presenceDefinition"],
        json!({ "id": meal, "systemPresence": "MEAL" })
    );
    assert_eq!(event["eventBody"]["message"], "Lunch");
}
