//! The components as a user meets them, mounted over stores fed by presence-sim: the aria-label
//! of every availability and of out of office and idle, stale marking after a fault and its
//! recovery, the error state, status messages as literal text, the list's order, grouping
//! counts, filter, windowing and keyboard, the summary's counts, a page's own labels, and (feature
//! `avatar`) the avatar.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    reason = "tests fail loudly"
)]

use implicit_clone::unsync::{IArray, IMap};
use presence_widgets::core::{Labels, ProviderKind, UserId};
use presence_widgets::web::{
    PresenceBadge, PresenceList, PresenceProvider, PresenceSummary, Store, Stores,
};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

/// What a test page shows.
#[derive(Clone, PartialEq)]
enum Show {
    Badges(Vec<UserId>),
    List {
        users: Vec<UserId>,
        names: Vec<(String, String)>,
        group: bool,
    },
    Summary(Vec<UserId>),
}

#[derive(Properties, PartialEq)]
struct PageProps {
    stores: Stores,
    source: AttrValue,
    show: Show,
    #[prop_or_default]
    labels: Labels,
}

fn attr_values(ids: &[UserId]) -> IArray<AttrValue> {
    ids.iter()
        .map(|id| AttrValue::from(id.as_str().to_owned()))
        .collect::<Vec<_>>()
        .into()
}

#[component]
fn Page(props: &PageProps) -> Html {
    let source = props.source.clone();
    let body = match &props.show {
        Show::Badges(ids) => ids
            .iter()
            .map(|id| {
                let user = AttrValue::from(id.as_str().to_owned());
                html! { <p><PresenceBadge source={source.clone()} {user} show_label=true /></p> }
            })
            .collect::<Html>(),
        Show::List {
            users,
            names,
            group,
        } => {
            let names: IMap<AttrValue, AttrValue> = names
                .iter()
                .map(|(k, v)| (AttrValue::from(k.clone()), AttrValue::from(v.clone())))
                .collect();
            html! { <PresenceList source={source} users={attr_values(users)} {names} group={*group} /> }
        }
        Show::Summary(users) => {
            html! { <PresenceSummary source={source} users={attr_values(users)} /> }
        }
    };
    html! {
        <PresenceProvider stores={props.stores.clone()} labels={props.labels.clone()}>
            { body }
        </PresenceProvider>
    }
}

fn mount(store: &Store, show: Show, labels: Labels) -> web_sys::Element {
    let root = fresh_root();
    let props = PageProps {
        stores: Stores::new([store.clone()]),
        source: AttrValue::from(store.name().to_owned()),
        show,
        labels,
    };
    yew::Renderer::<Page>::with_root_and_props(root.clone(), props).render();
    root
}

fn graph_store(name: &str) -> Store {
    store(ProviderKind::Graph, "graph/v1.0", bearer(name), 60_000)
}

async fn set(provider: &str, id: &UserId, body: serde_json::Value) {
    sim_call("PUT", &format!("/_sim/users/{provider}/{id}"), Some(body)).await;
}

fn none_loading(root: &web_sys::Element) -> bool {
    all(root, ".presence-badge--loading").is_empty() && !all(root, ".presence-badge").is_empty()
}

