//! The host glue every protocol class shares: it performs the core client's [`Output`]
//! (WebSocket, fetch, one timer) and hands its events to JS.
//!
//! Re-entrancy: JS is only ever called with no `RefCell` borrow held, and outputs are
//! performed by one loop ([`Host::drive`]): an input or command that arrives while it runs
//! (a listener calling `sendMessage`, a frame handled inside a listener) queues its output
//! and the running loop performs it next, in order, so nothing nests.

use crate::guard::{self, Entry};
use crate::js;
use crate::stream;
use crate::task;
use chatwire::{
    Client, ConnectAuth, ConnectInfo, Event, Header, HttpRequest, HttpResponse, Output, RequestId,
    Session, Timestamp, Transmit,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How long one fetch may take before it is aborted: the longest Talk long-poll (30 s) plus
/// the core's request timeout (30 s), with a margin. The core has given up on it by then; the
/// abort frees the browser's connection (about six per host).
const FETCH_ABORT_MS: f64 = 75_000.0;

/// How the host reaches the server.
pub(crate) struct Transport {
    /// `http(s)://host[:port][/prefix]`, no trailing slash.
    pub base: String,
    /// The WebSocket constructor: the app's, else the global one; `None` when there is none.
    pub web_socket: Option<Function>,
    /// Whether `web_socket` takes headers (`new WebSocket(url, protocols, { headers })`, as the
    /// `ws` package does). A browser's cannot.
    pub headers: bool,
}

impl Transport {
    /// From the options every class takes: `server` (default: the page's origin), `webSocket`
    /// and `webSocketHeaders` (default: true when `webSocket` is given).
    pub(crate) fn from_options(options: &js::Options) -> Result<Transport, JsValue> {
        let server = match options.string("server")? {
            Some(s) => s,
            None => js::global("location")
                .and_then(|l| Reflect::get(&l, &"origin".into()).ok())
                .and_then(|o| o.as_string())
                .ok_or_else(|| js::invalid("options.server is required outside a web page"))?,
        };
        let base = server.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(js::invalid(format!(
                "options.server must be an http:// or https:// URL, not {server:?}"
            )));
        }
        let given = options.function("webSocket")?;
        let headers = options
            .boolean("webSocketHeaders")?
            .unwrap_or(given.is_some());
        let web_socket = given.or_else(|| js::global("WebSocket")?.dyn_into::<Function>().ok());
        Ok(Transport {
            base,
            web_socket,
            headers,
        })
    }

    fn ws_url(&self, path: &str) -> String {
        let rest = self
            .base
            .strip_prefix("https://")
            .map(|r| format!("wss://{r}"))
            .or_else(|| {
                self.base
                    .strip_prefix("http://")
                    .map(|r| format!("ws://{r}"))
            })
            .unwrap_or_else(|| self.base.clone());
        format!("{rest}{path}")
    }
}

