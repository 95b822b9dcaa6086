//! The first history page ends at the read marker the request was sent with: a marker that
//! moves while that page is in flight (our own send answered, the room list) must not move the
//! long-poll's cursor past messages nobody has fetched yet.
//!
//! This is how the soak lost a room's first message: bob's history was still in flight when his
//! own first send came back 201 (id 7, which moves the sender's read marker); the poll then
//! started after 7 and alice's message 6 was never fetched.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn own_send_answered_during_the_history_keeps_the_cursor_at_the_old_marker() {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 5).unwrap();
    let history = one_request(&mut s);
    assert_eq!(query(&history)["lastKnownMessageId"], "5");

    let send = {
        s.send_message(at(1), ROOM, "mine", None, false).unwrap();
        one_request(&mut s)
    };
    // Message 6 (someone else's) landed before ours, which the server numbered 7.
    s.handle_http_response(at(2), send.id, ocs(201, message(7, USER, "mine"), &[]));
    events(&mut s);

    // The page was read with marker 5: it ends at 5.
    s.handle_http_response(at(3), history.id, page(vec![message(5, "bob", "old")], 5));
    events(&mut s);
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lookIntoFuture"], "1");
    assert_eq!(
        query(&poll)["lastKnownMessageId"],
        "5",
        "6 is still to fetch"
    );

    s.handle_http_response(
        at(4),
        poll.id,
        page(
            vec![message(6, "bob", "first"), message(7, USER, "mine")],
            7,
        ),
    );
    assert_eq!(
        received_ids(&events(&mut s)),
        ["6"],
        "7 is our own, already confirmed"
    );
}

#[test]
fn an_empty_history_starts_the_poll_at_the_marker_it_was_read_with() {
    let mut s = talk();
    s.join_room_from(at(0), ROOM, 5).unwrap();
    let history = one_request(&mut s);
    s.send_message(at(1), ROOM, "mine", None, false).unwrap();
    let send = one_request(&mut s);
    s.handle_http_response(at(2), send.id, ocs(201, message(7, USER, "mine"), &[]));
    s.handle_http_response(at(3), history.id, not_modified());
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastKnownMessageId"], "5");
}
