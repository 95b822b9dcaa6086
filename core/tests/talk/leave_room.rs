//! Leaving a room stops its loop; the answer of its poll in flight is ignored.

use crate::support::*;
use chatwire::Session as _;

#[test]
fn leaving_stops_the_loop() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    assert!(s.leave_room(ROOM));
    assert!(!s.leave_room(ROOM));
    s.handle_http_response(at(1), poll.id, page(vec![message(8, "bob", "late")], 8));
    assert!(events(&mut s).is_empty());
    assert!(requests(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), None);
    assert!(s.snapshot().rooms.is_empty());
}
