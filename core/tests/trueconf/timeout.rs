//! A request with no answer resolves with a timeout at its deadline, surfaced via poll_timeout.
use crate::support::{responses, Harness};
use chatwire::{Error, Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn request_times_out_after_the_configured_30_seconds() {
    let mut h = Harness::ready();
    assert_eq!(
        h.s.poll_timeout(),
        None,
        "nothing pending, nothing to wake for"
    );
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    assert_eq!(h.s.poll_timeout(), Some(Timestamp(h.now.0 + 30_000)));

    let (_, events) = h.advance(29_999);
    assert!(responses(&events).is_empty(), "not yet");
    let (_, events) = h.advance(1);
    assert_eq!(responses(&events), vec![(id.0, Err(Error::Timeout))]);
    assert_eq!(h.s.poll_timeout(), None);

    // The late answer is reported, not matched to anything.
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[]}));
    assert!(matches!(&events[0], Event::ProtocolError { .. }));
}

#[test]
fn earliest_deadline_wins() {
    let mut h = Harness::ready();
    let a = h.s.get_chats(h.now, 10, 1).unwrap();
    h.now = Timestamp(h.now.0 + 10_000);
    let b = h.s.get_chats(h.now, 10, 2).unwrap();
    h.drain();
    let (_, events) = h.advance(20_000);
    assert_eq!(responses(&events), vec![(a.0, Err(Error::Timeout))]);
    let (_, events) = h.advance(10_000);
    assert_eq!(responses(&events), vec![(b.0, Err(Error::Timeout))]);
}

#[test]
fn unanswered_auth_declares_the_connection_dead() {
    let mut h = Harness::new();
    h.s.handle_connected(h.now);
    h.drain();
    let (frames, events) = h.advance(30_000);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ConnectionDead { .. })));
    assert_eq!(
        frames,
        vec![json!({"type":"close","reason":"no answer to auth"})]
    );
}

#[test]
fn a_sent_request_never_answered_declares_the_connection_dead() {
    let mut h = Harness::ready();
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain(); // it left
    let (frames, events) = h.advance(30_000);
    assert_eq!(responses(&events), vec![(id.0, Err(Error::Timeout))]);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ConnectionDead { .. })));
    assert_eq!(
        frames,
        vec![json!({"type":"close","reason":format!("no answer to request {}", id.0)})]
    );
}
