//! Genesys Cloud: user presences per source (one by one and in bulk), presence definitions (the
//! unpaged listing and the deprecated paged one), system presences, sources and primary sources.
//!
//! A user presence names a definition (`presenceDefinition.id`) and usually its `systemPresence`;
//! the text to show comes from the definition's `languageLabels`, which [`Genesys::learn`] takes
//! from a definitions answer.

pub mod channel;

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use super::{
    bearer, checked, expect_bearer, http_error, problems_text, seconds_in_text, unreadable_entry,
    CredentialField, Cursor, Plan, Provider, Update, TOKEN,
};
use crate::core::auth::Credentials;
use crate::core::error::PresenceError;
use crate::core::http::{
    encode_component, is_dot_segment, join, Endpoint, HttpRequest, HttpResponse,
};
use crate::core::json::{decode, error_fields, Entry, JsonError, Reader};
use crate::core::model::{
    loose_eq, non_empty, Activity, Availability, Presence, ProviderKind, UserId,
};
use crate::core::schedule::Cadence;

/// At most this many ids go in one bulk request.
pub const BATCH_LIMIT: usize = 50;

/// The page size asked of the deprecated, paged definitions listing.
pub const DEFINITIONS_PAGE_SIZE: u32 = 100;

/// `GET /api/v2/users/{userId}/presences/{sourceId}`.
pub const USER_PRESENCE: Endpoint = Endpoint::new(KIND, "users/{userId}/presences/{sourceId}");

/// `GET /api/v2/users/presences/{sourceId}/bulk`.
pub const BULK: Endpoint = Endpoint::new(KIND, "users/presences/{sourceId}/bulk");

/// `GET /api/v2/presence/definitions` (unpaged).
pub const DEFINITIONS: Endpoint = Endpoint::new(KIND, "presence/definitions");

/// `GET /api/v2/presencedefinitions` (deprecated, paged).
pub const DEFINITIONS_PAGED: Endpoint = Endpoint::new(KIND, "presencedefinitions");

/// `GET /api/v2/systempresences`.
pub const SYSTEM_PRESENCES: Endpoint = Endpoint::new(KIND, "systempresences");

/// `GET /api/v2/presence/sources`.
pub const SOURCES: Endpoint = Endpoint::new(KIND, "presence/sources");

/// `GET /api/v2/presence/users/{userId}/primarysource`.
pub const PRIMARY_SOURCE: Endpoint = Endpoint::new(KIND, "presence/users/{userId}/primarysource");

/// Polled every 30 s by default: 300 requests per minute per client; a page may ask for down to
/// 1 s.
pub const CADENCE: Cadence = Cadence {
    interval_ms: 30_000,
    floor_ms: 1_000,
};

/// The setting that picks the presence source (`purecloud` unless set).
pub const SOURCE_SETTING: &str = "genesysSource";

/// `PATCH /api/v2/users/{userId}/presences/{sourceId}` (feature `write`; `purecloud` unless the
/// source setting says otherwise).
pub const SET_PRESENCE: Endpoint = Endpoint::new(KIND, "PATCH users/{userId}/presences/{sourceId}");

/// `PUT /api/v2/users/presences/bulk` (feature `write`; `presence:userPresence:edit`).
pub const SET_PRESENCES_BULK: Endpoint = Endpoint::new(KIND, "PUT users/presences/bulk");

const KIND: ProviderKind = ProviderKind::Genesys;

/// Where fetching the presence definitions (for labels) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    /// Not asked yet.
    Wanted,
    /// The unpaged listing is asked for.
    Asked,
    /// The deprecated paged listing, at this page.
    Paged(u32),
    /// Learned, or given up (labels fall back to ours).
    Done,
}

/// The Genesys Cloud adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct Genesys {
    base_url: String,
    source: String,
    language: String,
    /// Sorted by id.
    definitions: Vec<(String, Known)>,
    setup: Setup,
}

/// What the adapter remembers of one definition.
#[derive(Clone, Debug, PartialEq)]
struct Known {
    system_presence: Option<String>,
    label: Option<String>,
    /// Deactivated definitions are still read, never offered to pick.
    deactivated: bool,
}

