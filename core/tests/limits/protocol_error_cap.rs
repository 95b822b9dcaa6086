//! One input full of bad items costs a bounded number of events: past
//! `Limits::max_protocol_errors_queued`, one `ProtocolErrorsDropped` counts the rest.

use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, HttpResponse, Session as _, Timestamp, Transmit};
use serde_json::json;

fn http_requests(s: &mut TalkSession) -> Vec<chatwire::HttpRequest> {
    std::iter::from_fn(|| s.poll_transmit())
        .filter_map(|t| match t {
            Transmit::Http(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn talk_message(id: i64) -> serde_json::Value {
    json!({"id": id, "token": "room-ab", "actorType": "users", "actorId": "bob",
        "actorDisplayName": "Bob", "timestamp": 1_700_000_000 + id, "message": "kept",
        "messageParameters": [], "systemMessage": "", "messageType": "comment",
        "isReplyable": true, "referenceId": ""})
}

#[test]
fn a_talk_page_of_a_million_bad_items_is_a_bounded_number_of_events() {
    let mut s = TalkSession::new(TalkConfig::new("alice", "pw"));
    let limit = chatwire::Limits::default().max_protocol_errors_queued as u64;
    s.join_room(Timestamp(0), "room-ab").unwrap();
    let history = http_requests(&mut s).remove(0);
    // 10^6 items that are not messages (2 MB), and one good message after them.
    let mut items = vec![json!(0); 1_000_000];
    items.push(talk_message(7));
    let body = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": ""},
        "data": items}})
    .to_string();
    let response = HttpResponse {
        status: 200,
        headers: vec![chatwire::Header::new("X-Chat-Last-Given", "7")],
        body,
    };
    s.handle_http_response(Timestamp(1), history.id, response);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let errors = events
        .iter()
        .filter(|e| matches!(e, Event::ProtocolError { .. }))
        .count() as u64;
    let dropped: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::ProtocolErrorsDropped { dropped, limit: l } => {
                assert_eq!(*l, limit);
                Some(*dropped)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        errors, limit,
        "the first `limit` errors are reported one by one"
    );
    assert_eq!(dropped, vec![1_000_000 - limit], "the rest in one count");
    assert!(
        events.len() < limit as usize + 10,
        "{} events",
        events.len()
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MessageReceived { message } if message.id == "7")),
        "the good message is still delivered"
    );
}

#[test]
fn errors_past_the_cap_are_counted_until_the_host_polls_then_reported_again() {
    let mut config = TrueConfConfig::new("jwt");
    config.limits.max_protocol_errors_queued = 3;
    let mut s = TrueConfSession::new(config);
    s.handle_connected(Timestamp(0));
    for _ in 0..10 {
        s.handle_frame(Timestamp(1), "{not json");
    }
    let kinds = |s: &mut TrueConfSession| -> Vec<String> {
        std::iter::from_fn(|| s.poll_event())
            .map(|e| match e {
                Event::ProtocolError { .. } => "error".to_string(),
                Event::ProtocolErrorsDropped { dropped, limit } => {
                    format!("dropped {dropped}/{limit}")
                }
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(kinds(&mut s), ["error", "error", "error", "dropped 7/3"]);
    // Polled: the next input's errors are reported one by one again.
    s.handle_frame(Timestamp(2), "{not json");
    assert_eq!(kinds(&mut s), ["error"]);
}
