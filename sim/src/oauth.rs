//! The OAuth 2.0 client-credentials token endpoints the relay gets its tokens from, as Microsoft
//! Entra ID (for Graph) and Genesys Cloud's login host document them, and `/_sim/oauth`, which
//! changes the one client they accept.
//!
//! - `POST /entra/{tenant}/oauth2/v2.0/token`: the Microsoft identity platform's client
//!   credentials flow. A form with `client_id`, `client_secret` (or HTTP Basic, which the flow's
//!   document also allows), `scope=https://graph.microsoft.com/.default` and
//!   `grant_type=client_credentials`; errors in Entra's shape
//!   (`error`, `error_description` "AADSTSnnn: …", `error_codes`, `timestamp`, `trace_id`,
//!   `correlation_id`).
//! - `POST /genesys-login/oauth/token`: Genesys Cloud's client credentials grant, the client in
//!   `Authorization: Basic base64(client_id:client_secret)` and the form `grant_type=client_credentials`.
//!
//! Access tokens are random opaque strings. The simulator remembers when each expires; Graph and
//! Genesys refuse one after that (see `app::authorized`), while any token they did not issue
//! keeps working. Token requests are counted in the stats' `tokenRequests`. Nothing here logs a
//! token or a secret.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::app::App;
use crate::clock::{iso, now_ms};
use crate::people::Provider;
use crate::world::World;

/// The one scope Entra issues Graph tokens for here.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Seconds an Entra token lasts unless changed: the `expires_in` of the flow's documented answer.
pub const ENTRA_EXPIRES_IN: u64 = 3599;

/// Seconds a Genesys token lasts unless changed: the `expires_in` of the grant's documented answer.
pub const GENESYS_EXPIRES_IN: u64 = 86399;

/// The most seconds `PUT /_sim/oauth` takes for `expiresIn` (ten years).
const MAX_EXPIRES_IN: u64 = 315_360_000;

/// The routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/entra/{tenant}/oauth2/v2.0/token", post(entra))
        .route("/genesys-login/oauth/token", post(genesys))
        .route("/_sim/oauth", get(get_settings).put(set_settings))
}

/// A form body's fields, the first of each name; nothing unless the body is declared a form.
fn form(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let mut fields = HashMap::new();
    if declared {
        for (name, value) in form_urlencoded::parse(body) {
            fields
                .entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
    }
    fields
}

/// The client id and secret of an `Authorization: Basic` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `n` random bytes from the system's source.
fn random(n: usize) -> Option<Vec<u8>> {
    let mut bytes = vec![0; n];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(bytes)
}

/// A random GUID for Entra's trace and correlation ids (all zeros if the source fails).
fn guid() -> String {
    let b = random(16).unwrap_or_else(|| vec![0; 16]);
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// Entra's timestamp: `2016-01-09 02:02:12Z`.
fn entra_timestamp() -> String {
    let now = iso(now_ms());
    let seconds = now.split('.').next().unwrap_or_default();
    format!("{}Z", seconds.replace('T', " "))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    // RFC 6749 §5.1: token answers are not cached.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An error in the shape of the flow's documented error answer.
fn entra_error(status: StatusCode, error: &str, code: u32, message: &str) -> Response {
    let (trace, correlation, timestamp) = (guid(), guid(), entra_timestamp());
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
        }),
    )
}

fn missing(name: &str) -> Response {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900_144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// Issues a token for `provider` lasting `seconds`, remembered with its expiry; `None` when the
/// random source fails.
fn issue(world: &mut World, provider: Provider, seconds: u64) -> Option<String> {
    let token = URL_SAFE_NO_PAD.encode(random(32)?);
    let end = now_ms().saturating_add(seconds.saturating_mul(1000));
    world.issued.insert((provider, token.clone()), end);
    Some(token)
}

/// `POST /entra/{tenant}/oauth2/v2.0/token`. Any tenant is taken. The order of the checks is the
/// simulator's: the document lists the errors, not the order they are found in.
async fn entra(
    State(app): State<App>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut world = app.lock();
    world.stats.token_requests.graph += 1;
    let fields = form(&headers, &body);
    let field = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(grant) = field("grant_type") else {
        return missing("grant_type");
    };
    if grant != "client_credentials" {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70_003,
            &format!("The app requested an unsupported grant type '{grant}'."),
        );
    }
    let from_header = basic(&headers);
    let client_id = field("client_id").or(from_header.as_ref().map(|(id, _)| id.as_str()));
    let secret = field("client_secret").or(from_header.as_ref().map(|(_, s)| s.as_str()));
    let Some(client_id) = client_id else {
        return missing("client_id");
    };
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    if client_id != world.oauth.client_id {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700_016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. \
                 This can happen if the application has not been installed by the administrator of \
                 the tenant or consented to by any user in the tenant. You may have sent your \
                 authentication request to the wrong tenant."
            ),
        );
    }
    // Entra answers a client that failed to authenticate with 401, as RFC 6749 §5.2 allows.
    let Some(secret) = secret else {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    if secret != world.oauth.client_secret {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the \
                 client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        );
    }
    if scope != GRAPH_SCOPE {
        return if scope.split_whitespace().all(|s| s.ends_with("/.default")) {
            entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70_011,
                &format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
                ),
            )
        } else {
            entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1_002_012,
                &format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must \
                     have a scope value with /.default suffixed to the resource identifier \
                     (application ID URI)."
                ),
            )
        };
    }
    let seconds = world.oauth.expires_in.unwrap_or(ENTRA_EXPIRES_IN);
    match issue(&mut world, Provider::Graph, seconds) {
        Some(token) => json_response(
            StatusCode::OK,
            &json!({
                "token_type": "Bearer",
                "expires_in": seconds,
                "ext_expires_in": seconds,
                "access_token": token,
            }),
        ),
        None => entra_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            90_033,
            "A transient error has occurred. Please try again.",
        ),
    }
}

