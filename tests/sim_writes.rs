//! The adapters' writes against presence-sim (written from the documents alone): each planned
//! write is taken by the simulator and then read back; writing another person is the documented
//! 403 until the permission is granted; the simulator's refusals read as typed errors.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers", feature = "write"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

use presence_sim::client::allow_writing_others;
use presence_sim::{Config, Limits};
use presence_widgets::core::{
    Adapter, Availability, Credentials, Genesys, Graph, PresenceError, Provider, RocketChat,
    Secret, StatusWrite, SuperOffice, UserId,
};

#[path = "support/native_sim.rs"]
mod native_sim;
use native_sim::{people, send};

async fn sim() -> String {
    let config = Config {
        users: 20,
        seed: 11,
        change_every_ms: 0,
        limits: Limits::documented(),
    };
    presence_sim::spawn(config).await.unwrap()
}

/// Sends every request of `write` for `id`; the first refusal, if any.
async fn write(
    base: &str,
    adapter: &dyn Provider,
    credentials: &Credentials,
    id: &UserId,
    write: &StatusWrite,
) -> Result<(), PresenceError> {
    let plan = adapter.plan_write(id, write, now())?;
    for request in &plan.requests {
        let answer = send(base, request, credentials).await;
        adapter.parse_write(request, &answer)?;
    }
    Ok(())
}

/// What the adapter reads of `id` now.
async fn read(
    base: &str,
    adapter: &dyn Provider,
    credentials: &Credentials,
    id: &UserId,
) -> presence_widgets::core::Presence {
    let plan = adapter.plan(std::slice::from_ref(id), None);
    let answer = send(base, &plan.requests[0], credentials).await;
    adapter
        .parse(&plan.requests[0], &answer)
        .unwrap()
        .presences
        .into_iter()
        .find(|p| p.user == *id)
        .unwrap()
}

fn now() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn status(value: &str) -> StatusWrite {
    StatusWrite {
        status: Some(value.into()),
        ..StatusWrite::default()
    }
}

fn http_status(e: &PresenceError) -> Option<u16> {
    e.status()
}

