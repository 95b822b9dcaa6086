//! Message requests are encoded as the server expects and their answers typed.
use crate::support::{responses, Harness};
use chatwire::trueconf::Request;
use chatwire::{Content, Error, Event, Reply, Role};
use serde_json::json;

#[test]
fn send_message_with_reply_and_its_answer() {
    let mut h = Harness::ready();
    let id =
        h.s.send_message(h.now, "c1", "hello", Some("markdown"), Some("m0"))
            .unwrap();
    let (frames, _) = h.drain_frames();
    assert_eq!(
        frames[0]["payload"],
        json!({"chatId":"c1","content":{"text":"hello","parseMode":"markdown"},"replyMessageId":"m0"})
    );
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"chatId":"c1","messageId":"m1","timestamp":1746028006345i64}}));
    assert_eq!(
        responses(&events),
        vec![(
            id.0,
            Ok(Reply::MessageSent {
                chat_id: Some("c1".into()),
                message_id: "m1".into(),
                timestamp_ms: Some(1746028006345)
            })
        )]
    );
}

#[test]
fn text_over_4096_characters_is_refused_locally() {
    let mut h = Harness::ready();
    let long = "я".repeat(4097);
    assert_eq!(
        h.s.send_message(h.now, "c", &long, None, None),
        Err(Error::MessageTooLong {
            length: 4097,
            limit: 4096
        })
    );
    assert!(h
        .s
        .send_message(h.now, "c", &"я".repeat(4096), None, None)
        .is_ok());
    assert!(matches!(
        h.s.send_message(h.now, "c", "", None, None),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn every_message_method_encodes() {
    let cases = [
        (
            Request::EditMessage {
                message_id: "m".into(),
                text: "t".into(),
                parse_mode: Some("text".into()),
            },
            json!({"messageId":"m","content":{"text":"t","parseMode":"text"}}),
        ),
        (
            Request::RemoveMessage {
                message_id: "m".into(),
                for_all: true,
            },
            json!({"messageId":"m","forAll":true}),
        ),
        (
            Request::ForwardMessage {
                chat_id: "c".into(),
                message_id: "m".into(),
            },
            json!({"chatId":"c","messageId":"m"}),
        ),
        (
            Request::GetChatHistory {
                chat_id: "c".into(),
                count: 20,
                from_message_id: Some("m".into()),
            },
            json!({"chatId":"c","count":20,"fromMessageId":"m"}),
        ),
        (
            Request::GetMessageById {
                message_id: "m".into(),
            },
            json!({"messageId":"m"}),
        ),
        (
            Request::ChangeParticipantRole {
                chat_id: "c".into(),
                user_id: "u".into(),
                role: Role::Admin,
            },
            json!({"chatId":"c","userId":"u","role":"admin"}),
        ),
        (
            Request::EditChatAvatar {
                chat_id: "c".into(),
                temporal_file_id: None,
            },
            json!({"chatId":"c","temporalFileId":null}),
        ),
    ];
    for (request, payload) in cases {
        let frame: serde_json::Value = serde_json::from_str(&request.encode(7)).unwrap();
        assert_eq!(frame["payload"], payload, "{}", request.method());
        assert_eq!(
            Request::from_wire(request.method(), &payload).unwrap(),
            request,
            "round trip"
        );
    }
}

#[test]
fn history_comes_back_oldest_first() {
    let mut h = Harness::ready();
    let id = h.s.get_chat_history(h.now, "c1", 2, None).unwrap();
    h.drain();
    let env = |id: &str, ts: i64| json!({"messageId":id,"chatId":"c1","timestamp":ts,"type":200,"author":{"id":"a","type":1},"content":{"text":id},"isEdited":false});
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":{"count":2,"chatId":"c1","messages":[env("new",2000),env("old",1000)]}}));
    match &responses(&events)[0].1 {
        Ok(Reply::Messages { messages }) => {
            let ids: Vec<_> = messages.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, ["old", "new"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incoming_edit_and_remove_become_events() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(json!({"type":1,"id":1,"method":"editMessage","payload":{"messageId":"m1","chatId":"c","timestamp":5,"type":200,"author":{"id":"a","type":1},"content":{"text":"fixed"}}}));
    assert!(
        matches!(&events[0], Event::MessageEdited { message } if message.edited && message.content == Content::Text { text: "fixed".into(), format: None })
    );
    let (_, events) = h.feed(
        json!({"type":1,"id":2,"method":"removeMessage","payload":{"messageId":"m1","chatId":"c"}}),
    );
    assert!(matches!(&events[0], Event::MessageRemoved { message_id, .. } if message_id == "m1"));
}

#[test]
fn roles_as_numbers_and_unknown_names_are_kept() {
    assert_eq!(Role::from_json(&json!(3)), Some(Role::Code(3)));
    assert_eq!(
        Role::from_json(&json!("conf_moderator")),
        Some(Role::ConfModerator)
    );
    assert_eq!(
        Role::from_json(&json!("superhero")),
        Some(Role::Other("superhero".into()))
    );
    assert_eq!(Role::Code(3).to_json(), json!(3));
}

#[test]
fn participant_timestamps_in_seconds_become_milliseconds() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(json!({"type":1,"id":1,"method":"addChatParticipant","payload":{"chatId":"c","userId":"u","role":"owner","addedBy":{"id":"a","type":1},"timestamp":"1735370776"}}));
    assert_eq!(
        events[0],
        Event::ParticipantAdded {
            chat_id: "c".into(),
            user_id: "u".into(),
            role: Some(Role::Owner),
            by: Some("a".into()),
            timestamp_ms: Some(1735370776000)
        }
    );
}
