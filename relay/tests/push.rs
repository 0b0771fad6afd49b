//! The relay's push against presence-sim: Rocket.Chat's DDP and Genesys notification channels
//! driven natively, the REST reads they save, and the fallback to polling (and back) when the
//! sockets fail. Every wait is on an event or a count, with a timeout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

mod common;

use std::sync::atomic::Ordering;

use common::{eventually, open, relay_with, sim, token, until_fresh, Ev, Events};
use presence_relay::Running;
use presence_sim::client::{control, set_user, user_ids};
use serde_json::{json, Value};

/// The sim's Rocket.Chat as `chat`, with `extra` TOML in its table.
fn chat(sim: &str, extra: &str) -> String {
    format!(
        r#"
        [sources.chat]
        kind = "rocketchat"
        base_url = "{sim}/rocketchat"
        credentials = {{ userId = "aobEdbYhXfu5hkeqG", authToken = "rc-token" }}
        rate = {{ requests = 600, per_seconds = 60 }}
        {extra}
        "#
    )
}

/// The sim's Genesys Cloud as `contact`, with `extra` TOML in its table.
fn contact(sim: &str, extra: &str) -> String {
    format!(
        r#"
        [sources.contact]
        kind = "genesys"
        base_url = "{sim}/genesys"
        credentials = {{ token = "genesys-token" }}
        {extra}
        "#
    )
}

/// A relay reading `sources`.
async fn relay(sim: &str, sources: &str) -> Running {
    relay_with(sim, "", sources).await
}

/// The sim's provider name of a source of these tests.
fn provider(source: &str) -> &'static str {
    match source {
        "chat" => "rocketchat",
        _ => "genesys",
    }
}

