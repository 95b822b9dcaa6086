//! Each room's receive loop: history, long-polls, delivery once, own echoes.

use super::*;

impl TalkSession {
    /// Sends the next request of `token`'s loop.
    pub(super) fn start_loop(&mut self, now: Timestamp, token: &str) {
        let Some(room) = self.rooms.get_mut(token) else {
            return;
        };
        let limit = room
            .page_limit
            .unwrap_or_else(|| self.config.effective_history_limit());
        let (exchange, receive, timeout) = match room.phase {
            Phase::History => (
                Exchange::History {
                    room: token.to_string(),
                },
                Receive {
                    look_into_future: false,
                    limit,
                    // Marker 0: nothing read yet, the newest page is all unread.
                    last_known: room.last_read.filter(|r| *r > 0),
                    include_last_known: room.last_read.is_some_and(|r| r > 0),
                    timeout: None,
                    last_common_read: None,
                },
                self.config.limits.request_timeout,
            ),
            Phase::Live => {
                let wait = self.config.effective_poll_timeout_secs();
                (
                    Exchange::Poll {
                        room: token.to_string(),
                    },
                    Receive {
                        look_into_future: true,
                        limit,
                        last_known: room.last_given,
                        include_last_known: false,
                        timeout: Some(wait),
                        last_common_read: room.last_common_read,
                    },
                    // The server holds a quiet poll for `wait` seconds: our deadline must leave
                    // it that long plus the usual answer time, or every quiet poll times out.
                    Duration::from_secs(u64::from(wait)) + self.config.limits.request_timeout,
                )
            }
        };
        let path = receive.path(token);
        let mut wire = Wire {
            outbox: &mut self.outbox,
            exchanges: &mut self.exchanges,
            requests: &self.requests,
        };
        match wire.queue(now, exchange, timeout, Planned::Get { path }) {
            Ok(id) => {
                room.in_flight = Some(id);
                self.due_rooms.set(token, room, None);
                if room.phase == Phase::History {
                    room.history_marker = room.last_read;
                }
            }
            // Our own queue is full: not the server's fault, nothing to report.
            Err(_) => self.loop_backoff(now, token, None, None),
        }
    }

    /// The loop of `token` failed: wait before its next request, and say so (`reason`) when
    /// the failure was the server's or the network's.
    pub(super) fn loop_backoff(
        &mut self,
        now: Timestamp,
        token: &str,
        min_wait: Option<u64>,
        reason: Option<String>,
    ) {
        let Some(room) = self.rooms.get_mut(token) else {
            return;
        };
        let delay = wait(room.backoff.next_delay(&mut self.rng), min_wait);
        room.in_flight = None;
        self.due_rooms.set(token, room, Some(now.add(delay)));
        room.not_before = now.add(wait(Duration::ZERO, min_wait));
        if let Some(reason) = reason {
            self.parked_rooms.insert(token.to_string());
            room.failures = room.failures.saturating_add(1);
            let attempt = room.failures;
            self.report_failure(format!("{token}: {reason}"), attempt, delay);
        }
    }

    /// The loop of `token` succeeded: go on at once.
    pub(super) fn loop_continue(&mut self, now: Timestamp, token: &str) {
        self.parked_rooms.remove(token);
        self.server_answered(now);
        if let Some(room) = self.rooms.get_mut(token) {
            go_on(&mut self.due_rooms, now, token, room);
        }
    }

    /// A page of `token`'s loop was delivered: its read markers reported, the loop going on at
    /// once, a page size halved for an oversized answer growing back. What
    /// `common_read_header`, `publish_read`, `loop_continue` and `after_loop_success` do, in
    /// one look-up of the room: among 10⁴ rooms each look-up is a walk of the map.
    fn page_done(&mut self, now: Timestamp, token: &str, response: &HttpResponse) {
        let Some(room) = self.rooms.get_mut(token) else {
            // Left while its page was delivered: only the marker is left to report.
            self.common_read_header(token, response);
            return;
        };
        if let Some(common) = super::read::common_read_of(response) {
            room.last_common_read = Some(common);
        }
        let update = room.read_update();
        go_on(&mut self.due_rooms, now, token, room);
        let full = self.config.effective_history_limit();
        room.page_limit = room
            .page_limit
            .map(|l| l.saturating_mul(2))
            .filter(|l| *l < full);
        let held = room.loading_older;
        self.report_read(token, update);
        self.parked_rooms.remove(token);
        self.server_answered(now);
        self.release_command(held);
    }

