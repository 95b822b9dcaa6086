//! TrueConf Chatbot API: OAuth token endpoint, server info, file transfer and the `json.v1`
//! WebSocket, shaped as a real TrueConf Server 5.5.6 speaks it (what the official
//! `python-trueconf-bot` 1.5.4 accepts unpatched; `sim/TRUECONF-SDK-NOTES.md` has every shape).
//!
//! - `POST /bridge/api/client/v1/oauth/token` (JSON or form body: `client_id` = `chat_bot`,
//!   `grant_type` = `password`, `username` = `alice` or `alice@sim.local`, `password`) →
//!   `{"access_token","token_type":"bearer","expires_in":3600,"expires_at":<Unix s>}`; wrong
//!   credentials → 401 `{"error":"invalid_grant",...}`. Tokens are JWT-shaped with `iat`/`exp`
//!   from the wall clock (clients check `exp` against theirs) and expire at `exp`;
//!   `POST /admin/inject {"expire_tokens":true}` expires every token issued so far at once.
//! - `GET /api/v4/server` → `{"product":{"version","display_name"}}` (the domain of user ids).
//! - Files: `uploadFile` announces a name and size and answers an `uploadTaskId`; the bytes go
//!   to `POST` (multipart field `file`, optional `preview`) or `PUT` (raw body)
//!   `/bridge/api/client/v1/files` with header `Upload-Task-Id` → `{"temporalFileId"}`, which
//!   `sendFile` or `editChatAvatar` consume. Posted files are kept in memory and served at the
//!   `downloadUrl` that `getFileInfo` hands out (no credentials needed: the URL holds a secret).
//! - WebSocket `/websocket/chat_bot/` (subprotocol `json.v1` is echoed when offered). Client
//!   requests `{"type":1,"id":N,"method","payload"}` get `{"type":2,"id":N,"payload"}`;
//!   server requests (notifications) carry the server's own per-connection id counter and must
//!   be acked `{"type":2,"id":<that id>}` within the ack timeout (5 s by default): a late,
//!   missing, duplicate or unknown ack is logged as a client fault. Acking a `sendMessage`
//!   notification marks that message read for the connection's user. A client Close is
//!   answered with Close 1000.
//!
//! A message goes to every connection of every participant except the sending connection;
//! chat changes (created, participant added/removed, role, title, avatar, history cleared,
//! chat removed) likewise. Envelopes carry `chat` (`chatId`, `chatTitle`, `chatType`) beside
//! `chatId`, a reply its expanded `replyMessage`, a forward (type 201) the forwarded original's
//! envelope as its content. Besides user messages (200 text, 201 forwarded, 202 file, 204
//! survey), histories hold the system envelopes 1 (participant added), 2 (removed), 21
//! (title), 22 (avatar), 23 (history cleared for all) and 110 (role changed); those are not
//! counted as unread, and are sent as `sendMessage` only to connections whose `auth` asked for
//! `receiveSystemMessageEnvelopes`. `auth` with `receiveUnread` gets every unread message once.
//! Timestamps are Unix milliseconds from the simulator's logical clock; the
//! `addChatParticipant`/`removeChatParticipant` notifications carry theirs as a *string*, as
//! the real server does.
//!
//! One simulator extension: the client request `pressButton` `{"messageId", "buttonId" |
//! "command"}` does what a TrueConf app does when its user taps a `command` button: the
//! message's author gets a `command` server request, answered with `answerCommand`.
//!
//! Error codes (`{"type":2,"id":N,"payload":{"errorCode":C}}`) follow the real server's table:
//! see the `ERR_*` constants.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State as AxState;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::multipart;
use crate::seed::{self, SimUser};
use crate::state::{ConnId, Out, Sim, World};
use crate::ws;

/// A request other than `auth` before a successful `auth` (real table: "Not authorized").
pub const ERR_NOT_AUTHORIZED: u32 = 200;
/// `auth` with a token the server never issued ("Invalid credentials").
pub const ERR_INVALID_TOKEN: u32 = 201;
/// The session's token has expired (its `exp` passed, or `expire_tokens`): get a new token,
/// reconnect, re-auth. Returned by `auth` and by every request of a connection authorized with
/// such a token ("Credentials expired").
pub const ERR_TOKEN_EXPIRED: u32 = 203;
/// `auth` with a `tokenType` other than `JWT` ("Unsupported credentials").
pub const ERR_UNSUPPORTED_CREDENTIALS: u32 = 204;
/// Not possible in this kind of chat, e.g. adding a participant to a P2P chat ("Access denied").
pub const ERR_ACCESS_DENIED: u32 = 302;
/// The user's role does not permit this, or it is not the user's message ("Not enough rights").
pub const ERR_NO_RIGHTS: u32 = 303;
/// No such chat, or this user is not a participant ("Chat not found").
pub const ERR_CHAT_NOT_FOUND: u32 = 304;
/// The user named in the request is not a participant of the chat ("User is not a chat
/// participant").
pub const ERR_NOT_PARTICIPANT: u32 = 305;
/// No such message, or not visible to this user ("Message not found").
pub const ERR_MESSAGE_NOT_FOUND: u32 = 306;
/// Unknown method, or a command id this server never issued ("Unknown message").
pub const ERR_UNKNOWN_METHOD: u32 = 307;
/// No such file (or temporal file), or not visible to this user ("File not found").
pub const ERR_FILE_NOT_FOUND: u32 = 308;
/// The user is already a participant of the chat ("User already in chat").
pub const ERR_ALREADY_PARTICIPANT: u32 = 309;
/// The file exists but is not ready yet ("File not ready").
pub const ERR_FILE_NOT_READY: u32 = 311;
/// Unknown role name ("Role not found").
pub const ERR_INVALID_ROLE: u32 = 312;
/// A required parameter is missing or has the wrong type, an empty or over-long text, an
/// unknown user id, a P2P chat with oneself ("Wrong payload format").
pub const ERR_INVALID_PARAMS: u32 = 399;
/// `uploadFile`: empty file name or one with a path in it ("Bad file name").
pub const ERR_BAD_FILE_NAME: u32 = 402;
/// `uploadFile`: the extension is blocked by the upload limits ("File upload forbidden").
pub const ERR_UPLOAD_FORBIDDEN: u32 = 403;
/// `uploadFile`: larger than the upload limits' `maxSize` ("Max file size exceeded").
pub const ERR_MAX_FILE_SIZE: u32 = 406;
/// HTTP upload with an unknown or used `Upload-Task-Id` ("Upload task not found").
pub const ERR_UPLOAD_TASK_NOT_FOUND: u32 = 407;
/// HTTP upload whose body is not what the task announced ("Invalid file").
pub const ERR_INVALID_FILE: u32 = 408;
/// HTTP download of a file the server is still storing ("File not ready").
pub const ERR_HTTP_FILE_NOT_READY: u32 = 405;

