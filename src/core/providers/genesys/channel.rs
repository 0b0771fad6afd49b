//! Genesys Cloud's notification channels, as a sans-IO [`PushSession`].
//!
//! `POST /api/v2/notifications/channels` answers `{id, connectUri, expires}`; the socket opens on
//! `connectUri` (which carries the channel's id only, never a token); `PUT
//! /api/v2/notifications/channels/{id}/subscriptions` with `[{"id": "v2.users.{id}.presence"}]`
//! sets its topics, at most 1,000 a channel: more people take another channel, at most 20. The
//! `channel.metadata` heartbeat is the watchdog; `v2.system.socket_closing` and a channel's 24 h
//! end move its topics to a new channel; `v2.system.token_revoked` asks for credentials again. A
//! subscription answer that rejects a topic leaves that person polled, with the reason. Facts and
//! sources: API-FACTS.md 3.7.

use std::borrow::Cow;

use super::{Genesys, KIND};
use crate::core::auth::Credentials;
use crate::core::error::PresenceError;
use crate::core::http::{join, Endpoint, HttpRequest, HttpResponse, Method};
use crate::core::json::{decode, error_fields, push_string, JsonError, Kind, Reader};
use crate::core::model::{ProviderKind, UserId};
use crate::core::push::{
    check_socket_url, failure, Action, IdSet, Outbox, PushSession, PushStats, SocketId,
};

/// `POST /api/v2/notifications/channels`.
pub const CHANNELS: Endpoint = Endpoint::new(KIND, "notifications/channels");

/// `PUT /api/v2/notifications/channels/{channelId}/subscriptions`.
pub const SUBSCRIPTIONS: Endpoint =
    Endpoint::new(KIND, "notifications/channels/{channelId}/subscriptions");

/// At most this many topics on one channel.
pub const TOPICS_PER_CHANNEL: usize = 1_000;

/// At most this many channels per user and app.
pub const CHANNELS_PER_USER: usize = 20;

/// How often Genesys sends its heartbeat unless told otherwise.
pub const HEARTBEAT_MS: u64 = 30_000;

/// How long before a channel's end its topics move to a new one.
pub const MOVE_BEFORE_END_MS: u64 = 5 * 60_000;

/// A channel's life when its answer gives no end: 24 hours.
pub const CHANNEL_LIFE_MS: u64 = 24 * 60 * 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the channel's creation.
    Creating,
    /// Its socket is opening.
    Opening,
    /// Open; its subscriptions are being set.
    Subscribing,
    /// Open and subscribed.
    Live,
}

#[derive(Clone, Debug)]
struct Channel {
    socket: SocketId,
    id: Option<String>,
    phase: Phase,
    topics: IdSet,
    /// A subscription request is in flight.
    asking: bool,
    /// The topics changed while one was.
    dirty: bool,
    ends_ms: u64,
    last_frame_ms: u64,
    /// Replaced by a new channel: closed once that one is live.
    leaving: bool,
}

/// A session of notification channels for `v2.users.{id}.presence` topics.
#[derive(Clone, Debug)]
pub struct Channels {
    genesys: Genesys,
    heartbeat_ms: u64,
    watched: IdSet,
    /// People the service refused a topic for: polled, not asked again.
    refused: IdSet,
    channels: Vec<Channel>,
    next_socket: SocketId,
    /// Requests to send again once new credentials came.
    after_renew: Vec<HttpRequest>,
    /// Requests already sent again after new credentials: a second 401 ends the session.
    renewed: Vec<HttpRequest>,
    over: bool,
    started: bool,
    out: Outbox,
}

impl Channels {
    /// A session reading presences with `genesys` (its definitions give the labels).
    pub fn new(genesys: Genesys) -> Self {
        Self {
            genesys,
            heartbeat_ms: HEARTBEAT_MS,
            watched: IdSet::default(),
            refused: IdSet::default(),
            channels: Vec::new(),
            next_socket: 0,
            after_renew: Vec::new(),
            renewed: Vec::new(),
            over: false,
            started: false,
            out: Outbox::default(),
        }
    }