    pub(super) fn stop_room(&mut self, token: &str, error: Error) {
        self.leave_room(token);
        self.outbox.event(Event::RoomStopped {
            chat_id: token.to_string(),
            error,
        });
    }

    pub(super) fn on_loop_response(
        &mut self,
        now: Timestamp,
        token: &str,
        id: RequestId,
        response: HttpResponse,
        history: bool,
    ) {
        if self.rooms.get(token).and_then(|r| r.in_flight) != Some(id) {
            return;
        }
        match classify(&response, self.config.limits.max_error_body_bytes) {
            Status::Success => match self.messages_of(&response) {
                Ok(ListData::Items(messages)) => {
                    if history {
                        self.on_history(token, messages, &response);
                    } else {
                        self.on_poll(token, messages, &response);
                    }
                    self.page_done(now, token, &response);
                }
                Ok(ListData::Other(kind)) => {
                    self.protocol_error(
                        &response.body,
                        format!("expected an array of messages, got {kind}"),
                    );
                    let reason = Some("the answer was not a list of messages".to_string());
                    self.loop_backoff(now, token, None, reason);
                }
                Err(e) => {
                    if matches!(e, Error::FrameTooLarge { .. }) {
                        // Legal messages can make a page over the limit (100 of 32 000
                        // Cyrillic characters are 6 MB): ask for fewer at a time, or the room
                        // is refused the same page on every retry and never receives again.
                        let full = self.config.effective_history_limit();
                        if let Some(room) = self.rooms.get_mut(token) {
                            room.page_limit = Some((room.page_limit.unwrap_or(full) / 2).max(1));
                        }
                    }
                    self.loop_backoff(now, token, None, Some(e.to_string()))
                }
            },
            Status::NotModified => {
                if history {
                    // An empty room: the long-poll starts after the read marker, if any.
                    if let Some(room) = self.rooms.get_mut(token) {
                        room.last_given =
                            room.history_marker.filter(|r| *r > 0).or(room.last_given);
                    }
                }
                self.loop_continue(now, token);
                self.after_loop_success(token);
            }
            Status::Fatal(e @ Error::AuthFailed { .. }) => {
                self.report_auth_failed(&e);
                self.stop_room(token, e);
            }
            Status::Fatal(e @ Error::Talk(HttpError::NotFound | HttpError::Lobby)) => {
                self.stop_room(token, e)
            }
            Status::Fatal(e) | Status::Transient(e) => {
                let min = ocs::min_wait_secs(&e, Some(&response));
                let reason = failure_reason(&e, Some(&response));
                self.loop_backoff(now, token, min, Some(reason));
            }
        }
    }

    pub(super) fn after_loop_success(&mut self, token: &str) {
        // History pages start from the cursor the first history set.
        self.release_held(token);
    }

    /// The first history page: newest first from the server, delivered oldest first.
    pub(super) fn on_history(
        &mut self,
        token: &str,
        messages: Vec<DecodedMessage>,
        response: &HttpResponse,
    ) {
        let newest = messages.iter().map(|d| d.message.id).max();
        let oldest_listed = messages.iter().map(|d| d.message.id).min();
        let oldest = match oldest_given(int_header(response, LAST_GIVEN), oldest_listed) {
            Ok(given) => given.or(oldest_listed),
            Err(reason) => {
                self.protocol_error(&response.body, reason);
                oldest_listed
            }
        };
        let Some(room) = self.rooms.get_mut(token) else {
            return;
        };
        let start = room.history_marker;
        if let Some(o) = oldest {
            room.saw_old(o);
        }
        // With a read marker the page ends at it and the poll brings everything after; without
        // one (or marker 0, nothing read), the poll starts after the newest message shown.
        room.last_given = start.filter(|r| *r > 0).or(newest).or(room.last_given);
        // Without a read marker nothing tells which history messages are unread.
        self.deliver(token, messages, start.is_some());
    }

