//! Every request a TrueConf client can make, typed, with its encoder and response decoder.

use super::envelope::{decode_chat_value, decode_envelope_value, decode_participant};
use crate::error::Error;
use crate::event::Reply;
use crate::json::{field_int, field_str, unix_millis};
use crate::model::Role;
use crate::raw::RawJson;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// A TrueConf client request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Request {
    /// `auth`: must be the first request on a connection.
    Auth {
        /// The JWT (never serialized or printed).
        #[serde(skip)]
        token: crate::secret::Secret,
        /// Deliver messages that arrived while offline.
        receive_unread: Option<bool>,
        /// Deliver system envelopes (participant added, title changed, …) as `sendMessage`.
        receive_system_messages: Option<bool>,
    },
    /// `createP2PChat`.
    CreateP2pChat {
        /// The other user's TrueConf ID.
        user_id: String,
    },
    /// `createGroupChat`.
    CreateGroupChat {
        /// Chat title.
        title: String,
    },
    /// `createChannel`.
    CreateChannel {
        /// Channel title.
        title: String,
    },
    /// `createFavoritesChat`.
    CreateFavoritesChat,
    /// `editChatTitle`.
    EditChatTitle {
        /// The chat.
        chat_id: String,
        /// New title.
        title: String,
    },
    /// `editChatAvatar`; `None` removes the picture.
    EditChatAvatar {
        /// The chat.
        chat_id: String,
        /// Id of the uploaded image file.
        temporal_file_id: Option<String>,
    },
    /// `clearHistory`.
    ClearHistory {
        /// The chat.
        chat_id: String,
        /// Clear for every participant.
        for_all: bool,
    },
    /// `removeChat`.
    RemoveChat {
        /// The chat.
        chat_id: String,
    },
    /// `addChatParticipant`.
    AddChatParticipant {
        /// The chat.
        chat_id: String,
        /// The user to add.
        user_id: String,
        /// Let them see earlier messages.
        display_history: Option<bool>,
    },
    /// `removeChatParticipant`.
    RemoveChatParticipant {
        /// The chat.
        chat_id: String,
        /// The user to remove.
        user_id: String,
        /// Also clear the chat.
        clear_history: Option<bool>,
    },
    /// `changeParticipantRole`.
    ChangeParticipantRole {
        /// The chat.
        chat_id: String,
        /// Whose role.
        user_id: String,
        /// The new role.
        role: Role,
    },
    /// `getChatByID`.
    GetChatById {
        /// The chat.
        chat_id: String,
    },
    /// `getChats`.
    GetChats {
        /// Page size.
        count: u32,
        /// Page number, from 1.
        page: u32,
    },
    /// `getChatParticipant`.
    GetChatParticipant {
        /// The chat.
        chat_id: String,
        /// The user.
        user_id: String,
    },
    /// `getChatParticipants`.
    GetChatParticipants {
        /// The chat.
        chat_id: String,
        /// Page size.
        page_size: u32,
        /// Page number.
        page_number: u32,
    },
    /// `hasChatParticipant` (deprecated by the server in 5.5.3; still answered).
    HasChatParticipant {
        /// The chat.
        chat_id: String,
        /// The user.
        user_id: String,
    },
    /// `sendMessage`.
    SendMessage {
        /// The chat.
        chat_id: String,
        /// The text (at most 4096 characters).
        text: String,
        /// `text`, `markdown` or `html`.
        parse_mode: Option<String>,
        /// The message this one answers.
        reply_message_id: Option<String>,
    },
    /// `editMessage`.
    EditMessage {
        /// The message.
        message_id: String,
        /// New text.
        text: String,
        /// Formatting mode.
        parse_mode: Option<String>,
    },
    /// `removeMessage`.
    RemoveMessage {
        /// The message.
        message_id: String,
        /// Remove for every participant.
        for_all: bool,
    },
    /// `forwardMessage`.
    ForwardMessage {
        /// The chat to forward to.
        chat_id: String,
        /// The message to forward.
        message_id: String,
    },
    /// `getChatHistory`.
    GetChatHistory {
        /// The chat.
        chat_id: String,
        /// How many messages.
        count: u32,
        /// Start below this message (newest when absent).
        from_message_id: Option<String>,
    },
    /// `getMessageById`.
    GetMessageById {
        /// The message.
        message_id: String,
    },
    /// `uploadFile`: opens an upload task for `file_size` bytes named `file_name`; the bytes
    /// follow over HTTP (see the module docs).
    UploadFile {
        /// The file name (no `/` or `\\`).
        file_name: String,
        /// Its size in bytes.
        file_size: u64,
    },
    /// `sendFile`: posts an uploaded file, with an optional caption.
    SendFile {
        /// The chat.
        chat_id: String,
        /// The `temporalFileId` the upload answered.
        temporal_file_id: String,
        /// Caption text, sent as a message of its own right after the file.
        caption: Option<String>,
        /// The caption's formatting mode (`text` when `None`).
        parse_mode: Option<String>,
        /// The message this one answers.
        reply_message_id: Option<String>,
    },
    /// `getFileInfo`.
    GetFileInfo {
        /// The file.
        file_id: String,
    },
    /// `getFileUploadLimits`.
    GetFileUploadLimits,
    /// `subscribeFileProgress`: `uploadFileProgress` notifications follow for the file.
    SubscribeFileProgress {
        /// The file.
        file_id: String,
    },
    /// `unsubscribeFileProgress`.
    UnsubscribeFileProgress {
        /// The file.
        file_id: String,
    },
    /// `sendSurvey`.
    SendSurvey {
        /// The chat.
        chat_id: String,
        /// The message this one answers.
        reply_message_id: Option<String>,
        /// The survey.
        survey: super::Survey,
    },
    /// `editSurvey`.
    EditSurvey {
        /// The survey message.
        message_id: String,
        /// The new content (its `url`, `app_version` and `secret` are not sent).
        survey: super::Survey,
    },
    /// `answerCommand`: answers a pressed command button.
    AnswerCommand {
        /// The answer.
        answer: super::CommandAnswer,
    },
    /// `sendChatActivity`: shows the others that this bot is typing (or uploading, …).
    SendChatActivity {
        /// The chat.
        chat_id: String,
        /// `typing`, `choosing_sticker` or `uploading_file`.
        activity_type: String,
    },
    /// `getUserDisplayName`.
    GetUserDisplayName {
        /// The user.
        user_id: String,
    },
    /// Any method, for what this version does not type; the answer comes as [`Reply::Raw`].
    Raw {
        /// The method name.
        name: String,
        /// Its payload.
        payload: Option<Value>,
    },
}

