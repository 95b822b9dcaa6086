//! TrueConf session configuration.

use crate::config::Limits;
use crate::secret::Secret;

/// Longest text message the server accepts, in characters.
pub const MAX_TEXT_CHARS: u32 = 4096;

/// WebSocket path of the chat-bot endpoint, below the server's base URL.
pub const WEBSOCKET_PATH: &str = "/websocket/chat_bot/";

/// WebSocket subprotocol the server speaks.
pub const SUBPROTOCOL: &str = "json.v1";

/// Path of the OAuth endpoint that trades a user's password for the JWT that `auth` takes.
pub const TOKEN_PATH: &str = "/bridge/api/client/v1/oauth/token";

/// How a TrueConf session authenticates and how much it holds.
#[derive(Clone, Debug)]
pub struct TrueConfConfig {
    /// JWT from the OAuth endpoint (see [`TOKEN_PATH`]); redacted in `Debug`.
    pub token: Secret,
    /// Ask the server to deliver messages that arrived while this bot was offline.
    pub receive_unread: Option<bool>,
    /// Size and time bounds.
    pub limits: Limits,
}

impl TrueConfConfig {
    /// A configuration authenticating with `token`, with default limits.
    pub fn new(token: impl Into<Secret>) -> Self {
        TrueConfConfig {
            token: token.into(),
            receive_unread: None,
            limits: Limits::default(),
        }
    }
}
