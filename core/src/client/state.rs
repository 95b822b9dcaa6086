//! The client's state behind its lock: the session, who waits for which answer, what to replay,
//! and the output gathered for the host.

use super::config::ClientConfig;
use super::output::Output;
use crate::backoff::Backoff;
use crate::error::{Delivery, Error};
use crate::event::{Event, Reply};
use crate::ids::{IdHashing, RequestId};
use crate::rng::Rng;
use crate::session::Session;
use crate::time::Timestamp;
use crate::transmit::Transmit;
use futures::channel::oneshot;
use std::collections::HashMap;
use std::sync::Arc;

/// A command that can be issued again after a reconnect.
pub(crate) type Command<S> =
    Arc<dyn Fn(&mut S, Timestamp) -> Result<RequestId, Error> + Send + Sync>;

/// Where an answer goes.
pub(crate) type Answer = oneshot::Sender<Result<Reply, Error>>;

/// Someone awaiting the answer to one request.
pub(crate) struct Waiter<S> {
    pub tx: Answer,
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

/// What the app asked of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Never asked to connect: a stray `handle_closed` must not make it connect by itself.
    Idle,
    /// Asked to connect: keep the connection up, reconnecting after drops.
    Active,
    /// Closed by the app, or stopped by a permanent failure: commands fail at once until
    /// `connect` is called again.
    Stopped,
    /// Shut down for good: every input is ignored and every command fails.
    Shutdown,
}

/// Everything mutable, guarded by the client's one lock.
pub(crate) struct State<S> {
    pub session: S,
    pub config: ClientConfig,
    pub waiters: HashMap<RequestId, Waiter<S>, IdHashing>,
    /// Requests cut off by a drop that are safe to send again once reconnected.
    pub parked: Vec<Parked<S>>,
    /// Output gathered for the host since it last took it.
    pub out: Output,
    /// Answers to hand to their futures once the lock is released: a waker may resume the
    /// awaiting code inline (Kotlin `Dispatchers.Unconfined`), and that code may call back in.
    pub settle: Vec<(Answer, Result<Reply, Error>)>,
    pub reconnect_at: Option<Timestamp>,
    pub backoff: Backoff,
    pub rng: Rng,
    pub phase: Phase,
    /// Consecutive failed attempts (reset by an authenticated connection).
    pub attempts: u32,
    /// When the current connection authenticated; backoff resets only once one has lasted.
    pub connected_at: Option<Timestamp>,
    /// The current connection did work (answered a request, delivered a message): its drop
    /// starts a fresh backoff however short it was.
    pub proved: bool,
    /// A socket was asked for (a `Connect` went out) and not yet reported closed.
    pub socket_requested: bool,
    /// Why the next disconnect is permanent (set by `handle_connect_failed`).
    pub permanent_failure: Option<String>,
    pub sequence: u64,
}

/// Capacity the gathering buffers keep between outputs; a larger backlog's is given back.
const KEPT_CAPACITY: usize = 64;

/// Capacity, at most, of the buffer that replaces one handed over with a backlog.
const BACKLOG_CAPACITY: usize = 256;

/// What `buf` gathered, in a vector of exactly that length (a `Transmit` is 184 bytes and an
/// `Event` 288: a vector grown by pushes holds four of them from the first push). The buffer
/// stays behind for the next output, so gathering does not allocate either. A backlog past
/// what the buffer keeps (a Talk page of 100 messages brings 100 events) is handed over in
/// the buffer itself when its spare room is less than what it holds, and the next one starts
/// at the backlog's size (up to [`BACKLOG_CAPACITY`]), so a stream of such pages is neither
/// copied out (29 KB a page) nor grown again by doubling; the next small output gives that
/// capacity back.
fn take_exact<T>(buf: &mut Vec<T>) -> Vec<T> {
    let n = buf.len();
    if n > KEPT_CAPACITY && buf.capacity() < 2 * n {
        return std::mem::replace(buf, Vec::with_capacity(n.min(BACKLOG_CAPACITY)));
    }
    let mut out = Vec::with_capacity(n);
    out.append(buf);
    if buf.capacity() > KEPT_CAPACITY {
        buf.shrink_to(KEPT_CAPACITY);
    }
    out
}

