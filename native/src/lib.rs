//! `chatwire-native`: the native (tokio) host of a pull-mode [`chatwire::Client`].
//!
//! [`NativeClient::spawn`] starts one task that owns the client's sockets, HTTP exchanges and
//! timer. Every input it feeds the client returns one [`chatwire::Output`], which the task
//! performs in order: transmits go to the socket or out as HTTP requests, events to
//! [`NativeClient::next_event`], the deadline replaces the timer. Commands issued from any task
//! (`client().send_text(now, ..)`) wake the task through `Client::output_ready`, so output is
//! always performed by the one task, in order.
//!
//! ```no_run
//! # async fn demo(jwt: String) {
//! use chatwire::{trueconf, Client, ClientConfig, Event};
//! let session = trueconf::TrueConfSession::new(trueconf::TrueConfConfig::new(jwt));
//! let host = chatwire_native::NativeClient::spawn(Client::new(session, ClientConfig::default()), "https://tc.example.com");
//! host.connect();
//! let chat = host.client().create_group_chat(host.now(), "Ops").await;
//! while let Some(event) = host.next_event().await { /* … */ }
//! # }
//! ```

use chatwire::{
    Client, ConnectInfo, Event, Header, HttpRequest, HttpResponse, Output, RequestId, Session,
    Timestamp, Transmit,
};
use futures::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;

/// How long opening a WebSocket may take before it counts as a failed attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one frame may take to leave; a peer that stops reading must not freeze the loop.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest HTTP body read; the session refuses far smaller ones (its `max_frame_bytes`), this
/// only keeps a hostile or broken server from filling memory before that check.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Upper bound for one HTTP exchange: above Talk's 30 s long-poll plus slack.
const HTTP_TIMEOUT: Duration = Duration::from_secs(75);

/// What the app asks the host task to do with the connection.
enum HostCmd {
    Connect,
    Close,
    Shutdown,
}

/// A client driven by a tokio task of its own: the handle apps and the CLI hold.
///
/// Cheap to clone; the task ends after [`NativeClient::shutdown`] or when the last handle is
/// dropped.
pub struct NativeClient<S> {
    client: Client<S>,
    start: Instant,
    commands: mpsc::UnboundedSender<HostCmd>,
    events: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Event>>>,
}

impl<S> Clone for NativeClient<S> {
    fn clone(&self) -> Self {
        NativeClient {
            client: self.client.clone(),
            start: self.start,
            commands: self.commands.clone(),
            events: self.events.clone(),
        }
    }
}

impl<S: Session + Send + 'static> NativeClient<S> {
    /// Starts the host task for `client` against the server at `base_url` (`http(s)://host`;
    /// WebSocket paths get `ws(s)://`). Must be called inside a tokio runtime.
    pub fn spawn(client: Client<S>, base_url: impl Into<String>) -> Self {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        let start = Instant::now();
        let host = Host::new(client.clone(), base_url.into(), start, event_tx);
        tokio::spawn(host.run(command_rx));
        NativeClient {
            client,
            start,
            commands,
            events: Arc::new(tokio::sync::Mutex::new(events)),
        }
    }

    /// The client, for commands (`send_text(host.now(), ..)`, typed methods, `with_session`).
    pub fn client(&self) -> &Client<S> {
        &self.client
    }

    /// The host's monotonic clock, as the client's commands want it.
    pub fn now(&self) -> Timestamp {
        clock(self.start)
    }

    /// Opens the connection and keeps it up (see `Client::connect`).
    pub fn connect(&self) {
        let _ = self.commands.send(HostCmd::Connect);
    }

    /// Lets the connection go and stops reconnecting (see `Client::close`).
    pub fn close(&self) {
        let _ = self.commands.send(HostCmd::Close);
    }

    /// Ends the client and its task: every pending call fails with `Error::Closed`, the event
    /// stream ends after what was already produced.
    pub fn shutdown(&self) {
        let _ = self.commands.send(HostCmd::Shutdown);
    }

    /// The next event, or `None` once the host task ended.
    pub async fn next_event(&self) -> Option<Event> {
        self.events.lock().await.recv().await
    }
}

