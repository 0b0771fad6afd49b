//! Writes: each provider's status writes planned as its documents show them (method, path,
//! body), refused before any request when the service would refuse them, and every documented
//! error read into a typed error with the service's reason.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers", feature = "write"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use presence_widgets::core::{
    Availability, Definition, Genesys, Graph, HttpRequest, HttpResponse, Method, Presence,
    PresenceError, Provider, ProviderKind, Retry, RocketChat, StatusWrite, SuperOffice, UserId,
};
use serde_json::{json, Value};

/// 2026-12-01T10:00:00Z.
const NOW: u64 = 1_796_119_200_000;

fn status(value: &str) -> StatusWrite {
    StatusWrite {
        status: Some(value.into()),
        ..StatusWrite::default()
    }
}

fn body(request: &HttpRequest) -> Value {
    serde_json::from_str(request.body.as_deref().unwrap()).unwrap()
}

fn refusal(result: Result<presence_widgets::core::WritePlan, PresenceError>) -> String {
    match result {
        Err(PresenceError::Config(why)) => why,
        other => panic!("not refused: {other:?}"),
    }
}

fn http(error: PresenceError) -> (u16, Option<String>, Option<String>, Option<Retry>) {
    match error {
        PresenceError::Http {
            status,
            code,
            message,
            retry,
            ..
        } => (status, code, message, retry),
        other => panic!("not an HTTP error: {other:?}"),
    }
}

#[test]
fn graph_offers_the_six_preferred_presences() {
    let g = Graph::new("https://graph.microsoft.com/v1.0");
    let values: Vec<String> = g.choices().into_iter().map(|c| c.value).collect();
    assert_eq!(
        values,
        [
            "Available",
            "Busy",
            "DoNotDisturb",
            "BeRightBack",
            "Away",
            "Offline"
        ]
    );
    assert_eq!(g.write_note(), Some("pickerNoteGraph"));
    assert!(presence_widgets::core::Labels::english()
        .text("pickerNoteGraph")
        .contains("signed in"));
    assert!(!g.message_with_status());
}

#[test]
fn graph_writes_are_the_documented_requests() {
    let g = Graph::new("https://graph.microsoft.com/v1.0");
    let id = UserId::new("fa8bf3dc-eca7-46b7-bad1-db199b62afc3");
    // The document's example: DoNotDisturb for eight hours.
    let mut write = status("DoNotDisturb");
    write.expires_ms = Some(NOW + 8 * 3600 * 1000);
    write.message = Some("Hey I'm currently in a meeting.".into());
    let plan = g.plan_write(&id, &write, NOW).unwrap();
    assert_eq!(plan.requests.len(), 2);
    let set = &plan.requests[0];
    assert_eq!(set.method, Method::Post);
    assert_eq!(
        set.url,
        "https://graph.microsoft.com/v1.0/users/fa8bf3dc-eca7-46b7-bad1-db199b62afc3/presence/setUserPreferredPresence"
    );
    assert_eq!(
        body(set),
        json!({"availability": "DoNotDisturb", "activity": "DoNotDisturb", "expirationDuration": "PT8H"})
    );
    let message = &plan.requests[1];
    assert!(message.url.ends_with("/presence/setStatusMessage"));
    assert_eq!(
        body(message),
        json!({"statusMessage": {
            "message": {"content": "Hey I'm currently in a meeting.", "contentType": "text"},
            "expiryDateTime": {"dateTime": "2026-12-01T18:00:00.000", "timeZone": "UTC"}
        }})
    );
    assert_eq!(
        plan.shows.as_ref().unwrap().availability,
        Availability::DoNotDisturb
    );
    // Offline is Offline/OffWork.
    let off = g.plan_write(&id, &status("Offline"), NOW).unwrap();
    assert_eq!(
        body(&off.requests[0]),
        json!({"availability": "Offline", "activity": "OffWork"})
    );
    // A reset clears the preferred presence: a POST with no body.
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    let plan = g.plan_write(&id, &reset, NOW).unwrap();
    assert_eq!(plan.requests.len(), 1);
    assert_eq!(plan.requests[0].method, Method::Post);
    assert!(plan.requests[0]
        .url
        .ends_with("/presence/clearUserPreferredPresence"));
    assert_eq!(plan.requests[0].body, None);
    assert_eq!(plan.shows, None);
    // Ids are percent-encoded into the path.
    let odd = g
        .plan_write(&UserId::new("a/b?c"), &status("Busy"), NOW)
        .unwrap();
    assert!(odd.requests[0].url.contains("/users/a%2Fb%3Fc/presence/"));
}

