//! The status icon: an SVG whose shape as well as colour tells the states apart, so it reads in
//! greyscale and in forced-colours mode. Filled disks for the reachable states, rings for idle,
//! offline, unknown, out of office, loading and error; a mark inside for all but Busy.

use yew::prelude::*;

use crate::core::roster::availability_css;
use crate::core::{Availability, State};

/// What an icon shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    /// A presence.
    Presence {
        /// Its availability.
        availability: Availability,
        /// Out of office: a ring with an arrow, in its own colour.
        out_of_office: bool,
        /// Idle: the availability's mark on a ring instead of a disk.
        idle: bool,
        /// The last poll failed: faded, with a dashed outline.
        stale: bool,
    },
    /// No answer yet: a turning dashed ring.
    Loading,
    /// Never loaded: a ring with an exclamation mark.
    Error,
}

impl Look {
    /// The look of a state.
    pub fn of(state: &State) -> Self {
        match state {
            State::Loading => Look::Loading,
            State::Error(_) => Look::Error,
            State::Fresh(p)
            | State::Failing { presence: p, .. }
            | State::Stale { presence: p, .. } => Look::Presence {
                availability: p.availability,
                out_of_office: p.out_of_office,
                idle: p.idle,
                stale: matches!(state, State::Stale { .. }),
            },
        }
    }

    /// The class naming its colour: `available`, …, `out-of-office`, `loading`, `error`.
    pub fn css(self) -> &'static str {
        match self {
            Look::Presence {
                out_of_office: true,
                ..
            } => "out-of-office",
            Look::Presence { availability, .. } => availability_css(availability),
            Look::Loading => "loading",
            Look::Error => "error",
        }
    }
}

/// One shape of an icon: an SVG `circle` or `path`, its class and its geometry. The yew icon and
/// the custom element's badge (`web::elements::badge`) draw the same shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// `circle` or `path`.
    pub tag: &'static str,
    /// Its class attribute.
    pub class: &'static str,
    /// Its other attributes.
    pub attrs: Attrs,
}

/// Attributes as names and values.
pub(crate) type Attrs = &'static [(&'static str, &'static str)];

const C8: [(&str, &str); 2] = [("cx", "8"), ("cy", "8")];
const RING: Attrs = &[C8[0], C8[1], ("r", "7")];
const DISK: Attrs = &[C8[0], C8[1], ("r", "8")];
const STALE: Attrs = &[C8[0], C8[1], ("r", "9.5")];
const POINT_LOW: Attrs = &[("cx", "8"), ("cy", "11.4"), ("r", "0.95")];
const POINT_BANG: Attrs = &[("cx", "8"), ("cy", "11.3"), ("r", "0.95")];

/// The mark inside an icon: its path, and the point below it where there is one.
fn mark(look: Look) -> (Option<Attrs>, Option<Attrs>) {
    let availability = match look {
        Look::Loading => return (None, None),
        Look::Error => return (Some(&[("d", "M8 4.5v4")]), Some(POINT_BANG)),
        Look::Presence {
            out_of_office: true,
            ..
        } => return (Some(&[("d", "M11 8H5.3m2.3-2.4L5.2 8l2.4 2.4")]), None),
        Look::Presence { availability, .. } => availability,
    };
    match availability {
        Availability::Available => (Some(&[("d", "M4.7 8.3 7 10.5l4.3-4.6")]), None),
        Availability::Busy => (None, None),
        Availability::DoNotDisturb => (Some(&[("d", "M4.6 8h6.8")]), None),
        Availability::BeRightBack => (
            Some(&[(
                "d",
                "M5 6.6h4.2a2.3 2.3 0 0 1 0 4.6H7.4M6.8 4.8 5 6.6l1.8 1.8",
            )]),
            None,
        ),
        Availability::Away => (Some(&[("d", "M8 4.6V8l2.4 1.6")]), None),
        Availability::Offline => (Some(&[("d", "m5.7 5.7 4.6 4.6m0-4.6-4.6 4.6")]), None),
        Availability::Unknown => (
            Some(&[("d", "M6.3 6.5a1.8 1.8 0 1 1 2.5 1.6c-.5.2-.8.6-.8 1.1v.2")]),
            Some(POINT_LOW),
        ),
    }
}

/// Whether `look` is drawn on a ring (idle, offline, unknown, out of office, loading, error)
/// rather than a filled disk.
fn on_ring(look: Look) -> bool {
    match look {
        Look::Loading
        | Look::Error
        | Look::Presence {
            out_of_office: true,
            ..
        } => true,
        Look::Presence {
            availability, idle, ..
        } => idle || matches!(availability, Availability::Offline | Availability::Unknown),
    }
}

/// The shapes of the icon for `look`, in drawing order: a disk or ring, the mark, the stale
/// outline.
pub(crate) fn shapes(look: Look) -> Vec<Shape> {
    let ring = on_ring(look);
    let (d, point) = mark(look);
    let mut out = vec![Shape {
        tag: "circle",
        class: if ring {
            "presence-dot__ring"
        } else {
            "presence-dot__disk"
        },
        attrs: if ring { RING } else { DISK },
    }];
    if let Some(d) = d {
        out.push(Shape {
            tag: "path",
            class: if ring {
                "presence-dot__glyph presence-dot__glyph--on-ring"
            } else {
                "presence-dot__glyph"
            },
            attrs: d,
        });
    }
    if let Some(point) = point {
        out.push(Shape {
            tag: "circle",
            class: if ring {
                "presence-dot__point presence-dot__point--on-ring"
            } else {
                "presence-dot__point"
            },
            attrs: point,
        });
    }
    if matches!(look, Look::Presence { stale: true, .. }) {
        out.push(Shape {
            tag: "circle",
            class: "presence-dot__stale",
            attrs: STALE,
        });
    }
    out
}

/// The icon's own attributes besides its class and label: `size` pixels square.
pub(crate) const SVG_ATTRS: Attrs = &[
    ("part", "dot"),
    ("role", "img"),
    ("viewBox", "0 0 16 16"),
    ("focusable", "false"),
];

/// The icon's class: `presence-dot presence-dot--available`, …
pub(crate) fn svg_class(look: Look) -> String {
    format!("presence-dot presence-dot--{}", look.css())
}

/// The icon, `size` pixels square, named `label` for assistive technology (hidden from it when
/// `label` is empty: an icon beside words that say it).
pub fn icon(look: Look, size: u32, label: &str) -> Html {
    let size = size.clamp(10, 32).to_string();
    let shapes = shapes(look);
    let mut svg = yew::virtual_dom::VTag::new("svg");
    svg.add_attribute("class", svg_class(look));
    for (name, value) in SVG_ATTRS {
        // An icon beside its own words says nothing itself.
        if label.is_empty() && *name == "role" {
            svg.add_attribute("aria-hidden", "true");
            continue;
        }
        svg.add_attribute(name, *value);
    }
    if !label.is_empty() {
        svg.add_attribute("aria-label", label.to_owned());
    }
    svg.add_attribute("width", size.clone());
    svg.add_attribute("height", size);
    for shape in shapes {
        let mut tag = yew::virtual_dom::VTag::new(shape.tag);
        tag.add_attribute("class", shape.class);
        for (name, value) in shape.attrs {
            tag.add_attribute(name, *value);
        }
        svg.add_child(tag.into());
    }
    svg.into()
}
