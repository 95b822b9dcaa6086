//! Memory at scale: peak RSS and live heap after 10⁴ and after 10⁶ incoming messages, for each
//! protocol, with the messages spread over 1 and over 10⁴ chats (issue 13: the peak after 10⁶
//! within 10 % of the peak after 10⁴).
//!
//! Peak RSS only ever grows within a process, so each (protocol, chats) cell runs in a child
//! process of its own (this binary, re-run with `--cell`): it builds a client in a steady state
//! through the public API, feeds it messages one at a time on a virtual clock that advances 1 ms
//! per message (so time-based housekeeping runs), drains every output as a host would, and
//! reads `VmHWM` and `VmRSS` from `/proc/self/status` at both checkpoints. Frames are generated
//! one at a time and dropped, so the inputs themselves take no memory. Live heap is counted by
//! a counting global allocator (bytes allocated minus bytes freed): RSS also holds what the
//! allocator keeps after frees, the heap figure says what the client itself holds.
//!
//! Run: `scripts/bench.sh --only memory`, or `cargo bench -p chatwire --bench memory`
//! (`-- --quick`: 10³ and 10⁵ messages, a smoke run).

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{
    Client, ClientConfig, Event, Header, HttpResponse, Limits, Output, RequestId, Session,
    Timestamp, Transmit,
};
use serde_json::{json, Value};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::collections::HashMap;
use std::process::Command;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PROTOCOLS: [&str; 3] = ["trueconf", "tada", "talk"];
const CHAT_COUNTS: [u64; 2] = [1, 10_000];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--cell") {
        let arg = |i: usize| args.get(at + i).map(String::as_str).unwrap_or_default();
        let number = |i: usize| {
            arg(i)
                .parse::<u64>()
                .expect("--cell PROTOCOL CHATS FIRST LAST")
        };
        run_cell(arg(1), number(2), number(3), number(4));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (first, last) = if quick {
        (1_000, 100_000)
    } else {
        (10_000, 1_000_000)
    };
    let exe = std::env::current_exe().expect("the bench's own path");
    println!(
        "| protocol | chats | peak RSS after {first} | after {last} | ratio | target | live heap after {first} | after {last} |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|");
    for protocol in PROTOCOLS {
        for chats in CHAT_COUNTS {
            eprintln!("memory: {protocol}, {chats} chats, {last} messages…");
            let out = Command::new(&exe)
                .args(["--cell", protocol, &chats.to_string()])
                .args([first.to_string(), last.to_string()])
                .output()
                .expect("the cell's child process");
            let text = String::from_utf8_lossy(&out.stdout);
            let cells: Vec<Checkpoint> = text.lines().filter_map(Checkpoint::parse).collect();
            match (out.status.success(), cells.as_slice()) {
                (true, [a, b]) => println!(
                    "| {protocol} | {chats} | {} | {} | **{:.2}×** | ≤ 1.10× | {} | {} |",
                    kib(a.hwm_kib),
                    kib(b.hwm_kib),
                    b.hwm_kib as f64 / a.hwm_kib as f64,
                    mib(a.heap),
                    mib(b.heap),
                ),
                _ => {
                    println!("| {protocol} | {chats} | failed: see stderr | | | | | |");
                    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                }
            }
        }
    }
}

fn kib(k: u64) -> String {
    format!("{:.1} MiB", k as f64 / 1024.0)
}

