//! What the relay's tests share: presence-sim in the test's process, viewers' tokens from its
//! issuer, and streams read as a page reads them (`fetch` of `POST /v1/stream` with the token in
//! a header, events parsed from the body as they arrive).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly, and each test file uses some of them"
)]

use std::time::Duration;

pub mod cluster;

use presence_relay::{start, Config, Running};
use presence_sim::client::control;
use serde_json::Value;

/// The longest wait for anything.
pub const WAIT: Duration = Duration::from_secs(20);

/// presence-sim with 300 people per provider, no rate limits, no changes of its own.
pub async fn sim() -> String {
    presence_sim::spawn(presence_sim::Config {
        users: 300,
        seed: 7,
        change_every_ms: 0,
        limits: presence_sim::Limits::default(),
    })
    .await
    .unwrap()
}

/// A relay whose viewers' tokens the sim issues, reading `sources` (TOML tables), with `top`
/// (top-level settings) over the tests' own: any port, pages of `http://page.test`, ids let go of
/// at once, polls at most every 300 ms.
pub async fn relay_with(sim: &str, top: &str, sources: &str) -> Running {
    let toml = format!(
        r#"
        listen = "127.0.0.1:0"
        allowed_origins = ["http://page.test"]
        linger_ms = 0
        min_interval_ms = 300
        {top}
        [auth]
        issuer = "{sim}/_sim/oidc"
        audience = "presence-relay"
        {sources}
        "#
    );
    start(Config::from_parts(&toml, Vec::new()).unwrap())
        .await
        .unwrap()
}

/// A relay reading the sim's Graph as `teams`, with `top` (top-level settings).
pub async fn teams_relay(sim: &str, top: &str) -> Running {
    let teams = format!(
        r#"
        [sources.teams]
        kind = "graph"
        base_url = "{sim}/graph/v1.0"
        credentials = {{ token = "sim-token" }}
        "#
    );
    relay_with(sim, top, &teams).await
}

/// The value of the line of the relay's `/metrics` that starts with `line`, as written (empty
/// when there is none).
pub async fn metric(relay: &Running, line: &str) -> String {
    metric_at(&format!("http://{}", relay.addr), line).await
}

/// As [`metric`], of the relay at `url`.
pub async fn metric_at(url: &str, line: &str) -> String {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_default()
        .to_owned()
}

/// A viewer's token with these claims, signed by the sim's issuer.
pub async fn mint(sim: &str, body: Value) -> String {
    let answer = control(sim, "POST", "/_sim/oidc/mint", &body)
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["token"].as_str().unwrap().to_owned()
}

/// Alice's token.
pub async fn token(sim: &str) -> String {
    mint(sim, serde_json::json!({"sub": "alice"})).await
}

/// One server-sent event.
#[derive(Debug, Default)]
pub struct Ev {
    /// Its `event` field (`message` when there is none).
    pub event: String,
    /// Its `id`.
    pub id: Option<String>,
    /// Its data lines, joined.
    pub data: String,
    /// Its comment lines.
    pub comments: Vec<String>,
    /// Its `retry`.
    pub retry: Option<u64>,
}

impl Ev {
    /// The data as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A stream being read.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    /// The next event (keep-alive comments skipped), or `None` once the stream ends.
    pub async fn next(&mut self) -> Option<Ev> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut ev = Ev {
                    event: "message".into(),
                    ..Ev::default()
                };
                let mut data = Vec::new();
                for line in block.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "" => ev.comments.push(value.to_owned()),
                        "event" => ev.event = value.to_owned(),
                        "id" => ev.id = Some(value.to_owned()),
                        "data" => data.push(value.to_owned()),
                        "retry" => ev.retry = value.parse().ok(),
                        _ => {}
                    }
                }
                ev.data = data.join("\n");
                if ev.data.is_empty() && ev.retry.is_none() && ev.event == "message" {
                    continue; // a keep-alive
                }
                return Some(ev);
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("no event within the wait")
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The first event that `pred` accepts.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Ev) -> bool) -> Ev {
        loop {
            match self.next().await {
                Some(ev) if pred(&ev) => return ev,
                Some(_) => {}
                None => panic!("the stream ended before {what}"),
            }
        }
    }
}

/// Opens a stream; the status and, for a refusal, the JSON body.
pub async fn open(
    relay: &Running,
    token: Option<&str>,
    body: &Value,
    last_id: Option<&str>,
) -> Result<Events, (u16, Value)> {
    open_url(&format!("http://{}", relay.addr), token, body, last_id).await
}

/// Opens a stream on the relay at `url`.
pub async fn open_url(
    url: &str,
    token: Option<&str>,
    body: &Value,
    last_id: Option<&str>,
) -> Result<Events, (u16, Value)> {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/v1/stream"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(id) = last_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status != 200 {
        let body = response.json().await.unwrap_or(Value::Null);
        return Err((status, body));
    }
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    Ok(Events {
        response,
        buffer: String::new(),
    })
}

/// Asks `probe` every 20 ms until it answers `Ok`, at most [`WAIT`]; when it never does, fails
/// with its last `Err` (what it saw instead).
pub async fn eventually<T, F: std::future::Future<Output = Result<T, String>>>(
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) => assert!(tokio::time::Instant::now() < deadline, "never: {last}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for `cond` on the relay, checking every 20 ms.
pub async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads presence events until every id in `ids` is fresh; returns the last event.
pub async fn until_fresh(events: &mut Events, ids: &[String]) -> Ev {
    let mut fresh = std::collections::HashSet::new();
    loop {
        let ev = events
            .until("every presence fresh", |e| e.event == "presence")
            .await;
        let j = ev.json();
        if j["status"] == "fresh" {
            fresh.insert(j["user"].as_str().unwrap().to_owned());
        }
        if ids.iter().all(|id| fresh.contains(id)) {
            return ev;
        }
    }
}
