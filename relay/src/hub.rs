//! What every viewer reads: per source, the current entry of each person known, the last changes
//! (for viewers resuming from an event id) and the source's state; and one broadcast of every
//! change to every stream, each stream keeping what it watches.
//!
//! Positions: each source numbers its changes from the relay's start time in milliseconds since
//! the Unix epoch; event ids also carry the relay's epoch (`@=…`, random at each start), so that a
//! position from before a restart, or from another relay, gets a fresh snapshot instead of the
//! wrong changes. In the shared mode (`shared.rs`) the positions are the entry ids of the change
//! log in Redis and the epoch is the one every instance reads from Redis, so both mean the same
//! on every instance; [`Hub::switch`] moves the hub from one numbering to the other without
//! ending a stream.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use presence_widgets::core::{PresenceError, State, UserId};
use serde_json::{json, Map, Value};
use tokio::sync::broadcast;

/// One change, sent to every stream.
#[derive(Debug)]
pub struct Fanout {
    /// The source's index in the hub.
    pub source: usize,
    /// What it is.
    pub kind: Kind,
    /// The event's data, JSON.
    pub data: Arc<str>,
    /// When it was published, for the fan-out lag.
    pub at: Instant,
}

/// What a [`Fanout`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One person's entry changed: their slot, and the source's position after the change.
    Presence {
        /// The person's slot in the source.
        slot: u32,
        /// The source's position after this change.
        pos: u64,
    },
    /// The source's state (mode, staleness, reason) changed.
    State,
    /// Every source's positions start again under a new epoch (the relay went to or from the
    /// shared mode): each stream takes the new heads and the entries that changed meanwhile.
    Switch(Arc<Switch>),
}

/// Entries by slot.
pub type Entries = Vec<(u32, Arc<str>)>;

/// A new numbering of positions: the epoch, and per source (by index) the head and the
/// entries that differ from what the hub held (slot, data).
#[derive(Debug, PartialEq, Eq)]
pub struct Switch {
    /// The new epoch.
    pub epoch: Arc<str>,
    /// Per source: its head under the new epoch, and the entries that changed.
    pub sources: Vec<(u64, Entries)>,
}

/// What a source's new numbering starts from ([`Hub::switch`]).
#[derive(Debug, Default)]
pub struct Start {
    /// The head (the position of the last change).
    pub head: u64,
    /// Each person's current entry (those left out keep what the hub has).
    pub entries: Option<Vec<(UserId, Arc<str>)>>,
    /// The source's state event data, when known.
    pub state: Option<Arc<str>>,
}

/// The slot of the entries of a log that concern nobody's presence (a state, a person
/// forgotten): kept in the history so that it stays contiguous, matched by no stream.
pub const NO_SLOT: u32 = u32::MAX;

/// One source's log.
#[derive(Debug)]
struct Log {
    name: Arc<str>,
    /// The position of the last change.
    head: u64,
    /// The last changes: position, slot, data.
    recent: VecDeque<(u64, u32, Arc<str>)>,
    history: usize,
    slots: HashMap<UserId, u32>,
    ids: Vec<Option<UserId>>,
    /// Slots of people forgotten, for the next ones.
    free: Vec<u32>,
    max_known: usize,
    /// The current entry of each slot, where the relay has one.
    current: Vec<Option<Arc<str>>>,
    /// The source's state event data.
    state: Arc<str>,
}

impl Log {
    /// The slot of `id`, made if new; `None` once the log knows `max_known` people.
    fn slot(&mut self, id: &UserId) -> Option<u32> {
        if let Some(slot) = self.slots.get(id) {
            return Some(*slot);
        }
        if let Some(slot) = self.free.pop() {
            // A forgotten person's slot. A change of theirs still in the broadcast or the
            // history names them in its data, so a page watching the new person ignores it.
            let i = usize::try_from(slot).ok()?;
            if let Some(entry) = self.ids.get_mut(i) {
                *entry = Some(id.clone());
            }
            self.slots.insert(id.clone(), slot);
            return Some(slot);
        }
        if self.ids.len() >= self.max_known {
            return None;
        }
        let slot = u32::try_from(self.ids.len())
            .ok()
            .filter(|s| *s != NO_SLOT)?;
        self.slots.insert(id.clone(), slot);
        self.ids.push(Some(id.clone()));
        self.current.push(None);
        Some(slot)
    }

    /// Moves the head to `pos` for an entry no stream receives, kept in the history so that
    /// a resume across it still replays.
    fn pass(&mut self, pos: u64) {
        self.head = pos;
        self.recent.push_back((pos, NO_SLOT, Arc::from("")));
        while self.recent.len() > self.history {
            self.recent.pop_front();
        }
    }

