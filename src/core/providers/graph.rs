//! Microsoft Graph: `POST /communications/getPresencesByUserId` and `GET /users/{id}/presence`.

use std::borrow::Cow;

use super::{
    bearer, checked, expect_bearer, http_error, problems_text, unreadable_entry, Cursor, Plan,
    Provider, Update, TOKEN,
};
use crate::core::auth::Credentials;
use crate::core::error::PresenceError;
use crate::core::http::{
    encode_component, is_dot_segment, join, Endpoint, HttpRequest, HttpResponse,
};
#[cfg(feature = "photo")]
use crate::core::json::snippet;
use crate::core::json::{decode, error_fields, push_string, Entry, JsonError, Reader};
use crate::core::model::{
    loose_eq, non_empty, Activity, Availability, Presence, ProviderKind, UserId,
};
use crate::core::providers::CredentialField;
use crate::core::schedule::Cadence;

/// At most this many ids go in one getPresencesByUserId request.
pub const BATCH_LIMIT: usize = 650;

/// `POST /communications/getPresencesByUserId`.
pub const PRESENCES_BY_USER_ID: Endpoint = Endpoint::new(KIND, "getPresencesByUserId");

/// `GET /users/{id}/presence`.
pub const USER_PRESENCE: Endpoint = Endpoint::new(KIND, "users/{id}/presence");

/// Polled every 30 s by default: 1,500 requests per 30 s per app per tenant, shared by every user
/// of the app; a page may ask for down to 1 s.
pub const CADENCE: Cadence = Cadence {
    interval_ms: 30_000,
    floor_ms: 1_000,
};

/// `GET /users/{id}/photo/$value`: a person's picture (feature `photo`, with the `photos` setting).
pub const USER_PHOTO: Endpoint = Endpoint::new(KIND, "users/{id}/photo/$value");

/// The setting that has the source read people's pictures for avatars (`photos: true`; feature
/// `photo`).
#[cfg(feature = "photo")]
pub const PHOTOS_SETTING: &str = "photos";

/// `POST /users/{id}/presence/setUserPreferredPresence` (feature `write`).
pub const SET_PREFERRED_PRESENCE: Endpoint = Endpoint::new(KIND, "setUserPreferredPresence");

/// `POST /users/{id}/presence/clearUserPreferredPresence` (feature `write`).
pub const CLEAR_PREFERRED_PRESENCE: Endpoint = Endpoint::new(KIND, "clearUserPreferredPresence");

/// `POST /users/{id}/presence/setStatusMessage` (feature `write`).
pub const SET_STATUS_MESSAGE: Endpoint = Endpoint::new(KIND, "setStatusMessage");

/// The six preferred presences Graph takes, each an availability with its one activity; a
/// choice's value is the availability.
#[cfg(feature = "write")]
const PREFERRED: [(&str, &str, Availability, Option<Activity>); 6] = [
    ("Available", "Available", Availability::Available, None),
    ("Busy", "Busy", Availability::Busy, None),
    (
        "DoNotDisturb",
        "DoNotDisturb",
        Availability::DoNotDisturb,
        None,
    ),
    (
        "BeRightBack",
        "BeRightBack",
        Availability::BeRightBack,
        None,
    ),
    ("Away", "Away", Availability::Away, None),
    (
        "Offline",
        "OffWork",
        Availability::Offline,
        Some(Activity::OffWork),
    ),
];

const KIND: ProviderKind = ProviderKind::Graph;

/// The Microsoft Graph adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    base_url: String,
    /// Whether avatars read people's pictures (`photos`).
    #[cfg(feature = "photo")]
    photos: bool,
}

impl Graph {
    /// Reads Graph at `base_url`, such as `https://graph.microsoft.com/v1.0` or `…/beta`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            #[cfg(feature = "photo")]
            photos: false,
        }
    }

    /// `GET /users/{id}/presence` for one person.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for an id that cannot stand in a path (empty, `.`, `..`).
    ///
    /// ```
    /// use presence_widgets::core::Graph;
    /// let r = Graph::new("https://graph.microsoft.com/v1.0").plan_user(&"a/b".into()).unwrap();
    /// assert_eq!(r.url, "https://graph.microsoft.com/v1.0/users/a%2Fb/presence");
    /// ```
    pub fn plan_user(&self, id: &UserId) -> Result<HttpRequest, PresenceError> {
        self.user_get(id, "presence", USER_PRESENCE)
    }

    /// `GET /users/{id}/{rest}` for one person, `id` percent-encoded.
    fn user_get(
        &self,
        id: &UserId,
        rest: &str,
        endpoint: Endpoint,
    ) -> Result<HttpRequest, PresenceError> {
        if is_dot_segment(id.as_str()) {
            return Err(bad_id(id));
        }
        let path = format!("/users/{}/{rest}", encode_component(id.as_str()));
        Ok(HttpRequest::get(
            join(&self.base_url, &path),
            endpoint,
            vec![id.clone()],
        ))
    }
}