impl Genesys {
    /// Reads the region at `base_url` (such as `https://api.mypurecloud.com`), source `purecloud`,
    /// labels in `en_US`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            source: "purecloud".into(),
            language: "en_US".into(),
            definitions: Vec::new(),
            setup: Setup::Wanted,
        }
    }

    /// Reads presences of another source: `microsoftteams`, `zoomphone`, or a custom source id.
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = source.to_owned();
        self
    }

    /// Picks labels in this language: `fr`, `fr-CA`, `pt_BR`…; `en_US` when it has none.
    pub fn with_language(mut self, language: &str) -> Self {
        self.set_language(language);
        self
    }

    /// Remembers definitions (from a definitions answer) for their labels and system presences.
    pub fn learn(&mut self, definitions: &[Definition]) {
        for d in definitions {
            let label = label_in(&d.language_labels, &self.language).map(str::to_owned);
            let known = Known {
                system_presence: d.system_presence.clone(),
                label,
                deactivated: d.deactivated == Some(true),
            };
            match self.find(&d.id) {
                Ok(i) => {
                    if let Some(slot) = self.definitions.get_mut(i) {
                        slot.1 = known;
                    }
                }
                Err(i) => self.definitions.insert(i, (d.id.clone(), known)),
            }
        }
    }

    /// Where the definition `id` is among those learned, or would go.
    fn find(&self, id: &str) -> Result<usize, usize> {
        self.definitions
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
    }

    /// The region's API root.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether any definition has been learned.
    pub fn knows_definitions(&self) -> bool {
        !self.definitions.is_empty()
    }

    fn source_segment(&self) -> String {
        encode_component(&self.source)
    }

    /// `GET /api/v2/users/{userId}/presences/{sourceId}` for one person.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for an id that cannot stand in a path.
    ///
    /// ```
    /// use presence_widgets::core::Genesys;
    /// let g = Genesys::new("https://api.mypurecloud.ie").with_source("microsoftteams");
    /// let r = g.plan_user(&"../x?y#z".into()).unwrap();
    /// assert_eq!(r.url, "https://api.mypurecloud.ie/api/v2/users/..%2Fx%3Fy%23z/presences/microsoftteams");
    /// ```
    pub fn plan_user(&self, id: &UserId) -> Result<HttpRequest, PresenceError> {
        check_id(id)?;
        let path = format!(
            "/api/v2/users/{}/presences/{}",
            encode_component(id.as_str()),
            self.source_segment()
        );
        Ok(HttpRequest::get(
            join(&self.base_url, &path),
            USER_PRESENCE,
            vec![id.clone()],
        ))
    }

    /// `PUT /api/v2/users/presences/bulk`: many people's presences set in one request, for a
    /// supervisor's tool (the token needs `presence:userPresence:edit`). Read its answer with
    /// [`Provider::parse_write`].
    ///
    /// # Errors
    /// As [`Provider::plan_write`], for the first write that is wrong (naming whose it is);
    /// and for no writes at all.
    #[cfg(feature = "write")]
    pub fn plan_bulk_write(
        &self,
        writes: &[(UserId, crate::core::write::StatusWrite)],
        now_ms: u64,
    ) -> Result<HttpRequest, PresenceError> {
        if writes.is_empty() {
            return Err(PresenceError::Config(
                "genesys: a bulk write of nobody".into(),
            ));
        }
        // The choices once for every entry (each sorts the definitions).
        let choices = self.choices();
        let mut body = String::from("[");
        for (i, (id, write)) in writes.iter().enumerate() {
            check_id(id)?;
            let (entry, _) =
                self.write_body(&choices, Some(id), write, now_ms)
                    .map_err(|e| match e {
                        PresenceError::Config(why) => {
                            PresenceError::Config(format!("{why} (for `{id}`)"))
                        }
                        other => other,
                    })?;
            if i > 0 {
                body.push(',');
            }
            body.push_str(&entry);
        }
        body.push(']');
        Ok(HttpRequest::json(
            crate::core::http::Method::Put,
            join(&self.base_url, "/api/v2/users/presences/bulk"),
            body,
            SET_PRESENCES_BULK,
            writes.iter().map(|(id, _)| id.clone()).collect(),
        ))
    }

    /// One presence write's JSON (with the user's `id` for the bulk write) and what it shows,
    /// from the adapter's `choices`.
    #[cfg(feature = "write")]
    fn write_body(
        &self,
        choices: &[crate::core::write::Choice],
        user: Option<&UserId>,
        write: &crate::core::write::StatusWrite,
        now_ms: u64,
    ) -> Result<(String, Option<crate::core::write::Choice>), PresenceError> {
        use crate::core::json::push_string;
        let mut choice = crate::core::write::check(KIND, choices, write, now_ms, false)?.cloned();
        if write.reset {
            choice = choices
                .iter()
                .find(|c| c.availability == Availability::Available && c.activity.is_none())
                .cloned();
            if choice.is_none() {
                return Err(PresenceError::Config(
                    "genesys: no Available definition is known to reset to".into(),
                ));
            }
        }
        let mut body = String::from("{");
        if let Some(id) = user {
            // `UserPresence`, the bulk body's documented type, names whose presence it is by `id`.
            body.push_str("\"id\":");
            push_string(&mut body, id.as_str());
        }
        if let Some(choice) = &choice {
            if body.len() > 1 {
                body.push(',');
            }
            body.push_str("\"presenceDefinition\":{\"id\":");
            push_string(&mut body, &choice.value);
            body.push('}');
        }
        if let Some(message) = &write.message {
            if body.len() > 1 {
                body.push(',');
            }
            body.push_str("\"message\":");
            push_string(&mut body, message.trim());
        }
        body.push('}');
        Ok((body, choice))
    }

    /// `GET /api/v2/presence/definitions?localeCode=ALL`: every definition with all its labels.
    pub fn plan_definitions(&self) -> HttpRequest {
        HttpRequest::get(
            join(
                &self.base_url,
                "/api/v2/presence/definitions?localeCode=ALL",
            ),
            DEFINITIONS,
            Vec::new(),
        )
    }

    /// `GET /api/v2/presencedefinitions?pageNumber=N&pageSize=100` (deprecated; needs no
    /// permission). Pages count from 1.
    pub fn plan_definitions_paged(&self, page: u32) -> HttpRequest {
        let path = format!(
            "/api/v2/presencedefinitions?pageNumber={}&pageSize={DEFINITIONS_PAGE_SIZE}",
            page.max(1)
        );
        HttpRequest::get(join(&self.base_url, &path), DEFINITIONS_PAGED, Vec::new())
    }

    /// `GET /api/v2/systempresences`.
    pub fn plan_system_presences(&self) -> HttpRequest {
        HttpRequest::get(
            join(&self.base_url, "/api/v2/systempresences"),
            SYSTEM_PRESENCES,
            Vec::new(),
        )
    }

    /// `GET /api/v2/presence/sources`.
    pub fn plan_sources(&self) -> HttpRequest {
        HttpRequest::get(
            join(&self.base_url, "/api/v2/presence/sources"),
            SOURCES,
            Vec::new(),
        )
    }

    /// `GET /api/v2/presence/users/{userId}/primarysource`.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for an id that cannot stand in a path.
    pub fn plan_primary_source(&self, id: &UserId) -> Result<HttpRequest, PresenceError> {
        check_id(id)?;
        let path = format!(
            "/api/v2/presence/users/{}/primarysource",
            encode_component(id.as_str())
        );
        Ok(HttpRequest::get(
            join(&self.base_url, &path),
            PRIMARY_SOURCE,
            vec![id.clone()],
        ))
    }

    /// Reads one message of the notifications WebSocket. A `v2.users.{id}.presence` event gives
    /// that user's presence; heartbeats (`channel.metadata`) and other topics give `None`.
    ///
    /// # Errors
    /// [`PresenceError::Decode`] for text that is not JSON or a presence event of the wrong shape.
    ///
    /// ```
    /// use presence_widgets::core::{Availability, Genesys};
    /// let event = r#"{"topicName": "v2.users.9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f.presence",
    ///   "eventBody": {"presenceDefinition": {"systemPresence": "ON_QUEUE"}, "message": ""}}"#;
    /// let p = Genesys::new("https://api.mypurecloud.com").parse_notification(event)?.unwrap();
    /// assert_eq!(p.user.as_str(), "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f");
    /// assert_eq!(p.description(), "Busy, on queue");
    /// # Ok::<(), presence_widgets::core::PresenceError>(())
    /// ```
    pub fn parse_notification(&self, text: &str) -> Result<Option<Presence>, PresenceError> {
        let mut topic_name = None;
        let mut event_body = None;
        decode(text, |r| {
            r.object()?;
            while let Some(key) = r.key()? {
                match key.as_ref() {
                    "topicName" => topic_name = r.opt_string()?,
                    "eventBody" => event_body = r.optional(read_user_presence)?,
                    _ => r.skip()?,
                }
            }
            Ok(())
        })
        .map_err(|e| PresenceError::json(KIND, e))?;
        let user = topic_name
            .as_deref()
            .and_then(|t| t.strip_prefix("v2.users."))
            .and_then(|t| t.strip_suffix(".presence"))
            .filter(|id| !id.is_empty() && !id.contains('.'));
        let (Some(user), Some(body)) = (user, event_body) else {
            return Ok(None);
        };
        Ok(Some(self.normalize(UserId::new(user), &body, &[])))
    }

    /// Reads an answer to one of the organisation's listings: definitions, system presences,
    /// sources, a primary source.
    ///
    /// # Errors
    /// As [`Provider::parse`]; [`PresenceError::Config`] for a request that is not a listing.
    pub fn parse_catalog(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Catalog, PresenceError> {
        if !response.is_success() {
            return Err(error(response));
        }
        let body = response.body.as_str();
        let json = |e| PresenceError::json(KIND, e);
        Ok(match request.endpoint {
            DEFINITIONS => Catalog::Definitions {
                definitions: decode(body, |r| listing(r, definition))
                    .map_err(json)?
                    .entities,
                next_page: None,
            },
            DEFINITIONS_PAGED => {
                let listing = decode(body, |r| listing(r, definition)).map_err(json)?;
                let next_page = match (listing.page_number, listing.page_count) {
                    (Some(n), Some(count)) if n < count => n.checked_add(1),
                    _ => None,
                };
                Catalog::Definitions {
                    definitions: listing.entities,
                    next_page,
                }
            }
            SYSTEM_PRESENCES => Catalog::SystemPresences(
                decode(body, |r| r.items(system_presence_entity)).map_err(json)?,
            ),
            SOURCES => {
                Catalog::Sources(decode(body, |r| listing(r, source)).map_err(json)?.entities)
            }
            PRIMARY_SOURCE => Catalog::PrimarySource {
                user: request
                    .ids
                    .first()
                    .cloned()
                    .unwrap_or_else(|| UserId::new("")),
                source: decode(body, primary_source).map_err(json)?,
            },
            _ => return Err(super::wrong_endpoint(KIND, request)),
        })
    }

    fn normalize(
        &self,
        user: UserId,
        wire: &WireUserPresence<'_>,
        problems: &[JsonError],
    ) -> Presence {
        if !problems.is_empty() || (wire.definition_id.is_none() && wire.system_presence.is_none())
        {
            let mut p = Presence::new(user, KIND, Availability::Unknown);
            p.raw = if problems.is_empty() {
                "missing `presenceDefinition`".to_owned()
            } else {
                problems_text(problems)
            };
            return p;
        }
        let known = wire
            .definition_id
            .as_deref()
            .and_then(|id| self.find(id).ok())
            .and_then(|i| self.definitions.get(i))
            .map(|(_, known)| known);
        let system = wire
            .system_presence
            .as_deref()
            .or_else(|| known.and_then(|k| k.system_presence.as_deref()))
            .unwrap_or("");
        let (availability, activity, idle, out_of_office) = system_presence(system);
        let mut p = Presence::new(user, KIND, availability);
        p.activity = activity;
        p.idle = idle;
        p.out_of_office = out_of_office;
        if let Some(label) = known.and_then(|k| k.label.clone()) {
            p.label = Cow::Owned(label);
        }
        p.message = non_empty(wire.message.as_deref().map(str::to_owned));
        p.since = non_empty(wire.modified_date.as_deref().map(str::to_owned));
        p.raw = system.to_owned();
        p
    }
}