/// A Genesys login error. Genesys' grant page documents the request and the answer, not the
/// errors: the codes are RFC 6749 §5.2's, and the body `{"error", "description",
/// "error_description"}` is what its login host is seen to send (public client code quotes
/// `{"error":"invalid_client","description":"client not found","error_description":"client not
/// found"}`). The descriptions of the other errors are the simulator's.
fn genesys_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = json_response(
        status,
        &json!({ "error": error, "description": description, "error_description": description }),
    );
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6749 §5.2: a 401 to a client that authenticated with a header names the scheme.
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth\""),
        );
    }
    response
}

/// `POST /genesys-login/oauth/token`: the client first (RFC 6749 §3.2.1), then the grant.
async fn genesys(State(app): State<App>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let mut world = app.lock();
    world.stats.token_requests.genesys += 1;
    let Some((client_id, secret)) = basic(&headers) else {
        return genesys_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        );
    };
    if client_id != world.oauth.client_id {
        return genesys_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client not found",
        );
    }
    if secret != world.oauth.client_secret {
        return genesys_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        );
    }
    let fields = form(&headers, &body);
    match fields.get("grant_type").map(String::as_str) {
        None | Some("") => {
            return genesys_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing grant type",
            )
        }
        Some("client_credentials") => {}
        Some(_) => {
            return genesys_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant type not supported",
            )
        }
    }
    let seconds = world.oauth.expires_in.unwrap_or(GENESYS_EXPIRES_IN);
    match issue(&mut world, Provider::Genesys, seconds) {
        Some(token) => json_response(
            StatusCode::OK,
            &json!({ "access_token": token, "token_type": "bearer", "expires_in": seconds }),
        ),
        None => genesys_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "try again",
        ),
    }
}

/// The accepted client without its secret, and each provider's token lifetime.
fn settings_view(world: &World) -> Value {
    let oauth = &world.oauth;
    json!({
        "clientId": oauth.client_id,
        "expiresIn": {
            "entra": oauth.expires_in.unwrap_or(ENTRA_EXPIRES_IN),
            "genesys": oauth.expires_in.unwrap_or(GENESYS_EXPIRES_IN),
        },
    })
}

async fn get_settings(State(app): State<App>) -> Response {
    Json(settings_view(&app.read())).into_response()
}

/// `Some(None)` for an explicit `null`, `None` (by `default`) when the field is absent.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// What `PUT /_sim/oauth` takes; every field is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    /// Seconds for both providers; `null` goes back to each one's default.
    #[serde(default, deserialize_with = "present")]
    expires_in: Option<Option<u64>>,
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// Changes the accepted client; tokens already issued keep their expiry.
async fn set_settings(State(app): State<App>, body: String) -> Response {
    let settings: Settings = match serde_json::from_str(&body) {
        Ok(s) => s,
        Err(e) => {
            return bad(&format!(
                "expected {{\"clientId\"?, \"clientSecret\"?, \"expiresIn\"?: seconds | null}}: {e}"
            ))
        }
    };
    if let Some(id) = &settings.client_id {
        if id.is_empty() || id.contains(':') {
            return bad("clientId must be non-empty and without `:` (HTTP Basic splits on it)");
        }
    }
    if settings
        .client_secret
        .as_ref()
        .is_some_and(String::is_empty)
    {
        return bad("clientSecret must not be empty");
    }
    if let Some(Some(seconds)) = settings.expires_in {
        if seconds > MAX_EXPIRES_IN {
            return bad(&format!("expiresIn is at most {MAX_EXPIRES_IN} seconds"));
        }
    }
    let mut world = app.lock();
    if let Some(id) = settings.client_id {
        world.oauth.client_id = id;
    }
    if let Some(secret) = settings.client_secret {
        world.oauth.client_secret = secret;
    }
    if let Some(expires_in) = settings.expires_in {
        world.oauth.expires_in = expires_in;
    }
    Json(settings_view(&world)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_timestamps_look_like_entra_s() {
        let g = guid();
        assert_eq!(g.len(), 36);
        assert_eq!(g.matches('-').count(), 4);
        let t = entra_timestamp();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.contains(' '), "{t}");
    }

    #[test]
    fn basic_reads_the_client() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic(&headers), None);
        let value = format!("Basic {}", STANDARD.encode("id:se:cret"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(basic(&headers), Some(("id".into(), "se:cret".into())));
    }

    #[test]
    fn only_a_declared_form_is_read() {
        let mut headers = HeaderMap::new();
        assert!(form(&headers, b"grant_type=client_credentials").is_empty());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let fields = form(&headers, b"scope=a%20b&scope=c");
        assert_eq!(fields.get("scope").map(String::as_str), Some("a b"));
    }
}