/// Largest file `uploadFile` accepts by default (`getFileUploadLimits`' `maxSize`), in bytes.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;
/// What `GET /api/v4/server` reports as `product.version`: a server the official SDK 1.5.x
/// accepts (it refuses anything older than 5.5.6).
pub const SERVER_VERSION: &str = "5.5.6.12040";
/// Lifetime of an access token, in seconds of wall-clock time (`exp` - `iat`).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;
/// What `sendChatActivity` answers as `retryAfter`: milliseconds until the activity should be
/// sent again to stay visible (the official SDK's typing loop divides it by 1000).
pub const CHAT_ACTIVITY_RETRY_AFTER_MS: u64 = 5000;

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

/// TrueConf state: tokens, connections, chats, messages, files, commands, pending server
/// requests.
#[derive(Default)]
pub(crate) struct State {
    tokens: HashMap<String, Token>,
    conns: HashMap<ConnId, TcConn>,
    chats: HashMap<String, Chat>,
    messages: HashMap<String, Msg>,
    next_seq: u64,
    pending: HashMap<(ConnId, u64), Pending>,
    /// Announced uploads (`uploadFile`) waiting for their bytes, by `uploadTaskId`.
    upload_tasks: HashMap<String, UploadTask>,
    /// Uploaded bytes not yet used by `sendFile`/`editChatAvatar`, by `temporalFileId`.
    temporal: HashMap<String, StoredFile>,
    /// Files posted in chats, by `fileId`.
    files: HashMap<String, StoredFile>,
    /// `subscribeFileProgress` subscriptions: (connection, fileId).
    progress_subs: HashSet<(ConnId, String)>,
    /// Button presses waiting for `answerCommand`, by `commandId`.
    commands: HashMap<String, Command>,
    limits: UploadLimits,
    /// Server requests to send once the current response is out (so a client sees the answer
    /// to its request before what the request triggered for it alone).
    deferred: Vec<(ConnId, &'static str, Value)>,
}

struct Token {
    user: usize,
    expired: bool,
    /// Wall-clock expiry (Unix seconds), the JWT's `exp`.
    exp: u64,
}

struct TcConn {
    user: Option<usize>,
    token: Option<String>,
    next_id: u64,
    /// `auth` asked for `receiveSystemMessageEnvelopes`.
    system_envelopes: bool,
}

struct UploadTask {
    user: usize,
    name: String,
    size: u64,
}

/// One stored file: a temporal upload or a file posted in chats.
#[derive(Clone)]
struct StoredFile {
    name: String,
    mime: String,
    bytes: Arc<Vec<u8>>,
    preview: Option<Preview>,
    owner: usize,
    /// Unguessable part of the download URLs (downloads carry no credentials).
    secret: String,
    /// Chats holding a message with this file.
    chats: HashSet<String>,
    /// While the server is still storing a posted file: when it started and when it is done
    /// (`sendFile` with [`crate::SimConfig::trueconf_file_ready_ms`] > 0). `None`: ready.
    storing: Option<(Instant, Instant)>,
    /// Whether subscribers were told of the halfway point yet.
    halfway_sent: bool,
    /// The attachment message, whose `readyState` changes when the file is ready.
    message_id: Option<String>,
}

#[derive(Clone)]
struct Preview {
    name: String,
    mime: String,
    bytes: Arc<Vec<u8>>,
}

struct Command {
    presser: usize,
    message_id: String,
    chat_id: String,
    done: bool,
}

/// File upload limits (`getFileUploadLimits`, request and notification).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct UploadLimits {
    /// Largest accepted file in bytes; `null` for no limit.
    #[serde(rename = "maxSize")]
    pub max_size: Option<u64>,
    /// Extension filter; `null` for none.
    pub extensions: Option<ExtensionFilter>,
}

/// The extension filter of [`UploadLimits`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ExtensionFilter {
    /// `allow` (only these) or `block` (all but these).
    pub mode: String,
    /// Extensions without the dot, lowercase.
    pub list: Vec<String>,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_size: Some(DEFAULT_MAX_FILE_SIZE),
            extensions: None,
        }
    }
}

