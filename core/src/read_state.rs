//! Read state per chat: unread counts and read markers, ordered by server versions.
//!
//! Unread badges drift when a late, older update overwrites a newer one, or when a local change
//! and the server's answer race. Every protocol funnels read-state changes through [`ReadStates`],
//! which drops stale updates and reports only real changes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What is known of one chat's read state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// Messages not yet read by this user.
    pub unread: Option<u32>,
    /// Unread notices (tada `num_unread_notices`).
    pub unread_notices: Option<u32>,
    /// Newest message this user has read.
    pub last_read_message_id: Option<String>,
    /// Newest message every participant has read (Talk `X-Chat-Last-Common-Read`).
    pub last_common_read_id: Option<String>,
    /// Server version of this state (tada `gentime`); an update with an older one is ignored.
    pub version: Option<i64>,
}

/// A partial change to a chat's read state: the same fields, where `None` means "unchanged"
/// and `version` orders the update against what is held.
pub(crate) type ReadUpdate = ReadState;

/// Read state of every chat the session has heard of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadStates {
    chats: BTreeMap<String, ReadState>,
}

impl ReadStates {
    /// No chats known.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of `chat`, if any is known.
    pub fn get(&self, chat: &str) -> Option<&ReadState> {
        self.chats.get(chat)
    }

    /// Every chat's state, by chat id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ReadState)> {
        self.chats.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Applies `update` unless it is older than what is held; returns the new state if anything
    /// changed, so the caller reports exactly the real changes.
    pub fn apply(&mut self, chat: &str, update: ReadUpdate) -> Option<ReadState> {
        let state = self.chats.entry(chat.to_string()).or_default();
        if let (Some(held), Some(new)) = (state.version, update.version) {
            if new < held {
                return None;
            }
        }
        let before = state.clone();
        if update.unread.is_some() {
            state.unread = update.unread;
        }
        if update.unread_notices.is_some() {
            state.unread_notices = update.unread_notices;
        }
        if update.last_read_message_id.is_some() {
            state.last_read_message_id = update.last_read_message_id;
        }
        if update.last_common_read_id.is_some() {
            state.last_common_read_id = update.last_common_read_id;
        }
        if update.version.is_some() {
            state.version = update.version;
        }
        (*state != before).then(|| state.clone())
    }

    /// Replaces `chat`'s state whole, whatever its version (rolling back a local optimistic
    /// change the server refused); returns the new state if anything changed.
    pub fn set(&mut self, chat: &str, state: ReadState) -> Option<ReadState> {
        let held = self.chats.entry(chat.to_string()).or_default();
        if *held == state {
            return None;
        }
        *held = state.clone();
        Some(state)
    }

    /// One more unread message in `chat` (an incoming message from someone else).
    pub fn increment_unread(&mut self, chat: &str) -> Option<ReadState> {
        let unread = self
            .chats
            .get(chat)
            .and_then(|s| s.unread)
            .unwrap_or(0)
            .saturating_add(1);
        self.apply(
            chat,
            ReadUpdate {
                unread: Some(unread),
                ..Default::default()
            },
        )
    }

    /// One unread message in `chat` was read (`message_id` is now the newest read).
    pub fn decrement_unread(&mut self, chat: &str, message_id: Option<&str>) -> Option<ReadState> {
        let unread = self
            .chats
            .get(chat)
            .and_then(|s| s.unread)
            .unwrap_or(0)
            .saturating_sub(1);
        self.apply(
            chat,
            ReadUpdate {
                unread: Some(unread),
                last_read_message_id: message_id.map(str::to_string),
                ..Default::default()
            },
        )
    }

    /// Forgets a chat (it was removed).
    pub fn remove(&mut self, chat: &str) -> Option<ReadState> {
        self.chats.remove(chat)
    }
}
