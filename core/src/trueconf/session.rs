//! The TrueConf session state machine.

use super::config::{TrueConfConfig, SUBPROTOCOL, WEBSOCKET_PATH};
use super::notification::{self, Notification};
use super::request::Request;
use super::wire::{self, Frame};
use super::ErrorCode;
use crate::dedupe::SeenSet;
use crate::error::Error;
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::json::{id_lenient, int_lenient, truncate};
use crate::model::{Chat, ChatKind, Message, Role};
use crate::outbox::Outbox;
use crate::pending::PendingTable;
use crate::raw::RawJson;
use crate::read_state::{ReadState, ReadStates, ReadUpdate};
use crate::secret::Secret;
use crate::session::Session as SessionTrait;
use crate::time::Timestamp;
use crate::transmit::{ConnectInfo, HttpResponse, Transmit};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// Longest raw text kept in a [`Event::ProtocolError`].
const MAX_RAW_IN_ERROR: usize = 64 * 1024;

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No connection; requests wait for one.
    Disconnected,
    /// The host was asked to connect.
    Connecting,
    /// `auth` is in flight: nothing else may be sent yet.
    Authenticating(RequestId),
    /// Authenticated: requests go out at once.
    Ready,
    /// Authentication was refused: nothing goes out until new credentials and a new connection.
    AuthFailed,
}

/// State that outlives the process: restore it to resume without replays or lost read markers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrueConfSnapshot {
    /// Read state per chat.
    pub reads: ReadStates,
    /// Keys of recently delivered incoming events, so redeliveries after a restart are dropped.
    pub seen: SeenSet,
    /// This bot's user id from the last authentication.
    pub user_id: Option<String>,
}

/// A TrueConf Chatbot API session: sans-IO, one WebSocket connection at a time.
///
/// Requests made before authentication completes wait and go out, in order, right after it.
/// Every server notification is acknowledged before the app hears of it.
#[derive(Debug)]
pub struct TrueConfSession {
    config: TrueConfConfig,
    phase: Phase,
    pending: PendingTable<Request>,
    waiting: VecDeque<RequestId>,
    outbox: Outbox,
    reads: ReadStates,
    seen: SeenSet,
    chats: BTreeMap<String, Chat>,
    user_id: Option<String>,
}

impl TrueConfSession {
    /// A disconnected session; call [`TrueConfSession::connect`] (or open the socket and call
    /// `handle_connected`).
    pub fn new(config: TrueConfConfig) -> Self {
        Self::restore(config, TrueConfSnapshot::default())
    }

    /// A disconnected session resuming from `snapshot`.
    pub fn restore(config: TrueConfConfig, snapshot: TrueConfSnapshot) -> Self {
        let limits = &config.limits;
        let seen = snapshot.seen.or_new(limits.dedupe_window as usize);
        TrueConfSession {
            phase: Phase::Disconnected,
            // One slot more than requests may take: `auth` must always fit, or a full table would
            // keep the connection from ever authenticating.
            pending: PendingTable::new(limits.max_pending_requests as usize + 1),
            waiting: VecDeque::new(),
            outbox: Outbox::new(limits.max_queued as usize),
            reads: snapshot.reads,
            seen,
            chats: BTreeMap::new(),
            user_id: snapshot.user_id,
            config,
        }
    }

    /// Like [`TrueConfSession::new`] with request ids starting at `first` (tests exercise the wrap).
    pub fn with_first_request_id(config: TrueConfConfig, first: u32) -> Self {
        let mut s = Self::new(config);
        s.pending = PendingTable::with_counter(
            s.config.limits.max_pending_requests as usize + 1,
            crate::ids::IdCounter::starting_at(first),
        );
        s
    }

    /// The state to persist.
    pub fn snapshot(&self) -> TrueConfSnapshot {
        TrueConfSnapshot {
            reads: self.reads.clone(),
            seen: self.seen.clone(),
            user_id: self.user_id.clone(),
        }
    }

    /// How to open the WebSocket: path `/websocket/chat_bot/`, subprotocol `json.v1`.
    pub fn connect_info(&self) -> ConnectInfo {
        ConnectInfo {
            path: WEBSOCKET_PATH.to_string(),
            headers: Vec::new(),
            subprotocols: vec![SUBPROTOCOL.to_string()],
            auth: crate::transmit::ConnectAuth::FirstFrame,
        }
    }

    /// Asks the host to open the connection ([`Transmit::Connect`]). On a connection that is
    /// open or opening, that one is given up first: its requests resolve as on a disconnect (no
    /// [`Event::Disconnected`]: the app asked for this), and the host replaces the socket.
    pub fn connect(&mut self, _now: Timestamp) -> Result<(), Error> {
        if matches!(
            self.phase,
            Phase::Connecting | Phase::Authenticating(_) | Phase::Ready
        ) {
            self.cut_off();
        }
        self.outbox
            .transmit(Transmit::Connect(self.connect_info()))?;
        self.phase = Phase::Connecting;
        Ok(())
    }

