//! Server notifications (server-initiated `type: 1` requests), typed.

use super::envelope::{decode_chat, decode_envelope, read_envelope, ChatRef};
use super::files::decode_limits;
use super::wire::Payload;
use crate::event::Event;
use crate::json::{
    typed_or_canonical, unix_millis, LenientBool, LenientInt, LenientObj, LenientRole, LenientStr,
};
use crate::model::{Chat, Message};
use crate::raw::RawJson;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A notification from the server.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// `createP2PChat` / `createGroupChat` / `createChannel` / `createFavoritesChat`.
    ChatCreated(Chat),
    /// `editChatTitle`.
    TitleChanged {
        /// The chat.
        chat_id: String,
        /// New title.
        title: Option<String>,
    },
    /// `editChatAvatar`.
    AvatarChanged {
        /// The chat.
        chat_id: String,
        /// New picture, `None` when removed.
        avatar_url: Option<String>,
    },
    /// `removeChat`.
    ChatRemoved {
        /// The chat.
        chat_id: String,
    },
    /// A notification that needs no session state: passed to the app as this event
    /// (`clearHistory`, `addChatParticipant`, `removedChatParticipant`, `changeParticipantRole`).
    Event(Event),
    /// `sendMessage`: a new message.
    MessageReceived(Message),
    /// `editMessage`.
    MessageEdited(Message),
    /// `removeMessage`.
    MessageRemoved {
        /// The chat, when given.
        chat_id: Option<String>,
        /// The message.
        message_id: String,
        /// Who removed it.
        by: Option<String>,
    },
    /// A method this version does not know.
    Unknown,
}

/// An object read for its `id` only (`addedBy`, `removedBy`).
#[derive(Deserialize)]
struct ByRef<'a> {
    #[serde(default, borrow)]
    id: LenientStr<'a>,
}

/// `commandSource.message`.
#[derive(Deserialize)]
struct CommandMessage<'a> {
    #[serde(rename = "chatId", default, borrow)]
    chat_id: LenientStr<'a>,
    #[serde(default, borrow)]
    chat: LenientObj<ChatRef<'a>>,
    #[serde(rename = "messageId", default, borrow)]
    message_id: LenientStr<'a>,
}

/// `commandSource`.
#[derive(Deserialize, Default)]
struct CommandSource<'a> {
    #[serde(rename = "buttonId", default, borrow)]
    button_id: LenientStr<'a>,
    #[serde(rename = "type", default, borrow)]
    kind: LenientStr<'a>,
    #[serde(default, borrow)]
    message: LenientObj<CommandMessage<'a>>,
}

/// `commandPayload`.
#[derive(Deserialize, Default)]
struct CommandPayload<'a> {
    #[serde(default, borrow)]
    command: LenientStr<'a>,
    #[serde(rename = "customData", default, borrow)]
    custom_data: LenientStr<'a>,
}

/// The fields of the notifications that carry no envelope or chat, all in one shape (each
/// method reads its own).
#[derive(Deserialize, Default)]
struct NoticeFields<'a> {
    #[serde(rename = "chatId", default, borrow)]
    chat_id: LenientStr<'a>,
    #[serde(default, borrow)]
    title: LenientStr<'a>,
    #[serde(rename = "avatarUrl", default, borrow)]
    avatar_url: LenientStr<'a>,
    #[serde(rename = "forAll", default)]
    for_all: LenientBool,
    #[serde(rename = "userId", default, borrow)]
    user_id: LenientStr<'a>,
    #[serde(default)]
    role: LenientRole,
    #[serde(rename = "addedBy", default, borrow)]
    added_by: LenientObj<ByRef<'a>>,
    #[serde(rename = "removedBy", default, borrow)]
    removed_by: LenientObj<ByRef<'a>>,
    #[serde(default)]
    timestamp: LenientInt,
    #[serde(rename = "messageId", default, borrow)]
    message_id: LenientStr<'a>,
    #[serde(rename = "fileId", default, borrow)]
    file_id: LenientStr<'a>,
    #[serde(default)]
    progress: LenientInt,
    #[serde(rename = "commandId", default, borrow)]
    command_id: LenientStr<'a>,
    #[serde(rename = "commandSource", default, borrow)]
    command_source: LenientObj<CommandSource<'a>>,
    #[serde(rename = "commandPayload", default, borrow)]
    command_payload: LenientObj<CommandPayload<'a>>,
    #[serde(rename = "activityType", default, borrow)]
    activity_type: LenientStr<'a>,
}

/// Decodes the notification `method` with `payload` (its text; `null` when absent); `me`
/// marks own messages.
pub(super) fn decode(
    method: &str,
    payload: &RawValue,
    me: Option<&str>,
) -> Result<Notification, String> {
    match method {
        "createP2PChat" | "createGroupChat" | "createChannel" | "createFavoritesChat" => {
            return Ok(Notification::ChatCreated(
                decode_chat(payload, me).ok_or_else(|| format!("{method} without chatId"))?,
            ))
        }
        "sendMessage" | "editMessage" => {
            return message_notification(method, decode_envelope(payload, None, me))
        }
        "getFileUploadLimits" => {
            // Rare and small: decoded from a tree, with the answer of the same name.
            let tree: Value = serde_json::from_str(payload.get()).map_err(|e| e.to_string())?;
            return Ok(Notification::Event(Event::FileUploadLimitsChanged {
                limits: decode_limits(&tree),
            }));
        }
        _ => {}
    }
    typed_or_canonical(payload, |raw| {
        serde_json::from_str::<LenientObj<NoticeFields<'_>>>(raw.get())
            .map(|f| decode_notice(method, f.0.unwrap_or_default(), raw))
    })
    .unwrap_or_else(|| Err(format!("{method} notification that does not decode")))
}

