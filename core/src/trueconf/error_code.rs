//! TrueConf `errorCode` values, as the server and TrueConf's official clients number them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`ErrorCode`] from one table, so the number, the variant and the meaning can never
/// disagree between `from`, `code` and `meaning`.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $meaning:literal;)*) => {
        /// An `errorCode` from a TrueConf response, typed by the table the server and the official
        /// clients use (Python SDK 1.5.4 `ApiError`).
        ///
        /// Serialized as its number, so a code this version does not know round-trips unchanged.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "u32", into = "u32")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// Any other code, kept as its number.
            Other(u32),
        }

        impl From<u32> for ErrorCode {
            fn from(code: u32) -> Self {
                match code {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Other(other),
                }
            }
        }

        impl ErrorCode {
            /// The number on the wire.
            pub fn code(self) -> u32 {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Other(c) => c,
                }
            }

            /// What the code means, as the official clients word it; `None` for a code outside
            /// the table.
            pub fn meaning(self) -> Option<&'static str> {
                match self {
                    $(ErrorCode::$variant => Some($meaning),)*
                    ErrorCode::Other(_) => None,
                }
            }
        }
    };
}

error_codes! {
    /// 100: connection error.
    ConnectionError = 100, "connection error";
    /// 101: connection timeout.
    ConnectionTimeout = 101, "connection timeout";
    /// 102: TLS/SSL error.
    TlsError = 102, "TLS/SSL error";
    /// 103: unsupported protocol.
    UnsupportedProtocol = 103, "unsupported protocol";
    /// 104: route not found (unknown method or path).
    RouteNotFound = 104, "route not found";
    /// 200: not authorized (a request before a successful `auth`).
    NotAuthorized = 200, "not authorized";
    /// 201: invalid credentials (a token the server never issued).
    InvalidCredentials = 201, "invalid credentials";
    /// 202: the user is disabled.
    UserDisabled = 202, "user disabled";
    /// 203: credentials expired: get a new token, reconnect and authenticate again. A request
    /// refused with it was not acted on.
    TokenExpired = 203, "credentials expired";
    /// 204: unsupported credentials (a `tokenType` other than `JWT`).
    UnsupportedCredentials = 204, "unsupported credentials";
    /// 300: internal server error.
    InternalServerError = 300, "internal server error";
    /// 301: operation timeout.
    OperationTimeout = 301, "operation timeout";
    /// 302: access denied (not possible in this kind of chat).
    AccessDenied = 302, "access denied";
    /// 303: not enough rights (the role does not allow it, or not the author).
    NotEnoughRights = 303, "not enough rights";
    /// 304: chat not found (or not a member).
    ChatNotFound = 304, "chat not found";
    /// 305: the user is not a participant of the chat.
    NotChatParticipant = 305, "user is not a chat participant";
    /// 306: message not found.
    MessageNotFound = 306, "message not found";
    /// 307: unknown message (unknown method, unknown or settled command id).
    UnknownMessage = 307, "unknown message";
    /// 308: file not found (unknown `fileId` or `temporalFileId`).
    FileNotFound = 308, "file not found";
    /// 309: the user is already in the chat.
    AlreadyInChat = 309, "user already in chat";
    /// 310: file upload failed.
    FileUploadFailed = 310, "file upload failed";
    /// 311: the file is not ready yet (still uploading).
    FileNotReady = 311, "file not ready";
    /// 312: role not found.
    RoleNotFound = 312, "role not found";
    /// 399: wrong payload format (a missing or mistyped field, an empty text, an unknown user).
    WrongPayloadFormat = 399, "wrong payload format";
    /// 400: unknown file error (file storage).
    UnknownFileError = 400, "unknown file error";
    /// 401: not enough space (file storage).
    NotEnoughSpace = 401, "not enough space";
    /// 402: bad file name.
    BadFileName = 402, "bad file name";
    /// 403: file upload forbidden (the extension is blocked by the upload limits).
    FileUploadForbidden = 403, "file upload forbidden";
    /// 404: file not found (file storage: an HTTP download of an unknown file).
    StorageFileNotFound = 404, "file not found";
    /// 405: file not ready (file storage: a download before the upload finished).
    StorageFileNotReady = 405, "file not ready";
    /// 406: the file is larger than the upload limit.
    MaxFileSizeExceeded = 406, "max file size exceeded";
    /// 407: upload task not found (an unknown or used `Upload-Task-Id`).
    UploadTaskNotFound = 407, "upload task not found";
    /// 408: invalid file (the body is not the announced size, or has no `file` part).
    InvalidFile = 408, "invalid file";
}

impl From<ErrorCode> for u32 {
    fn from(code: ErrorCode) -> u32 {
        code.code()
    }
}

impl ErrorCode {
    /// Whether the code belongs to the authentication group (200–204).
    pub fn is_auth(self) -> bool {
        (200..=204).contains(&self.code())
    }
}

/// `304: chat not found`; a code outside the table is its number alone.
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(meaning) => write!(f, "{}: {meaning}", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}
