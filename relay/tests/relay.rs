//! The relay against presence-sim: its upstream, its viewers' issuer and its token endpoints.
//! Streams are read as a page reads them: `fetch` of `POST /v1/stream` with the token in a
//! header, events parsed from the body as they arrive.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{mint, open, relay_with, sim, token, until_fresh, wait_for};
use presence_relay::Running;
use presence_sim::client::{control, set_user, user_ids};
use serde_json::{json, Value};

/// A relay reading the sim's Graph as `teams`, with `extra` TOML appended.
async fn relay(sim: &str, extra: &str) -> Running {
    common::teams_relay(sim, extra).await
}

/// Publishes `n` changes of `user` (numbered in `n`) at once, as nothing a stream can take
/// while they come on this single-threaded runtime.
fn burst(relay: &Running, user: &str, n: u64) {
    let id = user.into();
    for i in 0..n {
        relay.relay.hub.publish(
            0,
            &id,
            json!({"source": "teams", "user": user, "status": "fresh", "n": i}).to_string(),
        );
    }
}

fn watch(ids: &[String]) -> Value {
    json!({ "sources": { "teams": ids } })
}

#[tokio::test]
async fn a_page_gets_a_snapshot_then_every_change() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids: Vec<String> = user_ids(&sim, "graph").await.unwrap()[..3].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    let snapshot = events.next().await.unwrap();
    assert_eq!(snapshot.event, "snapshot");
    let data = snapshot.json();
    assert_eq!(data["presences"].as_array().unwrap().len(), 3);
    assert_eq!(data["full"], json!(["teams"]));
    assert_eq!(data["states"][0]["source"], "teams");
    assert!(snapshot.id.unwrap().starts_with("teams="));
    until_fresh(&mut events, &ids).await;

    set_user(
        &sim,
        "graph",
        &ids[1],
        &json!({"availability": "Busy", "message": "<b>hi</b>"}),
    )
    .await
    .unwrap();
    let ev = events
        .until("Busy", |e| {
            e.event == "presence" && e.json()["presence"]["availability"] == "Busy"
        })
        .await;
    let j = ev.json();
    assert_eq!(j["user"], ids[1].as_str());
    assert_eq!(j["source"], "teams");
    assert_eq!(j["presence"]["provider"], "graph");
    assert_eq!(j["presence"]["message"], "<b>hi</b>");
    assert_eq!(j["presence"]["mode"], "poll");
    // `teams=<position>;@=<the relay's epoch>`.
    let id = ev.id.unwrap();
    let (teams, epoch) = id.split_once(';').unwrap();
    let pos: u64 = teams.strip_prefix("teams=").unwrap().parse().unwrap();
    assert!(pos > 0);
    assert_eq!(epoch, format!("@={}", relay.relay.hub.epoch()));
}

/// The reader may answer for a new id before the stream that asked for it goes on: its first
/// answer must find the person's slot (once lost, a presence stayed loading until it changed).
#[tokio::test]
async fn a_first_answer_as_fast_as_the_subscription_is_kept() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids: Vec<String> = user_ids(&sim, "graph").await.unwrap()[..3].to_vec();
    let users: Vec<_> = ids.iter().map(|id| id.as_str().into()).collect();
    let slots = relay.relay.watch(&[(0, users.clone())]).unwrap();
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].1.len(), 3, "a slot for each id: {slots:?}");
    // What the reader does as soon as it is woken, before anything else runs here.
    for (id, user) in ids.iter().zip(&users) {
        let entry = json!({"source": "teams", "user": id, "status": "available"});
        relay.relay.hub.publish(0, user, entry.to_string());
        assert!(relay.relay.hub.current(0, user).is_some(), "{id} was lost");
    }
    // The last viewer gone, the entries go with the slots.
    relay.relay.unwatch(&[(0, users.clone())]);
    for user in &users {
        assert!(relay.relay.hub.current(0, user).is_none());
    }
}

