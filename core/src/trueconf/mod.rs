//! TrueConf Chatbot API over WebSocket (`json.v1`).

mod error_code;

pub use error_code::ErrorCode;