#[wasm_bindgen_test]
async fn badges_say_every_availability_out_of_office_and_idle() {
    clear_faults().await;
    let ids: Vec<UserId> = people("graph").await[200..209].to_vec();
    let states = [
        json!({"availability": "Available"}),
        json!({"availability": "Busy", "activity": "InAMeeting"}),
        json!({"availability": "DoNotDisturb"}),
        json!({"availability": "BeRightBack"}),
        json!({"availability": "Away"}),
        json!({"availability": "Offline"}),
        json!({"availability": "Unknown"}),
        json!({"availability": "Away", "activity": "OutOfOffice"}),
        json!({"availability": "Available", "activity": "Idle"}),
    ];
    for (id, state) in ids.iter().zip(states) {
        set("graph", id, state).await;
    }
    let graph = graph_store("badges");
    let root = mount(&graph, Show::Badges(ids.clone()), Labels::english());
    yew::scheduler::flush().await;
    assert_eq!(
        attrs(&root, ".presence-dot", "aria-label"),
        vec!["Loading status"; 9],
        "before the first answer"
    );
    rendered_until(10_000, "every badge loaded", || none_loading(&root)).await;
    assert_eq!(
        attrs(&root, ".presence-dot", "aria-label"),
        [
            "Available",
            "Busy, in a meeting",
            "Do not disturb",
            "Be right back",
            "Away",
            "Offline, off work",
            "Status unknown",
            "Away, out of office",
            "Available, idle",
        ]
    );
    assert_eq!(
        texts(&root, ".presence-badge__label"),
        [
            "Available",
            "Busy",
            "Do not disturb",
            "Be right back",
            "Away",
            "Offline",
            "Status unknown",
            "Away",
            "Available"
        ]
    );
    assert_eq!(attrs(&root, ".presence-dot", "role"), vec!["img"; 9]);
    // Shapes as well as colours: out of office and idle are rings, the others keep their mark.
    let dots = all(&root, ".presence-dot");
    let ringed: Vec<bool> = dots
        .iter()
        .map(|d| d.query_selector(".presence-dot__ring").unwrap().is_some())
        .collect();
    assert_eq!(
        ringed,
        [false, false, false, false, false, true, true, true, true]
    );
    assert!(dots[7].class_list().contains("presence-dot--out-of-office"));
    // No inline styles for a strict Content-Security-Policy to block.
    assert!(all(&root, "[style]").is_empty());
}

#[wasm_bindgen_test]
async fn a_fault_marks_badges_stale_with_the_reason_and_recovery_clears_it() {
    clear_faults().await;
    let id = people("graph").await[210].clone();
    set(
        "graph",
        &id,
        json!({"availability": "Busy", "message": "Quarterly review"}),
    )
    .await;
    // Polled every second: stale three seconds after the last good answer.
    let graph = store(
        ProviderKind::Graph,
        "graph/v1.0",
        bearer("stale-badge"),
        1_000,
    );
    let root = mount(&graph, Show::Badges(vec![id.clone()]), Labels::english());
    rendered_until(10_000, "the badge loaded", || none_loading(&root)).await;
    assert!(all(&root, ".presence-badge--stale").is_empty());
    inject(json!({"provider": "graph", "http_500": 1.0})).await;
    graph.poll_now();
    // A failed poll first shows its reason in the tooltip only.
    rendered_until(10_000, "the reason in the tooltip", || {
        attrs(&root, ".presence-badge", "title")
            .first()
            .is_some_and(|t| t.contains("The last update failed"))
    })
    .await;
    if all(&root, ".presence-badge--stale").is_empty() {
        assert_eq!(attrs(&root, ".presence-dot", "aria-label"), ["Busy"]);
    }
    rendered_until(10_000, "the stale mark", || {
        !all(&root, ".presence-badge--stale").is_empty()
    })
    .await;
    let label = attrs(&root, ".presence-dot", "aria-label").remove(0);
    assert!(
        label.starts_with("Busy, not updated for "),
        "kept the last presence: {label}"
    );
    let title = attrs(&root, ".presence-badge", "title").remove(0);
    assert!(title.contains("Quarterly review"), "{title}");
    assert!(title.contains("Not updated for "), "{title}");
    assert!(title.contains("HTTP 500"), "the reason: {title}");
    assert!(!title.contains("stale-badge"), "no token in the DOM");
    clear_faults().await;
    graph.poll_now();
    rendered_until(10_000, "recovery", || {
        all(&root, ".presence-badge--stale").is_empty()
    })
    .await;
    assert_eq!(attrs(&root, ".presence-dot", "aria-label"), ["Busy"]);
}

