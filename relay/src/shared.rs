//! The shared mode: several instances behind a load balancer, one upstream reader per source
//! among them, coordinated in Redis (`[redis]` in the configuration).
//!
//! - **Leases**: `{prefix}:src:{name}:lease` holds the token of the instance that reads the
//!   source, set if absent with an expiry (`lease_ms`), renewed every third of it, deleted at
//!   shutdown. The others try again every `retry_ms`, so a holder that dies is replaced within
//!   `lease_ms + retry_ms`.
//! - **Fencing in Redis**: a change is appended by a script that checks, in the same step, that
//!   the lease still holds the reader's token and that the shared epoch is the reader's; a reader
//!   that lost its lease cannot publish, whatever it believes.
//! - **The union of what viewers watch**: `…:watch`, a sorted set of ids scored by deadline; each
//!   instance refreshes the ids its own viewers watch, and adds new ones at once (bumping
//!   `…:watch:v`); the reader reads exactly the ids whose deadline has not passed.
//! - **The change log**: `…:log`, a Redis Stream capped at about `log_len` entries, with ids
//!   `{position}-0`: positions 1, 2, 3… under the shared epoch (`{prefix}:epoch`, made by the
//!   first instance, made again if Redis loses its data). `…:now` (each person's current entry)
//!   and `…:state` are written by the same script, so a starting instance loads the present and
//!   the position it belongs to in one step. Every instance fans out from the log to its own
//!   streams, and resumes a page from it when its own history does not reach back far enough.
//! - **Degraded, not down**: when Redis does not answer, each instance reads every source itself
//!   (the rate budget split by `instances`), under an epoch of its own, until Redis answers
//!   again; `/healthz` and `/metrics` say so.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use presence_widgets::core::UserId;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadReply;
use redis::RedisResult;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::hub::Start;
use crate::shared_log::{position, read_entry, SCRIPTS};
pub use crate::shared_log::{Counters, Entry, Shared};
use crate::state::Relay;
use crate::upstream::{now_ms, Publisher, Sink, Source, Upstream};

/// Why a shared phase ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Shutdown,
    Unreachable,
    Epoch,
}

/// Drives the shared mode until `shutdown`: the shared phase while Redis answers, the degraded
/// one while it does not.
pub async fn run(
    relay: Arc<Relay>,
    shared: Arc<Shared>,
    upstream: Upstream,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match enter(&relay, &shared).await {
            Ok(epoch) => {
                tracing::info!(epoch = %epoch, "shared mode: reading through Redis");
                match phase(&relay, &shared, &upstream, &epoch, &shutdown).await {
                    End::Shutdown => return,
                    End::Epoch => {
                        tracing::warn!(
                            "the shared epoch changed (Redis lost its data?): loading again"
                        );
                        continue;
                    }
                    End::Unreachable => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis does not answer");
            }
        }
        if degraded(&relay, &shared, &upstream, &mut shutdown).await {
            return;
        }
    }
}

/// Joins the shared mode: the epoch (made if there is none), then each source's present and
/// the position it belongs to, which the hub switches to.
async fn enter(relay: &Relay, shared: &Shared) -> RedisResult<Arc<str>> {
    let fresh = crate::state::epoch();
    let epoch: String = shared
        .script(&SCRIPTS.epoch, &[shared.epoch_key()], &[&fresh])
        .await?;
    let mut starts = Vec::with_capacity(shared.names.len());
    for index in 0..shared.names.len() {
        let keys = [
            shared.key(index, "log"),
            shared.key(index, "state"),
            shared.key(index, "now"),
        ];
        let (last, state, now): (String, String, Vec<String>) =
            shared.script(&SCRIPTS.load, &keys, &[]).await?;
        let mut entries = Vec::with_capacity(now.len() / 2);
        let mut pairs = now.into_iter();
        while let (Some(user), Some(data)) = (pairs.next(), pairs.next()) {
            entries.push((UserId::new(user), Arc::<str>::from(data)));
        }
        starts.push(Some(Start {
            head: position(&last).unwrap_or(0),
            entries: Some(entries),
            state: (!state.is_empty()).then(|| Arc::from(state)),
        }));
    }
    let epoch: Arc<str> = Arc::from(epoch);
    relay.hub.switch(&epoch, starts);
    shared.set_epoch(Some(epoch.clone()));
    Ok(epoch)
}

