//! Envelopes (messages) and chats as TrueConf sends them, decoded into the shared model.

use crate::json::{
    typed_or_canonical, unix_millis, LenientBool, LenientInt, LenientObj, LenientRole, LenientStr,
    OnlyStr,
};
use crate::model::{Author, Chat, ChatKind, Content, Message, Participant, Role};
use crate::raw::RawJson;
use serde::Deserialize;
use serde_json::value::RawValue;
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

/// An author object: `id`, `type`, `name`.
#[derive(Deserialize)]
struct AuthorFields<'a> {
    #[serde(default, borrow)]
    id: LenientStr<'a>,
    #[serde(rename = "type", default, borrow)]
    kind: LenientStr<'a>,
    #[serde(default, borrow)]
    name: LenientStr<'a>,
}

/// The `chat` object real servers put in an envelope.
#[derive(Deserialize)]
pub(super) struct ChatRef<'a> {
    #[serde(rename = "chatId", default, borrow)]
    pub(super) chat_id: LenientStr<'a>,
    #[serde(rename = "chatTitle", default, borrow)]
    chat_title: LenientStr<'a>,
    #[serde(rename = "chatType", default)]
    chat_type: LenientInt,
}

/// An object read for its `messageId` only (an expanded `replyMessage`).
#[derive(Deserialize)]
pub(super) struct MessageRef<'a> {
    #[serde(rename = "messageId", default, borrow)]
    pub(super) message_id: LenientStr<'a>,
}

/// The fields of an Envelope the model carries. `C` reads `content`: kept as sent and decoded
/// by kind afterwards ([`decode_envelope`]), or read in the same pass ([`EnvelopeRead`]).
#[derive(Deserialize)]
pub(crate) struct EnvelopeFields<'a, C> {
    #[serde(rename = "messageId", default, borrow)]
    message_id: LenientStr<'a>,
    #[serde(default, borrow)]
    author: LenientObj<AuthorFields<'a>>,
    #[serde(rename = "chatId", default, borrow)]
    chat_id: LenientStr<'a>,
    #[serde(default, borrow)]
    chat: LenientObj<ChatRef<'a>>,
    #[serde(default)]
    timestamp: LenientInt,
    #[serde(rename = "type", default)]
    kind: LenientInt,
    #[serde(default)]
    content: C,
    #[serde(rename = "isEdited", default)]
    edited: LenientBool,
    #[serde(rename = "replyMessageId", default, borrow)]
    reply_id: LenientStr<'a>,
    #[serde(rename = "replyMessage", default, borrow)]
    reply: LenientObj<MessageRef<'a>>,
}

/// An Envelope whose content's fields are read with it, in one pass over the text: how a
/// message notification is decoded together with its frame.
pub(crate) type EnvelopeRead<'a> = EnvelopeFields<'a, LenientObj<ContentFields<'a>>>;

/// The fields of a content object the model carries (each kind reads its own).
#[derive(Deserialize, Default)]
pub(crate) struct ContentFields<'a> {
    #[serde(default, borrow)]
    text: OnlyStr<'a>,
    #[serde(rename = "parseMode", default, borrow)]
    parse_mode: LenientStr<'a>,
    #[serde(rename = "userId", default, borrow)]
    user_id: LenientStr<'a>,
    #[serde(default)]
    role: LenientRole,
    #[serde(default, borrow)]
    title: LenientStr<'a>,
    #[serde(default, borrow)]
    name: LenientStr<'a>,
    #[serde(rename = "fileName", default, borrow)]
    file_name: LenientStr<'a>,
}

/// Decodes an Envelope from its text. `chat_hint` fills `chatId` where the spec omits it
/// (`lastMessage`). The message's `raw` is the envelope's text as sent.
pub(super) fn decode_envelope(
    raw: &RawValue,
    chat_hint: Option<&str>,
    me: Option<&str>,
) -> Option<Message> {
    typed_or_canonical(raw, |raw| {
        // An envelope that is no object (even an array, which a derive reads field by field)
        // has no fields, so no message id.
        let f: LenientObj<EnvelopeFields<'_, Option<&RawValue>>> = serde_json::from_str(raw.get())?;
        let Some(mut f) = f.0 else {
            return Ok(None);
        };
        let content = decode_content(f.kind.0, f.content.take());
        Ok(envelope_message(
            f,
            content,
            || RawJson::from_raw(raw),
            chat_hint,
            me,
        ))
    })
    .flatten()
}