#[wasm_bindgen_test]
async fn a_source_that_never_answers_shows_the_error_state() {
    clear_faults().await;
    let id = people("graph").await[211].clone();
    sim_call(
        "POST",
        "/_sim/auth/revoke",
        Some(json!({"provider": "graph", "token": "revoked-for-components"})),
    )
    .await;
    let graph = graph_store("revoked-for-components");
    let root = mount(&graph, Show::Badges(vec![id]), Labels::english());
    rendered_until(10_000, "the error state", || {
        !all(&root, ".presence-badge--error").is_empty()
    })
    .await;
    assert_eq!(
        attrs(&root, ".presence-dot", "aria-label"),
        ["Status unavailable"]
    );
    assert_eq!(
        texts(&root, ".presence-badge__label"),
        ["Status unavailable"]
    );
    let title = attrs(&root, ".presence-badge", "title").remove(0);
    assert!(title.contains("HTTP 401"), "{title}");
    assert!(
        !title.contains("revoked-for-components"),
        "no token in the DOM"
    );
}

#[wasm_bindgen_test]
async fn a_status_message_is_literal_text_never_html() {
    clear_faults().await;
    let id = people("graph").await[212].clone();
    let evil = "<img src=x onerror=alert(1)>";
    set(
        "graph",
        &id,
        json!({"availability": "Away", "message": evil}),
    )
    .await;
    let graph = graph_store("evil");
    let root = mount(
        &graph,
        Show::List {
            users: vec![id.clone()],
            names: vec![(id.to_string(), "<b>Mallory</b>".into())],
            group: false,
        },
        Labels::english(),
    );
    rendered_until(10_000, "the row loaded", || {
        !texts(&root, ".presence-row__message").is_empty()
    })
    .await;
    assert_eq!(texts(&root, ".presence-row__message"), [evil]);
    assert_eq!(texts(&root, ".presence-row__name"), ["<b>Mallory</b>"]);
    assert!(all(&root, "img").is_empty());
    assert!(all(&root, "b").is_empty());
    let title = attrs(&root, ".presence-badge", "title").remove(0);
    assert!(title.contains(evil), "{title}");
}

/// Six people with known states and page-given names, in a shuffled order.
async fn six() -> (Vec<UserId>, Vec<(String, String)>) {
    let ids: Vec<UserId> = people("graph").await[220..226].to_vec();
    let spec = [
        ("Zoe", "Available"),
        ("Bert", "Away"),
        ("Ann", "Available"),
        ("Carl", "Busy"),
        ("Dora", "Offline"),
        ("Émile", "Busy"),
    ];
    let mut names = Vec::new();
    for (id, (name, availability)) in ids.iter().zip(spec) {
        set("graph", id, json!({"availability": availability})).await;
        names.push((id.to_string(), name.to_owned()));
    }
    (ids, names)
}

