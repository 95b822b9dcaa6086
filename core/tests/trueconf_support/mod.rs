//! A virtual-clock harness for TrueConf session tests: no sockets, no real time.
#![allow(dead_code)]

use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Event, Session as _, Timestamp, Transmit};
use serde_json::{json, Value};

/// A session plus the virtual clock driving it.
pub struct Harness {
    pub s: TrueConfSession,
    pub now: Timestamp,
}

impl Harness {
    /// A fresh, disconnected session.
    pub fn new() -> Self {
        Harness {
            s: TrueConfSession::new(TrueConfConfig::new("jwt-secret")),
            now: Timestamp(1_000),
        }
    }

    /// A session that connected and authenticated as `bot@example.com`; output drained.
    pub fn ready() -> Self {
        let mut h = Self::new();
        h.s.handle_connected(h.now);
        let (frames, _) = h.drain_frames();
        let auth_id = frames[0]["id"].as_u64().unwrap();
        h.feed(json!({"type":2,"id":auth_id,"payload":{"userId":"bot@example.com","connectionId":"c-1"}}));
        h
    }

    /// Everything the session queued, in order.
    pub fn drain(&mut self) -> (Vec<Transmit>, Vec<Event>) {
        let mut t = Vec::new();
        while let Some(x) = self.s.poll_transmit() {
            t.push(x);
        }
        let mut e = Vec::new();
        while let Some(x) = self.s.poll_event() {
            e.push(x);
        }
        (t, e)
    }

    /// Like [`Harness::drain`], with frames parsed as JSON (other transmits are kept raw).
    pub fn drain_frames(&mut self) -> (Vec<Value>, Vec<Event>) {
        let (t, e) = self.drain();
        (t.into_iter().map(frame_json).collect(), e)
    }

    /// Delivers a server frame and returns what it produced.
    pub fn feed(&mut self, frame: Value) -> (Vec<Value>, Vec<Event>) {
        self.feed_text(&frame.to_string())
    }

    /// Delivers a raw text frame and returns what it produced.
    pub fn feed_text(&mut self, text: &str) -> (Vec<Value>, Vec<Event>) {
        self.s.handle_frame(self.now, text);
        self.drain_frames()
    }

    /// Advances the virtual clock by `ms` and fires the timeout if one is due.
    pub fn advance(&mut self, ms: u64) -> (Vec<Value>, Vec<Event>) {
        self.now = Timestamp(self.now.0 + ms);
        if self.s.poll_timeout().is_some_and(|t| t <= self.now) {
            self.s.handle_timeout(self.now);
        }
        self.drain_frames()
    }
}

/// A transmit as JSON: frames parsed, others serialized.
pub fn frame_json(t: Transmit) -> Value {
    match t {
        Transmit::Frame { text } => serde_json::from_str(&text).expect("session emits JSON"),
        other => serde_json::to_value(other).unwrap(),
    }
}

/// The `Response` events, as (request id, result).
pub fn responses(events: &[Event]) -> Vec<(u32, Result<chatwire::Reply, chatwire::Error>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Response { request, result } => Some((request.0, result.clone())),
            _ => None,
        })
        .collect()
}

/// One example of the published TrueConf spec: the heading it sits under, the label line before it, whether it is in the
/// server-notifications part, and its text.
pub struct Example {
    pub heading: String,
    pub label: String,
    pub server_part: bool,
    pub text: String,
}

pub fn examples() -> Vec<Example> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/spec/trueconf-chats.md"
    );
    let spec = std::fs::read_to_string(path).expect("spec file beside the project");
    let mut out = Vec::new();
    let (mut heading, mut label, mut server_part) = (String::new(), String::new(), false);
    let mut block: Option<(String, i32)> = None;
    for line in spec.lines() {
        if let Some((text, depth)) = block.as_mut() {
            text.push_str(line);
            text.push('\n');
            *depth += brace_delta(line);
            if *depth == 0 {
                let (text, _) = block.take().unwrap();
                out.push(Example {
                    heading: heading.clone(),
                    label: label.clone(),
                    server_part,
                    text,
                });
            }
            continue;
        }
        if line == "{" {
            block = Some((String::from("{\n"), 1));
        } else if let Some(h) = line.strip_prefix("# ") {
            heading = h.to_string();
            if h == "Server notifications" {
                server_part = true;
            }
        } else if !line.trim().is_empty() && !line.starts_with('|') {
            label = line.trim().to_string();
        }
    }
    out
}

fn brace_delta(line: &str) -> i32 {
    let mut d = 0;
    let mut in_str = false;
    let mut esc = false;
    for c in line.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (false, _, '"') => in_str = true,
            (false, _, '{') | (false, _, '[') => d += 1,
            (false, _, '}') | (false, _, ']') => d -= 1,
            _ => {}
        }
    }
    d
}
