//! One scripted host for every client test, generic over the session: a virtual clock and a
//! [`Host`] that owns a [`Client`] and applies each [`Output`] the way a real host must —
//! transmits in order, then events, then the timer replaced by the newest output's `timeout`.

use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{
    Client, ClientConfig, Event, HttpRequest, HttpResponse, Output, RequestId, Session, Timestamp,
    Transmit,
};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What the client asked the host to do, in the order it asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Open the connection at this path.
    Connect(String),
    /// Send this frame (parsed as JSON; a frame that is not JSON is kept as a JSON string).
    Frame(Value),
    /// Make this HTTP request.
    Http(HttpRequest),
    /// Close the connection.
    Close(String),
}

/// The host's one timer. Outputs may be applied out of order (several threads take them), so
/// it keeps the deadline of the highest `sequence` seen: an older output never overwrites it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer {
    sequence: u64,
    deadline: Option<Timestamp>,
}

impl Timer {
    /// Replaces the deadline with `out.timeout`, unless a newer output already did.
    pub fn apply(&mut self, out: &Output) {
        if out.sequence > self.sequence {
            self.sequence = out.sequence;
            self.deadline = out.timeout;
        }
    }

    /// The armed deadline, if any.
    pub fn deadline(&self) -> Option<Timestamp> {
        self.deadline
    }
}

/// A test's synchronous reaction to a frame the host is sending: it may call back into the
/// client (a server answering inline); the outputs it returns are performed right after it.
pub type FrameHook<S> = Box<dyn FnMut(&Client<S>, Timestamp, &Value) -> Vec<Output> + Send>;

/// A host that owns its client and records what it was asked to do.
pub struct Host<S> {
    pub client: Client<S>,
    /// The virtual clock, in ms.
    pub now: u64,
    pub log: Vec<Op>,
    pub events: Vec<Event>,
    pub timer: Timer,
    /// How many times the host called into the client (inputs, commands excluded, and polls).
    pub crossings: u64,
    pub on_frame: Option<FrameHook<S>>,
}

impl<S: Session> Host<S> {
    /// A host at t = 1 000 ms over a fresh client; nothing is sent yet.
    pub fn new(session: S, config: ClientConfig) -> Self {
        Host {
            client: Client::new(session, config),
            now: 1_000,
            log: Vec::new(),
            events: Vec::new(),
            timer: Timer::default(),
            crossings: 0,
            on_frame: None,
        }
    }

    /// The virtual now.
    pub fn at(&self) -> Timestamp {
        Timestamp(self.now)
    }

