//! TrueConf Chatbot API: OAuth token endpoint and the `json.v1` WebSocket.
//!
//! - `POST /bridge/api/client/v1/oauth/token` (JSON or form body: `client_id` = `chat_bot`,
//!   `grant_type` = `password`, `username` = `alice` or `alice@sim.local`, `password`) →
//!   `{"access_token","token_type":"bearer","expires_in":3600}`; wrong credentials → 401
//!   `{"error":"invalid_grant",...}`. Tokens are JWT-shaped and never expire by themselves:
//!   `POST /admin/inject {"expire_tokens":true}` expires every token issued so far.
//! - WebSocket `/websocket/chat_bot/` (subprotocol `json.v1` is echoed when offered). Client
//!   requests `{"type":1,"id":N,"method","payload"}` get `{"type":2,"id":N,"payload"}`;
//!   server requests (notifications) carry the server's own per-connection id counter and must
//!   be acked `{"type":2,"id":<that id>}` within the ack timeout (5 s by default): a late,
//!   missing, duplicate or unknown ack is logged as a client fault. Acking a `sendMessage`
//!   notification marks that message read for the connection's user.
//!
//! A message goes to every connection of every participant except the sending connection;
//! chat changes (created, participant added/removed, role, title, avatar, history cleared,
//! chat removed) likewise. Besides user messages (type 200, 201 forwarded), histories hold the
//! system envelopes 1 (participant added), 2 (removed), 21 (title), 22 (avatar) and 110 (role
//! changed); those are not counted as unread and not sent as `sendMessage`.
//! Timestamps are Unix milliseconds from the simulator's logical clock; the
//! `addChatParticipant`/`removedChatParticipant` notifications carry theirs as a *string*, as
//! the real server does.
//!
//! Error codes (`{"type":2,"id":N,"payload":{"errorCode":C}}`): see the `ERR_*` constants.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::seed::{self, SimUser};
use crate::state::{ConnId, Out, Sim, World};
use crate::ws;

/// A request other than `auth` before a successful `auth`.
pub const ERR_NOT_AUTHORIZED: u32 = 200;
/// `auth` with a token the server never issued.
pub const ERR_INVALID_TOKEN: u32 = 201;
/// `auth` without a `token`, or with a `tokenType` other than `JWT`.
pub const ERR_BAD_AUTH_REQUEST: u32 = 202;
/// The session's token has expired (`expire_tokens`): get a new token, reconnect, re-auth.
/// Returned by `auth` and by every request of a connection authorized with such a token.
pub const ERR_TOKEN_EXPIRED: u32 = 203;
/// A required parameter is missing or has the wrong type (also: a P2P chat with oneself).
pub const ERR_INVALID_PARAMS: u32 = 300;
/// Unknown method.
pub const ERR_UNKNOWN_METHOD: u32 = 301;
/// No such user.
pub const ERR_USER_NOT_FOUND: u32 = 302;
/// No such message, or not visible to this user.
pub const ERR_MESSAGE_NOT_FOUND: u32 = 303;
/// No such chat, or this user is not a participant.
pub const ERR_CHAT_NOT_FOUND: u32 = 304;
/// Not allowed: the user's role does not permit this (or it is not the user's message).
pub const ERR_NO_RIGHTS: u32 = 305;
/// The user named in the request is not a participant of the chat.
pub const ERR_NOT_PARTICIPANT: u32 = 306;
/// The user is already a participant of the chat.
pub const ERR_ALREADY_PARTICIPANT: u32 = 307;
/// Message text longer than 4096 characters.
pub const ERR_TEXT_TOO_LONG: u32 = 308;
/// Not possible in this kind of chat (e.g. adding a participant to a P2P chat).
pub const ERR_WRONG_CHAT_TYPE: u32 = 309;
/// Unknown role name.
pub const ERR_INVALID_ROLE: u32 = 310;
/// Empty message text.
pub const ERR_EMPTY_MESSAGE: u32 = 312;

/// Longest message text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

const CHAT_P2P: u32 = 1;
const CHAT_GROUP: u32 = 2;
const CHAT_FAVORITES: u32 = 5;
const CHAT_CHANNEL: u32 = 6;
const ROLES: [&str; 7] = [
    "owner",
    "admin",
    "user",
    "conf_owner",
    "conf_moderator",
    "favorites_owner",
    "writer",
];

/// TrueConf state: tokens, connections, chats, messages, pending server requests.
#[derive(Default)]
pub(crate) struct State {
    tokens: HashMap<String, Token>,
    conns: HashMap<ConnId, TcConn>,
    chats: HashMap<String, Chat>,
    messages: HashMap<String, Msg>,
    next_seq: u64,
    pending: HashMap<(ConnId, u64), Pending>,
}

struct Token {
    user: usize,
    expired: bool,
}

struct TcConn {
    user: Option<usize>,
    token: Option<String>,
    next_id: u64,
}

