//! A list's people without any I/O: their states, kept sorted by availability then name, counted
//! per group, filtered, and which rows a scrolled window shows. The list and summary components
//! drive it; one person's change moves at most that person.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

use super::model::{Availability, UserId};
use super::state::State;

/// Where a person sorts and is counted: by availability, then those still loading, then those
/// whose presence could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Has a presence (fresh or stale).
    Availability(Availability),
    /// No answer yet.
    Loading,
    /// Never loaded.
    Error,
}

impl Group {
    /// The group of a state.
    pub fn of(state: &State) -> Self {
        match state {
            State::Loading => Group::Loading,
            State::Error(_) => Group::Error,
            State::Fresh(p)
            | State::Failing { presence: p, .. }
            | State::Stale { presence: p, .. } => Group::Availability(p.availability),
        }
    }

    /// The key of its text in [`super::Labels`]: the availability's name, `groupLoading`,
    /// `groupError`.
    pub fn label_key(self) -> &'static str {
        match self {
            Group::Availability(a) => a.name(),
            Group::Loading => "groupLoading",
            Group::Error => "groupError",
        }
    }

    /// The key of its count in [`super::Labels`]: `summary.Available`, …, `summary.loading`.
    pub fn summary_key(self) -> &'static str {
        match self {
            Group::Availability(Availability::Available) => "summary.Available",
            Group::Availability(Availability::Busy) => "summary.Busy",
            Group::Availability(Availability::DoNotDisturb) => "summary.DoNotDisturb",
            Group::Availability(Availability::BeRightBack) => "summary.BeRightBack",
            Group::Availability(Availability::Away) => "summary.Away",
            Group::Availability(Availability::Offline) => "summary.Offline",
            Group::Availability(Availability::Unknown) => "summary.Unknown",
            Group::Loading => "summary.loading",
            Group::Error => "summary.error",
        }
    }

    /// Every group, in order.
    pub const ALL: [Group; 9] = [
        Group::Availability(Availability::Available),
        Group::Availability(Availability::Busy),
        Group::Availability(Availability::DoNotDisturb),
        Group::Availability(Availability::BeRightBack),
        Group::Availability(Availability::Away),
        Group::Availability(Availability::Offline),
        Group::Availability(Availability::Unknown),
        Group::Loading,
        Group::Error,
    ];

    /// Its place in [`Group::ALL`].
    pub fn index(self) -> usize {
        match self {
            Group::Availability(Availability::Available) => 0,
            Group::Availability(Availability::Busy) => 1,
            Group::Availability(Availability::DoNotDisturb) => 2,
            Group::Availability(Availability::BeRightBack) => 3,
            Group::Availability(Availability::Away) => 4,
            Group::Availability(Availability::Offline) => 5,
            Group::Availability(Availability::Unknown) => 6,
            Group::Loading => 7,
            Group::Error => 8,
        }
    }

    /// A CSS-friendly name: `available`, `busy`, `do-not-disturb`, …, `loading`, `error`.
    pub fn css(self) -> &'static str {
        match self {
            Group::Availability(a) => availability_css(a),
            Group::Loading => "loading",
            Group::Error => "error",
        }
    }
}

/// A CSS-friendly name for an availability: `available`, `be-right-back`, …
pub fn availability_css(availability: Availability) -> &'static str {
    match availability {
        Availability::Available => "available",
        Availability::Busy => "busy",
        Availability::DoNotDisturb => "do-not-disturb",
        Availability::BeRightBack => "be-right-back",
        Availability::Away => "away",
        Availability::Offline => "offline",
        Availability::Unknown => "unknown",
    }
}

/// One person of a roster.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Their id.
    pub id: UserId,
    /// What a widget shows for them.
    pub state: State,
    given_name: Option<String>,
    name: String,
    key: String,
}

/// How names and queries are folded for sorting and matching: to lower case.
pub type Fold = fn(&str) -> String;

/// Lower case by Unicode's rules: the [`Fold`] of [`Roster::new`].
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

impl Person {
    fn new(id: UserId, given_name: Option<String>, state: State, fold: Fold) -> Self {
        let mut person = Self {
            id,
            state,
            given_name,
            name: String::new(),
            key: String::new(),
        };
        person.rename(fold);
        person
    }

    /// The name to show: the page's, else the provider's, else the id.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Their group.
    pub fn group(&self) -> Group {
        Group::of(&self.state)
    }

    fn rename(&mut self, fold: Fold) {
        let provider = self
            .state
            .presence()
            .and_then(|p| p.display_name.as_deref());
        let name = self
            .given_name
            .as_deref()
            .or(provider)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(self.id.as_str());
        if name != self.name {
            name.clone_into(&mut self.name);
            self.key = fold(name);
        }
    }

