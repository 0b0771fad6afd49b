//! `presence-load --relay URL --sim URL [--streams N] [--people P] [--watch W] [--seconds S]`:
//! the relay's load generator, for `cargo xtask bench`. On loopback only, bounded in time (it
//! gives up after `--seconds`, 300 by default), in its own process.
//!
//! It opens `N` streams (10,000) that each watch `W` (20) of `P` (1,000) Graph people of the
//! simulator, all of them the first one (the probe), as intranet pages of teams do; then says:
//! the relay's upstream requests per minute with 10 streams and with `N`; the time from a change
//! at the simulator to each stream receiving it (p50, p99, the last), for the polled Graph source
//! `teams` and, when the relay has it, the pushed Rocket.Chat source `chat`; the relay's memory
//! per stream and its CPU. Each figure is a line starting `bench: `.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "load/mod.rs"]
mod load;
use load::{json_of, metric, percentile};

const USAGE: &str = "usage: presence-load --relay URL --sim URL [--streams N (10000)] [--people P (1000)] [--watch W (20)] [--seconds S (300)]";

struct Args {
    relay: String,
    sim: String,
    streams: usize,
    people: usize,
    watch: usize,
    seconds: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        relay: String::new(),
        sim: String::new(),
        streams: 10_000,
        people: 1_000,
        watch: 20,
        seconds: 300,
    };
    let mut parser = lexopt::Parser::from_env();
    fn value(parser: &mut lexopt::Parser) -> Result<String, String> {
        parser
            .value()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|_| "not UTF-8".to_owned())
    }
    let number = |v: String| v.parse::<usize>().map_err(|_| format!("not a number: {v}"));
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            lexopt::Arg::Long("relay") => a.relay = value(&mut parser)?,
            lexopt::Arg::Long("sim") => a.sim = value(&mut parser)?,
            lexopt::Arg::Long("streams") => a.streams = number(value(&mut parser)?)?,
            lexopt::Arg::Long("people") => a.people = number(value(&mut parser)?)?,
            lexopt::Arg::Long("watch") => a.watch = number(value(&mut parser)?)?.max(1),
            lexopt::Arg::Long("seconds") => {
                a.seconds = u64::try_from(number(value(&mut parser)?)?).unwrap_or(300);
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    for url in [&a.relay, &a.sim] {
        if !(url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:")) {
            return Err(format!("loopback only: `{url}`"));
        }
    }
    Ok(a)
}

/// What the streams have seen: per probe marker, when each stream saw it.
#[derive(Default)]
struct Seen {
    at: HashMap<String, Vec<Instant>>,
}

