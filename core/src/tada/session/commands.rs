//! Commands: what the app asks a tada session to send (messages, edits, deletions, reads,
//! calls, typing), each queued as a client event with its confirm id.

use super::*;

impl TadaSession {
    /// Sends any client event: with a `confirm_id` (returning its id) if it is one of the
    /// confirmed kinds, else once and unconfirmed (returning `None`).
    ///
    /// The typed commands below are shorthands for this. A `client.message.updated` without a
    /// `message_id` gets a fresh UUID; a `client.confirm` is refused (the session sends those).
    pub fn send(&mut self, now: Timestamp, event: ClientEvent) -> Result<Option<RequestId>, Error> {
        match event {
            ClientEvent::Confirm(_) => Err(Error::InvalidArgument {
                reason: "client.confirm is sent by the session itself".to_string(),
            }),
            ClientEvent::MessageUpdated(m) => self.send_message(now, m).map(Some),
            ClientEvent::ChatLastread(l) => self
                .mark_chat_read(now, &l.jid, l.last_read_message_id.as_deref())
                .map(Some),
            ClientEvent::MessageDeleted(d) => self.delete_message(now, &d.message_id).map(Some),
            ClientEvent::Ping => self.ping(now).map(Some),
            other => self.fire(other).map(|()| None),
        }
    }

    /// `client.message.updated`: sends a new message. Returns the request id; the answer is
    /// [`Event::Delivered`] then [`Event::Response`] with [`Reply::MessageSent`], or an error.
    ///
    /// May be called while disconnected: the message goes out on the next connection.
    pub fn send_message(
        &mut self,
        now: Timestamp,
        message: SendMessage,
    ) -> Result<RequestId, Error> {
        self.submit_message(now, message, false)
    }

    /// `client.message.updated` for an existing `message_id`: replaces its content.
    pub fn edit_message(
        &mut self,
        now: Timestamp,
        to: &str,
        message_id: &str,
        content: MessageContent,
    ) -> Result<RequestId, Error> {
        require("message_id", message_id)?;
        let mut message = SendMessage::new(to, content);
        message.message_id = Some(message_id.to_string());
        self.submit_message(now, message, true)
    }

    pub(super) fn submit_message(
        &mut self,
        now: Timestamp,
        mut message: SendMessage,
        edit: bool,
    ) -> Result<RequestId, Error> {
        require("to", &message.to)?;
        require("content.type", &message.content.kind)?;
        if message.message_id.as_deref().is_some_and(str::is_empty) {
            return Err(Error::InvalidArgument {
                reason: "message_id is empty".to_string(),
            });
        }
        let message_id = match &message.message_id {
            Some(id) => id.clone(),
            None => self.rng.uuid_v4(),
        };
        message.message_id = Some(message_id.clone());
        let id = self.submit(now, ClientEvent::MessageUpdated(message), false, edit)?;
        self.sent_ids.insert(&message_id);
        Ok(id)
    }

    /// `client.message.deleted`: deletes a message.
    pub fn delete_message(&mut self, now: Timestamp, message_id: &str) -> Result<RequestId, Error> {
        require("message_id", message_id)?;
        let event = ClientEvent::MessageDeleted(MessageDeleted {
            message_id: message_id.to_string(),
        });
        self.submit(now, event, false, false)
    }

    /// `client.chat.lastread`: moves the read marker of `jid` to `last_read_message_id` (`None`:
    /// the chat's last message).
    ///
    /// The local read state changes at once (marker moved; unread counts zeroed when the marker
    /// is the newest message known) and a [`Event::ReadStateChanged`] says so; the server's
    /// `server.chat.lastread` then confirms or corrects it. If the server refuses the event, the
    /// change is undone (unless a server update replaced it meanwhile).
    pub fn mark_chat_read(
        &mut self,
        now: Timestamp,
        jid: &str,
        last_read_message_id: Option<&str>,
    ) -> Result<RequestId, Error> {
        require("jid", jid)?;
        if last_read_message_id.is_some_and(str::is_empty) {
            return Err(Error::InvalidArgument {
                reason: "last_read_message_id is empty".to_string(),
            });
        }
        let event = ClientEvent::ChatLastread(ChatLastread {
            jid: jid.to_string(),
            last_read_message_id: last_read_message_id.map(str::to_string),
        });
        let id = self.submit(now, event, false, false)?;
        let before = self.reads.get(jid).cloned().unwrap_or_default();
        let to_end = match last_read_message_id {
            None => true,
            Some(m) => self.last_messages.get(jid).map(String::as_str) == Some(m),
        };
        let update = ReadUpdate {
            unread: to_end.then_some(0),
            unread_notices: to_end.then_some(0),
            last_read_message_id: last_read_message_id
                .map(str::to_string)
                .or_else(|| self.last_messages.get(jid).cloned()),
            ..ReadUpdate::default()
        };
        if let Some(after) = self.reads.apply(jid, update) {
            if let Some(p) = self.pending.get_mut(id) {
                p.value.rollback = Some(Rollback {
                    chat: jid.to_string(),
                    before,
                    after: after.clone(),
                });
            }
            self.outbox.event(Event::ReadStateChanged {
                chat_id: jid.to_string(),
                state: after,
            });
        }
        Ok(id)
    }

