//! Who is calling: the credential a request authenticates with, the simulated person it acts as,
//! and whether it may write other people's presence.
//!
//! The providers' documents say who may write whom (Graph `Presence.ReadWrite` for oneself,
//! `Presence.ReadWrite.All` for anyone; Rocket.Chat `edit-other-user-info`; Genesys
//! `presence:userPresence:edit`; SuperOffice user management, an administrator's), but the
//! simulator takes any token that is not revoked as it is, so it needs a convention of its own
//! (ours, not a provider's):
//!
//! - A request acts as one simulated person of its provider: for Rocket.Chat the person its
//!   `X-User-Id` names, or the first simulated person when it names nobody; for the others the
//!   person `PUT /_sim/writers` bound its token to (`"as"`), or else the first simulated person.
//!   Graph's `me/presence` reads that person too.
//! - It may write only that person, unless `PUT /_sim/writers` granted it the right to write
//!   others (`"others": true`): a token for Graph, Genesys and SuperOffice, a user id
//!   (`X-User-Id`) for Rocket.Chat, whose permissions belong to the user, not the token.
//!
//! Tokens are kept as digests only ([`crate::digest::digest`]), never shown.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::digest::digest;
use crate::people::Provider;
use crate::world::World;

/// A header's value as text, trimmed; empty when absent or not text.
pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
}

/// The credential a request carries as its provider documents it, whether or not it is still
/// good: the Bearer token (Graph, Genesys); `X-Auth-Token` (Rocket.Chat); the `Basic`, `SOTicket`
/// or `Bearer` credential, or `X-XSRF-TOKEN` without an `Authorization` header (SuperOffice).
pub fn credential(provider: Provider, headers: &HeaderMap) -> Option<&str> {
    let authorization = header_text(headers, "authorization");
    let (scheme, credential) = authorization.split_once(' ').unwrap_or((authorization, ""));
    let credential = credential.trim();
    let found = match provider {
        Provider::Graph | Provider::Genesys => {
            Some(credential).filter(|_| scheme.eq_ignore_ascii_case("bearer"))
        }
        Provider::RocketChat => Some(header_text(headers, "x-auth-token")),
        Provider::SuperOffice if authorization.is_empty() => {
            Some(header_text(headers, "x-xsrf-token"))
        }
        Provider::SuperOffice => Some(credential).filter(|_| {
            ["basic", "soticket", "bearer"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s))
        }),
    };
    found.filter(|c| !c.is_empty())
}

/// What `/_sim/writers` was told.
#[derive(Debug, Default)]
pub struct Writers {
    /// Token digests that may write others, per provider (not Rocket.Chat).
    tokens: HashSet<(Provider, u64)>,
    /// Rocket.Chat user ids that may write others (`edit-other-user-info`).
    users: BTreeSet<String>,
    /// The person a token acts as, by provider and token digest (not Rocket.Chat).
    acting: HashMap<(Provider, u64), String>,
}

impl Writers {
    /// Grants (or takes back) the right to write others: to a token, or for Rocket.Chat to a
    /// user id.
    pub fn allow_others(&mut self, provider: Provider, key: &str, others: bool) {
        if provider == Provider::RocketChat {
            if others {
                self.users.insert(key.to_owned());
            } else {
                self.users.remove(key);
            }
        } else if others {
            self.tokens.insert((provider, digest(key)));
        } else {
            self.tokens.remove(&(provider, digest(key)));
        }
    }

    /// Makes a token act as the person `id` (not for Rocket.Chat, whose `X-User-Id` says it).
    pub fn act_as(&mut self, provider: Provider, token: &str, id: String) {
        self.acting.insert((provider, digest(token)), id);
    }

