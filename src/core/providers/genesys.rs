//! Genesys Cloud: user presences per source (one by one and in bulk), presence definitions (the
//! unpaged listing and the deprecated paged one), system presences, sources and primary sources.
//!
//! A user presence names a definition (`presenceDefinition.id`) and usually its `systemPresence`;
//! the text to show comes from the definition's `languageLabels`, which [`Genesys::learn`] takes
//! from a definitions answer.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use super::{
    checked, decode, error_fields, fields, http_error, items, optional, seconds_in_text,
    wrong_endpoint, Cursor, Endpoint, Plan, Provider, Update,
};
use crate::core::error::PresenceError;
use crate::core::http::{encode_component, is_dot_segment, join, HttpRequest, HttpResponse};
use crate::core::json::{JsonError, Reader};
use crate::core::model::{
    loose_eq, non_empty, Activity, Availability, Presence, ProviderKind, UserId,
};

/// At most this many ids go in one bulk request.
pub const BATCH_LIMIT: usize = 50;

/// The page size asked of the deprecated, paged definitions listing.
pub const DEFINITIONS_PAGE_SIZE: u32 = 100;

/// The Genesys Cloud adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct Genesys {
    base_url: String,
    source: String,
    language: String,
    /// Sorted by id.
    definitions: Vec<(String, Known)>,
}

/// What the adapter remembers of one definition.
#[derive(Clone, Debug, PartialEq)]
struct Known {
    system_presence: Option<String>,
    label: Option<String>,
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
        }
    }

    /// Reads presences of another source: `microsoftteams`, `zoomphone`, or a custom source id.
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = source.to_owned();
        self
    }

    /// Picks labels in this language: `fr`, `fr-CA`, `pt_BR`…; `en_US` when it has none.
    pub fn with_language(mut self, language: &str) -> Self {
        self.language = language.replace('-', "_");
        self
    }

    /// Remembers definitions (from a definitions answer) for their labels and system presences.
    pub fn learn(&mut self, definitions: &[Definition]) {
        for d in definitions {
            let label = label_in(&d.language_labels, &self.language).map(str::to_owned);
            let known = Known {
                system_presence: d.system_presence.clone(),
                label,
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
            Endpoint::GenesysUserPresence,
            vec![id.clone()],
        ))
    }

    /// `GET /api/v2/presence/definitions?localeCode=ALL`: every definition with all its labels.
    pub fn plan_definitions(&self) -> HttpRequest {
        HttpRequest::get(
            join(
                &self.base_url,
                "/api/v2/presence/definitions?localeCode=ALL",
            ),
            Endpoint::GenesysDefinitions,
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
        HttpRequest::get(
            join(&self.base_url, &path),
            Endpoint::GenesysDefinitionsPaged,
            Vec::new(),
        )
    }

    /// `GET /api/v2/systempresences`.
    pub fn plan_system_presences(&self) -> HttpRequest {
        HttpRequest::get(
            join(&self.base_url, "/api/v2/systempresences"),
            Endpoint::GenesysSystemPresences,
            Vec::new(),
        )
    }

    /// `GET /api/v2/presence/sources`.
    pub fn plan_sources(&self) -> HttpRequest {
        HttpRequest::get(
            join(&self.base_url, "/api/v2/presence/sources"),
            Endpoint::GenesysSources,
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
            Endpoint::GenesysPrimarySource,
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
        decode(ProviderKind::Genesys, text, |r| {
            fields(r, |r, key| {
                match key {
                    "topicName" => topic_name = r.opt_string()?,
                    "eventBody" => event_body = optional(r, read_user_presence)?,
                    _ => return Ok(false),
                }
                Ok(true)
            })
        })?;
        let user = topic_name
            .as_deref()
            .and_then(|t| t.strip_prefix("v2.users."))
            .and_then(|t| t.strip_suffix(".presence"))
            .filter(|id| !id.is_empty() && !id.contains('.'));
        let (Some(user), Some(body)) = (user, event_body) else {
            return Ok(None);
        };
        Ok(Some(self.normalize(UserId::new(user), &body)))
    }

    fn normalize(&self, user: UserId, wire: &WireUserPresence<'_>) -> Presence {
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
        let mut p = Presence::new(user, ProviderKind::Genesys, availability);
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
        ProviderKind::Genesys
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
                Endpoint::GenesysBulk,
                batch.to_vec(),
            ));
        }
        plan
    }

    fn parse(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        if request.endpoint.provider() != ProviderKind::Genesys {
            return Err(wrong_endpoint(ProviderKind::Genesys, request));
        }
        if !response.is_success() {
            return Err(error(response));
        }
        let body = response.body.as_str();
        let g = ProviderKind::Genesys;
        let mut update = Update::default();
        match request.endpoint {
            Endpoint::GenesysUserPresence => {
                let wire = decode(g, body, read_user_presence)?;
                let user = match request.ids.first() {
                    Some(id) => id.clone(),
                    None => missing(wire.user_id.as_deref(), "userId")?,
                };
                update.presences.push(self.normalize(user, &wire));
            }
            Endpoint::GenesysBulk => {
                let list = decode(g, body, |r| items(r, read_user_presence))?;
                update.presences.reserve(list.len());
                for (i, wire) in list.iter().enumerate() {
                    let user = missing(wire.user_id.as_deref(), &format!("[{i}].userId"))?;
                    update.presences.push(self.normalize(user, wire));
                }
            }
            Endpoint::GenesysDefinitions => {
                let listing = decode(g, body, |r| listing(r, definition))?;
                update.catalog = Some(Catalog::Definitions {
                    definitions: listing.entities,
                    next_page: None,
                });
            }
            Endpoint::GenesysDefinitionsPaged => {
                let listing = decode(g, body, |r| listing(r, definition))?;
                let next_page = match (listing.page_number, listing.page_count) {
                    (Some(n), Some(count)) if n < count => n.checked_add(1),
                    _ => None,
                };
                update.catalog = Some(Catalog::Definitions {
                    definitions: listing.entities,
                    next_page,
                });
            }
            Endpoint::GenesysSystemPresences => {
                let list = decode(g, body, |r| items(r, system_presence_entity))?;
                update.catalog = Some(Catalog::SystemPresences(list));
            }
            Endpoint::GenesysSources => {
                let listing = decode(g, body, |r| listing(r, source))?;
                update.catalog = Some(Catalog::Sources(listing.entities));
            }
            Endpoint::GenesysPrimarySource => {
                let source = decode(g, body, primary_source)?;
                let user = request
                    .ids
                    .first()
                    .cloned()
                    .unwrap_or_else(|| UserId::new(""));
                update.catalog = Some(Catalog::PrimarySource { user, source });
            }
            _ => return Err(wrong_endpoint(g, request)),
        }
        Ok(update)
    }
}