impl UploadLimits {
    fn check(&self, name: &str, size: u64) -> Result<(), u32> {
        if self.max_size.is_some_and(|m| size > m) {
            return Err(ERR_MAX_FILE_SIZE);
        }
        if let Some(f) = &self.extensions {
            let ext = name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            let listed = f.list.iter().any(|e| e.eq_ignore_ascii_case(&ext));
            if (f.mode == "block" && listed) || (f.mode == "allow" && !listed) {
                return Err(ERR_UPLOAD_FORBIDDEN);
            }
        }
        Ok(())
    }
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
        .route("/api/v4/server", get(server_info))
        .route(
            "/bridge/api/client/v1/files",
            post(upload)
                .put(upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .route(
            "/bridge/api/client/v1/files/{file_id}/{kind}/{secret}",
            get(download),
        )
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
    // Clients check `exp` against their own clock (the official SDK refuses an expired token
    // before connecting), so token times are wall-clock; everything else stays logical.
    let iat = unix_now();
    let exp = iat + TOKEN_LIFETIME_SECS;
    let jti = w.rng.hex(16);
    let sig = w.rng.hex(43);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(
        json!({"sub": seed::user(user).trueconf_id, "iat": iat, "exp": exp, "jti": jti})
            .to_string(),
    );
    let access_token = format!("{header}.{claims}.{sig}");
    w.trueconf.tokens.insert(
        access_token.clone(),
        Token {
            user,
            expired: false,
            exp,
        },
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "expires_at": exp,
    }))
    .into_response()
}

