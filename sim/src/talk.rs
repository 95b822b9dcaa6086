//! Nextcloud Talk chat API under `/ocs/v2.php/apps/spreed/api/v1`.
//!
//! Every request needs `OCS-APIRequest: true` (else 400) and HTTP Basic auth with a seeded
//! user and its app password (or plain password) (else 401). Answers are OCS envelopes
//! `{"ocs":{"meta":{"status","statuscode","message"},"data":...}}`, except 304 (no body).
//!
//! | route | what |
//! |---|---|
//! | `GET /chat/{token}` | history (`lookIntoFuture=0`, newest first, below `lastKnownMessageId`) or long-poll (`lookIntoFuture=1`, oldest first, above it; 304 after `timeout`, capped by [`crate::SimConfig::talk_poll_timeout_cap_secs`]). `X-Chat-Last-Given` is always the next cursor (on `200 []` it is the cursor sent). When `lastCommonReadId` is sent: `X-Chat-Last-Common-Read` on every 200, and `200 []` at once if it differs from the current common read. `setReadMarker` (default 1) moves the caller's read marker to the newest message a poll returned. |
//! | `POST /chat/{token}` | `message`, `replyTo`, `referenceId`, `silent` (form, JSON or query) → 201 with the message; 400 empty message / bad `replyTo`; 403 read-only; 404 not a member; 412 lobby; 413 over 32000 characters. Sending also moves the sender's read marker. `referenceId` is stored and echoed, not used to deduplicate (as real Talk). |
//! | `DELETE /chat/{token}/{messageId}` | deletes one's own comment → 200 with the `message_deleted` system message; replies then show `parent: {id, deleted:true}` |
//! | `POST /chat/{token}/read` | `lastReadMessage` (default: newest) → 200 with `X-Chat-Last-Common-Read` |
//! | `GET /chat/{token}/mentions` | `search`, `limit` (20) → `[{id,label,source}]` with `{id:"all",label:<room name>,source:"calls"}` when it matches |
//! | `GET /ocs/v2.php/cloud/capabilities` | `spreed.features` and `spreed.config.chat.max-length` = 32000 |
//!
//! Common read = the lowest read marker of the room's members. Message ids are one counter
//! across rooms; timestamps (seconds) come from the logical clock. `messageParameters` is
//! `[]` when empty and an object otherwise, as PHP serializes it.
//! Fault `http_429_burst`/`http_503_burst`: the next N requests on these routes answer
//! 429/503 before anything else is checked.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::seed::{self, TALK_ROOM_AB, TALK_ROOM_ALL, TALK_ROOM_LOBBY, TALK_ROOM_RO};
use crate::state::{Clock, Sim, World};

/// Base path of the chat API.
pub const BASE: &str = "/ocs/v2.php/apps/spreed/api/v1";

/// Longest message accepted, in characters (`spreed.config.chat.max-length`).
pub const MAX_LENGTH: usize = 32000;

/// Talk state: rooms, their messages and read markers.
pub(crate) struct State {
    next_id: u64,
    rooms: Vec<Room>,
}

struct Room {
    token: &'static str,
    name: &'static str,
    members: Vec<usize>,
    lobby: bool,
    read_only: bool,
    messages: Vec<TalkMsg>,
    read: HashMap<usize, u64>,
}

struct TalkMsg {
    id: u64,
    actor: usize,
    timestamp: u64,
    system: &'static str,
    message_type: &'static str,
    message: String,
    params: Map<String, Value>,
    reference_id: String,
    parent: Option<u64>,
}

fn rich_user(u: usize) -> Value {
    let user = seed::user(u);
    json!({"type": "user", "id": user.name, "name": user.display_name})
}

