//! The core's public types mirrored as UniFFI records and enums.
//!
//! UniFFI cannot carry the core's types as they are: its type system has no `Box`, no serde and
//! no `#[non_exhaustive]` (a foreign enum is closed). Each type here is a plain copy with a
//! `From` conversion, so the core stays free of FFI attributes; a core variant this version does
//! not know becomes an explicit catch-all variant carrying the core's serde JSON.

use chatwire as core;

/// Whether a request cut off by a disconnect may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum, serde::Serialize)]
pub enum Delivery {
    /// It never left this client: safe to send again.
    NotSent,
    /// It was handed to the transport before the drop: the server may have acted on it.
    MaybeDelivered,
}

impl From<core::Delivery> for Delivery {
    fn from(d: core::Delivery) -> Self {
        match d {
            core::Delivery::NotSent => Delivery::NotSent,
            core::Delivery::MaybeDelivered => Delivery::MaybeDelivered,
        }
    }
}

/// A Nextcloud Talk HTTP status with a documented meaning.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum, serde::Serialize)]
pub enum TalkHttpError {
    /// 400, with the body as received.
    BadRequest {
        /// The response body.
        body: String,
    },
    /// 403: the conversation is read-only.
    ReadOnly,
    /// 404: the conversation does not exist or this user is not in it.
    NotFound,
    /// 412: the lobby is on and this user is not a moderator.
    Lobby,
    /// 413: the message is longer than the server accepts.
    TooLong,
    /// 429, with the server's `Retry-After` in seconds when sent.
    RateLimited {
        /// Seconds to wait, when the server said.
        retry_after_secs: Option<u64>,
    },
    /// 503: maintenance mode.
    Maintenance,
    /// A status this version of the binding does not name.
    Other {
        /// The core's description.
        description: String,
    },
}

impl From<core::talk::HttpError> for TalkHttpError {
    fn from(e: core::talk::HttpError) -> Self {
        use core::talk::HttpError as H;
        match e {
            H::BadRequest { body } => TalkHttpError::BadRequest { body },
            H::ReadOnly => TalkHttpError::ReadOnly,
            H::NotFound => TalkHttpError::NotFound,
            H::Lobby => TalkHttpError::Lobby,
            H::TooLong => TalkHttpError::TooLong,
            H::RateLimited { retry_after_secs } => TalkHttpError::RateLimited { retry_after_secs },
            H::Maintenance => TalkHttpError::Maintenance,
            other => TalkHttpError::Other {
                description: other.to_string(),
            },
        }
    }
}

/// Everything that can go wrong; a Python/Kotlin exception, Swift `Error`.
///
/// Field names avoid `message`, which Kotlin's `Throwable` already has.
#[derive(Clone, Debug, PartialEq, thiserror::Error, uniffi::Error, serde::Serialize)]
pub enum ChatwireError {
    /// No answer arrived before the request timeout.
    #[error("request timed out")]
    Timeout,
    /// The connection closed before the answer arrived.
    #[error("connection closed before the answer arrived ({delivery:?})")]
    Disconnected {
        /// Whether the request may have reached the server.
        delivery: Delivery,
    },
    /// Too many requests are already waiting for answers.
    #[error("too many requests in flight (limit {limit})")]
    TooManyPending {
        /// The configured limit.
        limit: u64,
    },
    /// The host has not drained the output and the queue is full.
    #[error("outgoing queue full (limit {limit})")]
    QueueFull {
        /// The configured limit.
        limit: u64,
    },
    /// An incoming frame or body is larger than the configured limit.
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    FrameTooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A message is longer than the protocol or server allows; refused before sending.
    #[error("message of {length} characters exceeds the limit of {limit}")]
    MessageTooLong {
        /// Its length in characters.
        length: u64,
        /// The limit.
        limit: u64,
    },
    /// An argument from the caller cannot be used as given (also: a snapshot that does not parse).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong with it.
        reason: String,
    },
    /// A frame or body from the server could not be decoded.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// Why.
        reason: String,
    },
    /// The server answered with something this request cannot use.
    #[error("unexpected response: {reason}")]
    UnexpectedResponse {
        /// What was expected and what came.
        reason: String,
    },
    /// Not connected, and this cannot be queued.
    #[error("not connected")]
    NotConnected,
    /// The app closed the client (`close` or `shutdown`).
    #[error("the client was closed")]
    Closed,
    /// The connection cannot be opened and will not be retried.
    #[error("cannot connect: {reason}")]
    ConnectFailed {
        /// What the host or the session said.
        reason: String,
    },
    /// Authentication was refused.
    #[error("authentication failed: {reason}")]
    AuthFailed {
        /// The server's reason.
        reason: String,
    },
    /// An `errorCode` from the TrueConf server (its number).
    #[error("TrueConf error {code}")]
    TrueConf {
        /// The `errorCode` as on the wire (203: token expired, 300–312: chat errors, …).
        code: u32,
    },
    /// The server kept not confirming an event; given up after `attempts` sends.
    #[error("not confirmed after {attempts} attempts")]
    NotConfirmed {
        /// How many times it was sent.
        attempts: u32,
    },
    /// The server rejected the event with a warning (tada `server.warning`).
    #[error("rejected by the server: {reason}")]
    Rejected {
        /// The server's message.
        reason: String,
    },
    /// An HTTP status with no more specific meaning.
    #[error("HTTP status {status}")]
    Http {
        /// The status code.
        status: u16,
        /// The body as received.
        body: String,
    },
    /// A Nextcloud Talk status with a documented meaning.
    #[error("Talk: {error:?}")]
    Talk {
        /// Which.
        error: TalkHttpError,
    },
    /// An error kind this version of the binding does not name, with the core's description.
    #[error("{description}")]
    Other {
        /// The core's `Display` text.
        description: String,
    },
}

