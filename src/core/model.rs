//! The normalized presence model every provider's answer is turned into.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use super::json::Object;

/// A person's id as the page gave it: a Graph object GUID, a Rocket.Chat user id, a Genesys user
/// GUID or a SuperOffice associate id written in decimal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Wraps an id.
    ///
    /// ```
    /// use presence_widgets::core::UserId;
    /// assert_eq!(UserId::new("rocket.cat").as_str(), "rocket.cat");
    /// ```
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for UserId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

/// The presence services this library reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Microsoft Graph (Teams presence).
    Graph,
    /// Rocket.Chat.
    #[serde(rename = "rocketchat")]
    RocketChat,
    /// Genesys Cloud.
    Genesys,
    /// SuperOffice (Service user presence status).
    SuperOffice,
    /// presence-relay: the four services read once for a whole organisation and streamed to the
    /// page (feature `relay`). Its presences name the service behind it.
    Relay,
}

impl ProviderKind {
    /// Every provider, in the order the documentation lists them (the relay, which reads them
    /// for the page, is not one).
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Graph,
        ProviderKind::RocketChat,
        ProviderKind::Genesys,
        ProviderKind::SuperOffice,
    ];

    /// The name used in configuration, on the command line and in JSON: `graph`, `rocketchat`,
    /// `genesys`, `superoffice`.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Graph => "graph",
            ProviderKind::RocketChat => "rocketchat",
            ProviderKind::Genesys => "genesys",
            ProviderKind::SuperOffice => "superoffice",
            ProviderKind::Relay => "relay",
        }
    }

    /// Reads a name given by [`ProviderKind::name`], ignoring ASCII case.
    ///
    /// ```
    /// use presence_widgets::core::ProviderKind;
    /// assert_eq!(ProviderKind::from_name("Graph"), Some(ProviderKind::Graph));
    /// assert_eq!(ProviderKind::from_name("teams"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([ProviderKind::Relay])
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How reachable someone is, ordered from most to least reachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Availability {
    /// Free to be contacted.
    Available,
    /// Occupied, but may answer.
    Busy,
    /// Wants no interruptions.
    DoNotDisturb,
    /// Away for a moment.
    BeRightBack,
    /// Away.
    Away,
    /// Not connected.
    Offline,
    /// The service gave no usable answer for this person.
    Unknown,
}

impl Availability {
    /// Every availability, from most to least reachable.
    pub const ALL: [Availability; 7] = [
        Availability::Available,
        Availability::Busy,
        Availability::DoNotDisturb,
        Availability::BeRightBack,
        Availability::Away,
        Availability::Offline,
        Availability::Unknown,
    ];

    /// The variant's name, as JSON spells it.
    pub fn name(self) -> &'static str {
        match self {
            Availability::Available => "Available",
            Availability::Busy => "Busy",
            Availability::DoNotDisturb => "DoNotDisturb",
            Availability::BeRightBack => "BeRightBack",
            Availability::Away => "Away",
            Availability::Offline => "Offline",
            Availability::Unknown => "Unknown",
        }
    }

    /// The English text shown for it when the provider has no label of its own.
    pub fn label(self) -> &'static str {
        match self {
            Availability::Available => "Available",
            Availability::Busy => "Busy",
            Availability::DoNotDisturb => "Do not disturb",
            Availability::BeRightBack => "Be right back",
            Availability::Away => "Away",
            Availability::Offline => "Offline",
            Availability::Unknown => "Status unknown",
        }
    }

    /// Reads a name given by [`Availability::name`], ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What someone is doing, where the provider says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activity {
    /// In a one-to-one call (Graph InACall).
    InACall,
    /// In a conference call (Graph InAConferenceCall).
    InAConferenceCall,
    /// In a meeting (Graph InAMeeting, Genesys MEETING).
    InAMeeting,
    /// Presenting (Graph Presenting).
    Presenting,
    /// Focusing (Graph focusing).
    Focusing,
    /// Only urgent interruptions get through (Graph UrgentInterruptionsOnly).
    UrgentInterruptionsOnly,
    /// Inactive (Graph Inactive).
    Inactive,
    /// Outside working hours (Graph OffWork).
    OffWork,
    /// Out of office (Graph OutOfOffice).
    OutOfOffice,
    /// Taking contact-centre interactions (Genesys ON_QUEUE).
    OnQueue,
    /// On a break (Genesys BREAK).
    Break,
    /// At a meal (Genesys MEAL).
    Meal,
    /// In training (Genesys TRAINING).
    Training,
    /// Any other value, kept as the provider spelled it.
    Other(String),
}