#[wasm_bindgen_test]
async fn the_list_sorts_groups_counts_and_filters() {
    clear_faults().await;
    let (ids, names) = six().await;
    let graph = graph_store("list");
    let root = mount(
        &graph,
        Show::List {
            users: ids,
            names,
            group: true,
        },
        Labels::english(),
    );
    yew::scheduler::flush().await;
    assert_eq!(
        texts(&root, ".presence-list__status"),
        ["Loading 6 people…"]
    );
    rendered_until(10_000, "every row loaded", || none_loading(&root)).await;
    assert_eq!(
        texts(&root, ".presence-row__name"),
        ["Ann", "Zoe", "Carl", "Émile", "Bert", "Dora"]
    );
    assert_eq!(
        texts(&root, ".presence-row--header"),
        [
            "Available\u{a0}(2)",
            "Busy\u{a0}(2)",
            "Away\u{a0}(1)",
            "Offline\u{a0}(1)"
        ]
    );
    // A row's accessible name is what it shows; the badge's words are its description.
    let by_ids = |ids: &str| -> Vec<String> {
        ids.split_whitespace()
            .map(|id| texts(&root, &format!("#{id}")).concat())
            .collect()
    };
    let row = |attribute: &str| attrs(&root, "[role=option]", attribute).remove(2);
    assert_eq!(by_ids(&row("aria-labelledby")), ["Carl", "Busy"]);
    assert!(attrs(&root, "[role=option]", "aria-label")
        .iter()
        .all(String::is_empty));
    let described = row("aria-describedby");
    assert_eq!(
        attrs(&root, &format!("#{described} .presence-dot"), "aria-label"),
        ["Busy"]
    );
    assert!(texts(&root, ".presence-list__status").is_empty());
    // Ids are GUIDs, so a letter past `f` only matches names.
    type_into(&root, ".presence-list__filter", "r");
    rendered_until(2_000, "the filter", || {
        texts(&root, ".presence-row__name").len() == 3
    })
    .await;
    assert_eq!(
        texts(&root, ".presence-row__name"),
        ["Carl", "Bert", "Dora"]
    );
    assert_eq!(
        texts(&root, ".presence-row--header"),
        ["Busy\u{a0}(1)", "Away\u{a0}(1)", "Offline\u{a0}(1)"]
    );
    // Beyond ASCII, case is folded by the browser: "ÉMI" finds "Émile".
    type_into(&root, ".presence-list__filter", "ÉMI");
    rendered_until(2_000, "the filter beyond ASCII", || {
        texts(&root, ".presence-row__name") == ["Émile"]
    })
    .await;
    type_into(&root, ".presence-list__filter", "nobody");
    rendered_until(2_000, "no match", || {
        texts(&root, ".presence-row__name").is_empty()
    })
    .await;
    assert_eq!(
        texts(&root, ".presence-list__status"),
        ["Nobody matches “nobody”"]
    );
}

#[wasm_bindgen_test]
async fn one_change_moves_one_row_and_keyboard_moves_the_active_row() {
    clear_faults().await;
    let (ids, names) = six().await;
    let graph = graph_store("list-change");
    let root = mount(
        &graph,
        Show::List {
            users: ids.clone(),
            names,
            group: false,
        },
        Labels::english(),
    );
    rendered_until(10_000, "every row loaded", || none_loading(&root)).await;
    // Dora comes online: she moves up among the available, nobody else moves.
    set("graph", &ids[4], json!({"availability": "Available"})).await;
    graph.poll_now();
    rendered_until(10_000, "Dora's change", || {
        texts(&root, ".presence-row__name")[1] == "Dora"
    })
    .await;
    assert_eq!(
        texts(&root, ".presence-row__name"),
        ["Ann", "Dora", "Zoe", "Carl", "Émile", "Bert"]
    );
    let listbox = root.query_selector("[role=listbox]").unwrap().unwrap();
    press(&listbox, "ArrowDown");
    yew::scheduler::flush().await;
    press(&listbox, "ArrowDown");
    yew::scheduler::flush().await;
    let active = root
        .query_selector("[aria-selected=true] .presence-row__name")
        .unwrap()
        .unwrap();
    assert_eq!(active.text_content().unwrap(), "Dora");
    let active_id = root
        .query_selector("[aria-selected=true]")
        .unwrap()
        .unwrap()
        .id();
    assert_eq!(
        listbox.get_attribute("aria-activedescendant").unwrap(),
        active_id
    );
    press(&listbox, "End");
    yew::scheduler::flush().await;
    assert_eq!(
        texts(&root, "[aria-selected=true] .presence-row__name"),
        ["Bert"]
    );
}

