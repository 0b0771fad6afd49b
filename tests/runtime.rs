//! The browser runtime against presence-sim, counting the requests the simulator received:
//! coalescing, batching, Rocket.Chat deltas, Retry-After, stale and recovery, unsubscribing, and a
//! 401 that asks the credentials callback again. `cargo xtask test` starts the simulator and
//! passes its URL in `PRESENCE_SIM_URL` at build time.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use presence_widgets::core::{
    Availability, Credentials, PresenceError, ProviderKind, Secret, State, UserId,
};
use presence_widgets::web::{use_presence, Auth, PresenceProvider, SourceConfig, Store, Stores};
use serde_json::json;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[wasm_bindgen_test]
async fn graph_1000_people_in_1500_widgets_cost_2_requests_per_poll() {
    clear_faults().await;
    let ids = people("graph").await;
    assert!(ids.len() >= 1000, "the simulator needs 1,000 Graph people");
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("graph-bench"),
        60_000,
    );
    let (before, _) = counted("graph", "getPresencesByUserId").await;
    let started = now();
    let subscriptions: Vec<_> = (0..1500)
        .map(|i| graph.subscribe(&ids[i % 1000], |_, _| {}))
        .collect();
    until(10_000, "1,000 presences", || graph.loaded() == 1000).await;
    let elapsed = now() - started;
    let (after, _) = counted("graph", "getPresencesByUserId").await;
    assert_eq!(after - before, 2, "1,000 ids in 650-id batches");
    assert_eq!(graph.requests_sent(), 2);
    console_log!(
        "benchmark: 1,000 Graph ids subscribed by 1,500 widgets: all presences in the store after {elapsed:.0} ms, {} requests",
        graph.requests_sent()
    );
    graph.poll_now();
    until(10_000, "a second poll", || graph.requests_sent() == 4).await;
    // Sent is not yet counted: wait for the simulator to have seen both.
    let mut polled = after;
    for _ in 0..500 {
        polled = counted("graph", "getPresencesByUserId").await.0;
        if polled >= after + 2 {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    assert_eq!(polled - after, 2, "a poll of 1,000 ids is 2 requests");
    assert_eq!(graph.requests_sent(), 4);
    drop(subscriptions);
}

#[wasm_bindgen_test]
async fn genesys_120_people_cost_3_bulk_requests() {
    clear_faults().await;
    let ids = people("genesys").await;
    let genesys = store(
        ProviderKind::Genesys,
        "genesys",
        bearer("genesys-test"),
        60_000,
    );
    let (before, _) = counted("genesys", "users/presences/bulk").await;
    let subscriptions: Vec<_> = ids[..120]
        .iter()
        .map(|id| genesys.subscribe(id, |_, _| {}))
        .collect();
    until(10_000, "120 presences", || genesys.loaded() == 120).await;
    let (after, asked) = counted("genesys", "users/presences/bulk").await;
    assert_eq!(after - before, 3);
    assert!(asked >= 120);
    // Labels came from the organisation's definitions.
    let state = genesys.state(&ids[0]);
    assert!(state.presence().is_some_and(|p| !p.label.is_empty()));
    drop(subscriptions);
}

#[wasm_bindgen_test]
async fn rocketchat_second_poll_uses_from() {
    clear_faults().await;
    let ids = people("rocketchat").await;
    let auth = Auth::Value(Credentials::RocketChat {
        user_id: format!("runtime-{}", now()),
        auth_token: Secret::new("rc-test"),
    });
    let rc = store(ProviderKind::RocketChat, "rocketchat", auth, 60_000);
    let (ids_before, _) = counted("rocketchat", "users.presence?ids").await;
    let (from_before, _) = counted("rocketchat", "users.presence?from").await;
    let subscriptions: Vec<_> = ids[..5]
        .iter()
        .map(|id| rc.subscribe(id, |_, _| {}))
        .collect();
    until(10_000, "5 presences", || rc.loaded() == 5).await;
    assert_eq!(
        counted("rocketchat", "users.presence?ids").await.0 - ids_before,
        1
    );
    let message = format!("Deploying build {}", now());
    sim_call(
        "PUT",
        &format!("/_sim/users/rocketchat/{}", ids[2]),
        Some(json!({"availability": "Busy", "message": message})),
    )
    .await;
    rc.poll_now();
    until(10_000, "the second poll", || rc.requests_sent() == 2).await;
    assert_eq!(
        rc.state(&ids[2]).presence().and_then(|p| p.message.clone()),
        Some(message)
    );
    assert_eq!(
        counted("rocketchat", "users.presence?from").await.0 - from_before,
        1,
        "the second poll continues from the cursor"
    );
    assert_eq!(
        counted("rocketchat", "users.presence?ids").await.0 - ids_before,
        1,
        "and asks by id no more"
    );
    assert_eq!(
        rc.state(&ids[2]).presence().map(|p| p.availability),
        Some(Availability::Busy)
    );
    drop(subscriptions);
}

#[wasm_bindgen_test]
async fn retry_after_delays_the_next_poll() {
    clear_faults().await;
    let ids = people("graph").await;
    // A long interval, so that only this test's polls happen.
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("graph-429"),
        60_000,
    );
    let _subscription = graph.subscribe(&ids[0], |_, _| {});
    until(10_000, "a presence", || graph.loaded() == 1).await;
    inject(json!({"provider": "graph", "http_429": 1.0, "retry_after_ms": 5000})).await;
    let asked_ms = presence_widgets::web::transport::now_ms();
    graph.poll_now();
    until(10_000, "the 429", || {
        graph.last_error().is_some_and(|e| e.is_rate_limited())
    })
    .await;
    clear_faults().await;
    // The simulator said `Retry-After: 5.000`; the first backoff alone is at most 2 s.
    let due = graph.next_poll_at_ms();
    assert!(
        due >= asked_ms + 5_000,
        "next poll in {} ms",
        due.saturating_sub(asked_ms)
    );
    // Confirmed a moment ago: shown as it was, with the reason, until three intervals pass.
    assert!(matches!(graph.state(&ids[0]), State::Failing { .. }));
}

