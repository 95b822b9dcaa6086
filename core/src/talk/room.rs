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

/// How many unread message ids a room keeps: the read marker moving anywhere among the newest
/// this many unread messages, and their deletion, leave the exact count. Small and fixed, so a
/// room costs the same whatever its backlog (it was one id per unread message, up to the dedupe
/// window: 57 KB per room).
pub(crate) const UNREAD_WINDOW: usize = 64;

/// The unread messages after the marker: the newest [`UNREAD_WINDOW`] by id, and how many older
/// ones there are beyond them.
///
/// Past the window only the count is known: the older ones stay counted until a read marker
/// passes the newest of them (a marker among them cannot tell how many it read), and deleting
/// one of them leaves the count as it was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "UnreadFields")]
pub struct Unread {
    /// Ascending, at most [`UNREAD_WINDOW`].
    ids: Vec<i64>,
    forgotten: u32,
    forgotten_max: i64,
}

/// [`Unread`] as written, before its window is enforced: snapshots of earlier versions kept up
/// to the dedupe window's 4 096 ids, in any order a hand-edited file may have.
#[derive(Default, Deserialize)]
#[serde(default)]
struct UnreadFields {
    ids: Vec<i64>,
    forgotten: u32,
    forgotten_max: i64,
}

impl From<UnreadFields> for Unread {
    fn from(f: UnreadFields) -> Self {
        let mut ids = f.ids;
        ids.sort_unstable();
        ids.dedup();
        let mut u = Unread {
            ids: Vec::new(),
            forgotten: f.forgotten,
            forgotten_max: f.forgotten_max,
        };
        // A forgotten id stands for one counted already (`add` refuses it again).
        if u.forgotten > 0 {
            ids.retain(|id| *id > u.forgotten_max);
        }
        let excess = ids.len().saturating_sub(UNREAD_WINDOW);
        if excess > 0 {
            u.forget(excess as u32, ids[excess - 1]);
            ids.drain(..excess);
        }
        ids.shrink_to_fit();
        u.ids = ids;
        u
    }
}

impl Unread {
    /// One more unread message.
    pub(crate) fn add(&mut self, id: i64) {
        // At or below the newest id let go of, a message may be one counted already: counting
        // it again would leave the badge above the server's for good.
        if self.forgotten > 0 && id <= self.forgotten_max {
            return;
        }
        // Messages come in id order: the place is almost always the end.
        let Err(at) = self.ids.binary_search(&id) else {
            return;
        };
        if self.ids.len() < UNREAD_WINDOW {
            self.ids.insert(at, id);
        } else if at == 0 {
            // Older than every id kept: only counted.
            self.forget(1, id);
        } else {
            let oldest = self.ids.remove(0);
            self.forget(1, oldest);
            self.ids.insert(at - 1, id);
        }
    }

    fn forget(&mut self, n: u32, newest: i64) {
        self.forgotten = self.forgotten.saturating_add(n);
        self.forgotten_max = self.forgotten_max.max(newest);
    }

    /// Message `id` is no longer unread (deleted).
    pub(crate) fn remove(&mut self, id: i64) {
        if let Ok(at) = self.ids.binary_search(&id) {
            self.ids.remove(at);
        }
    }

    /// Everything up to and including `id` was read.
    pub(crate) fn read_up_to(&mut self, id: i64) {
        let read = self.ids.partition_point(|u| *u <= id);
        self.ids.drain(..read);
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

    /// How many ids it holds (at most [`UNREAD_WINDOW`]): what it costs in memory.
    #[cfg(test)]
    fn ids_kept(&self) -> usize {
        self.ids.len()
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
    /// When the loop sends its next request, if it is waiting; moved only through
    /// [`RoomsDue`], which indexes it.
    next_poll_at: Option<Timestamp>,
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

    /// When the loop sends its next request, if it is waiting.
    pub(super) fn next_poll_at(&self) -> Option<Timestamp> {
        self.next_poll_at
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

/// The rooms whose loop waits for a time, by that time: `drive` starts the due ones and
/// `poll_timeout` reads the first, so an input costs the same with one room or 10⁴ (both walked
/// every room: 20× at 10⁴). Holds `(t, token)` exactly for the rooms whose `next_poll_at` is
/// `Some(t)`; a room in flight has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoomsDue(BTreeSet<(Timestamp, String)>);

impl RoomsDue {
    /// The earliest time a room's loop waits for.
    pub(crate) fn first(&self) -> Option<Timestamp> {
        self.0.first().map(|(t, _)| *t)
    }

    /// Indexes a room just joined or restored.
    pub(crate) fn add(&mut self, token: &str, room: &Room) {
        if let Some(t) = room.next_poll_at {
            self.0.insert((t, token.to_string()));
        }
    }

    /// Forgets a room that was left.
    pub(crate) fn remove(&mut self, token: &str, room: &Room) {
        if let Some(t) = room.next_poll_at {
            self.0.remove(&(t, token.to_string()));
        }
    }

    /// Sets when `token`'s loop sends next (`None`: it does not wait for a time).
    pub(crate) fn set(&mut self, token: &str, room: &mut Room, at: Option<Timestamp>) {
        if room.next_poll_at == at {
            return;
        }
        self.remove(token, room);
        room.next_poll_at = at;
        self.add(token, room);
    }

    /// Takes out the rooms due at `now`, earliest first; the caller clears each one's time
    /// ([`Room::taken_due`]).
    pub(crate) fn take_due(&mut self, now: Timestamp) -> Vec<String> {
        let mut due = Vec::new();
        while self.0.first().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, token)) = self.0.pop_first() {
                due.push(token);
            }
        }
        due
    }

    /// Every entry, for the tests that compare the index with a walk of the rooms.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = &(Timestamp, String)> {
        self.0.iter()
    }
}

impl Room {
    /// Its entry was taken out of [`RoomsDue`] by [`RoomsDue::take_due`].
    pub(crate) fn taken_due(&mut self) {
        self.next_poll_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_counts_exactly_and_forgets_past_the_window() {
        let mut u = Unread::default();
        let n = UNREAD_WINDOW as i64 + 2;
        for id in 1..=n {
            u.add(id);
        }
        assert_eq!(u.count(), n as u32);
        assert_eq!(u.ids_kept(), UNREAD_WINDOW);
        u.read_up_to(1);
        assert_eq!(
            u.count(),
            n as u32,
            "forgotten ones stay counted until the marker passes them"
        );
        u.read_up_to(2);
        assert_eq!(u.count(), UNREAD_WINDOW as u32);
        u.read_up_to(n - 1);
        assert_eq!(u.count(), 1);
    }

    #[test]
    fn an_old_snapshot_with_thousands_of_ids_loads_into_the_window() {
        let ids: Vec<i64> = (1..=4096).rev().collect();
        let text = serde_json::json!({"ids": ids, "forgotten": 0, "forgotten_max": 0}).to_string();
        let u: Unread = serde_json::from_str(&text).unwrap();
        assert_eq!(u.count(), 4096);
        assert_eq!(u.ids_kept(), UNREAD_WINDOW);
        let again: Unread = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
        assert_eq!(again, u);
        let mut read = u.clone();
        read.read_up_to(4096 - 10);
        assert_eq!(read.count(), 10);
    }
}
