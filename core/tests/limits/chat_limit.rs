//! Per-chat state is kept for at most `Limits::max_chats` chats: past it the least recently
//! touched chat is forgotten and reported with `ChatStateEvicted`, and its messages still arrive.

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, Session as _, Timestamp, Transmit};
use serde_json::json;

fn evicted(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChatStateEvicted { chat_id, limit } => {
                assert_eq!(*limit, 100);
                Some(chat_id.clone())
            }
            _ => None,
        })
        .collect()
}

fn drain(s: &mut impl chatwire::Session) -> Vec<Event> {
    while s.poll_transmit().is_some() {}
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn tada_keeps_read_state_and_last_messages_of_at_most_max_chats() {
    let mut config = TadaConfig::new("team-1", "token");
    config.limits.max_chats = 100;
    let mut s = TadaSession::new(config);
    s.connect(Timestamp(0)).unwrap();
    s.handle_connected(Timestamp(0));
    drain(&mut s);
    let mut received = 0;
    let mut gone = Vec::new();
    for i in 0..1000 {
        let jid = format!("g-{i}");
        let frame = json!({"event": "server.message.updated", "params": {"messages": [{
            "chat": jid, "chat_type": "group", "from": "d-2", "to": jid,
            "message_id": format!("m-{i}"), "gentime": 10 + i,
            "created": "2019-09-27T01:01:33.661466Z",
            "content": {"type": "plain", "text": "hi"}}],
            "chat_counters": [{"jid": jid, "gentime": 10 + i, "num_unread": 1}]}});
        s.handle_frame(Timestamp(1), &frame.to_string());
        let events = drain(&mut s);
        received += events
            .iter()
            .filter(|e| matches!(e, Event::MessageReceived { .. }))
            .count();
        gone.extend(evicted(&events));
    }
    assert_eq!(received, 1000, "every message is delivered");
    let expected: Vec<String> = (0..900).map(|i| format!("g-{i}")).collect();
    assert_eq!(
        gone, expected,
        "the oldest chats go first, each reported once"
    );
    assert!(s.read_state("g-0").is_none());
    assert_eq!(s.read_state("g-999").and_then(|r| r.unread), Some(1));
    let snapshot = serde_json::to_value(s.snapshot()).unwrap();
    let held = |v: &serde_json::Value| v.as_object().map_or(0, |m| m.len());
    assert_eq!(held(&snapshot["read_states"]["chats"]), 100);
    assert_eq!(held(&snapshot["last_messages"]), 100);
}

#[test]
fn trueconf_keeps_read_state_and_chat_list_of_at_most_max_chats() {
    let mut config = TrueConfConfig::new("jwt");
    config.limits.max_chats = 100;
    let mut s = TrueConfSession::new(config);
    s.handle_connected(Timestamp(0));
    let auth = match s.poll_transmit() {
        Some(Transmit::Frame { text }) => serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        other => panic!("expected the auth frame, got {other:?}"),
    };
    let ok = json!({"type": 2, "id": auth["id"], "payload": {"userId": "bot@x"}});
    s.handle_frame(Timestamp(0), &ok.to_string());
    drain(&mut s);
    let mut gone = Vec::new();
    for i in 0..1000 {
        let frame = json!({"type": 1, "id": i + 1, "method": "createGroupChat", "payload": {
            "chatId": format!("c-{i}"), "title": "T", "chatType": 2, "unreadMessages": 2}});
        s.handle_frame(Timestamp(1), &frame.to_string());
        let events = drain(&mut s);
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::ChatCreated { chat } if chat.id == format!("c-{i}"))));
        gone.extend(evicted(&events));
    }
    assert_eq!(gone.len(), 900);
    assert_eq!(gone[0], "c-0");
    assert!(s.read_state("c-899").is_none());
    assert_eq!(s.read_state("c-999").and_then(|r| r.unread), Some(2));
    assert_eq!(s.snapshot().reads.iter().count(), 100);
}

#[test]
fn a_chat_used_again_is_not_the_one_evicted() {
    let mut config = TrueConfConfig::new("jwt");
    config.limits.max_chats = 2;
    let mut s = TrueConfSession::new(config);
    s.handle_connected(Timestamp(0));
    let auth: serde_json::Value = match s.poll_transmit() {
        Some(Transmit::Frame { text }) => serde_json::from_str(&text).unwrap(),
        other => panic!("{other:?}"),
    };
    s.handle_frame(
        Timestamp(0),
        &json!({"type": 2, "id": auth["id"], "payload": {"userId": "bot@x"}}).to_string(),
    );
    drain(&mut s);
    let chat = |s: &mut TrueConfSession, id: u32, chat: &str, unread: u32| {
        let frame = json!({"type": 1, "id": id, "method": "createGroupChat", "payload": {
            "chatId": chat, "title": "T", "chatType": 2, "unreadMessages": unread}});
        s.handle_frame(Timestamp(1), &frame.to_string());
        drain(s)
    };
    chat(&mut s, 1, "a", 1);
    chat(&mut s, 2, "b", 1);
    // `a` is used again (read up to a message): `b` is now the oldest.
    s.mark_read(Timestamp(1), "a", "m-1").unwrap();
    drain(&mut s);
    let events = chat(&mut s, 4, "c", 1);
    let gone: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::ChatStateEvicted { .. }))
        .collect();
    assert!(
        matches!(gone.as_slice(), [Event::ChatStateEvicted { chat_id, limit: 2 }] if chat_id == "b"),
        "{events:?}"
    );
    assert!(s.read_state("a").is_some());
    assert!(s.read_state("b").is_none());
}

#[test]
fn talk_keeps_the_listed_rooms_state_of_at_most_max_chats() {
    use chatwire::talk::{TalkConfig, TalkSession};
    let mut config = TalkConfig::new("alice", "pw");
    config.limits.max_chats = 100;
    let mut s = TalkSession::new(config);
    s.watch_rooms(Timestamp(0));
    let list = match s.poll_transmit() {
        Some(Transmit::Http(r)) => r,
        other => panic!("expected the room list request, got {other:?}"),
    };
    let rooms: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            json!({"id": i, "token": format!("r-{i}"), "type": 2, "name": "n",
            "displayName": "Room", "unreadMessages": 1, "lastReadMessage": 5,
            "lastCommonReadMessage": 5, "lastActivity": 1_704_067_200})
        })
        .collect();
    let body = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": ""},
        "data": rooms}});
    let answer = chatwire::HttpResponse {
        status: 200,
        headers: vec![chatwire::Header::new(
            "X-Nextcloud-Talk-Modified-Before",
            "1704067207",
        )],
        body: body.to_string(),
    };
    s.handle_http_response(Timestamp(1), list.id, answer);
    let events = drain(&mut s);
    let created = events
        .iter()
        .filter(|e| matches!(e, Event::ChatCreated { .. }))
        .count();
    assert_eq!(created, 1000, "every room is announced");
    assert_eq!(evicted(&events).len(), 900);
    assert!(s.read_state("r-0").is_none());
    assert_eq!(s.read_state("r-999").and_then(|r| r.unread), Some(1));
}
