//! Stable sorting of a `Vec` by an `i64` key with one copy of the sort code for every element
//! type.

/// Sorts `items` by `key`, stably (equal keys keep their order), as `sort_by_key` would.
///
/// Why not `sort_by_key`: the standard sorts are instantiated per element type and key closure
/// (~4.5 KB of wasm each, issue 11's npm size). Here only the `(key, index)` pairs are sorted,
/// by one non-generic function; the elements are then moved into place.
pub(crate) fn sort_by_i64_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> i64) {
    // Talk's long-polls bring their pages oldest first: a walk beats sorting them again.
    if items.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        return;
    }
    let order = stable_order(items.iter().map(key).collect());
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// [`sort_by_i64_key`] for a `u64` key (tada's sequence numbers), through the same sort code:
/// flipping the top bit maps `u64` order onto `i64` order exactly.
pub(crate) fn sort_by_u64_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    sort_by_i64_key(items, |item| (key(item) ^ (1 << 63)) as i64);
}

/// The indices of `keys` in stable sorted order. The pairs are unique (the index breaks ties),
/// so the unstable sort gives the stable order.
fn stable_order(keys: Vec<i64>) -> Vec<usize> {
    let mut pairs: Vec<(i64, usize)> = keys.into_iter().zip(0..).collect();
    pairs.sort_unstable();
    pairs.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::{sort_by_i64_key, sort_by_u64_key};

    #[test]
    fn orders_as_the_standard_stable_sort() {
        let items: Vec<(i64, &str)> = vec![(3, "a"), (1, "b"), (3, "c"), (-5, "d"), (1, "e")];
        let mut ours = items.clone();
        sort_by_i64_key(&mut ours, |(k, _)| *k);
        let mut std = items;
        std.sort_by_key(|(k, _)| *k);
        assert_eq!(ours, std);
    }

    #[test]
    fn leaves_sorted_items_with_equal_keys_in_their_order() {
        let items: Vec<(i64, &str)> = vec![(1, "a"), (1, "b"), (2, "c"), (2, "d")];
        let mut ours = items.clone();
        sort_by_i64_key(&mut ours, |(k, _)| *k);
        assert_eq!(ours, items);
        let mut one = vec![(7, "x")];
        sort_by_i64_key(&mut one, |(k, _)| *k);
        assert_eq!(one, [(7, "x")]);
    }

    /// Across the whole `u64` range, the top bit's values included, as `u64` order has it.
    #[test]
    fn orders_u64_keys_as_the_standard_sort() {
        let keys = [u64::MAX, 0, 1 << 63, (1 << 63) - 1, 5, u64::MAX - 1, 1, 5];
        let items: Vec<(u64, usize)> = keys.iter().copied().zip(0..).collect();
        let mut ours = items.clone();
        sort_by_u64_key(&mut ours, |(k, _)| *k);
        let mut std = items;
        std.sort_by_key(|(k, _)| *k);
        assert_eq!(ours, std);
    }
}
