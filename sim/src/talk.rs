//! Nextcloud Talk as a Nextcloud 28/29 server with Talk 18/19 speaks it to its official clients
//! (`SimConfig::talk_version`, default 19).
//!
//! Every OCS request needs `OCS-APIRequest: true` (else 400) and a user: HTTP Basic with a seeded
//! user and its app password (or plain password), or — for a page on the simulator's own origin —
//! the session cookie `nc_session_id` (seeded `alice-session`, `bob-session`, `carol-session`, or
//! one made by `POST /login`). Basic wins when both are sent; no valid one → 401. Answers are OCS
//! envelopes `{"ocs":{"meta":{"status","statuscode","message"},"data":...}}`, except 304 (no body).
//!
//! | route | what |
//! |---|---|
//! | `GET /ocs/v2.php/apps/spreed/api/v4/room` | the caller's rooms (see *Rooms*). `modifiedSince=T`: only rooms whose `lastActivity >= T`. Header `X-Nextcloud-Talk-Modified-Before` (the server's "now", the next `modifiedSince`) and `X-Nextcloud-Talk-Hash`. |
//! | `GET /ocs/v2.php/apps/spreed/api/v4/room/{token}` | one room; 404 when not a member (a lobby room is listed and fetched, with its chat data withheld) |
//! | `GET /api/v1/chat/{token}` | history (`lookIntoFuture=0`, newest first, below `lastKnownMessageId`) or long-poll (`lookIntoFuture=1`, oldest first, above it; 304 after `timeout`, capped by [`crate::SimConfig::talk_poll_timeout_cap_secs`]). Every 200 with messages carries `X-Chat-Last-Given` (the next cursor) and `X-Chat-Last-Common-Read`. A poll sent with `lastCommonReadId` that differs from the current common read answers `200 []` at once with only `X-Chat-Last-Common-Read` (no `X-Chat-Last-Given`: keep your cursor). `setReadMarker=1` (default) on a poll moves the caller's read marker up to `lastKnownMessageId` before waiting, as the real server does. |
//! | `POST /api/v1/chat/{token}` | `message`, `replyTo`, `referenceId`, `silent` (form, JSON or query) → 201 with the message; 400 empty / bad `replyTo`; 403 read-only; 404 not a member; 412 lobby; 413 over 32000 characters. Sending moves the sender's read marker. |
//! | `PUT /api/v1/chat/{token}/{messageId}` | Talk 19: `message` → 200 with the `message_edited` system message whose `parent` is the edited message (new text, `lastEditActorType/Id/DisplayName`, `lastEditTimestamp`); 400 empty, 403 not yours (moderators of group rooms may), 404, 405 not a comment, 413. **Talk 18: 405.** |
//! | `DELETE /api/v1/chat/{token}/{messageId}` | → 200 with the `message_deleted` system message whose `parent` is the deleted message (`messageType: comment_deleted`, `deleted: true`, text "Message deleted by you" / "Message deleted by author" / "Message deleted by {actor}"); 403 not yours, 404, 405 not a comment |
//! | `POST /api/v1/chat/{token}/read` | `lastReadMessage` (default: newest) → 200 with `X-Chat-Last-Common-Read` |
//! | `DELETE /api/v1/chat/{token}/read` | mark unread: the marker goes to the comment before the room's last message → 200 |
//! | `GET /api/v1/chat/{token}/mentions` | `search`, `limit` (20) → `[{id,label,source}]` with `{id:"all",label:<room name>,source:"calls"}` when it matches |
//! | `POST/DELETE/GET /api/v1/reaction/{token}/{messageId}` | `reaction` (one emoji) → `{emoji: [{actorType,actorId,actorDisplayName,timestamp}]}`; POST 201 (200 when it already existed), DELETE 200 (404 when you had not reacted), GET 200 (optional `reaction` filter); 400 bad emoji or not a comment (GET: 404) |
//! | `GET /ocs/v2.php/cloud/capabilities` | `spreed.features` (Talk 19 adds `edit-messages`), `spreed.config.chat.max-length` 32000, `spreed.version` |
//! | `POST /login` | form `user`, `password` (optional `redirect_url`) → 303 to it (default `/`) with `Set-Cookie: nc_session_id=...; Path=/; HttpOnly; SameSite=Lax`; bad credentials 401 |
//! | `GET /logout` | forgets the session of the cookie; 303 to `/` clearing it |
//!
//! (`/api/v1/...` is short for `/ocs/v2.php/apps/spreed/api/v1/...`.)
//!
//! **Messages** are rendered per reader, as the real server does: `{actor}`-style placeholders
//! with `messageParameters` (`actor`, `user`, mentions), "You ..." for the reader's own system
//! messages. A comment "@bob have a look" comes back as `"{mention-user1} have a look"` with
//! `messageParameters.mention-user1 = {type:"user", id:"bob", name:"Bob"}`; `@all` becomes
//! `{mention-call1}` = `{type:"call", id:<token>, name:<room name>, "call-type":"group"|"one2one"}`.
//! `reactions` is always an object (`{}` when none), `reactionsSelf` lists the reader's emojis
//! when there are any. A reaction reaches the poll as a system message `reaction` (its text the
//! emoji, its `parent` the message); removing it turns that into `reaction_deleted` ("Reaction
//! deleted by author") and adds `reaction_revoked` ("{actor} deleted a reaction", parent = the
//! message). Edits and deletions add `message_edited` / `message_deleted` with the message as
//! `parent`. A reply whose parent was deleted carries the deleted message as its parent.
//!
//! **Rooms** carry `id, token, type (1 one-to-one, 2 group), name, displayName,
//! participantType (1 owner — both sides of a one-to-one room —, 3 user), readOnly, lobbyState, lastActivity, lastReadMessage,
//! lastCommonReadMessage, unreadMessages` (comments above the reader's marker),
//! `unreadMention` / `unreadMentionDirect` (one of them mentions the reader / `@all`),
//! `lastMessage` (the newest comment or system message, rendered for the reader, no parent;
//! `[]` when none or in the lobby) and the other fields the Talk apps read (`permissions`,
//! `notificationLevel`, `canStartCall`, `isFavorite`, `hasCall`, `actorType`, `actorId`, ...).
//! `lastActivity` moves with every chat message except reactions; read markers do not move it.
//!
//! Common read = the lowest read marker of the room's members. Message ids are one counter
//! across rooms; timestamps (seconds) come from the logical clock. `messageParameters` is
//! `[]` when empty and an object otherwise, as PHP serializes it.
//! Fault `http_429_burst`/`http_503_burst`: the next N requests on these routes answer
//! 429/503 before anything else is checked, with `Retry-After` when `http_retry_after_secs`
//! is set.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::seed::{self, TALK_ROOM_AB, TALK_ROOM_ALL, TALK_ROOM_LOBBY, TALK_ROOM_RO};
use crate::state::{Clock, Sim, World};
use crate::{CorsMode, TalkVersion};

