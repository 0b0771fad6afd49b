//! The words widgets show: English by default, any entry replaceable by a table the page supplies
//! (for another language, or other words). Genesys labels from the presence definitions, already
//! in the page's language, are kept as the provider gave them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use super::model::{Activity, Availability, Presence};
use super::state::State;

impl Presence {
    /// The sentence a screen reader hears: "Busy, in a meeting", "Away, out of office".
    ///
    /// ```
    /// use presence_widgets::core::{Activity, Availability, Presence, ProviderKind};
    /// let mut p = Presence::new("u1".into(), ProviderKind::Graph, Availability::Busy);
    /// p.activity = Some(Activity::InAMeeting);
    /// assert_eq!(p.description(), "Busy, in a meeting");
    /// p.activity = None;
    /// p.out_of_office = true;
    /// assert_eq!(p.description(), "Busy, out of office");
    /// ```
    pub fn description(&self) -> String {
        Labels::english().describe(self)
    }
}

/// English text for every key [`Labels`] knows. Keys are availability names (`Available`, …),
/// activity names (`InAMeeting`, …) and the words below; `{n}`, `{age}`, `{reason}`, `{time}` and
/// `{query}` are filled in.
pub const ENGLISH: &[(&str, &str)] = &[
    // Between the parts of a description ("Busy, in a meeting"); Japanese has "、".
    ("and", ", "),
    ("outOfOffice", "out of office"),
    ("idle", "idle"),
    ("loading", "Loading status"),
    ("error", "Status unavailable"),
    ("errorReason", "Status unavailable: {reason}"),
    ("stale", "not updated for {age}"),
    ("staleReason", "Not updated for {age}: {reason}"),
    ("failingReason", "The last update failed: {reason}"),
    ("since", "Since {time}"),
    ("seconds", "{n} s"),
    ("minutes", "{n} min"),
    ("hours", "{n} h"),
    ("people", "People"),
    ("filter", "Filter people"),
    ("empty", "No people to show"),
    ("noMatch", "Nobody matches “{query}”"),
    ("listLoading", "Loading {n} people…"),
    ("groupLoading", "Loading"),
    ("groupError", "Unavailable"),
    ("summary.Available", "{n} available"),
    ("summary.Busy", "{n} busy"),
    ("summary.DoNotDisturb", "{n} do not disturb"),
    ("summary.BeRightBack", "{n} be right back"),
    ("summary.Away", "{n} away"),
    ("summary.Offline", "{n} offline"),
    ("summary.Unknown", "{n} unknown"),
    ("summary.loading", "{n} loading"),
    ("summary.error", "{n} unavailable"),
    ("summaryEmpty", "Nobody to count"),
    #[cfg(feature = "write")]
    ("pickerButton", "Your status: {status}. Change it"),
    #[cfg(feature = "write")]
    (
        "pickerNone",
        "Your status: {status}. This source cannot change it",
    ),
    #[cfg(feature = "write")]
    ("pickerMenu", "Set your status"),
    #[cfg(feature = "write")]
    ("pickerReset", "Reset status"),
    #[cfg(feature = "write")]
    ("pickerMessage", "Status message…"),
    #[cfg(feature = "write")]
    ("pickerMessageTitle", "Status message"),
    #[cfg(feature = "write")]
    ("pickerMessageLabel", "Message"),
    #[cfg(feature = "write")]
    ("pickerExpiry", "Clear after"),
    #[cfg(feature = "write")]
    ("pickerNever", "Never"),
    #[cfg(feature = "write")]
    ("pickerSave", "Save"),
    #[cfg(feature = "write")]
    ("pickerCancel", "Cancel"),
    #[cfg(feature = "write")]
    ("pickerRefused", "Your status was not changed: {reason}"),
    #[cfg(feature = "write")]
    ("pickerNoteGraph", "Teams shows the status you pick only while you are signed in to Teams; otherwise you show as Offline."),
];

