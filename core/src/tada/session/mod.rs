//! The tada session: confirm ids and resends, keep-alive, read state and message delivery.

mod commands;
mod confirm;
mod incoming;

use crate::boxed_map::BoxedMap;
use crate::dedupe::SeenSet;
use crate::error::{Delivery, Error};
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::json::{str_lenient, truncate, LenientObj};
use crate::outbox::Outbox;
use crate::pending::PendingTable;
use crate::raw::{is_canonical, with_texts, Members, RawJson, ONE_PASS};
use crate::read_state::{ReadState, ReadStates, ReadUpdate};
use crate::rng::Rng;
use crate::session::Session as SessionTrait;
use crate::tada::catchup::{Answer, CatchUp};
use crate::tada::client_event::{
    confirm_frame, Activity, CallJid, CallOffer, CallReason, CallSdp, CallSound, CallTrickle,
    ChatComposing, ChatLastread, ClientEvent, MessageDeleted, SendMessage,
};
use crate::tada::config::TadaConfig;
use crate::tada::content::MessageContent;
use crate::tada::normalize;
use crate::tada::recent::Recent;
use crate::tada::server_event::{
    ChatsChanged, ChatsText, MessageInfo, MessagesFrame, MessagesUpdatedText, ServerEvent,
    ServerFrame, TeamUnread, Warning,
};
use crate::tada::snapshot::{ChatMark, OutgoingEvent, TadaSnapshot};
use crate::time::Timestamp;
use crate::transmit::{ConnectAuth, Header};
use crate::transmit::{ConnectInfo, HttpResponse, Transmit};
use serde_json::value::RawValue;
use serde_json::Value;

/// A document the parser has checked, as the app's raw text (trimmed of surrounding space).
fn raw_text(source: &str) -> RawJson {
    serde_json::from_str::<&RawValue>(source)
        .map(RawJson::from_raw)
        .unwrap_or_default()
}

/// How many resolved confirm ids are remembered, so that a late or duplicate `server.confirm`
/// for an event already answered is recognised rather than reported as unknown.
const RESOLVED_WINDOW: usize = 1024;

/// A deadline that never comes: events restored from a snapshot wait for the first connect,
/// which starts their `offline_timeout`.
const NEVER: Timestamp = Timestamp(u64::MAX);

/// The state of the WebSocket as the session sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// No connection; events that need confirming are queued for the next one.
    Down,
    /// `connect` asked the host to open one.
    Connecting,
    /// Open: frames flow, pings and resends run.
    Up,
    /// The session judged it dead and asked the host to close it.
    Closing,
}

/// An event waiting for its `server.confirm`.
#[derive(Clone, Debug)]
struct Outgoing {
    event: ClientEvent,
    confirm_id: String,
    /// Times handed to the host so far, across connections.
    attempts: u32,
    /// Order of submission: resends after a reconnect keep the order the app sent in.
    seq: u64,
    /// A keep-alive ping the session made itself: its answer is not reported to the app.
    keepalive: bool,
    /// An edit of an existing message (its echo is not proof that the edit arrived).
    edit: bool,
    /// The optimistic read-state change made for a `client.chat.lastread`, undone if refused.
    rollback: Option<Rollback>,
    /// When it fails if no connection took it by then (`offline_timeout` after it was made);
    /// `None` for one restored from a snapshot until the first connect starts its clock.
    expires: Option<Timestamp>,
}

#[derive(Clone, Debug)]
struct Rollback {
    chat: String,
    before: ReadState,
    after: ReadState,
}

