//! The trap guard's Rust side: every way JS enters this wasm, and everything it holds in JS.
//!
//! A trap (a panic: the package's wasm aborts at once with `unreachable`) unwinds the wasm
//! mid-call and leaves its state half-changed, so nothing may enter it again; and what it held
//! in JS (Promises it would have settled, sockets, timers, fetches) would stay pending or open
//! for ever. The engine's call stack running out inside the wasm (a `RangeError`, in Firefox an
//! `InternalError`) unwinds it the same way, the shadow-stack pointer and `RefCell` borrows
//! left as they were, so the guard takes it for a trap too. The guard object the package's
//! entry module registers (`install` in npm/extras.mjs) is the JS half: every callback JS makes
//! into the wasm is one it wrapped (it catches the trap, then never enters again), and the wasm
//! tells it what it holds, so after a trap it can reject those Promises, close those sockets,
//! clear those timers and abort those fetches without the wasm's help.
//!
//! Without a registered guard (the wasm loaded without the package's entry module, as the
//! binding's own wasm units are) each call here does the plain thing: the callback itself,
//! the global `setTimeout`, nothing held.

use js_sys::{Function, Promise};
use std::cell::{Cell, OnceCell};
use std::hint::black_box;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The guard object of npm/extras.mjs.
    pub(crate) type Guard;
    /// A function that calls `callback` unless the instance trapped, catching a trap.
    #[wasm_bindgen(method)]
    fn wrap(this: &Guard, callback: &Function) -> Function;
    /// `setTimeout` of a guarded `callback`; the guard clears it if the instance traps.
    #[wasm_bindgen(method, js_name = setTimeout)]
    fn set_timeout(this: &Guard, callback: &Function, ms: f64) -> JsValue;
    /// `clearTimeout`, and forgets the timer.
    #[wasm_bindgen(method, js_name = clearTimeout)]
    fn clear_timeout(this: &Guard, id: &JsValue);
    /// `promise.then(ok, err)` with both guarded. (Not named `then`: that would make the
    /// guard object a thenable, which `await` would call.)
    #[wasm_bindgen(method, js_name = onSettled)]
    fn on_settled(this: &Guard, promise: &Promise, ok: &Function, err: &Function);
    /// Keeps `what` to let go of after a trap: a pending Promise's `reject` (called with the
    /// error), a WebSocket (closed) or an `AbortController` (aborted).
    #[wasm_bindgen(method)]
    fn hold(this: &Guard, what: &JsValue);
    /// [`Guard::hold`] of a pending Promise's `reject`, with the Promise: one made during a
    /// call that then traps was never handed to the app, and rejecting it unhandled would end
    /// a Node process (`--unhandled-rejections=throw`), so the guard marks it handled first.
    #[wasm_bindgen(method, js_name = holdPromise)]
    fn hold_promise(this: &Guard, reject: &Function, promise: &Promise);
    /// Forgets `what` (the Promise settled, the socket or fetch is done).
    #[wasm_bindgen(method)]
    fn release(this: &Guard, what: &JsValue);
    /// Whether the instance trapped: a call the wasm made into JS (a listener) may have
    /// entered it again and trapped there, and the guard caught that trap.
    #[wasm_bindgen(method)]
    fn trapped(this: &Guard) -> bool;
    /// Whether a guarded entry is running: false in a `FinalizationRegistry` callback, the one
    /// way in the guard cannot wrap (wasm-bindgen's glue owns those registries).
    #[wasm_bindgen(method)]
    fn inside(this: &Guard) -> bool;

    /// `globalThis.setTimeout`: Node returns a `Timeout` object, browsers a number.
    #[wasm_bindgen(js_name = setTimeout)]
    fn global_set_timeout(callback: &Function, ms: f64) -> JsValue;
    /// `globalThis.clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn global_clear_timeout(id: &JsValue);
    /// A Promise, for `then` with two plain functions.
    type Thenable;
    /// `promise.then(ok, err)`.
    #[wasm_bindgen(method, js_name = then)]
    fn then_both(this: &Thenable, ok: &Function, err: &Function) -> JsValue;
}

