//! Everything the simulator holds: the people of each provider, rate-limit windows, injected
//! faults, request counts, revoked tokens, the OAuth client and the access tokens issued to it,
//! who may write whom, and the one way a person's presence changes ([`World::change`]).
//!
//! The push sockets' state is the hub's ([`crate::hub::Push`]), which sits below this module;
//! telling the sockets of a change is the app's, given to [`World::new`] as an [`Announce`], so
//! that nothing here names the protocols that speak on the sockets.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::hub::Push;
use crate::identity::Writers;
use crate::people::{Activity, Availability, Person, Population, Provider};
use crate::rng::Rng;

/// How the simulator starts.
#[derive(Clone, Debug)]
pub struct Config {
    /// People per provider (at most 10,000).
    pub users: usize,
    /// Seed of the random walk and of the people.
    pub seed: u64,
    /// Milliseconds between random-walk steps; 0 for a still world.
    pub change_every_ms: u64,
    /// Rate limits at start.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            users: 200,
            seed: 1,
            change_every_ms: 5_000,
            limits: Limits::documented(),
        }
    }
}

/// The most people per provider.
pub const MAX_USERS: usize = 10_000;

/// A fixed-window rate limit: `calls` per `window_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Calls allowed in a window.
    pub calls: u32,
    /// The window's length in milliseconds.
    pub window_ms: u64,
}

/// The rate limit of each provider; `None` means unlimited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Graph: per application per tenant (here: for everyone).
    #[serde(default)]
    pub graph: Option<Limit>,
    /// Rocket.Chat: per endpoint and per user.
    #[serde(default)]
    pub rocketchat: Option<Limit>,
    /// Genesys: per client (here: for everyone).
    #[serde(default)]
    pub genesys: Option<Limit>,
    /// SuperOffice documents none.
    #[serde(default)]
    pub superoffice: Option<Limit>,
}

impl Limits {
    /// What the documents say: Graph 1,500 per 30 s, Rocket.Chat 10 per endpoint per minute,
    /// Genesys 300 per minute, SuperOffice nothing documented.
    pub fn documented() -> Self {
        Self {
            graph: Some(Limit {
                calls: 1500,
                window_ms: 30_000,
            }),
            rocketchat: Some(Limit {
                calls: 10,
                window_ms: 60_000,
            }),
            genesys: Some(Limit {
                calls: 300,
                window_ms: 60_000,
            }),
            superoffice: None,
        }
    }

    /// The limit of one provider.
    pub fn of(&self, provider: Provider) -> Option<Limit> {
        match provider {
            Provider::Graph => self.graph,
            Provider::RocketChat => self.rocketchat,
            Provider::Genesys => self.genesys,
            Provider::SuperOffice => self.superoffice,
        }
    }
}

/// Faults injected into one provider's answers; shares are from 0 to 1. The last four are about
/// the push sockets (Rocket.Chat DDP, Genesys notification channels) and hold while set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every answer.
    pub latency_ms: u64,
    /// Share of answers that are a 500.
    pub http_500: f64,
    /// Share of answers that are a 429 with the provider's retry signal.
    pub http_429: f64,
    /// Share of answers whose body is cut in half.
    pub truncated: f64,
    /// Share of answers that are an HTML page with status 200.
    pub non_json: f64,
    /// Share of connections dropped before the body is complete.
    pub drop: f64,
    /// The wait an injected 429 asks for, in milliseconds (2,000 unless set).
    pub retry_after_ms: Option<u64>,
    /// No server heartbeat on the sockets (Rocket.Chat pings, Genesys `channel.metadata`
    /// heartbeats) and no pong to a client's ping: the socket looks dead, events still flow.
    pub no_heartbeats: bool,
    /// Subscriptions are refused: Genesys answers 403 with `missingPermissions`, Rocket.Chat
    /// `nosub` with an error.
    pub reject_subscriptions: bool,
    /// Rocket.Chat's presence broadcast (`Presence_broadcast_disabled` when false): no presence
    /// frame is sent and `users.presence` answers `{"users": [], "full": true}`.
    pub presence_broadcast: bool,
    /// A text frame that is not JSON goes out before every real frame.
    pub garbage_frames: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            http_500: 0.0,
            http_429: 0.0,
            truncated: 0.0,
            non_json: 0.0,
            drop: 0.0,
            retry_after_ms: None,
            no_heartbeats: false,
            reject_subscriptions: false,
            presence_broadcast: true,
            garbage_frames: false,
        }
    }
}

