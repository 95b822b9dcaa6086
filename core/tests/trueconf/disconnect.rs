//! A disconnect resolves every pending request at once, saying whether it may have arrived.
use crate::support::{responses, Harness};
use chatwire::{Delivery, Error, Event, Session as _};

#[test]
fn sent_requests_may_have_arrived_unsent_ones_did_not() {
    let mut h = Harness::ready();
    let sent = h.s.send_message(h.now, "c", "hello", None, None).unwrap();
    h.drain(); // the host took the frame: it left
    let queued = h.s.send_message(h.now, "c", "second", None, None).unwrap();
    // the host never polled this one before the socket died
    h.s.handle_closed(h.now, "network down");
    let (frames, events) = h.drain_frames();
    assert!(frames.is_empty(), "frames for a dead socket are dropped");
    let r = responses(&events);
    assert!(r.contains(&(
        sent.0,
        Err(Error::Disconnected {
            delivery: Delivery::MaybeDelivered
        })
    )));
    assert!(r.contains(&(
        queued.0,
        Err(Error::Disconnected {
            delivery: Delivery::NotSent
        })
    )));
    assert!(
        matches!(events.last(), Some(Event::Disconnected { reason }) if reason == "network down")
    );
    assert_eq!(h.s.poll_timeout(), None, "nothing waits for a timeout");
}

#[test]
fn requests_waiting_for_auth_are_not_sent() {
    let mut h = Harness::new();
    h.s.handle_connected(h.now);
    h.drain();
    let waiting = h.s.get_chats(h.now, 10, 1).unwrap();
    h.s.handle_closed(h.now, "closed");
    let (_, events) = h.drain();
    assert_eq!(
        responses(&events),
        vec![(
            waiting.0,
            Err(Error::Disconnected {
                delivery: Delivery::NotSent
            })
        )],
        "auth itself is internal and not reported"
    );
}

#[test]
fn reconnect_authenticates_again_and_works() {
    let mut h = Harness::ready();
    h.s.handle_closed(h.now, "bye");
    h.drain();
    assert!(!h.s.is_ready());
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(frames[0]["method"], "auth");
}

#[test]
fn connecting_again_on_a_live_connection_lets_the_old_one_go() {
    let mut h = Harness::new();
    h.s.handle_connected(h.now); // auth in flight on connection 1
    let waiting = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    h.s.connect(h.now).unwrap();
    let (frames, events) = h.drain_frames();
    assert_eq!(
        frames,
        vec![
            serde_json::json!({"type":"connect","path":"/websocket/chat_bot/","headers":[],"subprotocols":["json.v1"],"auth":"first_frame"})
        ]
    );
    assert_eq!(
        responses(&events),
        vec![(
            waiting.0,
            Err(Error::Disconnected {
                delivery: Delivery::NotSent
            })
        )]
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. })),
        "asked for, not a drop"
    );
    // The old auth no longer times out and kills the new connection.
    assert_eq!(h.s.poll_timeout(), None);
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(frames[0]["method"], "auth");
}
