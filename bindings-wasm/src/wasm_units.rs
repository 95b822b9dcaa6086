//! The binding's own units, run as wasm in Node by `wasm-bindgen-test-runner`
//! (`scripts/test-wasm-units.sh`): option parsing from JS values, core errors as JS `Error`s
//! with their code and delivery, timer clamping, events as plain JS objects, the executor
//! (without the trap guard the package's entry module registers: its plain fallbacks).

use crate::js::{self, Options};
use crate::task;
use chatwire::{Author, Content, Delivery, Error, Event, Message, RawJson, Timestamp};
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).expect("Reflect.get on an object")
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).expect("Reflect.set on a fresh object");
    }
    o.into()
}

/// The `kind` of a rejection value `e` (a `ChatwireError` or its plain-`Error` stand-in).
fn kind_of(e: &JsValue) -> Option<String> {
    get(e, "kind").as_string()
}

/// The package's `ChatwireError`, as npm/extras.mjs defines it.
fn error_class() -> Function {
    Function::new_no_args(
        "return class ChatwireError extends Error { \
           constructor(m) { super(m); this.name = 'ChatwireError'; } }",
    )
    .call0(&JsValue::UNDEFINED)
    .expect("class expression")
    .unchecked_into()
}

#[wasm_bindgen_test]
fn options_may_be_absent_but_not_a_non_object() {
    let none = Options::new(&JsValue::UNDEFINED).expect("undefined is no options");
    assert_eq!(none.string("server").unwrap(), None);
    assert!(Options::new(&JsValue::NULL).is_ok());
    let e = Options::new(&JsValue::from(5))
        .err()
        .expect("a number is refused");
    assert_eq!(kind_of(&e).as_deref(), Some("invalid_argument"));
    assert!(e.is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
fn an_option_of_the_wrong_type_is_an_invalid_argument_naming_it() {
    let o = Options::new(&object(&[
        ("server", JsValue::from(1)),
        ("reconnect", JsValue::from("yes")),
        ("WebSocket", JsValue::from("ws")),
        ("token", JsValue::from("t")),
        ("flag", JsValue::TRUE),
        ("gone", JsValue::NULL),
    ]))
    .unwrap();
    let message = |e: JsValue| String::from(e.unchecked_into::<js_sys::Error>().message());
    assert_eq!(
        message(o.string("server").unwrap_err()),
        "invalid argument: options.server must be a string"
    );
    assert!(message(o.boolean("reconnect").unwrap_err())
        .contains("options.reconnect must be a boolean"));
    assert!(message(o.function("WebSocket").unwrap_err()).contains("constructor function"));
    assert!(message(o.required("user").unwrap_err()).contains("options.user is required"));
    assert_eq!(o.string("token").unwrap().as_deref(), Some("t"));
    assert_eq!(o.boolean("flag").unwrap(), Some(true));
    // null counts as absent, like undefined.
    assert_eq!(o.string("gone").unwrap(), None);
}

#[wasm_bindgen_test]
fn method_arguments_are_checked_not_trusted() {
    assert_eq!(js::arg_string(&"c1".into(), "chatId").unwrap(), "c1");
    let e = js::arg_string(&JsValue::from(3), "chatId").unwrap_err();
    assert_eq!(kind_of(&e).as_deref(), Some("invalid_argument"));
    assert_eq!(js::arg_opt_string(&JsValue::NULL, "replyTo").unwrap(), None);
    assert_eq!(js::arg_u32(&JsValue::UNDEFINED, "count", 20).unwrap(), 20);
    assert_eq!(js::arg_u32(&JsValue::from(7), "count", 20).unwrap(), 7);
    for bad in [-1.0, 1.5, 4_294_967_296.0, f64::NAN, f64::INFINITY] {
        let e = js::arg_u32(&JsValue::from(bad), "count", 20).unwrap_err();
        assert_eq!(kind_of(&e).as_deref(), Some("invalid_argument"), "{bad}");
    }
}

#[wasm_bindgen_test]
fn errors_become_the_registered_error_class_with_code_delivery_and_fault() {
    let class = error_class();
    js::set_error_class(class.clone());

    let e = js::error(&Error::Disconnected {
        delivery: Delivery::MaybeDelivered,
    });
    assert!(e.is_instance_of::<js_sys::Error>());
    assert!(Reflect::get(&e, &"constructor".into()).unwrap() == JsValue::from(class.clone()));
    assert_eq!(
        get(&e, "name").as_string().as_deref(),
        Some("ChatwireError")
    );
    assert_eq!(kind_of(&e).as_deref(), Some("disconnected"));
    assert_eq!(
        get(&e, "delivery").as_string().as_deref(),
        Some("maybe_delivered")
    );
    assert_eq!(get(&e, "fault").as_string().as_deref(), Some("failed"));
    assert!(get(&e, "code").is_null());
    let detail = get(&e, "detail");
    assert_eq!(
        get(&detail, "delivery").as_string().as_deref(),
        Some("maybe_delivered")
    );

    let e = js::error(&Error::Http {
        status: 503,
        body: "busy".into(),
    });
    assert_eq!(get(&e, "code").as_f64(), Some(503.0));
    assert!(get(&e, "delivery").is_null());
    assert_eq!(
        get(&get(&e, "detail"), "body").as_string().as_deref(),
        Some("busy")
    );

    let e = js::error(&Error::Closed);
    assert_eq!(get(&e, "fault").as_string().as_deref(), Some("refused"));
}

#[cfg(feature = "trueconf")]
#[wasm_bindgen_test]
fn a_trueconf_error_carries_its_numeric_code() {
    let e = js::error(&Error::TrueConf {
        code: chatwire::trueconf::ErrorCode::from(203),
    });
    assert_eq!(get(&e, "code").as_f64(), Some(203.0));
    assert_eq!(kind_of(&e).as_deref(), Some("trueconf"));
}

#[cfg(feature = "talk")]
#[wasm_bindgen_test]
fn a_talk_error_carries_its_status_name() {
    let e = js::error(&Error::Talk(chatwire::talk::HttpError::Lobby));
    assert_eq!(kind_of(&e).as_deref(), Some("talk"));
    assert!(
        get(&e, "code").as_string().is_some(),
        "code: {:?}",
        get(&e, "code")
    );
}

#[wasm_bindgen_test]
fn timers_past_the_set_timeout_limit_are_clamped_not_fired_at_once() {
    let now = Timestamp(1_000);
    assert_eq!(js::timer_delay(Timestamp(1_500), now), 500.0);
    assert_eq!(js::timer_delay(Timestamp(500), now), 0.0);
    let limit = f64::from(i32::MAX);
    assert_eq!(
        js::timer_delay(Timestamp(1_000 + (1 << 31) - 1), now),
        limit
    );
    assert_eq!(js::timer_delay(Timestamp(1_000 + (1 << 31)), now), limit);
    assert_eq!(js::timer_delay(Timestamp(u64::MAX), now), limit);
}

fn message(version: Option<i64>) -> Message {
    Message {
        id: "m1".into(),
        chat_id: Some("c1".into()),
        author: Author {
            id: "alice".into(),
            kind: None,
            display_name: None,
        },
        timestamp_ms: Some(1_704_067_200_000),
        content: Content::Text {
            text: "hi".into(),
            format: None,
        },
        edited: false,
        reply_to: None,
        version,
        own: false,
        raw: RawJson::from(serde_json::json!({"k": [1, "two"]})),
    }
}

#[wasm_bindgen_test]
fn events_become_plain_objects_in_the_core_serde_shape() {
    let v = js::to_js(&Event::MessageReceived {
        message: message(Some(7)),
    });
    assert_eq!(
        get(&v, "type").as_string().as_deref(),
        Some("message_received")
    );
    let m = get(&v, "message");
    assert_eq!(get(&m, "chat_id").as_string().as_deref(), Some("c1"));
    assert_eq!(get(&m, "timestamp_ms").as_f64(), Some(1_704_067_200_000.0));
    assert_eq!(get(&m, "version").as_f64(), Some(7.0));
    // None is null, not a missing key.
    assert!(get(&m, "reply_to").is_null());
    assert!(Reflect::has(&m, &"reply_to".into()).unwrap());
    // RawJson reaches JS as JSON text.
    assert_eq!(
        get(&m, "raw").as_string().as_deref(),
        Some(r#"{"k":[1,"two"]}"#)
    );
    assert_eq!(
        get(&get(&m, "content"), "type").as_string().as_deref(),
        Some("text")
    );
}

#[wasm_bindgen_test]
fn an_integer_past_2_pow_53_is_a_rounded_number_not_a_failure() {
    let v = js::to_js(&Event::MessageReceived {
        message: message(Some(i64::MAX)),
    });
    let version = get(&get(&v, "message"), "version").as_f64();
    assert_eq!(version, Some(i64::MAX as f64));
    assert_eq!(
        get(&v, "type").as_string().as_deref(),
        Some("message_received")
    );
}

#[wasm_bindgen_test]
fn events_without_fields_are_objects_with_a_type() {
    let v = js::to_js(&Event::TokenExpired);
    assert_eq!(
        get(&v, "type").as_string().as_deref(),
        Some("token_expired")
    );
}

#[wasm_bindgen_test]
fn an_outputs_events_are_the_objects_each_would_be_alone() {
    let mut forwarded = message(None);
    forwarded.content = Content::Forwarded {
        raw: RawJson::from(serde_json::json!({"quoted": "\"yes\""})),
    };
    let events = [
        Event::MessageReceived {
            message: message(Some(7)),
        },
        Event::TokenExpired,
        Event::MessageEdited { message: forwarded },
    ];
    let together = js::events_to_js(&events);
    assert_eq!(together.len(), events.len());
    for (event, value) in events.iter().zip(&together) {
        // Same keys in the same order, same values: `raw` set where the text left it.
        let alone = js_sys::JSON::stringify(&js::to_js(event)).unwrap();
        assert_eq!(js_sys::JSON::stringify(value).unwrap(), alone);
    }
    let m = get(&together[0], "message");
    assert_eq!(
        get(&m, "raw").as_string().as_deref(),
        Some(r#"{"k":[1,"two"]}"#)
    );
    // Only a message's own `raw` travels apart; the content's stays in the text.
    let content = get(&get(&together[2], "message"), "content");
    assert_eq!(
        get(&content, "raw").as_string().as_deref(),
        Some(r#"{"quoted":"\"yes\""}"#)
    );
    // And the next conversion is whole again.
    let later = js::to_js(&events[0]);
    assert!(get(&get(&later, "message"), "raw").is_string());
}

/// Wakes itself on its first poll (as an event delivered inside a poll may wake the very
/// task that delivered it) and is pending; ready on the second. Fails if polled inside a poll.
struct WakesItself {
    polls: Rc<Cell<u32>>,
    inside: Rc<Cell<bool>>,
}

impl Future for WakesItself {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.inside.replace(true), "polled re-entrantly");
        self.polls.set(self.polls.get() + 1);
        let result = if self.polls.get() == 1 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        };
        self.inside.set(false);
        result
    }
}

#[wasm_bindgen_test]
async fn a_task_woken_inside_its_own_poll_is_polled_again_after_it_not_within() {
    let polls = Rc::new(Cell::new(0));
    let (promise, resolve, reject) = task::pending();
    let future = WakesItself {
        polls: polls.clone(),
        inside: Rc::default(),
    };
    let counted = polls.clone();
    task::spawn(async move {
        future.await;
        task::settle(&resolve, &reject, Ok(JsValue::from(counted.get())));
    });
    assert_eq!(
        polls.get(),
        0,
        "a spawned task first runs in a microtask, not inside spawn"
    );
    let value = task::settled(&promise).await.expect("the task resolves it");
    assert_eq!(
        value.as_f64(),
        Some(2.0),
        "polled twice: the wake-up was not lost"
    );
}

#[wasm_bindgen_test]
async fn an_awaited_promise_gives_its_value_or_its_rejection() {
    let value = task::settled(&Promise::resolve(&JsValue::from(7))).await;
    assert_eq!(value.ok().and_then(|v| v.as_f64()), Some(7.0));
    let error = task::settled(&Promise::reject(&JsValue::from("no"))).await;
    assert_eq!(
        error.err().and_then(|e| e.as_string()).as_deref(),
        Some("no")
    );
}

#[wasm_bindgen_test]
async fn a_task_promise_settles_with_its_futures_outcome() {
    let ok = task::promise(async { Ok(JsValue::from("done")) });
    let ok = task::settled(&ok).await.expect("resolves");
    assert_eq!(ok.as_string().as_deref(), Some("done"));
    let refused = task::promise(async { Err(js::invalid("no")) });
    let e = task::settled(&refused).await.expect_err("rejects");
    assert_eq!(kind_of(&e).as_deref(), Some("invalid_argument"));
}
