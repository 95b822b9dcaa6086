//! What a tada session needs to know before it connects.

use crate::config::Limits;
use crate::secret::Secret;
use std::time::Duration;

/// Settings of one tada session: team, credentials, limits, seed and timers.
///
/// The token is a [`Secret`]: `Debug` prints `<redacted>`, so logging a config never leaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TadaConfig {
    /// The team's uid: the WebSocket path is `/messaging/{team}`.
    pub team: String,
    /// The user's API token, sent as the `token` header of the WebSocket upgrade; `None`: the
    /// host's session cookie for the tada origin authenticates (a browser page cannot send
    /// headers on a WebSocket).
    pub token: Option<Secret>,
    /// Frame, queue and pending-request bounds.
    pub limits: Limits,
    /// Seed of the session's random source (`confirm_id`s, client-made `message_id`s): the host
    /// passes a fresh one per session; tests pass a constant and get the same bytes every run.
    pub seed: u64,
    /// How long an event waits for `server.confirm` before it is sent again.
    pub resend_timeout: Duration,
    /// How many times an unconfirmed event is sent again before it is reported failed with
    /// [`crate::Error::NotConfirmed`]; it is sent `1 + max_resends` times in all.
    pub max_resends: u32,
    /// How often the session sends `client.ping` while connected.
    pub ping_interval: Duration,
    /// How long a `client.ping` may go unconfirmed before the connection is judged dead.
    pub ping_deadline: Duration,
    /// How long an event may wait for a connection, counted from when it was made (from the
    /// first connect for one restored from a snapshot): then it fails with
    /// [`crate::Error::Disconnected`] (`NotSent`, or `MaybeDelivered` once it went out), so a
    /// send resolves even when the server never comes back. Connected, the resend budget bounds
    /// it instead.
    pub offline_timeout: Duration,
}

impl TadaConfig {
    /// A config for `team` authenticated by the session cookie the host (a browser page on the
    /// tada origin) already holds; otherwise as [`TadaConfig::new`].
    pub fn with_session_cookie(team: impl Into<String>) -> Self {
        TadaConfig {
            token: None,
            ..TadaConfig::new(team, String::new())
        }
    }

    /// A config for `team` with `token` and the defaults: seed 0, resend after 5 s up to 3
    /// times, ping every 30 s, dead after 10 s without an answer, 60 s to wait for a connection.
    pub fn new(team: impl Into<String>, token: impl Into<Secret>) -> Self {
        TadaConfig {
            team: team.into(),
            token: Some(token.into()),
            limits: Limits::default(),
            seed: 0,
            resend_timeout: Duration::from_secs(5),
            max_resends: 3,
            ping_interval: Duration::from_secs(30),
            ping_deadline: Duration::from_secs(10),
            offline_timeout: Duration::from_secs(60),
        }
    }
}