/// The socket of one connection attempt and the closures it calls.
struct Socket {
    ws: web_sys::WebSocket,
    generation: u64,
    opened: bool,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Socket {
    /// Lets the socket go without hearing from it again.
    fn detach(self, reason: Option<&str>) {
        guard::release(&self.ws);
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = match reason {
            // 1000: a normal close; a reason longer than 123 bytes is refused, so cut it.
            Some(r) => self.ws.close_with_code_and_reason(1000, &truncate(r, 120)),
            None => self.ws.close_with_code(1000),
        };
        // The closures drop here; one that is running right now (a handler that led to this)
        // is freed by wasm-bindgen when it returns.
    }
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// What the host holds between inputs. Never borrowed across a call into JS.
struct State {
    transport: Transport,
    socket: Option<Socket>,
    generation: u64,
    timer: Option<JsValue>,
    timer_fn: Option<Closure<dyn FnMut()>>,
    last_sequence: Option<u64>,
    /// The deadline `timer` is set for: an output with the same one leaves it (most frames
    /// do not move the deadline, and a `clearTimeout` + `setTimeout` pair per frame costs).
    armed_at: Option<Timestamp>,
    fetches: HashMap<u32, web_sys::AbortController>,
    /// Replaced, never changed in place, by `on`/`off`: each event takes the list as it is
    /// with an `Rc` clone, where cloning the `Function`s cost two JS calls each per event.
    listeners: Rc<Vec<Function>>,
    streams: Vec<stream::Shared>,
    /// `connect()` promises waiting for `connected` (resolve, reject; see [`task::pending`]).
    connect_waiters: Vec<(Function, Function)>,
    queue: VecDeque<Output>,
    driving: bool,
    shut: bool,
}

/// What the glue asks of a core client, whatever its protocol. The glue holds the client as
/// this trait object so that one copy of it serves all three protocols: generic over the
/// session, it was compiled three times into the bundle.
trait Driven {
    fn connect(&self, now: Timestamp) -> Output;
    fn close(&self, now: Timestamp) -> Output;
    fn shutdown(&self, now: Timestamp) -> Output;
    fn handle_connected(&self, now: Timestamp) -> Output;
    fn handle_frame(&self, now: Timestamp, frame: &str) -> Output;
    fn handle_http_response(&self, now: Timestamp, id: RequestId, response: HttpResponse)
        -> Output;
    fn handle_closed(&self, now: Timestamp, reason: &str) -> Output;
    fn handle_connect_failed(&self, now: Timestamp, reason: &str, permanent: bool) -> Output;
    fn handle_timeout(&self, now: Timestamp) -> Output;
    fn poll_output(&self) -> Output;
}

impl<S: Session> Driven for Client<S> {
    fn connect(&self, now: Timestamp) -> Output {
        Client::connect(self, now)
    }
    fn close(&self, now: Timestamp) -> Output {
        Client::close(self, now)
    }
    fn shutdown(&self, now: Timestamp) -> Output {
        Client::shutdown(self, now)
    }
    fn handle_connected(&self, now: Timestamp) -> Output {
        Client::handle_connected(self, now)
    }
    fn handle_frame(&self, now: Timestamp, frame: &str) -> Output {
        Client::handle_frame(self, now, frame)
    }
    fn handle_http_response(
        &self,
        now: Timestamp,
        id: RequestId,
        response: HttpResponse,
    ) -> Output {
        Client::handle_http_response(self, now, id, response)
    }
    fn handle_closed(&self, now: Timestamp, reason: &str) -> Output {
        Client::handle_closed(self, now, reason)
    }
    fn handle_connect_failed(&self, now: Timestamp, reason: &str, permanent: bool) -> Output {
        Client::handle_connect_failed(self, now, reason, permanent)
    }
    fn handle_timeout(&self, now: Timestamp) -> Output {
        Client::handle_timeout(self, now)
    }
    fn poll_output(&self) -> Output {
        Client::poll_output(self)
    }
}

/// The glue around one core client (a handle of it: the protocol class keeps its own, typed,
/// for its commands).
pub(crate) struct Host {
    client: Box<dyn Driven>,
    state: RefCell<State>,
    me: Weak<Host>,
    /// Whether `connect()` resolves at once (Talk has no connection to wait for).
    connectionless: bool,
}

impl Host {
    pub(crate) fn new<S: Session + 'static>(
        client: Client<S>,
        transport: Transport,
        connectionless: bool,
    ) -> Rc<Self> {
        Rc::new_cyclic(|me: &Weak<Host>| {
            let weak = me.clone();
            let timer_fn = Closure::<dyn FnMut()>::new(move || {
                guard::entered(Entry::Timer);
                if let Some(host) = weak.upgrade() {
                    host.state.borrow_mut().timer = None;
                    let out = host.client.handle_timeout(js::now());
                    host.feed(out);
                }
            });
            Host {
                client: Box::new(client),
                state: RefCell::new(State {
                    transport,
                    socket: None,
                    generation: 0,
                    timer: None,
                    timer_fn: Some(timer_fn),
                    last_sequence: None,
                    armed_at: None,
                    fetches: HashMap::new(),
                    listeners: Rc::default(),
                    streams: Vec::new(),
                    connect_waiters: Vec::new(),
                    queue: VecDeque::new(),
                    driving: false,
                    shut: false,
                }),
                me: me.clone(),
                connectionless,
            }
        })
    }

    /// The server's base URL (`http(s)://…`, no trailing slash).
    pub(crate) fn base(&self) -> String {
        self.state.borrow().transport.base.clone()
    }

    /// Whether `free()` ended this client for good.
    pub(crate) fn is_shut(&self) -> bool {
        self.state.borrow().shut
    }

    /// Performs `out`, and whatever else is queued, unless a loop up the stack already does.
    pub(crate) fn feed(&self, out: Output) {
        self.state.borrow_mut().queue.push_back(out);
        self.drive();
    }

    /// Takes and performs what commands left in the client (call after every command).
    pub(crate) fn flush(&self) {
        guard::entered(Entry::Call);
        self.drive();
    }

    fn drive(&self) {
        {
            let mut st = self.state.borrow_mut();
            if st.driving || st.shut {
                if st.shut {
                    st.queue.clear();
                }
                return;
            }
            st.driving = true;
        }
        loop {
            let next = self.state.borrow_mut().queue.pop_front();
            let out = match next {
                Some(out) => out,
                None => {
                    let out = self.client.poll_output();
                    if out.is_empty() {
                        self.arm_timer(out.timeout, out.sequence);
                        break;
                    }
                    out
                }
            };
            self.perform(out);
        }
        self.state.borrow_mut().driving = false;
    }

    fn perform(&self, out: Output) {
        for transmit in out.transmits {
            if let Some(follow) = self.transmit(transmit) {
                self.state.borrow_mut().queue.push_back(follow);
            }
        }
        if !out.events.is_empty() {
            let values = js::events_to_js(&out.events);
            for (event, value) in out.events.iter().zip(values) {
                self.deliver(event, value);
            }
        }
        self.arm_timer(out.timeout, out.sequence);
    }

    /// Performs one transmit; an input it leads to at once (a failed connect, a close the
    /// session asked for) comes back as that input's output. The clock is read only then: a
    /// frame sent needs no time.
    fn transmit(&self, transmit: Transmit) -> Option<Output> {
        match transmit {
            Transmit::Connect(info) => self.open(js::now(), info),
            Transmit::Frame { text } => {
                let ws = {
                    let st = self.state.borrow();
                    st.socket
                        .as_ref()
                        .filter(|s| s.opened)
                        .map(|s| s.ws.clone())
                };
                match ws {
                    Some(ws) => match ws.send_with_str(&text) {
                        Ok(()) => None,
                        Err(e) => {
                            let reason = format!("send failed: {}", js::describe(&e));
                            self.drop_socket(Some(&reason));
                            Some(self.client.handle_closed(js::now(), &reason))
                        }
                    },
                    // The session only sends on an open socket; one that closed a moment ago
                    // reports that through `handle_closed`, which resolves this frame's request.
                    None => None,
                }
            }
            Transmit::Http(request) => {
                self.http(request);
                None
            }
            Transmit::Close { reason } => {
                let had = self.drop_socket(Some(&reason));
                had.then(|| self.client.handle_closed(js::now(), &reason))
            }
            // A transmit kind newer than this binding: nothing it could do.
            _ => None,
        }
    }

    /// Closes the current socket, if any, without reporting it. True when there was one.
    fn drop_socket(&self, reason: Option<&str>) -> bool {
        let socket = self.state.borrow_mut().socket.take();
        match socket {
            Some(s) => {
                s.detach(reason);
                true
            }
            None => false,
        }
    }

    fn open(&self, now: Timestamp, info: ConnectInfo) -> Option<Output> {
        self.drop_socket(None);
        let (url, ctor, headers_ok, generation) = {
            let mut st = self.state.borrow_mut();
            st.generation += 1;
            (
                st.transport.ws_url(&info.path),
                st.transport.web_socket.clone(),
                st.transport.headers,
                st.generation,
            )
        };
        let fail = |reason: &str| Some(self.client.handle_connect_failed(now, reason, true));
        let Some(ctor) = ctor else {
            return fail(
                "no WebSocket in this runtime: pass a WebSocket constructor as options.webSocket \
                 (in Node 20, the `ws` package's), or run where globalThis.WebSocket exists",
            );
        };
        if info.auth == ConnectAuth::Header && !headers_ok {
            let names: Vec<&str> = info.headers.iter().map(|h| h.name.as_str()).collect();
            return fail(&format!(
                "this connection authenticates with a header ({}) and this WebSocket cannot send \
                 headers (a browser's cannot): in a page on the server's origin, omit the token \
                 and let the session cookie authenticate; in Node, pass the `ws` package's \
                 WebSocket as options.webSocket",
                names.join(", ")
            ));
        }
        let protocols: Array = info.subprotocols.iter().map(JsValue::from).collect();
        let args = Array::of2(&url.clone().into(), &protocols);
        if headers_ok && !info.headers.is_empty() {
            let headers = Object::new();
            for Header { name, value } in &info.headers {
                let _ = Reflect::set(&headers, &name.into(), &value.into());
            }
            let options = Object::new();
            let _ = Reflect::set(&options, &"headers".into(), &headers);
            args.push(&options);
        }
        let ws = match Reflect::construct(&ctor, &args) {
            Ok(ws) => ws.unchecked_into::<web_sys::WebSocket>(),
            // A constructor that throws (a bad URL, a refused scheme) throws again next time.
            Err(e) => return fail(&format!("cannot open {url}: {}", js::describe(&e))),
        };
        let on_open = {
            let me = self.me.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
                let Some(host) = me.upgrade() else { return };
                if !host.mark_opened(generation) {
                    return;
                }
                let out = host.client.handle_connected(js::now());
                host.feed(out);
            })
        };
        let on_message = {
            let me = self.me.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                guard::entered(Entry::Frame);
                let Some(host) = me.upgrade() else { return };
                if !host.is_current(generation) {
                    return;
                }
                // Every protocol here speaks text frames; a binary one carries nothing for
                // the core and is skipped.
                let Some(text) = message_data(&event).ok().and_then(|d| d.as_string()) else {
                    return;
                };
                let out = host.client.handle_frame(js::now(), &text);
                host.feed(out);
            })
        };
        let on_close = {
            let me = self.me.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let Some(host) = me.upgrade() else { return };
                // Read structurally: Node 20 has no `CloseEvent` class to check against.
                let code = Reflect::get(&event, &"code".into())
                    .ok()
                    .and_then(|c| c.as_f64())
                    .unwrap_or(0.0);
                let why = Reflect::get(&event, &"reason".into())
                    .ok()
                    .and_then(|r| r.as_string())
                    .unwrap_or_default();
                let reason = if why.is_empty() {
                    format!("WebSocket closed (code {code})")
                } else {
                    format!("WebSocket closed (code {code}): {why}")
                };
                let Some(opened) = host.take_socket(generation) else {
                    return;
                };
                let now = js::now();
                let out = if opened {
                    host.client.handle_closed(now, &reason)
                } else {
                    host.client.handle_connect_failed(now, &reason, false)
                };
                host.feed(out);
            })
        };
        // Each handler enters the wasm through the trap guard, which closes the socket if the
        // instance traps.
        let handler = |c: &Closure<dyn FnMut(JsValue)>| guard::wrap(c.as_ref().unchecked_ref());
        ws.set_onopen(Some(&handler(&on_open)));
        ws.set_onmessage(Some(&handler(&on_message)));
        ws.set_onclose(Some(&handler(&on_close)));
        // Errors are followed by a close event, which says what matters; an `error` listener
        // must exist anyway, or the `ws` package throws it as an uncaught exception.
        let on_error = Closure::<dyn FnMut(JsValue)>::new(|_event: JsValue| {});
        ws.set_onerror(Some(&handler(&on_error)));
        guard::hold(&ws);
        self.state.borrow_mut().socket = Some(Socket {
            ws,
            generation,
            opened: false,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        });
        None
    }

    fn is_current(&self, generation: u64) -> bool {
        let st = self.state.borrow();
        st.socket
            .as_ref()
            .is_some_and(|s| s.generation == generation)
    }

    fn mark_opened(&self, generation: u64) -> bool {
        let mut st = self.state.borrow_mut();
        match st.socket.as_mut() {
            Some(s) if s.generation == generation => {
                s.opened = true;
                true
            }
            _ => false,
        }
    }

    /// Forgets the socket of `generation` after it closed by itself; `Some(opened)` when it was
    /// the current one.
    fn take_socket(&self, generation: u64) -> Option<bool> {
        let socket = {
            let mut st = self.state.borrow_mut();
            match &st.socket {
                Some(s) if s.generation == generation => st.socket.take(),
                _ => None,
            }
        };
        socket.map(|s| {
            guard::release(&s.ws);
            let opened = s.opened;
            s.ws.set_onopen(None);
            s.ws.set_onmessage(None);
            s.ws.set_onclose(None);
            opened
        })
    }

    fn http(&self, request: HttpRequest) {
        let HttpRequest {
            id,
            method,
            path,
            headers,
            body,
        } = request;
        // Made now, not in the task: a `close()` before the task first runs must find it.
        let fetch = Fetch::new();
        let url = {
            let mut st = self.state.borrow_mut();
            if let Some(c) = &fetch.controller {
                st.fetches.insert(id.0, c.clone());
            }
            format!("{}{}", st.transport.base, path)
        };
        let me = self.me.clone();
        task::spawn(async move {
            let response = fetch.send(&url, &method, &headers, body.as_deref()).await;
            let Some(host) = me.upgrade() else { return };
            host.state.borrow_mut().fetches.remove(&id.0);
            if host.is_shut() {
                return;
            }
            let out = host.client.handle_http_response(js::now(), id, response);
            host.feed(out);
        });
    }

    /// Aborts every fetch in flight (after `close`: an abandoned long-poll must not keep one of
    /// the browser's connections to the host).
    fn abort_fetches(&self) {
        let fetches: Vec<_> = self.state.borrow_mut().fetches.drain().collect();
        for (_, controller) in fetches {
            guard::release(&controller);
            controller.abort();
        }
    }

    fn arm_timer(&self, timeout: Option<Timestamp>, sequence: u64) {
        let (old, callback) = {
            let mut st = self.state.borrow_mut();
            if st.shut || st.last_sequence.is_some_and(|last| sequence < last) {
                return;
            }
            st.last_sequence = Some(sequence);
            if timeout.is_some() && st.timer.is_some() && st.armed_at == timeout {
                return;
            }
            st.armed_at = timeout;
            let callback = st
                .timer_fn
                .as_ref()
                .map(|f| f.as_ref().unchecked_ref::<Function>().clone());
            (st.timer.take(), callback)
        };
        if let Some(id) = old {
            guard::clear_timeout(&id);
        }
        if let (Some(at), Some(callback)) = (timeout, callback) {
            let id = guard::set_timeout(&callback, js::timer_delay(at, js::now()));
            self.state.borrow_mut().timer = Some(id);
        }
    }

    /// Hands `event`, converted to `value`, to the listeners and iterators.
    fn deliver(&self, event: &Event, value: JsValue) {
        match event {
            Event::Connected { .. } => {
                let waiters = std::mem::take(&mut self.state.borrow_mut().connect_waiters);
                for (resolve, reject) in waiters {
                    task::settle(&resolve, &reject, Ok(JsValue::UNDEFINED));
                }
            }
            Event::ConnectFailed {
                permanent: true,
                reason,
                ..
            } => self.reject_connect(&js::error(&chatwire::Error::ConnectFailed {
                reason: reason.clone(),
            })),
            Event::AuthFailed { error } => self.reject_connect(&js::error(error)),
            _ => {}
        }
        let (listeners, streams) = {
            let st = self.state.borrow();
            (st.listeners.clone(), st.streams.clone())
        };
        for listener in listeners.iter() {
            let called = listener.call1(&JsValue::UNDEFINED, &value);
            guard::stop_if_trapped();
            if let Err(thrown) = called {
                // A listener's exception is the app's bug, not a reason to stop delivering.
                web_sys::console::error_2(&"chatwire: an event listener threw".into(), &thrown);
            }
        }
        let ended: Vec<_> = streams
            .iter()
            .filter(|s| !stream::push(s, &value))
            .cloned()
            .collect();
        if !ended.is_empty() {
            self.state
                .borrow_mut()
                .streams
                .retain(|s| !ended.iter().any(|e| Rc::ptr_eq(s, e)));
        }
    }

    fn reject_connect(&self, error: &JsValue) {
        let waiters = std::mem::take(&mut self.state.borrow_mut().connect_waiters);
        for (resolve, reject) in waiters {
            task::settle(&resolve, &reject, Err(error.clone()));
        }
    }

    /// Starts connecting; the Promise resolves on `connected` (at once for Talk) and rejects
    /// on a permanent failure or refused credentials.
    pub(crate) fn connect(&self) -> Promise {
        if self.is_shut() {
            return js::rejected(js::error(&chatwire::Error::Closed));
        }
        let (promise, resolve, reject) = task::pending();
        if self.connectionless {
            task::settle(&resolve, &reject, Ok(JsValue::UNDEFINED));
        } else {
            self.state
                .borrow_mut()
                .connect_waiters
                .push((resolve, reject));
        }
        let out = self.client.connect(js::now());
        self.feed(out);
        promise
    }

    /// Lets the connection go: calls in flight settle (`disconnected` with their delivery
    /// verdict), later ones are refused with `closed` until `connect()`.
    pub(crate) fn close(&self) {
        if self.is_shut() {
            return;
        }
        let out = self.client.close(js::now());
        self.feed(out);
        self.abort_fetches();
        self.reject_connect(&js::error(&chatwire::Error::Closed));
    }

    /// [`Host::shutdown`] from the class's `Drop` (see [`guard::after_drop`]).
    pub(crate) fn shutdown_from_drop(self: &Rc<Self>) {
        let host = self.clone();
        guard::after_drop(move || host.shutdown());
    }

    /// Ends the client for good: every pending call settles with `closed`, the socket, the
    /// fetches and the timer go, iterators end and listeners are dropped, so nothing in JS
    /// refers to this client any more.
    pub(crate) fn shutdown(&self) {
        if self.is_shut() {
            return;
        }
        let out = self.client.shutdown(js::now());
        // Perform the close it asks for, but with nothing queued behind it.
        self.perform(out);
        let (streams, timer) = {
            let mut st = self.state.borrow_mut();
            st.shut = true;
            st.queue.clear();
            st.listeners = Rc::default();
            (std::mem::take(&mut st.streams), st.timer.take())
        };
        if let Some(id) = timer {
            guard::clear_timeout(&id);
        }
        self.drop_socket(Some("client freed"));
        self.abort_fetches();
        self.reject_connect(&js::error(&chatwire::Error::Closed));
        for s in &streams {
            stream::end(s);
        }
        // The timer closure goes last: it may be the one running (a listener freed the client).
        let timer_fn = self.state.borrow_mut().timer_fn.take();
        drop(timer_fn);
    }

    /// Adds an event listener (called with each event object, in order).
    pub(crate) fn on(&self, listener: Function) {
        let mut st = self.state.borrow_mut();
        if !st.shut && !st.listeners.iter().any(|l| l == &listener) {
            let mut listeners = Vec::clone(&st.listeners);
            listeners.push(listener);
            st.listeners = Rc::new(listeners);
        }
    }

    /// Removes a listener added with `on`.
    pub(crate) fn off(&self, listener: &Function) {
        let mut st = self.state.borrow_mut();
        if st.listeners.iter().any(|l| l == listener) {
            let listeners = st
                .listeners
                .iter()
                .filter(|l| *l != listener)
                .cloned()
                .collect();
            st.listeners = Rc::new(listeners);
        }
    }

    /// A new async iterator over the events from now on.
    pub(crate) fn events(&self) -> stream::EventStream {
        let state = stream::Shared::default();
        let shut = {
            let mut st = self.state.borrow_mut();
            if !st.shut {
                st.streams.push(state.clone());
            }
            st.shut
        };
        if shut {
            stream::end(&state);
        }
        stream::EventStream { state }
    }
}

