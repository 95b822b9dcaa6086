//! Read state per chat: unread counts and read markers, ordered by server versions.
//!
//! Unread badges drift when a late, older update overwrites a newer one, or when a local change
//! and the server's answer race. Every protocol funnels read-state changes through [`ReadStates`],
//! which drops stale updates and reports only real changes.

use crate::boxed_map::BoxedMap;
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

/// Sets `held` to `new` when the update carries a value, noting in `changed` whether it differed.
fn set_field<T: PartialEq>(held: &mut Option<T>, new: Option<T>, changed: &mut bool) {
    if let Some(new) = new {
        if held.as_ref() != Some(&new) {
            *held = Some(new);
            *changed = true;
        }
    }
}

/// Read state of every chat the session has heard of, and the register of which chats the
/// session keeps any per-chat state for, bounded by [`crate::Limits::max_chats`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReadStates {
    chats: BoxedMap<String, ReadState>,
    /// Which chats were touched least recently; not part of a snapshot (a restored session
    /// starts them in id order).
    #[serde(skip)]
    recency: Recency,
}

/// Least-recently-used order of chat ids, with the limit and what it pushed out.
#[derive(Clone, Debug, Default)]
struct Recency {
    limit: usize,
    clock: u64,
    by_chat: BoxedMap<String, u64>,
    by_use: BTreeMap<u64, String>,
    evicted: std::collections::VecDeque<String>,
}

impl PartialEq for ReadStates {
    /// Equal when the read states are: the recency order is bookkeeping, not state.
    fn eq(&self, other: &Self) -> bool {
        self.chats == other.chats
    }
}

impl Eq for ReadStates {}

impl ReadStates {
    /// No chats known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps state for at most `max_chats` chats (0: no limit). Chats already held past the
    /// limit (a snapshot taken under a larger one) are evicted at once, in id order.
    pub(crate) fn limited(mut self, max_chats: u32) -> Self {
        self.recency.limit = max_chats as usize;
        let held: Vec<String> = self.chats.keys().cloned().collect();
        for chat in held {
            self.touch(&chat);
        }
        self
    }

    /// Records that the session keeps state for `chat` now (a read state, a last message, a
    /// description). At the limit the least recently touched chat is forgotten: its read state
    /// goes, and [`ReadStates::report_evicted`] names it so the session drops the rest.
    pub(crate) fn touch(&mut self, chat: &str) {
        let r = &mut self.recency;
        if r.limit == 0 {
            return;
        }
        r.clock += 1;
        match r.by_chat.get_mut(chat) {
            Some(used) => {
                // The chat's name moves to its new place in the order: no copy per touch.
                let name = r.by_use.remove(used).unwrap_or_else(|| chat.to_string());
                *used = r.clock;
                r.by_use.insert(r.clock, name);
            }
            None => {
                r.by_chat.insert(chat.to_string(), r.clock);
                r.by_use.insert(r.clock, chat.to_string());
            }
        }
        while r.by_chat.len() > r.limit {
            let Some((_, oldest)) = r.by_use.pop_first() else {
                break;
            };
            r.by_chat.remove(&oldest);
            self.chats.remove(&oldest);
            r.evicted.push_back(oldest);
        }
    }

    /// Reports each chat forgotten at the limit since the last call, oldest first, as
    /// [`crate::Event::ChatStateEvicted`], after `forget` dropped the session's own state of it
    /// (chat lists, last messages, cursors).
    pub(crate) fn report_evicted(
        &mut self,
        outbox: &mut crate::outbox::Outbox,
        mut forget: impl FnMut(&str),
    ) {
        while let Some(chat_id) = self.take_evicted() {
            forget(&chat_id);
            let limit = self.max_chats();
            outbox.event(crate::Event::ChatStateEvicted { chat_id, limit });
        }
    }

    /// The next chat forgotten at the limit since the last call, oldest first.
    fn take_evicted(&mut self) -> Option<String> {
        let r = &mut self.recency;
        // A chat touched again since it was pushed out is held anew: not evicted any more.
        while let Some(chat) = r.evicted.pop_front() {
            if !r.by_chat.contains_key(&chat) {
                return Some(chat);
            }
        }
        None
    }

    /// The configured chat limit (0: none).
    fn max_chats(&self) -> u64 {
        self.recency.limit as u64
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
        self.touch(chat);
        // The chat's id is copied only for a chat not held yet.
        if !self.chats.contains_key(chat) {
            self.chats.insert(chat.to_string(), ReadState::default());
        }
        let state = self.chats.get_mut(chat)?;
        if let (Some(held), Some(new)) = (state.version, update.version) {
            if new < held {
                return None;
            }
        }
        // Each field the update sets is compared as it is set, so no copy of the state before.
        let mut changed = false;
        set_field(&mut state.unread, update.unread, &mut changed);
        set_field(
            &mut state.unread_notices,
            update.unread_notices,
            &mut changed,
        );
        set_field(
            &mut state.last_read_message_id,
            update.last_read_message_id,
            &mut changed,
        );
        set_field(
            &mut state.last_common_read_id,
            update.last_common_read_id,
            &mut changed,
        );
        set_field(&mut state.version, update.version, &mut changed);
        changed.then(|| state.clone())
    }

    /// Replaces `chat`'s state whole, whatever its version (rolling back a local optimistic
    /// change the server refused); returns the new state if anything changed.
    pub fn set(&mut self, chat: &str, state: ReadState) -> Option<ReadState> {
        self.touch(chat);
        let held = self
            .chats
            .get_or_insert_with(chat.to_string(), ReadState::default);
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
        if let Some(used) = self.recency.by_chat.remove(chat) {
            self.recency.by_use.remove(&used);
        }
        self.chats.remove(chat)
    }
}
