//! presence-sim: a local server that speaks the documented presence APIs of Microsoft Graph,
//! Rocket.Chat, Genesys Cloud and SuperOffice, for the demo and for tests.
//!
//! It is written from the providers' documents alone and never imports the widget library, so a
//! misreading in one cannot hide behind the same misreading in the other.
//!
//! For the relay it is also the OIDC issuer of viewers' tokens ([`oidc`]) and the
//! client-credentials token endpoints of Entra ID and Genesys' login host ([`oauth`]).
//!
//! Import circles: the socket hub's state ([`hub`]) and the token digest ([`digest`]) sit below
//! all that use them, and the world is given `push::announce` rather than naming it, so neither
//! [`world`] nor [`identity`] imports [`push`]. Two circles are kept on purpose:
//! - [`app`] with [`control`], [`oauth`], [`oidc`], [`providers`] and [`push`]: `app` is the router
//!   and the shared state, merging each one's `routes()`, and every handler and socket task takes
//!   `State<App>` back to lock the world or answer through `App::api`; inside it, [`push`] hands
//!   each change to the protocol of its provider (`providers::rocketchat_ddp`,
//!   `providers::genesys_notifications`), which are `push::Session`s served by `push::run`.
//! - [`identity`] with [`world`]: data, no call back: the world keeps identity's `Writers` (what
//!   `/_sim/writers` was told) under its one lock, and `identity::caller` reads the people and
//!   that table from the world; the writing convention stays in one file.

pub mod app;
pub mod body;
pub mod client;
pub mod clock;
pub mod control;
pub mod digest;
pub mod hub;
pub mod identity;
pub mod oauth;
pub mod oidc;
pub mod page;
pub mod people;
pub mod providers;
pub mod push;
pub mod query;
pub mod reply;
pub mod rng;
pub mod world;

pub use app::{bind, router, serve, App, Site};
pub use people::{Availability, Provider};
pub use world::{Config, Limit, Limits};

/// Starts a simulator on a free loopback port in the background of the current tokio runtime
/// and returns its base URL (`http://127.0.0.1:PORT`). For tests.
///
/// # Errors
/// When no port can be bound.
pub async fn spawn(config: Config) -> std::io::Result<String> {
    let (listener, addr) = bind(0).await?;
    let app = App::new(&config);
    tokio::spawn(async move {
        let _ = serve(listener, app, &Site::default(), std::future::pending()).await;
    });
    Ok(format!("http://{addr}"))
}
