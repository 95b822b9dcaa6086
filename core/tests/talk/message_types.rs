//! Messages are typed: actor, timestamp, rich object parameters, parents (deleted too), the 24
//! system messages plus unknown ones, and comment/system/command.

use crate::support::*;
use chatwire::talk::{MessageType, Parent, SystemMessage, TalkMessage};
use chatwire::{Content, Event, Session as _};
use serde_json::json;

const SPEC_SYSTEM_MESSAGES: [&str; 29] = [
    "conversation_created",
    "conversation_renamed",
    "call_started",
    "call_joined",
    "call_left",
    "call_ended",
    "read_only_off",
    "read_only",
    "listable_none",
    "listable_users",
    "listable_all",
    "lobby_timer_reached",
    "lobby_none",
    "lobby_non_moderators",
    "guests_allowed",
    "guests_disallowed",
    "password_set",
    "password_removed",
    "user_added",
    "user_removed",
    "moderator_promoted",
    "moderator_demoted",
    "guest_moderator_promoted",
    "guest_moderator_demoted",
    "message_deleted",
    "message_edited",
    "reaction",
    "reaction_deleted",
    "reaction_revoked",
];

#[test]
fn every_spec_system_message_is_known_and_round_trips() {
    assert_eq!(SystemMessage::KNOWN.len(), SPEC_SYSTEM_MESSAGES.len());
    for code in SPEC_SYSTEM_MESSAGES {
        let s = SystemMessage::from_code(code);
        assert!(!matches!(s, SystemMessage::Unknown(_)), "{code}");
        assert_eq!(s.as_str(), code);
        assert_eq!(serde_json::to_value(&s).unwrap(), json!(code));
        assert_eq!(
            serde_json::from_value::<SystemMessage>(json!(code)).unwrap(),
            s
        );
    }
    let new = SystemMessage::from_code("poll_voted");
    assert_eq!(new, SystemMessage::Unknown("poll_voted".into()));
    assert_eq!(new.as_str(), "poll_voted");
}

#[test]
fn a_system_message_decodes_typed_and_normalizes() {
    let raw = json!({
        "id": 3, "token": ROOM, "actorType": "users", "actorId": "bob",
        "actorDisplayName": "Bob", "timestamp": 1_700_000_000,
        "message": "{actor} added {user}", "systemMessage": "user_added",
        "messageType": "system",
        "messageParameters": {
            "actor": {"type": "user", "id": "bob", "name": "Bob"},
            "user": {"type": "user", "id": "carol", "name": "Carol"}
        }
    });
    let m = TalkMessage::from_json(&raw).unwrap();
    assert_eq!(m.id, 3);
    assert_eq!(m.system_message, Some(SystemMessage::UserAdded));
    assert_eq!(m.message_type, MessageType::System);
    assert_eq!(m.message_parameters["user"].id, "carol");
    assert_eq!(m.rendered_text(), "Bob added Carol");
    assert!(!m.counts_as_unread());
    let n = m.to_message(raw.clone(), false);
    assert_eq!(n.id, "3");
    assert_eq!(n.timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(n.author.kind.as_deref(), Some("users"));
    assert_eq!(n.author.display_name.as_deref(), Some("Bob"));
    match &n.content {
        Content::System {
            code,
            text,
            parameters,
        } => {
            assert_eq!(code, "user_added");
            // Filled in: the server sends placeholders to every reader but the actor.
            assert_eq!(text, "Bob added Carol");
            let parameters: serde_json::Value = parameters.parse().unwrap();
            assert_eq!(parameters["user"]["name"], "Carol");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(TalkMessage::from_message(&n).unwrap(), m);
}

#[test]
fn comments_commands_parents_and_files() {
    let mut reply = message(20, "bob", "hi {mention-user1}");
    reply["messageParameters"] =
        json!({"mention-user1": {"type": "user", "id": "alice", "name": "Alice"}});
    reply["parent"] = json!({"id": 19, "deleted": true});
    let m = TalkMessage::from_json(&reply).unwrap();
    assert_eq!(m.parent, Some(Parent::Deleted { id: 19 }));
    let n = m.to_message(reply.clone(), false);
    assert_eq!(n.reply_to.as_deref(), Some("19"));
    // A mention reads as typed; its id stays in the raw message's parameters.
    assert_eq!(n.content.text(), Some("hi @Alice"));

    let mut full = message(21, "carol", "yes");
    full["parent"] = message(20, "bob", "question");
    let m = TalkMessage::from_json(&full).unwrap();
    match &m.parent {
        Some(Parent::Message { message }) => assert_eq!(message.message, "question"),
        other => panic!("{other:?}"),
    }
    assert_eq!(m.parent.as_ref().unwrap().id(), 20);

    let mut cmd = message(22, "bob", "Talk help");
    cmd["messageType"] = json!("command");
    let m = TalkMessage::from_json(&cmd).unwrap();
    assert_eq!(m.message_type, MessageType::Command);
    assert!(!m.counts_as_unread());

    let mut file = message(23, "bob", "{file}");
    file["messageParameters"] =
        json!({"file": {"type": "file", "id": "99", "name": "cat.png", "mimetype": "image/png"}});
    match TalkMessage::from_json(&file).unwrap().content() {
        Content::Attachment { name, raw } => {
            assert_eq!(name.as_deref(), Some("cat.png"));
            let raw: serde_json::Value = raw.parse().unwrap();
            assert_eq!(raw["mimetype"], "image/png");
        }
        other => panic!("{other:?}"),
    }

    let mut deleted = message(24, "bob", "Message deleted by you");
    deleted["messageType"] = json!("comment_deleted");
    assert_eq!(
        TalkMessage::from_json(&deleted).unwrap().content(),
        Content::Deleted
    );

    let mut future = message(25, "bob", "{object}");
    future["messageType"] = json!("voice-message-2030");
    assert!(matches!(
        TalkMessage::from_json(&future).unwrap().content(),
        Content::Unknown { .. }
    ));
}

#[test]
fn unknown_system_messages_reach_the_app_as_text() {
    let mut s = talk();
    let poll = join_live(&mut s, at(0), 7);
    let mut m = message(8, "bob", "{actor} did something new");
    m["messageType"] = json!("system");
    m["systemMessage"] = json!("something_new");
    s.handle_http_response(at(1), poll.id, page(vec![m], 8));
    let evs = events(&mut s);
    let content = evs.iter().find_map(|e| match e {
        Event::MessageReceived { message } => Some(message.content.clone()),
        _ => None,
    });
    assert!(matches!(
        content,
        Some(Content::System { code, text, .. })
            if code == "something_new" && text == "{actor} did something new"
    ));
}

#[test]
fn lenient_fields() {
    // Ids as strings, parameters as `[]`, missing optional fields.
    let m = TalkMessage::from_json(&json!({"id": "31", "message": "x", "messageParameters": []}))
        .unwrap();
    assert_eq!(m.id, 31);
    assert!(m.message_parameters.is_empty());
    assert_eq!(m.message_type, MessageType::Comment);
    assert!(TalkMessage::from_json(&json!({"message": "no id"})).is_err());
    assert!(TalkMessage::from_json(&json!([1, 2])).is_err());
}
