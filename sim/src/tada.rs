//! tada.team messaging WebSocket: `/messaging/{team}`.
//!
//! - Connect with header `token: alice-token`, or — a browser, which cannot set headers on a
//!   WebSocket but sends its cookies on the upgrade — with the cookie `token=alice-token`
//!   (tdproto lists cookie auth, `AuthBySecureCookie`, without naming the cookie; this simulator
//!   calls it `token`, like the header). The header wins when both are sent. Unknown team →
//!   404, unknown or missing token → 401, both real HTTP answers before any upgrade.
//! - REST history, as tdclient's `GetMessages`: `GET /api/v4/teams/{team}/messages/{jid}` (the
//!   same at `GET /api/v4/teams/{team}/chats/{jid}/messages`), same auth, answers
//!   `{"ok":true,"result":{"messages":[...]}}` with the messages as `server.message.updated`
//!   carries them (`gentime` included), oldest first. Query (tdapi `MessageFilter`):
//!   `gentime_from=G` only messages whose `gentime` > G (what changed since, edits and deletions
//!   too: they bump the message's gentime); `new_from=ID` / `old_from=ID` after / before that
//!   message (exclusive); `include_deleted=true` keeps deleted messages (default: left out);
//!   `limit` (default 200, at most 200: the newest of the selection for `old_from` and no
//!   cursor, the oldest for `gentime_from` / `new_from`). Errors `{"ok":false,"error":...}`:
//!   401 no/unknown token, 404 unknown team or chat, 400 bad parameter.
//! - On connect the server sends `server.time`, then `server.chat.updated` with the user's
//!   chats (`gentime`, `num_unread`, `last_read_message_id` per chat, plus `badge` and
//!   `team_unread`), then `server.contact.updated` (the three seeded contacts).
//! - Every client event that carries a `confirm_id` and is accepted is answered
//!   `server.confirm` with **the client's** `confirm_id`. A client event that cannot be carried
//!   out (unknown chat, someone else's message, bad params) is answered `server.warning`
//!   `{message, orig}` instead, and is not confirmed. An unknown event is answered
//!   `server.warning {message:"unknown event: X", orig}`.
//! - `client.message.updated` is an upsert keyed by `message_id`: a resend of the same
//!   `message_id` with the same content creates nothing (the sending connection gets the
//!   message's current `server.message.updated` again); new content from its author is an edit.
//!   The message is broadcast as `server.message.updated` to every connection of every member
//!   of the chat, the sender's own included, each copy with its own `confirm_id` (12 chars of
//!   `[0-9A-Za-z]`) that the client must answer `client.confirm` within the ack timeout.
//!   Unconfirmed events are logged as client faults and redelivered up to 3 times, one ack
//!   timeout apart; a confirm beyond the number of copies written is logged as a duplicate.
//! - `client.message.deleted` turns the message's content into `{"type":"deleted"}`;
//!   `client.chat.lastread` answers `server.chat.lastread` (to all of the user's connections).
//!
//! `gentime`s come from one strictly increasing counter that starts at 1569546093662061959
//! (never the wall clock). A direct chat is seen by each side under the *other* side's jid.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::seed::{self, TADA_GROUP_JID, TADA_TEAM};
use crate::state::{iso8601, ConnId, Out, Sim, World};
use crate::ws;

/// The first `gentime` handed out.
pub const GENTIME_START: i64 = 1_569_546_093_662_061_959;

/// How many times an unconfirmed server event is redelivered.
pub const MAX_REDELIVERIES: u32 = 3;

/// Client events that are accepted and confirmed without further effect.
const ACCEPTED_EVENTS: [&str; 10] = [
    "client.activity",
    "client.call.buzzcancel",
    "client.call.leave",
    "client.call.muteall",
    "client.call.offer",
    "client.call.reject",
    "client.call.sdp",
    "client.call.sound",
    "client.call.trickle",
    "client.chat.composing",
];

/// tada state: conversations, messages, connections, unconfirmed server events.
pub(crate) struct State {
    gentime: i64,
    convs: Vec<Conv>,
    conns: HashMap<ConnId, usize>,
    pending: HashMap<String, Pending>,
    /// Events for the connection whose client event is being handled, held back so that
    /// its `server.confirm` goes out first.
    staged: HashMap<ConnId, Vec<Out>>,
}

