//! Incoming messages reach the app once even when a poll overlaps the history or an answer is
//! repeated.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn overlapping_poll_delivers_each_message_once() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(
        at(1),
        history.id,
        page(vec![message(12, "bob", "c"), message(11, "bob", "b")], 11),
    );
    assert_eq!(received_ids(&events(&mut s)), ["11", "12"]);
    let poll = one_request(&mut s);
    // A server (or proxy cache) that answers from an older cursor.
    s.handle_http_response(
        at(2),
        poll.id,
        page(
            vec![
                message(11, "bob", "b"),
                message(12, "bob", "c"),
                message(13, "bob", "d"),
            ],
            13,
        ),
    );
    assert_eq!(received_ids(&events(&mut s)), ["13"]);
    let poll = one_request(&mut s);
    s.handle_http_response(at(3), poll.id, page(vec![message(13, "bob", "d")], 13));
    assert!(received_ids(&events(&mut s)).is_empty());
}
