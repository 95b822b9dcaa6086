//! Events the server sends (`server.*`), decoded into typed params.
//!
//! Every event of the spec has a variant, including those documented without an example (their
//! fields come from the spec's descriptions). Fields are optional unless the event cannot be
//! acted on without them (the `jid` of a call, a message's `message_id`); nested objects keep the
//! fields this version does not type in `extra`, so nothing the server said is lost.

use crate::json::{fill, next_key, LenientStr, OnlyStr};
use crate::tada::client_event::Jsep;
use crate::tada::content::MessageContent;
use crate::tada::lenient;
use crate::tada::with_extra::Lean;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Fields of a nested object that this version does not type, as received.
pub type Extra = BTreeMap<String, Value>;

/// Defines [`ServerEvent`], [`SERVER_EVENT_NAMES`] and [`ServerEvent::name`] from one table, so
/// a wire name is written once.
macro_rules! server_events {
    ($($(#[doc = $doc:literal])* $name:literal => $variant:ident($ty:ty),)*) => {
        /// A server event with typed params, as the `event`/`params` pair of the wire envelope.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(tag = "event", content = "params")]
        #[non_exhaustive]
        pub enum ServerEvent {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant($ty),)*
        }

        /// Every server event name this version decodes, in the spec's order.
        pub const SERVER_EVENT_NAMES: &[&str] = &[$($name),*];

        impl ServerEvent {
            /// The event name on the wire.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ServerEvent::$variant(_) => $name,)*
                }
            }
        }

        /// Decodes the params of the event it names, by name: no buffering of the params to
        /// find their type (an adjacently tagged derive instantiates serde's `Content` for it).
        impl<'de> DeserializeSeed<'de> for ParamsOf<'_> {
            type Value = ServerEvent;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ServerEvent, D::Error> {
                match self.0 {
                    $($name => <$ty>::deserialize(d).map(ServerEvent::$variant),)*
                    other => Err(de::Error::unknown_variant(other, SERVER_EVENT_NAMES)),
                }
            }
        }
    };
}

/// The params of the server event named by the string.
struct ParamsOf<'a>(&'a str);

