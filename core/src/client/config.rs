//! How a client reconnects and replays.

use std::time::Duration;

/// Reconnect and replay policy of a [`super::Client`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Reconnect by itself after a drop (not after [`super::Client::close`] or a refused auth).
    pub reconnect: bool,
    /// First reconnect delay (upper bound, before jitter).
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How many times one request is replayed across reconnects before its error is reported.
    pub max_replays: u32,
    /// How long a request cut off by a drop waits for the reconnect that would replay it; then
    /// it resolves with the disconnect error it got, so every call ends even if the server never
    /// comes back.
    pub replay_timeout: Duration,
    /// How long an authenticated connection must last before its drop starts a fresh backoff.
    /// Shorter drops keep growing the delay (a server that accepts and drops at once gets no
    /// storm); longer ones reconnect at `backoff_base` (a flaky network must not leave a working
    /// server unreached for `backoff_max`).
    pub stable_after: Duration,
    /// Seed for the reconnect jitter.
    pub seed: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            reconnect: true,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_replays: 3,
            replay_timeout: Duration::from_secs(30),
            stable_after: Duration::from_secs(1),
            seed: 0x6368_6174_7769_7265,
        }
    }
}