    /// The same session expecting heartbeats every `ms` (a socket silent for two and a half
    /// periods is given up).
    pub fn with_heartbeat_ms(mut self, ms: u64) -> Self {
        self.heartbeat_ms = ms.max(1);
        self
    }

    /// How many channels it holds.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    fn create_request(&self) -> HttpRequest {
        HttpRequest::post_json(
            join(self.genesys.base_url(), "/api/v2/notifications/channels"),
            "{}".to_owned(),
            CHANNELS,
            Vec::new(),
        )
    }

    fn subscriptions_url(&self, channel_id: &str) -> String {
        join(
            self.genesys.base_url(),
            &format!(
                "/api/v2/notifications/channels/{}/subscriptions",
                crate::core::http::encode_component(channel_id)
            ),
        )
    }

    fn fail(&mut self, message: impl Into<String>) {
        if self.over {
            return;
        }
        self.over = true;
        for c in &self.channels {
            if c.phase != Phase::Creating {
                self.out.push(Action::Close {
                    socket: c.socket,
                    code: 1000,
                });
            }
        }
        self.channels.clear();
        self.out.push(Action::Failed(failure(KIND, message)));
    }

    /// A new channel for `topics`; its creation is asked for unless another is in flight.
    fn open_channel(&mut self, topics: IdSet, now_ms: u64) {
        self.next_socket = self.next_socket.wrapping_add(1);
        let creating = self.channels.iter().any(|c| c.phase == Phase::Creating);
        self.channels.push(Channel {
            socket: self.next_socket,
            id: None,
            phase: Phase::Creating,
            topics,
            asking: false,
            dirty: false,
            ends_ms: now_ms.saturating_add(CHANNEL_LIFE_MS),
            last_frame_ms: now_ms,
            leaving: false,
        });
        if !creating {
            let request = self.create_request();
            self.out.push(Action::Request(request));
        }
    }

    /// Gives every watched person without a topic one, on a channel with room or a new one.
    fn assign(&mut self, now_ms: u64) {
        if !self.started || self.over {
            return;
        }
        let mut unassigned: Vec<UserId> = self
            .watched
            .iter()
            .filter(|id| {
                !self.refused.contains(id)
                    && !self
                        .channels
                        .iter()
                        .any(|c| !c.leaving && c.topics.contains(id))
            })
            .cloned()
            .collect();
        if unassigned.is_empty() {
            return;
        }
        for i in 0..self.channels.len() {
            let Some(c) = self.channels.get_mut(i) else {
                continue;
            };
            if c.leaving {
                continue;
            }
            let room = TOPICS_PER_CHANNEL.saturating_sub(c.topics.len());
            let take = room.min(unassigned.len());
            if take == 0 {
                continue;
            }
            for id in unassigned.drain(..take) {
                c.topics.insert(id);
            }
            self.resubscribe(i);
        }
        while !unassigned.is_empty() {
            let open = self.channels.iter().filter(|c| !c.leaving).count();
            if open >= CHANNELS_PER_USER {
                let why = failure(
                    KIND,
                    format!(
                        "more people than {CHANNELS_PER_USER} channels of {TOPICS_PER_CHANNEL} topics hold"
                    ),
                );
                let rest: Vec<(UserId, PresenceError)> =
                    unassigned.drain(..).map(|id| (id, why.clone())).collect();
                self.out.push(Action::Unpushed(rest));
                return;
            }
            let take = TOPICS_PER_CHANNEL.min(unassigned.len());
            let topics: IdSet = unassigned.drain(..take).collect();
            self.open_channel(topics, now_ms);
        }
    }

    /// Sets channel `i`'s topics at the service (now, or once the request in flight is answered).
    fn resubscribe(&mut self, i: usize) {
        let Some(c) = self.channels.get_mut(i) else {
            return;
        };
        if !matches!(c.phase, Phase::Subscribing | Phase::Live) {
            return;
        }
        if c.asking {
            c.dirty = true;
            return;
        }
        let Some(id) = c.id.clone() else {
            return;
        };
        c.asking = true;
        c.dirty = false;
        let topics: Vec<UserId> = c.topics.to_vec();
        let mut body = String::from("[");
        for (n, user) in topics.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(r#"{"id":"#);
            push_string(&mut body, &topic(user));
            body.push('}');
        }
        body.push(']');
        let mut request =
            HttpRequest::post_json(self.subscriptions_url(&id), body, SUBSCRIPTIONS, topics);
        request.method = Method::Put;
        self.out.push(Action::Request(request));
    }

    fn channel_created(&mut self, response: &HttpResponse, now_ms: u64) {
        let wire = decode(&response.body, read_channel).map_err(|e| PresenceError::json(KIND, e));
        let Some(at) = self
            .channels
            .iter()
            .position(|c| c.phase == Phase::Creating)
        else {
            return;
        };
        let (id, url, expires) = match wire {
            Ok(WireChannel {
                id: Some(id),
                connect_uri: Some(url),
                expires,
            }) if check_socket_url(&url) => (id, url, expires),
            Ok(WireChannel {
                connect_uri: Some(url),
                ..
            }) if !check_socket_url(&url) => {
                return self.fail(format!(
                    "the channel's connectUri `{}` is not wss:// (ws:// only on this machine)",
                    crate::core::json::snippet(&url, 60)
                ));
            }
            Ok(_) => return self.fail("the channel answer has no id or connectUri"),
            Err(e) => return self.fail(format!("the channel answer cannot be read: {e}")),
        };
        if let Some(c) = self.channels.get_mut(at) {
            c.id = Some(id);
            c.phase = Phase::Opening;
            c.last_frame_ms = now_ms;
            if let Some(ends) = expires.as_deref().and_then(parse_iso8601_ms) {
                c.ends_ms = ends;
            }
            let socket = c.socket;
            self.out.push(Action::Open { socket, url });
        }
        // The next channel waiting for its creation.
        if self.channels.iter().any(|c| c.phase == Phase::Creating) {
            let request = self.create_request();
            self.out.push(Action::Request(request));
        }
    }

    /// The channel whose subscriptions `request` sets.
    fn channel_of(&self, request: &HttpRequest) -> Option<usize> {
        self.channels.iter().position(|c| {
            c.id.as_deref()
                .is_some_and(|id| request.url == self.subscriptions_url(id))
        })
    }

    fn subscribed(&mut self, request: &HttpRequest, response: &HttpResponse) {
        let Some(i) = self.channel_of(request) else {
            return;
        };
        let refused = decode(&response.body, read_subscriptions).unwrap_or_default();
        let mut unpushed = Vec::new();
        for (user, reason) in refused {
            if self.watched.contains(&user) {
                self.refused.insert(user.clone());
                unpushed.push((user, reason));
            }
        }
        let mut live_now = Vec::new();
        if let Some(c) = self.channels.get_mut(i) {
            c.asking = false;
            for (user, _) in &unpushed {
                c.topics.remove(user);
            }
            if c.phase == Phase::Subscribing {
                c.phase = Phase::Live;
            }
            live_now = request
                .ids
                .iter()
                .filter(|id| c.topics.contains(id))
                .cloned()
                .collect();
        }
        if !unpushed.is_empty() {
            self.out.push(Action::Unpushed(unpushed));
        }
        if !live_now.is_empty() {
            self.out.push(Action::Subscribed(live_now));
        }
        self.finish_moves();
        if self.channels.get(i).is_some_and(|c| c.dirty) {
            self.resubscribe(i);
        }
    }

    /// Closes the channels whose topics have moved to a live new one.
    fn finish_moves(&mut self) {
        let leaving: Vec<usize> = self
            .channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.leaving)
            .map(|(i, _)| i)
            .collect();
        for i in leaving.into_iter().rev() {
            let moved = self.channels.get(i).is_some_and(|old| {
                old.topics.iter().all(|t| {
                    self.channels
                        .iter()
                        .any(|c| !c.leaving && c.phase == Phase::Live && c.topics.contains(t))
                })
            });
            if moved {
                let old = self.channels.remove(i);
                self.out.push(Action::Close {
                    socket: old.socket,
                    code: 1000,
                });
            }
        }
    }

    /// Moves a channel's topics to a new one (its socket is closing, or its life ends).
    fn replace(&mut self, socket: SocketId, now_ms: u64) {
        let Some(at) = self
            .channels
            .iter()
            .position(|c| c.socket == socket && !c.leaving)
        else {
            return;
        };
        if self.channels.len() >= CHANNELS_PER_USER {
            // No room for another channel beside it (the service refuses a 21st while every
            // channel has its socket): this one is closed first, and its topics move to the
            // new one, whose subscription reads them once (what changed between is seen).
            let old = self.channels.remove(at);
            self.out.push(Action::Close {
                socket: old.socket,
                code: 1000,
            });
            return self.open_channel(old.topics, now_ms);
        }
        let Some(c) = self.channels.get_mut(at) else {
            return;
        };
        c.leaving = true;
        let topics = c.topics.clone();
        self.open_channel(topics, now_ms);
    }

    fn refused_request(&mut self, request: &HttpRequest, error: PresenceError) {
        if request.endpoint == CHANNELS {
            return self.fail(format!("no notification channel: {error}"));
        }
        // A subscription the service refuses as a whole (403 when one topic lacks a
        // permission): those people are polled, with the reason.
        let mut unpushed = Vec::new();
        let at = self.channel_of(request);
        if let Some(c) = at.and_then(|i| self.channels.get_mut(i)) {
            c.asking = false;
            for user in &request.ids {
                c.topics.remove(user);
            }
            if c.phase == Phase::Subscribing {
                c.phase = Phase::Live;
            }
        }
        for user in &request.ids {
            if self.watched.contains(user) {
                self.refused.insert(user.clone());
                unpushed.push((user.clone(), error.clone()));
            }
        }
        if !unpushed.is_empty() {
            self.out.push(Action::Unpushed(unpushed));
        }
    }
}

