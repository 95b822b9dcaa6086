//! Events this client sends (`client.*`): typed params and their wire encoding.
//!
//! Params structs list their fields in the order the spec shows them (alphabetical), and frames
//! are written field by field rather than through a `serde_json::Value` map, so a frame's bytes
//! do not depend on serde_json's `preserve_order` feature being switched on elsewhere in a build.

use crate::tada::content::MessageContent;
use crate::tada::lenient;
use serde::{Deserialize, Serialize};

/// A client event with its params, as the `event`/`params` pair of the wire envelope.
///
/// `Deserialize` is written by hand (below), the same shape as the derived serializer's.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", content = "params")]
#[non_exhaustive]
pub enum ClientEvent {
    /// `client.activity`: away-from-keyboard status changed.
    #[serde(rename = "client.activity")]
    Activity(Activity),
    /// `client.call.buzzcancel`: stop ringing.
    #[serde(rename = "client.call.buzzcancel")]
    CallBuzzcancel(CallJid),
    /// `client.call.leave`: leave a call.
    #[serde(rename = "client.call.leave")]
    CallLeave(CallReason),
    /// `client.call.muteall`: mute every other participant.
    #[serde(rename = "client.call.muteall")]
    CallMuteall(CallJid),
    /// `client.call.offer`: start or join a call.
    #[serde(rename = "client.call.offer")]
    CallOffer(CallOffer),
    /// `client.call.reject`: decline a call.
    #[serde(rename = "client.call.reject")]
    CallReject(CallReason),
    /// `client.call.sdp`: the local session description changed.
    #[serde(rename = "client.call.sdp")]
    CallSdp(CallSdp),
    /// `client.call.sound`: mute or unmute this client in a call.
    #[serde(rename = "client.call.sound")]
    CallSound(CallSound),
    /// `client.call.trickle`: one ICE candidate.
    #[serde(rename = "client.call.trickle")]
    CallTrickle(CallTrickle),
    /// `client.chat.composing`: typing or recording started or stopped.
    #[serde(rename = "client.chat.composing")]
    ChatComposing(ChatComposing),
    /// `client.chat.lastread`: the read marker of a chat moved.
    #[serde(rename = "client.chat.lastread")]
    ChatLastread(ChatLastread),
    /// `client.confirm`: a server event carrying `confirm_id` was received.
    #[serde(rename = "client.confirm")]
    Confirm(Confirm),
    /// `client.message.deleted`: delete a message.
    #[serde(rename = "client.message.deleted")]
    MessageDeleted(MessageDeleted),
    /// `client.message.updated`: send a new message or edit one (keyed by `message_id`).
    #[serde(rename = "client.message.updated")]
    MessageUpdated(SendMessage),
    /// `client.ping`: liveness probe, no params.
    #[serde(rename = "client.ping")]
    Ping,
}

impl ClientEvent {
    /// The event name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            ClientEvent::Activity(_) => "client.activity",
            ClientEvent::CallBuzzcancel(_) => "client.call.buzzcancel",
            ClientEvent::CallLeave(_) => "client.call.leave",
            ClientEvent::CallMuteall(_) => "client.call.muteall",
            ClientEvent::CallOffer(_) => "client.call.offer",
            ClientEvent::CallReject(_) => "client.call.reject",
            ClientEvent::CallSdp(_) => "client.call.sdp",
            ClientEvent::CallSound(_) => "client.call.sound",
            ClientEvent::CallTrickle(_) => "client.call.trickle",
            ClientEvent::ChatComposing(_) => "client.chat.composing",
            ClientEvent::ChatLastread(_) => "client.chat.lastread",
            ClientEvent::Confirm(_) => "client.confirm",
            ClientEvent::MessageDeleted(_) => "client.message.deleted",
            ClientEvent::MessageUpdated(_) => "client.message.updated",
            ClientEvent::Ping => "client.ping",
        }
    }

    /// Whether the session sends this event with a `confirm_id` and waits for `server.confirm`.
    ///
    /// These are the events whose loss the app would notice (a message, a deletion, a read
    /// marker) and the liveness probe. Call signalling and typing are transient: resending a
    /// stale ICE candidate or "typing" seconds later would do harm, so they go once, unconfirmed.
    pub fn expects_confirm(&self) -> bool {
        matches!(
            self,
            ClientEvent::Ping
                | ClientEvent::MessageUpdated(_)
                | ClientEvent::MessageDeleted(_)
                | ClientEvent::ChatLastread(_)
        )
    }

    /// The text frame for this event, with `confirm_id` in the envelope when given.
    pub fn encode(&self, confirm_id: Option<&str>) -> String {
        // Written from borrows: the event is not copied into a frame to be serialized.
        let frame = ClientFrameRef {
            confirm_id,
            event: self,
        };
        serde_json::to_string(&frame).unwrap_or_default()
    }
}

