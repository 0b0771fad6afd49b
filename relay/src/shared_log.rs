//! The shared mode's handle on Redis: its connection, the Lua scripts, the counters, the
//! shared epoch, the union of watched ids, and the change log's entries and replays. The tasks
//! that lease sources and consume the logs are `shared.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use presence_widgets::core::UserId;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisResult, Script, Value};
use tokio::sync::Notify;

use crate::config::RedisConfig;

/// Appends changes if the lease holds the token and the epoch is the reader's.
/// KEYS: lease, epoch, log, now, state. ARGV: token, epoch, maxlen, then kind, user, data for
/// each change (`p` a presence, `s` the state, `f` a person forgotten). Returns the last
/// position, -1 when the lease is not the reader's, -2 when the epoch changed.
const PUBLISH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -2 end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local pos = 0
if #last > 0 then pos = tonumber(string.match(last[1][1], '^(%d+)')) end
local i = 4
while i + 2 <= #ARGV do
  pos = pos + 1
  local kind, user, data = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], string.format('%.0f-0', pos), 'k', kind, 'u', user, 'd', data)
  if kind == 'p' then redis.call('HSET', KEYS[4], user, data)
  elseif kind == 'f' then redis.call('HDEL', KEYS[4], user)
  elseif kind == 's' then redis.call('SET', KEYS[5], data) end
  i = i + 3
end
return pos
";

/// Takes or renews the lease. KEYS: lease, epoch. ARGV: token, lease ms, epoch. Returns 1 when
/// held, 0 when another holds it, -2 when the epoch changed.
const ACQUIRE: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -2 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Lets go of the lease if it is the token's. KEYS: lease. ARGV: token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// The shared epoch, made if there is none. KEYS: epoch. ARGV: a new one.
const EPOCH: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
";

/// The present of a source, in one step: the log's last id (or ''), the state (or ''), and
/// each person's entry. KEYS: log, state, now.
const LOAD: &str = r"
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = ''
if #last > 0 then id = last[1][1] end
local state = redis.call('GET', KEYS[2]) or ''
return {id, state, redis.call('HGETALL', KEYS[3])}
";

/// The ids whose deadline has not passed, the others removed. KEYS: watch. ARGV: now.
const UNION: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
";

/// The scripts, each hashed once (a `Script` is its text and its SHA-1, which EVALSHA sends).
pub(crate) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    publish: Script::new(PUBLISH),
    acquire: Script::new(ACQUIRE),
    release: Script::new(RELEASE),
    epoch: Script::new(EPOCH),
    load: Script::new(LOAD),
    union: Script::new(UNION),
});

/// The shared mode's Lua scripts, ready to run.
pub(crate) struct Scripts {
    pub(crate) publish: Script,
    pub(crate) acquire: Script,
    pub(crate) release: Script,
    pub(crate) epoch: Script,
    pub(crate) load: Script,
    pub(crate) union: Script,
}

/// Counters of the shared mode, for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Changes appended to the logs by this instance's readers.
    pub appended: AtomicU64,
    /// Appends Redis refused: the lease was no longer the reader's.
    pub refused: AtomicU64,
    /// Leases taken by this instance.
    pub acquired: AtomicU64,
    /// Redis commands that failed (unreachable, timed out).
    pub errors: AtomicU64,
    /// Changes this instance read from the logs.
    pub consumed: AtomicU64,
    /// Times this instance went to the degraded mode.
    pub degraded: AtomicU64,
}

/// One instance's side of the shared mode.
pub struct Shared {
    pub(crate) client: redis::Client,
    pub(crate) conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    pub(crate) prefix: String,
    pub(crate) names: Vec<String>,
    pub(crate) lease_ms: u64,
    pub(crate) retry_ms: u64,
    pub(crate) log_len: u64,
    pub(crate) instances: u64,
    pub(crate) timeout: Duration,
    /// Whether Redis answers now.
    pub(crate) up: AtomicBool,
    /// The shared epoch while the instance is in the shared mode.
    pub(crate) epoch: Mutex<Option<Arc<str>>>,
    /// Woken when this instance's viewers watch ids it did not watch.
    pub(crate) watched: Notify,
    /// The counters.
    pub counters: Counters,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("prefix", &self.prefix)
            .field("up", &self.up)
            .finish_non_exhaustive()
    }
}