/// `v2.users.{id}.presence`.
fn topic(user: &UserId) -> String {
    format!("v2.users.{}.presence", user.as_str())
}

impl PushSession for Channels {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn start(&mut self, now_ms: u64) {
        self.started = true;
        self.assign(now_ms);
    }

    fn opened(&mut self, socket: SocketId, now_ms: u64) {
        let Some(i) = self.channels.iter().position(|c| c.socket == socket) else {
            return;
        };
        if let Some(c) = self.channels.get_mut(i) {
            c.phase = Phase::Subscribing;
            c.last_frame_ms = now_ms;
        }
        self.resubscribe(i);
    }

    fn frame(&mut self, socket: SocketId, text: &str, now_ms: u64) {
        if self.over {
            return;
        }
        let Some(c) = self.channels.iter_mut().find(|c| c.socket == socket) else {
            return;
        };
        c.last_frame_ms = now_ms;
        let Ok(topic) = decode(text, read_topic) else {
            self.out.read(false);
            if self.out.dropped(true) {
                self.fail("the socket keeps sending frames that are not notifications");
            }
            return;
        };
        let topic = topic.unwrap_or_default();
        if topic == "channel.metadata" {
            self.out.read(true);
            return;
        }
        if topic.starts_with("v2.system.") {
            self.out.read(true);
        }
        if topic.starts_with("v2.system.socket_closing") {
            return self.replace(socket, now_ms);
        }
        if topic.starts_with("v2.system.token_revoked") {
            self.out.push(Action::Renew);
            return;
        }
        if topic.starts_with("v2.system.no_longer_subscribed") {
            if let Some(i) = self.channels.iter().position(|c| c.socket == socket) {
                self.resubscribe(i);
            }
            return;
        }
        match self.genesys.parse_notification(text) {
            Ok(Some(p)) if self.watched.contains(&p.user) => {
                self.out.read(true);
                self.out.push(Action::Presences(vec![p]));
            }
            Ok(_) => {
                self.out.read(true);
                self.out.dropped(false);
            }
            Err(_) => {
                self.out.read(false);
                if self.out.dropped(true) {
                    self.fail("the socket keeps sending frames that are not notifications");
                }
            }
        }
    }

