//! `TrueConfClient`: the TrueConf Chatbot API.

use crate::host::{exchange, promise, Host, Transport};
use crate::{client_config, common_methods, js, map, task};
use chatwire::trueconf::{TrueConfConfig, TrueConfSession, TOKEN_PATH};
use chatwire::{Client, Error, Header};
use js_sys::Promise;
use serde::Deserialize;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A TrueConf chat bot client. Options: `server` (`http(s)://…`), `token` (a JWT) or `user` +
/// `password` (the client fetches the JWT on `connect()`), `receiveUnread` (default true),
/// `reconnect` (default true), `webSocket` (a constructor; default the global `WebSocket`).
#[wasm_bindgen]
pub struct TrueConfClient {
    client: Client<TrueConfSession>,
    host: Rc<Host>,
    login: Option<(String, String)>,
    /// Whether the session holds a JWT (given, or fetched by an earlier `connect()`).
    has_token: Rc<Cell<bool>>,
}

common_methods!(TrueConfClient);

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// `POST {server}/bridge/api/client/v1/oauth/token` with the password grant: the JWT.
///
/// Through the host's own [`exchange`], so the request has what every fetch of the binding
/// has: an abort after its time (a server that takes the connection and never answers would
/// otherwise leave `connect()` pending for ever) and a hold by the trap guard.
async fn fetch_token(base: &str, user: &str, password: &str) -> Result<String, Error> {
    let body = serde_json::json!({
        "client_id": "chat_bot",
        "grant_type": "password",
        "username": user,
        "password": password,
    })
    .to_string();
    let url = format!("{base}{TOKEN_PATH}");
    let json = [Header::new("Content-Type", "application/json")];
    let response = exchange(&url, "POST", &json, Some(&body)).await;
    match response.status {
        // What `exchange` answers when there was no HTTP answer (refused, aborted, CORS).
        0 => Err(Error::ConnectFailed {
            reason: format!("token request failed: {}", response.body),
        }),
        200..=299 => serde_json::from_str::<TokenAnswer>(&response.body)
            .map(|a| a.access_token)
            .map_err(|e| Error::UnexpectedResponse {
                reason: format!("token endpoint answer: {e}"),
            }),
        status => Err(Error::AuthFailed {
            reason: format!("token endpoint answered {status}: {}", response.body),
        }),
    }
}

