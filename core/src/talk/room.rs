//! Per-room receive loop state: where the loop is, its cursors and its read state.

use crate::backoff::Backoff;
use crate::ids::RequestId;
use crate::read_state::ReadUpdate;
use crate::time::Timestamp;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

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

// The count of ids kept is a `u8`, one above the window while an insertion makes room.
const _: () = assert!(UNREAD_WINDOW < u8::MAX as usize);

/// Bytes of capacity the encoded ids may hold beyond what they use. Growth by doubling alone
/// could leave half of a full window idle in each of 10⁴ rooms; a bound keeps the idle part
/// small while a filling window still grows in a few steps.
const UNREAD_SLACK: usize = 32;

/// The unread messages after the marker: the newest [`UNREAD_WINDOW`] by id, and how many older
/// ones there are beyond them.
///
/// Past the window only the count is known: the older ones stay counted until a read marker
/// passes the newest of them (a marker among them cannot tell how many it read), and deleting
/// one of them leaves the count as it was.
///
/// The ids are kept as the oldest one and the distance from each to the next as LEB128 varints:
/// ids of one room are close together, so a full window takes about a byte or two an id where
/// 64 `i64`s took 512 B, most of what a room cost at 10⁴ rooms. Messages arrive in id order, so
/// the newest id and the count are fields too: the usual new message is one varint appended.
/// Snapshots keep the plain `{"ids": […], "forgotten": n, "forgotten_max": id}` shape.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "UnreadFields")]
pub struct Unread {
    /// The oldest id kept; 0 when none, so equal windows compare equal.
    oldest: i64,
    /// The newest id kept; 0 when none.
    newest: i64,
    /// How many ids are kept, at most [`UNREAD_WINDOW`].
    len: u8,
    /// Each id after the oldest as its distance (> 0) from the one before, as a LEB128 varint:
    /// minimal, so equal windows have equal bytes.
    gaps: Vec<u8>,
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
            forgotten: f.forgotten,
            forgotten_max: f.forgotten_max,
            ..Unread::default()
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
        let bytes = ids
            .iter()
            .zip(ids.iter().skip(1))
            .map(|(a, b)| Varint::new(a.abs_diff(*b)).as_slice().len())
            .sum();
        u.gaps.reserve_exact(bytes);
        for id in ids {
            u.push_newest(id);
        }
        u
    }
}

impl Serialize for Unread {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Ids<'a>(&'a Unread);
        impl Serialize for Ids<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.ids())
            }
        }
        let mut s = serializer.serialize_struct("Unread", 3)?;
        s.serialize_field("ids", &Ids(self))?;
        s.serialize_field("forgotten", &self.forgotten)?;
        s.serialize_field("forgotten_max", &self.forgotten_max)?;
        s.end()
    }
}

impl fmt::Debug for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ids, not their encoding: what a failed comparison needs to show.
        f.debug_struct("Unread")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .field("forgotten", &self.forgotten)
            .field("forgotten_max", &self.forgotten_max)
            .finish()
    }
}

/// A `u64` as a LEB128 varint: seven bits a byte, low bits first, the top bit set on every
/// byte but the last.
struct Varint {
    bytes: [u8; 10],
    len: usize,
}

