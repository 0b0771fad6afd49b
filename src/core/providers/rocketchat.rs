//! Rocket.Chat: `GET /api/v1/users.presence` with `ids`, then `from` for deltas.
//!
//! With `ids` the server returns only the users who are online, away or busy: a user asked for and
//! absent is Offline. With `from` (less than ten minutes old) it returns every user changed since,
//! offline ones included, `full: false`; an older `from` silently gives a full snapshot of everyone
//! not offline, `full: true`.

pub mod ddp;

use std::borrow::Cow;
use std::collections::HashSet;

use super::{
    checked, http_error, problems_text, seconds_in_text, unreadable_entry, CredentialField, Cursor,
    Plan, Provider, Update,
};
use crate::core::auth::{Credentials, Secret};
use crate::core::error::{PresenceError, Retry};
use crate::core::http::{
    encode_component, format_iso8601, join, parse_http_date, Endpoint, HttpRequest, HttpResponse,
};
use crate::core::json::{decode, error_fields, Entry, JsonError, Kind, Reader};
use crate::core::model::{loose_eq, non_empty, Availability, Presence, ProviderKind, UserId};
use crate::core::schedule::Cadence;

/// The longest query string one `ids` request carries; more ids go in another request.
pub const MAX_QUERY_LEN: usize = 6000;

/// How far before the answer's time the next `from` starts, so that a change made while the
/// answer was being written, or a small clock difference, is read again rather than missed.
pub const CURSOR_MARGIN_MS: u64 = 2_000;

/// `GET /api/v1/users.presence?ids=…`.
pub const USERS_PRESENCE: Endpoint = Endpoint::new(KIND, "users.presence");

/// `GET /api/v1/users.presence?from=…`: who changed since.
pub const USERS_PRESENCE_DELTA: Endpoint = Endpoint::new(KIND, "users.presence?from");

/// `GET /api/v1/users.getPresence?userId=…`.
pub const GET_PRESENCE: Endpoint = Endpoint::new(KIND, "users.getPresence");

/// `GET /api/v1/users.getStatus?userId=…`.
pub const GET_STATUS: Endpoint = Endpoint::new(KIND, "users.getStatus");

/// Polled every 15 s by default: 10 calls per endpoint per minute per user, and 4 a minute leaves
/// room for other tabs; a page may ask for down to 6 s.
pub const CADENCE: Cadence = Cadence {
    interval_ms: 15_000,
    floor_ms: 6_000,
};

/// `POST /api/v1/users.setStatus` (feature `write`).
pub const SET_STATUS: Endpoint = Endpoint::new(KIND, "users.setStatus");

/// The statuses a person picks (`offline` is "invisible", where the workspace allows it).
#[cfg(feature = "write")]
const STATUSES: [(&str, Availability); 4] = [
    ("online", Availability::Available),
    ("busy", Availability::Busy),
    ("away", Availability::Away),
    ("offline", Availability::Offline),
];

const KIND: ProviderKind = ProviderKind::RocketChat;

const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "userId",
        required: true,
    },
    CredentialField {
        name: "authToken",
        required: true,
    },
];

/// The Rocket.Chat adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RocketChat {
    base_url: String,
}

impl RocketChat {
    /// Reads the workspace at `base_url`, such as `https://chat.example.com`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// `GET /api/v1/users.getPresence?userId=…`: one person's status, no status text.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for an empty id.
    pub fn plan_get_presence(&self, id: &UserId) -> Result<HttpRequest, PresenceError> {
        self.single(id, "users.getPresence", GET_PRESENCE)
    }

    /// `GET /api/v1/users.getStatus?userId=…`: one person's status and status text.
    ///
    /// # Errors
    /// [`PresenceError::Config`] for an empty id.
    pub fn plan_get_status(&self, id: &UserId) -> Result<HttpRequest, PresenceError> {
        self.single(id, "users.getStatus", GET_STATUS)
    }

    fn single(
        &self,
        id: &UserId,
        method: &str,
        endpoint: Endpoint,
    ) -> Result<HttpRequest, PresenceError> {
        if id.as_str().trim().is_empty() {
            return Err(empty_id());
        }
        let path = format!("/api/v1/{method}?userId={}", encode_component(id.as_str()));
        Ok(HttpRequest::get(
            join(&self.base_url, &path),
            endpoint,
            vec![id.clone()],
        ))
    }
}