impl State {
    /// The seeded rooms, each starting with `conversation_created` and one `user_added` per
    /// member (plus `lobby_non_moderators` / `read_only` where those apply).
    pub fn seeded() -> State {
        let mut st = State {
            next_id: 0,
            rooms: Vec::new(),
        };
        let specs: [(&'static str, &'static str, &[usize], bool, bool); 4] = [
            (TALK_ROOM_ALL, "All of us", &[0, 1, 2], false, false),
            (TALK_ROOM_AB, "Alice & Bob", &[0, 1], false, false),
            (TALK_ROOM_LOBBY, "Waiting room", &[0], true, false),
            (TALK_ROOM_RO, "Announcements", &[0, 1, 2], false, true),
        ];
        let ts = Clock::START_MS / 1000;
        for (token, name, members, lobby, read_only) in specs {
            let mut room = Room {
                token,
                name,
                members: members.to_vec(),
                lobby,
                read_only,
                messages: Vec::new(),
                read: HashMap::new(),
            };
            let mut sys =
                |st: &mut State, system: &'static str, message: &str, user: Option<usize>| {
                    st.next_id += 1;
                    let mut params = Map::new();
                    params.insert("actor".into(), rich_user(0));
                    if let Some(u) = user {
                        params.insert("user".into(), rich_user(u));
                    }
                    room.messages.push(TalkMsg {
                        id: st.next_id,
                        actor: 0,
                        timestamp: ts,
                        system,
                        message_type: "system",
                        message: message.to_string(),
                        params,
                        reference_id: String::new(),
                        parent: None,
                    });
                };
            sys(
                &mut st,
                "conversation_created",
                "{actor} created the conversation",
                None,
            );
            for &m in members {
                sys(&mut st, "user_added", "{actor} added {user}", Some(m));
            }
            if lobby {
                sys(
                    &mut st,
                    "lobby_non_moderators",
                    "{actor} restricted the conversation to moderators",
                    None,
                );
            }
            if read_only {
                sys(
                    &mut st,
                    "read_only",
                    "{actor} locked the conversation",
                    None,
                );
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

    fn message_json(&self, m: &TalkMsg, with_parent: bool) -> Value {
        let user = seed::user(m.actor);
        let params = if m.params.is_empty() {
            json!([])
        } else {
            Value::Object(m.params.clone())
        };
        let mut v = json!({
            "id": m.id,
            "token": self.token,
            "actorType": "users",
            "actorId": user.name,
            "actorDisplayName": user.display_name,
            "timestamp": m.timestamp,
            "message": m.message,
            "messageParameters": params,
            "systemMessage": m.system,
            "messageType": m.message_type,
            "isReplyable": m.message_type == "comment",
            "referenceId": m.reference_id,
            "expirationTimestamp": 0,
            "markdown": true,
        });
        if let (true, Some(pid)) = (with_parent, m.parent) {
            v["parent"] = match self.get(pid) {
                Some(p) if p.message_type != "comment_deleted" => self.message_json(p, false),
                _ => json!({"id": pid, "deleted": true}),
            };
        }
        v
    }
}

/// The Talk routes.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(&format!("{BASE}/chat/{{token}}"), get(receive).post(send))
        .route(&format!("{BASE}/chat/{{token}}/read"), post(mark_read))
        .route(&format!("{BASE}/chat/{{token}}/mentions"), get(mentions))
        .route(
            &format!("{BASE}/chat/{{token}}/{{message_id}}"),
            delete(delete_message),
        )
        .route("/ocs/v2.php/cloud/capabilities", get(capabilities))
}

/// CORS for browser hosts (the wasm binding's tests): answers preflights and exposes the
/// `X-Chat-*` headers. Requests without an `Origin` header are untouched.
pub(crate) async fn cors(req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        return next.run(req).await;
    };
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
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
        HeaderValue::from_static("X-Chat-Last-Given, X-Chat-Last-Common-Read"),
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

/// Bursts, `OCS-APIRequest`, Basic auth: the caller's user index, or the answer to give.
fn precheck(sim: &Sim, headers: &HeaderMap, need_auth: bool) -> Result<usize, Box<Response>> {
    if let Some(code) = sim.take_http_burst() {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return Err(Box::new(ocs(status, json!([]))));
    }
    let ocs_header = headers
        .get("OCS-APIRequest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !ocs_header {
        return Err(Box::new(ocs(
            StatusCode::BAD_REQUEST,
            json!({"error": "OCS-APIRequest: true header required"}),
        )));
    }
    if !need_auth {
        return Ok(usize::MAX);
    }
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
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
        });
    user.ok_or_else(|| {
        let mut resp = ocs(StatusCode::UNAUTHORIZED, json!([]));
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Nextcloud\""),
        );
        Box::new(resp)
    })
}

/// The room `token` for `user`, or 404 / 412.
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

