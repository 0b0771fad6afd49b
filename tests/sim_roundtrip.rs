//! The adapters against presence-sim: every request the adapters plan is answered correctly by
//! the simulator, and every kind of answer the simulator gives is read by the adapters.
//! (The simulator is written from the documents alone; this is where the two readings meet.)
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

use presence_sim::{Config, Limits};
use presence_widgets::core::{
    Activity, Availability, Catalog, Credentials, Genesys, Graph, PresenceError, Provider,
    ProviderKind, Retry, RocketChat, Secret, SuperOffice, UserId,
};
use serde_json::{json, Value};

#[path = "support/native_sim.rs"]
mod native_sim;
use native_sim::{people, send};

async fn sim(users: usize) -> String {
    let config = Config {
        users,
        seed: 7,
        change_every_ms: 0,
        limits: Limits::documented(),
    };
    presence_sim::spawn(config).await.unwrap()
}

async fn set(base: &str, provider: &str, id: &UserId, change: Value) {
    presence_sim::client::set_user(base, provider, id.as_str(), &change)
        .await
        .unwrap();
}

async fn control(base: &str, method: &str, path: &str, body: Value) {
    presence_sim::client::control(base, method, path, &body)
        .await
        .unwrap();
}

fn bearer(token: &str) -> Credentials {
    Credentials::Bearer(Secret::new(token))
}

#[tokio::test]
async fn graph_plans_are_answered_and_read() {
    let base = sim(700).await;
    let ids = people(&base, "graph").await;
    set(
        &base,
        "graph",
        &ids[0],
        json!({"availability": "Busy", "activity": "InAMeeting", "message": "<b>Planning</b>"}),
    )
    .await;
    set(
        &base,
        "graph",
        &ids[1],
        json!({"availability": "Away", "activity": "OutOfOffice", "message": "Back Monday"}),
    )
    .await;
    set(
        &base,
        "graph",
        &ids[2],
        json!({"availability": "DoNotDisturb", "activity": "Presenting"}),
    )
    .await;
    set(&base, "graph", &ids[3], json!({"availability": "Unknown"})).await;
    for version in ["v1.0", "beta"] {
        let graph = Graph::new(&format!("{base}/graph/{version}"));
        let plan = graph.plan(&ids, None);
        assert_eq!(plan.requests.len(), 2, "700 ids are two batches");
        let mut all = Vec::new();
        for req in &plan.requests {
            let answer = send(&base, req, &bearer("t")).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            all.extend(graph.parse(req, &answer).unwrap().presences);
        }
        assert_eq!(all.len(), 700);
        assert_eq!(all[0].description(), "Busy, in a meeting");
        assert_eq!(all[0].message.as_deref(), Some("<b>Planning</b>"));
        assert_eq!(
            (all[1].availability, all[1].out_of_office),
            (Availability::Away, true)
        );
        assert_eq!(all[1].message.as_deref(), Some("Back Monday"));
        assert_eq!(
            (all[2].availability, all[2].activity.clone()),
            (Availability::DoNotDisturb, Some(Activity::Presenting))
        );
        assert_eq!(all[3].availability, Availability::Unknown);
        assert!(all.iter().all(|p| p.sequence.is_some()));

        let one = graph.plan_user(&ids[0]).unwrap();
        let answer = send(&base, &one, &bearer("t")).await;
        assert_eq!(
            graph.parse(&one, &answer).unwrap().presences[0].activity,
            Some(Activity::InAMeeting)
        );
    }
}

#[tokio::test]
async fn graph_errors_from_the_sim_are_typed() {
    let base = sim(3).await;
    let ids = people(&base, "graph").await;
    let graph = Graph::new(&format!("{base}/graph/v1.0"));
    let req = &graph.plan(&ids, None).requests[0];
    let err = graph
        .parse(
            req,
            &send(
                &base,
                req,
                &Credentials::SuperOffice {
                    authorization: Secret::new("Basic x"),
                    app_token: None,
                },
            )
            .await,
        )
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    control(
        &base,
        "PUT",
        "/_sim/limits",
        json!({"graph": {"calls": 1, "window_ms": 30000}}),
    )
    .await;
    send(&base, req, &bearer("t")).await;
    let err = graph
        .parse(req, &send(&base, req, &bearer("t")).await)
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert!(
        matches!(err.retry(), Some(Retry::After(ms)) if ms > 0 && ms <= 30_000),
        "{err}"
    );
    control(&base, "PUT", "/_sim/limits", json!({"graph": null})).await;
    type Check = fn(&PresenceError) -> bool;
    let checks: [(&str, Check); 4] = [
        ("http_500", |e| e.status() == Some(500)),
        ("truncated", |e| matches!(e, PresenceError::Decode { .. })),
        (
            "non_json",
            |e| matches!(e, PresenceError::Decode { message, .. } if message.contains("expected JSON")),
        ),
        ("http_429", |e| e.retry() == Some(Retry::After(2000))),
    ];
    for (fault, check) in checks {
        control(
            &base,
            "POST",
            "/_sim/faults",
            json!({"provider": "graph", fault: 1.0}),
        )
        .await;
        let err = graph
            .parse(req, &send(&base, req, &bearer("t")).await)
            .unwrap_err();
        assert!(check(&err), "{fault}: {err:?}");
    }
}