fn empty_id() -> PresenceError {
    PresenceError::Config("rocketchat: an empty user id".into())
}

/// Reads a `stream-notify-logged` `user-status` event of the realtime API:
/// `fields.args = [[userId, username, statusCode, statusText?]]`, codes 0 offline, 1 online,
/// 2 away, 3 busy. Other messages on the socket (pings, other events) give no presences.
///
/// # Errors
/// [`PresenceError::Decode`] for text that is not JSON or an event of the wrong shape.
///
/// ```
/// use presence_widgets::core::{providers::rocketchat, Availability};
/// let event = r#"{"msg":"changed","collection":"stream-notify-logged","id":"id",
///   "fields":{"eventName":"user-status","args":[["uNqJeFuag2344i62k","rocket.cat",3,"On a call"]]}}"#;
/// let got = rocketchat::parse_stream_event(event)?;
/// assert_eq!(got[0].availability, Availability::Busy);
/// assert_eq!(got[0].message.as_deref(), Some("On a call"));
/// # Ok::<(), presence_widgets::core::PresenceError>(())
/// ```
pub fn parse_stream_event(text: &str) -> Result<Vec<Presence>, PresenceError> {
    let mut event_name = None;
    let mut args = Vec::new();
    decode(text, |r| {
        r.object()?;
        while let Some(key) = r.key()? {
            if key != "fields" {
                r.skip()?;
                continue;
            }
            r.object()?;
            while let Some(key) = r.key()? {
                match key.as_ref() {
                    "eventName" => event_name = r.opt_string()?,
                    "args" => args = r.items(read_arg)?,
                    _ => r.skip()?,
                }
            }
        }
        Ok(())
    })
    .map_err(|e| PresenceError::json(KIND, e))?;
    if event_name.as_deref() != Some("user-status") {
        return Ok(Vec::new());
    }
    let mut presences = Vec::with_capacity(args.len());
    for (i, arg) in args.into_iter().enumerate() {
        let Some(arg) = arg else {
            return Err(PresenceError::Decode {
                provider: KIND,
                path: format!("fields.args[{i}]"),
                message: "expected [userId, username, status]".into(),
            });
        };
        let Some(id) = arg.id.filter(|id| !id.is_empty()) else {
            return Err(PresenceError::Decode {
                provider: KIND,
                path: format!("fields.args[{i}][0]"),
                message: "missing the user's id".into(),
            });
        };
        let (availability, raw) = match arg.status {
            Status::Number(n) => {
                let a = match n.parse::<u64>() {
                    Ok(0) => Availability::Offline,
                    Ok(1) => Availability::Available,
                    Ok(2) => Availability::Away,
                    Ok(3) => Availability::Busy,
                    _ => Availability::Unknown,
                };
                (a, n.to_owned())
            }
            Status::Text(s) => (availability(&s), s.into_owned()),
            Status::None => (Availability::Unknown, String::new()),
        };
        let mut p = Presence::new(UserId::new(id.as_ref()), KIND, availability);
        p.display_name = non_empty(arg.username.map(Cow::into_owned));
        p.message = non_empty(arg.message.map(Cow::into_owned));
        p.raw = raw;
        presences.push(p);
    }
    Ok(presences)
}

/// One `[userId, username, status, statusText]` of a `user-status` event.
#[derive(Default)]
struct WireArg<'a> {
    id: Option<Cow<'a, str>>,
    username: Option<Cow<'a, str>>,
    status: Status<'a>,
    message: Option<Cow<'a, str>>,
}

