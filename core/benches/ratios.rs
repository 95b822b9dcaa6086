//! Ratios of chatwire's hot paths to a bare typed parse, measured side by side in one run.
//!
//! Every pair (floor, chatwire) or (small state, large state) runs in each of 21 rounds, its two
//! variants back to back and their order alternating from round to round, so drift on a shared
//! machine hits both; the ratio is taken within each round and its median reported. Time is the
//! thread's CPU time (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)` through the `cpu-time` crate: the
//! workspace forbids `unsafe`, and `/proc/thread-self/schedstat` only moves at scheduler ticks). Each variant runs a batch sized to take about 5 ms, on inputs built before the
//! clock starts (fresh message ids every round, so no redelivery filter shortcuts the work).
//!
//! Run: `scripts/bench.sh`, or `cargo bench -p chatwire --bench ratios` (`-- --quick` for
//! 5 rounds, `-- --only NAME` for the pairs whose name contains NAME, `-- --batch N` for
//! batches of N inputs instead of calibrated ones, to compare builds under callgrind; with
//! `-- --side base` or `-- --side subject` only that side of each pair runs, to profile one
//! state against the other: the table's ratios are then meaningless).

mod shared;

use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{
    Client, ClientConfig, HttpResponse, Limits, Output, Session as _, Timestamp, Transmit,
};
use cpu_time::ThreadTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::talk_message;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Nanoseconds this thread spent on a CPU since the first call.
fn clock_ns() -> u64 {
    thread_local!(static ORIGIN: ThreadTime = ThreadTime::now());
    ORIGIN.with(|o| o.elapsed().as_nanos() as u64)
}

/// One measured variant: `prepare(n)` builds the inputs of a batch of `n` (untimed), `run` does
/// the batch (timed) and returns how many inputs it handled.
trait Variant {
    fn prepare(&mut self, n: usize);
    fn run(&mut self) -> usize;
}

/// A variant over pre-built inputs of type `I`, with a generator and a handler.
struct Batch<I, G, H> {
    inputs: Vec<I>,
    generate: G,
    handle: H,
}

impl<I, G: FnMut(usize) -> Vec<I>, H: FnMut(&I)> Variant for Batch<I, G, H> {
    fn prepare(&mut self, n: usize) {
        self.inputs = (self.generate)(n);
    }
    fn run(&mut self) -> usize {
        for i in &self.inputs {
            (self.handle)(i);
        }
        self.inputs.len()
    }
}

fn batch<I: 'static>(
    generate: impl FnMut(usize) -> Vec<I> + 'static,
    handle: impl FnMut(&I) + 'static,
) -> Box<dyn Variant> {
    Box::new(Batch {
        inputs: Vec::new(),
        generate,
        handle,
    })
}

/// Two variants whose cost per input is compared: `base` is the denominator.
struct Pair {
    name: &'static str,
    base_label: &'static str,
    label: &'static str,
    target: &'static str,
    base: Box<dyn Variant>,
    subject: Box<dyn Variant>,
    n_base: usize,
    n_subject: usize,
    base_ns: Vec<f64>,
    subject_ns: Vec<f64>,
    ratios: Vec<f64>,
}

const BATCH_TARGET: Duration = Duration::from_millis(5);
const MAX_BATCH: usize = 20_000;

/// CPU nanoseconds per input of one batch of `n`.
fn time_batch(v: &mut dyn Variant, n: usize) -> f64 {
    v.prepare(n);
    let t0 = clock_ns();
    let done = v.run();
    let t1 = clock_ns();
    (t1 - t0) as f64 / done.max(1) as f64
}

/// A batch size that takes about [`BATCH_TARGET`] (a few calibration runs also warm caches).
fn calibrate(v: &mut dyn Variant) -> usize {
    let mut n = 1;
    loop {
        let per = time_batch(v, n);
        let want = (BATCH_TARGET.as_nanos() as f64 / per.max(1.0)) as usize;
        if n >= want / 4 || n >= MAX_BATCH {
            return want.clamp(1, MAX_BATCH);
        }
        n = (n * 8).min(want).min(MAX_BATCH);
    }
}

