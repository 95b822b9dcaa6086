//! The JS side of the glue: globals (no `window`: Node, workers and pages alike), options,
//! conversion of core values into plain JS objects, and errors.

use crate::plain::Plain;
use chatwire::{Error, Event, Timestamp};
use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`; throws where there is no `performance` (then `Date.now()`).
    #[wasm_bindgen(catch, js_namespace = performance, js_name = now)]
    fn performance_now() -> Result<f64, JsValue>;
    /// `globalThis.fetch` (Node 18+, browsers, workers).
    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn fetch(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
}

/// Longest delay `setTimeout` takes: a longer one fires at once in every runtime.
pub(crate) const MAX_TIMER_MS: u64 = (1 << 31) - 1;

/// The `setTimeout` delay for a deadline `at` seen at `now`: 0 when it has passed, clamped to
/// [`MAX_TIMER_MS`] (a clamped timer fires early; the core then re-arms it for the rest).
pub(crate) fn timer_delay(at: Timestamp, now: Timestamp) -> f64 {
    at.as_millis()
        .saturating_sub(now.as_millis())
        .min(MAX_TIMER_MS) as f64
}

thread_local! {
    /// The package's `ChatwireError` class, registered by the npm entry point.
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the `Error` subclass every rejection and throw is made of. Called once by the
/// package's entry module; without it plain `Error`s with the same fields are used.
#[wasm_bindgen(js_name = __setErrorClass)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// The host's monotonic clock in milliseconds: `performance.now()`, else `Date.now()`.
pub(crate) fn now() -> Timestamp {
    // One import call per input: looking `performance` and `now` up by name each time cost
    // four crossings and two strings.
    let ms = performance_now().unwrap_or_else(|_| js_sys::Date::now());
    Timestamp(if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    })
}

/// A fresh 64-bit seed from `Math.random()`: every session's ids and jitter must differ from
/// every other's (two tada clients with one seed would mint the same `message_id`s).
pub(crate) fn random_seed() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

/// A global by name (`WebSocket`, `location`), when the runtime has it.
pub(crate) fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Converts a core value (event, reply, chat, error) into a plain JS object in core's serde
/// shape as a non-human-readable format sees it (so `RawJson` is JSON text): maps as objects,
/// `None` as `null`, 64-bit integers as numbers (exact up to 2^53, rounded beyond: see
/// [`Plain`]). The core's types all serialize to JS; `null` stands for one that could not.
///
/// The value crosses as JSON text that `JSON.parse` turns into objects in one builtin call:
/// building them from Rust (serde-wasm-bindgen) took a `Reflect.set` and a string crossing
/// per field, several times the cost of the parse. The text is written into one buffer kept
/// for the next value, so a frame's event allocates nothing on the wasm side.
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    JSON_TEXT.with(|buffer| {
        let Ok(mut text) = buffer.try_borrow_mut() else {
            // Re-entered while the buffer is in use (it is not: nothing here calls JS while
            // writing); a fresh buffer is as good.
            return parse_json_of(value, &mut Vec::new());
        };
        parse_json_of(value, &mut text)
    })
}

thread_local! {
    /// The buffer [`to_js`] writes JSON text into, reused from value to value.
    static JSON_TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn parse_json_of<T: Serialize>(value: &T, text: &mut Vec<u8>) -> JsValue {
    text.clear();
    let mut json = serde_json::Serializer::new(&mut *text);
    if value.serialize(Plain(&mut json)).is_err() {
        return JsValue::NULL;
    }
    // serde_json writes UTF-8 only, and only valid JSON.
    match std::str::from_utf8(text) {
        Ok(text) => js_sys::JSON::parse(text).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}

#[wasm_bindgen]
extern "C" {
    /// An event object that `JSON.parse` made.
    type EventObject;
    /// `event.message`.
    #[wasm_bindgen(method, getter, structural)]
    fn message(this: &EventObject) -> JsValue;
    /// A message object that `JSON.parse` made.
    type MessageObject;
    /// `message.raw = text`: the string made in the same call.
    #[wasm_bindgen(method, setter, structural, js_name = raw)]
    fn set_raw(this: &MessageObject, text: &str);
}

/// An output's events as JS objects, the same as [`to_js`] of each: all of them in one JSON
/// text and one `JSON.parse` (a frame brings two, the message and its read-state change), and
/// each message's `raw` text handed over as a string of its own, set in the place the text
/// left for it (escaping it into the event's text and unescaping it in the parse cost more
/// than the string crossing).
pub(crate) fn events_to_js(events: &[Event]) -> Vec<JsValue> {
    let parsed = crate::plain::without_message_raw(|| to_js(&events));
    let Some(array) = parsed.dyn_ref::<js_sys::Array>() else {
        return events.iter().map(to_js).collect();
    };
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let value = array.get(i as u32);
            if let Event::MessageReceived { message, .. } | Event::MessageEdited { message, .. } =
                event
            {
                value
                    .unchecked_ref::<EventObject>()
                    .message()
                    .unchecked_ref::<MessageObject>()
                    .set_raw(message.raw.as_str());
            }
            value
        })
        .collect()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a data property on a fresh object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

/// The `Error` a Promise rejects with (or a method throws) for `error`: a `ChatwireError` whose
/// `message` is the core's text, `kind` its variant, `code` the protocol's code (TrueConf
/// `errorCode`, Talk status name, HTTP status), `delivery` whether a cut-off request may have
/// reached the server, `fault` whose fault and when (`refused` at once, `failed` when tried,
/// `undecodable` answer), and `detail` the whole error as a plain object.
pub(crate) fn error(error: &Error) -> JsValue {
    let message = error.to_string();
    let object = ERROR_CLASS
        .with(|c| c.borrow().clone())
        .and_then(|class| {
            Reflect::construct(&class, &js_sys::Array::of1(&message.clone().into())).ok()
        })
        .unwrap_or_else(|| {
            let e = js_sys::Error::new(&message);
            e.set_name("ChatwireError");
            e.into()
        });
    let detail = to_js(error);
    let kind = Reflect::get(&detail, &"kind".into()).unwrap_or(JsValue::UNDEFINED);
    set(&object, "kind", &kind);
    let code = match error {
        #[cfg(feature = "trueconf")]
        Error::TrueConf { code } => JsValue::from(code.code()),
        Error::Http { status, .. } => JsValue::from(*status),
        #[cfg(feature = "talk")]
        Error::Talk(_) => Reflect::get(&detail, &"code".into()).unwrap_or(JsValue::NULL),
        _ => JsValue::NULL,
    };
    set(&object, "code", &code);
    let delivery = match error {
        Error::Disconnected { delivery } => to_js(delivery),
        _ => JsValue::NULL,
    };
    set(&object, "delivery", &delivery);
    set(&object, "fault", &to_js(&error.kind()));
    set(&object, "detail", &detail);
    object
}

/// A `ChatwireError` of kind `invalid_argument`: what bad input from JS becomes.
pub(crate) fn invalid(reason: impl Into<String>) -> JsValue {
    error(&Error::InvalidArgument {
        reason: reason.into(),
    })
}

/// A Promise already rejected with `error`.
pub(crate) fn rejected(error: JsValue) -> js_sys::Promise {
    js_sys::Promise::reject(&error)
}

/// The text of a thrown JS value, for reasons in events and errors.
pub(crate) fn describe(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Options object access that turns wrong types into `invalid_argument` errors.
pub(crate) struct Options {
    object: JsValue,
}

impl Options {
    /// Wraps the constructor's argument: an object, or nothing.
    pub(crate) fn new(value: &JsValue) -> Result<Options, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options {
                object: Object::new().into(),
            });
        }
        if !value.is_object() {
            return Err(invalid("options must be an object"));
        }
        Ok(Options {
            object: value.clone(),
        })
    }

    fn get(&self, key: &str) -> Option<JsValue> {
        Reflect::get(&self.object, &key.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// A string option.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(Some)
                .ok_or_else(|| invalid(format!("options.{key} must be a string"))),
        }
    }

    /// A string option that must be there.
    pub(crate) fn required(&self, key: &str) -> Result<String, JsValue> {
        self.string(key)?
            .ok_or_else(|| invalid(format!("options.{key} is required")))
    }

    /// A boolean option.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, JsValue> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| invalid(format!("options.{key} must be a boolean"))),
        }
    }

    /// A function option (a WebSocket constructor).
    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsValue> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<Function>()
                .map(Some)
                .map_err(|_| invalid(format!("options.{key} must be a constructor function"))),
        }
    }
}

/// A string argument of a method; anything else is an `invalid_argument` error.
pub(crate) fn arg_string(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(format!("{name} must be a string")))
}

/// An optional string argument (`undefined`/`null`: none).
pub(crate) fn arg_opt_string(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        arg_string(value, name).map(Some)
    }
}

/// A non-negative integer argument that fits `u32`, or `default` when absent.
pub(crate) fn arg_u32(value: &JsValue, name: &str, default: u32) -> Result<u32, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => Ok(n as u32),
        _ => Err(invalid(format!(
            "{name} must be a whole number from 0 to {}",
            u32::MAX
        ))),
    }
}
