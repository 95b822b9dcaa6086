//! What the host provides to a [`super::Client`]: its clock and its transport.

use crate::time::Timestamp;
use crate::transmit::{ConnectInfo, HttpRequest};

/// The host's side of a [`super::Client`]: time, sockets and HTTP.
///
/// Every method is fire-and-forget: the host performs the action and later reports what happened
/// through the client's inputs (`handle_connected`, `handle_frame`, `handle_http_response`,
/// `handle_closed`). A method may call back into the client synchronously: the client never holds
/// its lock while calling the transport.
///
/// No `Send` bound here: in a browser the transport holds JS objects; a multi-threaded host
/// (UniFFI, tokio) gets a `Send + Sync` client when its transport is.
pub trait Transport {
    /// The host's monotonic clock, in milliseconds.
    fn now(&self) -> Timestamp;
    /// Open the WebSocket described by `info`; report `handle_connected` or `handle_closed`.
    fn connect(&self, info: ConnectInfo);
    /// Send a text frame on the open WebSocket.
    fn send_frame(&self, text: String);
    /// Perform an HTTP request; report `handle_http_response` with `request.id`.
    fn http(&self, request: HttpRequest);
    /// Close the connection; report `handle_closed`.
    fn close(&self, reason: String);
    /// The next time the client needs `handle_timeout`, whenever it changes (`None`: no timer).
    fn set_timer(&self, deadline: Option<Timestamp>);
}
