//! The browser side: sends the core's requests, keeps one store per source, and gives yew
//! components their presence.

pub mod components;
pub mod context;
pub mod directory;
#[cfg(feature = "element")]
pub mod elements;
pub mod hooks;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "relay")]
mod relay;
pub mod source;
pub mod store;
mod tabs;
pub mod transport;

#[cfg(feature = "avatar")]
pub use components::{PresenceAvatar, PresenceAvatarProps, StateAvatar, StateAvatarProps};
pub use components::{
    PresenceBadge, PresenceBadgeProps, PresenceList, PresenceListProps, PresenceSummary,
    PresenceSummaryProps, StateBadge, StateBadgeProps, STYLESHEET,
};
#[cfg(feature = "write")]
pub use components::{PresenceStatusPicker, PresenceStatusPickerProps};
pub use context::{PresenceProvider, PresenceProviderProps, Stores};
pub use directory::{configure, store, stores};
#[cfg(feature = "avatar")]
pub use hooks::use_photo;
pub use hooks::{use_labels, use_presence, use_roster, RosterHandle};
pub use source::{Auth, CredentialsFuture, SourceConfig};
pub use store::{Listener, Mode, Store, Subscription};
pub use transport::{execute, Transport};
