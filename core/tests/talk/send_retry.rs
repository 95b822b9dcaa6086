//! A send that got a definite failure (429, 5xx) is posted again after a backoff with the same
//! referenceId, under the same request id. One whose answer is unknown (no answer, a timeout)
//! may be on the server, and Talk does not deduplicate referenceIds: it is looked for in the
//! room's newest page first and posted again only if it is not there. After the last attempt
//! the failure is reported.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::Delivery;
use chatwire::{Error, Event, Reply, Session as _, Timestamp};
use serde_json::json;

#[test]
fn a_failed_send_is_posted_again_with_the_same_reference_id() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let first = one_request(&mut s);
    let reference = form(&first)["referenceId"].clone();
    s.handle_http_response(at(10), first.id, failure(503));
    assert!(requests(&mut s).is_empty());
    assert!(events(&mut s).is_empty(), "not failed yet");
    let due = s.poll_timeout().unwrap();
    assert!(due >= at(510) && due <= at(1010));
    s.handle_timeout(due);
    let second = one_request(&mut s);
    assert_ne!(second.id, first.id, "a new exchange");
    assert_eq!(second.method, "POST");
    assert_eq!(form(&second)["referenceId"], reference);
    assert_eq!(form(&second)["message"], "hello");

    let mut m = message(8, USER, "hello");
    m["referenceId"] = json!(reference);
    s.handle_http_response(due, second.id, ocs(201, m, &[]));
    let evs = events(&mut s);
    assert!(evs.contains(&Event::Delivered {
        request: req,
        message_id: Some("8".into())
    }));
}

#[test]
fn a_send_with_no_answer_is_looked_for_then_posted_again() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let first = one_request(&mut s);
    let reference = form(&first)["referenceId"].clone();
    s.handle_http_response(at(10), first.id, transport_failure());
    assert!(requests(&mut s).is_empty(), "no retry at once");
    s.handle_timeout(s.poll_timeout().unwrap());
    let look = one_request(&mut s);
    assert_eq!(look.method, "GET", "never a second POST before looking");
    assert_eq!(path(&look), "/ocs/v2.php/apps/spreed/api/v1/chat/room-ab");
    let q = query(&look);
    assert_eq!(q["lookIntoFuture"], "0");
    assert_eq!(q["setReadMarker"], "0");
    assert!(!q.contains_key("lastKnownMessageId"), "the newest page");

    // Not there (someone else's message only): posting again is no duplicate.
    s.handle_http_response(at(2000), look.id, page(vec![message(7, "bob", "x")], 7));
    let post = one_request(&mut s);
    assert_eq!(post.method, "POST");
    assert_eq!(form(&post)["referenceId"], reference);
    let mut m = message(8, USER, "hello");
    m["referenceId"] = json!(reference);
    s.handle_http_response(at(2010), post.id, ocs(201, m, &[]));
    assert!(events(&mut s).iter().any(|e| matches!(e,
        Event::Response { request, reply: Reply::MessageSent { .. } } if *request == req)));
}

#[test]
fn a_timed_out_send_found_by_its_echo_is_not_posted_again() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let first = one_request(&mut s);
    let reference = form(&first)["referenceId"].clone();
    let timeout = config().limits.request_timeout.as_millis() as u64;
    s.handle_timeout(at(timeout / 2));
    assert!(requests(&mut s).is_empty());
    s.handle_timeout(at(timeout));
    assert!(requests(&mut s).is_empty(), "the look waits its backoff");
    let due = s.poll_timeout().unwrap();
    assert!(due < at(2 * timeout), "within the bound");
    s.handle_timeout(due);
    let look = one_request(&mut s);
    assert_eq!(look.method, "GET");

    // It did land (a slow server): newest first, ours among them.
    let mut mine = message(8, USER, "hello");
    mine["referenceId"] = json!(reference);
    s.handle_http_response(due, look.id, page(vec![message(9, "bob", "x"), mine], 8));
    let evs = events(&mut s);
    assert!(evs.contains(&Event::Delivered {
        request: req,
        message_id: Some("8".into())
    }));
    assert!(
        received_ids(&evs).is_empty(),
        "our own, not news; 9 comes by the poll"
    );
    assert!(requests(&mut s).is_empty(), "not posted again");
    // The first POST's answer comes in late: its exchange is gone, it is ignored.
    s.handle_http_response(due, first.id, failure(400));
    assert!(events(&mut s).is_empty());
}

#[test]
fn failure_is_reported_after_the_last_attempt() {
    let mut c = config();
    c.max_attempts = 3;
    let mut s = TalkSession::new(c);
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let mut now = at(0);
    let mut methods = vec![];
    for attempt in 1..=3 {
        let r = one_request(&mut s);
        methods.push(r.method.clone());
        s.handle_http_response(now, r.id, transport_failure());
        if attempt < 3 {
            assert!(events(&mut s).is_empty());
            now = s.poll_timeout().unwrap();
            s.handle_timeout(now);
        }
    }
    assert_eq!(
        methods,
        ["POST", "GET", "GET"],
        "posted once, then looked for"
    );
    let evs = events(&mut s);
    assert_eq!(
        evs,
        [Event::RequestFailed {
            request: req,
            error: Error::Disconnected {
                delivery: Delivery::MaybeDelivered
            }
        }]
    );
    assert!(s.pending_sends().is_empty());
    assert_eq!(s.poll_timeout(), None::<Timestamp>);
}
