//! Render benchmarks in headless Chromium: first render of a 1,000-person and a 10,000-person
//! list (with the number of row elements in the DOM), and the time to apply one presence change
//! to a 1,000-person list. `cargo xtask bench` runs them in a release build and prints the
//! figures (`bench:` lines); `cargo xtask test` runs them in a debug build as tests of the DOM
//! they leave (few rows, right order), never of time.
//!
//! The store is filled before timing starts: its people are subscribed, answered by presence-sim,
//! then given known presences with [`Store::push`], so no request is in flight while measuring.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    reason = "tests fail loudly"
)]

use implicit_clone::unsync::IArray;
use presence_widgets::core::{Availability, Presence, ProviderKind, UserId};
use presence_widgets::web::{PresenceList, PresenceProvider, Store, Stores, Subscription};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/sim.rs"]
mod sim;
use sim::*;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

#[derive(Properties, PartialEq)]
struct ListPage {
    stores: Stores,
    users: IArray<AttrValue>,
}

#[component]
fn Page(props: &ListPage) -> Html {
    html! {
        <PresenceProvider stores={props.stores.clone()}>
            <PresenceList source="bench" users={props.users.clone()} group=true />
        </PresenceProvider>
    }
}

fn ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn presence(id: &UserId, n: u64) -> Presence {
    let availability = Availability::ALL[(n % 6) as usize];
    let mut p = Presence::new(id.clone(), ProviderKind::Graph, availability);
    p.display_name = Some(format!("Person {:05}", n.wrapping_mul(7919) % 100_000));
    p.message = n.is_multiple_of(3).then(|| "Back at 3".to_owned());
    p
}

/// A store holding `n` people with known presences, and what keeps them subscribed.
async fn filled(n: usize) -> (Store, Vec<UserId>, Vec<Subscription>) {
    clear_faults().await;
    let ids: Vec<UserId> = (0..n)
        .map(|i| UserId::new(format!("bench-{i:05}")))
        .collect();
    let mut config = presence_widgets::web::SourceConfig::new(
        "bench",
        ProviderKind::Graph,
        &format!("{}/graph/v1.0", sim()),
        bearer("bench"),
    );
    config.interval_ms = Some(600_000);
    let store = Store::new(config).unwrap();
    let held: Vec<Subscription> = ids
        .iter()
        .map(|id| store.subscribe(id, |_, _| {}))
        .collect();
    until(30_000, "the first answers", || store.loaded() == n).await;
    store.push(
        ids.iter()
            .enumerate()
            .map(|(i, id)| presence(id, i as u64))
            .collect(),
    );
    (store, ids, held)
}

fn users(ids: &[UserId]) -> IArray<AttrValue> {
    ids.iter()
        .map(|id| AttrValue::from(id.as_str().to_owned()))
        .collect::<Vec<_>>()
        .into()
}

struct Figures(Vec<f64>);

impl Figures {
    fn median(&self) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    fn max(&self) -> f64 {
        self.0.iter().copied().fold(0.0, f64::max)
    }
}

/// Mounts the list `runs` times on a fresh root; returns the times and the last root.
async fn first_renders(store: &Store, ids: &[UserId], runs: usize) -> (Figures, web_sys::Element) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let root = fresh_root();
        let props = ListPage {
            stores: Stores::new([store.clone()]),
            users: users(ids),
        };
        let start = ms();
        let app = yew::Renderer::<Page>::with_root_and_props(root.clone(), props).render();
        yew::scheduler::flush().await;
        times.push(ms() - start);
        if let Some((app, root)) = last.replace((app, root)) {
            app.destroy();
            root.remove();
        }
    }
    let (app, root) = last.unwrap();
    std::mem::forget(app);
    (Figures(times), root)
}

#[wasm_bindgen_test]
async fn first_render_of_1000_people() {
    let (store, ids, _held) = filled(1_000).await;
    let (figures, root) = first_renders(&store, &ids, 15).await;
    let rows = all(&root, "[role=option]").len();
    console_log!(
        "bench: list first render, 1,000 people: median {:.1} ms, max {:.1} ms over {} runs; {rows} row elements (goal < 50 ms)",
        figures.median(),
        figures.max(),
        figures.0.len()
    );
    assert!(rows > 0 && rows < 200, "{rows} rows");
    assert_eq!(attrs(&root, "[role=option]", "aria-setsize")[0], "1000");
    root.remove();
}

#[wasm_bindgen_test]
async fn first_render_of_10000_people() {
    let (store, ids, _held) = filled(10_000).await;
    let (figures, root) = first_renders(&store, &ids, 7).await;
    let rows = all(&root, "[role=option]").len();
    let headers = all(&root, ".presence-row--header").len();
    console_log!(
        "bench: list first render, 10,000 people: median {:.1} ms, max {:.1} ms over {} runs; {rows} row elements + {headers} headings in the DOM (goal < 100 ms, < 200 rows)",
        figures.median(),
        figures.max(),
        figures.0.len()
    );
    assert!(rows > 0 && rows < 200, "{rows} rows");
    root.remove();
}

#[wasm_bindgen_test]
async fn one_change_to_a_1000_person_list() {
    let (store, ids, _held) = filled(1_000).await;
    let (_, root) = first_renders(&store, &ids, 1).await;
    let changes = 300;
    let mut times = Vec::with_capacity(changes);
    let total_start = ms();
    for k in 0..changes {
        // Someone near the top of the list changes availability, so their row is rendered.
        let shown = attrs(&root, "[role=option]", "data-index");
        let index: usize = shown[k % shown.len().min(8)].parse().unwrap();
        let id = &ids[index];
        let next = presence(id, (index + k + 1) as u64);
        let start = ms();
        store.push(vec![next.clone()]);
        yew::scheduler::flush().await;
        times.push(ms() - start);
        let label = root
            .query_selector(&format!("[data-index=\"{index}\"] .presence-row__label"))
            .unwrap()
            .map(|e| e.text_content().unwrap_or_default());
        if let Some(label) = label {
            assert_eq!(label, next.availability.label(), "the row shows the change");
        }
    }
    let mean = (ms() - total_start) / changes as f64;
    let figures = Figures(times);
    console_log!(
        "bench: one presence change applied to a 1,000-person list: median {:.2} ms, max {:.2} ms, mean {:.2} ms over {changes} changes (goal < 2 ms)",
        figures.median(),
        figures.max(),
        mean
    );
    root.remove();
}
