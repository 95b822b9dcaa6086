//! Nextcloud Talk chat over HTTPS (OCS REST API).
//!
//! The transport is plain HTTP: [`TalkSession`] emits [`crate::Transmit::Http`] requests (paths below
//! the server's base URL, under [`API_BASE`]) and takes their answers through
//! `handle_http_response`; it never performs I/O. Each joined room runs a receive loop: one
//! history page, then long-polls (`lookIntoFuture=1`) whose cursor is the last
//! `X-Chat-Last-Given`. Failures back off exponentially with seeded jitter, because retrying at
//! once (as the official mobile apps do) turns a struggling server's 429s and 503s into storms.
//!
//! ```
//! use chatwire::talk::{TalkConfig, TalkSession};
//! use chatwire::{Session as _, Timestamp, Transmit};
//!
//! let mut talk = TalkSession::new(TalkConfig::new("alice", "app-password"));
//! talk.join_room(Timestamp(0), "room-ab").unwrap();
//! let Some(Transmit::Http(req)) = talk.poll_transmit() else { panic!() };
//! assert!(req.path.starts_with("/ocs/v2.php/apps/spreed/api/v1/chat/room-ab?lookIntoFuture=0"));
//! ```

mod capabilities;
mod config;
mod conversation;
mod mention;
mod message;
#[cfg(test)]
mod message_from_text;
mod ocs;
mod request;
mod room;
mod session;
mod snapshot;

pub use capabilities::{
    TalkCapabilities, CAPABILITIES_PATH, FEATURE_DELETE, FEATURE_EDIT, FEATURE_REACTIONS,
};
pub use config::{TalkConfig, DEFAULT_MAX_LENGTH, MAX_HISTORY_LIMIT, MAX_POLL_TIMEOUT_SECS};
pub use conversation::{ROOM_API_BASE, ROOM_LIST_INTERVAL_SECS};
pub use mention::Mention;
pub use message::{MessageType, Parent, RichParameter, SystemMessage, TalkMessage};
pub use ocs::HttpError;
pub use request::API_BASE;
pub use session::{PendingSend, TalkSession};
pub use snapshot::{OutgoingMessage, RoomSnapshot, TalkSnapshot};
