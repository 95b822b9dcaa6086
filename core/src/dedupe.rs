//! Remembers recently seen keys so a redelivered event reaches the app once.

use serde::{Deserialize, Serialize};
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// A bounded set of recently seen keys: the oldest is forgotten once `capacity` is reached.
///
/// Each key is stored once, in arrival order; the index maps a key's hash to the newest key
/// with that hash, and each key links to the next older one with the same hash, so a lookup
/// compares only keys of equal hash. A key pushed out at the limit lends its buffer to the
/// key that replaces it: in a full window an insert allocates nothing.
///
/// Serialized as its capacity and keys, oldest first; the index is rebuilt on load, so a set
/// equals its own round trip.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "SeenWire", into = "SeenWire")]
pub struct SeenSet {
    capacity: usize,
    /// The keys, oldest first.
    slots: VecDeque<Slot>,
    /// Absolute position of `slots[0]`: positions only grow, so a link to a key already
    /// forgotten is recognisable as older than `first`.
    first: u64,
    /// Key hash → absolute position of the newest key with that hash.
    newest: HashMap<u64, u64, BuildHasherDefault<PreHashed>>,
    hasher: RandomState,
    /// Where [`SeenSet::insert_joined`] builds its key (reused, so it allocates once).
    scratch: String,
}

#[derive(Clone, Debug)]
struct Slot {
    key: String,
    hash: u64,
    /// Absolute position of the next older key with the same hash.
    older: Option<u64>,
}

/// The index's keys are already hashes (keyed by the set's `RandomState`): used as they are.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is reached (the keys are `u64`); this keeps any other use correct.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
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
        // A hand-edited or hostile snapshot may repeat keys (the first one counts) or exceed
        // its capacity (the newest keys stay).
        let mut unique = HashSet::with_capacity(wire.order.len());
        let mut keys: Vec<String> = wire
            .order
            .into_iter()
            .filter(|k| unique.insert(k.clone()))
            .collect();
        if set.capacity > 0 && keys.len() > set.capacity {
            keys.drain(..keys.len() - set.capacity);
        }
        for key in keys {
            let hash = set.hash(&key);
            set.push(key, hash);
        }
        set
    }
}

impl From<SeenSet> for SeenWire {
    fn from(set: SeenSet) -> Self {
        SeenWire {
            capacity: set.capacity,
            order: set.slots.into_iter().map(|s| s.key).collect(),
        }
    }
}

/// Equal when they remember the same keys in the same order with the same capacity; the index
/// is derived from the keys.
impl PartialEq for SeenSet {
    fn eq(&self, other: &Self) -> bool {
        self.capacity == other.capacity
            && self.slots.len() == other.slots.len()
            && self
                .slots
                .iter()
                .zip(&other.slots)
                .all(|(a, b)| a.key == b.key)
    }
}

impl Eq for SeenSet {}