    fn forget(&mut self, id: &UserId) {
        if let Some(slot) = self.slots.remove(id) {
            let i = usize::try_from(slot).ok();
            if let Some(c) = i.and_then(|s| self.current.get_mut(s)) {
                *c = None;
            }
            if let Some(entry) = i.and_then(|s| self.ids.get_mut(s)) {
                *entry = None;
            }
            self.free.push(slot);
        }
    }
}

/// Where a resuming viewer continues in one source.
#[derive(Debug, PartialEq)]
pub enum Resume {
    /// The changes after the viewer's position that concern it (each with its position), and
    /// the head.
    Replay(Vec<(u64, Arc<str>)>, u64),
    /// Too old (or from another relay): a snapshot.
    Snapshot,
}

/// Every source's log, and the broadcast.
#[derive(Debug)]
pub struct Hub {
    logs: Vec<Mutex<Log>>,
    tx: broadcast::Sender<Arc<Fanout>>,
    epoch: Mutex<Arc<str>>,
}

impl Hub {
    /// A hub for these sources (by name, in order), keeping `history` changes each, at most
    /// `max_known` people each, a stream falling at most `buffer` events behind; positions
    /// start after `start`; event ids carry `epoch`.
    pub fn new(
        names: &[String],
        history: usize,
        max_known: usize,
        buffer: usize,
        start: u64,
        epoch: String,
    ) -> Self {
        let (tx, _) = broadcast::channel(buffer.max(1));
        let logs = names
            .iter()
            .map(|name| {
                let name: Arc<str> = Arc::from(name.as_str());
                let state = state_json(&name, "poll", false, None).into();
                Mutex::new(Log {
                    name,
                    head: start,
                    recent: VecDeque::new(),
                    history,
                    slots: HashMap::new(),
                    ids: Vec::new(),
                    free: Vec::new(),
                    max_known,
                    current: Vec::new(),
                    state,
                })
            })
            .collect();
        Self {
            logs,
            tx,
            epoch: Mutex::new(epoch.into()),
        }
    }

    /// This relay's epoch now, in every event id.
    pub fn epoch(&self) -> Arc<str> {
        self.epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Starts every source's positions again under `epoch`, from `starts` (by source index; a
    /// source left out keeps its head and entries). The history is cleared (a resume from
    /// before is a snapshot: its epoch differs) and one [`Kind::Switch`] tells every stream the
    /// new heads and the entries that differ from the hub's.
    pub fn switch(&self, epoch: &str, mut starts: Vec<Option<Start>>) {
        // Every log locked, in order, so that no change is numbered half in one epoch.
        let mut logs: Vec<MutexGuard<'_, Log>> = self
            .logs
            .iter()
            .map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .collect();
        let mut sources = Vec::with_capacity(logs.len());
        for (i, log) in logs.iter_mut().enumerate() {
            let start = starts.get_mut(i).and_then(Option::take);
            let mut changed = Vec::new();
            if let Some(start) = start {
                log.head = start.head;
                if let Some(entries) = start.entries {
                    let mut now: HashMap<u32, Arc<str>> = HashMap::new();
                    for (id, data) in entries {
                        if let Some(slot) = log.slot(&id) {
                            now.insert(slot, data);
                        }
                    }
                    // Those the new numbering has no entry for keep theirs (nothing is
                    // blanked): its reader publishes them when it reads them.
                    for (slot, data) in now {
                        let Some(cell) = usize::try_from(slot)
                            .ok()
                            .and_then(|i| log.current.get_mut(i))
                        else {
                            continue;
                        };
                        if cell.as_ref() != Some(&data) {
                            *cell = Some(data.clone());
                            changed.push((slot, data));
                        }
                    }
                    changed.sort_unstable_by_key(|(slot, _)| *slot);
                }
                if let Some(state) = start.state {
                    log.state = state;
                }
            }
            log.recent.clear();
            sources.push((log.head, changed));
        }
        let epoch: Arc<str> = epoch.into();
        *self
            .epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = epoch.clone();
        let _ = self.tx.send(Arc::new(Fanout {
            source: usize::MAX,
            kind: Kind::Switch(Arc::new(Switch { epoch, sources })),
            data: Arc::from(""),
            at: Instant::now(),
        }));
        drop(logs);
    }

    fn log(&self, source: usize) -> Option<MutexGuard<'_, Log>> {
        self.logs
            .get(source)
            .map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// A new receiver of every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Fanout>> {
        self.tx.subscribe()
    }

