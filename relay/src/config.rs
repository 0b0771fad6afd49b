//! The relay's configuration: one TOML file, every value of which can also be set from the
//! environment (`PRESENCE_RELAY_` and the value's path in capitals, tables joined by `__`:
//! `PRESENCE_RELAY_SOURCES__TEAMS__OAUTH__CLIENT_SECRET`). Secrets are kept as
//! [`Secret`]s, which never print.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use presence_widgets::core::{Adapter, ProviderKind, Secret};
use serde::{Deserialize, Deserializer};

/// The prefix of the environment variables that set configuration values.
pub const ENV_PREFIX: &str = "PRESENCE_RELAY_";

/// A configuration that cannot be used, and why (the file, the field, the value's problem).
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen (`127.0.0.1:8090`).
    #[serde(default = "default_listen", deserialize_with = "addr")]
    pub listen: SocketAddr,
    /// The page origins allowed to read (CORS: `https://intranet.example.com`, or `"*"` for any
    /// page); none admits no other origin.
    #[serde(default, deserialize_with = "list")]
    pub allowed_origins: Vec<String>,
    /// How many changes are kept per source for viewers that resume (`Last-Event-ID`); a
    /// resume from further back gets a fresh snapshot.
    #[serde(default = "default_history", deserialize_with = "number")]
    pub history: u64,
    /// How many events a viewer may fall behind before it is dropped (with a retry hint; it
    /// resumes from its last event id).
    #[serde(default = "default_buffer", deserialize_with = "number")]
    pub buffer: u64,
    /// The most ids one watch may name, over all its sources (more: 413).
    #[serde(default = "default_max_ids", deserialize_with = "number")]
    pub max_ids: u64,
    /// The most distinct ids the relay keeps per source, watched now or lately.
    #[serde(default = "default_max_known", deserialize_with = "number")]
    pub max_known: u64,
    /// Milliseconds an id stays read after its last viewer left, so that a page reopening its
    /// stream (a badge added) does not make the relay read everyone again.
    #[serde(default = "default_linger_ms", deserialize_with = "number")]
    pub linger_ms: u64,
    /// The shortest time between two polls of one source, in milliseconds (1,000). A source with
    /// a documented rate limit is polled as often as half of it allows, down to this; one
    /// without (Genesys, SuperOffice) never faster than a page may poll it.
    #[serde(default = "default_min_interval_ms", deserialize_with = "number")]
    pub min_interval_ms: u64,
    /// The most streams this instance keeps open (20,000): past it a new one is refused with
    /// 503 and `Retry-After`, so that a load balancer sends the page to another instance before
    /// memory or file descriptors run out.
    #[serde(default = "default_max_streams", deserialize_with = "number")]
    pub max_streams: u64,
    /// The most streams one viewer (one token `sub`, or one identity from the proxy's header)
    /// keeps open on this instance (20: a person's tabs): past it a new one is refused with 429
    /// and `Retry-After`; the viewer's open streams go on.
    #[serde(
        default = "default_max_streams_per_viewer",
        deserialize_with = "number"
    )]
    pub max_streams_per_viewer: u64,
    /// Milliseconds a connection has to send a request's headers (10,000): one that has not is
    /// closed.
    #[serde(default = "default_header_timeout_ms", deserialize_with = "number")]
    pub header_timeout_ms: u64,
    /// Milliseconds a request has to send its body once its headers are in (10,000): one that
    /// has not is answered 408 and closed.
    #[serde(default = "default_body_timeout_ms", deserialize_with = "number")]
    pub body_timeout_ms: u64,
    /// Who may read.
    #[serde(default)]
    pub auth: AuthConfig,
    /// The sources, by the name pages use.
    #[serde(default)]
    pub sources: BTreeMap<String, SourceConfig>,
    /// Several instances behind a load balancer: one upstream reader per source among them,
    /// and one change log, in Redis. Without it the instance reads by itself.
    pub redis: Option<RedisConfig>,
}

/// The shared mode's Redis (`[redis]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://127.0.0.1:6379/0` (a password in it never prints).
    #[serde(deserialize_with = "secret")]
    pub url: Secret,
    /// The prefix of every key (`presence-relay`): instances sharing it share readers and logs.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Milliseconds a reader's lease lasts unless renewed (3,000; renewed every third).
    #[serde(default = "default_lease_ms", deserialize_with = "number")]
    pub lease_ms: u64,
    /// Milliseconds between tries for a lease another holds, and between checks that Redis
    /// answers again (1,000). A dead holder is replaced within `lease_ms + retry_ms`.
    #[serde(default = "default_retry_ms", deserialize_with = "number")]
    pub retry_ms: u64,
    /// About how many changes each source's log keeps for pages resuming on any instance
    /// (100,000).
    #[serde(default = "default_log_len", deserialize_with = "number")]
    pub log_len: u64,
    /// How many instances run: while Redis cannot be reached each reads by itself, spending
    /// this share of the rate budget (1).
    #[serde(default = "default_instances", deserialize_with = "number")]
    pub instances: u64,
    /// Milliseconds Redis has to answer a command before it counts as unreachable (1,000).
    #[serde(default = "default_timeout_ms", deserialize_with = "number")]
    pub timeout_ms: u64,
}

