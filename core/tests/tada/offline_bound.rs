//! An event waiting for a connection fails after `offline_timeout` (from when it was made, or
//! from the first connect for a restored one): a send resolves even if the server never returns.

use crate::support::*;
use chatwire::tada::{SendMessage, TadaSession};
use chatwire::{Delivery, Error, Event, Session as _, Timestamp};

fn failed(s: &mut TadaSession) -> Vec<(chatwire::RequestId, Error)> {
    drain_events(s)
        .into_iter()
        .filter_map(|e| match e {
            Event::RequestFailed { request, error } => Some((request, error)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_send_never_sent_fails_not_sent_after_the_offline_timeout() {
    let mut s = TadaSession::new(config());
    let id = s
        .send_message(Timestamp(1_000), SendMessage::text("g-1", "queued"))
        .unwrap();
    assert_eq!(s.poll_timeout(), Some(Timestamp(61_000)));
    s.handle_timeout(Timestamp(60_999));
    assert!(failed(&mut s).is_empty(), "not yet");
    s.handle_timeout(Timestamp(61_000));
    assert_eq!(
        failed(&mut s),
        [(
            id,
            Error::Disconnected {
                delivery: Delivery::NotSent
            }
        )]
    );
    assert_eq!(s.poll_timeout(), None, "nothing left to wait for");
}

#[test]
fn a_send_cut_off_by_a_drop_fails_maybe_delivered_when_no_connection_returns() {
    let mut s = connected();
    let id = s
        .send_message(Timestamp(1_000), SendMessage::text("g-1", "went out"))
        .unwrap();
    drain_frames(&mut s);
    s.handle_closed(Timestamp(2_000), "network");
    drain_events(&mut s);
    assert_eq!(s.poll_timeout(), Some(Timestamp(61_000)));
    s.handle_timeout(Timestamp(61_000));
    assert_eq!(
        failed(&mut s),
        [(
            id,
            Error::Disconnected {
                delivery: Delivery::MaybeDelivered
            }
        )]
    );
}

#[test]
fn a_reconnect_in_time_sends_it_and_the_bound_no_longer_applies() {
    let mut s = TadaSession::new(config());
    s.send_message(Timestamp(0), SendMessage::text("g-1", "queued"))
        .unwrap();
    s.connect(Timestamp(59_000)).unwrap();
    drain_transmits(&mut s);
    s.handle_connected(Timestamp(59_500));
    assert_eq!(drain_frames(&mut s).len(), 1, "sent on connect");
    s.handle_timeout(Timestamp(60_000));
    assert!(
        failed(&mut s).is_empty(),
        "connected: the resend budget rules"
    );
}

#[test]
fn a_restored_send_starts_its_clock_at_the_first_connect() {
    let mut s = TadaSession::new(config());
    s.send_message(Timestamp(0), SendMessage::text("g-1", "before the restart"))
        .unwrap();
    let snapshot = s.snapshot();
    let mut r = TadaSession::restore(config(), snapshot);
    assert_eq!(r.poll_timeout(), None, "no clock before a connect");
    r.connect(Timestamp(500_000)).unwrap();
    drain_transmits(&mut r);
    r.handle_closed(Timestamp(500_100), "refused");
    r.handle_timeout(Timestamp(559_999));
    assert!(failed(&mut r).is_empty());
    r.handle_timeout(Timestamp(560_000));
    assert!(matches!(
        failed(&mut r).as_slice(),
        [(
            _,
            Error::Disconnected {
                delivery: Delivery::NotSent
            }
        )]
    ));
}
