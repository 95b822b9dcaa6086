//! Joining reads one history page (delivered oldest first), then long-polls from the newest
//! message; each answer's `X-Chat-Last-Given` becomes the next cursor.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn history_then_long_poll_with_advancing_cursor() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    assert_eq!(history.method, "GET");
    assert_eq!(
        path(&history),
        "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab"
    );
    let q = query(&history);
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["limit"], "100");
    assert_eq!(q["setReadMarker"], "0");
    assert!(!q.contains_key("lastKnownMessageId"));
    assert!(!q.contains_key("timeout"));

    // History comes newest first.
    let body = page(
        vec![
            message(12, "bob", "c"),
            message(11, "bob", "b"),
            message(10, "bob", "a"),
        ],
        10,
    );
    s.handle_http_response(at(5), history.id, body);
    assert_eq!(received_ids(&events(&mut s)), ["10", "11", "12"]);

    let poll = one_request(&mut s);
    let q = query(&poll);
    assert_eq!(q["lookIntoFuture"], "1");
    assert_eq!(q["timeout"], "30");
    assert_eq!(q["lastKnownMessageId"], "12");
    assert_eq!(q["setReadMarker"], "0");
    assert_eq!(s.cursor(ROOM), Some(12));

    s.handle_http_response(
        at(9),
        poll.id,
        page(vec![message(13, "bob", "d"), message(14, "carol", "e")], 14),
    );
    assert_eq!(received_ids(&events(&mut s)), ["13", "14"]);
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastKnownMessageId"], "14");

    // The header wins over the message ids (the server may skip invisible messages).
    s.handle_http_response(at(10), poll.id, page(vec![message(15, "bob", "f")], 17));
    events(&mut s);
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "17");
}

#[test]
fn poll_timeout_is_capped_at_thirty_seconds() {
    let mut c = config();
    c.poll_timeout_secs = 60;
    let mut s = chatwire::talk::TalkSession::new(c);
    let poll = join_live(&mut s, at(0), 5);
    assert_eq!(query(&poll)["timeout"], "30");
}

#[test]
fn join_from_the_read_marker_reads_history_up_to_it_then_polls_after_it() {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 11).unwrap();
    let history = one_request(&mut s);
    let q = query(&history);
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["lastKnownMessageId"], "11");
    assert_eq!(q["includeLastKnown"], "1");
    s.handle_http_response(
        at(1),
        history.id,
        page(vec![message(11, "bob", "b"), message(10, "bob", "a")], 10),
    );
    assert_eq!(received_ids(&events(&mut s)), ["10", "11"]);
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lookIntoFuture"], "1");
    assert_eq!(query(&poll)["lastKnownMessageId"], "11");
}

#[test]
fn joining_twice_starts_one_loop() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    s.join_room(at(0), ROOM).unwrap();
    assert_eq!(requests(&mut s).len(), 1);
}
