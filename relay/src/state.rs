//! The relay's state, which every request handler and task reads: its sources, the hub, the
//! viewers' verifier, the streams' limits, the counters and the shared mode; and the epochs
//! (and lease tokens) it makes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use presence_widgets::core::UserId;
use tokio::sync::watch;

use crate::auth::Verifier;
use crate::hub::Hub;
use crate::shared_log::Shared;
use crate::upstream::{now_ms, Source};

/// The limits a stream is held to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most ids one watch names.
    pub max_ids: usize,
    /// How long ids stay read after their last viewer leaves.
    pub linger: Duration,
    /// The most streams open on this instance.
    pub max_streams: u64,
    /// The most streams one viewer keeps open here.
    pub max_streams_per_viewer: u64,
    /// How long a request's body may take to come.
    pub body_timeout: Duration,
}

/// The streams each viewer has open on this instance, by its `sub`.
#[derive(Debug, Default)]
pub struct Viewers(Mutex<HashMap<String, u64>>);

impl Viewers {
    /// Counts one more stream of `key`, unless it has `max` open already.
    pub fn take(self: &Arc<Self>, key: &str, max: u64) -> Option<ViewerSlot> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key.to_owned()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ViewerSlot {
            viewers: self.clone(),
            key: key.to_owned(),
        })
    }

    /// How many viewers have a stream open.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no viewer has a stream open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One stream of a viewer, counted until it is dropped.
#[derive(Debug)]
pub struct ViewerSlot {
    viewers: Arc<Viewers>,
    key: String,
}

impl Drop for ViewerSlot {
    fn drop(&mut self) {
        let mut open = self
            .viewers
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Counters of the whole relay, for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Streams open now.
    pub viewers: AtomicU64,
    /// Streams opened since the start.
    pub streams: AtomicU64,
    /// Streams dropped for reading too slowly.
    pub dropped: AtomicU64,
    /// Events written to streams, and their total and largest lag from publishing, in µs.
    pub lag_count: AtomicU64,
    /// The sum of the lags, in microseconds.
    pub lag_sum_us: AtomicU64,
    /// The largest lag, in microseconds.
    pub lag_max_us: AtomicU64,
    /// Streams refused because the instance held `max_streams`.
    pub refused_full: AtomicU64,
    /// Streams refused because their viewer held `max_streams_per_viewer`.
    pub refused_viewer: AtomicU64,
    /// Requests whose body did not come within `body_timeout_ms`.
    pub body_timeouts: AtomicU64,
}

impl Metrics {
    /// Records one event's fan-out lag.
    pub fn lag(&self, lag: Duration) {
        let us = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.lag_count.fetch_add(1, Ordering::Relaxed);
        self.lag_sum_us.fetch_add(us, Ordering::Relaxed);
        self.lag_max_us.fetch_max(us, Ordering::Relaxed);
    }
}

/// Everything a request handler reads.
#[derive(Debug)]
pub struct Relay {
    /// The sources, by hub index.
    pub sources: Vec<Arc<Source>>,
    /// Source name → index.
    pub names: HashMap<String, usize>,
    /// The hub.
    pub hub: Arc<Hub>,
    /// Checks viewers.
    pub verifier: Verifier,
    /// Stream limits.
    pub limits: Limits,
    /// The counters.
    pub metrics: Metrics,
    /// Turns true at shutdown.
    pub shutdown: watch::Receiver<bool>,
    /// The streams each viewer has open.
    pub viewers_open: Arc<Viewers>,
    /// The shared mode, when the configuration has `[redis]`.
    pub shared: Option<Arc<Shared>>,
}

impl Relay {
    /// One more viewer watches these ids: the first viewer of an id wakes its source's reader.
    /// Returns each source's slots for the ids (sorted), or `None` when a source knows as many
    /// people as it may (the ids are watched all the same: the stream's end lets go of them).
    ///
    /// Each id's slot is made under the reader's lock, with its subscription: the reader
    /// publishes only ids it watches, so its first answer for an id always finds the
    /// slot (were the slot made after, an answer faster than that would be lost, and with it
    /// the person's presence until it changed).
    pub fn watch(&self, ids: &[(usize, Vec<UserId>)]) -> Option<Vec<(usize, Vec<u32>)>> {
        let mut all = Some(Vec::with_capacity(ids.len()));
        for (index, ids) in ids {
            let Some(source) = self.sources.get(*index) else {
                continue;
            };
            let mut first = false;
            let mut slots = Vec::with_capacity(ids.len());
            {
                let mut reader = source.reader();
                for id in ids {
                    first |= reader.watch(id);
                    match self.hub.slot(*index, id) {
                        Some(slot) => slots.push(slot),
                        None => all = None,
                    }
                }
            }
            slots.sort_unstable();
            if let Some(all) = all.as_mut() {
                all.push((*index, slots));
            }
            if first {
                source.wake.notify_one();
                if let Some(shared) = &self.shared {
                    shared.watch_added();
                }
            }
        }
        all
    }

    /// One viewer fewer watches these ids: those nobody watches any more are no longer read
    /// (nor pushed: the reader is woken to tell its push session).
    pub fn unwatch(&self, ids: &[(usize, Vec<UserId>)]) {
        for (index, ids) in ids {
            let Some(source) = self.sources.get(*index) else {
                continue;
            };
            let mut last = Vec::new();
            {
                let mut reader = source.reader();
                for id in ids {
                    if reader.unwatch(id) {
                        last.push(id.clone());
                    }
                }
                // Let go of where this instance reads the source (in the shared mode, the log
                // tells every instance), under the reader's lock: a viewer coming for the
                // same id meanwhile makes its slot again after this, not before.
                for id in &last {
                    source.forget(id);
                }
            }
            if !last.is_empty() {
                source.wake.notify_one();
            }
        }
    }
}

/// A new random epoch (or lease token): the time and a random part, in base 36.
pub(crate) fn epoch() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{}{}", base36(now_ms()), base36(random % 1_000_000))
}

fn base36(mut n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        let d = usize::try_from(n % 36).unwrap_or(0);
        out.push(digits.get(d).copied().unwrap_or(b'0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