    pub(super) fn on_poll(
        &mut self,
        token: &str,
        messages: Vec<DecodedMessage>,
        response: &HttpResponse,
    ) {
        let newest = messages.iter().map(|d| d.message.id).max();
        let header = int_header(response, LAST_GIVEN);
        if let Some(room) = self.rooms.get_mut(token) {
            let (cursor, refused) = next_cursor(room.last_given, header, newest);
            room.last_given = cursor;
            if let Some(oldest) = messages.iter().map(|d| d.message.id).min() {
                room.saw_old(oldest);
            }
            if let Some(reason) = refused {
                self.protocol_error(&response.body, reason);
            }
        }
        self.deliver(token, messages, true);
    }

    /// Hands new messages to the app once each, recognizing our own echoes.
    pub(super) fn deliver(
        &mut self,
        token: &str,
        mut messages: Vec<DecodedMessage>,
        count_unread: bool,
    ) {
        crate::order::sort_by_i64_key(&mut messages, |d| d.message.id);
        let user = self.config.user.clone();
        for DecodedMessage {
            message: m,
            raw,
            parent_raw,
        } in messages
        {
            if !see(&mut self.seen, token, m.id) {
                continue;
            }
            let about_parent = m.is_about_parent();
            let echo = !about_parent
                && m.reference_id
                    .as_deref()
                    .is_some_and(|r| self.own_refs.contains(r));
            let own = echo || !about_parent && self.is_own(&m, &user);
            // One look-up of the room for all each message needs of it (among 10⁴ rooms, each
            // look-up is a walk of the map).
            let (old, live) = match self.rooms.get_mut(token) {
                Some(room) => {
                    let old = room.delivered_max.is_some_and(|max| m.id <= max);
                    room.delivered_max = room.delivered_max.max(Some(m.id));
                    if old || about_parent {
                        // Old: delivered before the dedupe window forgot it (a room's messages
                        // come in id order, so nothing at or below the newest delivered is
                        // new). About a parent: its change is told below, it is not unread.
                    } else if own {
                        // Posting moves the author's read marker in Talk.
                        room.advance_read(m.id);
                    } else if count_unread
                        && m.counts_as_unread()
                        && room.last_read.is_none_or(|r| m.id > r)
                    {
                        room.unread.add(m.id);
                    }
                    (old, room.phase == Phase::Live)
                }
                None => (false, false),
            };
            if old {
                continue;
            }
            if about_parent {
                // In a first history page the parents come as they are now: nothing to tell.
                if live {
                    self.on_parent_change(token, &m, parent_raw.as_ref());
                }
                continue;
            }
            if echo {
                let reference = m.reference_id.clone().unwrap_or_default();
                if let Some(id) = self.send_with_reference(&reference) {
                    self.confirm_send(id, token, Some(&m));
                }
                continue;
            }
            self.outbox.event(Event::MessageReceived {
                message: m.into_message(raw, own),
            });
        }
    }