fn room_index(st: &State, token: &str, user: usize) -> Result<usize, Box<Response>> {
    let idx = st
        .rooms
        .iter()
        .position(|r| r.token == token && r.members.contains(&user))
        .ok_or_else(|| Box::new(ocs(StatusCode::NOT_FOUND, json!([]))))?;
    if st.rooms[idx].lobby {
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
        let data: Vec<Value> = list.iter().map(|m| room.message_json(m, true)).collect();
        let mut resp = with_header(
            ocs(StatusCode::OK, Value::Array(data)),
            "X-Chat-Last-Given",
            oldest,
        );
        if last_common.is_some() {
            resp = with_header(resp, "X-Chat-Last-Common-Read", room.common_read());
        }
        return resp;
    }
    let cap = sim.config.talk_poll_timeout_cap_secs.min(60);
    let timeout = (int(q.get("timeout")).unwrap_or(30).max(0) as u64).min(cap);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let mut changed = sim.talk_changed.subscribe();
    let mut shutdown = sim.subscribe_shutdown();
    loop {
        changed.borrow_and_update();
        {
            let mut w = sim.world();
            let idx = match room_index(&w.talk, &token, user) {
                Ok(i) => i,
                Err(resp) => return *resp,
            };
            if let Some(resp) = poll_once(
                &sim,
                &mut w,
                idx,
                user,
                last_known,
                include_last,
                limit,
                last_common,
                set_marker,
            ) {
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
#[allow(clippy::too_many_arguments)]
fn poll_once(
    sim: &Sim,
    w: &mut World,
    idx: usize,
    user: usize,
    last_known: u64,
    include_last: bool,
    limit: usize,
    last_common: Option<u64>,
    set_marker: bool,
) -> Option<Response> {
    let room = &mut w.talk.rooms[idx];
    let common = room.common_read();
    if let Some(lc) = last_common {
        if lc != common {
            let resp = with_header(
                ocs(StatusCode::OK, json!([])),
                "X-Chat-Last-Common-Read",
                common,
            );
            return Some(with_header(resp, "X-Chat-Last-Given", last_known));
        }
    }
    let ids: Vec<u64> = room
        .messages
        .iter()
        .filter(|m| m.id > last_known || (include_last && m.id == last_known))
        .take(limit)
        .map(|m| m.id)
        .collect();
    let newest = *ids.last()?;
    if set_marker && room.read.get(&user).copied().unwrap_or(0) < newest {
        room.read.insert(user, newest);
        bump(sim);
    }
    let data: Vec<Value> = ids
        .iter()
        .filter_map(|id| room.get(*id))
        .map(|m| room.message_json(m, true))
        .collect();
    let mut resp = with_header(
        ocs(StatusCode::OK, Value::Array(data)),
        "X-Chat-Last-Given",
        newest,
    );
    if last_common.is_some() {
        resp = with_header(resp, "X-Chat-Last-Common-Read", room.common_read());
    }
    Some(resp)
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
            Some(m) if m.message_type == "comment" => Some(id as u64),
            _ => return ocs(StatusCode::BAD_REQUEST, json!({"error": "reply-to"})),
        },
    };
    let timestamp = w.clock.tick() / 1000;
    let st = &mut w.talk;
    st.next_id += 1;
    let id = st.next_id;
    let room = &mut st.rooms[idx];
    room.messages.push(TalkMsg {
        id,
        actor: user,
        timestamp,
        system: "",
        message_type: "comment",
        message: message.to_string(),
        params: Map::new(),
        reference_id,
        parent,
    });
    room.read.insert(user, id);
    let data = room.message_json(room.messages.last().expect("just pushed"), true);
    let common = room.common_read();
    drop(w);
    bump(&sim);
    with_header(
        ocs(StatusCode::CREATED, data),
        "X-Chat-Last-Common-Read",
        common,
    )
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
    match w.talk.rooms[idx].get(message_id) {
        None => return ocs(StatusCode::NOT_FOUND, json!([])),
        Some(m) if m.message_type != "comment" => return ocs(StatusCode::BAD_REQUEST, json!([])),
        Some(m) if m.actor != user => return ocs(StatusCode::FORBIDDEN, json!([])),
        Some(_) => {}
    }
    let timestamp = w.clock.tick() / 1000;
    let st = &mut w.talk;
    st.next_id += 1;
    let id = st.next_id;
    let room = &mut st.rooms[idx];
    if let Some(m) = room.messages.iter_mut().find(|m| m.id == message_id) {
        m.message_type = "comment_deleted";
        m.message = "Message deleted by author".into();
        m.params = Map::new();
    }
    let mut params = Map::new();
    params.insert("actor".into(), rich_user(user));
    room.messages.push(TalkMsg {
        id,
        actor: user,
        timestamp,
        system: "message_deleted",
        message_type: "system",
        message: "{actor} deleted a message".into(),
        params,
        reference_id: String::new(),
        parent: Some(message_id),
    });
    let data = room.message_json(room.messages.last().expect("just pushed"), true);
    drop(w);
    bump(&sim);
    ocs(StatusCode::OK, data)
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

async fn mentions(
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
    let search = q
        .get("search")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    let limit = int(q.get("limit")).unwrap_or(20).max(1) as usize;
    let w = sim.world();
    let idx = match room_index(&w.talk, &token, user) {
        Ok(i) => i,
        Err(resp) => return *resp,
    };
    let room = &w.talk.rooms[idx];
    if room.read_only {
        return ocs(StatusCode::FORBIDDEN, json!([]));
    }
    let mut out = Vec::new();
    if search.is_empty() || "all".starts_with(&search) || room.name.to_lowercase().contains(&search)
    {
        out.push(json!({"id": "all", "label": room.name, "source": "calls"}));
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

async fn capabilities(AxState(sim): AxState<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Err(resp) = precheck(&sim, &headers, false) {
        return *resp;
    }
    let data = json!({
        "version": {"major": 30, "minor": 0, "micro": 0, "string": "30.0.0", "edition": "", "extendedSupport": false},
        "capabilities": {"spreed": {
            "features": ["chat-v2", "chat-read-marker", "chat-read-status", "chat-replies", "chat-reference-id", "delete-messages", "mention-flag"],
            "config": {"chat": {"max-length": MAX_LENGTH, "read-privacy": 0}},
        }},
    });
    ocs(StatusCode::OK, data)
}