enum Kind {
    Group {
        jid: &'static str,
        name: &'static str,
    },
    Direct(usize, usize),
}

struct Conv {
    kind: Kind,
    members: Vec<usize>,
    msgs: Vec<TMsg>,
    reads: HashMap<usize, ReadState>,
    gentime: i64,
    created: String,
}

#[derive(Default, Clone)]
struct ReadState {
    last_read: Option<String>,
    gentime: i64,
}

struct TMsg {
    message_id: String,
    from: usize,
    content: Value,
    created: String,
    edited: Option<String>,
    gentime: i64,
    reply_to: Option<String>,
    deleted: bool,
}

struct Pending {
    conn: ConnId,
    text: String,
    created: Instant,
    last_sent: Option<Instant>,
    copies: u32,
    confirms: u32,
    redeliveries: u32,
    fault_logged: bool,
    gave_up: bool,
}

impl State {
    /// The seeded world: a group chat of all three and a direct chat between each pair.
    pub fn seeded() -> State {
        let mut gentime = GENTIME_START;
        let created = iso8601(crate::state::Clock::START_MS);
        let mut convs = Vec::new();
        let mut kinds = vec![Kind::Group {
            jid: TADA_GROUP_JID,
            name: "Sim team",
        }];
        kinds.extend([(0, 1), (0, 2), (1, 2)].map(|(a, b)| Kind::Direct(a, b)));
        for kind in kinds {
            let members = match kind {
                Kind::Group { .. } => vec![0, 1, 2],
                Kind::Direct(a, b) => vec![a, b],
            };
            gentime += 1;
            let reads = members
                .iter()
                .map(|m| {
                    (
                        *m,
                        ReadState {
                            last_read: None,
                            gentime,
                        },
                    )
                })
                .collect();
            convs.push(Conv {
                kind,
                members,
                msgs: Vec::new(),
                reads,
                gentime,
                created: created.clone(),
            });
        }
        State {
            gentime,
            convs,
            conns: HashMap::new(),
            pending: HashMap::new(),
            staged: HashMap::new(),
        }
    }

    fn next_gentime(&mut self) -> i64 {
        self.gentime += 1;
        self.gentime
    }

    /// The conversation `jid` names for `user`.
    fn resolve(&self, user: usize, jid: &str) -> Option<usize> {
        self.convs.iter().position(|c| match c.kind {
            Kind::Group { jid: g, .. } => g == jid && c.members.contains(&user),
            Kind::Direct(a, b) => {
                (a == user && seed::user(b).tada_jid == jid)
                    || (b == user && seed::user(a).tada_jid == jid)
            }
        })
    }

    fn find_message(&self, message_id: &str) -> Option<(usize, usize)> {
        self.convs.iter().enumerate().find_map(|(ci, c)| {
            c.msgs
                .iter()
                .position(|m| m.message_id == message_id)
                .map(|mi| (ci, mi))
        })
    }
}