impl From<core::Error> for ChatwireError {
    fn from(e: core::Error) -> Self {
        use core::Error as E;
        match e {
            E::Timeout => ChatwireError::Timeout,
            E::Disconnected { delivery } => ChatwireError::Disconnected {
                delivery: delivery.into(),
            },
            E::TooManyPending { limit } => ChatwireError::TooManyPending { limit },
            E::QueueFull { limit } => ChatwireError::QueueFull { limit },
            E::FrameTooLarge { size, limit } => ChatwireError::FrameTooLarge { size, limit },
            E::MessageTooLong { length, limit } => ChatwireError::MessageTooLong { length, limit },
            E::InvalidArgument { reason } => ChatwireError::InvalidArgument { reason },
            E::InvalidFrame { reason } => ChatwireError::InvalidFrame { reason },
            E::UnexpectedResponse { reason } => ChatwireError::UnexpectedResponse { reason },
            E::NotConnected => ChatwireError::NotConnected,
            E::Closed => ChatwireError::Closed,
            E::ConnectFailed { reason } => ChatwireError::ConnectFailed { reason },
            E::AuthFailed { reason } => ChatwireError::AuthFailed { reason },
            E::TrueConf { code } => ChatwireError::TrueConf { code: code.code() },
            E::NotConfirmed { attempts } => ChatwireError::NotConfirmed { attempts },
            E::Rejected { message } => ChatwireError::Rejected { reason: message },
            E::Http { status, body } => ChatwireError::Http { status, body },
            E::Talk(error) => ChatwireError::Talk {
                error: error.into(),
            },
            other => ChatwireError::Other {
                description: other.to_string(),
            },
        }
    }
}

/// One HTTP or WebSocket header.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct Header {
    /// Its name.
    pub name: String,
    /// Its value (may be a credential: do not log it).
    pub value: String,
}

impl From<core::Header> for Header {
    fn from(h: core::Header) -> Self {
        Header {
            name: h.name,
            value: h.value,
        }
    }
}

impl From<Header> for core::Header {
    fn from(h: Header) -> Self {
        core::Header {
            name: h.name,
            value: h.value,
        }
    }
}

/// How a connection proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum, serde::Serialize)]
pub enum ConnectAuth {
    /// In the first frame after the socket opened (TrueConf): any host can.
    FirstFrame,
    /// By a header in `headers` (tada `token`).
    Header,
    /// By the cookie the host holds for the server's origin (browsers).
    Cookie,
}

impl From<core::ConnectAuth> for ConnectAuth {
    fn from(a: core::ConnectAuth) -> Self {
        match a {
            core::ConnectAuth::FirstFrame => ConnectAuth::FirstFrame,
            core::ConnectAuth::Cookie => ConnectAuth::Cookie,
            // A future mode is most likely header-like: the host sends what `headers` says.
            _ => ConnectAuth::Header,
        }
    }
}

/// One instruction for the host's transport; perform them in order.
#[derive(Clone, Debug, PartialEq, uniffi::Enum, serde::Serialize)]
pub enum Transmit {
    /// Open the WebSocket at `path` below the server's base URL (`ws(s)://` from `http(s)://`),
    /// then call `handle_connected`. Replace one that is open or opening, without reporting
    /// `handle_closed` for it.
    Connect {
        /// Path and query below the base URL.
        path: String,
        /// Headers for the upgrade request.
        headers: Vec<Header>,
        /// Subprotocols to offer.
        subprotocols: Vec<String>,
        /// How it authenticates.
        auth: ConnectAuth,
    },
    /// Send this text frame on the open WebSocket.
    Frame {
        /// The frame.
        text: String,
    },
    /// Perform this HTTP request, then call `handle_http_response` with `id`.
    Http {
        /// Correlates the response.
        id: u32,
        /// `GET`, `POST`, …
        method: String,
        /// Path and query below the base URL.
        path: String,
        /// Request headers.
        headers: Vec<Header>,
        /// Body, if any.
        body: Option<String>,
    },
    /// Close the WebSocket.
    Close {
        /// Why.
        reason: String,
    },
}

