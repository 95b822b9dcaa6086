//! Bad or unknown input becomes an event with the raw text; it never panics or corrupts state.
use crate::support::Harness;
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Content, Event, Limits, Session as _, Timestamp};
use serde_json::json;

#[test]
fn garbage_is_a_protocol_error_with_the_raw_text() {
    let mut h = Harness::ready();
    for bad in [
        "",
        "not json",
        "[1,2",
        "{\"type\":\"x\"}",
        "{\"type\":3,\"id\":1}",
        "null",
        "42",
        "{\"type\":2}",
    ] {
        let (frames, events) = h.feed_text(bad);
        assert!(frames.is_empty(), "{bad:?} acked nothing");
        match &events[..] {
            [Event::ProtocolError { raw, reason }] => {
                assert_eq!(raw, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // The session still works.
    let id = h.s.get_chats(h.now, 1, 1).unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[]}));
    assert!(matches!(&events[0], Event::Response { reply: _, .. }));
}

#[test]
fn oversized_frames_are_refused_but_still_acked() {
    let mut config = TrueConfConfig::new("t");
    config.limits = Limits {
        max_frame_bytes: 64,
        ..Limits::default()
    };
    let mut s = TrueConfSession::new(config);
    let big = format!(
        "{{\"type\":1,\"id\":1,\"method\":\"x\",\"payload\":\"{}\"}}",
        "a".repeat(100)
    );
    s.handle_frame(Timestamp(0), &big);
    // Unacked, the server would redeliver it forever: its id is read and acked.
    assert_eq!(
        s.poll_transmit(),
        Some(chatwire::Transmit::Frame {
            text: r#"{"type":2,"id":1}"#.into()
        })
    );
    assert!(
        matches!(s.poll_event(), Some(Event::ProtocolError { reason, .. }) if reason.contains("exceeds"))
    );
}

#[test]
fn an_oversized_answer_fails_its_request_instead_of_timing_out() {
    let mut config = TrueConfConfig::new("t");
    config.limits = Limits {
        max_frame_bytes: 300,
        ..Limits::default()
    };
    let mut h = Harness {
        s: TrueConfSession::new(config),
        now: Timestamp(5_000),
    };
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    let auth = frames[0]["id"].clone();
    h.feed(json!({"type":2,"id":auth,"payload":{"userId":"bot@x","connectionId":"c"}}));
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    let big = json!({"type":2,"id":id.0,"payload":[{"id":"c1","title":"a".repeat(400)}]});
    let (_, events) = h.feed(big);
    assert!(
        matches!(
            crate::support::responses(&events).as_slice(),
            [(r, Err(chatwire::Error::FrameTooLarge { limit: 300, .. }))] if *r == id.0
        ),
        "{events:?}"
    );
}

#[test]
fn a_fractional_id_is_no_id_and_is_not_acked() {
    let mut s = TrueConfSession::new(TrueConfConfig::new("t"));
    s.handle_frame(
        Timestamp(0),
        r#"{"type":1,"id":1.5,"method":"removeChat","payload":{"chatId":"c"}}"#,
    );
    assert_eq!(
        s.poll_transmit(),
        None,
        "acking 1.5 as 1 would ack another frame"
    );
    assert!(matches!(s.poll_event(), Some(Event::ProtocolError { .. })));
}

#[test]
fn unknown_envelope_type_is_kept_raw() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(json!({"type":1,"id":3,"method":"sendMessage","payload":{
        "messageId":"m9","chatId":"c","timestamp":"1746028006345","type":999,
        "author":{"id":"a@x","type":1},"content":{"hologram":true},"isEdited":false}}));
    let message = events
        .iter()
        .find_map(|e| match e {
            Event::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        message.content,
        Content::Unknown {
            kind: "999".into(),
            raw: json!({"hologram":true}).into()
        }
    );
    assert_eq!(
        message.timestamp_ms,
        Some(1746028006345),
        "string timestamp accepted"
    );
}

#[test]
fn http_responses_are_not_for_trueconf() {
    let mut h = Harness::ready();
    h.s.handle_http_response(
        h.now,
        chatwire::RequestId(1),
        chatwire::HttpResponse::default(),
    );
    let (_, events) = h.drain();
    assert!(matches!(&events[0], Event::ProtocolError { .. }));
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let mut h = Harness::ready();
    for ts in [
        json!(i64::MIN),
        json!("-9223372036854775808"),
        json!(-1e30),
        json!(i64::MAX),
    ] {
        let (_, events) = h.feed(
            json!({"type":1,"id":4,"method":"addChatParticipant","payload":{
            "chatId":"c","userId":"u","timestamp":ts}}),
        );
        assert!(
            matches!(&events[0], Event::ParticipantAdded { .. }),
            "{ts}: {events:?}"
        );
    }
}