fn bad_id(id: &UserId) -> PresenceError {
    PresenceError::Config(format!("graph: `{id}` is not a user id"))
}

impl Provider for Graph {
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

    #[cfg(feature = "photo")]
    fn setting_names(&self) -> &'static [&'static str] {
        &[PHOTOS_SETTING]
    }

    /// `photos`: `true` or `false`.
    #[cfg(feature = "photo")]
    fn set(&mut self, name: &str, value: &str) -> Result<(), PresenceError> {
        if name != PHOTOS_SETTING {
            return Err(PresenceError::Config(format!(
                "graph: no setting named `{name}`"
            )));
        }
        self.photos = match value.trim() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(PresenceError::Config(format!(
                    "graph: `photos` is true or false, not `{value}`"
                )))
            }
        };
        Ok(())
    }

    /// `GET /users/{id}/photo/$value`, with `photos` set.
    #[cfg(feature = "photo")]
    fn plan_photo(&self, id: &UserId) -> Option<Result<HttpRequest, PresenceError>> {
        self.photos
            .then(|| self.user_get(id, "photo/$value", USER_PHOTO))
    }

    /// A 2xx `image/…` is the picture; a 404 (`ImageNotFound`, or a user it does not know) means
    /// none.
    #[cfg(feature = "photo")]
    fn read_photo(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<super::Photo, PresenceError> {
        if request.endpoint != USER_PHOTO {
            return Err(super::wrong_endpoint(KIND, request));
        }
        if response.status == 404 {
            return Ok(super::Photo::Missing);
        }
        if !response.is_success() {
            return Err(error(response));
        }
        let kind = response.header("content-type").unwrap_or_default();
        if kind.trim_start().to_ascii_lowercase().starts_with("image/") {
            Ok(super::Photo::Picture)
        } else {
            Err(PresenceError::Decode {
                provider: KIND,
                path: ".".into(),
                message: format!("the photo is `{}`, not an image", snippet(kind, 60)),
            })
        }
    }

    /// One `getPresencesByUserId` POST per 650 ids; the body is `{"ids": [...]}`.
    fn plan(&self, ids: &[UserId], _cursor: Option<&Cursor>) -> Plan {
        let (valid, mut plan) = checked(ids, |id| {
            if id.as_str().trim().is_empty() {
                Err(bad_id(id))
            } else {
                Ok(())
            }
        });
        let url = join(&self.base_url, "/communications/getPresencesByUserId");
        for batch in valid.chunks(BATCH_LIMIT) {
            let mut body = String::from("{\"ids\":[");
            for (i, id) in batch.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                push_string(&mut body, id.as_str());
            }
            body.push_str("]}");
            plan.requests.push(HttpRequest::post_json(
                url.clone(),
                body,
                PRESENCES_BY_USER_ID,
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
        if !matches!(request.endpoint, PRESENCES_BY_USER_ID | USER_PRESENCE) {
            return Err(super::wrong_endpoint(KIND, request));
        }
        if !response.is_success() {
            return Err(error(response));
        }
        let body = decode(&response.body, read_body).map_err(|e| PresenceError::json(KIND, e))?;
        let single = request.endpoint == USER_PRESENCE;
        let mut update = Update::default();
        match body.value {
            // The collection answer, and the old v1.0 example that wraps one presence in `value`.
            Some(list) => {
                update.presences.reserve(list.len());
                for (i, Entry { value, problems }) in list.into_iter().enumerate() {
                    let wire = value.unwrap_or_default();
                    let id = match (wire.id.as_deref(), single, request.ids.first()) {
                        (Some(id), _, _) if !id.is_empty() => UserId::new(id),
                        (_, true, Some(asked)) => asked.clone(),
                        _ => {
                            let path = format!("value[{i}].id");
                            update.skipped.push(unreadable_entry(KIND, path, &problems));
                            continue;
                        }
                    };
                    update.presences.push(normalize(id, wire, &problems));
                }
            }
            None if single => {
                let id = match (&body.single.id, request.ids.first()) {
                    (_, Some(asked)) => asked.clone(),
                    (Some(id), None) => UserId::new(id.as_ref()),
                    (None, None) => {
                        return Err(PresenceError::Decode {
                            provider: KIND,
                            path: "id".into(),
                            message: "missing field `id`".into(),
                        })
                    }
                };
                update
                    .presences
                    .push(normalize(id, body.single, &body.problems));
            }
            None => {
                return Err(PresenceError::Decode {
                    provider: KIND,
                    path: "value".into(),
                    message: "missing field `value`".into(),
                })
            }
        }
        Ok(update)
    }

    #[cfg(feature = "write")]
    fn choices(&self) -> Vec<crate::core::write::Choice> {
        PREFERRED
            .iter()
            .map(|(value, _, availability, activity)| {
                crate::core::write::Choice::new(value, *availability, activity.clone())
            })
            .collect()
    }

    #[cfg(feature = "write")]
    fn write_note(&self) -> Option<&'static str> {
        Some("pickerNoteGraph")
    }

    /// `setUserPreferredPresence` for a status (its expiry as `expirationDuration`),
    /// `clearUserPreferredPresence` for a reset, then `setStatusMessage` for a message (its
    /// expiry as `expiryDateTime` in UTC).
    #[cfg(feature = "write")]
    fn plan_write(
        &self,
        id: &UserId,
        write: &crate::core::write::StatusWrite,
        now_ms: u64,
    ) -> Result<crate::core::write::WritePlan, PresenceError> {
        use crate::core::write::{check, duration, WritePlan};
        let choices = self.choices();
        let choice = check(KIND, &choices, write, now_ms, true)?.cloned();
        if write.expires_ms.is_some() && choice.is_none() && write.message.is_none() {
            return Err(PresenceError::Config(
                "graph: an expiry ends a status or a message: give one".into(),
            ));
        }
        if is_dot_segment(id.as_str()) || id.as_str().trim().is_empty() {
            return Err(bad_id(id));
        }
        let at = |action: &str| {
            join(
                &self.base_url,
                &format!("/users/{}/presence/{action}", encode_component(id.as_str())),
            )
        };
        let ids = vec![id.clone()];
        let mut requests = Vec::new();
        if let Some(choice) = &choice {
            let (availability, activity) = PREFERRED
                .iter()
                .find(|(value, ..)| *value == choice.value)
                .map_or(("", ""), |(a, b, ..)| (*a, *b));
            let mut body = String::from("{\"availability\":");
            push_string(&mut body, availability);
            body.push_str(",\"activity\":");
            push_string(&mut body, activity);
            if let Some(end) = write.expires_ms {
                body.push_str(",\"expirationDuration\":");
                push_string(&mut body, &duration(end.saturating_sub(now_ms) / 1000));
            }
            body.push('}');
            requests.push(HttpRequest::post_json(
                at("setUserPreferredPresence"),
                body,
                SET_PREFERRED_PRESENCE,
                ids.clone(),
            ));
        }
        if write.reset {
            // The document's request has no body.
            requests.push(HttpRequest {
                method: crate::core::http::Method::Post,
                ..HttpRequest::get(
                    at("clearUserPreferredPresence"),
                    CLEAR_PREFERRED_PRESENCE,
                    ids.clone(),
                )
            });
        }
        if let Some(message) = &write.message {
            let mut body = String::from("{\"statusMessage\":{\"message\":{\"content\":");
            push_string(&mut body, message.trim());
            body.push_str(",\"contentType\":\"text\"}");
            if let Some(end) = write.expires_ms {
                let iso = crate::core::http::format_iso8601(end);
                body.push_str(",\"expiryDateTime\":{\"dateTime\":");
                push_string(&mut body, iso.trim_end_matches('Z'));
                body.push_str(",\"timeZone\":\"UTC\"}");
            }
            body.push_str("}}");
            requests.push(HttpRequest::post_json(
                at("setStatusMessage"),
                body,
                SET_STATUS_MESSAGE,
                ids,
            ));
        }
        Ok(WritePlan {
            requests,
            shows: choice,
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
            &[
                SET_PREFERRED_PRESENCE,
                CLEAR_PREFERRED_PRESENCE,
                SET_STATUS_MESSAGE,
            ],
            request,
            response,
            error,
        )
    }

    fn boxed(&self) -> Box<dyn Provider> {
        Box::new(self.clone())
    }
}

/// Either a presence collection `{ "value": [...] }` or one presence.
#[derive(Default)]
struct WireBody<'a> {
    value: Option<Vec<Entry<WirePresence<'a>>>>,
    single: WirePresence<'a>,
    /// What was wrong in the single presence.
    problems: Vec<JsonError>,
}

/// A `presence`, with `outOfOfficeSettings` and `statusMessage` read into it.
#[derive(Default)]
struct WirePresence<'a> {
    id: Option<Cow<'a, str>>,
    availability: Option<Cow<'a, str>>,
    activity: Option<Cow<'a, str>>,
    is_out_of_office: Option<bool>,
    out_of_office_message: Option<String>,
    status_message: Option<String>,
    published_date_time: Option<String>,
    sequence_number: Option<String>,
}

