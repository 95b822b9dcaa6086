//! Events that need confirming carry a 12-character confirm_id, are resent unchanged after
//! resend_timeout, resolve on server.confirm, and fail with NotConfirmed after the last resend.

use crate::support::*;
use chatwire::tada::SendMessage;
use chatwire::{Error, Event, Reply, Session as _, Timestamp};

fn is_confirm_id(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[test]
fn confirmed_kinds_carry_a_confirm_id_and_transient_ones_do_not() {
    let mut s = connected();
    s.send_text(Timestamp(1), "g-1", "hi", None).unwrap();
    s.delete_message(Timestamp(1), "m-1").unwrap();
    s.mark_chat_read(Timestamp(1), "g-1", Some("m-1")).unwrap();
    s.ping(Timestamp(1)).unwrap();
    s.activity(Timestamp(1), true).unwrap();
    s.call_sound(Timestamp(1), "g-1", true).unwrap();
    let frames = drain_frames(&mut s);
    let names: Vec<&str> = frames
        .iter()
        .map(|f| f["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "client.message.updated",
            "client.message.deleted",
            "client.chat.lastread",
            "client.ping",
            "client.activity",
            "client.call.sound"
        ]
    );
    for f in &frames[..4] {
        assert!(is_confirm_id(&f["confirm_id"]), "{f}");
    }
    for f in &frames[4..] {
        assert!(f.get("confirm_id").is_none(), "{f}");
    }
    // Each confirm_id is fresh.
    let mut ids: Vec<&str> = frames[..4]
        .iter()
        .map(|f| f["confirm_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[test]
fn a_message_is_resent_identically_until_confirmed_then_delivered() {
    let mut s = connected();
    let id = s
        .send_message(Timestamp(100), SendMessage::text("g-1", "hello"))
        .unwrap();
    let first = drain_frames(&mut s);
    assert_eq!(first.len(), 1);
    let message_id = first[0]["params"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(message_id.len(), 36, "a client-made UUID");
    let confirm_id = first[0]["confirm_id"].as_str().unwrap().to_string();

    // Nothing before the resend timeout.
    assert_eq!(s.poll_timeout(), Some(Timestamp(5_100)));
    s.handle_timeout(Timestamp(5_099));
    assert!(drain_frames(&mut s).is_empty());

    s.handle_timeout(Timestamp(5_100));
    let resent = drain_frames(&mut s);
    assert_eq!(
        resent, first,
        "same confirm_id, same message_id, same bytes"
    );

    s.handle_frame(Timestamp(6_000), &confirm(&confirm_id));
    let events = drain_events(&mut s);
    assert_eq!(
        events,
        vec![
            Event::Delivered {
                request: id,
                message_id: Some(message_id.clone())
            },
            Event::Response {
                request: id,
                reply: Reply::MessageSent {
                    chat_id: Some("g-1".into()),
                    message_id,
                    timestamp_ms: None
                }
            }
        ]
    );
    // Resolved: no more resends, and a duplicate confirm is silent.
    s.handle_timeout(Timestamp(20_000));
    assert!(drain_frames(&mut s)
        .iter()
        .all(|f| f["event"] == "client.ping"));
    s.handle_frame(Timestamp(20_001), &confirm(&confirm_id));
    assert!(drain_events(&mut s).is_empty());
}

#[test]
fn after_the_last_resend_the_event_fails_with_not_confirmed() {
    let mut s = connected(); // max_resends = 2: three sends in all
    let id = s.delete_message(Timestamp(0), "m-1").unwrap();
    assert_eq!(drain_frames(&mut s).len(), 1);
    s.handle_timeout(Timestamp(5_000));
    assert_eq!(drain_frames(&mut s).len(), 1);
    s.handle_timeout(Timestamp(10_000));
    assert_eq!(drain_frames(&mut s).len(), 1);
    assert!(drain_events(&mut s).is_empty());
    s.handle_timeout(Timestamp(15_000));
    assert!(drain_frames(&mut s).is_empty());
    assert_eq!(
        drain_events(&mut s),
        vec![Event::RequestFailed {
            request: id,
            error: Error::NotConfirmed { attempts: 3 }
        }]
    );
}

#[test]
fn confirms_resolve_their_own_event_only() {
    let mut s = connected();
    let a = s.delete_message(Timestamp(0), "m-1").unwrap();
    let b = s.mark_chat_read(Timestamp(0), "g-1", None).unwrap();
    let frames = drain_frames(&mut s);
    drain_events(&mut s);
    s.handle_frame(
        Timestamp(1),
        &confirm(frames[1]["confirm_id"].as_str().unwrap()),
    );
    assert_eq!(
        drain_events(&mut s),
        vec![Event::Response {
            request: b,
            reply: Reply::Empty
        }]
    );
    // A confirm for an id this session never made is reported, typed, not dropped.
    s.handle_frame(
        Timestamp(2),
        &confirm("b8b2ccd6-35a6-408f-a591-c696a9f9e73e"),
    );
    assert!(matches!(
        drain_events(&mut s).as_slice(),
        [Event::Tada { .. }]
    ));
    // `a` is still waiting and is resent.
    s.handle_timeout(Timestamp(5_000));
    let resent = drain_frames(&mut s);
    assert_eq!(resent, vec![frames[0].clone()]);
    let _ = a;
}

#[test]
fn the_echo_of_a_message_confirms_it_when_the_confirm_is_late() {
    let mut s = connected();
    let id = s
        .send_message(Timestamp(0), SendMessage::text("g-1", "hi"))
        .unwrap();
    let sent = drain_frames(&mut s);
    let mid = sent[0]["params"]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.handle_frame(
        Timestamp(1),
        &messages_updated(vec![message(&mid, "g-1", "d-me", "hi", 10)], None),
    );
    let events = drain_events(&mut s);
    assert!(matches!(&events[0], Event::Delivered { request, .. } if *request == id));
    assert!(matches!(&events[1], Event::Response { request, reply: _ } if *request == id));
    let Event::MessageReceived { message } = &events[2] else {
        panic!("{events:?}")
    };
    assert!(message.own, "a message this client made is its own");
    assert_eq!(s.me(), Some("d-me"), "learned from the echo");
    // The confirm that follows is no news.
    s.handle_frame(
        Timestamp(2),
        &confirm(sent[0]["confirm_id"].as_str().unwrap()),
    );
    assert!(drain_events(&mut s).is_empty());
}
