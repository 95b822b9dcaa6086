//! Every failed attempt is told to the app with its reason and the delay until the next try;
//! wrong credentials stop instead of retrying.

use crate::support::*;
use chatwire::{Event, HttpResponse, Session as _};

fn reports(evs: &[Event]) -> Vec<(String, bool, Option<u64>, u32)> {
    evs.iter()
        .filter_map(|e| match e {
            Event::ConnectFailed {
                reason,
                permanent,
                retry_in_ms,
                attempt,
            } => Some((reason.clone(), *permanent, *retry_in_ms, *attempt)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_failed_poll_reports_the_hosts_reason_and_when_it_retries() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let mut now = 0;
    for attempt in 1..=3 {
        let req = one_request(&mut s);
        let reason = "error sending request: tls handshake eof (TLS handshake failed: the server speaks plain HTTP; use http:// instead of https://)";
        s.handle_http_response(
            at(now),
            req.id,
            HttpResponse {
                status: 0,
                headers: vec![],
                body: reason.into(),
            },
        );
        let r = reports(&all_events(&mut s));
        assert_eq!(r.len(), 1, "{r:?}");
        let (text, permanent, retry, n) = &r[0];
        assert!(
            text.contains("room-ab") && text.contains("use http:// instead of https://"),
            "{text}"
        );
        assert!(!permanent);
        assert_eq!(*n, attempt);
        let retry = retry.expect("a delay");
        // The delay told is the one the session waits.
        assert_eq!(s.poll_timeout(), Some(at(now + retry)));
        now += retry;
        s.handle_timeout(at(now));
    }
}

#[test]
fn server_errors_and_rate_limits_are_reported_and_success_resets_the_count() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    s.handle_http_response(at(1), poll.id, failure(503));
    let r = reports(&all_events(&mut s));
    assert_eq!(r.len(), 1);
    assert!(r[0].0.contains("503"), "{r:?}");
    let due = s.poll_timeout().unwrap();
    s.handle_timeout(due);
    let poll = one_request(&mut s);
    s.handle_http_response(due, poll.id, failure(429));
    let r = reports(&all_events(&mut s));
    assert_eq!(r[0].3, 2);
    assert!(r[0].0.contains("429"));
    let due = s.poll_timeout().unwrap();
    s.handle_timeout(due);
    let poll = one_request(&mut s);
    s.handle_http_response(due, poll.id, not_modified());
    assert!(reports(&all_events(&mut s)).is_empty());
    let poll = one_request(&mut s);
    s.handle_http_response(due, poll.id, failure(502));
    assert_eq!(reports(&all_events(&mut s))[0].3, 1);
}

#[test]
fn a_failed_command_attempt_is_reported_too() {
    let mut s = talk();
    s.send_message(at(0), ROOM, "hi", None, false).unwrap();
    let post = one_request(&mut s);
    s.handle_http_response(at(1), post.id, failure(500));
    let r = reports(&all_events(&mut s));
    assert_eq!(r.len(), 1);
    assert!(!r[0].1 && r[0].2.is_some() && r[0].3 == 1, "{r:?}");
}

#[test]
fn unauthorized_is_permanent_and_reported_once() {
    let mut s = talk();
    s.join_room(at(0), "a").unwrap();
    s.join_room(at(0), "b").unwrap();
    for req in requests(&mut s) {
        s.handle_http_response(at(1), req.id, failure(401));
    }
    let evs = all_events(&mut s);
    let r = reports(&evs);
    assert_eq!(r.len(), 1);
    assert!(r[0].1 && r[0].2.is_none());
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, Event::AuthFailed { .. }))
            .count(),
        1
    );
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, Event::RoomStopped { .. }))
            .count(),
        2
    );
    assert!(requests(&mut s).is_empty());
}
