//! What the two load generators (`presence-load`, `presence-scale`) share: their process's start
//! and end, the sim's answers as JSON, a viewer's token and the Graph people from it, a relay's
//! metric, percentiles.

use std::future::Future;
use std::process::ExitCode;

use serde_json::{json, Value};

/// A generator's process: `run` with its arguments on a multi-threaded runtime. Arguments it
/// cannot read exit 2 with `usage`, a failure exits 1; each is said as `name: why`.
pub fn main<A, F>(
    name: &str,
    usage: &str,
    args: Result<A, String>,
    run: impl FnOnce(A) -> F,
) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let a = match args {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{name}: {e}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An answer's body as JSON; an error status is an error with the body.
pub async fn json_of(response: reqwest::Response) -> Result<Value, String> {
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
}

/// A viewer's token for a day, minted by the sim's issuer.
pub async fn token(http: &reqwest::Client, sim: &str) -> Result<String, String> {
    Ok(json_of(
        http.post(format!("{sim}/_sim/oidc/mint"))
            .json(&json!({"sub": "load", "expiresIn": 86400}))
            .send()
            .await
            .map_err(|e| e.to_string())?,
    )
    .await?
    .pointer("/token")
    .and_then(Value::as_str)
    .ok_or("no token from the sim")?
    .to_owned())
}

/// The ids of the first `n` people of the sim's `provider`.
pub async fn people(
    http: &reqwest::Client,
    sim: &str,
    provider: &str,
    n: usize,
) -> Result<Vec<String>, String> {
    Ok(json_of(
        http.get(format!("{sim}/_sim/users?provider={provider}"))
            .send()
            .await
            .map_err(|e| e.to_string())?,
    )
    .await?
    .as_array()
    .ok_or("no people")?
    .iter()
    .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_owned))
    .take(n)
    .collect())
}

/// One sample of the relay's `/metrics` whose line starts with `prefix`.
pub async fn metric(http: &reqwest::Client, relay: &str, prefix: &str) -> Result<f64, String> {
    let text = http
        .get(format!("{relay}/metrics"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no `{prefix}` in the relay's metrics"))
}

/// The `p`th percentile of `sorted` (the default when empty).
pub fn percentile<T: Copy + Default>(sorted: &[T], p: usize) -> T {
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted
        .get(i.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}
