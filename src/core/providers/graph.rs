//! Microsoft Graph: `POST /communications/getPresencesByUserId` and `GET /users/{id}/presence`.

use std::borrow::Cow;

use super::{
    checked, decode, error_fields, fields, http_error, items, optional, wrong_endpoint, Cursor,
    Endpoint, Plan, Provider, Update,
};
use crate::core::error::PresenceError;
use crate::core::http::{encode_component, is_dot_segment, join, HttpRequest, HttpResponse};
use crate::core::json::{push_string, JsonError, Reader};
use crate::core::model::{
    loose_eq, non_empty, Activity, Availability, Presence, ProviderKind, UserId,
};

/// At most this many ids go in one getPresencesByUserId request.
pub const BATCH_LIMIT: usize = 650;

/// The Microsoft Graph adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    base_url: String,
}

impl Graph {
    /// Reads Graph at `base_url`, such as `https://graph.microsoft.com/v1.0` or `…/beta`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
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
        if is_dot_segment(id.as_str()) {
            return Err(bad_id(id));
        }
        let path = format!("/users/{}/presence", encode_component(id.as_str()));
        Ok(HttpRequest::get(
            join(&self.base_url, &path),
            Endpoint::GraphUserPresence,
            vec![id.clone()],
        ))
    }
}

fn bad_id(id: &UserId) -> PresenceError {
    PresenceError::Config(format!("graph: `{id}` is not a user id"))
}

impl Provider for Graph {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Graph
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
                Endpoint::GraphPresencesByUserId,
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
        if !matches!(
            request.endpoint,
            Endpoint::GraphPresencesByUserId | Endpoint::GraphUserPresence
        ) {
            return Err(wrong_endpoint(ProviderKind::Graph, request));
        }
        if !response.is_success() {
            return Err(error(response));
        }
        let body = decode(ProviderKind::Graph, &response.body, read_body)?;
        let presences = match (request.endpoint, body.value) {
            // The collection answer, and the old v1.0 example that wraps one presence in `value`.
            (_, Some(list)) => list
                .into_iter()
                .enumerate()
                .map(|(i, wire)| {
                    let id = match (&wire.id, request.endpoint, request.ids.first()) {
                        (Some(id), _, _) => UserId::new(id.as_ref()),
                        (None, Endpoint::GraphUserPresence, Some(asked)) => asked.clone(),
                        (None, _, _) => {
                            return Err(PresenceError::Decode {
                                provider: ProviderKind::Graph,
                                path: format!("value[{i}].id"),
                                message: "missing field `id`".into(),
                            })
                        }
                    };
                    Ok(normalize(id, wire))
                })
                .collect::<Result<Vec<_>, _>>()?,
            (Endpoint::GraphUserPresence, None) => {
                let id = match (&body.single.id, request.ids.first()) {
                    (_, Some(asked)) => asked.clone(),
                    (Some(id), None) => UserId::new(id.as_ref()),
                    (None, None) => {
                        return Err(PresenceError::Decode {
                            provider: ProviderKind::Graph,
                            path: "id".into(),
                            message: "missing field `id`".into(),
                        })
                    }
                };
                vec![normalize(id, body.single)]
            }
            (_, None) => {
                return Err(PresenceError::Decode {
                    provider: ProviderKind::Graph,
                    path: "value".into(),
                    message: "missing field `value`".into(),
                })
            }
        };
        Ok(Update {
            presences,
            ..Update::default()
        })
    }
}

/// Either a presence collection `{ "value": [...] }` or one presence.
#[derive(Default)]
struct WireBody<'a> {
    value: Option<Vec<WirePresence<'a>>>,
    single: WirePresence<'a>,
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
    fields(r, |r, key| {
        if key == "value" {
            body.value = optional(r, |r| items(r, read_presence))?;
            Ok(true)
        } else {
            presence_field(r, key, &mut body.single)
        }
    })?;
    Ok(body)
}

fn read_presence<'a>(r: &mut Reader<'a>) -> Result<WirePresence<'a>, JsonError> {
    let mut wire = WirePresence::default();
    fields(r, |r, key| presence_field(r, key, &mut wire))?;
    Ok(wire)
}

/// Reads the field `key` of a presence into `wire`; `false` for a field it does not know.
fn presence_field<'a>(
    r: &mut Reader<'a>,
    key: &str,
    wire: &mut WirePresence<'a>,
) -> Result<bool, JsonError> {
    match key {
        "id" => wire.id = r.opt_string()?,
        "availability" => wire.availability = r.opt_string()?,
        "activity" => wire.activity = r.opt_string()?,
        "sequenceNumber" => wire.sequence_number = r.opt_owned()?,
        "outOfOfficeSettings" => fields(r, |r, key| {
            match key {
                "isOutOfOffice" => wire.is_out_of_office = r.opt_bool()?,
                "message" => wire.out_of_office_message = r.opt_owned()?,
                _ => return Ok(false),
            }
            Ok(true)
        })?,
        "statusMessage" => fields(r, |r, key| {
            match key {
                "message" => fields(r, |r, key| {
                    let content = key == "content";
                    if content {
                        wire.status_message = r.opt_owned()?;
                    }
                    Ok(content)
                })?,
                "publishedDateTime" => wire.published_date_time = r.opt_owned()?,
                _ => return Ok(false),
            }
            Ok(true)
        })?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn error(response: &HttpResponse) -> PresenceError {
    let [code, message] = error_fields(&response.body, Some("error"), ["code", "message"]);
    http_error(ProviderKind::Graph, response, code, message, None)
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

fn normalize(user: UserId, wire: WirePresence<'_>) -> Presence {
    let raw_availability = wire.availability.as_deref().unwrap_or("");
    let raw_activity = wire.activity.as_deref().unwrap_or("");
    let (avail, implied, idle) = availability(raw_availability);
    let activity = activity(raw_activity, avail).or(implied);
    let oof_settings = wire.is_out_of_office.unwrap_or(false);
    let out_of_office = oof_settings || activity == Some(Activity::OutOfOffice);
    let (status_text, since) = (wire.status_message, wire.published_date_time);
    let oof_text = wire.out_of_office_message.filter(|_| out_of_office);
    let mut presence = Presence::new(user, ProviderKind::Graph, avail);
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
