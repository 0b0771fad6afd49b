//! Normalizing realistic answers, each beside an untyped `serde_json::Value` parse of the same
//! bytes: a 650-person Graph getPresencesByUserId answer, a 10,000-user Rocket.Chat users.presence
//! answer and a 50-user Genesys bulk answer. The goal: the adapter, which parses *and* normalizes,
//! takes no longer than the untyped parse alone.
#![allow(
    clippy::indexing_slicing,
    reason = "indexes only the payloads this file generates"
)]

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;

    use criterion::{criterion_group, Criterion, Throughput};
    use presence_widgets::core::{
        Genesys, Graph, HttpRequest, HttpResponse, Provider, RocketChat, UserId,
    };
    use serde_json::{json, Value};

    fn guid(i: usize) -> String {
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            i * 2_654_435_761 % 0xffff_ffff,
            i % 0xffff,
            i % 0xfff,
            (i * 7) % 0xfff,
            i * 97
        )
    }

    const GRAPH: [(&str, &str); 8] = [
        ("Available", "Available"),
        ("Busy", "InAMeeting"),
        ("Busy", "InACall"),
        ("DoNotDisturb", "Presenting"),
        ("Away", "Away"),
        ("BeRightBack", "BeRightBack"),
        ("Offline", "OffWork"),
        ("AvailableIdle", "Available"),
    ];

    fn graph_answer(n: usize) -> (Vec<UserId>, String) {
        let ids: Vec<UserId> = (0..n).map(|i| UserId::new(guid(i))).collect();
        let value: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (availability, activity) = GRAPH[i % GRAPH.len()];
                let mut p = json!({
                    "@odata.type": "#microsoft.graph.presence",
                    "id": id.as_str(),
                    "availability": availability,
                    "activity": activity,
                    "outOfOfficeSettings": { "message": null, "isOutOfOffice": i % 17 == 0 },
                    "sequenceNumber": format!("A{:010}", 129_311_063 + i),
                    "workLocation": { "placeId": null, "source": "none", "workLocationType": "unspecified" },
                });
                if i % 5 == 0 {
                    p["statusMessage"] = json!({
                        "message": { "content": format!("Working on ticket #{i}"), "contentType": "text" },
                        "publishedDateTime": "2026-11-23T08:07:15.4012511Z",
                    });
                }
                p
            })
            .collect();
        (ids, json!({ "value": value }).to_string())
    }

    fn rocketchat_answer(n: usize) -> (Vec<UserId>, String) {
        let statuses = ["online", "busy", "away", "online"];
        let ids: Vec<UserId> = (0..n).map(|i| UserId::new(format!("u{i:016x}"))).collect();
        let users: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut u = json!({
                    "_id": id.as_str(),
                    "name": format!("Person Number {i}"),
                    "username": format!("person.{i}"),
                    "status": statuses[i % statuses.len()],
                    "utcOffset": i % 13,
                    "avatarETag": format!("{i:017x}"),
                });
                if i % 3 == 0 {
                    u["statusText"] = json!("In a call");
                }
                u
            })
            .collect();
        (
            ids,
            json!({ "users": users, "full": false, "success": true }).to_string(),
        )
    }

    fn genesys_answer(n: usize) -> (Vec<UserId>, String) {
        let systems = [
            "AVAILABLE",
            "BUSY",
            "ON_QUEUE",
            "AWAY",
            "BREAK",
            "MEAL",
            "OFFLINE",
            "MEETING",
        ];
        let ids: Vec<UserId> = (0..n).map(|i| UserId::new(guid(i))).collect();
        let list: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({
                    "id": "purecloud",
                    "userId": id.as_str(),
                    "source": "PURECLOUD",
                    "sourceId": "PURECLOUD",
                    "presenceDefinition": {
                        "id": guid(1_000_000 + i % 8),
                        "systemPresence": systems[i % systems.len()],
                        "selfUri": format!("/api/v2/presencedefinitions/{}", guid(1_000_000 + i % 8)),
                    },
                    "message": if i % 4 == 0 { "Back at 11" } else { "" },
                    "modifiedDate": "2026-11-23T08:01:00.000Z",
                    "selfUri": format!("/api/v2/users/{}/presences/purecloud", id.as_str()),
                })
            })
            .collect();
        (ids, Value::Array(list).to_string())
    }

    fn compare(
        c: &mut Criterion,
        name: &str,
        adapter: &dyn Provider,
        request: HttpRequest,
        body: String,
    ) {
        let expected = request.ids.len();
        let response = HttpResponse::new(200, body);
        let bytes = response.body.as_bytes();
        // The answer is checked once, so the benchmark measures real work.
        let update = adapter.parse(&request, &response).unwrap_or_default();
        assert_eq!(update.presences.len(), expected, "{name}");

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(u64::try_from(bytes.len()).unwrap_or(0)));
        group.bench_function("adapter parse+normalize", |b| {
            b.iter(|| adapter.parse(black_box(&request), black_box(&response)))
        });
        group.bench_function("serde_json::Value", |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)))
        });
        group.finish();
    }

    fn normalize(c: &mut Criterion) {
        let graph = Graph::new("https://graph.microsoft.com/v1.0");
        let (ids, body) = graph_answer(650);
        let plan = graph.plan(&ids, None);
        if let Some(request) = plan.requests.into_iter().next() {
            compare(c, "graph getPresencesByUserId 650", &graph, request, body);
        }

        let rc = RocketChat::new("https://chat.example.com");
        let (ids, body) = rocketchat_answer(10_000);
        let mut request = rc.plan(&ids[..1], None).requests.into_iter().next();
        if let Some(request) = request.as_mut() {
            // One request asking for all 10,000: the answer is read against every id.
            request.ids = ids;
        }
        if let Some(request) = request {
            compare(c, "rocketchat users.presence 10000", &rc, request, body);
        }

        let genesys = Genesys::new("https://api.mypurecloud.com");
        let (ids, body) = genesys_answer(50);
        let plan = genesys.plan(&ids, None);
        if let Some(request) = plan.requests.into_iter().next() {
            compare(c, "genesys bulk 50", &genesys, request, body);
        }
    }

    criterion_group!(benches, normalize);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(bench::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
