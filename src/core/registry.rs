//! What a store knows, without any I/O: who is wanted by how many widgets, each person's last good
//! presence and state (loading, fresh, stale, error), which requests the next poll makes, and what
//! an answer changes. The browser store (and, natively, anything else) drives it with timers and
//! an HTTP client. It never asks which provider it reads: the adapter says what it needs.

use std::collections::HashMap;

use super::error::PresenceError;
use super::http::{HttpRequest, HttpResponse};
use super::model::{Availability, Presence, UserId};
use super::providers::{Adapter, Cursor, Plan};
use super::schedule::Policy;
use super::state::State;
use super::tabs::Shared;

/// What applying an answer did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The people whose state changed: only their widgets need to re-render.
    pub changed: Vec<UserId>,
    /// The error the answer was, if it failed; it is also recorded on every person asked about.
    pub error: Option<PresenceError>,
    /// The service says it pushes nothing now, and why (see [`crate::core::Update::push_off`]).
    pub push_off: Option<String>,
    /// The answer read the people asked about by id (not a delta since a cursor), and named
    /// them: a service whose push was off says it pushes again so.
    pub full: bool,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    subscribers: u32,
    presence: Option<Presence>,
    confirmed_ms: Option<u64>,
    error: Option<PresenceError>,
    in_flight: bool,
    /// In an answer that came with a cursor: later polls continue from it.
    covered: bool,
    /// In the answer being applied.
    answered: bool,
    /// A presence was pushed while a read of this person was in flight: that read's answer is
    /// older than what is shown, and does not replace it.
    pushed_meanwhile: bool,
    /// What the person shows while their own write is in flight (feature `write`): what the
    /// service answers meanwhile is kept underneath, for a refused write to roll back to.
    #[cfg(feature = "write")]
    held: Option<Presence>,
}

/// The state of one source.
#[derive(Clone, Debug)]
pub struct Registry {
    adapter: Adapter,
    entries: HashMap<UserId, Entry>,
    cursor: Option<Cursor>,
    stale_after_ms: u64,
    skipped: u64,
}

impl Registry {
    /// An empty registry reading through `adapter`; a presence turns stale three of the
    /// provider's default intervals after its last confirmation.
    pub fn new(adapter: Adapter) -> Self {
        let stale_after_ms = Policy::new(adapter.cadence()).stale_after_ms;
        Self {
            adapter,
            entries: HashMap::new(),
            cursor: None,
            stale_after_ms,
            skipped: 0,
        }
    }

    /// The same registry, with presences stale this long after their last confirmation (the
    /// policy's `stale_after_ms`).
    pub fn with_stale_after(mut self, ms: u64) -> Self {
        self.stale_after_ms = ms;
        self
    }

    /// The adapter.
    pub fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    /// One more widget shows `id`. True when nobody showed it before.
    pub fn subscribe(&mut self, id: &UserId) -> bool {
        let entry = self.entries.entry(id.clone()).or_default();
        entry.subscribers = entry.subscribers.saturating_add(1);
        entry.subscribers == 1
    }

    /// One widget fewer shows `id`. True when that was the last: the id leaves the next plan, and
    /// the registry keeps nothing of them.
    pub fn unsubscribe(&mut self, id: &UserId) -> bool {
        let Some(entry) = self.entries.get_mut(id) else {
            return false;
        };
        entry.subscribers = entry.subscribers.saturating_sub(1);
        if entry.subscribers > 0 {
            return false;
        }
        self.entries.remove(id);
        true
    }

    /// How many people are wanted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nobody is wanted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Everyone wanted, sorted.
    pub fn ids(&self) -> Vec<UserId> {
        let mut ids: Vec<UserId> = self.entries.keys().cloned().collect();
        ids.sort_unstable();
        ids
    }

    /// How many widgets show `id`.
    pub fn subscribers(&self, id: &UserId) -> u32 {
        self.entries.get(id).map_or(0, |e| e.subscribers)
    }

