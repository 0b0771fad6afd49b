//! presence-relay: one server that reads each presence source once for a whole organisation,
//! with the same core adapters as the browser, and streams the changes to every page as
//! Server-Sent Events read with `fetch` (the viewer's token in a header, never in a URL).
//!
//! - [`config`]: the TOML file and its environment overrides;
//! - [`upstream`]: one reader per source, spending the provider's rate limit on freshness;
//! - `push`: where the service pushes (Rocket.Chat, Genesys), the source's push session driven
//!   over WebSockets inside its reader;
//! - [`hub`]: positions, recent changes and the current entry of each person, broadcast to
//!   every stream;
//! - [`stream`]: `POST /v1/stream`, the protocol pages read;
//! - [`auth`]: viewers' tokens (JWT against the issuer's JWKS) or a proxy's identity header;
//! - [`shared`]: several instances, one reader per source among them, one change log, in Redis;
//!   degraded to reading alone while Redis cannot be reached;
//! - [`app`]: the routes, `/healthz`, `/metrics`, CORS and shutdown.

pub mod app;
pub mod auth;
pub mod config;
pub mod hub;
mod push;
pub mod shared;
pub mod shared_log;
pub mod state;
pub mod stream;
pub mod upstream;

pub use app::{start, Relay, Running};
pub use config::Config;