#[test]
fn graph_refuses_before_sending_what_it_would_refuse() {
    let g = Graph::new("https://graph.microsoft.com/v1.0");
    let id = UserId::new("u1");
    let why = refusal(g.plan_write(&id, &status("Presenting"), NOW));
    assert!(
        why.contains("`Presenting` is not a status it takes"),
        "{why}"
    );
    assert!(why.contains("DoNotDisturb"), "{why}");
    let mut past = status("Busy");
    past.expires_ms = Some(NOW - 1);
    assert!(refusal(g.plan_write(&id, &past, NOW)).contains("in the past"));
    assert!(refusal(g.plan_write(&id, &StatusWrite::default(), NOW)).contains("nothing to set"));
    // An expiry with nothing for it to end.
    let reset = StatusWrite {
        reset: true,
        expires_ms: Some(NOW + 60_000),
        ..StatusWrite::default()
    };
    assert!(refusal(g.plan_write(&id, &reset, NOW)).contains("give one"));
    assert!(
        refusal(g.plan_write(&UserId::new(".."), &status("Busy"), NOW)).contains("not a user id")
    );
}

#[test]
fn graph_write_errors_name_the_reason() {
    let g = Graph::new("https://graph.microsoft.com/v1.0");
    let plan = g
        .plan_write(&UserId::new("u1"), &status("Busy"), NOW)
        .unwrap();
    let request = &plan.requests[0];
    assert_eq!(g.parse_write(request, &HttpResponse::new(200, "")), Ok(()));
    let forbidden = r#"{"error":{"code":"Forbidden","message":"Insufficient privileges to complete the operation."}}"#;
    assert_eq!(
        http(
            g.parse_write(request, &HttpResponse::new(403, forbidden))
                .unwrap_err()
        ),
        (
            403,
            Some("Forbidden".into()),
            Some("Insufficient privileges to complete the operation.".into()),
            None
        )
    );
    let bad = r#"{"error":{"code":"BadRequest","message":"Invalid availability/activity pair."}}"#;
    assert_eq!(
        http(
            g.parse_write(request, &HttpResponse::new(400, bad))
                .unwrap_err()
        )
        .1,
        Some("BadRequest".into())
    );
    let throttled = HttpResponse::new(
        429,
        include_str!("fixtures/provider-docs/graph-error-429-01.json"),
    )
    .with_header("Retry-After", "7");
    assert_eq!(
        http(g.parse_write(request, &throttled).unwrap_err()).3,
        Some(Retry::After(7000))
    );
    // A read's request is not a write's.
    let read = g.plan_user(&UserId::new("u1")).unwrap();
    assert!(matches!(
        g.parse_write(&read, &HttpResponse::new(200, "")),
        Err(PresenceError::Config(_))
    ));
}

#[test]
fn rocketchat_sets_status_message_and_expiry_in_one_request() {
    let rc = RocketChat::new("https://chat.example.com/");
    let values: Vec<String> = rc.choices().into_iter().map(|c| c.value).collect();
    assert_eq!(values, ["online", "busy", "away", "offline"]);
    let mut write = status("busy");
    write.message = Some("  In a meeting  ".into());
    write.expires_ms = Some(NOW + 3_600_000);
    let plan = rc
        .plan_write(&UserId::new("hhQRH7oXSydoaNfWN"), &write, NOW)
        .unwrap();
    let [request] = plan.requests.as_slice() else {
        panic!("one request");
    };
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.url,
        "https://chat.example.com/api/v1/users.setStatus"
    );
    assert_eq!(
        body(request),
        json!({"userId": "hhQRH7oXSydoaNfWN", "status": "busy", "message": "In a meeting", "expiresAt": "2026-12-01T11:00:00.000Z"})
    );
    // A reset is online; a message alone sends no status.
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    let plan = rc.plan_write(&UserId::new("u"), &reset, NOW).unwrap();
    assert_eq!(
        body(&plan.requests[0]),
        json!({"userId": "u", "status": "online"})
    );
    assert_eq!(plan.shows.unwrap().availability, Availability::Available);
    let message = StatusWrite {
        message: Some(String::new()),
        ..StatusWrite::default()
    };
    let plan = rc.plan_write(&UserId::new("u"), &message, NOW).unwrap();
    assert_eq!(
        body(&plan.requests[0]),
        json!({"userId": "u", "message": ""})
    );
    assert_eq!(plan.shows, None);
    assert!(
        refusal(rc.plan_write(&UserId::new("u"), &status("invisible"), NOW))
            .contains("online, busy, away, offline")
    );
    // `expiresAt` ends the status set with it: not a message alone.
    let expiring = StatusWrite {
        message: Some("Lunch".into()),
        expires_ms: Some(NOW + 60_000),
        ..StatusWrite::default()
    };
    assert!(refusal(rc.plan_write(&UserId::new("u"), &expiring, NOW)).contains("give a status"));
}

