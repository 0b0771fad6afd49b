//! The adapters: one per provider, each with the same shape.
//!
//! `plan` turns the ids wanted (and a cursor, where the provider has deltas) into
//! [`HttpRequest`] values; `parse` turns the request and its [`HttpResponse`] into an [`Update`] or
//! a typed [`PresenceError`]. Neither does I/O, reads a clock or panics, whatever the body holds.

pub mod genesys;
pub mod graph;
pub mod rocketchat;
pub mod superoffice;

use std::collections::HashSet;

use serde::Deserialize;

use super::error::{PresenceError, Retry};
use super::http::{snippet, HttpRequest, HttpResponse};
use super::model::{Presence, ProviderKind, UserId};

pub use genesys::{Catalog, Definition, Genesys, PrimarySource, Source, SystemPresence};
pub use graph::Graph;
pub use rocketchat::RocketChat;
pub use superoffice::SuperOffice;

/// Which documented read a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// Graph `POST /communications/getPresencesByUserId`.
    GraphPresencesByUserId,
    /// Graph `GET /users/{id}/presence`.
    GraphUserPresence,
    /// Rocket.Chat `GET /api/v1/users.presence`, with `ids` or (for a delta) `from`.
    RocketChatUsersPresence {
        /// True when the request carries `from` rather than `ids`.
        delta: bool,
    },
    /// Rocket.Chat `GET /api/v1/users.getPresence?userId=…`.
    RocketChatGetPresence,
    /// Rocket.Chat `GET /api/v1/users.getStatus?userId=…`.
    RocketChatGetStatus,
    /// Genesys `GET /api/v2/users/{userId}/presences/{sourceId}`.
    GenesysUserPresence,
    /// Genesys `GET /api/v2/users/presences/{sourceId}/bulk`.
    GenesysBulk,
    /// Genesys `GET /api/v2/presence/definitions` (unpaged).
    GenesysDefinitions,
    /// Genesys `GET /api/v2/presencedefinitions` (deprecated, paged).
    GenesysDefinitionsPaged,
    /// Genesys `GET /api/v2/systempresences`.
    GenesysSystemPresences,
    /// Genesys `GET /api/v2/presence/sources`.
    GenesysSources,
    /// Genesys `GET /api/v2/presence/users/{userId}/primarysource`.
    GenesysPrimarySource,
    /// SuperOffice `POST /api/v1/Agents/User/GetUserPresenceStatus`.
    SuperOfficeUserPresenceStatus,
}

impl Endpoint {
    /// The provider the endpoint belongs to.
    pub fn provider(self) -> ProviderKind {
        match self {
            Endpoint::GraphPresencesByUserId | Endpoint::GraphUserPresence => ProviderKind::Graph,
            Endpoint::RocketChatUsersPresence { .. }
            | Endpoint::RocketChatGetPresence
            | Endpoint::RocketChatGetStatus => ProviderKind::RocketChat,
            Endpoint::GenesysUserPresence
            | Endpoint::GenesysBulk
            | Endpoint::GenesysDefinitions
            | Endpoint::GenesysDefinitionsPaged
            | Endpoint::GenesysSystemPresences
            | Endpoint::GenesysSources
            | Endpoint::GenesysPrimarySource => ProviderKind::Genesys,
            Endpoint::SuperOfficeUserPresenceStatus => ProviderKind::SuperOffice,
        }
    }
}

/// Where a provider's deltas continue from: Rocket.Chat's `from`, an ISO 8601 time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor at this ISO 8601 time.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The cursor as the provider reads it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The requests for a set of ids, and the ids that no request can be made for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// The requests, each within the provider's batch limit.
    pub requests: Vec<HttpRequest>,
    /// Ids the provider cannot be asked about (an empty id, `..`, a SuperOffice id that is not a
    /// number), each with the reason.
    pub rejected: Vec<(UserId, PresenceError)>,
}

