//! After a reconnect the session fetches, over tada's REST history, what each known chat got
//! while the socket was down; each message reaches the app once, in order, even when the new
//! socket delivers it too.
use crate::support::*;
use chatwire::{Event, HttpRequest, HttpResponse, Session as _, Timestamp, Transmit};
use serde_json::json;

fn http_requests(s: &mut chatwire::tada::TadaSession) -> Vec<HttpRequest> {
    drain_transmits(s)
        .into_iter()
        .filter_map(|t| match t {
            Transmit::Http(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn received(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived { message } => Some(message.id.clone()),
            _ => None,
        })
        .collect()
}

/// The one request queued: the history fetch of `g-1` from gentime `from`.
fn the_fetch(s: &mut chatwire::tada::TadaSession, from: i64) -> HttpRequest {
    let mut requests = http_requests(s);
    assert_eq!(requests.len(), 1, "{requests:?}");
    let wanted = format!("/messages/g-1?gentime_from={from}&");
    assert!(requests[0].path.contains(&wanted), "{}", requests[0].path);
    requests.remove(0)
}

fn history(messages: Vec<serde_json::Value>) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: json!({"ok": true, "result": {"messages": messages}}).to_string(),
    }
}

#[test]
fn the_gap_is_fetched_after_a_reconnect_and_delivered_once_in_order() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "before", 5)], None),
    );
    assert_eq!(received(&drain_events(&mut s)), ["m-1"]);
    drain_transmits(&mut s);
    assert!(
        http_requests(&mut s).is_empty(),
        "nothing to catch up on a live socket"
    );

    s.handle_closed(Timestamp(2), "network down");
    drain_events(&mut s);
    s.connect(Timestamp(3)).unwrap();
    s.handle_connected(Timestamp(4));
    let requests = http_requests(&mut s);
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.method, "GET");
    assert!(
        r.path.starts_with("/api/v4/teams/")
            && r.path
                .contains("/messages/g-1?gentime_from=5&include_deleted=true"),
        "{}",
        r.path
    );
    assert!(r.headers.iter().any(|h| h.name == "token"), "authenticated");

    // The new socket delivers the newest first, the history the gap, unsorted: the live
    // message waits for the gap, or the app would see the sender's messages out of order.
    s.handle_frame(
        Timestamp(5),
        &messages_updated(vec![message("m-4", "g-1", "d-2", "live", 9)], None),
    );
    assert!(
        received(&drain_events(&mut s)).is_empty(),
        "held until the gap is in"
    );
    s.handle_http_response(
        Timestamp(6),
        r.id,
        history(vec![
            message("m-3", "g-1", "d-2", "gap 2", 8),
            message("m-2", "g-1", "d-2", "gap 1", 7),
            message("m-4", "g-1", "d-2", "live", 9),
        ]),
    );
    assert_eq!(
        received(&drain_events(&mut s)),
        ["m-2", "m-3", "m-4"],
        "each once, in order"
    );
}

#[test]
fn the_cursor_survives_a_restore() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "x", 42)], None),
    );
    drain_events(&mut s);
    let snapshot: chatwire::tada::TadaSnapshot =
        serde_json::from_str(&serde_json::to_string(&s.snapshot()).unwrap()).unwrap();
    let mut r = chatwire::tada::TadaSession::restore(config(), snapshot);
    r.connect(Timestamp(0)).unwrap();
    r.handle_connected(Timestamp(1));
    the_fetch(&mut r, 42);
}

#[test]
fn a_failed_fetch_is_retried_then_reported() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "x", 5)], None),
    );
    s.handle_closed(Timestamp(2), "down");
    s.connect(Timestamp(3)).unwrap();
    s.handle_connected(Timestamp(4));
    drain_events(&mut s);
    let mut id = http_requests(&mut s)[0].id;
    for _ in 0..2 {
        s.handle_http_response(
            Timestamp(5),
            id,
            HttpResponse {
                status: 503,
                ..Default::default()
            },
        );
        let again = http_requests(&mut s);
        assert_eq!(again.len(), 1, "retried");
        id = again[0].id;
    }
    s.handle_http_response(
        Timestamp(6),
        id,
        HttpResponse {
            status: 503,
            ..Default::default()
        },
    );
    let events = drain_events(&mut s);
    assert!(
        events.iter().any(
            |e| matches!(e, Event::ProtocolError { reason, .. } if reason.contains("may be missing"))
        ),
        "the app hears of the gap: {events:?}"
    );
}

/// A session that saw `m-1` (gentime 5) in `g-1`, then reconnected: its one fetch, from 5.
fn reconnected() -> (chatwire::tada::TadaSession, HttpRequest) {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "before", 5)], None),
    );
    s.handle_closed(Timestamp(2), "down");
    s.connect(Timestamp(3)).unwrap();
    s.handle_connected(Timestamp(4));
    drain_events(&mut s);
    let fetch = the_fetch(&mut s, 5);
    (s, fetch)
}