fn mib(bytes: i64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// What a child prints at a checkpoint: `checkpoint MESSAGES HWM_KIB RSS_KIB HEAP_BYTES`.
struct Checkpoint {
    hwm_kib: u64,
    heap: i64,
}

impl Checkpoint {
    fn parse(line: &str) -> Option<Checkpoint> {
        let mut words = line.strip_prefix("checkpoint ")?.split(' ');
        let _messages = words.next()?;
        let hwm_kib = words.next()?.parse().ok()?;
        let _rss = words.next()?;
        let heap = words.next()?.parse().ok()?;
        Some(Checkpoint { hwm_kib, heap })
    }
}

/// `VmHWM` and `VmRSS` of this process, in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn live_heap() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

fn limits() -> Limits {
    // The defaults, except that nothing here may be refused for load: the cells measure what the
    // client keeps, not what it turns away.
    Limits {
        max_pending_requests: 1_000_000,
        max_queued: 1_000_000,
        ..Limits::default()
    }
}

/// A client fed one message at a time, as its host would drive it.
trait Cell {
    /// Handles the `n`th message (counted from 0) at `now`; returns the messages delivered.
    fn feed(&mut self, now: Timestamp, n: u64) -> usize;
}

fn run_cell(protocol: &str, chats: u64, first: u64, last: u64) {
    let start = Timestamp(1_000_000);
    let mut cell: Box<dyn Cell> = match protocol {
        "trueconf" => Box::new(TrueConfCell::new(start, chats)),
        "tada" => Box::new(TadaCell::new(start, chats)),
        "talk" => Box::new(TalkCell::new(start, chats)),
        other => panic!("no such protocol: {other}"),
    };
    let mut delivered = 0;
    for n in 0..last {
        delivered += cell.feed(Timestamp(start.0 + n), n);
        if n + 1 == first || n + 1 == last {
            let (hwm, rss) = rss_kib();
            println!("checkpoint {} {hwm} {rss} {}", n + 1, live_heap());
        }
    }
    // A cell that stopped delivering measures a client that stopped working, not its memory.
    assert!(
        delivered as u64 >= last * 99 / 100,
        "{protocol}: only {delivered} of {last} messages delivered"
    );
}

/// Drives a client's output to completion the way a host does: frames are "sent" (dropped),
/// deadlines that passed are handled, events are counted and dropped.
struct Driver<S: Session> {
    client: Client<S>,
    deadline: Option<Timestamp>,
}

impl<S: Session> Driver<S> {
    fn new(client: Client<S>) -> Self {
        Driver {
            client,
            deadline: None,
        }
    }

    /// Takes `out` (and any timeout now due) and returns what it asked for.
    fn absorb(&mut self, now: Timestamp, out: Output) -> Absorbed {
        let mut seen = Absorbed::default();
        let mut next = Some(out);
        while let Some(out) = next.take() {
            self.deadline = out.timeout;
            for t in out.transmits {
                match t {
                    Transmit::Http(r) => seen.http.push((r.id, r.path)),
                    Transmit::Frame { text } => seen.frames.push(text),
                    Transmit::Connect(_) | Transmit::Close { .. } => seen.reconnects += 1,
                    _ => {}
                }
            }
            seen.delivered += out
                .events
                .iter()
                .filter(|e| matches!(e, Event::MessageReceived { .. }))
                .count();
            if self.deadline.is_some_and(|d| d <= now) {
                next = Some(self.client.handle_timeout(now));
            }
        }
        assert_eq!(
            seen.reconnects, 0,
            "the client reconnected: the cell no longer measures a steady state"
        );
        seen
    }
}

#[derive(Default)]
struct Absorbed {
    http: Vec<(RequestId, String)>,
    frames: Vec<String>,
    delivered: usize,
    reconnects: usize,
}

// ---------------------------------------------------------------------------------------------
// TrueConf: `sendMessage` notifications, chat `n % chats`.

struct TrueConfCell {
    driver: Driver<TrueConfSession>,
    chats: u64,
}

impl TrueConfCell {
    fn new(now: Timestamp, chats: u64) -> Self {
        let mut config = TrueConfConfig::new("jwt");
        config.limits = limits();
        let client = Client::new(TrueConfSession::new(config), ClientConfig::default());
        client.connect(now);
        let mut driver = Driver::new(client);
        let out = driver.client.handle_connected(now);
        let auth = driver.absorb(now, out).frames;
        let auth: Value = serde_json::from_str(&auth[0]).expect("the auth frame is JSON");
        let reply = json!({"type":2,"id":auth["id"],"payload":{"userId":"bot@tc.example"}});
        let out = driver.client.handle_frame(now, &reply.to_string());
        driver.absorb(now, out);
        TrueConfCell { driver, chats }
    }
}

impl Cell for TrueConfCell {
    fn feed(&mut self, now: Timestamp, n: u64) -> usize {
        let frame = json!({"type":1,"id":(n % 1_000_000_000) as u32 + 1,"method":"sendMessage",
            "payload":{"messageId":format!("c5e6f2a0-8e31-4b4f-9d0e-{n:012}"),
            "chatId":format!("chat-{}", n % self.chats),"timestamp":1_746_028_006_345_i64 + n as i64,
            "type":200,"author":{"id":"alice@tc.example","type":1},
            "content":{"text":"Deploy finished.","parseMode":"text"},
            "isEdited":false,"box":{"id":n as i64,"position":"0"}}})
        .to_string();
        let out = self.driver.client.handle_frame(now, &frame);
        self.driver.absorb(now, out).delivered
    }
}

// ---------------------------------------------------------------------------------------------
// tada: the spec's `server.message.updated`, chat `n % chats`, a fresh message id and gentime.

struct TadaCell {
    driver: Driver<TadaSession>,
    chats: u64,
    template: Value,
}

impl TadaCell {
    fn new(now: Timestamp, chats: u64) -> Self {
        let mut config = TadaConfig::new("team-1", "token");
        config.limits = limits();
        let client = Client::new(TadaSession::new(config), ClientConfig::default());
        client.connect(now);
        let mut driver = Driver::new(client);
        let out = driver.client.handle_connected(now);
        driver.absorb(now, out);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tada/server/server.message.updated.json"
        );
        let text = std::fs::read_to_string(path).expect("the tada fixture");
        let template = serde_json::from_str(&text).expect("the tada fixture is JSON");
        TadaCell {
            driver,
            chats,
            template,
        }
    }
}

