//! The Talk session: per-room receive loops, commands with retries, read state.

use super::capabilities::{
    TalkCapabilities, CAPABILITIES_PATH, FEATURE_DELETE, FEATURE_EDIT, FEATURE_REACTIONS,
};
use super::config::{TalkConfig, MAX_HISTORY_LIMIT};
use super::conversation::{Conversation, ROOM_API_BASE, ROOM_LIST_INTERVAL_SECS};
use super::mention::Mention;
use super::message::{reactions_of, Parent, SystemMessage, TalkMessage};
use super::ocs::{self, classify, int_header, Envelope, HttpError, Status};
use super::request::{
    chat_path, message_path, reaction_path, room_path, Builder, Planned, Receive,
};
use super::room::{Phase, Room};
use super::snapshot::{OutgoingMessage, RoomSnapshot, TalkSnapshot};
use crate::backoff::Backoff;
use crate::dedupe::SeenSet;
use crate::error::Error;
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::json::truncate;
use crate::model::Message;
use crate::outbox::Outbox;
use crate::pending::PendingTable;
use crate::read_state::{ReadState, ReadStates, ReadUpdate};
use crate::rng::Rng;
use crate::time::Timestamp;
use crate::transmit::{HttpResponse, Transmit};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Deadline of a command that is not waiting on time (in flight, or held).
const NEVER: Timestamp = Timestamp(u64::MAX);

/// Raw text kept in a protocol-error event, so one huge body cannot flood the app.
const RAW_KEPT: usize = 64 * 1024;

/// A server's `Retry-After` is obeyed up to this long; past it the answer is taken as broken.
const MAX_SERVER_WAIT_SECS: u64 = 3600;

const LAST_GIVEN: &str = "X-Chat-Last-Given";
const LAST_COMMON_READ: &str = "X-Chat-Last-Common-Read";
const MODIFIED_BEFORE: &str = "X-Nextcloud-Talk-Modified-Before";

/// What an HTTP exchange in flight is for.
#[derive(Clone, Debug)]
enum Exchange {
    /// A room's first history page.
    History { room: String },
    /// A room's long-poll.
    Poll { room: String },
    /// One attempt of an app command in `room` (kept here: the answer's headers still matter
    /// after the command itself was resolved by its echo).
    Command { command: RequestId, room: String },
    /// The server's capabilities.
    Capabilities,
    /// The room list (`modifiedSince` when set).
    RoomList,
}

/// A message to send, as the app gave it.
#[derive(Clone, Debug)]
struct Outgoing {
    text: String,
    reference_id: String,
    reply_to: Option<i64>,
    silent: bool,
}

#[derive(Clone, Debug)]
enum CommandKind {
    Send(Outgoing),
    MarkRead {
        message_id: i64,
    },
    Mentions {
        search: String,
        limit: u32,
    },
    LoadOlder {
        limit: u32,
    },
    Edit {
        message_id: i64,
        text: String,
    },
    Delete {
        message_id: i64,
    },
    React {
        message_id: i64,
        emoji: String,
        add: bool,
    },
    OpenRoom,
}

impl CommandKind {
    /// The feature the server must have for this command, checked once capabilities are known.
    fn feature(&self) -> Option<&'static str> {
        match self {
            CommandKind::Edit { .. } => Some(FEATURE_EDIT),
            CommandKind::Delete { .. } => Some(FEATURE_DELETE),
            CommandKind::React { .. } => Some(FEATURE_REACTIONS),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CommandState {
    /// Its current attempt is this exchange.
    InFlight(RequestId),
    /// Waiting for its deadline (first try or retry).
    Waiting,
    /// Waiting for the room's loop: a send that may already be on the server waits for a poll
    /// to show its echo; a history page waits for the first history to set its cursor.
    Held,
    /// Waiting for the server's capabilities, which say whether it can do this at all.
    NeedsCapabilities,
}

#[derive(Clone, Debug)]
struct Command {
    room: String,
    kind: CommandKind,
    backoff: Backoff,
    attempts: u32,
    state: CommandState,
}

/// A send still waiting for the server's confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSend {
    /// The id the send reports with ([`Event::Delivered`], [`Event::Response`]).
    pub request: RequestId,
    /// Conversation token.
    pub token: String,
    /// The text.
    pub text: String,
    /// Its idempotency key.
    pub reference_id: String,
}

/// A Nextcloud Talk chat session (sans-IO over HTTP).
///
/// Rooms are received with [`TalkSession::join_room`]; messages sent with
/// [`TalkSession::send_message`]. Command ids come from one table and HTTP exchange ids from another:
/// a command keeps its id across retries while each attempt is a fresh exchange, so the host
/// never sees two requests in flight with the same id.
#[derive(Debug)]
pub struct TalkSession {
    config: TalkConfig,
    requests: Builder,
    rng: Rng,
    outbox: Outbox,
    exchanges: PendingTable<Exchange>,
    commands: PendingTable<Command>,
    rooms: BTreeMap<String, Room>,
    reads: ReadStates,
    /// `token/id` of messages delivered to the app.
    seen: SeenSet,
    /// referenceIds of messages this session sent: their echo is ours, not news.
    own_refs: SeenSet,
    /// What the server can do, once fetched (once per session).
    capabilities: Option<TalkCapabilities>,
    /// The fetch of the capabilities: in flight, or when it is tried again.
    caps_loop: Poller,
    /// The room list refresh, once [`TalkSession::watch_rooms`] started it.
    room_list: Option<RoomList>,
    /// Read markers the room list gave, so a later join starts from them.
    listed_read: BTreeMap<String, i64>,
    /// A 401 was reported: one report, not one per room.
    auth_failed: bool,
    /// Every room of the list is joined ([`TalkSession::join_listed_rooms`]).
    join_listed: bool,
}

/// A loop of single requests (capabilities, room list): one in flight, or the next one's time.
#[derive(Clone, Debug)]
struct Poller {
    in_flight: Option<RequestId>,
    next_at: Option<Timestamp>,
    backoff: Backoff,
    failures: u32,
}

impl Poller {
    fn new(backoff: Backoff, next_at: Option<Timestamp>) -> Self {
        Poller {
            in_flight: None,
            next_at,
            backoff,
            failures: 0,
        }
    }
}

/// The periodic room list.
#[derive(Clone, Debug)]
struct RoomList {
    poller: Poller,
    /// The server's time of the last answer: the next `modifiedSince`.
    since: Option<i64>,
    /// Rooms already announced with [`Event::ChatCreated`].
    known: BTreeSet<String>,
}

impl TalkSession {
    /// A session with no rooms joined.
    pub fn new(config: TalkConfig) -> Self {
        let limits = &config.limits;
        TalkSession {
            requests: Builder::new(&config.user, &config.app_password),
            rng: Rng::new(config.seed),
            outbox: Outbox::new(limits.max_queued as usize)
                .cap_protocol_errors(limits.max_protocol_errors_queued),
            // Bounded by what may be in flight at once: one exchange per command (whose table
            // has the limit), per joined room and per background loop. Room polls must never
            // compete with commands for places, or rooms past the limit would never poll.
            exchanges: PendingTable::new(usize::MAX),
            commands: PendingTable::new(limits.max_pending_requests as usize),
            rooms: BTreeMap::new(),
            reads: ReadStates::new().limited(limits.max_chats),
            seen: SeenSet::new(limits.dedupe_window as usize),
            own_refs: SeenSet::new(limits.dedupe_window as usize),
            capabilities: None,
            caps_loop: Poller::new(Backoff::new(config.backoff_base, config.backoff_max), None),
            room_list: None,
            listed_read: BTreeMap::new(),
            auth_failed: false,
            join_listed: false,
            config,
        }
    }

