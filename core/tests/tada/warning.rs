//! server.warning becomes Event::Warning with the echoed original, and rejects the request whose
//! confirm_id it echoes.

use crate::support::*;
use chatwire::{Error, Event, Session as _, Timestamp};
use serde_json::json;

#[test]
fn a_warning_about_our_event_rejects_it() {
    let mut s = connected();
    let id = s.delete_message(Timestamp(0), "m-1").unwrap();
    let sent = drain_frames(&mut s);
    let orig = sent[0].clone();
    s.handle_frame(
        Timestamp(1),
        &server(
            "server.warning",
            json!({"message": "not your message", "orig": orig}),
            None,
        ),
    );
    assert_eq!(
        drain_events(&mut s),
        vec![
            Event::Warning {
                message: "not your message".into(),
                original: orig.into()
            },
            Event::RequestFailed {
                request: id,
                error: Error::Rejected {
                    message: "not your message".into()
                }
            }
        ]
    );
    s.handle_timeout(Timestamp(10_000));
    assert!(drain_frames(&mut s)
        .iter()
        .all(|f| f["event"] != "client.message.deleted"));
}

#[test]
fn the_spec_warning_example_is_reported_without_touching_requests() {
    let (_, text) = spec_examples()
        .into_iter()
        .find(|(n, _)| n == "server.warning")
        .unwrap();
    let mut s = connected();
    let id = s.delete_message(Timestamp(0), "m-1").unwrap();
    drain_frames(&mut s);
    s.handle_frame(Timestamp(1), &text);
    let events = drain_events(&mut s);
    let [Event::Warning { message, original }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(message, "unknown event: client.deeeeeaddddbeeeeeef");
    let original: serde_json::Value = original.parse().unwrap();
    assert_eq!(original["confirm_id"], "c6280a82ed1c");
    assert!(s.pending_count() == 1, "request {id} still waits");
}
