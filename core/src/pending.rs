//! The table of requests waiting for an answer, with their deadlines.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::boxed_map::BoxedMap;
use crate::error::{Delivery, Error};
use crate::ids::{IdCounter, RequestId};
use crate::time::Timestamp;
use std::collections::BTreeSet;

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
#[derive(Clone, Debug)]
pub struct PendingTable<T> {
    ids: IdCounter,
    entries: BoxedMap<u32, Pending<T>>,
    /// `(deadline, id)` of every entry but `loose`, so the earliest is the first.
    by_deadline: BTreeSet<(Timestamp, u32)>,
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
            entries: BoxedMap::new(),
            by_deadline: BTreeSet::new(),
            loose: None,
            limit,
        }
    }

    /// Puts the entry lent by `get_mut` back into the index, with the deadline it has now.
    fn settle(&mut self) {
        if let Some(id) = self.loose.take() {
            if let Some(p) = self.entries.get(&id) {
                self.by_deadline.insert((p.deadline, id));
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
            Pending {
                deadline,
                sent: false,
                value,
            },
        );
        self.by_deadline.insert((deadline, id));
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
            self.by_deadline.remove(&(p.deadline, id.0));
            p.deadline = deadline;
            self.by_deadline.insert((deadline, id.0));
        }
    }

    /// The request, if still in flight.
    pub fn get(&self, id: RequestId) -> Option<&Pending<T>> {
        self.entries.get(&id.0)
    }

    /// The request, mutably, if still in flight.
    pub fn get_mut(&mut self, id: RequestId) -> Option<&mut Pending<T>> {
        self.settle();
        let p = self.entries.get_mut(&id.0)?;
        // The caller may move the deadline: out of the index until the next `settle`.
        self.by_deadline.remove(&(p.deadline, id.0));
        self.loose = Some(id.0);
        Some(p)
    }

    /// Takes a request out because its answer arrived.
    pub fn remove(&mut self, id: RequestId) -> Option<Pending<T>> {
        self.settle();
        let p = self.entries.remove(&id.0)?;
        self.by_deadline.remove(&(p.deadline, id.0));
        Some(p)
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
        let indexed = self.by_deadline.first().map(|(deadline, _)| *deadline);
        [indexed, loose].into_iter().flatten().min()
    }

    /// The ids of every request whose deadline is at or before `now`, by id, left in place
    /// (Talk's commands wait for their time in the table).
    pub fn due(&self, now: Timestamp) -> Vec<RequestId> {
        let loose = self
            .loose
            .filter(|id| self.entries.get(id).is_some_and(|p| p.deadline <= now));
        let mut due: Vec<u32> = self
            .by_deadline
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, id)| *id)
            .chain(loose)
            .collect();
        due.sort_unstable();
        due.into_iter().map(RequestId).collect()
    }

    /// Removes and returns every request whose deadline is at or before `now`, oldest id first.
    pub fn take_expired(&mut self, now: Timestamp) -> Vec<(RequestId, Pending<T>)> {
        self.settle();
        let mut due = Vec::new();
        while let Some(&(deadline, id)) = self.by_deadline.first() {
            if deadline > now {
                break;
            }
            self.by_deadline.pop_first();
            due.push(id);
        }
        due.sort_unstable();
        due.into_iter()
            .filter_map(|id| self.entries.remove(&id).map(|p| (RequestId(id), p)))
            .collect()
    }

    /// Removes every request, each with the [`Error::Disconnected`] it resolves with: whether it
    /// may have reached the server depends on whether it had been sent.
    pub fn take_all_disconnected(&mut self) -> Vec<(RequestId, Pending<T>, Error)> {
        self.by_deadline.clear();
        self.loose = None;
        std::mem::take(&mut self.entries)
            .into_iter()
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

    /// Iterates over the requests in flight, by id.
    pub fn iter(&self) -> impl Iterator<Item = (RequestId, &Pending<T>)> {
        self.entries.iter().map(|(id, p)| (RequestId(*id), p))
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
            let deadline = Timestamp(now + rng.below(100));
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
}