#[tokio::test]
async fn more_viewers_cost_no_more_upstream_reads() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids: Vec<String> = user_ids(&sim, "graph").await.unwrap()[..100].to_vec();
    let token = token(&sim).await;
    let mut first = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    until_fresh(&mut first, &ids).await;
    let teams = relay.relay.sources[0].clone();
    let before = teams
        .counters
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    // Nine more pages watching the same people are answered from what the relay holds.
    let mut others = Vec::new();
    for _ in 0..9 {
        let mut events = open(&relay, Some(&token), &watch(&ids), None)
            .await
            .unwrap();
        let snapshot = events.next().await.unwrap();
        let presences = snapshot.json()["presences"].as_array().unwrap().clone();
        assert_eq!(presences.len(), 100);
        assert!(
            presences.iter().all(|p| p["status"] == "fresh"),
            "{presences:?}"
        );
        others.push(events);
    }
    let after = teams
        .counters
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    // 100 Graph people are one request a poll; at most the polls due meanwhile were sent.
    assert!(after - before <= 2, "{before} → {after}");
    assert_eq!(teams.watched(), 100);
    // Ids nobody watches any more are dropped.
    drop(first);
    drop(others);
    wait_for("nobody read", || teams.watched() == 0).await;
}

#[tokio::test]
async fn viewers_need_a_valid_token() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = vec!["someone".to_owned()];
    let (status, body) = open(&relay, None, &watch(&ids), None).await.err().unwrap();
    assert_eq!(status, 401);
    assert!(
        body["reason"].as_str().unwrap().contains("no bearer token"),
        "{body}"
    );

    let cases = [
        (json!({"sub": "a", "expiresIn": -120}), "expired"),
        (json!({"sub": "a", "aud": "someone-else"}), "wrong audience"),
        (
            json!({"sub": "a", "issuer": "http://elsewhere.test"}),
            "wrong issuer",
        ),
        (json!({"sub": "a", "foreignKey": true}), "bad signature"),
    ];
    for (claims, reason) in cases {
        let t = mint(&sim, claims.clone()).await;
        let (status, body) = open(&relay, Some(&t), &watch(&ids), None)
            .await
            .err()
            .unwrap();
        assert_eq!(status, 401, "{claims}");
        assert!(
            body["reason"].as_str().unwrap().contains(reason),
            "{claims}: {body}"
        );
        assert!(!body.to_string().contains(&t));
    }
    let (status, body) = open(&relay, Some("not.a.jwt"), &watch(&ids), None)
        .await
        .err()
        .unwrap();
    assert_eq!(
        (status, body["reason"].as_str().unwrap()),
        (401, "the token is not valid: not a JWT")
    );
}

#[tokio::test]
async fn rules_on_claims_say_who_reads_a_source() {
    let sim = sim().await;
    let sources = format!(
        r#"
        [sources.teams]
        kind = "graph"
        base_url = "{sim}/graph/v1.0"
        credentials = {{ token = "t" }}
        allow = [{{ claim = "tid", equals = "contoso" }}, {{ claim = "groups", equals = "staff" }}]
        "#
    );
    let relay = relay_with(&sim, "", &sources).await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    let outsider = mint(
        &sim,
        json!({"sub": "eve", "claims": {"tid": "contoso", "groups": ["guests"]}}),
    )
    .await;
    let (status, body) = open(&relay, Some(&outsider), &watch(&ids), None)
        .await
        .err()
        .unwrap();
    assert_eq!(status, 403);
    assert_eq!(body["source"], "teams");
    let staff = mint(
        &sim,
        json!({"sub": "bob", "claims": {"tid": "contoso", "groups": ["staff", "it"]}}),
    )
    .await;
    let mut events = open(&relay, Some(&staff), &watch(&ids), None)
        .await
        .unwrap();
    assert_eq!(events.next().await.unwrap().event, "snapshot");
}

#[tokio::test]
async fn bad_watches_are_refused_with_what_was_wrong() {
    let sim = sim().await;
    let relay = relay(&sim, "max_ids = 5").await;
    let token = token(&sim).await;
    let cases = [
        (
            json!({"sources": {"mail": ["a"]}}),
            404,
            "unknown source `mail`",
        ),
        (
            json!({"sources": {"teams": ["a", "b", "c", "d", "e", "f"]}}),
            413,
            "at most 5",
        ),
        (json!({"sources": {"teams": "a"}}), 400, "sources.teams"),
        (
            json!({"sources": {"teams": ["a", ""]}}),
            400,
            "sources.teams[1]",
        ),
        (json!({"watch": []}), 400, "sources: required"),
    ];
    for (body, status, message) in cases {
        let (got, answer) = open(&relay, Some(&token), &body, None).await.err().unwrap();
        assert_eq!(got, status, "{body}");
        assert!(
            answer["error"].as_str().unwrap().contains(message),
            "{body}: {answer}"
        );
    }
}

