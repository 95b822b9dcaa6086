//! The client objects, their inputs and commands.

use crate::tagged;
use crate::types::{ChatwireError, Header, Output, Reply, Role};
use chatwire as core;
use chatwire::{tada, talk, trueconf, Timestamp};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Reconnect and replay policy of a client (the core's `ClientConfig`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ClientOptions {
    /// Reconnect by itself after a drop.
    #[uniffi(default = true)]
    pub reconnect: bool,
    /// First reconnect delay (upper bound before jitter), ms.
    #[uniffi(default = 500)]
    pub backoff_base_ms: u64,
    /// Longest reconnect delay, ms.
    #[uniffi(default = 30000)]
    pub backoff_max_ms: u64,
    /// How many times one request is replayed across reconnects.
    #[uniffi(default = 3)]
    pub max_replays: u32,
    /// How long a request cut off by a drop waits for the reconnect that would replay it, ms.
    #[uniffi(default = 30000)]
    pub replay_timeout_ms: u64,
    /// How long an authenticated connection must last before its drop starts a fresh backoff, ms.
    #[uniffi(default = 1000)]
    pub stable_after_ms: u64,
    /// Seed of the reconnect jitter.
    #[uniffi(default = 7163418443722306149)]
    pub seed: u64,
    /// Seed of the session's own ids (tada `message_id`s, Talk `referenceId`s); `None` draws
    /// one from the OS, so two clients never mint the same id. Set it only to replay a run.
    #[uniffi(default = None)]
    pub session_seed: Option<u64>,
    /// tada only (the one protocol with a liveness probe): how often `client.ping` goes out
    /// while connected, ms (at least 100); `None` keeps the core's 30 s. A ping unanswered for
    /// 10 s declares the connection dead. That is what finds a
    /// connection whose close the host's WebSocket never reported (the JDK 17 client loses an
    /// end of stream that arrives together with the last frame).
    #[uniffi(default = None)]
    pub ping_interval_ms: Option<u64>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        let c = core::ClientConfig::default();
        ClientOptions {
            reconnect: c.reconnect,
            backoff_base_ms: millis(c.backoff_base),
            backoff_max_ms: millis(c.backoff_max),
            max_replays: c.max_replays,
            replay_timeout_ms: millis(c.replay_timeout),
            stable_after_ms: millis(c.stable_after),
            seed: c.seed,
            session_seed: None,
            ping_interval_ms: None,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<ClientOptions> for core::ClientConfig {
    fn from(o: ClientOptions) -> Self {
        core::ClientConfig {
            reconnect: o.reconnect,
            backoff_base: Duration::from_millis(o.backoff_base_ms),
            backoff_max: Duration::from_millis(o.backoff_max_ms),
            max_replays: o.max_replays,
            replay_timeout: Duration::from_millis(o.replay_timeout_ms),
            stable_after: Duration::from_millis(o.stable_after_ms),
            seed: o.seed,
        }
    }
}

fn config(options: &Option<ClientOptions>) -> core::ClientConfig {
    options.clone().unwrap_or_default().into()
}

/// The session seed `options` ask for, else a random one: the core draws no OS randomness,
/// and two sessions with one seed mint the same ids (tada refuses the second sender's).
fn session_seed(options: &Option<ClientOptions>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    options
        .as_ref()
        .and_then(|o| o.session_seed)
        .unwrap_or_else(|| {
            // RandomState is keyed from the OS once per thread and stepped per instance.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(std::process::id().into());
            h.finish()
        })
}

type Answer = Result<core::Reply, core::Error>;

/// The pending answer to one command. The request was queued when the command was called;
/// awaiting [`PendingCall::wait`] only listens (as often as you like, also concurrently: every
/// wait gets the same answer), and dropping this withdraws nothing.
///
/// Not `futures::future::Shared`: it wakes its waiters while holding its own lock, so a
/// foreign executor that resumes inline (Kotlin's `Dispatchers.Unconfined`) and polls again
/// from inside the wake deadlocks. Here every waker is woken with no lock held.
#[derive(uniffi::Object)]
pub struct PendingCall {
    slot: Mutex<Slot>,
}

struct Slot {
    call: Option<core::Call>,
    answer: Option<Answer>,
    /// Waiters other than the one the call's channel wakes (it remembers only the last).
    waiters: Vec<Waker>,
}

fn lock(m: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // No code panics while holding it; a poisoned lock still holds a consistent slot.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PendingCall {
    fn new(call: core::Call) -> Arc<Self> {
        Arc::new(PendingCall {
            slot: Mutex::new(Slot {
                call: Some(call),
                answer: None,
                waiters: Vec::new(),
            }),
        })
    }

    fn poll_answer(&self, cx: &mut Context<'_>) -> Poll<Answer> {
        let (answer, others) = {
            let mut slot = lock(&self.slot);
            if let Some(answer) = &slot.answer {
                return Poll::Ready(answer.clone());
            }
            let polled = match slot.call.as_mut() {
                Some(call) => Pin::new(call).poll(cx),
                // Unreachable: the call is only taken together with setting the answer.
                None => Poll::Ready(Err(core::Error::Closed)),
            };
            match polled {
                Poll::Ready(answer) => {
                    slot.call = None;
                    slot.answer = Some(answer.clone());
                    (answer, std::mem::take(&mut slot.waiters))
                }
                Poll::Pending => {
                    if !slot.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                        slot.waiters.push(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        };
        for waker in others {
            waker.wake();
        }
        Poll::Ready(answer)
    }
}

#[uniffi::export]
impl PendingCall {
    /// The server's answer, or the error that ended the request (`Closed` after `shutdown`,
    /// `Disconnected` with its delivery verdict, the server's refusal…).
    pub async fn wait(&self) -> Result<Reply, ChatwireError> {
        futures::future::poll_fn(|cx| self.poll_answer(cx))
            .await
            .map(Reply::from)
            .map_err(ChatwireError::from)
    }
}

/// What a command returns: perform `output` now (it carries the request), then await `call`.
#[derive(uniffi::Record)]
pub struct Command {
    /// The transmits and events the command produced (usually the request itself).
    pub output: Output,
    /// The answer, once it comes.
    pub call: Arc<PendingCall>,
}

/// The JSON body of TrueConf's OAuth token request (`POST {server}/bridge/api/client/v1/oauth/token`,
/// `Content-Type: application/json`) for `username` and `password`.
#[uniffi::export]
pub fn trueconf_oauth_body(username: String, password: String) -> String {
    serde_json::json!({
        "client_id": "chat_bot",
        "grant_type": "password",
        "username": username,
        "password": password,
    })
    .to_string()
}

/// The `access_token` from TrueConf's OAuth answer; `AuthFailed` when there is none.
#[uniffi::export]
pub fn trueconf_parse_oauth(body: String) -> Result<String, ChatwireError> {
    let value: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| ChatwireError::AuthFailed {
            reason: format!("token answer is not JSON: {e}"),
        })?;
    match value.get("access_token").and_then(|t| t.as_str()) {
        Some(token) if !token.is_empty() => Ok(token.to_string()),
        _ => Err(ChatwireError::AuthFailed {
            reason: value
                .get("error_description")
                .or_else(|| value.get("error"))
                .and_then(|t| t.as_str())
                .unwrap_or("no access_token in the answer")
                .to_string(),
        }),
    }
}

fn parse_snapshot<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ChatwireError> {
    serde_json::from_str(json).map_err(|e| ChatwireError::InvalidArgument {
        reason: format!("snapshot does not parse: {e}"),
    })
}

fn snapshot_text<T: serde::Serialize>(snapshot: &T) -> Result<String, ChatwireError> {
    serde_json::to_string(snapshot).map_err(|e| ChatwireError::Other {
        description: format!("snapshot does not serialize: {e}"),
    })
}

fn now(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// Issues a command on `client` and takes its output in the same crossing.
fn issue<S: core::Session>(client: &core::Client<S>, call: core::Call) -> Command {
    Command {
        output: client.poll_output().into(),
        call: PendingCall::new(call),
    }
}

/// The inputs and commands every protocol shares, on `$name` wrapping `core::Client<$session>`.
macro_rules! common_methods {
    ($name:ident) => {
        #[uniffi::export]
        impl $name {
            /// Opens the connection and keeps it up (reconnecting after drops); clears `close`.
            pub fn connect(&self, now_ms: u64) -> Output {
                self.inner.connect(now(now_ms)).into()
            }

            /// Lets the connection go and stops reconnecting; requests in flight fail with
            /// `Disconnected`, later commands with `Closed` until `connect`.
            pub fn close(&self, now_ms: u64) -> Output {
                self.inner.close(now(now_ms)).into()
            }

            /// Ends the client for good: every pending call fails with `Closed` now, later
            /// inputs are ignored. Perform this output, then drop the client.
            pub fn shutdown(&self, now_ms: u64) -> Output {
                self.inner.shutdown(now(now_ms)).into()
            }

            /// Input: the WebSocket opened.
            pub fn handle_connected(&self, now_ms: u64) -> Output {
                self.inner.handle_connected(now(now_ms)).into()
            }

            /// Input: a text frame arrived.
            pub fn handle_frame(&self, now_ms: u64, frame: String) -> Output {
                self.inner.handle_frame(now(now_ms), &frame).into()
            }

            /// Input: many frames arrived (a backlog); one output for all, in order.
            pub fn handle_frames(&self, now_ms: u64, frames: Vec<String>) -> Output {
                self.inner.handle_frames(now(now_ms), &frames).into()
            }

            /// [`Self::handle_frame`] with the frame as UTF-8 bytes (borrowed for the call,
            /// not copied into a buffer first; invalid UTF-8 is replaced, as a lossy socket
            /// would) and the output as tagged JSON text (every record and variant an array
            /// led by its type, `["Event.MessageReceived", [...]]`, fields in order; a `raw`
            /// payload that is text of the frame as `[0, start, end]`, where it is in it, in
            /// characters), for a host that builds its objects in one parse; the Python
            /// package's `handle_frame` is this.
            pub fn handle_frame_json(&self, now_ms: u64, frame: &[u8]) -> String {
                // `from_utf8` first: it validates faster than the lossy decoder's chunking.
                let frame = std::str::from_utf8(frame)
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|_| String::from_utf8_lossy(frame));
                let output = self.inner.handle_frame(now(now_ms), &frame).into();
                // A replaced frame is not the text the host holds: nothing is sliced from it.
                let texts: &[&str] = match &frame {
                    Cow::Borrowed(text) => std::slice::from_ref(text),
                    Cow::Owned(_) => &[],
                };
                tagged::output_json(&output, &tagged::Frames::new(texts))
            }

            /// [`Self::handle_frames`] with the frames as one JSON array of strings (UTF-8
            /// bytes, borrowed for the call) and the output as tagged JSON text (see
            /// [`Self::handle_frame_json`]; a sliced `raw` is `[frame, start, end]`, `frame`
            /// its index in the array): a host encodes the batch in one call of its JSON
            /// library instead of lowering each string; `InvalidArgument` when `frames_json`
            /// is not such an array.
            pub fn handle_frames_json(
                &self,
                now_ms: u64,
                frames_json: &[u8],
            ) -> Result<String, ChatwireError> {
                let frames: Vec<String> = serde_json::from_slice(frames_json).map_err(|e| {
                    ChatwireError::InvalidArgument {
                        reason: format!("frames_json is not a JSON array of strings: {e}"),
                    }
                })?;
                let output = self.inner.handle_frames(now(now_ms), &frames).into();
                let texts: Vec<&str> = frames.iter().map(String::as_str).collect();
                Ok(tagged::output_json(&output, &tagged::Frames::new(&texts)))
            }

            /// Input: HTTP request `id` completed (`status` 0: the transport failed).
            pub fn handle_http_response(
                &self,
                now_ms: u64,
                id: u32,
                status: u16,
                headers: Vec<Header>,
                body: String,
            ) -> Output {
                let response = core::HttpResponse {
                    status,
                    headers: headers.into_iter().map(Into::into).collect(),
                    body,
                };
                self.inner
                    .handle_http_response(now(now_ms), core::RequestId(id), response)
                    .into()
            }

            /// Input: the connection closed.
            pub fn handle_closed(&self, now_ms: u64, reason: String) -> Output {
                self.inner.handle_closed(now(now_ms), &reason).into()
            }

            /// Input: opening the connection failed; `permanent` when retrying cannot help.
            pub fn handle_connect_failed(
                &self,
                now_ms: u64,
                reason: String,
                permanent: bool,
            ) -> Output {
                self.inner
                    .handle_connect_failed(now(now_ms), &reason, permanent)
                    .into()
            }

            /// Input: the last output's deadline passed (early is harmless).
            pub fn handle_timeout(&self, now_ms: u64) -> Output {
                self.inner.handle_timeout(now(now_ms)).into()
            }

            /// What commands issued elsewhere queued since the last output.
            pub fn poll_output(&self) -> Output {
                self.inner.poll_output().into()
            }

            /// Sends a text message to `chat_id` (optionally as a reply to a message id).
            pub fn send_text(
                &self,
                now_ms: u64,
                chat_id: String,
                text: String,
                reply_to: Option<String>,
            ) -> Command {
                let call = self
                    .inner
                    .send_text(now(now_ms), &chat_id, &text, reply_to.as_deref());
                issue(&self.inner, call)
            }

            /// Marks `chat_id` read up to `message_id`.
            pub fn mark_read(&self, now_ms: u64, chat_id: String, message_id: String) -> Command {
                let call = self.inner.mark_read(now(now_ms), &chat_id, &message_id);
                issue(&self.inner, call)
            }
        }
    };
}

/// A TrueConf Chatbot API client (WebSocket, token in the first frame).
#[derive(uniffi::Object)]
pub struct TrueConfClient {
    inner: core::Client<trueconf::TrueConfSession>,
}

fn trueconf_config(token: String) -> trueconf::TrueConfConfig {
    let mut config = trueconf::TrueConfConfig::new(token);
    // A bot wants what arrived while it was away.
    config.receive_unread = Some(true);
    config
}

#[uniffi::export]
impl TrueConfClient {
    /// A client authenticating with `token` (a JWT from the OAuth endpoint), receiving unread
    /// messages on connect.
    #[uniffi::constructor(default(options = None))]
    pub fn new(token: String, options: Option<ClientOptions>) -> Arc<Self> {
        let session = trueconf::TrueConfSession::new(trueconf_config(token));
        Arc::new(TrueConfClient {
            inner: core::Client::new(session, config(&options)),
        })
    }

    /// A client resuming from a [`TrueConfClient::snapshot`] (read state, messages already
    /// delivered); `InvalidArgument` when it does not parse.
    #[uniffi::constructor(default(options = None))]
    pub fn restore(
        token: String,
        snapshot: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, ChatwireError> {
        let snapshot = parse_snapshot(&snapshot)?;
        let session = trueconf::TrueConfSession::restore(trueconf_config(token), snapshot);
        Ok(Arc::new(TrueConfClient {
            inner: core::Client::new(session, config(&options)),
        }))
    }

    /// The session's state to save (JSON text), for [`TrueConfClient::restore`].
    pub fn snapshot(&self) -> Result<String, ChatwireError> {
        self.inner.inspect(|s| snapshot_text(&s.snapshot()))
    }

    /// `sendMessage`; answers `MessageSent`.
    pub fn send_message(
        &self,
        now_ms: u64,
        chat_id: String,
        text: String,
        reply_to: Option<String>,
    ) -> Command {
        self.send_text(now_ms, chat_id, text, reply_to)
    }

    /// `createGroupChat`; answers `ChatId`.
    pub fn create_group_chat(&self, now_ms: u64, title: String) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.create_group_chat(t, &title));
        issue(&self.inner, call)
    }

    /// `createP2PChat` with `user_id`; answers `ChatId`.
    pub fn create_p2p_chat(&self, now_ms: u64, user_id: String) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.create_p2p_chat(t, &user_id));
        issue(&self.inner, call)
    }

    /// `createChannel`; answers `ChatId`.
    pub fn create_channel(&self, now_ms: u64, title: String) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.create_channel(t, &title));
        issue(&self.inner, call)
    }

    /// `addChatParticipant`.
    pub fn add_participant(&self, now_ms: u64, chat_id: String, user_id: String) -> Command {
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.add_chat_participant(t, &chat_id, &user_id, None)
        });
        issue(&self.inner, call)
    }

    /// `changeParticipantRole`.
    pub fn change_role(
        &self,
        now_ms: u64,
        chat_id: String,
        user_id: String,
        role: Role,
    ) -> Command {
        let role = core::Role::from(role);
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.change_participant_role(t, &chat_id, &user_id, role.clone())
        });
        issue(&self.inner, call)
    }

    /// `getChats` page `page` (from 1) of `count`; answers `Chats`.
    pub fn get_chats(&self, now_ms: u64, count: u32, page: u32) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.get_chats(t, count, page));
        issue(&self.inner, call)
    }

    /// `getChatParticipants`; answers `Participants`.
    pub fn get_participants(
        &self,
        now_ms: u64,
        chat_id: String,
        page_size: u32,
        page_number: u32,
    ) -> Command {
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.request(
                t,
                trueconf::Request::GetChatParticipants {
                    chat_id: chat_id.clone(),
                    page_size,
                    page_number,
                },
            )
        });
        issue(&self.inner, call)
    }

    /// `getChatHistory`: up to `count` messages before `from_message_id`; answers `Messages`.
    pub fn get_history(
        &self,
        now_ms: u64,
        chat_id: String,
        count: u32,
        from_message_id: Option<String>,
    ) -> Command {
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.get_chat_history(t, &chat_id, count, from_message_id.as_deref())
        });
        issue(&self.inner, call)
    }
}

