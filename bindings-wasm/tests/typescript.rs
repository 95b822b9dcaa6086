//! Keeps npm/index.d.ts in step with the Rust types the wasm binding hands to JS.
//!
//! Serializes one instance of every `Event`, `Reply`, `Error`, `Content`, `ChatKind` and `Role`
//! variant, as the binding does for JS (through `plain::Plain`: `RawJson` as JSON text, `None`s
//! as `null`), into
//! npm/test/samples.generated.ts. This test fails when the file on disk differs (a Rust type
//! changed: run it with `UPDATE_TS_SAMPLES=1` to rewrite the file, then fix index.d.ts until
//! `scripts/test-npm.sh` passes its `tsc` step, which checks every sample against the
//! declarations and every declared variant against the samples).

use chatwire::talk::{HttpError, Mention};
use chatwire::trueconf::ErrorCode;
use chatwire::{
    Author, Chat, ChatKind, Content, Delivery, Error, Event, Message, Participant, RawJson,
    ReadState, Reply, RequestId, Role,
};
use chatwire_wasm::plain::Plain;
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;

fn raw() -> RawJson {
    RawJson::from(json!({"k": [1, "two"]}))
}

fn message(content: Content) -> Message {
    Message {
        id: "m1".into(),
        chat_id: Some("c1".into()),
        author: Author {
            id: "alice".into(),
            kind: Some("users".into()),
            display_name: None,
        },
        timestamp_ms: Some(1_704_067_200_000),
        content,
        edited: false,
        reply_to: None,
        version: Some(7),
        own: true,
        raw: raw(),
    }
}

fn text() -> Content {
    Content::Text {
        text: "hi".into(),
        format: None,
    }
}

fn chat(kind: ChatKind) -> Chat {
    Chat {
        id: "c1".into(),
        title: Some("Ops".into()),
        kind,
        unread: Some(2),
        last_message: Some(Box::new(message(text()))),
        avatar_url: None,
        raw: raw(),
    }
}

fn participant() -> Participant {
    Participant {
        user_id: "bob".into(),
        role: Some(Role::Admin),
        kind: None,
    }
}

fn read_state() -> ReadState {
    ReadState {
        unread: Some(3),
        unread_notices: None,
        last_read_message_id: Some("m1".into()),
        last_common_read_id: None,
        version: None,
    }
}

fn kinds() -> Vec<ChatKind> {
    vec![
        ChatKind::Direct,
        ChatKind::Group,
        ChatKind::Channel,
        ChatKind::Favorites,
        ChatKind::System,
        ChatKind::Task,
        ChatKind::Meeting,
        ChatKind::Thread,
        ChatKind::Other("space".into()),
    ]
}

fn roles() -> Vec<Role> {
    vec![
        Role::Owner,
        Role::Admin,
        Role::User,
        Role::ConfOwner,
        Role::ConfModerator,
        Role::FavoritesOwner,
        Role::Writer,
        Role::Moderator,
        Role::Guest,
        Role::Code(3),
        Role::Other("auditor".into()),
    ]
}

fn contents() -> Vec<Content> {
    vec![
        text(),
        Content::Forwarded { raw: raw() },
        Content::Attachment {
            name: Some("a.pdf".into()),
            raw: raw(),
        },
        Content::Location { raw: raw() },
        Content::Survey { raw: raw() },
        Content::Voice { raw: raw() },
        Content::Deleted,
        Content::ParticipantAdded {
            user_id: Some("bob".into()),
            role: Some(Role::Code(2)),
        },
        Content::ParticipantRemoved { user_id: None },
        Content::RoleChanged {
            user_id: Some("bob".into()),
            role: Some(Role::Other("x".into())),
        },
        Content::TitleChanged { title: None },
        Content::AvatarChanged { raw: raw() },
        Content::HistoryCleared,
        Content::System {
            code: "user_added".into(),
            text: "{actor} added {user}".into(),
            parameters: raw(),
        },
        Content::Unknown {
            kind: "sticker".into(),
            raw: raw(),
        },
    ]
}

fn errors() -> Vec<Error> {
    vec![
        Error::Timeout,
        Error::Disconnected {
            delivery: Delivery::MaybeDelivered,
        },
        Error::Disconnected {
            delivery: Delivery::NotSent,
        },
        Error::TooManyPending { limit: 256 },
        Error::QueueFull { limit: 1024 },
        Error::FrameTooLarge { size: 10, limit: 5 },
        Error::MessageTooLong {
            length: 40_000,
            limit: 32_000,
        },
        Error::InvalidArgument {
            reason: "empty".into(),
        },
        Error::InvalidFrame {
            reason: "eof".into(),
        },
        Error::UnexpectedResponse {
            reason: "shape".into(),
        },
        Error::NotConnected,
        Error::Closed,
        Error::ConnectFailed {
            reason: "no WebSocket".into(),
        },
        Error::AuthFailed {
            reason: "bad".into(),
        },
        Error::TrueConf {
            code: ErrorCode::from(203),
        },
        Error::NotConfirmed { attempts: 4 },
        Error::Rejected {
            message: "no".into(),
        },
        Error::Http {
            status: 500,
            body: "oops".into(),
        },
        Error::Talk(HttpError::BadRequest { body: "{}".into() }),
        Error::Talk(HttpError::ReadOnly),
        Error::Talk(HttpError::NotFound),
        Error::Talk(HttpError::Lobby),
        Error::Talk(HttpError::TooLong),
        Error::Talk(HttpError::RateLimited {
            retry_after_secs: Some(5),
        }),
        Error::Talk(HttpError::Maintenance),
    ]
}