impl SeenSet {
    /// An empty set remembering at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        SeenSet {
            capacity: capacity.max(1),
            ..SeenSet::default()
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
        let hash = self.hash(key);
        if self.find(hash, key) {
            return false;
        }
        let buffer = self.make_room();
        let key = match buffer {
            Some(mut buffer) => {
                buffer.clear();
                buffer.push_str(key);
                buffer
            }
            None => key.to_string(),
        };
        self.push(key, hash);
        true
    }

    /// [`SeenSet::insert`] of the key `prefix` + `id`, without building it anew each time.
    pub fn insert_joined(&mut self, prefix: &str, id: &str) -> bool {
        self.insert_built(|key| {
            key.push_str(prefix);
            key.push_str(id);
        })
    }

    /// [`SeenSet::insert`] of the key `build` writes into an empty buffer: the set's own, so
    /// a key made of parts (or formatted) costs no allocation of its own.
    pub fn insert_built(&mut self, build: impl FnOnce(&mut String)) -> bool {
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        build(&mut key);
        let hash = self.hash(&key);
        if self.find(hash, &key) {
            self.scratch = key;
            return false;
        }
        // The key is stored as built; the buffer of the one it pushes out becomes the scratch.
        self.scratch = self.make_room().unwrap_or_default();
        self.push(key, hash);
        true
    }

    /// Whether `key` was seen recently.
    pub fn contains(&self, key: &str) -> bool {
        self.find(self.hash(key), key)
    }

    fn hash(&self, key: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(key.as_bytes());
        h.finish()
    }

    fn find(&self, hash: u64, key: &str) -> bool {
        let mut at = self.newest.get(&hash).copied();
        while let Some(pos) = at.filter(|p| *p >= self.first) {
            let slot = &self.slots[(pos - self.first) as usize];
            if slot.key == key {
                return true;
            }
            at = slot.older;
        }
        false
    }

    /// Forgets the oldest key if the set is full; returns its buffer for reuse.
    fn make_room(&mut self) -> Option<String> {
        if self.slots.len() < self.capacity {
            return None;
        }
        let old = self.slots.pop_front()?;
        let pos = self.first;
        self.first += 1;
        // Only the newest key of a hash is indexed; an older one is reached through it.
        if self.newest.get(&old.hash) == Some(&pos) {
            self.newest.remove(&old.hash);
        }
        Some(old.key)
    }

    fn push(&mut self, key: String, hash: u64) {
        let pos = self.first + self.slots.len() as u64;
        let older = self.newest.insert(hash, pos);
        self.slots.push_back(Slot { key, hash, older });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The set as it was written before the single-copy index: a queue and a set of copies.
    struct Reference {
        capacity: usize,
        order: VecDeque<String>,
        index: HashSet<String>,
    }

    impl Reference {
        fn insert(&mut self, key: &str) -> bool {
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
    }

    fn keys(set: &SeenSet) -> Vec<String> {
        set.slots.iter().map(|s| s.key.clone()).collect()
    }

    /// Over random inserts (both entry points), lookups and snapshot round trips, at several
    /// capacities and with a hash forced to collide, every answer and the remembered keys are
    /// the old set's.
    #[test]
    fn matches_the_copying_set_over_random_inserts() {
        let mut rng = Rng::new(4096);
        for capacity in [1usize, 2, 3, 7, 64, 500] {
            let mut set = SeenSet::new(capacity);
            let mut reference = Reference {
                capacity,
                order: VecDeque::new(),
                index: HashSet::new(),
            };
            // A key space a few times the capacity: repeats both inside and past the window.
            let space = (capacity as u64) * 3 + 2;
            for step in 0..20_000u32 {
                let n = rng.below(space);
                let prefix = ["msg:", "chat:", "rm:", ""][rng.below(4) as usize];
                let id = format!("{n}");
                let key = format!("{prefix}{id}");
                match rng.below(10) {
                    0 => assert_eq!(set.contains(&key), reference.index.contains(&key)),
                    1..=4 => assert_eq!(set.insert(&key), reference.insert(&key), "{step}"),
                    5..=6 => assert_eq!(
                        set.insert_joined(prefix, &id),
                        reference.insert(&key),
                        "{step}"
                    ),
                    7..=8 => assert_eq!(
                        set.insert_built(|k| {
                            k.push_str(prefix);
                            k.push_str(&id);
                        }),
                        reference.insert(&key),
                        "{step}"
                    ),
                    _ => {
                        let text = serde_json::to_string(&set).unwrap();
                        let back: SeenSet = serde_json::from_str(&text).unwrap();
                        assert_eq!(back, set);
                        set = back;
                    }
                }
                assert_eq!(keys(&set), Vec::from(reference.order.clone()), "{step}");
            }
        }
    }

    /// Keys whose hashes collide are told apart by the chain of equal hashes, also once the
    /// oldest of them was forgotten.
    #[test]
    fn equal_hashes_are_chained() {
        let mut set = SeenSet::new(3);
        let keys = ["a", "b", "c", "d", "e"];
        for k in keys {
            // Every key gets the same hash: the chain is all that tells them apart.
            let pos = set.first + set.slots.len() as u64;
            let _ = set.make_room();
            let older = set.newest.insert(7, pos);
            set.slots.push_back(Slot {
                key: k.to_string(),
                hash: 7,
                older,
            });
            assert!(set.find(7, k));
        }
        assert!(!set.find(7, "a") && !set.find(7, "b"));
        assert!(set.find(7, "c") && set.find(7, "d") && set.find(7, "e"));
    }

    /// A snapshot that repeats keys or holds more than its capacity loads as the old set did:
    /// first occurrences, the newest `capacity` of them.
    #[test]
    fn hostile_snapshots_load_as_before() {
        let text = r#"{"capacity":2,"order":["a","b","a","c","b","d"]}"#;
        let set: SeenSet = serde_json::from_str(text).unwrap();
        assert_eq!(keys(&set), ["c", "d"]);
        let unbounded: SeenSet = serde_json::from_str(r#"{"order":["x","y","x"]}"#).unwrap();
        assert_eq!(keys(&unbounded), ["x", "y"]);
        assert_eq!(unbounded.capacity, 0);
    }
}