/// The message of an envelope read with its frame; `text` is the envelope's text and
/// `canonical` whether it is kept as sent ([`crate::raw::member_span`] found both).
pub(super) fn read_envelope(
    mut f: EnvelopeRead<'_>,
    text: &str,
    canonical: bool,
    me: Option<&str>,
) -> Option<Message> {
    let kind = f.kind.0;
    let fields = match f.content.0.take() {
        Some(fields) if reads_fields(kind) => fields,
        _ => ContentFields::default(),
    };
    let content = content_of(kind, fields, || {
        crate::raw::member_span(text, "content")
            .map(|(content, canonical)| RawJson::from_span(content, canonical))
            .unwrap_or_default()
    });
    envelope_message(f, content, || RawJson::from_span(text, canonical), None, me)
}

/// [`decode_envelope`] of a tree (the list answers, still decoded as trees).
pub(super) fn decode_envelope_value(
    v: &Value,
    chat_hint: Option<&str>,
    me: Option<&str>,
) -> Option<Message> {
    decode_envelope(&serde_json::value::to_raw_value(v).ok()?, chat_hint, me)
}

fn envelope_message<C>(
    f: EnvelopeFields<'_, C>,
    content: Content,
    raw: impl FnOnce() -> RawJson,
    chat_hint: Option<&str>,
    me: Option<&str>,
) -> Option<Message> {
    let id = f.message_id.owned()?;
    let author = match f.author.0 {
        Some(a) => Author {
            id: a.id.owned().unwrap_or_default(),
            kind: a.kind.owned(),
            display_name: a.name.owned(),
        },
        None => Author {
            id: String::new(),
            kind: None,
            display_name: None,
        },
    };
    let own = me.is_some_and(|me| me == author.id);
    Some(Message {
        id,
        // Real servers send `chat{chatId,chatTitle,chatType}` beside (and the SDK reads only)
        // `chatId`; either names the chat.
        chat_id: f
            .chat_id
            .owned()
            .or_else(|| f.chat.0.and_then(|c| c.chat_id.owned()))
            .or_else(|| chat_hint.map(str::to_string)),
        author,
        timestamp_ms: f.timestamp.0.map(unix_millis),
        content,
        edited: f.edited.0.unwrap_or(false),
        reply_to: f
            .reply_id
            .owned()
            .or_else(|| f.reply.0.and_then(|r| r.message_id.owned())),
        version: None,
        own,
        raw: raw(),
    })
}

/// Whether content of `kind` is read for its fields; the other kinds keep it as sent.
fn reads_fields(kind: Option<i64>) -> bool {
    use envelope_type::*;
    matches!(
        kind,
        Some(
            TEXT | ATTACHMENT
                | PARTICIPANT_ADDED
                | PARTICIPANT_REMOVED
                | TITLE_CHANGED
                | ROLE_CHANGED
        )
    )
}

fn decode_content(kind: Option<i64>, content: Option<&RawValue>) -> Content {
    let text = content.unwrap_or(RawValue::NULL);
    let raw = || RawJson::from_raw(text);
    if !reads_fields(kind) {
        return content_of(kind, ContentFields::default(), raw);
    }
    typed_or_canonical(text, |text| {
        serde_json::from_str::<LenientObj<ContentFields<'_>>>(text.get())
            // A content that is no object has no fields.
            .map(|f| content_of(kind, f.0.unwrap_or_default(), || RawJson::from_raw(text)))
    })
    .unwrap_or_else(|| content_of(kind, ContentFields::default(), raw))
}

