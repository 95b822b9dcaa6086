//! A `X-Chat-Last-Given` that cannot be a cursor (negative, behind the cursor or the page, past
//! any real message id) is refused with a protocol error, and the room keeps receiving from
//! where it was; a negative common read marker is ignored.

use crate::support::*;
use chatwire::{Event, Session as _};

fn refused(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(e, Event::ProtocolError { reason, .. } if reason.contains("X-Chat-Last-Given"))
    })
}

#[test]
fn a_negative_header_does_not_rewind_the_room() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, page(vec![message(8, "bob", "x")], -1));
    let evs = events(&mut s);
    assert_eq!(received_ids(&evs), ["8"]);
    assert!(refused(&evs), "{evs:?}");
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "8");
}

#[test]
fn a_header_behind_the_cursor_does_not_rewind_the_room() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, page(vec![], 3));
    assert!(refused(&events(&mut s)));
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "7");
}

#[test]
fn a_header_past_any_message_id_does_not_silence_the_room() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, page(vec![message(8, "bob", "x")], i64::MAX));
    assert!(refused(&events(&mut s)));
    let next = one_request(&mut s);
    assert_eq!(query(&next)["lastKnownMessageId"], "8");
    // The room still receives what comes next.
    s.handle_http_response(at(2), next.id, page(vec![message(9, "bob", "y")], 9));
    assert_eq!(received_ids(&events(&mut s)), ["9"]);
}

#[test]
fn a_history_header_newer_than_its_page_is_refused() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(
        at(1),
        history.id,
        page(vec![message(12, "bob", "b"), message(11, "bob", "a")], 50),
    );
    let evs = events(&mut s);
    assert_eq!(received_ids(&evs), ["11", "12"]);
    assert!(refused(&evs), "{evs:?}");
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "12");
}

#[test]
fn a_negative_common_read_marker_is_ignored() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(
        at(1),
        poll.id,
        ocs(
            200,
            serde_json::json!([message(8, "bob", "x")]),
            &[
                ("X-Chat-Last-Given", "8"),
                ("X-Chat-Last-Common-Read", "-5"),
            ],
        ),
    );
    events(&mut s);
    let state = s.read_state(ROOM).unwrap();
    assert_ne!(state.last_common_read_id.as_deref(), Some("-5"));
}
