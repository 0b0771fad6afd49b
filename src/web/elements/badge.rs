//! `<presence-badge>` drawn straight into its shadow root: the DOM of the yew
//! [`PresenceBadge`](crate::web::PresenceBadge) (the same [`BadgeView`] and icon shapes), without
//! a yew app per element.
//!
//! Badges cost what a list row costs. Rust decides what a badge shows and what differs from what
//! it shows now; one call to a small JS function (`paint`) writes it. Each look and size of the
//! icon is built once per page, from its description here, and cloned. A badge may follow its
//! person before it draws: one still loading waits for its answer (see `host.rs`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Element;

use crate::core::{Labels, State};
use crate::web::components::badge::{ticks, BadgeView};
use crate::web::components::clock::TICK_MS;
use crate::web::components::icon::{shapes, svg_class, Look, SVG_ATTRS};
use crate::web::transport::now_ms;

// `paint(host, base, …)` draws a badge into its `div.presence-host` (`base`, the badge's span, is
// null the first time) and returns its span. Each value left undefined is as drawn; `icon` is
// the icon's description (`tag;name;value;…` for the svg, then `|` and one such for each shape),
// built once per look and size and cloned. `text` is the label's (null: none) when `label` is
// true.
#[wasm_bindgen(inline_js = r#"
const SVG = "http://www.w3.org/2000/svg";
const icons = new Map();
function node(part) {
  const [tag, ...pairs] = part.split(";");
  const made = document.createElementNS(SVG, tag);
  for (let i = 0; i + 1 < pairs.length; i += 2) made.setAttribute(pairs[i], pairs[i + 1]);
  return made;
}
export function paint(host, base, variant, title, icon, size, spoken, label, text) {
  if (!base) {
    base = document.createElement("span");
    base.setAttribute("part", "base");
    host.append(base);
  }
  if (variant !== undefined) base.setAttribute("class", variant);
  if (title !== undefined) base.setAttribute("title", title);
  let svg = base.firstElementChild;
  if (icon !== undefined) {
    const key = icon + size;
    let made = icons.get(key);
    if (!made) {
      const [head, ...rest] = icon.split("|");
      made = node(head);
      made.setAttribute("width", size);
      made.setAttribute("height", size);
      for (const part of rest) made.append(node(part));
      icons.set(key, made);
    }
    const fresh = made.cloneNode(true);
    if (svg) svg.replaceWith(fresh); else base.prepend(fresh);
    svg = fresh;
  }
  if (spoken !== undefined) svg.setAttribute("aria-label", spoken);
  if (label) {
    let shown = svg.nextElementSibling;
    if (text === undefined) shown?.remove();
    else {
      if (!shown) {
        shown = document.createElement("span");
        shown.className = "presence-badge__label";
        shown.setAttribute("part", "label");
        shown.setAttribute("aria-hidden", "true");
        base.append(shown);
      }
      shown.textContent = text;
    }
  }
  return base;
}
"#)]
extern "C" {
    #[allow(
        clippy::too_many_arguments,
        reason = "one call writes everything that differs"
    )]
    fn paint(
        host: &Element,
        base: Option<&Element>,
        variant: Option<String>,
        title: Option<String>,
        icon: Option<String>,
        size: u32,
        spoken: Option<String>,
        label: bool,
        text: Option<String>,
    ) -> Element;
}

/// One badge's DOM and what it shows. Cheap to clone: clones share it.
#[derive(Clone)]
pub(crate) struct BadgeDom(Rc<RefCell<Inner>>);

/// A badge that may be gone: see [`BadgeDom::weak`].
pub(crate) type WeakBadge = Weak<RefCell<Inner>>;

pub(crate) struct Inner {
    /// Where the badge draws: the `div.presence-host` in the element's shadow root, once given.
    host: Option<Element>,
    /// Whether it draws (it is mounted).
    mounted: bool,
    /// The `part="base"` span, once drawn.
    base: Option<Element>,
    /// What the DOM shows now, and at what size.
    drawn: Option<(BadgeView, u32)>,
    state: State,
    labels: Labels,
    size: u32,
    show_label: bool,
    /// Draws a stale badge again as it ages.
    ticker: Option<Interval>,
}

/// The description of the icon for `look` that `paint` builds it from: the svg's attributes, then
/// each shape's (also the avatar's `paint_avatar`).
pub(crate) fn icon(look: Look) -> String {
    let mut out = String::from("svg");
    let pair = |out: &mut String, name: &str, value: &str| {
        out.push(';');
        out.push_str(name);
        out.push(';');
        out.push_str(value);
    };
    for (name, value) in SVG_ATTRS {
        pair(&mut out, name, value);
    }
    pair(&mut out, "class", &svg_class(look));
    for shape in shapes(look) {
        out.push('|');
        out.push_str(shape.tag);
        pair(&mut out, "class", shape.class);
        for (name, value) in shape.attrs {
            pair(&mut out, name, value);
        }
    }
    out
}

