//! The reader as a state machine, natively: what a source decides (the cadence, backoff and
//! `Retry-After`, push and its fallback, the snapshot, reconciliation, broadcast off, the setup
//! first), with the documented answers and frames in and the driver's effects out, time handed in.
#![cfg(all(
    not(target_arch = "wasm32"),
    feature = "providers",
    feature = "push-core"
))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::collections::BTreeMap;

use presence_widgets::core::reader::{
    Effect, Mode, Options, Reader, RequestId, SocketKey, DEFAULT_RECONCILE_MS,
};
use presence_widgets::core::{
    Adapter, Availability, Credentials, HttpRequest, HttpResponse, PresenceError, ProviderKind,
    Registry, Secret, State, UserId,
};
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CAT: &str = "aobEdbYhXfu5hkeqG";

/// A driver that does nothing by itself: it records what the reader asks and lets the test
/// answer.
struct World {
    reader: Reader,
    now: u64,
    /// Requests sent and not answered yet.
    sent: BTreeMap<RequestId, HttpRequest>,
    /// Every request ever sent, in order.
    log: Vec<HttpRequest>,
    credentials_asked: u32,
    opened: Vec<(SocketKey, String)>,
    frames: Vec<(SocketKey, String)>,
    closed: Vec<SocketKey>,
    changed: Vec<(UserId, bool)>,
    statuses: Vec<(Mode, Option<String>)>,
    /// What the reader told the other tabs.
    told: Vec<presence_widgets::core::tabs::Note>,
    /// How often it told the leader its watch set.
    announced: u32,
}

impl World {
    fn new(kind: ProviderKind, options: Options) -> Self {
        let base = match kind {
            ProviderKind::Graph => "https://graph.example.com/v1.0",
            ProviderKind::RocketChat => "https://chat.example.com",
            ProviderKind::Genesys => "https://api.mypurecloud.com",
            _ => "https://online.superoffice.com/Cust1/api",
        };
        let adapter = Adapter::new(kind, base).unwrap();
        Self {
            reader: Reader::new(Registry::new(adapter), options),
            now: 1_000_000,
            sent: BTreeMap::new(),
            log: Vec::new(),
            credentials_asked: 0,
            opened: Vec::new(),
            frames: Vec::new(),
            closed: Vec::new(),
            changed: Vec::new(),
            statuses: Vec::new(),
            told: Vec::new(),
            announced: 0,
        }
    }

    fn run(&mut self) {
        while let Some(effect) = self.reader.poll_effect(self.now) {
            match effect {
                Effect::Send { id, request } => {
                    for who in &request.ids {
                        assert!(
                            self.reader.registry().subscribers(who) > 0,
                            "a request for {who}, whom nobody watches"
                        );
                    }
                    self.log.push(request.clone());
                    self.sent.insert(id, request);
                }
                Effect::Credentials { .. } => self.credentials_asked += 1,
                Effect::Open { socket, url } => self.opened.push((socket, url)),
                Effect::Frame { socket, text } => self.frames.push((socket, text)),
                Effect::Close { socket, .. } => self.closed.push(socket),
                Effect::Changed { ids, pushed } => {
                    self.changed.extend(ids.into_iter().map(|id| (id, pushed)));
                }
                Effect::Status => self.statuses.push((
                    self.reader.mode().clone(),
                    self.reader.last_error().map(ToString::to_string),
                )),
                Effect::Tell(note) => self.told.push(note),
                Effect::Announce => self.announced += 1,
                Effect::Note(_) => {}
            }
        }
        if let Some(at) = self.reader.next_timeout() {
            assert!(at >= self.now, "a timer before now: {at} < {}", self.now);
        }
    }

    fn watch(&mut self, ids: &[&str]) {
        for id in ids {
            self.reader.watch(&UserId::new(*id));
        }
        self.run();
    }

