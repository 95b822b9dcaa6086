//! Talk numbers messages in the order their POSTs land, so one send per room is on the wire at
//! a time: the next goes when the one before is answered or has failed for good, retries and
//! looks for an echo included. Other rooms do not wait.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::{Event, Session as _};
use serde_json::json;

fn created(req: &chatwire::HttpRequest, id: i64) -> chatwire::HttpResponse {
    let f = form(req);
    let mut m = message(id, USER, &f["message"]);
    m["referenceId"] = json!(f["referenceId"]);
    ocs(201, m, &[])
}

#[test]
fn the_next_send_goes_when_the_one_before_is_answered() {
    let mut s = talk();
    for text in ["one", "two", "three"] {
        s.send_message(at(0), ROOM, text, None, false).unwrap();
    }
    s.send_message(at(0), "other-room", "elsewhere", None, false)
        .unwrap();
    let reqs = requests(&mut s);
    let texts: Vec<String> = reqs.iter().map(|r| form(r)["message"].clone()).collect();
    assert_eq!(texts, ["one", "elsewhere"], "one per room");

    s.handle_http_response(at(5), reqs[0].id, created(&reqs[0], 10));
    let two = one_request(&mut s);
    assert_eq!(form(&two)["message"], "two");

    // A 503 keeps "two" first: its retry goes before "three".
    s.handle_http_response(at(6), two.id, failure(503));
    assert!(requests(&mut s).is_empty(), "three waits for two");
    s.handle_timeout(s.poll_timeout().unwrap());
    let again = one_request(&mut s);
    assert_eq!(form(&again)["message"], "two");
    s.handle_http_response(at(2000), again.id, created(&again, 11));
    let three = one_request(&mut s);
    assert_eq!(form(&three)["message"], "three");
}

#[test]
fn a_send_that_failed_for_good_lets_the_next_go() {
    let mut s = talk();
    let first = s.send_message(at(0), ROOM, "refused", None, false).unwrap();
    s.send_message(at(0), ROOM, "next", None, false).unwrap();
    let post = one_request(&mut s);
    s.handle_http_response(at(1), post.id, failure(413));
    assert!(events(&mut s)
        .iter()
        .any(|e| matches!(e, Event::RequestFailed { request, .. } if *request == first)));
    assert_eq!(form(&one_request(&mut s))["message"], "next");
}

#[test]
fn the_next_send_waits_while_the_one_before_is_looked_for() {
    let mut s = TalkSession::new(config());
    s.send_message(at(0), ROOM, "maybe", None, false).unwrap();
    s.send_message(at(0), ROOM, "after", None, false).unwrap();
    let post = one_request(&mut s);
    let reference = form(&post)["referenceId"].clone();
    s.handle_http_response(at(1), post.id, transport_failure());
    s.handle_timeout(s.poll_timeout().unwrap());
    let look = one_request(&mut s);
    assert_eq!(look.method, "GET", "only the look, not the next send");
    let mut m = message(20, USER, "maybe");
    m["referenceId"] = json!(reference);
    s.handle_http_response(at(2000), look.id, page(vec![m], 20));
    let next = one_request(&mut s);
    assert_eq!(next.method, "POST");
    assert_eq!(form(&next)["message"], "after");
}
