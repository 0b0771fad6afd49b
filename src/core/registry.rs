//! What a store knows, without any I/O: who is wanted by how many widgets, each person's last good
//! presence and state (loading, fresh, stale, error), which requests the next poll makes, and what
//! an answer changes. The browser store drives it with timers and fetch.

use std::collections::HashMap;

use super::error::PresenceError;
use super::http::{HttpRequest, HttpResponse};
use super::model::{Availability, Presence, UserId};
use super::providers::{Adapter, Catalog, Cursor, Endpoint, Plan, Provider};

/// What a widget shows for one person.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Asked for, no answer yet.
    Loading,
    /// The last poll succeeded.
    Fresh(Presence),
    /// The last poll failed: the last good presence, why, and when it was last confirmed
    /// (milliseconds since the Unix epoch).
    Stale {
        /// The last good presence.
        presence: Presence,
        /// Why the last poll failed.
        error: PresenceError,
        /// When the presence was last confirmed.
        since_ms: u64,
    },
    /// Never loaded: the request failed before any answer.
    Error(PresenceError),
}

impl State {
    /// The presence to show, fresh or stale.
    pub fn presence(&self) -> Option<&Presence> {
        match self {
            State::Fresh(p) | State::Stale { presence: p, .. } => Some(p),
            State::Loading | State::Error(_) => None,
        }
    }

    /// The error behind a stale or error state.
    pub fn error(&self) -> Option<&PresenceError> {
        match self {
            State::Stale { error, .. } | State::Error(error) => Some(error),
            State::Loading | State::Fresh(_) => None,
        }
    }
}

/// What applying an answer did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The people whose state changed: only their widgets need to re-render.
    pub changed: Vec<UserId>,
    /// The error the answer was, if it failed; it is also recorded on every person asked about.
    pub error: Option<PresenceError>,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    subscribers: u32,
    presence: Option<Presence>,
    confirmed_ms: Option<u64>,
    error: Option<PresenceError>,
    in_flight: bool,
    /// In an answer that came with a cursor (Rocket.Chat): later polls continue from it.
    covered: bool,
    /// In the answer being applied.
    answered: bool,
}

/// Where fetching Genesys presence definitions (for labels) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Definitions {
    /// Not asked yet.
    Wanted,
    /// The unpaged listing is asked for.
    Asked,
    /// The deprecated paged listing, at this page.
    Paged(u32),
    /// Learned, or given up (labels fall back to ours).
    Done,
}

/// The state of one source.
#[derive(Clone, Debug)]
pub struct Registry {
    adapter: Adapter,
    entries: HashMap<UserId, Entry>,
    cursor: Option<Cursor>,
    definitions: Definitions,
}

impl Registry {
    /// An empty registry reading through `adapter`.
    pub fn new(adapter: Adapter) -> Self {
        let definitions = match adapter {
            Adapter::Genesys(_) => Definitions::Wanted,
            _ => Definitions::Done,
        };
        Self {
            adapter,
            entries: HashMap::new(),
            cursor: None,
            definitions,
        }
    }

    /// The adapter.
    pub fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    /// One more widget shows `id`. True when nobody showed it before.
    pub fn subscribe(&mut self, id: &UserId) -> bool {
        let entry = self.entries.entry(id.clone()).or_default();
        entry.subscribers += 1;
        entry.subscribers == 1
    }

    /// One widget fewer shows `id`. True when that was the last: the id leaves the next plan.
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