fn replies() -> Vec<Reply> {
    vec![
        Reply::Authenticated {
            user_id: Some("bot@x".into()),
            connection_id: None,
        },
        Reply::ChatId {
            chat_id: "c1".into(),
        },
        Reply::ChatChanged {
            chat_id: "c1".into(),
            timestamp_ms: None,
        },
        Reply::Chat {
            chat: chat(ChatKind::Group),
        },
        Reply::Chats {
            chats: kinds().into_iter().map(chat).collect(),
        },
        Reply::Participant {
            participant: participant(),
        },
        Reply::Participants {
            participants: vec![participant()],
        },
        Reply::Bool { value: true },
        Reply::MessageSent {
            chat_id: None,
            message_id: "m1".into(),
            timestamp_ms: Some(1),
        },
        Reply::Message {
            message: message(text()),
        },
        Reply::Messages {
            messages: contents().into_iter().map(message).collect(),
        },
        Reply::Empty,
        Reply::Raw { payload: raw() },
        Reply::Mentions {
            suggestions: vec![Mention {
                id: "bob".into(),
                label: "Bob".into(),
                source: "users".into(),
                status: Some("online".into()),
                status_icon: None,
                status_message: None,
            }],
        },
    ]
}

fn events() -> Vec<Event> {
    let mut events = vec![
        Event::Connected {
            user_id: Some("a".into()),
            connection_id: None,
        },
        Event::Disconnected {
            reason: "gone".into(),
        },
        Event::ConnectionDead {
            reason: "ping".into(),
        },
        Event::TokenExpired,
        Event::ConnectFailed {
            reason: "refused".into(),
            permanent: false,
            retry_in_ms: Some(500),
            attempt: 1,
        },
        Event::Delivered {
            request: RequestId(3),
            message_id: None,
        },
        Event::ChatCreated {
            chat: chat(ChatKind::Direct),
        },
        Event::ChatUpdated {
            chat: chat(ChatKind::Other("space".into())),
        },
        Event::ChatRemoved {
            chat_id: "c1".into(),
        },
        Event::HistoryCleared {
            chat_id: "c1".into(),
            for_all: true,
        },
        Event::ParticipantAdded {
            chat_id: "c1".into(),
            user_id: "bob".into(),
            role: Some(Role::User),
            by: None,
            timestamp_ms: Some(5),
        },
        Event::ParticipantRemoved {
            chat_id: "c1".into(),
            user_id: "bob".into(),
            by: Some("alice".into()),
            timestamp_ms: None,
        },
        Event::ParticipantRoleChanged {
            chat_id: "c1".into(),
            user_id: "bob".into(),
            role: None,
            timestamp_ms: None,
        },
        Event::MessageReceived {
            message: message(text()),
        },
        Event::MessageEdited {
            message: message(text()),
        },
        Event::MessageRemoved {
            chat_id: None,
            message_id: "m1".into(),
            by: None,
        },
        Event::ReadStateChanged {
            chat_id: "c1".into(),
            state: read_state(),
        },
        Event::ProtocolError {
            raw: "{".into(),
            reason: "eof".into(),
        },
        Event::Warning {
            message: "bad".into(),
            original: raw(),
        },
        Event::Counters {
            badge: Some(4),
            team_unread: RawJson::null(),
        },
        Event::Tada {
            name: "server.online".into(),
            params: raw(),
        },
        Event::Unknown {
            name: None,
            raw: raw(),
        },
    ];
    for error in errors() {
        events.push(Event::AuthFailed {
            error: error.clone(),
        });
        events.push(Event::RequestFailed {
            request: RequestId(9),
            error: error.clone(),
        });
        events.push(Event::RoomStopped {
            chat_id: "room".into(),
            error,
        });
    }
    for reply in replies() {
        events.push(Event::Response {
            request: RequestId(1),
            reply,
        });
    }
    events
}

fn array<T: Serialize>(name: &str, ty: &str, items: &[T]) -> String {
    // Through `Plain`, as the binding serializes for JS: `RawJson` as JSON text.
    let mut bytes = Vec::new();
    items
        .serialize(Plain(&mut serde_json::Serializer::pretty(&mut bytes)))
        .expect("core values serialize");
    let json = String::from_utf8(bytes).expect("JSON is UTF-8");
    format!("export const {name} = {json} satisfies {ty}[];\n\n")
}

fn generate() -> String {
    let mut out = String::from(
        "// Generated by bindings-wasm/tests/typescript.rs from the Rust types: do not edit.\n\
         // `UPDATE_TS_SAMPLES=1 cargo test -p chatwire-wasm --test typescript` rewrites it.\n\
         import type { ChatEvent, ChatKind, Content, ErrorInfo, Reply, Role } from '../index.js';\n\n",
    );
    out += &array("events", "ChatEvent", &events());
    out += &array("replies", "Reply", &replies());
    out += &array("errors", "ErrorInfo", &errors());
    out += &array("contents", "Content", &contents());
    out += &array("kinds", "ChatKind", &kinds());
    out += &array("roles", "Role", &roles());
    out
}

#[test]
fn typescript_samples_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../npm/test/samples.generated.ts");
    let fresh = generate();
    if std::env::var_os("UPDATE_TS_SAMPLES").is_some() {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, &fresh).expect("write samples");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "{} is out of date with the Rust types: rerun with UPDATE_TS_SAMPLES=1, then make \
         npm/index.d.ts pass scripts/test-npm.sh's tsc step",
        path.display()
    );
}

/// `None` must cross as `null` (the declarations say `T | null`), and integers as numbers.
#[test]
fn samples_use_null_for_none_and_numbers_for_integers() {
    let value = serde_json::to_value(Event::Delivered {
        request: RequestId(3),
        message_id: None,
    })
    .expect("serializes");
    assert_eq!(
        value,
        json!({"type": "delivered", "request": 3, "message_id": null})
    );
}
