//! The normalized chat model every protocol decodes into.
//!
//! Fields a protocol does not have are `None`; what does not fit a normalized field is kept in
//! `raw` so that nothing the server said is lost.

use crate::raw::RawJson;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of conversation a chat is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChatKind {
    /// Two people (TrueConf p2p, tada `direct`, Talk one-to-one).
    Direct,
    /// Many people.
    Group,
    /// Broadcast channel: few write, many read.
    Channel,
    /// The user's own notes ("Favorites").
    Favorites,
    /// Messages from the server itself.
    System,
    /// A tada task.
    Task,
    /// A tada meeting.
    Meeting,
    /// A tada thread.
    Thread,
    /// A kind this version does not know, as the server named it.
    Other(String),
}

/// A conversation as last described by the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    /// Protocol id (TrueConf `chatId`, tada JID, Talk token).
    pub id: String,
    /// Title, when it has one.
    pub title: Option<String>,
    /// Kind of conversation.
    pub kind: ChatKind,
    /// Unread messages, when the server says.
    pub unread: Option<u32>,
    /// Newest message, when the server includes it.
    pub last_message: Option<Box<Message>>,
    /// Picture, when the server includes it.
    pub avatar_url: Option<String>,
    /// The object as received.
    pub raw: RawJson,
}

/// Who wrote a message or did an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Protocol id of the author (TrueConf ID, tada contact JID, Talk actor id).
    pub id: String,
    /// Protocol's author kind (TrueConf `author.type` number, Talk `actorType`), as text.
    pub kind: Option<String>,
    /// Display name, when given.
    pub display_name: Option<String>,
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Protocol id of the message.
    pub id: String,
    /// The chat it belongs to, when known.
    pub chat_id: Option<String>,
    /// Who wrote it.
    pub author: Author,
    /// When it was written, in milliseconds since the Unix epoch, when the server says.
    pub timestamp_ms: Option<i64>,
    /// What it says.
    pub content: Content,
    /// Whether it was edited after sending.
    pub edited: bool,
    /// The message it answers, when it is a reply.
    pub reply_to: Option<String>,
    /// Server version of this message (tada `gentime`), when the protocol orders updates.
    pub version: Option<i64>,
    /// Whether this client's user wrote it.
    pub own: bool,
    /// The object as received.
    pub raw: RawJson,
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// Text, with the protocol's formatting mode (`text`, `markdown`, `html`, `plain`).
    Text {
        /// The text.
        text: String,
        /// Formatting mode, when given.
        format: Option<String>,
    },
    /// A forwarded message.
    Forwarded {
        /// The content object as received.
        raw: RawJson,
    },
    /// A file.
    Attachment {
        /// File name, when given.
        name: Option<String>,
        /// The content object as received.
        raw: RawJson,
    },
    /// A geographic location.
    Location {
        /// The content object as received.
        raw: RawJson,
    },
    /// A survey or poll.
    Survey {
        /// The content object as received.
        raw: RawJson,
    },
    /// A voice message.
    Voice {
        /// The content object as received.
        raw: RawJson,
    },
    /// The message was deleted; only its id remains.
    Deleted,
    /// A participant joined.
    ParticipantAdded {
        /// Who joined.
        user_id: Option<String>,
        /// Their role.
        role: Option<Role>,
    },
    /// A participant left or was removed.
    ParticipantRemoved {
        /// Who left.
        user_id: Option<String>,
    },
    /// A participant's role changed.
    RoleChanged {
        /// Whose role.
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
        /// The content object as received.
        raw: RawJson,
    },
    /// The chat history was cleared.
    HistoryCleared,
    /// A system message of the protocol (Talk `systemMessage`, tada `change`), with its text.
    System {
        /// The protocol's name for it (`user_added`, `change`, …).
        code: String,
        /// Human-readable text, possibly with `{placeholders}`.
        text: String,
        /// Placeholder values (Talk `messageParameters`), as received.
        parameters: RawJson,
    },
    /// A content type this version does not know, kept whole.
    Unknown {
        /// The protocol's type tag, as text.
        kind: String,
        /// The content object as received.
        raw: RawJson,
    },
}

impl Content {
    /// The text a person would read, when there is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Content::Text { text, .. } | Content::System { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// One emoji's reactions to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many people reacted with it.
    pub count: u32,
    /// Whether this client's user is one of them.
    pub own: bool,
}

/// A participant's role in a chat.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Created the chat, full rights.
    Owner,
    /// Manages participants and settings.
    Admin,
    /// Ordinary member.
    User,
    /// Owner of the conference bound to the chat.
    ConfOwner,
    /// Moderator of the conference bound to the chat.
    ConfModerator,
    /// Owner of a Favorites chat.
    FavoritesOwner,
    /// May write in a channel.
    Writer,
    /// Moderator (Talk).
    Moderator,
    /// Guest (Talk).
    Guest,
    /// A numeric role code, kept as sent.
    Code(i64),
    /// A role name this version does not know, kept as sent.
    Other(String),
}

impl Role {
    /// Parses a role as servers send it: a name, or a number.
    pub fn from_json(value: &Value) -> Option<Role> {
        match value {
            Value::String(s) => Some(Role::from_name(s)),
            Value::Number(n) => n.as_i64().map(Role::Code),
            _ => None,
        }
    }

    /// Parses a role name (`owner`, `admin`, …); unknown names are kept.
    pub fn from_name(name: &str) -> Role {
        match name {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "user" => Role::User,
            "conf_owner" => Role::ConfOwner,
            "conf_moderator" => Role::ConfModerator,
            "favorites_owner" => Role::FavoritesOwner,
            "writer" => Role::Writer,
            "moderator" => Role::Moderator,
            "guest" => Role::Guest,
            other => other
                .parse::<i64>()
                .map(Role::Code)
                .unwrap_or_else(|_| Role::Other(other.to_string())),
        }
    }

    /// The role as the wire carries it.
    pub fn to_json(&self) -> Value {
        let name = match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::User => "user",
            Role::ConfOwner => "conf_owner",
            Role::ConfModerator => "conf_moderator",
            Role::FavoritesOwner => "favorites_owner",
            Role::Writer => "writer",
            Role::Moderator => "moderator",
            Role::Guest => "guest",
            Role::Code(n) => return Value::from(*n),
            Role::Other(s) => return Value::from(s.as_str()),
        };
        Value::from(name)
    }
}

/// A member of a chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    /// Protocol id of the user.
    pub user_id: String,
    /// Their role, when given.
    pub role: Option<Role>,
    /// Protocol's user kind, as text.
    pub kind: Option<String>,
}
