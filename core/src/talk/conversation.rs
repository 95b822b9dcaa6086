//! Conversations as the room API (`/api/v4/room`) describes them.

use super::message::TalkMessage;
use crate::json::{field_int, field_str};
use crate::model::{Chat, ChatKind};
use crate::raw::RawJson;
use serde_json::Value;

/// Base path of the room API, below the server's base URL.
pub const ROOM_API_BASE: &str = "/ocs/v2.php/apps/spreed/api/v4";

/// How often the room list is refreshed with `modifiedSince` (the Talk apps' cadence).
pub const ROOM_LIST_INTERVAL_SECS: u64 = 30;

/// One entry of the room list, with what the session needs of it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Conversation {
    /// Token.
    pub token: String,
    /// The user's read marker (`lastReadMessage`; 0 = nothing read).
    pub last_read: Option<i64>,
    /// `lastCommonReadMessage`.
    pub last_common_read: Option<i64>,
    /// `unreadMessages`.
    pub unread: Option<u32>,
    /// The normalized chat.
    pub chat: Chat,
}

impl Conversation {
    /// Decodes one room object; the error is the reason, for a protocol-error event.
    pub(crate) fn from_json(value: &Value, user: &str) -> Result<Conversation, String> {
        let token = field_str(value, "token")
            .filter(|t| !t.is_empty())
            .ok_or("a room without a \"token\"")?;
        let kind = match field_int(value, "type") {
            Some(1) => ChatKind::Direct,
            Some(2) | Some(3) => ChatKind::Group,
            Some(4) => ChatKind::System,
            Some(6) => ChatKind::Favorites,
            Some(n) => ChatKind::Other(n.to_string()),
            None => ChatKind::Other(String::new()),
        };
        let unread = field_int(value, "unreadMessages").and_then(|n| u32::try_from(n).ok());
        // `[]` when the room has no last message or the reader waits in the lobby.
        let last_message = value
            .get("lastMessage")
            .filter(|m| m.is_object())
            .and_then(|m| {
                let t = TalkMessage::from_json(m).ok()?;
                let own = t.actor_type == "users" && t.actor_id == user;
                let mut message = t.to_message(m.clone(), own);
                if message.chat_id.is_none() {
                    message.chat_id = Some(token.clone());
                }
                Some(Box::new(message))
            });
        let title = field_str(value, "displayName")
            .or_else(|| field_str(value, "name"))
            .filter(|t| !t.is_empty());
        Ok(Conversation {
            last_read: field_int(value, "lastReadMessage").filter(|n| *n >= 0),
            last_common_read: field_int(value, "lastCommonReadMessage").filter(|n| *n > 0),
            unread,
            chat: Chat {
                id: token.clone(),
                title,
                kind,
                unread,
                last_message,
                avatar_url: None,
                raw: RawJson::from(value.clone()),
            },
            token,
        })
    }
}
