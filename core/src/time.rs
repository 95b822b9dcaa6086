//! Time as the host gives it: the core never reads a clock.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A point on the host's monotonic clock, in milliseconds.
///
/// The host chooses the epoch (process start, `performance.now()`, a test's zero); the core only
/// compares and adds, so any monotonic source works and tests run on a virtual clock.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// A timestamp `ms` milliseconds after the host's epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the host's epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This instant plus `d`, saturating instead of overflowing (a far deadline is still a deadline).
    // Not `ops::Add`: that trait's contract is to panic on overflow in debug builds, and a
    // deadline computed from a host-supplied time must never panic.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(d.as_millis().min(u64::MAX as u128) as u64),
        )
    }

    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}