/// Base path of the chat and reaction API.
pub const BASE: &str = "/ocs/v2.php/apps/spreed/api/v1";

/// Base path of the room (conversation) API.
pub const ROOM_BASE: &str = "/ocs/v2.php/apps/spreed/api/v4";

/// Longest message accepted, in characters (`spreed.config.chat.max-length`).
pub const MAX_LENGTH: usize = 32000;

/// Name of the browser session cookie (`POST /login` sets it; `<user>-session` is seeded).
pub const SESSION_COOKIE: &str = "nc_session_id";

/// Attendee permissions of a moderator (all bits) and of a plain user (all but custom and
/// lobby-ignore), as Talk computes them.
const PERMISSIONS_MODERATOR: u32 = 255;
const PERMISSIONS_USER: u32 = 246;

/// Talk state: rooms, their messages and read markers, browser sessions.
pub(crate) struct State {
    next_id: u64,
    rooms: Vec<Room>,
    sessions: HashMap<String, usize>,
}

/// What a chat row is (Nextcloud's comment `verb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Comment,
    CommentDeleted,
    System(&'static str),
    Reaction,
    ReactionDeleted,
}

struct TalkMsg {
    id: u64,
    actor: usize,
    timestamp: u64,
    verb: Verb,
    /// A comment's text as sent (mentions still `@name`), or a reaction's emoji.
    text: String,
    /// The `{user}` of `user_added`.
    subject_user: Option<usize>,
    reference_id: String,
    parent: Option<u64>,
    deleted_by: Option<usize>,
    /// Who edited it last, and when (seconds).
    edited: Option<(usize, u64)>,
    silent: bool,
}

struct Room {
    id: u64,
    token: String,
    one_to_one: bool,
    name: String,
    owner: usize,
    members: Vec<usize>,
    lobby: bool,
    read_only: bool,
    messages: Vec<TalkMsg>,
    read: HashMap<usize, u64>,
    last_activity: u64,
    last_message: Option<u64>,
}

fn rich_user(u: usize) -> Value {
    let user = seed::user(u);
    json!({"type": "user", "id": user.name, "name": user.display_name})
}

fn params_value(params: Map<String, Value>) -> Value {
    if params.is_empty() {
        json!([])
    } else {
        Value::Object(params)
    }
}

impl State {
    /// The seeded rooms, each starting with `conversation_created`, then (group rooms) one
    /// `user_added` per member, plus `lobby_non_moderators` / `read_only` where those apply;
    /// then `bulk` rooms `bulk-1` ... (see [`crate::SimConfig::talk_bulk_rooms`]).
    pub fn seeded(bulk: usize) -> State {
        let mut st = State {
            next_id: 0,
            rooms: Vec::new(),
            sessions: seed::users()
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("{}-session", u.name), i))
                .collect(),
        };
        // (token, name, members, owner, one-to-one, lobby, read-only)
        type Spec = (String, String, &'static [usize], usize, bool, bool, bool);
        let bulk_specs = (1..=bulk).map(|n| -> Spec {
            (
                format!("bulk-{n}"),
                format!("Bulk room {n}"),
                &[0, 1, 2],
                0,
                false,
                false,
                false,
            )
        });
        let specs: [Spec; 4] = [
            (
                TALK_ROOM_ALL.into(),
                "All of us".into(),
                &[0, 1, 2],
                0,
                false,
                false,
                false,
            ),
            (
                TALK_ROOM_AB.into(),
                String::new(),
                &[0, 1],
                0,
                true,
                false,
                false,
            ),
            (
                TALK_ROOM_LOBBY.into(),
                "Waiting room".into(),
                &[1, 0],
                1,
                false,
                true,
                false,
            ),
            (
                TALK_ROOM_RO.into(),
                "Announcements".into(),
                &[0, 1, 2],
                0,
                false,
                false,
                true,
            ),
        ];
        let specs = specs.into_iter().chain(bulk_specs);
        let ts = Clock::START_MS / 1000;
        for (n, (token, name, members, owner, one_to_one, lobby, read_only)) in specs.enumerate() {
            let mut room = Room {
                id: n as u64 + 1,
                token,
                one_to_one,
                name,
                owner,
                members: members.to_vec(),
                lobby,
                read_only,
                messages: Vec::new(),
                read: HashMap::new(),
                last_activity: ts,
                last_message: None,
            };
            let mut sys = |subject: &'static str, user: Option<usize>| {
                let mut m = TalkMsg::new(owner, ts, Verb::System(subject), String::new());
                m.subject_user = user;
                push(&mut st.next_id, &mut room, m);
            };
            sys("conversation_created", None);
            if !one_to_one {
                for &m in members {
                    sys("user_added", Some(m));
                }
            }
            if lobby {
                sys("lobby_non_moderators", None);
            }
            if read_only {
                sys("read_only", None);
            }
            let last = room.messages.last().map_or(0, |m| m.id);
            for &m in members {
                room.read.insert(m, last);
            }
            st.rooms.push(room);
        }
        st
    }
}

/// Appends `m` to `room` with the next id (one counter across rooms); returns the id.
fn push(next_id: &mut u64, room: &mut Room, mut m: TalkMsg) -> u64 {
    *next_id += 1;
    m.id = *next_id;
    if m.verb != Verb::Reaction {
        room.last_activity = m.timestamp;
    }
    // Edits, deletions and reactions do not become the room's last message.
    let is_last = match m.verb {
        Verb::Comment => true,
        Verb::System(s) => !matches!(s, "message_deleted" | "message_edited" | "reaction_revoked"),
        _ => false,
    };
    if is_last {
        room.last_message = Some(m.id);
    }
    room.messages.push(m);
    *next_id
}

impl TalkMsg {
    fn new(actor: usize, timestamp: u64, verb: Verb, text: String) -> TalkMsg {
        TalkMsg {
            id: 0,
            actor,
            timestamp,
            verb,
            text,
            subject_user: None,
            reference_id: String::new(),
            parent: None,
            deleted_by: None,
            edited: None,
            silent: false,
        }
    }
}

/// The `@...` mentions of a comment as the server finds them (after the start or a blank:
/// `@name` of `[A-Za-z0-9_.@'-]`, or `@"..."`), unique, longest first.
fn find_mentions(text: &str) -> Vec<String> {
    let is_id = |c: char| c.is_ascii_alphanumeric() || "_-@.'".contains(c);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found: Vec<String> = Vec::new();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if c != '@' || (k > 0 && !chars[k - 1].1.is_whitespace()) {
            continue;
        }
        let rest = &text[at + 1..];
        let token = if let Some(quoted) = rest.strip_prefix('"') {
            match quoted.find('"') {
                Some(end)
                    if end > 0
                        && quoted[..end]
                            .chars()
                            .all(|c| is_id(c) || c == ' ' || c == '/') =>
                {
                    format!("@\"{}\"", &quoted[..end])
                }
                _ => continue,
            }
        } else {
            let len = rest.find(|c: char| !is_id(c)).unwrap_or(rest.len());
            if len == 0 {
                continue;
            }
            format!("@{}", &rest[..len])
        };
        if !found.contains(&token) {
            found.push(token);
        }
    }
    found.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    found
}

