//! The simulator over loopback: every endpoint's documented body, every auth failure, the batch
//! limits, the rate limits, the faults, the stats and the control surface.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use presence_sim::client::{preflight, request, Answer, Connection};
use presence_sim::{Config, Limits};
use serde_json::{json, Value};

mod common;
use common::{control, get, ids, set};

const GRAPH: &[(&str, &str)] = &[
    ("Authorization", "Bearer graph-token"),
    ("Content-Type", "application/json"),
];
const RC: &[(&str, &str)] = &[
    ("X-User-Id", "caller0000000000"),
    ("X-Auth-Token", "rc-token"),
];
const GEN: &[(&str, &str)] = &[("Authorization", "Bearer genesys-token")];
const SO: &[(&str, &str)] = &[
    ("Authorization", "SOTicket 7T:abc"),
    ("Content-Type", "application/json"),
];

fn still(users: usize) -> Config {
    Config {
        users,
        seed: 42,
        change_every_ms: 0,
        limits: Limits::documented(),
    }
}

async fn sim(users: usize) -> String {
    presence_sim::spawn(still(users)).await.unwrap()
}

async fn post(base: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    request(base, "POST", path, headers, Some(body))
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

// ---------------------------------------------------------------- Graph

#[tokio::test]
async fn graph_get_presences_by_user_id_in_both_versions() {
    let base = sim(20).await;
    let people = ids(&base, "graph").await;
    set(
        &base,
        "graph",
        &people[0],
        json!({"availability": "Busy", "activity": "InAMeeting", "message": "Planning"}),
    )
    .await;
    set(
        &base,
        "graph",
        &people[1],
        json!({"availability": "Away", "activity": "OutOfOffice", "message": "Back Monday"}),
    )
    .await;
    for version in ["v1.0", "beta"] {
        let body = json!({"ids": [people[0], people[1], people[2]]}).to_string();
        let answer = post(
            &base,
            &format!("/graph/{version}/communications/getPresencesByUserId"),
            GRAPH,
            &body,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        let value = answer.json()["value"].clone();
        assert_eq!(value.as_array().unwrap().len(), 3);
        let first = &value[0];
        assert_eq!(
            keys(first),
            [
                "activity",
                "availability",
                "id",
                "outOfOfficeSettings",
                "sequenceNumber",
                "statusMessage",
                "workLocation"
            ]
        );
        assert_eq!(
            (first["availability"].as_str(), first["activity"].as_str()),
            (Some("Busy"), Some("InAMeeting"))
        );
        assert_eq!(first["statusMessage"]["message"]["content"], "Planning");
        assert_eq!(first["statusMessage"]["message"]["contentType"], "text");
        // Another user's status message comes without its dates.
        assert!(first["statusMessage"].get("publishedDateTime").is_none());
        assert_eq!(
            value[1]["outOfOfficeSettings"],
            json!({"isOutOfOffice": true, "message": "Back Monday"})
        );
        assert_eq!(value[1]["activity"], "OutOfOffice");
    }
}

#[tokio::test]
async fn graph_single_presence_reads() {
    let base = sim(5).await;
    let people = ids(&base, "graph").await;
    for path in [
        format!("/graph/v1.0/users/{}/presence", people[3]),
        format!("/graph/beta/communications/presences/{}", people[3]),
    ] {
        let answer = get(&base, &path, GRAPH).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.json()["id"], people[3].as_str());
    }
    let me = get(&base, "/graph/v1.0/me/presence", GRAPH).await;
    assert_eq!(me.json()["id"], people[0].as_str());
    let missing = get(&base, "/graph/v1.0/users/no-such-user/presence", GRAPH).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "itemNotFound");
    assert!(missing.json()["error"]["innerError"]["request-id"].is_string());
}

#[tokio::test]
async fn graph_batch_limit_is_650() {
    let base = sim(3).await;
    let many: Vec<String> = (0..651)
        .map(|i| format!("{i:08}-0000-4000-8000-000000000000"))
        .collect();
    let path = "/graph/v1.0/communications/getPresencesByUserId";
    let ok = post(
        &base,
        path,
        GRAPH,
        &json!({"ids": &many[..650]}).to_string(),
    )
    .await;
    assert_eq!(ok.status, 200);
    let value = ok.json()["value"].clone();
    assert_eq!(value.as_array().unwrap().len(), 650);
    assert_eq!(value[0]["availability"], "PresenceUnknown");
    let over = post(&base, path, GRAPH, &json!({"ids": many}).to_string()).await;
    assert_eq!(over.status, 400);
    assert_eq!(over.json()["error"]["code"], "BadRequest");
    assert!(over.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("650"));
    let not_json = post(
        &base,
        path,
        &[("Authorization", "Bearer t")],
        r#"{"ids":["a"]}"#,
    )
    .await;
    assert_eq!(not_json.status, 415);
}