fn clock(start: Instant) -> Timestamp {
    Timestamp(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX))
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type WsSink = futures::stream::SplitSink<WsStream, Message>;

/// What the socket and HTTP tasks report back to the loop; `u64` is the connection generation,
/// so reports from a connection already replaced are ignored.
enum Input {
    Opened(u64, Box<WsStream>),
    Failed(u64, String, Refusal),
    Frame(u64, String),
    Closed(u64, String),
    Http(RequestId, HttpResponse),
}

/// The host task's state: the client, the socket, the timer.
struct Host<S> {
    client: Client<S>,
    base: String,
    start: Instant,
    http: reqwest::Client,
    events: mpsc::UnboundedSender<Event>,
    inputs_tx: mpsc::UnboundedSender<Input>,
    inputs: mpsc::UnboundedReceiver<Input>,
    writer: Option<WsSink>,
    reader: Option<tokio::task::JoinHandle<()>>,
    /// A connection attempt is under way (no writer yet).
    connecting: bool,
    generation: u64,
    deadline: Option<Timestamp>,
}

impl<S: Session + Send + 'static> Host<S> {
    fn new(
        client: Client<S>,
        base_url: String,
        start: Instant,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        let (inputs_tx, inputs) = mpsc::unbounded_channel();
        Host {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            start,
            http: reqwest::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .build()
                .unwrap_or_default(),
            events,
            inputs_tx,
            inputs,
            writer: None,
            reader: None,
            connecting: false,
            generation: 0,
            deadline: None,
        }
    }

    fn now(&self) -> Timestamp {
        clock(self.start)
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<HostCmd>) {
        loop {
            let wake = self
                .deadline
                .map(|t| tokio::time::Instant::from_std(self.start + Duration::from_millis(t.0)));
            let ready = self.client.output_ready();
            let out = tokio::select! {
                () = ready => self.client.poll_output(),
                cmd = commands.recv() => match cmd {
                    Some(HostCmd::Connect) => self.client.connect(self.now()),
                    Some(HostCmd::Close) => self.client.close(self.now()),
                    Some(HostCmd::Shutdown) | None => {
                        let out = self.client.shutdown(self.now());
                        self.perform(out).await;
                        drop_connection(&mut self.writer, &mut self.reader);
                        return;
                    }
                },
                Some(input) = self.inputs.recv() => match self.input(input) {
                    Some(out) => out,
                    None => continue,
                },
                () = sleep_until(wake) => self.client.handle_timeout(self.now()),
            };
            self.perform(out).await;
        }
    }

    /// Feeds one report from a socket or HTTP task to the client.
    fn input(&mut self, input: Input) -> Option<Output> {
        let now = self.now();
        Some(match input {
            Input::Opened(g, ws) if g == self.generation => {
                self.connecting = false;
                let (sink, mut stream) = (*ws).split();
                self.writer = Some(sink);
                let tx = self.inputs_tx.clone();
                self.reader = Some(tokio::spawn(async move {
                    let reason = loop {
                        match stream.next().await {
                            Some(Ok(Message::Text(t))) => {
                                let _ = tx.send(Input::Frame(g, t.to_string()));
                            }
                            Some(Ok(Message::Binary(b))) => {
                                let text = String::from_utf8(b.to_vec()).unwrap_or_else(|_| {
                                    String::from("<binary frame that is not UTF-8>")
                                });
                                let _ = tx.send(Input::Frame(g, text));
                            }
                            Some(Ok(Message::Close(frame))) => {
                                break frame
                                    .map(|f| f.reason.to_string())
                                    .filter(|r| !r.is_empty())
                                    .unwrap_or_else(|| "closed by server".into())
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => break e.to_string(),
                            None => break "connection ended".into(),
                        }
                    };
                    let _ = tx.send(Input::Closed(g, reason));
                }));
                self.client.handle_connected(now)
            }
            Input::Failed(g, reason, refusal) if g == self.generation => {
                self.connecting = false;
                match refusal {
                    Refusal::Credentials => self.client.handle_auth_refused(now, &reason),
                    Refusal::Permanent => self.client.handle_connect_failed(now, &reason, true),
                    Refusal::Transient => self.client.handle_connect_failed(now, &reason, false),
                }
            }
            Input::Frame(g, text) if g == self.generation => self.client.handle_frame(now, &text),
            Input::Closed(g, reason) if g == self.generation => {
                self.let_go();
                self.client.handle_closed(now, &reason)
            }
            Input::Http(id, response) => self.client.handle_http_response(now, id, response),
            // From a connection already replaced.
            _ => return None,
        })
    }

    fn let_go(&mut self) {
        drop_connection(&mut self.writer, &mut self.reader);
        self.connecting = false;
        self.generation += 1;
    }

    /// Performs outputs in order; what performing one produces (a failed send reported as a
    /// close) is performed after it.
    async fn perform(&mut self, first: Output) {
        let mut queue = VecDeque::from([first]);
        while let Some(out) = queue.pop_front() {
            self.deadline = out.timeout;
            for event in out.events {
                let _ = self.events.send(event);
            }
            for t in out.transmits {
                match t {
                    Transmit::Connect(info) => {
                        // Replaces any connection open or opening: the client already let it go.
                        self.let_go();
                        self.connecting = true;
                        let url = ws_url(&self.base, &info.path);
                        let tx = self.inputs_tx.clone();
                        tokio::spawn(open(url, info, self.generation, tx));
                    }
                    Transmit::Frame { text } => {
                        let Some(w) = self.writer.as_mut() else {
                            // The client learns of the drop from `handle_closed`, on its way.
                            continue;
                        };
                        let failed =
                            match tokio::time::timeout(SEND_TIMEOUT, w.send(Message::text(text)))
                                .await
                            {
                                Ok(Ok(())) => None,
                                Ok(Err(e)) => Some(e.to_string()),
                                Err(_) => {
                                    Some("send timed out: the peer stopped reading".to_string())
                                }
                            };
                        if let Some(reason) = failed {
                            self.let_go();
                            let now = self.now();
                            queue.push_back(
                                self.client
                                    .handle_closed(now, &format!("send failed: {reason}")),
                            );
                        }
                    }
                    Transmit::Http(request) => {
                        let (http, base, tx) =
                            (self.http.clone(), self.base.clone(), self.inputs_tx.clone());
                        tokio::spawn(perform_http(http, base, request, tx));
                    }
                    Transmit::Close { reason } if self.writer.is_some() || self.connecting => {
                        self.let_go();
                        let now = self.now();
                        queue.push_back(self.client.handle_closed(now, &reason));
                    }
                    // Nothing open: the client already let it go.
                    Transmit::Close { .. } => {}
                    Transmit::Upload(upload) => {
                        let (http, base, tx) =
                            (self.http.clone(), self.base.clone(), self.inputs_tx.clone());
                        tokio::spawn(perform_upload(http, base, upload, tx));
                    }
                    Transmit::Download(download) => {
                        let (http, base, tx) =
                            (self.http.clone(), self.base.clone(), self.inputs_tx.clone());
                        tokio::spawn(perform_download(http, base, download, tx));
                    }
                    // A kind of transmit this host does not know: nothing it could do.
                    _ => {}
                }
            }
        }
    }
}

