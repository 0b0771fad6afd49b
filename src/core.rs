//! The normalization core: plain Rust with no web dependency (sans-IO).
//!
//! Adapters build [`HttpRequest`] values and read [`HttpResponse`] values; they never send
//! anything. The same code is tested natively, fuzzed, and compiled unchanged into the wasm module.

pub mod auth;
pub mod error;
pub mod http;
pub mod json;
pub mod labels;
pub mod model;
pub mod providers;
pub mod registry;
pub mod roster;
pub mod schedule;

pub use auth::{Credentials, Secret};
pub use error::{PresenceError, Retry};
pub use http::{HttpRequest, HttpResponse, Method};
pub use labels::Labels;
pub use model::{Activity, Availability, Presence, ProviderKind, UserId};
pub use providers::{
    Adapter, Catalog, Cursor, Definition, Endpoint, Genesys, Graph, Plan, Provider, RocketChat,
    SuperOffice, Update,
};
pub use registry::{Applied, Registry, State};
pub use roster::{Group, Person, Roster, Row};