fn check_id(id: &UserId) -> Result<(), PresenceError> {
    if is_dot_segment(id.as_str()) || id.as_str().trim().is_empty() {
        Err(PresenceError::Config(format!(
            "genesys: `{id}` is not a user id"
        )))
    } else {
        Ok(())
    }
}

/// The label in `language`, else in its base language, else in `en_US`, else any.
fn label_in<'a>(labels: &'a [(String, String)], language: &str) -> Option<&'a str> {
    let base = language.split('_').next().unwrap_or(language);
    let exact = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k.replace('-', "_").eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    exact(language)
        .or_else(|| exact(base))
        .or_else(|| {
            labels
                .iter()
                .find(|(k, _)| {
                    k.split(['_', '-'])
                        .next()
                        .is_some_and(|b| b.eq_ignore_ascii_case(base))
                })
                .map(|(_, v)| v.as_str())
        })
        .or_else(|| exact("en_US"))
        .or_else(|| exact("en"))
        .or_else(|| labels.first().map(|(_, v)| v.as_str()))
        .filter(|l| !l.trim().is_empty())
}

/// What a `systemPresence` means, whatever its spelling (`ON_QUEUE`, `On Queue`, `OnQueue`):
/// availability, activity, idle, out of office.
fn system_presence(raw: &str) -> (Availability, Option<Activity>, bool, bool) {
    use Availability::{Available, Away, Busy, Offline};
    const TABLE: [(&str, Availability, Option<Activity>, bool, bool); 11] = [
        ("Available", Available, None, false, false),
        ("Busy", Busy, None, false, false),
        ("Meeting", Busy, Some(Activity::InAMeeting), false, false),
        ("Training", Busy, Some(Activity::Training), false, false),
        ("OnQueue", Busy, Some(Activity::OnQueue), false, false),
        ("Away", Away, None, false, false),
        ("Break", Away, Some(Activity::Break), false, false),
        ("Meal", Away, Some(Activity::Meal), false, false),
        ("Idle", Away, None, true, false),
        ("Offline", Offline, None, false, false),
        (
            "OutOfOffice",
            Away,
            Some(Activity::OutOfOffice),
            false,
            true,
        ),
    ];
    TABLE
        .into_iter()
        .find(|(name, ..)| loose_eq(raw, name))
        .map_or(
            (Availability::Unknown, None, false, false),
            |(_, a, act, idle, oof)| (a, act, idle, oof),
        )
}

