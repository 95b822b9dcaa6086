//! Exponential backoff with jitter, for retries and reconnects.
//!
//! Jitter matters: clients that retry on a fixed schedule hit a recovering server all at once.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Backoff policy: the n-th retry waits a random time in `[d/2, d]` with `d = min(max, base * 2^n)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Backoff {
    /// Delay before the first retry (upper bound, before jitter).
    pub base: Duration,
    /// Largest delay, however many failures came before.
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A policy starting at `base` and capped at `max`.
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
        }
    }

    /// The delay before the next retry; each call counts one more failure.
    pub(crate) fn next_delay(&mut self, rng: &mut Rng) -> Duration {
        let ceiling = self
            .base
            .as_millis()
            .saturating_mul(1u128 << self.attempt.min(32))
            .min(self.max.as_millis()) as u64;
        self.attempt = self.attempt.saturating_add(1);
        let floor = ceiling / 2;
        Duration::from_millis(floor + rng.below(ceiling - floor + 1))
    }

    /// Forget past failures after a success.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}
