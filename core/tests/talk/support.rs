//! Scripted-server helpers shared by the Talk tests: build answers, read requests.

use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::{Event, HttpRequest, HttpResponse, Session as _, Timestamp, Transmit};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The room most tests use.
pub const ROOM: &str = "room-ab";
/// The test user.
pub const USER: &str = "alice";
/// The test user's app password (must never show in Debug output).
pub const PASSWORD: &str = "Zq9-app-password-SECRET";

/// A config with a fixed seed.
pub fn config() -> TalkConfig {
    let mut c = TalkConfig::new(USER, PASSWORD);
    c.seed = 42;
    // The tests read their delays against a 1 s base (the n-th in [2^n s / 2, 2^n s]).
    c.backoff_base = std::time::Duration::from_secs(1);
    c
}

/// A fresh session with [`config`].
pub fn talk() -> TalkSession {
    TalkSession::new(config())
}

/// Milliseconds on the virtual clock.
pub fn at(ms: u64) -> Timestamp {
    Timestamp(ms)
}

/// Every request queued so far.
pub fn requests(s: &mut TalkSession) -> Vec<HttpRequest> {
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        match t {
            Transmit::Http(r) => out.push(r),
            other => panic!("Talk sent a non-HTTP transmit: {other:?}"),
        }
    }
    out
}

/// The one request queued; panics if there are none or several.
pub fn one_request(s: &mut TalkSession) -> HttpRequest {
    let mut r = requests(s);
    assert_eq!(r.len(), 1, "expected exactly one request, got {r:?}");
    r.remove(0)
}

/// Every event queued so far.
/// Events so far, without the reports of failed attempts ([`Event::ConnectFailed`], tested in
/// `failure_reports`), so tests of other behaviours read only what they are about.
pub fn events(s: &mut TalkSession) -> Vec<Event> {
    all_events(s)
        .into_iter()
        .filter(|e| !matches!(e, Event::ConnectFailed { .. }))
        .collect()
}

/// Every event so far.
pub fn all_events(s: &mut TalkSession) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// An OCS answer with `data` and extra headers.
pub fn ocs(status: u16, data: Value, headers: &[(&str, &str)]) -> HttpResponse {
    let body = json!({"ocs": {"meta": {"status": if status < 300 {"ok"} else {"failure"},
        "statuscode": status, "message": ""}, "data": data}});
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| chatwire::Header::new(*k, *v))
            .collect(),
        body: body.to_string(),
    }
}

/// `200` with a list of messages and the cursor header.
pub fn page(messages: Vec<Value>, last_given: i64) -> HttpResponse {
    ocs(
        200,
        Value::Array(messages),
        &[("X-Chat-Last-Given", &last_given.to_string())],
    )
}

/// `304 Not Modified` (no body).
pub fn not_modified() -> HttpResponse {
    HttpResponse {
        status: 304,
        ..Default::default()
    }
}

/// An error status with an OCS failure body.
pub fn failure(status: u16) -> HttpResponse {
    ocs(status, json!([]), &[])
}

/// The host's report of an exchange that got no answer.
pub fn transport_failure() -> HttpResponse {
    HttpResponse::default()
}

/// A chat message as the server sends it.
pub fn message(id: i64, actor: &str, text: &str) -> Value {
    json!({
        "id": id, "token": ROOM, "actorType": "users", "actorId": actor,
        "actorDisplayName": actor.to_uppercase(), "timestamp": 1_700_000_000 + id,
        "message": text, "messageParameters": [], "systemMessage": "",
        "messageType": "comment", "isReplyable": true, "referenceId": ""
    })
}

/// The path without its query.
pub fn path(req: &HttpRequest) -> &str {
    req.path.split('?').next().unwrap()
}

fn decode_pairs(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |x: &str| percent_decode_str(x).decode_utf8().unwrap().into_owned();
            (d(k), d(v))
        })
        .collect()
}

/// The decoded query parameters.
pub fn query(req: &HttpRequest) -> BTreeMap<String, String> {
    decode_pairs(req.path.split_once('?').map(|(_, q)| q).unwrap_or(""))
}

/// The decoded form body.
pub fn form(req: &HttpRequest) -> BTreeMap<String, String> {
    decode_pairs(req.body.as_deref().unwrap_or(""))
}

/// A header of a request.
pub fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Joins [`ROOM`], answers its history with nothing but a cursor at `cursor`, and returns the
/// first long-poll request.
pub fn join_live(s: &mut TalkSession, now: Timestamp, cursor: i64) -> HttpRequest {
    s.join_room(now, ROOM).unwrap();
    let history = one_request(s);
    assert_eq!(query(&history)["lookIntoFuture"], "0");
    s.handle_http_response(
        now,
        history.id,
        page(vec![message(cursor, "bob", "hi")], cursor),
    );
    events(s);
    let poll = one_request(s);
    assert_eq!(query(&poll)["lookIntoFuture"], "1");
    poll
}

/// The messages delivered as `MessageReceived`, by id.
pub fn received_ids(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived { message } => Some(message.id.clone()),
            _ => None,
        })
        .collect()
}

/// The `data` of a fixture file holding a whole OCS answer (taken from the simulator, which
/// answers as Nextcloud 29 / Talk 19 does).
pub fn fixture_data(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).expect("fixture is JSON");
    v["ocs"]["data"].clone()
}
