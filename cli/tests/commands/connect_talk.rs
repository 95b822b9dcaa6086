//! `chatwire connect --protocol talk` against `chatwire sim`: alice (joined with `--room`) and
//! bob (joined with the `join` command) exchange messages in a seeded room over real loopback
//! HTTP long-polls.

use crate::support::{text, Peer, Sim, TALK_ROOM};
use serde_json::json;

#[test]
fn alice_and_bob_exchange_messages_in_a_seeded_room() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::talk(&sim, "alice", &[TALK_ROOM]);
    let mut bob = Peer::talk(&sim, "bob", &[]);
    bob.call("join", json!({"room": TALK_ROOM}));
    for peer in [&alice, &bob] {
        // The room's history: it opens with `conversation_created`.
        let first = peer.wait_for("the room's history", 0, |e| {
            e["type"] == "message_received" && e["message"]["chat_id"] == TALK_ROOM
        });
        assert_eq!(first["message"]["content"]["type"], "system", "{first}");
    }

    let to_bob = alice.send(TALK_ROOM, "hello bob");
    let got = bob.wait_message(&to_bob);
    assert_eq!(text(&got), "hello bob");
    assert_eq!(got["author"]["id"], "alice");
    assert_eq!(got["own"], false);

    let to_alice = bob.send(TALK_ROOM, "hello alice");
    let got = alice.wait_message(&to_alice);
    assert_eq!(text(&got), "hello alice");
    assert_eq!(got["author"]["id"], "bob");

    for peer in [&alice, &bob] {
        assert_eq!(
            peer.received_counts().values().max(),
            Some(&1),
            "{}",
            peer.name
        );
    }
    alice.finish();
    bob.finish();
}