    /// Answers every request sent so far with what `answer` makes of it.
    fn answer_all(&mut self, answer: impl Fn(&HttpRequest) -> Result<HttpResponse, PresenceError>) {
        while let Some((id, request)) = self.sent.pop_first() {
            let a = answer(&request);
            self.reader.handle_answer(id, &request, a, self.now);
            self.run();
        }
    }

    /// Moves time to the reader's next timer and lets it fire.
    fn advance(&mut self) -> u64 {
        let at = self.reader.next_timeout().expect("a timer");
        self.now = at;
        self.reader.handle_timeout(at);
        self.run();
        at
    }

    fn state(&self, id: &str) -> State {
        self.reader
            .registry()
            .state(&UserId::new(id), self.now)
            .unwrap_or(State::Loading)
    }

    fn credentials(&mut self, c: Credentials) {
        self.reader.handle_credentials(Ok(Some(c)), self.now);
        self.run();
    }

    fn frame(&mut self, text: &str) {
        let socket = self.opened.last().expect("a socket").0;
        self.reader.handle_frame(socket, text, self.now);
        self.run();
    }
}

fn graph_answer(request: &HttpRequest) -> Result<HttpResponse, PresenceError> {
    let value: Vec<String> = request
        .ids
        .iter()
        .map(|id| format!(r#"{{"id":"{id}","availability":"Available","activity":"Available"}}"#))
        .collect();
    Ok(HttpResponse::new(
        200,
        format!(r#"{{"value":[{}]}}"#, value.join(",")),
    ))
}

fn rocketchat_answer(
    status: &'static str,
) -> impl Fn(&HttpRequest) -> Result<HttpResponse, PresenceError> {
    move |request| {
        let users: Vec<String> = request
            .ids
            .iter()
            .map(|id| format!(r#"{{"_id":"{id}","username":"{id}","status":"{status}"}}"#))
            .collect();
        Ok(HttpResponse::new(
            200,
            format!(
                r#"{{"users":[{}],"full":true,"success":true}}"#,
                users.join(",")
            ),
        ))
    }
}

fn rc_credentials() -> Credentials {
    Credentials::RocketChat {
        user_id: "u0".into(),
        auth_token: Secret::new("resume-me"),
    }
}

/// A Rocket.Chat world whose people are read and whose DDP session is live.
fn pushed_rocketchat() -> World {
    let mut w = World::new(ProviderKind::RocketChat, Options::default());
    w.watch(&[CAT]);
    assert_eq!(w.log.len(), 1, "a snapshot first");
    assert_eq!(w.credentials_asked, 0, "then push");
    w.answer_all(rocketchat_answer("online"));
    assert_eq!(w.credentials_asked, 1, "push asks for the credentials");
    w.credentials(rc_credentials());
    assert_eq!(w.opened.len(), 1);
    assert_eq!(w.opened[0].1, "wss://chat.example.com/websocket");
    w.reader.handle_opened(w.opened[0].0, w.now);
    w.run();
    w.frame(&fixture("own/rocketchat-ddp-connected-01.json"));
    w.frame(&fixture("own/rocketchat-ddp-login-result-01.json"));
    w.frame(&fixture("own/rocketchat-ddp-ready-01.json"));
    assert_eq!(*w.reader.mode(), Mode::Push);
    w
}

#[test]
fn people_watched_in_one_turn_are_read_in_one_request_then_polled_at_the_interval() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a", "b", "c"]);
    assert_eq!(w.log.len(), 1);
    assert_eq!(w.log[0].ids.len(), 3);
    w.answer_all(graph_answer);
    assert!(matches!(w.state("a"), State::Fresh(_)));
    let interval = w.reader.interval_ms();
    assert_eq!(w.reader.next_poll_at(), Some(w.now + interval));
    let before = w.now;
    w.advance();
    assert_eq!(w.now - before, interval);
    assert_eq!(w.log.len(), 2, "one poll of everyone");
    // Someone watched while the poll is in flight is read at once, on their own.
    w.watch(&["d"]);
    assert_eq!(w.log.len(), 3);
    assert_eq!(w.log[2].ids, [UserId::new("d")]);
}

#[test]
fn a_retry_after_is_waited_out_and_the_last_presence_kept() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    w.advance();
    w.answer_all(|_| {
        Ok(
            HttpResponse::new(429, fixture("provider-docs/graph-error-429-01.json"))
                .with_header("Retry-After", "120"),
        )
    });
    let failed_at = w.now;
    assert_eq!(
        w.reader.next_poll_at(),
        Some(failed_at + 120_000),
        "as long as the service asks"
    );
    assert!(
        matches!(w.state("a"), State::Failing { presence, .. } if presence.availability == Availability::Available),
        "the last good presence is kept"
    );
    assert!(w
        .statuses
        .last()
        .unwrap()
        .1
        .as_deref()
        .unwrap()
        .contains("429"));
    // The presence turns stale meanwhile (three intervals after it was confirmed), and the
    // service is asked again only when it said.
    while w.log.len() == 2 {
        w.advance();
    }
    assert_eq!(w.now, failed_at + 120_000);
    assert!(matches!(w.state("a"), State::Stale { .. }));
    w.answer_all(graph_answer);
    assert_eq!(w.statuses.last().unwrap().1, None, "recovered");
}

#[test]
fn a_presence_kept_through_failures_turns_stale_on_its_own_timer() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    let confirmed = w.now;
    w.advance();
    w.answer_all(|_| {
        Err(PresenceError::Network {
            provider: ProviderKind::Graph,
            message: "down".into(),
        })
    });
    w.changed.clear();
    // Time passes to the stale threshold: the person is told again, now stale.
    while !matches!(w.state("a"), State::Stale { .. }) {
        w.advance();
        w.answer_all(|_| {
            Err(PresenceError::Network {
                provider: ProviderKind::Graph,
                message: "down".into(),
            })
        });
        assert!(w.now < confirmed + 10 * 60_000, "never stale");
    }
    assert!(w.changed.iter().any(|(id, _)| id.as_str() == "a"));
}

#[test]
fn push_falls_back_to_polling_and_returns() {
    let mut w = pushed_rocketchat();
    // The people now pushed are read once (the services send no snapshot).
    assert_eq!(w.log.len(), 2);
    w.answer_all(rocketchat_answer("online"));
    // A pushed change.
    w.changed.clear();
    w.frame(&fixture("own/rocketchat-ddp-changed-01.json"));
    assert_eq!(w.changed, [(UserId::new(CAT), true)]);
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Busy));
    // While pushed, nothing is polled before the reconciliation round.
    let next = w.reader.next_poll_at().unwrap();
    assert!(next >= w.now + 4 * 60_000, "{}", next - w.now);
    // The socket closes: everyone is read at once, and push is tried again later.
    let socket = w.opened[0].0;
    w.reader.handle_closed(socket, 1006, w.now);
    w.run();
    assert!(matches!(w.reader.mode(), Mode::Poll(Some(_))));
    assert_eq!(w.log.len(), 3, "a full read at once");
    assert_eq!(w.log[2].ids, [UserId::new(CAT)]);
    w.answer_all(rocketchat_answer("away"));
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Away));
    // A late frame of the session given up is dropped.
    w.reader.handle_frame(
        socket,
        &fixture("own/rocketchat-ddp-changed-01.json"),
        w.now,
    );
    w.run();
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Away));
    // Push is tried again after the backoff: a new session, a new socket.
    while w.credentials_asked < 2 {
        w.advance();
        w.answer_all(rocketchat_answer("away"));
    }
    w.credentials(rc_credentials());
    assert_eq!(w.opened.len(), 2);
    assert_ne!(w.opened[1].0.session, socket.session);
    w.reader.handle_opened(w.opened[1].0, w.now);
    w.run();
    w.frame(&fixture("own/rocketchat-ddp-connected-01.json"));
    w.frame(&fixture("own/rocketchat-ddp-login-result-01.json"));
    w.frame(&fixture("own/rocketchat-ddp-ready-01.json"));
    assert_eq!(*w.reader.mode(), Mode::Push, "pushed again");
}