    /// Forgets the current connection: unsent frames are dropped, and every pending request
    /// resolves with [`Error::Disconnected`] saying whether it may have arrived.
    fn cut_off(&mut self) {
        // Frames the host never took did not leave: their requests stay unsent (a request is
        // marked sent only when polled), so they resolve as `NotSent` below.
        self.outbox.take_transmits();
        self.waiting.clear();
        for (id, pending, error) in self.pending.take_all_disconnected() {
            if matches!(pending.value, Request::Auth { .. }) {
                continue;
            }
            self.respond(id, Err(error));
        }
    }

    /// Replaces the token (after errorCode 203); it is used at the next connection.
    pub fn set_token(&mut self, token: impl Into<Secret>) {
        self.config.token = token.into();
        if self.phase == Phase::AuthFailed {
            self.phase = Phase::Disconnected;
        }
    }

    /// This bot's user id, once authenticated.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Whether authenticated and sending.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// The read state of `chat_id`, if known.
    pub fn read_state(&self, chat_id: &str) -> Option<&ReadState> {
        self.reads.get(chat_id)
    }

    /// The request behind a pending id (the façade uses it to tell writes from reads).
    pub fn pending_request(&self, id: RequestId) -> Option<&Request> {
        self.pending.get(id).map(|p| &p.value)
    }

    /// Queues any request; it goes out at once when authenticated, else right after `auth`.
    pub fn request(&mut self, now: Timestamp, request: Request) -> Result<RequestId, Error> {
        request.validate()?;
        if self.phase == Phase::AuthFailed {
            return Err(Error::AuthFailed {
                reason: "authentication was refused; set a new token and reconnect".into(),
            });
        }
        if !self.outbox.has_room() {
            return Err(Error::QueueFull {
                limit: self.config.limits.max_queued as u64,
            });
        }
        let limit = self.config.limits.max_pending_requests;
        if self.pending.len() >= limit as usize {
            return Err(Error::TooManyPending {
                limit: limit as u64,
            });
        }
        let deadline = now.add(self.config.limits.request_timeout);
        let id = self.pending.insert(deadline, request)?;
        if self.phase == Phase::Ready {
            self.send_pending(id);
        } else {
            self.waiting.push_back(id);
        }
        Ok(id)
    }