    /// The next request the adapter needs answered before presences (Genesys definitions, for
    /// labels).
    pub fn plan_setup(&self) -> Option<HttpRequest> {
        self.adapter.plan_setup()
    }

    /// Notes that the setup request is being sent.
    pub fn setup_sent(&mut self, request: &HttpRequest) {
        self.adapter.setup_sent(request);
    }

    /// The answer to a setup request, for the adapter. Labels it teaches reach the people
    /// already shown at the next poll.
    pub fn apply_setup(
        &mut self,
        request: &HttpRequest,
        answer: Result<HttpResponse, PresenceError>,
    ) {
        self.adapter.absorb_setup(request, answer);
    }

    /// The ids never asked for yet (new subscriptions), in one plan.
    pub fn plan_new(&self) -> Plan {
        let fresh: Vec<UserId> = self
            .ids()
            .into_iter()
            .filter(|id| {
                self.entries
                    .get(id)
                    .is_some_and(|e| e.presence.is_none() && e.error.is_none() && !e.in_flight)
            })
            .collect();
        if fresh.is_empty() {
            return Plan::default();
        }
        self.adapter.plan(&fresh, None)
    }

    /// A poll of everyone wanted and not already being asked for. Where the provider has deltas
    /// and gave a cursor, the ids it has already answered for continue from it and the others
    /// are asked for by id.
    pub fn plan_poll(&self) -> Plan {
        let wanted = self.not_in_flight(&self.ids());
        if wanted.is_empty() {
            return Plan::default();
        }
        let Some(cursor) = &self.cursor else {
            return self.adapter.plan(&wanted, None);
        };
        let (seen, unseen): (Vec<UserId>, Vec<UserId>) = wanted
            .into_iter()
            .partition(|id| self.entries.get(id).is_some_and(|e| e.covered));
        let mut plan = self.adapter.plan(&seen, Some(cursor));
        let rest = self.adapter.plan(&unseen, None);
        plan.requests.extend(rest.requests);
        plan.rejected.extend(rest.rejected);
        plan
    }

    /// A poll of only `ids` (those wanted and not being asked for): the people a push session
    /// cannot cover, while it covers the rest.
    pub fn plan_poll_of(&self, ids: &[UserId]) -> Plan {
        let wanted = self.not_in_flight(ids);
        if wanted.is_empty() {
            return Plan::default();
        }
        self.adapter.plan(&wanted, None)
    }

    /// Those of `ids` someone wants and no request is asking about now.
    fn not_in_flight(&self, ids: &[UserId]) -> Vec<UserId> {
        ids.iter()
            .filter(|id| self.entries.get(*id).is_some_and(|e| !e.in_flight))
            .cloned()
            .collect()
    }

    /// Notes that these requests are being sent, so that they are not planned twice.
    pub fn sending(&mut self, requests: &[HttpRequest]) {
        for id in requests.iter().flat_map(|r| r.ids.iter()) {
            if let Some(e) = self.entries.get_mut(id) {
                e.in_flight = true;
                e.pushed_meanwhile = false;
            }
        }
    }

    /// Records ids no request can be made for (see [`Plan::rejected`]): they show the error.
    pub fn reject(&mut self, rejected: &[(UserId, PresenceError)]) -> Vec<UserId> {
        let mut changed = Vec::new();
        for (id, error) in rejected {
            if let Some(e) = self.entries.get_mut(id) {
                e.error = Some(error.clone());
                changed.push(id.clone());
            }
        }
        changed
    }

