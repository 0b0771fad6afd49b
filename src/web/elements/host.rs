//! The custom elements' machinery: a class per tag defined by a small JS snippet that calls back
//! into Rust; a badge drawn straight into its shadow root (`badge.rs`), a list or summary as a
//! yew app in its own; attributes read into props (a bad value falls back to the default with a
//! warning); and the `presence-change` and `presence-error` events. An element subscribes its
//! people before it draws anything, so the first request goes out before the page renders.

use std::cell::{Cell, RefCell};

use implicit_clone::unsync::{IArray, IMap};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement, ShadowRootInit, ShadowRootMode};
use yew::prelude::*;
use yew::AppHandle;

use super::badge::BadgeDom;
use crate::core::json::{string_map, Object};
use crate::core::{Labels, PresenceError, State, UserId};
use crate::web::components::adopt_stylesheet;
use crate::web::components::style::adopt_into_new;
use crate::web::context::{Page, Stores};
use crate::web::store::Subscription;
use crate::web::{PresenceList, PresenceSummary};

#[wasm_bindgen(inline_js = r#"
export function define_element(tag, attributes, connected, disconnected, changed) {
  if (customElements.get(tag)) return false;
  customElements.define(tag, class extends HTMLElement {
    static get observedAttributes() { return attributes; }
    connectedCallback() { connected(this); }
    disconnectedCallback() { disconnected(this); }
    attributeChangedCallback(name, previous, value) { if (previous !== value) changed(this); }
  });
  return true;
}
"#)]
extern "C" {
    fn define_element(
        tag: &str,
        attributes: js_sys::Array,
        connected: &JsValue,
        disconnected: &JsValue,
        changed: &JsValue,
    ) -> bool;
}

/// The three elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `<presence-badge>`.
    Badge,
    /// `<presence-list>`.
    List,
    /// `<presence-summary>`.
    Summary,
    /// `<presence-status-picker>` (feature `write`).
    #[cfg(feature = "write")]
    Picker,
}

impl Tag {
    /// Every tag.
    pub const ALL: &'static [Tag] = &[
        Tag::Badge,
        Tag::List,
        Tag::Summary,
        #[cfg(feature = "write")]
        Tag::Picker,
    ];

    /// The tag name.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Badge => "presence-badge",
            Tag::List => "presence-list",
            Tag::Summary => "presence-summary",
            #[cfg(feature = "write")]
            Tag::Picker => "presence-status-picker",
        }
    }

    fn attributes(self) -> &'static [&'static str] {
        match self {
            Tag::Badge => &["source", "user", "show-label", "size"],
            Tag::List => &["source", "users", "names", "group", "no-filter"],
            Tag::Summary => &["source", "users"],
            #[cfg(feature = "write")]
            Tag::Picker => &["source", "user", "size"],
        }
    }

    fn of(element: &HtmlElement) -> Option<Tag> {
        let name = element.tag_name().to_ascii_lowercase();
        Tag::ALL.iter().copied().find(|t| t.name() == name)
    }
}

/// What an element's attributes say.
#[derive(Clone, Debug, PartialEq)]
pub struct Attributes {
    tag: Tag,
    source: AttrValue,
    users: IArray<AttrValue>,
    names: IMap<AttrValue, AttrValue>,
    show_label: bool,
    size: u32,
    group: bool,
    no_filter: bool,
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("presence-widgets: {message}")));
}

/// Reads an element's attributes. A bad value falls back to the default and logs a warning.
pub fn read_attributes(tag: Tag, element: &HtmlElement) -> Attributes {
    let get = |name: &str| element.get_attribute(name);
    let users: Vec<AttrValue> = match tag {
        Tag::Badge => get("user").into_iter().map(AttrValue::from).collect(),
        #[cfg(feature = "write")]
        Tag::Picker => get("user").into_iter().map(AttrValue::from).collect(),
        Tag::List | Tag::Summary => get("users")
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|u| !u.is_empty())
            .map(|u| AttrValue::from(u.to_owned()))
            .collect(),
    };
    let size = match get("size") {
        None => 16,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (10..=32).contains(&n) => n,
            _ => {
                warn(&format!(
                    "size=\"{text}\" is not a number from 10 to 32; using 16"
                ));
                16
            }
        },
    };
    let names: IMap<AttrValue, AttrValue> = match get("names") {
        None => IMap::default(),
        Some(json) => match string_map(&json) {
            Ok(map) => map
                .into_iter()
                .map(|(k, v)| (AttrValue::from(k), AttrValue::from(v)))
                .collect(),
            Err(_) => {
                warn("names must be a JSON object of id to name; ignoring it");
                IMap::default()
            }
        },
    };
    Attributes {
        tag,
        source: get("source").map(AttrValue::from).unwrap_or_default(),
        users: users.into(),
        names,
        show_label: element.has_attribute("show-label"),
        size,
        group: element.has_attribute("group"),
        no_filter: element.has_attribute("no-filter"),
    }
}

