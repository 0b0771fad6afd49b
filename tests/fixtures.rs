//! Every documented answer in `tests/fixtures/provider-docs` (copied from `shared/fixtures`) and
//! every answer of our own in `tests/fixtures/own`, parsed and checked against the presences a
//! user would see.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use presence_widgets::core::providers::rocketchat;
use presence_widgets::core::{
    Adapter, Catalog, Cursor, Genesys, Graph, HttpRequest, HttpResponse, Presence, PresenceError,
    Provider, ProviderKind, Retry, RocketChat, SuperOffice, UserId,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ids(list: &[&str]) -> Vec<UserId> {
    list.iter().map(|id| UserId::new(*id)).collect()
}

/// What a person sees of a presence: user, availability, activity, message, out of office, idle.
type Seen = (String, String, Option<String>, Option<String>, bool, bool);

fn seen(p: &Presence) -> Seen {
    (
        p.user.to_string(),
        p.availability.to_string(),
        p.activity.as_ref().map(|a| a.name().to_owned()),
        p.message.clone(),
        p.out_of_office,
        p.idle,
    )
}

fn row(
    user: &str,
    availability: &str,
    activity: Option<&str>,
    message: Option<&str>,
    oof: bool,
    idle: bool,
) -> Seen {
    (
        user.into(),
        availability.into(),
        activity.map(Into::into),
        message.map(Into::into),
        oof,
        idle,
    )
}

fn all_seen(presences: &[Presence]) -> Vec<Seen> {
    presences.iter().map(seen).collect()
}

const FA8: &str = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3";
const S668: &str = "66825e03-7ef5-42da-9069-724602c31f6b";
const DC7: &str = "dc74d9bb-6afe-433d-8eaa-e39d80d3a647";

fn graph() -> Graph {
    Graph::new("https://graph.microsoft.com/v1.0")
}

fn graph_bulk(file: &str, asked: &[&str]) -> Result<Vec<Seen>, PresenceError> {
    let g = graph();
    let plan = g.plan(&ids(asked), None);
    let update = g.parse(&plan.requests[0], &HttpResponse::new(200, fixture(file)))?;
    Ok(all_seen(&update.presences))
}

fn graph_single(file: &str, user: &str) -> Result<Vec<Presence>, PresenceError> {
    let g = graph();
    let request = g.plan_user(&user.into())?;
    Ok(g.parse(&request, &HttpResponse::new(200, fixture(file)))?
        .presences)
}

#[test]
fn graph_get_presences_by_user_id_v1_and_beta() {
    let asked = [FA8, S668];
    let expected = vec![
        row(FA8, "Busy", Some("InAMeeting"), None, false, false),
        row(S668, "Away", None, None, false, false),
    ];
    assert_eq!(
        graph_bulk(
            "provider-docs/graph-getpresencesbyuserid-v1-01.json",
            &asked
        )
        .unwrap(),
        expected
    );
    assert_eq!(
        graph_bulk(
            "provider-docs/graph-getpresencesbyuserid-v1-02.json",
            &asked
        )
        .unwrap(),
        expected
    );
    // The beta example has the second person out of office.
    let beta = graph_bulk(
        "provider-docs/graph-getpresencesbyuserid-beta-01.json",
        &asked,
    )
    .unwrap();
    assert_eq!(beta[0], expected[0]);
    assert_eq!(beta[1], row(S668, "Away", None, None, true, false));
}

#[test]
fn graph_single_presence_every_documented_example() {
    let cases = [
        (
            "graph-presence-get-v1-01.json",
            FA8,
            row(FA8, "Available", None, None, false, false),
        ),
        (
            "graph-presence-get-v1-02.json",
            S668,
            row(S668, "DoNotDisturb", Some("Presenting"), None, false, false),
        ),
        // The old v1.0 example wraps the single presence in `value`.
        (
            "graph-presence-get-v1-03.json",
            DC7,
            row(DC7, "Away", Some("BeRightBack"), None, false, false),
        ),
        (
            "graph-presence-get-v1-04.json",
            FA8,
            row(
                FA8,
                "Available",
                None,
                Some("Hey I am available now"),
                false,
                false,
            ),
        ),
        (
            "graph-presence-get-beta-01.json",
            FA8,
            row(FA8, "Available", None, None, false, false),
        ),
        (
            "graph-presence-get-beta-02.json",
            S668,
            row(S668, "DoNotDisturb", Some("Presenting"), None, false, false),
        ),
        (
            "graph-presence-get-beta-03.json",
            DC7,
            row(DC7, "Away", Some("BeRightBack"), None, false, false),
        ),
        (
            "graph-presence-get-beta-04.json",
            FA8,
            row(
                FA8,
                "Available",
                None,
                Some("Hey I am available now"),
                false,
                false,
            ),
        ),
        // The decrypted data of a rich change notification is a presence too; its placeholders are
        // values nobody documented, so they read as Unknown and are kept raw.
        (
            "graph-presencenotification-decrypted-01.json",
            "{User Id}",
            row(
                "{User Id}",
                "Unknown",
                Some("{Activity}"),
                None,
                false,
                false,
            ),
        ),
    ];
    for (file, user, expected) in cases {
        let got = graph_single(&format!("provider-docs/{file}"), user).unwrap();
        assert_eq!(all_seen(&got), vec![expected], "{file}");
    }
    let beta = graph_single("provider-docs/graph-presence-get-beta-01.json", FA8).unwrap();
    assert_eq!(beta[0].sequence.as_deref(), Some("A0129311063"));
    assert_eq!(beta[0].raw, "Available/Available");
    assert_eq!(beta[0].label, "Available");
}

#[test]
fn graph_rich_notification_is_not_a_presence_answer() {
    // Encrypted content: read as a presence collection, its one entry names nobody, so it is
    // left out and counted, and nobody's presence is made up from it.
    let g = graph();
    let plan = g.plan(&ids(&[FA8]), None);
    let update = g
        .parse(
            &plan.requests[0],
            &HttpResponse::new(
                200,
                fixture("provider-docs/graph-presencenotification-rich-01.json"),
            ),
        )
        .unwrap();
    assert!(update.presences.is_empty());
    assert_eq!(
        update.skipped,
        [PresenceError::Decode {
            provider: ProviderKind::Graph,
            path: "value[0].id".into(),
            message: "an entry left out: it names nobody".into()
        }]
    );
}

#[test]
fn graph_documented_errors() {
    let g = graph();
    let request = &g.plan(&ids(&[FA8]), None).requests[0];
    let throttled = HttpResponse::new(429, fixture("provider-docs/graph-error-429-01.json"))
        .with_header("Retry-After", "2.128");
    assert_eq!(
        g.parse(request, &throttled).unwrap_err(),
        PresenceError::Http {
            provider: ProviderKind::Graph,
            status: 429,
            code: Some("TooManyRequests".into()),
            message: Some("Please retry again later.".into()),
            retry: Some(Retry::After(2128)),
        }
    );
    let generic = HttpResponse::new(416, fixture("provider-docs/graph-error-generic-01.json"));
    let err = g.parse(request, &generic).unwrap_err();
    assert_eq!(err.status(), Some(416));
    assert_eq!(
        err.to_string(),
        "graph: HTTP 416 invalidRange: Uploaded fragment overlaps with existing data."
    );
    for status in [401, 403, 404, 500, 503] {
        let body = format!(
            r#"{{"error":{{"code":"c{status}","message":"m{status}","innererror":{{}}}}}}"#
        );
        let err = g
            .parse(request, &HttpResponse::new(status, body))
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(
            err.to_string().contains(&format!("c{status}: m{status}")),
            "{err}"
        );
    }
    assert!(g
        .parse(request, &HttpResponse::new(401, "{}"))
        .unwrap_err()
        .is_unauthorized());
}

#[test]
fn graph_newer_camel_case_values_and_unknowns() {
    let got = graph_bulk("own/graph-getpresencesbyuserid-camelcase.json", &[FA8]).unwrap();
    assert_eq!(
        got,
        vec![
            row(
                "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "Available",
                None,
                None,
                false,
                true
            ),
            row(
                "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809",
                "Busy",
                Some("InACall"),
                None,
                false,
                false
            ),
            row(
                "2b3c4d5e-6f70-8192-a3b4-c5d6e7f8091a",
                "DoNotDisturb",
                Some("Focusing"),
                None,
                false,
                false
            ),
            row(
                "3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b",
                "Busy",
                None,
                None,
                false,
                true
            ),
            row(
                "4d5e6f70-8192-a3b4-c5d6-e7f8091a2b3c",
                "Offline",
                Some("OffWork"),
                None,
                false,
                false
            ),
            row(
                "5e6f7081-92a3-b4c5-d6e7-f8091a2b3c4d",
                "Unknown",
                None,
                None,
                false,
                false
            ),
            row(
                "6f708192-a3b4-c5d6-e7f8-091a2b3c4d5e",
                "Away",
                Some("OutOfOffice"),
                Some("Back on Monday"),
                true,
                false
            ),
            row(
                "708192a3-b4c5-d6e7-f809-1a2b3c4d5e6f",
                "Unknown",
                Some("Dreaming"),
                None,
                false,
                false
            ),
            row(
                "8192a3b4-c5d6-e7f8-091a-2b3c4d5e6f70",
                "Unknown",
                None,
                None,
                false,
                false
            ),
        ]
    );
}

#[test]
fn graph_status_message_is_text_with_its_date() {
    let got = graph_single("own/graph-presence-status-message-published.json", FA8).unwrap();
    let p = &got[0];
    assert_eq!(p.message.as_deref(), Some("<img src=x onerror=alert(1)>"));
    assert_eq!(p.since.as_deref(), Some("2022-10-18T00:07:15.4012511Z"));
    assert_eq!(p.sequence.as_deref(), Some("A0129311064"));
    assert_eq!(p.description(), "Busy, in a conference call");
}

fn rc() -> RocketChat {
    RocketChat::new("https://chat.example.com")
}

fn rc_answer(
    asked: &[&str],
    cursor: Option<&str>,
    status: u16,
    body: &str,
) -> Result<Vec<Seen>, PresenceError> {
    let r = rc();
    let cursor = cursor.map(Cursor::new);
    let plan = r.plan(&ids(asked), cursor.as_ref());
    let request = match plan.requests.first() {
        Some(request) => request.clone(),
        // Asking for nobody: the everyone-at-once form the docs show.
        None => HttpRequest {
            ids: Vec::new(),
            ..r.plan(&ids(&["x"]), None).requests[0].clone()
        },
    };
    let update = r.parse(&request, &HttpResponse::new(status, body))?;
    Ok(all_seen(&update.presences))
}

#[test]
fn rocketchat_users_presence_documented_answers() {
    let cat = row("rocket.cat", "Available", None, None, false, false);
    let admin = row(
        "rocketchat.internal.admin.test",
        "Available",
        None,
        None,
        false,
        false,
    );
    for file in [
        "rocketchat-users.presence-01.json",
        "rocketchat-users.presence-02.json",
    ] {
        let got = rc_answer(&[], None, 200, &fixture(&format!("provider-docs/{file}"))).unwrap();
        assert_eq!(got, vec![cat.clone(), admin.clone()], "{file}");
    }
    let got = rc_answer(
        &[],
        None,
        200,
        &fixture("provider-docs/rocketchat-users.presence-03.json"),
    )
    .unwrap();
    assert_eq!(got[0].3.as_deref(), Some("In a call"));
    assert_eq!(got[1].3.as_deref(), Some("Focus time"));
}

#[test]
fn rocketchat_absent_from_an_ids_answer_means_offline() {
    let body = fixture("provider-docs/rocketchat-users.presence-01.json");
    let got = rc_answer(&["rocket.cat", "aobEdbYhXfu5hkeqG"], None, 200, &body).unwrap();
    assert_eq!(
        got,
        vec![
            row("rocket.cat", "Available", None, None, false, false),
            row("aobEdbYhXfu5hkeqG", "Offline", None, None, false, false),
        ]
    );
}

#[test]
fn rocketchat_delta_keeps_the_people_asked_for_and_implies_nothing() {
    let body = fixture("own/rocketchat-users.presence-delta.json");
    let asked = [
        "aobEdbYhXfu5hkeqG",
        "b7Qe3pRz9LmN2xKcT",
        "quietperson000001",
    ];
    let got = rc_answer(&asked, Some("2026-11-23T08:55:00.000Z"), 200, &body).unwrap();
    assert_eq!(
        got,
        vec![
            row(
                "aobEdbYhXfu5hkeqG",
                "Busy",
                None,
                Some("Writing notes"),
                false,
                false
            ),
            row("b7Qe3pRz9LmN2xKcT", "Offline", None, None, false, false),
        ]
    );
    // A `from` older than ten minutes falls back to a full snapshot: absence means offline again.
    let full = body.replace("\"full\": false", "\"full\": true");
    let got = rc_answer(&asked, Some("2026-11-23T08:00:00.000Z"), 200, &full).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[2],
        row("quietperson000001", "Offline", None, None, false, false)
    );
}

