//! Who may read: a viewer's bearer token checked as a JWT (signature against the issuer's JWKS,
//! issuer, audience, expiry), or an identity header set by the organisation's reverse proxy; and
//! the rules that say which sources a viewer reads.

use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use crate::config::{AuthConfig, Rule};

/// Why a viewer may not read. Shown to the viewer (401 with this reason), never with a token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` (or no identity header).
    #[error("no bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    /// The token has expired.
    #[error("the token has expired")]
    Expired,
    /// Anything else wrong with the token: what.
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// The issuer's keys cannot be read now.
    #[error("cannot check tokens now: {0}")]
    Keys(String),
}

/// A viewer's claims.
pub type Claims = Map<String, Value>;

/// A viewer that may read: their claims, and when their token expires (seconds since the Unix
/// epoch), where it does.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The token's claims (or `sub` and `groups` from the proxy's headers).
    pub claims: Claims,
    /// The token's `exp`.
    pub expires_at: Option<u64>,
}

/// The algorithms a viewer's token may be signed with: asymmetric ones only, so that a public
/// key can never be used as an HMAC secret.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Checks viewers.
#[derive(Debug)]
pub struct Verifier {
    config: AuthConfig,
    http: reqwest::Client,
    keys: RwLock<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    set: Option<JwkSet>,
    /// When the set was last asked for, whatever the answer.
    fetched: Option<Instant>,
    /// Why the last fetch failed, if it did.
    error: Option<String>,
}

/// Keys are fetched again at most this often when a token names a key the set lacks.
const REFETCH: Duration = Duration::from_secs(30);

impl Verifier {
    /// A verifier for `config`, fetching keys with `http`.
    pub fn new(config: AuthConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            keys: RwLock::new(Keys::default()),
        }
    }

    /// Seconds past `exp` a token is still taken.
    pub fn leeway_s(&self) -> u64 {
        self.config.leeway_s.unwrap_or(60)
    }

    /// The viewer of a request.
    ///
    /// # Errors
    /// [`AuthError`]: no credentials, a bad or expired token, keys that cannot be read.
    pub async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, AuthError> {
        if let Some(name) = &self.config.identity_header {
            return self.proxied(name, headers);
        }
        let token = bearer(headers).ok_or(AuthError::Missing)?;
        self.check(token).await
    }

    fn proxied(&self, name: &str, headers: &HeaderMap) -> Result<Viewer, AuthError> {
        let sub = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::Missing)?;
        let mut claims = Map::new();
        claims.insert("sub".into(), sub.into());
        if let Some(groups) = self
            .config
            .groups_header
            .as_ref()
            .and_then(|g| headers.get(g))
            .and_then(|v| v.to_str().ok())
        {
            let list: Vec<Value> = groups
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(Value::from)
                .collect();
            claims.insert("groups".into(), Value::Array(list));
        }
        Ok(Viewer {
            claims,
            expires_at: None,
        })
    }

    /// Checks one token.
    ///
    /// # Errors
    /// As [`Verifier::viewer`].
    pub async fn check(&self, token: &str) -> Result<Viewer, AuthError> {
        let header = decode_header(token).map_err(|e| {
            AuthError::Invalid(unknown_algorithm(token).unwrap_or_else(|| reason(&e)))
        })?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = self.key(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway_s();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        if let Some(issuer) = &self.config.issuer {
            validation.set_issuer(&[issuer]);
        }
        if let Some(audience) = &self.config.audience {
            validation.set_audience(&[audience]);
        }
        let data = decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
            _ => AuthError::Invalid(reason(&e)),
        })?;
        let expires_at = data.claims.get("exp").and_then(Value::as_u64);
        Ok(Viewer {
            claims: data.claims,
            expires_at,
        })
    }

    /// The key `kid` names, fetching the set when it is not known yet (at most every 30 s).
    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        let unknown = || AuthError::Invalid("signed by a key the issuer does not list".into());
        {
            let keys = self.keys.read().await;
            if let Some(found) = keys.set.as_ref().and_then(|s| pick(s, kid, alg)) {
                return found;
            }
            if keys.fetched.is_some_and(|at| at.elapsed() < REFETCH) {
                return Err(match (&keys.set, &keys.error) {
                    (None, Some(e)) => AuthError::Keys(e.clone()),
                    _ => unknown(),
                });
            }
        }
        // One fetch at a time, and at most one every 30 s whatever it gave: tokens naming
        // keys nobody has cannot make the relay ask the issuer again and again.
        let mut keys = self.keys.write().await;
        if let Some(found) = keys.set.as_ref().and_then(|s| pick(s, kid, alg)) {
            return found;
        }
        if keys.fetched.is_some_and(|at| at.elapsed() < REFETCH) {
            return Err(unknown());
        }
        keys.fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => {
                keys.set = Some(set);
                keys.error = None;
            }
            Err(e) => {
                keys.error = Some(match &e {
                    AuthError::Keys(why) => why.clone(),
                    other => other.to_string(),
                });
                if keys.set.is_none() {
                    return Err(e);
                }
            }
        }
        keys.set
            .as_ref()
            .and_then(|s| pick(s, kid, alg))
            .unwrap_or_else(|| Err(unknown()))
    }

    async fn fetch(&self) -> Result<JwkSet, AuthError> {
        let url = match (&self.config.jwks_url, &self.config.issuer) {
            (Some(url), _) => url.clone(),
            (None, Some(issuer)) => {
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let doc: Value = self.get_json(&discovery).await?;
                doc.get("jwks_uri")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        AuthError::Keys("the discovery document has no jwks_uri".into())
                    })?
            }
            (None, None) => return Err(AuthError::Keys("no issuer is configured".into())),
        };
        let set: Value = self.get_json(&url).await?;
        serde_json::from_value(set).map_err(|e| AuthError::Keys(format!("the JWKS: {e}")))
    }

    async fn get_json(&self, url: &str) -> Result<Value, AuthError> {
        let answer = self
            .http
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| AuthError::Keys(format!("{url}: {}", e.without_url())))?;
        if !answer.status().is_success() {
            return Err(AuthError::Keys(format!(
                "{url}: HTTP {}",
                answer.status().as_u16()
            )));
        }
        let text = answer
            .text()
            .await
            .map_err(|e| AuthError::Keys(format!("{url}: {}", e.without_url())))?;
        serde_json::from_str(&text).map_err(|e| AuthError::Keys(format!("{url}: not JSON: {e}")))
    }
}

