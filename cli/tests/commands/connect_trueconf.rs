//! `chatwire connect --protocol trueconf` against `chatwire sim`: alice creates a group chat,
//! adds bob, and they exchange messages over real loopback WebSockets.

use crate::support::{is_type, text, Peer, Sim};
use serde_json::json;

#[test]
fn alice_and_bob_exchange_messages_in_a_new_group_chat() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::trueconf(&sim, "alice");
    let mut bob = Peer::trueconf(&sim, "bob");
    let connected = alice.wait_for("connected", 0, is_type("connected"));
    assert_eq!(connected["user_id"], "alice@sim.local");
    bob.wait_for("connected", 0, is_type("connected"));

    let reply = alice.call(
        "request",
        json!({"method": "createGroupChat", "payload": {"title": "cli test"}}),
    );
    let chat = reply["chat_id"].as_str().expect("chat_id").to_string();
    alice.call(
        "request",
        json!({"method": "addChatParticipant", "payload": {"chatId": chat, "userId": "bob@sim.local"}}),
    );
    let created = bob.wait_for("the chat to reach bob", 0, |e| {
        e["type"] == "chat_created" && e["chat"]["id"] == chat
    });
    assert_eq!(created["chat"]["title"], "cli test");
    bob.wait_for("bob's participant_added", 0, |e| {
        e["type"] == "participant_added" && e["chat_id"] == chat && e["user_id"] == "bob@sim.local"
    });

    let to_bob = alice.send(&chat, "hello bob");
    let got = bob.wait_message(&to_bob);
    assert_eq!(text(&got), "hello bob");
    assert_eq!(got["author"]["id"], "alice@sim.local");
    assert_eq!(got["chat_id"], chat.as_str());
    assert_eq!(got["own"], false);

    let to_alice = bob.send(&chat, "hello alice");
    let got = alice.wait_message(&to_alice);
    assert_eq!(text(&got), "hello alice");
    assert_eq!(got["author"]["id"], "bob@sim.local");

    // Each side acknowledged what it received, which marks it read on the server.
    for peer in [&mut alice, &mut bob] {
        let chats = peer.call("chats", json!({}));
        let entry = chats["chats"]
            .as_array()
            .and_then(|list| list.iter().find(|c| c["id"] == chat))
            .unwrap_or_else(|| panic!("{}: chat missing from {chats}", peer.name))
            .clone();
        assert_eq!(entry["unread"], 0, "{}: {entry}", peer.name);
    }
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