/// One entry of a change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A person's new entry.
    Presence(UserId, Arc<str>),
    /// The source's state.
    State(Arc<str>),
    /// Nobody watches the person any more.
    Forget(UserId),
}

impl Shared {
    /// The shared mode of `config`, for the sources `names` (in the hub's order).
    ///
    /// # Errors
    /// A URL the client cannot take.
    pub fn new(config: &RedisConfig, names: Vec<String>) -> Result<Self, String> {
        let client = redis::Client::open(config.url.expose())
            // The client's message may quote the URL, and so its password: not shown.
            .map_err(|_| "redis.url: not a Redis URL (redis://host:port/db)".to_owned())?;
        Ok(Self {
            client,
            conn: tokio::sync::Mutex::new(None),
            prefix: config.prefix.clone(),
            names,
            lease_ms: config.lease_ms,
            retry_ms: config.retry_ms,
            log_len: config.log_len,
            instances: config.instances,
            timeout: Duration::from_millis(config.timeout_ms),
            up: AtomicBool::new(false),
            epoch: Mutex::new(None),
            watched: Notify::new(),
            counters: Counters::default(),
        })
    }

    pub(crate) fn key(&self, source: usize, what: &str) -> String {
        let name = self.names.get(source).map_or("", String::as_str);
        format!("{}:src:{name}:{what}", self.prefix)
    }

    pub(crate) fn epoch_key(&self) -> String {
        format!("{}:epoch", self.prefix)
    }

    /// Whether Redis answered the last command.
    pub fn up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// The shared epoch, while the instance is in the shared mode.
    pub fn epoch(&self) -> Option<Arc<str>> {
        self.epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_epoch(&self, epoch: Option<Arc<str>>) {
        *self
            .epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = epoch;
    }

    /// Whether positions of `epoch` are positions of the shared logs now.
    pub fn serves(&self, epoch: &str) -> bool {
        self.epoch().is_some_and(|e| &*e == epoch)
    }

    /// Tells the shared mode that this instance's viewers watch ids nobody here watched.
    pub fn watch_added(&self) {
        self.watched.notify_one();
    }

    pub(crate) fn config(&self, block: Duration) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout.saturating_add(block)))
    }

    pub(crate) async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        let mut conn = self.conn.lock().await;
        if let Some(c) = &*conn {
            return Ok(c.clone());
        }
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config(Duration::ZERO))
            .await?;
        *conn = Some(c.clone());
        Ok(c)
    }

    /// Notes how a command went; a connection that failed is made again next time.
    pub(crate) async fn noted<T>(&self, result: RedisResult<T>) -> RedisResult<T> {
        match &result {
            Ok(_) => self.up.store(true, Ordering::Relaxed),
            Err(e) => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                if e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                {
                    self.up.store(false, Ordering::Relaxed);
                    *self.conn.lock().await = None;
                }
            }
        }
        result
    }

    pub(crate) async fn cmd<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> RedisResult<T> {
        let result = match self.connection().await {
            Ok(mut c) => cmd.query_async(&mut c).await,
            Err(e) => Err(e),
        };
        self.noted(result).await
    }

    pub(crate) async fn script<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[String],
        args: &[&str],
    ) -> RedisResult<T> {
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(k);
        }
        for a in args {
            invocation.arg(*a);
        }
        let result = match self.connection().await {
            Ok(mut c) => invocation.invoke_async(&mut c).await,
            Err(e) => Err(e),
        };
        self.noted(result).await
    }

    /// The changes of `source` after `from` that concern `ids` (of `new`, only those after
    /// `new_head`, the head of their snapshot), and the log's last position; `None` when the
    /// log no longer holds them all (or Redis does not answer).
    pub async fn replay(
        &self,
        source: usize,
        from: u64,
        ids: &[&UserId],
        new: &[&UserId],
        new_head: u64,
    ) -> Option<(Vec<(u64, Arc<str>)>, u64)> {
        let log = self.key(source, "log");
        let start = format!("{}-0", from.checked_add(1)?);
        let entries: Vec<(u64, Entry)> = self
            .cmd::<Value>(
                redis::cmd("XRANGE")
                    .arg(&log)
                    .arg(&start)
                    .arg("+")
                    .arg("COUNT")
                    .arg(self.log_len.max(1)),
            )
            .await
            .ok()
            .map(|v| read_range(&v))?;
        let Some((first, _)) = entries.first() else {
            // Nothing after `from`: a resume from the log's end, or from past it.
            let last: Value = self
                .cmd(
                    redis::cmd("XREVRANGE")
                        .arg(&log)
                        .arg("+")
                        .arg("-")
                        .arg("COUNT")
                        .arg(1),
                )
                .await
                .ok()?;
            let head = read_range(&last).first().map_or(0, |(pos, _)| *pos);
            return (head == from).then(|| (Vec::new(), from));
        };
        if *first != from.saturating_add(1) {
            return None;
        }
        let wanted: HashSet<&UserId> = ids.iter().copied().collect();
        let late: HashSet<&UserId> = new.iter().copied().collect();
        let head = entries.last().map_or(from, |(pos, _)| *pos);
        let missed = entries
            .into_iter()
            .filter_map(|(pos, entry)| match entry {
                Entry::Presence(id, data)
                    if wanted.contains(&id) && (!late.contains(&id) || pos > new_head) =>
                {
                    Some((pos, data))
                }
                _ => None,
            })
            .collect();
        Some((missed, head))
    }
}

