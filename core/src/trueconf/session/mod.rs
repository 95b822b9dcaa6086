//! The TrueConf session state machine: its state, connection and request table, and the
//! [`SessionTrait`] entry points; what it sends is in `commands`, what it reads in
//! `incoming`, file steps in `transfers`.

mod commands;
mod incoming;
mod transfers;

use super::config::{TrueConfConfig, SUBPROTOCOL, WEBSOCKET_PATH};
use super::notification::{self, Notification};
use super::request::Request;
use super::wire::{self, Frame, Payload};
use super::ErrorCode;
use crate::boxed_map::{BoxedMap, BoxedSet};
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
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::VecDeque;

/// An upload asked for with [`TrueConfSession::upload_file`]: what the host reads, once the
/// server opened the task.
#[derive(Clone, Debug)]
struct PlannedUpload {
    source: String,
    file_name: String,
    content_type: Option<String>,
    size: u64,
    /// Post the file to this chat once uploaded ([`TrueConfSession::send_file`]).
    then_send: Option<SendTarget>,
}

/// Where [`TrueConfSession::send_file`] posts the uploaded file.
#[derive(Clone, Debug)]
struct SendTarget {
    chat_id: String,
    caption: Option<String>,
    parse_mode: Option<String>,
    reply_to: Option<String>,
}

/// A download asked for with [`TrueConfSession::download_file`], waiting for `getFileInfo`.
#[derive(Clone, Debug)]
struct PlannedDownload {
    destination: String,
    /// When the wait for an uploading file gives up (set once it is seen uploading).
    deadline: Option<Timestamp>,
}

/// A download of a file still being uploaded: waiting for its progress, or polling.
#[derive(Clone, Debug)]
struct AwaitReady {
    file_id: String,
    caller: RequestId,
    destination: String,
    size: Option<u64>,
    deadline: Timestamp,
    /// When to ask `getFileInfo` again; `None` while waiting for `uploadFileProgress`.
    poll_at: Option<Timestamp>,
}

/// An HTTP step the host is performing for a caller.
#[derive(Clone, Debug)]
enum Transfer {
    Upload { then_send: Option<SendTarget> },
    Download { file_id: String, size: Option<u64> },
}

