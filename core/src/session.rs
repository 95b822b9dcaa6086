//! The shape every protocol session has (after quinn-proto and str0m).

use crate::error::Error;
use crate::event::Event;
use crate::ids::RequestId;
use crate::time::Timestamp;
use crate::transmit::{HttpResponse, Transmit};

/// A sans-IO protocol state machine: inputs in through `handle_*`, outputs out through `poll_*`.
///
/// After any input or command, the host drains [`Session::poll_transmit`] and
/// [`Session::poll_event`] until both return `None`, then sleeps until [`Session::poll_timeout`]
/// (or the next input) and calls [`Session::handle_timeout`].
pub trait Session {
    /// The transport opened (WebSocket connected). HTTP-only protocols ignore it.
    fn handle_connected(&mut self, now: Timestamp);
    /// A text frame arrived on the WebSocket.
    fn handle_frame(&mut self, now: Timestamp, frame: &str);
    /// The HTTP request `id` (from a [`Transmit::Http`]) completed.
    fn handle_http_response(&mut self, now: Timestamp, id: RequestId, response: HttpResponse);
    /// The transport closed, for `reason`.
    fn handle_closed(&mut self, now: Timestamp, reason: &str);
    /// The deadline from [`Session::poll_timeout`] passed.
    fn handle_timeout(&mut self, now: Timestamp);
    /// The next thing for the host to send or do.
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// The next event for the app.
    fn poll_event(&mut self) -> Option<Event>;
    /// When to call [`Session::handle_timeout`] next, if anything is waiting on time.
    fn poll_timeout(&self) -> Option<Timestamp>;
    /// Sends a text message to `chat_id`, optionally as a reply; the answer comes as an event.
    fn send_text(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error>;
    /// Marks `chat_id` read up to `message_id`. `Ok(None)` when the protocol has no request for
    /// it and the change is local (TrueConf: reading is acknowledging).
    fn mark_read(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<RequestId>, Error>;
    /// Asks the host to open the connection (queues [`Transmit::Connect`]). HTTP protocols have
    /// nothing to open and keep this default.
    fn connect(&mut self, _now: Timestamp) -> Result<(), Error> {
        Ok(())
    }
    /// The app lets the connection go for good: resolve what is in flight as a disconnect
    /// would, and stop every loop (Talk: leave every room). `connect` may follow later.
    fn close(&mut self, now: Timestamp) {
        self.handle_closed(now, "closed by the app");
    }
    /// No connection will come any more (refused for good, refused credentials, or the app
    /// closed): fail every request still held for one — with `error` if it never went out, as
    /// a drop would (`MaybeDelivered`) if it did — instead of letting it wait for a deadline.
    /// Sessions that fail their requests on every drop already have nothing held, and keep
    /// this default.
    fn abandon(&mut self, _error: &Error) {}
    /// Whether request `id` (still pending) may be sent again after a disconnect even if it may
    /// have reached the server: true for reads, false for writes without an idempotency key.
    fn replay_safe(&self, _id: RequestId) -> bool {
        false
    }
}
