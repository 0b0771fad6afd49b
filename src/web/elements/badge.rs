//! `<presence-badge>` drawn straight into its shadow root: the DOM of the yew
//! [`PresenceBadge`](crate::web::PresenceBadge) (the same [`BadgeView`] and icon shapes), without
//! a yew app per element. Making one costs a handful of DOM calls; a change writes only the
//! attributes that differ. Pages with hundreds of badges start as fast as a list.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use web_sys::Element;

use crate::core::{Labels, State};
use crate::web::components::badge::{ticks, BadgeView};
use crate::web::components::clock::TICK_MS;
use crate::web::components::icon::{shapes, svg_class, SVG_ATTRS};
use crate::web::transport::now_ms;

const SVG: &str = "http://www.w3.org/2000/svg";

/// One badge's DOM and what it shows. Cheap to clone: clones share it.
#[derive(Clone)]
pub(crate) struct BadgeDom(Rc<RefCell<Inner>>);

struct Inner {
    base: Element,
    svg: Element,
    label: Option<Element>,
    /// What the DOM shows now, and at what size.
    drawn: Option<(BadgeView, u32)>,
    state: State,
    labels: Labels,
    size: u32,
    show_label: bool,
    /// Draws a stale badge again as it ages.
    ticker: Option<Interval>,
}

impl BadgeDom {
    /// A badge in `container`, loading until it is shown a state.
    pub(crate) fn new(
        container: &Element,
        labels: Labels,
        size: u32,
        show_label: bool,
    ) -> Option<Self> {
        let document = container.owner_document()?;
        let base = document.create_element("span").ok()?;
        base.set_attribute("part", "base").ok()?;
        let svg = document.create_element_ns(Some(SVG), "svg").ok()?;
        for (name, value) in SVG_ATTRS {
            svg.set_attribute(name, value).ok()?;
        }
        base.append_child(&svg).ok()?;
        container.append_child(&base).ok()?;
        let badge = Self(Rc::new(RefCell::new(Inner {
            base,
            svg,
            label: None,
            drawn: None,
            state: State::Loading,
            labels,
            size,
            show_label,
            ticker: None,
        })));
        badge.draw();
        Some(badge)
    }

    /// Shows `state`.
    pub(crate) fn show(&self, state: State) {
        self.0.borrow_mut().state = state;
        self.draw();
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

    /// Writes what differs from what the DOM shows.
    fn draw(&self) {
        let mut b = self.0.borrow_mut();
        let view = BadgeView::of(&b.state, b.show_label, &b.labels, now_ms());
        let size = b.size.clamp(10, 32);
        let drawn = b.drawn.take();
        let old = drawn.as_ref().map(|(v, _)| v);
        if old.map(|v| v.variant) != Some(view.variant) {
            let _ = b.base.set_attribute("class", &view.class());
        }
        if old.map(|v| &v.tooltip) != Some(&view.tooltip) {
            let _ = b.base.set_attribute("title", &view.tooltip);
        }
        if old.map(|v| v.look) != Some(view.look) {
            let _ = b.svg.set_attribute("class", &svg_class(view.look));
            let now = shapes(view.look);
            if old.map(|v| shapes(v.look)).as_ref() != Some(&now) {
                b.svg.set_text_content(None);
                let document = b.svg.owner_document();
                for shape in now {
                    let Some(node) = document
                        .as_ref()
                        .and_then(|d| d.create_element_ns(Some(SVG), shape.tag).ok())
                    else {
                        continue;
                    };
                    let _ = node.set_attribute("class", shape.class);
                    for (name, value) in shape.attrs {
                        let _ = node.set_attribute(name, value);
                    }
                    let _ = b.svg.append_child(&node);
                }
            }
        }
        if old.map(|v| &v.spoken) != Some(&view.spoken) {
            let _ = b.svg.set_attribute("aria-label", &view.spoken);
        }
        if drawn.as_ref().map(|(_, s)| *s) != Some(size) {
            let text = size.to_string();
            let _ = b.svg.set_attribute("width", &text);
            let _ = b.svg.set_attribute("height", &text);
        }
        if old.map(|v| &v.text) != Some(&view.text) {
            match (&view.text, b.label.take()) {
                (Some(text), Some(label)) => {
                    label.set_text_content(Some(text));
                    b.label = Some(label);
                }
                (Some(text), None) => b.label = label(&b.base, text),
                (None, Some(label)) => label.remove(),
                (None, None) => {}
            }
        }
        let ticking = ticks(&b.state);
        if !ticking {
            b.ticker = None;
        } else if b.ticker.is_none() {
            let weak: Weak<RefCell<Inner>> = Rc::downgrade(&self.0);
            b.ticker = Some(Interval::new(TICK_MS, move || {
                if let Some(inner) = weak.upgrade() {
                    BadgeDom(inner).draw();
                }
            }));
        }
        b.drawn = Some((view, size));
    }
}

/// The text beside the icon, added to `base`.
fn label(base: &Element, text: &str) -> Option<Element> {
    let label = base.owner_document()?.create_element("span").ok()?;
    label.set_attribute("class", "presence-badge__label").ok()?;
    label.set_attribute("part", "label").ok()?;
    label.set_attribute("aria-hidden", "true").ok()?;
    label.set_text_content(Some(text));
    base.append_child(&label).ok()?;
    Some(label)
}