impl Conv {
    fn jid_for(&self, viewer: usize) -> &'static str {
        match self.kind {
            Kind::Group { jid, .. } => jid,
            Kind::Direct(a, b) => seed::user(if viewer == a { b } else { a }).tada_jid,
        }
    }

    fn chat_type(&self) -> &'static str {
        match self.kind {
            Kind::Group { .. } => "group",
            Kind::Direct(..) => "direct",
        }
    }

    fn display_name(&self, viewer: usize) -> &'static str {
        match self.kind {
            Kind::Group { name, .. } => name,
            Kind::Direct(a, b) => seed::user(if viewer == a { b } else { a }).display_name,
        }
    }

    fn num_unread(&self, user: usize) -> usize {
        let start = self
            .reads
            .get(&user)
            .and_then(|r| r.last_read.as_deref())
            .and_then(|id| self.msgs.iter().position(|m| m.message_id == id))
            .map_or(0, |i| i + 1);
        self.msgs[start.min(self.msgs.len())..]
            .iter()
            .filter(|m| m.from != user && !m.deleted)
            .count()
    }

    fn counters(&self, user: usize) -> Value {
        let read = self.reads.get(&user).cloned().unwrap_or_default();
        json!({
            "chat_type": self.chat_type(),
            "gentime": read.gentime,
            "jid": self.jid_for(user),
            "last_read_message_id": read.last_read,
            "num_unread": self.num_unread(user),
            "num_unread_notices": 0,
        })
    }

    fn chat_json(&self, user: usize) -> Value {
        let read = self.reads.get(&user).cloned().unwrap_or_default();
        json!({
            "can_call": true,
            "can_send_message": true,
            "chat_type": self.chat_type(),
            "counters_enabled": true,
            "created": self.created,
            "display_name": self.display_name(user),
            "gentime": self.gentime.max(read.gentime),
            "jid": self.jid_for(user),
            "last_read_message_id": read.last_read,
            "notifications_enabled": true,
            "num_members": self.members.len(),
            "num_unread": self.num_unread(user),
            "num_unread_notices": 0,
            "public": false,
            "status": "member",
        })
    }

    fn message_json(&self, idx: usize, viewer: usize) -> Value {
        let m = &self.msgs[idx];
        let to = match self.kind {
            Kind::Group { jid, .. } => jid,
            Kind::Direct(..) => self.jid_for(m.from),
        };
        let mut v = json!({
            "chat": self.jid_for(viewer),
            "chat_type": self.chat_type(),
            "content": m.content,
            "created": m.created,
            "from": seed::user(m.from).tada_jid,
            "gentime": m.gentime,
            "is_first": idx == 0,
            "is_last": idx + 1 == self.msgs.len(),
            "message_id": m.message_id,
            "to": to,
        });
        if let Some(r) = &m.reply_to {
            v["reply_to"] = json!(r);
        }
        if let Some(e) = &m.edited {
            v["edited"] = json!(e);
        }
        v
    }
}

/// `badge` and `team_unread` for `user`.
fn team_unread(st: &State, user: usize) -> (usize, Value) {
    let mut direct = (0, 0);
    let mut group = (0, 0);
    for c in st.convs.iter().filter(|c| c.members.contains(&user)) {
        let n = c.num_unread(user);
        let slot = match c.kind {
            Kind::Group { .. } => &mut group,
            Kind::Direct(..) => &mut direct,
        };
        if n > 0 {
            slot.0 += 1;
            slot.1 += n;
        }
    }
    let team = json!({
        "direct": {"chats": direct.0, "messages": direct.1},
        "group": {"chats": group.0, "messages": group.1},
        "task": {"chats": 0, "messages": 0},
    });
    (direct.1 + group.1, team)
}

/// The tada routes.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/messaging/{team}", any(upgrade))
        .route("/api/v4/teams/{team}/messages/{jid}", get(history))
        .route("/api/v4/teams/{team}/chats/{jid}/messages", get(history))
}

/// The user of a request: header `token`, else cookie `token`.
fn auth_user(headers: &HeaderMap) -> Option<usize> {
    let token = headers
        .get("token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| crate::talk::cookie(headers, "token"))?;
    seed::find(|u| u.tada_token == token)
}

fn api_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"ok": false, "error": error}))).into_response()
}

async fn history(
    AxState(sim): AxState<Arc<Sim>>,
    Path((team, jid)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if team != TADA_TEAM {
        return api_error(StatusCode::NOT_FOUND, "NotFound");
    }
    let Some(user) = auth_user(&headers) else {
        return api_error(StatusCode::UNAUTHORIZED, "AccessDenied");
    };
    let number = |key: &str| -> Result<Option<i64>, Box<Response>> {
        match query.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| Box::new(api_error(StatusCode::BAD_REQUEST, "InvalidData"))),
        }
    };
    let (gentime_from, limit) = match (number("gentime_from"), number("limit")) {
        (Ok(g), Ok(l)) => (g, l.unwrap_or(200).clamp(1, 200) as usize),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    let include_deleted = query.get("include_deleted").is_some_and(|v| v == "true");
    let w = sim.world();
    let Some(ci) = w.tada.resolve(user, &jid) else {
        return api_error(StatusCode::NOT_FOUND, "NotFound");
    };
    let conv = &w.tada.convs[ci];
    let position = |key: &str| -> Result<Option<usize>, Box<Response>> {
        match query.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(id) => conv
                .msgs
                .iter()
                .position(|m| &m.message_id == id)
                .map(Some)
                .ok_or_else(|| Box::new(api_error(StatusCode::NOT_FOUND, "NotFound"))),
        }
    };
    let (new_from, old_from) = match (position("new_from"), position("old_from")) {
        (Ok(n), Ok(o)) => (n, o),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    let mut picked: Vec<usize> = (0..conv.msgs.len())
        .filter(|&i| include_deleted || !conv.msgs[i].deleted)
        .filter(|&i| gentime_from.is_none_or(|g| conv.msgs[i].gentime > g))
        .filter(|&i| new_from.is_none_or(|n| i > n))
        .filter(|&i| old_from.is_none_or(|o| i < o))
        .collect();
    if gentime_from.is_some() {
        // What changed since G, in the order it changed.
        picked.sort_by_key(|&i| conv.msgs[i].gentime);
        picked.truncate(limit);
    } else if new_from.is_some() {
        picked.truncate(limit);
    } else {
        let skip = picked.len().saturating_sub(limit);
        picked.drain(..skip);
    }
    let messages: Vec<Value> = picked
        .into_iter()
        .map(|i| conv.message_json(i, user))
        .collect();
    Json(json!({"ok": true, "result": {"messages": messages}})).into_response()
}

