//! The Talk session: per-room receive loops, commands with retries, read state.

mod commands;
#[cfg(test)]
mod due_index;
mod lists;
mod read;
mod receive;

use super::capabilities::{
    TalkCapabilities, CAPABILITIES_PATH, FEATURE_DELETE, FEATURE_EDIT, FEATURE_REACTIONS,
};
use super::config::{TalkConfig, MAX_HISTORY_LIMIT};
use super::conversation::{Conversation, ROOM_API_BASE, ROOM_LIST_INTERVAL_SECS};
use super::mention::Mention;
use super::message::{reactions_of, DecodedMessage, Parent, SystemMessage, TalkMessage};
use super::ocs::{self, classify, int_header, Envelope, HttpError, ListData, Status};
use super::request::{
    chat_path, message_path, reaction_path, room_path, Builder, Planned, Receive,
};
use super::room::{Phase, Room, RoomsDue};
use super::snapshot::{OutgoingMessage, RoomSnapshot, TalkSnapshot};
use crate::backoff::Backoff;
use crate::boxed_map::{BoxedMap, BoxedSet};
use crate::dedupe::SeenSet;
use crate::error::{Delivery, Error};
use crate::event::{Event, Reply};
use crate::ids::RequestId;
use crate::json::truncate;
use crate::model::Message;
use crate::outbox::Outbox;
use crate::pending::PendingTable;
use crate::raw::{RawJson, ONE_PASS};
use crate::read_state::{ReadState, ReadStates, ReadUpdate};
use crate::rng::Rng;
use crate::time::Timestamp;
use crate::transmit::{HttpResponse, Transmit};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// Deadline of a command that is not waiting on time (in flight, or held).
const NEVER: Timestamp = Timestamp(u64::MAX);

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
    /// The newest page of `room`, read to find the echo of a send whose last POST got no
    /// answer: it may be on the server, and Talk does not deduplicate referenceIds.
    Look { command: RequestId, room: String },
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
    /// Waiting for the room's loop: a history page waits for the first history to set its
    /// cursor.
    Held,
    /// Waiting for the server's capabilities, which say whether it can do this at all.
    NeedsCapabilities,
    /// A send waiting for the sends before it in the same room to resolve: Talk numbers
    /// messages in the order the POSTs land, so one send per room is on the wire at a time.
    Queued,
}

#[derive(Clone, Debug)]
struct Command {
    room: String,
    kind: CommandKind,
    backoff: Backoff,
    attempts: u32,
    state: CommandState,
    /// When it fails if it is still not answered and not on the wire (queued, parked for a
    /// retry, held): every command resolves within about `request_timeout`. `None` until the
    /// first drive of a restored session, which has no clock before.
    expires: Option<Timestamp>,
    /// No attempt before this (the server's `Retry-After`), whatever else answers meanwhile.
    not_before: Timestamp,
    /// The last POST of a send got no answer: it may be on the server, so the next attempt
    /// looks for its echo instead of posting again.
    unknown: bool,
    /// What the last attempt failed with: the reason given when the command expires.
    last_error: Option<Error>,
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
    rooms: BoxedMap<String, Room>,
    /// The rooms waiting for a time, by that time.
    due_rooms: RoomsDue,
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
    listed_read: BoxedMap<String, i64>,
    /// A 401 was reported: one report, not one per room.
    auth_failed: bool,
    /// Every room of the list is joined ([`TalkSession::join_listed_rooms`]).
    join_listed: bool,
    /// The sends of each room in the order the app issued them; the first is the one on the
    /// wire (or parked for its retry), the others are [`CommandState::Queued`].
    send_queues: BoxedMap<String, VecDeque<RequestId>>,
    /// Commands parked for a retry after a failure of the server or the network, and rooms
    /// whose loop is: when the server answers anything again, they retry soon instead of
    /// waiting out a back-off that grew during the outage.
    parked: BoxedSet<RequestId>,
    parked_rooms: BoxedSet<String>,
    /// Commands in [`CommandState::NeedsCapabilities`]: whether to fetch the capabilities, and
    /// what to release when they come, without walking every command.
    awaiting_caps: BoxedSet<RequestId>,
    /// Each send's command by its referenceId, so an echo finds its send without a walk.
    by_reference: BoxedMap<String, RequestId>,
    /// Some commands have no `expires` yet (restored).
    unstamped: bool,
}

/// What sending an exchange touches of the session, borrowed apart from the rooms, so a
/// room's loop sends its next request without looking the room up again.
struct Wire<'a> {
    outbox: &'a mut Outbox,
    exchanges: &'a mut PendingTable<Exchange>,
    requests: &'a Builder,
}