#[test]
fn an_answer_sent_before_a_push_does_not_replace_the_pushed_presence() {
    let mut w = pushed_rocketchat();
    // The snapshot read is in flight when the push comes.
    assert_eq!(w.sent.len(), 1);
    w.frame(&fixture("own/rocketchat-ddp-changed-01.json"));
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Busy));
    w.answer_all(rocketchat_answer("online"));
    assert!(
        matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Busy),
        "the older answer does not undo the push"
    );
}

#[test]
fn broadcast_off_stays_off_until_an_ids_answer_names_people() {
    let mut w = pushed_rocketchat();
    let off = |_: &HttpRequest| {
        Ok(HttpResponse::new(
            200,
            r#"{"users":[],"full":true,"success":true}"#,
        ))
    };
    w.answer_all(off);
    assert!(
        w.reader
            .mode()
            .reason()
            .unwrap()
            .contains("broadcast is off"),
        "{:?}",
        w.reader.mode()
    );
    assert!(w.closed.contains(&w.opened[0].0), "the socket is closed");
    let asked = w.credentials_asked;
    // Polls go on at the interval; push is not tried while the answers say it is off.
    for _ in 0..5 {
        w.advance();
        w.answer_all(off);
    }
    assert_eq!(
        w.credentials_asked, asked,
        "no session while broadcast is off"
    );
    // An answer names people again: push is tried at once.
    w.advance();
    w.answer_all(rocketchat_answer("online"));
    assert_eq!(w.credentials_asked, asked + 1);
}

