//! Every incoming frame with a confirm_id is answered client.confirm with it, once per frame —
//! also when it is a redelivery, an unknown event, or cannot be decoded.

use crate::support::*;
use chatwire::{Event, Session as _, Timestamp};
use serde_json::json;

fn acks(frames: &[serde_json::Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            assert_eq!(f["event"], "client.confirm");
            assert_eq!(
                f.as_object().unwrap().len(),
                2,
                "no confirm_id of its own: {f}"
            );
            f["params"]["confirm_id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn each_frame_is_acked_once_with_its_confirm_id() {
    let mut s = connected();
    let frame = messages_updated(
        vec![message("m-1", "g-1", "d-2", "hi", 10)],
        Some("Srv000000001"),
    );
    s.handle_frame(Timestamp(1), &frame);
    assert_eq!(acks(&drain_frames(&mut s)), ["Srv000000001"]);
    assert_eq!(drain_events(&mut s).len(), 1);

    // Redelivered: acked again (the server waits for it), but not delivered again.
    s.handle_frame(Timestamp(2), &frame);
    assert_eq!(acks(&drain_frames(&mut s)), ["Srv000000001"]);
    assert!(drain_events(&mut s).is_empty());
}

#[test]
fn unknown_and_undecodable_events_are_acked_too() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &json!({"event": "server.brand.new", "params": {}, "confirm_id": "Srv000000002"})
            .to_string(),
    );
    s.handle_frame(
        Timestamp(1),
        &json!({"event": "server.confirm", "params": {}, "confirm_id": "Srv000000003"}).to_string(),
    );
    assert_eq!(
        acks(&drain_frames(&mut s)),
        ["Srv000000002", "Srv000000003"]
    );
    let events = drain_events(&mut s);
    assert!(matches!(&events[0], Event::Unknown { name: Some(n), .. } if n == "server.brand.new"));
    assert!(matches!(&events[1], Event::ProtocolError { .. }));
}

#[test]
fn frames_without_a_confirm_id_are_not_acked() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &server("server.time", json!({"time": "2019-09-27T01:01:33Z"}), None),
    );
    assert!(drain_frames(&mut s).is_empty());
}
