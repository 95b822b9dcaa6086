//! The pull-mode client over any [`Session`].
//!
//! A [`Client`] adds what every host wants on top of a sans-IO session: commands that return a
//! future settling with their answer, reconnects with jittered backoff, replay of what is safe
//! to replay, and reports of every failed attempt. It performs no I/O and holds nothing of the
//! host's: every input takes the host's `now` and returns one [`Output`] — the transmits in
//! order, the events, the next deadline — so a binding pays one crossing per frame.
//!
//! ```no_run
//! # use chatwire::{Client, ClientConfig, Output, Timestamp, trueconf};
//! # fn now() -> Timestamp { Timestamp(0) } fn perform(_: Output) {}
//! # async fn run(jwt: String) {
//! let client = Client::new(trueconf::TrueConfSession::new(trueconf::TrueConfConfig::new(jwt)), ClientConfig::default());
//! perform(client.connect(now()));                         // opens the WebSocket …
//! let chat = client.create_group_chat(now(), "Ops");      // … queued now, answered later
//! perform(client.poll_output());                          // the request goes out with it
//! // per incoming frame: perform(client.handle_frame(now(), text));
//! let chat_id = chat.await;
//! # }
//! ```
//!
//! Commands may be issued from any thread; their output waits in the client until the host
//! takes it with [`Client::poll_output`] (or with the next input). A host that performs output on
//! a task of its own awaits [`Client::output_ready`] to learn of it.
//!
//! Shareable: `Client` is a cheap `Clone` over an `Arc`, `Send + Sync` when the session is
//! `Send`. No lock is held while a future is woken, so code resumed inline may call back in.

mod call;
mod config;
mod output;
mod state;
mod typed;
#[cfg(feature = "talk")]
mod typed_talk;
#[cfg(feature = "trueconf")]
mod typed_trueconf;

pub use call::{Call, OutputReady};
pub use config::ClientConfig;
pub use output::Output;
pub use typed::TypedCall;

use crate::error::Error;
use crate::event::Reply;
use crate::ids::RequestId;
use crate::session::Session;
use crate::time::Timestamp;
use crate::transmit::{HttpResponse, Transmit};
use call::ReadySignal;
use futures::channel::oneshot;
use state::{Phase, State};
use std::sync::{Arc, Mutex, MutexGuard};

/// A client over session `S`: commands in, [`Output`] out, no I/O of its own.
pub struct Client<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Client<S> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<S> {
    state: Mutex<State<S>>,
    ready: Arc<ReadySignal>,
}

fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    // A panic elsewhere must not turn every later call into a panic: no method leaves the
    // state half-updated across a call that can panic.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Session> Client<S> {
    /// A client over `session`; nothing happens until [`Client::connect`], an input or a command.
    pub fn new(session: S, config: ClientConfig) -> Self {
        Client {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(session, config)),
                ready: Arc::default(),
            }),
        }
    }

    /// Runs `f` under the lock, takes the output, then settles answers with the lock released.
    fn run<R>(&self, now: Timestamp, f: impl FnOnce(&mut State<S>) -> R) -> (R, Output) {
        let (r, out, settle) = {
            let mut st = lock(&self.inner.state);
            let r = f(&mut st);
            st.pump(now);
            let out = st.take_output();
            (r, out, std::mem::take(&mut st.settle))
        };
        for (tx, result) in settle {
            let _ = tx.send(result);
        }
        (r, out)
    }

    /// An input: ignored once shut down.
    fn input(&self, now: Timestamp, f: impl FnOnce(&mut State<S>)) -> Output {
        self.run(now, |st| {
            if st.phase != Phase::Shutdown {
                f(st)
            }
        })
        .1
    }

    /// A command: runs under the lock, leaves its output for the host and signals it.
    fn command<R>(&self, now: Timestamp, f: impl FnOnce(&mut State<S>) -> R) -> R {
        let (r, settle, produced) = {
            let mut st = lock(&self.inner.state);
            let r = f(&mut st);
            st.pump(now);
            let produced = !st.out.is_empty();
            (r, std::mem::take(&mut st.settle), produced)
        };
        for (tx, result) in settle {
            let _ = tx.send(result);
        }
        if produced {
            self.inner.ready.raise();
        }
        r
    }

    /// Runs `f` on the session (new credentials, a command the typed methods do not cover);
    /// its output waits for [`Client::poll_output`]. Refused with [`Error::Closed`] only after
    /// `shutdown`: a closed client may still be prepared for its next `connect`.
    pub fn with_session<R>(
        &self,
        now: Timestamp,
        f: impl FnOnce(&mut S, Timestamp) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.command(now, |st| match st.phase {
            Phase::Shutdown => Err(Error::Closed),
            _ => f(&mut st.session, now),
        })
    }

    /// Like [`Client::with_session`], but refused after `close` too: for commands that start
    /// traffic (a Talk room's receive loop).
    pub(crate) fn with_open_session<R>(
        &self,
        now: Timestamp,
        f: impl FnOnce(&mut S, Timestamp) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.command(now, |st| match st.refusal() {
            Some(e) => Err(e),
            None => f(&mut st.session, now),
        })
    }

    /// Reads the session (read markers, cursors, a snapshot) without changing it.
    pub fn inspect<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&lock(&self.inner.state).session)
    }

    /// Opens the connection (WebSocket protocols) and keeps it up, reconnecting after drops;
    /// clears a previous [`Client::close`]. A refusal is reported as a permanent
    /// [`crate::Event::ConnectFailed`].
    pub fn connect(&self, now: Timestamp) -> Output {
        self.input(now, |st| {
            st.reconnect_at = None;
            st.backoff.reset();
            st.attempts = 0;
            st.permanent_failure = None;
            st.open(now);
        })
    }

    /// Lets the connection go and stops reconnecting: requests in flight resolve with
    /// [`Error::Disconnected`] (with their delivery verdict), and every later command fails at
    /// once with [`Error::Closed`] until [`Client::connect`].
    pub fn close(&self, now: Timestamp) -> Output {
        self.input(now, |st| {
            st.stop(Error::Closed);
            st.close_connection(now);
        })
    }

    /// Ends the client for good: closes the connection, fails every pending call with
    /// [`Error::Closed`] at once, and ignores every later input. The host drops its side after
    /// performing this output; nothing in the client refers to the host, so no cycle remains.
    pub fn shutdown(&self, now: Timestamp) -> Output {
        let mut out = self.input(now, |st| {
            // Callers hear `Closed` before the session reports their requests cut off (it
            // would say `Disconnected`, with a delivery verdict for a frame never sent).
            st.phase = Phase::Shutdown;
            st.fail_all(Error::Closed);
            st.reconnect_at = None;
            // Requests queued since the host last took output are withdrawn with their
            // callers: after `shutdown` nothing is sent.
            st.out
                .transmits
                .retain(|t| !matches!(t, Transmit::Frame { .. } | Transmit::Http(_)));
            st.close_connection(now);
        });
        out.timeout = None;
        // Wakes (and so drops) the host task's waker: it learns of the end, and the client
        // keeps nothing of the host's.
        self.inner.ready.raise();
        out
    }

    /// Input: the WebSocket opened.
    pub fn handle_connected(&self, now: Timestamp) -> Output {
        self.input(now, |st| st.session.handle_connected(now))
    }

    /// Input: a text frame arrived.
    pub fn handle_frame(&self, now: Timestamp, frame: &str) -> Output {
        self.input(now, |st| st.session.handle_frame(now, frame))
    }

    /// Input: many frames arrived (a backlog); one output for all of them, in order.
    pub fn handle_frames<F: AsRef<str>>(&self, now: Timestamp, frames: &[F]) -> Output {
        self.input(now, |st| {
            for frame in frames {
                st.session.handle_frame(now, frame.as_ref());
                // Route as we go, so an answer's waiter settles in frame order.
                st.pump(now);
            }
        })
    }

    /// Input: an HTTP exchange completed (status 0 for a transport failure).
    pub fn handle_http_response(
        &self,
        now: Timestamp,
        id: RequestId,
        response: HttpResponse,
    ) -> Output {
        self.input(now, |st| st.session.handle_http_response(now, id, response))
    }

    /// Input: the connection closed. Ignored when the app closed it (the client already let it
    /// go) and never a reason to connect for a client that was not asked to.
    pub fn handle_closed(&self, now: Timestamp, reason: &str) -> Output {
        self.input(now, |st| {
            if st.phase == Phase::Stopped && !st.socket_requested {
                return;
            }
            st.session.handle_closed(now, reason);
        })
    }

    /// Input: opening the connection failed before it was up. `permanent` when retrying
    /// cannot help (no WebSocket in this runtime, a header the host cannot send, a wrong URL
    /// scheme): the client then stops instead of retrying, and says so.
    pub fn handle_connect_failed(&self, now: Timestamp, reason: &str, permanent: bool) -> Output {
        self.input(now, |st| {
            if permanent {
                st.permanent_failure = Some(reason.to_string());
            }
            st.session.handle_closed(now, reason);
            // Routing the session's drop report settles a permanent failure; a session that
            // was not connecting reports none, so settle it here.
            st.pump(now);
            if let Some(why) = st.permanent_failure.take() {
                st.fail_permanently(why);
            }
        })
    }

    /// Input: the server refused the credentials while the connection was being opened (a
    /// WebSocket upgrade answered 401 or 403). Reported as [`crate::Event::AuthFailed`] with
    /// [`Error::AuthFailed`], like a refused login: no reconnect (the same credentials would
    /// be refused again), and every request waiting for a connection fails with it.
    pub fn handle_auth_refused(&self, now: Timestamp, reason: &str) -> Output {
        self.input(now, |st| st.auth_refused(now, reason))
    }

    /// Input: the deadline from the last [`Output::timeout`] passed (early is harmless).
    pub fn handle_timeout(&self, now: Timestamp) -> Output {
        self.input(now, |st| st.on_timeout(now))
    }

    /// Takes what commands queued since the last output, with the current deadline.
    pub fn poll_output(&self) -> Output {
        let mut st = lock(&self.inner.state);
        st.take_output()
    }

    /// Resolves once a command queued output; then take it with [`Client::poll_output`].
    pub fn output_ready(&self) -> OutputReady {
        OutputReady {
            signal: self.inner.ready.clone(),
        }
    }

    /// Issues `command` now and returns its answer's future. The command may run again after a
    /// reconnect when that is safe (it never left, or it only reads), so it must be repeatable.
    pub fn call<F>(&self, now: Timestamp, command: F) -> Call
    where
        F: Fn(&mut S, Timestamp) -> Result<RequestId, Error> + Send + Sync + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.command(now, move |st| {
            if let Some(e) = st.refusal() {
                return Call::ready(Err(e));
            }
            st.issue(now, Arc::new(command), tx);
            Call::waiting(rx)
        })
    }

    /// Sends a text message; resolves when the server accepted it.
    pub fn send_text(
        &self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Call {
        let (chat_id, text) = (chat_id.to_string(), text.to_string());
        let reply_to = reply_to.map(str::to_string);
        self.call(now, move |s, now| {
            s.send_text(now, &chat_id, &text, reply_to.as_deref())
        })
    }

    /// Marks a chat read up to `message_id`; resolves when the server took it, or at once where
    /// the protocol has no request for it (TrueConf: the ack already read it).
    pub fn mark_read(&self, now: Timestamp, chat_id: &str, message_id: &str) -> Call {
        let (chat_id, message_id) = (chat_id.to_string(), message_id.to_string());
        let (tx, rx) = oneshot::channel();
        self.command(now, move |st| {
            if let Some(e) = st.refusal() {
                return Call::ready(Err(e));
            }
            match st.session.mark_read(now, &chat_id, &message_id) {
                Ok(Some(id)) => {
                    let again = move |s: &mut S, now: Timestamp| {
                        s.mark_read(now, &chat_id, &message_id)?
                            .ok_or(Error::NotConnected)
                    };
                    let replays = st.config.max_replays;
                    st.register(id, Arc::new(again), tx, replays);
                    Call::waiting(rx)
                }
                Ok(None) => Call::ready(Ok(Reply::Empty)),
                Err(e) => Call::ready(Err(e)),
            }
        })
    }
}
