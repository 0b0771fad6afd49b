//! The browser side: sends the core's requests and hands the answers back to the adapters.

pub mod transport;

pub use transport::{execute, Transport};
