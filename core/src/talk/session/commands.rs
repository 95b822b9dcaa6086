//! App commands: dispatch, retries, resolution and what each answer means.

use super::*;

impl TalkSession {
    pub(super) fn backoff(&self) -> Backoff {
        Backoff::new(self.config.backoff_base, self.config.backoff_max)
    }

    /// Registers a command and sends its first attempt (or holds it for the room's loop).
    pub(super) fn command(
        &mut self,
        now: Timestamp,
        token: &str,
        kind: CommandKind,
    ) -> Result<RequestId, Error> {
        if let (Some(feature), Some(caps)) = (kind.feature(), &self.capabilities) {
            if !caps.has(feature) {
                return Err(unsupported(feature));
            }
        }
        let needs_caps = kind.feature().is_some() && self.capabilities.is_none();
        let hold = needs_caps
            || matches!(kind, CommandKind::LoadOlder { .. })
                && self
                    .rooms
                    .get(token)
                    .is_some_and(|r| r.phase == Phase::History);
        let is_send = matches!(kind, CommandKind::Send(_));
        let queued = is_send && self.send_queues.get(token).is_some_and(|q| !q.is_empty());
        let expires = now.add(self.config.command_bound());
        let command = Command {
            room: token.to_string(),
            kind,
            backoff: self.backoff(),
            attempts: 0,
            state: if needs_caps {
                CommandState::NeedsCapabilities
            } else if queued {
                CommandState::Queued
            } else if hold {
                CommandState::Held
            } else {
                CommandState::Waiting
            },
            expires: Some(expires),
            not_before: now,
            unknown: false,
            last_error: None,
        };
        let waits = hold || queued;
        let reference = match &command.kind {
            CommandKind::Send(o) => Some(o.reference_id.clone()),
            _ => None,
        };
        let id = self
            .commands
            .insert(if waits { expires } else { NEVER }, command)?;
        if needs_caps {
            self.awaiting_caps.insert(id);
        }
        if let Some(reference) = &reference {
            self.send_queues
                .get_or_insert_with(token.to_string(), VecDeque::new)
                .push_back(id);
            self.index_reference(reference.clone(), id);
        }
        if !waits {
            if let Err(e) = self.dispatch(now, id) {
                self.commands.remove(id);
                self.unqueue(token, id);
                self.unindex_reference(reference.as_deref(), id);
                return Err(e);
            }
        }
        self.drive(now);
        Ok(id)
    }

    /// Takes send `id` out of `token`'s queue; the next one, if `id` was first, goes out at
    /// the next drive.
    fn unqueue(&mut self, token: &str, id: RequestId) {
        let Some(queue) = self.send_queues.get_mut(token) else {
            return;
        };
        let was_first = queue.front() == Some(&id);
        queue.retain(|q| *q != id);
        let next = queue.front().copied();
        if queue.is_empty() {
            self.send_queues.remove(token);
        }
        if let (true, Some(next)) = (was_first, next) {
            if let Some(p) = self.commands.get_mut(next) {
                if p.value.state == CommandState::Queued {
                    p.value.state = CommandState::Waiting;
                    p.deadline = Timestamp(0);
                }
            }
        }
    }

