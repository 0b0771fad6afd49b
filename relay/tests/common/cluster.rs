//! What the shared-mode tests share: a real `redis-server` on a loopback port with a throwaway
//! directory, and relay instances run as processes of the real binary (so that one can be
//! killed), all pointed at it and at the sim.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::{eventually, Events};

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway directory under the target directory's tmp.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A redis-server of the test's own.
pub struct Redis {
    /// Its port.
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    /// Starts one on a free port, with nothing saved.
    pub async fn start() -> Self {
        let mut redis = Redis {
            port: free_port(),
            dir: temp_dir("redis"),
            child: None,
        };
        redis.up().await;
        redis
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts it again (after [`Redis::stop`]), on the same port, empty.
    pub async fn up(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package; `cargo xtask test` installs it)");
        self.child = Some(child);
        let me = &*self;
        eventually(|| async move {
            me.connection()
                .await
                .map(drop)
                .map_err(|e| format!("redis-server answered: {e}"))
        })
        .await;
    }

    /// Stops it (as an outage: nothing is kept).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A connection of the test's own.
    pub async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await
    }

    /// One command's answer.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> T {
        let mut c = self.connection().await.unwrap();
        cmd.query_async(&mut c).await.unwrap()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A presence-relay process.
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
}

impl Instance {
    /// Starts the relay binary with `config` (TOML) on a free port.
    pub fn start(config: &str) -> Self {
        let port = free_port();
        let dir = temp_dir("relay");
        let path = dir.join("relay.toml");
        std::fs::write(&path, format!("listen = \"127.0.0.1:{port}\"\n{config}")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_presence-relay"))
            .arg("--config")
            .arg(&path)
            .env(
                "PRESENCE_RELAY_LOG",
                std::env::var("RELAY_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Instance {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// Kills it at once (SIGKILL): it lets go of nothing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its `/healthz`, once it answers.
    pub async fn health(&self) -> Value {
        let url = &self.url;
        eventually(|| async move {
            let answer = reqwest::get(format!("{url}/healthz"))
                .await
                .map_err(|e| format!("{url} answered: {e}"))?;
            answer
                .json::<Value>()
                .await
                .map_err(|e| format!("{url} answered: {e}"))
        })
        .await
    }

    /// One value of its `/metrics` (the line starting `line`), 0 when absent.
    pub async fn metric(&self, line: &str) -> f64 {
        super::metric_at(&self.url, line)
            .await
            .parse()
            .unwrap_or(0.0)
    }

    /// Waits until its `/healthz` satisfies `cond`.
    pub async fn until(&self, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        let cond = &cond;
        eventually(|| async move {
            let h = self.health().await;
            if cond(&h) {
                Ok(h)
            } else {
                Err(format!("{} {what}: {h}", self.url))
            }
        })
        .await
    }

    /// Whether it reads `source` now, as its `/healthz` says.
    pub async fn reads(&self, source: &str) -> bool {
        self.health().await["sources"][source]["reading"] == true
    }

    /// Opens a stream on it.
    pub async fn open(
        &self,
        token: &str,
        body: &Value,
        last_id: Option<&str>,
    ) -> Result<Events, (u16, Value)> {
        super::open_url(&self.url, Some(token), body, last_id).await
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