#[wasm_bindgen_test]
async fn a_thousand_people_keep_a_few_dozen_rows_and_scrolling_shows_the_right_ones() {
    clear_faults().await;
    let ids: Vec<UserId> = people("graph").await[..1000].to_vec();
    let graph = graph_store("window");
    let root = mount(
        &graph,
        Show::List {
            users: ids.clone(),
            names: Vec::new(),
            group: false,
        },
        Labels::english(),
    );
    rendered_until(15_000, "every row loaded", || none_loading(&root)).await;
    let rows = all(&root, "[role=option]").len();
    assert!(rows > 5 && rows < 60, "{rows} rows in the DOM");
    assert_eq!(attrs(&root, "[role=option]", "aria-setsize")[0], "1000");
    let listbox = root.query_selector("[role=listbox]").unwrap().unwrap();
    let row_height = all(&root, "[role=option]")[0]
        .get_bounding_client_rect()
        .height();
    assert!(row_height > 10.0);
    scroll(&listbox, (row_height * 500.0) as i32);
    rendered_until(2_000, "the window to move", || {
        attrs(&root, "[role=option]", "aria-posinset")
            .iter()
            .any(|p| p == "501")
    })
    .await;
    let rows = all(&root, "[role=option]").len();
    assert!(rows < 60, "{rows} rows in the DOM after scrolling");
    // The visible row really is at the top of the viewport.
    let top = listbox.get_bounding_client_rect().top();
    let at_top = all(&root, "[role=option]")
        .into_iter()
        .find(|r| (r.get_bounding_client_rect().top() - top).abs() < 2.0)
        .expect("a row at the top");
    assert_eq!(at_top.get_attribute("aria-posinset").unwrap(), "501");
}

#[wasm_bindgen_test]
async fn the_summary_counts_each_availability() {
    clear_faults().await;
    let (ids, _) = six().await;
    let graph = graph_store("summary");
    let root = mount(&graph, Show::Summary(ids), Labels::english());
    rendered_until(10_000, "the counts", || {
        texts(&root, ".presence-summary__item")
            .iter()
            .all(|t| !t.contains("loading"))
    })
    .await;
    assert_eq!(
        texts(&root, ".presence-summary__item"),
        ["2 available", "2 busy", "1 away", "1 offline"]
    );
    assert_eq!(
        attrs(&root, ".presence-summary", "aria-label"),
        ["2 available, 2 busy, 1 away, 1 offline"]
    );
}

#[wasm_bindgen_test]
async fn empty_lists_missing_sources_and_a_page_language() {
    clear_faults().await;
    let graph = graph_store("empty");
    let root = mount(
        &graph,
        Show::List {
            users: Vec::new(),
            names: Vec::new(),
            group: true,
        },
        Labels::english(),
    );
    yew::scheduler::flush().await;
    assert_eq!(
        texts(&root, ".presence-list__status"),
        ["No people to show"]
    );

    let root = fresh_root();
    let props = PageProps {
        stores: Stores::new([graph.clone()]),
        source: "not-configured".into(),
        show: Show::List {
            users: vec!["a".into()],
            names: Vec::new(),
            group: false,
        },
        labels: Labels::english(),
    };
    yew::Renderer::<Page>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let alert = texts(&root, "[role=alert]");
    assert_eq!(alert.len(), 1);
    assert!(
        alert[0].contains("no presence source named `not-configured`"),
        "{alert:?}"
    );

    let (ids, _) = six().await;
    let german = Labels::from_pairs([
        ("Available", "Verfügbar"),
        ("Busy", "Beschäftigt"),
        ("loading", "Lädt"),
    ]);
    let root = mount(&graph, Show::Badges(ids[..4].to_vec()), german);
    rendered_until(10_000, "the badges", || none_loading(&root)).await;
    assert_eq!(
        texts(&root, ".presence-badge__label"),
        ["Verfügbar", "Away", "Verfügbar", "Beschäftigt"]
    );
}

