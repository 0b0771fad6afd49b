//! The browser side: sends the core's requests, keeps one store per source, and gives yew
//! components their presence.

pub mod components;
pub mod context;
#[cfg(feature = "element")]
pub mod elements;
pub mod registry;
pub mod source;
pub mod store;
pub mod transport;

pub use components::{
    PresenceBadge, PresenceBadgeProps, PresenceList, PresenceListProps, PresenceSummary,
    PresenceSummaryProps, StateBadge, StateBadgeProps, STYLESHEET,
};
pub use context::{use_presence, PresenceProvider, PresenceProviderProps, Stores};
pub use registry::{configure, store, stores};
pub use source::{Auth, CredentialsFuture, SourceConfig};
pub use store::{Listener, Store, Subscription};
pub use transport::{execute, Transport};