impl Provider for Genesys {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn cadence(&self) -> Cadence {
        CADENCE
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        TOKEN
    }

    fn credentials(&self, values: &[Option<String>]) -> Result<Credentials, PresenceError> {
        bearer(KIND, values)
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<(), PresenceError> {
        expect_bearer(KIND, credentials)
    }

    fn setting_names(&self) -> &'static [&'static str] {
        &[SOURCE_SETTING]
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), PresenceError> {
        if name != SOURCE_SETTING {
            return Err(PresenceError::Config(format!(
                "genesys: no setting named `{name}`"
            )));
        }
        if is_dot_segment(value.trim()) {
            return Err(PresenceError::Config(format!(
                "genesys: `{value}` is not a presence source"
            )));
        }
        self.source = value.trim().to_owned();
        Ok(())
    }

    fn set_language(&mut self, language: &str) {
        self.language = language.replace('-', "_");
    }

    /// The definitions, for labels in the page's language: the unpaged listing first (it needs a
    /// permission), then the deprecated paged one (it needs none), then our own labels.
    fn plan_setup(&self) -> Option<HttpRequest> {
        match self.setup {
            Setup::Wanted | Setup::Asked => Some(self.plan_definitions()),
            Setup::Paged(page) => Some(self.plan_definitions_paged(page)),
            Setup::Done => None,
        }
    }