#[wasm_bindgen_test]
async fn configuring_another_source_keeps_what_is_shown_without_asking_again() {
    clear_faults().await;
    let (ids, names) = six().await;
    let list = Show::List {
        users: ids.clone(),
        names,
        group: false,
    };
    for (n, show) in [list, Show::Badges(ids.clone())].into_iter().enumerate() {
        let graph = graph_store(&format!("keep-{n}"));
        let root = fresh_root();
        let props = |stores: Stores| PageProps {
            stores,
            source: AttrValue::from(graph.name().to_owned()),
            show: show.clone(),
            labels: Labels::english(),
        };
        let mut app = yew::Renderer::<Page>::with_root_and_props(
            root.clone(),
            props(Stores::new([graph.clone()])),
        )
        .render();
        rendered_until(10_000, "everyone loaded", || none_loading(&root)).await;
        let sent = graph.requests_sent();
        let other = store(
            ProviderKind::Genesys,
            "genesys",
            bearer("keep-other"),
            60_000,
        );
        app.update(props(Stores::new([graph.clone(), other])));
        yew::scheduler::flush().await;
        assert!(none_loading(&root), "went back to loading");
        // A poll asked for now runs after anything the new configuration set going: once it is
        // sent, a request for someone re-subscribed would have been sent before it.
        graph.poll_now();
        until(10_000, "the poll", || graph.requests_sent() > sent).await;
        yew::scheduler::flush().await;
        assert!(none_loading(&root));
        assert_eq!(
            graph.requests_sent(),
            sent + 1,
            "one poll of six people, and nobody asked for again"
        );
    }
}

/// The avatar (feature `avatar`): initials on the person's colour, or their picture, with the
/// badge on its corner; one image named by the person's name and status; a picture that fails to
/// load gives way to the initials.
#[cfg(feature = "avatar")]
mod avatars {
    use super::*;
    use presence_widgets::core::avatar::colour;
    use presence_widgets::web::PresenceAvatar;
    use wasm_bindgen::JsCast;

    /// A picture that loads: a small SVG as a data URL.
    const PICTURE: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='8' height='8'%3E%3Crect width='8' height='8' fill='%23336699'/%3E%3C/svg%3E";

    #[derive(Properties, PartialEq)]
    struct AvatarPageProps {
        stores: Stores,
        source: AttrValue,
        ids: Vec<UserId>,
    }

