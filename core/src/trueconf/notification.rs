//! Server notifications (server-initiated `type: 1` requests), typed.

use super::envelope::{decode_chat, decode_envelope};
use super::files::{decode_limits, uint};
use crate::event::Event;
use crate::json::{field_bool, field_int, field_str, unix_millis};
use crate::model::{Chat, Message, Role};
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

/// Decodes the notification `method` with `payload`; `me` marks own messages.
pub(super) fn decode(
    method: &str,
    payload: &Value,
    me: Option<&str>,
) -> Result<Notification, String> {
    let need = |key: &str| {
        field_str(payload, key).ok_or_else(|| format!("{method} notification without {key}"))
    };
    let by = |key: &str| payload.get(key).and_then(|a| field_str(a, "id"));
    let when = || field_int(payload, "timestamp").map(unix_millis);
    Ok(match method {
        "createP2PChat" | "createGroupChat" | "createChannel" | "createFavoritesChat" => {
            Notification::ChatCreated(
                decode_chat(payload, me).ok_or_else(|| format!("{method} without chatId"))?,
            )
        }
        "editChatTitle" => Notification::TitleChanged {
            chat_id: need("chatId")?,
            title: field_str(payload, "title"),
        },
        "editChatAvatar" => Notification::AvatarChanged {
            chat_id: need("chatId")?,
            avatar_url: field_str(payload, "avatarUrl"),
        },
        "clearHistory" => Notification::Event(Event::HistoryCleared {
            chat_id: need("chatId")?,
            for_all: field_bool(payload, "forAll").unwrap_or(false),
        }),
        "removeChat" => Notification::ChatRemoved {
            chat_id: need("chatId")?,
        },
        "addChatParticipant" => Notification::Event(Event::ParticipantAdded {
            chat_id: need("chatId")?,
            user_id: need("userId")?,
            // `userRole` is the role of whoever added them, not of the added user (the official
            // clients read no role here): only `role` says what the new participant is.
            role: payload.get("role").and_then(Role::from_json),
            by: by("addedBy"),
            timestamp_ms: when(),
        }),
        "removedChatParticipant" | "removeChatParticipant" => {
            Notification::Event(Event::ParticipantRemoved {
                chat_id: need("chatId")?,
                user_id: need("userId")?,
                by: by("removedBy"),
                timestamp_ms: when(),
            })
        }
        "changeParticipantRole" => Notification::Event(Event::ParticipantRoleChanged {
            chat_id: need("chatId")?,
            user_id: need("userId")?,
            role: payload.get("role").and_then(Role::from_json),
            timestamp_ms: when(),
        }),
        "sendMessage" => Notification::MessageReceived(
            decode_envelope(payload, None, me).ok_or("sendMessage without messageId")?,
        ),
        "editMessage" => Notification::MessageEdited({
            let mut m =
                decode_envelope(payload, None, me).ok_or("editMessage without messageId")?;
            m.edited = true;
            m
        }),
        "removeMessage" => Notification::MessageRemoved {
            chat_id: field_str(payload, "chatId"),
            message_id: need("messageId")?,
            by: by("removedBy"),
        },
        "uploadFileProgress" => Notification::Event(Event::FileProgress {
            file_id: need("fileId")?,
            progress: uint(payload, "progress")
                .ok_or("uploadFileProgress without a numeric progress")?,
        }),
        "getFileUploadLimits" => Notification::Event(Event::FileUploadLimitsChanged {
            limits: decode_limits(payload),
        }),
        "command" => {
            let source = payload.get("commandSource").cloned().unwrap_or(Value::Null);
            let command = payload
                .get("commandPayload")
                .cloned()
                .unwrap_or(Value::Null);
            let message = source.get("message").cloned().unwrap_or(Value::Null);
            let chat_of_message = message.get("chat").and_then(|c| field_str(c, "chatId"));
            Notification::Event(Event::CommandReceived {
                command_id: field_str(payload, "commandId"),
                command: field_str(&command, "command")
                    .ok_or("command without commandPayload.command")?,
                custom_data: field_str(&command, "customData"),
                button_id: field_str(&source, "buttonId"),
                source: field_str(&source, "type"),
                chat_id: field_str(&message, "chatId")
                    .or(chat_of_message)
                    .or_else(|| field_str(payload, "chatId")),
                message_id: field_str(&message, "messageId")
                    .or_else(|| field_str(payload, "messageId")),
                user_id: field_str(payload, "userId"),
                raw: crate::raw::RawJson::from(payload.clone()),
            })
        }
        "sendChatActivity" => Notification::Event(Event::ChatActivity {
            chat_id: need("chatId")?,
            user_id: field_str(payload, "userId"),
            activity: field_str(payload, "activityType").unwrap_or_else(|| "typing".into()),
        }),
        _ => Notification::Unknown,
    })
}