    fn closed(&mut self, socket: SocketId, code: u16, _now_ms: u64) {
        let Some(i) = self.channels.iter().position(|c| c.socket == socket) else {
            return;
        };
        if self.channels.get(i).is_some_and(|c| c.leaving) {
            self.channels.remove(i);
            return;
        }
        self.fail(format!(
            "a notification channel's socket closed (code {code})"
        ));
    }

    fn answer(
        &mut self,
        request: &HttpRequest,
        answer: Result<HttpResponse, PresenceError>,
        now_ms: u64,
    ) {
        if self.over {
            return;
        }
        let response = match answer {
            Ok(r) if r.is_success() => r,
            Ok(r) if r.status == 401 => {
                if let Some(at) = self.renewed.iter().position(|q| q == request) {
                    self.renewed.remove(at);
                    return self.fail("the service refuses the new credentials too (401)");
                }
                self.after_renew.push(request.clone());
                self.out.push(Action::Renew);
                return;
            }
            // A refusal of these topics: those people are polled, with the reason.
            Ok(r) if r.status == 403 || r.status == 400 => {
                return self.refused_request(request, http_refusal(&r))
            }
            // Anything else (429, 5xx) is the channel's trouble, not theirs: poll everyone, try
            // push again later.
            Ok(r) => return self.fail(format!("{}", http_refusal(&r))),
            Err(e) => return self.fail(format!("{e}")),
        };
        if let Some(at) = self.renewed.iter().position(|q| q == request) {
            self.renewed.remove(at);
        }
        if request.endpoint == CHANNELS {
            self.channel_created(&response, now_ms);
        } else if request.endpoint == SUBSCRIPTIONS {
            self.subscribed(request, &response);
        }
    }