fn mention_id(token: &str) -> &str {
    let t = token.trim_start_matches('@');
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t)
}

/// Who a comment mentions: seeded users, and whether it mentions `@all`.
fn mentioned(text: &str) -> (Vec<usize>, bool) {
    let mut users = Vec::new();
    let mut all = false;
    for token in find_mentions(text) {
        let id = mention_id(&token);
        if id == "all" {
            all = true;
        } else if let Some(u) = seed::find(|u| u.name.eq_ignore_ascii_case(id)) {
            users.push(u);
        }
    }
    (users, all)
}

impl Room {
    fn common_read(&self) -> u64 {
        self.members
            .iter()
            .map(|m| self.read.get(m).copied().unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    fn get(&self, id: u64) -> Option<&TalkMsg> {
        self.messages.iter().find(|m| m.id == id)
    }

    fn is_moderator(&self, user: usize) -> bool {
        user == self.owner
    }

    /// In the lobby: a group room with the lobby on, for someone not a moderator.
    fn in_lobby(&self, user: usize) -> bool {
        self.lobby && !self.is_moderator(user)
    }

    fn other(&self, viewer: usize) -> usize {
        self.members
            .iter()
            .copied()
            .find(|m| *m != viewer)
            .unwrap_or(viewer)
    }

    fn display_name(&self, viewer: usize) -> String {
        if self.one_to_one {
            seed::user(self.other(viewer)).display_name.to_string()
        } else {
            self.name.to_string()
        }
    }

    /// A comment's text with its mentions as placeholders, and their parameters.
    fn render_mentions(&self, text: &str, viewer: usize) -> (String, Map<String, Value>) {
        let mut out = text.to_string();
        let mut params = Map::new();
        let (mut users, mut calls) = (0, 0);
        for token in find_mentions(text) {
            let id = mention_id(&token);
            let (key, value) = if id == "all" {
                calls += 1;
                (
                    format!("mention-call{calls}"),
                    json!({
                        "type": "call",
                        "id": self.token,
                        "name": self.display_name(viewer),
                        "call-type": if self.one_to_one { "one2one" } else { "group" },
                    }),
                )
            } else if let Some(u) = seed::find(|u| u.name.eq_ignore_ascii_case(id)) {
                users += 1;
                (format!("mention-user{users}"), rich_user(u))
            } else {
                continue;
            };
            out = out.replace(&token, &format!("{{{key}}}"));
            params.insert(key, value);
        }
        (out, params)
    }

    /// `message` and `messageParameters` of `m` as `viewer` sees them.
    fn render(&self, m: &TalkMsg, viewer: usize) -> (String, Map<String, Value>) {
        let you = m.actor == viewer;
        let pick = |mine: &str, other: &str| if you { mine } else { other }.to_string();
        let mut params = Map::new();
        let text = match m.verb {
            Verb::Comment => return self.render_mentions(&m.text, viewer),
            Verb::Reaction => m.text.clone(),
            Verb::ReactionDeleted => "Reaction deleted by author".into(),
            Verb::CommentDeleted => {
                let by = m.deleted_by.unwrap_or(m.actor);
                params.insert("actor".into(), rich_user(by));
                if by == viewer {
                    "Message deleted by you".into()
                } else if by == m.actor {
                    "Message deleted by author".into()
                } else {
                    "Message deleted by {actor}".into()
                }
            }
            Verb::System(subject) => {
                params.insert("actor".into(), rich_user(m.actor));
                match subject {
                    "conversation_created" => pick(
                        "You created the conversation",
                        "{actor} created the conversation",
                    ),
                    "user_added" => {
                        let user = m.subject_user.unwrap_or(m.actor);
                        params.insert("user".into(), rich_user(user));
                        if user == m.actor {
                            pick(
                                "You joined the conversation",
                                "{actor} joined the conversation",
                            )
                        } else if you {
                            "You added {user}".into()
                        } else if user == viewer {
                            "{actor} added you".into()
                        } else {
                            "{actor} added {user}".into()
                        }
                    }
                    "lobby_non_moderators" => pick(
                        "You restricted the conversation to moderators",
                        "{actor} restricted the conversation to moderators",
                    ),
                    "read_only" => pick(
                        "You locked the conversation",
                        "{actor} locked the conversation",
                    ),
                    "message_deleted" => pick("You deleted a message", "{actor} deleted a message"),
                    "message_edited" => pick("You edited a message", "{actor} edited a message"),
                    "reaction_revoked" => {
                        pick("You deleted a reaction", "{actor} deleted a reaction")
                    }
                    other => other.to_string(),
                }
            }
        };
        (text, params)
    }

    /// `{emoji: count}` of a comment's live reactions, in order of first use, and the
    /// viewer's own emojis.
    fn reactions(&self, id: u64, viewer: usize) -> (Map<String, Value>, Vec<String>) {
        let mut counts: Vec<(String, u64)> = Vec::new();
        let mut mine = Vec::new();
        for r in self
            .messages
            .iter()
            .filter(|r| r.verb == Verb::Reaction && r.parent == Some(id))
        {
            match counts.iter_mut().find(|(e, _)| *e == r.text) {
                Some((_, n)) => *n += 1,
                None => counts.push((r.text.clone(), 1)),
            }
            if r.actor == viewer {
                mine.push(r.text.clone());
            }
        }
        let map = counts.into_iter().map(|(e, n)| (e, json!(n))).collect();
        (map, mine)
    }

    fn message_json(&self, m: &TalkMsg, viewer: usize, with_parent: bool) -> Value {
        let user = seed::user(m.actor);
        let (text, params) = self.render(m, viewer);
        let (message_type, system) = match m.verb {
            Verb::Comment => ("comment", ""),
            Verb::CommentDeleted => ("comment_deleted", ""),
            Verb::System(s) => ("system", s),
            Verb::Reaction => ("system", "reaction"),
            Verb::ReactionDeleted => ("system", "reaction_deleted"),
        };
        let (reactions, mine) = if m.verb == Verb::Comment {
            self.reactions(m.id, viewer)
        } else {
            (Map::new(), Vec::new())
        };
        let mut v = json!({
            "id": m.id,
            "token": self.token,
            "actorType": "users",
            "actorId": user.name,
            "actorDisplayName": user.display_name,
            "timestamp": m.timestamp,
            "message": text,
            "messageParameters": params_value(params),
            "systemMessage": system,
            "messageType": message_type,
            "isReplyable": m.verb == Verb::Comment,
            "referenceId": m.reference_id,
            "reactions": Value::Object(reactions),
            "expirationTimestamp": 0,
            "markdown": message_type != "system",
        });
        if !mine.is_empty() {
            v["reactionsSelf"] = json!(mine);
        }
        if let Some((editor, at)) = m.edited {
            let e = seed::user(editor);
            v["lastEditActorType"] = json!("users");
            v["lastEditActorId"] = json!(e.name);
            v["lastEditActorDisplayName"] = json!(e.display_name);
            v["lastEditTimestamp"] = json!(at);
        }
        if m.verb == Verb::CommentDeleted {
            v["deleted"] = json!(true);
        }
        if m.silent {
            v["silent"] = json!(true);
        }
        if let (true, Some(pid)) = (with_parent, m.parent) {
            v["parent"] = match self.get(pid) {
                Some(p) => self.message_json(p, viewer, false),
                None => json!({"id": pid, "deleted": true}),
            };
        }
        v
    }

    fn room_json(&self, viewer: usize) -> Value {
        let me = seed::user(viewer);
        // Both sides of a one-to-one room are its owners, as in Talk.
        let moderator = self.is_moderator(viewer) || self.one_to_one;
        let mut v = json!({
            "id": self.id,
            "token": self.token,
            "type": if self.one_to_one { 1 } else { 2 },
            "name": if self.one_to_one { seed::user(self.other(viewer)).name } else { &self.name },
            "displayName": self.display_name(viewer),
            "description": "",
            "objectType": "",
            "objectId": "",
            "participantType": if moderator { 1 } else { 3 },
            "participantFlags": 0,
            "readOnly": u8::from(self.read_only),
            "hasPassword": false,
            "hasCall": false,
            "callStartTime": 0,
            "callRecording": 0,
            "canStartCall": false,
            "lastActivity": self.last_activity,
            "lastReadMessage": 0,
            "unreadMessages": 0,
            "unreadMention": false,
            "unreadMentionDirect": false,
            "isFavorite": false,
            "canLeaveConversation": true,
            "canDeleteConversation": moderator && !self.one_to_one,
            "notificationLevel": if self.one_to_one { 1 } else { 2 },
            "notificationCalls": 1,
            "lobbyState": u8::from(self.lobby),
            "lobbyTimer": 0,
            "lastPing": 0,
            "sessionId": "0",
            "lastMessage": [],
            "sipEnabled": 0,
            "actorType": "users",
            "actorId": me.name,
            "attendeeId": self.id * 100 + viewer as u64 + 1,
            "permissions": if moderator { PERMISSIONS_MODERATOR } else { PERMISSIONS_USER },
            "attendeePermissions": 0,
            "callPermissions": 0,
            "defaultPermissions": 0,
            "canEnableSIP": false,
            "attendeePin": "",
            "lastCommonReadMessage": self.common_read(),
            "listable": 0,
            "callFlag": 0,
            "messageExpiration": 0,
            "avatarVersion": format!("{:08x}", self.id),
            "isCustomAvatar": false,
            "breakoutRoomMode": 0,
            "breakoutRoomStatus": 0,
            "recordingConsent": 0,
        });
        if self.in_lobby(viewer) {
            // The real server withholds chat data from someone waiting in the lobby.
            return v;
        }
        let read = self.read.get(&viewer).copied().unwrap_or(0);
        let unread: Vec<&TalkMsg> = self
            .messages
            .iter()
            .filter(|m| m.verb == Verb::Comment && m.id > read)
            .collect();
        let (mut mention, mut direct) = (false, false);
        for m in unread.iter().filter(|m| m.actor != viewer) {
            let (users, all) = mentioned(&m.text);
            direct |= users.contains(&viewer);
            mention |= all || users.contains(&viewer);
        }
        v["canStartCall"] = json!(true);
        v["lastReadMessage"] = json!(read);
        v["unreadMessages"] = json!(unread.len());
        v["unreadMention"] = json!(mention);
        v["unreadMentionDirect"] = json!(direct);
        if let Some(last) = self.last_message.and_then(|id| self.get(id)) {
            v["lastMessage"] = self.message_json(last, viewer, false);
        }
        v
    }
}

/// The Talk routes.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(&format!("{ROOM_BASE}/room"), get(rooms))
        .route(&format!("{ROOM_BASE}/room/{{token}}"), get(one_room))
        .route(&format!("{BASE}/chat/{{token}}"), get(receive).post(send))
        .route(
            &format!("{BASE}/chat/{{token}}/read"),
            post(mark_read).delete(mark_unread),
        )
        .route(&format!("{BASE}/chat/{{token}}/mentions"), get(mentions))
        .route(
            &format!("{BASE}/chat/{{token}}/{{message_id}}"),
            axum::routing::put(edit_message).delete(delete_message),
        )
        .route(
            &format!("{BASE}/reaction/{{token}}/{{message_id}}"),
            get(list_reactions)
                .post(add_reaction)
                .delete(remove_reaction),
        )
        .route("/ocs/v2.php/cloud/capabilities", get(capabilities))
        .route("/login", post(login))
        .route("/logout", get(logout))
}

/// Whether `path` is one Nextcloud guards with its same-origin policy in strict mode.
fn nextcloud_path(path: &str) -> bool {
    path.starts_with("/ocs/") || path == "/login" || path == "/logout"
}

/// CORS for browser hosts. A request without `Origin`, or from the simulator's own origin,
/// is untouched. A foreign origin gets, in [`CorsMode::Permissive`], preflight answers and
/// `Access-Control-Allow-Origin` plus the exposed `X-Chat-*` headers everywhere; in
/// [`CorsMode::Strict`], nothing on Nextcloud paths (its preflights answer 405, as a Nextcloud
/// route without CORS does) and the permissive treatment elsewhere.
pub(crate) async fn cors(AxState(sim): AxState<Arc<Sim>>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        return next.run(req).await;
    };
    let same_origin = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .zip(origin.to_str().ok())
        .is_some_and(|(host, o)| {
            o.strip_prefix("http://")
                .is_some_and(|o| o.eq_ignore_ascii_case(host))
        });
    if same_origin {
        return next.run(req).await;
    }
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if sim.config.cors == CorsMode::Strict && nextcloud_path(req.uri().path()) {
        if preflight {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        return next.run(req).await;
    }
    if preflight {
        let allow_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("*"));
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "X-Chat-Last-Given, X-Chat-Last-Common-Read, X-Nextcloud-Talk-Modified-Before, X-Nextcloud-Talk-Hash",
        ),
    );
    resp
}