    /// `createP2PChat`.
    pub fn create_p2p_chat(&mut self, now: Timestamp, user_id: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateP2pChat {
                user_id: user_id.into(),
            },
        )
    }

    /// `createGroupChat`.
    pub fn create_group_chat(&mut self, now: Timestamp, title: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateGroupChat {
                title: title.into(),
            },
        )
    }

    /// `createChannel`.
    pub fn create_channel(&mut self, now: Timestamp, title: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::CreateChannel {
                title: title.into(),
            },
        )
    }

    /// `createFavoritesChat`.
    pub fn create_favorites_chat(&mut self, now: Timestamp) -> Result<RequestId, Error> {
        self.request(now, Request::CreateFavoritesChat)
    }

    /// `addChatParticipant`.
    pub fn add_chat_participant(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        display_history: Option<bool>,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::AddChatParticipant {
                chat_id,
                user_id,
                display_history,
            },
        )
    }

    /// `removeChatParticipant`.
    pub fn remove_chat_participant(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        clear_history: Option<bool>,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::RemoveChatParticipant {
                chat_id,
                user_id,
                clear_history,
            },
        )
    }

    /// `changeParticipantRole`.
    pub fn change_participant_role(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<RequestId, Error> {
        let (chat_id, user_id) = (chat_id.into(), user_id.into());
        self.request(
            now,
            Request::ChangeParticipantRole {
                chat_id,
                user_id,
                role,
            },
        )
    }

    /// `getChats` (page from 1).
    pub fn get_chats(&mut self, now: Timestamp, count: u32, page: u32) -> Result<RequestId, Error> {
        self.request(now, Request::GetChats { count, page })
    }

    /// `getChatByID`.
    pub fn get_chat(&mut self, now: Timestamp, chat_id: &str) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::GetChatById {
                chat_id: chat_id.into(),
            },
        )
    }

    /// `sendMessage` with a parse mode and an optional reply.
    pub fn send_message(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        parse_mode: Option<&str>,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.request(
            now,
            Request::SendMessage {
                chat_id: chat_id.into(),
                text: text.into(),
                parse_mode: parse_mode.map(str::to_string),
                reply_message_id: reply_to.map(str::to_string),
            },
        )
    }

    /// `getChatHistory`.
    pub fn get_chat_history(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        count: u32,
        from_message_id: Option<&str>,
    ) -> Result<RequestId, Error> {
        let from_message_id = from_message_id.map(str::to_string);
        self.request(
            now,
            Request::GetChatHistory {
                chat_id: chat_id.into(),
                count,
                from_message_id,
            },
        )
    }

    fn send_pending(&mut self, id: RequestId) {
        let Some(p) = self.pending.get(id) else {
            return;
        };
        let frame = p.value.encode(id.0);
        if let Err(e) = self.outbox.request_frame(frame, id) {
            self.pending.remove(id);
            self.respond(id, Err(e));
        }
    }

    fn respond(&mut self, request: RequestId, result: Result<Reply, Error>) {
        self.outbox.resolve(request, result);
    }

    fn protocol_error(&mut self, raw: &str, reason: String) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, MAX_RAW_IN_ERROR),
            reason,
        });
    }

    fn read_changed(&mut self, chat_id: &str, state: Option<ReadState>) {
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

    fn on_response(&mut self, id: u32, payload: Value, raw: &str) {
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
        match &reply {
            Ok(Reply::Chats { chats }) => chats.iter().for_each(|c| self.learn_chat(c)),
            Ok(Reply::Chat { chat }) => self.learn_chat(chat),
            Ok(Reply::MessageSent { message_id, .. }) => {
                // If the server echoes our own message back as a notification, it is not new.
                self.seen.insert(&format!("msg:{message_id}"));
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
            for id in std::mem::take(&mut self.waiting) {
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
        self.outbox.event(Event::Connected {
            user_id,
            connection_id: crate::json::field_str(&payload, "connectionId"),
        });
        for id in std::mem::take(&mut self.waiting) {
            self.send_pending(id);
        }
    }

    fn on_notification(&mut self, method: &str, payload: &Value, raw: &Value, text: &str) {
        let me = self.user_id.clone();
        let decoded = match notification::decode(method, payload, me.as_deref()) {
            Ok(n) => n,
            Err(reason) => return self.protocol_error(text, reason),
        };
        match decoded {
            Notification::ChatCreated(chat) => {
                if !self.seen.insert(&format!("chat:{}", chat.id))
                    && self.chats.contains_key(&chat.id)
                {
                    return;
                }
                self.learn_chat(&chat);
                self.outbox.event(Event::ChatCreated { chat });
            }
            Notification::TitleChanged { chat_id, title } => {
                let chat = self.update_chat(&chat_id, payload, |c| c.title = title.clone());
                self.outbox.event(Event::ChatUpdated { chat });
            }
            Notification::AvatarChanged {
                chat_id,
                avatar_url,
            } => {
                let chat =
                    self.update_chat(&chat_id, payload, |c| c.avatar_url = avatar_url.clone());
                self.outbox.event(Event::ChatUpdated { chat });
            }
            Notification::ChatRemoved { chat_id } => {
                self.chats.remove(&chat_id);
                self.reads.remove(&chat_id);
                self.outbox.event(Event::ChatRemoved { chat_id });
            }
            Notification::Event(event) => self.outbox.event(event),
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
                if self.seen.insert(&format!("rm:{message_id}")) {
                    self.outbox.event(Event::MessageRemoved {
                        chat_id,
                        message_id,
                        by,
                    });
                }
            }
            Notification::Unknown => self.outbox.event(Event::Unknown {
                name: Some(method.to_string()),
                raw: RawJson::from(raw.clone()),
            }),
        }
    }

    fn on_message(&mut self, message: Message) {
        if !self.seen.insert(&format!("msg:{}", message.id)) {
            return;
        }
        if let Some(chat_id) = message.chat_id.clone() {
            if let Some(chat) = self.chats.get_mut(&chat_id) {
                chat.last_message = Some(Box::new(message.clone()));
            }
            if !message.own {
                // The message counts as unread until acknowledged, and the ack (already queued,
                // per the protocol) marks it read: report the resulting state once.
                let before = self.reads.get(&chat_id).cloned();
                self.reads.increment_unread(&chat_id);
                self.reads.decrement_unread(&chat_id, Some(&message.id));
                let after = self.reads.get(&chat_id).cloned();
                if after != before {
                    self.read_changed(&chat_id, after);
                }
            }
        }
        self.outbox.event(Event::MessageReceived { message });
    }

    fn update_chat(
        &mut self,
        chat_id: &str,
        payload: &Value,
        change: impl FnOnce(&mut Chat),
    ) -> Chat {
        let chat = self
            .chats
            .entry(chat_id.to_string())
            .or_insert_with(|| Chat {
                id: chat_id.to_string(),
                title: None,
                kind: ChatKind::Other(String::new()),
                unread: None,
                last_message: None,
                avatar_url: None,
                raw: RawJson::from(Value::Null),
            });
        change(chat);
        let mut out = chat.clone();
        out.raw = RawJson::from(payload.clone());
        out
    }
}

impl SessionTrait for TrueConfSession {
    fn connect(&mut self, now: Timestamp) -> Result<(), Error> {
        TrueConfSession::connect(self, now)
    }

    fn replay_safe(&self, id: RequestId) -> bool {
        self.pending.get(id).is_some_and(|p| !p.value.is_write())
    }

    fn handle_connected(&mut self, now: Timestamp) {
        let auth = Request::Auth {
            token: self.config.token.clone(),
            receive_unread: self.config.receive_unread,
        };
        let deadline = now.add(self.config.limits.request_timeout);
        match self.pending.insert(deadline, auth) {
            Ok(id) => {
                self.phase = Phase::Authenticating(id);
                if let Some(p) = self.pending.get(id) {
                    let frame = p.value.encode(id.0);
                    // Auth must go out whatever the queue holds: it is what unblocks the queue.
                    self.outbox.control_frame(frame);
                    self.pending.mark_sent(id);
                }
            }
            Err(error) => self.outbox.event(Event::AuthFailed { error }),
        }
    }

    fn handle_frame(&mut self, _now: Timestamp, text: &str) {
        let limit = self.config.limits.max_frame_bytes;
        if text.len() > limit as usize {
            let reason = Error::FrameTooLarge {
                size: text.len() as u64,
                limit: limit as u64,
            }
            .to_string();
            // Ack a readable server request all the same, or the server redelivers it forever.
            let ack = crate::json::AckFields::peek(text).and_then(|f| {
                let is_request = f.kind.as_ref().and_then(int_lenient) == Some(1);
                let id = f.id.as_ref().and_then(id_lenient)?;
                is_request.then_some(id)
            });
            if let Some(id) = ack {
                self.outbox.control_frame(wire::ack(id));
            }
            return self.protocol_error(text, reason);
        }
        let (frame, raw) = match wire::decode(text) {
            Ok(ok) => ok,
            Err(e) => {
                if let Some(id) = e.ack_id {
                    self.outbox.control_frame(wire::ack(id));
                }
                return self.protocol_error(text, e.reason);
            }
        };
        match frame {
            Frame::Request {
                id,
                method,
                payload,
            } => {
                // Ack first, exactly once per frame, before the app hears of it.
                self.outbox.control_frame(wire::ack(id));
                self.on_notification(&method, &payload, &raw, text);
            }
            Frame::Response { id, payload } => self.on_response(id, payload, text),
        }
    }

    fn handle_http_response(&mut self, _now: Timestamp, id: RequestId, response: HttpResponse) {
        self.protocol_error(
            &response.body,
            format!("TrueConf sessions make no HTTP requests; response for {id} ignored"),
        );
    }

    fn handle_closed(&mut self, _now: Timestamp, reason: &str) {
        self.cut_off();
        if self.phase != Phase::AuthFailed {
            self.phase = Phase::Disconnected;
        }
        self.outbox.event(Event::Disconnected {
            reason: reason.to_string(),
        });
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        let mut dead = None;
        for (id, pending) in self.pending.take_expired(now) {
            self.waiting.retain(|w| *w != id);
            if matches!(pending.value, Request::Auth { .. }) {
                dead = Some("no answer to auth".to_string());
                continue;
            }
            if pending.sent && self.phase == Phase::Ready {
                // TrueConf has no ping: a request the server never answered within the whole
                // timeout is the only sign of a connection that died without closing (NAT
                // timeout, sleep). Without this the app would wait forever for messages.
                dead = Some(format!("no answer to request {id}"));
            }
            self.respond(id, Err(Error::Timeout));
        }
        if let Some(reason) = dead {
            self.outbox.event(Event::ConnectionDead {
                reason: reason.clone(),
            });
            self.outbox.control_frame_close(reason);
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        let (transmit, id) = self.outbox.poll_transmit_with_id()?;
        if let Some(id) = id {
            self.pending.mark_sent(id);
        }
        Some(transmit)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.pending.next_deadline()
    }

    fn send_text(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        self.send_message(now, chat_id, text, None, reply_to)
    }

    fn mark_read(
        &mut self,
        _now: Timestamp,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<RequestId>, Error> {
        // TrueConf has no read request: acknowledging a notification is what marks it read, and
        // every notification is acknowledged on arrival. Record the marker locally.
        let newest = self
            .chats
            .get(chat_id)
            .and_then(|c| c.last_message.as_ref())
            .map(|m| m.id.as_str());
        let update = ReadUpdate {
            unread: (newest == Some(message_id)).then_some(0),
            last_read_message_id: Some(message_id.to_string()),
            ..Default::default()
        };
        let changed = self.reads.apply(chat_id, update);
        self.read_changed(chat_id, changed);
        Ok(None)
    }
}