    /// How many streams receive.
    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// The slot of `id` in `source`, made if new; `None` once the source knows `max_known`
    /// people.
    pub fn slot(&self, source: usize, id: &UserId) -> Option<u32> {
        self.log(source)?.slot(id)
    }

    /// Publishes `id`'s new entry in `source`, at the next position; an entry the same as the
    /// one the hub holds is no change and is not published.
    pub fn publish(&self, source: usize, id: &UserId, data: String) {
        let Some(mut log) = self.log(source) else {
            return;
        };
        let Some(slot) = log.slots.get(id).copied() else {
            return;
        };
        let data: Arc<str> = data.into();
        let same = usize::try_from(slot)
            .ok()
            .and_then(|s| log.current.get(s))
            .is_some_and(|c| c.as_deref() == Some(&*data));
        if same {
            return;
        }
        let pos = log.head.saturating_add(1);
        self.record(&mut log, source, pos, slot, data);
    }

    /// Applies an entry of the shared change log at `pos`: `id`'s new entry in `source` (made
    /// known if new). An entry at or before the head was applied already.
    pub fn publish_at(&self, source: usize, pos: u64, id: &UserId, data: Arc<str>) {
        let Some(mut log) = self.log(source) else {
            return;
        };
        if pos <= log.head {
            return;
        }
        match log.slot(id) {
            Some(slot) => self.record(&mut log, source, pos, slot, data),
            // More people than the hub keeps: the position is passed all the same.
            None => log.pass(pos),
        }
    }

    /// Applies an entry of the shared change log at `pos` that is nobody's presence: the
    /// source's state (`Some`), or a person forgotten (`forget`).
    pub fn other_at(
        &self,
        source: usize,
        pos: u64,
        state: Option<Arc<str>>,
        forget: Option<&UserId>,
    ) {
        let Some(mut log) = self.log(source) else {
            return;
        };
        if pos <= log.head {
            return;
        }
        log.pass(pos);
        if let Some(id) = forget {
            log.forget(id);
        }
        if let Some(data) = state {
            self.state_to(&mut log, source, data);
        }
    }

    /// The position of the last change of `source`.
    pub fn head(&self, source: usize) -> u64 {
        self.log(source).map_or(0, |log| log.head)
    }

    /// `id`'s current entry in `source`, where the hub has one.
    pub fn current(&self, source: usize, id: &UserId) -> Option<Arc<str>> {
        let log = self.log(source)?;
        let slot = usize::try_from(*log.slots.get(id)?).ok()?;
        log.current.get(slot).cloned().flatten()
    }

    /// Records a change at `pos` and broadcasts it, under the log's lock, so that the
    /// broadcast's order is the positions' order and a snapshot taken under the lock sees every
    /// change before its head and none after.
    fn record(&self, log: &mut Log, source: usize, pos: u64, slot: u32, data: Arc<str>) {
        log.head = pos;
        if let Some(c) = usize::try_from(slot)
            .ok()
            .and_then(|s| log.current.get_mut(s))
        {
            *c = Some(data.clone());
        }
        log.recent.push_back((pos, slot, data.clone()));
        while log.recent.len() > log.history {
            log.recent.pop_front();
        }
        let _ = self.tx.send(Arc::new(Fanout {
            source,
            kind: Kind::Presence { slot, pos },
            data,
            at: Instant::now(),
        }));
    }

    /// Forgets `id` (nobody watches them any more): their entry, and their slot for the next.
    pub fn forget(&self, source: usize, id: &UserId) {
        if let Some(mut log) = self.log(source) {
            log.forget(id);
        }
    }
    /// Sets the source's state, broadcasting it when it changed.
    pub fn set_state(&self, source: usize, mode: &str, stale: bool, reason: Option<&str>) {
        let Some(mut log) = self.log(source) else {
            return;
        };
        let data: Arc<str> = state_json(&log.name, mode, stale, reason).into();
        self.state_to(&mut log, source, data);
    }

    /// Makes `data` the source's state, broadcasting it when it changed.
    fn state_to(&self, log: &mut Log, source: usize, data: Arc<str>) {
        if data == log.state {
            return;
        }
        log.state = data.clone();
        let _ = self.tx.send(Arc::new(Fanout {
            source,
            kind: Kind::State,
            data,
            at: Instant::now(),
        }));
    }

    /// The source's state event data.
    pub fn state(&self, source: usize) -> Option<Arc<str>> {
        self.log(source).map(|log| log.state.clone())
    }