/// Props of the yew app inside an element.
#[derive(Properties, PartialEq, Clone)]
pub(crate) struct HostProps {
    /// The element's attributes.
    pub(crate) attributes: Attributes,
    /// The page's stores.
    pub(crate) stores: Stores,
    /// The page's words.
    pub(crate) labels: Labels,
}

/// The app inside a list or summary element: its component under the page's stores and words.
#[component]
pub(crate) fn Host(props: &HostProps) -> Html {
    let a = &props.attributes;
    let body = match a.tag {
        // Drawn without yew (`badge.rs`); never given to a Host.
        Tag::Badge => Html::default(),
        Tag::List => html! {
            <PresenceList source={a.source.clone()} users={a.users.clone()} names={a.names.clone()}
                group={a.group} no_filter={a.no_filter} />
        },
        Tag::Summary => {
            html! { <PresenceSummary source={a.source.clone()} users={a.users.clone()} /> }
        }
        #[cfg(feature = "write")]
        Tag::Picker => html! {
            <crate::web::PresenceStatusPicker source={a.source.clone()}
                user={a.users.get(0).cloned().unwrap_or_default()} size={a.size} />
        },
    };
    // The context itself rather than a `PresenceProvider` around it: one component less in
    // every page's download.
    let page = Page {
        stores: props.stores.clone(),
        labels: props.labels.clone(),
    };
    html! { <ContextProvider<Page> context={page}>{ body }</ContextProvider<Page>> }
}

/// What draws an element.
enum Body {
    /// A list or summary: a yew app.
    App(AppHandle<Host>),
    /// A badge: its DOM, and the subscription that keeps it current (none without a store).
    Badge(BadgeDom, Option<Subscription>),
}

struct Instance {
    element: HtmlElement,
    body: Body,
    props: HostProps,
    events: Vec<Subscription>,
}

thread_local! {
    static INSTANCES: RefCell<Vec<(u32, Instance)>> = const { RefCell::new(Vec::new()) };
    static NEXT: Cell<u32> = const { Cell::new(0) };
    static PAGE: RefCell<(Stores, Labels)> = RefCell::new(Default::default());
    static WARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Instances whose attributes changed while they were out of the list (an event listener of
    /// the page set an attribute synchronously while the instance was being connected or
    /// updated): read again as soon as they are back.
    static PENDING: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

const KEY: &str = "__presenceWidget";

/// Takes the instance `id` out of the list (sorted by id; a page holds a few hundred at most).
fn take(id: u32) -> Option<Instance> {
    INSTANCES.with(|i| {
        let mut list = i.borrow_mut();
        let at = list.binary_search_by(|(k, _)| k.cmp(&id)).ok()?;
        Some(list.remove(at).1)
    })
}

/// Puts the instance `id` (back) in the list, then applies any attribute change that arrived
/// while it was out.
fn put(id: u32, instance: Instance) {
    INSTANCES.with(|i| {
        let mut list = i.borrow_mut();
        let at = list.partition_point(|(k, _)| *k < id);
        list.insert(at, (id, instance));
    });
    let pending = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let found = p.contains(&id);
        p.retain(|k| *k != id);
        found
    });
    if pending {
        update(id, true);
    }
}

fn instance_id(element: &HtmlElement) -> Option<u32> {
    Reflect::get(element, &JsValue::from_str(KEY))
        .ok()?
        .as_string()?
        .parse()
        .ok()
}