struct Chat {
    id: String,
    title: Option<String>,
    chat_type: u32,
    participants: Vec<(usize, String)>,
    history: Vec<String>,
    avatar: Option<String>,
    unread: HashMap<usize, Vec<String>>,
    cleared_upto: HashMap<usize, u64>,
    created_seq: u64,
    last_activity: u64,
}

struct Msg {
    id: String,
    chat_id: String,
    seq: u64,
    timestamp: u64,
    mtype: u32,
    author: usize,
    content: Value,
    is_edited: bool,
    reply: Option<String>,
    hidden_for: HashSet<usize>,
}

struct Pending {
    method: String,
    read_ref: Option<(String, String)>,
    created: Instant,
    first_sent: Option<Instant>,
    copies: u32,
    acks: u32,
    timed_out: bool,
}

impl Chat {
    fn role(&self, user: usize) -> Option<&str> {
        self.participants
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, r)| r.as_str())
    }

    fn is_admin(&self, user: usize) -> bool {
        matches!(self.role(user), Some("owner" | "admin"))
    }

    fn users(&self) -> Vec<usize> {
        self.participants.iter().map(|(u, _)| *u).collect()
    }

    fn can_post(&self, user: usize) -> bool {
        self.chat_type != CHAT_CHANNEL
            || matches!(self.role(user), Some("owner" | "admin" | "writer"))
    }
}

/// The TrueConf routes.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/bridge/api/client/v1/oauth/token", post(token))
        .route("/websocket/chat_bot/", any(upgrade))
        .route("/websocket/chat_bot", any(upgrade))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenRequest {
    client_id: String,
    grant_type: String,
    username: String,
    password: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    AxState(sim): AxState<Arc<Sim>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let parsed: Option<TokenRequest> = if is_json {
        serde_json::from_slice(&body).ok()
    } else {
        serde_urlencoded::from_bytes(&body)
            .ok()
            .or_else(|| serde_json::from_slice(&body).ok())
    };
    let Some(req) = parsed else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "body is neither JSON nor a form",
        );
    };
    if req.client_id != "chat_bot" {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id must be chat_bot",
        );
    }
    if req.grant_type != "password" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be password",
        );
    }
    let Some(user) = seed::find(|u| {
        (u.name == req.username || u.trueconf_id == req.username) && u.password == req.password
    }) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "Invalid username or password",
        );
    };
    let mut w = sim.world();
    let iat = w.clock.now() / 1000;
    let jti = w.rng.hex(16);
    let sig = w.rng.hex(43);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(
        json!({"sub": seed::user(user).trueconf_id, "iat": iat, "exp": iat + 3600, "jti": jti})
            .to_string(),
    );
    let access_token = format!("{header}.{claims}.{sig}");
    w.trueconf.tokens.insert(
        access_token.clone(),
        Token {
            user,
            expired: false,
        },
    );
    Json(json!({"access_token": access_token, "token_type": "bearer", "expires_in": 3600}))
        .into_response()
}

async fn upgrade(AxState(sim): AxState<Arc<Sim>>, ws: WebSocketUpgrade) -> Response {
    ws.protocols(["json.v1"])
        .on_upgrade(move |socket| async move {
            let (conn, rx) = ws::register(&sim);
            sim.world().trueconf.conns.insert(
                conn,
                TcConn {
                    user: None,
                    token: None,
                    next_id: 1,
                },
            );
            ws::serve(sim, socket, conn, rx, Handler).await;
        })
}

struct Handler;

impl ws::Handler for Handler {
    fn on_text(&mut self, sim: &Sim, conn: ConnId, text: &str) {
        let mut w = sim.world();
        on_frame(sim, &mut w, conn, text);
    }

    fn on_sent(&mut self, sim: &Sim, conn: ConnId, key: &str) {
        let Ok(id) = key.parse::<u64>() else { return };
        let mut w = sim.world();
        if let Some(p) = w.trueconf.pending.get_mut(&(conn, id)) {
            p.copies += 1;
            p.first_sent.get_or_insert_with(Instant::now);
        }
    }

    fn on_close(&mut self, sim: &Sim, conn: ConnId) {
        let mut w = sim.world();
        w.trueconf.conns.remove(&conn);
        w.trueconf.pending.retain(|(c, _), _| *c != conn);
    }
}

/// Expires every token issued so far (admin `expire_tokens`).
pub(crate) fn expire_tokens(w: &mut World) {
    for t in w.trueconf.tokens.values_mut() {
        t.expired = true;
    }
}