async fn upgrade(
    AxState(sim): AxState<Arc<Sim>>,
    Path(team): Path<String>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if team != TADA_TEAM {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("unknown team {team}")})),
        )
            .into_response();
    }
    let Some(user) = auth_user(&headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid token"})),
        )
            .into_response();
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    // Registered when the upgrade is accepted, before the client sees its 101, as a server
    // opens the session: a message posted right after the client's `connected` reaches it.
    // Registered in the upgrade's callback instead, which runs after the 101 is written, such
    // a message could be stored before the connection was listed, and never reach it.
    let (conn, rx) = ws::register(&sim);
    {
        let mut w = sim.world();
        w.tada.conns.insert(conn, user);
        hello(&mut w, conn, user);
    }
    let failed = Arc::clone(&sim);
    ws.on_failed_upgrade(move |_| ws::unregister(&failed, conn, &mut Handler))
        .on_upgrade(move |socket| ws::serve(sim, socket, conn, rx, Handler))
}

fn event(name: &str, params: Value) -> String {
    json!({"event": name, "params": params}).to_string()
}

fn hello(w: &mut World, conn: ConnId, user: usize) {
    let time = iso8601(w.clock.now());
    w.send(
        conn,
        Out::Event {
            text: event("server.time", json!({"time": time})),
            key: None,
        },
    );
    let st = &w.tada;
    let chats: Vec<Value> = st
        .convs
        .iter()
        .filter(|c| c.members.contains(&user))
        .map(|c| c.chat_json(user))
        .collect();
    let (badge, team) = team_unread(st, user);
    let text = event(
        "server.chat.updated",
        json!({"badge": badge, "chats": chats, "team_unread": team}),
    );
    w.send(conn, Out::Event { text, key: None });
    let contacts: Vec<Value> = seed::users()
        .iter()
        .map(|u| {
            json!({
                "can_add_to_group": true, "can_call": true, "can_create_task": true,
                "can_send_message": true, "changeable_fields": [], "contact_email": format!("{}@sim.local", u.name),
                "contact_phone": "", "display_name": u.display_name, "jid": u.tada_jid,
                "last_activity": null, "role": "", "sections": [], "status": "member",
            })
        })
        .collect();
    w.send(
        conn,
        Out::Event {
            text: event("server.contact.updated", json!({"contacts": contacts})),
            key: None,
        },
    );
}

struct Handler;

impl ws::Handler for Handler {
    fn on_text(&mut self, sim: &Sim, conn: ConnId, text: &str) {
        let mut w = sim.world();
        on_frame(sim, &mut w, conn, text);
    }

    fn on_sent(&mut self, sim: &Sim, _conn: ConnId, key: &str) {
        let mut w = sim.world();
        if let Some(p) = w.tada.pending.get_mut(key) {
            p.copies += 1;
            p.last_sent = Some(Instant::now());
        }
    }

    fn on_close(&mut self, sim: &Sim, conn: ConnId) {
        let mut w = sim.world();
        w.tada.conns.remove(&conn);
        w.tada.pending.retain(|_, p| p.conn != conn);
    }
}

