//! 2 000 rooms joined from the room list all long-poll: a message in any of them arrives,
//! rooms past the 1 024 places of the command table included. (Slow: about 100 s against the
//! debug-build simulator.)

use crate::support::{Peer, Sim};
use serde_json::json;
use std::time::Duration;

/// The debug-build simulator needs seconds to list 2 000 rooms and to answer their first
/// history pages one after the other.
const BULK_WAIT: Duration = Duration::from_secs(120);

#[test]
fn two_thousand_rooms_all_poll() {
    let sim = Sim::start(&["--talk-bulk-rooms", "2000"]);
    let alice = Peer::talk_with(&sim, "alice", &[], &["--all-rooms"]);
    alice.wait_within("the last bulk room listed", 0, BULK_WAIT, |e| {
        e["type"] == "chat_created" && e["chat"]["id"] == "bulk-2000"
    });
    let mut bob = Peer::talk(&sim, "bob", &[]);
    let rooms = ["bulk-1", "bulk-1024", "bulk-1025", "bulk-1999", "bulk-2000"];
    let ids: Vec<String> = rooms
        .iter()
        .map(|room| {
            let tag = bob.submit(
                "send",
                json!({"chat": room, "text": format!("hello {room}")}),
            );
            let r = bob
                .wait_within(&tag, 0, BULK_WAIT, |e| {
                    e["type"] == "result" && e["tag"] == tag.as_str()
                })
                .1;
            assert_eq!(r["ok"], true, "{r}");
            r["reply"]["message_id"].as_str().unwrap().to_string()
        })
        .collect();
    for (room, id) in rooms.iter().zip(&ids) {
        let got = alice
            .wait_within(&format!("message {id} in {room}"), 0, BULK_WAIT, |e| {
                e["type"] == "message_received" && e["message"]["id"] == id.as_str()
            })
            .1;
        assert_eq!(got["message"]["chat_id"], *room);
    }
    // The debug-build simulator answers 2 000 first pages slowly, so some time out and are
    // reported (and retried): that is the app being told. What must never happen is a room
    // refused a place, or stopped.
    let events = alice.events();
    let refused: Vec<_> = events
        .iter()
        .filter(|e| {
            // The seeded lobby room stops (412) as it should; no bulk room may.
            e["type"] == "room_stopped" && e["chat_id"] != "room-lobby"
                || e["type"] == "connect_failed"
                    && e["reason"].as_str().is_some_and(|r| r.contains("too many"))
        })
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    alice.finish();
    bob.finish();
}
