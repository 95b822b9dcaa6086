//! The client's state behind its lock: the session, who waits for which answer, what to replay.

use super::config::ClientConfig;
use crate::backoff::Backoff;
use crate::error::{Delivery, Error};
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::rng::Rng;
use crate::session::Session;
use crate::time::Timestamp;
use crate::transmit::Transmit;
use futures::channel::{mpsc, oneshot};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A command that can be issued again after a reconnect.
pub(crate) type Command<S> =
    Arc<dyn Fn(&mut S, Timestamp) -> Result<RequestId, Error> + Send + Sync>;

/// Someone awaiting the answer to one request.
pub(crate) struct Waiter<S> {
    pub tx: oneshot::Sender<Result<Reply, Error>>,
    pub command: Command<S>,
    pub replays_left: u32,
    pub replay_safe: bool,
}

/// A request cut off by a drop, waiting for the reconnect that replays it.
pub(crate) struct Parked<S> {
    pub waiter: Waiter<S>,
    /// When to give up waiting and report `error`.
    pub expires: Timestamp,
    /// The disconnect error it got.
    pub error: Error,
}

/// Everything mutable, guarded by the client's one lock.
pub(crate) struct State<S> {
    pub session: S,
    pub config: ClientConfig,
    pub waiters: HashMap<RequestId, Waiter<S>>,
    /// Requests cut off by a drop that are safe to send again once reconnected.
    pub parked: Vec<Parked<S>>,
    pub events: mpsc::UnboundedSender<Event>,
    /// Transmits not yet handed to the transport, in order (see `Client::flush`).
    pub out: VecDeque<Transmit>,
    pub flushing: bool,
    pub reconnect_at: Option<Timestamp>,
    pub backoff: Backoff,
    pub rng: Rng,
    /// The app closed the client, or the server refused our credentials: do not reconnect.
    pub stopped: bool,
    pub reported_timer: Option<Option<Timestamp>>,
    /// When the current connection authenticated; backoff resets only once one has lasted.
    pub connected_at: Option<Timestamp>,
}

impl<S: Session> State<S> {
    pub fn new(session: S, config: ClientConfig, events: mpsc::UnboundedSender<Event>) -> Self {
        State {
            session,
            backoff: Backoff::new(config.backoff_base, config.backoff_max),
            rng: Rng::new(config.seed),
            config,
            waiters: HashMap::new(),
            parked: Vec::new(),
            events,
            out: VecDeque::new(),
            flushing: false,
            reconnect_at: None,
            stopped: false,
            reported_timer: None,
            connected_at: None,
        }
    }

    /// Issues `command` and registers a waiter for its answer.
    pub fn issue(
        &mut self,
        now: Timestamp,
        command: Command<S>,
        replays_left: u32,
    ) -> Result<oneshot::Receiver<Result<Reply, Error>>, Error> {
        let (tx, rx) = oneshot::channel();
        if !self.parked.is_empty() {
            // Requests cut off by a drop go out first after the reconnect; a newer one must not
            // overtake them, so it waits in the same line.
            // Parked entries are replayed with one replay spent; this one was never sent, so it
            // gets that one back.
            let waiter = Waiter {
                tx,
                command,
                replays_left: replays_left.saturating_add(1),
                replay_safe: true,
            };
            let never_sent = Error::Disconnected {
                delivery: Delivery::NotSent,
            };
            self.park(now, waiter, never_sent);
            return Ok(rx);
        }
        self.issue_waiter(now, command, tx, replays_left)?;
        Ok(rx)
    }

    /// Issues `command` for the waiter `tx`; on refusal the error goes to `tx` too, so a
    /// replayed request's original caller always hears the outcome.
    fn issue_waiter(
        &mut self,
        now: Timestamp,
        command: Command<S>,
        tx: oneshot::Sender<Result<Reply, Error>>,
        replays_left: u32,
    ) -> Result<(), Error> {
        let id = match command(&mut self.session, now) {
            Ok(id) => id,
            Err(e) => {
                let _ = tx.send(Err(e.clone()));
                return Err(e);
            }
        };
        self.insert_waiter(id, command, tx, replays_left);
        Ok(())
    }

    /// Registers a waiter for a request the caller already issued as `id`.
    pub fn register(
        &mut self,
        id: RequestId,
        command: Command<S>,
        replays_left: u32,
    ) -> oneshot::Receiver<Result<Reply, Error>> {
        let (tx, rx) = oneshot::channel();
        self.insert_waiter(id, command, tx, replays_left);
        rx
    }

