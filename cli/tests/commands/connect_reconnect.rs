//! Reconnecting after an injected drop loses nothing and duplicates nothing: `chatwire connect`
//! ↔ `chatwire sim` for each protocol. Messages are sent while the connection drops and while
//! it is down; every message whose send succeeded arrives exactly once (counted by message id
//! over all `message_received` events), and no message arrives twice.
//!
//! - TrueConf, `POST /admin/inject {"disconnect_all": true}`: the receiver gets every message
//!   exactly once, those that reached the server while it was away on its next `auth`.
//! - tada, `disconnect_all` and `--drop-after-frames`: tada's WebSocket does not replay what a
//!   client missed while its socket was down; the client fetches the gap over the REST history
//!   after every reconnect, as real clients do. So the receiver gets every message exactly
//!   once, and the server holds each once (the receiver's unread count, kept by the server,
//!   equals the number sent).
//! - Talk has no socket to drop: its equivalent is a burst of 503s from the server.

use crate::support::{is_type, Peer, Sim, TADA_GROUP, TALK_ROOM};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// How long to keep listening for duplicates once everything expected has arrived.
const SETTLE: Duration = Duration::from_millis(500);

/// A send submitted without waiting: its tag and text.
struct Pending {
    tag: String,
    text: String,
}

fn submit(peer: &mut Peer, chat: &str, text: String) -> Pending {
    let tag = peer.submit("send", json!({"chat": chat, "text": text}));
    Pending { tag, text }
}

/// The message ids of the sends that succeeded. A send that failed must have failed as
/// "disconnected, maybe delivered" (a TrueConf write caught by the drop), and only if
/// `may_be_cut` allows it.
fn confirmed(peer: &Peer, sends: &[Pending], may_be_cut: bool) -> (Vec<String>, Vec<String>) {
    let (mut ok, mut unsure) = (Vec::new(), Vec::new());
    for send in sends {
        let result = peer.result(&send.tag);
        if result["ok"] == true {
            ok.push(
                result["reply"]["message_id"]
                    .as_str()
                    .expect("message_id")
                    .to_string(),
            );
        } else {
            assert!(
                may_be_cut
                    && result["error"]
                        == json!({"kind": "disconnected", "delivery": "maybe_delivered"}),
                "{}: {:?} failed: {result}",
                peer.name,
                send.text
            );
            unsure.push(send.text.clone());
        }
    }
    (ok, unsure)
}

/// Every id in `expected` reached `receiver` exactly once; a message in `unsure` (by text) at
/// most once; no message id arrived twice.
fn assert_exactly_once(receiver: &Peer, expected: &[String], unsure: &[String]) {
    for id in expected {
        receiver.wait_message(id);
    }
    std::thread::sleep(SETTLE);
    let counts = receiver.received_counts();
    for id in expected {
        assert_eq!(counts.get(id), Some(&1), "{}: message {id}", receiver.name);
    }
    let duplicated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "{}: delivered twice: {duplicated:?}",
        receiver.name
    );
    let mut by_text: HashMap<String, usize> = HashMap::new();
    for e in receiver.events() {
        if e["type"] == "message_received" {
            *by_text
                .entry(crate::support::text(&e["message"]).to_string())
                .or_default() += 1;
        }
    }
    for text in unsure {
        assert!(
            by_text.get(text).copied().unwrap_or(0) <= 1,
            "{}: {text:?} twice",
            receiver.name
        );
    }
}

/// The sends of one drop: issued while the socket drops and while it is down, then one after
/// both sides are back.
struct AcrossDrop {
    in_flight: Vec<Pending>,
    while_down: Vec<Pending>,
    after: String,
}

/// Drops every WebSocket while `sender` has sends in flight, sends more while it is down, waits
/// for both sides to come back, then sends one more.
fn send_across_drop(sim: &Sim, sender: &mut Peer, receiver: &Peer, chat: &str) -> AcrossDrop {
    let (s0, r0) = (sender.mark(), receiver.mark());
    let in_flight: Vec<Pending> = (0..3)
        .map(|i| submit(sender, chat, format!("in flight {i}")))
        .collect();
    sim.inject(json!({"disconnect_all": true}));
    let (s1, _) = sender.wait_at("the sender's disconnect", s0, is_type("disconnected"));
    let (r1, _) = receiver.wait_at("the receiver's disconnect", r0, is_type("disconnected"));
    let while_down: Vec<Pending> = (0..3)
        .map(|i| submit(sender, chat, format!("while down {i}")))
        .collect();
    sender.wait_for("the sender's reconnect", s1, is_type("connected"));
    receiver.wait_for("the receiver's reconnect", r1, is_type("connected"));
    let after = sender.send(chat, "after the reconnect");
    AcrossDrop {
        in_flight,
        while_down,
        after,
    }
}

#[test]
fn trueconf_loses_and_duplicates_nothing_across_a_dropped_socket() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::trueconf(&sim, "alice");
    let bob = Peer::trueconf(&sim, "bob");
    bob.wait_for("bob connected", 0, is_type("connected"));
    let reply = alice.call(
        "request",
        json!({"method": "createGroupChat", "payload": {"title": "reconnect"}}),
    );
    let chat = reply["chat_id"].as_str().expect("chat_id").to_string();
    alice.call(
        "request",
        json!({"method": "addChatParticipant", "payload": {"chatId": chat, "userId": "bob@sim.local"}}),
    );
    bob.wait_for("the chat to reach bob", 0, |e| {
        e["type"] == "chat_created" && e["chat"]["id"] == chat
    });
    let before = alice.send(&chat, "before the drop");
    bob.wait_message(&before);

    let sent = send_across_drop(&sim, &mut alice, &bob, &chat);
    // Sends issued while the socket was down never left: they must all succeed. A write cut
    // by the drop is reported "maybe delivered", never replayed blindly.
    let (mut ok, none) = confirmed(&alice, &sent.while_down, false);
    assert!(none.is_empty());
    let (cut_ok, unsure) = confirmed(&alice, &sent.in_flight, true);
    ok.extend(cut_ok);
    ok.extend([before, sent.after]);
    // What reached the server while bob was away comes with his next `auth` (receiveUnread).
    assert_exactly_once(&bob, &ok, &unsure);
    alice.finish();
    bob.finish();
}