impl From<core::Transmit> for Transmit {
    fn from(t: core::Transmit) -> Self {
        match t {
            core::Transmit::Connect(info) => Transmit::Connect {
                path: info.path,
                headers: info.headers.into_iter().map(Into::into).collect(),
                subprotocols: info.subprotocols,
                auth: info.auth.into(),
            },
            core::Transmit::Frame { text } => Transmit::Frame { text },
            core::Transmit::Http(req) => Transmit::Http {
                id: req.id.0,
                method: req.method,
                path: req.path,
                headers: req.headers.into_iter().map(Into::into).collect(),
                body: req.body,
            },
            core::Transmit::Close { reason } => Transmit::Close { reason },
            // Unreachable with this core; a host that cannot perform an instruction closes.
            other => Transmit::Close {
                reason: format!("unsupported instruction {other:?}"),
            },
        }
    }
}

/// What kind of conversation a chat is.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum, serde::Serialize)]
pub enum ChatKind {
    /// Two people.
    Direct,
    /// Many people.
    Group,
    /// Broadcast channel.
    Channel,
    /// The user's own notes.
    Favorites,
    /// Messages from the server.
    System,
    /// A tada task.
    Task,
    /// A tada meeting.
    Meeting,
    /// A tada thread.
    Thread,
    /// A kind this version does not know, as the server named it.
    Other {
        /// The server's name.
        name: String,
    },
}

impl From<core::ChatKind> for ChatKind {
    fn from(k: core::ChatKind) -> Self {
        use core::ChatKind as K;
        match k {
            K::Direct => ChatKind::Direct,
            K::Group => ChatKind::Group,
            K::Channel => ChatKind::Channel,
            K::Favorites => ChatKind::Favorites,
            K::System => ChatKind::System,
            K::Task => ChatKind::Task,
            K::Meeting => ChatKind::Meeting,
            K::Thread => ChatKind::Thread,
            K::Other(name) => ChatKind::Other { name },
            other => ChatKind::Other {
                name: format!("{other:?}"),
            },
        }
    }
}

/// A participant's role in a chat.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum, serde::Serialize)]
pub enum Role {
    /// Created the chat.
    Owner,
    /// Manages participants and settings.
    Admin,
    /// Ordinary member.
    User,
    /// Owner of the chat's conference.
    ConfOwner,
    /// Moderator of the chat's conference.
    ConfModerator,
    /// Owner of a Favorites chat.
    FavoritesOwner,
    /// May write in a channel.
    Writer,
    /// Moderator (Talk).
    Moderator,
    /// Guest (Talk).
    Guest,
    /// A numeric role code, as sent.
    Code {
        /// The number.
        code: i64,
    },
    /// A role name this version does not know, as sent.
    Other {
        /// The name.
        name: String,
    },
}

impl From<core::Role> for Role {
    fn from(r: core::Role) -> Self {
        use core::Role as R;
        match r {
            R::Owner => Role::Owner,
            R::Admin => Role::Admin,
            R::User => Role::User,
            R::ConfOwner => Role::ConfOwner,
            R::ConfModerator => Role::ConfModerator,
            R::FavoritesOwner => Role::FavoritesOwner,
            R::Writer => Role::Writer,
            R::Moderator => Role::Moderator,
            R::Guest => Role::Guest,
            R::Code(code) => Role::Code { code },
            R::Other(name) => Role::Other { name },
            other => Role::Other {
                name: other.to_json().to_string(),
            },
        }
    }
}

impl From<Role> for core::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => core::Role::Owner,
            Role::Admin => core::Role::Admin,
            Role::User => core::Role::User,
            Role::ConfOwner => core::Role::ConfOwner,
            Role::ConfModerator => core::Role::ConfModerator,
            Role::FavoritesOwner => core::Role::FavoritesOwner,
            Role::Writer => core::Role::Writer,
            Role::Moderator => core::Role::Moderator,
            Role::Guest => core::Role::Guest,
            Role::Code { code } => core::Role::Code(code),
            Role::Other { name } => core::Role::Other(name),
        }
    }
}

fn role(r: Option<core::Role>) -> Option<Role> {
    r.map(Into::into)
}

/// Who wrote a message or did an action.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct Author {
    /// Protocol id (TrueConf ID, tada contact JID, Talk actor id).
    pub id: String,
    /// The protocol's author kind, as text.
    pub kind: Option<String>,
    /// Display name, when given.
    pub display_name: Option<String>,
}

impl From<core::Author> for Author {
    fn from(a: core::Author) -> Self {
        Author {
            id: a.id,
            kind: a.kind,
            display_name: a.display_name,
        }
    }
}

