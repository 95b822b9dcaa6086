//! `client.events()`: the events as an async iterator (`for await (const e of client.events())`).

use crate::task;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The shared state of one iterator: what arrived and nobody took yet, or a taker waiting.
#[derive(Default)]
pub(crate) struct StreamState {
    queue: VecDeque<JsValue>,
    /// The pending `next()` (resolve, reject; see [`task::pending`]).
    waiting: Option<(Function, Function)>,
    done: bool,
}

pub(crate) type Shared = Rc<RefCell<StreamState>>;

fn result(value: &JsValue, done: bool) -> JsValue {
    let object = Object::new();
    let _ = Reflect::set(&object, &"value".into(), value);
    let _ = Reflect::set(&object, &"done".into(), &done.into());
    object.into()
}

/// Hands `event` to the iterator; false once it ended (the host then forgets it).
pub(crate) fn push(stream: &Shared, event: &JsValue) -> bool {
    let waiting = {
        let mut st = stream.borrow_mut();
        if st.done {
            return false;
        }
        match st.waiting.take() {
            Some(waiting) => waiting,
            None => {
                st.queue.push_back(event.clone());
                return true;
            }
        }
    };
    // Resolving only schedules the taker's continuation: no JS runs here, but no borrow is held
    // anyway.
    let (resolve, reject) = waiting;
    task::settle(&resolve, &reject, Ok(result(event, false)));
    true
}

/// Ends the iterator: what is queued is still handed out, then `done`.
pub(crate) fn end(stream: &Shared) {
    let waiting = {
        let mut st = stream.borrow_mut();
        st.done = true;
        st.waiting.take()
    };
    if let Some((resolve, reject)) = waiting {
        task::settle(&resolve, &reject, Ok(result(&JsValue::UNDEFINED, true)));
    }
}

/// An async iterator over a client's events, from the moment it was made until the client
/// is closed or freed, or `return()` is called. Each event is delivered to every iterator.
#[wasm_bindgen]
pub struct EventStream {
    pub(crate) state: Shared,
}

impl Drop for EventStream {
    /// A stream freed without `return()` (or collected) ends, so the client stops queueing
    /// events for it (on a guarded timer when collected: see [`crate::guard::after_drop`]).
    fn drop(&mut self) {
        let state = self.state.clone();
        crate::guard::after_drop(move || end(&state));
    }
}

#[wasm_bindgen]
impl EventStream {
    /// The next event: `{ value, done: false }`, or `{ value: undefined, done: true }` once ended.
    pub fn next(&self) -> Promise {
        let mut st = self.state.borrow_mut();
        if let Some(event) = st.queue.pop_front() {
            return Promise::resolve(&result(&event, false));
        }
        if st.done {
            return Promise::resolve(&result(&JsValue::UNDEFINED, true));
        }
        if st.waiting.is_some() {
            // A second `next()` before the first settled: iterators are used one step at a
            // time, and settling two takers with one event would lose one.
            return Promise::reject(&crate::js::invalid(
                "next() called again before the previous call settled",
            ));
        }
        // Made with no borrow held: it calls into JS (the guard's `hold`).
        drop(st);
        let (promise, resolve, reject) = task::pending();
        self.state.borrow_mut().waiting = Some((resolve, reject));
        promise
    }

    /// Stops this iterator (what `break` in `for await` calls); queued events are dropped.
    #[wasm_bindgen(js_name = "return")]
    pub fn finish(&self) -> Promise {
        self.state.borrow_mut().queue.clear();
        end(&self.state);
        Promise::resolve(&result(&JsValue::UNDEFINED, true))
    }
}
