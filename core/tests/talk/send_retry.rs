//! A send that failed in transit (status 0, timeout, 5xx) is retried after a backoff with the
//! same referenceId, under the same request id; after the last attempt the failure is reported.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::Delivery;
use chatwire::{Error, Event, Reply, Session as _, Timestamp};
use serde_json::json;

#[test]
fn transport_failure_resends_with_the_same_reference_id() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let first = one_request(&mut s);
    let reference = form(&first)["referenceId"].clone();
    s.handle_http_response(at(10), first.id, transport_failure());
    assert!(requests(&mut s).is_empty());
    assert!(events(&mut s).is_empty(), "not failed yet");
    let due = s.poll_timeout().unwrap();
    assert!(due >= at(510) && due <= at(1010));
    s.handle_timeout(due);
    let second = one_request(&mut s);
    assert_ne!(second.id, first.id, "a new exchange");
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
fn a_timed_out_send_is_resent_and_its_late_answer_ignored() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let first = one_request(&mut s);
    let timeout = config().limits.request_timeout.as_millis() as u64;
    assert_eq!(s.poll_timeout(), Some(at(timeout)));
    s.handle_timeout(at(timeout));
    assert!(requests(&mut s).is_empty());
    let due = s.poll_timeout().unwrap();
    s.handle_timeout(due);
    let second = one_request(&mut s);
    assert_eq!(form(&second)["referenceId"], form(&first)["referenceId"]);
    // The first attempt's answer comes in late: its exchange is gone, it is ignored.
    s.handle_http_response(due, first.id, failure(400));
    assert!(events(&mut s).is_empty());
    s.handle_http_response(due, second.id, ocs(201, message(9, USER, "hello"), &[]));
    assert!(events(&mut s).iter().any(|e| matches!(e,
        Event::Response { request, reply: Reply::MessageSent { .. } } if *request == req)));
}

#[test]
fn failure_is_reported_after_the_last_attempt() {
    let mut c = config();
    c.max_attempts = 3;
    let mut s = TalkSession::new(c);
    let req = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let mut now = at(0);
    let mut refs = vec![];
    for attempt in 1..=3 {
        let r = one_request(&mut s);
        refs.push(form(&r)["referenceId"].clone());
        s.handle_http_response(now, r.id, transport_failure());
        if attempt < 3 {
            assert!(events(&mut s).is_empty());
            now = s.poll_timeout().unwrap();
            s.handle_timeout(now);
        }
    }
    assert!(refs.iter().all(|r| *r == refs[0]));
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