/// Logs server requests not acked in time; forgets old settled ones.
pub(crate) fn check_acks(sim: &Sim, w: &mut World, now: Instant) {
    let timeout = sim.ack_timeout();
    let mut late = Vec::new();
    for ((conn, id), p) in w.trueconf.pending.iter_mut() {
        if p.acks == 0 && !p.timed_out {
            if let Some(sent) = p.first_sent {
                if now.duration_since(sent) >= timeout {
                    p.timed_out = true;
                    late.push((*conn, *id, p.method.clone()));
                }
            }
        }
    }
    late.sort();
    for (conn, id, method) in late {
        let who = conn_label(w, conn);
        sim.log_fault(format!(
            "trueconf: conn {conn} ({who}): server request id {id} ({method}) not acked within {} ms",
            timeout.as_millis()
        ));
    }
    let keep = timeout * 12;
    w.trueconf
        .pending
        .retain(|_, p| !(p.acks > 0 || p.timed_out) || now.duration_since(p.created) < keep);
}

fn conn_label(w: &World, conn: ConnId) -> &'static str {
    w.trueconf
        .conns
        .get(&conn)
        .and_then(|c| c.user)
        .map(|u| seed::user(u).trueconf_id)
        .unwrap_or("unauthorized")
}

fn respond(w: &World, conn: ConnId, id: &Value, payload: Value) {
    let text = json!({"type": 2, "id": id, "payload": payload}).to_string();
    w.send(conn, Out::Response(text));
}

fn on_frame(sim: &Sim, w: &mut World, conn: ConnId, text: &str) {
    if !w.trueconf.conns.contains_key(&conn) {
        return;
    }
    let frame: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(err) => {
            sim.log_fault(format!(
                "trueconf: conn {conn}: unparsable client frame ({err}): {text}"
            ));
            return;
        }
    };
    let kind = frame.get("type").and_then(Value::as_u64);
    match kind {
        Some(2) => on_ack(sim, w, conn, &frame),
        Some(1) => {
            let Some(id) = frame.get("id").filter(|v| v.is_u64()).cloned() else {
                sim.log_fault(format!(
                    "trueconf: conn {conn}: client request without a numeric id: {text}"
                ));
                return;
            };
            let method = frame.get("method").and_then(Value::as_str).unwrap_or("");
            let empty = json!({});
            let payload = frame
                .get("payload")
                .filter(|p| p.is_object())
                .unwrap_or(&empty);
            let result = request(sim, w, conn, method, payload);
            let authed = method == "auth" && result.is_ok();
            let answer = match result {
                Ok(v) => v,
                Err(code) => json!({"errorCode": code}),
            };
            respond(w, conn, &id, answer);
            if authed && payload.get("receiveUnread").and_then(Value::as_bool) == Some(true) {
                push_unread(w, conn);
            }
        }
        _ => sim.log_fault(format!(
            "trueconf: conn {conn}: frame with unknown type: {text}"
        )),
    }
}

fn on_ack(sim: &Sim, w: &mut World, conn: ConnId, frame: &Value) {
    let who = conn_label(w, conn);
    let Some(id) = frame.get("id").and_then(Value::as_u64) else {
        sim.log_fault(format!(
            "trueconf: conn {conn} ({who}): ack without a numeric id: {frame}"
        ));
        return;
    };
    let Some(p) = w.trueconf.pending.get_mut(&(conn, id)) else {
        sim.log_fault(format!(
            "trueconf: conn {conn} ({who}): ack for unknown server request id {id}"
        ));
        return;
    };
    p.acks += 1;
    if p.acks > p.copies.max(1) {
        let method = p.method.clone();
        sim.log_fault(format!(
            "trueconf: conn {conn} ({who}): server request id {id} ({method}) acked twice"
        ));
        return;
    }
    if p.acks != 1 {
        return;
    }
    let Some((chat_id, msg_id)) = p.read_ref.clone() else {
        return;
    };
    let Some(user) = w.trueconf.conns.get(&conn).and_then(|c| c.user) else {
        return;
    };
    if let Some(chat) = w.trueconf.chats.get_mut(&chat_id) {
        if let Some(list) = chat.unread.get_mut(&user) {
            list.retain(|m| *m != msg_id);
        }
    }
}

/// After `auth` with `receiveUnread: true`: every unread message of the user, oldest first,
/// as `sendMessage` server requests to this connection only.
fn push_unread(w: &mut World, conn: ConnId) {
    let Some(user) = w.trueconf.conns.get(&conn).and_then(|c| c.user) else {
        return;
    };
    let st = &w.trueconf;
    let mut unread: Vec<&Msg> = st
        .chats
        .values()
        .filter_map(|c| c.unread.get(&user))
        .flatten()
        .filter_map(|id| st.messages.get(id))
        .collect();
    unread.sort_by_key(|m| m.seq);
    let items: Vec<(String, String, Value)> = unread
        .into_iter()
        .map(|m| (m.chat_id.clone(), m.id.clone(), envelope(m)))
        .collect();
    for (chat_id, msg_id, env) in items {
        send_request(w, conn, "sendMessage", &env, Some((&chat_id, &msg_id)));
    }
}