/// Logs unconfirmed server events and redelivers them (at most [`MAX_REDELIVERIES`] times).
pub(crate) fn check_confirms(sim: &Sim, w: &mut World, now: Instant) {
    let timeout = sim.ack_timeout();
    let mut due: Vec<String> = w
        .tada
        .pending
        .iter()
        .filter(|(_, p)| {
            p.confirms == 0
                && !p.gave_up
                && p.last_sent
                    .is_some_and(|t| now.duration_since(t) >= timeout)
        })
        .map(|(k, _)| k.clone())
        .collect();
    due.sort();
    for cid in due {
        let user = w
            .tada
            .pending
            .get(&cid)
            .and_then(|p| w.tada.conns.get(&p.conn))
            .copied();
        let Some(p) = w.tada.pending.get_mut(&cid) else {
            continue;
        };
        let who = user.map_or("?", |u| seed::user(u).name);
        let conn = p.conn;
        if !p.fault_logged {
            p.fault_logged = true;
            sim.log_fault(format!(
                "tada: conn {conn} ({who}): server.message.updated confirm_id {cid} not confirmed within {} ms",
                timeout.as_millis()
            ));
        }
        if p.redeliveries < MAX_REDELIVERIES {
            p.redeliveries += 1;
            p.last_sent = Some(now);
            let text = p.text.clone();
            w.send(
                conn,
                Out::Event {
                    text,
                    key: Some(cid),
                },
            );
        } else {
            p.gave_up = true;
            sim.log_fault(format!(
                "tada: conn {conn} ({who}): confirm_id {cid} still unconfirmed after {MAX_REDELIVERIES} redeliveries"
            ));
        }
    }
    let keep = timeout * 12;
    w.tada
        .pending
        .retain(|_, p| !(p.confirms > 0 || p.gave_up) || now.duration_since(p.created) < keep);
}

fn respond(w: &World, conn: ConnId, name: &str, params: Value) {
    w.send(conn, Out::Response(event(name, params)));
}

fn warn(w: &World, conn: ConnId, message: String, orig: Value) {
    respond(
        w,
        conn,
        "server.warning",
        json!({"message": message, "orig": orig}),
    );
}

fn on_frame(sim: &Sim, w: &mut World, conn: ConnId, text: &str) {
    let Some(&user) = w.tada.conns.get(&conn) else {
        return;
    };
    let frame: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            sim.log_fault(format!(
                "tada: conn {conn}: unparsable client frame: {text}"
            ));
            warn(
                w,
                conn,
                "invalid json".into(),
                Value::String(text.to_string()),
            );
            return;
        }
    };
    let name = frame
        .get("event")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let confirm_id = frame
        .get("confirm_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let empty = json!({});
    let params = frame
        .get("params")
        .filter(|p| p.is_object())
        .unwrap_or(&empty)
        .clone();
    let result = match name.as_str() {
        "client.confirm" => {
            client_confirm(sim, w, conn, user, &params);
            return;
        }
        "client.ping" => Ok(()),
        "client.message.updated" => message_updated(w, conn, user, &params),
        "client.message.deleted" => message_deleted(w, conn, user, &params),
        "client.chat.lastread" => lastread(w, user, &params),
        "client.chat.composing" => {
            composing(w, conn, user, &params);
            Ok(())
        }
        n if ACCEPTED_EVENTS.contains(&n) => Ok(()),
        n => Err(format!("unknown event: {n}")),
    };
    match result {
        Ok(()) => {
            if let Some(cid) = confirm_id {
                respond(w, conn, "server.confirm", json!({"confirm_id": cid}));
            }
        }
        Err(message) => warn(w, conn, message, frame),
    }
    // The confirm goes first, then what the event caused on this connection.
    for out in w.tada.staged.remove(&conn).unwrap_or_default() {
        w.send(conn, out);
    }
}