/// A request frame as it goes on the wire: `{"type":1,"id":N,"method":…,"payload":…}`.
#[derive(Serialize)]
struct RequestFrame<'a> {
    #[serde(rename = "type")]
    kind: u8,
    id: u32,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<RequestPayload<'a>>,
}

/// A message `content`: `{"text":…,"parseMode":…}` (`text` unless told).
#[derive(Serialize)]
struct TextContent<'a> {
    text: &'a str,
    #[serde(rename = "parseMode")]
    parse_mode: &'a str,
}

impl<'a> TextContent<'a> {
    fn new(text: &'a str, mode: &'a Option<String>) -> Self {
        TextContent {
            text,
            parse_mode: mode.as_deref().unwrap_or("text"),
        }
    }
}

/// `sendFile`'s `content`: the uploaded file and an optional caption.
#[derive(Serialize)]
struct FileContent<'a> {
    #[serde(rename = "temporalFileId")]
    temporal_file_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caption: Option<TextContent<'a>>,
}

/// The `payload` of a request, serialized field by field in the order the spec shows; an
/// absent optional field is left out, except where the spec sends an explicit `null`.
struct RequestPayload<'a>(&'a Request);

/// Writes `key: value` unless `value` is `None`.
fn entry_some<M: SerializeMap, T: Serialize>(
    m: &mut M,
    key: &str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => m.serialize_entry(key, v),
        None => Ok(()),
    }
}