server_events! {
    /// `server.call.answer`: call parameters (deprecated in favour of `server.call.sdp`).
    "server.call.answer" => CallAnswer(CallAnswer),
    /// `server.call.buzz`: an incoming call is ringing.
    "server.call.buzz" => CallBuzz(CallBuzz),
    /// `server.call.buzzcancel`: the ringing stopped.
    "server.call.buzzcancel" => CallBuzzcancel(CallRef),
    /// `server.call.checkfingerprint`: experimental.
    "server.call.checkfingerprint" => CallCheckfingerprint(CallFingerprint),
    /// `server.call.leave`: a participant left a call.
    "server.call.leave" => CallLeave(CallRef),
    /// `server.call.muteall`: every participant was muted.
    "server.call.muteall" => CallMuteall(CallMute),
    /// `server.call.reject`: a call was rejected.
    "server.call.reject" => CallReject(CallRejected),
    /// `server.call.restart`: a call restarted.
    "server.call.restart" => CallRestart(CallRef),
    /// `server.call.sdp`: the server's session description changed.
    "server.call.sdp" => CallSdp(CallDescription),
    /// `server.call.sound`: a participant was muted or unmuted.
    "server.call.sound" => CallSound(CallMute),
    /// `server.call.state`: the state of a call.
    "server.call.state" => CallState(CallState),
    /// `server.call.talking`: someone started or stopped talking.
    "server.call.talking" => CallTalking(CallTalking),
    /// `server.chat.composing`: someone is typing or recording.
    "server.chat.composing" => ChatComposing(Composing),
    /// `server.chat.deleted`: chats were deleted.
    "server.chat.deleted" => ChatDeleted(ChatsChanged),
    /// `server.chat.draft`: a chat's draft changed.
    "server.chat.draft" => ChatDraft(Draft),
    /// `server.chat.lastread`: read markers and counters changed.
    "server.chat.lastread" => ChatLastread(ChatsChanged),
    /// `server.chat.updated`: chats were created or changed.
    "server.chat.updated" => ChatUpdated(ChatsChanged),
    /// `server.confirm`: the server received the client event with this `confirm_id`.
    "server.confirm" => Confirm(ServerConfirm),
    /// `server.contact.updated`: contacts were created or changed.
    "server.contact.updated" => ContactUpdated(Contacts),
    /// `server.debug`: a debug message.
    "server.debug" => Debug(DebugText),
    /// `server.login`: this account logged in from another device.
    "server.login" => Login(Login),
    /// `server.message.push`: a push notification, for desktop apps.
    "server.message.push" => MessagePush(MessagePush),
    /// `server.message.received`: someone in a chat received messages.
    "server.message.received" => MessageReceived(MessagesReceived),
    /// `server.message.updated`: messages were created, edited or deleted.
    "server.message.updated" => MessageUpdated(MessagesUpdated),
    /// `server.online`: team members online and active calls.
    "server.online" => Online(Online),
    /// `server.processing`: progress of a background operation.
    "server.processing" => Processing(Processing),
    /// `server.remind.deleted`: reminders were deleted.
    "server.remind.deleted" => RemindDeleted(Reminds),
    /// `server.remind.fired`: reminders fired.
    "server.remind.fired" => RemindFired(Reminds),
    /// `server.remind.updated`: reminders were created or changed.
    "server.remind.updated" => RemindUpdated(Reminds),
    /// `server.section.deleted`: contact sections or task projects were deleted.
    "server.section.deleted" => SectionDeleted(Sections),
    /// `server.section.updated`: contact sections or task projects were created or changed.
    "server.section.updated" => SectionUpdated(Sections),
    /// `server.tag.deleted`: tags were deleted.
    "server.tag.deleted" => TagDeleted(Tags),
    /// `server.tag.updated`: tags were created or changed.
    "server.tag.updated" => TagUpdated(Tags),
    /// `server.team.counters`: unread counters of the user's other teams.
    "server.team.counters" => TeamCounters(TeamCounters),
    /// `server.team.deleted`: teams were archived.
    "server.team.deleted" => TeamDeleted(Teams),
    /// `server.team.updated`: teams were created or changed.
    "server.team.updated" => TeamUpdated(Teams),
    /// `server.time`: the server's current time.
    "server.time" => Time(ServerTime),
    /// `server.uisettings`: part of the UI settings changed.
    "server.uisettings" => UiSettings(UiSettings),
    /// `server.upload.updated`: uploads were created or changed.
    "server.upload.updated" => UploadUpdated(Uploads),
    /// `server.warning`: the server could not carry out a client event.
    "server.warning" => Warning(Warning),
}

impl ServerEvent {
    /// Decodes the params of the event `name`.
    ///
    /// `Ok(None)` when this version does not know `name` (the caller keeps the frame raw);
    /// missing or `null` params read as `{}`, since several events have only optional fields.
    pub fn decode(name: &str, params: Option<&Value>) -> Result<Option<ServerEvent>, String> {
        match params {
            None => ServerEvent::decode_text(name, None),
            Some(p) => {
                let text = serde_json::value::to_raw_value(p).map_err(|e| e.to_string())?;
                ServerEvent::decode_text(name, Some(&text))
            }
        }
    }

