//! What a Talk session needs to know before it starts.

use crate::config::Limits;
use std::fmt;
use std::time::Duration;

/// The server caps a long-poll's wait at 30 s (the spec allows asking for 60, real servers
/// answer after 30 anyway); asking for more would only make our own deadline wrong.
pub const MAX_POLL_TIMEOUT_SECS: u32 = 30;

/// Most messages one history page may hold (the server's own cap).
pub const MAX_HISTORY_LIMIT: u32 = 200;

/// Default message length limit (`spreed.config.chat.max-length`).
pub const DEFAULT_MAX_LENGTH: u32 = 32_000;

/// Settings of a [`crate::talk::TalkSession`].
///
/// `Debug` never prints the app password.
#[derive(Clone, PartialEq, Eq)]
pub struct TalkConfig {
    /// Login name for HTTP Basic auth; also the `actorId` that marks a message as our own.
    pub user: String,
    /// App password (or password) for HTTP Basic auth. Never printed.
    pub app_password: String,
    /// Size and time bounds shared with the other protocols.
    pub limits: Limits,
    /// Seed of the session's RNG (referenceIds, backoff jitter): give a fresh one per process.
    pub seed: u64,
    /// Longest message accepted for sending, in characters (the server's `max-length`).
    pub max_length: u32,
    /// How long each long-poll asks the server to wait, in seconds (capped at 30).
    pub poll_timeout_secs: u32,
    /// Page size of a room's first history request and of each long-poll (1..=200).
    pub history_limit: u32,
    /// First backoff delay after a failure (upper bound, before jitter; default 200 ms). A
    /// single 429/503 is mostly momentary, and a send is the app's next message held back:
    /// the first retries come quickly, and ten refusals in a row still reach
    /// [`TalkConfig::backoff_max`]. (With 1 s, sends queued behind one refused send lost most of
    /// their time to waiting in the soak's burst cells.)
    pub backoff_base: Duration,
    /// Longest backoff delay.
    pub backoff_max: Duration,
    /// How many times a command (send, mark read, mentions, history page) is tried before its
    /// failure is reported; network errors, timeouts, 429 and 5xx are retried, other errors not.
    /// Whatever is left, a command fails once [`TalkConfig::command_bound`] has passed.
    pub max_attempts: u32,
}

impl TalkConfig {
    /// Defaults for `user` authenticated by the session cookie the host already holds (a browser
    /// page served by the same Nextcloud): requests carry no `Authorization` header.
    pub fn with_session_cookie(user: impl Into<String>) -> Self {
        TalkConfig::new(user, String::new())
    }

    /// Defaults for `user` authenticating with `app_password`.
    pub fn new(user: impl Into<String>, app_password: impl Into<String>) -> Self {
        TalkConfig {
            user: user.into(),
            app_password: app_password.into(),
            limits: Limits::default(),
            seed: 0,
            max_length: DEFAULT_MAX_LENGTH,
            poll_timeout_secs: MAX_POLL_TIMEOUT_SECS,
            history_limit: 100,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(60),
            max_attempts: 10,
        }
    }

    /// The long-poll wait actually requested: at least 1 s, at most the server's cap.
    pub fn effective_poll_timeout_secs(&self) -> u32 {
        self.poll_timeout_secs.clamp(1, MAX_POLL_TIMEOUT_SECS)
    }

    /// How long a command may take from the call to its answer: twice
    /// `limits.request_timeout`, so that a send whose POST timed out can still be looked for
    /// in the room and posted again. Queued behind the room's earlier sends, parked for a
    /// retry or on the wire, every command resolves (ok, or failed with a reason) within it.
    pub fn command_bound(&self) -> Duration {
        self.limits.request_timeout.saturating_mul(2)
    }

    /// The first history page size actually requested.
    pub fn effective_history_limit(&self) -> u32 {
        self.history_limit.clamp(1, MAX_HISTORY_LIMIT)
    }
}

impl fmt::Debug for TalkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TalkConfig")
            .field("user", &self.user)
            .field("app_password", &"<redacted>")
            .field("limits", &self.limits)
            .field("seed", &self.seed)
            .field("max_length", &self.max_length)
            .field("poll_timeout_secs", &self.poll_timeout_secs)
            .field("history_limit", &self.history_limit)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}