/// The shared phase: the consumer of the logs, the refresh of this instance's ids, and a lease
/// keeper per source, until Redis stops answering, the epoch changes, or shutdown.
async fn phase(
    relay: &Arc<Relay>,
    shared: &Arc<Shared>,
    upstream: &Upstream,
    epoch: &Arc<str>,
    shutdown: &watch::Receiver<bool>,
) -> End {
    let (stop, stopped) = watch::channel(false);
    let mut tasks: JoinSet<End> = JoinSet::new();
    let heads: Vec<u64> = (0..shared.names.len()).map(|i| relay.hub.head(i)).collect();
    tasks.spawn(consume(
        relay.clone(),
        shared.clone(),
        heads,
        stopped.clone(),
    ));
    tasks.spawn(refresh(
        relay.clone(),
        shared.clone(),
        epoch.clone(),
        stopped.clone(),
    ));
    for source in &relay.sources {
        tasks.spawn(keep_lease(
            relay.clone(),
            shared.clone(),
            upstream.clone(),
            source.clone(),
            epoch.clone(),
            stopped.clone(),
        ));
    }
    let mut until = shutdown.clone();
    let end = tokio::select! {
        _ = until.wait_for(|s| *s) => End::Shutdown,
        Some(end) = tasks.join_next() => end.unwrap_or(End::Unreachable),
    };
    shared.set_epoch(None);
    let _ = stop.send(true);
    // Each task ends at once on `stop` (the lease keepers let go of their leases at
    // shutdown); one that does not within the timeout is ended.
    let _ = tokio::time::timeout(shared.timeout.saturating_mul(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    end
}

/// Reads every source's log from `heads` on into the hub, on a connection of its own (its
/// reads block), reconnecting after a failure; the phase ends elsewhere when Redis is gone.
async fn consume(
    relay: Arc<Relay>,
    shared: Arc<Shared>,
    mut heads: Vec<u64>,
    mut stop: watch::Receiver<bool>,
) -> End {
    let keys: Vec<String> = (0..shared.names.len())
        .map(|i| shared.key(i, "log"))
        .collect();
    let index: HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let block = Duration::from_millis(1000);
    let mut conn: Option<MultiplexedConnection> = None;
    loop {
        if *stop.borrow() {
            return End::Shutdown;
        }
        if conn.is_none() {
            let config = shared.config(block);
            let made = tokio::select! {
                c = shared.client.get_multiplexed_async_connection_with_config(&config) => c,
                _ = stop.changed() => return End::Shutdown,
            };
            match made {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(shared.retry_ms.min(500))) => {}
                        _ = stop.changed() => return End::Shutdown,
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(1000)
            .arg("BLOCK")
            .arg(u64::try_from(block.as_millis()).unwrap_or(1000))
            .arg("STREAMS")
            .arg(&keys);
        for head in &heads {
            cmd.arg(format!("{head}-0"));
        }
        let read: RedisResult<Option<StreamReadReply>> = tokio::select! {
            r = cmd.query_async(c) => r,
            _ = stop.changed() => return End::Shutdown,
        };
        match read {
            Ok(Some(reply)) => {
                for key in reply.keys {
                    let Some(&source) = index.get(key.key.as_str()) else {
                        continue;
                    };
                    for item in key.ids {
                        let (Some(pos), Some(entry)) = (position(&item.id), read_entry(&item.map))
                        else {
                            tracing::warn!(id = %item.id, "a change log entry that cannot be read: passed");
                            continue;
                        };
                        if let Some(h) = heads.get_mut(source) {
                            *h = (*h).max(pos);
                        }
                        shared.counters.consumed.fetch_add(1, Ordering::Relaxed);
                        apply(&relay, source, pos, entry);
                    }
                }
            }
            Ok(None) => {}
            Err(_) => {
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
            }
        }
    }
}

/// Applies one log entry to this instance's hub.
fn apply(relay: &Relay, source: usize, pos: u64, entry: Entry) {
    match entry {
        Entry::Presence(id, data) => relay.hub.publish_at(source, pos, &id, data),
        Entry::State(data) => relay.hub.other_at(source, pos, Some(data), None),
        Entry::Forget(id) => {
            // Still watched here (the union lags a moment behind): kept.
            let watched_here = relay
                .sources
                .get(source)
                .is_some_and(|s| s.reader().registry().subscribers(&id) > 0);
            let forget = (!watched_here).then_some(&id);
            relay.hub.other_at(source, pos, None, forget);
        }
    }
}

/// Keeps this instance's ids in every source's union (at once for new ones, every
/// `retry_ms` for all), and checks that Redis answers and the epoch holds.
async fn refresh(
    relay: Arc<Relay>,
    shared: Arc<Shared>,
    epoch: Arc<str>,
    mut stop: watch::Receiver<bool>,
) -> End {
    let every = Duration::from_millis(shared.retry_ms.clamp(100, 1000));
    // An id's deadline: three refreshes and a lease away, so that a reader taking over in
    // the meantime still finds it.
    let ttl = every
        .saturating_mul(3)
        .saturating_add(Duration::from_millis(shared.lease_ms));
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    let mut failures = 0u32;
    let mut known: Vec<HashSet<UserId>> = vec![HashSet::new(); relay.sources.len()];
    let mut last_full = tokio::time::Instant::now();
    loop {
        let full = last_full.elapsed() >= every;
        let ok = async {
            let current: Option<String> = shared
                .cmd(redis::cmd("GET").arg(shared.epoch_key()))
                .await?;
            if current.as_deref() != Some(&*epoch) {
                return Ok(false);
            }
            let deadline = now_ms().saturating_add(ttl_ms);
            for source in &relay.sources {
                let ids = source.local_ids();
                let seen = known.get_mut(source.index);
                let new: Vec<&UserId> = match &seen {
                    Some(seen) => ids.iter().filter(|id| !seen.contains(*id)).collect(),
                    None => Vec::new(),
                };
                let send: Vec<&UserId> = if full {
                    ids.iter().collect()
                } else {
                    new.clone()
                };
                let key = shared.key(source.index, "watch");
                for chunk in send.chunks(1000) {
                    let mut cmd = redis::cmd("ZADD");
                    cmd.arg(&key).arg("GT");
                    for id in chunk {
                        cmd.arg(deadline).arg(id.as_str());
                    }
                    shared.cmd::<i64>(&cmd).await?;
                }
                if !new.is_empty() {
                    shared
                        .cmd::<i64>(redis::cmd("INCR").arg(shared.key(source.index, "watch:v")))
                        .await?;
                }
                if let Some(seen) = seen {
                    *seen = ids.into_iter().collect();
                }
            }
            Ok::<bool, redis::RedisError>(true)
        }
        .await;
        if full {
            last_full = tokio::time::Instant::now();
        }
        match ok {
            Ok(true) => failures = 0,
            Ok(false) => return End::Epoch,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::debug!(error = %e, failures, "Redis refresh failed");
                // Twice in a row (a connection is made again once): Redis is gone.
                if failures >= 2 {
                    return End::Unreachable;
                }
                continue;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every.saturating_sub(last_full.elapsed())) => {}
            () = shared.watched.notified() => {}
            _ = stop.changed() => return End::Shutdown,
        }
    }
}

/// Contends for `source`'s lease; while this instance holds it, reads the source.
async fn keep_lease(
    relay: Arc<Relay>,
    shared: Arc<Shared>,
    upstream: Upstream,
    source: Arc<Source>,
    epoch: Arc<str>,
    mut stop: watch::Receiver<bool>,
) -> End {
    let lease_key = shared.key(source.index, "lease");
    let token = crate::state::epoch();
    let lease_ms = shared.lease_ms.to_string();
    let mut term: Option<Term> = None;
    loop {
        let held: RedisResult<i64> = shared
            .script(
                &SCRIPTS.acquire,
                &[lease_key.clone(), shared.epoch_key()],
                &[&token, &lease_ms, &epoch],
            )
            .await;
        match held {
            Ok(1) => {
                if term.as_ref().is_some_and(Term::lost) {
                    // Refused an append (the lease lapsed and came back): start afresh.
                    term = None;
                }
                if term.is_none() {
                    match Term::start(&shared, &upstream, &source, &token, &epoch).await {
                        Ok(t) => {
                            shared.counters.acquired.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(source = %source.name, "lease taken: reading for every instance");
                            term = Some(t);
                        }
                        Err(e) => {
                            tracing::warn!(source = %source.name, error = %e, "cannot start reading")
                        }
                    }
                }
            }
            Ok(-2) => return End::Epoch,
            Ok(_) => {
                if let Some(t) = term.take() {
                    tracing::warn!(source = %source.name, "lease lost: another instance reads");
                    t.end().await;
                }
            }
            Err(_) => {
                // Not renewed: when it cannot have been for the lease's time, another may
                // hold it, so this reader stops (its appends would be refused anyway).
                if term
                    .as_ref()
                    .is_some_and(|t| t.renewed.elapsed() >= Duration::from_millis(shared.lease_ms))
                {
                    if let Some(t) = term.take() {
                        t.end().await;
                    }
                }
            }
        }
        if let (Ok(1), Some(t)) = (&held, &mut term) {
            t.renewed = tokio::time::Instant::now();
        }
        let wait = if term.is_some() {
            shared.lease_ms / 3
        } else {
            shared.retry_ms
        };
        let lost = async {
            match &term {
                Some(t) => {
                    let mut l = t.lost_rx.clone();
                    let _ = l.wait_for(|x| *x).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait.max(10))) => {}
            () = lost => {
                if let Some(t) = term.take() {
                    tracing::warn!(source = %source.name, "an append was refused: the lease is not ours");
                    t.end().await;
                }
            }
            _ = stop.changed() => {
                if let Some(t) = term.take() {
                    t.end().await;
                }
                if *relay.shutdown.borrow() {
                    let _: RedisResult<i64> = shared
                        .script(&SCRIPTS.release, std::slice::from_ref(&lease_key), &[&token])
                        .await;
                }
                return End::Shutdown;
            }
        }
    }
}

/// One tenure of a lease: the reader, its publisher and the union it reads.
struct Term {
    lost_rx: watch::Receiver<bool>,
    lost_tx: watch::Sender<bool>,
    tasks: JoinSet<()>,
    renewed: tokio::time::Instant,
    source: Arc<Source>,
}

impl Term {
    async fn start(
        shared: &Arc<Shared>,
        upstream: &Upstream,
        source: &Arc<Source>,
        token: &str,
        epoch: &Arc<str>,
    ) -> RedisResult<Self> {
        // What the log says each person is now: only what differs is appended.
        let now: Vec<String> = shared
            .cmd(redis::cmd("HGETALL").arg(shared.key(source.index, "now")))
            .await?;
        let mut published = HashMap::with_capacity(now.len() / 2);
        let mut pairs = now.into_iter();
        while let (Some(user), Some(data)) = (pairs.next(), pairs.next()) {
            published.insert(UserId::new(user), Arc::<str>::from(data));
        }
        let state: Option<String> = shared
            .cmd(redis::cmd("GET").arg(shared.key(source.index, "state")))
            .await?;
        let (lost_tx, lost_rx) = watch::channel(false);
        let (out, queue) = mpsc::unbounded_channel();
        let publisher = Arc::new(Publisher::new(out, published, state.map(Arc::from)));
        let mut tasks = JoinSet::new();
        tasks.spawn(append(
            shared.clone(),
            source.index,
            token.to_owned(),
            epoch.to_string(),
            queue,
            lost_tx.clone(),
        ));
        tasks.spawn(union(
            shared.clone(),
            source.clone(),
            publisher.clone(),
            lost_rx.clone(),
        ));
        tasks.spawn(crate::upstream::run(
            source.clone(),
            upstream.clone(),
            Sink::Shared(publisher),
            lost_rx.clone(),
        ));
        Ok(Self {
            lost_rx,
            lost_tx,
            tasks,
            renewed: tokio::time::Instant::now(),
            source: source.clone(),
        })
    }

    fn lost(&self) -> bool {
        *self.lost_rx.borrow()
    }

    /// Stops the reader and lets go of the union (another instance reads it now).
    async fn end(mut self) {
        let _ = self.lost_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
        self.source.set_remote(HashSet::new());
        self.source.set_sink(None);
    }
}

/// Appends what the publisher queues, in batches, fenced by the lease; a refusal ends the term.
async fn append(
    shared: Arc<Shared>,
    source: usize,
    token: String,
    epoch: String,
    mut queue: mpsc::UnboundedReceiver<Entry>,
    lost: watch::Sender<bool>,
) {
    let keys = [
        shared.key(source, "lease"),
        shared.epoch_key(),
        shared.key(source, "log"),
        shared.key(source, "now"),
        shared.key(source, "state"),
    ];
    let maxlen = shared.log_len.max(1).to_string();
    let script = &SCRIPTS.publish;
    let mut stop = lost.subscribe();
    loop {
        let first = tokio::select! {
            e = queue.recv() => e,
            _ = stop.wait_for(|x| *x) => return,
        };
        let Some(first) = first else { return };
        let mut batch = vec![first];
        while batch.len() < 256 {
            match queue.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let mut args: Vec<&str> = vec![&token, &epoch, &maxlen];
        for entry in &batch {
            match entry {
                Entry::Presence(id, data) => args.extend(["p", id.as_str(), data]),
                Entry::State(data) => args.extend(["s", "", data]),
                Entry::Forget(id) => args.extend(["f", id.as_str(), ""]),
            }
        }
        // A Redis that does not answer: tried again until the lease would have lapsed.
        let started = tokio::time::Instant::now();
        loop {
            match shared.script::<i64>(script, &keys, &args).await {
                Ok(pos) if pos >= 0 => {
                    let n = u64::try_from(batch.len()).unwrap_or(u64::MAX);
                    shared.counters.appended.fetch_add(n, Ordering::Relaxed);
                    break;
                }
                Ok(_) => {
                    shared.counters.refused.fetch_add(1, Ordering::Relaxed);
                    let _ = lost.send(true);
                    return;
                }
                Err(e) => {
                    if started.elapsed() >= Duration::from_millis(shared.lease_ms) {
                        tracing::warn!(error = %e, "cannot append to the change log");
                        let _ = lost.send(true);
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = stop.wait_for(|x| *x) => return,
                    }
                }
            }
        }
    }
}

/// While the term lasts, keeps the ids read the union of what every instance's viewers watch:
/// at once when an instance adds some (`…:watch:v` moves), and every `retry_ms` for those
/// whose deadline passed, which are forgotten.
async fn union(
    shared: Arc<Shared>,
    source: Arc<Source>,
    publisher: Arc<Publisher>,
    mut lost: watch::Receiver<bool>,
) {
    let key = shared.key(source.index, "watch");
    let version_key = shared.key(source.index, "watch:v");
    let every = Duration::from_millis(shared.retry_ms.clamp(100, 1000));
    let mut version: Option<String> = None;
    let mut last_full: Option<tokio::time::Instant> = None;
    loop {
        let v: RedisResult<Option<String>> = shared.cmd(redis::cmd("GET").arg(&version_key)).await;
        let due = last_full.is_none_or(|at| at.elapsed() >= every);
        if let Ok(v) = v {
            if due || v != version {
                let now = now_ms().to_string();
                let ids: RedisResult<Vec<String>> = shared
                    .script(&SCRIPTS.union, std::slice::from_ref(&key), &[&now])
                    .await;
                if let Ok(ids) = ids {
                    version = v;
                    last_full = Some(tokio::time::Instant::now());
                    let union: HashSet<UserId> = ids.into_iter().map(UserId::new).collect();
                    for id in source.set_remote(union) {
                        publisher.forget(&id);
                    }
                    // And those that left the union before it was read here, once nobody
                    // on this instance watches them either.
                    let reader = source.reader();
                    publisher.forget_all(|id| reader.registry().subscribers(id) == 0);
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = lost.wait_for(|x| *x) => return,
        }
    }
}

/// The degraded phase: every source read by this instance, under an epoch of its own, the
/// budget split by `instances`, until Redis answers again. True at shutdown.
async fn degraded(
    relay: &Arc<Relay>,
    shared: &Arc<Shared>,
    upstream: &Upstream,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    shared.set_epoch(None);
    shared.up.store(false, Ordering::Relaxed);
    shared.counters.degraded.fetch_add(1, Ordering::Relaxed);
    let own = crate::state::epoch();
    tracing::warn!(
        instances = shared.instances,
        "degraded mode: Redis does not answer, so this instance reads every source itself"
    );
    relay.hub.switch(&own, Vec::new());
    let (stop, stopped) = watch::channel(false);
    let mut readers = JoinSet::new();
    for source in &relay.sources {
        source.set_divisor(shared.instances);
        readers.spawn(crate::upstream::run(
            source.clone(),
            upstream.clone(),
            Sink::Local(relay.hub.clone()),
            stopped.clone(),
        ));
    }
    let at_shutdown = loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(shared.retry_ms)) => {}
            _ = shutdown.wait_for(|s| *s) => break true,
        }
        let pong: RedisResult<String> = shared.cmd(&redis::cmd("PING")).await;
        if pong.is_ok() {
            break false;
        }
    };
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while readers.join_next().await.is_some() {}
    })
    .await;
    readers.abort_all();
    for source in &relay.sources {
        source.set_divisor(1);
        source.set_sink(None);
    }
    if !at_shutdown {
        tracing::info!("Redis answers again: back to the shared mode");
    }
    at_shutdown
}