/// Wall-clock Unix seconds (token lifetimes only).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `GET /api/v4/server`: the official SDK reads `product.version` (and refuses to start without
/// it) and `product.display_name`, the domain it appends to user ids given without one.
async fn server_info() -> Json<Value> {
    Json(json!({
        "product": {"version": SERVER_VERSION, "display_name": seed::TRUECONF_DOMAIN},
    }))
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
                    system_envelopes: false,
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
        w.trueconf.progress_subs.retain(|(c, _)| *c != conn);
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
            for (target, method, payload) in std::mem::take(&mut w.trueconf.deferred) {
                send_request(w, target, method, &payload, None);
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
        .map(|m| (m.chat_id.clone(), m.id.clone(), envelope(st, m, user)))
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

/// Connections of `users` but `except`, in id order.
fn conns_of(w: &World, users: &[usize], except: ConnId) -> Vec<(ConnId, usize, bool)> {
    let mut targets: Vec<(ConnId, usize, bool)> = w
        .trueconf
        .conns
        .iter()
        .filter(|(c, _)| **c != except)
        .filter_map(|(c, tc)| {
            tc.user
                .filter(|u| users.contains(u))
                .map(|u| (*c, u, tc.system_envelopes))
        })
        .collect();
    targets.sort_unstable();
    targets
}

/// Sends message `msg_id` as a `sendMessage` server request to every connection of `users`
/// but `except`, each with the envelope as its user sees it. A system envelope goes only to
/// connections that asked for them (`receiveSystemMessageEnvelopes`) and is not a read marker.
fn notify_message(w: &mut World, users: &[usize], except: ConnId, msg_id: &str) {
    let Some(m) = w.trueconf.messages.get(msg_id) else {
        return;
    };
    let system = is_system(m.mtype);
    let chat_id = m.chat_id.clone();
    for (conn, user, wants_system) in conns_of(w, users, except) {
        if system && !wants_system {
            continue;
        }
        let Some(m) = w.trueconf.messages.get(msg_id) else {
            return;
        };
        let env = envelope(&w.trueconf, m, user);
        let read_ref = (!system).then_some((chat_id.as_str(), msg_id));
        send_request(w, conn, "sendMessage", &env, read_ref);
    }
}

/// Like [`notify`], with a payload made for each receiving user.
fn notify_each(
    w: &mut World,
    users: &[usize],
    except: ConnId,
    method: &str,
    payload: impl Fn(&State, usize) -> Value,
) {
    for (conn, user, _) in conns_of(w, users, except) {
        let p = payload(&w.trueconf, user);
        send_request(w, conn, method, &p, None);
    }
}

fn is_system(mtype: u32) -> bool {
    !matches!(mtype, 200..=205)
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
    seed::find(|u: &SimUser| u.trueconf_id == id || u.name == id).ok_or(ERR_INVALID_PARAMS)
}

fn tc_id(user: usize) -> &'static str {
    seed::user(user).trueconf_id
}

/// The chat as envelopes name it: `{"chatId","chatTitle","chatType"}`.
fn chat_ref(st: &State, chat_id: &str, viewer: usize) -> Value {
    match st.chats.get(chat_id) {
        Some(c) => {
            json!({"chatId": c.id, "chatTitle": chat_title(c, viewer), "chatType": c.chat_type})
        }
        None => json!({"chatId": chat_id, "chatTitle": Value::Null, "chatType": 0}),
    }
}

/// A chat's title as `viewer` sees it: a P2P chat is named after the other participant, a
/// Favorites chat is "Favorites" (the official SDK requires every chat to have a title).
fn chat_title(chat: &Chat, viewer: usize) -> Value {
    match chat.chat_type {
        CHAT_P2P => chat
            .participants
            .iter()
            .find(|(u, _)| *u != viewer)
            .map(|(u, _)| json!(tc_id(*u)))
            .unwrap_or(Value::Null),
        CHAT_FAVORITES => json!(chat.title.as_deref().unwrap_or("Favorites")),
        _ => chat
            .title
            .as_deref()
            .map(Value::from)
            .unwrap_or(Value::Null),
    }
}

/// A message's envelope as `viewer` sees it, with the replied-to message expanded one level.
fn envelope(st: &State, m: &Msg, viewer: usize) -> Value {
    let mut v = bare_envelope(st, m, viewer);
    if let Some(r) = &m.reply {
        v["replyMessageId"] = json!(r);
        if let Some(orig) = st.messages.get(r) {
            v["replyMessage"] = bare_envelope(st, orig, viewer);
        }
    }
    v
}

fn bare_envelope(st: &State, m: &Msg, viewer: usize) -> Value {
    json!({
        "messageId": m.id,
        "chatId": m.chat_id,
        "chat": chat_ref(st, &m.chat_id, viewer),
        "timestamp": m.timestamp,
        "type": m.mtype,
        "author": {"id": tc_id(m.author), "type": 1},
        "content": m.content,
        "isEdited": m.is_edited,
        "box": {"id": m.seq, "position": "0"},
    })
}

fn last_message_json(st: &State, m: &Msg, viewer: usize) -> Value {
    let mut v = envelope(st, m, viewer);
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
    let title = chat_title(chat, user);
    let last = chat
        .history
        .iter()
        .rev()
        .filter_map(|id| st.messages.get(id))
        .find(|m| visible(chat, m, user))
        .map(|m| last_message_json(st, m, user))
        .unwrap_or(Value::Null);
    json!({
        "chatId": chat.id,
        "title": title,
        "chatType": chat.chat_type,
        "unreadMessages": chat.unread.get(&user).map_or(0, Vec::len),
        "avatarUrl": chat.avatar,
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
        return Err(ERR_ACCESS_DENIED);
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
        return Err(ERR_INVALID_PARAMS);
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ERR_INVALID_PARAMS);
    }
    Ok(())
}

fn text_content(content: &Value) -> Value {
    let mut v = json!({
        "text": content.get("text").cloned().unwrap_or(Value::Null),
        "parseMode": content.get("parseMode").and_then(Value::as_str).unwrap_or("text"),
    });
    // Inline keyboards travel inside the content: rows of buttons.
    if let Some(rows) = content.get("buttons").filter(|b| b.is_array()) {
        v["buttons"] = rows.clone();
    }
    v
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
            .ok_or(ERR_INVALID_PARAMS)?;
        if p.get("tokenType")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "JWT")
        {
            return Err(ERR_UNSUPPORTED_CREDENTIALS);
        }
        let t = w.trueconf.tokens.get(token).ok_or(ERR_INVALID_TOKEN)?;
        if t.expired || unix_now() >= t.exp {
            return Err(ERR_TOKEN_EXPIRED);
        }
        let u = t.user;
        let connection_id = w.rng.uuid();
        if let Some(c) = w.trueconf.conns.get_mut(&conn) {
            c.user = Some(u);
            c.token = Some(token.to_string());
            c.system_envelopes = bool_arg(p, "receiveSystemMessageEnvelopes");
        }
        return Ok(json!({"userId": tc_id(u), "connectionId": connection_id}));
    }
    let Some(me) = user else {
        return Err(ERR_NOT_AUTHORIZED);
    };
    if token
        .and_then(|t| {
            w.trueconf
                .tokens
                .get(&t)
                .map(|t| t.expired || unix_now() >= t.exp)
        })
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
            let (sys, ts) = add_message(w, chat_id, me, 21, json!({"title": title}), None);
            notify_message(w, &users, conn, &sys);
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
            let url = match file {
                None => None,
                Some(temporal) => {
                    let mut f = match w.trueconf.temporal.get(&temporal) {
                        Some(f) if f.owner == me => f.clone(),
                        _ => return Err(ERR_FILE_NOT_FOUND),
                    };
                    w.trueconf.temporal.remove(&temporal);
                    let file_id = w.rng.hex(40);
                    f.chats.insert(chat_id.to_string());
                    let url = file_url(sim, &file_id, "download", &f.secret);
                    w.trueconf.files.insert(file_id, f);
                    Some(url)
                }
            };
            if let Some(c) = w.trueconf.chats.get_mut(chat_id) {
                c.avatar = url.clone();
            }
            let (sys, ts) = add_message(w, chat_id, me, 22, json!({"avatarUrl": url}), None);
            notify_message(w, &users, conn, &sys);
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
            if for_all {
                let (sys, _) = add_message(w, chat_id, me, 23, json!({"forAll": true}), None);
                notify_message(w, &targets, conn, &sys);
            }
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
            let (sys, ts) = add_message(
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
            notify_message(w, &users, conn, &sys);
            Ok(json!({}))
        }
        "removeChatParticipant" => {
            let chat_id = str_arg(p, "chatId")?;
            let target = find_user(str_arg(p, "userId")?)?;
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !matches!(chat.chat_type, CHAT_GROUP | CHAT_CHANNEL) {
                return Err(ERR_ACCESS_DENIED);
            }
            let Some(target_role) = chat.role(target) else {
                return Err(ERR_NOT_PARTICIPANT);
            };
            if target != me && (!chat.is_admin(me) || target_role == "owner") {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let (sys, ts) = add_message(w, chat_id, me, 2, json!({"userId": tc_id(target)}), None);
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
            notify(w, &users, conn, "removeChatParticipant", &payload, None);
            notify_message(w, &users, conn, &sys);
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
                return Err(ERR_ACCESS_DENIED);
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
            let (sys, ts) = add_message(
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
            notify_message(w, &users, conn, &sys);
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
            let reply = reply_ref(&w.trueconf, chat, p, me)?;
            let users = chat.users();
            let (id, ts) = add_message(w, chat_id, me, 200, text_content(content), reply);
            notify_message(w, &users, conn, &id);
            Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": ts}))
        }
        "forwardMessage" => {
            let chat_id = str_arg(p, "chatId")?;
            let msg_id = str_arg(p, "messageId")?;
            let source = visible_message(&w.trueconf, msg_id, me)?;
            // A forward carries the forwarded original's whole envelope as its content.
            let content = envelope(&w.trueconf, source, me);
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !chat.can_post(me) {
                return Err(ERR_NO_RIGHTS);
            }
            let users = chat.users();
            let (id, ts) = add_message(w, chat_id, me, 201, content, None);
            notify_message(w, &users, conn, &id);
            Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": ts}))
        }
        "editMessage" => {
            let msg_id = str_arg(p, "messageId")?;
            let content = p.get("content").ok_or(ERR_INVALID_PARAMS)?;
            let m = visible_message(&w.trueconf, msg_id, me)?;
            if m.author != me || m.mtype != 200 {
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
            notify_each(w, &users, conn, "editMessage", |st, u| {
                st.messages
                    .get(msg_id)
                    .map_or(Value::Null, |m| envelope(st, m, u))
            });
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
                .map(|m| envelope(st, m, me))
                .collect();
            Ok(json!({"count": messages.len(), "chatId": chat_id, "messages": messages}))
        }
        "getMessageById" => {
            let m = visible_message(&w.trueconf, str_arg(p, "messageId")?, me)?;
            Ok(envelope(&w.trueconf, m, me))
        }
        "getUserDisplayName" => {
            let user = find_user(str_arg(p, "userId")?)?;
            Ok(json!({"displayName": seed::user(user).display_name}))
        }
        "sendChatActivity" => {
            let chat_id = str_arg(p, "chatId")?;
            let activity = str_arg(p, "activityType")?;
            if !matches!(activity, "typing" | "choosing_sticker" | "uploading_file") {
                return Err(ERR_INVALID_PARAMS);
            }
            let users = member_chat(&w.trueconf, chat_id, me)?.users();
            let others: Vec<usize> = users.into_iter().filter(|u| *u != me).collect();
            let payload = json!({"chatId": chat_id, "activityType": activity, "userId": tc_id(me)});
            notify(w, &others, conn, "sendChatActivity", &payload, None);
            Ok(json!({
                "chatId": chat_id,
                "activityType": activity,
                "retryAfter": CHAT_ACTIVITY_RETRY_AFTER_MS,
            }))
        }
        "getFileUploadLimits" => Ok(limits_json(&w.trueconf.limits)),
        "uploadFile" => {
            let name = str_arg(p, "fileName")?;
            let size = p
                .get("fileSize")
                .and_then(Value::as_u64)
                .ok_or(ERR_INVALID_PARAMS)?;
            if name.is_empty() || name.contains(['/', '\\', '\0']) {
                return Err(ERR_BAD_FILE_NAME);
            }
            w.trueconf.limits.check(name, size)?;
            let task = w.rng.uuid();
            w.trueconf.upload_tasks.insert(
                task.clone(),
                UploadTask {
                    user: me,
                    name: name.to_string(),
                    size,
                },
            );
            Ok(json!({"uploadTaskId": task}))
        }
        "sendFile" => {
            let chat_id = str_arg(p, "chatId")?;
            let content = p
                .get("content")
                .filter(|c| c.is_object())
                .ok_or(ERR_INVALID_PARAMS)?;
            let temporal = str_arg(content, "temporalFileId")?;
            let caption = match content.get("caption") {
                None | Some(Value::Null) => None,
                Some(c) => {
                    check_text(c)?;
                    Some(text_content(c))
                }
            };
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !chat.can_post(me) {
                return Err(ERR_NO_RIGHTS);
            }
            let reply = reply_ref(&w.trueconf, chat, p, me)?;
            let users = chat.users();
            let mut file = match w.trueconf.temporal.get(temporal) {
                Some(f) if f.owner == me => f.clone(),
                _ => return Err(ERR_FILE_NOT_FOUND),
            };
            w.trueconf.temporal.remove(temporal);
            let file_id = w.rng.hex(40);
            file.chats.insert(chat_id.to_string());
            let delay = std::time::Duration::from_millis(sim.config.trueconf_file_ready_ms);
            if !delay.is_zero() {
                let now = Instant::now();
                file.storing = Some((now, now + delay));
            }
            let attachment = json!({
                "name": file.name,
                "size": file.bytes.len(),
                "mimeType": file.mime,
                "fileId": file_id,
                "readyState": file.ready_state(),
            });
            let (id, ts) = add_message(w, chat_id, me, 202, attachment, reply);
            file.message_id = Some(id.clone());
            w.trueconf.files.insert(file_id.clone(), file);
            notify_message(w, &users, conn, &id);
            let mut answer = json!({
                "chatId": chat_id,
                "messageId": id,
                "timestamp": ts,
                "fileId": file_id,
            });
            // The caption is a message of its own, right after the file.
            if let Some(caption) = caption {
                let (cid, _) = add_message(w, chat_id, me, 200, caption, None);
                notify_message(w, &users, conn, &cid);
                answer["captionMessageId"] = json!(cid);
            }
            Ok(answer)
        }
        "getFileInfo" => {
            let file_id = str_arg(p, "fileId")?;
            let file = visible_file(&w.trueconf, file_id, me)?;
            Ok(file_info(sim, file_id, file))
        }
        "subscribeFileProgress" => {
            let file_id = str_arg(p, "fileId")?;
            let progress = visible_file(&w.trueconf, file_id, me)?.progress(Instant::now());
            w.trueconf.progress_subs.insert((conn, file_id.to_string()));
            // A new subscriber learns where the file stands at once.
            w.trueconf.deferred.push((
                conn,
                "uploadFileProgress",
                json!({"fileId": file_id, "progress": progress}),
            ));
            Ok(json!({"result": true}))
        }
        "unsubscribeFileProgress" => {
            let file_id = str_arg(p, "fileId")?;
            let removed = w
                .trueconf
                .progress_subs
                .remove(&(conn, file_id.to_string()));
            Ok(json!({"result": removed}))
        }
        "sendSurvey" => {
            let chat_id = str_arg(p, "chatId")?;
            let content = p
                .get("content")
                .filter(|c| c.is_object())
                .ok_or(ERR_INVALID_PARAMS)?;
            str_arg(content, "url")?;
            if str_arg(content, "title")?.is_empty() {
                return Err(ERR_INVALID_PARAMS);
            }
            let chat = member_chat(&w.trueconf, chat_id, me)?;
            if !chat.can_post(me) {
                return Err(ERR_NO_RIGHTS);
            }
            let reply = reply_ref(&w.trueconf, chat, p, me)?;
            let users = chat.users();
            let (id, ts) = add_message(w, chat_id, me, 204, content.clone(), reply);
            notify_message(w, &users, conn, &id);
            Ok(json!({"chatId": chat_id, "messageId": id, "timestamp": ts}))
        }
        "editSurvey" => {
            let msg_id = str_arg(p, "messageId")?;
            let content = p
                .get("content")
                .and_then(Value::as_object)
                .ok_or(ERR_INVALID_PARAMS)?;
            let m = visible_message(&w.trueconf, msg_id, me)?;
            if m.author != me || m.mtype != 204 {
                return Err(ERR_NO_RIGHTS);
            }
            let users = w
                .trueconf
                .chats
                .get(&m.chat_id)
                .map(Chat::users)
                .unwrap_or_default();
            let ts = w.clock.tick();
            let m = w
                .trueconf
                .messages
                .get_mut(msg_id)
                .ok_or(ERR_MESSAGE_NOT_FOUND)?;
            if let Some(old) = m.content.as_object_mut() {
                for (k, v) in content {
                    old.insert(k.clone(), v.clone());
                }
            }
            m.is_edited = true;
            notify_each(w, &users, conn, "editMessage", |st, u| {
                st.messages
                    .get(msg_id)
                    .map_or(Value::Null, |m| envelope(st, m, u))
            });
            Ok(json!({"messageId": msg_id, "timestamp": ts}))
        }
        "pressButton" => {
            // Simulator extension: what a TrueConf client app does when its user taps a
            // `command` button, so tests can drive the bot's incoming `command`.
            let msg_id = str_arg(p, "messageId")?;
            let m = visible_message(&w.trueconf, msg_id, me)?;
            let wanted_id = p.get("buttonId").and_then(Value::as_str);
            let wanted_cmd = p.get("command").and_then(Value::as_str);
            let button = m
                .content
                .get("buttons")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .find(|b| {
                    b.get("type").and_then(Value::as_str) == Some("command")
                        && (wanted_id.is_some() || wanted_cmd.is_some())
                        && wanted_id
                            .is_none_or(|id| b.get("id").and_then(Value::as_str) == Some(id))
                        && wanted_cmd
                            .is_none_or(|c| b.get("command").and_then(Value::as_str) == Some(c))
                })
                .cloned()
                .ok_or(ERR_INVALID_PARAMS)?;
            // A button's `to` names the user (bot) the command is for; else the author gets it.
            let target = match button.get("to").and_then(Value::as_str) {
                Some(to) => find_user(to)?,
                None => m.author,
            };
            let chat_id = m.chat_id.clone();
            let command_id = w.rng.uuid();
            w.trueconf.commands.insert(
                command_id.clone(),
                Command {
                    presser: me,
                    message_id: msg_id.to_string(),
                    chat_id,
                    done: false,
                },
            );
            notify_each(w, &[target], conn, "command", |st, u| {
                json!({
                    "commandId": command_id,
                    "commandSource": {
                        "type": "button",
                        "message": st.messages.get(msg_id).map_or(Value::Null, |m| envelope(st, m, u)),
                        "buttonId": button.get("id").cloned().unwrap_or(Value::Null),
                        "waitReply": button.get("waitReply").and_then(Value::as_bool).unwrap_or(false),
                    },
                    "commandPayload": {
                        "type": "command",
                        "command": button.get("command").cloned().unwrap_or(Value::Null),
                        "customData": button.get("customData").cloned().unwrap_or(Value::Null),
                    },
                    "userId": tc_id(me),
                })
            });
            Ok(json!({"commandId": command_id}))
        }
        "answerCommand" => {
            let command_id = str_arg(p, "commandId")?;
            let answer_type = str_arg(p, "answerType")?;
            if !matches!(answer_type, "complete" | "timeout" | "cancel" | "message") {
                return Err(ERR_INVALID_PARAMS);
            }
            let message = p
                .get("message")
                .filter(|m| m.is_object())
                .ok_or(ERR_INVALID_PARAMS)?;
            let text = str_arg(message, "text")?;
            if text.is_empty() || text.chars().count() > 255 {
                return Err(ERR_INVALID_PARAMS);
            }
            let cmd = w
                .trueconf
                .commands
                .get_mut(command_id)
                .filter(|c| !c.done)
                .ok_or(ERR_UNKNOWN_METHOD)?;
            // Only `message` answers keep a command open; the others settle it.
            cmd.done = answer_type != "message";
            let presser = cmd.presser;
            let payload = json!({
                "commandId": command_id,
                "chatId": cmd.chat_id,
                "messageId": cmd.message_id,
                "answerType": answer_type,
                "message": message,
            });
            notify(w, &[presser], conn, "answerCommand", &payload, None);
            Ok(json!({}))
        }
        _ => Err(ERR_UNKNOWN_METHOD),
    }
}

/// The `replyMessageId` of a request, checked: a message of the same chat `user` can see.
fn reply_ref(st: &State, chat: &Chat, p: &Value, user: usize) -> Result<Option<String>, u32> {
    match p.get("replyMessageId").and_then(Value::as_str) {
        None => Ok(None),
        Some(r) => match st.messages.get(r) {
            Some(m) if m.chat_id == chat.id && visible(chat, m, user) => Ok(Some(r.to_string())),
            _ => Err(ERR_MESSAGE_NOT_FOUND),
        },
    }
}

/// `readyState` of a file whose bytes are all stored.
const FILE_READY: u32 = 2;
/// `readyState` of a file the server is still storing.
const FILE_UPLOADING: u32 = 1;

impl StoredFile {
    fn ready_state(&self) -> u32 {
        if self.storing.is_some() {
            FILE_UPLOADING
        } else {
            FILE_READY
        }
    }

    /// Bytes stored so far: proportional to the time spent storing.
    fn progress(&self, now: Instant) -> u64 {
        let size = self.bytes.len() as u64;
        match self.storing {
            None => size,
            Some((start, done)) => {
                let total = done.saturating_duration_since(start).as_millis().max(1);
                let spent = now.saturating_duration_since(start).as_millis().min(total);
                (u128::from(size) * spent / total) as u64
            }
        }
    }
}

/// Moves files being stored along (ticker): subscribers get `uploadFileProgress` at half and
/// at the full size; a finished file becomes ready, in its attachment message too.
pub(crate) fn advance_files(w: &mut World, now: Instant) {
    let mut events: Vec<(String, u64)> = Vec::new();
    for (id, f) in w.trueconf.files.iter_mut() {
        let Some((start, done)) = f.storing else {
            continue;
        };
        let size = f.bytes.len() as u64;
        if now >= done {
            f.storing = None;
            events.push((id.clone(), size));
            if let Some(m) = f
                .message_id
                .as_ref()
                .and_then(|m| w.trueconf.messages.get_mut(m))
            {
                m.content["readyState"] = json!(FILE_READY);
            }
        } else if !f.halfway_sent && now >= start + (done - start) / 2 {
            f.halfway_sent = true;
            events.push((id.clone(), size / 2));
        }
    }
    events.sort();
    for (file_id, progress) in events {
        let mut subs: Vec<ConnId> = w
            .trueconf
            .progress_subs
            .iter()
            .filter(|(_, f)| *f == file_id)
            .map(|(c, _)| *c)
            .collect();
        subs.sort_unstable();
        let payload = json!({"fileId": file_id, "progress": progress});
        for conn in subs {
            send_request(w, conn, "uploadFileProgress", &payload, None);
        }
    }
}

/// Largest HTTP upload body accepted at all (multipart overhead and a preview included); the
/// upload limits' `maxSize` is checked on the file itself.
const MAX_UPLOAD_BODY: usize = 64 * 1024 * 1024;

/// A posted file `user` may see: the uploader's, or one in a chat `user` is in.
fn visible_file<'a>(st: &'a State, file_id: &str, user: usize) -> Result<&'a StoredFile, u32> {
    st.files
        .get(file_id)
        .filter(|f| {
            f.owner == user
                || f.chats
                    .iter()
                    .any(|c| st.chats.get(c).is_some_and(|c| c.role(user).is_some()))
        })
        .ok_or(ERR_FILE_NOT_FOUND)
}

