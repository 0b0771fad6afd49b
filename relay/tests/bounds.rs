//! The relay's bounds for greedy and slow clients, with a good viewer served throughout: one
//! viewer's many streams (429 past its cap), an instance full (503), connections that trickle
//! their headers (closed after `header_timeout_ms`), requests whose body never comes (408).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, metric, mint, open, sim, teams_relay as relay, WAIT};
use presence_relay::Running;
use presence_sim::client::user_ids;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn watch(sim: &str) -> Value {
    let ids: Vec<String> = user_ids(sim, "graph").await.unwrap()[..2].to_vec();
    json!({ "sources": { "teams": ids } })
}

/// A good viewer opens a stream and gets its snapshot.
async fn served(relay: &Running, sim: &str, who: &str) {
    let token = mint(sim, json!({ "sub": who })).await;
    let mut events = open(relay, Some(&token), &watch(sim).await, None)
        .await
        .unwrap();
    assert_eq!(events.next().await.unwrap().event, "snapshot");
}

/// How many files this process may open (`/proc/self/limits`), so that the connection tests fit.
fn open_files() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

#[tokio::test]
async fn one_viewers_streams_are_bounded_and_others_are_served() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let greedy = mint(&sim, json!({ "sub": "greedy" })).await;
    let body = watch(&sim).await;
    let mut kept = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        match open(&relay, Some(&greedy), &body, None).await {
            Ok(events) => kept.push(events),
            Err((status, answer)) => {
                assert_eq!(status, 429, "{answer}");
                assert!(
                    answer["error"]
                        .as_str()
                        .unwrap()
                        .contains("max_streams_per_viewer"),
                    "{answer}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((kept.len(), refused), (20, 280), "the default cap is 20");
    assert_eq!(
        metric(&relay, "presence_relay_refused_total{reason=\"viewer\"}").await,
        "280"
    );
    // Another viewer is served; the greedy one's streams still flow.
    served(&relay, &sim, "good").await;
    assert_eq!(kept[0].next().await.unwrap().event, "snapshot");
    // One of its streams ends: it may open another.
    kept.pop();
    eventually(|| {
        let (relay, greedy, body) = (&relay, &greedy, &body);
        async move {
            open(relay, Some(greedy), body, None)
                .await
                .map(|_| ())
                .map_err(|(status, _)| format!("still {status}"))
        }
    })
    .await;
}

#[tokio::test]
async fn a_full_instance_answers_503_with_retry_after() {
    let sim = sim().await;
    let relay = relay(&sim, "max_streams = 2").await;
    let body = watch(&sim).await;
    let a = mint(&sim, json!({ "sub": "a" })).await;
    let b = mint(&sim, json!({ "sub": "b" })).await;
    let _first = open(&relay, Some(&a), &body, None).await.unwrap();
    let _second = open(&relay, Some(&b), &body, None).await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/stream", relay.addr))
        .bearer_auth(&a)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(
        metric(&relay, "presence_relay_refused_total{reason=\"full\"}").await,
        "1"
    );
}

#[tokio::test]
async fn connections_that_trickle_their_headers_are_closed() {
    let sim = sim().await;
    let relay = relay(&sim, "header_timeout_ms = 1000").await;
    // Each connection is two files here (both ends are in this process).
    let n = 1000.min(open_files().saturating_sub(300) / 2);
    let closed = Arc::new(AtomicUsize::new(0));
    for _ in 0..n {
        let mut socket = TcpStream::connect(relay.addr).await.unwrap();
        let closed = closed.clone();
        tokio::spawn(async move {
            let _ = socket
                .write_all(b"POST /v1/stream HTTP/1.1\r\nHost: relay.test\r\n")
                .await;
            let mut buffer = [0_u8; 256];
            loop {
                // A byte of header every 300 ms, never the end of them.
                tokio::select! {
                    read = socket.read(&mut buffer) => {
                        if matches!(read, Ok(0) | Err(_)) {
                            closed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                    () = tokio::time::sleep(Duration::from_millis(300)) => {
                        if socket.write_all(b"X").await.is_err() {
                            closed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            }
        });
    }
    // A good viewer is served meanwhile.
    served(&relay, &sim, "good").await;
    let start = tokio::time::Instant::now();
    eventually(|| {
        let got = closed.load(Ordering::Relaxed);
        async move {
            if got == n {
                Ok(())
            } else {
                Err(format!("{got} of {n} trickling connections closed"))
            }
        }
    })
    .await;
    assert!(start.elapsed() < WAIT);
    served(&relay, &sim, "good-again").await;
}

#[tokio::test]
async fn requests_whose_body_never_comes_get_408() {
    let sim = sim().await;
    let relay = relay(&sim, "body_timeout_ms = 1000").await;
    let token = mint(&sim, json!({ "sub": "slow" })).await;
    let n = 200.min(open_files().saturating_sub(300) / 2);
    let mut waiting = Vec::new();
    for _ in 0..n {
        let mut socket = TcpStream::connect(relay.addr).await.unwrap();
        let head = format!(
            "POST /v1/stream HTTP/1.1\r\nHost: relay.test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"sour"
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        waiting.push(tokio::spawn(async move {
            let mut answer = Vec::new();
            let read = tokio::time::timeout(WAIT, socket.read_to_end(&mut answer)).await;
            (read.is_ok(), String::from_utf8_lossy(&answer).into_owned())
        }));
    }
    served(&relay, &sim, "good").await;
    for task in waiting {
        let (ended, answer) = task.await.unwrap();
        assert!(ended, "the connection was closed");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert_eq!(
        metric(
            &relay,
            "presence_relay_refused_total{reason=\"body_timeout\"}"
        )
        .await,
        n.to_string()
    );
}

#[tokio::test]
async fn a_malformed_body_names_its_field_and_alg_none_is_named() {
    let sim = sim().await;
    let relay = relay(&sim, "").await;
    let token = mint(&sim, json!({ "sub": "ada" })).await;
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/stream", relay.addr))
        .bearer_auth(&token)
        .body("<html>")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["field"], ".", "{answer}");
    let (status, answer) = open(
        &relay,
        Some(&token),
        &json!({ "sources": { "teams": ["a", 7] } }),
        None,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(
        (status, answer["field"].as_str()),
        (400, Some("sources.teams[1]"))
    );
    // An unsigned token (`alg: none`) is refused as that.
    use base64::Engine as _;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"sub": "mallory", "aud": "presence-relay"}))
    );
    let (status, answer) = open(&relay, Some(&none), &json!({"sources": {}}), None)
        .await
        .err()
        .unwrap();
    assert_eq!(status, 401);
    assert_eq!(
        answer["reason"],
        "the token is not valid: algorithm \"none\" is not accepted"
    );
    // No token: the challenge names no error (RFC 6750 §3.1).
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/stream", relay.addr))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}
