//! The bounds of `Limits` that keep memory finite whatever the server sends (issue 14, defect
//! 7), and the credentials that must never leave the session except on the wire.

mod chat_limit;
mod error_body;
mod protocol_error_cap;
mod secrets;