impl Wire<'_> {
    /// Hands `planned` to the host as exchange `exchange`, registered for its answer within
    /// `timeout` from `now`.
    fn queue(
        &mut self,
        now: Timestamp,
        exchange: Exchange,
        timeout: Duration,
        planned: Planned,
    ) -> Result<RequestId, Error> {
        self.outbox.check_room()?;
        let id = self.exchanges.insert(now.add(timeout), exchange)?;
        let request = self.requests.build(id, planned);
        if let Err(e) = self.outbox.transmit(Transmit::Http(request)) {
            self.exchanges.remove(id);
            return Err(e);
        }
        self.exchanges.mark_sent(id);
        Ok(id)
    }
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
    known: BoxedSet<String>,
    /// Lists fetched so far: every [`FULL_LIST_EVERY`]th is asked without `modifiedSince`,
    /// since a changes-only list never names a room that is gone.
    rounds: u64,
    /// The list in flight was asked in full: rooms known but not in it are gone.
    full: bool,
}

/// How often (in list rounds, 30 s each) the whole list is fetched to find rooms that were
/// deleted or that this user was removed from.
const FULL_LIST_EVERY: u64 = 10;

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
            rooms: BoxedMap::new(),
            due_rooms: RoomsDue::default(),
            reads: ReadStates::new().limited(limits.max_chats),
            seen: SeenSet::new(limits.dedupe_window as usize),
            own_refs: SeenSet::new(limits.dedupe_window as usize),
            capabilities: None,
            caps_loop: Poller::new(Backoff::new(config.backoff_base, config.backoff_max), None),
            room_list: None,
            listed_read: BoxedMap::new(),
            auth_failed: false,
            join_listed: false,
            send_queues: BoxedMap::new(),
            parked: BoxedSet::new(),
            parked_rooms: BoxedSet::new(),
            awaiting_caps: BoxedSet::new(),
            by_reference: BoxedMap::new(),
            unstamped: false,
            config,
        }
    }

    /// A session resuming from `snapshot`: rooms long-poll from their cursor (no history
    /// replayed) and unconfirmed messages are sent again with their referenceIds once the host
    /// drives it (`poll_timeout` is due at once), one room's in the order they were issued. A
    /// message that may already be on the server is first looked for in its room's newest page
    /// (by its referenceId) and posted again only if it is not there.
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
            s.reads.apply(&r.token, room.read_update());
            s.due_rooms.add(&r.token, &room);
            s.rooms.insert(r.token, room);
        }
        for o in snapshot.outgoing {
            s.own_refs.insert(&o.reference_id);
            // Only the first send of a room goes out; the others wait their turn.
            let queued = s.send_queues.get(&o.token).is_some_and(|q| !q.is_empty());
            let token = o.token.clone();
            let reference = o.reference_id.clone();
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
                state: if queued {
                    CommandState::Queued
                } else {
                    CommandState::Waiting
                },
                expires: None,
                not_before: Timestamp(0),
                // It may be on the server: its first attempt looks for its echo.
                unknown: o.maybe_delivered,
                last_error: None,
            };
            let deadline = if queued { NEVER } else { Timestamp(0) };
            if let Ok(id) = s.commands.insert(deadline, command) {
                if o.maybe_delivered {
                    s.commands.mark_sent(id);
                }
                s.send_queues
                    .get_or_insert_with(token, VecDeque::new)
                    .push_back(id);
                s.index_reference(reference, id);
                s.unstamped = true;
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
                .send_queues
                .values()
                .flatten()
                .filter_map(|id| self.commands.get(*id))
                .filter_map(|p| match &p.value.kind {
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
            self.due_rooms.add(token, &room);
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
        self.due_rooms.remove(token, &room);
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
        Error::check_length(text, self.max_length())
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
                known: BoxedSet::new(),
                rounds: 0,
                full: false,
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

    // ---- decoding -------------------------------------------------------------------------

    /// The OCS `data` of a success body; a body too large or unreadable is reported as a
    /// protocol error and returned as the error a command resolves with.
    fn decode(&mut self, response: &HttpResponse) -> Result<Value, Error> {
        self.check_size(response)?;
        match Envelope::decode(&response.body) {
            Ok(envelope) => Ok(envelope.data),
            Err(reason) => {
                self.protocol_error(&response.body, reason.clone());
                Err(Error::InvalidFrame { reason })
            }
        }
    }

    /// A body over the size limit is reported as a protocol error and refused.
    fn check_size(&mut self, response: &HttpResponse) -> Result<(), Error> {
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
        Ok(())
    }

    /// [`TalkSession::decode`] of an answer that should be a list of messages: the items as
    /// their text (borrowed from the body, or from `scratch` when it had to be re-encoded), so
    /// no message is built as a tree, copied out of it and written again for its `raw`.
    fn decode_list<'a>(
        &mut self,
        response: &'a HttpResponse,
        scratch: &'a mut String,
    ) -> Result<ListData<&'a RawValue>, Error> {
        self.check_size(response)?;
        ocs::decode_list(&response.body, scratch).map_err(|reason| {
            self.protocol_error(&response.body, reason.clone());
            Error::InvalidFrame { reason }
        })
    }

    /// The messages of a list answer: read in one pass with the body when it can be
    /// ([`ocs::read_list`]), else each decoded on its own from its text; what is not a list
    /// is reported as [`TalkSession::decode_list`] reports it.
    fn messages_of(&mut self, response: &HttpResponse) -> Result<ListData<DecodedMessage>, Error> {
        // An oversized body is refused (and reported once) by `decode_list` below.
        let fits = ONE_PASS && response.body.len() <= self.config.limits.max_frame_bytes as usize;
        let read = fits.then(|| ocs::read_list(&response.body)).flatten();
        if let Some(items) = read {
            let mut out = Vec::with_capacity(items.len());
            for (fields, text, canonical) in items {
                match TalkMessage::from_read(fields, text, canonical) {
                    Ok(m) => out.push(m),
                    Err(reason) => {
                        let raw = RawJson::from_span(text, canonical);
                        self.protocol_error(raw.as_str(), reason)
                    }
                }
            }
            return Ok(ListData::Items(out));
        }
        let mut scratch = String::new();
        Ok(match self.decode_list(response, &mut scratch)? {
            ListData::Items(items) => ListData::Items(self.parse_messages(&items)),
            ListData::Other(kind) => ListData::Other(kind),
        })
    }

    /// Decodes each message on its own, so one bad entry does not hide the others.
    fn parse_messages(&mut self, items: &[&RawValue]) -> Vec<DecodedMessage> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match TalkMessage::from_text(item) {
                Ok(m) => out.push(m),
                // The entry as a tree writes it, as it was reported when messages were trees.
                Err(reason) => self.protocol_error(RawJson::from_raw(item).as_str(), reason),
            }
        }
        out
    }

    fn protocol_error(&mut self, raw: &str, reason: impl Into<String>) {
        self.outbox.event(Event::ProtocolError {
            raw: truncate(raw, self.config.limits.max_error_body_bytes as usize),
            reason: reason.into(),
        });
    }

    // ---- time -----------------------------------------------------------------------------

    /// Does whatever is due at `now`: expired exchanges, command retries, room loops.
    fn drive(&mut self, now: Timestamp) {
        if self.unstamped {
            self.stamp_restored(now);
        }
        for (id, p) in self.exchanges.take_expired(now) {
            match p.value {
                Exchange::History { room } | Exchange::Poll { room } => {
                    if self.rooms.get(&room).and_then(|r| r.in_flight) == Some(id) {
                        let reason = Some(Error::Timeout.to_string());
                        self.loop_backoff(now, &room, None, reason);
                    }
                }
                Exchange::Command { command, .. } | Exchange::Look { command, .. } => {
                    let current = self
                        .commands
                        .get(command)
                        .is_some_and(|c| c.value.state == CommandState::InFlight(id));
                    if current {
                        self.outcome_unknown(command);
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
        // A command resolved here may let the next send of its room go at once: repeat until
        // nothing more is due (each command is handled once per drive).
        let mut handled = BTreeSet::new();
        loop {
            let due: Vec<RequestId> =
                self.commands
                    .due(now)
                    .into_iter()
                    .filter(|id| {
                        !handled.contains(id)
                            && self.commands.get(*id).is_some_and(|p| {
                                !matches!(p.value.state, CommandState::InFlight(_))
                            })
                    })
                    .collect();
            if due.is_empty() {
                break;
            }
            for id in due {
                handled.insert(id);
                self.command_due(now, id);
            }
        }
        for token in self.due_rooms.take_due(now) {
            let Some(room) = self.rooms.get_mut(&token) else {
                continue;
            };
            room.taken_due();
            // A room waiting for a time is never in flight (`start_loop` clears the time).
            if room.in_flight.is_none() {
                self.start_loop(now, &token);
            }
        }
        let caps_wanted = self.capabilities.is_none()
            && self.caps_loop.in_flight.is_none()
            && self.awaiting_caps.iter().next().is_some();
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

/// Records message `id` of room `token` in the dedupe window (as `token/id`, built in the
/// window's own buffer); whether it was new.
fn see(seen: &mut SeenSet, token: &str, id: i64) -> bool {
    seen.insert_built(|key| {
        key.push_str(token);
        key.push('/');
        key.push_str(itoa::Buffer::new().format(id));
    })
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
    unexpected_kind(expected, kind_of(got))
}

fn unexpected_kind(expected: &str, kind: &str) -> Error {
    Error::UnexpectedResponse {
        reason: format!("expected {expected}, got {kind}"),
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
                Exchange::Look { command, room } => {
                    self.on_look_response(now, command, &room, id, response)
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
        let (listed_read, room_list) = (&mut self.listed_read, &mut self.room_list);
        self.reads.report_evicted(&mut self.outbox, |chat| {
            listed_read.remove(chat);
            if let Some(list) = room_list.as_mut() {
                list.known.remove(chat);
            }
        });
        self.outbox.poll_event()
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        let commands = self.commands.next_deadline().filter(|t| *t != NEVER);
        let rooms = self.due_rooms.first();
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