#[tokio::test]
async fn rocketchat_ids_then_from_deltas() {
    let base = sim(30).await;
    control(&base, "PUT", "/_sim/limits", json!({"rocketchat": null})).await;
    let ids = people(&base, "rocketchat").await;
    set(
        &base,
        "rocketchat",
        &ids[0],
        json!({"availability": "Available", "message": "Writing docs"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &ids[1],
        json!({"availability": "Offline"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &ids[2],
        json!({"availability": "DoNotDisturb"}),
    )
    .await;
    let rc = RocketChat::new(&format!("{base}/rocketchat"));
    let creds = Credentials::RocketChat {
        user_id: "caller".into(),
        auth_token: Secret::new("t"),
    };
    let plan = rc.plan(&ids, None);
    assert_eq!(plan.requests.len(), 1);
    let answer = send(&base, &plan.requests[0], &creds).await;
    let update = rc.parse(&plan.requests[0], &answer).unwrap();
    assert_eq!(
        update.presences.len(),
        30,
        "everyone asked for has a presence, offline ones implied"
    );
    let find = |ps: &[presence_widgets::Presence], id: &UserId| {
        ps.iter().find(|p| &p.user == id).cloned().unwrap()
    };
    assert_eq!(
        find(&update.presences, &ids[0]).message.as_deref(),
        Some("Writing docs")
    );
    assert!(find(&update.presences, &ids[0]).display_name.is_some());
    assert_eq!(
        find(&update.presences, &ids[1]).availability,
        Availability::Offline
    );
    assert_eq!(
        find(&update.presences, &ids[2]).availability,
        Availability::Busy
    );
    let cursor = update.cursor.expect("the Date header gives a cursor");

    set(
        &base,
        "rocketchat",
        &ids[5],
        json!({"availability": "Away", "message": "Lunch"}),
    )
    .await;
    set(
        &base,
        "rocketchat",
        &ids[0],
        json!({"availability": "Offline"}),
    )
    .await;
    let next = rc.plan(&ids, Some(&cursor));
    assert_eq!(next.requests.len(), 1);
    assert!(next.requests[0].url.contains("?from="));
    let delta = rc
        .parse(
            &next.requests[0],
            &send(&base, &next.requests[0], &creds).await,
        )
        .unwrap();
    assert_eq!(
        find(&delta.presences, &ids[5]).availability,
        Availability::Away
    );
    assert_eq!(
        find(&delta.presences, &ids[0]).availability,
        Availability::Offline
    );
    assert!(
        delta.presences.len() < 30,
        "a delta carries the changes, not everyone"
    );

    let single = rc.plan_get_status(&ids[5]).unwrap();
    let got = rc
        .parse(&single, &send(&base, &single, &creds).await)
        .unwrap();
    assert_eq!(got.presences[0].availability, Availability::Away);
    let single = rc.plan_get_presence(&ids[5]).unwrap();
    let got = rc
        .parse(&single, &send(&base, &single, &creds).await)
        .unwrap();
    assert_eq!(got.presences[0].availability, Availability::Away);
}

#[tokio::test]
async fn rocketchat_rate_limit_gives_an_absolute_retry_time() {
    let base = sim(3).await;
    let ids = people(&base, "rocketchat").await;
    let rc = RocketChat::new(&format!("{base}/rocketchat/"));
    let creds = Credentials::RocketChat {
        user_id: "caller".into(),
        auth_token: Secret::new("t"),
    };
    let req = &rc.plan(&ids, None).requests[0];
    for _ in 0..10 {
        assert_eq!(send(&base, req, &creds).await.status, 200);
    }
    let err = rc.parse(req, &send(&base, req, &creds).await).unwrap_err();
    assert!(err.is_rate_limited());
    let now = presence_sim::clock::now_ms();
    assert!(
        matches!(err.retry(), Some(Retry::At(at)) if at > now && at <= now + 60_000),
        "{err}"
    );
    let err = rc.parse(
        req,
        &send(
            &base,
            req,
            &Credentials::RocketChat {
                user_id: "caller".into(),
                auth_token: Secret::new(""),
            },
        )
        .await,
    );
    assert!(err.unwrap_err().is_unauthorized());
}

#[tokio::test]
async fn genesys_definitions_then_bulk_in_three_batches() {
    let base = sim(120).await;
    let ids = people(&base, "genesys").await;
    set(
        &base,
        "genesys",
        &ids[0],
        json!({"availability": "Busy", "activity": "OnQueue"}),
    )
    .await;
    set(
        &base,
        "genesys",
        &ids[1],
        json!({"availability": "Away", "activity": "Meal", "message": "Lunch"}),
    )
    .await;
    set(
        &base,
        "genesys",
        &ids[2],
        json!({"availability": "Away", "activity": "Idle"}),
    )
    .await;
    let creds = bearer("t");
    let mut genesys = Genesys::new(&format!("{base}/genesys")).with_language("fr");
    let defs = genesys.plan_definitions();
    let update = genesys
        .parse_catalog(&defs, &send(&base, &defs, &creds).await)
        .unwrap();
    let Catalog::Definitions {
        definitions,
        next_page: None,
    } = update
    else {
        panic!()
    };
    genesys.learn(&definitions);

    let plan = genesys.plan(&ids, None);
    assert_eq!(plan.requests.len(), 3, "120 ids are three bulk requests");
    let mut all = Vec::new();
    for req in &plan.requests {
        let answer = send(&base, req, &creds).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        all.extend(genesys.parse(req, &answer).unwrap().presences);
    }
    assert_eq!(all.len(), 120);
    assert_eq!(all[0].description(), "En file d'attente, on queue");
    assert_eq!(
        (all[1].label.as_ref(), all[1].activity.clone()),
        ("Déjeuner", Some(Activity::Meal))
    );
    assert_eq!(all[1].message.as_deref(), Some("Lunch"));
    assert!(all[2].idle);
    assert!(all
        .iter()
        .all(|p| p.availability != Availability::Unknown && p.since.is_some()));

    // The deprecated paged listing, followed to its end, gives the same definitions.
    let mut paged = Vec::new();
    let mut page = Some(1);
    while let Some(n) = page {
        let req = genesys.plan_definitions_paged(n);
        let update = genesys
            .parse_catalog(&req, &send(&base, &req, &creds).await)
            .unwrap();
        let Catalog::Definitions {
            definitions,
            next_page,
        } = update
        else {
            panic!()
        };
        paged.extend(definitions);
        page = next_page;
    }
    assert_eq!(paged.len(), definitions.len());

    for source in ["purecloud", "microsoftteams"] {
        let g = Genesys::new(&format!("{base}/genesys")).with_source(source);
        let one = g.plan_user(&ids[0]).unwrap();
        assert_eq!(
            g.parse(&one, &send(&base, &one, &creds).await)
                .unwrap()
                .presences[0]
                .activity,
            Some(Activity::OnQueue)
        );
    }
    for req in [
        genesys.plan_system_presences(),
        genesys.plan_sources(),
        genesys.plan_primary_source(&ids[0]).unwrap(),
    ] {
        let catalog = genesys.parse_catalog(&req, &send(&base, &req, &creds).await);
        assert!(catalog.is_ok(), "{}: {catalog:?}", req.endpoint);
    }
    let err = genesys
        .parse(
            &plan.requests[0],
            &send(&base, &plan.requests[0], &bearer("")).await,
        )
        .unwrap_err();
    assert!(err.is_unauthorized());
}

#[tokio::test]
async fn genesys_over_the_limit_is_a_typed_error_with_retry() {
    let base = sim(3).await;
    control(
        &base,
        "PUT",
        "/_sim/limits",
        json!({"genesys": {"calls": 1, "window_ms": 60000}}),
    )
    .await;
    let genesys = Genesys::new(&format!("{base}/genesys"));
    let req = genesys.plan_system_presences();
    send(&base, &req, &bearer("t")).await;
    let err = genesys
        .parse_catalog(&req, &send(&base, &req, &bearer("t")).await)
        .unwrap_err();
    assert!(
        matches!(err.retry(), Some(Retry::After(ms)) if ms >= 1000),
        "{err}"
    );
    assert!(err.to_string().contains("too.many.requests.retry.after"));
}

#[tokio::test]
async fn superoffice_one_request_per_associate() {
    let base = sim(4).await;
    let ids = people(&base, "superoffice").await;
    set(
        &base,
        "superoffice",
        &ids[0],
        json!({"availability": "Available"}),
    )
    .await;
    set(
        &base,
        "superoffice",
        &ids[1],
        json!({"availability": "Away", "message": "Holiday"}),
    )
    .await;
    set(
        &base,
        "superoffice",
        &ids[2],
        json!({"availability": "Offline"}),
    )
    .await;
    let so = SuperOffice::new(&format!("{base}/superoffice"));
    let plan = so.plan(&ids, None);
    assert_eq!(plan.requests.len(), 4);
    let mut got = Vec::new();
    for (req, auth) in plan.requests.iter().zip([
        "Basic dGplMDpUamUw",
        "SOTicket 7T:abc",
        "Bearer 8A:xyz",
        "SOTicket 7T:abc",
    ]) {
        let creds = Credentials::superoffice(auth, Some("app-token")).unwrap();
        got.push(
            so.parse(req, &send(&base, req, &creds).await)
                .unwrap()
                .presences
                .remove(0),
        );
    }
    let seen: Vec<(Availability, Option<&str>)> = got
        .iter()
        .take(3)
        .map(|p| (p.availability, p.message.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Availability::Available, None),
            (Availability::Away, Some("Holiday")),
            (Availability::Offline, None)
        ]
    );
    let err = so
        .parse(
            &plan.requests[0],
            &send(&base, &plan.requests[0], &bearer("")).await,
        )
        .unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.provider(), Some(ProviderKind::SuperOffice));
}