    /// The entries of `slots` in `source` (a loading entry for those without one) and the head.
    pub fn snapshot(&self, source: usize, slots: &[u32]) -> (Vec<Arc<str>>, u64) {
        let Some(log) = self.log(source) else {
            return (Vec::new(), 0);
        };
        let entries = slots
            .iter()
            .filter_map(|slot| {
                let i = usize::try_from(*slot).ok()?;
                match log.current.get(i) {
                    Some(Some(data)) => Some(data.clone()),
                    _ => log
                        .ids
                        .get(i)
                        .and_then(Option::as_ref)
                        .map(|id| Arc::from(loading_json(&log.name, id))),
                }
            })
            .collect();
        (entries, log.head)
    }

    /// What a viewer at position `from` of `source`, watching `slots` (sorted), has missed.
    pub fn resume(&self, source: usize, from: u64, slots: &[u32]) -> Resume {
        let Some(log) = self.log(source) else {
            return Resume::Snapshot;
        };
        if from > log.head {
            return Resume::Snapshot;
        }
        let oldest = log
            .recent
            .front()
            .map_or(log.head, |(pos, _, _)| pos.saturating_sub(1));
        if from < oldest {
            return Resume::Snapshot;
        }
        let missed = log
            .recent
            .iter()
            .filter(|(pos, slot, _)| *pos > from && slots.binary_search(slot).is_ok())
            .map(|(pos, _, data)| (*pos, data.clone()))
            .collect();
        Resume::Replay(missed, log.head)
    }

    /// The source's name.
    pub fn name(&self, source: usize) -> Option<Arc<str>> {
        self.log(source).map(|log| log.name.clone())
    }
}

/// A source's state event data.
pub fn state_json(source: &str, mode: &str, stale: bool, reason: Option<&str>) -> String {
    json!({ "source": source, "mode": mode, "stale": stale, "reason": reason }).to_string()
}

fn loading_json(source: &str, id: &UserId) -> String {
    json!({ "source": source, "user": id.as_str(), "status": "loading" }).to_string()
}

/// One person's entry: what a `presence` event carries. `presence` is the normalized presence
/// with the fields of the widgets' `presence-change` detail (and `mode`); `error` the reason a
/// presence is failing or stale, or why there is none (the error's fields, as the widgets'
/// `presence-error` detail has them, and its `description`).
pub fn entry_json(source: &str, id: &UserId, state: &State, mode: &str) -> String {
    let (status, error, since_ms) = match state {
        State::Loading => ("loading", None, None),
        State::Fresh(_) => ("fresh", None, None),
        State::Failing { error, .. } => ("failing", Some(error), None),
        State::Stale {
            error, since_ms, ..
        } => ("stale", Some(error), Some(*since_ms)),
        State::Error(error) => ("error", Some(error), None),
    };
    let mut entry = Map::new();
    entry.insert("source".into(), source.into());
    entry.insert("user".into(), id.as_str().into());
    entry.insert("status".into(), status.into());
    if let Some(p) = state.presence() {
        let mut presence: Value = serde_json::from_str(&p.to_json()).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut presence {
            fields.insert("mode".into(), mode.into());
        }
        entry.insert("presence".into(), presence);
    }
    if let Some(e) = error {
        entry.insert("error".into(), error_json(e));
    }
    if let Some(ms) = since_ms {
        entry.insert("confirmedAt".into(), ms.into());
    }
    Value::Object(entry).to_string()
}

