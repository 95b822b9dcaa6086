//! The table of requests waiting for an answer, with their deadlines.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::deadlines::Deadlines;
use crate::error::{Delivery, Error};
use crate::ids::{IdCounter, IdHashing, RequestId};
use crate::time::Timestamp;
use std::collections::HashMap;

/// One request in flight.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending<T> {
    /// When it resolves with [`Error::Timeout`] if no answer came.
    pub deadline: Timestamp,
    /// Whether its bytes were handed to the host for sending (decides what a disconnect means).
    pub sent: bool,
    /// What the protocol needs to interpret the answer.
    pub value: T,
}

/// Requests in flight keyed by [`RequestId`]: allocation, deadlines and bulk resolution.
///
/// Shared by all three protocols so that id wrapping, limits and timeouts behave the same.
///
/// Deadlines are indexed, not scanned: the client asks for the next deadline after every input,
/// and a walk of the table made each input O(requests in flight) (issue 13: 400× slower at 10⁵).
///
/// The entries are hashed, not ordered: a request is looked up four or five times between its
/// issue and its answer (the free-id check, the insert, the encoding, the answer), and an
/// ordered map walks a tree of every request in flight for each. What needs id order (a
/// snapshot, a disconnect) sorts, once. Values are boxed so that the hash table's code is the
/// same machine code for every `T` and the wasm build keeps one copy (issue 11).
#[derive(Clone, Debug)]
pub struct PendingTable<T> {
    ids: IdCounter,
    entries: HashMap<u32, Box<Pending<T>>, IdHashing>,
    /// `(deadline, id)` of every entry but `loose`, so the earliest is the first.
    by_deadline: Deadlines,
    /// The entry last lent out by [`PendingTable::get_mut`]: its deadline may have changed under
    /// the borrow, so it is out of the index until the next `&mut self` call puts it back. One
    /// at most, because every `&mut self` method settles it first.
    loose: Option<u32>,
    limit: usize,
}

impl<T> PendingTable<T> {
    /// An empty table holding at most `limit` requests.
    pub fn new(limit: usize) -> Self {
        Self::with_counter(limit, IdCounter::default())
    }

    /// An empty table drawing ids from `ids` (tests start it near `u32::MAX`).
    pub fn with_counter(limit: usize, ids: IdCounter) -> Self {
        PendingTable {
            ids,
            entries: HashMap::default(),
            by_deadline: Deadlines::default(),
            loose: None,
            limit,
        }
    }

    /// Puts the entry lent by `get_mut` back into the index, with the deadline it has now.
    fn settle(&mut self) {
        if let Some(id) = self.loose.take() {
            if let Some(p) = self.entries.get(&id) {
                self.by_deadline.insert(p.deadline, id);
            }
        }
    }

    /// Registers a request and returns its fresh id, or [`Error::TooManyPending`] at the limit.
    pub fn insert(&mut self, deadline: Timestamp, value: T) -> Result<RequestId, Error> {
        self.settle();
        let entries = &self.entries;
        let id = self
            .ids
            .next(|candidate| entries.contains_key(&candidate))
            .ok_or(Error::TooManyPending {
                limit: self.limit as u64,
            })?;
        self.check_limit()?;
        self.put(id.0, deadline, value);
        Ok(id)
    }

    /// Registers a request under a given id: one restored from a snapshot keeps the id the app
    /// was given before the process ended. Refused at the limit, or if `id` is 0 or in use.
    pub fn insert_with_id(
        &mut self,
        id: RequestId,
        deadline: Timestamp,
        value: T,
    ) -> Result<(), Error> {
        self.settle();
        self.check_limit()?;
        if id.0 == 0 || self.entries.contains_key(&id.0) {
            return Err(Error::InvalidArgument {
                reason: format!("request id {id} is reserved or in use"),
            });
        }
        self.put(id.0, deadline, value);
        Ok(())
    }

    fn check_limit(&self) -> Result<(), Error> {
        if self.entries.len() >= self.limit {
            return Err(Error::TooManyPending {
                limit: self.limit as u64,
            });
        }
        Ok(())
    }

    /// Stores an entry under an id known to be free (an insert looks it up once, not twice:
    /// with 10⁵ in flight each look-up is a walk of the table).
    fn put(&mut self, id: u32, deadline: Timestamp, value: T) {
        self.entries.insert(
            id,
            Box::new(Pending {
                deadline,
                sent: false,
                value,
            }),
        );
        self.by_deadline.insert(deadline, id);
    }

    /// Marks a request as handed to the transport.
    pub fn mark_sent(&mut self, id: RequestId) {
        self.settle();
        if let Some(p) = self.entries.get_mut(&id.0) {
            p.sent = true;
        }
    }