#[test]
fn genesys_reads_its_definitions_before_any_presence() {
    let mut w = World::new(
        ProviderKind::Genesys,
        Options {
            live: false,
            ..Options::default()
        },
    );
    w.watch(&["a", "b"]);
    assert_eq!(w.log.len(), 1);
    assert!(w.log[0].ids.is_empty(), "the setup request first");
    w.answer_all(|_| {
        Ok(HttpResponse::new(
            200,
            fixture("own/genesys-definitions.json"),
        ))
    });
    assert!(w.log.len() >= 2);
    assert!(!w.log.last().unwrap().ids.is_empty(), "then the people");
}

#[test]
fn a_budget_sets_the_interval_by_requests_and_readers() {
    use presence_widgets::core::reader::Budget;
    let budget = Budget {
        requests: 10,
        window_ms: 60_000,
        share_thousandths: 500,
    };
    let mut w = World::new(
        ProviderKind::RocketChat,
        Options {
            live: false,
            budget: Some(budget),
            policy: Some(presence_widgets::core::Policy {
                interval_ms: 1_000,
                floor_ms: 1_000,
                ..presence_widgets::core::Policy::new(presence_widgets::core::Cadence {
                    interval_ms: 1_000,
                    floor_ms: 1_000,
                })
            }),
            ..Options::default()
        },
    );
    w.reader.set_readers(3);
    w.watch(&["a"]);
    w.answer_all(rocketchat_answer("online"));
    assert_eq!(w.reader.interval_ms(), 36_000);
}

#[test]
fn nobody_watched_closes_push_and_plans_nothing() {
    let mut w = pushed_rocketchat();
    w.answer_all(rocketchat_answer("online"));
    w.reader.unwatch(&UserId::new(CAT));
    w.run();
    assert!(w.closed.contains(&w.opened[0].0));
    assert_eq!(w.reader.next_timeout(), None);
}

#[test]
fn nothing_is_polled_by_the_timer_while_hidden_but_a_poll_asked_for_goes() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    assert!(w.reader.next_poll_at().is_some());
    w.reader.handle_hidden(true);
    w.run();
    assert_eq!(
        w.reader.next_poll_at(),
        None,
        "no poll planned while hidden"
    );
    // Asked for (a following tab re-reads after a write): sent all the same.
    w.reader.handle_poll_now();
    w.run();
    assert_eq!(w.log.len(), 2);
    w.answer_all(graph_answer);
    assert_eq!(w.reader.next_poll_at(), None, "and none planned after it");
    // Shown again: a poll at once.
    w.reader.handle_hidden(false);
    w.run();
    assert_eq!(w.log.len(), 3);
    w.answer_all(graph_answer);
    assert!(w.reader.next_poll_at().is_some());
}