/// What was decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer a 500.
    ServerError,
    /// Answer a 429.
    TooManyRequests,
    /// Cut the body in half.
    Truncated,
    /// Answer HTML.
    NonJson,
    /// Drop the connection.
    Drop,
}

/// Requests counted for one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EndpointStats {
    /// Requests received (preflights not counted).
    pub requests: u64,
    /// Ids asked for, summed over requests.
    pub ids: u64,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
}

/// Requests counted since start or the last reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// When counting began, milliseconds since the Unix epoch.
    pub since_ms: u64,
    /// All requests to the provider APIs.
    pub total: u64,
    /// Per provider, per endpoint.
    pub providers: BTreeMap<Provider, BTreeMap<&'static str, EndpointStats>>,
    /// Requests to the client-credentials token endpoints (not in `total`).
    #[serde(rename = "tokenRequests")]
    pub token_requests: TokenRequests,
}

/// Requests to the client-credentials token endpoints, whatever their answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenRequests {
    /// `POST /entra/{tenant}/oauth2/v2.0/token` (tokens for Graph).
    pub graph: u64,
    /// `POST /genesys-login/oauth/token`.
    pub genesys: u64,
}

/// The one OAuth client the token endpoints accept, and how long the tokens they issue last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthClient {
    /// Its id (`client_id`).
    pub client_id: String,
    /// Its secret (`client_secret`); never shown by the control surface.
    pub client_secret: String,
    /// Seconds an issued token lasts; `None`: each provider's own default.
    pub expires_in: Option<u64>,
}

impl Default for OAuthClient {
    fn default() -> Self {
        Self {
            client_id: "presence-relay".to_owned(),
            client_secret: "sim-secret".to_owned(),
            expires_in: None,
        }
    }
}

impl Stats {
    /// The counts of one endpoint, created on first use.
    pub fn endpoint(&mut self, provider: Provider, endpoint: &'static str) -> &mut EndpointStats {
        self.providers
            .entry(provider)
            .or_default()
            .entry(endpoint)
            .or_default()
    }
}

/// A Genesys presence definition of the simulated organisation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Definition {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: &'static str,
    /// `System` or `User`.
    pub kind: &'static str,
    /// The system presence it belongs to, as REST spells it (`On Queue`).
    pub system_presence: &'static str,
    /// Its labels.
    pub labels: Vec<(&'static str, &'static str)>,
    /// Whether it is deactivated.
    pub deactivated: bool,
    /// Whether it is a primary (system) definition.
    pub primary: bool,
}

/// Tells the push sockets that people changed, under the world's lock, right after the change;
/// `moved` names each by provider and place in its population. The app gives `push::announce`.
pub type Announce = fn(&World, &[(Provider, usize)]);