/// Keeps `ticker` calling `redraw` every [`TICK_MS`] while `state` shows an age (stale), and
/// stops it otherwise: the badge's and the avatar's.
pub(crate) fn keep_ticking(
    ticker: &mut Option<Interval>,
    state: &State,
    redraw: impl Fn() + 'static,
) {
    if !ticks(state) {
        *ticker = None;
    } else if ticker.is_none() {
        *ticker = Some(Interval::new(TICK_MS, redraw));
    }
}

impl BadgeDom {
    /// A badge that follows its state but draws nothing until it is given its host and mounted.
    pub(crate) fn new(labels: Labels, size: u32, show_label: bool) -> Self {
        Self(Rc::new(RefCell::new(Inner {
            host: None,
            mounted: false,
            base: None,
            drawn: None,
            state: State::Loading,
            labels,
            size,
            show_label,
            ticker: None,
        })))
    }

    /// Gives the badge the element (in its shadow root) it draws into. It draws at once if it has
    /// a presence (or an error) to show; a badge still loading waits for [`mount`](Self::mount),
    /// so that an answer that comes soon is drawn once, without a loading ring first.
    pub(crate) fn attach(&self, host: Element) {
        let loading = {
            let mut b = self.0.borrow_mut();
            b.host = Some(host);
            matches!(b.state, State::Loading)
        };
        if !loading {
            self.mount();
        }
    }

    /// Draws the badge, showing its state now, and from then on each change (nothing before it
    /// has a host).
    pub(crate) fn mount(&self) {
        {
            let mut b = self.0.borrow_mut();
            if b.mounted || b.host.is_none() {
                return;
            }
            b.mounted = true;
        }
        self.draw();
    }

    /// A handle that does not keep the badge alive.
    pub(crate) fn weak(&self) -> WeakBadge {
        Rc::downgrade(&self.0)
    }

    /// The badge behind a [`weak`](Self::weak) handle, while it lives.
    pub(crate) fn upgrade(weak: &WeakBadge) -> Option<Self> {
        weak.upgrade().map(Self)
    }

    /// Shows `state` (and draws the badge now if it waited for it).
    pub(crate) fn show(&self, state: State) {
        let waiting = {
            let mut b = self.0.borrow_mut();
            let waiting = !b.mounted && !matches!(state, State::Loading);
            b.state = state;
            waiting
        };
        if waiting {
            self.mount();
        } else {
            self.draw();
        }
    }

    /// Takes the page's words and the element's attributes.
    pub(crate) fn set(&self, labels: Labels, size: u32, show_label: bool) {
        {
            let mut b = self.0.borrow_mut();
            b.labels = labels;
            b.size = size;
            b.show_label = show_label;
        }
        self.draw();
    }

    /// Writes what differs from what the DOM shows (nothing before the badge is mounted).
    fn draw(&self) {
        let mut b = self.0.borrow_mut();
        let Some(host) = b.host.clone().filter(|_| b.mounted) else {
            return;
        };
        let view = BadgeView::of(&b.state, b.show_label, &b.labels, now_ms());
        let size = b.size.clamp(10, 32);
        let drawn = b.drawn.take();
        let old = drawn.as_ref().map(|(v, _)| v);
        let differs = |was: Option<&String>, now: &String| (was != Some(now)).then(|| now.clone());
        let new_icon =
            old.map(|v| v.look) != Some(view.look) || drawn.as_ref().map(|(_, s)| *s) != Some(size);
        let base = paint(
            &host,
            b.base.as_ref(),
            (old.map(|v| v.variant) != Some(view.variant)).then(|| view.class()),
            differs(old.map(|v| &v.tooltip), &view.tooltip),
            new_icon.then(|| icon(view.look)),
            size,
            // A new icon is a clone: it says nothing until told.
            differs(old.map(|v| &v.spoken).filter(|_| !new_icon), &view.spoken),
            old.map(|v| &v.text) != Some(&view.text),
            view.text.clone(),
        );
        b.base = Some(base);
        let weak = self.weak();
        let Inner { ticker, state, .. } = &mut *b;
        keep_ticking(ticker, state, move || {
            if let Some(badge) = BadgeDom::upgrade(&weak) {
                badge.draw();
            }
        });
        b.drawn = Some((view, size));
    }
}
