//! # chatwire-wasm — chatwire for browsers and Node (the npm package `chatwire`)
//!
//! Thin by design: type mapping and the host's glue, no protocol logic. One JS class per
//! protocol — [`TrueConfClient`], [`TadaClient`], [`TalkClient`] — over the core's pull-mode
//! [`chatwire::Client`]; the `host` module performs its output with the runtime's own
//! `WebSocket`, `fetch` + `AbortController` and `setTimeout` (found on the global scope, never
//! on `window`, so Node and workers work too).
//!
//! - Async methods return Promises that settle exactly once: resolved with the value, or
//!   rejected with a `ChatwireError` (`kind`, `code`, `delivery`, `detail`).
//! - Events are plain JS objects in core's serde shape (`{ type: "message_received", … }`),
//!   delivered to listeners (`on`/`off`) and async iterators (`events()`).
//! - `close()` lets the connection go; `free()` (and `Symbol.dispose`) ends the client and
//!   settles everything pending.

// Built with some protocols left out, glue only the others use is dead; the full build keeps
// every lint.
#![cfg_attr(
    not(all(feature = "trueconf", feature = "tada", feature = "talk")),
    allow(dead_code)
)]

mod guard;
mod host;
mod js;
pub mod plain;
mod stream;
#[cfg(feature = "tada")]
mod tada;
#[cfg(feature = "talk")]
mod talk;
mod task;
#[cfg(feature = "trueconf")]
mod trueconf;
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_units;

pub use guard::set_guard;
#[doc(hidden)]
pub use guard::trap_at_next_for_tests;
pub use js::set_error_class;
pub use stream::EventStream;
#[cfg(feature = "tada")]
pub use tada::TadaClient;
#[cfg(feature = "talk")]
pub use talk::TalkClient;
#[cfg(feature = "trueconf")]
pub use trueconf::TrueConfClient;

use chatwire::ClientConfig;
use wasm_bindgen::JsValue;

/// The core client's policy from the options every class takes (`reconnect`), with a fresh
/// jitter seed.
pub(crate) fn client_config(options: &js::Options) -> Result<ClientConfig, JsValue> {
    let mut config = ClientConfig::default();
    if let Some(reconnect) = options.boolean("reconnect")? {
        config.reconnect = reconnect;
    }
    config.seed = js::random_seed();
    Ok(config)
}

/// The methods every protocol class has, over its `host`: `close`, `on`, `off`, `events`,
/// `sendText`, `markRead`; and `Drop` (what `free()` runs) shutting the client down.
macro_rules! common_methods {
    ($class:ident) => {
        #[wasm_bindgen::prelude::wasm_bindgen]
        impl $class {
            /// The session's state to keep (JSON text: read state, the cursors and what was
            /// already delivered, sends not yet answered), for the `snapshot` option of a later
            /// client. Holds no credential. Take it after the events you have handled.
            pub fn snapshot(&self) -> Result<String, wasm_bindgen::JsValue> {
                self.client
                    .inspect(|s| serde_json::to_string(&s.snapshot()))
                    .map_err(|e| $crate::js::invalid(format!("snapshot does not serialize: {e}")))
            }

            /// Lets the connection go and stops reconnecting: calls in flight reject with
            /// `disconnected` (and their delivery verdict); later calls reject with `closed`
            /// until `connect()`.
            pub fn close(&self) {
                self.host.close();
            }

            /// Calls `listener` with every event, in order. A listener may call back into the
            /// client; one that throws is logged and the others still run.
            pub fn on(&self, listener: js_sys::Function) {
                self.host.on(listener);
            }

            /// Stops calling `listener`.
            pub fn off(&self, listener: js_sys::Function) {
                self.host.off(&listener);
            }

            /// An async iterator over the events from now on; ends when the client is freed.
            pub fn events(&self) -> $crate::stream::EventStream {
                self.host.events()
            }

            /// Sends a text message; resolves with the server's reply object
            /// (`{ type: "message_sent", … }`).
            #[wasm_bindgen(js_name = sendText)]
            pub fn send_text(
                &self,
                chat_id: wasm_bindgen::JsValue,
                text: wasm_bindgen::JsValue,
                reply_to: wasm_bindgen::JsValue,
            ) -> js_sys::Promise {
                let args = (|| {
                    Ok::<_, wasm_bindgen::JsValue>((
                        $crate::js::arg_string(&chat_id, "chatId")?,
                        $crate::js::arg_string(&text, "text")?,
                        $crate::js::arg_opt_string(&reply_to, "replyTo")?,
                    ))
                })();
                let (chat, text, reply_to) = match args {
                    Ok(a) => a,
                    Err(e) => return $crate::js::rejected(e),
                };
                let call =
                    self.client
                        .send_text($crate::js::now(), &chat, &text, reply_to.as_deref());
                self.host.flush();
                $crate::host::promise(call, |r| $crate::js::to_js(&r))
            }

            /// Marks `chatId` read up to `messageId`.
            #[wasm_bindgen(js_name = markRead)]
            pub fn mark_read(
                &self,
                chat_id: wasm_bindgen::JsValue,
                message_id: wasm_bindgen::JsValue,
            ) -> js_sys::Promise {
                let args = (|| {
                    Ok::<_, wasm_bindgen::JsValue>((
                        $crate::js::arg_string(&chat_id, "chatId")?,
                        $crate::js::arg_string(&message_id, "messageId")?,
                    ))
                })();
                let (chat, message) = match args {
                    Ok(a) => a,
                    Err(e) => return $crate::js::rejected(e),
                };
                let call = self.client.mark_read($crate::js::now(), &chat, &message);
                self.host.flush();
                $crate::host::promise(call, |_| wasm_bindgen::JsValue::UNDEFINED)
            }
        }

        impl Drop for $class {
            fn drop(&mut self) {
                self.host.shutdown_from_drop();
            }
        }
    };
}
pub(crate) use common_methods;

/// The snapshot `options.snapshot` carries (text from an earlier client's `snapshot()`), if
/// any; one that does not parse is a `ChatwireError` (`invalid_argument`).
pub(crate) fn snapshot_option<T: serde::de::DeserializeOwned>(
    options: &js::Options,
) -> Result<Option<T>, JsValue> {
    options
        .string("snapshot")?
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| js::invalid(format!("snapshot does not parse: {e}")))
        })
        .transpose()
}

/// Maps a resolved value to what the Promise resolves with.
pub(crate) mod map {
    use wasm_bindgen::JsValue;

    /// A string (an id).
    pub(crate) fn string(s: String) -> JsValue {
        JsValue::from(s)
    }

    /// Nothing: `undefined`.
    pub(crate) fn unit(_: ()) -> JsValue {
        JsValue::UNDEFINED
    }

    /// Any core value, as a plain object or array.
    pub(crate) fn value<T: serde::Serialize>(v: T) -> JsValue {
        crate::js::to_js(&v)
    }
}