    fn cmp(&self, other: &Person) -> Ordering {
        (self.group(), &self.key, &self.id).cmp(&(other.group(), &other.key, &other.id))
    }
}

/// A row of a list: a group heading with its count, or a person (by index in the roster).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// The heading of a group.
    Header(Group, usize),
    /// The person at this index of [`Roster::person`].
    Person(usize),
}

/// The people of a list, in order.
///
/// ```
/// use presence_widgets::core::{Availability, Presence, ProviderKind, Roster, Row, State};
///
/// let state = |a| State::Fresh(Presence::new("x".into(), ProviderKind::Graph, a));
/// let mut roster = Roster::new([("zoe".into(), None), ("adam".into(), None)], |_| State::Loading);
/// roster.set(&"zoe".into(), state(Availability::Available));
/// roster.set(&"adam".into(), state(Availability::Busy));
/// let names: Vec<&str> = roster.rows(false, "").iter().filter_map(|r| match r {
///     Row::Person(i) => roster.person(*i).map(|p| p.name()),
///     Row::Header(..) => None,
/// }).collect();
/// assert_eq!(names, ["zoe", "adam"]);
/// ```
#[derive(Clone, Debug)]
pub struct Roster {
    people: Vec<Person>,
    index: HashMap<UserId, usize>,
    order: Vec<usize>,
    counts: [usize; 9],
    fold: Fold,
}

impl Default for Roster {
    fn default() -> Self {
        Self::with_fold([], |_| State::Loading, lowercase)
    }
}

impl Roster {
    /// The people given (an id and the page's name for them, if any; an id given twice counts
    /// once), each in the state `state` says.
    pub fn new(
        people: impl IntoIterator<Item = (UserId, Option<String>)>,
        state: impl Fn(&UserId) -> State,
    ) -> Self {
        Self::with_fold(people, state, lowercase)
    }

    /// [`Roster::new`], with names and queries folded by `fold` (the browser's lower case in the
    /// widgets, so that the wasm module carries no case tables of its own).
    pub fn with_fold(
        people: impl IntoIterator<Item = (UserId, Option<String>)>,
        state: impl Fn(&UserId) -> State,
        fold: Fold,
    ) -> Self {
        let mut roster = Self {
            people: Vec::new(),
            index: HashMap::new(),
            order: Vec::new(),
            counts: [0; 9],
            fold,
        };
        for (id, name) in people {
            if roster.index.contains_key(&id) {
                continue;
            }
            let person = Person::new(id.clone(), name, state(&id), fold);
            roster.bump(person.group());
            roster.index.insert(id, roster.people.len());
            roster.people.push(person);
        }
        let people = &roster.people;
        let mut order: Vec<usize> = (0..people.len()).collect();
        order.sort_unstable_by(|a, b| match (people.get(*a), people.get(*b)) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => Ordering::Equal,
        });
        roster.order = order;
        roster
    }

    /// How many people.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Nobody in it.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The person at `index` (as [`Row::Person`] gives it).
    pub fn person(&self, index: usize) -> Option<&Person> {
        self.people.get(index)
    }

    /// The ids, in the order given.
    pub fn ids(&self) -> impl Iterator<Item = &UserId> {
        self.people.iter().map(|p| &p.id)
    }

    /// How many people are in `group`.
    pub fn count(&self, group: Group) -> usize {
        self.counts.get(group.index()).copied().unwrap_or(0)
    }

    /// The groups that have people, in order, with their counts.
    pub fn counts(&self) -> impl Iterator<Item = (Group, usize)> + '_ {
        Group::ALL
            .into_iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
    }

    fn bump(&mut self, group: Group) {
        if let Some(n) = self.counts.get_mut(group.index()) {
            *n += 1;
        }
    }

    fn drop_one(&mut self, group: Group) {
        if let Some(n) = self.counts.get_mut(group.index()) {
            *n = n.saturating_sub(1);
        }
    }

    /// Gives `id` a new state; says whether anything changed. Only that person moves.
    pub fn set(&mut self, id: &UserId, state: State) -> bool {
        let Some(&i) = self.index.get(id) else {
            return false;
        };
        let Some(person) = self.people.get(i) else {
            return false;
        };
        if person.state == state {
            return false;
        }
        let old_place = self.place(person);
        let old_group = person.group();
        let old_key = person.key.clone();
        let Some(person) = self.people.get_mut(i) else {
            return false;
        };
        person.state = state;
        person.rename(self.fold);
        let new_group = person.group();
        if new_group == old_group && person.key == old_key {
            return true;
        }
        self.drop_one(old_group);
        self.bump(new_group);
        if let Ok(at) = old_place {
            self.order.remove(at);
        }
        let place = match self.people.get(i) {
            Some(person) => self.place(person),
            None => return true,
        };
        let at = place.unwrap_or_else(|at| at);
        self.order.insert(at, i);
        true
    }

    /// Where `person` is (or would go) in the order.
    fn place(&self, person: &Person) -> Result<usize, usize> {
        self.order.binary_search_by(|j| match self.people.get(*j) {
            Some(other) => other.cmp(person),
            None => Ordering::Less,
        })
    }

    /// The rows to show: everyone in order, or only those whose name or id contains `query`
    /// (ignoring case), with a heading and count before each group when `grouped`.
    pub fn rows(&self, grouped: bool, query: &str) -> Vec<Row> {
        let query = (self.fold)(query.trim());
        let matches = |p: &Person| {
            query.is_empty()
                || p.key.contains(&query)
                || (self.fold)(p.id.as_str()).contains(&query)
        };
        let people = self
            .order
            .iter()
            .filter_map(|i| self.people.get(*i).map(|p| (*i, p)))
            .filter(|(_, p)| matches(p));
        if !grouped {
            return people.map(|(i, _)| Row::Person(i)).collect();
        }
        let all: Vec<(usize, Group)> = people.map(|(i, p)| (i, p.group())).collect();
        let mut rows = Vec::with_capacity(all.len() + 9);
        let mut start = 0;
        while let Some((_, group)) = all.get(start) {
            let len = all.get(start..).map_or(0, |rest| {
                rest.iter().take_while(|(_, g)| g == group).count()
            });
            rows.push(Row::Header(*group, len));
            if let Some(members) = all.get(start..start + len) {
                rows.extend(members.iter().map(|(i, _)| Row::Person(*i)));
            }
            start += len.max(1);
        }
        rows
    }
}

