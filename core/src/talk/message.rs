//! Talk chat messages, typed as the API describes them, and their normalized form.

#[cfg(test)]
use crate::json::{field_bool, field_int, field_str};
use crate::json::{typed_or_canonical, LenientBool, LenientInt, LenientObj, LenientStr};
use crate::model::{Author, Content, Message, Reaction};
use crate::raw::RawJson;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// `messageType`: what kind of entry a message is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// Something a participant wrote.
    Comment,
    /// A system message; see [`TalkMessage::system_message`].
    System,
    /// The output of a chat command, shown only to the user who ran it.
    Command,
    /// A type this version does not know (`comment_deleted`, …), as sent.
    Other(String),
}

impl MessageType {
    /// Parses `messageType`.
    pub fn from_name(name: &str) -> MessageType {
        match name {
            "comment" => MessageType::Comment,
            "system" => MessageType::System,
            "command" => MessageType::Command,
            other => MessageType::Other(other.to_string()),
        }
    }

    /// The name as the wire carries it.
    pub fn as_str(&self) -> &str {
        match self {
            MessageType::Comment => "comment",
            MessageType::System => "system",
            MessageType::Command => "command",
            MessageType::Other(s) => s,
        }
    }
}

/// Declares [`SystemMessage`] and its wire names from one list, so the two cannot drift apart.
macro_rules! system_messages {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// `systemMessage`: the system messages of the spec, and any other kept as its name.
        ///
        /// Serialized as the wire name, so an unknown one round-trips unchanged.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum SystemMessage {
            $($(#[$doc])* $variant,)*
            /// A system message this version does not know, by its name.
            Unknown(String),
        }

        impl SystemMessage {
            /// Every system message the spec lists.
            pub const KNOWN: &'static [SystemMessage] = &[$(SystemMessage::$variant,)*];

            /// Parses a `systemMessage` name (never empty: an empty one means "not a system
            /// message").
            pub fn from_code(code: &str) -> SystemMessage {
                match code {
                    $($code => SystemMessage::$variant,)*
                    other => SystemMessage::Unknown(other.to_string()),
                }
            }

            /// The name as the wire carries it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(SystemMessage::$variant => $code,)*
                    SystemMessage::Unknown(s) => s,
                }
            }
        }
    };
}

system_messages! {
    /// `{actor} created the conversation`
    ConversationCreated = "conversation_created",
    /// `{actor} renamed the conversation from "foo" to "bar"`
    ConversationRenamed = "conversation_renamed",
    /// `{actor} started a call`
    CallStarted = "call_started",
    /// `{actor} joined the call`
    CallJoined = "call_joined",
    /// `{actor} left the call`
    CallLeft = "call_left",
    /// `Call with {user1}, … (Duration 30:23)`
    CallEnded = "call_ended",
    /// `{actor} unlocked the conversation`
    ReadOnlyOff = "read_only_off",
    /// `{actor} locked the conversation`
    ReadOnly = "read_only",
    /// `{actor} limited the conversation to the current participants`
    ListableNone = "listable_none",
    /// `{actor} opened the conversation accessible to registered users`
    ListableUsers = "listable_users",
    /// `{actor} opened the conversation accessible to registered and guest app users`
    ListableAll = "listable_all",
    /// `The conversation is now open to everyone`
    LobbyTimerReached = "lobby_timer_reached",
    /// `{actor} opened the conversation to everyone`
    LobbyNone = "lobby_none",
    /// `{actor} restricted the conversation to moderators`
    LobbyNonModerators = "lobby_non_moderators",
    /// `{actor} allowed guests in the conversation`
    GuestsAllowed = "guests_allowed",
    /// `{actor} disallowed guests in the conversation`
    GuestsDisallowed = "guests_disallowed",
    /// `{actor} set a password for the conversation`
    PasswordSet = "password_set",
    /// `{actor} removed the password for the conversation`
    PasswordRemoved = "password_removed",
    /// `{actor} added {user} to the conversation`
    UserAdded = "user_added",
    /// `{actor} removed {user} from the conversation`
    UserRemoved = "user_removed",
    /// `{actor} promoted {user} to moderator`
    ModeratorPromoted = "moderator_promoted",
    /// `{actor} demoted {user} from moderator`
    ModeratorDemoted = "moderator_demoted",
    /// `{actor} promoted {user} (a guest) to moderator`
    GuestModeratorPromoted = "guest_moderator_promoted",
    /// `{actor} demoted {user} (a guest) from moderator`
    GuestModeratorDemoted = "guest_moderator_demoted",
    /// `{actor} deleted a message`; its `parent` is the deleted message.
    MessageDeleted = "message_deleted",
    /// `{actor} edited a message` (Talk 19+); its `parent` is the message as edited.
    MessageEdited = "message_edited",
    /// A reaction: its text is the emoji, its `parent` the message reacted to.
    Reaction = "reaction",
    /// A reaction that was taken back (the `reaction` entry, rewritten).
    ReactionDeleted = "reaction_deleted",
    /// `{actor} deleted a reaction`; its `parent` is the message.
    ReactionRevoked = "reaction_revoked",
}