#[test]
fn rocketchat_cursor_comes_from_the_date_header_or_the_request_time() {
    let r = rc();
    let plan = r.plan(&ids(&["rocket.cat"]), None);
    let body = fixture("provider-docs/rocketchat-users.presence-01.json");
    let dated =
        HttpResponse::new(200, body.clone()).with_header("Date", "Mon, 23 Nov 2026 09:00:00 GMT");
    let update = r.parse(&plan.requests[0], &dated).unwrap();
    assert_eq!(update.cursor, Some(Cursor::new("2026-11-23T08:59:58.000Z")));
    let mut undated = HttpResponse::new(200, body.clone());
    undated.requested_at_ms = Some(1_795_424_259_123);
    let update = r.parse(&plan.requests[0], &undated).unwrap();
    assert_eq!(update.cursor, Some(Cursor::new("2026-11-23T08:57:37.123Z")));
    let update = r
        .parse(&plan.requests[0], &HttpResponse::new(200, body))
        .unwrap();
    assert_eq!(update.cursor, None);
    // The next poll continues from the cursor, in one request.
    let next = r.plan(
        &ids(&["rocket.cat", "b"]),
        Some(&Cursor::new("2026-11-23T08:59:58.000Z")),
    );
    assert_eq!(next.requests.len(), 1);
    assert_eq!(
        next.requests[0].url,
        "https://chat.example.com/api/v1/users.presence?from=2026-11-23T08%3A59%3A58.000Z"
    );
}

