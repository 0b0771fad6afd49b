//! The OIDC issuer under `/_sim/oidc` and the client-credentials token endpoints over loopback:
//! discovery and JWKS, minted tokens checked with `jsonwebtoken` against the served keys, Entra's
//! and Genesys' token answers and documented refusals, issued tokens expiring at the provider
//! APIs, the client settings and the counts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use presence_sim::client::{request, Answer};
use presence_sim::{Config, Limits};
use serde_json::{json, Value};

mod common;
use common::{control, get};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const ENTRA: &str = "/entra/contoso.onmicrosoft.com/oauth2/v2.0/token";
const GENESYS: &str = "/genesys-login/oauth/token";
const GOOD_ENTRA: &str = "client_id=presence-relay&client_secret=sim-secret\
                          &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials";
const WAIT: Duration = Duration::from_secs(10);

async fn sim() -> String {
    presence_sim::spawn(Config {
        users: 5,
        seed: 9,
        change_every_ms: 0,
        limits: Limits::documented(),
    })
    .await
    .unwrap()
}

async fn mint(base: &str, body: Value) -> String {
    let answer = control(base, "POST", "/_sim/oidc/mint", body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["token"].as_str().unwrap().to_owned()
}

fn issuer(base: &str) -> String {
    format!("{base}/_sim/oidc")
}

/// The served JWKS's one key, and validation of everything a relay checks.
async fn checker(base: &str) -> (DecodingKey, Validation) {
    let jwks: JwkSet = serde_json::from_str(&get(base, "/_sim/oidc/jwks", &[]).await.body).unwrap();
    let jwk = jwks.find("sim-1").unwrap();
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer(base)]);
    validation.set_audience(&["presence-relay"]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    (key, validation)
}

async fn entra(base: &str, body: &str) -> Answer {
    request(base, "POST", ENTRA, &[FORM], Some(body))
        .await
        .unwrap()
}

async fn genesys(base: &str, id: &str, secret: &str, body: &str) -> Answer {
    let basic = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
    request(
        base,
        "POST",
        GENESYS,
        &[FORM, ("Authorization", &basic)],
        Some(body),
    )
    .await
    .unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// Entra's documented error answer, with its AADSTS code and the description's tail.
fn assert_entra_error(answer: &Answer, status: u16, error: &str, code: u64) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body = answer.json();
    assert_eq!(
        keys(&body),
        [
            "correlation_id",
            "error",
            "error_codes",
            "error_description",
            "timestamp",
            "trace_id"
        ]
    );
    assert_eq!(body["error"], error);
    assert_eq!(body["error_codes"], json!([code]));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    let trace = body["trace_id"].as_str().unwrap();
    assert_eq!(trace.len(), 36);
    assert!(description.contains(&format!("\r\nTrace ID: {trace}\r\n")));
    let timestamp = body["timestamp"].as_str().unwrap();
    assert!(description.ends_with(&format!("Timestamp: {timestamp}")));
    assert_eq!(timestamp.len(), "2016-01-09 02:02:12Z".len(), "{timestamp}");
}

fn assert_genesys_error(answer: &Answer, status: u16, error: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body = answer.json();
    assert_eq!(keys(&body), ["description", "error", "error_description"]);
    assert_eq!(body["error"], error);
}

// ---------------------------------------------------------------- the OIDC issuer

