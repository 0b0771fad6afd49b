//! The simulated people of each provider, their ids and names, and the seeded random walk that
//! changes their presence over time.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// The four services the simulator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Microsoft Graph.
    Graph,
    /// Rocket.Chat.
    #[serde(rename = "rocketchat")]
    RocketChat,
    /// Genesys Cloud.
    Genesys,
    /// SuperOffice.
    #[serde(rename = "superoffice")]
    SuperOffice,
}

impl Provider {
    /// All four, in a fixed order.
    pub const ALL: [Provider; 4] = [
        Provider::Graph,
        Provider::RocketChat,
        Provider::Genesys,
        Provider::SuperOffice,
    ];

    /// The name in URLs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Graph => "graph",
            Provider::RocketChat => "rocketchat",
            Provider::Genesys => "genesys",
            Provider::SuperOffice => "superoffice",
        }
    }

    /// Reads a name given by [`Provider::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The control surface's vocabulary: the same seven values the widgets show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Availability {
    /// Free.
    Available,
    /// Occupied.
    Busy,
    /// No interruptions.
    DoNotDisturb,
    /// Back soon.
    BeRightBack,
    /// Away.
    Away,
    /// Not connected.
    Offline,
    /// Nothing known.
    Unknown,
}

impl Availability {
    /// All seven.
    pub const ALL: [Availability; 7] = [
        Availability::Available,
        Availability::Busy,
        Availability::DoNotDisturb,
        Availability::BeRightBack,
        Availability::Away,
        Availability::Offline,
        Availability::Unknown,
    ];

    /// Reads a value, ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| format!("{a:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// What someone is doing, in the simulator's terms; each provider renders it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activity {
    /// In a call.
    InACall,
    /// In a meeting.
    InAMeeting,
    /// Presenting.
    Presenting,
    /// Taking queue interactions (Genesys).
    OnQueue,
    /// On a break.
    Break,
    /// At a meal.
    Meal,
    /// In training.
    Training,
    /// Idle at the keyboard.
    Idle,
    /// Out of office.
    OutOfOffice,
}

impl Activity {
    /// All of them.
    pub const ALL: [Activity; 9] = [
        Activity::InACall,
        Activity::InAMeeting,
        Activity::Presenting,
        Activity::OnQueue,
        Activity::Break,
        Activity::Meal,
        Activity::Training,
        Activity::Idle,
        Activity::OutOfOffice,
    ];

    /// Reads a value, ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| format!("{a:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// One simulated person.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Person {
    /// The provider's id for them.
    pub id: String,
    /// Their display name.
    pub name: String,
    /// Their user name (Rocket.Chat).
    pub username: String,
    /// Their availability.
    pub availability: Availability,
    /// What they are doing, if anything.
    pub activity: Option<Activity>,
    /// Their own status text.
    pub message: Option<String>,
    /// Hours from UTC (Rocket.Chat `utcOffset`).
    pub utc_offset: i32,
    /// When their presence last changed, milliseconds since the Unix epoch.
    pub updated_ms: u64,
    /// Grows with every change (Graph `sequenceNumber`).
    pub sequence: u64,
    /// Whether they have a picture (Graph's `/users/{id}/photo/$value`): everyone but every
    /// fourth person in creation order (positions 3, 7, 11, …).
    pub photo: bool,
}

/// The people of one provider, with an index by id.
#[derive(Clone, Debug, Default)]
pub struct Population {
    /// Everyone, in creation order.
    pub people: Vec<Person>,
    index: HashMap<String, usize>,
}

impl Population {
    /// `n` people with ids in the provider's form, each in a state held for up to an hour.
    pub fn generate(provider: Provider, n: usize, rng: &mut Rng, now_ms: u64) -> Self {
        let mut people = Vec::with_capacity(n);
        let mut index = HashMap::with_capacity(n);
        for i in 0..n {
            let mut id = new_id(provider, i, rng);
            while index.contains_key(&id) {
                id = new_id(provider, i, rng);
            }
            let first = rng.pick(FIRST).unwrap_or(&"Alex");
            let last = rng.pick(LAST).unwrap_or(&"Smith");
            let (availability, activity) = rng
                .pick(START)
                .copied()
                .unwrap_or((Availability::Available, None));
            let person = Person {
                id: id.clone(),
                name: format!("{first} {last}"),
                username: format!("{}.{}{}", ascii_handle(first), ascii_handle(last), i),
                availability,
                activity,
                message: message_for(availability, activity, rng),
                utc_offset: rng.below(5).try_into().unwrap_or(0),
                // In this state for up to an hour already.
                updated_ms: now_ms.saturating_sub(rng.below(3_600_000) + 60_000),
                sequence: 1,
                photo: i % 4 != 3,
            };
            index.insert(id, people.len());
            people.push(person);
        }
        Self { people, index }
    }

    /// The person with this id.
    pub fn get(&self, id: &str) -> Option<&Person> {
        self.index.get(id).and_then(|&i| self.people.get(i))
    }

