//! People's pictures for avatars (feature `avatar`): each asked for once per store when the
//! source reads pictures (Graph's `photos`), a few at a time, with the source's credentials, and
//! kept as object URLs while the store lives.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::Store;
use crate::core::{Photo, PresenceError, UserId};

/// At most this many pictures are asked for at once; the rest wait their turn.
const MAX_IN_FLIGHT: usize = 4;

/// Called with a person's picture: an object URL, or `None` for their initials.
type Ready = Box<dyn FnOnce(Option<Rc<str>>)>;

/// The pictures of one store, in the order they were first asked for (a page shows a few
/// hundred people at most: a list is smaller than a map here).
#[derive(Default)]
pub(super) struct Photos {
    known: Vec<(UserId, Known)>,
    in_flight: usize,
    /// Whether a failure was reported on the console (once per store).
    warned: bool,
}

enum Known {
    /// Waiting its turn (`false`) or asked for (`true`); these wait for it.
    Waiting(bool, Vec<Ready>),
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
                Some(Known::Waiting(_, waiting)) => {
                    waiting.push(Box::new(ready));
                    return None;
                }
                None => {}
            }
            // A source without pictures plans none.
            let _planned = self.0.registry.borrow().adapter().plan_photo(id)?;
            photos
                .known
                .push((id.clone(), Known::Waiting(false, vec![Box::new(ready)])));
        }
        self.next_photos();
        None
    }

    /// Starts the reads waiting their turn while fewer than [`MAX_IN_FLIGHT`] are in flight.
    fn next_photos(&self) {
        loop {
            let id = {
                let mut photos = self.0.photos.borrow_mut();
                if photos.in_flight >= MAX_IN_FLIGHT {
                    return;
                }
                let Some((id, Known::Waiting(asked, _))) = photos
                    .known
                    .iter_mut()
                    .find(|(_, k)| matches!(k, Known::Waiting(false, _)))
                else {
                    return;
                };
                *asked = true;
                let id = id.clone();
                photos.in_flight += 1;
                id
            };
            let store = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let read = store.read_photo(&id).await;
                let url = read.as_ref().ok().cloned().flatten();
                let waiting = {
                    let mut photos = store.0.photos.borrow_mut();
                    photos.in_flight = photos.in_flight.saturating_sub(1);
                    if let Err(e) = &read {
                        if !std::mem::replace(&mut photos.warned, true) {
                            let text = format!(
                                "presence-widgets: source `{}`: a picture could not be read \
                                 (initials are shown): {e}",
                                store.name()
                            );
                            web_sys::console::warn_1(&JsValue::from_str(&text));
                        }
                    }
                    let at = photos.known.iter().position(|(k, _)| *k == id);
                    let entry = at.and_then(|at| photos.known.get_mut(at));
                    let waiting = match entry {
                        Some((_, known)) => std::mem::replace(known, Known::Done(url.clone())),
                        None => Known::Done(None),
                    };
                    // No answer: the next avatar of theirs asks again.
                    if let (Err(PresenceError::Network { .. }), Some(at)) = (&read, at) {
                        photos.known.remove(at);
                    }
                    match waiting {
                        Known::Waiting(_, w) => w,
                        Known::Done(_) => Vec::new(),
                    }
                };
                for ready in waiting {
                    ready(url.clone());
                }
                store.next_photos();
            });
        }
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
        let planned = self.0.registry.borrow().adapter().plan_photo(id);
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
            .registry
            .borrow()
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