    /// A session resuming from `snapshot`: rooms long-poll from their cursor (no history
    /// replayed) and unconfirmed messages are sent again with their referenceIds once the host
    /// drives it (`poll_timeout` is due at once). A message that may already be on the server
    /// first waits for its room's next poll, which shows its echo if it arrived.
    ///
    /// The resent messages get new request ids: see [`TalkSession::pending_sends`].
    pub fn restore(config: TalkConfig, snapshot: TalkSnapshot) -> Self {
        let mut s = TalkSession::new(config);
        let limit = s
            .config
            .limits
            .max_pending_requests
            .max(snapshot.outgoing.len() as u32);
        s.commands = PendingTable::new(limit as usize);
        for r in snapshot.rooms {
            let mut room = Room::new(s.backoff(), r.last_given);
            room.oldest_known = r.oldest_known;
            room.last_common_read = r.last_common_read;
            room.last_read = r.last_read;
            room.unread = r.unread;
            s.reads.apply(&r.token, s.read_update(&room));
            s.rooms.insert(r.token, room);
        }
        for o in snapshot.outgoing {
            s.own_refs.insert(&o.reference_id);
            let held = o.maybe_delivered && s.rooms.contains_key(&o.token);
            let command = Command {
                room: o.token,
                kind: CommandKind::Send(Outgoing {
                    text: o.text,
                    reference_id: o.reference_id,
                    reply_to: o.reply_to,
                    silent: o.silent,
                }),
                backoff: s.backoff(),
                attempts: 0,
                state: if held {
                    CommandState::Held
                } else {
                    CommandState::Waiting
                },
            };
            let deadline = if held { NEVER } else { Timestamp(0) };
            if let Ok(id) = s.commands.insert(deadline, command) {
                if o.maybe_delivered {
                    s.commands.mark_sent(id);
                }
            }
        }
        s
    }

