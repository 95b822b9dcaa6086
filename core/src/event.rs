//! What a session tells the app, from `poll_event`.

use crate::error::Error;
use crate::ids::RequestId;
use crate::model::{Chat, Message, Participant, Reaction, Role};
use crate::raw::RawJson;
use crate::read_state::ReadState;
use serde::{Deserialize, Serialize};

/// One thing that happened, normalized across protocols.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The session is connected and authenticated; queued requests are going out.
    Connected {
        /// This client's user id, when the server says.
        user_id: Option<String>,
        /// The server's id for this connection, when it gives one.
        connection_id: Option<String>,
    },
    /// The connection closed; pending requests were resolved with [`Error::Disconnected`].
    Disconnected {
        /// Why, as the host or the session said.
        reason: String,
    },
    /// The session judged the connection dead (no keep-alive answer) and asked the host to close it.
    ConnectionDead {
        /// What was not answered in time.
        reason: String,
    },
    /// The credentials expired: get a new token, reconnect and authenticate again.
    TokenExpired,
    /// Authentication was refused: nothing more will be sent on this connection.
    AuthFailed {
        /// The error from the server.
        error: Error,
    },
    /// The server answered request `request` (one the client façade has no caller waiting for:
    /// a command issued on the session directly, or a caller that went away).
    Response {
        /// The id the command returned.
        request: RequestId,
        /// The typed answer.
        reply: Reply,
    },
    /// Request `request` failed: refused by the server, timed out or cut off by a disconnect
    /// (with its [`crate::Delivery`] verdict). Like [`Event::Response`], only for requests nobody
    /// awaits through the client façade.
    RequestFailed {
        /// The id the command returned.
        request: RequestId,
        /// Why.
        error: Error,
    },
    /// A connection attempt failed, or the connection was lost and will be tried again. Every
    /// failed attempt is reported, with the delay until the next one; a permanent failure
    /// (no WebSocket in this runtime, a header the host cannot send, a wrong URL scheme,
    /// refused credentials) has no next attempt: the client stopped and waits for the app.
    ConnectFailed {
        /// What went wrong, as the host or the server said.
        reason: String,
        /// Whether retrying cannot help; the client will not retry by itself.
        permanent: bool,
        /// Milliseconds until the next attempt; `None` when none is scheduled.
        retry_in_ms: Option<u64>,
        /// How many attempts in a row have failed (1 for the first).
        attempt: u32,
    },
    /// A message this client sent was confirmed by the server (tada `server.confirm`, Talk 201).
    Delivered {
        /// The id the send command returned.
        request: RequestId,
        /// The message's protocol id.
        message_id: Option<String>,
    },
    /// A chat appeared (created by someone, or this user was added).
    ChatCreated {
        /// The chat.
        chat: Chat,
    },
    /// A chat's description changed.
    ChatUpdated {
        /// The chat as now described; `raw` holds exactly what changed.
        chat: Chat,
    },
    /// A chat was deleted or this user lost access to it.
    ChatRemoved {
        /// Its id.
        chat_id: String,
    },
    /// A chat's history was cleared.
    HistoryCleared {
        /// The chat.
        chat_id: String,
        /// Whether for every participant.
        for_all: bool,
    },
    /// Someone joined a chat.
    ParticipantAdded {
        /// The chat.
        chat_id: String,
        /// Who joined.
        user_id: String,
        /// Their role, when given.
        role: Option<Role>,
        /// Who added them, when given.
        by: Option<String>,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
    },
    /// Someone left or was removed from a chat.
    ParticipantRemoved {
        /// The chat.
        chat_id: String,
        /// Who left.
        user_id: String,
        /// Who removed them, when given.
        by: Option<String>,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
    },
    /// A participant's role changed.
    ParticipantRoleChanged {
        /// The chat.
        chat_id: String,
        /// Whose role.
        user_id: String,
        /// The new role.
        role: Option<Role>,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
    },
    /// A new message arrived (delivered once, even when the server redelivers).
    MessageReceived {
        /// The message.
        message: Message,
    },
    /// A message was edited.
    MessageEdited {
        /// The message as now.
        message: Message,
    },
    /// A message was deleted.
    MessageRemoved {
        /// The chat, when known.
        chat_id: Option<String>,
        /// The message's id.
        message_id: String,
        /// Who removed it, when given.
        by: Option<String>,
    },
    /// A chat's read state changed (unread count, read marker).
    ReadStateChanged {
        /// The chat.
        chat_id: String,
        /// The whole state after the change.
        state: ReadState,
    },
    /// A frame or body could not be decoded; it is kept here with the reason. The session goes on.
    ProtocolError {
        /// The text as received, cut past [`crate::Limits::max_error_body_bytes`].
        raw: String,
        /// Why it was rejected.
        reason: String,
    },
    /// More frames or items could not be decoded than [`crate::Limits::max_protocol_errors_queued`]
    /// lets wait unpolled: instead of one [`Event::ProtocolError`] each, the rest are counted here
    /// (one event, after the errors that were kept). The session goes on.
    ProtocolErrorsDropped {
        /// How many protocol errors were not reported one by one.
        dropped: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The session keeps per-chat state for at most [`crate::Limits::max_chats`] chats; this
    /// chat's (read state, last message, cached description) was the least recently used and
    /// was forgotten to make room. Nothing was lost: its messages are still delivered, and its
    /// state comes back from the server the next time it speaks of the chat (or ask for it).
    ChatStateEvicted {
        /// The chat forgotten.
        chat_id: String,
        /// The configured limit.
        limit: u64,
    },
    /// The server warned about something this client sent (tada `server.warning`).
    Warning {
        /// The server's message.
        message: String,
        /// What this client sent, as echoed by the server.
        original: RawJson,
    },
    /// Unread totals changed: the badge and the team's counters by kind of chat (tada `badge`,
    /// `team_unread`), reported whole each time either changes.
    Counters {
        /// Total unread count, when the server has sent one.
        badge: Option<i64>,
        /// The team's counters (tada `team_unread`: `{direct|group|task: {chats, messages}}`), as
        /// last received; `null` until the server sends them.
        team_unread: RawJson,
    },
    /// A tada server event with no normalized counterpart (calls, presence, contacts, teams,
    /// reminders, …), typed.
    Tada {
        /// The event name (`server.call.buzz`, `server.online`, …).
        name: String,
        /// Its `params` as received; [`crate::tada::ServerEvent::decode`] types them.
        params: RawJson,
    },
    /// A well-formed frame this version does not know (method, event or shape), kept whole.
    Unknown {
        /// The method or event name, when there is one.
        name: Option<String>,
        /// The frame as received.
        raw: RawJson,
    },
    /// A room's receive loop stopped for good (Talk 404 not found, 412 lobby, 401): join again
    /// once the cause is gone.
    RoomStopped {
        /// The room (Talk token).
        chat_id: String,
        /// Why it stopped.
        error: Error,
    },
    /// A user pressed a command button on a message of this bot (TrueConf `command`): answer
    /// it with `answerCommand` and `command_id`.
    CommandReceived {
        /// The id to answer with; servers before 5.5.7 send none (no answer possible).
        command_id: Option<String>,
        /// The command (`/go`).
        command: String,
        /// The button's `customData`, when it has one.
        custom_data: Option<String>,
        /// The button's id, when it has one.
        button_id: Option<String>,
        /// Where it came from (`button`).
        source: Option<String>,
        /// The chat of the message carrying the button.
        chat_id: Option<String>,
        /// The message carrying the button.
        message_id: Option<String>,
        /// Who pressed it, when the server says.
        user_id: Option<String>,
        /// The payload as received.
        raw: RawJson,
    },
    /// Upload progress of a file this client subscribed to (TrueConf `uploadFileProgress`).
    FileProgress {
        /// The file.
        file_id: String,
        /// Bytes uploaded so far.
        progress: u64,
    },
    #[cfg(feature = "trueconf")]
    /// The server changed what may be uploaded (TrueConf `getFileUploadLimits` notification).
    FileUploadLimitsChanged {
        /// The new limits.
        limits: crate::trueconf::FileUploadLimits,
    },
    /// Someone is typing, choosing a sticker or uploading a file in a chat (TrueConf
    /// `sendChatActivity` from another participant).
    ChatActivity {
        /// The chat.
        chat_id: String,
        /// Who, when the server says.
        user_id: Option<String>,
        /// `typing`, `choosing_sticker`, `uploading_file`.
        activity: String,
    },
    /// A message's reactions changed; `reactions` is the whole list after the change.
    ReactionsChanged {
        /// The chat.
        chat_id: String,
        /// The message reacted to.
        message_id: String,
        /// Every emoji with its count, in the server's order (empty: none left).
        reactions: Vec<Reaction>,
    },
}