fn read_body<'a>(r: &mut Reader<'a>) -> Result<WireBody<'a>, JsonError> {
    let mut body = WireBody::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "value" => body.value = r.optional(|r| r.entries(read_presence))?,
            key => presence_field(r, key, &mut body.single)?,
        }
    }
    body.problems = r.take_problems();
    Ok(body)
}

fn read_presence<'a>(r: &mut Reader<'a>) -> Result<WirePresence<'a>, JsonError> {
    let mut wire = WirePresence::default();
    r.object()?;
    while let Some(key) = r.key()? {
        presence_field(r, &key, &mut wire)?;
    }
    Ok(wire)
}

/// Reads the field `key` of a presence into `wire`, skipping fields it does not know. A value of
/// the wrong type is the entry's problem (see [`Reader::soft`]), not the answer's.
fn presence_field<'a>(
    r: &mut Reader<'a>,
    key: &str,
    wire: &mut WirePresence<'a>,
) -> Result<(), JsonError> {
    match key {
        "id" => wire.id = r.soft(Reader::opt_string)?.flatten(),
        "availability" => wire.availability = r.soft(Reader::opt_string)?.flatten(),
        "activity" => wire.activity = r.soft(Reader::opt_string)?.flatten(),
        "sequenceNumber" => wire.sequence_number = r.soft(Reader::opt_owned)?.flatten(),
        "outOfOfficeSettings" => {
            r.soft(|r| {
                r.object()?;
                while let Some(key) = r.key()? {
                    match key.as_ref() {
                        "isOutOfOffice" => wire.is_out_of_office = r.opt_bool()?,
                        "message" => wire.out_of_office_message = r.opt_owned()?,
                        _ => r.skip()?,
                    }
                }
                Ok(())
            })?;
        }
        "statusMessage" => {
            r.soft(|r| {
                r.object()?;
                while let Some(key) = r.key()? {
                    match key.as_ref() {
                        "message" => {
                            r.object()?;
                            while let Some(key) = r.key()? {
                                match key.as_ref() {
                                    "content" => wire.status_message = r.opt_owned()?,
                                    _ => r.skip()?,
                                }
                            }
                        }
                        "publishedDateTime" => wire.published_date_time = r.opt_owned()?,
                        _ => r.skip()?,
                    }
                }
                Ok(())
            })?;
        }
        _ => r.skip()?,
    }
    Ok(())
}