fn ocs(status: StatusCode, data: Value) -> Response {
    let ok = status.is_success();
    let body = json!({"ocs": {
        "meta": {
            "status": if ok { "ok" } else { "failure" },
            "statuscode": status.as_u16(),
            "message": status.canonical_reason().unwrap_or(""),
        },
        "data": data,
    }});
    (status, Json(body)).into_response()
}

fn with_header(mut resp: Response, name: &'static str, value: u64) -> Response {
    resp.headers_mut().insert(name, HeaderValue::from(value));
    resp
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The user of a Basic `Authorization` header: `Some(Some(u))` valid, `Some(None)` invalid,
/// `None` when there is no such header.
fn basic_user(headers: &HeaderMap) -> Option<Option<usize>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|pair| {
                let (name, pass) = pair.split_once(':')?;
                seed::find(|u| u.name == name && (u.app_password == pass || u.password == pass))
            }),
    )
}

/// Bursts, `OCS-APIRequest`, then Basic auth or the session cookie: the caller's user index,
/// or the answer to give.
fn precheck(sim: &Sim, headers: &HeaderMap, need_auth: bool) -> Result<usize, Box<Response>> {
    if let Some((code, retry_after)) = sim.take_http_burst() {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut resp = ocs(status, json!([]));
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return Err(Box::new(resp));
    }
    let ocs_header = headers
        .get("OCS-APIRequest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ocs_header {
        // Also Nextcloud's CSRF guard: a session cookie alone never authorizes an OCS call.
        return Err(Box::new(ocs(
            StatusCode::BAD_REQUEST,
            json!({"error": "OCS-APIRequest: true header required"}),
        )));
    }
    if !need_auth {
        return Ok(usize::MAX);
    }
    let user = match basic_user(headers) {
        Some(user) => user,
        None => cookie(headers, SESSION_COOKIE)
            .and_then(|id| sim.world().talk.sessions.get(id).copied()),
    };
    user.ok_or_else(|| {
        let mut resp = ocs(StatusCode::UNAUTHORIZED, json!([]));
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Nextcloud\""),
        );
        Box::new(resp)
    })
}