/// Absolute URL of a stored file's bytes (`kind` = `download` or `preview`).
fn file_url(sim: &Sim, file_id: &str, kind: &str, secret: &str) -> String {
    format!(
        "http://{}/bridge/api/client/v1/files/{file_id}/{kind}/{secret}",
        sim.host()
    )
}

fn file_info(sim: &Sim, file_id: &str, f: &StoredFile) -> Value {
    let previews = f.preview.as_ref().map(|p| {
        json!([{
            "name": p.name,
            "size": p.bytes.len(),
            "mimeType": p.mime,
            "downloadUrl": file_url(sim, file_id, "preview", &f.secret),
        }])
    });
    json!({
        "fileId": file_id,
        "name": f.name,
        "size": f.bytes.len(),
        "mimeType": f.mime,
        "readyState": f.ready_state(),
        "downloadUrl": f
            .storing
            .is_none()
            .then(|| file_url(sim, file_id, "download", &f.secret)),
        "previews": previews,
    })
}

fn limits_json(l: &UploadLimits) -> Value {
    serde_json::to_value(l).unwrap_or(Value::Null)
}

/// Changes the upload limits (admin `file_upload_limits`) and tells every authorized
/// connection with a `getFileUploadLimits` server request.
pub(crate) fn set_upload_limits(w: &mut World, limits: UploadLimits) {
    let payload = limits_json(&limits);
    w.trueconf.limits = limits;
    let mut targets: Vec<ConnId> = w
        .trueconf
        .conns
        .iter()
        .filter(|(_, c)| c.user.is_some())
        .map(|(c, _)| *c)
        .collect();
    targets.sort_unstable();
    for conn in targets {
        send_request(w, conn, "getFileUploadLimits", &payload, None);
    }
}

