//! The avatar as a user meets it (feature `avatar`), over a store fed by presence-sim: initials on
//! the person's colour, or their picture, with the badge on its corner; one image named by the
//! person's name and status; a picture that fails to load gives way to the initials.
#![cfg(all(target_arch = "wasm32", feature = "avatar"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_widgets::core::avatar::colour;
use presence_widgets::core::{ProviderKind, UserId};
use presence_widgets::web::{PresenceAvatar, PresenceProvider, Stores};
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

/// A picture that loads: a small SVG as a data URL.
const PICTURE: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='8' height='8'%3E%3Crect width='8' height='8' fill='%23336699'/%3E%3C/svg%3E";

#[derive(Properties, PartialEq)]
struct PageProps {
    stores: Stores,
    source: AttrValue,
    ids: Vec<UserId>,
}

#[component]
fn Page(props: &PageProps) -> Html {
    let user = |at: usize| AttrValue::from(props.ids[at].as_str().to_owned());
    let source = props.source.clone();
    html! {
        <PresenceProvider stores={props.stores.clone()}>
            <p id="named"><PresenceAvatar source={source.clone()} user={user(0)} name="Amélie Silva" /></p>
            <p id="unnamed"><PresenceAvatar source={source.clone()} user={user(1)} size=24 /></p>
            <p id="broken"><PresenceAvatar source={source.clone()} user={user(2)} name="Kim Lee" src="/no-such-picture.png" /></p>
            <p id="picture"><PresenceAvatar source={source.clone()} user={user(0)} name="Amélie Silva" src={PICTURE} /></p>
        </PresenceProvider>
    }
}

fn one(root: &web_sys::Element, selector: &str) -> web_sys::Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

#[wasm_bindgen_test]
async fn avatars_show_initials_or_a_picture_with_the_badge_and_say_name_and_status() {
    clear_faults().await;
    let ids: Vec<UserId> = people("graph").await[230..233].to_vec();
    for (id, state) in ids.iter().zip([
        json!({"availability": "Busy", "activity": "InAMeeting"}),
        json!({"availability": "Available"}),
        json!({"availability": "Away"}),
    ]) {
        sim_call("PUT", &format!("/_sim/users/graph/{id}"), Some(state)).await;
    }
    let store = store(ProviderKind::Graph, "graph/v1.0", bearer("avatars"), 60_000);
    let root = fresh_root();
    let props = PageProps {
        source: AttrValue::from(store.name().to_owned()),
        stores: Stores::new([store]),
        ids: ids.clone(),
    };
    yew::Renderer::<Page>::with_root_and_props(root.clone(), props).render();
    rendered_until(
        10_000,
        "every avatar loaded, the broken picture given up",
        || {
            all(&root, ".presence-badge--loading").is_empty()
                && all(&root, "#broken img").is_empty()
                && !all(&root, ".presence-avatar").is_empty()
        },
    )
    .await;

    // One image each, named by the name and the status; the badge inside says nothing itself.
    assert_eq!(
        attrs(&root, ".presence-avatar", "aria-label"),
        [
            "Amélie Silva, Busy, in a meeting".to_owned(),
            format!("{}, Available", ids[1]),
            "Kim Lee, Away".to_owned(),
            "Amélie Silva, Busy, in a meeting".to_owned(),
        ]
    );
    assert_eq!(attrs(&root, ".presence-avatar", "role"), vec!["img"; 4]);
    assert_eq!(
        attrs(
            &root,
            ".presence-avatar__badge .presence-dot",
            "aria-hidden"
        ),
        vec!["true"; 4]
    );
    // Initials on the person's colour; the id's initials when there is no name.
    assert_eq!(
        texts(&root, ".presence-avatar__initials text"),
        [
            "AS".to_owned(),
            presence_widgets::core::avatar::initials(ids[1].as_str()),
            "KL".to_owned()
        ]
    );
    assert_eq!(
        attrs(&root, "#named .presence-avatar__initials circle", "fill"),
        [colour(ids[0].as_str())]
    );
    // Twice the badge's size.
    assert_eq!(
        attrs(&root, "#named svg.presence-avatar__initials", "width"),
        ["32"]
    );
    assert_eq!(
        attrs(&root, "#unnamed svg.presence-avatar__initials", "width"),
        ["48"]
    );
    // The picture that loads is shown, without alternative text of its own (the whole is named).
    let picture = one(&root, "#picture img.presence-avatar__picture");
    assert_eq!(picture.get_attribute("alt").as_deref(), Some(""));
    rendered_until(5_000, "the picture loaded", || {
        picture
            .clone()
            .dyn_into::<web_sys::HtmlImageElement>()
            .is_ok_and(|img| img.complete() && img.natural_width() > 0)
    })
    .await;
    assert!(all(&root, "#picture .presence-avatar__initials").is_empty());
    // No inline styles for a strict Content-Security-Policy to block.
    assert!(all(&root, "[style]").is_empty());
}
