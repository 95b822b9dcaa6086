//! A long-poll's own deadline outlasts the server's 30 s wait; a poll that never answers times
//! out, backs off and is replaced, and its late answer is ignored.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn quiet_poll_does_not_time_out_early_and_a_dead_one_is_replaced() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(
        deadline,
        at(60_000),
        "30 s server wait + 30 s request timeout"
    );
    s.handle_timeout(at(59_999));
    assert!(requests(&mut s).is_empty());
    s.handle_timeout(deadline);
    assert!(requests(&mut s).is_empty(), "backs off first");
    let due = s.poll_timeout().unwrap();
    assert!(due > deadline);
    s.handle_timeout(due);
    let next = one_request(&mut s);
    assert_ne!(next.id, poll.id);
    assert_eq!(query(&next)["lastKnownMessageId"], "7");
    // The dead poll answers after all: ignored, the live one stays.
    s.handle_http_response(due, poll.id, page(vec![message(8, "bob", "x")], 8));
    assert!(events(&mut s).is_empty());
    assert!(requests(&mut s).is_empty());
    s.handle_http_response(due, next.id, page(vec![message(8, "bob", "x")], 8));
    assert_eq!(received_ids(&events(&mut s)), ["8"]);
}
