//! Remembers recently seen keys so a redelivered event reaches the app once.

use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};

/// A bounded set of recently seen keys: the oldest is forgotten once `capacity` is reached.
///
/// Serialized as its capacity and keys, oldest first; the index is rebuilt on load, so a set
/// equals its own round trip.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "SeenWire", into = "SeenWire")]
pub struct SeenSet {
    capacity: usize,
    order: VecDeque<String>,
    index: HashSet<String>,
}

/// What a [`SeenSet`] keeps across a restart.
#[derive(Clone, Default, Serialize, Deserialize)]
struct SeenWire {
    #[serde(default)]
    capacity: usize,
    #[serde(default)]
    order: VecDeque<String>,
}

impl From<SeenWire> for SeenSet {
    fn from(wire: SeenWire) -> Self {
        let mut set = SeenSet {
            capacity: wire.capacity,
            ..SeenSet::default()
        };
        // A hand-edited or hostile snapshot may repeat keys or exceed its capacity.
        for key in wire.order {
            if set.index.insert(key.clone()) {
                set.order.push_back(key);
            }
        }
        while set.capacity > 0 && set.order.len() > set.capacity {
            if let Some(old) = set.order.pop_front() {
                set.index.remove(&old);
            }
        }
        set
    }
}

impl From<SeenSet> for SeenWire {
    fn from(set: SeenSet) -> Self {
        SeenWire {
            capacity: set.capacity,
            order: set.order,
        }
    }
}

/// Equal when they remember the same keys in the same order with the same capacity; the index
/// is derived from the keys.
impl PartialEq for SeenSet {
    fn eq(&self, other: &Self) -> bool {
        self.capacity == other.capacity && self.order == other.order
    }
}

impl Eq for SeenSet {}

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
        self.index.contains(key)
    }
}