    /// `client.ping` on behalf of the app: [`Reply::Empty`] when confirmed; unconfirmed within
    /// `ping_deadline`, [`Error::Timeout`] and the connection is judged dead.
    pub fn ping(&mut self, now: Timestamp) -> Result<RequestId, Error> {
        self.submit(now, ClientEvent::Ping, false, false)
    }

    /// `client.activity`: away-from-keyboard status.
    pub fn activity(&mut self, _now: Timestamp, afk: bool) -> Result<(), Error> {
        self.fire(ClientEvent::Activity(Activity { afk }))
    }

    /// `client.call.buzzcancel`: stop ringing in `jid`.
    pub fn call_buzzcancel(&mut self, _now: Timestamp, jid: &str) -> Result<(), Error> {
        require("jid", jid)?;
        self.fire(ClientEvent::CallBuzzcancel(CallJid {
            jid: jid.to_string(),
        }))
    }

    /// `client.call.leave`: leave the call in `jid`.
    pub fn call_leave(
        &mut self,
        _now: Timestamp,
        jid: &str,
        reason: Option<&str>,
    ) -> Result<(), Error> {
        require("jid", jid)?;
        self.fire(ClientEvent::CallLeave(CallReason {
            jid: jid.to_string(),
            reason: reason.map(str::to_string),
        }))
    }

    /// `client.call.muteall`: mute every other participant of the call in `jid`.
    pub fn call_muteall(&mut self, _now: Timestamp, jid: &str) -> Result<(), Error> {
        require("jid", jid)?;
        self.fire(ClientEvent::CallMuteall(CallJid {
            jid: jid.to_string(),
        }))
    }

    /// `client.call.offer`: start or join a call.
    pub fn call_offer(&mut self, _now: Timestamp, offer: CallOffer) -> Result<(), Error> {
        require("jid", &offer.jid)?;
        self.fire(ClientEvent::CallOffer(offer))
    }

    /// `client.call.reject`: decline the call in `jid`.
    pub fn call_reject(
        &mut self,
        _now: Timestamp,
        jid: &str,
        reason: Option<&str>,
    ) -> Result<(), Error> {
        require("jid", jid)?;
        self.fire(ClientEvent::CallReject(CallReason {
            jid: jid.to_string(),
            reason: reason.map(str::to_string),
        }))
    }

    /// `client.call.sdp`: the local session description changed.
    pub fn call_sdp(&mut self, _now: Timestamp, sdp: CallSdp) -> Result<(), Error> {
        require("jid", &sdp.jid)?;
        self.fire(ClientEvent::CallSdp(sdp))
    }

    /// `client.call.sound`: mute or unmute this client in the call in `jid`.
    pub fn call_sound(&mut self, _now: Timestamp, jid: &str, muted: bool) -> Result<(), Error> {
        require("jid", jid)?;
        self.fire(ClientEvent::CallSound(CallSound {
            jid: jid.to_string(),
            muted,
        }))
    }

    /// `client.call.trickle`: one ICE candidate.
    pub fn call_trickle(&mut self, _now: Timestamp, trickle: CallTrickle) -> Result<(), Error> {
        require("jid", &trickle.jid)?;
        self.fire(ClientEvent::CallTrickle(trickle))
    }

    /// `client.chat.composing`: typing (or recording, `is_audio`) in `jid` started or stopped.
    pub fn composing(&mut self, _now: Timestamp, composing: ChatComposing) -> Result<(), Error> {
        require("jid", &composing.jid)?;
        self.fire(ClientEvent::ChatComposing(composing))
    }

    // ---- internals: sending ----

    /// Sends a transient event once; it needs an open connection.
    pub(super) fn fire(&mut self, event: ClientEvent) -> Result<(), Error> {
        if self.link != Link::Up {
            return Err(Error::NotConnected);
        }
        self.outbox.frame(event.encode(None))
    }

    /// Registers an event that waits for `server.confirm`, and sends it if connected.
    pub(super) fn submit(
        &mut self,
        now: Timestamp,
        event: ClientEvent,
        keepalive: bool,
        edit: bool,
    ) -> Result<RequestId, Error> {
        let is_ping = matches!(event, ClientEvent::Ping);
        if is_ping && self.link != Link::Up {
            return Err(Error::NotConnected);
        }
        if self.link == Link::Up {
            self.outbox.check_room()?;
        }
        let confirm_id = self.fresh_confirm_id();
        self.seq += 1;
        let expires = now.add(self.config.offline_timeout);
        let id = self.pending.insert(
            expires,
            Outgoing {
                event,
                confirm_id: confirm_id.clone(),
                attempts: 0,
                seq: self.seq,
                keepalive,
                edit,
                rollback: None,
                expires: Some(expires),
            },
        )?;
        self.index_pending(id, confirm_id);
        if self.link == Link::Up {
            self.transmit(now, id);
        }
        Ok(id)
    }

    pub(super) fn fresh_confirm_id(&mut self) -> String {
        // 62^12 ids make a collision with the few in flight practically impossible; the check
        // only guards against a host reusing a seed across a restored snapshot.
        let mut id = self.rng.alphanumeric(12);
        for _ in 0..8 {
            if !self.by_confirm.contains_key(&id) && !self.resolved.contains(&id) {
                break;
            }
            id = self.rng.alphanumeric(12);
        }
        id
    }
}
