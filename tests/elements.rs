//! The custom elements as a plain page uses them (feature `element`): `configure()` reports bad
//! sources without throwing and the elements naming them show why; a badge fires
//! `presence-change`, follows attribute changes and lets go of its person when removed; a list
//! reacts to `group`.
#![cfg(all(target_arch = "wasm32", feature = "element"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_widgets::core::UserId;
use presence_widgets::web::elements::configure_js;
use serde_json::json;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

fn options(value: serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

#[wasm_bindgen_test]
async fn bad_sources_are_reported_not_thrown_and_shown_on_their_elements() {
    let problems = configure_js(options(json!({ "sources": {
        "wrong-kind": { "kind": "teams", "baseUrl": "https://example.com" },
        "plain-http": { "kind": "graph", "baseUrl": "http://graph.example.com/v1.0", "token": "t" },
        "no-auth": { "kind": "rocketchat", "baseUrl": "https://chat.example.com" },
    }})));
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("unknown kind `teams`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .all(|p| p.matches("configuration").count() == 1),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("http")), "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`userId` and `authToken`")),
        "{problems:?}"
    );
    assert!(!configure_js(JsValue::from(42)).is_empty());

    let root = fresh_root();
    let badge = element("presence-badge", &[("source", "no-auth"), ("user", "u1")]);
    let errors = record(&badge, "presence-error");
    root.append_child(&badge).unwrap();
    rendered_until(2_000, "the error state", || {
        !all(&shadow(&badge), ".presence-badge--error").is_empty()
    })
    .await;
    let title = attrs(&shadow(&badge), ".presence-badge", "title").remove(0);
    assert!(title.contains("`userId` and `authToken`"), "{title}");
    assert_eq!(errors.borrow().len(), 1);
    assert_eq!(errors.borrow()[0]["source"], "no-auth");
    assert_eq!(errors.borrow()[0]["error"]["kind"], "config");
}

#[wasm_bindgen_test]
async fn a_badge_fires_presence_change_follows_its_attributes_and_lets_go_when_removed() {
    clear_faults().await;
    let ids = people("graph").await;
    let (first, second) = (&ids[160], &ids[161]);
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{first}"),
        Some(json!({"availability": "Busy", "activity": "InACall"})),
    )
    .await;
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{second}"),
        Some(json!({"availability": "BeRightBack"})),
    )
    .await;
    let problems = configure_js(options(json!({ "sources": { "el-graph": {
        "kind": "graph", "baseUrl": format!("{}/graph/v1.0", sim()), "token": "elements", "intervalMs": 60000,
    }}})));
    assert!(problems.is_empty(), "{problems:?}");
    let root = fresh_root();
    let badge = element(
        "presence-badge",
        &[
            ("source", "el-graph"),
            ("user", first.as_str()),
            ("show-label", ""),
        ],
    );
    let changes = record(&root, "presence-change");
    root.append_child(&badge).unwrap();
    rendered_until(10_000, "the first presence", || {
        !changes.borrow().is_empty()
    })
    .await;
    assert_eq!(changes.borrow()[0]["user"], first.as_str());
    assert_eq!(changes.borrow()[0]["availability"], "Busy");
    assert_eq!(changes.borrow()[0]["activity"], "InACall");
    rendered_until(2_000, "the label", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Busy, in a call"]
    })
    .await;
    let parts = attrs(&shadow(&badge), "[part]", "part");
    assert!(parts.contains(&"base".to_owned()) && parts.contains(&"dot".to_owned()));

    badge.set_attribute("user", second.as_str()).unwrap();
    rendered_until(10_000, "the other person", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Be right back"]
    })
    .await;
    let store = presence_widgets::web::store("el-graph").unwrap();
    assert!(store.ids().contains(second));
    assert!(!store.ids().contains(first), "the first person is let go");

    badge.set_attribute("size", "huge").unwrap();
    yew::scheduler::flush().await;
    assert_eq!(attrs(&shadow(&badge), ".presence-dot", "width"), ["16"]);

    root.remove_child(&badge).unwrap();
    until(2_000, "the person let go", || store.ids().is_empty()).await;
}