/// Why by hand: the derived adjacently tagged decoder buffers `params` in serde's `Content` when
/// it comes before `event`, and so instantiates every params type twice more (from `Content`
/// and from each input); here the params are decoded once, from a [`serde_json::Value`], by one
/// non-generic function (issue 11: ~30 KB of the npm wasm). The shape is the serializer's:
/// `{"event": NAME, "params": PARAMS}`, `params` absent for `client.ping`, other keys ignored.
impl<'de> Deserialize<'de> for ClientEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Tagged {
            event: String,
            #[serde(default)]
            params: serde_json::Value,
        }
        let tagged = Tagged::deserialize(deserializer)?;
        ClientEvent::from_tagged(&tagged.event, tagged.params).map_err(serde::de::Error::custom)
    }
}

impl ClientEvent {
    /// The event named `name` with `params` decoded as its params type.
    fn from_tagged(name: &str, params: serde_json::Value) -> Result<ClientEvent, String> {
        use serde_json::from_value as p;
        let event = match name {
            "client.activity" => p(params).map(ClientEvent::Activity),
            "client.call.buzzcancel" => p(params).map(ClientEvent::CallBuzzcancel),
            "client.call.leave" => p(params).map(ClientEvent::CallLeave),
            "client.call.muteall" => p(params).map(ClientEvent::CallMuteall),
            "client.call.offer" => p(params).map(ClientEvent::CallOffer),
            "client.call.reject" => p(params).map(ClientEvent::CallReject),
            "client.call.sdp" => p(params).map(ClientEvent::CallSdp),
            "client.call.sound" => p(params).map(ClientEvent::CallSound),
            "client.call.trickle" => p(params).map(ClientEvent::CallTrickle),
            "client.chat.composing" => p(params).map(ClientEvent::ChatComposing),
            "client.chat.lastread" => p(params).map(ClientEvent::ChatLastread),
            "client.confirm" => p(params).map(ClientEvent::Confirm),
            "client.message.deleted" => p(params).map(ClientEvent::MessageDeleted),
            "client.message.updated" => p(params).map(ClientEvent::MessageUpdated),
            "client.ping" => Ok(ClientEvent::Ping),
            other => return Err(format!("unknown client event `{other}`")),
        };
        event.map_err(|e| format!("{name}: {e}"))
    }
}

/// [`ClientFrame`] borrowed, for writing one; the same text.
#[derive(Serialize)]
struct ClientFrameRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm_id: Option<&'a str>,
    #[serde(flatten)]
    event: &'a ClientEvent,
}

/// A whole client frame: the optional `confirm_id` beside the event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// The id the server echoes in `server.confirm`; absent on unconfirmed events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_id: Option<String>,
    /// The event and its params.
    #[serde(flatten)]
    pub event: ClientEvent,
}