/// Sends server request `method` to every connection of `users` but `except`.
fn notify(
    w: &mut World,
    users: &[usize],
    except: ConnId,
    method: &str,
    payload: &Value,
    read_ref: Option<(&str, &str)>,
) {
    let mut targets: Vec<ConnId> = w
        .trueconf
        .conns
        .iter()
        .filter(|(c, tc)| **c != except && tc.user.is_some_and(|u| users.contains(&u)))
        .map(|(c, _)| *c)
        .collect();
    targets.sort_unstable();
    for conn in targets {
        send_request(w, conn, method, payload, read_ref);
    }
}

/// Sends one server request to one connection and starts tracking its ack.
fn send_request(
    w: &mut World,
    conn: ConnId,
    method: &str,
    payload: &Value,
    read_ref: Option<(&str, &str)>,
) {
    let Some(tc) = w.trueconf.conns.get_mut(&conn) else {
        return;
    };
    let id = tc.next_id;
    tc.next_id += 1;
    w.trueconf.pending.insert(
        (conn, id),
        Pending {
            method: method.to_string(),
            read_ref: read_ref.map(|(c, m)| (c.to_string(), m.to_string())),
            created: Instant::now(),
            first_sent: None,
            copies: 0,
            acks: 0,
            timed_out: false,
        },
    );
    let text = json!({"type": 1, "id": id, "method": method, "payload": payload}).to_string();
    w.send(
        conn,
        Out::Event {
            text,
            key: Some(id.to_string()),
        },
    );
}

fn str_arg<'a>(p: &'a Value, key: &str) -> Result<&'a str, u32> {
    p.get(key).and_then(Value::as_str).ok_or(ERR_INVALID_PARAMS)
}

fn bool_arg(p: &Value, key: &str) -> bool {
    p.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn find_user(id: &str) -> Result<usize, u32> {
    seed::find(|u: &SimUser| u.trueconf_id == id || u.name == id).ok_or(ERR_USER_NOT_FOUND)
}

fn tc_id(user: usize) -> &'static str {
    seed::user(user).trueconf_id
}

fn envelope(m: &Msg) -> Value {
    let mut v = json!({
        "messageId": m.id,
        "chatId": m.chat_id,
        "timestamp": m.timestamp,
        "type": m.mtype,
        "author": {"id": tc_id(m.author), "type": 1},
        "content": m.content,
        "isEdited": m.is_edited,
        "box": {"id": m.seq, "position": "0"},
    });
    if let Some(r) = &m.reply {
        v["replyMessageId"] = json!(r);
    }
    v
}

fn last_message_json(m: &Msg) -> Value {
    let mut v = envelope(m);
    if let Some(o) = v.as_object_mut() {
        o.remove("chatId");
        o.remove("isEdited");
        o.remove("box");
    }
    v
}

fn visible(chat: &Chat, m: &Msg, user: usize) -> bool {
    !m.hidden_for.contains(&user) && m.seq > chat.cleared_upto.get(&user).copied().unwrap_or(0)
}

fn chat_json(st: &State, chat: &Chat, user: usize) -> Value {
    let title = match chat.chat_type {
        CHAT_P2P => chat
            .participants
            .iter()
            .find(|(u, _)| *u != user)
            .map(|(u, _)| json!(tc_id(*u)))
            .unwrap_or(Value::Null),
        _ => chat
            .title
            .as_deref()
            .map(Value::from)
            .unwrap_or(Value::Null),
    };
    let last = chat
        .history
        .iter()
        .rev()
        .filter_map(|id| st.messages.get(id))
        .find(|m| visible(chat, m, user))
        .map(last_message_json)
        .unwrap_or(Value::Null);
    json!({
        "chatId": chat.id,
        "title": title,
        "chatType": chat.chat_type,
        "unreadMessages": chat.unread.get(&user).map_or(0, Vec::len),
        "lastMessage": last,
    })
}

fn creation_method(chat_type: u32) -> &'static str {
    match chat_type {
        CHAT_P2P => "createP2PChat",
        CHAT_FAVORITES => "createFavoritesChat",
        CHAT_CHANNEL => "createChannel",
        _ => "createGroupChat",
    }
}

/// Chat `chat_id` if `user` is a participant.
fn member_chat<'a>(st: &'a State, chat_id: &str, user: usize) -> Result<&'a Chat, u32> {
    st.chats
        .get(chat_id)
        .filter(|c| c.role(user).is_some())
        .ok_or(ERR_CHAT_NOT_FOUND)
}

/// A group chat or channel that `user` administers: what renaming, pictures and membership
/// changes require.
fn managed_chat<'a>(st: &'a State, chat_id: &str, user: usize) -> Result<&'a Chat, u32> {
    let chat = member_chat(st, chat_id, user)?;
    if !matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) {
        return Err(ERR_WRONG_CHAT_TYPE);
    }
    if !chat.is_admin(user) {
        return Err(ERR_NO_RIGHTS);
    }
    Ok(chat)
}

