//! What the server sends: answers to requests (`auth` among them), notifications and the
//! messages, chats and read state they bring.

use super::*;

impl TrueConfSession {
    pub(super) fn protocol_error(&mut self, raw: &str, reason: String) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, self.config.limits.max_error_body_bytes as usize),
            reason,
        });
    }

    pub(super) fn read_changed(&mut self, chat_id: &str, state: Option<ReadState>) {
        if let Some(state) = state {
            self.outbox.event(Event::ReadStateChanged {
                chat_id: chat_id.to_string(),
                state,
            });
        }
    }

    fn learn_chat(&mut self, chat: &Chat) {
        if chat.unread.is_some() {
            let update = ReadUpdate {
                unread: chat.unread,
                ..Default::default()
            };
            let changed = self.reads.apply(&chat.id, update);
            self.read_changed(&chat.id, changed);
        }
        self.reads.touch(&chat.id);
        self.chats.insert(chat.id.clone(), chat.clone());
    }

    /// The typed error for a response's `errorCode`, if it carries one; an expired token is also
    /// announced, so the host fetches a new one whichever request hit it.
    fn server_error(&mut self, payload: &Value) -> Option<Error> {
        let code = ErrorCode::from(wire::error_code(payload)?);
        if code == ErrorCode::TokenExpired {
            self.outbox.event(Event::TokenExpired);
        }
        Some(Error::TrueConf { code })
    }

    pub(super) fn on_response(&mut self, now: Timestamp, id: u32, payload: Value, raw: &str) {
        let id = RequestId(id);
        if self.phase == Phase::Authenticating(id) {
            self.pending.remove(id);
            return self.on_auth(payload);
        }
        let Some(pending) = self.pending.remove(id) else {
            return self.protocol_error(
                raw,
                format!("response to request {id}, which is not pending (late or duplicate)"),
            );
        };
        self.waiting.retain(|w| *w != id);
        let request = pending.value;
        if wire::error_code(&payload) == Some(ErrorCode::TokenExpired.code()) {
            // Refused for the token alone, so it did not run: it waits for the new token and
            // goes out again after the re-`auth`, instead of failing back to the app.
            if self
                .pending
                .insert_with_id(id, pending.deadline, request)
                .is_ok()
            {
                self.refused.push(id);
                if !self.token_stale {
                    self.token_stale = true;
                    self.outbox.event(Event::TokenExpired);
                }
                return;
            }
            return self.respond(
                id,
                Err(Error::TrueConf {
                    code: ErrorCode::TokenExpired,
                }),
            );
        }
        if let Some(error) = self.server_error(&payload) {
            return self.respond(id, Err(error));
        }
        let mut skipped = Vec::new();
        let reply = request.decode_reply(&payload, self.user_id.as_deref(), &mut skipped);
        for item in skipped {
            self.protocol_error(
                &item.to_string(),
                format!(
                    "an entry of the {} answer did not decode and is not in its reply",
                    request.method()
                ),
            );
        }
        match (&reply, &request) {
            (Ok(Reply::UploadTask { upload_task_id }), _) => {
                if let Some(plan) = self.uploads.remove(&id) {
                    let caller = self.relay.remove(&id).unwrap_or(id);
                    return self.start_upload(caller, plan, upload_task_id.clone());
                }
            }
            (Ok(Reply::FileInfo { info }), _) => {
                if let Some(plan) = self.downloads.remove(&id) {
                    let caller = self.relay.remove(&id).unwrap_or(id);
                    return self.start_download(now, caller, plan, info.clone());
                }
            }
            (Ok(Reply::ChatChanged { chat_id, .. }), Request::EditChatTitle { title, .. }) => {
                // Our own rename comes back as no notification: keep the chat's title current
                // for the `ChatUpdated` events that follow.
                let chat = self.chat_entry(chat_id);
                chat.title = Some(title.clone());
            }
            _ => {}
        }
        match &reply {
            Ok(Reply::Chats { chats }) => chats.iter().for_each(|c| self.learn_chat(c)),
            Ok(Reply::Chat { chat }) => self.learn_chat(chat),
            Ok(Reply::MessageSent { message_id, .. }) => {
                // If the server echoes our own message back as a notification, it is not new.
                self.seen.insert_joined("msg:", message_id);
            }
            _ => {}
        }
        self.respond(id, reply);
    }

    fn on_auth(&mut self, payload: Value) {
        if let Some(error) = self.server_error(&payload) {
            self.phase = Phase::AuthFailed;
            let reason = error.to_string();
            self.outbox.event(Event::AuthFailed { error });
            for id in self.take_held() {
                if self.pending.remove(id).is_some() {
                    let e = Error::AuthFailed {
                        reason: reason.clone(),
                    };
                    self.respond(id, Err(e));
                }
            }
            self.outbox
                .control_frame_close(format!("authentication refused: {reason}"));
            return;
        }
        let user_id = crate::json::field_str(&payload, "userId");
        if user_id.is_some() {
            self.user_id = user_id.clone();
        }
        self.phase = Phase::Ready;
        self.token_stale = false;
        self.outbox.event(Event::Connected {
            user_id,
            connection_id: crate::json::field_str(&payload, "connectionId"),
        });
        for id in self.take_held() {
            self.send_pending(id);
        }
    }

    /// What waits for an `auth`, in the order it goes out: what the old token got refused
    /// (issued first), what was issued while it was stale, what waited for the connection.
    fn take_held(&mut self) -> Vec<RequestId> {
        let mut held = std::mem::take(&mut self.refused);
        held.append(&mut self.issued_stale);
        held.extend(std::mem::take(&mut self.waiting));
        held
    }

    pub(super) fn on_notification(
        &mut self,
        now: Timestamp,
        method: &str,
        payload: Payload<'_>,
        frame: &str,
        text: &str,
    ) {
        let me = self.user_id.as_deref();
        // What follows reads the payload's text only for chat changes, never for a message
        // read with its frame (whose own `raw` it carries).
        let raw = match &payload {
            Payload::Text(raw) => raw.unwrap_or(RawValue::NULL),
            Payload::Envelope { .. } => RawValue::NULL,
        };
        let decoded = notification::decode_payload(method, payload, me);
        let decoded = match decoded {
            Ok(n) => n,
            Err(reason) => return self.protocol_error(text, reason),
        };
        match decoded {
            Notification::ChatCreated(chat) => {
                if !self.seen.insert_joined("chat:", &chat.id) && self.chats.contains_key(&chat.id)
                {
                    return;
                }
                self.learn_chat(&chat);
                self.outbox.event(Event::ChatCreated { chat });
            }
            Notification::TitleChanged { chat_id, title } => {
                let chat = self.update_chat(&chat_id, raw, |c| c.title = title.clone());
                self.outbox.event(Event::ChatUpdated { chat });
            }
            Notification::AvatarChanged {
                chat_id,
                avatar_url,
            } => {
                let chat = self.update_chat(&chat_id, raw, |c| c.avatar_url = avatar_url.clone());
                self.outbox.event(Event::ChatUpdated { chat });
            }
            Notification::ChatRemoved { chat_id } => {
                self.chats.remove(&chat_id);
                self.reads.remove(&chat_id);
                self.outbox.event(Event::ChatRemoved { chat_id });
            }
            Notification::Event(event) => {
                if let Event::FileProgress { file_id, progress } = &event {
                    let (file_id, progress) = (file_id.clone(), *progress);
                    self.outbox.event(event);
                    return self.on_file_progress(now, &file_id, progress);
                }
                self.outbox.event(event)
            }
            Notification::MessageReceived(message) => self.on_message(message),
            Notification::MessageEdited(message) => {
                let key = format!(
                    "edit:{}:{}",
                    message.id,
                    message.timestamp_ms.unwrap_or_default()
                );
                if self.seen.insert(&key) {
                    self.outbox.event(Event::MessageEdited { message });
                }
            }
            Notification::MessageRemoved {
                chat_id,
                message_id,
                by,
            } => {
                if self.seen.insert_joined("rm:", &message_id) {
                    self.outbox.event(Event::MessageRemoved {
                        chat_id,
                        message_id,
                        by,
                    });
                }
            }
            Notification::Unknown => self.outbox.event(Event::Unknown {
                name: Some(method.to_string()),
                raw: serde_json::from_str::<&RawValue>(frame)
                    .map(RawJson::from_raw)
                    .unwrap_or_default(),
            }),
        }
    }

    fn on_message(&mut self, message: Message) {
        if !self.seen.insert_joined("msg:", &message.id) {
            return;
        }
        if let Some(chat_id) = message.chat_id.as_deref() {
            if let Some(chat) = self.chats.get_mut(chat_id) {
                chat.last_message = Some(Box::new(message.clone()));
            }
            if !message.own {
                // The message counts as unread until acknowledged, and the ack (already queued,
                // per the protocol) marks it read: one update to the resulting state (the count
                // as it was, this message the last read), reported once if it changed.
                let unread = self.reads.get(chat_id).and_then(|s| s.unread).unwrap_or(0);
                let update = ReadUpdate {
                    unread: Some(unread),
                    last_read_message_id: Some(message.id.clone()),
                    ..Default::default()
                };
                let changed = self.reads.apply(chat_id, update);
                self.read_changed(chat_id, changed);
            }
        }
        self.outbox.event(Event::MessageReceived { message });
    }

    fn chat_entry(&mut self, chat_id: &str) -> &mut Chat {
        self.chats.get_or_insert_with(chat_id.to_string(), || Chat {
            id: chat_id.to_string(),
            title: None,
            kind: ChatKind::Other(String::new()),
            unread: None,
            last_message: None,
            avatar_url: None,
            raw: RawJson::from(Value::Null),
        })
    }

    fn update_chat(
        &mut self,
        chat_id: &str,
        payload: &RawValue,
        change: impl FnOnce(&mut Chat),
    ) -> Chat {
        let chat = self.chat_entry(chat_id);
        change(chat);
        let mut out = chat.clone();
        out.raw = RawJson::from_raw(payload);
        out
    }
}