/// A sans-IO tada.team session: implements [`crate::Session`] and adds typed commands for every
/// client event.
///
/// - **Confirmation.** `client.message.updated`, `client.message.deleted`, `client.chat.lastread`
///   and `client.ping` carry a `confirm_id` (12 characters from the seeded RNG) and wait for
///   `server.confirm`; each is sent again after `resend_timeout` with the same `confirm_id` (and
///   the same client-made `message_id`), `1 + max_resends` times in all, then resolved with
///   [`Error::NotConfirmed`]. A confirmed event resolves with [`Event::Response`] (a message also
///   gets [`Event::Delivered`] just before); a `server.warning` echoing its `confirm_id` resolves
///   it with [`Error::Rejected`]. Other client events (calls, typing, activity) are transient and
///   sent once, unconfirmed.
/// - **Disconnects lose nothing.** The three confirmed state-setting events are idempotent on the
///   server (a message is upserted by `message_id`, a deletion or read marker set twice is set),
///   so when the connection drops they stay queued and are sent again, in order, after the next
///   `handle_connected`; they can be submitted while disconnected too. Only pings, which mean
///   nothing on another connection, resolve with [`Error::Disconnected`].
/// - **Acks.** Every incoming frame with a top-level `confirm_id` is answered `client.confirm`
///   once, before its events are delivered, even when it is a redelivery or cannot be decoded
///   (otherwise the server would redeliver it forever).
/// - **Keep-alive.** A `client.ping` goes out every `ping_interval`; if one is not confirmed within
///   `ping_deadline` the session emits [`Event::ConnectionDead`] and a [`Transmit::Close`].
/// - **Ordering.** Chats, read states and messages carry `gentime`s (kept as `i64`); an update
///   older than what is held is dropped, and a message redelivered with the same
///   `message_id` + `gentime` reaches the app once.
#[derive(Debug)]
pub struct TadaSession {
    config: TadaConfig,
    rng: Rng,
    outbox: Outbox,
    link: Link,
    pending: PendingTable<Outgoing>,
    by_confirm: BoxedMap<String, RequestId>,
    /// Pending new messages by the `message_id` their echo carries (see `index_pending`).
    by_echo: BoxedMap<String, RequestId>,
    resolved: SeenSet,
    seq: u64,
    next_ping: Option<Timestamp>,
    keepalive: Option<RequestId>,
    reads: ReadStates,
    badge: Option<i64>,
    team_unread: Value,
    /// The text `team_unread` was last set from: the server repeats the counters on every
    /// message, and the same text cannot change them, so it is not parsed and compared again.
    team_unread_text: String,
    seen: SeenSet,
    message_versions: Recent<i64>,
    chats: Recent<ChatMark>,
    sent_ids: SeenSet,
    last_messages: BoxedMap<String, String>,
    me: Option<String>,
    /// Fetches of what was sent while the socket was down.
    catchup: CatchUp,
}

impl TadaSession {
    /// A disconnected session with nothing known yet; call `connect` ([`crate::Session::connect`])
    /// next.
    pub fn new(config: TadaConfig) -> Self {
        Self::restore(config, TadaSnapshot::default())
    }

    /// A disconnected session resuming from `snapshot`: its unconfirmed events go out again on
    /// the next connection, under their old request ids.
    ///
    /// An event that cannot be taken back (over the pending limit, or one that is never
    /// confirmed) is resolved at once with an [`Event::Response`] error rather than dropped.
    pub fn restore(config: TadaConfig, snapshot: TadaSnapshot) -> Self {
        let limits = config.limits.clone();
        let window = limits.dedupe_window;
        let mut message_versions = snapshot.message_versions;
        message_versions.set_capacity(window as usize);
        let mut chats = snapshot.chats;
        chats.set_capacity(window as usize);
        // Saved before any message arrived: the chats' versions still bound the gap.
        let newest_chat = chats.iter().filter_map(|(_, c)| c.gentime).max();
        let mut session = TadaSession {
            rng: Rng::new(config.seed),
            outbox: Outbox::new(limits.max_queued as usize)
                .cap_protocol_errors(limits.max_protocol_errors_queued),
            link: Link::Down,
            pending: PendingTable::new(limits.max_pending_requests as usize),
            by_confirm: BoxedMap::new(),
            by_echo: BoxedMap::new(),
            resolved: SeenSet::new(RESOLVED_WINDOW),
            seq: 0,
            next_ping: None,
            keepalive: None,
            reads: snapshot.read_states.limited(limits.max_chats),
            badge: snapshot.badge,
            team_unread: snapshot.team_unread,
            team_unread_text: String::new(),
            seen: snapshot.seen.or_new(window as usize),
            message_versions,
            chats,
            sent_ids: snapshot.sent_ids.or_new(window as usize),
            last_messages: snapshot.last_messages,
            me: snapshot.me,
            catchup: CatchUp::new(snapshot.catchup_cursor.or(newest_chat)),
            config,
        };
        for chat in session.last_messages.keys() {
            session.reads.touch(chat);
        }
        for saved in snapshot.outgoing {
            session.restore_outgoing(saved);
        }
        session
    }

