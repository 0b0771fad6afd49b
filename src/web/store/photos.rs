//! People's pictures for avatars (feature `avatar`): each asked for once per store when the
//! source reads pictures (Graph's `photos`), a few at a time, with the source's credentials, and
//! kept as object URLs while the store lives. A failure the service may get over (no answer,
//! 429, 5xx) is tried again later, at most [`TRIES`] times in all.

use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;

use super::{timer_ms, Auth, Inner, Store};
use crate::core::{Photo, PresenceError, UserId};
use crate::web::transport::now_ms;

/// At most this many pictures are asked for at once; the rest wait their turn.
const MAX_IN_FLIGHT: usize = 4;

/// How many times a picture is asked for before its person keeps their initials.
const TRIES: u32 = 3;

/// How long a picture that failed waits before it is asked for again, unless the service said.
const RETRY_MS: u64 = 30_000;

/// Called with a person's picture: an object URL, or `None` for their initials.
type Ready = Box<dyn FnOnce(Option<Rc<str>>)>;

/// The pictures of one store, in the order they were first asked for (a page shows a few
/// hundred people at most: a list is smaller than a map here).
#[derive(Default)]
pub(super) struct Photos {
    known: Vec<(UserId, Known)>,
    in_flight: usize,
    /// Wakes the reads waiting to be tried again.
    timer: Option<Timeout>,
    /// Whether a failure was reported on the console (once per store).
    warned: bool,
}

enum Known {
    /// Not read yet. `asked` while in flight; `tries` made so far; not asked before `after_ms`;
    /// these wait for it.
    Waiting {
        asked: bool,
        tries: u32,
        after_ms: u64,
        ready: Vec<Ready>,
    },
    /// Read: an object URL, or none (no picture, or one that could not be read).
    Done(Option<Rc<str>>),
}

impl Photos {
    fn get(&mut self, id: &UserId) -> Option<&mut Known> {
        self.known
            .iter_mut()
            .find_map(|(k, known)| (k == id).then_some(known))
    }
}

impl Drop for Photos {
    fn drop(&mut self) {
        for (_, known) in &self.known {
            if let Known::Done(Some(url)) = known {
                let _ = web_sys::Url::revoke_object_url(url);
            }
        }
    }
}

/// Whether the service may answer a read that failed so another time.
fn passing(error: &PresenceError) -> bool {
    match error {
        PresenceError::Network { .. } => true,
        PresenceError::Http { status, .. } => *status == 429 || *status >= 500,
        PresenceError::Decode { .. } | PresenceError::Config(_) => false,
    }
}

impl Store {
    /// `id`'s picture from the service, for an avatar without one of its own: its object URL
    /// when it is known already; else `None`, and `ready` is called once it is read (with
    /// `None` when they have none or it could not be read: show their initials). Each person's
    /// is asked for once per store. A source that does not read pictures answers `None` and
    /// never calls `ready`.
    pub fn photo(
        &self,
        id: &UserId,
        ready: impl FnOnce(Option<Rc<str>>) + 'static,
    ) -> Option<Rc<str>> {
        {
            let mut photos = self.0.photos.borrow_mut();
            match photos.get(id) {
                Some(Known::Done(url)) => return url.clone(),
                Some(Known::Waiting { ready: waiting, .. }) => {
                    waiting.push(Box::new(ready));
                    return None;
                }
                None => {}
            }
            // A source without pictures plans none.
            let _planned = self.0.reader.borrow().registry().adapter().plan_photo(id)?;
            let waiting = Known::Waiting {
                asked: false,
                tries: 0,
                after_ms: 0,
                ready: vec![Box::new(ready)],
            };
            photos.known.push((id.clone(), waiting));
        }
        self.next_photos();
        None
    }

    /// Starts the reads whose turn it is while fewer than [`MAX_IN_FLIGHT`] are in flight, and
    /// wakes up for the next one waiting to be tried again. While the source's credentials
    /// come from a callback that has not answered yet, nothing starts: the first poll asks it,
    /// and its answer starts them (one sign-in, not one per picture).
    pub(super) fn next_photos(&self) {
        if matches!(self.0.config.auth, Auth::Callback(_)) && self.0.credentials.borrow().is_none()
        {
            return;
        }
        let now = now_ms();
        loop {
            let id = {
                let mut photos = self.0.photos.borrow_mut();
                if photos.in_flight >= MAX_IN_FLIGHT {
                    break;
                }
                let due = photos.known.iter_mut().find_map(|(id, known)| match known {
                    Known::Waiting {
                        asked: asked @ false,
                        after_ms,
                        ..
                    } if *after_ms <= now => Some((id, asked)),
                    _ => None,
                });
                let Some((id, asked)) = due else {
                    break;
                };
                *asked = true;
                let id = id.clone();
                photos.in_flight += 1;
                id
            };
            let weak = Rc::downgrade(&self.0);
            wasm_bindgen_futures::spawn_local(async move {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let read = Store(inner).read_photo(&id).await;
                took_photo(&weak, &id, read);
            });
        }
        self.wake_photos(now);
    }

