//! A bounded map of recently seen objects and their newest version.

use crate::boxed_map::BoxedMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Keys with a value, forgetting the oldest key once `capacity` is reached.
///
/// Holds per-object versions (message and chat `gentime`s) so that a late, older copy of an
/// object is recognised; bounded because a long-lived session sees unboundedly many messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Recent<V> {
    capacity: usize,
    order: VecDeque<String>,
    map: BoxedMap<String, V>,
}

impl<V> Recent<V> {
    /// The value held for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    /// Every key held, with its value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Sets the value of `key`, forgetting the oldest key if a new one does not fit.
    pub(crate) fn insert(&mut self, key: &str, value: V) {
        if self.map.insert(key.to_string(), value).is_none() {
            self.order.push_back(key.to_string());
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

impl<V> Recent<V> {
    /// Sets the bound (a restored snapshot takes the current config's), forgetting the oldest
    /// keys that no longer fit.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}
