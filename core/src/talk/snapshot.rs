//! Talk state that outlives the process: cursors, read markers and unconfirmed messages.

use super::room::Unread;
use serde::{Deserialize, Serialize};

/// Everything a restarted app needs to resume without replaying or losing history.
///
/// Taken with [`super::TalkSession::snapshot`], given back to [`super::TalkSession::restore`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TalkSnapshot {
    /// Format version, for future migrations.
    pub version: u32,
    /// The rooms being received.
    pub rooms: Vec<RoomSnapshot>,
    /// Messages sent but not confirmed, oldest first.
    pub outgoing: Vec<OutgoingMessage>,
}

/// One joined room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomSnapshot {
    /// Conversation token.
    pub token: String,
    /// Long-poll cursor (the last `X-Chat-Last-Given`); `None` when the history was not read yet.
    pub last_given: Option<i64>,
    /// Oldest message fetched, where the next older page starts.
    pub oldest_known: Option<i64>,
    /// The last `X-Chat-Last-Common-Read`.
    pub last_common_read: Option<i64>,
    /// This user's read marker.
    pub last_read: Option<i64>,
    /// Unread messages after the marker.
    pub unread: Unread,
}

/// A message the app asked to send that the server has not confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutgoingMessage {
    /// Conversation token.
    pub token: String,
    /// The text.
    pub text: String,
    /// Its idempotency key: a resend carries the same one, so its echo is recognized.
    pub reference_id: String,
    /// The message it replies to.
    pub reply_to: Option<i64>,
    /// Sent without notifying the other participants.
    pub silent: bool,
    /// Whether it was handed to the host at least once (it may already be on the server).
    pub maybe_delivered: bool,
}
