//! `presence-sim [--port N] [--users N] [--seed S] [--change-every SECONDS] [--www DIR]
//! [--pkg DIR] [--graph-limit CALLS/SECONDS] [--rocketchat-limit …] [--genesys-limit …]
//! [--superoffice-limit …] [--heartbeat-ms N] [--relay URL]`: serves the four simulated APIs on 127.0.0.1 until interrupted;
//! `--help` prints the usage.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use lexopt::ValueExt;
use presence_sim::{bind, serve, App, Config, Limit, Site};

const USAGE: &str = "usage: presence-sim [--port N (8080; 0 for any)] [--users N (200, at most 10000)] [--seed S] \
[--change-every SECONDS (5; 0 stills the world)] [--www DIR (www)] [--pkg DIR (pkg)] \
[--graph-limit CALLS/SECONDS|off] [--rocketchat-limit …] [--genesys-limit …] [--superoffice-limit …] \
[--heartbeat-ms N (30000: Rocket.Chat pings and Genesys heartbeats on the push sockets)] \
[--relay URL (the presence-relay the demo's fifth panel reads, said at /_sim/site)]";

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

/// What the command line asks for.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "made once, at start")]
enum Command {
    /// `--help`: print the usage.
    Help,
    /// Serve on 127.0.0.1:`port`.
    Serve {
        port: u16,
        config: Config,
        site: Site,
        heartbeat_ms: u64,
        relay: Option<String>,
    },
}

/// The next option's value as text.
fn text(parser: &mut lexopt::Parser) -> Result<String, lexopt::Error> {
    parser.value()?.string()
}