/// Appends a message to a chat; returns its id and timestamp.
fn add_message(
    w: &mut World,
    chat_id: &str,
    author: usize,
    mtype: u32,
    content: Value,
    reply: Option<String>,
) -> (String, u64) {
    let id = w.rng.uuid();
    let timestamp = w.clock.tick();
    let st = &mut w.trueconf;
    st.next_seq += 1;
    let seq = st.next_seq;
    let msg = Msg {
        id: id.clone(),
        chat_id: chat_id.to_string(),
        seq,
        timestamp,
        mtype,
        author,
        content,
        is_edited: false,
        reply,
        hidden_for: HashSet::new(),
    };
    if let Some(chat) = st.chats.get_mut(chat_id) {
        chat.history.push(id.clone());
        chat.last_activity = seq;
        if matches!(mtype, 200..=205) {
            for (u, _) in &chat.participants {
                if *u != author {
                    chat.unread.entry(*u).or_default().push(id.clone());
                }
            }
        }
    }
    st.messages.insert(id.clone(), msg);
    (id, timestamp)
}

fn new_chat(
    w: &mut World,
    chat_type: u32,
    title: Option<String>,
    participants: Vec<(usize, String)>,
) -> String {
    let id = w.rng.hex(40);
    w.trueconf.next_seq += 1;
    let seq = w.trueconf.next_seq;
    w.trueconf.chats.insert(
        id.clone(),
        Chat {
            id: id.clone(),
            title,
            chat_type,
            participants,
            history: Vec::new(),
            avatar: None,
            unread: HashMap::new(),
            cleared_upto: HashMap::new(),
            created_seq: seq,
            last_activity: seq,
        },
    );
    id
}

fn check_text(content: &Value) -> Result<(), u32> {
    let text = content
        .get("text")
        .and_then(Value::as_str)
        .ok_or(ERR_INVALID_PARAMS)?;
    if text.is_empty() {
        return Err(ERR_EMPTY_MESSAGE);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ERR_TEXT_TOO_LONG);
    }
    Ok(())
}

fn text_content(content: &Value) -> Value {
    json!({
        "text": content.get("text").cloned().unwrap_or(Value::Null),
        "parseMode": content.get("parseMode").and_then(Value::as_str).unwrap_or("text"),
    })
}