/// The words widgets show. Cheap to clone; compares by content.
///
/// ```
/// use presence_widgets::core::{Activity, Availability, Labels, Presence, ProviderKind};
///
/// let mut p = Presence::new("u1".into(), ProviderKind::Graph, Availability::Busy);
/// p.activity = Some(Activity::InAMeeting);
/// assert_eq!(Labels::english().describe(&p), "Busy, in a meeting");
///
/// let german = Labels::from_pairs([("Busy", "Beschäftigt"), ("InAMeeting", "in einer Besprechung")]);
/// assert_eq!(german.describe(&p), "Beschäftigt, in einer Besprechung");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels(Rc<HashMap<String, String>>, Rc<str>);

impl Labels {
    /// English, the default.
    pub fn english() -> Self {
        Self::default()
    }

    /// English with the given entries replaced. Unknown keys are kept (and never used).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            Rc::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
            Rc::default(),
        )
    }

    /// `self` (the page's own words) over `table` (a language's built-in words), in `language`,
    /// a tag the browser gave (`Intl.getCanonicalLocales`), which formats its times: a page's
    /// word wins over the language's, the language's over English. The custom elements' (feature
    /// `element`).
    #[cfg(any(test, feature = "element"))]
    pub(crate) fn over(&self, language: &str, table: Vec<(String, String)>) -> Self {
        let mut words: HashMap<String, String> = table.into_iter().collect();
        words.extend(self.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self(Rc::new(words), Rc::from(language))
    }

    /// The language tag the words are for ("de-CH"), as [`Labels::over`] was told; "" when none
    /// was.
    pub fn language(&self) -> &str {
        &self.1
    }

    /// The text for `key`: the page's entry, else English, else the key itself.
    pub fn text(&self, key: &str) -> Cow<'_, str> {
        if let Some(text) = self.0.get(key) {
            return Cow::Borrowed(text);
        }
        if let Some(a) = Availability::from_name(key) {
            return Cow::Borrowed(a.label());
        }
        match ENGLISH.iter().find(|(k, _)| *k == key) {
            Some((_, text)) => Cow::Borrowed(text),
            None => Cow::Owned(key.to_owned()),
        }
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.text(key).into_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// An availability's text.
    pub fn availability(&self, availability: Availability) -> Cow<'_, str> {
        self.text(availability.name())
    }

    /// An activity's text, to follow an availability ("in a meeting"); `Other` values are shown
    /// as the provider spelled them unless the table names them.
    pub fn activity<'a>(&'a self, activity: &'a Activity) -> Cow<'a, str> {
        match self.0.get(activity.name()) {
            Some(text) => Cow::Borrowed(text),
            None => activity.label(),
        }
    }

    /// The label to show for a presence: the provider's own (Genesys, in the page's language)
    /// when it has one, else the table's text for the availability.
    pub fn label<'a>(&'a self, presence: &'a Presence) -> Cow<'a, str> {
        if presence.label != presence.availability.label() && !presence.label.trim().is_empty() {
            return Cow::Borrowed(&presence.label);
        }
        self.availability(presence.availability)
    }

    /// What a screen reader says of a presence: "Busy, in a meeting", "Away, out of office".
    /// Nothing is said twice: a part that the label already says (a Genesys definition
    /// labelled "Meeting", "On Queue" or "Idle") is left out.
    pub fn describe(&self, presence: &Presence) -> String {
        let mut text = self.label(presence).into_owned();
        // "Inactive" only repeats "idle".
        let repeats = presence.idle && presence.activity == Some(Activity::Inactive);
        if let Some(activity) = presence.activity.as_ref().filter(|_| !repeats) {
            self.add_part(&mut text, &self.activity(activity));
        }
        if presence.out_of_office && presence.activity != Some(Activity::OutOfOffice) {
            self.add_part(&mut text, &self.text("outOfOffice"));
        }
        if presence.idle {
            self.add_part(&mut text, &self.text("idle"));
        }
        text
    }

    /// "42 s", "3 min", "2 h": how long ago, roughly.
    pub fn age(&self, ms: u64) -> String {
        let seconds = ms / 1000;
        let (key, n) = match seconds {
            0..=59 => ("seconds", seconds),
            60..=3599 => ("minutes", seconds / 60),
            _ => ("hours", seconds / 3600),
        };
        self.fill(key, &[("n", &n.to_string())])
    }

    /// Appends `part` after the separator (`and`: ", ") unless the text already says it (or the
    /// part says all the text does).
    fn add_part(&self, text: &mut String, part: &str) {
        let said = letters(text);
        let new = letters(part);
        if new.is_empty() || said.contains(&new) || new.contains(&said) {
            return;
        }
        text.push_str(&self.text("and"));
        text.push_str(part);
    }

    /// The accessible name of a badge in `state` at `now_ms`: the description, then what is wrong.
    pub fn describe_state(&self, state: &State, now_ms: u64) -> String {
        match state {
            State::Loading => self.text("loading").into_owned(),
            State::Error(_) => self.text("error").into_owned(),
            State::Fresh(p) | State::Failing { presence: p, .. } => self.describe(p),
            State::Stale {
                presence, since_ms, ..
            } => {
                let age = self.age(now_ms.saturating_sub(*since_ms));
                let mut text = self.describe(presence);
                text.push_str(&self.text("and"));
                text.push_str(&self.fill("stale", &[("age", &age)]));
                text
            }
        }
    }

    /// A badge's tooltip, one fact per line: description, status message, since when (`time`
    /// formats the provider's timestamp for the page), and for a stale or failed state the
    /// reason and age.
    pub fn tooltip(&self, state: &State, now_ms: u64, time: impl Fn(&str) -> String) -> String {
        let mut lines = Vec::with_capacity(4);
        if let Some(p) = state.presence() {
            lines.push(self.describe(p));
            if let Some(message) = &p.message {
                lines.push(message.clone());
            }
            if let Some(since) = &p.since {
                lines.push(self.fill("since", &[("time", &time(since))]));
            }
        }
        match state {
            State::Loading => lines.push(self.text("loading").into_owned()),
            State::Error(e) => lines.push(self.fill("errorReason", &[("reason", &e.to_string())])),
            State::Stale {
                error, since_ms, ..
            } => {
                let age = self.age(now_ms.saturating_sub(*since_ms));
                lines.push(self.fill(
                    "staleReason",
                    &[("age", &age), ("reason", &error.to_string())],
                ));
            }
            State::Failing { error, .. } => {
                lines.push(self.fill("failingReason", &[("reason", &error.to_string())]));
            }
            State::Fresh(_) => {}
        }
        lines.join("\n")
    }
}

