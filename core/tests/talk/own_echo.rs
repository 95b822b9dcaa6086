//! A sent message is pending until 201; its echo in the poll is matched by referenceId and not
//! delivered again, whichever comes first.

use crate::support::*;
use chatwire::{Event, Reply, Session as _};
use serde_json::json;

fn own_message(id: i64, reference: &str, text: &str) -> serde_json::Value {
    let mut m = message(id, USER, text);
    m["referenceId"] = json!(reference);
    m
}

#[test]
fn echo_after_201_is_not_delivered_twice() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let req = s.send_message(at(1), ROOM, "hello", Some(7), true).unwrap();
    let post = one_request(&mut s);
    assert_eq!(post.method, "POST");
    assert_eq!(path(&post), "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab");
    let f = form(&post);
    assert_eq!(f["message"], "hello");
    assert_eq!(f["replyTo"], "7");
    assert_eq!(f["silent"], "true");
    let reference = f["referenceId"].clone();
    assert_eq!(reference.len(), 64);
    assert!(reference
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert!(events(&mut s).is_empty(), "pending until 201");
    assert_eq!(s.pending_sends().len(), 1);

    s.handle_http_response(
        at(2),
        post.id,
        ocs(201, own_message(8, &reference, "hello"), &[]),
    );
    let evs = events(&mut s);
    assert!(evs.contains(&Event::Delivered {
        request: req,
        message_id: Some("8".into())
    }));
    assert!(evs.iter().any(|e| matches!(e,
        Event::Response { request, reply: Reply::MessageSent { message_id, .. } }
            if *request == req && message_id == "8")));
    assert!(s.pending_sends().is_empty());

    s.handle_http_response(
        at(3),
        poll.id,
        page(vec![own_message(8, &reference, "hello")], 8),
    );
    let evs = events(&mut s);
    assert!(received_ids(&evs).is_empty(), "{evs:?}");
    assert!(!evs.iter().any(|e| matches!(e, Event::Delivered { .. })));
}

#[test]
fn echo_before_201_confirms_the_send_once() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let req = s.send_message(at(1), ROOM, "hi", None, false).unwrap();
    let post = one_request(&mut s);
    let f = form(&post);
    assert!(!f.contains_key("replyTo") && !f.contains_key("silent"));
    let reference = f["referenceId"].clone();

    s.handle_http_response(
        at(2),
        poll.id,
        page(vec![own_message(8, &reference, "hi")], 8),
    );
    let evs = events(&mut s);
    assert!(received_ids(&evs).is_empty());
    assert!(evs.contains(&Event::Delivered {
        request: req,
        message_id: Some("8".into())
    }));

    // The 201 that arrives afterwards changes nothing.
    s.handle_http_response(
        at(3),
        post.id,
        ocs(201, own_message(8, &reference, "hi"), &[]),
    );
    let evs = events(&mut s);
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::Delivered { .. } | Event::Response { .. })),
        "{evs:?}"
    );
}

#[test]
fn own_messages_from_elsewhere_are_delivered_as_own() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(
        at(2),
        poll.id,
        page(vec![message(9, USER, "from my phone")], 9),
    );
    let evs = events(&mut s);
    let own = evs.iter().find_map(|e| match e {
        Event::MessageReceived { message } => Some(message.own),
        _ => None,
    });
    assert_eq!(own, Some(true));
}

#[test]
fn a_201_after_the_echo_still_updates_the_common_read_marker() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.send_message(at(1), ROOM, "hi", None, false).unwrap();
    let post = one_request(&mut s);
    let reference = form(&post)["referenceId"].clone();
    s.handle_http_response(
        at(2),
        poll.id,
        page(vec![own_message(8, &reference, "hi")], 8),
    );
    events(&mut s);
    s.handle_http_response(
        at(3),
        post.id,
        ocs(
            201,
            own_message(8, &reference, "hi"),
            &[("X-Chat-Last-Common-Read", "8")],
        ),
    );
    events(&mut s);
    assert_eq!(
        s.read_state(ROOM)
            .and_then(|r| r.last_common_read_id.as_deref()),
        Some("8"),
        "the answer's header is kept even though the echo resolved the send"
    );
}