/// The unread count of `chat` the server last reported to `peer`.
fn server_unread(peer: &Peer, chat: &str) -> Option<u64> {
    peer.events()
        .iter()
        .rev()
        .find(|e| e["type"] == "read_state_changed" && e["chat_id"] == chat)
        .and_then(|e| e["state"]["unread"].as_u64())
}

#[test]
fn tada_loses_and_duplicates_nothing_across_a_dropped_socket() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::tada(&sim, "alice");
    let mut bob = Peer::tada(&sim, "bob");
    for peer in [&alice, &bob] {
        peer.wait_for("the seeded group chat", 0, |e| {
            e["type"] == "chat_created" && e["chat"]["id"] == TADA_GROUP
        });
    }
    let before = alice.send(TADA_GROUP, "before the drop");
    bob.wait_message(&before);
    let since = bob.mark();
    bob.call("read", json!({"chat": TADA_GROUP, "message": before}));
    bob.wait_for("bob's badge back to 0", since, |e| {
        e["type"] == "counters" && e["badge"] == 0
    });

    let sent = send_across_drop(&sim, &mut alice, &bob, TADA_GROUP);
    // tada resends an unconfirmed message with the same message_id: nothing may be cut.
    let (mut ok, none) = confirmed(&alice, &sent.in_flight, false);
    ok.extend(confirmed(&alice, &sent.while_down, false).0);
    assert!(none.is_empty());
    ok.push(sent.after.clone());

    // The server holds each message exactly once: bob's unread count, kept by the server, is
    // the number sent since his read marker, and stays there.
    bob.wait_for(
        &format!("bob's unread count to reach {}", ok.len()),
        0,
        |e| {
            e["type"] == "read_state_changed"
                && e["chat_id"] == TADA_GROUP
                && e["state"]["unread"] == ok.len()
        },
    );
    // bob, whose socket was down too, got every message once: what he missed while away came
    // from the history fetch after his reconnect.
    assert_exactly_once(&bob, &ok, &[]);
    assert_eq!(server_unread(&bob, TADA_GROUP), Some(ok.len() as u64));
    // alice's own copies (the server echoes a message to its sender) came back at most once.
    assert_exactly_once(&alice, &[], &[]);
    alice.finish();
    bob.finish();
}

#[test]
fn tada_loses_and_duplicates_nothing_when_every_socket_drops_after_a_few_frames() {
    // Every connection is cut after 10 server frames, again and again, while messages flow.
    let sim = Sim::start(&["--drop-after-frames", "10"]);
    let mut alice = Peer::tada(&sim, "alice");
    let bob = Peer::tada(&sim, "bob");
    // What was sent before bob's first connection is history, not a gap: start once both are in.
    for peer in [&alice, &bob] {
        peer.wait_for("the seeded group chat", 0, |e| {
            e["type"] == "chat_created" && e["chat"]["id"] == TADA_GROUP
        });
    }
    let sent: Vec<String> = (0..12)
        .map(|i| alice.send(TADA_GROUP, &format!("message {i}")))
        .collect();
    bob.wait_for("bob's unread count to reach 12", 0, |e| {
        e["type"] == "read_state_changed"
            && e["chat_id"] == TADA_GROUP
            && e["state"]["unread"] == 12
    });
    assert_exactly_once(&bob, &sent, &[]);
    assert_exactly_once(&alice, &[], &[]);
    assert_eq!(server_unread(&bob, TADA_GROUP), Some(sent.len() as u64));
    for peer in [&alice, &bob] {
        let drops = peer
            .events()
            .iter()
            .filter(|e| e["type"] == "disconnected")
            .count();
        assert!(drops >= 1, "{}: the socket was never dropped", peer.name);
    }
    alice.finish();
    bob.finish();
}

#[test]
fn talk_loses_and_duplicates_nothing_across_a_burst_of_503s() {
    let sim = Sim::start(&[]);
    let mut alice = Peer::talk(&sim, "alice", &[TALK_ROOM]);
    let bob = Peer::talk(&sim, "bob", &[TALK_ROOM]);
    let before = alice.send(TALK_ROOM, "before the burst");
    bob.wait_message(&before);

    // The next requests (sends and polls alike) answer 503 before anything else happens.
    let faults = sim.inject(json!({"http_503_burst": 4}));
    assert_eq!(faults["http_503_burst"], 4, "{faults}");
    let sends: Vec<Pending> = (0..4)
        .map(|i| submit(&mut alice, TALK_ROOM, format!("during the burst {i}")))
        .collect();
    let (mut ok, unsure) = confirmed(&alice, &sends, false);
    let now: Value = sim.inject(json!({}));
    assert_eq!(now["http_503_burst"], 0, "the burst was not used up: {now}");
    ok.push(before);
    ok.push(alice.send(TALK_ROOM, "after the burst"));
    assert_exactly_once(&bob, &ok, &unsure);
    alice.finish();
    bob.finish();
}
