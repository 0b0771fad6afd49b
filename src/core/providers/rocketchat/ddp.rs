//! Rocket.Chat's realtime API: DDP over a WebSocket at `{baseUrl}/websocket`, as a sans-IO
//! [`PushSession`].
//!
//! `connect`, then `login` with `{"resume": <the X-Auth-Token>}` inside the socket (never in the
//! URL), then one `stream-user-presence` subscription with `["", {"added": […], "removed": […]}]`.
//! Only the first such subscription of a connection stays open; later ones change its set and
//! are ended at once (`nosub`). A `changed` frame names its user by the frame's `id` (and
//! `fields.eventName`); its `args` are `[[username, status 0..3, statusText, …]]`, read by
//! position. The legacy `stream-notify-logged` `user-status` event is read too. The server sends
//! no snapshot: the driver reads `users.presence` when [`Action::Subscribed`] says so. Facts and
//! sources: API-FACTS.md 2.6.

use std::borrow::Cow;

use crate::core::auth::{Credentials, Secret};
use crate::core::error::PresenceError;
use crate::core::http::{HttpRequest, HttpResponse};
use crate::core::json::{push_string, Kind, Reader};
use crate::core::model::{non_empty, Availability, Presence, ProviderKind, UserId};
use crate::core::push::{
    check_socket_url, failure, socket_url, Action, IdSet, Outbox, PushSession, PushStats, SocketId,
    LIVE_WITHIN_MS,
};

const KIND: ProviderKind = ProviderKind::RocketChat;

/// The one socket of a DDP session.
const SOCKET: SocketId = 1;

/// The id of the login call.
const LOGIN: &str = "login";

/// The id of the subscription that stays open.
const PRESENCE_SUB: &str = "presence";

/// Silence after which the session pings the server.
pub const PING_AFTER_MS: u64 = 25_000;

/// Silence after a ping after which the socket is given up.
pub const PONG_WITHIN_MS: u64 = 10_000;

/// How long before the login token expires new credentials are asked for.
pub const RENEW_BEFORE_MS: u64 = 5 * 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not started, or the socket is being opened.
    Opening,
    /// `connect` sent.
    Connecting,
    /// `login` sent.
    LoggingIn,
    /// Logged in, the presence subscription sent, no `ready` yet.
    Subscribing,
    /// `ready`: changes are pushed.
    Live,
    /// Given up (an [`Action::Failed`] was sent).
    Over,
}

/// A DDP session for `stream-user-presence`.
#[derive(Clone, Debug)]
pub struct Ddp {
    url: String,
    token: Secret,
    phase: Phase,
    watched: IdSet,
    /// Ids added or removed since the last subscription frame.
    pending: (Vec<UserId>, Vec<UserId>),
    next_sub: u32,
    last_frame_ms: u64,
    pinged: bool,
    renew_at: Option<u64>,
    /// The expiry the last renewal was for: a login that reports it again is not renewed again.
    renewed_for: Option<u64>,
    /// A login was refused and new credentials asked for: a second refusal ends the session.
    refused: bool,
    started_ms: u64,
    out: Outbox,
}

impl Ddp {
    /// A session for the workspace at `base_url`, logging in with the token of `credentials`.
    ///
    /// # Errors
    /// [`PresenceError::Config`] when the base URL is not `https://` (or `http://` on this
    /// machine), or the credentials are not Rocket.Chat's.
    pub fn new(
        base_url: &str,
        credentials: &Credentials,
        now_ms: u64,
    ) -> Result<Self, PresenceError> {
        let url = socket_url(base_url, "/websocket")
            .filter(|url| check_socket_url(url))
            .ok_or_else(|| {
                PresenceError::Config(
                    "rocketchat: the realtime socket must be wss:// (ws:// only on this machine)"
                        .into(),
                )
            })?;
        Ok(Self {
            url,
            token: token_of(credentials)?,
            phase: Phase::Opening,
            watched: IdSet::default(),
            pending: (Vec::new(), Vec::new()),
            next_sub: 0,
            last_frame_ms: now_ms,
            pinged: false,
            renew_at: None,
            renewed_for: None,
            refused: false,
            started_ms: now_ms,
            out: Outbox::default(),
        })
    }

    fn send(&mut self, text: String) {
        self.out.push(Action::Send {
            socket: SOCKET,
            text,
        });
    }

