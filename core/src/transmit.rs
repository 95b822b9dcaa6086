//! What a session asks the host to do: connect, send a frame, perform an HTTP request, close.

use crate::ids::RequestId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One instruction for the host's transport, from `poll_transmit`.
///
/// `Debug` hides credentials: a frame's `"token"` value (TrueConf `auth`) prints `<redacted>`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Transmit {
    /// Open the WebSocket described here, then call `handle_connected`. If one is open or
    /// opening, replace it: close it without reporting `handle_closed` (the session already let
    /// it go).
    Connect(ConnectInfo),
    /// Send this text frame on the open WebSocket.
    Frame {
        /// The JSON text.
        text: String,
    },
    /// Perform this HTTP request, then call `handle_http_response` with its id.
    Http(HttpRequest),
    /// Close the connection (the session judged it dead or finished), then call `handle_closed`.
    Close {
        /// Why, for logs.
        reason: String,
    },
    /// Upload a file the host holds, then call `handle_http_response` with its id. The core
    /// never holds the bytes: the host reads them from `source` while it sends.
    Upload(HttpUpload),
    /// Download a file into a destination the host holds, then call `handle_http_response`
    /// with its id (status and headers; the body stays with the host, pass it empty).
    Download(HttpDownload),
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transmit::Connect(info) => f.debug_tuple("Connect").field(info).finish(),
            Transmit::Frame { text } => f
                .debug_struct("Frame")
                .field("text", &redact_token(text))
                .finish(),
            Transmit::Http(request) => f.debug_tuple("Http").field(request).finish(),
            Transmit::Close { reason } => f.debug_struct("Close").field("reason", reason).finish(),
            Transmit::Upload(upload) => f.debug_tuple("Upload").field(upload).finish(),
            Transmit::Download(download) => f.debug_tuple("Download").field(download).finish(),
        }
    }
}

/// `text` with the value of every `"token":"…"` replaced by `<redacted>`.
fn redact_token(text: &str) -> String {
    const KEY: &str = "\"token\":\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let value_start = at + KEY.len();
        out.push_str(&rest[..value_start]);
        out.push_str("<redacted>");
        // The value ends at the first quote not escaped by a backslash.
        let tail = &rest[value_start..];
        let mut end = tail.len();
        let mut escaped = false;
        for (i, c) in tail.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A file upload for the host to perform: `method` to `path` below the server's base URL, with
/// `headers`, and a `multipart/form-data` body of one part named `form_field` holding the bytes
/// of `source` as `file_name` (`content_type` when given, else the host's guess).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpUpload {
    /// Correlates the response: pass it back to `handle_http_response`.
    pub id: RequestId,
    /// `POST`.
    pub method: String,
    /// Path below the server's base URL.
    pub path: String,
    /// Request headers (TrueConf `Upload-Task-Id`); the host adds the multipart content type.
    pub headers: Vec<Header>,
    /// The form part's name (`file`).
    pub form_field: String,
    /// The file name sent with the part.
    pub file_name: String,
    /// The part's content type, when the app gave one.
    pub content_type: Option<String>,
    /// What the host reads the bytes from (a path, a handle name): the app's own string.
    pub source: String,
    /// How many bytes the server was told to expect.
    pub size: u64,
}

/// A file download for the host to perform: `GET url` (absolute as the server gave it, or a
/// path below the base URL), the body streamed into `destination`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpDownload {
    /// Correlates the response: pass it back to `handle_http_response`.
    pub id: RequestId,
    /// The URL; it authorizes by itself (no credentials to add).
    pub url: String,
    /// Where the host writes the bytes (a path, a handle name): the app's own string.
    pub destination: String,
}

/// One HTTP header; names compare case-insensitively.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The header's name, as the protocol spells it.
    pub name: String,
    /// Its value (may be a credential: `Debug` hides those).
    pub value: String,
}

impl Header {
    /// A header `name: value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    fn is_secret(&self) -> bool {
        ["authorization", "token", "cookie", "set-cookie"]
            .iter()
            .any(|s| self.name.eq_ignore_ascii_case(s))
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.is_secret() {
            "<redacted>"
        } else {
            &self.value
        };
        write!(f, "{}: {}", self.name, value)
    }
}

/// How the connection proves who it is, so a host that cannot do it says so at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectAuth {
    /// In the first frame, after the socket opened (TrueConf `auth`): any host can.
    FirstFrame,
    /// By the header in [`ConnectInfo::headers`] (tada `token`). A browser cannot send headers
    /// on a WebSocket: it reports a permanent `handle_connect_failed` instead of trying.
    Header,
    /// By the cookie the host already holds for the server's origin (tada in a browser page on
    /// the tada origin): the host sends its cookies and nothing else.
    Cookie,
}

/// How to open a protocol's WebSocket: the path below the server's base URL, headers,
/// subprotocols and how it authenticates.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectInfo {
    /// Path and query below the base URL (`/websocket/chat_bot/`, `/messaging/{team}`).
    pub path: String,
    /// Headers to send with the upgrade request (may carry credentials).
    pub headers: Vec<Header>,
    /// WebSocket subprotocols to offer (`json.v1`).
    pub subprotocols: Vec<String>,
    /// How this connection authenticates.
    pub auth: ConnectAuth,
}

impl fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectInfo")
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("subprotocols", &self.subprotocols)
            .field("auth", &self.auth)
            .finish()
    }
}

/// An HTTP request for the host to perform.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Correlates the response: pass it back to `handle_http_response`.
    pub id: RequestId,
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query below the server's base URL.
    pub path: String,
    /// Request headers (may carry credentials).
    pub headers: Vec<Header>,
    /// Request body, if any.
    pub body: Option<String>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

/// An HTTP response as the host received it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// Status code (a transport failure that got no response is reported with status 0).
    pub status: u16,
    /// Response headers; names compare case-insensitively.
    pub headers: Vec<Header>,
    /// Response body (empty for 304).
    pub body: String,
}

impl HttpResponse {
    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}