/// What a message carries. `raw` fields are JSON text, as received.
#[derive(Clone, Debug, PartialEq, uniffi::Enum, serde::Serialize)]
pub enum Content {
    /// Text, with the protocol's formatting mode.
    Text {
        /// The text.
        text: String,
        /// Formatting mode, when given.
        format: Option<String>,
    },
    /// A forwarded message.
    Forwarded {
        /// JSON text.
        raw: String,
    },
    /// A file.
    Attachment {
        /// File name, when given.
        name: Option<String>,
        /// JSON text.
        raw: String,
    },
    /// A location.
    Location {
        /// JSON text.
        raw: String,
    },
    /// A survey or poll.
    Survey {
        /// JSON text.
        raw: String,
    },
    /// A voice message.
    Voice {
        /// JSON text.
        raw: String,
    },
    /// The message was deleted.
    Deleted,
    /// A participant joined.
    ParticipantAdded {
        /// Who.
        user_id: Option<String>,
        /// Their role.
        role: Option<Role>,
    },
    /// A participant left or was removed.
    ParticipantRemoved {
        /// Who.
        user_id: Option<String>,
    },
    /// A participant's role changed.
    RoleChanged {
        /// Whose.
        user_id: Option<String>,
        /// The new role.
        role: Option<Role>,
    },
    /// The chat was renamed.
    TitleChanged {
        /// The new title.
        title: Option<String>,
    },
    /// The chat picture changed.
    AvatarChanged {
        /// JSON text.
        raw: String,
    },
    /// The history was cleared.
    HistoryCleared,
    /// A system message of the protocol.
    System {
        /// The protocol's name for it.
        code: String,
        /// Human-readable text, possibly with `{placeholders}`.
        text: String,
        /// Placeholder values as JSON text.
        parameters: String,
    },
    /// A content type this version does not know.
    Unknown {
        /// The protocol's type tag.
        kind: String,
        /// JSON text.
        raw: String,
    },
}

impl From<core::Content> for Content {
    fn from(c: core::Content) -> Self {
        use core::Content as C;
        match c {
            C::Text { text, format } => Content::Text { text, format },
            C::Forwarded { raw } => Content::Forwarded {
                raw: raw.into_string(),
            },
            C::Attachment { name, raw } => Content::Attachment {
                name,
                raw: raw.into_string(),
            },
            C::Location { raw } => Content::Location {
                raw: raw.into_string(),
            },
            C::Survey { raw } => Content::Survey {
                raw: raw.into_string(),
            },
            C::Voice { raw } => Content::Voice {
                raw: raw.into_string(),
            },
            C::Deleted => Content::Deleted,
            C::ParticipantAdded { user_id, role: r } => Content::ParticipantAdded {
                user_id,
                role: role(r),
            },
            C::ParticipantRemoved { user_id } => Content::ParticipantRemoved { user_id },
            C::RoleChanged { user_id, role: r } => Content::RoleChanged {
                user_id,
                role: role(r),
            },
            C::TitleChanged { title } => Content::TitleChanged { title },
            C::AvatarChanged { raw } => Content::AvatarChanged {
                raw: raw.into_string(),
            },
            C::HistoryCleared => Content::HistoryCleared,
            C::System {
                code,
                text,
                parameters,
            } => Content::System {
                code,
                text,
                parameters: parameters.into_string(),
            },
            C::Unknown { kind, raw } => Content::Unknown {
                kind,
                raw: raw.into_string(),
            },
            other => Content::Unknown {
                kind: String::from("unsupported"),
                raw: serde_json::to_string(&other).unwrap_or_default(),
            },
        }
    }
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, uniffi::Record, serde::Serialize)]
pub struct Message {
    /// Protocol id.
    pub id: String,
    /// The chat, when known.
    pub chat_id: Option<String>,
    /// Who wrote it.
    pub author: Author,
    /// Unix milliseconds, when the server says.
    pub timestamp_ms: Option<i64>,
    /// What it says.
    pub content: Content,
    /// Whether it was edited.
    pub edited: bool,
    /// The message it answers.
    pub reply_to: Option<String>,
    /// Server version (tada `gentime`).
    pub version: Option<i64>,
    /// Whether this client's user wrote it.
    pub own: bool,
    /// The object as received, JSON text.
    pub raw: String,
}

impl From<core::Message> for Message {
    fn from(m: core::Message) -> Self {
        Message {
            id: m.id,
            chat_id: m.chat_id,
            author: m.author.into(),
            timestamp_ms: m.timestamp_ms,
            content: m.content.into(),
            edited: m.edited,
            reply_to: m.reply_to,
            version: m.version,
            own: m.own,
            raw: m.raw.into_string(),
        }
    }
}

/// A conversation as last described by the server.
#[derive(Clone, Debug, PartialEq, uniffi::Record, serde::Serialize)]
pub struct Chat {
    /// Protocol id (TrueConf `chatId`, tada JID, Talk token).
    pub id: String,
    /// Title.
    pub title: Option<String>,
    /// Kind.
    pub kind: ChatKind,
    /// Unread messages, when the server says.
    pub unread: Option<u32>,
    /// Newest message, when included (no `Box`: a message holds no chat, so no recursion).
    pub last_message: Option<Message>,
    /// Picture.
    pub avatar_url: Option<String>,
    /// The object as received, JSON text.
    pub raw: String,
}