    fn setup_sent(&mut self, _request: &HttpRequest) {
        if self.setup == Setup::Wanted {
            self.setup = Setup::Asked;
        }
    }

    fn absorb_setup(&mut self, request: &HttpRequest, answer: Result<HttpResponse, PresenceError>) {
        let catalog = answer.and_then(|response| self.parse_catalog(request, &response));
        self.setup = match (catalog, request.endpoint) {
            (
                Ok(Catalog::Definitions {
                    definitions,
                    next_page,
                }),
                endpoint,
            ) => {
                self.learn(&definitions);
                match (endpoint, next_page) {
                    (DEFINITIONS_PAGED, Some(n)) => Setup::Paged(n),
                    _ => Setup::Done,
                }
            }
            (_, DEFINITIONS) => Setup::Paged(1),
            _ => Setup::Done,
        };
    }

    /// One bulk request per 50 ids: `…/bulk?id=a&id=b`.
    fn plan(&self, ids: &[UserId], _cursor: Option<&Cursor>) -> Plan {
        let (valid, mut plan) = checked(ids, check_id);
        let base = join(
            &self.base_url,
            &format!("/api/v2/users/presences/{}/bulk", self.source_segment()),
        );
        for batch in valid.chunks(BATCH_LIMIT) {
            let query: Vec<String> = batch
                .iter()
                .map(|id| format!("id={}", encode_component(id.as_str())))
                .collect();
            plan.requests.push(HttpRequest::get(
                format!("{base}?{}", query.join("&")),
                BULK,
                batch.to_vec(),
            ));
        }
        plan
    }