/// Everything the simulator holds.
pub struct World {
    /// The people, per provider.
    pub populations: HashMap<Provider, Population>,
    /// Genesys definitions.
    pub definitions: Vec<Definition>,
    /// Rate limits in force.
    pub limits: Limits,
    /// Open rate-limit windows: (provider, key) → (window start, calls).
    pub windows: HashMap<(Provider, String), (u64, u32)>,
    /// Faults in force, per provider.
    pub faults: HashMap<Provider, Faults>,
    /// Request counts.
    pub stats: Stats,
    /// Tokens that now get a 401, per provider.
    pub revoked: HashSet<(Provider, String)>,
    /// The client the token endpoints accept.
    pub oauth: OAuthClient,
    /// Access tokens the token endpoints issued: (provider, token) → when it expires,
    /// milliseconds since the Unix epoch. Once expired they get a 401; other tokens do not.
    pub issued: HashMap<(Provider, String), u64>,
    /// The random source.
    pub rng: Rng,
    /// How often the walk steps.
    pub change_every_ms: u64,
    /// The push sockets, Genesys channels and their counters.
    pub push: Push,
    /// Where the demo's presence-relay is, for its fifth panel (`/_sim/site`); not a service
    /// the simulator speaks.
    pub relay: Option<String>,
    /// Who acts as whom and who may write others (`/_sim/writers`).
    pub writers: Writers,
    /// What the providers' writes remember beside the people.
    pub written: Written,
    /// How [`World::change`] tells the push sockets.
    announce: Announce,
}

/// What the providers' writes remember beside the people themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Graph: each person's availability and activity from before their preferred presence, by
    /// id, for `clearUserPreferredPresence` to go back to.
    pub graph_before: HashMap<String, (Availability, Option<Activity>)>,
    /// Genesys: the definition a write chose, by person id, with the person's `sequence` after
    /// that write. Several definitions show the same state (Meal and Lunch); this one is shown
    /// until the person changes again.
    pub genesys_chosen: HashMap<String, (String, u64)>,
}

impl World {
    /// A world of `config.users` people per provider, whose changes [`World::change`] tells the
    /// push sockets of with `announce`.
    pub fn new(config: &Config, now_ms: u64, announce: Announce) -> Self {
        let mut rng = Rng::new(config.seed);
        let users = config.users.min(MAX_USERS);
        let populations = Provider::ALL
            .into_iter()
            .map(|p| (p, Population::generate(p, users, &mut rng, now_ms)))
            .collect();
        Self {
            populations,
            definitions: definitions(),
            limits: config.limits.clone(),
            windows: HashMap::new(),
            faults: HashMap::new(),
            stats: Stats {
                since_ms: now_ms,
                ..Stats::default()
            },
            revoked: HashSet::new(),
            oauth: OAuthClient::default(),
            issued: HashMap::new(),
            rng,
            change_every_ms: config.change_every_ms,
            push: Push::new(config.seed),
            relay: None,
            writers: Writers::default(),
            written: Written::default(),
            announce,
        }
    }

    /// Changes one person's presence and announces it to the push sockets that watch them: what
    /// `PUT /_sim/users/{provider}/{id}` does, and every provider's write. An empty message is
    /// none. Returns the person as changed; `None` when there is no such person.
    pub fn change(
        &mut self,
        provider: Provider,
        id: &str,
        availability: Availability,
        activity: Option<Activity>,
        message: Option<String>,
        now_ms: u64,
    ) -> Option<&Person> {
        let index = self.people(provider)?.position(id)?;
        let person = self
            .populations
            .get_mut(&provider)
            .and_then(|p| p.people.get_mut(index))?;
        person.set(
            availability,
            activity,
            message.filter(|m| !m.is_empty()),
            now_ms,
        );
        (self.announce)(self, &[(provider, index)]);
        self.people(provider).and_then(|p| p.people.get(index))
    }

    /// The people of a provider.
    pub fn people(&self, provider: Provider) -> Option<&Population> {
        self.populations.get(&provider)
    }

    /// One step of the random walk: about one person in twenty changes, in every provider.
    /// Returns who moved, by provider and place in the population.
    pub fn walk(&mut self, now_ms: u64) -> Vec<(Provider, usize)> {
        let mut moved = Vec::new();
        for provider in Provider::ALL {
            if let Some(population) = self.populations.get_mut(&provider) {
                let count = population.people.len().div_ceil(20);
                let steps = population.walk(count, &mut self.rng, now_ms);
                moved.extend(steps.into_iter().map(|i| (provider, i)));
            }
        }
        moved
    }

