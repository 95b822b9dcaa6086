//! TrueConf session configuration.

use crate::config::Limits;
use crate::secret::Secret;

/// Longest text message the server accepts, in characters.
pub const MAX_TEXT_CHARS: u32 = 4096;

/// WebSocket path of the chat-bot endpoint, below the server's base URL.
pub const WEBSOCKET_PATH: &str = "/websocket/chat_bot/";

/// WebSocket subprotocol the server speaks.
pub const SUBPROTOCOL: &str = "json.v1";

/// Path of the HTTP endpoint that takes an upload task's bytes (`Upload-Task-Id`).
pub const FILES_PATH: &str = "/bridge/api/client/v1/files";

/// Path of the OAuth endpoint that trades a user's password for the JWT that `auth` takes.
pub const TOKEN_PATH: &str = "/bridge/api/client/v1/oauth/token";

/// How a TrueConf session authenticates and how much it holds.
#[derive(Clone, Debug)]
pub struct TrueConfConfig {
    /// JWT from the OAuth endpoint (see [`TOKEN_PATH`]); redacted in `Debug`.
    pub token: Secret,
    /// Ask the server to deliver messages that arrived while this bot was offline.
    pub receive_unread: Option<bool>,
    /// Ask the server to deliver system envelopes too (participant added, title changed, …:
    /// message types 1, 2, 21, 22, 23, 110) as `sendMessage`; without it they appear only in
    /// the history.
    pub receive_system_messages: Option<bool>,
    /// How long before the JWT's `exp` to announce [`crate::Event::TokenExpired`], so the host
    /// fetches a new token before the server refuses the old one. Needs the wall clock
    /// ([`super::TrueConfSession::set_unix_time`]).
    pub refresh_before: std::time::Duration,
    /// Size and time bounds.
    pub limits: Limits,
}

impl TrueConfConfig {
    /// A configuration authenticating with `token`, with default limits.
    pub fn new(token: impl Into<Secret>) -> Self {
        TrueConfConfig {
            token: token.into(),
            receive_unread: None,
            receive_system_messages: None,
            refresh_before: std::time::Duration::from_secs(60),
            limits: Limits::default(),
        }
    }
}