thread_local! {
    /// Set once by [`set_guard`], before the first client is made; never changed, so reading
    /// it takes no borrow that a call into JS could meet again.
    static GUARD: OnceCell<Guard> = const { OnceCell::new() };
}

/// Registers the trap guard (npm/extras.mjs `install`). Called once by the package's entry
/// module, before any client exists; a second guard is ignored (the first one holds what the
/// clients made so far).
#[wasm_bindgen(js_name = __setGuard)]
pub fn set_guard(guard: JsValue) {
    GUARD.with(|g| {
        let _ = g.set(guard.unchecked_into());
    });
}

/// `with` of the registered guard, else `without`: the one place that reads [`GUARD`], so
/// every forwarding function below does the plain thing alike when no guard was registered.
fn with_guard<T>(with: impl FnOnce(&Guard) -> T, without: impl FnOnce() -> T) -> T {
    GUARD.with(|g| match g.get() {
        Some(guard) => with(guard),
        None => without(),
    })
}

/// `callback`, guarded: what every socket handler and the executor's microtask are.
pub(crate) fn wrap(callback: &Function) -> Function {
    with_guard(|guard| guard.wrap(callback), || callback.clone())
}

/// `setTimeout(callback, ms)`, guarded and cleared after a trap; the id for [`clear_timeout`].
pub(crate) fn set_timeout(callback: &Function, ms: f64) -> JsValue {
    with_guard(
        |guard| guard.set_timeout(callback, ms),
        || global_set_timeout(callback, ms),
    )
}

/// `clearTimeout(id)` of a timer [`set_timeout`] set.
pub(crate) fn clear_timeout(id: &JsValue) {
    with_guard(|guard| guard.clear_timeout(id), || global_clear_timeout(id))
}

/// `promise.then(ok, err)`, both guarded.
pub(crate) fn then(promise: &Promise, ok: &Function, err: &Function) {
    with_guard(
        |guard| guard.on_settled(promise, ok, err),
        || {
            let _ = promise.unchecked_ref::<Thenable>().then_both(ok, err);
        },
    )
}

/// Tells the guard to let go of `what` if the instance traps (see [`Guard::hold`]).
pub(crate) fn hold(what: &JsValue) {
    with_guard(|guard| guard.hold(what), || {})
}

/// What a class's `Drop` does (a client's shutdown, an iterator's end): at once when the app
/// called `free()` or `return()` (a guarded entry), else on a guarded timer. Else is a
/// `FinalizationRegistry` callback (the app let the object go), which the guard cannot wrap
/// (see [`Guard::inside`]): a trap there would be an uncaught exception that ends a Node
/// process, with whatever the instance held left open. Without a guard nothing is wrapped, and
/// `run` runs at once.
pub(crate) fn after_drop(run: impl FnOnce() + 'static) {
    if with_guard(|guard| guard.inside(), || true) {
        run();
        return;
    }
    let later = Closure::once_into_js(move || {
        entered(Entry::Collected);
        run();
    });
    set_timeout(later.unchecked_ref(), 0.0);
}

/// [`hold`] of a pending Promise's `reject` (see [`Guard::hold_promise`]).
pub(crate) fn hold_promise(reject: &Function, promise: &Promise) {
    with_guard(|guard| guard.hold_promise(reject, promise), || {})
}

/// Stops this call if the instance trapped under it (in a listener's call back into a client):
/// the rest of it would run on the state the trap left half-changed. Aborting is a trap of its
/// own, so the call unwinds to the guarded entry that made it, which knows the instance is
/// dead; without a guard nothing can have trapped under a call that goes on.
pub(crate) fn stop_if_trapped() {
    if with_guard(Guard::trapped, || false) {
        std::process::abort();
    }
}

/// Undoes [`hold`] once `what` is settled, closed or done.
pub(crate) fn release(what: &JsValue) {
    with_guard(|guard| guard.release(what), || {})
}