    /// The requests that must come before presences: Genesys definitions, for labels.
    pub fn plan_setup(&self) -> Option<HttpRequest> {
        let Adapter::Genesys(g) = &self.adapter else {
            return None;
        };
        match self.definitions {
            Definitions::Wanted | Definitions::Asked => Some(g.plan_definitions()),
            Definitions::Paged(page) => Some(g.plan_definitions_paged(page)),
            Definitions::Done => None,
        }
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

    /// A poll of everyone wanted and not already being asked for. Rocket.Chat continues from its
    /// cursor for the ids it has already seen, and asks by `ids` for the others.
    pub fn plan_poll(&self) -> Plan {
        let wanted: Vec<UserId> = self
            .ids()
            .into_iter()
            .filter(|id| self.entries.get(id).is_some_and(|e| !e.in_flight))
            .collect();
        if wanted.is_empty() {
            return Plan::default();
        }
        match (&self.adapter, &self.cursor) {
            (Adapter::RocketChat(_), Some(cursor)) => {
                let (seen, unseen): (Vec<UserId>, Vec<UserId>) = wanted
                    .into_iter()
                    .partition(|id| self.entries.get(id).is_some_and(|e| e.covered));
                let mut plan = self.adapter.plan(&seen, Some(cursor));
                let rest = self.adapter.plan(&unseen, None);
                plan.requests.extend(rest.requests);
                plan.rejected.extend(rest.rejected);
                plan
            }
            _ => self.adapter.plan(&wanted, None),
        }
    }

    /// Notes that these requests are being sent, so that they are not planned twice.
    pub fn sending(&mut self, requests: &[HttpRequest]) {
        for id in requests.iter().flat_map(|r| r.ids.iter()) {
            if let Some(e) = self.entries.get_mut(id) {
                e.in_flight = true;
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
    /// recorded on every person the request asked about: their last good presence is kept, now
    /// stale.
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
                if self.setup_failed(request) {
                    return Applied::default();
                }
                let mut changed = Vec::new();
                for id in &request.ids {
                    if let Some(e) = self.entries.get_mut(id) {
                        if e.error.as_ref() != Some(&error) {
                            changed.push(id.clone());
                        }
                        e.error = Some(error.clone());
                    }
                }
                return Applied {
                    changed,
                    error: Some(error),
                };
            }
        };
        if let Some(Catalog::Definitions {
            definitions,
            next_page,
        }) = &update.catalog
        {
            if let Adapter::Genesys(g) = &mut self.adapter {
                g.learn(definitions);
            }
            self.definitions = match (self.definitions, next_page) {
                (Definitions::Paged(_), Some(n)) => Definitions::Paged(*n),
                _ => Definitions::Done,
            };
            // Labels change for everyone already shown: they are read again at the next poll.
            return Applied::default();
        }
        if let Some(cursor) = update.cursor {
            self.cursor = Some(cursor);
            for id in &request.ids {
                if let Some(e) = self.entries.get_mut(id) {
                    e.covered = true;
                }
            }
        }
        let delta = matches!(
            request.endpoint,
            Endpoint::RocketChatUsersPresence { delta: true }
        );
        let mut answered = Vec::with_capacity(update.presences.len());
        let mut changed = Vec::new();
        for presence in update.presences {
            let user = presence.user.clone();
            if let Some(e) = self.entries.get_mut(&user) {
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
            if e.answered {
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
        }
    }

    /// Presences the page received by other means (a Genesys notification channel, Rocket.Chat's
    /// realtime stream, the signed-in user's own change), for people someone shows; others are
    /// ignored. Returns whose state changed.
    pub fn push(&mut self, presences: Vec<Presence>, now_ms: u64) -> Vec<UserId> {
        let mut changed = Vec::new();
        for presence in presences {
            let Some(e) = self.entries.get_mut(&presence.user) else {
                continue;
            };
            if e.presence.as_ref() != Some(&presence) || e.error.is_some() {
                changed.push(presence.user.clone());
            }
            e.presence = Some(presence);
            e.confirmed_ms = Some(now_ms);
            e.error = None;
        }
        changed
    }

    /// A failed definitions request falls back: from the unpaged listing (which needs a
    /// permission) to the deprecated paged one (which needs none), then to our own labels.
    fn setup_failed(&mut self, request: &HttpRequest) -> bool {
        match request.endpoint {
            Endpoint::GenesysDefinitions => self.definitions = Definitions::Paged(1),
            Endpoint::GenesysDefinitionsPaged => self.definitions = Definitions::Done,
            _ => return false,
        }
        true
    }

    /// Notes that the definitions request was sent.
    pub fn setup_sent(&mut self) {
        if self.definitions == Definitions::Wanted {
            self.definitions = Definitions::Asked;
        }
    }

    /// What a widget shows for `id`, or `None` when nobody subscribed it.
    pub fn state(&self, id: &UserId) -> Option<State> {
        let e = self.entries.get(id)?;
        Some(match (&e.presence, &e.error) {
            (None, None) => State::Loading,
            (None, Some(error)) => State::Error(error.clone()),
            (Some(p), None) => State::Fresh(p.clone()),
            (Some(p), Some(error)) => State::Stale {
                presence: p.clone(),
                error: error.clone(),
                since_ms: e.confirmed_ms.unwrap_or(0),
            },
        })
    }

    /// How many people have a presence (fresh or stale).
    pub fn loaded(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.presence.is_some())
            .count()
    }

    /// The Rocket.Chat cursor, once there is one.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ProviderKind;

    fn graph() -> Registry {
        Registry::new(Adapter::new(ProviderKind::Graph, "https://g.example/v1.0"))
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
            matches!(r.state(&people[0]), Some(State::Fresh(p)) if p.availability == Availability::Busy)
        );
        assert_eq!(r.state(&people[1]), None);
        assert!(r.push(vec![push(&people[0])], 10).is_empty());
    }

    #[test]
    fn loading_fresh_stale_and_back() {
        let mut r = graph();
        let people = ids(3);
        for id in &people {
            r.subscribe(id);
        }
        assert_eq!(r.state(&people[0]), Some(State::Loading));
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
            matches!(r.state(&people[0]), Some(State::Fresh(p)) if p.availability == Availability::Busy)
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
        match r.state(&people[1]) {
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
        assert!(matches!(r.state(&people[2]), Some(State::Fresh(_))));
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
        assert_eq!(r.state(&people[0]), Some(State::Error(e)));
        let only_first = HttpResponse::new(
            200,
            format!(
                r#"{{"value":[{{"id":"{}","availability":"Away"}}]}}"#,
                people[0]
            ),
        );
        r.apply(&req, Ok(only_first), 2);
        assert!(
            matches!(r.state(&people[1]), Some(State::Fresh(p)) if p.availability == Availability::Unknown)
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
        assert_eq!(r.state(&people[0]), None);
    }

    #[test]
    fn rocketchat_continues_from_its_cursor_and_asks_new_people_by_id() {
        let mut r = Registry::new(Adapter::new(
            ProviderKind::RocketChat,
            "https://chat.example",
        ));
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
            matches!(r.state(&people[1]), Some(State::Fresh(p)) if p.availability == Availability::Offline)
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
            matches!(r.state(&people[0]), Some(State::Fresh(p)) if p.availability == Availability::Available)
        );
    }

    #[test]
    fn genesys_learns_definitions_first_and_falls_back_to_the_paged_listing() {
        let mut r = Registry::new(Adapter::new(ProviderKind::Genesys, "https://api.example"));
        let first = r.plan_setup().unwrap();
        assert_eq!(first.endpoint, Endpoint::GenesysDefinitions);
        r.setup_sent();
        let forbidden = PresenceError::Http {
            provider: ProviderKind::Genesys,
            status: 403,
            code: None,
            message: None,
            retry: None,
        };
        assert_eq!(r.apply(&first, Err(forbidden), 1), Applied::default());
        let paged = r.plan_setup().unwrap();
        assert_eq!(paged.endpoint, Endpoint::GenesysDefinitionsPaged);
        let page = r#"{"entities":[{"id":"d1","languageLabels":{"en_US":"Lunch"},"systemPresence":"Meal"}],"pageNumber":1,"pageCount":1}"#;
        r.apply(&paged, Ok(HttpResponse::new(200, page)), 2);
        assert!(r.plan_setup().is_none());
        let id = UserId::new("u1");
        r.subscribe(&id);
        let req = r.plan_new().requests.remove(0);
        let body = r#"[{"userId":"u1","presenceDefinition":{"id":"d1"}}]"#;
        r.apply(&req, Ok(HttpResponse::new(200, body)), 3);
        assert!(matches!(r.state(&id), Some(State::Fresh(p)) if p.label == "Lunch"));
    }
}