/// What every room endpoint checks first: fault bursts and credentials, then that the room
/// exists for this user and is open (404 / 412). Gives the user, the locked world and the room.
fn member_room<'a>(
    sim: &'a Sim,
    headers: &HeaderMap,
    token: &str,
) -> Result<(usize, std::sync::MutexGuard<'a, World>, usize), Box<Response>> {
    let user = precheck(sim, headers, true)?;
    let w = sim.world();
    let idx = room_index(&w.talk, token, user)?;
    Ok((user, w, idx))
}

fn find_room(st: &State, token: &str, user: usize) -> Option<usize> {
    st.rooms
        .iter()
        .position(|r| r.token == token && r.members.contains(&user))
}

fn room_index(st: &State, token: &str, user: usize) -> Result<usize, Box<Response>> {
    let idx = find_room(st, token, user)
        .ok_or_else(|| Box::new(ocs(StatusCode::NOT_FOUND, json!([]))))?;
    if st.rooms[idx].in_lobby(user) {
        return Err(Box::new(ocs(
            StatusCode::PRECONDITION_FAILED,
            json!({"error": "lobby"}),
        )));
    }
    Ok(idx)
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn flag(v: Option<&Value>, default: bool) -> bool {
    match v {
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "on" | "yes"),
        Some(other) => int(Some(other)).map_or(default, |n| n != 0),
        None => default,
    }
}

/// Query parameters merged with a JSON or form body (body wins).
fn params(query: HashMap<String, String>, headers: &HeaderMap, body: &[u8]) -> Map<String, Value> {
    let mut out: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if body.is_empty() {
        return out;
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let parsed: Option<Map<String, Value>> = if is_json {
        serde_json::from_slice(body).ok()
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()
            .map(|pairs| {
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect()
            })
    };
    out.extend(parsed.unwrap_or_default());
    out
}

fn bump(sim: &Sim) {
    sim.talk_changed.send_modify(|v| *v += 1);
}

/// `X-Nextcloud-Talk-Hash`: changes when the capabilities would (here: with the version).
fn talk_hash(sim: &Sim) -> &'static str {
    match sim.config.talk_version {
        TalkVersion::V18 => "5a1c18f0e0b3d2c4a6e8f01b2d3c4e5f",
        TalkVersion::V19 => "9e7d19a2c4f6b8d0e2a4c6e8f0a2b4c6",
    }
}

async fn rooms(
    AxState(sim): AxState<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let user = match precheck(&sim, &headers, true) {
        Ok(u) => u,
        Err(resp) => return *resp,
    };
    let q = params(query, &headers, &[]);
    let since = int(q.get("modifiedSince")).unwrap_or(0).max(0) as u64;
    let w = sim.world();
    let now = w.clock.now() / 1000;
    let list: Vec<Value> = w
        .talk
        .rooms
        .iter()
        .filter(|r| r.members.contains(&user))
        .filter(|r| since == 0 || r.last_activity >= since)
        .map(|r| r.room_json(user))
        .collect();
    drop(w);
    let mut resp = with_header(
        ocs(StatusCode::OK, Value::Array(list)),
        "X-Nextcloud-Talk-Modified-Before",
        now,
    );
    resp.headers_mut().insert(
        "X-Nextcloud-Talk-Hash",
        HeaderValue::from_static(talk_hash(&sim)),
    );
    resp
}

async fn one_room(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match precheck(&sim, &headers, true) {
        Ok(u) => u,
        Err(resp) => return *resp,
    };
    let w = sim.world();
    let Some(idx) = find_room(&w.talk, &token, user) else {
        return ocs(StatusCode::NOT_FOUND, json!([]));
    };
    let data = w.talk.rooms[idx].room_json(user);
    drop(w);
    let mut resp = ocs(StatusCode::OK, data);
    resp.headers_mut().insert(
        "X-Nextcloud-Talk-Hash",
        HeaderValue::from_static(talk_hash(&sim)),
    );
    resp
}

async fn receive(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let user = match precheck(&sim, &headers, true) {
        Ok(u) => u,
        Err(resp) => return *resp,
    };
    let q = params(query, &headers, &[]);
    let future = flag(q.get("lookIntoFuture"), false);
    let limit = int(q.get("limit")).unwrap_or(100).clamp(1, 200) as usize;
    let last_known = int(q.get("lastKnownMessageId")).unwrap_or(0).max(0) as u64;
    let last_common = int(q.get("lastCommonReadId")).map(|v| v.max(0) as u64);
    let include_last = flag(q.get("includeLastKnown"), false);
    let set_marker = flag(q.get("setReadMarker"), true);
    if !future {
        let w = sim.world();
        let idx = match room_index(&w.talk, &token, user) {
            Ok(i) => i,
            Err(resp) => return *resp,
        };
        let room = &w.talk.rooms[idx];
        let list: Vec<&TalkMsg> = room
            .messages
            .iter()
            .rev()
            .filter(|m| {
                last_known == 0 || m.id < last_known || (include_last && m.id == last_known)
            })
            .take(limit)
            .collect();
        let Some(oldest) = list.last().map(|m| m.id) else {
            return StatusCode::NOT_MODIFIED.into_response();
        };
        let data: Vec<Value> = list
            .iter()
            .map(|m| room.message_json(m, user, true))
            .collect();
        let resp = with_header(
            ocs(StatusCode::OK, Value::Array(data)),
            "X-Chat-Last-Given",
            oldest,
        );
        return with_header(resp, "X-Chat-Last-Common-Read", room.common_read());
    }
    let cap = sim.config.talk_poll_timeout_cap_secs.min(60);
    let timeout = (int(q.get("timeout")).unwrap_or(30).max(0) as u64).min(cap);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    {
        // As the real server: a poll marks read what the client says it already has, before
        // waiting (never what the answer is about to bring).
        let mut w = sim.world();
        let idx = match room_index(&w.talk, &token, user) {
            Ok(i) => i,
            Err(resp) => return *resp,
        };
        let room = &mut w.talk.rooms[idx];
        if set_marker && last_known > room.read.get(&user).copied().unwrap_or(0) {
            room.read.insert(user, last_known);
            drop(w);
            bump(&sim);
        }
    }
    let mut changed = sim.talk_changed.subscribe();
    let mut shutdown = sim.subscribe_shutdown();
    loop {
        changed.borrow_and_update();
        {
            let w = sim.world();
            let idx = match room_index(&w.talk, &token, user) {
                Ok(i) => i,
                Err(resp) => return *resp,
            };
            let room = &w.talk.rooms[idx];
            if let Some(resp) = poll_once(room, user, last_known, include_last, limit, last_common)
            {
                return resp;
            }
        }
        tokio::select! {
            r = changed.changed() => if r.is_err() { break },
            _ = tokio::time::sleep_until(deadline) => break,
            _ = shutdown.wait_for(|v| *v) => break,
        }
    }
    StatusCode::NOT_MODIFIED.into_response()
}

