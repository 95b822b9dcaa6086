//! What a session asks the host to do: connect, send a frame, perform an HTTP request, close.

use crate::ids::RequestId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One instruction for the host's transport, from `poll_transmit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// How to open a protocol's WebSocket: the path below the server's base URL, headers and
/// subprotocols.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectInfo {
    /// Path and query below the base URL (`/websocket/chat_bot/`, `/messaging/{team}`).
    pub path: String,
    /// Headers to send with the upgrade request (may carry credentials).
    pub headers: Vec<(String, String)>,
    /// WebSocket subprotocols to offer (`json.v1`).
    pub subprotocols: Vec<String>,
}

impl fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectInfo")
            .field("path", &self.path)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("subprotocols", &self.subprotocols)
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
    pub headers: Vec<(String, String)>,
    /// Request body, if any.
    pub body: Option<String>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &RedactedHeaders(&self.headers))
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
    pub headers: Vec<(String, String)>,
    /// Response body (empty for 304).
    pub body: String,
}

impl HttpResponse {
    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Headers whose credential values are hidden in `Debug` output.
struct RedactedHeaders<'a>(&'a [(String, String)]);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.0 {
            let secret = ["authorization", "token", "cookie"]
                .iter()
                .any(|s| name.eq_ignore_ascii_case(s));
            if secret {
                list.entry(&(name, "<redacted>"));
            } else {
                list.entry(&(name, value));
            }
        }
        list.finish()
    }
}
