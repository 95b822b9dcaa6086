//! A 304 (no new messages within the wait) re-polls at once with the same cursor.

use crate::support::*;
use chatwire::Session as _;
use std::time::Duration;

#[test]
fn not_modified_repolls_immediately_with_the_same_cursor() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    assert_eq!(query(&poll)["lastKnownMessageId"], "7");
    s.handle_http_response(at(30_000), poll.id, not_modified());
    assert!(events(&mut s).is_empty());
    let again = one_request(&mut s);
    assert_ne!(again.id, poll.id);
    assert_eq!(query(&again), query(&poll));
    // Nothing is due before the new poll's own deadline: wait + request timeout.
    let deadline = at(30_000).add(Duration::from_secs(30) + config().limits.request_timeout);
    assert_eq!(s.poll_timeout(), Some(deadline));
}

#[test]
fn not_modified_history_means_an_empty_room() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    s.handle_http_response(at(1), history.id, not_modified());
    let poll = one_request(&mut s);
    let q = query(&poll);
    assert_eq!(q["lookIntoFuture"], "1");
    assert!(
        !q.contains_key("lastKnownMessageId"),
        "from the start of the room"
    );
}