impl<S: Session> State<S> {
    pub(super) fn new(session: S, config: ClientConfig) -> Self {
        State {
            session,
            backoff: Backoff::new(config.backoff_base, config.backoff_max),
            rng: Rng::new(config.seed),
            config,
            waiters: HashMap::default(),
            parked: Vec::new(),
            out: Output::default(),
            settle: Vec::new(),
            reconnect_at: None,
            phase: Phase::Idle,
            attempts: 0,
            connected_at: None,
            proved: false,
            socket_requested: false,
            permanent_failure: None,
            sequence: 0,
        }
    }

    /// Why a command cannot be issued now, if it cannot.
    pub(super) fn refusal(&self) -> Option<Error> {
        match self.phase {
            Phase::Stopped | Phase::Shutdown => Some(Error::Closed),
            Phase::Idle | Phase::Active => None,
        }
    }

    /// Issues `command` and registers `tx` for its answer.
    pub(super) fn issue(&mut self, now: Timestamp, command: Command<S>, tx: Answer) {
        let replays = self.config.max_replays;
        if !self.parked.is_empty() {
            // Requests cut off by a drop go out first after the reconnect; a newer one must not
            // overtake them, so it waits in the same line. Parked entries are replayed with one
            // replay spent; this one was never sent, so it gets that one back.
            let waiter = Waiter {
                tx,
                command,
                replays_left: replays.saturating_add(1),
                replay_safe: true,
            };
            let never_sent = Error::Disconnected {
                delivery: Delivery::NotSent,
            };
            self.park(now, waiter, never_sent);
            return;
        }
        self.issue_waiter(now, command, tx, replays);
    }

    /// Issues `command` for the waiter `tx`; a refusal goes to `tx`, so a replayed request's
    /// original caller always hears the outcome.
    fn issue_waiter(&mut self, now: Timestamp, command: Command<S>, tx: Answer, replays: u32) {
        match command(&mut self.session, now) {
            Ok(id) => self.register(id, command, tx, replays),
            Err(e) => self.settle.push((tx, Err(e))),
        }
    }

    /// Registers a waiter for a request already issued as `id`.
    pub(super) fn register(
        &mut self,
        id: RequestId,
        command: Command<S>,
        tx: Answer,
        replays: u32,
    ) {
        let replay_safe = self.session.replay_safe(id);
        self.waiters.insert(
            id,
            Waiter {
                tx,
                command,
                replays_left: replays,
                replay_safe,
            },
        );
    }

