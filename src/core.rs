//! The normalization core: plain Rust with no web dependency (sans-IO).
//!
//! Adapters build [`HttpRequest`] values and read [`HttpResponse`] values; they never send
//! anything. The same code is tested natively, fuzzed, and compiled unchanged into the wasm module.
//!
//! The modules read bottom-up, each importing only those above it in this list: `json`, `model`,
//! `error`, `http`, `auth`, `state`, `tabs` (what the tabs of one origin say to each other), `labels`, `avatar` (initials and their colour), `roster`, `schedule`, `push` (what every push
//! session is), `providers` (one file per provider, with its push session beside it), `registry`.

pub mod auth;
pub mod avatar;
pub mod error;
pub mod http;
pub mod json;
pub mod labels;
#[cfg(feature = "relay")]
pub mod link;
pub mod model;
#[cfg(feature = "photo")]
pub mod photos;
pub mod providers;
pub mod push;
pub mod reader;
pub mod registry;
pub mod roster;
pub mod schedule;
pub mod state;
pub mod tabs;
#[cfg(feature = "write")]
pub mod write;

pub use auth::{Credentials, Secret};
pub use error::{PresenceError, Retry};
pub use http::{Endpoint, HttpRequest, HttpResponse, Method};
pub use labels::Labels;
pub use model::{Activity, Availability, Presence, ProviderKind, UserId};
#[cfg(feature = "genesys")]
pub use providers::genesys::{Catalog, Definition, Genesys};
#[cfg(feature = "graph")]
pub use providers::graph::Graph;
#[cfg(feature = "rocketchat")]
pub use providers::rocketchat::RocketChat;
#[cfg(feature = "superoffice")]
pub use providers::superoffice::SuperOffice;
#[cfg(feature = "photo")]
pub use providers::Photo;
pub use providers::{Adapter, CredentialField, Cursor, Plan, Provider, Update};
pub use registry::{Applied, Registry};
pub use roster::{Group, Person, Roster, Row};
pub use schedule::{Cadence, Policy};
pub use state::State;
#[cfg(feature = "write")]
pub use write::{Choice, StatusWrite, WritePlan};
