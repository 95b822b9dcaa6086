//! Incoming: what the server sends (messages, chats, read state, counters, warnings,
//! pass-through events) turned into the app's events, and the catch-up after a reconnect.

use super::*;

impl TadaSession {
    /// Asks for what every known chat received while the socket was down.
    pub(super) fn start_catchup(&mut self) {
        let mut jids: Vec<String> = self.reads.iter().map(|(jid, _)| jid.to_string()).collect();
        jids.extend(self.last_messages.keys().cloned());
        // Chats the server announced, even if nothing was received in them yet.
        jids.extend(
            self.chats
                .iter()
                .filter(|(_, mark)| !mark.removed)
                .map(|(jid, _)| jid.to_string()),
        );
        jids.sort();
        jids.dedup();
        let auth = self.connect_info().headers;
        let fetches = self.catchup.start(&self.config.team, jids, &auth);
        self.queue_fetches(fetches);
        let idle = self.catchup.release_idle();
        self.deliver_held(&idle);
    }

    /// Delivers live messages held while their chat's gap was fetched (their texts, as
    /// received), through the path they skipped.
    pub(super) fn deliver_held(&mut self, texts: &[String]) {
        if texts.is_empty() {
            return;
        }
        let items: Vec<&RawValue> = texts
            .iter()
            .filter_map(|t| serde_json::from_str::<&RawValue>(t).ok())
            .collect();
        let messages = self.decode_messages(&items);
        self.on_messages(None, &[], messages, None, false);
    }

