//! The OpenID Connect issuer of viewers' tokens, under `/_sim/oidc`, for the relay and its tests:
//! the discovery document, the JWKS, and `POST /_sim/oidc/mint`, which signs a token for whoever
//! the caller names.
//!
//! The issuer is `http://{Host}/_sim/oidc`, from the request's `Host` header, so it is the address
//! the caller reached the simulator at. Tokens are signed EdDSA (Ed25519) with a key pair made at
//! start, kid `sim-1`; a second key pair, never published, signs `foreignKey` tokens under the
//! same kid, for bad-signature tests. Nothing here logs a token.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::error::Unspecified;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::app::App;
use crate::clock::now_ms;

/// The key id of the published key (and of the foreign one, which pretends to be it).
pub const KID: &str = "sim-1";

/// The audience of a minted token unless the caller names one.
pub const DEFAULT_AUDIENCE: &str = "presence-relay";

/// How long a minted token lasts unless the caller says, in seconds.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

/// The most seconds `expiresIn` may be, either way (ten years).
const MAX_EXPIRES_IN: i64 = 315_360_000;

/// The claims a minted token always has, which `claims` may not set: each has its own field.
const OWN_FIELDS: [(&str, &str); 4] = [
    ("iss", "issuer"),
    ("sub", "sub"),
    ("aud", "aud"),
    ("exp", "expiresIn"),
];

/// One Ed25519 signing key and its public half, as the JWK's `x`.
struct SigningKey {
    encoding: EncodingKey,
    x: String,
}

impl SigningKey {
    fn generate(rng: &SystemRandom) -> Result<Self, Unspecified> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(rng)?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| Unspecified)?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(pkcs8.as_ref()),
            x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        })
    }
}

/// The issuer's keys: the published one and the foreign one.
pub struct Keys {
    published: SigningKey,
    foreign: SigningKey,
}

impl Keys {
    /// Two fresh Ed25519 key pairs from the system's random source.
    ///
    /// # Errors
    /// When the random source fails.
    pub fn generate() -> Result<Self, Unspecified> {
        let rng = SystemRandom::new();
        Ok(Self {
            published: SigningKey::generate(&rng)?,
            foreign: SigningKey::generate(&rng)?,
        })
    }

    /// The JWK Set: the published key alone.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": self.published.x,
                "kid": KID,
                "use": "sig",
                "alg": "EdDSA",
            }]
        })
    }

    /// `claims` as a compact JWT, signed EdDSA with kid `sim-1` by the published key, or by the
    /// foreign one.
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign(
        &self,
        claims: &Value,
        foreign: bool,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(KID.to_owned());
        let key = if foreign {
            &self.foreign
        } else {
            &self.published
        };
        jsonwebtoken::encode(&header, claims, &key.encoding)
    }
}

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/_sim/oidc/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/_sim/oidc/jwks", get(jwks))
        .route("/_sim/oidc/mint", post(mint))
}

fn bad(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn no_keys() -> Response {
    bad(
        StatusCode::SERVICE_UNAVAILABLE,
        "no signing key: the system's random source failed at start",
    )
}

/// `http://{Host}/_sim/oidc`, or `None` without a usable `Host` header.
pub fn issuer(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    let fits = |c: char| c.is_ascii_alphanumeric() || ".-:[]".contains(c);
    (!host.is_empty() && host.chars().all(fits)).then(|| format!("http://{host}/_sim/oidc"))
}

fn no_host() -> Response {
    bad(
        StatusCode::BAD_REQUEST,
        "no usable Host header to name the issuer by",
    )
}

async fn discovery(headers: HeaderMap) -> Response {
    let Some(issuer) = issuer(&headers) else {
        return no_host();
    };
    // `authorization_endpoint` is required by OpenID Connect Discovery 1.0 §3, and
    // `token_endpoint` was asked for; neither is served: tokens come from `/mint`.
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
    }))
    .into_response()
}

async fn jwks(State(app): State<App>) -> Response {
    match app.keys() {
        Some(keys) => Json(keys.jwks()).into_response(),
        None => no_keys(),
    }
}

/// What `POST /_sim/oidc/mint` takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Mint {
    sub: String,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    claims: Map<String, Value>,
    #[serde(default)]
    foreign_key: bool,
    #[serde(default)]
    issuer: Option<String>,
}

const MINT_SHAPE: &str =
    "expected {\"sub\", \"aud\"?, \"expiresIn\"?, \"claims\"?, \"foreignKey\"?, \"issuer\"?}";

