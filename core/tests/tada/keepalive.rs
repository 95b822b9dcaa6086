//! client.ping goes out every ping_interval through poll_timeout; a ping not confirmed within
//! ping_deadline makes the session report the connection dead and ask the host to close it.

use crate::support::*;
use chatwire::{Error, Event, Session as _, Timestamp, Transmit};

#[test]
fn pings_follow_the_interval_while_confirmed() {
    let mut s = connected(); // connected at 0, interval 30 s, deadline 10 s
    assert_eq!(s.poll_timeout(), Some(Timestamp(30_000)));
    s.handle_timeout(Timestamp(30_000));
    let frames = drain_frames(&mut s);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["event"], "client.ping");
    assert!(frames[0].get("params").is_none());
    assert_eq!(
        s.poll_timeout(),
        Some(Timestamp(40_000)),
        "the ping's deadline"
    );

    s.handle_frame(
        Timestamp(31_000),
        &confirm(frames[0]["confirm_id"].as_str().unwrap()),
    );
    assert!(
        drain_events(&mut s).is_empty(),
        "keep-alive answers are not app events"
    );
    assert_eq!(s.poll_timeout(), Some(Timestamp(60_000)));
    s.handle_timeout(Timestamp(60_000));
    let next = drain_frames(&mut s);
    assert_eq!(next[0]["event"], "client.ping");
    assert_ne!(next[0]["confirm_id"], frames[0]["confirm_id"]);
    assert!(s.is_connected());
}

#[test]
fn an_unanswered_ping_declares_the_connection_dead() {
    let mut s = connected();
    s.handle_timeout(Timestamp(30_000));
    drain_frames(&mut s);
    s.handle_timeout(Timestamp(39_999));
    assert!(drain_transmits(&mut s).is_empty());
    s.handle_timeout(Timestamp(40_000));
    let events = drain_events(&mut s);
    assert!(
        matches!(events.as_slice(), [Event::ConnectionDead { .. }]),
        "{events:?}"
    );
    assert!(matches!(
        drain_transmits(&mut s).as_slice(),
        [Transmit::Close { .. }]
    ));
    assert!(!s.is_connected());
    assert_eq!(
        s.poll_timeout(),
        None,
        "nothing to time until the host reports the close"
    );

    s.handle_closed(Timestamp(40_001), "closed by client");
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Disconnected { .. }]
    ));
}

#[test]
fn an_app_ping_resolves_or_times_out_with_the_same_deadline() {
    let mut s = connected();
    let ok = s.ping(Timestamp(1_000)).unwrap();
    let f = drain_frames(&mut s);
    s.handle_frame(
        Timestamp(1_500),
        &confirm(f[0]["confirm_id"].as_str().unwrap()),
    );
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Response { request, reply: _ }] if *request == ok
    ));

    let lost = s.ping(Timestamp(2_000)).unwrap();
    drain_frames(&mut s);
    s.handle_timeout(Timestamp(12_000));
    let events = drain_events(&mut s);
    assert_eq!(
        events[0],
        Event::RequestFailed {
            request: lost,
            error: Error::Timeout
        }
    );
    assert!(matches!(events[1], Event::ConnectionDead { .. }));
}

#[test]
fn pinging_needs_a_connection() {
    let mut s = chatwire::tada::TadaSession::new(config());
    assert_eq!(s.ping(Timestamp(0)), Err(Error::NotConnected));
    assert_eq!(s.poll_timeout(), None);
}
