//! Unread counts come from the server's chat lists; messages from others count; the ack reads them.
use crate::support::Harness;
use chatwire::{Event, ReadState, Session as _};
use serde_json::json;

fn read_events(events: &[Event]) -> Vec<(String, ReadState)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ReadStateChanged { chat_id, state } => Some((chat_id.clone(), state.clone())),
            _ => None,
        })
        .collect()
}

fn msg(server_id: u32, id: &str, author: &str) -> serde_json::Value {
    json!({"type":1,"id":server_id,"method":"sendMessage","payload":{"messageId":id,"chatId":"c1",
      "timestamp":1746028006345i64,"type":200,"author":{"id":author,"type":1},
      "content":{"text":"x","parseMode":"text"},"isEdited":false,"box":{"id":1,"position":"0"}}})
}

#[test]
fn get_chats_sets_unread_counts() {
    let mut h = Harness::ready();
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[
        {"chatId":"c1","title":"A","chatType":2,"unreadMessages":3,"lastMessage":null},
        {"chatId":"c2","title":"B","chatType":1,"unreadMessages":0,"lastMessage":null}]}));
    let reads = read_events(&events);
    assert_eq!(reads[0].0, "c1");
    assert_eq!(reads[0].1.unread, Some(3));
    assert_eq!(h.s.read_state("c2").unwrap().unread, Some(0));
}

#[test]
fn message_from_someone_else_is_read_by_our_ack() {
    let mut h = Harness::ready();
    let id = h.s.get_chat(h.now, "c1").unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":id.0,"payload":{"chatId":"c1","title":"A","chatType":2,"unreadMessages":2,"lastMessage":null}}));
    let (_, events) = h.feed(msg(1, "m1", "alice@x"));
    let reads = read_events(&events);
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].1.last_read_message_id.as_deref(), Some("m1"));
    assert_eq!(
        reads[0].1.unread,
        Some(2),
        "counted, then read by the ack: the backlog stays"
    );
}

#[test]
fn own_messages_do_not_count() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(msg(2, "m2", "bot@example.com"));
    assert!(read_events(&events).is_empty());
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::MessageReceived { message } if message.own)));
}

#[test]
fn mark_read_is_local_and_clears_unread_at_the_newest_message() {
    let mut h = Harness::ready();
    let id = h.s.get_chat(h.now, "c1").unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":id.0,"payload":{"chatId":"c1","title":"A","chatType":2,"unreadMessages":4,
        "lastMessage":{"messageId":"newest","timestamp":1,"author":{"id":"a","type":1},"type":200,"content":{"text":"t"}}}}));
    assert_eq!(
        h.s.mark_read(h.now, "c1", "older").unwrap(),
        None,
        "no request exists for it"
    );
    assert_eq!(h.s.read_state("c1").unwrap().unread, Some(4));
    h.s.mark_read(h.now, "c1", "newest").unwrap();
    let (frames, events) = h.drain_frames();
    assert!(frames.is_empty());
    let reads = read_events(&events);
    assert_eq!(reads.last().unwrap().1.unread, Some(0));
    assert_eq!(
        reads.last().unwrap().1.last_read_message_id.as_deref(),
        Some("newest")
    );
}

#[test]
fn snapshot_restores_read_state_and_dedupe() {
    let mut h = Harness::ready();
    h.feed(msg(3, "m3", "alice@x"));
    let snap = h.s.snapshot();
    let text = serde_json::to_string(&snap).unwrap();
    let restored = serde_json::from_str(&text).unwrap();
    let mut s = chatwire::trueconf::TrueConfSession::restore(
        chatwire::trueconf::TrueConfConfig::new("t"),
        restored,
    );
    s.handle_frame(h.now, &msg(4, "m3", "alice@x").to_string());
    let mut delivered = 0;
    while let Some(e) = s.poll_event() {
        if matches!(e, Event::MessageReceived { .. }) {
            delivered += 1;
        }
    }
    assert_eq!(delivered, 0, "a redelivery after restart is not new");
    assert_eq!(
        s.read_state("c1").unwrap().last_read_message_id.as_deref(),
        Some("m3")
    );
}
