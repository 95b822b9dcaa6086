//! A back-off that grew while the server refused (429/503) does not outlast it: once the server
//! answers anything again, the room's loop and parked commands retry after a fresh first delay
//! — but never before a `Retry-After` the server gave.

use crate::support::*;
use chatwire::{Header, Session as _};

#[test]
fn a_send_answered_brings_the_room_loop_back_within_a_second() {
    let mut s = talk();
    let mut poll = join_live(&mut s, at(0), 7);
    let mut now = at(0);
    for _ in 0..6 {
        s.handle_http_response(now, poll.id, failure(503));
        now = s.poll_timeout().unwrap();
        s.handle_timeout(now);
        poll = one_request(&mut s);
    }
    s.handle_http_response(now, poll.id, failure(503));
    let waiting = s.poll_timeout().unwrap().as_millis() - now.as_millis();
    assert!(waiting >= 16_000, "the back-off grew: {waiting} ms");

    s.send_message(now, ROOM, "hello", None, false).unwrap();
    let post = one_request(&mut s);
    s.handle_http_response(now, post.id, ocs(201, message(8, USER, "hello"), &[]));
    let due = s.poll_timeout().unwrap().as_millis() - now.as_millis();
    assert!(
        due <= 1000,
        "the server answers again: poll within a second, not {due} ms"
    );
    s.handle_timeout(s.poll_timeout().unwrap());
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "7");
}

#[test]
fn a_retry_after_still_holds_when_something_else_succeeds() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let mut r = failure(429);
    r.headers.push(Header::new("Retry-After", "20"));
    s.handle_http_response(at(0), poll.id, r);
    s.send_message(at(10), ROOM, "hello", None, false).unwrap();
    let post = one_request(&mut s);
    s.handle_http_response(at(20), post.id, ocs(201, message(8, USER, "hello"), &[]));
    assert_eq!(
        s.poll_timeout(),
        Some(at(20_000)),
        "not before the server said"
    );
}
