//! Envelopes (messages) and chats as TrueConf sends them, decoded into the shared model.

use crate::json::{field_bool, field_int, field_str, unix_millis};
use crate::model::{Author, Chat, ChatKind, Content, Message, Participant, Role};
use crate::raw::RawJson;
use serde_json::Value;

/// Envelope `type` codes (EnvelopeContentType).
pub(super) mod envelope_type {
    /// A participant was added.
    pub(crate) const PARTICIPANT_ADDED: i64 = 1;
    /// A participant was removed.
    pub(crate) const PARTICIPANT_REMOVED: i64 = 2;
    /// The chat title changed.
    pub(crate) const TITLE_CHANGED: i64 = 21;
    /// The chat picture changed.
    pub(crate) const AVATAR_CHANGED: i64 = 22;
    /// The history was cleared.
    pub(crate) const HISTORY_CLEARED: i64 = 23;
    /// A participant's role changed.
    pub(crate) const ROLE_CHANGED: i64 = 110;
    /// Plain or formatted text.
    pub(crate) const TEXT: i64 = 200;
    /// A forwarded message.
    pub(crate) const FORWARDED: i64 = 201;
    /// A file.
    pub(crate) const ATTACHMENT: i64 = 202;
    /// A location.
    pub(crate) const LOCATION: i64 = 203;
    /// A survey.
    pub(crate) const SURVEY: i64 = 204;
    /// A voice message.
    pub(crate) const VOICE: i64 = 205;
}

/// Decodes an Envelope. `chat_hint` fills `chatId` where the spec omits it (`lastMessage`).
pub(super) fn decode_envelope(
    v: &Value,
    chat_hint: Option<&str>,
    me: Option<&str>,
) -> Option<Message> {
    let id = field_str(v, "messageId")?;
    let author_obj = v.get("author").cloned().unwrap_or(Value::Null);
    let author = Author {
        id: field_str(&author_obj, "id").unwrap_or_default(),
        kind: author_obj.get("type").and_then(crate::json::str_lenient),
        display_name: field_str(&author_obj, "name"),
    };
    let own = me.is_some_and(|me| me == author.id);
    let content = v.get("content").cloned().unwrap_or(Value::Null);
    Some(Message {
        id,
        // Real servers send `chat{chatId,chatTitle,chatType}` beside (and the SDK reads only)
        // `chatId`; either names the chat.
        chat_id: field_str(v, "chatId")
            .or_else(|| v.get("chat").and_then(|c| field_str(c, "chatId")))
            .or_else(|| chat_hint.map(str::to_string)),
        author,
        timestamp_ms: field_int(v, "timestamp").map(unix_millis),
        content: decode_content(field_int(v, "type"), content),
        edited: field_bool(v, "isEdited").unwrap_or(false),
        reply_to: field_str(v, "replyMessageId").or_else(|| {
            v.get("replyMessage")
                .and_then(|r| field_str(r, "messageId"))
        }),
        version: None,
        own,
        raw: RawJson::from(v.clone()),
    })
}

fn decode_content(kind: Option<i64>, c: Value) -> Content {
    use envelope_type::*;
    let user = field_str(&c, "userId");
    let role = c.get("role").and_then(Role::from_json);
    match kind {
        Some(TEXT) => match c.get("text").and_then(Value::as_str) {
            Some(text) => Content::Text {
                text: text.to_string(),
                format: field_str(&c, "parseMode"),
            },
            None => Content::Unknown {
                kind: TEXT.to_string(),
                raw: RawJson::from(c),
            },
        },
        Some(FORWARDED) => Content::Forwarded {
            raw: RawJson::from(c),
        },
        Some(ATTACHMENT) => Content::Attachment {
            name: field_str(&c, "name").or_else(|| field_str(&c, "fileName")),
            raw: RawJson::from(c),
        },
        Some(LOCATION) => Content::Location {
            raw: RawJson::from(c),
        },
        Some(SURVEY) => Content::Survey {
            raw: RawJson::from(c),
        },
        Some(VOICE) => Content::Voice {
            raw: RawJson::from(c),
        },
        Some(PARTICIPANT_ADDED) => Content::ParticipantAdded {
            user_id: user,
            role,
        },
        Some(PARTICIPANT_REMOVED) => Content::ParticipantRemoved { user_id: user },
        Some(TITLE_CHANGED) => Content::TitleChanged {
            title: field_str(&c, "title"),
        },
        Some(AVATAR_CHANGED) => Content::AvatarChanged {
            raw: RawJson::from(c),
        },
        Some(HISTORY_CLEARED) => Content::HistoryCleared,
        Some(ROLE_CHANGED) => Content::RoleChanged {
            user_id: user,
            role,
        },
        other => Content::Unknown {
            kind: other.map(|k| k.to_string()).unwrap_or_default(),
            raw: RawJson::from(c),
        },
    }
}

