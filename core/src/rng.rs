//! The seeded random source every session draws from.
//!
//! Hand-written SplitMix64 rather than the `rand` crates: the output for a seed must stay byte for
//! byte the same across releases (tests and recorded sessions depend on it), it needs no OS entropy
//! (wasm32-unknown-unknown has none without extra glue), and ids and jitter need no cryptographic
//! strength: the host supplies a fresh seed per session.

// Reachable from outside only through `internals` (tests, fuzzers).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use serde::{Deserialize, Serialize};

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// A deterministic pseudo-random generator (SplitMix64).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift keeps the bias below 2^-64 per draw, far under anything observable here.
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// `len` characters from `[0-9A-Za-z]` (tada `confirm_id`, tada `message_id` suffixes).
    pub fn alphanumeric(&mut self, len: usize) -> String {
        self.pick(ALPHANUMERIC, len)
    }

    /// `len` lowercase hex characters (Talk `referenceId`).
    pub fn hex(&mut self, len: usize) -> String {
        self.pick(HEX, len)
    }

    /// A random version-4 UUID string (tada client-made `message_id`).
    pub fn uuid_v4(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }

    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}
