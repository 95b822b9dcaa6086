//! tada.team messenger over WebSocket (`/messaging/{team}`).
//!
//! [`TadaSession`] is the sans-IO state machine; [`ClientEvent`] and [`ServerEvent`] are every event
//! of the spec, typed; [`inspect_tada`] looks at one frame in isolation.
//!
//! ```
//! use chatwire::tada::{TadaConfig, TadaSession, SendMessage};
//! use chatwire::{Session as _, Timestamp, Transmit};
//!
//! let mut session = TadaSession::new(TadaConfig::new("team-uid", "api-token"));
//! session.connect(Timestamp(0)).unwrap();
//! assert!(matches!(session.poll_transmit(), Some(Transmit::Connect(_))));
//! session.handle_connected(Timestamp(10));
//! let id = session
//!     .send_message(Timestamp(20), SendMessage::text("g-1", "hello"))
//!     .unwrap();
//! let Some(Transmit::Frame { text }) = session.poll_transmit() else { panic!() };
//! assert!(text.contains("client.message.updated"));
//! # let _ = id;
//! ```

mod catchup;
mod client_event;
mod config;
mod content;
mod inspect;
pub(crate) mod lenient;
mod normalize;
mod recent;
mod server_event;
mod session;
mod snapshot;
mod with_extra;

pub use client_event::{
    confirm_frame, Activity, CallJid, CallOffer, CallReason, CallSdp, CallSound, CallTrickle,
    ChatComposing, ChatLastread, ClientEvent, ClientFrame, Confirm, Jsep, MessageDeleted,
    SendMessage,
};
pub use config::TadaConfig;
pub use content::MessageContent;
pub use inspect::inspect_tada;
pub use server_event::{
    CallAnswer, CallBuzz, CallDescription, CallDevice, CallFingerprint, CallMute, CallOnliner,
    CallRef, CallRejected, CallState, CallTalking, ChatInfo, ChatsChanged, Composing, Contact,
    Contacts, DebugText, Draft, Extra, IceCandidate, Login, MessageInfo, MessagePush,
    MessagesReceived, MessagesUpdated, Online, OnlineCall, OnlineContact, Processing,
    ReceivedMessage, Remind, Reminds, Section, Sections, ServerConfirm, ServerEvent, ServerTime,
    Tag, Tags, Team, TeamCounter, TeamCounters, TeamUnread, Teams, UiSettings, UnreadCount, Upload,
    Uploads, Warning, SERVER_EVENT_NAMES,
};
pub use session::TadaSession;
pub use snapshot::{OutgoingEvent, TadaSnapshot};
