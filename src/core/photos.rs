//! People's pictures for avatars, sans-IO (feature `photo`): which are wanted, whose read is
//! due (a few at a time, each person's once), and what a failed read means. A failure the
//! service may get over (no answer, 429, 5xx) is tried again after its `Retry-After` or
//! [`RETRY_MS`], at most [`TRIES`] times in all; anything else, or the last try, is final (the
//! person keeps their initials). The reader holds the book ([`super::reader::Reader`]'s
//! `want_photo`, `poll_photo`, `handle_photo`); the picture itself stays with the driver.
//!
//! ```
//! use presence_widgets::core::photos::{Photos, PhotoRead};
//! use presence_widgets::core::{Photo, PresenceError, ProviderKind};
//! let mut book = Photos::default();
//! assert!(book.want(&"ada".into()));
//! assert_eq!(book.next_due(0), Some("ada".into()));
//! let busy = PresenceError::Http { provider: ProviderKind::Graph, status: 503, code: None, message: None, retry: None };
//! assert_eq!(book.took(&"ada".into(), Err(busy), 0), PhotoRead::Later);
//! assert_eq!(book.next_timeout(), Some(30_000));
//! assert_eq!(book.next_due(30_000), Some("ada".into()));
//! assert_eq!(book.took(&"ada".into(), Ok(Photo::Missing), 30_000), PhotoRead::Done(Ok(Photo::Missing)));
//! ```

use super::error::PresenceError;
use super::model::UserId;
use super::providers::Photo;

/// At most this many pictures are asked for at once; the rest wait their turn.
pub const MAX_IN_FLIGHT: usize = 4;

/// How many times a picture is asked for before its person keeps their initials.
pub const TRIES: u32 = 3;

/// How long a picture that failed waits before it is asked for again, unless the service said.
pub const RETRY_MS: u64 = 30_000;

/// What became of a read.
#[derive(Clone, Debug, PartialEq)]
pub enum PhotoRead {
    /// It is tried again later ([`Photos::next_timeout`]).
    Later,
    /// Final: what the answer says, or why there is none (show the initials).
    Done(Result<Photo, PresenceError>),
    /// Nobody asked for this picture (a late answer): nothing to do.
    Unknown,
}

/// Where one person's picture is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    /// Not read yet: `asked` while in flight; `tries` made so far; not asked before `after_ms`.
    Waiting {
        asked: bool,
        tries: u32,
        after_ms: u64,
    },
    /// Read (or given up).
    Done,
}

/// The pictures of one source, in the order they were first wanted (a page shows a few
/// hundred people at most: a list is smaller than a map here).
#[derive(Clone, Debug, Default)]
pub struct Photos {
    known: Vec<(UserId, Known)>,
    in_flight: usize,
}

/// Whether the service may answer a read that failed so another time.
fn passing(error: &PresenceError) -> bool {
    match error {
        PresenceError::Network { .. } => true,
        PresenceError::Http { status, .. } => *status == 429 || *status >= 500,
        PresenceError::Decode { .. } | PresenceError::Config(_) => false,
    }
}

impl Photos {
    /// `id`'s picture is wanted: true the first time (it will be read), false when it is
    /// known or on its way already.
    pub fn want(&mut self, id: &UserId) -> bool {
        if self.known.iter().any(|(k, _)| k == id) {
            return false;
        }
        let waiting = Known::Waiting {
            asked: false,
            tries: 0,
            after_ms: 0,
        };
        self.known.push((id.clone(), waiting));
        true
    }

    /// The next person whose read is due now, counted in flight; none while
    /// [`MAX_IN_FLIGHT`] are.
    pub fn next_due(&mut self, now: u64) -> Option<UserId> {
        if self.in_flight >= MAX_IN_FLIGHT {
            return None;
        }
        let (id, known) = self.known.iter_mut().find(|(_, known)| {
            matches!(known, Known::Waiting { asked: false, after_ms, .. } if *after_ms <= now)
        })?;
        if let Known::Waiting { asked, .. } = known {
            *asked = true;
        }
        self.in_flight = self.in_flight.saturating_add(1);
        Some(id.clone())
    }

    /// The read of `id`'s picture ended with `read`: final, or tried again later.
    pub fn took(&mut self, id: &UserId, read: Result<Photo, PresenceError>, now: u64) -> PhotoRead {
        let Some((_, known)) = self.known.iter_mut().find(|(k, _)| k == id) else {
            return PhotoRead::Unknown;
        };
        let Known::Waiting {
            asked: asked @ true,
            tries,
            after_ms,
        } = known
        else {
            return PhotoRead::Unknown;
        };
        *asked = false;
        self.in_flight = self.in_flight.saturating_sub(1);
        if read.as_ref().is_err_and(passing) && tries.saturating_add(1) < TRIES {
            *tries = tries.saturating_add(1);
            let wait = match &read {
                Err(PresenceError::Http {
                    retry: Some(retry), ..
                }) => retry.delay_from(now),
                _ => RETRY_MS,
            };
            *after_ms = now.saturating_add(wait.max(1_000));
            return PhotoRead::Later;
        }
        *known = Known::Done;
        PhotoRead::Done(read)
    }

    /// When the earliest read waiting to be tried again is due, if any (none while
    /// [`MAX_IN_FLIGHT`] are in flight: the next answer makes room).
    pub fn next_timeout(&self) -> Option<u64> {
        if self.in_flight >= MAX_IN_FLIGHT {
            return None;
        }
        self.known
            .iter()
            .filter_map(|(_, known)| match known {
                Known::Waiting {
                    asked: false,
                    tries: 1..,
                    after_ms,
                } => Some(*after_ms),
                _ => None,
            })
            .min()
    }
}