    /// Sets the timer for the earliest read waiting to be tried again, if any.
    fn wake_photos(&self, now: u64) {
        let mut photos = self.0.photos.borrow_mut();
        let next = photos
            .known
            .iter()
            .filter_map(|(_, known)| match known {
                Known::Waiting {
                    asked: false,
                    after_ms,
                    ..
                } if *after_ms > now => Some(*after_ms),
                _ => None,
            })
            .min();
        photos.timer = next.map(|at| {
            let weak = Rc::downgrade(&self.0);
            Timeout::new(timer_ms(at.saturating_sub(now)), move || {
                if let Some(inner) = weak.upgrade() {
                    Store(inner).next_photos();
                }
            })
        });
    }

    /// Sends `request` for a picture with the source's credentials (new ones from the callback
    /// when `renew` is set), counted.
    async fn send_for_picture(
        &self,
        request: &crate::core::HttpRequest,
        renew: bool,
    ) -> Result<(crate::core::HttpResponse, Option<web_sys::Blob>), PresenceError> {
        let credentials = self.credentials(renew).await?;
        self.0.requests.set(self.0.requests.get() + 1);
        self.0
            .transport
            .send_for_picture(request, credentials.as_ref())
            .await
    }

    /// Reads `id`'s picture: its object URL, or `None` when they have none.
    async fn read_photo(&self, id: &UserId) -> Result<Option<Rc<str>>, PresenceError> {
        let planned = self.0.reader.borrow().registry().adapter().plan_photo(id);
        let Some(request) = planned.transpose()? else {
            return Ok(None);
        };
        let (answer, blob) = self.send_for_picture(&request, false).await?;
        let (answer, blob) = if self.renews_after(answer.status) {
            self.send_for_picture(&request, true).await?
        } else {
            (answer, blob)
        };
        let photo = self
            .0
            .reader
            .borrow()
            .registry()
            .adapter()
            .read_photo(&request, &answer)?;
        Ok(match (photo, blob) {
            (Photo::Picture, Some(blob)) => web_sys::Url::create_object_url_with_blob(&blob)
                .ok()
                .map(Rc::from),
            _ => None,
        })
    }
}

/// Takes in the read of `id`'s picture: shown to everyone waiting for it, or tried again later
/// after a failure the service may get over. Nothing happens if the store is gone meanwhile
/// (its avatars follow another by now); a picture read for it is let go.
fn took_photo(weak: &Weak<Inner>, id: &UserId, read: Result<Option<Rc<str>>, PresenceError>) {
    let Some(inner) = weak.upgrade() else {
        if let Ok(Some(url)) = &read {
            let _ = web_sys::Url::revoke_object_url(url);
        }
        return;
    };
    let store = Store(inner);
    let now = now_ms();
    let ready = {
        let mut photos = store.0.photos.borrow_mut();
        photos.in_flight = photos.in_flight.saturating_sub(1);
        if let Err(e) = &read {
            if !std::mem::replace(&mut photos.warned, true) {
                let text = format!(
                    "presence-widgets: source `{}`: a picture could not be read (initials are \
                     shown meanwhile): {e}",
                    store.name()
                );
                web_sys::console::warn_1(&JsValue::from_str(&text));
            }
        }
        match photos.get(id) {
            Some(Known::Waiting {
                asked,
                tries,
                after_ms,
                ..
            }) if read.as_ref().is_err_and(passing) && *tries + 1 < TRIES => {
                *asked = false;
                *tries += 1;
                let wait = match &read {
                    Err(PresenceError::Http {
                        retry: Some(retry), ..
                    }) => retry.delay_from(now),
                    _ => RETRY_MS,
                };
                *after_ms = now.saturating_add(wait.max(1_000));
                Vec::new()
            }
            Some(known) => {
                let url = read.as_ref().ok().cloned().flatten();
                match std::mem::replace(known, Known::Done(url)) {
                    Known::Waiting { ready, .. } => ready,
                    Known::Done(_) => Vec::new(),
                }
            }
            None => Vec::new(),
        }
    };
    let url = read.ok().flatten();
    for ready in ready {
        ready(url.clone());
    }
    store.next_photos();
}