    /// Moves the virtual clock.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
    }

    /// Performs one output: transmits in order (running the frame hook), events, then the timer.
    pub fn perform(&mut self, out: &Output) {
        for t in &out.transmits {
            match t {
                Transmit::Connect(info) => self.log.push(Op::Connect(info.path.clone())),
                Transmit::Frame { text } => {
                    let v = serde_json::from_str(text).unwrap_or_else(|_| json!(text));
                    self.log.push(Op::Frame(v.clone()));
                    if let Some(mut hook) = self.on_frame.take() {
                        let nested = hook(&self.client, self.at(), &v);
                        self.on_frame = Some(hook);
                        for o in &nested {
                            self.perform(o);
                        }
                    }
                }
                Transmit::Http(request) => self.log.push(Op::Http(request.clone())),
                Transmit::Close { reason } => self.log.push(Op::Close(reason.clone())),
                other => panic!("a transmit this host does not know: {other:?}"),
            }
        }
        self.events.extend(out.events.iter().cloned());
        self.timer.apply(out);
    }

    /// One crossing: performs what `f` returned and hands it back for inspection.
    fn cross(&mut self, f: impl FnOnce(&Client<S>, Timestamp) -> Output) -> Output {
        self.crossings += 1;
        let out = f(&self.client, self.at());
        self.perform(&out);
        out
    }

    pub fn connect(&mut self) -> Output {
        self.cross(|c, now| c.connect(now))
    }
    pub fn close(&mut self) -> Output {
        self.cross(|c, now| c.close(now))
    }
    pub fn shutdown(&mut self) -> Output {
        self.cross(|c, now| c.shutdown(now))
    }
    pub fn connected(&mut self) -> Output {
        self.cross(|c, now| c.handle_connected(now))
    }
    pub fn frame(&mut self, frame: &Value) -> Output {
        let text = frame.to_string();
        self.cross(|c, now| c.handle_frame(now, &text))
    }
    pub fn frames(&mut self, frames: &[Value]) -> Output {
        let texts: Vec<String> = frames.iter().map(Value::to_string).collect();
        self.cross(|c, now| c.handle_frames(now, &texts))
    }
    pub fn http(&mut self, id: RequestId, response: HttpResponse) -> Output {
        self.cross(|c, now| c.handle_http_response(now, id, response))
    }
    pub fn closed(&mut self, reason: &str) -> Output {
        self.cross(|c, now| c.handle_closed(now, reason))
    }
    pub fn auth_refused(&mut self, reason: &str) -> Output {
        self.cross(|c, now| c.handle_auth_refused(now, reason))
    }
    pub fn connect_failed(&mut self, reason: &str, permanent: bool) -> Output {
        self.cross(|c, now| c.handle_connect_failed(now, reason, permanent))
    }
    pub fn timeout(&mut self) -> Output {
        self.cross(|c, now| c.handle_timeout(now))
    }
    /// Takes what commands queued (call this right after issuing one).
    pub fn poll(&mut self) -> Output {
        self.cross(|c, _| c.poll_output())
    }

    /// The armed deadline in ms; panics when no timer is armed.
    pub fn due(&self) -> u64 {
        self.timer.deadline().expect("a timer is armed").0
    }

    /// Moves the clock to the armed deadline and fires it.
    pub fn fire(&mut self) -> Output {
        self.now = self.now.max(self.due());
        self.timeout()
    }

    /// Takes the recorded operations.
    pub fn take(&mut self) -> Vec<Op> {
        std::mem::take(&mut self.log)
    }

    /// Takes the recorded operations and keeps only the frames.
    pub fn sent(&mut self) -> Vec<Value> {
        self.take()
            .into_iter()
            .filter_map(|o| match o {
                Op::Frame(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    /// Takes the collected events.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

pub type TcHost = Host<TrueConfSession>;
pub type TcClient = Client<TrueConfSession>;

impl Host<TrueConfSession> {
    /// A TrueConf client that was never connected.
    pub fn trueconf_idle(config: ClientConfig) -> Self {
        Host::new(TrueConfSession::new(TrueConfConfig::new("jwt")), config)
    }

    /// A TrueConf client, connected and authenticated; the operation log is cleared, the events
    /// (`Connected`) are kept.
    pub fn trueconf(config: ClientConfig) -> Self {
        let mut host = Self::trueconf_idle(config);
        host.connect();
        host.connected();
        host.authenticate();
        host.take();
        host
    }

    /// Answers the `auth` frame sent since the log was last taken; other frames are dropped.
    pub fn authenticate(&mut self) -> Output {
        let auth = self
            .sent()
            .into_iter()
            .find(|f| f["method"] == "auth")
            .expect("an auth frame was sent");
        self.answer(&auth, json!({"userId":"bot@x"}))
    }

    /// Answers the request `request` (a frame the client sent) with `payload`.
    pub fn answer(&mut self, request: &Value, payload: Value) -> Output {
        self.frame(&json!({"type":2,"id":request["id"],"payload":payload}))
    }
}

/// A server `sendMessage` request: an incoming message the client must ack.
pub fn incoming_message(server_id: u32, message_id: &str, text: &str) -> Value {
    json!({"type":1,"id":server_id,"method":"sendMessage","payload":{
        "messageId":message_id,"chatId":"chat-1","timestamp":1746028006345i64,"type":200,
        "author":{"id":"alice@x","type":1},"content":{"text":text,"parseMode":"text"},
        "isEdited":false,"box":{"id":1,"position":"0"}}})
}

/// Whether the log holds a `Connect`.
pub fn has_connect(ops: &[Op]) -> bool {
    ops.iter().any(|o| matches!(o, Op::Connect(_)))
}

/// Polls a future once with a no-op waker.
pub fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    f.poll(&mut Context::from_waker(&waker))
}
