//! Our ids and the server's ids are separate spaces: routing is on `type` first, then `id`.
use crate::support::{responses, Harness};
use chatwire::{Event, Reply};
use serde_json::json;

#[test]
fn server_request_reusing_our_pending_id_is_a_notification_not_a_response() {
    let mut h = Harness::ready();
    let ours = h.s.create_group_chat(h.now, "Ops").unwrap();
    h.drain();
    // The server's own counter happens to be at our id.
    let (frames, events) =
        h.feed(json!({"type":1,"id":ours.0,"method":"removeChat","payload":{"chatId":"zzz"}}));
    assert_eq!(
        frames,
        vec![json!({"type":2,"id":ours.0})],
        "acked as a server request"
    );
    assert!(
        responses(&events).is_empty(),
        "our request is still pending"
    );
    assert!(matches!(&events[0], Event::ChatRemoved { chat_id } if chat_id == "zzz"));

    let (_, events) = h.feed(json!({"type":2,"id":ours.0,"payload":{"chatId":"new-chat"}}));
    let r = responses(&events);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, ours.0);
    assert_eq!(
        r[0].1,
        Ok(Reply::ChatId {
            chat_id: "new-chat".into()
        })
    );
}

#[test]
fn responses_match_out_of_order() {
    let mut h = Harness::ready();
    let a = h.s.get_chat(h.now, "a").unwrap();
    let b = h.s.create_channel(h.now, "News").unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":b.0,"payload":{"chatId":"chan"}}));
    assert_eq!(
        responses(&events),
        vec![(
            b.0,
            Ok(Reply::ChatId {
                chat_id: "chan".into()
            })
        )]
    );
    let (_, events) = h.feed(json!({"type":2,"id":a.0,"payload":{"chatId":"a","title":null,"chatType":5,"unreadMessages":0,"lastMessage":null}}));
    let r = responses(&events);
    assert_eq!(r[0].0, a.0);
    assert!(matches!(&r[0].1, Ok(Reply::Chat { chat }) if chat.id == "a" && chat.title.is_none()));
}

#[test]
fn a_response_to_nothing_pending_is_reported_not_fatal() {
    let mut h = Harness::ready();
    let (frames, events) = h.feed(json!({"type":2,"id":4242,"payload":{}}));
    assert!(frames.is_empty(), "responses are never acked");
    assert!(matches!(&events[0], Event::ProtocolError { reason, .. } if reason.contains("4242")));
    // Still working.
    assert!(h.s.get_chats(h.now, 1, 1).is_ok());
}