    /// [`ServerEvent::decode`] straight from the params' text, as the session reads frames.
    pub(crate) fn decode_text(
        name: &str,
        params: Option<&RawValue>,
    ) -> Result<Option<ServerEvent>, String> {
        if !SERVER_EVENT_NAMES.contains(&name) {
            return Ok(None);
        }
        let text = match params.map(RawValue::get) {
            None | Some("null") => "{}",
            Some(t) if t.starts_with('{') => t,
            Some(other) => return Err(format!("{name}: params is not an object: {other}")),
        };
        let decode = |text: &str| {
            let mut d = serde_json::Deserializer::from_str(text);
            let event = ParamsOf(name).deserialize(&mut d)?;
            d.end().map(|()| event)
        };
        // A repeated field (which a tree keeps once, its last value) fails the strict decode;
        // the canonical text decodes as the tree did.
        crate::json::or_canonical(text, decode)
            .map(Some)
            .map_err(|e| format!("{name}: {e}"))
    }
}

impl<'de> Deserialize<'de> for ServerEvent {
    /// Reads `{"event": name, "params": {...}}` as [`Serialize`] writes it. The params are
    /// decoded by name as they are read when `event` comes first; otherwise they wait as a tree.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = ServerEvent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a server event {event, params}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServerEvent, A::Error> {
                let mut name: Option<String> = None;
                let mut early: Option<Value> = None;
                let mut event = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "event" => name = Some(map.next_value()?),
                        "params" => match &name {
                            Some(n) => event = Some(map.next_value_seed(ParamsOf(n))?),
                            None => early = Some(map.next_value()?),
                        },
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let name = name.ok_or_else(|| de::Error::missing_field("event"))?;
                if let Some(event) = event {
                    return Ok(event);
                }
                let params = early.unwrap_or_else(|| Value::Object(Map::new()));
                ParamsOf(&name)
                    .deserialize(params)
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_map(EventVisitor)
    }
}

/// The envelope of a server frame, read without decoding its params: `event`, `confirm_id` and
/// the params' text. Every field reads any value (a wrong kind is absent).
#[derive(Deserialize)]
pub(crate) struct ServerFrame<'a> {
    #[serde(default, borrow)]
    pub(crate) event: OnlyStr<'a>,
    #[serde(default, borrow)]
    pub(crate) params: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(crate) confirm_id: LenientStr<'a>,
}

/// The params of `server.message.updated` as the session reads them, each message as an `M`:
/// its text ([`MessagesUpdatedText`], decoded one by one, so one bad message is reported and
/// the others delivered) or its fields ([`MessagesFrame`]'s one pass); the counters as sent.
#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct MessagesUpdatedParams<'a, M> {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub(crate) badge: Option<i64>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub(crate) chat_counters: Vec<ChatInfo>,
    #[serde(default)]
    pub(crate) messages: Option<Vec<M>>,
    #[serde(default, borrow)]
    pub(crate) team_unread: Option<&'a RawValue>,
}

/// [`MessagesUpdatedParams`] with each message kept as text.
pub(crate) type MessagesUpdatedText<'a> = MessagesUpdatedParams<'a, &'a RawValue>;

/// A `server.message.updated` frame whose `event` came before its `params` (as servers send
/// it), read in one pass: the confirm id and the params, every message typed. Any other frame,
/// and one of these with a repeated field or a message that does not decode, is refused, to
/// be read the slower way (which reports a bad message and delivers the others).
pub(crate) struct MessagesFrame<'a> {
    pub(crate) confirm_id: LenientStr<'a>,
    /// Every message typed, its `extra` left empty (no event uses it); `team_unread` kept as
    /// text, which the session checks as the typed event does only when it differs from the
    /// last it accepted (it repeats on every message).
    pub(crate) params: MessagesUpdatedParams<'a, Lean<MessageInfo>>,
}

const MESSAGES_EVENT: &str = "server.message.updated";

