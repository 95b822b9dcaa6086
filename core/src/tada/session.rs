//! The tada session: confirm ids and resends, keep-alive, read state and message delivery.

use crate::dedupe::SeenSet;
use crate::error::Error;
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::json::{parse_lenient, str_lenient, truncate};
use crate::outbox::Outbox;
use crate::pending::PendingTable;
use crate::raw::RawJson;
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
use crate::tada::server_event::{ChatsChanged, MessagesUpdated, ServerEvent, TeamUnread, Warning};
use crate::tada::snapshot::{ChatMark, OutgoingEvent, TadaSnapshot};
use crate::time::Timestamp;
use crate::transmit::{ConnectAuth, Header};
use crate::transmit::{ConnectInfo, HttpResponse, Transmit};
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest raw text kept in a [`Event::ProtocolError`].
const MAX_RAW_KEPT: usize = 64 * 1024;

/// How many resolved confirm ids are remembered, so that a late or duplicate `server.confirm`
/// for an event already answered is recognised rather than reported as unknown.
const RESOLVED_WINDOW: usize = 1024;

/// A deadline that never comes: events queued while disconnected wait for a connection, not a
/// time.
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
    by_confirm: BTreeMap<String, RequestId>,
    resolved: SeenSet,
    seq: u64,
    next_ping: Option<Timestamp>,
    keepalive: Option<RequestId>,
    reads: ReadStates,
    badge: Option<i64>,
    team_unread: Value,
    seen: SeenSet,
    message_versions: Recent<i64>,
    chats: Recent<ChatMark>,
    sent_ids: SeenSet,
    last_messages: BTreeMap<String, String>,
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
        let mut session = TadaSession {
            rng: Rng::new(config.seed),
            outbox: Outbox::new(limits.max_queued as usize),
            link: Link::Down,
            pending: PendingTable::new(limits.max_pending_requests as usize),
            by_confirm: BTreeMap::new(),
            resolved: SeenSet::new(RESOLVED_WINDOW),
            seq: 0,
            next_ping: None,
            keepalive: None,
            reads: snapshot.read_states,
            badge: snapshot.badge,
            team_unread: snapshot.team_unread,
            seen: snapshot.seen.or_new(window as usize),
            message_versions,
            chats,
            sent_ids: snapshot.sent_ids.or_new(window as usize),
            last_messages: snapshot.last_messages,
            me: snapshot.me,
            catchup: CatchUp::new(snapshot.catchup_cursor),
            config,
        };
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
        self.by_confirm.insert(confirm_id, id);
    }

    /// Everything that must survive a restart; see [`TadaSnapshot`].
    pub fn snapshot(&self) -> TadaSnapshot {
        let mut outgoing: Vec<(u64, OutgoingEvent)> = self
            .pending
            .iter()
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
        outgoing.sort_by_key(|(seq, _)| *seq);
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
            catchup_cursor: self.catchup.cursor,
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

    fn submit_message(
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
    fn fire(&mut self, event: ClientEvent) -> Result<(), Error> {
        if self.link != Link::Up {
            return Err(Error::NotConnected);
        }
        self.outbox.frame(event.encode(None))
    }

    /// Registers an event that waits for `server.confirm`, and sends it if connected.
    fn submit(
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
        if self.link == Link::Up && !self.outbox.has_room() {
            return Err(Error::QueueFull {
                limit: self.config.limits.max_queued as u64,
            });
        }
        let confirm_id = self.fresh_confirm_id();
        self.seq += 1;
        let id = self.pending.insert(
            NEVER,
            Outgoing {
                event,
                confirm_id: confirm_id.clone(),
                attempts: 0,
                seq: self.seq,
                keepalive,
                edit,
                rollback: None,
            },
        )?;
        self.by_confirm.insert(confirm_id, id);
        if self.link == Link::Up {
            self.transmit(now, id);
        }
        Ok(id)
    }

    fn fresh_confirm_id(&mut self) -> String {
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

    /// Hands the frame of pending event `id` to the host (again) and starts its wait.
    fn transmit(&mut self, now: Timestamp, id: RequestId) {
        let Some(p) = self.pending.get_mut(id) else {
            return;
        };
        let wait = if matches!(p.value.event, ClientEvent::Ping) {
            self.config.ping_deadline
        } else {
            self.config.resend_timeout
        };
        let text = p.value.event.encode(Some(&p.value.confirm_id));
        // A full queue means the host is not draining it: this attempt does not count, the
        // next deadline tries again.
        if self.outbox.request_frame(text, id).is_ok() {
            p.value.attempts = p.value.attempts.saturating_add(1);
        }
        p.deadline = now.add(wait);
    }

    /// Pending ids in submission order, optionally only those due at `now`.
    fn pending_in_order(&self, due: Option<Timestamp>) -> Vec<RequestId> {
        let mut ids: Vec<(u64, RequestId)> = self
            .pending
            .iter()
            .filter(|(_, p)| due.is_none_or(|now| p.deadline <= now))
            .map(|(id, p)| (p.value.seq, id))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// Resolves pending event `id` as confirmed.
    fn succeed(&mut self, id: RequestId) {
        let Some(p) = self.take_pending(id) else {
            return;
        };
        if p.keepalive {
            return;
        }
        match p.event {
            ClientEvent::MessageUpdated(m) => {
                let message_id = m.message_id.unwrap_or_default();
                self.outbox.event(Event::Delivered {
                    request: id,
                    message_id: Some(message_id.clone()),
                });
                self.outbox.resolve(
                    id,
                    Ok(Reply::MessageSent {
                        chat_id: Some(m.to),
                        message_id,
                        timestamp_ms: None,
                    }),
                );
            }
            _ => self.outbox.resolve(id, Ok(Reply::Empty)),
        }
    }

    /// Resolves pending event `id` with `error`, undoing its optimistic read-state change.
    fn fail(&mut self, id: RequestId, error: Error) {
        let Some(p) = self.take_pending(id) else {
            return;
        };
        if p.keepalive {
            return;
        }
        if let Some(rb) = p.rollback {
            if self.reads.get(&rb.chat) == Some(&rb.after) {
                if let Some(state) = self.reads.set(&rb.chat, rb.before) {
                    self.outbox.event(Event::ReadStateChanged {
                        chat_id: rb.chat,
                        state,
                    });
                }
            }
        }
        self.outbox.resolve(id, Err(error));
    }

    fn take_pending(&mut self, id: RequestId) -> Option<Outgoing> {
        let p = self.pending.remove(id)?.value;
        self.by_confirm.remove(&p.confirm_id);
        self.resolved.insert(&p.confirm_id);
        if self.keepalive == Some(id) {
            self.keepalive = None;
        }
        Some(p)
    }

    fn declare_dead(&mut self, reason: String) {
        self.outbox.event(Event::ConnectionDead {
            reason: reason.clone(),
        });
        self.outbox.control_frame_close(reason);
        self.link = Link::Closing;
        self.next_ping = None;
    }

    // ---- internals: receiving ----

    /// Lets the current socket go: its frames are dropped, confirmed-but-unanswered events wait
    /// for the next connection, a ping in flight fails.
    fn let_go(&mut self) {
        self.link = Link::Down;
        self.next_ping = None;
        self.keepalive = None;
        // Frames for the closed socket: confirmed events among them are still pending and go
        // out again on the next connection; acks and transient events are moot.
        self.outbox.take_transmits();
        for id in self.pending_in_order(None) {
            let Some(p) = self.pending.get(id) else {
                continue;
            };
            if matches!(p.value.event, ClientEvent::Ping) {
                let delivery = if p.sent {
                    crate::error::Delivery::MaybeDelivered
                } else {
                    crate::error::Delivery::NotSent
                };
                self.fail(id, Error::Disconnected { delivery });
            } else {
                self.pending.set_deadline(id, NEVER);
            }
        }
    }

    /// Asks for what every known chat received while the socket was down.
    fn start_catchup(&mut self) {
        let mut jids: Vec<String> = self.reads.iter().map(|(jid, _)| jid.to_string()).collect();
        jids.extend(self.last_messages.keys().cloned());
        jids.sort();
        jids.dedup();
        let auth = self.connect_info().headers;
        let fetches = self.catchup.start(&self.config.team, jids, &auth);
        self.queue_fetches(fetches);
    }

    fn queue_fetches(&mut self, fetches: Vec<crate::transmit::HttpRequest>) {
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

    fn protocol_error(&mut self, raw: &str, reason: String) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, MAX_RAW_KEPT),
            reason,
        });
    }

    fn dispatch(&mut self, event: ServerEvent, params: &Value) {
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
    fn pass_through(&mut self, name: &str, params: &Value) {
        self.outbox.event(Event::Tada {
            name: name.to_string(),
            params: RawJson::from(params),
        });
    }

    fn on_warning(&mut self, w: Warning) {
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

    fn on_messages(&mut self, params: MessagesUpdated, raw: &Value) {
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
                    self.last_messages.insert(chat, info.message_id.clone());
                }
                self.outbox.event(Event::MessageReceived { message });
            }
        }
        self.apply_reads(&params.chat_counters);
        self.on_counters(params.badge, raw.get("team_unread"));
    }

    fn on_chats(&mut self, params: ChatsChanged, raw: &Value) {
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

    fn on_chats_deleted(&mut self, params: ChatsChanged, raw: &Value) {
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

    fn apply_reads(&mut self, chats: &[crate::tada::server_event::ChatInfo]) {
        for info in chats {
            self.apply_read(info);
        }
    }

    fn apply_read(&mut self, info: &crate::tada::server_event::ChatInfo) {
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

    fn on_counters(&mut self, badge: Option<i64>, team_unread: Option<&Value>) {
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
        let value = match parse_lenient(frame) {
            Ok(v) => v,
            Err(reason) => {
                self.protocol_error(frame, format!("not JSON: {reason}"));
                return;
            }
        };
        if !value.is_object() {
            self.protocol_error(frame, "not a JSON object".to_string());
            return;
        }
        if self.link != Link::Down {
            if let Some(cid) = value.get("confirm_id").and_then(str_lenient) {
                self.outbox.control_frame(confirm_frame(&cid));
            }
        }
        let Some(name) = value
            .get("event")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            self.outbox.event(Event::Unknown {
                name: None,
                raw: RawJson::from(value),
            });
            return;
        };
        let params = value.get("params");
        match ServerEvent::decode(&name, params) {
            Ok(Some(event)) => {
                let params = params.cloned().unwrap_or(Value::Null);
                self.dispatch(event, &params);
            }
            Ok(None) => self.outbox.event(Event::Unknown {
                name: Some(name),
                raw: RawJson::from(value),
            }),
            Err(reason) => self.protocol_error(frame, reason),
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
            Answer::Messages { messages } => {
                let raw = serde_json::json!({ "messages": messages });
                match serde_json::from_value::<MessagesUpdated>(raw.clone()) {
                    Ok(params) => self.on_messages(params, &raw),
                    Err(e) => self.protocol_error(&raw.to_string(), format!("history: {e}")),
                }
            }
            Answer::Failed { jid, reason } => self.protocol_error(
                &response.body,
                format!("catching up {jid} failed: {reason}"),
            ),
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
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        if self.link != Link::Up {
            return None;
        }
        [self.next_ping, self.pending.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Asks the host to open the WebSocket ([`Transmit::Connect`] with [`TadaSession::connect_info`]);
    /// the host then calls `handle_connected`, or `handle_closed` if it could not. A connection
    /// open or opening is given up first (the host replaces the socket).
    fn connect(&mut self, _now: Timestamp) -> Result<(), Error> {
        // As in every protocol, connecting replaces a connection open or opening: the app
        // asked for it, so no `Disconnected` is reported.
        if self.link != Link::Down {
            self.let_go();
        }
        self.outbox
            .transmit(Transmit::Connect(self.connect_info()))?;
        self.link = Link::Connecting;
        Ok(())
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
