//! Every server request is acked `{"type":2,"id":N}` exactly once per frame, before the app sees it.
use crate::support::Harness;
use chatwire::{Event, Session as _, Transmit};
use serde_json::json;

fn message(server_id: u32, message_id: &str) -> serde_json::Value {
    json!({"type":1,"id":server_id,"method":"sendMessage","payload":{
        "messageId":message_id,"chatId":"chat-1","timestamp":1746028006345i64,"type":200,
        "author":{"id":"alice@x","type":1},"content":{"text":"hi","parseMode":"text"},
        "isEdited":false,"box":{"id":1,"position":"0"}}})
}

#[test]
fn ack_is_queued_before_the_event_and_exactly_once() {
    let mut h = Harness::ready();
    h.s.handle_frame(h.now, &message(77, "m-1").to_string());
    // The host drains transmits first: the ack is already there when the event is read.
    let first = h.s.poll_transmit().expect("ack queued");
    assert_eq!(
        first,
        Transmit::Frame {
            text: r#"{"type":2,"id":77}"#.into()
        }
    );
    assert!(h.s.poll_transmit().is_none(), "exactly one ack");
    let (_, events) = h.drain();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::MessageReceived { message } if message.id == "m-1")));
}

#[test]
fn a_redelivered_frame_is_acked_again_but_delivered_once() {
    let mut h = Harness::ready();
    let (acks1, ev1) = h.feed(message(5, "m-dup"));
    let (acks2, ev2) = h.feed(message(6, "m-dup"));
    assert_eq!(acks1, vec![json!({"type":2,"id":5})]);
    assert_eq!(
        acks2,
        vec![json!({"type":2,"id":6})],
        "each frame gets its ack"
    );
    let count = |evs: &[Event]| {
        evs.iter()
            .filter(|e| matches!(e, Event::MessageReceived { .. }))
            .count()
    };
    assert_eq!(
        count(&ev1) + count(&ev2),
        1,
        "the app sees the message once"
    );
}

#[test]
fn unknown_and_malformed_notifications_are_still_acked() {
    let mut h = Harness::ready();
    let (acks, events) = h.feed(json!({"type":1,"id":9,"method":"somethingNew","payload":{"x":1}}));
    assert_eq!(acks, vec![json!({"type":2,"id":9})]);
    assert!(matches!(&events[0], Event::Unknown { name: Some(n), .. } if n == "somethingNew"));

    let (acks, events) = h.feed(json!({"type":1,"id":10,"method":"removeChat","payload":{}}));
    assert_eq!(
        acks,
        vec![json!({"type":2,"id":10})],
        "acked so the server does not redeliver"
    );
    assert!(matches!(&events[0], Event::ProtocolError { .. }));

    let (acks, events) = h.feed(json!({"type":1,"id":11,"payload":{}}));
    assert_eq!(acks, vec![json!({"type":2,"id":11})]);
    assert!(matches!(&events[0], Event::ProtocolError { .. }));
}

#[test]
fn notifications_before_auth_completes_are_acked_too() {
    let mut h = Harness::new();
    h.s.handle_connected(h.now);
    h.drain();
    let (acks, _) = h.feed(message(1, "early"));
    assert_eq!(acks, vec![json!({"type":2,"id":1})]);
}