    /// What an answer (or a transport failure) means for the people asked about. A failure is
    /// recorded on every person the request asked about: their last good presence is kept, and
    /// shown stale once it is older than the stale threshold.
    pub fn apply(
        &mut self,
        request: &HttpRequest,
        answer: Result<HttpResponse, PresenceError>,
        now_ms: u64,
    ) -> Applied {
        for id in &request.ids {
            if let Some(e) = self.entries.get_mut(id) {
                e.in_flight = false;
            }
        }
        let parsed = answer.and_then(|response| self.adapter.parse(request, &response));
        let update = match parsed {
            Ok(update) => update,
            Err(error) => {
                let mut changed = Vec::new();
                for id in &request.ids {
                    if let Some(e) = self.entries.get_mut(id) {
                        if std::mem::take(&mut e.pushed_meanwhile) {
                            // Pushed since this read was sent: the push is what is known.
                            continue;
                        }
                        if e.error.as_ref() != Some(&error) {
                            changed.push(id.clone());
                        }
                        e.error = Some(error.clone());
                    }
                }
                return Applied {
                    changed,
                    error: Some(error),
                    push_off: None,
                    full: false,
                };
            }
        };
        let push_off = update.push_off.clone();
        let skipped = u64::try_from(update.skipped.len()).unwrap_or(u64::MAX);
        self.skipped = self.skipped.saturating_add(skipped);
        if let Some(cursor) = update.cursor {
            self.cursor = Some(cursor);
            for id in &request.ids {
                if let Some(e) = self.entries.get_mut(id) {
                    e.covered = true;
                }
            }
        }
        let delta = update.delta;
        let mut answered = Vec::with_capacity(update.presences.len());
        let mut changed = Vec::new();
        for presence in update.presences {
            let user = presence.user.clone();
            if let Some(e) = self.entries.get_mut(&user) {
                if e.pushed_meanwhile {
                    // Pushed after this read was sent: what is shown is newer (but a name the
                    // push did not carry is taken).
                    if let Some(shown) = e.presence.as_mut() {
                        if shown.display_name.is_none() {
                            shown.display_name = presence.display_name;
                        }
                    }
                    e.error = None;
                    e.answered = true;
                    answered.push(user);
                    continue;
                }
                let differs = e.presence.as_ref() != Some(&presence) || e.error.is_some();
                e.presence = Some(presence);
                e.confirmed_ms = Some(now_ms);
                e.error = None;
                e.answered = true;
                if differs {
                    changed.push(user.clone());
                }
                answered.push(user);
            }
        }
        let kind = self.adapter.kind();
        for id in &request.ids {
            let Some(e) = self.entries.get_mut(id) else {
                continue;
            };
            let pushed = std::mem::take(&mut e.pushed_meanwhile);
            if e.answered || pushed {
                continue;
            }
            let recovered = e.error.take().is_some();
            if delta && e.presence.is_some() {
                // Unchanged since the cursor: confirmed as it is.
                e.confirmed_ms = Some(now_ms);
                if recovered {
                    changed.push(id.clone());
                }
            } else if e.presence.is_none() || !delta {
                // Asked for by id and not in the answer: the service knows nothing of them.
                let mut p = Presence::new(id.clone(), kind, Availability::Unknown);
                p.raw = "absent from the answer".into();
                let differs = e.presence.as_ref() != Some(&p) || recovered;
                e.presence = Some(p);
                e.confirmed_ms = Some(now_ms);
                if differs {
                    changed.push(id.clone());
                }
            }
        }
        for id in &answered {
            if let Some(e) = self.entries.get_mut(id) {
                e.answered = false;
            }
        }
        Applied {
            changed,
            error: None,
            full: !delta && push_off.is_none() && !answered.is_empty(),
            push_off,
        }
    }

    /// Presences the page received by other means (a Genesys notification channel, Rocket.Chat's
    /// realtime stream, the signed-in user's own change), for people someone shows; others are
    /// ignored. Returns whose state changed.
    pub fn push(&mut self, presences: Vec<Presence>, now_ms: u64) -> Vec<UserId> {
        let mut changed = Vec::new();
        for mut presence in presences {
            let Some(e) = self.entries.get_mut(&presence.user) else {
                continue;
            };
            e.pushed_meanwhile = e.in_flight;
            // A pushed presence without a name keeps the name the service gave before.
            if presence.display_name.is_none() {
                presence.display_name = e.presence.as_ref().and_then(|p| p.display_name.clone());
            }
            if e.presence.as_ref() != Some(&presence) || e.error.is_some() {
                changed.push(presence.user.clone());
            }
            e.presence = Some(presence);
            e.confirmed_ms = Some(now_ms);
            e.error = None;
        }
        changed
    }