#[wasm_bindgen_test]
async fn a_500_keeps_the_last_presence_marked_stale_and_the_next_success_clears_it() {
    clear_faults().await;
    let ids = people("graph").await;
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{}", ids[7]),
        Some(json!({"availability": "Away", "message": "Walk"})),
    )
    .await;
    // Polled every second: stale three seconds after the last good answer.
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("graph-500"),
        1_000,
    );
    let seen = Rc::new(Cell::new(0));
    let count = seen.clone();
    let _subscription = graph.subscribe(&ids[7], move |_, _| count.set(count.get() + 1));
    until(10_000, "a fresh presence", || {
        matches!(graph.state(&ids[7]), State::Fresh(_))
    })
    .await;
    inject(json!({"provider": "graph", "http_500": 1.0})).await;
    graph.poll_now();
    until(10_000, "the failure", || {
        !matches!(graph.state(&ids[7]), State::Fresh(_))
    })
    .await;
    until(10_000, "the stale mark", || {
        matches!(graph.state(&ids[7]), State::Stale { .. })
    })
    .await;
    match graph.state(&ids[7]) {
        State::Stale {
            presence, error, ..
        } => {
            assert_eq!(presence.availability, Availability::Away);
            assert_eq!(presence.message.as_deref(), Some("Walk"));
            assert_eq!(error.status(), Some(500));
        }
        other => panic!("{other:?}"),
    }
    clear_faults().await;
    graph.poll_now();
    until(10_000, "recovery", || {
        matches!(graph.state(&ids[7]), State::Fresh(_))
    })
    .await;
    assert_eq!(
        seen.get(),
        4,
        "loaded, failing, stale, fresh: one notification each"
    );
}