#[tokio::test]
async fn discovery_and_jwks_name_the_issuer_by_the_host() {
    let base = sim().await;
    let answer = get(&base, "/_sim/oidc/.well-known/openid-configuration", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let doc = answer.json();
    let iss = issuer(&base);
    assert_eq!(doc["issuer"], iss.as_str());
    assert_eq!(doc["jwks_uri"], format!("{iss}/jwks"));
    assert_eq!(doc["token_endpoint"], format!("{iss}/token"));
    assert_eq!(doc["response_types_supported"], json!(["token"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    // The host the caller used, whatever it is.
    let by_name = base.replace("127.0.0.1", "localhost");
    let other = get(&by_name, "/_sim/oidc/.well-known/openid-configuration", &[]).await;
    assert_eq!(other.json()["issuer"], format!("{by_name}/_sim/oidc"));

    let jwks = get(
        &base,
        "/_sim/oidc/jwks",
        &[("Origin", "http://localhost:5173")],
    )
    .await;
    assert_eq!(jwks.status, 200);
    assert_eq!(
        jwks.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let set = jwks.json();
    let all = set["keys"].as_array().unwrap();
    assert_eq!(all.len(), 1);
    let key = &all[0];
    assert_eq!(keys(key), ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(
        (
            &key["kty"],
            &key["crv"],
            &key["kid"],
            &key["use"],
            &key["alg"]
        ),
        (
            &json!("OKP"),
            &json!("Ed25519"),
            &json!("sim-1"),
            &json!("sig"),
            &json!("EdDSA")
        )
    );
    let x = key["x"].as_str().unwrap();
    assert_eq!(x.len(), 43, "32 bytes, base64url without padding: {x}");
    assert!(!x.contains(['=', '+', '/']));
}

#[tokio::test]
async fn a_minted_token_verifies_against_the_served_jwks() {
    let base = sim().await;
    let answer = control(
        &base,
        "POST",
        "/_sim/oidc/mint",
        json!({
            "sub": "alice",
            "claims": {"tid": "tenant-1", "groups": ["sales", "support"], "roles": ["Viewer"]},
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(keys(&body), ["expiresAt", "token"]);
    let token = body["token"].as_str().unwrap();

    let header = decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some("sim-1"));

    let (key, validation) = checker(&base).await;
    let claims = decode::<Value>(token, &key, &validation).unwrap().claims;
    assert_eq!(claims["iss"], issuer(&base).as_str());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "presence-relay");
    assert_eq!(claims["exp"], body["expiresAt"]);
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"].as_i64(), Some(iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
    assert_eq!(claims["tid"], "tenant-1");
    assert_eq!(claims["groups"], json!(["sales", "support"]));
    assert_eq!(claims["roles"], json!(["Viewer"]));

    // Audience and issuer as asked: a relay expecting the defaults refuses them.
    let other = mint(
        &base,
        json!({"sub": "bob", "aud": "someone-else", "issuer": "https://login.example/v2.0"}),
    )
    .await;
    let refused = decode::<Value>(&other, &key, &validation).unwrap_err();
    assert!(
        matches!(
            refused.kind(),
            ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer
        ),
        "{refused:?}"
    );
    let mut theirs = validation.clone();
    theirs.set_audience(&["someone-else"]);
    theirs.set_issuer(&["https://login.example/v2.0"]);
    let claims = decode::<Value>(&other, &key, &theirs).unwrap().claims;
    assert_eq!(claims["sub"], "bob");
}

#[tokio::test]
async fn an_expired_mint_fails_validation() {
    let base = sim().await;
    let (key, mut validation) = checker(&base).await;
    let long_gone = mint(&base, json!({"sub": "alice", "expiresIn": -3600})).await;
    let error = decode::<Value>(&long_gone, &key, &validation).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::ExpiredSignature);
    // Expired a second ago: refused without leeway (jsonwebtoken takes `exp` equal to now).
    validation.leeway = 0;
    let now = mint(&base, json!({"sub": "alice", "expiresIn": -1})).await;
    let error = decode::<Value>(&now, &key, &validation).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::ExpiredSignature);
}

#[tokio::test]
async fn a_foreign_key_token_fails_the_signature() {
    let base = sim().await;
    let (key, validation) = checker(&base).await;
    let forged = mint(&base, json!({"sub": "mallory", "foreignKey": true})).await;
    assert_eq!(
        decode_header(&forged).unwrap().kid.as_deref(),
        Some("sim-1")
    );
    let error = decode::<Value>(&forged, &key, &validation).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidSignature);
}

#[tokio::test]
async fn mint_refuses_bad_bodies_naming_the_field() {
    let base = sim().await;
    for (body, field) in [
        (json!({}), "sub"),
        (json!({"sub": ""}), "sub"),
        (json!({"sub": "a", "aud": 7}), "aud"),
        (json!({"sub": "a", "expiresIn": "soon"}), "expiresIn"),
        (json!({"sub": "a", "claims": ["tid"]}), "claims"),
        (json!({"sub": "a", "claims": {"exp": 1}}), "claims.exp"),
        (json!({"sub": "a", "foreignKey": "yes"}), "foreignKey"),
        (json!({"sub": "a", "expires_in": 5}), "expires_in"),
    ] {
        let answer = control(&base, "POST", "/_sim/oidc/mint", body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        let message = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(message.contains(field), "{body}: {message}");
    }
    let answer = request(&base, "POST", "/_sim/oidc/mint", &[], Some("not json"))
        .await
        .unwrap();
    assert_eq!(answer.status, 400);
    assert!(answer.json()["error"].is_string());
}

// ---------------------------------------------------------------- Entra

#[tokio::test]
async fn entra_issues_graph_tokens_as_documented() {
    let base = sim().await;
    let answer = entra(&base, GOOD_ENTRA).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let body = answer.json();
    assert_eq!(
        keys(&body),
        ["access_token", "expires_in", "ext_expires_in", "token_type"]
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    // Two requests, two tokens; the client may also authenticate with HTTP Basic.
    let basic = format!("Basic {}", STANDARD.encode("presence-relay:sim-secret"));
    let again = request(
        &base,
        "POST",
        ENTRA,
        &[FORM, ("Authorization", &basic)],
        Some("scope=https://graph.microsoft.com/.default&grant_type=client_credentials"),
    )
    .await
    .unwrap();
    assert_eq!(again.status, 200, "{}", again.body);
    assert_ne!(again.json()["access_token"], token);
}

#[tokio::test]
async fn entra_refuses_as_documented() {
    let base = sim().await;
    let graph = "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
    let cases = [
        // (body, status, error, AADSTS code)
        (
            format!("client_id=presence-relay&client_secret=sim-secret&{graph}"),
            400,
            "invalid_request",
            900_144,
        ),
        (
            format!("client_id=presence-relay&client_secret=sim-secret&{graph}&grant_type=password"),
            400,
            "unsupported_grant_type",
            70_003,
        ),
        (
            format!("client_secret=sim-secret&{graph}&grant_type=client_credentials"),
            400,
            "invalid_request",
            900_144,
        ),
        (
            "client_id=presence-relay&client_secret=sim-secret&grant_type=client_credentials"
                .to_owned(),
            400,
            "invalid_request",
            900_144,
        ),
        (
            format!("client_id=someone&client_secret=sim-secret&{graph}&grant_type=client_credentials"),
            400,
            "unauthorized_client",
            700_016,
        ),
        (
            format!("client_id=presence-relay&{graph}&grant_type=client_credentials"),
            401,
            "invalid_client",
            7_000_218,
        ),
        (
            format!("client_id=presence-relay&client_secret=wrong&{graph}&grant_type=client_credentials"),
            401,
            "invalid_client",
            7_000_215,
        ),
        (
            "client_id=presence-relay&client_secret=sim-secret&scope=Presence.Read.All&grant_type=client_credentials"
                .to_owned(),
            400,
            "invalid_scope",
            1_002_012,
        ),
        (
            "client_id=presence-relay&client_secret=sim-secret&scope=https://foo.microsoft.com/.default&grant_type=client_credentials"
                .to_owned(),
            400,
            "invalid_scope",
            70_011,
        ),
    ];
    for (body, status, error, code) in cases {
        let answer = entra(&base, &body).await;
        assert_entra_error(&answer, status, error, code);
    }
    // The secret is never echoed back.
    let answer = entra(
        &base,
        &format!(
            "client_id=presence-relay&client_secret=hunter2&{graph}&grant_type=client_credentials"
        ),
    )
    .await;
    assert!(!answer.body.contains("hunter2"));
    // A JSON body is not the form the endpoint reads.
    let json_body = request(
        &base,
        "POST",
        ENTRA,
        &[("Content-Type", "application/json")],
        Some(r#"{"grant_type":"client_credentials"}"#),
    )
    .await
    .unwrap();
    assert_entra_error(&json_body, 400, "invalid_request", 900_144);
    assert!(json_body.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("'grant_type'"));
}

// ---------------------------------------------------------------- Genesys

#[tokio::test]
async fn genesys_login_issues_tokens_and_refuses_as_documented() {
    let base = sim().await;
    let answer = genesys(
        &base,
        "presence-relay",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let body = answer.json();
    assert_eq!(keys(&body), ["access_token", "expires_in", "token_type"]);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86399);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);

    let wrong = genesys(
        &base,
        "presence-relay",
        "wrong",
        "grant_type=client_credentials",
    )
    .await;
    assert_genesys_error(&wrong, 401, "invalid_client");
    assert!(wrong
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    assert!(!wrong.body.contains("wrong"));
    let unknown = genesys(
        &base,
        "someone",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await;
    assert_genesys_error(&unknown, 401, "invalid_client");
    assert_eq!(unknown.json()["description"], "client not found");
    let grant = genesys(&base, "presence-relay", "sim-secret", "grant_type=password").await;
    assert_genesys_error(&grant, 400, "unsupported_grant_type");
    let none = genesys(&base, "presence-relay", "sim-secret", "").await;
    assert_genesys_error(&none, 400, "invalid_request");
    // The client goes in the Basic header, not in the form.
    let in_form = request(
        &base,
        "POST",
        GENESYS,
        &[FORM],
        Some("grant_type=client_credentials&client_id=presence-relay&client_secret=sim-secret"),
    )
    .await
    .unwrap();
    assert_genesys_error(&in_form, 401, "invalid_client");
}

// ---------------------------------------------------------------- settings, expiry, counts

#[tokio::test]
async fn oauth_settings_change_the_client_and_never_show_the_secret() {
    let base = sim().await;
    let shown = get(&base, "/_sim/oauth", &[]).await;
    assert_eq!(
        shown.json(),
        json!({"clientId": "presence-relay", "expiresIn": {"entra": 3599, "genesys": 86399}})
    );
    assert!(!shown.body.contains("sim-secret"));
    let changed = control(
        &base,
        "PUT",
        "/_sim/oauth",
        json!({"clientId": "relay-2", "clientSecret": "s2", "expiresIn": 60}),
    )
    .await;
    assert_eq!(
        changed.json(),
        json!({"clientId": "relay-2", "expiresIn": {"entra": 60, "genesys": 60}})
    );
    assert!(!changed.body.contains("s2\""));
    let old = genesys(
        &base,
        "presence-relay",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(old.status, 401);
    let new = genesys(&base, "relay-2", "s2", "grant_type=client_credentials").await;
    assert_eq!(new.json()["expires_in"], 60);
    let entra_new = entra(
        &base,
        "client_id=relay-2&client_secret=s2&scope=https://graph.microsoft.com/.default&grant_type=client_credentials",
    )
    .await;
    assert_eq!(entra_new.json()["expires_in"], 60);
    // `null` goes back to each provider's own lifetime; absent fields stay.
    let reset = control(&base, "PUT", "/_sim/oauth", json!({"expiresIn": null})).await;
    assert_eq!(
        reset.json(),
        json!({"clientId": "relay-2", "expiresIn": {"entra": 3599, "genesys": 86399}})
    );
    for (body, field) in [
        (json!({"clientId": ""}), "clientId"),
        (json!({"clientSecret": ""}), "clientSecret"),
        (json!({"expiresIn": -1}), "expiresIn"),
        (json!({"client_id": "x"}), "client_id"),
    ] {
        let answer = control(&base, "PUT", "/_sim/oauth", body.clone()).await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            answer.json()["error"].as_str().unwrap().contains(field),
            "{body}: {}",
            answer.body
        );
    }
}

/// Asks `path` with `token` until it is refused, and returns how long that took.
async fn refused_after(base: &str, path: &str, token: &str) -> (Duration, Answer) {
    let started = tokio::time::Instant::now();
    let bearer = format!("Bearer {token}");
    loop {
        let answer = get(base, path, &[("Authorization", &bearer)]).await;
        if answer.status == 401 {
            return (started.elapsed(), answer);
        }
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(started.elapsed() < WAIT, "{path} never refused the token");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_issued_token_works_until_it_expires() {
    let base = sim().await;
    let graph_id = presence_sim::client::user_ids(&base, "graph")
        .await
        .unwrap()[0]
        .clone();
    let genesys_id = presence_sim::client::user_ids(&base, "genesys")
        .await
        .unwrap()[0]
        .clone();
    let graph_path = format!("/graph/v1.0/users/{graph_id}/presence");
    let genesys_path = format!("/genesys/api/v2/users/{genesys_id}/presences/purecloud");
    let set = control(&base, "PUT", "/_sim/oauth", json!({"expiresIn": 1})).await;
    assert_eq!(set.status, 200, "{}", set.body);

    let issued = tokio::time::Instant::now();
    let graph_token = entra(&base, GOOD_ENTRA).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let genesys_token = genesys(
        &base,
        "presence-relay",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        issued.elapsed() < Duration::from_millis(900),
        "too slow to test a 1 s token"
    );

    let (took, refused) = refused_after(&base, &graph_path, &graph_token).await;
    assert!(took >= Duration::from_millis(800), "refused after {took:?}");
    assert_eq!(
        refused.json()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    let (_, refused) = refused_after(&base, &genesys_path, &genesys_token).await;
    assert_eq!(refused.json()["code"], "authentication.required");
    assert_eq!(refused.json()["status"], 401);
    assert!(issued.elapsed() >= Duration::from_secs(1));

    // A token the simulator did not issue still works, and so does a Graph token at Genesys'.
    let other = get(&base, &graph_path, &[("Authorization", "Bearer any-token")]).await;
    assert_eq!(other.status, 200, "{}", other.body);
    let crossed = get(
        &base,
        &genesys_path,
        &[("Authorization", &format!("Bearer {graph_token}"))],
    )
    .await;
    assert_eq!(crossed.status, 200, "{}", crossed.body);
}

#[tokio::test]
async fn token_requests_are_counted_per_provider_and_reset() {
    let base = sim().await;
    entra(&base, GOOD_ENTRA).await;
    entra(&base, "grant_type=password").await;
    genesys(
        &base,
        "presence-relay",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await;
    genesys(
        &base,
        "presence-relay",
        "wrong",
        "grant_type=client_credentials",
    )
    .await;
    genesys(
        &base,
        "presence-relay",
        "sim-secret",
        "grant_type=client_credentials",
    )
    .await;
    let stats = get(&base, "/_sim/stats", &[]).await.json();
    assert_eq!(stats["tokenRequests"], json!({"graph": 2, "genesys": 3}));
    // Not presence requests.
    assert_eq!(stats["total"], 0);
    assert_eq!(stats["providers"], json!({}));
    let reset = request(&base, "POST", "/_sim/stats/reset", &[], Some(""))
        .await
        .unwrap()
        .json();
    assert_eq!(reset["tokenRequests"], json!({"graph": 0, "genesys": 0}));
}

#[tokio::test]
async fn the_endpoint_page_lists_the_new_routes() {
    let base = sim().await;
    let page = get(&base, "/_sim/", &[]).await.body;
    for route in [
        "/_sim/oidc/.well-known/openid-configuration",
        "/_sim/oidc/jwks",
        "/_sim/oidc/mint",
        "/entra/{tenant}/oauth2/v2.0/token",
        "/genesys-login/oauth/token",
        "/_sim/oauth",
    ] {
        assert!(page.contains(route), "{route} is not on the page");
    }
}
