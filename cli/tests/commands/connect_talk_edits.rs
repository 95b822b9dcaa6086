//! Edits, deletions and reactions between two `chatwire connect` over the simulator (Talk
//! 19), and the typed refusal of an edit on Talk 18.

use crate::support::{text, Peer, Sim, TALK_ROOM};
use serde_json::json;

#[test]
fn edit_react_and_delete_are_seen_by_the_other_user() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::talk(&sim, "alice", &[TALK_ROOM]);
    let mut bob = Peer::talk(&sim, "bob", &[]);
    bob.call("join", json!({"room": TALK_ROOM}));
    alice.wait_for("the join", 0, |e| {
        e["type"] == "result" && e["op"] == "join"
    });

    let id = bob.send(TALK_ROOM, "@alice have a look");
    let got = alice.wait_message(&id);
    assert_eq!(
        text(&got),
        "@Alice have a look",
        "the mention reads as typed"
    );

    let edited = bob.call(
        "edit",
        json!({"room": TALK_ROOM, "message": id, "text": "@alice have a look, please"}),
    );
    assert_eq!(edited["message"]["id"], id.as_str());
    let seen = alice.wait_for("the edit", 0, |e| {
        e["type"] == "message_edited" && e["message"]["id"] == id.as_str()
    });
    assert_eq!(text(&seen["message"]), "@Alice have a look, please");
    assert_eq!(seen["message"]["edited"], true);

    alice.call(
        "react",
        json!({"room": TALK_ROOM, "message": id, "emoji": "👍"}),
    );
    let r = bob.wait_for("alice's reaction", 0, |e| {
        e["type"] == "reactions_changed" && e["message_id"] == id.as_str()
    });
    assert_eq!(
        r["reactions"],
        json!([{"emoji": "👍", "count": 1, "own": false}])
    );
    let mark = bob.mark();
    alice.call(
        "unreact",
        json!({"room": TALK_ROOM, "message": id, "emoji": "👍"}),
    );
    bob.wait_for("the reaction taken back", mark, |e| {
        e["type"] == "reactions_changed"
            && e["message_id"] == id.as_str()
            && e["reactions"] == json!([])
    });

    bob.call("delete", json!({"room": TALK_ROOM, "message": id}));
    let removed = alice.wait_for("the deletion", 0, |e| e["type"] == "message_removed");
    assert_eq!(removed["message_id"], id.as_str());
    assert_eq!(removed["by"], "bob");
    // None of the system messages about the message came as a message of its own.
    let id_n: i64 = id.parse().unwrap();
    let later: Vec<i64> = alice
        .received_counts()
        .keys()
        .filter_map(|k| k.parse::<i64>().ok())
        .filter(|k| *k > id_n)
        .collect();
    assert!(later.is_empty(), "{later:?}");
    alice.finish();
    bob.finish();
}

#[test]
fn talk_18_refuses_an_edit_with_a_typed_error() {
    let sim = Sim::start(&["--talk-version", "18"]);
    let mut bob = Peer::talk(&sim, "bob", &[TALK_ROOM]);
    let id = bob.send(TALK_ROOM, "typo");
    let tag = bob.submit(
        "edit",
        json!({"room": TALK_ROOM, "message": id, "text": "fixed"}),
    );
    let result = bob.result(&tag);
    assert_eq!(result["ok"], false);
    assert_eq!(
        result["error"],
        json!({"kind": "talk", "code": "unsupported", "feature": "edit-messages"})
    );
    bob.finish();
}

#[test]
fn joining_a_missing_room_fails() {
    let sim = Sim::start(&[]);
    let mut bob = Peer::talk(&sim, "bob", &[]);
    let tag = bob.submit("join", json!({"room": "no-such-room"}));
    let result = bob.result(&tag);
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(
        result["error"],
        json!({"kind": "talk", "code": "not_found"})
    );
    bob.finish();
}
