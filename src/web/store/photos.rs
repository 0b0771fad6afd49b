//! People's pictures for avatars (feature `avatar`): the reader decides whose picture is read
//! and when (`core::photos`: each asked for once per store, a few at a time, a failure the
//! service may get over tried again, three tries in all); this file sends the reads with the
//! source's credentials and keeps each picture as an object URL while the store lives.

use std::rc::{Rc, Weak};

use wasm_bindgen::JsValue;

use super::{Auth, Inner, Store};
use crate::core::photos::PhotoRead;
use crate::core::{HttpRequest, HttpResponse, Photo, PresenceError, UserId};
use crate::web::transport::now_ms;

/// Called with a person's picture: an object URL, or `None` for their initials.
type Ready = Box<dyn FnOnce(Option<Rc<str>>)>;

/// A person's picture once read (an object URL, or `None`: their initials), or the avatars
/// waiting for it.
type Known = Result<Option<Rc<str>>, Vec<Ready>>;

/// What a read brought: the request, its answer and the picture's body.
type Read = Result<(HttpRequest, HttpResponse, Option<web_sys::Blob>), PresenceError>;

/// The pictures of one store, by person.
#[derive(Default)]
pub(super) struct Photos {
    known: Vec<(UserId, Known)>,
    /// Whether a failure was reported on the console (once per store).
    warned: bool,
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
            if let Ok(Some(url)) = known {
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
                Some(Ok(url)) => return url.clone(),
                Some(Err(waiting)) => {
                    waiting.push(Box::new(ready));
                    return None;
                }
                None => {}
            }
            // A source without pictures plans none.
            if !self.0.reader.borrow_mut().want_photo(id) {
                return None;
            }
            photos.known.push((id.clone(), Err(vec![Box::new(ready)])));
        }
        self.next_photos();
        None
    }

    /// Starts the reads the reader says are due, and sets the timer for the next one waiting
    /// to be tried again. While the source's credentials come from a callback that has not
    /// answered yet, nothing starts: the first poll asks it, and its answer starts them (one
    /// sign-in, not one per picture).
    pub(super) fn next_photos(&self) {
        if matches!(self.0.config.auth, Auth::Callback(_)) && self.0.credentials.borrow().is_none()
        {
            return;
        }
        loop {
            let due = self.0.reader.borrow_mut().poll_photo(now_ms());
            let Some((id, request)) = due else {
                break;
            };
            let weak = Rc::downgrade(&self.0);
            wasm_bindgen_futures::spawn_local(async move {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let read = match request {
                    Ok(request) => Store(inner).read_photo(request).await,
                    Err(e) => Err(e),
                };
                took_photo(&weak, &id, read);
            });
        }
        self.arm();
    }

    /// Sends `request` for a picture with the source's credentials (new ones from the callback
    /// when `renew` is set), counted.
    async fn send_for_picture(
        &self,
        request: &HttpRequest,
        renew: bool,
    ) -> Result<(HttpResponse, Option<web_sys::Blob>), PresenceError> {
        let credentials = self.credentials(renew).await?;
        self.0.requests.set(self.0.requests.get() + 1);
        self.0
            .transport
            .send_for_picture(request, credentials.as_ref())
            .await
    }

    /// Reads a picture: the answer and its body (asked again with new credentials after a
    /// 401 when they come from a callback).
    async fn read_photo(&self, request: HttpRequest) -> Read {
        let (answer, blob) = self.send_for_picture(&request, false).await?;
        let (answer, blob) = if self.renews_after(answer.status) {
            self.send_for_picture(&request, true).await?
        } else {
            (answer, blob)
        };
        Ok((request, answer, blob))
    }
}

/// Takes in the read of `id`'s picture: shown to everyone waiting for it once final, else
/// tried again when the reader says. Nothing happens if the store is gone meanwhile (its
/// avatars follow another by now).
fn took_photo(weak: &Weak<Inner>, id: &UserId, read: Read) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let store = Store(inner);
    if let Err(e) = &read {
        let mut photos = store.0.photos.borrow_mut();
        if !std::mem::replace(&mut photos.warned, true) {
            let text = format!(
                "presence-widgets: source `{}`: a picture could not be read (initials are shown \
                 meanwhile): {e}",
                store.name()
            );
            web_sys::console::warn_1(&JsValue::from_str(&text));
        }
    }
    let (answer, blob) = match read {
        Ok((request, response, blob)) => (Ok((request, response)), blob),
        Err(e) => (Err(e), None),
    };
    let outcome = store
        .0
        .reader
        .borrow_mut()
        .handle_photo(id, answer, now_ms());
    if let PhotoRead::Done(photo) = outcome {
        let url = match (photo, blob) {
            (Ok(Photo::Picture), Some(blob)) => web_sys::Url::create_object_url_with_blob(&blob)
                .ok()
                .map(Rc::from),
            _ => None,
        };
        let ready = store
            .0
            .photos
            .borrow_mut()
            .get(id)
            .map(|known| std::mem::replace(known, Ok(url.clone())));
        if let Some(Err(ready)) = ready {
            for ready in ready {
                ready(url.clone());
            }
        }
    }
    store.next_photos();
}
