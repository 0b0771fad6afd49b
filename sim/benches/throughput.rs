//! presence-sim under load: the real binary with 10,000 people per provider, answering 650-id
//! Graph getPresencesByUserId batches over keep-alive loopback connections for a fixed time.
//! Reports requests per second, errors, latency, and the server's resident memory.
//! Goal: at least 500 requests per second without error; under 100 MB with 10,000 users.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark fails loudly, and converts only its own counters"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use presence_sim::client::{request, Connection};
use serde_json::{json, Value};

const CONNECTIONS: usize = 4;
const SECONDS: u64 = 8;

/// Kills the simulator when the benchmark ends, however it ends.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn memory_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presence-sim"))
        .args([
            "--port",
            "0",
            "--users",
            "10000",
            "--change-every",
            "1",
            "--graph-limit",
            "off",
            "--www",
            "/nonexistent",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start presence-sim");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let sim = Sim(child);
    let pid = sim.0.id();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    println!(
        "presence-sim (pid {pid}) at {base}, 10,000 people per provider, a change every second"
    );
    let idle_kb = memory_kb(pid, "VmRSS:");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (done, errors, latencies) = runtime.block_on(async {
        let users = request(&base, "GET", "/_sim/users?provider=graph", &[], None)
            .await
            .unwrap();
        let ids: Vec<String> = serde_json::from_str::<Value>(&users.body)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        let bodies: Vec<String> = ids
            .chunks(650)
            .filter(|c| c.len() == 650)
            .map(|c| json!({ "ids": c }).to_string())
            .collect();
        let until = Instant::now() + Duration::from_secs(SECONDS);
        let mut tasks = Vec::new();
        for c in 0..CONNECTIONS {
            let base = base.clone();
            let bodies = bodies.clone();
            tasks.push(tokio::spawn(async move {
                let mut connection = Connection::open(&base).await.unwrap();
                let headers = [
                    ("Authorization", "Bearer bench"),
                    ("Content-Type", "application/json"),
                ];
                let (mut ok, mut bad, mut lat) = (0u64, 0u64, Vec::new());
                let mut i = c;
                while Instant::now() < until {
                    let body = &bodies[i % bodies.len()];
                    i += CONNECTIONS;
                    let started = Instant::now();
                    match connection
                        .send(
                            "POST",
                            "/graph/v1.0/communications/getPresencesByUserId",
                            &headers,
                            Some(body),
                        )
                        .await
                    {
                        Ok(answer) if answer.status == 200 && answer.body.len() > 650 * 100 => {
                            ok += 1
                        }
                        Ok(_) => bad += 1,
                        Err(_) => {
                            bad += 1;
                            connection = Connection::open(&base).await.unwrap();
                        }
                    }
                    lat.push(started.elapsed());
                }
                (ok, bad, lat)
            }));
        }
        let (mut ok, mut bad, mut lat) = (0, 0, Vec::new());
        for t in tasks {
            let (o, b, l) = t.await.unwrap();
            ok += o;
            bad += b;
            lat.extend(l);
        }
        (ok, bad, lat)
    });
    let mut latencies = latencies;
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    let rate = done as f64 / SECONDS as f64;
    println!(
        "graph getPresencesByUserId, 650 ids per request, {CONNECTIONS} keep-alive connections, {SECONDS} s: \
         {done} answered ({rate:.0} requests/s), {errors} errors; latency p50 {:?}, p99 {:?}",
        pick(0.5),
        pick(0.99)
    );
    println!(
        "presence-sim memory with 10,000 people per provider: {:.1} MB resident at rest, {:.1} MB after the load (peak {:.1} MB)",
        idle_kb as f64 / 1024.0,
        memory_kb(pid, "VmRSS:") as f64 / 1024.0,
        memory_kb(pid, "VmHWM:") as f64 / 1024.0
    );
    println!(
        "goal: at least 500 requests/s without error: {}; under 100 MB: {}",
        if rate >= 500.0 && errors == 0 {
            "met"
        } else {
            "NOT met"
        },
        if memory_kb(pid, "VmHWM:") < 100 * 1024 {
            "met"
        } else {
            "NOT met"
        }
    );
    drop(sim);
}