#[test]
fn a_tab_looked_at_again_polls_only_when_a_poll_is_overdue() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    let read_at = w.now;
    w.reader.handle_hidden(true);
    w.now += 1_000;
    w.reader.handle_looked_at(w.now);
    w.run();
    assert_eq!(w.log.len(), 1, "not overdue: no extra read");
    assert_eq!(
        w.reader.next_poll_at(),
        Some(read_at + w.reader.interval_ms())
    );
}

#[test]
fn a_follower_taking_over_reads_everyone_then_pushes_without_blanking_anyone() {
    use presence_widgets::core::reader::Role;
    use presence_widgets::core::tabs::Shared;
    let mut w = World::new(
        ProviderKind::RocketChat,
        Options {
            role: Role::Deciding,
            ..Options::default()
        },
    );
    w.watch(&[CAT]);
    assert!(
        w.log.is_empty(),
        "nothing read before the tabs have decided"
    );
    w.reader.handle_role(Role::Follow);
    w.run();
    assert!(w.log.is_empty(), "a follower reads nothing");
    // The leader's entry arrives over the tabs' channel.
    let mut leader = World::new(ProviderKind::RocketChat, Options::default());
    leader.watch(&[CAT]);
    leader.answer_all(rocketchat_answer("away"));
    let shared: Vec<Shared> = leader.reader.registry().shared(&[UserId::new(CAT)]);
    let changed = w.reader.registry_mut().take_shared(shared);
    w.reader.handle_taken(w.now);
    assert_eq!(changed, [UserId::new(CAT)]);
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Away));
    // The leader goes: this tab leads, reads everyone at once, keeps showing them meanwhile.
    w.reader.handle_role(Role::Lead);
    w.run();
    assert_eq!(w.log.len(), 1);
    assert_eq!(w.log[0].ids, [UserId::new(CAT)]);
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Away));
    assert_eq!(w.credentials_asked, 0, "a read first");
    w.answer_all(rocketchat_answer("online"));
    assert!(matches!(w.state(CAT), State::Fresh(p) if p.availability == Availability::Available));
    assert_eq!(w.credentials_asked, 1, "then push");
}

/// A follower's watch set, as the tabs' channel brings it.
fn watch_note(tab: &str, visible: bool, ids: &[&str]) -> presence_widgets::core::tabs::Note {
    presence_widgets::core::tabs::Note::Watch {
        tab: tab.into(),
        visible,
        ids: ids.iter().map(|id| UserId::new(*id)).collect(),
    }
}

#[test]
fn a_leader_reads_its_followers_people_once_and_lets_them_go_with_the_last_tab() {
    use presence_widgets::core::tabs::Note;
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    assert_eq!(w.log.len(), 1);
    // A follower shows a and b: only b is new, and it is told what is known of a at once.
    w.reader
        .handle_note(watch_note("t1", true, &["a", "b"]), w.now);
    w.run();
    let Some(Note::States(known)) = w.told.last() else {
        panic!("{:?}", w.told)
    };
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].user, UserId::new("a"));
    assert_eq!(w.log.len(), 2);
    assert_eq!(w.log[1].ids, [UserId::new("b")]);
    w.answer_all(graph_answer);
    // A second follower of b costs nothing.
    w.reader.handle_note(watch_note("t2", true, &["b"]), w.now);
    w.run();
    assert_eq!(w.log.len(), 2);
    assert!(w.reader.followed());
    // b is let go only when the last tab showing them goes.
    w.reader.handle_tab_gone("t1");
    w.run();
    assert_eq!(w.reader.registry().subscribers(&UserId::new("b")), 1);
    w.reader.handle_tab_gone("t2");
    w.run();
    assert_eq!(w.reader.registry().subscribers(&UserId::new("b")), 0);
    assert_eq!(w.reader.registry().ids(), [UserId::new("a")]);
    assert!(!w.reader.followed());
    // A follower asks for a poll (after its own write): it goes now.
    w.reader.handle_note(Note::Poll, w.now);
    w.run();
    assert_eq!(w.log.len(), 3);
}