/// A status as a number (`3`) or a name (`busy`).
#[derive(Default)]
enum Status<'a> {
    Number(&'a str),
    Text(Cow<'a, str>),
    #[default]
    None,
}

/// An event's argument; `None` when it is not an array.
fn read_arg<'a>(r: &mut Reader<'a>) -> Result<Option<WireArg<'a>>, JsonError> {
    if r.kind() != Some(Kind::Array) {
        return r.skip().map(|()| None);
    }
    let mut arg = WireArg::default();
    let mut index = 0;
    r.array()?;
    while r.item()? {
        match index {
            0 => arg.id = r.lenient_string()?,
            1 => arg.username = r.lenient_string()?,
            2 => {
                arg.status = match r.kind() {
                    Some(Kind::Number) => Status::Number(r.number()?),
                    Some(Kind::String) => Status::Text(r.string()?),
                    _ => r.skip().map(|()| Status::None)?,
                }
            }
            3 => arg.message = r.lenient_string()?,
            _ => r.skip()?,
        }
        index += 1;
    }
    Ok(Some(arg))
}

impl Provider for RocketChat {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn cadence(&self) -> Cadence {
        CADENCE
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    fn credentials(&self, values: &[Option<String>]) -> Result<Credentials, PresenceError> {
        let value = |i: usize| values.get(i).cloned().flatten().unwrap_or_default();
        let credentials = Credentials::RocketChat {
            user_id: value(0),
            auth_token: Secret::new(value(1)),
        };
        self.check_credentials(&credentials)?;
        Ok(credentials)
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<(), PresenceError> {
        match credentials {
            Credentials::RocketChat {
                user_id,
                auth_token,
            } if !user_id.trim().is_empty() && !auth_token.expose().trim().is_empty() => Ok(()),
            _ => Err(PresenceError::Config(
                "rocketchat: credentials must be a user id and an auth token".into(),
            )),
        }
    }

    /// Without a cursor: `?ids=a,b,c`, split so that no query is longer than [`MAX_QUERY_LEN`].
    /// With one: a single `?from=…` delta for every id.
    fn plan(&self, ids: &[UserId], cursor: Option<&Cursor>) -> Plan {
        let url = join(&self.base_url, "/api/v1/users.presence");
        let (valid, mut plan) = checked(ids, |id| {
            if id.as_str().trim().is_empty() {
                Err(empty_id())
            } else {
                Ok(())
            }
        });
        if let Some(cursor) = cursor {
            if !valid.is_empty() {
                let url = format!("{url}?from={}", encode_component(cursor.as_str()));
                plan.requests
                    .push(HttpRequest::get(url, USERS_PRESENCE_DELTA, valid));
            }
            return plan;
        }
        let mut query = String::new();
        let mut batch: Vec<UserId> = Vec::new();
        for id in valid {
            let encoded = encode_component(id.as_str());
            if !batch.is_empty() && query.len() + 1 + encoded.len() > MAX_QUERY_LEN {
                plan.requests
                    .push(ids_request(&url, &query, std::mem::take(&mut batch)));
                query.clear();
            }
            if !query.is_empty() {
                query.push(',');
            }
            query.push_str(&encoded);
            batch.push(id);
        }
        if !batch.is_empty() {
            plan.requests.push(ids_request(&url, &query, batch));
        }
        plan
    }

    fn read(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        let delta = match request.endpoint {
            USERS_PRESENCE => false,
            USERS_PRESENCE_DELTA => true,
            GET_PRESENCE | GET_STATUS => return parse_single(request, response),
            _ => return Err(super::wrong_endpoint(KIND, request)),
        };
        if !response.is_success() {
            return Err(error(response));
        }
        let body = decode(&response.body, read_body).map_err(|e| PresenceError::json(KIND, e))?;
        if body.success == Some(false) {
            return Err(http_error(
                KIND,
                response,
                body.error_type,
                body.error,
                None,
            ));
        }
        let Some(users) = body.users else {
            return Err(PresenceError::Decode {
                provider: KIND,
                path: "users".into(),
                message: "missing field `users`".into(),
            });
        };
        // Presence broadcast off (a server without a licence past 200 connections): an `ids`
        // request answers `full: true` and nobody, and no event comes. Nothing can be said of
        // anyone: they are Unknown, and push is off.
        if !delta && body.full == Some(true) && users.is_empty() && !request.ids.is_empty() {
            let why = "the service's presence broadcast is off (`users.presence` answers `full: true` and nobody)";
            let presences = request
                .ids
                .iter()
                .map(|id| {
                    let mut p = Presence::new(id.clone(), KIND, Availability::Unknown);
                    p.raw = why.to_owned();
                    p
                })
                .collect();
            return Ok(Update {
                presences,
                push_off: Some(why.to_owned()),
                ..Update::default()
            });
        }
        let asked: HashSet<&str> = request.ids.iter().map(UserId::as_str).collect();
        let mut seen: HashSet<&str> = HashSet::with_capacity(users.len());
        let mut update = Update {
            cursor: next_cursor(response),
            // `from` older than ten minutes silently answers a full snapshot.
            delta: delta && body.full != Some(true),
            ..Update::default()
        };
        update.presences.reserve(request.ids.len().max(users.len()));
        for (i, Entry { value, problems }) in users.iter().enumerate() {
            let Some(id) = value
                .as_ref()
                .and_then(|u| u.id.as_deref())
                .filter(|id| !id.is_empty())
            else {
                let path = format!("users[{i}]._id");
                update.skipped.push(unreadable_entry(KIND, path, problems));
                continue;
            };
            // A delta lists everyone who changed; keep the people this request is about.
            if !asked.is_empty() && !asked.contains(id) {
                continue;
            }
            seen.insert(id);
            update
                .presences
                .push(normalize(id, value.as_ref(), problems));
        }
        // With `ids`, or when `from` fell back to a full snapshot, absence means offline; unless
        // an entry could not be read, which may have been any of them.
        if !update.delta {
            for id in &request.ids {
                if !seen.contains(id.as_str()) {
                    let p = if update.skipped.is_empty() {
                        let mut p = Presence::new(id.clone(), KIND, Availability::Offline);
                        p.raw = "offline (absent)".into();
                        p
                    } else {
                        let mut p = Presence::new(id.clone(), KIND, Availability::Unknown);
                        p.raw = "absent, and an entry of the answer could not be read".into();
                        p
                    };
                    update.presences.push(p);
                }
            }
        }
        Ok(update)
    }

    /// DDP at `{baseUrl}/websocket`, logging in with the auth token inside the socket.
    #[cfg(feature = "push-core")]
    fn push(
        &self,
        credentials: Option<&Credentials>,
        now_ms: u64,
    ) -> Option<Result<Box<dyn crate::core::push::PushSession>, PresenceError>> {
        let Some(credentials) = credentials else {
            return Some(Err(PresenceError::Config(
                "rocketchat: push logs in with the auth token, and this source gives none".into(),
            )));
        };
        Some(ddp::Ddp::new(&self.base_url, credentials, now_ms).map(|d| {
            let session: Box<dyn crate::core::push::PushSession> = Box::new(d);
            session
        }))
    }

    #[cfg(feature = "write")]
    fn choices(&self) -> Vec<crate::core::write::Choice> {
        STATUSES
            .iter()
            .map(|(value, a)| crate::core::write::Choice::new(value, *a, None))
            .collect()
    }

    /// One `users.setStatus`: `status` (`online` for a reset), `message`, `expiresAt` (a
    /// future ISO date) and the `userId` it is for (another's needs `edit-other-user-info`).
    #[cfg(feature = "write")]
    fn plan_write(
        &self,
        id: &UserId,
        write: &crate::core::write::StatusWrite,
        now_ms: u64,
    ) -> Result<crate::core::write::WritePlan, PresenceError> {
        use crate::core::json::push_string;
        use crate::core::write::{check, WritePlan};
        let choices = self.choices();
        let mut choice = check(KIND, &choices, write, now_ms, true)?.cloned();
        if write.expires_ms.is_some() && write.status.is_none() {
            // `expiresAt` ends the status set with it.
            return Err(PresenceError::Config(
                "rocketchat: the expiry ends the status set with it: give a status".into(),
            ));
        }
        if id.as_str().trim().is_empty() {
            return Err(empty_id());
        }
        if write.reset {
            choice = choices.into_iter().find(|c| c.value == "online");
        }
        let mut body = String::from("{\"userId\":");
        push_string(&mut body, id.as_str());
        if let Some(choice) = &choice {
            body.push_str(",\"status\":");
            push_string(&mut body, &choice.value);
        }
        if let Some(message) = &write.message {
            body.push_str(",\"message\":");
            push_string(&mut body, message.trim());
        }
        if let Some(end) = write.expires_ms {
            body.push_str(",\"expiresAt\":");
            push_string(&mut body, &format_iso8601(end));
        }
        body.push('}');
        Ok(WritePlan {
            requests: vec![HttpRequest::post_json(
                join(&self.base_url, "/api/v1/users.setStatus"),
                body,
                SET_STATUS,
                vec![id.clone()],
            )],
            shows: choice,
        })
    }

    /// `{success: true}`; `{success: false, error, errorType}` is the refusal it names.
    #[cfg(feature = "write")]
    fn parse_write(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<(), PresenceError> {
        super::write_answer(KIND, &[SET_STATUS], request, response, error)?;
        let success = decode(&response.body, |r| {
            r.object()?;
            let mut success = None;
            while let Some(key) = r.key()? {
                match key.as_ref() {
                    "success" => success = r.opt_bool()?,
                    _ => r.skip()?,
                }
            }
            Ok(success)
        })
        .map_err(|e| PresenceError::json(KIND, e))?;
        match success {
            Some(true) => Ok(()),
            Some(false) => Err(error(response)),
            None => Err(PresenceError::Decode {
                provider: KIND,
                path: "success".into(),
                message: "missing field `success`".into(),
            }),
        }
    }

    fn boxed(&self) -> Box<dyn Provider> {
        Box::new(self.clone())
    }
}

/// `users.getPresence` answers `{presence, success}`; `users.getStatus` answers
/// `{status, message?, connectionStatus, statusSource?, statusExpiresAt?, success}`.
fn parse_single(request: &HttpRequest, response: &HttpResponse) -> Result<Update, PresenceError> {
    if !response.is_success() {
        return Err(error(response));
    }
    let Some(user) = request.ids.first().cloned() else {
        return Err(empty_id());
    };
    let body = decode(&response.body, read_single).map_err(|e| PresenceError::json(KIND, e))?;
    if body.success == Some(false) {
        return Err(http_error(KIND, response, None, body.error, None));
    }
    let status = body.presence.or(body.status).unwrap_or_default();
    let mut p = Presence::new(user, KIND, availability(&status));
    if request.endpoint == GET_STATUS {
        p.message = non_empty(body.message.or(body.status_text));
    }
    p.raw = status;
    Ok(Update {
        presences: vec![p],
        ..Update::default()
    })
}

#[derive(Default)]
struct WireSingle {
    presence: Option<String>,
    status: Option<String>,
    message: Option<String>,
    status_text: Option<String>,
    success: Option<bool>,
    error: Option<String>,
}

fn read_single(r: &mut Reader<'_>) -> Result<WireSingle, JsonError> {
    let mut body = WireSingle::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "presence" => body.presence = r.opt_owned()?,
            "status" => body.status = r.opt_owned()?,
            "message" => body.message = r.opt_owned()?,
            "statusText" => body.status_text = r.opt_owned()?,
            "success" => body.success = r.opt_bool()?,
            "error" => body.error = r.opt_owned()?,
            _ => r.skip()?,
        }
    }
    Ok(body)
}

fn ids_request(url: &str, query: &str, batch: Vec<UserId>) -> HttpRequest {
    HttpRequest::get(format!("{url}?ids={query}"), USERS_PRESENCE, batch)
}

/// The next `from`: the server's own `Date` where the browser lets us read it, else when the
/// request was sent; a little earlier in both cases.
fn next_cursor(response: &HttpResponse) -> Option<Cursor> {
    let at = response
        .header("date")
        .and_then(parse_http_date)
        .or(response.requested_at_ms)?;
    Some(Cursor::new(format_iso8601(
        at.saturating_sub(CURSOR_MARGIN_MS),
    )))
}

#[derive(Default)]
struct WireBody<'a> {
    users: Option<Vec<Entry<WireUser<'a>>>>,
    full: Option<bool>,
    success: Option<bool>,
    error: Option<String>,
    error_type: Option<String>,
}