    /// Forgets every grant and binding.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// What `GET /_sim/writers` shows: per provider, how many tokens may write others and how
    /// many act as someone else than the first person; for Rocket.Chat, the user ids that may
    /// write others. Never a token.
    pub fn view(&self) -> Value {
        let mut all = serde_json::Map::new();
        for provider in Provider::ALL {
            let entry = if provider == Provider::RocketChat {
                json!({ "users": self.users })
            } else {
                let others = self.tokens.iter().filter(|(p, _)| *p == provider).count();
                let acting = self.acting.keys().filter(|(p, _)| *p == provider).count();
                json!({ "tokens": others, "acting": acting })
            };
            all.insert(provider.name().to_owned(), entry);
        }
        Value::Object(all)
    }
}

/// Who a request acts as, and what it may write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The simulated person it acts as (`None` only in a world without people).
    pub id: Option<String>,
    /// Whether it may write other people's presence.
    pub others: bool,
}

impl Caller {
    /// Whether it may write the presence of the person `target`.
    pub fn may_write(&self, target: &str) -> bool {
        self.others || self.id.as_deref() == Some(target)
    }
}

/// Who a request of `provider` acts as (see the module's convention).
pub fn caller(world: &World, provider: Provider, headers: &HeaderMap) -> Caller {
    let people = world.people(provider);
    let first = || people.and_then(|p| p.people.first()).map(|p| p.id.clone());
    let known = |id: &str| people.and_then(|p| p.get(id)).map(|p| p.id.clone());
    let writers = &world.writers;
    if provider == Provider::RocketChat {
        let user = header_text(headers, "x-user-id");
        return Caller {
            id: known(user).or_else(first),
            others: writers.users.contains(user),
        };
    }
    let Some(token) = credential(provider, headers) else {
        return Caller {
            id: first(),
            others: false,
        };
    };
    let key = (provider, digest(token));
    Caller {
        id: writers
            .acting
            .get(&key)
            .and_then(|id| known(id))
            .or_else(first),
        others: writers.tokens.contains(&key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        h
    }

    #[test]
    fn each_provider_reads_its_documented_credential() {
        let bearer = headers(&[("authorization", "Bearer  abc ")]);
        assert_eq!(credential(Provider::Graph, &bearer), Some("abc"));
        assert_eq!(credential(Provider::Genesys, &bearer), Some("abc"));
        assert_eq!(credential(Provider::SuperOffice, &bearer), Some("abc"));
        assert_eq!(credential(Provider::RocketChat, &bearer), None);
        let basic = headers(&[("authorization", "Basic dXNlcjpwdw==")]);
        assert_eq!(credential(Provider::Graph, &basic), None);
        assert_eq!(
            credential(Provider::SuperOffice, &basic),
            Some("dXNlcjpwdw==")
        );
        let xsrf = headers(&[("x-xsrf-token", "x1")]);
        assert_eq!(credential(Provider::SuperOffice, &xsrf), Some("x1"));
        let both = headers(&[("x-xsrf-token", "x1"), ("authorization", "Negotiate y")]);
        assert_eq!(credential(Provider::SuperOffice, &both), None);
        let rc = headers(&[("x-auth-token", "t"), ("x-user-id", "u")]);
        assert_eq!(credential(Provider::RocketChat, &rc), Some("t"));
        assert_eq!(credential(Provider::Graph, &headers(&[])), None);
        assert_eq!(
            credential(Provider::Graph, &headers(&[("authorization", "Bearer")])),
            None
        );
    }

    #[test]
    fn grants_are_per_provider_and_never_shown() {
        let mut w = Writers::default();
        w.allow_others(Provider::Graph, "secret-token", true);
        w.allow_others(Provider::RocketChat, "user1", true);
        w.act_as(Provider::Genesys, "other-token", "someone".into());
        let view = w.view().to_string();
        assert!(!view.contains("secret-token") && !view.contains("other-token"));
        assert_eq!(w.view()["graph"]["tokens"], 1);
        assert_eq!(w.view()["genesys"], json!({ "tokens": 0, "acting": 1 }));
        assert_eq!(w.view()["rocketchat"]["users"], json!(["user1"]));
        w.allow_others(Provider::Graph, "secret-token", false);
        assert_eq!(w.view()["graph"]["tokens"], 0);
        w.clear();
        assert_eq!(w.view()["rocketchat"]["users"], json!([]));
    }
}
