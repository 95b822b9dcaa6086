//! An ordered map that keeps its values boxed, so that one copy of the B-tree code serves many
//! value types.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

/// A `BTreeMap<K, V>` whose values live in a `Box`.
///
/// Why: `BTreeMap`'s node code (search, insert, split, steal, merge: ~8 KB of wasm per map
/// type) is instantiated once per `(K, V)` pair, and the core has two dozen of them. With every
/// value a pointer, the instantiations for one key type compile to the same code and the
/// linker's and `wasm-opt`'s identical-function folding keep one (issue 11: the npm bundle's
/// size). A `RequestId` key is a `u32` underneath, so those maps fold with the `u32`-keyed ones.
///
/// Behaves as the `BTreeMap` it wraps: key order, serde shape (a map of `V`), `Debug` output
/// and equality are those of `BTreeMap<K, V>`. The cost is one allocation per entry.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
#[serde(bound(
    serialize = "K: Serialize, V: Serialize",
    deserialize = "K: Deserialize<'de> + Ord, V: Deserialize<'de>"
))]
pub(crate) struct BoxedMap<K, V> {
    inner: BTreeMap<K, Box<V>>,
}

impl<K, V> Default for BoxedMap<K, V> {
    fn default() -> Self {
        BoxedMap {
            inner: BTreeMap::new(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for BoxedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<K, V> BoxedMap<K, V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// Entries in key order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.inner.iter().map(|(k, v)| (k, &**v))
    }

    /// Keys in order.
    pub(crate) fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.inner.keys()
    }

    /// Values in key order.
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.inner.values().map(|v| &**v)
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.inner.clear();
    }
}

impl<K: Ord, V> BoxedMap<K, V> {
    /// The value under `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.get(key).map(|v| &**v)
    }

    /// The value under `key`, mutable.
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.get_mut(key).map(|v| &mut **v)
    }

    /// Whether `key` has a value.
    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.contains_key(key)
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.inner.insert(key, Box::new(value)).map(|v| *v)
    }

    /// Removes `key`, returning its value.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.remove(key).map(|v| *v)
    }

    /// The value under `key`, inserted from `make` first if there was none.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        self.inner.entry(key).or_insert_with(|| Box::new(make()))
    }
}

impl<K, V> IntoIterator for BoxedMap<K, V> {
    type Item = (K, V);
    type IntoIter =
        std::iter::Map<std::collections::btree_map::IntoIter<K, Box<V>>, fn((K, Box<V>)) -> (K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.inner.into_iter().map(|(k, v)| (k, *v))
    }
}

impl<'a, K, V> IntoIterator for &'a BoxedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<
        std::collections::btree_map::Iter<'a, K, Box<V>>,
        fn((&'a K, &'a Box<V>)) -> (&'a K, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.inner.iter().map(|(k, v)| (k, &**v))
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for BoxedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        BoxedMap {
            inner: iter.into_iter().map(|(k, v)| (k, Box::new(v))).collect(),
        }
    }
}

impl<K: Ord, V> Extend<(K, V)> for BoxedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.inner
            .extend(iter.into_iter().map(|(k, v)| (k, Box::new(v))));
    }
}

/// A `BTreeSet<K>` as a [`BoxedMap`] of `()`: a `Box<()>` allocates nothing and is a pointer,
/// so the set shares the node code of the boxed maps with the same key type.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BoxedSet<K> {
    inner: BoxedMap<K, ()>,
}

impl<K> Default for BoxedSet<K> {
    fn default() -> Self {
        BoxedSet {
            inner: BoxedMap::new(),
        }
    }
}

impl<K: fmt::Debug> fmt::Debug for BoxedSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.inner.keys()).finish()
    }
}

impl<K> BoxedSet<K> {
    /// An empty set.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Removes every key.
    pub(crate) fn clear(&mut self) {
        self.inner.clear();
    }

    /// Keys in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.inner.keys()
    }
}

impl<K: Ord> BoxedSet<K> {
    /// Adds `key`; false if it was there already.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.inner.insert(key, ()).is_none()
    }

    /// Removes `key`; false if it was not there.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.remove(key).is_some()
    }

    /// Whether `key` is in the set.
    pub(crate) fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.inner.contains_key(key)
    }
}

impl<K> IntoIterator for BoxedSet<K> {
    type Item = K;
    type IntoIter = std::iter::Map<<BoxedMap<K, ()> as IntoIterator>::IntoIter, fn((K, ())) -> K>;

    fn into_iter(self) -> Self::IntoIter {
        self.inner.into_iter().map(|(k, ())| k)
    }
}

impl<K: Ord> FromIterator<K> for BoxedSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        BoxedSet {
            inner: iter.into_iter().map(|k| (k, ())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BoxedMap, BoxedSet};
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn serializes_debugs_and_orders_as_the_btreemap_it_wraps() {
        let pairs = [
            ("b".to_string(), 2),
            ("a".to_string(), 1),
            ("c".to_string(), 3),
        ];
        let boxed: BoxedMap<String, i64> = pairs.iter().cloned().collect();
        let plain: BTreeMap<String, i64> = pairs.iter().cloned().collect();
        assert_eq!(
            serde_json::to_string(&boxed).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(format!("{boxed:?}"), format!("{plain:?}"));
        let keys: Vec<&String> = boxed.keys().collect();
        assert_eq!(keys, plain.keys().collect::<Vec<_>>());
        let back: BoxedMap<String, i64> =
            serde_json::from_str(&serde_json::to_string(&plain).unwrap()).unwrap();
        assert_eq!(back, boxed);
    }

    #[test]
    fn insert_and_remove_hand_back_the_values() {
        let mut m = BoxedMap::new();
        assert_eq!(m.insert(7u32, "x".to_string()), None);
        assert_eq!(m.insert(7, "y".to_string()).as_deref(), Some("x"));
        *m.get_or_insert_with(8, String::new) += "z";
        assert_eq!(m.get(&8).map(String::as_str), Some("z"));
        assert_eq!(m.remove(&7).as_deref(), Some("y"));
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            vec![(8, "z".to_string())]
        );
    }

    #[test]
    fn the_set_debugs_and_iterates_as_a_btreeset() {
        let mut ours: BoxedSet<u32> = [5, 1, 3].into_iter().collect();
        let plain: BTreeSet<u32> = [5, 1, 3].into_iter().collect();
        assert_eq!(format!("{ours:?}"), format!("{plain:?}"));
        assert!(!ours.insert(3));
        assert!(ours.remove(&1));
        assert!(!ours.contains(&1) && ours.contains(&3));
        assert_eq!(ours.into_iter().collect::<Vec<_>>(), vec![3, 5]);
    }
}
