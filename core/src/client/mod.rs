//! The async client façade over any [`Session`].
//!
//! A [`Client`] turns a sans-IO session into async calls that resolve when the matching response
//! (or confirmation) arrives, plus an event stream. It is runtime-agnostic: only `futures`
//! channels, no timers of its own — the host's [`Transport`] supplies time and I/O and calls the
//! client's inputs. It reconnects by itself with exponential backoff and jitter, re-authenticates
//! (the session does that on `handle_connected`), and replays what is safe to replay: requests
//! that never left, and reads. A write that may have reached the server is reported to its caller
//! as [`crate::Error::Disconnected`] with [`crate::Delivery::MaybeDelivered`], never resent blindly.
//!
//! Shareable: `Client` is a cheap `Clone` over an `Arc`; no lock is held across an `.await` or
//! while calling the transport, so a transport may call back into the client from inside a call.

mod config;
mod state;
mod transport;
mod typed;

pub use config::ClientConfig;
pub use transport::Transport;

use crate::error::Error;
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::session::Session;
use crate::time::Timestamp;
use crate::transmit::{HttpResponse, Transmit};
use futures::channel::mpsc;
use futures::StreamExt;
use state::State;
use std::sync::{Arc, Mutex, MutexGuard};

/// An async client over session `S`, talking through transport `T`.
pub struct Client<S, T> {
    inner: Arc<Inner<S, T>>,
}