fn http_error(status: StatusCode, code: u32) -> Response {
    (status, Json(json!({"errorCode": code}))).into_response()
}

/// `POST` (multipart, field `file` and optionally `preview`) or `PUT` (raw body) of the bytes
/// announced by `uploadFile`, with header `Upload-Task-Id` → `{"temporalFileId"}`.
async fn upload(
    AxState(sim): AxState<Arc<Sim>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(task_id) = headers
        .get("upload-task-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return http_error(StatusCode::BAD_REQUEST, ERR_UPLOAD_TASK_NOT_FOUND);
    };
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (data, mime, preview) = match multipart::boundary(&content_type) {
        Some(boundary) => {
            let Some(parts) = multipart::parse(&body, &boundary) else {
                return http_error(StatusCode::BAD_REQUEST, ERR_INVALID_FILE);
            };
            let mut file = None;
            let mut preview = None;
            for part in parts {
                match part.name.as_deref() {
                    Some("file") => file = Some(part),
                    Some("preview") => preview = Some(part),
                    _ => {}
                }
            }
            let Some(file) = file else {
                return http_error(StatusCode::BAD_REQUEST, ERR_INVALID_FILE);
            };
            let preview = preview.map(|p| Preview {
                name: p.filename.unwrap_or_else(|| "preview".into()),
                mime: p
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                bytes: Arc::new(p.data),
            });
            (file.data, file.content_type, preview)
        }
        None => (
            body.to_vec(),
            Some(content_type).filter(|c| !c.is_empty()),
            None,
        ),
    };
    let mut w = sim.world();
    let Some(task) = w.trueconf.upload_tasks.get(&task_id) else {
        return http_error(StatusCode::NOT_FOUND, ERR_UPLOAD_TASK_NOT_FOUND);
    };
    if data.len() as u64 != task.size {
        return http_error(StatusCode::BAD_REQUEST, ERR_INVALID_FILE);
    }
    let Some(task) = w.trueconf.upload_tasks.remove(&task_id) else {
        return http_error(StatusCode::NOT_FOUND, ERR_UPLOAD_TASK_NOT_FOUND);
    };
    let temporal = w.rng.uuid();
    let secret = w.rng.hex(32);
    w.trueconf.temporal.insert(
        temporal.clone(),
        StoredFile {
            name: task.name,
            mime: mime.unwrap_or_else(|| "application/octet-stream".into()),
            bytes: Arc::new(data),
            preview,
            owner: task.user,
            secret,
            chats: HashSet::new(),
            storing: None,
            halfway_sent: false,
            message_id: None,
        },
    );
    Json(json!({"temporalFileId": temporal})).into_response()
}