/// How viewers are authenticated.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The issuer of viewers' tokens (`https://login.microsoftonline.com/{tenant}/v2.0`); its
    /// OpenID discovery document names the JWKS.
    pub issuer: Option<String>,
    /// The audience tokens must name.
    pub audience: Option<String>,
    /// The JWKS, where the issuer has no discovery document.
    pub jwks_url: Option<String>,
    /// Seconds of clock skew allowed on `exp` and `nbf` (60).
    #[serde(default, deserialize_with = "opt_number")]
    pub leeway_s: Option<u64>,
    /// Trust this header, set by the organisation's reverse proxy, as the viewer's identity
    /// (its `sub`) instead of a token. Only for a relay that nobody can reach but the proxy.
    pub identity_header: Option<String>,
    /// With `identity_header`: the header listing the viewer's groups, comma-separated (the
    /// `groups` claim of the rules).
    pub groups_header: Option<String>,
}

/// One upstream source.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// `graph`, `rocketchat`, `genesys` or `superoffice`.
    #[serde(deserialize_with = "kind")]
    pub kind: ProviderKind,
    /// The API's base URL, as in the browser's configuration.
    pub base_url: String,
    /// Static credentials by the adapter's field names (`token`; `userId` and `token`;
    /// `authorization` and `appToken`).
    #[serde(default, deserialize_with = "secrets")]
    pub credentials: BTreeMap<String, Secret>,
    /// OAuth client credentials instead of a static token (Graph, Genesys).
    pub oauth: Option<OAuthConfig>,
    /// The adapter's own settings (`genesysSource`).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// The provider's rate limit, spent on freshness (Graph: 1,500 per 30 s by default).
    pub rate: Option<Rate>,
    /// The share of the rate limit the relay may spend on polling (0.5).
    #[serde(default, deserialize_with = "opt_fraction")]
    pub spend: Option<f64>,
    /// Poll no more often than this, in milliseconds, whatever the budget allows.
    #[serde(default, deserialize_with = "opt_number")]
    pub interval_ms: Option<u64>,
    /// Claims a viewer's token must have to read this source; all must hold. None: any valid
    /// viewer reads it.
    #[serde(default)]
    pub allow: Vec<Rule>,
    /// Whether changes are pushed where the service pushes them (Rocket.Chat's realtime API,
    /// Genesys Cloud's notification channels): the relay holds the socket, reads people once by
    /// REST when their changes start coming, polls only those the service will not push, and
    /// reconciles the others every `reconcile_ms`; when push fails it polls everyone and tries
    /// push again, backing off. `false` polls. On by default; the other kinds always poll.
    #[serde(default = "default_push", deserialize_with = "boolean")]
    pub push: bool,
    /// While pushed, milliseconds between the reconciliation polls that heal a missed change
    /// (300,000: five minutes).
    #[serde(default, deserialize_with = "opt_number")]
    pub reconcile_ms: Option<u64>,
}

impl fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("oauth", &self.oauth)
            .field("settings", &self.settings)
            .field("rate", &self.rate)
            .field("allow", &self.allow)
            .field("push", &self.push)
            .finish_non_exhaustive()
    }
}

/// OAuth 2 client credentials against the provider's token endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The token endpoint (`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`,
    /// `https://login.mypurecloud.com/oauth/token`).
    pub token_url: String,
    /// The application's client id.
    pub client_id: String,
    /// Its secret.
    #[serde(deserialize_with = "secret")]
    pub client_secret: Secret,
    /// The scope to ask for (Graph: `https://graph.microsoft.com/.default`, the default for
    /// Graph).
    pub scope: Option<String>,
    /// How the client authenticates: `body` (Entra: id and secret in the form, the default for
    /// Graph) or `basic` (Genesys: HTTP Basic, the default for every other kind).
    pub client_auth: Option<ClientAuth>,
}

/// Where the client id and secret go in a token request.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// `Authorization: Basic base64(id:secret)`.
    Basic,
}

