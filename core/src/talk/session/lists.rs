//! The server's capabilities and the periodic room list.

use super::*;

impl TalkSession {
    pub(super) fn start_capabilities(&mut self, now: Timestamp) {
        let timeout = self.config.limits.request_timeout;
        let planned = Planned::Get {
            path: CAPABILITIES_PATH.to_string(),
        };
        if let Ok(id) = self
            .wire()
            .queue(now, Exchange::Capabilities, timeout, planned)
        {
            self.caps_loop.in_flight = Some(id);
            self.caps_loop.next_at = None;
        }
    }

    pub(super) fn on_capabilities(&mut self, now: Timestamp, response: HttpResponse) {
        self.caps_loop.in_flight = None;
        match classify(&response, self.config.limits.max_error_body_bytes) {
            Status::Success => match self.decode(&response) {
                Ok(data) => self.set_capabilities(TalkCapabilities::from_data(&data)),
                Err(e) => self.caps_failed(now, Some(&response), &e, None),
            },
            Status::Fatal(e @ Error::AuthFailed { .. }) => {
                self.report_auth_failed(&e);
                self.fail_needing_capabilities(&e);
            }
            // A server without the endpoint: the commands are tried and the answers tell.
            Status::Fatal(_) | Status::NotModified => {
                self.set_capabilities(TalkCapabilities::default())
            }
            Status::Transient(e) => {
                let min = ocs::min_wait_secs(&e, Some(&response));
                self.caps_failed(now, Some(&response), &e, min);
            }
        }
    }

    pub(super) fn caps_failed(
        &mut self,
        now: Timestamp,
        response: Option<&HttpResponse>,
        error: &Error,
        min_wait: Option<u64>,
    ) {
        let p = &mut self.caps_loop;
        p.in_flight = None;
        p.failures = p.failures.saturating_add(1);
        let delay = wait(p.backoff.next_delay(&mut self.rng), min_wait);
        p.next_at = Some(now.add(delay));
        let attempt = p.failures;
        let reason = format!("capabilities: {}", failure_reason(error, response));
        self.report_failure(reason, attempt, delay);
    }

