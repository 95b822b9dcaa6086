//! A virtual-clock harness for TrueConf session tests: no sockets, no real time.

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
            Event::Response { request, reply } => Some((request.0, Ok(reply.clone()))),
            Event::RequestFailed { request, error } => Some((request.0, Err(error.clone()))),
            _ => None,
        })
        .collect()
}

/// One JSON example of the published TrueConf spec (`trueconf-chats.md`), kept verbatim as a
/// fixture file in `tests/fixtures/trueconf/{requests,responses,notifications,acks}/`.
pub struct Example {
    /// The fixture's name, `NN-<spec heading>`: a response or ack shares it with its request or
    /// notification.
    pub heading: String,
    /// Whether it is in the spec's server-notifications part (notifications and their acks).
    pub server_part: bool,
    /// The example exactly as the spec prints it, trailing commas and all.
    pub text: String,
}

/// Every example, in spec order: each request followed by its response, then the generic ack,
/// then each notification followed by its ack.
pub fn examples() -> Vec<Example> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trueconf");
    // Rank within one heading: the frame the spec shows first comes first.
    let folders = [
        ("requests", false, 0),
        ("responses", false, 1),
        ("notifications", true, 0),
        ("acks", true, 1),
    ];
    let mut out = Vec::new();
    for (folder, server_part, rank) in folders {
        let dir = root.join(folder);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            let heading = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((
                (server_part, heading.clone(), rank),
                Example {
                    heading,
                    server_part,
                    text,
                },
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, e)| e).collect()
}
