//! `<presence-status-picker>` as a person uses it, against presence-sim's writes (features
//! `element` and `write`): opened and moved through with the keyboard (the ARIA menu-button
//! pattern), a pick shown at once on every widget of that person and held until the service
//! answers, a refusal rolled back with the service's reason, and the events.
#![cfg(all(target_arch = "wasm32", feature = "element", feature = "write"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_widgets::web::elements::configure_js;
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

fn active_text(picker: &Element) -> String {
    picker
        .shadow_root()
        .unwrap()
        .active_element()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

/// Clicks `target` as a script or a screen reader would (a click without a pointer).
fn click(target: &Element) {
    use wasm_bindgen::JsCast;
    target.dyn_ref::<web_sys::HtmlElement>().unwrap().click();
}

fn badge_label(badge: &Element) -> String {
    attrs(&shadow(badge), ".presence-dot", "aria-label")
        .pop()
        .unwrap_or_default()
}

/// What the sim says of `id` now.
async fn sim_availability(id: &str) -> String {
    let person = sim_call("GET", &format!("/_sim/users/graph/{id}"), None).await;
    person["availability"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Configures the Graph source `source` with `token`, which acts as `acts_as` at the simulator
/// and may write only them.
async fn graph_source_as(source: &str, token: &str, acts_as: &str) {
    sim_call(
        "PUT",
        "/_sim/writers",
        Some(json!({"provider": "graph", "token": token, "as": acts_as, "others": false})),
    )
    .await;
    let problems = configure_js(
        js_sys::JSON::parse(
            &json!({ "sources": { source: {
                "kind": "graph", "baseUrl": format!("{}/graph/v1.0", sim()), "token": token, "intervalMs": 60000,
            }}})
            .to_string(),
        )
        .unwrap(),
    );
    assert!(problems.is_empty(), "{problems:?}");
}

/// A picker and a badge of `user` at `source`, added to `root` in that order.
fn picker_and_badge(root: &Element, source: &str, user: &str) -> (Element, Element) {
    let picker = element(
        "presence-status-picker",
        &[("source", source), ("user", user)],
    );
    let badge = element("presence-badge", &[("source", source), ("user", user)]);
    root.append_child(&picker).unwrap();
    root.append_child(&badge).unwrap();
    (picker.into(), badge.into())
}

#[wasm_bindgen_test]
async fn the_picker_is_a_menu_button_and_a_pick_shows_at_once_and_holds() {
    clear_faults().await;
    let ids = people("graph").await;
    let me = ids[170].as_str().to_owned();
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{me}"),
        Some(json!({"availability": "Available"})),
    )
    .await;
    graph_source_as("pick", "picker-me", &me).await;
    let root = fresh_root();
    let set = record(&root, "presence-set");
    let (picker, badge) = picker_and_badge(&root, "pick", &me);
    rendered_until(10_000, "the person's status", || {
        badge_label(&badge) == "Available"
    })
    .await;

    let inside = shadow(&picker);
    let button = inside.query_selector("button").unwrap().unwrap();
    assert_eq!(
        button.get_attribute("aria-haspopup").as_deref(),
        Some("menu")
    );
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(button
        .get_attribute("aria-label")
        .unwrap()
        .contains("Available"));

    // A click (what Enter and Space on the button are, and what a screen reader sends) opens
    // the menu on its first item; the arrows move, wrapping; Escape closes it and gives the
    // focus back to the button.
    click(&button);
    rendered_until(2_000, "the menu", || {
        !all(&inside, "[role=menu]").is_empty()
    })
    .await;
    rendered_until(2_000, "the first item focused", || {
        active_text(&picker) == "Available"
    })
    .await;
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    let items = texts(&inside, "[role^=menuitem]");
    assert_eq!(
        items,
        [
            "Available",
            "Busy",
            "Do not disturb",
            "Be right back",
            "Away",
            "Offline",
            "Reset status",
            "Status message…"
        ]
    );
    assert_eq!(
        attrs(&inside, "[role=menuitemradio][aria-checked=true]", "role").len(),
        1,
        "the current status is checked"
    );
    // Graph's caveat is said beside the menu.
    assert!(texts(&inside, ".presence-picker__note")[0].contains("signed in"));
    let menu = inside.query_selector("[role=menu]").unwrap().unwrap();
    press(&menu, "ArrowUp");
    rendered_until(2_000, "the last item", || {
        active_text(&picker) == "Status message…"
    })
    .await;
    press(&menu, "ArrowDown");
    rendered_until(2_000, "back to the first", || {
        active_text(&picker) == "Available"
    })
    .await;
    press(&menu, "End");
    press(&menu, "Home");
    press(&menu, "ArrowDown");
    rendered_until(2_000, "Busy", || active_text(&picker) == "Busy").await;
    press(&menu, "Escape");
    rendered_until(2_000, "the menu closed", || {
        all(&inside, "[role=menu]").is_empty()
    })
    .await;
    let focused = picker.shadow_root().unwrap().active_element().unwrap();
    assert_eq!(focused.tag_name(), "BUTTON", "focus is back on the button");

    // Busy, picked while the service is slow: every widget of the person shows it at once.
    inject(json!({"provider": "graph", "latency_ms": 1500})).await;
    press(&button, "ArrowDown");
    rendered_until(2_000, "the menu", || active_text(&picker) == "Available").await;
    let menu = inside.query_selector("[role=menu]").unwrap().unwrap();
    press(&menu, "ArrowDown");
    rendered_until(2_000, "Busy", || active_text(&picker) == "Busy").await;
    press(&menu, "Enter");
    rendered_until(1_000, "Busy shown at once", || {
        badge_label(&badge) == "Busy"
    })
    .await;
    assert!(set.borrow().is_empty(), "shown before the service answered");
    // A poll answered meanwhile (read before the write) does not undo it.
    presence_widgets::web::store("pick").unwrap().poll_now();
    rendered_until(10_000, "the write's answer", || !set.borrow().is_empty()).await;
    assert_eq!(badge_label(&badge), "Busy");
    assert_eq!(set.borrow()[0]["status"], "Busy");
    assert_eq!(set.borrow()[0]["user"], me.as_str());
    clear_faults().await;
    assert_eq!(sim_availability(&me).await, "Busy");
    root.remove_child(&picker).unwrap();
    root.remove_child(&badge).unwrap();
}

#[wasm_bindgen_test]
async fn a_refused_pick_rolls_back_with_the_reason_and_nothing_is_sent_twice() {
    clear_faults().await;
    let ids = people("graph").await;
    let (me, other) = (ids[171].as_str().to_owned(), ids[172].as_str().to_owned());
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{other}"),
        Some(json!({"availability": "Away"})),
    )
    .await;
    graph_source_as("refused", "picker-refused", &me).await;
    let root = fresh_root();
    let errors = record(&root, "presence-set-error");
    // A picker for someone else: the token may write only its own person.
    let (picker, badge) = picker_and_badge(&root, "refused", &other);
    rendered_until(10_000, "the person's status", || {
        badge_label(&badge) == "Away"
    })
    .await;
    let (_, writes_before) = counted("graph", "setUserPreferredPresence").await;

    inject(json!({"provider": "graph", "latency_ms": 800})).await;
    let inside = shadow(&picker);
    let button = inside.query_selector("button").unwrap().unwrap();
    click(&button);
    rendered_until(2_000, "the menu", || active_text(&picker) == "Available").await;
    let menu = inside.query_selector("[role=menu]").unwrap().unwrap();
    press(&menu, "Enter");
    rendered_until(1_000, "Available shown at once", || {
        badge_label(&badge) == "Available"
    })
    .await;
    // A second pick while the first is in flight (a double click) sends nothing.
    let store = presence_widgets::web::store("refused").unwrap();
    let second = store
        .write(
            &presence_widgets::core::UserId::new(other.as_str()),
            presence_widgets::core::StatusWrite {
                status: Some("Busy".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(second.unwrap_err().to_string().contains("in flight"));
    rendered_until(10_000, "the refusal", || !errors.borrow().is_empty()).await;
    clear_faults().await;
    assert_eq!(badge_label(&badge), "Away", "rolled back");
    assert_eq!(errors.borrow()[0]["error"]["status"], 403);
    let alert = texts(&inside, "[role=alert]");
    assert!(
        alert[0].starts_with("Your status was not changed"),
        "{alert:?}"
    );
    let (_, writes_after) = counted("graph", "setUserPreferredPresence").await;
    assert_eq!(writes_after - writes_before, 1, "one write sent");
    assert_eq!(sim_availability(&other).await, "Away");

    // Refused before any request: an unknown status, an expiry in the past.
    let unknown = presence_widgets::core::StatusWrite {
        status: Some("Presenting".into()),
        ..Default::default()
    };
    let me_id = presence_widgets::core::UserId::new(me.as_str());
    assert!(store
        .write(&me_id, unknown)
        .await
        .unwrap_err()
        .to_string()
        .contains("not a status"));
    let past = presence_widgets::core::StatusWrite {
        status: Some("Busy".into()),
        expires_ms: Some(1),
        ..Default::default()
    };
    assert!(store
        .write(&me_id, past)
        .await
        .unwrap_err()
        .to_string()
        .contains("in the past"));
    let (_, writes_last) = counted("graph", "setUserPreferredPresence").await;
    assert_eq!(
        writes_last, writes_after,
        "nothing sent for what the service would refuse"
    );

    // A write in flight when its picker is removed still ends, and is reported on nothing.
    inject(json!({"provider": "graph", "latency_ms": 600})).await;
    let set = record(&root, "presence-set");
    let (mine, my_badge) = picker_and_badge(&root, "refused", &me);
    rendered_until(10_000, "my status", || {
        !badge_label(&my_badge).is_empty() && !badge_label(&my_badge).contains("Loading")
    })
    .await;
    let my_button = shadow(&mine).query_selector("button").unwrap().unwrap();
    click(&my_button);
    rendered_until(2_000, "the menu", || active_text(&mine) == "Available").await;
    let menu = shadow(&mine)
        .query_selector("[role=menu]")
        .unwrap()
        .unwrap();
    press(&menu, "End");
    press(&menu, "ArrowUp");
    press(&menu, "ArrowUp");
    rendered_until(2_000, "Offline", || active_text(&mine) == "Offline").await;
    press(&menu, "Enter");
    root.remove_child(&mine).unwrap();
    until(10_000, "the write's end", || !store.writing(&me_id)).await;
    clear_faults().await;
    assert_eq!(sim_availability(&me).await, "Offline");
    rendered_until(2_000, "the badge", || {
        badge_label(&my_badge) == "Offline, off work"
    })
    .await;
    assert!(set.borrow().is_empty(), "no event from a removed picker");
}

/// Each service takes a write from a page of another origin (the test page is not the
/// simulator's): POST for Graph, Rocket.Chat and SuperOffice, PATCH for Genesys, each with its
/// credentials' headers, through the simulator's CORS preflight.
#[wasm_bindgen_test]
async fn every_service_takes_a_write_from_a_page_of_another_origin() {
    use presence_widgets::core::{Availability, Credentials, ProviderKind, Secret, StatusWrite};
    use presence_widgets::web::Auth;
    clear_faults().await;
    for (kind, name, prefix) in [
        (ProviderKind::Graph, "graph", "graph/v1.0"),
        (ProviderKind::RocketChat, "rocketchat", "rocketchat"),
        (ProviderKind::Genesys, "genesys", "genesys"),
        (ProviderKind::SuperOffice, "superoffice", "superoffice"),
    ] {
        let me = people(name).await[180].clone();
        sim_call(
            "PUT",
            &format!("/_sim/users/{name}/{me}"),
            Some(json!({"availability": "Available"})),
        )
        .await;
        let token = format!("writer-{name}");
        let auth = match kind {
            ProviderKind::RocketChat => Auth::Value(Credentials::RocketChat {
                user_id: me.as_str().into(),
                auth_token: Secret::new(token.as_str()),
            }),
            ProviderKind::SuperOffice => {
                Auth::Value(Credentials::superoffice(&format!("Bearer {token}"), None).unwrap())
            }
            _ => bearer(&token),
        };
        if kind != ProviderKind::RocketChat {
            sim_call(
                "PUT",
                "/_sim/writers",
                Some(json!({"provider": name, "token": token, "as": me.as_str(), "others": false})),
            )
            .await;
        }
        let store = store(kind, prefix, auth, 60_000);
        let _subscription = store.subscribe(&me, |_, _| {});
        until(10_000, "the first presence", || store.loaded() == 1).await;
        store.learn_choices().await;
        let away = store
            .choices()
            .into_iter()
            .find(|c| c.availability == Availability::Away && c.activity.is_none())
            .unwrap_or_else(|| panic!("{name}: an Away status to pick"));
        let write = StatusWrite {
            status: Some(away.value.clone()),
            ..Default::default()
        };
        store
            .write(&me, write)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            store.state(&me).presence().map(|p| p.availability),
            Some(Availability::Away),
            "{name}"
        );
        let person = sim_call("GET", &format!("/_sim/users/{name}/{me}"), None).await;
        assert_eq!(person["availability"], "Away", "{name}: {person}");
    }
}