/// The shared chat kind for a TrueConf `chatType` (ChatTypeEnum).
pub(super) fn chat_kind(code: Option<i64>) -> ChatKind {
    match code {
        Some(1) => ChatKind::Direct,
        Some(2) => ChatKind::Group,
        Some(3) => ChatKind::System,
        Some(5) => ChatKind::Favorites,
        Some(6) => ChatKind::Channel,
        Some(n) => ChatKind::Other(n.to_string()),
        None => ChatKind::Other(String::new()),
    }
}

/// Decodes a Chat object (getChatByID, getChats, create* notifications).
pub(super) fn decode_chat(v: &Value, me: Option<&str>) -> Option<Chat> {
    let id = field_str(v, "chatId")?;
    let last_message = v
        .get("lastMessage")
        .filter(|m| !m.is_null())
        .and_then(|m| decode_envelope(m, Some(&id), me))
        .map(Box::new);
    Some(Chat {
        title: field_str(v, "title"),
        kind: chat_kind(field_int(v, "chatType")),
        unread: field_int(v, "unreadMessages").and_then(|n| u32::try_from(n).ok()),
        last_message,
        avatar_url: field_str(v, "avatarUrl"),
        raw: RawJson::from(v.clone()),
        id,
    })
}

/// Decodes a ChatParticipant object.
pub(super) fn decode_participant(v: &Value) -> Option<Participant> {
    Some(Participant {
        user_id: field_str(v, "userId")?,
        role: v
            .get("role")
            .or_else(|| v.get("userRole"))
            .and_then(Role::from_json),
        kind: v.get("type").and_then(crate::json::str_lenient),
    })
}

/// The chat an envelope names in its `chat` object (`chatId`, `chatTitle`, `chatType`), as
/// real servers send it in messages and in a chat's `lastMessage`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeChat {
    /// The chat's id.
    pub chat_id: String,
    /// Its title, when it has one.
    pub title: Option<String>,
    /// Its kind.
    pub kind: ChatKind,
}

/// The `chat` object of a TrueConf message (see [`EnvelopeChat`]); `None` on a seed-style
/// envelope with `chatId` only.
pub fn envelope_chat(message: &Message) -> Option<EnvelopeChat> {
    let raw: Value = serde_json::from_str(message.raw.as_str()).ok()?;
    let chat = raw.get("chat")?;
    Some(EnvelopeChat {
        chat_id: field_str(chat, "chatId")?,
        title: field_str(chat, "chatTitle"),
        kind: chat_kind(field_int(chat, "chatType")),
    })
}

/// The message a TrueConf reply answers, as the server expands it (`replyMessage`); `me`
/// marks own messages. `None` when the server sent only `replyMessageId`.
pub fn reply_message(message: &Message, me: Option<&str>) -> Option<Message> {
    let raw: Value = serde_json::from_str(message.raw.as_str()).ok()?;
    let reply = raw.get("replyMessage").filter(|r| r.is_object())?;
    decode_envelope(reply, message.chat_id.as_deref(), me)
}

/// The original of a TrueConf forward (type 201), whose content is the forwarded message's
/// whole envelope; `me` marks own messages. `None` for any other message.
pub fn forwarded_message(message: &Message, me: Option<&str>) -> Option<Message> {
    let Content::Forwarded { raw } = &message.content else {
        return None;
    };
    let original: Value = serde_json::from_str(raw.as_str()).ok()?;
    decode_envelope(&original, None, me)
}