/// The typed answer to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reply {
    /// Authenticated.
    Authenticated {
        /// This client's user id.
        user_id: Option<String>,
        /// The server's id for this connection.
        connection_id: Option<String>,
    },
    /// A chat was created or returned by id (`chatId`).
    ChatId {
        /// Its id.
        chat_id: String,
    },
    /// A chat changed at a server time (`editChatTitle`).
    ChatChanged {
        /// Its id.
        chat_id: String,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
    },
    /// One chat.
    Chat {
        /// The chat.
        chat: Chat,
    },
    /// A page of chats.
    Chats {
        /// The chats.
        chats: Vec<Chat>,
    },
    /// One participant.
    Participant {
        /// The participant.
        participant: Participant,
    },
    /// A page of participants.
    Participants {
        /// The participants.
        participants: Vec<Participant>,
    },
    /// A yes/no answer (`hasChatParticipant`).
    Bool {
        /// The answer.
        value: bool,
    },
    /// A message was accepted by the server.
    MessageSent {
        /// The chat.
        chat_id: Option<String>,
        /// The message's protocol id.
        message_id: String,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
    },
    /// One message.
    Message {
        /// The message.
        message: Message,
    },
    /// A page of messages, oldest first.
    Messages {
        /// The messages.
        messages: Vec<Message>,
    },
    /// Success with nothing to return.
    Empty,
    /// A payload kept as received (a raw request, or a shape this version does not know).
    Raw {
        /// The payload.
        payload: RawJson,
    },
    #[cfg(feature = "talk")]
    /// Mention autocomplete suggestions (Talk `GET /chat/{token}/mentions`).
    Mentions {
        /// The suggestions, in the server's order.
        suggestions: Vec<crate::talk::Mention>,
    },
    /// An upload task was opened (TrueConf `uploadFile` alone): send the bytes with it.
    UploadTask {
        /// The `Upload-Task-Id`.
        upload_task_id: String,
    },
    /// The bytes were uploaded: the temporary id that `sendFile` or `editChatAvatar` takes.
    Uploaded {
        /// The `temporalFileId`.
        temporal_file_id: String,
    },
    /// A file was sent to a chat (TrueConf `sendFile`).
    FileSent {
        /// The chat.
        chat_id: Option<String>,
        /// The attachment message.
        message_id: String,
        /// When, in Unix milliseconds, when given.
        timestamp_ms: Option<i64>,
        /// The stored file's id.
        file_id: Option<String>,
        /// The caption's own message, when a caption was sent.
        caption_message_id: Option<String>,
    },
    #[cfg(feature = "trueconf")]
    /// A file's description (TrueConf `getFileInfo`).
    FileInfo {
        /// The file.
        info: crate::trueconf::FileInfo,
    },
    /// A file was downloaded to the host's destination.
    Downloaded {
        /// The file.
        file_id: String,
        /// Its size in bytes, as the server described it.
        size: Option<u64>,
    },
    #[cfg(feature = "trueconf")]
    /// What may be uploaded (TrueConf `getFileUploadLimits`).
    FileUploadLimits {
        /// The limits.
        limits: crate::trueconf::FileUploadLimits,
    },
    /// A chat activity was shown (TrueConf `sendChatActivity`).
    ChatActivitySent {
        /// The chat.
        chat_id: String,
        /// The activity.
        activity: String,
        /// Milliseconds until sending it again keeps it shown, when given.
        retry_after_ms: Option<u64>,
    },
    /// A user's display name (TrueConf `getUserDisplayName`).
    DisplayName {
        /// The name, when the user has one.
        display_name: Option<String>,
    },
}