impl<'de: 'a, 'a> Deserialize<'de> for MessagesFrame<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = MessagesFrame<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a server.message.updated frame")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MessagesFrame<'a>, A::Error> {
                let (mut event, mut params, mut confirm_id) = (None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "event" => {
                            fill(&mut map, &mut event, "event", |m| {
                                m.next_value::<OnlyStr<'a>>()
                            })?;
                            if !matches!(&event, Some(OnlyStr(Some(e))) if e == MESSAGES_EVENT) {
                                return Err(de::Error::custom("not server.message.updated"));
                            }
                        }
                        "params" if event.is_some() => {
                            fill(&mut map, &mut params, "params", |m| m.next_value())?
                        }
                        "params" => return Err(de::Error::custom("params before the event")),
                        "confirm_id" => {
                            fill(&mut map, &mut confirm_id, "confirm_id", |m| m.next_value())?
                        }
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(MessagesFrame {
                    confirm_id: confirm_id.unwrap_or_default(),
                    params: params.ok_or_else(|| de::Error::missing_field("params"))?,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The parts of chat events' params kept as sent: each chat object and the team counters.
#[derive(Deserialize)]
pub(crate) struct ChatsText<'a> {
    #[serde(default, borrow)]
    pub(crate) chats: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    pub(crate) team_unread: Option<&'a RawValue>,
}

// ---- calls ----

/// One ICE candidate sent by the server (`candidates[]` of `server.call.answer`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IceCandidate {
    /// The candidate line.
    #[serde(default, deserialize_with = "lenient::string_or_empty")]
    pub candidate: String,
    /// SDP media line index (the wire spells it `sdpMLineIndex`).
    #[serde(
        rename = "sdpMLineIndex",
        default,
        deserialize_with = "lenient::opt_i64"
    )]
    pub sdp_mline_index: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One device of a call participant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallDevice {
    /// Whether the device is muted.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub muted: Option<bool>,
    /// The device's user agent.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub useragent: Option<String>,
    /// Other fields (`browser`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A participant of a call (`onliners[]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallOnliner {
    /// Contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Whether the participant is muted.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub muted: Option<bool>,
    /// The participant's devices in the call.
    #[serde(default, deserialize_with = "lenient::list")]
    pub devices: Vec<CallDevice>,
    /// Other fields (`display_name`, `icons`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.call.answer`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallAnswer {
    /// ICE candidates (when trickle is off).
    #[serde(default, deserialize_with = "lenient::list")]
    pub candidates: Vec<IceCandidate>,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// The server's session description.
    #[serde(default)]
    pub jsep: Option<Jsep>,
    /// Current participants.
    #[serde(default, deserialize_with = "lenient::list")]
    pub onliners: Vec<CallOnliner>,
    /// Call id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params of `server.call.buzz`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallBuzz {
    /// Short information on who is calling, as received.
    #[serde(default, deserialize_with = "lenient::value")]
    pub actor: Value,
    /// Seconds until the ringing stops.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub buzz_timeout: Option<i64>,
    /// Short chat information, as received.
    #[serde(default, deserialize_with = "lenient::value")]
    pub chat: Value,
    /// Chat title.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub display_name: Option<String>,
    /// Chat icons, as received.
    #[serde(default, deserialize_with = "lenient::value")]
    pub icons: Value,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Team uid (deprecated in favour of `teaminfo`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub team: Option<String>,
    /// Short team information, as received.
    #[serde(default, deserialize_with = "lenient::value")]
    pub teaminfo: Value,
    /// Call id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params naming a call: `server.call.buzzcancel`, `server.call.leave`, `server.call.restart`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Team uid, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub team: Option<String>,
    /// Call id, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params of `server.call.checkfingerprint` (experimental, undocumented).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFingerprint {
    /// The fingerprint.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub fingerprint: Option<String>,
}

/// Params of `server.call.muteall` and `server.call.sound`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallMute {
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// The mute state.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub muted: Option<bool>,
}