    fn credentials(&mut self, _credentials: &Credentials, _now_ms: u64) {
        // The driver sends requests with the source's credentials: what was refused for them is
        // sent again now that they are new.
        for request in std::mem::take(&mut self.after_renew) {
            self.renewed.push(request.clone());
            self.out.push(Action::Request(request));
        }
    }

    fn watch(&mut self, added: &[UserId], removed: &[UserId], now_ms: u64) {
        for id in added {
            self.watched.insert(id.clone());
        }
        for id in removed {
            self.watched.remove(id);
            self.refused.remove(id);
        }
        if !removed.is_empty() {
            for i in 0..self.channels.len() {
                let changed = self.channels.get_mut(i).is_some_and(|c| {
                    let before = c.topics.len();
                    for id in removed {
                        c.topics.remove(id);
                    }
                    c.topics.len() != before
                });
                if changed {
                    self.resubscribe(i);
                }
            }
        }
        self.assign(now_ms);
    }

    fn timeout(&mut self, now_ms: u64) {
        if self.over {
            return;
        }
        let silence = self.heartbeat_ms.saturating_mul(5) / 2;
        let silent = self.channels.iter().find(|c| {
            c.phase != Phase::Creating && now_ms.saturating_sub(c.last_frame_ms) >= silence
        });
        if let Some(c) = silent {
            let seconds = now_ms.saturating_sub(c.last_frame_ms) / 1000;
            return self.fail(format!("no heartbeat for {seconds} s"));
        }
        let ending: Vec<SocketId> = self
            .channels
            .iter()
            .filter(|c| !c.leaving && c.phase == Phase::Live)
            .filter(|c| now_ms >= c.ends_ms.saturating_sub(MOVE_BEFORE_END_MS))
            .map(|c| c.socket)
            .collect();
        for socket in ending {
            self.replace(socket, now_ms);
        }
    }

    fn next_timeout(&self) -> Option<u64> {
        if self.over {
            return None;
        }
        let silence = self.heartbeat_ms.saturating_mul(5) / 2;
        // The same deadlines `timeout` acts on, so that a passed one does not fire again.
        self.channels
            .iter()
            .filter(|c| c.phase != Phase::Creating)
            .flat_map(|c| {
                let ends = (!c.leaving && c.phase == Phase::Live)
                    .then(|| c.ends_ms.saturating_sub(MOVE_BEFORE_END_MS));
                [Some(c.last_frame_ms.saturating_add(silence)), ends]
            })
            .flatten()
            .min()
    }