    /// What the registry knows of `ids` (the subscribed ones among them), for the tabs that
    /// follow this one: each entry as it is, to be taken as it is by [`Registry::take_shared`].
    pub fn shared(&self, ids: &[UserId]) -> Vec<Shared> {
        ids.iter()
            .filter_map(|id| {
                let e = self.entries.get(id)?;
                Some(Shared {
                    user: id.clone(),
                    presence: e.presence.clone(),
                    error: e.error.clone(),
                    confirmed_ms: e.confirmed_ms,
                })
            })
            .collect()
    }

    /// Takes what the leading tab knows of people someone here shows (others are ignored), so
    /// they show what the leader's widgets show. Returns whose state changed.
    pub fn take_shared(&mut self, states: Vec<Shared>) -> Vec<UserId> {
        let mut changed = Vec::new();
        for s in states {
            let Some(e) = self.entries.get_mut(&s.user) else {
                continue;
            };
            if e.presence != s.presence || e.error != s.error || e.confirmed_ms != s.confirmed_ms {
                changed.push(s.user);
            }
            e.presence = s.presence;
            e.error = s.error;
            e.confirmed_ms = s.confirmed_ms;
        }
        changed
    }

    /// What a widget shows for `id` at `now_ms`, or `None` when nobody subscribed it. After a
    /// failed poll the last good presence stays `Fresh` with the reason beside it
    /// ([`State::Failing`]) until its last confirmation is older than the stale threshold; then
    /// it is `Stale`.
    pub fn state(&self, id: &UserId, now_ms: u64) -> Option<State> {
        let e = self.entries.get(id)?;
        #[cfg(feature = "write")]
        if let Some(held) = &e.held {
            return Some(State::Fresh(held.clone()));
        }
        Some(match (&e.presence, &e.error) {
            (None, None) => State::Loading,
            (None, Some(error)) => State::Error(error.clone()),
            (Some(p), None) => State::Fresh(p.clone()),
            (Some(p), Some(error)) => {
                let since_ms = e.confirmed_ms.unwrap_or(0);
                if now_ms.saturating_sub(since_ms) < self.stale_after_ms {
                    State::Failing {
                        presence: p.clone(),
                        error: error.clone(),
                    }
                } else {
                    State::Stale {
                        presence: p.clone(),
                        error: error.clone(),
                        since_ms,
                    }
                }
            }
        })
    }

    /// When the next presence shown despite a failed poll turns stale, in milliseconds since the
    /// Unix epoch, and who that is (everyone failing by then): for a timer that re-renders them.
    pub fn next_stale(&self, now_ms: u64) -> Option<u64> {
        self.entries
            .values()
            .filter(|e| e.presence.is_some() && e.error.is_some())
            .filter_map(|e| e.confirmed_ms)
            .map(|at| at.saturating_add(self.stale_after_ms))
            .filter(|at| *at > now_ms)
            .min()
    }