/// One look at the room for a long-poll: `Some(answer)` when there is something to say.
fn poll_once(
    room: &Room,
    user: usize,
    last_known: u64,
    include_last: bool,
    limit: usize,
    last_common: Option<u64>,
) -> Option<Response> {
    let common = room.common_read();
    let list: Vec<&TalkMsg> = room
        .messages
        .iter()
        .filter(|m| m.id > last_known || (include_last && m.id == last_known))
        .take(limit)
        .collect();
    let Some(newest) = list.last().map(|m| m.id) else {
        // Nothing new: only a changed common read is worth an answer (200 [] without a cursor).
        return last_common.filter(|lc| *lc != common).map(|_| {
            with_header(
                ocs(StatusCode::OK, json!([])),
                "X-Chat-Last-Common-Read",
                common,
            )
        });
    };
    let data: Vec<Value> = list
        .iter()
        .map(|m| room.message_json(m, user, true))
        .collect();
    let resp = with_header(
        ocs(StatusCode::OK, Value::Array(data)),
        "X-Chat-Last-Given",
        newest,
    );
    Some(with_header(resp, "X-Chat-Last-Common-Read", common))
}

async fn send(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, mut w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let p = params(query, &headers, &body);
    if w.talk.rooms[idx].read_only {
        return ocs(StatusCode::FORBIDDEN, json!({"error": "read-only"}));
    }
    let message = p.get("message").and_then(Value::as_str).unwrap_or("");
    if message.trim().is_empty() {
        return ocs(StatusCode::BAD_REQUEST, json!({"error": "message"}));
    }
    if message.chars().count() > MAX_LENGTH {
        return ocs(StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "message"}));
    }
    let reference_id = p
        .get("referenceId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if reference_id.len() > 64 {
        return ocs(StatusCode::BAD_REQUEST, json!({"error": "referenceId"}));
    }
    let parent = match int(p.get("replyTo")).filter(|id| *id > 0) {
        None => None,
        Some(id) => match w.talk.rooms[idx].get(id as u64) {
            Some(m) if m.verb == Verb::Comment => Some(id as u64),
            _ => return ocs(StatusCode::BAD_REQUEST, json!({"error": "reply-to"})),
        },
    };
    let silent = flag(p.get("silent"), false);
    let timestamp = w.clock.tick() / 1000;
    let mut m = TalkMsg::new(user, timestamp, Verb::Comment, message.to_string());
    m.reference_id = reference_id;
    m.parent = parent;
    m.silent = silent;
    let State { next_id, rooms, .. } = &mut w.talk;
    let room = &mut rooms[idx];
    let id = push(next_id, room, m);
    room.read.insert(user, id);
    let data = room.message_json(room.messages.last().expect("just pushed"), user, true);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(
        ocs(StatusCode::CREATED, data),
        "X-Chat-Last-Common-Read",
        common,
    )
}

/// Why a message cannot be edited or deleted by `user`, as the real server answers.
fn check_own_comment(room: &Room, id: u64, user: usize) -> Result<(), Box<Response>> {
    let Some(m) = room.get(id) else {
        return Err(Box::new(ocs(StatusCode::NOT_FOUND, json!([]))));
    };
    // Moderators may edit and delete others' messages, except in one-to-one rooms.
    if m.actor != user && (room.one_to_one || !room.is_moderator(user)) {
        return Err(Box::new(ocs(StatusCode::FORBIDDEN, json!([]))));
    }
    if m.verb != Verb::Comment {
        return Err(Box::new(ocs(StatusCode::METHOD_NOT_ALLOWED, json!([]))));
    }
    Ok(())
}

async fn edit_message(
    AxState(sim): AxState<Arc<Sim>>,
    Path((token, message_id)): Path<(String, u64)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if sim.config.talk_version == TalkVersion::V18 {
        // Talk 18 has no such route: Nextcloud's router answers 405 for the method.
        return ocs(StatusCode::METHOD_NOT_ALLOWED, json!([]));
    }
    let (user, mut w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    if w.talk.rooms[idx].read_only {
        return ocs(StatusCode::FORBIDDEN, json!([]));
    }
    if let Err(resp) = check_own_comment(&w.talk.rooms[idx], message_id, user) {
        return *resp;
    }
    let p = params(query, &headers, &body);
    let message = p.get("message").and_then(Value::as_str).unwrap_or("");
    if message.trim().is_empty() {
        return ocs(StatusCode::BAD_REQUEST, json!({"error": "message"}));
    }
    if message.chars().count() > MAX_LENGTH {
        return ocs(StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "message"}));
    }
    let timestamp = w.clock.tick() / 1000;
    let State { next_id, rooms, .. } = &mut w.talk;
    let room = &mut rooms[idx];
    if let Some(m) = room.messages.iter_mut().find(|m| m.id == message_id) {
        m.text = message.to_string();
        m.edited = Some((user, timestamp));
    }
    let mut sys = TalkMsg::new(
        user,
        timestamp,
        Verb::System("message_edited"),
        String::new(),
    );
    sys.parent = Some(message_id);
    push(next_id, room, sys);
    let data = room.message_json(room.messages.last().expect("just pushed"), user, true);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(ocs(StatusCode::OK, data), "X-Chat-Last-Common-Read", common)
}