    /// The faults in force for one provider (none: the defaults).
    pub fn faults_of(&self, provider: Provider) -> Faults {
        self.faults.get(&provider).cloned().unwrap_or_default()
    }

    /// Counts a call against the provider's limit. `Err` carries the milliseconds until the
    /// window ends, with the window's end and the limit, when the call is over it.
    pub fn take_call(
        &mut self,
        provider: Provider,
        key: String,
        now_ms: u64,
    ) -> Result<Option<RateState>, RateState> {
        let Some(limit) = self.limits.of(provider) else {
            return Ok(None);
        };
        let window = self.windows.entry((provider, key)).or_insert((now_ms, 0));
        if now_ms.saturating_sub(window.0) >= limit.window_ms {
            *window = (now_ms, 0);
        }
        let reset_ms = window.0.saturating_add(limit.window_ms);
        if window.1 >= limit.calls {
            return Err(RateState {
                limit: limit.calls,
                remaining: 0,
                reset_ms,
                wait_ms: reset_ms.saturating_sub(now_ms),
            });
        }
        window.1 += 1;
        Ok(Some(RateState {
            limit: limit.calls,
            remaining: limit.calls - window.1,
            reset_ms,
            wait_ms: 0,
        }))
    }

    /// Decides the fault for one request, if any, the latency to add, and the wait an injected
    /// 429 asks for.
    pub fn draw_fault(&mut self, provider: Provider) -> (u64, Option<Fault>, u64) {
        let Some(f) = self.faults.get(&provider).cloned() else {
            return (0, None, 0);
        };
        let rng = &mut self.rng;
        let fault = [
            (f.drop, Fault::Drop),
            (f.http_500, Fault::ServerError),
            (f.http_429, Fault::TooManyRequests),
            (f.truncated, Fault::Truncated),
            (f.non_json, Fault::NonJson),
        ]
        .into_iter()
        .find(|(share, _)| rng.chance(*share))
        .map(|(_, fault)| fault);
        (f.latency_ms, fault, f.retry_after_ms.unwrap_or(2_000))
    }
}

/// Where a caller stands against a rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateState {
    /// Calls allowed per window.
    pub limit: u32,
    /// Calls left in this window.
    pub remaining: u32,
    /// When the window ends, milliseconds since the Unix epoch.
    pub reset_ms: u64,
    /// Milliseconds until then.
    pub wait_ms: u64,
}