impl fmt::Display for SystemMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SystemMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SystemMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(SystemMessage::from_code(&code))
    }
}

/// One placeholder value of a rich object string (`messageParameters`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RichParameter {
    /// Object type (`user`, `guest`, `call`, `file`, `geo-location`, …).
    pub kind: String,
    /// Object id (user id, file id, …).
    pub id: String,
    /// What to show in place of the placeholder.
    pub name: String,
    /// The object as received (links, mime types, previews…).
    pub raw: RawJson,
}

impl RichParameter {
    /// The tree reading [`RichParameter::from_text`] is checked against.
    #[cfg(test)]
    fn from_tree(value: &Value) -> RichParameter {
        RichParameter {
            kind: field_str(value, "type").unwrap_or_default(),
            id: field_str(value, "id").unwrap_or_default(),
            name: field_str(value, "name").unwrap_or_default(),
            raw: RawJson::from(value.clone()),
        }
    }
}

/// The fields of a rich parameter read from its text; any value of any kind reads as the tree
/// helpers read it.
#[derive(Default, Deserialize)]
struct ParameterFields<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: LenientStr<'a>,
    #[serde(default, borrow)]
    id: LenientStr<'a>,
    #[serde(default, borrow)]
    name: LenientStr<'a>,
}

impl RichParameter {
    /// The parameter's fields as its tree reads them, `raw` its text.
    fn from_text(text: &RawValue) -> RichParameter {
        typed_or_canonical(text, |raw| {
            let f: LenientObj<ParameterFields<'_>> = serde_json::from_str(raw.get())?;
            let f = f.0.unwrap_or_default();
            let owned = |s: LenientStr<'_>| s.0.map(|c| c.into_owned()).unwrap_or_default();
            Ok(RichParameter {
                kind: owned(f.kind),
                id: owned(f.id),
                name: owned(f.name),
                raw: RawJson::from_raw(raw),
            })
        })
        // Only text a tree cannot hold (nested past its depth) gets here: no fields.
        .unwrap_or_else(|| RichParameter {
            kind: String::new(),
            id: String::new(),
            name: String::new(),
            raw: RawJson::from_raw(text),
        })
    }
}

/// `messageParameters` as sent: an object's entries by name, each as its text; anything else
/// (PHP's `[]` for none) is no parameters. A name given twice keeps its last value, as a tree
/// does.
#[derive(Default)]
struct ParameterTexts<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for ParameterTexts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ParameterTexts<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<LenientStr<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key.0.map(|k| k.into_owned()).unwrap_or_default(), value));
                }
                Ok(ParameterTexts(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ParameterTexts::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(ParameterTexts::default())
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A message's fields read straight from its text, each as leniently as the tree helpers of
/// [`TalkMessage::from_tree`] reads it (`json::tests` checks the readers against them).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MessageFields<'a> {
    #[serde(default)]
    id: LenientInt,
    #[serde(default, borrow)]
    token: LenientStr<'a>,
    #[serde(default, borrow)]
    actor_type: LenientStr<'a>,
    #[serde(default, borrow)]
    actor_id: LenientStr<'a>,
    #[serde(default, borrow)]
    actor_display_name: LenientStr<'a>,
    #[serde(default)]
    timestamp: LenientInt,
    #[serde(default, borrow)]
    system_message: LenientStr<'a>,
    #[serde(default, borrow)]
    message_type: LenientStr<'a>,
    #[serde(default)]
    is_replyable: LenientBool,
    #[serde(default, borrow)]
    reference_id: LenientStr<'a>,
    #[serde(default, borrow)]
    message: LenientStr<'a>,
    #[serde(default, borrow)]
    message_parameters: ParameterTexts<'a>,
    #[serde(default, borrow)]
    parent: Option<&'a RawValue>,
    #[serde(default)]
    last_edit_timestamp: LenientInt,
    /// Only a parent has it: `{"id": …, "deleted": true}` stands for a deleted one.
    #[serde(default)]
    deleted: LenientBool,
}

/// A message's fields as read from its text: none when it is no object.
pub(crate) type MessageRead<'a> = LenientObj<MessageFields<'a>>;

/// A message decoded from its text by [`TalkMessage::from_text`].
#[derive(Debug)]
pub(crate) struct DecodedMessage {
    /// The message.
    pub(crate) message: TalkMessage,
    /// Its text, for the normalized message's `raw`.
    pub(crate) raw: RawJson,
    /// The text of its `parent` object when it is a message about its parent (an edit, a
    /// deletion, a reaction): the edited message's `raw`, the reactions.
    pub(crate) parent_raw: Option<RawJson>,
}

/// The message a reply answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Parent {
    /// The parent was deleted; only its id remains.
    Deleted {
        /// Its id.
        id: i64,
    },
    /// The parent in full (it never has a parent of its own).
    Message {
        /// The parent.
        message: Box<TalkMessage>,
    },
}

