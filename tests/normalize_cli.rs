//! The `normalize` example, run as a user runs it: every provider and endpoint, and garbage.
#![cfg(all(not(target_arch = "wasm32"), feature = "providers"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on fixtures they control"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The example `cargo test` builds beside the test binaries.
fn normalize_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("normalize{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: cargo test builds it",
        bin.display()
    );
    bin
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(normalize_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading: a broken pipe is no failure.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `(user, availability, activity, message, out_of_office, idle)` of each printed presence.
fn printed(stdout: &str) -> Vec<(String, String, Value, Value, bool, bool)> {
    let list: Vec<Value> = serde_json::from_str(stdout).unwrap();
    list.iter()
        .map(|p| {
            (
                p["user"].as_str().unwrap().to_owned(),
                p["availability"].as_str().unwrap().to_owned(),
                p["activity"].clone(),
                p["message"].clone(),
                p["out_of_office"].as_bool().unwrap(),
                p["idle"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn ok(args: &[&str], file: &str) -> Vec<(String, String, Value, Value, bool, bool)> {
    let (code, stdout, stderr) = run(args, &fixture(file));
    assert_eq!(code, 0, "{args:?} < {file}: {stderr}");
    assert!(stderr.is_empty());
    printed(&stdout)
}

fn t(
    user: &str,
    availability: &str,
    activity: Value,
    message: Value,
    oof: bool,
    idle: bool,
) -> (String, String, Value, Value, bool, bool) {
    (
        user.into(),
        availability.into(),
        activity,
        message,
        oof,
        idle,
    )
}

#[test]
fn graph_both_endpoints() {
    let got = ok(
        &["graph", "getPresencesByUserId"],
        "provider-docs/graph-getpresencesbyuserid-beta-01.json",
    );
    assert_eq!(
        got,
        vec![
            t(
                "fa8bf3dc-eca7-46b7-bad1-db199b62afc3",
                "Busy",
                "InAMeeting".into(),
                Value::Null,
                false,
                false
            ),
            t(
                "66825e03-7ef5-42da-9069-724602c31f6b",
                "Away",
                Value::Null,
                Value::Null,
                true,
                false
            ),
        ]
    );
    let got = ok(
        &["graph", "presence"],
        "provider-docs/graph-presence-get-v1-04.json",
    );
    assert_eq!(
        got,
        vec![t(
            "fa8bf3dc-eca7-46b7-bad1-db199b62afc3",
            "Available",
            Value::Null,
            "Hey I am available now".into(),
            false,
            false
        )]
    );
    let got = ok(
        &["graph", "presence"],
        "provider-docs/graph-presence-get-v1-03.json",
    );
    assert_eq!(got[0].1, "Away");
}

#[test]
fn rocketchat_ids_make_absence_offline() {
    let got = ok(
        &[
            "rocketchat",
            "users.presence",
            "--ids",
            "rocket.cat,aobEdbYhXfu5hkeqG",
        ],
        "provider-docs/rocketchat-users.presence-03.json",
    );
    assert_eq!(
        got,
        vec![
            t(
                "rocket.cat",
                "Available",
                Value::Null,
                "In a call".into(),
                false,
                false
            ),
            t(
                "aobEdbYhXfu5hkeqG",
                "Offline",
                Value::Null,
                Value::Null,
                false,
                false
            ),
        ]
    );
    let got = ok(
        &["rocketchat", "users.presence"],
        "provider-docs/rocketchat-users.presence-01.json",
    );
    assert_eq!(got.len(), 2);
    let got = ok(
        &[
            "rocketchat",
            "users.getStatus",
            "--ids",
            "W7NHuX5ri2e3mu2Fc",
        ],
        "provider-docs/rocketchat-users.getStatus-02.json",
    );
    assert_eq!(got[0].1, "Available");
}

#[test]
fn genesys_presence_bulk_and_catalogs() {
    let got = ok(
        &[
            "genesys",
            "presence",
            "--ids",
            "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f",
        ],
        "own/genesys-user-presence-microsoftteams.json",
    );
    assert_eq!(
        got,
        vec![t(
            "9ed7d9f6-0c59-4360-ac54-40dd35eb9c2f",
            "Busy",
            "InAMeeting".into(),
            Value::Null,
            false,
            false
        )]
    );
    let got = ok(&["genesys", "bulk"], "own/genesys-bulk-purecloud.json");
    let availabilities: Vec<&str> = got.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(
        availabilities,
        [
            "Available",
            "Busy",
            "Away",
            "Away",
            "Offline",
            "Unknown",
            "Busy",
            "Unknown"
        ]
    );
    let (code, stdout, _) = run(
        &["genesys", "definitions"],
        &fixture("own/genesys-definitions.json"),
    );
    assert_eq!(code, 0);
    let catalog: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(catalog["kind"], "definitions");
    assert_eq!(
        catalog["definitions"][2]["languageLabels"]["fr"],
        "Déjeuner"
    );
}

#[test]
fn superoffice_status() {
    let got = ok(
        &["superoffice", "GetUserPresenceStatus", "--ids", "963"],
        "provider-docs/superoffice-GetUserPresenceStatus-01.json",
    );
    assert_eq!(
        got,
        vec![t("963", "Offline", Value::Null, "aut".into(), false, false)]
    );
}

#[test]
fn garbage_is_one_line_on_stderr_and_exit_1() {
    let cases: [(&[&str], &[u8]); 6] = [
        (
            &["graph", "getPresencesByUserId"],
            b"<html>502 Bad Gateway</html>",
        ),
        (&["rocketchat", "users.presence"], b"{\"users\": 5}"),
        (&["genesys", "bulk"], b"{\"truncated\": "),
        (
            &["superoffice", "GetUserPresenceStatus", "--ids", "7"],
            b"\xff\xfe\x00garbage",
        ),
        (
            &[
                "graph",
                "presence",
                "--status",
                "429",
                "--header",
                "Retry-After: 2.128",
            ],
            b"{\"error\":{\"code\":\"TooManyRequests\"}}",
        ),
        (&["genesys", "presence", "--ids", "u1"], b""),
    ];
    // An entry whose id cannot be read costs that entry only: it is left out, and said so.
    let (code, stdout, stderr) = run(
        &["rocketchat", "users.presence", "--ids", "b"],
        b"{\"users\": [{\"_id\": 5}, {\"_id\": \"b\", \"status\": \"busy\"}], \"success\": true}",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"availability\": \"Busy\""), "{stdout}");
    assert_eq!(
        stderr.trim(),
        "normalize: rocketchat: cannot read the answer at `users[0]._id`: an entry left out: expected a string, found a number"
    );
    for (args, body) in cases {
        let (code, stdout, stderr) = run(args, body);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("normalize: {}", args[0])),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["teams", "presence"][..],
        &["graph", "nope"],
        &["graph"],
        &["graph", "presence", "--status", "abc"],
    ] {
        let (code, _, stderr) = run(args, b"{}");
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}