/// The REST reads of presences the sim has answered for `provider` (Rocket.Chat by ids and by
/// delta, Genesys in bulk).
async fn presence_reads(sim: &str, provider: &str) -> u64 {
    let stats = control(sim, "GET", "/_sim/stats", &json!({}))
        .await
        .unwrap()
        .json();
    let endpoints: &[&str] = match provider {
        "rocketchat" => &["users.presence?ids", "users.presence?from"],
        _ => &["users/presences/bulk"],
    };
    endpoints
        .iter()
        .map(|e| {
            stats["providers"][provider][e]["requests"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum()
}

/// The sim's push counts for `provider`.
async fn push_stats(sim: &str, provider: &str) -> Value {
    control(sim, "GET", "/_sim/stats", &json!({}))
        .await
        .unwrap()
        .json()["push"][provider]
        .clone()
}

/// Waits until the REST reads of `provider` pass `than`.
async fn reads_above(sim: &str, provider: &str, than: u64) -> u64 {
    eventually(|| async move {
        let now = presence_reads(sim, provider).await;
        if now > than {
            Ok(now)
        } else {
            Err(format!("{provider}: no read after {than}"))
        }
    })
    .await
}

/// The first state event of `source` in `mode`.
async fn state(events: &mut Events, source: &str, mode: &str) -> Value {
    events
        .until(&format!("{source} in mode {mode}"), |e| {
            e.event == "state" && e.json()["source"] == source && e.json()["mode"] == mode
        })
        .await
        .json()
}

/// Changes `id` at the sim (its status text says `text`) and waits for the relay's event of it.
async fn change(sim: &str, events: &mut Events, source: &str, id: &str, text: &str) -> Ev {
    set_user(
        sim,
        provider(source),
        id,
        &json!({ "availability": "Busy", "message": text }),
    )
    .await
    .unwrap();
    events
        .until(&format!("{id}'s change `{text}`"), |e| {
            let j = e.json();
            e.event == "presence"
                && j["source"] == source
                && j["user"] == id
                && j["presence"]["message"] == text
        })
        .await
}

async fn fault(sim: &str, body: Value) {
    let answer = control(sim, "POST", "/_sim/faults", &body).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
}

async fn metrics(relay: &Running) -> String {
    reqwest::get(format!("http://{}/metrics", relay.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// One source pushed: a state event says `push`; changes arrive pushed without a REST read
/// each; when the sim drops its sockets the source polls everyone (mode `poll` with why, not
/// stale), then a new session pushes again.
async fn pushed_then_polled_then_pushed(source: &str) {
    let sim = sim().await;
    let sources = match source {
        "chat" => chat(&sim, ""),
        _ => contact(&sim, ""),
    };
    let relay = relay(&sim, &sources).await;
    let kind = provider(source);
    let ids: Vec<String> = user_ids(&sim, kind).await.unwrap()[..3].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { source: ids } }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(events.next().await.unwrap().event, "snapshot");
    let pushed = state(&mut events, source, "push").await;
    assert_eq!(
        (&pushed["stale"], &pushed["reason"]),
        (&json!(false), &Value::Null)
    );

    let before = presence_reads(&sim, kind).await;
    for n in 0..4 {
        let ev = change(
            &sim,
            &mut events,
            source,
            &ids[n % 3],
            &format!("change {n}"),
        )
        .await;
        let j = ev.json();
        assert_eq!(j["status"], "fresh", "{j}");
        assert_eq!(j["presence"]["mode"], "push", "{j}");
        assert_eq!(j["presence"]["availability"], "Busy", "{j}");
    }
    let after = presence_reads(&sim, kind).await;
    // Four changes pushed: no REST read each (at most one read under way as push went live).
    assert!(after - before <= 1, "{kind}: reads {before} → {after}");
    let frames = relay.relay.sources[0]
        .counters
        .push_frames
        .load(Ordering::Relaxed);
    assert!(frames >= 4, "{frames} frames");

    fault(&sim, json!({ "provider": kind, "drop_sockets": true })).await;
    let polled = state(&mut events, source, "poll").await;
    assert_eq!(polled["stale"], false, "{polled}");
    assert!(
        polled["reason"].as_str().unwrap().contains("closed"),
        "{polled}"
    );
    // Everyone is read at once, whatever changed while the socket was down.
    reads_above(&sim, kind, after).await;
    // Then push again, with a new session.
    state(&mut events, source, "push").await;
    let ev = change(&sim, &mut events, source, &ids[0], "after the drop").await;
    assert_eq!(ev.json()["presence"]["mode"], "push");
    let counters = &relay.relay.sources[0].counters;
    assert_eq!(counters.push_sessions.load(Ordering::Relaxed), 2);

    let shown = metrics(&relay).await;
    for line in [
        format!("presence_relay_mode{{source=\"{source}\",mode=\"push\"}} 1"),
        format!("presence_relay_push_sessions_total{{source=\"{source}\",kind=\"{kind}\"}} 2"),
    ] {
        assert!(shown.contains(&line), "{line} in\n{shown}");
    }
    assert!(
        shown.contains(&format!(
            "presence_relay_push_frames_total{{source=\"{source}\",kind=\"{kind}\"}}"
        )),
        "{shown}"
    );
    assert!(!shown.contains("rc-token") && !shown.contains("genesys-token"));
}

#[tokio::test]
async fn rocketchat_pushes_falls_back_to_polling_and_pushes_again() {
    pushed_then_polled_then_pushed("chat").await;
}

#[tokio::test]
async fn genesys_pushes_falls_back_to_polling_and_pushes_again() {
    pushed_then_polled_then_pushed("contact").await;
}

#[tokio::test]
async fn a_genesys_channel_closing_moves_to_a_new_one_without_polling() {
    let sim = sim().await;
    let relay = relay(&sim, &contact(&sim, "")).await;
    let ids: Vec<String> = user_ids(&sim, "genesys").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "contact": ids } }),
        None,
    )
    .await
    .unwrap();
    state(&mut events, "contact", "push").await;
    assert_eq!(push_stats(&sim, "genesys").await["channels_created"], 1);
    fault(
        &sim,
        json!({ "provider": "genesys", "socket_closing": true }),
    )
    .await;
    // The topics move to a new channel, and the old one closes once that one is live.
    push_stats_until(&sim, "genesys", |stats| {
        stats["channels_created"] == 2 && stats["sockets_open"] == 1
    })
    .await;
    let ev = change(&sim, &mut events, "contact", &ids[1], "on the new channel").await;
    assert_eq!(ev.json()["presence"]["mode"], "push");
    // The same session all along: push never failed.
    let counters = &relay.relay.sources[0].counters;
    assert_eq!(counters.push_sessions.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn people_genesys_will_not_push_are_polled_with_the_reason() {
    let sim = sim().await;
    fault(
        &sim,
        json!({ "provider": "genesys", "reject_subscriptions": true }),
    )
    .await;
    let relay = relay(&sim, &contact(&sim, "")).await;
    let ids: Vec<String> = user_ids(&sim, "genesys").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "contact": ids } }),
        None,
    )
    .await
    .unwrap();
    let refused = events
        .until("the refusal as the reason", |e| {
            e.event == "state"
                && e.json()["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("403"))
        })
        .await
        .json();
    assert_eq!(
        (&refused["mode"], &refused["stale"]),
        (&json!("poll"), &json!(false))
    );
    let ev = change(&sim, &mut events, "contact", &ids[0], "polled").await;
    assert_eq!(ev.json()["presence"]["mode"], "poll");
}