    /// Everyone shown despite a failed poll: their state depends on the time.
    pub fn failing(&self) -> Vec<UserId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.presence.is_some() && e.error.is_some())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// How many people have a presence (fresh or stale).
    pub fn loaded(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.presence.is_some())
            .count()
    }

    /// How many entries of answers were left out because whose they were could not be read.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Shows `shown` for `id` (someone subscribed) while their write is in flight, whatever
    /// answers or pushes arrive meanwhile; `false` (nothing held) when nobody shows them or a
    /// write of theirs is in flight already.
    #[cfg(feature = "write")]
    pub fn hold(&mut self, id: &UserId, shown: Presence) -> bool {
        match self.entries.get_mut(id) {
            Some(e) if e.held.is_none() => {
                e.held = Some(shown);
                true
            }
            _ => false,
        }
    }

    /// Whether a write of `id`'s is in flight.
    #[cfg(feature = "write")]
    pub fn holding(&self, id: &UserId) -> bool {
        self.entries.get(id).is_some_and(|e| e.held.is_some())
    }

    /// What the service last said of `id` (under what a write in flight shows).
    #[cfg(feature = "write")]
    pub fn underlying(&self, id: &UserId) -> Option<&Presence> {
        self.entries.get(id).and_then(|e| e.presence.as_ref())
    }

    /// Ends the write of `id`'s. Done, `confirmed` is their presence as of `now_ms` (the write
    /// applied to what the service said meanwhile), and a read in flight since before it does
    /// not undo it; refused (`None`), they show what the service last said. Returns whether
    /// anything was held.
    #[cfg(feature = "write")]
    pub fn release(&mut self, id: &UserId, confirmed: Option<Presence>, now_ms: u64) -> bool {
        let Some(e) = self.entries.get_mut(id) else {
            return false;
        };
        let held = e.held.take().is_some();
        if let Some(presence) = confirmed {
            e.presence = Some(presence);
            e.confirmed_ms = Some(now_ms);
            e.error = None;
            e.pushed_meanwhile = e.in_flight;
        }
        held
    }

    /// The delta cursor, once the provider gave one.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }
}

#[cfg(test)]
#[cfg(all(feature = "graph", feature = "rocketchat", feature = "genesys"))]
mod tests {
    use super::*;
    use crate::core::ProviderKind;

    fn graph() -> Registry {
        Registry::new(Adapter::new(ProviderKind::Graph, "https://g.example/v1.0").unwrap())
    }

    fn ids(n: usize) -> Vec<UserId> {
        (0..n).map(|i| UserId::new(format!("u{i:04}"))).collect()
    }

    fn answer_all(request: &HttpRequest, availability: &str) -> HttpResponse {
        let value: Vec<serde_json::Value> = request
            .ids
            .iter()
            .map(|id| serde_json::json!({"id": id.as_str(), "availability": availability, "activity": availability}))
            .collect();
        HttpResponse::new(200, serde_json::json!({ "value": value }).to_string())
    }

    #[cfg(feature = "write")]
    #[test]
    fn a_write_shows_at_once_holds_against_answers_and_rolls_back_when_refused() {
        let mut r = graph();
        let me = UserId::new("u0000");
        assert!(!r.hold(
            &me,
            Presence::new(me.clone(), ProviderKind::Graph, Availability::Busy)
        ));
        r.subscribe(&me);
        let plan = r.plan_new();
        r.apply(
            &plan.requests[0],
            Ok(answer_all(&plan.requests[0], "Available")),
            1,
        );
        let busy = Presence::new(me.clone(), ProviderKind::Graph, Availability::Busy);
        assert!(r.hold(&me, busy.clone()));
        assert!(r.holding(&me));
        // One write at a time: a second (a double click) holds nothing.
        assert!(!r.hold(&me, busy.clone()));
        // A poll answered meanwhile (read before the write took effect) does not undo it, and is
        // what lies underneath.
        let poll = r.plan_poll();
        r.apply(
            &poll.requests[0],
            Ok(answer_all(&poll.requests[0], "Away")),
            2,
        );
        assert_eq!(r.state(&me, 3), Some(State::Fresh(busy.clone())));
        assert_eq!(
            r.underlying(&me).map(|p| p.availability),
            Some(Availability::Away)
        );
        // Refused: back to what the service said last.
        assert!(r.release(&me, None, 4));
        let Some(State::Fresh(p)) = r.state(&me, 4) else {
            panic!("not fresh");
        };
        assert_eq!(p.availability, Availability::Away);
        // Done: what it showed stays, confirmed; a read sent before the answer does not undo it.
        assert!(r.hold(&me, busy.clone()));
        let poll = r.plan_poll();
        r.sending(&poll.requests);
        assert!(r.release(&me, Some(busy.clone()), 5));
        r.apply(
            &poll.requests[0],
            Ok(answer_all(&poll.requests[0], "Away")),
            6,
        );
        assert_eq!(r.state(&me, 6), Some(State::Fresh(busy)));
        assert!(!r.release(&me, None, 7));
    }

