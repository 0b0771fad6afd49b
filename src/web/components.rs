//! The yew components: [`PresenceBadge`] for one person, [`PresenceList`] for many,
//! [`PresenceSummary`] for counts. They are views over the page's stores (through
//! [`super::PresenceProvider`] and [`super::use_presence`]) and share one stylesheet.

pub mod badge;
pub mod clock;
pub mod icon;
pub mod list;
pub mod roster;
pub mod style;
pub mod summary;

pub use badge::{PresenceBadge, PresenceBadgeProps, StateBadge, StateBadgeProps};
pub use list::{PresenceList, PresenceListProps};
pub use roster::{use_roster, RosterHandle};
pub use style::{adopt_stylesheet, STYLESHEET};
pub use summary::{PresenceSummary, PresenceSummaryProps};

use yew::prelude::*;

use crate::core::Labels;

/// The labels of the surrounding [`super::PresenceProvider`], English when there is none.
#[hook]
pub fn use_labels() -> Labels {
    crate::web::context::use_page().labels
}