    fn read(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        if !matches!(request.endpoint, USER_PRESENCE | BULK) {
            return Err(PresenceError::Config(format!(
                "genesys: the answer to a {} request is not presences: read it with \
                 Genesys::parse_catalog",
                request.endpoint
            )));
        }
        if !response.is_success() {
            return Err(error(response));
        }
        let body = response.body.as_str();
        let json = |e| PresenceError::json(KIND, e);
        let mut update = Update::default();
        if request.endpoint == USER_PRESENCE {
            let (wire, problems) = decode(body, |r| {
                let wire = read_user_presence(r)?;
                Ok((wire, r.take_problems()))
            })
            .map_err(json)?;
            let user = match (request.ids.first(), wire.user_id.as_deref()) {
                (Some(id), _) => id.clone(),
                (None, Some(id)) if !id.is_empty() => UserId::new(id),
                (None, _) => {
                    return Err(PresenceError::Decode {
                        provider: KIND,
                        path: "userId".into(),
                        message: "missing the user's id".into(),
                    })
                }
            };
            update
                .presences
                .push(self.normalize(user, &wire, &problems));
            return Ok(update);
        }
        let list = decode(body, |r| r.entries(read_user_presence)).map_err(json)?;
        update.presences.reserve(list.len());
        for (i, Entry { value, problems }) in list.iter().enumerate() {
            let id = value
                .as_ref()
                .and_then(|w| w.user_id.as_deref())
                .filter(|id| !id.is_empty());
            match (id, value) {
                (Some(id), Some(wire)) => {
                    update
                        .presences
                        .push(self.normalize(UserId::new(id), wire, problems));
                }
                _ => update
                    .skipped
                    .push(unreadable_entry(KIND, format!("[{i}].userId"), problems)),
            }
        }
        Ok(update)
    }

    /// The organisation's active definitions a person may pick, with their labels in the
    /// page's language, Available first (none are offered for Offline or Idle, which the
    /// service sets itself).
    #[cfg(feature = "write")]
    fn choices(&self) -> Vec<crate::core::write::Choice> {
        let mut choices: Vec<(usize, crate::core::write::Choice)> = self
            .definitions
            .iter()
            .filter(|(_, known)| !known.deactivated)
            .filter_map(|(id, known)| {
                let system = known.system_presence.as_deref()?;
                if loose_eq(system, "Offline") || loose_eq(system, "Idle") {
                    return None;
                }
                let (availability, activity, ..) = system_presence(system);
                let rank = Availability::ALL
                    .iter()
                    .position(|a| *a == availability)
                    .unwrap_or(usize::MAX);
                let mut choice = crate::core::write::Choice::new(id, availability, activity);
                choice.label.clone_from(&known.label);
                Some((rank, choice))
            })
            .collect();
        choices.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.label.cmp(&y.label)));
        choices.into_iter().map(|(_, choice)| choice).collect()
    }

    /// One `PATCH /api/v2/users/{userId}/presences/{sourceId}` (the source it reads, `purecloud`
    /// by default) with the definition picked (the Available one for a reset) and the message.
    #[cfg(feature = "write")]
    fn plan_write(
        &self,
        id: &UserId,
        write: &crate::core::write::StatusWrite,
        now_ms: u64,
    ) -> Result<crate::core::write::WritePlan, PresenceError> {
        check_id(id)?;
        let (body, shows) = self.write_body(&self.choices(), None, write, now_ms)?;
        // The source it reads (purecloud unless `genesysSource` says otherwise): a write of
        // another would be undone by the next read.
        let path = format!(
            "/api/v2/users/{}/presences/{}",
            encode_component(id.as_str()),
            self.source_segment()
        );
        Ok(crate::core::write::WritePlan {
            requests: vec![HttpRequest::json(
                crate::core::http::Method::Patch,
                join(&self.base_url, &path),
                body,
                SET_PRESENCE,
                vec![id.clone()],
            )],
            shows,
        })
    }

    #[cfg(feature = "write")]
    fn parse_write(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<(), PresenceError> {
        super::write_answer(
            KIND,
            &[SET_PRESENCE, SET_PRESENCES_BULK],
            request,
            response,
            error,
        )
    }

    /// Notification channels; the session reads events with this adapter's definitions.
    #[cfg(feature = "push-core")]
    fn push(
        &self,
        _credentials: Option<&Credentials>,
        _now_ms: u64,
    ) -> Option<Result<Box<dyn crate::core::push::PushSession>, PresenceError>> {
        Some(Ok(Box::new(channel::Channels::new(self.clone()))))
    }

    fn boxed(&self) -> Box<dyn Provider> {
        Box::new(self.clone())
    }
}

