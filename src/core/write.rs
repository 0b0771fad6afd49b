//! Writes: a person setting their own status (feature `write`).
//!
//! Each adapter offers the statuses its service lets a person pick ([`Choice`]s), plans the
//! requests of a [`StatusWrite`] and reads their answers, like the reads and sans-IO like them:
//! [`Provider::plan_write`](super::providers::Provider::plan_write) refuses what the service
//! would refuse before anything is sent (an unknown status, an expiry in the past, an expiry the
//! service cannot keep), and
//! [`Provider::parse_write`](super::providers::Provider::parse_write) turns every documented error
//! (403 without the permission, 400 for a value the service refuses, 429) into a typed
//! [`PresenceError`] with the service's own reason.

use super::error::PresenceError;
use super::http::HttpRequest;
use super::model::{Activity, Availability, Presence, ProviderKind};

/// One status a person may pick, as the service offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The service's value, which [`StatusWrite::status`] names: `Busy/Busy` (Graph's
    /// availability and activity), `busy` (Rocket.Chat), a presence definition's id (Genesys),
    /// `StatusNormal` (SuperOffice).
    pub value: String,
    /// What it shows as.
    pub availability: Availability,
    /// What it says the person is doing, where it says.
    pub activity: Option<Activity>,
    /// The service's own label (Genesys's definitions, in the page's language), else `None`
    /// (the widgets' words for the availability).
    pub label: Option<String>,
}

impl Choice {
    pub(crate) fn new(value: &str, availability: Availability, activity: Option<Activity>) -> Self {
        Self {
            value: value.to_owned(),
            availability,
            activity,
            label: None,
        }
    }
}

/// What a person asks the service to set. Fields left `None` stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusWrite {
    /// One of the adapter's [`Choice`]s, by its value.
    pub status: Option<String>,
    /// Back to the service's default instead of a status: Graph clears the preferred presence,
    /// Rocket.Chat goes online, Genesys to its Available definition, SuperOffice to
    /// StatusNormal.
    pub reset: bool,
    /// The status message; `Some("")` clears it.
    pub message: Option<String>,
    /// When the status message ends (Graph; Rocket.Chat: the status), in milliseconds since the
    /// Unix epoch.
    pub expires_ms: Option<u64>,
}

/// The requests of a write, to be sent in order, and what the person shows meanwhile.
#[derive(Clone, Debug, PartialEq)]
pub struct WritePlan {
    /// The requests; the write has succeeded when every answer has.
    pub requests: Vec<HttpRequest>,
    /// The status picked, to show at once (`None` for a reset whose outcome only the service
    /// knows, or a message alone).
    pub shows: Option<Choice>,
}

impl WritePlan {
    /// `presence` as it shows while the write is in flight: the status picked and the message
    /// given, the rest as it was.
    pub fn apply(&self, write: &StatusWrite, presence: &Presence) -> Presence {
        let mut shown = presence.clone();
        if let Some(choice) = &self.shows {
            shown.availability = choice.availability;
            shown.activity.clone_from(&choice.activity);
            shown.label = match &choice.label {
                Some(label) => label.clone().into(),
                None => choice.availability.label().into(),
            };
            shown.idle = false;
            shown.raw.clone_from(&choice.value);
        }
        if let Some(message) = &write.message {
            shown.message = Some(message.trim().to_owned()).filter(|m| !m.is_empty());
        }
        shown
    }
}

/// Checks `write` against `choices` at `now_ms`, before anything is sent: the choice it names
/// (or `None` for a reset or a message alone).
///
/// # Errors
/// [`PresenceError::Config`] naming what is wrong: nothing to set, a status the service does not
/// take (with those it takes), both a status and a reset, an expiry in the past, or an expiry the
/// service cannot keep (`expiry` false).
pub(crate) fn check<'a>(
    provider: ProviderKind,
    choices: &'a [Choice],
    write: &StatusWrite,
    now_ms: u64,
    expiry: bool,
) -> Result<Option<&'a Choice>, PresenceError> {
    let refuse = |why: String| Err(PresenceError::Config(format!("{provider}: {why}")));
    if write.status.is_none() && !write.reset && write.message.is_none() {
        return refuse("nothing to set: give a status, a reset or a message".into());
    }
    if write.reset && write.status.is_some() {
        return refuse("a status and a reset at once: give one".into());
    }
    if let Some(at) = write.expires_ms {
        if !expiry {
            return refuse("the service keeps a status until it is changed: no expiry".into());
        }
        if at <= now_ms {
            return refuse("the expiry is in the past".into());
        }
    }
    let Some(value) = &write.status else {
        return Ok(None);
    };
    match choices.iter().find(|c| c.value == *value) {
        Some(choice) => Ok(Some(choice)),
        None => {
            let taken: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
            refuse(format!(
                "`{value}` is not a status it takes (it takes {})",
                if taken.is_empty() {
                    "none yet".to_owned()
                } else {
                    taken.join(", ")
                }
            ))
        }
    }
}

/// The refusal of a source that takes no writes (the relay kind, for now).
pub(crate) fn no_writes(provider: ProviderKind) -> PresenceError {
    PresenceError::Config(format!("{provider}: this source takes no status writes"))
}

/// Seconds as an ISO 8601 duration: `PT1H30M`, `PT45S`.
#[cfg(any(test, feature = "graph"))]
pub(crate) fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(duration(0), "PT0S");
        assert_eq!(duration(45), "PT45S");
        assert_eq!(duration(5400), "PT1H30M");
        assert_eq!(duration(86_400), "PT24H");
        assert_eq!(duration(3661), "PT1H1M1S");
    }

    #[test]
    fn bad_writes_are_refused_with_what_is_wrong() {
        let choices = [Choice::new("busy", Availability::Busy, None)];
        let kind = ProviderKind::RocketChat;
        let w = |status: Option<&str>, reset, message: Option<&str>, expires_ms| StatusWrite {
            status: status.map(str::to_owned),
            reset,
            message: message.map(str::to_owned),
            expires_ms,
        };
        let text = |r: Result<Option<&Choice>, PresenceError>| r.unwrap_err().to_string();
        assert!(
            text(check(kind, &choices, &w(None, false, None, None), 0, true))
                .contains("nothing to set")
        );
        assert!(text(check(
            kind,
            &choices,
            &w(Some("gone"), false, None, None),
            0,
            true
        ))
        .contains("`gone` is not a status it takes (it takes busy)"));
        assert!(text(check(
            kind,
            &choices,
            &w(Some("busy"), false, None, Some(5)),
            10,
            true
        ))
        .contains("in the past"));
        assert!(text(check(
            kind,
            &choices,
            &w(None, false, Some("x"), Some(50)),
            10,
            false
        ))
        .contains("no expiry"));
        assert!(text(check(
            kind,
            &choices,
            &w(Some("busy"), true, None, None),
            0,
            true
        ))
        .contains("at once"));
        assert_eq!(
            check(
                kind,
                &choices,
                &w(Some("busy"), false, None, Some(50)),
                10,
                true
            )
            .unwrap(),
            choices.first()
        );
        assert_eq!(
            check(kind, &choices, &w(None, true, None, None), 10, true).unwrap(),
            None
        );
    }
}