impl From<core::Chat> for Chat {
    fn from(c: core::Chat) -> Self {
        Chat {
            id: c.id,
            title: c.title,
            kind: c.kind.into(),
            unread: c.unread,
            last_message: c.last_message.map(|m| (*m).into()),
            avatar_url: c.avatar_url,
            raw: c.raw.into_string(),
        }
    }
}

/// A member of a chat.
#[derive(Clone, Debug, PartialEq, uniffi::Record, serde::Serialize)]
pub struct Participant {
    /// User id.
    pub user_id: String,
    /// Role.
    pub role: Option<Role>,
    /// The protocol's user kind.
    pub kind: Option<String>,
}

impl From<core::Participant> for Participant {
    fn from(p: core::Participant) -> Self {
        Participant {
            user_id: p.user_id,
            role: role(p.role),
            kind: p.kind,
        }
    }
}

/// One chat's read state.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct ReadState {
    /// Unread messages.
    pub unread: Option<u32>,
    /// Unread notices (tada).
    pub unread_notices: Option<u32>,
    /// Newest message this user read.
    pub last_read_message_id: Option<String>,
    /// Newest message everyone read (Talk).
    pub last_common_read_id: Option<String>,
    /// Server version of this state.
    pub version: Option<i64>,
}

impl From<core::ReadState> for ReadState {
    fn from(r: core::ReadState) -> Self {
        ReadState {
            unread: r.unread,
            unread_notices: r.unread_notices,
            last_read_message_id: r.last_read_message_id,
            last_common_read_id: r.last_common_read_id,
            version: r.version,
        }
    }
}

/// A Talk mention suggestion.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct Mention {
    /// What to write after `@`.
    pub id: String,
    /// Display name.
    pub label: String,
    /// `users`, `guests` or `calls`.
    pub source: String,
    /// User status.
    pub status: Option<String>,
    /// Status emoji.
    pub status_icon: Option<String>,
    /// Status text.
    pub status_message: Option<String>,
}

impl From<core::talk::Mention> for Mention {
    fn from(m: core::talk::Mention) -> Self {
        Mention {
            id: m.id,
            label: m.label,
            source: m.source,
            status: m.status,
            status_icon: m.status_icon,
            status_message: m.status_message,
        }
    }
}

/// A TrueConf file preview.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct FilePreview {
    /// Its name.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Where to `GET` it.
    pub download_url: Option<String>,
}

impl From<core::trueconf::FilePreview> for FilePreview {
    fn from(p: core::trueconf::FilePreview) -> Self {
        FilePreview {
            name: p.name,
            size: p.size,
            mime_type: p.mime_type,
            download_url: p.download_url,
        }
    }
}

/// A TrueConf file's description (`getFileInfo`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct FileInfo {
    /// The file's id.
    pub file_id: String,
    /// Its name.
    pub name: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// The server's readiness state.
    pub ready_state: Option<u32>,
    /// Where to `GET` it.
    pub download_url: Option<String>,
    /// Its previews.
    pub previews: Vec<FilePreview>,
}

impl From<core::trueconf::FileInfo> for FileInfo {
    fn from(f: core::trueconf::FileInfo) -> Self {
        FileInfo {
            file_id: f.file_id,
            name: f.name,
            size: f.size,
            mime_type: f.mime_type,
            ready_state: f.ready_state,
            download_url: f.download_url,
            previews: list(f.previews),
        }
    }
}

/// What the TrueConf server lets this user upload.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct FileUploadLimits {
    /// Largest file in bytes.
    pub max_size: Option<u64>,
    /// How `extensions` is meant (allow or deny list), as the server says.
    pub extensions_mode: Option<String>,
    /// The extensions.
    pub extensions: Vec<String>,
}

impl From<core::trueconf::FileUploadLimits> for FileUploadLimits {
    fn from(l: core::trueconf::FileUploadLimits) -> Self {
        FileUploadLimits {
            max_size: l.max_size,
            extensions_mode: l.extensions_mode,
            extensions: l.extensions,
        }
    }
}

fn list<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

