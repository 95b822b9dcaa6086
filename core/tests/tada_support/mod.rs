//! Helpers shared by the `tada_*` tests: a connected session on a virtual clock, frame and event
//! draining, server frame builders, and the examples of the published spec.
#![allow(dead_code)]

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

/// The published tada spec.
pub fn spec_text() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/tada-events.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `(event name, JSON example)` of the spec, in order, extracted from its text: an example
/// is the balanced `{…}` block following the event's name line.
pub fn spec_examples() -> Vec<(String, String)> {
    let text = spec_text();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if is_event_name(line) {
            current = Some(line.to_string());
        } else if line == "{" {
            let end = balanced_end(&text, offset).expect("unbalanced example");
            let example = text[offset..end].to_string();
            let name = current.clone().expect("example before any event name");
            out.push((name, example));
            // Skip the lines the example spans.
            let mut consumed = offset;
            while consumed < end && i < lines.len() {
                consumed += lines[i].len();
                i += 1;
            }
            offset = consumed;
            continue;
        }
        offset += lines[i].len();
        i += 1;
    }
    out
}

/// Every event name heading of the spec, in order.
pub fn spec_event_names() -> Vec<String> {
    spec_text()
        .lines()
        .map(str::trim)
        .filter(|l| is_event_name(l))
        .map(str::to_string)
        .collect()
}

fn is_event_name(line: &str) -> bool {
    (line.starts_with("client.") || line.starts_with("server."))
        && line.len() > 7
        && line
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
}

/// The end (exclusive) of the JSON object starting at `start`, skipping braces inside strings.
fn balanced_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}
