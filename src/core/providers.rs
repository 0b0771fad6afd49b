//! The adapters: one file per provider, each everything that provider is.
//!
//! A provider is one file under `providers/` and one [`ProviderKind`] variant. Its file holds its
//! requests and answers, its poll cadence, how many requests it may have in flight, the requests
//! it needs before it can read presences, its credentials and its settings, all behind the
//! [`Provider`] trait. Nothing outside these files matches on a provider: the registry, the
//! store, the schedule and the configuration readers ask the [`Adapter`].
//!
//! `plan` turns the ids wanted (and a cursor, where the provider has deltas) into
//! [`HttpRequest`] values; `parse` turns the request and its [`HttpResponse`] into an [`Update`] or
//! a typed [`PresenceError`]. Neither does I/O, reads a clock or panics, whatever the body holds.
//!
//! Each provider is a cargo feature (`graph`, `rocketchat`, `genesys`, `superoffice`; all on by
//! default): a build without one has neither its code nor its bytes.

#[cfg(feature = "genesys")]
pub mod genesys;
#[cfg(feature = "graph")]
pub mod graph;
#[cfg(feature = "relay")]
pub mod relay;
#[cfg(feature = "rocketchat")]
pub mod rocketchat;
#[cfg(feature = "superoffice")]
pub mod superoffice;

use std::collections::HashSet;
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::auth::Credentials;
use super::error::PresenceError;
use super::http::{HttpRequest, HttpResponse};
use super::json::{snippet, JsonError};
use super::model::{Presence, ProviderKind, UserId};
use super::schedule::Cadence;

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
    /// from the answer is Offline). An entry with a value of the wrong type, or without its
    /// status, is that person's `Unknown` presence, `raw` saying what was wrong.
    pub presences: Vec<Presence>,
    /// Where the next poll continues from, for providers with deltas.
    pub cursor: Option<Cursor>,
    /// True when the answer lists only who changed since the cursor: the people asked about and
    /// absent from it are as they were.
    pub delta: bool,
    /// Entries left out because whose they were could not be read (no id, or an id of the wrong
    /// type), each with what was wrong.
    pub skipped: Vec<PresenceError>,
    /// The service says it pushes nothing now (Rocket.Chat's presence broadcast is off), and why.
    pub push_off: Option<String>,
}

/// What an answer for a person's picture says (feature `photo`).
#[cfg(feature = "photo")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Photo {
    /// The body is their picture.
    Picture,
    /// They have none: show their initials.
    Missing,
}

/// One credential a provider takes, by the name configuration gives it (`token`, `userId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialField {
    /// The option's name in `configure()`.
    pub name: &'static str,
    /// Whether a source must give it.
    pub required: bool,
}

/// Everything a provider is. One implementation per file under `providers/`. `Send`, so that a
/// native server (the relay) can read from any thread.
///
/// Read calls take `&self` and are pure. The few that change the adapter (`set`, the setup
/// requests' answers) take `&mut self`; the registry owns the adapter and calls them.
pub trait Provider: Send {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// How often it may be polled: the default interval, inside its documented rate limit, and
    /// the shortest interval a page may ask for.
    fn cadence(&self) -> Cadence;

    /// How many requests may be in flight at once; `None` for as many as a plan has.
    fn max_in_flight(&self) -> Option<usize> {
        None
    }

    /// The credentials it takes, in the order [`Provider::credentials`] reads them.
    fn credential_fields(&self) -> &'static [CredentialField];

    /// Credentials from the values of [`Provider::credential_fields`], in their order (`None`
    /// for an optional field not given).
    ///
    /// # Errors
    /// [`PresenceError::Config`] when a value is missing or malformed.
    fn credentials(&self, values: &[Option<String>]) -> Result<Credentials, PresenceError>;

    /// Whether credentials are of the kind it takes.
    ///
    /// # Errors
    /// [`PresenceError::Config`] naming the provider and what it expects.
    fn check_credentials(&self, credentials: &Credentials) -> Result<(), PresenceError>;

    /// The names of its own settings, as configuration gives them (`genesysSource`).
    fn setting_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// Sets one of its [`Provider::setting_names`].
    ///
    /// # Errors
    /// [`PresenceError::Config`] for a setting it does not have or a value it cannot use.
    fn set(&mut self, name: &str, value: &str) -> Result<(), PresenceError> {
        let _ = value;
        Err(PresenceError::Config(format!(
            "{}: no setting named `{name}`",
            self.kind()
        )))
    }