async fn delete_message(
    AxState(sim): AxState<Arc<Sim>>,
    Path((token, message_id)): Path<(String, u64)>,
    headers: HeaderMap,
) -> Response {
    let (user, mut w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    if w.talk.rooms[idx].read_only {
        return ocs(StatusCode::FORBIDDEN, json!([]));
    }
    if let Err(resp) = check_own_comment(&w.talk.rooms[idx], message_id, user) {
        return *resp;
    }
    let timestamp = w.clock.tick() / 1000;
    let State { next_id, rooms, .. } = &mut w.talk;
    let room = &mut rooms[idx];
    if let Some(m) = room.messages.iter_mut().find(|m| m.id == message_id) {
        m.verb = Verb::CommentDeleted;
        m.deleted_by = Some(user);
    }
    let mut sys = TalkMsg::new(
        user,
        timestamp,
        Verb::System("message_deleted"),
        String::new(),
    );
    sys.parent = Some(message_id);
    push(next_id, room, sys);
    let data = room.message_json(room.messages.last().expect("just pushed"), user, true);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(ocs(StatusCode::OK, data), "X-Chat-Last-Common-Read", common)
}

async fn mark_read(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, mut w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let p = params(query, &headers, &body);
    let room = &mut w.talk.rooms[idx];
    let newest = room.messages.last().map_or(0, |m| m.id);
    let target = int(p.get("lastReadMessage")).map_or(newest, |v| v.max(0) as u64);
    room.read.insert(user, target);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(
        ocs(StatusCode::OK, json!([])),
        "X-Chat-Last-Common-Read",
        common,
    )
}

/// `DELETE /chat/{token}/read` (capability `chat-unread`): the marker goes back to the comment
/// before the room's last message, so that last comment counts as unread again.
async fn mark_unread(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (user, mut w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let room = &mut w.talk.rooms[idx];
    let last = room.last_message.unwrap_or(0);
    let target = room
        .messages
        .iter()
        .rev()
        .filter(|m| m.verb == Verb::Comment && m.id < last)
        .map(|m| m.id)
        .next()
        .unwrap_or(0);
    room.read.insert(user, target);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(
        ocs(StatusCode::OK, json!([])),
        "X-Chat-Last-Common-Read",
        common,
    )
}

async fn mentions(
    AxState(sim): AxState<Arc<Sim>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (user, w, idx) = match member_room(&sim, &headers, &token) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let q = params(query, &headers, &[]);
    let search = q
        .get("search")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    let limit = int(q.get("limit")).unwrap_or(20).max(1) as usize;
    let room = &w.talk.rooms[idx];
    if room.read_only {
        return ocs(StatusCode::FORBIDDEN, json!([]));
    }
    let mut out = Vec::new();
    let label = room.display_name(user);
    if search.is_empty() || "all".starts_with(&search) || label.to_lowercase().contains(&search) {
        out.push(json!({"id": "all", "label": label, "source": "calls"}));
    }
    for &m in room.members.iter().filter(|m| **m != user) {
        let u = seed::user(m);
        if search.is_empty()
            || u.name.contains(&search)
            || u.display_name.to_lowercase().contains(&search)
        {
            out.push(json!({"id": u.name, "label": u.display_name, "source": "users"}));
        }
    }
    out.truncate(limit);
    ocs(StatusCode::OK, Value::Array(out))
}

/// Whether `s` passes for one emoji: a short run of non-ASCII symbols (with joiners and
/// variation selectors), no letters, digits or blanks.
fn is_emoji(s: &str) -> bool {
    let n = s.chars().count();
    (1..=8).contains(&n)
        && s.chars()
            .all(|c| !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// `{emoji: [{actorType, actorId, actorDisplayName, timestamp}]}` of a message (`{}` if none).
fn reaction_list(room: &Room, id: u64, only: Option<&str>) -> Value {
    let mut out = Map::new();
    for r in room
        .messages
        .iter()
        .filter(|r| r.verb == Verb::Reaction && r.parent == Some(id))
        .filter(|r| only.is_none_or(|e| e == r.text))
    {
        let u = seed::user(r.actor);
        let entry = json!({"actorType": "users", "actorId": u.name, "actorDisplayName": u.display_name, "timestamp": r.timestamp});
        match out.get_mut(&r.text) {
            Some(Value::Array(list)) => list.push(entry),
            _ => {
                out.insert(r.text.clone(), json!([entry]));
            }
        }
    }
    Value::Object(out)
}

/// Common checks of the reaction endpoints: the room, the target comment, the emoji.
#[allow(clippy::type_complexity)]
fn reaction_target<'a>(
    sim: &'a Sim,
    headers: &HeaderMap,
    token: &str,
    message_id: u64,
    query: HashMap<String, String>,
    body: &[u8],
    write: bool,
) -> Result<
    (
        usize,
        std::sync::MutexGuard<'a, World>,
        usize,
        Option<String>,
    ),
    Box<Response>,
> {
    let (user, w, idx) = member_room(sim, headers, token)?;
    let room = &w.talk.rooms[idx];
    if write && room.read_only {
        return Err(Box::new(ocs(StatusCode::FORBIDDEN, json!([]))));
    }
    match room.get(message_id) {
        None => return Err(Box::new(ocs(StatusCode::NOT_FOUND, json!([])))),
        Some(m) if m.verb != Verb::Comment => {
            let status = if write {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_FOUND
            };
            return Err(Box::new(ocs(status, json!([]))));
        }
        Some(_) => {}
    }
    let p = params(query, headers, body);
    let reaction = p
        .get("reaction")
        .and_then(Value::as_str)
        .map(str::to_string);
    if write && !reaction.as_deref().is_some_and(is_emoji) {
        return Err(Box::new(ocs(
            StatusCode::BAD_REQUEST,
            json!({"error": "reaction"}),
        )));
    }
    Ok((user, w, idx, reaction))
}

async fn add_reaction(
    AxState(sim): AxState<Arc<Sim>>,
    Path((token, message_id)): Path<(String, u64)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, mut w, idx, reaction) =
        match reaction_target(&sim, &headers, &token, message_id, query, &body, true) {
            Ok(found) => found,
            Err(resp) => return *resp,
        };
    let reaction = reaction.unwrap_or_default();
    let exists = w.talk.rooms[idx].messages.iter().any(|r| {
        r.verb == Verb::Reaction
            && r.parent == Some(message_id)
            && r.actor == user
            && r.text == reaction
    });
    let status = if exists {
        StatusCode::OK
    } else {
        let timestamp = w.clock.tick() / 1000;
        let mut m = TalkMsg::new(user, timestamp, Verb::Reaction, reaction);
        m.parent = Some(message_id);
        let State { next_id, rooms, .. } = &mut w.talk;
        let room = &mut rooms[idx];
        push(next_id, room, m);
        StatusCode::CREATED
    };
    let data = reaction_list(&w.talk.rooms[idx], message_id, None);
    drop(w);
    if status == StatusCode::CREATED {
        bump(&sim);
    }
    ocs(status, data)
}

async fn remove_reaction(
    AxState(sim): AxState<Arc<Sim>>,
    Path((token, message_id)): Path<(String, u64)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, mut w, idx, reaction) =
        match reaction_target(&sim, &headers, &token, message_id, query, &body, true) {
            Ok(found) => found,
            Err(resp) => return *resp,
        };
    let reaction = reaction.unwrap_or_default();
    let timestamp = w.clock.tick() / 1000;
    let State { next_id, rooms, .. } = &mut w.talk;
    let room = &mut rooms[idx];
    let Some(r) = room.messages.iter_mut().find(|r| {
        r.verb == Verb::Reaction
            && r.parent == Some(message_id)
            && r.actor == user
            && r.text == reaction
    }) else {
        return ocs(StatusCode::NOT_FOUND, json!([]));
    };
    r.verb = Verb::ReactionDeleted;
    let mut sys = TalkMsg::new(
        user,
        timestamp,
        Verb::System("reaction_revoked"),
        String::new(),
    );
    sys.parent = Some(message_id);
    push(next_id, room, sys);
    let data = reaction_list(room, message_id, None);
    drop(w);
    bump(&sim);
    ocs(StatusCode::OK, data)
}

async fn list_reactions(
    AxState(sim): AxState<Arc<Sim>>,
    Path((token, message_id)): Path<(String, u64)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, w, idx, reaction) =
        match reaction_target(&sim, &headers, &token, message_id, query, &[], false) {
            Ok(found) => found,
            Err(resp) => return *resp,
        };
    let data = reaction_list(&w.talk.rooms[idx], message_id, reaction.as_deref());
    ocs(StatusCode::OK, data)
}

