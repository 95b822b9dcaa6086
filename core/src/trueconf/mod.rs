//! TrueConf Chatbot API over WebSocket (`json.v1`).
//!
//! Open the WebSocket at [`WEBSOCKET_PATH`] with subprotocol [`SUBPROTOCOL`], then call
//! `handle_connected`: the session authenticates with the JWT from [`TrueConfConfig`] (obtained from
//! [`TOKEN_PATH`]) before anything else goes out.

mod config;
mod envelope;
mod error_code;
mod inspect;
mod notification;
mod request;
mod session;
pub(crate) mod wire;

pub use config::{TrueConfConfig, MAX_TEXT_CHARS, SUBPROTOCOL, TOKEN_PATH, WEBSOCKET_PATH};
pub use error_code::ErrorCode;
pub use inspect::inspect_trueconf;
pub use notification::Notification;
pub use request::Request;
pub use session::{TrueConfSession, TrueConfSnapshot};
