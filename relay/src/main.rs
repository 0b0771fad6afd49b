//! `presence-relay [--config FILE]`: reads the configuration (the file, else
//! `PRESENCE_RELAY_CONFIG`, then `PRESENCE_RELAY_…` values from the environment), serves until
//! interrupted (Ctrl-C or SIGTERM), then ends every stream with a retry hint. Logs go to
//! standard error; `PRESENCE_RELAY_LOG` (or `RUST_LOG`) filters them (`info` by default).

use std::path::PathBuf;
use std::process::ExitCode;

use presence_relay::{start, Config};

const USAGE: &str = "usage: presence-relay [--config FILE] (or PRESENCE_RELAY_CONFIG; every value also from PRESENCE_RELAY_<PATH>, tables joined by __)";

fn args() -> Result<Option<PathBuf>, String> {
    let mut config = std::env::var_os("PRESENCE_RELAY_CONFIG").map(PathBuf::from);
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            lexopt::Arg::Long("config") | lexopt::Arg::Short('c') => {
                config = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            lexopt::Arg::Long("help") | lexopt::Arg::Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(config)
}

async fn stopped() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = std::env::var("PRESENCE_RELAY_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let path = match args() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("presence-relay: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::load(path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("presence-relay: {e}");
            return ExitCode::from(2);
        }
    };
    let running = match start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("presence-relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("presence-relay listening on http://{}", running.addr);
    let stop = running.stopper();
    tokio::spawn(async move {
        stopped().await;
        tracing::info!("shutting down: ending every stream with a retry hint");
        let _ = stop.send(true);
    });
    match running.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("presence-relay: {e}");
            ExitCode::FAILURE
        }
    }
}
