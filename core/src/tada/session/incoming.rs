//! Incoming: what the server sends (messages, chats, read state, counters, warnings,
//! pass-through events) turned into the app's events, and the catch-up after a reconnect.

use super::*;

impl TadaSession {
    /// Asks for what every known chat received while the socket was down.
    pub(super) fn start_catchup(&mut self) {
        let mut jids: Vec<String> = self.reads.iter().map(|(jid, _)| jid.to_string()).collect();
        jids.extend(self.last_messages.keys().cloned());
        jids.sort();
        jids.dedup();
        let auth = self.connect_info().headers;
        let fetches = self.catchup.start(&self.config.team, jids, &auth);
        self.queue_fetches(fetches);
    }

    pub(super) fn queue_fetches(&mut self, fetches: Vec<crate::transmit::HttpRequest>) {
        for request in fetches {
            let path = request.path.clone();
            if self.outbox.transmit(Transmit::Http(request)).is_err() {
                self.protocol_error(
                    &path,
                    "outgoing queue full: a history fetch was not sent; messages may be missing"
                        .into(),
                );
            }
        }
    }

    pub(super) fn protocol_error(&mut self, raw: &str, reason: String) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, MAX_RAW_KEPT),
            reason,
        });
    }

    pub(super) fn dispatch(&mut self, event: ServerEvent, params: &Value) {
        let event_name = event.name();
        match event {
            ServerEvent::Confirm(c) => match self.by_confirm.get(&c.confirm_id).copied() {
                Some(id) => self.succeed(id),
                // A second confirm for an event already resolved (after a resend, or after its
                // echo confirmed it) carries no news.
                None if self.resolved.contains(&c.confirm_id) => {}
                None => self.pass_through(event_name, params),
            },
            ServerEvent::Warning(w) => self.on_warning(w),
            ServerEvent::MessageUpdated(m) => self.on_messages(m, params),
            ServerEvent::ChatUpdated(c) => self.on_chats(c, params),
            ServerEvent::ChatLastread(c) => {
                self.apply_reads(&c.chats);
                self.on_counters(c.badge, params.get("team_unread"));
            }
            ServerEvent::ChatDeleted(c) => self.on_chats_deleted(c, params),
            ServerEvent::TeamUpdated(t) => {
                let me = t
                    .teams
                    .iter()
                    .filter(|team| team.uid == self.config.team)
                    .find_map(|team| team.me.as_ref().map(|c| c.jid.clone()));
                if me.is_some() {
                    self.me = me;
                }
                self.pass_through(event_name, params);
            }
            _ => self.pass_through(event_name, params),
        }
    }

    /// Hands a server event with no normalized counterpart to the app, as received.
    pub(super) fn pass_through(&mut self, name: &str, params: &Value) {
        self.outbox.event(Event::Tada {
            name: name.to_string(),
            params: RawJson::from(params),
        });
    }

    pub(super) fn on_warning(&mut self, w: Warning) {
        let ours = w
            .confirm_id()
            .and_then(|cid| self.by_confirm.get(&cid).copied());
        let message = w.message.clone();
        self.outbox.event(Event::Warning {
            message: w.message,
            original: RawJson::from(w.orig),
        });
        if let Some(id) = ours {
            self.fail(id, Error::Rejected { message });
        }
    }

    pub(super) fn on_messages(&mut self, params: MessagesUpdated, raw: &Value) {
        let raw_messages: &[Value] = raw
            .get("messages")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        // Decoded item by item: one bad message is reported, the others are delivered.
        let mut decoded = Vec::with_capacity(raw_messages.len());
        for item in raw_messages {
            match serde_json::from_value::<crate::tada::MessageInfo>(item.clone()) {
                Ok(info) => decoded.push((info, item)),
                Err(e) => self.protocol_error(
                    &item.to_string(),
                    format!("a message of server.message.updated did not decode: {e}"),
                ),
            }
        }
        for (info, raw_message) in &decoded {
            let (info, raw_message) = (info, *raw_message);
            if let Some(g) = info.gentime {
                self.catchup.saw(g);
            }
            let key = match info.gentime {
                Some(g) => format!("{}@{}", info.message_id, g),
                None => format!("{}@{}", info.message_id, raw_message),
            };
            if !self.seen.insert(&key) {
                continue;
            }
            let held = self.message_versions.get(&info.message_id).copied();
            if let (Some(held), Some(new)) = (held, info.gentime) {
                if new <= held {
                    continue;
                }
            }
            let known = held.is_some();
            self.message_versions
                .insert(&info.message_id, info.gentime.or(held).unwrap_or(i64::MIN));

            let own_by_id = self.sent_ids.contains(&info.message_id);
            if own_by_id && self.me.is_none() {
                self.me = info.from.clone();
            }
            let own = own_by_id || (info.from.is_some() && info.from == self.me);
            // The echo of a message still waiting for its confirm proves it arrived.
            let echoed = self
                .pending
                .iter()
                .find(|(_, p)| {
                    !p.value.edit
                        && matches!(&p.value.event, ClientEvent::MessageUpdated(m)
                            if m.message_id.as_deref() == Some(info.message_id.as_str()))
                })
                .map(|(id, _)| id);
            if let Some(id) = echoed {
                self.succeed(id);
            }

            let chat_id = normalize::chat_of(info);
            let deleted = info.content.as_ref().is_some_and(|c| c.kind == "deleted");
            if deleted {
                let by = info
                    .content
                    .as_ref()
                    .and_then(|c| c.get("actor"))
                    .and_then(str_lenient);
                self.outbox.event(Event::MessageRemoved {
                    chat_id,
                    message_id: info.message_id.clone(),
                    by,
                });
                continue;
            }
            let edited = known || info.edited.as_deref().is_some_and(|e| !e.is_empty());
            let message = normalize::message(info, raw_message, own, edited);
            if edited {
                self.outbox.event(Event::MessageEdited { message });
            } else {
                if let Some(chat) = chat_id {
                    self.reads.touch(&chat);
                    self.last_messages.insert(chat, info.message_id.clone());
                }
                self.outbox.event(Event::MessageReceived { message });
            }
        }
        self.apply_reads(&params.chat_counters);
        self.on_counters(params.badge, raw.get("team_unread"));
    }

    pub(super) fn on_chats(&mut self, params: ChatsChanged, raw: &Value) {
        let raw_chats = raw.get("chats").and_then(Value::as_array);
        for (i, info) in params.chats.iter().enumerate() {
            let mark = self.chats.get(&info.jid).cloned();
            if let (Some(held), Some(new)) = (mark.as_ref().and_then(|m| m.gentime), info.gentime) {
                // Same gentime: a redelivery already reported. Older: stale, must not win.
                if new <= held {
                    continue;
                }
            }
            let created = mark.as_ref().is_none_or(|m| m.removed);
            self.chats.insert(
                &info.jid,
                ChatMark {
                    gentime: info.gentime.or(mark.and_then(|m| m.gentime)),
                    removed: false,
                },
            );
            let raw_chat = raw_chats.and_then(|a| a.get(i)).unwrap_or(&Value::Null);
            let chat = normalize::chat(info, raw_chat);
            self.outbox.event(if created {
                Event::ChatCreated { chat }
            } else {
                Event::ChatUpdated { chat }
            });
            self.apply_read(info);
        }
        self.on_counters(params.badge, raw.get("team_unread"));
    }

    pub(super) fn on_chats_deleted(&mut self, params: ChatsChanged, raw: &Value) {
        for info in &params.chats {
            let mark = self.chats.get(&info.jid).cloned();
            if let (Some(held), Some(new)) = (mark.as_ref().and_then(|m| m.gentime), info.gentime) {
                if new < held {
                    continue;
                }
            }
            if mark.as_ref().is_some_and(|m| m.removed) {
                continue;
            }
            self.chats.insert(
                &info.jid,
                ChatMark {
                    gentime: info.gentime.or(mark.and_then(|m| m.gentime)),
                    removed: true,
                },
            );
            self.reads.remove(&info.jid);
            self.last_messages.remove(&info.jid);
            self.outbox.event(Event::ChatRemoved {
                chat_id: info.jid.clone(),
            });
        }
        self.on_counters(params.badge, raw.get("team_unread"));
    }

    pub(super) fn apply_reads(&mut self, chats: &[crate::tada::server_event::ChatInfo]) {
        for info in chats {
            self.apply_read(info);
        }
    }

    pub(super) fn apply_read(&mut self, info: &crate::tada::server_event::ChatInfo) {
        let removed = self.chats.get(&info.jid).is_some_and(|m| m.removed);
        if removed {
            return;
        }
        if let Some(update) = normalize::read_update(info) {
            if let Some(state) = self.reads.apply(&info.jid, update) {
                self.outbox.event(Event::ReadStateChanged {
                    chat_id: info.jid.clone(),
                    state,
                });
            }
        }
    }

    pub(super) fn on_counters(&mut self, badge: Option<i64>, team_unread: Option<&Value>) {
        let mut changed = false;
        if badge.is_some() && badge != self.badge {
            self.badge = badge;
            changed = true;
        }
        if let Some(t) = team_unread.filter(|t| !t.is_null()) {
            if *t != self.team_unread {
                self.team_unread = t.clone();
                changed = true;
            }
        }
        if changed {
            self.outbox.event(Event::Counters {
                badge: self.badge,
                team_unread: RawJson::from(self.team_unread.clone()),
            });
        }
    }
}