/// The text in lower case (ASCII) with every space and punctuation mark left out, for comparing
/// words: "On Queue" and "on queue" are one, and so are "Meeting" and "in a meeting" in part.
fn letters(text: &str) -> String {
    // Beyond ASCII every character counts as a letter: no Unicode tables in the wasm module.
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || !c.is_ascii())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{PresenceError, ProviderKind};

    fn busy() -> Presence {
        let mut p = Presence::new("u1".into(), ProviderKind::Graph, Availability::Busy);
        p.activity = Some(Activity::InAMeeting);
        p.message = Some("<img src=x onerror=alert(1)>".into());
        p
    }

    #[test]
    fn every_english_key_has_text_and_every_availability_a_label() {
        let labels = Labels::english();
        for (key, text) in ENGLISH {
            assert_eq!(labels.text(key), *text);
        }
        for a in Availability::ALL {
            assert_eq!(labels.availability(a), a.label());
            assert!(labels
                .text(&format!("summary.{}", a.name()))
                .contains("{n}"));
        }
        assert_eq!(labels.text("no such key"), "no such key");
    }

    #[test]
    fn genesys_labels_are_kept_and_ours_are_translated() {
        let french = Labels::from_pairs([("Available", "Disponible"), ("Away", "Absent")]);
        let mut p = Presence::new("u".into(), ProviderKind::Genesys, Availability::Away);
        assert_eq!(french.label(&p), "Absent");
        p.label = "Pause déjeuner".into();
        assert_eq!(french.label(&p), "Pause déjeuner");
    }

    #[test]
    fn states_read_aloud() {
        let labels = Labels::english();
        let error = PresenceError::Network {
            provider: ProviderKind::Graph,
            message: "refused".into(),
        };
        assert_eq!(labels.describe_state(&State::Loading, 0), "Loading status");
        assert_eq!(
            labels.describe_state(&State::Error(error.clone()), 0),
            "Status unavailable"
        );
        let stale = State::Stale {
            presence: busy(),
            error,
            since_ms: 1_000,
        };
        assert_eq!(
            labels.describe_state(&stale, 181_000),
            "Busy, in a meeting, not updated for 3 min"
        );
        let tip = labels.tooltip(&stale, 181_000, str::to_owned);
        assert_eq!(
            tip,
            "Busy, in a meeting\n<img src=x onerror=alert(1)>\n\
             Not updated for 3 min: graph: network error: refused"
        );
    }

    #[test]
    fn parts_are_joined_by_the_languages_separator() {
        let japanese = Labels::from_pairs([
            ("and", "、"),
            ("Busy", "取り込み中"),
            ("InAMeeting", "会議中"),
            ("stale", "{age}前から更新なし"),
            ("minutes", "{n} 分"),
        ]);
        let mut p = Presence::new("u".into(), ProviderKind::Graph, Availability::Busy);
        p.activity = Some(Activity::InAMeeting);
        assert_eq!(japanese.describe(&p), "取り込み中、会議中");
        let stale = State::Stale {
            presence: p,
            error: PresenceError::Config("x".into()),
            since_ms: 0,
        };
        assert_eq!(
            japanese.describe_state(&stale, 180_000),
            "取り込み中、会議中、3 分前から更新なし"
        );
    }

    #[test]
    fn out_of_office_and_idle_are_said() {
        let mut p = Presence::new("u".into(), ProviderKind::Graph, Availability::Away);
        p.out_of_office = true;
        assert_eq!(Labels::english().describe(&p), "Away, out of office");
        p.activity = Some(Activity::OutOfOffice);
        assert_eq!(Labels::english().describe(&p), "Away, out of office");
        p.activity = None;
        p.out_of_office = false;
        p.idle = true;
        p.activity = Some(Activity::Inactive);
        p.availability = Availability::Available;
        p.label = "Available".into();
        assert_eq!(Labels::english().describe(&p), "Available, idle");
    }

    #[test]
    fn a_genesys_label_is_not_repeated() {
        let labels = Labels::english();
        let genesys = |label: &str, availability, activity, idle| {
            let mut p = Presence::new("u".into(), ProviderKind::Genesys, availability);
            p.label = label.to_owned().into();
            p.activity = activity;
            p.idle = idle;
            labels.describe(&p)
        };
        assert_eq!(genesys("Idle", Availability::Away, None, true), "Idle");
        assert_eq!(
            genesys(
                "On Queue",
                Availability::Busy,
                Some(Activity::OnQueue),
                false
            ),
            "On Queue"
        );
        assert_eq!(
            genesys(
                "Meeting",
                Availability::Busy,
                Some(Activity::InAMeeting),
                false
            ),
            "Meeting"
        );
        assert_eq!(
            genesys("Pause", Availability::Away, Some(Activity::Break), false),
            "Pause, on a break"
        );
        assert_eq!(
            genesys("Available", Availability::Available, None, true),
            "Available, idle"
        );
    }

    #[test]
    fn a_language_s_words_under_the_page_s() {
        let page = Labels::from_pairs([("Away", "Out")]);
        let table = [("Busy", "Beschäftigt"), ("Away", "Abwesend")];
        let german = page.over(
            "de-CH",
            table.map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        );
        assert_eq!(german.availability(Availability::Busy), "Beschäftigt");
        assert_eq!(german.availability(Availability::Away), "Out");
        assert_eq!(german.availability(Availability::Offline), "Offline");
        assert_eq!(german.language(), "de-CH");
        assert_eq!(page.language(), "");
    }

    #[test]
    fn ages_round_down() {
        let l = Labels::english();
        assert_eq!(l.age(0), "0 s");
        assert_eq!(l.age(59_999), "59 s");
        assert_eq!(l.age(60_000), "1 min");
        assert_eq!(l.age(7_300_000), "2 h");
    }
}