#[tokio::test]
async fn graph_auth_failures() {
    let base = sim(3).await;
    let path = "/graph/v1.0/communications/getPresencesByUserId";
    for headers in [
        vec![("Content-Type", "application/json")],
        vec![
            ("Authorization", "Basic dGplMDpUamUw"),
            ("Content-Type", "application/json"),
        ],
        vec![
            ("Authorization", "Bearer "),
            ("Content-Type", "application/json"),
        ],
    ] {
        let answer = post(&base, path, &headers, r#"{"ids":["a"]}"#).await;
        assert_eq!(answer.status, 401, "{headers:?}");
        assert_eq!(answer.json()["error"]["code"], "InvalidAuthenticationToken");
    }
    control(
        &base,
        "POST",
        "/_sim/auth/revoke",
        json!({"provider": "graph", "token": "graph-token"}),
    )
    .await;
    assert_eq!(
        post(&base, path, GRAPH, r#"{"ids":["a"]}"#).await.status,
        401
    );
    let other = [
        ("Authorization", "Bearer fresh-token"),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(
        post(&base, path, &other, r#"{"ids":["a"]}"#).await.status,
        200
    );
}

#[tokio::test]
async fn graph_rate_limit_answers_429_with_fractional_retry_after() {
    let base = sim(3).await;
    control(
        &base,
        "PUT",
        "/_sim/limits",
        json!({"graph": {"calls": 3, "window_ms": 30000}}),
    )
    .await;
    let path = "/graph/v1.0/communications/getPresencesByUserId";
    for _ in 0..3 {
        assert_eq!(
            post(&base, path, GRAPH, r#"{"ids":["a"]}"#).await.status,
            200
        );
    }
    let limited = post(&base, path, GRAPH, r#"{"ids":["a"]}"#).await;
    assert_eq!(limited.status, 429);
    let retry = limited.header("retry-after").unwrap();
    let (secs, millis) = retry.split_once('.').unwrap();
    assert!(
        secs.parse::<u64>().unwrap() <= 30 && millis.len() == 3,
        "{retry}"
    );
    let error = &limited.json()["error"];
    assert_eq!(error["code"], "TooManyRequests");
    assert_eq!(error["message"], "Please retry again later.");
    assert_eq!(error["innerError"]["status"], "429");
}

// ---------------------------------------------------------------- Rocket.Chat

const RC_PRESENCE: &str = "/rocketchat/api/v1/users.presence";

async fn rc_users(base: &str, query: &str) -> (Value, Answer) {
    let answer = get(base, &format!("{RC_PRESENCE}{query}"), RC).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (answer.json(), answer)
}

#[tokio::test]
async fn rocketchat_ids_answer_leaves_offline_users_out() {
    let base = sim(10).await;
    control(&base, "PUT", "/_sim/limits", json!({"rocketchat": null})).await;
    let people = ids(&base, "rocketchat").await;
    set(
        &base,
        "rocketchat",
        &people[0],
        json!({"availability": "Available", "message": "In a call"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &people[1],
        json!({"availability": "Offline"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &people[2],
        json!({"availability": "DoNotDisturb"}),
    )
    .await;
    for query in [
        format!("?ids={},{},{}", people[0], people[1], people[2]),
        format!("?ids={}&ids={}&ids={}", people[0], people[1], people[2]),
    ] {
        let (body, _) = rc_users(&base, &query).await;
        assert_eq!(body["full"], false);
        assert_eq!(body["success"], true);
        let users = body["users"].as_array().unwrap();
        let got: Vec<(&str, &str)> = users
            .iter()
            .map(|u| (u["_id"].as_str().unwrap(), u["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [(people[0].as_str(), "online"), (people[2].as_str(), "busy")]
        );
        assert_eq!(
            keys(&users[0]),
            [
                "_id",
                "avatarETag",
                "name",
                "status",
                "statusText",
                "username",
                "utcOffset"
            ]
        );
        assert_eq!(users[0]["statusText"], "In a call");
    }
}

#[tokio::test]
async fn rocketchat_from_gives_deltas_then_full_snapshots() {
    let base = sim(10).await;
    control(&base, "PUT", "/_sim/limits", json!({"rocketchat": null})).await;
    let people = ids(&base, "rocketchat").await;
    let (full, answer) = rc_users(&base, "").await;
    assert_eq!(full["full"], true);
    assert!(full["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["status"] != "offline"));
    let date = answer.header("date").unwrap().to_owned();
    assert!(date.ends_with("GMT"));

    let before = presence_sim::clock::iso(presence_sim::clock::now_ms() - 1);
    set(
        &base,
        "rocketchat",
        &people[4],
        json!({"availability": "Offline"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &people[5],
        json!({"availability": "Busy"}),
    )
    .await;
    let (delta, _) = rc_users(&base, &format!("?from={before}")).await;
    assert_eq!(delta["full"], false);
    let changed: Vec<(&str, &str)> = delta["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["_id"].as_str().unwrap(), u["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changed,
        [
            (people[4].as_str(), "offline"),
            (people[5].as_str(), "busy")
        ]
    );

    // Without seconds, and without a zone: still a delta.
    let minute = &before[..16];
    let (short, _) = rc_users(&base, &format!("?from={minute}")).await;
    assert_eq!(short["full"], false);
    // Older than ten minutes: a full snapshot.
    let old = presence_sim::clock::iso(presence_sim::clock::now_ms() - 11 * 60 * 1000);
    let (snapshot, _) = rc_users(&base, &format!("?from={old}")).await;
    assert_eq!(snapshot["full"], true);
    let bad = get(&base, &format!("{RC_PRESENCE}?from=yesterday"), RC).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["success"], false);
}

#[tokio::test]
async fn rocketchat_single_user_reads() {
    let base = sim(5).await;
    let people = ids(&base, "rocketchat").await;
    set(
        &base,
        "rocketchat",
        &people[1],
        json!({"availability": "Away"}),
    )
    .await;
    let p = get(
        &base,
        &format!("/rocketchat/api/v1/users.getPresence?userId={}", people[1]),
        RC,
    )
    .await
    .json();
    assert_eq!(p, json!({"presence": "away", "success": true}));
    let s = get(
        &base,
        &format!("/rocketchat/api/v1/users.getStatus?userId={}", people[1]),
        RC,
    )
    .await
    .json();
    assert_eq!(
        (
            s["_id"].as_str(),
            s["status"].as_str(),
            s["success"].as_bool()
        ),
        (Some(people[1].as_str()), Some("away"), Some(true))
    );
    let unknown = get(
        &base,
        "/rocketchat/api/v1/users.getPresence?userId=nobody",
        RC,
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["errorType"], "error-invalid-user");
}

#[tokio::test]
async fn rocketchat_auth_failure_has_its_own_shape() {
    let base = sim(3).await;
    for headers in [
        vec![],
        vec![("X-User-Id", "u")],
        vec![("X-Auth-Token", "t")],
    ] {
        let answer = get(&base, RC_PRESENCE, &headers).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.json(),
            json!({"status": "error", "message": "You must be logged in to do this."})
        );
    }
}

#[tokio::test]
async fn rocketchat_rate_limit_is_10_per_endpoint_per_minute() {
    let base = sim(3).await;
    let mut connection = Connection::open(&base).await.unwrap();
    for i in 0..10u32 {
        let answer = connection.send("GET", RC_PRESENCE, RC, None).await.unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(
            answer.header("x-ratelimit-remaining"),
            Some((9 - i).to_string().as_str())
        );
    }
    let limited = connection.send("GET", RC_PRESENCE, RC, None).await.unwrap();
    assert_eq!(limited.status, 429);
    let reset: u64 = limited
        .header("x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    let now = presence_sim::clock::now_ms();
    assert!(
        reset > now && reset <= now + 60_000,
        "reset {reset} is epoch milliseconds"
    );
    assert!(limited.header("retry-after").is_none());
    let error = limited.json()["error"].as_str().unwrap().to_owned();
    assert!(
        error.starts_with("Error, too many requests. Please slow down. You must wait "),
        "{error}"
    );
    assert!(error.ends_with("seconds before trying this endpoint again. [error-too-many-requests]"));
    // Per endpoint: another endpoint is still open.
    let other = connection
        .send("GET", "/rocketchat/api/v1/users.getStatus", RC, None)
        .await
        .unwrap();
    assert_eq!(other.status, 200);
}

// ---------------------------------------------------------------- Genesys

#[tokio::test]
async fn genesys_bulk_takes_both_id_forms_and_at_most_50() {
    let base = sim(60).await;
    let people = ids(&base, "genesys").await;
    set(
        &base,
        "genesys",
        &people[0],
        json!({"availability": "Busy", "activity": "OnQueue", "message": "Calls"}),
    )
    .await;
    let repeated: Vec<String> = people[..3].iter().map(|id| format!("id={id}")).collect();
    for query in [repeated.join("&"), format!("id={}", people[..3].join(","))] {
        let answer = get(
            &base,
            &format!("/genesys/api/v2/users/presences/purecloud/bulk?{query}"),
            GEN,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let list = answer.json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 3);
        let first = &list[0];
        assert_eq!(first["userId"], people[0].as_str());
        assert!(
            first.get("primary").is_none(),
            "UcUserPresence has no primary"
        );
        assert_eq!(first["presenceDefinition"]["systemPresence"], "On Queue");
        assert_eq!(
            first["presenceDefinition"]["id"],
            "e08eaf1b-ee47-4fa9-a231-1200e284798f"
        );
        assert_eq!(first["message"], "Calls");
        assert!(first["modifiedDate"].as_str().unwrap().ends_with('Z'));
    }
    let fifty: Vec<String> = people[..50].iter().map(|id| format!("id={id}")).collect();
    let ok = get(
        &base,
        &format!(
            "/genesys/api/v2/users/presences/purecloud/bulk?{}",
            fifty.join("&")
        ),
        GEN,
    )
    .await;
    assert_eq!(ok.json().as_array().unwrap().len(), 50);
    let over: Vec<String> = people[..51].iter().map(|id| format!("id={id}")).collect();
    let answer = get(
        &base,
        &format!(
            "/genesys/api/v2/users/presences/purecloud/bulk?{}",
            over.join("&")
        ),
        GEN,
    )
    .await;
    assert_eq!(answer.status, 400);
    let body = answer.json();
    assert_eq!(
        keys(&body),
        [
            "code",
            "contextId",
            "details",
            "errors",
            "message",
            "status"
        ]
    );
    assert_eq!(
        (body["code"].as_str(), body["status"].as_u64()),
        (Some("bad.request"), Some(400))
    );
    let teams = get(
        &base,
        &format!(
            "/genesys/api/v2/users/presences/microsoftteams/bulk?id={}",
            people[1]
        ),
        GEN,
    )
    .await;
    assert_eq!(teams.json()[0]["sourceId"], "microsoftteams");
}

#[tokio::test]
async fn genesys_user_presence_per_source() {
    let base = sim(5).await;
    let people = ids(&base, "genesys").await;
    set(
        &base,
        "genesys",
        &people[2],
        json!({"availability": "Available"}),
    )
    .await;
    for source in [
        "purecloud",
        "microsoftteams",
        "zoomphone",
        "3b2e7f5c-8d1a-4c6e-9f0b-2a4d6c8e0f12",
    ] {
        let answer = get(
            &base,
            &format!("/genesys/api/v2/users/{}/presences/{source}", people[2]),
            GEN,
        )
        .await;
        assert_eq!(answer.status, 200, "{source}");
        let body = answer.json();
        assert_eq!(body["presenceDefinition"]["systemPresence"], "Available");
        assert_eq!(
            body["presenceDefinition"]["id"],
            "6a3af858-942f-489d-9700-5f9bcdcdae9b"
        );
        assert!(body["primary"].is_boolean());
    }
    assert_eq!(
        get(
            &base,
            &format!("/genesys/api/v2/users/{}/presences/nosuchsource", people[2]),
            GEN
        )
        .await
        .status,
        404
    );
    let missing = get(
        &base,
        "/genesys/api/v2/users/nobody/presences/purecloud",
        GEN,
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], "not.found");
}

#[tokio::test]
async fn genesys_definitions_new_and_deprecated() {
    let base = sim(3).await;
    let listing = get(&base, "/genesys/api/v2/presence/definitions", GEN)
        .await
        .json();
    assert_eq!(keys(&listing), ["entities", "selfUri", "total"]);
    let entities = listing["entities"].as_array().unwrap();
    assert_eq!(
        listing["total"].as_u64(),
        u64::try_from(entities.len()).ok()
    );
    assert!(entities
        .iter()
        .all(|d| d["type"].is_string() && d.get("primary").is_none() && d["deactivated"] == false));
    assert!(entities
        .iter()
        .any(|d| d["type"] == "User" && d["systemPresence"] == "Meal"));
    let fr = get(
        &base,
        "/genesys/api/v2/presence/definitions?localeCode=fr",
        GEN,
    )
    .await
    .json();
    assert_eq!(
        fr["entities"][0]["languageLabels"],
        json!({"fr": "Disponible"})
    );
    let all = get(
        &base,
        "/genesys/api/v2/presence/definitions?localeCode=ALL",
        GEN,
    )
    .await
    .json();
    assert!(
        all["entities"][0]["languageLabels"]
            .as_object()
            .unwrap()
            .len()
            > 3
    );
    let deactivated = get(
        &base,
        "/genesys/api/v2/presence/definitions?deactivated=TRUE",
        GEN,
    )
    .await
    .json();
    assert_eq!(deactivated["total"], 1);
    let one = get(
        &base,
        "/genesys/api/v2/presence/definitions/6a3af858-942f-489d-9700-5f9bcdcdae9b",
        GEN,
    )
    .await;
    assert_eq!(one.json()["name"], "Available");

    let page1 = get(&base, "/genesys/api/v2/presencedefinitions?pageSize=5", GEN)
        .await
        .json();
    assert_eq!(page1["pageNumber"], 1);
    assert_eq!(page1["pageSize"], 5);
    assert_eq!(page1["entities"].as_array().unwrap().len(), 5);
    assert!(page1["nextUri"].as_str().unwrap().contains("pageNumber=2"));
    assert!(page1.get("previousUri").is_none());
    let first = &page1["entities"][0];
    assert!(first["primary"].is_boolean() && first.get("type").is_none());
    let last_page = page1["pageCount"].as_u64().unwrap();
    let last = get(
        &base,
        &format!("/genesys/api/v2/presencedefinitions?pageSize=5&pageNumber={last_page}"),
        GEN,
    )
    .await
    .json();
    assert!(last.get("nextUri").is_none());
    let total = page1["total"].as_u64().unwrap();
    assert_eq!(Some(total), u64::try_from(entities.len()).ok());
    let deleted = get(
        &base,
        "/genesys/api/v2/presencedefinitions?deleted=ALL",
        GEN,
    )
    .await
    .json();
    assert_eq!(deleted["total"].as_u64(), Some(total + 1));
}

#[tokio::test]
async fn genesys_system_presences_sources_and_primary_source() {
    let base = sim(3).await;
    let system = get(&base, "/genesys/api/v2/systempresences", GEN)
        .await
        .json();
    let names: Vec<&str> = system
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for name in [
        "Available",
        "Away",
        "Busy",
        "Offline",
        "Idle",
        "On Queue",
        "Meal",
        "Training",
        "Meeting",
        "Break",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    let sources = get(&base, "/genesys/api/v2/presence/sources", GEN)
        .await
        .json();
    assert_eq!(keys(&sources), ["entities", "selfUri", "total"]);
    assert_eq!(sources["entities"][0]["id"], "microsoftteams");
    let one = get(&base, "/genesys/api/v2/presence/sources/zoomphone", GEN)
        .await
        .json();
    assert_eq!(one["name"], "Zoom Phone");
    let people = ids(&base, "genesys").await;
    let primary = get(
        &base,
        &format!("/genesys/api/v2/presence/users/{}/primarysource", people[0]),
        GEN,
    )
    .await
    .json();
    assert_eq!(
        keys(&primary),
        ["id", "name", "registered", "selfUri", "sourceId"]
    );
}

#[tokio::test]
async fn genesys_auth_and_rate_limit() {
    let base = sim(3).await;
    let path = "/genesys/api/v2/systempresences";
    let unauthorized = get(&base, path, &[]).await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.json()["status"], 401);
    assert_eq!(unauthorized.json()["code"], "authentication.required");
    control(
        &base,
        "PUT",
        "/_sim/limits",
        json!({"genesys": {"calls": 2, "window_ms": 60000}}),
    )
    .await;
    get(&base, path, GEN).await;
    get(&base, path, GEN).await;
    let limited = get(&base, path, GEN).await;
    assert_eq!(limited.status, 429);
    let seconds: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds));
    let body = limited.json();
    assert_eq!(body["code"], "too.many.requests.retry.after");
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds")
    );
}

// ---------------------------------------------------------------- SuperOffice

const SO_PATH: &str = "/superoffice/api/v1/Agents/User/GetUserPresenceStatus";

#[tokio::test]
async fn superoffice_status_for_each_auth_scheme() {
    let base = sim(5).await;
    let people = ids(&base, "superoffice").await;
    assert!(
        people.iter().all(|id| id.parse::<u32>().is_ok()),
        "{people:?}"
    );
    set(
        &base,
        "superoffice",
        &people[0],
        json!({"availability": "Away", "message": "Dentist"}),
    )
    .await;
    let body = json!({"AssociateId": people[0].parse::<u32>().unwrap()}).to_string();
    for scheme in ["Basic dGplMDpUamUw", "SOTicket 7T:abc", "Bearer 8A:xyz"] {
        let headers = [
            ("Authorization", scheme),
            ("Content-Type", "application/json"),
            ("SO-AppToken", "app"),
        ];
        let answer = post(&base, SO_PATH, &headers, &body).await;
        assert_eq!(answer.status, 200, "{scheme}");
        assert_eq!(
            answer.json(),
            json!({"Status": "StatusNotAvailable", "Message": "Dentist"})
        );
    }
    let selected = post(&base, &format!("{SO_PATH}?$select=Status"), SO, &body)
        .await
        .json();
    assert_eq!(
        selected,
        json!({"Status": "StatusNotAvailable", "Message": null})
    );
    for headers in [
        vec![],
        vec![("Authorization", "Negotiate abc")],
        vec![("Authorization", "Basic ")],
    ] {
        let answer = post(&base, SO_PATH, &headers, &body).await;
        assert_eq!(answer.status, 401, "{headers:?}");
    }
    let xsrf = post(&base, SO_PATH, &[("X-XSRF-TOKEN", "cookie-value")], &body).await;
    assert_eq!(xsrf.status, 200);
    assert_eq!(
        post(&base, SO_PATH, SO, r#"{"AssociateId": 999999}"#)
            .await
            .status,
        404
    );
    assert_eq!(
        post(&base, SO_PATH, SO, r#"{"Associate": 1}"#).await.status,
        400
    );
    for (availability, status) in [
        ("Available", "StatusNormal"),
        ("Offline", "StatusDeleted"),
        ("Unknown", "StatusNone"),
    ] {
        set(
            &base,
            "superoffice",
            &people[0],
            json!({"availability": availability}),
        )
        .await;
        assert_eq!(
            post(&base, SO_PATH, SO, &body).await.json()["Status"],
            status
        );
    }
}

// ---------------------------------------------------------------- control, faults, stats

#[tokio::test]
async fn control_lists_people_and_rejects_bad_changes() {
    let base = sim(7).await;
    for provider in ["graph", "rocketchat", "genesys", "superoffice"] {
        let list = get(&base, &format!("/_sim/users?provider={provider}"), &[])
            .await
            .json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 7);
        assert!(list
            .iter()
            .all(|u| u["id"].is_string() && u["name"].as_str().unwrap().contains(' ')));
    }
    let people = ids(&base, "rocketchat").await;
    assert!(people.iter().all(|id| id.len() == 17));
    let graph = ids(&base, "graph").await;
    assert!(graph
        .iter()
        .all(|id| id.len() == 36 && id.matches('-').count() == 4));
    assert_eq!(
        control(
            &base,
            "PUT",
            "/_sim/users/teams/x",
            json!({"availability": "Busy"})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        control(
            &base,
            "PUT",
            "/_sim/users/graph/nobody",
            json!({"availability": "Busy"})
        )
        .await
        .status,
        404
    );
    let bad = control(
        &base,
        "PUT",
        &format!("/_sim/users/graph/{}", graph[0]),
        json!({"availability": "Sleeping"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(get(&base, "/_sim/users", &[]).await.status, 400);
}

#[tokio::test]
async fn same_seed_same_world() {
    let a = sim(20).await;
    let b = sim(20).await;
    for provider in ["graph", "rocketchat", "genesys"] {
        assert_eq!(ids(&a, provider).await, ids(&b, provider).await);
    }
}

#[tokio::test]
async fn the_world_walks_when_asked() {
    let config = Config {
        change_every_ms: 20,
        ..still(40)
    };
    let base = presence_sim::spawn(config).await.unwrap();
    let first = get(&base, "/_sim/users?provider=graph", &[]).await.json();
    let mut changed = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if get(&base, "/_sim/users?provider=graph", &[]).await.json() != first {
            changed = true;
            break;
        }
    }
    assert!(changed, "nobody changed in two seconds of 20 ms steps");
}

#[tokio::test]
async fn faults_are_injected_per_provider_and_cleared() {
    let base = sim(5).await;
    let people = ids(&base, "graph").await;
    let body = json!({"ids": [people[0]]}).to_string();
    let path = "/graph/v1.0/communications/getPresencesByUserId";
    let fault = |f: Value| control(&base, "POST", "/_sim/faults", f);

    fault(json!({"provider": "graph", "http_500": 1.0})).await;
    let answer = post(&base, path, GRAPH, &body).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json()["error"]["code"], "generalException");
    // Other providers are untouched.
    assert_eq!(
        get(&base, "/genesys/api/v2/systempresences", GEN)
            .await
            .status,
        200
    );

    fault(json!({"provider": "graph", "http_429": 1.0})).await;
    let answer = post(&base, path, GRAPH, &body).await;
    assert_eq!(
        (answer.status, answer.header("retry-after")),
        (429, Some("2.000"))
    );

    fault(json!({"provider": "graph", "truncated": 1.0})).await;
    let answer = post(&base, path, GRAPH, &body).await;
    assert_eq!(answer.status, 200);
    assert!(
        serde_json::from_str::<Value>(&answer.body).is_err(),
        "{}",
        answer.body
    );
    assert!(answer.body.starts_with("{\"value\":["));

    fault(json!({"provider": "graph", "non_json": 1.0})).await;
    let answer = post(&base, path, GRAPH, &body).await;
    assert_eq!(answer.status, 200);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(answer.body.starts_with("<!DOCTYPE html>"));

    fault(json!({"provider": "graph", "drop": 1.0})).await;
    let dropped = request(&base, "POST", path, GRAPH, Some(&body)).await;
    assert!(dropped.is_err(), "{dropped:?}");

    fault(json!({"provider": "all", "latency_ms": 150})).await;
    let started = std::time::Instant::now();
    assert_eq!(
        get(&base, "/genesys/api/v2/systempresences", GEN)
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));

    assert_eq!(
        request(&base, "DELETE", "/_sim/faults", &[], None)
            .await
            .unwrap()
            .status,
        204
    );
    assert_eq!(post(&base, path, GRAPH, &body).await.status, 200);
    assert_eq!(
        fault(json!({"provider": "graph", "http_500": 2.0}))
            .await
            .status,
        400
    );
    assert_eq!(fault(json!({"provider": "teams"})).await.status, 404);
}

#[tokio::test]
async fn stats_count_requests_ids_and_statuses_and_reset() {
    let base = sim(5).await;
    let people = ids(&base, "graph").await;
    let path = "/graph/v1.0/communications/getPresencesByUserId";
    post(&base, path, GRAPH, &json!({"ids": people}).to_string()).await;
    post(&base, path, GRAPH, &json!({"ids": [people[0]]}).to_string()).await;
    post(&base, path, &[], "{}").await;
    get(&base, RC_PRESENCE, RC).await;
    get(&base, &format!("{RC_PRESENCE}?ids=a,b"), RC).await;
    // A preflight is answered with CORS headers and not counted.
    let preflight = preflight(
        &base,
        path,
        "http://localhost:5173",
        "POST",
        "authorization,content-type",
    )
    .await
    .unwrap();
    assert!((200..300).contains(&preflight.status));
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    let stats = get(&base, "/_sim/stats", &[]).await.json();
    assert_eq!(stats["total"], 5);
    let graph = &stats["providers"]["graph"]["getPresencesByUserId"];
    assert_eq!(graph["requests"], 3);
    assert_eq!(graph["ids"], 6);
    assert_eq!(graph["statuses"], json!({"200": 2, "401": 1}));
    assert_eq!(
        stats["providers"]["rocketchat"]["users.presence"]["requests"],
        1
    );
    // Rocket.Chat's read is counted by form, ids and from apart.
    assert_eq!(
        stats["providers"]["rocketchat"]["users.presence?ids"]["requests"],
        1
    );
    assert_eq!(
        stats["providers"]["rocketchat"]["users.presence?ids"]["ids"],
        2
    );
    let reset = post(&base, "/_sim/stats/reset", &[], "").await.json();
    assert_eq!(reset["total"], 0);
    assert_eq!(
        get(&base, "/_sim/stats", &[]).await.json()["providers"],
        json!({})
    );
}

/// The comma-separated names of a CORS header, in lower case.
fn listed(answer: &Answer, name: &str) -> Vec<String> {
    answer
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", answer.headers))
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect()
}

/// What the widgets send, by provider, in one preflight.
const WIDGET_HEADERS: &str = "authorization,x-user-id,x-auth-token,so-apptoken,content-type,accept";

#[tokio::test]
async fn cors_preflight_from_any_origin_allows_the_widgets_headers() {
    let base = sim(5).await;
    for origin in [
        "http://localhost:5173",
        "https://intranet.example.test",
        "null",
    ] {
        for (method, path) in [
            ("POST", "/graph/v1.0/communications/getPresencesByUserId"),
            ("GET", RC_PRESENCE),
            ("GET", "/genesys/api/v2/users/presences/purecloud/bulk"),
            ("POST", SO_PATH),
        ] {
            let preflight = preflight(&base, path, origin, method, WIDGET_HEADERS)
                .await
                .unwrap();
            assert!(
                (200..300).contains(&preflight.status),
                "{origin} {path}: {}",
                preflight.status
            );
            assert_eq!(
                preflight.header("access-control-allow-origin"),
                Some(origin)
            );
            // Pages that send cookies (a SuperOffice session) are let in too.
            assert_eq!(
                preflight.header("access-control-allow-credentials"),
                Some("true")
            );
            let methods = listed(&preflight, "access-control-allow-methods");
            assert!(
                methods.contains(&method.to_ascii_lowercase()),
                "{methods:?}"
            );
            let allowed = listed(&preflight, "access-control-allow-headers");
            for wanted in WIDGET_HEADERS.split(',') {
                assert!(
                    allowed.iter().any(|a| a == wanted),
                    "{wanted} in {allowed:?}"
                );
            }
            assert!(listed(&preflight, "vary").contains(&"origin".to_owned()));
            assert_eq!(preflight.header("access-control-max-age"), Some("600"));
        }
    }
    // Answered by the CORS layer: no handler saw them.
    assert_eq!(get(&base, "/_sim/stats", &[]).await.json()["total"], 0);
}

#[tokio::test]
async fn cors_answers_expose_the_headers_the_widgets_read() {
    let base = sim(5).await;
    let origin = "http://localhost:5173";
    let exposed = [
        "retry-after",
        "date",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "inin-correlation-id",
    ];
    let from = |headers: &[(&'static str, &'static str)]| {
        let mut h = headers.to_vec();
        h.push(("Origin", origin));
        h
    };
    let ok = get(&base, &format!("{RC_PRESENCE}?ids=a"), &from(RC)).await;
    let refused = get(&base, RC_PRESENCE, &from(&[])).await;
    assert_eq!(ok.status, 200);
    assert_eq!(refused.status, 401);
    for answer in [&ok, &refused] {
        assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            answer.header("access-control-allow-credentials"),
            Some("true")
        );
        let listed = listed(answer, "access-control-expose-headers");
        for name in exposed {
            assert!(listed.iter().any(|l| l == name), "{name} in {listed:?}");
        }
        assert!(answer.header("date").is_some());
    }
    // What is exposed is there to read.
    assert!(ok.header("x-ratelimit-reset").is_some());
    let gen = get(&base, "/genesys/api/v2/presence/sources", &from(GEN)).await;
    assert_eq!(gen.header("access-control-allow-origin"), Some(origin));
    assert_eq!(gen.header("inin-correlation-id"), Some("sim-correlation"));
}

#[tokio::test]
async fn ten_thousand_people_per_provider() {
    let base = sim(10_000).await;
    for provider in ["graph", "rocketchat", "genesys", "superoffice"] {
        let people = ids(&base, provider).await;
        assert_eq!(people.len(), 10_000);
        let unique: std::collections::HashSet<&String> = people.iter().collect();
        assert_eq!(unique.len(), 10_000, "{provider}");
    }
}

#[tokio::test]
async fn root_lists_the_endpoints_without_a_site() {
    let base = sim(1).await;
    let page = get(&base, "/", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("getPresencesByUserId") && page.body.contains("/_sim/faults"));
}

#[tokio::test]
async fn the_site_says_where_the_demo_relay_is() {
    let base = sim(10).await;
    let site = get(&base, "/_sim/site", &[]).await;
    assert_eq!(site.json(), json!({ "relay": null }));
    let set = control(
        &base,
        "PUT",
        "/_sim/site",
        json!({ "relay": "http://127.0.0.1:8090" }),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        get(&base, "/_sim/site", &[]).await.json()["relay"],
        "http://127.0.0.1:8090"
    );
    let bad = control(
        &base,
        "PUT",
        "/_sim/site",
        json!({ "relay": "javascript:alert(1)" }),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        get(&base, "/_sim/site", &[]).await.json()["relay"],
        "http://127.0.0.1:8090"
    );
}
