//! The yew components: [`PresenceBadge`] for one person, [`PresenceList`] for many,
//! [`PresenceSummary`] for counts. They are views over the page's stores (through
//! [`super::PresenceProvider`] and the hooks of [`super::hooks`]) and share one stylesheet.

pub mod badge;
pub mod clock;
pub mod icon;
pub mod list;
#[cfg(feature = "write")]
pub mod picker;
pub mod style;
pub mod summary;

pub use badge::{PresenceBadge, PresenceBadgeProps, StateBadge, StateBadgeProps};
pub use list::{PresenceList, PresenceListProps};
#[cfg(feature = "write")]
pub use picker::{PresenceStatusPicker, PresenceStatusPickerProps};
pub use style::{adopt_stylesheet, STYLESHEET};
pub use summary::{PresenceSummary, PresenceSummaryProps};
