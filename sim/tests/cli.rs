//! The `presence-sim` binary's command line: `--help`, one-line errors, and the README's command;
//! and what it prints while serving, which never holds a token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_presence-sim"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert!(out.status.success(), "{flag}: {:?}", out.status);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with("usage: presence-sim "), "{stdout}");
        for option in [
            "--port",
            "--users",
            "--seed",
            "--change-every",
            "--www",
            "--pkg",
            "--graph-limit",
            "--rocketchat-limit",
            "--genesys-limit",
            "--superoffice-limit",
            "--heartbeat-ms",
        ] {
            assert!(stdout.contains(option), "{option} in {stdout}");
        }
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn a_bad_command_line_fails_with_one_line() {
    for (args, says) in [
        (&["--prot", "8080"][..], "invalid option '--prot'"),
        (&["--port", "eighty"], "--port needs a number, not `eighty`"),
        (&["--graph-limit", "100/x"], "bad seconds in `100/x`"),
        (&["--users"], "missing argument for option '--users'"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("presence-sim: "), "{stderr}");
        assert!(stderr.contains(says), "{says} in {stderr}");
    }
}

/// The README's command, on any free port instead of 8080: it starts and says where it listens.
#[test]
fn the_readme_command_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presence-sim"))
        .args([
            "--port",
            "0",
            "--users",
            "200",
            "--seed",
            "1",
            "--change-every",
            "5",
            "--graph-limit",
            "100/30",
            "--rocketchat-limit",
            "off",
            "--www",
            "no-such-www",
            "--pkg",
            "no-such-pkg",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    child.kill().unwrap();
    child.wait().unwrap();
    read.unwrap();
    assert!(
        line.starts_with("presence-sim listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains("200 people per provider, seed 1, a change every 5000 ms"),
        "{line}"
    );
}

/// The next JSON text frame of a socket that satisfies `wanted`.
async fn frame_where<S>(
    ws: &mut S,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = next {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            if wanted(&value) {
                return value;
            }
        }
    }
}

/// Requests with every provider's credentials, good, revoked and refused, and logins on both push
/// sockets: none of the secrets shows up in anything the binary prints.
#[test]
fn serving_never_prints_a_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presence-sim"))
        .args(["--port", "0", "--users", "5", "--change-every", "0"])
        .args(["--www", "no-such-www", "--pkg", "no-such-pkg"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| panic!("no URL in `{first}`"));

    let secrets = [
        "graph-secret-0001",
        "rc-secret-0002",
        "genesys-secret-0003",
        "so-ticket-secret-0004",
        "so-app-secret-0005",
        "revoked-secret-0006",
        "rc-socket-secret-0007",
        "rc-revoked-secret-0008",
        "genesys-socket-secret-0009",
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use presence_sim::client::{control, request};
        let graph = "/graph/v1.0/communications/getPresencesByUserId";
        let so = "/superoffice/api/v1/Agents/User/GetUserPresenceStatus";
        let answers = [
            request(
                &base,
                "POST",
                graph,
                &[
                    ("Authorization", "Bearer graph-secret-0001"),
                    ("Content-Type", "application/json"),
                ],
                Some(r#"{"ids": ["nobody"]}"#),
            )
            .await,
            request(
                &base,
                "GET",
                "/rocketchat/api/v1/users.presence?ids=a",
                &[("X-User-Id", "u1"), ("X-Auth-Token", "rc-secret-0002")],
                None,
            )
            .await,
            request(
                &base,
                "GET",
                "/genesys/api/v2/presence/sources",
                &[("Authorization", "Bearer genesys-secret-0003")],
                None,
            )
            .await,
            request(
                &base,
                "POST",
                so,
                &[
                    ("Authorization", "SOTicket so-ticket-secret-0004"),
                    ("SO-AppToken", "so-app-secret-0005"),
                    ("Content-Type", "application/json"),
                ],
                Some("{}"),
            )
            .await,
        ];
        for answer in answers {
            answer.unwrap();
        }
        control(
            &base,
            "POST",
            "/_sim/auth/revoke",
            &serde_json::json!({"provider": "graph", "token": "revoked-secret-0006"}),
        )
        .await
        .unwrap();
        let refused = request(
            &base,
            "POST",
            graph,
            &[("Authorization", "Bearer revoked-secret-0006")],
            Some("{}"),
        )
        .await
        .unwrap();
        assert_eq!(refused.status, 401);

        // Rocket.Chat DDP: a login with a good token and one with a revoked token.
        control(
            &base,
            "POST",
            "/_sim/auth/revoke",
            &serde_json::json!({"provider": "rocketchat", "token": "rc-revoked-secret-0008"}),
        )
        .await
        .unwrap();
        let ws_base = base.replace("http://", "ws://");
        let (mut ddp, _) =
            tokio_tungstenite::connect_async(format!("{ws_base}/rocketchat/websocket"))
                .await
                .unwrap();
        let connect = r#"{"msg":"connect","version":"1","support":["1"]}"#;
        ddp.send(Message::text(connect)).await.unwrap();
        frame_where(&mut ddp, |f| f["msg"] == "connected").await;
        for (token, answer) in [
            ("rc-socket-secret-0007", "result"),
            ("rc-revoked-secret-0008", "error"),
        ] {
            let login = serde_json::json!({
                "msg": "method", "method": "login", "id": token, "params": [{"resume": token}],
            });
            ddp.send(Message::text(login.to_string())).await.unwrap();
            let result = frame_where(&mut ddp, |f| f["msg"] == "result").await;
            assert!(result.get(answer).is_some(), "{result}");
        }

        // Genesys: a channel made with a secret token, and a socket on it.
        let channel = request(
            &base,
            "POST",
            "/genesys/api/v2/notifications/channels",
            &[("Authorization", "Bearer genesys-socket-secret-0009")],
            Some(""),
        )
        .await
        .unwrap()
        .json();
        let uri = channel["connectUri"].as_str().unwrap();
        let (mut socket, _) = tokio_tungstenite::connect_async(uri).await.unwrap();
        socket
            .send(Message::text(r#"{"message":"ping"}"#))
            .await
            .unwrap();
        frame_where(&mut socket, |f| f["eventBody"]["message"] == "pong").await;
    });
    child.kill().unwrap();
    let mut printed = first;
    stdout.read_to_string(&mut printed).unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    child.wait().unwrap();
    for secret in secrets {
        assert!(!printed.contains(secret), "{secret} in `{printed}`");
    }
}