/// `spreed.features` of Talk 18 (Nextcloud 28); Talk 19 adds [`FEATURES_19`].
const FEATURES_18: &[&str] = &[
    "audio",
    "video",
    "chat-v2",
    "conversation-v4",
    "guest-signaling",
    "empty-group-room",
    "guest-display-names",
    "multi-room-users",
    "favorites",
    "last-room-activity",
    "no-ping",
    "system-messages",
    "delete-messages",
    "mention-flag",
    "in-call-flags",
    "conversation-call-flags",
    "notification-levels",
    "invite-groups-and-mails",
    "locked-one-to-one-rooms",
    "read-only-rooms",
    "listable-rooms",
    "chat-read-marker",
    "chat-unread",
    "webinary-lobby",
    "start-call-flag",
    "chat-replies",
    "circles-support",
    "force-mute",
    "sip-support",
    "sip-support-nopin",
    "chat-read-status",
    "phonebook-search",
    "raise-hand",
    "room-description",
    "rich-object-sharing",
    "temp-user-avatar-api",
    "geo-location-sharing",
    "voice-message-sharing",
    "signaling-v3",
    "publishing-permissions",
    "clear-history",
    "direct-mention-flag",
    "notification-calls",
    "conversation-permissions",
    "rich-object-list-media",
    "rich-object-delete",
    "unified-search",
    "chat-permission",
    "silent-send",
    "silent-call",
    "send-call-notification",
    "talk-polls",
    "breakout-rooms-v1",
    "recording-v1",
    "avatar",
    "chat-get-context",
    "single-conversation-status",
    "chat-keep-notifications",
    "typing-privacy",
    "remind-me-later",
    "bots-v1",
    "markdown-messages",
    "media-caption",
    "session-state",
    "note-to-self",
    "recording-consent",
    "sip-support-dialout",
    "message-expiration",
    "reactions",
    "chat-reference-id",
];

/// What Talk 19 (Nextcloud 29) adds to [`FEATURES_18`].
const FEATURES_19: &[&str] = &[
    "edit-messages",
    "silent-send-state",
    "chat-read-last",
    "federation-v1",
    "ban-v1",
];

async fn capabilities(AxState(sim): AxState<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Err(resp) = precheck(&sim, &headers, false) {
        return *resp;
    }
    let v19 = sim.config.talk_version == TalkVersion::V19;
    let mut features: Vec<&str> = FEATURES_18.to_vec();
    if v19 {
        features.extend_from_slice(FEATURES_19);
    }
    let (nc, talk) = if v19 {
        ((29, "29.0.0"), "19.0.0")
    } else {
        ((28, "28.0.2"), "18.0.5")
    };
    let data = json!({
        "version": {"major": nc.0, "minor": 0, "micro": 0, "string": nc.1, "edition": "", "extendedSupport": false},
        "capabilities": {"spreed": {
            "features": features,
            "config": {
                "attachments": {"allowed": true, "folder": "/Talk"},
                "chat": {"max-length": MAX_LENGTH, "read-privacy": 0, "has-translation-providers": false, "typing-privacy": 0},
                "conversations": {"can-create": true},
                "previews": {"max-gif-size": 3_145_728},
                "signaling": {"session-ping-limit": 200, "hello-v2-token-key": ""},
            },
            "version": talk,
        }},
    });
    let mut resp = ocs(StatusCode::OK, data);
    resp.headers_mut().insert(
        "X-Nextcloud-Talk-Hash",
        HeaderValue::from_static(talk_hash(&sim)),
    );
    resp
}

async fn login(
    AxState(sim): AxState<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = params(query, &headers, &body);
    let name = p.get("user").and_then(Value::as_str).unwrap_or("");
    let pass = p.get("password").and_then(Value::as_str).unwrap_or("");
    let Some(user) =
        seed::find(|u| u.name == name && (u.password == pass || u.app_password == pass))
    else {
        return (StatusCode::UNAUTHORIZED, "wrong user or password").into_response();
    };
    // Only a local path: the login form is not an open redirect.
    let target = p
        .get("redirect_url")
        .and_then(Value::as_str)
        .filter(|t| t.starts_with('/') && !t.starts_with("//"))
        .unwrap_or("/")
        .to_string();
    let id = {
        let mut w = sim.world();
        let id = w.rng.hex(26);
        w.talk.sessions.insert(id.clone(), user);
        id
    };
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"
    )) {
        h.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "nc_username={}; Path=/; SameSite=Lax",
        seed::user(user).name
    )) {
        h.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&target) {
        h.insert(header::LOCATION, v);
    }
    resp
}

async fn logout(AxState(sim): AxState<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        sim.world().talk.sessions.remove(id);
    }
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("nc_session_id=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    h.insert(header::LOCATION, HeaderValue::from_static("/"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_as_the_server_finds_them() {
        assert_eq!(find_mentions("@bob have a look"), vec!["@bob"]);
        assert_eq!(find_mentions("hi @bob and @bobby"), vec!["@bobby", "@bob"]);
        assert_eq!(find_mentions("mail x@bob.org"), Vec::<String>::new());
        assert_eq!(find_mentions("@\"carol\" @all"), vec!["@\"carol\"", "@all"]);
        assert_eq!(find_mentions("@ nobody"), Vec::<String>::new());
    }

    #[test]
    fn emoji_check() {
        assert!(is_emoji("👍"));
        assert!(is_emoji("👩‍💻"));
        assert!(!is_emoji("ok"));
        assert!(!is_emoji(""));
        assert!(!is_emoji("👍 👍"));
    }
}