impl ClientFrame {
    /// The JSON text of this frame.
    pub fn encode(&self) -> String {
        // Serializing plain structs and strings cannot fail; the fallback only keeps this total.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Decodes a client frame (the simulator's side, captures, tests).
    pub fn decode(text: &str) -> Result<ClientFrame, String> {
        let value = crate::json::parse_lenient(text)?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

/// The `client.confirm` frame answering a server event that carried `confirm_id`.
pub fn confirm_frame(confirm_id: &str) -> String {
    ClientEvent::Confirm(Confirm {
        confirm_id: confirm_id.to_string(),
    })
    .encode(None)
}

/// Params of `client.activity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Whether the user is away from the keyboard.
    pub afk: bool,
}

/// Params naming only the chat or contact of a call (`buzzcancel`, `muteall`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallJid {
    /// Chat or contact id.
    pub jid: String,
}

/// Params of `client.call.leave` and `client.call.reject`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallReason {
    /// Chat or contact id.
    pub jid: String,
    /// Reason, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Params of `client.call.offer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallOffer {
    /// Chat or contact id.
    pub jid: String,
    /// Whether the microphone starts muted.
    pub muted: bool,
    /// SDP offer.
    pub sdp: String,
    /// Whether ICE candidates follow as `client.call.trickle`.
    pub trickle: bool,
}

/// A session description (JSEP): SDP text and its type (`offer`, `answer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jsep {
    /// SDP text.
    #[serde(default, deserialize_with = "lenient::string_or_empty")]
    pub sdp: String,
    /// `offer` or `answer`.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "lenient::string_or_empty"
    )]
    pub kind: String,
}

/// Params of `client.call.sdp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSdp {
    /// Chat or contact id.
    pub jid: String,
    /// The new session description.
    pub jsep: Jsep,
    /// Call id.
    pub uid: String,
}

/// Params of `client.call.sound`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSound {
    /// Chat or contact id.
    pub jid: String,
    /// Whether this client is muted.
    pub muted: bool,
}

/// Params of `client.call.trickle`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTrickle {
    /// ICE candidate line.
    pub candidate: String,
    /// Chat or contact id.
    pub jid: String,
    /// SDP media id.
    pub sdp_mid: String,
    /// SDP media line index.
    pub sdp_mline_index: i64,
}

/// Params of `client.chat.composing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatComposing {
    /// `true` when typing or recording starts, `false` when it stops.
    #[serde(default)]
    pub composing: bool,
    /// Draft text to keep on the server, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// `true` for an audio message being recorded, `false` for text being typed.
    #[serde(default)]
    pub is_audio: bool,
    /// Chat or contact id.
    pub jid: String,
}

/// Params of `client.chat.lastread`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLastread {
    /// Chat or contact id.
    pub jid: String,
    /// Newest message read; absent means the last message of the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_message_id: Option<String>,
}

/// Params of `client.confirm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirm {
    /// The `confirm_id` of the server event being confirmed.
    pub confirm_id: String,
}

/// Params of `client.message.deleted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDeleted {
    /// The message to delete.
    pub message_id: String,
}

/// Params of `client.message.updated`: a new message, or an edit when `message_id` names an
/// existing one.
///
/// `message_id` is made by the client (the session fills in a UUID when it is `None`), which is
/// what makes a resend idempotent: the server upserts by it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendMessage {
    /// Deprecated free-text comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the message says. Required.
    pub content: MessageContent,
    /// The important flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub important: bool,
    /// Forwarded messages, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_messages: Vec<String>,
    /// Client-made message id (a UUID); the session makes one when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Disable link previews.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nopreview: bool,
    /// Backward-compatible attachment mode.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub old_style_attachment: bool,
    /// The message this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Chat, task or contact JID. Required.
    pub to: String,
    /// Attachments, by upload id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<String>,
}

impl SendMessage {
    /// A message with `content` to `to`, every option at its default.
    pub fn new(to: impl Into<String>, content: MessageContent) -> Self {
        SendMessage {
            comment: None,
            content,
            important: false,
            linked_messages: Vec::new(),
            message_id: None,
            nopreview: false,
            old_style_attachment: false,
            reply_to: None,
            to: to.into(),
            uploads: Vec::new(),
        }
    }

    /// A plain-text message to `to`.
    pub fn text(to: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(to, MessageContent::plain(text))
    }
}
