//! `chatwire connect --protocol tada` against `chatwire sim`: alice and bob exchange messages
//! in the seeded group chat over real loopback WebSockets.

use crate::support::{is_type, text, Peer, Sim, TADA_GROUP};

#[test]
fn alice_and_bob_exchange_messages_in_the_seeded_group() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::tada(&sim, "alice");
    let mut bob = Peer::tada(&sim, "bob");
    for peer in [&alice, &bob] {
        peer.wait_for("connected", 0, is_type("connected"));
        peer.wait_for("the seeded group chat", 0, |e| {
            e["type"] == "chat_created" && e["chat"]["id"] == TADA_GROUP
        });
    }

    let to_bob = alice.send(TADA_GROUP, "hello bob");
    let got = bob.wait_message(&to_bob);
    assert_eq!(text(&got), "hello bob");
    assert_eq!(got["chat_id"], TADA_GROUP);
    assert_eq!(got["own"], false);
    // tada echoes a message to its sender too: it arrives flagged as our own.
    assert_eq!(alice.wait_message(&to_bob)["own"], true);

    let to_alice = bob.send(TADA_GROUP, "hello alice");
    let got = alice.wait_message(&to_alice);
    assert_eq!(text(&got), "hello alice");
    assert_eq!(got["own"], false);
    assert_eq!(got["author"], bob.wait_message(&to_alice)["author"]);

    for peer in [&alice, &bob] {
        let counts = peer.received_counts();
        assert_eq!(counts.get(&to_bob), Some(&1), "{}", peer.name);
        assert_eq!(counts.get(&to_alice), Some(&1), "{}", peer.name);
    }
    alice.finish();
    bob.finish();
}