    fn fail(&mut self, message: impl Into<String>) {
        if self.phase == Phase::Over {
            return;
        }
        self.phase = Phase::Over;
        self.out.push(Action::Close {
            socket: SOCKET,
            code: 1000,
        });
        self.out.push(Action::Failed(failure(KIND, message)));
    }

    fn login(&mut self) {
        let mut text = String::from(r#"{"msg":"method","method":"login","id":""#);
        text.push_str(LOGIN);
        text.push_str(r#"","params":[{"resume":"#);
        push_string(&mut text, self.token.expose());
        text.push_str("}]}");
        self.send(text);
    }

    /// A `stream-user-presence` subscription frame: the first is the one that stays open.
    fn subscribe(&mut self, id: &str, added: &[UserId], removed: &[UserId]) {
        let list = |ids: &[UserId]| {
            let mut s = String::from("[");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                push_string(&mut s, id.as_str());
            }
            s.push(']');
            s
        };
        let text = format!(
            r#"{{"msg":"sub","id":"{id}","name":"stream-user-presence","params":["",{{"added":{},"removed":{}}}]}}"#,
            list(added),
            list(removed)
        );
        self.send(text);
    }

    /// Sends what changed in the watched set since the last subscription frame; `announce` says
    /// the added people are pushed from now on (not when `ready` just said so of everyone).
    fn flush_watch(&mut self, announce: bool) {
        let (added, removed) = std::mem::take(&mut self.pending);
        if added.is_empty() && removed.is_empty() {
            return;
        }
        self.next_sub = self.next_sub.wrapping_add(1);
        let id = format!("change-{}", self.next_sub);
        self.subscribe(&id, &added, &removed);
        if announce && !added.is_empty() && self.phase == Phase::Live {
            self.out.push(Action::Subscribed(added));
        }
    }

    fn logged_in(&mut self, token_expires_ms: Option<u64>, now_ms: u64) {
        self.refused = false;
        // Renewed once for an expiry: a login that reports the same one is not renewed again.
        self.renew_at = token_expires_ms
            .filter(|at| Some(*at) != self.renewed_for)
            .map(|at| {
                at.saturating_sub(RENEW_BEFORE_MS)
                    .max(now_ms.saturating_add(60_000))
            });
        self.renewed_for = token_expires_ms;
        if matches!(self.phase, Phase::Live | Phase::Subscribing) {
            // A login again on a live socket (new credentials): the subscription stays.
            return;
        }
        self.phase = Phase::Subscribing;
        let all: Vec<UserId> = self.watched.to_vec();
        self.pending = (Vec::new(), Vec::new());
        self.subscribe(PRESENCE_SUB, &all, &[]);
    }

    fn changed(&mut self, frame: &Frame<'_>) {
        let presences = match frame.collection.as_deref() {
            Some("stream-user-presence") => {
                let id = frame
                    .id
                    .as_deref()
                    .or(frame.event_name.as_deref())
                    .filter(|id| !id.is_empty());
                match (id, frame.args.first()) {
                    (Some(id), Some(arg)) => vec![presence(UserId::new(id), arg)],
                    _ => Vec::new(),
                }
            }
            Some("stream-notify-logged") if frame.event_name.as_deref() == Some("user-status") => {
                frame
                    .args
                    .iter()
                    .filter_map(|arg| {
                        let id = arg.first.as_deref().filter(|id| !id.is_empty())?;
                        Some(legacy_presence(UserId::new(id), arg))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let watched: Vec<Presence> = presences
            .into_iter()
            .filter(|p| self.watched.contains(&p.user))
            .collect();
        if watched.is_empty() {
            self.out.read(true);
            self.out.dropped(false);
        } else {
            self.out.read(true);
            self.out.push(Action::Presences(watched));
        }
    }
}

fn token_of(credentials: &Credentials) -> Result<Secret, PresenceError> {
    match credentials {
        Credentials::RocketChat { auth_token, .. } => Ok(auth_token.clone()),
        _ => Err(PresenceError::Config(
            "rocketchat: credentials must be a user id and an auth token".into(),
        )),
    }
}

impl PushSession for Ddp {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn start(&mut self, now_ms: u64) {
        self.phase = Phase::Opening;
        self.last_frame_ms = now_ms;
        self.started_ms = now_ms;
        self.out.push(Action::Open {
            socket: SOCKET,
            url: self.url.clone(),
        });
    }

    fn opened(&mut self, _socket: SocketId, now_ms: u64) {
        if self.phase != Phase::Opening {
            return;
        }
        self.last_frame_ms = now_ms;
        self.phase = Phase::Connecting;
        self.send(r#"{"msg":"connect","version":"1","support":["1"]}"#.to_owned());
    }

    fn frame(&mut self, _socket: SocketId, text: &str, now_ms: u64) {
        if self.phase == Phase::Over {
            return;
        }
        self.last_frame_ms = now_ms;
        self.pinged = false;
        let Ok(frame) = read_frame(text) else {
            self.out.read(false);
            if self.out.dropped(true) {
                self.fail("the socket keeps sending frames that are not DDP");
            }
            return;
        };
        match frame.msg.as_deref() {
            // A first frame without `msg` (`{"server_id": "0"}`) may come before `connected`.
            None => self.out.read(true),
            Some("connected") => {
                self.out.read(true);
                if self.phase == Phase::Connecting {
                    self.phase = Phase::LoggingIn;
                    self.login();
                }
            }
            Some("ping") => {
                self.out.read(true);
                let mut pong = String::from(r#"{"msg":"pong""#);
                if let Some(id) = &frame.id {
                    pong.push_str(r#","id":"#);
                    push_string(&mut pong, id);
                }
                pong.push('}');
                self.send(pong);
            }
            Some("pong") => self.out.read(true),
            Some("result") if frame.id.as_deref() == Some(LOGIN) => {
                self.out.read(true);
                match frame.error {
                    Some(reason) => {
                        // A token the server refuses: new credentials, then one more login; a
                        // second refusal in a row ends the session.
                        self.renew_at = None;
                        if self.phase == Phase::LoggingIn && !self.refused {
                            self.refused = true;
                            self.phase = Phase::Connecting;
                            self.out.push(Action::Renew);
                        } else {
                            self.fail(format!("the login was refused: {reason}"));
                        }
                    }
                    None => self.logged_in(frame.token_expires, now_ms),
                }
            }
            Some("ready") if frame.subs.iter().any(|s| s == PRESENCE_SUB) => {
                self.out.read(true);
                self.phase = Phase::Live;
                let all: Vec<UserId> = self.watched.to_vec();
                if !all.is_empty() {
                    self.out.push(Action::Subscribed(all));
                }
                // People added while subscribing: the set changes, and `all` named them already.
                self.flush_watch(false);
            }
            Some("nosub") => {
                self.out.read(true);
                let ours = frame.id.as_deref() == Some(PRESENCE_SUB);
                match (ours, frame.error) {
                    (true, error) => self.fail(format!(
                        "the presence subscription was refused{}",
                        error.map(|e| format!(": {e}")).unwrap_or_default()
                    )),
                    // A change of the set is ended at once: that is how it works.
                    (false, None) => {}
                    (false, Some(error)) => self.fail(format!(
                        "a change of the presence subscription failed: {error}"
                    )),
                }
            }
            Some("changed") => self.changed(&frame),
            Some(_) => {
                self.out.read(true);
                self.out.dropped(false);
            }
        }
    }

    fn closed(&mut self, _socket: SocketId, code: u16, _now_ms: u64) {
        if self.phase == Phase::Over {
            return;
        }
        self.phase = Phase::Over;
        self.out.push(Action::Failed(failure(
            KIND,
            format!("the realtime socket closed (code {code})"),
        )));
    }

    fn answer(
        &mut self,
        _request: &HttpRequest,
        _answer: Result<HttpResponse, PresenceError>,
        _now_ms: u64,
    ) {
        // DDP asks for no HTTP request.
    }

    fn credentials(&mut self, credentials: &Credentials, _now_ms: u64) {
        let Ok(token) = token_of(credentials) else {
            self.fail("the credentials are not Rocket.Chat's");
            return;
        };
        self.token = token;
        match self.phase {
            Phase::Connecting => {
                self.phase = Phase::LoggingIn;
                self.login();
            }
            Phase::Subscribing | Phase::Live => self.login(),
            Phase::Opening | Phase::LoggingIn | Phase::Over => {}
        }
    }

    fn watch(&mut self, added: &[UserId], removed: &[UserId], _now_ms: u64) {
        for id in added {
            if self.watched.insert(id.clone()) {
                self.pending.0.push(id.clone());
            }
        }
        for id in removed {
            if self.watched.remove(id) {
                self.pending.0.retain(|a| a != id);
                self.pending.1.push(id.clone());
            }
        }
        if self.phase == Phase::Live {
            self.flush_watch(true);
        }
    }

    fn timeout(&mut self, now_ms: u64) {
        if self.phase == Phase::Over {
            return;
        }
        if self.phase != Phase::Live && now_ms.saturating_sub(self.started_ms) >= LIVE_WITHIN_MS {
            return self.fail(format!(
                "not subscribed within {} s of connecting",
                LIVE_WITHIN_MS / 1000
            ));
        }
        if self.renew_at.is_some_and(|at| now_ms >= at) {
            self.renew_at = None;
            self.out.push(Action::Renew);
        }
        let silent = now_ms.saturating_sub(self.last_frame_ms);
        if self.pinged && silent >= PING_AFTER_MS.saturating_add(PONG_WITHIN_MS) {
            self.fail(format!("no frame for {} s", silent / 1000));
        } else if !self.pinged && silent >= PING_AFTER_MS {
            self.pinged = true;
            self.send(r#"{"msg":"ping"}"#.to_owned());
        }
    }

    fn next_timeout(&self) -> Option<u64> {
        if self.phase == Phase::Over {
            return None;
        }
        let wait = if self.pinged {
            PING_AFTER_MS.saturating_add(PONG_WITHIN_MS)
        } else {
            PING_AFTER_MS
        };
        let mut next = self.last_frame_ms.saturating_add(wait);
        if self.phase != Phase::Live {
            next = next.min(self.started_ms.saturating_add(LIVE_WITHIN_MS));
        }
        Some(self.renew_at.map_or(next, |at| at.min(next)))
    }

    fn poll_action(&mut self) -> Option<Action> {
        self.out.pop()
    }

    fn is_live(&self) -> bool {
        self.phase == Phase::Live
    }

    fn stats(&self) -> PushStats {
        self.out.stats
    }
}

/// What a frame says, as far as the session reads it.
#[derive(Default)]
struct Frame<'a> {
    msg: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    collection: Option<Cow<'a, str>>,
    event_name: Option<Cow<'a, str>>,
    args: Vec<Arg<'a>>,
    subs: Vec<Cow<'a, str>>,
    error: Option<String>,
    token_expires: Option<u64>,
}

/// One element of `fields.args`: `[username, status, statusText, …]` (`stream-user-presence`)
/// or `[userId, username, status, statusText, …]` (`user-status`), read by position.
#[derive(Default)]
struct Arg<'a> {
    first: Option<Cow<'a, str>>,
    second: Option<Cow<'a, str>>,
    /// The status (a number, or a name) at the place each stream puts it.
    statuses: [Option<Status<'a>>; 2],
    texts: [Option<Cow<'a, str>>; 2],
}

enum Status<'a> {
    Number(&'a str),
    Name(Cow<'a, str>),
}

fn read_frame(text: &str) -> Result<Frame<'_>, PresenceError> {
    // Read strictly: a frame of another shape is dropped and counted, whatever was wrong in it.
    crate::core::json::decode(text, |r| {
        let mut frame = Frame::default();
        r.object()?;
        while let Some(key) = r.key()? {
            match key.as_ref() {
                "msg" => frame.msg = r.lenient_string()?,
                "id" => frame.id = r.lenient_string()?,
                "collection" => frame.collection = r.lenient_string()?,
                "subs" => frame.subs = r.items(Reader::string)?,
                "error" => frame.error = read_error(r)?,
                "result" => frame.token_expires = read_result(r)?,
                "fields" => {
                    r.object()?;
                    while let Some(key) = r.key()? {
                        match key.as_ref() {
                            "eventName" => frame.event_name = r.lenient_string()?,
                            "args" => frame.args = r.items(read_arg)?,
                            _ => r.skip()?,
                        }
                    }
                }
                _ => r.skip()?,
            }
        }
        Ok(frame)
    })
    .map_err(|e| PresenceError::json(KIND, e))
}

/// A DDP error: `{error, reason, message, errorType}`, as text.
fn read_error(r: &mut Reader<'_>) -> Result<Option<String>, crate::core::json::JsonError> {
    if r.kind() == Some(Kind::Null) {
        r.skip()?;
        return Ok(None);
    }
    let (mut code, mut reason) = (None, None);
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "error" => {
                code = match r.kind() {
                    Some(Kind::Number) => Some(r.number()?.to_owned()),
                    _ => r.lenient_string()?.map(Cow::into_owned),
                }
            }
            "reason" | "message" if reason.is_none() => {
                reason = r.lenient_string()?.map(Cow::into_owned);
            }
            _ => r.skip()?,
        }
    }
    Ok(Some(match (code, reason) {
        (Some(c), Some(r)) => format!("{c} {r}"),
        (Some(c), None) => c,
        (None, Some(r)) => r,
        (None, None) => "an error".to_owned(),
    }))
}

/// The login's `result`: its `tokenExpires.$date`, in milliseconds since the epoch.
fn read_result(r: &mut Reader<'_>) -> Result<Option<u64>, crate::core::json::JsonError> {
    let mut expires = None;
    if r.kind() != Some(Kind::Object) {
        return r.skip().map(|()| None);
    }
    r.object()?;
    while let Some(key) = r.key()? {
        if key == "tokenExpires" {
            r.object()?;
            while let Some(key) = r.key()? {
                if key == "$date" && r.kind() == Some(Kind::Number) {
                    expires = r.number()?.parse::<u64>().ok();
                } else {
                    r.skip()?;
                }
            }
        } else {
            r.skip()?;
        }
    }
    Ok(expires)
}

fn read_arg<'a>(r: &mut Reader<'a>) -> Result<Arg<'a>, crate::core::json::JsonError> {
    let mut arg = Arg::default();
    let mut index = 0usize;
    r.array()?;
    while r.item()? {
        let status =
            |r: &mut Reader<'a>| -> Result<Option<Status<'a>>, crate::core::json::JsonError> {
                Ok(match r.kind() {
                    Some(Kind::Number) => Some(Status::Number(r.number()?)),
                    Some(Kind::String) => Some(Status::Name(r.string()?)),
                    _ => r.skip().map(|()| None)?,
                })
            };
        match index {
            0 => arg.first = r.lenient_string()?,
            1 => match r.kind() {
                Some(Kind::Number) => arg.statuses[0] = status(r)?,
                _ => arg.second = r.lenient_string()?,
            },
            2 => match r.kind() {
                Some(Kind::Number) => arg.statuses[1] = status(r)?,
                _ => arg.texts[0] = r.lenient_string()?,
            },
            3 => arg.texts[1] = r.lenient_string()?,
            _ => r.skip()?,
        }
        index = index.saturating_add(1);
    }
    Ok(arg)
}

/// 0 offline, 1 online, 2 away, 3 busy (one client maps 4 to disabled: offline too).
/// The availability, and the status's name as REST spells it (`online`), so that a pushed
/// presence and a polled one of the same status are equal.
fn availability_of(status: Option<&Status<'_>>) -> (Availability, String) {
    match status {
        Some(Status::Number(n)) => {
            let (a, name) = match n.parse::<u64>() {
                Ok(0) => (Availability::Offline, "offline"),
                Ok(1) => (Availability::Available, "online"),
                Ok(2) => (Availability::Away, "away"),
                Ok(3) => (Availability::Busy, "busy"),
                Ok(4) => (Availability::Offline, "disabled"),
                _ => return (Availability::Unknown, (*n).to_owned()),
            };
            (a, name.to_owned())
        }
        Some(Status::Name(name)) => (super::availability(name), name.to_string()),
        None => (Availability::Unknown, "missing status".to_owned()),
    }
}

/// `stream-user-presence`: `[username, status, statusText, …]`.
fn presence(user: UserId, arg: &Arg<'_>) -> Presence {
    let (availability, raw) = availability_of(arg.statuses[0].as_ref());
    // The username is not the name REST gives: the registry keeps the one it has.
    let mut p = Presence::new(user, KIND, availability);
    p.message = non_empty(arg.texts[0].as_deref().map(str::to_owned));
    p.raw = raw;
    p
}

/// `user-status`: `[userId, username, status, statusText, …]`.
fn legacy_presence(user: UserId, arg: &Arg<'_>) -> Presence {
    let (availability, raw) = availability_of(arg.statuses[1].as_ref());
    let mut p = Presence::new(user, KIND, availability);
    p.message = non_empty(arg.texts[1].as_deref().map(str::to_owned));
    p.raw = raw;
    p
}