/// The typed answer to a command.
#[derive(Clone, Debug, PartialEq, uniffi::Enum, serde::Serialize)]
pub enum Reply {
    /// Authenticated.
    Authenticated {
        /// This client's user id.
        user_id: Option<String>,
        /// The server's id for this connection.
        connection_id: Option<String>,
    },
    /// A chat id.
    ChatId {
        /// The id.
        chat_id: String,
    },
    /// A chat changed at a server time.
    ChatChanged {
        /// Its id.
        chat_id: String,
        /// When, Unix ms.
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
    /// A yes/no answer.
    Bool {
        /// The answer.
        value: bool,
    },
    /// A message was accepted.
    MessageSent {
        /// The chat.
        chat_id: Option<String>,
        /// The message's id.
        message_id: String,
        /// When, Unix ms.
        timestamp_ms: Option<i64>,
    },
    /// One message.
    Message {
        /// The message.
        message: Message,
    },
    /// Messages, oldest first.
    Messages {
        /// The messages.
        messages: Vec<Message>,
    },
    /// Success with nothing to return.
    Empty,
    /// A payload as received, JSON text.
    Raw {
        /// JSON text.
        payload: String,
    },
    /// Talk mention suggestions.
    Mentions {
        /// In the server's order.
        suggestions: Vec<Mention>,
    },
    /// A TrueConf upload task was created.
    UploadTask {
        /// Its id.
        upload_task_id: String,
    },
    /// A file was uploaded; send it by this temporary id.
    Uploaded {
        /// The temporary file id.
        temporal_file_id: String,
    },
    /// A file message was accepted.
    FileSent {
        /// The chat.
        chat_id: Option<String>,
        /// The message's id.
        message_id: String,
        /// When, Unix ms.
        timestamp_ms: Option<i64>,
        /// The file's id.
        file_id: Option<String>,
        /// The caption message's id.
        caption_message_id: Option<String>,
    },
    /// A file's description.
    FileInfo {
        /// The description.
        info: FileInfo,
    },
    /// A file was downloaded.
    Downloaded {
        /// The file's id.
        file_id: String,
        /// Its size in bytes.
        size: Option<u64>,
    },
    /// The upload limits.
    FileUploadLimits {
        /// The limits.
        limits: FileUploadLimits,
    },
    /// A chat activity (typing…) was sent.
    ChatActivitySent {
        /// The chat.
        chat_id: String,
        /// The activity.
        activity: String,
        /// When another may be sent, ms.
        retry_after_ms: Option<u64>,
    },
    /// A user's display name.
    DisplayName {
        /// The name.
        display_name: Option<String>,
    },
    /// A reply kind this version of the binding does not name, as the core's JSON.
    Unsupported {
        /// The core's serde JSON of the reply.
        json: String,
    },
}

impl From<core::Reply> for Reply {
    fn from(r: core::Reply) -> Self {
        use core::Reply as R;
        match r {
            R::Authenticated {
                user_id,
                connection_id,
            } => Reply::Authenticated {
                user_id,
                connection_id,
            },
            R::ChatId { chat_id } => Reply::ChatId { chat_id },
            R::ChatChanged {
                chat_id,
                timestamp_ms,
            } => Reply::ChatChanged {
                chat_id,
                timestamp_ms,
            },
            R::Chat { chat } => Reply::Chat { chat: chat.into() },
            R::Chats { chats } => Reply::Chats { chats: list(chats) },
            R::Participant { participant } => Reply::Participant {
                participant: participant.into(),
            },
            R::Participants { participants } => Reply::Participants {
                participants: list(participants),
            },
            R::Bool { value } => Reply::Bool { value },
            R::MessageSent {
                chat_id,
                message_id,
                timestamp_ms,
            } => Reply::MessageSent {
                chat_id,
                message_id,
                timestamp_ms,
            },
            R::Message { message } => Reply::Message {
                message: message.into(),
            },
            R::Messages { messages } => Reply::Messages {
                messages: list(messages),
            },
            R::Empty => Reply::Empty,
            R::Raw { payload } => Reply::Raw {
                payload: payload.into_string(),
            },
            R::Mentions { suggestions } => Reply::Mentions {
                suggestions: list(suggestions),
            },
            R::UploadTask { upload_task_id } => Reply::UploadTask { upload_task_id },
            R::Uploaded { temporal_file_id } => Reply::Uploaded { temporal_file_id },
            R::FileSent {
                chat_id,
                message_id,
                timestamp_ms,
                file_id,
                caption_message_id,
            } => Reply::FileSent {
                chat_id,
                message_id,
                timestamp_ms,
                file_id,
                caption_message_id,
            },
            R::FileInfo { info } => Reply::FileInfo { info: info.into() },
            R::Downloaded { file_id, size } => Reply::Downloaded { file_id, size },
            R::FileUploadLimits { limits } => Reply::FileUploadLimits {
                limits: limits.into(),
            },
            R::ChatActivitySent {
                chat_id,
                activity,
                retry_after_ms,
            } => Reply::ChatActivitySent {
                chat_id,
                activity,
                retry_after_ms,
            },
            R::DisplayName { display_name } => Reply::DisplayName { display_name },
            other => Reply::Unsupported {
                json: serde_json::to_string(&other).unwrap_or_default(),
            },
        }
    }
}

/// One thing that happened, normalized across protocols.
#[derive(Clone, Debug, PartialEq, uniffi::Enum, serde::Serialize)]
pub enum Event {
    /// Connected and authenticated.
    Connected {
        /// This client's user id, when the server says.
        user_id: Option<String>,
        /// The server's id for this connection.
        connection_id: Option<String>,
    },
    /// The connection closed.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// The client judged the connection dead and asked the host to close it.
    ConnectionDead {
        /// What was not answered in time.
        reason: String,
    },
    /// The credentials expired.
    TokenExpired,
    /// Authentication was refused.
    AuthFailed {
        /// The error.
        error: ChatwireError,
    },
    /// An answer to a request nobody awaits.
    Response {
        /// Its request id.
        request: u32,
        /// The answer.
        reply: Reply,
    },
    /// A request nobody awaits failed.
    RequestFailed {
        /// Its request id.
        request: u32,
        /// Why.
        error: ChatwireError,
    },
    /// A connection attempt failed or the connection was lost.
    ConnectFailed {
        /// What went wrong.
        reason: String,
        /// Whether retrying cannot help.
        permanent: bool,
        /// Milliseconds until the next attempt.
        retry_in_ms: Option<u64>,
        /// Failed attempts in a row.
        attempt: u32,
    },
    /// A message this client sent was confirmed.
    Delivered {
        /// The request id of the send.
        request: u32,
        /// The message id.
        message_id: Option<String>,
    },
    /// A chat appeared.
    ChatCreated {
        /// The chat.
        chat: Chat,
    },
    /// A chat's description changed.
    ChatUpdated {
        /// The chat as now described.
        chat: Chat,
    },
    /// A chat was deleted or this user lost access.
    ChatRemoved {
        /// Its id.
        chat_id: String,
    },
    /// A chat's history was cleared.
    HistoryCleared {
        /// The chat.
        chat_id: String,
        /// For everyone.
        for_all: bool,
    },
    /// Someone joined a chat.
    ParticipantAdded {
        /// The chat.
        chat_id: String,
        /// Who joined.
        user_id: String,
        /// Their role.
        role: Option<Role>,
        /// Who added them.
        by: Option<String>,
        /// When, Unix ms.
        timestamp_ms: Option<i64>,
    },
    /// Someone left a chat.
    ParticipantRemoved {
        /// The chat.
        chat_id: String,
        /// Who left.
        user_id: String,
        /// Who removed them.
        by: Option<String>,
        /// When, Unix ms.
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
        /// When, Unix ms.
        timestamp_ms: Option<i64>,
    },
    /// A new message (once, even when the server redelivers).
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
        /// The chat.
        chat_id: Option<String>,
        /// The message.
        message_id: String,
        /// Who removed it.
        by: Option<String>,
    },
    /// A chat's read state changed.
    ReadStateChanged {
        /// The chat.
        chat_id: String,
        /// The whole state after the change.
        state: ReadState,
    },
    /// A frame or body could not be decoded; the session goes on.
    ProtocolError {
        /// The text as received.
        raw: String,
        /// Why.
        reason: String,
    },
    /// The server warned about something this client sent.
    Warning {
        /// The server's text.
        text: String,
        /// What this client sent, JSON text.
        original: String,
    },
    /// Unread totals changed.
    Counters {
        /// Total unread count.
        badge: Option<i64>,
        /// tada `team_unread`, JSON text.
        team_unread: String,
    },
    /// A tada event with no normalized counterpart.
    Tada {
        /// The event name.
        name: String,
        /// Its params, JSON text.
        params: String,
    },
    /// A well-formed frame this version does not know.
    Unknown {
        /// The method or event name.
        name: Option<String>,
        /// The frame, JSON text.
        raw: String,
    },
    /// A Talk room's receive loop stopped for good.
    RoomStopped {
        /// The room.
        chat_id: String,
        /// Why.
        error: ChatwireError,
    },
    /// A TrueConf bot command (a button or a `/command`) arrived.
    CommandReceived {
        /// The command's id, to answer it.
        command_id: Option<String>,
        /// The command.
        command: String,
        /// Custom data of the button.
        custom_data: Option<String>,
        /// The button's id.
        button_id: Option<String>,
        /// Where it came from.
        source: Option<String>,
        /// The chat.
        chat_id: Option<String>,
        /// The message it belongs to.
        message_id: Option<String>,
        /// Who sent it.
        user_id: Option<String>,
        /// The notification as received, JSON text.
        raw: String,
    },
    /// An upload progressed.
    FileProgress {
        /// The file.
        file_id: String,
        /// Bytes so far.
        progress: u64,
    },
    /// The upload limits changed.
    FileUploadLimitsChanged {
        /// The new limits.
        limits: FileUploadLimits,
    },
    /// Someone is active in a chat (typing…).
    ChatActivity {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: Option<String>,
        /// What they do.
        activity: String,
    },
    /// An event kind this version of the binding does not name, as the core's JSON.
    Unsupported {
        /// The core's serde JSON of the event.
        json: String,
    },
}