fn request(sim: &Sim, w: &mut World, conn: ConnId, method: &str, p: &Value) -> Result<Value, u32> {
    let (user, token) = match w.trueconf.conns.get(&conn) {
        Some(c) => (c.user, c.token.clone()),
        None => return Err(ERR_NOT_AUTHORIZED),
    };
    if method == "auth" {
        let token = p
            .get("token")
            .and_then(Value::as_str)
            .ok_or(ERR_BAD_AUTH_REQUEST)?;
        if p.get("tokenType")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "JWT")
        {
            return Err(ERR_BAD_AUTH_REQUEST);
        }
        let t = w.trueconf.tokens.get(token).ok_or(ERR_INVALID_TOKEN)?;
        if t.expired {
            return Err(ERR_TOKEN_EXPIRED);
        }
        let u = t.user;
        let connection_id = w.rng.uuid();
        if let Some(c) = w.trueconf.conns.get_mut(&conn) {
            c.user = Some(u);
            c.token = Some(token.to_string());
        }
        return Ok(json!({"userId": tc_id(u), "connectionId": connection_id}));
    }
    let Some(me) = user else {
        return Err(ERR_NOT_AUTHORIZED);
    };
    if token
        .and_then(|t| w.trueconf.tokens.get(&t).map(|t| t.expired))
        .unwrap_or(true)
    {
        return Err(ERR_TOKEN_EXPIRED);
    }
    match method {
        "createP2PChat" => {
            let other = find_user(str_arg(p, "userId")?)?;
            if other == me {
                return Err(ERR_INVALID_PARAMS);
            }
            let existing = w.trueconf.chats.values().find(|c| {
                c.chat_type == CHAT_P2P && c.role(me).is_some() && c.role(other).is_some()
            });
            if let Some(c) = existing {
                return Ok(json!({"chatId": c.id}));
            }
            let id = new_chat(
                w,
                CHAT_P2P,
                None,
                vec![(me, "user".into()), (other, "user".into())],
            );
            for u in [me, other] {
                let payload = chat_json(&w.trueconf, &w.trueconf.chats[&id], u);
                notify(w, &[u], conn, "createP2PChat", &payload, None);
            }
            Ok(json!({"chatId": id}))
        }
        "createGroupChat" | "createChannel" => {
            let title = p
                .get("title")
                .or_else(|| p.get("name"))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .ok_or(ERR_INVALID_PARAMS)?;
            let chat_type = if method == "createChannel" {
                CHAT_CHANNEL
            } else {
                CHAT_GROUP
            };
            let id = new_chat(
                w,
                chat_type,
                Some(title.to_string()),
                vec![(me, "owner".into())],
            );
            let payload = chat_json(&w.trueconf, &w.trueconf.chats[&id], me);
            notify(w, &[me], conn, method, &payload, None);
            Ok(json!({"chatId": id}))
        }
        "createFavoritesChat" => {
            let existing = w
                .trueconf
                .chats
                .values()
                .find(|c| c.chat_type == CHAT_FAVORITES && c.role(me).is_some());
            if let Some(c) = existing {
                return Ok(json!({"chatId": c.id}));
            }
            let id = new_chat(
                w,
                CHAT_FAVORITES,
                None,
                vec![(me, "favorites_owner".into())],
            );
            let payload = chat_json(&w.trueconf, &w.trueconf.chats[&id], me);
            notify(w, &[me], conn, "createFavoritesChat", &payload, None);
            Ok(json!({"chatId": id}))
        }
        "editChatTitle" => {
            let chat_id = str_arg(p, "chatId")?;
            let title = str_arg(p, "title")?;
            let chat = managed_chat(&w.trueconf, chat_id, me)?;
            let users = chat.users();
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                c.title = Some(title.to_string());
            }
            let (_, ts) = add_message(w, chat_id, me, 21, json!({"title": title}), None);
            notify(
                w,
                &users,
                conn,
                "editChatTitle",
                &json!({"chatId": chat_id, "title": title}),
                None,
            );
            Ok(json!({"chatId": chat_id, "timestamp": ts}))
        }
        "editChatAvatar" => {
            let chat_id = str_arg(p, "chatId")?;
            let file = match p.get("temporalFileId") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) => None,
                _ => return Err(ERR_INVALID_PARAMS),
            };
            let chat = managed_chat(&w.trueconf, chat_id, me)?;
            let users = chat.users();
            let url = file.map(|f| {
                format!(
                    "http://{}/bridge/api/client/v1/files/{f}/preview",
                    sim.host()
                )
            });
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                c.avatar = url.clone();
            }
            let (_, ts) = add_message(w, chat_id, me, 22, json!({"avatarUrl": url}), None);
            notify(
                w,
                &users,
                conn,
                "editChatAvatar",
                &json!({"chatId": chat_id, "avatarUrl": url}),
                None,
            );
            Ok(json!({"chatId": chat_id, "timestamp": ts}))
        }
        "clearHistory" => {
            let chat_id = str_arg(p, "chatId")?;
            let for_all = bool_arg(p, "forAll");
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if for_all && matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) && !chat.is_admin(me)
            {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let st = &mut w.trueconf;
            let upto = st.next_seq;
            if let Some(c) = st.chats.get_mut(chat_id) {
                if for_all {
                    for id in c.history.drain(..) {
                        st.messages.remove(&id);
                    }
                    c.unread.clear();
                } else {
                    c.cleared_upto.insert(me, upto);
                    c.unread.remove(&me);
                }
            }
            let targets = if for_all { users } else { vec![me] };
            notify(
                w,
                &targets,
                conn,
                "clearHistory",
                &json!({"chatId": chat_id, "forAll": for_all}),
                None,
            );
            Ok(json!({}))
        }
        "removeChat" => {
            let chat_id = str_arg(p, "chatId")?;
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) && chat.role(me) != Some("owner")
            {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            if let Some(c) = w.trueconf.chats.remove(chat_id) {
                for id in c.history {
                    w.trueconf.messages.remove(&id);
                }
            }
            notify(
                w,
                &users,
                conn,
                "removeChat",
                &json!({"chatId": chat_id}),
                None,
            );
            Ok(json!({"chatId": chat_id}))
        }
        "addChatParticipant" => {
            let chat_id = str_arg(p, "chatId")?;
            let target = find_user(str_arg(p, "userId")?)?;
            let display_history = bool_arg(p, "displayHistory");
            let chat = managed_chat(&w.trueconf, chat_id, me)?;
            if chat.role(target).is_some() {
                return Err(ERR_ALREADY_PARTICIPANT);
            }
            let my_role = chat.role(me).unwrap_or("user").to_string();
            let upto = w.trueconf.next_seq;
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                c.participants.push((target, "user".into()));
                if !display_history {
                    c.cleared_upto.insert(target, upto);
                }
            }
            let (_, ts) = add_message(
                w,
                chat_id,
                me,
                1,
                json!({"userId": tc_id(target), "role": "user"}),
                None,
            );
            let chat = &w.trueconf.chats[chat_id];
            let users = chat.users();
            let created = chat_json(&w.trueconf, chat, target);
            let method = creation_method(chat.chat_type);
            notify(w, &[target], conn, method, &created, None);
            let payload = json!({
                "chatId": chat_id,
                "userId": tc_id(target),
                "userRole": my_role,
                "addedBy": {"id": tc_id(me), "type": 1},
                "timestamp": ts.to_string(),
            });
            notify(w, &users, conn, "addChatParticipant", &payload, None);
            Ok(json!({}))
        }
        "removeChatParticipant" => {
            let chat_id = str_arg(p, "chatId")?;
            let target = find_user(str_arg(p, "userId")?)?;
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) {
                return Err(ERR_WRONG_CHAT_TYPE);
            }
            let Some(target_role) = chat.role(target) else {
                return Err(ERR_NOT_PARTICIPANT);
            };
            if target != me && (!chat.is_admin(me) || target_role == "owner") {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let (_, ts) = add_message(w, chat_id, me, 2, json!({"userId": tc_id(target)}), None);
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                c.participants.retain(|(u, _)| *u != target);
                c.unread.remove(&target);
            }
            let payload = json!({
                "chatId": chat_id,
                "userId": tc_id(target),
                "removedBy": {"id": tc_id(me), "type": 1},
                "timestamp": ts.to_string(),
            });
            notify(w, &users, conn, "removedChatParticipant", &payload, None);
            Ok(json!({}))
        }
        "changeParticipantRole" => {
            let chat_id = str_arg(p, "chatId")?;
            let target = find_user(str_arg(p, "userId")?)?;
            let role = str_arg(p, "role")?;
            if !ROLES.contains(&role) {
                return Err(ERR_INVALID_ROLE);
            }
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) {
                return Err(ERR_WRONG_CHAT_TYPE);
            }
            let Some(target_role) = chat.role(target) else {
                return Err(ERR_NOT_PARTICIPANT);
            };
            if !chat.is_admin(me) || target_role == "owner" {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                for (u, r) in c.participants.iter_mut() {
                    if *u == target {
                        *r = role.to_string();
                    }
                }
            }
            let (_, ts) = add_message(
                w,
                chat_id,
                me,
                110,
                json!({"userId": tc_id(target), "role": role}),
                None,
            );
            let payload =
                json!({"chatId": chat_id, "userId": tc_id(target), "role": role, "timestamp": ts});
            notify(w, &users, conn, "changeParticipantRole", &payload, None);
            Ok(json!({}))
        }
        "getChatByID" => {
            let chat = member_chat(&w.trueconf, str_arg(p, "chatId")?, me)?;
            Ok(chat_json(&w.trueconf, chat, me))
        }
        "getChats" => {
            let count = p.get("count").and_then(Value::as_u64).unwrap_or(u64::MAX) as usize;
            let page = p.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
            let mut chats: Vec<&Chat> = w
                .trueconf
                .chats
                .values()
                .filter(|c| c.role(me).is_some())
                .collect();
            chats.sort_by(|a, b| {
                b.last_activity
                    .cmp(&a.last_activity)
                    .then(b.created_seq.cmp(&a.created_seq))
            });
            let list: Vec<Value> = chats
                .into_iter()
                .skip(count.saturating_mul(page - 1))
                .take(count)
                .map(|c| chat_json(&w.trueconf, c, me))
                .collect();
            Ok(Value::Array(list))
        }
        "getChatParticipant" => {
            let chat = member_chat(&w.trueconf, str_arg(p, "chatId")?, me)?;
            let target = find_user(str_arg(p, "userId")?)?;
            let role = chat.role(target).ok_or(ERR_NOT_PARTICIPANT)?;
            Ok(json!({"userId": tc_id(target), "role": role, "type": 1}))
        }
        "getChatParticipants" => {
            let chat = member_chat(&w.trueconf, str_arg(p, "chatId")?, me)?;
            let size = p
                .get("pageSize")
                .and_then(Value::as_u64)
                .unwrap_or(100)
                .max(1) as usize;
            let number = p.get("pageNumber").and_then(Value::as_u64).unwrap_or(1) as usize;
            let list: Vec<Value> = chat
                .participants
                .iter()
                .skip(size.saturating_mul(number.saturating_sub(1)))
                .take(size)
                .map(|(u, r)| json!({"userId": tc_id(*u), "role": r, "type": 1}))
                .collect();
            Ok(json!({"participants": list}))
        }
        "hasChatParticipant" => {
            let chat = member_chat(&w.trueconf, str_arg(p, "chatId")?, me)?;
            let target = find_user(str_arg(p, "userId")?)?;
            Ok(json!({"result": chat.role(target).is_some()}))
        }
        "sendMessage" => {
            let chat_id = str_arg(p, "chatId")?;
            let content = p.get("content").ok_or(ERR_INVALID_PARAMS)?;
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !chat.can_post(me) {
                return Err(ERR_NO_RIGHTS);
            }
            check_text(content)?;
            let reply = match p.get("replyMessageId").and_then(Value::as_str) {
                None => None,
                Some(r) => match w.trueconf.messages.get(r) {
                    Some(m) if m.chat_id == chat_id && visible(chat, m, me) => Some(r.to_string()),
                    _ => return Err(ERR_MESSAGE_NOT_FOUND),
                },
            };
            let users = chat.users();
            let (id, ts) = add_message(w, chat_id, me, 200, text_content(content), reply);
            let env = envelope(&w.trueconf.messages[&id]);
            notify(w, &users, conn, "sendMessage", &env, Some((chat_id, &id)));
            Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": ts}))
        }
        "forwardMessage" => {
            let chat_id = str_arg(p, "chatId")?;
            let msg_id = str_arg(p, "messageId")?;
            let source = visible_message(&w.trueconf, msg_id, me)?;
            let content = source.content.clone();
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !chat.can_post(me) {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let (id, ts) = add_message(w, chat_id, me, 201, content, None);
            let env = envelope(&w.trueconf.messages[&id]);
            notify(w, &users, conn, "sendMessage", &env, Some((chat_id, &id)));
            Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": ts}))
        }
        "editMessage" => {
            let msg_id = str_arg(p, "messageId")?;
            let content = p.get("content").ok_or(ERR_INVALID_PARAMS)?;
            let m = visible_message(&w.trueconf, msg_id, me)?;
            if m.author != me || !matches!(m.mtype, 200 | 201) {
                return Err(ERR_NO_RIGHTS);
            }
            check_text(content)?;
            let chat_id = m.chat_id.clone();
            let users = w
                .trueconf
                .chats
                .get(&chat_id)
                .map(Chat::users)
                .unwrap_or_default();
            let ts = w.clock.tick();
            let m = w
                .trueconf
                .messages
                .get_mut(msg_id)
                .ok_or(ERR_MESSAGE_NOT_FOUND)?;
            m.content = text_content(content);
            m.is_edited = true;
            let env = envelope(m);
            notify(w, &users, conn, "editMessage", &env, None);
            Ok(json!({"chatId": chat_id, "messageId": msg_id, "timestamp": ts}))
        }
        "removeMessage" => {
            let msg_id = str_arg(p, "messageId")?;
            let for_all = bool_arg(p, "forAll");
            let m = visible_message(&w.trueconf, msg_id, me)?;
            let chat_id = m.chat_id.clone();
            let author = m.author;
            let chat = member_chat(&w.trueconf, &chat_id, me)?;
            if for_all && author != me && !chat.is_admin(me) {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let ts = w.clock.tick();
            let st = &mut w.trueconf;
            if for_all {
                st.messages.remove(msg_id);
                if let Some(c) = st.chats.get_mut(&chat_id) {
                    c.history.retain(|id| id != msg_id);
                    for list in c.unread.values_mut() {
                        list.retain(|id| id != msg_id);
                    }
                }
            } else {
                if let Some(m) = st.messages.get_mut(msg_id) {
                    m.hidden_for.insert(me);
                }
                if let Some(list) = st
                    .chats
                    .get_mut(&chat_id)
                    .and_then(|c| c.unread.get_mut(&me))
                {
                    list.retain(|id| id != msg_id);
                }
            }
            let payload = json!({
                "chatId": chat_id,
                "messageId": msg_id,
                "forAll": for_all,
                "removedBy": {"id": tc_id(me), "type": 1},
                "timestamp": ts,
            });
            let targets = if for_all { users } else { vec![me] };
            notify(w, &targets, conn, "removeMessage", &payload, None);
            Ok(json!({}))
        }
        "getChatHistory" => {
            let chat_id = str_arg(p, "chatId")?;
            let count = p
                .get("count")
                .and_then(Value::as_u64)
                .unwrap_or(50)
                .clamp(1, 1000) as usize;
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            let st = &w.trueconf;
            let before = match p.get("fromMessageId").and_then(Value::as_str) {
                None => u64::MAX,
                Some(from) => match st.messages.get(from) {
                    Some(m) if m.chat_id == chat_id => m.seq,
                    _ => return Err(ERR_MESSAGE_NOT_FOUND),
                },
            };
            let messages: Vec<Value> = chat
                .history
                .iter()
                .rev()
                .filter_map(|id| st.messages.get(id))
                .filter(|m| m.seq < before && visible(chat, m, me))
                .take(count)
                .map(envelope)
                .collect();
            Ok(json!({"count": messages.len(), "chatId": chat_id, "messages": messages}))
        }
        "getMessageById" => {
            let m = visible_message(&w.trueconf, str_arg(p, "messageId")?, me)?;
            Ok(envelope(m))
        }
        _ => Err(ERR_UNKNOWN_METHOD),
    }
}

fn visible_message<'a>(st: &'a State, msg_id: &str, user: usize) -> Result<&'a Msg, u32> {
    let m = st.messages.get(msg_id).ok_or(ERR_MESSAGE_NOT_FOUND)?;
    let chat = st.chats.get(&m.chat_id).ok_or(ERR_MESSAGE_NOT_FOUND)?;
    if chat.role(user).is_none() || !visible(chat, m, user) {
        return Err(ERR_MESSAGE_NOT_FOUND);
    }
    Ok(m)
}