fn pick(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<Result<DecodingKey, AuthError>> {
    let jwk = match kid {
        Some(kid) => set.find(kid)?,
        None if set.keys.len() == 1 => set.keys.first()?,
        None => return None,
    };
    if let Some(key_alg) = jwk.common.key_algorithm {
        if format!("{key_alg:?}") != format!("{alg:?}") {
            return Some(Err(AuthError::Invalid(format!(
                "the token says {alg:?}, its key {key_alg:?}"
            ))));
        }
    }
    Some(DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(reason(&e))))
}

fn reason(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidIssuer => "wrong issuer".into(),
        ErrorKind::InvalidAudience => "wrong audience".into(),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("no `{c}` claim"),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "not a JWT".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "wrong algorithm".into(),
        other => format!("{other:?}"),
    }
}

/// Why a token whose header names an algorithm the JWT library does not know (`none`, say) is
/// refused: said as that, rather than "not a JWT". The name is the token's text: it is said
/// only when short and plain.
fn unknown_algorithm(token: &str) -> Option<String> {
    use base64::Engine as _;
    let head = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    let alg = header.get("alg")?.as_str()?;
    let plain = !alg.is_empty()
        && alg.len() <= 16
        && alg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    Some(if plain {
        format!("algorithm {alg:?} is not accepted")
    } else {
        "its algorithm is not accepted".to_owned()
    })
}

/// The bearer token of `Authorization`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether `claims` satisfy every rule: a string claim equal to the value, or an array claim
/// containing it (numbers compared as text).
pub fn allowed(rules: &[Rule], claims: &Claims) -> bool {
    rules.iter().all(|rule| {
        let matches = |v: &Value| match v {
            Value::String(s) => *s == rule.equals,
            Value::Number(n) => n.to_string() == rule.equals,
            Value::Bool(b) => b.to_string() == rule.equals,
            _ => false,
        };
        match claims.get(&rule.claim) {
            Some(Value::Array(items)) => items.iter().any(matches),
            Some(v) => matches(v),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn rules_match_strings_and_arrays() {
        let c = claims(json!({"tid": "t1", "groups": ["sales", "it"], "level": 3}));
        let rule = |claim: &str, equals: &str| Rule {
            claim: claim.into(),
            equals: equals.into(),
        };
        assert!(allowed(&[], &c));
        assert!(allowed(&[rule("tid", "t1"), rule("groups", "it")], &c));
        assert!(allowed(&[rule("level", "3")], &c));
        assert!(!allowed(&[rule("tid", "t1"), rule("groups", "hr")], &c));
        assert!(!allowed(&[rule("roles", "admin")], &c));
    }

    #[test]
    fn bearer_reads_the_scheme_in_any_case() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert("authorization", "bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.insert("authorization", "Bearer ".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }

    #[tokio::test]
    async fn a_proxy_header_is_the_identity() {
        let v = Verifier::new(
            AuthConfig {
                identity_header: Some("x-forwarded-user".into()),
                groups_header: Some("x-forwarded-groups".into()),
                ..AuthConfig::default()
            },
            reqwest::Client::new(),
        );
        let mut h = HeaderMap::new();
        assert_eq!(v.viewer(&h).await.unwrap_err(), AuthError::Missing);
        h.insert("x-forwarded-user", "alice".parse().unwrap());
        h.insert("x-forwarded-groups", "sales, it".parse().unwrap());
        let viewer = v.viewer(&h).await.unwrap();
        assert_eq!(viewer.claims.get("sub"), Some(&json!("alice")));
        assert_eq!(viewer.claims.get("groups"), Some(&json!(["sales", "it"])));
    }

    #[tokio::test]
    async fn garbage_is_not_a_jwt() {
        let v = Verifier::new(
            AuthConfig {
                issuer: Some("http://127.0.0.1:9/none".into()),
                audience: Some("a".into()),
                ..AuthConfig::default()
            },
            reqwest::Client::new(),
        );
        assert_eq!(
            v.check("not-a-token").await.unwrap_err(),
            AuthError::Invalid("not a JWT".into())
        );
    }
}
