//! Frames shaped as a real TrueConf server (5.5.6+) sends them, per TrueConf's official Python
//! SDK 1.5.4 (`sim/TRUECONF-SDK-NOTES.md`): each decodes into the typed model.
use crate::support::{responses, Harness};
use chatwire::trueconf::{
    envelope_chat, forwarded_message, reply_message, EnvelopeChat, FileUploadLimits,
    TrueConfConfig, TrueConfSession,
};
use chatwire::{ChatKind, Content, Event, Reply, Role, Session as _};
use serde_json::{json, Value};

/// A user envelope as the real server sends it: `chat{}` beside `chatId`, `box`, `isEdited`.
fn envelope(id: &str, text: &str) -> Value {
    json!({
        "messageId": id, "chatId": "g1",
        "chat": {"chatId": "g1", "chatTitle": "Ops", "chatType": 2},
        "timestamp": 1704067201000_i64, "type": 200,
        "author": {"id": "alice@sim.local", "type": 1},
        "content": {"text": text, "parseMode": "text"},
        "isEdited": false, "box": {"id": 17, "position": "0"}
    })
}

fn received(events: &[Event]) -> Vec<chatwire::Message> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn envelope_chat_object_names_the_chat_even_without_chat_id() {
    let mut h = Harness::ready();
    let mut only_chat = envelope("m1", "hi");
    only_chat.as_object_mut().unwrap().remove("chatId");
    let (acks, events) =
        h.feed(json!({"type":1,"id":5,"method":"sendMessage","payload":only_chat}));
    assert_eq!(acks, vec![json!({"type":2,"id":5})]);
    let m = &received(&events)[0];
    assert_eq!(m.chat_id.as_deref(), Some("g1"));
    assert_eq!(
        envelope_chat(m),
        Some(EnvelopeChat {
            chat_id: "g1".into(),
            title: Some("Ops".into()),
            kind: ChatKind::Group
        })
    );
}

#[test]
fn last_message_carries_its_chat_object() {
    let mut h = Harness::ready();
    let id = h.s.get_chats(h.now, 10, 1).unwrap();
    h.drain();
    let mut last = envelope("m9", "latest");
    last.as_object_mut().unwrap().remove("chatId");
    last.as_object_mut().unwrap().remove("box");
    let chat = json!({"chatId":"g1","title":"Ops","chatType":2,"unreadMessages":1,"avatarUrl":null,"lastMessage":last});
    // A real server answers getChats with a bare array.
    let (_, events) = h.feed(json!({"type":2,"id":id.0,"payload":[chat]}));
    let Ok(Reply::Chats { chats }) = &responses(&events)[0].1 else {
        panic!("{events:?}")
    };
    let last = chats[0].last_message.as_ref().unwrap();
    assert_eq!(last.id, "m9");
    assert_eq!(last.chat_id.as_deref(), Some("g1"));
    assert_eq!(envelope_chat(last).unwrap().title.as_deref(), Some("Ops"));
}

#[test]
fn a_reply_carries_the_expanded_original() {
    let mut h = Harness::ready();
    let mut reply = envelope("m2", "yes");
    reply["replyMessageId"] = json!("m1");
    reply["replyMessage"] = envelope("m1", "ready?");
    let (_, events) = h.feed(json!({"type":1,"id":6,"method":"sendMessage","payload":reply}));
    let m = &received(&events)[0];
    assert_eq!(m.reply_to.as_deref(), Some("m1"));
    let original = reply_message(m, Some("bot@example.com")).unwrap();
    assert_eq!(original.id, "m1");
    assert_eq!(
        original.content,
        Content::Text {
            text: "ready?".into(),
            format: Some("text".into())
        }
    );
    // Only `replyMessage`, no id beside it: the id is still known.
    let mut bare = envelope("m3", "again");
    bare["replyMessage"] = envelope("m1", "ready?");
    let (_, events) = h.feed(json!({"type":1,"id":7,"method":"sendMessage","payload":bare}));
    assert_eq!(received(&events)[0].reply_to.as_deref(), Some("m1"));
}