/// Params of `server.call.reject`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRejected {
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Reason, if any.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub reason: Option<String>,
    /// Call id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params of `server.call.sdp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDescription {
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// The server's session description.
    #[serde(default)]
    pub jsep: Option<Jsep>,
    /// Call id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params of `server.call.state`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    /// Whether the call is being recorded.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub audiorecord: Option<bool>,
    /// Whether the call is ringing.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub buzz: Option<bool>,
    /// Creation time, ISO 8601.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    /// End time, ISO 8601; `None` while the call goes on.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub finish: Option<String>,
    /// Version of this state.
    #[serde(default, deserialize_with = "lenient::opt_version")]
    pub gentime: Option<i64>,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Participants.
    #[serde(default, deserialize_with = "lenient::list")]
    pub onliners: Vec<CallOnliner>,
    /// Start time, ISO 8601; empty for a direct call still ringing.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub start: Option<String>,
    /// Deprecated timestamp (use `gentime` or `created`).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub timestamp: Option<i64>,
    /// Call id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

/// Params of `server.call.talking`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTalking {
    /// Who is talking.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub actor: Option<String>,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Whether they are talking now.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub talking: Option<bool>,
}

// ---- chats ----

/// Unread counts of one kind of chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCount {
    /// Chats with unread messages.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub chats: Option<i64>,
    /// Unread messages.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub messages: Option<i64>,
}

/// Unread counters of a team by kind of chat (`team_unread`, `teams[].unread`).
///
/// Deserialized by hand (`with_extra.rs`): a derived `flatten` buffers the whole object first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TeamUnread {
    /// Direct chats.
    pub direct: Option<UnreadCount>,
    /// Group chats.
    pub group: Option<UnreadCount>,
    /// Tasks.
    pub task: Option<UnreadCount>,
    /// Other kinds.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A chat as the server describes it: full in `server.chat.updated`, counters only in
/// `server.chat.lastread` and `chat_counters`, a stub in `server.chat.deleted`.
///
/// Deserialized by hand (`with_extra.rs`): a derived `flatten` buffers the whole object first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatInfo {
    /// Chat id (`d-`, `g-`, `t-`, `m-`, `th-` JID).
    pub jid: String,
    /// `direct`, `group`, `task`, …
    pub chat_type: Option<String>,
    /// Version of this chat object; an older one must not overwrite a newer one.
    pub gentime: Option<i64>,
    /// Title.
    pub display_name: Option<String>,
    /// Unread messages.
    pub num_unread: Option<i64>,
    /// Unread notices (mentions).
    pub num_unread_notices: Option<i64>,
    /// Newest message read by this user.
    pub last_read_message_id: Option<String>,
    /// Whether the chat is archived.
    pub is_archive: Option<bool>,
    /// Other fields (`icons`, `description`, `num_members`, `status`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.chat.updated`, `server.chat.lastread` and `server.chat.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatsChanged {
    /// Total unread count, when sent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub badge: Option<i64>,
    /// The chats.
    #[serde(default, deserialize_with = "lenient::list")]
    pub chats: Vec<ChatInfo>,
    /// The team's counters, when sent.
    #[serde(default)]
    pub team_unread: Option<TeamUnread>,
}

/// Params of `server.chat.composing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composing {
    /// Who is typing.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub actor: Option<String>,
    /// `true` when typing or recording starts, `false` when it stops.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub composing: Option<bool>,
    /// `true` for an audio message, `false` for text.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_audio: Option<bool>,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Until when the indication holds without a new event.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub valid_until: Option<String>,
}

/// Params of `server.chat.draft`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Draft text.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub draft: Option<String>,
    /// Version of the draft.
    #[serde(default, deserialize_with = "lenient::opt_version")]
    pub draft_gentime: Option<i64>,
    /// Deprecated draft counter.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub draft_num: Option<i64>,
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
}

/// Params of `server.confirm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfirm {
    /// The `confirm_id` of the client event being confirmed.
    #[serde(deserialize_with = "lenient::string")]
    pub confirm_id: String,
}

// ---- contacts, account ----

