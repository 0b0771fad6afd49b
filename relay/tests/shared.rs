//! The shared mode against a real Redis and the sim, with instances run as processes of the
//! relay binary: one reader per source among them, a holder killed, a viewer moved from one
//! instance to another, Redis stopped and started again, and a reader whose lease was taken.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::cluster::{Instance, Redis};
use common::{eventually, sim, token, Events, WAIT};
use presence_sim::client::{control, set_user, user_ids};
use serde_json::{json, Value};

/// An instance's configuration: the sim's issuer, Graph (`teams`, polled) and Rocket.Chat
/// (`chat`, pushed), the shared Redis, and `extra` (top-level settings first).
fn config(sim: &str, redis: &Redis, redis_extra: &str, teams_extra: &str) -> String {
    // A lease of 1.5 s unless `redis_extra` says otherwise.
    let lease = if redis_extra.contains("lease_ms") {
        ""
    } else {
        "lease_ms = 1500"
    };
    format!(
        r#"
        allowed_origins = ["http://page.test"]
        linger_ms = 0
        min_interval_ms = 300
        [auth]
        issuer = "{sim}/_sim/oidc"
        audience = "presence-relay"
        [redis]
        url = "{url}"
        {lease}
        retry_ms = 300
        {redis_extra}
        [sources.teams]
        kind = "graph"
        base_url = "{sim}/graph/v1.0"
        credentials = {{ token = "sim-token" }}
        {teams_extra}
        [sources.chat]
        kind = "rocketchat"
        base_url = "{sim}/rocketchat"
        credentials = {{ userId = "aobEdbYhXfu5hkeqG", authToken = "rc-token" }}
        rate = {{ requests = 600, per_seconds = 60 }}
        "#,
        url = redis.url()
    )
}

/// The sim, a Redis of the test's own, the first `n` Graph people and a viewer's token.
async fn world(n: usize) -> (String, Redis, Vec<String>, String) {
    let sim = sim().await;
    let redis = Redis::start().await;
    let teams = user_ids(&sim, "graph").await.unwrap()[..n].to_vec();
    let token = token(&sim).await;
    (sim, redis, teams, token)
}

/// `n` instances, each in the shared mode.
async fn instances(config: &str, n: usize) -> Vec<Instance> {
    let all: Vec<Instance> = (0..n).map(|_| Instance::start(config)).collect();
    for i in &all {
        i.until("in the shared mode", |h| h["mode"] == "shared")
            .await;
    }
    all
}

fn watch(teams: &[String], chat: &[String]) -> Value {
    json!({ "sources": { "teams": teams, "chat": chat } })
}

