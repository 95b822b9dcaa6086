//! A scripted host for client tests: a virtual clock and a transport that records what it is asked.

use chatwire::trueconf::{TrueConfConfig, TrueConfSession};
use chatwire::{Client, ClientConfig, ConnectInfo, HttpRequest, Timestamp, Transport};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What the client asked the host to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Connect(String),
    Frame(Value),
    Close(String),
    Timer(Option<u64>),
}

/// A test's synchronous answer to a frame the client sent.
pub type FrameHook = Box<dyn Fn(&Value) + Send>;

/// The recording transport; `on_frame` lets a test answer synchronously (re-entrancy).
#[derive(Clone, Default)]
pub struct Host {
    pub clock: Arc<AtomicU64>,
    pub ops: Arc<Mutex<Vec<Op>>>,
    pub on_frame: Arc<Mutex<Option<FrameHook>>>,
}

impl Transport for Host {
    fn now(&self) -> Timestamp {
        Timestamp(self.clock.load(Ordering::SeqCst))
    }
    fn connect(&self, info: ConnectInfo) {
        self.ops.lock().unwrap().push(Op::Connect(info.path));
    }
    fn send_frame(&self, text: String) {
        let v: Value = serde_json::from_str(&text).unwrap();
        self.ops.lock().unwrap().push(Op::Frame(v.clone()));
        if let Some(f) = self.on_frame.lock().unwrap().as_ref() {
            f(&v);
        }
    }
    fn http(&self, _request: HttpRequest) {
        panic!("TrueConf makes no HTTP requests");
    }
    fn close(&self, reason: String) {
        self.ops.lock().unwrap().push(Op::Close(reason));
    }
    fn set_timer(&self, deadline: Option<Timestamp>) {
        self.ops
            .lock()
            .unwrap()
            .push(Op::Timer(deadline.map(|t| t.0)));
    }
}

impl Host {
    /// Takes the recorded operations.
    pub fn take(&self) -> Vec<Op> {
        std::mem::take(&mut *self.ops.lock().unwrap())
    }
    /// Takes only the frames.
    pub fn frames(&self) -> Vec<Value> {
        self.take()
            .into_iter()
            .filter_map(|o| match o {
                Op::Frame(v) => Some(v),
                _ => None,
            })
            .collect()
    }
    /// Moves the virtual clock.
    pub fn advance(&self, ms: u64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }
}

pub type TcClient = Client<TrueConfSession, Host>;

/// A TrueConf client, connected and authenticated; the host's record is cleared.
pub fn ready_client(config: ClientConfig) -> (TcClient, Host) {
    let host = Host::default();
    host.clock.store(1_000, Ordering::SeqCst);
    let client = Client::new(
        TrueConfSession::new(TrueConfConfig::new("jwt")),
        host.clone(),
        config,
    );
    client.connect().unwrap();
    client.handle_connected();
    let auth = host
        .frames()
        .into_iter()
        .find(|f| f["method"] == "auth")
        .unwrap();
    client.handle_frame(
        &serde_json::json!({"type":2,"id":auth["id"],"payload":{"userId":"bot@x"}}).to_string(),
    );
    host.take();
    (client, host)
}

/// Polls a future once with a no-op waker.
pub fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    f.poll(&mut Context::from_waker(&waker))
}