#[tokio::test]
async fn rocketchat_without_presence_broadcast_polls_and_opens_no_socket() {
    let sim = sim().await;
    fault(
        &sim,
        json!({ "provider": "rocketchat", "presence_broadcast": false }),
    )
    .await;
    let relay = relay(&sim, &chat(&sim, "")).await;
    let ids: Vec<String> = user_ids(&sim, "rocketchat").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "chat": ids } }),
        None,
    )
    .await
    .unwrap();
    let off = events
        .until("push off as the reason", |e| {
            e.event == "state"
                && e.json()["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("presence broadcast is off"))
        })
        .await
        .json();
    assert_eq!(off["mode"], "poll");
    // Read again by the next poll, and still no socket: push waits for the reconciliation round.
    let reads = presence_reads(&sim, "rocketchat").await;
    reads_above(&sim, "rocketchat", reads).await;
    assert_eq!(push_stats(&sim, "rocketchat").await["sockets_opened"], 0);
    let counters = &relay.relay.sources[0].counters;
    assert_eq!(counters.push_sessions.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn with_push_off_a_source_polls() {
    let sim = sim().await;
    let relay = relay(&sim, &contact(&sim, "push = false")).await;
    let ids: Vec<String> = user_ids(&sim, "genesys").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "contact": ids } }),
        None,
    )
    .await
    .unwrap();
    let snapshot = events.next().await.unwrap().json();
    assert_eq!(snapshot["states"][0]["mode"], "poll");
    until_fresh(&mut events, &ids).await;
    let reads = presence_reads(&sim, "genesys").await;
    let ev = change(&sim, &mut events, "contact", &ids[0], "polled").await;
    assert_eq!(ev.json()["presence"]["mode"], "poll");
    // Learned by a poll, and no channel was ever made.
    assert!(presence_reads(&sim, "genesys").await > reads);
    let stats = push_stats(&sim, "genesys").await;
    assert_eq!(
        (&stats["channels_created"], &stats["sockets_opened"]),
        (&json!(0), &json!(0))
    );
    let shown = metrics(&relay).await;
    assert!(
        shown.contains("presence_relay_mode{source=\"contact\",mode=\"poll\"} 1"),
        "{shown}"
    );
}

/// Waits until the sim's push counts for `provider` satisfy `ok`.
async fn push_stats_until(sim: &str, provider: &str, ok: impl Fn(&Value) -> bool) {
    let ok = &ok;
    eventually(|| async move {
        let stats = push_stats(sim, provider).await;
        if ok(&stats) {
            Ok(())
        } else {
            Err(format!("{provider}: {stats}"))
        }
    })
    .await;
}

#[tokio::test]
async fn people_watched_later_are_pushed_and_those_left_are_unsubscribed() {
    let sim = sim().await;
    let relay = relay(&sim, &chat(&sim, "")).await;
    let ids: Vec<String> = user_ids(&sim, "rocketchat").await.unwrap()[..3].to_vec();
    let token = token(&sim).await;
    let mut first = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "chat": ids[..2] } }),
        None,
    )
    .await
    .unwrap();
    state(&mut first, "chat", "push").await;
    push_stats_until(&sim, "rocketchat", |s| s["subscriptions"] == 2).await;

    // A second page watches one more person: the session's subscription grows.
    let more = [ids[2].clone()];
    let mut second = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "chat": more } }),
        None,
    )
    .await
    .unwrap();
    until_fresh(&mut second, &more).await;
    push_stats_until(&sim, "rocketchat", |s| s["subscriptions"] == 3).await;
    let reads = presence_reads(&sim, "rocketchat").await;
    let ev = change(&sim, &mut second, "chat", &ids[2], "watched later").await;
    assert_eq!(ev.json()["presence"]["mode"], "push");
    assert_eq!(presence_reads(&sim, "rocketchat").await, reads);

    // Its page leaves (no linger here): the session stops watching them.
    drop(second);
    push_stats_until(&sim, "rocketchat", |s| s["subscriptions"] == 2).await;
    let ev = change(&sim, &mut first, "chat", &ids[0], "still watched").await;
    assert_eq!(ev.json()["presence"]["mode"], "push");
}

#[tokio::test]
async fn pushed_people_are_read_again_at_the_reconciliation_cadence() {
    let sim = sim().await;
    let relay = relay(&sim, &contact(&sim, "reconcile_ms = 1500")).await;
    let ids: Vec<String> = user_ids(&sim, "genesys").await.unwrap()[..2].to_vec();
    let token = token(&sim).await;
    let mut events = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "contact": ids } }),
        None,
    )
    .await
    .unwrap();
    state(&mut events, "contact", "push").await;
    let reads = presence_reads(&sim, "genesys").await;
    // A full read heals a change the socket missed, while the source stays pushed.
    reads_above(&sim, "genesys", reads).await;
    let state = relay.relay.hub.state(0).unwrap();
    assert!(state.contains(r#""mode":"push""#), "{state}");
    let counters = &relay.relay.sources[0].counters;
    assert_eq!(counters.push_sessions.load(Ordering::Relaxed), 1);
}