#[wasm_bindgen_test]
async fn unsubscribed_ids_leave_the_next_plan() {
    clear_faults().await;
    let ids = people("graph").await;
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("graph-unsub"),
        60_000,
    );
    let mut subscriptions: Vec<_> = ids[20..23]
        .iter()
        .map(|id| graph.subscribe(id, |_, _| {}))
        .collect();
    until(10_000, "3 presences", || graph.loaded() == 3).await;
    subscriptions.remove(1);
    assert_eq!(graph.ids().len(), 2);
    let (before, asked_before) = counted("graph", "getPresencesByUserId").await;
    graph.poll_now();
    until(10_000, "a poll", || graph.requests_sent() == 2).await;
    let (after, asked_after) = counted("graph", "getPresencesByUserId").await;
    assert_eq!((after - before, asked_after - asked_before), (1, 2));
    assert_eq!(
        graph.state(&ids[21]),
        State::Loading,
        "nobody shows them any more"
    );
}

#[wasm_bindgen_test]
async fn a_401_asks_the_credentials_callback_again_once() {
    clear_faults().await;
    let ids = people("genesys").await;
    sim_call(
        "POST",
        "/_sim/auth/revoke",
        Some(json!({"provider": "genesys", "token": "expired-token"})),
    )
    .await;
    let calls = Rc::new(Cell::new(0u32));
    let counter = calls.clone();
    let callback = Auth::Callback(Rc::new(move || {
        let n = counter.get() + 1;
        counter.set(n);
        Box::pin(async move {
            let token = if n == 1 {
                "expired-token"
            } else {
                "renewed-token"
            };
            Ok(Credentials::Bearer(Secret::new(token)))
        })
    }));
    let genesys = store(ProviderKind::Genesys, "genesys", callback, 60_000);
    let _subscription = genesys.subscribe(&ids[3], |_, _| {});
    until(10_000, "a presence with renewed credentials", || {
        genesys.loaded() == 1
    })
    .await;
    assert_eq!(calls.get(), 2, "asked once, then again after the 401");
    assert!(matches!(genesys.state(&ids[3]), State::Fresh(_)));

    // Fixed credentials that are revoked: an auth error, never loaded.
    let revoked = store(
        ProviderKind::Genesys,
        "genesys",
        bearer("expired-token"),
        60_000,
    );
    let _s = revoked.subscribe(&ids[4], |_, _| {});
    until(10_000, "the auth error", || {
        matches!(revoked.state(&ids[4]), State::Error(_))
    })
    .await;
    assert!(revoked
        .state(&ids[4])
        .error()
        .is_some_and(PresenceError::is_unauthorized));
    sim_call("DELETE", "/_sim/auth/revoke", None).await;
}

#[wasm_bindgen_test]
async fn superoffice_asks_per_associate_and_refuses_bad_config() {
    clear_faults().await;
    let ids = people("superoffice").await;
    let auth = Auth::Value(Credentials::superoffice("SOTicket 7T:abc", None).unwrap());
    let so = store(ProviderKind::SuperOffice, "superoffice", auth, 60_000);
    let (before, _) = counted("superoffice", "GetUserPresenceStatus").await;
    let subscriptions: Vec<_> = ids[..9]
        .iter()
        .map(|id| so.subscribe(id, |_, _| {}))
        .collect();
    let bad = so.subscribe(&UserId::new("not-a-number"), |_, _| {});
    until(10_000, "9 presences", || so.loaded() == 9).await;
    assert_eq!(
        counted("superoffice", "GetUserPresenceStatus").await.0 - before,
        9
    );
    assert!(matches!(
        so.state(&UserId::new("not-a-number")),
        State::Error(PresenceError::Config(_))
    ));
    drop((subscriptions, bad));

    let http = SourceConfig::new(
        "plain",
        ProviderKind::Graph,
        "http://graph.example.com/v1.0",
        bearer("t"),
    );
    assert!(matches!(Store::new(http), Err(PresenceError::Config(m)) if m.contains("https")));
    let wrong = SourceConfig::new(
        "wrong",
        ProviderKind::RocketChat,
        "https://chat.example.com",
        bearer("t"),
    );
    assert!(Store::new(wrong).is_err());
}

#[derive(Properties, PartialEq)]
struct BadgeProps {
    id: AttrValue,
}