/// The claims of one mint request, at `now` (seconds since the Unix epoch), and when the token
/// expires; `Err` names the field that is wrong.
fn claims(mint: Mint, issuer: String, now: i64) -> Result<(Value, i64), String> {
    if mint.sub.is_empty() {
        return Err("sub must not be empty".into());
    }
    let aud = match mint.aud {
        None => Value::from(DEFAULT_AUDIENCE),
        Some(Value::String(a)) if !a.is_empty() => Value::String(a),
        Some(Value::Array(list))
            if !list.is_empty()
                && list
                    .iter()
                    .all(|a| a.as_str().is_some_and(|a| !a.is_empty())) =>
        {
            Value::Array(list)
        }
        Some(_) => return Err("aud must be a string or a list of strings, none empty".into()),
    };
    let expires_in = mint.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(-MAX_EXPIRES_IN..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(format!(
            "expiresIn is from -{MAX_EXPIRES_IN} to {MAX_EXPIRES_IN} seconds"
        ));
    }
    if let Some((claim, field)) = OWN_FIELDS
        .iter()
        .find(|(claim, _)| mint.claims.contains_key(*claim))
    {
        return Err(format!("claims.{claim}: set it with `{field}`"));
    }
    let iss = mint.issuer.unwrap_or(issuer);
    if iss.is_empty() {
        return Err("issuer must not be empty".into());
    }
    let exp = now.saturating_add(expires_in);
    let mut all = Map::new();
    all.insert("iss".into(), Value::from(iss));
    all.insert("sub".into(), Value::from(mint.sub));
    all.insert("aud".into(), aud);
    all.insert("iat".into(), Value::from(now));
    all.insert("nbf".into(), Value::from(now));
    all.insert("exp".into(), Value::from(exp));
    // Extra claims go on top: `iat` and `nbf` may be moved (a token not valid yet, say).
    all.extend(mint.claims);
    Ok((Value::Object(all), exp))
}

/// Signs a token: `{"token", "expiresAt"}`. The token is in the answer only, never in a log.
async fn mint(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let request: Mint = match serde_json::from_str(&body) {
        Ok(m) => m,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &format!("{MINT_SHAPE}: {e}")),
    };
    let Some(keys) = app.keys() else {
        return no_keys();
    };
    let issuer = match (&request.issuer, issuer(&headers)) {
        (Some(_), _) => String::new(),
        (None, Some(issuer)) => issuer,
        (None, None) => return no_host(),
    };
    let now = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
    let foreign = request.foreign_key;
    let (claims, expires_at) = match claims(request, issuer, now) {
        Ok(c) => c,
        Err(message) => return bad(StatusCode::BAD_REQUEST, &message),
    };
    match keys.sign(&claims, foreign) {
        Ok(token) => {
            let mut response =
                Json(json!({ "token": token, "expiresAt": expires_at })).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => bad(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("signing failed: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(body: Value) -> Result<(Value, i64), String> {
        let request: Mint = serde_json::from_value(body).map_err(|e| e.to_string())?;
        claims(request, "http://127.0.0.1:1/_sim/oidc".into(), 1_000)
    }

    #[test]
    fn claims_have_the_defaults_and_the_extras() {
        let (claims, exp) =
            mint(json!({"sub": "alice", "claims": {"tid": "t1", "nbf": 5}})).unwrap_or_default();
        assert_eq!(exp, 4_600);
        assert_eq!(
            claims,
            json!({"iss": "http://127.0.0.1:1/_sim/oidc", "sub": "alice", "aud": "presence-relay",
                   "iat": 1_000, "nbf": 5, "exp": 4_600, "tid": "t1"})
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let error = |body| mint(body).err().unwrap_or_default();
        assert!(error(json!({})).contains("sub"));
        assert!(error(json!({"sub": ""})).contains("sub"));
        assert!(error(json!({"sub": "a", "aud": 3})).contains("aud"));
        assert!(error(json!({"sub": "a", "aud": []})).contains("aud"));
        assert!(error(json!({"sub": "a", "claims": {"iss": "x"}})).contains("claims.iss"));
        assert!(error(json!({"sub": "a", "expiresIn": i64::MAX})).contains("expiresIn"));
        assert!(error(json!({"sub": "a", "expires_in": 3})).contains("expires_in"));
        assert!(error(json!({"sub": "a", "issuer": ""})).contains("issuer"));
    }

    #[test]
    fn the_issuer_is_the_host() {
        let mut headers = HeaderMap::new();
        assert_eq!(issuer(&headers), None);
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(
            issuer(&headers).as_deref(),
            Some("http://127.0.0.1:8080/_sim/oidc")
        );
        headers.insert(header::HOST, HeaderValue::from_static("a/b"));
        assert_eq!(issuer(&headers), None);
    }
}
