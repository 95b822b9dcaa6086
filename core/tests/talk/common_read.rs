//! `X-Chat-Last-Common-Read` is sent back as `lastCommonReadId`; a `200 []` carrying a new value
//! updates the common read state.

use crate::support::*;
use chatwire::{Event, Session as _};

fn common_read(events: &[Event]) -> Vec<Option<String>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReadStateChanged { chat_id, state } if chat_id == ROOM => {
                Some(state.last_common_read_id.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn common_read_header_round_trips_and_updates_state() {
    let mut s = talk();
    s.join_room(at(0), ROOM).unwrap();
    let history = one_request(&mut s);
    assert!(!query(&history).contains_key("lastCommonReadId"));
    s.handle_http_response(
        at(1),
        history.id,
        ocs(
            200,
            serde_json::json!([message(5, "bob", "x")]),
            &[("X-Chat-Last-Given", "5"), ("X-Chat-Last-Common-Read", "4")],
        ),
    );
    assert_eq!(common_read(&events(&mut s)), [Some("4".to_string())]);
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastCommonReadId"], "4");

    // Someone read further: the server answers 200 [] with the header instead of waiting.
    s.handle_http_response(
        at(2),
        poll.id,
        ocs(
            200,
            serde_json::json!([]),
            &[("X-Chat-Last-Given", "5"), ("X-Chat-Last-Common-Read", "5")],
        ),
    );
    let evs = events(&mut s);
    assert!(received_ids(&evs).is_empty());
    assert_eq!(common_read(&evs), [Some("5".to_string())]);
    assert_eq!(
        s.read_state(ROOM).unwrap().last_common_read_id.as_deref(),
        Some("5")
    );
    let poll = one_request(&mut s);
    assert_eq!(query(&poll)["lastCommonReadId"], "5");
    assert_eq!(query(&poll)["lastKnownMessageId"], "5");

    // The same value again is no change and no event.
    s.handle_http_response(
        at(3),
        poll.id,
        ocs(
            200,
            serde_json::json!([]),
            &[("X-Chat-Last-Given", "5"), ("X-Chat-Last-Common-Read", "5")],
        ),
    );
    assert!(common_read(&events(&mut s)).is_empty());
}
