//! 2 000 rooms joined from the room list all long-poll: a message in any of them arrives.

use crate::support::{Peer, Sim};
use serde_json::json;

#[test]
fn two_thousand_rooms_all_poll() {
    let sim = Sim::start(&["--talk-bulk-rooms", "2000"]);
    let alice = Peer::talk_with(&sim, "alice", &[], &["--all-rooms"]);
    alice.wait_for("the last bulk room listed", 0, |e| {
        e["type"] == "chat_created" && e["chat"]["id"] == "bulk-2000"
    });
    let mut bob = Peer::talk(&sim, "bob", &[]);
    let rooms = ["bulk-1", "bulk-1024", "bulk-1025", "bulk-1999", "bulk-2000"];
    for room in rooms {
        bob.call("join", json!({"room": room}));
    }
    // Give every room's first history page time to go out, so the sends come by poll.
    std::thread::sleep(std::time::Duration::from_secs(2));
    for room in rooms {
        let id = bob.send(room, &format!("hello {room}"));
        let got = alice.wait_message(&id);
        assert_eq!(got["chat_id"], room);
    }
    assert!(
        !alice.events().iter().any(|e| e["type"] == "connect_failed"),
        "no room failed to poll"
    );
    alice.finish();
    bob.finish();
}