fn error_json(error: &PresenceError) -> Value {
    let mut value: Value = serde_json::from_str(&error.to_json()).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.insert("description".into(), error.to_string().into());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Hub {
        Hub::new(&["teams".to_owned()], 3, 10, 16, 1000, "e".into())
    }

    #[test]
    fn positions_count_changes_and_resumes_replay_them() {
        let hub = hub();
        let a = UserId::new("a");
        let b = UserId::new("b");
        let (sa, sb) = (hub.slot(0, &a).unwrap(), hub.slot(0, &b).unwrap());
        hub.publish(0, &a, "a1".into());
        hub.publish(0, &b, "b1".into());
        let (entries, head) = hub.snapshot(0, &[sa, sb]);
        assert_eq!(head, 1002);
        assert_eq!(
            entries.iter().map(|e| &**e).collect::<Vec<_>>(),
            ["a1", "b1"]
        );
        hub.publish(0, &a, "a2".into());
        assert_eq!(
            hub.resume(0, 1002, &[sa]),
            Resume::Replay(vec![(1003, Arc::from("a2"))], 1003)
        );
        assert_eq!(hub.resume(0, 1003, &[sa]), Resume::Replay(vec![], 1003));
        // History keeps 3: 1001 is gone, so a resume from 1000 is a snapshot.
        hub.publish(0, &b, "b2".into());
        assert_eq!(hub.resume(0, 1000, &[sa]), Resume::Snapshot);
        assert_eq!(
            hub.resume(0, 1001, &[sa, sb]),
            Resume::Replay(
                vec![
                    (1002, Arc::from("b1")),
                    (1003, Arc::from("a2")),
                    (1004, Arc::from("b2"))
                ],
                1004
            )
        );
        // From the future (another relay): a snapshot.
        assert_eq!(hub.resume(0, 5000, &[sa]), Resume::Snapshot);
    }

    #[test]
    fn unknown_people_load_and_known_ones_are_bounded() {
        let hub = hub();
        let slots: Vec<u32> = (0..10)
            .map(|i| hub.slot(0, &UserId::new(format!("u{i}"))).unwrap())
            .collect();
        assert_eq!(hub.slot(0, &UserId::new("one-too-many")), None);
        assert_eq!(hub.slot(0, &UserId::new("u3")), Some(3));
        // A forgotten person's slot is the next one's.
        hub.forget(0, &UserId::new("u3"));
        assert_eq!(hub.slot(0, &UserId::new("newcomer")), Some(3));
        assert_eq!(hub.slot(0, &UserId::new("u3")), None);
        let (entries, _) = hub.snapshot(0, &slots[..1]);
        assert_eq!(
            &*entries[0],
            r#"{"reason":null,"source":"teams","status":"loading","user":"u0"}"#
                .replace(r#""reason":null,"#, "")
        );
    }

    #[test]
    fn a_switch_renumbers_without_blanking_and_tells_the_streams() {
        let hub = hub();
        let (a, b) = (UserId::new("a"), UserId::new("b"));
        let sa = hub.slot(0, &a).unwrap();
        hub.publish(0, &a, "a1".into());
        hub.publish(0, &b, "ignored: b has no slot".into());
        // The same entry again is no change.
        hub.publish(0, &a, "a1".into());
        assert_eq!(hub.head(0), 1001);
        let mut rx = hub.subscribe();
        // The shared log's numbering: head 40, `a` as the log has it, `b` new.
        hub.switch(
            "shared",
            vec![Some(Start {
                head: 40,
                entries: Some(vec![(a.clone(), "a2".into()), (b.clone(), "b1".into())]),
                state: None,
            })],
        );
        assert_eq!(&*hub.epoch(), "shared");
        assert_eq!(hub.head(0), 40);
        let got = rx.try_recv().unwrap();
        let Kind::Switch(switch) = &got.kind else {
            panic!("{got:?}")
        };
        assert_eq!(&*switch.epoch, "shared");
        let sb = hub.slot(0, &b).unwrap();
        assert_eq!(
            switch.sources,
            vec![(40, vec![(sa, Arc::from("a2")), (sb, Arc::from("b1"))])]
        );
        // The history starts again: a resume from before is a snapshot.
        assert_eq!(hub.resume(0, 1001, &[sa]), Resume::Snapshot);
        // The log's entries apply at their positions, once.
        hub.publish_at(0, 41, &a, "a3".into());
        hub.publish_at(0, 41, &a, "a3 again".into());
        hub.other_at(0, 42, None, Some(&b));
        assert_eq!(hub.head(0), 42);
        assert_eq!(hub.current(0, &a).as_deref(), Some("a3"));
        assert_eq!(hub.current(0, &b), None);
        assert_eq!(
            hub.resume(0, 40, &[sa]),
            Resume::Replay(vec![(41, Arc::from("a3"))], 42)
        );
        // A switch without starts keeps heads and entries (the degraded mode).
        hub.switch("own", Vec::new());
        assert_eq!((hub.head(0), &*hub.epoch()), (42, "own"));
        assert_eq!(hub.current(0, &a).as_deref(), Some("a3"));
    }

    #[test]
    fn states_broadcast_only_when_they_change() {
        let hub = hub();
        let mut rx = hub.subscribe();
        hub.set_state(0, "poll", false, None);
        hub.set_state(0, "poll", true, Some("graph: HTTP 503"));
        let got = rx.try_recv().unwrap();
        assert_eq!(got.kind, Kind::State);
        assert!(got.data.contains("HTTP 503"));
        assert!(rx.try_recv().is_err());
    }
}