    /// The language of the labels it shows, where it has labels of its own (`fr`, `de-CH`).
    fn set_language(&mut self, language: &str) {
        let _ = language;
    }

    /// The next request it needs answered before presences can be read (Genesys's presence
    /// definitions, for labels), if any.
    fn plan_setup(&self) -> Option<HttpRequest> {
        None
    }

    /// Notes that the setup request is being sent.
    fn setup_sent(&mut self, request: &HttpRequest) {
        let _ = request;
    }

    /// Takes in the answer to a setup request; a failure makes it fall back (another listing,
    /// or its own labels).
    fn absorb_setup(&mut self, request: &HttpRequest, answer: Result<HttpResponse, PresenceError>) {
        let _ = (request, answer);
    }

    /// The requests that read the presence of `ids`, in batches within the provider's limit.
    /// Repeated ids are asked for once. `cursor`, for providers with deltas, asks for what
    /// changed since.
    fn plan(&self, ids: &[UserId], cursor: Option<&Cursor>) -> Plan;

    /// What the answer to one of its own requests means ([`Provider::parse`] checks that it is).
    ///
    /// # Errors
    /// As [`Provider::parse`].
    fn read(&self, request: &HttpRequest, response: &HttpResponse)
        -> Result<Update, PresenceError>;

    /// What the answer to `request` means.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for a request of another provider, [`PresenceError::Http`] for
    /// an error status (with the provider's code, message and when to retry),
    /// [`PresenceError::Decode`] for a body that is not what the endpoint documents.
    fn parse(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        if request.endpoint.provider() != self.kind() {
            return Err(wrong_endpoint(self.kind(), request));
        }
        self.read(request, response)
    }

    /// Its push session, for a provider that pushes changes to a browser (Rocket.Chat's DDP,
    /// Genesys's notification channels); `None` for one that does not. Made after the setup
    /// requests, so that it knows what they taught the adapter.
    ///
    /// # Errors
    /// Inside the option: credentials it cannot push with.
    #[cfg(feature = "push-core")]
    fn push(
        &self,
        credentials: Option<&Credentials>,
        now_ms: u64,
    ) -> Option<Result<Box<dyn crate::core::push::PushSession>, PresenceError>> {
        let _ = (credentials, now_ms);
        None
    }

    /// The request for `id`'s picture, when the source is set to show pictures (Graph's
    /// `photos`); `None` for a source without them (feature `photo`).
    ///
    /// # Errors
    /// Inside the option: [`PresenceError::Config`] for an id that cannot stand in the path.
    #[cfg(feature = "photo")]
    fn plan_photo(&self, id: &UserId) -> Option<Result<HttpRequest, PresenceError>> {
        let _ = id;
        None
    }

    /// What the answer to [`Provider::plan_photo`]'s request says, read from its status and
    /// headers (the picture itself stays with the transport).
    ///
    /// # Errors
    /// [`PresenceError::Http`] for an error status other than "no picture" (401, 403, 429, 5xx:
    /// with the provider's code and message when the body has them), [`PresenceError::Decode`]
    /// for a 2xx answer that is not an image.
    #[cfg(feature = "photo")]
    fn read_photo(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Photo, PresenceError> {
        let _ = response;
        Err(wrong_endpoint(self.kind(), request))
    }

    /// The statuses a person may pick on this service (Genesys: the organisation's active
    /// definitions, once the setup requests have taught them); none for a source that takes no
    /// writes.
    #[cfg(feature = "write")]
    fn choices(&self) -> Vec<super::write::Choice> {
        Vec::new()
    }

    /// The [`crate::core::Labels`] key of what a person should know of a picked status (Graph:
    /// it shows only while they have a presence session, `pickerNoteGraph`), if anything.
    #[cfg(feature = "write")]
    fn write_note(&self) -> Option<&'static str> {
        None
    }

    /// Whether the service sets a status and its message in one value, so that a status
    /// written without a message clears the message (SuperOffice): a widget then gives the
    /// message it shows.
    #[cfg(feature = "write")]
    fn message_with_status(&self) -> bool {
        false
    }

    /// The requests that set `id`'s status as `write` asks, checked first at `now_ms`.
    ///
    /// # Errors
    /// [`PresenceError::Config`], before any request, for what the service would refuse: a
    /// status it does not take, an expiry in the past or one it cannot keep, nothing to set, an
    /// id that cannot stand in a request, a source that takes no writes.
    #[cfg(feature = "write")]
    fn plan_write(
        &self,
        id: &UserId,
        write: &super::write::StatusWrite,
        now_ms: u64,
    ) -> Result<super::write::WritePlan, PresenceError> {
        let _ = (id, write, now_ms);
        Err(super::write::no_writes(self.kind()))
    }

