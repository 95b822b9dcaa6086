//! A page over `max_frame_bytes` (legal long messages add up) makes the room ask for smaller
//! pages, halving until one fits, then growing back; the room never stalls on the same page.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::Session as _;

#[test]
fn a_page_too_large_is_asked_for_again_in_smaller_pages() {
    let mut c = config();
    c.limits.max_frame_bytes = 4_000;
    let mut s = TalkSession::new(c);
    let poll = join_live(&mut s, at(0), 1);
    assert_eq!(query(&poll)["limit"], "100");
    let long = "щ".repeat(900); // 1 800 bytes each: three are over the limit
    let big = page((2..=4).map(|i| message(i, "bob", &long)).collect(), 4);
    s.handle_http_response(at(1), poll.id, big);
    events(&mut s);
    s.handle_timeout(at(60_000));
    let smaller = one_request(&mut s);
    let q = query(&smaller);
    assert_eq!(q["limit"], "50", "half the page");
    assert_eq!(q["lastKnownMessageId"], "1", "from the same place");
    // Still too large: halved again.
    let big = page((2..=4).map(|i| message(i, "bob", &long)).collect(), 4);
    s.handle_http_response(at(60_001), smaller.id, big);
    events(&mut s);
    s.handle_timeout(at(120_000));
    let smaller = one_request(&mut s);
    assert_eq!(query(&smaller)["limit"], "25");
    // One that fits is delivered, and the next page is asked larger again.
    s.handle_http_response(
        at(120_001),
        smaller.id,
        page(vec![message(2, "bob", &long)], 2),
    );
    assert_eq!(received_ids(&events(&mut s)), ["2"]);
    let next = one_request(&mut s);
    assert_eq!(query(&next)["limit"], "50");
    assert_eq!(query(&next)["lastKnownMessageId"], "2");
    s.handle_http_response(
        at(120_002),
        next.id,
        page(vec![message(3, "bob", "short")], 3),
    );
    assert_eq!(received_ids(&events(&mut s)), ["3"]);
    assert_eq!(
        query(&one_request(&mut s))["limit"],
        "100",
        "back to the full page"
    );
}
