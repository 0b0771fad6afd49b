//! The yew components: [`PresenceBadge`] for one person, [`PresenceList`] for many,
//! [`PresenceSummary`] for counts; with feature `avatar`, `PresenceAvatar` for a person's picture. They are views over the page's stores (through
//! [`super::PresenceProvider`] and the hooks of [`super::hooks`]) and share one stylesheet.

#[cfg(feature = "avatar")]
pub mod avatar;
pub mod badge;
pub mod clock;
pub mod icon;
pub mod list;
#[cfg(feature = "write")]
pub mod picker;
pub mod style;
pub mod summary;

#[cfg(feature = "avatar")]
pub use avatar::{PresenceAvatar, PresenceAvatarProps, StateAvatar, StateAvatarProps};
pub use badge::{PresenceBadge, PresenceBadgeProps, StateBadge, StateBadgeProps};
pub use list::{PresenceList, PresenceListProps};
#[cfg(feature = "write")]
pub use picker::{PresenceStatusPicker, PresenceStatusPickerProps};
pub use style::{adopt_stylesheet, STYLESHEET};
pub use summary::{PresenceSummary, PresenceSummaryProps};
