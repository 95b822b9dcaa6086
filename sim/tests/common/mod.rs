//! Test helpers: a simulator per test, small WebSocket clients, HTTP helpers. Every wait is
//! bounded so that nothing hangs.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use chatwire_sim::{SimConfig, SimHandle};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Runs a test body with a hard time limit.
pub async fn bounded<F: Future<Output = ()>>(secs: u64, f: F) {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("test timed out");
}

/// A simulator with a short ack timeout and a 1 s Talk poll cap.
pub async fn sim() -> SimHandle {
    sim_with(|_| {}).await
}

/// A simulator with test defaults, adjusted by `f`.
pub async fn sim_with(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig {
        talk_poll_timeout_cap_secs: 1,
        ack_timeout_ms: 400,
        ..SimConfig::default()
    };
    f(&mut config);
    chatwire_sim::start(config).await.expect("simulator starts")
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url` with extra headers.
pub async fn ws_connect(
    url: &str,
    headers: &[(&'static str, &str)],
) -> (
    Ws,
    tokio_tungstenite::tungstenite::handshake::client::Response,
) {
    let mut req = url.into_client_request().expect("request");
    for (k, v) in headers {
        req.headers_mut()
            .insert(*k, HeaderValue::from_str(v).expect("header"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("ws connects")
}

/// Next text frame, or `None` when the socket closed/errored or nothing came within `wait`.
pub async fn next_text(ws: &mut Ws, wait: Duration) -> Option<String> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => return None,
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Text(t)))) => return Some(t.to_string()),
            Ok(Some(Ok(Message::Close(_)))) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Whether the socket ends (close, error or EOF) within `wait`.
pub async fn closes_within(ws: &mut Ws, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

// ---------------------------------------------------------------- TrueConf

/// Gets an access token for `user` (`alice`, ...).
pub async fn tc_token(addr: std::net::SocketAddr, user: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/bridge/api/client/v1/oauth/token"))
        .json(&json!({"client_id": "chat_bot", "grant_type": "password", "username": user, "password": format!("{user}-pass")}))
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A TrueConf client that keeps server requests aside while waiting for responses.
pub struct Tc {
    pub ws: Ws,
    next_id: u64,
    pub inbox: VecDeque<Value>,
    /// Ack server requests automatically when they are taken from the inbox.
    pub auto_ack: bool,
}

impl Tc {
    /// Connects without authenticating.
    pub async fn connect(addr: std::net::SocketAddr) -> Tc {
        let (ws, resp) = ws_connect(
            &format!("ws://{addr}/websocket/chat_bot/"),
            &[("Sec-WebSocket-Protocol", "json.v1")],
        )
        .await;
        assert_eq!(
            resp.headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap()),
            Some("json.v1")
        );
        Tc {
            ws,
            next_id: 1,
            inbox: VecDeque::new(),
            auto_ack: true,
        }
    }

    /// Gets a token for `user`, connects and authenticates.
    pub async fn login(addr: std::net::SocketAddr, user: &str) -> Tc {
        Tc::login_with(addr, user, json!({})).await
    }

    /// Like [`Tc::login`], with more `auth` fields (`receiveUnread`, ...).
    pub async fn login_with(addr: std::net::SocketAddr, user: &str, extra: Value) -> Tc {
        let token = tc_token(addr, user).await;
        let mut tc = Tc::connect(addr).await;
        let mut auth = json!({"token": token, "tokenType": "JWT"});
        if let (Some(a), Some(e)) = (auth.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        let r = tc.call("auth", auth).await;
        assert_eq!(r["userId"], format!("{user}@sim.local"), "auth: {r}");
        tc
    }

    pub async fn send_raw(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends a request and returns the response payload.
    pub async fn call(&mut self, method: &str, payload: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(json!({"type": 1, "id": id, "method": method, "payload": payload}))
            .await;
        loop {
            let text = next_text(&mut self.ws, Duration::from_secs(5))
                .await
                .expect("response");
            let v: Value = serde_json::from_str(&text).expect("json frame");
            if v["type"] == 2 && v["id"] == id {
                return v["payload"].clone();
            }
            if v["type"] == 1 {
                self.inbox.push_back(v);
            }
        }
    }

    /// The next server request with `method` (others stay in the inbox).
    pub async fn notification(&mut self, method: &str) -> Value {
        loop {
            if let Some(pos) = self.inbox.iter().position(|v| v["method"] == method) {
                let v = self.inbox.remove(pos).expect("present");
                if self.auto_ack {
                    self.ack(&v).await;
                }
                return v;
            }
            let text = next_text(&mut self.ws, Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("no {method} notification"));
            let v: Value = serde_json::from_str(&text).expect("json frame");
            if v["type"] == 1 {
                self.inbox.push_back(v);
            }
        }
    }

    pub async fn ack(&mut self, req: &Value) {
        self.send_raw(json!({"type": 2, "id": req["id"]})).await;
    }
}

// ---------------------------------------------------------------- tada

/// Connects to tada as `user` and returns the socket (initial events not yet read).
pub async fn tada_connect(addr: std::net::SocketAddr, user: &str) -> Ws {
    ws_connect(
        &format!("ws://{addr}/messaging/team-sim"),
        &[("token", &format!("{user}-token"))],
    )
    .await
    .0
}

/// Reads frames until event `name` arrives (others are dropped), confirming server events
/// that carry a `confirm_id` when `confirm` is set.
pub async fn tada_until(ws: &mut Ws, name: &str, confirm: bool) -> Value {
    loop {
        let text = next_text(ws, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no {name} event"));
        let v: Value = serde_json::from_str(&text).expect("json frame");
        if confirm {
            if let Some(cid) = v["confirm_id"].as_str() {
                tada_send(
                    ws,
                    json!({"event": "client.confirm", "params": {"confirm_id": cid}}),
                )
                .await;
            }
        }
        if v["event"] == name {
            return v;
        }
    }
}

/// Reads (and confirms) every frame until nothing comes for `quiet`; returns them.
pub async fn tada_drain(ws: &mut Ws, quiet: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(text) = next_text(ws, quiet).await {
        let v: Value = serde_json::from_str(&text).expect("json frame");
        if let Some(cid) = v["confirm_id"].as_str() {
            tada_send(
                ws,
                json!({"event": "client.confirm", "params": {"confirm_id": cid}}),
            )
            .await;
        }
        out.push(v);
    }
    out
}

pub async fn tada_send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

// ---------------------------------------------------------------- Talk

pub const TALK: &str = "/ocs/v2.php/apps/spreed/api/v1";

/// A request to the Talk API as `user`, with the OCS header.
pub fn talk(
    method: reqwest::Method,
    addr: std::net::SocketAddr,
    user: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("http://{addr}{TALK}{path}"))
        .basic_auth(user, Some(format!("{user}-app-pass")))
        .header("OCS-APIRequest", "true")
        .header("Accept", "application/json")
}

pub fn header_u64(resp: &reqwest::Response, name: &str) -> Option<u64> {
    resp.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// POSTs a message as `user` to `room`; returns the created message.
pub async fn talk_post(addr: std::net::SocketAddr, user: &str, room: &str, text: &str) -> Value {
    let resp = talk(reqwest::Method::POST, addr, user, &format!("/chat/{room}"))
        .form(&[("message", text)])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.expect("json");
    body["ocs"]["data"].clone()
}

/// Client faults of the simulator (via the admin endpoint).
pub async fn admin_faults(addr: std::net::SocketAddr) -> Vec<String> {
    reqwest::get(format!("http://{addr}/admin/faults"))
        .await
        .expect("admin")
        .json()
        .await
        .expect("json")
}

pub async fn admin_inject(addr: std::net::SocketAddr, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/admin/inject"))
        .json(&body)
        .send()
        .await
        .expect("inject");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}