fn missing(id: Option<&str>, path: &str) -> Result<UserId, PresenceError> {
    match id {
        Some(id) if !id.is_empty() => Ok(UserId::new(id)),
        _ => Err(PresenceError::Decode {
            provider: ProviderKind::Genesys,
            path: path.to_owned(),
            message: "missing the user's id".into(),
        }),
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
    fields(r, |r, key| {
        match key {
            "entities" => page.entities = items(r, entity)?,
            "pageNumber" => page.page_number = r.opt_u32()?,
            "pageCount" => page.page_count = r.opt_u32()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(page)
}

/// `id`, which an entity must have.
fn required_id(r: &Reader<'_>, id: Option<String>) -> Result<String, JsonError> {
    id.ok_or_else(|| r.error("missing field `id`"))
}

fn definition(r: &mut Reader<'_>) -> Result<Definition, JsonError> {
    let mut d = Definition::default();
    let mut id = None;
    fields(r, |r, key| {
        match key {
            "id" => id = r.opt_owned()?,
            "name" => d.name = r.opt_owned()?,
            "type" => d.kind = r.opt_owned()?,
            "systemPresence" => d.system_presence = r.opt_owned()?,
            "deactivated" => d.deactivated = r.opt_bool()?,
            "primary" => d.primary = r.opt_bool()?,
            "languageLabels" => fields(r, |r, language| {
                if let Some(label) = r.opt_owned()? {
                    d.language_labels.push((language.to_owned(), label));
                }
                Ok(true)
            })?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    d.id = required_id(r, id)?;
    Ok(d)
}

fn system_presence_entity(r: &mut Reader<'_>) -> Result<SystemPresence, JsonError> {
    let mut s = SystemPresence::default();
    fields(r, |r, key| {
        match key {
            "id" => s.id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(s)
}

fn source(r: &mut Reader<'_>) -> Result<Source, JsonError> {
    let mut s = Source::default();
    let mut id = None;
    fields(r, |r, key| {
        match key {
            "id" => id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            "description" => s.description = r.opt_owned()?,
            "type" => s.kind = r.opt_owned()?,
            "deactivated" => s.deactivated = r.opt_bool()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    s.id = required_id(r, id)?;
    Ok(s)
}

fn primary_source(r: &mut Reader<'_>) -> Result<PrimarySource, JsonError> {
    let mut s = PrimarySource::default();
    fields(r, |r, key| {
        match key {
            "id" => s.id = r.opt_owned()?,
            "name" => s.name = r.opt_owned()?,
            "sourceId" => s.source_id = r.opt_owned()?,
            "registered" => s.registered = r.opt_bool()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
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
    fields(r, |r, key| {
        match key {
            "userId" => wire.user_id = r.opt_string()?,
            "message" => wire.message = r.opt_string()?,
            "modifiedDate" => wire.modified_date = r.opt_string()?,
            "presenceDefinition" => fields(r, |r, key| {
                match key {
                    "id" => wire.definition_id = r.opt_string()?,
                    "systemPresence" => wire.system_presence = r.opt_string()?,
                    _ => return Ok(false),
                }
                Ok(true)
            })?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(wire)
}

/// `ErrorBody`: `{message, code, status, contextId, details, errors, …}`.
fn error(response: &HttpResponse) -> PresenceError {
    let [message, code] = error_fields(&response.body, None, ["message", "code"]);
    let retry = response
        .retry_after()
        .or_else(|| message.as_deref().and_then(seconds_in_text));
    http_error(ProviderKind::Genesys, response, code, message, retry)
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
