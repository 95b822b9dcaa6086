//! TrueConf `errorCode` values.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An `errorCode` from a TrueConf response, typed where the protocol documents it.
///
/// Serialized as its number, so a code this version does not know round-trips unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "u32", into = "u32")]
#[non_exhaustive]
pub enum ErrorCode {
    /// 100: network error on the server side.
    Network,
    /// 101: request timed out on the server.
    NetworkTimeout,
    /// 102: the request could not be parsed.
    BadRequest,
    /// 103: unknown method.
    UnknownMethod,
    /// 104: server internal error.
    Internal,
    /// 200: not authorized (a request before `auth`).
    NotAuthorized,
    /// 201: invalid credentials.
    InvalidCredentials,
    /// 202: invalid token.
    InvalidToken,
    /// 203: token expired: get a new token, reconnect and authenticate again.
    TokenExpired,
    /// 204: user is disabled or not allowed to log in.
    UserDisabled,
    /// 300–312: chat errors, by number (not found, no rights, limits, …).
    Chat(u32),
    /// Any other code, kept as its number.
    Other(u32),
}

impl From<u32> for ErrorCode {
    fn from(code: u32) -> Self {
        match code {
            100 => ErrorCode::Network,
            101 => ErrorCode::NetworkTimeout,
            102 => ErrorCode::BadRequest,
            103 => ErrorCode::UnknownMethod,
            104 => ErrorCode::Internal,
            200 => ErrorCode::NotAuthorized,
            201 => ErrorCode::InvalidCredentials,
            202 => ErrorCode::InvalidToken,
            203 => ErrorCode::TokenExpired,
            204 => ErrorCode::UserDisabled,
            300..=312 => ErrorCode::Chat(code),
            other => ErrorCode::Other(other),
        }
    }
}

impl From<ErrorCode> for u32 {
    fn from(code: ErrorCode) -> u32 {
        code.code()
    }
}

impl ErrorCode {
    /// The number on the wire.
    pub fn code(self) -> u32 {
        match self {
            ErrorCode::Network => 100,
            ErrorCode::NetworkTimeout => 101,
            ErrorCode::BadRequest => 102,
            ErrorCode::UnknownMethod => 103,
            ErrorCode::Internal => 104,
            ErrorCode::NotAuthorized => 200,
            ErrorCode::InvalidCredentials => 201,
            ErrorCode::InvalidToken => 202,
            ErrorCode::TokenExpired => 203,
            ErrorCode::UserDisabled => 204,
            ErrorCode::Chat(c) | ErrorCode::Other(c) => c,
        }
    }

    /// Whether the code belongs to the authentication group (200–204).
    pub fn is_auth(self) -> bool {
        (200..=204).contains(&self.code())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.code(), self)
    }
}