    fn restore_outgoing(&mut self, saved: OutgoingEvent) {
        let request = saved.request;
        if !saved.event.expects_confirm() || matches!(saved.event, ClientEvent::Ping) {
            self.outbox.resolve(
                request,
                Err(Error::InvalidArgument {
                    reason: format!("{} is not resent after a restart", saved.event.name()),
                }),
            );
            return;
        }
        let confirm_id =
            if saved.confirm_id.is_empty() || self.by_confirm.contains_key(&saved.confirm_id) {
                self.fresh_confirm_id()
            } else {
                saved.confirm_id
            };
        if let ClientEvent::MessageUpdated(m) = &saved.event {
            if let Some(id) = &m.message_id {
                self.sent_ids.insert(id);
            }
        }
        self.seq += 1;
        let value = Outgoing {
            event: saved.event,
            confirm_id: confirm_id.clone(),
            attempts: saved.attempts,
            seq: self.seq,
            keepalive: false,
            edit: saved.edit,
            rollback: None,
            expires: None,
        };
        let id = match self.pending.insert_with_id(request, NEVER, value.clone()) {
            Ok(()) => request,
            Err(Error::TooManyPending { limit }) => {
                self.outbox
                    .resolve(request, Err(Error::TooManyPending { limit }));
                return;
            }
            // The old id is taken (a snapshot listing it twice): keep the event under a new one.
            Err(_) => match self.pending.insert(NEVER, value) {
                Ok(id) => id,
                Err(e) => {
                    self.outbox.resolve(request, Err(e));
                    return;
                }
            },
        };
        self.index_pending(id, confirm_id);
    }

    /// Everything that must survive a restart; see [`TadaSnapshot`].
    pub fn snapshot(&self) -> TadaSnapshot {
        let mut outgoing: Vec<(u64, OutgoingEvent)> = self
            .pending
            .iter_unordered()
            .filter(|(_, p)| !matches!(p.value.event, ClientEvent::Ping))
            .map(|(request, p)| {
                (
                    p.value.seq,
                    OutgoingEvent {
                        request,
                        confirm_id: p.value.confirm_id.clone(),
                        event: p.value.event.clone(),
                        attempts: p.value.attempts,
                        edit: p.value.edit,
                    },
                )
            })
            .collect();
        crate::order::sort_by_u64_key(&mut outgoing, |(seq, _)| *seq);
        TadaSnapshot {
            read_states: self.reads.clone(),
            badge: self.badge,
            team_unread: self.team_unread.clone(),
            me: self.me.clone(),
            outgoing: outgoing.into_iter().map(|(_, o)| o).collect(),
            seen: self.seen.clone(),
            message_versions: self.message_versions.clone(),
            chats: self.chats.clone(),
            sent_ids: self.sent_ids.clone(),
            last_messages: self.last_messages.clone(),
            catchup_cursor: self.catchup.resume_cursor(),
        }
    }

    /// What the host needs to open the WebSocket: path `/messaging/{team}` and the `token`
    /// header.
    pub fn connect_info(&self) -> ConnectInfo {
        ConnectInfo {
            path: format!("/messaging/{}", path_segment(&self.config.team)),
            headers: match &self.config.token {
                Some(token) => vec![Header::new("token", token.expose())],
                None => Vec::new(),
            },
            subprotocols: Vec::new(),
            auth: if self.config.token.is_some() {
                ConnectAuth::Header
            } else {
                ConnectAuth::Cookie
            },
        }
    }

    /// Whether the WebSocket is open and considered alive.
    pub fn is_connected(&self) -> bool {
        self.link == Link::Up
    }