#[test]
fn rocketchat_write_answers_and_errors() {
    let rc = RocketChat::new("https://chat.example.com");
    let plan = rc
        .plan_write(&UserId::new("u"), &status("away"), NOW)
        .unwrap();
    let request = &plan.requests[0];
    assert_eq!(
        rc.parse_write(request, &HttpResponse::new(200, r#"{"success": true}"#)),
        Ok(())
    );
    // The document's refusal of a past expiry.
    let invalid = r#"{"success": false, "error": "expiresAt must be a future date [error-invalid-date]", "errorType": "error-invalid-date"}"#;
    assert_eq!(
        http(
            rc.parse_write(request, &HttpResponse::new(400, invalid))
                .unwrap_err()
        ),
        (
            400,
            Some("error-invalid-date".into()),
            Some("expiresAt must be a future date [error-invalid-date]".into()),
            None
        )
    );
    // `success: false` with a 200 is a refusal too.
    let refused = r#"{"success": false, "error": "Change status is not allowed [error-not-allowed]", "errorType": "error-not-allowed"}"#;
    assert_eq!(
        http(
            rc.parse_write(request, &HttpResponse::new(200, refused))
                .unwrap_err()
        )
        .1,
        Some("error-not-allowed".into())
    );
    let forbidden = include_str!("fixtures/own/rocketchat-error-403.json");
    assert_eq!(
        http(
            rc.parse_write(request, &HttpResponse::new(403, forbidden))
                .unwrap_err()
        )
        .2,
        Some("unauthorized".into())
    );
    let throttled = include_str!("fixtures/own/rocketchat-error-429.json");
    assert!(http(
        rc.parse_write(request, &HttpResponse::new(429, throttled))
            .unwrap_err()
    )
    .3
    .is_some());
    assert!(matches!(
        rc.parse_write(request, &HttpResponse::new(200, "{}")),
        Err(PresenceError::Decode { .. })
    ));
}

fn definition(id: &str, system: &str, labels: &[(&str, &str)], deactivated: bool) -> Definition {
    Definition {
        id: id.into(),
        name: None,
        kind: None,
        system_presence: Some(system.into()),
        language_labels: labels
            .iter()
            .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
            .collect(),
        deactivated: Some(deactivated),
        primary: None,
    }
}

fn genesys() -> Genesys {
    let mut g = Genesys::new("https://api.mypurecloud.com").with_language("fr");
    g.learn(&[
        definition(
            "busy-id",
            "BUSY",
            &[("en_US", "Busy"), ("fr", "Occupé")],
            false,
        ),
        definition(
            "avail-id",
            "AVAILABLE",
            &[("en_US", "Available"), ("fr", "Disponible")],
            false,
        ),
        definition(
            "lunch-id",
            "MEAL",
            &[("en_US", "Lunch"), ("fr", "Déjeuner")],
            false,
        ),
        definition("old-id", "AWAY", &[("en_US", "Old away")], true),
        definition("off-id", "OFFLINE", &[("en_US", "Offline")], false),
        definition("idle-id", "IDLE", &[("en_US", "Idle")], false),
    ]);
    g
}

#[test]
fn genesys_offers_the_organisations_active_definitions_in_the_pages_language() {
    let g = genesys();
    let choices: Vec<(String, Option<String>)> = g
        .choices()
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect();
    assert_eq!(
        choices,
        [
            ("avail-id".to_owned(), Some("Disponible".to_owned())),
            ("busy-id".to_owned(), Some("Occupé".to_owned())),
            ("lunch-id".to_owned(), Some("Déjeuner".to_owned())),
        ]
    );
    // Before the definitions are known, nothing can be picked.
    let empty = Genesys::new("https://api.mypurecloud.com");
    assert!(
        refusal(empty.plan_write(&UserId::new("u"), &status("busy-id"), NOW)).contains("none yet")
    );
}

#[test]
fn genesys_patches_the_purecloud_presence_and_puts_in_bulk() {
    let g = genesys();
    let mut write = status("lunch-id");
    write.message = Some("Back at two".into());
    let plan = g.plan_write(&UserId::new("9ed7d9f6"), &write, NOW).unwrap();
    let request = &plan.requests[0];
    assert_eq!(request.method, Method::Patch);
    assert_eq!(
        request.url,
        "https://api.mypurecloud.com/api/v2/users/9ed7d9f6/presences/purecloud"
    );
    assert_eq!(
        body(request),
        json!({"presenceDefinition": {"id": "lunch-id"}, "message": "Back at two"})
    );
    let shows = plan.shows.unwrap();
    assert_eq!(shows.availability, Availability::Away);
    assert_eq!(shows.label.as_deref(), Some("Déjeuner"));
    // A reset is the Available definition.
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    let plan = g.plan_write(&UserId::new("u"), &reset, NOW).unwrap();
    assert_eq!(
        body(&plan.requests[0]),
        json!({"presenceDefinition": {"id": "avail-id"}})
    );
    // Genesys keeps a status until it is changed: an expiry is refused before sending.
    let mut expiring = status("busy-id");
    expiring.expires_ms = Some(NOW + 60_000);
    assert!(refusal(g.plan_write(&UserId::new("u"), &expiring, NOW)).contains("no expiry"));
    // Deactivated, Offline and Idle definitions are not taken.
    for value in ["old-id", "off-id", "idle-id"] {
        assert!(
            refusal(g.plan_write(&UserId::new("u"), &status(value), NOW)).contains("not a status")
        );
    }
    // The bulk write, for a supervisor's tool.
    let bulk = g
        .plan_bulk_write(
            &[
                (UserId::new("a"), status("busy-id")),
                (UserId::new("b"), reset.clone()),
            ],
            NOW,
        )
        .unwrap();
    assert_eq!(bulk.method, Method::Put);
    assert_eq!(
        bulk.url,
        "https://api.mypurecloud.com/api/v2/users/presences/bulk"
    );
    assert_eq!(
        body(&bulk),
        json!([
            {"id": "a", "presenceDefinition": {"id": "busy-id"}},
            {"id": "b", "presenceDefinition": {"id": "avail-id"}}
        ])
    );
    assert_eq!(bulk.ids, [UserId::new("a"), UserId::new("b")]);
    // A source read other than purecloud is the one written.
    let mut teams = Genesys::new("https://api.mypurecloud.com").with_source("microsoftteams");
    teams.learn(&[definition("busy-id", "BUSY", &[("en_US", "Busy")], false)]);
    let plan = teams
        .plan_write(&UserId::new("u"), &status("busy-id"), NOW)
        .unwrap();
    assert!(plan.requests[0]
        .url
        .ends_with("/api/v2/users/u/presences/microsoftteams"));
    let why = match g.plan_bulk_write(&[(UserId::new("c"), status("nope"))], NOW) {
        Err(PresenceError::Config(why)) => why,
        other => panic!("{other:?}"),
    };
    assert!(why.contains("(for `c`)"), "{why}");
}

#[test]
fn genesys_write_errors_name_the_reason() {
    let g = genesys();
    let plan = g
        .plan_write(&UserId::new("u"), &status("busy-id"), NOW)
        .unwrap();
    let request = &plan.requests[0];
    assert_eq!(
        g.parse_write(request, &HttpResponse::new(200, "{}")),
        Ok(())
    );
    let forbidden = r#"{"message":"You are missing the following permission(s): presence:userPresence:edit","code":"missing.any.permissions","status":403}"#;
    assert_eq!(
        http(
            g.parse_write(request, &HttpResponse::new(403, forbidden))
                .unwrap_err()
        ),
        (
            403,
            Some("missing.any.permissions".into()),
            Some("You are missing the following permission(s): presence:userPresence:edit".into()),
            None
        )
    );
    let throttled = include_str!("fixtures/provider-docs/genesys-error-429-01.json");
    assert!(http(
        g.parse_write(request, &HttpResponse::new(429, throttled))
            .unwrap_err()
    )
    .3
    .is_some());
}

#[test]
fn superoffice_offers_present_and_absent_only() {
    let so = SuperOffice::new("https://sod.superoffice.com/Cust12345");
    let values: Vec<String> = so.choices().into_iter().map(|c| c.value).collect();
    assert_eq!(values, ["StatusNormal", "StatusNotAvailable"]);
    // A status alone would clear the message: widgets give the one shown.
    assert!(so.message_with_status());
    let mut write = status("StatusNotAvailable");
    write.message = Some("On leave until Monday".into());
    let plan = so.plan_write(&UserId::new("42"), &write, NOW).unwrap();
    let request = &plan.requests[0];
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.url,
        "https://sod.superoffice.com/Cust12345/api/v1/Agents/User/SetUserPresenceStatus"
    );
    assert_eq!(
        body(request),
        json!({"AssociateId": 42, "UserPresenceStatus": {"Status": "StatusNotAvailable", "Message": "On leave until Monday"}})
    );
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    assert_eq!(
        body(
            &so.plan_write(&UserId::new("42"), &reset, NOW)
                .unwrap()
                .requests[0]
        ),
        json!({"AssociateId": 42, "UserPresenceStatus": {"Status": "StatusNormal", "Message": ""}})
    );
    // The values that change the account itself are never sent.
    for value in [
        "StatusDeleted",
        "StatusReadOnly",
        "StatusSpm",
        "StatusSystem",
        "StatusNone",
    ] {
        assert!(
            refusal(so.plan_write(&UserId::new("42"), &status(value), NOW))
                .contains("not a status")
        );
    }
    let message = StatusWrite {
        message: Some("x".into()),
        ..StatusWrite::default()
    };
    assert!(refusal(so.plan_write(&UserId::new("42"), &message, NOW)).contains("give a status"));
    assert!(
        refusal(so.plan_write(&UserId::new("abc"), &status("StatusNormal"), NOW))
            .contains("not an associate id")
    );
    assert_eq!(
        so.parse_write(
            request,
            &HttpResponse::new(
                200,
                r#"{"Status":"StatusNotAvailable","Message":"On leave until Monday"}"#
            )
        ),
        Ok(())
    );
    let forbidden = r#"{"Error":"Access denied","ErrorType":"SoAccessDeniedException","Message":"Not allowed to update other users"}"#;
    assert_eq!(
        http(
            so.parse_write(request, &HttpResponse::new(403, forbidden))
                .unwrap_err()
        )
        .1,
        Some("SoAccessDeniedException".into())
    );
}

#[test]
fn the_optimistic_presence_is_the_status_picked_and_the_message() {
    let g = genesys();
    let mut write = status("busy-id");
    write.message = Some("Call me later".into());
    let plan = g.plan_write(&UserId::new("u"), &write, NOW).unwrap();
    let mut before = Presence::new(UserId::new("u"), ProviderKind::Genesys, Availability::Away);
    before.idle = true;
    before.message = Some("old".into());
    let shown = plan.apply(&write, &before);
    assert_eq!(shown.availability, Availability::Busy);
    assert_eq!(shown.label, "Occupé");
    assert_eq!(shown.message.as_deref(), Some("Call me later"));
    assert!(!shown.idle);
    // A message cleared is no message.
    let clear = StatusWrite {
        message: Some(String::new()),
        ..StatusWrite::default()
    };
    let plan = g.plan_write(&UserId::new("u"), &clear, NOW).unwrap();
    let shown = plan.apply(&clear, &before);
    assert_eq!(shown.availability, Availability::Away);
    assert_eq!(shown.message, None);
}

#[cfg(feature = "relay")]
#[test]
fn a_source_read_through_the_relay_takes_no_writes() {
    let relay = presence_widgets::core::providers::relay::Relay::new("https://relay.example.com");
    assert!(relay.choices().is_empty());
    let why = refusal(relay.plan_write(&UserId::new("u"), &status("Busy"), NOW));
    assert!(why.contains("takes no status writes"), "{why}");
}