/// A team member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Contact id (`d-` JID).
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Name to show.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub display_name: Option<String>,
    /// Role in the team, as free text.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub role: Option<String>,
    /// Membership status (`member`, `admin`, `owner`, …).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Other fields (`icons`, `contact_phone`, permissions, settings, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.contact.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contacts {
    /// The contacts.
    #[serde(default, deserialize_with = "lenient::list")]
    pub contacts: Vec<Contact>,
}

/// Params of `server.debug`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugText {
    /// The debug message.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub text: Option<String>,
}

/// Params of `server.login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Name of the other device.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub device_name: Option<String>,
}

// ---- messages ----

/// Params of `server.message.push`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePush {
    /// Chat id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub chat: Option<String>,
    /// URL to open on click.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub click_action: Option<String>,
    /// Message creation time, ISO 8601.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    /// Absolute URL of the push icon.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub icon_url: Option<String>,
    /// Push body.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    /// Message id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message_id: Option<String>,
    /// Sender contact id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sender: Option<String>,
    /// Push subtitle.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub subtitle: Option<String>,
    /// Push tag (for join pushes).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tag: Option<String>,
    /// Team uid.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub team: Option<String>,
    /// Push title.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub title: Option<String>,
}

/// One item of `server.message.received`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// Chat id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub chat: Option<String>,
    /// Message id.
    #[serde(deserialize_with = "lenient::string")]
    pub message_id: String,
    /// How many received it.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub num_received: Option<i64>,
    /// Whether anybody in the chat received it.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub received: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.message.received`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessagesReceived {
    /// The messages.
    #[serde(default, deserialize_with = "lenient::list")]
    pub messages: Vec<ReceivedMessage>,
}

/// A chat message as the server sends it.
///
/// Deserialized by hand (`with_extra.rs`): a derived `flatten` buffers the whole object first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageInfo {
    /// Message id (made by the sending client, or by the server).
    pub message_id: String,
    /// Chat id, as this user sees the chat (a direct chat is named after the other side).
    pub chat: Option<String>,
    /// `direct`, `group`, `task`, …
    pub chat_type: Option<String>,
    /// Sender JID.
    pub from: Option<String>,
    /// Recipient JID.
    pub to: Option<String>,
    /// What it says; type `deleted` for a deleted message.
    pub content: Option<MessageContent>,
    /// Creation time, ISO 8601.
    pub created: Option<String>,
    /// Time of the last edit or the deletion, ISO 8601.
    pub edited: Option<String>,
    /// Version of this message object.
    pub gentime: Option<i64>,
    /// The message replied to (an object, or its id), as received.
    pub reply_to: Value,
    /// Other fields (`linked_messages`, `links`, `reactions`, `editable_until`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.message.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessagesUpdated {
    /// Total unread count, if it changed.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub badge: Option<i64>,
    /// Counters of the chats concerned.
    #[serde(default, deserialize_with = "lenient::list")]
    pub chat_counters: Vec<ChatInfo>,
    /// `true` for a silent update, `false` for a new message.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub delayed: Option<bool>,
    /// The messages that decoded; the session reports each one that did not.
    #[serde(default, deserialize_with = "lenient::list_of_good")]
    pub messages: Vec<MessageInfo>,
    /// The team's counters, when sent.
    #[serde(default)]
    pub team_unread: Option<TeamUnread>,
}

// ---- presence, background work ----

/// An active call in `server.online`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnlineCall {
    /// Chat or contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Call id, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A team member online in `server.online`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnlineContact {
    /// Contact id.
    #[serde(deserialize_with = "lenient::string")]
    pub jid: String,
    /// Away from keyboard.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub afk: Option<bool>,
    /// Online from a mobile device.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub mobile: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.online`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Online {
    /// Active calls.
    #[serde(default, deserialize_with = "lenient::list")]
    pub calls: Vec<OnlineCall>,
    /// Team members online.
    #[serde(default, deserialize_with = "lenient::list")]
    pub contacts: Vec<OnlineContact>,
}

