//! The deadline index of the pending table: `(deadline, id)` pairs, earliest first.

use crate::time::Timestamp;
use std::collections::{BTreeSet, VecDeque};

/// Below this many entries a run is not worth compacting: its holes cost a few bytes.
const COMPACT_MIN: usize = 64;

/// `(deadline, id)` pairs, earliest first, for ids that are never 0.
///
/// Why not only a `BTreeSet`: nearly every request of a table waits the same time, so each
/// new deadline is at or after the last, and a tree walks its height to put it where a queue
/// pushes it at the end (issue 13: the index was a third of the cost of issuing a request).
/// Pairs that come in below the run's last (a resend's shorter wait, a restored request, ids
/// after a wrap) go to a tree beside it, so any order of inserts stays correct.
#[derive(Clone, Debug, Default)]
pub(crate) struct Deadlines {
    /// Increasing `(deadline, id)`, each with whether it is still in: a removal in the middle
    /// leaves a hole (keeping the pair, so the run stays sorted for the search), and the ends
    /// are never holes.
    run: VecDeque<(Timestamp, u32, bool)>,
    /// How many holes `run` has.
    holes: usize,
    /// The pairs that were not above the run's last when they came.
    others: BTreeSet<(Timestamp, u32)>,
}

impl Deadlines {
    /// Adds a pair that is not in the index.
    pub(crate) fn insert(&mut self, deadline: Timestamp, id: u32) {
        let above = self
            .run
            .back()
            .is_none_or(|&(d, i, _)| (d, i) < (deadline, id));
        if above {
            self.run.push_back((deadline, id, true));
        } else {
            self.others.insert((deadline, id));
        }
    }

    /// Takes a pair out, if it is in.
    pub(crate) fn remove(&mut self, deadline: Timestamp, id: u32) {
        // The run first: nearly every pair is there, and an empty tree would be a probe for
        // nothing. A hole found there is not the end of the search: the same pair, taken out
        // and put back below the run's last, is in the tree.
        let in_run = self
            .run
            .binary_search_by(|&(d, i, _)| (d, i).cmp(&(deadline, id)))
            .ok()
            .filter(|&at| self.run[at].2);
        let Some(at) = in_run else {
            self.others.remove(&(deadline, id));
            return;
        };
        self.run[at].2 = false;
        self.holes += 1;
        self.trim_ends();
        // Holes pile up behind a front that stays (a request waiting long while many after it
        // are answered): once they are most of the run, it is rebuilt without them.
        if self.holes > COMPACT_MIN && self.holes * 2 > self.run.len() {
            self.run.retain(|&(_, _, live)| live);
            self.holes = 0;
        }
    }

    /// Drops the holes at either end, so that both ends are pairs still in.
    fn trim_ends(&mut self) {
        while self.run.front().is_some_and(|&(_, _, live)| !live) {
            self.run.pop_front();
            self.holes -= 1;
        }
        while self.run.back().is_some_and(|&(_, _, live)| !live) {
            self.run.pop_back();
            self.holes -= 1;
        }
    }

    /// The earliest pair.
    fn first(&self) -> Option<(Timestamp, u32)> {
        let run = self.run.front().map(|&(d, i, _)| (d, i));
        match (run, self.others.first().copied()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest deadline.
    pub(crate) fn earliest(&self) -> Option<Timestamp> {
        self.first().map(|(deadline, _)| deadline)
    }

    /// Takes out and returns the id of the earliest pair, if its deadline is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Timestamp) -> Option<u32> {
        let (deadline, id) = self.first()?;
        if deadline > now {
            return None;
        }
        if self
            .run
            .front()
            .is_some_and(|&(d, i, _)| (d, i) == (deadline, id))
        {
            self.run.pop_front();
            self.trim_ends();
        } else {
            self.others.pop_first();
        }
        Some(id)
    }

    /// The ids of every pair whose deadline is at or before `now`, in no particular order.
    pub(crate) fn due(&self, now: Timestamp) -> impl Iterator<Item = u32> + '_ {
        let run = self
            .run
            .iter()
            .take_while(move |&&(d, _, _)| d <= now)
            .filter(|&&(_, _, live)| live)
            .map(|&(_, i, _)| i);
        let others = self
            .others
            .iter()
            .take_while(move |&&(d, _)| d <= now)
            .map(|&(_, i)| i);
        run.chain(others)
    }

    /// Empties the index.
    pub(crate) fn clear(&mut self) {
        self.run.clear();
        self.holes = 0;
        self.others.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Whatever the order of inserts and removals, the index answers as one sorted set does,
    /// and the run neither keeps holes at its ends nor grows past twice what it holds.
    #[test]
    fn answers_as_a_sorted_set() {
        for seed in 0..8 {
            let mut rng = Rng::new(seed);
            let mut index = Deadlines::default();
            let mut set: BTreeSet<(Timestamp, u32)> = BTreeSet::new();
            let mut now = 0u64;
            let mut next_id = 1u32;
            let mut removed: Vec<(Timestamp, u32)> = Vec::new();
            for step in 0..20_000 {
                match rng.below(11) {
                    // Mostly the same wait from a moving now, as a client's requests are.
                    0..=4 => {
                        let wait = if rng.below(8) == 0 { rng.below(50) } else { 30 };
                        let pair = (Timestamp(now + wait), next_id);
                        next_id += 1 + rng.below(3) as u32;
                        index.insert(pair.0, pair.1);
                        set.insert(pair);
                    }
                    5..=7 if !set.is_empty() => {
                        // Answers come mostly in order, sometimes not.
                        let pick = if rng.below(3) == 0 {
                            rng.below(set.len() as u64) as usize
                        } else {
                            0
                        };
                        let pair = *set.iter().nth(pick).unwrap();
                        index.remove(pair.0, pair.1);
                        set.remove(&pair);
                        removed.push(pair);
                    }
                    8 => {
                        now += rng.below(10);
                        let mut due: Vec<u32> = index.due(Timestamp(now)).collect();
                        due.sort_unstable();
                        let mut expected: Vec<u32> = set
                            .iter()
                            .take_while(|(d, _)| d.0 <= now)
                            .map(|(_, i)| *i)
                            .collect();
                        expected.sort_unstable();
                        assert_eq!(due, expected, "seed {seed} step {step}");
                        if rng.below(2) == 0 {
                            while let Some(id) = index.pop_due(Timestamp(now)) {
                                let first = set.pop_first().unwrap();
                                assert_eq!(first.1, id, "seed {seed} step {step}");
                            }
                            assert!(set.first().is_none_or(|(d, _)| d.0 > now));
                        }
                    }
                    // A pair taken out and put back (a request's deadline set to what it was):
                    // its hole may still be in the run while the pair goes to the tree.
                    9 if !removed.is_empty() => {
                        let pair = removed.swap_remove(rng.below(removed.len() as u64) as usize);
                        if set.insert(pair) {
                            index.insert(pair.0, pair.1);
                        }
                    }
                    _ => {
                        // Removing what is not there changes nothing.
                        index.remove(Timestamp(now), next_id);
                    }
                }
                assert_eq!(index.earliest(), set.first().map(|(d, _)| *d));
                assert!(index.run.front().is_none_or(|e| e.2));
                assert!(index.run.back().is_none_or(|e| e.2));
                let live = index.run.len() - index.holes;
                assert_eq!(live + index.others.len(), set.len());
                assert!(index.holes <= COMPACT_MIN.max(live));
            }
            index.clear();
            assert_eq!(index.earliest(), None);
        }
    }
}
