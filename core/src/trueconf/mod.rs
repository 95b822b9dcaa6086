//! TrueConf Chatbot API over WebSocket (`json.v1`).
//!
//! Open the WebSocket at [`WEBSOCKET_PATH`] with subprotocol [`SUBPROTOCOL`], then call
//! `handle_connected`: the session authenticates with the JWT from [`TrueConfConfig`] (obtained from
//! [`TOKEN_PATH`]) before anything else goes out.
//!
//! The session decodes what real servers (5.5.6+) send, as TrueConf's official clients read it:
//! envelopes with a `chat` object beside `chatId` ([`envelope_chat`]), replies with the
//! expanded original ([`reply_message`]), forwards whose content is the original's envelope
//! ([`forwarded_message`]), both `removeChatParticipant` and the seed's
//! `removedChatParticipant`, and the notifications beyond chat, typed as
//! [`crate::Event::CommandReceived`], [`crate::Event::FileProgress`],
//! [`crate::Event::FileUploadLimitsChanged`] and [`crate::Event::ChatActivity`].
//!
//! # Files: sans-IO steps the host performs
//!
//! The bytes of a file never pass through the session. An upload
//! ([`TrueConfSession::upload_file`], [`TrueConfSession::send_file`]) is:
//! 1. `uploadFile {fileName, fileSize}` on the WebSocket, answered with an `uploadTaskId`;
//! 2. a [`crate::Transmit::Upload`]: the host `POST`s a `multipart/form-data` body to
//!    [`FILES_PATH`] with the `Upload-Task-Id` header, streaming the part from the
//!    [`crate::HttpUpload::source`] the app named (a path, a handle: a string only the host
//!    interprets), then calls `handle_http_response` with the upload's id and the server's
//!    answer (`{"temporalFileId"}`);
//! 3. for `send_file`, `sendFile` with that `temporalFileId` (and the caption).
//!
//! A download ([`TrueConfSession::download_file`]) is `getFileInfo`, then a
//! [`crate::Transmit::Download`] of its `downloadUrl` into the app's
//! [`crate::HttpDownload::destination`]; the host reports the status with an empty body. A file
//! still being uploaded (`readyState` 1) is waited for: `subscribeFileProgress`, then, once
//! `uploadFileProgress` reaches its size, `getFileInfo` again (polled each second until ready,
//! up to the request timeout). Every step resolves the one id the app was given; an HTTP step
//! has no deadline of its own (the host's transport reports its failure as status 0), and an
//! error answer `{"errorCode": N}` of the file endpoint becomes [`ErrorCode`] N.
//!
//! # Token expiry
//!
//! Told the wall clock ([`TrueConfSession::set_unix_time`]), the session reads the JWT's `exp`
//! and emits [`crate::Event::TokenExpired`] [`TrueConfConfig::refresh_before`] (60 s) ahead of
//! it: the host fetches a new token, calls [`TrueConfSession::set_token`] and reconnects. A
//! request the server refuses with 203 did not run: it is held, with its id, and sent again
//! after the next successful `auth` (so are requests issued meanwhile); it fails only when the
//! new token is refused or its timeout passes. The JWT never shows in `Debug` output.

mod config;
mod envelope;
mod error_code;
pub(crate) mod files;
mod inspect;
mod notification;
mod request;
mod session;
pub(crate) mod wire;

pub use config::{
    TrueConfConfig, FILES_PATH, MAX_TEXT_CHARS, SUBPROTOCOL, TOKEN_PATH, WEBSOCKET_PATH,
};
pub use envelope::{envelope_chat, forwarded_message, reply_message, EnvelopeChat};
pub use error_code::ErrorCode;
pub use files::{
    ready_state, CommandAnswer, FileInfo, FilePreview, FileUploadLimits, SentFile, Survey,
};
pub use inspect::inspect_trueconf;
pub use notification::Notification;
pub use request::Request;
pub use session::{TrueConfSession, TrueConfSnapshot};
