//! The bounded queues between a session and its host.

// Reachable from outside only through `internals` (property tests).
#![cfg_attr(not(feature = "internals"), allow(unreachable_pub))]

use crate::error::Error;
use crate::event::Event;
use crate::ids::RequestId;
use crate::transmit::Transmit;
use std::collections::VecDeque;

/// Transmits and events waiting for `poll_transmit` / `poll_event`.
///
/// Bounded so a host that stops polling gets [`Error::QueueFull`] instead of unbounded memory.
#[derive(Debug, Default)]
pub struct Outbox {
    limit: usize,
    transmits: VecDeque<(Transmit, Option<RequestId>)>,
    events: VecDeque<Event>,
    /// Most `ProtocolError` events waiting at once; 0 means no cap (set by `cap_protocol_errors`).
    error_cap: usize,
    /// `ProtocolError` events in `events` now.
    errors_queued: usize,
    /// Events ever queued and ever polled: absolute positions, so the queued
    /// `ProtocolErrorsDropped` can be found and counted up while it still waits.
    pushed: u64,
    popped: u64,
    /// Absolute position of the `ProtocolErrorsDropped` being counted up, if one waits.
    dropped_at: Option<u64>,
}

impl Outbox {
    /// Empty queues of at most `limit` entries each.
    pub fn new(limit: usize) -> Self {
        Outbox {
            limit,
            ..Default::default()
        }
    }

    /// Caps the `ProtocolError` events waiting unpolled at `cap` (see
    /// [`crate::Limits::max_protocol_errors_queued`]); past it they are counted, not queued.
    pub fn cap_protocol_errors(mut self, cap: u32) -> Self {
        self.error_cap = cap as usize;
        self
    }

    /// Whether one more transmit fits.
    pub fn has_room(&self) -> bool {
        self.transmits.len() < self.limit
    }

    /// `QueueFull` when one more transmit does not fit.
    pub fn check_room(&self) -> Result<(), Error> {
        if self.has_room() {
            Ok(())
        } else {
            Err(Error::QueueFull {
                limit: self.limit as u64,
            })
        }
    }

    /// Queues a transmit, or refuses at the limit.
    pub fn transmit(&mut self, t: Transmit) -> Result<(), Error> {
        self.check_room()?;
        self.transmits.push_back((t, None));
        Ok(())
    }

    /// Queues the frame carrying request `id`, or refuses at the limit. The id comes back from
    /// [`Outbox::poll_transmit_with_id`] so the session learns exactly when it left, which decides
    /// whether a disconnect means "maybe delivered" or "not sent".
    pub fn request_frame(&mut self, text: String, id: RequestId) -> Result<(), Error> {
        self.check_room()?;
        self.transmits
            .push_back((Transmit::Frame { text }, Some(id)));
        Ok(())
    }

    /// Queues a protocol control frame (an ack) even at the limit: refusing it would make the
    /// server redeliver, which costs more than one frame of memory.
    pub fn control_frame(&mut self, text: String) {
        self.transmits.push_back((Transmit::Frame { text }, None));
    }

    /// Queues a text frame, or refuses at the limit.
    pub fn frame(&mut self, text: String) -> Result<(), Error> {
        self.transmit(Transmit::Frame { text })
    }

    /// Queues an event. Events are never dropped: a full queue still takes it, because losing a
    /// message is worse than memory; the host that never polls is the one to fix.
    ///
    /// The exception is [`Event::ProtocolError`], which says nothing the app needs one by one: past
    /// the cap a single [`Event::ProtocolErrorsDropped`] counts the rest, so a hostile body of a
    /// million bad items costs a bounded number of events.
    pub fn event(&mut self, e: Event) {
        if matches!(e, Event::ProtocolError { .. }) && self.error_cap > 0 {
            if self.errors_queued >= self.error_cap {
                return self.count_dropped_error();
            }
            self.errors_queued += 1;
        }
        self.push_event(e);
    }

    fn count_dropped_error(&mut self) {
        if let Some(at) = self.dropped_at.filter(|at| *at >= self.popped) {
            if let Some(Event::ProtocolErrorsDropped { dropped, .. }) =
                self.events.get_mut((at - self.popped) as usize)
            {
                *dropped += 1;
                return;
            }
        }
        self.dropped_at = Some(self.pushed);
        self.push_event(Event::ProtocolErrorsDropped {
            dropped: 1,
            limit: self.error_cap as u64,
        });
    }

    fn push_event(&mut self, e: Event) {
        self.pushed += 1;
        self.events.push_back(e);
    }

    /// Queues the outcome of request `request` as [`Event::Response`] or [`Event::RequestFailed`].
    pub fn resolve(&mut self, request: RequestId, result: Result<crate::event::Reply, Error>) {
        self.push_event(match result {
            Ok(reply) => Event::Response { request, reply },
            Err(error) => Event::RequestFailed { request, error },
        });
    }

    /// Queues a close request even at the limit (the session gave up on the connection).
    pub fn control_frame_close(&mut self, reason: String) {
        self.transmits.push_back((Transmit::Close { reason }, None));
    }

    /// Next transmit for the host.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front().map(|(t, _)| t)
    }

    /// Next transmit for the host, with the request id it carries, if any.
    pub fn poll_transmit_with_id(&mut self) -> Option<(Transmit, Option<RequestId>)> {
        self.transmits.pop_front()
    }

    /// Next event for the app.
    pub fn poll_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front()?;
        self.popped += 1;
        if matches!(e, Event::ProtocolError { .. }) {
            self.errors_queued = self.errors_queued.saturating_sub(1);
        }
        Some(e)
    }

    /// Drops queued transmits (the connection they were meant for closed); returns them.
    pub fn take_transmits(&mut self) -> Vec<(Transmit, Option<RequestId>)> {
        self.transmits.drain(..).collect()
    }
}