    /// Whether the answer to one of [`Provider::plan_write`]'s requests says it was done.
    ///
    /// # Errors
    /// [`PresenceError::Http`] with the service's status, code and reason (403 without the
    /// permission, 400 for a value it refuses, 429 with when to try again), and for a 2xx that
    /// says it failed (Rocket.Chat's `success: false`).
    #[cfg(feature = "write")]
    fn parse_write(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<(), PresenceError> {
        let _ = response;
        Err(wrong_endpoint(self.kind(), request))
    }

    /// A boxed copy, so that an [`Adapter`] can be cloned.
    fn boxed(&self) -> Box<dyn Provider>;
}

/// Any provider's adapter, chosen at run time from configuration. It derefs to [`Provider`].
pub struct Adapter(Box<dyn Provider>);

/// Only the kind: a `Debug` of every adapter's state would cost every page its bytes.
impl fmt::Debug for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Adapter").field(&self.kind()).finish()
    }
}

impl Clone for Adapter {
    fn clone(&self) -> Self {
        Self(self.0.boxed())
    }
}

impl Deref for Adapter {
    type Target = dyn Provider;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

impl DerefMut for Adapter {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut()
    }
}

impl<P: Provider + 'static> From<P> for Adapter {
    fn from(provider: P) -> Self {
        Self(Box::new(provider))
    }
}

impl Adapter {
    /// The adapter for `kind` with its defaults, reading the service at `base_url`.
    ///
    /// # Errors
    /// [`PresenceError::Config`] when this build leaves the provider out (its cargo feature is
    /// off).
    ///
    /// ```
    /// use presence_widgets::core::{Adapter, ProviderKind};
    /// let graph = Adapter::new(ProviderKind::Graph, "https://graph.microsoft.com/v1.0")?;
    /// assert_eq!(graph.kind(), ProviderKind::Graph);
    /// # Ok::<(), presence_widgets::core::PresenceError>(())
    /// ```
    pub fn new(kind: ProviderKind, base_url: &str) -> Result<Self, PresenceError> {
        let _ = base_url;
        // One line per provider: the only place that turns a kind into its adapter. In a full
        // build the match is exhaustive, so a new kind is pointed at here.
        match kind {
            #[cfg(feature = "graph")]
            ProviderKind::Graph => Ok(graph::Graph::new(base_url).into()),
            #[cfg(feature = "rocketchat")]
            ProviderKind::RocketChat => Ok(rocketchat::RocketChat::new(base_url).into()),
            #[cfg(feature = "genesys")]
            ProviderKind::Genesys => Ok(genesys::Genesys::new(base_url).into()),
            #[cfg(feature = "superoffice")]
            ProviderKind::SuperOffice => Ok(superoffice::SuperOffice::new(base_url).into()),
            #[cfg(feature = "relay")]
            ProviderKind::Relay => Ok(relay::Relay::new(base_url).into()),
            #[cfg(not(all(
                feature = "graph",
                feature = "rocketchat",
                feature = "genesys",
                feature = "superoffice",
                feature = "relay"
            )))]
            other => Err(PresenceError::Config(format!(
                "{other}: not in this build (cargo feature `{other}`)"
            ))),
        }
    }

    /// The providers this build has.
    pub fn kinds() -> impl Iterator<Item = ProviderKind> {
        ProviderKind::ALL
            .into_iter()
            .chain([ProviderKind::Relay])
            .filter(|kind| Adapter::new(*kind, "").is_ok())
    }
}

/// The ids in the order first given, each once.
pub(crate) fn unique(ids: &[UserId]) -> Vec<&UserId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

#[cfg(any(feature = "graph", feature = "rocketchat", feature = "genesys"))]
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

/// The error for a non-2xx answer, or a 2xx that says it failed.
pub(crate) fn http_error(
    provider: ProviderKind,
    response: &HttpResponse,
    code: Option<String>,
    message: Option<String>,
    retry: Option<super::error::Retry>,
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
#[cfg(any(feature = "rocketchat", feature = "genesys"))]
pub(crate) fn seconds_in_text(text: &str) -> Option<super::error::Retry> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|pair| match pair {
        [number, unit] if unit.to_ascii_lowercase().starts_with("second") => {
            let digits = number.trim_matches(|c: char| !c.is_ascii_digit());
            let secs: u64 = digits.parse().ok()?;
            secs.checked_mul(1000).map(super::error::Retry::After)
        }
        _ => None,
    })
}