    /// Moves everything the session produced into the output and routes its events.
    pub(super) fn pump(&mut self, now: Timestamp) {
        loop {
            while let Some(t) = self.session.poll_transmit() {
                if matches!(t, Transmit::Connect(_)) {
                    self.socket_requested = true;
                }
                self.out.transmits.push(t);
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

    /// Takes the gathered output, with the current deadline.
    pub(super) fn take_output(&mut self) -> Output {
        self.sequence += 1;
        Output {
            transmits: take_exact(&mut self.out.transmits),
            events: take_exact(&mut self.out.events),
            timeout: self.deadline(),
            sequence: self.sequence,
        }
    }

    fn route(&mut self, now: Timestamp, event: Event) {
        if self.phase == Phase::Shutdown
            && matches!(event, Event::Response { .. } | Event::RequestFailed { .. })
        {
            // Their callers already heard `Closed`: the session's late verdicts are noise.
            return;
        }
        if self.connected_at.is_some()
            && matches!(
                event,
                Event::Response { .. } | Event::MessageReceived { .. } | Event::Delivered { .. }
            )
        {
            self.proved = true;
        }
        match event {
            Event::Response { request, reply } => match self.waiters.remove(&request) {
                Some(w) => self.settle.push((w.tx, Ok(reply))),
                None => self.emit(Event::Response { request, reply }),
            },
            Event::RequestFailed { request, error } => match self.waiters.remove(&request) {
                Some(w) => self.resolve_failed(now, w, error),
                None => self.emit(Event::RequestFailed { request, error }),
            },
            Event::Connected { .. } => {
                self.connected_at = Some(now);
                self.proved = false;
                self.reconnect_at = None;
                self.attempts = 0;
                self.emit(event);
                for Parked { waiter: w, .. } in std::mem::take(&mut self.parked) {
                    let left = w.replays_left.saturating_sub(1);
                    self.issue_waiter(now, w.command, w.tx, left);
                }
            }
            Event::Disconnected { reason } => {
                self.socket_requested = false;
                // A server that accepts and drops at once must not get a fixed-rate reconnect
                // storm: only a connection that lasted, or one on which the server did work,
                // earns a fresh backoff. Without the second, a network that cuts every second
                // grows the delay to `backoff_max` while the server answers on each connection.
                let lasted = self
                    .connected_at
                    .take()
                    .is_some_and(|t| now.since(t) >= self.config.stable_after);
                if lasted || std::mem::take(&mut self.proved) {
                    self.backoff.reset();
                    self.attempts = 0;
                }
                self.emit(Event::Disconnected {
                    reason: reason.clone(),
                });
                self.after_drop(now, reason);
            }
            Event::AuthFailed { error } => {
                // Reconnecting with the same credentials would fail the same way.
                self.stop(error.clone());
                self.emit(Event::AuthFailed { error });
            }
            other => self.emit(other),
        }
    }

    /// Decides what follows a lost connection: a reconnect after a backoff (reported with its
    /// delay), or a stop when the failure was permanent or nobody wants the connection.
    fn after_drop(&mut self, now: Timestamp, reason: String) {
        if let Some(why) = self.permanent_failure.take() {
            self.fail_permanently(why);
            return;
        }
        if self.phase != Phase::Active || !self.config.reconnect {
            self.fail_parked(Error::Disconnected {
                delivery: Delivery::NotSent,
            });
            return;
        }
        self.attempts = self.attempts.saturating_add(1);
        let delay = self.backoff.next_delay(&mut self.rng);
        self.reconnect_at = Some(now.add(delay));
        self.emit(Event::ConnectFailed {
            reason,
            permanent: false,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            attempt: self.attempts,
        });
    }

    /// The credentials were refused while connecting: stop as a refused login does, then let
    /// the session see the socket go.
    pub(super) fn auth_refused(&mut self, now: Timestamp, reason: &str) {
        self.permanent_failure = None;
        self.route(
            now,
            Event::AuthFailed {
                error: Error::AuthFailed {
                    reason: reason.to_string(),
                },
            },
        );
        self.session.handle_closed(now, reason);
        self.pump(now);
    }

    /// Stops trying: no reconnect, and what waits for one fails with `error`.
    pub(super) fn stop(&mut self, error: Error) {
        if self.phase != Phase::Shutdown {
            self.phase = Phase::Stopped;
        }
        self.reconnect_at = None;
        self.session.abandon(&error);
        self.fail_parked(error);
    }

    fn resolve_failed(&mut self, now: Timestamp, w: Waiter<S>, error: Error) {
        if let Error::Disconnected { delivery } = &error {
            let safe = *delivery == Delivery::NotSent || w.replay_safe;
            let will_reconnect = self.config.reconnect
                && self.phase == Phase::Active
                && self.permanent_failure.is_none();
            // A permanent connect failure being reported parks it too: the stop that follows
            // fails what is parked with `ConnectFailed`, the reason the app needs, instead of
            // a bare `Disconnected` for a request that will never be sent.
            let failing_for_good = self.permanent_failure.is_some() && self.phase == Phase::Active;
            if safe && w.replays_left > 0 && (will_reconnect || failing_for_good) {
                self.park(now, w, error);
                return;
            }
        }
        self.settle.push((w.tx, Err(error)));
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

    pub(super) fn fail_parked(&mut self, error: Error) {
        for p in std::mem::take(&mut self.parked) {
            self.settle.push((p.waiter.tx, Err(error.clone())));
        }
    }

    /// Fails every caller still waiting (parked or in flight) with `error`.
    pub(super) fn fail_all(&mut self, error: Error) {
        self.fail_parked(error.clone());
        // In request order, as the session reports its own cut-off requests; the ids sorted as
        // plain `u32`s, a sort the wasm build has already.
        let mut ids: Vec<u32> = self.waiters.keys().map(|id| id.0).collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(w) = self.waiters.remove(&RequestId(id)) {
                self.settle.push((w.tx, Err(error.clone())));
            }
        }
    }

    /// Resolves parked requests whose wait for a reconnect is over, with their own error.
    fn expire_parked(&mut self, now: Timestamp) {
        let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|p| p.expires <= now);
        self.parked = kept;
        for p in expired {
            self.settle.push((p.waiter.tx, Err(p.error)));
        }
    }

    pub(super) fn emit(&mut self, event: Event) {
        self.out.events.push(event);
    }

    /// The earliest time something is due.
    pub(super) fn deadline(&self) -> Option<Timestamp> {
        if self.phase == Phase::Shutdown {
            return None;
        }
        let parked = self.parked.iter().map(|p| p.expires).min();
        [self.session.poll_timeout(), self.reconnect_at, parked]
            .into_iter()
            .flatten()
            .min()
    }

    /// Lets the session's connection go and asks the host to close the socket it opened.
    pub(super) fn close_connection(&mut self, now: Timestamp) {
        let had_socket = self.socket_requested;
        self.session.close(now);
        if had_socket {
            self.socket_requested = false;
            self.out.transmits.push(Transmit::Close {
                reason: "closed by the app".into(),
            });
        }
    }

    /// Asks the session to open its connection, reporting a refusal as a permanent failure.
    pub(super) fn open(&mut self, now: Timestamp) {
        self.phase = Phase::Active;
        if let Err(error) = self.session.connect(now) {
            self.fail_permanently(error.to_string());
        }
    }

    /// Reports a failed attempt that retrying cannot help, and stops: what waits for a
    /// connection fails with [`Error::ConnectFailed`].
    pub(crate) fn fail_permanently(&mut self, reason: String) {
        self.attempts = self.attempts.saturating_add(1);
        self.emit(Event::ConnectFailed {
            reason: reason.clone(),
            permanent: true,
            retry_in_ms: None,
            attempt: self.attempts,
        });
        self.stop(Error::ConnectFailed { reason });
    }

    /// Fires what is due at `now`: session deadlines, expired replays and a scheduled
    /// reconnect. A timer that fired early does nothing, and the next output re-arms it.
    pub(super) fn on_timeout(&mut self, now: Timestamp) {
        self.expire_parked(now);
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
        if self.reconnect_at.is_some_and(|t| t <= now) {
            self.reconnect_at = None;
            if self.phase == Phase::Active {
                self.open(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The taken vector holds exactly what was gathered, in order, at its length — a
    /// backlog past the kept capacity in its own buffer, with less spare room than it holds;
    /// the buffer keeps a small capacity for the next output, a backlog's size for the one
    /// after a backlog (bounded), and gives it back after a small one.
    #[test]
    fn outputs_are_taken_at_their_length_and_a_backlog_is_given_back() {
        let mut buf: Vec<u32> = Vec::new();
        for n in [
            0usize,
            1,
            2,
            5,
            KEPT_CAPACITY,
            KEPT_CAPACITY + 1,
            100,
            100,
            1000,
            KEPT_CAPACITY + 1,
            3,
            1000,
        ] {
            buf.extend(0..n as u32);
            let out = take_exact(&mut buf);
            assert_eq!(out, (0..n as u32).collect::<Vec<_>>());
            if n <= KEPT_CAPACITY {
                assert_eq!(out.capacity(), n);
            } else {
                assert!(out.capacity() < 2 * n, "{} for {n}", out.capacity());
            }
            let kept = if n > KEPT_CAPACITY {
                n.clamp(KEPT_CAPACITY, BACKLOG_CAPACITY)
            } else {
                KEPT_CAPACITY
            };
            assert!(
                buf.is_empty() && buf.capacity() <= kept,
                "{} after {n}",
                buf.capacity()
            );
        }
    }
}
