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

enum Mark {
    None,
    Check,
    Bar,
    Clock,
    Back,
    Cross,
    Question,
    Arrow,
    Bang,
}

fn mark(mark: Mark, on_ring: bool) -> Html {
    let glyph = classes!(
        "presence-dot__glyph",
        on_ring.then_some("presence-dot__glyph--on-ring")
    );
    let point = classes!(
        "presence-dot__point",
        on_ring.then_some("presence-dot__point--on-ring")
    );
    match mark {
        Mark::None => html! {},
        Mark::Check => html! { <path class={glyph} d="M4.7 8.3 7 10.5l4.3-4.6" /> },
        Mark::Bar => html! { <path class={glyph} d="M4.6 8h6.8" /> },
        Mark::Clock => html! { <path class={glyph} d="M8 4.6V8l2.4 1.6" /> },
        Mark::Back => {
            html! { <path class={glyph} d="M5 6.6h4.2a2.3 2.3 0 0 1 0 4.6H7.4M6.8 4.8 5 6.6l1.8 1.8" /> }
        }
        Mark::Cross => html! { <path class={glyph} d="m5.7 5.7 4.6 4.6m0-4.6-4.6 4.6" /> },
        Mark::Question => html! {
            <>
                <path class={glyph} d="M6.3 6.5a1.8 1.8 0 1 1 2.5 1.6c-.5.2-.8.6-.8 1.1v.2" />
                <circle class={point} cx="8" cy="11.4" r="0.95" />
            </>
        },
        Mark::Arrow => html! { <path class={glyph} d="M11 8H5.3m2.3-2.4L5.2 8l2.4 2.4" /> },
        Mark::Bang => html! {
            <>
                <path class={glyph} d="M8 4.5v4" />
                <circle class={point} cx="8" cy="11.3" r="0.95" />
            </>
        },
    }
}

/// The icon, `size` pixels square, named `label` for assistive technology.
pub fn icon(look: Look, size: u32, label: &str) -> Html {
    let (ring, glyph) = match look {
        Look::Loading => (true, Mark::None),
        Look::Error => (true, Mark::Bang),
        Look::Presence {
            out_of_office: true,
            ..
        } => (true, Mark::Arrow),
        Look::Presence {
            availability, idle, ..
        } => {
            let glyph = match availability {
                Availability::Available => Mark::Check,
                Availability::Busy => Mark::None,
                Availability::DoNotDisturb => Mark::Bar,
                Availability::BeRightBack => Mark::Back,
                Availability::Away => Mark::Clock,
                Availability::Offline => Mark::Cross,
                Availability::Unknown => Mark::Question,
            };
            let ring =
                idle || matches!(availability, Availability::Offline | Availability::Unknown);
            (ring, glyph)
        }
    };
    let stale = matches!(look, Look::Presence { stale: true, .. });
    let size = size.clamp(10, 32).to_string();
    html! {
        <svg class={classes!("presence-dot", format!("presence-dot--{}", look.css()))}
             part="dot" role="img" aria-label={label.to_owned()} width={size.clone()} height={size}
             viewBox="0 0 16 16" focusable="false">
            if ring {
                <circle class="presence-dot__ring" cx="8" cy="8" r="7" />
            } else {
                <circle class="presence-dot__disk" cx="8" cy="8" r="8" />
            }
            { mark(glyph, ring) }
            if stale {
                <circle class="presence-dot__stale" cx="8" cy="8" r="9.5" />
            }
        </svg>
    }
}