    /// The state to keep when the process may die: joined rooms with cursors and read state,
    /// and every message not yet confirmed.
    pub fn snapshot(&self) -> TalkSnapshot {
        TalkSnapshot {
            version: 1,
            rooms: self
                .rooms
                .iter()
                .map(|(token, r)| RoomSnapshot {
                    token: token.clone(),
                    last_given: match r.phase {
                        Phase::Live => r.last_given,
                        Phase::History => None,
                    },
                    oldest_known: r.oldest_known,
                    last_common_read: r.last_common_read,
                    last_read: r.last_read,
                    unread: r.unread.clone(),
                })
                .collect(),
            outgoing: self
                .commands
                .iter()
                .filter_map(|(_, p)| match &p.value.kind {
                    CommandKind::Send(o) => Some(OutgoingMessage {
                        token: p.value.room.clone(),
                        text: o.text.clone(),
                        reference_id: o.reference_id.clone(),
                        reply_to: o.reply_to,
                        silent: o.silent,
                        maybe_delivered: p.sent,
                    }),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Starts receiving `token`: its newest history page, then long-polls. Joining a room that
    /// is already joined does nothing. With no read marker known, only messages that arrive
    /// after the history count as unread (use [`TalkSession::join_room_from`] when the app knows it).
    pub fn join_room(&mut self, now: Timestamp, token: &str) -> Result<(), Error> {
        self.join(now, token, None)
    }

    /// Like [`TalkSession::join_room`] for an app that knows the room's `lastReadMessage` (from the
    /// room list): the history ends at that message and every later one comes through the
    /// long-poll and counts as unread.
    pub fn join_room_from(
        &mut self,
        now: Timestamp,
        token: &str,
        last_read_message_id: i64,
    ) -> Result<(), Error> {
        self.join(now, token, Some(last_read_message_id))
    }

    fn join(&mut self, now: Timestamp, token: &str, last_read: Option<i64>) -> Result<(), Error> {
        check_token(token)?;
        if !self.rooms.contains_key(token) {
            let mut room = Room::new(self.backoff(), None);
            room.last_read = last_read.or_else(|| self.listed_read.get(token).copied());
            self.rooms.insert(token.to_string(), room);
        }
        self.drive(now);
        Ok(())
    }

    /// Stops receiving `token` (the app's interest ends; Talk's own "leave" is a room API call).
    /// Returns whether it was joined. Its request in flight is forgotten: a late answer is
    /// ignored.
    pub fn leave_room(&mut self, token: &str) -> bool {
        let Some(room) = self.rooms.remove(token) else {
            return false;
        };
        if let Some(id) = room.in_flight {
            self.exchanges.remove(id);
        }
        if let Some(id) = room.loading_older {
            let held = self
                .commands
                .get(id)
                .is_some_and(|p| p.value.state == CommandState::Held);
            if held {
                self.finish(
                    id,
                    Err(Error::InvalidArgument {
                        reason: "the room was left before its history was read".into(),
                    }),
                );
            }
        }
        // A send that waited for this room's poll to show its echo goes out now.
        self.release_held(token, |_| true);
        true
    }

    /// The rooms being received.
    pub fn joined_rooms(&self) -> impl Iterator<Item = &str> {
        self.rooms.keys().map(String::as_str)
    }

    /// The long-poll cursor of `token` (next `lastKnownMessageId`), once its history is read.
    pub fn cursor(&self, token: &str) -> Option<i64> {
        self.rooms
            .get(token)
            .filter(|r| r.phase == Phase::Live)
            .and_then(|r| r.last_given)
    }

    /// What is known of `token`'s read state.
    pub fn read_state(&self, token: &str) -> Option<&ReadState> {
        self.reads.get(token)
    }

    /// Sends still waiting for the server's confirmation, by request id.
    pub fn pending_sends(&self) -> Vec<PendingSend> {
        self.commands
            .iter()
            .filter_map(|(id, p)| match &p.value.kind {
                CommandKind::Send(o) => Some(PendingSend {
                    request: id,
                    token: p.value.room.clone(),
                    text: o.text.clone(),
                    reference_id: o.reference_id.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Posts `text` to `token`, optionally as a reply to message `reply_to` and `silent` (no
    /// notification). A random 64-hex-digit referenceId marks it; failures in transit are retried
    /// with the same one. The answer is [`Event::Delivered`] then [`Event::Response`] with
    /// [`Reply::MessageSent`]; its echo in the poll is not delivered again.
    pub fn send_message(
        &mut self,
        now: Timestamp,
        token: &str,
        text: &str,
        reply_to: Option<i64>,
        silent: bool,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        if text.trim().is_empty() {
            return Err(Error::InvalidArgument {
                reason: "the message is empty".into(),
            });
        }
        // The server counts characters (mb_strlen), not bytes.
        self.check_length(text)?;
        let reference_id = self.rng.hex(64);
        let id = self.command(
            now,
            token,
            CommandKind::Send(Outgoing {
                text: text.to_string(),
                reference_id: reference_id.clone(),
                reply_to,
                silent,
            }),
        )?;
        self.own_refs.insert(&reference_id);
        Ok(id)
    }

    /// The longest message the server takes: its `max-length` once the capabilities are
    /// known, else [`TalkConfig::max_length`].
    pub fn max_length(&self) -> u32 {
        self.capabilities
            .as_ref()
            .and_then(|c| c.max_length)
            .unwrap_or(self.config.max_length)
    }

    fn check_length(&self, text: &str) -> Result<(), Error> {
        // The server counts characters (mb_strlen), not bytes.
        let length = text.chars().count();
        let limit = self.max_length();
        if length > limit as usize {
            return Err(Error::MessageTooLong {
                length: length as u64,
                limit: limit as u64,
            });
        }
        Ok(())
    }

    /// The server's capabilities, once fetched.
    pub fn capabilities(&self) -> Option<&TalkCapabilities> {
        self.capabilities.as_ref()
    }

    /// Replaces message `message_id` of `token` by `text` (`PUT /chat/{token}/{messageId}`,
    /// Talk 19+), answered with [`Reply::Message`] (the message as edited). A server without
    /// the `edit-messages` capability, or one answering 405, fails it with
    /// [`HttpError::Unsupported`]. Every reader then gets [`Event::MessageEdited`].
    pub fn edit_message(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
        text: &str,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        if text.trim().is_empty() {
            return Err(Error::InvalidArgument {
                reason: "the message is empty".into(),
            });
        }
        self.check_length(text)?;
        self.command(
            now,
            token,
            CommandKind::Edit {
                message_id,
                text: text.to_string(),
            },
        )
    }

    /// Deletes message `message_id` of `token` (`DELETE /chat/{token}/{messageId}`), answered
    /// with [`Reply::Empty`]; every reader then gets [`Event::MessageRemoved`].
    pub fn delete_message(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        self.command(now, token, CommandKind::Delete { message_id })
    }

    /// Adds this user's `emoji` to message `message_id` (`POST /reaction/{token}/{messageId}`),
    /// answered with [`Reply::Empty`] after [`Event::ReactionsChanged`].
    pub fn react(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
        emoji: &str,
    ) -> Result<RequestId, Error> {
        self.reaction(now, token, message_id, emoji, true)
    }

    /// Takes back this user's `emoji` from message `message_id`
    /// (`DELETE /reaction/{token}/{messageId}`); like [`TalkSession::react`].
    pub fn unreact(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
        emoji: &str,
    ) -> Result<RequestId, Error> {
        self.reaction(now, token, message_id, emoji, false)
    }

    fn reaction(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
        emoji: &str,
        add: bool,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        if emoji.trim().is_empty() {
            return Err(Error::InvalidArgument {
                reason: "no emoji given".into(),
            });
        }
        self.command(
            now,
            token,
            CommandKind::React {
                message_id,
                emoji: emoji.to_string(),
                add,
            },
        )
    }

    /// Looks `token` up (`GET /room/{token}`) and joins it from the server's read marker, so
    /// the unread count is the server's; answered with [`Reply::Chat`]. A room that does not
    /// exist (or this user is not in) fails it with [`HttpError::NotFound`]. For a room
    /// already joined it only takes the server's read marker.
    pub fn open_room(&mut self, now: Timestamp, token: &str) -> Result<RequestId, Error> {
        check_token(token)?;
        self.command(now, token, CommandKind::OpenRoom)
    }

    /// Starts reading the room list (`GET /api/v4/room`) now and then every 30 s with
    /// `modifiedSince`, as the Talk apps do: each room is reported with [`Event::ChatCreated`]
    /// (first time) or [`Event::ChatUpdated`], and its read state from the server's
    /// `unreadMessages` / `lastReadMessage` / `lastCommonReadMessage`. A joined room takes
    /// only a read marker that moved forward (read on another device).
    pub fn watch_rooms(&mut self, now: Timestamp) {
        if self.room_list.is_none() {
            self.room_list = Some(RoomList {
                poller: Poller::new(self.backoff(), Some(now)),
                since: None,
                known: BTreeSet::new(),
            });
        }
        self.drive(now);
    }

    /// Like [`TalkSession::watch_rooms`], and joins every room the list shows (now and later)
    /// from its read marker: the whole account is received, however many rooms it has.
    pub fn join_listed_rooms(&mut self, now: Timestamp) {
        self.join_listed = true;
        let listed: Vec<(String, i64)> = self
            .listed_read
            .iter()
            .map(|(t, r)| (t.clone(), *r))
            .collect();
        for (token, read) in listed {
            if !self.rooms.contains_key(&token) {
                let _ = self.join(now, &token, Some(read));
            }
        }
        self.watch_rooms(now);
    }

    /// Sets this user's read marker in `token` to `message_id` (`POST /chat/{token}/read`).
    /// The read state changes when the server confirms; locally the marker only moves forward,
    /// so a late confirmation never undoes a newer one.
    pub fn mark_read_up_to(
        &mut self,
        now: Timestamp,
        token: &str,
        message_id: i64,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        self.command(now, token, CommandKind::MarkRead { message_id })
    }

    /// Mention suggestions for `search` in `token` (at most `limit`), answered with
    /// [`Reply::Mentions`].
    pub fn mentions(
        &mut self,
        now: Timestamp,
        token: &str,
        search: &str,
        limit: u32,
    ) -> Result<RequestId, Error> {
        check_token(token)?;
        self.command(
            now,
            token,
            CommandKind::Mentions {
                search: search.to_string(),
                limit: limit.max(1),
            },
        )
    }

    /// The page of at most `limit` (≤ 200) messages older than the oldest one received in the
    /// joined room `token`, answered with [`Reply::Messages`] (oldest first; empty when there
    /// are no older ones). Pages follow each other: one call, the next older page.
    pub fn load_older(
        &mut self,
        now: Timestamp,
        token: &str,
        limit: u32,
    ) -> Result<RequestId, Error> {
        let Some(room) = self.rooms.get(token) else {
            return Err(Error::InvalidArgument {
                reason: "the room is not joined".into(),
            });
        };
        if room.loading_older.is_some() {
            return Err(Error::InvalidArgument {
                reason: "an older page of this room is already loading".into(),
            });
        }
        let id = self.command(
            now,
            token,
            CommandKind::LoadOlder {
                limit: limit.clamp(1, MAX_HISTORY_LIMIT),
            },
        )?;
        if let Some(room) = self.rooms.get_mut(token) {
            room.loading_older = Some(id);
        }
        Ok(id)
    }

    // ---- commands -------------------------------------------------------------------------

    fn backoff(&self) -> Backoff {
        Backoff::new(self.config.backoff_base, self.config.backoff_max)
    }

    /// Registers a command and sends its first attempt (or holds it for the room's loop).
    fn command(
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
        let command = Command {
            room: token.to_string(),
            kind,
            backoff: self.backoff(),
            attempts: 0,
            state: if needs_caps {
                CommandState::NeedsCapabilities
            } else if hold {
                CommandState::Held
            } else {
                CommandState::Waiting
            },
        };
        let id = self.commands.insert(NEVER, command)?;
        if !hold {
            if let Err(e) = self.dispatch(now, id) {
                self.commands.remove(id);
                return Err(e);
            }
        }
        self.drive(now);
        Ok(id)
    }

    /// Sends one attempt of command `id`.
    fn dispatch(&mut self, now: Timestamp, id: RequestId) -> Result<(), Error> {
        let Some(p) = self.commands.get(id) else {
            return Ok(());
        };
        let token = p.value.room.clone();
        let timeout = self.config.limits.request_timeout;
        let planned = match &p.value.kind {
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
        let exchange = self.queue(
            now,
            Exchange::Command {
                command: id,
                room: token.clone(),
            },
            timeout,
            planned,
        )?;
        self.commands.mark_sent(id);
        self.commands.set_deadline(id, NEVER);
        if let Some(p) = self.commands.get_mut(id) {
            p.value.attempts += 1;
            p.value.state = CommandState::InFlight(exchange);
        }
        Ok(())
    }

    /// Hands a request to the host, registered for its answer within `timeout`.
    fn queue(
        &mut self,
        now: Timestamp,
        exchange: Exchange,
        timeout: Duration,
        planned: Planned,
    ) -> Result<RequestId, Error> {
        if !self.outbox.has_room() {
            return Err(Error::QueueFull {
                limit: self.config.limits.max_queued as u64,
            });
        }
        let id = self.exchanges.insert(now.add(timeout), exchange)?;
        let request = self.requests.build(id, planned);
        if let Err(e) = self.outbox.transmit(Transmit::Http(request)) {
            self.exchanges.remove(id);
            return Err(e);
        }
        self.exchanges.mark_sent(id);
        Ok(id)
    }

    /// A transient failure of command `id`: try again after a backoff, or report `error` once
    /// the attempts are used up.
    fn retry_or_fail(
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
            self.finish(id, Err(error));
            return;
        }
        let delay = wait(p.value.backoff.next_delay(&mut self.rng), min_wait);
        p.value.state = CommandState::Waiting;
        p.deadline = now.add(delay);
        let attempt = p.value.attempts;
        self.report_failure(reason, attempt, delay);
    }

    /// Tells the app that an attempt failed and when the next one goes: a server that cannot
    /// be reached must not look like a quiet one.
    fn report_failure(&mut self, reason: String, attempt: u32, delay: Duration) {
        self.outbox.event(Event::ConnectFailed {
            reason,
            permanent: false,
            retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            attempt: attempt.max(1),
        });
    }

    /// Credentials were refused: reported once (every room's loop gets the same 401).
    fn report_auth_failed(&mut self, error: &Error) {
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
    fn finish(&mut self, id: RequestId, result: Result<Reply, Error>) {
        let Some(p) = self.commands.remove(id) else {
            return;
        };
        if let Some(room) = self.rooms.get_mut(&p.value.room) {
            if room.loading_older == Some(id) {
                room.loading_older = None;
            }
        }
        self.outbox.resolve(id, result);
    }

    /// Lets held commands of `token` that `ready` accepts go out at the next drive.
    fn release_held(&mut self, token: &str, ready: impl Fn(&CommandKind) -> bool) {
        let ids: Vec<RequestId> = self
            .commands
            .iter()
            .filter(|(_, p)| {
                p.value.state == CommandState::Held && p.value.room == token && ready(&p.value.kind)
            })
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            if let Some(p) = self.commands.get_mut(id) {
                p.value.state = CommandState::Waiting;
                p.deadline = Timestamp(0);
            }
        }
    }

    /// A send is confirmed (201, or its echo came first).
    fn confirm_send(&mut self, id: RequestId, token: &str, message: Option<&TalkMessage>) {
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

    fn on_command_response(
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
            if classify(&response) == Status::Success {
                self.command_common_read(room, &response);
            }
            return;
        };
        if p.value.state != CommandState::InFlight(exchange) {
            return;
        }
        let token = p.value.room.clone();
        let kind = p.value.kind.clone();
        match classify(&response) {
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

    fn on_command_success(
        &mut self,
        now: Timestamp,
        id: RequestId,
        token: &str,
        kind: CommandKind,
        response: &HttpResponse,
    ) {
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
                    self.seen.insert(&seen_key(token, m.id));
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
                        if let Some(state) = self.reads.apply(token, update) {
                            self.outbox.event(Event::ReadStateChanged {
                                chat_id: token.to_string(),
                                state,
                            });
                        }
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
                        let mut messages = self.parse_messages(&items);
                        messages.sort_by_key(|(m, _)| m.id);
                        if let Some(room) = self.rooms.get_mut(token) {
                            for (m, _) in &messages {
                                room.saw_old(m.id);
                            }
                            if let Some(given) = int_header(response, LAST_GIVEN) {
                                room.saw_old(given);
                            }
                        }
                        let user = self.config.user.clone();
                        let messages: Vec<Message> = messages
                            .into_iter()
                            // Edits, deletions and reactions show in their parents.
                            .filter(|(m, _)| !m.is_about_parent())
                            .map(|(m, raw)| {
                                let own = self.is_own(&m, &user);
                                m.to_message(raw, own)
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
    fn opened(&mut self, now: Timestamp, c: Conversation) {
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

    // ---- receive loop ---------------------------------------------------------------------

    /// Sends the next request of `token`'s loop.
    fn start_loop(&mut self, now: Timestamp, token: &str) {
        let Some(room) = self.rooms.get(token) else {
            return;
        };
        let limit = self.config.effective_history_limit();
        let (exchange, receive, timeout) = match room.phase {
            Phase::History => (
                Exchange::History {
                    room: token.to_string(),
                },
                Receive {
                    look_into_future: false,
                    limit,
                    // Marker 0: nothing read yet, the newest page is all unread.
                    last_known: room.last_read.filter(|r| *r > 0),
                    include_last_known: room.last_read.is_some_and(|r| r > 0),
                    timeout: None,
                    last_common_read: None,
                },
                self.config.limits.request_timeout,
            ),
            Phase::Live => {
                let wait = self.config.effective_poll_timeout_secs();
                (
                    Exchange::Poll {
                        room: token.to_string(),
                    },
                    Receive {
                        look_into_future: true,
                        limit,
                        last_known: room.last_given,
                        include_last_known: false,
                        timeout: Some(wait),
                        last_common_read: room.last_common_read,
                    },
                    // The server holds a quiet poll for `wait` seconds: our deadline must leave
                    // it that long plus the usual answer time, or every quiet poll times out.
                    Duration::from_secs(u64::from(wait)) + self.config.limits.request_timeout,
                )
            }
        };
        let path = receive.path(token);
        match self.queue(now, exchange, timeout, Planned::Get { path }) {
            Ok(id) => {
                if let Some(room) = self.rooms.get_mut(token) {
                    room.in_flight = Some(id);
                    room.next_poll_at = None;
                }
            }
            // Our own queue is full: not the server's fault, nothing to report.
            Err(_) => self.loop_backoff(now, token, None, None),
        }
    }

    /// The loop of `token` failed: wait before its next request, and say so (`reason`) when
    /// the failure was the server's or the network's.
    fn loop_backoff(
        &mut self,
        now: Timestamp,
        token: &str,
        min_wait: Option<u64>,
        reason: Option<String>,
    ) {
        let Some(room) = self.rooms.get_mut(token) else {
            return;
        };
        let delay = wait(room.backoff.next_delay(&mut self.rng), min_wait);
        room.in_flight = None;
        room.next_poll_at = Some(now.add(delay));
        if let Some(reason) = reason {
            room.failures = room.failures.saturating_add(1);
            let attempt = room.failures;
            self.report_failure(format!("{token}: {reason}"), attempt, delay);
        }
    }

    /// The loop of `token` succeeded: go on at once.
    fn loop_continue(&mut self, now: Timestamp, token: &str) {
        if let Some(room) = self.rooms.get_mut(token) {
            room.backoff.reset();
            room.failures = 0;
            room.in_flight = None;
            room.phase = Phase::Live;
            room.next_poll_at = Some(now);
        }
    }

    fn stop_room(&mut self, token: &str, error: Error) {
        self.leave_room(token);
        self.outbox.event(Event::RoomStopped {
            chat_id: token.to_string(),
            error,
        });
    }

    fn on_loop_response(
        &mut self,
        now: Timestamp,
        token: &str,
        id: RequestId,
        response: HttpResponse,
        history: bool,
    ) {
        if self.rooms.get(token).and_then(|r| r.in_flight) != Some(id) {
            return;
        }
        match classify(&response) {
            Status::Success => match self.decode(&response) {
                Ok(Value::Array(items)) => {
                    let messages = self.parse_messages(&items);
                    if history {
                        self.on_history(token, messages, &response);
                    } else {
                        self.on_poll(token, messages, &response);
                    }
                    self.common_read_header(token, &response);
                    self.publish_read(token);
                    self.loop_continue(now, token);
                    self.after_loop_success(token, history);
                }
                Ok(other) => {
                    self.protocol_error(
                        &response.body,
                        format!("expected an array of messages, got {}", kind_of(&other)),
                    );
                    let reason = Some("the answer was not a list of messages".to_string());
                    self.loop_backoff(now, token, None, reason);
                }
                Err(e) => self.loop_backoff(now, token, None, Some(e.to_string())),
            },
            Status::NotModified => {
                if history {
                    // An empty room: the long-poll starts after the read marker, if any.
                    if let Some(room) = self.rooms.get_mut(token) {
                        room.last_given = room.last_read.filter(|r| *r > 0).or(room.last_given);
                    }
                }
                self.loop_continue(now, token);
                self.after_loop_success(token, history);
            }
            Status::Fatal(e @ Error::AuthFailed { .. }) => {
                self.report_auth_failed(&e);
                self.stop_room(token, e);
            }
            Status::Fatal(e @ Error::Talk(HttpError::NotFound | HttpError::Lobby)) => {
                self.stop_room(token, e)
            }
            Status::Fatal(e) | Status::Transient(e) => {
                let min = ocs::min_wait_secs(&e, Some(&response));
                let reason = failure_reason(&e, Some(&response));
                self.loop_backoff(now, token, min, Some(reason));
            }
        }
    }

    fn after_loop_success(&mut self, token: &str, history: bool) {
        // History pages start from the cursor the first history set.
        self.release_held(token, |k| matches!(k, CommandKind::LoadOlder { .. }));
        if !history {
            // This poll would have shown the echo of a send that reached the server.
            self.release_held(token, |k| matches!(k, CommandKind::Send(_)));
        }
    }

    /// The first history page: newest first from the server, delivered oldest first.
    fn on_history(
        &mut self,
        token: &str,
        messages: Vec<(TalkMessage, Value)>,
        response: &HttpResponse,
    ) {
        let newest = messages.iter().map(|(m, _)| m.id).max();
        let oldest = int_header(response, LAST_GIVEN).or(messages.iter().map(|(m, _)| m.id).min());
        let Some(room) = self.rooms.get_mut(token) else {
            return;
        };
        let start = room.last_read;
        if let Some(o) = oldest {
            room.saw_old(o);
        }
        // With a read marker the page ends at it and the poll brings everything after; without
        // one (or marker 0, nothing read), the poll starts after the newest message shown.
        room.last_given = start.filter(|r| *r > 0).or(newest).or(room.last_given);
        // Without a read marker nothing tells which history messages are unread.
        self.deliver(token, messages, start.is_some());
    }

    fn on_poll(
        &mut self,
        token: &str,
        messages: Vec<(TalkMessage, Value)>,
        response: &HttpResponse,
    ) {
        let newest = messages.iter().map(|(m, _)| m.id).max();
        if let Some(room) = self.rooms.get_mut(token) {
            // A 200 with no messages still moves the cursor: the header is the next offset.
            room.last_given = int_header(response, LAST_GIVEN)
                .or(newest)
                .or(room.last_given);
            if let Some(oldest) = messages.iter().map(|(m, _)| m.id).min() {
                room.saw_old(oldest);
            }
        }
        self.deliver(token, messages, true);
    }

    /// Hands new messages to the app once each, recognizing our own echoes.
    fn deliver(
        &mut self,
        token: &str,
        mut messages: Vec<(TalkMessage, Value)>,
        count_unread: bool,
    ) {
        messages.sort_by_key(|(m, _)| m.id);
        let user = self.config.user.clone();
        let cap = self.config.limits.dedupe_window;
        for (m, raw) in messages {
            if !self.seen.insert(&seen_key(token, m.id)) {
                continue;
            }
            if m.is_about_parent() {
                // In a first history page the parents come as they are now: nothing to tell.
                if self
                    .rooms
                    .get(token)
                    .is_some_and(|r| r.phase == Phase::Live)
                {
                    self.on_parent_change(token, &m, &raw);
                }
                continue;
            }
            let echo = m
                .reference_id
                .as_deref()
                .is_some_and(|r| self.own_refs.contains(r));
            let own = echo || self.is_own(&m, &user);
            if let Some(room) = self.rooms.get_mut(token) {
                if own {
                    // Posting moves the author's read marker in Talk.
                    room.advance_read(m.id);
                } else if count_unread
                    && m.counts_as_unread()
                    && room.last_read.is_none_or(|r| m.id > r)
                {
                    room.unread.add(m.id, cap as usize);
                }
            }
            if echo {
                let reference = m.reference_id.clone().unwrap_or_default();
                if let Some(id) = self.send_with_reference(&reference) {
                    self.confirm_send(id, token, Some(&m));
                }
                continue;
            }
            self.outbox.event(Event::MessageReceived {
                message: m.to_message(raw, own),
            });
        }
    }

    /// A system message about another message: report the change on its parent.
    fn on_parent_change(&mut self, token: &str, m: &TalkMessage, raw: &Value) {
        let Some(parent) = &m.parent else {
            return;
        };
        let parent_id = parent.id();
        match m.system_message {
            Some(SystemMessage::MessageEdited) => {
                if let (Parent::Message { message }, Some(raw_parent)) = (parent, raw.get("parent"))
                {
                    let own = self.is_own(message, &self.config.user);
                    let mut edited = message.to_message(raw_parent.clone(), own);
                    edited.edited = true;
                    if edited.chat_id.is_none() {
                        edited.chat_id = Some(token.to_string());
                    }
                    self.outbox.event(Event::MessageEdited { message: edited });
                }
            }
            Some(SystemMessage::MessageDeleted) => {
                if let Some(room) = self.rooms.get_mut(token) {
                    room.forget_unread(parent_id);
                }
                self.outbox.event(Event::MessageRemoved {
                    chat_id: Some(token.to_string()),
                    message_id: parent_id.to_string(),
                    by: Some(m.actor_id.clone()).filter(|a| !a.is_empty()),
                });
            }
            Some(SystemMessage::Reaction | SystemMessage::ReactionRevoked) => {
                let reactions = raw.get("parent").map(reactions_of).unwrap_or_default();
                self.outbox.event(Event::ReactionsChanged {
                    chat_id: token.to_string(),
                    message_id: parent_id.to_string(),
                    reactions,
                });
            }
            // The old `reaction` entry, rewritten: its `reaction_revoked` tells the change.
            _ => {}
        }
    }

    fn send_with_reference(&self, reference: &str) -> Option<RequestId> {
        self.commands
            .iter()
            .find(|(_, p)| matches!(&p.value.kind, CommandKind::Send(o) if o.reference_id == reference))
            .map(|(id, _)| id)
    }

    fn is_own(&self, m: &TalkMessage, user: &str) -> bool {
        m.actor_type == "users" && m.actor_id == user
            || m.reference_id
                .as_deref()
                .is_some_and(|r| self.own_refs.contains(r))
    }

    // ---- capabilities and the room list ------------------------------------------------------

    fn start_capabilities(&mut self, now: Timestamp) {
        let timeout = self.config.limits.request_timeout;
        let planned = Planned::Get {
            path: CAPABILITIES_PATH.to_string(),
        };
        if let Ok(id) = self.queue(now, Exchange::Capabilities, timeout, planned) {
            self.caps_loop.in_flight = Some(id);
            self.caps_loop.next_at = None;
        }
    }

    fn on_capabilities(&mut self, now: Timestamp, response: HttpResponse) {
        self.caps_loop.in_flight = None;
        match classify(&response) {
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

    fn caps_failed(
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
    fn set_capabilities(&mut self, caps: TalkCapabilities) {
        let waiting: Vec<(RequestId, Option<&'static str>)> = self
            .commands
            .iter()
            .filter(|(_, p)| p.value.state == CommandState::NeedsCapabilities)
            .map(|(id, p)| (id, p.value.kind.feature()))
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

    fn fail_needing_capabilities(&mut self, error: &Error) {
        let waiting: Vec<RequestId> = self
            .commands
            .iter()
            .filter(|(_, p)| p.value.state == CommandState::NeedsCapabilities)
            .map(|(id, _)| id)
            .collect();
        for id in waiting {
            self.finish(id, Err(error.clone()));
        }
    }

    fn start_room_list(&mut self, now: Timestamp) {
        let Some(list) = &self.room_list else {
            return;
        };
        let query: Vec<(&str, String)> = list
            .since
            .map(|t| vec![("modifiedSince", t.to_string())])
            .unwrap_or_default();
        let planned = Planned::Get {
            path: Planned::with_query(format!("{ROOM_API_BASE}/room"), &query),
        };
        let timeout = self.config.limits.request_timeout;
        if let Ok(id) = self.queue(now, Exchange::RoomList, timeout, planned) {
            if let Some(list) = &mut self.room_list {
                list.poller.in_flight = Some(id);
                list.poller.next_at = None;
            }
        }
    }

    fn on_room_list(&mut self, now: Timestamp, response: HttpResponse) {
        if let Some(list) = &mut self.room_list {
            list.poller.in_flight = None;
        }
        match classify(&response) {
            Status::Success => match self.decode(&response) {
                Ok(Value::Array(items)) => {
                    let since = int_header(&response, MODIFIED_BEFORE);
                    for item in &items {
                        match Conversation::from_json(item, &self.config.user) {
                            Ok(c) => {
                                let (token, read) = (c.token.clone(), c.last_read);
                                self.listed(c);
                                if self.join_listed && !self.rooms.contains_key(&token) {
                                    let _ = self.join(now, &token, read);
                                }
                            }
                            Err(reason) => self.protocol_error(&item.to_string(), reason),
                        }
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

    fn list_failed(
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

    /// One room of the list: announced, and its read state taken.
    fn listed(&mut self, c: Conversation) {
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
                if let Some(state) = self.reads.apply(&token, update) {
                    self.outbox.event(Event::ReadStateChanged {
                        chat_id: token.clone(),
                        state,
                    });
                }
            }
        }
        let chat = c.chat;
        self.outbox.event(if first {
            Event::ChatCreated { chat }
        } else {
            Event::ChatUpdated { chat }
        });
    }

    // ---- read state -----------------------------------------------------------------------

    fn read_update(&self, room: &Room) -> ReadUpdate {
        ReadUpdate {
            unread: Some(room.unread.count()),
            last_read_message_id: room.last_read.map(|id| id.to_string()),
            last_common_read_id: room.last_common_read.map(|id| id.to_string()),
            ..Default::default()
        }
    }

    /// Reports `token`'s read state if it changed.
    fn publish_read(&mut self, token: &str) {
        let Some(room) = self.rooms.get(token) else {
            return;
        };
        let update = self.read_update(room);
        if let Some(state) = self.reads.apply(token, update) {
            self.outbox.event(Event::ReadStateChanged {
                chat_id: token.to_string(),
                state,
            });
        }
    }

    /// Takes `X-Chat-Last-Common-Read` from any answer that carries it.
    fn common_read_header(&mut self, token: &str, response: &HttpResponse) {
        let Some(common) = int_header(response, LAST_COMMON_READ) else {
            return;
        };
        match self.rooms.get_mut(token) {
            Some(room) => room.last_common_read = Some(common),
            None => {
                let update = ReadUpdate {
                    last_common_read_id: Some(common.to_string()),
                    ..Default::default()
                };
                if let Some(state) = self.reads.apply(token, update) {
                    self.outbox.event(Event::ReadStateChanged {
                        chat_id: token.to_string(),
                        state,
                    });
                }
            }
        }
    }

    /// A command's answer carried the common read marker: take it and report the room's state
    /// (the poll loop reports its own answers; commands answer outside it).
    fn command_common_read(&mut self, token: &str, response: &HttpResponse) {
        self.common_read_header(token, response);
        self.publish_read(token);
    }

    // ---- decoding -------------------------------------------------------------------------

    /// The OCS `data` of a success body; a body too large or unreadable is reported as a
    /// protocol error and returned as the error a command resolves with.
    fn decode(&mut self, response: &HttpResponse) -> Result<Value, Error> {
        let limit = self.config.limits.max_frame_bytes;
        let size = response.body.len();
        if size > limit as usize {
            self.protocol_error(
                &response.body,
                format!("body of {size} bytes exceeds the limit of {limit}"),
            );
            return Err(Error::FrameTooLarge {
                size: size as u64,
                limit: limit as u64,
            });
        }
        match Envelope::decode(&response.body) {
            Ok(envelope) => Ok(envelope.data),
            Err(reason) => {
                self.protocol_error(&response.body, reason.clone());
                Err(Error::InvalidFrame { reason })
            }
        }
    }

    /// Decodes each message on its own, so one bad entry does not hide the others.
    fn parse_messages(&mut self, items: &[Value]) -> Vec<(TalkMessage, Value)> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match TalkMessage::from_json(item) {
                Ok(m) => out.push((m, item.clone())),
                Err(reason) => self.protocol_error(&item.to_string(), reason),
            }
        }
        out
    }

    fn protocol_error(&mut self, raw: &str, reason: impl Into<String>) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, RAW_KEPT),
            reason: reason.into(),
        });
    }

    // ---- time -----------------------------------------------------------------------------

    /// Does whatever is due at `now`: expired exchanges, command retries, room loops.
    fn drive(&mut self, now: Timestamp) {
        for (id, p) in self.exchanges.take_expired(now) {
            match p.value {
                Exchange::History { room } | Exchange::Poll { room } => {
                    if self.rooms.get(&room).and_then(|r| r.in_flight) == Some(id) {
                        let reason = Some(Error::Timeout.to_string());
                        self.loop_backoff(now, &room, None, reason);
                    }
                }
                Exchange::Command { command, .. } => {
                    let current = self
                        .commands
                        .get(command)
                        .is_some_and(|c| c.value.state == CommandState::InFlight(id));
                    if current {
                        let reason = failure_reason(&Error::Timeout, None);
                        self.retry_or_fail(now, command, Error::Timeout, None, reason);
                    }
                }
                Exchange::Capabilities => {
                    if self.caps_loop.in_flight == Some(id) {
                        self.caps_failed(now, None, &Error::Timeout, None);
                    }
                }
                Exchange::RoomList => {
                    if self.room_list.as_ref().and_then(|l| l.poller.in_flight) == Some(id) {
                        self.list_failed(now, None, &Error::Timeout, None);
                    }
                }
            }
        }
        let due: Vec<RequestId> = self
            .commands
            .iter()
            .filter(|(_, p)| p.value.state == CommandState::Waiting && p.deadline <= now)
            .map(|(id, _)| id)
            .collect();
        for id in due {
            if self.dispatch(now, id).is_err() {
                // The host is not draining or too much is in flight: try again later rather
                // than lose the command.
                if let Some(p) = self.commands.get_mut(id) {
                    let delay = p.value.backoff.next_delay(&mut self.rng);
                    p.deadline = now.add(delay);
                }
            }
        }
        let rooms: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.in_flight.is_none() && r.next_poll_at.is_some_and(|t| t <= now))
            .map(|(t, _)| t.clone())
            .collect();
        for token in rooms {
            self.start_loop(now, &token);
        }
        let caps_wanted = self.capabilities.is_none()
            && self.caps_loop.in_flight.is_none()
            && self
                .commands
                .iter()
                .any(|(_, p)| p.value.state == CommandState::NeedsCapabilities);
        if caps_wanted && self.caps_loop.next_at.is_none_or(|t| t <= now) {
            self.start_capabilities(now);
        }
        let list_due = self.room_list.as_ref().is_some_and(|l| {
            l.poller.in_flight.is_none() && l.poller.next_at.is_some_and(|t| t <= now)
        });
        if list_due {
            self.start_room_list(now);
        }
    }
}

/// `base`, but at least what the server asked for.
fn wait(base: Duration, min_wait_secs: Option<u64>) -> Duration {
    match min_wait_secs {
        Some(s) => base.max(Duration::from_secs(s.min(MAX_SERVER_WAIT_SECS))),
        None => base,
    }
}

/// What a failed attempt reports: the host's reason for a request that got no answer (it names
/// TLS-to-plain-HTTP and refused connections), else the error with the server's status.
fn failure_reason(error: &Error, response: Option<&HttpResponse>) -> String {
    match response {
        Some(r) if r.status == 0 && !r.body.trim().is_empty() => {
            format!("no answer: {}", truncate(r.body.trim(), 500))
        }
        _ => error.to_string(),
    }
}

fn unsupported(feature: &str) -> Error {
    Error::Talk(HttpError::Unsupported {
        feature: feature.to_string(),
    })
}

fn seen_key(token: &str, id: i64) -> String {
    format!("{token}/{id}")
}

fn check_token(token: &str) -> Result<(), Error> {
    if token.is_empty() {
        return Err(Error::InvalidArgument {
            reason: "empty conversation token".into(),
        });
    }
    Ok(())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn unexpected(expected: &str, got: &Value) -> Error {
    Error::UnexpectedResponse {
        reason: format!("expected {expected}, got {}", kind_of(got)),
    }
}

fn parse_id(what: &str, value: &str) -> Result<i64, Error> {
    value.trim().parse().map_err(|_| Error::InvalidArgument {
        reason: format!("{what} {value:?} is not a Talk message id (an integer)"),
    })
}

impl crate::session::Session for TalkSession {
    /// Talk has no WebSocket: nothing to do.
    fn handle_connected(&mut self, now: Timestamp) {
        self.drive(now);
    }

    /// Talk has no WebSocket: a frame here is a host mistake, reported and otherwise ignored.
    fn handle_frame(&mut self, now: Timestamp, frame: &str) {
        self.protocol_error(
            frame,
            "Talk speaks HTTP only: a WebSocket frame was ignored",
        );
        self.drive(now);
    }

    fn handle_http_response(&mut self, now: Timestamp, id: RequestId, response: HttpResponse) {
        if let Some(p) = self.exchanges.remove(id) {
            match p.value {
                Exchange::History { room } => self.on_loop_response(now, &room, id, response, true),
                Exchange::Poll { room } => self.on_loop_response(now, &room, id, response, false),
                Exchange::Command { command, room } => {
                    self.on_command_response(now, command, &room, id, response)
                }
                Exchange::Capabilities => {
                    if self.caps_loop.in_flight == Some(id) {
                        self.on_capabilities(now, response);
                    }
                }
                Exchange::RoomList => {
                    if self.room_list.as_ref().and_then(|l| l.poller.in_flight) == Some(id) {
                        self.on_room_list(now, response);
                    }
                }
            }
        }
        // An unknown id is the late answer of an exchange that timed out or whose room was
        // left; what it carried is fetched again from the cursor.
        self.drive(now);
    }

    /// Stops every room's receive loop; commands in flight still resolve by their answers.
    fn close(&mut self, now: Timestamp) {
        let rooms: Vec<String> = self.rooms.keys().cloned().collect();
        for room in rooms {
            self.leave_room(&room);
        }
        self.drive(now);
    }

    /// Talk has no connection to lose: each exchange fails on its own (status 0).
    fn handle_closed(&mut self, now: Timestamp, _reason: &str) {
        self.drive(now);
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.drive(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.poll_transmit()
    }

    fn poll_event(&mut self) -> Option<Event> {
        while let Some(chat_id) = self.reads.take_evicted() {
            self.listed_read.remove(&chat_id);
            if let Some(list) = self.room_list.as_mut() {
                list.known.remove(&chat_id);
            }
            let limit = self.reads.max_chats();
            self.outbox
                .event(Event::ChatStateEvicted { chat_id, limit });
        }
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let commands = self.commands.next_deadline().filter(|t| *t != NEVER);
        let rooms = self
            .rooms
            .values()
            .filter(|r| r.in_flight.is_none())
            .filter_map(|r| r.next_poll_at)
            .min();
        let caps = self
            .caps_loop
            .next_at
            .filter(|_| self.caps_loop.in_flight.is_none() && self.capabilities.is_none());
        let list = self
            .room_list
            .as_ref()
            .filter(|l| l.poller.in_flight.is_none())
            .and_then(|l| l.poller.next_at);
        [self.exchanges.next_deadline(), commands, rooms, caps, list]
            .into_iter()
            .flatten()
            .min()
    }

    fn send_text(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<RequestId, Error> {
        let reply_to = reply_to.map(|r| parse_id("reply_to", r)).transpose()?;
        self.send_message(now, chat_id, text, reply_to, false)
    }

    fn mark_read(
        &mut self,
        now: Timestamp,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<RequestId>, Error> {
        let id = parse_id("message_id", message_id)?;
        self.mark_read_up_to(now, chat_id, id).map(Some)
    }
}