/// Which of `total` rows of `row_height` pixels a viewport `viewport` pixels high, scrolled
/// `scroll_top` pixels down, shows, with `overscan` more on each side for smooth scrolling.
///
/// ```
/// use presence_widgets::core::roster::window;
/// assert_eq!(window(10_000, 40, 4_000, 400, 5), 95..116);
/// assert_eq!(window(3, 40, 0, 400, 5), 0..3);
/// assert_eq!(window(100, 0, 0, 400, 5), 0..0);
/// ```
pub fn window(
    total: usize,
    row_height: u32,
    scroll_top: u32,
    viewport: u32,
    overscan: usize,
) -> Range<usize> {
    if row_height == 0 {
        return 0..0;
    }
    let to_index = |px: u32| usize::try_from(px / row_height).unwrap_or(usize::MAX);
    let first = to_index(scroll_top).min(total);
    let visible = to_index(viewport.saturating_add(row_height - 1)).saturating_add(1);
    let start = first.saturating_sub(overscan);
    let end = first
        .saturating_add(visible)
        .saturating_add(overscan)
        .min(total);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Presence, PresenceError, ProviderKind};

    fn fresh(a: Availability) -> State {
        State::Fresh(Presence::new("x".into(), ProviderKind::Graph, a))
    }

    fn names(roster: &Roster, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Header(g, n) => format!("# {} {n}", g.css()),
                Row::Person(i) => roster.person(*i).unwrap().name().to_owned(),
            })
            .collect()
    }

    fn sample() -> Roster {
        let people = ["dora", "Bob", "carl", "alice", "eve", "bob"]
            .map(|n| (UserId::new(n.to_lowercase() + "-id"), Some(n.to_owned())));
        let mut roster = Roster::new(people, |_| State::Loading);
        roster.set(&"dora-id".into(), fresh(Availability::Busy));
        roster.set(&"bob-id".into(), fresh(Availability::Available));
        roster.set(&"carl-id".into(), fresh(Availability::Available));
        roster.set(
            &"alice-id".into(),
            State::Error(PresenceError::Config("x".into())),
        );
        roster
    }

    #[test]
    fn names_fold_by_unicode_or_by_the_fold_given() {
        let people =
            [("e", "Émile"), ("a", "ada")].map(|(id, n)| (UserId::new(id), Some(n.to_owned())));
        let unicode = Roster::new(people.clone(), |_| State::Loading);
        assert_eq!(unicode.rows(false, "ÉMI").len(), 1);
        // A fold that leaves case alone: "ÉMI" no longer finds "Émile".
        let exact = Roster::with_fold(people, |_| State::Loading, str::to_owned);
        assert!(exact.rows(false, "ÉMI").is_empty());
        assert_eq!(exact.rows(false, "Émi").len(), 1);
    }

    #[test]
    fn sorts_by_availability_then_name_and_drops_repeated_ids() {
        let roster = sample();
        assert_eq!(roster.len(), 5);
        let rows = roster.rows(false, "");
        assert_eq!(
            names(&roster, &rows),
            ["Bob", "carl", "dora", "eve", "alice"]
        );
    }

    #[test]
    fn groups_with_counts_and_filters() {
        let roster = sample();
        assert_eq!(
            names(&roster, &roster.rows(true, "")),
            [
                "# available 2",
                "Bob",
                "carl",
                "# busy 1",
                "dora",
                "# loading 1",
                "eve",
                "# error 1",
                "alice"
            ]
        );
        assert_eq!(
            names(&roster, &roster.rows(true, " A")),
            [
                "# available 1",
                "carl",
                "# busy 1",
                "dora",
                "# error 1",
                "alice"
            ]
        );
        assert_eq!(names(&roster, &roster.rows(false, "EVE-ID")), ["eve"]);
        assert!(roster.rows(true, "nobody").is_empty());
        let counts: Vec<(Group, usize)> = roster.counts().collect();
        assert_eq!(
            counts.first(),
            Some(&(Group::Availability(Availability::Available), 2))
        );
        assert_eq!(roster.count(Group::Loading), 1);
    }

    #[test]
    fn a_change_moves_one_person_and_keeps_counts() {
        let mut roster = sample();
        assert!(roster.set(&"eve-id".into(), fresh(Availability::Available)));
        assert!(!roster.set(&"eve-id".into(), fresh(Availability::Available)));
        assert!(!roster.set(&"stranger".into(), fresh(Availability::Available)));
        assert_eq!(
            names(&roster, &roster.rows(false, "")),
            ["Bob", "carl", "eve", "dora", "alice"]
        );
        assert_eq!(
            roster.count(Group::Availability(Availability::Available)),
            3
        );
        assert_eq!(roster.count(Group::Loading), 0);
        assert_eq!(roster.counts().count(), 3);
    }

    #[test]
    fn provider_names_are_used_when_the_page_gives_none() {
        let mut roster = Roster::new([("u2".into(), None), ("u1".into(), None)], |_| {
            State::Loading
        });
        let mut p = Presence::new("u2".into(), ProviderKind::RocketChat, Availability::Away);
        p.display_name = Some("Aaron".into());
        roster.set(&"u2".into(), State::Fresh(p.clone()));
        p.display_name = Some("Zed".into());
        p.user = "u1".into();
        roster.set(&"u1".into(), State::Fresh(p));
        assert_eq!(names(&roster, &roster.rows(false, "")), ["Aaron", "Zed"]);
    }

    #[test]
    fn incremental_order_matches_a_full_sort() {
        let ids: Vec<(UserId, Option<String>)> = (0..200)
            .map(|i| (UserId::new(format!("u{i:03}")), None))
            .collect();
        let mut roster = Roster::new(ids.clone(), |_| State::Loading);
        let mut x: u64 = 7;
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let who = ids
                .get(usize::try_from(x % 200).unwrap())
                .unwrap()
                .0
                .clone();
            let a = Availability::ALL[usize::try_from((x >> 8) % 7).unwrap()];
            roster.set(&who, fresh(a));
        }
        let fresh_sort = Roster::new(ids, |id| {
            roster.person(roster.index[id]).unwrap().state.clone()
        });
        assert_eq!(roster.rows(true, ""), fresh_sort.rows(true, ""));
        let total: usize = roster.counts().map(|(_, n)| n).sum();
        assert_eq!(total, 200);
    }

    #[test]
    fn groups_are_listed_in_their_order() {
        let mut sorted = Group::ALL;
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, Group::ALL);
        for (i, g) in Group::ALL.into_iter().enumerate() {
            assert_eq!(g.index(), i);
        }
    }

    #[test]
    fn windows_stay_inside_the_rows() {
        assert_eq!(window(0, 40, 0, 400, 5), 0..0);
        assert_eq!(window(1_000, 40, 0, 400, 5), 0..16);
        assert_eq!(window(1_000, 40, 39_600, 400, 5), 985..1_000);
        assert_eq!(window(1_000, 40, 99_999, 400, 5), 995..1_000);
        assert!(window(10_000, 36, 180_000, 1_000, 10).len() < 200);
    }
}