    #[test]
    fn many_widgets_for_the_same_people_cost_one_plan() {
        let mut r = graph();
        let people = ids(1000);
        for i in 0..1500 {
            r.subscribe(&people[i % 1000]);
        }
        assert_eq!(r.subscribers(&people[0]), 2);
        let plan = r.plan_poll();
        assert_eq!(plan.requests.len(), 2);
        assert_eq!(
            plan.requests.iter().map(|q| q.ids.len()).sum::<usize>(),
            1000
        );
    }

    #[test]
    fn pushed_presences_reach_only_people_shown_and_clear_errors() {
        let mut r = graph();
        let people = ids(2);
        r.subscribe(&people[0]);
        let plan = r.plan_new();
        let failed = r.apply(
            &plan.requests[0],
            Err(PresenceError::Config("down".into())),
            5,
        );
        assert_eq!(failed.changed, vec![people[0].clone()]);
        let push = |id: &UserId| Presence::new(id.clone(), ProviderKind::Graph, Availability::Busy);
        let changed = r.push(vec![push(&people[0]), push(&people[1])], 9);
        assert_eq!(changed, vec![people[0].clone()]);
        assert!(
            matches!(r.state(&people[0], 0), Some(State::Fresh(p)) if p.availability == Availability::Busy)
        );
        assert_eq!(r.state(&people[1], 0), None);
        assert!(r.push(vec![push(&people[0])], 10).is_empty());
    }

    #[test]
    fn an_answer_older_than_a_push_does_not_undo_it() {
        let mut r = graph();
        let people = ids(2);
        for id in &people {
            r.subscribe(id);
        }
        let plan = r.plan_new();
        r.sending(&plan.requests);
        // While the read is on its way, the service pushes a change of the first person.
        let mut busy = Presence::new(people[0].clone(), ProviderKind::Graph, Availability::Busy);
        busy.raw = "pushed".into();
        assert_eq!(r.push(vec![busy], 5), vec![people[0].clone()]);
        let req = &plan.requests[0];
        let applied = r.apply(req, Ok(answer_all(req, "Away")), 9);
        assert_eq!(applied.changed, vec![people[1].clone()]);
        assert!(
            matches!(r.state(&people[0], 9), Some(State::Fresh(p)) if p.raw == "pushed"),
            "the push is newer than the answer"
        );
        // The next read, sent after the push, is taken as it is.
        let plan = r.plan_poll();
        r.sending(&plan.requests);
        let req = &plan.requests[0];
        let applied = r.apply(req, Ok(answer_all(req, "Away")), 20);
        assert_eq!(applied.changed, vec![people[0].clone()]);
        assert!(
            matches!(r.state(&people[0], 20), Some(State::Fresh(p)) if p.availability == Availability::Away)
        );
        // A read that fails after a push of one of its people: that person stays fresh.
        let plan = r.plan_poll();
        r.sending(&plan.requests);
        let busy = Presence::new(people[1].clone(), ProviderKind::Graph, Availability::Busy);
        r.push(vec![busy], 25);
        let failed = r.apply(
            &plan.requests[0],
            Err(PresenceError::Config("down".into())),
            30,
        );
        assert_eq!(failed.changed, vec![people[0].clone()]);
        assert!(matches!(r.state(&people[1], 30), Some(State::Fresh(_))));
        assert!(matches!(
            r.state(&people[0], 30),
            Some(State::Failing { .. })
        ));
    }