/// Organisation data Genesys answers with, beside presences.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Catalog {
    /// Presence definitions; `next_page` where the paged listing has more.
    Definitions {
        /// The definitions on this page (all of them, for the unpaged listing).
        definitions: Vec<Definition>,
        /// The page to ask for next, if any.
        next_page: Option<u32>,
    },
    /// The system presences.
    SystemPresences(Vec<SystemPresence>),
    /// The presence sources.
    Sources(Vec<Source>),
    /// A user's primary presence source.
    PrimarySource {
        /// Whose.
        user: UserId,
        /// Which source.
        source: PrimarySource,
    },
}

/// A presence definition (`OrganizationPresenceDefinition`, or the deprecated
/// `OrganizationPresence`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    /// The definition's id, as user presences name it.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `System` or `User` (new listing only).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The system presence it belongs to.
    pub system_presence: Option<String>,
    /// Its label per language code (`en_US`, `fr`, …), in the answer's order.
    #[serde(serialize_with = "as_map")]
    pub language_labels: Vec<(String, String)>,
    /// Whether it is deactivated.
    pub deactivated: Option<bool>,
    /// Whether it is a primary definition (deprecated listing only).
    pub primary: Option<bool>,
}

/// Pairs written as a JSON object.
fn as_map<S: Serializer>(pairs: &[(String, String)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// A system presence (`SystemPresence`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SystemPresence {
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// A presence source (`Source`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Source {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// `System` or `User`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Whether it is deactivated.
    pub deactivated: Option<bool>,
}

/// A user's primary presence source (`UserPrimarySource`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimarySource {
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// The source's id.
    pub source_id: Option<String>,
    /// Whether the source is a registered one.
    pub registered: Option<bool>,
}

/// A listing's page: `{entities, pageNumber?, pageCount?, …}`.
struct WireListing<T> {
    entities: Vec<T>,
    page_number: Option<u32>,
    page_count: Option<u32>,
}

fn listing<'a, T>(
    r: &mut Reader<'a>,
    entity: fn(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<WireListing<T>, JsonError> {
    let mut page = WireListing {
        entities: Vec::new(),
        page_number: None,
        page_count: None,
    };
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "entities" => page.entities = r.items(entity)?,
            "pageNumber" => page.page_number = r.opt_u32()?,
            "pageCount" => page.page_count = r.opt_u32()?,
            _ => r.skip()?,
        }
    }
    Ok(page)
}

/// `id`, which an entity must have.
fn required_id(r: &Reader<'_>, id: Option<String>) -> Result<String, JsonError> {
    id.ok_or_else(|| r.error("missing field `id`"))
}

