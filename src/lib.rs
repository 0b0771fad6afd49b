//! Presence widgets: who is available right now, from the presence service an organisation
//! already runs (Microsoft Graph, Rocket.Chat, Genesys Cloud, SuperOffice).
//!
//! [`core`] turns every provider's answer into one [`Presence`] model without doing any I/O;
//! `web` (feature `web`, on by default) sends the requests from the browser.
//!
//! ```
//! use presence_widgets::core::{Adapter, Availability, HttpResponse, ProviderKind};
//!
//! let graph = Adapter::new(ProviderKind::Graph, "https://graph.microsoft.com/v1.0")?;
//! let plan = graph.plan(&["fa8bf3dc-eca7-46b7-bad1-db199b62afc3".into()], None);
//! let request = &plan.requests[0];
//! assert_eq!(request.url, "https://graph.microsoft.com/v1.0/communications/getPresencesByUserId");
//!
//! let answer = HttpResponse::new(200, r#"{"value": [{"id": "fa8bf3dc-eca7-46b7-bad1-db199b62afc3",
//!     "availability": "Busy", "activity": "InAMeeting"}]}"#);
//! let update = graph.parse(request, &answer)?;
//! assert_eq!(update.presences[0].availability, Availability::Busy);
//! assert_eq!(update.presences[0].description(), "Busy, in a meeting");
//! # Ok::<(), presence_widgets::core::PresenceError>(())
//! ```

// A build that leaves adapters out leaves some of their shared helpers unused; a full build
// (what the tests lint) still denies dead code.
#![cfg_attr(
    not(feature = "providers"),
    allow(dead_code, reason = "helpers of the adapters this build leaves out")
)]

pub mod core;
#[cfg(feature = "web")]
pub mod web;

pub use crate::core::{Availability, Presence, PresenceError, ProviderKind, UserId};

/// The README's examples, compiled (and the core's run) with the doc tests.
#[cfg(all(doctest, feature = "element"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
