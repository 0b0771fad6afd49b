//! I/O only: the page's one stream from each presence-relay, driven by the core's
//! [`Link`](crate::core::link::Link). Every `relay` source of the page with the same base URL
//! shares it (HTTP/1.1 allows six connections per host across all tabs). The stream is `fetch`
//! of `POST /v1/stream` (the token in `Authorization`, never in the URL), its body handed to
//! the link as it arrives; what the link decides (when to reopen, with which `Last-Event-ID`
//! and `added`, new credentials, a source refused) comes back as effects, carried out here.
//! The stores that read a relay are [`Member`]s: this file knows nothing else of them.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};

use gloo_net::http::{Headers, Method, RequestBuilder};
use gloo_timers::callback::Timeout;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestCredentials};

use super::transport::{describe, now_ms, timer_ms};
use crate::core::link::{Link as Machine, LinkEffect, News, StreamId};
use crate::core::{Credentials, HttpRequest, HttpResponse, PresenceError, ProviderKind, UserId};

/// Credentials, when they come.
pub(crate) type Asked = Pin<Box<dyn Future<Output = Result<Option<Credentials>, PresenceError>>>>;

/// A page source read from a relay, as the link sees it.
pub(crate) trait Member {
    /// Whether the source still lives (a link does not keep its sources alive).
    fn alive(&self) -> bool;
    /// The relay's name of the source (it never changes).
    fn source(&self) -> &str;
    /// Every id its widgets show.
    fn ids(&self) -> Vec<UserId>;
    /// What the source's widgets learn.
    fn hear(&self, news: News);
    /// The stream failed: everyone keeps their presence, with why.
    fn failed(&self, error: PresenceError);
    /// The source's credentials, asked again when `renew` is set.
    fn credentials(&self, renew: bool) -> Asked;
}

thread_local! {
    static LINKS: RefCell<Vec<Weak<Link>>> = const { RefCell::new(Vec::new()) };
}

/// One relay's stream, shared by the page's sources that read it.
pub(crate) struct Link {
    machine: RefCell<Machine>,
    members: RefCell<Vec<Box<dyn Member>>>,
    /// A reopen is due once this task is over.
    scheduled: Cell<bool>,
    /// The link's effects are being carried out (a member may call back in).
    driving: Cell<bool>,
    controller: RefCell<Option<(StreamId, AbortController)>>,
    timer: RefCell<Option<(u64, Timeout)>>,
}

/// Joins `member` to the stream of the relay at `base_url`, made when it is the first.
pub(crate) fn join(base_url: &str, member: Box<dyn Member>) -> Rc<Link> {
    let base = base_url.trim_end_matches('/');
    LINKS.with(|links| {
        let mut links = links.borrow_mut();
        links.retain(|l| l.strong_count() > 0);
        let link = links
            .iter()
            .filter_map(Weak::upgrade)
            .find(|l| l.machine.borrow().base_url() == base)
            .unwrap_or_else(|| {
                let link = Rc::new(Link {
                    machine: RefCell::new(Machine::new(base, now_ms())),
                    members: RefCell::new(Vec::new()),
                    scheduled: Cell::new(false),
                    driving: Cell::new(false),
                    controller: RefCell::new(None),
                    timer: RefCell::new(None),
                });
                links.push(Rc::downgrade(&link));
                link
            });
        link.members.borrow_mut().push(member);
        link
    })
}