impl<S, T> Clone for Client<S, T> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<S, T> {
    state: Mutex<State<S>>,
    events: Mutex<mpsc::UnboundedReceiver<Event>>,
    transport: T,
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // A panic elsewhere must not turn every later call into a panic: the state is still valid
    // (no method leaves it half-updated across a call that can panic).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Session, T: Transport> Client<S, T> {
    /// A client over `session`; nothing happens until [`Client::connect`] or an input.
    pub fn new(session: S, transport: T, config: ClientConfig) -> Self {
        let (tx, rx) = mpsc::unbounded();
        Client {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(session, config, tx)),
                events: Mutex::new(rx),
                transport,
            }),
        }
    }

    /// The transport, for hosts that keep handles in it.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// Runs `f` on the session under the lock, then sends what it produced.
    pub fn with_session<R>(&self, f: impl FnOnce(&mut S, Timestamp) -> R) -> R {
        let now = self.inner.transport.now();
        let r = {
            let mut st = lock(&self.inner.state);
            let r = f(&mut st.session, now);
            st.pump(now);
            r
        };
        self.flush();
        r
    }

    /// Opens the connection (WebSocket protocols) and clears a previous [`Client::close`].
    pub fn connect(&self) -> Result<(), Error> {
        let now = self.inner.transport.now();
        {
            let mut st = lock(&self.inner.state);
            st.stopped = false;
            st.reconnect_at = None;
            st.backoff.reset();
            st.session.connect(now)?;
            st.pump(now);
        }
        self.flush();
        Ok(())
    }

    /// Closes the connection for good: no reconnect; replays waiting for one fail.
    pub fn close(&self) {
        {
            let mut st = lock(&self.inner.state);
            st.stopped = true;
            st.reconnect_at = None;
            st.fail_parked(Error::NotConnected);
            st.out.push_back(Transmit::Close {
                reason: "closed by the app".into(),
            });
        }
        self.flush();
    }

    /// Input: the WebSocket opened.
    pub fn handle_connected(&self) {
        self.input(|s, now| s.handle_connected(now));
    }

    /// Input: a text frame arrived.
    pub fn handle_frame(&self, text: &str) {
        self.input(|s, now| s.handle_frame(now, text));
    }

    /// Input: an HTTP exchange completed (status 0 for a transport failure).
    pub fn handle_http_response(&self, id: RequestId, response: HttpResponse) {
        self.input(|s, now| s.handle_http_response(now, id, response));
    }

    /// Input: the connection closed.
    pub fn handle_closed(&self, reason: &str) {
        self.input(|s, now| s.handle_closed(now, reason));
    }

    /// Input: the timer set through [`Transport::set_timer`] fired.
    pub fn handle_timeout(&self) {
        let now = self.inner.transport.now();
        lock(&self.inner.state).on_timeout(now);
        self.flush();
    }

    /// When [`Client::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        lock(&self.inner.state).deadline()
    }

    /// Issues `command` and resolves with its answer. The command may be run again after a
    /// reconnect when that is safe (it never left, or it only reads), so it must be repeatable.
    pub async fn call<F>(&self, command: F) -> Result<Reply, Error>
    where
        F: Fn(&mut S, Timestamp) -> Result<RequestId, Error> + Send + Sync + 'static,
    {
        let now = self.inner.transport.now();
        let rx = {
            let mut st = lock(&self.inner.state);
            let replays = st.config.max_replays;
            let rx = st.issue(now, Arc::new(command), replays);
            st.pump(now);
            rx
        };
        self.flush();
        match rx?.await {
            Ok(result) => result,
            // The sender went away with the session: the client was dropped mid-call.
            Err(_) => Err(Error::NotConnected),
        }
    }

    /// Sends a text message; resolves when the server accepted it.
    pub async fn send_text(
        &self,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<Reply, Error> {
        let (chat_id, text) = (chat_id.to_string(), text.to_string());
        let reply_to = reply_to.map(str::to_string);
        self.call(move |s, now| s.send_text(now, &chat_id, &text, reply_to.as_deref()))
            .await
    }

    /// Marks a chat read up to `message_id`; resolves when the server took it, or at once where
    /// the protocol has no request for it (TrueConf: the ack already read it).
    pub async fn mark_read(&self, chat_id: &str, message_id: &str) -> Result<Reply, Error> {
        let (chat_id, message_id) = (chat_id.to_string(), message_id.to_string());
        let now = self.inner.transport.now();
        let rx = {
            let mut st = lock(&self.inner.state);
            let issued = st.session.mark_read(now, &chat_id, &message_id);
            let rx = match issued {
                Ok(Some(id)) => {
                    let replays = st.config.max_replays;
                    let again = move |s: &mut S, now: Timestamp| {
                        s.mark_read(now, &chat_id, &message_id)?
                            .ok_or(Error::NotConnected)
                    };
                    Ok(Some(st.register(id, Arc::new(again), replays)))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            st.pump(now);
            rx
        };
        self.flush();
        match rx? {
            None => Ok(Reply::Empty),
            Some(rx) => rx.await.unwrap_or(Err(Error::NotConnected)),
        }
    }

    /// The next event, or `None` once the client is gone.
    pub async fn next_event(&self) -> Option<Event> {
        futures::future::poll_fn(|cx| lock(&self.inner.events).poll_next_unpin(cx)).await
    }

    /// An event if one is ready, without waiting.
    pub fn try_next_event(&self) -> Option<Event> {
        lock(&self.inner.events).try_recv().ok()
    }

    fn input(&self, f: impl FnOnce(&mut S, Timestamp)) {
        let now = self.inner.transport.now();
        {
            let mut st = lock(&self.inner.state);
            f(&mut st.session, now);
            st.pump(now);
        }
        self.flush();
    }

    /// Hands queued transmits to the transport in order, one at a time, without holding the lock
    /// during the call. A re-entrant call (the transport calling an input synchronously) only
    /// queues; the outermost flush sends, so frames never overtake each other.
    fn flush(&self) {
        {
            let mut st = lock(&self.inner.state);
            if st.flushing {
                return;
            }
            st.flushing = true;
        }
        loop {
            let next = lock(&self.inner.state).out.pop_front();
            let Some(t) = next else { break };
            let tr = &self.inner.transport;
            match t {
                Transmit::Connect(info) => tr.connect(info),
                Transmit::Frame { text } => tr.send_frame(text),
                Transmit::Http(request) => tr.http(request),
                Transmit::Close { reason } => tr.close(reason),
            }
        }
        let timer = {
            let mut st = lock(&self.inner.state);
            st.flushing = false;
            let deadline = st.deadline();
            let changed = st.reported_timer != Some(deadline);
            st.reported_timer = Some(deadline);
            changed.then_some(deadline)
        };
        if let Some(deadline) = timer {
            self.inner.transport.set_timer(deadline);
        }
        // A re-entrant input may have queued more while the last transport call ran.
        if !lock(&self.inner.state).out.is_empty() {
            self.flush();
        }
    }
}
