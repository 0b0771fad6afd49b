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

use std::borrow::Cow;

use super::error::{PresenceError, Retry};
use super::http::{snippet, HttpRequest, HttpResponse};
use super::json::{JsonError, Reader};
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

/// Reads a JSON body with `read`, which takes what it needs from the [`Reader`]. A failure says
/// where the offending value is and what was wrong with it (`value[3].availability`: expected a
/// string, found a number), or that the body was not JSON at all (an HTML error page).
pub(crate) fn decode<'a, T>(
    provider: ProviderKind,
    body: &'a str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<T, PresenceError> {
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
    let mut reader = Reader::new(body);
    read(&mut reader)
        .and_then(|value| reader.finish().map(|()| value))
        .map_err(|e| PresenceError::Decode {
            provider,
            path: e.path,
            message: e.message,
        })
}

/// The string fields `names` of the object in an error body (of the object under `within`, when
/// given): what can be read of them, `None` for the rest. Error bodies are read leniently: a field
/// of another type, or a body that is not JSON, is simply not there.
pub(crate) fn error_fields<const N: usize>(
    body: &str,
    within: Option<&str>,
    names: [&str; N],
) -> [Option<String>; N] {
    let mut found = std::array::from_fn(|_| None);
    let _ = read_fields(&mut Reader::new(body), within, &names, &mut found);
    found
}

fn read_fields(
    r: &mut Reader<'_>,
    within: Option<&str>,
    names: &[&str],
    found: &mut [Option<String>],
) -> Result<(), JsonError> {
    if !r.object()? {
        return Ok(());
    }
    while let Some(key) = r.key()? {
        if within.is_some() {
            if within == Some(key.as_ref()) {
                read_fields(r, None, names, found)?;
            } else {
                r.skip()?;
            }
            continue;
        }
        let slot = names
            .iter()
            .position(|n| *n == key.as_ref())
            .and_then(|i| found.get_mut(i));
        match slot {
            Some(slot) => *slot = r.lenient_string()?.map(Cow::into_owned),
            None => r.skip()?,
        }
    }
    Ok(())
}

/// An object's fields, each given to `field` with the reader at its value; a field it does not
/// take (`Ok(false)`) is skipped. `null` reads as an object without fields.
pub(crate) fn fields<'a>(
    r: &mut Reader<'a>,
    mut field: impl FnMut(&mut Reader<'a>, &str) -> Result<bool, JsonError>,
) -> Result<(), JsonError> {
    each_field(r, &mut field)
}

/// [`fields`], compiled once rather than once per caller.
fn each_field<'a>(
    r: &mut Reader<'a>,
    field: &mut dyn FnMut(&mut Reader<'a>, &str) -> Result<bool, JsonError>,
) -> Result<(), JsonError> {
    if r.object()? {
        while let Some(key) = r.key()? {
            if !field(r, &key)? {
                r.skip()?;
            }
        }
    }
    Ok(())
}

/// `None` for `null`, else the value `read` reads.
pub(crate) fn optional<'a, T>(
    r: &mut Reader<'a>,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<Option<T>, JsonError> {
    if r.null() {
        Ok(None)
    } else {
        read(r).map(Some)
    }
}

/// An array's items, each read by `item`; `null` reads as no items.
pub(crate) fn items<'a, T>(
    r: &mut Reader<'a>,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<Vec<T>, JsonError> {
    let mut out = Vec::new();
    if r.array()? {
        while r.item()? {
            out.push(item(r)?);
        }
    }
    Ok(out)
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

    /// `{"users": [string, …]}`.
    fn users(r: &mut Reader<'_>) -> Result<Vec<String>, JsonError> {
        let mut users = Vec::new();
        fields(r, |r, key| {
            let known = key == "users";
            if known {
                users = items(r, |r| Ok(r.string()?.into_owned()))?;
            }
            Ok(known)
        })?;
        Ok(users)
    }

    #[test]
    fn decode_names_the_path_and_the_html_page() {
        let got = decode(
            ProviderKind::RocketChat,
            r#"{"users":["a","b"], "x": [{}]}"#,
            users,
        );
        assert_eq!(got.unwrap(), ["a", "b"]);
        let err = decode(ProviderKind::RocketChat, r#"{"users":["a",5]}"#, users).unwrap_err();
        match err {
            PresenceError::Decode { path, message, .. } => {
                assert_eq!(path, "users[1]");
                assert_eq!(message, "expected a string, found a number");
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = decode(ProviderKind::RocketChat, r#"{"users":[]} trailing"#, users).unwrap_err();
        assert!(err.to_string().contains("more after the end"), "{err}");
        let err = decode(ProviderKind::Graph, "<html><body>Bad gateway", users).unwrap_err();
        assert!(err.to_string().contains("expected JSON, found `<html>"));
        let err = decode(ProviderKind::Graph, "", users).unwrap_err();
        assert!(err.to_string().contains("an empty body"));
    }

    #[test]
    fn error_bodies_give_what_they_can() {
        let [code, message] = error_fields(
            r#"{"error": {"code": 42, "message": "Throttled", "innerError": {"date": "x"}}}"#,
            Some("error"),
            ["code", "message"],
        );
        assert_eq!((code, message.as_deref()), (None, Some("Throttled")));
        let [message] = error_fields("<html>", None, ["message"]);
        assert_eq!(message, None);
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