/// Allocations and bytes per input of one batch of `n`.
fn allocations(v: &mut dyn Variant, n: usize) -> (f64, f64) {
    v.prepare(n);
    let region = Region::new(GLOBAL);
    let done = v.run().max(1) as f64;
    let stats = region.change();
    (
        stats.allocations as f64 / done,
        stats.bytes_allocated as f64 / done,
    )
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Half the interquartile range, as a fraction of the median.
fn spread(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (q(0.75) - q(0.25)) / 2.0 / median(xs)
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_bytes(b: f64) -> String {
    if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

// ---------------------------------------------------------------------------------------------
// The floors: plain typed structs of the same frames, as an application would write them.

#[allow(dead_code)]
#[derive(Deserialize)]
struct TcFrame {
    #[serde(rename = "type")]
    kind: u8,
    id: u32,
    method: String,
    payload: TcMessage,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TcMessage {
    message_id: String,
    chat_id: String,
    timestamp: i64,
    #[serde(rename = "type")]
    kind: u32,
    author: TcAuthor,
    content: TcContent,
    is_edited: bool,
    #[serde(rename = "box")]
    in_box: TcBox,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TcAuthor {
    id: String,
    #[serde(rename = "type")]
    kind: u32,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TcContent {
    text: String,
    parse_mode: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TcBox {
    id: i64,
    position: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaFrame {
    event: String,
    params: TadaParams,
    confirm_id: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaParams {
    badge: u32,
    chat_counters: Vec<TadaCounter>,
    delayed: bool,
    messages: Vec<TadaMessage>,
    team_unread: TadaTeamUnread,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaCounter {
    chat_type: String,
    gentime: i64,
    jid: String,
    last_read_message_id: Option<String>,
    num_unread: u32,
    num_unread_notices: u32,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaMessage {
    chat: String,
    chat_type: String,
    content: TadaContent,
    created: String,
    editable_until: Option<String>,
    from: String,
    gentime: i64,
    is_first: bool,
    is_last: bool,
    message_id: String,
    to: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaContent {
    actor: Option<String>,
    text: String,
    title: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaTeamUnread {
    direct: TadaUnread,
    group: TadaUnread,
    task: TadaUnread,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TadaUnread {
    chats: u32,
    messages: u32,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TalkOcs {
    ocs: TalkBody,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TalkBody {
    meta: TalkMeta,
    data: Vec<TalkMessage>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct TalkMeta {
    status: String,
    statuscode: u16,
    message: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TalkMessage {
    id: i64,
    token: String,
    actor_type: String,
    actor_id: String,
    actor_display_name: String,
    timestamp: i64,
    message: String,
    message_parameters: Vec<Value>,
    system_message: String,
    message_type: String,
    is_replyable: bool,
    reference_id: String,
}

#[derive(Serialize)]
struct TcRequest<'a> {
    #[serde(rename = "type")]
    kind: u8,
    id: u32,
    method: &'a str,
    payload: TcSendPayload<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TcSendPayload<'a> {
    chat_id: &'a str,
    content: TcSendContent<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TcSendContent<'a> {
    text: &'a str,
    parse_mode: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Inputs. Ids come from counters shared by a pair's two variants, so every frame is new.

/// Frames fed before measuring, to fill the default redelivery window (4096 keys).
const WARM: usize = 5_000;
const NOW: Timestamp = Timestamp(1_000_000);
const CHAT: &str = "51ffe1b1-1515-498e-8501-233116adf9da";
const TEXT: &str = "Deploy finished: 12 services updated, 0 failed; see the dashboard for details.";

/// A TrueConf `sendMessage` notification of about 341 bytes.
fn trueconf_message(n: u64) -> String {
    json!({"type":1,"id":(n % 1_000_000_000) as u32 + 1,"method":"sendMessage","payload":{
        "messageId":format!("c5e6f2a0-8e31-4b4f-9d0e-{n:012}"),"chatId":CHAT,
        "timestamp":1_746_028_006_345_i64 + n as i64,"type":200,
        "author":{"id":"alice@tc.example","type":1},
        "content":{"text":"Deploy finished.","parseMode":"text"},
        "isEdited":false,"box":{"id":n as i64,"position":"0"}}})
    .to_string()
}

/// The spec's `server.message.updated` example with a fresh message id, gentime and confirm id.
fn tada_message(template: &Value, n: u64) -> String {
    let mut v = template.clone();
    let gentime = 1_569_546_093_662_061_959_i64 + n as i64 * 1000;
    v["params"]["messages"][0]["message_id"] = json!(format!("e0fca4c2-0d17-4317-96cd-{n:012}"));
    v["params"]["messages"][0]["gentime"] = json!(gentime);
    v["params"]["chat_counters"][0]["gentime"] = json!(gentime);
    v["confirm_id"] = json!(format!("{n:012}"));
    v.to_string()
}

fn tada_template() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tada/server/server.message.updated.json"
    );
    let text = std::fs::read_to_string(path).expect("the tada fixture");
    serde_json::from_str(&text).expect("the tada fixture is JSON")
}

/// A long-poll answer with `count` messages after `last`.
fn talk_page(room: &str, last: i64, count: i64) -> HttpResponse {
    let messages: Vec<Value> = (1..=count).map(|i| talk_message(room, last + i)).collect();
    let body = json!({"ocs": {"meta": {"status": "ok", "statuscode": 200, "message": "OK"},
        "data": messages}});
    HttpResponse {
        status: 200,
        headers: vec![chatwire::Header::new(
            "X-Chat-Last-Given",
            (last + count).to_string(),
        )],
        body: body.to_string(),
    }
}

fn limits() -> Limits {
    Limits {
        max_pending_requests: 1_000_000,
        max_queued: 1_000_000,
        ..Limits::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Clients in a steady state, built through the public API.

fn frames(out: &Output) -> impl Iterator<Item = &str> {
    out.transmits.iter().filter_map(|t| match t {
        Transmit::Frame { text } => Some(text.as_str()),
        _ => None,
    })
}

/// A TrueConf client that connected and authenticated.
fn trueconf_client() -> Client<TrueConfSession> {
    let mut config = TrueConfConfig::new("jwt");
    config.limits = limits();
    let client = Client::new(TrueConfSession::new(config), ClientConfig::default());
    client.connect(NOW);
    let out = client.handle_connected(NOW);
    let auth: Value = serde_json::from_str(frames(&out).next().expect("auth frame")).unwrap();
    let reply = json!({"type":2,"id":auth["id"],"payload":{"userId":"bot@video.example.com"}});
    client.handle_frame(NOW, &reply.to_string());
    client
}

/// A TrueConf session (no client around it) that connected and authenticated.
fn trueconf_session() -> TrueConfSession {
    let mut config = TrueConfConfig::new("jwt");
    config.limits = limits();
    let mut s = TrueConfSession::new(config);
    s.handle_connected(NOW);
    let mut auth_id = None;
    while let Some(t) = s.poll_transmit() {
        if let Transmit::Frame { text } = t {
            auth_id = serde_json::from_str::<Value>(&text).unwrap()["id"].as_u64();
        }
    }
    while s.poll_event().is_some() {}
    let reply = json!({"type":2,"id":auth_id,"payload":{"userId":"bot@video.example.com"}});
    s.handle_frame(NOW, &reply.to_string());
    while s.poll_transmit().is_some() {}
    while s.poll_event().is_some() {}
    s
}

fn tada_client() -> Client<TadaSession> {
    let mut config = TadaConfig::new("team-1", "token");
    config.limits = limits();
    let client = Client::new(TadaSession::new(config), ClientConfig::default());
    client.connect(NOW);
    client.handle_connected(NOW);
    client
}

/// A Talk client in `rooms` rooms, each past its history and long-polling; returns the pending
/// poll of the first room.
fn talk_client(rooms: usize) -> (Client<TalkSession>, chatwire::RequestId) {
    let mut config = TalkConfig::new("alice", "app-password");
    config.limits = limits();
    let client = Client::new(TalkSession::new(config), ClientConfig::default());
    let mut first_poll = None;
    for r in 0..rooms {
        let room = format!("room-{r}");
        client.join_room(NOW, &room).expect("join");
        let out = client.poll_output();
        let history = http_ids(&out);
        let out = client.handle_http_response(NOW, history[0], talk_page(&room, 0, 1));
        if r == 0 {
            first_poll = http_ids(&out).first().copied();
        }
    }
    (client, first_poll.expect("a long poll after the history"))
}

fn http_ids(out: &Output) -> Vec<chatwire::RequestId> {
    out.transmits
        .iter()
        .filter_map(|t| match t {
            Transmit::Http(r) => Some(r.id),
            _ => None,
        })
        .collect()
}

/// Issues `n` TrueConf sends nobody answers; the futures are kept, as an app awaiting them would.
fn outstanding_trueconf(client: &Client<TrueConfSession>, n: usize) -> Vec<impl Sized> {
    let calls: Vec<_> = (0..n)
        .map(|i| client.send_message(NOW, CHAT, &format!("pending {i}"), None))
        .collect();
    client.poll_output();
    calls
}

fn outstanding_tada(client: &Client<TadaSession>, n: usize) -> Vec<impl Sized> {
    let calls: Vec<_> = (0..n)
        .map(|i| client.send_message(NOW, "g-ops", &format!("pending {i}")))
        .collect();
    client.poll_output();
    calls
}

// ---------------------------------------------------------------------------------------------
// The pairs.

fn counter() -> std::rc::Rc<std::cell::Cell<u64>> {
    std::rc::Rc::new(std::cell::Cell::new(1_000))
}

/// Fresh inputs from a shared counter.
fn fresh<I>(
    c: &std::rc::Rc<std::cell::Cell<u64>>,
    make: impl Fn(u64) -> I + 'static,
) -> impl FnMut(usize) -> Vec<I> + 'static {
    let c = c.clone();
    move |n| {
        (0..n)
            .map(|_| {
                let v = c.get();
                c.set(v + 1);
                make(v)
            })
            .collect()
    }
}

/// Feeds frames to a TrueConf client, after `warm` frames that fill its redelivery window (the
/// default window is 4096 keys) so the batch sees the steady state.
fn trueconf_subject(
    client: Client<TrueConfSession>,
    c: &std::rc::Rc<std::cell::Cell<u64>>,
    warm: usize,
) -> Box<dyn Variant> {
    for f in fresh(c, trueconf_message)(warm) {
        client.handle_frame(NOW, &f);
    }
    batch(fresh(c, trueconf_message), move |f: &String| {
        black_box(client.handle_frame(NOW, f));
    })
}

/// Like [`trueconf_subject`], for tada.
fn tada_subject(
    client: Client<TadaSession>,
    c: &std::rc::Rc<std::cell::Cell<u64>>,
    warm: usize,
) -> Box<dyn Variant> {
    let t = tada_template();
    for f in fresh(c, move |n| tada_message(&t, n))(warm) {
        client.handle_frame(NOW, &f);
    }
    let t = tada_template();
    batch(fresh(c, move |n| tada_message(&t, n)), move |f: &String| {
        black_box(client.handle_frame(NOW, f));
    })
}

/// Answers the first room's long poll with `per_poll` new messages each time.
fn talk_subject(rooms: usize, per_poll: i64) -> Box<dyn Variant> {
    let (client, poll) = talk_client(rooms);
    let mut last = 1;
    let pages = move |n: usize| {
        (0..n)
            .map(|_| {
                let page = talk_page("room-0", last, per_poll);
                last += per_poll;
                page
            })
            .collect::<Vec<_>>()
    };
    // The page is moved into the client, so the batch owns its inputs by value.
    struct TalkBatch<G> {
        inputs: Vec<HttpResponse>,
        generate: G,
        client: Client<TalkSession>,
        poll: chatwire::RequestId,
    }
    impl<G: FnMut(usize) -> Vec<HttpResponse>> Variant for TalkBatch<G> {
        fn prepare(&mut self, n: usize) {
            self.inputs = (self.generate)(n);
        }
        fn run(&mut self) -> usize {
            let n = self.inputs.len();
            for page in self.inputs.drain(..) {
                let out = self.client.handle_http_response(NOW, self.poll, page);
                if let Some(next) = out.transmits.iter().find_map(|t| match t {
                    Transmit::Http(r) if r.path.contains("lookIntoFuture=1") => Some(r.id),
                    _ => None,
                }) {
                    self.poll = next;
                }
                black_box(out);
            }
            n
        }
    }
    Box::new(TalkBatch {
        inputs: Vec::new(),
        generate: pages,
        client,
        poll,
    })
}

/// A Talk page handed over by value, as the host would.
fn talk_floor(per_poll: i64) -> Box<dyn Variant> {
    let mut last = 1;
    batch(
        move |n| {
            (0..n)
                .map(|_| {
                    let page = talk_page("room-0", last, per_poll);
                    last += per_poll;
                    page.body
                })
                .collect()
        },
        |body: &String| {
            black_box(serde_json::from_str::<TalkOcs>(body).unwrap());
        },
    )
}

/// The encoding floor: a typed `Serialize` of the same `sendMessage` request, ids counting up.
fn encode_floor() -> Box<dyn Variant> {
    let mut id = 0u32;
    batch(
        |n| vec![(); n],
        move |_: &()| {
            id += 1;
            black_box(
                serde_json::to_string(&TcRequest {
                    kind: 1,
                    id,
                    method: "sendMessage",
                    payload: TcSendPayload {
                        chat_id: black_box(CHAT),
                        content: TcSendContent {
                            text: black_box(TEXT),
                            parse_mode: "text",
                        },
                    },
                })
                .unwrap(),
            );
        },
    )
}

/// The pairs whose name contains `only` (all without it): a pair's states are built only when
/// it is run, so a profile of one row is not swamped by building the scale rows' states.
fn pairs(quick_scale: bool, only: Option<&str>) -> Vec<Pair> {
    let wanted = |name: &str| only.is_none_or(|o| name.contains(o));
    let pending = if quick_scale { 10_000 } else { 100_000 };
    let rooms = if quick_scale { 1_000 } else { 10_000 };
    let mut out = Vec::new();
    let mut pair = |name, base_label, label, target, base, subject| {
        out.push(Pair {
            name,
            base_label,
            label,
            target,
            base,
            subject,
            n_base: 0,
            n_subject: 0,
            base_ns: Vec::new(),
            subject_ns: Vec::new(),
            ratios: Vec::new(),
        })
    };

    let c = counter();
    if wanted("trueconf-incoming") {
        pair(
            "trueconf-incoming",
            "typed from_str",
            "Client::handle_frame (ack + events)",
            "≤ 1.5×",
            batch(fresh(&c, trueconf_message), |f: &String| {
                black_box(serde_json::from_str::<TcFrame>(f).unwrap());
            }),
            trueconf_subject(trueconf_client(), &c, WARM),
        );
    }

    let c = counter();
    let t = tada_template();
    if wanted("tada-incoming") {
        pair(
            "tada-incoming",
            "typed from_str",
            "Client::handle_frame (confirm + events)",
            "≤ 1.5×",
            batch(fresh(&c, move |n| tada_message(&t, n)), |f: &String| {
                black_box(serde_json::from_str::<TadaFrame>(f).unwrap());
            }),
            tada_subject(tada_client(), &c, WARM),
        );
    }

    if wanted("talk-poll") {
        pair(
            "talk-poll",
            "typed from_str",
            "Client::handle_http_response (100 msgs)",
            "≤ 1.5×",
            talk_floor(100),
            talk_subject(1, 100),
        );
    }

    // Encoding: the typed floor vs the session's request path (pending entry + frame), then the
    // facade's (future, waiter, output). A fresh session/client per batch keeps the table small.
    if wanted("trueconf-encode") {
        pair(
            "trueconf-encode",
            "typed to_string",
            "TrueConfSession::send_message + poll",
            "≤ 1.5×",
            encode_floor(),
            {
                struct SessionEncode(Option<TrueConfSession>, usize);
                impl Variant for SessionEncode {
                    fn prepare(&mut self, n: usize) {
                        self.0 = Some(trueconf_session());
                        self.1 = n;
                    }
                    fn run(&mut self) -> usize {
                        let s = self.0.as_mut().unwrap();
                        for _ in 0..self.1 {
                            black_box(
                                s.send_message(
                                    NOW,
                                    black_box(CHAT),
                                    black_box(TEXT),
                                    Some("text"),
                                    None,
                                )
                                .unwrap(),
                            );
                            black_box(s.poll_transmit());
                        }
                        self.1
                    }
                }
                Box::new(SessionEncode(None, 0))
            },
        );
    }
    if wanted("trueconf-encode-client") {
        pair(
            "trueconf-encode-client",
            "typed to_string",
            "Client::send_message + poll_output",
            "≤ 1.5×",
            encode_floor(),
            {
                struct ClientEncode(
                    Option<Client<TrueConfSession>>,
                    usize,
                    Vec<Box<dyn std::any::Any>>,
                );
                impl Variant for ClientEncode {
                    fn prepare(&mut self, n: usize) {
                        self.0 = Some(trueconf_client());
                        self.1 = n;
                        self.2.clear();
                    }
                    fn run(&mut self) -> usize {
                        let c = self.0.as_ref().unwrap();
                        for _ in 0..self.1 {
                            let call = c.send_message(NOW, black_box(CHAT), black_box(TEXT), None);
                            black_box(c.poll_output());
                            self.2.push(Box::new(call));
                        }
                        self.1
                    }
                }
                Box::new(ClientEncode(None, 0, Vec::new()))
            },
        );
    }

    // Scale: the same incoming path with one request outstanding and with many.
    let many = if quick_scale {
        "10^4 pending"
    } else {
        "10^5 pending"
    };
    macro_rules! scale_pair {
        ($name:literal, $client:ident, $outstanding:ident, $subject:ident) => {
            if wanted($name) {
                let c = counter();
                let small = $client();
                let small_calls = $outstanding(&small, 1);
                let large = $client();
                let large_calls = $outstanding(&large, pending);
                // Kept alive for the whole run: a dropped call must not shrink the state measured.
                std::mem::forget((small_calls, large_calls));
                pair(
                    $name,
                    "1 pending",
                    many,
                    "≤ 1.2×",
                    $subject(small, &c, 0),
                    $subject(large, &c, 0),
                );
            }
        };
    }
    scale_pair!(
        "scale-trueconf",
        trueconf_client,
        outstanding_trueconf,
        trueconf_subject
    );
    scale_pair!("scale-tada", tada_client, outstanding_tada, tada_subject);

    if wanted("scale-talk") {
        pair(
            "scale-talk",
            "1 room",
            if quick_scale {
                "10^3 rooms"
            } else {
                "10^4 rooms"
            },
            "≤ 1.2×",
            talk_subject(1, 1),
            talk_subject(rooms, 1),
        );
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    // A fixed batch size instead of the calibrated one: under callgrind, instruction counts
    // of two builds then compare input for input.
    let fixed_batch = args
        .iter()
        .position(|a| a == "--batch")
        .and_then(|i| args.get(i + 1)?.parse::<usize>().ok());
    let rounds = if quick { 5 } else { 21 };
    let start = Instant::now();
    eprintln!("building states…");
    let mut pairs = pairs(quick, only.as_deref());
    eprintln!(
        "states built in {:.1} s; calibrating…",
        start.elapsed().as_secs_f64()
    );
    let side = args
        .iter()
        .position(|a| a == "--side")
        .and_then(|i| args.get(i + 1).cloned());
    for p in &mut pairs {
        p.n_base = fixed_batch.unwrap_or_else(|| calibrate(p.base.as_mut()));
        p.n_subject = fixed_batch.unwrap_or_else(|| calibrate(p.subject.as_mut()));
        match side.as_deref() {
            Some("base") => p.n_subject = 0,
            Some("subject") => p.n_base = 0,
            _ => {}
        }
    }
    for round in 0..rounds {
        for p in &mut pairs {
            // Alternate which variant goes first, so neither always runs on a warmer cache.
            let (b, s) = if round % 2 == 0 {
                let b = time_batch(p.base.as_mut(), p.n_base);
                (b, time_batch(p.subject.as_mut(), p.n_subject))
            } else {
                let s = time_batch(p.subject.as_mut(), p.n_subject);
                (time_batch(p.base.as_mut(), p.n_base), s)
            };
            p.base_ns.push(b);
            p.subject_ns.push(s);
            p.ratios.push(s / b);
        }
    }
    println!(
        "chatwire ratios: {rounds} rounds, thread CPU time per input, median (± half the interquartile range)\n"
    );
    println!(
        "inputs: TrueConf sendMessage {} B, tada server.message.updated {} B, Talk poll of 100 messages {} B\n",
        trueconf_message(10_000).len(),
        tada_message(&tada_template(), 10_000).len(),
        talk_page("room-0", 10_000, 100).body.len()
    );
    println!("| path | base | base time | chatwire | chatwire time | ratio | target | allocs/input base → chatwire | bytes/input base → chatwire |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for p in &mut pairs {
        let (ba, bb) = allocations(p.base.as_mut(), p.n_base.min(1_000));
        let (sa, sb) = allocations(p.subject.as_mut(), p.n_subject.min(1_000));
        println!(
            "| {} | {} | {} ±{:.0} % | {} | {} ±{:.0} % | **{:.2}×** ±{:.0} % | {} | {:.1} → {:.1} | {} → {} |",
            p.name,
            p.base_label,
            fmt_ns(median(&p.base_ns)),
            spread(&p.base_ns) * 100.0,
            p.label,
            fmt_ns(median(&p.subject_ns)),
            spread(&p.subject_ns) * 100.0,
            median(&p.ratios),
            spread(&p.ratios) * 100.0,
            p.target,
            ba,
            sa,
            fmt_bytes(bb),
            fmt_bytes(sb),
        );
    }
    eprintln!("total {:.1} s", start.elapsed().as_secs_f64());
}
