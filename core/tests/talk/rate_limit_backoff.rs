//! 429 and other failures back off exponentially with seeded jitter instead of retrying at once;
//! a success resets the backoff; `Retry-After` is a floor.

use crate::support::*;
use chatwire::talk::TalkSession;
use chatwire::{HttpResponse, Session as _, Timestamp};

/// Answers the poll with `response` at `now` and returns when the next poll is due.
fn fail_at(s: &mut TalkSession, now: Timestamp, id: chatwire::RequestId, r: HttpResponse) -> u64 {
    s.handle_http_response(now, id, r);
    assert!(requests(s).is_empty(), "no retry at once");
    s.poll_timeout().unwrap().as_millis() - now.as_millis()
}

/// Moves the clock to the deadline and returns the retried poll.
fn retry(s: &mut TalkSession) -> (Timestamp, chatwire::HttpRequest) {
    let due = s.poll_timeout().unwrap();
    s.handle_timeout(Timestamp(due.as_millis() - 1));
    assert!(requests(s).is_empty(), "nothing before the deadline");
    s.handle_timeout(due);
    (due, one_request(s))
}

#[test]
fn rate_limit_backs_off_exponentially_with_jitter_and_resets() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    // Base 1 s: the n-th delay is in [2^n s / 2, 2^n s].
    let d1 = fail_at(&mut s, at(10), poll.id, failure(429));
    assert!((500..=1000).contains(&d1), "{d1}");
    let (now, poll) = retry(&mut s);
    assert_eq!(query(&poll)["lastKnownMessageId"], "7");
    let d2 = fail_at(&mut s, now, poll.id, failure(429));
    assert!((1000..=2000).contains(&d2), "{d2}");
    let (now, poll) = retry(&mut s);
    let d3 = fail_at(&mut s, now, poll.id, failure(503));
    assert!((2000..=4000).contains(&d3), "{d3}");
    let (now, poll) = retry(&mut s);
    // A success polls again at once and forgets the failures.
    s.handle_http_response(now, poll.id, not_modified());
    let poll = one_request(&mut s);
    let d = fail_at(&mut s, now, poll.id, failure(429));
    assert!((500..=1000).contains(&d), "{d}");
}

#[test]
fn backoff_is_capped_and_deterministic_for_a_seed() {
    let run = || {
        let mut s = talk();
        let mut poll = join_live(&mut s, at(0), 7);
        let mut now = at(0);
        let mut delays = vec![];
        for _ in 0..10 {
            delays.push(fail_at(&mut s, now, poll.id, failure(500)));
            let (t, p) = retry(&mut s);
            now = t;
            poll = p;
        }
        delays
    };
    let a = run();
    assert_eq!(a, run(), "same seed, same schedule");
    assert!(
        a.iter().all(|d| *d <= 60_000),
        "capped at backoff_max: {a:?}"
    );
    assert!(a[9] >= 30_000);
}

#[test]
fn retry_after_is_a_floor() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let mut r = failure(429);
    r.headers.push(chatwire::Header::new("Retry-After", "7"));
    let d = fail_at(&mut s, at(0), poll.id, r);
    assert_eq!(d, 7000);
}

#[test]
fn transport_failure_and_unparsable_answers_back_off_too() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let d = fail_at(&mut s, at(0), poll.id, transport_failure());
    assert!((500..=1000).contains(&d));
    let (now, poll) = retry(&mut s);
    let garbage = HttpResponse {
        status: 200,
        body: "<html>proxy error</html>".into(),
        ..Default::default()
    };
    let d = fail_at(&mut s, now, poll.id, garbage);
    assert!((1000..=2000).contains(&d));
}
