//! Bad input never panics and never corrupts state: unparsable or oversized frames become
//! ProtocolError, well-formed unknown events become Unknown, and the session goes on.

use crate::support::*;
use chatwire::{Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn unknown_events_are_delivered_raw() {
    let mut s = connected();
    let frame = json!({"event": "server.future.thing", "params": {"x": 1}}).to_string();
    s.handle_frame(Timestamp(1), &frame);
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Unknown {
            name: Some("server.future.thing".into()),
            raw: serde_json::from_str(&frame).unwrap()
        }]
    );
    s.handle_frame(Timestamp(1), r#"{"last-tab": 91238475}"#);
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Unknown { name: None, .. }]
    ));
}

#[test]
fn malformed_frames_are_protocol_errors_with_the_raw_text() {
    let mut s = connected();
    for bad in [
        "",
        "not json",
        "[1,2,3]",
        "42",
        r#"{"event": "server.message.updated", "params": "oops"}"#,
        r#"{"event": "server.chat.updated", "params": {"chats": [{"jid": {"a": 1}}]}}"#,
        r#"{"event": "server.call.talking", "params": {}}"#,
        "{\"event\": \"server.time\", \"params\": {\"time\": \"\u{0}\"",
    ] {
        s.handle_frame(Timestamp(1), bad);
        let events = drain_events(&mut s);
        assert!(
            matches!(events.as_slice(), [Event::ProtocolError { raw, .. }] if raw == bad),
            "{bad:?}: {events:?}"
        );
    }
}

#[test]
fn a_bad_item_is_reported_and_the_good_ones_are_delivered() {
    let mut s = connected();
    let frame = json!({"event": "server.message.updated", "params": {
        "messages": [message("m-1", "g-1", "d-2", "ok", 1), {"no": "id"}],
        "chat_counters": [{"jid": "g-1", "gentime": 5, "num_unread": 9}],
        "badge": 9
    }})
    .to_string();
    s.handle_frame(Timestamp(1), &frame);
    let events = drain_events(&mut s);
    // The server already has our confirm for the frame: dropping the good message with the bad
    // one would lose it for good.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MessageReceived { message } if message.id == "m-1")),
        "{events:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, Event::ProtocolError { raw, reason } if raw.contains("no") && reason.contains("message_id"))
        ),
        "{events:?}"
    );
    assert_eq!(s.read_state("g-1").and_then(|r| r.unread), Some(9));
    assert_eq!(s.badge(), Some(9));
}

#[test]
fn oversized_frames_are_refused_but_still_confirmed() {
    let mut c = config();
    c.limits.max_frame_bytes = 100;
    let mut s = connected_with(c);
    let big = messages_updated(
        vec![message("m-1", "g-1", "d-2", &"x".repeat(200), 1)],
        Some("Srv000000009"),
    );
    s.handle_frame(Timestamp(1), &big);
    let events = drain_events(&mut s);
    assert!(
        matches!(events.as_slice(), [Event::ProtocolError { reason, .. }] if reason.contains("exceeds")),
        "{events:?}"
    );
    // Unconfirmed, the server would redeliver it forever.
    let frames = drain_frames(&mut s);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["event"], "client.confirm");
    assert_eq!(frames[0]["params"]["confirm_id"], "Srv000000009");
}

#[test]
fn lenient_values_are_accepted() {
    let mut s = connected();
    // Numbers as strings, flags as 0/1, nulls where lists are expected.
    let frame = json!({"event": "server.chat.lastread", "params": {
        "badge": "3",
        "chats": [{"jid": "g-1", "gentime": "1569546094920474368", "num_unread": "3",
                   "num_unread_notices": null, "last_read_message_id": null, "is_archive": 0}],
        "team_unread": null
    }})
    .to_string();
    s.handle_frame(Timestamp(1), &frame);
    let events = drain_events(&mut s);
    assert!(matches!(&events[0], Event::ReadStateChanged { state, .. }
        if state.unread == Some(3) && state.version == Some(1_569_546_094_920_474_368)));
    assert!(matches!(&events[1], Event::Counters { badge: Some(3), .. }));
    s.handle_frame(
        Timestamp(2),
        &server(
            "server.online",
            json!({"calls": null, "contacts": null}),
            None,
        ),
    );
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Tada { .. }]
    ));
}