impl Reply {
    /// The reply's `type` as serialized (`chat_id`, `messages`): what an
    /// [`crate::Error::UnexpectedResponse`] names instead of dumping the whole reply.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Reply::Authenticated { .. } => "authenticated",
            Reply::ChatId { .. } => "chat_id",
            Reply::ChatChanged { .. } => "chat_changed",
            Reply::Chat { .. } => "chat",
            Reply::Chats { .. } => "chats",
            Reply::Participant { .. } => "participant",
            Reply::Participants { .. } => "participants",
            Reply::Bool { .. } => "bool",
            Reply::MessageSent { .. } => "message_sent",
            Reply::Message { .. } => "message",
            Reply::Messages { .. } => "messages",
            Reply::Empty => "empty",
            Reply::Raw { .. } => "raw",
            #[cfg(feature = "talk")]
            Reply::Mentions { .. } => "mentions",
            Reply::UploadTask { .. } => "upload_task",
            Reply::Uploaded { .. } => "uploaded",
            Reply::FileSent { .. } => "file_sent",
            #[cfg(feature = "trueconf")]
            Reply::FileInfo { .. } => "file_info",
            Reply::Downloaded { .. } => "downloaded",
            #[cfg(feature = "trueconf")]
            Reply::FileUploadLimits { .. } => "file_upload_limits",
            Reply::ChatActivitySent { .. } => "chat_activity_sent",
            Reply::DisplayName { .. } => "display_name",
        }
    }
}