#[tokio::test]
async fn graph_writes_reach_the_readers_and_another_person_is_403() {
    let base = sim().await;
    let ids = people(&base, "graph").await;
    let (me, other) = (&ids[0], &ids[1]);
    let g = Graph::new(&format!("{base}/graph/v1.0"));
    let token = Credentials::Bearer(Secret::new("graph-writer"));
    let mut busy = status("DoNotDisturb");
    busy.message = Some("Heads down <b>until</b> 3".into());
    busy.expires_ms = Some(now() + 3_600_000);
    write(&base, &g, &token, me, &busy).await.unwrap();
    let shown = read(&base, &g, &token, me).await;
    assert_eq!(shown.availability, Availability::DoNotDisturb);
    assert_eq!(shown.message.as_deref(), Some("Heads down <b>until</b> 3"));
    // Reset: the preferred presence cleared.
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    write(&base, &g, &token, me, &reset).await.unwrap();
    assert_ne!(
        read(&base, &g, &token, me).await.availability,
        Availability::DoNotDisturb
    );
    // Someone else: Presence.ReadWrite.All is needed.
    let refused = write(&base, &g, &token, other, &status("Busy"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&refused), Some(403), "{refused}");
    allow_writing_others(&base, "graph", "graph-writer")
        .await
        .unwrap();
    write(&base, &g, &token, other, &status("Busy"))
        .await
        .unwrap();
    assert_eq!(
        read(&base, &g, &token, other).await.availability,
        Availability::Busy
    );
    // A pair the service does not take (sent by hand: the adapter never plans it) is a 400
    // naming why.
    let mut bad = g
        .plan_write(me, &status("Busy"), now())
        .unwrap()
        .requests
        .remove(0);
    bad.body = Some(r#"{"availability":"Busy","activity":"Away"}"#.into());
    let answer = send(&base, &bad, &token).await;
    let e = g.parse_write(&bad, &answer).unwrap_err();
    assert_eq!(http_status(&e), Some(400), "{e}");
}

#[tokio::test]
async fn rocketchat_set_status_reaches_the_readers_and_needs_the_permission_for_others() {
    let base = sim().await;
    let ids = people(&base, "rocketchat").await;
    let (me, other) = (&ids[0], &ids[1]);
    let rc = RocketChat::new(&format!("{base}/rocketchat"));
    let creds = Credentials::RocketChat {
        user_id: me.as_str().into(),
        auth_token: Secret::new("t"),
    };
    let mut away = status("away");
    away.message = Some("Lunch".into());
    away.expires_ms = Some(now() + 600_000);
    write(&base, &rc, &creds, me, &away).await.unwrap();
    let shown = read(&base, &rc, &creds, me).await;
    assert_eq!(shown.availability, Availability::Away);
    let refused = write(&base, &rc, &creds, other, &status("busy"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&refused), Some(403), "{refused}");
    allow_writing_others(&base, "rocketchat", me.as_str())
        .await
        .unwrap();
    write(&base, &rc, &creds, other, &status("busy"))
        .await
        .unwrap();
    assert_eq!(
        read(&base, &rc, &creds, other).await.availability,
        Availability::Busy
    );
    // A past expiry sent by hand: the documented refusal.
    let mut bad = rc
        .plan_write(me, &status("busy"), now())
        .unwrap()
        .requests
        .remove(0);
    bad.body = Some(r#"{"status":"busy","expiresAt":"2001-01-01T00:00:00.000Z"}"#.into());
    let e = rc
        .parse_write(&bad, &send(&base, &bad, &creds).await)
        .unwrap_err();
    assert!(e.to_string().contains("error-invalid-date"), "{e}");
}

#[tokio::test]
async fn genesys_writes_a_definition_it_learned_and_the_bulk_write_needs_the_permission() {
    let base = sim().await;
    let ids = people(&base, "genesys").await;
    let (me, other) = (&ids[0], &ids[1]);
    let token = Credentials::Bearer(Secret::new("genesys-writer"));
    let mut adapter = Adapter::from(Genesys::new(&format!("{base}/genesys")));
    while let Some(setup) = adapter.plan_setup() {
        adapter.setup_sent(&setup);
        let answer = send(&base, &setup, &token).await;
        adapter.absorb_setup(&setup, Ok(answer));
    }
    let choices = adapter.choices();
    let busy = choices
        .iter()
        .find(|c| c.availability == Availability::Busy && c.activity.is_none())
        .expect("a Busy definition");
    let mut write_busy = status(&busy.value);
    write_busy.message = Some("On a call".into());
    write(&base, &*adapter, &token, me, &write_busy)
        .await
        .unwrap();
    let shown = read(&base, &*adapter, &token, me).await;
    assert_eq!(shown.availability, Availability::Busy);
    assert_eq!(shown.message.as_deref(), Some("On a call"));
    let refused = write(&base, &*adapter, &token, other, &status(&busy.value))
        .await
        .unwrap_err();
    assert_eq!(http_status(&refused), Some(403), "{refused}");
    // The bulk write, for a supervisor's tool: presence:userPresence:edit.
    let g = {
        let mut g = Genesys::new(&format!("{base}/genesys"));
        while let Some(setup) = g.plan_setup() {
            g.setup_sent(&setup);
            let answer = send(&base, &setup, &token).await;
            g.absorb_setup(&setup, Ok(answer));
        }
        g
    };
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    let bulk = g
        .plan_bulk_write(
            &[
                (me.clone(), reset.clone()),
                (other.clone(), status(&busy.value)),
            ],
            now(),
        )
        .unwrap();
    let e = g
        .parse_write(&bulk, &send(&base, &bulk, &token).await)
        .unwrap_err();
    assert_eq!(http_status(&e), Some(403), "{e}");
    allow_writing_others(&base, "genesys", "genesys-writer")
        .await
        .unwrap();
    g.parse_write(&bulk, &send(&base, &bulk, &token).await)
        .unwrap();
    assert_eq!(
        read(&base, &g, &token, me).await.availability,
        Availability::Available
    );
    assert_eq!(
        read(&base, &g, &token, other).await.availability,
        Availability::Busy
    );
}

#[tokio::test]
async fn superoffice_sets_present_or_absent_and_refuses_others() {
    let base = sim().await;
    let ids = people(&base, "superoffice").await;
    let (me, other) = (&ids[0], &ids[1]);
    let so = SuperOffice::new(&format!("{base}/superoffice"));
    let creds = Credentials::superoffice("Bearer so-writer", None).unwrap();
    let mut absent = status("StatusNotAvailable");
    absent.message = Some("Parental leave".into());
    write(&base, &so, &creds, me, &absent).await.unwrap();
    let shown = read(&base, &so, &creds, me).await;
    assert_eq!(shown.availability, Availability::Away);
    assert_eq!(shown.message.as_deref(), Some("Parental leave"));
    let reset = StatusWrite {
        reset: true,
        ..StatusWrite::default()
    };
    write(&base, &so, &creds, me, &reset).await.unwrap();
    assert_eq!(
        read(&base, &so, &creds, me).await.availability,
        Availability::Available
    );
    let refused = write(&base, &so, &creds, other, &absent).await.unwrap_err();
    assert_eq!(http_status(&refused), Some(403), "{refused}");
    // An account state sent by hand is refused by the service too.
    let mut bad = so
        .plan_write(me, &absent, now())
        .unwrap()
        .requests
        .remove(0);
    bad.body = Some(format!(
        r#"{{"AssociateId":{},"UserPresenceStatus":{{"Status":"StatusDeleted","Message":""}}}}"#,
        me.as_str()
    ));
    let e = so
        .parse_write(&bad, &send(&base, &bad, &creds).await)
        .unwrap_err();
    assert_eq!(http_status(&e), Some(400), "{e}");
}