    /// A `server.message.updated` frame read in one pass ([`MessagesFrame`]), the texts of its
    /// messages found by one scan of the frame; `false` (nothing done) when the frame is
    /// anything else, to be read the slower way.
    pub(super) fn on_messages_read(&mut self, frame: &str) -> bool {
        if !ONE_PASS {
            return false;
        }
        let Ok(read) = serde_json::from_str::<MessagesFrame<'_>>(frame) else {
            return false;
        };
        let Some(texts) = message_texts(frame) else {
            return false;
        };
        let p = read.params;
        let decoded = p.messages.unwrap_or_default().into_iter().map(|m| m.0);
        let Some(messages) = with_texts(decoded.collect(), texts) else {
            return false;
        };
        let team_unread = p.team_unread.map(RawValue::get);
        if let Some(t) = team_unread {
            // The text the session last accepted was checked then; anything else is checked
            // now, as the typed event checks it (the slower way reports a bad one).
            if t != self.team_unread_text && check_team_unread(t).is_err() {
                return false;
            }
        }
        if self.link != Link::Down {
            if let Some(cid) = &read.confirm_id.0 {
                self.outbox.control_frame(confirm_frame(cid));
            }
        }
        self.on_messages(p.badge, &p.chat_counters, messages, team_unread, true);
        true
    }

    /// Decodes the messages of `server.message.updated` from their texts, each with its text
    /// and whether that is canonical: one bad message is reported, the others are kept.
    pub(super) fn decode_messages<'t>(
        &mut self,
        items: &[&'t RawValue],
    ) -> Vec<(MessageInfo, &'t str, bool)> {
        let mut decoded = Vec::with_capacity(items.len());
        for &item in items {
            match decode_message(item) {
                Ok(info) => decoded.push((info, item.get(), is_canonical(item.get()))),
                Err(e) => self.protocol_error(
                    item.get(),
                    format!("a message of server.message.updated did not decode: {e}"),
                ),
            }
        }
        decoded
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
            raw: truncate(raw, self.config.limits.max_error_body_bytes as usize),
            reason,
        });
    }

    /// A server event `name` with its params' text; `source` is the frame as decoded (the
    /// frame itself or its canonical re-encoding), `frame` as received.
    pub(super) fn on_event(
        &mut self,
        name: &str,
        params: Option<&RawValue>,
        source: &str,
        frame: &str,
    ) {
        if name == "server.message.updated" {
            // The stream's bulk: its messages are decoded once each, from their text.
            return self.on_messages_frame(params, frame);
        }
        match ServerEvent::decode_text(name, params) {
            Ok(Some(event)) => self.dispatch(event, params.unwrap_or(RawValue::NULL)),
            Ok(None) => self.outbox.event(Event::Unknown {
                name: Some(name.to_string()),
                raw: raw_text(source),
            }),
            Err(reason) => self.protocol_error(frame, reason),
        }
    }

    fn on_messages_frame(&mut self, params: Option<&RawValue>, frame: &str) {
        const NAME: &str = "server.message.updated";
        let text = match params.map(RawValue::get) {
            None | Some("null") => "{}",
            Some(t) if t.starts_with('{') => t,
            Some(other) => {
                return self
                    .protocol_error(frame, format!("{NAME}: params is not an object: {other}"))
            }
        };
        let mut scratch = String::new();
        let p = match crate::json::strict_or_lenient::<MessagesUpdatedText<'_>>(text, &mut scratch)
        {
            Ok((p, _)) => p,
            Err(e) => return self.protocol_error(frame, format!("{NAME}: {e}")),
        };
        if let Some(t) = p.team_unread {
            // Checked as the typed event checks it: counters of the wrong shape fail the event.
            if let Err(e) = check_team_unread(t.get()) {
                return self.protocol_error(frame, format!("{NAME}: team_unread: {e}"));
            }
        }
        let messages = self.decode_messages(p.messages.as_deref().unwrap_or_default());
        let team_unread = p.team_unread.map(RawValue::get);
        self.on_messages(p.badge, &p.chat_counters, messages, team_unread, true);
    }

    pub(super) fn dispatch(&mut self, event: ServerEvent, params: &RawValue) {
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
            ServerEvent::MessageUpdated(m) => {
                // Only when decoded elsewhere than `on_event` (which reads these from the text).
                let items: Vec<Box<RawValue>> = m
                    .messages
                    .iter()
                    .filter_map(|i| serde_json::value::to_raw_value(i).ok())
                    .collect();
                let items: Vec<&RawValue> = items.iter().map(|b| &**b).collect();
                let messages = self.decode_messages(&items);
                let mut scratch = String::new();
                let team = chats_text(params, &mut scratch).and_then(|c| c.team_unread);
                self.on_messages(
                    m.badge,
                    &m.chat_counters,
                    messages,
                    team.map(RawValue::get),
                    true,
                )
            }
            ServerEvent::ChatUpdated(c) => self.on_chats(c, params),
            ServerEvent::ChatLastread(c) => {
                self.apply_reads(&c.chats);
                let mut scratch = String::new();
                let team = chats_text(params, &mut scratch).and_then(|c| c.team_unread);
                self.on_counters(c.badge, team.map(RawValue::get));
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
    pub(super) fn pass_through(&mut self, name: &str, params: &RawValue) {
        self.outbox.event(Event::Tada {
            name: name.to_string(),
            params: RawJson::from_raw(params),
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

    pub(super) fn on_messages(
        &mut self,
        badge: Option<i64>,
        chat_counters: &[crate::tada::server_event::ChatInfo],
        // Each decoded, with its text and whether that is canonical.
        messages: Vec<(MessageInfo, &str, bool)>,
        team_unread: Option<&str>,
        // From the socket (held while their chat's gap is fetched), not from the history.
        live: bool,
    ) {
        for (info, raw_message, canonical) in messages {
            if live && normalize::chat_of(&info).is_some_and(|c| self.catchup.hold(c, raw_message))
            {
                // Its chat's gap is still being fetched: delivered after it, in order.
                continue;
            }
            if let Some(g) = info.gentime {
                self.catchup.saw(g);
            }
            let fresh = self.seen.insert_built(|key| {
                key.push_str(&info.message_id);
                key.push('@');
                match info.gentime {
                    Some(g) => key.push_str(itoa::Buffer::new().format(g)),
                    None => key.push_str(raw_message),
                }
            });
            if !fresh {
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
            let echoed = self.echoed(&info.message_id);
            if let Some(id) = echoed {
                self.succeed(id);
            }

            let deleted = info.content.as_ref().is_some_and(|c| c.kind == "deleted");
            if deleted {
                let by = info
                    .content
                    .as_ref()
                    .and_then(|c| c.get("actor"))
                    .and_then(str_lenient);
                self.outbox.event(Event::MessageRemoved {
                    chat_id: normalize::chat_of(&info).map(str::to_string),
                    message_id: info.message_id,
                    by,
                });
                continue;
            }
            let edited = known || info.edited.as_deref().is_some_and(|e| !e.is_empty());
            let raw = RawJson::from_span(raw_message, canonical);
            let message = normalize::message(info, raw, own, edited);
            if edited {
                self.outbox.event(Event::MessageEdited { message });
            } else {
                if let Some(chat) = &message.chat_id {
                    self.reads.touch(chat);
                    // In place when the chat has one: no key copied, no entry made, per message.
                    match self.last_messages.get_mut(chat.as_str()) {
                        Some(last) => last.clone_from(&message.id),
                        None => {
                            self.last_messages.insert(chat.clone(), message.id.clone());
                        }
                    }
                }
                self.outbox.event(Event::MessageReceived { message });
            }
        }
        self.apply_reads(chat_counters);
        self.on_counters(badge, team_unread);
    }

    pub(super) fn on_chats(&mut self, params: ChatsChanged, raw: &RawValue) {
        let mut scratch = String::new();
        let parts = chats_text(raw, &mut scratch);
        let raw_chats = parts.as_ref().and_then(|p| p.chats.as_deref());
        for (i, info) in params.chats.iter().enumerate() {
            if let Some(g) = info.gentime {
                self.catchup.seed(g);
            }
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
            let raw_chat = raw_chats
                .and_then(|a| a.get(i).copied())
                .unwrap_or(RawValue::NULL);
            let chat = normalize::chat(info, raw_chat);
            self.outbox.event(if created {
                Event::ChatCreated { chat }
            } else {
                Event::ChatUpdated { chat }
            });
            self.apply_read(info);
        }
        let team = parts.and_then(|p| p.team_unread);
        self.on_counters(params.badge, team.map(RawValue::get));
    }

    pub(super) fn on_chats_deleted(&mut self, params: ChatsChanged, raw: &RawValue) {
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
        let mut scratch = String::new();
        let team = chats_text(raw, &mut scratch).and_then(|c| c.team_unread);
        self.on_counters(params.badge, team.map(RawValue::get));
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

    /// The badge and the team counters (their text, as sent) a server event carried.
    pub(super) fn on_counters(&mut self, badge: Option<i64>, team_unread: Option<&str>) {
        let mut changed = false;
        if badge.is_some() && badge != self.badge {
            self.badge = badge;
            changed = true;
        }
        let text = team_unread.filter(|t| *t != self.team_unread_text);
        let tree = text.and_then(|t| serde_json::from_str::<Value>(t).ok());
        if let (Some(text), Some(t)) = (text, tree.filter(|t| !t.is_null())) {
            if t != self.team_unread {
                self.team_unread = t;
                changed = true;
            }
            self.team_unread_text.clear();
            self.team_unread_text.push_str(text);
        }
        if changed {
            self.outbox.event(Event::Counters {
                badge: self.badge,
                team_unread: RawJson::from(self.team_unread.clone()),
            });
        }
    }
}

/// One message object of `server.message.updated`, from its text (a repeated field decodes as
/// a tree keeps it: its last value).
fn decode_message(item: &RawValue) -> Result<crate::tada::MessageInfo, serde_json::Error> {
    crate::json::or_canonical(item.get(), |t| serde_json::from_str(t))
}

/// Checks the text of `team_unread` as the typed chat events read it: strictly, else as its
/// canonical text (a repeated key keeps its last value), so every text the session keeps has
/// passed this check and a message frame never refuses what a chat event accepted.
fn check_team_unread(text: &str) -> Result<(), serde_json::Error> {
    crate::json::or_canonical(text, |t| serde_json::from_str::<TeamUnread>(t)).map(drop)
}

/// The texts of the messages of a `server.message.updated` frame serde_json has accepted, each
/// with whether it is canonical, found by one scan of the frame.
fn message_texts(frame: &str) -> Option<Vec<(&str, bool)>> {
    let mut top = Members::of(frame)?;
    while top.next_key()? != "params" {}
    let mut params = top.into_object()?;
    while let Some(key) = params.next_key() {
        if key == "messages" {
            // `null` (no messages) is no array.
            return Some(params.items().unwrap_or_default());
        }
    }
    Some(Vec::new())
}

/// The chats and counters of a chat event's params, as sent.
fn chats_text<'a>(params: &'a RawValue, scratch: &'a mut String) -> Option<ChatsText<'a>> {
    crate::json::strict_or_lenient::<LenientObj<ChatsText<'a>>>(params.get(), scratch)
        .ok()
        .and_then(|(p, _)| p.0)
}