fn read_body<'a>(r: &mut Reader<'a>) -> Result<WireBody<'a>, JsonError> {
    let mut body = WireBody::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "users" => body.users = r.optional(|r| r.entries(read_user))?,
            "full" => body.full = r.opt_bool()?,
            "success" => body.success = r.opt_bool()?,
            "error" => body.error = r.opt_owned()?,
            "errorType" => body.error_type = r.opt_owned()?,
            _ => r.skip()?,
        }
    }
    Ok(body)
}

/// One user of a `users.presence` answer; a value of the wrong type is the entry's problem.
#[derive(Default)]
struct WireUser<'a> {
    id: Option<Cow<'a, str>>,
    username: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    status_text: Option<Cow<'a, str>>,
}

fn read_user<'a>(r: &mut Reader<'a>) -> Result<WireUser<'a>, JsonError> {
    let mut user = WireUser::default();
    if r.kind() == Some(Kind::Null) {
        return Err(r.error("expected a user, found null"));
    }
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "_id" => user.id = r.soft(Reader::string)?,
            "username" => user.username = r.soft(Reader::opt_string)?.flatten(),
            "name" => user.name = r.soft(Reader::opt_string)?.flatten(),
            "status" => user.status = r.soft(Reader::opt_string)?.flatten(),
            "statusText" => user.status_text = r.soft(Reader::opt_string)?.flatten(),
            _ => r.skip()?,
        }
    }
    Ok(user)
}