/// What an answer means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    /// The presences the answer gives or implies (a Rocket.Chat user asked for by id and absent
    /// from the answer is Offline).
    pub presences: Vec<Presence>,
    /// Where the next poll continues from, for providers with deltas.
    pub cursor: Option<Cursor>,
    /// Organisation data that is not a presence (Genesys definitions, sources, …).
    pub catalog: Option<Catalog>,
}

/// The shape every adapter has.
pub trait Provider {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// The requests that read the presence of `ids`, in batches within the provider's limit.
    /// Repeated ids are asked for once.
    fn plan(&self, ids: &[UserId], cursor: Option<&Cursor>) -> Plan;

    /// What the answer to `request` means.
    ///
    /// # Errors
    /// [`PresenceError::Http`] for an error status (with the provider's code, message and when to
    /// retry), [`PresenceError::Decode`] for a body that is not what the endpoint documents.
    fn parse(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError>;
}

/// Any of the four adapters, chosen at run time from configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum Adapter {
    /// Microsoft Graph.
    Graph(Graph),
    /// Rocket.Chat.
    RocketChat(RocketChat),
    /// Genesys Cloud.
    Genesys(Genesys),
    /// SuperOffice.
    SuperOffice(SuperOffice),
}

impl Adapter {
    /// The adapter for `kind` with its defaults, reading the service at `base_url`.
    ///
    /// ```
    /// use presence_widgets::core::{Adapter, Provider, ProviderKind};
    /// let graph = Adapter::new(ProviderKind::Graph, "https://graph.microsoft.com/v1.0");
    /// assert_eq!(graph.kind(), ProviderKind::Graph);
    /// ```
    pub fn new(kind: ProviderKind, base_url: &str) -> Self {
        match kind {
            ProviderKind::Graph => Adapter::Graph(Graph::new(base_url)),
            ProviderKind::RocketChat => Adapter::RocketChat(RocketChat::new(base_url)),
            ProviderKind::Genesys => Adapter::Genesys(Genesys::new(base_url)),
            ProviderKind::SuperOffice => Adapter::SuperOffice(SuperOffice::new(base_url)),
        }
    }

    fn inner(&self) -> &dyn Provider {
        match self {
            Adapter::Graph(a) => a,
            Adapter::RocketChat(a) => a,
            Adapter::Genesys(a) => a,
            Adapter::SuperOffice(a) => a,
        }
    }
}

impl Provider for Adapter {
    fn kind(&self) -> ProviderKind {
        self.inner().kind()
    }

    fn plan(&self, ids: &[UserId], cursor: Option<&Cursor>) -> Plan {
        self.inner().plan(ids, cursor)
    }

    fn parse(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        self.inner().parse(request, response)
    }
}

/// The ids in the order first given, each once.
pub(crate) fn unique(ids: &[UserId]) -> Vec<&UserId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

/// The ids in first-given order, each once, that `check` accepts; the plan so far holds the
/// rejected ones with their reasons.
pub(crate) fn checked(
    ids: &[UserId],
    check: impl Fn(&UserId) -> Result<(), PresenceError>,
) -> (Vec<UserId>, Plan) {
    let mut plan = Plan::default();
    let mut valid = Vec::with_capacity(ids.len());
    for id in unique(ids) {
        match check(id) {
            Ok(()) => valid.push(id.clone()),
            Err(e) => plan.rejected.push((id.clone(), e)),
        }
    }
    (valid, plan)
}

/// Reads a JSON body into `T`. A failure says where the offending value is and what was wrong
/// with it, or that the body was not JSON at all (an HTML error page).
///
/// Natively the body is read plainly and, only on failure, again to name the path of the
/// offending value (`value[3].availability`). In wasm, where every kilobyte is downloaded by every
/// page, the deserializers are compiled once: a failure gives serde_json's own line and column.
pub(crate) fn decode<'de, T: Deserialize<'de>>(
    provider: ProviderKind,
    body: &'de str,
) -> Result<T, PresenceError> {
    let plain = match serde_json::from_str::<T>(body) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let trimmed = body.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        let found = if trimmed.is_empty() {
            "an empty body".to_owned()
        } else {
            format!("`{}`", snippet(trimmed, 40))
        };
        return Err(PresenceError::decode(
            provider,
            format!("expected JSON, found {found}"),
        ));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let (path, message) = locate::<T>(body, plain);
    // Where serde_json stopped: `line 1, column 15`.
    #[cfg(target_arch = "wasm32")]
    let (path, message) = (
        format!("line {}, column {}", plain.line(), plain.column()),
        plain.to_string(),
    );
    Err(PresenceError::Decode {
        provider,
        path,
        message,
    })
}

