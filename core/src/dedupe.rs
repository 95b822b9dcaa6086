//! Remembers recently seen keys so a redelivered event reaches the app once.

use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};

/// A bounded set of recently seen keys: the oldest is forgotten once `capacity` is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSet {
    capacity: usize,
    order: VecDeque<String>,
    #[serde(skip)]
    index: HashSet<String>,
}

impl SeenSet {
    /// An empty set remembering at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        SeenSet {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            index: HashSet::new(),
        }
    }

    /// This set, or a fresh one of `capacity` if it never had one (a default set from an empty
    /// snapshot): restoring must not leave a session with a window of one key.
    pub fn or_new(self, capacity: usize) -> Self {
        if self.capacity == 0 {
            SeenSet::new(capacity)
        } else {
            self
        }
    }

    /// Records `key`; true if it was not seen before (deliver), false if it is a repeat (drop).
    pub fn insert(&mut self, key: &str) -> bool {
        if self.index.len() != self.order.len() {
            // Restored from a snapshot: the index is not serialized, rebuild it once.
            self.index = self.order.iter().cloned().collect();
        }
        if self.index.contains(key) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.index.remove(&old);
            }
        }
        self.order.push_back(key.to_string());
        self.index.insert(key.to_string());
        true
    }

    /// Whether `key` was seen recently.
    pub fn contains(&self, key: &str) -> bool {
        if self.index.len() == self.order.len() {
            self.index.contains(key)
        } else {
            self.order.iter().any(|k| k == key)
        }
    }
}
