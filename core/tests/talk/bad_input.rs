//! Bad answers never panic: they become protocol errors with the raw text, and the loop goes on
//! with backoff; bodies over the size limit are rejected.

use crate::support::*;
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::{Error, Event, HttpResponse, RequestId, Session as _};
use serde_json::json;

fn protocol_errors(evs: &[Event]) -> Vec<(String, String)> {
    evs.iter()
        .filter_map(|e| match e {
            Event::ProtocolError { raw, reason } => Some((raw.clone(), reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn garbage_body_is_reported_and_the_loop_backs_off() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    for body in [
        "not json",
        "{\"ocs\":",
        "[]",
        "{\"ocs\":{\"data\":{}}}",
        "{\"ocs\":7}",
    ] {
        let poll = if body == "not json" {
            poll.clone()
        } else {
            let due = s.poll_timeout().unwrap();
            s.handle_timeout(due);
            one_request(&mut s)
        };
        let now = s.poll_timeout().unwrap_or(at(0));
        s.handle_http_response(
            now,
            poll.id,
            HttpResponse {
                status: 200,
                headers: vec![chatwire::Header::new("X-Chat-Last-Given", "99")],
                body: body.into(),
            },
        );
        let errs = protocol_errors(&events(&mut s));
        assert_eq!(errs.len(), 1, "{body}");
        assert_eq!(errs[0].0, body);
        assert!(requests(&mut s).is_empty(), "backs off after {body}");
        assert_eq!(s.cursor(ROOM), Some(7), "cursor kept after {body}");
    }
}

#[test]
fn one_bad_message_does_not_hide_the_others() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(
        at(1),
        poll.id,
        page(
            vec![
                message(8, "bob", "ok"),
                json!({"message": "no id"}),
                json!(5),
                message(9, "bob", "ok"),
            ],
            9,
        ),
    );
    let evs = events(&mut s);
    assert_eq!(received_ids(&evs), ["8", "9"]);
    assert_eq!(protocol_errors(&evs).len(), 2);
    assert_eq!(query(&one_request(&mut s))["lastKnownMessageId"], "9");
}

#[test]
fn oversized_bodies_are_rejected() {
    let mut c = TalkConfig::new(USER, PASSWORD);
    c.limits.max_frame_bytes = 300;
    let mut s = TalkSession::new(c);
    let poll = join_live(&mut s, at(0), 7);
    let big = page(vec![message(8, "bob", &"x".repeat(400))], 8);
    s.handle_http_response(at(1), poll.id, big);
    let errs = protocol_errors(&events(&mut s));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].1.contains("exceeds the limit of 300"),
        "{}",
        errs[0].1
    );
    assert!(requests(&mut s).is_empty());

    let id = s.mentions(at(2), ROOM, "b", 5).unwrap();
    let r = one_request(&mut s);
    s.handle_http_response(at(3), r.id, ocs(200, json!([{"id": "x".repeat(400)}]), &[]));
    assert!(events(&mut s).iter().any(|e| matches!(e,
        Event::RequestFailed { request, error: Error::FrameTooLarge { limit: 300, .. } }
            if *request == id)));
}

#[test]
fn stray_inputs_are_harmless() {
    let mut s = talk();
    s.handle_http_response(at(0), RequestId(12345), failure(500));
    assert!(events(&mut s).is_empty());
    s.handle_frame(at(0), "{\"type\":1}");
    assert_eq!(protocol_errors(&events(&mut s)).len(), 1);
    s.handle_connected(at(0));
    s.handle_closed(at(0), "bye");
    assert!(requests(&mut s).is_empty());
    assert!(matches!(
        s.join_room(at(0), ""),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn a_201_with_an_unreadable_body_is_still_delivered_and_not_resent() {
    let mut s = talk();
    let id = s.send_message(at(0), ROOM, "hello", None, false).unwrap();
    let r = one_request(&mut s);
    s.handle_http_response(
        at(1),
        r.id,
        HttpResponse {
            status: 201,
            headers: vec![],
            body: "oops".into(),
        },
    );
    let evs = events(&mut s);
    assert!(evs.contains(&Event::Delivered {
        request: id,
        message_id: None
    }));
    assert_eq!(protocol_errors(&evs).len(), 1);
    s.handle_timeout(at(100_000));
    assert!(requests(&mut s).is_empty());
}