#[wasm_bindgen]
extern "C" {
    /// A `message` event, read structurally (`ws`'s and the page's have `data`).
    type MessageEventLike;
    /// `event.data`; throws when `event` is not an object.
    #[wasm_bindgen(catch, method, getter, structural, js_name = data)]
    fn data(this: &MessageEventLike) -> Result<JsValue, JsValue>;
}

/// `event.data`, through a property read in the glue rather than `Reflect.get` with a key
/// string made per frame.
fn message_data(event: &JsValue) -> Result<JsValue, JsValue> {
    event.unchecked_ref::<MessageEventLike>().data()
}

/// One HTTP exchange outside any client's table (TrueConf's token request), with what every
/// fetch of the binding has (see [`Fetch`]).
pub(crate) async fn exchange(
    url: &str,
    method: &str,
    headers: &[Header],
    body: Option<&str>,
) -> HttpResponse {
    Fetch::new().send(url, method, headers, body).await
}

/// One fetch's `AbortController` (`None` in a runtime without one): aborted after
/// [`FETCH_ABORT_MS`], so a server that never answers cannot keep it for ever, and held by
/// the trap guard from its making until the fetch is done, so a trap aborts it.
struct Fetch {
    controller: Option<web_sys::AbortController>,
}

impl Fetch {
    fn new() -> Fetch {
        let controller = web_sys::AbortController::new().ok();
        if let Some(c) = &controller {
            guard::hold(c);
        }
        Fetch { controller }
    }