    fn poll_action(&mut self) -> Option<Action> {
        self.out.pop()
    }

    fn is_live(&self) -> bool {
        !self.over && self.channels.iter().any(|c| c.phase == Phase::Live)
    }

    fn stats(&self) -> PushStats {
        self.out.stats
    }
}

/// An error answer of the notifications API, with `missingPermissions` where given.
fn http_refusal(response: &HttpResponse) -> PresenceError {
    let [message, code] = error_fields(&response.body, None, ["message", "code"]);
    super::super::http_error(KIND, response, code, message, None)
}

#[derive(Default)]
struct WireChannel {
    id: Option<String>,
    connect_uri: Option<String>,
    expires: Option<String>,
}

fn read_channel(r: &mut Reader<'_>) -> Result<WireChannel, JsonError> {
    let mut c = WireChannel::default();
    r.object()?;
    while let Some(key) = r.key()? {
        match key.as_ref() {
            "id" => c.id = r.opt_owned()?,
            "connectUri" => c.connect_uri = r.opt_owned()?,
            "expires" => c.expires = r.opt_owned()?,
            _ => r.skip()?,
        }
    }
    Ok(c)
}

/// The topics a subscription answer refuses: `{entities: [{id, state, rejectionReason,
/// missingPermissions}]}`, each with why.
fn read_subscriptions(r: &mut Reader<'_>) -> Result<Vec<(UserId, PresenceError)>, JsonError> {
    let mut refused = Vec::new();
    r.object()?;
    while let Some(key) = r.key()? {
        if key != "entities" {
            r.skip()?;
            continue;
        }
        r.array()?;
        while r.item()? {
            let (mut id, mut state, mut reason, mut missing) = (None, None, None, Vec::new());
            r.object()?;
            while let Some(key) = r.key()? {
                match key.as_ref() {
                    "id" => id = r.opt_owned()?,
                    "state" => state = r.opt_owned()?,
                    "rejectionReason" => reason = r.opt_owned()?,
                    "missingPermissions" => {
                        missing = r.items(|r| r.string().map(Cow::into_owned))?;
                    }
                    _ => r.skip()?,
                }
            }
            let Some(id) = id else {
                continue;
            };
            let permitted = state
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("permitted"));
            if permitted && reason.is_none() && missing.is_empty() {
                continue;
            }
            let Some(user) = id
                .strip_prefix("v2.users.")
                .and_then(|t| t.strip_suffix(".presence"))
            else {
                continue;
            };
            let mut why = reason.unwrap_or_else(|| {
                format!("subscription {}", state.as_deref().unwrap_or("rejected"))
            });
            if !missing.is_empty() {
                why = format!("{why} (missing permissions: {})", missing.join(", "));
            }
            refused.push((UserId::new(user), failure(KIND, why)));
        }
    }
    Ok(refused)
}

/// A notification's `topicName`.
fn read_topic(r: &mut Reader<'_>) -> Result<Option<String>, JsonError> {
    let mut topic = None;
    if r.kind() != Some(Kind::Object) {
        return Err(r.error("expected a notification object"));
    }
    r.object()?;
    while let Some(key) = r.key()? {
        if key == "topicName" {
            topic = r.soft(Reader::opt_owned)?.flatten();
        } else {
            r.skip()?;
        }
    }
    Ok(topic)
}

/// `2026-12-02T09:30:00Z` (fractions and `+00:00` allowed) as milliseconds since the epoch.
fn parse_iso8601_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    let date = t.get(0..10)?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let time = t.get(11..19)?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = months.get(usize::try_from(month.checked_sub(1)?).ok()?)?;
    let http = format!("Sun, {day:02} {name} {year:04} {h:02}:{m:02}:{s:02} GMT");
    crate::core::http::parse_http_date(&http)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_read_as_milliseconds() {
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(
            parse_iso8601_ms("2026-12-02T09:30:00.000Z"),
            Some(1_796_203_800_000)
        );
        assert_eq!(parse_iso8601_ms("tomorrow"), None);
        assert_eq!(parse_iso8601_ms("2026-13-02T09:30:00Z"), None);
    }
}
