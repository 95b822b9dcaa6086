//! The bodies of chatwire's fuzz targets, shared by the libFuzzer binaries (`fuzz_targets/`,
//! nightly, `cargo fuzz run`) and the seeded mutation loop that runs them on stable
//! (`tests/stable.rs`). Each drives a session through its public API with the input and checks
//! the promises of RELIABILITY.md after every step; a broken promise is a panic, which both
//! runners report with the input that caused it.
//!
//! Input formats (the seed corpora, `src/bin/seed_corpus.rs`, follow them):
//! - `trueconf_frames`, `tada_frames`: server frames, one per line.
//! - `talk_http`: HTTP answers, one per line: the first byte picks the status, the rest is the body.
//! - `snapshot_restore`: the first byte picks the protocol, the rest is a snapshot's JSON.
//! - `decode`: the first byte picks protocol and direction, the rest is one line, as `chatwire
//!   decode` reads it.

use chatwire::internals::parse_lenient;
use chatwire::tada::{TadaConfig, TadaSession, TadaSnapshot};
use chatwire::talk::{TalkConfig, TalkSession, TalkSnapshot};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession, TrueConfSnapshot};
use chatwire::{
    Direction, Event, Header, HttpRequest, HttpResponse, Limits, RequestId, Session, Timestamp,
    Transmit,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod one_pass;
pub use one_pass::one_pass;

/// Limits small enough that the fuzzer reaches them (frame size, dedupe window, caps).
fn limits() -> Limits {
    Limits {
        max_frame_bytes: 64 * 1024,
        max_pending_requests: 8,
        max_queued: 256,
        dedupe_window: 4096,
        max_protocol_errors_queued: 16,
        max_chats: 32,
        ..Limits::default()
    }
}

/// What the app was told, checked as it goes: each request resolves at most once (and only one
/// that was issued), each send is `Delivered` at most once, no message arrives twice, and no
/// input makes more events than its size can justify.
#[derive(Default)]
struct Ledger {
    issued: BTreeSet<RequestId>,
    resolved: BTreeSet<RequestId>,
    delivered: BTreeSet<RequestId>,
    received: BTreeSet<(Option<String>, String)>,
}

impl Ledger {
    fn issue(&mut self, id: RequestId) {
        assert!(self.issued.insert(id), "request id {id:?} handed out twice");
    }

    /// Drains the session's events after one input of `input_len` bytes.
    fn events(&mut self, s: &mut impl Session, input_len: usize) -> Vec<Event> {
        let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
        let bound = limits().max_protocol_errors_queued as usize + 64 + input_len / 4;
        assert!(
            events.len() <= bound,
            "{} events from an input of {input_len} bytes",
            events.len()
        );
        for e in &events {
            match e {
                Event::Response { request, .. } | Event::RequestFailed { request, .. } => {
                    assert!(
                        self.issued.contains(request),
                        "{request:?} was never issued"
                    );
                    assert!(self.resolved.insert(*request), "{request:?} resolved twice");
                }
                Event::Delivered { request, .. } => {
                    assert!(
                        self.issued.contains(request),
                        "{request:?} was never issued"
                    );
                    assert!(
                        self.delivered.insert(*request),
                        "{request:?} delivered twice"
                    );
                }
                Event::MessageReceived { message } => {
                    let key = (message.chat_id.clone(), message.id.clone());
                    assert!(
                        self.received.insert(key),
                        "message {:?} received twice",
                        message.id
                    );
                }
                _ => {}
            }
        }
        events
    }

    /// Every issued request has resolved.
    fn all_resolved(&self) {
        let open: Vec<_> = self.issued.difference(&self.resolved).collect();
        assert!(open.is_empty(), "requests never resolved: {open:?}");
    }
}

/// The lines of `data`, as text (invalid UTF-8 replaced: the host hands the session `&str`).
fn lines(data: &[u8]) -> Vec<String> {
    data.split(|b| *b == b'\n')
        .take(64)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

fn frames(transmits: &[Transmit]) -> Vec<Value> {
    transmits
        .iter()
        .filter_map(|t| match t {
            Transmit::Frame { text } => {
                Some(serde_json::from_str(text).expect("the session sends JSON"))
            }
            _ => None,
        })
        .collect()
}

fn drain_transmits(s: &mut impl Session) -> Vec<Transmit> {
    let transmits: Vec<Transmit> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert!(transmits.len() <= 2 * limits().max_queued as usize + 64);
    transmits
}

/// The connection ends and no other comes; an hour passes: every request must have resolved.
fn gone_for_good(s: &mut impl Session, ledger: &mut Ledger, now: Timestamp) {
    s.handle_closed(now, "end of input");
    drain_transmits(s);
    ledger.events(s, 0);
    s.handle_timeout(Timestamp(now.0 + 3_600_000));
    drain_transmits(s);
    ledger.events(s, 0);
    ledger.all_resolved();
}

// ---- TrueConf ---------------------------------------------------------------------------------

/// The id of a server request the session must ack: `{"type":1,"id":N}` with a whole `N`.
fn trueconf_request_id(frame: &str) -> Option<u64> {
    if frame.len() > limits().max_frame_bytes as usize {
        return None;
    }
    let v = parse_lenient(frame).ok()?;
    if v.get("type")?.as_u64()? != 1 {
        return None;
    }
    v.get("id")?.as_u64().filter(|id| *id <= u32::MAX as u64)
}

/// TrueConf server frames into an authenticated session, with a send before every third.
/// Checks: each server request is acked exactly once, with its id, in the same input; the
/// ledger's promises; after a disconnect and the request timeout, every request has resolved.
pub fn trueconf_frames(data: &[u8]) {
    let mut config = TrueConfConfig::new("jwt");
    config.limits = limits();
    let mut s = TrueConfSession::new(config);
    let mut ledger = Ledger::default();
    let mut now = Timestamp(1_000);
    s.handle_connected(now);
    let auth = frames(&drain_transmits(&mut s));
    let auth_id = auth[0]["id"].as_u64().expect("auth has an id");
    s.handle_frame(
        now,
        &format!(
            r#"{{"type":2,"id":{auth_id},"payload":{{"userId":"bot@x","connectionId":"c"}}}}"#
        ),
    );
    drain_transmits(&mut s);
    ledger.events(&mut s, 0);
    for (i, frame) in lines(data).iter().enumerate() {
        now = Timestamp(now.0 + 10);
        if i % 3 == 0 {
            match s.send_text(now, "chat-1", "hello", None) {
                Ok(id) => ledger.issue(id),
                Err(e) => assert!(matches!(e.kind(), chatwire::ErrorKind::Refused), "{e}"),
            }
            drain_transmits(&mut s);
            ledger.events(&mut s, 0);
        }
        s.handle_frame(now, frame);
        let out = frames(&drain_transmits(&mut s));
        let acks: Vec<u64> = out
            .iter()
            .filter(|f| f["type"] == 2)
            .map(|f| f["id"].as_u64().expect("an ack carries a whole id"))
            .collect();
        match trueconf_request_id(frame) {
            Some(id) => assert_eq!(acks, [id], "frame {frame:?} must be acked once"),
            None => assert!(acks.len() <= 1, "one frame, acks {acks:?}"),
        }
        ledger.events(&mut s, frame.len());
    }
    gone_for_good(&mut s, &mut ledger, now);
}

// ---- tada -------------------------------------------------------------------------------------

/// tada server frames into a connected session, with a send before every third. Checks: a frame
/// with a top-level `confirm_id` is answered by exactly one `client.confirm` with it, in the same
/// input, and no other confirm goes out; the ledger's promises; after a disconnect and the
/// offline timeout, every send has resolved.
pub fn tada_frames(data: &[u8]) {
    let mut config = TadaConfig::new("team-1", "token");
    config.limits = limits();
    config.seed = 7;
    let mut s = TadaSession::new(config);
    let mut ledger = Ledger::default();
    let mut now = Timestamp(0);
    s.connect(now).expect("connect");
    s.handle_connected(now);
    drain_transmits(&mut s);
    ledger.events(&mut s, 0);
    for (i, frame) in lines(data).iter().enumerate() {
        now = Timestamp(now.0 + 10);
        if i % 3 == 0 {
            match s.send_text(now, "g-1", "hello", None) {
                Ok(id) => ledger.issue(id),
                Err(e) => assert!(matches!(e.kind(), chatwire::ErrorKind::Refused), "{e}"),
            }
            drain_transmits(&mut s);
            ledger.events(&mut s, 0);
        }
        s.handle_frame(now, frame);
        let confirms: Vec<String> = frames(&drain_transmits(&mut s))
            .iter()
            .filter(|f| f["event"] == "client.confirm")
            .map(|f| {
                f["params"]["confirm_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let wanted = parse_lenient(frame)
            .ok()
            .filter(|_| frame.len() <= limits().max_frame_bytes as usize)
            .and_then(|v| {
                v.get("confirm_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        match wanted {
            Some(id) if !id.is_empty() => {
                assert_eq!(confirms, [id], "frame {frame:?} must be confirmed once")
            }
            _ => assert!(confirms.len() <= 1, "one frame, confirms {confirms:?}"),
        }
        ledger.events(&mut s, frame.len());
        if i % 7 == 6 {
            // A reconnect in the middle: unconfirmed events are sent again, never resolved twice.
            s.handle_closed(now, "drop");
            s.handle_connected(now);
            drain_transmits(&mut s);
            ledger.events(&mut s, 0);
        }
    }
    // The server goes away for good: after the offline timeout every send has resolved.
    gone_for_good(&mut s, &mut ledger, now);
}

// ---- Talk -------------------------------------------------------------------------------------

const STATUSES: [u16; 12] = [200, 200, 200, 201, 304, 400, 401, 404, 412, 429, 503, 0];

/// Talk HTTP answers: a joined room and a send every third answer; each request the session
/// makes is answered in turn with the next line (status from its first byte, body the rest).
/// Checks: the ledger's promises; after the answers run out and every request is answered with
/// a network failure, then the request timeout passes, every send has resolved.
pub fn talk_http(data: &[u8]) {
    let mut config = TalkConfig::new("alice", "pw");
    config.limits = limits();
    config.seed = 3;
    let mut s = TalkSession::new(config);
    let mut ledger = Ledger::default();
    let mut now = Timestamp(0);
    s.join_room(now, "room-ab").expect("join");
    let mut waiting: Vec<HttpRequest> = Vec::new();
    let answers: Vec<&[u8]> = data.split(|b| *b == b'\n').take(64).collect();
    let collect = |s: &mut TalkSession, waiting: &mut Vec<HttpRequest>| {
        for t in drain_transmits(s) {
            if let Transmit::Http(r) = t {
                waiting.push(r);
            }
        }
    };
    collect(&mut s, &mut waiting);
    let mut answered = BTreeSet::new();
    for (i, line) in answers.iter().enumerate() {
        now = Timestamp(now.0 + 10);
        if i % 3 == 0 {
            match s.send_text(now, "room-ab", "hello", None) {
                Ok(id) => ledger.issue(id),
                Err(e) => assert!(matches!(e.kind(), chatwire::ErrorKind::Refused), "{e}"),
            }
            collect(&mut s, &mut waiting);
            ledger.events(&mut s, 0);
        }
        if waiting.is_empty() {
            s.handle_timeout(now);
            collect(&mut s, &mut waiting);
            continue;
        }
        let request = waiting.remove(0);
        assert!(
            answered.insert(request.id),
            "request {:?} sent twice",
            request.id
        );
        let (status, body) = match line.split_first() {
            Some((b, rest)) => (
                STATUSES[*b as usize % STATUSES.len()],
                String::from_utf8_lossy(rest).into_owned(),
            ),
            None => (200, String::new()),
        };
        let response = HttpResponse {
            status,
            headers: vec![
                Header::new("X-Chat-Last-Given", (100 + i).to_string()),
                Header::new("X-Chat-Last-Common-Read", (90 + i).to_string()),
            ],
            body,
        };
        s.handle_http_response(now, request.id, response);
        collect(&mut s, &mut waiting);
        ledger.events(&mut s, line.len());
    }
    // Whatever is still out fails in transit, and time runs past every deadline.
    for _ in 0..64 {
        for request in std::mem::take(&mut waiting) {
            s.handle_http_response(now, request.id, HttpResponse::default());
        }
        now = Timestamp(now.0 + 120_000);
        s.handle_timeout(now);
        collect(&mut s, &mut waiting);
        ledger.events(&mut s, 0);
        if ledger.issued.is_subset(&ledger.resolved) {
            break;
        }
    }
    ledger.all_resolved();
}

// ---- snapshots --------------------------------------------------------------------------------

/// Restores a session of the protocol picked by the first byte from the rest, parsed as that
/// protocol's snapshot (most inputs are refused by serde, which is fine: a refused snapshot is
/// the app's error to show). A restored session connects, takes one frame and is snapshotted:
/// the snapshot must survive its own JSON round trip unchanged.
pub fn snapshot_restore(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let now = Timestamp(0);
    match which % 3 {
        0 => {
            let Ok(snapshot) = serde_json::from_slice::<TrueConfSnapshot>(rest) else {
                return;
            };
            let mut config = TrueConfConfig::new("jwt");
            config.limits = limits();
            let mut s = TrueConfSession::restore(config.clone(), snapshot);
            s.handle_connected(now);
            drive_restored(&mut s);
            let first = s.snapshot();
            let json = serde_json::to_string(&first).expect("a snapshot serializes");
            let back: TrueConfSnapshot = serde_json::from_str(&json).expect("its JSON reads back");
            assert_eq!(first, back, "snapshot differs from its JSON round trip");
            let again = TrueConfSession::restore(config, back).snapshot();
            assert_eq!(serde_json::to_string(&again).unwrap(), json);
        }
        1 => {
            let Ok(snapshot) = serde_json::from_slice::<TadaSnapshot>(rest) else {
                return;
            };
            let mut config = TadaConfig::new("team-1", "token");
            config.limits = limits();
            let mut s = TadaSession::restore(config.clone(), snapshot);
            let _ = s.connect(now);
            s.handle_connected(now);
            drive_restored(&mut s);
            let first = s.snapshot();
            let json = serde_json::to_string(&first).expect("a snapshot serializes");
            let back: TadaSnapshot = serde_json::from_str(&json).expect("its JSON reads back");
            assert_eq!(first, back, "snapshot differs from its JSON round trip");
        }
        _ => {
            let Ok(snapshot) = serde_json::from_slice::<TalkSnapshot>(rest) else {
                return;
            };
            let mut config = TalkConfig::new("alice", "pw");
            config.limits = limits();
            let mut s = TalkSession::restore(config, snapshot);
            s.handle_timeout(now);
            drive_restored(&mut s);
            let first = s.snapshot();
            let json = serde_json::to_string(&first).expect("a snapshot serializes");
            let back: TalkSnapshot = serde_json::from_str(&json).expect("its JSON reads back");
            assert_eq!(first, back, "snapshot differs from its JSON round trip");
        }
    }
}

/// A restored session's first output, drained; its requests resolve at most once.
fn drive_restored(s: &mut impl Session) {
    drain_transmits(s);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let mut seen = BTreeMap::new();
    for e in events {
        if let Event::Response { request, .. } | Event::RequestFailed { request, .. } = e {
            *seen.entry(request).or_insert(0) += 1;
        }
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "a restored request resolved twice: {seen:?}"
    );
}

// ---- decode -----------------------------------------------------------------------------------

/// What `chatwire decode` runs on each line: the inspectors of both protocols, both directions.
/// They must answer (ok or a reason) for anything, and an ack they propose must be JSON.
pub fn decode(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(line) = std::str::from_utf8(rest) else {
        return;
    };
    let direction = if which & 1 == 0 {
        Direction::In
    } else {
        Direction::Out
    };
    let result = if which & 2 == 0 {
        chatwire::trueconf::inspect_trueconf(line, direction)
    } else {
        chatwire::tada::inspect_tada(line, direction)
    };
    if let Ok(inspection) = result {
        if let Some(ack) = inspection.ack {
            serde_json::from_str::<Value>(&ack).expect("a proposed ack is JSON");
        }
    }
}

/// A target's body: one input, checked; a broken invariant panics.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the runners that pick them at run time.
pub const TARGETS: [(&str, Target); 6] = [
    ("trueconf_frames", trueconf_frames),
    ("tada_frames", tada_frames),
    ("talk_http", talk_http),
    ("snapshot_restore", snapshot_restore),
    ("decode", decode),
    ("one_pass", one_pass),
];

/// Seed inputs for each target, built from the fixtures of core/tests (the published specs'
/// examples and captured Talk answers), in each target's input format.
pub mod seeds {
    use super::*;
    use std::path::{Path, PathBuf};

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests")
    }

    /// Every file under `dir`, sorted, as one-line JSON (spec examples have trailing commas
    /// and line breaks: those that do not parse are kept as they are, joined on one line).
    fn one_line_files(dir: &Path) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("fixture reads");
                match parse_lenient(&text) {
                    Ok(v) => v.to_string(),
                    Err(_) => text.replace('\n', " "),
                }
            })
            .collect()
    }

    /// TrueConf message notifications, the frames the one pass reads: the fixtures (the
    /// spec's examples) have none, so one of each kind of message, each field once.
    fn trueconf_messages() -> Vec<String> {
        let content = r#"{"text":"hi \"there\" é","parseMode":"markdown","fileName":"f.txt","name":"n","userId":"u@x","role":"admin","title":"T"}"#;
        let mut out = Vec::new();
        for (n, kind) in ["200", "201", "202", "1", "21", "110", "203"]
            .iter()
            .enumerate()
        {
            let payload = format!(
                r#"{{"messageId":"m{n}","chatId":"c1","chat":{{"chatId":"c2"}},"timestamp":1746028006345,"type":{kind},"author":{{"id":"alice@x","type":1,"name":"A"}},"content":{content},"isEdited":false,"replyMessageId":"r1","replyMessage":{{"messageId":"r2"}},"box":{{"id":{n},"position":"0"}}}}"#
            );
            for method in ["sendMessage", "editMessage"] {
                out.push(format!(
                    r#"{{"type":1,"id":{},"method":"{method}","payload":{payload}}}"#,
                    n + 40
                ));
            }
        }
        out.push(r#"{"type":1,"id":60,"method":"sendMessage","payload":{"\u006dessageId":"m","content":{"te\u0078t":"a\u0041\/"},"type":200}}"#.into());
        out
    }

    fn join(lines: &[String]) -> Vec<u8> {
        lines.join("\n").into_bytes()
    }

    /// The seeds of target `name`.
    pub fn of(name: &str) -> Vec<Vec<u8>> {
        let root = fixtures();
        match name {
            "trueconf_frames" => {
                let mut frames = one_line_files(&root.join("fixtures/trueconf/notifications"));
                frames.extend(one_line_files(&root.join("fixtures/trueconf/responses")));
                let mut out: Vec<Vec<u8>> = frames.iter().map(|f| f.clone().into_bytes()).collect();
                out.push(join(&frames));
                out
            }
            "tada_frames" => {
                let frames = one_line_files(&root.join("fixtures/tada/server"));
                let mut out: Vec<Vec<u8>> = frames.iter().map(|f| f.clone().into_bytes()).collect();
                out.push(join(&frames));
                out
            }
            "talk_http" => {
                let answers = one_line_files(&root.join("talk/fixtures"));
                // First byte 0 = status 200 (see STATUSES).
                let lines: Vec<String> = answers.iter().map(|a| format!("\u{0}{a}")).collect();
                let mut out: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
                out.push(join(&lines));
                out
            }
            "snapshot_restore" => {
                let mut out = Vec::new();
                let trueconf = TrueConfSession::new(TrueConfConfig::new("jwt")).snapshot();
                let tada = tada_after_fixtures().snapshot();
                let talk = TalkSession::new(TalkConfig::new("alice", "pw")).snapshot();
                for (which, json) in [
                    (0u8, serde_json::to_vec(&trueconf)),
                    (1, serde_json::to_vec(&tada)),
                    (2, serde_json::to_vec(&talk)),
                ] {
                    let mut seed = vec![which];
                    seed.extend(json.expect("snapshot serializes"));
                    out.push(seed);
                }
                out
            }
            "one_pass" => {
                // Each protocol's frames (Talk: its answers' bodies) one by one and all
                // together, behind the byte that picks the protocol.
                let mut out = Vec::new();
                for (which, dirs) in [
                    (
                        0u8,
                        &[
                            "fixtures/trueconf/notifications",
                            "fixtures/trueconf/responses",
                        ][..],
                    ),
                    (1, &["fixtures/tada/server"][..]),
                    (2, &["talk/fixtures"][..]),
                ] {
                    let mut texts: Vec<String> = dirs
                        .iter()
                        .flat_map(|d| one_line_files(&root.join(d)))
                        .collect();
                    if which == 0 {
                        texts.extend(trueconf_messages());
                    }
                    for t in &texts {
                        let mut seed = vec![which];
                        seed.extend(t.as_bytes());
                        out.push(seed);
                    }
                    let mut all = vec![which];
                    all.extend(join(&texts));
                    out.push(all);
                }
                out
            }
            "decode" => {
                let mut out = Vec::new();
                for (which, dir) in [
                    (0u8, "fixtures/trueconf/notifications"),
                    (1, "fixtures/trueconf/requests"),
                    (2, "fixtures/tada/server"),
                    (3, "fixtures/tada/client"),
                ] {
                    for line in one_line_files(&root.join(dir)) {
                        let mut seed = vec![which];
                        seed.extend(line.into_bytes());
                        out.push(seed);
                    }
                }
                out
            }
            other => panic!("no target {other}"),
        }
    }

    /// A tada session that took every server example: its snapshot has read states, versions
    /// and dedupe keys to mutate.
    fn tada_after_fixtures() -> TadaSession {
        let mut s = TadaSession::new(TadaConfig::new("team-1", "token"));
        let _ = s.connect(Timestamp(0));
        s.handle_connected(Timestamp(0));
        for frame in one_line_files(&fixtures().join("fixtures/tada/server")) {
            s.handle_frame(Timestamp(1), &frame);
        }
        while s.poll_transmit().is_some() {}
        while s.poll_event().is_some() {}
        s
    }
}