/// Reads the options; an unknown one, a missing value or a bad value is an error of one line.
fn parse(args: impl IntoIterator<Item = impl Into<OsString>>) -> Result<Command, lexopt::Error> {
    use lexopt::Arg::{Long, Short};

    let mut port = 8080;
    let mut heartbeat_ms = presence_sim::hub::DEFAULT_HEARTBEAT_MS;
    let mut relay = None;
    let mut config = Config::default();
    let mut site = Site {
        www: Some(PathBuf::from("www")),
        pkg: Some(PathBuf::from("pkg")),
    };
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next()? {
        let number = |flag: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("--{flag} needs a number, not `{v}`"))
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Long("port") => {
                port = u16::try_from(number("port", &text(&mut parser)?)?)
                    .map_err(|_| "--port is at most 65535".to_owned())?;
            }
            Long("users") => {
                let n =
                    usize::try_from(number("users", &text(&mut parser)?)?).unwrap_or(usize::MAX);
                if !(1..=presence_sim::world::MAX_USERS).contains(&n) {
                    return Err("--users is from 1 to 10000".into());
                }
                config.users = n;
            }
            Long("seed") => config.seed = number("seed", &text(&mut parser)?)?,
            Long("change-every") => {
                let value = text(&mut parser)?;
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--change-every needs seconds, not `{value}`"))?;
                config.change_every_ms =
                    whole_ms(secs).ok_or("--change-every is from 0 to 86400 seconds")?;
            }
            Long("www") => site.www = Some(parser.value()?.into()),
            Long("pkg") => site.pkg = Some(parser.value()?.into()),
            Long("relay") => relay = Some(text(&mut parser)?),
            Long("graph-limit") => config.limits.graph = limit(&text(&mut parser)?)?,
            Long("rocketchat-limit") => config.limits.rocketchat = limit(&text(&mut parser)?)?,
            Long("genesys-limit") => config.limits.genesys = limit(&text(&mut parser)?)?,
            Long("superoffice-limit") => config.limits.superoffice = limit(&text(&mut parser)?)?,
            Long("heartbeat-ms") => {
                use presence_sim::hub::{MAX_HEARTBEAT_MS, MIN_HEARTBEAT_MS};
                heartbeat_ms = number("heartbeat-ms", &text(&mut parser)?)?;
                if !(MIN_HEARTBEAT_MS..=MAX_HEARTBEAT_MS).contains(&heartbeat_ms) {
                    return Err(format!(
                        "--heartbeat-ms is from {MIN_HEARTBEAT_MS} to {MAX_HEARTBEAT_MS}"
                    )
                    .into());
                }
            }
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Serve {
        port,
        config,
        site,
        heartbeat_ms,
        relay,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let (port, config, site, heartbeat_ms, relay) = match parse(std::env::args_os().skip(1)) {
        Ok(Command::Serve {
            port,
            config,
            site,
            heartbeat_ms,
            relay,
        }) => (port, config, site, heartbeat_ms, relay),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("presence-sim: {e} (presence-sim --help for the options)");
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
    let app = App::new(&config).with_heartbeat_ms(heartbeat_ms);
    app.lock().relay = relay;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> (u16, Config, Site) {
        match parse(args.iter().copied()) {
            Ok(Command::Serve {
                port, config, site, ..
            }) => (port, config, site),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn heartbeat(args: &[&str]) -> u64 {
        match parse(args.iter().copied()) {
            Ok(Command::Serve { heartbeat_ms, .. }) => heartbeat_ms,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn heartbeat_period() {
        assert_eq!(heartbeat(&[]), 30_000);
        assert_eq!(heartbeat(&["--heartbeat-ms", "500"]), 500);
        assert_eq!(heartbeat(&["--heartbeat-ms=10"]), 10);
    }

    fn error(args: &[&str]) -> String {
        match parse(args.iter().copied()) {
            Err(e) => e.to_string(),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let (port, config, site) = serve(&[]);
        assert_eq!(port, 8080);
        assert_eq!(config.users, 200);
        assert_eq!(config.seed, 1);
        assert_eq!(config.change_every_ms, 5_000);
        assert_eq!(config.limits, presence_sim::Limits::documented());
        assert_eq!(site.www, Some(PathBuf::from("www")));
        assert_eq!(site.pkg, Some(PathBuf::from("pkg")));
    }

    #[test]
    fn the_readme_command() {
        let (port, config, _) = serve(&[
            "--port",
            "8080",
            "--users",
            "200",
            "--seed",
            "1",
            "--change-every",
            "5",
        ]);
        assert_eq!((port, config.users, config.seed), (8080, 200, 1));
        assert_eq!(config.change_every_ms, 5_000);
    }

    #[test]
    fn every_option() {
        let (port, config, site) = serve(&[
            "--port",
            "0",
            "--users=10000",
            "--seed",
            "18446744073709551615",
            "--change-every",
            "0.25",
            "--www",
            "site",
            "--pkg",
            "out/pkg",
            "--graph-limit",
            "100/30",
            "--rocketchat-limit",
            "off",
            "--genesys-limit",
            "5/0.5",
            "--superoffice-limit",
            "1/86400",
        ]);
        assert_eq!(port, 0);
        assert_eq!(config.users, 10_000);
        assert_eq!(config.seed, u64::MAX);
        assert_eq!(config.change_every_ms, 250);
        assert_eq!(site.www, Some(PathBuf::from("site")));
        assert_eq!(site.pkg, Some(PathBuf::from("out/pkg")));
        let limits = config.limits;
        assert_eq!(
            limits.graph,
            Some(Limit {
                calls: 100,
                window_ms: 30_000
            })
        );
        assert_eq!(limits.rocketchat, None);
        assert_eq!(
            limits.genesys,
            Some(Limit {
                calls: 5,
                window_ms: 500
            })
        );
        assert_eq!(
            limits.superoffice,
            Some(Limit {
                calls: 1,
                window_ms: 86_400_000
            })
        );
    }

    #[test]
    fn help_wherever_it_stands() {
        for args in [&["--help"][..], &["-h"], &["--port", "1", "--help"]] {
            assert!(matches!(parse(args.iter().copied()), Ok(Command::Help)));
        }
    }

    #[test]
    fn errors_name_the_option_and_the_value() {
        for (args, message) in [
            (&["--frobnicate"][..], "invalid option '--frobnicate'"),
            (&["-x"], "invalid option '-x'"),
            (&["8080"], "unexpected argument \"8080\""),
            (&["--port"], "missing argument for option '--port'"),
            (&["--port", "http"], "--port needs a number, not `http`"),
            (&["--port", "65536"], "--port is at most 65535"),
            (&["--users", "0"], "--users is from 1 to 10000"),
            (&["--users", "10001"], "--users is from 1 to 10000"),
            (&["--seed", "-1"], "--seed needs a number, not `-1`"),
            (
                &["--change-every", "soon"],
                "--change-every needs seconds, not `soon`",
            ),
            (
                &["--change-every", "86401"],
                "--change-every is from 0 to 86400 seconds",
            ),
            (
                &["--graph-limit", "100"],
                "a limit is CALLS/SECONDS or off, not `100`",
            ),
            (&["--genesys-limit", "x/30"], "bad call count in `x/30`"),
            (&["--rocketchat-limit", "10/-1"], "bad seconds in `10/-1`"),
            (
                &["--heartbeat-ms", "9"],
                "--heartbeat-ms is from 10 to 86400000",
            ),
            (
                &["--heartbeat-ms", "often"],
                "--heartbeat-ms needs a number, not `often`",
            ),
        ] {
            let got = error(args);
            assert_eq!(got, message, "{args:?}");
            assert!(!got.contains('\n'));
        }
    }
}
