//! `chatwire connect --state FILE` across a restart (Talk) and a kill (tada): what was seen is not delivered
//! again, what came while it was down arrives, and unread is the server's.

use crate::support::{Peer, Sim, TALK_ROOM};
use serde_json::{json, Value};
use std::collections::HashSet;

fn state_file(name: &str) -> std::path::PathBuf {
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "chatwire-{name}-{}-{unique}.json",
        std::process::id()
    ))
}

/// The server's unread count of `room` for `user`.
fn server_unread(sim: &Sim, user: &str, room: &str) -> u64 {
    let room = sim.talk_get(user, &format!("/ocs/v2.php/apps/spreed/api/v4/room/{room}"));
    room["unreadMessages"].as_u64().expect("unreadMessages")
}

/// The last unread count `peer` reported for `room`.
fn reported_unread(peer: &Peer, room: &str) -> Option<u64> {
    peer.events()
        .iter()
        .rev()
        .find(|e| e["type"] == "read_state_changed" && e["chat_id"] == room)
        .and_then(|e| e["state"]["unread"].as_u64())
}

fn received_in(peer: &Peer, room: &str) -> Vec<String> {
    peer.events()
        .iter()
        .filter(|e| e["type"] == "message_received" && e["message"]["chat_id"] == room)
        .filter_map(|e| e["message"]["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_restart_with_state_repeats_nothing_misses_nothing_and_counts_unread_as_the_server() {
    let sim = Sim::start(&[]);
    let path = state_file("talk-restart");
    let state = path.to_str().unwrap();
    let mut bob = Peer::talk(&sim, "bob", &[]);
    bob.call("join", json!({"room": TALK_ROOM}));

    let alice = Peer::talk_with(&sim, "alice", &[TALK_ROOM], &["--state", state]);
    alice.wait_for("the join", 0, |e| {
        e["type"] == "result" && e["op"] == "join" && e["ok"] == true
    });
    let seen_before = bob.send(TALK_ROOM, "before the restart");
    alice.wait_message(&seen_before);
    let first_run: HashSet<String> = received_in(&alice, TALK_ROOM).into_iter().collect();
    assert!(first_run.contains(&seen_before));
    alice.finish();
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        saved["rooms"][0]["last_given"].as_i64().is_some(),
        "the state holds the room's cursor: {saved}"
    );

    let meanwhile: Vec<String> = (1..=3)
        .map(|n| bob.send(TALK_ROOM, &format!("while alice was away {n}")))
        .collect();
    let alice = Peer::talk_with(&sim, "alice", &[TALK_ROOM], &["--state", state]);
    for id in &meanwhile {
        alice.wait_message(id);
    }
    // The join also answered, and the room list came: by then a redelivery would show.
    alice.wait_for("the join", 0, |e| {
        e["type"] == "result" && e["op"] == "join"
    });
    alice.wait_for("the room list", 0, |e| e["type"] == "chat_created");
    let second_run = received_in(&alice, TALK_ROOM);
    assert_eq!(second_run, meanwhile, "only what came meanwhile, once each");
    let server = server_unread(&sim, "alice", TALK_ROOM);
    assert_eq!(
        server, 4,
        "the message before the restart and the three after"
    );
    alice.wait_for("unread as the server counts it", 0, |e| {
        e["type"] == "read_state_changed"
            && e["chat_id"] == TALK_ROOM
            && e["state"]["unread"].as_u64() == Some(server)
    });
    assert_eq!(reported_unread(&alice, TALK_ROOM), Some(server));
    alice.finish();
    bob.finish();
    let _ = std::fs::remove_file(&path);
}

#[test]
fn state_works_for_the_websocket_protocols_too() {
    let sim = Sim::start(&[]);
    for protocol in ["tada", "trueconf"] {
        let path = state_file(protocol);
        let state = path.to_str().unwrap();
        let args: Vec<String> = match protocol {
            "tada" => vec![
                "--team",
                crate::support::TADA_TEAM,
                "--token",
                "alice-token",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            _ => vec!["--user", "alice", "--password", "alice-pass"]
                .into_iter()
                .map(String::from)
                .collect(),
        };
        let mut all: Vec<&str> = vec!["--protocol", protocol, "--server", &sim.url];
        all.extend(args.iter().map(String::as_str));
        all.extend(["--state", state]);
        let peer = Peer::spawn(protocol, &all);
        peer.wait_for("connected", 0, |e| e["type"] == "connected");
        peer.finish();
        let text = std::fs::read_to_string(&path).expect("state written at exit");
        let saved: Value = serde_json::from_str(&text).expect("the state is JSON");
        assert!(saved.is_object(), "{protocol}: {saved}");
        // Restored from it: starts and connects again.
        let peer = Peer::spawn(protocol, &all);
        peer.wait_for("connected again", 0, |e| e["type"] == "connected");
        peer.finish();
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn a_killed_tada_client_restored_from_its_state_catches_up_once() {
    use crate::support::{TADA_GROUP, TADA_TEAM};
    let sim = Sim::start(&[]);
    let path = state_file("tada-kill");
    let state = path.to_str().unwrap();
    let args = [
        "--protocol",
        "tada",
        "--server",
        &sim.url,
        "--team",
        TADA_TEAM,
        "--token",
        "alice-token",
        "--state",
        state,
    ];
    let mut bob = Peer::tada(&sim, "bob");
    let alice = Peer::spawn("alice", &args);
    alice.wait_for("connected", 0, |e| e["type"] == "connected");
    let before = bob.send(TADA_GROUP, "before the kill");
    alice.wait_message(&before);
    // The state is written a moment after a change; then the process is killed, not asked to
    // exit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let saved_cursor = |t: &str| {
        serde_json::from_str::<Value>(t).is_ok_and(|v| v["catchup_cursor"].as_i64().is_some())
    };
    while !std::fs::read_to_string(&path).is_ok_and(|t| saved_cursor(&t)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the state was never written"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(alice);

    let meanwhile: Vec<String> = (1..=3)
        .map(|n| bob.send(TADA_GROUP, &format!("while alice was dead {n}")))
        .collect();
    let alice = Peer::spawn("alice", &args);
    for id in &meanwhile {
        alice.wait_message(id);
    }
    let received: Vec<String> = alice
        .events()
        .iter()
        .filter(|e| e["type"] == "message_received")
        .filter_map(|e| e["message"]["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        received, meanwhile,
        "what came meanwhile, once each, in order; nothing replayed"
    );
    alice.finish();
    bob.finish();
    let _ = std::fs::remove_file(&path);
}