/// Defines the three elements (again is harmless). Returns whether any was new.
pub fn define_all() -> bool {
    let connected = Closure::<dyn Fn(HtmlElement)>::new(connected).into_js_value();
    let disconnected = Closure::<dyn Fn(HtmlElement)>::new(disconnected).into_js_value();
    let changed = Closure::<dyn Fn(HtmlElement)>::new(changed).into_js_value();
    let mut any = false;
    for &tag in Tag::ALL {
        let attributes: js_sys::Array = tag
            .attributes()
            .iter()
            .map(|a| JsValue::from_str(a))
            .collect();
        any |= define_element(tag.name(), attributes, &connected, &disconnected, &changed);
    }
    any
}

/// Gives every element the page's new stores and words.
pub fn set_page(stores: Stores, labels: Labels) {
    PAGE.with(|p| *p.borrow_mut() = (stores, labels));
    let ids: Vec<u32> = INSTANCES.with(|i| i.borrow().iter().map(|(id, _)| *id).collect());
    for id in ids {
        update(id, false);
    }
}

/// The words the elements show now.
pub fn labels() -> Labels {
    PAGE.with(|p| p.borrow().1.clone())
}

fn page() -> (Stores, Labels) {
    PAGE.with(|p| p.borrow().clone())
}

fn connected(element: HtmlElement) {
    let Some(tag) = Tag::of(&element) else {
        return;
    };
    let known =
        |id: u32| INSTANCES.with(|i| i.borrow().binary_search_by(|(k, _)| k.cmp(&id)).is_ok());
    if instance_id(&element).is_some_and(known) {
        return;
    }
    let shadow = match element.shadow_root() {
        Some(shadow) => {
            adopt_stylesheet(&shadow);
            shadow
        }
        None => {
            let init = ShadowRootInit::new(ShadowRootMode::Open);
            match element.attach_shadow(&init) {
                Ok(shadow) => {
                    adopt_into_new(&shadow);
                    shadow
                }
                Err(_) => {
                    warn("cannot attach a shadow root to this element");
                    return;
                }
            }
        }
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(container) = document.create_element("div") else {
        return;
    };
    let _ = container.set_attribute("class", "presence-host");
    let _ = shadow.append_child(&container);
    let (stores, labels) = page();
    let props = HostProps {
        attributes: read_attributes(tag, &element),
        stores,
        labels,
    };
    // Subscribed first: the store's request is planned before anything is drawn.
    let events = events(&element, &props);
    let body = match tag {
        Tag::Badge => {
            let a = &props.attributes;
            let Some(badge) = BadgeDom::new(&container, props.labels.clone(), a.size, a.show_label)
            else {
                return;
            };
            let subscription = follow(&badge, &props);
            Body::Badge(badge, subscription)
        }
        _ => {
            Body::App(yew::Renderer::<Host>::with_root_and_props(container, props.clone()).render())
        }
    };
    let id = NEXT.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    let _ = Reflect::set(
        &element,
        &JsValue::from_str(KEY),
        &JsValue::from_str(&id.to_string()),
    );
    put(
        id,
        Instance {
            element,
            body,
            props,
            events,
        },
    );
}

/// Keeps `badge` showing its person's state at the element's store (an error without one).
fn follow(badge: &BadgeDom, props: &HostProps) -> Option<Subscription> {
    let a = &props.attributes;
    let user = UserId::new(a.users.get(0).map(|u| u.to_string()).unwrap_or_default());
    let Some(store) = props.stores.get(&a.source) else {
        badge.show(State::Error(props.stores.missing(&a.source)));
        return None;
    };
    let drawn = badge.clone();
    let subscription = store.subscribe(&user, move |_, state| drawn.show(state.clone()));
    badge.show(store.state(&user));
    Some(subscription)
}

/// Lets go of the element's people once the current task is over, unless it was connected again
/// meanwhile (moved elsewhere in the page): a move keeps its app and costs no request.
fn disconnected(element: HtmlElement) {
    let Some(id) = instance_id(&element) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        if element.is_connected() {
            return;
        }
        PENDING.with(|p| p.borrow_mut().retain(|k| *k != id));
        if let Some(instance) = take(id) {
            drop(instance.events);
            if let Body::App(app) = instance.body {
                app.destroy();
            }
            if let Some(shadow) = instance.element.shadow_root() {
                shadow.set_inner_html("");
            }
        }
    });
}

fn changed(element: HtmlElement) {
    if let Some(id) = instance_id(&element) {
        update(id, true);
    }
}