#[test]
fn rocketchat_single_user_reads() {
    let r = rc();
    let request = r.plan_get_presence(&"rocket.cat".into()).unwrap();
    assert_eq!(
        request.url,
        "https://chat.example.com/api/v1/users.getPresence?userId=rocket.cat"
    );
    let update = r
        .parse(
            &request,
            &HttpResponse::new(
                200,
                fixture("provider-docs/rocketchat-users.getPresence-01.json"),
            ),
        )
        .unwrap();
    assert_eq!(
        all_seen(&update.presences),
        vec![row("rocket.cat", "Offline", None, None, false, false)]
    );

    let request = r.plan_get_status(&"W7NHuX5ri2e3mu2Fc".into()).unwrap();
    for (file, message) in [
        ("rocketchat-users.getStatus-01.json", Some("Latest status")),
        ("rocketchat-users.getStatus-02.json", None),
    ] {
        let update = r
            .parse(
                &request,
                &HttpResponse::new(200, fixture(&format!("provider-docs/{file}"))),
            )
            .unwrap();
        assert_eq!(
            all_seen(&update.presences),
            vec![row(
                "W7NHuX5ri2e3mu2Fc",
                "Available",
                None,
                message,
                false,
                false
            )],
            "{file}"
        );
    }
}

#[test]
fn rocketchat_stream_event() {
    let got = rocketchat::parse_stream_event(&fixture(
        "provider-docs/rocketchat-stream-notify-logged-01.json",
    ))
    .unwrap();
    assert_eq!(
        all_seen(&got),
        vec![row(
            "uNqJeFuag2344i62k",
            "Available",
            None,
            None,
            false,
            false
        )]
    );
    assert_eq!(got[0].display_name.as_deref(), Some("rocket.cat"));
    assert!(rocketchat::parse_stream_event(r#"{"msg":"ping"}"#)
        .unwrap()
        .is_empty());
}

#[test]
fn rocketchat_both_error_shapes_and_the_rate_limit() {
    let err = rc_answer(
        &["a"],
        None,
        401,
        &fixture("provider-docs/rocketchat-error-401-01.json"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        PresenceError::Http {
            provider: ProviderKind::RocketChat,
            status: 401,
            code: None,
            message: Some("You must be logged in to do this.".into()),
            retry: None,
        }
    );
    let err = rc_answer(&["a"], None, 403, &fixture("own/rocketchat-error-403.json")).unwrap_err();
    assert_eq!(err.to_string(), "rocketchat: HTTP 403: unauthorized");
    let err = rc_answer(&["a"], None, 400, &fixture("own/rocketchat-error-400.json")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rocketchat: HTTP 400 error-invalid-params: The 'ids' param is invalid [error-invalid-params]"
    );
    let err = rc_answer(&["a"], None, 500, &fixture("own/rocketchat-error-500.json")).unwrap_err();
    assert!(err.is_transient());

    // 429: x-ratelimit-reset (epoch milliseconds) wins; the text is the fallback.
    let r = rc();
    let request = &r.plan(&ids(&["a"]), None).requests[0];
    let body = fixture("own/rocketchat-error-429.json");
    let limited = HttpResponse::new(429, body.clone())
        .with_header("x-ratelimit-limit", "10")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", "1795424300000");
    assert_eq!(
        r.parse(request, &limited).unwrap_err().retry(),
        Some(Retry::At(1_795_424_300_000))
    );
    let text_only = HttpResponse::new(429, body);
    assert_eq!(
        r.parse(request, &text_only).unwrap_err().retry(),
        Some(Retry::After(42_000))
    );
    // `success: false` in a 200 is still an error.
    let err = rc_answer(&["a"], None, 200, &fixture("own/rocketchat-error-500.json")).unwrap_err();
    assert_eq!(err.status(), Some(200));
}

const GENESYS_USER: &str = "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f";

fn genesys() -> Genesys {
    Genesys::new("https://api.mypurecloud.com")
}

fn learned(language: &str) -> Genesys {
    let mut g = genesys().with_language(language);
    let request = g.plan_definitions();
    let update = g
        .parse_catalog(
            &request,
            &HttpResponse::new(200, fixture("own/genesys-definitions.json")),
        )
        .unwrap();
    let Catalog::Definitions {
        definitions,
        next_page,
    } = update
    else {
        panic!("no definitions");
    };
    assert_eq!(next_page, None);
    g.learn(&definitions);
    g
}

#[test]
fn genesys_user_presence_per_source() {
    let cases = [
        (
            "purecloud",
            "own/genesys-user-presence-purecloud.json",
            row(
                GENESYS_USER,
                "Busy",
                None,
                Some("Reviewing the <b>Q3</b> queue report"),
                false,
                false,
            ),
        ),
        (
            "microsoftteams",
            "own/genesys-user-presence-microsoftteams.json",
            row(GENESYS_USER, "Busy", Some("InAMeeting"), None, false, false),
        ),
        (
            "3b2e7f5c-8d1a-4c6e-9f0b-2a4d6c8e0f12",
            "own/genesys-user-presence-custom-source.json",
            row(GENESYS_USER, "Available", None, None, false, false),
        ),
    ];
    for (source, file, expected) in cases {
        let g = genesys().with_source(source);
        let request = g.plan_user(&GENESYS_USER.into()).unwrap();
        assert!(
            request.url.ends_with(&format!("/presences/{source}")),
            "{}",
            request.url
        );
        let update = g
            .parse(&request, &HttpResponse::new(200, fixture(file)))
            .unwrap();
        assert_eq!(all_seen(&update.presences), vec![expected], "{file}");
    }
    let g = genesys();
    let request = g.plan_user(&GENESYS_USER.into()).unwrap();
    let update = g
        .parse(
            &request,
            &HttpResponse::new(200, fixture("own/genesys-user-presence-purecloud.json")),
        )
        .unwrap();
    assert_eq!(
        update.presences[0].since.as_deref(),
        Some("2026-11-23T08:41:12.345Z")
    );
    assert_eq!(update.presences[0].raw, "Busy");
}

#[test]
fn genesys_bulk_without_and_with_definitions() {
    let body = fixture("own/genesys-bulk-purecloud.json");
    let asked = [
        "0b7c8a51-6f8e-4d2b-a5d1-3c9e2f7a1b04",
        "1c8d9b62-7a9f-4e3c-b6e2-4daf3a8b2c15",
        "2d9eac73-8ba0-4f4d-87f3-5eb04b9c3d26",
        "3eafbd84-9cb1-4a5e-98a4-6fc15cad4e37",
        "4fb0ce95-adc2-4b6f-a9b5-70d26dbe5f48",
        "50c1dfa6-bed3-4c70-bac6-81e37ecf6059",
        "61d2e0b7-cfe4-4d81-8bd7-92f48fd0716a",
        "72e3f1c8-d0f5-4e92-9ce8-a3059ae1827b",
    ];
    let g = genesys();
    let plan = g.plan(&ids(&asked), None);
    assert_eq!(plan.requests.len(), 1);
    let update = g
        .parse(&plan.requests[0], &HttpResponse::new(200, body.clone()))
        .unwrap();
    let expected = vec![
        row(
            asked[0],
            "Available",
            None,
            Some("Happy to help"),
            false,
            false,
        ),
        row(asked[1], "Busy", Some("OnQueue"), None, false, false),
        row(
            asked[2],
            "Away",
            Some("Break"),
            Some("Back at 11"),
            false,
            false,
        ),
        row(asked[3], "Away", None, None, false, true),
        row(asked[4], "Offline", None, None, false, false),
        // No systemPresence and no definitions learned yet: unknown, never an error.
        row(
            asked[5],
            "Unknown",
            None,
            Some("Lunch with the team"),
            false,
            false,
        ),
        row(asked[6], "Busy", Some("InAMeeting"), None, false, false),
        row(asked[7], "Unknown", None, None, false, false),
    ];
    assert_eq!(all_seen(&update.presences), expected);
    assert_eq!(update.presences[0].label, "Available");

    // With the definitions learned, the custom one resolves and labels come in the page's language.
    let g = learned("fr-FR");
    let update = g
        .parse(&plan.requests[0], &HttpResponse::new(200, body))
        .unwrap();
    assert_eq!(
        seen(&update.presences[5]),
        row(
            asked[5],
            "Away",
            Some("Meal"),
            Some("Lunch with the team"),
            false,
            false
        )
    );
    let labels: Vec<&str> = update.presences.iter().map(|p| p.label.as_ref()).collect();
    assert_eq!(
        labels,
        [
            "Disponible",
            "En file d'attente",
            "Away",
            "Away",
            "Offline",
            "Déjeuner",
            "Busy",
            "Status unknown"
        ]
    );
}

#[test]
fn genesys_deprecated_paged_definitions() {
    let mut g = genesys().with_language("fr");
    let first = g.plan_definitions_paged(1);
    assert_eq!(
        first.url,
        "https://api.mypurecloud.com/api/v2/presencedefinitions?pageNumber=1&pageSize=100"
    );
    let mut all = Vec::new();
    for (page, file, next) in [
        (1, "own/genesys-presencedefinitions-paged-01.json", Some(2)),
        (2, "own/genesys-presencedefinitions-paged-02.json", None),
    ] {
        let update = g
            .parse_catalog(
                &g.plan_definitions_paged(page),
                &HttpResponse::new(200, fixture(file)),
            )
            .unwrap();
        let Catalog::Definitions {
            definitions,
            next_page,
        } = update
        else {
            panic!("no definitions in {file}");
        };
        assert_eq!(next_page, next, "{file}");
        all.extend(definitions);
    }
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].primary, Some(true));
    g.learn(&all);
    let request = g.plan_user(&GENESYS_USER.into()).unwrap();
    let body = r#"{"presenceDefinition": {"id": "a2b4c6d8-0e1f-4a3b-8c5d-7e9f1a2b3c4d"}}"#;
    let p = &g
        .parse(&request, &HttpResponse::new(200, body))
        .unwrap()
        .presences[0];
    assert_eq!(
        (p.label.as_ref(), p.description().as_str()),
        ("Pause", "Pause, on a break")
    );
}