    #[component]
    fn AvatarPage(props: &AvatarPageProps) -> Html {
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
        let props = AvatarPageProps {
            source: AttrValue::from(store.name().to_owned()),
            stores: Stores::new([store]),
            ids: ids.clone(),
        };
        yew::Renderer::<AvatarPage>::with_root_and_props(root.clone(), props).render();
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
            attrs(&root, ".presence-avatar__initials", "data-initials"),
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
            attrs(&root, "#named .presence-avatar__initials svg", "width"),
            ["32"]
        );
        assert_eq!(
            attrs(&root, "#unnamed .presence-avatar__initials svg", "width"),
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

    #[derive(Properties, PartialEq)]
    struct PhotoPageProps {
        stores: Stores,
        source: AttrValue,
        with: AttrValue,
        without: AttrValue,
    }

    #[component]
    fn PhotoPage(props: &PhotoPageProps) -> Html {
        let source = props.source.clone();
        let (with, without) = (props.with.clone(), props.without.clone());
        let users: IArray<AttrValue> = [with.clone(), without.clone()].into_iter().collect();
        html! {
            <PresenceProvider stores={props.stores.clone()}>
                <p id="with"><PresenceAvatar source={source.clone()} user={with.clone()} name="Ann Lee" /></p>
                <p id="without"><PresenceAvatar source={source.clone()} user={without.clone()} name="Bo Chen" /></p>
                <p id="again"><PresenceAvatar source={source.clone()} user={with.clone()} name="Ann Lee" size=24 /></p>
                <p id="given"><PresenceAvatar source={source.clone()} user={without} name="Bo Chen" src={PICTURE} /></p>
                <div id="list"><PresenceList {source} {users} avatars=true /></div>
            </PresenceProvider>
        }
    }

    fn loaded(element: &web_sys::Element) -> bool {
        element
            .clone()
            .dyn_into::<web_sys::HtmlImageElement>()
            .is_ok_and(|img| img.complete() && img.natural_width() > 0)
    }

    #[wasm_bindgen_test]
    async fn graph_pictures_are_read_once_per_person_and_people_without_one_keep_their_initials() {
        clear_faults().await;
        let ids = people("graph").await;
        // The sim gives everyone a picture but every fourth person (positions 3, 7, …).
        let (with, without) = (ids[240].clone(), ids[243].clone());
        let (asked_before, _) = counted("graph", "users/photo").await;
        // A token callback, as a signed-in page has: the pictures wait for its first answer
        // (the first poll's) instead of each asking it.
        let calls = std::rc::Rc::new(std::cell::Cell::new(0_u32));
        let counter = calls.clone();
        let callback = presence_widgets::web::Auth::Callback(std::rc::Rc::new(move || {
            counter.set(counter.get() + 1);
            Box::pin(async {
                Ok(presence_widgets::core::Credentials::Bearer(
                    presence_widgets::core::Secret::new("photos"),
                ))
            })
        }));
        let mut config = presence_widgets::web::SourceConfig::new(
            "photos-test",
            ProviderKind::Graph,
            &format!("{}/graph/v1.0", sim()),
            callback,
        );
        config.settings = vec![("photos".into(), "true".into())];
        config.share_tabs = false;
        let store = Store::new(config).unwrap();
        let root = fresh_root();
        let props = PhotoPageProps {
            source: AttrValue::from(store.name().to_owned()),
            stores: Stores::new([store]),
            with: AttrValue::from(with.as_str().to_owned()),
            without: AttrValue::from(without.as_str().to_owned()),
        };
        yew::Renderer::<PhotoPage>::with_root_and_props(root.clone(), props).render();
        rendered_until(10_000, "the pictures read and loaded", || {
            let pictures = all(&root, "img.presence-avatar__picture");
            pictures.len() == 4 && pictures.iter().all(loaded)
        })
        .await;

        // The person with a picture shows it in both avatars and their list row, from one
        // object URL; the one without keeps their initials, except where the page gave `src`.
        let sources = |selector: &str| attrs(&root, selector, "src");
        let url = sources("#with img").pop().unwrap();
        assert!(url.starts_with("blob:"), "{url}");
        assert_eq!(sources("#again img"), std::slice::from_ref(&url));
        assert_eq!(sources("#given img"), [PICTURE.to_owned()]);
        assert!(all(&root, "#without img").is_empty());
        assert_eq!(
            attrs(
                &root,
                "#without .presence-avatar__initials",
                "data-initials"
            ),
            ["BC"]
        );
        let rows = all(&root, "#list [role=option]");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows.iter()
                .map(|row| row
                    .query_selector("img")
                    .unwrap()
                    .map(|i| i.get_attribute("src")))
                .collect::<Vec<_>>(),
            [Some(Some(url)), None]
        );
        // Twice the badge's size; no text of its own (the whole avatar is named).
        assert_eq!(attrs(&root, "#with img", "width"), ["32"]);
        assert_eq!(attrs(&root, "#again img", "width"), ["48"]);
        assert_eq!(attrs(&root, "#with img", "alt"), [""]);
        assert_eq!(
            attrs(&root, "#with .presence-avatar", "aria-label")[0]
                .split(", ")
                .next(),
            Some("Ann Lee")
        );
        // One request per person without a `src` of the page's, however often they are shown;
        // one call of the token callback for the presences and the pictures.
        let (asked, _) = counted("graph", "users/photo").await;
        assert_eq!(asked - asked_before, 2);
        assert_eq!(calls.get(), 1);
    }
}
