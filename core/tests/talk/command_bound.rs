//! Every command resolves within `TalkConfig::command_bound` of the call, however the server
//! answers: a send queued behind others, parked for a retry or held by a `Retry-After` fails
//! with a reason instead of waiting out a back-off. A `Retry-After` is honoured, and one that
//! reaches past the bound fails the send at once with the server's reason.

use crate::support::*;
use chatwire::talk::{HttpError, TalkSession};
use chatwire::{Error, Event, Header, RequestId, Session as _};
use std::collections::BTreeMap;

#[test]
fn sends_against_a_server_that_always_answers_503_all_resolve_within_the_bound() {
    let mut s = talk();
    let bound = config().command_bound().as_millis() as u64;
    let issued: Vec<RequestId> = (0..5)
        .map(|n| {
            s.send_message(at(0), ROOM, &format!("m{n}"), None, false)
                .unwrap()
        })
        .collect();
    let mut failed: BTreeMap<RequestId, (u64, Error)> = BTreeMap::new();
    let mut now = at(0);
    while failed.len() < issued.len() {
        // Answered at once, including what an answer lets go next.
        loop {
            let reqs = requests(&mut s);
            if reqs.is_empty() {
                break;
            }
            for r in reqs {
                s.handle_http_response(now, r.id, failure(503));
            }
        }
        for e in events(&mut s) {
            if let Event::RequestFailed { request, error } = e {
                failed.insert(request, (now.as_millis(), error));
            }
        }
        match s.poll_timeout() {
            Some(t) => {
                now = t;
                s.handle_timeout(now);
            }
            None => break,
        }
    }
    assert_eq!(
        failed.len(),
        issued.len(),
        "every send resolved: {failed:?}"
    );
    for (request, (when, error)) in &failed {
        assert!(*when <= bound, "{request} resolved at {when} ms");
        assert!(
            matches!(error, Error::Talk(HttpError::Maintenance) | Error::Timeout),
            "a reason: {error:?}"
        );
    }
}

#[test]
fn a_retry_after_is_honoured_for_a_send() {
    let mut s = talk();
    s.send_message(at(0), ROOM, "later", None, false).unwrap();
    let post = one_request(&mut s);
    let mut r = failure(429);
    r.headers.push(Header::new("Retry-After", "5"));
    s.handle_http_response(at(0), post.id, r);
    assert_eq!(s.poll_timeout(), Some(at(5000)));
    s.handle_timeout(at(4999));
    assert!(requests(&mut s).is_empty());
    s.handle_timeout(at(5000));
    assert_eq!(form(&one_request(&mut s))["message"], "later");
}

#[test]
fn a_retry_after_past_the_bound_fails_the_send_at_once() {
    let mut s = talk();
    let req = s.send_message(at(0), ROOM, "never", None, false).unwrap();
    let post = one_request(&mut s);
    let mut r = failure(429);
    r.headers.push(Header::new("Retry-After", "3600"));
    s.handle_http_response(at(0), post.id, r);
    assert_eq!(
        events(&mut s),
        [Event::RequestFailed {
            request: req,
            error: Error::Talk(HttpError::RateLimited {
                retry_after_secs: Some(3600)
            })
        }]
    );
}

#[test]
fn a_queued_send_expires_with_a_timeout_when_the_first_never_answers() {
    let mut c = config();
    c.max_attempts = 100;
    let bound = c.command_bound().as_millis() as u64;
    let mut s = TalkSession::new(c);
    let first = s.send_message(at(0), ROOM, "stuck", None, false).unwrap();
    let second = s.send_message(at(0), ROOM, "behind", None, false).unwrap();
    let _post = one_request(&mut s);
    // The host never answers anything: timeouts, then looks that time out too.
    let mut now = at(0);
    let mut resolved = vec![];
    while let Some(t) = s.poll_timeout() {
        now = t;
        s.handle_timeout(now);
        requests(&mut s);
        for e in events(&mut s) {
            if let Event::RequestFailed { request, error } = e {
                resolved.push((request, error, now.as_millis()));
            }
        }
    }
    assert!(
        now.as_millis() <= bound,
        "all over by {} ms",
        now.as_millis()
    );
    let of = |id| resolved.iter().find(|(r, _, _)| *r == id).cloned().unwrap();
    assert_eq!(
        of(first).1,
        Error::Disconnected {
            delivery: chatwire::Delivery::MaybeDelivered
        },
        "it was posted once: it may be there"
    );
    assert!(matches!(of(second).1, Error::Timeout), "never posted");
}