    /// The fetch, as the core wants its result: status 0 with the reason in the body when no
    /// response came (network error, abort, a header the runtime refuses).
    async fn send(
        self,
        url: &str,
        method: &str,
        headers: &[Header],
        body: Option<&str>,
    ) -> HttpResponse {
        let result = try_exchange(url, method, headers, body, self.controller.as_ref()).await;
        if let Some(c) = &self.controller {
            guard::release(c);
        }
        match result {
            Ok(response) => response,
            Err(e) => HttpResponse {
                status: 0,
                headers: Vec::new(),
                body: js::describe(&e),
            },
        }
    }
}

async fn try_exchange(
    url: &str,
    method: &str,
    headers: &[Header],
    body: Option<&str>,
    controller: Option<&web_sys::AbortController>,
) -> Result<HttpResponse, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let h = web_sys::Headers::new()?;
    for header in headers {
        h.set(&header.name, &header.value)?;
    }
    init.set_headers(&h);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    let mut abort_timer = None;
    if let Some(c) = controller {
        init.set_signal(Some(&c.signal()));
        let abort: Function = Reflect::get(c, &"abort".into())?.dyn_into()?;
        abort_timer = Some(guard::set_timeout(&abort.bind0(c), FETCH_ABORT_MS));
    }
    let result = async {
        let response: web_sys::Response = task::settled(&js::fetch(url, &init))
            .await?
            .unchecked_into();
        let mut list = Vec::new();
        if let Ok(Some(entries)) = js_sys::try_iter(&response.headers()) {
            for entry in entries.flatten() {
                let pair: Array = entry.unchecked_into();
                if let (Some(name), Some(value)) =
                    (pair.get(0).as_string(), pair.get(1).as_string())
                {
                    list.push(Header::new(name, value));
                }
            }
        }
        let text = task::settled(&response.text()?).await?;
        Ok(HttpResponse {
            status: response.status(),
            headers: list,
            body: text.as_string().unwrap_or_default(),
        })
    }
    .await;
    if let Some(id) = abort_timer {
        guard::clear_timeout(&id);
    }
    result
}

/// Awaits a core call and turns it into what the Promise settles with.
pub(crate) fn promise<T, F>(future: F, map: fn(T) -> JsValue) -> Promise
where
    F: std::future::Future<Output = Result<T, chatwire::Error>> + 'static,
    T: 'static,
{
    task::promise(async move {
        match future.await {
            Ok(v) => Ok(map(v)),
            Err(e) => Err(js::error(&e)),
        }
    })
}