/// Reads `XRANGE`'s answer: position and entry, leaving out what it cannot read.
pub(crate) fn read_range(value: &Value) -> Vec<(u64, Entry)> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Array(pair) = item else {
                return None;
            };
            let mut pair = pair.iter();
            let id = text(pair.next()?)?;
            let Value::Array(fields) = pair.next()? else {
                return None;
            };
            let mut map = HashMap::new();
            let mut fields = fields.iter();
            while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
                map.insert(text(k)?, v.clone());
            }
            Some((position(&id)?, read_entry(&map)?))
        })
        .collect()
}

pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// The position of a log entry id `{position}-0`.
pub(crate) fn position(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}

pub(crate) fn read_entry(map: &HashMap<String, Value>) -> Option<Entry> {
    let field = |name: &str| map.get(name).and_then(text);
    let user = field("u").filter(|u| !u.is_empty()).map(UserId::new);
    let data = field("d").map(Arc::<str>::from);
    match field("k")?.as_str() {
        "p" => Some(Entry::Presence(user?, data?)),
        "s" => Some(Entry::State(data?)),
        "f" => Some(Entry::Forget(user?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_entries_read_back() {
        let map = |pairs: &[(&str, &str)]| -> HashMap<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::BulkString(v.as_bytes().to_vec())))
                .collect()
        };
        assert_eq!(
            read_entry(&map(&[("k", "p"), ("u", "a"), ("d", "{}")])),
            Some(Entry::Presence(UserId::new("a"), Arc::from("{}")))
        );
        assert_eq!(
            read_entry(&map(&[("k", "f"), ("u", "a"), ("d", "")])),
            Some(Entry::Forget(UserId::new("a")))
        );
        assert_eq!(read_entry(&map(&[("k", "p"), ("d", "{}")])), None);
        assert_eq!(read_entry(&map(&[("k", "x")])), None);
        assert_eq!(position("1042-0"), Some(1042));
        assert_eq!(position("x-0"), None);
        assert_eq!(position("1042"), None);
    }
}
