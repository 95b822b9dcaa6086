//! A server that cannot be reached is reported on every attempt with the delay until the next
//! one; the TLS-to-plain-HTTP mistake is named; refused credentials stop `connect`, the
//! WebSocket upgrade's 401 included.

use crate::support::{Peer, Sim, TADA_TEAM, TALK_ROOM};

fn failures(peer: &Peer, n: usize) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut since = 0;
    while out.len() < n {
        let (i, e) = peer.wait_at("a failed attempt", since, |e| e["type"] == "connect_failed");
        out.push(e);
        since = i + 1;
    }
    out
}

#[test]
fn a_closed_port_is_reported_with_the_delay_until_the_retry() {
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let peer = Peer::spawn(
        "alice",
        &[
            "--protocol",
            "talk",
            "--server",
            &server,
            "--user",
            "alice",
            "--password",
            "x",
            "--room",
            TALK_ROOM,
        ],
    );
    let seen = failures(&peer, 2);
    for e in &seen {
        assert_eq!(e["permanent"], false, "{e}");
        assert!(e["retry_in_ms"].as_u64().is_some(), "{e}");
        assert!(e["attempt"].as_u64().unwrap() >= 1);
        assert!(e["reason"].as_str().unwrap().contains("no answer"), "{e}");
    }
}

#[test]
fn https_to_a_plain_http_port_is_named() {
    let sim = Sim::start(&[]);
    let server = format!("https://{}", sim.addr());
    let peer = Peer::spawn(
        "alice",
        &[
            "--protocol",
            "talk",
            "--server",
            &server,
            "--user",
            "alice",
            "--password",
            "alice-app-pass",
            "--room",
            TALK_ROOM,
        ],
    );
    let e = &failures(&peer, 1)[0];
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("use http:// instead of https://"),
        "{e}"
    );
}

#[test]
fn a_server_that_always_answers_503_is_reported() {
    let sim = Sim::start(&[]);
    sim.inject(serde_json::json!({"http_503_burst": 1000}));
    let peer = Peer::talk(&sim, "alice", &[TALK_ROOM]);
    let seen = failures(&peer, 2);
    assert!(
        seen.iter()
            .all(|e| e["reason"].as_str().unwrap().contains("503")),
        "{seen:?}"
    );
}

#[test]
fn a_wrong_password_stops_connect() {
    let sim = Sim::start(&[]);
    let mut peer = Peer::spawn(
        "alice",
        &[
            "--protocol",
            "talk",
            "--server",
            &sim.url,
            "--user",
            "alice",
            "--password",
            "wrong",
            "--room",
            TALK_ROOM,
        ],
    );
    let e = peer.wait_for("the refusal", 0, |e| e["type"] == "connect_failed");
    assert_eq!(e["permanent"], true, "{e}");
    assert!(e["retry_in_ms"].is_null());
    peer.wait_for("auth_failed", 0, |e| e["type"] == "auth_failed");
    let status = peer.wait_exit().expect("connect exits by itself");
    assert!(!status.success());
}

#[test]
fn a_refused_tada_token_is_an_auth_failure_that_stops_connect() {
    let sim = Sim::start(&[]);
    let mut peer = Peer::spawn(
        "alice",
        &[
            "--protocol",
            "tada",
            "--server",
            &sim.url,
            "--team",
            TADA_TEAM,
            "--token",
            "wrong-token",
        ],
    );
    // The upgrade answers 401: not a drop to retry, an auth failure, and connect ends.
    let e = peer.wait_for("auth_failed", 0, |e| e["type"] == "auth_failed");
    assert!(e.to_string().contains("401"), "{e}");
    let status = peer.wait_exit().expect("connect exits by itself");
    assert!(!status.success());
    assert!(
        !peer
            .events()
            .iter()
            .any(|e| e["type"] == "connect_failed" && e["permanent"] == false),
        "no retry of the same token"
    );
}

#[test]
fn a_password_inside_the_server_url_is_never_printed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(crate::support::bin())
        .args([
            "connect",
            "--protocol",
            "trueconf",
            "--server",
            &format!("http://bob:s3cret-in-url@127.0.0.1:{port}"),
            "--user",
            "bob",
            "--password",
            "pw",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("<redacted>"), "{text}");
    assert!(!text.contains("s3cret-in-url"), "{text}");
}
