//! Limits shared by every session.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bounds that keep a session's memory and latency finite whatever the peer does.
///
/// Exceeding one is a typed error ([`crate::Error`]), never a panic or an unbounded queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest incoming frame or HTTP body accepted, in bytes.
    pub max_frame_bytes: u32,
    /// Most requests in flight at once; one more is refused with [`crate::Error::TooManyPending`].
    pub max_pending_requests: u32,
    /// Most transmits or events queued and not yet polled by the host.
    pub max_queued: u32,
    /// How long a request waits for its response before it resolves with [`crate::Error::Timeout`].
    pub request_timeout: Duration,
    /// How many incoming message keys are remembered to drop redeliveries.
    pub dedupe_window: u32,
    /// Most [`crate::Event::ProtocolError`] events queued and not yet polled (in practice: per
    /// input, since the host drains after each). Past it, the rest are counted in one
    /// [`crate::Event::ProtocolErrorsDropped`] instead, so one body of a million bad items costs
    /// one event more, not a million.
    pub max_protocol_errors_queued: u32,
    /// Most chats whose per-chat state (read state, TrueConf's chat list, tada's newest message
    /// per chat) is kept. Past it the least recently touched chat's state is forgotten and
    /// reported with [`crate::Event::ChatStateEvicted`]; its messages are still delivered, and
    /// its state is learned again from the server when it next speaks of the chat.
    pub max_chats: u32,
    /// Most bytes of a server's text kept inside an error or event: an HTTP error body
    /// ([`crate::Error::Http`], Talk's `BadRequest`) or the raw frame of a
    /// [`crate::Event::ProtocolError`]. Enough for any server's explanation, while a hostile
    /// multi-megabyte error page is not held whole for as long as the app keeps the error.
    /// A longer text is cut on a character boundary and ends with `… (cut at N of M bytes)`,
    /// M being the size of the whole text.
    pub max_error_body_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 4 * 1024 * 1024,
            max_pending_requests: 1024,
            max_queued: 65_536,
            request_timeout: Duration::from_secs(30),
            dedupe_window: 4096,
            max_protocol_errors_queued: 256,
            max_chats: 10_000,
            max_error_body_bytes: 64 * 1024,
        }
    }
}
