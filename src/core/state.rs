//! What a widget shows for one person: loading, a fresh presence, a stale one (with why), or an
//! error. Made by the registry, read by the labels, the roster and the components.

use super::error::PresenceError;
use super::model::Presence;

/// What a widget shows for one person.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Asked for, no answer yet.
    Loading,
    /// The last poll succeeded.
    Fresh(Presence),
    /// The last poll failed, but the presence was confirmed within the stale threshold: shown as
    /// fresh, with the reason in the tooltip only.
    Failing {
        /// The last good presence.
        presence: Presence,
        /// Why the last poll failed.
        error: PresenceError,
    },
    /// Polls have failed for longer than the stale threshold: the last good presence, why, and
    /// when it was last confirmed (milliseconds since the Unix epoch).
    Stale {
        /// The last good presence.
        presence: Presence,
        /// Why the last poll failed.
        error: PresenceError,
        /// When the presence was last confirmed.
        since_ms: u64,
    },
    /// Never loaded: the request failed before any answer.
    Error(PresenceError),
}

impl State {
    /// The presence to show, fresh or stale.
    pub fn presence(&self) -> Option<&Presence> {
        match self {
            State::Fresh(p)
            | State::Failing { presence: p, .. }
            | State::Stale { presence: p, .. } => Some(p),
            State::Loading | State::Error(_) => None,
        }
    }

    /// The error behind a stale or error state.
    pub fn error(&self) -> Option<&PresenceError> {
        match self {
            State::Failing { error, .. } | State::Stale { error, .. } | State::Error(error) => {
                Some(error)
            }
            State::Loading | State::Fresh(_) => None,
        }
    }
}