/// The entries into the wasm a test can make fail ([`trap_at_next_for_tests`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A command called from JS (`Host::flush`, after every command).
    Call = 1,
    /// A WebSocket `message` callback.
    Frame,
    /// The client's timer callback.
    Timer,
    /// A fetch's (or any awaited Promise's) settlement callback.
    Fetch,
    /// The executor polling a task.
    Poll,
    /// Right after a Promise for JS was made ([`crate::task::pending`]), before it is handed
    /// over: the one point where a trap leaves a Promise nobody holds yet to reject.
    Promised,
    /// What the finalizer of a client or iterator JS collected put on a guarded timer (see
    /// [`after_drop`]).
    Collected,
}

/// Set in [`ARMED`] with the entry's number when the test asked for a stack overflow rather
/// than a panic.
const OVERFLOW: u8 = 0x80;

thread_local! {
    /// The entry armed by [`trap_at_next_for_tests`] (its `Entry as u8`, with [`OVERFLOW`] for
    /// a stack overflow), 0 for none.
    static ARMED: Cell<u8> = const { Cell::new(0) };
}

/// Called at each [`Entry`]: traps when a test armed this one. A `Cell` read otherwise (the
/// rest is out of line, in [`fire`]).
pub(crate) fn entered(entry: Entry) {
    let armed = ARMED.with(Cell::get);
    if armed != 0 {
        fire(entry, armed);
    }
}

/// The armed failure, if `armed` is for `entry`.
#[cold]
#[inline(never)]
fn fire(entry: Entry, armed: u8) {
    if armed & !OVERFLOW != entry as u8 {
        return;
    }
    ARMED.with(|a| a.set(0));
    if armed & OVERFLOW != 0 {
        overflow(0);
    }
    panic!("chatwire: a trap armed by __trapAtNextForTests");
}

/// Recurses until the engine's call stack runs out and it throws out of the wasm. Each frame
/// hands its depth through `black_box`, so the optimizer can neither bound the recursion nor
/// make a loop of it; the test in trap.test.mjs checks the error is the engine's stack
/// overflow (not, say, a shadow-stack access out of bounds).
#[inline(never)]
fn overflow(depth: u32) -> u32 {
    if black_box(depth) == u32::MAX {
        return depth;
    }
    overflow(black_box(depth + 1)).rotate_left(depth)
}

/// Test-only: makes the next entry of kind `entry` (`"call"`, `"frame"`, `"timer"`,
/// `"fetch"`, `"poll"`, `"promised"` or `"collected"`) fail as a bug would, so the node tests can provoke it
/// for real in the very wasm the package ships (a separate test build would be another
/// several-minute LTO build, and would not test this one): `how` is `"trap"` (the default: a
/// panic, which traps) or `"overflow"` (a recursion that overflows the engine's call stack).
/// Not reachable by accident: the package's entry modules do not export it, and its `exports`
/// map lets no app import the wasm-bindgen module (`dist/…`) it lives in; it does nothing
/// until called with a name.
#[doc(hidden)]
#[wasm_bindgen(js_name = __trapAtNextForTests)]
pub fn trap_at_next_for_tests(entry: &str, how: Option<String>) -> Result<(), JsValue> {
    let entry = match entry {
        "call" => Entry::Call,
        "frame" => Entry::Frame,
        "timer" => Entry::Timer,
        "fetch" => Entry::Fetch,
        "poll" => Entry::Poll,
        "promised" => Entry::Promised,
        "collected" => Entry::Collected,
        other => {
            return Err(crate::js::invalid(format!(
                "no entry {other:?} (call, frame, timer, fetch, poll, promised, collected)"
            )))
        }
    };
    let flag = match how.as_deref() {
        None | Some("trap") => 0,
        Some("overflow") => OVERFLOW,
        Some(other) => {
            return Err(crate::js::invalid(format!(
                "no failure {other:?} (trap, overflow)"
            )))
        }
    };
    ARMED.with(|a| a.set(entry as u8 | flag));
    Ok(())
}