    /// A restored session's commands get their bound from the first clock reading.
    pub(super) fn stamp_restored(&mut self, now: Timestamp) {
        self.unstamped = false;
        let expires = now.add(self.config.command_bound());
        let ids: Vec<RequestId> = self
            .commands
            .iter()
            .filter(|(_, p)| p.value.expires.is_none())
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            if let Some(p) = self.commands.get_mut(id) {
                p.value.expires = Some(expires);
                if p.deadline == NEVER {
                    p.deadline = expires;
                }
            }
        }
    }

    /// Command `id` is not on the wire and its time came: it expires, or its next attempt goes.
    pub(super) fn command_due(&mut self, now: Timestamp, id: RequestId) {
        let Some(p) = self.commands.get(id) else {
            return;
        };
        if p.value.expires.is_some_and(|e| now >= e) {
            let error = p.value.last_error.clone().unwrap_or(Error::Timeout);
            self.fail(id, error);
            return;
        }
        if p.value.state != CommandState::Waiting {
            return;
        }
        if self.dispatch(now, id).is_err() {
            // The host is not draining or too much is in flight: try again later rather
            // than lose the command (its bound still holds).
            if let Some(p) = self.commands.get_mut(id) {
                let delay = p.value.backoff.next_delay(&mut self.rng);
                let expires = p.value.expires.unwrap_or(NEVER);
                p.deadline = now.add(delay).min(expires);
            }
        }
    }

    /// The outcome of command `id`'s attempt is unknown (no answer, or a timeout): a send may
    /// be on the server, and posting it again would show it twice.
    pub(super) fn outcome_unknown(&mut self, id: RequestId) {
        if let Some(p) = self.commands.get_mut(id) {
            if matches!(p.value.kind, CommandKind::Send(_)) {
                p.value.unknown = true;
            }
        }
    }

    /// Resolves command `id` with `error`; a send whose POST may have landed says so, whatever
    /// the look for its echo failed with.
    pub(super) fn fail(&mut self, id: RequestId, error: Error) {
        let unknown = self.commands.get(id).is_some_and(|p| p.value.unknown);
        let error = if unknown {
            Error::Disconnected {
                delivery: Delivery::MaybeDelivered,
            }
        } else {
            error
        };
        self.finish(id, Err(error));
    }

    /// Sends one attempt of command `id`.
    pub(super) fn dispatch(&mut self, now: Timestamp, id: RequestId) -> Result<(), Error> {
        let Some(p) = self.commands.get(id) else {
            return Ok(());
        };
        let token = p.value.room.clone();
        // The attempt ends by the command's bound at the latest.
        let left = p.value.expires.map_or(Duration::MAX, |e| {
            Duration::from_millis(e.0.saturating_sub(now.0))
        });
        let timeout = self.config.limits.request_timeout.min(left);
        let look = p.value.unknown;
        let planned = match &p.value.kind {
            // The newest page: a send that landed is among the newest messages.
            CommandKind::Send(_) if look => Planned::Get {
                path: Receive {
                    look_into_future: false,
                    limit: self.config.effective_history_limit(),
                    last_known: None,
                    include_last_known: false,
                    timeout: None,
                    last_common_read: None,
                }
                .path(&token),
            },
            CommandKind::Send(o) => {
                let mut form = vec![
                    ("message", o.text.clone()),
                    ("referenceId", o.reference_id.clone()),
                ];
                if let Some(parent) = o.reply_to {
                    form.push(("replyTo", parent.to_string()));
                }
                if o.silent {
                    form.push(("silent", "true".into()));
                }
                Planned::Post {
                    path: chat_path(&token),
                    form,
                }
            }
            CommandKind::MarkRead { message_id } => Planned::Post {
                path: format!("{}/read", chat_path(&token)),
                form: vec![("lastReadMessage", message_id.to_string())],
            },
            CommandKind::Mentions { search, limit } => {
                let query = vec![
                    ("search", search.clone()),
                    ("limit", limit.to_string()),
                    ("includeStatus", "1".into()),
                ];
                Planned::get_query(format!("{}/mentions", chat_path(&token)), &query)
            }
            CommandKind::LoadOlder { limit } => {
                let path = Receive {
                    look_into_future: false,
                    limit: *limit,
                    last_known: self.rooms.get(&token).and_then(|r| r.oldest_known),
                    include_last_known: false,
                    timeout: None,
                    last_common_read: None,
                }
                .path(&token);
                Planned::Get { path }
            }
            CommandKind::Edit { message_id, text } => Planned::Put {
                path: message_path(&token, *message_id),
                form: vec![("message", text.clone())],
            },
            CommandKind::Delete { message_id } => Planned::Delete {
                path: message_path(&token, *message_id),
            },
            CommandKind::React {
                message_id,
                emoji,
                add,
            } => {
                let path = reaction_path(&token, *message_id);
                if *add {
                    Planned::Post {
                        path,
                        form: vec![("reaction", emoji.clone())],
                    }
                } else {
                    Planned::Delete {
                        path: Planned::with_query(path, &[("reaction", emoji.clone())]),
                    }
                }
            }
            CommandKind::OpenRoom => Planned::Get {
                path: room_path(&token),
            },
        };
        let exchange = if look {
            Exchange::Look {
                command: id,
                room: token.clone(),
            }
        } else {
            Exchange::Command {
                command: id,
                room: token.clone(),
            }
        };
        let exchange = self.wire().queue(now, exchange, timeout, planned)?;
        self.parked.remove(&id);
        self.commands.mark_sent(id);
        self.commands.set_deadline(id, NEVER);
        if let Some(p) = self.commands.get_mut(id) {
            p.value.attempts += 1;
            p.value.state = CommandState::InFlight(exchange);
        }
        Ok(())
    }

    /// What sending an exchange touches, borrowed from the whole session.
    pub(super) fn wire(&mut self) -> Wire<'_> {
        Wire {
            outbox: &mut self.outbox,
            exchanges: &mut self.exchanges,
            requests: &self.requests,
        }
    }

    /// A transient failure of command `id`: try again after a backoff, or report `error` once
    /// the attempts are used up.
    pub(super) fn retry_or_fail(
        &mut self,
        now: Timestamp,
        id: RequestId,
        error: Error,
        min_wait: Option<u64>,
        reason: String,
    ) {
        let Some(p) = self.commands.get_mut(id) else {
            return;
        };
        if p.value.attempts >= self.config.max_attempts.max(1) {
            self.fail(id, error);
            return;
        }
        let delay = wait(p.value.backoff.next_delay(&mut self.rng), min_wait);
        // No retry that would start after the command's bound: it fails now, with the reason.
        if now.add(delay) >= p.value.expires.unwrap_or(NEVER) {
            self.fail(id, error);
            return;
        }
        p.value.state = CommandState::Waiting;
        p.value.last_error = Some(error);
        p.value.not_before = now.add(wait(Duration::ZERO, min_wait));
        p.deadline = now.add(delay);
        let attempt = p.value.attempts;
        self.parked.insert(id);
        self.report_failure(reason, attempt, delay);
    }

    /// The server answered something: commands and room loops parked after failures retry
    /// soon (after a fresh, jittered first delay, and not before a `Retry-After`) instead of
    /// waiting out a back-off that grew while it did not.
    pub(super) fn server_answered(&mut self, now: Timestamp) {
        for id in std::mem::take(&mut self.parked) {
            let Some(p) = self.commands.get_mut(id) else {
                continue;
            };
            if p.value.state != CommandState::Waiting {
                continue;
            }
            p.value.backoff.reset();
            let at = now
                .add(p.value.backoff.next_delay(&mut self.rng))
                .max(p.value.not_before);
            if at < p.deadline {
                p.deadline = at;
            }
        }
        for token in std::mem::take(&mut self.parked_rooms) {
            let Some(room) = self.rooms.get_mut(&token) else {
                continue;
            };
            if room.in_flight.is_some() {
                continue;
            }
            room.backoff.reset();
            let at = now
                .add(room.backoff.next_delay(&mut self.rng))
                .max(room.not_before);
            if room.next_poll_at().is_some_and(|t| at < t) {
                self.due_rooms.set(&token, room, Some(at));
            }
        }
    }

    /// The answer to the look for the echo of send `id`.
    pub(super) fn on_look_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        token: &str,
        exchange: RequestId,
        response: HttpResponse,
    ) {
        let Some(p) = self.commands.get(id) else {
            return;
        };
        if p.value.state != CommandState::InFlight(exchange) {
            return;
        }
        let CommandKind::Send(o) = &p.value.kind else {
            return;
        };
        let reference = o.reference_id.clone();
        let mut scratch = String::new();
        let items = match classify(&response, self.config.limits.max_error_body_bytes) {
            Status::Success => match self.decode_list(&response, &mut scratch) {
                Ok(ListData::Items(items)) => items,
                Ok(ListData::Other(kind)) => {
                    let e = unexpected_kind("an array of messages", kind);
                    let reason = e.to_string();
                    return self.retry_or_fail(now, id, e, None, reason);
                }
                Err(e) => {
                    let reason = e.to_string();
                    return self.retry_or_fail(now, id, e, None, reason);
                }
            },
            Status::NotModified => Vec::new(),
            Status::Transient(e) => {
                let min = ocs::min_wait_secs(&e, Some(&response));
                let reason = failure_reason(&e, Some(&response));
                return self.retry_or_fail(now, id, e, min, reason);
            }
            Status::Fatal(e) => return self.fail(id, e),
        };
        self.server_answered(now);
        let full = items.len() >= self.config.effective_history_limit() as usize;
        let messages = self.parse_messages(&items);
        let echo = messages
            .into_iter()
            .map(|d| d.message)
            .find(|m| m.reference_id.as_deref() == Some(reference.as_str()));
        match echo {
            Some(m) => {
                see(&mut self.seen, token, m.id);
                if let Some(room) = self.rooms.get_mut(token) {
                    room.advance_read(m.id);
                }
                self.confirm_send(id, token, Some(&m));
                self.publish_read(token);
            }
            // A page of newer messages only: ours may be older still, nobody can tell.
            None if full => self.fail(id, Error::Timeout),
            // It is not on the server: posting it again is no duplicate.
            None => {
                if let Some(p) = self.commands.get_mut(id) {
                    p.value.unknown = false;
                    p.value.state = CommandState::Waiting;
                    p.deadline = now;
                }
            }
        }
    }

    /// Tells the app that an attempt failed and when the next one goes: a server that cannot
    /// be reached must not look like a quiet one.
    pub(super) fn report_failure(&mut self, reason: String, attempt: u32, delay: Duration) {
        self.outbox.event(Event::ConnectFailed {
            reason,
            permanent: false,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            attempt: attempt.max(1),
        });
    }

    /// Credentials were refused: reported once (every room's loop gets the same 401).
    pub(super) fn report_auth_failed(&mut self, error: &Error) {
        if self.auth_failed {
            return;
        }
        self.auth_failed = true;
        self.outbox.event(Event::ConnectFailed {
            reason: error.to_string(),
            permanent: true,
            retry_in_ms: None,
            attempt: 1,
        });
        self.outbox.event(Event::AuthFailed {
            error: error.clone(),
        });
    }

    /// Resolves command `id` with `result`.
    pub(super) fn finish(&mut self, id: RequestId, result: Result<Reply, Error>) {
        let Some(p) = self.commands.remove(id) else {
            return;
        };
        self.parked.remove(&id);
        self.awaiting_caps.remove(&id);
        if let CommandKind::Send(o) = &p.value.kind {
            self.unqueue(&p.value.room, id);
            self.unindex_reference(Some(&o.reference_id), id);
        }
        if let Some(room) = self.rooms.get_mut(&p.value.room) {
            if room.loading_older == Some(id) {
                room.loading_older = None;
            }
        }
        self.outbox.resolve(id, result);
    }

    /// Takes send `id` out of the referenceId index.
    fn unindex_reference(&mut self, reference: Option<&str>, id: RequestId) {
        if let Some(reference) = reference {
            if self.by_reference.get(reference) == Some(&id) {
                self.by_reference.remove(reference);
            }
        }
    }

    /// Lets `token`'s held history page go out at the next drive. Only a history page is ever
    /// held (waiting for the first history to set its cursor), and a room has one at most: its
    /// `loading_older`, so no walk of the commands is needed.
    pub(super) fn release_held(&mut self, token: &str) {
        let held = self.rooms.get(token).and_then(|r| r.loading_older);
        self.release_command(held);
    }

    /// Lets `held`, a room's older-history command waiting for the room's loop, go.
    pub(super) fn release_command(&mut self, held: Option<RequestId>) {
        let Some(id) = held else {
            return;
        };
        if let Some(p) = self.commands.get_mut(id) {
            if p.value.state == CommandState::Held {
                p.value.state = CommandState::Waiting;
                p.deadline = Timestamp(0);
            }
        }
    }

    /// A send is confirmed (201, or its echo came first).
    pub(super) fn confirm_send(
        &mut self,
        id: RequestId,
        token: &str,
        message: Option<&TalkMessage>,
    ) {
        self.outbox.event(Event::Delivered {
            request: id,
            message_id: message.map(|m| m.id.to_string()),
        });
        let reply = match message {
            Some(m) => Reply::MessageSent {
                chat_id: Some(token.to_string()),
                message_id: m.id.to_string(),
                timestamp_ms: Some(m.timestamp.saturating_mul(1000)),
            },
            None => Reply::Empty,
        };
        self.finish(id, Ok(reply));
    }

    pub(super) fn on_command_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        room: &str,
        exchange: RequestId,
        response: HttpResponse,
    ) {
        let Some(p) = self.commands.get(id) else {
            // Already resolved (its echo confirmed the send first); the common read marker the
            // answer carries is still news.
            if classify(&response, self.config.limits.max_error_body_bytes) == Status::Success {
                self.command_common_read(room, &response);
            }
            return;
        };
        if p.value.state != CommandState::InFlight(exchange) {
            return;
        }
        let token = p.value.room.clone();
        let kind = p.value.kind.clone();
        match classify(&response, self.config.limits.max_error_body_bytes) {
            Status::Success => self.on_command_success(now, id, &token, kind, &response),
            Status::NotModified => match kind {
                // No older messages.
                CommandKind::LoadOlder { .. } => {
                    self.finish(id, Ok(Reply::Messages { messages: vec![] }))
                }
                _ => self.finish(
                    id,
                    Err(Error::Http {
                        status: 304,
                        body: response.body,
                    }),
                ),
            },
            Status::Transient(e) => {
                if response.status == 0 {
                    self.outcome_unknown(id);
                }
                let min = ocs::min_wait_secs(&e, Some(&response));
                let reason = failure_reason(&e, Some(&response));
                self.retry_or_fail(now, id, e, min, reason);
            }
            // Talk 18 has no edits: the route answers 405 to a PUT.
            Status::Fatal(Error::Http { status: 405, .. })
                if matches!(kind, CommandKind::Edit { .. }) =>
            {
                self.finish(id, Err(unsupported(FEATURE_EDIT)))
            }
            Status::Fatal(e) => self.finish(id, Err(e)),
        }
    }

    pub(super) fn on_command_success(
        &mut self,
        now: Timestamp,
        id: RequestId,
        token: &str,
        kind: CommandKind,
        response: &HttpResponse,
    ) {
        self.server_answered(now);
        self.command_common_read(token, response);
        let data = self.decode(response);
        match kind {
            CommandKind::Send(_) => {
                // 201 means the message exists: a body we cannot read must not cause a resend.
                let message = data.ok().and_then(|d| match TalkMessage::from_json(&d) {
                    Ok(m) => Some(m),
                    Err(reason) => {
                        self.protocol_error(&d.to_string(), reason);
                        None
                    }
                });
                if let Some(m) = &message {
                    see(&mut self.seen, token, m.id);
                    if let Some(room) = self.rooms.get_mut(token) {
                        room.advance_read(m.id);
                    }
                }
                self.confirm_send(id, token, message.as_ref());
                self.publish_read(token);
            }
            CommandKind::MarkRead { message_id } => {
                match self.rooms.get_mut(token) {
                    Some(room) => {
                        room.advance_read(message_id);
                        self.publish_read(token);
                    }
                    None => {
                        let update = ReadUpdate {
                            last_read_message_id: Some(message_id.to_string()),
                            ..Default::default()
                        };
                        self.report_read(token, update);
                    }
                }
                self.finish(id, Ok(Reply::Empty));
            }
            CommandKind::Mentions { .. } => {
                let result = match data {
                    Ok(Value::Array(items)) => {
                        let mut suggestions = Vec::with_capacity(items.len());
                        for item in &items {
                            match Mention::from_json(item) {
                                Ok(m) => suggestions.push(m),
                                Err(reason) => self.protocol_error(&item.to_string(), reason),
                            }
                        }
                        Ok(Reply::Mentions { suggestions })
                    }
                    Ok(other) => Err(unexpected("an array of suggestions", &other)),
                    Err(e) => Err(e),
                };
                self.finish(id, result);
            }
            CommandKind::LoadOlder { .. } => {
                let result = match data {
                    Ok(Value::Array(items)) => {
                        // A command's page, read as a tree (commands are few): each item's
                        // text goes to the same decoder as the poll's.
                        let texts: Vec<Box<RawValue>> = items
                            .iter()
                            .filter_map(|item| serde_json::value::to_raw_value(item).ok())
                            .collect();
                        let texts: Vec<&RawValue> = texts.iter().map(|t| &**t).collect();
                        let mut messages = self.parse_messages(&texts);
                        crate::order::sort_by_i64_key(&mut messages, |d| d.message.id);
                        if let Some(room) = self.rooms.get_mut(token) {
                            for d in &messages {
                                room.saw_old(d.message.id);
                            }
                            let oldest = messages.first().map(|d| d.message.id);
                            if let Ok(Some(given)) = super::receive::oldest_given(
                                int_header(response, LAST_GIVEN),
                                oldest,
                            ) {
                                room.saw_old(given);
                            }
                        }
                        let user = self.config.user.clone();
                        let messages: Vec<Message> = messages
                            .into_iter()
                            // Edits, deletions and reactions show in their parents.
                            .filter(|d| !d.message.is_about_parent())
                            .map(|d| {
                                let own = self.is_own(&d.message, &user);
                                d.message.into_message(d.raw, own)
                            })
                            .collect();
                        Ok(Reply::Messages { messages })
                    }
                    Ok(other) => Err(unexpected("an array of messages", &other)),
                    Err(e) => Err(e),
                };
                self.finish(id, result);
            }
            CommandKind::Edit { .. } => {
                // The answer is the `message_edited` system message; its parent the edit.
                let result = match data {
                    Ok(d) => match TalkMessage::from_json(&d) {
                        Ok(m) => match (&m.parent, d.get("parent")) {
                            (Some(Parent::Message { message }), Some(raw)) => {
                                let own = self.is_own(message, &self.config.user);
                                Ok(Reply::Message {
                                    message: message.to_message(raw.clone(), own),
                                })
                            }
                            _ => Ok(Reply::Message {
                                message: m.to_message(d.clone(), true),
                            }),
                        },
                        Err(reason) => Err(Error::UnexpectedResponse { reason }),
                    },
                    Err(e) => Err(e),
                };
                self.finish(id, result);
            }
            CommandKind::Delete { .. } => self.finish(id, Ok(Reply::Empty)),
            CommandKind::React { message_id, .. } => {
                // `{emoji: [actors]}`: the reactions after the change, whole.
                if let Ok(Value::Object(map)) = &data {
                    let user = self.config.user.clone();
                    let reactions = map
                        .iter()
                        .filter_map(|(emoji, actors)| {
                            let actors = actors.as_array()?;
                            Some(crate::model::Reaction {
                                emoji: emoji.clone(),
                                count: u32::try_from(actors.len()).unwrap_or(u32::MAX),
                                own: actors.iter().any(|a| {
                                    a.get("actorType").and_then(Value::as_str) == Some("users")
                                        && a.get("actorId").and_then(Value::as_str)
                                            == Some(user.as_str())
                                }),
                            })
                        })
                        .filter(|r| r.count > 0)
                        .collect();
                    self.outbox.event(Event::ReactionsChanged {
                        chat_id: token.to_string(),
                        message_id: message_id.to_string(),
                        reactions,
                    });
                }
                self.finish(id, Ok(Reply::Empty));
            }
            CommandKind::OpenRoom => {
                let result = match data {
                    Ok(d) => match Conversation::from_json(&d, &self.config.user) {
                        Ok(c) => {
                            self.opened(now, c.clone());
                            Ok(Reply::Chat { chat: c.chat })
                        }
                        Err(reason) => Err(Error::UnexpectedResponse { reason }),
                    },
                    Err(e) => Err(e),
                };
                self.finish(id, result);
            }
        }
    }

    /// The server described a room the app asked for: join it from the server's read marker,
    /// or, when joined already, take a marker that moved forward.
    pub(super) fn opened(&mut self, now: Timestamp, c: Conversation) {
        if let Some(read) = c.last_read {
            self.reads.touch(&c.token);
            self.listed_read.insert(c.token.clone(), read);
        }
        match self.rooms.get_mut(&c.token) {
            Some(room) => {
                if let Some(read) = c.last_read {
                    room.advance_read(read);
                }
                if c.last_common_read.is_some() {
                    room.last_common_read = c.last_common_read.max(room.last_common_read);
                }
                self.publish_read(&c.token);
            }
            None => {
                let _ = self.join(now, &c.token, c.last_read);
                if let Some(room) = self.rooms.get_mut(&c.token) {
                    room.last_common_read = c.last_common_read;
                }
            }
        }
    }
}
