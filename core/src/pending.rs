//! The table of requests waiting for an answer, with their deadlines.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::error::{Delivery, Error};
use crate::ids::{IdCounter, RequestId};
use crate::time::Timestamp;
use std::collections::BTreeMap;

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
#[derive(Clone, Debug)]
pub struct PendingTable<T> {
    ids: IdCounter,
    entries: BTreeMap<u32, Pending<T>>,
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
            entries: BTreeMap::new(),
            limit,
        }
    }

    /// Registers a request and returns its fresh id, or [`Error::TooManyPending`] at the limit.
    pub fn insert(&mut self, deadline: Timestamp, value: T) -> Result<RequestId, Error> {
        let entries = &self.entries;
        let id = self
            .ids
            .next(|candidate| entries.contains_key(&candidate))
            .ok_or(Error::TooManyPending {
                limit: self.limit as u64,
            })?;
        self.insert_with_id(id, deadline, value)?;
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
        if self.entries.len() >= self.limit {
            return Err(Error::TooManyPending {
                limit: self.limit as u64,
            });
        }
        if id.0 == 0 || self.entries.contains_key(&id.0) {
            return Err(Error::InvalidArgument {
                reason: format!("request id {id} is reserved or in use"),
            });
        }
        self.entries.insert(
            id.0,
            Pending {
                deadline,
                sent: false,
                value,
            },
        );
        Ok(())
    }

    /// Marks a request as handed to the transport.
    pub fn mark_sent(&mut self, id: RequestId) {
        if let Some(p) = self.entries.get_mut(&id.0) {
            p.sent = true;
        }
    }

    /// Moves a request's deadline (a resend starts a new wait).
    pub fn set_deadline(&mut self, id: RequestId, deadline: Timestamp) {
        if let Some(p) = self.entries.get_mut(&id.0) {
            p.deadline = deadline;
        }
    }

    /// The request, if still in flight.
    pub fn get(&self, id: RequestId) -> Option<&Pending<T>> {
        self.entries.get(&id.0)
    }

    /// The request, mutably, if still in flight.
    pub fn get_mut(&mut self, id: RequestId) -> Option<&mut Pending<T>> {
        self.entries.get_mut(&id.0)
    }

    /// Takes a request out because its answer arrived.
    pub fn remove(&mut self, id: RequestId) -> Option<Pending<T>> {
        self.entries.remove(&id.0)
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
        self.entries.values().map(|p| p.deadline).min()
    }

    /// Removes and returns every request whose deadline is at or before `now`, oldest id first.
    pub fn take_expired(&mut self, now: Timestamp) -> Vec<(RequestId, Pending<T>)> {
        let due: Vec<u32> = self
            .entries
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        due.into_iter()
            .filter_map(|id| self.entries.remove(&id).map(|p| (RequestId(id), p)))
            .collect()
    }

    /// Removes every request, each with the [`Error::Disconnected`] it resolves with: whether it
    /// may have reached the server depends on whether it had been sent.
    pub fn take_all_disconnected(&mut self) -> Vec<(RequestId, Pending<T>, Error)> {
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