/// Takes the page's stores and words, and the element's attributes when `attributes_changed`
/// (so that a bad value is warned about when it is set, not at every `configure()`); re-renders
/// when anything differs.
fn update(id: u32, attributes_changed: bool) {
    let Some(mut instance) = take(id) else {
        // Out of the list for a moment (being connected or updated): read again when back.
        if attributes_changed {
            PENDING.with(|p| p.borrow_mut().push(id));
        }
        return;
    };
    let (stores, labels) = page();
    let props = HostProps {
        attributes: if attributes_changed {
            read_attributes(instance.props.attributes.tag, &instance.element)
        } else {
            instance.props.attributes.clone()
        },
        stores,
        labels,
    };
    if props != instance.props {
        let sources_changed = props.attributes.source != instance.props.attributes.source
            || props.attributes.users != instance.props.attributes.users
            || props.stores != instance.props.stores;
        if sources_changed {
            instance.events = events(&instance.element, &props);
        }
        match &mut instance.body {
            Body::App(app) => app.update(props.clone()),
            Body::Badge(badge, subscription) => {
                if sources_changed {
                    // The new one first: a person in both keeps their presence.
                    *subscription = follow(badge, &props);
                }
                let a = &props.attributes;
                badge.set(props.labels.clone(), a.size, a.show_label);
            }
        }
        instance.props = props;
    }
    put(id, instance);
}

/// Subscriptions that turn state changes into `presence-change` and `presence-error` events on
/// the element. They share the store's fetches: no request is added.
fn events(element: &HtmlElement, props: &HostProps) -> Vec<Subscription> {
    let a = &props.attributes;
    let Some(store) = props.stores.get(&a.source) else {
        let error = props.stores.missing(&a.source);
        // A source whose configuration failed was reported by configure(); one never configured
        // is reported here, once.
        if !props
            .stores
            .errors()
            .any(|(name, _)| name == a.source.as_str())
        {
            warn_once(&a.source, &error);
        }
        dispatch_error(element, &a.source, None, &error, false);
        return Vec::new();
    };
    a.users
        .iter()
        .map(|user| {
            let element = element.clone();
            let source = a.source.to_string();
            let last = RefCell::new(None);
            store.subscribe(&UserId::new(user.as_str()), move |id, state| match state {
                State::Fresh(p) => {
                    // The source's mode is part of the detail: a change of it is told too.
                    let mode = crate::web::store(&source).map(|s| s.mode());
                    let seen = (p.clone(), mode);
                    let changed = last.borrow().as_ref() != Some(&seen);
                    if changed {
                        let detail = change_detail(p, seen.1.as_ref());
                        *last.borrow_mut() = Some(seen);
                        dispatch(&element, "presence-change", &detail);
                    }
                }
                State::Stale { error, .. } => {
                    dispatch_error(&element, &source, Some(id), error, true)
                }
                State::Failing { error, .. } | State::Error(error) => {
                    dispatch_error(&element, &source, Some(id), error, false)
                }
                State::Loading => {}
            })
        })
        .collect()
}

fn warn_once(source: &str, error: &PresenceError) {
    let first = WARNED.with(|w| {
        let mut w = w.borrow_mut();
        let new = !w.iter().any(|s| s == source);
        if new {
            w.push(source.to_owned());
        }
        new
    });
    if first {
        warn(&error.to_string());
    }
}

/// The `presence-change` detail: the presence, and how its source learns of changes.
fn change_detail(presence: &crate::core::Presence, mode: Option<&crate::web::Mode>) -> JsValue {
    let mut json = presence.to_json();
    json.pop();
    let tail = Object::new()
        .string("mode", mode.map_or("poll", crate::web::Mode::name))
        .opt_string("modeReason", mode.and_then(crate::web::Mode::reason))
        .finish();
    json.push(',');
    json.push_str(tail.get(1..).unwrap_or("}"));
    js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
}

fn dispatch_error(
    element: &HtmlElement,
    source: &str,
    user: Option<&UserId>,
    error: &PresenceError,
    stale: bool,
) {
    let detail = Object::new()
        .string("source", source)
        .opt_string("user", user.map(UserId::as_str))
        .boolean("stale", stale)
        .string("message", &error.to_string())
        .raw("error", &error.to_json())
        .finish();
    let detail = js_sys::JSON::parse(&detail).unwrap_or(JsValue::NULL);
    dispatch(element, "presence-error", &detail);
}

fn dispatch(element: &HtmlElement, name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = element.dispatch_event(&event);
    }
}