#[test]
fn genesys_system_presences_sources_and_primary_source() {
    let g = genesys();
    let update = g
        .parse_catalog(
            &g.plan_system_presences(),
            &HttpResponse::new(200, fixture("own/genesys-systempresences.json")),
        )
        .unwrap();
    let Catalog::SystemPresences(list) = update else {
        panic!()
    };
    assert_eq!(list.len(), 10);
    assert_eq!(list[8].name.as_deref(), Some("On Queue"));

    let update = g
        .parse_catalog(
            &g.plan_sources(),
            &HttpResponse::new(200, fixture("own/genesys-sources.json")),
        )
        .unwrap();
    let Catalog::Sources(sources) = update else {
        panic!()
    };
    let names: Vec<_> = sources
        .iter()
        .map(|s| s.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Microsoft Teams", "Front desk badge reader"]);

    let request = g.plan_primary_source(&GENESYS_USER.into()).unwrap();
    assert_eq!(
        request.url,
        format!("https://api.mypurecloud.com/api/v2/presence/users/{GENESYS_USER}/primarysource")
    );
    let update = g
        .parse_catalog(
            &request,
            &HttpResponse::new(200, fixture("own/genesys-primarysource.json")),
        )
        .unwrap();
    let Catalog::PrimarySource { user, source } = update else {
        panic!()
    };
    assert_eq!(user.as_str(), GENESYS_USER);
    assert_eq!(source.source_id.as_deref(), Some("microsoftteams"));
    assert_eq!(source.registered, Some(true));
}

#[test]
fn genesys_notification_event() {
    let g = learned("en_US");
    let p = g
        .parse_notification(&fixture(
            "provider-docs/genesys-notification-userpresence-01.json",
        ))
        .unwrap()
        .unwrap();
    assert_eq!(
        seen(&p),
        row(GENESYS_USER, "Available", None, None, false, false)
    );
    assert_eq!(p.label, "Available");
    let heartbeat =
        r#"{"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}"#;
    assert_eq!(g.parse_notification(heartbeat).unwrap(), None);
}

#[test]
fn genesys_documented_errors() {
    let g = genesys();
    let request = &g.plan(&ids(&[GENESYS_USER]), None).requests[0];
    let limited = HttpResponse::new(429, fixture("provider-docs/genesys-error-429-01.json"))
        .with_header("Retry-After", "42")
        .with_header("ININ-Correlation-Id", "<correlationId>");
    assert_eq!(
        g.parse(request, &limited).unwrap_err(),
        PresenceError::Http {
            provider: ProviderKind::Genesys,
            status: 429,
            code: Some("too.many.requests.retry.after".into()),
            message: Some(
                "Rate limit exceeded the maximum. Retry the request in [42] seconds".into()
            ),
            retry: Some(Retry::After(42_000)),
        }
    );
    // Without the header (a proxy dropped it, or CORS hides it) the body still says when.
    let bare = HttpResponse::new(429, fixture("provider-docs/genesys-error-429-01.json"));
    assert_eq!(
        g.parse(request, &bare).unwrap_err().retry(),
        Some(Retry::After(42_000))
    );
    let err = g
        .parse(
            request,
            &HttpResponse::new(404, fixture("own/genesys-error-404.json")),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "genesys: HTTP 404 not.found: The requested user could not be found."
    );
    let err = g
        .parse(
            request,
            &HttpResponse::new(400, fixture("own/genesys-error-400-bulk-limit.json")),
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_transient());
}

#[test]
fn superoffice_statuses_by_name_and_number() {
    let so = Adapter::new(
        ProviderKind::SuperOffice,
        "https://sod.superoffice.com/Cust12345",
    )
    .unwrap();
    let plan = so.plan(&ids(&["963"]), None);
    assert_eq!(
        plan.requests[0].body.as_deref(),
        Some(r#"{"AssociateId":963}"#)
    );
    let cases = [
        (
            "provider-docs/superoffice-GetUserPresenceStatus-01.json",
            row("963", "Offline", None, Some("aut"), false, false),
        ),
        // The write answers the same UserPresenceStatus shape.
        (
            "provider-docs/superoffice-SetUserPresenceStatus-01.json",
            row("963", "Offline", None, Some("sint"), false, false),
        ),
        (
            "own/superoffice-status-normal.json",
            row("963", "Available", None, None, false, false),
        ),
        (
            "own/superoffice-status-notavailable-number.json",
            row(
                "963",
                "Away",
                None,
                Some("On holiday until the 30th"),
                false,
                false,
            ),
        ),
    ];
    for (file, expected) in cases {
        let update = so
            .parse(&plan.requests[0], &HttpResponse::new(200, fixture(file)))
            .unwrap();
        assert_eq!(all_seen(&update.presences), vec![expected], "{file}");
    }
    for (status, availability) in [
        ("0", "Unknown"),
        ("1", "Available"),
        ("2", "Away"),
        ("3", "Offline"),
        ("4", "Unknown"),
        ("5", "Unknown"),
        ("127", "Unknown"),
        ("\"StatusSpm\"", "Unknown"),
        ("\"StatusReadOnly\"", "Unknown"),
        ("\"StatusNone\"", "Unknown"),
        ("\"StatusSystem\"", "Unknown"),
        ("\"statusnormal\"", "Available"),
        ("99", "Unknown"),
        ("null", "Unknown"),
    ] {
        let body = format!(r#"{{"Status": {status}, "Message": null}}"#);
        let update = so
            .parse(&plan.requests[0], &HttpResponse::new(200, body))
            .unwrap();
        assert_eq!(
            update.presences[0].availability.to_string(),
            availability,
            "{status}"
        );
    }
    let err = so
        .parse(
            &plan.requests[0],
            &HttpResponse::new(401, fixture("own/superoffice-error-401.json")),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "superoffice: HTTP 401 SoSessionExpiredException: Authentication failed: the ticket has expired"
    );
    assert!(err.is_unauthorized());
}

#[test]
fn html_error_pages_and_garbage_are_typed_errors() {
    let html = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
    for kind in ProviderKind::ALL {
        let adapter = Adapter::new(kind, "https://svc.example.com").unwrap();
        let plan = adapter.plan(&ids(&["42"]), None);
        let request = &plan.requests[0];
        let err = adapter
            .parse(request, &HttpResponse::new(502, html))
            .unwrap_err();
        assert_eq!(err.status(), Some(502), "{kind}");
        assert!(err.is_transient());
        assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
        let err = adapter
            .parse(request, &HttpResponse::new(200, html))
            .unwrap_err();
        assert!(
            matches!(&err, PresenceError::Decode { path, message, .. } if path == "." && message.starts_with("expected JSON, found `<!DOCTYPE html>")),
            "{kind}: {err:?}"
        );
        let err = adapter
            .parse(request, &HttpResponse::new(200, ""))
            .unwrap_err();
        assert!(err.to_string().contains("an empty body"), "{err}");
    }
}

#[test]
fn missing_fields_unknown_values_and_empty_lists() {
    let g = graph();
    let request = &g.plan(&ids(&[FA8]), None).requests[0];
    assert!(g
        .parse(request, &HttpResponse::new(200, r#"{"value": []}"#))
        .unwrap()
        .presences
        .is_empty());
    // An id of the wrong type: whose it is cannot be known, so it is skipped and counted.
    let update = g
        .parse(
            request,
            &HttpResponse::new(200, r#"{"value": [{"id": 7}]}"#),
        )
        .unwrap();
    assert!(update.presences.is_empty());
    assert!(
        matches!(&update.skipped[..], [PresenceError::Decode { path, message, .. }]
            if path == "value[0].id" && message == "an entry left out: expected a string, found a number"),
        "{:?}",
        update.skipped
    );
    // The top level of the wrong shape stays an error.
    for body in [r#"{}"#, r#"{"value": 5}"#, "[]"] {
        let err = g.parse(request, &HttpResponse::new(200, body)).unwrap_err();
        assert!(
            matches!(err, PresenceError::Decode { .. }),
            "{body}: {err:?}"
        );
    }

    let r = rc();
    let request = &r.plan(&ids(&["a", "b"]), None).requests[0];
    let update = r
        .parse(
            request,
            &HttpResponse::new(200, r#"{"users": [], "success": true}"#),
        )
        .unwrap();
    assert_eq!(update.presences.len(), 2);
    assert!(update
        .presences
        .iter()
        .all(|p| p.availability.to_string() == "Offline"));
    let update = r
        .parse(
            request,
            &HttpResponse::new(
                200,
                r#"{"users": [{"_id": "a", "status": "lurking"}], "success": true}"#,
            ),
        )
        .unwrap();
    assert_eq!(update.presences[0].availability.to_string(), "Unknown");
    assert_eq!(update.presences[0].raw, "lurking");
    // An entry without its id: skipped, and since it may have been anyone, those absent are
    // not said to be offline.
    let update = r
        .parse(
            request,
            &HttpResponse::new(200, r#"{"users": [{"name": "x"}]}"#),
        )
        .unwrap();
    assert_eq!(update.skipped.len(), 1);
    assert!(update
        .presences
        .iter()
        .all(|p| p.availability.to_string() == "Unknown"));
    let err = r
        .parse(request, &HttpResponse::new(200, r#"{"users": 5}"#))
        .unwrap_err();
    assert!(
        matches!(err, PresenceError::Decode { ref path, .. } if path == "users"),
        "{err:?}"
    );

    let gen = genesys();
    let request = &gen.plan(&ids(&[GENESYS_USER]), None).requests[0];
    assert!(gen
        .parse(request, &HttpResponse::new(200, "[]"))
        .unwrap()
        .presences
        .is_empty());
    let update = gen
        .parse(
            request,
            &HttpResponse::new(200, r#"[{"presenceDefinition": {}}]"#),
        )
        .unwrap();
    assert!(
        matches!(&update.skipped[..], [PresenceError::Decode { path, .. }] if path == "[0].userId"),
        "{:?}",
        update.skipped
    );
    let err = gen
        .parse(request, &HttpResponse::new(200, r#"{"entities": []}"#))
        .unwrap_err();
    assert!(matches!(err, PresenceError::Decode { .. }), "{err:?}");
}

/// For each provider: an entry with a number, an object or null where a string belongs, or
/// without its status, is that person's Unknown with `raw` naming what was wrong; everyone else
/// in the same answer is read.
#[test]
fn one_bad_entry_costs_one_person() {
    fn unknown_with(presences: &[Presence], user: &str, raw: &str) {
        let p = presences
            .iter()
            .find(|p| p.user.as_str() == user)
            .unwrap_or_else(|| panic!("no presence for {user}"));
        assert_eq!(p.availability.to_string(), "Unknown", "{user}");
        assert_eq!(p.raw, raw, "{user}");
    }
    let g = graph();
    let request = &g.plan(&ids(&["a", "b", "c", "d", "e"]), None).requests[0];
    let body = r#"{"value": [
        {"id": "a", "availability": 5},
        {"id": "b", "availability": "Busy", "activity": {"x": 1}},
        {"id": "c", "availability": null},
        {"id": "d", "availability": "Away", "outOfOfficeSettings": "yes"},
        {"id": "e", "availability": "Available", "activity": "Available"}
    ]}"#;
    let update = g.parse(request, &HttpResponse::new(200, body)).unwrap();
    unknown_with(
        &update.presences,
        "a",
        "`value[0].availability`: expected a string, found a number",
    );
    unknown_with(
        &update.presences,
        "b",
        "`value[1].activity`: expected a string, found an object",
    );
    unknown_with(&update.presences, "c", "missing `availability`");
    unknown_with(
        &update.presences,
        "d",
        "`value[3].outOfOfficeSettings`: expected an object, found a string",
    );
    assert_eq!(update.presences[4].availability.to_string(), "Available");

    let r = rc();
    let request = &r.plan(&ids(&["a", "b", "c", "d"]), None).requests[0];
    let body = r#"{"users": [
        {"_id": "a", "status": 1},
        {"_id": "b", "status": "online", "name": {"first": "B"}},
        {"_id": "c"},
        {"_id": "d", "status": "busy"}
    ], "success": true}"#;
    let update = r.parse(request, &HttpResponse::new(200, body)).unwrap();
    unknown_with(
        &update.presences,
        "a",
        "`users[0].status`: expected a string, found a number",
    );
    unknown_with(
        &update.presences,
        "b",
        "`users[1].name`: expected a string, found an object",
    );
    unknown_with(&update.presences, "c", "missing `status`");
    assert_eq!(update.presences[3].availability.to_string(), "Busy");

    let gen = genesys();
    let request = &gen.plan(&ids(&["a", "b", "c"]), None).requests[0];
    let body = r#"[
        {"userId": "a", "presenceDefinition": {"systemPresence": 7}},
        {"userId": "b", "presenceDefinition": null},
        {"userId": "c", "presenceDefinition": {"systemPresence": "AVAILABLE"}, "message": "hi"}
    ]"#;
    let update = gen.parse(request, &HttpResponse::new(200, body)).unwrap();
    unknown_with(
        &update.presences,
        "a",
        "`[0].presenceDefinition.systemPresence`: expected a string, found a number",
    );
    unknown_with(&update.presences, "b", "missing `presenceDefinition`");
    assert_eq!(update.presences[2].availability.to_string(), "Available");

    let so = SuperOffice::new("https://so.example.com");
    let request = &so.plan(&ids(&["963"]), None).requests[0];
    for (body, raw) in [
        (
            r#"{"Status": {"n": 1}}"#,
            "`Status`: expected a status name or number",
        ),
        (
            r#"{"Status": "StatusNormal", "Message": 5}"#,
            "`Message`: expected a string, found a number",
        ),
        (r#"{"Message": "away"}"#, "missing `Status`"),
    ] {
        let update = so.parse(request, &HttpResponse::new(200, body)).unwrap();
        unknown_with(&update.presences, "963", raw);
    }
    // Not JSON, or not an object: still an error, so the widget keeps the last good presence.
    assert!(so.parse(request, &HttpResponse::new(200, "[1]")).is_err());
}

#[test]
fn an_answer_read_by_the_wrong_adapter_is_refused() {
    let graph_request = graph().plan(&ids(&[FA8]), None).requests[0].clone();
    for kind in [
        ProviderKind::RocketChat,
        ProviderKind::Genesys,
        ProviderKind::SuperOffice,
    ] {
        let err = Adapter::new(kind, "https://x.example")
            .unwrap()
            .parse(&graph_request, &HttpResponse::new(200, "{}"))
            .unwrap_err();
        assert!(matches!(err, PresenceError::Config(_)), "{kind}: {err:?}");
    }
}

/// Every file in provider-docs is read by one of the tests above; a new one fails here until it
/// is given its expected result.
#[test]
fn every_provider_docs_fixture_is_covered() {
    let this = include_str!("fixtures.rs");
    let dir = format!(
        "{}/tests/fixtures/provider-docs",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") {
            assert!(
                this.contains(&name),
                "{name} is not checked by tests/fixtures.rs"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 27);
}

/// Rocket.Chat's presence broadcast off (API-FACTS 2.6): an `ids` request answers `full: true`
/// and nobody. Nothing can be said of anyone: they are Unknown (not Offline), and push is off.
#[test]
fn rocketchat_broadcast_off_is_unknown_and_turns_push_off() {
    let r = rc();
    let request = &r.plan(&ids(&["a", "b"]), None).requests[0];
    let update = r
        .parse(
            request,
            &HttpResponse::new(200, r#"{"users": [], "full": true, "success": true}"#),
        )
        .unwrap();
    assert_eq!(update.presences.len(), 2);
    assert!(update
        .presences
        .iter()
        .all(|p| p.availability.to_string() == "Unknown" && p.raw.contains("broadcast is off")));
    assert!(update.push_off.is_some());
    // The ordinary answer, `full: false`, still means absent people are offline.
    let update = r
        .parse(
            request,
            &HttpResponse::new(200, r#"{"users": [], "full": false, "success": true}"#),
        )
        .unwrap();
    assert!(update.push_off.is_none());
    assert!(update
        .presences
        .iter()
        .all(|p| p.availability.to_string() == "Offline"));
}