#[test]
fn a_forward_carries_the_original_envelope() {
    let mut h = Harness::ready();
    let mut forward = envelope("m5", "");
    forward["type"] = json!(201);
    forward["content"] = envelope("m1", "the original");
    let (_, events) = h.feed(json!({"type":1,"id":8,"method":"sendMessage","payload":forward}));
    let m = &received(&events)[0];
    assert!(matches!(m.content, Content::Forwarded { .. }));
    let original = forwarded_message(m, None).unwrap();
    assert_eq!(original.id, "m1");
    assert_eq!(original.chat_id.as_deref(), Some("g1"));
    assert_eq!(original.author.id, "alice@sim.local");
    assert!(forwarded_message(&original, None).is_none());
}

#[test]
fn remove_chat_participant_under_both_names() {
    for (n, method) in ["removeChatParticipant", "removedChatParticipant"]
        .into_iter()
        .enumerate()
    {
        let mut h = Harness::ready();
        let payload = json!({"timestamp":"1735370776","chatId":"g1","userId":"carol@sim.local","removedBy":{"id":"alice@sim.local","type":1}});
        let (acks, events) = h.feed(json!({"type":1,"id":n + 1,"method":method,"payload":payload}));
        assert_eq!(acks.len(), 1);
        assert_eq!(
            events,
            vec![Event::ParticipantRemoved {
                chat_id: "g1".into(),
                user_id: "carol@sim.local".into(),
                by: Some("alice@sim.local".into()),
                timestamp_ms: Some(1_735_370_776_000),
            }],
            "{method}"
        );
    }
}

#[test]
fn added_participant_role_is_not_the_adders_user_role() {
    let mut h = Harness::ready();
    let payload = json!({"timestamp":1735370776,"chatId":"g1","userId":"carol@sim.local","userRole":"owner","addedBy":{"id":"alice@sim.local","type":1}});
    let (_, events) =
        h.feed(json!({"type":1,"id":3,"method":"addChatParticipant","payload":payload}));
    assert!(
        matches!(&events[0], Event::ParticipantAdded { role: None, by: Some(by), .. } if by == "alice@sim.local")
    );
    let payload =
        json!({"chatId":"g1","userId":"dave@sim.local","role":"admin","userRole":"owner"});
    let (_, events) =
        h.feed(json!({"type":1,"id":4,"method":"addChatParticipant","payload":payload}));
    assert!(matches!(
        &events[0],
        Event::ParticipantAdded {
            role: Some(Role::Admin),
            ..
        }
    ));
}

#[test]
fn auth_asks_for_unread_and_system_envelopes_when_configured() {
    let mut config = TrueConfConfig::new("a.b.c");
    config.receive_unread = Some(true);
    config.receive_system_messages = Some(true);
    let mut h = Harness {
        s: TrueConfSession::new(config),
        now: chatwire::Timestamp(1),
    };
    h.s.handle_connected(h.now);
    let (frames, _) = h.drain_frames();
    assert_eq!(
        frames[0]["payload"],
        json!({"token":"a.b.c","tokenType":"JWT","receiveUnread":true,"receiveSystemMessageEnvelopes":true})
    );
    let id = frames[0]["id"].clone();
    let (_, events) =
        h.feed(json!({"type":2,"id":id,"payload":{"userId":"bot@sim.local","connectionId":"c-7"}}));
    assert_eq!(
        events,
        vec![Event::Connected {
            user_id: Some("bot@sim.local".into()),
            connection_id: Some("c-7".into())
        }]
    );
    // Left unset, neither is sent: the server's defaults apply.
    let mut plain = Harness::new();
    plain.s.handle_connected(plain.now);
    let (frames, _) = plain.drain_frames();
    assert_eq!(
        frames[0]["payload"],
        json!({"token":"jwt-secret","tokenType":"JWT"})
    );
}

#[test]
fn a_system_envelope_decodes_by_type() {
    let mut h = Harness::ready();
    let mut system = envelope("s1", "");
    system["type"] = json!(1);
    system["author"] = json!({"id": "", "type": 0});
    system["content"] = json!({"userId": "carol@sim.local", "role": "user"});
    let (_, events) = h.feed(json!({"type":1,"id":9,"method":"sendMessage","payload":system}));
    assert_eq!(
        received(&events)[0].content,
        Content::ParticipantAdded {
            user_id: Some("carol@sim.local".into()),
            role: Some(Role::User)
        }
    );
}