impl Parent {
    /// The parent's id, deleted or not.
    pub fn id(&self) -> i64 {
        match self {
            Parent::Deleted { id } => *id,
            Parent::Message { message } => message.id,
        }
    }
}

/// A chat message as the Talk API sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TalkMessage {
    /// Message id (increasing within a server).
    pub id: i64,
    /// Conversation token.
    pub token: String,
    /// `users`, `guests`, `bots`, …
    pub actor_type: String,
    /// Author's id.
    pub actor_id: String,
    /// Author's display name.
    pub actor_display_name: String,
    /// Unix time in seconds.
    pub timestamp: i64,
    /// Which system message this is; `None` for ordinary messages.
    pub system_message: Option<SystemMessage>,
    /// `comment`, `system`, `command`, …
    pub message_type: MessageType,
    /// Whether a reply may be posted to it (`chat-replies` capability).
    pub is_replyable: Option<bool>,
    /// The sender's reference string, when it gave one (`chat-reference-id` capability).
    pub reference_id: Option<String>,
    /// Text with `{placeholders}` (rich object string).
    pub message: String,
    /// Placeholder values, by placeholder name.
    pub message_parameters: BTreeMap<String, RichParameter>,
    /// The message this one replies to.
    pub parent: Option<Parent>,
    /// When it was last edited (Unix seconds), on servers that support editing.
    pub last_edit_timestamp: Option<i64>,
}

impl TalkMessage {
    /// Decodes one message object; the error is the reason, for a protocol-error event. Read
    /// through the message's text by `TalkMessage::from_text`, the one decoder of messages.
    pub fn from_json(value: &Value) -> Result<TalkMessage, String> {
        let text = serde_json::value::to_raw_value(value).map_err(|e| e.to_string())?;
        TalkMessage::from_text(&text).map(|d| d.message)
    }