common_methods!(TrueConfClient);

/// A tada.team client (WebSocket, `token` header).
#[derive(uniffi::Object)]
pub struct TadaClient {
    inner: core::Client<tada::TadaSession>,
}

fn tada_config(team: String, token: String, options: &Option<ClientOptions>) -> tada::TadaConfig {
    let mut config = tada::TadaConfig::new(team, token);
    config.seed = session_seed(options);
    if let Some(ms) = options.as_ref().and_then(|o| o.ping_interval_ms) {
        // At least 100 ms: a zero gap would probe in a busy loop.
        config.ping_interval = Duration::from_millis(ms.max(100));
    }
    config
}

#[uniffi::export]
impl TadaClient {
    /// A client of `team` authenticating with `token`.
    #[uniffi::constructor(default(options = None))]
    pub fn new(team: String, token: String, options: Option<ClientOptions>) -> Arc<Self> {
        let session = tada::TadaSession::new(tada_config(team, token, &options));
        Arc::new(TadaClient {
            inner: core::Client::new(session, config(&options)),
        })
    }

    /// A client resuming from a [`TadaClient::snapshot`] (read state, unconfirmed sends);
    /// `InvalidArgument` when it does not parse.
    #[uniffi::constructor(default(options = None))]
    pub fn restore(
        team: String,
        token: String,
        snapshot: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, ChatwireError> {
        let snapshot = parse_snapshot(&snapshot)?;
        let session = tada::TadaSession::restore(tada_config(team, token, &options), snapshot);
        Ok(Arc::new(TadaClient {
            inner: core::Client::new(session, config(&options)),
        }))
    }

    /// The session's state to save (JSON text), for [`TadaClient::restore`].
    pub fn snapshot(&self) -> Result<String, ChatwireError> {
        self.inner.inspect(|s| snapshot_text(&s.snapshot()))
    }

    /// Sends `text` to chat `jid`; answers `MessageSent` once the server confirmed it.
    pub fn send_message(&self, now_ms: u64, jid: String, text: String) -> Command {
        self.send_text(now_ms, jid, text, None)
    }

    /// Deletes a message; answers once the server confirmed.
    pub fn delete_message(&self, now_ms: u64, message_id: String) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.delete_message(t, &message_id));
        issue(&self.inner, call)
    }
}