#[test]
fn command_notification_is_typed() {
    let mut h = Harness::ready();
    let mut button_message = envelope("m7", "Deploy?");
    button_message["content"]["buttons"] =
        json!([[{"type":"command","label":"Go","command":"/go","id":"b1"}]]);
    let payload = json!({
        "commandId": "cmd-1",
        "commandSource": {"type": "button", "message": button_message, "buttonId": "b1"},
        "commandPayload": {"type": "command", "command": "/go", "customData": "x=1"},
        "userId": "alice@sim.local"
    });
    let (acks, events) = h.feed(json!({"type":1,"id":11,"method":"command","payload":payload}));
    assert_eq!(acks, vec![json!({"type":2,"id":11})]);
    let Event::CommandReceived {
        command_id,
        command,
        custom_data,
        button_id,
        source,
        chat_id,
        message_id,
        user_id,
        ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(command_id.as_deref(), Some("cmd-1"));
    assert_eq!(command, "/go");
    assert_eq!(custom_data.as_deref(), Some("x=1"));
    assert_eq!(button_id.as_deref(), Some("b1"));
    assert_eq!(source.as_deref(), Some("button"));
    assert_eq!(chat_id.as_deref(), Some("g1"));
    assert_eq!(message_id.as_deref(), Some("m7"));
    assert_eq!(user_id.as_deref(), Some("alice@sim.local"));
    // 5.5.6 sends no commandId: still a command, not unanswerable noise.
    let (_, events) = h.feed(json!({"type":1,"id":12,"method":"command","payload":{"commandSource":{"type":"button"},"commandPayload":{"type":"command","command":"/stop"}}}));
    assert!(
        matches!(&events[0], Event::CommandReceived { command_id: None, command, .. } if command == "/stop")
    );
}

#[test]
fn upload_progress_and_limit_changes_are_typed() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(json!({"type":1,"id":13,"method":"uploadFileProgress","payload":{"fileId":"f1","progress":512}}));
    assert_eq!(
        events,
        vec![Event::FileProgress {
            file_id: "f1".into(),
            progress: 512
        }]
    );
    let (_, events) = h.feed(json!({"type":1,"id":14,"method":"getFileUploadLimits","payload":{"maxSize":1048576,"extensions":{"mode":"block","list":["exe","bat"]}}}));
    assert_eq!(
        events,
        vec![Event::FileUploadLimitsChanged {
            limits: FileUploadLimits {
                max_size: Some(1_048_576),
                extensions_mode: Some("block".into()),
                extensions: vec!["exe".into(), "bat".into()],
            }
        }]
    );
    let (_, events) = h.feed(json!({"type":1,"id":15,"method":"getFileUploadLimits","payload":{"maxSize":null,"extensions":null}}));
    assert_eq!(
        events,
        vec![Event::FileUploadLimitsChanged {
            limits: FileUploadLimits::default()
        }]
    );
}

#[test]
fn someone_typing_is_typed() {
    let mut h = Harness::ready();
    let (_, events) = h.feed(json!({"type":1,"id":16,"method":"sendChatActivity","payload":{"chatId":"g1","activityType":"typing","userId":"alice@sim.local"}}));
    assert_eq!(
        events,
        vec![Event::ChatActivity {
            chat_id: "g1".into(),
            user_id: Some("alice@sim.local".into()),
            activity: "typing".into()
        }]
    );
}

#[test]
fn our_rename_shows_in_later_chat_updates() {
    let mut h = Harness::ready();
    let id = h.s.get_chat(h.now, "g1").unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":id.0,"payload":{"chatId":"g1","title":"Old","chatType":2,"unreadMessages":0}}));
    let id =
        h.s.request(
            h.now,
            chatwire::trueconf::Request::EditChatTitle {
                chat_id: "g1".into(),
                title: "New".into(),
            },
        )
        .unwrap();
    h.drain();
    h.feed(json!({"type":2,"id":id.0,"payload":{"chatId":"g1","timestamp":1704067201000_i64}}));
    let (_, events) = h.feed(json!({"type":1,"id":20,"method":"editChatAvatar","payload":{"chatId":"g1","avatarUrl":"https://x/a.png"}}));
    let Event::ChatUpdated { chat } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(chat.title.as_deref(), Some("New"));
    assert_eq!(chat.avatar_url.as_deref(), Some("https://x/a.png"));
}