#[wasm_bindgen]
impl TrueConfClient {
    /// A client; nothing is sent until `connect()`. Throws a `ChatwireError` on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TrueConfClient, JsValue> {
        let o = js::Options::new(&options)?;
        let transport = Transport::from_options(&o)?;
        let token = o.string("token")?;
        let login = match (o.string("user")?, o.string("password")?) {
            (Some(u), Some(p)) => Some((u, p)),
            _ => None,
        };
        if token.is_none() && login.is_none() {
            return Err(js::invalid(
                "TrueConf needs options.token, or options.user and options.password",
            ));
        }
        let has_token = Rc::new(Cell::new(token.is_some()));
        let mut config = TrueConfConfig::new(token.unwrap_or_default());
        config.receive_unread = Some(o.boolean("receiveUnread")?.unwrap_or(true));
        let session = match crate::snapshot_option(&o)? {
            Some(snapshot) => TrueConfSession::restore(config, snapshot),
            None => TrueConfSession::new(config),
        };
        let client = Client::new(session, client_config(&o)?);
        Ok(TrueConfClient {
            client: client.clone(),
            host: Host::new(client, transport, false),
            login,
            has_token,
        })
    }

    /// Connects (fetching a JWT first when built with `user` + `password`, once) and
    /// authenticates; resolves once connected, rejects on refused credentials or a permanent
    /// failure. The client then stays connected, reconnecting after drops, until `close()`.
    pub fn connect(&self) -> Promise {
        let login = self.login.clone().filter(|_| !self.has_token.get());
        let Some((user, password)) = login else {
            return self.host.connect();
        };
        let host = self.host.clone();
        let client = self.client.clone();
        let has_token = self.has_token.clone();
        task::promise(async move {
            let base = host.base();
            let token = fetch_token(&base, &user, &password)
                .await
                .map_err(|e| js::error(&e))?;
            client
                .with_session(js::now(), |s, _| {
                    s.set_token(token);
                    Ok(())
                })
                .map_err(|e| js::error(&e))?;
            has_token.set(true);
            task::settled(&host.connect()).await
        })
    }

    /// This bot's TrueConf id once authenticated, else `null`.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.client.inspect(|s| s.user_id().map(str::to_string))
    }

    /// The read state of `chatId` (`{ unread, last_read_message_id, … }`), or `null`.
    #[wasm_bindgen(js_name = readState)]
    pub fn read_state(&self, chat_id: JsValue) -> Result<JsValue, JsValue> {
        let chat = js::arg_string(&chat_id, "chatId")?;
        Ok(self
            .client
            .inspect(|s| s.read_state(&chat).map(js::to_js))
            .unwrap_or(JsValue::NULL))
    }

    /// `createGroupChat`; resolves with the new chat's id.
    #[wasm_bindgen(js_name = createGroupChat)]
    pub fn create_group_chat(&self, title: JsValue) -> Promise {
        let title = match js::arg_string(&title, "title") {
            Ok(t) => t,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.create_group_chat(js::now(), &title);
        self.host.flush();
        promise(call, map::string)
    }

    /// `createChannel`; resolves with the new channel's id.
    #[wasm_bindgen(js_name = createChannel)]
    pub fn create_channel(&self, title: JsValue) -> Promise {
        let title = match js::arg_string(&title, "title") {
            Ok(t) => t,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.create_channel(js::now(), &title);
        self.host.flush();
        promise(call, map::string)
    }

    /// `createP2PChat` with `userId`; resolves with the chat's id.
    #[wasm_bindgen(js_name = createP2PChat)]
    pub fn create_p2p_chat(&self, user_id: JsValue) -> Promise {
        let user = match js::arg_string(&user_id, "userId") {
            Ok(t) => t,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.create_p2p_chat(js::now(), &user);
        self.host.flush();
        promise(call, map::string)
    }

    /// `addChatParticipant`.
    #[wasm_bindgen(js_name = addParticipant)]
    pub fn add_participant(&self, chat_id: JsValue, user_id: JsValue) -> Promise {
        let args = js::arg_string(&chat_id, "chatId")
            .and_then(|c| Ok((c, js::arg_string(&user_id, "userId")?)));
        let (chat, user) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.add_participant(js::now(), &chat, &user);
        self.host.flush();
        promise(call, map::unit)
    }

    /// `getChats`: page `page` (from 1, default 1) of `count` chats (default 100).
    #[wasm_bindgen(js_name = getChats)]
    pub fn get_chats(&self, count: JsValue, page: JsValue) -> Promise {
        let args =
            js::arg_u32(&count, "count", 100).and_then(|c| Ok((c, js::arg_u32(&page, "page", 1)?)));
        let (count, page) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.get_chats(js::now(), count, page);
        self.host.flush();
        promise(call, map::value)
    }

    /// `getChatParticipants`: page `pageNumber` (default 1) of `pageSize` (default 100).
    #[wasm_bindgen(js_name = getParticipants)]
    pub fn get_participants(
        &self,
        chat_id: JsValue,
        page_size: JsValue,
        page_number: JsValue,
    ) -> Promise {
        let args = (|| {
            Ok::<_, JsValue>((
                js::arg_string(&chat_id, "chatId")?,
                js::arg_u32(&page_size, "pageSize", 100)?,
                js::arg_u32(&page_number, "pageNumber", 1)?,
            ))
        })();
        let (chat, size, number) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self.client.get_participants(js::now(), &chat, size, number);
        self.host.flush();
        promise(call, map::value)
    }

    /// `sendMessage`; resolves with the new message's id.
    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(&self, chat_id: JsValue, text: JsValue, reply_to: JsValue) -> Promise {
        let args = (|| {
            Ok::<_, JsValue>((
                js::arg_string(&chat_id, "chatId")?,
                js::arg_string(&text, "text")?,
                js::arg_opt_string(&reply_to, "replyTo")?,
            ))
        })();
        let (chat, text, reply_to) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self
            .client
            .send_message(js::now(), &chat, &text, reply_to.as_deref());
        self.host.flush();
        promise(call, map::string)
    }

    /// `getChatHistory`: up to `count` (default 50) messages before `fromMessageId`, oldest first.
    #[wasm_bindgen(js_name = getHistory)]
    pub fn get_history(&self, chat_id: JsValue, count: JsValue, from: JsValue) -> Promise {
        let args = (|| {
            Ok::<_, JsValue>((
                js::arg_string(&chat_id, "chatId")?,
                js::arg_u32(&count, "count", 50)?,
                js::arg_opt_string(&from, "fromMessageId")?,
            ))
        })();
        let (chat, count, from) = match args {
            Ok(a) => a,
            Err(e) => return js::rejected(e),
        };
        let call = self
            .client
            .get_history(js::now(), &chat, count, from.as_deref());
        self.host.flush();
        promise(call, map::value)
    }
}