common_methods!(TadaClient);

/// A Nextcloud Talk client (HTTP: long-polls per joined room).
#[derive(uniffi::Object)]
pub struct TalkClient {
    inner: core::Client<talk::TalkSession>,
}

fn talk_config(
    user: String,
    app_password: String,
    options: &Option<ClientOptions>,
) -> talk::TalkConfig {
    let mut config = talk::TalkConfig::new(user, app_password);
    config.seed = session_seed(options);
    config
}

#[uniffi::export]
impl TalkClient {
    /// A client of `user` authenticating with an app password (HTTP Basic).
    #[uniffi::constructor(default(options = None))]
    pub fn new(user: String, app_password: String, options: Option<ClientOptions>) -> Arc<Self> {
        let session = talk::TalkSession::new(talk_config(user, app_password, &options));
        Arc::new(TalkClient {
            inner: core::Client::new(session, config(&options)),
        })
    }

    /// A client resuming from a [`TalkClient::snapshot`] (room cursors, unsent messages);
    /// `InvalidArgument` when it does not parse.
    #[uniffi::constructor(default(options = None))]
    pub fn restore(
        user: String,
        app_password: String,
        snapshot: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, ChatwireError> {
        let snapshot = parse_snapshot(&snapshot)?;
        let session =
            talk::TalkSession::restore(talk_config(user, app_password, &options), snapshot);
        Ok(Arc::new(TalkClient {
            inner: core::Client::new(session, config(&options)),
        }))
    }

    /// The session's state to save (JSON text), for [`TalkClient::restore`].
    pub fn snapshot(&self) -> Result<String, ChatwireError> {
        self.inner.inspect(|s| snapshot_text(&s.snapshot()))
    }

    /// Starts receiving `room` (history first, then long-polls); returns the requests to
    /// perform. Messages arrive as events.
    pub fn join_room(&self, now_ms: u64, room: String) -> Result<Output, ChatwireError> {
        self.inner.join_room(now(now_ms), &room)?;
        Ok(self.inner.poll_output().into())
    }

    /// Posts `text` to `room`; answers `MessageSent` (the id as decimal text).
    pub fn send_message(
        &self,
        now_ms: u64,
        room: String,
        text: String,
        reply_to: Option<i64>,
        silent: bool,
    ) -> Command {
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.send_message(t, &room, &text, reply_to, silent)
        });
        issue(&self.inner, call)
    }

    /// Mention suggestions for `search` in `room`; answers `Mentions`.
    pub fn mentions(&self, now_ms: u64, room: String, search: String, limit: u32) -> Command {
        let call = self.inner.call(now(now_ms), move |s, t| {
            s.mentions(t, &room, &search, limit)
        });
        issue(&self.inner, call)
    }

    /// The next page of older messages in `room`; answers `Messages`.
    pub fn load_older(&self, now_ms: u64, room: String, limit: u32) -> Command {
        let call = self
            .inner
            .call(now(now_ms), move |s, t| s.load_older(t, &room, limit));
        issue(&self.inner, call)
    }
}

common_methods!(TalkClient);
