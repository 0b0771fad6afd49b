//! The custom elements' machinery: a class per tag defined by a small JS snippet that calls back
//! into Rust; a badge (`badge.rs`) or an avatar (`avatar.rs`) drawn straight into its shadow
//! root, a list, summary or status picker as a yew app in its own; attributes read into props (a
//! bad value falls back to the default with a warning), also JS properties (`showLabel`, `users`
//! as a list, …); and the `presence-change` and `presence-error` events. Elements connected in
//! the same task reach Rust together and subscribe their people before anything is drawn, so
//! that one request for all of them goes out first.

use std::cell::RefCell;

use implicit_clone::unsync::{IArray, IMap};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;
use yew::prelude::*;
use yew::AppHandle;

#[cfg(feature = "avatar")]
use super::avatar::{AvatarDom, Person};
use super::badge::{BadgeDom, WeakBadge};
use crate::core::json::{string_map, Object};
use crate::core::{Labels, PresenceError, State, UserId};
use crate::web::components::adopt_stylesheet;
use crate::web::components::style::sheet;
use crate::web::context::{Page, Stores};
use crate::web::store::Subscription;
use crate::web::{PresenceList, PresenceSummary};

#[wasm_bindgen(inline_js = r##"
const queue = [];
let next = 0;
// Elements connected in one task go to Rust together: each element, its `div.presence-host` (made
// as it connected), and a record of its observed attributes (JSON), with the id it keeps for its
// life ("#id") and its tag ("#tag").
function flush(connected) {
  const batch = queue.splice(0).filter(([element]) => element.isConnected);
  if (!batch.length) return;
  const records = batch.map(([element, attributes]) => {
    const record = { "#id": element.__presenceWidget ??= String(++next), "#tag": element.localName, "#lang": element_lang(element) };
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value !== null) record[name] = value;
    }
    return record;
  });
  connected(batch.map(([e]) => e), batch.map(([, , box]) => box), JSON.stringify(records));
}
// The element's language: the closest `lang` above it, crossing shadow roots, else the
// browser's; canonical ("de-CH"), or "" when it is not a language tag. A language other than
// English has the built-in word tables (words.json, beside the package's JS) loaded, once; the
// elements that asked meanwhile are read again when they are in.
let tables = null;
let waiting = null;
let took = null;
// Where words.json is: beside the package's JS as published (the snippet is two folders down),
// else beside a bundle that gathered the JS into one file (as Angular's does).
// (Each a literal, which bundlers such as Vite rewrite to the file they emit.)
async function load() {
  // (The second is not there at a bundler's build time: the comment keeps Vite from saying so.)
  for (const url of [new URL("../../words.json", import.meta.url), new URL(/* @vite-ignore */ "./words.json", import.meta.url)]) {
    const answer = await fetch(url);
    if (answer.ok) return answer.json();
  }
  throw new Error("words.json is not beside the package's JS");
}
export function element_lang(element) {
  let tag = "";
  try {
    for (let node = element; node && !tag; node = node.parentElement ?? node.getRootNode().host) tag = node.lang ?? "";
    tag = Intl.getCanonicalLocales(tag || navigator.language)[0] ?? "";
  } catch (_) {
    return "";
  }
  if (tag && !english(tag) && !tables && took) {
    if (!waiting) {
      waiting = new Set();
      load().then((t) => { tables = t; for (const e of waiting) if (e.isConnected) took(e); },
        (e) => { tables = {}; console.warn(`presence-widgets: the word tables did not load (${e.message}); showing English`); })
        .finally(() => { waiting = null; });
    }
    waiting?.add(element);
  }
  return tag;
}
// English has no table: its words are the package's own.
const english = (tag) => /^en\b/.test(tag);
// The closest table to a language tag as JSON ("de-CH": de-CH, else de, else a de-…), "{}" for
// none; null while words.json may still come.
export function table_for(tag) {
  if (!english(tag) && !tables) return null;
  const keys = Object.keys(tables ?? {});
  const lower = tag.toLowerCase();
  const primary = lower.split("-")[0];
  const key = keys.find((k) => k.toLowerCase() === lower) ?? keys.find((k) => k.toLowerCase().split("-")[0] === primary);
  return JSON.stringify(key ? { ...units(tag), ...tables[key] } : {});
}
// An age's words ("{n} Min.") from Intl in the language, the number left to the widget.
function units(tag) {
  const words = {};
  for (const unit of ["second", "minute", "hour"]) {
    try {
      words[unit + "s"] = new Intl.NumberFormat(tag, { style: "unit", unit }).formatToParts(7)
        .map((p) => p.type === "integer" ? "{n}" : p.value).join("");
    } catch (_) {}
  }
  return words;
}
// The element's `div.presence-host` in its shadow root (both made where missing), with `sheet`
// adopted; null when the element cannot have one. Made as the element connects, so that its
// shadow DOM is there at once; what it shows comes with the element's batch.
function container(element, sheet) {
  try {
    const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
    if (sheet && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    let box = [...root.children].find((child) => child.className === "presence-host");
    if (!box) {
      box = document.createElement("div");
      box.className = "presence-host";
      root.append(box);
    }
    return box;
  } catch (_) {
    return null;
  }
}
// Each observed attribute is also a JS property (`show-label` is `showLabel`), as React 19 and
// Vue set them: booleans are the attribute's presence, `size` a number, `users` a list, `names`
// an object; setting `null` removes the attribute.
const FLAGS = ["show-label", "group", "no-filter", "avatars"];
function properties(target, attributes, keys) {
  attributes.forEach((name, at) => {
    Object.defineProperty(target.prototype, keys[at], {
      configurable: true,
      enumerable: true,
      get() {
        const value = this.getAttribute(name);
        if (FLAGS.includes(name)) return value !== null;
        if (name === "size") return value === null || value.trim() === "" || isNaN(Number(value)) ? 16 : Number(value);
        if (name === "users") return (value ?? "").split(/[\s,]+/).filter(Boolean);
        if (name === "names") { try { return JSON.parse(value ?? "{}"); } catch (_) { return {}; } }
        return value ?? "";
      },
      set(value) {
        if (FLAGS.includes(name)) this.toggleAttribute(name, Boolean(value));
        else if (value === null || value === undefined) this.removeAttribute(name);
        else if (name === "users" && Array.isArray(value)) this.setAttribute(name, value.join(" "));
        else if (name === "names" && typeof value === "object") this.setAttribute(name, JSON.stringify(value));
        else this.setAttribute(name, String(value));
      },
    });
  });
}
export function define_element(tag, attributes, sheet, connected, disconnected, changed) {
  if (typeof customElements === "undefined" || customElements.get(tag)) return false;
  took = changed;
  const keys = attributes.map((name) => name.replace(/-(.)/g, (_, c) => c.toUpperCase()));
  const element = class extends HTMLElement {
    static get observedAttributes() { return [...attributes, "lang"]; }
    connectedCallback() {
      // A property set before the element was defined is an own property: it goes through ours.
      for (const key of keys) {
        if (Object.hasOwn(this, key)) {
          const value = this[key];
          delete this[key];
          this[key] = value;
        }
      }
      if (queue.push([this, attributes, container(this, sheet)]) === 1) queueMicrotask(() => flush(connected));
    }
    disconnectedCallback() { disconnected(this); }
    attributeChangedCallback(name, previous, value) { if (previous !== value && "__presenceWidget" in this) changed(this); }
  };
  properties(element, attributes, keys);
  customElements.define(tag, element);
  return true;
}
// A `CustomEvent` whose detail is parsed when read (none where there is no DOM, as on a server).
const PresenceEvent = typeof CustomEvent === "function" && class extends CustomEvent {
  #json;
  #detail = null;
  constructor(name, json) { super(name, { bubbles: true, composed: true }); this.#json = json; }
  get detail() {
    if (this.#json !== undefined) { try { this.#detail = JSON.parse(this.#json); } catch (_) {} this.#json = undefined; }
    return this.#detail;
  }
}
export function fire(element, name, json) { if (PresenceEvent) element.dispatchEvent(new PresenceEvent(name, json)); }
"##)]
extern "C" {
    fn define_element(
        tag: &str,
        attributes: js_sys::Array,
        sheet: Option<web_sys::CssStyleSheet>,
        connected: &JsValue,
        disconnected: &JsValue,
        changed: &JsValue,
    ) -> bool;
    fn fire(element: &HtmlElement, name: &str, json: &str);
    fn element_lang(element: &HtmlElement) -> String;
    fn table_for(language: &str) -> Option<String>;
}

/// The elements: the badge, the list and the summary, and where they are built the status
/// picker and the avatar.
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
    /// `<presence-avatar>` (feature `avatar`).
    #[cfg(feature = "avatar")]
    Avatar,
}

impl Tag {
    /// Every tag.
    pub const ALL: &'static [Tag] = &[
        Tag::Badge,
        Tag::List,
        Tag::Summary,
        #[cfg(feature = "write")]
        Tag::Picker,
        #[cfg(feature = "avatar")]
        Tag::Avatar,
    ];

    /// The tag name.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Badge => "presence-badge",
            Tag::List => "presence-list",
            Tag::Summary => "presence-summary",
            #[cfg(feature = "write")]
            Tag::Picker => "presence-status-picker",
            #[cfg(feature = "avatar")]
            Tag::Avatar => "presence-avatar",
        }
    }

    /// The attributes it observes, each also a JS property (`src/web/elements/spec.rs`).
    fn attributes(self) -> &'static [&'static str] {
        OBSERVED
            .iter()
            .find(|(tag, _)| *tag == self.name())
            .map_or(&[], |(_, names)| names)
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
    /// The element's language (`element_lang`).
    lang: AttrValue,
    /// An avatar's `name` and `src`.
    #[cfg(feature = "avatar")]
    person: (Option<AttrValue>, Option<AttrValue>),
    /// A list's `avatars`.
    #[cfg(feature = "avatar")]
    avatars: bool,
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("presence-widgets: {message}")));
}