impl Cell for TadaCell {
    fn feed(&mut self, now: Timestamp, n: u64) -> usize {
        let mut v = self.template.clone();
        let chat = format!("g-{:08}-14ae-4c59-aeb0-f0ff5cffab74", n % self.chats);
        let gentime = 1_569_546_093_662_061_959_i64 + n as i64 * 1000;
        let m = &mut v["params"]["messages"][0];
        m["message_id"] = json!(format!("e0fca4c2-0d17-4317-96cd-{n:012}"));
        m["gentime"] = json!(gentime);
        m["chat"] = json!(chat);
        m["to"] = json!(chat);
        m["chat_type"] = json!("group");
        let counter = &mut v["params"]["chat_counters"][0];
        counter["gentime"] = json!(gentime);
        counter["jid"] = json!(chat);
        counter["chat_type"] = json!("group");
        v["confirm_id"] = json!(format!("{n:012}"));
        let out = self.driver.client.handle_frame(now, &v.to_string());
        let seen = self.driver.absorb(now, out);
        // Keep-alive pings are confirmed, as the server does, or the client would judge the
        // connection dead.
        for frame in &seen.frames {
            let sent: Value = serde_json::from_str(frame).expect("the client's frames are JSON");
            if sent["event"] == "client.ping" {
                let confirm = json!({"event":"server.confirm",
                    "params":{"confirm_id":sent["confirm_id"]}});
                let out = self.driver.client.handle_frame(now, &confirm.to_string());
                self.driver.absorb(now, out);
            }
        }
        // A history fetch, should one come, finds nothing more.
        for (id, _) in seen.http {
            let empty = HttpResponse {
                status: 200,
                headers: Vec::new(),
                body: r#"{"ok":true,"result":{"messages":[]}}"#.into(),
            };
            let out = self.driver.client.handle_http_response(now, id, empty);
            self.driver.absorb(now, out);
        }
        seen.delivered
    }
}

// ---------------------------------------------------------------------------------------------
// Talk: a long-poll answer with one message for room `n % chats`, from someone else, never read.

struct TalkCell {
    driver: Driver<TalkSession>,
    chats: u64,
    /// Each room's long poll waiting for an answer, and the room's last message id.
    polls: HashMap<String, (RequestId, i64)>,
    /// Requests other than long polls, answered after the next message.
    other: Vec<(RequestId, String)>,
}