/// Opens one stream and reads it until `stop`, noting each probe marker it sees.
async fn stream(
    http: reqwest::Client,
    relay: String,
    token: String,
    body: String,
    seen: Arc<Mutex<Seen>>,
    opened: Arc<AtomicUsize>,
    markers: Arc<Mutex<Vec<String>>>,
) {
    let Ok(mut response) = http
        .post(format!("{relay}/v1/stream"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
    else {
        return;
    };
    if !response.status().is_success() {
        return;
    }
    let mut counted = false;
    let mut tail = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        if !counted {
            counted = true;
            opened.fetch_add(1, Ordering::Relaxed);
        }
        let now = Instant::now();
        tail.push_str(&String::from_utf8_lossy(&chunk));
        let wanted: Vec<String> = markers.lock().map(|m| m.clone()).unwrap_or_default();
        for marker in wanted {
            if tail.contains(&marker) {
                if let Ok(mut s) = seen.lock() {
                    s.at.entry(marker).or_default().push(now);
                }
            }
        }
        // Keep only what a marker cut across two chunks needs.
        if tail.len() > 256 {
            let cut = tail.len() - 128;
            let cut = (cut..tail.len())
                .find(|i| tail.is_char_boundary(*i))
                .unwrap_or(0);
            tail.drain(..cut);
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(a: Args) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let token = load::token(&http, &a.sim).await?;
    let people = load::people(&http, &a.sim, "graph", a.people).await?;
    let chat: Option<String> = load::people(&http, &a.sim, "rocketchat", 1)
        .await
        .ok()
        .and_then(|ids| ids.into_iter().next());
    let health = json_of(
        http.get(format!("{}/healthz", a.relay))
            .send()
            .await
            .map_err(|e| e.to_string())?,
    )
    .await?;
    let chat = chat.filter(|_| {
        health
            .pointer("/sources/chat")
            .is_some_and(Value::is_object)
    });
    let probe = people.first().ok_or("the sim has no Graph people")?.clone();
    let others = people.len().saturating_sub(1).max(1);
    // The first ten streams watch everyone between them, so that the relay reads the same
    // people with 10 streams as with all of them.
    let first_watch = people.len().div_ceil(10).max(a.watch);
    let body = |i: usize| {
        let mut ids = vec![probe.clone()];
        let (watch, offset) = if i < 10 {
            (first_watch, i * first_watch)
        } else {
            (a.watch, i * a.watch)
        };
        for k in 0..watch.saturating_sub(1) {
            if let Some(id) = people.get(1 + (offset + k) % others) {
                ids.push(id.clone());
            }
        }
        let sources = match &chat {
            Some(c) => json!({ "teams": ids, "chat": [c] }),
            None => json!({ "teams": ids }),
        };
        json!({ "sources": sources }).to_string()
    };

    let seen = Arc::new(Mutex::new(Seen::default()));
    let opened = Arc::new(AtomicUsize::new(0));
    let markers = Arc::new(Mutex::new(Vec::<String>::new()));
    let open = |from: usize, to: usize| {
        for i in from..to {
            tokio::spawn(stream(
                http.clone(),
                a.relay.clone(),
                token.clone(),
                body(i),
                seen.clone(),
                opened.clone(),
                markers.clone(),
            ));
        }
    };
    let wait_opened = |n: usize| {
        let opened = opened.clone();
        async move {
            while opened.load(Ordering::Relaxed) < n {
                if Instant::now() > deadline {
                    return Err(format!(
                        "only {} of {n} streams opened in time",
                        opened.load(Ordering::Relaxed)
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(())
        }
    };
    let requests = "presence_relay_upstream_requests_total{source=\"teams\"";
    let rate = |window: Duration| {
        let http = http.clone();
        let relay = a.relay.clone();
        async move {
            let before = metric(&http, &relay, requests).await?;
            tokio::time::sleep(window).await;
            let after = metric(&http, &relay, requests).await?;
            Ok::<f64, String>((after - before) * 60.0 / window.as_secs_f64())
        }
    };
    let window = Duration::from_secs(15);
    let watched = |h: &Value| {
        h.pointer("/sources/teams/watched")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let health_now = || {
        let http = http.clone();
        let relay = a.relay.clone();
        async move {
            json_of(
                http.get(format!("{relay}/healthz"))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?,
            )
            .await
        }
    };

    let rss = "process_resident_memory_bytes ";
    let cpu = "process_cpu_seconds_total ";
    let rss_before = metric(&http, &a.relay, rss).await?;
    open(0, 10);
    wait_opened(10).await?;
    // Everyone read once, then the steady polling.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with_ten = rate(window).await?;
    println!(
        "bench: relay upstream requests with 10 streams: {with_ten:.0}/min (Graph, {} people watched)",
        watched(&health_now().await?)
    );

    let started = Instant::now();
    let mut next = 10;
    while next < a.streams {
        let to = (next + 500).min(a.streams);
        open(next, to);
        wait_opened(to).await?;
        next = to;
    }
    println!(
        "bench: {} streams opened in {:.1} s (each watching {} of {} Graph people)",
        a.streams,
        started.elapsed().as_secs_f64(),
        a.watch,
        people.len()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = metric(&http, &a.relay, rss).await?;
    let cpu_before = metric(&http, &a.relay, cpu).await?;
    let with_all = rate(window).await?;
    let cpu_after = metric(&http, &a.relay, cpu).await?;
    let streams_f = u32::try_from(a.streams.saturating_sub(10))
        .map(f64::from)
        .unwrap_or(f64::MAX)
        .max(1.0);
    println!(
        "bench: relay upstream requests with {} streams: {with_all:.0}/min (with 10: {with_ten:.0}/min; {} people watched)",
        a.streams,
        watched(&health_now().await?)
    );
    println!(
        "bench: relay memory per stream: {:.1} KB (resident {:.1} MB before any stream, {:.1} MB with {})",
        (rss_after - rss_before) / streams_f / 1024.0,
        rss_before / 1_048_576.0,
        rss_after / 1_048_576.0,
        a.streams
    );
    println!(
        "bench: relay CPU while holding {} idle streams and polling: {:.1}% of one core",
        a.streams,
        (cpu_after - cpu_before) * 100.0 / window.as_secs_f64()
    );

    // Probes: a change at the simulator, until every stream has it.
    let mut sources = vec![("teams", "graph", probe.clone())];
    if let Some(c) = &chat {
        sources.push(("chat", "rocketchat", c.clone()));
    }
    for (source, provider, id) in sources {
        let mut all = Vec::new();
        let mut lasts = Vec::new();
        let cpu_before = metric(&http, &a.relay, cpu).await?;
        let probes_started = Instant::now();
        for round in 0..5 {
            let marker = format!("probe-{source}-{round}-{}", upstream_now());
            markers.lock().map_err(|_| "poisoned")?.push(marker.clone());
            let availability = if round % 2 == 0 { "Busy" } else { "Away" };
            let sent = Instant::now();
            let answer = http
                .put(format!("{}/_sim/users/{provider}/{}", a.sim, id))
                .json(&json!({"availability": availability, "message": marker}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("the sim refused the change: {}", answer.status()));
            }
            loop {
                let got = seen
                    .lock()
                    .map(|s| s.at.get(&marker).map_or(0, Vec::len))
                    .unwrap_or(0);
                if got >= a.streams
                    || Instant::now() > deadline
                    || sent.elapsed() > Duration::from_secs(20)
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let times: Vec<Duration> = seen
                .lock()
                .map(|s| {
                    s.at.get(&marker)
                        .map(|v| {
                            v.iter()
                                .map(|t| t.saturating_duration_since(sent))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            if times.len() < a.streams {
                println!("bench: {source} probe {round}: only {} of {} streams received the change in 20 s", times.len(), a.streams);
            }
            lasts.push(times.iter().max().copied().unwrap_or_default());
            all.extend(times);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let cpu_after = metric(&http, &a.relay, cpu).await?;
        all.sort_unstable();
        lasts.sort_unstable();
        let mode = health_now()
            .await?
            .pointer(&format!("/sources/{source}/mode"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        println!(
            "bench: {source} ({provider}, {}): change at the sim → stream, over {} deliveries: p50 {}, p99 {}, the last stream (median of 5 changes) {}, worst {}",
            if mode == "push" {
                "pushed to the relay".to_owned()
            } else {
                let every = metric(&http, &a.relay, "presence_relay_poll_interval_seconds{source=\"teams\"").await?;
                format!("polled by the relay every {:.0} ms", every * 1000.0)
            },
            all.len(),
            ms(percentile(&all, 50)),
            ms(percentile(&all, 99)),
            ms(percentile(&lasts, 50)),
            ms(lasts.last().copied().unwrap_or_default())
        );
        println!(
            "bench: relay CPU while fanning out {source}'s changes to {} streams: {:.1}% of one core",
            a.streams,
            (cpu_after - cpu_before) * 100.0 / probes_started.elapsed().as_secs_f64()
        );
    }
    let dropped = metric(&http, &a.relay, "presence_relay_dropped_total ").await?;
    println!("bench: streams the relay dropped as too slow: {dropped}");
    Ok(())
}

fn upstream_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn main() -> ExitCode {
    load::main("presence-load", USAGE, args(), run)
}