/// Lets a connection go: stops its reader and closes its socket in the background (a close
/// handshake with an unresponsive peer must not hold up the loop).
fn drop_connection(writer: &mut Option<WsSink>, reader: &mut Option<tokio::task::JoinHandle<()>>) {
    if let Some(task) = reader.take() {
        task.abort();
    }
    if let Some(mut w) = writer.take() {
        tokio::spawn(async move {
            let _ = tokio::time::timeout(SEND_TIMEOUT, w.close()).await;
        });
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn ws_url(base: &str, path: &str) -> String {
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    format!("{base}{path}")
}

async fn open(url: String, info: ConnectInfo, generation: u64, tx: mpsc::UnboundedSender<Input>) {
    let shown = redact_url(&url);
    let result = async {
        let mut request = url.as_str().into_client_request().map_err(|e| {
            (
                format!("{shown} is not a WebSocket URL: {e}"),
                Refusal::Permanent,
            )
        })?;
        for Header { name, value } in &info.headers {
            let bad = |e: String| {
                (
                    format!("header {name} cannot be sent: {e}"),
                    Refusal::Permanent,
                )
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
            let value = HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
            request.headers_mut().insert(name, value);
        }
        if !info.subprotocols.is_empty() {
            let value = HeaderValue::from_str(&info.subprotocols.join(", ")).map_err(|e| {
                (
                    format!("subprotocol cannot be sent: {e}"),
                    Refusal::Permanent,
                )
            })?;
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        let connecting = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((ws, _))) => Ok(ws),
            Ok(Err(e)) => Err(classify(&shown, &e)),
            Err(_) => Err((
                format!("cannot connect to {shown}: timed out"),
                Refusal::Transient,
            )),
        }
    }
    .await;
    let _ = tx.send(match result {
        Ok(ws) => Input::Opened(generation, Box::new(ws)),
        Err((reason, refusal)) => Input::Failed(generation, reason, refusal),
    });
}

/// Whether trying to connect again can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// A network failure or a busy server: reconnect after a backoff.
    Transient,
    /// A wrong URL or a refused upgrade: the same attempt fails the same way.
    Permanent,
    /// The credentials were refused (401/403 on the upgrade): an auth failure.
    Credentials,
}

/// Says what went wrong in words a user can act on, and whether trying again can help.
fn classify(url: &str, e: &tokio_tungstenite::tungstenite::Error) -> (String, Refusal) {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let text = e.to_string();
    let tls_mismatch = text.contains("InvalidContentType") || text.contains("corrupt message");
    match e {
        WsError::Http(response) => {
            let status = response.status().as_u16();
            let refusal = match status {
                401 | 403 => Refusal::Credentials,
                408 | 429 => Refusal::Transient,
                400..=499 => Refusal::Permanent,
                _ => Refusal::Transient,
            };
            let why = match status {
                401 | 403 => "credentials refused",
                404 => "no WebSocket endpoint at this URL",
                _ => "the server refused the upgrade",
            };
            (format!("cannot connect to {url}: {why} (HTTP {status})"), refusal)
        }
        WsError::Url(_) => (
            format!("{url} is not a WebSocket URL: {text}"),
            Refusal::Permanent,
        ),
        _ if tls_mismatch => (
            format!("cannot connect to {url}: TLS handshake failed — the server speaks plain HTTP; use http:// instead of https://"),
            Refusal::Permanent,
        ),
        WsError::Tls(_) => (
            format!("cannot connect to {url}: TLS failed: {text}"),
            Refusal::Permanent,
        ),
        _ => (format!("cannot connect to {url}: {text}"), Refusal::Transient),
    }
}

/// `url` without the `user:password@` a user may have put in it: it must not reach logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // A password typed with an unencoded `/` (`user:pa/ss@host`) would end the authority
    // early: the host is whatever follows the last `@` before the first `/` after the first
    // `@`. (A URL with `@` only in its path is cut a little too much, never too little.)
    let Some(first_at) = rest.find('@') else {
        return url.to_string();
    };
    let host_end = rest[first_at..]
        .find('/')
        .map_or(rest.len(), |i| first_at + i);
    let authority_end = rest.find('/').unwrap_or(rest.len());
    if first_at > authority_end && !rest[..first_at].contains(':') {
        // `@` in the path of a URL without credentials.
        return url.to_string();
    }
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://<redacted>@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

async fn perform_http(
    http: reqwest::Client,
    base: String,
    request: HttpRequest,
    tx: mpsc::UnboundedSender<Input>,
) {
    let id = request.id;
    let outcome = async {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = http.request(method, format!("{base}{}", request.path));
        for Header { name, value } in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response_headers(&response);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(format!("response body exceeds {MAX_BODY_BYTES} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok::<_, String>(HttpResponse {
            status,
            headers,
            body,
        })
    }
    .await;
    report(&tx, id, outcome);
}

/// Uploads the file at `upload.source` (a path) as one multipart part, streamed from disk.
async fn perform_upload(
    http: reqwest::Client,
    base: String,
    upload: chatwire::HttpUpload,
    tx: mpsc::UnboundedSender<Input>,
) {
    let id = upload.id;
    let outcome = async {
        let file = tokio::fs::File::open(&upload.source)
            .await
            .map_err(|e| format!("cannot read {}: {e}", upload.source))?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
        let mut part = reqwest::multipart::Part::stream_with_length(body, upload.size)
            .file_name(upload.file_name.clone());
        if let Some(mime) = &upload.content_type {
            part = part.mime_str(mime).map_err(describe)?;
        }
        let form = reqwest::multipart::Form::new().part(upload.form_field.clone(), part);
        let method =
            reqwest::Method::from_bytes(upload.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = http
            .request(method, format!("{base}{}", upload.path))
            .multipart(form);
        for Header { name, value } in &upload.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response_headers(&response);
        let body = response.text().await.map_err(describe)?;
        Ok::<_, String>(HttpResponse {
            status,
            headers,
            body,
        })
    }
    .await;
    report(&tx, id, outcome);
}

/// Downloads `download.url` into the file `download.destination`, chunk by chunk.
async fn perform_download(
    http: reqwest::Client,
    base: String,
    download: chatwire::HttpDownload,
    tx: mpsc::UnboundedSender<Input>,
) {
    use tokio::io::AsyncWriteExt;
    let id = download.id;
    let outcome = async {
        let url = if download.url.contains("://") {
            download.url.clone()
        } else {
            format!("{base}{}", download.url)
        };
        let mut response = http.get(&url).send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response_headers(&response);
        if !response.status().is_success() {
            let body = response.text().await.map_err(describe)?;
            return Ok(HttpResponse {
                status,
                headers,
                body,
            });
        }
        let mut file = tokio::fs::File::create(&download.destination)
            .await
            .map_err(|e| format!("cannot write {}: {e}", download.destination))?;
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            file.write_all(&chunk)
                .await
                .map_err(|e| format!("cannot write {}: {e}", download.destination))?;
        }
        file.flush().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(HttpResponse {
            status,
            headers,
            body: String::new(),
        })
    }
    .await;
    report(&tx, id, outcome);
}

/// Hands an exchange's outcome to the loop; one that got no response is status 0 with the
/// reason as its body, as the sessions expect.
fn report(tx: &mpsc::UnboundedSender<Input>, id: RequestId, outcome: Result<HttpResponse, String>) {
    let response = outcome.unwrap_or_else(|reason| HttpResponse {
        status: 0,
        headers: Vec::new(),
        body: reason,
    });
    let _ = tx.send(Input::Http(id, response));
}

fn response_headers(response: &reqwest::Response) -> Vec<Header> {
    response
        .headers()
        .iter()
        .map(|(k, v)| Header::new(k.as_str(), String::from_utf8_lossy(v.as_bytes())))
        .collect()
}

/// An HTTP failure in words a user can act on: the whole cause chain (reqwest's own text says
/// only "error sending request"), never the URL (it may carry credentials), and a TLS handshake
/// with a plain-HTTP server named as such.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.contains("InvalidContentType") || text.contains("corrupt message") {
        text.push_str(" (TLS handshake failed: the server speaks plain HTTP; use http:// instead of https://)");
    }
    text
}
