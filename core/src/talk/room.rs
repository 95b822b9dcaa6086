//! Per-room receive loop state: where the loop is, its cursors and its read state.

use crate::backoff::Backoff;
use crate::ids::RequestId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where a room's receive loop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Fetching the first history page.
    History,
    /// Long-polling for newer messages.
    Live,
}

/// The ids of unread messages, so that marking read at any id leaves the exact count.
///
/// Bounded: past `cap` ids the oldest are only counted, and forgotten together once a read
/// marker passes the newest of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unread {
    ids: BTreeSet<i64>,
    forgotten: u32,
    forgotten_max: i64,
}

impl Unread {
    /// One more unread message.
    pub(crate) fn add(&mut self, id: i64, cap: usize) {
        // At or below the newest id let go of, a message may be one counted already: counting
        // it again would leave the badge above the server's for good.
        if self.forgotten > 0 && id <= self.forgotten_max {
            return;
        }
        if !self.ids.insert(id) {
            return;
        }
        while self.ids.len() > cap.max(1) {
            if let Some(oldest) = self.ids.pop_first() {
                self.forgotten = self.forgotten.saturating_add(1);
                self.forgotten_max = self.forgotten_max.max(oldest);
            }
        }
    }

    /// Message `id` is no longer unread (deleted).
    pub(crate) fn remove(&mut self, id: i64) {
        self.ids.remove(&id);
    }

    /// Everything up to and including `id` was read.
    pub(crate) fn read_up_to(&mut self, id: i64) {
        self.ids = self.ids.split_off(&(id.saturating_add(1)));
        if id >= self.forgotten_max {
            self.forgotten = 0;
            self.forgotten_max = 0;
        }
    }

    /// How many messages are unread.
    pub fn count(&self) -> u32 {
        u32::try_from(self.ids.len())
            .unwrap_or(u32::MAX)
            .saturating_add(self.forgotten)
    }
}

/// One joined room.
#[derive(Clone, Debug)]
pub(crate) struct Room {
    /// Loop phase.
    pub phase: Phase,
    /// Next `lastKnownMessageId` of the long-poll (the last `X-Chat-Last-Given`).
    pub last_given: Option<i64>,
    /// Oldest message fetched so far: where the next older history page starts.
    pub oldest_known: Option<i64>,
    /// Last `X-Chat-Last-Common-Read`.
    pub last_common_read: Option<i64>,
    /// This user's read marker, when known.
    pub last_read: Option<i64>,
    /// Unread messages after the marker not written by us.
    pub unread: Unread,
    /// Delay policy of the loop after failures.
    pub backoff: Backoff,
    /// The loop's request in flight.
    pub in_flight: Option<RequestId>,
    /// When the loop sends its next request, if it is waiting.
    pub next_poll_at: Option<Timestamp>,
    /// The history-page command in flight, so two pages never start from the same cursor.
    pub loading_older: Option<RequestId>,
    /// Failed requests of the loop in a row (reported as the attempt number).
    pub failures: u32,
    /// The read marker the first history page in flight was asked with: the page ends there
    /// and the poll starts from it, even if the marker moved meanwhile (our own send answered,
    /// the room list), or the messages in between would never be fetched.
    pub history_marker: Option<i64>,
    /// No request of the loop before this (the server's `Retry-After`).
    pub not_before: Timestamp,
    /// Newest message delivered (or, restored, the cursor): an older one the dedupe window
    /// has forgotten is a redelivery, not news.
    pub delivered_max: Option<i64>,
    /// A smaller page size than the configured one, after a page too large to take: halved
    /// on each such page, doubled back after each page that fit.
    pub page_limit: Option<u32>,
}

impl Room {
    /// A room whose loop starts now, with the history unless `last_given` resumes it.
    pub(super) fn new(backoff: Backoff, last_given: Option<i64>) -> Self {
        Room {
            phase: if last_given.is_some() {
                Phase::Live
            } else {
                Phase::History
            },
            last_given,
            oldest_known: None,
            last_common_read: None,
            last_read: None,
            unread: Unread::default(),
            backoff,
            in_flight: None,
            next_poll_at: Some(Timestamp(0)),
            loading_older: None,
            failures: 0,
            history_marker: None,
            not_before: Timestamp(0),
            delivered_max: last_given,
            page_limit: None,
        }
    }

    /// Moves the read marker forward to `id` (never back: a late answer must not undo a newer
    /// mark); returns whether it moved.
    pub(super) fn advance_read(&mut self, id: i64) -> bool {
        if self.last_read.is_some_and(|r| r >= id) {
            return false;
        }
        self.last_read = Some(id);
        self.unread.read_up_to(id);
        true
    }

    /// Message `id` was deleted: it no longer counts as unread (the server counts comments).
    pub(super) fn forget_unread(&mut self, id: i64) {
        self.unread.remove(id);
    }

    /// Records the oldest id seen for history paging.
    pub(super) fn saw_old(&mut self, id: i64) {
        self.oldest_known = Some(self.oldest_known.map_or(id, |o| o.min(id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_counts_exactly_and_forgets_past_cap() {
        let mut u = Unread::default();
        for id in 1..=5 {
            u.add(id, 3);
        }
        assert_eq!(u.count(), 5);
        u.read_up_to(1);
        assert_eq!(
            u.count(),
            5,
            "forgotten ones stay counted until the marker passes them"
        );
        u.read_up_to(2);
        assert_eq!(u.count(), 3);
        u.read_up_to(4);
        assert_eq!(u.count(), 1);
    }
}