/// `GET` of a stored file's bytes or preview, at the URL `getFileInfo` hands out.
async fn download(
    AxState(sim): AxState<Arc<Sim>>,
    Path((file_id, kind, secret)): Path<(String, String, String)>,
) -> Response {
    let w = sim.world();
    let Some(f) = w
        .trueconf
        .files
        .get(&file_id)
        .filter(|f| f.secret == secret)
    else {
        return http_error(StatusCode::NOT_FOUND, ERR_FILE_NOT_FOUND);
    };
    if f.storing.is_some() {
        return http_error(StatusCode::CONFLICT, ERR_HTTP_FILE_NOT_READY);
    }
    let (mime, bytes) = match (kind.as_str(), &f.preview) {
        ("download", _) => (f.mime.clone(), f.bytes.clone()),
        ("preview", Some(p)) => (p.mime.clone(), p.bytes.clone()),
        _ => return http_error(StatusCode::NOT_FOUND, ERR_FILE_NOT_FOUND),
    };
    drop(w);
    (
        [(axum::http::header::CONTENT_TYPE, mime)],
        bytes.as_ref().clone(),
    )
        .into_response()
}

fn visible_message<'a>(st: &'a State, msg_id: &str, user: usize) -> Result<&'a Msg, u32> {
    let m = st.messages.get(msg_id).ok_or(ERR_MESSAGE_NOT_FOUND)?;
    let chat = st.chats.get(&m.chat_id).ok_or(ERR_MESSAGE_NOT_FOUND)?;
    if chat.role(user).is_none() || !visible(chat, m, user) {
        return Err(ERR_MESSAGE_NOT_FOUND);
    }
    Ok(m)
}