impl Serialize for RequestPayload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = match self.0 {
            Request::Raw { payload, .. } => return payload.serialize(s),
            Request::AnswerCommand { answer } => return answer.to_json().serialize(s),
            _ => s.serialize_map(None)?,
        };
        match self.0 {
            Request::Auth {
                token,
                receive_unread,
                receive_system_messages,
            } => {
                m.serialize_entry("token", token.expose())?;
                m.serialize_entry("tokenType", "JWT")?;
                entry_some(&mut m, "receiveUnread", receive_unread)?;
                entry_some(
                    &mut m,
                    "receiveSystemMessageEnvelopes",
                    receive_system_messages,
                )?;
            }
            Request::CreateP2pChat { user_id } | Request::GetUserDisplayName { user_id } => {
                m.serialize_entry("userId", user_id)?
            }
            // The seed spec shows `name`; the official clients and the server take `title`, as
            // createChannel does. Sending `name` creates an untitled chat on real servers.
            Request::CreateGroupChat { title } | Request::CreateChannel { title } => {
                m.serialize_entry("title", title)?
            }
            Request::EditChatTitle { chat_id, title } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("title", title)?;
            }
            Request::EditChatAvatar {
                chat_id,
                temporal_file_id,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                // `temporalFileId: null` is how the picture is removed: keep the explicit null.
                m.serialize_entry("temporalFileId", temporal_file_id)?;
            }
            Request::ClearHistory { chat_id, for_all } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("forAll", for_all)?;
            }
            Request::RemoveChat { chat_id } | Request::GetChatById { chat_id } => {
                m.serialize_entry("chatId", chat_id)?
            }
            Request::AddChatParticipant {
                chat_id,
                user_id,
                display_history,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("userId", user_id)?;
                entry_some(&mut m, "displayHistory", display_history)?;
            }
            Request::RemoveChatParticipant {
                chat_id,
                user_id,
                clear_history,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("userId", user_id)?;
                entry_some(&mut m, "clearHistory", clear_history)?;
            }
            Request::ChangeParticipantRole {
                chat_id,
                user_id,
                role,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("userId", user_id)?;
                let role = role.to_json();
                if !role.is_null() {
                    m.serialize_entry("role", &role)?;
                }
            }
            Request::GetChats { count, page } => {
                m.serialize_entry("count", count)?;
                m.serialize_entry("page", page)?;
            }
            Request::GetChatParticipant { chat_id, user_id }
            | Request::HasChatParticipant { chat_id, user_id } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("userId", user_id)?;
            }
            Request::GetChatParticipants {
                chat_id,
                page_size,
                page_number,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("pageSize", page_size)?;
                m.serialize_entry("pageNumber", page_number)?;
            }
            Request::SendMessage {
                chat_id,
                text,
                parse_mode,
                reply_message_id,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("content", &TextContent::new(text, parse_mode))?;
                entry_some(&mut m, "replyMessageId", reply_message_id)?;
            }
            Request::EditMessage {
                message_id,
                text,
                parse_mode,
            } => {
                m.serialize_entry("messageId", message_id)?;
                m.serialize_entry("content", &TextContent::new(text, parse_mode))?;
            }
            Request::RemoveMessage {
                message_id,
                for_all,
            } => {
                m.serialize_entry("messageId", message_id)?;
                m.serialize_entry("forAll", for_all)?;
            }
            Request::ForwardMessage {
                chat_id,
                message_id,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("messageId", message_id)?;
            }
            Request::GetChatHistory {
                chat_id,
                count,
                from_message_id,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("count", count)?;
                entry_some(&mut m, "fromMessageId", from_message_id)?;
            }
            Request::GetMessageById { message_id } => m.serialize_entry("messageId", message_id)?,
            Request::UploadFile {
                file_name,
                file_size,
            } => {
                m.serialize_entry("fileSize", file_size)?;
                m.serialize_entry("fileName", file_name)?;
            }
            Request::SendFile {
                chat_id,
                temporal_file_id,
                caption,
                parse_mode,
                reply_message_id,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                let content = FileContent {
                    temporal_file_id,
                    caption: caption
                        .as_deref()
                        .map(|text| TextContent::new(text, parse_mode)),
                };
                m.serialize_entry("content", &content)?;
                entry_some(&mut m, "replyMessageId", reply_message_id)?;
            }
            Request::GetFileInfo { file_id }
            | Request::SubscribeFileProgress { file_id }
            | Request::UnsubscribeFileProgress { file_id } => {
                m.serialize_entry("fileId", file_id)?
            }
            Request::GetFileUploadLimits => {}
            Request::SendSurvey {
                chat_id,
                reply_message_id,
                survey,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("replyMessageId", reply_message_id)?;
                m.serialize_entry("content", &survey.to_json())?;
            }
            Request::EditSurvey { message_id, survey } => {
                let mut content = survey.to_json();
                if let Value::Object(map) = &mut content {
                    // What identifies the campaign is fixed once sent.
                    for key in ["url", "appVersion", "secret"] {
                        map.remove(key);
                    }
                }
                m.serialize_entry("messageId", message_id)?;
                m.serialize_entry("content", &content)?;
            }
            Request::SendChatActivity {
                chat_id,
                activity_type,
            } => {
                m.serialize_entry("chatId", chat_id)?;
                m.serialize_entry("activityType", activity_type)?;
            }
            // Written above (not objects of their own) or without a payload.
            Request::Raw { .. } | Request::AnswerCommand { .. } | Request::CreateFavoritesChat => {}
        }
        m.end()
    }
}