/// The notification `method` of a request frame's payload: decoded from its text, or, for a
/// message whose envelope was read with its frame, from those fields.
pub(super) fn decode_payload(
    method: &str,
    payload: Payload<'_>,
    me: Option<&str>,
) -> Result<Notification, String> {
    match payload {
        Payload::Text(raw) => decode(method, raw.unwrap_or(RawValue::NULL), me),
        Payload::Envelope {
            fields,
            text,
            canonical,
        } => {
            let message = fields.and_then(|f| read_envelope(*f, text, canonical, me));
            message_notification(method, message)
        }
    }
}

fn message_notification(method: &str, message: Option<Message>) -> Result<Notification, String> {
    let mut message = message.ok_or_else(|| format!("{method} without messageId"))?;
    Ok(if method == "editMessage" {
        message.edited = true;
        Notification::MessageEdited(message)
    } else {
        Notification::MessageReceived(message)
    })
}

fn decode_notice(
    method: &str,
    p: NoticeFields<'_>,
    payload: &RawValue,
) -> Result<Notification, String> {
    let need = |field: &LenientStr<'_>, key: &str| {
        field
            .owned()
            .ok_or_else(|| format!("{method} notification without {key}"))
    };
    let by = |r: &LenientObj<ByRef<'_>>| r.0.as_ref().and_then(|r| r.id.owned());
    let when = p.timestamp.0.map(unix_millis);
    Ok(match method {
        "editChatTitle" => Notification::TitleChanged {
            chat_id: need(&p.chat_id, "chatId")?,
            title: p.title.owned(),
        },
        "editChatAvatar" => Notification::AvatarChanged {
            chat_id: need(&p.chat_id, "chatId")?,
            avatar_url: p.avatar_url.owned(),
        },
        "clearHistory" => Notification::Event(Event::HistoryCleared {
            chat_id: need(&p.chat_id, "chatId")?,
            for_all: p.for_all.0.unwrap_or(false),
        }),
        "removeChat" => Notification::ChatRemoved {
            chat_id: need(&p.chat_id, "chatId")?,
        },
        "addChatParticipant" => Notification::Event(Event::ParticipantAdded {
            chat_id: need(&p.chat_id, "chatId")?,
            user_id: need(&p.user_id, "userId")?,
            // `userRole` is the role of whoever added them, not of the added user (the official
            // clients read no role here): only `role` says what the new participant is.
            role: p.role.0,
            by: by(&p.added_by),
            timestamp_ms: when,
        }),
        "removedChatParticipant" | "removeChatParticipant" => {
            Notification::Event(Event::ParticipantRemoved {
                chat_id: need(&p.chat_id, "chatId")?,
                user_id: need(&p.user_id, "userId")?,
                by: by(&p.removed_by),
                timestamp_ms: when,
            })
        }
        "changeParticipantRole" => Notification::Event(Event::ParticipantRoleChanged {
            chat_id: need(&p.chat_id, "chatId")?,
            user_id: need(&p.user_id, "userId")?,
            role: p.role.0,
            timestamp_ms: when,
        }),
        "removeMessage" => Notification::MessageRemoved {
            chat_id: p.chat_id.owned(),
            message_id: need(&p.message_id, "messageId")?,
            by: by(&p.removed_by),
        },
        "uploadFileProgress" => Notification::Event(Event::FileProgress {
            file_id: need(&p.file_id, "fileId")?,
            progress: p
                .progress
                .0
                .and_then(|n| u64::try_from(n).ok())
                .ok_or("uploadFileProgress without a numeric progress")?,
        }),
        "command" => {
            let source = p.command_source.0.unwrap_or_default();
            let command = p.command_payload.0.unwrap_or_default();
            let message = source.message.0;
            let (message_chat, chat_of_message, message_id) = match message {
                Some(m) => (
                    m.chat_id.owned(),
                    m.chat.0.and_then(|c| c.chat_id.owned()),
                    m.message_id.owned(),
                ),
                None => (None, None, None),
            };
            Notification::Event(Event::CommandReceived {
                command_id: p.command_id.owned(),
                command: command
                    .command
                    .owned()
                    .ok_or("command without commandPayload.command")?,
                custom_data: command.custom_data.owned(),
                button_id: source.button_id.owned(),
                source: source.kind.owned(),
                chat_id: message_chat
                    .or(chat_of_message)
                    .or_else(|| p.chat_id.owned()),
                message_id: message_id.or_else(|| p.message_id.owned()),
                user_id: p.user_id.owned(),
                raw: RawJson::from_raw(payload),
            })
        }
        "sendChatActivity" => Notification::Event(Event::ChatActivity {
            chat_id: need(&p.chat_id, "chatId")?,
            user_id: p.user_id.owned(),
            activity: p.activity_type.owned().unwrap_or_else(|| "typing".into()),
        }),
        _ => Notification::Unknown,
    })
}
