//! The part of a tada session that outlives the process.

use crate::boxed_map::BoxedMap;
use crate::dedupe::SeenSet;
use crate::ids::RequestId;
use crate::read_state::ReadStates;
use crate::tada::client_event::ClientEvent;
use crate::tada::recent::Recent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a tada session must remember across a process restart, serializable.
///
/// Taken with [`crate::tada::TadaSession::snapshot`] and handed to
/// [`crate::tada::TadaSession::restore`]: read states keep their gentimes (so a stale update after
/// the restart still loses), unconfirmed outgoing events are sent again on the next connection
/// under their old request ids, confirm ids and message ids (so the server's upsert by
/// `message_id` makes the resend harmless), and redelivered messages are still recognised.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TadaSnapshot {
    /// Read state per chat, each with the gentime it was last set from.
    pub read_states: ReadStates,
    /// Total unread count, as last received.
    pub badge: Option<i64>,
    /// The team's counters, as last received.
    pub team_unread: Value,
    /// This user's JID, once learned.
    pub me: Option<String>,
    /// Events sent or queued and not yet confirmed, oldest first.
    pub outgoing: Vec<OutgoingEvent>,
    /// Keys (`message_id@gentime`) of messages already delivered to the app.
    pub(crate) seen: SeenSet,
    /// Newest gentime delivered per message.
    pub(crate) message_versions: Recent<i64>,
    /// Newest gentime per chat, and whether the chat was deleted.
    pub(crate) chats: Recent<ChatMark>,
    /// Message ids this client made (its own messages).
    pub(crate) sent_ids: SeenSet,
    /// Newest message per chat, for the optimistic read marker.
    pub(crate) last_messages: BoxedMap<String, String>,
    /// Newest message `gentime` delivered: the catch-up after a restart starts there.
    pub(crate) catchup_cursor: Option<i64>,
}

/// One outgoing event waiting for `server.confirm`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutgoingEvent {
    /// The id the command returned; a restored session answers under it.
    pub request: RequestId,
    /// The event's `confirm_id`, reused on every resend.
    pub confirm_id: String,
    /// The event.
    pub event: ClientEvent,
    /// How many times it was sent so far.
    pub attempts: u32,
    /// Whether it edits an existing message (rather than sending a new one).
    #[serde(default)]
    pub edit: bool,
}

/// What is known of a chat's version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChatMark {
    /// Newest gentime seen for the chat.
    pub(crate) gentime: Option<i64>,
    /// Whether the newest news was its deletion.
    pub(crate) removed: bool,
}
