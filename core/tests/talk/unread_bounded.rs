//! A room's unread bookkeeping has a fixed size: however many unread messages pile up, the room
//! keeps the same number of ids (the newest ones), and the count stays exact, including when the
//! read marker moves among the newest ones or one of them is deleted.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::{HttpRequest, Session as _};
use serde_json::{json, Value};

/// How many unread ids the snapshot of ROOM holds.
fn ids_kept(s: &TalkSession) -> usize {
    let snap = serde_json::to_value(s.snapshot()).unwrap();
    snap["rooms"][0]["unread"]["ids"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Answers `poll` and the polls after it with `count` messages by bob, 100 per page, after
/// `last`; returns the next poll and the newest id.
fn receive(
    s: &mut TalkSession,
    now: &mut u64,
    mut poll: HttpRequest,
    mut last: i64,
    count: i64,
) -> (HttpRequest, i64) {
    let end = last + count;
    while last < end {
        let upto = (last + 100).min(end);
        let messages: Vec<Value> = (last + 1..=upto)
            .map(|i| message(i, "bob", &format!("m{i}")))
            .collect();
        *now += 1;
        s.handle_http_response(at(*now), poll.id, page(messages, upto));
        events(s);
        poll = one_request(s);
        last = upto;
    }
    (poll, last)
}

#[test]
fn unread_state_does_not_grow_with_unread_messages() {
    let mut s = talk();
    let mut now = 0;
    let poll = join_live(&mut s, at(0), 1);
    let (poll, last) = receive(&mut s, &mut now, poll, 1, 200);
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(200));
    let small = ids_kept(&s);
    let (poll, last) = receive(&mut s, &mut now, poll, last, 20_000);
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(20_200), "exact");
    assert_eq!(
        ids_kept(&s),
        small,
        "the same ids kept for 200 and for 20 200"
    );
    assert!(small <= 64, "{small} ids");

    // A deletion among the newest, and the marker moving among them, stay exact.
    let mut deleted = message(last + 1, "bob", "{actor} deleted a message");
    deleted["messageType"] = json!("system");
    deleted["systemMessage"] = json!("message_deleted");
    deleted["parent"] = json!({"id": last, "deleted": true});
    now += 1;
    s.handle_http_response(at(now), poll.id, page(vec![deleted], last + 1));
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(20_199));
    s.mark_read_up_to(at(now), ROOM, last - 10).unwrap();
    let post = requests(&mut s)
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    s.handle_http_response(at(now + 1), post.id, ocs(200, json!([]), &[]));
    // Unread after the marker: last-9 ..= last-1 (last was deleted).
    assert_eq!(s.read_state(ROOM).unwrap().unread, Some(9));
}