    /// A system message about another message: report the change on its parent.
    pub(super) fn on_parent_change(
        &mut self,
        token: &str,
        m: &TalkMessage,
        parent_raw: Option<&RawJson>,
    ) {
        let Some(parent) = &m.parent else {
            return;
        };
        let parent_id = parent.id();
        match m.system_message {
            Some(SystemMessage::MessageEdited) => {
                if let (Parent::Message { message }, Some(raw_parent)) = (parent, parent_raw) {
                    let own = self.is_own(message, &self.config.user);
                    let mut edited = (**message).clone().into_message(raw_parent.clone(), own);
                    edited.edited = true;
                    if edited.chat_id.is_none() {
                        edited.chat_id = Some(token.to_string());
                    }
                    self.outbox.event(Event::MessageEdited { message: edited });
                }
            }
            Some(SystemMessage::MessageDeleted) => {
                if let Some(room) = self.rooms.get_mut(token) {
                    room.forget_unread(parent_id);
                }
                self.outbox.event(Event::MessageRemoved {
                    chat_id: Some(token.to_string()),
                    message_id: parent_id.to_string(),
                    by: Some(m.actor_id.clone()).filter(|a| !a.is_empty()),
                });
            }
            Some(SystemMessage::Reaction | SystemMessage::ReactionRevoked) => {
                let reactions = parent_raw
                    .and_then(|p| p.parse::<Value>().ok())
                    .map(|p| reactions_of(&p))
                    .unwrap_or_default();
                self.outbox.event(Event::ReactionsChanged {
                    chat_id: token.to_string(),
                    message_id: parent_id.to_string(),
                    reactions,
                });
            }
            // The old `reaction` entry, rewritten: its `reaction_revoked` tells the change.
            _ => {}
        }
    }

    pub(super) fn send_with_reference(&self, reference: &str) -> Option<RequestId> {
        self.by_reference.get(reference).copied()
    }

    /// Indexes send `id` by its referenceId (the first send keeps one given twice, as a walk
    /// by id found it).
    pub(super) fn index_reference(&mut self, reference: String, id: RequestId) {
        if !self.by_reference.contains_key(&reference) {
            self.by_reference.insert(reference, id);
        }
    }

    pub(super) fn is_own(&self, m: &TalkMessage, user: &str) -> bool {
        m.actor_type == "users" && m.actor_id == user
            || m.reference_id
                .as_deref()
                .is_some_and(|r| self.own_refs.contains(r))
    }
}

/// The room's loop answered: its next request goes at once, from a clean backoff.
fn go_on(due: &mut RoomsDue, now: Timestamp, token: &str, room: &mut Room) {
    room.backoff.reset();
    room.failures = 0;
    room.in_flight = None;
    room.phase = Phase::Live;
    due.set(token, room, Some(now));
}

/// Largest id a message can have: Talk's own web client reads ids as JavaScript numbers, so a
/// server never hands out one past 2^53 − 1.
const MAX_MESSAGE_ID: i64 = (1 << 53) - 1;

/// The long-poll cursor after a page: the server's `X-Chat-Last-Given` where it can be one, else
/// the newest message of the page, else the cursor as it was. The header may run ahead of the
/// messages (Talk leaves out ones this user does not see, even from a page it sends empty),
/// but it never goes behind the cursor or the page, and is a message id: −1 would rewind the
/// room and `i64::MAX` silence it, so such a header is refused with the reason.
pub(super) fn next_cursor(
    current: Option<i64>,
    header: Option<i64>,
    newest: Option<i64>,
) -> (Option<i64>, Option<String>) {
    let floor = current.max(newest);
    let Some(h) = header else {
        return (floor, None);
    };
    if (0..=MAX_MESSAGE_ID).contains(&h) && floor.is_none_or(|f| h >= f) {
        return (Some(h), None);
    }
    let reason = format!(
        "X-Chat-Last-Given {h} cannot follow cursor {current:?} and newest message {newest:?}: ignored"
    );
    (floor, Some(reason))
}

/// The oldest id a history page gave (`X-Chat-Last-Given` of a `lookIntoFuture=0` read): a
/// message id no newer than the page's oldest; `Err` names a header that cannot be one.
pub(super) fn oldest_given(
    header: Option<i64>,
    oldest: Option<i64>,
) -> Result<Option<i64>, String> {
    match header {
        Some(h) if !(0..=MAX_MESSAGE_ID).contains(&h) || oldest.is_some_and(|o| h > o) => {
            Err(format!(
                "X-Chat-Last-Given {h} cannot be the oldest of a page starting at {oldest:?}: ignored"
            ))
        }
        other => Ok(other),
    }
}