/// The answer to a request of another provider, or to an endpoint the adapter does not read.
pub(crate) fn wrong_endpoint(provider: ProviderKind, request: &HttpRequest) -> PresenceError {
    PresenceError::Config(format!(
        "{provider}: cannot read the answer to a {} request",
        request.endpoint
    ))
}

/// The answer to one of `provider`'s writes (`request` is of one of its write `endpoints`): done
/// on a 2xx, else the adapter's reading of the error body (`error`).
#[cfg(feature = "write")]
pub(crate) fn write_answer(
    provider: ProviderKind,
    endpoints: &[super::http::Endpoint],
    request: &HttpRequest,
    response: &HttpResponse,
    error: fn(&HttpResponse) -> PresenceError,
) -> Result<(), PresenceError> {
    if !endpoints.contains(&request.endpoint) {
        return Err(wrong_endpoint(provider, request));
    }
    if response.is_success() {
        Ok(())
    } else {
        Err(error(response))
    }
}

/// An entry whose id could not be read: left out of the update, counted in `skipped`.
#[cfg(any(feature = "graph", feature = "rocketchat", feature = "genesys"))]
pub(crate) fn unreadable_entry(
    provider: ProviderKind,
    path: String,
    problems: &[JsonError],
) -> PresenceError {
    let message = match problems.first() {
        Some(p) => format!("an entry left out: {}", p.message),
        None => "an entry left out: it names nobody".to_owned(),
    };
    PresenceError::Decode {
        provider,
        path,
        message,
    }
}

/// What was wrong with an entry, for the `raw` of the `Unknown` presence it becomes:
/// `` `value[3].availability`: expected a string, found a number ``.
pub(crate) fn problems_text(problems: &[JsonError]) -> String {
    let texts: Vec<String> = problems.iter().map(JsonError::to_string).collect();
    texts.join("; ")
}

/// The check of the bearer-token providers' credentials.
#[cfg(any(feature = "graph", feature = "genesys", feature = "relay"))]
pub(crate) fn expect_bearer(
    provider: ProviderKind,
    credentials: &Credentials,
) -> Result<(), PresenceError> {
    match credentials {
        Credentials::Bearer(_) => Ok(()),
        _ => Err(PresenceError::Config(format!(
            "{provider}: credentials must be a bearer token"
        ))),
    }
}

/// A bearer token from the one value of [`TOKEN`].
#[cfg(any(feature = "graph", feature = "genesys", feature = "relay"))]
pub(crate) fn bearer(
    provider: ProviderKind,
    values: &[Option<String>],
) -> Result<Credentials, PresenceError> {
    values
        .first()
        .cloned()
        .flatten()
        .filter(|v| !v.trim().is_empty())
        .map(|token| Credentials::Bearer(super::auth::Secret::new(token)))
        .ok_or_else(|| PresenceError::Config(format!("{provider}: an empty token")))
}

/// The bearer token field of Graph and Genesys.
#[cfg(any(feature = "graph", feature = "genesys", feature = "relay"))]
pub(crate) const TOKEN: &[CredentialField] = &[CredentialField {
    name: "token",
    required: true,
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "rocketchat", feature = "genesys"))]
    #[test]
    fn seconds_are_found_in_both_wordings() {
        use crate::core::error::Retry;
        assert_eq!(
            seconds_in_text("Rate limit exceeded the maximum. Retry the request in [42] seconds"),
            Some(Retry::After(42_000))
        );
        assert_eq!(
            seconds_in_text("Error, too many requests. Please slow down. You must wait 17 seconds before trying this endpoint again. [error-too-many-requests]"),
            Some(Retry::After(17_000))
        );
        assert_eq!(seconds_in_text("no number here"), None);
        assert_eq!(
            seconds_in_text(&format!("wait {} seconds", "9".repeat(400))),
            None
        );
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

    #[test]
    fn every_kind_has_an_adapter_in_a_full_build() {
        #[cfg(all(
            feature = "graph",
            feature = "rocketchat",
            feature = "genesys",
            feature = "superoffice"
        ))]
        assert_eq!(
            Adapter::kinds()
                .filter(|k| *k != ProviderKind::Relay)
                .count(),
            ProviderKind::ALL.len()
        );
        for kind in Adapter::kinds() {
            let adapter = Adapter::new(kind, "https://example.com").unwrap();
            assert_eq!(adapter.kind(), kind);
            assert!(adapter.cadence().floor_ms <= adapter.cadence().interval_ms);
        }
    }
}
