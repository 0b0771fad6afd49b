//! Plans: batches within each provider's limit, ids percent-encoded in every path and query,
//! repeated ids asked for once, unusable ids rejected with a reason.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use presence_widgets::core::{
    Adapter, Genesys, Graph, Method, PresenceError, Provider, ProviderKind, RocketChat, UserId,
};

fn many(n: usize) -> Vec<UserId> {
    (0..n)
        .map(|i| UserId::new(format!("{i:08x}-0000-4000-8000-000000000000")))
        .collect()
}

#[test]
fn graph_splits_at_650() {
    let g = Graph::new("https://graph.microsoft.com/beta/");
    for (n, sizes) in [
        (1, vec![1]),
        (650, vec![650]),
        (651, vec![650, 1]),
        (1000, vec![650, 350]),
        (1300, vec![650, 650]),
    ] {
        let plan = g.plan(&many(n), None);
        let got: Vec<usize> = plan.requests.iter().map(|r| r.ids.len()).collect();
        assert_eq!(got, sizes, "{n} ids");
        for r in &plan.requests {
            assert_eq!(r.method, Method::Post);
            assert_eq!(
                r.url,
                "https://graph.microsoft.com/beta/communications/getPresencesByUserId"
            );
            assert!(r
                .headers
                .contains(&("Content-Type", "application/json".into())));
            let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            let ids: Vec<&str> = body["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let expected: Vec<&str> = r.ids.iter().map(UserId::as_str).collect();
            assert_eq!(ids, expected);
        }
    }
    assert!(g.plan(&[], None).requests.is_empty());
}

#[test]
fn genesys_splits_at_50_with_repeated_id_parameters() {
    let g = Genesys::new("https://api.mypurecloud.de");
    let plan = g.plan(&many(120), None);
    let got: Vec<usize> = plan.requests.iter().map(|r| r.ids.len()).collect();
    assert_eq!(got, [50, 50, 20]);
    let first = &plan.requests[0];
    assert_eq!(
        first.endpoint,
        presence_widgets::core::providers::genesys::BULK
    );
    assert!(first.url.starts_with(
        "https://api.mypurecloud.de/api/v2/users/presences/purecloud/bulk?id=00000000-0000-4000-8000-000000000000&id=00000001-"
    ));
    assert_eq!(first.url.matches("id=").count(), 50);
    let teams = g.clone().with_source("microsoftteams").plan(&many(1), None);
    assert!(teams.requests[0]
        .url
        .contains("/users/presences/microsoftteams/bulk?id="));
}

#[test]
fn rocketchat_splits_by_query_length_and_deltas_in_one_request() {
    let r = RocketChat::new("https://chat.example.com");
    let ids: Vec<UserId> = (0..2000)
        .map(|i| UserId::new(format!("user{i:013}")))
        .collect();
    let plan = r.plan(&ids, None);
    assert!(plan.requests.len() > 1);
    let total: usize = plan.requests.iter().map(|r| r.ids.len()).sum();
    assert_eq!(total, 2000);
    for request in &plan.requests {
        let query = request.url.split_once("?ids=").unwrap().1;
        assert!(query.len() <= presence_widgets::core::providers::rocketchat::MAX_QUERY_LEN);
        assert_eq!(query.split(',').count(), request.ids.len());
    }
    let few = r.plan(&ids[..3], None);
    assert_eq!(
        few.requests[0].url,
        "https://chat.example.com/api/v1/users.presence?ids=user0000000000000,user0000000000001,user0000000000002"
    );
}

#[test]
fn superoffice_one_request_per_associate_and_numbers_only() {
    let so = Adapter::new(
        ProviderKind::SuperOffice,
        "https://sod.superoffice.com/Cust12345/",
    )
    .unwrap();
    let plan = so.plan(
        &["5".into(), "17".into(), "5".into(), "abc".into(), "".into()],
        None,
    );
    let bodies: Vec<&str> = plan
        .requests
        .iter()
        .map(|r| r.body.as_deref().unwrap())
        .collect();
    assert_eq!(bodies, [r#"{"AssociateId":5}"#, r#"{"AssociateId":17}"#]);
    assert_eq!(
        plan.requests[0].url,
        "https://sod.superoffice.com/Cust12345/api/v1/Agents/User/GetUserPresenceStatus"
    );
    let rejected: Vec<&str> = plan.rejected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(rejected, ["abc", ""]);
    assert!(
        matches!(&plan.rejected[0].1, PresenceError::Config(m) if m.contains("`abc` is not an associate id"))
    );
}

#[test]
fn hostile_ids_stay_one_segment_or_one_value() {
    let id = UserId::new("../x?y#z");
    let graph = Graph::new("https://graph.microsoft.com/v1.0");
    assert_eq!(
        graph.plan_user(&id).unwrap().url,
        "https://graph.microsoft.com/v1.0/users/..%2Fx%3Fy%23z/presence"
    );
    let g = Genesys::new("https://api.mypurecloud.com");
    assert_eq!(
        g.plan_user(&id).unwrap().url,
        "https://api.mypurecloud.com/api/v2/users/..%2Fx%3Fy%23z/presences/purecloud"
    );
    assert_eq!(
        g.plan(std::slice::from_ref(&id), None).requests[0].url,
        "https://api.mypurecloud.com/api/v2/users/presences/purecloud/bulk?id=..%2Fx%3Fy%23z"
    );
    assert_eq!(
        g.plan_primary_source(&id).unwrap().url,
        "https://api.mypurecloud.com/api/v2/presence/users/..%2Fx%3Fy%23z/primarysource"
    );
    let custom = g.clone().with_source("a/b");
    assert!(custom
        .plan_user(&"u".into())
        .unwrap()
        .url
        .ends_with("/presences/a%2Fb"));
    let r = RocketChat::new("https://chat.example.com");
    let ids = [id.clone(), UserId::new("a,b"), UserId::new("&from=1")];
    assert_eq!(
        r.plan(&ids, None).requests[0].url,
        "https://chat.example.com/api/v1/users.presence?ids=..%2Fx%3Fy%23z,a%2Cb,%26from%3D1"
    );
    assert_eq!(
        r.plan_get_status(&id).unwrap().url,
        "https://chat.example.com/api/v1/users.getStatus?userId=..%2Fx%3Fy%23z"
    );
    // In a JSON body an id is a JSON string: escaped by serde, never spliced.
    let body = graph.plan(&[UserId::new("a\"b")], None).requests[0]
        .body
        .clone()
        .unwrap();
    assert_eq!(body, r#"{"ids":["a\"b"]}"#);
}

#[test]
fn dot_segments_and_empty_ids_are_refused_everywhere() {
    for bad in ["", "..", "."] {
        let id = UserId::new(bad);
        assert!(Graph::new("https://g").plan_user(&id).is_err(), "{bad:?}");
        assert!(Genesys::new("https://g").plan_user(&id).is_err(), "{bad:?}");
    }
    for kind in ProviderKind::ALL {
        let plan = Adapter::new(kind, "https://x.example")
            .unwrap()
            .plan(&["".into()], None);
        assert!(plan.requests.is_empty(), "{kind}");
        assert_eq!(plan.rejected.len(), 1, "{kind}");
    }
}

#[test]
fn repeated_ids_are_asked_for_once() {
    let ids: Vec<UserId> = ["b", "a", "b", "a", "c"]
        .into_iter()
        .map(UserId::from)
        .collect();
    for kind in [
        ProviderKind::Graph,
        ProviderKind::RocketChat,
        ProviderKind::Genesys,
    ] {
        let plan = Adapter::new(kind, "https://x.example")
            .unwrap()
            .plan(&ids, None);
        let asked: Vec<&str> = plan
            .requests
            .iter()
            .flat_map(|r| r.ids.iter().map(UserId::as_str))
            .collect();
        assert_eq!(asked, ["b", "a", "c"], "{kind}");
    }
}

#[test]
fn plans_carry_no_credentials() {
    for kind in ProviderKind::ALL {
        let plan = Adapter::new(kind, "https://x.example")
            .unwrap()
            .plan(&["7".into()], None);
        for r in &plan.requests {
            assert!(r
                .headers
                .iter()
                .all(|(name, _)| !name.eq_ignore_ascii_case("authorization")));
        }
    }
}