impl TalkCell {
    fn new(now: Timestamp, chats: u64) -> Self {
        let mut config = TalkConfig::new("alice", "app-password");
        config.limits = limits();
        let client = Client::new(TalkSession::new(config), ClientConfig::default());
        let mut cell = TalkCell {
            driver: Driver::new(client),
            chats,
            polls: HashMap::new(),
            other: Vec::new(),
        };
        for r in 0..chats {
            let room = format!("room-{r}");
            cell.driver.client.join_room(now, &room).expect("join");
            let out = cell.driver.client.poll_output();
            let seen = cell.driver.absorb(now, out);
            cell.track(seen.http);
            let at = cell
                .other
                .iter()
                .position(|(_, p)| p.contains("lookIntoFuture=0"));
            let (history, _) = cell.other.remove(at.expect("the room's history request"));
            let out = cell.driver.client.handle_http_response(
                now,
                history,
                ok_page(&format!("[{}]", talk_message(&room, 1)), Some(1)),
            );
            let seen = cell.driver.absorb(now, out);
            cell.track(seen.http);
        }
        cell
    }

    /// Sorts new requests into long polls (by room) and the rest.
    fn track(&mut self, http: Vec<(RequestId, String)>) {
        for (id, path) in http {
            if std::env::var_os("MEMORY_DEBUG").is_some() {
                eprintln!("http {id:?} {path}");
            }
            match poll_room(&path) {
                Some(room) => {
                    let last = self.polls.get(room).map_or(1, |p| p.1);
                    self.polls.insert(room.to_string(), (id, last));
                }
                None => self.other.push((id, path)),
            }
        }
    }
}

/// The room token of a long-poll path (`…/chat/TOKEN?…lookIntoFuture=1…`).
fn poll_room(path: &str) -> Option<&str> {
    if !path.contains("lookIntoFuture=1") {
        return None;
    }
    let before_query = path.split('?').next()?;
    before_query.rsplit('/').next()
}

impl Cell for TalkCell {
    fn feed(&mut self, now: Timestamp, n: u64) -> usize {
        let room = format!("room-{}", n % self.chats);
        let Some((poll, last)) = self.polls.remove(&room) else {
            panic!("{room} has no long poll waiting");
        };
        let page = ok_page(
            &format!("[{}]", talk_message(&room, last + 1)),
            Some(last + 1),
        );
        let out = self.driver.client.handle_http_response(now, poll, page);
        let seen = self.driver.absorb(now, out);
        let mut delivered = seen.delivered;
        self.polls.entry(room).or_insert((poll, last + 1)).1 = last + 1;
        self.track(seen.http);
        // What else the client asked for (the room list, its refreshes) is answered with the
        // rooms it knows, so none of them is dropped as gone.
        for (id, path) in std::mem::take(&mut self.other) {
            let body = if path.contains("/room") && !path.contains("/chat/") {
                let rooms: Vec<Value> = (0..self.chats)
                    .map(|r| {
                        json!({"token": format!("room-{r}"), "name": format!("room {r}"),
                        "displayName": format!("Room {r}"), "type": 2})
                    })
                    .collect();
                Value::Array(rooms).to_string()
            } else {
                "[]".to_string()
            };
            let out = self
                .driver
                .client
                .handle_http_response(now, id, ok_page(&body, None));
            let seen = self.driver.absorb(now, out);
            delivered += seen.delivered;
            self.track(seen.http);
        }
        delivered
    }
}

/// A Talk chat message from bob.
fn talk_message(room: &str, id: i64) -> Value {
    json!({
        "id": id, "token": room, "actorType": "users", "actorId": "bob",
        "actorDisplayName": "Bob", "timestamp": 1_700_000_000 + id,
        "message": "Morning all, the build is green.",
        "messageParameters": [], "systemMessage": "",
        "messageType": "comment", "isReplyable": true, "referenceId": ""
    })
}

/// An OCS 200 answer around `data` (JSON text), with `X-Chat-Last-Given` when given.
fn ok_page(data: &str, last_given: Option<i64>) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: last_given
            .map(|l| Header::new("X-Chat-Last-Given", l.to_string()))
            .into_iter()
            .collect(),
        body: format!(
            r#"{{"ocs":{{"meta":{{"status":"ok","statuscode":200,"message":"OK"}},"data":{data}}}}}"#
        ),
    }
}