#[test]
fn a_hidden_leader_polls_while_a_follower_is_looked_at() {
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    w.reader.handle_note(watch_note("t1", true, &["a"]), w.now);
    w.reader.handle_hidden(true);
    w.run();
    assert!(w.reader.next_poll_at().is_some(), "a follower is looked at");
    // The follower is hidden too: nobody looks, polling pauses.
    w.reader.handle_note(watch_note("t1", false, &["a"]), w.now);
    w.run();
    assert_eq!(w.reader.next_poll_at(), None);
    // Looked at again long after: polled at once (a poll is overdue).
    w.now += 10 * 60_000;
    w.reader.handle_note(watch_note("t1", true, &["a"]), w.now);
    w.run();
    assert_eq!(w.log.len(), 2);
    // It closes: nobody looks again.
    w.answer_all(graph_answer);
    w.reader.handle_tab_gone("t1");
    w.run();
    assert_eq!(w.reader.next_poll_at(), None);
}

#[test]
fn a_follower_announces_itself_and_takes_the_leaders_entries() {
    use presence_widgets::core::reader::Role;
    use presence_widgets::core::tabs::Note;
    let mut w = World::new(
        ProviderKind::Graph,
        Options {
            role: Role::Deciding,
            ..Options::default()
        },
    );
    w.watch(&["a"]);
    w.reader.handle_role(Role::Follow);
    w.run();
    assert_eq!(w.announced, 1, "it tells the leader what it watches");
    // A new leader: told again.
    w.reader.handle_note(Note::Lead, w.now);
    w.run();
    assert_eq!(w.announced, 2);
    let mut leader = World::new(ProviderKind::Graph, Options::default());
    leader.watch(&["a"]);
    leader.answer_all(graph_answer);
    let shared = leader.reader.registry().shared(&[UserId::new("a")]);
    w.reader.handle_note(Note::States(shared), w.now);
    w.run();
    assert_eq!(w.changed, [(UserId::new("a"), false)]);
    assert!(matches!(w.state("a"), State::Fresh(p) if p.availability == Availability::Available));
    assert!(w.log.is_empty(), "a follower reads nothing");
    // Leading, it says so to the others.
    w.reader.handle_role(Role::Lead);
    w.run();
    assert_eq!(w.told, [Note::Lead]);
}

#[test]
fn a_request_waiting_for_its_turn_is_not_sent_for_people_who_left() {
    let mut w = World::new(
        ProviderKind::Graph,
        Options {
            in_flight: 1,
            ..Options::default()
        },
    );
    w.watch(&["a"]);
    w.watch(&["b"]);
    assert_eq!(w.log.len(), 1, "one at a time");
    w.reader.unwatch(&UserId::new("b"));
    w.run();
    w.answer_all(graph_answer);
    assert!(
        w.log.iter().all(|r| !r.ids.contains(&UserId::new("b"))),
        "{:?}",
        w.log.iter().map(|r| r.ids.clone()).collect::<Vec<_>>()
    );
    assert!(w.reader.next_poll_at().is_some(), "the poll goes on");
}