#[component]
fn Probe(props: &BadgeProps) -> Html {
    let state = use_presence("graph-probe", &props.id);
    let text = match &state {
        State::Loading => "loading".to_owned(),
        State::Fresh(p) => format!("fresh: {}", p.description()),
        State::Failing { presence, .. } => format!("failing: {}", presence.description()),
        State::Stale { presence, .. } => format!("stale: {}", presence.description()),
        State::Error(e) => format!("error: {e}"),
    };
    html! { <span class="probe">{ text }</span> }
}

#[component]
fn Nowhere() -> Html {
    let state = use_presence("no-such-source", "x");
    let text = state.error().map(ToString::to_string).unwrap_or_default();
    html! { <span class="nowhere">{ text }</span> }
}

#[derive(Properties, PartialEq)]
struct AppProps {
    stores: Stores,
    id: AttrValue,
}

#[component]
fn ProbeApp(props: &AppProps) -> Html {
    html! {
        <PresenceProvider stores={props.stores.clone()}>
            <Probe id={props.id.clone()} />
            <Nowhere />
        </PresenceProvider>
    }
}

#[wasm_bindgen_test]
async fn use_presence_renders_the_store_state() {
    clear_faults().await;
    let ids = people("graph").await;
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{}", ids[9]),
        Some(json!({"availability": "Busy", "activity": "InAMeeting"})),
    )
    .await;
    let mut config = SourceConfig::new(
        "graph-probe",
        ProviderKind::Graph,
        &format!("{}/graph/v1.0", sim()),
        bearer("hook"),
    );
    config.interval_ms = Some(60_000);
    let stores = Stores::new([Store::new(config).unwrap()]);
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props = AppProps {
        stores,
        id: AttrValue::from(ids[9].as_str().to_owned()),
    };
    yew::Renderer::<ProbeApp>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let text = || {
        root.query_selector(".probe")
            .unwrap()
            .map(|e| e.text_content().unwrap_or_default())
            .unwrap_or_default()
    };
    let first = text();
    assert!(first == "loading" || first.starts_with("fresh"), "{first}");
    let mut waited = 0;
    while !text().starts_with("fresh") {
        assert!(waited < 10_000, "still `{}`", text());
        TimeoutFuture::new(20).await;
        yew::scheduler::flush().await;
        waited += 20;
    }
    assert_eq!(text(), "fresh: Busy, in a meeting");
    let nowhere = root
        .query_selector(".nowhere")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        nowhere.contains("no presence source named `no-such-source`"),
        "{nowhere}"
    );
}

/// Makes the page look hidden or shown, as a tab switch would, and tells the listeners.
fn set_hidden(hidden: bool) {
    let script = format!(
        "Object.defineProperty(document, 'hidden', {{ value: {hidden}, configurable: true }}); \
         document.dispatchEvent(new Event('visibilitychange'));"
    );
    js_sys::eval(&script).unwrap();
}

#[wasm_bindgen_test]
async fn polling_pauses_while_the_page_is_hidden_and_resumes_at_once() {
    clear_faults().await;
    let ids = people("graph").await;
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("graph-hidden"),
        60_000,
    );
    let _subscription = graph.subscribe(&ids[30], |_, _| {});
    until(10_000, "a presence", || graph.loaded() == 1).await;
    until(10_000, "a planned poll", || graph.next_poll_at_ms() > 0).await;
    set_hidden(true);
    assert_eq!(
        graph.next_poll_at_ms(),
        0,
        "no poll is planned while hidden"
    );
    let sent = graph.requests_sent();
    set_hidden(false);
    until(10_000, "the poll on showing", || {
        graph.requests_sent() == sent + 1
    })
    .await;
    until(10_000, "the next planned poll", || {
        graph.next_poll_at_ms() > 0
    })
    .await;
}