impl Request {
    /// The method name on the wire.
    pub fn method(&self) -> &str {
        match self {
            Request::Auth { .. } => "auth",
            Request::CreateP2pChat { .. } => "createP2PChat",
            Request::CreateGroupChat { .. } => "createGroupChat",
            Request::CreateChannel { .. } => "createChannel",
            Request::CreateFavoritesChat => "createFavoritesChat",
            Request::EditChatTitle { .. } => "editChatTitle",
            Request::EditChatAvatar { .. } => "editChatAvatar",
            Request::ClearHistory { .. } => "clearHistory",
            Request::RemoveChat { .. } => "removeChat",
            Request::AddChatParticipant { .. } => "addChatParticipant",
            Request::RemoveChatParticipant { .. } => "removeChatParticipant",
            Request::ChangeParticipantRole { .. } => "changeParticipantRole",
            Request::GetChatById { .. } => "getChatByID",
            Request::GetChats { .. } => "getChats",
            Request::GetChatParticipant { .. } => "getChatParticipant",
            Request::GetChatParticipants { .. } => "getChatParticipants",
            Request::HasChatParticipant { .. } => "hasChatParticipant",
            Request::SendMessage { .. } => "sendMessage",
            Request::EditMessage { .. } => "editMessage",
            Request::RemoveMessage { .. } => "removeMessage",
            Request::ForwardMessage { .. } => "forwardMessage",
            Request::GetChatHistory { .. } => "getChatHistory",
            Request::GetMessageById { .. } => "getMessageById",
            Request::UploadFile { .. } => "uploadFile",
            Request::SendFile { .. } => "sendFile",
            Request::GetFileInfo { .. } => "getFileInfo",
            Request::GetFileUploadLimits => "getFileUploadLimits",
            Request::SubscribeFileProgress { .. } => "subscribeFileProgress",
            Request::UnsubscribeFileProgress { .. } => "unsubscribeFileProgress",
            Request::SendSurvey { .. } => "sendSurvey",
            Request::EditSurvey { .. } => "editSurvey",
            Request::AnswerCommand { .. } => "answerCommand",
            Request::SendChatActivity { .. } => "sendChatActivity",
            Request::GetUserDisplayName { .. } => "getUserDisplayName",
            Request::Raw { name, .. } => name,
        }
    }