    #[test]
    fn loading_fresh_stale_and_back() {
        let mut r = graph();
        let people = ids(3);
        for id in &people {
            r.subscribe(id);
        }
        assert_eq!(r.state(&people[0], 0), Some(State::Loading));
        let plan = r.plan_new();
        assert_eq!(plan.requests.len(), 1);
        r.sending(&plan.requests);
        assert!(
            r.plan_new().requests.is_empty(),
            "in flight: not planned twice"
        );
        let req = &plan.requests[0];
        let applied = r.apply(req, Ok(answer_all(req, "Busy")), 1_000);
        assert_eq!((applied.changed.len(), applied.error), (3, None));
        assert!(
            matches!(r.state(&people[0], 0), Some(State::Fresh(p)) if p.availability == Availability::Busy)
        );

        let down = PresenceError::Http {
            provider: ProviderKind::Graph,
            status: 500,
            code: None,
            message: None,
            retry: None,
        };
        let applied = r.apply(req, Err(down.clone()), 2_000);
        assert_eq!(
            (applied.changed.len(), applied.error),
            (3, Some(down.clone()))
        );
        // Shown as it was, the reason in the tooltip, until it is older than three intervals.
        assert_eq!(
            r.state(&people[1], 2_000),
            Some(State::Failing {
                presence: r.state(&people[1], 0).unwrap().presence().unwrap().clone(),
                error: down.clone(),
            })
        );
        assert_eq!(r.next_stale(2_000), Some(91_000));
        assert_eq!(r.failing().len(), 3);
        match r.state(&people[1], 91_000) {
            Some(State::Stale {
                presence,
                error,
                since_ms,
            }) => {
                assert_eq!(presence.availability, Availability::Busy);
                assert_eq!(error, down);
                assert_eq!(since_ms, 1_000);
            }
            other => panic!("{other:?}"),
        }
        // The same failure again changes nothing a widget shows.
        assert!(r.apply(req, Err(down), 3_000).changed.is_empty());
        let applied = r.apply(req, Ok(answer_all(req, "Busy")), 4_000);
        assert_eq!(applied.changed.len(), 3, "recovery clears the stale mark");
        assert!(matches!(r.state(&people[2], 0), Some(State::Fresh(_))));
        // Nothing new: nothing re-renders.
        assert!(r
            .apply(req, Ok(answer_all(req, "Busy")), 5_000)
            .changed
            .is_empty());
    }

    #[test]
    fn a_first_failure_is_an_error_state_and_absent_people_are_unknown() {
        let mut r = graph();
        let people = ids(2);
        r.subscribe(&people[0]);
        r.subscribe(&people[1]);
        let req = r.plan_new().requests.remove(0);
        let e = PresenceError::Network {
            provider: ProviderKind::Graph,
            message: "offline".into(),
        };
        r.apply(&req, Err(e.clone()), 1);
        assert_eq!(r.state(&people[0], 0), Some(State::Error(e)));
        let only_first = HttpResponse::new(
            200,
            format!(
                r#"{{"value":[{{"id":"{}","availability":"Away"}}]}}"#,
                people[0]
            ),
        );
        r.apply(&req, Ok(only_first), 2);
        assert!(
            matches!(r.state(&people[1], 0), Some(State::Fresh(p)) if p.availability == Availability::Unknown)
        );
    }

    #[test]
    fn unsubscribed_people_leave_the_next_plan() {
        let mut r = graph();
        let people = ids(3);
        for id in &people {
            r.subscribe(id);
        }
        r.subscribe(&people[0]);
        assert!(!r.unsubscribe(&people[0]), "one widget still shows them");
        assert!(r.unsubscribe(&people[0]));
        assert!(r.unsubscribe(&people[1]));
        assert!(!r.unsubscribe(&people[1]));
        let plan = r.plan_poll();
        assert_eq!(plan.requests[0].ids, vec![people[2].clone()]);
        assert_eq!(r.state(&people[0], 0), None);
    }

