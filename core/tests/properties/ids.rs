//! `IdCounter`: never 0, never an id in use, distinct among those in flight, wraps past u32::MAX.

use chatwire::internals::IdCounter;
use proptest::prelude::*;
use std::collections::BTreeSet;

proptest! {
    #[test]
    fn ids_in_flight_are_distinct_nonzero_and_never_in_use(
        start in prop_oneof![Just(0u32), Just(1), Just(u32::MAX - 3), Just(u32::MAX), any::<u32>()],
        taken in proptest::collection::btree_set(prop_oneof![1u32..8, (u32::MAX - 8)..=u32::MAX, any::<u32>()], 0..16),
        ops in proptest::collection::vec(any::<bool>(), 1..200),
    ) {
        let mut counter = IdCounter::starting_at(start);
        let mut in_use: BTreeSet<u32> = taken;
        let mut mine: Vec<u32> = Vec::new();
        for allocate in ops {
            if allocate || mine.is_empty() {
                let id = counter.next(|id| in_use.contains(&id)).expect("ids are left").0;
                prop_assert_ne!(id, 0);
                prop_assert!(in_use.insert(id), "{} handed out while in use", id);
                mine.push(id);
            } else {
                // The oldest request resolves: its id is free again.
                let id = mine.remove(0);
                in_use.remove(&id);
            }
        }
    }

    #[test]
    fn the_counter_goes_up_by_one_and_wraps_to_one(start in any::<u32>(), n in 1usize..64) {
        let mut counter = IdCounter::starting_at(start);
        let mut expected = start.max(1);
        for _ in 0..n {
            prop_assert_eq!(counter.next(|_| false).unwrap().0, expected);
            expected = if expected == u32::MAX { 1 } else { expected + 1 };
        }
    }
}
