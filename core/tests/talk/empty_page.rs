//! A 200 with zero messages still advances the cursor to its `X-Chat-Last-Given`.

use crate::support::*;
use chatwire::Session as _;
use serde_json::json;

#[test]
fn empty_200_advances_the_cursor() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(100), poll.id, page(vec![], 20));
    assert!(received_ids(&events(&mut s)).is_empty());
    let next = one_request(&mut s);
    assert_eq!(query(&next)["lastKnownMessageId"], "20");
    assert_eq!(s.cursor(ROOM), Some(20));

    // Without the header the cursor stays where it was.
    s.handle_http_response(at(200), next.id, ocs(200, json!([]), &[]));
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "20");
}
