//! Request identifiers.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies one request this client made, from the moment a command returns it until its
/// response, timeout or disconnect is reported in [`crate::Event::Response`].
///
/// Never 0, and never the id of another request still in flight. The server's own request ids
/// (TrueConf notifications) live in a separate space and are never of this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u32);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A u32 counter from 1 that wraps past `u32::MAX` back to 1, skipping ids still in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCounter {
    next: u32,
}

impl Default for IdCounter {
    fn default() -> Self {
        IdCounter { next: 1 }
    }
}

impl IdCounter {
    /// A counter whose next id is `next` (0 is read as 1); tests use it to start near the wrap.
    pub fn starting_at(next: u32) -> Self {
        IdCounter { next: next.max(1) }
    }

    /// The next id for which `in_use` is false, or `None` when every id is taken.
    pub fn next(&mut self, in_use: impl Fn(u32) -> bool) -> Option<RequestId> {
        // At most u32::MAX candidates; callers bound the number in flight far below that,
        // so this ends after a handful of steps in practice.
        for _ in 0..u32::MAX {
            let id = self.next;
            self.next = if id == u32::MAX { 1 } else { id + 1 };
            if !in_use(id) {
                return Some(RequestId(id));
            }
        }
        None
    }
}

/// Hashes request ids for the maps keyed by them: one multiplication instead of SipHash's
/// rounds, and the same hash in every process, so the tables behave the same from run to run.
///
/// Why not SipHash: our ids are not chosen by a peer (the counter hands them out), so there is
/// no flooding to defend against, and the pending table and the waiters are looked up several
/// times per request. A multiplication by an odd constant is a bijection on the low bits, which
/// hashbrown uses for the bucket, so consecutive ids never collide there; the high bits, which
/// it uses for its control bytes, are mixed from all of them.
pub(crate) type IdHashing = std::hash::BuildHasherDefault<IdHasher>;

/// The [`std::hash::Hasher`] of [`IdHashing`].
#[derive(Default)]
pub(crate) struct IdHasher(u64);

/// 2⁶⁴ divided by the golden ratio, odd (Knuth's multiplicative hashing).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u32` is reached (ids are `u32`s); this keeps any other key correct.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(GOLDEN);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(GOLDEN);
    }
}