/// The content of `kind` from its fields `c`; `raw` gives its text for the kinds kept as sent.
fn content_of(kind: Option<i64>, c: ContentFields<'_>, raw: impl Fn() -> RawJson) -> Content {
    use envelope_type::*;
    match kind {
        Some(TEXT) => match c {
            ContentFields {
                text: OnlyStr(Some(text)),
                parse_mode,
                ..
            } => Content::Text {
                text: text.into_owned(),
                format: parse_mode.owned(),
            },
            _ => Content::Unknown {
                kind: TEXT.to_string(),
                raw: raw(),
            },
        },
        Some(FORWARDED) => Content::Forwarded { raw: raw() },
        Some(ATTACHMENT) => Content::Attachment {
            name: c.name.owned().or_else(|| c.file_name.owned()),
            raw: raw(),
        },
        Some(LOCATION) => Content::Location { raw: raw() },
        Some(SURVEY) => Content::Survey { raw: raw() },
        Some(VOICE) => Content::Voice { raw: raw() },
        Some(PARTICIPANT_ADDED) => Content::ParticipantAdded {
            user_id: c.user_id.owned(),
            role: c.role.0,
        },
        Some(PARTICIPANT_REMOVED) => Content::ParticipantRemoved {
            user_id: c.user_id.owned(),
        },
        Some(TITLE_CHANGED) => Content::TitleChanged {
            title: c.title.owned(),
        },
        Some(AVATAR_CHANGED) => Content::AvatarChanged { raw: raw() },
        Some(HISTORY_CLEARED) => Content::HistoryCleared,
        Some(ROLE_CHANGED) => Content::RoleChanged {
            user_id: c.user_id.owned(),
            role: c.role.0,
        },
        other => Content::Unknown {
            kind: other.map(|k| k.to_string()).unwrap_or_default(),
            raw: raw(),
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

/// The fields of a Chat object; `lastMessage` is an envelope, decoded on its own.
#[derive(Deserialize)]
struct ChatFields<'a> {
    #[serde(rename = "chatId", default, borrow)]
    chat_id: LenientStr<'a>,
    #[serde(default, borrow)]
    title: LenientStr<'a>,
    #[serde(rename = "chatType", default)]
    chat_type: LenientInt,
    #[serde(rename = "unreadMessages", default)]
    unread: LenientInt,
    #[serde(rename = "lastMessage", default, borrow)]
    last_message: Option<&'a RawValue>,
    #[serde(rename = "avatarUrl", default, borrow)]
    avatar_url: LenientStr<'a>,
}

/// Decodes a Chat object (getChatByID, getChats, create* notifications) from its text.
pub(super) fn decode_chat(raw: &RawValue, me: Option<&str>) -> Option<Chat> {
    typed_or_canonical(raw, |raw| {
        let f: ChatFields<'_> = serde_json::from_str(raw.get())?;
        let Some(id) = f.chat_id.owned() else {
            return Ok(None);
        };
        let last_message = f
            .last_message
            .and_then(|m| decode_envelope(m, Some(&id), me))
            .map(Box::new);
        Ok(Some(Chat {
            title: f.title.owned(),
            kind: chat_kind(f.chat_type.0),
            unread: f.unread.0.and_then(|n| u32::try_from(n).ok()),
            last_message,
            avatar_url: f.avatar_url.owned(),
            raw: RawJson::from_raw(raw),
            id,
        }))
    })
    .flatten()
}

/// [`decode_chat`] of a tree (the list answers, still decoded as trees).
pub(super) fn decode_chat_value(v: &Value, me: Option<&str>) -> Option<Chat> {
    decode_chat(&serde_json::value::to_raw_value(v).ok()?, me)
}

/// Decodes a ChatParticipant object.
pub(super) fn decode_participant(v: &Value) -> Option<Participant> {
    Some(Participant {
        user_id: crate::json::field_str(v, "userId")?,
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

/// The parts of a message's `raw` read on demand.
#[derive(Deserialize)]
struct EnvelopeExtras<'a> {
    #[serde(default, borrow)]
    chat: LenientObj<ChatRef<'a>>,
    #[serde(rename = "replyMessage", default, borrow)]
    reply: Option<&'a RawValue>,
}

fn extras<R>(message: &Message, read: impl Fn(EnvelopeExtras<'_>) -> Option<R>) -> Option<R> {
    let raw: &RawValue = serde_json::from_str(message.raw.as_str()).ok()?;
    typed_or_canonical(raw, |raw| {
        serde_json::from_str::<EnvelopeExtras<'_>>(raw.get()).map(&read)
    })
    .flatten()
}

/// The `chat` object of a TrueConf message (see [`EnvelopeChat`]); `None` on a seed-style
/// envelope with `chatId` only.
pub fn envelope_chat(message: &Message) -> Option<EnvelopeChat> {
    extras(message, |e| {
        let chat = e.chat.0?;
        Some(EnvelopeChat {
            chat_id: chat.chat_id.owned()?,
            title: chat.chat_title.owned(),
            kind: chat_kind(chat.chat_type.0),
        })
    })
}

/// The message a TrueConf reply answers, as the server expands it (`replyMessage`); `me`
/// marks own messages. `None` when the server sent only `replyMessageId`.
pub fn reply_message(message: &Message, me: Option<&str>) -> Option<Message> {
    extras(message, |e| {
        let reply = e.reply.filter(|r| r.get().starts_with('{'))?;
        decode_envelope(reply, message.chat_id.as_deref(), me)
    })
}

/// The original of a TrueConf forward (type 201), whose content is the forwarded message's
/// whole envelope; `me` marks own messages. `None` for any other message.
pub fn forwarded_message(message: &Message, me: Option<&str>) -> Option<Message> {
    let Content::Forwarded { raw } = &message.content else {
        return None;
    };
    let original: &RawValue = serde_json::from_str(raw.as_str()).ok()?;
    decode_envelope(original, None, me)
}
