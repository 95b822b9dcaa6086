//! A message redelivered after the dedupe window forgot it is neither delivered again nor
//! counted unread again: a room's messages come in id order, so nothing at or below the newest
//! delivered is news, and the badge stays equal to the server's.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::Session as _;

#[test]
fn a_message_redelivered_after_the_window_forgot_it_is_not_news() {
    let mut c = config();
    c.limits.dedupe_window = 4;
    let mut s = TalkSession::new(c);
    let poll = join_live(&mut s, at(0), 1);
    let page_of = |ids: std::ops::RangeInclusive<i64>| {
        ids.map(|i| message(i, "bob", &format!("m{i}")))
            .collect::<Vec<_>>()
    };
    s.handle_http_response(at(1), poll.id, page(page_of(2..=10), 10));
    assert_eq!(received_ids(&events(&mut s)).len(), 9);
    let unread = s.read_state(ROOM).unwrap().unread;
    // The server sends #3 again (a proxy replay, an overlapping page): the window of 4 has
    // long forgotten it.
    let next = one_request(&mut s);
    s.handle_http_response(at(2), next.id, page(page_of(3..=3), 10));
    assert!(
        received_ids(&events(&mut s)).is_empty(),
        "not delivered twice"
    );
    assert_eq!(
        s.read_state(ROOM).unwrap().unread,
        unread,
        "not counted twice"
    );
    // What is new still arrives.
    let next = one_request(&mut s);
    s.handle_http_response(at(3), next.id, page(page_of(11..=11), 11));
    assert_eq!(received_ids(&events(&mut s)), ["11"]);
}