impl Varint {
    fn new(mut v: u64) -> Self {
        let mut bytes = [0; 10];
        let mut len = 0;
        for byte in &mut bytes {
            len += 1;
            *byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                break;
            }
            *byte |= 0x80;
        }
        Varint { bytes, len }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }

    /// The varint that starts at `at`, and where the next one starts.
    fn read(bytes: &[u8], at: usize) -> (u64, usize) {
        let mut v = 0;
        let mut shift = 0u32;
        let mut end = at;
        while let Some(&byte) = bytes.get(end) {
            end += 1;
            v |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        (v, end)
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
        if self.len == 0 || id > self.newest {
            if usize::from(self.len) == UNREAD_WINDOW {
                self.forget_oldest();
            }
            self.push_newest(id);
            self.fit();
            return;
        }
        if id < self.oldest {
            if usize::from(self.len) == UNREAD_WINDOW {
                // Older than every id kept: only counted.
                self.forget(1, id);
            } else {
                let gap = Varint::new(id.abs_diff(self.oldest));
                self.reserve(gap.as_slice().len());
                self.gaps.splice(0..0, gap.as_slice().iter().copied());
                self.oldest = id;
                self.len += 1;
            }
            return;
        }
        // Between two kept ids (or one of them): the gap that spans it becomes two.
        let mut before = self.oldest;
        let mut after = None;
        for (kept, span) in self.walk() {
            if kept >= id {
                after = (kept > id).then_some((kept, span));
                break;
            }
            before = kept;
        }
        let Some((next, span)) = after else {
            return;
        };
        let (a, b) = (
            Varint::new(before.abs_diff(id)),
            Varint::new(id.abs_diff(next)),
        );
        let grown = a.as_slice().len() + b.as_slice().len();
        self.reserve(grown.saturating_sub(span.len()));
        let new = a.as_slice().iter().chain(b.as_slice()).copied();
        self.gaps.splice(span, new);
        self.len += 1;
        if usize::from(self.len) > UNREAD_WINDOW {
            self.forget_oldest();
        }
        self.fit();
    }

    fn forget(&mut self, n: u32, newest: i64) {
        self.forgotten = self.forgotten.saturating_add(n);
        self.forgotten_max = self.forgotten_max.max(newest);
    }

    /// Lets the oldest id go, still counted.
    fn forget_oldest(&mut self) {
        let oldest = self.oldest;
        self.drop_oldest();
        self.forget(1, oldest);
    }

    fn drop_oldest(&mut self) {
        if self.len <= 1 {
            self.clear();
            return;
        }
        let (gap, end) = Varint::read(&self.gaps, 0);
        self.oldest = self.oldest.wrapping_add_unsigned(gap);
        self.gaps.drain(..end);
        self.len -= 1;
    }

    /// Keeps `id`, above every id kept.
    fn push_newest(&mut self, id: i64) {
        if self.len == 0 {
            self.oldest = id;
        } else {
            let gap = Varint::new(self.newest.abs_diff(id));
            self.reserve(gap.as_slice().len());
            self.gaps.extend_from_slice(gap.as_slice());
        }
        self.newest = id;
        self.len += 1;
    }

    fn clear(&mut self) {
        self.oldest = 0;
        self.newest = 0;
        self.len = 0;
        self.gaps = Vec::new();
    }

    /// Room for `extra` more bytes of gaps, growing by doubling but never past
    /// [`UNREAD_SLACK`] beyond what is needed.
    fn reserve(&mut self, extra: usize) {
        let need = self.gaps.len() + extra;
        let capacity = self.gaps.capacity();
        if need > capacity {
            let target = (capacity * 2).max(8).max(need).min(need + UNREAD_SLACK);
            self.gaps.reserve_exact(target - self.gaps.len());
        }
    }

    /// Gives back capacity the gaps no longer use (after a read, a deletion, or evictions that
    /// freed longer gaps than were added), keeping a little for the next messages.
    fn fit(&mut self) {
        if self.gaps.is_empty() {
            self.gaps = Vec::new();
        } else if self.gaps.capacity() > self.gaps.len() + UNREAD_SLACK {
            self.gaps.shrink_to(self.gaps.len() + UNREAD_SLACK / 2);
        }
    }

    /// The ids kept, oldest first, each with the bytes of `gaps` that hold its distance from
    /// the one before (empty for the oldest).
    fn walk(&self) -> impl Iterator<Item = (i64, Range<usize>)> + '_ {
        let mut id = self.oldest;
        let mut at = 0;
        let mut oldest = self.len > 0;
        std::iter::from_fn(move || {
            if std::mem::take(&mut oldest) {
                return Some((id, 0..0));
            }
            if at >= self.gaps.len() {
                return None;
            }
            let (gap, end) = Varint::read(&self.gaps, at);
            id = id.wrapping_add_unsigned(gap);
            let span = at..end;
            at = end;
            Some((id, span))
        })
    }

    /// The ids kept, oldest first.
    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.walk().map(|(id, _)| id)
    }

    /// Message `id` is no longer unread (deleted).
    pub(crate) fn remove(&mut self, id: i64) {
        if self.len == 0 || id < self.oldest || id > self.newest {
            return;
        }
        if id == self.oldest {
            self.drop_oldest();
            self.fit();
            return;
        }
        let mut before = self.oldest;
        let mut found = None;
        for (kept, span) in self.walk() {
            if kept >= id {
                found = (kept == id).then_some(span);
                break;
            }
            before = kept;
        }
        let Some(span) = found else {
            return;
        };
        if span.end == self.gaps.len() {
            self.gaps.truncate(span.start);
            self.newest = before;
        } else {
            // Its gap and the next one's become one: never longer than the two.
            let (gap, end) = Varint::read(&self.gaps, span.end);
            let next = id.wrapping_add_unsigned(gap);
            let merged = Varint::new(before.abs_diff(next));
            self.gaps
                .splice(span.start..end, merged.as_slice().iter().copied());
        }
        self.len -= 1;
        self.fit();
    }

    /// Everything up to and including `id` was read.
    pub(crate) fn read_up_to(&mut self, id: i64) {
        if self.len > 0 && id >= self.newest {
            self.clear();
        } else if self.len > 0 && id >= self.oldest {
            let mut read = 0;
            let mut first_unread = None;
            for (kept, span) in self.walk() {
                if kept > id {
                    first_unread = Some((kept, span.end));
                    break;
                }
                read += 1;
            }
            if let Some((kept, end)) = first_unread {
                self.gaps.drain(..end);
                self.oldest = kept;
                self.len -= read;
                self.fit();
            }
        }
        if id >= self.forgotten_max {
            self.forgotten = 0;
            self.forgotten_max = 0;
        }
    }

    /// How many messages are unread.
    pub fn count(&self) -> u32 {
        u32::from(self.len).saturating_add(self.forgotten)
    }

    /// How many ids it holds (at most [`UNREAD_WINDOW`]).
    #[cfg(test)]
    fn ids_kept(&self) -> usize {
        usize::from(self.len)
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
    /// What the app is told of the room's read state.
    pub(super) fn read_update(&self) -> ReadUpdate {
        ReadUpdate {
            unread: Some(self.unread.count()),
            last_read_message_id: self.last_read.map(|id| id.to_string()),
            last_common_read_id: self.last_common_read.map(|id| id.to_string()),
            ..Default::default()
        }
    }

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

    /// The window as it was kept before the varint encoding, one `i64` an id: what [`Unread`]
    /// must keep behaving like.
    #[derive(Default)]
    struct Model {
        ids: Vec<i64>,
        forgotten: u32,
        forgotten_max: i64,
    }

    impl Model {
        fn add(&mut self, id: i64) {
            if self.forgotten > 0 && id <= self.forgotten_max {
                return;
            }
            let Err(at) = self.ids.binary_search(&id) else {
                return;
            };
            if self.ids.len() < UNREAD_WINDOW {
                self.ids.insert(at, id);
            } else if at == 0 {
                self.forget(id);
            } else {
                let oldest = self.ids.remove(0);
                self.forget(oldest);
                self.ids.insert(at - 1, id);
            }
        }

        fn forget(&mut self, newest: i64) {
            self.forgotten = self.forgotten.saturating_add(1);
            self.forgotten_max = self.forgotten_max.max(newest);
        }

        fn remove(&mut self, id: i64) {
            if let Ok(at) = self.ids.binary_search(&id) {
                self.ids.remove(at);
            }
        }

        fn read_up_to(&mut self, id: i64) {
            let read = self.ids.partition_point(|u| *u <= id);
            self.ids.drain(..read);
            if id >= self.forgotten_max {
                self.forgotten = 0;
                self.forgotten_max = 0;
            }
        }

        fn json(&self) -> String {
            serde_json::json!({
                "ids": self.ids, "forgotten": self.forgotten, "forgotten_max": self.forgotten_max
            })
            .to_string()
        }
    }

    /// Checks `u` against `model`: the ids, the count, the snapshot text, and that the encoding
    /// keeps its capacity bound.
    fn assert_same(u: &Unread, model: &Model, step: &str) {
        assert_eq!(u.ids().collect::<Vec<_>>(), model.ids, "{step}");
        assert_eq!(usize::from(u.len), model.ids.len(), "{step}");
        if let (Some(first), Some(last)) = (model.ids.first(), model.ids.last()) {
            assert_eq!((u.oldest, u.newest), (*first, *last), "{step}");
        }
        assert_eq!(
            u.count(),
            model.ids.len() as u32 + model.forgotten,
            "{step}"
        );
        assert_eq!(serde_json::to_string(u).unwrap(), model.json(), "{step}");
        assert!(
            u.gaps.capacity() <= u.gaps.len() + UNREAD_SLACK,
            "{step}: {} bytes of capacity for {}",
            u.gaps.capacity(),
            u.gaps.len()
        );
    }

    fn unread_of(ids: &[i64]) -> (Unread, Model) {
        let mut u = Unread::default();
        let mut model = Model::default();
        for id in ids {
            u.add(*id);
            model.add(*id);
        }
        (u, model)
    }

    #[test]
    fn unread_ids_added_out_of_order_end_up_ascending_once_each() {
        let (u, model) = unread_of(&[10, 30, 20, 5, 25, 30, 5, 20, 31, -7, 6]);
        assert_eq!(u.ids().collect::<Vec<_>>(), [-7, 5, 6, 10, 20, 25, 30, 31]);
        assert_same(&u, &model, "out of order");
    }

    #[test]
    fn removing_an_unread_id_keeps_the_others_wherever_it_was() {
        let ids = [-300, -1, 0, 1, 200, 70_000, 70_001, i64::MAX];
        for gone in ids.iter().copied().chain([-2, 2, 69_999, i64::MIN]) {
            let (mut u, mut model) = unread_of(&ids);
            u.remove(gone);
            model.remove(gone);
            assert_same(&u, &model, &format!("remove {gone}"));
            // Still a working window after it: one id older, one between, one newer.
            for id in [-1_000, 100, 5] {
                u.add(id);
                model.add(id);
            }
            assert_same(&u, &model, &format!("remove {gone}, then add"));
        }
        let (mut u, mut model) = unread_of(&[42]);
        u.remove(42);
        model.remove(42);
        assert_same(&u, &model, "remove the only one");
        assert_eq!(u, Unread::default());
    }

    #[test]
    fn reading_up_to_any_id_keeps_exactly_the_newer_ones() {
        let ids = [i64::MIN, -5, 0, 3, 1_000, 1_000_000_007, i64::MAX - 1];
        let marks = ids
            .iter()
            .flat_map(|id| [id.saturating_sub(1), *id, id.saturating_add(1)])
            .chain([i64::MAX]);
        for mark in marks {
            let (mut u, mut model) = unread_of(&ids);
            u.read_up_to(mark);
            model.read_up_to(mark);
            assert_same(&u, &model, &format!("read up to {mark}"));
            u.add(i64::MAX);
            model.add(i64::MAX);
            assert_same(&u, &model, &format!("read up to {mark}, then add"));
        }
    }

    #[test]
    fn a_full_window_lets_the_oldest_go_counted() {
        let full: Vec<i64> = (1..=UNREAD_WINDOW as i64).map(|i| i * 1_000).collect();
        // Newer than all, older than all, between two: each keeps the window full and the
        // count exact.
        for id in [1_000_000, 1, 1_500, 63_999] {
            let (mut u, mut model) = unread_of(&full);
            u.add(id);
            model.add(id);
            assert_same(&u, &model, &format!("add {id} to a full window"));
            assert_eq!(u.ids_kept(), UNREAD_WINDOW);
            assert_eq!(u.count(), UNREAD_WINDOW as u32 + 1);
            assert_eq!(u.forgotten_max, id.min(1_000), "add {id}");
        }
    }

    #[test]
    fn ids_as_far_apart_as_i64_allows_keep_their_values() {
        let (mut u, mut model) = unread_of(&[i64::MAX, i64::MIN, 0, -1, 1, i64::MIN + 1]);
        assert_same(&u, &model, "extremes");
        // Merging the gaps around a removed id: the whole range of i64 in one gap.
        for id in [0, -1, 1, i64::MIN + 1] {
            u.remove(id);
            model.remove(id);
        }
        assert_eq!(u.ids().collect::<Vec<_>>(), [i64::MIN, i64::MAX]);
        assert_eq!(u.gaps.len(), 10, "u64::MAX takes ten bytes");
        assert_same(&u, &model, "i64::MIN and i64::MAX");
        let again: Unread = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
        assert_eq!(again, u);
    }

    #[test]
    fn the_snapshot_shape_is_the_plain_ids() {
        let mut u = Unread::default();
        for id in 1..=UNREAD_WINDOW as i64 + 2 {
            u.add(id * 3);
        }
        u.remove(30);
        let text = serde_json::to_string(&u).unwrap();
        let mut ids: Vec<i64> = (3..=UNREAD_WINDOW as i64 + 2).map(|i| i * 3).collect();
        ids.retain(|id| *id != 30);
        let expected = format!(
            r#"{{"ids":{},"forgotten":2,"forgotten_max":6}}"#,
            serde_json::to_string(&ids).unwrap()
        );
        assert_eq!(text, expected);
        let again: Unread = serde_json::from_str(&text).unwrap();
        assert_eq!(again, u);
        assert_eq!(again.count(), u.count());
        // An empty one reads back as the default, and so does a missing field.
        let empty: Unread = serde_json::from_str(r#"{"ids":[]}"#).unwrap();
        assert_eq!(empty, Unread::default());
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"ids":[],"forgotten":0,"forgotten_max":0}"#
        );
    }

    #[test]
    fn a_full_window_of_close_ids_takes_a_byte_or_two_an_id() {
        // One room's messages in a row (one byte a gap), and ones 10⁴ apart, other rooms'
        // messages between (two bytes): 512 B as `i64`s.
        for (step, used) in [(1, 63), (10_000, 126)] {
            let mut u = Unread::default();
            for i in 1..=1_000 {
                u.add(i * step);
            }
            assert_eq!(u.ids_kept(), UNREAD_WINDOW);
            assert_eq!(u.gaps.len(), used, "ids {step} apart");
            assert!(
                u.gaps.capacity() <= used + UNREAD_SLACK,
                "ids {step} apart: {} bytes of capacity",
                u.gaps.capacity()
            );
        }
    }

    /// A small xorshift: the same sequence on every run, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn unread_behaves_like_a_sorted_vec_of_ids_over_random_operations() {
        // Operations that met a full window, and ones with ids let go of: the paths that must
        // have been walked for the comparison to mean something.
        let (mut full, mut forgotten) = (0, 0);
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut u = Unread::default();
            let mut model = Model::default();
            // Mostly ascending ids a few apart, as a room's messages come; sometimes far apart.
            let mut next = (rng.next() as i64) >> (rng.below(64) as u32);
            for op in 0..3_000 {
                let pick = |rng: &mut Rng, model: &Model| match model.ids.len() {
                    0 => next,
                    n => model.ids[rng.below(n as u64) as usize],
                };
                // Adds outnumber removals and reads, so windows fill and let ids go.
                let what = match rng.below(100) {
                    0..=69 => {
                        let gap = match rng.below(10) {
                            0 => rng.next() >> rng.below(64),
                            1..=3 => rng.below(20_000),
                            _ => rng.below(3),
                        };
                        next = next.saturating_add_unsigned(gap);
                        u.add(next);
                        model.add(next);
                        format!("add {next}")
                    }
                    70..=84 => {
                        // Out of order: near a kept id, or anywhere.
                        let id = if rng.below(8) == 0 {
                            rng.next() as i64
                        } else {
                            pick(&mut rng, &model).saturating_add(rng.below(7) as i64 - 3)
                        };
                        u.add(id);
                        model.add(id);
                        format!("add {id} out of order")
                    }
                    85..=94 => {
                        let id = pick(&mut rng, &model).saturating_add(rng.below(3) as i64 - 1);
                        u.remove(id);
                        model.remove(id);
                        format!("remove {id}")
                    }
                    95..=97 => {
                        // Mostly among the oldest few or at the newest let go of (the
                        // forgotten stay counted below it), sometimes anywhere.
                        let id = match (rng.below(4), model.ids.len()) {
                            (0, _) | (_, 0) => pick(&mut rng, &model),
                            (1, _) => model.forgotten_max,
                            (_, n) => model.ids[rng.below(n.min(3) as u64) as usize],
                        };
                        let id = id.saturating_add(rng.below(3) as i64 - 1);
                        u.read_up_to(id);
                        model.read_up_to(id);
                        format!("read up to {id}")
                    }
                    _ => {
                        let again: Unread =
                            serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
                        assert_eq!(again, u, "seed {seed}, op {op}: round trip");
                        u = again;
                        "round trip".to_string()
                    }
                };
                assert_same(&u, &model, &format!("seed {seed}, op {op}: {what}"));
                full += usize::from(u.ids_kept() == UNREAD_WINDOW);
                forgotten += usize::from(u.forgotten > 0);
            }
        }
        assert!(
            full > 5_000 && forgotten > 5_000,
            "{full} full, {forgotten} forgotten"
        );
    }
}