fn definition(r: &mut Reader<'_>) -> Result<Definition, JsonError> {
    let mut d = Definition::default();
    let mut id = None;
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "id" => id = r.opt_owned()?,
            "name" => d.name = r.opt_owned()?,
            "type" => d.kind = r.opt_owned()?,
            "systemPresence" => d.system_presence = r.opt_owned()?,
            "deactivated" => d.deactivated = r.opt_bool()?,
            "primary" => d.primary = r.opt_bool()?,
            "languageLabels" => {
                r.object()?;
                while let Some(language) = r.key()? {
                    if let Some(label) = r.opt_owned()? {
                        d.language_labels.push((language.into_owned(), label));
                    }
                }
            }
            _ => r.skip()?,
        }
    }
    d.id = required_id(r, id)?;
    Ok(d)
}

fn system_presence_entity(r: &mut Reader<'_>) -> Result<SystemPresence, JsonError> {
    let mut s = SystemPresence::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "id" => s.id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            _ => r.skip()?,
        }
    }
    Ok(s)
}

fn source(r: &mut Reader<'_>) -> Result<Source, JsonError> {
    let mut s = Source::default();
    let mut id = None;
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "id" => id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            "description" => s.description = r.opt_owned()?,
            "type" => s.kind = r.opt_owned()?,
            "deactivated" => s.deactivated = r.opt_bool()?,
            _ => r.skip()?,
        }
    }
    s.id = required_id(r, id)?;
    Ok(s)
}

fn primary_source(r: &mut Reader<'_>) -> Result<PrimarySource, JsonError> {
    let mut s = PrimarySource::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "id" => s.id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            "sourceId" => s.source_id = r.opt_owned()?,
            "registered" => s.registered = r.opt_bool()?,
            _ => r.skip()?,
        }
    }
    Ok(s)
}

/// `UserPresence` and `UcUserPresence` (the bulk form, which adds `userId`), with
/// `presenceDefinition` read into it.
#[derive(Default)]
struct WireUserPresence<'a> {
    user_id: Option<Cow<'a, str>>,
    definition_id: Option<Cow<'a, str>>,
    system_presence: Option<Cow<'a, str>>,
    message: Option<Cow<'a, str>>,
    modified_date: Option<Cow<'a, str>>,
}

fn read_user_presence<'a>(r: &mut Reader<'a>) -> Result<WireUserPresence<'a>, JsonError> {
    let mut wire = WireUserPresence::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "userId" => wire.user_id = r.soft(Reader::opt_string)?.flatten(),
            "message" => wire.message = r.soft(Reader::opt_string)?.flatten(),
            "modifiedDate" => wire.modified_date = r.soft(Reader::opt_string)?.flatten(),
            "presenceDefinition" => {
                r.soft(|r| {
                    r.object()?;
                    while let Some(key) = r.key()? {
                        match key.as_ref() {
                            "id" => wire.definition_id = r.soft(Reader::opt_string)?.flatten(),
                            "systemPresence" => {
                                wire.system_presence = r.soft(Reader::opt_string)?.flatten()
                            }
                            _ => r.skip()?,
                        }
                    }
                    Ok(())
                })?;
            }
            _ => r.skip()?,
        }
    }
    Ok(wire)
}

/// `ErrorBody`: `{message, code, status, contextId, details, errors, …}`.
fn error(response: &HttpResponse) -> PresenceError {
    let [message, code] = error_fields(&response.body, None, ["message", "code"]);
    let retry = response
        .retry_after()
        .or_else(|| message.as_deref().and_then(seconds_in_text));
    http_error(KIND, response, code, message, retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_presence_ignores_spelling() {
        for raw in ["ON_QUEUE", "On Queue", "OnQueue", "on_queue"] {
            assert_eq!(
                system_presence(raw),
                (Availability::Busy, Some(Activity::OnQueue), false, false)
            );
        }
        assert_eq!(
            system_presence("IDLE"),
            (Availability::Away, None, true, false)
        );
        assert_eq!(system_presence("Lunch").0, Availability::Unknown);
    }

    #[test]
    fn labels_fall_back_from_region_to_language_to_english() {
        let labels: Vec<(String, String)> = [
            ("en_US", "Available"),
            ("fr", "Disponible"),
            ("pt_BR", "Disponível"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(label_in(&labels, "fr_CA"), Some("Disponible"));
        assert_eq!(label_in(&labels, "pt"), Some("Disponível"));
        assert_eq!(label_in(&labels, "de"), Some("Available"));
        assert_eq!(label_in(&[], "de"), None);
    }
}