/// Reads events until every one of the ids of each source is fresh (in the snapshot or
/// after); returns the last event id.
async fn all_fresh(events: &mut Events, sources: &[(&str, &[String])]) -> String {
    let read = async {
        let mut fresh = HashSet::new();
        let mut last = String::new();
        loop {
            let ev = events.next().await.expect("the stream ended");
            if let Some(id) = &ev.id {
                last = id.clone();
            }
            let j = ev.json();
            let entries: Vec<Value> = match ev.event.as_str() {
                "snapshot" => j["presences"].as_array().cloned().unwrap_or_default(),
                "presence" => vec![j],
                _ => Vec::new(),
            };
            for e in entries {
                if e["status"] == "fresh" {
                    fresh.insert((
                        e["source"].as_str().unwrap_or("").to_owned(),
                        e["user"].as_str().unwrap_or("").to_owned(),
                    ));
                }
            }
            let done = sources.iter().all(|(source, ids)| {
                ids.iter()
                    .all(|id| fresh.contains(&((*source).to_owned(), id.clone())))
            });
            if done {
                return last;
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("not every presence fresh within the wait")
}

/// Sets `id`'s status text at the sim.
async fn change(sim: &str, provider: &str, id: &str, text: &str) {
    set_user(
        sim,
        provider,
        id,
        &json!({ "availability": "Busy", "message": text }),
    )
    .await
    .unwrap();
}

/// The next presence event whose status text is `text`.
async fn sees(events: &mut Events, text: &str) -> common::Ev {
    let what = format!("the change `{text}`");
    let until = events.until(&what, |e| {
        e.event == "presence" && e.json()["presence"]["message"] == text
    });
    tokio::time::timeout(WAIT, until)
        .await
        .unwrap_or_else(|_| panic!("the change `{text}` never came"))
}

/// The sim's count of the REST requests `provider` answered.
async fn sim_requests(sim: &str, provider: &str) -> u64 {
    let stats = control(sim, "GET", "/_sim/stats", &json!({}))
        .await
        .unwrap()
        .json();
    stats["providers"][provider]
        .as_object()
        .map(|endpoints| {
            endpoints
                .values()
                .map(|e| e["requests"].as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

/// The instances that read `source` now.
async fn readers(all: &[Instance], source: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, instance) in all.iter().enumerate() {
        if instance.reads(source).await {
            out.push(i);
        }
    }
    out
}

/// Waits until exactly one of `all` reads `source`; returns it.
async fn one_reader(all: &[Instance], source: &str) -> usize {
    eventually(|| async move {
        match readers(all, source).await[..] {
            [one] => Ok(one),
            ref r => Err(format!("{source} read by one instance, not by {r:?}")),
        }
    })
    .await
}

#[tokio::test]
async fn two_and_three_instances_read_each_source_once() {
    let (sim, redis, teams, token) = world(20).await;
    // Graph polled once only (a long interval), so that the counts hold still once read.
    let config = config(&sim, &redis, "", "interval_ms = 3600000");
    let chat: Vec<String> = user_ids(&sim, "rocketchat").await.unwrap()[..5].to_vec();
    let mut all = instances(&config, 2).await;
    let mut viewers = Vec::new();
    for n in [2, 3] {
        if n == 3 {
            all.push(Instance::start(&config));
            all[2]
                .until("in the shared mode", |h| h["mode"] == "shared")
                .await;
        }
        // A viewer on every instance, all watching the same people.
        for instance in &all[viewers.len()..] {
            let mut events = instance
                .open(&token, &watch(&teams, &chat), None)
                .await
                .unwrap();
            all_fresh(&mut events, &[("teams", &teams), ("chat", &chat)]).await;
            viewers.push(events);
        }
        let reader = one_reader(&all, "teams").await;
        one_reader(&all, "chat").await;
        // What the sim answered for Graph is what the one reader sent; the others sent none.
        let mut sent = Vec::new();
        for instance in &all {
            sent.push(
                instance
                    .metric("presence_relay_upstream_requests_total{source=\"teams\"")
                    .await,
            );
        }
        let answered = sim_requests(&sim, "graph").await;
        assert!(answered > 0);
        for (i, s) in sent.iter().enumerate() {
            let expected = if i == reader {
                f64::from(u32::try_from(answered).unwrap())
            } else {
                0.0
            };
            assert_eq!(
                *s, expected,
                "{n} instances: instance {i} sent {s} ({sent:?})"
            );
        }
        // One Rocket.Chat socket for them all.
        let push = control(&sim, "GET", "/_sim/push", &json!({}))
            .await
            .unwrap()
            .json();
        let stats = control(&sim, "GET", "/_sim/stats", &json!({}))
            .await
            .unwrap()
            .json();
        assert_eq!(
            stats["push"]["rocketchat"]["sockets_open"], 1,
            "{n} instances: {stats} {push}"
        );
        // A pushed change reaches the viewers of every instance.
        let text = format!("pushed with {n}");
        change(&sim, "rocketchat", &chat[0], &text).await;
        for v in &mut viewers {
            sees(v, &text).await;
        }
    }
}

#[tokio::test]
async fn killing_the_holder_moves_the_lease_and_survivors_see_the_next_change() {
    let (sim, redis, teams, token) = world(10).await;
    let config = config(&sim, &redis, "", "");
    let mut all = instances(&config, 3).await;
    let holder = one_reader(&all, "teams").await;
    let mut viewers = Vec::new();
    for (i, instance) in all.iter().enumerate() {
        if i != holder {
            let mut events = instance
                .open(&token, &watch(&teams, &[]), None)
                .await
                .unwrap();
            all_fresh(&mut events, &[("teams", &teams)]).await;
            viewers.push(events);
        }
    }
    let killed_at = Instant::now();
    all[holder].kill();
    let survivors: Vec<Instance> = all
        .into_iter()
        .enumerate()
        .filter_map(|(i, x)| (i != holder).then_some(x))
        .collect();
    one_reader(&survivors, "teams").await;
    let took = killed_at.elapsed();
    // The lease (1.5 s) lapses, and a contender tries every 0.3 s: within 1.8 s, and a
    // margin for this test's own polling of /healthz on a machine busy with other tests.
    assert!(
        took < Duration::from_millis(3000),
        "the lease moved after {took:?}"
    );
    change(&sim, "graph", &teams[3], "after the holder died").await;
    for v in &mut viewers {
        sees(v, "after the holder died").await;
    }
}

#[tokio::test]
async fn a_viewer_moved_to_another_instance_misses_nothing_and_gets_nothing_twice() {
    let (sim, redis, teams, token) = world(10).await;
    let config = config(&sim, &redis, "", "");
    let all = instances(&config, 2).await;
    let mut moving = all[0]
        .open(&token, &watch(&teams, &[]), None)
        .await
        .unwrap();
    let last_id = all_fresh(&mut moving, &[("teams", &teams)]).await;
    drop(moving);
    // A witness on the first instance sees the three changes made while the viewer moves.
    let mut witness = all[0]
        .open(&token, &watch(&teams, &[]), None)
        .await
        .unwrap();
    all_fresh(&mut witness, &[("teams", &teams)]).await;
    let mut texts: Vec<String> = vec!["moved 1".into(), "moved 2".into(), "moved 3".into()];
    for (i, text) in texts.iter().enumerate() {
        change(&sim, "graph", &teams[i], text).await;
        sees(&mut witness, text).await;
    }
    // It resumes on the other instance (history of its own), and on one started after the
    // changes (whose history begins after them: the change log in Redis has them).
    let late = Instance::start(&config);
    late.until("in the shared mode", |h| h["mode"] == "shared")
        .await;
    for (n, instance) in [&all[1], &late].into_iter().enumerate() {
        let mut resumed = instance
            .open(&token, &watch(&teams, &[]), Some(&last_id))
            .await
            .unwrap();
        let snapshot = resumed.next().await.unwrap();
        assert_eq!(snapshot.event, "snapshot");
        assert_eq!(
            snapshot.json()["full"],
            json!([]),
            "instance {n}: a resume, not a new snapshot"
        );
        let mut got = Vec::new();
        for _ in 0..texts.len() {
            let ev = resumed
                .until("a missed change", |e| e.event == "presence")
                .await;
            got.push(
                ev.json()["presence"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        assert_eq!(
            got, texts,
            "instance {n}: every change in between, in order"
        );
        // And nothing twice: the next event is the next change.
        let text = format!("after the move {n}");
        change(&sim, "graph", &teams[5 + n], &text).await;
        let next = resumed
            .until("the next change", |e| e.event == "presence")
            .await;
        assert_eq!(
            next.json()["presence"]["message"],
            text.as_str(),
            "instance {n}"
        );
        sees(&mut witness, &text).await;
        // The next resume, from the same id, has missed this one too.
        texts.push(text);
    }
}

#[tokio::test]
async fn redis_stopped_and_started_again_loses_no_viewer() {
    let (sim, mut redis, teams, token) = world(10).await;
    let config = config(&sim, &redis, "instances = 2", "");
    let all = instances(&config, 2).await;
    let mut viewers = Vec::new();
    for instance in &all {
        let mut events = instance
            .open(&token, &watch(&teams, &[]), None)
            .await
            .unwrap();
        all_fresh(&mut events, &[("teams", &teams)]).await;
        viewers.push(events);
    }
    redis.stop();
    for instance in &all {
        let h = instance
            .until("degraded", |h| h["mode"] == "degraded")
            .await;
        assert_eq!(h["status"], "degraded");
        assert!(h["reason"].as_str().unwrap().contains("Redis"), "{h}");
        assert_eq!(
            instance
                .metric("presence_relay_shared_mode{mode=\"degraded\"}")
                .await,
            1.0
        );
    }
    // Each reads by itself meanwhile, and its viewers see the change.
    change(&sim, "graph", &teams[1], "while Redis is down").await;
    for v in &mut viewers {
        sees(v, "while Redis is down").await;
    }
    assert_eq!(readers(&all, "teams").await, vec![0, 1]);
    redis.up().await;
    let mut epoch = String::new();
    for instance in &all {
        let h = instance
            .until("shared again", |h| h["mode"] == "shared")
            .await;
        epoch = h["redis"]["epoch"].as_str().unwrap().to_owned();
    }
    one_reader(&all, "teams").await;
    change(&sim, "graph", &teams[2], "Redis is back").await;
    for v in &mut viewers {
        let ev = sees(v, "Redis is back").await;
        // Positions of the shared log again, on the same stream.
        assert!(ev.id.unwrap().ends_with(&format!("@={epoch}")));
    }
}

#[tokio::test]
async fn a_reader_that_lost_its_lease_cannot_publish() {
    let (sim, redis, teams, token) = world(10).await;
    // A long lease, so that the reader learns it lost it from a refused append, not a renewal.
    let config = config(&sim, &redis, "lease_ms = 30000", "");
    let all = instances(&config, 1).await;
    let mut viewer = all[0]
        .open(&token, &watch(&teams, &[]), None)
        .await
        .unwrap();
    all_fresh(&mut viewer, &[("teams", &teams)]).await;
    assert!(all[0].reads("teams").await);
    let lease = "presence-relay:src:teams:lease";
    let log = "presence-relay:src:teams:log";
    let _: () = redis
        .query(
            redis::cmd("SET")
                .arg(lease)
                .arg("another-reader")
                .arg("PX")
                .arg(60_000),
        )
        .await;
    let before: redis::Value = redis
        .query(
            redis::cmd("XREVRANGE")
                .arg(log)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1),
        )
        .await;
    change(&sim, "graph", &teams[4], "after the lease was taken").await;
    let first = &all[0];
    eventually(|| async move {
        let refused = first.metric("presence_relay_log_refused_total").await;
        (refused >= 1.0)
            .then_some(())
            .ok_or_else(|| "an append refused".to_owned())
    })
    .await;
    let after: redis::Value = redis
        .query(
            redis::cmd("XREVRANGE")
                .arg(log)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1),
        )
        .await;
    assert_eq!(
        format!("{before:?}"),
        format!("{after:?}"),
        "the log did not move"
    );
    let now: Option<String> = redis
        .query(
            redis::cmd("HGET")
                .arg("presence-relay:src:teams:now")
                .arg(&teams[4]),
        )
        .await;
    assert!(!now.unwrap().contains("after the lease was taken"));
    all[0]
        .until("stopped reading", |h| {
            h["sources"]["teams"]["reading"] == false
        })
        .await;
    // The lease free again: the instance takes it and publishes what it missed.
    let _: () = redis.query(redis::cmd("DEL").arg(lease)).await;
    sees(&mut viewer, "after the lease was taken").await;
    assert!(all[0].reads("teams").await);
}