#[wasm_bindgen_test]
async fn a_list_element_groups_when_asked() {
    clear_faults().await;
    let ids = people("graph").await;
    let users: Vec<&str> = ids[170..176].iter().map(UserId::as_str).collect();
    configure_js(options(json!({ "sources": { "el-list": {
        "kind": "graph", "baseUrl": format!("{}/graph/v1.0", sim()), "token": "elements-list", "intervalMs": 60000,
    }}})));
    let root = fresh_root();
    let list = element(
        "presence-list",
        &[("source", "el-list"), ("users", &users.join(", "))],
    );
    root.append_child(&list).unwrap();
    rendered_until(10_000, "the rows", || {
        let s = shadow(&list);
        all(&s, "[role=option]").len() == 6 && all(&s, ".presence-badge--loading").is_empty()
    })
    .await;
    assert!(all(&shadow(&list), ".presence-row--header").is_empty());
    list.set_attribute("group", "").unwrap();
    rendered_until(2_000, "the headings", || {
        !all(&shadow(&list), ".presence-row--header").is_empty()
    })
    .await;
    list.set_attribute("no-filter", "").unwrap();
    rendered_until(2_000, "no filter box", || {
        all(&shadow(&list), ".presence-list__filter").is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_badge_moved_elsewhere_in_the_page_keeps_showing_its_person() {
    clear_faults().await;
    let ids = people("graph").await;
    let person = &ids[165];
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{person}"),
        Some(json!({"availability": "Away"})),
    )
    .await;
    configure_js(options(json!({ "sources": { "el-move": {
        "kind": "graph", "baseUrl": format!("{}/graph/v1.0", sim()), "token": "elements-move", "intervalMs": 60000,
    }}})));
    let (here, there) = (fresh_root(), fresh_root());
    let badge = element(
        "presence-badge",
        &[("source", "el-move"), ("user", person.as_str())],
    );
    here.append_child(&badge).unwrap();
    rendered_until(10_000, "the presence", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Away"]
    })
    .await;
    let store = presence_widgets::web::store("el-move").unwrap();
    let sent = store.requests_sent();
    there.append_child(&badge).unwrap();
    rendered_until(2_000, "the moved badge", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Away"]
    })
    .await;
    let containers = badge
        .shadow_root()
        .unwrap()
        .query_selector_all(".presence-host")
        .unwrap()
        .length();
    assert_eq!(containers, 1, "one app, not one per connection");
    assert_eq!(store.ids(), vec![person.clone()]);
    // A poll asked for after the move runs after everything the move set going: once it has
    // been answered, any request the move made would have been sent before it.
    store.poll_now();
    until(10_000, "the poll", || store.requests_sent() > sent).await;
    rendered_until(10_000, "the poll's answer", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Away"]
    })
    .await;
    assert_eq!(
        store.requests_sent(),
        sent + 1,
        "the move itself asked nothing"
    );
}

#[wasm_bindgen_test]
async fn a_listener_that_sets_an_attribute_synchronously_is_obeyed() {
    clear_faults().await;
    let ids = people("graph").await;
    let (first, second) = (ids[166].clone(), ids[167].clone());
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{first}"),
        Some(json!({"availability": "Busy"})),
    )
    .await;
    sim_call(
        "PUT",
        &format!("/_sim/users/graph/{second}"),
        Some(json!({"availability": "DoNotDisturb"})),
    )
    .await;
    configure_js(options(json!({ "sources": { "el-listener": {
        "kind": "graph", "baseUrl": format!("{}/graph/v1.0", sim()), "token": "elements-listener", "intervalMs": 60000,
    }}})));
    let root = fresh_root();
    let badge = element(
        "presence-badge",
        &[("source", "el-listener"), ("user", first.as_str())],
    );
    // The page's listener moves the badge to the next person as soon as the first is shown.
    let target = badge.clone();
    let next = second.clone();
    let listener = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |_: web_sys::CustomEvent| {
        if target.get_attribute("user").as_deref() != Some(next.as_str()) {
            target.set_attribute("user", next.as_str()).unwrap();
        }
    });
    badge
        .add_event_listener_with_callback("presence-change", listener.as_ref().unchecked_ref())
        .unwrap();
    listener.forget();
    root.append_child(&badge).unwrap();
    rendered_until(10_000, "the second person", || {
        attrs(&shadow(&badge), ".presence-dot", "aria-label") == ["Do not disturb"]
    })
    .await;
    let store = presence_widgets::web::store("el-listener").unwrap();
    assert_eq!(store.ids(), vec![second.clone()], "the first is let go");
}