#[test]
fn live_messages_held_for_a_failed_fetch_are_delivered_with_the_report() {
    let (mut s, mut r) = reconnected();
    s.handle_frame(
        Timestamp(5),
        &messages_updated(vec![message("m-9", "g-1", "d-2", "live", 9)], None),
    );
    for _ in 0..3 {
        s.handle_http_response(
            Timestamp(6),
            r.id,
            HttpResponse {
                status: 503,
                ..Default::default()
            },
        );
        if let Some(again) = http_requests(&mut s).pop() {
            r = again;
        }
    }
    let events = drain_events(&mut s);
    assert_eq!(received(&events), ["m-9"], "not held for ever: {events:?}");
    assert!(events.iter().any(
        |e| matches!(e, Event::ProtocolError { reason, .. } if reason.contains("may be missing"))
    ));
}

#[test]
fn live_messages_wait_for_the_last_page_of_the_gap() {
    let (mut s, r) = reconnected();
    s.handle_frame(
        Timestamp(5),
        &messages_updated(vec![message("m-live", "g-1", "d-2", "live", 100_000)], None),
    );
    let page: Vec<_> = (0..200)
        .map(|i| message(&format!("m-{}", 10 + i), "g-1", "d-2", "gap", 10 + i))
        .collect();
    s.handle_http_response(Timestamp(6), r.id, history(page));
    let events = drain_events(&mut s);
    let first = received(&events);
    assert_eq!(first.len(), 200, "{:?}", events.first());
    assert!(
        !first.contains(&"m-live".to_string()),
        "more of the gap is coming"
    );
    let next = the_fetch(&mut s, 209);
    s.handle_http_response(
        Timestamp(7),
        next.id,
        history(vec![message("m-last", "g-1", "d-2", "gap", 500)]),
    );
    assert_eq!(received(&drain_events(&mut s)), ["m-last", "m-live"]);
}

#[test]
fn a_snapshot_taken_during_the_catch_up_resumes_from_where_the_gap_starts() {
    let (mut s, _fetch) = reconnected();
    // A new chat's message is delivered at once and moves the cursor past the gap of g-1.
    s.handle_frame(
        Timestamp(5),
        &messages_updated(vec![message("m-new", "g-new", "d-2", "hello", 50)], None),
    );
    assert_eq!(received(&drain_events(&mut s)), ["m-new"]);
    let snapshot: chatwire::tada::TadaSnapshot =
        serde_json::from_str(&serde_json::to_string(&s.snapshot()).unwrap()).unwrap();
    let mut r = chatwire::tada::TadaSession::restore(config(), snapshot);
    r.connect(Timestamp(0)).unwrap();
    r.handle_connected(Timestamp(1));
    let requests = http_requests(&mut r);
    assert!(
        requests
            .iter()
            .any(|q| q.path.contains("/messages/g-1?gentime_from=5&")),
        "the unfinished gap is asked for again: {requests:?}"
    );
}

#[test]
fn a_reconnect_during_the_catch_up_keeps_what_it_held_until_the_new_fetch() {
    let (mut s, _old) = reconnected();
    s.handle_frame(
        Timestamp(5),
        &messages_updated(vec![message("m-9", "g-1", "d-2", "live", 9)], None),
    );
    s.handle_closed(Timestamp(6), "down again");
    s.connect(Timestamp(7)).unwrap();
    s.handle_connected(Timestamp(8));
    assert!(received(&drain_events(&mut s)).is_empty(), "still held");
    let fetch = the_fetch(&mut s, 5);
    s.handle_http_response(
        Timestamp(9),
        fetch.id,
        history(vec![message("m-7", "g-1", "d-2", "gap", 7)]),
    );
    assert_eq!(received(&drain_events(&mut s)), ["m-7", "m-9"]);
}

#[test]
fn a_message_with_an_impossible_gentime_does_not_move_the_cursor_past_later_gaps() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message("m-1", "g-1", "d-2", "real", 5)], None),
    );
    s.handle_frame(
        Timestamp(2),
        &messages_updated(
            vec![message("m-2", "g-1", "d-2", "hostile", i64::MAX)],
            None,
        ),
    );
    drain_events(&mut s);
    s.handle_closed(Timestamp(3), "down");
    s.connect(Timestamp(4)).unwrap();
    s.handle_connected(Timestamp(5));
    the_fetch(&mut s, 5);
}

#[test]
fn a_session_that_saw_only_its_chats_still_fetches_its_first_gap() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &server(
            "server.chat.updated",
            json!({"chats": [{"jid": "g-1", "gentime": 5, "chat_type": "group",
                              "display_name": "G"}]}),
            None,
        ),
    );
    drain_events(&mut s);
    s.handle_closed(Timestamp(2), "down");
    s.connect(Timestamp(3)).unwrap();
    s.handle_connected(Timestamp(4));
    // No message was delivered yet: the chat's version bounds what came while down.
    the_fetch(&mut s, 5);
    // Restored from a snapshot saved at that point, the same.
    let snapshot: chatwire::tada::TadaSnapshot =
        serde_json::from_str(&serde_json::to_string(&s.snapshot()).unwrap()).unwrap();
    let mut r = chatwire::tada::TadaSession::restore(config(), snapshot);
    r.connect(Timestamp(0)).unwrap();
    r.handle_connected(Timestamp(1));
    the_fetch(&mut r, 5);
}