    /// This user's JID, once learned (from `server.team.updated`, or the echo of an own message).
    pub fn me(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// The read state of `chat`, if known.
    pub fn read_state(&self, chat: &str) -> Option<&ReadState> {
        self.reads.get(chat)
    }

    /// The total unread count, as last received.
    pub fn badge(&self) -> Option<i64> {
        self.badge
    }

    /// The team's counters as last received (`null` until sent).
    pub fn team_unread(&self) -> &Value {
        &self.team_unread
    }

    /// The team's counters, typed, as last received.
    pub fn team_unread_typed(&self) -> Option<TeamUnread> {
        serde_json::from_value(self.team_unread.clone()).ok()
    }

    /// How many events wait for confirmation (keep-alive pings included).
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    // ---- commands ----
}

impl SessionTrait for TadaSession {
    fn handle_connected(&mut self, now: Timestamp) {
        if matches!(self.link, Link::Up | Link::Closing) {
            // The host opened a new socket without reporting the old one closed.
            self.handle_closed(now, "replaced by a new connection");
        }
        self.link = Link::Up;
        self.keepalive = None;
        self.next_ping = Some(now.add(self.config.ping_interval));
        self.outbox.event(Event::Connected {
            user_id: self.me.clone(),
            connection_id: None,
        });
        for id in self.pending_in_order(None) {
            self.transmit(now, id);
        }
        self.start_catchup();
    }

    fn handle_frame(&mut self, _now: Timestamp, frame: &str) {
        let limit = self.config.limits.max_frame_bytes;
        if frame.len() > limit as usize {
            let reason = Error::FrameTooLarge {
                size: frame.len() as u64,
                limit: limit as u64,
            }
            .to_string();
            // Confirm it all the same, or the server redelivers it forever.
            let confirm_id = crate::json::AckFields::peek(frame)
                .and_then(|f| f.confirm_id)
                .and_then(|c| str_lenient(&c));
            if let (Some(cid), true) = (confirm_id, self.link != Link::Down) {
                self.outbox.control_frame(confirm_frame(&cid));
            }
            self.protocol_error(frame, reason);
            return;
        }
        // The stream's bulk, in one pass; anything else (or a frame of it that needs the
        // lenient reading) below.
        if self.on_messages_read(frame) {
            return;
        }
        let mut scratch = String::new();
        let (head, source) = match crate::json::strict_or_lenient::<LenientObj<ServerFrame<'_>>>(
            frame,
            &mut scratch,
        ) {
            Ok(ok) => ok,
            Err(reason) => {
                self.protocol_error(frame, format!("not JSON: {reason}"));
                return;
            }
        };
        let Some(head) = head.0 else {
            self.protocol_error(frame, "not a JSON object".to_string());
            return;
        };
        if self.link != Link::Down {
            if let Some(cid) = &head.confirm_id.0 {
                self.outbox.control_frame(confirm_frame(cid));
            }
        }
        match head.event.0 {
            Some(name) => self.on_event(&name, head.params, source, frame),
            None => self.outbox.event(Event::Unknown {
                name: None,
                raw: raw_text(source),
            }),
        }
    }