#[tokio::test]
async fn a_resume_replays_what_was_missed_and_snapshots_what_is_new() {
    let sim = sim().await;
    let relay = relay(&sim, "history = 50").await;
    let all = user_ids(&sim, "graph").await.unwrap();
    let ids = all[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    let last = until_fresh(&mut events, &ids).await.id.unwrap();
    // Hold the ids (a second viewer) while the first page reopens with one person more.
    let _holder = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    drop(events);
    set_user(
        &sim,
        "graph",
        &ids[0],
        &json!({"availability": "DoNotDisturb"}),
    )
    .await
    .unwrap();
    let teams = relay.relay.sources[0].clone();
    let hub = relay.relay.hub.clone();
    wait_for("the change reached the relay", || {
        hub.snapshot(0, &[hub.slot(0, &ids[0].as_str().into()).unwrap()])
            .0
            .first()
            .is_some_and(|e| e.contains("DoNotDisturb"))
    })
    .await;
    let mut more = ids.clone();
    more.push(all[2].clone());
    let body = json!({ "sources": { "teams": more }, "added": { "teams": [all[2]] } });
    let mut resumed = open(&relay, Some(&token), &body, Some(&last))
        .await
        .unwrap();
    let snapshot = resumed.next().await.unwrap();
    assert_eq!(snapshot.event, "snapshot");
    let data = snapshot.json();
    assert_eq!(data["full"], json!([]));
    let users: Vec<&str> = data["presences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, [all[2].as_str()]);
    let replayed = resumed.next().await.unwrap();
    assert_eq!(replayed.event, "presence");
    assert_eq!(replayed.json()["user"], ids[0].as_str());
    assert_eq!(replayed.json()["presence"]["availability"], "DoNotDisturb");
    assert_eq!(teams.watched(), 3);

    // From too far back, without the relay's epoch, or from another relay (or before a
    // restart): the whole snapshot.
    let elsewhere = last.replace(&*relay.relay.hub.epoch(), "another-relay");
    let epoch = format!("@={}", relay.relay.hub.epoch());
    for id in [format!("teams=5;{epoch}"), "teams=5".to_owned(), elsewhere] {
        let mut old = open(&relay, Some(&token), &watch(&ids), Some(&id))
            .await
            .unwrap();
        let data = old.next().await.unwrap().json();
        assert_eq!(data["full"], json!(["teams"]), "{id}");
        assert_eq!(data["presences"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_429_is_waited_out_for_as_long_as_the_service_asks() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    until_fresh(&mut events, &ids).await;
    let teams = relay.relay.sources[0].clone();
    let errors = || {
        teams
            .counters
            .errors
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let requests = || {
        teams
            .counters
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    control(
        &sim,
        "POST",
        "/_sim/faults",
        &json!({"provider": "graph", "http_429": 1.0, "retry_after_ms": 3000}),
    )
    .await
    .unwrap();
    wait_for("a 429", || errors() >= 1).await;
    let limited_at = tokio::time::Instant::now();
    let after_429 = requests();
    control(&sim, "DELETE", "/_sim/faults", &json!({}))
        .await
        .unwrap();
    // The relay polls every second, but the service asked for 3 s.
    wait_for("the next poll", || requests() > after_429).await;
    let waited = limited_at.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(2500),
        "asked again after {waited:?}"
    );
    let state = events
        .until("the reason", |e| {
            e.event == "state" && e.json()["stale"] == true
        })
        .await;
    assert!(
        state.json()["reason"].as_str().unwrap().contains("429"),
        "{:?}",
        state
    );
}

#[tokio::test]
async fn a_failing_upstream_turns_presences_stale_with_the_reason() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    until_fresh(&mut events, &ids).await;
    let faults = control(
        &sim,
        "POST",
        "/_sim/faults",
        &json!({"provider": "graph", "http_500": 1.0}),
    )
    .await
    .unwrap();
    assert_eq!(faults.status, 200, "{}", faults.body);
    // Each person's entry turns failing (the last good presence kept, with why), then the
    // source's state says it is stale.
    let (mut state, mut failing) = (None, None);
    while state.is_none() || failing.is_none() {
        let ev = events.next().await.expect("the stream ended");
        match ev.event.as_str() {
            "state" if ev.json()["stale"] == true => state = Some(ev.json()),
            "presence" if ev.json()["status"] == "failing" => failing = Some(ev.json()),
            _ => {}
        }
    }
    let (state, j) = (state.unwrap(), failing.unwrap());
    assert!(
        state["reason"].as_str().unwrap().contains("HTTP 500"),
        "{state}"
    );
    assert!(
        j["presence"]["availability"].is_string(),
        "the last good presence is kept: {j}"
    );
    assert!(j["error"]["description"]
        .as_str()
        .unwrap()
        .contains("HTTP 500"));
    control(&sim, "DELETE", "/_sim/faults", &json!({}))
        .await
        .unwrap();
    events
        .until("fresh again", |e| {
            e.event == "state" && e.json()["stale"] == false
        })
        .await;
}

#[tokio::test]
async fn a_viewer_too_slow_to_read_is_dropped_with_a_retry_hint() {
    let sim = sim().await;
    // A history shorter than what it misses: it cannot catch up.
    let relay = relay(&sim, "buffer = 4\nhistory = 8").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    assert_eq!(events.next().await.unwrap().event, "snapshot");
    // Twenty changes published at once on this single-threaded runtime: the stream cannot take
    // them as they come, so it falls more than its 4 events behind.
    burst(&relay, &ids[0], 20);
    let dropped = events.until("the drop", |e| e.retry.is_some()).await;
    assert_eq!(dropped.retry, Some(2000));
    assert!(
        dropped.comments.iter().any(|c| c.contains("too slow")),
        "{dropped:?}"
    );
    assert!(events.next().await.is_none(), "the stream ends");
    let metrics = reqwest::get(format!("http://{}/metrics", relay.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("presence_relay_dropped_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_viewer_behind_the_broadcast_catches_up_from_the_history() {
    let sim = sim().await;
    let relay = relay(&sim, "buffer = 4\nhistory = 100").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    assert_eq!(events.next().await.unwrap().event, "snapshot");
    burst(&relay, &ids[0], 20);
    // Every change, in order, on the same stream.
    let mut seen = Vec::new();
    while seen.last() != Some(&19) {
        let ev = events.next().await.expect("the stream stays open");
        assert!(ev.retry.is_none(), "not dropped: {ev:?}");
        if let Some(n) = ev.json()["n"].as_u64() {
            seen.push(n);
        }
    }
    assert_eq!(seen, (0..20).collect::<Vec<u64>>());
    let metrics = reqwest::get(format!("http://{}/metrics", relay.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("presence_relay_dropped_total 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn tokens_signed_another_way_are_refused() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = vec!["someone".to_owned()];
    let claims = json!({"sub": "eve", "aud": "presence-relay", "iss": format!("{sim}/_sim/oidc"), "exp": 4_000_000_000u64});
    // HS256 with the public key as its secret (the algorithm confusion attack).
    let jwks: Value = reqwest::get(format!("{sim}/_sim/oidc/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("sim-1".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    let (status, body) = open(&relay, Some(&hs), &watch(&ids), None)
        .await
        .err()
        .unwrap();
    assert_eq!(status, 401);
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("HS256 is not accepted"),
        "{body}"
    );
    // `alg: none`, unsigned.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims.to_string())
    );
    let (status, body) = open(&relay, Some(&none), &watch(&ids), None)
        .await
        .err()
        .unwrap();
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn an_expiring_token_ends_the_stream_with_an_auth_event() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    // 61 s is inside the default leeway of 60 s: the relay accepts it, then says when it ends.
    let short = mint(&sim, json!({"sub": "a", "expiresIn": -59})).await;
    let mut events = open(&relay, Some(&short), &watch(&ids), None)
        .await
        .unwrap();
    let auth = events.until("auth", |e| e.event == "auth").await;
    assert!(auth.json()["reason"].as_str().unwrap().contains("expired"));
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn shutdown_ends_every_stream_with_a_retry_hint() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..1].to_vec();
    let token = token(&sim).await;
    let mut a = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    let mut b = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    assert_eq!(a.next().await.unwrap().event, "snapshot");
    assert_eq!(b.next().await.unwrap().event, "snapshot");
    let stopping = tokio::spawn(relay.shutdown());
    for events in [&mut a, &mut b] {
        let last = events.until("the retry hint", |e| e.retry.is_some()).await;
        assert!(last.comments.iter().any(|c| c.contains("shutting down")));
        assert!(events.next().await.is_none());
    }
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn health_metrics_and_cors() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let ids = user_ids(&sim, "graph").await.unwrap()[..4].to_vec();
    let token = token(&sim).await;
    let mut events = open(&relay, Some(&token), &watch(&ids), None)
        .await
        .unwrap();
    until_fresh(&mut events, &ids).await;
    let base = format!("http://{}", relay.addr);
    let health: Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["viewers"], 1);
    assert_eq!(health["sources"]["teams"]["watched"], 4);
    assert_eq!(health["sources"]["teams"]["mode"], "poll");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "presence_relay_viewers 1",
        "presence_relay_watched_ids{source=\"teams\",kind=\"graph\"} 4",
        "presence_relay_mode{source=\"teams\",mode=\"poll\"} 1",
        "presence_relay_poll_interval_seconds{source=\"teams\",kind=\"graph\"} 0.300000",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    assert!(!metrics.contains("sim-token"));
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/v1/stream"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, last-event-id",
            )
            .send()
    };
    let ok = preflight("http://page.test").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://page.test"
    );
    let other = preflight("http://evil.test").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // The stream's own answer names the page's origin too, so the page may read it.
    let answer = client
        .post(format!("{base}/v1/stream"))
        .header("Origin", "http://page.test")
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(watch(&ids).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "http://page.test"
    );
}

#[tokio::test]
async fn client_credentials_are_fetched_and_refreshed() {
    let sim = sim().await;
    let set = control(&sim, "PUT", "/_sim/oauth", &json!({"expiresIn": 6}))
        .await
        .unwrap();
    assert_eq!(set.status, 200, "{}", set.body);
    let sources = format!(
        r#"
        [sources.teams]
        kind = "graph"
        base_url = "{sim}/graph/v1.0"
        oauth = {{ token_url = "{sim}/entra/contoso/oauth2/v2.0/token", client_id = "presence-relay", client_secret = "sim-secret" }}
        [sources.contact]
        kind = "genesys"
        base_url = "{sim}/genesys"
        oauth = {{ token_url = "{sim}/genesys-login/oauth/token", client_id = "presence-relay", client_secret = "sim-secret" }}
        "#
    );
    let relay = relay_with(&sim, "", &sources).await;
    let graph = user_ids(&sim, "graph").await.unwrap()[..2].to_vec();
    let genesys = user_ids(&sim, "genesys").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let body = json!({"sources": {"teams": graph, "contact": genesys}});
    let mut events = open(&relay, Some(&token), &body, None).await.unwrap();
    let mut all = graph.clone();
    all.extend(genesys.clone());
    until_fresh(&mut events, &all).await;
    let teams = relay
        .relay
        .sources
        .iter()
        .find(|s| s.name == "teams")
        .unwrap()
        .clone();
    // A 6 s token is renewed after four fifths of its life, and reads keep succeeding.
    wait_for("a refreshed token", || {
        teams
            .counters
            .token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    })
    .await;
    let stats = control(&sim, "GET", "/_sim/stats", &json!({}))
        .await
        .unwrap()
        .json();
    assert!(stats.to_string().contains("tokenRequests"), "{stats}");
    assert_eq!(
        teams
            .counters
            .errors
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );

    // A wrong secret: every presence shows the token endpoint's reason.
    let bad = format!(
        r#"
        [sources.teams]
        kind = "graph"
        base_url = "{sim}/graph/v1.0"
        oauth = {{ token_url = "{sim}/entra/contoso/oauth2/v2.0/token", client_id = "presence-relay", client_secret = "wrong" }}
        "#
    );
    let relay = relay_with(&sim, "", &bad).await;
    let mut events = open(&relay, Some(&token), &watch(&graph), None)
        .await
        .unwrap();
    let ev = events
        .until("an error", |e| {
            e.event == "presence" && e.json()["status"] == "error"
        })
        .await;
    let message = ev.json()["error"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("token endpoint") && message.contains("401"),
        "{message}"
    );
    assert!(!message.contains("wrong"));
}