fn client_confirm(sim: &Sim, w: &mut World, conn: ConnId, user: usize, params: &Value) {
    let who = seed::user(user).name;
    let Some(cid) = params.get("confirm_id").and_then(Value::as_str) else {
        sim.log_fault(format!(
            "tada: conn {conn} ({who}): client.confirm without confirm_id"
        ));
        return;
    };
    let Some(p) = w.tada.pending.get_mut(cid).filter(|p| p.conn == conn) else {
        sim.log_fault(format!(
            "tada: conn {conn} ({who}): client.confirm for unknown confirm_id {cid}"
        ));
        return;
    };
    p.confirms += 1;
    if p.confirms > p.copies.max(1) {
        sim.log_fault(format!(
            "tada: conn {conn} ({who}): confirm_id {cid} confirmed twice"
        ));
    }
}

/// Sends `server.message.updated` for message `idx` of conversation `ci` to `targets`
/// (connections), each copy with its own `confirm_id`. Frames for `origin` are staged so that
/// the `server.confirm` of the client event goes first.
fn broadcast_message(
    w: &mut World,
    ci: usize,
    idx: usize,
    targets: &[ConnId],
    origin: Option<ConnId>,
) {
    for &conn in targets {
        let Some(&viewer) = w.tada.conns.get(&conn) else {
            continue;
        };
        let st = &w.tada;
        let conv = &st.convs[ci];
        let (badge, team) = team_unread(st, viewer);
        let params = json!({
            "badge": badge,
            "chat_counters": [conv.counters(viewer)],
            "delayed": false,
            "messages": [conv.message_json(idx, viewer)],
            "team_unread": team,
        });
        let cid = w.rng.alnum(12);
        let text = json!({"event": "server.message.updated", "params": params, "confirm_id": cid})
            .to_string();
        w.tada.pending.insert(
            cid.clone(),
            Pending {
                conn,
                text: text.clone(),
                created: Instant::now(),
                last_sent: None,
                copies: 0,
                confirms: 0,
                redeliveries: 0,
                fault_logged: false,
                gave_up: false,
            },
        );
        let out = Out::Event {
            text,
            key: Some(cid),
        };
        if Some(conn) == origin {
            w.tada.staged.entry(conn).or_default().push(out);
        } else {
            w.send(conn, out);
        }
    }
}

fn member_conns(w: &World, ci: usize) -> Vec<ConnId> {
    let members = &w.tada.convs[ci].members;
    let mut conns: Vec<ConnId> = w
        .tada
        .conns
        .iter()
        .filter(|(_, u)| members.contains(u))
        .map(|(c, _)| *c)
        .collect();
    conns.sort_unstable();
    conns
}

fn message_updated(w: &mut World, conn: ConnId, user: usize, p: &Value) -> Result<(), String> {
    let to = p
        .get("to")
        .and_then(Value::as_str)
        .ok_or("params.to is required")?;
    let ci = w
        .tada
        .resolve(user, to)
        .ok_or_else(|| format!("chat not found: {to}"))?;
    let content = p
        .get("content")
        .filter(|c| c.is_object())
        .ok_or("params.content is required")?;
    let ctype = content
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("plain");
    let content = if ctype == "plain" {
        let text = content
            .get("text")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .ok_or("content.text is required")?;
        json!({"text": text, "type": "plain"})
    } else {
        content.clone()
    };
    let reply_to = p
        .get("reply_to")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(r) = &reply_to {
        if w.tada.find_message(r).map(|(c, _)| c) != Some(ci) {
            return Err(format!("reply_to message not found: {r}"));
        }
    }
    let message_id = match p.get("message_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => w.rng.uuid(),
    };
    if let Some((mci, mi)) = w.tada.find_message(&message_id) {
        let m = &w.tada.convs[mci].msgs[mi];
        if mci != ci || m.from != user {
            return Err(format!(
                "message_id {message_id} belongs to another message"
            ));
        }
        if m.deleted {
            return Err(format!("message {message_id} is deleted"));
        }
        if m.content == content && m.reply_to == reply_to {
            // A resend: nothing new; show this connection the message as it stands.
            broadcast_message(w, ci, mi, &[conn], Some(conn));
            return Ok(());
        }
        let gentime = w.tada.next_gentime();
        let edited = iso8601(w.clock.tick());
        let m = &mut w.tada.convs[ci].msgs[mi];
        m.content = content;
        m.reply_to = reply_to;
        m.gentime = gentime;
        m.edited = Some(edited);
        w.tada.convs[ci].gentime = gentime;
        let targets = member_conns(w, ci);
        broadcast_message(w, ci, mi, &targets, Some(conn));
        return Ok(());
    }
    let gentime = w.tada.next_gentime();
    let created = iso8601(w.clock.tick());
    let conv = &mut w.tada.convs[ci];
    conv.msgs.push(TMsg {
        message_id: message_id.clone(),
        from: user,
        content,
        created,
        edited: None,
        gentime,
        reply_to,
        deleted: false,
    });
    conv.gentime = gentime;
    for (m, read) in conv.reads.iter_mut() {
        read.gentime = gentime;
        if *m == user {
            read.last_read = Some(message_id.clone());
        }
    }
    let idx = conv.msgs.len() - 1;
    let targets = member_conns(w, ci);
    broadcast_message(w, ci, idx, &targets, Some(conn));
    Ok(())
}