/// Both documented error shapes: `{status: "error", message}` (401) and
/// `{success: false, error, errorType?}` (everything else).
fn error(response: &HttpResponse) -> PresenceError {
    let [error, error_type, message, status] = error_fields(
        &response.body,
        None,
        ["error", "errorType", "message", "status"],
    );
    let code = error_type.or(status.filter(|s| s != "error"));
    let message = error.or(message);
    let retry = response
        .retry_after()
        .or_else(|| response.header("x-ratelimit-reset").and_then(reset_time))
        .or_else(|| message.as_deref().and_then(seconds_in_text));
    http_error(KIND, response, code, message, retry)
}

/// `x-ratelimit-reset` is documented as epoch milliseconds; a value small enough to be seconds is
/// read as seconds.
fn reset_time(value: &str) -> Option<Retry> {
    let n: u64 = value.trim().parse().ok()?;
    if n < 100_000_000_000 {
        n.checked_mul(1000).map(Retry::At)
    } else {
        Some(Retry::At(n))
    }
}

fn availability(status: &str) -> Availability {
    const TABLE: [(&str, Availability); 5] = [
        ("online", Availability::Available),
        ("busy", Availability::Busy),
        ("away", Availability::Away),
        ("offline", Availability::Offline),
        ("disabled", Availability::Offline),
    ];
    TABLE
        .into_iter()
        .find(|(name, _)| loose_eq(status, name))
        .map_or(Availability::Unknown, |(_, a)| a)
}