#[test]
fn broadcast_off_is_checked_by_id_at_the_reconciliation_round_while_polls_use_the_cursor() {
    let mut w = pushed_rocketchat();
    let dated = |status: &'static str| {
        move |r: &HttpRequest| {
            rocketchat_answer(status)(r)
                .map(|a| a.with_header("Date", "Mon, 07 Dec 2026 10:00:00 GMT"))
        }
    };
    // The snapshot's answer gives a cursor: later polls of this person are deltas.
    w.answer_all(dated("online"));
    // Someone new is read by id, and the answer says the broadcast is off.
    w.watch(&["u2"]);
    w.answer_all(|_| {
        Ok(HttpResponse::new(
            200,
            r#"{"users":[],"full":true,"success":true}"#,
        ))
    });
    assert!(w
        .reader
        .mode()
        .reason()
        .unwrap()
        .contains("broadcast is off"));
    w.reader.unwatch(&UserId::new("u2"));
    w.run();
    let off_at = w.now;
    let asked = w.credentials_asked;
    let delta = |r: &HttpRequest| {
        assert!(r.url.contains("from="), "{}", r.url);
        Ok(
            HttpResponse::new(200, r#"{"users":[],"full":false,"success":true}"#)
                .with_header("Date", "Mon, 07 Dec 2026 10:01:00 GMT"),
        )
    };
    // Polls at the interval are deltas, which cannot say the broadcast is back; the
    // reconciliation round reads everyone by id.
    let mut deltas = 0;
    loop {
        w.advance();
        if w.sent.values().any(|r| !r.url.contains("from=")) {
            break;
        }
        if !w.sent.is_empty() {
            deltas += 1;
        }
        w.answer_all(delta);
        assert_eq!(w.credentials_asked, asked, "no push while off");
        assert!(w.now <= off_at + DEFAULT_RECONCILE_MS, "no ids read");
    }
    assert!(deltas > 0, "polled by the cursor meanwhile");
    assert!(w.now >= off_at + DEFAULT_RECONCILE_MS - 1_000);
    // It names people: the broadcast is back, and push is tried.
    w.answer_all(rocketchat_answer("online"));
    assert_eq!(w.credentials_asked, asked + 1, "push tried again");
}

#[cfg(feature = "write")]
#[test]
fn a_writes_hold_survives_a_poll_and_rolls_back_on_a_refusal() {
    use presence_widgets::core::Presence;
    let mut w = World::new(ProviderKind::Graph, Options::default());
    w.watch(&["a"]);
    w.answer_all(graph_answer);
    let busy = Presence::new(UserId::new("a"), ProviderKind::Graph, Availability::Busy);
    assert!(w.reader.handle_write_begun(&UserId::new("a"), busy));
    assert!(matches!(w.state("a"), State::Fresh(p) if p.availability == Availability::Busy));
    // A poll answers meanwhile with the old status: the write's status stays shown.
    w.advance();
    w.answer_all(graph_answer);
    assert!(matches!(w.state("a"), State::Fresh(p) if p.availability == Availability::Busy));
    // The service refuses the write: what it last said is shown again.
    assert!(w.reader.handle_write_ended(&UserId::new("a"), None, w.now));
    assert!(matches!(w.state("a"), State::Fresh(p) if p.availability == Availability::Available));
}

/// What can happen to a reader, for the property below.
#[derive(Clone, Debug)]
enum Event {
    Watch(u8),
    Unwatch(u8),
    AnswerOk,
    AnswerFail,
    Credentials,
    Opened,
    Frame(u8),
    Closed,
    Advance,
    Hidden(bool),
    WriteBegun(u8),
    WriteEnded(u8, bool),
}

/// A write begins (a build without writes has none): whether it does.
fn write_begun(reader: &mut Reader, id: &UserId, shown: presence_widgets::core::Presence) -> bool {
    #[cfg(feature = "write")]
    return {
        reader.handle_write_begun(id, shown);
        true
    };
    #[cfg(not(feature = "write"))]
    {
        let _ = (reader, id, shown);
        false
    }
}

fn write_ended(
    reader: &mut Reader,
    id: &UserId,
    confirmed: Option<presence_widgets::core::Presence>,
    now: u64,
) {
    #[cfg(feature = "write")]
    reader.handle_write_ended(id, confirmed, now);
    #[cfg(not(feature = "write"))]
    let _ = (reader, id, confirmed, now);
}

