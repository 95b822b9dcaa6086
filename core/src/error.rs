//! The error model shared by every protocol.

use serde::{Deserialize, Serialize};

/// Whether a request cut off by a disconnect may have reached the server.
///
/// A write that may have arrived must not be replayed blindly: the app decides (or the protocol's
/// idempotency key makes a replay safe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// It never left this client: safe to send again.
    NotSent,
    /// It was handed to the transport before the drop: the server may or may not have acted on it.
    MaybeDelivered,
}

/// Whose fault an error is, and when it happened (after h11's local/remote split).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Refused at once by this client, before anything was sent: a bad argument, a message
    /// too long, a full queue or table, a closed client. Fix the call; retrying as is fails too.
    Refused,
    /// The request was tried and did not succeed: timed out, cut off by a disconnect (see its
    /// [`Delivery`]), the connection could not be opened, or the server said no with a code.
    Failed,
    /// The server sent something this client could not read (too large, not the shape the
    /// protocol documents).
    Undecodable,
}

/// Everything that can go wrong with a request or a frame.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// No answer arrived before the request timeout.
    #[error("request timed out")]
    Timeout,
    /// The connection closed before the answer arrived.
    #[error("connection closed before the answer arrived ({delivery:?})")]
    Disconnected {
        /// Whether the request may have reached the server.
        delivery: Delivery,
    },
    /// Too many requests are already waiting for answers.
    #[error("too many requests in flight (limit {limit})")]
    TooManyPending {
        /// The configured limit.
        limit: u64,
    },
    /// The host has not drained the session's output and the queue is full.
    #[error("outgoing queue full (limit {limit})")]
    QueueFull {
        /// The configured limit.
        limit: u64,
    },
    /// An incoming frame or body is larger than the configured limit.
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    FrameTooLarge {
        /// Its size in bytes.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A message is longer than the protocol or server allows; refused before sending.
    #[error("message of {length} characters exceeds the limit of {limit}")]
    MessageTooLong {
        /// Its length in characters.
        length: u64,
        /// The limit in characters.
        limit: u64,
    },
    /// An argument from the caller cannot be sent as given.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong with it.
        reason: String,
    },
    /// A frame or body from the server could not be decoded.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// Why decoding failed.
        reason: String,
    },
    /// The server answered with something this request cannot use.
    #[error("unexpected response: {reason}")]
    UnexpectedResponse {
        /// What was expected and what came.
        reason: String,
    },
    /// The session is not connected and cannot queue this.
    #[error("not connected")]
    NotConnected,
    /// The app closed the client (`close` or `shutdown`): nothing is sent until it connects
    /// again, and after `shutdown` never.
    #[error("the client was closed")]
    Closed,
    /// The connection cannot be opened and will not be retried (no WebSocket in this runtime,
    /// a header the host cannot send, a wrong URL scheme, refused before it opened).
    #[error("cannot connect: {reason}")]
    ConnectFailed {
        /// What the host or the session said.
        reason: String,
    },
    /// Authentication was refused; the session will not proceed without new credentials.
    #[error("authentication failed: {reason}")]
    AuthFailed {
        /// The server's reason.
        reason: String,
    },
    /// An error code from the TrueConf server.
    #[cfg(feature = "trueconf")]
    #[error("TrueConf error {code}")]
    #[serde(rename = "trueconf")]
    TrueConf {
        /// The `errorCode`, typed; serialized as its number.
        code: crate::trueconf::ErrorCode,
    },
    /// The server kept not confirming: the event was resent up to the limit and given up on.
    #[error("not confirmed after {attempts} attempts")]
    NotConfirmed {
        /// How many times it was sent.
        attempts: u32,
    },
    /// The server rejected the event with a warning.
    #[error("rejected by the server: {message}")]
    Rejected {
        /// The server's message.
        message: String,
    },
    /// An HTTP status with no more specific meaning; its number and body are kept.
    #[error("HTTP status {status}")]
    Http {
        /// The status code.
        status: u16,
        /// The response body as received, cut past [`crate::Limits::max_error_body_bytes`].
        body: String,
    },
    /// A Nextcloud Talk HTTP status with a documented meaning (read-only, lobby, rate limited…).
    #[cfg(feature = "talk")]
    #[error("Talk: {0}")]
    Talk(crate::talk::HttpError),
}

impl Error {
    /// [`Error::MessageTooLong`] if `text` has more than `limit` characters (servers count
    /// characters, not bytes). A text of at most `limit` bytes is within it without counting:
    /// the common case, so a send does not walk its text.
    #[cfg_attr(not(any(feature = "trueconf", feature = "talk")), allow(dead_code))]
    pub(crate) fn check_length(text: &str, limit: u32) -> Result<(), Error> {
        let limit = limit as usize;
        if text.len() <= limit {
            return Ok(());
        }
        let length = text.chars().count();
        if length > limit {
            return Err(Error::MessageTooLong {
                length: length as u64,
                limit: limit as u64,
            });
        }
        Ok(())
    }

    /// Whose fault this is and when it happened; see [`ErrorKind`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::TooManyPending { .. }
            | Error::QueueFull { .. }
            | Error::MessageTooLong { .. }
            | Error::InvalidArgument { .. }
            | Error::NotConnected
            | Error::Closed => ErrorKind::Refused,
            Error::FrameTooLarge { .. }
            | Error::InvalidFrame { .. }
            | Error::UnexpectedResponse { .. } => ErrorKind::Undecodable,
            Error::Timeout
            | Error::Disconnected { .. }
            | Error::ConnectFailed { .. }
            | Error::AuthFailed { .. }
            | Error::NotConfirmed { .. }
            | Error::Rejected { .. }
            | Error::Http { .. } => ErrorKind::Failed,
            #[cfg(feature = "trueconf")]
            Error::TrueConf { .. } => ErrorKind::Failed,
            #[cfg(feature = "talk")]
            Error::Talk(_) => ErrorKind::Failed,
        }
    }
}