    /// The person with this id, to change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Person> {
        self.index.get(id).and_then(|&i| self.people.get_mut(i))
    }

    /// Moves `count` people chosen at random one step along the walk; returns where they stand
    /// in [`Population::people`], one entry per step (a person may step twice).
    pub fn walk(&mut self, count: usize, rng: &mut Rng, now_ms: u64) -> Vec<usize> {
        let mut moved = Vec::with_capacity(count);
        for _ in 0..count {
            let Some(i) = rng.index(self.people.len()) else {
                return moved;
            };
            let (availability, activity) = rng
                .pick(START)
                .copied()
                .unwrap_or((Availability::Available, None));
            let message = message_for(availability, activity, rng);
            if let Some(p) = self.people.get_mut(i) {
                p.set(availability, activity, message, now_ms);
                moved.push(i);
            }
        }
        moved
    }

    /// Where the person with this id stands in [`Population::people`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
}

impl Person {
    /// Changes the presence and stamps the change.
    pub fn set(
        &mut self,
        availability: Availability,
        activity: Option<Activity>,
        message: Option<String>,
        now_ms: u64,
    ) {
        self.availability = availability;
        self.activity = activity;
        self.message = message;
        self.updated_ms = now_ms;
        self.sequence = self.sequence.saturating_add(1);
    }
}

/// A name as a user name: lower case ASCII letters, accents dropped, spaces and marks removed.
fn ascii_handle(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' => Some('e'),
            'ä' | 'á' | 'à' => Some('a'),
            'ø' | 'ö' | 'ó' => Some('o'),
            'ë' => Some('e'),
            'ü' | 'ú' => Some('u'),
            'í' => Some('i'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The characters of Meteor's `Random.id()` (no look-alikes), of Rocket.Chat ids and sessions.
pub const METEOR_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

fn new_id(provider: Provider, i: usize, rng: &mut Rng) -> String {
    match provider {
        Provider::Graph | Provider::Genesys => rng.guid(),
        // Meteor's Random.id(): 17 characters from an alphabet without look-alikes.
        Provider::RocketChat => rng.text(17, METEOR_ALPHABET),
        // SuperOffice associate ids are small whole numbers.
        Provider::SuperOffice => (i + 11).to_string(),
    }
}

/// Where people start and walk to, weighted by repetition.
const START: &[(Availability, Option<Activity>)] = &[
    (Availability::Available, None),
    (Availability::Available, None),
    (Availability::Available, None),
    (Availability::Available, None),
    (Availability::Busy, None),
    (Availability::Busy, Some(Activity::InAMeeting)),
    (Availability::Busy, Some(Activity::InACall)),
    (Availability::Busy, Some(Activity::OnQueue)),
    (Availability::DoNotDisturb, Some(Activity::Presenting)),
    (Availability::BeRightBack, None),
    (Availability::Away, None),
    (Availability::Away, Some(Activity::Break)),
    (Availability::Away, Some(Activity::Meal)),
    (Availability::Away, Some(Activity::Idle)),
    (Availability::Away, Some(Activity::OutOfOffice)),
    (Availability::Offline, None),
    (Availability::Offline, None),
];

fn message_for(
    availability: Availability,
    activity: Option<Activity>,
    rng: &mut Rng,
) -> Option<String> {
    if rng.below(3) != 0 {
        return None;
    }
    let text = match (availability, activity) {
        (_, Some(Activity::OutOfOffice)) => "Out until Monday, ask the team channel",
        (_, Some(Activity::Meal)) => "Lunch, back at 13:00",
        (_, Some(Activity::OnQueue)) => "Taking support calls",
        (_, Some(Activity::InAMeeting)) => "In the weekly planning",
        (Availability::Available, _) => rng
            .pick(&[
                "Happy to help",
                "Working on the Q4 report",
                "Ask me about billing",
            ])
            .copied()
            .unwrap_or("Happy to help"),
        (Availability::Busy | Availability::DoNotDisturb, _) => "Focus time, urgent only",
        (Availability::BeRightBack | Availability::Away, _) => "Back in 15 minutes",
        (Availability::Offline | Availability::Unknown, _) => return None,
    };
    Some(text.to_owned())
}

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Karen",
    "Niklaus",
    "Sophie",
    "John",
    "Katherine",
    "Guido",
    "Annie",
    "Bjarne",
    "Jean",
    "Anders",
    "Shafi",
    "Leslie",
    "Mary",
    "Yukihiro",
    "Rosalind",
    "Ivan",
    "Amélie",
    "Søren",
    "Zoë",
    "José",
    "Chiara",
    "Mateus",
    "Aiko",
    "Noor",
    "Olumide",
    "Priya",
];

const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Spärck Jones",
    "Wirth",
    "Wilson",
    "McCarthy",
    "Johnson",
    "van Rossum",
    "Easley",
    "Stroustrup",
    "Sammet",
    "Hejlsberg",
    "Goldwasser",
    "Lamport",
    "Keller",
    "Matsumoto",
    "Franklin",
    "Sutherland",
    "Dubois",
    "Kierkegaard",
    "Okafor",
    "García",
    "Rossi",
    "Silva",
    "Tanaka",
    "Haddad",
    "Adeyemi",
    "Raman",
];