    /// Moves a request's deadline (a resend starts a new wait).
    pub fn set_deadline(&mut self, id: RequestId, deadline: Timestamp) {
        self.settle();
        if let Some(p) = self.entries.get_mut(&id.0) {
            self.by_deadline.remove(p.deadline, id.0);
            p.deadline = deadline;
            self.by_deadline.insert(deadline, id.0);
        }
    }

    /// The request, if still in flight.
    pub fn get(&self, id: RequestId) -> Option<&Pending<T>> {
        self.entries.get(&id.0).map(|p| &**p)
    }

    /// The request, mutably, if still in flight.
    pub fn get_mut(&mut self, id: RequestId) -> Option<&mut Pending<T>> {
        self.settle();
        let p = self.entries.get_mut(&id.0)?;
        // The caller may move the deadline: out of the index until the next `settle`.
        self.by_deadline.remove(p.deadline, id.0);
        self.loose = Some(id.0);
        Some(&mut **p)
    }

    /// Takes a request out because its answer arrived.
    pub fn remove(&mut self, id: RequestId) -> Option<Pending<T>> {
        self.settle();
        let p = self.entries.remove(&id.0)?;
        self.by_deadline.remove(p.deadline, id.0);
        self.trim();
        Some(*p)
    }

    /// Gives back the room of a burst once the table is an eighth full: a hash table keeps its
    /// capacity, and a client that once had 10⁵ requests in flight should not hold it for good.
    /// Shrinking to twice what is left makes the rehash's cost amortised over the removals.
    fn trim(&mut self) {
        let len = self.entries.len();
        if self.entries.capacity() > 1024 && len < self.entries.capacity() / 8 {
            self.entries.shrink_to(len * 2);
        }
    }

