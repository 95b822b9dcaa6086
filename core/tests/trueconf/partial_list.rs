//! A list answer with one entry that does not decode resolves with the others and reports the
//! bad one as a protocol error carrying its text: nothing is dropped silently.
use crate::support::{responses, Harness};
use chatwire::{Event, Reply};
use serde_json::json;

#[test]
fn get_chats_reports_the_entry_it_could_not_decode() {
    let mut h = Harness::ready();
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[
        {"chatId":"c1","title":"A","chatType":2,"unreadMessages":1,"lastMessage":null},
        {"title":"no id at all","chatType":2}]}));
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ProtocolError { raw, reason } => Some((raw.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{events:?}");
    assert!(errors[0].0.contains("no id at all"));
    assert!(errors[0].1.contains("getChats"));
    match &responses(&events)[..] {
        [(rid, Ok(Reply::Chats { chats }))] if *rid == id.0 => {
            assert_eq!(chats.len(), 1);
            assert_eq!(chats[0].id, "c1");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn get_chat_participants_reports_the_entry_it_could_not_decode() {
    let mut h = Harness::ready();
    let id =
        h.s.request(
            h.now,
            chatwire::trueconf::Request::GetChatParticipants {
                chat_id: "c1".into(),
                page_size: 10,
                page_number: 1,
            },
        )
        .unwrap();
    h.drain();
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"participants":[
        {"userId":"bob@x","role":"user"}, {"role":"admin"}]}}));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ProtocolError { raw, .. } if raw.contains("admin"))));
    assert!(matches!(
        &responses(&events)[..],
        [(_, Ok(Reply::Participants { participants }))] if participants.len() == 1
    ));
}