#[wasm_bindgen_test]
async fn stores_registered_by_name_are_shared() {
    clear_faults().await;
    let ids = people("graph").await;
    let base = format!("{}/graph/v1.0", sim());
    let first = presence_widgets::web::configure(SourceConfig::new(
        "shared",
        ProviderKind::Graph,
        &base,
        bearer("shared"),
    ))
    .unwrap();
    assert_eq!(presence_widgets::web::store("shared"), Some(first.clone()));
    assert!(presence_widgets::web::stores().get("shared").is_some());
    // Two widgets, one from each side, cost one request.
    let a = first.subscribe(&ids[40], |_, _| {});
    let b = presence_widgets::web::store("shared")
        .unwrap()
        .subscribe(&ids[40], |_, _| {});
    until(10_000, "a presence", || first.loaded() == 1).await;
    assert_eq!(first.requests_sent(), 1);
    drop((a, b));
    let replaced = presence_widgets::web::configure(SourceConfig::new(
        "shared",
        ProviderKind::Graph,
        &base,
        bearer("other"),
    ))
    .unwrap();
    assert_ne!(replaced, first);
    assert_eq!(presence_widgets::web::store("shared"), Some(replaced));
    let err = presence_widgets::web::configure(SourceConfig::new(
        "",
        ProviderKind::Graph,
        &base,
        bearer("t"),
    ))
    .unwrap_err();
    assert!(matches!(err, PresenceError::Config(_)));
    assert_eq!(presence_widgets::web::stores().names().count(), 1);
}

/// Two stores of one source in one page share it as two tabs of one origin do (Web Locks and a
/// `BroadcastChannel`): the first leads and reads for both; the other reads nothing itself and
/// shows what the leader read; a store that is gone costs the leader its people; when the leader
/// is gone, the next store leads and reads, keeping what it showed.
#[wasm_bindgen_test]
async fn stores_of_one_source_share_it_as_tabs_do() {
    clear_faults().await;
    let ids = people("graph").await;
    for (id, availability) in [
        (&ids[50], "Busy"),
        (&ids[51], "Away"),
        (&ids[52], "Available"),
    ] {
        sim_call(
            "PUT",
            &format!("/_sim/users/graph/{id}"),
            Some(json!({ "availability": availability })),
        )
        .await;
    }
    let config = || {
        let mut c = SourceConfig::new(
            "tabs-shared",
            ProviderKind::Graph,
            &format!("{}/graph/v1.0", sim()),
            bearer("tabs"),
        );
        c.interval_ms = Some(60_000);
        c
    };
    let leader = Store::new(config()).unwrap();
    let mine = leader.subscribe(&ids[51], |_, _| {});
    until(10_000, "the leader's presence", || leader.loaded() == 1).await;
    assert_eq!(leader.requests_sent(), 1);

    let follower = Store::new(config()).unwrap();
    let seen = Rc::new(Cell::new(0));
    let heard = seen.clone();
    let theirs = follower.subscribe(&ids[50], move |_, _| heard.set(heard.get() + 1));
    until(10_000, "the follower's person, read by the leader", || {
        follower.loaded() == 1
    })
    .await;
    assert!(
        matches!(follower.state(&ids[50]), State::Fresh(p) if p.availability == Availability::Busy)
    );
    assert!(seen.get() >= 1, "the follower's widget heard of it");
    assert_eq!(follower.requests_sent(), 0, "the follower sent nothing");
    assert_eq!(
        leader.requests_sent(),
        2,
        "the leader read the follower's person"
    );
    assert!(leader.ids().contains(&ids[50]));

    // A third store comes and goes: the leader lets go of the person only it showed.
    let third = Store::new(config()).unwrap();
    let gone = third.subscribe(&ids[52], |_, _| {});
    until(10_000, "the third store's person", || third.loaded() == 1).await;
    assert!(leader.ids().contains(&ids[52]));
    drop(gone);
    drop(third);
    until(10_000, "the leader letting go", || {
        !leader.ids().contains(&ids[52])
    })
    .await;

    // The leader is gone: the follower leads, reads what it shows, and kept it meanwhile.
    drop(mine);
    drop(leader);
    until(10_000, "the follower leading and reading", || {
        follower.requests_sent() >= 1
    })
    .await;
    assert!(follower.state(&ids[50]).presence().is_some());
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{}", ids[50]),
        Some(json!({ "availability": "DoNotDisturb" })),
    )
    .await;
    follower.poll_now();
    until(10_000, "the new leader's own read", || {
        matches!(follower.state(&ids[50]), State::Fresh(p) if p.availability == Availability::DoNotDisturb)
    })
    .await;
    drop(theirs);
}
