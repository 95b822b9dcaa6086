//! `TalkClient`: Nextcloud Talk (HTTP long-polling; no WebSocket).

use crate::host::{promise, Host, Transport};
use crate::{client_config, common_methods, js, map};
use chatwire::talk::{TalkConfig, TalkSession};
use chatwire::Client;
use js_sys::{Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A Nextcloud Talk client. Options: `server` (default the page's origin: Talk in a browser
/// works same-origin only), `user`, `appPassword` (HTTP Basic), or no password in a page
/// served by the same Nextcloud, whose session cookie authenticates; `reconnect`.
#[wasm_bindgen]
pub struct TalkClient {
    client: Client<TalkSession>,
    host: Rc<Host>,
}

common_methods!(TalkClient);

#[wasm_bindgen]
impl TalkClient {
    /// A client; nothing is sent until `connect()` or `joinRoom()`. Throws a `ChatwireError`
    /// on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TalkClient, JsValue> {
        let o = js::Options::new(&options)?;
        let transport = Transport::from_options(&o)?;
        let user = o.required("user")?;
        let mut config = match o.string("appPassword")? {
            Some(password) => TalkConfig::new(user, password),
            None => TalkConfig::with_session_cookie(user),
        };
        config.seed = js::random_seed();
        let session = match crate::snapshot_option(&o)? {
            Some(snapshot) => TalkSession::restore(config, snapshot),
            None => TalkSession::new(config),
        };
        let client = Client::new(session, client_config(&o)?);
        Ok(TalkClient {
            client: client.clone(),
            host: Host::new(client, transport, true),
        })
    }

    /// Starts the client (Talk has no connection to open: resolves at once); rooms are
    /// received once joined with `joinRoom`.
    pub fn connect(&self) -> Promise {
        self.host.connect()
    }

    /// Starts receiving room `token`: its history first, then new messages, as events. With
    /// `lastReadMessageId` (the room list's `lastReadMessage`), the history ends there and every
    /// later message counts as unread. Throws a `ChatwireError` when the client is closed or an
    /// argument is unusable.
    #[wasm_bindgen(js_name = joinRoom)]
    pub fn join_room(&self, token: JsValue, last_read_message_id: JsValue) -> Result<(), JsValue> {
        let room = js::arg_string(&token, "token")?;
        let last_read = if last_read_message_id.is_undefined() || last_read_message_id.is_null() {
            None
        } else {
            match last_read_message_id.as_f64() {
                Some(n) if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) => {
                    Some(n as i64)
                }
                _ => {
                    return Err(js::invalid(
                        "lastReadMessageId must be a whole number (a message id)",
                    ))
                }
            }
        };
        let joined = match last_read {
            None => self.client.join_room(js::now(), &room),
            Some(last) => self
                .client
                .with_session(js::now(), |s, now| s.join_room_from(now, &room, last)),
        };
        self.host.flush();
        joined.map_err(|e| js::error(&e))
    }

    /// Stops receiving room `token`; false when it was not joined.
    #[wasm_bindgen(js_name = leaveRoom)]
    pub fn leave_room(&self, token: JsValue) -> Result<bool, JsValue> {
        let room = js::arg_string(&token, "token")?;
        let left = self
            .client
            .with_session(js::now(), |s, _| Ok(s.leave_room(&room)))
            .map_err(|e| js::error(&e));
        self.host.flush();
        left
    }

    /// The rooms being received.
    #[wasm_bindgen(js_name = joinedRooms)]
    pub fn joined_rooms(&self) -> Array {
        self.client
            .inspect(|s| s.joined_rooms().map(JsValue::from).collect::<Array>())
    }

    /// The read state of room `token` (`{ unread, last_read_message_id, last_common_read_id, … }`),
    /// or `null`.
    #[wasm_bindgen(js_name = readState)]
    pub fn read_state(&self, token: JsValue) -> Result<JsValue, JsValue> {
        let room = js::arg_string(&token, "token")?;
        Ok(self
            .client
            .inspect(|s| s.read_state(&room).map(js::to_js))
            .unwrap_or(JsValue::NULL))
    }

    /// Posts `text` to room `token`, optionally as a reply to message `replyTo` (a number) and
    /// `silent`ly; resolves with the new message's id (decimal text).
    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(
        &self,
        token: JsValue,
        text: JsValue,
        reply_to: JsValue,
        silent: JsValue,
    ) -> Promise {
        let args = (|| {
            let room = js::arg_string(&token, "token")?;
            let text = js::arg_string(&text, "text")?;
            let reply_to = if reply_to.is_undefined() || reply_to.is_null() {
                None
            } else {
                match reply_to.as_f64() {
                    Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => {
                        Some(n as i64)
                    }
                    _ => return Err(js::invalid("replyTo must be a whole number (a message id)")),
                }
            };
            let silent = if silent.is_undefined() || silent.is_null() {
                false
            } else {
                silent
                    .as_bool()
                    .ok_or_else(|| js::invalid("silent must be a boolean"))?
            };
            Ok((room, text, reply_to, silent))
        })();
        let (room, text, reply_to, silent) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self
            .client
            .send_message(js::now(), &room, &text, reply_to, silent);
        self.host.flush();
        promise(call, map::string)
    }

    /// Mention suggestions for `search` in room `token` (at most `limit`, default 10).
    pub fn mentions(&self, token: JsValue, search: JsValue, limit: JsValue) -> Promise {
        let args = (|| {
            Ok::<_, JsValue>((
                js::arg_string(&token, "token")?,
                js::arg_string(&search, "search")?,
                js::arg_u32(&limit, "limit", 10)?,
            ))
        })();
        let (room, search, limit) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.mentions(js::now(), &room, &search, limit);
        self.host.flush();
        promise(call, map::value)
    }

    /// The next page of older messages in room `token` (at most `limit`, default 100), oldest
    /// first.
    #[wasm_bindgen(js_name = loadOlder)]
    pub fn load_older(&self, token: JsValue, limit: JsValue) -> Promise {
        let args = js::arg_string(&token, "token")
            .and_then(|t| Ok((t, js::arg_u32(&limit, "limit", 100)?)));
        let (room, limit) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.load_older(js::now(), &room, limit);
        self.host.flush();
        promise(call, map::value)
    }
}