fn message_deleted(w: &mut World, conn: ConnId, user: usize, p: &Value) -> Result<(), String> {
    let id = p
        .get("message_id")
        .and_then(Value::as_str)
        .ok_or("params.message_id is required")?;
    let (ci, mi) = w
        .tada
        .find_message(id)
        .filter(|(ci, _)| w.tada.convs[*ci].members.contains(&user))
        .ok_or_else(|| format!("message not found: {id}"))?;
    if w.tada.convs[ci].msgs[mi].from != user {
        return Err(format!("message {id} belongs to someone else"));
    }
    let gentime = w.tada.next_gentime();
    let conv = &mut w.tada.convs[ci];
    let m = &mut conv.msgs[mi];
    m.deleted = true;
    m.content = json!({"type": "deleted"});
    m.gentime = gentime;
    conv.gentime = gentime;
    for read in conv.reads.values_mut() {
        read.gentime = gentime;
    }
    let targets = member_conns(w, ci);
    broadcast_message(w, ci, mi, &targets, Some(conn));
    Ok(())
}

fn lastread(w: &mut World, user: usize, p: &Value) -> Result<(), String> {
    let jid = p
        .get("jid")
        .and_then(Value::as_str)
        .ok_or("params.jid is required")?;
    let ci = w
        .tada
        .resolve(user, jid)
        .ok_or_else(|| format!("chat not found: {jid}"))?;
    let conv = &w.tada.convs[ci];
    let last = match p.get("last_read_message_id").and_then(Value::as_str) {
        Some(id) => {
            if !conv.msgs.iter().any(|m| m.message_id == id) {
                return Err(format!("message not found: {id}"));
            }
            Some(id.to_string())
        }
        None => conv.msgs.last().map(|m| m.message_id.clone()),
    };
    let gentime = w.tada.next_gentime();
    let read = w.tada.convs[ci].reads.entry(user).or_default();
    read.last_read = last;
    read.gentime = gentime;
    let st = &w.tada;
    let (badge, team) = team_unread(st, user);
    let text = event(
        "server.chat.lastread",
        json!({"badge": badge, "chats": [st.convs[ci].counters(user)], "team_unread": team}),
    );
    let mut conns: Vec<ConnId> = st
        .conns
        .iter()
        .filter(|(_, u)| **u == user)
        .map(|(c, _)| *c)
        .collect();
    conns.sort_unstable();
    for c in conns {
        w.send(
            c,
            Out::Event {
                text: text.clone(),
                key: None,
            },
        );
    }
    Ok(())
}

fn composing(w: &mut World, conn: ConnId, user: usize, p: &Value) {
    let Some(ci) = p
        .get("jid")
        .and_then(Value::as_str)
        .and_then(|j| w.tada.resolve(user, j))
    else {
        return;
    };
    let conv = &w.tada.convs[ci];
    for c in member_conns(w, ci) {
        let Some(&viewer) = w.tada.conns.get(&c) else {
            continue;
        };
        if c == conn || viewer == user {
            continue;
        }
        let params = json!({
            "actor": seed::user(user).tada_jid,
            "composing": p.get("composing").and_then(Value::as_bool).unwrap_or(true),
            "is_audio": p.get("is_audio").and_then(Value::as_bool).unwrap_or(false),
            "jid": conv.jid_for(viewer),
        });
        w.send(
            c,
            Out::Event {
                text: event("server.chat.composing", params),
                key: None,
            },
        );
    }
}
