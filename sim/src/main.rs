//! `presence-sim [--port N] [--users N] [--seed S] [--change-every SECONDS] [--www DIR]
//! [--pkg DIR] [--graph-limit CALLS/SECONDS] [--rocketchat-limit …] [--genesys-limit …]
//! [--superoffice-limit …]`: serves the four simulated APIs on 127.0.0.1 until interrupted.

use std::path::PathBuf;
use std::process::ExitCode;

use presence_sim::{bind, serve, App, Config, Limit, Site};

const USAGE: &str = "usage: presence-sim [--port N (8080; 0 for any)] [--users N (200, at most 10000)] [--seed S] \
[--change-every SECONDS (5; 0 stills the world)] [--www DIR (www)] [--pkg DIR (pkg)] \
[--graph-limit CALLS/SECONDS|off] [--rocketchat-limit …] [--genesys-limit …] [--superoffice-limit …]";

fn limit(text: &str) -> Result<Option<Limit>, String> {
    if text == "off" {
        return Ok(None);
    }
    let (calls, secs) = text
        .split_once('/')
        .ok_or_else(|| format!("a limit is CALLS/SECONDS or off, not `{text}`"))?;
    let calls: u32 = calls
        .parse()
        .map_err(|_| format!("bad call count in `{text}`"))?;
    let secs: f64 = secs
        .parse()
        .map_err(|_| format!("bad seconds in `{text}`"))?;
    let window_ms = whole_ms(secs).ok_or_else(|| format!("bad seconds in `{text}`"))?;
    Ok(Some(Limit { calls, window_ms }))
}

/// Seconds (fractions allowed) as whole milliseconds.
fn whole_ms(secs: f64) -> Option<u64> {
    if !(0.0..=86_400.0).contains(&secs) {
        return None;
    }
    format!("{:.0}", secs * 1000.0).parse().ok()
}

fn parse() -> Result<(u16, Config, Site), String> {
    let mut port = 8080;
    let mut config = Config::default();
    let mut site = Site {
        www: Some(PathBuf::from("www")),
        pkg: Some(PathBuf::from("pkg")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} needs a number, not `{v}`"))
        };
        match flag.as_str() {
            "--port" => {
                port = u16::try_from(number(&value)?)
                    .map_err(|_| "--port is at most 65535".to_owned())?
            }
            "--users" => {
                let n = usize::try_from(number(&value)?).unwrap_or(usize::MAX);
                if !(1..=presence_sim::world::MAX_USERS).contains(&n) {
                    return Err("--users is from 1 to 10000".into());
                }
                config.users = n;
            }
            "--seed" => config.seed = number(&value)?,
            "--change-every" => {
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--change-every needs seconds, not `{value}`"))?;
                config.change_every_ms =
                    whole_ms(secs).ok_or("--change-every is from 0 to 86400 seconds")?;
            }
            "--www" => site.www = Some(PathBuf::from(value)),
            "--pkg" => site.pkg = Some(PathBuf::from(value)),
            "--graph-limit" => config.limits.graph = limit(&value)?,
            "--rocketchat-limit" => config.limits.rocketchat = limit(&value)?,
            "--genesys-limit" => config.limits.genesys = limit(&value)?,
            "--superoffice-limit" => config.limits.superoffice = limit(&value)?,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok((port, config, site))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (port, config, site) = match parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("presence-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let (listener, addr) = match bind(port).await {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("presence-sim: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let app = App::new(&config);
    println!(
        "presence-sim listening on http://{addr}/ ({} people per provider, seed {}, a change every {} ms)",
        config.users, config.seed, config.change_every_ms
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match serve(listener, app, &site, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("presence-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