impl From<core::Event> for Event {
    fn from(e: core::Event) -> Self {
        use core::Event as E;
        match e {
            E::Connected {
                user_id,
                connection_id,
            } => Event::Connected {
                user_id,
                connection_id,
            },
            E::Disconnected { reason } => Event::Disconnected { reason },
            E::ConnectionDead { reason } => Event::ConnectionDead { reason },
            E::TokenExpired => Event::TokenExpired,
            E::AuthFailed { error } => Event::AuthFailed {
                error: error.into(),
            },
            E::Response { request, reply } => Event::Response {
                request: request.0,
                reply: reply.into(),
            },
            E::RequestFailed { request, error } => Event::RequestFailed {
                request: request.0,
                error: error.into(),
            },
            E::ConnectFailed {
                reason,
                permanent,
                retry_in_ms,
                attempt,
            } => Event::ConnectFailed {
                reason,
                permanent,
                retry_in_ms,
                attempt,
            },
            E::Delivered {
                request,
                message_id,
            } => Event::Delivered {
                request: request.0,
                message_id,
            },
            E::ChatCreated { chat } => Event::ChatCreated { chat: chat.into() },
            E::ChatUpdated { chat } => Event::ChatUpdated { chat: chat.into() },
            E::ChatRemoved { chat_id } => Event::ChatRemoved { chat_id },
            E::HistoryCleared { chat_id, for_all } => Event::HistoryCleared { chat_id, for_all },
            E::ParticipantAdded {
                chat_id,
                user_id,
                role: r,
                by,
                timestamp_ms,
            } => Event::ParticipantAdded {
                chat_id,
                user_id,
                role: role(r),
                by,
                timestamp_ms,
            },
            E::ParticipantRemoved {
                chat_id,
                user_id,
                by,
                timestamp_ms,
            } => Event::ParticipantRemoved {
                chat_id,
                user_id,
                by,
                timestamp_ms,
            },
            E::ParticipantRoleChanged {
                chat_id,
                user_id,
                role: r,
                timestamp_ms,
            } => Event::ParticipantRoleChanged {
                chat_id,
                user_id,
                role: role(r),
                timestamp_ms,
            },
            E::MessageReceived { message } => Event::MessageReceived {
                message: message.into(),
            },
            E::MessageEdited { message } => Event::MessageEdited {
                message: message.into(),
            },
            E::MessageRemoved {
                chat_id,
                message_id,
                by,
            } => Event::MessageRemoved {
                chat_id,
                message_id,
                by,
            },
            E::ReadStateChanged { chat_id, state } => Event::ReadStateChanged {
                chat_id,
                state: state.into(),
            },
            E::ProtocolError { raw, reason } => Event::ProtocolError { raw, reason },
            E::Warning { message, original } => Event::Warning {
                text: message,
                original: original.into_string(),
            },
            E::Counters { badge, team_unread } => Event::Counters {
                badge,
                team_unread: team_unread.into_string(),
            },
            E::Tada { name, params } => Event::Tada {
                name,
                params: params.into_string(),
            },
            E::Unknown { name, raw } => Event::Unknown {
                name,
                raw: raw.into_string(),
            },
            E::RoomStopped { chat_id, error } => Event::RoomStopped {
                chat_id,
                error: error.into(),
            },
            E::CommandReceived {
                command_id,
                command,
                custom_data,
                button_id,
                source,
                chat_id,
                message_id,
                user_id,
                raw,
            } => Event::CommandReceived {
                command_id,
                command,
                custom_data,
                button_id,
                source,
                chat_id,
                message_id,
                user_id,
                raw: raw.into_string(),
            },
            E::FileProgress { file_id, progress } => Event::FileProgress { file_id, progress },
            E::FileUploadLimitsChanged { limits } => Event::FileUploadLimitsChanged {
                limits: limits.into(),
            },
            E::ChatActivity {
                chat_id,
                user_id,
                activity,
            } => Event::ChatActivity {
                chat_id,
                user_id,
                activity,
            },
            other => Event::Unsupported {
                json: serde_json::to_string(&other).unwrap_or_default(),
            },
        }
    }
}

/// Everything one input produced: perform `transmits` in order, deliver `events`, then replace
/// the host's one timer with `timeout_ms` (`None`: cancel it).
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record, serde::Serialize)]
pub struct Output {
    /// What the host must do, in order.
    pub transmits: Vec<Transmit>,
    /// What happened, in order.
    pub events: Vec<Event>,
    /// When (host clock, ms) to call `handle_timeout` next.
    pub timeout_ms: Option<u64>,
    /// Increases with every output; a host taking outputs on several threads keeps the timer of
    /// the highest.
    pub sequence: u64,
}

impl From<core::Output> for Output {
    fn from(o: core::Output) -> Self {
        Output {
            transmits: list(o.transmits),
            events: list(o.events),
            timeout_ms: o.timeout.map(|t| t.as_millis()),
            sequence: o.sequence,
        }
    }
}
