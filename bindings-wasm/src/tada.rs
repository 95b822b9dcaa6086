//! `TadaClient`: tada.team.

use crate::host::{promise, Host, Transport};
use crate::{client_config, common_methods, js, map};
use chatwire::tada::{TadaConfig, TadaSession};
use chatwire::Client;
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A tada.team client. Options: `server` (`http(s)://…`; default the page's origin), `team`,
/// `token` (the API token, sent as the `token` header: Node with the `ws` package), or no
/// token in a page on the tada origin, whose session cookie authenticates; `reconnect`,
/// `webSocket`, `webSocketHeaders`.
#[wasm_bindgen]
pub struct TadaClient {
    client: Client<TadaSession>,
    host: Rc<Host>,
}

common_methods!(TadaClient);

#[wasm_bindgen]
impl TadaClient {
    /// A client; nothing is sent until `connect()`. Throws a `ChatwireError` on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TadaClient, JsValue> {
        let o = js::Options::new(&options)?;
        let transport = Transport::from_options(&o)?;
        let team = o.required("team")?;
        let mut config = match o.string("token")? {
            Some(token) => TadaConfig::new(team, token),
            None => TadaConfig::with_session_cookie(team),
        };
        config.seed = js::random_seed();
        let session = match crate::snapshot_option(&o)? {
            Some(snapshot) => TadaSession::restore(config, snapshot),
            None => TadaSession::new(config),
        };
        let client = Client::new(session, client_config(&o)?);
        Ok(TadaClient {
            client: client.clone(),
            host: Host::new(client, transport, false),
        })
    }

    /// Connects; resolves once the server said hello, rejects on a permanent failure (a token
    /// header this WebSocket cannot send, no WebSocket at all). Reconnects after drops.
    pub fn connect(&self) -> Promise {
        self.host.connect()
    }

    /// This user's contact jid, once connected; else `null`.
    #[wasm_bindgen(getter)]
    pub fn me(&self) -> Option<String> {
        self.client.inspect(|s| s.me().map(str::to_string))
    }

    /// The total unread count (`badge`), once the server sent one; else `null`.
    #[wasm_bindgen(getter)]
    pub fn badge(&self) -> Option<f64> {
        self.client.inspect(|s| s.badge().map(|b| b as f64))
    }

    /// The read state of chat `jid` (`{ unread, last_read_message_id, … }`), or `null`.
    #[wasm_bindgen(js_name = readState)]
    pub fn read_state(&self, jid: JsValue) -> Result<JsValue, JsValue> {
        let chat = js::arg_string(&jid, "jid")?;
        Ok(self
            .client
            .inspect(|s| s.read_state(&chat).map(js::to_js))
            .unwrap_or(JsValue::NULL))
    }

    /// Sends `text` to chat `jid`; resolves with the message id once the server confirmed.
    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(&self, jid: JsValue, text: JsValue) -> Promise {
        let args =
            js::arg_string(&jid, "jid").and_then(|j| Ok((j, js::arg_string(&text, "text")?)));
        let (jid, text) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.send_message(js::now(), &jid, &text);
        self.host.flush();
        promise(call, map::string)
    }

    /// Deletes message `messageId`; resolves once the server confirmed.
    #[wasm_bindgen(js_name = deleteMessage)]
    pub fn delete_message(&self, message_id: JsValue) -> Promise {
        let id = match js::arg_string(&message_id, "messageId") {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.delete_message(js::now(), &id);
        self.host.flush();
        promise(call, map::unit)
    }
}