/// A rate limit: `requests` per `per_seconds`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Requests allowed in a window.
    #[serde(deserialize_with = "number")]
    pub requests: u64,
    /// The window, in seconds.
    #[serde(deserialize_with = "number")]
    pub per_seconds: u64,
}

/// A claim a viewer's token must carry: equal to `equals` (a string claim) or containing it
/// (an array claim such as `groups` or `roles`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The claim's name (`tid`, `groups`, `roles`).
    pub claim: String,
    /// The value it must be or contain.
    pub equals: String,
}

impl SourceConfig {
    /// The documented rate limit this source spends: the configured one, else the provider's
    /// (Graph: 1,500 per 30 s, the lower of the two figures Microsoft documents; Rocket.Chat:
    /// 10 calls per endpoint per minute, its default), else none.
    pub fn rate(&self) -> Option<Rate> {
        self.rate.or(match self.kind {
            ProviderKind::Graph => Some(Rate {
                requests: 1500,
                per_seconds: 30,
            }),
            ProviderKind::RocketChat => Some(Rate {
                requests: 10,
                per_seconds: 60,
            }),
            _ => None,
        })
    }

    /// How its client authenticates at the token endpoint.
    pub fn client_auth(&self) -> ClientAuth {
        match (&self.oauth, self.kind) {
            (
                Some(OAuthConfig {
                    client_auth: Some(a),
                    ..
                }),
                _,
            ) => *a,
            (_, ProviderKind::Graph) => ClientAuth::Body,
            _ => ClientAuth::Basic,
        }
    }
}

impl Config {
    /// Reads `path` (when given), then the environment's `PRESENCE_RELAY_…` values over it.
    ///
    /// # Errors
    /// A file that cannot be read, TOML that does not parse, a field of the wrong type or an
    /// unknown one, or a source the core cannot read.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?,
            None => String::new(),
        };
        Self::from_parts(&text, std::env::vars())
    }

    /// The configuration of `toml` with `env`'s `PRESENCE_RELAY_…` pairs over it.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn from_parts(
        toml_text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(toml_text).map_err(|e| ConfigError(e.to_string()))?;
        for (name, value) in env {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if path == "CONFIG" || path == "LOG" {
                continue;
            }
            let keys: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            set(&mut table, &keys, value).map_err(|e| ConfigError(format!("{name}: {e}")))?;
        }
        let config: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string().trim().to_owned()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (name, source) in &self.sources {
            if name.is_empty() || name == "@" || name.contains([';', '=', ',']) {
                return Err(ConfigError(format!(
                    "sources.{name}: a source's name cannot be empty or `@`, or hold `;`, `=` or `,`"
                )));
            }
            Adapter::new(source.kind, &source.base_url)
                .map_err(|e| ConfigError(format!("sources.{name}: {e}")))?;
            presence_widgets::core::http::check_base_url(&source.base_url)
                .map_err(|e| ConfigError(format!("sources.{name}.base_url: {e}")))?;
            if source.oauth.is_some() && !source.credentials.is_empty() {
                return Err(ConfigError(format!(
                    "sources.{name}: give `credentials` or `oauth`, not both"
                )));
            }
            if source.oauth.is_some()
                && !matches!(source.kind, ProviderKind::Graph | ProviderKind::Genesys)
            {
                return Err(ConfigError(format!(
                    "sources.{name}.oauth: client credentials are for graph and genesys"
                )));
            }
            if let Some(rate) = source.rate {
                if rate.requests == 0 || rate.per_seconds == 0 {
                    return Err(ConfigError(format!(
                        "sources.{name}.rate: requests and per_seconds must be above 0"
                    )));
                }
            }
        }
        if self.auth.identity_header.is_none() && self.auth.issuer.is_none() {
            return Err(ConfigError(
                "auth: set `issuer` (and `audience`) to check viewers' tokens, or `identity_header` behind a proxy"
                    .into(),
            ));
        }
        if self.auth.issuer.is_some() && self.auth.audience.is_none() {
            return Err(ConfigError("auth.audience: required with `issuer`".into()));
        }
        for origin in &self.allowed_origins {
            let scheme = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            let ok = origin == "*"
                || scheme.is_some_and(|host| {
                    !host.is_empty() && !host.contains(['/', '?', '#', ' ']) && !host.ends_with(':')
                });
            if !ok {
                return Err(ConfigError(format!(
                    "allowed_origins: `{origin}` is not an origin (scheme://host[:port], or \"*\" for any page)"
                )));
            }
        }
        if let Some(redis) = &self.redis {
            if !redis.url.expose().starts_with("redis://")
                && !redis.url.expose().starts_with("rediss://")
                && !redis.url.expose().starts_with("unix://")
            {
                return Err(ConfigError(
                    "redis.url: expected redis://host:port/db (or rediss://, unix://)".into(),
                ));
            }
            if redis.prefix.is_empty() {
                return Err(ConfigError("redis.prefix: cannot be empty".into()));
            }
            if redis.lease_ms < 300 || redis.retry_ms == 0 || redis.timeout_ms == 0 {
                return Err(ConfigError(
                    "redis: lease_ms must be 300 or more, retry_ms and timeout_ms above 0".into(),
                ));
            }
            if redis.instances == 0 || redis.log_len == 0 {
                return Err(ConfigError(
                    "redis: instances and log_len must be above 0".into(),
                ));
            }
        }
        if self.buffer == 0 || self.max_ids == 0 {
            return Err(ConfigError("buffer and max_ids must be above 0".into()));
        }
        if self.max_streams == 0 || self.max_streams_per_viewer == 0 {
            return Err(ConfigError(
                "max_streams and max_streams_per_viewer must be above 0".into(),
            ));
        }
        if self.header_timeout_ms == 0 || self.body_timeout_ms == 0 {
            return Err(ConfigError(
                "header_timeout_ms and body_timeout_ms must be above 0".into(),
            ));
        }
        Ok(())
    }
}

