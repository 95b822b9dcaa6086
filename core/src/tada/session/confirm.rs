//! Confirmations: sending queued events, resending the unconfirmed, resolving them on
//! `server.confirm` or failure, and letting a dead socket go.

use super::*;

impl TadaSession {
    /// Hands the frame of pending event `id` to the host (again) and starts its wait.
    pub(super) fn transmit(&mut self, now: Timestamp, id: RequestId) {
        let Some(p) = self.pending.get_mut(id) else {
            return;
        };
        let wait = if matches!(p.value.event, ClientEvent::Ping) {
            self.config.ping_deadline
        } else {
            self.config.resend_timeout
        };
        let text = p.value.event.encode(Some(&p.value.confirm_id));
        // A full queue means the host is not draining it: this attempt does not count, the
        // next deadline tries again.
        if self.outbox.request_frame(text, id).is_ok() {
            p.value.attempts = p.value.attempts.saturating_add(1);
        }
        p.deadline = now.add(wait);
    }

    /// Pending ids in submission order, optionally only those due at `now`.
    pub(super) fn pending_in_order(&self, due: Option<Timestamp>) -> Vec<RequestId> {
        let mut ids: Vec<(u64, RequestId)> = self
            .pending
            .iter_unordered()
            .filter(|(_, p)| due.is_none_or(|now| p.deadline <= now))
            .map(|(id, p)| (p.value.seq, id))
            .collect();
        crate::order::sort_by_u64_key(&mut ids, |(seq, _)| *seq);
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// Whether pending event `id`, failing without a connection, may have reached the server:
    /// once handed out on any connection (this process or one before a restore), it may have.
    pub(super) fn cut_off_delivery(&self, id: RequestId) -> Delivery {
        if self.pending.get(id).is_some_and(|p| p.value.attempts > 0) {
            Delivery::MaybeDelivered
        } else {
            Delivery::NotSent
        }
    }

    /// Resolves pending event `id` as confirmed.
    pub(super) fn succeed(&mut self, id: RequestId) {
        let Some(p) = self.take_pending(id) else {
            return;
        };
        if p.keepalive {
            return;
        }
        match p.event {
            ClientEvent::MessageUpdated(m) => {
                let message_id = m.message_id.unwrap_or_default();
                self.outbox.event(Event::Delivered {
                    request: id,
                    message_id: Some(message_id.clone()),
                });
                self.outbox.resolve(
                    id,
                    Ok(Reply::MessageSent {
                        chat_id: Some(m.to),
                        message_id,
                        timestamp_ms: None,
                    }),
                );
            }
            _ => self.outbox.resolve(id, Ok(Reply::Empty)),
        }
    }

    /// Resolves pending event `id` with `error`, undoing its optimistic read-state change.
    pub(super) fn fail(&mut self, id: RequestId, error: Error) {
        let Some(p) = self.take_pending(id) else {
            return;
        };
        if p.keepalive {
            return;
        }
        if let Some(rb) = p.rollback {
            if self.reads.get(&rb.chat) == Some(&rb.after) {
                if let Some(state) = self.reads.set(&rb.chat, rb.before) {
                    self.outbox.event(Event::ReadStateChanged {
                        chat_id: rb.chat,
                        state,
                    });
                }
            }
        }
        self.outbox.resolve(id, Err(error));
    }

    /// Indexes pending event `id` by its `confirm_id` and, for a new message (not an edit), by
    /// the `message_id` its echo will carry, so an incoming message finds the send it confirms
    /// without a walk of every pending event.
    pub(super) fn index_pending(&mut self, id: RequestId, confirm_id: String) {
        self.by_confirm.insert(confirm_id, id);
        if let Some(key) = self.pending.get(id).and_then(|p| echo_key(&p.value)) {
            // The oldest send of a message id is the one its echo confirms, as the walk did.
            self.by_echo.get_or_insert_with(key.to_string(), || id);
        }
    }

    /// The pending send an incoming message `message_id` is the echo of.
    pub(super) fn echoed(&self, message_id: &str) -> Option<RequestId> {
        self.by_echo.get(message_id).copied()
    }

    pub(super) fn take_pending(&mut self, id: RequestId) -> Option<Outgoing> {
        let p = self.pending.remove(id)?.value;
        self.by_confirm.remove(&p.confirm_id);
        if let Some(key) = echo_key(&p) {
            if self.by_echo.get(key) == Some(&id) {
                self.by_echo.remove(key);
            }
        }
        self.resolved.insert(&p.confirm_id);
        if self.keepalive == Some(id) {
            self.keepalive = None;
        }
        Some(p)
    }

    pub(super) fn declare_dead(&mut self, reason: String) {
        self.outbox.event(Event::ConnectionDead {
            reason: reason.clone(),
        });
        self.outbox.control_frame_close(reason);
        self.link = Link::Closing;
        self.next_ping = None;
    }

    // ---- internals: receiving ----

    /// Lets the current socket go: its frames are dropped, confirmed-but-unanswered events wait
    /// for the next connection, a ping in flight fails.
    pub(super) fn let_go(&mut self) {
        self.link = Link::Down;
        self.next_ping = None;
        self.keepalive = None;
        // Frames for the closed socket: confirmed events among them are still pending and go
        // out again on the next connection; acks and transient events are moot.
        self.outbox.take_transmits();
        for id in self.pending_in_order(None) {
            let Some(p) = self.pending.get(id) else {
                continue;
            };
            if matches!(p.value.event, ClientEvent::Ping) {
                let delivery = if p.sent {
                    crate::error::Delivery::MaybeDelivered
                } else {
                    crate::error::Delivery::NotSent
                };
                self.fail(id, Error::Disconnected { delivery });
            } else {
                let expires = p.value.expires.unwrap_or(NEVER);
                self.pending.set_deadline(id, expires);
            }
        }
    }
}

/// The `message_id` whose echo confirms `event`: a new message's, not an edit's.
fn echo_key(event: &Outgoing) -> Option<&str> {
    match &event.event {
        ClientEvent::MessageUpdated(m) if !event.edit => m.message_id.as_deref(),
        _ => None,
    }
}
