//! Nothing is lost across a disconnect: unconfirmed messages, deletions and read markers stay
//! queued and go out again, unchanged and in order, after the next handle_connected; pings fail.

use crate::support::*;
use chatwire::tada::{SendMessage, TadaSession};
use chatwire::{Delivery, Error, Event, Session as _, Timestamp, Transmit};

#[test]
fn unconfirmed_events_are_resent_after_reconnecting() {
    let mut s = connected();
    let m = s
        .send_message(Timestamp(1), SendMessage::text("g-1", "one"))
        .unwrap();
    let d = s.delete_message(Timestamp(2), "m-old").unwrap();
    let before = drain_frames(&mut s);
    let ping = s.ping(Timestamp(3)).unwrap();
    drain_frames(&mut s);
    drain_events(&mut s);

    s.handle_closed(Timestamp(4), "network");
    let events = drain_events(&mut s);
    assert_eq!(
        events,
        vec![
            Event::RequestFailed {
                request: ping,
                error: Error::Disconnected {
                    delivery: Delivery::MaybeDelivered
                }
            },
            Event::Disconnected {
                reason: "network".into()
            }
        ]
    );
    // No resends while down: the only deadline is the offline bound of the oldest.
    assert_eq!(
        s.poll_timeout(),
        Some(Timestamp(60_001)),
        "no resends while down"
    );
    s.handle_timeout(Timestamp(60_000));
    assert!(drain_transmits(&mut s).is_empty());

    s.connect(Timestamp(60_000)).unwrap();
    assert!(matches!(s.poll_transmit(), Some(Transmit::Connect(_))));
    s.handle_connected(Timestamp(60_100));
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Connected { .. }]
    ));
    let after = drain_frames(&mut s);
    assert_eq!(
        after, before,
        "same events, same confirm_ids, same message_id, same order"
    );

    for f in &after {
        s.handle_frame(
            Timestamp(60_200),
            &confirm(f["confirm_id"].as_str().unwrap()),
        );
    }
    let resolved: Vec<_> = drain_events(&mut s)
        .into_iter()
        .filter_map(|e| match e {
            Event::Response { request, reply: _ } => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(resolved, vec![m, d]);
}

#[test]
fn messages_sent_while_offline_go_out_on_connect() {
    let mut s = TadaSession::new(config());
    let id = s
        .send_message(Timestamp(0), SendMessage::text("d-2", "queued"))
        .unwrap();
    assert!(drain_transmits(&mut s).is_empty());
    assert_eq!(
        s.activity(Timestamp(0), true),
        Err(Error::NotConnected),
        "transient events need a connection"
    );
    s.connect(Timestamp(1)).unwrap();
    drain_transmits(&mut s);
    s.handle_connected(Timestamp(2));
    let frames = drain_frames(&mut s);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["params"]["content"]["text"], "queued");
    s.handle_frame(
        Timestamp(3),
        &confirm(frames[0]["confirm_id"].as_str().unwrap()),
    );
    assert!(drain_events(&mut s)
        .iter()
        .any(|e| matches!(e, Event::Delivered { request, .. } if *request == id)));
}

#[test]
fn the_attempt_budget_spans_connections() {
    let mut s = connected(); // 1 + 2 sends allowed
    let id = s.delete_message(Timestamp(0), "m-1").unwrap();
    s.handle_timeout(Timestamp(5_000)); // second send
    s.handle_closed(Timestamp(6_000), "drop");
    s.handle_connected(Timestamp(7_000)); // third send
    drain_frames(&mut s);
    drain_events(&mut s);
    s.handle_timeout(Timestamp(12_000));
    assert_eq!(
        drain_events(&mut s),
        vec![Event::RequestFailed {
            request: id,
            error: Error::NotConfirmed { attempts: 3 }
        }]
    );
}

#[test]
fn queued_acks_for_a_closed_socket_are_dropped() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(
            vec![message("m-1", "g-1", "d-2", "x", 1)],
            Some("Srv000000001"),
        ),
    );
    s.handle_closed(Timestamp(2), "gone");
    assert!(drain_transmits(&mut s).is_empty());
    s.handle_connected(Timestamp(3));
    assert!(drain_frames(&mut s).is_empty());
}
