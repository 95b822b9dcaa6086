//! The binding's own executor: a single-threaded task queue run from a guarded microtask.
//!
//! It replaces wasm-bindgen-futures (`spawn_local`, `future_to_promise`, `JsFuture`), whose
//! queue is run by a microtask and settled-Promise callbacks of its own that JS calls
//! directly: a trap while one of them polls a future cannot be caught by anything outside the
//! wasm. Here the microtask that runs the queue and the callbacks of awaited Promises are
//! functions the trap guard wrapped ([`crate::guard`]).
//!
//! Wake-ups: a task woken while it is polled (by itself, or by an event its poll delivered) is
//! queued again and polled after that poll returns, never inside it; a task is queued at most
//! once at a time; wakers of a finished task find nothing to wake.

use crate::guard::{self, Entry};
use js_sys::{Function, Promise};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

type Boxed = Pin<Box<dyn Future<Output = ()>>>;

/// One spawned future.
struct Task {
    /// `None` while it is being polled (it is taken out, so a wake-up from inside its poll
    /// cannot poll it again re-entrantly).
    future: Option<Boxed>,
    /// Whether its id is in the run queue.
    queued: bool,
    waker: Waker,
}

#[derive(Default)]
struct Executor {
    tasks: RefCell<HashMap<u64, Task>>,
    queue: RefCell<VecDeque<u64>>,
    /// Whether a microtask to run the queue is pending (or running).
    scheduled: Cell<bool>,
    next_id: Cell<u64>,
    /// The guarded function `queueMicrotask` is given, made on first use.
    runner: OnceCell<(Function, Closure<dyn FnMut()>)>,
}

thread_local! {
    static EXECUTOR: Executor = Executor::default();
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

/// Wakes the task of its id. The wasm is single-threaded: the executor is a thread-local, and
/// the `Arc` is only what `Waker` requires.
struct TaskWaker(u64);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let id = self.0;
        EXECUTOR.with(|e| e.wake(id));
    }
}

impl Executor {
    fn wake(&self, id: u64) {
        {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(&id) {
                Some(task) if !task.queued => task.queued = true,
                _ => return,
            }
        }
        self.queue.borrow_mut().push_back(id);
        self.schedule();
    }

    fn schedule(&self) {
        if self.scheduled.replace(true) {
            return;
        }
        let runner = self.runner.get_or_init(|| {
            let closure = Closure::<dyn FnMut()>::new(|| EXECUTOR.with(Executor::run));
            (guard::wrap(closure.as_ref().unchecked_ref()), closure)
        });
        queue_microtask(&runner.0);
    }

    /// Polls the tasks queued when it started; those woken meanwhile run in the next
    /// microtask, so a task that keeps waking itself does not hold the thread.
    fn run(&self) {
        let count = self.queue.borrow().len();
        for _ in 0..count {
            let Some(id) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            let taken = {
                let mut tasks = self.tasks.borrow_mut();
                tasks.get_mut(&id).and_then(|task| {
                    task.queued = false;
                    task.future.take().map(|f| (f, task.waker.clone()))
                })
            };
            let Some((mut future, waker)) = taken else {
                continue;
            };
            guard::entered(Entry::Poll);
            // No borrow is held while the future runs: it may spawn, wake, or deliver events
            // to JS listeners that call back into a client.
            match future.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(()) => {
                    self.tasks.borrow_mut().remove(&id);
                    // Dropped with no borrow held either: its drop may wake other tasks.
                    drop(future);
                }
                Poll::Pending => {
                    if let Some(task) = self.tasks.borrow_mut().get_mut(&id) {
                        task.future = Some(future);
                    }
                }
            }
        }
        if self.queue.borrow().is_empty() {
            self.scheduled.set(false);
        } else if let Some(runner) = self.runner.get() {
            queue_microtask(&runner.0);
        }
    }
}

/// Runs `future` to completion on the executor, starting in a microtask.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    EXECUTOR.with(|e| {
        let id = e.next_id.get();
        e.next_id.set(id + 1);
        let task = Task {
            future: Some(Box::pin(future)),
            queued: true,
            waker: Waker::from(Arc::new(TaskWaker(id))),
        };
        e.tasks.borrow_mut().insert(id, task);
        e.queue.borrow_mut().push_back(id);
        e.schedule();
    });
}

/// A new pending Promise and its `resolve` and `reject`, the `reject` held by the trap
/// guard until [`settle`] is called.
pub(crate) fn pending() -> (Promise, Function, Function) {
    let mut pair = None;
    let promise = Promise::new(&mut |resolve, reject| pair = Some((resolve, reject)));
    // The executor function runs inside `new Promise`: the pair is always there.
    let (resolve, reject) = pair.unwrap_or_else(|| {
        let none = JsValue::UNDEFINED.unchecked_into::<Function>();
        (none.clone(), none)
    });
    guard::hold_promise(&reject, &promise);
    guard::entered(Entry::Promised);
    (promise, resolve, reject)
}

/// Settles a Promise from [`pending`]: resolved with `Ok`, rejected with `Err`.
pub(crate) fn settle(resolve: &Function, reject: &Function, result: Result<JsValue, JsValue>) {
    guard::release(reject);
    let _ = match result {
        Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
        Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
    };
}

/// A Promise settled by `future`'s outcome (what `future_to_promise` did).
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let (promise, resolve, reject) = pending();
    spawn(async move {
        let result = future.await;
        settle(&resolve, &reject, result);
    });
    promise
}

/// What an awaited Promise settled with, and the task waiting for it.
#[derive(Default)]
struct Slot {
    result: Option<Result<JsValue, JsValue>>,
    waker: Option<Waker>,
}

/// A JS Promise as a future (what `JsFuture` did), settled through guarded callbacks.
pub(crate) struct Settled {
    slot: Rc<RefCell<Slot>>,
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.borrow_mut();
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Awaits `promise`. Its two callbacks live until it settles (each keeps the other alive
/// through the slot), even if the future is dropped first: a settlement calling a freed
/// closure would throw in JS.
pub(crate) fn settled(promise: &Promise) -> Settled {
    let slot = Rc::new(RefCell::new(Slot::default()));
    type Callbacks =
        Rc<RefCell<Option<(Closure<dyn FnMut(JsValue)>, Closure<dyn FnMut(JsValue)>)>>>;
    let keep: Callbacks = Rc::default();
    let callback = |ok: bool| {
        let slot = slot.clone();
        let keep = keep.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            guard::entered(Entry::Fetch);
            // Freed after this call returns (wasm-bindgen defers the drop of a running
            // closure): both are done now.
            drop(keep.borrow_mut().take());
            let waker = {
                let mut slot = slot.borrow_mut();
                slot.result = Some(if ok { Ok(value) } else { Err(value) });
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })
    };
    let (ok, err) = (callback(true), callback(false));
    guard::then(
        promise,
        ok.as_ref().unchecked_ref(),
        err.as_ref().unchecked_ref(),
    );
    *keep.borrow_mut() = Some((ok, err));
    Settled { slot }
}