/// The simulated organisation's presence definitions: the system ones (with the ids Genesys' own
/// blueprint uses for Available, Away, Busy and Offline) and a few custom ones.
fn definitions() -> Vec<Definition> {
    let d = |id: &str,
             name,
             kind,
             system_presence,
             labels: Vec<(&'static str, &'static str)>,
             primary| Definition {
        id: id.to_owned(),
        name,
        kind,
        system_presence,
        labels,
        deactivated: false,
        primary,
    };
    let mut all = vec![
        d(
            "6a3af858-942f-489d-9700-5f9bcdcdae9b",
            "Available",
            "System",
            "Available",
            vec![
                ("en_US", "Available"),
                ("fr", "Disponible"),
                ("de", "Verfügbar"),
                ("es", "Disponible"),
                ("pt_BR", "Disponível"),
                ("ja", "連絡可能"),
            ],
            true,
        ),
        d(
            "5e5c5c66-ea97-4e7f-ac41-6424784829f2",
            "Away",
            "System",
            "Away",
            vec![
                ("en_US", "Away"),
                ("fr", "Absent"),
                ("de", "Abwesend"),
                ("es", "Ausente"),
                ("pt_BR", "Ausente"),
                ("ja", "退席中"),
            ],
            true,
        ),
        d(
            "31fe3bac-dea6-44b7-bed7-47f91660a1a0",
            "Busy",
            "System",
            "Busy",
            vec![
                ("en_US", "Busy"),
                ("fr", "Occupé"),
                ("de", "Beschäftigt"),
                ("es", "Ocupado"),
                ("pt_BR", "Ocupado"),
                ("ja", "取り込み中"),
            ],
            true,
        ),
        d(
            "ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5",
            "Offline",
            "System",
            "Offline",
            vec![
                ("en_US", "Offline"),
                ("fr", "Hors ligne"),
                ("de", "Offline"),
                ("es", "Desconectado"),
                ("pt_BR", "Offline"),
                ("ja", "オフライン"),
            ],
            true,
        ),
        d(
            "e08eaf1b-ee47-4fa9-a231-1200e284798f",
            "On Queue",
            "System",
            "On Queue",
            vec![
                ("en_US", "On Queue"),
                ("fr", "En file d'attente"),
                ("de", "In Warteschlange"),
                ("es", "En cola"),
            ],
            true,
        ),
        d(
            "a3f1c2d4-0b5e-4c6f-9a7b-8c9d0e1f2a3b",
            "Break",
            "System",
            "Break",
            vec![
                ("en_US", "Break"),
                ("fr", "Pause"),
                ("de", "Pause"),
                ("es", "Descanso"),
            ],
            true,
        ),
        d(
            "b4a2d3e5-1c6f-4d70-8b8c-9d0e1f2a3b4c",
            "Meal",
            "System",
            "Meal",
            vec![
                ("en_US", "Meal"),
                ("fr", "Repas"),
                ("de", "Essen"),
                ("es", "Comida"),
            ],
            true,
        ),
        d(
            "c5b3e4f6-2d70-4e81-9c9d-0e1f2a3b4c5d",
            "Meeting",
            "System",
            "Meeting",
            vec![
                ("en_US", "Meeting"),
                ("fr", "Réunion"),
                ("de", "Besprechung"),
                ("es", "Reunión"),
            ],
            true,
        ),
        d(
            "d6c4f5a7-3e81-4f92-8dae-1f2a3b4c5d6e",
            "Training",
            "System",
            "Training",
            vec![
                ("en_US", "Training"),
                ("fr", "Formation"),
                ("de", "Schulung"),
                ("es", "Formación"),
            ],
            true,
        ),
        d(
            "e7d5a6b8-4f92-4a03-9ebf-2a3b4c5d6e7f",
            "Idle",
            "System",
            "Idle",
            vec![
                ("en_US", "Idle"),
                ("fr", "Inactif"),
                ("de", "Inaktiv"),
                ("es", "Inactivo"),
            ],
            true,
        ),
        d(
            "d7e9f1a3-5b6c-4d8e-a0f2-1b3c5d7e9f10",
            "Lunch",
            "User",
            "Meal",
            vec![
                ("en_US", "Lunch"),
                ("fr", "Déjeuner"),
                ("de", "Mittagspause"),
                ("es", "Almuerzo"),
            ],
            false,
        ),
        d(
            "f8e6b7c9-5a03-4b14-8fc0-3b4c5d6e7f80",
            "Focus time",
            "User",
            "Busy",
            vec![
                ("en_US", "Focus time"),
                ("fr", "Concentration"),
                ("de", "Fokuszeit"),
                ("es", "Concentración"),
            ],
            false,
        ),
        d(
            "09f7c8da-6b14-4c25-90d1-4c5d6e7f8091",
            "Out of Office",
            "User",
            "Away",
            vec![
                ("en_US", "Out of Office"),
                ("fr", "Absent du bureau"),
                ("de", "Nicht im Büro"),
                ("es", "Fuera de la oficina"),
            ],
            false,
        ),
    ];
    let mut old = d(
        "1a08d9eb-7c25-4d36-81e2-5d6e7f8091a2",
        "Old status",
        "User",
        "Away",
        vec![("en_US", "Old status")],
        false,
    );
    old.deactivated = true;
    all.push(old);
    all
}