    /// Whether the server changes state when it acts on this request: such a request cut off by
    /// a disconnect is reported "maybe delivered" and never replayed blindly.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Request::Auth { .. }
                | Request::GetChatById { .. }
                | Request::GetChats { .. }
                | Request::GetChatParticipant { .. }
                | Request::GetChatParticipants { .. }
                | Request::HasChatParticipant { .. }
                | Request::GetChatHistory { .. }
                | Request::GetMessageById { .. }
                | Request::GetFileInfo { .. }
                | Request::GetFileUploadLimits
                // Subscriptions are idempotent and typing is ephemeral: safe to send again.
                | Request::SubscribeFileProgress { .. }
                | Request::UnsubscribeFileProgress { .. }
                | Request::SendChatActivity { .. }
                | Request::GetUserDisplayName { .. }
        )
    }

    /// The `payload` object, or `None` for methods sent without one.
    pub fn payload(&self) -> Option<Value> {
        if !self.has_payload() {
            return None;
        }
        // Serializing into a tree cannot fail: every key is a string.
        serde_json::to_value(RequestPayload(self)).ok()
    }

    /// Whether the request goes out with a `payload`.
    fn has_payload(&self) -> bool {
        !matches!(
            self,
            Request::CreateFavoritesChat | Request::Raw { payload: None, .. }
        )
    }

    /// Reads a request as it appears on the wire (`method` + `payload`), leniently: the seed's
    /// `name` for createGroupChat is accepted beside `title`. Unknown methods become
    /// [`Request::Raw`]; a known method missing a required field is an error.
    pub fn from_wire(method: &str, payload: &Value) -> Result<Request, String> {
        let req =
            |key: &str| field_str(payload, key).ok_or_else(|| format!("{method} without {key}"));
        let opt = |key: &str| field_str(payload, key);
        let flag = |key: &str| crate::json::field_bool(payload, key);
        let num = |key: &str, default: u32| {
            field_int(payload, key)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(default)
        };
        let content = payload.get("content").cloned().unwrap_or(Value::Null);
        let text =
            || field_str(&content, "text").ok_or_else(|| format!("{method} without content.text"));
        Ok(match method {
            "auth" => Request::Auth {
                token: crate::secret::Secret::new(req("token")?),
                receive_unread: flag("receiveUnread"),
                receive_system_messages: flag("receiveSystemMessageEnvelopes"),
            },
            "createP2PChat" => Request::CreateP2pChat {
                user_id: req("userId")?,
            },
            "createGroupChat" => Request::CreateGroupChat {
                title: opt("title")
                    .or_else(|| opt("name"))
                    .ok_or("createGroupChat without title")?,
            },
            "createChannel" => Request::CreateChannel {
                title: req("title")?,
            },
            "createFavoritesChat" => Request::CreateFavoritesChat,
            "editChatTitle" => Request::EditChatTitle {
                chat_id: req("chatId")?,
                title: req("title")?,
            },
            "editChatAvatar" => Request::EditChatAvatar {
                chat_id: req("chatId")?,
                temporal_file_id: opt("temporalFileId"),
            },
            "clearHistory" => Request::ClearHistory {
                chat_id: req("chatId")?,
                for_all: flag("forAll").unwrap_or(false),
            },
            "removeChat" => Request::RemoveChat {
                chat_id: req("chatId")?,
            },
            "addChatParticipant" => Request::AddChatParticipant {
                chat_id: req("chatId")?,
                user_id: req("userId")?,
                display_history: flag("displayHistory"),
            },
            "removeChatParticipant" => Request::RemoveChatParticipant {
                chat_id: req("chatId")?,
                user_id: req("userId")?,
                clear_history: flag("clearHistory"),
            },
            "changeParticipantRole" => Request::ChangeParticipantRole {
                chat_id: req("chatId")?,
                user_id: req("userId")?,
                role: payload
                    .get("role")
                    .and_then(Role::from_json)
                    .ok_or("changeParticipantRole without role")?,
            },
            "getChatByID" => Request::GetChatById {
                chat_id: req("chatId")?,
            },
            "getChats" => Request::GetChats {
                count: num("count", 10),
                page: num("page", 1),
            },
            "getChatParticipant" => Request::GetChatParticipant {
                chat_id: req("chatId")?,
                user_id: req("userId")?,
            },
            "getChatParticipants" => Request::GetChatParticipants {
                chat_id: req("chatId")?,
                page_size: num("pageSize", 100),
                page_number: num("pageNumber", 1),
            },
            "hasChatParticipant" => Request::HasChatParticipant {
                chat_id: req("chatId")?,
                user_id: req("userId")?,
            },
            "sendMessage" => Request::SendMessage {
                chat_id: req("chatId")?,
                text: text()?,
                parse_mode: field_str(&content, "parseMode"),
                reply_message_id: opt("replyMessageId"),
            },
            "editMessage" => Request::EditMessage {
                message_id: req("messageId")?,
                text: text()?,
                parse_mode: field_str(&content, "parseMode"),
            },
            "removeMessage" => Request::RemoveMessage {
                message_id: req("messageId")?,
                for_all: flag("forAll").unwrap_or(false),
            },
            "forwardMessage" => Request::ForwardMessage {
                chat_id: req("chatId")?,
                message_id: req("messageId")?,
            },
            "getChatHistory" => Request::GetChatHistory {
                chat_id: req("chatId")?,
                count: num("count", 50),
                from_message_id: opt("fromMessageId"),
            },
            "getMessageById" => Request::GetMessageById {
                message_id: req("messageId")?,
            },
            "uploadFile" => Request::UploadFile {
                file_name: req("fileName")?,
                file_size: crate::trueconf::files::uint(payload, "fileSize")
                    .ok_or("uploadFile without fileSize")?,
            },
            "sendFile" => {
                let caption = content.get("caption").cloned().unwrap_or(Value::Null);
                Request::SendFile {
                    chat_id: req("chatId")?,
                    temporal_file_id: field_str(&content, "temporalFileId")
                        .ok_or("sendFile without content.temporalFileId")?,
                    caption: field_str(&caption, "text"),
                    parse_mode: field_str(&caption, "parseMode"),
                    reply_message_id: opt("replyMessageId"),
                }
            }
            "getFileInfo" => Request::GetFileInfo {
                file_id: req("fileId")?,
            },
            "getFileUploadLimits" => Request::GetFileUploadLimits,
            "subscribeFileProgress" => Request::SubscribeFileProgress {
                file_id: req("fileId")?,
            },
            "unsubscribeFileProgress" => Request::UnsubscribeFileProgress {
                file_id: req("fileId")?,
            },
            "sendSurvey" => Request::SendSurvey {
                chat_id: req("chatId")?,
                reply_message_id: opt("replyMessageId"),
                survey: super::Survey::from_json(&content)
                    .ok_or("sendSurvey without content.path and content.title")?,
            },
            "editSurvey" => Request::EditSurvey {
                message_id: req("messageId")?,
                survey: super::Survey::from_json(&content)
                    .ok_or("editSurvey without content.path and content.title")?,
            },
            "answerCommand" => Request::AnswerCommand {
                answer: super::CommandAnswer::from_json(payload)
                    .ok_or("answerCommand without commandId")?,
            },
            "sendChatActivity" => Request::SendChatActivity {
                chat_id: req("chatId")?,
                activity_type: opt("activityType").unwrap_or_else(|| "typing".into()),
            },
            "getUserDisplayName" => Request::GetUserDisplayName {
                user_id: req("userId")?,
            },
            other => Request::Raw {
                name: other.to_string(),
                payload: (!payload.is_null()).then(|| payload.clone()),
            },
        })
    }

    /// The request frame with id `id`, written straight from the request (no tree).
    pub fn encode(&self, id: u32) -> String {
        let frame = RequestFrame {
            kind: 1,
            id,
            method: self.method(),
            payload: self.has_payload().then_some(RequestPayload(self)),
        };
        // Room for the whole frame up front: `to_string` starts at 128 bytes and grows by
        // doubling, a copy per step, for every message longer than a few words.
        let text_len = match self {
            Request::SendMessage { text, .. } | Request::EditMessage { text, .. } => text.len(),
            _ => 0,
        };
        let mut out = Vec::with_capacity(192 + text_len);
        // Writing to a buffer cannot fail: every key is a string, every number finite; and
        // serde_json writes UTF-8.
        match serde_json::to_writer(&mut out, &frame) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Checks arguments the server would refuse, before anything is sent.
    pub fn validate(&self) -> Result<(), Error> {
        let text = match self {
            Request::SendMessage { text, .. } | Request::EditMessage { text, .. } => text,
            Request::UploadFile { file_name, .. } => {
                // The server refuses these with 402; saying so here costs no round trip.
                if file_name.is_empty() || file_name.contains(['/', '\\']) {
                    return Err(Error::InvalidArgument {
                        reason: format!("bad file name {file_name:?}"),
                    });
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        Error::check_length(text, super::config::MAX_TEXT_CHARS)?;
        if text.is_empty() {
            return Err(Error::InvalidArgument {
                reason: "message text is empty".into(),
            });
        }
        Ok(())
    }

    /// Decodes a successful response payload into the typed reply for this request. List
    /// entries that do not decode are left out of the reply and pushed to `skipped`, so the
    /// session reports each one instead of resolving as if it was not there.
    pub fn decode_reply(
        &self,
        payload: &Value,
        me: Option<&str>,
        skipped: &mut Vec<Value>,
    ) -> Result<Reply, Error> {
        let missing = |what: &str| Error::UnexpectedResponse {
            reason: format!("{} response without {what}: {payload}", self.method()),
        };
        let chat_id = || field_str(payload, "chatId");
        let list = |key: &str| -> Vec<Value> {
            match payload {
                Value::Array(items) => items.clone(),
                other => other
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            }
        };
        Ok(match self {
            Request::Auth { .. } => Reply::Authenticated {
                user_id: field_str(payload, "userId"),
                connection_id: field_str(payload, "connectionId"),
            },
            Request::CreateP2pChat { .. }
            | Request::CreateGroupChat { .. }
            | Request::CreateChannel { .. }
            | Request::CreateFavoritesChat
            | Request::RemoveChat { .. } => Reply::ChatId {
                chat_id: chat_id().ok_or_else(|| missing("chatId"))?,
            },
            Request::EditChatTitle { chat_id: sent, .. }
            | Request::EditChatAvatar { chat_id: sent, .. } => Reply::ChatChanged {
                chat_id: chat_id().unwrap_or_else(|| sent.clone()),
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
            },
            Request::ClearHistory { .. }
            | Request::AddChatParticipant { .. }
            | Request::RemoveChatParticipant { .. }
            | Request::ChangeParticipantRole { .. }
            | Request::RemoveMessage { .. } => Reply::Empty,
            Request::GetChatById { .. } => Reply::Chat {
                chat: decode_chat_value(payload, me).ok_or_else(|| missing("chatId"))?,
            },
            Request::GetChats { .. } => Reply::Chats {
                chats: keep_decoded(list("chats"), skipped, |c| decode_chat_value(c, me)),
            },
            Request::GetChatParticipant { .. } => Reply::Participant {
                participant: decode_participant(payload).ok_or_else(|| missing("userId"))?,
            },
            Request::GetChatParticipants { .. } => Reply::Participants {
                participants: keep_decoded(list("participants"), skipped, decode_participant),
            },
            Request::HasChatParticipant { .. } => Reply::Bool {
                value: payload
                    .get("result")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| missing("result"))?,
            },
            Request::SendMessage { chat_id: sent, .. }
            | Request::ForwardMessage { chat_id: sent, .. } => Reply::MessageSent {
                chat_id: chat_id().or_else(|| Some(sent.clone())),
                message_id: field_str(payload, "messageId").ok_or_else(|| missing("messageId"))?,
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
            },
            Request::EditMessage { message_id, .. } => Reply::MessageSent {
                chat_id: chat_id(),
                message_id: field_str(payload, "messageId").unwrap_or_else(|| message_id.clone()),
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
            },
            Request::GetChatHistory { chat_id: sent, .. } => {
                let mut messages = keep_decoded(list("messages"), skipped, |m| {
                    decode_envelope_value(m, Some(sent), me)
                });
                // Oldest first, whatever order the server used.
                crate::order::sort_by_i64_key(&mut messages, |m| {
                    m.timestamp_ms.unwrap_or(i64::MIN)
                });
                Reply::Messages { messages }
            }
            Request::GetMessageById { .. } => Reply::Message {
                message: decode_envelope_value(payload, None, me)
                    .ok_or_else(|| missing("messageId"))?,
            },
            Request::UploadFile { .. } => Reply::UploadTask {
                upload_task_id: field_str(payload, "uploadTaskId")
                    .ok_or_else(|| missing("uploadTaskId"))?,
            },
            Request::SendFile { chat_id: sent, .. } => Reply::FileSent {
                chat_id: chat_id().or_else(|| Some(sent.clone())),
                message_id: field_str(payload, "messageId").ok_or_else(|| missing("messageId"))?,
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
                file_id: field_str(payload, "fileId"),
                caption_message_id: field_str(payload, "captionMessageId"),
            },
            Request::GetFileInfo { .. } => Reply::FileInfo {
                info: super::files::decode_file_info(payload).ok_or_else(|| missing("fileId"))?,
            },
            Request::GetFileUploadLimits => Reply::FileUploadLimits {
                limits: super::files::decode_limits(payload),
            },
            Request::SubscribeFileProgress { .. } | Request::UnsubscribeFileProgress { .. } => {
                Reply::Bool {
                    value: payload
                        .get("result")
                        .and_then(Value::as_bool)
                        .ok_or_else(|| missing("result"))?,
                }
            }
            Request::SendSurvey { chat_id: sent, .. } => Reply::MessageSent {
                chat_id: chat_id().or_else(|| Some(sent.clone())),
                message_id: field_str(payload, "messageId").ok_or_else(|| missing("messageId"))?,
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
            },
            Request::EditSurvey { message_id, .. } => Reply::MessageSent {
                chat_id: chat_id(),
                message_id: field_str(payload, "messageId").unwrap_or_else(|| message_id.clone()),
                timestamp_ms: field_int(payload, "timestamp").map(unix_millis),
            },
            Request::AnswerCommand { .. } => Reply::Empty,
            Request::SendChatActivity {
                chat_id: sent,
                activity_type,
            } => Reply::ChatActivitySent {
                chat_id: chat_id().unwrap_or_else(|| sent.clone()),
                activity: field_str(payload, "activityType")
                    .unwrap_or_else(|| activity_type.clone()),
                retry_after_ms: super::files::uint(payload, "retryAfter"),
            },
            Request::GetUserDisplayName { .. } => Reply::DisplayName {
                display_name: field_str(payload, "displayName"),
            },
            Request::Raw { .. } => Reply::Raw {
                payload: RawJson::from(payload.clone()),
            },
        })
    }
}

/// Decodes each item on its own: the ones that decode, in order; the others go to `skipped`.
fn keep_decoded<T>(
    items: Vec<Value>,
    skipped: &mut Vec<Value>,
    decode: impl Fn(&Value) -> Option<T>,
) -> Vec<T> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match decode(&item) {
            Some(t) => kept.push(t),
            None => skipped.push(item),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames keep the spec's field order, leave absent options out and keep the explicit
    /// `null` the spec uses to remove a picture.
    #[test]
    fn frames_are_written_in_the_spec_order() {
        let cases = [
            (
                Request::SendMessage {
                    chat_id: "c".into(),
                    text: "hi \"you\"".into(),
                    parse_mode: None,
                    reply_message_id: Some("m0".into()),
                },
                r#"{"type":1,"id":7,"method":"sendMessage","payload":{"chatId":"c","content":{"text":"hi \"you\"","parseMode":"text"},"replyMessageId":"m0"}}"#,
            ),
            (
                Request::SendFile {
                    chat_id: "c".into(),
                    temporal_file_id: "t".into(),
                    caption: Some("cap".into()),
                    parse_mode: Some("markdown".into()),
                    reply_message_id: None,
                },
                r#"{"type":1,"id":7,"method":"sendFile","payload":{"chatId":"c","content":{"temporalFileId":"t","caption":{"text":"cap","parseMode":"markdown"}}}}"#,
            ),
            (
                Request::EditChatAvatar {
                    chat_id: "c".into(),
                    temporal_file_id: None,
                },
                r#"{"type":1,"id":7,"method":"editChatAvatar","payload":{"chatId":"c","temporalFileId":null}}"#,
            ),
            (
                Request::CreateFavoritesChat,
                r#"{"type":1,"id":7,"method":"createFavoritesChat"}"#,
            ),
            (
                Request::GetFileUploadLimits,
                r#"{"type":1,"id":7,"method":"getFileUploadLimits","payload":{}}"#,
            ),
            (
                Request::Raw {
                    name: "x".into(),
                    payload: Some(serde_json::json!([1])),
                },
                r#"{"type":1,"id":7,"method":"x","payload":[1]}"#,
            ),
        ];
        for (request, frame) in cases {
            assert_eq!(request.encode(7), frame);
            let payload: Value = serde_json::from_str::<Value>(frame).unwrap()["payload"].clone();
            assert_eq!(request.payload().unwrap_or(Value::Null), payload);
        }
    }
}