/// The path of the value that failed, read again with the path tracked.
#[cfg(not(target_arch = "wasm32"))]
fn locate<'de, T: Deserialize<'de>>(body: &'de str, plain: serde_json::Error) -> (String, String) {
    let mut de = serde_json::Deserializer::from_str(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => (e.path().to_string(), e.into_inner().to_string()),
        Ok(_) => (".".to_owned(), plain.to_string()),
    }
}

/// The error for a non-2xx answer, or a 2xx that says it failed.
pub(crate) fn http_error(
    provider: ProviderKind,
    response: &HttpResponse,
    code: Option<String>,
    message: Option<String>,
    retry: Option<Retry>,
) -> PresenceError {
    let message = message.or_else(|| {
        let body = response.body.trim();
        (!body.is_empty()).then(|| snippet(body, 120))
    });
    PresenceError::Http {
        provider,
        status: response.status,
        code,
        message,
        retry: retry.or_else(|| response.retry_after()),
    }
}

/// Finds `N` in a message such as "Retry the request in [42] seconds" or "You must wait 42 seconds
/// before…": the number just before the word `second(s)`.
pub(crate) fn seconds_in_text(text: &str) -> Option<Retry> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|pair| match pair {
        [number, unit] if unit.to_ascii_lowercase().starts_with("second") => {
            let digits = number.trim_matches(|c: char| !c.is_ascii_digit());
            let secs: u64 = digits.parse().ok()?;
            secs.checked_mul(1000).map(Retry::After)
        }
        _ => None,
    })
}

/// The check every adapter makes first: is this request one of its own?
pub(crate) fn wrong_endpoint(provider: ProviderKind, request: &HttpRequest) -> PresenceError {
    PresenceError::Config(format!(
        "{provider}: cannot read the answer to a {:?} request",
        request.endpoint
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_found_in_both_wordings() {
        assert_eq!(
            seconds_in_text("Rate limit exceeded the maximum. Retry the request in [42] seconds"),
            Some(Retry::After(42_000))
        );
        assert_eq!(
            seconds_in_text("Error, too many requests. Please slow down. You must wait 17 seconds before trying this endpoint again. [error-too-many-requests]"),
            Some(Retry::After(17_000))
        );
        assert_eq!(seconds_in_text("no number here"), None);
    }

    #[test]
    fn decode_names_the_path_and_the_html_page() {
        #[derive(Debug, Deserialize)]
        struct Body {
            #[allow(dead_code)]
            users: Vec<String>,
        }
        let err = decode::<Body>(ProviderKind::RocketChat, r#"{"users":["a",5]}"#).unwrap_err();
        match err {
            PresenceError::Decode { path, .. } => assert_eq!(path, "users[1]"),
            other => panic!("unexpected {other:?}"),
        }
        let err = decode::<Body>(ProviderKind::Graph, "<html><body>Bad gateway").unwrap_err();
        assert!(err.to_string().contains("expected JSON, found `<html>"));
        let err = decode::<Body>(ProviderKind::Graph, "").unwrap_err();
        assert!(err.to_string().contains("an empty body"));
    }

    #[test]
    fn unique_keeps_the_first_order() {
        let ids: Vec<UserId> = ["b", "a", "b", "c", "a"]
            .into_iter()
            .map(UserId::from)
            .collect();
        let got: Vec<&str> = unique(&ids).into_iter().map(UserId::as_str).collect();
        assert_eq!(got, ["b", "a", "c"]);
    }
}