/// Sets `keys` (a path of tables) in `table` to `value`.
fn set(table: &mut toml::Table, keys: &[String], value: String) -> Result<(), String> {
    match keys {
        [] => Err("no key".into()),
        [last] => {
            table.insert(last.clone(), toml::Value::String(value));
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set(inner, rest, value),
                _ => Err(format!("`{first}` is not a table")),
            }
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8090))
}
fn default_history() -> u64 {
    1024
}
fn default_buffer() -> u64 {
    1024
}
fn default_max_ids() -> u64 {
    5000
}
fn default_max_known() -> u64 {
    100_000
}
fn default_linger_ms() -> u64 {
    30_000
}
fn default_min_interval_ms() -> u64 {
    1_000
}
fn default_max_streams() -> u64 {
    20_000
}
fn default_max_streams_per_viewer() -> u64 {
    20
}
fn default_header_timeout_ms() -> u64 {
    10_000
}
fn default_body_timeout_ms() -> u64 {
    10_000
}
fn default_prefix() -> String {
    "presence-relay".into()
}
fn default_lease_ms() -> u64 {
    3_000
}
fn default_retry_ms() -> u64 {
    1_000
}
fn default_log_len() -> u64 {
    100_000
}
fn default_instances() -> u64 {
    1
}
fn default_timeout_ms() -> u64 {
    1_000
}
fn default_push() -> bool {
    true
}

/// A number, from TOML or from the environment's text.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Float(f64),
    Text(String),
}

fn number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Float(_) => Err(serde::de::Error::custom("expected a whole number")),
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("expected a number, not `{t}`"))),
    }
}

fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    number(d).map(Some)
}

fn opt_fraction<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = match NumberOrText::deserialize(d)? {
        NumberOrText::Number(n) => u32::try_from(n).map(f64::from).unwrap_or(f64::MAX),
        NumberOrText::Float(f) => f,
        NumberOrText::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("expected a number, not `{t}`")))?,
    };
    if value > 0.0 && value <= 1.0 {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::custom(
            "expected a share above 0 and at most 1",
        ))
    }
}

/// A boolean, from TOML or from the environment's `true` or `false`.
fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrText {
        Bool(bool),
        Text(String),
    }
    match BoolOrText::deserialize(d)? {
        BoolOrText::Bool(b) => Ok(b),
        BoolOrText::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "expected true or false, not `{t}`"
            ))),
        },
    }
}

fn addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "expected an address such as 127.0.0.1:8090, not `{text}`"
        ))
    })
}

/// A list, from a TOML array or the environment's comma-separated text.
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    Ok(match ListOrText::deserialize(d)? {
        ListOrText::List(l) => l,
        ListOrText::Text(t) => t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<ProviderKind, D::Error> {
    let text = String::deserialize(d)?;
    ProviderKind::from_name(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown kind `{text}`: graph, rocketchat, genesys or superoffice"
        ))
    })
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