fn error(response: &HttpResponse) -> PresenceError {
    let [code, message] = error_fields(&response.body, Some("error"), ["code", "message"]);
    http_error(KIND, response, code, message, None)
}

/// What a Graph `availability` value means: the availability, an activity it implies, and idle.
fn availability(raw: &str) -> (Availability, Option<Activity>, bool) {
    const TABLE: [(&str, Availability, Option<Activity>, bool); 13] = [
        ("Available", Availability::Available, None, false),
        ("AvailableIdle", Availability::Available, None, true),
        ("Away", Availability::Away, None, false),
        ("BeRightBack", Availability::BeRightBack, None, false),
        ("Busy", Availability::Busy, None, false),
        ("BusyIdle", Availability::Busy, None, true),
        ("DoNotDisturb", Availability::DoNotDisturb, None, false),
        ("Offline", Availability::Offline, None, false),
        ("PresenceUnknown", Availability::Unknown, None, false),
        // Values the newer v1.0 resource page lists under availability.
        (
            "InACall",
            Availability::Busy,
            Some(Activity::InACall),
            false,
        ),
        (
            "InAMeeting",
            Availability::Busy,
            Some(Activity::InAMeeting),
            false,
        ),
        (
            "Presenting",
            Availability::DoNotDisturb,
            Some(Activity::Presenting),
            false,
        ),
        (
            "Focusing",
            Availability::DoNotDisturb,
            Some(Activity::Focusing),
            false,
        ),
    ];
    TABLE
        .into_iter()
        .find(|(name, ..)| loose_eq(raw, name))
        .map(|(_, a, act, idle)| (a, act, idle))
        .unwrap_or((Availability::Unknown, None, false))
}