    /// Capabilities known: commands waiting for them go out, or fail when the server cannot
    /// do them.
    pub(super) fn set_capabilities(&mut self, caps: TalkCapabilities) {
        let waiting: Vec<(RequestId, Option<&'static str>)> =
            std::mem::take(&mut self.awaiting_caps)
                .into_iter()
                .filter_map(|id| Some((id, self.commands.get(id)?.value.kind.feature())))
                .collect();
        self.capabilities = Some(caps);
        for (id, feature) in waiting {
            let missing = feature.filter(|f| !self.capabilities.as_ref().is_some_and(|c| c.has(f)));
            match missing {
                Some(f) => self.finish(id, Err(unsupported(f))),
                None => {
                    if let Some(p) = self.commands.get_mut(id) {
                        p.value.state = CommandState::Waiting;
                        p.deadline = Timestamp(0);
                    }
                }
            }
        }
    }

    pub(super) fn fail_needing_capabilities(&mut self, error: &Error) {
        let waiting: Vec<RequestId> = std::mem::take(&mut self.awaiting_caps)
            .into_iter()
            .collect();
        for id in waiting {
            self.finish(id, Err(error.clone()));
        }
    }

    pub(super) fn start_room_list(&mut self, now: Timestamp) {
        let Some(list) = &mut self.room_list else {
            return;
        };
        list.full = list.since.is_none() || list.rounds % FULL_LIST_EVERY == 0;
        list.rounds = list.rounds.wrapping_add(1);
        let query: Vec<(&str, String)> = match list.since {
            Some(t) if !list.full => vec![("modifiedSince", t.to_string())],
            _ => Vec::new(),
        };
        let planned = Planned::Get {
            path: Planned::with_query(format!("{ROOM_API_BASE}/room"), &query),
        };
        let timeout = self.config.limits.request_timeout;
        if let Ok(id) = self.wire().queue(now, Exchange::RoomList, timeout, planned) {
            if let Some(list) = &mut self.room_list {
                list.poller.in_flight = Some(id);
                list.poller.next_at = None;
            }
        }
    }

    pub(super) fn on_room_list(&mut self, now: Timestamp, response: HttpResponse) {
        if let Some(list) = &mut self.room_list {
            list.poller.in_flight = None;
        }
        match classify(&response, self.config.limits.max_error_body_bytes) {
            Status::Success => match self.decode(&response) {
                Ok(Value::Array(items)) => {
                    let since = int_header(&response, MODIFIED_BEFORE);
                    let mut present = BTreeSet::new();
                    let mut unreadable = false;
                    for item in &items {
                        match Conversation::from_json(item, &self.config.user) {
                            Ok(c) => {
                                let (token, read) = (c.token.clone(), c.last_read);
                                present.insert(token.clone());
                                self.listed(c);
                                if self.join_listed && !self.rooms.contains_key(&token) {
                                    let _ = self.join(now, &token, read);
                                }
                            }
                            Err(reason) => {
                                unreadable = true;
                                self.protocol_error(&item.to_string(), reason)
                            }
                        }
                    }
                    // A room missing from a whole list is gone; with an unreadable entry the
                    // list cannot say which one that was.
                    if self.room_list.as_ref().is_some_and(|l| l.full) && !unreadable {
                        self.forget_unlisted(&present);
                    }
                    if let Some(list) = &mut self.room_list {
                        list.since = since.or(list.since);
                        list.poller.backoff.reset();
                        list.poller.failures = 0;
                        list.poller.next_at =
                            Some(now.add(Duration::from_secs(ROOM_LIST_INTERVAL_SECS)));
                    }
                }
                Ok(other) => {
                    let e = unexpected("an array of rooms", &other);
                    self.list_failed(now, Some(&response), &e, None);
                }
                Err(e) => self.list_failed(now, Some(&response), &e, None),
            },
            Status::NotModified => {
                if let Some(list) = &mut self.room_list {
                    list.poller.next_at =
                        Some(now.add(Duration::from_secs(ROOM_LIST_INTERVAL_SECS)));
                }
            }
            Status::Fatal(e @ Error::AuthFailed { .. }) => {
                self.report_auth_failed(&e);
                self.room_list = None;
            }
            Status::Fatal(e) | Status::Transient(e) => {
                let min = ocs::min_wait_secs(&e, Some(&response));
                self.list_failed(now, Some(&response), &e, min);
            }
        }
    }

    pub(super) fn list_failed(
        &mut self,
        now: Timestamp,
        response: Option<&HttpResponse>,
        error: &Error,
        min_wait: Option<u64>,
    ) {
        let Some(list) = &mut self.room_list else {
            return;
        };
        let p = &mut list.poller;
        p.in_flight = None;
        p.failures = p.failures.saturating_add(1);
        let delay = wait(p.backoff.next_delay(&mut self.rng), min_wait);
        p.next_at = Some(now.add(delay));
        let attempt = p.failures;
        let reason = format!("room list: {}", failure_reason(error, response));
        self.report_failure(reason, attempt, delay);
    }

    /// Rooms announced before but absent from a whole list (deleted, or this user was removed):
    /// reported [`Event::ChatRemoved`], no longer received, their state dropped.
    fn forget_unlisted(&mut self, present: &BTreeSet<String>) {
        let Some(list) = &mut self.room_list else {
            return;
        };
        let gone: Vec<String> = list
            .known
            .iter()
            .filter(|token| !present.contains(*token))
            .cloned()
            .collect();
        for token in &gone {
            list.known.remove(token);
        }
        for token in gone {
            self.listed_read.remove(&token);
            self.leave_room(&token);
            self.reads.remove(&token);
            self.outbox.event(Event::ChatRemoved { chat_id: token });
        }
    }

    /// One room of the list: announced, and its read state taken.
    pub(super) fn listed(&mut self, c: Conversation) {
        let first = self
            .room_list
            .as_mut()
            .is_some_and(|l| l.known.insert(c.token.clone()));
        self.reads.touch(&c.token);
        if let Some(read) = c.last_read {
            self.listed_read.insert(c.token.clone(), read);
        }
        let token = c.token.clone();
        match self.rooms.get_mut(&token) {
            // Joined: the session counts what it receives; a marker moved on another device
            // still reads the messages before it.
            Some(room) => {
                if let Some(read) = c.last_read.filter(|r| *r > 0) {
                    room.advance_read(read);
                }
                if c.last_common_read.is_some() {
                    room.last_common_read = c.last_common_read.max(room.last_common_read);
                }
                self.publish_read(&token);
            }
            None => {
                let update = ReadUpdate {
                    unread: c.unread,
                    last_read_message_id: c.last_read.map(|id| id.to_string()),
                    last_common_read_id: c.last_common_read.map(|id| id.to_string()),
                    ..Default::default()
                };
                self.report_read(&token, update);
            }
        }
        let chat = c.chat;
        self.outbox.event(if first {
            Event::ChatCreated { chat }
        } else {
            Event::ChatUpdated { chat }
        });
    }
}