    /// The tree walk [`TalkMessage::from_text`] is checked against (`message_from_text`): the
    /// reading of every field as the Talk clients' tree helpers do it.
    #[cfg(test)]
    pub(crate) fn from_tree(value: &Value) -> Result<TalkMessage, String> {
        if !value.is_object() {
            return Err("a message is not a JSON object".into());
        }
        let id = field_int(value, "id").ok_or("a message without an integer \"id\"")?;
        let system_message = field_str(value, "systemMessage")
            .filter(|s| !s.is_empty())
            .map(|s| SystemMessage::from_code(&s));
        let message_type = match field_str(value, "messageType") {
            Some(t) => MessageType::from_name(&t),
            None if system_message.is_some() => MessageType::System,
            None => MessageType::Comment,
        };
        // PHP sends an empty parameter list as `[]`, a filled one as an object.
        let message_parameters = match value.get("messageParameters") {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| (k.clone(), RichParameter::from_tree(v)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let parent = match value.get("parent") {
            Some(p) if p.is_object() => {
                if field_bool(p, "deleted") == Some(true) {
                    field_int(p, "id").map(|id| Parent::Deleted { id })
                } else {
                    TalkMessage::from_tree(p).ok().map(|m| Parent::Message {
                        message: Box::new(m),
                    })
                }
            }
            _ => None,
        };
        Ok(TalkMessage {
            id,
            token: field_str(value, "token").unwrap_or_default(),
            actor_type: field_str(value, "actorType").unwrap_or_default(),
            actor_id: field_str(value, "actorId").unwrap_or_default(),
            actor_display_name: field_str(value, "actorDisplayName").unwrap_or_default(),
            timestamp: field_int(value, "timestamp").unwrap_or(0),
            system_message,
            message_type,
            is_replyable: field_bool(value, "isReplyable"),
            reference_id: field_str(value, "referenceId").filter(|r| !r.is_empty()),
            message: field_str(value, "message").unwrap_or_default(),
            message_parameters,
            parent,
            last_edit_timestamp: field_int(value, "lastEditTimestamp").filter(|t| *t > 0),
        })
    }

    /// A message from its text, without a tree: the message [`TalkMessage::from_tree`] reads, the
    /// same reasons for refusing one, and `raw` the text (as a tree would write it).
    pub(crate) fn from_text(text: &RawValue) -> Result<DecodedMessage, String> {
        typed_or_canonical(text, |raw| {
            let f: MessageRead<'_> = serde_json::from_str(raw.get())?;
            Ok(TalkMessage::decoded(f, || RawJson::from_raw(raw)))
        })
        .unwrap_or_else(|| {
            // Text a tree cannot hold (nested past its depth): decoded as the tree path would
            // have refused the body, this message alone.
            Err("a message nested too deeply to read".to_string())
        })
    }

    /// A message read with the list it came in, in one pass ([`super::ocs::read_list`]): its
    /// `text`, and whether that is canonical, found by a scan of the list.
    pub(crate) fn from_read(
        f: MessageRead<'_>,
        text: &str,
        canonical: bool,
    ) -> Result<DecodedMessage, String> {
        TalkMessage::decoded(f, || RawJson::from_span(text, canonical))
    }

    /// The message of the fields read from its text; `raw` gives that text for the app.
    fn decoded(
        f: MessageRead<'_>,
        raw: impl FnOnce() -> RawJson,
    ) -> Result<DecodedMessage, String> {
        let f = f.0.ok_or("a message is not a JSON object")?;
        TalkMessage::from_fields(f).map(|(message, parent)| {
            let parent_raw = parent
                .filter(|_| message.is_about_parent())
                .map(RawJson::from_raw);
            DecodedMessage {
                message,
                raw: raw(),
                parent_raw,
            }
        })
    }

    /// The message of its fields, and its `parent` text when that is an object.
    fn from_fields(f: MessageFields<'_>) -> Result<(TalkMessage, Option<&RawValue>), String> {
        let id = f.id.0.ok_or("a message without an integer \"id\"")?;
        let system_message = f
            .system_message
            .0
            .filter(|s| !s.is_empty())
            .map(|s| SystemMessage::from_code(&s));
        let message_type = match f.message_type.0 {
            Some(t) => MessageType::from_name(&t),
            None if system_message.is_some() => MessageType::System,
            None => MessageType::Comment,
        };
        let message_parameters = f
            .message_parameters
            .0
            .into_iter()
            .map(|(k, v)| (k, RichParameter::from_text(v)))
            .collect();
        let parent_text = f.parent.filter(|p| p.get().starts_with('{'));
        let parent = parent_text.and_then(TalkMessage::parent_of_text);
        let owned = |s: LenientStr<'_>| s.0.map(|c| c.into_owned()).unwrap_or_default();
        Ok((
            TalkMessage {
                id,
                token: owned(f.token),
                actor_type: owned(f.actor_type),
                actor_id: owned(f.actor_id),
                actor_display_name: owned(f.actor_display_name),
                timestamp: f.timestamp.0.unwrap_or(0),
                system_message,
                message_type,
                is_replyable: f.is_replyable.0,
                reference_id: f
                    .reference_id
                    .0
                    .filter(|r| !r.is_empty())
                    .map(|r| r.into_owned()),
                message: owned(f.message),
                message_parameters,
                parent,
                last_edit_timestamp: f.last_edit_timestamp.0.filter(|t| *t > 0),
            },
            parent_text,
        ))
    }

    /// The parent of a reply from its object's text, as [`TalkMessage::from_tree`] reads it.
    fn parent_of_text(text: &RawValue) -> Option<Parent> {
        typed_or_canonical(text, |raw| {
            let f: MessageFields<'_> = serde_json::from_str(raw.get())?;
            Ok(if f.deleted.0 == Some(true) {
                f.id.0.map(|id| Parent::Deleted { id })
            } else {
                TalkMessage::from_fields(f)
                    .ok()
                    .map(|(m, _)| Parent::Message {
                        message: Box::new(m),
                    })
            })
        })
        .flatten()
    }

    /// The typed form of a normalized message this session produced (from its `raw`).
    pub fn from_message(message: &Message) -> Result<TalkMessage, String> {
        let text: Box<RawValue> = message.raw.parse().map_err(|e| e.to_string())?;
        TalkMessage::from_text(&text).map(|d| d.message)
    }

    /// The text with each `{placeholder}` replaced by its parameter's name, mentions
    /// (`{mention-…}`) as `@Name` the way people typed them; unknown placeholders stay as
    /// written. The mention's id stays in `messageParameters` of the raw message.
    pub fn rendered_text(&self) -> String {
        let mut out = String::with_capacity(self.message.len());
        let mut rest = self.message.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) if self.message_parameters.contains_key(&after[..close]) => {
                    let key = &after[..close];
                    if key.starts_with("mention-") {
                        out.push('@');
                    }
                    out.push_str(&self.message_parameters[key].name);
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Whether it is a system message about another message (an edit, a deletion, a
    /// reaction) rather than news of its own: it is reported as an event on its parent.
    pub fn is_about_parent(&self) -> bool {
        matches!(
            self.system_message,
            Some(
                SystemMessage::MessageDeleted
                    | SystemMessage::MessageEdited
                    | SystemMessage::Reaction
                    | SystemMessage::ReactionDeleted
                    | SystemMessage::ReactionRevoked
            )
        )
    }

    /// Whether it counts toward the unread count (system messages and command output do not,
    /// as in Talk itself).
    pub fn counts_as_unread(&self) -> bool {
        match &self.message_type {
            MessageType::Comment => true,
            MessageType::System | MessageType::Command => false,
            MessageType::Other(t) => t != "comment_deleted",
        }
    }

    /// What it carries, in the normalized model.
    pub fn content(&self) -> Content {
        let sole = |kind: &str| {
            let key = self.message.strip_prefix('{')?.strip_suffix('}')?;
            self.message_parameters.get(key).filter(|p| p.kind == kind)
        };
        match &self.message_type {
            MessageType::System => Content::System {
                code: self
                    .system_message
                    .as_ref()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                // Filled in for every reader: the server renders `{actor}` for the others.
                text: self.rendered_text(),
                parameters: RawJson::from(Value::Object(
                    self.message_parameters
                        .iter()
                        .map(|(k, p)| (k.clone(), p.raw.parse().unwrap_or(Value::Null)))
                        .collect(),
                )),
            },
            MessageType::Other(t) if t == "comment_deleted" => Content::Deleted,
            MessageType::Comment | MessageType::Command => {
                // A shared file or location is a comment whose whole text is one placeholder.
                if let Some(file) = sole("file") {
                    Content::Attachment {
                        name: Some(file.name.clone()).filter(|n| !n.is_empty()),
                        raw: file.raw.clone(),
                    }
                } else if let Some(geo) = sole("geo-location") {
                    Content::Location {
                        raw: geo.raw.clone(),
                    }
                } else {
                    Content::Text {
                        text: self.rendered_text(),
                        format: None,
                    }
                }
            }
            MessageType::Other(t) => Content::Unknown {
                kind: t.clone(),
                raw: RawJson::from(Value::String(self.message.clone())),
            },
        }
    }

    /// The normalized message; `own` says whether this client's user wrote it.
    pub fn to_message(&self, raw: Value, own: bool) -> Message {
        self.clone().into_message(RawJson::from(raw), own)
    }

    /// [`TalkMessage::to_message`] of a message no longer needed, with `raw` already made:
    /// its strings move instead of being copied.
    pub(crate) fn into_message(mut self, raw: RawJson, own: bool) -> Message {
        let content = match self.message_type {
            // No placeholder to fill: the text is the message as written (what `content` makes
            // of it, without the copy).
            MessageType::Comment | MessageType::Command if !self.message.contains('{') => {
                Content::Text {
                    text: std::mem::take(&mut self.message),
                    format: None,
                }
            }
            _ => self.content(),
        };
        let reply_to = self.parent.as_ref().map(|p| p.id().to_string());
        Message {
            id: itoa::Buffer::new().format(self.id).to_owned(),
            chat_id: Some(self.token).filter(|t| !t.is_empty()),
            author: Author {
                id: self.actor_id,
                kind: Some(self.actor_type).filter(|k| !k.is_empty()),
                display_name: Some(self.actor_display_name).filter(|n| !n.is_empty()),
            },
            timestamp_ms: Some(self.timestamp.saturating_mul(1000)).filter(|t| *t > 0),
            content,
            edited: self.last_edit_timestamp.is_some(),
            reply_to,
            version: None,
            own,
            raw,
        }
    }
}

/// The reactions of a message object (`reactions` `{emoji: count}`, `reactionsSelf` the
/// reader's own emojis), in the server's order; malformed entries are skipped.
pub(crate) fn reactions_of(value: &Value) -> Vec<Reaction> {
    let own: Vec<&str> = value
        .get("reactionsSelf")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(map) = value.get("reactions").and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(emoji, count)| {
            let count = u32::try_from(count.as_u64()?).ok()?;
            Some(Reaction {
                emoji: emoji.clone(),
                count,
                own: own.contains(&emoji.as_str()),
            })
        })
        .collect()
}