/// How often a download polls a file whose upload progress is complete but that is not ready.
const READY_POLL: std::time::Duration = std::time::Duration::from_secs(1);

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
    chats: BoxedMap<String, Chat>,
    user_id: Option<String>,
    /// A request was refused with 203: the token is no longer accepted, so requests wait in
    /// `issued_stale` instead of going out to be refused too.
    token_stale: bool,
    /// Requests refused with 203 (known not to have run), in the order the refusals came:
    /// sent again, with their ids, right after the next successful `auth`.
    refused: Vec<RequestId>,
    /// Requests issued while the token was stale: sent after `refused`, which were issued
    /// before them (a sender's messages must reach the server in the order it made them).
    issued_stale: Vec<RequestId>,
    uploads: BoxedMap<RequestId, PlannedUpload>,
    downloads: BoxedMap<RequestId, PlannedDownload>,
    awaiting_ready: Vec<AwaitReady>,
    transfers: BoxedMap<RequestId, Transfer>,
    /// A request issued for a caller's multi-step command → the caller's id.
    relay: BoxedMap<RequestId, RequestId>,
    /// Requests the session made for itself (progress subscriptions): their answers go nowhere.
    internal: BoxedSet<RequestId>,
    /// Unix milliseconds minus the host's `now`, once the host told the wall clock.
    unix_offset_ms: Option<i64>,
    /// When to announce that the token is about to expire.
    expiry_warning_at: Option<Timestamp>,
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
            outbox: Outbox::new(limits.max_queued as usize)
                .cap_protocol_errors(limits.max_protocol_errors_queued),
            reads: snapshot.reads.limited(limits.max_chats),
            seen,
            chats: BoxedMap::new(),
            user_id: snapshot.user_id,
            token_stale: false,
            refused: Vec::new(),
            issued_stale: Vec::new(),
            uploads: BoxedMap::new(),
            downloads: BoxedMap::new(),
            awaiting_ready: Vec::new(),
            transfers: BoxedMap::new(),
            relay: BoxedMap::new(),
            internal: BoxedSet::new(),
            unix_offset_ms: None,
            expiry_warning_at: None,
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
        // Requests refused for the expired token did not run: they survive the reconnect that
        // brings the new token, and go out after its `auth`.
        let mut kept = Vec::new();
        for (stale, id) in std::mem::take(&mut self.refused)
            .into_iter()
            .map(|id| (false, id))
            .chain(
                std::mem::take(&mut self.issued_stale)
                    .into_iter()
                    .map(|id| (true, id)),
            )
        {
            if let Some(p) = self.pending.remove(id) {
                kept.push((stale, id, p));
            }
        }
        for (id, pending, error) in self.pending.take_all_disconnected() {
            if matches!(pending.value, Request::Auth { .. }) {
                continue;
            }
            self.respond(id, Err(error));
        }
        for (stale, id, pending) in kept {
            if self
                .pending
                .insert_with_id(id, pending.deadline, pending.value)
                .is_ok()
            {
                if stale {
                    self.issued_stale.push(id);
                } else {
                    self.refused.push(id);
                }
            }
        }
        // Progress subscriptions die with the connection: poll instead.
        for wait in &mut self.awaiting_ready {
            wait.poll_at.get_or_insert(Timestamp(0));
        }
    }

    /// Replaces the token (after [`Event::TokenExpired`]); it is used at the next connection.
    pub fn set_token(&mut self, token: impl Into<Secret>) {
        self.config.token = token.into();
        if self.phase == Phase::AuthFailed {
            self.phase = Phase::Disconnected;
        }
        self.arm_expiry();
    }

    /// Tells the session the wall clock: `unix_ms` (Unix milliseconds) is the host's `now`.
    /// With it the session reads the JWT's `exp` and announces [`Event::TokenExpired`]
    /// [`TrueConfConfig::refresh_before`] ahead of it, so the host fetches a new token before
    /// the server refuses the old one (without it only the server's 203 says so).
    pub fn set_unix_time(&mut self, now: Timestamp, unix_ms: u64) {
        let unix = i64::try_from(unix_ms).unwrap_or(i64::MAX);
        let mono = i64::try_from(now.0).unwrap_or(i64::MAX);
        self.unix_offset_ms = Some(unix.saturating_sub(mono));
        self.arm_expiry();
    }

    /// The token's `exp` in Unix seconds, when it is a JWT that has one.
    pub fn token_expires_at(&self) -> Option<i64> {
        jwt_exp(self.config.token.expose())
    }

    fn arm_expiry(&mut self) {
        self.expiry_warning_at = None;
        let (Some(offset), Some(exp)) = (self.unix_offset_ms, self.token_expires_at()) else {
            return;
        };
        let ahead = i64::try_from(self.config.refresh_before.as_millis()).unwrap_or(i64::MAX);
        let warn_unix = exp.saturating_mul(1000).saturating_sub(ahead);
        let warn_mono = warn_unix.saturating_sub(offset).max(0);
        self.expiry_warning_at = Some(Timestamp(u64::try_from(warn_mono).unwrap_or(0)));
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
        self.outbox.check_room()?;
        let limit = self.config.limits.max_pending_requests;
        if self.pending.len() >= limit as usize {
            return Err(Error::TooManyPending {
                limit: limit as u64,
            });
        }
        let deadline = now.add(self.config.limits.request_timeout);
        let id = self.pending.insert(deadline, request)?;
        match self.phase {
            // The server refuses everything for the expired token: wait for the new one.
            Phase::Ready if self.token_stale => self.issued_stale.push(id),
            Phase::Ready => self.send_pending(id),
            _ => self.waiting.push_back(id),
        }
        Ok(id)
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

    /// Resolves the request on the wire `request`: for a step of a caller's multi-step command
    /// (upload, download), the caller's id; the session's own requests resolve nowhere.
    /// The answer to request `id` came, but over the frame limit: it fails with that.
    fn fail_too_large(&mut self, id: RequestId, size: usize, limit: u32) {
        let is_auth = self
            .pending
            .get(id)
            .is_some_and(|p| matches!(p.value, Request::Auth { .. }));
        // An unreadable `auth` answer leaves the connection unauthenticated: its deadline
        // judges the connection dead, as for no answer.
        if is_auth || self.pending.remove(id).is_none() {
            return;
        }
        self.waiting.retain(|w| *w != id);
        self.respond(
            id,
            Err(Error::FrameTooLarge {
                size: size as u64,
                limit: limit as u64,
            }),
        );
    }

    fn respond(&mut self, request: RequestId, result: Result<Reply, Error>) {
        self.uploads.remove(&request);
        self.downloads.remove(&request);
        if self.internal.remove(&request) {
            return;
        }
        let caller = self.relay.remove(&request).unwrap_or(request);
        self.outbox.resolve(caller, result);
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
            receive_system_messages: self.config.receive_system_messages,
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

    fn handle_frame(&mut self, now: Timestamp, text: &str) {
        let limit = self.config.limits.max_frame_bytes;
        if text.len() > limit as usize {
            let reason = Error::FrameTooLarge {
                size: text.len() as u64,
                limit: limit as u64,
            }
            .to_string();
            let head = crate::json::AckFields::peek(text).and_then(|f| {
                let kind = f.kind.as_ref().and_then(int_lenient)?;
                Some((kind, f.id.as_ref().and_then(id_lenient)?))
            });
            match head {
                // Ack a readable server request all the same, or the server redelivers it
                // forever.
                Some((1, id)) => self.outbox.control_frame(wire::ack(id)),
                // The answer to one of ours: it fails now with the reason, rather than timing
                // out as if nothing had come.
                Some((2, id)) => self.fail_too_large(RequestId(id), text.len(), limit),
                _ => {}
            }
            return self.protocol_error(text, reason);
        }
        let mut scratch = String::new();
        let (frame, source) = match wire::decode(text, &mut scratch) {
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
                self.on_notification(now, &method, payload, source, text);
            }
            Frame::Response { id, payload } => {
                // Answers are decoded from a tree (they are few; notifications are the stream).
                let payload = match payload.map(|p| serde_json::from_str::<Value>(p.get())) {
                    None => Value::Null,
                    Some(Ok(tree)) => tree,
                    Some(Err(e)) => return self.protocol_error(text, format!("not JSON: {e}")),
                };
                self.on_response(now, id, payload, text)
            }
        }
    }

    fn handle_http_response(&mut self, now: Timestamp, id: RequestId, response: HttpResponse) {
        let Some(transfer) = self.transfers.remove(&id) else {
            return self.protocol_error(
                &response.body,
                format!("HTTP response for {id}, which is no transfer in progress"),
            );
        };
        if !(200..300).contains(&response.status) {
            // The file endpoints answer errors as `{"errorCode": N}` (407 unknown task, 408
            // wrong size, 404/405 download): typed when readable.
            let code = crate::json::parse_lenient(&response.body)
                .ok()
                .and_then(|v| wire::error_code(&v));
            let error = match code {
                Some(code) => Error::TrueConf {
                    code: ErrorCode::from(code),
                },
                None => Error::Http {
                    status: response.status,
                    body: truncate(
                        &response.body,
                        self.config.limits.max_error_body_bytes as usize,
                    ),
                },
            };
            return self.outbox.resolve(id, Err(error));
        }
        match transfer {
            Transfer::Download { file_id, size } => self
                .outbox
                .resolve(id, Ok(Reply::Downloaded { file_id, size })),
            Transfer::Upload { then_send } => {
                let temporal = crate::json::parse_lenient(&response.body)
                    .ok()
                    .and_then(|v| crate::json::field_str(&v, "temporalFileId"));
                let Some(temporal_file_id) = temporal else {
                    let reason = format!(
                        "upload answer without temporalFileId: {}",
                        truncate(&response.body, 512)
                    );
                    return self
                        .outbox
                        .resolve(id, Err(Error::UnexpectedResponse { reason }));
                };
                match then_send {
                    None => self
                        .outbox
                        .resolve(id, Ok(Reply::Uploaded { temporal_file_id })),
                    Some(target) => {
                        let send = Request::SendFile {
                            chat_id: target.chat_id,
                            temporal_file_id,
                            caption: target.caption,
                            parse_mode: target.parse_mode,
                            reply_message_id: target.reply_to,
                        };
                        self.step(now, id, send);
                    }
                }
            }
        }
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
        if self.expiry_warning_at.is_some_and(|t| t <= now) {
            // Once per token: `set_token` arms the next one.
            self.expiry_warning_at = None;
            self.outbox.event(Event::TokenExpired);
        }
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.awaiting_ready)
            .into_iter()
            .partition(|w| w.deadline <= now || w.poll_at.is_some_and(|t| t <= now));
        self.awaiting_ready = waiting;
        for wait in due {
            if wait.deadline <= now {
                self.outbox.resolve(wait.caller, Err(Error::Timeout));
            } else {
                self.recheck(now, wait);
            }
        }
        let mut dead = None;
        for (id, pending) in self.pending.take_expired(now) {
            self.waiting.retain(|w| *w != id);
            self.refused.retain(|w| *w != id);
            self.issued_stale.retain(|w| *w != id);
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
        let chats = &mut self.chats;
        self.reads.report_evicted(&mut self.outbox, |chat| {
            chats.remove(chat);
        });
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let waits = self
            .awaiting_ready
            .iter()
            .map(|w| w.poll_at.map_or(w.deadline, |t| t.min(w.deadline)));
        [self.pending.next_deadline(), self.expiry_warning_at]
            .into_iter()
            .flatten()
            .chain(waits)
            .min()
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

/// The `exp` claim (Unix seconds) of a JWT, read without checking its signature: only to know
/// when to refresh. `None` for anything that is not a JWT with a numeric `exp`.
fn jwt_exp(token: &str) -> Option<i64> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    // From text, not `from_slice`: the byte reader would be a second copy of serde_json's parser
    // in the wasm (13 KB) for this one call. Invalid UTF-8 is refused by both.
    let claims: Value = serde_json::from_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    let exp = claims.get("exp")?;
    exp.as_i64().or_else(|| exp.as_f64().map(|f| f as i64))
}