/// Params of `server.processing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Processing {
    /// Action name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub action: Option<String>,
    /// Whether it failed.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub has_error: Option<bool>,
    /// Message.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    /// Current item.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub num: Option<i64>,
    /// Total items.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
}

// ---- reminders, sections, tags ----

/// A task or group reminder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Remind {
    /// Reminder id.
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// Chat id, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub chat: Option<String>,
    /// When it fires, ISO 8601.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub fire_at: Option<String>,
    /// Comment, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub comment: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.remind.deleted`, `server.remind.fired` and `server.remind.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reminds {
    /// The reminders.
    #[serde(default, deserialize_with = "lenient::list")]
    pub reminds: Vec<Remind>,
}

/// A contact section or task project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Section id.
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// Name, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Version, when given.
    #[serde(default, deserialize_with = "lenient::opt_version")]
    pub gentime: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.section.deleted` and `server.section.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sections {
    /// `direct` (contact sections) or `task` / `group` (projects).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub chat_type: Option<String>,
    /// Deprecated version.
    #[serde(default, deserialize_with = "lenient::opt_version")]
    pub gentime: Option<i64>,
    /// The sections.
    #[serde(default, deserialize_with = "lenient::list")]
    pub sections: Vec<Section>,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag id.
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// Name, when given.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.tag.deleted` and `server.tag.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tags {
    /// The tags.
    #[serde(default, deserialize_with = "lenient::list")]
    pub tags: Vec<Tag>,
}

// ---- teams ----

/// Unread counters of one of the user's teams.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamCounter {
    /// Team uid.
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// Its counters.
    #[serde(default)]
    pub unread: Option<TeamUnread>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.team.counters`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamCounters {
    /// Total unread count, when sent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub badge: Option<i64>,
    /// Counters per team.
    #[serde(default, deserialize_with = "lenient::list")]
    pub teams: Vec<TeamCounter>,
}

/// A team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// Team uid.
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Whether it is archived.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_archive: Option<bool>,
    /// This user as a member of the team (its `jid` is this user's JID here).
    #[serde(default)]
    pub me: Option<Contact>,
    /// The team's counters.
    #[serde(default)]
    pub unread: Option<TeamUnread>,
    /// Other fields (`icons`, settings, permissions, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.team.deleted` and `server.team.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Teams {
    /// The teams.
    #[serde(default, deserialize_with = "lenient::list")]
    pub teams: Vec<Team>,
}

// ---- misc ----

/// Params of `server.time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTime {
    /// The server's time, ISO 8601.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub time: Option<String>,
}

/// Params of `server.uisettings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UiSettings {
    /// The changed settings (`UiSettingsData`: free-form keys such as `last-tab`), as received.
    #[serde(default, deserialize_with = "lenient::value")]
    pub data: Value,
    /// Namespace (`web`, `app`, …).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub namespace: Option<String>,
}

/// An uploaded file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    /// Upload id (what `client.message.updated` lists in `uploads`).
    #[serde(deserialize_with = "lenient::string")]
    pub uid: String,
    /// File name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub size: Option<i64>,
    /// Download URL.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// MIME type.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub content_type: Option<String>,
    /// Other fields (`preview`, `duration`, `processing`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Params of `server.upload.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Uploads {
    /// The uploads.
    #[serde(default, deserialize_with = "lenient::list")]
    pub uploads: Vec<Upload>,
}

/// Params of `server.warning`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// What went wrong.
    #[serde(default, deserialize_with = "lenient::string_or_empty")]
    pub message: String,
    /// The client event concerned, as the server echoes it.
    #[serde(default, deserialize_with = "lenient::value")]
    pub orig: Value,
}

impl Warning {
    /// The `confirm_id` of the client event the warning is about, when echoed.
    pub fn confirm_id(&self) -> Option<String> {
        crate::json::field_str(&self.orig, "confirm_id")
    }
}
