//! The native driver: a tokio task that owns the sockets and timers of one [`Client`].
//!
//! The client's [`Transport`] only posts commands to this task (never blocks, never re-enters);
//! the task performs them and feeds what happens back through the client's inputs.

use chatwire::{Client, ConnectInfo, HttpRequest, HttpResponse, Session, Timestamp, Transport};
use futures::{SinkExt, StreamExt};
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

/// What the client asks the driver to do.
#[derive(Debug)]
pub enum HostCmd {
    /// Open the WebSocket.
    Connect(ConnectInfo),
    /// Send a text frame.
    Frame(String),
    /// Perform an HTTP request.
    Http(HttpRequest),
    /// Close the WebSocket.
    Close(String),
    /// The client's next deadline changed (the loop re-reads it).
    Timer,
}

/// The [`Transport`] of a natively driven client.
#[derive(Clone)]
pub struct NativeHost {
    start: Instant,
    tx: mpsc::UnboundedSender<HostCmd>,
}

impl NativeHost {
    /// A transport and the receiving end the driver loop reads.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<HostCmd>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            NativeHost {
                start: Instant::now(),
                tx,
            },
            rx,
        )
    }

    fn post(&self, cmd: HostCmd) {
        // The driver is gone only when the program is shutting down.
        let _ = self.tx.send(cmd);
    }
}

impl Transport for NativeHost {
    fn now(&self) -> Timestamp {
        Timestamp(self.start.elapsed().as_millis() as u64)
    }
    fn connect(&self, info: ConnectInfo) {
        self.post(HostCmd::Connect(info));
    }
    fn send_frame(&self, text: String) {
        self.post(HostCmd::Frame(text));
    }
    fn http(&self, request: HttpRequest) {
        self.post(HostCmd::Http(request));
    }
    fn close(&self, reason: String) {
        self.post(HostCmd::Close(reason));
    }
    fn set_timer(&self, _deadline: Option<Timestamp>) {
        self.post(HostCmd::Timer);
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type WsSink = futures::stream::SplitSink<WsStream, Message>;

/// What the socket and HTTP tasks report back to the loop; `u64` is the connection generation,
/// so reports from a connection already replaced are ignored.
enum Input {
    Opened(u64, Box<WsStream>),
    Frame(u64, String),
    Closed(u64, String),
    Http(chatwire::RequestId, HttpResponse),
}

/// Runs the driver loop for `client` until the command channel closes.
pub async fn drive<S>(
    client: Client<S, NativeHost>,
    mut commands: mpsc::UnboundedReceiver<HostCmd>,
    base_url: String,
) where
    S: Session + Send + 'static,
{
    let base = base_url.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .unwrap_or_default();
    let (in_tx, mut inputs) = mpsc::unbounded_channel::<Input>();
    let mut writer: Option<WsSink> = None;
    let mut reader: Option<tokio::task::JoinHandle<()>> = None;
    // A connection attempt is under way (no writer yet).
    let mut connecting = false;
    let mut generation = 0u64;
    let start = client.transport().start;
    loop {
        let deadline = client
            .poll_timeout()
            .map(|t| tokio::time::Instant::from_std(start + Duration::from_millis(t.0)));
        tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { break };
                match cmd {
                    HostCmd::Connect(info) => {
                        // Replaces any connection open or opening: the session already let it go.
                        drop_connection(&mut writer, &mut reader);
                        generation += 1;
                        connecting = true;
                        tokio::spawn(open(ws_url(&base, &info.path), info, generation, in_tx.clone()));
                    }
                    HostCmd::Frame(text) => {
                        let failed = match writer.as_mut() {
                            Some(w) => match tokio::time::timeout(SEND_TIMEOUT, w.send(Message::text(text))).await {
                                Ok(Ok(())) => None,
                                Ok(Err(e)) => Some(e.to_string()),
                                Err(_) => Some("send timed out: the peer stopped reading".to_string()),
                            },
                            // The session learns of the drop from `handle_closed`, which is on its
                            // way (or the attempt is still opening and the frame was queued early).
                            None => None,
                        };
                        if let Some(reason) = failed {
                            drop_connection(&mut writer, &mut reader);
                            generation += 1;
                            client.handle_closed(&format!("send failed: {reason}"));
                        }
                    }
                    HostCmd::Http(request) => {
                        tokio::spawn(perform(http.clone(), base.clone(), request, in_tx.clone()));
                    }
                    HostCmd::Close(reason) => {
                        if writer.is_some() || connecting {
                            drop_connection(&mut writer, &mut reader);
                            connecting = false;
                            generation += 1;
                            client.handle_closed(&reason);
                        }
                    }
                    HostCmd::Timer => {}
                }
            }
            Some(input) = inputs.recv() => match input {
                Input::Opened(g, ws) if g == generation => {
                    connecting = false;
                    let (sink, mut stream) = (*ws).split();
                    writer = Some(sink);
                    let tx = in_tx.clone();
                    reader = Some(tokio::spawn(async move {
                        let reason = loop {
                            match stream.next().await {
                                Some(Ok(Message::Text(t))) => { let _ = tx.send(Input::Frame(g, t.to_string())); }
                                Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                                    Ok(t) => { let _ = tx.send(Input::Frame(g, t)); }
                                    Err(_) => { let _ = tx.send(Input::Frame(g, String::from("<binary frame that is not UTF-8>"))); }
                                },
                                Some(Ok(Message::Close(frame))) => break frame.map(|f| f.reason.to_string()).unwrap_or_else(|| "closed by server".into()),
                                Some(Ok(_)) => {}
                                Some(Err(e)) => break e.to_string(),
                                None => break "connection ended".into(),
                            }
                        };
                        let _ = tx.send(Input::Closed(g, reason));
                    }));
                    client.handle_connected();
                }
                Input::Frame(g, text) if g == generation => client.handle_frame(&text),
                Input::Closed(g, reason) if g == generation => {
                    drop_connection(&mut writer, &mut reader);
                    connecting = false;
                    generation += 1;
                    client.handle_closed(&reason);
                }
                Input::Http(id, response) => client.handle_http_response(id, response),
                _ => {} // from a connection already replaced
            },
            _ = sleep_until(deadline) => client.handle_timeout(),
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
    let result = async {
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| e.to_string())?;
        for (name, value) in &info.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            request.headers_mut().insert(name, value);
        }
        if !info.subprotocols.is_empty() {
            let value =
                HeaderValue::from_str(&info.subprotocols.join(", ")).map_err(|e| e.to_string())?;
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        let connecting = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((ws, _))) => Ok(ws),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("connect timed out".to_string()),
        }
    }
    .await;
    let _ = tx.send(match result {
        Ok(ws) => Input::Opened(generation, Box::new(ws)),
        Err(reason) => Input::Closed(generation, format!("cannot connect to {url}: {reason}")),
    });
}

async fn perform(
    http: reqwest::Client,
    base: String,
    request: HttpRequest,
    tx: mpsc::UnboundedSender<Input>,
) {
    let id = request.id;
    let response = async {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = http.request(method, format!("{base}{}", request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
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
    .await
    .unwrap_or_else(|reason| HttpResponse {
        status: 0,
        headers: Vec::new(),
        body: reason,
    });
    let _ = tx.send(Input::Http(id, response));
}
