//! A snapshot taken before the process ends restores read states with their gentimes, unsent and
//! unconfirmed messages (resent under their old request ids) and the dedupe memory.

use crate::support::*;
use chatwire::tada::{SendMessage, TadaSession, TadaSnapshot};
use chatwire::{Event, HttpResponse, Session as _, Timestamp, Transmit};
use serde_json::json;
use serde_json::Value;

#[test]
fn state_survives_a_restart_through_json() {
    let mut s = connected();
    s.handle_frame(
        Timestamp(1),
        &server("server.message.updated", json!({
            "badge": 4,
            "team_unread": {"direct": {"chats": 1, "messages": 4}},
            "chat_counters": [{"jid": "g-1", "gentime": 1569546094920474368_i64, "num_unread": 4}],
            "messages": [message("m-1", "g-1", "d-2", "hi", 1569546094920474368)]
        }), None),
    );
    drain_events(&mut s);
    let sent = s
        .send_message(Timestamp(2), SendMessage::text("g-1", "unconfirmed"))
        .unwrap();
    let frames = drain_frames(&mut s);
    s.handle_closed(Timestamp(3), "app killed");
    let offline = s
        .send_message(Timestamp(4), SendMessage::text("g-1", "never sent"))
        .unwrap();

    let json = serde_json::to_string(&s.snapshot()).unwrap();
    assert!(
        json.contains("1569546094920474368"),
        "gentimes kept exactly"
    );
    assert!(!json.contains("secret-token"));
    let snapshot: TadaSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot.outgoing.len(), 2);
    assert_eq!(snapshot.outgoing[0].request, sent);

    let mut r = TadaSession::restore(config(), snapshot);
    assert!(drain_events(&mut r).is_empty());
    assert_eq!(r.read_state("g-1").unwrap().unread, Some(4));
    assert_eq!(r.badge(), Some(4));
    r.connect(Timestamp(0)).unwrap();
    drain_transmits(&mut r);
    r.handle_connected(Timestamp(10));
    drain_events(&mut r);
    let mut resent = Vec::new();
    let mut fetches = Vec::new();
    for t in drain_transmits(&mut r) {
        match t {
            Transmit::Frame { text } => resent.push(serde_json::from_str::<Value>(&text).unwrap()),
            Transmit::Http(h) => fetches.push(h.id),
            other => panic!("unexpected transmit {other:?}"),
        }
    }
    assert_eq!(fetches.len(), 1, "the restored session catches up");
    // Nothing arrived while the app was down: the catch-up ends empty (until it does, live
    // messages of the chat wait for it).
    r.handle_http_response(
        Timestamp(10),
        fetches[0],
        HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: json!({"ok": true, "result": {"messages": []}}).to_string(),
        },
    );
    assert_eq!(
        resent[0], frames[0],
        "same confirm_id and message_id as before the restart"
    );
    assert_eq!(resent[1]["params"]["content"]["text"], "never sent");

    // Answers come under the old request ids.
    for f in &resent {
        r.handle_frame(Timestamp(11), &confirm(f["confirm_id"].as_str().unwrap()));
    }
    let delivered: Vec<_> = drain_events(&mut r)
        .into_iter()
        .filter_map(|e| match e {
            Event::Delivered { request, .. } => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![sent, offline]);

    // Redelivery of a message seen before the restart is still recognised, and a stale
    // read state still loses.
    r.handle_frame(
        Timestamp(12),
        &messages_updated(
            vec![message("m-1", "g-1", "d-2", "hi", 1569546094920474368)],
            None,
        ),
    );
    r.handle_frame(
        Timestamp(12),
        &server(
            "server.chat.lastread",
            json!({"chats": [{"jid": "g-1", "gentime": 1569546094920474367_i64, "num_unread": 9}]}),
            None,
        ),
    );
    assert!(drain_events(&mut r).is_empty());

    // Our own message's echo is recognised as own after the restart.
    let mid = resent[0]["params"]["message_id"].as_str().unwrap();
    r.handle_frame(
        Timestamp(13),
        &messages_updated(
            vec![message(
                mid,
                "g-1",
                "d-me",
                "unconfirmed",
                1569546094920474369,
            )],
            None,
        ),
    );
    assert!(
        matches!(drain_events(&mut r).as_slice(), [Event::MessageReceived { message }] if message.own)
    );
}

#[test]
fn an_empty_snapshot_is_a_fresh_session() {
    let restored = TadaSession::restore(config(), TadaSnapshot::default());
    let fresh = TadaSession::new(config());
    assert_eq!(restored.snapshot(), fresh.snapshot());
    let parsed: TadaSnapshot = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed, TadaSnapshot::default());
}

#[test]
fn events_that_cannot_be_restored_are_reported_not_dropped() {
    let mut s = TadaSession::new(config());
    let a = s
        .send_message(Timestamp(0), SendMessage::text("g-1", "a"))
        .unwrap();
    let b = s
        .send_message(Timestamp(0), SendMessage::text("g-1", "b"))
        .unwrap();
    let mut snapshot = s.snapshot();
    let mut ping = snapshot.outgoing[0].clone();
    ping.event = chatwire::tada::ClientEvent::Ping;
    ping.request = chatwire::RequestId(99);
    snapshot.outgoing.push(ping);

    let mut c = config();
    c.limits.max_pending_requests = 1;
    let mut r = TadaSession::restore(c, snapshot);
    let events = drain_events(&mut r);
    assert!(
        matches!(&events[0], Event::RequestFailed { request, error: chatwire::Error::TooManyPending { limit: 1 } } if *request == b)
    );
    assert!(
        matches!(&events[1], Event::RequestFailed { request, error: chatwire::Error::InvalidArgument { .. } } if request.0 == 99)
    );
    assert_eq!(r.pending_count(), 1);
    assert_eq!(r.snapshot().outgoing[0].request, a);
}

/// libFuzzer's `snapshot_restore` input (December 3): a `gentime` past `u64` in the kept
/// `team_unread` is a float, and serde_json's default reader moved it by one unit in its last
/// place when the snapshot's own JSON was read back (the `exact-floats` feature reads it exactly).
#[test]
fn a_snapshot_reads_back_from_its_json_unchanged_with_numbers_past_u64() {
    let text = r#"{"badge":51,"team_unread":{"group":{"chats":1,"g-1":{"gentime":15695460949569546094920474368,"removed":true}}}}"#;
    let snapshot: TadaSnapshot = serde_json::from_str(text).unwrap();
    let first = TadaSession::restore(config(), snapshot).snapshot();
    let json = serde_json::to_string(&first).unwrap();
    let back: TadaSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(first, back);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}