impl Activity {
    /// Reads a name given by [`Activity::name`]: the variant of that name, else `Other` with it.
    ///
    /// ```
    /// use presence_widgets::core::Activity;
    /// assert_eq!(Activity::from_name("OnQueue"), Activity::OnQueue);
    /// assert_eq!(Activity::from_name("Lunch"), Activity::Other("Lunch".into()));
    /// ```
    pub fn from_name(name: &str) -> Self {
        const NAMED: [Activity; 13] = [
            Activity::InACall,
            Activity::InAConferenceCall,
            Activity::InAMeeting,
            Activity::Presenting,
            Activity::Focusing,
            Activity::UrgentInterruptionsOnly,
            Activity::Inactive,
            Activity::OffWork,
            Activity::OutOfOffice,
            Activity::OnQueue,
            Activity::Break,
            Activity::Meal,
            Activity::Training,
        ];
        NAMED
            .into_iter()
            .find(|a| a.name() == name)
            .unwrap_or_else(|| Activity::Other(name.to_owned()))
    }

    /// The name JSON uses: the variant's name, or the provider's own text for `Other`.
    pub fn name(&self) -> &str {
        match self {
            Activity::InACall => "InACall",
            Activity::InAConferenceCall => "InAConferenceCall",
            Activity::InAMeeting => "InAMeeting",
            Activity::Presenting => "Presenting",
            Activity::Focusing => "Focusing",
            Activity::UrgentInterruptionsOnly => "UrgentInterruptionsOnly",
            Activity::Inactive => "Inactive",
            Activity::OffWork => "OffWork",
            Activity::OutOfOffice => "OutOfOffice",
            Activity::OnQueue => "OnQueue",
            Activity::Break => "Break",
            Activity::Meal => "Meal",
            Activity::Training => "Training",
            Activity::Other(raw) => raw,
        }
    }

    /// English text for it, lower case, to follow an availability: "in a meeting".
    pub fn label(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Activity::InACall => "in a call",
            Activity::InAConferenceCall => "in a conference call",
            Activity::InAMeeting => "in a meeting",
            Activity::Presenting => "presenting",
            Activity::Focusing => "focusing",
            Activity::UrgentInterruptionsOnly => "urgent interruptions only",
            Activity::Inactive => "inactive",
            Activity::OffWork => "off work",
            Activity::OutOfOffice => "out of office",
            Activity::OnQueue => "on queue",
            Activity::Break => "on a break",
            Activity::Meal => "at a meal",
            Activity::Training => "in training",
            Activity::Other(raw) => return Cow::Borrowed(raw.as_str()),
        })
    }
}

impl Serialize for Activity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One person's presence, normalized.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Presence {
    /// The id as the page gave it.
    pub user: UserId,
    /// Which service answered.
    pub provider: ProviderKind,
    /// The normalized availability.
    pub availability: Availability,
    /// What they are doing, where known.
    pub activity: Option<Activity>,
    /// The text to show: the provider's own label where it has one, else ours.
    pub label: Cow<'static, str>,
    /// The person's own status text, as plain text.
    pub message: Option<String>,
    /// Out of office.
    pub out_of_office: bool,
    /// Connected but idle.
    pub idle: bool,
    /// When the status last changed, as the provider wrote it (ISO 8601), where it says.
    pub since: Option<String>,
    /// The provider's ordering stamp (Graph `sequenceNumber`), where it gives one.
    pub sequence: Option<String>,
    /// The provider's own value(s), such as `Busy/InAMeeting`.
    pub raw: String,
    /// The person's name, where the provider returns one.
    pub display_name: Option<String>,
}