/// What a Graph `activity` value adds. A value that only repeats the availability adds nothing.
fn activity(raw: &str, availability: Availability) -> Option<Activity> {
    const TABLE: [(&str, Activity); 9] = [
        ("InACall", Activity::InACall),
        ("InAConferenceCall", Activity::InAConferenceCall),
        ("InAMeeting", Activity::InAMeeting),
        ("Presenting", Activity::Presenting),
        ("Focusing", Activity::Focusing),
        ("UrgentInterruptionsOnly", Activity::UrgentInterruptionsOnly),
        ("Inactive", Activity::Inactive),
        ("OffWork", Activity::OffWork),
        ("OutOfOffice", Activity::OutOfOffice),
    ];
    if raw.trim().is_empty() {
        return None;
    }
    if let Some((_, act)) = TABLE.into_iter().find(|(name, _)| loose_eq(raw, name)) {
        return Some(act);
    }
    // Activity values that name an availability (Graph sends `Away/Away`, `Away/BeRightBack`).
    const SAME: [(&str, Availability); 7] = [
        ("Available", Availability::Available),
        ("Away", Availability::Away),
        ("BeRightBack", Availability::BeRightBack),
        ("Busy", Availability::Busy),
        ("DoNotDisturb", Availability::DoNotDisturb),
        ("Offline", Availability::Offline),
        ("PresenceUnknown", Availability::Unknown),
    ];
    match SAME.into_iter().find(|(name, _)| loose_eq(raw, name)) {
        Some((_, same)) if same == availability => None,
        Some((name, _)) => Some(Activity::Other(name.to_owned())),
        None => Some(Activity::Other(raw.to_owned())),
    }
}

/// The presence of one entry. An entry with a value of the wrong type, or without its
/// availability, is `Unknown`, `raw` saying what was wrong.
fn normalize(user: UserId, wire: WirePresence<'_>, problems: &[JsonError]) -> Presence {
    if !problems.is_empty() || wire.availability.is_none() {
        let mut p = Presence::new(user, KIND, Availability::Unknown);
        p.raw = if problems.is_empty() {
            "missing `availability`".to_owned()
        } else {
            problems_text(problems)
        };
        return p;
    }
    let raw_availability = wire.availability.as_deref().unwrap_or("");
    let raw_activity = wire.activity.as_deref().unwrap_or("");
    let (avail, implied, idle) = availability(raw_availability);
    let activity = activity(raw_activity, avail).or(implied);
    let oof_settings = wire.is_out_of_office.unwrap_or(false);
    let out_of_office = oof_settings || activity == Some(Activity::OutOfOffice);
    let (status_text, since) = (wire.status_message, wire.published_date_time);
    let oof_text = wire.out_of_office_message.filter(|_| out_of_office);
    let mut presence = Presence::new(user, KIND, avail);
    presence.activity = activity;
    presence.idle = idle;
    presence.out_of_office = out_of_office;
    presence.message = non_empty(status_text).or_else(|| non_empty(oof_text));
    presence.since = non_empty(since);
    presence.sequence = non_empty(wire.sequence_number);
    presence.raw = if raw_activity.is_empty() {
        raw_availability.to_owned()
    } else {
        format!("{raw_availability}/{raw_activity}")
    };
    presence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_reads_any_case() {
        assert_eq!(availability("busyIdle"), (Availability::Busy, None, true));
        assert_eq!(availability("PRESENCEUNKNOWN").0, Availability::Unknown);
        assert_eq!(
            availability("inAMeeting"),
            (Availability::Busy, Some(Activity::InAMeeting), false)
        );
        assert_eq!(availability("Sleeping").0, Availability::Unknown);
    }

    #[test]
    fn activity_that_repeats_the_availability_adds_nothing() {
        assert_eq!(activity("Away", Availability::Away), None);
        assert_eq!(
            activity("BeRightBack", Availability::Away),
            Some(Activity::Other("BeRightBack".into()))
        );
        assert_eq!(
            activity("outOfOffice", Availability::Away),
            Some(Activity::OutOfOffice)
        );
        assert_eq!(
            activity("Knitting", Availability::Busy),
            Some(Activity::Other("Knitting".into()))
        );
    }
}