/// Reads an element's attributes. A bad value falls back to the default and logs a warning.
pub fn read_attributes(tag: Tag, element: &HtmlElement) -> Attributes {
    let lang = element_lang(element);
    attributes_from(tag, &|name| match name {
        "#lang" => Some(lang.clone()),
        _ => element.get_attribute(name),
    })
}

/// The attributes that `get` gives (`None` for an attribute not set), read as
/// [`read_attributes`] reads them.
fn attributes_from(tag: Tag, get: &dyn Fn(&str) -> Option<String>) -> Attributes {
    let users: Vec<AttrValue> = match tag {
        Tag::Badge => get("user").into_iter().map(AttrValue::from).collect(),
        #[cfg(feature = "write")]
        Tag::Picker => get("user").into_iter().map(AttrValue::from).collect(),
        #[cfg(feature = "avatar")]
        Tag::Avatar => get("user").into_iter().map(AttrValue::from).collect(),
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
        show_label: get("show-label").is_some(),
        size,
        group: get("group").is_some(),
        no_filter: get("no-filter").is_some(),
        lang: get("#lang").map(AttrValue::from).unwrap_or_default(),
        #[cfg(feature = "avatar")]
        person: (
            get("name").map(AttrValue::from),
            get("src").map(AttrValue::from),
        ),
        #[cfg(feature = "avatar")]
        avatars: get("avatars").is_some(),
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
        #[cfg(not(feature = "avatar"))]
        Tag::List => html! {
            <PresenceList source={a.source.clone()} users={a.users.clone()} names={a.names.clone()}
                group={a.group} no_filter={a.no_filter} />
        },
        #[cfg(feature = "avatar")]
        Tag::List => html! {
            <PresenceList source={a.source.clone()} users={a.users.clone()} names={a.names.clone()}
                group={a.group} no_filter={a.no_filter} avatars={a.avatars} />
        },
        Tag::Summary => {
            html! { <PresenceSummary source={a.source.clone()} users={a.users.clone()} /> }
        }
        #[cfg(feature = "write")]
        Tag::Picker => html! {
            <crate::web::PresenceStatusPicker source={a.source.clone()}
                user={a.users.get(0).cloned().unwrap_or_default()} size={a.size} />
        },
        // Drawn without yew (`avatar.rs`); never given to a Host.
        #[cfg(feature = "avatar")]
        Tag::Avatar => Html::default(),
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
    /// An avatar: its DOM, and the subscription that keeps it current (none without a store).
    #[cfg(feature = "avatar")]
    Avatar(AvatarDom, Option<Subscription>),
}

struct Instance {
    element: HtmlElement,
    body: Body,
    props: HostProps,
    events: Vec<Subscription>,
}

thread_local! {
    static INSTANCES: RefCell<Vec<(u32, Instance)>> = const { RefCell::new(Vec::new()) };
    static PAGE: RefCell<(Stores, Labels)> = RefCell::new(Default::default());
    /// The page's words over a language's, as the last element asked for them (a page's
    /// elements mostly share one language).
    static WORDS: RefCell<Option<Labels>> = const { RefCell::new(None) };
    static WARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Instances whose attributes changed while they were out of the list (an event listener of
    /// the page set an attribute synchronously while the instance was being connected or
    /// updated): read again as soon as they are back.
    static PENDING: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

const KEY: &str = "__presenceWidget";

include!(concat!(env!("OUT_DIR"), "/observed.rs"));

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

/// Defines the elements this build has (again is harmless). Returns whether any was new.
pub fn define_all() -> bool {
    let connected =
        Closure::<dyn Fn(js_sys::Array, js_sys::Array, String)>::new(connected).into_js_value();
    let disconnected = Closure::<dyn Fn(HtmlElement)>::new(disconnected).into_js_value();
    let changed = Closure::<dyn Fn(HtmlElement)>::new(changed).into_js_value();
    let mut any = false;
    for &tag in Tag::ALL {
        let attributes: js_sys::Array = tag
            .attributes()
            .iter()
            .map(|a| JsValue::from_str(a))
            .collect();
        any |= define_element(
            tag.name(),
            attributes,
            sheet(),
            &connected,
            &disconnected,
            &changed,
        );
    }
    any
}

/// Gives every element the page's new stores and words.
pub fn set_page(stores: Stores, labels: Labels) {
    PAGE.with(|p| *p.borrow_mut() = (stores, labels));
    WORDS.with(|w| w.borrow_mut().take());
    let ids: Vec<u32> = INSTANCES.with(|i| i.borrow().iter().map(|(id, _)| *id).collect());
    for id in ids {
        update(id, false);
    }
}

/// The words the elements show now.
pub fn labels() -> Labels {
    PAGE.with(|p| p.borrow().1.clone())
}

/// The page's stores.
fn stores() -> Stores {
    PAGE.with(|p| p.borrow().0.clone())
}

/// The words of an element in `language` ("de-CH"): the page's over the closest built-in table
/// (`table_for`), over English. Kept for the next element of that language once the table is
/// known (at once for English, which has none; for another language once `words.json` is in).
fn words(language: &str) -> Labels {
    let known = WORDS.with(|w| {
        w.borrow()
            .as_ref()
            .filter(|l| l.language() == language)
            .cloned()
    });
    if let Some(labels) = known {
        return labels;
    }
    let json = table_for(language);
    let table = json
        .as_deref()
        .and_then(|json| texts(&mut crate::core::json::Reader::new(json)).ok())
        .unwrap_or_default();
    let labels = self::labels().over(language, table);
    if json.is_some() {
        WORDS.with(|w| *w.borrow_mut() = Some(labels.clone()));
    }
    labels
}

/// Elements connected in the same task, in order, with their `div.presence-host`s and records
/// (see the JS above): each subscribes its people, so that one request is planned for all of
/// them. A badge draws at once what is known already; one still loading waits for its answer,
/// or shows the loading ring [`LOADING_AFTER_MS`] later.
fn connected(elements: js_sys::Array, hosts: js_sys::Array, records: String) {
    let fallback = sheet().is_none();
    let mut loading = Vec::new();
    for ((element, host), record) in elements
        .iter()
        .zip(hosts.iter())
        .zip(read_records(&records))
    {
        let (Ok(element), Ok(host)) = (
            element.dyn_into::<HtmlElement>(),
            host.dyn_into::<web_sys::Element>(),
        ) else {
            warn("cannot attach a shadow root to this element");
            continue;
        };
        if fallback {
            adopt_stylesheet(&host);
        }
        if let Some(badge) = connect(element, host, &record) {
            loading.push(badge);
        }
    }
    if !loading.is_empty() {
        gloo_timers::callback::Timeout::new(LOADING_AFTER_MS, move || {
            for badge in loading.iter().filter_map(BadgeDom::upgrade) {
                badge.mount();
            }
        })
        .forget();
    }
}

/// How long a badge with no presence yet waits before it shows the loading ring: an answer
/// within it is drawn at once, with no ring first.
const LOADING_AFTER_MS: u32 = 150;

/// The batch's records: for each element, its attributes as names and values.
fn read_records(json: &str) -> Vec<Vec<(String, String)>> {
    let read = || -> Result<Vec<Vec<(String, String)>>, crate::core::json::JsonError> {
        let mut r = crate::core::json::Reader::new(json);
        let mut out = Vec::new();
        r.array()?;
        while r.item()? {
            out.push(texts(&mut r)?);
        }
        Ok(out)
    };
    read().unwrap_or_default()
}

/// The next value of `r`, an object of texts, as its names and texts (a `null` left out).
fn texts(
    r: &mut crate::core::json::Reader<'_>,
) -> Result<Vec<(String, String)>, crate::core::json::JsonError> {
    let mut pairs = Vec::new();
    r.object()?;
    while let Some(key) = r.key()? {
        let key = key.into_owned();
        if let Some(value) = r.opt_owned()? {
            pairs.push((key, value));
        }
    }
    Ok(pairs)
}

/// Makes the instance of an element just connected in `host`, unless it is known already (moved
/// within the page). A badge still loading is returned, to show the loading ring later.
fn connect(
    element: HtmlElement,
    host: web_sys::Element,
    record: &[(String, String)],
) -> Option<WeakBadge> {
    let get = |name: &str| {
        record
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let tag = Tag::ALL
        .iter()
        .copied()
        .find(|t| get("#tag").as_deref() == Some(t.name()))?;
    let id: u32 = get("#id")?.parse().ok()?;
    if INSTANCES.with(|i| i.borrow().binary_search_by(|(k, _)| k.cmp(&id)).is_ok()) {
        // Moved within the page: it keeps its app, and takes the language of where it is now.
        update(id, true);
        return None;
    }
    let attributes = attributes_from(tag, &get);
    let props = HostProps {
        labels: words(&attributes.lang),
        attributes,
        stores: stores(),
    };
    let (body, events) = match tag {
        Tag::Badge => {
            let a = &props.attributes;
            let badge = BadgeDom::new(props.labels.clone(), a.size, a.show_label);
            let subscription = follow(&badge, &element, &props);
            badge.attach(host);
            (Body::Badge(badge, subscription), Vec::new())
        }
        #[cfg(feature = "avatar")]
        Tag::Avatar => {
            let avatar = AvatarDom::new(host, person(&props));
            let subscription = follow_avatar(&avatar, &element, &props);
            (Body::Avatar(avatar, subscription), Vec::new())
        }
        _ => {
            let events = events(&element, &props);
            let app = yew::Renderer::<Host>::with_root_and_props(host, props.clone()).render();
            (Body::App(app), events)
        }
    };
    let waiting = match &body {
        Body::Badge(badge, _) => Some(badge.weak()),
        _ => None,
    };
    put(
        id,
        Instance {
            element,
            body,
            props,
            events,
        },
    );
    waiting
}

/// Keeps `badge` showing its person's state at the element's store (an error without one), and
/// tells the page of each change with the element's events: one subscription for both.
fn follow(badge: &BadgeDom, element: &HtmlElement, props: &HostProps) -> Option<Subscription> {
    let drawn = badge.clone();
    follow_with(move |state| drawn.show(state), element, props)
}

/// Has `show` show the element's person's state at its store (an error without one), at once and
/// at each change, and tells the page of each change with the element's events.
fn follow_with(
    show: impl Fn(State) + Clone + 'static,
    element: &HtmlElement,
    props: &HostProps,
) -> Option<Subscription> {
    let a = &props.attributes;
    let user = first_user(a);
    let Some(store) = props.stores.get(&a.source) else {
        missing(element, props);
        show(State::Error(props.stores.missing(&a.source)));
        return None;
    };
    let shown = show.clone();
    let tell = teller(element, &a.source);
    let subscription = store.subscribe(&user, move |id, state| {
        shown(state.clone());
        tell(id, state);
    });
    show(store.state(&user));
    Some(subscription)
}

/// Whom an avatar element shows, from its attributes and words.
#[cfg(feature = "avatar")]
fn person(props: &HostProps) -> Person {
    let a = &props.attributes;
    Person {
        user: a.users.get(0).cloned().unwrap_or_default(),
        name: a.person.0.clone(),
        src: a.person.1.clone(),
        size: a.size,
        labels: props.labels.clone(),
    }
}

/// The person a badge or an avatar shows (its `user`).
fn first_user(a: &Attributes) -> UserId {
    UserId::new(a.users.get(0).map(|u| u.to_string()).unwrap_or_default())
}

/// As [`follow`], for an avatar, which also asks for its picture ([`ask_photo`]).
#[cfg(feature = "avatar")]
fn follow_avatar(
    avatar: &AvatarDom,
    element: &HtmlElement,
    props: &HostProps,
) -> Option<Subscription> {
    let drawn = avatar.clone();
    let subscription = follow_with(move |state| drawn.show(state), element, props);
    ask_photo(avatar, props);
    subscription
}

/// Unless the page gives the avatar its picture, asks the element's store for the one the
/// source reads (Graph's `photos`); an answer to an earlier ask is not shown.
#[cfg(feature = "avatar")]
fn ask_photo(avatar: &AvatarDom, props: &HostProps) {
    let asked = avatar.ask();
    let photo = match props.stores.get(&props.attributes.source) {
        Some(store) if !avatar.has_own_picture() => {
            let weak = avatar.weak();
            store.photo(&first_user(&props.attributes), move |photo| {
                if let Some(avatar) = AvatarDom::upgrade(&weak) {
                    avatar.answer(asked, photo);
                }
            })
        }
        _ => None,
    };
    avatar.answer(asked, photo);
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
    let attributes = if attributes_changed {
        read_attributes(instance.props.attributes.tag, &instance.element)
    } else {
        instance.props.attributes.clone()
    };
    let props = HostProps {
        labels: words(&attributes.lang),
        attributes,
        stores: stores(),
    };
    if props != instance.props {
        let sources_changed = props.attributes.source != instance.props.attributes.source
            || props.attributes.users != instance.props.attributes.users
            || props.stores != instance.props.stores;
        match &mut instance.body {
            Body::App(app) => {
                if sources_changed {
                    instance.events = events(&instance.element, &props);
                }
                app.update(props.clone())
            }
            Body::Badge(badge, subscription) => {
                if sources_changed {
                    // The new one first: a person in both keeps their presence.
                    *subscription = follow(badge, &instance.element, &props);
                }
                let a = &props.attributes;
                badge.set(props.labels.clone(), a.size, a.show_label);
            }
            #[cfg(feature = "avatar")]
            Body::Avatar(avatar, subscription) => {
                avatar.set(person(&props));
                if sources_changed {
                    // The new one first: a person in both keeps their presence.
                    *subscription = follow_avatar(avatar, &instance.element, &props);
                } else if props.attributes.person.1 != instance.props.attributes.person.1 {
                    ask_photo(avatar, &props);
                }
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
        missing(element, props);
        return Vec::new();
    };
    a.users
        .iter()
        .map(|user| store.subscribe(&UserId::new(user.as_str()), teller(element, &a.source)))
        .collect()
}

/// Says on the element that its source is not configured (warned about once per source).
fn missing(element: &HtmlElement, props: &HostProps) {
    let source = &props.attributes.source;
    let error = props.stores.missing(source);
    // A source whose configuration failed was reported by configure(); one never configured
    // is reported here, once.
    if !props
        .stores
        .errors()
        .any(|(name, _)| name == source.as_str())
    {
        warn_once(source, &error);
    }
    dispatch_error(element, source, None, &error, false);
}

/// Turns one person's changes of state into the element's `presence-change` (once per presence
/// and mode) and `presence-error` events.
fn teller(element: &HtmlElement, source: &str) -> impl Fn(&UserId, &State) + 'static {
    let element = element.clone();
    let source = source.to_owned();
    let last = RefCell::new(None);
    move |id, state| match state {
        State::Fresh(p) => {
            // The source's mode is part of the detail: a change of it is told too.
            let mode = crate::web::store(&source).map(|s| s.mode());
            let seen = (p.clone(), mode);
            let changed = last.borrow().as_ref() != Some(&seen);
            if changed {
                let detail = change_detail(p, seen.1.as_ref());
                *last.borrow_mut() = Some(seen);
                fire(&element, "presence-change", &detail);
            }
        }
        State::Stale { error, .. } => dispatch_error(&element, &source, Some(id), error, true),
        State::Failing { error, .. } | State::Error(error) => {
            dispatch_error(&element, &source, Some(id), error, false)
        }
        State::Loading => {}
    }
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

/// The `presence-change` detail as JSON: the presence, and how its source learns of changes.
fn change_detail(presence: &crate::core::Presence, mode: Option<&crate::web::Mode>) -> String {
    let mut json = presence.to_json();
    json.pop();
    let tail = Object::new()
        .string("mode", mode.map_or("poll", crate::web::Mode::name))
        .opt_string("modeReason", mode.and_then(crate::web::Mode::reason))
        .finish();
    json.push(',');
    json.push_str(tail.get(1..).unwrap_or("}"));
    json
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
    fire(element, "presence-error", &detail);
}