/// The presence of one user entry: `Unknown`, `raw` saying what was wrong, when a value had the
/// wrong type or the status is missing.
fn normalize(id: &str, user: Option<&WireUser<'_>>, problems: &[JsonError]) -> Presence {
    let status = user.and_then(|u| u.status.as_deref());
    let Some(status) = status.filter(|_| problems.is_empty()) else {
        let mut p = Presence::new(UserId::new(id), KIND, Availability::Unknown);
        p.raw = if problems.is_empty() {
            "missing `status`".to_owned()
        } else {
            problems_text(problems)
        };
        return p;
    };
    let mut p = Presence::new(UserId::new(id), KIND, availability(status));
    if let Some(user) = user {
        p.message = non_empty(user.status_text.as_deref().map(str::to_owned));
        p.display_name = non_empty(user.name.as_deref().map(str::to_owned))
            .or_else(|| non_empty(user.username.as_deref().map(str::to_owned)));
    }
    p.raw = status.to_owned();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_reads_milliseconds_and_seconds() {
        assert_eq!(
            reset_time("1795424259123"),
            Some(Retry::At(1_795_424_259_123))
        );
        assert_eq!(reset_time("1795424259"), Some(Retry::At(1_795_424_259_000)));
        assert_eq!(reset_time("soon"), None);
    }

    #[test]
    fn statuses_map_as_designed() {
        assert_eq!(availability("online"), Availability::Available);
        assert_eq!(availability("BUSY"), Availability::Busy);
        assert_eq!(availability("disabled"), Availability::Offline);
        assert_eq!(availability("active"), Availability::Unknown);
    }
}
