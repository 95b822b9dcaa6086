//! Issue 8 §1.7: every failed attempt is reported with the delay until the next one, and a
//! permanent failure (no WebSocket in this runtime, a header the host cannot send) stops the
//! client instead of retrying forever in silence.
use crate::support::{has_connect, poll_once, TcHost};
use chatwire::{ClientConfig, Error, Event};
use std::task::Poll;
use std::time::Duration;

fn config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(1000),
        backoff_max: Duration::from_secs(8),
        ..Default::default()
    }
}

/// The one `ConnectFailed` in `events`: (permanent, retry_in_ms, attempt).
fn connect_failed(events: &[Event]) -> (bool, Option<u64>, u32) {
    let found: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ConnectFailed {
                permanent,
                retry_in_ms,
                attempt,
                ..
            } => Some((*permanent, *retry_in_ms, *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one ConnectFailed per attempt: {events:?}");
    found[0]
}

#[test]
fn each_failed_attempt_reports_the_delay_of_the_scheduled_retry() {
    let mut host = TcHost::trueconf_idle(config());
    host.connect();
    assert!(has_connect(&host.take()));
    for n in 1..=5 {
        let out = host.connect_failed("connection refused", false);
        let (permanent, retry, attempt) = connect_failed(&out.events);
        assert!(!permanent);
        assert_eq!(attempt, n);
        let d = retry.expect("a retry is scheduled");
        assert_eq!(out.timeout.map(|t| t.0), Some(host.now + d), "attempt {n}");
        // Not a moment before the delay it announced …
        host.advance(d - 1);
        host.timeout();
        assert!(!has_connect(&host.take()), "retried early (attempt {n})");
        // … and right at it.
        host.advance(1);
        host.timeout();
        assert!(has_connect(&host.take()), "no retry after attempt {n}");
    }
}

#[test]
fn a_drop_reports_the_delay_of_the_reconnect() {
    let mut host = TcHost::trueconf(config());
    host.take_events();
    let out = host.closed("network down");
    assert!(matches!(out.events[0], Event::Disconnected { .. }));
    let (permanent, retry, attempt) = connect_failed(&out.events);
    assert_eq!((permanent, attempt), (false, 1));
    let d = retry.unwrap();
    assert!((500..=1_000).contains(&d), "{d}");
    assert_eq!(out.timeout.map(|t| t.0), Some(host.now + d));
}

#[test]
fn a_permanent_failure_stops_and_fails_the_parked_calls() {
    let mut host = TcHost::trueconf(config());
    let read = host
        .client
        .call(host.at(), |s, now| s.get_chats(now, 10, 1));
    futures::pin_mut!(read);
    host.poll();
    host.closed("network down");
    assert!(
        poll_once(read.as_mut()).is_pending(),
        "parked for the replay"
    );
    host.fire();
    assert!(has_connect(&host.take()));

    let out = host.connect_failed("no WebSocket in this runtime", true);
    let failed: Vec<_> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::ConnectFailed { .. }))
        .collect();
    match &failed[..] {
        [Event::ConnectFailed {
            reason,
            permanent: true,
            retry_in_ms: None,
            attempt: 2,
        }] => assert!(reason.contains("no WebSocket"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(out.timeout, None, "nothing scheduled");
    match poll_once(read.as_mut()) {
        Poll::Ready(Err(Error::ConnectFailed { reason })) => {
            assert!(reason.contains("no WebSocket"))
        }
        other => panic!("{other:?}"),
    }
    for _ in 0..100 {
        host.advance(10_000);
        host.timeout();
    }
    assert!(
        !has_connect(&host.take()),
        "a permanent failure is not retried"
    );
    let later = host.client.get_chats(host.at(), 10, 1);
    futures::pin_mut!(later);
    assert!(
        matches!(poll_once(later.as_mut()), Poll::Ready(Err(_))),
        "a stopped client refuses at once"
    );
}

#[test]
fn a_permanent_first_attempt_fails_the_calls_waiting_for_it() {
    let mut host = TcHost::trueconf_idle(config());
    host.connect();
    // Issued while the connection opens: it waits for auth.
    let write = host.client.send_text(host.at(), "c", "hi", None);
    futures::pin_mut!(write);
    host.poll();
    let out = host.connect_failed("header not sendable from a browser", true);
    assert_eq!(connect_failed(&out.events), (true, None, 1));
    match poll_once(write.as_mut()) {
        Poll::Ready(Err(Error::ConnectFailed { reason })) => assert!(reason.contains("header")),
        other => panic!("{other:?}"),
    }
    assert_eq!(out.timeout, None);
}