    #[test]
    fn rocketchat_continues_from_its_cursor_and_asks_new_people_by_id() {
        let mut r =
            Registry::new(Adapter::new(ProviderKind::RocketChat, "https://chat.example").unwrap());
        let people = ids(3);
        r.subscribe(&people[0]);
        r.subscribe(&people[1]);
        let req = r.plan_new().requests.remove(0);
        let body = format!(
            r#"{{"users":[{{"_id":"{}","status":"online"}}],"full":false,"success":true}}"#,
            people[0]
        );
        let answer =
            HttpResponse::new(200, body).with_header("Date", "Mon, 23 Nov 2026 09:00:00 GMT");
        assert_eq!(r.apply(&req, Ok(answer), 1).changed.len(), 2);
        assert!(
            matches!(r.state(&people[1], 0), Some(State::Fresh(p)) if p.availability == Availability::Offline)
        );
        assert!(r.cursor().is_some());
        r.subscribe(&people[2]);
        let plan = r.plan_poll();
        assert_eq!(plan.requests.len(), 2);
        assert!(plan.requests[0]
            .url
            .contains("?from=2026-11-23T08%3A59%3A58.000Z"));
        assert_eq!(plan.requests[0].ids, people[..2].to_vec());
        assert!(plan.requests[1].url.contains("?ids="));
        // An empty delta confirms everyone as they were.
        let delta = HttpResponse::new(200, r#"{"users":[],"full":false,"success":true}"#);
        assert!(r.apply(&plan.requests[0], Ok(delta), 2).changed.is_empty());
        assert!(
            matches!(r.state(&people[0], 0), Some(State::Fresh(p)) if p.availability == Availability::Available)
        );
    }

    #[test]
    fn genesys_learns_definitions_first_and_falls_back_to_the_paged_listing() {
        use crate::core::providers::genesys::{DEFINITIONS, DEFINITIONS_PAGED};
        let mut r =
            Registry::new(Adapter::new(ProviderKind::Genesys, "https://api.example").unwrap());
        let first = r.plan_setup().unwrap();
        assert_eq!(first.endpoint, DEFINITIONS);
        r.setup_sent(&first);
        let forbidden = PresenceError::Http {
            provider: ProviderKind::Genesys,
            status: 403,
            code: None,
            message: None,
            retry: None,
        };
        r.apply_setup(&first, Err(forbidden));
        let paged = r.plan_setup().unwrap();
        assert_eq!(paged.endpoint, DEFINITIONS_PAGED);
        let page = r#"{"entities":[{"id":"d1","languageLabels":{"en_US":"Lunch"},"systemPresence":"Meal"}],"pageNumber":1,"pageCount":1}"#;
        r.apply_setup(&paged, Ok(HttpResponse::new(200, page)));
        assert!(r.plan_setup().is_none());
        let id = UserId::new("u1");
        r.subscribe(&id);
        let req = r.plan_new().requests.remove(0);
        let body = r#"[{"userId":"u1","presenceDefinition":{"id":"d1"}}]"#;
        r.apply(&req, Ok(HttpResponse::new(200, body)), 3);
        assert!(matches!(r.state(&id, 3), Some(State::Fresh(p)) if p.label == "Lunch"));
    }

    #[test]
    fn one_bad_entry_costs_one_person_and_an_unreadable_one_is_counted() {
        let mut r = graph();
        let people = ids(3);
        for id in &people {
            r.subscribe(id);
        }
        let req = r.plan_new().requests.remove(0);
        let body = format!(
            r#"{{"value":[{{"id":"{}","availability":5}},{{"id":7,"availability":"Busy"}},{{"id":"{}","availability":"Away"}},{{"id":"{}"}}]}}"#,
            people[0], people[1], people[2]
        );
        let applied = r.apply(&req, Ok(HttpResponse::new(200, body)), 1);
        assert_eq!(applied.error, None);
        let unknown = r.state(&people[0], 1).unwrap();
        let p = unknown.presence().unwrap();
        assert_eq!(p.availability, Availability::Unknown);
        assert_eq!(
            p.raw,
            "`value[0].availability`: expected a string, found a number"
        );
        assert!(
            matches!(r.state(&people[1], 1), Some(State::Fresh(p)) if p.availability == Availability::Away)
        );
        let missing = r.state(&people[2], 1).unwrap();
        assert_eq!(missing.presence().unwrap().raw, "missing `availability`");
        assert_eq!(r.skipped(), 1);
    }
}