    /// Number of requests in flight.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no request is pending.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The earliest deadline, for `poll_timeout`.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let loose = self
            .loose
            .and_then(|id| self.entries.get(&id))
            .map(|p| p.deadline);
        let indexed = self.by_deadline.earliest();
        [indexed, loose].into_iter().flatten().min()
    }

    /// The ids of every request whose deadline is at or before `now`, by id, left in place
    /// (Talk's commands wait for their time in the table).
    pub fn due(&self, now: Timestamp) -> Vec<RequestId> {
        let loose = self
            .loose
            .filter(|id| self.entries.get(id).is_some_and(|p| p.deadline <= now));
        let mut due: Vec<u32> = self.by_deadline.due(now).chain(loose).collect();
        due.sort_unstable();
        due.into_iter().map(RequestId).collect()
    }

    /// Removes and returns every request whose deadline is at or before `now`, oldest id first.
    pub fn take_expired(&mut self, now: Timestamp) -> Vec<(RequestId, Pending<T>)> {
        self.settle();
        let mut due = Vec::new();
        while let Some(id) = self.by_deadline.pop_due(now) {
            due.push(id);
        }
        due.sort_unstable();
        let taken = due
            .into_iter()
            .filter_map(|id| self.entries.remove(&id).map(|p| (RequestId(id), *p)))
            .collect();
        self.trim();
        taken
    }

    /// Removes every request, each with the [`Error::Disconnected`] it resolves with: whether it
    /// may have reached the server depends on whether it had been sent.
    pub fn take_all_disconnected(&mut self) -> Vec<(RequestId, Pending<T>, Error)> {
        self.by_deadline.clear();
        self.loose = None;
        let ids = self.ids_in_order();
        let mut entries = std::mem::take(&mut self.entries);
        ids.into_iter()
            .filter_map(|id| entries.remove(&id).map(|p| (id, *p)))
            .map(|(id, p)| {
                let delivery = if p.sent {
                    Delivery::MaybeDelivered
                } else {
                    Delivery::NotSent
                };
                (RequestId(id), p, Error::Disconnected { delivery })
            })
            .collect()
    }

    /// The requests in flight, by id (sorted on each call: snapshots and restores, not per
    /// input).
    pub fn iter(&self) -> impl Iterator<Item = (RequestId, &Pending<T>)> {
        self.ids_in_order()
            .into_iter()
            .filter_map(|id| self.entries.get(&id).map(|p| (RequestId(id), &**p)))
    }

    /// The requests in flight in no particular order, for a caller that orders them by
    /// something of its own (tada's sends by their sequence number): [`PendingTable::iter`]
    /// would sort them by id first for nothing.
    pub(crate) fn iter_unordered(&self) -> impl Iterator<Item = (RequestId, &Pending<T>)> {
        self.entries.iter().map(|(&id, p)| (RequestId(id), &**p))
    }

    /// The ids in flight, in order. Sorted as plain `u32`s, whatever `T` is: one sort's code
    /// in the wasm build for every table (issue 11), where sorting the entries would make one
    /// per `T`.
    fn ids_in_order(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.entries.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The deadline index answers as a walk of the table would, whatever the mix of inserts,
    /// removals, deadline moves (through `set_deadline` and through `get_mut`) and expiries.
    #[test]
    fn indexed_deadlines_match_a_scan() {
        let mut rng = Rng::new(13);
        let mut t: PendingTable<u32> = PendingTable::new(64);
        let scan = |t: &PendingTable<u32>| t.iter().map(|(_, p)| p.deadline).min();
        let mut now = 0;
        for step in 0..20_000u32 {
            let ids: Vec<RequestId> = t.iter().map(|(id, _)| id).collect();
            let pick = |rng: &mut Rng| ids[rng.below(ids.len() as u64) as usize];
            // Half of them the same wait, as a client's requests mostly are (the index's run),
            // half anything (its tree).
            let wait = if rng.below(2) == 0 {
                30
            } else {
                rng.below(100)
            };
            let deadline = Timestamp(now + wait);
            match rng.below(6) {
                0 | 1 => {
                    let _ = t.insert(deadline, step);
                }
                2 if !ids.is_empty() => {
                    t.remove(pick(&mut rng));
                }
                3 if !ids.is_empty() => t.set_deadline(pick(&mut rng), deadline),
                4 if !ids.is_empty() => {
                    if let Some(p) = t.get_mut(pick(&mut rng)) {
                        p.deadline = deadline;
                    }
                }
                5 => {
                    now += rng.below(20);
                    let expected: Vec<RequestId> = t
                        .iter()
                        .filter(|(_, p)| p.deadline <= Timestamp(now))
                        .map(|(id, _)| id)
                        .collect();
                    assert_eq!(t.due(Timestamp(now)), expected, "step {step}");
                    let taken: Vec<RequestId> = t
                        .take_expired(Timestamp(now))
                        .into_iter()
                        .map(|(id, _)| id)
                        .collect();
                    assert_eq!(taken, expected, "step {step}");
                }
                _ => {}
            }
            assert_eq!(t.next_deadline(), scan(&t), "step {step}");
        }
        t.take_all_disconnected();
        assert_eq!(t.next_deadline(), None);
        assert!(t.insert(Timestamp(5), 0).is_ok());
        assert_eq!(t.next_deadline(), Some(Timestamp(5)));
    }

    /// Id order, not the hash table's, is what a snapshot and a disconnect see.
    #[test]
    fn requests_come_out_by_id_whatever_the_order_they_went_in() {
        let mut rng = Rng::new(7);
        let mut t: PendingTable<u32> = PendingTable::new(10_000);
        let mut ids: Vec<u32> = (0..2_000)
            .map(|_| rng.below(u64::from(u32::MAX)) as u32 + 1)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut shuffled = ids.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for &id in &shuffled {
            t.insert_with_id(RequestId(id), Timestamp(u64::from(id % 97)), id)
                .unwrap();
        }
        let listed: Vec<u32> = t.iter().map(|(id, _)| id.0).collect();
        assert_eq!(listed, ids);
        let due: Vec<u32> = t
            .take_expired(Timestamp(40))
            .into_iter()
            .map(|(id, _)| id.0)
            .collect();
        let expected: Vec<u32> = ids.iter().copied().filter(|id| id % 97 <= 40).collect();
        assert_eq!(due, expected);
        let cut: Vec<u32> = t
            .take_all_disconnected()
            .into_iter()
            .map(|(id, _, _)| id.0)
            .collect();
        let rest: Vec<u32> = ids.iter().copied().filter(|id| id % 97 > 40).collect();
        assert_eq!(cut, rest);
    }

    /// A burst's room is given back once it is answered, and the table still works after.
    #[test]
    fn a_burst_gives_its_room_back() {
        let mut t: PendingTable<u32> = PendingTable::new(200_000);
        let ids: Vec<RequestId> = (0..100_000)
            .map(|n| t.insert(Timestamp(9), n).unwrap())
            .collect();
        let burst = t.entries.capacity();
        for id in &ids[10..] {
            assert!(t.remove(*id).is_some());
        }
        assert!(
            t.entries.capacity() < burst / 100,
            "{} of {burst}",
            t.entries.capacity()
        );
        for id in &ids[..10] {
            assert_eq!(t.get(*id).map(|p| p.value), Some(id.0 - 1));
        }
        assert_eq!(t.next_deadline(), Some(Timestamp(9)));
        assert_eq!(t.take_expired(Timestamp(9)).len(), 10);
        assert!(t.is_empty());
    }
}
