//! Read state per room: the read marker, unread messages after it not written by us, and the
//! last common read, reported as events.

use crate::support::*;
use chatwire::{Event, ReadState, Session as _};
use serde_json::json;

fn last_state(events: &[Event]) -> Option<ReadState> {
    events.iter().rev().find_map(|e| match e {
        Event::ReadStateChanged { chat_id, state } if chat_id == ROOM => Some(state.clone()),
        _ => None,
    })
}

#[test]
fn unread_counts_messages_after_the_marker_not_by_us() {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 10).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(at(1), history.id, page(vec![message(10, "bob", "old")], 10));
    let st = last_state(&events(&mut s)).unwrap();
    assert_eq!(st.unread, Some(0));
    assert_eq!(st.last_read_message_id.as_deref(), Some("10"));

    let poll = one_request(&mut s);
    let mut system = message(13, "bob", "{actor} started a call");
    system["messageType"] = json!("system");
    system["systemMessage"] = json!("call_started");
    s.handle_http_response(
        at(2),
        poll.id,
        page(
            vec![message(11, "bob", "a"), message(12, "carol", "b"), system],
            13,
        ),
    );
    let st = last_state(&events(&mut s)).unwrap();
    assert_eq!(st.unread, Some(2), "system messages do not count");
    let poll = one_request(&mut s);

    // Marking read changes the state when the server confirms.
    s.mark_read_up_to(at(3), ROOM, 11).unwrap();
    let post = one_request(&mut s);
    assert_eq!(form(&post)["lastReadMessage"], "11");
    assert!(last_state(&events(&mut s)).is_none());
    s.handle_http_response(
        at(4),
        post.id,
        ocs(200, json!([]), &[("X-Chat-Last-Common-Read", "9")]),
    );
    let st = last_state(&events(&mut s)).unwrap();
    assert_eq!(st.unread, Some(1));
    assert_eq!(st.last_read_message_id.as_deref(), Some("11"));
    assert_eq!(st.last_common_read_id.as_deref(), Some("9"));

    // Our own message moves the marker past everything before it.
    s.handle_http_response(at(5), poll.id, page(vec![message(14, USER, "me")], 14));
    let st = last_state(&events(&mut s)).unwrap();
    assert_eq!(st.unread, Some(0));
    assert_eq!(st.last_read_message_id.as_deref(), Some("14"));
    assert_eq!(s.read_state(ROOM), Some(&st));
}

#[test]
fn trait_mark_read_returns_the_request() {
    let mut s = talk();
    let id = s.mark_read(at(0), ROOM, "42").unwrap();
    assert!(id.is_some());
    assert_eq!(form(&one_request(&mut s))["lastReadMessage"], "42");
    assert!(s.mark_read(at(0), ROOM, "abc").is_err());
}
