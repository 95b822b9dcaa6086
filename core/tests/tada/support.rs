//! Helpers shared by the tada tests: a connected session on a virtual clock, frame and event
//! draining, server frame builders, and the examples of the published spec (kept as fixtures).

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::{Event, Session as _, Timestamp, Transmit};
use serde_json::{json, Value};
use std::time::Duration;

/// A config with a fixed seed and round timers, so frames and deadlines are predictable.
pub fn config() -> TadaConfig {
    let mut c = TadaConfig::new("team-1", "secret-token");
    c.seed = 7;
    c.resend_timeout = Duration::from_secs(5);
    c.max_resends = 2;
    c.ping_interval = Duration::from_secs(30);
    c.ping_deadline = Duration::from_secs(10);
    c
}

/// A session that has connected at `t = 0`, with the `Connect` and `Connected` drained.
pub fn connected() -> TadaSession {
    connected_with(config())
}

/// [`connected`] with a given config.
pub fn connected_with(config: TadaConfig) -> TadaSession {
    let mut s = TadaSession::new(config);
    s.connect(Timestamp(0)).unwrap();
    assert!(matches!(s.poll_transmit(), Some(Transmit::Connect(_))));
    s.handle_connected(Timestamp(0));
    drain_frames(&mut s);
    let events = drain_events(&mut s);
    assert!(matches!(events.as_slice(), [Event::Connected { .. }]));
    s
}

/// Every queued text frame, parsed.
pub fn drain_frames(s: &mut TadaSession) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        match t {
            Transmit::Frame { text } => out.push(serde_json::from_str(&text).unwrap()),
            // History fetches after a reconnect; `catchup` tests them.
            Transmit::Http(_) => {}
            other => panic!("unexpected transmit {other:?}"),
        }
    }
    out
}

/// Every queued transmit, raw.
pub fn drain_transmits(s: &mut TadaSession) -> Vec<Transmit> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

/// Every queued event.
pub fn drain_events(s: &mut TadaSession) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// A server frame `{"event", "params"}`, with a top-level `confirm_id` when given.
pub fn server(event: &str, params: Value, confirm_id: Option<&str>) -> String {
    let mut v = json!({ "event": event, "params": params });
    if let Some(c) = confirm_id {
        v["confirm_id"] = json!(c);
    }
    v.to_string()
}

/// `server.confirm` for `confirm_id`.
pub fn confirm(confirm_id: &str) -> String {
    server("server.confirm", json!({ "confirm_id": confirm_id }), None)
}

/// A plain-text message object as `server.message.updated` carries it.
pub fn message(id: &str, chat: &str, from: &str, text: &str, gentime: i64) -> Value {
    json!({
        "chat": chat, "chat_type": "group", "from": from, "to": chat,
        "message_id": id, "gentime": gentime, "created": "2019-09-27T01:01:33.661466Z",
        "content": { "type": "plain", "text": text }
    })
}

/// `server.message.updated` with `messages`.
pub fn messages_updated(messages: Vec<Value>, confirm_id: Option<&str>) -> String {
    server(
        "server.message.updated",
        json!({ "delayed": false, "messages": messages }),
        confirm_id,
    )
}

/// The fixtures copied from the published tada spec (`tada-events.md`).
fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tada")
}

/// Every `(event name, JSON example)` of the spec, in spec order (client events, then server
/// events, each alphabetical): the files `tests/fixtures/tada/{client,server}/<event>.json`,
/// verbatim but for the newline ending each file.
pub fn spec_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for side in ["client", "server"] {
        let dir = fixtures().join(side);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut side_examples: Vec<(String, String)> = entries
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                (name, text)
            })
            .collect();
        side_examples.sort();
        out.extend(side_examples);
    }
    out
}

/// Every event name the spec documents, in order, with or without an example
/// (`tests/fixtures/tada/events.txt`, one a line).
pub fn spec_event_names() -> Vec<String> {
    let path = fixtures().join("events.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}