impl Link {
    /// The watch set changed: reopen once this task is over (so that every badge added in it
    /// costs one reopen).
    pub(crate) fn changed(self: &Rc<Self>) {
        if self.scheduled.replace(true) {
            return;
        }
        let link = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            link.scheduled.set(false);
            let watch = link.watch_set();
            link.machine.borrow_mut().handle_watch(watch, now_ms());
            link.drive();
        });
    }

    /// Per relay source, every id its living members show, each once.
    fn watch_set(&self) -> Vec<(String, Vec<UserId>)> {
        let mut members = self.members.borrow_mut();
        members.retain(|m| m.alive());
        let mut watch: Vec<(String, Vec<UserId>)> = Vec::new();
        for member in members.iter() {
            let ids = member.ids();
            match watch.iter_mut().find(|(s, _)| s == member.source()) {
                Some((_, all)) => {
                    all.extend(ids);
                    all.sort_unstable();
                    all.dedup();
                }
                None => watch.push((member.source().to_owned(), ids)),
            }
        }
        watch
    }

    /// The members reading `source` (all of them for `None`).
    fn each(&self, source: Option<&str>, mut f: impl FnMut(&dyn Member)) {
        // Taken out while they hear: a member may join or leave meanwhile.
        let members = std::mem::take(&mut *self.members.borrow_mut());
        for m in members.iter().filter(|m| m.alive()) {
            if source.is_none_or(|s| m.source() == s) {
                f(m.as_ref());
            }
        }
        let mut now = self.members.borrow_mut();
        let joined = std::mem::replace(&mut *now, members);
        now.extend(joined);
    }

    /// Carries out what the link asks until it asks nothing more, then sets its timer.
    fn drive(self: &Rc<Self>) {
        if self.driving.replace(true) {
            return;
        }
        loop {
            let effect = self.machine.borrow_mut().poll_effect();
            let Some(effect) = effect else {
                break;
            };
            match effect {
                LinkEffect::Open {
                    stream,
                    request,
                    source,
                    renew,
                } => {
                    let link = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        link.run(stream, request, source, renew).await;
                    });
                }
                LinkEffect::Close { stream } => {
                    let mut controller = self.controller.borrow_mut();
                    if controller.as_ref().is_some_and(|(s, _)| *s == stream) {
                        if let Some((_, c)) = controller.take() {
                            c.abort();
                        }
                    }
                }
                LinkEffect::News { source, news } => {
                    self.each(Some(&source), |m| m.hear(news.clone()));
                }
                LinkEffect::Failed(error) => self.each(None, |m| m.failed(error.clone())),
                LinkEffect::Note(text) => {
                    web_sys::console::warn_1(&JsValue::from_str(&text));
                }
            }
        }
        self.driving.set(false);
        self.arm();
    }

    /// Sets the one timer for the link's next timeout (or none).
    fn arm(self: &Rc<Self>) {
        let next = self.machine.borrow().next_timeout();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        *timer = next.map(|at| {
            let weak = Rc::downgrade(self);
            let timeout = Timeout::new(timer_ms(at.saturating_sub(now_ms())), move || {
                if let Some(link) = weak.upgrade() {
                    link.timer.borrow_mut().take();
                    // Reopened for the members' watch sets as they are now.
                    let watch = link.watch_set();
                    link.handle(|m, now| {
                        m.handle_watch(watch, now);
                        m.handle_timeout(now);
                    });
                }
            });
            (at, timeout)
        });
    }

    /// Whether `stream` is still the one to read.
    fn current(&self, stream: StreamId) -> bool {
        self.machine.borrow().stream() == Some(stream)
    }

    /// Hands the link what happened to `stream`, then carries on.
    fn handle(self: &Rc<Self>, f: impl FnOnce(&mut Machine, u64)) {
        f(&mut self.machine.borrow_mut(), now_ms());
        self.drive();
    }

    /// One stream, from its credentials to its end.
    async fn run(
        self: Rc<Self>,
        stream: StreamId,
        request: HttpRequest,
        source: String,
        renew: bool,
    ) {
        let mut asked = None;
        self.each(Some(&source), |m| {
            if asked.is_none() {
                asked = Some(m.credentials(renew));
            }
        });
        let credentials = match asked {
            Some(asked) => asked.await,
            None => Ok(None),
        };
        if !self.current(stream) {
            return;
        }
        let credentials = match credentials {
            Ok(c) => c,
            Err(e) => return self.handle(|m, now| m.handle_no_credentials(stream, e, now)),
        };
        let controller = AbortController::new().ok();
        if let Some(c) = &controller {
            *self.controller.borrow_mut() = Some((stream, c.clone()));
        }
        let response = match send(&request, credentials.as_ref(), controller.as_ref()).await {
            Ok(r) => r,
            Err(e) => return self.handle(|m, now| m.handle_failed(stream, e, now)),
        };
        if !self.current(stream) {
            return;
        }
        let status = response.status();
        if status != 200 {
            let body = response.text().await.unwrap_or_default();
            let answer = HttpResponse {
                status,
                headers: response.headers().entries().collect(),
                body,
                requested_at_ms: None,
            };
            return self.handle(|m, now| m.handle_refused(stream, &answer, now));
        }
        let reader = response
            .body()
            .map(|b| b.get_reader().dyn_into::<ReadableStreamDefaultReader>());
        let reader = match reader {
            Some(Ok(r)) => r,
            _ => {
                let e = network("the relay's stream cannot be read");
                return self.handle(|m, now| m.handle_failed(stream, e, now));
            }
        };
        self.handle(|m, now| m.handle_opened(stream, now));
        loop {
            let read = JsFuture::from(reader.read()).await;
            let read = match read {
                // Aborted because the link closed it: nothing to tell.
                Err(_) if !self.current(stream) => return,
                Err(e) => {
                    let e = network(&describe(&e));
                    return self.handle(|m, now| m.handle_failed(stream, e, now));
                }
                Ok(r) => r,
            };
            if !self.current(stream) {
                // Its promise rejects once the fetch is aborted: heard, so never uncaught.
                let cancelled = JsFuture::from(reader.cancel());
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = cancelled.await;
                });
                return;
            }
            if Reflect::get(&read, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true)
            {
                return self.handle(|m, now| m.handle_ended(stream, now));
            }
            let chunk = Reflect::get(&read, &JsValue::from_str("value"))
                .ok()
                .map(|v| Uint8Array::new(&v).to_vec())
                .unwrap_or_default();
            self.handle(|m, now| m.handle_chunk(stream, &chunk, now));
        }
    }
}

fn network(message: &str) -> PresenceError {
    PresenceError::Network {
        provider: ProviderKind::Relay,
        message: message.to_owned(),
    }
}

/// Sends the stream request; the answer's body is read as it arrives.
async fn send(
    request: &HttpRequest,
    credentials: Option<&Credentials>,
    controller: Option<&AbortController>,
) -> Result<gloo_net::http::Response, PresenceError> {
    let headers = web_sys::Headers::new().map_err(|e| network(&describe(&e)))?;
    let auth = credentials.map(Credentials::headers).unwrap_or_default();
    for (name, value) in request.headers.iter().chain(auth.iter()) {
        headers.append(name, value).map_err(|_| {
            // Never echo the value: it may be a token.
            PresenceError::Config(format!("relay: the browser refused the {name} header"))
        })?;
    }
    let builder = RequestBuilder::new(&request.url)
        .method(Method::POST)
        .headers(Headers::from_raw(headers))
        .credentials(RequestCredentials::Omit)
        .abort_signal(controller.map(AbortController::signal).as_ref());
    let built = builder
        .body(request.body.clone().unwrap_or_default())
        .map_err(|e| network(&e.to_string()))?;
    built.send().await.map_err(|e| network(&e.to_string()))
}