fn secrets<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Secret>, D::Error> {
    let map = BTreeMap::<String, String>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        listen = "127.0.0.1:0"
        allowed_origins = ["http://127.0.0.1:8080"]
        [auth]
        issuer = "http://127.0.0.1:8080/_sim/oidc"
        audience = "presence-relay"
        [sources.teams]
        kind = "graph"
        base_url = "http://127.0.0.1:8080/graph/v1.0"
        credentials = { token = "t0ps3cret" }
    "#;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_a_file_with_defaults() {
        let c = Config::from_parts(BASE, env(&[])).unwrap();
        assert_eq!(c.history, 1024);
        assert_eq!(c.sources.len(), 1);
        let teams = c.sources.get("teams").unwrap();
        assert_eq!(teams.kind, ProviderKind::Graph);
        assert_eq!(
            teams.rate(),
            Some(Rate {
                requests: 1500,
                per_seconds: 30
            })
        );
    }

    #[test]
    fn the_environment_sets_any_value() {
        let c = Config::from_parts(
            BASE,
            env(&[
                ("PRESENCE_RELAY_HISTORY", "10"),
                (
                    "PRESENCE_RELAY_ALLOWED_ORIGINS",
                    "http://a.test, http://b.test",
                ),
                (
                    "PRESENCE_RELAY_SOURCES__TEAMS__CREDENTIALS__TOKEN",
                    "from-env",
                ),
                ("PRESENCE_RELAY_SOURCES__CHAT__KIND", "rocketchat"),
                (
                    "PRESENCE_RELAY_SOURCES__CHAT__BASE_URL",
                    "http://127.0.0.1:8080/rocketchat",
                ),
                ("PRESENCE_RELAY_SOURCES__CHAT__RATE__REQUESTS", "20"),
                ("PRESENCE_RELAY_SOURCES__CHAT__RATE__PER_SECONDS", "60"),
                ("PRESENCE_RELAY_SOURCES__CHAT__PUSH", "false"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(c.history, 10);
        assert_eq!(c.allowed_origins, ["http://a.test", "http://b.test"]);
        let teams = c.sources.get("teams").unwrap();
        assert_eq!(teams.credentials.get("token").unwrap().expose(), "from-env");
        let chat = c.sources.get("chat").unwrap();
        assert_eq!(chat.rate().unwrap().requests, 20);
        assert!(!chat.push);
        assert!(teams.push, "push is on by default");
    }

    #[test]
    fn secrets_never_print() {
        let c = Config::from_parts(
            &(BASE.to_owned()
                + "oauth = { token_url = \"http://x.test/t\", client_id = \"id\", client_secret = \"hunter2\" }"),
            env(&[]),
        );
        // Both credentials and oauth: refused, and the message names neither secret.
        let e = c.unwrap_err().to_string();
        assert!(e.contains("not both"), "{e}");
        let c = Config::from_parts(BASE, env(&[])).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("t0ps3cret"), "{shown}");
    }

    #[test]
    fn the_shared_mode_takes_its_redis_from_the_file_or_the_environment() {
        assert!(Config::from_parts(BASE, env(&[])).unwrap().redis.is_none());
        let c = Config::from_parts(
            BASE,
            env(&[
                (
                    "PRESENCE_RELAY_REDIS__URL",
                    "redis://:s3cret@127.0.0.1:6379/0",
                ),
                ("PRESENCE_RELAY_REDIS__INSTANCES", "3"),
            ]),
        )
        .unwrap();
        let redis = c.redis.as_ref().unwrap();
        assert_eq!(redis.instances, 3);
        assert_eq!((redis.lease_ms, redis.retry_ms), (3000, 1000));
        assert_eq!(redis.prefix, "presence-relay");
        // The password in the URL never prints.
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        for (key, value, says) in [
            (
                "PRESENCE_RELAY_REDIS__URL",
                "http://127.0.0.1:6379",
                "redis.url",
            ),
            ("PRESENCE_RELAY_REDIS__LEASE_MS", "10", "lease_ms"),
            ("PRESENCE_RELAY_REDIS__INSTANCES", "0", "instances"),
        ] {
            let mut pairs = vec![("PRESENCE_RELAY_REDIS__URL", "redis://127.0.0.1:6379/0")];
            pairs.push((key, value));
            let e = Config::from_parts(BASE, env(&pairs))
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{key}={value}: {e}");
        }
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = Config::from_parts(BASE, env(&[("PRESENCE_RELAY_HISTORY", "many")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("many"), "{e}");
        let e = Config::from_parts(&BASE.replace("8080\"]", "8080/path\"]"), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not an origin"), "{e}");
        let e = Config::from_parts(&BASE.replace("graph\"", "teams\""), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown kind `teams`"), "{e}");
        let e = Config::from_parts(&BASE.replace("[auth]", "[auth]\nsurprise = 1"), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("surprise"), "{e}");
        let e = Config::from_parts(&BASE.replace("audience = \"presence-relay\"", ""), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("auth.audience"), "{e}");
    }
}
