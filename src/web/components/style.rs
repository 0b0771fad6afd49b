//! The components' one stylesheet, adopted as a constructed stylesheet into the document or the
//! shadow root a component renders in (a strict Content-Security-Policy allows that, where it
//! blocks `<style>` elements and `style` attributes).

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Document, Node, ShadowRoot};
use yew::prelude::*;

// The picker's rules (`picker.css`) where it is built, else none.
#[cfg(feature = "write")]
macro_rules! picker_css {
    () => {
        include_str!(concat!(env!("OUT_DIR"), "/picker.css"))
    };
}
#[cfg(not(feature = "write"))]
macro_rules! picker_css {
    () => {
        ""
    };
}
// The avatar's rules (`avatar.css`) where it is built, else none.
#[cfg(feature = "avatar")]
macro_rules! avatar_css {
    () => {
        include_str!(concat!(env!("OUT_DIR"), "/avatar.css"))
    };
}
#[cfg(not(feature = "avatar"))]
macro_rules! avatar_css {
    () => {
        ""
    };
}

/// The stylesheet's text (`presence.css`, with `picker.css` where the status picker is built and
/// `avatar.css` where the avatar is; their comments and needless white space left out by
/// `build.rs`), for pages that would rather serve it as a file (`presence-widgets.css` in the npm
/// package).
pub const STYLESHEET: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/presence.css")),
    picker_css!(),
    avatar_css!()
);

thread_local! {
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
}

/// The page's one stylesheet, made on first use; `None` where constructable stylesheets are
/// missing (a `<style>` is added to each root instead).
pub(crate) fn sheet() -> Option<CssStyleSheet> {
    SHEET.with(|cell| {
        if let Some(sheet) = cell.borrow().as_ref() {
            return Some(sheet.clone());
        }
        let sheet = CssStyleSheet::new().ok()?;
        sheet.replace_sync(STYLESHEET).ok()?;
        *cell.borrow_mut() = Some(sheet.clone());
        Some(sheet)
    })
}

fn add_to(list: js_sys::Array, sheet: &CssStyleSheet) -> Option<js_sys::Array> {
    if list.includes(sheet, 0) {
        return None;
    }
    list.push(sheet);
    Some(list)
}

/// Adopts the stylesheet into the document or shadow root that holds `node`, once. Where
/// constructed stylesheets are missing (old browsers), falls back to one `<style>` element.
pub fn adopt_stylesheet(node: &Node) {
    let root = node.get_root_node();
    let Some(sheet) = sheet() else {
        fallback(&root);
        return;
    };
    if let Some(shadow) = root.dyn_ref::<ShadowRoot>() {
        if let Some(list) = add_to(shadow.adopted_style_sheets(), &sheet) {
            shadow.set_adopted_style_sheets(&JsValue::from(list));
        }
    } else if let Some(document) = root.dyn_ref::<Document>() {
        if let Some(list) = add_to(document.adopted_style_sheets(), &sheet) {
            document.set_adopted_style_sheets(&JsValue::from(list));
        }
    }
}

fn fallback(root: &Node) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let holder: Option<Node> = match root.dyn_ref::<ShadowRoot>() {
        Some(shadow) => Some(shadow.clone().into()),
        None => document.head().map(Into::into),
    };
    let Some(holder) = holder else {
        return;
    };
    let present = holder
        .child_nodes()
        .get(0)
        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| e.has_attribute("data-presence-widgets"));
    if present {
        return;
    }
    if let Ok(style) = document.create_element("style") {
        let _ = style.set_attribute("data-presence-widgets", "");
        style.set_text_content(Some(STYLESHEET));
        let _ = holder.insert_before(&style, holder.first_child().as_ref());
    }
}

/// A ref for a component's root element; once mounted, the stylesheet is adopted where it lives.
#[hook]
pub fn use_stylesheet() -> NodeRef {
    let root = use_node_ref();
    {
        let root = root.clone();
        use_effect_with((), move |_| {
            if let Some(node) = root.get() {
                adopt_stylesheet(&node);
            }
        });
    }
    root
}