    /// tada makes no HTTP requests through the session: a response is ignored.
    fn handle_http_response(&mut self, _now: Timestamp, id: RequestId, response: HttpResponse) {
        if !self.catchup.owns(id) {
            return;
        }
        let auth = self.connect_info().headers;
        let mut next = Vec::new();
        let answer = self.catchup.on_answer(
            &self.config.team,
            id,
            response.status,
            &response.body,
            &auth,
            &mut next,
        );
        self.queue_fetches(next);
        match answer {
            Answer::Messages { messages, released } => {
                let raw = serde_json::json!({ "messages": messages }).to_string();
                match serde_json::from_str::<MessagesUpdatedText<'_>>(&raw) {
                    Ok(p) => {
                        let messages =
                            self.decode_messages(p.messages.as_deref().unwrap_or_default());
                        let team_unread = p.team_unread.map(RawValue::get);
                        self.on_messages(p.badge, &p.chat_counters, messages, team_unread, false)
                    }
                    Err(e) => self.protocol_error(&raw, format!("history: {e}")),
                }
                self.deliver_held(&released);
            }
            Answer::Failed {
                jid,
                reason,
                released,
            } => {
                self.protocol_error(
                    &response.body,
                    format!("catching up {jid} failed: {reason}"),
                );
                self.deliver_held(&released);
            }
            Answer::Nothing => {}
        }
    }

    fn handle_closed(&mut self, _now: Timestamp, reason: &str) {
        if self.link == Link::Down {
            return;
        }
        self.let_go();
        self.outbox.event(Event::Disconnected {
            reason: reason.to_string(),
        });
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        if self.link != Link::Up {
            for id in self.pending_in_order(Some(now)) {
                let delivery = self.cut_off_delivery(id);
                self.fail(id, Error::Disconnected { delivery });
            }
            return;
        }
        let due = self.pending_in_order(Some(now));
        let mut dead = None;
        for &id in &due {
            let is_ping = self
                .pending
                .get(id)
                .is_some_and(|p| matches!(p.value.event, ClientEvent::Ping));
            if is_ping {
                self.fail(id, Error::Timeout);
                dead = Some(format!(
                    "client.ping not confirmed within {} ms",
                    self.config.ping_deadline.as_millis()
                ));
            }
        }
        if let Some(reason) = dead {
            self.declare_dead(reason);
            return;
        }
        for id in due {
            let Some(attempts) = self.pending.get(id).map(|p| p.value.attempts) else {
                continue;
            };
            if attempts > self.config.max_resends {
                self.fail(id, Error::NotConfirmed { attempts });
            } else {
                self.transmit(now, id);
            }
        }
        if self.next_ping.is_some_and(|t| t <= now) {
            if self.keepalive.is_none() {
                // At the pending or queue limit the probe is skipped; the next interval retries.
                if let Ok(id) = self.submit(now, ClientEvent::Ping, true, false) {
                    self.keepalive = Some(id);
                }
            }
            self.next_ping = Some(now.add(self.config.ping_interval));
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
        let last_messages = &mut self.last_messages;
        self.reads.report_evicted(&mut self.outbox, |chat| {
            last_messages.remove(chat);
        });
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        if self.link != Link::Up {
            // Only the offline bounds of what waits for a connection.
            return self.pending.next_deadline().filter(|t| *t != NEVER);
        }
        [self.next_ping, self.pending.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Asks the host to open the WebSocket ([`Transmit::Connect`] with [`TadaSession::connect_info`]);
    /// the host then calls `handle_connected`, or `handle_closed` if it could not. A connection
    /// open or opening is given up first (the host replaces the socket).
    fn connect(&mut self, now: Timestamp) -> Result<(), Error> {
        // As in every protocol, connecting replaces a connection open or opening: the app
        // asked for it, so no `Disconnected` is reported.
        if self.link != Link::Down {
            self.let_go();
        }
        // Events restored from a snapshot start their offline clock now.
        let bound = now.add(self.config.offline_timeout);
        for id in self.pending_in_order(None) {
            if let Some(p) = self.pending.get_mut(id) {
                if p.value.expires.is_none() {
                    p.value.expires = Some(bound);
                    p.deadline = bound;
                }
            }
        }
        self.outbox
            .transmit(Transmit::Connect(self.connect_info()))?;
        self.link = Link::Connecting;
        Ok(())
    }

    fn abandon(&mut self, error: &Error) {
        for id in self.pending_in_order(None) {
            let error = match self.cut_off_delivery(id) {
                Delivery::NotSent => error.clone(),
                delivery => Error::Disconnected { delivery },
            };
            self.fail(id, error);
        }
    }

    /// Only pings are ever cut off by a disconnect, and a ping is safe to repeat. Messages,
    /// deletions and read markers never resolve with [`Error::Disconnected`]: the session keeps
    /// them and resends them itself, under the same `message_id`, so a façade must not replay
    /// them as new commands.
    fn replay_safe(&self, id: RequestId) -> bool {
        self.pending
            .get(id)
            .is_some_and(|p| matches!(p.value.event, ClientEvent::Ping))
    }

    fn send_text(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        let mut message = SendMessage::text(chat_id, text);
        message.reply_to = reply_to.map(str::to_string);
        self.send_message(now, message)
    }

    fn mark_read(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<RequestId>, Error> {
        self.mark_chat_read(now, chat_id, Some(message_id))
            .map(Some)
    }
}

/// Refuses an empty identity argument before anything is queued.
fn require(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::InvalidArgument {
            reason: format!("{field} is empty"),
        });
    }
    Ok(())
}

/// `team` as one URL path segment: RFC 3986 unreserved characters kept, the rest
/// percent-encoded (team uids are UUIDs; anything else must not escape the path).
pub(crate) fn path_segment(team: &str) -> String {
    let mut out = String::with_capacity(team.len());
    for b in team.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