fn held(reader: &Reader, id: &UserId) -> bool {
    #[cfg(feature = "write")]
    return reader.registry().holding(id);
    #[cfg(not(feature = "write"))]
    {
        let _ = (reader, id);
        false
    }
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0u8..6).prop_map(Event::Watch),
        (0u8..6).prop_map(Event::Unwatch),
        Just(Event::AnswerOk),
        Just(Event::AnswerFail),
        Just(Event::Credentials),
        Just(Event::Opened),
        (0u8..5).prop_map(Event::Frame),
        Just(Event::Closed),
        Just(Event::Advance),
        any::<bool>().prop_map(Event::Hidden),
        (0u8..6).prop_map(Event::WriteBegun),
        ((0u8..6), any::<bool>()).prop_map(|(n, ok)| Event::WriteEnded(n, ok)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any sequence of events leaves no timer before the last `now` handed in, no request
    /// for an id after that id's last unwatch, and nobody both held and released (a write's
    /// hold lasts from its beginning to its end, never past it).
    #[test]
    fn any_sequence_keeps_timers_ahead_and_reads_only_the_watched(events in proptest::collection::vec(event(), 1..60)) {
        let mut w = World::new(ProviderKind::RocketChat, Options::default());
        let frames = [
            fixture("own/rocketchat-ddp-connected-01.json"),
            fixture("own/rocketchat-ddp-login-result-01.json"),
            fixture("own/rocketchat-ddp-ready-01.json"),
            fixture("own/rocketchat-ddp-changed-01.json"),
            "not json".to_owned(),
        ];
        let name = |n: u8| UserId::new(&if n == 0 { CAT.to_owned() } else { format!("u{n}") });
        // Whose writes began and have not ended.
        let mut writing: Vec<UserId> = Vec::new();
        for e in events {
            match e {
                Event::WriteBegun(n) => {
                    let busy = presence_widgets::core::Presence::new(name(n), ProviderKind::RocketChat, Availability::Busy);
                    if write_begun(&mut w.reader, &name(n), busy) {
                        writing.push(name(n));
                    }
                }
                Event::WriteEnded(n, ok) => {
                    let confirmed = ok.then(|| presence_widgets::core::Presence::new(name(n), ProviderKind::RocketChat, Availability::Busy));
                    write_ended(&mut w.reader, &name(n), confirmed, w.now);
                    writing.retain(|id| *id != name(n));
                    prop_assert!(!held(&w.reader, &name(n)), "released, still held");
                }
                Event::Watch(n) => {
                    let id = if n == 0 { CAT.to_owned() } else { format!("u{n}") };
                    w.reader.watch(&UserId::new(&id));
                }
                Event::Unwatch(n) => {
                    let id = if n == 0 { CAT.to_owned() } else { format!("u{n}") };
                    w.reader.unwatch(&UserId::new(&id));
                }
                Event::AnswerOk => w.answer_all(rocketchat_answer("online")),
                Event::AnswerFail => w.answer_all(|_| Err(PresenceError::Network { provider: ProviderKind::RocketChat, message: "down".into() })),
                Event::Credentials => w.credentials(rc_credentials()),
                Event::Opened => {
                    if let Some((s, _)) = w.opened.last().cloned() {
                        w.reader.handle_opened(s, w.now);
                    }
                }
                Event::Frame(n) => {
                    if !w.opened.is_empty() {
                        w.frame(&frames[usize::from(n)]);
                    }
                }
                Event::Closed => {
                    if let Some((s, _)) = w.opened.last().cloned() {
                        w.reader.handle_closed(s, 1006, w.now);
                    }
                }
                Event::Advance => {
                    if w.reader.next_timeout().is_some() {
                        w.advance();
                    }
                }
                Event::Hidden(h) => w.reader.handle_hidden(h),
            }
            // Every request is checked against who is watched as it is sent (`World::run`).
            w.run();
            if let Some(at) = w.reader.next_timeout() {
                prop_assert!(at >= w.now);
            }
            for n in 0..6 {
                prop_assert!(!held(&w.reader, &name(n)) || writing.contains(&name(n)), "held with no write");
            }
        }
    }
}
