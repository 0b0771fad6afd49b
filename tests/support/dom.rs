//! DOM helpers for the component tests: a fresh root element, rendering, and reading what a
//! user would meet.
#![allow(dead_code, reason = "each test file uses some of the helpers")]

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// A new `<div>` at the end of the body.
pub fn fresh_root() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

/// Lets yew render, then waits for `done`, rendering again every 20 ms, at most `limit_ms`.
pub async fn rendered_until(limit_ms: u32, what: &str, done: impl Fn() -> bool) {
    let mut waited = 0;
    yew::scheduler::flush().await;
    while !done() {
        assert!(
            waited < limit_ms,
            "gave up waiting for {what} after {limit_ms} ms"
        );
        TimeoutFuture::new(20).await;
        yew::scheduler::flush().await;
        waited += 20;
    }
}

/// Every element under `root` matching `selector`.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// The text of every element under `root` matching `selector`.
pub fn texts(root: &Element, selector: &str) -> Vec<String> {
    all(root, selector)
        .iter()
        .map(|e| e.text_content().unwrap_or_default())
        .collect()
}

/// An attribute of every element under `root` matching `selector`.
pub fn attrs(root: &Element, selector: &str, name: &str) -> Vec<String> {
    all(root, selector)
        .iter()
        .map(|e| e.get_attribute(name).unwrap_or_default())
        .collect()
}

/// Sends a key press to `target`.
pub fn press(target: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// Types `text` into the `<input>` matching `selector`, as a user would.
pub fn type_into(root: &Element, selector: &str, text: &str) {
    let input: web_sys::HtmlInputElement = root
        .query_selector(selector)
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_value(text);
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
}

/// Scrolls `target` to `top` pixels and tells its listeners.
pub fn scroll(target: &Element, top: i32) {
    target.set_scroll_top(top);
    let event = web_sys::Event::new("scroll").unwrap();
    target.dispatch_event(&event).unwrap();
}

/// A new element `tag` with `attributes`, not yet in the page.
pub fn element(tag: &str, attributes: &[(&str, &str)]) -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let e = document.create_element(tag).unwrap();
    for (name, value) in attributes {
        e.set_attribute(name, value).unwrap();
    }
    e.dyn_into().unwrap()
}

/// What a custom element draws: the container its shadow root's first child is.
pub fn shadow(e: &Element) -> Element {
    e.shadow_root()
        .expect("a shadow root")
        .first_element_child()
        .expect("the container")
}

/// Records the `detail` of every `name` event on `target`.
pub fn record(
    target: &Element,
    name: &str,
) -> std::rc::Rc<std::cell::RefCell<Vec<serde_json::Value>>> {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let into = seen.clone();
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::CustomEvent)>::new(
        move |e: web_sys::CustomEvent| {
            let text = js_sys::JSON::stringify(&e.detail()).unwrap();
            into.borrow_mut()
                .push(serde_json::from_str(&String::from(text)).unwrap());
        },
    );
    target
        .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
        .unwrap();
    listener.forget();
    seen
}