    fn insert_waiter(
        &mut self,
        id: RequestId,
        command: Command<S>,
        tx: oneshot::Sender<Result<Reply, Error>>,
        replays_left: u32,
    ) {
        let replay_safe = self.session.replay_safe(id);
        self.waiters.insert(
            id,
            Waiter {
                tx,
                command,
                replays_left,
                replay_safe,
            },
        );
    }

    /// Moves everything the session produced to the outgoing queue and routes its events.
    pub fn pump(&mut self, now: Timestamp) {
        loop {
            while let Some(t) = self.session.poll_transmit() {
                self.out.push_back(t);
            }
            let mut any = false;
            while let Some(e) = self.session.poll_event() {
                any = true;
                self.route(now, e);
            }
            if !any {
                break;
            }
        }
    }

    fn route(&mut self, now: Timestamp, event: Event) {
        match event {
            Event::Response { request, result } => match self.waiters.remove(&request) {
                Some(w) => self.resolve(now, w, result),
                None => self.emit(Event::Response { request, result }),
            },
            Event::Connected { .. } => {
                self.connected_at = Some(now);
                self.reconnect_at = None;
                self.emit(event);
                for Parked { waiter: w, .. } in std::mem::take(&mut self.parked) {
                    let left = w.replays_left.saturating_sub(1);
                    // A refusal is reported to the waiter by `issue_waiter` itself.
                    let _ = self.issue_waiter(now, w.command, w.tx, left);
                }
            }
            Event::Disconnected { .. } => {
                // A server that accepts and drops at once must not get a fixed-rate reconnect
                // storm: only a connection that lasted earns a fresh backoff.
                let lasted = self
                    .connected_at
                    .take()
                    .is_some_and(|t| now.since(t) >= self.config.backoff_max);
                if lasted {
                    self.backoff.reset();
                }
                self.emit(event);
                self.schedule_reconnect(now);
            }
            Event::AuthFailed { .. } => {
                // Reconnecting with the same credentials would fail the same way.
                self.stopped = true;
                self.reconnect_at = None;
                self.fail_parked(Error::AuthFailed {
                    reason: "credentials refused".into(),
                });
                self.emit(event);
            }
            other => self.emit(other),
        }
    }

    fn resolve(&mut self, now: Timestamp, w: Waiter<S>, result: Result<Reply, Error>) {
        if let Err(error @ Error::Disconnected { delivery }) = &result {
            let safe = *delivery == Delivery::NotSent || w.replay_safe;
            if safe && w.replays_left > 0 && self.config.reconnect && !self.stopped {
                let error = error.clone();
                self.park(now, w, error);
                return;
            }
        }
        let _ = w.tx.send(result);
    }

    /// Holds `waiter` until the next `Connected`, or until the replay timeout reports `error`.
    fn park(&mut self, now: Timestamp, waiter: Waiter<S>, error: Error) {
        let expires = now.add(self.config.replay_timeout);
        self.parked.push(Parked {
            waiter,
            expires,
            error,
        });
    }

    pub fn fail_parked(&mut self, error: Error) {
        for p in std::mem::take(&mut self.parked) {
            let _ = p.waiter.tx.send(Err(error.clone()));
        }
    }

    /// Resolves parked requests whose wait for a reconnect is over, with their own error.
    fn expire_parked(&mut self, now: Timestamp) {
        let (expired, kept) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|p| p.expires <= now);
        self.parked = kept;
        for p in expired {
            let _ = p.waiter.tx.send(Err(p.error));
        }
    }

    fn schedule_reconnect(&mut self, now: Timestamp) {
        if self.config.reconnect && !self.stopped {
            let delay = self.backoff.next_delay(&mut self.rng);
            self.reconnect_at = Some(now.add(delay));
        } else {
            self.fail_parked(Error::Disconnected {
                delivery: Delivery::NotSent,
            });
        }
    }

    fn emit(&mut self, event: Event) {
        // The receiver may be gone (nobody reads events): that is the app's choice, not an error.
        let _ = self.events.unbounded_send(event);
    }

    /// The earliest time something is due.
    pub fn deadline(&self) -> Option<Timestamp> {
        let parked = self.parked.iter().map(|p| p.expires).min();
        [self.session.poll_timeout(), self.reconnect_at, parked]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires what is due at `now`: session deadlines and a scheduled reconnect.
    pub fn on_timeout(&mut self, now: Timestamp) {
        self.expire_parked(now);
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
        if self.reconnect_at.is_some_and(|t| t <= now) {
            self.reconnect_at = None;
            if let Err(error) = self.session.connect(now) {
                self.emit(Event::ProtocolError {
                    raw: String::new(),
                    reason: format!("reconnect failed: {error}"),
                });
                self.schedule_reconnect(now);
            }
        }
        self.pump(now);
    }
}