impl Presence {
    /// The presence as a JSON object, with the fields and names of its `Serialize`: what a
    /// `presence-change` event carries as its detail.
    ///
    /// ```
    /// use presence_widgets::core::{Availability, Presence, ProviderKind};
    /// let p = Presence::new("u1".into(), ProviderKind::Graph, Availability::Busy);
    /// assert!(p.to_json().starts_with(r#"{"user":"u1","provider":"graph","availability":"Busy","#));
    /// ```
    pub fn to_json(&self) -> String {
        Object::new()
            .string("user", self.user.as_str())
            .string("provider", self.provider.name())
            .string("availability", self.availability.name())
            .opt_string("activity", self.activity.as_ref().map(Activity::name))
            .string("label", &self.label)
            .opt_string("message", self.message.as_deref())
            .boolean("out_of_office", self.out_of_office)
            .boolean("idle", self.idle)
            .opt_string("since", self.since.as_deref())
            .opt_string("sequence", self.sequence.as_deref())
            .string("raw", &self.raw)
            .opt_string("display_name", self.display_name.as_deref())
            .finish()
    }

    /// A presence with the given availability and every other field empty; the label is ours.
    ///
    /// ```
    /// use presence_widgets::core::{Availability, Presence, ProviderKind};
    /// let p = Presence::new("u1".into(), ProviderKind::RocketChat, Availability::Offline);
    /// assert_eq!(p.label, "Offline");
    /// assert!(p.message.is_none());
    /// ```
    pub fn new(user: UserId, provider: ProviderKind, availability: Availability) -> Self {
        Self {
            user,
            provider,
            availability,
            activity: None,
            label: Cow::Borrowed(availability.label()),
            message: None,
            out_of_office: false,
            idle: false,
            since: None,
            sequence: None,
            raw: String::new(),
            display_name: None,
        }
    }
}

/// Text from a provider that is only kept when it has something in it.
pub(crate) fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// Compares two strings, ignoring ASCII case, spaces, underscores and hyphens: `On Queue`,
/// `ON_QUEUE` and `onQueue` are one value.
pub(crate) fn loose_eq(value: &str, canonical: &str) -> bool {
    let mut letters = value
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'_' | b'-'))
        .map(|b| b.to_ascii_lowercase());
    let mut expected = canonical.bytes().map(|b| b.to_ascii_lowercase());
    loop {
        match (letters.next(), expected.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_eq_ignores_case_and_separators() {
        assert!(loose_eq("ON_QUEUE", "OnQueue"));
        assert!(loose_eq("On Queue", "onqueue"));
        assert!(loose_eq("beRightBack", "BeRightBack"));
        assert!(!loose_eq("OnQueues", "OnQueue"));
        assert!(!loose_eq("", "Away"));
    }

    #[test]
    fn availability_orders_from_most_to_least_reachable() {
        let mut all = Availability::ALL;
        all.reverse();
        all.sort();
        assert_eq!(all, Availability::ALL);
    }

    #[test]
    fn activity_serializes_as_text() {
        let json = serde_json::to_string(&Activity::Other("Lunch".into())).unwrap();
        let mut p = Presence::new("u\"1".into(), ProviderKind::RocketChat, Availability::Away);
        p.activity = Some(Activity::Other("Lunch".into()));
        p.message = Some("back at <b>2</b>\n".into());
        p.since = Some("2026-01-01T00:00:00Z".into());
        p.idle = true;
        let ours: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(
            ours,
            serde_json::to_value(&p).unwrap(),
            "to_json and Serialize agree"
        );
        assert_eq!(json, "\"Lunch\"");
        let json = serde_json::to_string(&Activity::OnQueue).unwrap();
        assert_eq!(json, "\"OnQueue\"");
    }
}
